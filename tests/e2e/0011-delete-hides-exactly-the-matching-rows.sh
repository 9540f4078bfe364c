#!/usr/bin/env bash
# `floe delete TABLE --where ...` hides exactly the rows matching every predicate, with
# Iceberg position deletes in one "delete" snapshot: cat no longer shows them, the
# printed count is exact, data files are not rewritten, and cat --snapshot of the
# previous snapshot still shows them. Deleting again counts only rows still visible;
# no match commits nothing. In a partitioned table the delete files land in the
# partition directories of the rows they delete. Usage errors exit 2, bad predicates 1.
. "$(dirname "$0")/lib.sh"

schema='id BIGINT NOT NULL, qty INT, name STRING, amount DECIMAL(12,2)'
gen() { for i in $(seq "$1" "$2"); do printf '{"id":%d,"qty":%d,"name":"n%d","amount":%d.%02d}\n' "$i" $((i % 7)) "$i" "$i" "$i"; done; }
gen 1 30 >"$T/a.ndjson"
gen 31 50 >"$T/b.ndjson"
floe load bronze.orders "$T/a.ndjson" --schema "$schema" >/dev/null
floe load bronze.orders "$T/b.ndjson" >/dev/null
before=$(floe describe bronze.orders | awk '$1 ~ /^\*/ {sub(/^\*/, "", $1); print $1}')
[[ "$before" =~ ^[0-9]+$ ]] || fail "no current snapshot id in describe"
parquet_before=$(find "$FLOE_DATA" -name '*.parquet' ! -name '*-deletes.parquet' | sort)

# qty = 3 matches ids 3 10 17 24 31 38 45 (both data files)
out=$(floe delete bronze.orders --where 'qty = 3')
[[ "$out" =~ ^deleted\ 7\ rows\ from\ bronze\.orders\ \(snapshot\ ([0-9]+)\)$ ]] || fail "delete output: $out"
first_delete=${BASH_REMATCH[1]}
expected=$(gen 1 50 | grep -v '"qty":3,' | LC_ALL=C sort)
assert_eq "$expected" "$(floe cat bronze.orders | LC_ALL=C sort)" "cat shows every row but the deleted ones"
assert_eq 43 "$(floe cat bronze.orders | wc -l)" "43 rows left"
assert_eq "" "$(floe cat bronze.orders --where 'qty = 3')" "no row with qty = 3 is left"
assert_eq "$(gen 1 50 | LC_ALL=C sort)" "$(floe cat bronze.orders --snapshot "$before" | LC_ALL=C sort)" \
  "cat --snapshot of the previous snapshot still shows the deleted rows"
assert_eq 3 "$(snapshot_count bronze.orders)" "the delete is one snapshot"
desc=$(floe describe bronze.orders)
assert_contains "$desc" "*$first_delete  seq 3" "the delete is the current snapshot"
assert_contains "$(grep -F "$first_delete" <<<"$desc")" " delete " "the snapshot's operation is delete"
assert_eq "$parquet_before" "$(find "$FLOE_DATA" -name '*.parquet' ! -name '*-deletes.parquet' | sort)" \
  "no data file is rewritten or added"
run_floe cat bronze.orders --stats
assert_contains "$ERR" "rows_deleted=7 " "the scan hides 7 rows by position deletes"
assert_contains "$(floe tables)" "bronze.orders  snapshots=3  rows=43  " "tables counts live rows (50 - 7 deleted)"
assert_contains "$desc" "current    43 rows (50 in data files, 7 deleted)" "describe counts live rows"

# three predicates ANDed; rows already deleted are not counted again
assert_eq "deleted 6 rows from bronze.orders" \
  "$(floe delete bronze.orders --where 'id > 20' --where 'qty <= 3' --where 'id <= 31' | sed 's/ (snapshot [0-9]*)$//')" \
  "second delete: ids 21 22 23 28 29 30 (24 and 31 are already gone)"
expected=$(gen 1 50 | grep -v '"qty":3,' | grep -vE '"id":(21|22|23|28|29|30),' | LC_ALL=C sort)
assert_eq "$expected" "$(floe cat bronze.orders | LC_ALL=C sort)" "cat after the second delete"
assert_eq "$(gen 1 50 | grep -v '"qty":3,' | LC_ALL=C sort)" "$(floe cat bronze.orders --snapshot "$first_delete" | LC_ALL=C sort)" \
  "the first delete's snapshot still shows the second delete's rows"

# the same delete again matches nothing: nothing committed
assert_eq "deleted 0 rows from bronze.orders" "$(floe delete bronze.orders --where 'qty = 3')" "delete of no row"
assert_eq 4 "$(snapshot_count bronze.orders)" "a delete of no row commits nothing"

# string, decimal and single-row deletes
assert_eq "deleted 1 row from bronze.orders" \
  "$(floe delete bronze.orders --where "name = 'n42'" | sed 's/ (snapshot [0-9]*)$//')" "delete by string"
assert_eq "deleted 3 rows from bronze.orders" \
  "$(floe delete bronze.orders --where 'amount >= 48.48' | sed 's/ (snapshot [0-9]*)$//')" "delete by decimal: 48.48 49.49 50.50"
assert_eq "" "$(floe cat bronze.orders --where 'amount >= 48.48')" "no row with amount >= 48.48 left"
assert_eq "" "$(floe cat bronze.orders --where "name = 'n42'")" "n42 is gone"

# rows loaded after a delete are visible; deleting every row empties the table
gen 51 55 | floe load bronze.orders - >/dev/null
assert_eq 5 "$(floe cat bronze.orders --where 'id > 50' | wc -l)" "rows loaded after the deletes"
left=$(floe cat bronze.orders | wc -l)
assert_eq "deleted $left rows from bronze.orders" \
  "$(floe delete bronze.orders --where 'id >= 0' | sed 's/ (snapshot [0-9]*)$//')" "delete every row"
assert_eq "" "$(floe cat bronze.orders)" "the table is empty"

# errors
run_floe delete bronze.orders
assert_eq 2 "$RC" "delete without --where"
assert_eq 'floe: which rows? give at least one --where "CONDITION"' "$(head -1 <<<"$ERR")" "missing --where message"
assert_contains "$ERR" "usage: floe delete TABLE" "missing --where prints the usage"
run_floe delete bronze.orders --where 'id = 1' --bogus
assert_eq 2 "$RC" "unknown option"
expect_usage_fail '--where "nope = 1": no column nope' delete bronze.orders --where 'nope = 1'
expect_usage_fail '--where "id = abc": abc is not a BIGINT (column id)' delete bronze.orders --where 'id = abc'
expect_fail 1 "table bronze.nope does not exist in data dir $(cd "$FLOE_DATA" && pwd -P)" delete bronze.nope --where 'id = 1'
assert_contains "$(floe help)" "  delete " "help lists delete"

# a partitioned table: the deletes go to the partitions of the rows they delete
pschema='event_id STRING NOT NULL, tenant_id STRING NOT NULL, amount DECIMAL(12,2), event_time TIMESTAMP NOT NULL'
: >"$T/events.ndjson"
n=0
for day in 24 25; do
  for tenant in acme globex initech; do
    for k in 1 2 3 4; do
      n=$((n + 1))
      printf '{"event_id":"e%d","tenant_id":"%s","amount":%d.%02d,"event_time":"2026-11-%sT%02d:00:00Z"}\n' \
        "$n" "$tenant" "$n" "$k" "$day" "$((k * 5))" >>"$T/events.ndjson"
    done
  done
done
floe load bronze.events "$T/events.ndjson" --schema "$pschema" --partition "day(event_time), tenant_id" >/dev/null
# acme's events on the 24th from 15:00: e3 (15:00) and e4 (20:00)
assert_eq "deleted 2 rows from bronze.events" \
  "$(floe delete bronze.events --where "tenant_id = 'acme'" --where "event_time >= '2026-11-24T15:00:00Z'" \
       --where "event_time < '2026-11-25T00:00:00Z'" | sed 's/ (snapshot [0-9]*)$//')" \
  "delete in one partition by a time range"
# globex's events with amount < 7: e5 (5.01) and e6 (6.02)
run_floe delete bronze.events --where "tenant_id = 'globex'" --where 'amount < 7'
[[ $RC -eq 0 ]] || fail "partitioned delete: $ERR"
[[ "$OUT" =~ ^deleted\ 2\ rows\ from\ bronze\.events\ \(snapshot\ [0-9]+\)$ ]] || fail "partitioned delete output: $OUT"
expected=$(grep -vE '"event_id":"e(3|4|5|6)"' "$T/events.ndjson" | LC_ALL=C sort)
assert_eq "$expected" "$(floe cat bronze.events | LC_ALL=C sort)" "partitioned table: exactly the deleted rows are gone"
deletes=$(cd "$FLOE_DATA/warehouse/bronze/events/data" && find . -name '*-deletes.parquet' -printf '%h\n' | sort)
assert_eq "./event_time_day=2026-11-24/tenant_id=acme
./event_time_day=2026-11-24/tenant_id=globex" "$deletes" "each delete file is in its rows' partition directory"
run_floe cat bronze.events --where "tenant_id = 'initech'" --stats
assert_contains "$ERR" "rows_emitted=8 " "other partitions keep every row"
