#!/usr/bin/env bash
# With no tokens configured (the example's default) any Content-Type was accepted, so a
# web page could POST text/plain (no CORS preflight) to 127.0.0.1 and store events. Now
# the events route needs a JSON or NDJSON Content-Type (415), a request carrying a
# foreign Origin is refused (403) unless http.allowed_origins lists it, and on a
# loopback listener a foreign Host (DNS rebinding) is refused (421) unless
# http.allowed_hosts lists it. Nothing refused reaches the log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" ''
start_serve "$T/proj"
printf '%s\n' '{"event_id":"g-1","tenant_id":"acme","order_id":1,"event_type":"order_created","event_time":"2026-11-25T10:00:00Z"}' >"$T/one.ndjson"
ev=/v1/streams/orders/events

http POST $ev -H 'Content-Type: text/plain' --data-binary "@$T/one.ndjson"
assert_eq 415 "$STATUS" "text/plain ($BODY)"
assert_eq 41502 "$(json_field error_code)" "Content-Type code"
http POST $ev --data-binary "@$T/one.ndjson"   # curl's default: application/x-www-form-urlencoded
assert_eq 415 "$STATUS" "a form post"
http POST $ev -H 'Content-Type:' --data-binary "@$T/one.ndjson"
assert_eq 415 "$STATUS" "no Content-Type"
http POST $ev -H 'Content-Type: application/x-ndjson' -H 'Origin: https://evil.example' --data-binary "@$T/one.ndjson"
assert_eq 403 "$STATUS" "a foreign Origin ($BODY)"
assert_eq 40310 "$(json_field error_code)" "Origin code"
http POST $ev -H 'Content-Type: application/x-ndjson' -H 'Host: evil.example' --data-binary "@$T/one.ndjson"
assert_eq 421 "$STATUS" "a foreign Host ($BODY)"
assert_eq 42101 "$(json_field error_code)" "Host code"
assert_eq 0 "$("$FLOE" log orders 2>/dev/null | wc -l)" "nothing refused was stored"
http POST $ev -H 'Content-Type: application/json' --data-binary "@$T/one.ndjson"
assert_eq 200 "$STATUS" "application/json"
post orders "$T/one.ndjson" -H 'Host: localhost'
assert_eq 200 "$STATUS" "application/x-ndjson to localhost"
stop_serve

make_project "$T/proj2" 'http:
  allowed_origins: [https://app.example]
  allowed_hosts: [ingest.example]'
start_serve "$T/proj2"
post orders "$T/one.ndjson" -H 'Origin: https://app.example' -H 'Host: ingest.example:8080'
assert_eq 200 "$STATUS" "a configured Origin and Host ($BODY)"
post orders "$T/one.ndjson" -H 'Origin: https://other.example'
assert_eq 403 "$STATUS" "an Origin not configured"
stop_serve
