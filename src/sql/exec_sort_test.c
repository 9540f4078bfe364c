/* Unit tests of sort, top-N and limit (exec_sort.c): multi-key order with NULLS
 * FIRST/LAST, strings by bytes, stability, inputs over many batches, top-N equal to
 * the full sort's head, spill runs under a tiny budget giving the same order, and
 * LIMIT/OFFSET across batch boundaries. */
#include "sql/exec_test_util.h"

static fl_field f3[] = {
    {1, "k", {FL_T_INT, 0, 0, 0}, false, NULL},
    {2, "s", {FL_T_STRING, 0, 0, 0}, false, NULL},
    {3, "id", {FL_T_BIGINT, 0, 0, 0}, false, NULL},
};

static void fill_small(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  static const int k[] = {2, -1, 1, 2, 1, -1, 2};
  static const char *s[] = {"a", "B", NULL, "é", "a", "ab", "a"};
  if (k[r] < 0)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_i32(&b->cols[0], k[r]);
  if (!s[r])
    fl_vec_append_null(&b->cols[1]);
  else
    fl_vec_append_str(&b->cols[1], s[r], (uint32_t)strlen(s[r]));
  fl_vec_append_i64(&b->cols[2], r);
}

static void expect_ids(fl_op *op, const int64_t *want, uint32_t n) {
  fl_batch *out = tcollect(op);
  cr_assert_eq(out->nrows, n);
  for (uint32_t r = 0; r < n; r++)
    cr_assert_eq(ti64(out, 2, r), want[r], "row %u: id %lld", r, (long long)ti64(out, 2, r));
  fl_batch_free(out);
}

Test(exec_sort, multi_key_desc_nulls_first_last_and_stable) {
  tctx t;
  tctx_init(&t);
  fl_err err = {0};
  /* k DESC NULLS FIRST, s ASC NULLS LAST: NULL k first (B < ab by bytes), then k=2 (a, a, é;
   * the two a's in input order), then k=1 (a, NULL) */
  fl_sort_key keys[] = {{0, true, true}, {1, false, false}};
  fl_op *op = fl_op_sort(&t.ctx, tsource(&t, f3, 3, 7, 3, fill_small, NULL), keys, 2, UINT64_MAX, &err);
  const int64_t want[] = {1, 5, 0, 6, 3, 4, 2};
  expect_ids(op, want, 7);
  fl_op_free(op);
  /* the same as top-3 */
  op = fl_op_sort(&t.ctx, tsource(&t, f3, 3, 7, 3, fill_small, NULL), keys, 2, 3, &err);
  expect_ids(op, want, 3);
  fl_op_free(op);
  /* k ASC NULLS LAST only: ties keep input order */
  fl_sort_key k1[] = {{0, false, false}};
  op = fl_op_sort(&t.ctx, tsource(&t, f3, 3, 7, 2, fill_small, NULL), k1, 1, UINT64_MAX, &err);
  const int64_t want1[] = {2, 4, 0, 3, 6, 1, 5};
  expect_ids(op, want1, 7);
  fl_op_free(op);
  op = fl_op_sort(&t.ctx, tsource(&t, f3, 3, 7, 2, fill_small, NULL), k1, 1, 4, &err);
  expect_ids(op, want1, 4);
  fl_op_free(op);
  op = fl_op_sort(&t.ctx, tsource(&t, f3, 3, 7, 2, fill_small, NULL), k1, 1, 0, &err);
  expect_ids(op, want1, 0);
  fl_op_free(op);
  tctx_done(&t);
}

/* N rows: k = (r * 7919) % 1009 (NULL when r % 13 == 0), s = "v<r % 50>", id = r. */
static void fill_many(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  if (r % 13 == 0)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_i32(&b->cols[0], (int32_t)((r * 7919u) % 1009));
  char s[16];
  int n = snprintf(s, sizeof s, "v%u", r % 50);
  fl_vec_append_str(&b->cols[1], s, (uint32_t)n);
  fl_vec_append_i64(&b->cols[2], r);
}

/* Checks that out is sorted by (k DESC NULLS LAST, s ASC) with ids ascending among ties,
 * and holds ids 0..n-1 exactly once when full. */
static void check_order(const fl_batch *out, uint32_t n, bool full) {
  uint8_t *seen = calloc(n, 1);
  for (uint32_t r = 0; r < out->nrows; r++) {
    int64_t id = ti64(out, 2, r);
    cr_assert(id >= 0 && id < n && !seen[id]);
    seen[id] = 1;
    if (r == 0) continue;
    bool pn = tnull(out, 0, r - 1), cn = tnull(out, 0, r);
    cr_assert(!(pn && !cn), "NULLS LAST at row %u", r);
    int c = 0;
    if (!pn && !cn) c = (int)(ti64(out, 0, r) - ti64(out, 0, r - 1)); /* DESC: must be <= 0 */
    cr_assert(c <= 0, "k DESC at row %u", r);
    if (c == 0 && pn == cn) {
      uint32_t la, lb;
      const char *a = fl_vec_str(&out->cols[1], r - 1, &la), *b = fl_vec_str(&out->cols[1], r, &lb);
      int sc = memcmp(a, b, la < lb ? la : lb);
      if (!sc) sc = (int)la - (int)lb;
      cr_assert(sc <= 0, "s ASC at row %u", r);
      if (sc == 0) cr_assert_lt(ti64(out, 2, r - 1), id, "stable at row %u", r);
    }
  }
  if (full)
    for (uint32_t i = 0; i < n; i++) cr_assert(seen[i], "id %u missing", i);
  free(seen);
}

static fl_sort_key many_keys[] = {{0, true, false}, {1, false, false}};

static char *run_many(size_t budget, uint64_t limit, uint32_t n, uint64_t *spilled) {
  tctx t;
  tctx_init(&t);
  t.ctx.mem_budget = budget;
  fl_err err = {0};
  fl_op *op = fl_op_sort(&t.ctx, tsource(&t, f3, 3, n, 1000, fill_many, NULL), many_keys, 2, limit, &err);
  fl_batch *out = tcollect(op);
  check_order(out, n, limit >= n);
  fl_buf all = {0};
  for (uint32_t r = 0; r < out->nrows; r++) fl_buf_printf(&all, "%lld,", (long long)ti64(out, 2, r));
  fl_buf_cstr(&all);
  char *s = strdup((char *)all.data);
  fl_buf_free(&all);
  fl_buf ex = {0};
  fl_op_explain(op, true, &ex);
  fl_buf_cstr(&ex);
  char *sp = strstr((char *)ex.data, "spilled=");
  *spilled = sp ? strtoull(sp + 8, NULL, 10) : 0;
  fl_buf_free(&ex);
  cr_assert_leq(t.ctx.mem_peak, budget ? budget + (budget / 2) + (256u << 10) : SIZE_MAX,
                "peak %zu over budget %zu", t.ctx.mem_peak, budget);
  fl_batch_free(out);
  fl_op_free(op);
  tctx_done(&t);
  return s;
}

Test(exec_sort, many_batches_in_memory_and_spilled_give_the_same_order) {
  uint64_t sp0, sp1;
  char *mem = run_many(0, UINT64_MAX, 30000, &sp0);
  char *spill = run_many(256u << 10, UINT64_MAX, 30000, &sp1);
  cr_assert_eq(sp0, 0);
  cr_assert_eq(sp1, 30000, "every row went through a run");
  cr_assert_str_eq(spill, mem);
  /* top-N and a sort cut by a limit above TOPN_MAX agree with the full order's head */
  uint64_t sp2;
  char *top = run_many(0, 100, 30000, &sp2);
  cr_assert_eq(strncmp(top, mem, strlen(top)), 0);
  cr_assert_eq(strlen(top) > 0 && strchr(top, ',') != NULL, true);
  size_t commas = 0;
  for (char *p = top; *p; p++) commas += *p == ',';
  cr_assert_eq(commas, 100);
  free(mem);
  free(spill);
  free(top);
}

Test(exec_sort, limit_and_offset_cross_batch_boundaries) {
  tctx t;
  tctx_init(&t);
  fl_op *op = fl_op_limit(&t.ctx, tsource(&t, f3, 3, 5000, 1000, fill_many, NULL), 1500, 1999);
  fl_batch *out = tcollect(op);
  cr_assert_eq(out->nrows, 1500);
  for (uint32_t r = 0; r < 1500; r++) cr_assert_eq(ti64(out, 2, r), 1999 + r);
  fl_batch_free(out);
  fl_op_free(op);
  op = fl_op_limit(&t.ctx, tsource(&t, f3, 3, 5000, 1000, fill_many, NULL), UINT64_MAX, 4990);
  out = tcollect(op);
  cr_assert_eq(out->nrows, 10);
  cr_assert_eq(ti64(out, 2, 9), 4999);
  fl_batch_free(out);
  fl_op_free(op);
  op = fl_op_limit(&t.ctx, tsource(&t, f3, 3, 5000, 1000, fill_many, NULL), 0, 0);
  out = tcollect(op);
  cr_assert_eq(out->nrows, 0);
  fl_batch_free(out);
  fl_op_free(op);
  tctx_done(&t);
}

static fl_field fd[] = {{1, "x", {FL_T_DOUBLE, 0, 0, 0}, false, NULL},
                        {2, "d", {FL_T_DECIMAL, 38, 2, 0}, false, NULL},
                        {3, "id", {FL_T_BIGINT, 0, 0, 0}, false, NULL}};
static void fill_nan(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  static const double x[] = {1.5, -2.0, 0.0, 1e300};
  if (r == 4)
    fl_vec_append_f64(&b->cols[0], NAN);
  else
    fl_vec_append_f64(&b->cols[0], x[r]);
  fl_vec_append_dec(&b->cols[1], fl_dec128_pow10(37) * (r % 2 ? -1 : 1) + (fl_i128)r);
  fl_vec_append_i64(&b->cols[2], r);
}

Test(exec_sort, nan_sorts_above_numbers_and_wide_decimals_compare_exactly) {
  tctx t;
  tctx_init(&t);
  fl_err err = {0};
  fl_sort_key kx[] = {{0, false, false}};
  fl_op *op = fl_op_sort(&t.ctx, tsource(&t, fd, 3, 5, 5, fill_nan, NULL), kx, 1, UINT64_MAX, &err);
  const int64_t want[] = {1, 2, 0, 3, 4};
  expect_ids(op, want, 5);
  fl_op_free(op);
  fl_sort_key kd[] = {{1, true, false}};
  op = fl_op_sort(&t.ctx, tsource(&t, fd, 3, 5, 5, fill_nan, NULL), kd, 1, UINT64_MAX, &err);
  const int64_t wantd[] = {4, 2, 0, 3, 1};
  expect_ids(op, wantd, 5);
  fl_op_free(op);
  tctx_done(&t);
}

/* 6,000 rows sorted by a string whose first 8 bytes are shared ("prefix__<n % 997>", NULL
 * when n % 17 == 0) DESC NULLS FIRST, then a double (NaN, -0.0 and 0.0 among them) ASC:
 * the radix sort's prefix ties must fall back to the full comparison. */
static fl_field fsd[] = {{1, "s", {FL_T_STRING, 0, 0, 0}, false, NULL},
                         {2, "x", {FL_T_DOUBLE, 0, 0, 0}, false, NULL},
                         {3, "id", {FL_T_BIGINT, 0, 0, 0}, false, NULL}};
static void fill_sd(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  if (r % 17 == 0) {
    fl_vec_append_null(&b->cols[0]);
  } else {
    char s[32];
    int n = snprintf(s, sizeof s, "prefix__%u", r % 997);
    fl_vec_append_str(&b->cols[0], s, (uint32_t)n);
  }
  double x = r % 11 == 0 ? NAN : r % 11 == 1 ? -0.0 : r % 11 == 2 ? 0.0 : (double)((int)(r % 23) - 11) / 4;
  fl_vec_append_f64(&b->cols[1], x);
  fl_vec_append_i64(&b->cols[2], r);
}

Test(exec_sort, string_prefix_ties_and_doubles_over_the_radix_path) {
  tctx t;
  tctx_init(&t);
  const uint32_t N = 6000;
  fl_sort_key keys[] = {{0, true, true}, {1, false, false}};
  fl_err err = {0};
  fl_op *op = fl_op_sort(&t.ctx, tsource(&t, fsd, 3, N, 2048, fill_sd, NULL), keys, 2, UINT64_MAX, &err);
  fl_batch *out = tcollect(op);
  cr_assert_eq(out->nrows, N);
  for (uint32_t r = 1; r < N; r++) {
    bool pn = tnull(out, 0, r - 1), cn = tnull(out, 0, r);
    cr_assert(!(!pn && cn), "NULLS FIRST at row %u", r);
    int sc = 0;
    if (!pn && !cn) {
      uint32_t la, lb;
      const char *a = fl_vec_str(&out->cols[0], r - 1, &la), *b = fl_vec_str(&out->cols[0], r, &lb);
      sc = memcmp(a, b, la < lb ? la : lb);
      if (!sc) sc = (int)la - (int)lb;
      cr_assert(sc >= 0, "s DESC at row %u", r);
    }
    if (sc == 0 && pn == cn) {
      double x = tf64(out, 1, r - 1), y = tf64(out, 1, r);
      bool xn = isnan(x), yn = isnan(y);
      cr_assert(!xn || yn, "NaN last at row %u", r);
      if (!xn && !yn) cr_assert(x <= y, "x ASC at row %u: %g > %g", r, x, y);
      if ((xn && yn) || x == y) cr_assert_lt(ti64(out, 2, r - 1), ti64(out, 2, r), "stable at row %u", r);
    }
  }
  fl_batch_free(out);
  fl_op_free(op);
  tctx_done(&t);
}

Test(exec_sort, a_limit_above_the_top_n_bound_cuts_the_full_sort) {
  uint64_t sp0, sp1;
  char *mem = run_many(0, UINT64_MAX, 80000, &sp0);
  char *cut = run_many(0, 70000, 80000, &sp1);
  size_t commas = 0;
  for (char *p = cut; *p; p++) commas += *p == ',';
  cr_assert_eq(commas, 70000);
  cr_assert_eq(strncmp(cut, mem, strlen(cut)), 0);
  free(mem);
  free(cut);
}
