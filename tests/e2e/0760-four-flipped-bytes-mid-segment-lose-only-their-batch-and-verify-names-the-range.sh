#!/usr/bin/env bash
# 4 flipped bytes in the middle of a partition's last segment, found at the next start:
# recovery keeps every intact batch after the damage (before, it truncated them all and
# 1,550 acknowledged records were gone), copies the damaged bytes to
# <segment>.damaged-<byte> and appends continue after the last valid batch. `floe log`
# stops at the damage naming stream, partition, byte and offset (exit 1);
# `--skip-damaged` reads on past it; `--verify` names the damaged range (exit 1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
start_serve "$T/proj"
for i in 1 2 3 4 5 6; do
  post orders "$FLOE_ROOT/examples/orders/data/orders.ndjson"
  assert_eq 200 "$STATUS" "post $i"
  assert_eq 1000 "$(json_field accepted)" "post $i accepted"
done
stop_serve
before=$(floe log orders --format text)
assert_eq 6000 "$(wc -l <<<"$before")" "6,000 acknowledged records"
assert_eq "stream orders: every batch checks, no damage" "$(floe log orders --verify)" "an intact log verifies"

seg="$FLOE_DATA/log/orders/0/00000000000000000000.log"
size=$(stat -c %s "$seg")
mid=$((size / 2 + 1000))
python3 - "$seg" "$mid" <<'PY'
import sys
path, at = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(at)
    b = bytearray(f.read(4))
    f.seek(at)
    f.write(bytes(x ^ 0x5A for x in b))
PY

# --verify (read-only) names the damaged range: stream, partition, file, bytes, offsets
set +e
out=$("$FLOE" --data "$FLOE_DATA" log orders --verify 2>"$T/verify.err")
rc=$?
set -e
assert_eq 1 "$rc" "--verify exits 1 on damage"
assert_eq 1 "$(grep -c '^damaged: ' <<<"$out")" "one damaged range: $out"
re="^damaged: stream orders partition 0 file $seg bytes ([0-9]+)\.\.([0-9]+) offsets ([0-9]+)\.\.([0-9]+): "
[[ "$out" =~ $re ]] || fail "verify line: $out"
p0=${BASH_REMATCH[1]} p1=${BASH_REMATCH[2]} o0=${BASH_REMATCH[3]} o1=${BASH_REMATCH[4]}
((p0 <= mid && mid < p1)) || fail "the range $p0..$p1 holds the flipped byte $mid"
((o1 > o0)) || fail "the range lost offsets $o0..$o1"
assert_contains "$(cat "$T/verify.err")" "stream orders: 1 damaged range" "--verify says how many"
assert_eq "$size" "$(stat -c %s "$seg")" "--verify changes nothing"

# the restarted server keeps the later batches and appends after them
start_serve "$T/proj"
post orders "$FLOE_ROOT/examples/orders/data/orders.ndjson"
assert_eq 1000 "$(json_field accepted)" "a post after the restart"
stop_serve
assert_contains "$(cat "$T/serve.err")" "stream orders partition 0: damaged range in $seg: bytes $p0..$p1, offsets $o0..$o1 lost" "the server reports the range"
aside="$seg.damaged-$p0"
[[ -f "$aside" ]] || fail "no copy of the damaged bytes at $aside: $(ls "$FLOE_DATA/log/orders/0")"
assert_eq $((p1 - p0)) "$(stat -c %s "$aside")" "the copy holds exactly the damaged bytes"
cmp -s <(dd if="$seg" bs=1 skip="$p0" count=$((p1 - p0)) status=none) "$aside" || fail "the copy differs from the bytes"

# every acknowledged record outside the damaged range is still there, byte for byte
after=$("$FLOE" --data "$FLOE_DATA" log orders --format text --skip-damaged 2>"$T/skip.err")
assert_contains "$(cat "$T/skip.err")" "skipped damaged range: stream orders partition 0 file $seg bytes $p0..$p1 offsets $o0..$o1" "--skip-damaged names what it skips"
expected=$(awk -F'\t' -v a="$o0" -v b="$o1" '!($1 == 0 && $2 >= a && $2 < b)' <<<"$before")
missing=$(comm -23 <(sort <<<"$expected") <(sort <<<"$after") | wc -l)
assert_eq 0 "$missing" "no acknowledged record after the damage is lost"
assert_eq $((7000 - (o1 - o0))) "$(wc -l <<<"$after")" "7,000 records minus the damaged batch"
last0=$(awk -F'\t' '$1 == 0 {n = $2} END {print n}' <<<"$before")
first_new=$(awk -F'\t' -v l="$last0" '$1 == 0 && $2 > l {print $2; exit}' <<<"$after")
assert_eq $((last0 + 1)) "$first_new" "appends continue after the last valid batch"

# without --skip-damaged, reading stops at the damage with its name
set +e
"$FLOE" --data "$FLOE_DATA" log orders --partition 0 >/dev/null 2>"$T/read.err"
rc=$?
set -e
assert_eq 1 "$rc" "floe log exits 1 at damage"
assert_contains "$(cat "$T/read.err")" "stream orders partition 0: $seg: damaged batch at byte $p0 (offset $o0)" "the error names it"
