#!/usr/bin/env bash
# 0010-foreign-tables-read-identically: every table of tests/interop/foreign/ (Iceberg
# tables written by Spark, PyIceberg, hyparquet-writer + icebird; v1 and v2 metadata,
# gzip metadata, files without field ids, partition columns left out of the files,
# schema evolution, position deletes) is copied to a scratch directory (so no path in
# its metadata names where it is), registered with `floe register`, and read by
# `floe cat` identically to an independent reader (check_foreign.mjs: icebird's Avro
# reader for the manifests, DuckDB's read_parquet for the rows), every snapshot, with
# --where on partition and data columns; the tables floe must refuse are refused with
# the construct's name. FOREIGN=name1,name2 runs only those.
set -euo pipefail
ROOT=${FLOE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
FLOE=${FLOE:-$ROOT/build/floe}
[[ -x $FLOE ]] || { echo "interop: no floe binary at $FLOE (set FLOE)"; exit 1; }
HERE=$ROOT/tests/interop
[[ -d $HERE/node_modules/@duckdb/node-api ]] || { echo "interop: npm readers missing: bash scripts/deps.sh --test"; exit 1; }
mkdir -p "${FLOE_TEST_TMP:-/tmp}"
T=$(mktemp -d "${FLOE_TEST_TMP:-/tmp}/interop-0010.XXXXXX")
trap 'rc=$?; if ((rc == 0)); then rm -rf "$T"; else echo "kept $T"; fi' EXIT

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
done
[[ -n ${FOREIGN:-} ]] || ((count >= 7)) || { echo "only $count foreign tables found"; exit 1; }
((failed == 0)) || { echo "$failed of $count foreign tables differ"; exit 1; }
echo "0010: $count foreign tables read identically"
