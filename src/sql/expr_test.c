/* expr_test: the expression parser (precedence shown by printing back with every
 * operator in parentheses), literal values, the formatter's round trip, intervals, the
 * binder's types and every error message, exactly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "sql/sql.h"

static fl_arena arena;

static void setup(void) { fl_arena_init(&arena, 4096); }
static void teardown(void) { fl_arena_destroy(&arena); }

TestSuite(sql_expr, .init = setup, .fini = teardown);
TestSuite(sql_interval, .init = setup, .fini = teardown);
TestSuite(sql_bind, .init = setup, .fini = teardown);

static fl_sql_expr *parse_ok(const char *text) {
  fl_sql_expr *e = NULL;
  fl_err err = {0};
  fl_code rc = fl_sql_parse_expr(text, strlen(text), &arena, &e, &err);
  cr_assert_eq(rc, FL_OK, "parse '%s': %s", text, err.msg);
  cr_assert_not_null(e);
  return e;
}

static char *format(const fl_sql_expr *e, unsigned flags) {
  fl_buf b = FL_BUF_INIT;
  fl_sql_expr_format(e, flags, &b);
  char *s = fl_arena_strndup(&arena, (const char *)b.data, b.len);
  fl_buf_free(&b);
  return s;
}

/* text parses to the grouping full (all parentheses) and prints back as plain, which
 * parses to the same grouping again. */
static void groups(const char *text, const char *full, const char *plain) {
  fl_sql_expr *e = parse_ok(text);
  cr_assert_str_eq(format(e, FL_SQL_FMT_PARENS), full, "grouping of '%s'", text);
  char *again = format(e, 0);
  cr_assert_str_eq(again, plain, "plain form of '%s'", text);
  cr_assert_str_eq(format(parse_ok(again), FL_SQL_FMT_PARENS), full, "round trip of '%s'", text);
}

static void expr_fails(const char *text, fl_code code, const char *msg) {
  fl_sql_expr *e = (fl_sql_expr *)1;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_expr(text, strlen(text), &arena, &e, &err), code, "'%s' passed or wrong code: %s",
               text, err.msg);
  cr_assert_null(e);
  cr_assert_str_eq(err.msg, msg);
}

Test(sql_expr, precedence_follows_postgresql) {
  groups("a OR b AND c", "(a OR (b AND c))", "a OR b AND c");
  groups("NOT a AND b", "((NOT a) AND b)", "NOT a AND b");
  groups("NOT a = b", "(NOT (a = b))", "NOT a = b");
  groups("a = b IS NULL", "((a = b) IS NULL)", "a = b IS NULL");
  groups("a + b * c - d / e % f", "((a + (b * c)) - ((d / e) % f))", "a + b * c - d / e % f");
  groups("a - b - c", "((a - b) - c)", "a - b - c");
  groups("a - (b - c)", "(a - (b - c))", "a - (b - c)");
  groups("(a + b) * c", "((a + b) * c)", "(a + b) * c");
  groups("a || b = c || d", "((a || b) = (c || d))", "a || b = c || d");
  groups("a + b || c", "((a + b) || c)", "a + b || c");
  groups("a || (b + c)", "(a || (b + c))", "a || b + c");
  groups("-a * b", "((-a) * b)", "-a * b");
  groups("-(a * b)", "(-(a * b))", "-(a * b)");
  groups("- -a", "(-(-a))", "- -a");
  groups("a = 1 OR b IN (1, 2) AND c NOT IN ('x')", "((a = 1) OR ((b IN (1, 2)) AND (c NOT IN ('x'))))",
         "a = 1 OR b IN (1, 2) AND c NOT IN ('x')");
  groups("a BETWEEN 1 AND 2 AND y", "((a BETWEEN 1 AND 2) AND y)", "a BETWEEN 1 AND 2 AND y");
  groups("a NOT BETWEEN b + 1 AND c * 2", "(a NOT BETWEEN (b + 1) AND (c * 2))",
         "a NOT BETWEEN b + 1 AND c * 2");
  groups("a BETWEEN (x = y) AND z", "(a BETWEEN (x = y) AND z)", "a BETWEEN (x = y) AND z");
  groups("name LIKE 'a%' OR name NOT ILIKE '%b'", "((name LIKE 'a%') OR (name NOT ILIKE '%b'))",
         "name LIKE 'a%' OR name NOT ILIKE '%b'");
  groups("a + 1 IN (b, c) = TRUE", "(((a + 1) IN (b, c)) = TRUE)", "a + 1 IN (b, c) = TRUE");
  groups("x IS NOT NULL AND y IS NULL", "((x IS NOT NULL) AND (y IS NULL))", "x IS NOT NULL AND y IS NULL");
  groups("(a IS NULL) IS NULL", "((a IS NULL) IS NULL)", "(a IS NULL) IS NULL");
  groups("(a = b) = c", "((a = b) = c)", "(a = b) = c");
  groups("a = (b = c)", "(a = (b = c))", "a = (b = c)");
  groups("NOT NOT a", "(NOT (NOT a))", "NOT NOT a");
  groups("a = NOT b", "(a = (NOT b))", "a = (NOT b)");
  groups("a::int + 1", "(CAST(a AS INT) + 1)", "CAST(a AS INT) + 1");
  groups("-a::bigint", "(-CAST(a AS BIGINT))", "-CAST(a AS BIGINT)");
  groups("CAST(amount AS decimal(12, 2)) * 2", "(CAST(amount AS DECIMAL(12,2)) * 2)",
         "CAST(amount AS DECIMAL(12,2)) * 2");
  groups("coalesce(a, b + 1) > lower(c)", "(coalesce(a, (b + 1)) > lower(c))",
         "coalesce(a, b + 1) > lower(c)");
  groups("count(*) + count(DISTINCT a) + now()", "((count(*) + count(DISTINCT a)) + now())",
         "count(*) + count(DISTINCT a) + now()");
  groups("o.amount > \"Order Lines\".\"Total\"", "(o.amount > \"Order Lines\".\"Total\")",
         "o.amount > \"Order Lines\".\"Total\"");
  groups("ts >= TIMESTAMP '2026-01-02 03:04:05' - INTERVAL '1 hour'",
         "(ts >= (TIMESTAMP '2026-01-02 03:04:05' - INTERVAL '1 hour'))",
         "ts >= TIMESTAMP '2026-01-02 03:04:05' - INTERVAL '1 hour'");
  groups("a <> b AND a != c", "((a <> b) AND (a <> c))", "a <> b AND a <> c");
  groups("interval + 1", "(interval + 1)", "interval + 1");
}

Test(sql_expr, short_format_elides_long_in_lists_for_messages) {
  fl_sql_expr *e =
      parse_ok("event_type IN ('order_created', 'order_paid', 'order_shipped', 'order_cancelled')");
  cr_assert_str_eq(format(e, FL_SQL_FMT_SHORT), "event_type IN ('order_created', ...)");
  e = parse_ok("a IN (1, 2, 3) AND b NOT IN (1, 2, 3, 4)");
  cr_assert_str_eq(format(e, FL_SQL_FMT_SHORT), "a IN (1, 2, 3) AND b NOT IN (1, ...)");
  cr_assert_str_eq(format(e, FL_SQL_FMT_SHORT | FL_SQL_FMT_PARENS),
                   "((a IN (1, 2, 3)) AND (b NOT IN (1, ...)))");
}

Test(sql_expr, in_list_keeps_order_and_positions) {
  fl_sql_expr *e = parse_ok("event_type IN\n  ('order_created', 'order_paid', 'it''s')");
  cr_assert_eq(e->kind, FL_SQL_E_IN);
  cr_assert(!e->negated);
  cr_assert_eq(e->nargs, 4);
  cr_assert_eq(e->line, 1);
  cr_assert_eq(e->col, 12);
  cr_assert_eq(e->args[0]->kind, FL_SQL_E_COLUMN);
  cr_assert_str_eq(e->args[0]->name, "event_type");
  cr_assert_eq(e->args[0]->field, -1);
  cr_assert_str_eq(e->args[1]->text, "order_created");
  cr_assert_eq(e->args[1]->line, 2);
  cr_assert_eq(e->args[1]->col, 4);
  cr_assert_str_eq(e->args[3]->text, "it's");
  cr_assert_eq(e->args[3]->value.type.kind, FL_T_STRING);
  cr_assert_eq(e->args[3]->value.u.str.len, 4);
  cr_assert_eq(e->height, 2);
}

Test(sql_expr, literals_carry_exact_values) {
  fl_sql_expr *e = parse_ok("42");
  cr_assert_eq(e->lit, FL_SQL_LIT_INT);
  cr_assert_eq(e->value.type.kind, FL_T_BIGINT);
  cr_assert_eq(e->value.u.i64, 42);
  e = parse_ok("-9223372036854775808");
  cr_assert_eq(e->lit, FL_SQL_LIT_INT);
  cr_assert_eq(e->value.u.i64, INT64_MIN);
  e = parse_ok("9223372036854775808");
  cr_assert_eq(e->lit, FL_SQL_LIT_DOUBLE);
  e = parse_ok("12.50");
  cr_assert_eq(e->lit, FL_SQL_LIT_DECIMAL);
  cr_assert_eq(e->value.type.precision, 4);
  cr_assert_eq(e->value.type.scale, 2);
  cr_assert_eq(e->value.u.i64, 1250);
  e = parse_ok("-0.05");
  cr_assert_eq(e->lit, FL_SQL_LIT_DECIMAL);
  cr_assert_eq(e->value.type.precision, 2);
  cr_assert_eq(e->value.type.scale, 2);
  cr_assert_eq(e->value.u.i64, -5);
  cr_assert_str_eq(e->text, "-0.05");
  e = parse_ok(".5");
  cr_assert_eq(e->value.u.i64, 5);
  cr_assert_eq(e->value.type.scale, 1);
  e = parse_ok("1234567890.1234567891");
  cr_assert_eq(e->lit, FL_SQL_LIT_DOUBLE);
  e = parse_ok("1e3");
  cr_assert_eq(e->lit, FL_SQL_LIT_DOUBLE);
  cr_assert_float_eq(e->value.u.f64, 1000.0, 1e-9);
  e = parse_ok("TRUE");
  cr_assert_eq(e->lit, FL_SQL_LIT_BOOL);
  cr_assert(e->value.u.b);
  e = parse_ok("null");
  cr_assert_eq(e->lit, FL_SQL_LIT_NULL);
  cr_assert(e->value.is_null);
  e = parse_ok("INTERVAL '1 day 2 hours'");
  cr_assert_eq(e->lit, FL_SQL_LIT_INTERVAL);
  cr_assert_eq(e->interval_us, (24LL + 2) * 3600 * 1000000);
  e = parse_ok("TIMESTAMP '2026-11-25 15:04:39Z'");
  cr_assert_eq(e->lit, FL_SQL_LIT_TIMESTAMP);
  cr_assert_eq(e->value.u.i64, 1795619079000000LL);
  e = parse_ok("DATE '1970-01-11'");
  cr_assert_eq(e->lit, FL_SQL_LIT_DATE);
  cr_assert_eq(e->value.u.i32, 10);
  e = parse_ok("-(5)");
  cr_assert_eq(e->kind, FL_SQL_E_UNARY);
  cr_assert_str_eq(format(e, 0), "-(5)");
  e = parse_ok("+5");
  cr_assert_eq(e->kind, FL_SQL_E_UNARY);
  cr_assert_str_eq(format(e, 0), "+5");
}

Test(sql_expr, nodes_are_positioned_at_their_operator) {
  fl_sql_expr *e = parse_ok("a +\n  b * c");
  cr_assert_eq(e->op, FL_SQL_OP_ADD);
  cr_assert_eq(e->line, 1);
  cr_assert_eq(e->col, 3);
  cr_assert_eq(e->args[1]->op, FL_SQL_OP_MUL);
  cr_assert_eq(e->args[1]->line, 2);
  cr_assert_eq(e->args[1]->col, 5);
  e = parse_ok("x NOT IN (1)");
  cr_assert_eq(e->col, 3);
  cr_assert(e->negated);
}

Test(sql_expr, errors_say_where_and_what_was_expected) {
  expr_fails("", FL_EPARSE, "line 1, column 1: expected an expression, found end of input");
  expr_fails("a +", FL_EPARSE, "line 1, column 4: expected an expression, found end of input");
  expr_fails("a b", FL_EPARSE, "line 1, column 3: expected an operator or end of input, found 'b'");
  expr_fails("a < b < c", FL_EPARSE,
             "line 1, column 7: '<' cannot follow another comparison without parentheses");
  expr_fails("a = b <> c", FL_EPARSE,
             "line 1, column 7: '<>' cannot follow another comparison without parentheses");
  expr_fails("a IS NULL IS NULL", FL_EPARSE,
             "line 1, column 11: 'IS' cannot follow another IS without parentheses");
  expr_fails("a LIKE 'x' LIKE 'y'", FL_EPARSE,
             "line 1, column 12: 'LIKE' cannot follow another IN, BETWEEN or LIKE without parentheses");
  expr_fails("(a + 1", FL_EPARSE,
             "line 1, column 7: expected ')' to close '(' at line 1, column 1, found end of input");
  expr_fails("a IN ()", FL_EPARSE, "line 1, column 7: expected an expression, found ')'");
  expr_fails("a IN 1", FL_EPARSE, "line 1, column 6: expected '(' and a list after IN, found '1'");
  expr_fails("a IN (1 2)", FL_EPARSE, "line 1, column 9: expected ',' or ')' in the IN list, found '2'");
  expr_fails("a BETWEEN 1 OR 2", FL_EPARSE,
             "line 1, column 13: expected AND in BETWEEN ... AND ..., found 'OR'");
  expr_fails("a IS 5", FL_EPARSE, "line 1, column 6: expected NULL or NOT NULL after IS, found '5'");
  expr_fails("a IS NOT TRUE", FL_EPARSE, "line 1, column 10: expected NULL after IS NOT, found 'TRUE'");
  expr_fails("a NOT NULL", FL_EPARSE, "line 1, column 3: expected an operator or end of input, found 'NOT'");
  expr_fails("f(a b)", FL_EPARSE,
             "line 1, column 5: expected ',' or ')' in the arguments of f(...), found 'b'");
  expr_fails("CAST(a decimal)", FL_EPARSE,
             "line 1, column 8: expected AS in CAST(... AS type), found 'decimal'");
  expr_fails("CAST a", FL_EPARSE, "line 1, column 6: expected '(' after CAST, found 'a'");
  expr_fails(
      "CAST(a AS money)", FL_EPARSE,
      "line 1, column 11: unknown type 'money' (expected BOOLEAN, INT, BIGINT, REAL, DOUBLE, DECIMAL(p,s), "
      "DATE, TIMESTAMP, STRING or JSON)");
  expr_fails("CAST(a AS int", FL_EPARSE,
             "line 1, column 14: expected ')' to close CAST(...), found end of input");
  expr_fails("a.b.c", FL_EPARSE, "line 1, column 4: a column reference has at most two parts (table.column)");
  expr_fails(
      "select", FL_EPARSE,
      "line 1, column 1: expected an expression, found 'select' (a reserved word: write it in double quotes "
      "to use it as a name)");
  expr_fails("a.", FL_EPARSE, "line 1, column 3: expected a column name after '.', found end of input");
  expr_fails(
      "INTERVAL '5 parsecs'", FL_EPARSE,
      "line 1, column 10: invalid interval '5 parsecs': unknown unit 'parsecs' (expected microseconds, "
      "milliseconds, seconds, minutes, hours, days or weeks)");
  expr_fails("DATE '2026-02-30'", FL_EPARSE,
             "line 1, column 6: invalid DATE '2026-02-30' (expected 'YYYY-MM-DD')");
  expr_fails(
      "TIMESTAMP 'soon'", FL_EPARSE,
      "line 1, column 11: invalid TIMESTAMP 'soon' (expected 'YYYY-MM-DD HH:MM:SS[.ffffff][Z|+hh:mm]')");
  expr_fails("a ||| b", FL_EPARSE, "line 1, column 5: expected an expression, found '|'");
  expr_fails("'open", FL_EPARSE, "line 1, column 1: unterminated string literal");
}

Test(sql_expr, nesting_is_bounded) {
  const char *msg = "expression nested too deeply (at most 256 operator levels, 512 with parentheses)";
  char text[8 * FL_SQL_EXPR_DEPTH_MAX + 16];
  size_t n = 0;
  for (int i = 0; i < 2 * FL_SQL_EXPR_DEPTH_MAX + 1; i++) text[n++] = '(';
  text[n++] = 'a';
  for (int i = 0; i < 2 * FL_SQL_EXPR_DEPTH_MAX + 1; i++) text[n++] = ')';
  text[n] = 0;
  fl_sql_expr *e = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_expr(text, n, &arena, &e, &err), FL_ELIMIT);
  char want[200];
  snprintf(want, sizeof want, "line 1, column 514: %s", msg);
  cr_assert_str_eq(err.msg, want);
  /* one level less parses */
  cr_assert_eq(fl_sql_parse_expr(text + 1, n - 2, &arena, &e, &err), FL_OK, "%s", err.msg);

  /* a left-deep chain is as deep as it is long, parentheses or not */
  fl_buf b = FL_BUF_INIT;
  fl_buf_puts(&b, "a");
  for (int i = 0; i < FL_SQL_EXPR_DEPTH_MAX; i++) fl_buf_puts(&b, " + a");
  cr_assert_eq(fl_sql_parse_expr((const char *)b.data, b.len, &arena, &e, &err), FL_ELIMIT);
  cr_assert(strstr(err.msg, msg), "%s", err.msg);
  fl_buf_free(&b);

  /* just under the bound is fine */
  fl_buf_puts(&b, "a");
  for (int i = 0; i < FL_SQL_EXPR_DEPTH_MAX - 1; i++) fl_buf_puts(&b, " AND a");
  cr_assert_eq(fl_sql_parse_expr((const char *)b.data, b.len, &arena, &e, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(e->height, FL_SQL_EXPR_DEPTH_MAX);
  fl_buf_free(&b);

  /* the highest tree, right-deep through prefix operators, prints back to a text that
   * parses (its parentheses cost parser depth the original did not) */
  fl_buf_puts(&b, "a");
  for (int i = 0; i < FL_SQL_EXPR_DEPTH_MAX / 2 - 1; i++) fl_buf_puts(&b, " * NOT a");
  cr_assert_eq(fl_sql_parse_expr((const char *)b.data, b.len, &arena, &e, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(e->height, FL_SQL_EXPR_DEPTH_MAX - 1);
  char *plain = format(e, 0);
  cr_assert(strncmp(plain, "a * (NOT a * (NOT a", 19) == 0, "%s", plain);
  fl_sql_expr *again = NULL;
  cr_assert_eq(fl_sql_parse_expr(plain, strlen(plain), &arena, &again, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(format(again, 0), plain);
  char *full = format(e, FL_SQL_FMT_PARENS);
  cr_assert_eq(fl_sql_parse_expr(full, strlen(full), &arena, &again, &err), FL_OK, "%s", err.msg);
  fl_buf_free(&b);
}

/* ---- intervals ---- */

static int64_t interval_ok(const char *text) {
  int64_t us = -1;
  fl_err err = {0};
  cr_assert_eq(fl_sql_interval_parse(text, strlen(text), &us, &err), FL_OK, "'%s': %s", text, err.msg);
  return us;
}

static void interval_fails(const char *text, const char *msg) {
  int64_t us = -1;
  fl_err err = {0};
  cr_assert_eq(fl_sql_interval_parse(text, strlen(text), &us, &err), FL_EPARSE, "'%s' passed", text);
  cr_assert_eq(us, 0);
  cr_assert_str_eq(err.msg, msg);
}

Test(sql_interval, units_and_sums_to_microseconds) {
  cr_assert_eq(interval_ok("5 seconds"), 5000000);
  cr_assert_eq(interval_ok("1 hour"), 3600000000LL);
  cr_assert_eq(interval_ok("500 milliseconds"), 500000);
  cr_assert_eq(interval_ok("2 days"), 172800000000LL);
  cr_assert_eq(interval_ok("1 Day 2 HOURS 3 min 4s"), ((24LL + 2) * 3600 + 3 * 60 + 4) * 1000000);
  cr_assert_eq(interval_ok("1.5 hours"), 5400000000LL);
  cr_assert_eq(interval_ok("90s"), 90000000);
  cr_assert_eq(interval_ok("  7 us "), 7);
  cr_assert_eq(interval_ok("1 week"), 604800000000LL);
  cr_assert_eq(interval_ok("-5 seconds"), -5000000);
  cr_assert_eq(interval_ok("0.000001 seconds"), 1);
}

Test(sql_interval, errors_quote_the_text) {
  const char *units = "(expected microseconds, milliseconds, seconds, minutes, hours, days or weeks)";
  char msg[256];
  interval_fails("", "invalid interval '': expected a number and a unit ('5 seconds')");
  interval_fails("seconds", "invalid interval 'seconds': expected a number at 'seconds' ('5 seconds')");
  snprintf(msg, sizeof msg, "invalid interval '5': missing unit after the number %s", units);
  interval_fails("5", msg);
  snprintf(msg, sizeof msg, "invalid interval '5 parsecs': unknown unit 'parsecs' %s", units);
  interval_fails("5 parsecs", msg);
  snprintf(msg, sizeof msg,
           "invalid interval '1 month': months and years have no fixed length, unit 'month' %s", units);
  interval_fails("1 month", msg);
  interval_fails("99999999999 weeks", "invalid interval '99999999999 weeks': out of range");
}

/* ---- binding ---- */

static fl_field orders_fields[] = {
    {1, "event_id", {FL_T_STRING, 0, 0}, true},  {2, "order_id", {FL_T_BIGINT, 0, 0}, true},
    {3, "product_id", {FL_T_INT, 0, 0}, false},  {4, "event_type", {FL_T_STRING, 0, 0}, true},
    {5, "amount", {FL_T_DECIMAL, 12, 2}, false}, {6, "event_time", {FL_T_TIMESTAMP, 0, 0}, true},
    {7, "ratio", {FL_T_DOUBLE, 0, 0}, false},    {8, "attributes", {FL_T_JSON, 0, 0}, false},
    {9, "paid", {FL_T_BOOLEAN, 0, 0}, false},    {10, "day", {FL_T_DATE, 0, 0}, false},
};
static const fl_schema orders_schema = {0, 10, orders_fields, 0, NULL};

static fl_sql_expr *bind_ok(const char *text) {
  fl_sql_expr *e = parse_ok(text);
  fl_err err = {0};
  cr_assert_eq(fl_sql_expr_bind(e, &orders_schema, &err), FL_OK, "bind '%s': %s", text, err.msg);
  return e;
}

static void bind_fails(const char *text, const char *msg) {
  fl_sql_expr *e = parse_ok(text);
  fl_err err = {0};
  cr_assert_eq(fl_sql_expr_bind(e, &orders_schema, &err), FL_EPARSE, "bind '%s' passed", text);
  cr_assert_str_eq(err.msg, msg);
}

static char *type_of(const fl_sql_expr *e) {
  if (e->rtype == FL_SQL_RT_NULL) return "NULL";
  if (e->rtype == FL_SQL_RT_INTERVAL) return "INTERVAL";
  cr_assert_eq(e->rtype, FL_SQL_RT_VALUE);
  char *s = fl_arena_alloc(&arena, 32);
  fl_sql_type_format(e->type, s, 32);
  return s;
}

Test(sql_bind, columns_resolve_and_every_node_gets_a_type) {
  fl_sql_expr *e = bind_ok("event_type IN ('order_created', 'order_paid') AND amount > 0");
  cr_assert_str_eq(type_of(e), "BOOLEAN");
  cr_assert_eq(e->args[0]->args[0]->field, 3);
  cr_assert_str_eq(type_of(e->args[0]->args[1]), "STRING");
  cr_assert_eq(e->args[1]->args[0]->field, 4);
  cr_assert_str_eq(type_of(e->args[1]->args[0]), "DECIMAL(12,2)");
  cr_assert_str_eq(type_of(e->args[1]->args[1]), "INT"); /* a literal that fits 32 bits, as DuckDB */

  cr_assert_str_eq(type_of(bind_ok("amount + 1")), "DECIMAL(13,2)");
  cr_assert_str_eq(type_of(bind_ok("amount - amount")), "DECIMAL(13,2)");
  cr_assert_str_eq(type_of(bind_ok("amount * 2.5")), "DECIMAL(14,3)");
  cr_assert_str_eq(type_of(bind_ok("amount * amount")), "DECIMAL(18,4)");
  cr_assert_str_eq(type_of(bind_ok("amount / 2")), "DOUBLE");
  cr_assert_str_eq(type_of(bind_ok("product_id + 1")), "INT");
  cr_assert_str_eq(type_of(bind_ok("product_id + 3000000000")), "BIGINT");
  cr_assert_str_eq(type_of(bind_ok("product_id / 2")), "DOUBLE");
  cr_assert_str_eq(type_of(bind_ok("product_id // 2")), "INT");
  cr_assert_str_eq(type_of(bind_ok("amount % 2")), "DECIMAL(12,2)");
  cr_assert_str_eq(type_of(bind_ok("order_id + amount")), "DECIMAL(22,2)");
  cr_assert_str_eq(type_of(bind_ok("amount * amount * amount")), "DECIMAL(18,6)");
  cr_assert_str_eq(type_of(bind_ok("CAST(amount AS DECIMAL(20,2)) * amount")), "DECIMAL(32,4)");
  cr_assert_str_eq(type_of(bind_ok("CASE WHEN paid THEN 1 ELSE 2.5 END")), "DECIMAL(11,1)");
  cr_assert_str_eq(type_of(bind_ok("CASE product_id WHEN 1 THEN day ELSE event_time END")), "TIMESTAMP");
  cr_assert_str_eq(type_of(bind_ok("day + INTERVAL '1 month'")), "TIMESTAMP");
  cr_assert_str_eq(type_of(bind_ok("date_trunc('hour', event_time)")), "TIMESTAMP");
  cr_assert_str_eq(type_of(bind_ok("extract(year FROM day)")), "BIGINT");
  cr_assert_str_eq(type_of(bind_ok("date_part('epoch', event_time)")), "DOUBLE");
  cr_assert_str_eq(type_of(bind_ok("round(amount, 1)")), "DECIMAL(12,1)");
  cr_assert_str_eq(type_of(bind_ok("floor(amount)")), "DECIMAL(12,0)");
  cr_assert_str_eq(type_of(bind_ok("nullif(product_id, 0)")), "INT");
  cr_assert_str_eq(type_of(bind_ok("greatest(product_id, order_id)")), "BIGINT");
  cr_assert_str_eq(type_of(bind_ok("product_id % product_id")), "INT");
  cr_assert_str_eq(type_of(bind_ok("ratio * order_id")), "DOUBLE");
  cr_assert_str_eq(type_of(bind_ok("-amount")), "DECIMAL(12,2)");
  cr_assert_str_eq(type_of(bind_ok("event_time - INTERVAL '5 seconds'")), "TIMESTAMP");
  cr_assert_str_eq(type_of(bind_ok("INTERVAL '1 hour' + event_time")), "TIMESTAMP");
  cr_assert_str_eq(type_of(bind_ok("event_time - event_time")), "INTERVAL");
  cr_assert_str_eq(type_of(bind_ok("INTERVAL '1 hour' * 2")), "INTERVAL");
  cr_assert_str_eq(type_of(bind_ok("day + 1")), "DATE");
  cr_assert_str_eq(type_of(bind_ok("day - day")), "BIGINT");
  cr_assert_str_eq(type_of(bind_ok("event_id || '-' || event_type")), "STRING");
  cr_assert_str_eq(type_of(bind_ok("NULL")), "NULL");
  cr_assert_str_eq(type_of(bind_ok("NULL + 1")), "INT");
  cr_assert_str_eq(type_of(bind_ok("coalesce(NULL, amount, 0)")), "DECIMAL(12,2)");
  cr_assert_str_eq(type_of(bind_ok("length(lower(event_id))")), "BIGINT");
  cr_assert_str_eq(type_of(bind_ok("abs(ratio)")), "DOUBLE");
  cr_assert_str_eq(type_of(bind_ok("now() > event_time")), "BOOLEAN");
  cr_assert_str_eq(type_of(bind_ok("CAST(amount AS STRING)")), "STRING");
  cr_assert_str_eq(type_of(bind_ok("event_id::bigint")), "BIGINT");
  cr_assert_str_eq(type_of(bind_ok("paid OR NOT paid AND amount IS NULL")), "BOOLEAN");
  cr_assert_str_eq(type_of(bind_ok("amount BETWEEN 0 AND 99.99")), "BOOLEAN");
  cr_assert_str_eq(type_of(bind_ok("event_id LIKE 'e-%'")), "BOOLEAN");
  cr_assert_str_eq(type_of(bind_ok("o.amount > 0")), "BOOLEAN");
  cr_assert_str_eq(type_of(bind_ok("attributes IS NOT NULL")), "BOOLEAN");
}

Test(sql_bind, string_literals_next_to_times_become_typed) {
  fl_sql_expr *e = bind_ok("event_time >= '2026-01-01 00:00:00' AND day < '2026-02-01'");
  fl_sql_expr *ts = e->args[0]->args[1], *d = e->args[1]->args[1];
  cr_assert_eq(ts->lit, FL_SQL_LIT_TIMESTAMP);
  cr_assert_eq(ts->value.u.i64, 1767225600000000LL);
  cr_assert_str_eq(type_of(ts), "TIMESTAMP");
  cr_assert_eq(d->lit, FL_SQL_LIT_DATE);
  cr_assert_eq(d->value.u.i32, 20485);
  cr_assert_str_eq(format(e, 0), "event_time >= TIMESTAMP '2026-01-01 00:00:00' AND day < DATE '2026-02-01'");
  bind_ok("event_time IN ('2026-01-01', TIMESTAMP '2026-01-02 00:00:00')");
}

Test(sql_bind, type_errors_name_both_types_at_the_operator) {
  bind_fails("TRUE AND\nTRUE AND\n amount > 'x'",
             "line 3, column 9: cannot compare DECIMAL(12,2) with STRING");
  bind_fails("event_type IN ('a', 1)", "line 1, column 21: cannot compare STRING with INT");
  bind_fails("amount BETWEEN 'a' AND 5", "line 1, column 8: cannot compare DECIMAL(12,2) with STRING");
  bind_fails("amout > 0", "line 1, column 1: unknown column 'amout'");
  bind_fails("event_id + 1", "line 1, column 10: operator + cannot take STRING and INT");
  bind_fails("event_time + 1", "line 1, column 12: operator + cannot take TIMESTAMP and INT");
  bind_fails("amount AND paid", "line 1, column 8: argument of AND must be BOOLEAN, found DECIMAL(12,2)");
  bind_fails("paid OR event_id", "line 1, column 6: argument of OR must be BOOLEAN, found STRING");
  bind_fails("NOT amount", "line 1, column 1: argument of NOT must be BOOLEAN, found DECIMAL(12,2)");
  bind_fails("-event_id", "line 1, column 1: unary - cannot take STRING");
  bind_fails("event_id || INTERVAL '1 hour'",
             "line 1, column 10: operator || cannot take STRING and INTERVAL");
  bind_fails("amount LIKE '1%'",
             "line 1, column 8: LIKE needs STRING operands, found DECIMAL(12,2) and STRING");
  bind_fails("paid = 1", "line 1, column 6: cannot compare BOOLEAN with INT");
  bind_fails("event_time > 'yesterday'", "line 1, column 14: cannot read string 'yesterday' as a TIMESTAMP");
  bind_fails("frobnicate(amount)", "line 1, column 1: unknown function 'frobnicate'");
  bind_fails("lower(event_id, 1)", "line 1, column 1: function lower takes 1 argument, found 2");
  bind_fails("coalesce()", "line 1, column 1: function coalesce takes at least 1 argument, found 0");
  bind_fails("count(*)", "line 1, column 1: unknown function 'count'");
  bind_fails("lower(amount)",
             "line 1, column 1: function lower needs a STRING as argument 1, found DECIMAL(12,2)");
  bind_fails("CAST(event_time AS INT)", "line 1, column 1: cannot cast TIMESTAMP to INT");
  bind_fails("INTERVAL '1 hour' > 5", "line 1, column 19: cannot compare INTERVAL with INT");
}
