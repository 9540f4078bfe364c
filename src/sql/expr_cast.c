/* expr_cast.c: conversions between the evaluator's register classes (expr_eval_int.h):
 * CAST and `::`, the implicit coercions the compiler inserts, and the text of a value.
 *
 * DuckDB's rules: DECIMAL to fewer digits or to an integer rounds half away from zero,
 * DOUBLE to an integer half to even; strings are trimmed and read as numbers ('2.5'::INT
 * is 3, '1e3'::DECIMAL), booleans (true/false/t/f/yes/no/on/off/1/0), dates, timestamps,
 * times and JSON (checked); every value has a text (DOUBLE as Python's repr, TIMESTAMP as
 * '2024-01-02 03:04:05.5', UUID canonical, BINARY '\\x..'). A value that does not convert
 * or does not fit is an error naming the value and the type (fl_sql_cast_cell returns 2);
 * the step reports it when strict, or gives NULL.
 *
 * Entry points: fl_sql_cast_cell (one cell; also the compiler's constant folding),
 * fl_sql_run_cast (the S_CAST step), fl_sql_cell_text. No allocation but the result
 * register's string buffer. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "sql/expr_eval_int.h"

/* DuckDB's text of a DOUBLE (or FLOAT): the shortest digits that read back, in positional notation
 * for exponents -5..15 ("10.0", "0.0001", "-0.0") and scientific otherwise ("1e+20",
 * "1e-05", "1.2345678901234567e+19"), as Python's repr. */
static size_t format_real(double f, bool single, char *out) {
  if (isnan(f)) return (size_t)snprintf(out, 32, "nan");
  if (isinf(f)) return (size_t)snprintf(out, 32, f < 0 ? "-inf" : "inf");
  char sci[40];
  int prec = 1;
  for (; prec < 17; prec++) { /* a FLOAT: the shortest digits that read back as the same float */
    snprintf(sci, sizeof sci, "%.*e", prec - 1, f);
    if (single ? (float)strtod(sci, NULL) == (float)f : strtod(sci, NULL) == f) break;
  }
  snprintf(sci, sizeof sci, "%.*e", prec - 1, f);
  const char *e = strchr(sci, 'e');
  int exp = atoi(e + 1);
  if (exp < -4 || exp >= 16) return (size_t)snprintf(out, 40, "%s", sci);
  int decimals = prec - 1 - exp;
  int n = snprintf(out, 48, "%.*f", decimals > 0 ? decimals : 0, f);
  if (!strchr(out, '.')) n += snprintf(out + n, 48 - (size_t)n, ".0");
  return (size_t)n;
}

static size_t format_double(double f, char *out) { return format_real(f, false, out); }

/* "2024-01-02 03:04:05.5" (DuckDB's TIMESTAMP text: blank, fraction trimmed). */
static size_t format_ts(int64_t us, char *out) {
  int64_t days = fl_floor_div(us, INT64_C(86400000000)), rem = us - days * INT64_C(86400000000);
  int64_t y;
  unsigned m, d;
  fl_civil_from_days(days, &y, &m, &d);
  unsigned secs = (unsigned)(rem / 1000000), frac = (unsigned)(rem % 1000000);
  int n = snprintf(out, 48, "%04lld-%02u-%02u %02u:%02u:%02u", (long long)y, m, d, secs / 3600,
                   secs / 60 % 60, secs % 60);
  if (frac) {
    n += snprintf(out + n, 48 - (size_t)n, ".%06u", frac);
    while (out[n - 1] == '0') out[--n] = 0;
  }
  return (size_t)n;
}

/* One cell of register a as text (casts to STRING, concat of non-strings). */
size_t fl_sql_cell_text(const reg *a, uint32_t k, char *buf) {
  switch (a->cls) {
    case CB: return (size_t)snprintf(buf, 8, "%s", a->nul[k] == T_TRUE ? "true" : "false");
    case CF: return format_real(a->f[k], a->kind == FL_T_FLOAT, buf);
    case CW: return fl_dec128_format(a->w[k], a->scale, buf);
    case CI:
      if (a->kind == FL_T_DATE) return fl_date_format((int32_t)a->i[k], buf);
      if (a->kind == FL_T_TIMESTAMP) return format_ts(a->i[k], buf);
      if (a->kind == FL_T_TIME) return fl_time_format(a->i[k], buf);
      if (a->scale) return fl_dec128_format(a->i[k], a->scale, buf);
      return (size_t)snprintf(buf, 24, "%lld", (long long)a->i[k]);
  }
  return 0;
}

static bool parse_i64(const char *p, size_t n, int64_t *out);

/* Text -> unscaled DECIMAL at `scale`, rounded half away from zero ("1.255", "-3",
 * "1e3", " 2.5 "); false on syntax or more than 38 digits. */
static bool parse_dec_round(const char *p, size_t n, unsigned scale, fl_i128 *out) {
  while (n && (*p == ' ' || *p == '\t')) p++, n--;
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
  const char *e = memchr(p, 'e', n);
  if (!e) e = memchr(p, 'E', n);
  if (e) { /* m e x at scale s is m at scale s + x */
    int64_t x;
    if (!parse_i64(e + 1, n - (size_t)(e + 1 - p), &x) || x + (int64_t)scale < 0 || x + (int64_t)scale > 38)
      return false;
    return parse_dec_round(p, (size_t)(e - p), (unsigned)(x + (int64_t)scale), out);
  }
  size_t i = 0;
  bool neg = false;
  if (i < n && (p[i] == '-' || p[i] == '+')) neg = p[i++] == '-';
  fl_i128 v = 0;
  unsigned frac = 0, digits = 0;
  bool round_up = false, dot = false;
  for (; i < n; i++) {
    if (p[i] == '.' && !dot) {
      dot = true;
      continue;
    }
    if (p[i] < '0' || p[i] > '9') return false;
    digits++;
    if (dot && frac >= scale) { /* past the scale: the first dropped digit rounds */
      if (frac == scale) round_up = p[i] >= '5';
      frac++;
      continue;
    }
    if (v > fl_dec128_pow10(37)) return false;
    v = v * 10 + (p[i] - '0');
    if (dot) frac++;
  }
  if (!digits) return false;
  for (unsigned f = frac > scale ? scale : frac; f < scale; f++) {
    if (v > fl_dec128_pow10(37)) return false;
    v *= 10;
  }
  if (round_up) v++;
  *out = neg ? -v : v;
  return true;
}

static bool parse_i64(const char *p, size_t n, int64_t *out) {
  while (n && (*p == ' ' || *p == '\t')) p++, n--;
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
  size_t i = 0;
  bool neg = false;
  if (i < n && (p[i] == '-' || p[i] == '+')) neg = p[i++] == '-';
  if (i == n) return false;
  uint64_t v = 0;
  for (; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + (uint64_t)(p[i] - '0');
  }
  if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) return false;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

static bool parse_f64(const char *p, size_t n, double *out) {
  char buf[128];
  while (n && (*p == ' ' || *p == '\t')) p++, n--;
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
  if (!n || n >= sizeof buf) return false;
  memcpy(buf, p, n);
  buf[n] = 0;
  char *end;
  *out = strtod(buf, &end);
  return end == buf + n;
}

/* The cast of one cell of a to type t into d[i]: 0 done, 1 NULL, 2 error (message in
 * why). The value classes follow the registers: I (scaled int64 or days/micros), W,
 * F, S, B. */
int fl_sql_cast_cell(const reg *a, uint32_t k, fl_type t, reg *d, uint32_t i, char *why, size_t why_size) {
  char tn[32], buf[64]; /* tn: the type's name, formatted only for a message (TN) */
#define TN (fl_sql_type_format(t, tn, sizeof tn), tn)
  uint8_t to = class_of_full(t);
  unsigned scale = t.kind == FL_T_DECIMAL ? t.scale : 0;
  /* from a string */
  if (a->cls == CS && is_bytes_kind(a->kind) && to == CS && !is_bytes_kind(t.kind)) {
    /* UUID, BINARY, FIXED as text: canonical UUID, '\x0aff' */
    sb_start(d, i);
    if (a->kind == FL_T_UUID && a->sl[k] == 16) {
      char u[40];
      fl_uuid_format((const uint8_t *)a->sp[k], u);
      sb_put(d, u, 36);
    } else {
      fl_buf hex = FL_BUF_INIT;
      fl_buf_put_u8(&hex, '\\');
      fl_hex_bytes_format((const uint8_t *)a->sp[k], a->sl[k], &hex);
      sb_put(d, (const char *)hex.data, hex.len);
      fl_buf_free(&hex);
    }
    sb_end(d, i);
    return 0;
  }
  if (a->cls == CS) {
    const char *p = a->sp[k];
    uint32_t n = a->sl[k];
    bool ok = true;
    switch (t.kind) {
      case FL_T_JSON:
        if (a->kind != FL_T_JSON) { /* text becomes JSON only when it is JSON (DuckDB checks too) */
          json_error_t jerr;
          json_t *j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
          if (!j) {
            snprintf(why, why_size, "cannot convert string '%.*s%s' to JSON: %s", n > 60 ? 60 : (int)n, p,
                     n > 60 ? "..." : "", jerr.text);
            return 2;
          }
          json_decref(j);
        }
        d->sp[i] = p;
        d->sl[i] = n;
        return 0;
      case FL_T_STRING:
        d->sp[i] = p;
        d->sl[i] = n;
        return 0;
      case FL_T_BOOLEAN: {
        const char *q = p;
        size_t m = n;
        while (m && *q == ' ') q++, m--;
        while (m && q[m - 1] == ' ') m--;
        if (ieq(q, m, "true") || ieq(q, m, "t") || ieq(q, m, "1") || ieq(q, m, "yes") || ieq(q, m, "y") ||
            ieq(q, m, "on"))
          d->nul[i] = T_TRUE;
        else if (ieq(q, m, "false") || ieq(q, m, "f") || ieq(q, m, "0") || ieq(q, m, "no") ||
                 ieq(q, m, "n") || ieq(q, m, "off"))
          d->nul[i] = T_FALSE;
        else
          ok = false;
        break;
      }
      case FL_T_INT:
      case FL_T_BIGINT: {
        int64_t v;
        fl_i128 w;
        ok = parse_i64(p, n, &v);
        if (!ok && parse_dec_round(p, n, 0, &w) && w >= INT64_MIN &&
            w <= INT64_MAX) /* '2.5' is 3, as DuckDB */
          ok = true, v = (int64_t)w;
        ok = ok && (t.kind == FL_T_BIGINT || (v >= INT32_MIN && v <= INT32_MAX));
        if (ok) d->i[i] = v;
        break;
      }
      case FL_T_FLOAT:
      case FL_T_DOUBLE: ok = parse_f64(p, n, &d->f[i]); break;
      case FL_T_DECIMAL: {
        fl_i128 v;
        ok = parse_dec_round(p, n, scale, &v) && fl_dec128_fits(v, t.precision);
        if (ok && to == CW)
          d->wbuf[i] = v;
        else if (ok)
          d->i[i] = (int64_t)v;
        break;
      }
      case FL_T_DATE: {
        int32_t days;
        ok = fl_date_parse(p, n, &days);
        if (ok) d->i[i] = days;
        break;
      }
      case FL_T_TIMESTAMP: ok = fl_ts_parse(p, n, &d->i[i]); break;
      case FL_T_TIME: ok = fl_time_parse(p, n, &d->i[i]); break;
      default: ok = false; break;
    }
    if (!ok) {
      snprintf(why, why_size, "cannot convert string '%.*s%s' to %s", n > 60 ? 60 : (int)n, p,
               n > 60 ? "..." : "", TN);
      return 2;
    }
    return 0;
  }
  /* to a string */
  if (to == CS) {
    size_t len = fl_sql_cell_text(a, k, buf);
    sb_start(d, i);
    sb_put(d, buf, len);
    sb_end(d, i);
    return 0;
  }
  if (a->cls == CB) {
    uint8_t b = a->nul[k] == T_TRUE;
    switch (to) {
      case CB: d->nul[i] = a->nul[k]; return 0;
      case CI:
        if (t.kind == FL_T_DATE || t.kind == FL_T_TIMESTAMP) break;
        d->i[i] = b ? (int64_t)fl_pow10_i64[scale] : 0;
        return 0;
      case CW: d->wbuf[i] = b ? fl_dec128_pow10(scale) : 0; return 0;
      case CF: d->f[i] = b; return 0;
    }
    snprintf(why, why_size, "cannot cast BOOLEAN to %s", TN);
    return 2;
  }
  /* times */
  if (a->kind == FL_T_DATE || a->kind == FL_T_TIMESTAMP) {
    if (t.kind == FL_T_DATE)
      d->i[i] = a->kind == FL_T_DATE ? a->i[k] : fl_floor_div(a->i[k], INT64_C(86400000000));
    else if (t.kind == FL_T_TIMESTAMP) {
      if (a->kind == FL_T_TIMESTAMP)
        d->i[i] = a->i[k];
      else if (__builtin_mul_overflow(a->i[k], INT64_C(86400000000), &d->i[i])) {
        snprintf(why, why_size, "DATE %lld days from 1970-01-01 is out of range for TIMESTAMP",
                 (long long)a->i[k]);
        return 2;
      }
    } else {
      snprintf(why, why_size, "cannot cast %s to %s", fl_type_sql_name(a->kind), TN);
      return 2;
    }
    return 0;
  }
  /* numbers: the exact value as v / 10^sa (I, W) or f (F) */
  bool exact = a->cls != CF;
  fl_i128 v = a->cls == CW ? (fl_i128)a->w[k] : a->cls == CI ? (fl_i128)a->i[k] : 0;
  unsigned sa = exact ? a->scale : 0;
  double f = a->cls == CF ? a->f[k] : 0;
  switch (t.kind) {
    case FL_T_BOOLEAN: d->nul[i] = exact ? v != 0 : f != 0; return 0;
    case FL_T_FLOAT:
    case FL_T_DOUBLE:
      if (exact && (v >= ((fl_i128)1 << 53) || v <= -((fl_i128)1 << 53))) {
        fl_dec128_format(v, sa, buf); /* one rounding: the text read by strtod */
        d->f[i] = strtod(buf, NULL);
      } else {
        d->f[i] = exact ? (double)v / (double)fl_dec128_pow10(sa) : f;
      }
      if (t.kind == FL_T_FLOAT) d->f[i] = (float)d->f[i];
      return 0;
    case FL_T_INT:
    case FL_T_BIGINT:
    case FL_T_DECIMAL: {
      fl_i128 r;
      unsigned p = t.kind == FL_T_DECIMAL ? t.precision : 38;
      if (exact) {
        if (sa > scale)
          r = div_round(v, sa - scale);
        else if (!fl_dec128_rescale(v, sa, scale, 38, &r))
          goto range;
      } else {
        double x = t.kind == FL_T_DECIMAL ? round(f * pow(10.0, scale)) : nearbyint(f);
        if (!(x > -1.7e38 && x < 1.7e38)) goto range;
        r = (fl_i128)x;
      }
      if (t.kind == FL_T_INT && (r < INT32_MIN || r > INT32_MAX)) goto range;
      if (t.kind == FL_T_BIGINT && (r < INT64_MIN || r > INT64_MAX)) goto range;
      if (t.kind == FL_T_DECIMAL && !fl_dec128_fits(r, p)) goto range;
      if (to == CW)
        d->wbuf[i] = r;
      else
        d->i[i] = (int64_t)r;
      return 0;
    }
    default: snprintf(why, why_size, "cannot cast %s to %s", fl_type_sql_name(a->kind), TN); return 2;
  }
range:
  if (exact) {
    fl_dec128_format(v, sa, buf);
  } else {
    format_double(f, buf);
  }
  snprintf(why, why_size, "%s %s is out of range for %s",
           a->kind == FL_T_DECIMAL ? "DECIMAL" : fl_type_sql_name(a->kind), buf, TN);
  return 2;
}

#undef TN

void fl_sql_run_cast(fl_sql_eval *c, const step *s, reg *d, const reg *a, uint32_t n) {
  char why[200];
  if (d->cls == CS) d->bytes_len = 0;
  /* text as text (VARCHAR or JSON to VARCHAR, JSON to JSON): the same bytes, no check */
  if (a->cls == CS && d->cls == CS && (a->kind == FL_T_STRING || a->kind == FL_T_JSON) &&
      (s->type.kind == FL_T_STRING || (s->type.kind == FL_T_JSON && a->kind == FL_T_JSON))) {
    for (uint32_t i = 0; i < n; i++) {
      uint32_t k = i & a->mask;
      d->nul[i] = a->nul[k];
      d->sp[i] = a->sp[k];
      d->sl[i] = a->nul[k] ? 0 : a->sl[k];
    }
    return;
  }
  bool strs = d->cls == CS && (a->cls != CS || (is_bytes_kind(a->kind) && !is_bytes_kind(s->type.kind)));
  for (uint32_t i = 0; i < n; i++) {
    uint32_t k = i & a->mask;
    bool null = a->cls == CB ? a->nul[k] == T_NULL : a->nul[k];
    if (null) {
      if (d->cls == CB)
        d->nul[i] = T_NULL;
      else if (strs)
        sb_null(d, i);
      else {
        d->nul[i] = 1;
        if (d->cls == CS) d->sl[i] = 0;
      }
      continue;
    }
    if (d->cls != CB) d->nul[i] = 0;
    why[0] = 0;
    int r = fl_sql_cast_cell(a, k, s->type, d, i, why, sizeof why);
    if (r) {
      if (r == 2 && s->strict)
        fl_sql_eval_fault(c, s, i, FL_ETYPE, "%s", why[0] ? why : "cannot cast to the type");
      if (d->cls == CB)
        d->nul[i] = T_NULL;
      else if (strs)
        sb_null(d, i);
      else
        d->nul[i] = 1;
    }
  }
  if (strs) sb_finish(d, n);
}
