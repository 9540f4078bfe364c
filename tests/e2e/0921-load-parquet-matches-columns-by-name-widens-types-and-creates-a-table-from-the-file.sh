#!/usr/bin/env bash
# `floe load` reads Parquet files: into a new table without --schema it takes the
# file's columns; into an existing one it matches columns by name (any order), widens
# int -> bigint and decimal precision up, reads a column the file lacks as NULL, and
# refuses what does not fit, naming the column, committing nothing.
. "$(dirname "$0")/lib.sh"
cd "$T"

printf '%s\n' '{"id":1,"name":"a","price":"1.50","qty":3}' '{"id":2,"name":null,"price":"2.00","qty":null}' \
  '{"id":3,"name":"c","price":null,"qty":-7}' >src.ndjson
floe load src.t src.ndjson --schema 'id INT NOT NULL, name STRING, price DECIMAL(10,2), qty INT' >/dev/null
pq=$(find "$FLOE_DATA/warehouse/src/t/data" -name '*.parquet')
[[ $(wc -l <<<"$pq") -eq 1 ]] || fail "one data file: $pq"
cp "$pq" rows.parquet
want=$("$FLOE" cat src.t)

# a new table from the file's own columns
floe load copy.t rows.parquet >/dev/null
assert_eq "$want" "$("$FLOE" cat copy.t)" "same rows as the source"
assert_contains "$("$FLOE" describe copy.t)" "price                    DECIMAL(10,2)" "the file's types"

# an existing table (made by an empty load) with other column order, wider types and
# one more column
floe load wide.t /dev/null --format ndjson --schema 'qty BIGINT, price DECIMAL(18,2), extra STRING, name STRING, id BIGINT NOT NULL' >/dev/null
floe load wide.t rows.parquet >/dev/null
assert_eq 2 "$(snapshot_count wide.t)" "the Parquet load is one snapshot"
assert_eq '{"qty":3,"price":1.50,"extra":null,"name":"a","id":1}
{"qty":null,"price":2.00,"extra":null,"name":null,"id":2}
{"qty":-7,"price":null,"extra":null,"name":"c","id":3}' "$("$FLOE" cat wide.t)" "widened, by name"

# what does not fit is refused by name; nothing is committed
floe load narrow.t /dev/null --format ndjson --schema 'id INT NOT NULL, name INT' >/dev/null
run_floe load narrow.t rows.parquet --unknown-fields ignore
assert_eq 1 "$RC" "a STRING column into INT fails"
assert_contains "$ERR" "rows.parquet: field name (id 2) is string in the file, the schema asks for int" "names the column and both types"
assert_eq 1 "$(snapshot_count narrow.t)" "nothing committed"
floe load req.t /dev/null --format ndjson --schema 'id INT NOT NULL, name STRING NOT NULL' >/dev/null
expect_fail 1 "rows.parquet: column price of the file is no column of the table (--unknown-fields ignore skips it)" load req.t rows.parquet
expect_fail 1 "rows.parquet: row 2: column name is NULL, and the column is NOT NULL" load req.t rows.parquet --unknown-fields ignore
assert_eq 1 "$(snapshot_count req.t)" "nothing committed"
expect_usage_fail "a Parquet file is read by position: give its path, not -" load req.t - --format parquet
printf 'not parquet' >junk.parquet
run_floe load copy.t junk.parquet
assert_eq 1 "$RC" "a file that is not Parquet fails"
assert_eq 1 "$(snapshot_count copy.t)" "nothing committed"
