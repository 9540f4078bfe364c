/* Unit tests of the contract checker: CHECKs with IN lists, comparisons, BETWEEN,
 * NULL semantics (a CHECK passes when TRUE or unknown), rejects with reasons, and
 * the batch compacted to exactly the passing rows. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "ingest/contract.h"
#include "json/json.h"
#include "sql/sql.h"

static fl_field fields[] = {
    {1, "event_id", {FL_T_STRING, 0, 0}, true},  {2, "event_type", {FL_T_STRING, 0, 0}, false},
    {3, "amount", {FL_T_DECIMAL, 12, 2}, false}, {4, "qty", {FL_T_INT, 0, 0}, false},
    {5, "score", {FL_T_DOUBLE, 0, 0}, false},    {6, "event_time", {FL_T_TIMESTAMP, 0, 0}, false},
    {7, "day", {FL_T_DATE, 0, 0}, false},        {8, "ok", {FL_T_BOOLEAN, 0, 0}, false},
};
static fl_schema schema = {0, 8, fields, 0, NULL};

static fl_json_parser *P;
static fl_contract *C;
static fl_json_result R;

static void done(void) {
  fl_json_parser_free(P);
  fl_contract_free(C);
  P = NULL;
  C = NULL;
}

TestSuite(contract, .fini = done);

static void run(const char *const *checks, uint32_t n, const char *body) {
  fl_err err = {0};
  done();
  P = fl_json_parser_new(&schema);
  cr_assert_eq(fl_contract_new_sql(&schema, checks, n, &C, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_json_parse(P, body, strlen(body), &R, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_contract_check(C, P, &R, body, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(R.batch->nrows, R.nrows);
}

static void assert_ids(const char *want) { /* "a,b,c": the event_ids left, in order */
  char got[512] = "";
  size_t k = 0;
  for (uint32_t i = 0; i < R.nrows; i++) {
    uint32_t n;
    const char *s = fl_vec_str(&R.batch->cols[0], i, &n);
    k += (size_t)snprintf(got + k, sizeof got - k, "%s%.*s", i ? "," : "", (int)n, s);
  }
  cr_assert_str_eq(got, want);
}

static void assert_reject(uint32_t j, uint32_t line, const char *field, const char *reason) {
  cr_assert(j < R.nrejects, "only %u rejects", R.nrejects);
  cr_assert_eq(R.rejects[j].line, line, "reject %u line %u (%s)", j, R.rejects[j].line, R.rejects[j].reason);
  if (field)
    cr_assert_str_eq(R.rejects[j].field, field);
  else
    cr_assert_null(R.rejects[j].field);
  cr_assert_str_eq(R.rejects[j].reason, reason);
}

Test(contract, in_list_rejects_unknown_values_and_passes_null) {
  const char *checks[] = {"event_type IN ('order_created', 'order_paid')"};
  run(checks, 1,
      "{\"event_id\":\"a\",\"event_type\":\"order_paid\"}\n"
      "{\"event_id\":\"b\",\"event_type\":\"order_lost\"}\n"
      "{\"event_id\":\"c\"}\n"
      "{\"event_id\":\"d\",\"event_type\":\"order_created\"}\n"
      "{\"event_id\":\"e\",\"event_type\":\"Order_paid\"}\n");
  assert_ids("a,c,d");
  cr_assert_eq(R.nrejects, 2);
  assert_reject(0, 2, "event_type",
                "CHECK (event_type IN ('order_created', 'order_paid')) failed: event_type = 'order_lost'");
  assert_reject(1, 5, "event_type",
                "CHECK (event_type IN ('order_created', 'order_paid')) failed: event_type = 'Order_paid'");
  cr_assert_eq(R.rows[1].line, 3);
  cr_assert_eq(R.rows[2].line, 4);
}

Test(contract, comparisons_are_exact_on_decimals_and_typed_on_times) {
  const char *checks[] = {"amount >= 0", "amount < 1000.5", "event_time >= '2026-01-01T00:00:00Z'",
                          "day <= DATE '2026-12-31'"};
  run(checks, 4,
      "{\"event_id\":\"a\",\"amount\":0}\n"
      "{\"event_id\":\"b\",\"amount\":-0.01}\n"
      "{\"event_id\":\"c\",\"amount\":1000.49}\n"
      "{\"event_id\":\"d\",\"amount\":1000.50}\n"
      "{\"event_id\":\"e\",\"event_time\":\"2025-12-31T23:59:59.999999Z\"}\n"
      "{\"event_id\":\"f\",\"event_time\":\"2026-01-01T00:00:00Z\",\"day\":\"2026-12-31\"}\n"
      "{\"event_id\":\"g\",\"day\":\"2027-01-01\"}\n");
  assert_ids("a,c,f");
  cr_assert_eq(R.nrejects, 4);
  assert_reject(0, 2, "amount", "CHECK (amount >= 0) failed: amount = -0.01");
  assert_reject(1, 4, "amount", "CHECK (amount < 1000.5) failed: amount = 1000.50");
  assert_reject(2, 5, "event_time",
                "CHECK (event_time >= TIMESTAMP '2026-01-01T00:00:00Z') failed: event_time = "
                "'2025-12-31T23:59:59.999999Z'");
  assert_reject(3, 7, "day", "CHECK (day <= DATE '2026-12-31') failed: day = '2027-01-01'");
}

Test(contract, three_valued_logic_passes_unknown) {
  const char *checks[] = {"qty > 0 AND score < 1", "ok OR qty IS NOT NULL", "NOT (qty = 3)"};
  run(checks, 3,
      "{\"event_id\":\"a\",\"qty\":1,\"score\":0.5,\"ok\":false}\n" /* T, T, T */
      "{\"event_id\":\"b\",\"score\":0.5}\n"                        /* U AND T = U; U OR F = U; U */
      "{\"event_id\":\"c\",\"qty\":0}\n"                            /* F AND U = F */
      "{\"event_id\":\"d\",\"ok\":false}\n"                         /* U; F OR F = F */
      "{\"event_id\":\"e\",\"qty\":3,\"score\":0.1}\n"              /* NOT T = F */
      "{\"event_id\":\"f\",\"ok\":true,\"score\":2}\n");            /* U AND F = F */
  assert_ids("a,b");
  cr_assert_eq(R.nrejects, 4);
  assert_reject(0, 3, "qty", "CHECK (qty > 0 AND score < 1) failed: qty = 0, score = NULL");
  assert_reject(1, 4, "ok", "CHECK (ok OR qty IS NOT NULL) failed: ok = false, qty = NULL");
  assert_reject(2, 5, "qty", "CHECK (NOT qty = 3) failed: qty = 3");
  assert_reject(3, 6, "qty", "CHECK (qty > 0 AND score < 1) failed: qty = NULL, score = 2");
}

Test(contract, between_not_in_and_in_with_null) {
  const char *checks[] = {"qty BETWEEN 1 AND 10", "qty NOT IN (4, 5)", "score IN (1.5, NULL)"};
  run(checks, 3,
      "{\"event_id\":\"a\",\"qty\":1}\n"
      "{\"event_id\":\"b\",\"qty\":11}\n"
      "{\"event_id\":\"c\",\"qty\":4}\n"
      "{\"event_id\":\"d\",\"qty\":10,\"score\":1.5}\n"
      "{\"event_id\":\"e\",\"qty\":10,\"score\":2.5}\n");
  assert_ids("a,d,e");
  cr_assert_eq(R.nrejects, 2);
  assert_reject(0, 2, "qty", "CHECK (qty BETWEEN 1 AND 10) failed: qty = 11");
  assert_reject(1, 3, "qty", "CHECK (qty NOT IN (4, 5)) failed: qty = 4");
}

Test(contract, arithmetic_like_and_functions) {
  const char *checks[] = {"amount * 2 <= 100", "event_id LIKE 'e-%'", "length(event_type) < 6",
                          "lower(event_type) <> 'bad'"};
  run(checks, 4,
      "{\"event_id\":\"e-1\",\"amount\":50}\n"
      "{\"event_id\":\"e-2\",\"amount\":50.01}\n"
      "{\"event_id\":\"x-3\"}\n"
      "{\"event_id\":\"e-4\",\"event_type\":\"sixsix\"}\n"
      "{\"event_id\":\"e-5\",\"event_type\":\"BAD\"}\n");
  assert_ids("e-1");
  cr_assert_eq(R.nrejects, 4);
  assert_reject(0, 2, "amount", "CHECK (amount * 2 <= 100) failed: amount = 50.01");
  assert_reject(1, 3, "event_id", "CHECK (event_id LIKE 'e-%') failed: event_id = 'x-3'");
  assert_reject(2, 4, "event_type", "CHECK (length(event_type) < 6) failed: event_type = 'sixsix'");
  assert_reject(3, 5, "event_type", "CHECK (lower(event_type) <> 'bad') failed: event_type = 'BAD'");
}

Test(contract, parser_and_contract_rejects_merge_in_line_order) {
  const char *checks[] = {"qty > 0"};
  run(checks, 1,
      "{\"event_id\":\"a\",\"qty\":0}\n"
      "{\"qty\":1}\n"
      "{\"event_id\":\"c\",\"qty\":2}\n"
      "{\"event_id\":\"d\",\"qty\":-1}\n"
      "not json\n");
  assert_ids("c");
  cr_assert_eq(R.nrecords, 5);
  cr_assert_eq(R.nrejects, 4);
  assert_reject(0, 1, "qty", "CHECK (qty > 0) failed: qty = 0");
  assert_reject(1, 2, "event_id", "field event_id: missing (NOT NULL)");
  assert_reject(2, 4, "qty", "CHECK (qty > 0) failed: qty = -1");
  cr_assert_eq(R.rejects[3].line, 5);
  cr_assert_eq(R.rows[0].line, 3);
}

Test(contract, compaction_keeps_strings_and_nulls_of_passing_rows) {
  const char *checks[] = {"qty <> 2"};
  char body[100000];
  size_t n = 0;
  for (int i = 0; i < 3000; i++)
    n += (size_t)snprintf(body + n, sizeof body - n, "{\"event_id\":\"id%d\",\"qty\":%d%s}\n", i, i % 3,
                          i % 5 == 0 ? ",\"event_type\":\"t\"" : "");
  run(checks, 1, body);
  cr_assert_eq(R.nrows, 2000);
  uint32_t r = 0;
  for (int i = 0; i < 3000; i++) {
    if (i % 3 == 2) continue;
    char want[16];
    snprintf(want, sizeof want, "id%d", i);
    uint32_t len;
    const char *s = fl_vec_str(&R.batch->cols[0], r, &len);
    cr_assert(len == strlen(want) && !memcmp(s, want, len), "row %u", r);
    cr_assert_eq(R.batch->cols[3].data.i32[r], i % 3);
    cr_assert_eq(fl_vec_is_valid(&R.batch->cols[1], r), i % 5 == 0, "row %u", r);
    cr_assert_eq(R.rows[r].line, (uint32_t)i + 1);
    r++;
  }
}

Test(contract, the_orders_stream_checks_compile_from_create_stream) {
  const char *sql =
      "CREATE STREAM o (event_id STRING NOT NULL, event_type STRING NOT NULL CHECK (event_type IN "
      "('order_created', 'order_paid')), amount DECIMAL(12,2) CHECK (amount >= 0))";
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_sql_stream *st;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_create_stream(sql, strlen(sql), &arena, &st, &err), FL_OK, "%s", err.msg);
  const fl_sql_expr *exprs[8];
  for (uint32_t i = 0; i < st->nchecks; i++) exprs[i] = st->checks[i].expr;
  fl_contract *c;
  cr_assert_eq(fl_contract_new(&st->schema, exprs, st->nchecks, &c, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_contract_count(c), 2);
  fl_json_parser *p = fl_json_parser_new(&st->schema);
  const char *body =
      "{\"event_id\":\"1\",\"event_type\":\"order_paid\",\"amount\":\"-1\"}\n"
      "{\"event_id\":\"2\",\"event_type\":\"order_paid\",\"amount\":1}\n";
  fl_json_result res;
  cr_assert_eq(fl_json_parse(p, body, strlen(body), &res, &err), FL_OK);
  cr_assert_eq(fl_contract_check(c, p, &res, body, &err), FL_OK);
  cr_assert_eq(res.nrows, 1);
  cr_assert_eq(res.nrejects, 1);
  cr_assert_str_eq(res.rejects[0].reason, "CHECK (amount >= 0) failed: amount = -1.00");
  fl_json_parser_free(p);
  fl_contract_free(c);
  fl_arena_destroy(&arena);
}

Test(contract, unsupported_expressions_are_refused_at_compile_time) {
  const char *checks[] = {"CASE WHEN amount > 0 THEN INTERVAL '1 hour' END IS NULL"};
  fl_err err = {0};
  fl_contract *c;
  cr_assert_eq(fl_contract_new_sql(&schema, checks, 1, &c, &err), FL_EUNSUPPORTED);
  cr_assert_null(c);
  cr_assert(strstr(err.msg, "CASE of INTERVAL values is not supported"), "%s", err.msg);
}

Test(contract, numbers_of_different_types_compare_exactly) {
  /* regression (contract_fuzz): an integer literal beside a DOUBLE column is converted
   * at compile time, not by a step writing a whole batch into a constant */
  const char *checks[] = {"score > 1", "qty > 1.5", "coalesce(score, 0) * 2 < 10"};
  run(checks, 3,
      "{\"event_id\":\"a\",\"score\":0.5}\n"
      "{\"event_id\":\"b\",\"score\":1.5,\"qty\":2}\n"
      "{\"event_id\":\"c\",\"qty\":1}\n"
      "{\"event_id\":\"d\",\"score\":5}\n"
      "{\"event_id\":\"e\",\"score\":4.5,\"qty\":1000}\n");
  assert_ids("b,e");
  cr_assert_eq(R.nrejects, 3);
  assert_reject(0, 1, "score", "CHECK (score > 1) failed: score = 0.5");
  assert_reject(1, 3, "qty", "CHECK (qty > 1.5) failed: qty = 1");
  assert_reject(2, 4, "score", "CHECK (coalesce(score, 0) * 2 < 10) failed: score = 5");
}

Test(contract, booleans_dates_and_integer_lists) {
  const char *checks[] = {"ok = true OR ok IS NULL", "day < TIMESTAMP '2026-06-01 12:00:00'",
                          "qty IN (1, 2, 3) OR amount IN (1.5, 2)"};
  run(checks, 3,
      "{\"event_id\":\"a\",\"ok\":true,\"qty\":2}\n"
      "{\"event_id\":\"b\",\"ok\":false}\n"
      "{\"event_id\":\"c\",\"day\":\"2026-06-01\"}\n"
      "{\"event_id\":\"d\",\"day\":\"2026-06-02\"}\n"
      "{\"event_id\":\"e\",\"qty\":4,\"amount\":2.00}\n"
      "{\"event_id\":\"f\",\"qty\":4,\"amount\":2.01}\n");
  assert_ids("a,c,e");
  cr_assert_eq(R.nrejects, 3);
  assert_reject(0, 2, "ok", "CHECK (ok = TRUE OR ok IS NULL) failed: ok = false");
  assert_reject(1, 4, "day", "CHECK (day < TIMESTAMP '2026-06-01 12:00:00') failed: day = '2026-06-02'");
  assert_reject(2, 6, "qty", "CHECK (qty IN (1, 2, 3) OR amount IN (1.5, 2)) failed: qty = 4, amount = 2.01");
}

Test(contract, now_and_intervals_bound_event_times) {
  const char *checks[] = {"event_time <= now() + INTERVAL '1 day'", "day + 1 > DATE '2026-01-01'"};
  run(checks, 2,
      "{\"event_id\":\"a\",\"event_time\":\"2020-01-01T00:00:00Z\",\"day\":\"2026-01-01\"}\n"
      "{\"event_id\":\"b\",\"event_time\":\"2999-01-01T00:00:00Z\"}\n"
      "{\"event_id\":\"c\",\"day\":\"2025-12-31\"}\n");
  assert_ids("a");
  cr_assert_eq(R.nrejects, 2);
  assert_reject(0, 2, "event_time",
                "CHECK (event_time <= now() + INTERVAL '1 day') failed: event_time = '2999-01-01T00:00:00Z'");
  assert_reject(1, 3, "day", "CHECK (day + 1 > DATE '2026-01-01') failed: day = '2025-12-31'");
}

Test(contract, checks_on_a_decimal_38_compare_exactly_and_compact_16_byte_values) {
  /* a stream with DECIMAL(38,9): CHECKs compare 128-bit values exactly with narrow
   * and wide literals, rejects quote the exact value, and the batch keeps the 16-byte
   * values of the passing rows */
  fl_field wf[] = {{1, "event_id", {FL_T_STRING, 0, 0}, true}, {2, "total", {FL_T_DECIMAL, 38, 9}, false}};
  fl_schema ws = {0, 2, wf, 0, NULL};
  const char *checks[] = {"total >= -1", "total < 99999999999999999999999999999.999999999"};
  fl_err err = {0};
  done();
  P = fl_json_parser_new(&ws);
  cr_assert_eq(fl_contract_new_sql(&ws, checks, 2, &C, &err), FL_OK, "%s", err.msg);
  const char *body =
      "{\"event_id\":\"a\",\"total\":\"99999999999999999999999999999.999999998\"}\n"
      "{\"event_id\":\"b\",\"total\":\"99999999999999999999999999999.999999999\"}\n"
      "{\"event_id\":\"c\",\"total\":\"-1.000000001\"}\n"
      "{\"event_id\":\"d\",\"total\":null}\n"
      "{\"event_id\":\"e\",\"total\":\"-1\"}\n";
  cr_assert_eq(fl_json_parse(P, body, strlen(body), &R, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_contract_check(C, P, &R, body, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(R.batch->nrows, 3);
  assert_ids("a,d,e");
  char t[FL_DECIMAL_TEXT_MAX];
  fl_dec128_format(fl_vec_dec(&R.batch->cols[1], 0), 9, t);
  cr_assert_str_eq(t, "99999999999999999999999999999.999999998");
  cr_assert_not(fl_vec_is_valid(&R.batch->cols[1], 1));
  fl_dec128_format(fl_vec_dec(&R.batch->cols[1], 2), 9, t);
  cr_assert_str_eq(t, "-1.000000000");
  cr_assert_eq(R.nrejects, 2);
  assert_reject(0, 2, "total",
                "CHECK (total < 99999999999999999999999999999.999999999) failed: total = "
                "99999999999999999999999999999.999999999");
  assert_reject(1, 3, "total", "CHECK (total >= -1) failed: total = -1.000000001");
}
