#!/usr/bin/env bash
# 0031-duckdb-written-wide-decimals-read-identically: an Iceberg table whose Parquet files
# DuckDB wrote (DECIMAL(38,9) and DECIMAL(22,2) as 16-byte FIXED_LEN_BYTE_ARRAY,
# DECIMAL(12,2) as INT64, DECIMAL(4,1) as INT32, with DuckDB's statistics; three
# snapshots, one of 3000 rows), its metadata and manifests written by
# make_duckdb_table.mjs and registered in the SQL catalog, reads through floe cat
# exactly as DuckDB's read_parquet reads the files, value by value as text, and every
# --where of the spec (wide literals quoted and bare, BETWEEN, IS NULL, AND) selects
# the rows DuckDB's WHERE selects (check_duckdb_table.mjs).
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "interop: the sqlite3 shell is missing"; exit 1; }

node "$HERE/make_duckdb_table.mjs" "$T" foreign.decimals decimals >/dev/null
node "$HERE/check_duckdb_table.mjs" --floe "$FLOE" --data "$T" --table foreign.decimals --spec decimals
