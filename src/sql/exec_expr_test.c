/* Unit tests of the project and filter operators (exec_expr.c): exact output columns and
 * types, pass-through columns, filters that keep all, none or some rows of a batch
 * (three-valued: NULL is not TRUE), runtime errors that stop the query with the
 * expression's text, and EXPLAIN lines. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/batch.h"
#include "core/mem.h"
#include "sql/exec.h"
#include "sql/sql.h"

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "amount", {FL_T_DECIMAL, 12, 2}, false},
    {3, "name", {FL_T_STRING, 0, 0}, false},
};

/* rows id = from .. from + n - 1; amount = id * 1.25 (NULL when id % 3 == 2);
 * name = "n<id>" */
static fl_batch *make(int64_t from, uint32_t n) {
  fl_batch *b = fl_batch_new(fields, 3, n ? n : 1);
  for (uint32_t i = 0; i < n; i++) {
    int64_t id = from + i;
    fl_vec_append_i64(&b->cols[0], id);
    if (id % 3 == 2)
      fl_vec_append_null(&b->cols[1]);
    else
      fl_vec_append_i64(&b->cols[1], id * 125);
    char s[32];
    int len = snprintf(s, sizeof s, "n%lld", (long long)id);
    fl_vec_append_str(&b->cols[2], s, (uint32_t)len);
  }
  fl_batch_set_rows(b, n);
  return b;
}

typedef struct fixture {
  fl_arena arena;
  fl_exec_ctx ctx;
  fl_batch *bs[3];
  fl_op *src;
} fixture;

static void setup(fixture *f) {
  fl_arena_init(&f->arena, 4096);
  memset(&f->ctx, 0, sizeof f->ctx);
  f->ctx.arena = &f->arena;
  f->bs[0] = make(0, 5);
  f->bs[1] = make(100, 3);
  f->bs[2] = make(1000, 2);
  f->src = fl_op_values(&f->ctx, fields, 3, (const fl_batch *const *)f->bs, 3);
}

static void teardown(fixture *f, fl_op *root) {
  fl_op_free(root);
  for (int i = 0; i < 3; i++) fl_batch_free(f->bs[i]);
  fl_arena_destroy(&f->arena);
}

static fl_sql_expr *bound(fixture *f, fl_op *op, const char *sql) {
  fl_sql_expr *e;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_expr(sql, strlen(sql), &f->arena, &e, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_sql_expr_bind(e, fl_exec_schema(op), &err), FL_OK, "%s", err.msg);
  return e;
}

/* The rows of a collected batch as "a,b;a,b;..." JSON texts. */
static void rows_text(const fl_batch *b, char *out, size_t size) {
  fl_buf buf = FL_BUF_INIT;
  for (uint32_t r = 0; r < b->nrows; r++) {
    if (r) fl_buf_put_u8(&buf, ';');
    for (uint32_t c = 0; c < b->ncols; c++) {
      fl_value v;
      fl_batch_get(b, c, r, &v);
      if (c) fl_buf_put_u8(&buf, ',');
      fl_value_to_json(&v, &buf);
    }
  }
  fl_buf_cstr(&buf);
  snprintf(out, size, "%s", (const char *)buf.data);
  fl_buf_free(&buf);
}

Test(exec_expr, project_computes_columns_with_their_types_and_names) {
  fixture f;
  setup(&f);
  const fl_sql_expr *exprs[] = {bound(&f, f.src, "id"), bound(&f, f.src, "amount * 2"),
                                bound(&f, f.src, "upper(name) || '!'"), bound(&f, f.src, "id / 2")};
  const char *names[] = {"id", "double_amount", "shout", "half"};
  fl_err err = {0};
  fl_op *p = fl_op_project(&f.ctx, f.src, exprs, names, 4, &err);
  cr_assert_not_null(p, "%s", err.msg);
  cr_assert_eq(p->ncols, 4);
  cr_assert_str_eq(p->fields[1].name, "double_amount");
  cr_assert_eq(p->fields[0].type.kind, FL_T_BIGINT);
  cr_assert_eq(p->fields[1].type.kind, FL_T_DECIMAL);
  cr_assert_eq(p->fields[1].type.precision, 18); /* DuckDB: (12,2) * INT */
  cr_assert_eq(p->fields[1].type.scale, 2);
  cr_assert_eq(p->fields[2].type.kind, FL_T_STRING);
  cr_assert_eq(p->fields[3].type.kind, FL_T_DOUBLE);
  fl_batch *all;
  cr_assert_eq(fl_op_collect(p, &all, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(all->nrows, 10);
  char text[2048];
  rows_text(all, text, sizeof text);
  cr_assert_str_eq(
      text,
      "0,0.00,\"N0!\",0;1,2.50,\"N1!\",0.5;2,null,\"N2!\",1;3,7.50,\"N3!\",1.5;4,10.00,\"N4!\",2;"
      "100,250.00,\"N100!\",50;101,null,\"N101!\",50.5;102,255.00,\"N102!\",51;"
      "1000,2500.00,\"N1000!\",500;1001,null,\"N1001!\",500.5");
  fl_buf ex = FL_BUF_INIT;
  fl_op_explain(p, false, &ex);
  fl_buf_cstr(&ex);
  cr_assert_str_eq((char *)ex.data,
                   "PROJECT id, amount * 2 AS double_amount, upper(name) || '!' AS shout, id / 2 AS half\n"
                   "  VALUES 10 rows\n");
  fl_buf_free(&ex);
  fl_batch_free(all);
  teardown(&f, p);
}

Test(exec_expr, filter_keeps_only_true_rows_across_batches) {
  fixture f;
  setup(&f);
  fl_err err = {0};
  /* amount > 2: NULL amounts (id % 3 == 2) are not TRUE; batch 1 keeps 2 of 3, batch 2 keeps 1 of 2 */
  fl_op *flt = fl_op_filter(&f.ctx, f.src, bound(&f, f.src, "amount > 2 OR id = 1001"), &err);
  cr_assert_not_null(flt, "%s", err.msg);
  cr_assert_eq(flt->ncols, 3);
  fl_batch *all;
  cr_assert_eq(fl_op_collect(flt, &all, &err), FL_OK, "%s", err.msg);
  char text[2048];
  rows_text(all, text, sizeof text);
  cr_assert_str_eq(
      text,
      "3,3.75,\"n3\";4,5.00,\"n4\";100,125.00,\"n100\";102,127.50,\"n102\";1000,1250.00,\"n1000\";"
      "1001,null,\"n1001\"");
  cr_assert_eq(flt->stats.batches_out, 3);
  fl_batch_free(all);
  teardown(&f, flt);
}

Test(exec_expr, filter_over_project_and_a_batch_with_no_match_is_skipped) {
  fixture f;
  setup(&f);
  fl_err err = {0};
  const fl_sql_expr *exprs[] = {bound(&f, f.src, "id % 100"), bound(&f, f.src, "name")};
  const char *names[] = {"r", "name"};
  fl_op *p = fl_op_project(&f.ctx, f.src, exprs, names, 2, &err);
  cr_assert_not_null(p, "%s", err.msg);
  fl_op *flt = fl_op_filter(&f.ctx, p, bound(&f, p, "r BETWEEN 1 AND 2 AND name LIKE 'n1%'"), &err);
  cr_assert_not_null(flt, "%s", err.msg);
  fl_batch *all;
  cr_assert_eq(fl_op_collect(flt, &all, &err), FL_OK, "%s", err.msg);
  char text[512];
  rows_text(all, text, sizeof text);
  cr_assert_str_eq(text, "1,\"n1\";1,\"n101\";2,\"n102\";1,\"n1001\"");
  fl_batch_free(all);
  teardown(&f, flt);
}

Test(exec_expr, runtime_errors_stop_the_query_with_the_expression) {
  fixture f;
  setup(&f);
  fl_err err = {0};
  const fl_sql_expr *exprs[] = {bound(&f, f.src, "CAST(name AS INT)")};
  const char *names[] = {"x"};
  fl_op *p = fl_op_project(&f.ctx, f.src, exprs, names, 1, &err);
  cr_assert_not_null(p, "%s", err.msg);
  fl_batch *all;
  cr_assert_eq(fl_op_collect(p, &all, &err), FL_ETYPE);
  cr_assert_null(all);
  cr_assert_str_eq(err.msg, "CAST(name AS INT): line 1, column 1: cannot convert string 'n0' to INT");
  teardown(&f, p);
}

Test(exec_expr, filter_refuses_a_non_boolean_predicate) {
  fixture f;
  setup(&f);
  fl_err err = {0};
  cr_assert_null(fl_op_filter(&f.ctx, f.src, bound(&f, f.src, "id + 1"), &err));
  cr_assert_str_eq(err.msg, "line 1, column 4: WHERE needs a BOOLEAN, found BIGINT");
  teardown(&f, f.src);
}
