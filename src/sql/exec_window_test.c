/* Unit tests of window functions (exec_window.c): ranks, LAG/LEAD with offsets and a
 * default, running aggregates whose peers share a value (checked against DuckDB's
 * answers for the same rows), whole-partition aggregates without ORDER BY, NULL
 * partition keys as one partition, and partitions over many batches. */
#include "sql/exec_test_util.h"

static fl_field fx[] = {{1, "x", {FL_T_INT, 0, 0, 0}, false, NULL},
                        {2, "d", {FL_T_INT, 0, 0, 0}, false, NULL}};
static void fill_x(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  static const int x[] = {1, 2, 2, -1, 3};
  if (x[r] < 0)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_i32(&b->cols[0], x[r]);
  fl_vec_append_i32(&b->cols[1], 99);
}

/* DuckDB 1.x:
 *   select x, lag(x, -1) over w, lag(x, 2, 99) over w, rank() over (), rank() over w,
 *          dense_rank() over w, count(*) over w, sum(x) over w
 *   from (values (1), (2), (2), (null), (3)) t(x) window w as (order by x)
 *   => x=1: 2, 99, 1, 1, 1, 1, 1; x=2: 2, 99, 1, 2, 2, 3, 5; x=2: 3, 1, 1, 2, 2, 3, 5;
 *      x=3: NULL, 2, 1, 4, 3, 4, 8; x=NULL: NULL, 2, 1, 5, 4, 5, 8 */
Test(exec_window, ranks_lag_lead_and_running_aggregates_match_duckdb) {
  tctx t;
  tctx_init(&t);
  fl_sort_key order[] = {{0, false, false}};
  fl_win_spec specs[] = {
      {FL_WIN_LAG, 0, -1, -1, "lead1"},     {FL_WIN_LAG, 0, 2, 1, "lag2"},
      {FL_WIN_RANK, -1, 0, -1, "rk"},       {FL_WIN_DENSE_RANK, -1, 0, -1, "dr"},
      {FL_WIN_COUNT_STAR, -1, 0, -1, "n"},  {FL_WIN_SUM, 0, 0, -1, "s"},
      {FL_WIN_ROW_NUMBER, -1, 0, -1, "rn"}, {FL_WIN_LEAD, 0, 1, -1, "lead"},
      {FL_WIN_AVG, 0, 0, -1, "a"},
  };
  fl_err err = {0};
  fl_op *w = fl_op_window(&t.ctx, tsource(&t, fx, 2, 5, 2, fill_x, NULL), NULL, 0, order, 1, specs, 9, &err);
  cr_assert_not_null(w, "%s", err.msg);
  cr_assert_eq(w->fields[7].type.kind, FL_T_DECIMAL);
  cr_assert_eq(w->fields[3].type.kind, FL_T_INT);
  fl_batch *out = tcollect(w);
  cr_assert_eq(out->nrows, 5);
  const int64_t x[] = {1, 2, 2, 3, -1};
  const int64_t lead1[] = {2, 2, 3, -1, -1}, lag2[] = {99, 99, 1, 2, 2}, rk[] = {1, 2, 2, 4, 5},
                dr[] = {1, 2, 2, 3, 4}, n[] = {1, 3, 3, 4, 5}, s[] = {1, 5, 5, 8, 8};
  const double a[] = {1, 5.0 / 3, 5.0 / 3, 2, 2};
  for (uint32_t r = 0; r < 5; r++) {
    if (x[r] < 0)
      cr_assert(tnull(out, 0, r));
    else
      cr_assert_eq(ti64(out, 0, r), x[r]);
    if (lead1[r] < 0)
      cr_assert(tnull(out, 2, r) && tnull(out, 9, r));
    else
      cr_assert_eq(ti64(out, 2, r), lead1[r], "row %u", r);
    cr_assert_eq(ti64(out, 3, r), lag2[r], "row %u", r);
    cr_assert_eq(ti64(out, 4, r), rk[r]);
    cr_assert_eq(ti64(out, 5, r), dr[r]);
    cr_assert_eq(ti64(out, 6, r), n[r]);
    cr_assert_eq(ti64(out, 7, r), s[r]);
    cr_assert_eq(ti64(out, 8, r), r + 1);
    cr_assert_float_eq(tf64(out, 10, r), a[r], 1e-12);
  }
  fl_batch_free(out);
  fl_op_free(w);
  /* min over (order by x desc): 3, 2, 2, 1, then the NULL row keeps 1 */
  fl_sort_key desc[] = {{0, true, false}};
  fl_win_spec mn[] = {{FL_WIN_MIN, 0, 0, -1, "m"}, {FL_WIN_RANK, -1, 0, -1, "r"}};
  w = fl_op_window(&t.ctx, tsource(&t, fx, 2, 5, 5, fill_x, NULL), NULL, 0, desc, 1, mn, 2, &err);
  out = tcollect(w);
  const int64_t m[] = {3, 2, 2, 1, 1};
  for (uint32_t r = 0; r < 5; r++) cr_assert_eq(ti64(out, 2, r), m[r]);
  fl_batch_free(out);
  fl_op_free(w);
  /* no ORDER BY: every row is a peer; rank 1 everywhere, aggregates over the partition */
  w = fl_op_window(&t.ctx, tsource(&t, fx, 2, 5, 5, fill_x, NULL), NULL, 0, NULL, 0, mn, 2, &err);
  out = tcollect(w);
  for (uint32_t r = 0; r < 5; r++) {
    cr_assert_eq(ti64(out, 2, r), 1);
    cr_assert_eq(ti64(out, 3, r), 1);
  }
  fl_batch_free(out);
  fl_op_free(w);
  tctx_done(&t);
}

/* 12,000 rows: part = r % 7 (NULL when r % 10 == 0), id = r, s = "s<r % 13>". */
static fl_field fp[] = {{1, "p", {FL_T_INT, 0, 0, 0}, false, NULL},
                        {2, "id", {FL_T_BIGINT, 0, 0, 0}, false, NULL},
                        {3, "s", {FL_T_STRING, 0, 0, 0}, false, NULL}};
static void fill_p(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  if (r % 10 == 0)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_i32(&b->cols[0], (int32_t)(r % 7));
  fl_vec_append_i64(&b->cols[1], r);
  char s[8];
  int n = snprintf(s, sizeof s, "s%u", r % 13);
  fl_vec_append_str(&b->cols[2], s, (uint32_t)n);
}

static int part_of(uint32_t r) { return r % 10 == 0 ? -1 : (int)(r % 7); }

Test(exec_window, partitions_over_many_batches) {
  tctx t;
  tctx_init(&t);
  const uint32_t N = 12000;
  uint32_t part[] = {0};
  fl_sort_key order[] = {{1, true, false}}; /* id DESC */
  fl_win_spec specs[] = {{FL_WIN_ROW_NUMBER, -1, 0, -1, "rn"},
                         {FL_WIN_SUM, 1, 0, -1, "run"},
                         {FL_WIN_LAG, 1, 1, -1, "prev"},
                         {FL_WIN_MAX, 2, 0, -1, "smax"}};
  fl_err err = {0};
  fl_op *w =
      fl_op_window(&t.ctx, tsource(&t, fp, 3, N, 1500, fill_p, NULL), part, 1, order, 1, specs, 4, &err);
  fl_batch *out = tcollect(w);
  cr_assert_eq(out->nrows, N);
  int prev_part = -2;
  int64_t rn = 0, run = 0, prev_id = -1;
  uint32_t parts = 0;
  for (uint32_t r = 0; r < N; r++) {
    int64_t id = ti64(out, 1, r);
    int p = tnull(out, 0, r) ? -1 : (int)ti64(out, 0, r);
    cr_assert_eq(p, part_of((uint32_t)id));
    if (p != prev_part) {
      parts++;
      rn = 0;
      run = 0;
      prev_id = -1;
      prev_part = p;
    }
    rn++;
    run += id;
    cr_assert_eq(ti64(out, 3, r), rn);
    cr_assert_eq(ti64(out, 4, r), run, "running sum at row %u", r);
    if (prev_id < 0)
      cr_assert(tnull(out, 5, r));
    else
      cr_assert_eq(ti64(out, 5, r), prev_id);
    if (prev_id >= 0) cr_assert_lt(id, prev_id, "id DESC inside a partition");
    prev_id = id;
    cr_assert(!tnull(out, 6, r));
  }
  cr_assert_eq(parts, 8, "7 partitions and the NULL one");
  fl_batch_free(out);
  fl_op_free(w);
  /* whole-partition aggregates: every row of a partition gets its count and max */
  fl_win_spec whole[] = {
      {FL_WIN_COUNT, 1, 0, -1, "n"}, {FL_WIN_MAX, 2, 0, -1, "smax"}, {FL_WIN_MIN, 2, 0, -1, "smin"}};
  w = fl_op_window(&t.ctx, tsource(&t, fp, 3, N, 1500, fill_p, NULL), part, 1, NULL, 0, whole, 3, &err);
  out = tcollect(w);
  int64_t cnt[8] = {0};
  for (uint32_t r = 0; r < N; r++) cnt[part_of(r) + 1]++;
  for (uint32_t r = 0; r < N; r++) {
    int p = tnull(out, 0, r) ? -1 : (int)ti64(out, 0, r);
    cr_assert_eq(ti64(out, 3, r), cnt[p + 1]);
    cr_assert(tstr_eq(out, 4, r, "s9"), "max by bytes: s9 > s12");
    cr_assert(tstr_eq(out, 5, r, "s0"));
  }
  fl_batch_free(out);
  fl_op_free(w);
  tctx_done(&t);
}

Test(exec_window, past_the_memory_budget_fails_naming_it) {
  tctx t;
  tctx_init(&t);
  t.ctx.mem_budget = 50000;
  uint32_t part[] = {0};
  fl_win_spec specs[] = {{FL_WIN_ROW_NUMBER, -1, 0, -1, "rn"}};
  fl_err err = {0};
  fl_op *w =
      fl_op_window(&t.ctx, tsource(&t, fp, 3, 12000, 1500, fill_p, NULL), part, 1, NULL, 0, specs, 1, &err);
  fl_batch *out;
  cr_assert_eq(fl_op_collect(w, &out, &err), FL_ELIMIT);
  cr_assert(strstr(err.msg, "memory budget of 50000 bytes"), "%s", err.msg);
  fl_op_free(w);
  tctx_done(&t);
}

/* 40,000 rows in partitions of 40 (p = r % 1000 over an INT, via fill_p's id): under a
 * 256 KiB budget the sort below the window spills runs, and the result is the same. */
static fl_field fq[] = {{1, "p", {FL_T_INT, 0, 0, 0}, false, NULL},
                        {2, "id", {FL_T_BIGINT, 0, 0, 0}, false, NULL}};
static void fill_q(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  fl_vec_append_i32(&b->cols[0], (int32_t)((r * 7919u) % 1000));
  fl_vec_append_i64(&b->cols[1], r);
}

static char *run_q(size_t budget, size_t *peak, bool *spilled) {
  tctx t;
  tctx_init(&t);
  t.ctx.mem_budget = budget;
  uint32_t part[] = {0};
  fl_sort_key order[] = {{1, false, false}};
  fl_win_spec specs[] = {
      {FL_WIN_ROW_NUMBER, -1, 0, -1, "rn"}, {FL_WIN_SUM, 1, 0, -1, "run"}, {FL_WIN_LEAD, 1, 1, -1, "nx"}};
  fl_err err = {0};
  fl_op *w =
      fl_op_window(&t.ctx, tsource(&t, fq, 2, 40000, 2048, fill_q, NULL), part, 1, order, 1, specs, 3, &err);
  fl_batch *out = tcollect(w);
  cr_assert_eq(out->nrows, 40000);
  /* every partition's row numbers run 1..40 in id order */
  for (uint32_t r = 0; r < out->nrows; r++) {
    int64_t rn = ti64(out, 2, r);
    cr_assert(rn >= 1 && rn <= 40);
    if (rn > 1) cr_assert_lt(ti64(out, 1, r - 1), ti64(out, 1, r));
  }
  char *rows = trows_sorted(out);
  *peak = t.ctx.mem_peak;
  fl_buf ex = {0};
  fl_op_explain(w, true, &ex);
  fl_buf_cstr(&ex);
  cr_assert(strstr((char *)ex.data, "WINDOW row_number()") && strstr((char *)ex.data, "\n  SORT p ASC"), "%s",
            (char *)ex.data);
  *spilled = strstr((char *)ex.data, "spilled=") != NULL;
  fl_buf_free(&ex);
  fl_batch_free(out);
  fl_op_free(w);
  tctx_done(&t);
  return rows;
}

Test(exec_window, the_sort_below_spills_and_partitions_stream) {
  size_t peak0, peak1;
  bool sp0, sp1;
  char *mem = run_q(0, &peak0, &sp0);
  char *spill = run_q(256u << 10, &peak1, &sp1);
  cr_assert(!sp0 && sp1, "the sort spilled only under the budget");
  cr_assert_str_eq(spill, mem);
  cr_assert_lt(peak1, peak0, "peak %zu under a budget, %zu without", peak1, peak0);
  free(mem);
  free(spill);
}
