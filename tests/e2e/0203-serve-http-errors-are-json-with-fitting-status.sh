#!/usr/bin/env bash
# Every refused request gets a fitting status and a JSON {"error_code", "message"}:
# unknown stream 404, unknown path 404, wrong method 405 with Allow, body over
# limits.max_body_bytes 413 (as sent and once decompressed), unknown Content-Encoding
# 415, a corrupt gzip body 400.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'limits:
  max_body_bytes: 4KiB
  request_timeout: 5s'
start_serve "$T/proj"

good='{"event_id":"g-1","tenant_id":"acme","order_id":1,"event_type":"order_created","event_time":"2026-11-25T10:00:00Z"}'
printf '%s\n' "$good" >"$T/good.ndjson"

post nope "$T/good.ndjson"
assert_eq 404 "$STATUS" "unknown stream status"
assert_eq '{"error_code":40401,"message":"stream '"'"'nope'"'"' does not exist"}' "$BODY" "unknown stream body"
assert_contains "$HEADERS" 'content-type: application/json' "errors are JSON"

http GET /v2/whatever
assert_eq 404 "$STATUS" "unknown path status"
assert_eq 40400 "$(json_field error_code)" "unknown path code"

http GET /v1/streams/orders/events
assert_eq 405 "$STATUS" "GET on events status"
assert_contains "$HEADERS" 'allow: POST' "405 names the allowed method"
assert_eq 40501 "$(json_field error_code)" "405 code"
http DELETE /healthz
assert_eq 405 "$STATUS" "DELETE /healthz status"

# over the limit as sent
for i in $(seq 1 60); do printf '%s\n' "$good"; done >"$T/big.ndjson"
post orders "$T/big.ndjson"
assert_eq 413 "$STATUS" "oversize body status"

# under the limit compressed, over it decompressed
gzip -c "$T/big.ndjson" >"$T/big.gz"
[[ $(stat -c %s "$T/big.gz") -lt 4096 ]] || fail "test setup: gzip body too large"
post orders "$T/big.gz" -H 'Content-Encoding: gzip'
assert_eq 413 "$STATUS" "decompressed oversize status"
assert_eq 41302 "$(json_field error_code)" "decompressed oversize code"

post orders "$T/good.ndjson" -H 'Content-Encoding: br'
assert_eq 415 "$STATUS" "unknown encoding status"
assert_eq 41501 "$(json_field error_code)" "unknown encoding code"

printf 'this is not gzip' >"$T/bad.gz"
post orders "$T/bad.gz" -H 'Content-Encoding: gzip'
assert_eq 400 "$STATUS" "corrupt gzip status"
assert_eq 40002 "$(json_field error_code)" "corrupt gzip code"

# the server still serves after all that
post orders "$T/good.ndjson"
assert_eq 200 "$STATUS" "good batch after errors"
stop_serve
