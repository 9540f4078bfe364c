#!/usr/bin/env bash
# The quarantine is a table of the stream job's checkpoint: `floe serve` (100 ms
# checkpoints) is killed with SIGKILL at a random moment while batches of good and bad
# records stream in, 20 times; every 5 kills quarantine.orders, read by icebird (not
# floe), holds no rejected record twice; at the end, after a clean restart, it holds
# every rejected record of every acknowledged batch exactly once, and exactly the
# records of the log orders.quarantine (the client never retries), while bronze.orders
# holds the good ones once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/icebird" ]] || fail "icebird is missing: bash scripts/deps.sh --test"

make_project "$T/proj" 'commit_interval: 100ms'
: >"$T/acked"

client() { # posts batches of 5 good and 5 bad records until killed; logs acknowledged batches
  local round=$1 i=0 body
  while true; do
    body=""
    for j in 0 1 2 3 4; do # good
      body+="{\"event_id\":\"g$round-$i-$j\",\"tenant_id\":\"t$j\",\"order_id\":$i,\"event_type\":\"order_paid\",\"event_time\":\"2026-11-25T10:00:0${j}Z\"}"$'\n'
    done
    for j in 5 6 7 8 9; do # bad: no event_time (NOT NULL)
      body+="{\"event_id\":\"q$round-$i-$j\",\"tenant_id\":\"t$j\",\"order_id\":$i,\"event_type\":\"order_paid\"}"$'\n'
    done
    status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary "$body" "$URL/v1/streams/orders/events" || true)
    if [[ "$status" == 200 ]]; then echo "q$round-$i" >>"$T/acked"; fi
    i=$((i + 1))
  done
}

kills=20
[[ $SANITIZED == 1 ]] && kills=8
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
  if ((round % 5 == 0)); then
    out=$(node "$FLOE_ROOT/tests/interop/quarantine_ids.mjs" "$FLOE_DATA" orders "$T/qids") || fail "after kill $round: $out"
    echo "after kill $round: quarantine $out"
  fi
done

start_serve "$T/proj"
nacked=$(wc -l <"$T/acked")
[[ $nacked -gt $kills ]] || fail "only $nacked batches were acknowledged: the test did not load the server"
floe log orders.quarantine | grep -o 'event_id[\\"]*:[\\"]*q[0-9]*-[0-9]*-[0-9]' | sed 's/.*\(q[0-9]*-[0-9]*-[0-9]\)$/\1/' | sort >"$T/logged"
want=$(wc -l <"$T/logged")
[[ $want -ge $((nacked * 5)) ]] || fail "the quarantine log holds $want records for $nacked acknowledged batches"
for _ in $(seq 1 100); do
  [[ "$("$FLOE" cat quarantine.orders 2>/dev/null | wc -l)" == "$want" ]] && break
  sleep 0.1
done
stop_serve
out=$(node "$FLOE_ROOT/tests/interop/quarantine_ids.mjs" "$FLOE_DATA" orders "$T/qids") || fail "at the end: $out"
echo "acknowledged batches: $nacked; quarantine log: $want records; quarantine.orders: $out"
assert_eq "" "$(diff "$T/logged" "$T/qids" | head -5)" "quarantine.orders holds exactly the quarantine log's records"
sed 's/-[0-9]$//' "$T/qids" | sort | uniq -c | awk '$1 == 5 {print $2}' | sort >"$T/complete"
missing=$(sort "$T/acked" | comm -23 - "$T/complete" | head -5)
assert_eq "" "$missing" "every acknowledged batch's rejects are in quarantine.orders ($nacked batches)"
out=$(node "$FLOE_ROOT/tests/interop/bronze_ids.mjs" "$FLOE_DATA" orders "$T/ids") || fail "bronze: $out"
sed 's/-[0-9]$//' "$T/ids" | sort | uniq -c | awk '$1 == 5 {print $2}' | sed 's/^g/q/' | sort >"$T/bcomplete"
missing=$(sort "$T/acked" | comm -23 - "$T/bcomplete" | head -5)
assert_eq "" "$missing" "every acknowledged batch's good records are in bronze.orders"
# the stream job, not a second committer, wrote the table: its snapshots carry checkpoint ids
mdir="$FLOE_DATA/warehouse/quarantine/orders/metadata"
meta="$mdir/v$(cat "$mdir/version-hint.text").metadata.json"
grep -q '"floe.checkpoint-id"' "$meta" || fail "quarantine.orders' snapshots carry no floe.checkpoint-id: $meta"
