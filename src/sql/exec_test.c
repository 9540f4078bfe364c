/* Unit tests of the operator framework (exec.c): the values source skips empty batches
 * and ends with NULL forever, fl_op_next counts rows and batches, collect concatenates,
 * EXPLAIN prints the tree, and the deadline and cancel flag stop a query. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/batch.h"
#include "core/mem.h"
#include "sql/exec.h"

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "name", {FL_T_STRING, 0, 0}, false},
};

static fl_batch *make(int64_t from, uint32_t n) {
  fl_batch *b = fl_batch_new(fields, 2, n ? n : 1);
  for (uint32_t i = 0; i < n; i++) {
    fl_vec_append_i64(&b->cols[0], from + i);
    if (i % 2)
      fl_vec_append_null(&b->cols[1]);
    else
      fl_vec_append_str(&b->cols[1], "x", 1);
  }
  fl_batch_set_rows(b, n);
  return b;
}

Test(exec, values_skips_empty_batches_and_collect_concatenates) {
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_exec_ctx ctx = {.arena = &arena};
  fl_batch *bs[3] = {make(0, 3), make(100, 0), make(10, 2)};
  fl_op *op = fl_op_values(&ctx, fields, 2, (const fl_batch *const *)bs, 3);
  fl_err err = {0};
  fl_batch *all;
  cr_assert_eq(fl_op_collect(op, &all, &err), FL_OK);
  cr_assert_eq(all->nrows, 5);
  const int64_t want[] = {0, 1, 2, 10, 11};
  for (int i = 0; i < 5; i++) cr_assert_eq(all->cols[0].data.i64[i], want[i]);
  cr_assert(fl_vec_is_valid(&all->cols[1], 0));
  cr_assert(!fl_vec_is_valid(&all->cols[1], 1));
  cr_assert_eq(op->stats.rows_out, 5);
  cr_assert_eq(op->stats.batches_out, 2);
  const fl_batch *b = (const fl_batch *)1;
  cr_assert_eq(fl_op_next(op, &b, &err), FL_OK);
  cr_assert_null(b);
  fl_buf out = {0};
  fl_op_explain(op, true, &out);
  fl_buf_cstr(&out);
  cr_assert(strncmp((char *)out.data, "VALUES 5 rows [rows=5 time=", 27) == 0, "%s", (char *)out.data);
  fl_buf_free(&out);
  fl_batch_free(all);
  fl_op_free(op);
  for (int i = 0; i < 3; i++) fl_batch_free(bs[i]);
  fl_arena_destroy(&arena);
}

Test(exec, cancel_and_deadline_stop_next) {
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  volatile int cancel = 1;
  fl_exec_ctx ctx = {.arena = &arena, .cancel = &cancel};
  fl_batch *b0 = make(0, 1);
  fl_op *op = fl_op_values(&ctx, fields, 2, (const fl_batch *const *)&b0, 1);
  fl_err err = {0};
  const fl_batch *b;
  cr_assert_eq(fl_op_next(op, &b, &err), FL_ECANCELED);
  cancel = 0;
  ctx.deadline_ns = 1; /* long past */
  cr_assert_eq(fl_op_next(op, &b, &err), FL_ETIMEOUT);
  cr_assert(strstr(err.msg, "time limit"));
  ctx.deadline_ns = 0;
  cr_assert_eq(fl_op_next(op, &b, &err), FL_OK);
  cr_assert_eq(b->nrows, 1);
  fl_op_free(op);
  fl_batch_free(b0);
  fl_arena_destroy(&arena);
}
