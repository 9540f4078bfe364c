#!/usr/bin/env bash
# The crash harness: each operation (append, position delete, compaction, the
# three-table checkpoint transaction) is run with FLOE_CRASH_AT_FSYNC=N for N = 1, 2, ...
# (core/fsync.c SIGKILLs the writer at its Nth sync) until it completes. After every
# kill, the three tables, read at the catalog's pointers in one read, are exactly at
# their previous commit or at the operation's last one (never in between, and a
# transaction's tables all at one of the two); icebird reads each at that metadata
# file with the same rows as floe, and by its version hint without error; a killed
# transaction re-run with the same checkpoint id ends at the last state (tables that
# committed are skipped). At least 200 kills, no broken table.
. "$(dirname "$0")/lib.sh"

DRIVER=${CRASH_DRIVER:-$(dirname "$FLOE")/tests/crash_driver}
[[ -x "$DRIVER" ]] || fail "no crash driver at $DRIVER (make build)"
ROUNDS=${CRASH_ROUNDS:-4}
INTEROP="$FLOE_ROOT/tests/interop"
[[ -d "$INTEROP/node_modules/icebird" ]] || fail "icebird is not installed: bash scripts/deps.sh --test"

# The kills are of a process, not of the machine: the page cache survives, so the
# tables can live on tmpfs, where the N-1 syncs before each kill cost nothing.
W="$T"
if [[ -d /dev/shm && -w /dev/shm ]]; then
  W=$(mktemp -d /dev/shm/floe-crash.XXXXXX)
  trap 'rc=$?; if [[ $rc -eq 0 ]]; then rm -rf "$W"; else echo "tables kept in $W" >&2; fi; (exit $rc); on_exit' EXIT
fi
D="$W/data"
"$DRIVER" "$D" setup || fail "setup"
coproc ICEBIRD { cd "$INTEROP" && exec node crash_check.mjs; }
ice_check() {   # ice_check DIR: icebird agrees with floe's rows in DIR
  echo "$1" >&"${ICEBIRD[1]}"
  local answer
  read -r -t 60 answer <&"${ICEBIRD[0]}" || fail "icebird checker did not answer for $1"
  [[ $answer == ok* ]] || fail "icebird: $answer"
}

kills=0
ops=()
for r in $(seq 1 "$ROUNDS"); do ops+=("append $r" "delete" "compact" "txn $r"); done
for op in "${ops[@]}"; do
  rm -rf "$W/pre"
  cp -a "$D" "$W/pre"   # restored before every attempt (metadata holds absolute paths: same place)
  prev=$("$DRIVER" "$D" state) || fail "state before $op"
  "$DRIVER" "$D" $op || fail "$op without a crash"   # the last commit: the state it leaves
  last=$("$DRIVER" "$D" state)
  [[ "$last" != "$prev" ]] || fail "$op changed nothing"
  n=1
  while :; do
    rm -rf "$D"
    cp -a "$W/pre" "$D"
    rc=0   # (an inner shell reports the kill, into the err file)
    bash -c '"$@"; exit $?' _ env FLOE_CRASH_AT_FSYNC=$n "$DRIVER" "$D" $op 2>"$T/err" || rc=$?
    [[ $rc -eq 0 ]] && break
    [[ $rc -eq 137 ]] || fail "$op killed at fsync $n: exit $rc, not SIGKILL: $(cat "$T/err")"
    kills=$((kills + 1))
    rm -rf "$W/k"
    mkdir -p "$W/k"
    now=$("$DRIVER" "$D" state "$W/k") || fail "$op killed at fsync $n: a table is unreadable"
    if [[ "$now" != "$prev" && "$now" != "$last" ]]; then
      printf 'previous:\n%s\nlast:\n%s\nafter the kill:\n%s\n' "$prev" "$last" "$now" >&2
      fail "$op killed at fsync $n: tables at neither the previous nor the last commit"
    fi
    ice_check "$W/k"
    if [[ $op == txn* ]]; then   # recovery: the same checkpoint again
      "$DRIVER" "$D" $op || fail "$op re-run after the kill at fsync $n: $(cat "$T/err")"
      assert_eq "$last" "$("$DRIVER" "$D" state)" "$op re-run after the kill at fsync $n"
    fi
    n=$((n + 1))
  done
  assert_eq "$last" "$("$DRIVER" "$D" state)" "$op completed with $((n - 1)) kills before"
  echo "$op: $((n - 1)) fsync points, each killed once"
done
echo "kills: $kills"
[[ $kills -ge 200 ]] || fail "only $kills kills (want >= 200): raise CRASH_ROUNDS"
