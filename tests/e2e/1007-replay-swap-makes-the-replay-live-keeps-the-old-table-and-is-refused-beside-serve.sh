#!/usr/bin/env bash
# `floe replay orders --swap`: refused while `floe serve` holds the data dir (the swap
# replaces the table its stream job writes), nothing changed; with serve stopped it
# replays the log into bronze.orders_replay and swaps it in, in one catalog
# transaction: bronze.orders then equals the live table before (every column but
# _ingest_time), the replaced table stays readable as bronze.orders_before_swap, the
# next serve's stream job continues from the swapped table's checkpoint (new events
# once, none of the old twice), a second swap is refused while the kept table exists,
# and a new replay goes to a table of its own (bronze.orders_replay_2: the live table
# now lives in bronze.orders_replay's directory).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
"$FLOE" gen orders --count 3000 --seed 7 --out "$T/ev.ndjson" >"$T/gen.json"
unique=$(sed -n 's/.*"unique":\([0-9]*\).*/\1/p' "$T/gen.json")
start_serve "$T/proj"
post orders "$T/ev.ndjson"
assert_eq 200 "$STATUS" "post"
for _ in $(seq 1 100); do
  [[ "$("$FLOE" cat bronze.orders 2>/dev/null | wc -l)" == "$unique" ]] && break
  sleep 0.1
done
assert_eq "$unique" "$("$FLOE" cat bronze.orders | wc -l)" "the live job's rows"
no_ingest_time() { sed 's/"_ingest_time":"[^"]*",\{0,1\}//' | LC_ALL=C sort; }
"$FLOE" cat bronze.orders | LC_ALL=C sort >"$T/live_full"
no_ingest_time <"$T/live_full" >"$T/live"

cd "$T/proj"
run_floe replay orders --swap
[[ $RC -ne 0 ]] || fail "replay --swap beside a running serve must be refused"
assert_contains "$ERR" "is in use by a running floe serve: stop it first" "the refusal says why"
assert_eq 0 "$(snapshot_count bronze.orders_before_swap)" "nothing kept: no swap happened"
"$FLOE" cat bronze.orders | LC_ALL=C sort >"$T/after_refusal"
assert_eq "" "$(diff "$T/live_full" "$T/after_refusal" | head -3)" "bronze.orders unchanged by the refusal"
expect_usage_fail "--swap swaps in the default replay table: leave out --into" replay orders --swap --into x.y

stop_serve
run_floe replay orders --swap --data "$FLOE_DATA"   # --data among the command's options too
assert_eq 0 "$RC" "replay --swap with serve stopped: $ERR"
assert_contains "$OUT" "into bronze.orders_replay: $unique rows" "the replay ran first"
assert_contains "$OUT" "swapped: bronze.orders is the replay now; the previous table is bronze.orders_before_swap" "swap summary"
"$FLOE" cat bronze.orders | no_ingest_time >"$T/swapped"
assert_eq "" "$(diff "$T/live" "$T/swapped" | head -5)" "the swapped-in bronze.orders equals the live one before"
"$FLOE" cat bronze.orders_before_swap | LC_ALL=C sort >"$T/kept"
assert_eq "" "$(diff "$T/live_full" "$T/kept" | head -5)" "the previous table is readable, every column"
run_floe cat bronze.orders_replay
[[ $RC -ne 0 ]] || fail "bronze.orders_replay should be gone (it is bronze.orders now)"
loc=$("$FLOE" describe bronze.orders | sed -n 's/^location *//p')
assert_contains "$loc" "/warehouse/bronze/orders_replay" "the swapped table keeps its directory"
[[ -d "$FLOE_DATA/stream/orders" && -d "$FLOE_DATA/stream/bronze.orders_before_swap" ]] || fail "state dirs: $(ls "$FLOE_DATA/stream")"
[[ ! -e "$FLOE_DATA/stream/bronze.orders_replay" && ! -e "$FLOE_DATA/stream/orders.swap" ]] || fail "left over: $(ls "$FLOE_DATA/stream")"

# the job goes on from the swapped table's checkpoint: new events once, old ones not again
start_serve "$T/proj"
for i in 1 2 3 4 5; do
  printf '{"event_id":"new-%s","tenant_id":"t","order_id":%s,"event_type":"order_paid","event_time":"2030-01-01T00:00:0%sZ"}\n' "$i" "$i" "$i"
done >"$T/new.ndjson"
post orders "$T/new.ndjson"
assert_eq 200 "$STATUS" "post after the swap"
want=$((unique + 5))
for _ in $(seq 1 100); do
  [[ "$("$FLOE" cat bronze.orders 2>/dev/null | wc -l)" == "$want" ]] && break
  sleep 0.1
done
stop_serve
"$FLOE" cat bronze.orders >"$T/after"
assert_eq "$want" "$(wc -l <"$T/after")" "the old rows and the 5 new ones"
assert_eq "$want" "$(grep -o '"event_id":"[^"]*"' "$T/after" | sort -u | wc -l)" "each event once"
assert_eq "$unique" "$("$FLOE" cat bronze.orders_before_swap | wc -l)" "the kept table is not written any more"

run_floe replay orders --swap
[[ $RC -ne 0 ]] || fail "a second swap while bronze.orders_before_swap exists must be refused"
assert_contains "$ERR" "bronze.orders_before_swap exists (the table a previous swap kept)" "second swap refused"
assert_eq "$want" "$("$FLOE" cat bronze.orders | wc -l)" "bronze.orders unchanged by the refused swap"
run_floe replay orders
assert_eq 0 "$RC" "a new replay: $ERR"
assert_contains "$OUT" "into bronze.orders_replay_2: $want rows" "a new replay gets a directory of its own"
run_floe replay orders --into bronze.orders_replay
[[ $RC -ne 0 ]] || fail "a replay into the live table's directory must be refused"
assert_contains "$ERR" "--into bronze.orders_replay: its directory holds the files of bronze.orders (renamed by a swap)" "named"
