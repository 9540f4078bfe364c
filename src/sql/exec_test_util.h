/* exec_test_util.h: helpers the executor's unit tests share (header only, tests only):
 * a query context over an arena, batches built from C arrays, and reading cells. */
#ifndef FL_SQL_EXEC_TEST_UTIL_H
#define FL_SQL_EXEC_TEST_UTIL_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/batch.h"
#include "core/mem.h"
#include "sql/exec.h"

typedef struct tctx {
  fl_arena arena;
  fl_exec_ctx ctx;
  fl_batch *owned[4096];
  uint32_t nowned;
} tctx;

static inline void tctx_init(tctx *t) {
  memset(t, 0, sizeof *t);
  fl_arena_init(&t->arena, 1 << 16);
  t->ctx.arena = &t->arena;
}
static inline void tctx_done(tctx *t) {
  for (uint32_t i = 0; i < t->nowned; i++) fl_batch_free(t->owned[i]);
  cr_assert_eq(t->ctx.mem_used, 0, "operators left %zu bytes charged", t->ctx.mem_used);
  fl_arena_destroy(&t->arena);
}
static inline fl_batch *tbatch(tctx *t, const fl_field *fields, uint32_t ncols) {
  fl_batch *b = fl_batch_new(fields, ncols, FL_EXEC_BATCH_ROWS);
  cr_assert(t->nowned < 4096);
  t->owned[t->nowned++] = b;
  return b;
}
/* Splits rows [0, n) produced by fill(row, batch) into batches of `per` rows, as a values source. */
typedef void (*tfill_fn)(fl_batch *b, uint32_t row, void *arg);
static inline fl_op *tsource(tctx *t, const fl_field *fields, uint32_t ncols, uint32_t n, uint32_t per,
                             tfill_fn fill, void *arg) {
  uint32_t nb = n ? (n + per - 1) / per : 1;
  const fl_batch **bs = fl_arena_calloc(&t->arena, nb, sizeof *bs);
  for (uint32_t k = 0; k < nb; k++) {
    fl_batch *b = tbatch(t, fields, ncols);
    uint32_t from = k * per, to = from + per < n ? from + per : n;
    for (uint32_t r = from; r < to; r++) fill(b, r, arg);
    fl_batch_set_rows(b, to > from ? to - from : 0);
    bs[k] = b;
  }
  return fl_op_values(&t->ctx, fields, ncols, (const fl_batch *const *)bs, nb);
}
static inline fl_batch *tcollect(fl_op *op) {
  fl_err err = {0};
  fl_batch *out;
  fl_code rc = fl_op_collect(op, &out, &err);
  cr_assert_eq(rc, FL_OK, "%s", err.msg);
  return out;
}
static inline bool tnull(const fl_batch *b, uint32_t col, uint32_t row) {
  return !fl_vec_is_valid(&b->cols[col], row);
}
static inline int64_t ti64(const fl_batch *b, uint32_t col, uint32_t row) {
  cr_assert(!tnull(b, col, row), "row %u col %u is NULL", row, col);
  const fl_vec *v = &b->cols[col];
  switch (v->type.kind) {
    case FL_T_INT:
    case FL_T_DATE: return v->data.i32[row];
    case FL_T_DECIMAL: return (int64_t)fl_vec_dec(v, row);
    default: return v->data.i64[row];
  }
}
static inline double tf64(const fl_batch *b, uint32_t col, uint32_t row) {
  cr_assert(!tnull(b, col, row), "row %u col %u is NULL", row, col);
  return b->cols[col].type.kind == FL_T_FLOAT ? b->cols[col].data.f32[row] : b->cols[col].data.f64[row];
}
static inline bool tstr_eq(const fl_batch *b, uint32_t col, uint32_t row, const char *s) {
  if (tnull(b, col, row)) return false;
  uint32_t n;
  const char *p = fl_vec_str(&b->cols[col], row, &n);
  return n == strlen(s) && memcmp(p, s, n) == 0;
}
/* Row index whose column col (INT or BIGINT) equals key, or whose key is NULL (key_null). */
static inline uint32_t tfind(const fl_batch *b, uint32_t col, bool key_null, int64_t key) {
  for (uint32_t r = 0; r < b->nrows; r++) {
    if (key_null ? tnull(b, col, r) : (!tnull(b, col, r) && ti64(b, col, r) == key)) return r;
  }
  cr_assert_fail("key %lld not found", (long long)key);
  return 0;
}
/* Every row of b as a JSON line, sorted: an order-free fingerprint for comparing results. */
static int tcmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }
static inline char *trows_sorted(const fl_batch *b) {
  char **lines = calloc(b->nrows ? b->nrows : 1, sizeof *lines);
  for (uint32_t r = 0; r < b->nrows; r++) {
    fl_buf buf = {0};
    fl_batch_row_to_json(b, r, &buf);
    fl_buf_cstr(&buf);
    lines[r] = strdup((char *)buf.data);
    fl_buf_free(&buf);
  }
  qsort(lines, b->nrows, sizeof *lines, tcmp_str);
  fl_buf all = {0};
  for (uint32_t r = 0; r < b->nrows; r++) {
    fl_buf_append(&all, lines[r], strlen(lines[r]));
    fl_buf_append(&all, "\n", 1);
    free(lines[r]);
  }
  free(lines);
  fl_buf_cstr(&all);
  char *s = strdup(all.data ? (char *)all.data : "");
  fl_buf_free(&all);
  return s;
}

#endif
