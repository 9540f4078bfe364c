/* json/parse: the schema-directed JSON parser of event bodies and NDJSON files (see json.h).
 *
 * Why our own: a generic DOM parser builds a tree per event and then copies the
 * values out; here every value goes from the body straight into its column slot, and
 * the schema tells the parser what to expect, so the common event costs one pass
 * over its bytes and no allocation.
 *
 * How one record is read (parse_object):
 *   - keys: events usually list their fields in schema order, so the key is first
 *     compared bytewise with the name of the field after the previous one
 *     ("predicted" field); otherwise it is looked up in a small open-addressing
 *     table of the names (keys with escapes are decoded first). After a value, the
 *     next field in schema order of compact JSON is recognised by its whole
 *     separator `,"name":` in one compare (sep_is): the same bytes the key steps
 *     accept for the predicted field, so the result is the same, in one step.
 *   - values are written into slot `row` (= accepted rows so far) of the column;
 *     only when the whole record is good does `row` advance, so a rejected record
 *     is rolled back by resetting the string columns' byte lengths.
 *   - strings are scanned 16 bytes at a time (SSE2) for '"', '\\', control bytes and
 *     non-ASCII bytes; the rare stops (escapes, UTF-8) take a scalar path.
 *   - fast paths for the shapes producers send, each accepting only what the general
 *     path accepts, with the same value, and leaving everything else (errors
 *     included) to it: integers and plain decimals of up to 7 digits a side read 8
 *     bytes at a time (digit_run8, digits_value), "YYYY-MM-DDTHH:MM:SS[.f]Z" checked
 *     by one 16-byte compare with the day cached (ts_fast), JSON values that are
 *     compact with plain strings skipped without recursion (skip_flat_object,
 *     skip_compact). Without SSE2 the same paths run on scalar code.
 *
 * Bounds without bounds checks: the scanners stop at any control byte, and every
 * record is read where at least PAD readable bytes follow its end: in place for the
 * NDJSON lines that end more than PAD bytes before the end of the body (their '\n'
 * stops every scanner), and from a zero-padded copy for the last lines and for JSON
 * array bodies (the NUL stops them).
 *
 * Memory: the parser owns its batch (reset per call), rows, rejects, the reason
 * arena (reset per call) and a scratch buffer; all grow to the largest body seen.
 * Entry points: fl_json_parser_new/free, fl_json_parse. */
#define _GNU_SOURCE /* memrchr */
#include "json/json.h"

#include <float.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/value.h"

/* Readable bytes required after a record's last byte: covers the 16-byte string
 * loads, a field name compared in place (FL_NAME_MAX) and literal compares. */
#define PAD 128
/* Reason texts quote at most this many bytes of the offending value. */
#define FOUND_MAX 40

typedef struct col_info {
  const char *name;
  uint32_t name_len;
  bool raw_cmp; /* the name can be compared with the raw key bytes */
  /* `name"` as 8-byte words for the in-place key compare (names up to 15 bytes):
   * the first 8 bytes (masked when shorter) and the last 8 */
  uint64_t key_w0, key_w1, key_m0;
  uint32_t key_len; /* name_len + 1 if the words apply, else 0 */
  /* `,"name":`, the bytes between the previous field's value and this one's in compact
   * JSON, compared at once (sep_is); sep_m0: the mask of its first min(len, 16) bytes, an
   * unmatchable 0x10000 when the name is not compared raw or the pattern is over 32 bytes */
  uint32_t sep_len, sep_m0;
  char sep[32];
  bool required;
  fl_type type;
  char type_name[24]; /* "DECIMAL(12,2)" */
  int64_t dec_limit;  /* DECIMAL: 10^precision */
} col_info;

struct fl_json_parser {
  const fl_schema *schema;
  uint32_t ncols;
  col_info *cols;
  int32_t *htab; /* open addressing: column index or -1 */
  uint32_t hmask;
  uint32_t *seen; /* per column: the record generation that set it */
  uint32_t gen;
  fl_batch *batch;  /* its own rows (fl_json_parse) */
  fl_batch *dst;    /* the batch being filled: batch, or fl_json_parse_into's */
  fl_vec **vec;     /* per column: the vector it is read into (batch's, or dst's mapped column) */
  uint32_t row_cap; /* every column's vector has at least this many slots */
  fl_json_row *rows;
  uint32_t rows_cap;
  fl_json_reject *rejects;
  uint32_t rejects_cap;
  uint32_t rejects_sorted; /* rejects[0..rejects_sorted) are in line order */
  fl_arena arena;          /* reason texts */
  char *scratch;           /* padded copies of the body tail or of an array body */
  size_t scratch_cap;
  char *tmp; /* decoded strings for non-STRING columns, keys */
  size_t tmp_cap;
  fl_value *defaults;  /* per column, for absent fields (is_null: none); NULL = no defaults */
  fl_arena opt_arena;  /* copies of the defaults' strings */
  bool unknown_reject; /* a field not in the schema rejects its record */
  bool ndjson_only;    /* a body is lines even when it starts with '[' (files) */
  /* ts_fast's day: the first 10 bytes of the last date it read ("2026-11-20") and
   * that date's days since the epoch; 0 bytes never match (they are digits) */
  uint64_t day_w0;
  uint16_t day_w1;
  int64_t day;
};

/* The state of one call. */
typedef struct ctx {
  fl_json_parser *p;
  uint32_t nseen;    /* columns set in the current record (first settings only) */
  const char *base;  /* the buffer being read */
  const char *end;   /* its end (a '\n' or NUL follows) */
  int64_t base_off;  /* body offset of base[0] */
  const uint8_t *ws; /* whitespace table of the mode */
  uint32_t row;      /* the slot being read */
  uint32_t row0;     /* the first slot of this call (rows[row - row0] describes slot row) */
  /* the record's first failure; kind 1 = value error (the record is still read to
   * its end), 2 = syntax error (reading stops) */
  int err_kind;
  const char *err_field;
  char reason[256];
  uint32_t unknown; /* fields not in the schema in the current record */
  bool blank;       /* skip_ws skipped a blank (reset before a JSON column's value) */
} ctx;

/* Whitespace: in NDJSON a newline ends the record, so it is not whitespace there. */
static const uint8_t ws_ndjson[256] = {[' '] = 1, ['\t'] = 1, ['\r'] = 1};
static const uint8_t ws_array[256] = {[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1};

static inline const char *skip_ws(ctx *c, const char *s) {
  if (__builtin_expect((uint8_t)*s > ' ', 1)) return s; /* no whitespace: the usual case */
  const char *st = s;
  while (c->ws[(uint8_t)*s]) s++;
  c->blank |= s != st; /* a JSON column's value must be compacted */
  return s;
}

/* ---- errors ------------------------------------------------------------------ */

/* Quotes a value for a reason: at most FOUND_MAX bytes, non-printable or non-ASCII
 * bytes as '?', so reasons are always valid UTF-8 and one line. */
static void quote_found(char *out, size_t out_size, const char *s, size_t n) {
  size_t k = 0;
  bool cut = n > FOUND_MAX;
  if (cut) n = FOUND_MAX;
  for (size_t i = 0; i < n && k + 5 < out_size; i++) {
    uint8_t ch = (uint8_t)s[i];
    out[k++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
  }
  if (cut && k + 4 < out_size) {
    memcpy(out + k, "...", 3);
    k += 3;
  }
  out[k] = 0;
}

static const char *syntax(ctx *c, const char *at, const char *what) {
  if (c->err_kind == 2) return NULL;
  c->err_kind = 2;
  c->err_field = NULL;
  char found[64];
  if (*at == '\n' || (*at == 0 && at >= c->end))
    snprintf(found, sizeof found, "end of line");
  else {
    char q[FOUND_MAX + 8];
    size_t n = 0;
    while (n < 16 && at + n < c->end && at[n] != '\n') n++;
    quote_found(q, sizeof q, at, n);
    snprintf(found, sizeof found, "'%s'", q);
  }
  snprintf(c->reason, sizeof c->reason, "invalid JSON: %s, found %s", what, found);
  return NULL;
}

static void value_error(ctx *c, uint32_t col, const char *fmt, const char *v, size_t n) {
  if (c->err_kind) return;
  c->err_kind = 1;
  c->err_field = c->p->cols[col].name;
  char q[FOUND_MAX + 8];
  quote_found(q, sizeof q, v, n);
  snprintf(c->reason, sizeof c->reason, fmt, c->p->cols[col].name, c->p->cols[col].type_name, q);
}

/* ---- strings ----------------------------------------------------------------- */

/* First byte at or after s that is '"', '\\', a control byte or non-ASCII. */
static inline const char *str_stop(const char *s) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), low = _mm_set1_epi8(0x20);
  for (;;) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    /* signed compare: bytes 0x00-0x1f and 0x80-0xff are both "< 0x20" */
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                             _mm_cmplt_epi8(v, low));
    unsigned mask = (unsigned)_mm_movemask_epi8(m);
    if (mask) return s + __builtin_ctz(mask);
    s += 16;
  }
#else
  for (;;) {
    uint8_t ch = (uint8_t)*s;
    if (ch == '"' || ch == '\\' || ch < 0x20 || ch >= 0x80) return s;
    s++;
  }
#endif
}

/* Length of the UTF-8 sequence at s (1-4), or 0 if invalid (overlong, surrogate,
 * beyond U+10FFFF, truncated). */
static size_t utf8_len(const uint8_t *s) {
  uint8_t a = s[0];
  if (a < 0x80) return 1;
  if (a < 0xc2) return 0;
  if (a < 0xe0) return (s[1] & 0xc0) == 0x80 ? 2 : 0;
  if (a < 0xf0) {
    if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) return 0;
    if (a == 0xe0 && s[1] < 0xa0) return 0;
    if (a == 0xed && s[1] >= 0xa0) return 0;
    return 3;
  }
  if (a < 0xf5) {
    if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80) return 0;
    if (a == 0xf0 && s[1] < 0x90) return 0;
    if (a == 0xf4 && s[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static bool hex4(const char *s, uint32_t *v) {
  uint32_t r = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(s[i]);
    if (h < 0) return false;
    r = r << 4 | (uint32_t)h;
  }
  *v = r;
  return true;
}

static size_t put_utf8(char *o, uint32_t cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xc0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | cp >> 12);
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | cp >> 18);
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* Reads a string whose opening quote is at s[-1]. If out is not NULL, the decoded
 * bytes are written there (at most as many as the raw text) and *out_len set.
 * Returns the byte after the closing quote, or NULL (syntax error set; invalid
 * UTF-8 is reported with the field `col` when col >= 0). */
static const char *read_string(ctx *c, const char *s, char *out, size_t *out_len, int col) {
  size_t o = 0;
  for (;;) {
    const char *e = str_stop(s);
    if (out && e > s) memcpy(out + o, s, (size_t)(e - s));
    o += (size_t)(e - s);
    s = e;
    uint8_t ch = (uint8_t)*s;
    if (ch == '"') {
      if (out_len) *out_len = o;
      return s + 1;
    }
    if (ch >= 0x80) {
      size_t n = utf8_len((const uint8_t *)s);
      if (!n) { /* the record is rejected; reading goes on to find its end */
        if (!c->err_kind) {
          c->err_kind = 1;
          c->err_field = col >= 0 ? c->p->cols[col].name : NULL;
          if (col >= 0)
            snprintf(c->reason, sizeof c->reason, "field %s: invalid UTF-8 in a string", c->err_field);
          else
            snprintf(c->reason, sizeof c->reason, "invalid UTF-8 in a string");
        }
        n = 1;
      }
      if (out) memcpy(out + o, s, n);
      o += n;
      s += n;
      continue;
    }
    if (ch == '\\') {
      char esc = s[1], dec;
      switch (esc) {
        case '"': dec = '"'; break;
        case '\\': dec = '\\'; break;
        case '/': dec = '/'; break;
        case 'b': dec = '\b'; break;
        case 'f': dec = '\f'; break;
        case 'n': dec = '\n'; break;
        case 'r': dec = '\r'; break;
        case 't': dec = '\t'; break;
        case 'u': {
          uint32_t cp, lo;
          if (!hex4(s + 2, &cp)) return syntax(c, s, "bad \\u escape in a string");
          s += 6;
          if (cp >= 0xd800 && cp < 0xdc00) {
            if (s[0] != '\\' || s[1] != 'u' || !hex4(s + 2, &lo) || lo < 0xdc00 || lo >= 0xe000)
              return syntax(c, s - 6, "unpaired surrogate in a \\u escape");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            s += 6;
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            return syntax(c, s - 6, "unpaired surrogate in a \\u escape");
          }
          char u[4];
          size_t n = put_utf8(u, cp);
          if (out) memcpy(out + o, u, n);
          o += n;
          continue;
        }
        default: return syntax(c, s, "bad escape in a string");
      }
      if (out) out[o] = dec;
      o++;
      s += 2;
      continue;
    }
    bool eol = (ch == '\n' && c->ws == ws_ndjson) || s >= c->end;
    return syntax(c, s, eol ? "unterminated string" : "control character in a string");
  }
}

/* ---- skipping values (unknown fields, JSON columns, after an error) ---------- */

static const char *skip_value(ctx *c, const char *s, int depth);

/* The end of the JSON number at s, or NULL if it is not one. */
static inline const char *scan_number(const char *s) {
  if (*s == '-') s++;
  if (*s == '0')
    s++;
  else if (*s >= '1' && *s <= '9')
    while (*s >= '0' && *s <= '9') s++;
  else
    return NULL;
  if (*s == '.') {
    s++;
    if (!(*s >= '0' && *s <= '9')) return NULL;
    while (*s >= '0' && *s <= '9') s++;
  }
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-') s++;
    if (!(*s >= '0' && *s <= '9')) return NULL;
    while (*s >= '0' && *s <= '9') s++;
  }
  return s;
}

static const char *skip_number(ctx *c, const char *s) {
  const char *e = scan_number(s);
  return e ? e : syntax(c, s, "bad number");
}

/* Skips the string whose opening quote is at s[-1]: plain ASCII without escapes (the
 * usual key or value) in one scan, else read_string's checks. */
static inline const char *skip_string(ctx *c, const char *s) {
  const char *e = str_stop(s);
  return *e == '"' ? e + 1 : read_string(c, s, NULL, NULL, -1);
}

static const char *skip_value(ctx *c, const char *s, int depth) {
  switch (*s) {
    case '"': return skip_string(c, s + 1);
    case '{':
    case '[': {
      char close = *s == '{' ? '}' : ']';
      bool obj = *s == '{';
      if (depth >= FL_JSON_DEPTH_MAX) {
        if (c->err_kind == 2) return NULL;
        c->err_kind = 2;
        c->err_field = NULL;
        snprintf(c->reason, sizeof c->reason, "nesting deeper than %d levels", FL_JSON_DEPTH_MAX);
        return NULL;
      }
      s = skip_ws(c, s + 1);
      if (*s == close) return s + 1;
      for (;;) {
        if (obj) {
          if (*s != '"') return syntax(c, s, "expected a field name");
          s = skip_string(c, s + 1);
          if (!s) return NULL;
          s = skip_ws(c, s);
          if (*s != ':') return syntax(c, s, "expected ':' after a field name");
          s = skip_ws(c, s + 1);
        }
        s = skip_value(c, s, depth + 1);
        if (!s) return NULL;
        s = skip_ws(c, s);
        if (*s == ',') {
          s = skip_ws(c, s + 1);
          continue;
        }
        if (*s == close) return s + 1;
        return syntax(c, s, obj ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
    case 't':
      if (!memcmp(s, "true", 4)) return s + 4;
      break;
    case 'f':
      if (!memcmp(s, "false", 5)) return s + 5;
      break;
    case 'n':
      if (!memcmp(s, "null", 4)) return s + 4;
      break;
    default:
      if (*s == '-' || (*s >= '0' && *s <= '9')) return skip_number(c, s);
      break;
  }
  return syntax(c, s, "expected a value");
}

/* The end of the scalar at s in compact JSON (a plain ASCII string without escapes,
 * true, false, null or a number), or NULL for anything else ('{' and '[' included):
 * the value steps skip_compact and skip_flat_object share. */
static inline const char *skip_compact_scalar(const char *s) {
  const char *e;
  switch (*s) {
    case '"': e = str_stop(s + 1); return *e == '"' ? e + 1 : NULL;
    case 't': return memcmp(s, "true", 4) ? NULL : s + 4;
    case 'f': return memcmp(s, "false", 5) ? NULL : s + 5;
    case 'n': return memcmp(s, "null", 4) ? NULL : s + 4;
    default: return scan_number(s);
  }
}

/* Nesting skip_compact follows itself: well below FL_JSON_DEPTH_MAX, so it never
 * meets that limit (deeper values take skip_value, which reports it). */
#define COMPACT_DEPTH_MAX 32

/* The end of the value at s if it is compact JSON (no blanks) whose strings are plain
 * ASCII without escapes, nested at most COMPACT_DEPTH_MAX levels: the usual JSON
 * column or unknown field, checked in one loop without recursion. NULL for anything
 * else, bad JSON included: the caller then runs skip_value from s, which finds the
 * same end or reports the error, and notes blanks (it sets no state here). */
static const char *skip_compact(const char *s) {
  uint64_t in_obj = 0; /* bit d: level d + 1 is an object (else an array) */
  int depth = 0;
  for (;;) {
    switch (*s) { /* a value */
      case '{':
      case '[':
        if (depth == COMPACT_DEPTH_MAX) return NULL;
        if (s[1] == (*s == '{' ? '}' : ']')) {
          s += 2;
          break;
        }
        in_obj = (in_obj & ~((uint64_t)1 << depth)) | (uint64_t)(*s == '{') << depth;
        depth++;
        s++;
        goto element;
      default:
        if (!(s = skip_compact_scalar(s))) return NULL;
        break;
    }
    for (;;) { /* after a value */
      if (!depth) return s;
      bool obj = (in_obj >> (depth - 1)) & 1;
      if (*s == ',') {
        s++;
        break;
      }
      if (*s != (obj ? '}' : ']')) return NULL;
      depth--;
      s++;
    }
  element:
    if ((in_obj >> (depth - 1)) & 1) { /* "key": */
      if (*s != '"') return NULL;
      const char *e = str_stop(s + 1);
      if (*e != '"' || e[1] != ':') return NULL;
      s = e + 2;
    }
  }
}

/* The end of the flat compact object at s ('{': "key":scalar pairs, no blanks, plain
 * ASCII strings without escapes), the usual JSON column ({"channel":"web",
 * "coupon":false}), without skip_compact's nesting bookkeeping; NULL for anything
 * else (a nested value included). */
static inline const char *skip_flat_object(const char *s) {
  if (s[1] == '}') return s + 2;
  s++;
  for (;;) {
    if (*s != '"') return NULL;
    const char *e = str_stop(s + 1);
    if (*e != '"' || e[1] != ':') return NULL;
    if (!(s = skip_compact_scalar(e + 2))) return NULL; /* '{' and '[' too */
    if (*s != ',') return *s == '}' ? s + 1 : NULL;
    s++;
  }
}

/* skip_value for a field's value: a flat object's loop or skip_compact's, else
 * skip_value's. */
static inline const char *skip_field_value(ctx *c, const char *s) {
  const char *e = *s == '{' ? skip_flat_object(s) : NULL;
  if (!e) e = skip_compact(s);
  return e ? e : skip_value(c, s, 1);
}

/* ---- numbers, timestamps ----------------------------------------------------- */

/* Integer literal [s, e) (JSON grammar already checked or to check here): digits
 * only, optional '-'. false if not an integer or out of int64. */
static bool int_literal(const char *s, const char *e, int64_t *v) {
  bool neg = false;
  if (s < e && *s == '-') {
    neg = true;
    s++;
  }
  size_t n = (size_t)(e - s);
  if (n == 0 || n > 19) return false;
  if (n > 1 && *s == '0') return false;
  uint64_t u = 0;
  for (; s < e; s++) {
    if (*s < '0' || *s > '9') return false;
    u = u * 10 + (uint64_t)(*s - '0');
  }
  if (n == 19) {
    /* 19 digits may have wrapped past 2^64: 10^19 > 2^63, check against the bound */
    if (u > (uint64_t)INT64_MAX + (neg ? 1u : 0u) || u < 1000000000000000000ull) return false;
  }
  if (neg)
    *v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
  else
    *v = (int64_t)u;
  return true;
}

static const double pow10d[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A JSON number [s, e) as a double: exact (Clinger's fast path) when the digits fit
 * 2^53 and the power of ten is at most 22, strtod otherwise. */
static double to_double(ctx *c, const char *s, const char *e) {
  const char *q = s;
  bool neg = *q == '-';
  if (neg) q++;
  uint64_t m = 0;
  int digits = 0, exp10 = 0;
  for (; q < e && *q >= '0' && *q <= '9'; q++, digits++) m = m * 10 + (uint64_t)(*q - '0');
  if (q < e && *q == '.') {
    for (q++; q < e && *q >= '0' && *q <= '9'; q++, digits++, exp10--) m = m * 10 + (uint64_t)(*q - '0');
  }
  if (q == e && digits <= 15 && exp10 >= -22) {
    double d = (double)m;
    d = exp10 < 0 ? d / pow10d[-exp10] : d;
    return neg ? -d : d;
  }
  /* exponent, many digits: strtod on a NUL-terminated copy (C locale) */
  size_t n = (size_t)(e - s);
  if (n + 1 > c->p->tmp_cap) {
    c->p->tmp_cap = n + 1;
    c->p->tmp = fl_realloc(c->p->tmp, c->p->tmp_cap);
  }
  memcpy(c->p->tmp, s, n);
  c->p->tmp[n] = 0;
  return strtod(c->p->tmp, NULL);
}

/* Exact decimal from text [s, e) (a JSON number or a string's content); exponent
 * forms go to fl_decimal_parse. */
static bool to_decimal_plain(const col_info *ci, const char *s, const char *e, int64_t *out) {
  const char *q = s;
  bool neg = false;
  if (q < e && (*q == '-' || *q == '+')) neg = *q++ == '-';
  uint64_t v = 0;
  unsigned id = 0, fd = 0, scale = ci->type.scale;
  const char *d0 = q;
  while (q < e && *q == '0') q++; /* leading zeros count for nothing */
  for (; q < e && *q >= '0' && *q <= '9'; q++) {
    if (++id > (unsigned)(ci->type.precision - scale)) return false;
    v = v * 10 + (uint64_t)(*q - '0');
  }
  bool any = q > d0;
  if (q < e && *q == '.') {
    q++;
    for (; q < e && *q >= '0' && *q <= '9'; q++) {
      any = true;
      if (fd == scale) {
        if (*q != '0') return false;
        continue;
      }
      v = v * 10 + (uint64_t)(*q - '0');
      fd++;
    }
  }
  if (!any) return false;
  if (q != e) return false;
  v *= (uint64_t)fl_pow10_i64[scale - fd];
  if (v >= (uint64_t)ci->dec_limit) return false;
  *out = neg ? -(int64_t)v : (int64_t)v;
  return true;
}

static bool to_decimal(const col_info *ci, const char *s, const char *e, int64_t *out) {
  if (to_decimal_plain(ci, s, e, out)) return true;
  size_t n = (size_t)(e - s);
  if (!memchr(s, 'e', n) && !memchr(s, 'E', n)) return false;
  return fl_decimal_parse(s, n, ci->type.precision, ci->type.scale, out);
}

static inline unsigned d2(const char *s) { return (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0'); }
static inline bool isd(char ch) { return ch >= '0' && ch <= '9'; }

static inline uint64_t load64(const char *s) {
  uint64_t v;
  memcpy(&v, s, 8);
  return v;
}

/* The count of ASCII digits that start the 8 bytes at s (8: all of them, more may
 * follow); *dv: the 8 bytes minus '0' (a digit's value in its byte, little-endian).
 * A byte is a digit when (b ^ '0') <= 9: adding 0x76 sets the top bit of anything
 * above 9, the OR catches bytes >= 0x80; a carry only ever goes up, past the first
 * non-digit, so the lowest flagged byte is exact. */
static inline unsigned digit_run8(const char *s, uint64_t *dv) {
  uint64_t d = load64(s) ^ 0x3030303030303030ull;
  uint64_t bad = ((d + 0x7676767676767676ull) | d) & 0x8080808080808080ull;
  *dv = d;
  return bad ? (unsigned)__builtin_ctzll(bad) >> 3 : 8;
}

/* The value of the first n (1..8) digits of dv (digit_run8's): shifted so that zero
 * bytes lead, then pairs, quads and the eight combined by multiplications (the
 * bytes after the n-th fall off the top). */
static inline uint64_t digits_value(uint64_t dv, unsigned n) {
  FL_ASSERT(n >= 1 && n <= 8, "json: %u digits", n);
  uint64_t d = dv << (8 * (8 - n));
  d = d * 10 + (d >> 8);
  return ((d & 0x000000ff000000ffull) * 0x000f424000000064ull +
          ((d >> 16) & 0x000000ff000000ffull) * 0x0000271000000001ull) >>
         32;
}

/* "YYYY-MM-DDTHH:MM:SS[.f]Z": the shape producers send, parsed inline; anything
 * else goes to fl_ts_parse. */
static bool to_ts(const char *s, size_t n, int64_t *out) {
  if (n >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') &&
      s[13] == ':' && s[16] == ':' && (s[n - 1] == 'Z' || s[n - 1] == 'z') && isd(s[0]) && isd(s[1]) &&
      isd(s[2]) && isd(s[3]) && isd(s[5]) && isd(s[6]) && isd(s[8]) && isd(s[9]) && isd(s[11]) &&
      isd(s[12]) && isd(s[14]) && isd(s[15]) && isd(s[17]) && isd(s[18])) {
    unsigned y = d2(s) * 100 + d2(s + 2), mo = d2(s + 5), d = d2(s + 8);
    unsigned h = d2(s + 11), mi = d2(s + 14), sec = d2(s + 17);
    static const uint8_t mdays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo] || h > 23 || mi > 59 || sec > 60) return false;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
    int64_t frac = 0;
    size_t i = 19;
    if (s[i] == '.') {
      i++;
      size_t st = i;
      while (i < n - 1 && i < st + 6 && isd(s[i])) frac = frac * 10 + (s[i++] - '0');
      frac *= fl_pow10_i64[6 - (i - st)];
      while (i < n - 1 && isd(s[i])) i++; /* beyond micros: truncated */
      if (i == st) return false;
    }
    if (i != n - 1) return fl_ts_parse(s, n, out);
    int64_t days = fl_days_from_civil(y, mo, d);
    *out = (days * 86400 + h * 3600 + mi * 60 + sec) * 1000000 + frac;
    return true;
  }
  return fl_ts_parse(s, n, out);
}

/* ---- one field ---------------------------------------------------------------- */

static inline void set_valid(fl_vec *v, uint32_t row, bool valid) { fl_vec_set_valid(v, row, valid); }

/* Appends s[0..n) as the value of slot row (put_bytes: not yet marked valid). Short
 * strings (most of an event's) are copied as one or two 16-byte blocks: s has PAD
 * readable bytes after it, and the column keeps 32 bytes of slack. */
static inline void put_bytes(fl_vec *v, uint32_t row, const char *s, size_t n) {
  if (v->bytes_cap - v->bytes_len < n + 32) fl_vec_reserve_bytes(v, n + 32);
#ifdef __SSE2__
  char *d = v->bytes + v->bytes_len;
  if (n <= 32) {
    _mm_storeu_si128((__m128i *)(void *)d, _mm_loadu_si128((const __m128i *)(const void *)s));
    if (n > 16)
      _mm_storeu_si128((__m128i *)(void *)(d + 16), _mm_loadu_si128((const __m128i *)(const void *)(s + 16)));
  } else {
    memcpy(d, s, n);
  }
#else
  memcpy(v->bytes + v->bytes_len, s, n);
#endif
  v->bytes_len += n;
  v->offsets[row + 1] = (uint32_t)v->bytes_len;
}

static inline void put_str(fl_vec *v, uint32_t row, const char *s, size_t n) {
  put_bytes(v, row, s, n);
  set_valid(v, row, true);
}

static void put_null(fl_vec *v, fl_type_kind kind, uint32_t row) {
  set_valid(v, row, false);
  switch (kind) {
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: v->offsets[row + 1] = (uint32_t)v->bytes_len; break;
    case FL_T_BOOLEAN: v->data.b[row] = 0; break;
    case FL_T_INT:
    case FL_T_DATE: v->data.i32[row] = 0; break;
    case FL_T_FLOAT: v->data.f32[row] = 0; break;
    case FL_T_DOUBLE: v->data.f64[row] = 0; break;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: v->data.i64[row] = 0; break;
    case FL_T_DECIMAL: fl_vec_set_dec(v, row, 0); break;
  }
}

/* JSON columns store the value's text with the blanks outside strings removed
 * (numbers keep their spelling, keys their order and escapes their form): one
 * spelling per value whatever the producer's layout. Most producers send compact
 * JSON, so the copy that drops blanks runs only when skip_value met one (c->blank). */
__attribute__((noinline, cold)) static void put_json_compact(fl_vec *v, uint32_t row, const char *s,
                                                             size_t n) {
  if (v->bytes_cap - v->bytes_len < n + 32) fl_vec_reserve_bytes(v, n + 32);
  char *d = v->bytes + v->bytes_len;
  size_t k = 0;
  bool in_str = false;
  for (size_t i = 0; i < n; i++) { /* s is a valid JSON value: an escape never ends it */
    char ch = s[i];
    if (in_str) {
      d[k++] = ch;
      if (ch == '\\')
        d[k++] = s[++i];
      else if (ch == '"')
        in_str = false;
      continue;
    }
    if (ws_array[(uint8_t)ch]) continue;
    in_str = ch == '"';
    d[k++] = ch;
  }
  v->bytes_len += k;
  v->offsets[row + 1] = (uint32_t)v->bytes_len;
  set_valid(v, row, true);
}

/* A default value (already of the column's type) into slot row. */
__attribute__((noinline)) static void put_value(fl_vec *v, const fl_value *val, uint32_t row) {
  switch (v->type.kind) {
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: {
      uint32_t n = val->u.str.len;
      if (v->bytes_cap - v->bytes_len < n) fl_vec_reserve_bytes(v, n);
      memcpy(v->bytes + v->bytes_len, val->u.str.ptr, n);
      v->bytes_len += n;
      v->offsets[row + 1] = (uint32_t)v->bytes_len;
      break;
    }
    case FL_T_BOOLEAN: v->data.b[row] = val->u.b; break;
    case FL_T_INT:
    case FL_T_DATE: v->data.i32[row] = val->u.i32; break;
    case FL_T_FLOAT: v->data.f32[row] = val->u.f32; break;
    case FL_T_DOUBLE: v->data.f64[row] = val->u.f64; break;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: v->data.i64[row] = val->u.i64; break;
    case FL_T_DECIMAL: fl_vec_set_dec(v, row, fl_value_dec(val)); break;
  }
  set_valid(v, row, true);
}

static void ensure_tmp(fl_json_parser *p, size_t n) {
  if (n <= p->tmp_cap) return;
  size_t cap = p->tmp_cap ? p->tmp_cap : 256;
  while (cap < n) cap *= 2;
  fl_free(p->tmp);
  p->tmp = fl_malloc(cap);
  p->tmp_cap = cap;
}

/* An integer literal of at most 18 digits; NULL for anything else (longer, a fraction
 * or exponent, a leading zero: the general path decides). Up to 7 digits (ids,
 * counts) in one 8-byte step, longer ones a digit at a time. */
static inline const char *fast_int(const char *s, int64_t *v) {
  bool neg = *s == '-';
  const char *q = s + neg, *d0 = q;
  uint64_t dv, u = 0;
  unsigned n = digit_run8(q, &dv);
  if (n == 0 || (*q == '0' && n > 1)) return NULL;
  if (n < 8) {
    u = digits_value(dv, n);
    q += n;
  } else {
    while (isd(*q) && q - d0 < 18) u = u * 10 + (uint64_t)(*q++ - '0');
    if (isd(*q)) return NULL;
  }
  if (*q == '.' || *q == 'e' || *q == 'E') return NULL;
  *v = neg ? -(int64_t)u : (int64_t)u;
  return q;
}

/* A DECIMAL(p,s) of at most 18 digits written as a plain number with at most 7 integer
 * and 1..s (or no) fraction digits, the usual amount: straight into the scaled
 * integer. NULL for anything else (the general path decides, with the same value for
 * what this accepts: to_decimal_plain's digits, scale and precision rules). */
static inline const char *dec_fast(const col_info *ci, const char *s, int64_t *out) {
  bool neg = *s == '-';
  const char *q = s + neg;
  uint64_t dv;
  unsigned n = digit_run8(q, &dv), scale = ci->type.scale;
  if (n == 0 || n == 8 || (*q == '0' && n > 1)) return NULL;
  unsigned int_digits = *q == '0' ? 0 : n; /* "0.5": no integer digit counts */
  if (int_digits > (unsigned)(ci->type.precision - scale)) return NULL;
  uint64_t x = digits_value(dv, n) * (uint64_t)fl_pow10_i64[scale];
  q += n;
  if (*q == '.') {
    unsigned nf = digit_run8(q + 1, &dv);
    /* "1." is bad; digits beyond the scale must be zeros; 8: more may follow */
    if (nf == 0 || nf == 8 || nf > scale) return NULL;
    x += digits_value(dv, nf) * (uint64_t)fl_pow10_i64[scale - nf];
    q += 1 + nf;
  }
  if (*q == 'e' || *q == 'E') return NULL;
  FL_ASSERT(x < (uint64_t)ci->dec_limit, "json: %s: %llu", ci->name, (unsigned long long)x);
  *out = neg ? -(int64_t)x : (int64_t)x;
  return q;
}

/* A TIMESTAMP string of the shape producers send, "YYYY-MM-DDTHH:MM:SS[.f]Z" with 1..7
 * fraction digits, at s (after the opening quote): the layout checked with one
 * 16-byte compare, the day taken from the parser's one-day cache when its 10 bytes
 * repeat (a stream's events come in time order). Returns the byte after the closing
 * quote, or NULL for anything else (to_ts then decides, with the same value for what
 * this accepts). */
static inline const char *ts_fast(fl_json_parser *p, const char *s, int64_t *out) {
#ifdef __SSE2__
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
  __m128i t = _mm_sub_epi8(v, _mm_set1_epi8('0'));
  unsigned dig = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t));
  unsigned pun = (unsigned)_mm_movemask_epi8(
      _mm_cmpeq_epi8(v, _mm_setr_epi8(0, 0, 0, 0, '-', 0, 0, '-', 0, 0, 'T', 0, 0, ':', 0, 0)));
  /* digits at 0-3, 5-6, 8-9, 11-12, 14-15; '-' at 4 and 7, 'T' at 10, ':' at 13 */
  if ((dig & 0xdb6f) != 0xdb6f || (pun & 0x2490) != 0x2490) return NULL;
#else
  if (!(isd(s[0]) && isd(s[1]) && isd(s[2]) && isd(s[3]) && s[4] == '-' && isd(s[5]) && isd(s[6]) &&
        s[7] == '-' && isd(s[8]) && isd(s[9]) && s[10] == 'T' && isd(s[11]) && isd(s[12]) && s[13] == ':' &&
        isd(s[14]) && isd(s[15])))
    return NULL;
#endif
  if (s[16] != ':' || !isd(s[17]) || !isd(s[18])) return NULL;
  const char *q = s + 19;
  int64_t frac = 0;
  if (*q == '.') {
    uint64_t dv;
    unsigned n = digit_run8(q + 1, &dv);
    if (n == 0 || n == 8) return NULL;
    unsigned micro_digits = n < 6 ? n : 6; /* beyond micros: truncated */
    frac = (int64_t)digits_value(dv, micro_digits) * fl_pow10_i64[6 - micro_digits];
    q += 1 + n;
  }
  if (q[0] != 'Z' || q[1] != '"') return NULL;
  unsigned h = d2(s + 11), mi = d2(s + 14), sec = d2(s + 17);
  if (h > 23 || mi > 59 || sec > 60) return NULL;
  uint64_t day_w0 = load64(s);
  uint16_t day_w1;
  memcpy(&day_w1, s + 8, 2);
  if (day_w0 != p->day_w0 || day_w1 != p->day_w1) {
    unsigned y = d2(s) * 100 + d2(s + 2), mo = d2(s + 5), d = d2(s + 8);
    static const uint8_t mdays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo]) return NULL;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return NULL;
    p->day = fl_days_from_civil(y, mo, d);
    p->day_w0 = day_w0;
    p->day_w1 = day_w1;
  }
  *out = (p->day * 86400 + h * 3600 + mi * 60 + sec) * 1000000 + frac;
  return q + 2;
}

#define EXPECTED "field %s: expected %s, found %s"

/* Reads the value at s into column col, slot c->row. Returns the byte after it,
 * or NULL on a syntax error. A value of the wrong type is a value error (the value
 * is skipped and reading goes on). */
static const char *parse_field(ctx *c, const col_info *ci, uint32_t col, uint32_t row, const char *s) {
  fl_json_parser *p = c->p; /* ci is &p->cols[col], row is c->row */
  fl_vec *v = p->vec[col];
  fl_type_kind kind = ci->type.kind;
  const uint32_t vword = row >> 6; /* slot row's validity bit, once per field */
  const uint64_t vbit = (uint64_t)1 << (row & 63);
  if (p->seen[col] != p->gen) {
    p->seen[col] = p->gen;
    c->nseen++;
  } else if (fl_type_is_bytes(kind)) { /* given twice: the last one wins */
    v->bytes_len = v->offsets[row];
  }
  if (*s == 'n') {
    if (memcmp(s, "null", 4)) return syntax(c, s, "expected a value");
    if (ci->required && !c->err_kind) {
      c->err_kind = 1;
      c->err_field = ci->name;
      snprintf(c->reason, sizeof c->reason, "field %s: null in a NOT NULL column", ci->name);
    }
    put_null(v, kind, row);
    return s + 4;
  }
  switch (kind) {
    case FL_T_STRING: {
      if (*s != '"') break;
      const char *st = s + 1;
      const char *e = str_stop(st);
      if (*e == '"') { /* plain ASCII, no escapes: the common case */
        put_bytes(v, row, st, (size_t)(e - st));
        v->validity[vword] |= vbit;
        return e + 1;
      }
      /* decoded text is never longer than the raw text: scan first, then decode */
      const char *end = read_string(c, st, NULL, NULL, (int)col);
      if (!end) return NULL;
      size_t raw = (size_t)(end - 1 - st), n = 0;
      if (v->bytes_cap - v->bytes_len < raw) fl_vec_reserve_bytes(v, raw);
      read_string(c, st, v->bytes + v->bytes_len, &n, (int)col);
      v->bytes_len += n;
      v->offsets[row + 1] = (uint32_t)v->bytes_len;
      v->validity[vword] |= vbit;
      return end;
    }
    case FL_T_JSON: {
      c->blank = false;
      const char *e = skip_field_value(c, s);
      if (!e) return NULL;
      if (c->blank)
        put_json_compact(v, row, s, (size_t)(e - s));
      else
        put_str(v, row, s, (size_t)(e - s));
      return e;
    }
    case FL_T_BOOLEAN:
      if (*s == 't' && !memcmp(s, "true", 4)) {
        v->data.b[row] = 1;
        v->validity[vword] |= vbit;
        return s + 4;
      }
      if (*s == 'f' && !memcmp(s, "false", 5)) {
        v->data.b[row] = 0;
        v->validity[vword] |= vbit;
        return s + 5;
      }
      break;
    case FL_T_DOUBLE:
    case FL_T_FLOAT: {
      if (!(*s == '-' || isd(*s))) break;
      const char *e = skip_number(c, s);
      if (!e) return NULL;
      double d = to_double(c, s, e);
      /* out of range; a REAL takes what rounds to a finite float: |d| below FLT_MAX plus
       * half its ulp (3.4028235e38, FLT_MAX's shortest spelling, is above FLT_MAX) */
      if (__builtin_isinf(d) || (kind == FL_T_FLOAT && (d >= 0x1.ffffffp+127 || d <= -0x1.ffffffp+127))) {
        value_error(c, col, EXPECTED, s, (size_t)(e - s));
        return e;
      }
      if (kind == FL_T_DOUBLE)
        v->data.f64[row] = d;
      else
        v->data.f32[row] = (float)d;
      v->validity[vword] |= vbit;
      return e;
    }
    case FL_T_BIGINT:
    case FL_T_INT: {
      if (!(*s == '-' || isd(*s))) break;
      int64_t x;
      const char *e = fast_int(s, &x);
      if (!e) break;
      if (kind == FL_T_BIGINT) {
        v->data.i64[row] = x;
      } else {
        if (x < INT32_MIN || x > INT32_MAX) break;
        v->data.i32[row] = (int32_t)x;
      }
      v->validity[vword] |= vbit;
      return e;
    }
    case FL_T_DECIMAL: {
      if (!ci->dec_limit || !(*s == '-' || isd(*s))) break;
      int64_t x;
      const char *e = dec_fast(ci, s, &x);
      if (!e) break;
      v->data.i64[row] = x;
      v->validity[vword] |= vbit;
      return e;
    }
    case FL_T_TIMESTAMP: {
      if (*s != '"') break;
      int64_t x;
      const char *e = ts_fast(p, s + 1, &x);
      if (!e) break;
      v->data.i64[row] = x;
      v->validity[vword] |= vbit;
      return e;
    }
    default: break;
  }
  if (kind == FL_T_STRING || kind == FL_T_BOOLEAN || kind == FL_T_DOUBLE || kind == FL_T_FLOAT) {
    const char *e = skip_value(c, s, 1);
    if (e) value_error(c, col, EXPECTED, s, (size_t)(e - s));
    return e;
  }
  /* BIGINT, INT, DECIMAL, TIMESTAMP, DATE: a number, or a string holding the text */
  const char *ts, *te, *end;
  if (*s == '"') {
    ts = s + 1;
    te = str_stop(ts);
    if (*te == '"') {
      end = te + 1;
    } else {
      end = read_string(c, ts, NULL, NULL, (int)col);
      if (!end) return NULL;
      size_t n = 0;
      ensure_tmp(p, (size_t)(end - ts));
      read_string(c, ts, p->tmp, &n, (int)col);
      ts = p->tmp;
      te = p->tmp + n;
    }
  } else if (*s == '-' || isd(*s)) {
    end = skip_number(c, s);
    if (!end) return NULL;
    ts = s;
    te = end;
  } else {
    end = skip_value(c, s, 1);
    if (end) value_error(c, col, EXPECTED, s, (size_t)(end - s));
    return end;
  }
  bool is_str = *s == '"';
  switch (kind) {
    case FL_T_BIGINT:
    case FL_T_INT: {
      int64_t x;
      if (!int_literal(ts, te, &x)) break;
      if (kind == FL_T_INT) {
        if (x < INT32_MIN || x > INT32_MAX) break;
        v->data.i32[row] = (int32_t)x;
      } else {
        v->data.i64[row] = x;
      }
      v->validity[vword] |= vbit;
      return end;
    }
    case FL_T_DECIMAL: {
      if (fl_decimal_is_wide(ci->type)) { /* 19..38 digits: the exact 128-bit parser */
        fl_i128 w;
        if (!fl_dec128_parse(ts, (size_t)(te - ts), ci->type.precision, ci->type.scale, &w)) break;
        v->data.i128[row] = w;
        v->validity[vword] |= vbit;
        return end;
      }
      int64_t x;
      if (!to_decimal(ci, ts, te, &x)) break;
      v->data.i64[row] = x;
      v->validity[vword] |= vbit;
      return end;
    }
    case FL_T_TIMESTAMP: {
      int64_t x;
      if (is_str ? !to_ts(ts, (size_t)(te - ts), &x) : !int_literal(ts, te, &x)) break;
      v->data.i64[row] = x;
      v->validity[vword] |= vbit;
      return end;
    }
    case FL_T_DATE: {
      int32_t x;
      if (is_str) {
        if (!fl_date_parse(ts, (size_t)(te - ts), &x)) break;
      } else {
        int64_t y;
        if (!int_literal(ts, te, &y) || y < INT32_MIN || y > INT32_MAX) break;
        x = (int32_t)y;
      }
      v->data.i32[row] = x;
      v->validity[vword] |= vbit;
      return end;
    }
    case FL_T_TIME: { /* "HH:MM:SS[.ffffff]" */
      int64_t x;
      if (!is_str || !fl_time_parse(ts, (size_t)(te - ts), &x)) break;
      v->data.i64[row] = x;
      v->validity[vword] |= vbit;
      return end;
    }
    case FL_T_UUID: { /* canonical 8-4-4-4-12 text */
      uint8_t b[16];
      if (!is_str || !fl_uuid_parse(ts, (size_t)(te - ts), b)) break;
      put_str(v, row, (const char *)b, 16);
      return end;
    }
    case FL_T_BINARY:
    case FL_T_FIXED: { /* "\\x0aff" in JSON: the text \x then hex digits */
      size_t n = (size_t)(te - ts), len = 0;
      if (!is_str) break;
      /* decoded straight into the column (ts is the body or tmp, never the column) */
      if (v->bytes_cap - v->bytes_len < n / 2 + 32) fl_vec_reserve_bytes(v, n / 2 + 32);
      if (!fl_hex_bytes_parse(ts, n, (uint8_t *)v->bytes + v->bytes_len, &len)) break;
      if (kind == FL_T_FIXED && len != ci->type.length) break;
      v->bytes_len += len;
      v->offsets[row + 1] = (uint32_t)v->bytes_len;
      v->validity[vword] |= vbit;
      return end;
    }
    default: FL_ASSERT(false, "column %s: kind %d", ci->name, (int)kind);
  }
  value_error(c, col, EXPECTED, s, (size_t)(end - s));
  return end;
}

/* ---- one record ----------------------------------------------------------------- */

static inline uint32_t name_hash(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

static int lookup(const fl_json_parser *p, const char *s, size_t n) {
  uint32_t i = name_hash(s, n) & p->hmask;
  for (;;) {
    int32_t col = p->htab[i];
    if (col < 0) return -1;
    if (p->cols[col].name_len == n && !memcmp(p->cols[col].name, s, n)) return col;
    i = (i + 1) & p->hmask;
  }
}

/* Is the key at s (after its opening quote) the column's name? Reads up to
 * FL_NAME_MAX + 1 bytes, within PAD. */
static inline bool key_is(const col_info *ci, const char *s) {
  if (ci->key_len) {
    if ((load64(s) & ci->key_m0) != ci->key_w0) return false;
    return ci->key_len <= 8 || load64(s + ci->key_len - 8) == ci->key_w1;
  }
  return ci->raw_cmp && !memcmp(s, ci->name, ci->name_len) && s[ci->name_len] == '"';
}

/* Is s the separator before the column's field in compact JSON (`,"name":`)? Reads
 * up to 32 bytes, within PAD; false for the sentinel column after the last. */
static inline bool sep_is(const col_info *ci, const char *s) {
#ifdef __SSE2__
  __m128i pat = _mm_loadu_si128((const __m128i *)(const void *)ci->sep);
  unsigned m =
      (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)s), pat));
  if ((m & ci->sep_m0) != ci->sep_m0) return false;
  if (ci->sep_len <= 16) return true;
  const char *t = s + ci->sep_len - 16;
  pat = _mm_loadu_si128((const __m128i *)(const void *)(ci->sep + ci->sep_len - 16));
  return _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)t), pat)) == 0xffff;
#else
  return ci->sep_m0 != 0x10000 && !memcmp(s, ci->sep, ci->sep_len);
#endif
}

/* Reads a key whose opening quote is at s[-1]; *col = its column or -1. */
static const char *read_key(ctx *c, const char *s, int *col) {
  const char *e = str_stop(s);
  if (*e == '"') {
    *col = lookup(c->p, s, (size_t)(e - s));
    return e + 1;
  }
  const char *end = read_string(c, s, NULL, NULL, -1);
  if (!end) return NULL;
  size_t n = 0;
  ensure_tmp(c->p, (size_t)(end - s));
  read_string(c, s, c->p->tmp, &n, -1);
  *col = lookup(c->p, c->p->tmp, n);
  return end;
}

static void grow_rows(fl_json_parser *p, uint32_t need) {
  uint32_t cap = p->row_cap ? p->row_cap : 64;
  while (cap < need) cap *= 2;
  for (uint32_t i = 0; i < p->ncols; i++) fl_vec_reserve(p->vec[i], cap);
  p->row_cap = cap;
  if (p->dst->capacity < cap) p->dst->capacity = cap;
}

/* unknown_fields = 'reject': the record fails, naming the key (as written, at most
 * FOUND_MAX bytes; the raw key is known valid: read_key read it). */
__attribute__((noinline, cold)) static void unknown_reject(ctx *c, const char *key) {
  const char *e = key;
  while (*e != '"' && e - key < FOUND_MAX) e += *e == '\\' ? 2 : 1;
  int n = (int)(e - key);
  for (int i = 0; i < n; i++) /* keep the reason printable */
    if ((uint8_t)key[i] < 0x20) n = i;
  c->err_kind = 1;
  c->err_field = NULL;
  snprintf(c->reason, sizeof c->reason, "field %.*s%s: not in the schema (unknown_fields = 'reject')", n, key,
           *e == '"' ? "" : "...");
}

/* Reads the object at s ('{'). Returns the byte after '}' or NULL (syntax error,
 * c->reason set). Value errors leave c->err_kind == 1 and reading continues. */
static const char *parse_object(ctx *c, const char *s) {
  fl_json_parser *p = c->p;
  uint32_t expect = 0, ncols = p->ncols;
  const uint32_t row = c->row; /* in a register for parse_field (c->row would be reloaded) */
  s = skip_ws(c, s + 1);
  if (*s == '}') return s + 1;
  for (;;) {
    if (*s != '"') return syntax(c, s, "expected a field name");
    s++;
    int col;
    const char *key = s; /* raw key text, for an unknown field's reason */
    const col_info *ci = expect < ncols ? &p->cols[expect] : NULL;
    if (ci && key_is(ci, s)) {
      col = (int)expect;
      s += ci->name_len + 1;
    } else {
      s = read_key(c, s, &col);
      if (!s) return NULL;
    }
    s = skip_ws(c, s);
    if (*s != ':') return syntax(c, s, "expected ':' after a field name");
    s = skip_ws(c, s + 1);
    if (col >= 0) {
      /* this field, then those that follow in schema order in compact JSON: each
       * separator compared whole (the bytes the steps below accept for the predicted
       * field); one call site, so parse_field is inlined */
      ci = &p->cols[col];
      for (;;) {
        s = parse_field(c, ci, (uint32_t)col, row, s);
        expect = (uint32_t)col + 1;
        ci++; /* cols[expect] */
        if (!s || !sep_is(ci, s)) break;
        s = skip_ws(c, s + ci->sep_len);
        col = (int)expect;
      }
    } else {
      if (!c->unknown++ && p->unknown_reject && !c->err_kind) unknown_reject(c, key);
      s = skip_field_value(c, s);
    }
    if (!s) return NULL;
    s = skip_ws(c, s);
    if (*s == ',') {
      s = skip_ws(c, s + 1);
      continue;
    }
    if (*s == '}') return s + 1;
    return syntax(c, s, "expected ',' or '}' after a value");
  }
}

static void add_reject(fl_json_parser *p, fl_json_result *res, uint32_t line, int64_t off, int64_t len,
                       const char *field, const char *reason) {
  if (res->nrejects == p->rejects_cap) {
    p->rejects_cap = p->rejects_cap ? p->rejects_cap * 2 : 16;
    p->rejects = fl_realloc(p->rejects, p->rejects_cap * sizeof *p->rejects);
    res->rejects = p->rejects;
  }
  fl_json_reject *r = &p->rejects[res->nrejects++];
  r->line = line;
  r->raw_off = (uint32_t)off;
  r->raw_len = (uint32_t)len;
  r->field = field;
  r->reason = fl_arena_strdup(&p->arena, reason);
  res->rejects = p->rejects;
}

/* Finishes the record read into slot c->row: fills absent columns, checks NOT NULL,
 * then accepts (rows[], row++) or rolls back and rejects. rec/rec_len: the object's
 * span in the body; rej_off/rej_len: the span a reject reports. */
__attribute__((noinline)) static void finish_record_slow(ctx *c, fl_json_result *res, uint32_t line,
                                                         int64_t rec_off, int64_t rec_len, int64_t line_len,
                                                         int64_t rej_off, int64_t rej_len) {
  fl_json_parser *p = c->p;
  if (line_len > FL_JSON_LINE_MAX) { /* the size is the reason, whatever else is wrong */
    c->err_kind = 1;
    c->err_field = NULL;
    snprintf(c->reason, sizeof c->reason, "record of %lld bytes exceeds the limit of %u bytes",
             (long long)line_len, (unsigned)FL_JSON_LINE_MAX);
  }
  if (!c->err_kind && c->nseen < p->ncols) {
    for (uint32_t i = 0; i < p->ncols; i++) {
      if (p->seen[i] == p->gen) continue;
      if (p->defaults && !p->defaults[i].is_null) {
        put_value(p->vec[i], &p->defaults[i], c->row);
        continue;
      }
      if (p->cols[i].required) {
        c->err_kind = 1;
        c->err_field = p->cols[i].name;
        snprintf(c->reason, sizeof c->reason, "field %s: missing (NOT NULL)", p->cols[i].name);
        break;
      }
      put_null(p->vec[i], p->cols[i].type.kind, c->row);
    }
  }
  if (!c->err_kind) {
    if (c->row - c->row0 == p->rows_cap) {
      p->rows_cap = p->rows_cap ? p->rows_cap * 2 : 256;
      p->rows = fl_realloc(p->rows, p->rows_cap * sizeof *p->rows);
    }
    fl_json_row *r = &p->rows[c->row++ - c->row0];
    r->raw_off = (uint32_t)rec_off;
    r->raw_len = (uint32_t)rec_len;
    r->line = line;
    res->unknown_fields += c->unknown;
  } else {
    for (uint32_t i = 0; i < p->ncols; i++) {
      fl_vec *v = p->vec[i];
      if (v->offsets) v->bytes_len = v->offsets[c->row];
    }
    add_reject(p, res, line, rej_off, rej_len, c->err_field, c->reason);
  }
  p->gen++;
  if (p->gen == 0) { /* wrapped: forget every generation */
    memset(p->seen, 0, p->ncols * sizeof *p->seen);
    p->gen = 1;
  }
  c->err_kind = 0;
  c->err_field = NULL;
  c->unknown = 0;
  c->nseen = 0;
}

/* finish_record_slow's steps for the usual record, inline: good, every column set,
 * room in rows[], no generation wrap. */
static inline void finish_record(ctx *c, fl_json_result *res, uint32_t line, int64_t rec_off, int64_t rec_len,
                                 int64_t line_len, int64_t rej_off, int64_t rej_len) {
  fl_json_parser *p = c->p;
  if (__builtin_expect(!c->err_kind && c->nseen == p->ncols && line_len <= FL_JSON_LINE_MAX &&
                           c->row - c->row0 < p->rows_cap && p->gen != UINT32_MAX,
                       1)) {
    fl_json_row *r = &p->rows[c->row++ - c->row0];
    r->raw_off = (uint32_t)rec_off;
    r->raw_len = (uint32_t)rec_len;
    r->line = line;
    res->unknown_fields += c->unknown;
    p->gen++;
    c->unknown = 0;
    c->nseen = 0;
    return;
  }
  finish_record_slow(c, res, line, rec_off, rec_len, line_len, rej_off, rej_len);
}

static inline void begin_record(ctx *c) {
  if (c->row >= c->p->row_cap) grow_rows(c->p, c->row + 1);
}

/* The end of the line holding s: its '\n' or end. */
static const char *line_end(const char *s, const char *end) {
  const char *e = s < end ? memchr(s, '\n', (size_t)(end - s)) : NULL;
  return e ? e : end;
}

/* Parses NDJSON lines in buf [s, end) (end is '\n'-terminated or NUL-padded). */
static void parse_lines(ctx *c, fl_json_result *res, const char *s, const char *end, uint32_t *line) {
  while (s < end) {
    const char *ls = s;
    s = skip_ws(c, s);
    if (*s == '\n' || s >= end) { /* blank line */
      if (s < end) s++;
      (*line)++;
      continue;
    }
    begin_record(c);
    const char *obj = s, *e = NULL, *le = NULL;
    if (*s == '{') {
      e = parse_object(c, s);
      if (e) {
        const char *t = skip_ws(c, e);
        if (*t == '\n' || t >= end)
          le = t;
        else
          syntax(c, t, "text after the object (NDJSON has one object per line)");
      }
    } else {
      syntax(c, s, "expected '{' (each NDJSON line is one object)");
    }
    if (!le) le = line_end(obj, end);
    const char *lt = le;
    if (lt > ls && lt[-1] == '\r') lt--;
    finish_record(c, res, *line, c->base_off + (obj - c->base), e ? e - obj : 0, lt - ls,
                  c->base_off + (ls - c->base), lt - ls);
    s = le;
    if (s < end) s++; /* the '\n' */
    (*line)++;
  }
}

/* Rejects everything from `at` to the end of an array body (after a syntax error
 * nothing later can be trusted to be where it seems). */
static void reject_rest(ctx *c, fl_json_result *res, uint32_t line, const char *at, const char *end) {
  char why[sizeof c->reason];
  snprintf(why, sizeof why, "%.180s; the rest of the array body is rejected", c->reason);
  snprintf(c->reason, sizeof c->reason, "%s", why);
  int64_t off = c->base_off + (at - c->base);
  finish_record(c, res, line, off, 0, 0, off, end - at);
}

/* Parses a JSON array body held in a padded copy [s, end), s at '['. */
static void parse_array(ctx *c, fl_json_result *res, const char *s, const char *end) {
  uint32_t line = 1;
  s = skip_ws(c, s + 1);
  if (*s == ']') goto close;
  for (;;) {
    begin_record(c);
    const char *obj = s, *e;
    if (*s == '{') {
      e = parse_object(c, s);
    } else if (s >= end) {
      e = syntax(c, s, "unterminated array");
    } else {
      e = skip_value(c, s, 1);
      if (e && !c->err_kind) {
        c->err_kind = 1;
        snprintf(c->reason, sizeof c->reason, "array element is not an object");
      }
    }
    if (!e) {
      reject_rest(c, res, line, obj, end);
      return;
    }
    int64_t off = c->base_off + (obj - c->base);
    finish_record(c, res, line, off, e - obj, e - obj, off, e - obj);
    line++;
    s = skip_ws(c, e);
    if (*s == ',') {
      s = skip_ws(c, s + 1);
      continue;
    }
    if (*s == ']') goto close;
    begin_record(c);
    syntax(c, s, "expected ',' or ']' in the array");
    reject_rest(c, res, line, s, end);
    return;
  }
close:
  s = skip_ws(c, s + 1);
  if (s < end) {
    begin_record(c);
    syntax(c, s, "text after the array");
    reject_rest(c, res, line, s, end);
  }
}

/* Copies body [off, off+n) to the scratch buffer with PAD zero bytes after it. */
static const char *padded_copy(fl_json_parser *p, const char *body, size_t off, size_t n) {
  if (n + PAD > p->scratch_cap) {
    size_t cap = p->scratch_cap ? p->scratch_cap : 4096;
    while (cap < n + PAD) cap *= 2;
    fl_free(p->scratch);
    p->scratch = fl_malloc(cap);
    p->scratch_cap = cap;
  }
  memcpy(p->scratch, body + off, n);
  memset(p->scratch + n, 0, PAD);
  return p->scratch;
}

/* The parser reads into its own batch (fl_json_parse) unless fl_json_parse_into. */
static void point_at_own_batch(fl_json_parser *p) {
  p->dst = p->batch;
  p->row_cap = UINT32_MAX;
  for (uint32_t k = 0; k < p->ncols; k++) {
    p->vec[k] = &p->batch->cols[k];
    if (p->vec[k]->cap < p->row_cap) p->row_cap = p->vec[k]->cap;
  }
}

/* Reads body into p->dst from slot row0 on (p->vec and p->row_cap set for it). */
static fl_code parse_body(fl_json_parser *p, const char *body, size_t len, uint32_t row0, fl_json_result *out,
                          fl_err *err) {
  memset(out, 0, sizeof *out);
  out->batch = p->dst;
  if (len > FL_JSON_BODY_MAX)
    return fl_err_set(err, FL_ELIMIT, "body of %zu bytes exceeds the limit of %zu bytes", len,
                      (size_t)FL_JSON_BODY_MAX);
  fl_arena_reset(&p->arena);
  p->rejects_sorted = 0;
  ctx c = {.p = p, .ws = ws_ndjson, .row = row0, .row0 = row0};
  out->rejects = p->rejects;
  /* a UTF-8 byte order mark some tools write is skipped */
  size_t start = len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3) ? 3 : 0, i = start;
  while (i < len && ws_array[(uint8_t)body[i]]) i++;
  if (i < len && body[i] == '[' && !p->ndjson_only) {
    c.ws = ws_array;
    c.base = padded_copy(p, body, 0, len);
    c.end = c.base + len;
    c.base_off = 0;
    parse_array(&c, out, c.base + i, c.base + len);
  } else {
    /* in place up to the last '\n' that has PAD bytes after it, then a padded copy */
    uint32_t line = 1;
    size_t split = start;
    if (len > PAD) {
      const char *nl = memrchr(body, '\n', len - PAD);
      if (nl && (size_t)(nl - body) + 1 > start) split = (size_t)(nl - body) + 1;
    }
    c.base = body;
    c.end = body + split;
    c.base_off = 0;
    parse_lines(&c, out, body + start, body + split, &line);
    if (split < len) {
      c.base = padded_copy(p, body, split, len - split);
      c.end = c.base + (len - split);
      c.base_off = (int64_t)split;
      parse_lines(&c, out, c.base, c.base + (len - split), &line);
    }
  }
  for (uint32_t k = 0; k < p->ncols; k++) p->vec[k]->len = c.row;
  out->rows = p->rows;
  out->nrows = c.row - row0;
  out->rejects = p->rejects;
  out->nrecords = out->nrows + out->nrejects;
  p->rejects_sorted = out->nrejects;
  return FL_OK;
}

fl_code fl_json_parse(fl_json_parser *p, const char *body, size_t len, fl_json_result *out, fl_err *err) {
  fl_batch_reset(p->batch);
  fl_code rc = parse_body(p, body, len, 0, out, err);
  if (!rc) fl_batch_set_rows(p->batch, out->nrows);
  return rc;
}

fl_code fl_json_parse_into(fl_json_parser *p, const char *body, size_t len, fl_batch *dst,
                           const uint32_t *dst_cols, fl_json_result *out, fl_err *err) {
  uint32_t row0 = dst->nrows;
  p->dst = dst;
  p->row_cap = UINT32_MAX;
  for (uint32_t k = 0; k < p->ncols; k++) {
    FL_ASSERT(dst_cols[k] < dst->ncols && dst->cols[dst_cols[k]].len == row0 &&
                  fl_type_equal(dst->cols[dst_cols[k]].type, p->cols[k].type),
              "json: column %s into column %u of a batch of %u rows", p->cols[k].name, dst_cols[k], row0);
    p->vec[k] = &dst->cols[dst_cols[k]];
    if (p->vec[k]->cap < p->row_cap) p->row_cap = p->vec[k]->cap;
  }
  fl_code rc = parse_body(p, body, len, row0, out, err);
  point_at_own_batch(p);
  return rc;
}

/* ---- setup ------------------------------------------------------------------------ */

fl_json_parser *fl_json_parser_new(const fl_schema *schema) {
  fl_json_parser *p = fl_calloc(1, sizeof *p);
  p->schema = schema;
  p->ncols = schema->nfields;
  p->cols = fl_calloc(p->ncols + 1, sizeof *p->cols); /* + the sentinel for sep_is */
  p->cols[p->ncols].sep_m0 = 0x10000;
  p->seen = fl_calloc(p->ncols ? p->ncols : 1, sizeof *p->seen);
  p->gen = 1;
  uint32_t hsize = 16;
  while (hsize < p->ncols * 2) hsize *= 2;
  p->hmask = hsize - 1;
  p->htab = fl_malloc(hsize * sizeof *p->htab);
  for (uint32_t i = 0; i < hsize; i++) p->htab[i] = -1;
  for (uint32_t k = 0; k < p->ncols; k++) {
    const fl_field *f = &schema->fields[k];
    col_info *ci = &p->cols[k];
    ci->name = f->name;
    ci->name_len = (uint32_t)strlen(f->name);
    ci->required = f->required;
    ci->type = f->type;
    ci->raw_cmp = ci->name_len <= FL_NAME_MAX;
    for (uint32_t j = 0; j < ci->name_len; j++) {
      uint8_t ch = (uint8_t)f->name[j];
      if (ch == '"' || ch == '\\' || ch < 0x20) ci->raw_cmp = false;
    }
    if (ci->raw_cmp && ci->name_len + 1 <= 16 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
      char key[24] = {0};
      uint32_t kl = ci->name_len + 1;
      memcpy(key, f->name, ci->name_len);
      key[ci->name_len] = '"';
      ci->key_len = kl;
      ci->key_w0 = load64(key);
      ci->key_m0 = kl >= 8 ? UINT64_MAX : (((uint64_t)1 << (8 * kl)) - 1); /* little-endian */
      ci->key_w0 &= ci->key_m0;
      if (kl > 8) ci->key_w1 = load64(key + kl - 8);
    }
    ci->sep_m0 = 0x10000;
    if (ci->raw_cmp && ci->name_len + 4 <= sizeof ci->sep) {
      ci->sep_len = ci->name_len + 4;
      ci->sep[0] = ',';
      ci->sep[1] = '"';
      memcpy(ci->sep + 2, f->name, ci->name_len);
      ci->sep[ci->name_len + 2] = '"';
      ci->sep[ci->name_len + 3] = ':';
      ci->sep_m0 = ci->sep_len >= 16 ? 0xffff : (1u << ci->sep_len) - 1;
    }
    if (f->type.kind == FL_T_DECIMAL) {
      FL_ASSERT(f->type.precision >= 1 && f->type.precision <= FL_DECIMAL_PRECISION_MAX &&
                    f->type.scale <= f->type.precision,
                "field %s: DECIMAL(%u,%u)", f->name, f->type.precision, f->type.scale);
      snprintf(ci->type_name, sizeof ci->type_name, "DECIMAL(%u,%u)", f->type.precision, f->type.scale);
      ci->dec_limit = fl_decimal_is_wide(f->type) ? 0 : fl_pow10_i64[f->type.precision];
    } else if (f->type.kind == FL_T_FIXED) {
      snprintf(ci->type_name, sizeof ci->type_name, "FIXED(%u)", f->type.length);
    } else {
      snprintf(ci->type_name, sizeof ci->type_name, "%s", fl_type_sql_name(f->type.kind));
    }
    uint32_t h = name_hash(ci->name, ci->name_len) & p->hmask;
    while (p->htab[h] >= 0) {
      /* duplicate names: the first column keeps the name */
      if (!strcmp(p->cols[p->htab[h]].name, ci->name)) break;
      h = (h + 1) & p->hmask;
    }
    if (p->htab[h] < 0) p->htab[h] = (int32_t)k;
  }
  p->batch = fl_batch_new(schema->fields, p->ncols, FL_BATCH_ROWS);
  p->vec = fl_calloc(p->ncols ? p->ncols : 1, sizeof *p->vec);
  point_at_own_batch(p);
  fl_arena_init(&p->arena, 4096);
  fl_arena_init(&p->opt_arena, 1024);
  return p;
}

void fl_json_parser_free(fl_json_parser *p) {
  if (!p) return;
  fl_batch_free(p->batch);
  fl_free(p->vec);
  fl_free(p->cols);
  fl_free(p->seen);
  fl_free(p->htab);
  fl_free(p->rows);
  fl_free(p->rejects);
  fl_free(p->scratch);
  fl_free(p->tmp);
  fl_arena_destroy(&p->arena);
  fl_arena_destroy(&p->opt_arena);
  fl_free(p);
}

const fl_schema *fl_json_parser_schema(const fl_json_parser *p) { return p->schema; }

void fl_json_parser_set_defaults(fl_json_parser *p, const fl_value *defaults) {
  fl_arena_reset(&p->opt_arena);
  p->defaults = NULL;
  if (!defaults) return;
  p->defaults = fl_arena_calloc(&p->opt_arena, p->ncols ? p->ncols : 1, sizeof *p->defaults);
  for (uint32_t i = 0; i < p->ncols; i++) {
    const fl_value *d = &defaults[i];
    if (d->is_null) {
      p->defaults[i].is_null = true;
      continue;
    }
    FL_ASSERT(fl_type_equal(d->type, p->cols[i].type), "field %s: default of another type", p->cols[i].name);
    p->defaults[i] = *d;
    if (fl_type_is_bytes(d->type.kind))
      p->defaults[i].u.str.ptr =
          fl_arena_memdup(&p->opt_arena, d->u.str.ptr, d->u.str.len ? d->u.str.len : 1);
  }
}

void fl_json_parser_set_ndjson_only(fl_json_parser *p, bool ndjson_only) { p->ndjson_only = ndjson_only; }

void fl_json_parser_set_unknown_fields(fl_json_parser *p, fl_json_unknown policy) {
  p->unknown_reject = policy == FL_JSON_UNKNOWN_REJECT;
}

void fl_json_result_add_reject(fl_json_parser *p, fl_json_result *res, uint32_t line, uint32_t raw_off,
                               uint32_t raw_len, const char *field, const char *reason) {
  add_reject(p, res, line, raw_off, raw_len, field, reason);
}

/* Stable merge sort of the rejects by line (the parser's are in order; the
 * contract's come after them, in order too). */
void fl_json_result_sort_rejects(fl_json_parser *p, fl_json_result *res) {
  uint32_t n = res->nrejects;
  bool sorted = true;
  for (uint32_t i = 1; i < n && sorted; i++) sorted = p->rejects[i].line >= p->rejects[i - 1].line;
  if (!sorted) {
    fl_json_reject *tmp = fl_malloc(n * sizeof *tmp), *a = p->rejects, *b = tmp;
    for (uint32_t w = 1; w < n; w *= 2) {
      for (uint32_t lo = 0; lo < n; lo += 2 * w) {
        uint32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
        uint32_t i = lo, j = mid, k = lo;
        while (i < mid && j < hi) b[k++] = a[j].line < a[i].line ? a[j++] : a[i++];
        while (i < mid) b[k++] = a[i++];
        while (j < hi) b[k++] = a[j++];
      }
      fl_json_reject *t = a;
      a = b;
      b = t;
    }
    if (a != p->rejects) memcpy(p->rejects, a, n * sizeof *a);
    fl_free(tmp);
  }
  p->rejects_sorted = n;
  res->rejects = p->rejects;
}
