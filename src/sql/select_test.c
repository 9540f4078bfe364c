/* select_test: the SELECT parser (parse_select.c) and formatter (select_format.c): how
 * each clause reads (shown by formatting the tree back), that the text parses back to
 * the same tree, each error's exact message, the caret and the closest-name helper. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "sql/sql.h"

static fl_arena arena;

static void setup(void) { fl_arena_init(&arena, 4096); }
static void teardown(void) { fl_arena_destroy(&arena); }

TestSuite(sql_select, .init = setup, .fini = teardown);

/* Parses text, formats it, checks the format is want, and that the format parses and
 * formats to itself. */
static void reads_as(const char *text, const char *want) {
  fl_sql_statement *st = NULL;
  fl_err err = {0};
  fl_code rc = fl_sql_parse_statement(text, strlen(text), &arena, &st, &err);
  cr_assert_eq(rc, FL_OK, "parse '%s': %s", text, err.msg);
  fl_buf out = {0};
  fl_sql_statement_format(st, &out);
  fl_buf_cstr(&out);
  cr_assert_str_eq((char *)out.data, want, "'%s' read as '%s'", text, (char *)out.data);
  fl_sql_statement *again = NULL;
  rc = fl_sql_parse_statement((char *)out.data, out.len, &arena, &again, &err);
  cr_assert_eq(rc, FL_OK, "reparse '%s': %s", (char *)out.data, err.msg);
  fl_buf out2 = {0};
  fl_sql_statement_format(again, &out2);
  fl_buf_cstr(&out2);
  cr_assert_str_eq((char *)out2.data, (char *)out.data);
  fl_buf_free(&out);
  fl_buf_free(&out2);
}

static void fails(const char *text, fl_code code, const char *msg) {
  fl_sql_statement *st = NULL;
  fl_err err = {0};
  fl_code rc = fl_sql_parse_statement(text, strlen(text), &arena, &st, &err);
  cr_assert_eq(rc, code, "'%s' gave %d (%s)", text, rc, err.msg);
  cr_assert_null(st);
  cr_assert_str_eq(err.msg, msg, "'%s': %s", text, err.msg);
}

Test(sql_select, clauses) {
  reads_as("select a, b as x, c y from t", "SELECT a, b AS x, c AS y FROM t");
  reads_as("SELECT DISTINCT * FROM ns.orders o WHERE amount > 0",
           "SELECT DISTINCT * FROM ns.orders AS o WHERE amount > 0");
  reads_as("select o.*, p.name from orders o join products p on o.pid = p.id",
           "SELECT o.*, p.name FROM orders AS o JOIN products AS p ON o.pid = p.id");
  reads_as("select * from a left outer join b using (k, j) inner join c on true cross join d",
           "SELECT * FROM a LEFT JOIN b USING (k, j) JOIN c ON TRUE CROSS JOIN d");
  reads_as("select * from a, b, c", "SELECT * FROM a CROSS JOIN b CROSS JOIN c");
  reads_as("select * from a, (b join c on x = y)", "SELECT * FROM a CROSS JOIN (b JOIN c ON x = y)");
  reads_as(
      "select tenant, sum(amount) from t group by 1 having sum(amount) > 10 order by 2 desc nulls first "
      "limit 5 offset 10",
      "SELECT tenant, sum(amount) FROM t GROUP BY 1 HAVING sum(amount) > 10 ORDER BY 2 DESC NULLS FIRST "
      "LIMIT 5 OFFSET 10");
  reads_as("select tenant, count(*) from t group by all", "SELECT tenant, count(*) FROM t GROUP BY ALL");
  reads_as("select 1", "SELECT 1");
  reads_as("select x from t limit all", "SELECT x FROM t");
  reads_as("select x from t offset 3 limit 2", "SELECT x FROM t LIMIT 2 OFFSET 3");
  reads_as("select x from t order by x asc nulls last, y", "SELECT x FROM t ORDER BY x NULLS LAST, y");
}

Test(sql_select, with_union_subqueries) {
  reads_as("with a as (select 1 x), b(y) as (select x from a) select * from b",
           "WITH a AS (SELECT 1 AS x), b(y) AS (SELECT x FROM a) SELECT * FROM b");
  reads_as("select 1 union all select 2 union select 3 order by 1",
           "SELECT 1 UNION ALL SELECT 2 UNION SELECT 3 ORDER BY 1");
  reads_as("(select a from t order by a limit 1) union all (select b from u)",
           "(SELECT a FROM t ORDER BY a LIMIT 1) UNION ALL (SELECT b FROM u)");
  reads_as(
      "select * from (select a from t) s(x) where x in (select k from u) and exists (select 1 from v where "
      "v.k = s.x)",
      "SELECT * FROM (SELECT a FROM t) AS s(x) WHERE x IN (SELECT k FROM u) AND EXISTS (SELECT 1 FROM v "
      "WHERE v.k = s.x)");
  reads_as("select (select max(a) from t) + 1, x not in (select y from u) from w",
           "SELECT (SELECT max(a) FROM t) + 1, x NOT IN (SELECT y FROM u) FROM w");
  reads_as("select * from (select 1)", "SELECT * FROM (SELECT 1)");
}

Test(sql_select, windows_filters_time_travel) {
  reads_as("select row_number() over (partition by tenant order by ts desc) rn from t qualify rn = 1",
           "SELECT row_number() OVER (PARTITION BY tenant ORDER BY ts DESC) AS rn FROM t QUALIFY rn = 1");
  reads_as(
      "select sum(a) over (order by ts rows between unbounded preceding and current row), lag(a, 2) over () "
      "from t",
      "SELECT sum(a) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), lag(a, 2) OVER () "
      "FROM t");
  reads_as("select sum(a) over (range 3 preceding) from t", "SELECT sum(a) OVER (RANGE 3 PRECEDING) FROM t");
  reads_as("select count(*) filter (where a > 1), sum(b) filter (where c) over (partition by d) from t",
           "SELECT count(*) FILTER (WHERE a > 1), sum(b) FILTER (WHERE c) OVER (PARTITION BY d) FROM t");
  reads_as("select * from orders for system_time as of '2024-05-01 12:00:00' o",
           "SELECT * FROM orders FOR SYSTEM_TIME AS OF '2024-05-01 12:00:00' AS o");
  reads_as("select * from ns.orders as of snapshot 42 as o",
           "SELECT * FROM ns.orders AS OF SNAPSHOT 42 AS o");
  reads_as("select * from orders$snapshots", "SELECT * FROM orders$snapshots");
  reads_as("explain analyze select 1;", "EXPLAIN ANALYZE SELECT 1");
  reads_as("explain select 1 -- c\n", "EXPLAIN SELECT 1");
}

Test(sql_select, errors) {
  fails("SELECT amount FORM orders", FL_EPARSE, "line 1, column 15: unexpected 'FORM' (did you mean FROM?)");
  fails("SELECT amount FROM orders WHER x = 1", FL_EPARSE,
        "line 1, column 27: unexpected 'WHER' (did you mean WHERE?)");
  fails("SELECT amount FROM orders o x", FL_EPARSE,
        "line 1, column 29: expected end of the query, found 'x'");
  fails("SELECT FROM t", FL_EPARSE,
        "line 1, column 8: expected an expression, found 'FROM' (a reserved word: write it in double quotes "
        "to use it as a name)");
  fails("SELECT a FROM t JOIN u", FL_EPARSE,
        "line 1, column 23: expected ON or USING after the joined table, found end of input");
  fails("SELECT a FROM t RIGHT JOIN u ON x", FL_EPARSE,
        "line 1, column 17: RIGHT joins are not supported (swap the tables and use LEFT JOIN)");
  fails("SELECT 1 INTERSECT SELECT 2", FL_EPARSE,
        "line 1, column 10: INTERSECT is not supported (UNION and UNION ALL are)");
  fails("SELECT a FROM t LIMIT -1", FL_EPARSE,
        "line 1, column 23: expected a non-negative integer for LIMIT, found '-'");
  fails("SELECT count(*) OVER w FROM t", FL_EPARSE,
        "line 1, column 22: named windows (OVER name) are not supported; write OVER (...)");
  fails("SELECT a FILTER (WHERE b) FROM t", FL_EPARSE,
        "line 1, column 10: FILTER (WHERE ...) must follow a function call");
  fails(
      "SELECT * FROM t FOR SYSTEM_TIME AS OF 'yesterday'", FL_EPARSE,
      "line 1, column 39: invalid timestamp 'yesterday' (expected 'YYYY-MM-DD HH:MM:SS[.ffffff][Z|+hh:mm]')");
  fails("", FL_EPARSE, "line 1, column 1: expected a query (SELECT ...), found end of input");
  fails("CREATE STREAM s (a INT)", FL_EPARSE,
        "line 1, column 1: only queries (SELECT, WITH, EXPLAIN) run here; CREATE STREAM goes to `floe stream "
        "create`");
  fails("SELECT (SELECT 1", FL_EPARSE,
        "line 1, column 17: expected ')' to close the subquery at line 1, column 8, found end of input");
  fails("WITH a AS (SELECT 1), a AS (SELECT 2) SELECT 1", FL_EPARSE,
        "line 1, column 23: WITH query name 'a' given twice");
  /* nesting past FL_SQL_QUERY_DEPTH_MAX */
  fl_buf deep = {0};
  for (int i = 0; i < FL_SQL_QUERY_DEPTH_MAX + 1; i++) fl_buf_puts(&deep, "SELECT * FROM (");
  fl_buf_puts(&deep, "SELECT 1");
  for (int i = 0; i < FL_SQL_QUERY_DEPTH_MAX + 1; i++) fl_buf_puts(&deep, ")");
  fl_buf_cstr(&deep);
  fl_sql_statement *st = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_statement((char *)deep.data, deep.len, &arena, &st, &err), FL_ELIMIT);
  cr_assert(strstr(err.msg, "queries nested too deeply (at most 16 levels of subqueries)"), "%s", err.msg);
  fl_buf_free(&deep);
}

Test(sql_select, caret) {
  const char *q = "SELECT a,\n\tb FORM t";
  fl_buf out = {0};
  fl_sql_error_caret(q, strlen(q), "line 2, column 4: unexpected 'FORM' (did you mean FROM?)", &out);
  fl_buf_cstr(&out);
  cr_assert_str_eq((char *)out.data, "\tb FORM t\n\t  ^\n");
  fl_buf_clear(&out);
  const char *u = "SELECT 'é', zz";
  fl_sql_error_caret(u, strlen(u), "line 1, column 13: unknown column 'zz'", &out);
  fl_buf_cstr(&out);
  cr_assert_str_eq((char *)out.data, "SELECT 'é', zz\n            ^\n");
  fl_buf_clear(&out);
  fl_sql_error_caret(u, strlen(u), "no position here", &out);
  fl_sql_error_caret(u, strlen(u), "line 3, column 1: past the end", &out);
  cr_assert_eq(out.len, 0);
  fl_buf_free(&out);
}

Test(sql_select, closest) {
  const char *const names[] = {"amount", "tenant_id", "event_time", "id"};
  cr_assert_str_eq(fl_sql_closest("amout", names, 4), "amount");
  cr_assert_str_eq(fl_sql_closest("TENANT_ID", names, 4), "tenant_id");
  cr_assert_str_eq(fl_sql_closest("ix", names, 4), "id");
  cr_assert_null(fl_sql_closest("price", names, 4));
  cr_assert_null(fl_sql_closest("x", names, 0));
}
