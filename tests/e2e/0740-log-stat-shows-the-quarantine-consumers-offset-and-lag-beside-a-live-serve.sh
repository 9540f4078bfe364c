#!/usr/bin/env bash
# The quarantine copy reads "<stream>.quarantine" as the named log consumer
# "quarantine": its committed offset is stored in the log directory
# (log/orders.quarantine/.consumers/quarantine, 16 + 8 bytes for one partition) and
# `floe log orders.quarantine --stat` shows it and the lag (end - committed), read-only,
# beside a live `floe serve` and after it; GET /metrics has the lag gauge. A record
# appended while serve is down shows as lag 1 until the next serve copies it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
start_serve "$T/proj"

printf '%s\n' '{"event_id":"b-1"}' 'not json' '{"event_id":"b-3","order_id":"x"}' >"$T/bad.ndjson"
post orders "$T/bad.ndjson"
assert_eq 400 "$STATUS" "all-bad batch"
assert_eq 3 "$(json_field rejected)" "three rejected"

# beside the live server: wait until the flusher committed all three
stat=
for _ in $(seq 1 100); do
  stat=$(floe log orders.quarantine --stat --format ndjson)
  grep -q '"consumer":"quarantine","partition":0,"committed":3,' <<<"$stat" && break
  sleep 0.1
done
assert_eq '{"partition":0,"start":0,"end":3,"records":3,"bytes":'"$(sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' <<<"$stat" | head -1)"',"raw_bytes":'"$(sed -n 's/.*"raw_bytes":\([0-9]*\).*/\1/p' <<<"$stat" | head -1)"',"segments":1,"batches":{"none":0,"zstd":0,"lz4":1}}
{"consumer":"quarantine","partition":0,"committed":3,"lag":0}' "$stat" "--stat ndjson beside serve"
assert_eq 3 "$("$FLOE" cat quarantine.orders | wc -l)" "the table holds what the consumer committed"
text=$(floe log orders.quarantine --stat)
assert_eq "quarantine 0 3 0" "$(awk '$1 == "quarantine" {print $1, $2, $3, $4}' <<<"$text")" "--stat text row"
assert_contains "$text" "consumer" "--stat text consumer header"
assert_eq 24 "$(stat -c %s "$FLOE_DATA/log/orders.quarantine/.consumers/quarantine")" "the consumer file"
# the main stream's one consumer is the stream job's ("stream": bronze.orders)
assert_eq 1 "$(floe log orders --stat --format ndjson | grep -c '"consumer":"stream","partition":0,' || true)" \
  "the stream job's consumer on orders"

http GET /metrics
assert_contains "$BODY" 'floe_log_consumer_lag{stream="orders.quarantine",consumer="quarantine",partition="0"} 0' \
  "lag gauge"
stop_serve

# a record appended while serve is down: lag 1, committed unchanged
printf '%s\n' '{"raw":"late","reason":"appended by hand"}' >"$T/late.ndjson"
floe log orders.quarantine --append "$T/late.ndjson" >/dev/null
assert_eq '{"consumer":"quarantine","partition":0,"committed":3,"lag":1}' \
  "$(floe log orders.quarantine --stat --format ndjson | grep consumer)" "lag while nobody copies"

start_serve "$T/proj"
for _ in $(seq 1 100); do
  line=$(floe log orders.quarantine --stat --format ndjson | grep consumer)
  [[ "$line" == *'"committed":4,'* ]] && break
  sleep 0.1
done
assert_eq '{"consumer":"quarantine","partition":0,"committed":4,"lag":0}' "$line" "the next serve copies it"
stop_serve
assert_eq 4 "$("$FLOE" cat quarantine.orders | wc -l)" "each quarantined record once"
