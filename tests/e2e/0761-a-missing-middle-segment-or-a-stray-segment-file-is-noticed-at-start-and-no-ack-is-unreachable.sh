#!/usr/bin/env bash
# Damage between segment files is noticed when the server starts: a missing middle
# segment is reported (a warning naming stream, partition, file and offsets, and the
# floe_log_damaged_ranges metric), `floe log --verify` names the gap (exit 1), and the
# writes the server acknowledges afterwards are all readable (--skip-damaged); a stray
# segment file inside another one's offsets stops the start with an error naming both
# files, so nothing is acknowledged into a log readers could not follow.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms
log:
  segment_bytes: 8KiB'
start_serve "$T/proj"
for i in 1 2 3 4 5 6; do
  post orders "$FLOE_ROOT/examples/orders/data/orders.ndjson"
  assert_eq 1000 "$(json_field accepted)" "post $i accepted"
done
stop_serve
before=$(floe log orders --format text)
assert_eq 6000 "$(wc -l <<<"$before")" "6,000 acknowledged records"

pdir="$FLOE_DATA/log/orders/1"
mapfile -t segs < <(ls "$pdir" | grep -E '^[0-9]{20}\.log$')
((${#segs[@]} >= 3)) || fail "expected several segments in $pdir: ${segs[*]}"
gone=${segs[1]} next=${segs[2]}
o0=$((10#${gone%.log})) o1=$((10#${next%.log}))
mv "$pdir/$gone" "$T/$gone"    # a lost middle segment

start_serve "$T/proj"
http GET /metrics
assert_contains "$BODY" 'floe_log_damaged_ranges{stream="orders"} 1' "the metric counts the range"
post orders "$FLOE_ROOT/examples/orders/data/orders.ndjson"
assert_eq 1000 "$(json_field accepted)" "a post after the restart"
stop_serve
assert_contains "$(cat "$T/serve.err")" "stream orders partition 1: damaged range in $pdir/$next: bytes 0..0, offsets $o0..$o1 lost (offsets missing between segment files" "the server names the gap"

set +e
out=$("$FLOE" --data "$FLOE_DATA" log orders --verify 2>/dev/null)
rc=$?
set -e
assert_eq 1 "$rc" "--verify exits 1"
assert_eq "damaged: stream orders partition 1 file $pdir/$next bytes 0..0 offsets $o0..$o1: offsets missing between segment files" "$out" "--verify names the gap"

after=$("$FLOE" --data "$FLOE_DATA" log orders --format text --skip-damaged 2>/dev/null)
expected=$(awk -F'\t' -v a="$o0" -v b="$o1" '!($1 == 1 && $2 >= a && $2 < b)' <<<"$before")
assert_eq 0 "$(comm -23 <(sort <<<"$expected") <(sort <<<"$after") | wc -l)" "every record outside the gap is there"
assert_eq $((7000 - (o1 - o0))) "$(wc -l <<<"$after")" "and every record acknowledged after the restart"

# a stray copy of the first segment under a name inside its offsets: the start fails
mv "$T/$gone" "$pdir/$gone"
stray=$(printf '%020d.log' 5)
cp "$pdir/${segs[0]}" "$pdir/$stray"
set +e
"$FLOE" serve --project "$T/proj" --data "$FLOE_DATA" --listen 127.0.0.1:0 >/dev/null 2>"$T/stray.err" &
pid=$!
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && { kill "$pid"; fail "floe serve started with a stray segment file"; }
wait "$pid"
rc=$?
set -e
assert_eq 1 "$rc" "floe serve refuses to start"
assert_contains "$(cat "$T/stray.err")" "$pdir/${segs[0]} holds offsets 0.." "the error names the real file"
assert_contains "$(cat "$T/stray.err")" "the next segment file $pdir/$stray starts at 5" "and the stray one"
