#!/usr/bin/env bash
# The stream job (src/stream/): events posted to `floe serve` reach bronze.orders once
# each, the first arrival of a duplicated event_id wins, and _late, _partition and
# _offset are what tests/interop/check_bronze.mjs recomputes from the posted files by
# the definitions (per-partition watermark = max event time read - 5 s, duplicates
# included), reading the table with icebird, not floe. Then a restart: duplicates of
# events from before it are still dropped (the dedupe state comes back from the
# checkpoint), nothing is written twice, and every bronze snapshot carries its
# checkpoint's log offsets; a checkpoint with nothing new commits nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/icebird" ]] || fail "icebird is missing: bash scripts/deps.sh --test"

make_project "$T/proj" 'commit_interval: 200ms'
"$FLOE" gen orders --count 3000 --bad 0 --seed 7 --out "$T/a.ndjson" >"$T/gen_a.json"
start_serve "$T/proj"
post orders "$T/a.ndjson"
assert_eq 200 "$STATUS" "post a"
unique_a=$(sed -n 's/.*"unique":\([0-9]*\).*/\1/p' "$T/gen_a.json")
wait_rows() { # N: until bronze.orders holds N rows
  for _ in $(seq 1 100); do
    [[ "$("$FLOE" cat bronze.orders 2>/dev/null | wc -l)" == "$1" ]] && return 0
    sleep 0.1
  done
  fail "bronze.orders: $("$FLOE" cat bronze.orders 2>/dev/null | wc -l) rows, expected $1"
}
wait_rows "$unique_a"
out=$(node "$FLOE_ROOT/tests/interop/check_bronze.mjs" "$FLOE_DATA" orders "$T/a.ndjson") || fail "$out"
assert_contains "$out" "ok $unique_a rows" "icebird reads what the definitions give"
late_a=$(sed -n 's/.* \([0-9]*\) late,.*/\1/p' <<<"$out")
dups_a=$(sed -n 's/.*"duplicates":\([0-9]*\).*/\1/p' "$T/gen_a.json")
http GET /metrics
assert_contains "$BODY" "floe_stream_rows_total{stream=\"orders\"} $unique_a" "rows metric"
assert_contains "$BODY" "floe_stream_records_total{stream=\"orders\"} $((unique_a + dups_a))" "records metric"
assert_contains "$BODY" "floe_stream_duplicates_total{stream=\"orders\"} $dups_a" "duplicates metric"
assert_contains "$BODY" "floe_stream_late_total{stream=\"orders\"} $late_a" "late metric"
# one post is usually one checkpoint; on a loaded machine the job may read the post's
# partitions across two checkpoint intervals: each checkpoint that kept rows is a snapshot
ck_a=$(snapshot_count bronze.orders)
[[ $ck_a -ge 1 ]] || fail "no bronze snapshot after post a"
assert_contains "$BODY" "floe_stream_checkpoint_id{stream=\"orders\"} $ck_a" "checkpoint metric"
assert_contains "$BODY" "floe_stream_freshness_seconds_count{stream=\"orders\"} $ck_a" "freshness observed once per checkpoint"
stop_serve

# duplicates of a's events, posted after a restart, are dropped; new events kept
head -n 200 "$T/a.ndjson" >"$T/b.ndjson"
"$FLOE" gen orders --count 100 --bad 0 --duplicates 0 --late 0 --seed 8 --out "$T/c.ndjson" >/dev/null
cat "$T/c.ndjson" >>"$T/b.ndjson"
start_serve "$T/proj"
post orders "$T/b.ndjson"
assert_eq 200 "$STATUS" "post b"
wait_rows $((unique_a + 100))
out=$(node "$FLOE_ROOT/tests/interop/check_bronze.mjs" "$FLOE_DATA" orders "$T/a.ndjson" "$T/b.ndjson") ||
  fail "$out"
assert_contains "$out" "ok $((unique_a + 100)) rows" "after the restart"
sleep 0.5 # a few more intervals with nothing new
stop_serve
# one snapshot per checkpoint that kept rows (none for the idle intervals), each with
# the checkpoint id, its state file and the offsets of the 4 partitions
meta=$(ls "$FLOE_DATA"/warehouse/bronze/orders/metadata/*.metadata.json | grep -v '/v[0-9]' | sort | tail -1)
ck=$(snapshot_count bronze.orders)
[[ $ck -gt $ck_a ]] || fail "no snapshot for post b ($ck in all, $ck_a after post a)"
ids=$(grep -o '"floe.checkpoint-id" *: *"[0-9]*"' "$meta" | grep -o '[0-9]*"$' | tr -d '"' | tr '\n' ' ')
assert_eq "$(seq -s ' ' 1 "$ck") " "$ids" "checkpoint ids of the snapshots: 1 to $ck, one per checkpoint that kept rows"
assert_eq $((4 * ck)) "$(grep -o '"floe.log-offset.[0-3]"' "$meta" | wc -l)" "4 partition offsets in each summary"
assert_eq 1 "$(ls "$FLOE_DATA"/stream/orders/*.state | wc -l)" "only the last checkpoint's state file is kept"
# the log consumer "stream" holds the log for bronze
assert_contains "$("$FLOE" log orders --stat)" "stream" "the stream job's consumer"
