#!/usr/bin/env bash
# floe serve on a project without streams still serves (health checks answer) but
# warns on stderr that it defines no stream; a project with a stream gives no such
# warning. FLOE_LISTEN sets the address when --listen is not given, and --listen
# overrides it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

mkdir -p "$T/empty"
printf '' >"$T/empty/floe.yaml"
start_serve "$T/empty"
assert_contains "$(cat "$T/serve.err")" \
  "floe: warning: project $T/empty defines no stream (no $T/empty/streams/*.sql): every event post will answer 404" \
  "the no-stream warning"
http GET /healthz
assert_eq 200 "$STATUS" "healthz without streams"
stop_serve

make_project "$T/orders"
start_serve "$T/orders"
[[ "$(cat "$T/serve.err")" != *"defines no stream"* ]] || fail "a project with a stream warned: $(cat "$T/serve.err")"
stop_serve

# FLOE_LISTEN, when --listen is not given
: >"$T/serve.err"
FLOE_LISTEN=127.0.0.1:0 "$FLOE" serve --project "$T/orders" --data "$FLOE_DATA" >"$T/serve.out" 2>>"$T/serve.err" &
SERVE_PID=$!
port=
for _ in $(seq 1 200); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/serve.err" | tail -1)
  [[ -n "$port" ]] && break
  kill -0 "$SERVE_PID" 2>/dev/null || fail "floe serve exited: $(cat "$T/serve.err")"
  sleep 0.05
done
[[ -n "$port" && "$port" != 8080 ]] || fail "FLOE_LISTEN=127.0.0.1:0 was not used: $(cat "$T/serve.err")"
URL="http://127.0.0.1:$port"
http GET /healthz
assert_eq 200 "$STATUS" "healthz on the FLOE_LISTEN address"
stop_serve
# a FLOE_LISTEN that cannot be bound fails, so it is used; --listen wins over it
FLOE_LISTEN=256.0.0.1:1 run_floe serve --project "$T/orders"
assert_eq 1 "$RC" "a bad FLOE_LISTEN fails"
assert_contains "$ERR" "256.0.0.1" "the error names the FLOE_LISTEN address"
export FLOE_LISTEN=256.0.0.1:1
start_serve "$T/orders"   # with --listen 127.0.0.1:0
http GET /healthz
assert_eq 200 "$STATUS" "--listen over FLOE_LISTEN"
stop_serve
