#!/usr/bin/env bash
# 0006-large-file-with-many-pages-reads-identically: 150,000 orders rows in one
# unpartitioned file, so the wide columns span several ~1 MiB pages (event_id
# ~2.7 MB PLAIN, event_time 1.2 MB) and the dictionaries hold tens of thousands of
# entries (order_id, user_id); floe cat, DuckDB, hyparquet and icebird read the same,
# with zstd and (60,000 rows) with snappy.
. "$(dirname "$0")/lib.sh"

node "$HERE/gen.mjs" orders 150000 5 3 > "$T/orders.ndjson"
"$FLOE" --data "$T" load it.orders "$T/orders.ndjson" --schema "$(node "$HERE/gen.mjs" schema orders)"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.orders --json attributes --codec ZSTD \
  --rows 150000 --dict tenant_id,event_type,currency

# the same with snappy (hyparquet's hysnappy, DuckDB's and icebird's snappy) on pages
# of ~1 MiB: the first 60,000 rows
head -n 60000 "$T/orders.ndjson" > "$T/orders60k.ndjson"
"$FLOE" --data "$T" load it.orders_snappy "$T/orders60k.ndjson" --schema "$(node "$HERE/gen.mjs" schema orders)" \
  --codec snappy
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.orders_snappy --json attributes --codec SNAPPY \
  --rows 60000 --dict tenant_id,event_type,currency
