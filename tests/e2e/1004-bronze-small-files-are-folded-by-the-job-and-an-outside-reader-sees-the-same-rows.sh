#!/usr/bin/env bash
# Small files: with 100 ms checkpoints every post lands in its own snapshot and file;
# the stream job folds them (floe.yaml stream.compact_every: 4) so bronze.orders holds
# far fewer data files than checkpoints made, and icebird (not floe) still reads
# exactly the rows the definitions give (tests/interop/check_bronze.mjs) through the
# rewritten manifests; the compaction snapshots keep the checkpoint.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/icebird" ]] || fail "icebird is missing: bash scripts/deps.sh --test"

make_project "$T/proj" 'commit_interval: 100ms
stream:
  compact_every: 4'
# one tenant, one day: every checkpoint writes into the same partition
"$FLOE" gen orders --count 400 --bad 0 --late 0 --duplicates 0 --tenants 1 --seed 5 --out "$T/all.ndjson" >/dev/null
split -l 20 -d -a 2 "$T/all.ndjson" "$T/part."
start_serve "$T/proj"
files=()
for f in "$T"/part.*; do
  files+=("$f")
  http GET /metrics
  before=$(sed -n 's/^floe_stream_checkpoints_total{stream="orders"} \([0-9]*\)$/\1/p' <<<"$BODY")
  post orders "$f"
  assert_eq 200 "$STATUS" "post $f"
  for _ in $(seq 1 100); do # until a checkpoint took it
    http GET /metrics
    now=$(sed -n 's/^floe_stream_checkpoints_total{stream="orders"} \([0-9]*\)$/\1/p' <<<"$BODY")
    [[ "${now:-0}" -gt "${before:-0}" ]] && break
    sleep 0.05
  done
done
http GET /metrics
ckpts=$(sed -n 's/^floe_stream_checkpoints_total{stream="orders"} \([0-9]*\)$/\1/p' <<<"$BODY")
folded=$(sed -n 's/^floe_stream_compacted_files_total{stream="orders"} \([0-9]*\)$/\1/p' <<<"$BODY")
stop_serve
[[ $ckpts -ge 20 ]] || fail "expected a checkpoint per post, got $ckpts"
[[ ${folded:-0} -ge 8 ]] || fail "the job folded ${folded:-0} small files"
nfiles=$("$FLOE" describe bronze.orders --files | wc -l)
[[ $nfiles -lt $((ckpts / 2)) ]] || fail "bronze holds $nfiles data files after $ckpts checkpoints"
out=$(node "$FLOE_ROOT/tests/interop/check_bronze.mjs" "$FLOE_DATA" orders "${files[@]}") || fail "$out"
assert_contains "$out" "ok $(wc -l <"$T/all.ndjson" | tr -d ' ') rows" "icebird reads every row once"
echo "$ckpts checkpoints, $folded small files folded, $nfiles data files left"
