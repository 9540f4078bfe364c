#!/usr/bin/env bash
# A server with a small limits.max_rejects cuts a request at its 6th rejected record
# (413, error_code 41304, cut_at_line: the lines before it are stored). `floe ingest`
# and `floe gen --url` resend the rest of the batch from that line, so a file of 100
# lines of which 40 are bad is stored completely: every good line once in the event
# log, every bad one once in quarantine.orders, the printed counts and the file line
# numbers of the rejected lines exact, exit status 0 (rejects alone are not a failure).
# A cut at the first line sent (one rejected record over max_quarantine_bytes) stores
# nothing, cannot progress, and fails the batch (exit 1) after storing the lines before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

YAML=$'commit_interval: 200ms\nlimits:\n  max_rejects: 5'
make_project "$T/proj" "$YAML"
start_serve "$T/proj"

# lines 1-100: line i is bad when i % 5 is 2 or 4 (40 lines), in four ways in turn
CHECK_REASON="CHECK (event_type IN ('order_created', 'order_paid', 'order_shipped', 'order_cancelled')) failed: event_type = 'order_lost'"
bad_lines=() expect_err=()
nbad=0
for i in $(seq 1 100); do
  if (( i % 5 == 2 || i % 5 == 4 )); then
    case $((nbad % 4)) in
      0) printf '{"event_id":"b-%d","tenant_id":"acme","order_id":"one","event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}\n' "$i"
         reason='field order_id: expected BIGINT, found "one"' ;;
      1) printf '{"event_id":"b-%d","tenant_id":"acme","order_id":%d,"event_type":"order_lost","event_time":"2026-11-25T10:00:00Z"}\n' "$i" "$i"
         reason=$CHECK_REASON ;;
      2) printf '{"event_id":"b-%d",\n' "$i"
         reason='invalid JSON: expected a field name, found end of line' ;;
      3) printf '{"event_id":"b-%d","tenant_id":"acme","order_id":%d,"event_type":"order_paid"}\n' "$i" "$i"
         reason='field event_time: missing (NOT NULL)' ;;
    esac
    bad_lines+=("$i")
    expect_err+=("floe: line $i: $reason")
    nbad=$((nbad + 1))
  else
    printf '{"event_id":"g-%d","tenant_id":"acme","order_id":%d,"event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}\n' "$i" "$i"
  fi
done >"$T/mixed.ndjson"
assert_eq 40 "$nbad" "bad lines written"

# what ingest prints: the 40 rejects in file order, and after every 5th (the request's
# limit) a note that the server cut the request at the next rejected line
expected_stderr() { # $1 = the batch size
  local batch=$1 bstart=1 first=1 n_in_req=0 out=() last
  for i in "${!bad_lines[@]}"; do
    local line=${bad_lines[$i]}
    while (( line > bstart + batch - 1 )); do bstart=$((bstart + batch)); first=$bstart n_in_req=0; done
    last=$((bstart + batch - 1)); (( last > 100 )) && last=100
    if (( n_in_req == 5 )); then
      out+=("floe: lines $first-$last: the server stored lines $first-$((line - 1)) and cut the request (limits.max_rejects or max_quarantine_bytes); resending lines $line-$last")
      first=$line n_in_req=0
    fi
    out+=("${expect_err[$i]}")
    n_in_req=$((n_in_req + 1))
  done
  printf '%s\n' "${out[@]}"
}
SUMMARY="accepted 60, rejected 40 (lines 2, 4, 7, 9, 12, 14, 17, 19, 22, 24, 27, 29, 32, 34, 37, 39, 42, 44, 47, 49, and 20 more)"

# check_stored: the event log holds every good line once, quarantine.orders every bad
# one once (the server is stopped first: its last quarantine flush)
check_stored() {
  local what=$1
  "$FLOE" log orders --format ndjson >"$T/log.ndjson"
  assert_eq 60 "$(wc -l <"$T/log.ndjson")" "$what: records in the event log"
  grep -o '"value":{"event_id":"[^"]*"' "$T/log.ndjson" | cut -d'"' -f6 | sort >"$T/log.ids"
  for i in $(seq 1 100); do (( i % 5 == 2 || i % 5 == 4 )) || echo "g-$i"; done | sort >"$T/good.ids"
  cmp -s "$T/good.ids" "$T/log.ids" || fail "$what: the log's event_ids: $(diff "$T/good.ids" "$T/log.ids" | head -5)"
  "$FLOE" cat quarantine.orders >"$T/q.ndjson"
  assert_eq 40 "$(wc -l <"$T/q.ndjson")" "$what: rows in quarantine.orders"
  grep -o '"raw":"{\\"event_id\\":\\"b-[0-9]*' "$T/q.ndjson" | sed 's/.*b-/b-/' | sort >"$T/q.ids"
  printf 'b-%s\n' "${bad_lines[@]}" | sort >"$T/bad.ids"
  cmp -s "$T/bad.ids" "$T/q.ids" || fail "$what: the quarantined event_ids: $(diff "$T/bad.ids" "$T/q.ids" | head -5)"
}

# one batch of 100 lines: cut 7 times, sent 8 times
run_floe ingest orders "$T/mixed.ndjson" --url "$URL"
assert_eq 0 "$RC" "exit status, one batch (stderr: $ERR)"
assert_eq "$SUMMARY" "$OUT" "summary, one batch"
assert_eq "$(expected_stderr 1000)" "$ERR" "stderr, one batch"
assert_eq 7 "$(grep -c 'cut the request' <<<"$ERR")" "cuts, one batch"
stop_serve
check_stored "one batch"

# batches of 13 lines from stdin, into a fresh data dir: cuts inside batches, line
# numbers still the file's
export FLOE_DATA=$T/data2
start_serve "$T/proj"
run_floe ingest orders - --url "$URL" --batch 13 <"$T/mixed.ndjson"
assert_eq 0 "$RC" "exit status, batches of 13 (stderr: $ERR)"
assert_eq "$SUMMARY" "$OUT" "summary, batches of 13"
assert_eq "$(expected_stderr 13)" "$ERR" "stderr, batches of 13"
stop_serve
check_stored "batches of 13"

# floe gen --url: 2,000 lines, 30% bad, batches of 500 (each cut several times); the
# log holds exactly the good lines gen sent, the quarantine the bad ones
export FLOE_DATA=$T/data3
start_serve "$T/proj"
GEN=(orders --count 2000 --seed 7 --bad 0.3 --duplicates 0.05)
summary=$("$FLOE" gen "${GEN[@]}" --url "$URL" --batch 500 --connections 2 2>"$T/gen.err") ||
  fail "floe gen exited $?: $summary $(cat "$T/gen.err")"
"$FLOE" gen "${GEN[@]}" --out "$T/sent.ndjson" >/dev/null
num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$summary"; }
bad=$(num bad)
(( bad > 500 )) || fail "gen made $bad bad lines"
assert_eq "$((2000 - bad))" "$(num accepted)" "gen: accepted = the good lines"
assert_eq "$bad" "$(num rejected)" "gen: rejected = the bad lines"
assert_eq 0 "$(num failed)" "gen: nothing failed"
stop_serve
LC_ALL=C grep -ao '^{"event_id":"e[^"]*"' "$T/sent.ndjson" | cut -d'"' -f4 | LC_ALL=C sort >"$T/sent.ids"
"$FLOE" log orders --format ndjson | LC_ALL=C grep -o '"value":{"event_id":"[^"]*"' | cut -d'"' -f6 |
  LC_ALL=C sort >"$T/log.ids"
cmp -s "$T/sent.ids" "$T/log.ids" || fail "gen: the log's event_ids: $(diff "$T/sent.ids" "$T/log.ids" | head -5)"
assert_eq "$bad" "$("$FLOE" cat quarantine.orders | wc -l)" "gen: rows in quarantine.orders"
LC_ALL=C grep -ao '^{"event_id":"x[^"]*"' "$T/sent.ndjson" | cut -d'"' -f4 | LC_ALL=C sort >"$T/bad.ids"
"$FLOE" cat quarantine.orders | LC_ALL=C grep -o '"raw":"{\\"event_id\\":\\"x[^\\]*' | sed 's/.*"x/x/' |
  LC_ALL=C sort >"$T/q.ids"
cmp -s "$T/bad.ids" "$T/q.ids" || fail "gen: the quarantined event_ids: $(diff "$T/bad.ids" "$T/q.ids" | head -5)"

# no progress: a rejected record alone over max_quarantine_bytes is cut at the first
# line of its request; ingest stores the lines before it, then fails (exit 1)
export FLOE_DATA=$T/data4
make_project "$T/proj4" $'commit_interval: 200ms\nlimits:\n  max_quarantine_bytes: 64KiB\n  max_raw_bytes: 100000'
start_serve "$T/proj4"
{
  sed -n 1p "$T/mixed.ndjson"
  printf '{"event_id":"b-huge","tenant_id":"acme","order_id":"%s"}\n' "$(head -c 70000 /dev/zero | tr '\0' 'x')"
  sed -n 3p "$T/mixed.ndjson"
} >"$T/huge.ndjson"
run_floe ingest orders "$T/huge.ndjson" --url "$URL"
assert_eq 1 "$RC" "exit status when a cut cannot progress"
assert_eq "accepted 1, rejected 0" "$OUT" "summary when a cut cannot progress"
assert_eq "floe: lines 1-3: the server stored lines 1-1 and cut the request (limits.max_rejects or max_quarantine_bytes); resending lines 2-3
floe: lines 2-3 failed: HTTP 413: the server cut the request at line 2, its first, and stored nothing (one rejected record over limits.max_quarantine_bytes?)
floe: lines 2 to the end of $T/huge.ndjson were not (all) stored" "$ERR" "stderr when a cut cannot progress"
assert_eq 1 "$("$FLOE" log orders --format ndjson | wc -l)" "only line 1 is in the log"
