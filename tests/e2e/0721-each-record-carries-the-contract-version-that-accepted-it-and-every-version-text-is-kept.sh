#!/usr/bin/env bash
# Contract versions: `floe serve` keeps each stream's contract (its CREATE STREAM text)
# as DATA/contracts/<stream>/<N>.sql, version 1 at the first start, a new version only
# when the text changed since the last one stored. Every accepted record carries the
# version it was accepted under (floe log "contract_version"; the segment bytes read
# independently by tests/e2e/logv2.py), and a quarantined record the version that
# rejected it. A stream with log_compression_level = 0 stores its batches uncompressed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" ''
cat >"$T/proj/streams/clicks.sql" <<'SQL'
CREATE STREAM clicks (page STRING NOT NULL, n INT CHECK (n > 0)) WITH (partitions = 1, log_compression_level = 0);
SQL
ev() { printf '{"event_id":"%s","tenant_id":"t","order_id":1,"event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}\n' "$1"; }

start_serve "$T/proj"
ev a1 >"$T/a.ndjson"
post orders "$T/a.ndjson"
assert_eq 200 "$STATUS" "$BODY"
printf '{"page":"/x","n":1}\n{"page":"/y","n":-1}\n' >"$T/c.ndjson"
post clicks "$T/c.ndjson"
assert_eq 200 "$STATUS" "$BODY"
stop_serve
assert_eq "1.sql" "$(ls "$FLOE_DATA/contracts/orders")" "the first start stores version 1"
cmp "$FLOE_DATA/contracts/orders/1.sql" "$T/proj/streams/orders.sql" || fail "1.sql is not the contract text"

start_serve "$T/proj"   # same text: no new version
ev a2 >"$T/a.ndjson"
post orders "$T/a.ndjson"
stop_serve
assert_eq "1.sql" "$(ls "$FLOE_DATA/contracts/orders")" "an unchanged contract keeps its version"

# a new contract text: version 2, version 1's text kept
sed -i "s/'order_cancelled')/'order_cancelled', 'order_refunded')/" "$T/proj/streams/orders.sql"
start_serve "$T/proj"
printf '{"event_id":"b1","tenant_id":"t","order_id":1,"event_type":"order_refunded","event_time":"2026-11-25T10:00:00Z"}\n' >"$T/b.ndjson"
post orders "$T/b.ndjson"
assert_eq 200 "$STATUS" "the new contract accepts order_refunded: $BODY"
stop_serve
assert_eq $'1.sql\n2.sql' "$(ls "$FLOE_DATA/contracts/orders")" "a changed contract is version 2"
cmp "$FLOE_DATA/contracts/orders/2.sql" "$T/proj/streams/orders.sql" || fail "2.sql is not the new text"
cmp "$FLOE_DATA/contracts/orders/1.sql" "$FLOE_ROOT/examples/orders/streams/orders.sql" || fail "1.sql changed"
assert_eq "1.sql" "$(ls "$FLOE_DATA/contracts/clicks")" "clicks did not change"

versions=$(floe log orders --format ndjson | sed -E 's/.*"contract_version":([0-9]+).*"event_id":"([a-z0-9]+)".*/\2 \1/' | sort)
assert_eq $'a1 1\na2 1\nb1 2' "$versions" "each record has the version that accepted it"
raw=$(python3 "$FLOE_ROOT/tests/e2e/logv2.py" "$FLOE_DATA" orders | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    print(json.loads(r["value"])["event_id"], r["contract_version"], r["version"])' | sort)
assert_eq $'a1 1 3\na2 1 3\nb1 2 3' "$raw" "the segment bytes say the same (batch version 3)"

clicks=$(python3 "$FLOE_ROOT/tests/e2e/logv2.py" "$FLOE_DATA" clicks | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    print(r["value"], r["contract_version"], r["compressed"], r["key_hash"] != "0" * 16)')
assert_eq '{"page":"/x","n":1} 1 False True' "$clicks" "clicks: one record, uncompressed (level 0)"
q=$(python3 "$FLOE_ROOT/tests/e2e/logv2.py" "$FLOE_DATA" clicks.quarantine | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    print(r["contract_version"], r["key_hash"], r["event_time_ms"], "/y" in r["value"])')
assert_eq "1 0000000000000000 None True" "$q" "the quarantined record carries the version that rejected it"
