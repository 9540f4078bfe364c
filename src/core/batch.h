/* batch: the columnar batch, floe's unit of data in motion. Ingest builds batches,
 * the Parquet writer encodes them, the reader decodes into them, and the SQL
 * executor will run on them.
 *
 * A batch has a fixed schema (an array of fl_field, not owned) and up to `capacity`
 * rows. Each column is an fl_vec: a typed array plus a validity bitmap (bit set =
 * value present, LSB-first in 64-bit words). Strings are offsets (u32, rows + 1)
 * into one byte array, Arrow-style. Values of null rows are zero (strings empty),
 * so encoders may read them without checking validity.
 *
 * Memory: the batch owns its vectors; fl_batch_reset() keeps the allocations for
 * the next fill, so a pipeline that reuses one batch allocates nothing per row.
 * String bytes grow geometrically.
 *
 * Filling: append to every column (fl_vec_append_*), then fl_batch_set_rows()
 * (it asserts every column has that many values). Or write slots directly:
 * fl_vec_reserve() then set data[i] / fl_vec_set_valid(), and set vec->len.
 *
 * Dictionary form (DuckDB's DICTIONARY vector): a STRING/JSON vector whose `dict` is set
 * holds a code per row (codes[i], u32) into dict, a flat vector of the distinct strings
 * (every entry valid), instead of offsets and bytes; validity stays per row (a NULL row's
 * code is 0). The dictionary is borrowed (the Parquet reader's column chunk state: valid
 * while the batch is). Only consumers that ask for it see it (the Parquet cursor makes it
 * on request, fl_parquet_rg_cursor_keep_dicts; the scan asks only for its filter, and
 * gathers flat vectors for everything after it): fl_vec_str_any, fl_batch_get, copy
 * and gather read either form, fl_vec_materialize turns one into the flat form in place;
 * code that reads offsets/bytes directly must check `dict` first. fl_vec_reset returns
 * a vector to the flat form. */
#ifndef FL_CORE_BATCH_H
#define FL_CORE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "core/value.h"

typedef struct fl_vec {
  fl_type type;
  uint32_t len;       /* values appended so far */
  uint32_t cap;       /* slots allocated */
  uint64_t *validity; /* cap bits; 1 = valid */
  union {
    uint8_t *b;          /* BOOLEAN */
    int32_t *i32;        /* INT, DATE */
    int64_t *i64;        /* BIGINT, TIMESTAMP, DECIMAL (precision <= 18) */
    fl_i128_store *i128; /* DECIMAL (precision 19..38) */
    float *f32;
    double *f64;
    void *raw;
  } data;
  uint32_t *offsets; /* STRING/JSON: cap + 1 entries, offsets[0] = 0 */
  char *bytes;       /* STRING/JSON: string bytes */
  size_t bytes_len;
  size_t bytes_cap;
  uint32_t *codes;           /* dictionary form: cap codes into dict (NULL until first used) */
  const struct fl_vec *dict; /* dictionary form: the distinct strings; NULL: flat */
} fl_vec;

typedef struct fl_batch {
  const fl_field *fields; /* not owned */
  uint32_t ncols;
  uint32_t nrows;
  uint32_t capacity;
  fl_vec *cols;
} fl_batch;

fl_batch *fl_batch_new(const fl_field *fields, uint32_t ncols, uint32_t capacity);
void fl_batch_free(fl_batch *batch);
void fl_batch_reset(fl_batch *batch); /* nrows = 0, keeps memory */
void fl_batch_set_rows(fl_batch *batch, uint32_t nrows);
/* Copies the given rows of src (same column types) onto the end of dst. */
void fl_batch_gather(fl_batch *dst, const fl_batch *src, const uint32_t *rows, uint32_t n);
/* The same for one vector; keep_dict: a source in dictionary form gathers into an empty
 * dst as codes into the same dictionary (else always flat, as fl_batch_gather). */
void fl_vec_gather(fl_vec *dst, const fl_vec *src, const uint32_t *rows, uint32_t n, bool keep_dict);
/* Appends rows [from, from+n) of src to dst. */
void fl_batch_append_range(fl_batch *dst, const fl_batch *src, uint32_t from, uint32_t n);
/* Reads one cell as a value (strings point into the batch). */
void fl_batch_get(const fl_batch *batch, uint32_t col, uint32_t row, fl_value *out);
/* Appends one row of values (slow path: tests, small loads); types must match or
 * widen (fl_value_cast). */
void fl_batch_append_values(fl_batch *batch, const fl_value *values);
/* Writes a row as a JSON object {"name": value, ...} (see fl_value_to_json), except that
 * a JSON column is written as the JSON value it holds, not as a string of its text (floe
 * stores a JSON value's literal text, checked at load or ingest; an empty text, which no
 * floe writer stores, is written as null to keep the object valid JSON): so `floe cat T |
 * floe load T2` loads the same values. */
void fl_batch_row_to_json(const fl_batch *batch, uint32_t row, fl_buf *out);
/* The same for the first ncols columns only. */
void fl_batch_row_to_json_cols(const fl_batch *batch, uint32_t row, uint32_t ncols, fl_buf *out);

void fl_vec_init(fl_vec *vec, fl_type type, uint32_t cap);
void fl_vec_free(fl_vec *vec);
void fl_vec_reserve(fl_vec *vec, uint32_t cap); /* grows capacity, keeps values */
void fl_vec_reset(fl_vec *vec);
void fl_vec_reserve_bytes(fl_vec *vec, size_t extra);
/* Dictionary form: codes for cap rows (grows, keeps codes), vec->dict = dict. */
void fl_vec_set_dict(fl_vec *vec, const fl_vec *dict, uint32_t cap);
/* The flat form of a vector in dictionary form (its first len rows' strings copied into
 * offsets and bytes, dict cleared); a flat vector is left as it is. */
void fl_vec_materialize(fl_vec *vec);

static inline bool fl_vec_is_valid(const fl_vec *vec, uint32_t i) {
  return (vec->validity[i >> 6] >> (i & 63)) & 1;
}
static inline void fl_vec_set_valid(fl_vec *vec, uint32_t i, bool valid) {
  if (valid)
    vec->validity[i >> 6] |= (uint64_t)1 << (i & 63);
  else
    vec->validity[i >> 6] &= ~((uint64_t)1 << (i & 63));
}
/* Marks rows [from, from + n) valid, a word at a time. */
void fl_vec_set_valid_range(fl_vec *vec, uint32_t from, uint32_t n);
uint32_t fl_vec_null_count(const fl_vec *vec);

/* Appenders grow the vector as needed. */
void fl_vec_append_null(fl_vec *vec);
void fl_vec_append_bool(fl_vec *vec, bool v);
void fl_vec_append_i32(fl_vec *vec, int32_t v);
void fl_vec_append_i64(fl_vec *vec, int64_t v);
/* A DECIMAL of either width from its unscaled value (which fits the precision). */
void fl_vec_append_dec(fl_vec *vec, fl_i128 v);
void fl_vec_append_f32(fl_vec *vec, float v);
void fl_vec_append_f64(fl_vec *vec, double v);
void fl_vec_append_str(fl_vec *vec, const char *p, uint32_t n);
void fl_vec_append_value(fl_vec *vec, const fl_value *v);

/* A DECIMAL cell's unscaled value, whatever the storage width (core/decimal.h). */
static inline fl_i128 fl_vec_dec(const fl_vec *vec, uint32_t i) {
  return vec->type.precision > FL_DECIMAL64_PRECISION_MAX ? (fl_i128)vec->data.i128[i]
                                                          : (fl_i128)vec->data.i64[i];
}
static inline void fl_vec_set_dec(fl_vec *vec, uint32_t i, fl_i128 v) {
  if (vec->type.precision > FL_DECIMAL64_PRECISION_MAX)
    vec->data.i128[i] = v;
  else
    vec->data.i64[i] = (int64_t)v;
}

/* A flat vector's string i (the hot paths: key encoding, aggregates, writers, which only
 * see flat vectors); fl_vec_str_any reads either form. */
static inline const char *fl_vec_str(const fl_vec *vec, uint32_t i, uint32_t *n) {
  *n = vec->offsets[i + 1] - vec->offsets[i];
  return vec->bytes + vec->offsets[i];
}
static inline const char *fl_vec_str_any(const fl_vec *vec, uint32_t i, uint32_t *n) {
  return vec->dict ? fl_vec_str(vec->dict, vec->codes[i], n) : fl_vec_str(vec, i, n);
}

#endif
