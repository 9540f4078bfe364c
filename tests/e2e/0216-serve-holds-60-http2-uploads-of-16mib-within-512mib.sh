#!/usr/bin/env bash
# The memory budget covers HTTP/2 too: h2o buffers each stream's body on its own, out
# of the socket's input. 60 HTTP/2 connections each uploading a 16 MiB body at 2 MB/s
# (~1 GB if buffered whole) keep the server's peak RSS under 512 MiB; /healthz answers;
# once they are gone the memory is given back (VmRSS).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'limits:
  request_timeout: 8s'
start_serve "$T/proj"
rss_kib() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$SERVE_PID/status"; }
head -c $((16 << 20)) /dev/zero | tr '\0' 'x' >"$T/big.bin"
pids=()
for _ in $(seq 1 60); do
  curl -s -o /dev/null --http2-prior-knowledge --limit-rate 2M -m 12 -H 'Content-Type: application/x-ndjson' \
    -X POST -T "$T/big.bin" -w '%{http_code}\n' "$URL/v1/streams/orders/events" >>"$T/codes" 2>&1 &
  pids+=($!)
done
sleep 3
: >"$T/health"
for _ in $(seq 1 20); do
  curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' "$URL/healthz" >>"$T/health" || echo "000 fail" >>"$T/health"
  sleep 0.25
done
wait "${pids[@]}" || true
hwm=$(rss_kib VmHWM)
sleep 1
rss=$(rss_kib VmRSS)
echo "peak RSS (VmHWM) $((hwm / 1024)) MiB, after $((rss / 1024)) MiB; answers: $(sort "$T/codes" | uniq -c | tr '\n' ' ')"
[[ $SANITIZED == 1 ]] || [[ $hwm -lt $((512 * 1024)) ]] || fail "peak RSS $((hwm / 1024)) MiB with 60 HTTP/2 uploads is over 512 MiB"
assert_eq 0 "$(grep -vc '^200 ' "$T/health" || true)" "every health check answered 200"
[[ $SANITIZED == 1 ]] || [[ $rss -lt $((128 * 1024)) ]] || fail "RSS $((rss / 1024)) MiB after the uploads: not given back"
stop_serve
