/* exec_sort.c: ORDER BY (stable, multi-key, NULLS FIRST/LAST), top-N, LIMIT/OFFSET
 * (sql/exec.h).
 *
 * Full sort: the first next() drains the child into one buffer batch (columns appended
 * a batch at a time), then sorts a permutation of row numbers with a stable merge
 * sort and emits FL_EXEC_BATCH_ROWS rows at a time by gathering through it. Strings
 * compare by unsigned bytes (DuckDB's default binary collation); NaN sorts above every
 * number; ties keep input order.
 *
 * Top-N (limit <= TOPN_MAX): a binary max-heap of the best `limit` rows seen so far
 * (top = the worst of them); a row enters only if it sorts strictly before the top
 * (a tie loses: it came later), so the result is the stable sort's first `limit` rows.
 * Rows that enter are appended to a buffer; when the buffer holds more than twice the
 * heap, it is compacted to the heap's rows. Memory is O(limit).
 *
 * Spill: when ctx->mem_budget is set and the buffer would pass it, the buffer is sorted
 * and written as a run to a spill file, then freed; at the end of input the last buffer
 * becomes a run too and the runs are merged with a heap of run cursors (ties go to the
 * earlier run, keeping the sort stable). Memory while merging: one batch a run.
 *
 *   INPUT ──(child done, no runs)──► EMIT_SORTED ──► DONE
 *     │ (over budget: sort, write run, free buffer; back to INPUT)
 *     └──(child done, runs)──► MERGE ──► DONE */
#include <stdlib.h>
#include <string.h>

#include "sql/exec_int.h"

/* Top-N with a heap up to this limit: 64 Ki rows of heap and buffer stay a few MiB
 * for ordinary rows; a larger LIMIT sorts everything and cuts. */
enum { TOPN_MAX = 65536 };

typedef struct run {
  exec_spill sp;
  fl_batch *b;
  uint32_t pos;
} run;

typedef enum sort_state { ST_INPUT, ST_EMIT_SORTED, ST_MERGE, ST_DONE } sort_state;

typedef struct sort_op {
  fl_op op;
  fl_sort_key *keys;
  uint32_t nkeys;
  uint64_t limit;
  bool topn;
  sort_state state;
  fl_batch *buf;
  uint32_t *perm, *tmp;
  uint32_t nperm;
  uint32_t emit_pos;
  uint64_t emitted;
  /* top-N */
  uint32_t *heap;
  uint64_t *seq;
  uint32_t heap_n;
  uint64_t seq_next;
  /* spill */
  run *runs;
  uint32_t nruns, runs_cap;
  uint32_t *mheap;
  uint32_t mheap_n;
  uint64_t spilled_rows;
  fl_batch *out;
  size_t held;
} sort_op;

int exec_row_cmp(const fl_sort_key *keys, uint32_t nkeys, const fl_batch *a, uint32_t i, const fl_batch *b,
                 uint32_t j) {
  for (uint32_t k = 0; k < nkeys; k++) {
    const fl_vec *va = &a->cols[keys[k].col], *vb = &b->cols[keys[k].col];
    bool na = !fl_vec_is_valid(va, i), nb = !fl_vec_is_valid(vb, j);
    if (na || nb) {
      if (na && nb) continue;
      /* NULL sorts first or last whatever the direction */
      return (na ? -1 : 1) * (keys[k].nulls_first ? 1 : -1);
    }
    int c = exec_cell_cmp(va, i, vb, j);
    if (c) return keys[k].desc ? -c : c;
  }
  return 0;
}

static void track(sort_op *s) {
  size_t now = (s->buf ? exec_batch_bytes(s->buf) : 0) + (size_t)s->nperm * 8 + (size_t)s->heap_n * 12;
  for (uint32_t r = 0; r < s->nruns; r++)
    if (s->runs[r].b) now += exec_batch_bytes(s->runs[r].b);
  exec_mem_track(s->op.ctx, &s->held, now);
}

/* ---- stable merge sort of row numbers ---- */

void exec_sort_perm(const fl_sort_key *keys, uint32_t nkeys, const fl_batch *b, uint32_t *p, uint32_t *tmp,
                    uint32_t n) {
  /* bottom-up: insertion sort runs of 16, then merge widths 16, 32, ... */
  for (uint32_t lo = 0; lo < n; lo += 16) {
    uint32_t hi = lo + 16 < n ? lo + 16 : n;
    for (uint32_t i = lo + 1; i < hi; i++) {
      uint32_t x = p[i], j = i;
      while (j > lo && exec_row_cmp(keys, nkeys, b, p[j - 1], b, x) > 0) {
        p[j] = p[j - 1];
        j--;
      }
      p[j] = x;
    }
  }
  uint32_t *src = p, *dst = tmp;
  for (uint32_t w = 16; w < n; w *= 2) {
    for (uint32_t lo = 0; lo < n; lo += 2 * w) {
      uint32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      uint32_t i = lo, j = mid, o = lo;
      if (mid == hi || exec_row_cmp(keys, nkeys, b, src[mid - 1], b, src[mid]) <= 0) {
        memcpy(dst + lo, src + lo, (hi - lo) * sizeof *dst); /* already in order */
        continue;
      }
      while (i < mid && j < hi) dst[o++] = exec_row_cmp(keys, nkeys, b, src[j], b, src[i]) < 0 ? src[j++] : src[i++];
      while (i < mid) dst[o++] = src[i++];
      while (j < hi) dst[o++] = src[j++];
    }
    uint32_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != p) memcpy(p, src, n * sizeof *p);
}

static void sort_buffer(sort_op *s) {
  uint32_t n = s->buf->nrows;
  fl_free(s->perm);
  fl_free(s->tmp);
  s->perm = fl_malloc((n ? n : 1) * sizeof *s->perm);
  s->tmp = fl_malloc((n ? n : 1) * sizeof *s->tmp);
  s->nperm = n;
  for (uint32_t i = 0; i < n; i++) s->perm[i] = i;
  track(s);
  exec_sort_perm(s->keys, s->nkeys, s->buf, s->perm, s->tmp, n);
  fl_free(s->tmp);
  s->tmp = NULL;
}

static void gather_rows(fl_batch *out, const fl_batch *src, const uint32_t *rows, uint32_t n) {
  for (uint32_t c = 0; c < src->ncols; c++) exec_vec_gather(&out->cols[c], &src->cols[c], rows, n);
  out->nrows += n;
}

/* ---- spill runs ---- */

static fl_code write_run(sort_op *s, fl_err *err) {
  sort_buffer(s);
  if (s->nruns == s->runs_cap) {
    s->runs_cap = s->runs_cap ? s->runs_cap * 2 : 8;
    s->runs = fl_realloc(s->runs, s->runs_cap * sizeof *s->runs);
  }
  run *r = &s->runs[s->nruns];
  memset(r, 0, sizeof *r);
  fl_code rc = exec_spill_open(s->op.ctx, &r->sp, err);
  if (rc) return fl_err_prefix(err, "sort over budget %zu bytes: ", s->op.ctx->mem_budget);
  s->nruns++;
  fl_op *child = s->op.children[0];
  fl_batch *chunk = fl_batch_new(child->fields, child->ncols, FL_EXEC_BATCH_ROWS);
  for (uint32_t at = 0; at < s->nperm && rc == FL_OK; at += FL_EXEC_BATCH_ROWS) {
    uint32_t n = s->nperm - at < FL_EXEC_BATCH_ROWS ? s->nperm - at : FL_EXEC_BATCH_ROWS;
    fl_batch_reset(chunk);
    gather_rows(chunk, s->buf, s->perm + at, n);
    rc = exec_spill_write(&r->sp, chunk, err);
  }
  fl_batch_free(chunk);
  s->spilled_rows += s->nperm;
  fl_batch_free(s->buf);
  s->buf = fl_batch_new(child->fields, child->ncols, FL_EXEC_BATCH_ROWS);
  fl_free(s->perm);
  s->perm = NULL;
  s->nperm = 0;
  track(s);
  return rc;
}

/* merge heap over run indexes: the run whose current row sorts first on top */
static bool run_before(const sort_op *s, uint32_t x, uint32_t y) {
  const run *a = &s->runs[x], *b = &s->runs[y];
  int c = exec_row_cmp(s->keys, s->nkeys, a->b, a->pos, b->b, b->pos);
  return c < 0 || (c == 0 && x < y);
}

static void mheap_down(sort_op *s, uint32_t i) {
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < s->mheap_n && run_before(s, s->mheap[l], s->mheap[m])) m = l;
    if (r < s->mheap_n && run_before(s, s->mheap[r], s->mheap[m])) m = r;
    if (m == i) return;
    uint32_t t = s->mheap[i];
    s->mheap[i] = s->mheap[m];
    s->mheap[m] = t;
    i = m;
  }
}

static fl_code start_merge(sort_op *s, fl_err *err) {
  fl_op *child = s->op.children[0];
  s->mheap = fl_malloc(s->nruns * sizeof *s->mheap);
  s->mheap_n = 0;
  for (uint32_t r = 0; r < s->nruns; r++) {
    run *rn = &s->runs[r];
    fl_code rc = exec_spill_rewind(&rn->sp, err);
    if (rc) return rc;
    rn->b = fl_batch_new(child->fields, child->ncols, FL_EXEC_BATCH_ROWS);
    bool got;
    rc = exec_spill_read(&rn->sp, rn->b, &got, err);
    if (rc) return rc;
    rn->pos = 0;
    if (got && rn->b->nrows) s->mheap[s->mheap_n++] = r;
  }
  for (uint32_t i = s->mheap_n; i-- > 0;) mheap_down(s, i);
  track(s);
  return FL_OK;
}

static fl_code merge_next(sort_op *s, fl_err *err) {
  fl_batch_reset(s->out);
  while (s->mheap_n && s->out->nrows < FL_EXEC_BATCH_ROWS && s->emitted < s->limit) {
    uint32_t r = s->mheap[0];
    run *rn = &s->runs[r];
    gather_rows(s->out, rn->b, &rn->pos, 1);
    s->emitted++;
    if (++rn->pos == rn->b->nrows) {
      bool got;
      fl_code rc = exec_spill_read(&rn->sp, rn->b, &got, err);
      if (rc) return rc;
      rn->pos = 0;
      if (!got || !rn->b->nrows) s->mheap[0] = s->mheap[--s->mheap_n];
    }
    if (s->mheap_n) mheap_down(s, 0);
  }
  return FL_OK;
}

/* ---- top-N ---- */

/* heap of buffer rows, top = the row that sorts last (ties: the later one) */
static bool topn_after(const sort_op *s, uint32_t x, uint32_t y) {
  int c = exec_row_cmp(s->keys, s->nkeys, s->buf, x, s->buf, y);
  return c > 0 || (c == 0 && s->seq[x] > s->seq[y]);
}

static void topn_down(sort_op *s, uint32_t i) {
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < s->heap_n && topn_after(s, s->heap[l], s->heap[m])) m = l;
    if (r < s->heap_n && topn_after(s, s->heap[r], s->heap[m])) m = r;
    if (m == i) return;
    uint32_t t = s->heap[i];
    s->heap[i] = s->heap[m];
    s->heap[m] = t;
    i = m;
  }
}

static void topn_up(sort_op *s, uint32_t i) {
  while (i > 0) {
    uint32_t p = (i - 1) / 2;
    if (!topn_after(s, s->heap[i], s->heap[p])) return;
    uint32_t t = s->heap[i];
    s->heap[i] = s->heap[p];
    s->heap[p] = t;
    i = p;
  }
}

static void topn_compact(sort_op *s) {
  fl_op *child = s->op.children[0];
  fl_batch *nb = fl_batch_new(child->fields, child->ncols, s->heap_n ? s->heap_n : 1);
  uint64_t *nseq = fl_malloc(((size_t)s->limit * 2 + FL_EXEC_BATCH_ROWS + 1) * sizeof *nseq);
  /* keep buffer order: sort heap slots by row number through a bitmap of live rows */
  uint32_t *newpos = fl_malloc((s->buf->nrows ? s->buf->nrows : 1) * sizeof *newpos);
  memset(newpos, 0xff, (s->buf->nrows ? s->buf->nrows : 1) * sizeof *newpos);
  for (uint32_t h = 0; h < s->heap_n; h++) newpos[s->heap[h]] = 0;
  uint32_t *rows = fl_malloc((s->heap_n ? s->heap_n : 1) * sizeof *rows), n = 0;
  for (uint32_t r = 0; r < s->buf->nrows; r++)
    if (newpos[r] == 0) {
      newpos[r] = n;
      nseq[n] = s->seq[r];
      rows[n++] = r;
    }
  gather_rows(nb, s->buf, rows, n);
  for (uint32_t h = 0; h < s->heap_n; h++) s->heap[h] = newpos[s->heap[h]];
  fl_free(rows);
  fl_free(newpos);
  fl_free(s->seq);
  s->seq = nseq;
  fl_batch_free(s->buf);
  s->buf = nb;
}

static int u32_cmp(const void *x, const void *y) {
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  return (a > b) - (a < b);
}

static void topn_add(sort_op *s, const fl_batch *b) {
  if (s->limit == 0) return;
  for (uint32_t i = 0; i < b->nrows; i++) {
    uint64_t seq = s->seq_next++;
    if (s->heap_n == s->limit) {
      /* enters only if strictly before the worst kept row */
      if (exec_row_cmp(s->keys, s->nkeys, b, i, s->buf, s->heap[0]) >= 0) continue;
    }
    uint32_t row = s->buf->nrows;
    gather_rows(s->buf, b, &i, 1);
    s->seq[row] = seq;
    if (s->heap_n < s->limit) {
      s->heap[s->heap_n++] = row;
      topn_up(s, s->heap_n - 1);
    } else {
      s->heap[0] = row;
      topn_down(s, 0);
    }
    if (s->buf->nrows >= 2 * s->limit + FL_EXEC_BATCH_ROWS) topn_compact(s);
  }
}

/* ---- next ---- */

static fl_code consume(sort_op *s, fl_err *err) {
  fl_op *child = s->op.children[0];
  for (;;) {
    const fl_batch *b;
    fl_code rc = fl_op_next(child, &b, err);
    if (rc) return rc;
    if (!b) return FL_OK;
    if (s->topn) {
      topn_add(s, b);
    } else {
      exec_batch_append(s->buf, b);
      track(s);
      /* a sort of the buffer needs 8 bytes a row more: keep room for it */
      if (s->op.ctx->mem_budget && s->op.ctx->mem_used + (size_t)s->buf->nrows * 8 > s->op.ctx->mem_budget) {
        rc = write_run(s, err);
        if (rc) return rc;
      }
    }
    track(s);
  }
}

static fl_code sort_next(fl_op *op, const fl_batch **out, fl_err *err) {
  sort_op *s = (sort_op *)op;
  fl_code rc;
  if (s->state == ST_INPUT) {
    rc = consume(s, err);
    if (rc) return rc;
    if (s->topn) {
      /* the heap's rows in sorted order */
      fl_free(s->perm);
      s->perm = fl_malloc((s->heap_n ? s->heap_n : 1) * sizeof *s->perm);
      s->tmp = fl_malloc((s->heap_n ? s->heap_n : 1) * sizeof *s->tmp);
      /* heap rows by buffer row number are in arrival order: a stable sort of them is the
       * stable sort's first `limit` rows */
      uint32_t *sorted_rows = s->tmp;
      memcpy(sorted_rows, s->heap, s->heap_n * sizeof *sorted_rows);
      qsort(sorted_rows, s->heap_n, sizeof *sorted_rows, u32_cmp);
      memcpy(s->perm, sorted_rows, s->heap_n * sizeof *s->perm);
      s->nperm = s->heap_n;
      exec_sort_perm(s->keys, s->nkeys, s->buf, s->perm, s->tmp, s->nperm);
      fl_free(s->tmp);
      s->tmp = NULL;
      s->state = ST_EMIT_SORTED;
    } else if (s->nruns) {
      if (s->buf->nrows) {
        rc = write_run(s, err);
        if (rc) return rc;
      }
      fl_batch_free(s->buf);
      s->buf = NULL;
      rc = start_merge(s, err);
      if (rc) return rc;
      s->state = ST_MERGE;
    } else {
      sort_buffer(s);
      s->state = ST_EMIT_SORTED;
    }
    track(s);
  }
  if (s->state == ST_EMIT_SORTED) {
    fl_batch_reset(s->out);
    uint64_t left = s->limit - s->emitted;
    uint32_t n = s->nperm - s->emit_pos;
    if (n > FL_EXEC_BATCH_ROWS) n = FL_EXEC_BATCH_ROWS;
    if (n > left) n = (uint32_t)left;
    if (n) {
      gather_rows(s->out, s->buf, s->perm + s->emit_pos, n);
      s->emit_pos += n;
      s->emitted += n;
      *out = s->out;
      return FL_OK;
    }
    s->state = ST_DONE;
  }
  if (s->state == ST_MERGE) {
    rc = merge_next(s, err);
    if (rc) return rc;
    if (s->out->nrows) {
      *out = s->out;
      return FL_OK;
    }
    s->state = ST_DONE;
  }
  *out = NULL;
  return FL_OK;
}

static void sort_explain(const fl_op *op, bool analyze, fl_buf *out) {
  const sort_op *s = (const sort_op *)op;
  const fl_op *child = op->children[0];
  for (uint32_t k = 0; k < s->nkeys; k++)
    fl_buf_printf(out, "%s%s %s NULLS %s", k ? ", " : "", child->fields[s->keys[k].col].name,
                  s->keys[k].desc ? "DESC" : "ASC", s->keys[k].nulls_first ? "FIRST" : "LAST");
  if (s->limit != UINT64_MAX) fl_buf_printf(out, " limit=%llu%s", (unsigned long long)s->limit, s->topn ? " (top-N)" : "");
  if (analyze && s->spilled_rows)
    fl_buf_printf(out, " spilled=%llu runs=%u", (unsigned long long)s->spilled_rows, s->nruns);
}

static void sort_free(fl_op *op) {
  sort_op *s = (sort_op *)op;
  fl_batch_free(s->buf);
  fl_batch_free(s->out);
  fl_free(s->perm);
  fl_free(s->tmp);
  fl_free(s->heap);
  fl_free(s->seq);
  for (uint32_t r = 0; r < s->nruns; r++) {
    exec_spill_close(&s->runs[r].sp);
    fl_batch_free(s->runs[r].b);
  }
  fl_free(s->runs);
  fl_free(s->mheap);
  s->buf = s->out = NULL;
  s->perm = s->tmp = s->heap = s->mheap = NULL;
  s->seq = NULL;
  s->runs = NULL;
  s->nruns = 0;
  s->nperm = s->heap_n = 0;
  exec_mem_track(op->ctx, &s->held, 0);
}

static const fl_op_vtable sort_vt = {"SORT", sort_next, sort_explain, sort_free};

fl_op *fl_op_sort(fl_exec_ctx *ctx, fl_op *child, const fl_sort_key *keys, uint32_t nkeys, uint64_t limit,
                  fl_err *err) {
  for (uint32_t k = 0; k < nkeys; k++) {
    if (keys[k].col >= child->ncols) {
      fl_err_set(err, FL_EINVAL, "ORDER BY: column %u of %u", keys[k].col, child->ncols);
      return NULL;
    }
    if (child->fields[keys[k].col].type.kind == FL_T_JSON) {
      fl_err_set(err, FL_ETYPE, "ORDER BY %s: JSON values have no order", child->fields[keys[k].col].name);
      return NULL;
    }
  }
  sort_op *s = (sort_op *)fl_op_alloc(ctx, sizeof *s, &sort_vt, child->fields, child->ncols, &child, 1);
  s->keys = fl_arena_calloc(ctx->arena, nkeys ? nkeys : 1, sizeof *keys);
  if (nkeys) memcpy(s->keys, keys, nkeys * sizeof *keys);
  s->nkeys = nkeys;
  s->limit = limit;
  s->topn = limit <= TOPN_MAX;
  s->buf = fl_batch_new(child->fields, child->ncols, FL_EXEC_BATCH_ROWS);
  s->out = fl_batch_new(child->fields, child->ncols, FL_EXEC_BATCH_ROWS);
  if (s->topn) {
    s->heap = fl_malloc((limit ? limit : 1) * sizeof *s->heap);
    s->seq = fl_malloc(((size_t)limit * 2 + FL_EXEC_BATCH_ROWS + 1) * sizeof *s->seq);
  }
  track(s);
  return &s->op;
}

/* ---- LIMIT / OFFSET ---- */

typedef struct limit_op {
  fl_op op;
  uint64_t limit, offset;
  uint64_t skipped, emitted;
  fl_batch *out;
} limit_op;

static fl_code limit_next(fl_op *op, const fl_batch **out, fl_err *err) {
  limit_op *l = (limit_op *)op;
  while (l->emitted < l->limit) {
    const fl_batch *b;
    fl_code rc = fl_op_next(op->children[0], &b, err);
    if (rc || !b) return rc;
    uint32_t from = 0;
    if (l->skipped < l->offset) {
      uint64_t skip = l->offset - l->skipped;
      if (skip >= b->nrows) {
        l->skipped += b->nrows;
        continue;
      }
      from = (uint32_t)skip;
      l->skipped = l->offset;
    }
    uint64_t n = b->nrows - from;
    if (n > l->limit - l->emitted) n = l->limit - l->emitted;
    l->emitted += n;
    if (from == 0 && n == b->nrows) {
      *out = b; /* whole batch: pass it through */
      return FL_OK;
    }
    fl_batch_reset(l->out);
    fl_batch_append_range(l->out, b, from, (uint32_t)n);
    *out = l->out;
    return FL_OK;
  }
  *out = NULL;
  return FL_OK;
}

static void limit_explain(const fl_op *op, bool analyze, fl_buf *out) {
  (void)analyze;
  const limit_op *l = (const limit_op *)op;
  if (l->limit != UINT64_MAX) fl_buf_printf(out, "limit=%llu", (unsigned long long)l->limit);
  if (l->offset) fl_buf_printf(out, "%soffset=%llu", l->limit != UINT64_MAX ? " " : "", (unsigned long long)l->offset);
}

static void limit_free(fl_op *op) {
  limit_op *l = (limit_op *)op;
  fl_batch_free(l->out);
  l->out = NULL;
}

static const fl_op_vtable limit_vt = {"LIMIT", limit_next, limit_explain, limit_free};

fl_op *fl_op_limit(fl_exec_ctx *ctx, fl_op *child, uint64_t limit, uint64_t offset) {
  limit_op *l = (limit_op *)fl_op_alloc(ctx, sizeof *l, &limit_vt, child->fields, child->ncols, &child, 1);
  l->limit = limit;
  l->offset = offset;
  l->out = fl_batch_new(child->fields, child->ncols, FL_EXEC_BATCH_ROWS);
  return &l->op;
}
