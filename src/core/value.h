/* value: one typed scalar, used outside the hot path (statistics, bounds, partition
 * values, literals). Strings point into memory the owner of the value manages. */
#ifndef FL_CORE_VALUE_H
#define FL_CORE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/decimal.h"
#include "core/types.h"

typedef struct fl_value {
  fl_type type;
  bool is_null;
  union {
    bool b;
    int32_t i32;        /* INT, DATE */
    int64_t i64;        /* BIGINT, TIMESTAMP, DECIMAL unscaled (precision <= 18) */
    fl_i128_store i128; /* DECIMAL unscaled, precision 19..38 */
    float f32;
    double f64;
    struct {
      const char *ptr;
      uint32_t len;
    } str; /* STRING, JSON */
  } u;
} fl_value;

/* Total order within one type (strings bytewise unsigned, as Iceberg and Parquet
 * order them); nulls first. Both values must have the same kind. */
int fl_value_cmp(const fl_value *a, const fl_value *b);
/* Converts between kinds where Iceberg allows promotion (int->long, ...). */
bool fl_value_cast(const fl_value *in, fl_type to, fl_value *out);

/* Iceberg single-value binary serialization (spec Appendix D): used for manifest
 * lower/upper bounds. Decimal = minimal big-endian two's complement of the
 * unscaled value; int/date 4-byte LE; long/timestamp 8-byte LE; string raw UTF-8. */
void fl_value_to_iceberg_bytes(const fl_value *v, fl_buf *out);
/* Reads bytes in that serialization; strings point into p. */
bool fl_value_from_iceberg_bytes(fl_type type, const uint8_t *p, size_t n, fl_value *out);

/* Appends the value as JSON (string quoted and escaped, decimal "12.34" as a
 * number, timestamp as an RFC 3339 string, date as "YYYY-MM-DD", null as null). */
void fl_value_to_json(const fl_value *v, fl_buf *out);
/* 10^0 .. 10^18: decimal scaling (every int64 power of ten). */
extern const int64_t fl_pow10_i64[19];

/* UUID: 16 bytes <-> canonical text 8-4-4-4-12 lowercase hex (36 chars; parse takes
 * either case). */
void fl_uuid_format(const uint8_t *bytes16, char *out); /* out >= 37 */
bool fl_uuid_parse(const char *s, size_t n, uint8_t *out16);
/* BINARY/FIXED text: "\x" then two hex digits a byte (PostgreSQL's bytea hex form).
 * Parse writes (n - 2) / 2 bytes to out; false on anything else. */
void fl_hex_bytes_format(const uint8_t *p, size_t n, fl_buf *out);
bool fl_hex_bytes_parse(const char *s, size_t n, uint8_t *out, size_t *out_len);

/* A DECIMAL value's unscaled integer, whatever its storage width. */
static inline fl_i128 fl_value_dec(const fl_value *v) {
  return v->type.precision > FL_DECIMAL64_PRECISION_MAX ? (fl_i128)v->u.i128 : (fl_i128)v->u.i64;
}
/* Sets a DECIMAL value (type already set) from an unscaled integer that fits its precision. */
static inline void fl_value_set_dec(fl_value *v, fl_i128 x) {
  if (v->type.precision > FL_DECIMAL64_PRECISION_MAX)
    v->u.i128 = x;
  else
    v->u.i64 = (int64_t)x;
}

/* Decimal unscaled to text "-12.34" (scale digits after the point). */
size_t fl_decimal_format(int64_t unscaled, unsigned scale, char *out); /* out >= 24 */
/* Exact text -> unscaled; false on syntax error or if it does not fit (p,s).
 * Precision <= 18 only (fl_dec128_parse takes any). */
bool fl_decimal_parse(const char *s, size_t n, unsigned precision, unsigned scale, int64_t *unscaled);

#endif
