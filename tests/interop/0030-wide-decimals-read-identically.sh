#!/usr/bin/env bash
# 0030-wide-decimals-read-identically: DECIMAL(38,9), DECIMAL(22,2) and DECIMAL(38,0)
# (128-bit, Parquet FIXED_LEN_BYTE_ARRAY of 16 and 10 bytes) beside a DECIMAL(12,2), with
# values at ±(10^38 - 1), around 2^63 and 2^64, 10^-9 and exponent forms, written by
# `floe load` (zstd, two loads; snappy; partitioned by identity, truncate and bucket of
# the wide columns) read the same through floe cat, DuckDB (exact text), hyparquet and
# icebird (they decode decimals to JS numbers: compared at 15 significant digits when
# the precision is higher); manifest bounds and Parquet statistics are compared exactly.
. "$(dirname "$0")/lib.sh"

SCHEMA="id BIGINT NOT NULL, w DECIMAL(38,9), v DECIMAL(22,2), m DECIMAL(12,2), p DECIMAL(38,0)"
IN=$HERE/data/decimals38.ndjson
N=$(grep -c . "$IN")

# the values floe prints are the exact texts (the other readers are compared to these)
out=$("$FLOE" --data "$T" load it.dec "$IN" --schema "$SCHEMA")
[[ $out == "loaded $N rows into it.dec "* ]] || { echo "load: $out"; exit 1; }
line=$("$FLOE" --data "$T" cat it.dec --where "id = 8")
want='{"id":8,"w":150000000000000000000.000000000,"v":-0.01,"m":1230.00,"p":-9223372036854775808}'
[[ $line == "$want" ]] || { echo "cat: $line"; echo "want $want"; exit 1; }

"$FLOE" --data "$T" load it.dec "$IN"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.dec --codec ZSTD --rows $((2 * N)) --history

"$FLOE" --data "$T" load it.dec_snappy "$IN" --schema "$SCHEMA" --codec snappy
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.dec_snappy --codec SNAPPY --rows "$N"

"$FLOE" --data "$T" load it.dec_ident "$IN" --schema "$SCHEMA" --partition "v"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.dec_ident --codec ZSTD --rows "$N" --min-files 8

"$FLOE" --data "$T" load it.dec_trunc "$IN" --schema "$SCHEMA" --partition "truncate(w, 1000), bucket(4, p)"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.dec_trunc --codec ZSTD --rows "$N"
