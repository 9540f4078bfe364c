#!/usr/bin/env bash
# A legal 12 MiB body whose middle line is 12 MiB of control bytes used to become one
# 72 MiB escaped quarantine record, over the log's batch limit: 503 with Retry-After on
# every retry, the good records refused with it. Now the rejected record's raw text is
# a prefix of limits.max_raw_bytes (4096) flagged raw_truncated, the good lines are
# acknowledged, and a retry is answered the same way (never refused for ever).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
start_serve "$T/proj"

good() { printf '{"event_id":"%s","tenant_id":"acme","order_id":1,"event_type":"order_created","event_time":"2026-11-25T10:00:00Z"}\n' "$1"; }
{
  good g-1
  python3 -c 'import sys; sys.stdout.buffer.write(b"\x01" * (12 << 20) + b"\n")'
  good g-3
} >"$T/body.ndjson"
[[ $(stat -c %s "$T/body.ndjson") -gt $((12 << 20)) ]] || fail "test setup: body too small"

post orders "$T/body.ndjson"
assert_eq 200 "$STATUS" "a body with one huge bad line: status ($BODY)"
assert_eq 2 "$(json_field accepted)" "the good lines are accepted"
assert_eq 1 "$(json_field rejected)" "the control bytes are one rejected line"
assert_contains "$BODY" '{"line":2,' "the rejected line is line 2"
post orders "$T/body.ndjson"
assert_eq 200 "$STATUS" "the same body again: status ($BODY)"

rows=0
for _ in $(seq 1 100); do
  rows=$("$FLOE" cat quarantine.orders 2>/dev/null | wc -l || true)
  [[ $rows -ge 2 ]] && break
  sleep 0.1
done
assert_eq 2 "$rows" "quarantine.orders holds the two rejected records"
"$FLOE" cat quarantine.orders --format json >"$T/q.json" 2>/dev/null || "$FLOE" cat quarantine.orders >"$T/q.json"
python3 - "$T/q.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for r in rows:
    assert r["raw_truncated"] is True, r.get("raw_truncated")
    assert r["raw"] == "\x01" * 4096, (len(r["raw"]), r["raw"][:20])
    assert r["line"] == 2 and r["field"] is None, (r["line"], r["field"])
    assert "exceeds the limit" in r["reason"], r["reason"]
print("raw kept:", len(rows[0]["raw"]), "characters, raw_truncated true")
PY
log=$("$FLOE" log orders --stat 2>/dev/null || true)
total=$("$FLOE" log orders 2>/dev/null | grep -c '"event_id":"g-' || true)
assert_eq 4 "$total" "the log holds the 4 good records of the two posts"
stop_serve
