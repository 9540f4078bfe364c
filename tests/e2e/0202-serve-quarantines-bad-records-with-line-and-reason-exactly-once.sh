#!/usr/bin/env bash
# Bad records never poison their batch and never vanish: a mixed batch answers 200 with
# the accepted and rejected counts and each rejected line's number, field and reason;
# an all-bad batch answers 400 with the same body; every rejected record lands in
# quarantine.orders (raw text, reason, field, line, received time, request id) within a
# commit interval, and a restart copies none of them twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
start_serve "$T/proj"

{
  printf '%s\n' '{"event_id":"g-1","tenant_id":"acme","order_id":1,"event_type":"order_created","event_time":"2026-11-25T10:00:00Z"}'
  printf '%s\n' '{"event_id":"b-2","tenant_id":"acme","order_id":1,'                                   # malformed JSON
  printf '%s\n' '{"event_id":"b-3","tenant_id":"acme","order_id":"one","event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}'   # wrong type
  printf '%s\n' '{"event_id":"b-4","tenant_id":"acme","order_id":4,"event_type":"order_paid"}'         # missing NOT NULL event_time
  printf '%s\n' '{"event_id":"b-5","tenant_id":"acme","order_id":5,"event_type":"order_lost","event_time":"2026-11-25T10:00:00Z"}'       # CHECK
  printf '{"event_id":"b-6","tenant_id":"ac\xffme","order_id":6,"event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}\n'      # invalid UTF-8
  printf '%s\n' '{"event_id":"g-7","tenant_id":"acme","order_id":7,"event_type":"order_paid","amount":1.25,"event_time":"2026-11-25T10:00:00Z"}'
} >"$T/mixed.ndjson"
post orders "$T/mixed.ndjson"
assert_eq 200 "$STATUS" "mixed batch status"
assert_eq 2 "$(json_field accepted)" "mixed batch accepted"
assert_eq 5 "$(json_field rejected)" "mixed batch rejected"
lines=$(grep -o '"line":[0-9]*' <<<"$BODY" | cut -d: -f2 | tr '\n' ' ')
assert_eq "2 3 4 5 6 " "$lines" "rejected line numbers"
assert_contains "$BODY" '{"line":3,"field":"order_id","reason":' "line 3 names its field"
assert_contains "$BODY" '{"line":4,"field":"event_time","reason":' "line 4 names its field"
assert_contains "$BODY" '{"line":5,"field":"event_type","reason":"CHECK (' "line 5 names the CHECK"
request_id=$(json_field request_id | tr -d '"')
[[ -n "$request_id" ]] || fail "no request_id in $BODY"

printf '%s\n' '{"event_id":"b-8"}' 'not json' >"$T/allbad.ndjson"
post orders "$T/allbad.ndjson"
assert_eq 400 "$STATUS" "all-bad batch status"
assert_eq 0 "$(json_field accepted)" "all-bad accepted"
assert_eq 2 "$(json_field rejected)" "all-bad rejected"

# the quarantine table fills within a few commit intervals
rows=0
for _ in $(seq 1 100); do
  rows=$("$FLOE" cat quarantine.orders 2>/dev/null | wc -l || true)
  [[ $rows -ge 7 ]] && break
  sleep 0.1
done
assert_eq 7 "$rows" "quarantine.orders holds the 7 rejected records"
q=$(floe cat quarantine.orders)
row3=$(grep '"line":3,' <<<"$q" | grep "$request_id")
assert_contains "$row3" '"raw":"{\"event_id\":\"b-3\",\"tenant_id\":\"acme\",\"order_id\":\"one\",' "quarantine keeps the raw text"
assert_contains "$row3" '"field":"order_id"' "quarantine keeps the field"
assert_contains "$row3" "\"request_id\":\"$request_id\"" "quarantine keeps the request id"
[[ "$row3" =~ \"received_at\":\"2[0-9]{3}-[0-9]{2}-[0-9]{2}T ]] || fail "received_at in $row3"
assert_contains "$(grep '"line":2,' <<<"$q" | grep "$request_id")" '"field":null' "a syntax error has no field"

# restart: nothing is copied twice; new rejects are added once
stop_serve
assert_eq 7 "$("$FLOE" cat quarantine.orders | wc -l)" "after stop"
start_serve "$T/proj"
sleep 0.5
assert_eq 7 "$("$FLOE" cat quarantine.orders | wc -l)" "a restart copies nothing twice"
post orders "$T/allbad.ndjson"
assert_eq 400 "$STATUS" "all-bad after restart"
stop_serve
assert_eq 9 "$("$FLOE" cat quarantine.orders | wc -l)" "new rejects after a restart land once"
