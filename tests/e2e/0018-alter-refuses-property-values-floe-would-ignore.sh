#!/usr/bin/env bash
# alter set-property checks every table property floe reads (table/append.c, table.c,
# maintain.c): a value floe would ignore or misread (codec lz5, size abc, 0 where 0
# means "default", a bool that is not true/false) exits 2 and changes nothing; the
# values floe uses are stored and used (the codec shows in the Parquet footer); a key
# floe does not read is stored with a warning when it looks like a misspelt one.
. "$(dirname "$0")/lib.sh"

printf '{"id":1}\n' | "$FLOE" load bronze.t - --schema 'id BIGINT' >/dev/null
meta() { sqlite3 "$FLOE_DATA/catalog.db" "SELECT metadata_location FROM iceberg_tables WHERE table_name = 't'"; }
before=$(meta)
refuse() { # KEY VALUE MESSAGE
  run_floe alter bronze.t set-property "$1" "$2"
  assert_eq 2 "$RC" "exit status of set-property $1 $2"
  assert_eq "floe: property $1: $3" "$(head -1 <<<"$ERR")" "message of set-property $1 $2"
  assert_contains "$ERR" "usage: floe alter TABLE" "usage after the message"
}
refuse write.parquet.compression-codec lz5 'floe writes zstd, snappy or uncompressed, found "lz5"'
refuse write.parquet.compression-codec gzip 'floe writes zstd, snappy or uncompressed, found "gzip"'
refuse write.target-file-size-bytes abc 'expected an integer from 1 to 9223372036854775807, found "abc"'
refuse write.target-file-size-bytes 0 'expected an integer from 1 to 9223372036854775807, found "0"'
refuse write.target-file-size-bytes 12MB 'expected an integer from 1 to 9223372036854775807, found "12MB"'
refuse write.target-file-size-bytes 99999999999999999999 'expected an integer from 1 to 9223372036854775807, found "99999999999999999999"'
refuse write.parquet.compression-level 23 'expected an integer from 1 to 22, found "23"'
refuse write.parquet.row-group-size-bytes -5 'expected an integer from 1 to 9223372036854775807, found "-5"'
refuse write.parquet.page-size-bytes 4294967296 'expected an integer from 1 to 2147483647, found "4294967296"'
refuse write.parquet.page-row-limit 0 'expected an integer from 1 to 2147483647, found "0"'
refuse write.parquet.dict-size-bytes "" 'expected an integer from 0 to 2147483647, found ""'
refuse write.format.default orc 'floe writes parquet only, found "orc"'
refuse write.metadata.previous-versions-max x 'expected an integer from 0 to 2147483647, found "x"'
refuse commit.manifest-merge.enabled yes 'expected true or false, found "yes"'
refuse commit.manifest.min-count-to-merge 1 'expected an integer from 2 to 2147483647, found "1"'
refuse history.expire.max-snapshot-age-ms 5d 'expected an integer from 0 to 9223372036854775807, found "5d"'
refuse history.expire.min-snapshots-to-keep 0 'expected an integer from 1 to 2147483647, found "0"'
assert_eq "$before" "$(meta)" "no refused value committed"

# values floe uses are stored, and used
assert_eq "altered bronze.t: set property write.parquet.compression-codec = snappy" \
  "$(floe alter bronze.t set-property write.parquet.compression-codec snappy)" "snappy accepted"
for kv in "write.target-file-size-bytes 1048576" "write.parquet.compression-level 9" \
  "commit.manifest-merge.enabled false" "history.expire.min-snapshots-to-keep 3" \
  "write.parquet.dict-size-bytes 0" "write.format.default parquet"; do
  floe alter bronze.t set-property $kv >/dev/null
done
# 5,000 rows: a chunk snappy shrinks (a 1-row chunk it cannot shrink by 10% is
# written UNCOMPRESSED, the codec being per chunk)
for i in $(seq 2 5001); do printf '{"id":%d}\n' $((i % 7)); done | "$FLOE" load bronze.t - >/dev/null
newest=$(ls -t "$FLOE_DATA"/warehouse/bronze/t/data/*.parquet | head -1)
DUCK="$FLOE_ROOT/tests/interop/node_modules/@duckdb/node-api"
[[ -d $DUCK ]] || fail "DuckDB's node package is missing: bash scripts/deps.sh --test"
cat >"$T/q.mjs" <<JS
import { DuckDBInstance } from '$DUCK/lib/index.js'
const con = await (await DuckDBInstance.create(':memory:')).connect()
const r = await con.runAndReadAll("SELECT DISTINCT compression FROM parquet_metadata('" + process.argv[2] + "')")
for (const row of r.getRowObjectsJS()) console.log(row.compression)
JS
assert_eq SNAPPY "$(node "$T/q.mjs" "$newest")" "the codec property is used (DuckDB reads the footer)"
desc=$(floe describe bronze.t)
assert_contains "$desc" "write.parquet.compression-codec = snappy" "codec stored"
assert_contains "$desc" "history.expire.min-snapshots-to-keep = 3" "min-snapshots stored"

# other engines' keys are kept; a likely typo of floe's warns
run_floe alter bronze.t set-property write.parquet.compresion-codec zstd
assert_eq 0 "$RC" "a key floe does not read is stored"
assert_eq "floe: warning: floe does not read property write.parquet.compresion-codec (see 'floe help alter')" "$ERR" "typo warning"
run_floe alter bronze.t set-property owner alice
assert_eq "0|" "$RC|$ERR" "a foreign key: no warning"
assert_contains "$(floe describe bronze.t)" "owner = alice" "foreign key stored"
