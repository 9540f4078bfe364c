/* parse_fuzz: libFuzzer over the column-list and partition-spec parsers, and over
 * value expressions from parse to evaluation.
 *
 * Checks invariants, not golden output: no crash or sanitizer report on any bytes; a
 * failure is FL_EPARSE/FL_ELIMIT with a "line L, column C: " message and no result;
 * a success has 1..FL_COLUMNS_MAX columns with unique non-empty names of at most
 * FL_NAME_MAX bytes and valid types, and formatting the columns back to SQL
 * (fl_sql_columns_format) parses to the same columns (names, types, NOT NULL, CHECK).
 * The same bytes as one expression: a parse formats back to a text that parses to the
 * same text again; binding against a schema of every type (i INT, b BIGINT, d
 * DECIMAL(12,2), w DECIMAL(38,4), f DOUBLE, s STRING, t TIMESTAMP, dt DATE, j JSON,
 * ok BOOLEAN) types every node or fails with a position; a bound expression that
 * compiles (fl_sql_eval_add_value) runs over a 3-row batch of ordinary, NULL and
 * extreme values, giving 3 values of the compiled type with nulls zeroed, or a runtime
 * error (FL_ELIMIT, FL_ETYPE, FL_EINVAL) whose message starts with the label; a
 * BOOLEAN one also runs as a predicate (fl_sql_eval_add) with results 0, 1 or 2.
 * Seed corpus: tests/fuzz/corpus/sql/. Run:
 *   build-fuzz/fuzz/parse_fuzz -max_total_time=60 tests/fuzz/corpus/sql */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/types.h"
#include "sql/sql.h"

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

static void check_error(fl_code rc, const fl_err *err) {
  CHECK(rc == FL_EPARSE || rc == FL_ELIMIT);
  CHECK(err->code == rc);
  CHECK(rc == FL_ELIMIT || strncmp(err->msg, "line ", 5) == 0);
}

static void check_columns(const fl_sql_column *cols, uint32_t n) {
  CHECK(n >= 1 && n <= FL_COLUMNS_MAX);
  for (uint32_t i = 0; i < n; i++) {
    size_t len = strlen(cols[i].name);
    CHECK(len >= 1 && len <= FL_NAME_MAX);
    CHECK(cols[i].type.kind >= FL_T_BOOLEAN && cols[i].type.kind <= FL_T_JSON);
    if (cols[i].type.kind == FL_T_DECIMAL) {
      CHECK(cols[i].type.precision >= 1 && cols[i].type.precision <= FL_DECIMAL_PRECISION_MAX);
      CHECK(cols[i].type.scale <= cols[i].type.precision);
    } else {
      CHECK(cols[i].type.precision == 0 && cols[i].type.scale == 0);
    }
    CHECK(cols[i].line >= 1 && cols[i].col >= 1);
    CHECK(!cols[i].check_sql || cols[i].check_sql[0] != 0);
    for (uint32_t j = 0; j < i; j++) CHECK(strcmp(cols[i].name, cols[j].name) != 0);
  }
}

static void round_trip(const fl_sql_column *cols, uint32_t n, fl_arena *arena) {
  fl_buf b = FL_BUF_INIT;
  fl_sql_columns_format(cols, n, &b);
  fl_sql_column *again = NULL;
  uint32_t n2 = 0;
  fl_err err;
  fl_code rc = fl_sql_parse_columns((const char *)b.data, b.len, arena, &again, &n2, &err);
  CHECK(rc == FL_OK);
  CHECK(n2 == n);
  for (uint32_t i = 0; i < n; i++) {
    CHECK(strcmp(again[i].name, cols[i].name) == 0);
    CHECK(fl_type_equal(again[i].type, cols[i].type));
    CHECK(again[i].not_null == cols[i].not_null);
    CHECK((again[i].check_sql == NULL) == (cols[i].check_sql == NULL));
    CHECK(!cols[i].check_sql || strcmp(again[i].check_sql, cols[i].check_sql) == 0);
  }
  fl_buf_free(&b);
}

static fl_field efields[] = {
    {1, "i", {FL_T_INT, 0, 0, 0}, false, NULL},       {2, "b", {FL_T_BIGINT, 0, 0, 0}, false, NULL},
    {3, "d", {FL_T_DECIMAL, 12, 2, 0}, false, NULL},  {4, "w", {FL_T_DECIMAL, 38, 4, 0}, false, NULL},
    {5, "f", {FL_T_DOUBLE, 0, 0, 0}, false, NULL},    {6, "s", {FL_T_STRING, 0, 0, 0}, false, NULL},
    {7, "t", {FL_T_TIMESTAMP, 0, 0, 0}, false, NULL}, {8, "dt", {FL_T_DATE, 0, 0, 0}, false, NULL},
    {9, "j", {FL_T_JSON, 0, 0, 0}, false, NULL},      {10, "ok", {FL_T_BOOLEAN, 0, 0, 0}, false, NULL},
};
static fl_schema eschema = {0, 10, efields, 0, NULL};
static fl_batch *ebatch;

/* row 0 ordinary, row 1 all NULL, row 2 extremes */
static fl_batch *make_batch(void) {
  fl_batch *b = fl_batch_new(efields, 10, 4);
  fl_vec_append_i32(&b->cols[0], 3);
  fl_vec_append_i64(&b->cols[1], 10);
  fl_vec_append_i64(&b->cols[2], 150);
  fl_vec_append_dec(&b->cols[3], (fl_i128)123456789 * 1000000000 * 1000000000);
  fl_vec_append_f64(&b->cols[4], 2.5);
  fl_vec_append_str(&b->cols[5], "Hello, wörld", 13);
  fl_vec_append_i64(&b->cols[6], INT64_C(1706695200000000));
  fl_vec_append_i32(&b->cols[7], 19753);
  fl_vec_append_str(&b->cols[8], "{\"a\": [1, {\"b\": \"x\"}]}", 22);
  fl_vec_append_bool(&b->cols[9], true);
  for (int c = 0; c < 10; c++) fl_vec_append_null(&b->cols[c]);
  fl_vec_append_i32(&b->cols[0], INT32_MIN);
  fl_vec_append_i64(&b->cols[1], INT64_MAX);
  fl_vec_append_i64(&b->cols[2], -999999999999);
  fl_vec_append_dec(&b->cols[3], -(fl_dec128_pow10(38) - 1));
  fl_vec_append_f64(&b->cols[4], -1e308);
  fl_vec_append_str(&b->cols[5], "%_\\", 3);
  fl_vec_append_i64(&b->cols[6], INT64_C(-62135596800000000));
  fl_vec_append_i32(&b->cols[7], -719162);
  fl_vec_append_str(&b->cols[8], "not json", 8);
  fl_vec_append_bool(&b->cols[9], false);
  fl_batch_set_rows(b, 3);
  return b;
}

static void check_expr(const char *text, size_t size, fl_arena *arena) {
  fl_sql_expr *e = NULL;
  fl_err err;
  if (fl_sql_parse_expr(text, size, arena, &e, &err) != FL_OK) return;
  /* format, parse, format: the same text */
  fl_buf f1 = FL_BUF_INIT, f2 = FL_BUF_INIT;
  fl_sql_expr_format(e, 0, &f1);
  fl_sql_expr *again = NULL;
  CHECK(fl_sql_parse_expr((const char *)f1.data, f1.len, arena, &again, &err) == FL_OK);
  fl_sql_expr_format(again, 0, &f2);
  CHECK(f1.len == f2.len && memcmp(f1.data, f2.data, f1.len) == 0);
  fl_buf_free(&f1);
  fl_buf_free(&f2);
  fl_code rc = fl_sql_expr_bind(e, &eschema, &err);
  if (rc) {
    CHECK(rc == FL_EPARSE && strncmp(err.msg, "line ", 5) == 0);
    return;
  }
  if (!ebatch) ebatch = make_batch();
  fl_sql_eval *ev = fl_sql_eval_new(&eschema);
  uint32_t k;
  rc = fl_sql_eval_add_value(ev, e, "x", &k, &err);
  if (rc == FL_OK) {
    const fl_vec *v = NULL;
    fl_type t = fl_sql_eval_type(ev, k);
    rc = fl_sql_eval_value(ev, k, ebatch, &v, &err);
    if (rc == FL_OK) {
      CHECK(v && v->len == 3 && fl_type_equal(v->type, t));
      for (uint32_t i = 0; i < 3; i++)
        if (!fl_vec_is_valid(v, i) && fl_type_is_bytes(t.kind)) CHECK(v->offsets[i + 1] == v->offsets[i]);
      if (t.kind == FL_T_DECIMAL)
        for (uint32_t i = 0; i < 3; i++) CHECK(fl_dec128_fits(fl_vec_dec(v, i), t.precision));
    } else {
      CHECK(rc == FL_ELIMIT || rc == FL_ETYPE || rc == FL_EINVAL);
      CHECK(strncmp(err.msg, "x: line ", 8) == 0);
    }
  } else {
    CHECK(rc == FL_EUNSUPPORTED || rc == FL_ETYPE);
  }
  fl_sql_eval_free(ev);
  if (e->rtype == FL_SQL_RT_VALUE && e->type.kind == FL_T_BOOLEAN) {
    ev = fl_sql_eval_new(&eschema);
    if (fl_sql_eval_add(ev, e, "p", &k, &err) == FL_OK) {
      const uint8_t *r = fl_sql_eval_run(ev, k, ebatch);
      for (uint32_t i = 0; i < 3; i++) CHECK(r[i] <= 2);
    }
    fl_sql_eval_free(ev);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024) return 0;
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  const char *text = (const char *)data;

  fl_sql_column *cols = NULL;
  uint32_t n = 0;
  fl_err err;
  fl_code rc = fl_sql_parse_columns(text, size, &arena, &cols, &n, &err);
  if (rc == FL_OK) {
    check_columns(cols, n);
    round_trip(cols, n, &arena);
  } else {
    check_error(rc, &err);
    CHECK(cols == NULL && n == 0);
  }

  fl_sql_partition_item *items = NULL;
  uint32_t nitems = 0;
  rc = fl_sql_parse_partition(text, size, &arena, &items, &nitems, &err);
  if (rc == FL_OK) {
    for (uint32_t i = 0; i < nitems; i++) {
      CHECK(items[i].transform && items[i].column && items[i].column[0]);
      bool param = strcmp(items[i].transform, "bucket") == 0 || strcmp(items[i].transform, "truncate") == 0;
      CHECK(param ? items[i].param >= 1 : items[i].param == 0);
    }
  } else {
    check_error(rc, &err);
  }
  check_expr(text, size, &arena);
  fl_arena_destroy(&arena);
  return 0;
}
