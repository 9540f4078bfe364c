#!/usr/bin/env bash
# `make run`: floe on the example project with embedded storage.
# Until `floe serve` lands (the Ingest issue), this loads the example orders into the
# Iceberg table bronze.orders under ./floe-data and shows what floe wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=${FLOE:-./build/floe}
DATA=${FLOE_DATA:-./floe-data}
schema="event_id STRING NOT NULL, tenant_id STRING NOT NULL, order_id BIGINT NOT NULL,
  user_id BIGINT, product_id INT, event_type STRING NOT NULL, amount DECIMAL(12,2),
  currency STRING, event_time TIMESTAMP NOT NULL, attributes JSON"
if $FLOE --data "$DATA" describe bronze.orders >/dev/null 2>&1; then
  echo "bronze.orders exists in $DATA: not loading again (rm -rf $DATA to start over)"
else
  $FLOE --data "$DATA" load bronze.orders examples/orders/data/orders.ndjson \
    --schema "$schema" --partition "day(event_time), tenant_id"
fi
echo
$FLOE --data "$DATA" tables
echo
$FLOE --data "$DATA" describe bronze.orders | head -60
echo
echo "first rows of bronze.orders where tenant_id = 'acme':"
$FLOE --data "$DATA" cat bronze.orders --where "tenant_id = 'acme'" --limit 3
echo
echo "The warehouse is in $DATA/warehouse (Iceberg v2: Parquet + Avro manifests), the catalog in $DATA/catalog.db."
