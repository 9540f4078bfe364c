#!/usr/bin/env bash
# DECIMAL values are taken from the number's literal text, never through a double
# (0.1, 1.2e1, 9999999999999.99 with 15+ digits); JSON columns store the literal text
# compacted (strings with escaped quotes and braces kept intact; the events API's
# parser, which floe load shares since issue 11); keys with \u escapes
# match their column; CRLF line ends and a last line without a newline are fine;
# --where quoting ('' in strings, "Quoted" columns) and --where on a column that
# --columns leaves out.
. "$(dirname "$0")/lib.sh"

schema='id INT NOT NULL, amount DECIMAL(18,2), name STRING, attrs JSON'
printf '%s\r\n' \
  '{"id":1,"amount":1.2e1,"attrs":{"k":"a \"}\" b", "n" : [ 1 , {} ] }}' \
  '{"id":2,"am\u006funt":"-3","na\u006de":"caf\u00e9 \ud83d\ude00 it'"'"'s","attrs":"x y"}' \
  '{"id":3,"amount":9999999999999999.99,"attrs":-0.0e5}' >"$T/x.ndjson"
printf '%s' '{"id":4,"amount":0.1,"attrs":null}' >>"$T/x.ndjson"

out=$(floe load bronze.x "$T/x.ndjson" --schema "$schema")
[[ "$out" == "loaded 4 rows into bronze.x "* ]] || fail "load output: $out"
expected=$(cat <<'NDJSON'
{"id":1,"amount":12.00,"name":null,"attrs":{"k":"a \"}\" b","n":[1,{}]}}
{"id":2,"amount":-3.00,"name":"café 😀 it's","attrs":"x y"}
{"id":3,"amount":9999999999999999.99,"name":null,"attrs":-0.0e5}
{"id":4,"amount":0.10,"name":null,"attrs":null}
NDJSON
)
assert_eq "$expected" "$(floe cat bronze.x | LC_ALL=C sort)" "literal texts kept"

assert_eq '{"id":2}' "$(floe cat bronze.x --where "name = 'café 😀 it''s'" --columns id)" "'' in a --where string"
assert_eq '{"id":2}' "$(floe cat bronze.x --where '"amount" < 0' --columns id)" "quoted column, filtered column not printed"
assert_eq '{"name":null,"id":4}' "$(floe cat bronze.x --where 'amount <= 0.1' --where 'amount > 0' --columns name,id)" \
  "two predicates on a column left out of --columns"

expect_usage_fail "--where \"amount = 'abc'\": 'abc' is not a DECIMAL(18,2) (column amount)" cat bronze.x --where "amount = 'abc'"
expect_usage_fail '--where "nope = 1": no column nope' cat bronze.x --where "nope = 1"
expect_usage_fail '--where "id": not a condition but a value of type INT: compare it, e.g. "id = 1", "id IN (1, 2)", "id IS NULL"' \
  cat bronze.x --where "id"
expect_usage_fail '--columns: no column nope' cat bronze.x --columns id,nope
