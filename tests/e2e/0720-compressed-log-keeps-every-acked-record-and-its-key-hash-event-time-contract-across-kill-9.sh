#!/usr/bin/env bash
# The event log stores version-3 batches with compressed values by default (LZ4): `floe serve` is
# killed with SIGKILL after its acks, restarted (recovery scans the compressed tail),
# and every acknowledged record reads back identically, through `floe log` and through
# an independent reader of the segment bytes (tests/e2e/logv2.py: its own CRC-32C,
# liblz4 through ctypes, the layout of log_wire.h). Each record carries the xxh3-64
# hash of its key (independently computed: libxxhash through ctypes), which also
# places it (partition = hash % 4), its event time in ms, and contract version 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
command -v zstd >/dev/null || fail "zstd (the command) is needed"

make_project "$T/proj" ''
start_serve "$T/proj"
for b in 1 2 3 4; do
  for i in $(seq 1 250); do
    printf '{"event_id":"b%d-%03d","tenant_id":"t%d","order_id":%d,"event_type":"order_paid","amount":"%d.50","event_time":"2026-11-25T10:%02d:%02d.%03dZ"}\n' \
      "$b" "$i" $((i % 7)) "$i" "$i" $((i % 60)) $((i % 60)) "$b"
  done >"$T/b$b.ndjson"
  post orders "$T/b$b.ndjson"
  assert_eq 200 "$STATUS" "post $b: $BODY"
  assert_contains "$BODY" '"accepted":250' "post $b"
done
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=
start_serve "$T/proj"   # recovery of every partition's compressed tail
stop_serve

cat "$T"/b?.ndjson >"$T/sent"
floe log orders --format ndjson >"$T/log.ndjson"
python3 "$FLOE_ROOT/tests/e2e/logv2.py" "$FLOE_DATA" orders >"$T/raw.ndjson"
python3 - "$T/sent" "$T/log.ndjson" "$T/raw.ndjson" "$FLOE_ROOT/tests/e2e" <<'PY' || fail "records differ"
import datetime, json, re, sys
sys.path.insert(0, sys.argv[4])
import logv2
sent = [l.rstrip("\n") for l in open(sys.argv[1])]
logged = [json.loads(l) for l in open(sys.argv[2])]
raw = [json.loads(l) for l in open(sys.argv[3])]
def ms(text):
    d = datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    return int(d.timestamp() * 1000)
assert len(raw) == len(sent) == 1000, (len(raw), len(sent))
assert len(logged) == 1000, len(logged)
by_value = {r["value"]: r for r in raw}
assert sorted(by_value) == sorted(sent), "the segment bytes do not hold exactly the lines sent"
assert all(r["version"] == 3 for r in raw), "not every batch is version 3"
assert sum(1 for r in raw if r["codec"] == "lz4") == 1000, "not every batch is LZ4 (the default codec)"
for line in sent:
    r = by_value[line]
    ev = json.loads(line)
    h = logv2.xxh3(ev["event_id"])
    assert r["key_hash"] == h, (line, r["key_hash"], h)
    assert int(h, 16) % 4 == r["partition"], (line, r["partition"])
    assert r["event_time_ms"] == ms(ev["event_time"]), (line, r["event_time_ms"])
    assert r["contract_version"] == 1, r
# floe log shows the same records with the same fields
for l in logged:
    r = [x for x in raw if x["partition"] == l["partition"] and x["offset"] == l["offset"]][0]
    assert json.dumps(l["value"], separators=(",", ":")) == json.dumps(json.loads(r["value"]), separators=(",", ":"))
    assert l["key_hash"] == r["key_hash"] and l["contract_version"] == 1, l
    assert ms(l["event_time"]) == r["event_time_ms"], l
print("1000 records identical, fields checked")
PY

# --stat: bytes are the segment files, raw_bytes the uncompressed batches, well above
stat_out=$(floe log orders --stat --format ndjson)
bytes=$(sed -E 's/.*"bytes":([0-9]+).*/\1/' <<<"$stat_out" | awk '{s += $1} END {print s}')
raw=$(sed -E 's/.*"raw_bytes":([0-9]+).*/\1/' <<<"$stat_out" | awk '{s += $1} END {print s}')
files=$(cat "$FLOE_DATA"/log/orders/*/*.log | wc -c)
assert_eq "$files" "$bytes" "--stat bytes = the segment files"
(( raw > 3 * bytes )) || fail "compression ratio under 3: $bytes stored, $raw raw"
echo "stored $bytes raw $raw"
