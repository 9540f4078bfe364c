#!/usr/bin/env bash
# `make run`: floe serving the example project (examples/orders) with embedded storage
# under ./floe-data. Events posted to it are acknowledged once fsynced in the event log;
# rejected ones land in the Iceberg table quarantine.orders.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=${FLOE:-./build/floe}
DATA=${FLOE_DATA:-./floe-data}
LISTEN=${FLOE_LISTEN:-127.0.0.1:8080}
cat <<MSG
floe serves examples/orders on http://$LISTEN (data in $DATA). Try, from another shell:

  curl -s http://$LISTEN/v1/streams/orders/events -H 'Content-Type: application/x-ndjson' --data-binary @examples/orders/data/orders.ndjson
  curl -s http://$LISTEN/v1/streams/orders/events -H 'Content-Type: application/x-ndjson' -d '{"event_id":"x","tenant_id":"acme","order_id":1,"event_type":"refund","event_time":"2026-11-25T10:00:00Z"}'
  $FLOE --data $DATA log orders --stat          # what the event log holds
  $FLOE --data $DATA cat quarantine.orders      # rejected records, with line and reason

Ctrl-C stops it.
MSG
exec "$FLOE" serve --project examples/orders --data "$DATA" --listen "$LISTEN"
