/* exec_set.c: UNION ALL (sql/exec.h): the children's batches one child after another,
 * passed through as they come (no copy). The children must have the same column count
 * and types (the planner casts first); output names are the first child's, and a
 * column is NOT NULL only where it is in every child. */
#include "sql/exec_int.h"

typedef struct union_op {
  fl_op op;
  uint32_t cur;
} union_op;

static fl_code union_next(fl_op *op, const fl_batch **out, fl_err *err) {
  union_op *u = (union_op *)op;
  while (u->cur < op->nchildren) {
    fl_code rc = fl_op_next(op->children[u->cur], out, err);
    if (rc || *out) return rc;
    u->cur++;
  }
  *out = NULL;
  return FL_OK;
}

static void union_explain(const fl_op *op, bool analyze, fl_buf *out) {
  (void)analyze;
  fl_buf_printf(out, "%u inputs", op->nchildren);
}

static const fl_op_vtable union_vt = {"UNION_ALL", union_next, union_explain, NULL};

fl_op *fl_op_union_all(fl_exec_ctx *ctx, fl_op *const *children, uint32_t n, fl_err *err) {
  if (n == 0) {
    fl_err_set(err, FL_EINVAL, "UNION ALL of no inputs");
    return NULL;
  }
  const fl_op *first = children[0];
  for (uint32_t i = 1; i < n; i++) {
    if (children[i]->ncols != first->ncols) {
      fl_err_set(err, FL_EINVAL, "UNION ALL: input %u has %u columns, the first %u", i + 1,
                 children[i]->ncols, first->ncols);
      return NULL;
    }
    for (uint32_t c = 0; c < first->ncols; c++)
      if (!fl_type_equal(children[i]->fields[c].type, first->fields[c].type)) {
        fl_err_set(err, FL_ETYPE, "UNION ALL: column %u (%s) is %s in input %u but %s in the first", c + 1,
                   first->fields[c].name, fl_type_sql_name(children[i]->fields[c].type.kind), i + 1,
                   fl_type_sql_name(first->fields[c].type.kind));
        return NULL;
      }
  }
  fl_field *fields = fl_arena_calloc(ctx->arena, first->ncols ? first->ncols : 1, sizeof *fields);
  for (uint32_t c = 0; c < first->ncols; c++) {
    fields[c] = first->fields[c];
    for (uint32_t i = 1; i < n; i++)
      fields[c].required = fields[c].required && children[i]->fields[c].required;
  }
  union_op *u =
      (union_op *)fl_op_alloc(ctx, sizeof *u, &union_vt, fields, first->ncols, (fl_op **)children, n);
  return &u->op;
}
