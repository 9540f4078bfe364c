#!/usr/bin/env bash
# On HTTP/2 the request timeout was h2o's idle timer, restarted by every frame, so a
# stream trickling its body was never cut. Now the whole request must arrive within
# limits.request_timeout on HTTP/2 too: a body sent at 2 KB/s is cut after ~2 s (the
# connection closes with GOAWAY), while a normal HTTP/2 post is acknowledged and
# /healthz answers meanwhile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'limits:
  request_timeout: 2s'
start_serve "$T/proj"

for i in $(seq 1 400); do
  printf '{"event_id":"t-%d","tenant_id":"acme","order_id":%d,"event_type":"order_created","event_time":"2026-11-25T10:00:00Z"}\n' "$i" "$i"
done >"$T/body.ndjson"   # ~50 KB: 25 s at 2 KB/s

http POST /v1/streams/orders/events --http2-prior-knowledge -H 'Content-Type: application/x-ndjson' \
  --data-binary "@$T/body.ndjson"
assert_eq 200 "$STATUS" "a normal HTTP/2 post ($BODY)"
assert_eq 400 "$(json_field accepted)" "all of it accepted"

start=$(date +%s.%N)
code=$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge --limit-rate 2K -m 30 \
  -H 'Content-Type: application/x-ndjson' --data-binary "@$T/body.ndjson" "$URL/v1/streams/orders/events" || true)
took=$(echo "$(date +%s.%N) - $start" | bc)
echo "trickling HTTP/2 post: status $code after $took s"
[[ "$code" != 200 ]] || fail "the trickling request was served"
(( $(echo "$took < 6" | bc) )) || fail "the trickling HTTP/2 request was cut only after $took s (request_timeout 2 s)"
grep -q "an HTTP/2 request was not received within 2000 ms" "$T/serve.err" || fail "no deadline message"
http GET /healthz --http2-prior-knowledge
assert_eq 200 "$STATUS" "still serving HTTP/2"
stop_serve
