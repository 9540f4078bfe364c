#!/usr/bin/env bash
# Every type, nulls (missing field, JSON null), unknown fields ignored, blank lines
# skipped: `floe load` then `floe cat` gives back every row with every value exactly;
# `floe tables` and `floe describe` show the table.
. "$(dirname "$0")/lib.sh"

cat >"$T/types.ndjson" <<'NDJSON'
{"id":1,"i":-7,"flag":true,"r":1.5,"d":2.25,"amount":"12.34","day":"2026-11-25","ts":"2026-11-25T15:04:39.123456Z","name":"alice","attrs":{"a":1,"b":[true,null]},"extra":"ignored"}
{"id":2,"i":2147483647,"flag":false,"r":-0.5,"d":1e300,"amount":-0.05,"day":"1969-12-31","ts":1764083079000000,"name":"bob \"the\" builder\n","attrs":"text"}

{"id":3}
{"id":4,"i":null,"amount":9999999999.99,"ts":"2026-11-25 15:04:39+01:00","name":"ünïcode ✓","attrs": [1, 2.50, "x"]}
{"attrs":{ "nested" : { "deep" : 0.1 } },"amount":0.1,"id":5,"d":0.1,"i":-2147483648,"day":"2000-02-29"}
NDJSON

schema='id BIGINT NOT NULL, i INT, flag BOOLEAN, r REAL, d DOUBLE, amount DECIMAL(12,2), day DATE, ts TIMESTAMP, name STRING, attrs JSON'
out=$(floe load bronze.all_types "$T/types.ndjson" --schema "$schema")
# the unknown field "extra" is ignored and counted (issue 11: it used to vanish silently)
[[ "$out" =~ ^loaded\ 5\ rows\ into\ bronze\.all_types\ \(snapshot\ [0-9]+,\ 1\ files\;\ 1\ unknown\ fields\ ignored\)$ ]] ||
  fail "load output: $out"

expected=$(cat <<'NDJSON'
{"id":1,"i":-7,"flag":true,"r":1.5,"d":2.25,"amount":12.34,"day":"2026-11-25","ts":"2026-11-25T15:04:39.123456Z","name":"alice","attrs":{"a":1,"b":[true,null]}}
{"id":2,"i":2147483647,"flag":false,"r":-0.5,"d":1e+300,"amount":-0.05,"day":"1969-12-31","ts":"2025-11-25T15:04:39Z","name":"bob \"the\" builder\n","attrs":"text"}
{"id":3,"i":null,"flag":null,"r":null,"d":null,"amount":null,"day":null,"ts":null,"name":null,"attrs":null}
{"id":4,"i":null,"flag":null,"r":null,"d":null,"amount":9999999999.99,"day":null,"ts":"2026-11-25T14:04:39Z","name":"ünïcode ✓","attrs":[1,2.50,"x"]}
{"id":5,"i":-2147483648,"flag":null,"r":null,"d":0.1,"amount":0.10,"day":"2000-02-29","ts":null,"name":null,"attrs":{"nested":{"deep":0.1}}}
NDJSON
)
actual=$(floe cat bronze.all_types | LC_ALL=C sort)
assert_eq "$expected" "$actual" "cat returns every row and value"

# projection and limit
actual=$(floe cat bronze.all_types --columns name,id --where "id <= 2" | LC_ALL=C sort)
assert_eq '{"name":"alice","id":1}
{"name":"bob \"the\" builder\n","id":2}' "$actual" "cat --columns name,id --where 'id <= 2'"
assert_eq 2 "$(floe cat bronze.all_types --limit 2 | wc -l)" "cat --limit 2 prints 2 rows"

# the listing
tables=$(floe tables)
[[ "$tables" =~ ^bronze\.all_types\ \ snapshots=1\ \ rows=5\ \ files=1\ \ bytes=[1-9][0-9]*$ ]] ||
  fail "floe tables: $tables"

# describe shows every column: field id, name, type, NOT NULL; and no partitioning
desc=$(floe describe bronze.all_types)
assert_eq "1 id BIGINT NOT NULL
2 i INT
3 flag BOOLEAN
4 r REAL
5 d DOUBLE
6 amount DECIMAL(12,2)
7 day DATE
8 ts TIMESTAMP
9 name STRING
10 attrs JSON" "$(awk '/^ +[0-9]+  /{$1=$1; print}' <<<"$desc")" "describe shows the schema"
assert_contains "$desc" "bronze.all_types" "describe names the table"
assert_contains "$desc" "(unpartitioned)" "describe shows no partitioning"
