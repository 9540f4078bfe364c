#!/usr/bin/env bash
# The end-to-end check of the Ingest issue: `floe serve` on a copy of examples/orders,
# `floe gen orders` posting 1,000,000 events (COUNT=N to change it) with 5% duplicates,
# 1% late and 0.5% bad ones over 2 keep-alive connections. Then:
# - gen's counts add up: sent = unique + duplicates + bad, accepted = unique +
#   duplicates, rejected = bad, nothing failed;
# - the event log holds every accepted event exactly once per post: the multiset of
#   event_ids in `floe log orders` equals the one of the good lines gen sent (gen is
#   deterministic: the same options and seed written with --out give the same lines);
# - every rejected record is in quarantine.orders with its reason, once: its count is
#   gen's rejected count, and the bad event_ids quarantined are exactly the ones sent.
# (1M events: gen posts them in about 3 s, reading the log back takes about 7 s on
# this 2-core machine.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

COUNT=${COUNT:-1000000}
GEN_OPTS=(orders --count "$COUNT" --seed 42 --duplicates 0.05 --late 0.01 --bad 0.005)

mkdir -p "$T/proj"
cp -r "$FLOE_ROOT/examples/orders/floe.yaml" "$FLOE_ROOT/examples/orders/streams" "$T/proj/"
start_serve "$T/proj"

summary=$("$FLOE" gen "${GEN_OPTS[@]}" --url "$URL" --connections 2) || fail "floe gen exited $?: $summary"
num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$summary"; }
sent=$(num sent) unique=$(num unique) dups=$(num duplicates) late=$(num late) bad=$(num bad)
accepted=$(num accepted) rejected=$(num rejected) failed=$(num failed)
echo "gen: $summary"
assert_eq "$COUNT" "$sent" "gen sent --count lines"
assert_eq "$sent" "$((unique + dups + bad))" "sent = unique + duplicates + bad"
assert_eq "$((unique + dups))" "$accepted" "the server accepted the unique events and the duplicates"
assert_eq "$bad" "$rejected" "the server rejected exactly the bad records"
assert_eq 0 "$failed" "no batch failed"
# the fractions are honoured (within 10% of the expected counts)
(( dups > COUNT * 5 / 100 * 9 / 10 && dups < COUNT * 5 / 100 * 11 / 10 )) || fail "duplicates $dups"
(( late > COUNT / 100 * 9 / 10 && late < COUNT / 100 * 11 / 10 )) || fail "late $late"
(( bad > COUNT * 5 / 1000 * 9 / 10 && bad < COUNT * 5 / 1000 * 11 / 10 )) || fail "bad $bad"

# what was sent, line for line (the summary goes to stderr when the lines go to stdout)
"$FLOE" gen "${GEN_OPTS[@]}" --out "$T/sent.ndjson" >"$T/sent.summary"
assert_eq "$(sed 's/,"accepted".*/}/' <<<"$summary")" "$(cat "$T/sent.summary")" "--out and --url generate the same events"
assert_eq "$COUNT" "$(wc -l <"$T/sent.ndjson")" "lines written"
LC_ALL=C grep -ao '^{"event_id":"e[^"]*"' "$T/sent.ndjson" | cut -d'"' -f4 | LC_ALL=C sort >"$T/sent.ids"
LC_ALL=C grep -ao '^{"event_id":"x[^"]*"' "$T/sent.ndjson" | cut -d'"' -f4 | LC_ALL=C sort >"$T/bad.ids"
assert_eq "$accepted" "$(wc -l <"$T/sent.ids")" "good lines in the sent file"
assert_eq "$bad" "$(wc -l <"$T/bad.ids")" "bad lines in the sent file"
assert_eq "$unique" "$(uniq <"$T/sent.ids" | wc -l)" "distinct good event_ids in the sent file"

# the event log: every accepted event exactly once per post
"$FLOE" log orders --format ndjson >"$T/log.ndjson"
assert_eq "$accepted" "$(wc -l <"$T/log.ndjson")" "records in the event log"
LC_ALL=C grep -o '"value":{"event_id":"[^"]*"' "$T/log.ndjson" | cut -d'"' -f6 | LC_ALL=C sort >"$T/log.ids"
LC_ALL=C uniq -c "$T/sent.ids" >"$T/sent.counts"
LC_ALL=C uniq -c "$T/log.ids" >"$T/log.counts"
cmp -s "$T/sent.counts" "$T/log.counts" ||
  fail "the log's event_id multiset differs from what gen sent: $(diff "$T/sent.counts" "$T/log.counts" | head -5)"

# quarantine: every rejected record, with its reason, once
rows=0
for _ in $(seq 1 300); do
  rows=$("$FLOE" cat quarantine.orders 2>/dev/null | wc -l || true)
  [[ $rows -ge $rejected ]] && break
  sleep 0.1
done
assert_eq "$rejected" "$rows" "quarantine.orders holds every rejected record"
"$FLOE" cat quarantine.orders >"$T/quarantine.ndjson"
assert_eq 0 "$(grep -vc '"reason":"[^"]' "$T/quarantine.ndjson" || true)" "every quarantined record has a reason"
grep -o 'x42-[0-9]*' "$T/quarantine.ndjson" | LC_ALL=C sort >"$T/quarantine.ids"
cmp -s "$T/bad.ids" "$T/quarantine.ids" ||
  fail "quarantined event_ids differ from the bad ones sent: $(diff "$T/bad.ids" "$T/quarantine.ids" | head -5)"
q=$(cat "$T/quarantine.ndjson")
assert_contains "$q" "failed: event_type = 'order_lost'" "a CHECK failure is quarantined with its reason"
assert_contains "$q" 'field event_time: missing (NOT NULL)' "a missing field is quarantined with its reason"
assert_contains "$q" 'field order_id: expected BIGINT' "a wrong type is quarantined with its reason"
assert_contains "$q" 'invalid JSON' "malformed JSON is quarantined with its reason"
assert_contains "$q" 'invalid UTF-8' "invalid UTF-8 is quarantined with its reason"
stop_serve
