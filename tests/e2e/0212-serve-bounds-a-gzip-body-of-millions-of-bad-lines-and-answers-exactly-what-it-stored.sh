#!/usr/bin/env bash
# Reject amplification: a ~16 KB gzip body of 8M bad lines drove RSS to 3.6 GB, wrote
# 1.7 GB of quarantine and was answered 503 "nothing acknowledged" while millions of
# quarantine rows were stored (a retry duplicated them). Now one request may store at
# most limits.max_rejects rejected records: the request is cut there, the answer (413,
# 41304) counts exactly what was stored and names the line to resend from, the
# quarantine holds exactly that many rows, RSS stays bounded (VmHWM) and is given back
# (VmRSS), and /healthz answers throughout. The same holds for a JSON array of 5M empty
# objects (its elements are parsed in pieces too: whole, it peaked at 468 MiB).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
start_serve "$T/proj"
rss_kib() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$SERVE_PID/status"; }
base=$(rss_kib VmRSS)

python3 -c 'import sys; sys.stdout.buffer.write(b"x\n" * 8000000)' | gzip -9 >"$T/bomb.gz"
size=$(stat -c %s "$T/bomb.gz")
[[ $size -lt 40000 ]] || fail "test setup: the gzip body is $size bytes"

# health checks every 50 ms while the bomb is processed
: >"$T/health"
( while [[ ! -e "$T/stop" ]]; do
    curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' "$URL/healthz" >>"$T/health" || echo "000 fail" >>"$T/health"
    sleep 0.05
  done ) &
hpid=$!
post orders "$T/bomb.gz" -H 'Content-Encoding: gzip'
touch "$T/stop"
wait $hpid
assert_eq 413 "$STATUS" "a request over max_rejects is cut ($BODY)"
assert_eq 41304 "$(json_field error_code)" "cut code"
assert_eq 0 "$(json_field accepted)" "accepted"
assert_eq 100000 "$(json_field rejected)" "exactly max_rejects records were stored"
assert_eq 100001 "$(json_field cut_at_line)" "the line to resend from"
assert_eq 99000 "$(json_field errors_not_listed)" "1000 errors are listed, the rest counted"
hwm=$(rss_kib VmHWM)
echo "RSS before $((base / 1024)) MiB, peak (VmHWM) $((hwm / 1024)) MiB"
[[ $SANITIZED == 1 ]] || [[ $hwm -lt $((512 * 1024)) ]] || fail "peak RSS $((hwm / 1024)) MiB is over 512 MiB"
bad=$(grep -vc '^200 ' "$T/health" || true)
assert_eq 0 "$bad" "every health check during the bomb answered 200 ($(sort "$T/health" | tail -3 | tr '\n' ' '))"
[[ $(wc -l <"$T/health") -ge 1 ]] || fail "no health check ran"

rows=0
for _ in $(seq 1 200); do
  rows=$("$FLOE" cat quarantine.orders 2>/dev/null | wc -l || true)
  [[ $rows -ge 100000 ]] && break
  sleep 0.2
done
assert_eq 100000 "$rows" "the quarantine holds exactly the rejected records the answer counted"
sleep 0.3
rss=$(rss_kib VmRSS)
echo "RSS after $((rss / 1024)) MiB"
[[ $SANITIZED == 1 ]] || [[ $rss -lt $((base + 128 * 1024)) ]] || fail "RSS after the request is $((rss / 1024)) MiB (before: $((base / 1024)) MiB): buffers were not given back"

python3 -c 'import sys; sys.stdout.write("[" + ",".join(["{}"] * 5000000) + "]")' | gzip -9 >"$T/array.gz"
http POST /v1/streams/orders/events -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' \
  --data-binary "@$T/array.gz"
assert_eq 413 "$STATUS" "an array of 5M bad elements is cut"
assert_eq 100000 "$(json_field rejected)" "exactly max_rejects elements were stored"
assert_eq 100001 "$(json_field cut_at_line)" "the element to resend from"
hwm=$(rss_kib VmHWM)
echo "peak (VmHWM) after both bodies $((hwm / 1024)) MiB"
[[ $SANITIZED == 1 ]] || [[ $hwm -lt $((256 * 1024)) ]] || fail "peak RSS $((hwm / 1024)) MiB is over 256 MiB"
stop_serve
