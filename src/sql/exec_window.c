/* exec_window.c: window functions over one PARTITION BY / ORDER BY (sql/exec.h):
 * ROW_NUMBER, RANK, DENSE_RANK, LAG/LEAD (offset, default column), and COUNT(*),
 * COUNT, SUM, AVG, MIN, MAX as running aggregates.
 *
 * Data flow: the child's rows come sorted by (partition keys ASC NULLS LAST, then the
 * ORDER BY keys) from a sort operator the constructor puts below this one (so the sort
 * spills under the budget as any sort does; EXPLAIN shows it). Sorted batches are
 * appended to a buffer; a partition is complete once a row of another partition
 * follows it (NULL partition keys are one partition). The complete partitions at the
 * head of the buffer are computed (one pass: peer groups inside each, results into one
 * vector per function) and emitted FL_EXEC_BATCH_ROWS at a time, then dropped; the
 * incomplete last partition stays for the next batch. Output comes in partition, then
 * ORDER BY order.
 *
 * Frames (SQL's defaults): with an ORDER BY, an aggregate covers the partition's start
 * up to the current row's last peer (RANGE UNBOUNDED PRECEDING .. CURRENT ROW), so
 * peers share one value; without an ORDER BY, the whole partition (every row is a peer
 * of every other). The state is updated a peer group at a time and its value written
 * to every row of the group. MIN/MAX keep the row of the best value so far (strings
 * are not copied). NULL rules and result types are the aggregate's (exec_agg.c).
 *
 * Memory: the buffer holds one partition and a batch (plus the complete partitions
 * being emitted); it, the row numbers and the results are charged to ctx->mem_used.
 * A single partition past ctx->mem_budget fails with FL_ELIMIT naming the budget (a
 * partition's rows must be in memory at once for LEAD and whole-partition frames).
 *
 *   FILL (append a sorted batch) ──(complete partitions at the head)──► EMIT ──► drop them ──► FILL
 *   FILL ──(input done)──► EMIT the rest ──► DONE */
#include <math.h>
#include <string.h>

#include "core/decimal.h"
#include "sql/exec_int.h"

typedef struct window_op {
  fl_op op;
  fl_sort_key *keys; /* partition keys, then order keys */
  uint32_t npart, norder;
  fl_win_spec *specs;
  uint32_t nspecs;
  bool done_input;
  fl_batch *buf;
  uint32_t *perm; /* 0, 1, 2 ...: buffer rows are in order already */
  uint32_t perm_cap;
  uint32_t n;          /* buffer rows [0, n) are complete partitions, computed */
  uint32_t tail_start; /* where the buffer's last (maybe incomplete) partition starts */
  fl_vec *res;         /* [nspecs], n values each */
  uint32_t *seq;
  uint32_t pos;  /* rows [0, pos) emitted */
  uint8_t *mark; /* per computed row: 2 a partition starts, 1 a peer group, 0 neither */
  uint32_t mark_cap;
  fl_batch *out;
  size_t held;
} window_op;

static const char *kind_name(fl_win_kind k) {
  static const char *names[] = {"?",     "row_number", "rank", "dense_rank", "lag", "lead",
                                "count", "count",      "sum",  "avg",        "min", "max"};
  return k >= FL_WIN_ROW_NUMBER && k <= FL_WIN_MAX ? names[k] : "?";
}

static void track(window_op *w) {
  size_t now = (w->buf ? exec_batch_bytes(w->buf) : 0) + (size_t)w->perm_cap * 4 + w->mark_cap;
  for (uint32_t s = 0; s < w->nspecs && w->res; s++) {
    fl_batch tmp = {.ncols = 1, .cols = &w->res[s]};
    now += exec_batch_bytes(&tmp);
  }
  exec_mem_track(w->op.ctx, &w->held, now);
}

static bool is_float_kind(fl_type_kind k) { return k == FL_T_FLOAT || k == FL_T_DOUBLE; }

static inline int64_t num_i64(const fl_vec *v, uint32_t i) {
  switch (v->type.kind) {
    case FL_T_BOOLEAN: return v->data.b[i];
    case FL_T_INT:
    case FL_T_DATE: return v->data.i32[i];
    default: return v->data.i64[i];
  }
}

/* Running aggregate state over one partition. */
typedef struct run_state {
  int64_t cnt;
  fl_i128 isum;
  double dsum;
  uint32_t best; /* MIN/MAX: buffer row of the best value, UINT32_MAX none */
} run_state;

static fl_code agg_add(window_op *w, const fl_win_spec *sp, run_state *st, uint32_t row, fl_err *err) {
  const fl_batch *b = w->buf;
  if (sp->kind == FL_WIN_COUNT_STAR) {
    st->cnt++;
    return FL_OK;
  }
  const fl_vec *v = &b->cols[sp->arg];
  if (!fl_vec_is_valid(v, row)) return FL_OK;
  st->cnt++;
  switch (sp->kind) {
    case FL_WIN_SUM:
    case FL_WIN_AVG:
      if (is_float_kind(v->type.kind))
        st->dsum += v->type.kind == FL_T_FLOAT ? v->data.f32[row] : v->data.f64[row];
      else if (v->type.kind == FL_T_DECIMAL) {
        /* avg (a DOUBLE) sums past 38 digits as DuckDB does, up to 128 bits */
        if (sp->kind == FL_WIN_AVG
                ? __builtin_add_overflow(st->isum, fl_vec_dec(v, row), &st->isum)
                : !fl_dec128_add(st->isum, fl_vec_dec(v, row), FL_DECIMAL_PRECISION_MAX, &st->isum))
          return sp->kind == FL_WIN_AVG
                     ? fl_err_set(err, FL_ELIMIT, "avg(%s) OVER (...): the sum overflows 128 bits",
                                  b->fields[sp->arg].name)
                     : fl_err_set(err, FL_ELIMIT, "%s(%s) OVER (...): the sum overflows DECIMAL(38,%u)",
                                  kind_name(sp->kind), b->fields[sp->arg].name, (unsigned)v->type.scale);
      } else
        st->isum += num_i64(v, row);
      break;
    case FL_WIN_MIN:
    case FL_WIN_MAX: {
      if (st->best == UINT32_MAX) {
        st->best = row;
        break;
      }
      int c = exec_cell_cmp(v, row, v, st->best);
      if (sp->kind == FL_WIN_MIN ? c < 0 : c > 0) st->best = row;
      break;
    }
    default: break;
  }
  return FL_OK;
}

static void agg_emit(window_op *w, const fl_win_spec *sp, const run_state *st, fl_vec *res) {
  const fl_batch *b = w->buf;
  switch (sp->kind) {
    case FL_WIN_COUNT_STAR:
    case FL_WIN_COUNT: fl_vec_append_i64(res, st->cnt); return;
    case FL_WIN_SUM:
    case FL_WIN_AVG: {
      const fl_vec *v = &b->cols[sp->arg];
      if (!st->cnt)
        fl_vec_append_null(res);
      else if (is_float_kind(v->type.kind))
        fl_vec_append_f64(res, sp->kind == FL_WIN_SUM ? st->dsum : st->dsum / (double)st->cnt);
      else if (sp->kind == FL_WIN_SUM)
        fl_vec_append_dec(res, st->isum);
      else
        fl_vec_append_f64(res, exec_avg_exact(st->isum, st->cnt, v->type));
      return;
    }
    case FL_WIN_MIN:
    case FL_WIN_MAX:
      if (st->best == UINT32_MAX)
        fl_vec_append_null(res);
      else
        exec_vec_gather(res, &b->cols[sp->arg], &st->best, 1);
      return;
    default: FL_ASSERT(false, "window function %d is not an aggregate", sp->kind);
  }
}

static fl_code compute(window_op *w, fl_err *err) {
  const fl_batch *b = w->buf;
  uint32_t n = w->n;
  const fl_sort_key *part = w->keys, *order = w->keys + w->npart;
  /* one pass marks where partitions (2) and peer groups (1) start, for every function */
  if (n > w->mark_cap) {
    fl_free(w->mark);
    w->mark = fl_malloc(n);
    w->mark_cap = n;
  }
  for (uint32_t p = 0; p < n; p++) {
    if (p == 0 || exec_row_cmp(part, w->npart, b, w->perm[p - 1], b, w->perm[p]) != 0)
      w->mark[p] = 2;
    else
      w->mark[p] = exec_row_cmp(order, w->norder, b, w->perm[p - 1], b, w->perm[p]) != 0;
  }
  for (uint32_t ps = 0; ps < n;) {
    uint32_t pe = ps + 1;
    while (pe < n && w->mark[pe] != 2) pe++;
    for (uint32_t s = 0; s < w->nspecs; s++) {
      const fl_win_spec *sp = &w->specs[s];
      fl_vec *res = &w->res[s];
      run_state st = {0, 0, 0, UINT32_MAX};
      int64_t rank = 0, dense = 0;
      for (uint32_t gs = ps; gs < pe;) {
        /* the peer group [gs, ge) */
        uint32_t ge = gs + 1;
        while (ge < pe && !w->mark[ge]) ge++;
        dense++;
        rank = gs - ps + 1;
        switch (sp->kind) {
          case FL_WIN_ROW_NUMBER:
            for (uint32_t p = gs; p < ge; p++) fl_vec_append_i64(res, (int64_t)(p - ps + 1));
            break;
          case FL_WIN_RANK:
            for (uint32_t p = gs; p < ge; p++) fl_vec_append_i64(res, rank);
            break;
          case FL_WIN_DENSE_RANK:
            for (uint32_t p = gs; p < ge; p++) fl_vec_append_i64(res, dense);
            break;
          case FL_WIN_LAG:
          case FL_WIN_LEAD:
            for (uint32_t p = gs; p < ge; p++) {
              int64_t off = sp->kind == FL_WIN_LAG ? -sp->offset : sp->offset;
              int64_t at = (int64_t)p + off;
              if (at >= (int64_t)ps && at < (int64_t)pe)
                exec_vec_gather(res, &b->cols[sp->arg], &w->perm[at], 1);
              else if (sp->dflt >= 0)
                exec_vec_gather(res, &b->cols[sp->dflt], &w->perm[p], 1);
              else
                fl_vec_append_null(res);
            }
            break;
          default:
            for (uint32_t p = gs; p < ge; p++) {
              fl_code rc = agg_add(w, sp, &st, w->perm[p], err);
              if (rc) return rc;
            }
            for (uint32_t p = gs; p < ge; p++) agg_emit(w, sp, &st, res);
            break;
        }
        gs = ge;
      }
    }
    ps = pe;
  }
  return FL_OK;
}

static fl_code window_next(fl_op *op, const fl_batch **out, fl_err *err) {
  window_op *w = (window_op *)op;
  fl_op *child = op->children[0];
  const fl_sort_key *part = w->keys;
  for (;;) {
    if (w->pos < w->n) {
      uint32_t n = w->n - w->pos < FL_EXEC_BATCH_ROWS ? w->n - w->pos : FL_EXEC_BATCH_ROWS;
      fl_batch_reset(w->out);
      for (uint32_t c = 0; c < child->ncols; c++)
        exec_vec_gather(&w->out->cols[c], &w->buf->cols[c], w->perm + w->pos, n);
      for (uint32_t i = 0; i < n; i++) w->seq[i] = w->pos + i;
      for (uint32_t s = 0; s < w->nspecs; s++)
        exec_vec_gather(&w->out->cols[child->ncols + s], &w->res[s], w->seq, n);
      w->out->nrows = n;
      w->pos += n;
      *out = w->out;
      return FL_OK;
    }
    if (w->n) {
      /* drop the emitted partitions, keep the incomplete one */
      fl_batch *rest = fl_batch_new(child->fields, child->ncols, FL_EXEC_BATCH_ROWS);
      if (w->buf->nrows > w->n) fl_batch_append_range(rest, w->buf, w->n, w->buf->nrows - w->n);
      fl_batch_free(w->buf);
      w->buf = rest;
      w->tail_start -= w->n;
      for (uint32_t s = 0; s < w->nspecs; s++) fl_vec_reset(&w->res[s]);
      w->n = w->pos = 0;
      track(w);
    }
    uint32_t ready = 0;
    if (w->done_input) {
      if (!w->buf->nrows) {
        *out = NULL;
        return FL_OK;
      }
      ready = w->buf->nrows;
    } else {
      const fl_batch *b;
      fl_code rc = fl_op_next(child, &b, err);
      if (rc) return rc;
      if (!b) {
        w->done_input = true;
        continue;
      }
      FL_ASSERT((uint64_t)w->buf->nrows + b->nrows < UINT32_MAX, "window over 4 Gi rows");
      uint32_t from = w->buf->nrows;
      exec_batch_append(w->buf, b);
      for (uint32_t i = from ? from : 1; i < w->buf->nrows; i++)
        if (w->npart && exec_row_cmp(part, w->npart, w->buf, i - 1, w->buf, i) != 0) w->tail_start = i;
      track(w);
      /* its own bytes only: the sort below may hold its merge buffers meanwhile */
      if (op->ctx->mem_budget && w->held > op->ctx->mem_budget)
        return fl_err_set(err, FL_ELIMIT,
                          "window: a partition of %u rows (%zu bytes) exceeds the memory budget of %zu bytes",
                          w->buf->nrows - w->tail_start, w->held, op->ctx->mem_budget);
      ready = w->tail_start;
    }
    if (!ready) continue;
    if (ready > w->perm_cap) {
      w->perm_cap = ready;
      fl_free(w->perm);
      w->perm = fl_malloc(ready * sizeof *w->perm);
      for (uint32_t i = 0; i < ready; i++) w->perm[i] = i;
    }
    w->n = ready;
    fl_code rc = compute(w, err);
    track(w);
    if (rc) return rc;
  }
}

static void window_explain(const fl_op *op, bool analyze, fl_buf *out) {
  (void)analyze;
  const window_op *w = (const window_op *)op;
  const fl_op *child = op->children[0];
  for (uint32_t s = 0; s < w->nspecs; s++)
    fl_buf_printf(out, "%s%s(%s)", s ? ", " : "", kind_name(w->specs[s].kind),
                  w->specs[s].arg >= 0 ? child->fields[w->specs[s].arg].name : "");
  fl_buf_printf(out, " OVER (");
  if (w->npart) fl_buf_printf(out, "PARTITION BY");
  for (uint32_t i = 0; i < w->npart; i++)
    fl_buf_printf(out, "%s%s", i ? ", " : " ", child->fields[w->keys[i].col].name);
  if (w->norder) fl_buf_printf(out, "%sORDER BY", w->npart ? " " : "");
  for (uint32_t i = 0; i < w->norder; i++) {
    const fl_sort_key *k = &w->keys[w->npart + i];
    fl_buf_printf(out, "%s%s %s NULLS %s", i ? ", " : " ", child->fields[k->col].name,
                  k->desc ? "DESC" : "ASC", k->nulls_first ? "FIRST" : "LAST");
  }
  fl_buf_printf(out, ")");
}

static void window_free(fl_op *op) {
  window_op *w = (window_op *)op;
  fl_batch_free(w->buf);
  fl_batch_free(w->out);
  w->buf = w->out = NULL;
  if (w->res)
    for (uint32_t s = 0; s < w->nspecs; s++) fl_vec_free(&w->res[s]);
  fl_free(w->res);
  fl_free(w->perm);
  fl_free(w->seq);
  fl_free(w->mark);
  w->mark = NULL;
  w->res = NULL;
  w->perm = w->seq = NULL;
  exec_mem_track(op->ctx, &w->held, 0);
}

static const fl_op_vtable window_vt = {"WINDOW", window_next, window_explain, window_free};

static fl_code spec_type(const fl_op *child, const fl_win_spec *sp, fl_type *out, fl_err *err) {
  fl_type bigint = {FL_T_BIGINT, 0, 0, 0};
  bool needs_arg = sp->kind >= FL_WIN_LAG && sp->kind != FL_WIN_COUNT_STAR;
  if (needs_arg && (sp->arg < 0 || (uint32_t)sp->arg >= child->ncols))
    return fl_err_set(err, FL_EINVAL, "window %s: argument column %d of %u", sp->name, sp->arg, child->ncols);
  fl_type arg = needs_arg ? child->fields[sp->arg].type : bigint;
  const char *an = needs_arg ? child->fields[sp->arg].name : "";
  switch (sp->kind) {
    case FL_WIN_ROW_NUMBER:
    case FL_WIN_RANK:
    case FL_WIN_DENSE_RANK:
    case FL_WIN_COUNT_STAR:
    case FL_WIN_COUNT: *out = bigint; return FL_OK;
    case FL_WIN_LAG:
    case FL_WIN_LEAD:
      if (sp->dflt >= 0 &&
          ((uint32_t)sp->dflt >= child->ncols || !fl_type_equal(child->fields[sp->dflt].type, arg)))
        return fl_err_set(err, FL_ETYPE, "%s(%s): the default is not of the argument's type (cast first)",
                          kind_name(sp->kind), an);
      *out = arg;
      return FL_OK;
    case FL_WIN_SUM:
    case FL_WIN_AVG:
    case FL_WIN_MIN:
    case FL_WIN_MAX: { /* the aggregate's result types (exec_agg.c), one rule for both */
      fl_agg_kind ak = sp->kind == FL_WIN_SUM   ? FL_AGG_SUM
                       : sp->kind == FL_WIN_AVG ? FL_AGG_AVG
                       : sp->kind == FL_WIN_MIN ? FL_AGG_MIN
                                                : FL_AGG_MAX;
      if (fl_exec_agg_type(ak, arg, out)) return FL_OK;
      break;
    }
  }
  return fl_err_set(err, FL_ETYPE, "%s(%s) OVER (...): not over %s", kind_name(sp->kind), an,
                    fl_type_sql_name(arg.kind));
}

fl_op *fl_op_window(fl_exec_ctx *ctx, fl_op *child, const uint32_t *part, uint32_t npart,
                    const fl_sort_key *order, uint32_t norder, const fl_win_spec *specs, uint32_t nspecs,
                    fl_err *err) {
  uint32_t ncols = child->ncols + nspecs;
  fl_field *fields = fl_arena_calloc(ctx->arena, ncols ? ncols : 1, sizeof *fields);
  for (uint32_t c = 0; c < child->ncols; c++) fields[c] = child->fields[c];
  for (uint32_t s = 0; s < nspecs; s++) {
    fl_type t;
    if (spec_type(child, &specs[s], &t, err)) return NULL;
    bool counts = specs[s].kind <= FL_WIN_DENSE_RANK || specs[s].kind == FL_WIN_COUNT_STAR ||
                  specs[s].kind == FL_WIN_COUNT;
    fields[child->ncols + s] = (fl_field){(int32_t)(child->ncols + s + 1), specs[s].name, t, counts, NULL};
  }
  fl_sort_key *keys = fl_arena_calloc(ctx->arena, npart + norder + 1, sizeof *keys);
  for (uint32_t i = 0; i < npart; i++) {
    if (part[i] >= child->ncols) {
      fl_err_set(err, FL_EINVAL, "PARTITION BY: column %u of %u", part[i], child->ncols);
      return NULL;
    }
    keys[i] = (fl_sort_key){part[i], false, false};
  }
  for (uint32_t i = 0; i < norder; i++) {
    if (order[i].col >= child->ncols) {
      fl_err_set(err, FL_EINVAL, "window ORDER BY: column %u of %u", order[i].col, child->ncols);
      return NULL;
    }
    keys[npart + i] = order[i];
  }
  for (uint32_t i = 0; i < npart + norder; i++)
    if (child->fields[keys[i].col].type.kind == FL_T_JSON) {
      fl_err_set(err, FL_ETYPE, "window over %s: JSON values have no order", child->fields[keys[i].col].name);
      return NULL;
    }
  fl_op *sorted = child;
  if (npart + norder) {
    sorted = fl_op_sort(ctx, child, keys, npart + norder, UINT64_MAX, err);
    if (!sorted) return NULL;
  }
  window_op *w = (window_op *)fl_op_alloc(ctx, sizeof *w, &window_vt, fields, ncols, &sorted, 1);
  w->keys = keys;
  w->npart = npart;
  w->norder = norder;
  w->specs = fl_arena_calloc(ctx->arena, nspecs ? nspecs : 1, sizeof *w->specs);
  if (nspecs) memcpy(w->specs, specs, nspecs * sizeof *specs);
  w->nspecs = nspecs;
  w->buf = fl_batch_new(child->fields, child->ncols, FL_EXEC_BATCH_ROWS);
  w->out = fl_batch_new(fields, ncols, FL_EXEC_BATCH_ROWS);
  w->res = fl_calloc(nspecs ? nspecs : 1, sizeof *w->res);
  for (uint32_t s = 0; s < nspecs; s++)
    fl_vec_init(&w->res[s], fields[child->ncols + s].type, FL_EXEC_BATCH_ROWS);
  w->seq = fl_malloc(FL_EXEC_BATCH_ROWS * sizeof *w->seq);
  track(w);
  return &w->op;
}
