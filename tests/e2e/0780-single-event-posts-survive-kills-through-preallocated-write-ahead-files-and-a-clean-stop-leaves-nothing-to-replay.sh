#!/usr/bin/env bash
# Single-event posts (each a group of its own or shared, one partition each: they go
# through the write-ahead file, which is preallocated and overwritten in place): 4
# clients post concurrently while `floe serve` is killed with SIGKILL, 3 times. After
# each kill both write-ahead files keep their preallocated size (never truncated) and
# start with a version-2 file header ("FLWH"); the next server replays the frames.
# At the end every acknowledged event is in the log exactly once, and after a clean
# stop a restart replays nothing (every older frame is invalidated by a new header).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" $'log:\n  partitions: 4'
: >"$T/acked"

client() {   # ROUND ID: posts up to 300 single events with unique ids; logs acked ones
  local i status
  for i in $(seq 1 300); do
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/x-ndjson' \
      --data-binary "{\"event_id\":\"s$1-$2-$i\",\"tenant_id\":\"t$2\",\"order_id\":$i,\"event_type\":\"order_paid\",\"event_time\":\"2026-11-25T10:00:00Z\"}" \
      "$URL/v1/streams/orders/events" || true)
    if [[ "$status" == 200 ]]; then echo "s$1-$2-$i" >>"$T/acked.$2"; fi
    if [[ "$status" == 000 ]]; then return 0; fi   # the server is gone
  done
}

replays=0
for round in 1 2 3; do
  start_serve "$T/proj"
  if grep -q "replayed [1-9][0-9]* write-ahead frames" "$T/serve.err"; then replays=$((replays + 1)); fi
  pids=()
  for c in 1 2 3 4; do client "$round" "$c" & pids+=($!); done
  sleep 1
  kill -9 "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=
  for p in "${pids[@]}"; do wait "$p"; done
  for c in 1 2 3 4; do [[ -f "$T/acked.$c" ]] && cat "$T/acked.$c" >>"$T/acked" && rm "$T/acked.$c"; done
  for w in "$FLOE_DATA/log/.wal-0" "$FLOE_DATA/log/.wal-1"; do
    size=$(stat -c %s "$w")
    (( size >= 1048576 + 64 )) || fail "round $round: $w is $size bytes, not preallocated"
    assert_eq "FLWH" "$(head -c 4 "$w")" "round $round: $w starts with its file header"
  done
done
start_serve "$T/proj"   # replays the last kill's frames
if grep -q "replayed [1-9][0-9]* write-ahead frames" "$T/serve.err"; then replays=$((replays + 1)); fi
(( replays >= 1 )) || fail "no restart replayed a frame: the kills came when nothing was in flight"
stop_serve
start_serve "$T/proj"   # after a clean stop: nothing to replay
if grep -q "replayed .* write-ahead frames" "$T/serve.err"; then fail "a clean stop left frames: $(grep replayed "$T/serve.err")"; fi
stop_serve

nacked=$(wc -l <"$T/acked")
echo "acknowledged events: $nacked; restarts that replayed frames: $replays"
[[ $nacked -ge 100 ]] || fail "only $nacked events were acknowledged: the test did not load the server"
floe log orders | grep -o '"event_id":"s[0-9]*-[0-9]*-[0-9]*"' | sed 's/"event_id":"\(.*\)"/\1/' | sort >"$T/logged"
assert_eq "" "$(uniq -d "$T/logged" | head -5)" "no event is in the log twice"
assert_eq "" "$(sort "$T/acked" | comm -23 - "$T/logged" | head -5)" "every acknowledged event is in the log ($nacked)"
