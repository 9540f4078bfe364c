#!/usr/bin/env bash
# bench/query.sh: the query bench beside DuckDB (issue 15). Run by bench/run.sh
# (`make bench`; `BENCH_ONLY=query make bench` runs only this), or alone:
#   BUILD=$PWD/build-x bash bench/query.sh
#   BENCH_ROWS=10000000     rows of bench.orders (the storage bench's table and rows)
#   BENCH_QUERY_RUNS=3      runs of each query per engine and thread count (the median)
#   BENCH_CORE=0            the core the 1-thread runs are pinned to
#   BENCH_SECONDS=10        length of each ingest measurement (part 2)
#   BENCH_QUERY_INGEST=0    skip part 2
#
# Part 1, the queries. build/bench/table_write_bench writes bench.orders (partitioned by
# day(event_time), tenant_id; zstd) and `floe load` loads examples/orders' ref.products.
# Each query of bench/queries.tsv then runs
#   floe    `floe sql QUERY --format csv` as a process, timed from its start to its exit
#           (the rows written to a file): on 1 thread pinned to one core, and with
#           `--threads 2` unpinned when floe sql takes --threads (else "1 thread only":
#           the 2-thread column repeats floe's one thread, unpinned);
#   DuckDB  bench/duckdb_query.mjs, in-process (no process start counted), over its own
#           native table of the same rows ("DuckDB") and over floe's Parquet files
#           (read_parquet: "DuckDB on floe's files"), with SET threads = 1 pinned to the
#           same core, then threads = 2 unpinned.
# Each figure is the median of BENCH_QUERY_RUNS runs. floe's row counts are checked
# against DuckDB's. Then the point filter end to end over HTTP: `floe serve` on the same
# data, POST /v1/query with curl (connect to last byte), 1 cold + 11 warm runs. Then every
# query served the same way (no process start; query.threads 1 with the server pinned to
# the core, then 2 unpinned), in a second table beside DuckDB's in-process figures.
#
# Part 2, ingest under query load. `floe serve` (stream job off: the log's figures, as
# bench/ingest.sh's) on the same data; wrk (bench/wrk/post.lua) posts 1,000-event
# bodies over 16 connections, then single events over 64, each for BENCH_SECONDS / 2,
# alone, then while 4 clients loop the group-by query (group_tenant) over
# POST /v1/query; two rounds. Prints the acked rates alone and under load, and their
# ratio (the goal: ingest keeps its acked rate).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
ROWS=${BENCH_ROWS:-10000000}
RUNS=${BENCH_QUERY_RUNS:-3}
CORE=${BENCH_CORE:-0}
SECS=${BENCH_SECONDS:-10}
FLOE=$BUILD/floe
for bin in "$FLOE" "$BUILD/bench/table_write_bench"; do
  [[ -x $bin ]] || { echo "bench: $bin not built (make bench)" >&2; exit 1; }
done
[[ -d $ROOT/tests/interop/node_modules/@duckdb/node-api ]] || { echo "bench: npm readers missing (bash scripts/deps.sh --test)" >&2; exit 1; }

# the temp dir is under $BUILD so the table is on the repo's disk, not a tmpfs
work=$(mktemp -d "$BUILD/query-bench.XXXXXX")
pids=()
# shellcheck disable=SC2317 # run by the trap
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
calcf() { awk "BEGIN { d = 10 ^ ${2:-2}; x = $1; printf \"%.${2:-2}f\", (x < 0 ? -int(-x * d) : int(x * d)) / d }"; }
now_ns() { date +%s%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "bench: queries (issue 15), $ROWS rows, median of $RUNS runs, $(nproc) cores, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- the data
wh=$work/wh
taskset -c "$CORE" "$BUILD/bench/table_write_bench" --rows "$ROWS" --data "$wh" >"$work/write.json"
echo "bench: bench.orders written: $(cat "$work/write.json")"
"$FLOE" --data "$wh" load ref.products "$ROOT/examples/orders/ref/products.csv" \
  --schema "$(grep -v '^--' "$ROOT/examples/orders/ref/products.sql")" >/dev/null
sed "s/@MID_ORDER@/$((1000000 + ROWS / 6))/" "$ROOT/bench/queries.tsv" >"$work/queries.tsv"
mapfile -t names < <(grep -v '^#' "$work/queries.tsv" | cut -f1)
sql_of() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$work/queries.tsv"; }

floe_threads=0
if "$FLOE" --data "$wh" sql --threads 2 "SELECT 1" >/dev/null 2>&1; then floe_threads=1; fi

# ---------------------------------------------------------------- DuckDB
mkdir -p "$work/duck"
duck() { # THREADS TASKSET...
  local t=$1
  shift
  # shellcheck disable=SC2046 # --results DIR: two words
  "$@" node "$ROOT/bench/duckdb_query.mjs" --from "$wh/warehouse/bench/orders/data" --products "$ROOT/examples/orders/ref/products.csv" \
    --queries "$work/queries.tsv" --threads "$t" --runs "$RUNS" $( ((t == 1)) && echo --results "$work/duck") >"$work/duck$t.json"
  echo "bench: DuckDB, $t thread(s): $(cat "$work/duck$t.json")"
}
duck 1 taskset -c "$CORE"
duck 2 env

# ---------------------------------------------------------------- floe
# floe_run NAME TAG FLAGS PREFIX...: RUNS timed runs of `PREFIX floe sql QUERY FLAGS`, the
# median ms in $work/floe-TAG-NAME.ms
floe_run() {
  local name=$1 tag=$2 flags=$3 sql i t0 t1
  shift 3
  sql=$(sql_of "$name")
  for ((i = 0; i < RUNS; i++)); do
    t0=$(now_ns)
    # shellcheck disable=SC2086 # FLAGS is a list of words
    "$@" "$FLOE" --data "$wh" sql "$sql" --format csv $flags >"$work/out.csv" 2>"$work/err.txt" ||
      { cat "$work/err.txt" >&2; echo "bench: floe sql failed: $name" >&2; exit 1; }
    t1=$(now_ns)
    calcf "($t1 - $t0) / 1e6" 2
    echo
  done | median >"$work/floe-$tag-$name.ms"
  local got want
  got=$(($(wc -l <"$work/out.csv") - 1))
  want=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$work/duck/$name.json','utf8')).length)")
  [[ $got == "$want" ]] || { echo "bench: $name: floe returned $got rows, DuckDB $want" >&2; exit 1; }
}
t0=$(now_ns)
"$FLOE" --data "$wh" sql "SELECT 1" --format csv >/dev/null
start_ms=$(calcf "($(now_ns) - $t0) / 1e6" 1)
for n in "${names[@]}"; do
  floe_run "$n" 1 "$( ((floe_threads)) && echo --threads 1)" taskset -c "$CORE"
  floe_run "$n" 2 "$( ((floe_threads)) && echo --threads 2)" env
done

# ---------------------------------------------------------------- the point filter, served
start_floe() { # NAME [QUERY_THREADS [PREFIX...]]: floe serve on $wh, stream job off; sets floe_pid, floe_port
  local name=$1 qt=${2:-}
  shift
  (($#)) && shift
  rm -rf "$work/proj"
  cp -r "$ROOT/examples/orders" "$work/proj"
  rm -rf "$work/proj/data"
  printf '\nstream:\n  enabled: false\n' >>"$work/proj/floe.yaml"
  [[ -n $qt ]] && printf 'query:\n  threads: %s\n' "$qt" >>"$work/proj/floe.yaml"
  "$@" "$FLOE" serve --project "$work/proj" --data "$wh" --listen 127.0.0.1:0 >"$work/serve-$name.log" 2>&1 &
  floe_pid=$!
  pids+=("$floe_pid")
  for _ in $(seq 100); do
    floe_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve-$name.log")
    [[ -n $floe_port ]] && return 0
    kill -0 "$floe_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/serve-$name.log" >&2
  echo "bench: floe serve did not start" >&2
  exit 1
}
stop_pid() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=() p
  for p in "${pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  pids=("${keep[@]}")
}
# post_query SQL OUT: POST /v1/query, the answer in OUT; prints curl's seconds (connect to last byte)
post_query() {
  local code
  code=$(curl -s -o "$2" -w '%{http_code} %{time_total}' -X POST -H 'Content-Type: text/plain' \
    --data-binary "$1" "http://127.0.0.1:$floe_port/v1/query")
  [[ ${code%% *} == 200 ]] || { cat "$2" >&2; echo; echo "bench: POST /v1/query answered ${code%% *}" >&2; exit 1; }
  echo "${code#* }"
}
start_floe point
point_sql=$(sql_of point_filter)
point_cold_ms=$(calcf "$(post_query "$point_sql" "$work/point.json") * 1000" 2)
for _ in $(seq 11); do calcf "$(post_query "$point_sql" "$work/point.json") * 1000" 2; echo; done | median >"$work/point-served.ms"
point_rows=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$work/point.json','utf8')).length)")
stop_pid "$floe_pid"

# ---------------------------------------------------------------- every query, served
# The same queries through POST /v1/query on a running `floe serve` (query.threads 1, the
# whole server pinned to the 1-thread core; then query.threads 2, unpinned): no process
# start, the table's metadata cached by the server as DuckDB keeps its catalog open. Each
# figure the median of RUNS runs (the first included, as DuckDB's), curl's connect to
# last byte; rows checked against DuckDB's.
for t in 1 2; do
  if ((t == 1)); then start_floe "served$t" 1 taskset -c "$CORE"; else start_floe "served$t" 2; fi
  for n in "${names[@]}"; do
    sql=$(sql_of "$n")
    for ((i = 0; i < RUNS; i++)); do calcf "$(post_query "$sql" "$work/served.json") * 1000" 2; echo; done |
      median >"$work/served-$t-$n.ms"
    got=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$work/served.json','utf8')).length)")
    want=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$work/duck/$n.json','utf8')).length)")
    [[ $got == "$want" ]] || { echo "bench: $n served: floe returned $got rows, DuckDB $want" >&2; exit 1; }
  done
  stop_pid "$floe_pid"
done

# ---------------------------------------------------------------- the table
dms() { node -e "const j = JSON.parse(require('fs').readFileSync('$work/duck$1.json', 'utf8')); console.log(j['$2']['$3'])"; }
ratio() { calcf "$1 / $2" 2; }
echo
echo "bench: queries, $ROWS rows, median of $RUNS runs; floe = \`floe sql\` process start to exit (startup alone, SELECT 1: $start_ms ms); DuckDB in-process"
[[ $floe_threads == 1 ]] || echo "bench: floe sql has no --threads: 1 thread only (its 2-thread column is the same single thread, unpinned)"
echo "| query | floe 1t ms | DuckDB 1t ms | floe / DuckDB | DuckDB on floe's files 1t | on its own Parquet 1t | floe 2t ms | DuckDB 2t ms | floe / DuckDB | DuckDB on floe's files 2t | on its own Parquet 2t |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
: >"$work/r1" && : >"$work/r2" && : >"$work/f1" && : >"$work/f2"
for n in "${names[@]}"; do
  row="| $n"
  for t in 1 2; do
    f=$(cat "$work/floe-$t-$n.ms") d=$(dms "$t" native "$n") df=$(dms "$t" files "$n") dp=$(dms "$t" own_files "$n")
    r=$(ratio "$f" "$d")
    echo "$r $n" >>"$work/r$t"
    ratio "$df" "$dp" >>"$work/f$t" && echo >>"$work/f$t"
    row+=" | $f | $d | $r | $df | $dp"
  done
  echo "$row |"
done
for t in 1 2; do
  worst=$(sort -g "$work/r$t" | tail -1)
  echo "bench: $t thread(s): floe / DuckDB median $(cut -d' ' -f1 "$work/r$t" | median) (goal <= 1.0), worst ${worst%% *} (${worst#* }; goal <= 1.5); DuckDB on floe's files / on its own Parquet: median $(median <"$work/f$t") (goal <= 1.0)"
done
echo
echo "bench: the same queries served: POST /v1/query on a running floe serve (curl, connect to last byte); DuckDB in-process"
echo "| query | floe served 1t ms | DuckDB 1t ms | floe / DuckDB | floe served 2t ms | DuckDB 2t ms | floe / DuckDB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
: >"$work/s1" && : >"$work/s2"
for n in "${names[@]}"; do
  row="| $n"
  for t in 1 2; do
    f=$(cat "$work/served-$t-$n.ms") d=$(dms "$t" native "$n")
    r=$(ratio "$f" "$d")
    echo "$r $n" >>"$work/s$t"
    row+=" | $f | $d | $r"
  done
  echo "$row |"
done
for t in 1 2; do
  worst=$(sort -g "$work/s$t" | tail -1)
  echo "bench: served, $t thread(s): floe / DuckDB median $(cut -d' ' -f1 "$work/s$t" | median) (goal <= 1.0), worst ${worst%% *} (${worst#* }; goal <= 1.5)"
done
echo "bench: point filter ($point_rows rows), end to end: \`floe sql\` process $(cat "$work/floe-1-point_filter.ms") ms (1 core); POST /v1/query on a running floe serve: median $(cat "$work/point-served.ms") ms of 11 (first, cold: $point_cold_ms ms); goal < 20 ms"

# ---------------------------------------------------------------- part 2: ingest under query load
[[ ${BENCH_QUERY_INGEST:-1} == 0 ]] && exit 0
command -v wrk >/dev/null || { echo "bench: wrk not installed (apt-get install wrk)" >&2; exit 1; }
export FLOE_WRK_DIR=$ROOT/bench/wrk
"$FLOE" gen orders --count 1000 --duplicates 0 --late 0 --bad 0 --out "$work/body1000.ndjson" >/dev/null
awk 'length($0) >= 240 { print; exit }' "$work/body1000.ndjson" >"$work/body1.ndjson"
wrk_get() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" "$2" | tail -1; }
half=$(calcf "$SECS / 2" 0)
declare -A ok us
for k in batch_alone hook_alone batch_load hook_load; do ok[$k]=0 us[$k]=0; done
run_wrk() { # KEY BODY CONNS
  local f=$work/$1.wrk
  FLOE_BENCH_BODY=$2 wrk -t2 -c"$3" -d"${half}s" --timeout 10s -s "$ROOT/bench/wrk/post.lua" \
    "http://127.0.0.1:$floe_port/v1/streams/orders/events" >"$f" 2>&1
  [[ -n $(wrk_get requests "$f") ]] || { cat "$f" >&2; echo "bench: wrk failed ($1)" >&2; exit 1; }
  ok[$1]=$((ok[$1] + $(wrk_get requests "$f") - $(wrk_get status_errors "$f")))
  us[$1]=$((us[$1] + $(wrk_get duration_us "$f")))
}
heavy_sql=$(sql_of group_tenant)
start_floe ingest
post_query "$heavy_sql" "$work/heavy.json" >/dev/null
echo
echo "bench: ingest under query load: floe serve (stream job off), wrk -t2, 2 rounds of ${half} s per figure; load: 4 clients looping POST /v1/query group_tenant ($ROWS rows)"
for _ in 1 2; do # two rounds
  run_wrk batch_alone "$work/body1000.ndjson" 16
  run_wrk hook_alone "$work/body1.ndjson" 64
  qpids=()
  for c in 1 2 3 4; do
    # shellcheck disable=SC2016 # $cp is the subshell's
    (trap 'kill $cp 2>/dev/null; exit 0' TERM
    while :; do
      curl -s -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: text/plain' --data-binary "$heavy_sql" \
        "http://127.0.0.1:$floe_port/v1/query" >>"$work/queries-$c.txt" &
      cp=$!
      wait $cp || true
    done) &
    qpids+=($!)
    pids+=($!)
  done
  sleep 1
  run_wrk batch_load "$work/body1000.ndjson" 16
  run_wrk hook_load "$work/body1.ndjson" 64
  for p in "${qpids[@]}"; do stop_pid "$p"; done
done
stop_pid "$floe_pid"
rate() { calcf "${ok[$1]} * $2 / (${us[$1]} / 1e6)" 0; }
qdone=$(cat "$work"/queries-*.txt | grep -c '^200$' || true)
qbad=$(cat "$work"/queries-*.txt | grep -vc '^200$' || true)
ba=$(rate batch_alone 1000) bl=$(rate batch_load 1000) ha=$(rate hook_alone 1) hl=$(rate hook_load 1)
echo "| figure | alone | with 4 query clients | ratio |"
echo "|---|---:|---:|---:|"
echo "| acked events/s, 1,000-event bodies, 16 conns | $ba | $bl | $(ratio "$bl" "$ba") |"
echo "| acked single-event posts/s, 64 conns | $ha | $hl | $(ratio "$hl" "$ha") |"
echo "bench: the query clients finished $qdone group_tenant queries with 200 ($qbad other answers) in $((2 * 2 * half)) s; load at end $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
