#!/usr/bin/env bash
# bench/ingest_parse.sh: the ingest parser benchmark (issue 8, "parser MB/s per core"):
# floe's fl_json_parse + fl_contract_check beside memcpy (same program, same run) and
# simdjson On-Demand extracting the same 10 fields from the same file (bench/simdjson_peer.cpp,
# built here with g++: CMake is C-only; libsimdjson-dev). Everything on one core.
#   BUILD=$PWD/build-x bash bench/ingest_parse.sh        (default build/, RelWithDebInfo or Release)
#   BENCH_MB=100 BENCH_BODY=1000 BENCH_RUNS=5 BENCH_CORE=0
# simdjson is built twice: -O2 (what a distro build gets: its portable kernel for On-Demand)
# and -O2 -march=native (its AVX2 kernel), both reported.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
MB=${BENCH_MB:-100}
BODY=${BENCH_BODY:-1000}
RUNS=${BENCH_RUNS:-5}
CORE=${BENCH_CORE:-0}
BIN=$BUILD/bench/ingest_parse_bench
[[ -x $BIN ]] || { echo "bench: $BIN not built (cmake --build $BUILD --target ingest_parse_bench)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/floe-parse-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
g++ -O2 -std=c++17 -o "$work/simdjson_peer" "$ROOT/bench/simdjson_peer.cpp" -lsimdjson
g++ -O2 -march=native -std=c++17 -o "$work/simdjson_peer_native" "$ROOT/bench/simdjson_peer.cpp" -lsimdjson
echo "bench: ingest parser, ${MB} MB of orders NDJSON in bodies of $BODY, cpu $CORE, $(date -u +%FT%TZ)"
taskset -c "$CORE" "$BIN" --mb "$MB" --body "$BODY" --runs "$RUNS" --out "$work/orders.ndjson"
echo "simdjson -O2:"
taskset -c "$CORE" "$work/simdjson_peer" "$work/orders.ndjson" "$BODY" "$RUNS"
echo "simdjson -O2 -march=native:"
taskset -c "$CORE" "$work/simdjson_peer_native" "$work/orders.ndjson" "$BODY" "$RUNS"
