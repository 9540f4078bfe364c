#!/usr/bin/env bash
# An hour of 1 s checkpoints, in about half a minute: the stream job (src/stream/job.c, its
# default cadence: compaction every 30 checkpoints, expiry every 60, expiry in every
# commit) takes 3,600 checkpoints of 100 events each (two tenants = two bronze
# partitions, one duplicate a checkpoint) through tests/crash/stream_hour_driver.c,
# which skips only the wait for the commit interval. bronze.ev has
# write.target-file-size-bytes = 128 KiB (an hour is ~5.3 MB a partition here: ~40
# targets). Read with icebird (not floe):
#   - every event exactly once (the duplicates dropped);
#   - snapshots <= 100 (history.expire.max-snapshots, floe's default; the job's
#     max-snapshot-age of 1 hour does not bind in a minute) and metadata files <= 101
#     (write.metadata.previous-versions-max 100, plus the current one);
#   - files near the target: no file above 1.25 x target (the roll cuts a write where the
#     bytes-per-row estimate puts the target), at least 90% of each partition's bytes
#     in files of >= 75% of the target (the compaction's small-file bound, Iceberg's
#     min-file-size ratio), and at most 10 files a partition below it: 3,600 is a
#     multiple of 30, so the run ends on a compaction, which leaves only files held
#     back by the size tiers (each larger than the smaller ones together: at most
#     log2(96 KiB / ~1 KiB a checkpoint file) < 7) and fewer than min_files (4) others.
. "$(dirname "$0")/lib.sh"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/icebird" ]] || fail "icebird is missing: bash scripts/deps.sh --test"
DRIVER=${STREAM_HOUR_DRIVER:-$(dirname "$FLOE")/tests/stream_hour_driver}
[[ -x "$DRIVER" ]] || fail "no driver at $DRIVER (make build)"
# 3,600 commits of a dozen fsyncs each: on a memory file system when there is one
D=$T
if [[ -d /dev/shm && -w /dev/shm ]]; then
  D=$(mktemp -d /dev/shm/floe-1017.XXXXXX)
  # removed on success, kept beside $T on failure
  trap 'rc=$?; if [[ $rc -eq 0 ]]; then rm -rf "$D"; else echo "data in $D" >&2; fi; (exit $rc); on_exit' EXIT
fi
export FLOE_DATA="$D/data"
CKPTS=3600 ROWS=100 TARGET=131072
out=$("$DRIVER" "$FLOE_DATA" $CKPTS $ROWS $TARGET) || fail "driver: $out"
assert_eq "checkpoints $CKPTS rows $((CKPTS * ROWS)) duplicates $((CKPTS - 1))" "$out" "the job's counts"

out=$(node "$FLOE_ROOT/tests/interop/bronze_ids.mjs" "$FLOE_DATA" ev "$T/ids") || fail "$out"
seq -f 'e%07g' 0 $((CKPTS * ROWS - 1)) >"$T/want"
cmp -s "$T/want" "$T/ids" || fail "icebird's event_ids differ from the $((CKPTS * ROWS)) sent: $(diff "$T/want" "$T/ids" | head -5)"

node "$FLOE_ROOT/tests/interop/bronze_files.mjs" "$FLOE_DATA" ev >"$T/files" || fail "$(cat "$T/files")"
read -r _ nsnap _ nmeta < <(head -1 "$T/files")
[[ $nsnap -le 100 ]] || fail "bronze.ev keeps $nsnap snapshots (policy: at most 100)"
[[ $nmeta -le 101 ]] || fail "bronze.ev keeps $nmeta metadata files (policy: at most 101)"
rows=$(awk '$1 == "file" { n += $4 } END { print n }' "$T/files")
assert_eq $((CKPTS * ROWS)) "$rows" "the manifests' record counts"
report=$(awk -v t=$TARGET '$1 == "file" {
    f[$2]++; b[$2] += $3
    if ($3 >= 0.75 * t) near[$2] += $3; else small[$2]++
    if ($3 > 1.25 * t) over++
  } END {
    for (p in f) printf "%s files %d small %d near %.1f%%\n", p, f[p], small[p], 100 * near[p] / b[p]
    printf "over %d\n", over
  }' "$T/files" | sort)
echo "$report"
grep -q '^over 0$' <<<"$report" || fail "files above 1.25 x the target"
[[ $(grep -c ' files ' <<<"$report") -eq 2 ]] || fail "expected two partitions"
while read -r p _ nf _ ns _ pct; do
  [[ $ns -le 10 ]] || fail "$p: $ns of $nf files below 75% of the target"
  awk -v x="${pct%\%}" 'BEGIN { exit !(x >= 90) }' || fail "$p: only $pct of its bytes in files near the target"
done < <(grep ' files ' <<<"$report")
echo "$nsnap snapshots, $nmeta metadata files"
