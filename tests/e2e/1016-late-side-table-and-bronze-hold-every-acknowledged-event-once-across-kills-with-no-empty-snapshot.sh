#!/usr/bin/env bash
# late_policy = 'side' under SIGKILLs (issue 14: one commit per checkpoint per table,
# never an empty one). `floe serve` (100 ms checkpoints) is killed at random moments
# while a client posts batches of on-time events and batches of events an hour older
# (late once their log partition saw the on-time ones), pausing between batches so many
# checkpoints hold late events only (they commit the side table alone). After 20 kills
# and a clean restart: bronze.orders and quarantine.orders_late, read by icebird (not
# floe), hold together exactly the events of the log, each once (none in both tables);
# every acknowledged batch whole; every snapshot of either table added a data file
# (or is a compaction's replace); and some checkpoints committed the side table alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/icebird" ]] || fail "icebird is missing: bash scripts/deps.sh --test"

make_project "$T/proj" 'commit_interval: 100ms'
sed -i "s/late_policy = 'keep'/late_policy = 'side'/" "$T/proj/streams/orders.sql"
grep -q "late_policy = 'side'" "$T/proj/streams/orders.sql" || fail "the example stream changed: no late_policy to set"
: >"$T/acked"

client() { # alternates on-time and late batches of 10 events until killed; logs acknowledged batches
  local round=$1 i=0 body hour
  while true; do
    body=""
    hour=10
    ((i % 2)) && hour=09
    for j in 0 1 2 3 4 5 6 7 8 9; do
      body+="{\"event_id\":\"r$round-$i-$j\",\"tenant_id\":\"t$j\",\"order_id\":$i,\"event_type\":\"order_paid\",\"event_time\":\"2026-11-25T$hour:00:0${j}Z\"}"$'\n'
    done
    status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary "$body" "$URL/v1/streams/orders/events" || true)
    if [[ "$status" == 200 ]]; then echo "r$round-$i" >>"$T/acked"; fi
    i=$((i + 1))
    sleep 0.13
  done
}

kills=20
[[ $SANITIZED == 1 ]] && kills=8
for round in $(seq 1 "$kills"); do
  start_serve "$T/proj"
  client "$round" &
  cpid=$!
  sleep "0.$((RANDOM % 8 + 2))"
  kill -9 "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=
  kill "$cpid" 2>/dev/null || true
  wait "$cpid" 2>/dev/null || true
done

start_serve "$T/proj"
nacked=$(wc -l <"$T/acked")
[[ $nacked -gt $kills ]] || fail "only $nacked batches were acknowledged: the test did not load the server"
floe log orders | grep -o '"event_id":"r[0-9]*-[0-9]*-[0-9]"' | sed 's/"event_id":"\(.*\)"/\1/' | sort >"$T/logged"
want=$(wc -l <"$T/logged")
for _ in $(seq 1 100); do
  got=$(($("$FLOE" cat bronze.orders 2>/dev/null | wc -l) + $("$FLOE" cat quarantine.orders_late 2>/dev/null | wc -l)))
  [[ "$got" == "$want" ]] && break
  sleep 0.1
done
stop_serve
out=$(node "$FLOE_ROOT/tests/interop/bronze_ids.mjs" "$FLOE_DATA" orders "$T/bronze_ids") || fail "bronze: $out"
lout=$(node "$FLOE_ROOT/tests/interop/late_ids.mjs" "$FLOE_DATA" orders "$T/late_ids") || fail "late: $lout"
echo "acknowledged batches: $nacked; log: $want events; bronze: $out; late side table: $lout"
[[ -s "$T/late_ids" ]] || fail "no event reached the late side table: the test did not exercise it"
assert_eq "" "$(comm -12 "$T/bronze_ids" "$T/late_ids" | head -5)" "no event in both tables"
sort "$T/bronze_ids" "$T/late_ids" >"$T/ids"
assert_eq "" "$(diff "$T/logged" "$T/ids" | head -5)" "bronze and the side table hold exactly the log's events"
sed 's/-[0-9]$//' "$T/ids" | sort | uniq -c | awk '$1 == 10 {print $2}' | sort >"$T/complete"
missing=$(sort "$T/acked" | comm -23 - "$T/complete" | head -5)
assert_eq "" "$missing" "every acknowledged batch is in the two tables whole ($nacked batches)"

# the snapshots, from the metadata a reader by path opens (node: JSON without floe)
snaps() { # TABLE_DIR: one line per snapshot: operation added-data-files checkpoint-id
  node -e '
    const fs = require("fs"), d = process.argv[1] + "/metadata/";
    const v = fs.readFileSync(d + "version-hint.text", "utf8").trim();
    for (const s of JSON.parse(fs.readFileSync(d + "v" + v + ".metadata.json", "utf8")).snapshots || [])
      console.log(s.summary.operation, s.summary["added-data-files"] || "0", s.summary["floe.checkpoint-id"] || "-");
  ' "$FLOE_DATA/warehouse/$1"
}
for t in bronze/orders quarantine/orders_late; do
  snaps "$t" >"$T/snaps"
  [[ -s "$T/snaps" ]] || fail "$t: no snapshot"
  assert_eq "" "$(awk '$1 == "append" && $2 == 0' "$T/snaps" | head -5)" "$t: no append snapshot without a data file"
done
ckpts() { snaps "$1" | awk '$1 == "append" {print $3}' | sort; }
ckpts bronze/orders >"$T/bronze_ckpts"
ckpts quarantine/orders_late >"$T/late_ckpts"
alone=$(comm -13 "$T/bronze_ckpts" "$T/late_ckpts" | wc -l)
echo "checkpoints: bronze $(wc -l <"$T/bronze_ckpts"), side table $(wc -l <"$T/late_ckpts"), side table alone $alone"
[[ $alone -gt 0 ]] || fail "no checkpoint committed the side table alone: the test did not exercise it"
