#!/usr/bin/env bash
# 0033-nested-struct-list-map-read-as-json-identically: an Iceberg table whose Parquet
# files DuckDB wrote with STRUCT, LIST, MAP and a list of structs holding a list (field
# ids on every nested field; nulls at every level: a null struct and a struct of nulls,
# a null list and an empty list, null elements, an empty map; 3005 rows in two files)
# reads through floe cat as JSON values equal to DuckDB's to_json of the same files, row
# by row; describe names them STRUCT/LIST/MAP (JSON); --where IS NULL on a nested column
# and on others selects DuckDB's rows; a
# write into the table (load, compact) is refused by name and leaves it as it was.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "interop: the sqlite3 shell is missing"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }

node "$HERE/make_duckdb_table.mjs" "$T" foreign.nested nested >/dev/null
node "$HERE/check_duckdb_table.mjs" --floe "$FLOE" --data "$T" --table foreign.nested --spec nested

# the exact text of the edge rows (JSON values; a decimal keeps its scale)
want='{"id":3,"s":{"a":null,"b":null},"l":[],"m":{},"ls":[]}
{"id":4,"s":{"a":-7,"b":"say \"hi\"\n"},"l":[null,4,null],"m":{"n":null},"ls":[null,{"x":null,"ys":[]},{"x":-0.50,"ys":null}]}'
got=$("$FLOE" --data "$T" cat foreign.nested --where "id IN (3, 4)")
[[ $got == "$want" ]] || fail "cat: $got"
[[ $("$FLOE" --data "$T" cat foreign.nested --where "id = 2") == '{"id":2,"s":null,"l":null,"m":null,"ls":null}' ]] || fail "null row"

desc=$("$FLOE" --data "$T" describe foreign.nested)
for want in ' s  *STRUCT (JSON)' ' l  *LIST (JSON)' ' m  *MAP (JSON)'; do grep -q "$want" <<<"$desc" || fail "describe: $desc"; done

printf '%s\n' '{"id":100}' >"$T/one.ndjson"
if "$FLOE" --data "$T" load foreign.nested "$T/one.ndjson" 2>"$T/err"; then fail "load into a nested table"; fi
grep -q 'column s is a struct, list or map (of a table written elsewhere): floe reads it but does not write it yet' "$T/err" || fail "refusal: $(cat "$T/err")"
if "$FLOE" --data "$T" compact foreign.nested 2>"$T/err"; then fail "compact of a nested table"; fi
grep -q 'floe reads it but does not write it yet' "$T/err" || fail "refusal: $(cat "$T/err")"
node "$HERE/check_duckdb_table.mjs" --floe "$FLOE" --data "$T" --table foreign.nested --spec nested
echo "0033: nested columns read as JSON identically"
