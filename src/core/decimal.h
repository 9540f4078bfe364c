/* decimal: exact DECIMAL(p,s) arithmetic on 128-bit unscaled values, p <= 38.
 *
 * Storage (see core/README.md): a DECIMAL with precision <= 18 is an int64_t
 * unscaled value (fl_vec data.i64, fl_value u.i64), as before; precision 19..38 is
 * a 128-bit two's complement unscaled value (fl_vec data.i128, fl_value u.i128).
 * fl_value_dec() and fl_vec_dec() read either as an fl_i128, so code that does not
 * care about the width (comparisons, formatting, bounds) has one way to read.
 *
 * Every helper that can leave the declared precision says so by returning false
 * (no wrap-around): |unscaled| < 10^precision is the invariant of a valid value. */
#ifndef FL_CORE_DECIMAL_H
#define FL_CORE_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"

typedef __int128 fl_i128;
/* The storage form: 8-byte aligned so it can sit in arrays and unions that the
 * allocators align to 8 (vectors, values in arena arrays). Read/write it as fl_i128. */
typedef __int128 fl_i128_store __attribute__((aligned(8)));

enum { FL_DECIMAL64_PRECISION_MAX = 18, FL_DECIMAL_TEXT_MAX = 42 /* sign, 38 digits, ".", "0", NUL */ };

static inline bool fl_decimal_is_wide(fl_type t) {
  return t.kind == FL_T_DECIMAL && t.precision > FL_DECIMAL64_PRECISION_MAX;
}
/* 10^n for n <= 38. */
fl_i128 fl_dec128_pow10(unsigned n);
/* |v| < 10^precision. */
bool fl_dec128_fits(fl_i128 v, unsigned precision);
/* -1, 0, 1 (same scale). */
static inline int fl_dec128_cmp(fl_i128 a, fl_i128 b) { return a < b ? -1 : a > b; }
/* Compares a at scale sa with b at scale sb exactly (no overflow for any two valid
 * DECIMAL(38,s) values). */
int fl_dec128_cmp_scaled(fl_i128 a, unsigned sa, fl_i128 b, unsigned sb);
/* *out = a + b (same scale); false if the sum needs more than `precision` digits. */
bool fl_dec128_add(fl_i128 a, fl_i128 b, unsigned precision, fl_i128 *out);
/* *out = a - b; false on leaving the precision. */
bool fl_dec128_sub(fl_i128 a, fl_i128 b, unsigned precision, fl_i128 *out);
/* *out = a * b (the product's scale is the sum of the operands'); false if it needs
 * more than `precision` digits (or 128 bits). */
bool fl_dec128_mul(fl_i128 a, fl_i128 b, unsigned precision, fl_i128 *out);
/* Changes the scale exactly: up multiplies (false if the result needs more than
 * `precision` digits), down divides (false if a non-zero digit would be dropped). */
bool fl_dec128_rescale(fl_i128 v, unsigned from_scale, unsigned to_scale, unsigned precision, fl_i128 *out);
/* Exact text ("-12.34", "1e3", "0.50E-1") -> unscaled at `scale`; false on syntax
 * error, on digits beyond the scale that are not zero, or if the value needs more
 * than `precision` digits. */
bool fl_dec128_parse(const char *s, size_t n, unsigned precision, unsigned scale, fl_i128 *out);
/* Unscaled -> "-12.34" with `scale` fractional digits; out >= FL_DECIMAL_TEXT_MAX.
 * Returns the length (NUL written after). */
size_t fl_dec128_format(fl_i128 v, unsigned scale, char *out);
/* Minimal big-endian two's complement bytes (Iceberg's decimal single-value form,
 * Parquet's BYTE_ARRAY decimal): returns 1..16. */
unsigned fl_dec128_to_be_min(fl_i128 v, uint8_t out[16]);
/* Exactly `width` big-endian bytes, sign-extended (Parquet FIXED_LEN_BYTE_ARRAY);
 * width 1..16 and v must fit. */
void fl_dec128_to_be(fl_i128 v, unsigned width, uint8_t *out);
/* Big-endian two's complement of 1..16 bytes (longer inputs are accepted when the
 * leading bytes are pure sign extension); false otherwise. */
bool fl_dec128_from_be(const uint8_t *p, size_t n, fl_i128 *out);
/* The FIXED_LEN_BYTE_ARRAY width Parquet writers use for a precision: the fewest
 * bytes whose two's complement holds 10^p - 1 (p=19..20: 9, ..., p=38: 16). */
unsigned fl_dec128_fixed_width(unsigned precision);

#endif
