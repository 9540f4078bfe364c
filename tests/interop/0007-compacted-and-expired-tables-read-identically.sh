#!/usr/bin/env bash
# 0007-compacted-and-expired-tables-read-identically: `floe compact` (live rows
# rewritten into fewer files, position deletes folded in, one replace snapshot
# whose manifests carry DELETED/EXISTING entries) and `floe expire` (old snapshots
# and the files only they reached removed) leave tables that floe cat, DuckDB,
# hyparquet and icebird read the same: before expiry every older snapshot too
# (icebird reads manifests with explicit sequence numbers on non-ADDED entries),
# after it no Parquet file is left outside the snapshot.
. "$(dirname "$0")/lib.sh"

# partitioned orders: three loads, two deletes, compact, expire
node "$HERE/gen.mjs" orders 6000 4 2 > "$T/orders.ndjson"
SCHEMA=$(node "$HERE/gen.mjs" schema orders)
for part in "1,2000p" "2001,4000p" "4001,6000p"; do
  sed -n "$part" "$T/orders.ndjson" > "$T/part.ndjson"
  "$FLOE" --data "$T" load bronze.orders "$T/part.ndjson" --schema "$SCHEMA" --partition "day(event_time), tenant_id"
done
"$FLOE" --data "$T" delete bronze.orders --where "event_type = 'order_cancelled'"
"$FLOE" --data "$T" delete bronze.orders --where "tenant_id = 't-01'"
GONE=$(node -e '
let n = 0
for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
  if (!l) continue
  const o = JSON.parse(l)
  if (o.event_type === "order_cancelled" || o.tenant_id === "t-01") n++
}
console.log(n)' "$T/orders.ndjson")
"$FLOE" --data "$T" compact bronze.orders
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table bronze.orders --json attributes --codec ZSTD \
  --rows $((6000 - GONE)) --deleted 0 --partition-dirs event_time_day,tenant_id --history
"$FLOE" --data "$T" expire bronze.orders --older-than 0 --retain-last 1 --orphans
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table bronze.orders --json attributes --codec ZSTD \
  --rows $((6000 - GONE)) --deleted 0 --partition-dirs event_time_day,tenant_id --no-orphans

# every type, unpartitioned: two loads, a delete in both files, compact, expire
SCHEMA="id BIGINT NOT NULL, b BOOLEAN, i INT, l BIGINT, r REAL, d DOUBLE, m DECIMAL(12,2), dt DATE, ts TIMESTAMP, s STRING, j JSON"
IN=$HERE/data/types.ndjson
N=$(grep -c . "$IN")
"$FLOE" --data "$T" load it.types "$IN" --schema "$SCHEMA"
"$FLOE" --data "$T" load it.types "$IN"
"$FLOE" --data "$T" delete it.types --where "id = 3"
"$FLOE" --data "$T" compact it.types
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.types --json j --codec ZSTD \
  --rows $((2 * N - 2)) --deleted 0 --history
"$FLOE" --data "$T" expire it.types --older-than 0 --retain-last 1 --orphans
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.types --json j --codec ZSTD \
  --rows $((2 * N - 2)) --deleted 0 --no-orphans
