#!/usr/bin/env bash
# On a disk made slow (every fdatasync sleeps 2 ms first: FLOE_FSYNC_DELAY_US=2000),
# `floe serve`'s event log makes exactly one fsync per group commit, although each post
# spreads its 8 events over the stream's 8 partitions (before: one fsync per touched
# partition file, serially), and the acknowledged post rate grows with the number of
# connections (wrk, 1 then 4 then 16 keep-alive connections): more posts share each
# group's one fsync. The orderings are asserted with a wide margin, never a time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
command -v wrk >/dev/null || fail "wrk is needed (make deps installs it with the test tools)"
SECS=${FLOE_E2E_0701_SECONDS:-3}

make_project "$T/proj" $'log:\n  partitions: 8'
"$FLOE" gen orders --count 8 --duplicates 0 --late 0 --bad 0 --out "$T/body.ndjson" >/dev/null
[[ $(wc -l <"$T/body.ndjson") -eq 8 ]] || fail "floe gen made $(wc -l <"$T/body.ndjson") events, not 8"
export FLOE_FSYNC_DELAY_US=2000
start_serve "$T/proj"
unset FLOE_FSYNC_DELAY_US

metric() {   # metric NAME: its value in GET /metrics (one series, no labels)
  http GET /metrics
  assert_eq 200 "$STATUS" "GET /metrics"
  printf '%s\n' "$BODY" | awk -v n="$1" '$1 == n { printf "%d\n", $2; f = 1 } END { if (!f) print "missing" }'
}

declare -A rate per_group
for c in 1 4 16; do
  f0=$(metric floe_log_fsyncs_total)
  g0=$(metric floe_log_group_commits_total)
  FLOE_BENCH_BODY="$T/body.ndjson" wrk -t1 -c"$c" -d"${SECS}s" -s "$FLOE_ROOT/bench/wrk/post.lua" "$URL/v1/streams/orders/events" >"$T/wrk.$c" 2>&1 ||
    fail "wrk -c$c: $(cat "$T/wrk.$c")"
  line=$(grep '^WRK ' "$T/wrk.$c") || fail "wrk -c$c printed no summary: $(cat "$T/wrk.$c")"
  req=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<<"$line")
  dur=$(sed 's/.* duration_us=\([0-9]*\).*/\1/' <<<"$line")
  bad=$(sed 's/.* status_errors=\([0-9]*\).*/\1/' <<<"$line")
  assert_eq 0 "$bad" "every post with $c connections was acknowledged"
  f1=$(metric floe_log_fsyncs_total)
  g1=$(metric floe_log_group_commits_total)
  groups=$((g1 - g0))
  [[ $groups -gt 0 ]] || fail "no group commit with $c connections"
  assert_eq "$groups" "$((f1 - f0))" "fsyncs = group commits with $c connections ($req posts of 8 events)"
  rate[$c]=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%d", r * 1e6 / d }')
  per_group[$c]=$(awk -v r="$req" -v g="$groups" 'BEGIN { printf "%.2f", r / g }')
  echo "connections $c: $req posts in $((dur / 1000)) ms = ${rate[$c]} posts/s, $groups groups, $((f1 - f0)) fsyncs, ${per_group[$c]} posts per group"
done
assert_eq 1 "$(metric floe_log_group_fsyncs_max)" "no group commit made more than one fsync"

# acknowledged rate: 4 connections at least 1.5x one, 16 at least 1.5x four (ideal: 4x each)
awk -v a="${rate[1]}" -v b="${rate[4]}" 'BEGIN { exit !(b >= 1.5 * a) }' ||
  fail "4 connections acknowledged ${rate[4]} posts/s, not 1.5x the ${rate[1]} of one"
awk -v a="${rate[4]}" -v b="${rate[16]}" 'BEGIN { exit !(b >= 1.5 * a) }' ||
  fail "16 connections acknowledged ${rate[16]} posts/s, not 1.5x the ${rate[4]} of four"
awk -v a="${per_group[1]}" -v b="${per_group[16]}" 'BEGIN { exit !(b >= 3 * a) }' ||
  fail "16 connections put ${per_group[16]} posts in a group, not 3x the ${per_group[1]} of one"

# every acknowledged event is in the log (8 per post; posts cut off when wrk stopped may add more)
stop_serve
total=0
for c in 1 4 16; do total=$((total + 8 * $(sed -n 's/^WRK requests=\([0-9]*\).*/\1/p' "$T/wrk.$c"))); done
logged=$(floe log orders | wc -l)
echo "acknowledged events: $total; in the log: $logged"
[[ $logged -ge $total ]] || fail "the log holds $logged events, fewer than the $total acknowledged"
