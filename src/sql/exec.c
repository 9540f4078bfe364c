/* exec.c: what every operator shares (sql/exec.h): the timed next(), freeing a tree,
 * EXPLAIN's tree printer, the values source and collecting a result.
 *
 * fl_op_next wraps the operator's own next(): it checks the query's deadline and cancel
 * flag once per call (a batch, not a row), times the call with the monotonic clock and
 * counts the rows returned. Time is inclusive (children's next() calls run inside the
 * parent's); EXPLAIN ANALYZE prints it as each operator reports it. */
#include "sql/exec.h"

#include <string.h>

#include "core/time.h"

fl_code fl_op_next(fl_op *op, const fl_batch **out, fl_err *err) {
  fl_exec_ctx *ctx = op->ctx;
  *out = NULL;
  if (ctx && ctx->cancel && *ctx->cancel) return fl_err_set(err, FL_ECANCELED, "query canceled");
  int64_t t0 = fl_mono_ns();
  if (ctx && ctx->deadline_ns && t0 > ctx->deadline_ns)
    return fl_err_set(err, FL_ETIMEOUT, "query time limit exceeded");
  fl_code rc = op->vt->next(op, out, err);
  op->stats.ns += fl_mono_ns() - t0;
  if (rc != FL_OK) {
    *out = NULL;
    return rc;
  }
  if (*out) {
    FL_ASSERT((*out)->nrows > 0 && (*out)->ncols == op->ncols);
    op->stats.rows_out += (*out)->nrows;
    op->stats.batches_out++;
  }
  return FL_OK;
}

void fl_op_free(fl_op *op) {
  if (!op) return;
  /* the operator before its children: a GATHER joins its threads before the copies
   * they run go (and takes its children over) */
  if (op->vt->free) op->vt->free(op);
  for (uint32_t i = 0; i < op->nchildren; i++) fl_op_free(op->children[i]);
}

fl_op *fl_op_alloc(fl_exec_ctx *ctx, size_t size, const fl_op_vtable *vt, const fl_field *fields,
                   uint32_t ncols, fl_op **children, uint32_t nchildren) {
  FL_ASSERT(size >= sizeof(fl_op));
  fl_op *op = fl_arena_calloc(ctx->arena, 1, size);
  op->vt = vt;
  op->ctx = ctx;
  op->fields = fields;
  op->ncols = ncols;
  if (nchildren) {
    op->children = fl_arena_alloc(ctx->arena, nchildren * sizeof *op->children);
    memcpy(op->children, children, nchildren * sizeof *op->children);
  }
  op->nchildren = nchildren;
  return op;
}

static void explain_at(const fl_op *op, bool analyze, unsigned depth, fl_buf *out) {
  for (unsigned i = 0; i < depth; i++) fl_buf_append(out, "  ", 2);
  fl_buf_printf(out, "%s", op->vt->name);
  if (op->vt->explain) {
    size_t before = out->len;
    fl_buf_append(out, " ", 1);
    op->vt->explain(op, analyze, out);
    if (out->len == before + 1) out->len = before; /* nothing to say */
  }
  if (analyze)
    fl_buf_printf(out, " [rows=%llu time=%.3f ms]", (unsigned long long)op->stats.rows_out,
                  (double)op->stats.ns / 1e6);
  fl_buf_append(out, "\n", 1);
  for (uint32_t i = 0; i < op->nchildren; i++) explain_at(op->children[i], analyze, depth + 1, out);
}

void fl_op_explain(const fl_op *op, bool analyze, fl_buf *out) { explain_at(op, analyze, 0, out); }

/* ---- values ---- */

typedef struct values_op {
  fl_op op;
  const fl_batch *const *batches;
  uint32_t nbatches;
  uint32_t next;
} values_op;

static fl_code values_next(fl_op *op, const fl_batch **out, fl_err *err) {
  (void)err;
  values_op *v = (values_op *)op;
  while (v->next < v->nbatches) {
    const fl_batch *b = v->batches[v->next++];
    if (b->nrows > 0) {
      *out = b;
      return FL_OK;
    }
  }
  *out = NULL;
  return FL_OK;
}

static void values_explain(const fl_op *op, bool analyze, fl_buf *out) {
  (void)analyze;
  const values_op *v = (const values_op *)op;
  uint64_t rows = 0;
  for (uint32_t i = 0; i < v->nbatches; i++) rows += v->batches[i]->nrows;
  fl_buf_printf(out, "%llu rows", (unsigned long long)rows);
}

static const fl_op_vtable values_vt = {"VALUES", values_next, values_explain, NULL};

fl_op *fl_op_values(fl_exec_ctx *ctx, const fl_field *fields, uint32_t ncols, const fl_batch *const *batches,
                    uint32_t nbatches) {
  values_op *v = (values_op *)fl_op_alloc(ctx, sizeof *v, &values_vt, fields, ncols, NULL, 0);
  for (uint32_t i = 0; i < nbatches; i++) FL_ASSERT(batches[i]->ncols == ncols);
  v->batches = batches;
  v->nbatches = nbatches;
  return &v->op;
}

fl_code fl_op_collect(fl_op *op, fl_batch **out, fl_err *err) {
  fl_batch *all = fl_batch_new(op->fields, op->ncols, FL_EXEC_BATCH_ROWS);
  for (;;) {
    const fl_batch *b;
    fl_code rc = fl_op_next(op, &b, err);
    if (rc != FL_OK) {
      fl_batch_free(all);
      *out = NULL;
      return rc;
    }
    if (!b) break;
    fl_batch_append_range(all, b, 0, b->nrows); /* advances all->nrows */
  }
  *out = all;
  return FL_OK;
}

const fl_schema *fl_exec_schema(fl_op *op) {
  fl_schema *s = fl_arena_calloc(op->ctx->arena, 1, sizeof *s);
  s->nfields = op->ncols;
  s->fields = (fl_field *)op->fields;
  return s;
}
