#!/usr/bin/env bash
# Runs every libFuzzer target in DIR for SECONDS each, starting from the seed corpus
# in tests/fuzz/corpus/<name>/ (copied: new units found go to a scratch dir, not the
# repository). Fails on the first crash, leak or sanitizer report.
# SECONDS = 0 replays: each target runs every seed of its corpus once and stops (CI).
set -euo pipefail
dir=${1:?usage: run.sh FUZZ_BIN_DIR SECONDS}
secs=${2:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for bin in "$dir"/*_fuzz; do
  [[ -x "$bin" ]] || continue
  name=$(basename "$bin" _fuzz)
  case "$name" in
    parquet*) seeds=parquet ;;
    manifest*|avro*) seeds=manifest ;;
    parse*|sql*) seeds=sql ;;
    ndjson*) seeds=ndjson ;;
    ingest*|contract*) seeds=ingest ;;
    json*) seeds=json ;;
    events_split*) seeds=events_split ;;
    *) seeds=$name ;;
  esac
  work="$scratch/$name"
  mkdir -p "$work"
  [[ -d "$root/tests/fuzz/corpus/$seeds" ]] && cp -r "$root/tests/fuzz/corpus/$seeds/." "$work/"
  nseeds=$(ls "$work" | wc -l)
  if [[ "$secs" == 0 ]]; then
    ((nseeds > 0)) || { echo "fuzz: $name has no seeds in tests/fuzz/corpus/$seeds"; status=1; continue; }
    echo "fuzz: $name replays $nseeds seeds (tests/fuzz/corpus/$seeds)"
    limit=(-runs=0)
  else
    echo "fuzz: $name for ${secs}s (seeds: tests/fuzz/corpus/$seeds, $nseeds files)"
    limit=(-max_total_time="$secs")
  fi
  if ! "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$scratch/" "$work" > "$scratch/$name.log" 2>&1; then
    echo "fuzz: $name FAILED"; tail -40 "$scratch/$name.log"
    mkdir -p "$root/build-fuzz/crashes" && cp "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$root/build-fuzz/crashes/" 2>/dev/null || true
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$scratch/$name.log" | tail -2
  fi
done
exit $status
