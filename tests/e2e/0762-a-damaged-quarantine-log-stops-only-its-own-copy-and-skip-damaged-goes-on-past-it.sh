#!/usr/bin/env bash
# A damaged batch in one stream's quarantine log: the copy into quarantine.<stream>
# commits what comes before the damage, then stops there and says so (naming stream,
# partition, byte and offset, and the floe.yaml option), while the other streams'
# copies go on. With `log: skip_damaged: true` the copy goes on past the damaged range
# (reported, and counted by floe_quarantine_damaged_records_total) and every other
# rejected record lands in the table once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 1h'
sed 's/CREATE STREAM orders/CREATE STREAM other/' "$FLOE_ROOT/examples/orders/streams/orders.sql" >"$T/proj/streams/other.sql"
start_serve "$T/proj"
for i in 1 2 3; do
  printf '{"event_id":"b-%s-1"}\nnot json %s\n' "$i" "$i" >"$T/bad$i.ndjson"
  post orders "$T/bad$i.ndjson"
  assert_eq 400 "$STATUS" "bad batch $i"
done
post other "$T/bad1.ndjson"
assert_eq 400 "$STATUS" "bad batch for the other stream"
kill -KILL "$SERVE_PID"    # the copy (every hour) has not run: all of it is still in the logs
{ wait "$SERVE_PID"; } 2>/dev/null || true
SERVE_PID=
# the kill left write-ahead frames holding the same bytes as the segments (the process
# died, not the machine: every byte is in its segment); a restart would replay them
# over the damage below, which must be in durable segment bytes: drop the frames
rm -f "$FLOE_DATA/log/.wal-0" "$FLOE_DATA/log/.wal-1"

seg="$FLOE_DATA/log/orders.quarantine/0/00000000000000000000.log"
# 4 bytes in the middle of the second batch's payload (batches of 2 records: offsets
# 2..4); found from the 40-byte batch headers (log_wire.h: payload length at byte 20),
# since the record sizes vary with the request ids and times
python3 - "$seg" <<'PY'
import struct, sys
path = sys.argv[1]
with open(path, "r+b") as f:
    f.seek(20)
    first_len = struct.unpack("<I", f.read(4))[0]
    second = 40 + first_len
    f.seek(second + 20)
    second_len = struct.unpack("<I", f.read(4))[0]
    at = second + 40 + second_len // 2
    f.seek(at)
    b = bytearray(f.read(4))
    f.seek(at)
    f.write(bytes(x ^ 0x5A for x in b))
PY
set +e
out=$("$FLOE" --data "$FLOE_DATA" log orders.quarantine --verify 2>/dev/null)
set -e
re="^damaged: stream orders.quarantine partition 0 file $seg bytes ([0-9]+)\.\.[0-9]+ offsets 2\.\.4: "
[[ "$out" =~ $re ]] || fail "verify names the second batch: $out"
p0=${BASH_REMATCH[1]}

wait_rows() { # TABLE N: waits until TABLE holds N rows
  local rows=0
  for _ in $(seq 1 100); do
    rows=$("$FLOE" --data "$FLOE_DATA" cat "$1" 2>/dev/null | wc -l || true)
    [[ $rows -ge $2 ]] && break
    sleep 0.1
  done
  assert_eq "$2" "$rows" "$1 holds $2 rows"
}

printf 'commit_interval: 200ms\n' >"$T/proj/floe.yaml"
start_serve "$T/proj"
wait_rows quarantine.other 2
wait_rows quarantine.orders 2
sleep 0.5
assert_eq 2 "$("$FLOE" --data "$FLOE_DATA" cat quarantine.orders | wc -l)" "the copy stopped at the damage"
post other "$T/bad2.ndjson"
wait_rows quarantine.other 4   # the other stream's copy goes on
stop_serve
assert_contains "$(cat "$T/serve.err")" "quarantine.orders: the copy stops at damage (floe.yaml log.skip_damaged: true goes on past it): stream orders.quarantine partition 0: $seg: damaged batch at byte $p0 (offset 2)" "the stop is reported"

printf 'commit_interval: 200ms\nlog:\n  skip_damaged: true\n' >"$T/proj/floe.yaml"
start_serve "$T/proj"
wait_rows quarantine.orders 4
http GET /metrics
assert_contains "$BODY" 'floe_quarantine_damaged_records_total{stream="orders"} 2' "the skipped records are counted"
post orders "$T/bad1.ndjson"
wait_rows quarantine.orders 6
stop_serve
assert_contains "$(cat "$T/serve.err")" "quarantine.orders: skipped a damaged range of stream orders.quarantine partition 0: $seg bytes $p0.." "the skip is reported"
q=$("$FLOE" --data "$FLOE_DATA" cat quarantine.orders)
for id in b-1-1 b-3-1; do
  assert_contains "$q" "$id" "record $id copied"
done
# match the raw record ({\"event_id\":\"b-1-1\"}), not the request ids (hex: one may end in "b-1-1")
assert_eq 0 "$(grep -c 'event_id\\":\\"b-2-1' <<<"$q" || true)" "the damaged batch's records are not invented"
assert_eq 2 "$(grep -c 'event_id\\":\\"b-1-1' <<<"$q")" "each posted record once (b-1 was posted twice)"
