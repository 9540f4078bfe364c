# Helpers of the `floe serve` black-box tests (tests/e2e/02NN-*.sh). Source after lib.sh:
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/serve_lib.sh"
# make_project DIR [floe.yaml text]: a project with the example's orders stream.
# start_serve DIR [ARGS]: starts `floe serve` on a free port (--listen 127.0.0.1:0), waits
#   for GET /healthz, sets SERVE_PID and URL; the server is killed when the test exits.
# stop_serve: SIGTERM, then waits for a clean exit (status 0).
# post STREAM FILE [CURL ARGS]: POSTs FILE to the events API; sets STATUS, BODY, HEADERS.
# http METHOD PATH [CURL ARGS]: any request; sets STATUS, BODY, HEADERS.
command -v curl >/dev/null || fail "curl is needed by the serve tests"
# SANITIZED=1 when floe is built with ASan: its RSS (shadow memory, freed-memory
# quarantine) says nothing about floe's own, so memory bounds are not asserted then.
SANITIZED=0
if grep -qa __asan_init "$FLOE"; then SANITIZED=1; fi

SERVE_PID=
UMOUNT_DIR=   # a test's small filesystem, unmounted at exit
serve_exit() {
  local rc=$?
  if [[ -n "$SERVE_PID" ]]; then
    kill -9 "$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
  fi
  if [[ -n "$UMOUNT_DIR" ]]; then umount "$UMOUNT_DIR" 2>/dev/null || true; fi
  (exit $rc)
  on_exit
}
trap serve_exit EXIT

make_project() {
  local dir=$1 yaml=${2:-}
  mkdir -p "$dir/streams"
  cp "$FLOE_ROOT/examples/orders/streams/orders.sql" "$dir/streams/"
  printf '%s\n' "$yaml" >"$dir/floe.yaml"
}

start_serve() {
  local dir=$1
  shift
  : >"$T/serve.err"
  "$FLOE" serve --project "$dir" --data "$FLOE_DATA" --listen 127.0.0.1:0 "$@" >"$T/serve.out" 2>>"$T/serve.err" &
  SERVE_PID=$!
  local port
  for _ in $(seq 1 200); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/serve.err" | tail -1)
    if [[ -n "$port" ]] && curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
      URL="http://127.0.0.1:$port"
      return 0
    fi
    kill -0 "$SERVE_PID" 2>/dev/null || fail "floe serve exited: $(cat "$T/serve.err")"
    sleep 0.05
  done
  fail "floe serve did not answer /healthz: $(cat "$T/serve.err")"
}

stop_serve() {
  kill -TERM "$SERVE_PID"
  local rc=0
  wait "$SERVE_PID" || rc=$?
  SERVE_PID=
  [[ $rc -eq 0 ]] || fail "floe serve exited $rc on SIGTERM: $(cat "$T/serve.err")"
}

http() {
  local method=$1 path=$2
  shift 2
  local out
  out=$(curl -s -D "$T/.headers" -o "$T/.body" -w '%{http_code}' -X "$method" "$@" "$URL$path") || true
  STATUS=$out
  BODY=$(cat "$T/.body")
  HEADERS=$(tr -d '\r' <"$T/.headers")
}

post() {
  local stream=$1 file=$2
  shift 2
  local type=(-H 'Content-Type: application/x-ndjson')   # unless the caller gives one
  [[ "$*" == *[Cc]ontent-[Tt]ype* ]] && type=()
  http POST "/v1/streams/$stream/events" "${type[@]}" --data-binary "@$file" "$@"
}

# json_field NAME: the value of "NAME": in BODY (numbers and strings, first match).
json_field() {
  sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[0-9-]*\).*/\1/p" <<<"$BODY" | head -1
}
