/* plan_test: the binder (bind_select.c) and the logical plan (plan.c) over a catalog of
 * two tables: the plan each query gets (exact text: projection pushdown, filter
 * pushdown, join keys, aggregation, windows, ORDER BY/LIMIT), and the errors that
 * teach (unknown names with the closest one, ambiguity, GROUP BY rules, types). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "sql/plan.h"
#include "sql/sql.h"

static fl_arena arena;
static void setup(void) { fl_arena_init(&arena, 4096); }
static void teardown(void) { fl_arena_destroy(&arena); }
TestSuite(sql_plan, .init = setup, .fini = teardown);

static fl_field orders_f[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},        {2, "tenant", {FL_T_STRING, 0, 0}, false},
    {3, "amount", {FL_T_DECIMAL, 12, 2}, false}, {4, "ts", {FL_T_TIMESTAMP, 0, 0}, false},
    {5, "pid", {FL_T_INT, 0, 0}, false},
};
static fl_field products_f[] = {
    {1, "id", {FL_T_INT, 0, 0}, true},
    {2, "name", {FL_T_STRING, 0, 0}, false},
    {3, "price", {FL_T_DECIMAL, 10, 2}, false},
};
static fl_schema orders = {0, 5, orders_f, 0, NULL};
static fl_schema products = {0, 3, products_f, 0, NULL};

static fl_code table(void *ud, const fl_sql_from *f, const fl_schema **schema, void **handle, fl_err *err) {
  (void)ud;
  *handle = NULL;
  if (!strcmp(f->name, "orders"))
    *schema = &orders;
  else if (!strcmp(f->name, "products"))
    *schema = &products;
  else
    return fl_err_set(err, FL_ENOENT, "no table %s", f->name);
  return FL_OK;
}

static uint32_t names(void *ud, const char *ns, fl_arena *a, const char ***out) {
  static const char *n[] = {"orders", "products"};
  *out = n;
  return 2;
}

static const fl_sql_catalog cat = {NULL, table, names};

static fl_code plan_of(const char *q, fl_buf *out, fl_err *err) {
  fl_sql_statement *st;
  fl_code code = fl_sql_parse_statement(q, strlen(q), &arena, &st, err);
  if (code) return code;
  fl_plan *p;
  code = fl_sql_plan_build(st, &cat, &arena, &p, err);
  if (code) return code;
  fl_plan_format(p, out);
  fl_buf_cstr(out);
  return FL_OK;
}

static void plans_as(const char *q, const char *want) {
  fl_buf out = {0};
  fl_err err = {0};
  fl_code code = plan_of(q, &out, &err);
  cr_assert_eq(code, FL_OK, "%s: %s", q, err.msg);
  cr_assert_str_eq((char *)out.data, want, "%s\n%s", q, (char *)out.data);
  fl_buf_free(&out);
}

static void refused(const char *q, fl_code code, const char *msg) {
  fl_buf out = {0};
  fl_err err = {0};
  fl_code rc = plan_of(q, &out, &err);
  cr_assert_eq(rc, code, "%s: %d %s", q, rc, err.msg);
  cr_assert_str_eq(err.msg, msg, "%s", q);
  fl_buf_free(&out);
}

Test(sql_plan, aggregate_sort_limit_push_down) {
  plans_as(
      "SELECT tenant, sum(amount) AS total FROM orders WHERE amount > 0 GROUP BY tenant ORDER BY total DESC "
      "LIMIT 3",
      "PROJECT tenant, total\n"
      "  LIMIT 3\n"
      "    SORT total DESC TOP 3\n"
      "      PROJECT tenant, \"sum(amount)\" AS total\n"
      "        AGGREGATE BY tenant: sum(amount) AS sum(amount)\n"
      "          PROJECT tenant, amount\n"
      "            SCAN orders (tenant, amount) WHERE amount > 0\n");
  plans_as("SELECT count(*) FROM orders",
           "PROJECT \"count_star()\"\n"
           "  PROJECT \"count_star()\"\n"
           "    AGGREGATE: count(*) AS count_star()\n"
           "      PROJECT \n"
           "        SCAN orders (id)\n");
  plans_as(
      "SELECT tenant, count(*) FILTER (WHERE amount > 5) c, count(DISTINCT pid) FROM orders GROUP BY ALL "
      "HAVING count(*) > 1",
      "PROJECT tenant, c, \"count(DISTINCT pid)\"\n"
      "  PROJECT tenant, \"count(*) FILTER (WHERE amount > 5)\" AS c, \"count(DISTINCT pid)\"\n"
      "    FILTER \"count_star()\" > 1\n"
      "      AGGREGATE BY tenant: count(*) FILTER filter AS count(*) FILTER (WHERE amount > 5), "
      "count(DISTINCT)(pid) AS count(DISTINCT pid), count(*) AS count_star()\n"
      "        PROJECT tenant, amount > 5 AS filter, pid\n"
      "          SCAN orders (tenant, amount, pid)\n");
  plans_as("SELECT tenant, sum(amount) FROM orders GROUP BY 1 ORDER BY count(*) DESC",
           "PROJECT tenant, \"sum(amount)\"\n"
           "  PROJECT tenant, \"sum(amount)\"\n"
           "    SORT order DESC\n"
           "      PROJECT tenant, \"sum(amount)\", \"count_star()\" AS order\n"
           "        AGGREGATE BY tenant: sum(amount) AS sum(amount), count(*) AS count_star()\n"
           "          PROJECT tenant, amount\n"
           "            SCAN orders (tenant, amount)\n");
}

Test(sql_plan, joins_take_keys_and_push_filters_to_each_side) {
  plans_as(
      "SELECT o.id, p.name FROM orders o JOIN products p ON o.pid = p.id WHERE p.price > 1 AND o.tenant = "
      "'a'",
      "PROJECT id, name\n"
      "  PROJECT o.id, p.name\n"
      "    JOIN INNER ON pid = id\n"
      "      SCAN orders (id, tenant, pid) WHERE o.tenant = 'a'\n"
      "      SCAN products (id, name, price) WHERE p.price > 1\n");
  plans_as(
      "SELECT o.id FROM orders o LEFT JOIN products p ON o.pid = p.id AND p.price > 2 WHERE p.name IS NULL",
      "PROJECT id\n"
      "  PROJECT o.id\n"
      "    FILTER p.name IS NULL\n"
      "      JOIN LEFT ON pid = id\n"
      "        SCAN orders (id, pid)\n"
      "        FILTER p.price > 2\n"
      "          SCAN products (id, name, price)\n");
  plans_as("SELECT orders.id FROM orders, products WHERE orders.pid = products.id",
           "PROJECT id\n"
           "  PROJECT orders.id\n"
           "    JOIN INNER ON pid = id\n"
           "      SCAN orders (id, pid)\n"
           "      SCAN products (id)\n");
  /* USING: one id in *, the INT side cast to BIGINT for the key */
  plans_as("SELECT * FROM orders JOIN products USING (id)",
           "PROJECT id, tenant, amount, ts, pid, name, price\n"
           "  PROJECT id, tenant, amount, ts, pid, name, price\n"
           "    JOIN INNER ON id = key\n"
           "      SCAN orders (id, tenant, amount, ts, pid)\n"
           "      PROJECT name, price, CAST(id AS BIGINT) AS key\n"
           "        SCAN products (id, name, price)\n");
}

Test(sql_plan, subqueries_become_semi_and_anti_joins) {
  plans_as("SELECT id FROM orders WHERE pid IN (SELECT id FROM products WHERE price > 5)",
           "PROJECT id\n"
           "  PROJECT id\n"
           "    JOIN SEMI ON pid = id\n"
           "      SCAN orders (id, pid)\n"
           "      PROJECT id\n"
           "        SCAN products (id, price) WHERE price > 5\n");
  plans_as("SELECT id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = o.pid)",
           "PROJECT id\n"
           "  PROJECT id\n"
           "    JOIN ANTI ON pid = id\n"
           "      SCAN orders (id, pid)\n"
           "      PROJECT id\n"
           "        SCAN products (id)\n");
}

Test(sql_plan, windows_qualify_union_distinct) {
  plans_as(
      "SELECT id, row_number() OVER (PARTITION BY tenant ORDER BY ts DESC) rn FROM orders QUALIFY rn = 1",
      "PROJECT id, rn\n"
      "  PROJECT id, \"row_number() OVER (PARTITION BY tenant ORDER BY ts DESC)\" AS rn\n"
      "    FILTER \"row_number() OVER (PARTITION BY tenant ORDER BY ts DESC)\" = 1\n"
      "      WINDOW PARTITION BY tenant ORDER BY ts DESC: row_number AS row_number() OVER (PARTITION BY "
      "tenant "
      "ORDER BY ts DESC)\n"
      "        PROJECT id, tenant, ts\n"
      "          SCAN orders (id, tenant, ts)\n");
  plans_as(
      "WITH t AS (SELECT tenant, amount FROM orders) SELECT tenant FROM t UNION ALL SELECT name FROM "
      "products "
      "ORDER BY 1",
      "PROJECT tenant\n"
      "  SORT tenant\n"
      "    UNION ALL\n"
      "      PROJECT tenant\n"
      "        PROJECT tenant\n"
      "          PROJECT tenant\n"
      "            SCAN orders (tenant)\n"
      "      PROJECT name AS tenant\n"
      "        PROJECT name\n"
      "          SCAN products (name)\n");
  plans_as("SELECT DISTINCT tenant FROM orders ORDER BY tenant",
           "PROJECT tenant\n"
           "  SORT tenant\n"
           "    DISTINCT\n"
           "      PROJECT tenant\n"
           "        SCAN orders (tenant)\n");
  plans_as("SELECT 1 + 1 AS two", "PROJECT two\n  PROJECT 1 + 1 AS two\n    ONE_ROW\n");
}

Test(sql_plan, errors_teach) {
  refused("SELECT amout FROM orders", FL_EPARSE,
          "line 1, column 8: unknown column 'amout' (did you mean 'amount'?)");
  refused("SELECT id FROM orders JOIN products ON pid = products.id", FL_EPARSE,
          "line 1, column 8: column reference 'id' is ambiguous (orders.id or products.id)");
  refused("SELECT tenant, amount FROM orders GROUP BY tenant", FL_EPARSE,
          "line 1, column 16: column 'amount' must appear in the GROUP BY clause or be used in an aggregate "
          "function");
  refused("SELECT * FROM ordres", FL_ENOENT,
          "line 1, column 15: unknown table 'ordres' (did you mean 'orders'?)");
  refused("SELECT sum(tenant) FROM orders", FL_EPARSE,
          "line 1, column 8: sum(STRING) is not defined: sum needs a number");
  refused("SELECT x.id FROM orders o", FL_EPARSE,
          "line 1, column 8: unknown table or alias 'x' in 'x.id' (did you mean 'o'?)");
  refused("SELECT id FROM orders WHERE tenant > 1", FL_EPARSE,
          "line 1, column 36: cannot compare STRING with INT");
  refused("SELECT id FROM orders WHERE count(*) > 1", FL_EPARSE,
          "line 1, column 38: aggregate functions are not allowed in WHERE (use HAVING)");
  refused(
      "SELECT id FROM orders o WHERE amount > (SELECT avg(amount) FROM orders i WHERE i.tenant = o.tenant)",
      FL_EUNSUPPORTED,
      "line 1, column 40: a scalar subquery that refers to the outer query is not supported: write it as a "
      "JOIN (or EXISTS)");
  refused("SELECT id FROM orders WHERE id = (SELECT id, name FROM products)", FL_EPARSE,
          "line 1, column 34: a subquery used as a value must return one column, not 2");
  refused(
      "SELECT tenant, count(*), (SELECT 1) FROM orders GROUP BY 1", FL_EUNSUPPORTED,
      "line 1, column 1: a scalar subquery in the SELECT list of a query with GROUP BY or aggregates is not "
      "supported: compute it in a WITH query and join it");
  refused(
      "SELECT id FROM orders ORDER BY (SELECT 1)", FL_EUNSUPPORTED,
      "line 1, column 32: a subquery is supported here only in WHERE (as a value, x [NOT] IN (SELECT ...), "
      "[NOT] EXISTS (SELECT ...)) and as a value in the SELECT list; use a JOIN or a WITH query");
  refused("SELECT tenant FROM orders UNION ALL SELECT id, name FROM products", FL_EPARSE,
          "line 1, column 27: UNION: the left query has 1 columns, the right 2");
  refused("SELECT id FROM orders WHERE tenant", FL_EPARSE,
          "line 1, column 29: WHERE must be BOOLEAN, not STRING");
}

/* Regression (found by sql_select_fuzz): a join key cast on a side whose plan is a CTE's
 * select-list projection was added to that projection, which computes from its own input
 * and cannot see its outputs; the binder now adds its own passthrough projection. */
Test(sql_plan, join_key_cast_over_a_cte_gets_its_own_projection) {
  plans_as("WITH q AS (SELECT id, name FROM products) SELECT q.name FROM q, orders WHERE q.id = orders.id",
           "PROJECT name\n"
           "  PROJECT q.name\n"
           "    JOIN INNER ON key = id\n"
           "      PROJECT name, CAST(q.id AS BIGINT) AS key\n"
           "        PROJECT id, name\n"
           "          SCAN products (id, name)\n"
           "      SCAN orders (id)\n");
}

/* Regression: a CTE referenced twice was bound twice in place (its resolved columns and
 * aggregate calls rewritten by the first binding): each reference now binds a copy. */
Test(sql_plan, a_cte_referenced_twice_binds_twice) {
  plans_as(
      "WITH q AS (SELECT tenant, count(*) AS n FROM orders GROUP BY tenant) "
      "SELECT a.tenant, b.n FROM q a JOIN q b USING (tenant)",
      "PROJECT tenant, n\n"
      "  PROJECT a.tenant, b.n\n"
      "    JOIN INNER ON tenant = tenant\n"
      "      PROJECT tenant\n"
      "        AGGREGATE BY tenant: count(*) AS count_star()\n"
      "          PROJECT tenant\n"
      "            SCAN orders (tenant)\n"
      "      PROJECT tenant, \"count_star()\" AS n\n"
      "        AGGREGATE BY tenant: count(*) AS count_star()\n"
      "          PROJECT tenant\n"
      "            SCAN orders (tenant)\n");
}

Test(sql_plan, a_scalar_subquery_is_a_left_join_on_nothing_to_a_single_row) {
  plans_as("SELECT id FROM orders WHERE amount > (SELECT avg(amount) FROM orders) AND tenant = 'a'",
           "PROJECT id\n"
           "  PROJECT id\n"
           "    FILTER amount > \"avg(amount)\"\n"
           "      JOIN LEFT (every pair)\n"
           "        SCAN orders (id, tenant, amount) WHERE tenant = 'a'\n"
           "        SINGLE_ROW\n"
           "          PROJECT \"avg(amount)\"\n"
           "            AGGREGATE: avg(amount) AS avg(amount)\n"
           "              PROJECT amount\n"
           "                SCAN orders (amount)\n");
}
