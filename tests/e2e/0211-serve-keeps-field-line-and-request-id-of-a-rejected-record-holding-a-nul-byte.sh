#!/usr/bin/env bash
# A raw NUL byte in a rejected record used to make its quarantine row "unreadable
# quarantine record", with its reason, field, line and request id lost (the record's
# JSON holds \u0000, which jansson refuses without JSON_ALLOW_NUL). The row keeps the
# raw text with its NUL, the reason and field the answer gave, the line and request id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
start_serve "$T/proj"
{
  printf '%s\n' '{"event_id":"g-1","tenant_id":"acme","order_id":1,"event_type":"order_created","event_time":"2026-11-25T10:00:00Z"}'
  printf '{"event_id":"n\x00-2","tenant_id":"acme","order_id":2,"event_type":"order_created","event_time":"2026-11-25T10:00:00Z"}\n'
} >"$T/body.ndjson"
post orders "$T/body.ndjson"
assert_eq 200 "$STATUS" "status ($BODY)"
assert_eq 1 "$(json_field rejected)" "the NUL line is rejected"
request_id=$(json_field request_id | tr -d '"')
assert_contains "$BODY" '{"line":2,"field":null,"reason":"invalid JSON: control character in a string' "the answer's reason"
stop_serve   # the last flush
"$FLOE" cat quarantine.orders >"$T/q.json"
python3 - "$T/q.json" "$request_id" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(rows) == 1, rows
r = rows[0]
assert r["reason"] != "unreadable quarantine record", r
assert r["field"] is None, r  # a NUL is a JSON syntax error: no field, as the answer said
assert r["reason"].startswith("invalid JSON: control character in a string"), r
assert r["line"] == 2, r
assert r["request_id"] == sys.argv[2], (r["request_id"], sys.argv[2])
assert r["raw"].startswith('{"event_id":"n\x00-2"'), repr(r["raw"][:30])
assert r["raw_truncated"] in (False, None), r
print("row:", r["field"], r["line"], r["reason"])
PY
