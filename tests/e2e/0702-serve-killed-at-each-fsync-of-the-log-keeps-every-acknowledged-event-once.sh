#!/usr/bin/env bash
# Durability at every sync point: `floe serve` is killed with SIGKILL at its Nth
# fsync/fdatasync (FLOE_CRASH_AT_FSYNC=N, core/fsync.c) for N = 1..24 (startup, the
# write-ahead replay of the previous kill, the first group commits) and then every 40th
# up to 480 (rounds that last over a second, so the log also switches write-ahead files
# and syncs segments in the background: FL_LOG_WAL_SWITCH_MS), while a client posts
# batches of 10 events spread over the stream's 4 partitions (groups go through the
# write-ahead file). After each kill the next server recovers the log. At the end every
# event whose post got a 200 is in the log, and none is there twice (the client never
# retries).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" $'log:\n  partitions: 4'
: >"$T/acked"

client() {   # posts up to 400 batches of 10 events with unique ids; logs acked batches
  local round=$1 i body status
  for i in $(seq 1 400); do
    body=""
    for j in 0 1 2 3 4 5 6 7 8 9; do
      body+="{\"event_id\":\"k$round-$i-$j\",\"tenant_id\":\"t$j\",\"order_id\":$i,\"event_type\":\"order_paid\",\"event_time\":\"2026-11-25T10:00:00Z\"}"$'\n'
    done
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/x-ndjson' --data-binary "$body" "$URL/v1/streams/orders/events" || true)
    if [[ "$status" == 200 ]]; then echo "k$round-$i" >>"$T/acked"; fi
    if [[ "$status" == 000 ]]; then return 0; fi   # the server is gone
  done
}

survived=0 kills=0
for n in $(seq 1 24) $(seq 40 40 480); do
  : >"$T/serve.err"
  FLOE_CRASH_AT_FSYNC=$n "$FLOE" serve --project "$T/proj" --data "$FLOE_DATA" --listen 127.0.0.1:0 \
    >"$T/serve.out" 2>>"$T/serve.err" &
  SERVE_PID=$!
  port=
  for _ in $(seq 1 200); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/serve.err" | tail -1)
    [[ -n "$port" ]] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -n "$port" ]]; then
    URL="http://127.0.0.1:$port"
    client "$n"
  fi
  if kill -0 "$SERVE_PID" 2>/dev/null; then   # survived the round: its Nth sync is past this load
    kill -9 "$SERVE_PID"
    wait "$SERVE_PID" 2>/dev/null || true
    SERVE_PID=
    survived=$((survived + 1))
    continue
  fi
  rc=0
  wait "$SERVE_PID" 2>/dev/null || rc=$?
  SERVE_PID=
  [[ $rc -eq 137 ]] || fail "floe serve exited $rc at fsync $n (not the crash hook's SIGKILL): $(tail -3 "$T/serve.err")"
  kills=$((kills + 1))
done
echo "killed at $kills sync points; $survived rounds ended before their sync point (then killed by the test)"
[[ $kills -ge 24 ]] || fail "only $kills sync points reached"

start_serve "$T/proj"   # recovery
stop_serve
nacked=$(wc -l <"$T/acked")
echo "acknowledged batches: $nacked"
[[ $nacked -ge 10 ]] || fail "only $nacked batches were acknowledged: the test did not load the server"
floe log orders | grep -o '"event_id":"k[0-9]*-[0-9]*-[0-9]"' | sed 's/"event_id":"\(.*\)"/\1/' | sort >"$T/logged"
dups=$(uniq -d "$T/logged" | head -5)
assert_eq "" "$dups" "no event is in the log twice"
sed 's/-[0-9]$//' "$T/logged" | sort | uniq -c | awk '$1 == 10 {print $2}' | sort >"$T/complete"
missing=$(sort "$T/acked" | comm -23 - "$T/complete" | head -5)
assert_eq "" "$missing" "every acknowledged batch is in the log whole ($nacked batches)"
