#!/usr/bin/env bash
# 0002-partitioned-tables-read-identically: the orders stream of DESIGN §3 partitioned
# by day(event_time), tenant_id (3 days x 5 tenants, two loads, so every partition
# holds two files of two snapshots), and the every-type table partitioned by
# day(ts), b (null partition values), and a string identity partition with values
# needing escaping, read the same through floe cat, DuckDB,
# hyparquet and icebird; data files sit in <partition>=<value> directories.
. "$(dirname "$0")/lib.sh"

node "$HERE/gen.mjs" orders 8000 5 3 > "$T/orders.ndjson"
head -n 5000 "$T/orders.ndjson" > "$T/a.ndjson"
tail -n +5001 "$T/orders.ndjson" > "$T/b.ndjson"
SCHEMA=$(node "$HERE/gen.mjs" schema orders)
"$FLOE" --data "$T" load bronze.orders "$T/a.ndjson" --schema "$SCHEMA" --partition "day(event_time), tenant_id"
"$FLOE" --data "$T" load bronze.orders "$T/b.ndjson" --schema "$SCHEMA" --partition "day(event_time), tenant_id"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table bronze.orders --json attributes --codec ZSTD \
  --rows 8000 --dict tenant_id,event_type,currency --delta order_id,event_time --partition-dirs event_time_day,tenant_id

SCHEMA="id BIGINT NOT NULL, b BOOLEAN, i INT, l BIGINT, r REAL, d DOUBLE, m DECIMAL(12,2), dt DATE, ts TIMESTAMP, s STRING, j JSON"
"$FLOE" --data "$T" load it.types_part "$HERE/data/types.ndjson" --schema "$SCHEMA" --partition "day(ts), b"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.types_part --json j --codec ZSTD \
  --rows "$(grep -c . "$HERE/data/types.ndjson")" --partition-dirs ts_day,b

# identity partition values that need escaping in paths (space, /, =, %, ?, #, &, +,
# non-ASCII) and null: directories t=a%20b%2Fc%3Dd%25e, file_path strings as Java
# writes them (not percent-decoded), read the same everywhere
"$FLOE" --data "$T" load it.escaped "$HERE/data/partition_values.ndjson" --schema "id BIGINT NOT NULL, t STRING" \
  --partition "t"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.escaped --rows 5 --min-files 5 --partition-dirs t
