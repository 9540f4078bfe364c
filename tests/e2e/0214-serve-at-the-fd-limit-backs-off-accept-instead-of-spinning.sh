#!/usr/bin/env bash
# At the fd limit both loops spun on accept (180% CPU) and health checks failed: a
# level-triggered listener whose accept() fails with EMFILE wakes again at once. Now a
# loop that gets EMFILE stops accepting for 100 ms (FL_HTTP_ACCEPT_BACKOFF_MS): with
# 300 connections held against a limit of 128 fds the server uses little CPU, and once
# they go it serves again. Also limits.max_connections: at the cap accept waits (the
# connection stays in the kernel's backlog) and resumes when one closes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
command -v python3 >/dev/null || fail "python3 is needed"
command -v prlimit >/dev/null || fail "prlimit (util-linux) is needed"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVE_PID/stat"; }

make_project "$T/proj" 'limits:
  request_timeout: 30s'
start_serve "$T/proj"
port=${URL##*:}
prlimit --nofile=128 --pid "$SERVE_PID"   # the server's limit, not the client's
python3 "$(dirname "$0")/hold_connections.py" "$port" 300 8 >"$T/held" &
hold=$!
# until the connections are held (the client prints its count) and a loop hit EMFILE:
# polled, as on a loaded machine opening 300 connections takes a while
for _ in $(seq 1 100); do
  [[ -s "$T/held" ]] && grep -q "accept: Too many open files; pausing 100 ms" "$T/serve.err" && break
  sleep 0.05
done
t0=$(cpu_ticks)
sleep 2
t1=$(cpu_ticks)
hz=$(getconf CLK_TCK)
echo "connections opened: $(cat "$T/held"); server CPU over 2 s at the fd limit: $(( (t1 - t0) * 1000 / hz )) ms"
[[ $(( (t1 - t0) * 1000 / hz )) -lt 400 ]] || fail "the server burns CPU at the fd limit: $(( (t1 - t0) * 1000 / hz )) ms in 2 s"
grep -q "accept: Too many open files; pausing 100 ms" "$T/serve.err" || fail "no EMFILE back-off logged: $(tail -3 "$T/serve.err")"
wait $hold
for _ in $(seq 1 40); do
  curl -sf -m 1 "$URL/healthz" >/dev/null && break
  sleep 0.1
done
http GET /healthz -m 2
assert_eq 200 "$STATUS" "serving again once the connections are gone"
stop_serve

# limits.max_connections: 20 held, the 21st waits; one closing lets it in
make_project "$T/proj2" 'limits:
  max_connections: 20'
start_serve "$T/proj2"
port=${URL##*:}
fds0=$(ls /proc/$SERVE_PID/fd | wc -l)
python3 "$(dirname "$0")/hold_connections.py" "$port" 20 6 >"$T/held2" &
hold=$!
for _ in $(seq 1 100); do   # until the server has accepted the 20 (one fd each)
  [[ $(ls /proc/$SERVE_PID/fd | wc -l) -ge $((fds0 + 20)) ]] && break
  sleep 0.05
done
code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$URL/healthz" || true)
assert_eq 000 "$code" "the 21st connection waits at the cap"
wait $hold
http GET /healthz -m 2
assert_eq 200 "$STATUS" "accepted again below the cap"
stop_serve
