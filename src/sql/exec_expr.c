/* exec_expr.c: the project and filter operators (sql/exec.h), both on the one expression
 * evaluator (expr_eval.c, fl_sql_eval_add_value).
 *
 * PROJECT computes n expressions over each child batch into n columns. A bare column
 * reference is not copied: the output batch's vector is a shallow copy of the child's
 * (valid as long as the child's batch, which is exactly as long as ours: until our next
 * next()). Every other expression is the evaluator's output vector for that index,
 * also shared shallowly. So the output batch (an fl_batch struct in the query's arena
 * whose cols this operator fills per call) owns no memory of its own: the evaluator
 * owns computed vectors, the child owns passed-through ones.
 *
 *   child ──batch──► [col refs: shallow copy]  ──► out batch (n columns)
 *                    [others: fl_sql_eval_value] ┘
 *
 * FILTER evaluates its BOOLEAN predicate (fl_sql_eval_test: three-valued, runtime
 * errors raised) and keeps TRUE rows: a batch where every row passes goes up as it is
 * (no copy), one where none does is skipped, any other is compacted with
 * fl_batch_gather into the operator's own batch (fl_malloc'd, freed by fl_op_free).
 *
 * Errors at run time (overflow, a bad cast) come from the evaluator with the
 * expression's text as label, its line and column: "amount * 1000: line 1, column 8:
 * overflow: ...". */
#include <string.h>

#include "sql/exec.h"
#include "sql/sql.h"

typedef struct project_op {
  fl_op op;
  fl_sql_eval *ev;
  uint32_t n;
  int32_t *col;      /* per output: child column passed through, or -1 */
  uint32_t *index;   /* per output: evaluator index (col < 0) */
  const char **text; /* per output: the expression as SQL, for EXPLAIN */
  fl_batch out;
} project_op;

static const char *expr_text(fl_exec_ctx *ctx, const struct fl_sql_expr *e) {
  fl_buf b = FL_BUF_INIT;
  fl_sql_expr_format(e, FL_SQL_FMT_SHORT, &b);
  fl_buf_cstr(&b);
  const char *s = fl_arena_strdup(ctx->arena, (const char *)b.data);
  fl_buf_free(&b);
  return s;
}

static fl_code project_next(fl_op *op, const fl_batch **out, fl_err *err) {
  project_op *p = (project_op *)op;
  const fl_batch *in;
  fl_code rc = fl_op_next(op->children[0], &in, err);
  if (rc || !in) {
    *out = NULL;
    return rc;
  }
  for (uint32_t i = 0; i < p->n; i++) {
    if (p->col[i] >= 0) {
      p->out.cols[i] = in->cols[p->col[i]];
      continue;
    }
    const fl_vec *v;
    if ((rc = fl_sql_eval_value(p->ev, p->index[i], in, &v, err))) return rc;
    p->out.cols[i] = *v;
  }
  p->out.nrows = in->nrows;
  p->out.capacity = in->nrows;
  *out = &p->out;
  return FL_OK;
}

static void project_explain(const fl_op *op, bool analyze, fl_buf *out) {
  (void)analyze;
  const project_op *p = (const project_op *)op;
  for (uint32_t i = 0; i < p->n; i++) {
    if (i) fl_buf_puts(out, ", ");
    fl_buf_puts(out, p->text[i]);
    if (strcmp(p->text[i], op->fields[i].name) != 0) {
      fl_buf_puts(out, " AS ");
      fl_sql_ident_format(op->fields[i].name, out);
    }
  }
}

static void project_free(fl_op *op) {
  project_op *p = (project_op *)op;
  fl_sql_eval_free(p->ev);
  p->ev = NULL;
}

static const fl_op_vtable project_vt = {"PROJECT", project_next, project_explain, project_free};

fl_op *fl_op_project(fl_exec_ctx *ctx, fl_op *child, const struct fl_sql_expr *const *exprs,
                     const char *const *names, uint32_t n, fl_err *err) {
  FL_ASSERT(child && (n == 0 || (exprs && names)));
  const fl_schema *schema = fl_exec_schema(child);
  fl_sql_eval *ev = fl_sql_eval_new(schema);
  fl_field *fields = fl_arena_calloc(ctx->arena, n ? n : 1, sizeof *fields);
  int32_t *col = fl_arena_calloc(ctx->arena, n ? n : 1, sizeof *col);
  uint32_t *index = fl_arena_calloc(ctx->arena, n ? n : 1, sizeof *index);
  const char **text = fl_arena_calloc(ctx->arena, n ? n : 1, sizeof *text);
  for (uint32_t i = 0; i < n; i++) {
    const struct fl_sql_expr *e = exprs[i];
    text[i] = expr_text(ctx, e);
    fields[i].id = (int32_t)i + 1;
    fields[i].name = fl_arena_strdup(ctx->arena, names[i]);
    col[i] = -1;
    if (e->kind == FL_SQL_E_COLUMN && e->field >= 0 && (uint32_t)e->field < child->ncols) {
      col[i] = e->field;
      fields[i].type = child->fields[e->field].type;
      fields[i].nested = child->fields[e->field].nested;
      fields[i].required = child->fields[e->field].required;
      continue;
    }
    fl_code rc = fl_sql_eval_add_value(ev, e, text[i], &index[i], err);
    if (rc) {
      fl_sql_eval_free(ev);
      return NULL;
    }
    fields[i].type = fl_sql_eval_type(ev, index[i]);
  }
  project_op *p = (project_op *)fl_op_alloc(ctx, sizeof *p, &project_vt, fields, n, &child, 1);
  p->ev = ev;
  p->n = n;
  p->col = col;
  p->index = index;
  p->text = text;
  p->out.fields = fields;
  p->out.ncols = n;
  p->out.cols = fl_arena_calloc(ctx->arena, n ? n : 1, sizeof *p->out.cols);
  return &p->op;
}

typedef struct filter_op {
  fl_op op;
  fl_sql_eval *ev;
  uint32_t index;
  const char *text;
  uint32_t *sel;
  uint32_t sel_cap;
  fl_batch *out;
} filter_op;

static fl_code filter_next(fl_op *op, const fl_batch **out, fl_err *err) {
  filter_op *f = (filter_op *)op;
  *out = NULL;
  for (;;) {
    const fl_batch *in;
    fl_code rc = fl_op_next(op->children[0], &in, err);
    if (rc || !in) return rc;
    const uint8_t *r;
    if ((rc = fl_sql_eval_test(f->ev, f->index, in, &r, err))) return rc;
    uint32_t n = in->nrows, m = 0;
    if (n > f->sel_cap) {
      f->sel_cap = n;
      f->sel = fl_realloc(f->sel, n * sizeof *f->sel);
    }
    for (uint32_t i = 0; i < n; i++) {
      f->sel[m] = i;
      m += r[i] == FL_SQL_TRUE;
    }
    if (m == 0) continue;
    if (m == n) {
      *out = in;
      return FL_OK;
    }
    if (!f->out) f->out = fl_batch_new(op->fields, op->ncols, FL_EXEC_BATCH_ROWS);
    fl_batch_reset(f->out);
    fl_batch_gather(f->out, in, f->sel, m);
    *out = f->out;
    return FL_OK;
  }
}

static void filter_explain(const fl_op *op, bool analyze, fl_buf *out) {
  (void)analyze;
  fl_buf_puts(out, ((const filter_op *)op)->text);
}

static void filter_free(fl_op *op) {
  filter_op *f = (filter_op *)op;
  fl_sql_eval_free(f->ev);
  fl_free(f->sel);
  fl_batch_free(f->out);
  f->ev = NULL;
  f->sel = NULL;
  f->out = NULL;
}

static const fl_op_vtable filter_vt = {"FILTER", filter_next, filter_explain, filter_free};

fl_op *fl_op_filter(fl_exec_ctx *ctx, fl_op *child, const struct fl_sql_expr *pred, fl_err *err) {
  FL_ASSERT(child && pred);
  if (pred->rtype == FL_SQL_RT_VALUE && pred->type.kind != FL_T_BOOLEAN) {
    char t[32];
    fl_sql_type_format(pred->type, t, sizeof t);
    fl_err_set(err, FL_ETYPE, "line %u, column %u: WHERE needs a BOOLEAN, found %s", pred->line, pred->col,
               t);
    return NULL;
  }
  const char *text = expr_text(ctx, pred);
  fl_sql_eval *ev = fl_sql_eval_new(fl_exec_schema(child));
  uint32_t index;
  if (fl_sql_eval_add_value(ev, pred, text, &index, err)) {
    fl_sql_eval_free(ev);
    return NULL;
  }
  filter_op *f = (filter_op *)fl_op_alloc(ctx, sizeof *f, &filter_vt, child->fields, child->ncols, &child, 1);
  f->ev = ev;
  f->index = index;
  f->text = text;
  return &f->op;
}
