#!/usr/bin/env bash
# A load that fails (bad line, missing file, bad line after several full batches)
# leaves no table, no catalog row and no table directory, so the same name can then
# be created with another schema. `floe drop` removes a table from the catalog (its
# files stay); `floe drop --purge` deletes its files too; both refuse a missing table.
. "$(dirname "$0")/lib.sh"

# into a data dir that does not exist yet: nothing at all is left, not even the dir
printf '{"id":"x"}\n' >"$T/bad1.ndjson"
expect_fail 1 "$T/bad1.ndjson:1: field id: expected BIGINT, found \"x\"" load bronze.t "$T/bad1.ndjson" --schema 'id BIGINT'
[[ ! -e "$FLOE_DATA" ]] || fail "a failed load into a new data dir left: $(find "$FLOE_DATA")"
run_floe load bronze.t "$T/bad1.ndjson"
assert_eq 1 "$RC" "a load of a missing table without --schema fails"
[[ ! -e "$FLOE_DATA" ]] || fail "a failed load without --schema left: $(find "$FLOE_DATA")"
mkdir "$FLOE_DATA"   # from here on the data dir exists (the catalog is made by the loads)

tables_rows() { sqlite3 "$FLOE_DATA/catalog.db" "SELECT count(*) FROM iceberg_tables WHERE table_name = '$1'"; }

printf '{"id":1}\n{"id":"x"}\n' >"$T/bad.ndjson"
expect_fail 1 "$T/bad.ndjson:2: field id: expected BIGINT, found \"x\"" load bronze.t "$T/bad.ndjson" --schema 'id BIGINT'
assert_eq 0 "$(tables_rows t)" "no catalog row after a failed load"
[[ ! -e "$FLOE_DATA/warehouse/bronze" ]] || fail "the failed load left $FLOE_DATA/warehouse/bronze: $(find "$FLOE_DATA/warehouse/bronze")"
assert_eq "" "$(floe tables)" "no table listed after a failed load"

expect_fail 1 "cannot open $T/none.ndjson: No such file or directory" load bronze.t "$T/none.ndjson" --schema 'id BIGINT'
assert_eq 0 "$(tables_rows t)" "no catalog row after a load of a missing file"

# a bad line after 3 batches of data files were written
seq 1 3000 | sed 's/.*/{"id":&}/' >"$T/late-bad.ndjson"
echo '{"id":true}' >>"$T/late-bad.ndjson"
run_floe load bronze.t "$T/late-bad.ndjson" --schema 'id BIGINT' --batch-rows 1000 --target-file-bytes 1
assert_eq 1 "$RC" "late bad line: exit status"
assert_eq 0 "$(tables_rows t)" "no catalog row after a late bad line"
[[ ! -e "$FLOE_DATA/warehouse/bronze/t" ]] || fail "the late failure left files: $(find "$FLOE_DATA/warehouse/bronze/t")"

# the name is free: created with another schema
printf '{"name":"a"}\n' | "$FLOE" load bronze.t - --schema 'name STRING NOT NULL' >/dev/null
assert_eq '{"name":"a"}' "$(floe cat bronze.t)" "the name is created again with another schema"

# a failed load into an existing table keeps the table and its rows
expect_fail 1 "stdin:1: field name: expected STRING, found 1" load bronze.t - <<<'{"name":1}'
assert_eq '{"name":"a"}' "$(floe cat bronze.t)" "an existing table survives a failed load"

# drop keeps the files, --purge deletes them
dir="$FLOE_DATA/warehouse/bronze/t"
assert_eq "dropped bronze.t" "$(floe drop bronze.t)" "drop output"
assert_eq 0 "$(tables_rows t)" "drop removes the catalog row"
[[ -n "$(find "$dir" -name '*.parquet')" ]] || fail "drop without --purge deleted the data files"
expect_fail 1 "table bronze.t does not exist in data dir $(cd "$FLOE_DATA" && pwd -P)" drop bronze.t
printf '{"id":7}\n' | "$FLOE" load bronze.u - --schema 'id INT' >/dev/null
printf '{"id":8}\n' | "$FLOE" load bronze.v - --schema 'id INT' >/dev/null
assert_eq "dropped bronze.u and deleted its files" "$(floe drop bronze.u --purge)" "drop --purge output"
[[ ! -e "$FLOE_DATA/warehouse/bronze/u" ]] || fail "drop --purge left $FLOE_DATA/warehouse/bronze/u"
assert_eq '{"id":8}' "$(floe cat bronze.v)" "another table is untouched"
assert_eq "bronze.v" "$(floe tables | awk '{print $1}')" "tables after the drops"

# usage errors
expect_usage() { run_floe "$@"; assert_eq 2 "$RC" "exit status of floe $*"; }
expect_usage drop
expect_usage drop bronze.v --force
expect_usage drop bronze.v bronze.u
expect_usage drop nodot
expect_fail 1 "data dir $T/nope does not exist" drop bronze.v --data "$T/nope"
[[ ! -e "$T/nope" ]] || fail "drop created a missing data dir"

# SIGINT (Ctrl-C) or SIGTERM while a load that created its table waits for more input:
# the load stops at once, exits 1 and drops the table it created
for sig in INT TERM; do
  mkfifo "$T/in.fifo"
  ( seq 1 30000 | sed 's/.*/{"id":&}/'; sleep 30 ) >"$T/in.fifo" &
  producer=$!
  "$FLOE" load bronze.sig "$T/in.fifo" --schema 'id BIGINT' --batch-rows 1000 2>"$T/sig.err" &
  loader=$!
  for _ in $(seq 1 500); do [[ "$(tables_rows sig)" == 1 ]] && break; sleep 0.01; done
  assert_eq 1 "$(tables_rows sig)" "the table exists once the first batch is read (SIG$sig)"
  kill -$sig $loader
  rc=0
  wait $loader || rc=$?
  pkill -P $producer 2>/dev/null || true   # its sleep, then the subshell itself
  kill $producer 2>/dev/null || true
  wait $producer 2>/dev/null || true
  rm "$T/in.fifo"
  assert_eq 1 "$rc" "exit status after SIG$sig"
  assert_eq "floe: interrupted (SIG$sig): nothing loaded" "$(cat "$T/sig.err")" "message after SIG$sig"
  assert_eq 0 "$(tables_rows sig)" "no table after SIG$sig"
  [[ ! -e "$FLOE_DATA/warehouse/bronze/sig" ]] || fail "SIG$sig left $(find "$FLOE_DATA/warehouse/bronze/sig")"
done
