#!/usr/bin/env bash
# `floe sql` and DuckDB (npm @duckdb/node-api, an independent engine) run the same 35
# queries of the front end over the same rows (200 generated orders with NULL tenants,
# amounts and product ids; 11 products with a duplicate id) and give the same rows, in
# order where the query orders them: GROUP BY (ALL, ordinals, HAVING on an alias),
# aggregates with FILTER and DISTINCT, inner/left/comma/USING joins, IN / NOT IN (with
# a NULL) / EXISTS / NOT EXISTS subqueries, CTEs, subqueries in FROM with column aliases,
# windows with QUALIFY, UNION [ALL], ORDER BY with NULLS FIRST/LAST, LIMIT/OFFSET, empty
# aggregates. tests/interop/sql_vs_duckdb.mjs compares.
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || fail "node is needed (bash scripts/deps.sh --test)"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/@duckdb/node-api" ]] || fail "DuckDB for node is missing (bash scripts/deps.sh --test)"

cd "$T"
python3 - <<'PY'
import json, random
random.seed(7)
tenants = ['acme', 'beta', 'gamma', None]
with open('o.ndjson', 'w') as f:
    for i in range(1, 201):
        amt = None if i % 13 == 0 else '%d.%02d' % (random.randint(0, 500), random.randint(0, 99))
        f.write(json.dumps({"id": i, "tenant": random.choice(tenants), "amount": amt,
                            "pid": None if i % 17 == 0 else random.randint(1, 12),
                            "ts": "2024-05-%02d %02d:%02d:00" % (random.randint(1, 28), random.randint(0, 23), random.randint(0, 59))}) + "\n")
with open('p.ndjson', 'w') as f:
    for i in range(1, 11):
        f.write(json.dumps({"id": i, "name": "prod%d" % i, "price": "%d.%02d" % (i * 3, i)}) + "\n")
    f.write(json.dumps({"id": 5, "name": "dup5", "price": "1.00"}) + "\n")
qs = [
 "SELECT tenant, sum(amount) AS total, count(*) AS n, count(amount) AS na, min(amount) AS lo, max(amount) AS hi FROM orders GROUP BY tenant ORDER BY tenant NULLS FIRST",
 "SELECT tenant, avg(amount) AS a FROM orders GROUP BY 1 HAVING count(*) > 40 ORDER BY 1",
 "SELECT o.id, p.name FROM orders o LEFT JOIN products p ON o.pid = p.id ORDER BY o.id, p.name NULLS FIRST",
 "SELECT count(*) AS n FROM orders o JOIN products p ON o.pid = p.id",
 "SELECT o.id, p.price FROM orders o, products p WHERE o.pid = p.id AND p.price > 20",
 "SELECT id, name FROM products JOIN (SELECT pid AS id, count(*) AS c FROM orders GROUP BY pid) s USING (id) ORDER BY id, name",
 "SELECT tenant, pid, count(*) AS n FROM orders GROUP BY ALL ORDER BY 1 NULLS LAST, 2 NULLS LAST",
 "SELECT tenant, count(DISTINCT pid) AS d, count(*) FILTER (WHERE amount > 100) AS big FROM orders GROUP BY tenant",
 "SELECT id, tenant, row_number() OVER (PARTITION BY tenant ORDER BY ts DESC, id) AS rn FROM orders QUALIFY rn <= 2 ORDER BY tenant, rn",
 "SELECT id, sum(amount) OVER (PARTITION BY tenant ORDER BY id) AS running FROM orders WHERE tenant = 'acme' ORDER BY id",
 "SELECT id, lag(id) OVER (ORDER BY id) AS prev, lead(id, 2) OVER (ORDER BY id) AS next2 FROM orders WHERE id <= 10 ORDER BY id",
 "SELECT id, rank() OVER (ORDER BY pid) AS r, dense_rank() OVER (ORDER BY pid) AS dr FROM orders WHERE id < 30",
 "SELECT name FROM products UNION ALL SELECT tenant FROM orders WHERE id < 5 ORDER BY 1 NULLS FIRST",
 "SELECT tenant FROM orders UNION SELECT name FROM products WHERE id < 3",
 "SELECT id FROM orders WHERE pid IN (SELECT id FROM products WHERE price > 15) ORDER BY id",
 "SELECT id FROM products WHERE id NOT IN (SELECT pid FROM orders WHERE id < 20)",
 "SELECT id FROM products WHERE id NOT IN (SELECT pid FROM orders WHERE id < 20 AND pid IS NOT NULL)",
 "SELECT p.id FROM products p WHERE EXISTS (SELECT 1 FROM orders o WHERE o.pid = p.id AND o.amount > 400)",
 "SELECT p.id FROM products p WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.pid = p.id AND o.tenant = 'gamma')",
 "WITH t AS (SELECT tenant, amount FROM orders WHERE amount IS NOT NULL), u AS (SELECT tenant, sum(amount) AS s FROM t GROUP BY tenant) SELECT * FROM u ORDER BY s DESC",
 "SELECT x.a, x.b FROM (SELECT id, pid FROM orders WHERE id < 6) AS x(a, b) ORDER BY a",
 "SELECT DISTINCT tenant, pid FROM orders WHERE id < 50",
 "SELECT id, amount FROM orders ORDER BY amount DESC NULLS LAST, id LIMIT 5 OFFSET 3",
 "SELECT tenant FROM orders ORDER BY ts, id LIMIT 3",
 "SELECT 1 + 2 AS three, 'x' AS s",
 "SELECT count(*) AS n, sum(amount) AS s, max(tenant) AS m FROM orders WHERE id < 0",
 "SELECT count(*) AS n FROM orders, products",
 "SELECT coalesce(tenant, 'none') AS t, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1",
 "SELECT tenant || '-' || CAST(pid AS VARCHAR) AS k, count(*) AS n FROM orders WHERE pid < 3 GROUP BY 1 ORDER BY 1 NULLS FIRST",
 "SELECT CASE WHEN amount > 250 THEN 'big' ELSE 'small' END AS size, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1 NULLS FIRST",
 "SELECT id, amount * 2 AS twice FROM orders WHERE id <= 3 ORDER BY twice DESC",
 "SELECT tenant, sum(amount) AS s FROM orders GROUP BY tenant ORDER BY count(*) DESC, tenant LIMIT 2",
 "SELECT o.tenant, p.name, sum(o.amount) AS total FROM orders o JOIN products p ON o.pid = p.id WHERE p.id <= 3 GROUP BY ALL ORDER BY 1 NULLS FIRST, 2",
 "SELECT max(rn) AS m FROM (SELECT row_number() OVER (PARTITION BY pid ORDER BY id) AS rn FROM orders)",
 "SELECT pid, count(*) AS n FROM orders GROUP BY pid HAVING n > 17 ORDER BY pid",
]
spec = {"tables": [
  {"name": "orders", "file": "o.ndjson", "columns": {"id": "BIGINT", "tenant": "VARCHAR", "amount": "DECIMAL(12,2)", "pid": "INTEGER", "ts": "TIMESTAMP"}},
  {"name": "products", "file": "p.ndjson", "columns": {"id": "INTEGER", "name": "VARCHAR", "price": "DECIMAL(10,2)"}}],
  "queries": qs}
json.dump(spec, open('spec.json', 'w'))
PY
"$FLOE" load shop.orders o.ndjson --schema "id BIGINT NOT NULL, tenant STRING, amount DECIMAL(12,2), pid INT, ts TIMESTAMP" >/dev/null
"$FLOE" load shop.products p.ndjson --schema "id INT NOT NULL, name STRING, price DECIMAL(10,2)" >/dev/null
node "$FLOE_ROOT/tests/interop/sql_vs_duckdb.mjs" --floe "$FLOE" --data "$FLOE_DATA" --spec spec.json >"$T/diff.txt" || { cat "$T/diff.txt" >&2; fail "floe sql and DuckDB differ"; }
assert_eq 35 "$(grep -c '^ok' "$T/diff.txt")" "every query agrees"
