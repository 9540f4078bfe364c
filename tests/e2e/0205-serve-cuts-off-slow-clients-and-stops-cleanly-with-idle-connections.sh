#!/usr/bin/env bash
# Slow-loris: a client that sends half its headers, or half its body, is disconnected
# after limits.request_timeout while others are served; SIGTERM with an idle
# keep-alive connection open still stops the server cleanly (exit 0) within seconds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'limits:
  request_timeout: 1s'
start_serve "$T/proj"
port=${URL##*:}

# half the headers
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /v1/streams/orders/events HTTP/1.1\r\nHost: x\r\n' >&3
# half the body
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /v1/streams/orders/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"event_id":' >&4

http GET /healthz
assert_eq 200 "$STATUS" "others are served meanwhile"

start=$(date +%s%N)
timeout 10 cat <&3 >/dev/null || fail "the half-headers connection was not closed"
timeout 10 cat <&4 >/dev/null || fail "the half-body connection was not closed"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[[ $elapsed_ms -lt 5000 ]] || fail "slow clients were cut off after ${elapsed_ms} ms, expected about 1 s"
exec 3<&- 4<&-

# an idle keep-alive connection at stop
exec 5<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&5
start=$(date +%s%N)
stop_serve
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[[ $elapsed_ms -lt 5000 ]] || fail "stop took ${elapsed_ms} ms"
exec 5<&-
