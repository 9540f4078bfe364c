#!/usr/bin/env bash
# bench/log_consume.sh: the consumer wake-up figure of issue 13 (called by bench/run.sh;
# alone: BENCH_ONLY=consume make bench, or BUILD=build bash bench/log_consume.sh).
# Runs build/bench/log_consume_bench: one record appended at a time over 4 partitions,
# a named consumer waiting on all of them; the time from the return of the record's
# fdatasync to the consumer having the record. Goal: p99 <= 1 ms.
#   BENCH_CONSUME_COUNT=5000   records (default 5000)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
COUNT=${BENCH_CONSUME_COUNT:-5000}
BIN=$BUILD/bench/log_consume_bench
[[ -x $BIN ]] || { echo "bench: $BIN not built (run make bench)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/floe-consume.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "bench: consumer wake-up, $COUNT records, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" --count "$COUNT" --partitions 4 --dir "$work/log" >"$work/out.json" 2>"$work/out.txt"
sed 's/^/  /' "$work/out.txt"
cat "$work/out.json"
get() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" "$work/out.json"; }
echo "| figure | floe | goal: measured / goal |"
echo "|---|---|---|"
printf '| consumer sees a record after its fsync returns (%s records, 4 partitions, woken by the append) | p50 %s us, p99 %s us, max %s us | p99 <= 1,000 us: %s |\n' \
  "$(get records)" "$(get p50_us)" "$(get p99_us)" "$(get max_us)" "$([[ $(get met) == true ]] && echo met || echo missed)"
