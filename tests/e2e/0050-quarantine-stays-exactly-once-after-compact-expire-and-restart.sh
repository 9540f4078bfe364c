#!/usr/bin/env bash
# Quarantine exactly-once survives maintenance: after `floe compact quarantine.orders`
# (and `floe expire`) replaced the snapshot that carried the flusher's log offset
# (floe.log-offset.0), a restarted `floe serve` continues from that offset: the table
# holds each rejected record once (regression: 2 rows became 4).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 100ms'
bad() { printf '{"event_id":"%s"}\n' "$@"; }

wait_rows() {   # wait_rows N: quarantine.orders reaches N rows
  local rows=0
  for _ in $(seq 1 100); do
    rows=$("$FLOE" cat quarantine.orders 2>/dev/null | wc -l || true)
    [[ $rows -ge $1 ]] && break
    sleep 0.1
  done
  echo "$rows"
}

start_serve "$T/proj"
bad b-1 >"$T/a.ndjson"
post orders "$T/a.ndjson"
assert_eq 400 "$STATUS" "first bad batch"
assert_eq 1 "$(wait_rows 1)" "first flush"
bad b-2 >"$T/b.ndjson"
post orders "$T/b.ndjson"
assert_eq 2 "$(wait_rows 2)" "second flush: two snapshots, two files"
stop_serve

"$FLOE" compact quarantine.orders >/dev/null
assert_eq 2 "$("$FLOE" cat quarantine.orders | wc -l)" "compaction keeps the two rows"
"$FLOE" describe quarantine.orders >"$T/describe.txt"
grep -q "replace" "$T/describe.txt" || fail "compaction committed no replace snapshot: $(cat "$T/describe.txt")"

start_serve "$T/proj"
sleep 0.5   # several commit intervals: a flusher that lost its offset re-copies now
assert_eq 2 "$("$FLOE" cat quarantine.orders | wc -l)" "a restart after compaction copies nothing twice"
stop_serve

# expiry leaves only the newest snapshot: the offset must still be found
"$FLOE" expire quarantine.orders --older-than 0 --retain-last 1 >"$T/expire.out"
start_serve "$T/proj"
sleep 0.5
assert_eq 2 "$("$FLOE" cat quarantine.orders | wc -l)" "a restart after expiry copies nothing twice"
bad b-3 >"$T/c.ndjson"
post orders "$T/c.ndjson"
assert_eq 3 "$(wait_rows 3)" "a new reject after both lands once"
stop_serve
assert_eq 3 "$("$FLOE" cat quarantine.orders | wc -l)" "after the final stop"
assert_eq 1 "$("$FLOE" cat quarantine.orders | grep -c '"b-3')" "b-3 once"
