#!/usr/bin/env bash
# `floe compact` rewrites a table's live rows (position deletes applied) into fewer
# files in one replace snapshot, and `floe expire` then drops the old snapshots and the
# files only they reached: cat returns exactly the same rows before and after both, the
# number of Parquet files on disk falls, and expired snapshots can no longer be read.
. "$(dirname "$0")/lib.sh"

schema='id BIGINT NOT NULL, tenant STRING NOT NULL, amount DECIMAL(12,2)'
gen() { for i in $(seq "$1" "$2"); do printf '{"id":%d,"tenant":"t%d","amount":%d.%02d}\n' "$i" $((i % 2)) "$i" $((i % 100)); done; }
gen 1 100 >"$T/a.ndjson"; gen 101 200 >"$T/b.ndjson"; gen 201 300 >"$T/c.ndjson"
floe load bronze.t "$T/a.ndjson" --schema "$schema" --partition "tenant" >/dev/null
first=$(floe describe bronze.t | awk '$1 ~ /^\*/ {sub(/^\*/, "", $1); print $1}')
floe load bronze.t "$T/b.ndjson" >/dev/null
floe load bronze.t "$T/c.ndjson" >/dev/null
floe delete bronze.t --where 'id <= 10' >/dev/null
expected=$(gen 11 300 | LC_ALL=C sort)
assert_eq "$expected" "$(floe cat bronze.t | LC_ALL=C sort)" "rows before compaction"
files_before=$(find "$FLOE_DATA" -name '*.parquet' | wc -l)
assert_eq 8 "$files_before" "3 loads x 2 partitions + 2 delete files"

out=$(floe compact bronze.t)
assert_contains "$out" "compacted bronze.t: 6 data files and 2 delete files -> 2 data files, 290 rows" "compact output"
assert_eq "$expected" "$(floe cat bronze.t | LC_ALL=C sort)" "compaction keeps every live row"
assert_contains "$(floe describe bronze.t)" " replace " "compaction is a replace snapshot"
assert_contains "$(floe tables)" "bronze.t  snapshots=5  rows=290  files=2  " "tables after compaction"
assert_eq "$(gen 1 100 | LC_ALL=C sort)" "$(floe cat bronze.t --snapshot "$first" | LC_ALL=C sort)" \
  "the first snapshot is still readable before expiry"
assert_eq "bronze.t: nothing to compact" "$(floe compact bronze.t)" "a compacted table has nothing to compact"

out=$(floe expire bronze.t --older-than 0 --retain-last 1)
assert_contains "$out" "expired 4 snapshots of bronze.t, deleted" "expire output"
assert_eq "$expected" "$(floe cat bronze.t | LC_ALL=C sort)" "expiry keeps every live row"
assert_eq 2 "$(find "$FLOE_DATA" -name '*.parquet' | wc -l)" "only the compacted files remain on disk"
run_floe cat bronze.t --snapshot "$first"
[[ $RC -eq 1 ]] || fail "cat of an expired snapshot should fail, exit $RC"
assert_contains "$ERR" "$first" "the error names the expired snapshot"
run_floe expire bronze.t --older-than 5x
[[ $RC -eq 2 ]] || fail "a bad age is a usage error, exit $RC"
assert_contains "$ERR" '--older-than: expected an age such as 90s, 30m, 12h, 7d or 0, found "5x"' "bad age message"
