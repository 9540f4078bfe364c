/* exec_key.c: row keys for the executor's hash tables, column gathers, cell
 * comparison and memory accounting (sql/exec_int.h).
 *
 * Keys of a batch are encoded in two passes, column at a time: first every row's
 * length, then each column writes its bytes at each row's cursor; a key of one integer
 * or one STRING column (the common join and GROUP BY) is written in one pass, the same
 * bytes. The buffers are the operator's (exec_keys), reused batch after batch: nothing
 * is allocated per row. */
#include <math.h>
#include <string.h>

#include "core/decimal.h"
#include "sql/exec_int.h"

void exec_keys_reserve(exec_keys *k, uint32_t n) {
  if (n <= k->cap) return;
  uint32_t cap = k->cap ? k->cap : 64;
  while (cap < n) cap *= 2;
  k->ptrs = fl_realloc(k->ptrs, cap * sizeof *k->ptrs);
  k->lens = fl_realloc(k->lens, cap * sizeof *k->lens);
  k->hashes = fl_realloc(k->hashes, cap * sizeof *k->hashes);
  k->ids = fl_realloc(k->ids, cap * sizeof *k->ids);
  k->pos = fl_realloc(k->pos, cap * sizeof *k->pos);
  k->cap = cap;
}

static inline unsigned key_width(fl_type t) { return fl_type_is_bytes(t.kind) ? 0 : fl_type_bytes(t); }

/* One INT/BIGINT/DATE/TIMESTAMP key column (a join on an id, a GROUP BY of one): one
 * pass, each row's key at a fixed stride of 1 + width, the same bytes the general
 * encoding writes (a NULL is the one byte 0). */
static uint32_t keys_encode_int(exec_keys *k, const fl_vec *v, uint32_t n, bool skip_nulls,
                                const fl_htab *ht) {
  unsigned w = key_width(v->type), stride = 1 + w;
  size_t total = (size_t)n * stride;
  if (total > k->buf_cap) {
    size_t cap = k->buf_cap ? k->buf_cap : 4096;
    while (cap < total) cap *= 2;
    fl_free(k->buf);
    k->buf = fl_malloc(cap);
    k->buf_cap = cap;
  }
  uint32_t nulls = 0;
  uint8_t *p = k->buf;
  for (uint32_t i = 0; i < n; i++, p += stride) {
    k->ptrs[i] = p;
    if (!fl_vec_is_valid(v, i)) {
      *p = 0;
      k->lens[i] = 1;
      if (skip_nulls) {
        k->ptrs[i] = NULL;
        nulls++;
      }
      continue;
    }
    *p = 1;
    if (w == 4)
      memcpy(p + 1, &v->data.i32[i], 4);
    else
      memcpy(p + 1, &v->data.i64[i], 8);
    k->lens[i] = stride;
  }
  if (ht) fl_htab_hash_many(ht, k->ptrs, k->lens, n, k->hashes);
  return nulls;
}

/* One STRING key column (GROUP BY tenant, a join on a code): one pass, the buffer sized
 * from the column's offsets (every key at most 5 bytes over its string), the same bytes
 * the general encoding writes. */
static uint32_t keys_encode_str(exec_keys *k, const fl_vec *v, uint32_t n, bool skip_nulls,
                                const fl_htab *ht) {
  size_t total = (size_t)(v->offsets[n] - v->offsets[0]) + (size_t)n * 5;
  if (total > k->buf_cap) {
    size_t cap = k->buf_cap ? k->buf_cap : 4096;
    while (cap < total) cap *= 2;
    fl_free(k->buf);
    k->buf = fl_malloc(cap);
    k->buf_cap = cap;
  }
  uint32_t nulls = 0;
  uint8_t *p = k->buf;
  for (uint32_t i = 0; i < n; i++) {
    k->ptrs[i] = p;
    if (!fl_vec_is_valid(v, i)) {
      *p++ = 0;
      k->lens[i] = 1;
      if (skip_nulls) {
        k->ptrs[i] = NULL;
        nulls++;
      }
      continue;
    }
    uint32_t len = v->offsets[i + 1] - v->offsets[i];
    *p = 1;
    memcpy(p + 1, &len, 4);
    memcpy(p + 5, v->bytes + v->offsets[i], len);
    k->lens[i] = 5 + len;
    p += 5 + len;
  }
  if (ht) fl_htab_hash_many(ht, k->ptrs, k->lens, n, k->hashes);
  return nulls;
}

uint32_t exec_keys_encode(exec_keys *k, const fl_batch *b, const uint32_t *cols, uint32_t ncols,
                          bool skip_nulls, const fl_htab *ht) {
  uint32_t n = b->nrows, nulls = 0;
  exec_keys_reserve(k, n);
  if (ncols == 1 && (b->cols[cols[0]].type.kind == FL_T_INT || b->cols[cols[0]].type.kind == FL_T_BIGINT ||
                     b->cols[cols[0]].type.kind == FL_T_DATE || b->cols[cols[0]].type.kind == FL_T_TIMESTAMP))
    return keys_encode_int(k, &b->cols[cols[0]], n, skip_nulls, ht);
  if (ncols == 1 && b->cols[cols[0]].type.kind == FL_T_STRING)
    return keys_encode_str(k, &b->cols[cols[0]], n, skip_nulls, ht);
  /* pass 1: lengths */
  for (uint32_t i = 0; i < n; i++) k->lens[i] = 0;
  for (uint32_t c = 0; c < ncols; c++) {
    const fl_vec *v = &b->cols[cols[c]];
    unsigned w = key_width(v->type);
    for (uint32_t i = 0; i < n; i++) {
      if (!fl_vec_is_valid(v, i))
        k->lens[i] += 1;
      else
        k->lens[i] += 1 + (w ? w : 4 + (v->offsets[i + 1] - v->offsets[i]));
    }
  }
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    k->pos[i] = total;
    total += k->lens[i];
  }
  if (total > k->buf_cap) {
    size_t cap = k->buf_cap ? k->buf_cap : 4096;
    while (cap < total) cap *= 2;
    fl_free(k->buf);
    k->buf = fl_malloc(cap);
    k->buf_cap = cap;
  }
  for (uint32_t i = 0; i < n; i++) k->ptrs[i] = k->buf + k->pos[i];
  /* pass 2: bytes */
  for (uint32_t c = 0; c < ncols; c++) {
    const fl_vec *v = &b->cols[cols[c]];
    unsigned w = key_width(v->type);
    for (uint32_t i = 0; i < n; i++) {
      uint8_t *p = k->buf + k->pos[i];
      if (!fl_vec_is_valid(v, i)) {
        *p = 0;
        k->pos[i] += 1;
        if (skip_nulls && k->ptrs[i]) {
          k->ptrs[i] = NULL;
          nulls++;
        }
        continue;
      }
      *p++ = 1;
      if (v->type.kind == FL_T_DOUBLE) {
        double d = v->data.f64[i];
        if (d == 0) d = 0.0;
        if (isnan(d)) d = NAN;
        memcpy(p, &d, 8);
      } else if (v->type.kind == FL_T_FLOAT) {
        float f = v->data.f32[i];
        if (f == 0) f = 0.0f;
        if (isnan(f)) f = NAN;
        memcpy(p, &f, 4);
      } else if (w) {
        const uint8_t *src = (const uint8_t *)v->data.raw + (size_t)i * w;
        switch (w) { /* constant sizes: a move, not a memcpy call per cell */
          case 4: memcpy(p, src, 4); break;
          case 8: memcpy(p, src, 8); break;
          case 16: memcpy(p, src, 16); break;
          default: memcpy(p, src, w); break;
        }
      } else {
        uint32_t len;
        const char *s = fl_vec_str(v, i, &len);
        memcpy(p, &len, 4);
        memcpy(p + 4, s, len);
        w = 4 + len;
        k->pos[i] += 1 + w;
        w = 0;
        continue;
      }
      k->pos[i] += 1 + w;
    }
  }
  if (ht) fl_htab_hash_many(ht, k->ptrs, k->lens, n, k->hashes);
  return nulls;
}

void exec_keys_decode(const uint8_t *key, uint32_t len, fl_vec *cols, uint32_t ncols) {
  const uint8_t *p = key, *end = key + len;
  for (uint32_t c = 0; c < ncols; c++) {
    fl_vec *v = &cols[c];
    FL_ASSERT(p < end, "key of %u bytes ends before column %u", len, c);
    if (*p++ == 0) {
      fl_vec_append_null(v);
      continue;
    }
    switch (v->type.kind) {
      case FL_T_BOOLEAN:
        fl_vec_append_bool(v, *p != 0);
        p += 1;
        break;
      case FL_T_INT:
      case FL_T_DATE: {
        int32_t x;
        memcpy(&x, p, 4);
        fl_vec_append_i32(v, x);
        p += 4;
        break;
      }
      case FL_T_FLOAT: {
        float x;
        memcpy(&x, p, 4);
        fl_vec_append_f32(v, x);
        p += 4;
        break;
      }
      case FL_T_DOUBLE: {
        double x;
        memcpy(&x, p, 8);
        fl_vec_append_f64(v, x);
        p += 8;
        break;
      }
      case FL_T_DECIMAL:
        if (fl_decimal_is_wide(v->type)) {
          fl_i128 x;
          memcpy(&x, p, 16);
          fl_vec_append_dec(v, x);
          p += 16;
        } else {
          int64_t x;
          memcpy(&x, p, 8);
          fl_vec_append_dec(v, x);
          p += 8;
        }
        break;
      case FL_T_BIGINT:
      case FL_T_TIMESTAMP:
      case FL_T_TIMESTAMP_NS:
      case FL_T_TIME: {
        int64_t x;
        memcpy(&x, p, 8);
        fl_vec_append_i64(v, x);
        p += 8;
        break;
      }
      default: {
        uint32_t n;
        memcpy(&n, p, 4);
        fl_vec_append_str(v, (const char *)p + 4, n);
        p += 4 + n;
        break;
      }
    }
  }
  FL_ASSERT(p == end, "key of %u bytes decoded to %zu", len, (size_t)(p - key));
}

void exec_keys_free(exec_keys *k) {
  fl_free(k->buf);
  fl_free(k->ptrs);
  fl_free(k->lens);
  fl_free(k->hashes);
  fl_free(k->ids);
  fl_free(k->pos);
  memset(k, 0, sizeof *k);
}

size_t exec_keys_bytes(const exec_keys *k) {
  return k->buf_cap + (size_t)k->cap * (sizeof *k->ptrs + sizeof *k->lens + sizeof *k->hashes +
                                        sizeof *k->ids + sizeof *k->pos);
}

void exec_vec_gather(fl_vec *dst, const fl_vec *src, const uint32_t *rows, uint32_t n) {
  FL_ASSERT(dst->type.kind == src->type.kind);
  fl_vec_reserve(dst, dst->len + n);
  unsigned w = fl_type_is_bytes(src->type.kind) ? 0 : fl_type_bytes(src->type);
  if (w && dst->type.precision == src->type.precision) {
    uint8_t *d = (uint8_t *)dst->data.raw;
    const uint8_t *s = (const uint8_t *)src->data.raw;
    /* constant widths, so each copy is a move instruction and not a memcpy call */
#define GATHER(W)                                            \
  for (uint32_t i = 0; i < n; i++) {                         \
    uint32_t r = rows[i], o = dst->len + i;                  \
    if (r == UINT32_MAX) {                                   \
      memset(d + (size_t)o * (W), 0, (W));                   \
      fl_vec_set_valid(dst, o, false);                       \
    } else {                                                 \
      memcpy(d + (size_t)o * (W), s + (size_t)r * (W), (W)); \
      fl_vec_set_valid(dst, o, fl_vec_is_valid(src, r));     \
    }                                                        \
  }
    switch (w) {
      case 1: GATHER(1); break;
      case 4: GATHER(4); break;
      case 8: GATHER(8); break;
      case 16: GATHER(16); break;
      default: GATHER(w); break;
    }
#undef GATHER
    dst->len += n;
    return;
  }
  FL_ASSERT(!w, "gather between DECIMAL widths");
  /* strings: the bytes reserved once, then each row's copied after the last */
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++)
    if (rows[i] != UINT32_MAX) total += src->offsets[rows[i] + 1] - src->offsets[rows[i]];
  fl_vec_reserve_bytes(dst, total);
  size_t off = dst->bytes_len;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t r = rows[i], o = dst->len + i;
    bool valid = r != UINT32_MAX && fl_vec_is_valid(src, r);
    uint32_t at = valid ? src->offsets[r] : 0, len = valid ? src->offsets[r + 1] - at : 0;
    fl_memcpy_short(dst->bytes + off, src->bytes + at, len);
    off += len;
    dst->offsets[o + 1] = (uint32_t)off;
    fl_vec_set_valid(dst, o, valid);
  }
  dst->bytes_len = off;
  dst->len += n;
}

static void copy_bits(fl_vec *dst, uint32_t at, const fl_vec *src, uint32_t n) {
  if (at % 64 == 0) {
    memcpy(dst->validity + at / 64, src->validity, ((size_t)n + 63) / 64 * 8);
    return;
  }
  for (uint32_t i = 0; i < n; i++) fl_vec_set_valid(dst, at + i, fl_vec_is_valid(src, i));
}

void exec_batch_append(fl_batch *dst, const fl_batch *src) {
  FL_ASSERT(dst->ncols == src->ncols);
  uint32_t n = src->nrows;
  for (uint32_t c = 0; c < src->ncols; c++) {
    fl_vec *dv = &dst->cols[c];
    const fl_vec *sv = &src->cols[c];
    FL_ASSERT(dv->type.kind == sv->type.kind && dv->len == dst->nrows, "column %u", c);
    fl_vec_reserve(dv, dv->len + n);
    copy_bits(dv, dv->len, sv, n);
    if (fl_type_is_bytes(sv->type.kind)) {
      /* a slice of a larger batch (the scans' views) starts at offsets[0] > 0 */
      uint32_t from = sv->offsets[0], blen = sv->offsets[n] - from;
      fl_vec_reserve_bytes(dv, blen);
      memcpy(dv->bytes + dv->bytes_len, sv->bytes + from, blen);
      uint32_t base = (uint32_t)dv->bytes_len;
      for (uint32_t i = 1; i <= n; i++) dv->offsets[dv->len + i] = base + sv->offsets[i] - from;
      dv->bytes_len += blen;
    } else {
      FL_ASSERT(dv->type.precision == sv->type.precision || sv->type.kind != FL_T_DECIMAL);
      unsigned w = fl_type_bytes(sv->type);
      memcpy((uint8_t *)dv->data.raw + (size_t)dv->len * w, sv->data.raw, (size_t)n * w);
    }
    dv->len += n;
  }
  dst->nrows += n;
}

size_t exec_batch_bytes(const fl_batch *b) {
  size_t n = 0;
  for (uint32_t c = 0; c < b->ncols; c++) {
    const fl_vec *v = &b->cols[c];
    n += ((size_t)v->cap + 63) / 64 * 8;
    if (fl_type_is_bytes(v->type.kind))
      n += ((size_t)v->cap + 1) * 4 + v->bytes_cap;
    else
      n += (size_t)v->cap * fl_type_bytes(v->type);
  }
  return n;
}

int exec_cell_cmp(const fl_vec *a, uint32_t i, const fl_vec *b, uint32_t j) {
  switch (a->type.kind) {
    case FL_T_BOOLEAN: return (a->data.b[i] > b->data.b[j]) - (a->data.b[i] < b->data.b[j]);
    case FL_T_INT:
    case FL_T_DATE: return (a->data.i32[i] > b->data.i32[j]) - (a->data.i32[i] < b->data.i32[j]);
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: return (a->data.i64[i] > b->data.i64[j]) - (a->data.i64[i] < b->data.i64[j]);
    case FL_T_DECIMAL: {
      fl_i128 x = fl_vec_dec(a, i), y = fl_vec_dec(b, j);
      return (x > y) - (x < y);
    }
    case FL_T_FLOAT:
    case FL_T_DOUBLE: {
      /* DuckDB orders NaN above every number (and equal to itself). */
      double x = a->type.kind == FL_T_FLOAT ? a->data.f32[i] : a->data.f64[i];
      double y = b->type.kind == FL_T_FLOAT ? b->data.f32[j] : b->data.f64[j];
      bool xn = isnan(x), yn = isnan(y);
      if (xn || yn) return xn - yn;
      return (x > y) - (x < y);
    }
    default: {
      uint32_t la, lb;
      const char *pa = fl_vec_str(a, i, &la), *pb = fl_vec_str(b, j, &lb);
      int c = memcmp(pa, pb, la < lb ? la : lb);
      if (c) return c < 0 ? -1 : 1;
      return (la > lb) - (la < lb);
    }
  }
}

double exec_avg_exact(fl_i128 sum, int64_t count, fl_type arg) {
  unsigned scale = arg.kind == FL_T_DECIMAL ? arg.scale : 0;
  double pow10 = 1;
  for (unsigned i = 0; i < scale; i++) pow10 *= 10; /* DuckDB's scale: a double */
  if (arg.kind == FL_T_INT || (arg.kind == FL_T_DECIMAL && arg.precision <= 9))
    return (double)sum / ((double)count * pow10);
  return (double)((long double)sum / ((long double)count * pow10));
}

void exec_mem_track(fl_exec_ctx *ctx, size_t *held, size_t now) {
  /* atomically: a parallel query's workers (ctx->parent) charge the query's counter
   * while the operators above their gather charge it from the query's thread */
  fl_exec_ctx *q = ctx->parent ? ctx->parent : ctx;
  size_t used = __atomic_add_fetch(&q->mem_used, now - *held, __ATOMIC_RELAXED); /* modulo 2^n */
  FL_ASSERT(used <= SIZE_MAX / 2, "query memory below zero: a holder's %zu", *held);
  *held = now;
  size_t peak = __atomic_load_n(&q->mem_peak, __ATOMIC_RELAXED);
  while (used > peak &&
         !__atomic_compare_exchange_n(&q->mem_peak, &peak, used, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}
