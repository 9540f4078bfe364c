#!/usr/bin/env bash
# `floe serve` on a project with the orders stream: a batch of good events (NDJSON, a
# JSON array, gzip and zstd bodies) answers 200 with the accepted count, and the events
# are in the event log (floe log) exactly as sent; /healthz and /v1/streams answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
start_serve "$T/proj"

http GET /healthz
assert_eq 200 "$STATUS" "GET /healthz status"
assert_eq '{"status":"ok"}' "$BODY" "GET /healthz body"

http GET /v1/streams
assert_eq 200 "$STATUS" "GET /v1/streams status"
assert_contains "$BODY" '{"name":"orders","partitions":4,"columns":[{"name":"event_id","type":"STRING","nullable":false}' "streams list the orders columns"
assert_contains "$BODY" '"primary_key":["event_id"]' "streams list the key"

cat >"$T/good.ndjson" <<'NDJSON'
{"event_id":"e-1","tenant_id":"acme","order_id":1,"event_type":"order_created","amount":"12.50","event_time":"2026-11-25T10:00:00Z"}
{"event_id":"e-2","tenant_id":"acme","order_id":1,"user_id":7,"event_type":"order_paid","amount":12.5,"event_time":"2026-11-25T10:00:01Z","attributes":{"a":[1,2]}}

{"event_id":"e-3","tenant_id":"globex","order_id":2,"event_type":"order_created","event_time":"2026-11-25T10:00:02Z"}
NDJSON
post orders "$T/good.ndjson"
assert_eq 200 "$STATUS" "good batch status"
assert_eq 3 "$(json_field accepted)" "good batch accepted"
assert_eq 0 "$(json_field rejected)" "good batch rejected"
assert_contains "$BODY" '"errors":[]' "good batch has no errors"
assert_contains "$HEADERS" 'x-request-id: ' "answers carry a request id"

# a JSON array, gzip and zstd bodies
printf '[{"event_id":"e-4","tenant_id":"t","order_id":4,"event_type":"order_paid","event_time":"2026-11-25T10:00:04Z"},\n {"event_id":"e-5","tenant_id":"t","order_id":5,"event_type":"order_paid","event_time":"2026-11-25T10:00:05Z"}]' >"$T/array.json"
post orders "$T/array.json" -H 'Content-Type: application/json'
assert_eq 200 "$STATUS" "array status"
assert_eq 2 "$(json_field accepted)" "array accepted"

printf '{"event_id":"e-6","tenant_id":"t","order_id":6,"event_type":"order_shipped","event_time":"2026-11-25T10:00:06Z"}\n' | gzip -c >"$T/one.gz"
post orders "$T/one.gz" -H 'Content-Encoding: gzip'
assert_eq 200 "$STATUS" "gzip status: $BODY"
assert_eq 1 "$(json_field accepted)" "gzip accepted"

printf '{"event_id":"e-7","tenant_id":"t","order_id":7,"event_type":"order_shipped","event_time":"2026-11-25T10:00:07Z"}\n' | zstd -q -c >"$T/one.zst"
post orders "$T/one.zst" -H 'Content-Encoding: zstd'
assert_eq 200 "$STATUS" "zstd status: $BODY"
assert_eq 1 "$(json_field accepted)" "zstd accepted"

# the whole example file in one post
post orders "$FLOE_ROOT/examples/orders/data/orders.ndjson"
assert_eq 200 "$STATUS" "example file status"
assert_eq 1000 "$(json_field accepted)" "example file accepted"

stop_serve

# every acknowledged event is in the log once, byte for byte
log=$(floe log orders)
for id in e-1 e-2 e-3 e-4 e-5 e-6 e-7; do
  assert_eq 1 "$(grep -c "\"event_id\":\"$id\"" <<<"$log")" "event $id is in the log once"
done
assert_contains "$log" '{"event_id":"e-2","tenant_id":"acme","order_id":1,"user_id":7,"event_type":"order_paid","amount":12.5,"event_time":"2026-11-25T10:00:01Z","attributes":{"a":[1,2]}}' "the log keeps the raw text"
assert_eq 1007 "$(grep -c '"event_id":"e-' <<<"$log")" "the log holds 1007 events"
