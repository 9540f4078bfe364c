#!/usr/bin/env bash
# 0011-files-without-field-ids-read-through-the-name-mapping: make_foreign.mjs builds,
# with hyparquet-writer (not floe), Parquet files without field ids whose columns stand
# in another order than the schema ([amount, name, id]; [name, region, id, amount];
# [id, amt, name] with "amt" an old name of amount), the partition column region in
# one file and not in the others, plus icebird-written manifests, a position delete
# file and v2 metadata with schema.name-mapping.default. floe reads every value in its
# column (checked here on chosen rows, then value by value against DuckDB by
# check_foreign.mjs); the same files without a mapping (v1, gzip metadata) are refused.
. "$(dirname "$0")/lib.sh"
[[ -d $HERE/node_modules/hyparquet-writer ]] || { echo "interop: npm readers missing: bash scripts/deps.sh --test"; exit 1; }

node "$HERE/make_foreign.mjs" "$T/gen" > /dev/null
cp "$HERE/foreign/hyparquet_no_field_ids/floe-test.json" "$T/gen/hyparquet_no_field_ids/"
cp "$HERE/foreign/hyparquet_no_mapping/floe-test.json" "$T/gen/hyparquet_no_mapping/"
"$FLOE" --data "$T/data" register sales.mapped "$T/gen/hyparquet_no_field_ids/metadata/v1.metadata.json" > /dev/null
"$FLOE" --data "$T/data" register sales.unmapped "$T/gen/hyparquet_no_mapping/metadata/00001-gzip.gz.metadata.json" > /dev/null

got=$("$FLOE" --data "$T/data" cat sales.mapped --where "id IN (1, 4, 5, 9)" | sort)
want='{"id":4,"name":"dee","region":"eu","amount":1e+20}
{"id":5,"name":"eve","region":"us","amount":0}
{"id":9,"name":"ida","region":"eu","amount":8}'
[[ $got == "$want" ]] || { printf 'rows differ:\n%s\nwanted:\n%s\n' "$got" "$want"; exit 1; }

node "$HERE/check_foreign.mjs" --floe "$FLOE" --data "$T/data" --table sales.mapped --dir "$T/gen/hyparquet_no_field_ids"
node "$HERE/check_foreign.mjs" --floe "$FLOE" --data "$T/data" --table sales.unmapped --dir "$T/gen/hyparquet_no_mapping"
echo "0011: files without field ids read through the name mapping, refused without one"
