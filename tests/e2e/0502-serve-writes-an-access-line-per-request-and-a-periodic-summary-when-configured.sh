#!/usr/bin/env bash
# With `access_log: true` floe serve writes one info line per request on stderr (route,
# status, time), and every `summary_interval` one summary line whose counts add up to
# what was posted; with the defaults there is no access line (and the summary comes
# only once a minute, so none in a short run).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

event() { # event ID: one valid orders event
  printf '{"event_id":"e-%s","tenant_id":"acme","order_id":%s,"event_type":"order_created","event_time":"2026-11-25T10:00:00Z"}\n' "$1" "$1"
}

# the defaults: no access log
make_project "$T/quiet" 'commit_interval: 200ms'
start_serve "$T/quiet"
event 1 >"$T/one.ndjson"
post orders "$T/one.ndjson"
assert_eq 200 "$STATUS" "post: $BODY"
stop_serve
assert_eq 0 "$(grep -c ' access: ' "$T/serve.err" || true)" "no access line by default"
assert_eq 0 "$(grep -c ' summary: ' "$T/serve.err" || true)" "no summary within a minute"

# access log on, a summary every 300 ms
make_project "$T/loud" $'commit_interval: 200ms\naccess_log: true\nsummary_interval: 300ms'
start_serve "$T/loud"
{ event 2; event 3; event 4; } >"$T/three.ndjson"
post orders "$T/three.ndjson"
assert_eq 200 "$STATUS" "post 1: $BODY"
{ event 5; printf '%s\n' 'not json'; } >"$T/mixed.ndjson"
post orders "$T/mixed.ndjson"
assert_eq 200 "$STATUS" "post 2: $BODY"
http GET /v1/streams/orders/nothing-here
assert_eq 404 "$STATUS" "unknown path"
sleep 1 # at least two summary lines after the posts
stop_serve

grep ' access: ' "$T/serve.err" >"$T/access.txt" || true
assert_eq 2 "$(grep -c '^[0-9TZ:.-]* info  access: events 200 [0-9.]* ms$' "$T/access.txt")" \
  "one access line per events post: $(cat "$T/access.txt")"
assert_eq 1 "$(grep -c ' access: none 404 ' "$T/access.txt")" "the unrouted request has its line too"
grep ' summary: last ' "$T/serve.err" >"$T/summary.txt" || true
[[ $(wc -l <"$T/summary.txt") -ge 2 ]] || fail "fewer than 2 summary lines: $(cat "$T/serve.err")"
accepted=$(sed -n 's/.*events \([0-9]*\) accepted.*/\1/p' "$T/summary.txt" | awk '{s += $1} END {print s + 0}')
rejected=$(sed -n 's/.*accepted \([0-9]*\) rejected.*/\1/p' "$T/summary.txt" | awk '{s += $1} END {print s + 0}')
assert_eq 4 "$accepted" "events accepted over the summary lines: $(cat "$T/summary.txt")"
assert_eq 1 "$rejected" "events rejected over the summary lines"
assert_contains "$(head -1 "$T/summary.txt")" 'requests (' "a summary names its requests"
