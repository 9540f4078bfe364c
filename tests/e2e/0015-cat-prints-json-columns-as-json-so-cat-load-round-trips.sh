#!/usr/bin/env bash
# cat prints a JSON column as the JSON value it holds (object, array, string, number,
# true/false, JSON null), not as a string of its text, so `floe cat A | floe load B`
# gives B exactly A's values: cat of both is byte-identical.
. "$(dirname "$0")/lib.sh"

schema='id BIGINT NOT NULL, name STRING, amount DECIMAL(12,2), ts TIMESTAMP, j JSON'
cat >"$T/in.ndjson" <<'NDJSON'
{"id":1,"name":"a","amount":1.50,"ts":"2026-11-25T15:04:39.123456Z","j":{"k":[1,2.50,"x"],"n":{"deep":null}}}
{"id":2,"name":"{\"not\":\"json\"}","amount":-3,"ts":null,"j":"just a string"}
{"id":3,"name":null,"amount":null,"j":-1.50e+300}
{"id":4,"name":"","amount":0.1,"j":[true,false,null]}
{"id":5,"j":null}
{"id":6,"j":"{\"looks\":\"like an object\"}"}
NDJSON
floe load bronze.a "$T/in.ndjson" --schema "$schema" >/dev/null
a=$(floe cat bronze.a | LC_ALL=C sort)
assert_eq '{"id":1,"name":"a","amount":1.50,"ts":"2026-11-25T15:04:39.123456Z","j":{"k":[1,2.50,"x"],"n":{"deep":null}}}
{"id":2,"name":"{\"not\":\"json\"}","amount":-3.00,"ts":null,"j":"just a string"}
{"id":3,"name":null,"amount":null,"ts":null,"j":-1.50e+300}
{"id":4,"name":"","amount":0.10,"ts":null,"j":[true,false,null]}
{"id":5,"name":null,"amount":null,"ts":null,"j":null}
{"id":6,"name":null,"amount":null,"ts":null,"j":"{\"looks\":\"like an object\"}"}' "$a" "cat prints JSON values"
"$FLOE" cat bronze.a | "$FLOE" load bronze.b - --schema "$schema" >/dev/null
assert_eq "$a" "$(floe cat bronze.b | LC_ALL=C sort)" "cat | load into a second table gives the same rows"
# and once more through B: a fixed point
"$FLOE" cat bronze.b | "$FLOE" load bronze.c - --schema "$schema" >/dev/null
assert_eq "$a" "$(floe cat bronze.c | LC_ALL=C sort)" "a second round trip"
# every line is JSON whose j is the loaded value (jq sees objects, not strings)
assert_eq 'array null number object string string' "$(floe cat bronze.b | jq -r '.j | type' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" "JSON types seen by jq"
