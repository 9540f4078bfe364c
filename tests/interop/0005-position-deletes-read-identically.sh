#!/usr/bin/env bash
# 0005-position-deletes-read-identically: rows removed by `floe delete` (Iceberg
# position delete files) are gone for every reader: floe cat, DuckDB (applying the
# delete files' (file_path, pos) itself), and icebird (its own delete handling);
# delete files are valid Parquet that DuckDB and hyparquet read. Covers a
# partitioned table with two deletes (one overlapping the other) and an
# unpartitioned one with deletes spanning files of two snapshots, then new rows;
# every older snapshot (vN.metadata.json) reads the same through icebird and
# floe cat --snapshot.
. "$(dirname "$0")/lib.sh"

# partitioned orders: delete the cancelled orders, then every amount >= 90000.00
node "$HERE/gen.mjs" orders 6000 5 3 > "$T/orders.ndjson"
"$FLOE" --data "$T" load bronze.orders "$T/orders.ndjson" --schema "$(node "$HERE/gen.mjs" schema orders)" \
  --partition "day(event_time), tenant_id"
"$FLOE" --data "$T" delete bronze.orders --where "event_type = 'order_cancelled'"
"$FLOE" --data "$T" delete bronze.orders --where "amount >= 90000"
GONE=$(node -e '
let n = 0
for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
  if (!l) continue
  const o = JSON.parse(l)
  if (o.event_type === "order_cancelled" || (o.amount !== null && Number(o.amount) >= 90000)) n++
}
console.log(n)' "$T/orders.ndjson")
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table bronze.orders --json attributes --codec ZSTD \
  --rows $((6000 - GONE)) --deleted "$GONE" --history
node "$HERE/check_deletes.mjs" --data "$T" --table bronze.orders

# unpartitioned, two snapshots of data, a delete spanning both files, more rows after
SCHEMA="id BIGINT NOT NULL, b BOOLEAN, i INT, l BIGINT, r REAL, d DOUBLE, m DECIMAL(12,2), dt DATE, ts TIMESTAMP, s STRING, j JSON"
IN=$HERE/data/types.ndjson
N=$(grep -c . "$IN")
"$FLOE" --data "$T" load it.types "$IN" --schema "$SCHEMA"
"$FLOE" --data "$T" delete it.types --where "id = 3"
"$FLOE" --data "$T" load it.types "$IN"
"$FLOE" --data "$T" delete it.types --where "s = 'a'"   # ids 5 and 9, in both files
"$FLOE" --data "$T" load it.types "$IN"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.types --json j --codec ZSTD \
  --rows $((3 * N - 5)) --deleted 5 --history
node "$HERE/check_deletes.mjs" --data "$T" --table it.types
