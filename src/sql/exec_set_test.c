/* Unit tests of UNION ALL (exec_set.c): every child's rows in order, duplicates kept,
 * empty children skipped, and inputs of other shapes refused by name. */
#include "sql/exec_test_util.h"

static fl_field f1[] = {{1, "x", {FL_T_BIGINT, 0, 0, 0}, true, NULL},
                        {2, "s", {FL_T_STRING, 0, 0, 0}, false, NULL}};
static fl_field f2[] = {{1, "y", {FL_T_BIGINT, 0, 0, 0}, false, NULL},
                        {2, "t", {FL_T_STRING, 0, 0, 0}, false, NULL}};
static fl_field f3[] = {{1, "y", {FL_T_INT, 0, 0, 0}, false, NULL},
                        {2, "t", {FL_T_STRING, 0, 0, 0}, false, NULL}};

static void fill(fl_batch *b, uint32_t r, void *arg) {
  int64_t base = *(int64_t *)arg;
  fl_vec_append_i64(&b->cols[0], base + r % 3);
  fl_vec_append_str(&b->cols[1], "a", 1);
}
static void fill_i32(fl_batch *b, uint32_t r, void *arg) {
  (void)arg;
  fl_vec_append_i32(&b->cols[0], (int32_t)r);
  fl_vec_append_null(&b->cols[1]);
}

Test(exec_set, union_all_keeps_every_row_in_child_order) {
  tctx t;
  tctx_init(&t);
  int64_t b0 = 0, b1 = 100;
  fl_op *kids[3] = {tsource(&t, f1, 2, 3000, 1000, fill, &b0), tsource(&t, f2, 2, 0, 10, fill, &b1),
                    tsource(&t, f2, 2, 4, 3, fill, &b1)};
  fl_err err = {0};
  fl_op *u = fl_op_union_all(&t.ctx, kids, 3, &err);
  cr_assert_str_eq(u->fields[0].name, "x");
  cr_assert(!u->fields[0].required, "nullable in one input: nullable");
  fl_batch *out = tcollect(u);
  cr_assert_eq(out->nrows, 3004);
  cr_assert_eq(ti64(out, 0, 2999), 2);
  const int64_t tail[] = {100, 101, 102, 100};
  for (int i = 0; i < 4; i++) cr_assert_eq(ti64(out, 0, 3000 + i), tail[i]);
  fl_batch_free(out);
  fl_op_free(u);
  fl_op *bad[2] = {tsource(&t, f1, 2, 1, 1, fill, &b0), tsource(&t, f3, 2, 1, 1, fill_i32, NULL)};
  cr_assert_null(fl_op_union_all(&t.ctx, bad, 2, &err));
  cr_assert_eq(err.code, FL_ETYPE);
  cr_assert(strstr(err.msg, "column 1 (x) is INT in input 2"), "%s", err.msg);
  fl_op_free(bad[0]);
  fl_op_free(bad[1]);
  tctx_done(&t);
}
