#!/usr/bin/env bash
# `floe ingest --retries` rides out a server restart: the server is killed (SIGKILL)
# while ingest is between two parts of its input and comes back on the same port 2 s
# after ingest started posting the second part; ingest retries (connection
# refused, exponential back-off) until it is back, exits 0, reports every line
# accepted once, and every line is in the log at least once (a batch whose answer was
# lost may be stored twice: at least once, never lost). A second round kills the
# server while batches are in flight.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
"$FLOE" gen orders --count 60000 --seed 5 --duplicates 0 --late 0 --bad 0 --out "$T/a.ndjson" >/dev/null
"$FLOE" gen orders --count 60000 --seed 6 --duplicates 0 --late 0 --bad 0 --out "$T/b.ndjson" >/dev/null

start_serve "$T/proj"
port=${URL##*:}

log_total() { "$FLOE" log orders --stat | awk '$1 == "total" {print $2}'; }
# wait_log N: until the log holds N records (at most 30 s)
wait_log() {
  for _ in $(seq 1 600); do
    (( $(log_total) >= $1 )) && return 0
    sleep 0.05
  done
  fail "the log did not reach $1 records"
}

# round 1: 30,000 lines; once they are in the log the server is killed, then ingest
# gets the other 30,000 lines and meets a closed port for 2 s
{ head -n 30000 "$T/a.ndjson"; while [[ ! -e "$T/go" ]]; do sleep 0.05; done; tail -n +30001 "$T/a.ndjson"; } |
  "$FLOE" ingest orders - --url "$URL" --batch 500 --retries 12 >"$T/ingest.out" 2>"$T/ingest.err" &
ingest_pid=$!
wait_log 30000
sleep 0.3 # the last answer of the first part reaches ingest
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=
touch "$T/go"
sleep 2
start_serve "$T/proj" --listen "127.0.0.1:$port"
rc=0
wait "$ingest_pid" || rc=$?
assert_eq 0 "$rc" "ingest exit status across a restart (stderr: $(cat "$T/ingest.err"))"
assert_eq "accepted 60000, rejected 0" "$(cat "$T/ingest.out")" "every line accepted once"
assert_contains "$(cat "$T/ingest.err")" "0: $URL: cannot connect: Connection refused; retry 1 of 12 in 0.1 s" \
  "the batch after the pause was retried"

# round 2: kill the server while batches are in flight, restart it at once
"$FLOE" ingest orders "$T/b.ndjson" --url "$URL" --batch 100 --retries 12 >"$T/ingest2.out" 2>"$T/ingest2.err" &
ingest_pid=$!
wait_log $(( $(log_total) + 10000 ))
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=
sleep 0.5
start_serve "$T/proj" --listen "127.0.0.1:$port"
rc=0
wait "$ingest_pid" || rc=$?
assert_eq 0 "$rc" "ingest exit status, killed in flight (stderr: $(cat "$T/ingest2.err"))"
assert_eq "accepted 60000, rejected 0" "$(cat "$T/ingest2.out")" "every line accepted once, round 2"

# every line of both files is in the log at least once
"$FLOE" log orders --format ndjson | grep -o '"value":{"event_id":"[^"]*"' | cut -d'"' -f6 | LC_ALL=C sort -u >"$T/log.ids"
cat "$T/a.ndjson" "$T/b.ndjson" | grep -o '^{"event_id":"[^"]*"' | cut -d'"' -f4 | LC_ALL=C sort -u >"$T/sent.ids"
assert_eq 120000 "$(wc -l <"$T/sent.ids")" "distinct lines sent"
missing=$(LC_ALL=C comm -23 "$T/sent.ids" "$T/log.ids" | wc -l)
assert_eq 0 "$missing" "lines missing from the log"
total=$("$FLOE" log orders --format ndjson | wc -l)
(( total >= 120000 )) || fail "the log holds $total records, fewer than the 120000 lines sent"
echo "log records: $total for 120000 lines (duplicates from resent batches: $((total - 120000)))"
stop_serve
