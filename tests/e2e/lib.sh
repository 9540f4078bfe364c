# Shared helpers of the black-box tests (tests/e2e/NNNN-behaviour.sh). Source it first:
#   . "$(dirname "$0")/lib.sh"
# ctest sets FLOE (the binary), FLOE_ROOT (the repository) and FLOE_TEST_TMP (scratch);
# run by hand, they default to build/floe, this checkout and /tmp.
# Each test gets its own directory $T and data directory $FLOE_DATA under it, removed
# on success and kept (and printed) on failure.
set -euo pipefail
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then   # ctest's glob runs this file too
  echo "lib.sh: helpers sourced by the e2e tests; nothing to run"
  exit 0
fi

FLOE_ROOT="${FLOE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
FLOE="${FLOE:-$FLOE_ROOT/build/floe}"
FLOE_TEST_TMP="${FLOE_TEST_TMP:-/tmp}"
[[ -x "$FLOE" ]] || { echo "FAIL: no floe binary at $FLOE (set FLOE)" >&2; exit 1; }
mkdir -p "$FLOE_TEST_TMP"
T=$(mktemp -d "$FLOE_TEST_TMP/e2e-$(basename "$0" .sh).XXXXXX")
export FLOE_DATA="$T/data"
TEST_NAME=$(basename "$0" .sh)

on_exit() {
  local rc=$?
  if [[ $rc -eq 0 ]]; then
    rm -rf "$T"
    echo "PASS: $TEST_NAME"
  else
    echo "FAIL: $TEST_NAME (exit $rc); files kept in $T" >&2
  fi
}
trap on_exit EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
  if [[ "$1" != "$2" ]]; then
    echo "FAIL: $3" >&2
    echo "--- expected" >&2
    printf '%s\n' "$1" >&2
    echo "--- actual" >&2
    printf '%s\n' "$2" >&2
    if command -v diff >/dev/null; then
      echo "--- diff (expected, actual)" >&2
      diff <(printf '%s\n' "$1") <(printf '%s\n' "$2") >&2 || true
    fi
    exit 1
  fi
}

# assert_contains HAYSTACK NEEDLE WHAT  (fixed string)
assert_contains() {
  if [[ "$1" != *"$2"* ]]; then
    echo "FAIL: $3" >&2
    echo "--- expected to contain" >&2
    printf '%s\n' "$2" >&2
    echo "--- actual" >&2
    printf '%s\n' "$1" >&2
    exit 1
  fi
}

# run_floe ARGS...: runs floe without stopping the test; sets OUT, ERR and RC.
run_floe() {
  set +e
  "$FLOE" "$@" >"$T/.out" 2>"$T/.err"
  RC=$?
  set -e
  OUT=$(cat "$T/.out")
  ERR=$(cat "$T/.err")
}

# floe ARGS...: runs floe; a failure fails the test with its stderr.
floe() {
  run_floe "$@"
  [[ $RC -eq 0 ]] || fail "floe $* exited $RC: $ERR"
  [[ -z "$OUT" ]] || printf '%s\n' "$OUT"
}

# expect_fail STATUS MESSAGE ARGS...: floe ARGS must exit STATUS with exactly
# "floe: MESSAGE" on stderr.
expect_fail() {
  local status=$1 msg=$2
  shift 2
  run_floe "$@"
  assert_eq "$status" "$RC" "exit status of floe $*"
  assert_eq "floe: $msg" "$ERR" "stderr of floe $*"
}

# expect_usage_fail MESSAGE COMMAND ARGS...: exit 2 (the command line is wrong), stderr
# "floe: MESSAGE" then the command's usage line.
expect_usage_fail() {
  local msg=$1
  shift
  run_floe "$@"
  assert_eq 2 "$RC" "exit status of floe $*"
  assert_eq "floe: $msg" "$(head -1 <<<"$ERR")" "stderr of floe $*"
  assert_contains "$ERR" "usage: floe $1 " "usage line of floe $*"
}

# snapshot_count TABLE: the snapshots= field of `floe tables` (0 if not listed).
snapshot_count() {
  local line
  line=$("$FLOE" tables | awk -v t="$1" '$1 == t')
  if [[ -z "$line" ]]; then echo 0; return; fi
  sed -n 's/.*snapshots=\([0-9]*\).*/\1/p' <<<"$line"
}
