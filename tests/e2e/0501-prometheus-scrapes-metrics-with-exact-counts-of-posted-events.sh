#!/usr/bin/env bash
# Debian's Prometheus scrapes `floe serve`'s GET /metrics and reads back, through its
# HTTP API, exactly the counts the test caused: events accepted and rejected per
# stream, records and partition offsets in the event log, requests by route and
# status with a latency histogram, rows committed to quarantine, a request refused
# for its framing. The exposition passes `promtool check metrics`, and a second round
# of posts shows up as the new exact totals.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
command -v prometheus >/dev/null || fail "prometheus is needed (scripts/deps.sh --test installs it)"

PROM_PID=
prom_exit() {
  local rc=$?
  if [[ -n "$PROM_PID" ]]; then
    kill "$PROM_PID" 2>/dev/null || true
    wait "$PROM_PID" 2>/dev/null || true
  fi
  set +e # serve_exit re-raises rc with (exit $rc): under errexit that would skip its report
  (exit $rc)
  serve_exit
}
trap prom_exit EXIT

make_project "$T/proj" 'commit_interval: 200ms'
start_serve "$T/proj"

# 4 + 3 good events in two requests, 2 bad ones in the second
for i in 1 2 3 4; do
  printf '{"event_id":"a-%d","tenant_id":"acme","order_id":%d,"event_type":"order_created","event_time":"2026-11-25T10:00:0%dZ"}\n' $i $i $i
done >"$T/first.ndjson"
post orders "$T/first.ndjson"
assert_eq 200 "$STATUS" "first post: $BODY"
assert_eq 4 "$(json_field accepted)" "first post accepted"
{
  for i in 5 6 7; do
    printf '{"event_id":"a-%d","tenant_id":"acme","order_id":%d,"event_type":"order_paid","event_time":"2026-11-25T10:00:0%dZ"}\n' $i $i $i
  done
  printf '%s\n' '{"event_id":"a-8","tenant_id":"acme","order_id":8,"colour":"red","event_type":"order_paid","size":1,"event_time":"2026-11-25T10:00:08Z"}'
  printf '%s\n' '{"event_id":"b-1","tenant_id":"acme","order_id":"one","event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}'
  printf '%s\n' 'not json'
} >"$T/second.ndjson"
post orders "$T/second.ndjson"
assert_eq 200 "$STATUS" "second post: $BODY"
assert_eq 4 "$(json_field accepted)" "second post accepted"
assert_eq 2 "$(json_field unknown_fields)" "second post: two fields not in the schema"
assert_eq 2 "$(json_field rejected)" "second post rejected"
http GET /v1/streams/nope/events
http POST /v1/streams/nope/events --data-binary '{}' -H 'Content-Type: application/x-ndjson'
assert_eq 404 "$STATUS" "unknown stream"

# one request with two Content-Lengths (RFC 9112: 400 and close), counted by the service
exec 3<>"/dev/tcp/127.0.0.1/${URL##*:}"
printf 'POST /v1/streams/orders/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}\n' >&3
answer=$(timeout 5 head -1 <&3 | tr -d '\r') || true
exec 3<&-
assert_eq "HTTP/1.1 400 Bad Request" "$answer" "two Content-Lengths"

# the exposition itself: content type, and Prometheus's own linter is happy with it
http GET /metrics
assert_eq 200 "$STATUS" "GET /metrics"
assert_contains "$HEADERS" "content-type: text/plain; version=0.0.4; charset=utf-8" "exposition content type"
assert_contains "$BODY" 'floe_ingest_events_accepted_total{stream="orders"} 8' "accepted in the exposition"
assert_contains "$BODY" 'floe_ingest_unknown_fields_total{stream="orders"} 2' "unknown fields in the exposition"
printf '%s\n' "$BODY" >"$T/metrics.txt"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$T/promtool.out")"

# Prometheus on a free port, scraping floe every 200 ms into a temporary store. A port
# seen free can be taken before Prometheus binds it (other tests' client sockets use the
# same range): then it exits at once, and another port is tried.
cat >"$T/prometheus.yml" <<YAML
global:
  scrape_interval: 200ms
  scrape_timeout: 200ms
scrape_configs:
  - job_name: floe
    static_configs:
      - targets: ['${URL#http://}']
YAML
prom_port=
for _ in $(seq 1 20); do
  p=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue # taken
  prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
    --web.listen-address="127.0.0.1:$p" >"$T/prom.log" 2>&1 &
  PROM_PID=$!
  for _ in $(seq 1 100); do # until it listens, or exits
    grep -q 'Server is ready\|address already in use' "$T/prom.log" && break
    kill -0 "$PROM_PID" 2>/dev/null || break
    sleep 0.05
  done
  if grep -q 'address already in use' "$T/prom.log"; then
    kill "$PROM_PID" 2>/dev/null || true
    wait "$PROM_PID" 2>/dev/null || true
    rm -rf "$T/prom"
    continue
  fi
  prom_port=$p
  break
done
[[ -n "$prom_port" ]] || fail "no free port for prometheus"
PROM="http://127.0.0.1:$prom_port"

# query EXPR: the value of a one-sample instant query ("" while there is none)
query() {
  { curl -s -G "$PROM/api/v1/query" --data-urlencode "query=$1" || true; } |
    sed -n 's/.*"result":\[{"metric":{[^}]*},"value":\[[0-9.e+]*,"\([^"]*\)"\]}\].*/\1/p'
}
# expect_query EXPR VALUE: waits (up to 30 s) until Prometheus answers VALUE for EXPR
expect_query() {
  local got=
  for _ in $(seq 1 150); do
    got=$(query "$1")
    [[ "$got" == "$2" ]] && return 0
    kill -0 "$PROM_PID" 2>/dev/null || fail "prometheus exited: $(tail -5 "$T/prom.log")"
    sleep 0.2
  done
  fail "prometheus: $1 = '$got', expected $2 (last scrape: $(curl -s "$PROM/api/v1/targets" | head -c 600))"
}

expect_query 'up{job="floe"}' 1
expect_query 'floe_ingest_events_accepted_total{stream="orders"}' 8
expect_query 'floe_ingest_events_rejected_total{stream="orders"}' 2
expect_query 'floe_log_records_total{stream="orders"}' 8
expect_query 'floe_log_records_total{stream="orders.quarantine"}' 2
expect_query 'sum(floe_log_partition_next_offset{stream="orders"})' 8
expect_query 'floe_ingest_unknown_fields_total{stream="orders"}' 2
expect_query 'count(floe_log_partition_bytes{stream="orders"})' 4
expect_query 'floe_http_requests_total{route="events",status="200"}' 2
expect_query 'floe_http_requests_total{route="events",status="404"}' 1
expect_query 'floe_http_request_duration_seconds_count{route="events"}' 3
expect_query 'floe_http_request_duration_seconds_bucket{route="events",le="+Inf"}' 3
expect_query 'floe_quarantine_rows_total{stream="orders"}' 2
expect_query 'floe_iceberg_commits_total{table="quarantine.orders",result="ok"}' 1
expect_query 'floe_http_framing_refusals_total' 1
expect_query 'floe_http_budget_refusals_total' 0

# more events: the new totals are read back exactly
for i in $(seq 10 19); do
  printf '{"event_id":"c-%d","tenant_id":"globex","order_id":%d,"event_type":"order_created","event_time":"2026-11-25T11:00:00Z"}\n' $i $i
done >"$T/third.ndjson"
post orders "$T/third.ndjson"
assert_eq 200 "$STATUS" "third post: $BODY"
expect_query 'floe_ingest_events_accepted_total{stream="orders"}' 18
expect_query 'floe_http_requests_total{route="events",status="200"}' 3
expect_query 'sum(floe_log_records_total)' 20
stop_serve
