#!/usr/bin/env bash
# An operator looking at `top -H` or `ps -L` of floe serve sees which part takes the CPU:
# every thread floe starts has a name (/proc/PID/task/TID/comm). The threads on the path of
# an acknowledgement (floe-http<i>, floe-log, floe-wal) run at the server's own priority;
# the stream job (floe-job-<stream>, floe-w-<stream>) runs 10 nice levels below them and
# the worker pool of long requests (floe-worker: queries) at the lowest, 19, so
# acknowledgements come first and the job's checkpoints before queries.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/p" 'threads: 2'
start_serve "$T/p"
# every thread's name and nice value. A thread names itself when it starts running, and
# a commit's short-lived floe-fsync threads come and go: read until the set is settled
# (one unnamed thread, main, and the job's threads there), for up to 10 s
snapshot() {
  for t in /proc/"$SERVE_PID"/task/*; do
    printf '%s %s\n' "$(cat "$t/comm" 2>/dev/null)" "$(awk '{ print $19 }' "$t/stat" 2>/dev/null)"
  done | grep -v '^ ' | grep -v '^floe-fsync ' | sort
}
nice_of() { awk -v n="$1" '$1 == n { print $2; exit }' <<<"$threads"; }
count_of() { awk -v n="$1" '$1 == n { c++ } END { print c + 0 }' <<<"$threads"; }
for _ in $(seq 1 100); do
  threads=$(snapshot)
  [[ $(count_of floe) == 1 && $(count_of floe-job-orders) == 1 && $(count_of floe-w-orders) == 1 &&
    $(count_of floe-worker) -ge 1 && $(count_of floe-wal) == 1 ]] && break
  sleep 0.1
done
base=$(nice_of floe)
[[ -n $base ]] || fail "the main thread is not named floe: $threads"
assert_eq 1 "$(count_of floe)" "one thread keeps the process name (main): $threads"
for t in floe-http0 floe-http1 floe-log floe-wal floe-retention; do
  assert_eq "$base" "$(nice_of "$t")" "$t runs at the server's priority ($threads)"
done
for t in floe-job-orders floe-w-orders; do
  [[ $(count_of "$t") -ge 1 ]] || fail "no thread named $t: $threads"
  want=$((base + 10 > 19 ? 19 : base + 10)) # nice values stop at 19 (a test run under nice)
  assert_eq "$want" "$(nice_of "$t")" "$t runs 10 below the acknowledgement path"
done
[[ $(count_of floe-worker) -ge 1 ]] || fail "no thread named floe-worker: $threads"
want=$((base + 19 > 19 ? 19 : base + 19))
assert_eq "$want" "$(nice_of floe-worker)" "the worker pool (queries) runs at the lowest priority, below the job"
# nothing unnamed: every thread but main carries a floe-* name of its own
assert_eq 0 "$(awk '$1 !~ /^floe(-|$)/' <<<"$threads" | wc -l)" "threads without a floe name: $threads"
stop_serve
