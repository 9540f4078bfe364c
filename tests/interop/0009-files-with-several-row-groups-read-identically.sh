#!/usr/bin/env bash
# 0009-files-with-several-row-groups-read-identically: with the table property
# write.parquet.row-group-size-bytes set small (floe alter ... set-property), one data
# file holds several row groups, each with its own statistics; every type with nulls
# and the orders-like strings read the same through floe cat, DuckDB, hyparquet and
# icebird.
. "$(dirname "$0")/lib.sh"

node "$HERE/gen.mjs" strings 15000 > "$T/strings.ndjson"
schema=$(node "$HERE/gen.mjs" schema strings)
# create the table empty, make row groups small, then load: one file, many row groups
head -0 "$T/strings.ndjson" | "$FLOE" --data "$T" load it.rowgroups - --schema "$schema"
"$FLOE" --data "$T" alter it.rowgroups set-property write.parquet.row-group-size-bytes 262144
"$FLOE" --data "$T" load it.rowgroups "$T/strings.ndjson"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.rowgroups --codec ZSTD --rows 15000 \
  --min-row-groups 3
