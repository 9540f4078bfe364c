/* Unit tests of the JSON parser (json/parse.c): exact column values for every type, escapes
 * and unicode, exact decimals, every reject kind with its line, field and reason,
 * mixed bodies, JSON arrays and limits. */
#include <criterion/criterion.h>
#include <float.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "json/json.h"

static fl_field orders_fields[] = {
    {1, "event_id", {FL_T_STRING, 0, 0}, true},      {2, "tenant_id", {FL_T_STRING, 0, 0}, true},
    {3, "order_id", {FL_T_BIGINT, 0, 0}, true},      {4, "user_id", {FL_T_BIGINT, 0, 0}, false},
    {5, "product_id", {FL_T_INT, 0, 0}, false},      {6, "event_type", {FL_T_STRING, 0, 0}, true},
    {7, "amount", {FL_T_DECIMAL, 12, 2}, false},     {8, "currency", {FL_T_STRING, 0, 0}, false},
    {9, "event_time", {FL_T_TIMESTAMP, 0, 0}, true}, {10, "attributes", {FL_T_JSON, 0, 0}, false},
};
static fl_schema orders = {0, 10, orders_fields, 0, NULL};

static fl_field all_fields[] = {
    {1, "b", {FL_T_BOOLEAN, 0, 0}, false}, {2, "i", {FL_T_INT, 0, 0}, false},
    {3, "l", {FL_T_BIGINT, 0, 0}, false},  {4, "f", {FL_T_FLOAT, 0, 0}, false},
    {5, "d", {FL_T_DOUBLE, 0, 0}, false},  {6, "m", {FL_T_DECIMAL, 12, 2}, false},
    {7, "dt", {FL_T_DATE, 0, 0}, false},   {8, "ts", {FL_T_TIMESTAMP, 0, 0}, false},
    {9, "s", {FL_T_STRING, 0, 0}, false},  {10, "j", {FL_T_JSON, 0, 0}, false},
};
static fl_schema all = {0, 10, all_fields, 0, NULL};

static fl_json_parser *P;
static fl_json_result R;

static void parse(const fl_schema *schema, const char *body) {
  if (P) fl_json_parser_free(P);
  P = fl_json_parser_new(schema);
  fl_err err = {0};
  cr_assert_eq(fl_json_parse(P, body, strlen(body), &R, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(R.batch->nrows, R.nrows);
  cr_assert_eq(R.nrecords, R.nrows + R.nrejects);
}

static void done(void) {
  fl_json_parser_free(P);
  P = NULL;
}

static void assert_str(uint32_t col, uint32_t row, const char *want) {
  const fl_vec *v = &R.batch->cols[col];
  cr_assert(fl_vec_is_valid(v, row), "col %u row %u is null", col, row);
  uint32_t n;
  const char *s = fl_vec_str(v, row, &n);
  cr_assert_eq(n, strlen(want), "col %u row %u: '%.*s' != '%s'", col, row, (int)n, s, want);
  cr_assert(!memcmp(s, want, n), "col %u row %u: '%.*s' != '%s'", col, row, (int)n, s, want);
}

static void assert_null(uint32_t col, uint32_t row) {
  cr_assert(!fl_vec_is_valid(&R.batch->cols[col], row), "col %u row %u not null", col, row);
}

static void assert_reject(uint32_t j, uint32_t line, const char *field, const char *reason) {
  cr_assert(j < R.nrejects, "only %u rejects", R.nrejects);
  const fl_json_reject *r = &R.rejects[j];
  cr_assert_eq(r->line, line, "reject %u: line %u, want %u (%s)", j, r->line, line, r->reason);
  if (field)
    cr_assert(r->field && !strcmp(r->field, field), "reject %u field %s, want %s", j, r->field, field);
  else
    cr_assert_null(r->field, "reject %u field %s", j, r->field);
  cr_assert_str_eq(r->reason, reason);
}

static int64_t ts(const char *s) {
  int64_t v;
  cr_assert(fl_ts_parse(s, strlen(s), &v));
  return v;
}

TestSuite(json_parse, .fini = done);

Test(json_parse, every_type_lands_in_its_column_exactly) {
  parse(&all,
        "{\"b\":true,\"i\":-2147483648,\"l\":9223372036854775807,\"f\":1.5,\"d\":-0.125e2,\"m\":12.3,"
        "\"dt\":\"2026-11-25\",\"ts\":\"2026-11-25T15:04:39.123456Z\",\"s\":\"hé\",\"j\":{\"a\":[1, 2]}}\n"
        "{\"b\":false,\"i\":2147483647,\"l\":-9223372036854775808,\"f\":0,\"d\":1e300,\"m\":\"-0.05\","
        "\"dt\":20782,\"ts\":1764083079000000,\"s\":\"\",\"j\":\"x\"}\n");
  cr_assert_eq(R.nrows, 2);
  cr_assert_eq(R.nrejects, 0);
  const fl_batch *b = R.batch;
  cr_assert_eq(b->cols[0].data.b[0], 1);
  cr_assert_eq(b->cols[0].data.b[1], 0);
  cr_assert_eq(b->cols[1].data.i32[0], INT32_MIN);
  cr_assert_eq(b->cols[1].data.i32[1], INT32_MAX);
  cr_assert_eq(b->cols[2].data.i64[0], INT64_MAX);
  cr_assert_eq(b->cols[2].data.i64[1], INT64_MIN);
  cr_assert_eq(b->cols[3].data.f32[0], 1.5f);
  cr_assert_eq(b->cols[4].data.f64[0], -12.5);
  cr_assert_eq(b->cols[4].data.f64[1], 1e300);
  cr_assert_eq(b->cols[5].data.i64[0], 1230);
  cr_assert_eq(b->cols[5].data.i64[1], -5);
  cr_assert_eq(b->cols[6].data.i32[0], 20782);
  cr_assert_eq(b->cols[6].data.i32[1], 20782);
  cr_assert_eq(b->cols[7].data.i64[0], ts("2026-11-25T15:04:39.123456Z"));
  cr_assert_eq(b->cols[7].data.i64[1], 1764083079000000);
  assert_str(8, 0, "h\xc3\xa9");
  assert_str(8, 1, "");
  assert_str(9, 0, "{\"a\":[1,2]}"); /* blanks outside strings removed */
  assert_str(9, 1, "\"x\"");
}

Test(json_parse, null_and_missing_fields_are_null_with_zero_values) {
  parse(&all,
        "{\"b\":null,\"i\":null,\"l\":null,\"f\":null,\"d\":null,\"m\":null,\"dt\":null,\"ts\":null,"
        "\"s\":null,\"j\":null}\n{}\n");
  cr_assert_eq(R.nrows, 2);
  for (uint32_t c = 0; c < 10; c++)
    for (uint32_t r = 0; r < 2; r++) assert_null(c, r);
  cr_assert_eq(R.batch->cols[2].data.i64[1], 0);
  cr_assert_eq(R.batch->cols[8].offsets[2], 0);
}

Test(json_parse, the_orders_event_parses_with_spans_and_lines) {
  const char *l1 =
      "{\"event_id\":\"e-1\",\"tenant_id\":\"acme\",\"order_id\":100000,\"user_id\":null,"
      "\"product_id\":7,\"event_type\":\"order_paid\",\"amount\":12.37,\"currency\":\"USD\","
      "\"event_time\":\"2026-11-20T13:13:29.007919Z\",\"attributes\":{\"channel\":\"app\"}}";
  char body[1024];
  snprintf(body, sizeof body, "\n%s\r\n", l1);
  parse(&orders, body);
  cr_assert_eq(R.nrows, 1);
  cr_assert_eq(R.rows[0].line, 2);
  cr_assert_eq(R.rows[0].raw_off, 1);
  cr_assert_eq(R.rows[0].raw_len, strlen(l1));
  assert_str(0, 0, "e-1");
  cr_assert_eq(R.batch->cols[2].data.i64[0], 100000);
  assert_null(3, 0);
  cr_assert_eq(R.batch->cols[4].data.i32[0], 7);
  cr_assert_eq(R.batch->cols[6].data.i64[0], 1237);
  cr_assert_eq(R.batch->cols[8].data.i64[0], ts("2026-11-20T13:13:29.007919Z"));
  assert_str(9, 0, "{\"channel\":\"app\"}");
}

Test(json_parse, fields_in_any_order_unknown_ignored_last_duplicate_wins) {
  parse(&all,
        "{\"zzz\":{\"deep\":[1,{\"x\":null}]},\"s\":\"first\",\"l\":1,\"s\":\"second\",\"l\":2,\"b\":true}");
  cr_assert_eq(R.nrows, 1);
  assert_str(8, 0, "second");
  cr_assert_eq(R.batch->cols[2].data.i64[0], 2);
  cr_assert_eq(R.batch->cols[8].bytes_len, 6);
}

Test(json_parse, escapes_and_surrogate_pairs_decode_to_utf8) {
  parse(&all,
        "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"}\n"
        "{\"\\u0073\":\"key escaped\"}\n");
  cr_assert_eq(R.nrows, 2, "%s", R.nrejects ? R.rejects[0].reason : "");
  assert_str(8, 0, "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  assert_str(8, 1, "key escaped");
}

Test(json_parse, decimals_are_exact_or_rejected) {
  fl_field f[] = {{1, "m", {FL_T_DECIMAL, 12, 2}, false}};
  fl_schema s = {0, 1, f, 0, NULL};
  parse(&s,
        "{\"m\":12.34}\n{\"m\":12.340}\n{\"m\":-0.1}\n{\"m\":\"1234567890.12\"}\n{\"m\":1.5e1}\n"
        "{\"m\":12.345}\n{\"m\":12345678901.0}\n{\"m\":\"abc\"}\n{\"m\":true}\n{\"m\":1e-3}\n");
  cr_assert_eq(R.nrows, 5);
  int64_t want[] = {1234, 1234, -10, 123456789012, 1500};
  for (int i = 0; i < 5; i++) cr_assert_eq(R.batch->cols[0].data.i64[i], want[i], "row %d", i);
  cr_assert_eq(R.nrejects, 5);
  assert_reject(0, 6, "m", "field m: expected DECIMAL(12,2), found 12.345");
  assert_reject(1, 7, "m", "field m: expected DECIMAL(12,2), found 12345678901.0");
  assert_reject(2, 8, "m", "field m: expected DECIMAL(12,2), found \"abc\"");
  assert_reject(3, 9, "m", "field m: expected DECIMAL(12,2), found true");
  assert_reject(4, 10, "m", "field m: expected DECIMAL(12,2), found 1e-3");
}

Test(json_parse, wide_decimals_are_exact_to_38_digits_or_rejected) {
  fl_field f[] = {{1, "w", {FL_T_DECIMAL, 38, 9}, false}, {2, "v", {FL_T_DECIMAL, 20, 0}, false}};
  fl_schema s = {0, 2, f, 0, NULL};
  parse(&s,
        "{\"w\":99999999999999999999999999999.999999999,\"v\":-99999999999999999999}\n"
        "{\"w\":\"-0.000000001\",\"v\":\"18446744073709551616\"}\n"
        "{\"w\":1.5e20,\"v\":1E19}\n"
        "{\"w\":null,\"v\":-9223372036854775809}\n"
        "{\"w\":100000000000000000000000000000,\"v\":1}\n"
        "{\"w\":0.0000000001,\"v\":1}\n"
        "{\"w\":1,\"v\":100000000000000000000}\n"
        "{\"w\":1,\"v\":0.5}\n");
  cr_assert_eq(R.nrows, 4);
  const fl_vec *w = &R.batch->cols[0], *v = &R.batch->cols[1];
  char t[FL_DECIMAL_TEXT_MAX];
  const char *want_w[] = {"99999999999999999999999999999.999999999", "-0.000000001",
                          "150000000000000000000.000000000"};
  const char *want_v[] = {"-99999999999999999999", "18446744073709551616", "10000000000000000000",
                          "-9223372036854775809"};
  for (int i = 0; i < 3; i++) {
    fl_dec128_format(fl_vec_dec(w, (uint32_t)i), 9, t);
    cr_assert_str_eq(t, want_w[i], "w row %d", i);
  }
  assert_null(0, 3);
  cr_assert(fl_vec_dec(w, 3) == 0, "a null wide slot is zero");
  for (int i = 0; i < 4; i++) {
    fl_dec128_format(fl_vec_dec(v, (uint32_t)i), 0, t);
    cr_assert_str_eq(t, want_v[i], "v row %d", i);
  }
  cr_assert_eq(R.nrejects, 4);
  assert_reject(0, 5, "w", "field w: expected DECIMAL(38,9), found 100000000000000000000000000000");
  assert_reject(1, 6, "w", "field w: expected DECIMAL(38,9), found 0.0000000001");
  assert_reject(2, 7, "v", "field v: expected DECIMAL(20,0), found 100000000000000000000");
  assert_reject(3, 8, "v", "field v: expected DECIMAL(20,0), found 0.5");
}

Test(json_parse, integers_are_range_checked) {
  parse(&all,
        "{\"i\":2147483648}\n{\"l\":9223372036854775808}\n{\"i\":1.5}\n{\"l\":\"42\"}\n{\"i\":-0}\n"
        "{\"l\":99999999999999999999}\n");
  cr_assert_eq(R.nrows, 2);
  cr_assert_eq(R.batch->cols[2].data.i64[0], 42);
  cr_assert_eq(R.batch->cols[1].data.i32[1], 0);
  assert_reject(0, 1, "i", "field i: expected INT, found 2147483648");
  assert_reject(1, 2, "l", "field l: expected BIGINT, found 9223372036854775808");
  assert_reject(2, 3, "i", "field i: expected INT, found 1.5");
  assert_reject(3, 6, "l", "field l: expected BIGINT, found 99999999999999999999");
}

Test(json_parse, timestamps_take_rfc3339_and_epoch_micros) {
  parse(&all,
        "{\"ts\":\"2026-11-25T15:04:39Z\"}\n{\"ts\":\"2026-11-25 16:04:39+01:00\"}\n"
        "{\"ts\":\"2026-11-25T15:04:39.5Z\"}\n{\"ts\":-1}\n{\"ts\":\"2026-02-30T00:00:00Z\"}\n"
        "{\"ts\":\"yesterday\"}\n{\"dt\":\"2026-13-01\"}\n");
  cr_assert_eq(R.nrows, 4);
  int64_t base = ts("2026-11-25T15:04:39Z");
  cr_assert_eq(R.batch->cols[7].data.i64[0], base);
  cr_assert_eq(R.batch->cols[7].data.i64[1], base);
  cr_assert_eq(R.batch->cols[7].data.i64[2], base + 500000);
  cr_assert_eq(R.batch->cols[7].data.i64[3], -1);
  assert_reject(0, 5, "ts", "field ts: expected TIMESTAMP, found \"2026-02-30T00:00:00Z\"");
  assert_reject(1, 6, "ts", "field ts: expected TIMESTAMP, found \"yesterday\"");
  assert_reject(2, 7, "dt", "field dt: expected DATE, found \"2026-13-01\"");
}

Test(json_parse, wrong_types_are_rejected_with_the_field_and_value) {
  parse(&all, "{\"b\":1}\n{\"s\":5}\n{\"d\":\"1.5\"}\n{\"s\":[\"a\"]}\n{\"b\":\"true\"}\n");
  cr_assert_eq(R.nrows, 0);
  cr_assert_eq(R.nrejects, 5);
  assert_reject(0, 1, "b", "field b: expected BOOLEAN, found 1");
  assert_reject(1, 2, "s", "field s: expected STRING, found 5");
  assert_reject(2, 3, "d", "field d: expected DOUBLE, found \"1.5\"");
  assert_reject(3, 4, "s", "field s: expected STRING, found [\"a\"]");
  assert_reject(4, 5, "b", "field b: expected BOOLEAN, found \"true\"");
}

Test(json_parse, not_null_fields_missing_or_null_are_rejected) {
  fl_field f[] = {{1, "id", {FL_T_STRING, 0, 0}, true}, {2, "n", {FL_T_BIGINT, 0, 0}, false}};
  fl_schema s = {0, 2, f, 0, NULL};
  parse(&s, "{\"n\":1}\n{\"id\":null,\"n\":2}\n{\"id\":\"ok\"}\n");
  cr_assert_eq(R.nrows, 1);
  cr_assert_eq(R.rows[0].line, 3);
  assert_str(0, 0, "ok");
  assert_reject(0, 1, "id", "field id: missing (NOT NULL)");
  assert_reject(1, 2, "id", "field id: null in a NOT NULL column");
}

Test(json_parse, syntax_errors_skip_to_the_next_line) {
  const char *body =
      "{\"s\":\"a\"}\n{\"s\":\"b\" \"x\"}\n{\"s\":\"c\n{\"s\":tru}\n[1]\n{\"s\":\"d\"} x\n"
      "{\"s\":\"\\q\"}\n{\"s\":\"\\ud800\"}\n{\"s\":\"e\"}";
  parse(&all, body);
  cr_assert_eq(R.nrows, 2);
  assert_str(8, 0, "a");
  assert_str(8, 1, "e");
  cr_assert_eq(R.rows[1].line, 9);
  cr_assert_eq(R.nrejects, 7);
  assert_reject(0, 2, NULL, "invalid JSON: expected ',' or '}' after a value, found '\"x\"}'");
  cr_assert_eq(R.rejects[0].raw_off, 10);
  cr_assert_eq(R.rejects[0].raw_len, 13);
  assert_reject(1, 3, NULL, "invalid JSON: unterminated string, found end of line");
  assert_reject(2, 4, NULL, "invalid JSON: expected a value, found 'tru}'");
  assert_reject(3, 5, NULL, "invalid JSON: expected '{' (each NDJSON line is one object), found '[1]'");
  assert_reject(4, 6, NULL,
                "invalid JSON: text after the object (NDJSON has one object per line), found 'x'");
  assert_reject(5, 7, NULL, "invalid JSON: bad escape in a string, found '\\q\"}'");
  assert_reject(6, 8, NULL, "invalid JSON: unpaired surrogate in a \\u escape, found '\\ud800\"}'");
}

Test(json_parse, invalid_utf8_is_rejected) {
  parse(&all, "{\"s\":\"a\xff\"}\n{\"x\":\"\xc3\x28\"}\n{\"s\":\"\xed\xa0\x80\"}\n{\"s\":\"\xc3\xa9\"}\n");
  cr_assert_eq(R.nrows, 1);
  assert_str(8, 0, "\xc3\xa9");
  assert_reject(0, 1, "s", "field s: invalid UTF-8 in a string");
  assert_reject(1, 2, NULL, "invalid UTF-8 in a string");
  assert_reject(2, 3, "s", "field s: invalid UTF-8 in a string");
}

Test(json_parse, rejected_records_roll_back_their_partial_values) {
  parse(&all,
        "{\"s\":\"keep1\",\"j\":[1],\"l\":1}\n{\"s\":\"drop\",\"j\":{\"big\":true},\"l\":\"x\"}\n"
        "{\"s\":\"keep2\",\"l\":3}\n");
  cr_assert_eq(R.nrows, 2);
  assert_str(8, 0, "keep1");
  assert_str(8, 1, "keep2");
  assert_str(9, 0, "[1]");
  assert_null(9, 1);
  cr_assert_eq(R.batch->cols[8].bytes_len, 10);
  cr_assert_eq(R.batch->cols[9].bytes_len, 3);
  cr_assert_eq(R.batch->cols[2].data.i64[1], 3);
}

Test(json_parse, mixed_bodies_accept_every_good_record) {
  char body[200000];
  size_t n = 0;
  for (int i = 0; i < 3000; i++) {
    if (i % 7 == 3)
      n += (size_t)snprintf(body + n, sizeof body - n, "{\"l\":\"bad%d\"}\n", i);
    else if (i % 11 == 5)
      n += (size_t)snprintf(body + n, sizeof body - n, "{\"l\":%d,,}\n", i);
    else
      n += (size_t)snprintf(body + n, sizeof body - n, "{\"l\":%d,\"s\":\"v%d\"}\n", i, i);
  }
  parse(&all, body);
  uint32_t good = 0;
  for (int i = 0; i < 3000; i++) good += !(i % 7 == 3) && !(i % 11 == 5);
  cr_assert_eq(R.nrows, good);
  cr_assert_eq(R.nrecords, 3000);
  uint32_t r = 0;
  for (int i = 0; i < 3000; i++) {
    if (i % 7 == 3 || i % 11 == 5) continue;
    cr_assert_eq(R.batch->cols[2].data.i64[r], i);
    cr_assert_eq(R.rows[r].line, (uint32_t)i + 1);
    char want[16];
    snprintf(want, sizeof want, "v%d", i);
    assert_str(8, r, want);
    r++;
  }
  for (uint32_t j = 1; j < R.nrejects; j++) cr_assert_gt(R.rejects[j].line, R.rejects[j - 1].line);
}

Test(json_parse, json_array_bodies_number_elements) {
  parse(&all, " [ {\"l\":1},\n {\"l\":\"x\"}, {\"l\":3}, 5 ,{}] ");
  cr_assert_eq(R.nrows, 3);
  cr_assert_eq(R.rows[0].line, 1);
  cr_assert_eq(R.rows[1].line, 3);
  cr_assert_eq(R.rows[2].line, 5);
  cr_assert_eq(R.rows[1].raw_off, 24);
  cr_assert_eq(R.rows[1].raw_len, 7);
  assert_reject(0, 2, "l", "field l: expected BIGINT, found \"x\"");
  cr_assert_eq(R.rejects[0].raw_off, 13);
  cr_assert_eq(R.rejects[0].raw_len, 9);
  assert_reject(1, 4, NULL, "array element is not an object");
}

Test(json_parse, a_syntax_error_in_an_array_rejects_the_rest) {
  parse(&all, "[{\"l\":1},{\"l\":2 \"s\":\"x\"},{\"l\":3}]");
  cr_assert_eq(R.nrows, 1);
  cr_assert_eq(R.nrejects, 1);
  assert_reject(
      0, 2, NULL,
      "invalid JSON: expected ',' or '}' after a value, found '\"s\":\"x\"},{\"l\":3}'; the rest of "
      "the array body is rejected");
  cr_assert_eq(R.rejects[0].raw_off, 9);
  cr_assert_eq(R.rejects[0].raw_len, 24);
  parse(&all, "[{\"l\":1}");
  cr_assert_eq(R.nrows, 1);
  assert_reject(0, 2, NULL,
                "invalid JSON: expected ',' or ']' in the array, found end of line; the rest of "
                "the array body is rejected");
}

Test(json_parse, empty_bodies_have_no_records) {
  parse(&all, "");
  cr_assert_eq(R.nrecords, 0);
  parse(&all, "\n \r\n\n");
  cr_assert_eq(R.nrecords, 0);
  parse(&all, " [ ] ");
  cr_assert_eq(R.nrecords, 0);
}

Test(json_parse, nesting_deeper_than_the_limit_is_rejected) {
  char body[512];
  size_t n = 0;
  n += (size_t)snprintf(body, sizeof body, "{\"j\":");
  for (int i = 0; i < FL_JSON_DEPTH_MAX; i++) body[n++] = '[';
  for (int i = 0; i < FL_JSON_DEPTH_MAX; i++) body[n++] = ']';
  n += (size_t)snprintf(body + n, sizeof body - n, "}\n{\"j\":");
  for (int i = 0; i < FL_JSON_DEPTH_MAX - 1; i++) body[n++] = '[';
  for (int i = 0; i < FL_JSON_DEPTH_MAX - 1; i++) body[n++] = ']';
  snprintf(body + n, sizeof body - n, "}\n");
  parse(&all, body);
  cr_assert_eq(R.nrows, 1);
  assert_reject(0, 1, NULL, "nesting deeper than 64 levels");
}

Test(json_parse, lines_over_the_limit_are_rejected) {
  size_t big = FL_JSON_LINE_MAX + 100;
  char *body = fl_malloc(big + 64);
  size_t n = (size_t)sprintf(body, "{\"s\":\"");
  memset(body + n, 'a', big - n);
  n = big;
  n += (size_t)sprintf(body + n, "\"}\n{\"s\":\"ok\"}\n");
  parse(&all, body);
  fl_free(body);
  cr_assert_eq(R.nrows, 1);
  assert_str(8, 0, "ok");
  assert_reject(0, 1, NULL, "record of 1048678 bytes exceeds the limit of 1048576 bytes");
}

Test(json_parse, the_parser_is_reused_across_bodies) {
  parse(&all, "{\"s\":\"one\"}\n{\"s\":1}\n");
  fl_err err = {0};
  const char *b2 = "{\"s\":\"two\"}";
  cr_assert_eq(fl_json_parse(P, b2, strlen(b2), &R, &err), FL_OK);
  cr_assert_eq(R.nrows, 1);
  cr_assert_eq(R.nrejects, 0);
  assert_str(8, 0, "two");
}

Test(json_parse, keys_match_exactly_whatever_their_length) {
  fl_field f[] = {{1, "a", {FL_T_BIGINT, 0, 0}, false},
                  {2, "ab", {FL_T_BIGINT, 0, 0}, false},
                  {3, "abcdefg", {FL_T_BIGINT, 0, 0}, false},
                  {4, "abcdefgh", {FL_T_BIGINT, 0, 0}, false},
                  {5, "abcdefghijklmno", {FL_T_BIGINT, 0, 0}, false},
                  {6, "abcdefghijklmnop_a_long_name", {FL_T_BIGINT, 0, 0}, false},
                  {7, "Zürich", {FL_T_BIGINT, 0, 0}, false}};
  fl_schema s = {0, 7, f, 0, NULL};
  parse(&s,
        "{\"a\":1,\"ab\":2,\"abcdefg\":3,\"abcdefgh\":4,\"abcdefghijklmno\":5,"
        "\"abcdefghijklmnop_a_long_name\":6,\"Z\\u00fcrich\":7}\n"
        "{\"abcdefghijklmnop_a_long_name\":16,\"abcdefghijklmno\":15,\"abcdefgh\":14,\"abcdefg\":13,"
        "\"ab\":12,\"a\":11,\"Zürich\":17}\n"
        "{\"abc\":1,\"abcdefgi\":1,\"abcdefghijklmnoq\":1,\"abcdefghijklmnop_a_long_nam\":1,\"A\":1}\n");
  cr_assert_eq(R.nrows, 3);
  for (uint32_t c = 0; c < 7; c++) {
    cr_assert_eq(R.batch->cols[c].data.i64[0], c + 1, "col %u", c);
    cr_assert_eq(R.batch->cols[c].data.i64[1], c + 11, "col %u", c);
    assert_null(c, 2);
  }
}

Test(json_parse, json_columns_keep_the_text_without_blanks_outside_strings) {
  parse(&all,
        "{\"j\": [ 1 , {\"a\" : \"\\u00e9 \\\" } \"} ] , \"s\" : \"x\" "
        "}\n{\"j\":-0.5e+3}\n{\"j\":true}\n{\"j\":null}\n{\"j\":123456789012345678901234567890}\n");
  cr_assert_eq(R.nrows, 5);
  assert_str(9, 0, "[1,{\"a\":\"\\u00e9 \\\" } \"}]"); /* escapes and string blanks kept */
  assert_str(9, 4, "123456789012345678901234567890");  /* integers of any size */
  assert_str(8, 0, "x");
  assert_str(9, 1, "-0.5e+3");
  assert_str(9, 2, "true");
  assert_null(9, 3);
}

Test(json_parse, the_last_line_may_lack_its_newline_and_still_be_rejected) {
  char body[4096];
  size_t n = 0;
  for (int i = 0; i < 20; i++)
    n += (size_t)snprintf(body + n, sizeof body - n, "{\"l\":%d,\"s\":\"%032d\"}\n", i, i);
  n += (size_t)snprintf(body + n, sizeof body - n, "{\"l\":20,\"s\":\"unterminated");
  parse(&all, body);
  cr_assert_eq(R.nrows, 20);
  cr_assert_eq(R.batch->cols[2].data.i64[19], 19);
  assert_reject(0, 21, NULL, "invalid JSON: unterminated string, found end of line");
  cr_assert_eq(R.rejects[0].raw_off + R.rejects[0].raw_len, n);
  cr_assert_eq(R.rows[19].raw_off + R.rows[19].raw_len + 1, R.rejects[0].raw_off);
}

Test(json_parse, a_nul_byte_in_a_line_is_a_syntax_error_of_that_line_only) {
  const char body[] = "{\"s\":\"a\0b\"}\n{\"s\":\"ok\"}\n";
  if (P) fl_json_parser_free(P);
  P = fl_json_parser_new(&all);
  fl_err err = {0};
  cr_assert_eq(fl_json_parse(P, body, sizeof body - 1, &R, &err), FL_OK);
  cr_assert_eq(R.nrows, 1);
  assert_str(8, 0, "ok");
  assert_reject(0, 1, NULL, "invalid JSON: control character in a string, found '?b\"}'");
}

Test(json_parse, a_byte_order_mark_is_skipped) {
  parse(&all, "\xEF\xBB\xBF{\"l\":1}\n{\"l\":2}");
  cr_assert_eq(R.nrows, 2);
  cr_assert_eq(R.rows[0].raw_off, 3);
  cr_assert_eq(R.rows[1].line, 2);
  parse(&all, "\xEF\xBB\xBF [{\"l\":1}]");
  cr_assert_eq(R.nrows, 1);
  cr_assert_eq(R.rows[0].raw_off, 5);
}

Test(json_parse, floating_point_values_out_of_range_are_rejected) {
  parse(&all, "{\"d\":1e308,\"f\":3.4e38}\n{\"d\":1e309}\n{\"f\":3.5e38}\n{\"d\":-1e400}\n{\"d\":1e-400}\n");
  cr_assert_eq(R.nrows, 2);
  cr_assert_eq(R.batch->cols[4].data.f64[0], 1e308);
  cr_assert_eq(R.batch->cols[3].data.f32[0], 3.4e38f);
  cr_assert_eq(R.batch->cols[4].data.f64[1], 0);
  assert_reject(0, 2, "d", "field d: expected DOUBLE, found 1e309");
  assert_reject(1, 3, "f", "field f: expected REAL, found 3.5e38");
  assert_reject(2, 4, "d", "field d: expected DOUBLE, found -1e400");
}

/* Regression (issue 11): unknown fields vanished silently; now counted per body, and
 * with FL_JSON_UNKNOWN_REJECT a record holding one is a reject naming the key. */
Test(json_parse, unknown_fields_are_counted_or_rejected) {
  parse(&all, "{\"s\":\"a\",\"amout\":1,\"x\":{\"y\":2}}\n{\"s\":\"b\"}\n{\"s\":1,\"zz\":3}\n");
  cr_assert_eq(R.nrows, 2);
  cr_assert_eq(R.unknown_fields, 2, "unknown fields of accepted rows: %u", R.unknown_fields);
  assert_reject(0, 3, "s", "field s: expected STRING, found 1");

  fl_err err = {0};
  fl_json_parser_set_unknown_fields(P, FL_JSON_UNKNOWN_REJECT);
  const char *body = "{\"s\":\"a\",\"amout\":1}\n{\"s\":\"b\"}\n{\"s\":\"c\",\"a\\\"b\":1,\"q\":2}\n";
  cr_assert_eq(fl_json_parse(P, body, strlen(body), &R, &err), FL_OK);
  cr_assert_eq(R.nrows, 1);
  assert_str(8, 0, "b");
  cr_assert_eq(R.unknown_fields, 0);
  assert_reject(0, 1, NULL, "field amout: not in the schema (unknown_fields = 'reject')");
  assert_reject(1, 3, NULL, "field a\\\"b: not in the schema (unknown_fields = 'reject')");
}

/* Regression (issue 11): DEFAULT was parsed and ignored, so a NOT NULL column with a
 * DEFAULT rejected records that left it out. Absent fields take the default; an
 * explicit null stays null (and is a reject in a NOT NULL column). */
Test(json_parse, absent_fields_take_their_default) {
  static fl_field f[] = {
      {1, "id", {FL_T_BIGINT, 0, 0}, true},        {2, "currency", {FL_T_STRING, 0, 0}, true},
      {3, "amount", {FL_T_DECIMAL, 12, 2}, false}, {4, "day", {FL_T_DATE, 0, 0}, false},
      {5, "note", {FL_T_STRING, 0, 0}, false},
  };
  static fl_schema s = {0, 5, f, 0, NULL};
  fl_value d[5] = {{.is_null = true},
                   {.type = {FL_T_STRING, 0, 0}, .u.str = {"EUR", 3}},
                   {.type = {FL_T_DECIMAL, 12, 2}, .u.i64 = 150},
                   {.type = {FL_T_DATE, 0, 0}, .u.i32 = 20000},
                   {.is_null = true}};
  if (P) fl_json_parser_free(P);
  P = fl_json_parser_new(&s);
  fl_json_parser_set_defaults(P, d);
  fl_err err = {0};
  const char *body =
      "{\"id\":1}\n{\"id\":2,\"currency\":\"USD\",\"amount\":2}\n{\"id\":3,\"currency\":null}\n"
      "{\"id\":4,\"amount\":null,\"note\":\"n\"}\n";
  cr_assert_eq(fl_json_parse(P, body, strlen(body), &R, &err), FL_OK);
  cr_assert_eq(R.nrows, 3);
  assert_str(1, 0, "EUR");
  cr_assert_eq(R.batch->cols[2].data.i64[0], 150);
  cr_assert_eq(R.batch->cols[3].data.i32[0], 20000);
  assert_null(4, 0);
  assert_str(1, 1, "USD");
  cr_assert_eq(R.batch->cols[2].data.i64[1], 200);
  assert_reject(0, 3, "currency", "field currency: null in a NOT NULL column");
  assert_str(1, 2, "EUR");
  assert_null(2, 2); /* explicit null: no default */
  assert_str(4, 2, "n");
}

/* Regression: FLT_MAX's shortest spelling (3.4028235e38, what printf("%g")-style
 * writers and floe's own output give) is above FLT_MAX as a double but rounds to it:
 * a REAL column takes it (floe load did, the events API refused it). */
Test(json_parse, real_columns_take_what_rounds_to_a_finite_float) {
  parse(&all, "{\"f\":3.4028235e38}\n{\"f\":-3.4028235e38}\n{\"f\":3.4028236e38}\n");
  cr_assert_eq(R.nrows, 2);
  cr_assert_eq(R.batch->cols[3].data.f32[0], FLT_MAX);
  cr_assert_eq(R.batch->cols[3].data.f32[1], -FLT_MAX);
  assert_reject(0, 3, "f", "field f: expected REAL, found 3.4028236e38");
}

/* Blanks are dropped where the value has them: not after it, at its end, and in a
 * long value; a blank inside a string is kept. */
Test(json_parse, json_blanks_are_dropped_only_inside_the_value) {
  parse(&all,
        "{\"j\":[1,2,3,4,5,6,7,8,9,10]   ,\"s\":\"x\"}\n{\"j\":[1,2,3,4,5,6,7,8,9, 10]}\n"
        "{\"j\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,\"a b\"] }\n");
  cr_assert_eq(R.nrows, 3);
  assert_str(9, 0, "[1,2,3,4,5,6,7,8,9,10]");
  assert_str(9, 1, "[1,2,3,4,5,6,7,8,9,10]");
  assert_str(9, 2, "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,\"a b\"]");
}

/* fl_json_parse_into: the accepted rows land in the caller's batch after its rows, each
 * schema column in its mapped column (any order), the caller's other columns
 * untouched; a reject leaves no trace; rows[] and lines count from this call. Then the
 * parser's own batch still works. */
Test(json_parse, parse_into_appends_to_a_callers_batch_through_a_column_map) {
  fl_field f[] = {{1, "id", {FL_T_STRING, 0, 0}, true}, {2, "n", {FL_T_BIGINT, 0, 0}, false}};
  fl_schema sch = {0, 2, f, 0, NULL};
  /* the caller's batch: extra, n, id (another order, one column the parser lacks) */
  fl_field bf[] = {{1, "extra", {FL_T_INT, 0, 0}, false}, f[1], f[0]};
  fl_batch *b = fl_batch_new(bf, 3, 2);
  fl_vec_append_i32(&b->cols[0], 7);
  fl_vec_append_i64(&b->cols[1], 70);
  fl_vec_append_str(&b->cols[2], "first", 5);
  fl_batch_set_rows(b, 1);
  fl_json_parser *p = fl_json_parser_new(&sch);
  const uint32_t map[] = {2, 1};
  const char *body =
      "{\"id\":\"a\",\"n\":1}\n{\"id\":\"bad\",\"n\":\"x\"}\n{\"n\":3,\"id\":\"c\"}\n{\"id\":\"d\"}\n";
  fl_json_result res;
  fl_err err;
  cr_assert_eq(fl_json_parse_into(p, body, strlen(body), b, map, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.batch, b);
  cr_assert_eq(res.nrows, 3);
  cr_assert_eq(res.nrejects, 1);
  cr_assert_eq(res.rejects[0].line, 2);
  cr_assert_eq(res.rows[0].line, 1);
  cr_assert_eq(res.rows[1].line, 3);
  cr_assert_eq(res.rows[2].line, 4);
  cr_assert_eq(b->cols[0].len, 1, "the column the parser lacks is the caller's");
  cr_assert_eq(b->cols[1].len, 4);
  cr_assert_eq(b->cols[2].len, 4);
  const char *ids[] = {"first", "a", "c", "d"};
  for (uint32_t r = 0; r < 4; r++) {
    uint32_t n;
    const char *s = fl_vec_str(&b->cols[2], r, &n);
    cr_assert(n == strlen(ids[r]) && !memcmp(s, ids[r], n), "row %u: %.*s", r, (int)n, s);
  }
  cr_assert_eq(b->cols[1].data.i64[0], 70);
  cr_assert_eq(b->cols[1].data.i64[1], 1);
  cr_assert_eq(b->cols[1].data.i64[2], 3);
  cr_assert(!fl_vec_is_valid(&b->cols[1], 3));
  for (uint32_t r = 1; r < 4; r++) fl_vec_append_i32(&b->cols[0], (int32_t)r);
  fl_batch_set_rows(b, 4);
  /* the parser's own batch afterwards */
  cr_assert_eq(fl_json_parse(p, "{\"id\":\"z\",\"n\":9}\n", 17, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.nrows, 1);
  cr_assert_neq(res.batch, b);
  cr_assert_eq(res.batch->cols[1].data.i64[0], 9);
  cr_assert_eq(b->nrows, 4);
  fl_json_parser_free(p);
  fl_batch_free(b);
}

/* The fast paths (separator chain, 8-digit integers and decimals, the timestamp layout
 * and its day cache, the compact JSON skip) give exactly the general path's values
 * and rejects at their boundaries. */
Test(json_parse, compact_fields_in_schema_order_match_the_general_path) {
  parse(&all,
        "{\"b\":true,\"i\":7,\"l\":-8,\"s\":\"x\",\"s\":\"second\",\"j\":[1]}\n"
        "{\"s\":\"y\",\"b\":false,\"i\":1,\"l\":2 ,\"f\":1.5, \"d\":2.5,\"m\" :1}\n"
        "{\"b\":true,\"i\":1,\"l\":\"3\",\"f\":1,\"zz\":1,\"d\":1,\"m\":1,\"b\":false}\n"
        "{\"b\":true,\"i\":1,\"l\":1,\"f\":1,\"d\":1,\"m\":1,\"dt\":\"2026-11-20\",\"ts\":0,\"s\":\"\",\"j\":"
        "{}}\n");
  cr_assert_eq(R.nrows, 4, "%s", R.nrejects ? R.rejects[0].reason : "");
  assert_str(8, 0, "second");
  cr_assert_eq(R.batch->cols[8].offsets[1], 6, "the duplicate's bytes replace the first's");
  assert_str(9, 0, "[1]");
  cr_assert_eq(R.batch->cols[2].data.i64[1], 2);
  cr_assert_eq(R.batch->cols[4].data.f64[1], 2.5);
  cr_assert_eq(R.batch->cols[5].data.i64[1], 100);
  cr_assert_eq(R.batch->cols[0].data.b[2], 0, "the last duplicate wins after a chain");
  cr_assert_eq(R.batch->cols[2].data.i64[2], 3);
  cr_assert_eq(R.unknown_fields, 1);
  assert_str(9, 3, "{}");
}

Test(json_parse, integers_of_every_length_read_alike) {
  parse(&all,
        "{\"l\":0}\n{\"l\":-0}\n{\"l\":7}\n{\"l\":1234567}\n{\"l\":-12345678}\n{\"l\":123456789012345678}\n"
        "{\"l\":9223372036854775807}\n{\"l\":-9223372036854775808}\n{\"i\":-2147483648}\n"
        "{\"l\":01}\n{\"l\":1234567.0}\n{\"l\":12e1}\n{\"i\":2147483648}\n{\"l\":-}\n");
  cr_assert_eq(R.nrows, 9);
  int64_t want[] = {0, 0, 7, 1234567, -12345678, 123456789012345678, INT64_MAX, INT64_MIN};
  for (int i = 0; i < 8; i++) cr_assert_eq(R.batch->cols[2].data.i64[i], want[i], "row %d", i);
  cr_assert_eq(R.batch->cols[1].data.i32[8], INT32_MIN);
  cr_assert_eq(R.nrejects, 5);
  assert_reject(0, 10, NULL, "invalid JSON: expected ',' or '}' after a value, found '1}'");
  assert_reject(1, 11, "l", "field l: expected BIGINT, found 1234567.0");
  assert_reject(2, 12, "l", "field l: expected BIGINT, found 12e1");
  assert_reject(3, 13, "i", "field i: expected INT, found 2147483648");
  assert_reject(4, 14, NULL, "invalid JSON: bad number, found '-}'");
}

Test(json_parse, decimals_of_every_shape_are_exact) {
  fl_field f[] = {{1, "m", {FL_T_DECIMAL, 12, 2}, false},
                  {2, "n", {FL_T_DECIMAL, 18, 9}, false},
                  {3, "k", {FL_T_DECIMAL, 3, 0}, false}};
  fl_schema s = {0, 3, f, 0, NULL};
  parse(&s,
        "{\"m\":670.45,\"n\":0.12345678,\"k\":999}\n"
        "{\"m\":-0.5,\"n\":-123456789.123456789,\"k\":-0}\n"
        "{\"m\":1234567.8,\"n\":1.2,\"k\":0}\n"
        "{\"m\":9999999999.99,\"n\":12345678.87654321}\n"
        "{\"m\":670.450}\n"
        "{\"m\":1.}\n"
        "{\"m\":99999999999}\n"
        "{\"k\":1000}\n"
        "{\"k\":1.5}\n"
        "{\"n\":1.1234567891}\n"
        "{\"k\":1.0}\n");
  cr_assert_eq(R.nrows, 6, "%s", R.nrejects ? R.rejects[0].reason : "");
  const fl_vec *m = &R.batch->cols[0], *n = &R.batch->cols[1], *k = &R.batch->cols[2];
  int64_t want_m[] = {67045, -50, 123456780, 999999999999, 67045};
  int64_t want_n[] = {123456780, -123456789123456789, 1200000000, 12345678876543210};
  for (int i = 0; i < 5; i++) cr_assert_eq(m->data.i64[i], want_m[i], "m row %d", i);
  for (int i = 0; i < 4; i++) cr_assert_eq(n->data.i64[i], want_n[i], "n row %d", i);
  cr_assert_eq(k->data.i64[0], 999);
  cr_assert_eq(k->data.i64[1], 0);
  cr_assert_eq(k->data.i64[5], 1, "zeros beyond the scale are fine");
  cr_assert_eq(R.nrejects, 5);
  assert_reject(0, 6, NULL, "invalid JSON: bad number, found '1.}'");
  assert_reject(1, 7, "m", "field m: expected DECIMAL(12,2), found 99999999999");
  assert_reject(2, 8, "k", "field k: expected DECIMAL(3,0), found 1000");
  assert_reject(3, 9, "k", "field k: expected DECIMAL(3,0), found 1.5");
  assert_reject(4, 10, "n", "field n: expected DECIMAL(18,9), found 1.1234567891");
}

Test(json_parse, timestamps_of_every_fraction_length_and_repeated_days_read_alike) {
  parse(&all,
        "{\"ts\":\"2026-11-20T00:00:00.428519Z\"}\n{\"ts\":\"2026-11-20T23:59:60.4Z\"}\n"
        "{\"ts\":\"2026-11-20T01:02:03.1234567Z\"}\n{\"ts\":\"2026-11-20T01:02:03.123456789Z\"}\n"
        "{\"ts\":\"2024-02-29T12:00:00Z\"}\n{\"ts\":\"2024-02-29T12:00:00.5Z\"}\n"
        "{\"ts\":\"1969-12-31T23:59:59.999999Z\"}\n"
        "{\"ts\":\"2023-02-29T12:00:00Z\"}\n{\"ts\":\"2023-02-29T12:00:00Z\"}\n"
        "{\"ts\":\"2026-11-20T24:00:00Z\"}\n{\"ts\":\"2026-11-20T00:00:00.Z\"}\n");
  cr_assert_eq(R.nrows, 7, "%s", R.nrejects ? R.rejects[0].reason : "");
  const fl_vec *t = &R.batch->cols[7];
  int64_t day = ts("2026-11-20T00:00:00Z");
  cr_assert_eq(t->data.i64[0], day + 428519);
  cr_assert_eq(t->data.i64[1], day + 86400ll * 1000000 + 400000, "a leap second counts as :60");
  cr_assert_eq(t->data.i64[2], day + 3723123456ll);
  cr_assert_eq(t->data.i64[3], day + 3723123456ll, "beyond micros: truncated");
  cr_assert_eq(t->data.i64[4], ts("2024-02-29T12:00:00Z"));
  cr_assert_eq(t->data.i64[5], ts("2024-02-29T12:00:00Z") + 500000);
  cr_assert_eq(t->data.i64[6], -1);
  cr_assert_eq(R.nrejects, 4);
  assert_reject(0, 8, "ts", "field ts: expected TIMESTAMP, found \"2023-02-29T12:00:00Z\"");
  assert_reject(1, 9, "ts", "field ts: expected TIMESTAMP, found \"2023-02-29T12:00:00Z\"");
  assert_reject(2, 10, "ts", "field ts: expected TIMESTAMP, found \"2026-11-20T24:00:00Z\"");
  assert_reject(3, 11, "ts", "field ts: expected TIMESTAMP, found \"2026-11-20T00:00:00.Z\"");
}

Test(json_parse, compact_json_values_and_their_errors_match_the_general_skip) {
  char body[1024];
  size_t n = (size_t)snprintf(body, sizeof body, "{\"j\":");
  for (int i = 0; i < 40; i++) body[n++] = '['; /* deeper than the compact loop goes */
  for (int i = 0; i < 40; i++) body[n++] = ']';
  snprintf(body + n, sizeof body - n, "%s",
           "}\n"
           "{\"j\":{\"a\":[true,false,null,-1.5e3,\"x\",{}],\"b\":{\"c\":[]}}}\n"
           "{\"j\":{\"a\": [1, 2]}}\n"
           "{\"j\":{\"a\":\"\\u00e9\"}}\n"
           "{\"j\":{\"a\":}}\n"
           "{\"j\":[1,]}\n"
           "{\"j\":{\"a\" 1}}\n"
           "{\"j\":[01]}\n"
           "{\"j\":{\"a\":tru}}\n"
           "{\"zz\":{\"q\":[1,{\"r\":\"s\"}]},\"j\":7}\n");
  parse(&all, body);
  cr_assert_eq(R.nrows, 5, "%s", R.nrejects ? R.rejects[0].reason : "");
  cr_assert_eq(R.batch->cols[9].offsets[1], 80);
  assert_str(9, 1, "{\"a\":[true,false,null,-1.5e3,\"x\",{}],\"b\":{\"c\":[]}}");
  assert_str(9, 2, "{\"a\":[1,2]}");
  assert_str(9, 3, "{\"a\":\"\\u00e9\"}");
  assert_str(9, 4, "7");
  cr_assert_eq(R.unknown_fields, 1);
  cr_assert_eq(R.nrejects, 5);
  assert_reject(0, 5, NULL, "invalid JSON: expected a value, found '}}'");
  assert_reject(1, 6, NULL, "invalid JSON: expected a value, found ']}'");
  assert_reject(2, 7, NULL, "invalid JSON: expected ':' after a field name, found '1}}'");
  assert_reject(3, 8, NULL, "invalid JSON: expected ',' or ']', found '1]}'");
  assert_reject(4, 9, NULL, "invalid JSON: expected a value, found 'tru}}'");
}
