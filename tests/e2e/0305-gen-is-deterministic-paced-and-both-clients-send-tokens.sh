#!/usr/bin/env bash
# `floe gen` gives the same bytes for the same options and seed (and other bytes for
# another seed), paces its lines at --rate, and posts what it writes; `floe ingest` and
# `floe gen` send --token (or $FLOE_TOKEN) as a bearer token: without one a server with
# tokens refuses the batch (exit 1, nothing stored), with one it accepts it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

"$FLOE" gen orders --count 5000 --seed 9 --out "$T/a.ndjson" >/dev/null
"$FLOE" gen orders --count 5000 --seed 9 --out - 2>/dev/null >"$T/b.ndjson"
"$FLOE" gen orders --count 5000 --seed 10 --out "$T/c.ndjson" >/dev/null
cmp -s "$T/a.ndjson" "$T/b.ndjson" || fail "the same seed gave different bytes"
cmp -s "$T/a.ndjson" "$T/c.ndjson" && fail "another seed gave the same bytes"
assert_eq 5000 "$(LC_ALL=C tr -d '\377' <"$T/c.ndjson" | grep -c '"tenant_id":"t[01][0-9]"' || true)" \
  "every tenant_id is t00-t19 (--tenants 20; the 0xFF of invalid UTF-8 lines removed)"

# --rate: 3,000 lines at 1,000/s take about 3 s (paced per 1,000-line batch)
start=$(date +%s%N)
"$FLOE" gen orders --count 3000 --rate 1000/s --out "$T/r.ndjson" >/dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
(( ms >= 2900 && ms < 6000 )) || fail "--rate 1000 for 3000 lines took $ms ms"

make_project "$T/proj" 'tokens:
  - token: tok-orders
    scopes: [ingest:orders]'
start_serve "$T/proj"

run_floe ingest orders "$T/a.ndjson" --url "$URL"
assert_eq 1 "$RC" "ingest without a token"
assert_contains "$ERR" "floe: lines 1-1000 failed: HTTP 401: " "ingest without a token: the 401"
run_floe gen orders --count 100 --url "$URL"
assert_eq 1 "$RC" "gen without a token"
assert_contains "$OUT" '"accepted":0,"rejected":0,"failed":100}' "gen without a token: every line failed"
assert_eq "total 0" "$("$FLOE" log orders --stat | awk '$1 == "total" {print $1, $2}')" "nothing stored without a token"

run_floe ingest orders "$T/a.ndjson" --url "$URL" --token tok-orders
assert_eq 0 "$RC" "ingest with --token (stderr: ${ERR:0:300})"
bad=$(grep -c '^{"event_id":"x' "$T/a.ndjson" || true)
assert_eq "accepted $((5000 - bad)), rejected $bad" "${OUT%% (*}" "ingest with --token: the counts"
FLOE_TOKEN=tok-orders run_floe gen orders --count 5000 --seed 9 --url "$URL" --batch 700 --connections 3
assert_eq 0 "$RC" "gen with FLOE_TOKEN (stderr: $ERR)"
assert_contains "$OUT" "\"accepted\":$((5000 - bad)),\"rejected\":$bad,\"failed\":0}" "gen posts what it writes"
assert_eq "total $((2 * (5000 - bad)))" "$("$FLOE" log orders --stat | awk '$1 == "total" {print $1, $2}')" \
  "both posts are in the log"
stop_serve
