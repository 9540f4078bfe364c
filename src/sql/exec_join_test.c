/* Unit tests of the hash join (exec_join.c): duplicate keys on both sides, NULL keys
 * that never match, LEFT's NULL-filled rows, SEMI/ANTI and NOT IN's NULL rules,
 * multi-column keys, outputs that split a key's matches across batches, key types
 * that differ, and the memory budget. */
#include "sql/exec_int.h"
#include "sql/exec_test_util.h"

static fl_field lf[] = {{1, "lk", {FL_T_INT, 0, 0, 0}, false, NULL},
                        {2, "lid", {FL_T_BIGINT, 0, 0, 0}, false, NULL}};
static fl_field rf[] = {{1, "rk", {FL_T_INT, 0, 0, 0}, false, NULL},
                        {2, "rid", {FL_T_BIGINT, 0, 0, 0}, false, NULL},
                        {3, "rs", {FL_T_STRING, 0, 0, 0}, false, NULL}};

typedef struct keys_arg {
  const int *k; /* -1 = NULL */
} keys_arg;

static void fill_l(fl_batch *b, uint32_t r, void *arg) {
  const int *k = ((keys_arg *)arg)->k;
  if (k[r] < 0)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_i32(&b->cols[0], k[r]);
  fl_vec_append_i64(&b->cols[1], 100 + r);
}
static void fill_r(fl_batch *b, uint32_t r, void *arg) {
  const int *k = ((keys_arg *)arg)->k;
  if (k[r] < 0)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_i32(&b->cols[0], k[r]);
  fl_vec_append_i64(&b->cols[1], 200 + r);
  char s[8];
  int n = snprintf(s, sizeof s, "r%u", r);
  fl_vec_append_str(&b->cols[2], s, (uint32_t)n);
}

static const int LK[] = {1, 1, 2, -1, 3};
static const int RK[] = {1, -1, 2, 1, 4};
static const int RK_NONULL[] = {1, 2, 4};

static fl_batch *run_join(tctx *t, fl_join_kind kind, const int *rk, uint32_t nr) {
  keys_arg la = {LK}, ra = {rk};
  uint32_t lkeys[] = {0}, rkeys[] = {0};
  fl_err err = {0};
  fl_op *j = fl_op_hash_join(&t->ctx, kind, tsource(t, lf, 2, 5, 2, fill_l, &la),
                             tsource(t, rf, 3, nr, 2, fill_r, &ra), lkeys, rkeys, 1, &err);
  cr_assert_not_null(j, "%s", err.msg);
  fl_batch *out = tcollect(j);
  fl_op_free(j);
  return out;
}

Test(exec_join, inner_and_left_with_duplicate_and_null_keys) {
  tctx t;
  tctx_init(&t);
  fl_batch *out = run_join(&t, FL_JOIN_INNER, RK, 5);
  cr_assert_eq(out->ncols, 5);
  /* left 100 (k=1) x right 200, 203; left 101 x 200, 203; left 102 (k=2) x 202 */
  const int64_t want[][2] = {{100, 200}, {100, 203}, {101, 200}, {101, 203}, {102, 202}};
  cr_assert_eq(out->nrows, 5);
  for (uint32_t r = 0; r < 5; r++) {
    cr_assert_eq(ti64(out, 1, r), want[r][0]);
    cr_assert_eq(ti64(out, 3, r), want[r][1]);
    cr_assert_eq(ti64(out, 0, r), ti64(out, 2, r));
  }
  cr_assert(tstr_eq(out, 4, 1, "r3"));
  fl_batch_free(out);
  out = run_join(&t, FL_JOIN_LEFT, RK, 5);
  cr_assert_eq(out->nrows, 7);
  /* the NULL-key row (103) and 104 (k=3) come with NULL right columns */
  cr_assert_eq(ti64(out, 1, 5), 103);
  cr_assert(tnull(out, 2, 5) && tnull(out, 3, 5) && tnull(out, 4, 5));
  cr_assert_eq(ti64(out, 1, 6), 104);
  cr_assert(tnull(out, 3, 6));
  fl_batch_free(out);
  tctx_done(&t);
}

static void expect_left_ids(fl_batch *out, const int64_t *want, uint32_t n) {
  cr_assert_eq(out->ncols, 2);
  cr_assert_eq(out->nrows, n, "%u rows", out->nrows);
  for (uint32_t r = 0; r < n; r++) cr_assert_eq(ti64(out, 1, r), want[r]);
  fl_batch_free(out);
}

Test(exec_join, semi_anti_and_not_in_null_rules) {
  tctx t;
  tctx_init(&t);
  const int64_t semi[] = {100, 101, 102};
  expect_left_ids(run_join(&t, FL_JOIN_SEMI, RK, 5), semi, 3);
  const int64_t anti[] = {103, 104}; /* NOT EXISTS keeps the NULL-key row */
  expect_left_ids(run_join(&t, FL_JOIN_ANTI, RK, 5), anti, 2);
  /* NOT IN with a NULL on the right: nothing */
  expect_left_ids(run_join(&t, FL_JOIN_ANTI_NULL_AWARE, RK, 5), NULL, 0);
  /* without NULLs on the right: the NULL-key left row does not qualify */
  const int64_t naaj[] = {104};
  expect_left_ids(run_join(&t, FL_JOIN_ANTI_NULL_AWARE, RK_NONULL, 3), naaj, 1);
  /* against an empty right side: every row, NULL key included */
  const int64_t all[] = {100, 101, 102, 103, 104};
  expect_left_ids(run_join(&t, FL_JOIN_ANTI_NULL_AWARE, RK, 0), all, 5);
  expect_left_ids(run_join(&t, FL_JOIN_ANTI, RK, 0), all, 5);
  expect_left_ids(run_join(&t, FL_JOIN_SEMI, RK, 0), NULL, 0);
  fl_batch *out = run_join(&t, FL_JOIN_INNER, RK, 0);
  cr_assert_eq(out->nrows, 0);
  fl_batch_free(out);
  out = run_join(&t, FL_JOIN_LEFT, RK, 0);
  cr_assert_eq(out->nrows, 5);
  cr_assert(tnull(out, 3, 0));
  fl_batch_free(out);
  tctx_done(&t);
}

/* Left: 20,000 rows, k = r % 5000, s = "s<r % 3>"; right: 15,000 rows, k = r % 5000,
 * s = "s<r % 2>". Multi-column key (k, s). */
static fl_field ml[] = {{1, "k", {FL_T_BIGINT, 0, 0, 0}, false, NULL},
                        {2, "s", {FL_T_STRING, 0, 0, 0}, false, NULL},
                        {3, "id", {FL_T_BIGINT, 0, 0, 0}, false, NULL}};
static void fill_ml(fl_batch *b, uint32_t r, void *arg) {
  uint32_t mods = *(uint32_t *)arg;
  fl_vec_append_i64(&b->cols[0], r % 5000);
  char s[8];
  int n = snprintf(s, sizeof s, "s%u", r % mods);
  fl_vec_append_str(&b->cols[1], s, (uint32_t)n);
  fl_vec_append_i64(&b->cols[2], r);
}

Test(exec_join, multi_column_keys_over_many_batches_split_chains_across_outputs) {
  tctx t;
  tctx_init(&t);
  uint32_t three = 3, two = 2;
  uint32_t keys[] = {0, 1};
  fl_err err = {0};
  fl_op *j = fl_op_hash_join(&t.ctx, FL_JOIN_INNER, tsource(&t, ml, 3, 20000, 2048, fill_ml, &three),
                             tsource(&t, ml, 3, 15000, 1000, fill_ml, &two), keys, keys, 2, &err);
  fl_batch *out = tcollect(j);
  /* expected: for each left row l, right rows r with r % 5000 == l % 5000 and r % 2 == l % 3 */
  uint64_t want = 0;
  for (uint32_t l = 0; l < 20000; l++)
    for (uint32_t r = l % 5000; r < 15000; r += 5000)
      if (l % 3 == r % 2) want++;
  cr_assert_eq(out->nrows, want);
  cr_assert_gt(j->stats.batches_out, 5);
  for (uint32_t i = 0; i < out->nrows; i++) {
    int64_t l = ti64(out, 2, i), r = ti64(out, 5, i);
    cr_assert_eq(l % 5000, r % 5000);
    cr_assert_eq(l % 3, r % 2);
  }
  fl_batch_free(out);
  fl_op_free(j);
  tctx_done(&t);
}

/* As fill_ml, with k NULL on rows r % nullmod == 0 (nullmod 0: never) and k = r % 7000 so
 * some keys of each side have no partner. */
typedef struct mln_arg {
  uint32_t mods, nullmod;
} mln_arg;
static void fill_mln(fl_batch *b, uint32_t r, void *arg) {
  mln_arg *a = arg;
  if (a->nullmod && r % a->nullmod == 0)
    fl_vec_append_null(&b->cols[0]);
  else
    fl_vec_append_i64(&b->cols[0], r % 7000);
  char s[8];
  int n = snprintf(s, sizeof s, "s%u", r % a->mods);
  fl_vec_append_str(&b->cols[1], s, (uint32_t)n);
  fl_vec_append_i64(&b->cols[2], r);
}

static char *run_spill_join(fl_join_kind kind, size_t budget, uint32_t right_nullmod, uint64_t *spilled,
                            uint32_t *nrows) {
  tctx t;
  tctx_init(&t);
  t.ctx.mem_budget = budget;
  mln_arg la = {3, 97}, ra = {2, right_nullmod};
  uint32_t keys[] = {0, 1};
  fl_err err = {0};
  fl_op *j = fl_op_hash_join(&t.ctx, kind, tsource(&t, ml, 3, 20000, 2048, fill_mln, &la),
                             tsource(&t, ml, 3, 30000, 2048, fill_mln, &ra), keys, keys, 2, &err);
  fl_batch *out = tcollect(j);
  *nrows = out->nrows;
  char *rows = trows_sorted(out);
  fl_buf ex = {0};
  fl_op_explain(j, true, &ex);
  fl_buf_cstr(&ex);
  char *sp = strstr((char *)ex.data, "spilled=");
  *spilled = sp ? strtoull(sp + 8, NULL, 10) : 0;
  fl_buf_free(&ex);
  fl_batch_free(out);
  fl_op_free(j);
  tctx_done(&t);
  return rows;
}

Test(exec_join, spilled_partitions_give_the_same_rows_for_every_kind) {
  const fl_join_kind kinds[] = {FL_JOIN_INNER, FL_JOIN_LEFT, FL_JOIN_SEMI, FL_JOIN_ANTI,
                                FL_JOIN_ANTI_NULL_AWARE};
  /* NOT IN is run with and without a NULL on the right */
  const uint32_t right_nulls[] = {89, 89, 89, 89, 0};
  for (int k = 0; k < 5; k++) {
    uint64_t sp0, sp1;
    uint32_t n0, n1;
    char *mem = run_spill_join(kinds[k], 0, right_nulls[k], &sp0, &n0);
    char *spill = run_spill_join(kinds[k], 400u << 10, right_nulls[k], &sp1, &n1);
    cr_assert_eq(sp0, 0);
    cr_assert_gt(sp1, 20000, "kind %d spilled %llu rows", kinds[k], (unsigned long long)sp1);
    cr_assert_eq(n1, n0, "kind %d: %u rows spilled, %u in memory", kinds[k], n1, n0);
    cr_assert_gt(n0, 0, "kind %d", kinds[k]);
    cr_assert_str_eq(spill, mem, "kind %d", kinds[k]);
    free(mem);
    free(spill);
  }
  uint64_t sp;
  uint32_t n;
  char *none = run_spill_join(FL_JOIN_ANTI_NULL_AWARE, 400u << 10, 89, &sp, &n);
  cr_assert_eq(n, 0, "NOT IN against a NULL, spilled");
  free(none);
}

Test(exec_join, key_types_must_match_and_the_budget_is_enforced) {
  tctx t;
  tctx_init(&t);
  uint32_t three = 3;
  keys_arg la = {LK};
  uint32_t lk[] = {0}, rk[] = {0};
  fl_err err = {0};
  fl_op *l = tsource(&t, lf, 2, 5, 5, fill_l, &la), *r = tsource(&t, ml, 3, 10, 10, fill_ml, &three);
  cr_assert_null(fl_op_hash_join(&t.ctx, FL_JOIN_INNER, l, r, lk, rk, 1, &err));
  cr_assert_eq(err.code, FL_ETYPE);
  cr_assert(strstr(err.msg, "lk (INT) = k (BIGINT)"), "%s", err.msg);
  fl_op_free(l);
  fl_op_free(r);
  t.ctx.mem_budget = 100000;
  fl_op *j = fl_op_hash_join(&t.ctx, FL_JOIN_INNER, tsource(&t, ml, 3, 100, 100, fill_ml, &three),
                             tsource(&t, ml, 3, 50000, 2048, fill_ml, &three), lk, rk, 1, &err);
  fl_batch *out;
  /* 100,000 bytes is below what a join's empty buffers take: every level spills again */
  cr_assert_eq(fl_op_collect(j, &out, &err), FL_ELIMIT);
  cr_assert(strstr(err.msg, "memory budget of 100000 bytes after 4 levels"), "%s", err.msg);
  fl_op_free(j);
  tctx_done(&t);
}

/* Dense keys: one integer key over a small range is looked up in an array (dense=N in
 * EXPLAIN ANALYZE), a wide range in the hash table. The same keys scaled apart by a
 * large factor take the table; every kind must give the same rows both ways, with
 * NULL keys on both sides, duplicate build keys, negative keys and probe keys below,
 * inside and above the build's range. */
typedef struct dense_arg {
  int64_t scale;
  uint32_t seed;
  bool right;
} dense_arg;

static fl_field dl[] = {{1, "k", {FL_T_BIGINT, 0, 0, 0}, false, NULL},
                        {2, "id", {FL_T_BIGINT, 0, 0, 0}, false, NULL}};

static void fill_dense(fl_batch *b, uint32_t r, void *arg) {
  const dense_arg *a = arg;
  uint32_t x = (r + a->seed) * 2654435761u; /* a fixed pseudo-random key per row */
  if (x % 23 == 0) {
    fl_vec_append_null(&b->cols[0]);
  } else {
    /* build: -40..159 (duplicates); probe: -70..189 (some below and above) */
    int64_t k = a->right ? (int64_t)(x % 200) - 40 : (int64_t)((x >> 8) % 260) - 70;
    fl_vec_append_i64(&b->cols[0], k * a->scale);
  }
  fl_vec_append_i64(&b->cols[1], (a->right ? 100000 : 0) + r);
}

static char *dense_run(tctx *t, fl_join_kind kind, int64_t scale, uint32_t *dense_n) {
  dense_arg la = {scale, 7, false}, ra = {scale, 3, true};
  uint32_t keys[] = {0};
  fl_err err = {0};
  fl_op *j = fl_op_hash_join(&t->ctx, kind, tsource(t, dl, 2, 3000, 700, fill_dense, &la),
                             tsource(t, dl, 2, 500, 128, fill_dense, &ra), keys, keys, 1, &err);
  cr_assert_not_null(j, "%s", err.msg);
  fl_batch *out = tcollect(j);
  fl_buf ex = {0};
  fl_op_explain(j, true, &ex);
  fl_buf_cstr(&ex);
  const char *d = strstr((const char *)ex.data, "dense=");
  *dense_n = d ? (uint32_t)strtoul(d + 6, NULL, 10) : 0;
  fl_buf_free(&ex);
  fl_op_free(j);
  /* the ids, in output order (a left row's matches in build order) */
  fl_buf s = {0};
  for (uint32_t r = 0; r < out->nrows; r++) {
    fl_buf_printf(&s, "%lld", (long long)ti64(out, 1, r));
    if (out->ncols > 2) {
      if (tnull(out, 3, r))
        fl_buf_printf(&s, "-");
      else
        fl_buf_printf(&s, "=%lld", (long long)ti64(out, 3, r));
    }
    fl_buf_printf(&s, ",");
  }
  fl_batch_free(out);
  fl_buf_put_u8(&s, 0);
  return (char *)fl_buf_take(&s, NULL);
}

Test(exec_join, dense_integer_keys_give_the_rows_of_the_hash_table_for_every_kind) {
  tctx t;
  tctx_init(&t);
  fl_join_kind kinds[] = {FL_JOIN_INNER, FL_JOIN_LEFT, FL_JOIN_SEMI, FL_JOIN_ANTI, FL_JOIN_ANTI_NULL_AWARE};
  for (uint32_t i = 0; i < 5; i++) {
    uint32_t dn, hn;
    char *dense = dense_run(&t, kinds[i], 1, &dn);
    char *hashed = dense_run(&t, kinds[i], 1000003, &hn);
    cr_assert_eq(dn, 200, "kind %u: keys -40..159 in an array of 200", i);
    cr_assert_eq(hn, 0, "kind %u: a range of 200 million keys stays in the table", i);
    cr_assert_str_eq(dense, hashed, "kind %u", i);
    if (kinds[i] == FL_JOIN_ANTI_NULL_AWARE)
      cr_assert_str_eq(dense, "", "NOT IN against a NULL: no row");
    else
      cr_assert_gt(strlen(dense), 100, "kind %u: %zu", i, strlen(dense));
    fl_free(dense);
    fl_free(hashed);
  }
  tctx_done(&t);
}

/* Unique right keys (k = r, 0..4999): the INNER walk takes no chains, a row and a lookup
 * each. Left: 20,000 rows, k = r % 7000 (NULL where r % 97 == 0), in batches of 2,048:
 * each left row whose k is below 5,000 comes out once, in left order, beside the right
 * row of its key. */
Test(exec_join, unique_right_keys_give_each_left_row_its_one_match_in_order) {
  tctx t;
  tctx_init(&t);
  mln_arg la = {3, 97}, ra = {2, 0};
  uint32_t keys[] = {0};
  fl_err err = {0};
  fl_op *j = fl_op_hash_join(&t.ctx, FL_JOIN_INNER, tsource(&t, ml, 3, 20000, 2048, fill_mln, &la),
                             tsource(&t, ml, 3, 5000, 1000, fill_mln, &ra), keys, keys, 1, &err);
  cr_assert_not_null(j, "%s", err.msg);
  fl_batch *out = tcollect(j);
  uint32_t want = 0;
  for (uint32_t l = 0; l < 20000; l++) want += l % 97 != 0 && l % 7000 < 5000;
  cr_assert_eq(out->nrows, want);
  int64_t prev = -1;
  for (uint32_t i = 0; i < out->nrows; i++) {
    int64_t l = ti64(out, 2, i), r = ti64(out, 5, i);
    cr_assert_gt(l, prev, "left order kept at output row %u", i);
    cr_assert_eq(l % 7000, r, "left row %lld beside right row %lld", (long long)l, (long long)r);
    prev = l;
  }
  fl_batch_free(out);
  fl_op_free(j);
  tctx_done(&t);
}

/* A column the join's parent never reads is not gathered (fl_op_join_skip_unused): it
 * stays empty, and the others hold what the join gives without the skip, for INNER and
 * LEFT (NULL-filled right columns) with duplicate and NULL keys. */
Test(exec_join, skipped_columns_stay_empty_and_the_others_keep_their_rows) {
  tctx t;
  tctx_init(&t);
  static const fl_join_kind kinds[] = {FL_JOIN_INNER, FL_JOIN_LEFT};
  for (uint32_t ki = 0; ki < 2; ki++) {
    fl_batch *want = run_join(&t, kinds[ki], RK, 5);
    keys_arg la = {LK}, ra = {RK};
    uint32_t lkeys[] = {0}, rkeys[] = {0};
    fl_err err = {0};
    fl_op *j = fl_op_hash_join(&t.ctx, kinds[ki], tsource(&t, lf, 2, 5, 2, fill_l, &la),
                               tsource(&t, rf, 3, 5, 2, fill_r, &ra), lkeys, rkeys, 1, &err);
    cr_assert_not_null(j, "%s", err.msg);
    const bool used[] = {true, false, false, true, true}; /* lk, lid, rk, rid, rs */
    cr_assert(fl_op_join_skip_unused(j, used));
    uint32_t row = 0;
    for (;;) {
      const fl_batch *b;
      cr_assert_eq(fl_op_next(j, &b, &err), FL_OK, "%s", err.msg);
      if (!b) break;
      cr_assert_eq(b->cols[1].len, 0);
      cr_assert_eq(b->cols[2].len, 0);
      for (uint32_t i = 0; i < b->nrows; i++, row++) {
        cr_assert_lt(row, want->nrows);
        for (uint32_t c = 0; c < 5; c++) {
          if (!used[c]) continue;
          cr_assert_eq(b->cols[c].len, b->nrows);
          cr_assert_eq(exec_cell_cmp(&b->cols[c], i, &want->cols[c], row), 0, "kind %u row %u col %u", ki,
                       row, c);
          cr_assert_eq(fl_vec_is_valid(&b->cols[c], i), fl_vec_is_valid(&want->cols[c], row));
        }
      }
    }
    cr_assert_eq(row, want->nrows);
    fl_batch_free(want);
    fl_op_free(j);
  }
  /* not a join: nothing to skip */
  keys_arg la = {LK};
  fl_op *src = tsource(&t, lf, 2, 5, 2, fill_l, &la);
  const bool used[] = {true, false};
  cr_assert_not(fl_op_join_skip_unused(src, used));
  fl_op_free(src);
  tctx_done(&t);
}
