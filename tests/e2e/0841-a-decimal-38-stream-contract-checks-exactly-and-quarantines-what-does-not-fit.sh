#!/usr/bin/env bash
# A stream whose contract has DECIMAL(38,9) and DECIMAL(22,2) columns: the events API
# accepts values at ±(10^38 - 1) / 10^9 from JSON strings and numbers, a CHECK against a
# 21-digit literal compares exactly (-99999999999999999999.6 fails it, .5 is the
# bound), a 39-digit value is refused naming the column's type, and both rejects land
# in quarantine.ledger with their exact text and reason; the log keeps the accepted
# records' literal text.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

mkdir -p "$T/proj/streams"
cat >"$T/proj/streams/ledger.sql" <<'SQL'
CREATE STREAM ledger (
  entry_id STRING NOT NULL,
  total    DECIMAL(38,9) NOT NULL CHECK (total > -99999999999999999999.5),
  fee      DECIMAL(22,2),
  PRIMARY KEY (entry_id) NOT ENFORCED
);
SQL
printf '%s\n' 'commit_interval: 200ms' >"$T/proj/floe.yaml"
start_serve "$T/proj"

printf '%s\n' \
  '{"entry_id":"a","total":"99999999999999999999999999999.999999999","fee":"-12345678901234567890.12"}' \
  '{"entry_id":"b","total":-99999999999999999999.6}' \
  '{"entry_id":"c","total":"100000000000000000000000000000"}' \
  '{"entry_id":"d","total":0.000000001,"fee":null}' \
  '{"entry_id":"e","total":"-99999999999999999999.499999999","fee":99999999999999999999.99}' >"$T/ev.ndjson"
post ledger "$T/ev.ndjson"
assert_eq 200 "$STATUS" "status"
assert_eq 3 "$(json_field accepted)" "accepted"
assert_eq 2 "$(json_field rejected)" "rejected"
assert_contains "$BODY" '{"line":2,"field":"total","reason":"CHECK (total > -99999999999999999999.5) failed: total = -99999999999999999999.600000000"}' \
  "the CHECK compares the 21-digit literal exactly"
assert_contains "$BODY" '{"line":3,"field":"total","reason":"field total: expected DECIMAL(38,9), found \"100000000000000000000000000000\""}' \
  "39 digits are refused with the type"

rows=0
for _ in $(seq 1 100); do
  rows=$("$FLOE" cat quarantine.ledger 2>/dev/null | wc -l || true)
  [[ $rows -ge 2 ]] && break
  sleep 0.1
done
assert_eq 2 "$rows" "quarantine.ledger holds both rejects"
assert_contains "$(floe cat quarantine.ledger)" '"raw":"{\"entry_id\":\"c\",\"total\":\"100000000000000000000000000000\"}"' "raw text kept"

log=$(floe log ledger | sed 's/.*"value"://' | LC_ALL=C sort)
expected=$(cat <<'NDJSON'
{"entry_id":"a","total":"99999999999999999999999999999.999999999","fee":"-12345678901234567890.12"}}
{"entry_id":"d","total":0.000000001,"fee":null}}
{"entry_id":"e","total":"-99999999999999999999.499999999","fee":99999999999999999999.99}}
NDJSON
)
assert_eq "$expected" "$log" "the log keeps the accepted records' text"
stop_serve
