#!/usr/bin/env bash
# 0008-many-commits-with-merged-manifests-read-identically: 105 small appends to one
# table partitioned by tenant_id (2 tenants) pass commit.manifest.min-count-to-merge (100), so floe merges
# manifests: the merged manifest carries EXISTING entries with explicit sequence
# numbers (icebird throws on a null one) that keep their original data sequence
# numbers; floe cat, DuckDB, hyparquet and icebird read the same table, now and at
# older snapshots sampled through the history.
. "$(dirname "$0")/lib.sh"

node "$HERE/gen.mjs" orders 2100 2 2 > "$T/orders.ndjson"
split -l 20 -d -a 3 "$T/orders.ndjson" "$T/part."
SCHEMA=$(node "$HERE/gen.mjs" schema orders)
n=0
for f in "$T"/part.*; do
  "$FLOE" --data "$T" load bronze.orders "$f" --schema "$SCHEMA" --partition "tenant_id" >/dev/null
  n=$((n + 1))
  # keep every snapshot for the history check (commits expire all but 100 by default)
  if ((n == 1)); then "$FLOE" --data "$T" alter bronze.orders set-property history.expire.max-snapshots 1000 >/dev/null; fi
done
((n == 105)) || { echo "expected 105 loads, made $n"; exit 1; }
"$FLOE" --data "$T" delete bronze.orders --where "event_type = 'order_cancelled'" >/dev/null
GONE=$(grep -c '"event_type":"order_cancelled"' "$T/orders.ndjson")
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table bronze.orders --json attributes --codec ZSTD \
  --rows $((2100 - GONE)) --deleted "$GONE" --history --manifests-max 99
node "$HERE/check_deletes.mjs" --data "$T" --table bronze.orders
