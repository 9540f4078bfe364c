#!/usr/bin/env bash
# 0001-every-type-reads-identically: a table with one column of every floe type
# (BOOLEAN, INT, BIGINT, REAL, DOUBLE, DECIMAL(12,2), DATE, TIMESTAMP, STRING, JSON),
# edge values (type bounds, 2^53+1, -0.0, denormals, pre-1970 and far dates, micros,
# unicode and escapes, JSON of every kind) and nulls in every nullable column,
# written by `floe load` with zstd and with snappy, reads the same through floe cat,
# DuckDB, hyparquet and icebird (check_table.mjs lists every check).
. "$(dirname "$0")/lib.sh"

SCHEMA="id BIGINT NOT NULL, b BOOLEAN, i INT, l BIGINT, r REAL, d DOUBLE, m DECIMAL(12,2), dt DATE, ts TIMESTAMP, s STRING, j JSON"
IN=$HERE/data/types.ndjson
N=$(grep -c . "$IN")

# zstd (the default), two loads: two snapshots, two data files
"$FLOE" --data "$T" load it.types "$IN" --schema "$SCHEMA"
"$FLOE" --data "$T" load it.types "$IN" --schema "$SCHEMA"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.types --json j --codec ZSTD --rows $((2 * N)) --history

# snappy
"$FLOE" --data "$T" load it.types_snappy "$IN" --schema "$SCHEMA" --codec snappy
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.types_snappy --json j --codec SNAPPY --rows "$N"

# uncompressed
"$FLOE" --data "$T" load it.types_none "$IN" --schema "$SCHEMA" --codec none
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.types_none --json j --codec UNCOMPRESSED --rows "$N"
