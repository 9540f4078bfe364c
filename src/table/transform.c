/* transform: Iceberg partition transforms (spec "Partition Transforms", Appendix B).
 *
 *   transform     source types                         result    value
 *   identity      any                                  source    v
 *   bucket[N]     int long decimal date timestamp str  int       (murmur3(bytes) & INT_MAX) % N
 *   truncate[W]   int long decimal string              source    v - floormod(v, W); W code points
 *   year/month    date timestamp                       int       years/months since 1970
 *   day           date timestamp                       date      days since 1970-01-01
 *   hour          timestamp                            int       hours since epoch
 *   void          any                                  source    null
 *
 * Bucket hash input bytes: int/long/date as an 8-byte little-endian long, timestamp
 * micros as an 8-byte LE long, strings their UTF-8 bytes, decimals the minimal
 * big-endian two's complement of the unscaled value. Times use floor division, so
 * 1969-12-31T23:00 is day -1 and hour -1. Null in, null out.
 *
 * Also here: fl_partition_defs_parse, the "day(ts), tenant_id, bucket(16, id)" syntax
 * of stream definitions. No allocation except that parser (into the caller's arena). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/time.h"
#include "table/table_int.h"

#define MICROS_PER_HOUR INT64_C(3600000000)
#define MICROS_PER_DAY INT64_C(86400000000)

static const struct {
  const char *name;
  fl_transform_kind kind;
} simple_transforms[] = {
    {"identity", FL_TR_IDENTITY}, {"year", FL_TR_YEAR}, {"month", FL_TR_MONTH},
    {"day", FL_TR_DAY},           {"hour", FL_TR_HOUR}, {"void", FL_TR_VOID},
};

fl_code fl_transform_parse(const char *text, fl_transform *out, fl_err *err) {
  for (size_t i = 0; i < sizeof simple_transforms / sizeof simple_transforms[0]; i++) {
    if (!strcmp(text, simple_transforms[i].name)) {
      *out = (fl_transform){simple_transforms[i].kind, 0};
      return FL_OK;
    }
  }
  fl_transform_kind kind = 0;
  const char *p = NULL;
  if (!strncmp(text, "bucket[", 7)) {
    kind = FL_TR_BUCKET;
    p = text + 7;
  } else if (!strncmp(text, "truncate[", 9)) {
    kind = FL_TR_TRUNCATE;
    p = text + 9;
  }
  if (p && isdigit((unsigned char)*p)) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end[0] == ']' && end[1] == 0 && v > 0 && v <= INT32_MAX) {
      *out = (fl_transform){kind, (int32_t)v};
      return FL_OK;
    }
  }
  return fl_err_set(err, FL_EINVAL,
                    "unknown partition transform '%s' (identity, year, month, day, hour, bucket[N], "
                    "truncate[W], void)",
                    text);
}

void fl_transform_format(fl_transform tr, char *out, size_t out_size) {
  switch (tr.kind) {
    case FL_TR_BUCKET: snprintf(out, out_size, "bucket[%d]", tr.param); return;
    case FL_TR_TRUNCATE: snprintf(out, out_size, "truncate[%d]", tr.param); return;
    default: break;
  }
  for (size_t i = 0; i < sizeof simple_transforms / sizeof simple_transforms[0]; i++) {
    if (simple_transforms[i].kind == tr.kind) {
      snprintf(out, out_size, "%s", simple_transforms[i].name);
      return;
    }
  }
  FL_ASSERT(0, "transform kind %d", (int)tr.kind);
}

fl_code fl_transform_result_type(fl_transform tr, fl_type source, fl_type *out, fl_err *err) {
  fl_type_kind k = source.kind;
  bool is_time = k == FL_T_DATE || k == FL_T_TIMESTAMP || k == FL_T_TIMESTAMP_NS;
  bool ok = false;
  fl_type res = source;
  switch (tr.kind) {
    case FL_TR_IDENTITY:
    case FL_TR_VOID: ok = true; break;
    case FL_TR_BUCKET:
      /* not timestamp_ns: floe does not hash nanoseconds (refused by name, never guessed) */
      ok = k == FL_T_INT || k == FL_T_BIGINT || k == FL_T_DECIMAL || (is_time && k != FL_T_TIMESTAMP_NS) ||
           fl_type_is_string(k);
      res = (fl_type){FL_T_INT, 0, 0};
      break;
    case FL_TR_TRUNCATE:
      ok = k == FL_T_INT || k == FL_T_BIGINT || k == FL_T_DECIMAL || fl_type_is_string(k);
      break;
    case FL_TR_YEAR:
    case FL_TR_MONTH:
      ok = is_time;
      res = (fl_type){FL_T_INT, 0, 0};
      break;
    case FL_TR_DAY:
      ok = is_time;
      res = (fl_type){FL_T_DATE, 0, 0};
      break;
    case FL_TR_HOUR:
      ok = k == FL_T_TIMESTAMP || k == FL_T_TIMESTAMP_NS;
      res = (fl_type){FL_T_INT, 0, 0};
      break;
  }
  if (!ok) {
    char trs[32], ty[32];
    fl_transform_format(tr, trs, sizeof trs);
    fl_type_text(source, ty, sizeof ty);
    return fl_err_set(err, FL_ETYPE, "transform %s cannot apply to a %s column", trs, ty);
  }
  /* JSON columns are strings to Iceberg. */
  if (res.kind == FL_T_JSON) res.kind = FL_T_STRING;
  *out = res;
  return FL_OK;
}

static int32_t hash_long(int64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)v >> (i * 8));
  return (int32_t)fl_murmur3_32(b, 8, 0);
}

int32_t fl_transform_bucket_hash(const fl_value *v) {
  FL_ASSERT(!v->is_null);
  switch (v->type.kind) {
    case FL_T_INT:
    case FL_T_DATE: return hash_long(v->u.i32);
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP: return hash_long(v->u.i64);
    case FL_T_DECIMAL: {
      uint8_t b[16];
      size_t n = fl_dec128_to_be_min(fl_value_dec(v), b);
      return (int32_t)fl_murmur3_32(b, n, 0);
    }
    case FL_T_STRING:
    case FL_T_JSON: return (int32_t)fl_murmur3_32(v->u.str.ptr, v->u.str.len, 0);
    default: FL_ASSERT(0, "bucket of type %d", (int)v->type.kind);
  }
  return 0;
}

static int64_t floor_mod(int64_t v, int64_t w) { return ((v % w) + w) % w; }

/* Byte length of the first w code points of a UTF-8 string. */
static uint32_t utf8_prefix(const char *s, uint32_t len, int32_t w) {
  uint32_t i = 0;
  int32_t cps = 0;
  while (i < len && cps < w) {
    i++;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    cps++;
  }
  return i;
}

static int64_t days_of(const fl_value *in) {
  if (in->type.kind == FL_T_TIMESTAMP_NS) return fl_floor_div(in->u.i64, MICROS_PER_DAY * 1000);
  return in->type.kind == FL_T_DATE ? in->u.i32 : fl_floor_div(in->u.i64, MICROS_PER_DAY);
}

void fl_transform_apply(fl_transform tr, const fl_value *in, fl_value *out) {
  fl_value v = {0};
  fl_code rc = fl_transform_result_type(tr, in->type, &v.type, NULL);
  FL_ASSERT(rc == FL_OK, "transform %d on type %d", (int)tr.kind, (int)in->type.kind);
  if (in->is_null || tr.kind == FL_TR_VOID) {
    v.is_null = true;
    *out = v;
    return;
  }
  switch (tr.kind) {
    case FL_TR_IDENTITY: v = *in; break;
    case FL_TR_BUCKET: v.u.i32 = (int32_t)((fl_transform_bucket_hash(in) & INT32_MAX) % tr.param); break;
    case FL_TR_TRUNCATE:
      v = *in;
      switch (in->type.kind) {
        case FL_T_INT: v.u.i32 = (int32_t)(in->u.i32 - floor_mod(in->u.i32, tr.param)); break;
        case FL_T_BIGINT:
        case FL_T_DECIMAL: {
          fl_i128 x = fl_value_dec(in), w = tr.param;
          fl_value_set_dec(&v, x - ((x % w) + w) % w); /* may leave the precision: as Iceberg's */
          break;
        }
        default: v.u.str.len = utf8_prefix(in->u.str.ptr, in->u.str.len, tr.param); break;
      }
      if (v.type.kind == FL_T_JSON) v.type.kind = FL_T_STRING;
      break;
    case FL_TR_DAY: v.u.i32 = (int32_t)days_of(in); break;
    case FL_TR_HOUR:
      v.u.i32 = (int32_t)fl_floor_div(
          in->u.i64, in->type.kind == FL_T_TIMESTAMP_NS ? MICROS_PER_HOUR * 1000 : MICROS_PER_HOUR);
      break;
    case FL_TR_YEAR:
    case FL_TR_MONTH: {
      int64_t y;
      unsigned m, d;
      fl_civil_from_days(days_of(in), &y, &m, &d);
      v.u.i32 = (int32_t)(tr.kind == FL_TR_YEAR ? y - 1970 : (y - 1970) * 12 + (int64_t)m - 1);
      break;
    }
    case FL_TR_VOID: break;
  }
  if (v.type.kind == FL_T_JSON) v.type.kind = FL_T_STRING;
  *out = v;
}

void fl_transform_value_text(fl_transform tr, const fl_value *v, fl_buf *out) {
  if (v->is_null) {
    fl_buf_puts(out, "null");
    return;
  }
  char tmp[64];
  switch (tr.kind) {
    case FL_TR_HOUR: {
      int64_t days = fl_floor_div(v->u.i32, 24);
      int64_t y;
      unsigned m, d;
      fl_civil_from_days(days, &y, &m, &d);
      fl_buf_printf(out, "%04" PRId64 "-%02u-%02u-%02d", y, m, d, (int)(v->u.i32 - days * 24));
      return;
    }
    case FL_TR_MONTH: {
      int64_t y = 1970 + fl_floor_div(v->u.i32, 12);
      fl_buf_printf(out, "%04" PRId64 "-%02d", y, (int)(v->u.i32 - (y - 1970) * 12) + 1);
      return;
    }
    case FL_TR_YEAR: fl_buf_printf(out, "%04d", 1970 + v->u.i32); return;
    default: break;
  }
  switch (v->type.kind) {
    case FL_T_BOOLEAN: fl_buf_puts(out, v->u.b ? "true" : "false"); break;
    case FL_T_INT: fl_buf_printf(out, "%d", v->u.i32); break;
    case FL_T_BIGINT: fl_buf_printf(out, "%" PRId64, v->u.i64); break;
    case FL_T_FLOAT: fl_buf_printf(out, "%.9g", (double)v->u.f32); break;
    case FL_T_DOUBLE: fl_buf_printf(out, "%.17g", v->u.f64); break;
    case FL_T_DECIMAL:
      fl_dec128_format(fl_value_dec(v), v->type.scale, tmp);
      fl_buf_puts(out, tmp);
      break;
    case FL_T_DATE:
      fl_date_format(v->u.i32, tmp);
      fl_buf_puts(out, tmp);
      break;
    case FL_T_TIMESTAMP:
      fl_ts_format(v->u.i64, tmp);
      fl_buf_puts(out, tmp);
      break;
    case FL_T_TIMESTAMP_NS:
      fl_ts_ns_format(v->u.i64, tmp);
      fl_buf_puts(out, tmp);
      break;
    case FL_T_STRING:
    case FL_T_JSON: fl_buf_append(out, v->u.str.ptr, v->u.str.len); break;
    case FL_T_TIME: fl_buf_append(out, tmp, fl_time_format(v->u.i64, tmp)); break;
    case FL_T_UUID:
      if (v->u.str.len == 16) {
        fl_uuid_format((const uint8_t *)v->u.str.ptr, tmp);
        fl_buf_puts(out, tmp);
        break;
      }
      __attribute__((fallthrough));
    case FL_T_BINARY:
    case FL_T_FIXED: fl_hex_bytes_format((const uint8_t *)v->u.str.ptr, v->u.str.len, out); break;
  }
}

/* ---- "day(event_time), tenant_id, bucket(16, user_id)" */

static const char *skip_ws(const char *p) {
  while (isspace((unsigned char)*p)) p++;
  return p;
}

static const char *scan_word(const char *p, const char **start, size_t *len) {
  p = skip_ws(p);
  *start = p;
  while (*p && (isalnum((unsigned char)*p) || *p == '_')) p++;
  *len = (size_t)(p - *start);
  return skip_ws(p);
}

static bool is_number(const char *s, size_t n) {
  if (!n) return false;
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  return true;
}

fl_code fl_partition_defs_parse(const char *text, fl_arena *arena, fl_partition_def **defs, uint32_t *n,
                                fl_err *err) {
  static const struct {
    const char *fn;
    const char *tr;
  } fns[] = {
      {"identity", "identity"}, {"year", "year"},  {"years", "year"}, {"month", "month"},
      {"months", "month"},      {"day", "day"},    {"days", "day"},   {"date", "day"},
      {"hour", "hour"},         {"hours", "hour"}, {"void", "void"},
  };
  uint32_t cap = 1;
  for (const char *c = text; *c; c++) cap += *c == ',';
  fl_partition_def *out = fl_arena_calloc(arena, cap, sizeof *out);
  uint32_t count = 0;
  const char *p = skip_ws(text);
  while (*p) {
    const char *w;
    size_t wl;
    p = scan_word(p, &w, &wl);
    if (!wl)
      return fl_err_set(err, FL_EPARSE, "partitioned_by '%s': expected a column or transform at '%s'", text,
                        p);
    fl_partition_def def = {0};
    if (*p != '(') {
      def.column = fl_arena_strndup(arena, w, wl);
      def.transform = "identity";
    } else {
      const char *a1, *a2 = NULL;
      size_t l1, l2 = 0;
      p = scan_word(p + 1, &a1, &l1);
      if (*p == ',') p = scan_word(p + 1, &a2, &l2);
      if (*p != ')' || !l1 || (a2 && !l2))
        return fl_err_set(err, FL_EPARSE, "partitioned_by '%s': bad arguments of %.*s(...)", text, (int)wl,
                          w);
      p = skip_ws(p + 1);
      if (!a2) {
        const char *tr = NULL;
        for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
          if (strlen(fns[i].fn) == wl && !strncasecmp(fns[i].fn, w, wl)) tr = fns[i].tr;
        if (!tr)
          return fl_err_set(err, FL_EPARSE, "partitioned_by '%s': unknown transform %.*s", text, (int)wl, w);
        def.column = fl_arena_strndup(arena, a1, l1);
        def.transform = tr;
      } else {
        bool bucket = wl == 6 && !strncasecmp(w, "bucket", 6);
        bool trunc = wl == 8 && !strncasecmp(w, "truncate", 8);
        if (!bucket && !trunc)
          return fl_err_set(err, FL_EPARSE, "partitioned_by '%s': %.*s takes one argument", text, (int)wl, w);
        const char *num = a1, *col = a2;
        size_t nl = l1, cl = l2;
        if (!is_number(num, nl)) { /* bucket(col, 16) as some engines write it */
          num = a2, nl = l2, col = a1, cl = l1;
        }
        if (!is_number(num, nl) || atoi(num) <= 0)
          return fl_err_set(err, FL_EPARSE, "partitioned_by '%s': %.*s needs a positive width", text, (int)wl,
                            w);
        def.column = fl_arena_strndup(arena, col, cl);
        def.transform = fl_arena_sprintf(arena, "%s[%d]", bucket ? "bucket" : "truncate", atoi(num));
      }
    }
    out[count++] = def;
    if (*p == ',') {
      p = skip_ws(p + 1);
      if (!*p) return fl_err_set(err, FL_EPARSE, "partitioned_by '%s': trailing comma", text);
    } else if (*p) {
      return fl_err_set(err, FL_EPARSE, "partitioned_by '%s': unexpected '%s'", text, p);
    }
  }
  *defs = out;
  *n = count;
  return FL_OK;
}
