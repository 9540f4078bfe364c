#!/usr/bin/env bash
# 0032-time-uuid-binary-fixed-read-and-write-identically: Iceberg time, uuid, binary and
# fixed[4] columns. A table whose Parquet files DuckDB wrote (TIME(MICROS) INT64, UUID
# as a 16-byte FIXED_LEN_BYTE_ARRAY with the UUID logical type, BLOB as an unannotated
# BYTE_ARRAY; edge values, nulls, a 2000-row file) reads through floe cat as DuckDB reads
# it, every --where on them selects DuckDB's rows; rows appended with floe load (TIME text,
# canonical UUIDs in either case, "\\x..." hex bytes) are written in the same Parquet
# types and read back by DuckDB identically; a fixed[4] table filled by floe load reads
# back through DuckDB as the same bytes, and a value of the wrong length is refused.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "interop: the sqlite3 shell is missing"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }

node "$HERE/make_duckdb_table.mjs" "$T" foreign.types types >/dev/null
node "$HERE/check_duckdb_table.mjs" --floe "$FLOE" --data "$T" --table foreign.types --spec types

# the printed forms
line=$("$FLOE" --data "$T" cat foreign.types --where "id = 2")
[[ $line == '{"id":2,"t":"23:59:59.999999","u":"ffffffff-ffff-ffff-ffff-ffffffffffff","b":"\\x00ff7f"}' ]] || fail "cat: $line"

# floe appends: its file holds the same Parquet types, DuckDB reads it as floe does
printf '%s\n' '{"id":100,"t":"13:14:15.123456","u":"F0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11","b":"\\xdeadbeef"}' \
  '{"id":101,"t":null,"u":null,"b":"\\x"}' '{"id":102,"t":"00:00:00.001","u":"00000000-0000-0000-0000-000000000001","b":null}' >"$T/more.ndjson"
"$FLOE" --data "$T" load foreign.types "$T/more.ndjson" >/dev/null
node "$HERE/check_duckdb_table.mjs" --floe "$FLOE" --data "$T" --table foreign.types --spec types
# TIME prunes: floe's file by its manifest bounds, DuckDB's 2000-row file by its statistics
stats=$("$FLOE" --data "$T" cat foreign.types --where "t > '23:00:00'" --stats 2>&1 >/dev/null)
[[ $stats == *"files_pruned_bounds=1 "* && $stats == *"row_groups_pruned=1 "* ]] || fail "pruning: $stats"
printf '%s\n' '{"id":103,"t":"24:00:00"}' >"$T/bad.ndjson"
if "$FLOE" --data "$T" load foreign.types "$T/bad.ndjson" 2>"$T/err"; then fail "24:00:00 loaded"; fi
grep -q 'field t: expected TIME, found "24:00:00"' "$T/err" || fail "refusal: $(cat "$T/err")"

node "$HERE/make_duckdb_table.mjs" "$T" foreign.fixed fixed >/dev/null
printf '%s\n' '{"id":1,"f":"\\x00000000"}' '{"id":2,"f":"\\xFFFFFFFF"}' '{"id":3,"f":null}' '{"id":4,"f":"\\x7fffffff"}' \
  '{"id":5,"f":"\\x80000000"}' >"$T/fixed.ndjson"
"$FLOE" --data "$T" load foreign.fixed "$T/fixed.ndjson" >/dev/null
node "$HERE/check_duckdb_table.mjs" --floe "$FLOE" --data "$T" --table foreign.fixed --spec fixed
printf '%s\n' '{"id":6,"f":"\\x0102"}' >"$T/short.ndjson"
if "$FLOE" --data "$T" load foreign.fixed "$T/short.ndjson" 2>"$T/err"; then fail "a 2-byte fixed[4] loaded"; fi
grep -q 'field f: expected FIXED(4), found "\\\\x0102"' "$T/err" || fail "refusal: $(cat "$T/err")"
echo "0032: time, uuid, binary and fixed read and written identically"
