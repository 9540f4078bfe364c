/* expr_func.c: the evaluator's functions (the S_FUNC step and lower/upper), each with
 * DuckDB's semantics: string functions count code points (substring, left, right,
 * strpos, length), lower/upper map Unicode through the C.UTF-8 locale, date_trunc and
 * date_part take DuckDB's part names (ISO weeks, 0 = Sunday for dow), JSON paths go
 * through jansson ('key', an index, '$.a.b[0]', '$[#-1]'), regexp_matches through PCRE2
 * (a constant pattern compiled once and kept in the step). NULL in, NULL out, except
 * coalesce-like functions (nullif, greatest, least, concat) that look at NULLs
 * themselves. A constant date part resolves once per batch (hourly buckets stay a tight
 * loop).
 *
 * Entry points: fl_sql_run_func, fl_sql_run_str_case (expr_eval_int.h). String results
 * use the register's buffer (sb_*). */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <pcre2.h>

#include "core/time.h"
#include "core/utf8.h"
#include "sql/expr_eval_int.h"

/* lower/upper: ASCII in place; a row with other code points maps each one through the
 * C.UTF-8 locale's Unicode case tables (towupper_l: 'é' -> 'É', as DuckDB's utf8proc),
 * re-encoding (a mapping may change the byte length). Invalid UTF-8 bytes are copied. */
static locale_t utf8_loc;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;
static void utf8_locale_init(void) { utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }
static locale_t utf8_locale(void) { /* evaluators run on several query threads */
  pthread_once(&utf8_once, utf8_locale_init);
  return utf8_loc;
}

static size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp) {
  uint8_t c0 = p[0];
  size_t len = c0 < 0x80             ? 1
               : (c0 & 0xe0) == 0xc0 ? 2
               : (c0 & 0xf0) == 0xe0 ? 3
               : (c0 & 0xf8) == 0xf0 ? 4
                                     : 0;
  if (!len || len > n) return 0;
  uint32_t v = len == 1 ? c0 : len == 2 ? c0 & 0x1f : len == 3 ? c0 & 0x0f : c0 & 0x07;
  for (size_t k = 1; k < len; k++) {
    if ((p[k] & 0xc0) != 0x80) return 0;
    v = v << 6 | (p[k] & 0x3f);
  }
  *cp = v;
  return len;
}

static size_t utf8_encode(uint32_t v, char *o) {
  if (v < 0x80) return o[0] = (char)v, 1;
  if (v < 0x800) return o[0] = (char)(0xc0 | v >> 6), o[1] = (char)(0x80 | (v & 0x3f)), 2;
  if (v < 0x10000) {
    o[0] = (char)(0xe0 | v >> 12);
    o[1] = (char)(0x80 | ((v >> 6) & 0x3f));
    o[2] = (char)(0x80 | (v & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | v >> 18);
  o[1] = (char)(0x80 | ((v >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((v >> 6) & 0x3f));
  o[3] = (char)(0x80 | (v & 0x3f));
  return 4;
}

size_t fl_sql_utf8_lower(const char *p, size_t n, char *out) {
  size_t w = 0;
  locale_t loc = utf8_locale();
  for (size_t j = 0; j < n;) {
    uint32_t cp = 0;
    size_t used = (uint8_t)p[j] < 0x80 ? 0 : utf8_decode((const uint8_t *)p + j, n - j, &cp);
    if (!used || !loc) {
      char ch = p[j++];
      out[w++] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
      continue;
    }
    w += utf8_encode((uint32_t)towlower_l((wint_t)cp, loc), out + w);
    j += used;
  }
  return w;
}

void fl_sql_run_str_case(reg *d, const reg *a, uint32_t n, bool upper) {
  uint32_t m = a->mask;
  d->bytes_len = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t k = i & m;
    d->nul[i] = a->nul[k];
    d->sp[i] = (const char *)(uintptr_t)d->bytes_len;
    d->sl[i] = 0;
    if (a->nul[k]) continue;
    const char *p = a->sp[k];
    uint32_t len = a->sl[k];
    char *o = sb_room(d, (size_t)len * 2 + 4); /* a case mapping at most doubles a code point's bytes */
    size_t w = 0;
    for (uint32_t j = 0; j < len;) {
      char ch = p[j];
      if ((uint8_t)ch < 0x80) {
        if (upper && ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
        if (!upper && ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
        o[w++] = ch;
        j++;
        continue;
      }
      uint32_t cp = 0;
      size_t used = utf8_decode((const uint8_t *)p + j, len - j, &cp);
      locale_t loc = utf8_locale();
      if (!used || !loc) {
        o[w++] = ch;
        j++;
        continue;
      }
      wint_t mapped = upper ? towupper_l((wint_t)cp, loc) : towlower_l((wint_t)cp, loc);
      if (upper && cp == 0xDF) mapped = 0x1E9E; /* utf8proc's upper of 'ß' is 'ẞ' (glibc keeps 'ß') */
      w += utf8_encode((uint32_t)mapped, o + w);
      j += (uint32_t)used;
    }
    d->bytes_len += w;
    d->sl[i] = (uint32_t)w;
  }
  if (!d->bytes) sb_room(d, 1);
  for (uint32_t i = 0; i < n; i++) d->sp[i] = d->bytes + (uintptr_t)d->sp[i];
}

/* ---- functions ---- */

/* UTF-8: byte offset of code point `chars` from p (or n if the string is shorter). */
static uint32_t utf8_skip(const char *p, uint32_t n, int64_t chars) {
  uint32_t o = 0;
  while (o < n && chars > 0) {
    o++;
    while (o < n && ((uint8_t)p[o] & 0xc0) == 0x80) o++;
    chars--;
  }
  return o;
}
static int64_t utf8_len(const char *p, uint32_t n) { return (int64_t)fl_utf8_count(p, n); }

static bool in_set(char ch, const char *chars, uint32_t n) { return memchr(chars, ch, n) != NULL; }

/* DuckDB's substring(s, start, len): 1-based code points; start <= 0 counts the
 * missing positions against len; a negative start counts from the end. */
static void substr_range(const char *p, uint32_t n, int64_t start, int64_t len, bool has_len, uint32_t *from,
                         uint32_t *to) {
  int64_t total = utf8_len(p, n);
  int64_t b, e;
  if (start < 0) {
    b = total + start;
    if (b < 0) {
      if (has_len) len += b;
      b = 0;
    }
  } else if (start == 0) {
    b = 0;
    if (has_len) len -= 1;
  } else {
    b = start - 1;
  }
  if (has_len && len < 0) { /* DuckDB: the -len characters before start */
    e = b;
    b = b + len < 0 ? 0 : b + len;
    len = e - b;
  }
  e = has_len ? b + len : total;
  if (b > total) b = total;
  if (e > total) e = total;
  if (e < b) e = b;
  *from = utf8_skip(p, n, b);
  *to = *from + utf8_skip(p + *from, n - *from, e - b);
}

/* date_trunc / date_part field names. */
enum {
  P_NONE,
  P_YEAR,
  P_QUARTER,
  P_MONTH,
  P_WEEK,
  P_DAY,
  P_HOUR,
  P_MINUTE,
  P_SECOND,
  P_MS,
  P_US,
  P_EPOCH,
  P_DOW,
  P_ISODOW,
  P_DOY,
  P_DECADE,
  P_CENTURY,
  P_MILLENNIUM,
  P_ISOYEAR
};
static int part_of(const char *p, uint32_t n) {
  static const struct {
    const char *w;
    int part;
  } parts[] = {
      {"year", P_YEAR},       {"years", P_YEAR},       {"y", P_YEAR},          {"yr", P_YEAR},
      {"quarter", P_QUARTER}, {"quarters", P_QUARTER}, {"month", P_MONTH},     {"months", P_MONTH},
      {"mon", P_MONTH},       {"week", P_WEEK},        {"weeks", P_WEEK},      {"w", P_WEEK},
      {"day", P_DAY},         {"days", P_DAY},         {"d", P_DAY},           {"dayofmonth", P_DAY},
      {"hour", P_HOUR},       {"hours", P_HOUR},       {"h", P_HOUR},          {"minute", P_MINUTE},
      {"minutes", P_MINUTE},  {"m", P_MINUTE},         {"second", P_SECOND},   {"seconds", P_SECOND},
      {"s", P_SECOND},        {"millisecond", P_MS},   {"milliseconds", P_MS}, {"ms", P_MS},
      {"microsecond", P_US},  {"microseconds", P_US},  {"us", P_US},           {"epoch", P_EPOCH},
      {"dow", P_DOW},         {"dayofweek", P_DOW},    {"isodow", P_ISODOW},   {"doy", P_DOY},
      {"dayofyear", P_DOY},   {"decade", P_DECADE},    {"century", P_CENTURY}, {"millennium", P_MILLENNIUM},
      {"isoyear", P_ISOYEAR}};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    if (ieq(p, n, parts[i].w)) return parts[i].part;
  return P_NONE;
}

/* ISO 8601 week and year of a day number. */
static void iso_week(int64_t days, int64_t *iso_year, int64_t *week) {
  int64_t dow = ((days % 7) + 7 + 3) % 7; /* 0 = Monday (1970-01-01 was a Thursday) */
  int64_t thursday = days - dow + 3;
  int64_t y;
  unsigned m, d;
  fl_civil_from_days(thursday, &y, &m, &d);
  *iso_year = y;
  *week = (thursday - fl_days_from_civil(y, 1, 1)) / 7 + 1;
}

static bool date_trunc_us(int part, int64_t us, int64_t *out) {
  const int64_t DAY = INT64_C(86400000000);
  int64_t days = fl_floor_div(us, DAY), y = 0;
  unsigned m = 1, d = 1;
  if (part == P_MILLENNIUM || part == P_CENTURY || part == P_DECADE || part == P_YEAR || part == P_QUARTER ||
      part == P_MONTH)
    fl_civil_from_days(days, &y, &m, &d);
  switch (part) {
    case P_MILLENNIUM:
      y = fl_floor_div(y, 1000) * 1000;
      m = d = 1;
      break; /* DuckDB: 2000-01-01 */
    case P_CENTURY:
      y = fl_floor_div(y, 100) * 100;
      m = d = 1;
      break;
    case P_DECADE:
      y = fl_floor_div(y, 10) * 10;
      m = d = 1;
      break;
    case P_YEAR: m = d = 1; break;
    case P_QUARTER:
      m = (m - 1) / 3 * 3 + 1;
      d = 1;
      break;
    case P_MONTH: d = 1; break;
    case P_WEEK: *out = (days - (((days % 7) + 7 + 3) % 7)) * DAY; return true;
    case P_DAY: *out = days * DAY; return true;
    case P_HOUR: *out = fl_floor_div(us, INT64_C(3600000000)) * INT64_C(3600000000); return true;
    case P_MINUTE: *out = fl_floor_div(us, 60000000) * 60000000; return true;
    case P_SECOND: *out = fl_floor_div(us, 1000000) * 1000000; return true;
    case P_MS: *out = fl_floor_div(us, 1000) * 1000; return true;
    case P_US: *out = us; return true;
    default: return false;
  }
  *out = fl_days_from_civil(y, m, d) * DAY;
  return true;
}

static bool date_part_us(int part, int64_t us, int64_t *out) {
  const int64_t DAY = INT64_C(86400000000);
  int64_t days = fl_floor_div(us, DAY), rem = us - days * DAY, y;
  unsigned m, d;
  fl_civil_from_days(days, &y, &m, &d);
  switch (part) {
    case P_YEAR: *out = y; return true;
    case P_QUARTER: *out = (m - 1) / 3 + 1; return true;
    case P_MONTH: *out = m; return true;
    case P_DAY: *out = d; return true;
    case P_HOUR: *out = rem / INT64_C(3600000000); return true;
    case P_MINUTE: *out = rem / 60000000 % 60; return true;
    case P_SECOND: *out = rem / 1000000 % 60; return true;
    case P_MS: *out = rem / 1000 % 60000; return true;
    case P_US: *out = rem % 60000000; return true;
    case P_DOW: *out = ((days % 7) + 7 + 4) % 7; return true; /* 0 = Sunday */
    case P_ISODOW: *out = ((days % 7) + 7 + 3) % 7 + 1; return true;
    case P_DOY: *out = days - fl_days_from_civil(y, 1, 1) + 1; return true;
    case P_DECADE: *out = fl_floor_div(y, 10); return true;
    case P_CENTURY: *out = y > 0 ? (y - 1) / 100 + 1 : -((-y) / 100 + 1); return true;
    case P_MILLENNIUM: *out = y > 0 ? (y - 1) / 1000 + 1 : -((-y) / 1000 + 1); return true;
    case P_WEEK: {
      int64_t iy;
      iso_week(days, &iy, out);
      return true;
    }
    case P_ISOYEAR: {
      int64_t wk;
      iso_week(days, out, &wk);
      return true;
    }
    default: return false;
  }
}

/* The JSON value at path in text (path: '$.a.b[0]', 'key', or an index): its text
 * (JSON_COMPACT) or, for ->> on a string, its contents; false if absent or not JSON. */
static bool json_pick(const char *p, uint32_t n, const reg *path, uint32_t kp, bool as_text, reg *d,
                      char **tmp) {
  json_error_t jerr;
  json_t *root = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  if (!root) return false;
  json_t *cur = root;
  if (path->cls == CI) {
    int64_t idx = path->i[kp];
    if (!json_is_array(cur))
      cur = NULL;
    else {
      if (idx < 0) idx += (int64_t)json_array_size(cur);
      cur = idx < 0 ? NULL : json_array_get(cur, (size_t)idx);
    }
  } else {
    const char *q = path->sp[kp];
    uint32_t qn = path->sl[kp], j = 0;
    if (qn && q[0] == '$') {
      j = 1;
      while (cur && j < qn) {
        if (q[j] == '.') {
          j++;
          uint32_t s0 = j;
          bool quoted = j < qn && q[j] == '"';
          if (quoted) {
            s0 = ++j;
            while (j < qn && q[j] != '"') j++;
          } else {
            while (j < qn && q[j] != '.' && q[j] != '[') j++;
          }
          char key[256];
          uint32_t kl = j - s0 < 255 ? j - s0 : 255;
          memcpy(key, q + s0, kl);
          key[kl] = 0;
          if (quoted && j < qn) j++;
          cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
        } else if (q[j] == '[') {
          j++;
          int64_t idx = 0;
          bool neg = j < qn && q[j] == '#';
          if (neg) {
            j++;
            if (j < qn && q[j] == '-') j++;
          }
          while (j < qn && q[j] >= '0' && q[j] <= '9') idx = idx * 10 + (q[j++] - '0');
          if (j < qn && q[j] == ']') j++;
          if (!json_is_array(cur))
            cur = NULL;
          else {
            if (neg) idx = (int64_t)json_array_size(cur) - idx;
            cur = idx < 0 ? NULL : json_array_get(cur, (size_t)idx);
          }
        } else {
          cur = NULL;
        }
      }
    } else {
      char key[256];
      uint32_t kl = qn < 255 ? qn : 255;
      memcpy(key, q, kl);
      key[kl] = 0;
      cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
    }
  }
  bool found = cur != NULL && !(as_text && json_is_null(cur));
  if (found) {
    if (as_text && json_is_string(cur)) {
      sb_put(d, json_string_value(cur), json_string_length(cur));
    } else {
      char *s = json_dumps(cur, JSON_ENCODE_ANY | JSON_COMPACT);
      if (s) {
        /* DuckDB writes separators with no blanks too ({"a":1}) */
        sb_put(d, s, strlen(s));
        free(s);
      }
    }
  }
  (void)tmp;
  json_decref(root);
  return found;
}

void fl_sql_run_func(fl_sql_eval *c, step *s, reg *d, uint32_t n) {
  const reg *a = &c->regs[s->args[0]];
  const reg *b = s->nargs > 1 ? &c->regs[s->args[1]] : NULL;
  const reg *r3 = s->nargs > 2 ? &c->regs[s->args[2]] : NULL;
  if (s->fn == F_DATE_PART && !a->mask && a->cls == CS && !a->nul[0] && b->cls == CI && d->cls == CI) {
    int part = part_of(a->sp[0], a->sl[0]);
    int64_t v = 0;
    if (part != P_EPOCH && date_part_us(part, 0, &v)) {
      for (uint32_t i = 0; i < n; i++) {
        uint32_t kb = i & b->mask;
        d->nul[i] = b->nul[kb];
        d->i[i] = 0;
        if (!b->nul[kb]) date_part_us(part, b->i[kb], &d->i[i]);
      }
      return;
    }
  }
  if (s->fn == F_DATE_TRUNC && !a->mask && a->cls == CS && !a->nul[0] && b->cls == CI) {
    /* date_trunc('hour', ts): the part once, then one tight loop (hourly buckets) */
    int part = part_of(a->sp[0], a->sl[0]);
    int64_t v = 0;
    /* a fixed unit (day and below): floor to a multiple of a constant, which the
     * compiler divides by with a multiply; no call, no switch per row */
#define TRUNC_LOOP(UNIT)                   \
  for (uint32_t i = 0; i < n; i++) {       \
    uint32_t kb = i & b->mask;             \
    int64_t x = b->i[kb], q = x / (UNIT);  \
    q -= (x % (UNIT)) < 0;                 \
    d->nul[i] = b->nul[kb];                \
    d->i[i] = b->nul[kb] ? 0 : q * (UNIT); \
  }                                        \
  return;
    switch (part) {
      case P_DAY: TRUNC_LOOP(INT64_C(86400000000))
      case P_HOUR: TRUNC_LOOP(INT64_C(3600000000))
      case P_MINUTE: TRUNC_LOOP(INT64_C(60000000))
      case P_SECOND: TRUNC_LOOP(INT64_C(1000000))
      case P_MS: TRUNC_LOOP(INT64_C(1000))
      default: break;
    }
#undef TRUNC_LOOP
    if (date_trunc_us(part, 0, &v)) {
      for (uint32_t i = 0; i < n; i++) {
        uint32_t kb = i & b->mask;
        d->nul[i] = b->nul[kb];
        d->i[i] = 0;
        if (!b->nul[kb]) date_trunc_us(part, b->i[kb], &d->i[i]);
      }
      return;
    }
  }
  bool strs = d->cls == CS && s->fn != F_NULLIF && s->fn != F_GREATEST && s->fn != F_LEAST;
  if (strs) d->bytes_len = 0;
  pcre2_match_data *md = NULL;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t ka = i & a->mask, kb = b ? i & b->mask : 0, k3 = r3 ? i & r3->mask : 0;
    /* functions that see NULLs themselves */
    switch (s->fn) {
      case F_NULLIF: {
        const reg *v = b; /* args: cond, value */
        if (a->nul[ka] == T_TRUE) {
          if (d->cls == CB)
            d->nul[i] = T_NULL;
          else {
            d->nul[i] = 1;
            if (d->cls == CS) d->sl[i] = 0;
          }
        } else {
          copy_cell(d, i, v, kb);
        }
        continue;
      }
      case F_GREATEST:
      case F_LEAST: {
        const reg *best = NULL;
        uint32_t kbest = 0;
        for (uint32_t j = 0; j < s->nargs; j++) {
          const reg *r = &c->regs[s->args[j]];
          uint32_t k = i & r->mask;
          if (reg_null(r, k)) continue;
          if (best) {
            int cmp = 0;
            switch (r->cls) {
              case CI: cmp = (r->i[k] > best->i[kbest]) - (r->i[k] < best->i[kbest]); break;
              case CF: cmp = (r->f[k] > best->f[kbest]) - (r->f[k] < best->f[kbest]); break;
              case CW: cmp = fl_dec128_cmp(r->w[k], best->w[kbest]); break;
              case CS: cmp = cmp_str(r->sp[k], r->sl[k], best->sp[kbest], best->sl[kbest]); break;
              case CB: cmp = (r->nul[k] > best->nul[kbest]) - (r->nul[k] < best->nul[kbest]); break;
            }
            if (s->fn == F_GREATEST ? cmp <= 0 : cmp >= 0) continue;
          }
          best = r;
          kbest = k;
        }
        if (!best) {
          if (d->cls == CB)
            d->nul[i] = T_NULL;
          else {
            d->nul[i] = 1;
            if (d->cls == CS) d->sl[i] = 0;
          }
        } else {
          copy_cell(d, i, best, kbest);
        }
        continue;
      }
      case F_CONCAT: {
        d->nul[i] = 0;
        sb_start(d, i);
        for (uint32_t j = 0; j < s->nargs; j++) {
          const reg *r = &c->regs[s->args[j]];
          uint32_t k = i & r->mask;
          if (!reg_null(r, k)) sb_put(d, r->sp[k], r->sl[k]);
        }
        sb_end(d, i);
        continue;
      }
      default: break;
    }
    bool null = false;
    for (uint32_t j = 0; j < s->nargs && !null; j++) null = reg_null(&c->regs[s->args[j]], i);
    if (null) {
      if (strs)
        sb_null(d, i);
      else if (d->cls == CB)
        d->nul[i] = T_NULL;
      else
        d->nul[i] = 1;
      continue;
    }
    if (d->cls != CB) d->nul[i] = 0;
    const char *p = a->cls == CS ? a->sp[ka] : NULL;
    uint32_t pn = a->cls == CS ? a->sl[ka] : 0;
    switch (s->fn) {
      case F_JSON:
      case F_JSON_STR:
        sb_start(d, i);
        if (!json_pick(p, pn, b, kb, s->fn == F_JSON_STR, d, NULL)) {
          sb_end(d, i);
          d->nul[i] = 1;
          d->sl[i] = 0;
        } else {
          sb_end(d, i);
        }
        break;
      case F_TRIM:
      case F_LTRIM:
      case F_RTRIM: {
        const char *chars = b ? b->sp[kb] : " ";
        uint32_t nchars = b ? b->sl[kb] : 1, from = 0, to = pn;
        if (s->fn != F_RTRIM)
          while (from < to && in_set(p[from], chars, nchars)) from++;
        if (s->fn != F_LTRIM)
          while (to > from && in_set(p[to - 1], chars, nchars)) to--;
        sb_start(d, i);
        sb_put(d, p + from, to - from);
        sb_end(d, i);
        break;
      }
      case F_SUBSTRING: {
        uint32_t from, to;
        substr_range(p, pn, b->i[kb], r3 ? r3->i[k3] : 0, r3 != NULL, &from, &to);
        sb_start(d, i);
        sb_put(d, p + from, to - from);
        sb_end(d, i);
        break;
      }
      case F_LEFT:
      case F_RIGHT: {
        int64_t cnt = b->i[kb], total = utf8_len(p, pn);
        if (cnt < 0) cnt = total + cnt < 0 ? 0 : total + cnt;
        if (cnt > total) cnt = total;
        uint32_t from = s->fn == F_LEFT ? 0 : utf8_skip(p, pn, total - cnt);
        uint32_t to = s->fn == F_LEFT ? utf8_skip(p, pn, cnt) : pn;
        sb_start(d, i);
        sb_put(d, p + from, to - from);
        sb_end(d, i);
        break;
      }
      case F_REVERSE: {
        sb_start(d, i);
        char *o = sb_room(d, pn);
        uint32_t j = pn;
        while (j > 0) {
          uint32_t st = j - 1;
          while (st > 0 && ((uint8_t)p[st] & 0xc0) == 0x80) st--;
          memcpy(o, p + st, j - st);
          o += j - st;
          j = st;
        }
        d->bytes_len += pn;
        sb_end(d, i);
        break;
      }
      case F_REPLACE: {
        const char *f = b->sp[kb], *t = r3->sp[k3];
        uint32_t fn_ = b->sl[kb], tn_ = r3->sl[k3], j = 0;
        sb_start(d, i);
        while (j < pn) {
          if (fn_ && j + fn_ <= pn && !memcmp(p + j, f, fn_)) {
            sb_put(d, t, tn_);
            j += fn_;
          } else {
            sb_put(d, p + j, 1);
            j++;
          }
        }
        sb_end(d, i);
        break;
      }
      case F_SPLIT_PART: {
        const char *dl = b->sp[kb];
        uint32_t dn = b->sl[kb];
        int64_t want = r3->i[k3];
        /* the parts' bounds */
        uint32_t starts[1], from = 0, to = 0;
        (void)starts;
        int64_t nparts = 1;
        if (dn)
          for (uint32_t j = 0; j + dn <= pn; j++)
            if (!memcmp(p + j, dl, dn)) nparts++, j += dn - 1;
        if (!dn) nparts = pn ? pn : 1; /* DuckDB: an empty delimiter splits into characters */
        if (want < 0) want = nparts + want + 1;
        bool ok = want >= 1 && want <= nparts;
        if (ok && dn) {
          int64_t part = 1;
          uint32_t j = 0;
          from = 0;
          for (; j + dn <= pn && part < want; j++)
            if (!memcmp(p + j, dl, dn)) part++, j += dn - 1, from = j + 1;
          if (want == 1) from = 0;
          to = from;
          while (to < pn && !(to + dn <= pn && !memcmp(p + to, dl, dn))) to++;
        } else if (ok) {
          from = utf8_skip(p, pn, want - 1);
          to = from + utf8_skip(p + from, pn - from, 1);
        }
        sb_start(d, i);
        if (ok) sb_put(d, p + from, to - from);
        sb_end(d, i);
        break;
      }
      case F_STARTS_WITH: d->nul[i] = b->sl[kb] <= pn && !memcmp(p, b->sp[kb], b->sl[kb]); break;
      case F_ENDS_WITH:
        d->nul[i] = b->sl[kb] <= pn && !memcmp(p + pn - b->sl[kb], b->sp[kb], b->sl[kb]);
        break;
      case F_STRPOS: {
        const char *q = b->sp[kb];
        uint32_t qn = b->sl[kb];
        int64_t pos = 0;
        if (!qn)
          pos = 1;
        else
          for (uint32_t j = 0; j + qn <= pn; j++)
            if (!memcmp(p + j, q, qn)) {
              pos = utf8_len(p, j) + 1;
              break;
            }
        d->i[i] = pos;
        break;
      }
      case F_REGEXP: {
        pcre2_code *re = s->aux;
        bool constant = !b->mask;
        if (!re || !constant) {
          if (re) pcre2_code_free(re);
          int ec;
          PCRE2_SIZE eo;
          re = pcre2_compile((PCRE2_SPTR)b->sp[kb], b->sl[kb], PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo,
                             NULL);
          s->aux = re;
          if (!re) {
            PCRE2_UCHAR msg[128];
            pcre2_get_error_message(ec, msg, sizeof msg);
            fl_sql_eval_fault(c, s, i, FL_EINVAL, "invalid regular expression '%.*s': %s",
                              (int)(b->sl[kb] > 60 ? 60 : b->sl[kb]), b->sp[kb], (const char *)msg);
            d->nul[i] = T_NULL;
            break;
          }
        }
        if (!md) md = pcre2_match_data_create(1, NULL); /* one per batch, not per row */
        int rc = pcre2_match(re, (PCRE2_SPTR)p, pn, 0, 0, md, NULL);
        d->nul[i] = rc >= 0;
        break;
      }
      case F_ROUND:
      case F_FLOOR:
      case F_CEIL: {
        if (a->cls == CF) {
          double v = a->f[ka];
          if (s->fn == F_FLOOR)
            v = floor(v);
          else if (s->fn == F_CEIL)
            v = ceil(v); /* -0.0 stays (DuckDB prints ceil(-0.5) as -0.0) */
          else {
            double m = b ? pow(10.0, (double)b->i[kb]) : 1;
            v = b ? round(v * m) / m : round(v);
          }
          d->f[i] = v;
          break;
        }
        fl_i128 v = a->cls == CW ? (fl_i128)a->w[ka] : (fl_i128)a->i[ka];
        unsigned sa = a->scale, sd = d->scale;
        int64_t digits = s->fn == F_ROUND ? (b ? s->mb : 0) : 0;
        if (digits > (int64_t)sa) digits = sa;
        if (digits < -(int64_t)38) digits = -38;
        unsigned drop = (unsigned)((int64_t)sa - digits);
        fl_i128 r = v;
        if (drop) {
          fl_i128 m = fl_dec128_pow10(drop);
          if (s->fn == F_ROUND)
            r = div_round(v, drop);
          else {
            fl_i128 q = v / m, rem = v % m;
            if (s->fn == F_FLOOR && rem < 0) q--;
            if (s->fn == F_CEIL && rem > 0) q++;
            r = q;
          }
          /* r is at scale digits; the result's scale is sd (digits < 0: back up to sd = 0) */
          if (digits < 0)
            r *= fl_dec128_pow10((unsigned)-digits);
          else if ((unsigned)digits < sd)
            r *= fl_dec128_pow10(sd - (unsigned)digits);
        }
        if (d->cls == CW)
          d->wbuf[i] = r;
        else
          d->i[i] = (int64_t)r;
        break;
      }
      case F_SQRT:
        d->f[i] = sqrt(a->f[ka]);
        d->nul[i] =
            a->f[ka] < 0
                ? (fl_sql_eval_fault(c, s, i, FL_EINVAL, "cannot take the square root of a negative number"),
                   1)
                : 0;
        break;
      case F_POWER: d->f[i] = pow(a->f[ka], b->f[kb]); break;
      case F_LN:
      case F_LOG10:
        if (a->f[ka] <= 0) {
          d->nul[i] = 1;
          fl_sql_eval_fault(c, s, i, FL_EINVAL, "cannot take the logarithm of %s",
                            a->f[ka] == 0 ? "zero" : "a negative number");
        } else {
          d->f[i] = s->fn == F_LN ? log(a->f[ka]) : log10(a->f[ka]);
        }
        break;
      case F_EXP: d->f[i] = exp(a->f[ka]); break;
      case F_DATE_TRUNC:
      case F_DATE_PART: {
        int part = part_of(p, pn);
        int64_t us = b->i[kb], v = 0;
        bool ok = s->fn == F_DATE_TRUNC ? date_trunc_us(part, us, &v)
                                        : part == P_EPOCH || date_part_us(part, us, &v);
        if (!ok) {
          fl_sql_eval_fault(c, s, i, FL_EINVAL, "unknown %s field '%.*s'",
                            s->fn == F_DATE_TRUNC ? "date_trunc" : "date_part", (int)(pn > 40 ? 40 : pn), p);
          d->nul[i] = 1;
          break;
        }
        if (d->cls == CF)
          d->f[i] = (double)us / 1e6;
        else
          d->i[i] = v;
        break;
      }
      default: d->nul[i] = 1; break;
    }
  }
  if (md) pcre2_match_data_free(md);
  if (strs) sb_finish(d, n);
}
