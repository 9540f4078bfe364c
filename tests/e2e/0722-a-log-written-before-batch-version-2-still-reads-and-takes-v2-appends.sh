#!/usr/bin/env bash
# Upgrade: a data directory whose event log was written by floe before record batch
# version 2 (tests/e2e/fixtures/0722-v1-log: `floe serve` of commit 2992dee took 6
# orders and quarantined 1) is served by this floe: the old records read back as
# they were (no key hash, event time or contract version: none was stored), new posts
# append compressed v3 batches (the version written now) to the same segment files, a SIGKILL and restart lose
# nothing, and the segments hold both versions, checked by an independent reader.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

mkdir -p "$FLOE_DATA"
cp -r "$FLOE_ROOT/tests/e2e/fixtures/0722-v1-log" "$FLOE_DATA/log"
make_project "$T/proj" ''

old=$(floe log orders --format ndjson | sed -E 's/.*"value":(.*)}$/\1/' | sort)
assert_eq "$(for i in 1 2 3 4 5 6; do printf '{"event_id":"v1-%d","tenant_id":"t","order_id":%d,"event_type":"order_paid","event_time":"2026-11-25T10:00:0%dZ"}\n' $i $i $i; done | sort)" \
  "$old" "the version-1 records read back"
floe log orders --format ndjson | sed 's/"value":.*//' | grep -q 'key_hash\|contract_version\|event_time' &&
  fail "v1 records show metadata they never had"

start_serve "$T/proj"
for i in $(seq 1 40); do
  printf '{"event_id":"v2-%d","tenant_id":"t","order_id":%d,"event_type":"order_shipped","event_time":"2026-11-25T11:00:00Z"}\n' "$i" "$i"
done >"$T/new.ndjson"
post orders "$T/new.ndjson"
assert_eq 200 "$STATUS" "$BODY"
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=
start_serve "$T/proj"
stop_serve

assert_eq 46 "$(floe log orders | wc -l)" "6 old + 40 new records"
python3 "$FLOE_ROOT/tests/e2e/logv2.py" "$FLOE_DATA" orders >"$T/raw.ndjson" || fail "the independent reader failed"
python3 - "$T/raw.ndjson" "$T/new.ndjson" <<'PY' || fail "segments"
import json, sys
raw = [json.loads(l) for l in open(sys.argv[1])]
new = set(l.rstrip("\n") for l in open(sys.argv[2]))
v1 = [r for r in raw if r["version"] == 1]
v2 = [r for r in raw if r["version"] == 3]  # the new posts: the version written now
assert len(v1) == 6 and all(r["value"].startswith('{"event_id":"v1-') for r in v1), v1
assert set(r["value"] for r in v2) == new, "v2 records are not the new posts"
assert all(r["contract_version"] == 1 and r["event_time_ms"] == 1795604400000 for r in v2), v2[0]
# in each partition the v1 batches come first, then v3, offsets dense from 0
for p in {r["partition"] for r in raw}:
    rs = [r for r in raw if r["partition"] == p]
    assert [r["offset"] for r in rs] == list(range(len(rs))), p
    vs = [r["version"] for r in rs]
    assert vs == sorted(vs), (p, vs)
mixed = [p for p in range(4) if {1, 3} <= {r["version"] for r in raw if r["partition"] == p}]
assert mixed, "no partition holds both versions"
print("partitions with v1 and v3 batches in one segment:", mixed)
PY
q=$(floe log orders.quarantine | wc -l)
assert_eq 1 "$q" "the v1 quarantine record is still there"
