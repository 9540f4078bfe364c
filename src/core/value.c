/* value: scalar comparison, casts, Iceberg's binary single-value serialization
 * (spec Appendix D) and JSON text of values. */
#include "core/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"

static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

int fl_value_cmp(const fl_value *a, const fl_value *b) {
  if (a->is_null || b->is_null) return (int)!a->is_null - (int)!b->is_null;
  switch (a->type.kind) {
    case FL_T_BOOLEAN: return (int)a->u.b - (int)b->u.b;
    case FL_T_INT:
    case FL_T_DATE: return cmp_i64(a->u.i32, b->u.i32);
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: return cmp_i64(a->u.i64, b->u.i64);
    case FL_T_DECIMAL:
      return fl_dec128_cmp_scaled(fl_value_dec(a), a->type.scale, fl_value_dec(b), b->type.scale);
    case FL_T_FLOAT: return a->u.f32 < b->u.f32 ? -1 : a->u.f32 > b->u.f32;
    case FL_T_DOUBLE: return a->u.f64 < b->u.f64 ? -1 : a->u.f64 > b->u.f64;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: {
      uint32_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
      int c = n ? memcmp(a->u.str.ptr, b->u.str.ptr, n) : 0;
      if (c) return c < 0 ? -1 : 1;
      return cmp_i64(a->u.str.len, b->u.str.len);
    }
  }
  return 0;
}

const int64_t fl_pow10_i64[19] = {1LL,
                                  10LL,
                                  100LL,
                                  1000LL,
                                  10000LL,
                                  100000LL,
                                  1000000LL,
                                  10000000LL,
                                  100000000LL,
                                  1000000000LL,
                                  10000000000LL,
                                  100000000000LL,
                                  1000000000000LL,
                                  10000000000000LL,
                                  100000000000000LL,
                                  1000000000000000LL,
                                  10000000000000000LL,
                                  100000000000000000LL,
                                  1000000000000000000LL};

static int64_t pow10i(unsigned n) { return fl_pow10_i64[n]; }

bool fl_value_cast(const fl_value *in, fl_type to, fl_value *out) {
  fl_value v = *in;
  v.type = to;
  if (in->is_null || fl_type_equal(in->type, to)) {
    *out = v;
    return true;
  }
  fl_type_kind k = in->type.kind;
  switch (to.kind) {
    case FL_T_BIGINT:
      if (k != FL_T_INT) return false;
      v.u.i64 = in->u.i32;
      break;
    case FL_T_DOUBLE:
      if (k == FL_T_FLOAT)
        v.u.f64 = in->u.f32;
      else if (k == FL_T_INT)
        v.u.f64 = in->u.i32;
      else if (k == FL_T_BIGINT)
        v.u.f64 = (double)in->u.i64;
      else
        return false;
      break;
    case FL_T_DECIMAL: {
      fl_i128 x;
      if (k != FL_T_DECIMAL || to.scale < in->type.scale ||
          !fl_dec128_rescale(fl_value_dec(in), in->type.scale, to.scale, to.precision, &x))
        return false;
      fl_value_set_dec(&v, x);
      break;
    }
    case FL_T_STRING:
    case FL_T_JSON:
      if (!fl_type_is_string(k)) return false;
      break;
    default: return false;
  }
  *out = v;
  return true;
}

void fl_value_to_iceberg_bytes(const fl_value *v, fl_buf *out) {
  FL_ASSERT(!v->is_null);
  switch (v->type.kind) {
    case FL_T_BOOLEAN: fl_buf_put_u8(out, v->u.b ? 1 : 0); break;
    case FL_T_INT:
    case FL_T_DATE: fl_buf_put_le32(out, (uint32_t)v->u.i32); break;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: fl_buf_put_le64(out, (uint64_t)v->u.i64); break;
    case FL_T_FLOAT: {
      uint32_t bits;
      memcpy(&bits, &v->u.f32, 4);
      fl_buf_put_le32(out, bits);
      break;
    }
    case FL_T_DOUBLE: {
      uint64_t bits;
      memcpy(&bits, &v->u.f64, 8);
      fl_buf_put_le64(out, bits);
      break;
    }
    case FL_T_DECIMAL: {
      /* minimal big-endian two's complement of the unscaled value */
      uint8_t be[16];
      fl_buf_append(out, be, fl_dec128_to_be_min(fl_value_dec(v), be));
      break;
    }
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: fl_buf_append(out, v->u.str.ptr, v->u.str.len); break;
  }
}

bool fl_value_from_iceberg_bytes(fl_type type, const uint8_t *p, size_t n, fl_value *out) {
  memset(out, 0, sizeof *out);
  out->type = type;
  switch (type.kind) {
    case FL_T_BOOLEAN:
      if (n != 1) return false;
      out->u.b = p[0] != 0;
      return true;
    case FL_T_INT:
    case FL_T_DATE:
      if (n != 4) return false;
      out->u.i32 = (int32_t)fl_le32(p);
      return true;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
      if (n == 4) { /* an int bound of a column widened to long */
        out->u.i64 = (int32_t)fl_le32(p);
        return true;
      }
      if (n != 8) return false;
      out->u.i64 = (int64_t)fl_le64(p);
      return true;
    case FL_T_FLOAT: {
      if (n != 4) return false;
      uint32_t bits = fl_le32(p);
      memcpy(&out->u.f32, &bits, 4);
      return true;
    }
    case FL_T_DOUBLE: {
      if (n == 4) {
        uint32_t bits = fl_le32(p);
        float f;
        memcpy(&f, &bits, 4);
        out->u.f64 = f;
        return true;
      }
      if (n != 8) return false;
      uint64_t bits = fl_le64(p);
      memcpy(&out->u.f64, &bits, 8);
      return true;
    }
    case FL_T_DECIMAL: {
      fl_i128 x;
      /* the storage must hold it; the precision may be exceeded by a truncate
       * partition value (truncate(10, -99.9) = -100.0 of a DECIMAL(3,1)) */
      if (!fl_dec128_from_be(p, n, &x) || (!fl_decimal_is_wide(type) && (x < INT64_MIN || x > INT64_MAX)))
        return false;
      fl_value_set_dec(out, x);
      return true;
    }
    case FL_T_TIME:
      if (n != 8) return false;
      out->u.i64 = (int64_t)fl_le64(p);
      return true;
    case FL_T_UUID:
      if (n != 16) return false;
      out->u.str.ptr = (const char *)p;
      out->u.str.len = 16;
      return true;
    case FL_T_FIXED:
      if (n > type.length) return false;
      out->u.str.ptr = (const char *)p;
      out->u.str.len = (uint32_t)n;
      return true;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_BINARY:
      out->u.str.ptr = (const char *)p;
      out->u.str.len = (uint32_t)n;
      return true;
  }
  return false;
}

size_t fl_decimal_format(int64_t unscaled, unsigned scale, char *out) {
  char digits[24];
  uint64_t mag = unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled;
  int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
  size_t n = 0;
  if (unscaled < 0) out[n++] = '-';
  if (scale == 0) {
    memcpy(out + n, digits, (size_t)nd);
    n += (size_t)nd;
  } else if ((unsigned)nd <= scale) {
    out[n++] = '0';
    out[n++] = '.';
    for (unsigned i = (unsigned)nd; i < scale; i++) out[n++] = '0';
    memcpy(out + n, digits, (size_t)nd);
    n += (size_t)nd;
  } else {
    size_t ip = (size_t)nd - scale;
    memcpy(out + n, digits, ip);
    n += ip;
    out[n++] = '.';
    memcpy(out + n, digits + ip, scale);
    n += scale;
  }
  out[n] = '\0';
  return n;
}

bool fl_decimal_parse(const char *s, size_t n, unsigned precision, unsigned scale, int64_t *unscaled) {
  if (precision > 18) return false; /* wide decimals: fl_dec128_parse */
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  uint64_t v = 0;
  unsigned int_digits = 0, frac_digits = 0;
  bool any = false, seen_nonzero = false;
  for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
    any = true;
    if (s[i] != '0') seen_nonzero = true;
    if (seen_nonzero) int_digits++;
    v = v * 10 + (uint64_t)(s[i] - '0');
    if (int_digits > 18) return false;
  }
  if (i < n && s[i] == '.') {
    i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
      any = true;
      if (frac_digits == scale) {
        if (s[i] != '0') return false; /* more fractional digits than the scale allows */
        continue;
      }
      v = v * 10 + (uint64_t)(s[i] - '0');
      frac_digits++;
    }
  }
  if (!any) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    /* exponent form: rescale exactly */
    i++;
    bool eneg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
    int e = 0;
    size_t st = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9' && e < 100; i++) e = e * 10 + (s[i] - '0');
    if (i == st || i != n) return false;
    int shift = (int)frac_digits + (eneg ? e : -e); /* value = v * 10^-shift */
    while (shift > (int)scale) {
      if (v % 10) return false;
      v /= 10;
      shift--;
    }
    while (shift < (int)scale) {
      if (v > UINT64_MAX / 10) return false;
      v *= 10;
      shift++;
    }
    frac_digits = scale;
  }
  if (i != n) return false;
  for (; frac_digits < scale; frac_digits++) v *= 10;
  uint64_t limit = (uint64_t)pow10i(precision);
  if (v >= limit) return false;
  *unscaled = neg ? -(int64_t)v : (int64_t)v;
  return true;
}

static void json_string(fl_buf *out, const char *p, uint32_t n) {
  static const char hex[] = "0123456789abcdef";
  fl_buf_put_u8(out, '"');
  for (uint32_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '"' || c == '\\') {
      fl_buf_put_u8(out, '\\');
      fl_buf_put_u8(out, c);
    } else if (c < 0x20) {
      switch (c) {
        case '\n': fl_buf_puts(out, "\\n"); break;
        case '\r': fl_buf_puts(out, "\\r"); break;
        case '\t': fl_buf_puts(out, "\\t"); break;
        default: {
          char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
          fl_buf_append(out, esc, 6);
        }
      }
    } else {
      fl_buf_put_u8(out, c);
    }
  }
  fl_buf_put_u8(out, '"');
}

void fl_value_to_json(const fl_value *v, fl_buf *out) {
  if (v->is_null) {
    fl_buf_puts(out, "null");
    return;
  }
  char tmp[64];
  switch (v->type.kind) {
    case FL_T_BOOLEAN: fl_buf_puts(out, v->u.b ? "true" : "false"); break;
    case FL_T_INT: fl_buf_printf(out, "%d", v->u.i32); break;
    case FL_T_BIGINT: fl_buf_printf(out, "%lld", (long long)v->u.i64); break;
    case FL_T_FLOAT:
      if (isfinite(v->u.f32))
        fl_buf_printf(out, "%.9g", (double)v->u.f32);
      else
        fl_buf_puts(out, "null");
      break;
    case FL_T_DOUBLE:
      if (isfinite(v->u.f64)) {
        /* shortest text that reads back as the same double (16 digits are often enough
         * where 15 are not: 497/13 is 38.23076923076923, as DuckDB prints it, not
         * 17 digits' 38.230769230769234) */
        for (int digits = 15; digits <= 17; digits++) {
          snprintf(tmp, sizeof tmp, "%.*g", digits, v->u.f64);
          if (strtod(tmp, NULL) == v->u.f64) break;
        }
        fl_buf_puts(out, tmp);
      } else {
        fl_buf_puts(out, "null");
      }
      break;
    case FL_T_DECIMAL: fl_buf_append(out, tmp, fl_dec128_format(fl_value_dec(v), v->type.scale, tmp)); break;
    case FL_T_DATE:
      fl_buf_put_u8(out, '"');
      fl_buf_append(out, tmp, fl_date_format(v->u.i32, tmp));
      fl_buf_put_u8(out, '"');
      break;
    case FL_T_TIMESTAMP:
      fl_buf_put_u8(out, '"');
      fl_buf_append(out, tmp, fl_ts_format(v->u.i64, tmp));
      fl_buf_put_u8(out, '"');
      break;
    case FL_T_TIMESTAMP_NS:
      fl_buf_put_u8(out, '"');
      fl_buf_append(out, tmp, fl_ts_ns_format(v->u.i64, tmp));
      fl_buf_put_u8(out, '"');
      break;
    case FL_T_STRING: json_string(out, v->u.str.ptr, v->u.str.len); break;
    case FL_T_JSON: json_string(out, v->u.str.ptr, v->u.str.len); break;
    case FL_T_TIME:
      fl_buf_put_u8(out, '"');
      fl_buf_append(out, tmp, fl_time_format(v->u.i64, tmp));
      fl_buf_put_u8(out, '"');
      break;
    case FL_T_UUID:
      if (v->u.str.len == 16) {
        fl_uuid_format((const uint8_t *)v->u.str.ptr, tmp);
        fl_buf_printf(out, "\"%s\"", tmp);
        break;
      }
      __attribute__((fallthrough)); /* a UUID of another length is shown as its bytes */
    case FL_T_BINARY:
    case FL_T_FIXED:
      /* "\\x0aff": the text \x0aff as a JSON string */
      fl_buf_puts(out, "\"\\\\");
      fl_hex_bytes_format((const uint8_t *)v->u.str.ptr, v->u.str.len, out);
      fl_buf_put_u8(out, '"');
      break;
  }
}

static const char HEX[] = "0123456789abcdef";

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void fl_uuid_format(const uint8_t *b, char *out) {
  size_t o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = HEX[b[i] >> 4];
    out[o++] = HEX[b[i] & 15];
  }
  out[o] = '\0';
}

bool fl_uuid_parse(const char *s, size_t n, uint8_t *out16) {
  if (n != 36) return false;
  size_t k = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i++] != '-') return false;
      continue;
    }
    int hi = hexval(s[i]), lo = hexval(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out16[k++] = (uint8_t)(hi << 4 | lo);
    i += 2;
  }
  return k == 16;
}

/* Writes "x" then the hex digits (the caller writes the backslash, escaped or not). */
void fl_hex_bytes_format(const uint8_t *p, size_t n, fl_buf *out) {
  fl_buf_put_u8(out, 'x');
  for (size_t i = 0; i < n; i++) {
    fl_buf_put_u8(out, (uint8_t)HEX[p[i] >> 4]);
    fl_buf_put_u8(out, (uint8_t)HEX[p[i] & 15]);
  }
}

bool fl_hex_bytes_parse(const char *s, size_t n, uint8_t *out, size_t *out_len) {
  if (n < 2 || s[0] != '\\' || s[1] != 'x' || (n - 2) % 2) return false;
  size_t k = 0;
  for (size_t i = 2; i < n; i += 2) {
    int hi = hexval(s[i]), lo = hexval(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[k++] = (uint8_t)(hi << 4 | lo);
  }
  *out_len = k;
  return true;
}
