#!/usr/bin/env bash
# Deterministic replay: `floe replay orders`, run beside a live `floe serve` (the log is
# read-only to it), rebuilds bronze.orders_replay from the event log with the same
# multiset of rows as the live bronze.orders, every column compared (_late flags,
# _partition, _offset and _ingest_time included), over events with duplicates, late
# ones and disorder; a second replay finds its checkpoint and adds nothing; --from-offset
# replays a suffix; --into names the table; bronze.orders itself is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
"$FLOE" gen orders --count 4000 --seed 11 --out "$T/ev.ndjson" >"$T/gen.json"
start_serve "$T/proj"
post orders "$T/ev.ndjson"
assert_eq 200 "$STATUS" "post"
unique=$(sed -n 's/.*"unique":\([0-9]*\).*/\1/p' "$T/gen.json")
for _ in $(seq 1 100); do
  [[ "$("$FLOE" cat bronze.orders 2>/dev/null | wc -l)" == "$unique" ]] && break
  sleep 0.1
done
assert_eq "$unique" "$("$FLOE" cat bronze.orders | wc -l)" "the live job's rows"
nlate=$("$FLOE" cat bronze.orders | grep -c '"_late":true' || true)
[[ $nlate -gt 0 ]] || fail "the events should hold late ones"

cd "$T/proj"
run_floe replay orders
assert_eq 0 "$RC" "replay beside the live server: $ERR"
assert_contains "$OUT" "into bronze.orders_replay: $unique rows" "replay summary"
"$FLOE" cat bronze.orders | LC_ALL=C sort >"$T/live"
"$FLOE" cat bronze.orders_replay | LC_ALL=C sort >"$T/replay"
assert_eq "" "$(diff "$T/live" "$T/replay" | head -5)" "the replay equals the live table, row for row, every column"
run_floe replay orders
assert_contains "$OUT" "replayed 0 log records" "a second replay continues from its checkpoint: nothing left"
assert_eq "$unique" "$("$FLOE" cat bronze.orders_replay | wc -l)" "and adds nothing"

# a suffix: from offset 500 in every partition
run_floe replay orders --from-offset 500 --into scratch.suffix
assert_eq 0 "$RC" "suffix replay: $ERR"
want=$(grep -c '"_offset":\(5[0-9][0-9]\|[6-9][0-9][0-9]\|[0-9][0-9][0-9][0-9]\)[,}]' "$T/live" || true)
got=$("$FLOE" cat scratch.suffix | wc -l)
[[ $got -ge $want && $got -gt 0 ]] || fail "the suffix replay holds $got rows, the live rows past offset 500 are $want"
assert_eq 0 "$("$FLOE" cat scratch.suffix | grep -c '"_offset":\([0-9]\|[0-9][0-9]\|[0-4][0-9][0-9]\)[,}]' || true)" \
  "no row before offset 500"

expect_usage_fail "--into: bronze.orders is the live table; replay into another one" replay orders --into bronze.orders
cd - >/dev/null
stop_serve
