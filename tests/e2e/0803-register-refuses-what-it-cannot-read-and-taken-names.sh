#!/usr/bin/env bash
# `floe register` reads the metadata file before the catalog changes: a missing file,
# a file that is not Iceberg metadata, or a name already taken exits 1 and registers
# nothing; a registered format v1 table (old "schema" / "partition-spec" keys, gzip
# *.gz.metadata.json) is read, and writes to it are refused naming the format. The
# command line without a location exits 2 with the usage.
. "$(dirname "$0")/lib.sh"

echo '{"a":1}' | floe load db.mine - --schema "a BIGINT" >/dev/null
expect_fail 1 "metadata file $T/nope.metadata.json: No such file or directory" register db.x "$T/nope.metadata.json"
echo 'not json' >"$T/bad.metadata.json"
run_floe register db.x "$T/bad.metadata.json"
assert_eq 1 "$RC" "exit status of register of a file that is not JSON"
assert_contains "$ERR" "floe: $T/bad.metadata.json: table metadata line 1:" "message of register of a file that is not JSON"
MINE=$(cd "$FLOE_DATA/warehouse/db/mine/metadata" && ls 0000*.metadata.json | tail -1)
expect_fail 1 "catalog floe: table db.mine already exists" register db.mine "$FLOE_DATA/warehouse/db/mine/metadata/$MINE"
assert_eq "db.mine" "$("$FLOE" tables | awk '{print $1}')" "tables after the refused registrations"
expect_usage_fail "which metadata file? give METADATA_LOCATION" register db.x

# format v1 tables of the interop corpus (tests/interop/foreign/README.md): Spark's
# with inline manifests, and one with gzip metadata (its file has no field ids: refused)
cp -r "$FLOE_ROOT/tests/interop/foreign/duckdb_spark_v1_legacy" "$T/legacy"
floe register db.legacy "$T/legacy/metadata/v2.metadata.json" >/dev/null
assert_eq '{"id":1,"category":"alpha","amount":10}
{"id":2,"category":"beta","amount":20}
{"id":3,"category":"alpha","amount":null}' "$(floe cat db.legacy | sort)" "rows of the v1 table (as DuckDB reads its files)"
run_floe load db.legacy - <<<'{"id":4,"category":"beta","amount":1}'
assert_eq 1 "$RC" "exit status of a load into a v1 table"
assert_eq "floe: table db.legacy is an Iceberg format v1 table: floe reads it, and writes only v2 tables" "$ERR" \
  "message of a load into a v1 table"
cp -r "$FLOE_ROOT/tests/interop/foreign/hyparquet_no_mapping" "$T/gz"
floe register db.gz "$T/gz/metadata/00001-gzip.gz.metadata.json" >/dev/null
run_floe cat db.gz
assert_eq 1 "$RC" "exit status of cat of a file without field ids and no name mapping"
assert_contains "$ERR" "data file file:/home/someone-else/warehouse/sales/hyparquet_no_mapping/data/region=eu/00000-eu-a.parquet has no Parquet field ids and the table no schema.name-mapping.default: column amount cannot be matched to the schema" \
  "message of cat of a file without field ids and no name mapping"

# a Hadoop-style directory whose version hint names gzip metadata (vN.gz.metadata.json)
mv "$T/gz/metadata/00001-gzip.gz.metadata.json" "$T/gz/metadata/v3.gz.metadata.json"
echo 3 >"$T/gz/metadata/version-hint.text"
run_floe register db.gz_dir "$T/gz"
assert_eq 0 "$RC" "exit status of register of a directory with gzip metadata: $ERR"
assert_eq "registered db.gz_dir: file://$T/gz/metadata/v3.gz.metadata.json (1 snapshot)" "$OUT" \
  "register of a directory whose hint names gzip metadata"

# a v1 table with two partition specs whose snapshot lists its manifests inline: each
# manifest's spec is the one its Avro header names (partition-spec-id), so the identity
# partition values still come out right
cp -r "$FLOE_ROOT/tests/interop/foreign/duckdb_spark_v1_legacy" "$T/legacy2"
sed -i 's/"last-partition-id": 1000,/"partition-specs": [{"spec-id": 0, "fields": [{"name": "category", "transform": "identity", "source-id": 2, "field-id": 1000}]}, {"spec-id": 1, "fields": []}], "default-spec-id": 1, "last-partition-id": 1000,/' \
  "$T/legacy2/metadata/v2.metadata.json"
grep -q '"default-spec-id": 1' "$T/legacy2/metadata/v2.metadata.json" || fail "metadata not edited"
floe register db.legacy2 "$T/legacy2/metadata/v2.metadata.json" >/dev/null
assert_eq "$(floe cat db.legacy | sort)" "$(floe cat db.legacy2 | sort)" "rows of the v1 table with two specs"
assert_eq '{"id":2,"category":"beta","amount":20}' "$(floe cat db.legacy2 --where "category = 'beta'")" \
  "--where on the partition column of the v1 table with two specs"
