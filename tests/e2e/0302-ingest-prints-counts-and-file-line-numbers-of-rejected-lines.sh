#!/usr/bin/env bash
# `floe ingest STREAM FILE|-` posts the file in batches (--batch lines each, blank lines
# counted) and reports what the server said: `accepted A, rejected R (lines ...)` on
# stdout, each rejected line on stderr with its reason and its line number in the FILE
# (not in the batch); rejects alone exit 0, a batch the server refuses exits 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
start_serve "$T/proj"

good() { printf '{"event_id":"%s","tenant_id":"acme","order_id":1,"event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}\n' "$1"; }
{
  good g-1
  good g-2
  printf '%s\n' '{"event_id":"b-3","tenant_id":"acme","order_id":"one","event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}'
  good g-4
  echo                                                  # line 5: blank (counts as a line)
  good g-6
  printf '%s\n' '{"event_id":"b-7","tenant_id":"acme","order_id":7,"event_type":"order_lost","event_time":"2026-11-25T10:00:00Z"}'
  good g-8
  printf '%s\n' '{"event_id":"b-9",'
  good g-10
  printf '{"event_id":"b-11","tenant_id":"ac\xffme","order_id":1,"event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}\n'
  printf '%s' '{"event_id":"b-12","tenant_id":"acme","order_id":1,"event_type":"order_paid"}'   # no final newline
} >"$T/mixed.ndjson"

run_floe ingest orders "$T/mixed.ndjson" --url "$URL" --batch 3
assert_eq 0 "$RC" "exit status with rejected lines (stderr: $ERR)"
assert_eq "accepted 6, rejected 5 (lines 3, 7, 9, 11, 12)" "$OUT" "ingest summary, batches of 3"
assert_eq "floe: line 3: field order_id: expected BIGINT, found \"one\"
floe: line 7: CHECK (event_type IN ('order_created', 'order_paid', 'order_shipped', 'order_cancelled')) failed: event_type = 'order_lost'
floe: line 9: invalid JSON: expected a field name, found end of line
floe: line 11: field tenant_id: invalid UTF-8 in a string
floe: line 12: field event_time: missing (NOT NULL)" "$ERR" "rejected lines with their file line numbers"

# the default batch (one request) and stdin give the same numbers
run_floe ingest orders - --url "$URL" <"$T/mixed.ndjson"
assert_eq 0 "$RC" "exit status from stdin"
assert_eq "accepted 6, rejected 5 (lines 3, 7, 9, 11, 12)" "$OUT" "ingest summary from stdin, one batch"

# FLOE_URL is the default URL; --batch 1 posts line by line
FLOE_URL=$URL run_floe ingest orders "$T/mixed.ndjson" --batch 1
assert_eq "accepted 6, rejected 5 (lines 3, 7, 9, 11, 12)" "$OUT" "ingest summary, batches of 1, FLOE_URL"

# all accepted lines are in the log, once per ingest (3 ingests)
assert_eq 18 "$("$FLOE" log orders --format ndjson | wc -l)" "log records after three ingests"
for id in g-1 g-2 g-4 g-6 g-8 g-10; do
  assert_eq 3 "$("$FLOE" log orders --format ndjson | grep -c "\"event_id\":\"$id\"")" "$id once per ingest"
done

# an empty file posts nothing
: >"$T/empty.ndjson"
run_floe ingest orders "$T/empty.ndjson" --url "$URL"
assert_eq "0 accepted 0, rejected 0" "$RC $OUT" "empty file"

# an unknown stream: the server's 404 fails the batch for good
run_floe ingest nosuch "$T/mixed.ndjson" --url "$URL"
assert_eq 1 "$RC" "unknown stream exit status"
assert_eq "accepted 0, rejected 0" "$OUT" "unknown stream summary"
assert_contains "$ERR" "floe: lines 1-12 failed: HTTP 404: " "unknown stream error"

# a missing file exits 1
run_floe ingest orders "$T/nofile.ndjson" --url "$URL"
assert_eq 1 "$RC" "missing file exit status"
assert_contains "$ERR" "nofile.ndjson" "missing file message"

# no server: the connection error is retried --retries times, then exit 1
stop_serve
run_floe ingest orders "$T/mixed.ndjson" --url "$URL" --retries 2
assert_eq 1 "$RC" "no server exit status"
assert_contains "$ERR" "retry 1 of 2 in 0.1 s" "first retry after 0.1 s"
assert_contains "$ERR" "retry 2 of 2 in 0.2 s" "second retry after 0.2 s"
assert_contains "$ERR" "floe: lines 1-12 failed: $URL: cannot connect: Connection refused" "no server message"
