#!/usr/bin/env bash
# Disk full: with the data directory on a 8 MiB tmpfs filled up, posts answer 507 (or
# 503) with Retry-After and nothing they did not store is acknowledged; once space
# returns posts succeed again; every acknowledged event is in the log exactly once.
# Needs permission to mount a tmpfs (root); skipped otherwise.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

mkdir -p "$T/small"
if ! mount -t tmpfs -o size=8m tmpfs "$T/small" 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs here (not root?)"
  exit 0
fi
UMOUNT_DIR="$T/small"
export FLOE_DATA="$T/small/data"

make_project "$T/proj" 'log:
  segment_bytes: 1MiB'
start_serve "$T/proj"
: >"$T/acked"

batch() {   # batch N: 20 events with ids d-N-0..19
  for j in $(seq 0 19); do
    printf '{"event_id":"d-%s-%s","tenant_id":"t","order_id":%s,"event_type":"order_paid","event_time":"2026-11-25T10:00:00Z","attributes":{"pad":"%s"}}\n' "$1" "$j" "$1" "$(printf '%0200d' 0)"
  done >"$T/batch.ndjson"
}

# leave about 200 KiB free, then post until the disk is full
avail_kb=$(df -k --output=avail "$T/small" | tail -1)
dd if=/dev/zero of="$T/small/filler" bs=1k count=$((avail_kb - 200)) status=none 2>/dev/null || true
full=0
for i in $(seq 1 200); do
  batch "$i"
  post orders "$T/batch.ndjson"
  if [[ "$STATUS" == 200 ]]; then
    echo "d-$i" >>"$T/acked"
  else
    [[ "$STATUS" == 507 || "$STATUS" == 503 ]] || fail "a full disk answered $STATUS: $BODY"
    assert_contains "$HEADERS" "retry-after: " "a full disk asks to retry later"
    full=$((full + 1))
    [[ $full -ge 3 ]] && break
  fi
done
[[ $full -ge 3 ]] || fail "the disk never filled up"
echo "acknowledged $(wc -l <"$T/acked") batches before the disk was full"

# space returns
rm -f "$T/small/filler"
batch 1000
post orders "$T/batch.ndjson"
assert_eq 200 "$STATUS" "posts succeed once space returns: $BODY"
echo "d-1000" >>"$T/acked"
stop_serve

floe log orders | grep -o '"event_id":"d-[0-9]*-[0-9]*"' | sed 's/"event_id":"\(.*\)"/\1/' | sort >"$T/logged"
assert_eq "" "$(uniq -d "$T/logged" | head -3)" "no event is in the log twice"
sed 's/-[0-9]*$//' "$T/logged" | sort | uniq -c | awk '$1 == 20 {print $2}' | sort >"$T/complete"
assert_eq "" "$(sort "$T/acked" | comm -23 - "$T/complete" | head -3)" "every acknowledged batch is in the log whole"
