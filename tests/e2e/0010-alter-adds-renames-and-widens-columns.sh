#!/usr/bin/env bash
# `floe alter` evolves a table's schema without rewriting data: add-column gives a new
# optional column (null in older rows, values in rows loaded after it); rename-column
# keeps the data under the new name; widen-column INT -> BIGINT lets a value beyond
# INT be loaded while old rows keep theirs; DECIMAL(12,2) -> DECIMAL(14,2) widens too.
# A refused change (STRING -> INT, a scale change, a duplicate name, a missing column)
# exits 1 with the table layer's message and commits nothing; a wrong command line
# exits 2. describe shows the current schema and its id; each change is one new
# schema and no new snapshot.
. "$(dirname "$0")/lib.sh"

schema='id BIGINT NOT NULL, qty INT, name STRING, amount DECIMAL(12,2)'
printf '%s\n' '{"id":1,"qty":10,"name":"a","amount":"1.25"}' '{"id":2,"qty":20,"name":"b","amount":"2.50"}' >"$T/a.ndjson"
floe load bronze.orders "$T/a.ndjson" --schema "$schema" >/dev/null

# add-column: a new field id after the last (4 columns -> id 5), schema 1
assert_eq "altered bronze.orders: added column coupon STRING (field id 5, schema 1)" \
  "$(floe alter bronze.orders add-column coupon STRING)" "add-column output"
# a bare name folds to lower case, the type may be several words
assert_eq "altered bronze.orders: added column score DOUBLE (field id 6, schema 2)" \
  "$(floe alter bronze.orders add-column Score double precision)" "add-column with a two-word type"
echo '{"id":3,"qty":30,"name":"c","amount":3.00,"coupon":"SAVE10","score":0.5}' >"$T/b.ndjson"
floe load bronze.orders "$T/b.ndjson" >/dev/null
assert_eq '{"id":1,"qty":10,"name":"a","amount":1.25,"coupon":null,"score":null}
{"id":2,"qty":20,"name":"b","amount":2.50,"coupon":null,"score":null}
{"id":3,"qty":30,"name":"c","amount":3.00,"coupon":"SAVE10","score":0.5}' \
  "$(floe cat bronze.orders | LC_ALL=C sort)" "old rows read the added columns as null, new rows have values"

# rename-column keeps the data (same field id), and --where uses the new name
assert_eq "altered bronze.orders: renamed column qty to quantity (field id 2, schema 3)" \
  "$(floe alter bronze.orders rename-column qty quantity)" "rename-column output"
assert_eq '{"id":1,"quantity":10}
{"id":2,"quantity":20}
{"id":3,"quantity":30}' "$(floe cat bronze.orders --columns id,quantity | LC_ALL=C sort)" "renamed column keeps its data"
assert_eq '{"id":2}' "$(floe cat bronze.orders --columns id --where 'quantity = 20')" "--where on the new name"
expect_usage_fail '--where "qty = 20": no column qty' cat bronze.orders --where 'qty = 20'

# an INT column refuses a big value until widened to BIGINT
echo '{"id":4,"quantity":5000000000}' >"$T/big.ndjson"
run_floe load bronze.orders "$T/big.ndjson"
assert_eq 1 "$RC" "loading a value beyond INT fails before widening"
assert_eq "altered bronze.orders: widened column quantity from INT to BIGINT (field id 2, schema 4)" \
  "$(floe alter bronze.orders widen-column quantity BIGINT)" "widen-column output"
floe load bronze.orders "$T/big.ndjson" >/dev/null
assert_eq '{"id":1,"quantity":10}
{"id":2,"quantity":20}
{"id":3,"quantity":30}
{"id":4,"quantity":5000000000}' "$(floe cat bronze.orders --columns id,quantity | LC_ALL=C sort)" \
  "widened column: old INT values read as BIGINT, the big value is kept"
assert_eq '{"id":4}' "$(floe cat bronze.orders --columns id --where 'quantity > 4000000000')" "--where on the widened column"

assert_eq "altered bronze.orders: widened column amount from DECIMAL(12,2) to DECIMAL(14,2) (field id 4, schema 5)" \
  "$(floe alter bronze.orders widen-column amount 'DECIMAL(14,2)')" "widen a decimal's precision"
echo '{"id":5,"amount":"123456789012.34"}' | floe load bronze.orders - >/dev/null
assert_eq '{"id":1,"amount":1.25}
{"id":5,"amount":123456789012.34}' "$(floe cat bronze.orders --columns id,amount | grep -E '"id":(1|5),' | LC_ALL=C sort)" \
  "a 14-digit decimal after widening; old values unchanged"

# refused changes: exit 1 with the table layer's message, nothing committed
snaps=$(snapshot_count bronze.orders)
metadata_files=$(ls "$FLOE_DATA/warehouse/bronze/orders/metadata/"*.metadata.json | wc -l)
expect_fail 1 "cannot change column name from STRING to INT: Iceberg allows only INT to BIGINT, REAL to DOUBLE and DECIMAL(p,s) to DECIMAL(p',s) with p' >= p (up to 38); add a new column instead" \
  alter bronze.orders widen-column name INT
run_floe alter bronze.orders widen-column amount 'DECIMAL(14,3)'
assert_eq 1 "$RC" "a scale change is refused"
assert_contains "$ERR" "floe: cannot change column amount from DECIMAL(14,2) to DECIMAL(14,3)" "scale change message"
run_floe alter bronze.orders add-column coupon INT
assert_eq 1 "$RC" "adding an existing column is refused"
assert_contains "$ERR" "floe: cannot add column coupon to bronze.orders: a column of that name exists" "duplicate column message"
run_floe alter bronze.orders rename-column name id
assert_eq 1 "$RC" "renaming onto an existing column is refused"
run_floe alter bronze.orders widen-column nope BIGINT
assert_eq 1 "$RC" "widening a missing column fails"
assert_contains "$ERR" "floe: cannot change column nope of bronze.orders: no such column" "missing column message"
expect_fail 1 "table bronze.nope does not exist in data dir $(cd "$FLOE_DATA" && pwd -P)" alter bronze.nope add-column x INT
assert_eq "$snaps" "$(snapshot_count bronze.orders)" "refused changes add no snapshot"
assert_eq "$metadata_files" "$(ls "$FLOE_DATA/warehouse/bronze/orders/metadata/"*.metadata.json | wc -l)" \
  "refused changes write no metadata"

# command-line errors exit 2 with the usage
run_floe alter bronze.orders add-column x NOTATYPE
assert_eq 2 "$RC" "unknown type exit status"
assert_contains "$ERR" "floe: type \"NOTATYPE\": " "unknown type message"
assert_contains "$ERR" "usage: floe alter TABLE add-column NAME TYPE" "usage after a bad type"
run_floe alter bronze.orders drop-column name
assert_eq 2 "$RC" "unknown change exit status"
assert_eq "floe: unknown change 'drop-column': expected add-column, rename-column, widen-column, set-property or unset-property" \
  "$(head -1 <<<"$ERR")" "unknown change message"
run_floe alter bronze.orders rename-column name
assert_eq 2 "$RC" "rename without NEW"
assert_eq "floe: rename-column needs OLD NEW" "$(head -1 <<<"$ERR")" "missing argument message"
run_floe alter bronze.orders add-column 'bad name' INT
assert_eq 2 "$RC" "an unquoted name with a blank"
run_floe alter bronze.orders
assert_eq 2 "$RC" "no change given"
assert_contains "$(floe help)" "  alter " "help lists alter"

# properties: set, shown by describe, unset; one metadata-only commit each, no snapshot
snaps=$(snapshot_count bronze.orders)
assert_eq "altered bronze.orders: set property write.target-file-size-bytes = 1048576" \
  "$(floe alter bronze.orders set-property write.target-file-size-bytes 1048576)" "set-property output"
assert_contains "$(floe describe bronze.orders)" "write.target-file-size-bytes = 1048576" "describe shows the property"
assert_eq "altered bronze.orders: unset property write.target-file-size-bytes" \
  "$(floe alter bronze.orders unset-property write.target-file-size-bytes)" "unset-property output"
[[ "$(floe describe bronze.orders)" != *"write.target-file-size-bytes"* ]] || fail "unset-property removed the key"
assert_eq "$snaps" "$(snapshot_count bronze.orders)" "property changes add no snapshot"
run_floe alter bronze.orders set-property only-key
assert_eq 2 "$RC" "set-property without a value"

# a "Quoted" name keeps its case
assert_eq "altered bronze.orders: added column Note STRING (field id 7, schema 6)" \
  "$(floe alter bronze.orders add-column '"Note"' STRING)" "quoted name keeps its case"

# describe: the current schema, its id, every column with its id and type
desc=$(floe describe bronze.orders)
assert_contains "$desc" "schema     (id 6)" "describe shows the current schema id"
cols=$(awk '/^schema/ {on = 1; next} /^partition/ {on = 0} on {print $1, $2, $3}' <<<"$desc")
assert_eq "1 id BIGINT
2 quantity BIGINT
3 name STRING
4 amount DECIMAL(14,2)
5 coupon STRING
6 score DOUBLE
7 Note STRING" "$cols" "describe shows every column with its field id and current type"
# schema changes are metadata-only: the snapshots are the 4 loads
assert_eq 4 "$(snapshot_count bronze.orders)" "alter adds no snapshot"
