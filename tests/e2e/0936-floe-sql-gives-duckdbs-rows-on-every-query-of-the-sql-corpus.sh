#!/usr/bin/env bash
# The SQL corpus (tests/sql/*.slt, format in tests/sql/README.md): every `query` record
# runs in `floe sql` and in DuckDB (npm @duckdb/node-api) over the same generated rows
# and gives the same rows (in order under a top-level ORDER BY, as multisets otherwise);
# every `error` record is refused by floe with its message. At least 300 queries are
# compared, none differs, and any known failure is listed by the runner, never passed.
# tests/interop/sql_vs_duckdb.mjs generates the tables, loads them and compares.
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || fail "node is needed (bash scripts/deps.sh --test)"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/@duckdb/node-api" ]] || fail "DuckDB for node is missing (bash scripts/deps.sh --test)"

rc=0
node "$FLOE_ROOT/tests/interop/sql_vs_duckdb.mjs" --floe "$FLOE" --work "$T/corpus" --corpus "$FLOE_ROOT/tests/sql" >"$T/report.txt" 2>&1 || rc=$?
summary=$(grep '^corpus: ' "$T/report.txt" || true)
[[ $rc -eq 0 && -n "$summary" ]] || { cat "$T/report.txt" >&2; fail "floe sql and DuckDB differ on the corpus (exit $rc)"; }
[[ $summary =~ ^corpus:\ ([0-9]+)\ queries\ compared,\ ([0-9]+)\ agree,\ 0\ differ,\ ([0-9]+)\ known\ failures\;\ ([0-9]+)\ errors\ checked,\ 0\ wrong$ ]] ||
  fail "unexpected summary: $summary"
compared=${BASH_REMATCH[1]} agree=${BASH_REMATCH[2]} errors=${BASH_REMATCH[4]}
assert_eq "$compared" "$agree" "every compared query agrees"
(( compared >= 300 )) || fail "only $compared queries compared (the corpus holds at least 300)"
(( errors >= 30 )) || fail "only $errors error records checked"
records=$(cat "$FLOE_ROOT"/tests/sql/*.slt | grep -c '^query')
assert_eq "$records" "$((compared + BASH_REMATCH[3]))" "every query record was run (compared or listed as a known failure)"
grep '^KNOWN ' "$T/report.txt" || true
