#!/usr/bin/env bash
# Exactly once into bronze: `floe serve` (100 ms checkpoints) is killed with SIGKILL at
# a random moment under load, 50 times; every 10 kills bronze.orders, read by icebird
# (not floe) at the version a reader finds by path, holds no event twice; at the end,
# after a clean restart, it holds every acknowledged event exactly once and exactly the
# events the log holds (the client never retries, so a duplicate would be floe's).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/icebird" ]] || fail "icebird is missing: bash scripts/deps.sh --test"

make_project "$T/proj" 'commit_interval: 100ms'
: >"$T/acked"

client() { # posts batches of 10 distinct events until killed; logs acknowledged batches
  local round=$1 i=0 body
  while true; do
    body=""
    for j in 0 1 2 3 4 5 6 7 8 9; do
      body+="{\"event_id\":\"r$round-$i-$j\",\"tenant_id\":\"t$j\",\"order_id\":$i,\"event_type\":\"order_paid\",\"event_time\":\"2026-11-25T10:00:0${j}Z\"}"$'\n'
    done
    status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary "$body" "$URL/v1/streams/orders/events" || true)
    if [[ "$status" == 200 ]]; then echo "r$round-$i" >>"$T/acked"; fi
    i=$((i + 1))
  done
}

# 50 kills; 15 under ASan (build-san: the same code paths, at a fraction of the speed)
kills=50
[[ $SANITIZED == 1 ]] && kills=15
for round in $(seq 1 "$kills"); do
  start_serve "$T/proj"
  client "$round" &
  cpid=$!
  sleep "0.$((RANDOM % 5 + 1))"
  kill -9 "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=
  kill "$cpid" 2>/dev/null || true
  wait "$cpid" 2>/dev/null || true
  if ((round % 10 == 0)); then
    out=$(node "$FLOE_ROOT/tests/interop/bronze_ids.mjs" "$FLOE_DATA" orders "$T/ids") || fail "after kill $round: $out"
    echo "after kill $round: bronze $out"
  fi
done

start_serve "$T/proj"
nacked=$(wc -l <"$T/acked")
[[ $nacked -gt $kills ]] || fail "only $nacked batches were acknowledged: the test did not load the server"
floe log orders | grep -o '"event_id":"r[0-9]*-[0-9]*-[0-9]"' | sed 's/"event_id":"\(.*\)"/\1/' | sort >"$T/logged"
want=$(wc -l <"$T/logged")
for _ in $(seq 1 100); do
  [[ "$("$FLOE" cat bronze.orders 2>/dev/null | wc -l)" == "$want" ]] && break
  sleep 0.1
done
stop_serve
out=$(node "$FLOE_ROOT/tests/interop/bronze_ids.mjs" "$FLOE_DATA" orders "$T/ids") || fail "at the end: $out"
echo "acknowledged batches: $nacked; log: $want events; bronze: $out"
assert_eq "" "$(diff "$T/logged" "$T/ids" | head -5)" "bronze holds exactly the log's events"
sed 's/-[0-9]$//' "$T/ids" | sort | uniq -c | awk '$1 == 10 {print $2}' | sort >"$T/complete"
missing=$(sort "$T/acked" | comm -23 - "$T/complete" | head -5)
assert_eq "" "$missing" "every acknowledged batch is in bronze whole ($nacked batches)"
