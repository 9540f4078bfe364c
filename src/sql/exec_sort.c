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
 * heap, it is compacted to the heap's rows. Memory is O(limit). Once the heap is full
 * and the child is a table scan, the worst kept row's first key bounds the scan
 * (topn_bound: row groups whose statistics hold no value that could enter are skipped).
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

#include "core/decimal.h"
#include "sql/exec_int.h"

/* Top-N with a heap up to this limit: 64 Ki rows of heap and buffer stay a few MiB
 * for ordinary rows; a larger LIMIT sorts everything and cuts. */
enum { TOPN_MAX = 65536 };
/* Bytes a row while sorting: the permutation, two arrays of 16-byte sort entries. */
enum { SORT_ROW_BYTES = 4 + 2 * 16 };

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
  size_t now =
      (s->buf ? exec_batch_bytes(s->buf) : 0) + (size_t)s->nperm * SORT_ROW_BYTES + (size_t)s->heap_n * 12;
  for (uint32_t r = 0; r < s->nruns; r++)
    if (s->runs[r].b) now += exec_batch_bytes(s->runs[r].b);
  exec_mem_track(s->op.ctx, &s->held, now);
}

/* ---- stable merge sort of row numbers ----
 * Rows are sorted as 16-byte entries: a null rank, an order-preserving 64-bit prefix of
 * the first key (integers with the sign bit flipped, doubles by their bits with NaN on
 * top, strings by their first 8 bytes big-endian; inverted for DESC) and the row
 * number. Most comparisons end at the prefix; ties, and every key after the first, go
 * to exec_row_cmp on the batch. */

typedef struct sort_ent {
  uint64_t pfx;
  uint32_t row;
  uint32_t rank; /* 0: NULL first, 1: a value, 2: NULL last */
} sort_ent;

static bool prefix_of(const fl_vec *v, uint32_t i, uint64_t *out) {
  const uint64_t sign = (uint64_t)1 << 63;
  switch (v->type.kind) {
    case FL_T_BOOLEAN: *out = v->data.b[i]; return true;
    case FL_T_INT:
    case FL_T_DATE: *out = (uint64_t)(int64_t)v->data.i32[i] ^ sign; return true;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: *out = (uint64_t)v->data.i64[i] ^ sign; return true;
    case FL_T_DECIMAL:
      if (!fl_decimal_is_wide(v->type)) {
        *out = (uint64_t)v->data.i64[i] ^ sign;
        return true;
      }
      *out = (uint64_t)(int64_t)(fl_vec_dec(v, i) >> 64) ^ sign;
      return false;
    case FL_T_FLOAT:
    case FL_T_DOUBLE: {
      double d = v->type.kind == FL_T_FLOAT ? (double)v->data.f32[i] : v->data.f64[i];
      if (d != d) {
        *out = UINT64_MAX; /* NaN above every number */
        return true;
      }
      if (d == 0) d = 0.0;
      uint64_t bits;
      memcpy(&bits, &d, 8);
      *out = bits & sign ? ~bits : bits | sign;
      return true;
    }
    default: {
      uint32_t n;
      const uint8_t *p = (const uint8_t *)fl_vec_str(v, i, &n);
      uint64_t x = 0;
      for (uint32_t k = 0; k < 8; k++) x = x << 8 | (k < n ? p[k] : 0);
      *out = x;
      return false;
    }
  }
}

typedef struct sort_ctx {
  const fl_sort_key *keys;
  uint32_t nkeys, from; /* exec_row_cmp from key `from` when the prefixes tie */
  bool full;
  const fl_batch *b;
} sort_ctx;

static inline int ent_cmp(const sort_ctx *c, const sort_ent *x, const sort_ent *y) {
  if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
  if (x->pfx != y->pfx) return x->pfx < y->pfx ? -1 : 1;
  if (!c->full || x->rank != 1) {
    if (c->nkeys <= 1) return 0;
    return exec_row_cmp(c->keys + 1, c->nkeys - 1, c->b, x->row, c->b, y->row);
  }
  return exec_row_cmp(c->keys + c->from, c->nkeys - c->from, c->b, x->row, c->b, y->row);
}

/* Stable merge sort of e[0..n) by ent_cmp (t: n scratch entries). */
static void msort(const sort_ctx *c, sort_ent *e, sort_ent *t, uint32_t n) {
  /* bottom-up: insertion sort runs of 16, then merge widths 16, 32, ... */
  for (uint32_t lo = 0; lo < n; lo += 16) {
    uint32_t hi = lo + 16 < n ? lo + 16 : n;
    for (uint32_t i = lo + 1; i < hi; i++) {
      sort_ent x = e[i];
      uint32_t j = i;
      while (j > lo && ent_cmp(c, &e[j - 1], &x) > 0) {
        e[j] = e[j - 1];
        j--;
      }
      e[j] = x;
    }
  }
  sort_ent *src = e, *dst = t;
  for (uint32_t w = 16; w < n; w *= 2) {
    for (uint32_t lo = 0; lo < n; lo += 2 * w) {
      uint32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      uint32_t i = lo, j = mid, o = lo;
      if (mid == hi || ent_cmp(c, &src[mid - 1], &src[mid]) <= 0) {
        memcpy(dst + lo, src + lo, (hi - lo) * sizeof *dst); /* already in order */
        continue;
      }
      while (i < mid && j < hi) dst[o++] = ent_cmp(c, &src[j], &src[i]) < 0 ? src[j++] : src[i++];
      while (i < mid) dst[o++] = src[i++];
      while (j < hi) dst[o++] = src[j++];
    }
    sort_ent *x = src;
    src = dst;
    dst = x;
  }
  if (src != e) memcpy(e, src, (size_t)n * sizeof *e);
}

/* Stable LSD radix sort of e[0..n) by (rank, pfx), a byte a pass; a pass where every
 * entry has the same byte is skipped. Returns the array holding the result (e or t). */
static sort_ent *radix(sort_ent *e, sort_ent *t, uint32_t n) {
  uint32_t count[256];
  for (unsigned pass = 0; pass < 9; pass++) {
    memset(count, 0, sizeof count);
    for (uint32_t i = 0; i < n; i++) count[pass < 8 ? (e[i].pfx >> (8 * pass)) & 0xff : e[i].rank]++;
    uint32_t first = pass < 8 ? (e[0].pfx >> (8 * pass)) & 0xff : e[0].rank;
    if (count[first] == n) continue;
    uint32_t sum = 0;
    for (unsigned d = 0; d < 256; d++) {
      uint32_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (uint32_t i = 0; i < n; i++)
      t[count[pass < 8 ? (e[i].pfx >> (8 * pass)) & 0xff : e[i].rank]++] = e[i];
    sort_ent *x = e;
    e = t;
    t = x;
  }
  return e;
}

/* Below this many rows a comparison sort beats the radix sort's 9 counting passes. */
enum { RADIX_MIN_ROWS = 256 };

void exec_sort_perm(const fl_sort_key *keys, uint32_t nkeys, const fl_batch *b, uint32_t *p, uint32_t *tmp,
                    uint32_t n) {
  (void)tmp;
  if (n < 2 || nkeys == 0) return;
  sort_ent *e = fl_malloc((size_t)n * sizeof *e), *t = fl_malloc((size_t)n * sizeof *t);
  const fl_vec *v = &b->cols[keys[0].col];
  bool exact = true;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t r = p[i];
    e[i].row = r;
    if (!fl_vec_is_valid(v, r)) {
      e[i].rank = keys[0].nulls_first ? 0 : 2;
      e[i].pfx = 0;
      continue;
    }
    e[i].rank = 1;
    exact &= prefix_of(v, r, &e[i].pfx);
    if (keys[0].desc) e[i].pfx = ~e[i].pfx;
  }
  sort_ctx c = {keys, nkeys, exact ? 1 : 0, !exact, b};
  sort_ent *res = e;
  if (n < RADIX_MIN_ROWS) {
    msort(&c, e, t, n);
  } else {
    /* radix by (rank, prefix), stable; then each run of equal prefixes by the rest */
    res = radix(e, t, n);
    sort_ent *scratch = res == e ? t : e;
    if (!exact || nkeys > 1)
      for (uint32_t i = 0; i < n;) {
        uint32_t j = i + 1;
        while (j < n && res[j].pfx == res[i].pfx && res[j].rank == res[i].rank) j++;
        if (j - i > 1) msort(&c, res + i, scratch, j - i);
        i = j;
      }
  }
  for (uint32_t i = 0; i < n; i++) p[i] = res[i].row;
  fl_free(e);
  fl_free(t);
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

/* A full heap over a table scan: the scan may skip row groups that cannot hold a row
 * entering it (statistics of the first key against the worst kept row's value; ties
 * may still enter on the later keys, so the bound keeps them). Only for a first key of
 * a fixed-width type with NULLs last (a NULL never enters a full heap then). */
static void topn_bound(sort_op *s) {
  if (s->heap_n < s->limit || !s->limit || s->keys[0].nulls_first) return;
  const fl_vec *v = &s->buf->cols[s->keys[0].col];
  if (fl_type_is_bytes(v->type.kind) || v->type.kind == FL_T_BOOLEAN || !fl_vec_is_valid(v, s->heap[0]))
    return;
  fl_value worst;
  fl_batch_get(s->buf, s->keys[0].col, s->heap[0], &worst);
  exec_scan_set_topn_bound(s->op.children[0], s->keys[0].col, s->keys[0].desc, &worst);
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
      topn_bound(s);
    } else {
      exec_batch_append(s->buf, b);
      track(s);
      /* sorting the buffer needs SORT_ROW_BYTES a row more: keep room for it */
      if (s->op.ctx->mem_budget &&
          s->op.ctx->mem_used + (size_t)s->buf->nrows * SORT_ROW_BYTES > s->op.ctx->mem_budget) {
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
  if (s->limit != UINT64_MAX)
    fl_buf_printf(out, " limit=%llu%s", (unsigned long long)s->limit, s->topn ? " (top-N)" : "");
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
  if (l->offset)
    fl_buf_printf(out, "%soffset=%llu", l->limit != UINT64_MAX ? " " : "", (unsigned long long)l->offset);
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
