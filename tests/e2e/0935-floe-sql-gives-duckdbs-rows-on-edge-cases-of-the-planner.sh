#!/usr/bin/env bash
# `floe sql` and DuckDB agree on 34 queries at the planner's edges: scalar subqueries
# (in WHERE and the SELECT list; none found is NULL), SELECT without FROM
# inside FROM, uncorrelated [NOT] EXISTS (a join on nothing), a CTE referenced twice,
# NOT IN against NULLs, empty results and LIMIT 0, windows over aggregates, LAG with a
# default, a LEFT JOIN whose ON filters the right side, UNION of different integer
# types, DISTINCT *, doubles printed as DuckDB prints them.
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || fail "node is needed (bash scripts/deps.sh --test)"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/@duckdb/node-api" ]] || fail "DuckDB for node is missing (bash scripts/deps.sh --test)"

cd "$T"
python3 - <<'PY'
import json, random
random.seed(3)
with open('t.ndjson', 'w') as f:
    for i in range(300):
        f.write(json.dumps({'a': random.choice([None, 1, 2, 3, i]), 'b': random.choice([None, 'x', 'y', 'abc']),
                            'c': random.choice([None, '1.50', '-2.25', '100.00']),
                            'd': '2024-05-0%d 10:00:00' % random.randint(1, 9), 'e': random.choice([None, 1, 2, 5])}) + '\n')
with open('u.ndjson', 'w') as f:
    for i in range(50):
        f.write(json.dumps({'a': random.choice([None, 1, 2, 3]), 'x': random.choice([None, 0.5, 2.0, -1.25])}) + '\n')
qs = [
 "SELECT * FROM (SELECT 1 AS one) s",
 "SELECT count(*) AS n FROM t WHERE EXISTS (SELECT 1 FROM u)",
 "SELECT count(*) AS n FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE x > 100)",
 "SELECT a FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.a = t.a)",
 "SELECT t.a, s.one FROM t, (SELECT 1 AS one) s WHERE t.a = 1",
 "SELECT DISTINCT * FROM u",
 "SELECT a, count(*) AS n FROM t GROUP BY a HAVING a > 1",
 "SELECT * FROM t LIMIT 0",
 "SELECT a, sum(x) OVER () AS s FROM u",
 "WITH q AS (SELECT a FROM u) SELECT count(*) AS n FROM q a1 JOIN q a2 USING (a)",
 "SELECT 1 AS v UNION ALL SELECT 2 UNION ALL SELECT NULL",
 "SELECT NULL AS n",
 "SELECT * FROM t WHERE false",
 "SELECT count(*) AS n FROM u LEFT JOIN t ON u.a = t.a AND t.b = 'x'",
 "SELECT u.a, count(t.a) AS n FROM u LEFT JOIN t ON u.a = t.a GROUP BY u.a",
 "SELECT b, max(c) AS m, min(d) AS dd FROM t GROUP BY b",
 "SELECT e, avg(c) AS av FROM t GROUP BY e ORDER BY e NULLS FIRST",
 "SELECT a, b FROM t WHERE a IN (SELECT a FROM u) AND b IS NOT NULL ORDER BY a, b LIMIT 7",
 "SELECT count(*) AS n FROM t WHERE a NOT IN (SELECT a FROM u)",
 "SELECT count(*) AS n FROM t WHERE e NOT IN (SELECT a FROM u WHERE a IS NOT NULL)",
 "SELECT a, row_number() OVER (ORDER BY d, a, b, c, e) AS rn FROM t ORDER BY rn LIMIT 5",
 "SELECT b, count(*) AS n, sum(count(*)) OVER () AS total FROM t GROUP BY b",
 "SELECT a FROM t UNION SELECT a FROM u",
 "SELECT * FROM (SELECT a, b FROM t ORDER BY a DESC NULLS LAST, b LIMIT 3) s ORDER BY a, b",
 "SELECT c * 2 + 1 AS y FROM t WHERE c > 0 ORDER BY y DESC LIMIT 3",
 "SELECT count(*) AS n FROM t CROSS JOIN u",
 "SELECT x, count(*) AS n FROM u GROUP BY ALL ORDER BY x NULLS LAST",
 "SELECT t.e, u.x FROM t JOIN u ON t.e = u.a WHERE u.x > 0 AND t.b = 'abc'",
 "SELECT count(DISTINCT b) AS d, count(*) FILTER (WHERE c IS NULL) AS nulls FROM t",
 "SELECT a, lag(c, 1, 0) OVER (PARTITION BY a ORDER BY d, b, c, e) AS prev FROM t WHERE a < 3 ORDER BY a, d, b, c, e",
 "SELECT a, b, c FROM t WHERE c > (SELECT avg(c) FROM t)",
 "SELECT x, (SELECT max(c) FROM t) AS m, x + (SELECT count(*) FROM t) AS y FROM u",
 "SELECT count(*) AS n FROM t WHERE e = (SELECT max(a) FROM u)",
 "SELECT count(*) AS n FROM t WHERE a = (SELECT a FROM u WHERE x > 100) OR b = 'x'",
]
spec = {"tables": [
  {"name": "t", "file": "t.ndjson", "columns": {"a": "BIGINT", "b": "VARCHAR", "c": "DECIMAL(12,2)", "d": "TIMESTAMP", "e": "INTEGER"}},
  {"name": "u", "file": "u.ndjson", "columns": {"a": "INTEGER", "x": "DOUBLE"}}],
  "queries": qs}
json.dump(spec, open('spec.json', 'w'))
PY
"$FLOE" load s.t t.ndjson --schema "a BIGINT, b STRING, c DECIMAL(12,2), d TIMESTAMP, e INT" >/dev/null
"$FLOE" load s.u u.ndjson --schema "a INT, x DOUBLE" >/dev/null
node "$FLOE_ROOT/tests/interop/sql_vs_duckdb.mjs" --floe "$FLOE" --data "$FLOE_DATA" --spec spec.json >"$T/diff.txt" || { cat "$T/diff.txt" >&2; fail "floe sql and DuckDB differ"; }
assert_eq 34 "$(grep -c '^ok' "$T/diff.txt")" "every query agrees"
