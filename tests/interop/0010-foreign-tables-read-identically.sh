#!/usr/bin/env bash
# 0010-foreign-tables-read-identically: every table of tests/interop/foreign/ (Iceberg
# tables written by Spark, PyIceberg, hyparquet-writer + icebird; v1 and v2 metadata,
# gzip metadata, files without field ids, partition columns left out of the files,
# schema evolution, position deletes) is copied to a scratch directory (so no path in
# its metadata names where it is), registered with `floe register`, and read by
# `floe cat` identically to an independent reader (check_foreign.mjs: icebird's Avro
# reader for the manifests, DuckDB's read_parquet for the rows), every snapshot, with
# --where on partition and data columns (equality deletes applied by both); the tables
# floe must refuse are refused with the construct's name. A floe-test.json's "also"
# lists more metadata files of the same directory, each read the same way (a v3-upgraded
# metadata over v1 manifests). FOREIGN=name1,name2 runs only those.
. "$(dirname "$0")/lib.sh"

failed=0
count=0
for src in "$HERE"/foreign/*/; do
  name=$(basename "$src")
  [[ -f $src/floe-test.json ]] || continue
  if [[ -n ${FOREIGN:-} && ,$FOREIGN, != *,$name,* ]]; then continue; fi
  cp -r "$src" "$T/$name"
  meta=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).metadata)' "$T/$name/floe-test.json")
  "$FLOE" --data "$T/data" register "foreign.$name" "$T/$name/$meta" > /dev/null
  node "$HERE/check_foreign.mjs" --floe "$FLOE" --data "$T/data" --table "foreign.$name" --dir "$T/$name" || failed=$((failed + 1))
  count=$((count + 1))
  # "also": other metadata files of the same table directory, each registered and read too
  k=0
  while read -r more; do
    [[ -n $more ]] || continue
    k=$((k + 1))
    "$FLOE" --data "$T/data" register "foreign.${name}_$k" "$T/$name/$more" > /dev/null
    node "$HERE/check_foreign.mjs" --floe "$FLOE" --data "$T/data" --table "foreign.${name}_$k" --dir "$T/$name" \
      --metadata "$more" || failed=$((failed + 1))
    count=$((count + 1))
  done < <(node -e 'for (const m of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).also ?? []) console.log(m)' "$T/$name/floe-test.json")
done

# Tables the other interop writers make at test time, read by this harness too (so by
# two independent readers): DuckDB-written tables of make_duckdb_table.mjs --corpus
# (decimals: DECIMAL(38,9) and DECIMAL(22,2) as 16-byte FIXED_LEN_BYTE_ARRAY, INT64 and
# INT32 decimals; types: TIME, UUID, BLOB as Iceberg time, uuid, binary; its nested
# table is 0033's: this harness has no DuckDB type for nested fields) and ideletes'
# equality delete tables it.upsert and it.region (ideletes/make_tables.mjs; its v3
# it.dv3 is 0020's: this harness reads no deletion vectors). FOREIGN=duckdb_decimals,
# duckdb_types or ideletes selects them.
for spec in decimals types; do
  [[ -z ${FOREIGN:-} || ,$FOREIGN, == *,duckdb_$spec,* ]] || continue
  node "$HERE/make_duckdb_table.mjs" --corpus "$T/made" $spec > /dev/null
  d=$T/made/duckdb_$spec
  meta=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).metadata)' "$d/floe-test.json")
  "$FLOE" --data "$T/data" register "foreign.duckdb_$spec" "$d/$meta" > /dev/null
  node "$HERE/check_foreign.mjs" --floe "$FLOE" --data "$T/data" --table "foreign.duckdb_$spec" --dir "$d" \
    || failed=$((failed + 1))
  count=$((count + 1))
done
if [[ -z ${FOREIGN:-} || ,$FOREIGN, == *,ideletes,* ]]; then
  node "$HERE/ideletes/make_tables.mjs" "$T/ideletes" > /dev/null
  for t in upsert region; do
    d=$T/ideletes/warehouse/it/$t
    node "$HERE/check_foreign.mjs" --floe "$FLOE" --data "$T/ideletes" --table "it.$t" --dir "$d" \
      --metadata "metadata/v$(cat "$d/metadata/version-hint.text").metadata.json" || failed=$((failed + 1))
    count=$((count + 1))
  done
fi
[[ -n ${FOREIGN:-} ]] || ((count >= 7)) || { echo "only $count foreign tables found"; exit 1; }
((failed == 0)) || { echo "$failed of $count foreign tables differ"; exit 1; }
echo "0010: $count foreign tables read identically"
