#!/usr/bin/env bash
# Crash safety: a writer killed with SIGKILL at a random moment (20 times, each after
# 0-300 ms of a loop of `floe load` runs) leaves the table readable at its last
# commit. After each kill `floe cat` succeeds and returns, for every load, either all
# of its rows or none: every load that reported success is there whole, and at most
# one more, the load that was running when the kill came (it may have swapped the
# catalog pointer just before dying, without having printed). Orphan files allowed.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-20}
ROWS=3000
schema='id BIGINT NOT NULL, tag INT NOT NULL, note STRING'
echo '{"id":0,"tag":0,"note":"seed"}' >"$T/seed.ndjson"
floe load bronze.crash "$T/seed.ndjson" --schema "$schema" >/dev/null
# every snapshot is counted below: a fast machine commits more than the 100 that each
# commit keeps by default (history.expire.max-snapshots)
floe alter bronze.crash set-property history.expire.max-snapshots 100000 >/dev/null
# one input per load, made on the fly from a template: load TAG's rows are (TAG, k)
awk -v rows="$ROWS" 'BEGIN { for (k = 0; k < rows; k++)
  printf "{\"id\":%d,\"tag\":TAG,\"note\":\"row %d of a load that is long enough to be killed mid-way\"}\n", k, k }' \
  >"$T/template.ndjson"

: >"$T/ok.log"
next_tag=1
unreported=0
set -m   # each background loop in its own process group: kill -9 takes its floe too
for round in $(seq 1 "$ROUNDS"); do
  first=$next_tag
  (
    tag=$first
    while :; do
      sed "s/TAG/$tag/" "$T/template.ndjson" >"$T/in.$tag.ndjson"
      echo "$tag" >"$T/started.tmp" && mv -f "$T/started.tmp" "$T/started"   # atomic: a kill leaves old or new
      "$FLOE" load bronze.crash "$T/in.$tag.ndjson" >/dev/null 2>>"$T/err.log" && echo "$tag" >>"$T/ok.log"
      tag=$((tag + 1))
    done
  ) &
  pgid=$!
  sleep "0.$(printf %03d $((RANDOM % 301)))"
  kill -9 -- "-$pgid" 2>/dev/null || true
  wait "$pgid" 2>/dev/null || true
  started=$(cat "$T/started" 2>/dev/null || echo 0)
  (( started >= first )) || started=$((first - 1))
  next_tag=$((started + 1))

  run_floe cat bronze.crash --columns tag
  [[ $RC -eq 0 ]] || fail "round $round: cat after kill -9 failed: $ERR"
  counts=$(sed 's/{"tag":\([0-9]*\)}/\1/' <<<"$OUT" | sort -n | uniq -c | awk '$2 != 0 {print $2, $1}')
  while read -r tag count; do
    [[ -z "$tag" ]] && continue
    assert_eq "$ROWS" "$count" "round $round: load $tag is in the table whole or not at all"
  done <<<"$counts"
  present=$(awk '{print $1}' <<<"$counts" | sed '/^$/d')
  reported=$(sort -n "$T/ok.log")
  missing=$(comm -13 <(sort <<<"$present") <(sort <<<"$reported") | sed '/^$/d')
  assert_eq "" "$missing" "round $round: every load that reported success is in the table"
  extra=$(comm -23 <(sort <<<"$present") <(sort <<<"$reported") | sed '/^$/d')
  if [[ -n "$extra" ]]; then
    assert_eq "$started" "$extra" "round $round: the only unreported load in the table is the one killed"
    echo "$extra" >>"$T/ok.log"   # committed: it counts from now on
    unreported=$((unreported + 1))
  fi
  ndistinct=$(sed '/^$/d' <<<"$present" | wc -l)
  assert_eq $((ndistinct + 1)) "$(snapshot_count bronze.crash)" "round $round: one snapshot per committed load"
done
set +m
echo "committed loads: $(wc -l <"$T/ok.log") of $((next_tag - 1)) started ($unreported killed after their commit)"
