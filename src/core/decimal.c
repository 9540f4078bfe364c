/* decimal: 128-bit exact decimal helpers (see decimal.h). Values are unscaled
 * two's complement integers; every operation checks |v| < 10^precision instead of
 * wrapping, so a caller learns about overflow rather than reading a wrong number.
 * 10^38 - 1 < 2^127 - 1, so any DECIMAL(38,s) value and the sum of two of them
 * fit an __int128 without overflow. */
#include "core/decimal.h"

#include <string.h>

#include "core/err.h"

typedef unsigned __int128 u128;

/* 10^0 .. 10^38, a constant table (a table filled on first use was a data race once
 * parallel query workers summed decimals: ThreadSanitizer saw it) */
#define E19 ((u128)10000000000000000000u)
static const u128 pow10s[39] = {
    1u,
    10u,
    100u,
    1000u,
    10000u,
    100000u,
    1000000u,
    10000000u,
    100000000u,
    1000000000u,
    10000000000u,
    100000000000u,
    1000000000000u,
    10000000000000u,
    100000000000000u,
    1000000000000000u,
    10000000000000000u,
    100000000000000000u,
    1000000000000000000u,
    E19,
    E19 * 10u,
    E19 * 100u,
    E19 * 1000u,
    E19 * 10000u,
    E19 * 100000u,
    E19 * 1000000u,
    E19 * 10000000u,
    E19 * 100000000u,
    E19 * 1000000000u,
    E19 * 10000000000u,
    E19 * 100000000000u,
    E19 * 1000000000000u,
    E19 * 10000000000000u,
    E19 * 100000000000000u,
    E19 * 1000000000000000u,
    E19 * 10000000000000000u,
    E19 * 100000000000000000u,
    E19 * 1000000000000000000u,
    E19 * 10000000000000000000u,
};
#undef E19

static const u128 *pow10_table(void) { return pow10s; }

fl_i128 fl_dec128_pow10(unsigned n) {
  FL_ASSERT(n <= 38);
  return (fl_i128)pow10_table()[n];
}

static u128 mag(fl_i128 v) { return v < 0 ? (u128)0 - (u128)v : (u128)v; }

bool fl_dec128_fits(fl_i128 v, unsigned precision) {
  if (precision > 38) precision = 38;
  return mag(v) < pow10_table()[precision];
}

int fl_dec128_cmp_scaled(fl_i128 a, unsigned sa, fl_i128 b, unsigned sb) {
  if (sa == sb) return fl_dec128_cmp(a, b);
  FL_ASSERT(sa <= 38 && sb <= 38);
  /* truncation toward zero is monotone: different integer parts decide */
  fl_i128 pa = fl_dec128_pow10(sa), pb = fl_dec128_pow10(sb);
  fl_i128 ai = a / pa, bi = b / pb;
  if (ai != bi) return ai < bi ? -1 : 1;
  /* same integer part: compare the fractions at the larger scale (each < 10^38) */
  unsigned m = sa > sb ? sa : sb;
  fl_i128 af = (a % pa) * fl_dec128_pow10(m - sa), bf = (b % pb) * fl_dec128_pow10(m - sb);
  return fl_dec128_cmp(af, bf);
}

bool fl_dec128_add(fl_i128 a, fl_i128 b, unsigned precision, fl_i128 *out) {
  if (!fl_dec128_fits(a, 38) || !fl_dec128_fits(b, 38)) return false;
  fl_i128 r; /* |a + b| < 2 * 10^38, which exceeds 2^127 (1.7 * 10^38): checked */
  if (__builtin_add_overflow(a, b, &r) || !fl_dec128_fits(r, precision)) return false;
  *out = r;
  return true;
}

bool fl_dec128_sub(fl_i128 a, fl_i128 b, unsigned precision, fl_i128 *out) {
  if (!fl_dec128_fits(b, 38)) return false;
  return fl_dec128_add(a, -b, precision, out);
}

bool fl_dec128_mul(fl_i128 a, fl_i128 b, unsigned precision, fl_i128 *out) {
  fl_i128 r;
  if (__builtin_mul_overflow(a, b, &r) || !fl_dec128_fits(r, precision)) return false;
  *out = r;
  return true;
}

bool fl_dec128_rescale(fl_i128 v, unsigned from_scale, unsigned to_scale, unsigned precision, fl_i128 *out) {
  if (from_scale > 38 || to_scale > 38 || !fl_dec128_fits(v, 38)) return false;
  if (to_scale >= from_scale) {
    unsigned d = to_scale - from_scale;
    if (precision > 38) precision = 38;
    if (d > precision) return v == 0 ? (*out = 0, true) : false;
    /* |v| * 10^d < 10^p  <=>  |v| < 10^(p-d) */
    if (mag(v) >= pow10_table()[precision - d]) return false;
    *out = v * fl_dec128_pow10(d);
    return true;
  }
  fl_i128 p = fl_dec128_pow10(from_scale - to_scale);
  if (v % p) return false;
  v /= p;
  if (!fl_dec128_fits(v, precision)) return false;
  *out = v;
  return true;
}

bool fl_dec128_parse(const char *s, size_t n, unsigned precision, unsigned scale, fl_i128 *out) {
  if (precision < 1 || precision > 38 || scale > precision) return false;
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  /* v holds the mantissa's digits from the first non-zero one, at most 38 */
  u128 v = 0;
  unsigned sig = 0;    /* significant digits accumulated into v */
  int frac_digits = 0; /* digits of v after the point */
  bool any = false;
  for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
    any = true;
    if (sig == 0 && s[i] == '0') continue;
    if (sig >= 38) return false; /* an integer part of more than 38 digits */
    v = v * 10 + (u128)(s[i] - '0');
    sig++;
  }
  if (i < n && s[i] == '.') {
    i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
      any = true;
      if (sig >= 38 || frac_digits >= 76) {
        if (s[i] != '0') return false; /* would need more than 38 digits */
        continue;                      /* a trailing zero: the value is the same */
      }
      v = v * 10 + (u128)(s[i] - '0');
      if (v) sig++;
      frac_digits++;
    }
  }
  if (!any) return false;
  int exp = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    bool eneg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
    size_t st = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
      if (exp < 1000) exp = exp * 10 + (s[i] - '0');
    if (i == st) return false;
    if (eneg) exp = -exp;
  }
  if (i != n) return false;
  /* value = v * 10^(exp - frac_digits); bring it to `scale` */
  int shift = (int)scale - frac_digits + exp; /* multiply v by 10^shift */
  if (v == 0) {
    *out = 0;
    return true;
  }
  if (shift < 0) {
    if (shift < -38) return false; /* v < 10^38 would lose a non-zero digit */
    u128 p = pow10_table()[-shift];
    if (v % p) return false;
    v /= p;
  } else if (shift > 0) {
    if (shift > 38) return false;
    if (v >= pow10_table()[38 - shift]) return false;
    v *= pow10_table()[shift];
  }
  if (v >= pow10_table()[precision]) return false;
  *out = neg ? -(fl_i128)v : (fl_i128)v;
  return true;
}

size_t fl_dec128_format(fl_i128 v, unsigned scale, char *out) {
  char digits[40];
  u128 m = mag(v);
  int nd = 0;
  do {
    digits[sizeof digits - 1 - nd++] = (char)('0' + (int)(m % 10));
    m /= 10;
  } while (m && nd < 39);
  const char *d = digits + sizeof digits - nd;
  size_t n = 0;
  if (v < 0) out[n++] = '-';
  if (scale == 0) {
    memcpy(out + n, d, (size_t)nd);
    n += (size_t)nd;
  } else if ((unsigned)nd <= scale) {
    out[n++] = '0';
    out[n++] = '.';
    for (unsigned i = (unsigned)nd; i < scale; i++) out[n++] = '0';
    memcpy(out + n, d, (size_t)nd);
    n += (size_t)nd;
  } else {
    size_t ip = (size_t)nd - scale;
    memcpy(out + n, d, ip);
    n += ip;
    out[n++] = '.';
    memcpy(out + n, d + ip, scale);
    n += scale;
  }
  out[n] = '\0';
  return n;
}

void fl_dec128_to_be(fl_i128 v, unsigned width, uint8_t *out) {
  FL_ASSERT(width >= 1 && width <= 16);
  u128 x = (u128)v;
  for (unsigned i = 0; i < width; i++) out[width - 1 - i] = (uint8_t)(x >> (8 * i));
}

unsigned fl_dec128_to_be_min(fl_i128 v, uint8_t out[16]) {
  uint8_t be[16];
  fl_dec128_to_be(v, 16, be);
  unsigned start = 0;
  while (start < 15 &&
         ((be[start] == 0x00 && !(be[start + 1] & 0x80)) || (be[start] == 0xff && (be[start + 1] & 0x80))))
    start++;
  memcpy(out, be + start, 16 - start);
  return 16 - start;
}

bool fl_dec128_from_be(const uint8_t *p, size_t n, fl_i128 *out) {
  if (n == 0) return false;
  if (n > 16) {
    uint8_t ext = (p[n - 16] & 0x80) ? 0xff : 0x00;
    for (size_t i = 0; i < n - 16; i++)
      if (p[i] != ext) return false;
    p += n - 16;
    n = 16;
  }
  u128 x = (p[0] & 0x80) ? ~(u128)0 : 0;
  for (size_t i = 0; i < n; i++) x = (x << 8) | p[i];
  *out = (fl_i128)x;
  return true;
}

unsigned fl_dec128_fixed_width(unsigned precision) {
  FL_ASSERT(precision >= 1 && precision <= 38);
  u128 need = pow10_table()[precision]; /* 2^(8w-1) >= 10^p */
  for (unsigned w = 1; w < 16; w++)
    if (((u128)1 << (8 * w - 1)) >= need) return w;
  return 16;
}
