#!/usr/bin/env bash
# bench/run.sh: floe's storage benchmark beside DuckDB (what `make bench` runs, after
# building). Builds nothing. Both engines run on one core (taskset -c $BENCH_CORE);
# DuckDB is also held to one thread (SET threads = 1).
#   BENCH_ROWS=1000000 make bench        quick run (default 10,000,000 rows)
#   BUILD=$PWD/build-x bash bench/run.sh
#   BENCH_RUNS=3 make bench              repeat floe+DuckDB 3 times (shared machines are
#                                        noisy), then a summary of the write ratios
#   BENCH_ONLY=ingest make bench         only the ingest HTTP figures (bench/ingest.sh,
#                                        issue 8); BENCH_ONLY=storage only the storage part.
#                                        Without BENCH_ONLY both run, storage first.
#   BENCH_ONLY=consume make bench        only the consumer wake-up figure (bench/log_consume.sh,
#                                        issue 13; it also runs after the ingest figures)
#   BENCH_ONLY=stream make bench         only the stream job's figures (bench/stream.sh, issue 14;
#                                        they also run after the ingest figures)
#   BENCH_ONLY=query make bench          only the query bench beside DuckDB and ingest under
#                                        query load (bench/query.sh, issue 15; they also run
#                                        last)
#   BENCH_BASELINE=REV make bench        before/after in one run: builds git revision REV
#                                        (RelWithDebInfo, build-baseline/), then runs REV's
#                                        own bench and this tree's, one after the other,
#                                        with the same settings (BENCH_ONLY, _ROWS, _RUNS)
# Prints the two JSON lines and a table; bench/RESULTS.md records real runs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
if [[ -n ${BENCH_BASELINE:-} ]]; then
  base=$ROOT/build-baseline
  rev=$(git -C "$ROOT" rev-parse "$BENCH_BASELINE")
  if [[ $(cat "$base/rev" 2>/dev/null) != "$rev" ]]; then   # else built already
    rm -rf "$base/src" "$base/build" && mkdir -p "$base/src"
    git -C "$ROOT" archive "$rev" | tar -x -C "$base/src"
    ln -s "$ROOT/tests/interop/node_modules" "$base/src/tests/interop/node_modules"
    echo "$rev" >"$base/rev"
  fi
  cmake -S "$base/src" -B "$base/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$base/build" >/dev/null
  echo "bench: ==== baseline $(git -C "$ROOT" rev-parse --short "$BENCH_BASELINE") ===="
  BENCH_BASELINE= BUILD=$base/build bash "$base/src/bench/run.sh"
  echo "bench: ==== this tree ($(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD || echo ' + changes')) ===="
  BENCH_BASELINE= BUILD=$BUILD exec bash "$ROOT/bench/run.sh"
fi
if [[ ${BENCH_ONLY:-} == ingest ]]; then BUILD=$BUILD exec bash "$ROOT/bench/ingest.sh"; fi
if [[ ${BENCH_ONLY:-} == consume ]]; then BUILD=$BUILD exec bash "$ROOT/bench/log_consume.sh"; fi
if [[ ${BENCH_ONLY:-} == stream ]]; then BUILD=$BUILD exec bash "$ROOT/bench/stream.sh"; fi
if [[ ${BENCH_ONLY:-} == query ]]; then BUILD=$BUILD exec bash "$ROOT/bench/query.sh"; fi
ROWS=${BENCH_ROWS:-10000000}
CORE=${BENCH_CORE:-0}
RUNS=${BENCH_RUNS:-1}
BIN=$BUILD/bench/table_write_bench
[[ -x $BIN ]] || { echo "bench: $BIN not built (run make bench)" >&2; exit 1; }
[[ -d $ROOT/tests/interop/node_modules/@duckdb/node-api ]] || { echo "bench: npm readers missing (bash scripts/deps.sh --test)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/floe-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "bench: $ROWS rows x $RUNS run(s), one core (cpu $CORE), $(nproc) cores on this machine, $(date -u +%FT%TZ)"
pairs=()
for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$work/floe" "$work/duck" "$work/duck-wpc"
  taskset -c "$CORE" "$BIN" --rows "$ROWS" --data "$work/floe" | tee "$work/floe-$i.json"
  taskset -c "$CORE" node "$ROOT/bench/duckdb_write.mjs" --from "$work/floe/warehouse/bench/orders/data" \
    --out "$work/duck" | tee "$work/duck-$i.json"
  echo
  node "$ROOT/bench/report.mjs" "$work/floe-$i.json" "$work/duck-$i.json"
  echo
  pairs+=("$work/floe-$i.json" "$work/duck-$i.json")
done
((RUNS > 1)) && node "$ROOT/bench/report.mjs" --summary "${pairs[@]}"
if [[ ${BENCH_ONLY:-} != storage ]]; then echo; BUILD=$BUILD bash "$ROOT/bench/ingest.sh"; fi
if [[ ${BENCH_ONLY:-} != storage ]]; then echo; BUILD=$BUILD bash "$ROOT/bench/log_consume.sh"; fi
if [[ ${BENCH_ONLY:-} != storage ]]; then echo; BUILD=$BUILD bash "$ROOT/bench/stream.sh"; fi
if [[ ${BENCH_ONLY:-} != storage ]]; then echo; BUILD=$BUILD bash "$ROOT/bench/query.sh"; fi
exit 0
