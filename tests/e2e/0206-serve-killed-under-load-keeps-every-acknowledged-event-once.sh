#!/usr/bin/env bash
# Durability: `floe serve` is killed with SIGKILL at a random moment under load, 20
# times; after each restart every event whose post got a 200 is in the log, and no
# event is there twice (the client never retries, so any duplicate would be the log's).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" ''
: >"$T/acked"

client() {   # posts batches of 10 events with unique ids until killed; logs acked batches
  local round=$1 i=0 body
  while true; do
    body=""
    for j in 0 1 2 3 4 5 6 7 8 9; do
      body+="{\"event_id\":\"r$round-$i-$j\",\"tenant_id\":\"t\",\"order_id\":$i,\"event_type\":\"order_paid\",\"event_time\":\"2026-11-25T10:00:00Z\"}"$'\n'
    done
    status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary "$body" "$URL/v1/streams/orders/events" || true)
    if [[ "$status" == 200 ]]; then echo "r$round-$i" >>"$T/acked"; fi
    i=$((i + 1))
  done
}

for round in $(seq 1 20); do
  start_serve "$T/proj"
  client "$round" &
  cpid=$!
  sleep "0.$((RANDOM % 4 + 1))"
  kill -9 "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=
  kill "$cpid" 2>/dev/null || true
  wait "$cpid" 2>/dev/null || true
done

start_serve "$T/proj"   # recovery runs at open
stop_serve
nacked=$(wc -l <"$T/acked")
echo "acknowledged batches: $nacked"
[[ $nacked -gt 20 ]] || fail "only $nacked batches were acknowledged: the test did not load the server"

floe log orders | grep -o '"event_id":"r[0-9]*-[0-9]*-[0-9]"' | sed 's/"event_id":"\(.*\)"/\1/' | sort >"$T/logged"
dups=$(uniq -d "$T/logged" | head -5)
assert_eq "" "$dups" "no event is in the log twice"
sed 's/-[0-9]$//' "$T/logged" | sort | uniq -c | awk '$1 == 10 {print $2}' | sort >"$T/complete"
missing=$(sort "$T/acked" | comm -23 - "$T/complete" | head -5)
assert_eq "" "$missing" "every acknowledged batch is in the log whole ($nacked batches)"
