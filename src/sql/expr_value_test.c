/* Unit tests of value expressions (expr_eval.c: fl_sql_eval_add_value, fl_sql_eval_value):
 * every row's value as JSON text, with DuckDB's answers for the same SQL (checked with
 * its node package): result types, NULL propagation, exact decimals up to 38 digits
 * and their overflow errors, casts with rounding, CASE, LIKE, timestamps across month
 * ends, the string, math, date and JSON functions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/batch.h"
#include "core/mem.h"
#include "core/time.h"
#include "sql/sql.h"

static fl_field fields[] = {
    {1, "i", {FL_T_INT, 0, 0}, false},       {2, "b", {FL_T_BIGINT, 0, 0}, false},
    {3, "d", {FL_T_DECIMAL, 12, 2}, false},  {4, "w", {FL_T_DECIMAL, 38, 4}, false},
    {5, "f", {FL_T_DOUBLE, 0, 0}, false},    {6, "s", {FL_T_STRING, 0, 0}, false},
    {7, "t", {FL_T_TIMESTAMP, 0, 0}, false}, {8, "dt", {FL_T_DATE, 0, 0}, false},
    {9, "j", {FL_T_JSON, 0, 0}, false},      {10, "ok", {FL_T_BOOLEAN, 0, 0}, false},
};
static fl_schema schema = {0, 10, fields, 0, NULL};

static fl_i128 dec(const char *s, unsigned scale) {
  fl_i128 v;
  cr_assert(fl_dec128_parse(s, strlen(s), 38, scale, &v));
  return v;
}

/* row 0: ordinary values; row 1: every column NULL; row 2: edge values */
static fl_batch *make_batch(void) {
  fl_batch *b = fl_batch_new(fields, 10, 4);
  int64_t ts;
  int32_t day;
  /* row 0 */
  fl_vec_append_i32(&b->cols[0], 1);
  fl_vec_append_i64(&b->cols[1], 10);
  fl_vec_append_i64(&b->cols[2], 150);
  fl_vec_append_dec(&b->cols[3], dec("12345678901234567890.1234", 4));
  fl_vec_append_f64(&b->cols[4], 2.5);
  fl_vec_append_str(&b->cols[5], "Hello", 5);
  cr_assert(fl_ts_parse("2024-01-31 10:00:00", 19, &ts));
  fl_vec_append_i64(&b->cols[6], ts);
  cr_assert(fl_date_parse("2024-01-31", 10, &day));
  fl_vec_append_i32(&b->cols[7], day);
  const char *j0 = "{\"a\": {\"b\": [1, 2]}, \"s\": \"x\"}";
  fl_vec_append_str(&b->cols[8], j0, (uint32_t)strlen(j0));
  fl_vec_append_bool(&b->cols[9], true);
  /* row 1 */
  for (int c = 0; c < 10; c++) fl_vec_append_null(&b->cols[c]);
  /* row 2 */
  fl_vec_append_i32(&b->cols[0], 2147483647);
  fl_vec_append_i64(&b->cols[1], -7);
  fl_vec_append_i64(&b->cols[2], -225);
  fl_vec_append_dec(&b->cols[3], dec("-1", 4));
  fl_vec_append_f64(&b->cols[4], -0.5);
  fl_vec_append_str(&b->cols[5], "a_b%c", 5);
  cr_assert(fl_ts_parse("2024-02-29 23:59:59.5", 21, &ts));
  fl_vec_append_i64(&b->cols[6], ts);
  cr_assert(fl_date_parse("2024-03-31", 10, &day));
  fl_vec_append_i32(&b->cols[7], day);
  fl_vec_append_str(&b->cols[8], "[1, \"two\"]", 10);
  fl_vec_append_bool(&b->cols[9], false);
  fl_batch_set_rows(b, 3);
  return b;
}

/* "v0|v1|v2" (JSON text of each row, NULL as null) and the result type, or the error. */
static char got[4096], got_type[64];
static fl_code run(const char *sql) {
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_err err = {0};
  fl_sql_expr *e;
  got[0] = got_type[0] = 0;
  fl_code rc = fl_sql_parse_expr(sql, strlen(sql), &arena, &e, &err);
  if (!rc) rc = fl_sql_expr_bind(e, &schema, &err);
  fl_sql_eval *ev = fl_sql_eval_new(&schema);
  uint32_t k;
  if (!rc) rc = fl_sql_eval_add_value(ev, e, sql, &k, &err);
  fl_batch *b = make_batch();
  const fl_vec *v = NULL;
  if (!rc) rc = fl_sql_eval_value(ev, k, b, &v, &err);
  if (rc) {
    snprintf(got, sizeof got, "%s", err.msg);
  } else {
    fl_type t = fl_sql_eval_type(ev, k);
    fl_sql_type_format(t, got_type, sizeof got_type);
    cr_assert_eq(v->len, 3);
    fl_field f = {1, "v", t, false, NULL};
    fl_batch one = {&f, 1, 3, 3, (fl_vec *)v};
    fl_buf out = FL_BUF_INIT;
    for (uint32_t i = 0; i < 3; i++) {
      fl_value val;
      fl_batch_get(&one, 0, i, &val);
      if (i) fl_buf_put_u8(&out, '|');
      fl_value_to_json(&val, &out);
    }
    fl_buf_cstr(&out);
    snprintf(got, sizeof got, "%s", (const char *)out.data);
    fl_buf_free(&out);
  }
  fl_batch_free(b);
  fl_sql_eval_free(ev);
  fl_arena_destroy(&arena);
  return rc;
}

static void ok(const char *sql, const char *type, const char *want) {
  fl_code rc = run(sql);
  cr_assert_eq(rc, FL_OK, "%s: %s", sql, got);
  cr_assert_str_eq(got_type, type, "%s: type %s, want %s", sql, got_type, type);
  cr_assert_str_eq(got, want, "%s: got %s, want %s", sql, got, want);
}

static void fails(const char *sql, fl_code code, const char *msg) {
  fl_code rc = run(sql);
  cr_assert_eq(rc, code, "%s: code %d (%s)", sql, rc, got);
  cr_assert_str_eq(got, msg, "%s: got %s", sql, got);
}

Test(expr_value, columns_literals_and_null_propagation) {
  ok("i", "INT", "1|null|2147483647");
  ok("s", "STRING", "\"Hello\"|null|\"a_b%c\"");
  ok("42", "INT", "42|42|42");
  ok("'x'", "STRING", "\"x\"|\"x\"|\"x\"");
  ok("NULL", "INT", "null|null|null");
  ok("- + NULL IS NULL", "BOOLEAN",
     "true|true|true"); /* regression (parse_fuzz): -NULL wrote through a NULL vector */
  ok("b + 1", "BIGINT", "11|null|-6");
  ok("i IS NULL", "BOOLEAN", "false|true|false");
  ok("ok AND i > 1", "BOOLEAN", "false|null|false");
  ok("ok OR i > 1", "BOOLEAN", "true|null|true");
  ok("NOT ok", "BOOLEAN", "false|null|true");
  ok("b BETWEEN -7 AND 10", "BOOLEAN", "true|null|true");
  ok("b IN (10, i)", "BOOLEAN", "true|null|false");
  ok("b NOT IN (1, NULL)", "BOOLEAN", "null|null|null");
}

Test(expr_value, integer_arithmetic_follows_duckdb) {
  ok("b / 4", "DOUBLE", "2.5|null|-1.75");
  ok("b // 4", "BIGINT", "2|null|-1");
  ok("b % 4", "BIGINT", "2|null|-3");
  /* `/` is IEEE as in DuckDB 1.5 (inf, -inf; JSON writes them null): not NULL */
  ok("(b / 0) IS NULL", "BOOLEAN", "false|true|false");
  ok("b / 0 > 0", "BOOLEAN", "true|null|false");
  ok("f % 0 IS NULL", "BOOLEAN", "false|true|false");
  /* FLOAT against a decimal or an integer compares as FLOATs, and prints its own digits (DuckDB) */
  ok("CAST(f AS FLOAT) / 25 = 0.1", "BOOLEAN", "true|null|false");
  ok("CAST(f AS FLOAT) / 25 > 0.1", "BOOLEAN", "false|null|false");
  ok("CAST(CAST(f AS FLOAT) / 25 AS VARCHAR) || ' ' || CAST(16777217 AS FLOAT) || ' ' || CAST(1e-7 AS FLOAT)",
     "STRING", "\"0.1 16777216.0 1e-07\"|null|\"-0.02 16777216.0 1e-07\"");
  /* nan (0 / 0) as DuckDB orders it: equal to itself, above everything (inf included) */
  ok("(f - f) / 0 = (f - f) / 0", "BOOLEAN", "true|null|true");
  ok("(f - f) / 0 > 1e308 AND (f - f) / 0 > f / 0 AND NOT ((f - f) / 0 < f)", "BOOLEAN", "true|null|true");
  ok("b // 0", "BIGINT", "null|null|null");
  ok("b % 0", "BIGINT", "null|null|null");
  ok("-b", "BIGINT", "-10|null|7");
  ok("-(i - 2147483647)", "INT", "2147483646|null|0");
  fails("-(-i - 1)", FL_ELIMIT, "-(-i - 1): line 1, column 1: overflow: --2147483648 does not fit INT");
  fails("abs(-i - 1)", FL_ELIMIT,
        "abs(-i - 1): line 1, column 1: overflow: abs of -2147483648 does not fit INT");
  fails("i + 1", FL_ELIMIT, "i + 1: line 1, column 3: overflow: 2147483647 + 1 does not fit INT");
  fails("i * 2", FL_ELIMIT, "i * 2: line 1, column 3: overflow: 2147483647 * 2 does not fit INT");
  ok("i + b", "BIGINT", "11|null|2147483640");
  fails("b * 9223372036854775807", FL_ELIMIT,
        "b * 9223372036854775807: line 1, column 3: overflow: 10 * 9223372036854775807 does not fit BIGINT");
  ok("f * 2", "DOUBLE", "5|null|-1");
  ok("f % 2", "DOUBLE", "0.5|null|-0.5");
}

Test(expr_value, decimals_are_exact_to_38_digits) {
  ok("d + 1", "DECIMAL(13,2)", "2.50|null|-1.25");
  ok("d * d", "DECIMAL(18,4)", "2.2500|null|5.0625");
  ok("d * 2.5", "DECIMAL(14,3)", "3.750|null|-5.625");
  ok("d - 0.005", "DECIMAL(14,3)", "1.495|null|-2.255");
  ok("d % 1", "DECIMAL(12,2)", "0.50|null|-0.25");
  ok("d / 2", "DOUBLE", "0.75|null|-1.125");
  ok("w + d", "DECIMAL(38,4)", "12345678901234567891.6234|null|-3.2500");
  ok("w * 2", "DECIMAL(38,4)", "24691357802469135780.2468|null|-2.0000");
  ok("w * d", "DECIMAL(38,6)", "18518518351851851835.185100|null|2.250000");
  ok("w > 12345678901234567890", "BOOLEAN", "true|null|false");
  ok("-w", "DECIMAL(38,4)", "-12345678901234567890.1234|null|1.0000");
  ok("coalesce(w, 0)", "DECIMAL(38,4)", "12345678901234567890.1234|0.0000|-1.0000");
  ok("CASE WHEN ok THEN w ELSE d END", "DECIMAL(38,4)", "12345678901234567890.1234|null|-2.2500");
  ok("d // 1", "DOUBLE", "1.5|null|-2.25");
  ok("w + 10000000000000000000.00005", "DECIMAL(38,5)",
     "22345678901234567890.12345|null|9999999999999999999.00005");
  ok("b * 100000000000000000000", "DECIMAL(38,0)", "1000000000000000000000|null|-700000000000000000000");
  ok("f < 12345678901234567890.5 AND w > f", "BOOLEAN", "true|null|false");
  ok("7.5 // 2", "DOUBLE", "3.75|3.75|3.75");
  ok("CAST(w AS DECIMAL(38,0)) * 10000000000000000", "DECIMAL(38,0)",
     "123456789012345678900000000000000000|null|-10000000000000000");
  fails("CAST(w AS DECIMAL(38,0)) * '1000000000000000000000'::DECIMAL(22,0)", FL_ELIMIT,
        "CAST(w AS DECIMAL(38,0)) * '1000000000000000000000'::DECIMAL(22,0): line 1, column 26: overflow: "
        "12345678901234567890 * 1000000000000000000000 does not fit DECIMAL(38,0)");
  fails("CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)) + CAST(1 AS DECIMAL(38,0)) + i",
        FL_ELIMIT,
        "CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)) + CAST(1 AS DECIMAL(38,0)) + i: "
        "line 1, "
        "column 65: overflow: 99999999999999999999999999999999999999 + 1 does not fit DECIMAL(38,0)");
  /* 18-digit inputs stay 18 digits and fail on leaving them (DuckDB: "Overflow in addition of DECIMAL(18)")
   */
  fails("CAST(9999999999999999.99 AS DECIMAL(18,2)) + d", FL_ELIMIT,
        "CAST(9999999999999999.99 AS DECIMAL(18,2)) + d: line 1, column 44: overflow: 9999999999999999.99 + "
        "1.50 "
        "does not fit DECIMAL(18,2)");
}

Test(expr_value, casts_round_as_duckdb_and_name_the_value) {
  ok("CAST(d AS INT)", "INT", "2|null|-2");
  ok("CAST('1.255' AS DECIMAL(10,2))", "DECIMAL(10,2)", "1.26|1.26|1.26");
  ok("CAST('-1.255' AS DECIMAL(10,2))", "DECIMAL(10,2)", "-1.26|-1.26|-1.26");
  ok("CAST(d AS DECIMAL(12,1))", "DECIMAL(12,1)", "1.5|null|-2.3");
  ok("CAST(f AS INT)", "INT", "2|null|0");
  ok("CAST(3.5 AS DOUBLE)::INT", "INT", "4|4|4");
  ok("CAST(d AS STRING)", "STRING", "\"1.50\"|null|\"-2.25\"");
  ok("f::STRING", "STRING", "\"2.5\"|null|\"-0.5\"");
  ok("(f * 4)::STRING || ' ' || (f * 1e20)::STRING || ' ' || (f / 1e5)::STRING || ' ' || (f * 0)::STRING",
     "STRING", "\"10.0 2.5e+20 2.5e-05 0.0\"|null|\"-2.0 -5e+19 -5e-06 -0.0\"");
  ok("CAST(w AS DOUBLE)::STRING", "STRING", "\"1.2345678901234567e+19\"|null|\"-1.0\""); /* one rounding */
  ok("CAST(t AS STRING)", "STRING", "\"2024-01-31 10:00:00\"|null|\"2024-02-29 23:59:59.5\"");
  ok("CAST(t AS DATE)", "DATE", "\"2024-01-31\"|null|\"2024-02-29\"");
  ok("CAST(dt AS TIMESTAMP)", "TIMESTAMP", "\"2024-01-31T00:00:00Z\"|null|\"2024-03-31T00:00:00Z\"");
  ok("'2024-05-06'::DATE", "DATE", "\"2024-05-06\"|\"2024-05-06\"|\"2024-05-06\"");
  ok("' 12 '::BIGINT + 1", "BIGINT", "13|13|13");
  ok("'2.5'::INT", "INT", "3|3|3");
  ok("'1e3'::DECIMAL(10,2)", "DECIMAL(10,2)", "1000.00|1000.00|1000.00");
  ok("'yes'::BOOLEAN", "BOOLEAN", "true|true|true");
  ok("'{\"a\": 1}'::JSON ->> 'a'", "STRING", "\"1\"|\"1\"|\"1\"");
  fails("s::JSON", FL_ETYPE,
        "s::JSON: line 1, column 2: cannot convert string 'Hello' to JSON: invalid token near 'Hello'");
  ok("ok::INT", "INT", "1|null|0");
  ok("'true'::BOOLEAN", "BOOLEAN", "true|true|true");
  fails("CAST(f * 1e10 AS INT)", FL_ETYPE,
        "CAST(f * 1e10 AS INT): line 1, column 1: DOUBLE 25000000000.0 is out of range for INT");
  fails("'abc'::INT", FL_ETYPE, "'abc'::INT: line 1, column 6: cannot convert string 'abc' to INT");
  fails("CAST(w AS DECIMAL(5,1))", FL_ETYPE,
        "CAST(w AS DECIMAL(5,1)): line 1, column 1: DECIMAL 12345678901234567890.1234 is out of range for "
        "DECIMAL(5,1)");
  fails("CAST(i AS DECIMAL(5,0))", FL_ETYPE,
        "CAST(i AS DECIMAL(5,0)): line 1, column 1: INT 2147483647 is out of range for DECIMAL(5,0)");
}

Test(expr_value, rows_duckdb_does_not_evaluate_raise_no_errors) {
  /* the right side of AND/OR, CASE branches and later coalesce arguments run only for some
     rows in DuckDB: an overflow on the other rows is no error */
  ok("CASE WHEN i > 100 THEN 0 ELSE i + 1 END", "INT", "2|null|0");
  ok("ok AND i + 1 > 0", "BOOLEAN", "true|null|false");
  ok("NOT ok OR i + 1 > 0", "BOOLEAN", "true|null|true");
  ok("coalesce(b, i + 1)", "BIGINT", "10|null|-7");
  /* x op NULL is NULL whatever x is: x is not evaluated */
  ok("i * 2 + NULL", "INT", "null|null|null");
  ok("i * 2 > NULL::INT", "BOOLEAN", "null|null|null");
  ok("(NULL::INT * i - 1) / extract(day FROM dt + i)", "DOUBLE", "null|null|null");
  ok("CAST(i AS DECIMAL(12,3)) - nullif(100.005, 100.005) * i", "DECIMAL(17,3)", "null|null|null");
  ok("abs(NULL::INT) + i * 2", "INT", "null|null|null");
  /* constants are folded once: a constant that fails still fails when it runs */
  ok("DATE '2024-01-31' + INTERVAL '1 month' + INTERVAL '1 day'", "TIMESTAMP",
     "\"2024-03-01T00:00:00Z\"|\"2024-03-01T00:00:00Z\"|\"2024-03-01T00:00:00Z\"");
  fails("2147483647 + 1", FL_ELIMIT,
        "2147483647 + 1: line 1, column 12: overflow: 2147483647 + 1 does not fit INT");
  /* where DuckDB does evaluate: the error stands */
  fails("CASE WHEN i > 100 THEN i * 2 ELSE 0 END + i * 2", FL_ELIMIT,
        "CASE WHEN i > 100 THEN i * 2 ELSE 0 END + i * 2: line 1, column 26: overflow: 2147483647 * 2 does "
        "not fit INT");
  /* ... and a part that fails on a row that uses it fails the query, as in DuckDB */
  fails("CASE WHEN i > 100 THEN i + 1 ELSE 0 END", FL_ELIMIT,
        "CASE WHEN i > 100 THEN i + 1 ELSE 0 END: line 1, column 26: overflow: 2147483647 + 1 does not fit "
        "INT");
  fails("ok OR i + 1 > 0", FL_ELIMIT,
        "ok OR i + 1 > 0: line 1, column 9: overflow: 2147483647 + 1 does not fit INT");
  fails(
      "coalesce(nullif(i, 2147483647), i + 1)", FL_ELIMIT,
      "coalesce(nullif(i, 2147483647), i + 1): line 1, column 35: overflow: 2147483647 + 1 does not fit INT");
  ok("CASE WHEN i > 100 THEN 0 WHEN i + 1 > 0 THEN 1 END", "INT", "1|null|0");
  fails("CASE WHEN i < 100 THEN 0 WHEN i + 1 > 0 THEN 1 END", FL_ELIMIT,
        "CASE WHEN i < 100 THEN 0 WHEN i + 1 > 0 THEN 1 END: line 1, column 33: overflow: 2147483647 + 1 "
        "does not fit INT");
  fails("dt + b", FL_EPARSE, "line 1, column 4: operator + cannot take DATE and BIGINT");
}

Test(expr_value, case_coalesce_nullif_greatest) {
  ok("CASE WHEN ok THEN 1 ELSE 2.5 END", "DECIMAL(11,1)", "1.0|2.5|2.5");
  ok("CASE b WHEN 10 THEN 'ten' WHEN -7 THEN 'minus seven' END", "STRING", "\"ten\"|null|\"minus seven\"");
  ok("CASE WHEN i > 5 THEN s END", "STRING", "null|null|\"a_b%c\"");
  ok("coalesce(i, b, 0)", "BIGINT", "1|0|2147483647");
  ok("coalesce(d, 0)", "DECIMAL(12,2)", "1.50|0.00|-2.25");
  ok("nullif(b, 10)", "BIGINT", "null|null|-7");
  ok("greatest(b, 0, i)", "BIGINT", "10|0|2147483647");
  ok("least(d, 0)", "DECIMAL(12,2)", "0.00|0.00|-2.25");
}

Test(expr_value, like_with_wildcards_escapes_and_patterns_per_row) {
  ok("s LIKE 'H%o'", "BOOLEAN", "true|null|false");
  ok("s LIKE 'H_llo'", "BOOLEAN", "true|null|false");
  ok("s ILIKE 'hello'", "BOOLEAN", "true|null|false");
  /* no escape character unless ESCAPE names one (DuckDB; PostgreSQL's default is a backslash) */
  ok("s LIKE 'a\\_b\\%c'", "BOOLEAN", "false|null|false");
  ok("'a\\b' LIKE 'a\\b'", "BOOLEAN", "true|true|true");
  ok("s LIKE 'a$_b$%c' ESCAPE '$'", "BOOLEAN", "false|null|true");
  ok("'axb%c' LIKE 'a$_b$%c' ESCAPE '$'", "BOOLEAN", "false|false|false");
  ok("'é!' LIKE '_!'", "BOOLEAN", "true|true|true");
  ok("s LIKE s", "BOOLEAN", "true|null|true");
  ok("'xa_b%cx' LIKE '%' || s || '%'", "BOOLEAN", "false|null|true");
  ok("s NOT LIKE '%l%'", "BOOLEAN", "false|null|true");
  /* the byte-search shapes: exact, prefix, suffix, contains (and their NOT) */
  ok("s LIKE 'Hello'", "BOOLEAN", "true|null|false");
  ok("s LIKE 'He%'", "BOOLEAN", "true|null|false");
  ok("s LIKE '%%c'", "BOOLEAN", "false|null|true");
  ok("s LIKE '%b\\%%'", "BOOLEAN", "false|null|false");
  ok("s LIKE '%b%%'", "BOOLEAN", "false|null|true");
  ok("s NOT LIKE '%ll%'", "BOOLEAN", "false|null|true");
  ok("s LIKE '%'", "BOOLEAN", "true|null|true");
  ok("s LIKE ''", "BOOLEAN", "false|null|false");
  /* contains: at the start, the end, the whole text, after a false start; a text over
   * 64 bytes (memmem) */
  ok("s LIKE '%Hel%'", "BOOLEAN", "true|null|false");
  ok("s LIKE '%lo%'", "BOOLEAN", "true|null|false");
  ok("s LIKE '%c%'", "BOOLEAN", "false|null|true");
  ok("s LIKE '%Hello%'", "BOOLEAN", "true|null|false");
  ok("s LIKE '%Hello!%'", "BOOLEAN", "false|null|false");
  ok("('lllo' || s) LIKE '%llo%'", "BOOLEAN", "true|null|true");
  ok("(s || '0123456789012345678901234567890123456789012345678901234567890123456789!') LIKE '%9!%'",
     "BOOLEAN", "true|null|true");
}

Test(expr_value, timestamps_and_intervals_across_month_ends) {
  ok("t + INTERVAL '1 month'", "TIMESTAMP", "\"2024-02-29T10:00:00Z\"|null|\"2024-03-29T23:59:59.500Z\"");
  ok("dt + INTERVAL '1 month'", "TIMESTAMP", "\"2024-02-29T00:00:00Z\"|null|\"2024-04-30T00:00:00Z\"");
  ok("t - INTERVAL '1 year 1 month'", "TIMESTAMP",
     "\"2022-12-31T10:00:00Z\"|null|\"2023-01-29T23:59:59.500Z\"");
  ok("t + INTERVAL '1 day 2 hours'", "TIMESTAMP",
     "\"2024-02-01T12:00:00Z\"|null|\"2024-03-02T01:59:59.500Z\"");
  ok("dt + 1", "DATE", "\"2024-02-01\"|null|\"2024-04-01\"");
  ok("dt - DATE '2024-01-01'", "BIGINT", "30|null|90");
  ok("date_trunc('month', t)", "TIMESTAMP", "\"2024-01-01T00:00:00Z\"|null|\"2024-02-01T00:00:00Z\"");
  ok("date_trunc('hour', t)", "TIMESTAMP", "\"2024-01-31T10:00:00Z\"|null|\"2024-02-29T23:00:00Z\"");
  ok("date_trunc('century', t)", "TIMESTAMP", "\"2000-01-01T00:00:00Z\"|null|\"2000-01-01T00:00:00Z\"");
  ok("date_trunc('week', dt)", "TIMESTAMP", "\"2024-01-29T00:00:00Z\"|null|\"2024-03-25T00:00:00Z\"");
  ok("extract(year FROM t)", "BIGINT", "2024|null|2024");
  ok("EXTRACT(second FROM t)", "BIGINT", "0|null|59");
  ok("date_part('dow', dt)", "BIGINT", "3|null|0");
  ok("date_part('isodow', dt)", "BIGINT", "3|null|7");
  ok("date_part('epoch', t)", "DOUBLE", "1706695200|null|1709251199.5");
  ok("extract(quarter FROM dt)", "BIGINT", "1|null|1");
  ok("extract(epoch FROM t - TIMESTAMP '2024-01-31 00:00:00')", "DOUBLE", "36000|null|2591999.5");
  ok("date_part('epoch', INTERVAL '1 day 2 hours')", "DOUBLE", "93600|93600|93600");
}

Test(expr_value, string_functions) {
  ok("s || '!'", "STRING", "\"Hello!\"|null|\"a_b%c!\"");
  ok("s || i || d", "STRING", "\"Hello11.50\"|null|\"a_b%c2147483647-2.25\"");
  ok("concat(s, NULL, '!')", "STRING", "\"Hello!\"|\"!\"|\"a_b%c!\"");
  ok("lower(s) || upper(s)", "STRING", "\"helloHELLO\"|null|\"a_b%cA_B%C\"");
  ok("length(s)", "BIGINT", "5|null|5");
  ok("upper('héllo') || lower('ÀÉÎ')", "STRING", "\"HÉLLOàéî\"|\"HÉLLOàéî\"|\"HÉLLOàéî\"");
  ok("'ünïcödé' ILIKE 'ÜN%' AND s ILIKE 'hEL%' AND 'ÀB' ILIKE '_b' AND NOT ('ünï' ILIKE 'UN%')", "BOOLEAN",
     "true|null|false");
  ok("upper('straße') || lower('ẞ')", "STRING",
     "\"STRAẞEß\"|\"STRAẞEß\"|\"STRAẞEß\""); /* DuckDB's (utf8proc's) */
  ok("substring(s, 2, 3)", "STRING", "\"ell\"|null|\"_b%\"");
  ok("substring(s FROM 2)", "STRING", "\"ello\"|null|\"_b%c\"");
  ok("SUBSTRING(s FROM 2 FOR 2)", "STRING", "\"el\"|null|\"_b\"");
  ok("substring(s, -3)", "STRING", "\"llo\"|null|\"b%c\"");
  ok("substring(s, 4, -2)", "STRING", "\"el\"|null|\"_b\"");
  ok("trim('  x  ') || ltrim('  y') || rtrim('z  ')", "STRING", "\"xyz\"|\"xyz\"|\"xyz\"");
  ok("trim(s, 'Hoa')", "STRING", "\"ell\"|null|\"_b%c\"");
  ok("replace(s, 'l', 'L')", "STRING", "\"HeLLo\"|null|\"a_b%c\"");
  ok("split_part('a,b,,c', ',', i)", "STRING", "\"a\"|null|\"\"");
  ok("split_part('a,b,,c', ',', 4)", "STRING", "\"c\"|\"c\"|\"c\"");
  ok("starts_with(s, 'He')", "BOOLEAN", "true|null|false");
  ok("strpos(s, 'l')", "BIGINT", "3|null|0");
  ok("regexp_matches(s, '^H.l+o$')", "BOOLEAN", "true|null|false");
  ok("regexp_matches(s, '[%]')", "BOOLEAN", "false|null|true");
}

Test(expr_value, math_functions) {
  ok("abs(b)", "BIGINT", "10|null|7");
  ok("abs(w)", "DECIMAL(38,4)", "12345678901234567890.1234|null|1.0000"); /* was refused: no 128-bit abs */
  ok("abs(-w)", "DECIMAL(38,4)", "12345678901234567890.1234|null|1.0000");
  ok("round(d, 1)", "DECIMAL(12,1)", "1.5|null|-2.3");
  ok("round(d)", "DECIMAL(12,0)", "2|null|-2");
  ok("round(f)", "DOUBLE", "3|null|-1");
  ok("floor(d)", "DECIMAL(12,0)", "1|null|-3");
  ok("ceil(d)", "DECIMAL(12,0)", "2|null|-2");
  ok("sqrt(b * b)", "DOUBLE", "10|null|7");
  ok("power(2, i % 4)", "DOUBLE", "2|null|8");
  ok("ln(1)", "DOUBLE", "0|0|0");
}

Test(expr_value, json_paths) {
  ok("j ->> 's'", "STRING", "\"x\"|null|null");
  ok("j -> 'a'", "JSON", "\"{\\\"b\\\":[1,2]}\"|null|null");
  ok("json_extract(j, '$.a.b[1]')", "JSON", "\"2\"|null|null");
  ok("json_extract_string(j, '$[1]')", "STRING", "null|null|\"two\"");
  ok("j ->> 0", "STRING", "null|null|\"1\"");
  /* regression (parse_fuzz, UBSan): a string result with no bytes in any row */
  ok("j ->> 'nothing'", "STRING", "null|null|null");
}

Test(expr_value, errors_at_compile_time_name_the_expression) {
  fails("t - t", FL_EUNSUPPORTED, "t - t: line 1, column 3: an INTERVAL as a result is not supported");
  fails("t + INTERVAL '1 month' * 2 > t", FL_EUNSUPPORTED,
        "t + INTERVAL '1 month' * 2 > t: line 1, column 5: an INTERVAL with months or years other than in "
        "TIMESTAMP +- INTERVAL is not supported");
}

Test(expr_value, uuid_and_binary_cast_to_their_text) {
  fl_field uf[] = {{1, "u", {FL_T_UUID, 0, 0, 0}, false, NULL},
                   {2, "bin", {FL_T_BINARY, 0, 0, 0}, false, NULL}};
  fl_schema us = {0, 2, uf, 0, NULL};
  fl_batch *b = fl_batch_new(uf, 2, 2);
  uint8_t u16[16];
  cr_assert(fl_uuid_parse("0f8fad5b-d9cb-469f-a165-70867728950e", 36, u16));
  fl_vec_append_str(&b->cols[0], (const char *)u16, 16);
  fl_vec_append_str(&b->cols[1], "\x0a\xff", 2);
  fl_batch_set_rows(b, 1);
  fl_arena arena;
  fl_arena_init(&arena, 1024);
  fl_err err = {0};
  fl_sql_expr *e;
  const char *sql = "CAST(u AS STRING) || ' ' || bin::STRING";
  cr_assert_eq(fl_sql_parse_expr(sql, strlen(sql), &arena, &e, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_sql_expr_bind(e, &us, &err), FL_OK, "%s", err.msg);
  fl_sql_eval *ev = fl_sql_eval_new(&us);
  uint32_t k;
  cr_assert_eq(fl_sql_eval_add_value(ev, e, sql, &k, &err), FL_OK, "%s", err.msg);
  const fl_vec *v;
  cr_assert_eq(fl_sql_eval_value(ev, k, b, &v, &err), FL_OK, "%s", err.msg);
  uint32_t n;
  const char *p = fl_vec_str(v, 0, &n);
  cr_assert_eq(n, 36 + 1 + 6, "%.*s", (int)n, p);
  cr_assert(!memcmp(p, "0f8fad5b-d9cb-469f-a165-70867728950e \\x0aff", n), "%.*s", (int)n, p);
  fl_sql_eval_free(ev);
  fl_batch_free(b);
  fl_arena_destroy(&arena);
}
