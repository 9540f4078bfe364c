#!/usr/bin/env bash
# floe.yaml `stream: enabled: false`: `floe serve` takes events into the log as always
# and writes no bronze table (no stream job, no log consumer "stream"); turned back on,
# the job starts from offset 0 and takes everything the log holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 100ms
stream:
  enabled: false'
"$FLOE" gen orders --count 50 --bad 0 --duplicates 0 --seed 3 --out "$T/ev.ndjson" >/dev/null
start_serve "$T/proj"
post orders "$T/ev.ndjson"
assert_eq 200 "$STATUS" "post"
sleep 0.5
stop_serve
assert_contains "$(cat "$T/serve.err")" "stream jobs off" "said at start"
assert_eq 0 "$(snapshot_count bronze.orders)" "no bronze commit"
assert_eq 0 "$(floe log orders --stat | grep -c stream || true)" "no stream consumer"
assert_eq 50 "$(floe log orders | wc -l)" "the log holds the events"

printf 'commit_interval: 100ms\n' >"$T/proj/floe.yaml"
start_serve "$T/proj"
for _ in $(seq 1 100); do
  [[ "$("$FLOE" cat bronze.orders 2>/dev/null | wc -l)" == 50 ]] && break
  sleep 0.1
done
stop_serve
assert_eq 50 "$("$FLOE" cat bronze.orders | wc -l)" "the job, turned on, took the log from the start"
