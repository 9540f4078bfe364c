#!/usr/bin/env bash
# 0020-foreign-equality-deletes-and-deletion-vectors-read-identically: tables written
# outside floe (ideletes/make_tables.mjs: hyparquet-writer Parquet, Avro manifests and
# Puffin files written from the Iceberg spec) read by `floe cat` exactly as a reader
# that shares no code with floe (icebird's Avro decoder for manifests, DuckDB and
# hyparquet for Parquet, the spec's delete rules in JS: ideletes/check_foreign.mjs),
# every snapshot, value by value, with --where on partition and data columns:
#   it.upsert  equality deletes as Flink's upsert sink commits them, a position delete
#              of a key written twice in one checkpoint, an equality delete on another
#              column with NULL keys, one written before a rename and a new column;
#   it.region  an equality delete scoped to its partition, one from an unpartitioned
#              spec that applies everywhere;
#   it.dv3     format v3: deletion vectors (Puffin; run and bitmap containers; one
#              replaced by a later one), a timestamptz_ns column with nanosecond digits.
# Then: floe delete adds position deletes for live rows only (id 7 is already gone by
# an equality delete); floe compact applies the equality deletes of it.upsert (same
# rows after, no delete file left) and refuses it.region's unpartitioned-spec delete by name; every
# write to the v3 table is refused with its format version, changing nothing. Last,
# it.dv3 and it.region moved elsewhere and registered read the same (deletion vectors
# and equality delete files found under the new place).
. "$(dirname "$0")/lib.sh"
D=$T/data

node "$HERE/ideletes/make_tables.mjs" "$D"
check() { node "$HERE/ideletes/check_foreign.mjs" --floe "$FLOE" --data "$D" "$@"; }
check --table it.upsert --rows 184 --where "name IS NULL OR amount < 100" --keep 'r => r.name === null || (r.amount !== null && r.amount < 100)'
check --table it.region --rows 96 --where "region = 'b' AND id < 10" --keep "r => r.region === 'b' && r.id < 10"
check --table it.dv3 --rows 5049 --where "id >= 90 AND id < 110" --keep 'r => r.id >= 90 && r.id < 110'

# floe delete on a table holding equality deletes: position deletes of live rows only
"$FLOE" --data "$D" delete it.upsert --where "id = 401 OR id = 8 OR id = 7" | grep -q 'deleted 2 rows' \
  || { echo "FAIL: delete it.upsert"; exit 1; }
check --table it.upsert --rows 182
# compaction applies the equality deletes and drops them
"$FLOE" --data "$D" compact it.upsert | grep -q '5 delete files -> 1 data files, 182 rows' \
  || { echo "FAIL: compact it.upsert"; exit 1; }
check --table it.upsert --rows 182
n=$("$FLOE" --data "$D" cat it.upsert | grep -c '"id":7,' || true)
[[ $n == 0 ]] || { echo "FAIL: id 7 back after compaction ($n)"; exit 1; }
if out=$("$FLOE" --data "$D" compact it.region 2>&1); then echo "FAIL: compact it.region: $out"; exit 1; fi
grep -q 'partition spec 0' <<<"$out" || { echo "FAIL: compact it.region said: $out"; exit 1; }

# the v3 table takes no write, and stays as it was
before=$(cat "$D/warehouse/it/dv3/metadata/version-hint.text")
echo '{"id": 1, "s": "x"}' > "$T/one.ndjson"
for cmd in "load it.dv3 $T/one.ndjson" "delete it.dv3 --where id=1" "compact it.dv3" "expire it.dv3"; do
  # shellcheck disable=SC2086
  if out=$("$FLOE" --data "$D" $cmd 2>&1); then echo "FAIL: floe $cmd accepted: $out"; exit 1; fi
  grep -q 'format-version 3 is read-only' <<<"$out" || { echo "FAIL: floe $cmd said: $out"; exit 1; }
done
[[ $(sqlite3 "$D/catalog.db" "SELECT metadata_location FROM iceberg_tables WHERE table_name = 'dv3'") == *"/v$before.metadata.json" ]] \
  || { echo "FAIL: the v3 table's catalog pointer moved"; exit 1; }
check --table it.dv3 --rows 5049

# moved tables: it.dv3 and it.region moved away from their metadata's location and
# registered where they are: deletion vectors and equality delete files are found
# under the new place (nothing is left at the old one)
mkdir -p "$T/moved"
for t in dv3 region; do
  v=$(cat "$D/warehouse/it/$t/metadata/version-hint.text")
  mv "$D/warehouse/it/$t" "$T/moved/$t"
  "$FLOE" --data "$T/m" register "moved.$t" "$T/moved/$t/metadata/v$v.metadata.json" > /dev/null
done
node "$HERE/ideletes/check_foreign.mjs" --floe "$FLOE" --data "$T/m" --table moved.dv3 --rows 5049 \
  --dir "$T/moved/dv3" --metadata "metadata/v$(cat "$T/moved/dv3/metadata/version-hint.text").metadata.json"
node "$HERE/ideletes/check_foreign.mjs" --floe "$FLOE" --data "$T/m" --table moved.region --rows 96 \
  --dir "$T/moved/region" --metadata "metadata/v$(cat "$T/moved/region/metadata/version-hint.text").metadata.json"
echo "PASS: 0020"
