#!/usr/bin/env bash
# 0004-evolved-schema-reads-identically: a table written, then evolved with
# `floe alter` (add a column, rename one, widen INT->BIGINT, REAL->DOUBLE,
# DECIMAL(12,2)->DECIMAL(14,2)), then written again, holds files of two schemas;
# floe cat, DuckDB (reading by field id into the current schema), hyparquet (each file
# in its own schema) and icebird (mapping renames through the files' iceberg.schema)
# all read the same rows: old files show the added column as null and the renamed
# column's data under its new name, widened values unchanged.
. "$(dirname "$0")/lib.sh"

SCHEMA="id BIGINT NOT NULL, b BOOLEAN, i INT, l BIGINT, r REAL, d DOUBLE, m DECIMAL(12,2), dt DATE, ts TIMESTAMP, s STRING, j JSON"
IN=$HERE/data/types.ndjson
N=$(grep -c . "$IN")

# unpartitioned, and partitioned by the column that gets renamed
"$FLOE" --data "$T" load it.evolved "$IN" --schema "$SCHEMA"
"$FLOE" --data "$T" load it.evolved_part "$IN" --schema "$SCHEMA" --partition "s"
for t in it.evolved it.evolved_part; do
  "$FLOE" --data "$T" alter $t add-column extra STRING
  "$FLOE" --data "$T" alter $t rename-column s s_renamed
  "$FLOE" --data "$T" alter $t widen-column i BIGINT
  "$FLOE" --data "$T" alter $t widen-column r DOUBLE
  "$FLOE" --data "$T" alter $t widen-column m "DECIMAL(14,2)"
done

# the same rows under the new names, with the new column filled and wider values
# (sed, not JSON.parse: BIGINT values past 2^53 must keep every digit)
sed -e 's/"s": /"s_renamed": /' -e 's/"id": \([0-9]*\)/"id": 10\1/' -e 's/}$/, "extra": "x"}/' \
  -e 's/"i": 7,/"i": 4000000000,/' -e 's/"m": 12,/"m": "123456789012.34",/' \
  "$IN" > "$T/evolved.ndjson"
"$FLOE" --data "$T" load it.evolved "$T/evolved.ndjson"
"$FLOE" --data "$T" load it.evolved_part "$T/evolved.ndjson"

node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.evolved --json j --codec ZSTD --rows $((2 * N))
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.evolved_part --json j --codec ZSTD --rows $((2 * N))
