#!/usr/bin/env bash
# Durability with both batch versions in one log (issue 13): a data directory whose log
# was written before record batch version 2 (tests/e2e/fixtures/0722-v1-log: 6 orders in
# version 1 batches) takes compressed v3 appends into the same segment files while
# `floe serve` is killed with SIGKILL 10 times under load; then the last batch of a
# mixed segment is torn; then the data directory sits on a full 8 MiB tmpfs. After each,
# the 6 version-1 records and every acknowledged event are in the log exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

mkdir -p "$T/small"
if mount -t tmpfs -o size=8m tmpfs "$T/small" 2>/dev/null; then
  UMOUNT_DIR="$T/small"
  export FLOE_DATA="$T/small/data"
else
  echo "note: cannot mount a tmpfs here (not root?): the full-disk part is skipped"
fi
mkdir -p "$FLOE_DATA"
cp -r "$FLOE_ROOT/tests/e2e/fixtures/0722-v1-log" "$FLOE_DATA/log"
make_project "$T/proj" 'log:
  segment_bytes: 1MiB'
: >"$T/acked"

v1_ids() { floe log orders | grep -o '"event_id":"v1-[0-9]*"' | sort | tr '\n' ' '; }
V1='"event_id":"v1-1" "event_id":"v1-2" "event_id":"v1-3" "event_id":"v1-4" "event_id":"v1-5" "event_id":"v1-6" '
assert_eq "$V1" "$(v1_ids)" "the fixture's version-1 records"

# every acknowledged batch whole and once, the version-1 records untouched
check_log() {
  assert_eq "$V1" "$(v1_ids)" "$1: the version-1 records are still there, once"
  floe log orders | grep -o '"event_id":"[rd]-[0-9]*-[0-9]*-[0-9]*"' | sed 's/"event_id":"\(.*\)"/\1/' | sort >"$T/logged"
  assert_eq "" "$(uniq -d "$T/logged" | head -5)" "$1: no event is in the log twice"
  sed 's/-[0-9]*$//' "$T/logged" | sort | uniq -c | awk '$1 == 10 {print $2}' | sort >"$T/complete"
  assert_eq "" "$(sort "$T/acked" | comm -23 - "$T/complete" | head -5)" \
    "$1: every acknowledged batch is in the log whole ($(wc -l <"$T/acked") batches)"
}

body() {   # body PREFIX: 10 events with ids PREFIX-0..9
  local b="" j
  for j in 0 1 2 3 4 5 6 7 8 9; do
    b+="{\"event_id\":\"$1-$j\",\"tenant_id\":\"t\",\"order_id\":7,\"event_type\":\"order_paid\",\"event_time\":\"2026-11-25T10:00:00Z\"}"$'\n'
  done
  printf '%s' "$b"
}
client() {   # posts batches of 10 until killed; logs the acknowledged ones
  local round=$1 i=0 status
  while true; do
    status=$(body "r-$round-$i" | curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' \
      --data-binary @- "$URL/v1/streams/orders/events" || true)
    [[ "$status" == 200 ]] && echo "r-$round-$i" >>"$T/acked"
    i=$((i + 1))
  done
}

# 1. SIGKILL under load, 10 times
for round in $(seq 1 10); do
  start_serve "$T/proj"
  client "$round" &
  cpid=$!
  sleep "0.$((RANDOM % 4 + 2))"
  kill -9 "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=
  kill "$cpid" 2>/dev/null || true
  wait "$cpid" 2>/dev/null || true
done
start_serve "$T/proj"
stop_serve
[[ $(wc -l <"$T/acked") -gt 10 ]] || fail "only $(wc -l <"$T/acked") batches acknowledged: no load"
check_log "after 10 SIGKILLs"
python3 "$FLOE_ROOT/tests/e2e/logv2.py" "$FLOE_DATA" orders >"$T/raw.ndjson" || fail "the independent reader failed"
python3 - "$T/raw.ndjson" <<'PY' || fail "both batch versions in one segment"
import json, sys
raw = [json.loads(l) for l in open(sys.argv[1])]
segs = {}
for r in raw:
    segs.setdefault((r["partition"], r["segment"]), set()).add(r["version"])
assert any(v == {1, 3} for v in segs.values()), segs
PY

# 2. a torn tail on a mixed segment: the last batch of the biggest segment loses 7
# bytes (as a crash mid-write would leave it): only that batch goes, its bytes are kept
# aside, every other record stays and appends continue after it
seg=$(ls -S "$FLOE_DATA"/log/orders/*/*.log | head -1)
floe log orders | grep -o '"event_id":"[^"]*"' | sort >"$T/before"
size=$(stat -c %s "$seg")
truncate -s $((size - 7)) "$seg"
start_serve "$T/proj"
body "r-0-999999" >"$T/b.ndjson"
post orders "$T/b.ndjson"
assert_eq 200 "$STATUS" "a post after the torn tail: $BODY"
echo "r-0-999999" >>"$T/acked"
stop_serve
floe log orders | grep -o '"event_id":"[^"]*"' | grep -v 'r-0-999999-' | sort >"$T/after"
lost=$(comm -23 "$T/before" "$T/after")
[[ -n "$lost" ]] || fail "the torn batch is still there"
assert_eq "" "$(comm -13 "$T/before" "$T/after")" "nothing new appeared"
posts=$(sed 's/.*"\(r-[0-9]*-[0-9]*\)-[0-9]*"/\1/' <<<"$lost" | sort -u)
assert_eq 1 "$(wc -l <<<"$posts")" "the lost records are one batch of one post: $lost"
[[ $(wc -l <<<"$lost") -le 10 ]] || fail "more than one batch lost: $lost"
ls "$(dirname "$seg")" | grep -q 'damaged' || fail "the torn bytes were not kept aside"
grep -vx "$posts" "$T/acked" >"$T/acked2" || true
mv "$T/acked2" "$T/acked"   # the torn post is no longer whole: a tear takes its batch
check_log "after the torn tail"

# 3. a full disk
if [[ -n "$UMOUNT_DIR" ]]; then
  start_serve "$T/proj"
  avail_kb=$(df -k --output=avail "$T/small" | tail -1)
  dd if=/dev/zero of="$T/small/filler" bs=1k count=$((avail_kb - 200)) status=none 2>/dev/null || true
  full=0
  for i in $(seq 1 400); do
    body "d-$i-0" >"$T/b.ndjson"
    post orders "$T/b.ndjson"
    if [[ "$STATUS" == 200 ]]; then
      echo "d-$i-0" >>"$T/acked"
    else
      [[ "$STATUS" == 507 || "$STATUS" == 503 ]] || fail "a full disk answered $STATUS: $BODY"
      full=$((full + 1))
      [[ $full -ge 3 ]] && break
    fi
  done
  [[ $full -ge 3 ]] || fail "the disk never filled up"
  rm -f "$T/small/filler"
  body "d-9999-0" >"$T/b.ndjson"
  post orders "$T/b.ndjson"
  assert_eq 200 "$STATUS" "posts succeed once space returns: $BODY"
  echo "d-9999-0" >>"$T/acked"
  stop_serve
fi
check_log "at the end"
echo "ok: $(wc -l <"$T/acked") acknowledged batches over v1 + v3 segments"
