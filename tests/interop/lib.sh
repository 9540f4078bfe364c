# tests/interop/lib.sh: sourced first by every tests/interop/NNNN-*.sh. Sets ROOT, FLOE
# (the binary under test, $FLOE or build/floe), HERE (this folder, where the npm readers
# live) and T (a temp dir named after the test under $FLOE_TEST_TMP, removed when the
# test passes, kept and named when it fails); stops at once, with the fix, when the
# binary or the npm readers are missing.
set -euo pipefail
ROOT=${FLOE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FLOE=${FLOE:-$ROOT/build/floe}
[[ -x $FLOE ]] || { echo "interop: no floe binary at $FLOE (set FLOE)"; exit 1; }
HERE=$ROOT/tests/interop
[[ -d $HERE/node_modules/@duckdb/node-api ]] || { echo "interop: npm readers missing: bash scripts/deps.sh --test"; exit 1; }
mkdir -p "${FLOE_TEST_TMP:-/tmp}"
T=$(mktemp -d "${FLOE_TEST_TMP:-/tmp}/interop-$(basename "$0" | cut -c1-4).XXXXXX")
trap 'rc=$?; if ((rc == 0)); then rm -rf "$T"; else echo "kept $T"; fi' EXIT
