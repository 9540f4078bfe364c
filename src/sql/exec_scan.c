/* exec_scan: the table scan operator (exec.h fl_op_table_scan) over table/'s pull
 * iterator, and the lowering of a bound WHERE into table/'s predicate IR.
 *
 *   fl_op_table_scan: lower(filter) ──► fl_scan_opts.where ──► fl_scan_plan (prunes
 *     manifests, files, and, while reading, row groups)
 *   next():  fl_scan_next ──► batch of <= FL_BATCH_ROWS live rows, the filter applied
 *            inside the scan (fl_sql_eval_select as its fl_scan_filter_fn, so deletes
 *            and the filter make one selection and one gather; the WHERE is one
 *            predicate per AND conjunct, exec_add_where, and reads dictionary-encoded
 *            string columns as codes, fl_scan_set_filter_dicts) ──► slices of at most
 *            FL_EXEC_BATCH_ROWS rows, borrowed from the scan's batch (no copy)
 *
 * Lowering (lower()): a pruning predicate P is made such that every row the filter
 * keeps satisfies P (P may keep more). It walks the expression with a polarity: with
 * neg = false, P must hold wherever the expression is TRUE; with neg = true, wherever
 * it is FALSE. So AND of TRUE parts may drop what it cannot lower, OR may not (one
 * unknown branch makes the whole OR unknown), and NOT flips the polarity (De Morgan).
 * Leaves are `column op literal` (either side), [NOT] IN (literals), [NOT] BETWEEN,
 * IS [NOT] NULL and LIKE with a literal pattern: 'p%' is a prefix; a pattern with
 * other wildcards gives its literal prefix only where the polarity allows (a row that
 * matches 'ab%c' starts with 'ab'; one that does not may still start with 'ab').
 * A literal is lowered only where its value is exact in the column's type (an INT
 * column against 42, a DECIMAL(12,2) against 10 or 9.5); anything else is unknown.
 *
 * Memory: the operator, its schema, the IR and the text shown by EXPLAIN live in the
 * query's arena; the scan, iterator and evaluator are freed by the operator's free. */
#include <string.h>

#include "sql/exec.h"
#include "sql/exec_int.h"
#include "sql/sql.h"
#include "table/table.h"

typedef struct scan_op {
  fl_op op;
  fl_scan *scan;
  fl_scan_iter *it;
  fl_sql_eval *ev;     /* the filter, NULL if none */
  const fl_batch *cur; /* the scan's batch being sliced */
  uint32_t off;        /* rows of cur already returned */
  bool done;
  fl_batch view;
  fl_vec *vecs;
  const char *table;  /* ns.name */
  const char *pruned; /* the pruning predicate as text, NULL if none */
  const char *filter; /* the filter as SQL, NULL if none */
} scan_op;

/* ---------------------------------------------------------------- lowering */

static fl_tpred *tp_new(fl_arena *arena, fl_tpred_kind kind) {
  fl_tpred *p = fl_arena_calloc(arena, 1, sizeof *p);
  p->kind = kind;
  return p;
}

static fl_tpred *tp_not(fl_arena *arena, fl_tpred *p) {
  fl_tpred *n = tp_new(arena, FL_TP_NOT);
  const fl_tpred **args = fl_arena_alloc(arena, sizeof *args);
  args[0] = p;
  n->args = args;
  n->nargs = 1;
  return n;
}

/* The literal's value exactly in the column's type; false if it has none there. */
static bool exact_value(const fl_sql_expr *lit, fl_type col, fl_value *out) {
  if (lit->kind != FL_SQL_E_LITERAL || lit->lit == FL_SQL_LIT_INTERVAL) return false;
  const fl_value *v = &lit->value;
  if (v->is_null) return false;
  if (fl_type_is_string(v->type.kind) && fl_type_is_string(col.kind)) {
    *out = *v;
    out->type = col;
    return true;
  }
  if (fl_value_cast(v, col, out)) return true;
  bool integer = v->type.kind == FL_T_BIGINT || v->type.kind == FL_T_INT;
  int64_t i = v->type.kind == FL_T_INT ? v->u.i32 : v->u.i64;
  memset(out, 0, sizeof *out);
  out->type = col;
  if (integer && col.kind == FL_T_INT && i >= INT32_MIN && i <= INT32_MAX) {
    out->u.i32 = (int32_t)i;
    return true;
  }
  if (col.kind == FL_T_DECIMAL && (integer || v->type.kind == FL_T_DECIMAL)) {
    fl_i128 x;
    fl_i128 from = integer ? (fl_i128)i : fl_value_dec(v);
    unsigned scale = integer ? 0 : v->type.scale;
    if (scale > col.scale || !fl_dec128_rescale(from, scale, col.scale, col.precision, &x)) return false;
    fl_value_set_dec(out, x);
    return true;
  }
  return false;
}

typedef struct lower_ctx {
  fl_arena *arena;
  const fl_schema *schema; /* the filter's (the scan's projection) */
} lower_ctx;

static const fl_field *column_of(const lower_ctx *lc, const fl_sql_expr *e) {
  if (e->kind != FL_SQL_E_COLUMN || e->field < 0 || (uint32_t)e->field >= lc->schema->nfields) return NULL;
  return &lc->schema->fields[e->field];
}

static fl_tpred *leaf_cmp(const lower_ctx *lc, const fl_field *f, fl_pred_op op, const fl_sql_expr *lit) {
  if (lit->kind == FL_SQL_E_LITERAL && lit->value.is_null) return tp_new(lc->arena, FL_TP_FALSE);
  fl_value *v = fl_arena_calloc(lc->arena, 1, sizeof *v);
  if (!exact_value(lit, f->type, v)) return NULL;
  fl_tpred *p = tp_new(lc->arena, FL_TP_CMP);
  p->column = f->name;
  p->op = op;
  p->values = v;
  p->nvalues = 1;
  return p;
}

static fl_pred_op flip(fl_pred_op op) {
  switch (op) {
    case FL_PRED_LT: return FL_PRED_GT;
    case FL_PRED_LE: return FL_PRED_GE;
    case FL_PRED_GT: return FL_PRED_LT;
    case FL_PRED_GE: return FL_PRED_LE;
    default: return op;
  }
}

static fl_tpred *lower(const lower_ctx *lc, const fl_sql_expr *e, bool neg);

/* AND (conj = true) or OR of the lowered args: a conjunction drops unknown parts, a
 * disjunction is unknown if any part is. */
static fl_tpred *lower_list(const lower_ctx *lc, const fl_sql_expr *const *args, uint32_t n, bool conj,
                            bool neg) {
  fl_tpred *parts[2];
  uint32_t k = 0, cap = 0;
  FL_ASSERT(n <= 2);
  for (uint32_t i = 0; i < n; i++) {
    parts[i] = lower(lc, args[i], neg);
    if (!parts[i] && !conj) return NULL;
    cap += !parts[i] ? 0 : parts[i]->kind == (conj ? FL_TP_AND : FL_TP_OR) ? parts[i]->nargs : 1;
  }
  const fl_tpred **out = fl_arena_calloc(lc->arena, cap ? cap : 1, sizeof *out);
  for (uint32_t i = 0; i < n; i++) { /* a AND (b AND c): one list, as written */
    if (!parts[i]) continue;
    if (parts[i]->kind == (conj ? FL_TP_AND : FL_TP_OR))
      for (uint32_t j = 0; j < parts[i]->nargs; j++) out[k++] = parts[i]->args[j];
    else
      out[k++] = parts[i];
  }
  if (!k) return NULL;
  if (k == 1) return (fl_tpred *)out[0];
  fl_tpred *p = tp_new(lc->arena, conj ? FL_TP_AND : FL_TP_OR);
  p->args = out;
  p->nargs = k;
  return p;
}

/* A leaf p for the expression read positively, put under the polarity: the IR's NOT
 * has WHERE semantics (NOT (a < 5) is a >= 5), which is "the expression is FALSE". */
static fl_tpred *polar(const lower_ctx *lc, fl_tpred *p, bool negated, bool neg) {
  if (!p) return NULL;
  return negated != neg ? tp_not(lc->arena, p) : p;
}

static fl_tpred *lower_like(const lower_ctx *lc, const fl_sql_expr *e, bool neg) {
  const fl_field *f = column_of(lc, e->args[0]);
  const fl_sql_expr *pat = e->args[1];
  if (!f || e->ilike || !fl_type_is_string(f->type.kind) || pat->kind != FL_SQL_E_LITERAL ||
      pat->value.is_null || !fl_type_is_string(pat->value.type.kind))
    return NULL;
  const char *s = pat->value.u.str.ptr;
  uint32_t len = pat->value.u.str.len, pre = 0;
  while (pre < len && s[pre] != '%' && s[pre] != '_') pre++;
  bool effective_neg = e->negated != neg;
  fl_value *v = fl_arena_calloc(lc->arena, 1, sizeof *v);
  v->type = f->type;
  v->u.str.ptr = s;
  v->u.str.len = pre;
  fl_tpred *p;
  if (pre == len) { /* no wildcard: equality */
    p = tp_new(lc->arena, FL_TP_CMP);
    p->op = FL_PRED_EQ;
  } else {
    bool exact_prefix = pre + 1 == len && s[pre] == '%'; /* 'p%': exactly "starts with p" */
    if (!pre || (effective_neg && !exact_prefix)) return NULL;
    p = tp_new(lc->arena, FL_TP_STARTS_WITH);
  }
  p->column = f->name;
  p->values = v;
  p->nvalues = 1;
  return polar(lc, p, e->negated, neg);
}

static fl_tpred *lower(const lower_ctx *lc, const fl_sql_expr *e, bool neg) {
  switch (e->kind) {
    case FL_SQL_E_UNARY:
      if (e->op == FL_SQL_OP_NOT) return lower(lc, e->args[0], !neg);
      return NULL;
    case FL_SQL_E_BINARY: {
      if (e->op == FL_SQL_OP_AND || e->op == FL_SQL_OP_OR) {
        /* NOT (a AND b) is (NOT a) OR (NOT b) */
        bool conj = (e->op == FL_SQL_OP_AND) != neg;
        return lower_list(lc, (const fl_sql_expr *const *)e->args, e->nargs, conj, neg);
      }
      fl_pred_op op;
      switch (e->op) {
        case FL_SQL_OP_EQ: op = FL_PRED_EQ; break;
        case FL_SQL_OP_NE: op = FL_PRED_NE; break;
        case FL_SQL_OP_LT: op = FL_PRED_LT; break;
        case FL_SQL_OP_LE: op = FL_PRED_LE; break;
        case FL_SQL_OP_GT: op = FL_PRED_GT; break;
        case FL_SQL_OP_GE: op = FL_PRED_GE; break;
        default: return NULL;
      }
      const fl_field *f = column_of(lc, e->args[0]);
      const fl_sql_expr *lit = e->args[1];
      if (!f) {
        f = column_of(lc, e->args[1]);
        lit = e->args[0];
        op = flip(op);
      }
      if (!f || lit->kind != FL_SQL_E_LITERAL) return NULL;
      return polar(lc, leaf_cmp(lc, f, op, lit), false, neg);
    }
    case FL_SQL_E_IS_NULL: {
      const fl_field *f = column_of(lc, e->args[0]);
      if (!f) return NULL;
      fl_tpred *p = tp_new(lc->arena, FL_TP_IS_NULL);
      p->column = f->name;
      return polar(lc, p, e->negated, neg);
    }
    case FL_SQL_E_IN: {
      const fl_field *f = column_of(lc, e->args[0]);
      if (!f || e->nargs < 2) return NULL;
      fl_value *vals = fl_arena_calloc(lc->arena, e->nargs - 1, sizeof *vals);
      for (uint32_t i = 1; i < e->nargs; i++) {
        const fl_sql_expr *a = e->args[i];
        if (a->kind == FL_SQL_E_LITERAL && a->value.is_null) {
          vals[i - 1] = a->value; /* the IR knows what a NULL in a list means */
          continue;
        }
        if (!exact_value(a, f->type, &vals[i - 1])) return NULL;
      }
      fl_tpred *p = tp_new(lc->arena, FL_TP_IN);
      p->column = f->name;
      p->values = vals;
      p->nvalues = e->nargs - 1;
      return polar(lc, p, e->negated, neg);
    }
    case FL_SQL_E_BETWEEN: {
      const fl_field *f = column_of(lc, e->args[0]);
      if (!f) return NULL;
      fl_tpred *lo = leaf_cmp(lc, f, FL_PRED_GE, e->args[1]);
      fl_tpred *hi = leaf_cmp(lc, f, FL_PRED_LE, e->args[2]);
      bool effective_neg = e->negated != neg;
      if (!lo || !hi) { /* a AND b keeps what one part says; NOT (a AND b) needs both */
        if (effective_neg) return NULL;
        return lo ? lo : hi;
      }
      fl_tpred *p = tp_new(lc->arena, FL_TP_AND);
      const fl_tpred **args = fl_arena_alloc(lc->arena, 2 * sizeof *args);
      args[0] = lo;
      args[1] = hi;
      p->args = args;
      p->nargs = 2;
      return polar(lc, p, e->negated, neg);
    }
    case FL_SQL_E_LIKE: return lower_like(lc, e, neg);
    default: return NULL;
  }
}

const fl_tpred *fl_sql_lower_pred(const fl_sql_expr *filter, const fl_schema *schema, fl_arena *arena) {
  lower_ctx lc = {arena, schema};
  return filter ? lower(&lc, filter, false) : NULL;
}

/* ---------------------------------------------------------------- operator */

static uint32_t run_filter(void *ctx, const fl_batch *batch, uint32_t *sel) {
  scan_op *s = ctx;
  return fl_sql_eval_select(s->ev, batch, sel);
}

/* view = rows [off, off + n) of b, vectors pointing into b's (off is a multiple of
 * FL_EXEC_BATCH_ROWS, so of 64: the validity words line up). */
static void slice(const fl_batch *b, uint32_t off, uint32_t n, fl_batch *view, fl_vec *vecs) {
  FL_ASSERT(off % 64 == 0, "slice at row %u", off);
  for (uint32_t c = 0; c < b->ncols; c++) {
    const fl_vec *src = &b->cols[c];
    fl_vec *v = &vecs[c];
    FL_ASSERT(!src->dict, "a dictionary-form column %u leaves the scan", c);
    *v = *src;
    v->len = n;
    v->cap = n;
    v->validity = src->validity + off / 64;
    if (fl_type_is_bytes(src->type.kind))
      v->offsets = src->offsets + off;
    else
      v->data.raw = (char *)src->data.raw + (size_t)off * fl_type_bytes(src->type);
  }
  view->fields = b->fields;
  view->ncols = b->ncols;
  view->nrows = n;
  view->capacity = n;
  view->cols = vecs;
}

static fl_code scan_next(fl_op *op, const fl_batch **out, fl_err *err) {
  scan_op *s = (scan_op *)op;
  *out = NULL;
  while (!s->cur || s->off >= s->cur->nrows) {
    s->cur = NULL;
    s->off = 0;
    if (s->done) return FL_OK;
    const fl_batch *b;
    fl_code rc = fl_scan_next(s->it, &b, err);
    if (rc) return rc;
    if (!b) {
      s->done = true;
      return FL_OK;
    }
    s->cur = b;
  }
  const fl_batch *b = s->cur;
  if (s->off == 0 && b->nrows <= FL_EXEC_BATCH_ROWS) {
    s->off = b->nrows;
    *out = b;
    return FL_OK;
  }
  uint32_t n = b->nrows - s->off;
  if (n > FL_EXEC_BATCH_ROWS) n = FL_EXEC_BATCH_ROWS;
  slice(b, s->off, n, &s->view, s->vecs);
  s->off += n;
  *out = &s->view;
  return FL_OK;
}

/* The columns expression e reads, each once, into cols (room for every column); false
 * when they cannot be known (a subquery, a window) or e reads every column. */
static bool filter_columns(const fl_sql_expr *e, uint32_t *cols, uint32_t *n, uint32_t max) {
  if (e->query || e->over || e->filter) return false;
  if (e->kind == FL_SQL_E_COLUMN) {
    if (e->field < 0) return false;
    for (uint32_t i = 0; i < *n; i++)
      if (cols[i] == (uint32_t)e->field) return true;
    cols[(*n)++] = (uint32_t)e->field;
    return *n < max;
  }
  for (uint32_t i = 0; i < e->nargs; i++)
    if (!filter_columns(e->args[i], cols, n, max)) return false;
  return true;
}

static void scan_explain(const fl_op *op, bool analyze, fl_buf *out) {
  const scan_op *s = (const scan_op *)op;
  const fl_scan_stats *st = fl_scan_get_stats(s->scan);
  fl_buf_printf(out, "%s", s->table);
  if (s->filter) fl_buf_printf(out, " filter=%s", s->filter);
  if (s->pruned) fl_buf_printf(out, " prune=%s", s->pruned);
  fl_buf_printf(out, " files=%u/%u (pruned: %u by partition, %u by bounds; manifests %u/%u)",
                st->files_planned, st->files_total, st->files_pruned_partition, st->files_pruned_bounds,
                st->manifests_total - st->manifests_pruned, st->manifests_total);
  if (analyze)
    fl_buf_printf(out, " row_groups=%llu/%llu rows_read=%llu deleted=%llu filtered=%llu",
                  (unsigned long long)(st->row_groups_total - st->row_groups_pruned),
                  (unsigned long long)st->row_groups_total, (unsigned long long)st->rows_read,
                  (unsigned long long)st->rows_deleted, (unsigned long long)st->rows_filtered);
  if (analyze && st->row_groups_skipped)
    fl_buf_printf(out, " (row groups read in the filter's columns only and skipped: %llu)",
                  (unsigned long long)st->row_groups_skipped);
  if (analyze && st->row_groups_paged)
    fl_buf_printf(out, " pages=%llu read, %llu skipped by the page index (in %llu row groups)",
                  (unsigned long long)st->pages_read, (unsigned long long)st->pages_skipped,
                  (unsigned long long)st->row_groups_paged);
}

static void scan_free(fl_op *op) {
  scan_op *s = (scan_op *)op;
  fl_scan_iter_free(s->it);
  fl_scan_free(s->scan);
  fl_sql_eval_free(s->ev);
  fl_free(s->vecs);
  s->it = NULL;
  s->scan = NULL;
  s->ev = NULL;
  s->vecs = NULL;
}

static const fl_op_vtable scan_vt = {"TABLE_SCAN", scan_next, scan_explain, scan_free};

/* The WHERE as one predicate per top-level conjunct: fl_sql_eval_select keeps the rows
 * where all are TRUE (what the AND keeps) and decides each later one only on the rows
 * the earlier ones kept. */
fl_code exec_add_where(fl_sql_eval *ev, const fl_sql_expr *filter, fl_err *err) {
  if (filter->kind == FL_SQL_E_BINARY && filter->op == FL_SQL_OP_AND && filter->nargs == 2) {
    fl_code rc = exec_add_where(ev, filter->args[0], err);
    return rc ? rc : exec_add_where(ev, filter->args[1], err);
  }
  return fl_sql_eval_add(ev, filter, "WHERE", NULL, err);
}

bool exec_filter_columns(const fl_sql_expr *e, uint32_t *cols, uint32_t *n, uint32_t max) {
  return filter_columns(e, cols, n, max);
}

bool exec_scan_set_topn_bound(fl_op *op, uint32_t col, bool desc, const fl_value *v) {
  if (op->vt != &scan_vt) return exec_part_set_topn_bound(op, col, desc, v);
  if (col >= op->ncols || !((scan_op *)op)->it) return false;
  fl_scan_iter_set_bound(((scan_op *)op)->it, op->fields[col].id, desc ? FL_PRED_GE : FL_PRED_LE, v);
  return true;
}

fl_op *fl_op_table_scan(fl_exec_ctx *ctx, struct fl_table *tbl, const struct fl_scan_opts *opts,
                        const struct fl_sql_expr *filter, fl_err *err) {
  fl_scan_opts o = {0};
  if (opts) o = *opts;
  const fl_schema *cur = fl_table_schema(tbl);
  /* the projection's schema first: the filter is bound against it */
  fl_schema proj = {0};
  if (o.columns) {
    fl_field *fs = fl_arena_calloc(ctx->arena, o.ncolumns ? o.ncolumns : 1, sizeof *fs);
    for (uint32_t i = 0; i < o.ncolumns; i++) {
      const fl_field *f = fl_schema_field_by_name(cur, o.columns[i]);
      if (!f) {
        fl_err_set(err, FL_ENOENT, "table %s.%s: no column %s", fl_table_ns(tbl), fl_table_name(tbl),
                   o.columns[i]);
        return NULL;
      }
      fs[i] = *f;
    }
    proj.fields = fs;
    proj.nfields = o.ncolumns;
  } else {
    proj = *cur;
  }
  const fl_tpred *where = fl_sql_lower_pred(filter, &proj, ctx->arena);
  const fl_tpred *both = where;
  if (where && o.where) {
    fl_tpred *and = fl_arena_calloc(ctx->arena, 1, sizeof *and);
    const fl_tpred **args = fl_arena_alloc(ctx->arena, 2 * sizeof *args);
    args[0] = o.where;
    args[1] = where;
    *and = (fl_tpred){.kind = FL_TP_AND, .args = args, .nargs = 2};
    both = and;
  } else if (!where) {
    both = o.where;
  }
  o.where = both;
  fl_scan *scan;
  if (fl_scan_plan(tbl, &o, &scan, err)) return NULL;
  const fl_schema *ss = fl_scan_schema(scan);
  fl_field *fields = fl_arena_calloc(ctx->arena, ss->nfields ? ss->nfields : 1, sizeof *fields);
  for (uint32_t i = 0; i < ss->nfields; i++) {
    fields[i] = ss->fields[i];
    fields[i].name = fl_arena_strdup(ctx->arena, ss->fields[i].name);
  }
  scan_op *s = (scan_op *)fl_op_alloc(ctx, sizeof *s, &scan_vt, fields, ss->nfields, NULL, 0);
  s->scan = scan;
  s->vecs = fl_calloc(ss->nfields ? ss->nfields : 1, sizeof *s->vecs);
  fl_buf b = FL_BUF_INIT;
  fl_buf_printf(&b, "%s.%s", fl_table_ns(tbl), fl_table_name(tbl));
  if (o.snapshot_id > 0 || o.as_of_ms > 0) {
    const fl_snapshot *snap = fl_scan_snapshot(scan);
    fl_buf_printf(&b, "@%lld", snap ? (long long)snap->snapshot_id : 0LL);
  }
  fl_buf_cstr(&b);
  s->table = fl_arena_strdup(ctx->arena, (const char *)b.data);
  if (both) {
    b.len = 0;
    fl_tpred_format(both, &b);
    fl_buf_cstr(&b);
    s->pruned = fl_arena_strdup(ctx->arena, (const char *)b.data);
  }
  if (filter) {
    b.len = 0;
    fl_sql_expr_format(filter, FL_SQL_FMT_SHORT, &b);
    fl_buf_cstr(&b);
    s->filter = fl_arena_strdup(ctx->arena, (const char *)b.data);
    s->ev = fl_sql_eval_new(ss);
    fl_code rc = exec_add_where(s->ev, filter, err);
    if (rc) {
      fl_buf_free(&b);
      scan_free(&s->op);
      return NULL;
    }
    fl_scan_set_filter(scan, run_filter, s);
    fl_scan_set_filter_dicts(scan); /* fl_sql_eval reads dictionary-form strings */
    uint32_t *cols = fl_arena_calloc(ctx->arena, ss->nfields ? ss->nfields : 1, sizeof *cols), ncols = 0;
    if (filter_columns(filter, cols, &ncols, ss->nfields)) fl_scan_set_filter_columns(scan, cols, ncols);
  }
  fl_buf_free(&b);
  if (fl_scan_iter_open(scan, NULL, 0, &s->it, err)) {
    scan_free(&s->op);
    return NULL;
  }
  return &s->op;
}

/* ---------------------------------------------------------------- metadata tables */

typedef struct meta_op {
  fl_op op;
  fl_batch *all; /* every row, built at construction */
  uint32_t off;
  fl_batch view;
  fl_vec *vecs;
  const char *name;
} meta_op;

static fl_code meta_next(fl_op *op, const fl_batch **out, fl_err *err) {
  (void)err;
  meta_op *m = (meta_op *)op;
  *out = NULL;
  if (m->off >= m->all->nrows) return FL_OK;
  uint32_t n = m->all->nrows - m->off;
  if (n > FL_EXEC_BATCH_ROWS) n = FL_EXEC_BATCH_ROWS;
  slice(m->all, m->off, n, &m->view, m->vecs);
  m->off += n;
  *out = &m->view;
  return FL_OK;
}

static void meta_explain(const fl_op *op, bool analyze, fl_buf *out) {
  (void)analyze;
  const meta_op *m = (const meta_op *)op;
  fl_buf_printf(out, "%s %u rows", m->name, m->all->nrows);
}

static void meta_free(fl_op *op) {
  meta_op *m = (meta_op *)op;
  fl_batch_free(m->all);
  fl_free(m->vecs);
  m->all = NULL;
  m->vecs = NULL;
}

static const fl_op_vtable meta_vt = {"METADATA_SCAN", meta_next, meta_explain, meta_free};

fl_op *fl_op_table_meta(fl_exec_ctx *ctx, struct fl_table *tbl, int kind_, int64_t snapshot_id, fl_err *err) {
  fl_table_meta_kind kind = (fl_table_meta_kind)kind_;
  uint32_t nf;
  const fl_field *fields = fl_table_meta_fields(kind, &nf);
  if (!fields) {
    fl_err_set(err, FL_EINVAL, "table %s.%s: metadata table kind %d", fl_table_ns(tbl), fl_table_name(tbl),
               kind_);
    return NULL;
  }
  const fl_snapshot *snap = NULL;
  if (snapshot_id > 0 && !(snap = fl_table_snapshot_by_id(tbl, snapshot_id))) {
    fl_err_set(err, FL_ENOENT, "table %s.%s: no snapshot %lld", fl_table_ns(tbl), fl_table_name(tbl),
               (long long)snapshot_id);
    return NULL;
  }
  fl_batch *all;
  if (fl_table_meta_batch(tbl, kind, snap, &all, err)) return NULL;
  meta_op *m = (meta_op *)fl_op_alloc(ctx, sizeof *m, &meta_vt, fields, nf, NULL, 0);
  m->all = all;
  m->vecs = fl_calloc(nf, sizeof *m->vecs);
  m->name = fl_arena_sprintf(ctx->arena, "%s.%s$%s", fl_table_ns(tbl), fl_table_name(tbl),
                             kind == FL_META_SNAPSHOTS ? "snapshots"
                             : kind == FL_META_HISTORY ? "history"
                                                       : "files");
  return &m->op;
}
