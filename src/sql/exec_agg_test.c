/* Unit tests of the hash aggregate and DISTINCT (exec_agg.c) over hand-built values
 * sources: exact results, NULL rules, result types, decimal sums and their overflow,
 * inputs spanning batches, and spill under a tiny budget giving the same rows. */
#include "sql/exec_test_util.h"

static fl_field kv[] = {
    {1, "k", {FL_T_INT, 0, 0, 0}, false, NULL},
    {2, "v", {FL_T_BIGINT, 0, 0, 0}, false, NULL},
    {3, "f", {FL_T_BOOLEAN, 0, 0, 0}, false, NULL},
};

/* k: 1, 2, NULL; v: a value or NULL; group 2 has only NULL values. */
static void fill_kv(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  static const int keys[] = {1, 2, -1, 1, 2, -1, 1};
  static const int64_t vals[] = {10, -1, 5, 30, -1, -1, 20};
  if (keys[r] < 0)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_i32(&b->cols[0], keys[r]);
  if (vals[r] < 0)
    fl_vec_append_null(&b->cols[1]);
  else
    fl_vec_append_i64(&b->cols[1], vals[r]);
  fl_vec_append_bool(&b->cols[2], r % 2 == 0);
}

Test(exec_agg, group_by_with_null_key_and_all_null_group) {
  tctx t;
  tctx_init(&t);
  fl_op *src = tsource(&t, kv, 3, 7, 3, fill_kv, NULL);
  uint32_t keys[] = {0};
  fl_agg_spec aggs[] = {
      {FL_AGG_COUNT_STAR, -1, -1, "n"}, {FL_AGG_COUNT, 1, -1, "nv"}, {FL_AGG_SUM, 1, -1, "s"},
      {FL_AGG_MIN, 1, -1, "lo"},        {FL_AGG_MAX, 1, -1, "hi"},   {FL_AGG_AVG, 1, -1, "a"},
      {FL_AGG_COUNT_STAR, -1, 2, "nf"},
  };
  fl_err err = {0};
  fl_op *agg = fl_op_hash_aggregate(&t.ctx, src, keys, 1, aggs, 7, &err);
  cr_assert_not_null(agg, "%s", err.msg);
  cr_assert_eq(agg->fields[3].type.kind, FL_T_DECIMAL);
  cr_assert_eq(agg->fields[3].type.precision, 38);
  cr_assert_eq(agg->fields[6].type.kind, FL_T_DOUBLE);
  cr_assert_eq(agg->fields[4].type.kind, FL_T_BIGINT);
  fl_batch *out = tcollect(agg);
  cr_assert_eq(out->nrows, 3);
  uint32_t r1 = tfind(out, 0, false, 1), r2 = tfind(out, 0, false, 2), rn = tfind(out, 0, true, 0);
  cr_assert_eq(ti64(out, 1, r1), 3);
  cr_assert_eq(ti64(out, 2, r1), 3);
  cr_assert_eq(ti64(out, 3, r1), 60);
  cr_assert_eq(ti64(out, 4, r1), 10);
  cr_assert_eq(ti64(out, 5, r1), 30);
  cr_assert_float_eq(tf64(out, 6, r1), 20.0, 1e-12);
  cr_assert_eq(ti64(out, 7, r1), 2); /* key 1 is on rows 0, 3, 6; the filter r % 2 == 0 keeps 0 and 6 */
  /* group 2: two rows, both values NULL */
  cr_assert_eq(ti64(out, 1, r2), 2);
  cr_assert_eq(ti64(out, 2, r2), 0);
  cr_assert(tnull(out, 3, r2) && tnull(out, 4, r2) && tnull(out, 5, r2) && tnull(out, 6, r2));
  /* the NULL key is one group of two rows */
  cr_assert_eq(ti64(out, 1, rn), 2);
  cr_assert_eq(ti64(out, 3, rn), 5);
  fl_batch_free(out);
  fl_op_free(agg);
  tctx_done(&t);
}

Test(exec_agg, no_keys_over_empty_input_gives_one_row) {
  tctx t;
  tctx_init(&t);
  fl_op *src = tsource(&t, kv, 3, 0, 4, fill_kv, NULL);
  fl_agg_spec aggs[] = {{FL_AGG_COUNT_STAR, -1, -1, "n"},
                        {FL_AGG_SUM, 1, -1, "s"},
                        {FL_AGG_MAX, 0, -1, "m"},
                        {FL_AGG_COUNT_DISTINCT, 1, -1, "d"},
                        {FL_AGG_APPROX_COUNT_DISTINCT, 1, -1, "ad"}};
  fl_err err = {0};
  fl_op *agg = fl_op_hash_aggregate(&t.ctx, src, NULL, 0, aggs, 5, &err);
  fl_batch *out = tcollect(agg);
  cr_assert_eq(out->nrows, 1);
  cr_assert_eq(ti64(out, 0, 0), 0);
  cr_assert(tnull(out, 1, 0));
  cr_assert(tnull(out, 2, 0));
  cr_assert_eq(ti64(out, 3, 0), 0);
  cr_assert_eq(ti64(out, 4, 0), 0);
  fl_batch_free(out);
  fl_op_free(agg);
  /* a grouped aggregate over no input has no rows */
  src = tsource(&t, kv, 3, 0, 4, fill_kv, NULL);
  uint32_t keys[] = {0};
  agg = fl_op_hash_aggregate(&t.ctx, src, keys, 1, aggs, 5, &err);
  out = tcollect(agg);
  cr_assert_eq(out->nrows, 0);
  fl_batch_free(out);
  fl_op_free(agg);
  tctx_done(&t);
}

static fl_field dec_fields[] = {
    {1, "k", {FL_T_STRING, 0, 0, 0}, false, NULL},
    {2, "price", {FL_T_DECIMAL, 10, 2, 0}, false, NULL},
    {3, "big", {FL_T_DECIMAL, 38, 0, 0}, false, NULL},
};
static void fill_dec(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  fl_vec_append_str(&b->cols[0], r % 2 ? "odd" : "even", r % 2 ? 3 : 4);
  fl_vec_append_dec(&b->cols[1], (fl_i128)(r * 100 + 1));  /* r + 0.01 */
  fl_vec_append_dec(&b->cols[2], fl_dec128_pow10(37) * 6); /* 6e37: two of them overflow 38 digits */
}

Test(exec_agg, decimal_sum_keeps_scale_and_avg_is_double) {
  tctx t;
  tctx_init(&t);
  fl_op *src = tsource(&t, dec_fields, 3, 10, 4, fill_dec, NULL);
  uint32_t keys[] = {0};
  fl_agg_spec aggs[] = {{FL_AGG_SUM, 1, -1, "s"}, {FL_AGG_AVG, 1, -1, "a"}, {FL_AGG_MIN, 0, -1, "mk"}};
  fl_err err = {0};
  fl_op *agg = fl_op_hash_aggregate(&t.ctx, src, keys, 1, aggs, 3, &err);
  cr_assert_eq(agg->fields[1].type.precision, 38);
  cr_assert_eq(agg->fields[1].type.scale, 2);
  fl_batch *out = tcollect(agg);
  cr_assert_eq(out->nrows, 2);
  uint32_t even = tstr_eq(out, 0, 0, "even") ? 0 : 1;
  /* even rows 0,2,4,6,8: sum = 20 + 5 * 0.01 = 20.05 */
  cr_assert(fl_vec_dec(&out->cols[1], even) == 2005);
  cr_assert(fl_vec_dec(&out->cols[1], 1 - even) == 2505);
  cr_assert_float_eq(tf64(out, 2, even), 4.01, 1e-12);
  cr_assert(tstr_eq(out, 3, even, "even"));
  fl_batch_free(out);
  fl_op_free(agg);
  tctx_done(&t);
}

Test(exec_agg, decimal38_sum_overflow_is_an_error_naming_the_column) {
  tctx t;
  tctx_init(&t);
  fl_op *src = tsource(&t, dec_fields, 3, 3, 4, fill_dec, NULL);
  fl_agg_spec aggs[] = {{FL_AGG_SUM, 2, -1, "s"}};
  fl_err err = {0};
  fl_op *agg = fl_op_hash_aggregate(&t.ctx, src, NULL, 0, aggs, 1, &err);
  fl_batch *out;
  cr_assert_eq(fl_op_collect(agg, &out, &err), FL_ELIMIT);
  cr_assert(strstr(err.msg, "sum(big)") && strstr(err.msg, "DECIMAL(38,0)"), "%s", err.msg);
  fl_op_free(agg);
  tctx_done(&t);
}

Test(exec_agg, sum_of_strings_is_a_type_error) {
  tctx t;
  tctx_init(&t);
  fl_op *src = tsource(&t, dec_fields, 3, 3, 4, fill_dec, NULL);
  fl_agg_spec aggs[] = {{FL_AGG_SUM, 0, -1, "s"}};
  fl_err err = {0};
  cr_assert_null(fl_op_hash_aggregate(&t.ctx, src, NULL, 0, aggs, 1, &err));
  cr_assert_eq(err.code, FL_ETYPE);
  cr_assert(strstr(err.msg, "sum(k)"), "%s", err.msg);
  fl_op_free(src);
  tctx_done(&t);
}

/* 25,000 rows: key "k<r % 1000>", value r % 37 (NULL when r % 11 == 0), a DATE and a DOUBLE. */
static fl_field big_fields[] = {
    {1, "k", {FL_T_STRING, 0, 0, 0}, false, NULL},
    {2, "v", {FL_T_INT, 0, 0, 0}, false, NULL},
    {3, "d", {FL_T_DATE, 0, 0, 0}, false, NULL},
    {4, "x", {FL_T_DOUBLE, 0, 0, 0}, false, NULL},
};
static void fill_big(fl_batch *b, uint32_t r, void *arg) {
  uint32_t mod = arg ? *(uint32_t *)arg : 1000;
  char s[16];
  int n = snprintf(s, sizeof s, "k%u", r % mod);
  fl_vec_append_str(&b->cols[0], s, (uint32_t)n);
  if (r % 11 == 0)
    fl_vec_append_null(&b->cols[1]);
  else
    fl_vec_append_i32(&b->cols[1], (int32_t)(r % 37));
  fl_vec_append_i32(&b->cols[2], (int32_t)(18000 + r % 365));
  fl_vec_append_f64(&b->cols[3], (double)(r % 7) * 0.5);
}

static fl_agg_spec big_aggs[] = {
    {FL_AGG_COUNT_STAR, -1, -1, "n"},
    {FL_AGG_COUNT, 1, -1, "nv"},
    {FL_AGG_COUNT_DISTINCT, 1, -1, "dv"},
    {FL_AGG_SUM, 1, -1, "s"},
    {FL_AGG_MIN, 2, -1, "dmin"},
    {FL_AGG_MAX, 2, -1, "dmax"},
    {FL_AGG_SUM, 3, -1, "xs"},
    {FL_AGG_MAX, 0, -1, "kmax"},
    {FL_AGG_APPROX_COUNT_DISTINCT, 1, -1, "av"},
};

Test(exec_agg, many_batches_count_distinct_and_dates) {
  tctx t;
  tctx_init(&t);
  const uint32_t N = 25000;
  fl_op *src = tsource(&t, big_fields, 4, N, 1500, fill_big, NULL);
  uint32_t keys[] = {0};
  fl_err err = {0};
  fl_op *agg = fl_op_hash_aggregate(&t.ctx, src, keys, 1, big_aggs, 9, &err);
  fl_batch *out = tcollect(agg);
  cr_assert_eq(out->nrows, 1000);
  for (uint32_t row = 0; row < out->nrows; row++) {
    uint32_t len;
    const char *p = fl_vec_str(&out->cols[0], row, &len);
    char key[16];
    cr_assert_lt(len, sizeof key);
    memcpy(key, p, len);
    key[len] = 0;
    uint32_t g = (uint32_t)atoi(key + 1);
    int64_t n = 0, nv = 0, s = 0, dmin = INT32_MAX, dmax = 0;
    double xs = 0;
    bool seen[37] = {0};
    int64_t dv = 0;
    for (uint32_t r = g; r < N; r += 1000) {
      n++;
      if (r % 11) {
        nv++;
        s += r % 37;
        if (!seen[r % 37]) dv++;
        seen[r % 37] = true;
      }
      int64_t d = 18000 + r % 365;
      dmin = d < dmin ? d : dmin;
      dmax = d > dmax ? d : dmax;
      xs += (double)(r % 7) * 0.5;
    }
    cr_assert_eq(ti64(out, 1, row), n);
    cr_assert_eq(ti64(out, 2, row), nv);
    cr_assert_eq(ti64(out, 3, row), dv);
    cr_assert_eq(ti64(out, 4, row), s);
    cr_assert_eq(out->cols[5].type.kind, FL_T_DATE);
    cr_assert_eq(ti64(out, 5, row), dmin);
    cr_assert_eq(ti64(out, 6, row), dmax);
    cr_assert_float_eq(tf64(out, 7, row), xs, 1e-9);
    cr_assert(tstr_eq(out, 8, row, key), "max(k) of one key is the key");
    int64_t est = ti64(out, 9, row);
    cr_assert(est >= dv - 1 && est <= dv + 1, "approx distinct %lld of %lld small values (linear counting)",
              (long long)est, (long long)dv);
  }
  fl_batch_free(out);
  fl_op_free(agg);
  tctx_done(&t);
}

/* Up to 126 distinct values a group count exactly (the sketch starts as a list of
 * hashes); 3 values of which two share a register counted 1 in registers alone. */
static void fill_mod(fl_batch *b, uint32_t row, void *arg) {
  fl_vec_append_i64(&b->cols[0], (int64_t)(row % *(uint32_t *)arg));
}

Test(exec_agg, approx_count_distinct_is_exact_up_to_126_values_then_a_sketch) {
  static const fl_field f[] = {{1, "v", {FL_T_BIGINT, 0, 0}, false}};
  for (uint32_t mod = 1; mod <= 200; mod += mod < 130 ? 1 : 35) {
    tctx t;
    tctx_init(&t);
    fl_op *src = tsource(&t, f, 1, 5000, 2048, fill_mod, &mod);
    fl_agg_spec aggs[] = {{FL_AGG_APPROX_COUNT_DISTINCT, 0, -1, "a"}};
    fl_err err = {0};
    fl_op *agg = fl_op_hash_aggregate(&t.ctx, src, NULL, 0, aggs, 1, &err);
    fl_batch *out = tcollect(agg);
    int64_t est = ti64(out, 0, 0);
    if (mod <= 126)
      cr_assert_eq(est, mod, "approx_count_distinct of %u values: %lld", mod, (long long)est);
    else
      cr_assert(est >= mod * 0.9 && est <= mod * 1.1, "approx_count_distinct of %u values: %lld", mod,
                (long long)est);
    fl_batch_free(out);
    fl_op_free(agg);
    tctx_done(&t);
  }
}

Test(exec_agg, approx_count_distinct_within_three_standard_errors) {
  tctx t;
  tctx_init(&t);
  uint32_t mod = 100000;
  fl_op *src = tsource(&t, big_fields, 4, 100000, 2048, fill_big, &mod);
  fl_agg_spec aggs[] = {{FL_AGG_APPROX_COUNT_DISTINCT, 0, -1, "a"}, {FL_AGG_COUNT_DISTINCT, 0, -1, "d"}};
  fl_err err = {0};
  fl_op *agg = fl_op_hash_aggregate(&t.ctx, src, NULL, 0, aggs, 2, &err);
  fl_batch *out = tcollect(agg);
  cr_assert_eq(ti64(out, 1, 0), 100000, "count distinct %lld", (long long)ti64(out, 1, 0));
  double est = (double)ti64(out, 0, 0);
  cr_assert(est > 100000 * (1 - 3 * 0.0325) && est < 100000 * (1 + 3 * 0.0325), "estimate %.0f", est);
  fl_batch_free(out);
  fl_op_free(agg);
  tctx_done(&t);
}

static char *run_big_n(size_t budget, uint32_t mod, uint32_t nrows, uint64_t *spilled, size_t *peak) {
  tctx t;
  tctx_init(&t);
  t.ctx.mem_budget = budget;
  fl_op *src = tsource(&t, big_fields, 4, nrows, 2048, fill_big, &mod);
  uint32_t keys[] = {0, 2};
  fl_err err = {0};
  fl_op *agg = fl_op_hash_aggregate(&t.ctx, src, keys, 2, big_aggs, 9, &err);
  fl_batch *out = tcollect(agg);
  char *rows = trows_sorted(out);
  fl_buf ex = {0};
  fl_op_explain(agg, true, &ex);
  fl_buf_cstr(&ex);
  char *sp = strstr((char *)ex.data, "spilled=");
  *spilled = sp ? strtoull(sp + 8, NULL, 10) : 0;
  *peak = t.ctx.mem_peak;
  fl_buf_free(&ex);
  fl_batch_free(out);
  fl_op_free(agg);
  tctx_done(&t);
  return rows;
}

static char *run_big(size_t budget, uint32_t mod, uint64_t *spilled, size_t *peak) {
  return run_big_n(budget, mod, 30000, spilled, peak);
}

Test(exec_agg, spill_under_a_tiny_budget_gives_the_same_rows) {
  uint64_t sp0, sp1;
  size_t peak0, peak1;
  char *mem = run_big(0, 9000, &sp0, &peak0);
  char *spill = run_big(64 << 10, 9000, &sp1, &peak1);
  cr_assert_eq(sp0, 0);
  cr_assert_gt(sp1, 10000, "spilled %llu rows", (unsigned long long)sp1);
  cr_assert_lt(peak1, peak0);
  cr_assert_str_eq(spill, mem);
  cr_assert_gt(strlen(mem), 9000 * 20);
  free(mem);
  free(spill);
}

/* 120,000 rows of 60,000 groups under 64 KiB: level 1's partitions (7,000 rows each) spill
 * again, reading spill batches of more than FL_EXEC_BATCH_ROWS rows. */
Test(exec_agg, spill_recurses_into_a_second_level) {
  uint64_t sp0, sp1;
  size_t peak0, peak1;
  char *mem = run_big_n(0, 60000, 120000, &sp0, &peak0);
  char *spill = run_big_n(64 << 10, 60000, 120000, &sp1, &peak1);
  cr_assert_eq(sp0, 0);
  cr_assert_gt(sp1, 100000);
  cr_assert_str_eq(spill, mem);
  free(mem);
  free(spill);
}

/* Batches over FL_EXEC_BATCH_ROWS rows (a values source, or a spill file's batches) whose
 * rows all belong to one new group once spilling began: all of them go to one spill
 * partition (this overflowed a partition's row list sized FL_EXEC_BATCH_ROWS). */
static void fill_skew(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  fl_vec_append_str(&b->cols[0], r < 2048 ? "k" : "hot", r < 2048 ? 1 : 3);
  fl_vec_append_i32(&b->cols[1], r < 2048 ? (int32_t)r : 7);
  fl_vec_append_i32(&b->cols[2], 0);
  fl_vec_append_f64(&b->cols[3], 0);
}

Test(exec_agg, one_big_batch_of_one_new_group_spills_to_one_partition) {
  tctx t;
  tctx_init(&t);
  t.ctx.mem_budget = 1;
  /* batch 1: 2,048 groups (k, 0..2047); batch 2: 20,000 rows of the group (hot, 7) */
  fl_batch *b1 = tbatch(&t, big_fields, 4), *b2 = tbatch(&t, big_fields, 4);
  for (uint32_t r = 0; r < 2048; r++) fill_skew(b1, r, NULL);
  fl_batch_set_rows(b1, 2048);
  for (uint32_t r = 0; r < 20000; r++) fill_skew(b2, 2048 + r, NULL);
  fl_batch_set_rows(b2, 20000);
  const fl_batch *bs[2] = {b1, b2};
  uint32_t keys[] = {0, 1};
  fl_agg_spec aggs[] = {{FL_AGG_COUNT_STAR, -1, -1, "n"}};
  fl_err err = {0};
  fl_op *agg =
      fl_op_hash_aggregate(&t.ctx, fl_op_values(&t.ctx, big_fields, 4, bs, 2), keys, 2, aggs, 1, &err);
  fl_batch *out = tcollect(agg);
  cr_assert_eq(out->nrows, 2049);
  uint32_t found = 0;
  for (uint32_t r = 0; r < out->nrows; r++)
    if (tstr_eq(out, 0, r, "hot")) {
      cr_assert_eq(ti64(out, 2, r), 20000);
      found++;
    }
  cr_assert_eq(found, 1);
  fl_batch_free(out);
  fl_op_free(agg);
  tctx_done(&t);
}

static fl_field dup_fields[] = {
    {1, "a", {FL_T_INT, 0, 0, 0}, false, NULL},
    {2, "b", {FL_T_STRING, 0, 0, 0}, false, NULL},
    {3, "x", {FL_T_DOUBLE, 0, 0, 0}, false, NULL},
};
static void fill_dup(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  if (r % 4 == 3)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_i32(&b->cols[0], (int32_t)(r % 2));
  if (r % 3 == 0)
    fl_vec_append_null(&b->cols[1]);
  else
    fl_vec_append_str(&b->cols[1], "s", 1);
  fl_vec_append_f64(&b->cols[2], r % 2 ? 0.0 : -0.0); /* -0.0 = 0.0 */
}

Test(exec_agg, distinct_treats_nulls_and_signed_zeros_as_equal) {
  tctx t;
  tctx_init(&t);
  fl_op *src = tsource(&t, dup_fields, 3, 5000, 700, fill_dup, NULL);
  fl_err err = {0};
  fl_op *d = fl_op_distinct(&t.ctx, src, &err);
  fl_batch *out = tcollect(d);
  /* (a in {0, 1, NULL}) x (b in {'s', NULL}), where a's NULL rows (r%4==3) have r odd */
  char *rows = trows_sorted(out);
  cr_assert_eq(out->nrows, 6, "%s", rows);
  free(rows);
  fl_batch_free(out);
  fl_op_free(d);
  tctx_done(&t);
}

static fl_field big_i64[] = {{1, "x", {FL_T_BIGINT, 0, 0, 0}, false, NULL}};
static void fill_same(fl_batch *b, uint32_t r, void *arg) {
  (void)r, (void)arg;
  fl_vec_append_i64(&b->cols[0], 9090909090909091LL);
}

/* DuckDB: select avg(x) from (select 9090909090909091::bigint x from range(11))
 * => 9090909090909092.0 (the exact mean is 9090909090909091, between two doubles; DuckDB
 * divides a BIGINT sum in long double, where double division would give ...090).
 * Valgrind computes long double in 64 bits: under it this test fails (...090). */
Test(exec_agg, avg_of_bigint_rounds_as_duckdb) {
  tctx t;
  tctx_init(&t);
  fl_agg_spec aggs[] = {{FL_AGG_AVG, 0, -1, "a"}, {FL_AGG_SUM, 0, -1, "s"}};
  fl_err err = {0};
  fl_op *agg =
      fl_op_hash_aggregate(&t.ctx, tsource(&t, big_i64, 1, 11, 4, fill_same, NULL), NULL, 0, aggs, 2, &err);
  fl_batch *out = tcollect(agg);
  cr_assert_eq(tf64(out, 0, 0), 9090909090909092.0, "%.17g", tf64(out, 0, 0));
  cr_assert(fl_vec_dec(&out->cols[1], 0) == (fl_i128)100000000000000001LL);
  fl_batch_free(out);
  fl_op_free(agg);
  tctx_done(&t);
}

/* k = r % 3, v = r % 7 (NULL when r % 13 == 0), f = r % 4 != 0: each (group, value)
 * pair comes hundreds of times inside one batch (count(DISTINCT) upserts a batch's
 * pairs together and counts an entry once, at its first row). */
static void fill_rep(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  fl_vec_append_i32(&b->cols[0], (int32_t)(r % 3));
  if (r % 13 == 0)
    fl_vec_append_null(&b->cols[1]);
  else
    fl_vec_append_i64(&b->cols[1], (int64_t)(r % 7));
  fl_vec_append_bool(&b->cols[2], r % 4 != 0);
}

Test(exec_agg, count_distinct_counts_a_pair_repeated_within_a_batch_once) {
  tctx t;
  tctx_init(&t);
  fl_op *src = tsource(&t, kv, 3, 5000, 2000, fill_rep, NULL);
  uint32_t keys[] = {0};
  fl_agg_spec aggs[] = {{FL_AGG_COUNT_DISTINCT, 1, -1, "d"}, {FL_AGG_COUNT_DISTINCT, 0, 2, "df"}};
  fl_err err = {0};
  fl_op *agg = fl_op_hash_aggregate(&t.ctx, src, keys, 1, aggs, 2, &err);
  cr_assert(agg, "%s", err.msg);
  fl_batch *out = tcollect(agg);
  cr_assert_eq(out->nrows, 3);
  for (uint32_t row = 0; row < 3; row++) {
    /* every residue of 7 meets every residue of 3 (21 is their period): 7 values; the
     * filtered count(DISTINCT k) of a group is its one key */
    cr_assert_eq(ti64(out, 1, row), 7, "group %lld", (long long)ti64(out, 0, row));
    cr_assert_eq(ti64(out, 2, row), 1);
  }
  fl_batch_free(out);
  fl_op_free(agg);
  tctx_done(&t);
}

/* min / max without GROUP BY (the batch-at-a-time path) give what the grouped path
 * gives for one group: strings in byte order (a shared 8-byte prefix, a byte >= 0x80,
 * an embedded NUL, the empty string, a prefix of another), BIGINT with NULLs, batches
 * that are all NULL, and the answer when every value is NULL. */
static fl_field sv[] = {{1, "g", {FL_T_INT, 0, 0, 0}, false, NULL},
                        {2, "s", {FL_T_STRING, 0, 0, 0}, false, NULL},
                        {3, "v", {FL_T_BIGINT, 0, 0, 0}, false, NULL}};
static const char *const SV_STR[] = {NULL,       "e-0000000001",    "e-00000000",  "",
                                     "\xc3\x9f", "e-0000000001\0x", "e-000000000", NULL,
                                     "zz",       "e-0000000002",    "a",           NULL};
static const uint32_t SV_LEN[] = {0, 12, 10, 0, 2, 14, 11, 0, 2, 12, 1, 0};
static const int64_t SV_V[] = {INT64_MIN, 5, -7, INT64_MIN, 42, 3, INT64_MIN, 9, -7, 0, 100, INT64_MIN};
static void fill_sv(fl_batch *b, uint32_t r, void *arg) {
  int mode = *(const int *)arg; /* 1: rows 12.. are NULL (whole batches of NULLs); 2: every row */
  bool all_null = (mode == 1 && r >= 12) || mode == 2;
  uint32_t k = r % 12;
  fl_vec_append_i32(&b->cols[0], 1);
  if (all_null || !SV_STR[k])
    fl_vec_append_null(&b->cols[1]);
  else
    fl_vec_append_str(&b->cols[1], SV_STR[k], SV_LEN[k]);
  if (all_null || SV_V[k] == INT64_MIN)
    fl_vec_append_null(&b->cols[2]);
  else
    fl_vec_append_i64(&b->cols[2], SV_V[k]);
}

Test(exec_agg, min_and_max_without_keys_match_the_grouped_path) {
  tctx t;
  tctx_init(&t);
  fl_agg_spec aggs[] = {{FL_AGG_MIN, 1, -1, "smin"},
                        {FL_AGG_MAX, 1, -1, "smax"},
                        {FL_AGG_MIN, 2, -1, "vmin"},
                        {FL_AGG_MAX, 2, -1, "vmax"}};
  int dummy = 1;
  fl_err err = {0};
  uint32_t keys[] = {0};
  for (uint32_t per = 1; per <= 12; per += 5) { /* rows split over batches of 1, 6, 11 */
    fl_op *one =
        fl_op_hash_aggregate(&t.ctx, tsource(&t, sv, 3, 24, per, fill_sv, &dummy), NULL, 0, aggs, 4, &err);
    fl_op *grp =
        fl_op_hash_aggregate(&t.ctx, tsource(&t, sv, 3, 24, per, fill_sv, &dummy), keys, 1, aggs, 4, &err);
    fl_batch *a = tcollect(one), *b = tcollect(grp);
    cr_assert_eq(a->nrows, 1);
    cr_assert_eq(b->nrows, 1);
    cr_assert(tstr_eq(a, 0, 0, ""), "the empty string is the least");
    cr_assert(tstr_eq(a, 1, 0, "\xc3\x9f"), "a byte >= 0x80 sorts after ASCII");
    cr_assert(tstr_eq(b, 1, 0, ""), "grouped: the key first");
    cr_assert(tstr_eq(b, 2, 0, "\xc3\x9f"));
    cr_assert_eq(ti64(a, 2, 0), -7);
    cr_assert_eq(ti64(a, 3, 0), 100);
    cr_assert_eq(ti64(b, 3, 0), -7);
    cr_assert_eq(ti64(b, 4, 0), 100);
    fl_batch_free(a);
    fl_batch_free(b);
    fl_op_free(one);
    fl_op_free(grp);
  }
  /* every value NULL: NULL */
  int all = 2;
  fl_op *one = fl_op_hash_aggregate(&t.ctx, tsource(&t, sv, 3, 12, 4, fill_sv, &all), NULL, 0, aggs, 4, &err);
  fl_batch *a = tcollect(one);
  cr_assert_eq(a->nrows, 1);
  for (uint32_t c = 0; c < 4; c++) cr_assert(tnull(a, c, 0), "column %u", c);
  fl_batch_free(a);
  fl_op_free(one);
  tctx_done(&t);
}

/* Keys in runs (a row equal to the one before takes its group without a lookup): runs
 * of 1 to 9 rows, NULL runs among them, a key coming back after others, and runs cut
 * by batch boundaries give the counts and sums of each key. */
static void fill_runs(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  /* row r is in run q = the largest q with q*(q+1)/2 <= r (runs of 1, 2, 3, ... rows);
   * run q has key q % 7, NULL when q % 7 == 6 */
  uint32_t q = 0;
  while ((q + 1) * (q + 2) / 2 <= r) q++;
  if (q % 7 == 6)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_i32(&b->cols[0], (int32_t)(q % 7));
  fl_vec_append_i64(&b->cols[1], r);
  fl_vec_append_bool(&b->cols[2], true);
}

Test(exec_agg, keys_in_runs_across_batches_group_as_keys_one_by_one) {
  tctx t;
  tctx_init(&t);
  const uint32_t n = 300;
  int64_t want_n[7] = {0}, want_s[7] = {0};
  for (uint32_t r = 0; r < n; r++) {
    uint32_t q = 0;
    while ((q + 1) * (q + 2) / 2 <= r) q++;
    want_n[q % 7]++, want_s[q % 7] += r;
  }
  fl_agg_spec aggs[] = {{FL_AGG_COUNT_STAR, -1, -1, "n"}, {FL_AGG_SUM, 1, -1, "s"}};
  uint32_t keys[] = {0};
  for (uint32_t per = 1; per <= 64; per = per * 3 + 1) {
    fl_err err = {0};
    fl_op *agg =
        fl_op_hash_aggregate(&t.ctx, tsource(&t, kv, 3, n, per, fill_runs, NULL), keys, 1, aggs, 2, &err);
    fl_batch *out = tcollect(agg);
    cr_assert_eq(out->nrows, 7, "per %u", per);
    for (uint32_t g = 0; g < 7; g++) {
      uint32_t k = tnull(out, 0, g) ? 6 : (uint32_t)ti64(out, 0, g);
      cr_assert_eq(ti64(out, 1, g), want_n[k], "per %u key %u", per, k);
      cr_assert_eq(ti64(out, 2, g), want_s[k], "per %u key %u", per, k);
    }
    fl_batch_free(out);
    fl_op_free(agg);
  }
  tctx_done(&t);
}

/* One STRING key (the aggregate's group cache): value v of P + 1 is NULL (v == P), ""
 * (v == 0) or v's digits padded with '-' to (v * 13) % 31 bytes, after them, before
 * them or around them (v % 3): lengths 0..30 (past the cache's 24), and strings of one
 * length that differ only in their last bytes, or only in their middle ones. */
static fl_field skv[] = {
    {1, "k", {FL_T_STRING, 0, 0, 0}, false, NULL},
    {2, "v", {FL_T_BIGINT, 0, 0, 0}, false, NULL},
};
static uint32_t str_key(uint32_t v, char *out) {
  if (v == 0) return 0;
  char digits[16];
  uint32_t d = (uint32_t)snprintf(digits, sizeof digits, "%u", v), want = (v * 13) % 31;
  uint32_t pad = want > d ? want - d : 0, front = v % 3 == 0 ? 0 : v % 3 == 1 ? pad : pad / 2;
  memset(out, '-', d + pad);
  memcpy(out + front, digits, d);
  return d + pad;
}
static uint32_t str_row_value(uint32_t r, uint32_t p) { return (r * 7 + r / 5) % (p + 1); }
static void fill_str_keys(fl_batch *b, uint32_t r, void *arg) {
  uint32_t p = *(const uint32_t *)arg, v = str_row_value(r, p);
  char key[40];
  if (v == p)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_str(&b->cols[0], key, str_key(v, key));
  fl_vec_append_i64(&b->cols[1], r);
}

Test(exec_agg, one_string_key_groups_in_first_seen_order_with_few_or_many_values) {
  tctx t;
  tctx_init(&t);
  const uint32_t n = 9000; /* several batches of the source's size and of the cache's decision */
  fl_agg_spec aggs[] = {{FL_AGG_COUNT_STAR, -1, -1, "n"}, {FL_AGG_SUM, 1, -1, "s"}};
  uint32_t keys[] = {0};
  static const uint32_t pools[] = {3, 10, 40, 70, 500, 5000};
  for (uint32_t pi = 0; pi < sizeof pools / sizeof *pools; pi++) {
    uint32_t p = pools[pi];
    int64_t *want_n = calloc(p + 1, sizeof *want_n), *want_s = calloc(p + 1, sizeof *want_s);
    uint32_t *order = calloc(p + 1, sizeof *order), norder = 0;
    for (uint32_t r = 0; r < n; r++) {
      uint32_t v = str_row_value(r, p);
      if (!want_n[v]) order[norder++] = v;
      want_n[v]++, want_s[v] += r;
    }
    for (uint32_t per = 700; per <= 2048; per += 1348) {
      fl_err err = {0};
      fl_op *agg = fl_op_hash_aggregate(&t.ctx, tsource(&t, skv, 2, n, per, fill_str_keys, &p), keys, 1, aggs,
                                        2, &err);
      cr_assert_not_null(agg, "%s", err.msg);
      fl_batch *out = tcollect(agg);
      cr_assert_eq(out->nrows, norder, "pool %u per %u", p, per);
      for (uint32_t g = 0; g < norder; g++) {
        uint32_t v = order[g];
        char key[41];
        key[str_key(v, key)] = 0;
        if (v == p)
          cr_assert(tnull(out, 0, g), "pool %u group %u: the NULL key", p, g);
        else
          cr_assert(tstr_eq(out, 0, g, key), "pool %u group %u: key '%s'", p, g, key);
        cr_assert_eq(ti64(out, 1, g), want_n[v], "pool %u key '%s'", p, key);
        cr_assert_eq(ti64(out, 2, g), want_s[v], "pool %u key '%s'", p, key);
      }
      fl_batch_free(out);
      fl_op_free(agg);
    }
    free(want_n);
    free(want_s);
    free(order);
  }
  tctx_done(&t);
}
