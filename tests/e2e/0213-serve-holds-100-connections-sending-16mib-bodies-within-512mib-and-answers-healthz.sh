#!/usr/bin/env bash
# Bodies were buffered whole with no budget: 60 connections of 16 MiB bodies held
# 1.1 GB. Now request bytes in flight have a budget (limits.max_inflight_bytes, 256 MiB
# by default): past it the server stops reading connections that are mid-request (TCP
# pushes back on the client) and refuses new bodies with 503. 100 connections each
# sending (and never finishing) a 16 MiB body keep the server's peak RSS (VmHWM) under
# 512 MiB, /healthz answers throughout, and once the request timeout cuts the stalled
# clients a post is accepted again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
command -v python3 >/dev/null || fail "python3 is needed"

make_project "$T/proj" 'limits:
  request_timeout: 6s'
start_serve "$T/proj"
port=${URL##*:}
rss_kib() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$SERVE_PID/status"; }

: >"$T/health"
( while [[ ! -e "$T/stop" ]]; do
    curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' "$URL/healthz" >>"$T/health" || echo "000 fail" >>"$T/health"
    sleep 0.1
  done ) &
hpid=$!
python3 "$(dirname "$0")/hostile_bodies.py" "$port" 100 16 8 >"$T/hostile.out" &
apid=$!
# a new body while over the budget is refused with 503 and Retry-After (polled: on a
# loaded machine the attackers take a while to put the budget's bytes in flight)
printf '%s\n' '{"event_id":"g-1","tenant_id":"acme","order_id":1,"event_type":"order_created","event_time":"2026-11-25T10:00:00Z"}' >"$T/one.ndjson"
sleep 1
for _ in $(seq 1 30); do
  post orders "$T/one.ndjson"
  [[ $STATUS == 503 ]] && break
  kill -0 $apid 2>/dev/null || break
  sleep 0.2
done
over_status=$STATUS
over_body=$BODY
over_headers=$HEADERS
wait $apid
cat "$T/hostile.out"
hwm=$(rss_kib VmHWM)
touch "$T/stop"
wait $hpid
echo "peak RSS (VmHWM) $((hwm / 1024)) MiB; health checks: $(wc -l <"$T/health"), slowest $(sort -k2 -n "$T/health" | tail -1)"
[[ $SANITIZED == 1 ]] || [[ $hwm -lt $((512 * 1024)) ]] || fail "peak RSS $((hwm / 1024)) MiB with 100 hostile connections is over 512 MiB"
bad=$(grep -vc '^200 ' "$T/health" || true)
assert_eq 0 "$bad" "every health check answered 200 during the attack"
[[ $(wc -l <"$T/health") -ge 5 ]] || fail "too few health checks ran: $(wc -l <"$T/health")"
assert_eq 503 "$over_status" "a body over the budget is refused ($over_body)"
assert_contains "$over_body" '"error_code":50303' "budget code"
assert_contains "$over_headers" 'retry-after: 1' "503 says when to retry"
# the request timeout cut the stalled clients: a post is accepted again
for _ in $(seq 1 100); do
  post orders "$T/one.ndjson"
  [[ $STATUS == 200 ]] && break
  sleep 0.2
done
assert_eq 200 "$STATUS" "after the attack ($BODY)"
stop_serve
