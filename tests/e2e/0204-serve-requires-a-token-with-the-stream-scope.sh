#!/usr/bin/env bash
# With tokens in floe.yaml: no token or an unknown one is 401, a token without the
# stream's ingest scope is 403, ingest:orders or admin may post; /healthz needs none;
# /v1/streams needs query (or admin).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'tokens:
  - token: tok-orders
    scopes: [ingest:orders]
  - token: tok-other
    scopes: [ingest:clicks, query]
  - token: tok-admin
    scopes: [admin]'
start_serve "$T/proj"

printf '%s\n' '{"event_id":"g-1","tenant_id":"acme","order_id":1,"event_type":"order_created","event_time":"2026-11-25T10:00:00Z"}' >"$T/good.ndjson"

post orders "$T/good.ndjson"
assert_eq 401 "$STATUS" "no token"
assert_eq 40101 "$(json_field error_code)" "no token code"
assert_contains "$HEADERS" 'www-authenticate: Bearer' "401 asks for a bearer token"
post orders "$T/good.ndjson" -H 'Authorization: Bearer wrong'
assert_eq 401 "$STATUS" "unknown token"
post orders "$T/good.ndjson" -H 'Authorization: Bearer tok-other'
assert_eq 403 "$STATUS" "token without the scope"
assert_contains "$BODY" 'ingest:orders' "403 names the scope"
post orders "$T/good.ndjson" -H 'Authorization: Bearer tok-orders'
assert_eq 200 "$STATUS" "token with ingest:orders"
post orders "$T/good.ndjson" -H 'Authorization: bearer tok-admin'
assert_eq 200 "$STATUS" "admin token"
post nope "$T/good.ndjson" -H 'Authorization: Bearer tok-orders'
assert_eq 403 "$STATUS" "no scope for another stream"

http GET /healthz
assert_eq 200 "$STATUS" "healthz needs no token"
http GET /v1/streams
assert_eq 401 "$STATUS" "streams need a token"
http GET /v1/streams -H 'Authorization: Bearer tok-other'
assert_eq 200 "$STATUS" "streams with query"
http GET /v1/streams -H 'Authorization: Bearer tok-orders'
assert_eq 403 "$STATUS" "streams without query"
stop_serve
