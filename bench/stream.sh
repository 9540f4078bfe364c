#!/usr/bin/env bash
# bench/stream.sh: the stream job's figures (issue 14), each beside its yardstick of the
# same run. Run by bench/run.sh (`make bench`; `BENCH_ONLY=stream make bench` runs only
# this), or alone: BUILD=$PWD/build-x bash bench/stream.sh
#   BENCH_STREAM_EVENTS=1000000   events from `floe gen orders` (5% duplicates, 1% late, 0.5% bad)
#   BENCH_STREAM_RATE=100000      events/s of the freshness run
#   BENCH_STREAM_SECONDS=10       its length
# What runs: build/bench/stream_bench (the log filled untimed, then the stream job with
# 1 s checkpoints until every record is committed, then floe's bare table write of the
# same rows, then the freshness run) on one core (taskset -c 0) and on both; DuckDB
# (bench/duckdb_stream.mjs: read_json + row_number() dedupe + partitioned COPY of the
# same file) on 1 thread pinned to one core and on 2 threads.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
N=${BENCH_STREAM_EVENTS:-1000000}
RATE=${BENCH_STREAM_RATE:-100000}
SECS=${BENCH_STREAM_SECONDS:-10}
BIN=$BUILD/bench/stream_bench
[[ -x $BIN ]] || { echo "bench: $BIN not built (make bench)" >&2; exit 1; }
work=$(mktemp -d "$BUILD/stream-bench.XXXXXX") # the repo's disk, as the ingest bench
trap 'rm -rf "$work"' EXIT
echo "bench: stream job (issue 14), $N events, $(nproc) cores, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/floe" gen orders --count "$N" --out "$work/ev.ndjson" >"$work/gen.json"
echo "bench: events: $(cat "$work/gen.json")"
run_floe() { # NAME TASKSET...
  local name=$1
  shift
  rm -rf "$work/$name"
  mkdir -p "$work/$name"
  "$@" "$BIN" --input "$work/ev.ndjson" --ddl "$ROOT/examples/orders/streams/orders.sql" --dir "$work/$name" \
    --rate "$RATE" --seconds "$SECS" 2>"$work/$name.txt" >"$work/$name.json"
  sed 's/^/  /' "$work/$name.txt"
  rm -rf "${work:?}/$name"
}
echo "floe, one core (taskset -c 0):"
run_floe floe1 taskset -c 0
echo "floe, two cores:"
run_floe floe2 env
duck() { # THREADS TASKSET...
  local t=$1
  shift
  rm -rf "$work/duck"
  "$@" node "$ROOT/bench/duckdb_stream.mjs" --input "$work/ev.ndjson" --out "$work/duck" --threads "$t" >"$work/duck$t.json"
  echo "DuckDB, $t thread(s): $(cat "$work/duck$t.json")"
}
duck 1 taskset -c 0
duck 2 env
j() { sed -n "s/.*\"$1\":\\([0-9.]*\\).*/\\1/p" "$2"; }
ratio() { awk "BEGIN { x = $1 / $2; printf \"%.3f\", int(x * 1000) / 1000 }"; }
f1=$(j events_per_s "$work/floe1.json") f2=$(j events_per_s "$work/floe2.json")
d1=$(j events_per_s "$work/duck1.json") d2=$(j events_per_s "$work/duck2.json")
b1=$(j bare_rows_per_s "$work/floe1.json") b2=$(j bare_rows_per_s "$work/floe2.json")
echo
echo "| figure | floe | yardstick (same run) | ratio | goal |"
echo "|---|---:|---|---:|---|"
echo "| events/s, log -> parse, dedupe -> bronze, 1 s checkpoints, 1 core | $f1 | DuckDB 1 thread $d1 ev/s | $(ratio "$f1" "$d1") x | >= 3x DuckDB; >= 1,000,000 ev/s |"
echo "| the same, 2 cores | $f2 | DuckDB 2 threads $d2 ev/s | $(ratio "$f2" "$d2") x | >= 3x DuckDB |"
echo "| the same vs floe's bare table write of the same rows, 1 core | $f1 | bare write $b1 rows/s | $(ratio "$f1" "$b1") x | >= 0.8x |"
echo "| the same, 2 cores | $f2 | bare write $b2 rows/s | $(ratio "$f2" "$b2") x | >= 0.8x |"
echo "| dedupe state, bytes per live key | $(j bytes_per_key "$work/floe1.json") | | | <= 32 |"
echo "| freshness, ack to visible in bronze, at $(j fresh_rate "$work/floe2.json") ev/s, $(j fresh_interval_ms "$work/floe2.json") ms checkpoints, 2 cores | p50 $(j fresh_p50_ms "$work/floe2.json") ms, p99 $(j fresh_p99_ms "$work/floe2.json") ms | | | p99 <= 1,000 ms |"
