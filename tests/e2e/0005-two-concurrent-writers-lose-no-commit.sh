#!/usr/bin/env bash
# Two processes append to one table at the same time, 100 loads each (each load its
# own `floe load` process, so every commit races the other writer's through the
# catalog's compare-and-swap). The table ends with exactly 200 snapshots and every
# row of every load: the count and the sum of the ids are exact.
. "$(dirname "$0")/lib.sh"

LOADS=${LOADS:-100}
ROWS=5
schema='id BIGINT NOT NULL, writer INT NOT NULL'
# file w.j holds ids w*1000000 + j*10 + k, k < ROWS: distinct across all loads
awk -v loads="$LOADS" -v rows="$ROWS" -v dir="$T" 'BEGIN {
  for (w = 1; w <= 2; w++) for (j = 1; j <= loads; j++) {
    f = dir "/in." w "." j ".ndjson"
    for (k = 0; k < rows; k++) printf "{\"id\":%d,\"writer\":%d}\n", w * 1000000 + j * 10 + k, w > f
    close(f)
  } }'
# two loads racing to create the same table: both succeed, one creates it
echo '{"id":0,"writer":0}' >"$T/seed.ndjson"
"$FLOE" load bronze.created "$T/seed.ndjson" --schema "$schema" >"$T/create.1.log" 2>&1 & c1=$!
"$FLOE" load bronze.created "$T/seed.ndjson" --schema "$schema" >"$T/create.2.log" 2>&1 & c2=$!
wait "$c1" || fail "creating load 1: $(cat "$T/create.1.log")"
wait "$c2" || fail "creating load 2: $(cat "$T/create.2.log")"
assert_eq 2 "$(snapshot_count bronze.created)" "both creating loads committed"

# create the table first: the race under test is the appends
floe load bronze.race "$T/seed.ndjson" --schema "$schema" >/dev/null
# keep every snapshot (commits expire all but the newest 100 by default)
floe alter bronze.race set-property history.expire.max-snapshots 1000 >/dev/null

writer() {
  local w=$1
  for j in $(seq 1 "$LOADS"); do
    "$FLOE" load bronze.race "$T/in.$w.$j.ndjson" >>"$T/writer.$w.log" 2>&1 || { echo "load $w.$j failed" >>"$T/writer.$w.log"; return 1; }
  done
}
writer 1 & p1=$!
writer 2 & p2=$!
s1=0; s2=0
wait "$p1" || s1=$?
wait "$p2" || s2=$?
[[ $s1 -eq 0 && $s2 -eq 0 ]] || fail "a writer failed: $(grep -h -v '^loaded' "$T"/writer.*.log | head -5)"
assert_eq "$LOADS" "$(grep -c '^loaded 5 rows' "$T/writer.1.log")" "writer 1 reported every load"
assert_eq "$LOADS" "$(grep -c '^loaded 5 rows' "$T/writer.2.log")" "writer 2 reported every load"

assert_eq $((2 * LOADS + 1)) "$(snapshot_count bronze.race)" "one snapshot per load, none lost"
expected_sum=$(cat "$T"/in.*.ndjson | sed 's/{"id":\([0-9]*\),.*/\1/' | awk '{s += $1} END {printf "%d", s}')
actual=$(floe cat bronze.race --columns id | sed 's/{"id":\([0-9]*\)}/\1/' | awk '{n++; s += $1} END {printf "%d %d", n, s}')
assert_eq "$((2 * LOADS * ROWS + 1)) $expected_sum" "$actual" "row count and id sum"
# and no id twice
assert_eq 0 "$(floe cat bronze.race --columns id | sort | uniq -d | wc -l)" "no duplicate rows"
