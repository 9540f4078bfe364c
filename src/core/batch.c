/* batch: columnar vectors with validity bitmaps (see batch.h for the layout).
 *
 * Growth doubles capacity; a reset batch keeps its memory, so a pipeline that
 * refills one batch allocates only while its high-water mark rises. Null slots
 * are zeroed (strings: empty), which lets encoders read data arrays blindly. */
#include "core/batch.h"

#include <string.h>

#include "core/err.h"
#include "core/mem.h"

static size_t bitmap_words(uint32_t cap) { return ((size_t)cap + 63) / 64; }

void fl_vec_init(fl_vec *vec, fl_type type, uint32_t cap) {
  memset(vec, 0, sizeof *vec);
  vec->type = type;
  if (cap < 8) cap = 8;
  vec->cap = cap;
  vec->validity = fl_calloc(bitmap_words(cap), sizeof(uint64_t));
  if (fl_type_is_bytes(type.kind)) {
    vec->offsets = fl_calloc((size_t)cap + 1, sizeof(uint32_t));
    vec->bytes_cap = (size_t)cap * 16;
    vec->bytes = fl_malloc(vec->bytes_cap);
  } else {
    vec->data.raw = fl_calloc(cap, fl_type_bytes(type));
  }
}

void fl_vec_free(fl_vec *vec) {
  fl_free(vec->validity);
  fl_free(vec->data.raw);
  fl_free(vec->offsets);
  fl_free(vec->bytes);
  fl_free(vec->codes);
  memset(vec, 0, sizeof *vec);
}

void fl_vec_reserve(fl_vec *vec, uint32_t cap) {
  if (cap <= vec->cap) return;
  uint32_t ncap = vec->cap ? vec->cap : 8;
  while (ncap < cap) ncap = ncap > UINT32_MAX / 2 ? UINT32_MAX : ncap * 2;
  size_t old_words = bitmap_words(vec->cap), new_words = bitmap_words(ncap);
  vec->validity = fl_realloc(vec->validity, new_words * sizeof(uint64_t));
  memset(vec->validity + old_words, 0, (new_words - old_words) * sizeof(uint64_t));
  if (fl_type_is_bytes(vec->type.kind)) {
    vec->offsets = fl_realloc(vec->offsets, ((size_t)ncap + 1) * sizeof(uint32_t));
  } else {
    unsigned w = fl_type_bytes(vec->type);
    vec->data.raw = fl_realloc(vec->data.raw, (size_t)ncap * w);
    memset((uint8_t *)vec->data.raw + (size_t)vec->cap * w, 0, (size_t)(ncap - vec->cap) * w);
  }
  if (vec->codes) vec->codes = fl_realloc(vec->codes, (size_t)ncap * sizeof *vec->codes);
  vec->cap = ncap;
}

void fl_vec_set_dict(fl_vec *vec, const fl_vec *dict, uint32_t cap) {
  FL_ASSERT(fl_type_is_bytes(vec->type.kind) && !dict->dict, "a dictionary for a %s vector",
            fl_type_sql_name(vec->type.kind));
  fl_vec_reserve(vec, cap);
  if (!vec->codes) vec->codes = fl_malloc((size_t)vec->cap * sizeof *vec->codes);
  vec->dict = dict;
}

void fl_vec_materialize(fl_vec *vec) {
  if (!vec->dict) return;
  const fl_vec *dict = vec->dict;
  uint32_t n = vec->len;
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++)
    if (fl_vec_is_valid(vec, i)) total += dict->offsets[vec->codes[i] + 1] - dict->offsets[vec->codes[i]];
  vec->dict = NULL;
  vec->bytes_len = 0;
  fl_vec_reserve_bytes(vec, total);
  size_t off = 0;
  vec->offsets[0] = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (fl_vec_is_valid(vec, i)) {
      uint32_t c = vec->codes[i], at = dict->offsets[c], len = dict->offsets[c + 1] - at;
      fl_memcpy_short(vec->bytes + off, dict->bytes + at, len);
      off += len;
    }
    vec->offsets[i + 1] = (uint32_t)off;
  }
  vec->bytes_len = off;
}

void fl_vec_reserve_bytes(fl_vec *vec, size_t extra) {
  size_t need = vec->bytes_len + extra;
  if (need <= vec->bytes_cap) return;
  FL_ASSERT(need <= UINT32_MAX, "string column exceeds 4 GiB in one batch");
  size_t ncap = vec->bytes_cap ? vec->bytes_cap : 256;
  while (ncap < need) ncap *= 2;
  vec->bytes = fl_realloc(vec->bytes, ncap);
  vec->bytes_cap = ncap;
}

void fl_vec_reset(fl_vec *vec) {
  memset(vec->validity, 0, bitmap_words(vec->cap) * sizeof(uint64_t));
  vec->len = 0;
  vec->bytes_len = 0;
  vec->dict = NULL;
  if (vec->offsets) vec->offsets[0] = 0;
}

void fl_vec_set_valid_range(fl_vec *vec, uint32_t from, uint32_t n) {
  uint32_t i = from, end = from + n;
  for (; i < end && (i & 63); i++) fl_vec_set_valid(vec, i, true);
  for (; i + 64 <= end; i += 64) vec->validity[i >> 6] = ~(uint64_t)0;
  for (; i < end; i++) fl_vec_set_valid(vec, i, true);
}

uint32_t fl_vec_null_count(const fl_vec *vec) {
  uint32_t valid = 0, full = vec->len / 64;
  for (uint32_t w = 0; w < full; w++) valid += (uint32_t)__builtin_popcountll(vec->validity[w]);
  if (vec->len % 64) {
    uint64_t mask = ((uint64_t)1 << (vec->len % 64)) - 1;
    valid += (uint32_t)__builtin_popcountll(vec->validity[full] & mask);
  }
  return vec->len - valid;
}

static inline void grow1(fl_vec *vec) {
  if (vec->len == vec->cap) fl_vec_reserve(vec, vec->len + 1);
}

void fl_vec_append_null(fl_vec *vec) {
  grow1(vec);
  uint32_t i = vec->len++;
  fl_vec_set_valid(vec, i, false);
  if (fl_type_is_bytes(vec->type.kind)) {
    vec->offsets[i + 1] = (uint32_t)vec->bytes_len;
  } else {
    unsigned w = fl_type_bytes(vec->type);
    memset((uint8_t *)vec->data.raw + (size_t)i * w, 0, w);
  }
}

#define APPENDER(fn, T, member)     \
  void fn(fl_vec *vec, T v) {       \
    grow1(vec);                     \
    uint32_t i = vec->len++;        \
    vec->data.member[i] = v;        \
    fl_vec_set_valid(vec, i, true); \
  }
APPENDER(fl_vec_append_i32, int32_t, i32)
APPENDER(fl_vec_append_i64, int64_t, i64)
APPENDER(fl_vec_append_f32, float, f32)
APPENDER(fl_vec_append_f64, double, f64)

void fl_vec_append_dec(fl_vec *vec, fl_i128 v) {
  FL_ASSERT(vec->type.kind == FL_T_DECIMAL && fl_dec128_fits(v, vec->type.precision));
  grow1(vec);
  uint32_t i = vec->len++;
  fl_vec_set_dec(vec, i, v);
  fl_vec_set_valid(vec, i, true);
}

void fl_vec_append_bool(fl_vec *vec, bool v) {
  grow1(vec);
  uint32_t i = vec->len++;
  vec->data.b[i] = v ? 1 : 0;
  fl_vec_set_valid(vec, i, true);
}

void fl_vec_append_str(fl_vec *vec, const char *p, uint32_t n) {
  grow1(vec);
  fl_vec_reserve_bytes(vec, n);
  if (n) memcpy(vec->bytes + vec->bytes_len, p, n);
  vec->bytes_len += n;
  uint32_t i = vec->len++;
  vec->offsets[i + 1] = (uint32_t)vec->bytes_len;
  fl_vec_set_valid(vec, i, true);
}

void fl_vec_append_value(fl_vec *vec, const fl_value *in) {
  fl_value v;
  if (in->is_null) {
    fl_vec_append_null(vec);
    return;
  }
  FL_ASSERT(fl_value_cast(in, vec->type, &v), "value of type %s into column of type %s",
            fl_type_sql_name(in->type.kind), fl_type_sql_name(vec->type.kind));
  switch (vec->type.kind) {
    case FL_T_BOOLEAN: fl_vec_append_bool(vec, v.u.b); break;
    case FL_T_INT:
    case FL_T_DATE: fl_vec_append_i32(vec, v.u.i32); break;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: fl_vec_append_i64(vec, v.u.i64); break;
    case FL_T_DECIMAL: fl_vec_append_dec(vec, fl_value_dec(&v)); break;
    case FL_T_FLOAT: fl_vec_append_f32(vec, v.u.f32); break;
    case FL_T_DOUBLE: fl_vec_append_f64(vec, v.u.f64); break;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: fl_vec_append_str(vec, v.u.str.ptr, v.u.str.len); break;
  }
}

fl_batch *fl_batch_new(const fl_field *fields, uint32_t ncols, uint32_t capacity) {
  fl_batch *batch = fl_calloc(1, sizeof *batch);
  batch->fields = fields;
  batch->ncols = ncols;
  batch->capacity = capacity;
  batch->cols = fl_calloc(ncols ? ncols : 1, sizeof(fl_vec));
  for (uint32_t c = 0; c < ncols; c++) fl_vec_init(&batch->cols[c], fields[c].type, capacity);
  return batch;
}

void fl_batch_free(fl_batch *batch) {
  if (!batch) return;
  for (uint32_t c = 0; c < batch->ncols; c++) fl_vec_free(&batch->cols[c]);
  fl_free(batch->cols);
  fl_free(batch);
}

void fl_batch_reset(fl_batch *batch) {
  for (uint32_t c = 0; c < batch->ncols; c++) fl_vec_reset(&batch->cols[c]);
  batch->nrows = 0;
}

void fl_batch_set_rows(fl_batch *batch, uint32_t nrows) {
  for (uint32_t c = 0; c < batch->ncols; c++)
    FL_ASSERT(batch->cols[c].len == nrows, "column %s has %u values, batch %u rows", batch->fields[c].name,
              batch->cols[c].len, nrows);
  batch->nrows = nrows;
}

static void copy_cell(fl_vec *dst, const fl_vec *src, uint32_t row) {
  if (!fl_vec_is_valid(src, row)) {
    fl_vec_append_null(dst);
    return;
  }
  switch (src->type.kind) {
    case FL_T_BOOLEAN: fl_vec_append_bool(dst, src->data.b[row]); break;
    case FL_T_INT:
    case FL_T_DATE: fl_vec_append_i32(dst, src->data.i32[row]); break;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: fl_vec_append_i64(dst, src->data.i64[row]); break;
    case FL_T_DECIMAL: fl_vec_append_dec(dst, fl_vec_dec(src, row)); break;
    case FL_T_FLOAT: fl_vec_append_f32(dst, src->data.f32[row]); break;
    case FL_T_DOUBLE: fl_vec_append_f64(dst, src->data.f64[row]); break;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: {
      uint32_t n;
      const char *p = fl_vec_str_any(src, row, &n);
      fl_vec_append_str(dst, p, n);
      break;
    }
  }
}

/* Appends the strings of rows of sv to the flat dv, read from strs at codes[row] (a
 * dictionary-form sv: only the kept rows' strings are copied, the late
 * materialisation of a filtered scan) or at row (codes NULL: strs is sv). The bytes
 * are reserved once, then each row's copied after the last. Inlined at both calls, so
 * each loop is specialised on whether codes is NULL. */
static inline __attribute__((always_inline)) void gather_strings(fl_vec *dv, const fl_vec *sv,
                                                                 const fl_vec *strs, const uint32_t *codes,
                                                                 const uint32_t *rows, uint32_t n) {
  FL_ASSERT(!dv->dict, "gather into a dictionary-form vector");
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t c = codes ? codes[rows[i]] : rows[i];
    total += strs->offsets[c + 1] - strs->offsets[c];
  }
  fl_vec_reserve_bytes(dv, total);
  size_t off = dv->bytes_len;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t r = rows[i], c = codes ? codes[r] : r, at = strs->offsets[c], len = strs->offsets[c + 1] - at;
    bool valid = fl_vec_is_valid(sv, r);
    if (!valid) len = 0;
    fl_memcpy_short(dv->bytes + off, strs->bytes + at, len);
    off += len;
    dv->offsets[dv->len + i + 1] = (uint32_t)off;
    fl_vec_set_valid(dv, dv->len + i, valid);
  }
  dv->bytes_len = off;
  dv->len += n;
}

/* Appends the given rows of sv to dv (flat). */
static void gather_vec(fl_vec *dv, const fl_vec *sv, const uint32_t *rows, uint32_t n) {
  fl_vec_reserve(dv, dv->len + n);
  unsigned w = fl_type_bytes(sv->type);
  if (w && dv->type.precision == sv->type.precision) {
    /* fixed width: copy values, then the validity bits */
    uint8_t *d = (uint8_t *)dv->data.raw;
    const uint8_t *s = (const uint8_t *)sv->data.raw;
#define GATHER_FIXED(W)                                                      \
  for (uint32_t i = 0; i < n; i++) {                                         \
    memcpy(d + (size_t)(dv->len + i) * (W), s + (size_t)rows[i] * (W), (W)); \
    fl_vec_set_valid(dv, dv->len + i, fl_vec_is_valid(sv, rows[i]));         \
  }
    switch (w) { /* constant widths: a move per value, not a memcpy call */
      case 4: GATHER_FIXED(4) break;
      case 8: GATHER_FIXED(8) break;
      case 16: GATHER_FIXED(16) break;
      default: GATHER_FIXED(w) break;
    }
#undef GATHER_FIXED
    dv->len += n;
  } else if (fl_type_is_bytes(sv->type.kind) && sv->dict) {
    const uint32_t *codes = sv->codes;
    FL_ASSERT(codes);
    gather_strings(dv, sv, sv->dict, codes, rows, n);
  } else if (fl_type_is_bytes(sv->type.kind)) {
    gather_strings(dv, sv, sv, NULL, rows, n);
  } else {
    for (uint32_t i = 0; i < n; i++) copy_cell(dv, sv, rows[i]);
  }
}

void fl_batch_gather(fl_batch *dst, const fl_batch *src, const uint32_t *rows, uint32_t n) {
  FL_ASSERT(dst->ncols == src->ncols);
  for (uint32_t c = 0; c < src->ncols; c++) {
    FL_ASSERT(dst->cols[c].type.kind == src->cols[c].type.kind, "column %u", c);
    gather_vec(&dst->cols[c], &src->cols[c], rows, n);
  }
  dst->nrows += n;
}

void fl_vec_gather(fl_vec *dst, const fl_vec *src, const uint32_t *rows, uint32_t n, bool keep_dict) {
  FL_ASSERT(dst->type.kind == src->type.kind);
  if (!keep_dict || !src->dict || dst->len) {
    gather_vec(dst, src, rows, n);
    return;
  }
  fl_vec_set_dict(dst, src->dict, n);
  for (uint32_t i = 0; i < n; i++) {
    dst->codes[i] = src->codes[rows[i]];
    fl_vec_set_valid(dst, i, fl_vec_is_valid(src, rows[i]));
  }
  dst->len = n;
}

void fl_batch_append_range(fl_batch *dst, const fl_batch *src, uint32_t from, uint32_t n) {
  FL_ASSERT(from + n <= src->nrows);
  for (uint32_t c = 0; c < src->ncols; c++) {
    fl_vec *dv = &dst->cols[c];
    fl_vec_reserve(dv, dv->len + n);
    for (uint32_t i = 0; i < n; i++) copy_cell(dv, &src->cols[c], from + i);
  }
  dst->nrows += n;
}

void fl_batch_get(const fl_batch *batch, uint32_t col, uint32_t row, fl_value *out) {
  const fl_vec *vec = &batch->cols[col];
  memset(out, 0, sizeof *out);
  out->type = vec->type;
  if (!fl_vec_is_valid(vec, row)) {
    out->is_null = true;
    return;
  }
  switch (vec->type.kind) {
    case FL_T_BOOLEAN: out->u.b = vec->data.b[row]; break;
    case FL_T_INT:
    case FL_T_DATE: out->u.i32 = vec->data.i32[row]; break;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: out->u.i64 = vec->data.i64[row]; break;
    case FL_T_DECIMAL: fl_value_set_dec(out, fl_vec_dec(vec, row)); break;
    case FL_T_FLOAT: out->u.f32 = vec->data.f32[row]; break;
    case FL_T_DOUBLE: out->u.f64 = vec->data.f64[row]; break;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: out->u.str.ptr = fl_vec_str_any(vec, row, &out->u.str.len); break;
  }
}

void fl_batch_append_values(fl_batch *batch, const fl_value *values) {
  for (uint32_t c = 0; c < batch->ncols; c++) fl_vec_append_value(&batch->cols[c], &values[c]);
  batch->nrows++;
}

void fl_batch_row_to_json(const fl_batch *batch, uint32_t row, fl_buf *out) {
  fl_batch_row_to_json_cols(batch, row, batch->ncols, out);
}

void fl_batch_row_to_json_cols(const fl_batch *batch, uint32_t row, uint32_t ncols, fl_buf *out) {
  FL_ASSERT(ncols <= batch->ncols);
  fl_buf_put_u8(out, '{');
  for (uint32_t c = 0; c < ncols; c++) {
    if (c) fl_buf_put_u8(out, ',');
    fl_value name = {.type = {FL_T_STRING, 0, 0}};
    name.u.str.ptr = batch->fields[c].name;
    name.u.str.len = (uint32_t)strlen(batch->fields[c].name);
    fl_value_to_json(&name, out);
    fl_buf_put_u8(out, ':');
    fl_value v;
    fl_batch_get(batch, c, row, &v);
    if (v.type.kind == FL_T_JSON && !v.is_null)
      fl_buf_append(out, v.u.str.len ? v.u.str.ptr : "null", v.u.str.len ? v.u.str.len : 4);
    else
      fl_value_to_json(&v, out);
  }
  fl_buf_put_u8(out, '}');
}
