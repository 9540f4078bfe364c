/* ndjson_load: NDJSON lines -> rows of an fl_batch, for `floe load` (ndjson_load.h has
 * the conversion table).
 *
 * Why jansson plus a scanner: jansson validates each line and gives typed values, but
 * it hands JSON reals over as doubles, which cannot carry a DECIMAL exactly
 * ("0.1"), and re-serialises reals with 17 digits. So once jansson has accepted a
 * line, member_spans() walks the (now known valid) text once and records where each
 * top-level member's value is; DECIMAL numbers are parsed from that literal and JSON
 * columns store it, blanks removed. Members are matched to jansson's keys by position
 * (jansson >= 2.8 keeps insertion order), checked byte for byte when the raw key has
 * no escapes.
 *
 * Ownership: the reader owns its batch, a value row, the member spans and a scratch
 * buffer for JSON texts; all reused line after line. A row is appended only after
 * every field converted, so a bad line leaves the batch as it was.
 *
 * Entry points: fl_cli_ndjson_reader_new/_line/_batch/_free, fl_cli_ndjson_read. */
#include "cli/ndjson_load.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "cli/cli.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/value.h"

/* One top-level member of the line's object, as found in the raw text. */
typedef struct member_span {
  const char *key; /* jansson's decoded key (NUL-terminated) */
  const char *val; /* raw value text in the line */
  size_t val_len;
  json_t *json; /* jansson's value */
} member_span;

struct fl_ndjson_reader {
  const fl_schema *schema;
  char *source;
  fl_batch *batch;
  fl_value *row;  /* one value per column */
  bool needs_raw; /* a DECIMAL or JSON column: spans are needed */
  member_span *spans;
  size_t spans_cap;
  size_t nspans;
  fl_buf json_text; /* compact texts of this row's JSON columns, '\0'-separated */
  size_t *json_off; /* per column: offset of its text in json_text */
};

fl_ndjson_reader *fl_cli_ndjson_reader_new(const fl_schema *schema, const char *source, uint32_t batch_rows) {
  FL_ASSERT(schema && schema->nfields > 0 && batch_rows > 0);
  fl_ndjson_reader *rd = fl_calloc(1, sizeof *rd);
  rd->schema = schema;
  rd->source = fl_strdup(source);
  rd->batch = fl_batch_new(schema->fields, schema->nfields, batch_rows);
  rd->row = fl_calloc(schema->nfields, sizeof *rd->row);
  rd->json_off = fl_calloc(schema->nfields, sizeof *rd->json_off);
  for (uint32_t c = 0; c < schema->nfields; c++) {
    fl_type_kind k = schema->fields[c].type.kind;
    if (k == FL_T_DECIMAL || k == FL_T_JSON) rd->needs_raw = true;
  }
  return rd;
}

void fl_cli_ndjson_reader_free(fl_ndjson_reader *rd) {
  if (!rd) return;
  fl_batch_free(rd->batch);
  fl_free(rd->row);
  fl_free(rd->json_off);
  fl_free(rd->spans);
  fl_buf_free(&rd->json_text);
  fl_free(rd->source);
  fl_free(rd);
}

fl_batch *fl_cli_ndjson_reader_batch(fl_ndjson_reader *rd) { return rd->batch; }

/* ---------------------------------------------------------------- raw scanner
 * These walk text jansson has already accepted, so they only need to find ends,
 * not to validate; they still never step past `end`. */

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

static const char *skip_string(const char *p, const char *end) {
  p++; /* the opening quote */
  while (p < end) {
    if (*p == '\\')
      p += 2;
    else if (*p == '"')
      return p + 1;
    else
      p++;
  }
  return end;
}

static const char *skip_value(const char *p, const char *end) {
  if (p >= end) return end;
  if (*p == '"') return skip_string(p, end);
  if (*p == '{' || *p == '[') {
    int depth = 0;
    while (p < end) {
      if (*p == '"') {
        p = skip_string(p, end);
        continue;
      }
      if (*p == '{' || *p == '[')
        depth++;
      else if (*p == '}' || *p == ']') {
        if (--depth == 0) return p + 1;
      }
      p++;
    }
    return end;
  }
  while (p < end && !strchr(",}] \t\r\n", *p)) p++; /* number, true, false, null */
  return p;
}

/* Fills rd->spans with the members of the validated object root in the text. */
static void member_spans(fl_ndjson_reader *rd, json_t *root, const char *line, size_t len) {
  size_t n = json_object_size(root);
  if (n > rd->spans_cap) {
    rd->spans_cap = n < 16 ? 16 : n;
    rd->spans = fl_realloc(rd->spans, rd->spans_cap * sizeof *rd->spans);
  }
  const char *p = line, *end = line + len;
  p = skip_ws(p, end);
  FL_ASSERT(p < end && *p == '{', "%s", rd->source);
  p = skip_ws(p + 1, end);
  size_t k = 0;
  for (void *it = json_object_iter(root); it; it = json_object_iter_next(root, it), k++) {
    FL_ASSERT(k < n && p < end && *p == '"', "%s: member %zu", rd->source, k);
    const char *key = p + 1;
    p = skip_string(p, end);
    const char *key_end = p - 1;
    const char *jkey = json_object_iter_key(it);
    /* jansson keeps insertion order; verify it where the raw key can be compared */
    if (!memchr(key, '\\', (size_t)(key_end - key)))
      FL_ASSERT(strlen(jkey) == (size_t)(key_end - key) && !memcmp(jkey, key, (size_t)(key_end - key)),
                "%s: member order differs from jansson's", rd->source);
    p = skip_ws(p, end);
    FL_ASSERT(p < end && *p == ':');
    p = skip_ws(p + 1, end);
    const char *val = p;
    p = skip_value(p, end);
    rd->spans[k] = (member_span){jkey, val, (size_t)(p - val), json_object_iter_value(it)};
    p = skip_ws(p, end);
    if (p < end && *p == ',') p = skip_ws(p + 1, end);
  }
  rd->nspans = k;
}

static const member_span *span_find(const fl_ndjson_reader *rd, const char *name) {
  for (size_t k = 0; k < rd->nspans; k++)
    if (!strcmp(rd->spans[k].key, name)) return &rd->spans[k];
  return NULL;
}

/* Appends text without the blanks outside strings. */
static void compact_append(fl_buf *out, const char *p, size_t n) {
  const char *end = p + n;
  while (p < end) {
    if (*p == '"') {
      const char *q = skip_string(p, end);
      fl_buf_append(out, p, (size_t)(q - p));
      p = q;
    } else {
      if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') fl_buf_put_u8(out, (uint8_t)*p);
      p++;
    }
  }
}

static int json_depth(const json_t *v) {
  int deepest = 0;
  if (json_is_object(v)) {
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)v, key, m) {
      int d = json_depth(m);
      if (d > deepest) deepest = d;
      if (deepest > FL_JSON_DEPTH_MAX) break;
    }
    return deepest + 1;
  }
  if (json_is_array(v)) {
    size_t i;
    json_t *m;
    json_array_foreach(v, i, m) {
      int d = json_depth(m);
      if (d > deepest) deepest = d;
      if (deepest > FL_JSON_DEPTH_MAX) break;
    }
    return deepest + 1;
  }
  return 0;
}

/* ---------------------------------------------------------------- conversion */

/* "found ..." text: the value's JSON, shortened. */
static void found_text(const json_t *v, char *out, size_t out_size) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!s) {
    snprintf(out, out_size, "a value");
    return;
  }
  size_t n = strlen(s);
  if (n > 60)
    snprintf(out, out_size, "%.57s...", s);
  else
    snprintf(out, out_size, "%s", s);
  free(s); /* jansson's allocation */
}

static fl_code type_error(const fl_ndjson_reader *rd, uint64_t lineno, const fl_field *f, const json_t *v,
                          fl_err *err) {
  char type[32], found[80];
  fl_cli_type_format(f->type, type, sizeof type);
  found_text(v, found, sizeof found);
  return fl_err_set(err, FL_ETYPE, "%s:%llu: field %s: expected %s, found %s", rd->source,
                    (unsigned long long)lineno, f->name, type, found);
}

/* Converts member m (NULL = missing) of column c into rd->row[c]. */
static fl_code convert(fl_ndjson_reader *rd, uint32_t c, const member_span *m, json_t *v, uint64_t lineno,
                       fl_err *err) {
  const fl_field *f = &rd->schema->fields[c];
  fl_value *out = &rd->row[c];
  memset(out, 0, sizeof *out);
  out->type = f->type;
  if (!v || json_is_null(v)) {
    if (f->required)
      return fl_err_set(err, FL_ETYPE, "%s:%llu: field %s: %s, but the column is NOT NULL", rd->source,
                        (unsigned long long)lineno, f->name, v ? "null" : "missing");
    out->is_null = true;
    return FL_OK;
  }
  switch (f->type.kind) {
    case FL_T_BOOLEAN:
      if (!json_is_boolean(v)) return type_error(rd, lineno, f, v, err);
      out->u.b = json_is_true(v);
      return FL_OK;
    case FL_T_INT: {
      if (!json_is_integer(v)) return type_error(rd, lineno, f, v, err);
      json_int_t i = json_integer_value(v);
      if (i < INT32_MIN || i > INT32_MAX)
        return fl_err_set(err, FL_ETYPE, "%s:%llu: field %s: %lld is out of range for INT", rd->source,
                          (unsigned long long)lineno, f->name, (long long)i);
      out->u.i32 = (int32_t)i;
      return FL_OK;
    }
    case FL_T_BIGINT:
      if (!json_is_integer(v)) return type_error(rd, lineno, f, v, err);
      out->u.i64 = (int64_t)json_integer_value(v);
      return FL_OK;
    case FL_T_FLOAT:
      if (!json_is_number(v)) return type_error(rd, lineno, f, v, err);
      out->u.f32 = (float)json_number_value(v);
      return FL_OK;
    case FL_T_DOUBLE:
      if (!json_is_number(v)) return type_error(rd, lineno, f, v, err);
      out->u.f64 = json_number_value(v);
      return FL_OK;
    case FL_T_DECIMAL: {
      const char *text;
      size_t n;
      if (json_is_string(v)) {
        text = json_string_value(v);
        n = json_string_length(v);
      } else if (json_is_number(v)) {
        FL_ASSERT(m, "%s:%llu: no span for %s", rd->source, (unsigned long long)lineno, f->name);
        text = m->val;
        n = m->val_len;
      } else {
        return type_error(rd, lineno, f, v, err);
      }
      if (!fl_decimal_parse(text, n, f->type.precision, f->type.scale, &out->u.i64))
        return type_error(rd, lineno, f, v, err);
      return FL_OK;
    }
    case FL_T_DATE:
      if (!json_is_string(v) || !fl_date_parse(json_string_value(v), json_string_length(v), &out->u.i32))
        return type_error(rd, lineno, f, v, err);
      return FL_OK;
    case FL_T_TIMESTAMP:
      if (json_is_integer(v)) {
        out->u.i64 = (int64_t)json_integer_value(v);
        return FL_OK;
      }
      if (!json_is_string(v) || !fl_ts_parse(json_string_value(v), json_string_length(v), &out->u.i64))
        return type_error(rd, lineno, f, v, err);
      return FL_OK;
    case FL_T_STRING:
      if (!json_is_string(v)) return type_error(rd, lineno, f, v, err);
      out->u.str.ptr = json_string_value(v);
      out->u.str.len = (uint32_t)json_string_length(v);
      return FL_OK;
    case FL_T_JSON:
      FL_ASSERT(m, "%s:%llu: no span for %s", rd->source, (unsigned long long)lineno, f->name);
      if (json_depth(v) > FL_JSON_DEPTH_MAX)
        return fl_err_set(err, FL_ELIMIT, "%s:%llu: field %s: JSON nested deeper than %d levels", rd->source,
                          (unsigned long long)lineno, f->name, FL_JSON_DEPTH_MAX);
      /* the text goes to json_text; pointers are fixed up once the buffer stops moving */
      rd->json_off[c] = rd->json_text.len;
      compact_append(&rd->json_text, m->val, m->val_len);
      out->u.str.len = (uint32_t)(rd->json_text.len - rd->json_off[c]);
      return FL_OK;
  }
  FL_ASSERT(0, "column %s: unknown type kind %d", f->name, (int)f->type.kind);
  return FL_EINVAL;
}

static bool is_blank(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') return false;
  return true;
}

static const char *json_type_name(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    default: return "a value";
  }
}

fl_code fl_cli_ndjson_reader_line(fl_ndjson_reader *rd, const char *line, size_t len, uint64_t lineno,
                                  fl_err *err) {
  FL_ASSERT(rd->batch->nrows < rd->batch->capacity, "%s:%llu: batch full", rd->source,
            (unsigned long long)lineno);
  if (len > 0 && line[len - 1] == '\r') len--;
  if (lineno == 1 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) { /* UTF-8 byte order mark */
    line += 3;
    len -= 3;
  }
  if (is_blank(line, len)) return FL_OK;
  if (len > FL_JSON_LINE_MAX)
    return fl_err_set(err, FL_ELIMIT, "%s:%llu: line longer than %u bytes", rd->source,
                      (unsigned long long)lineno, (unsigned)FL_JSON_LINE_MAX);

  /* jansson's reader skips raw NUL bytes, so it would accept a line the raw scanner
   * below reads differently; a NUL byte is never valid JSON text anyway */
  const char *nul = memchr(line, '\0', len);
  if (nul)
    return fl_err_set(err, FL_EPARSE, "%s:%llu: invalid JSON at column %zu: NUL byte", rd->source,
                      (unsigned long long)lineno, (size_t)(nul - line) + 1);

  fl_code rc = FL_OK;
  json_error_t jerr;
  json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (!root)
    return fl_err_set(err, FL_EPARSE, "%s:%llu: invalid JSON at column %d: %s", rd->source,
                      (unsigned long long)lineno, jerr.column, jerr.text);
  if (!json_is_object(root)) {
    rc = fl_err_set(err, FL_EPARSE, "%s:%llu: expected a JSON object, found %s", rd->source,
                    (unsigned long long)lineno, json_type_name(root));
    goto done;
  }
  if (rd->needs_raw) member_spans(rd, root, line, len);
  fl_buf_clear(&rd->json_text);
  const fl_schema *schema = rd->schema;
  for (uint32_t c = 0; c < schema->nfields; c++) {
    const char *name = schema->fields[c].name;
    const member_span *m = rd->needs_raw ? span_find(rd, name) : NULL;
    json_t *v = m ? m->json : json_object_get(root, name);
    rc = convert(rd, c, m, v, lineno, err);
    if (rc) goto done;
  }
  for (uint32_t c = 0; c < schema->nfields; c++)
    if (schema->fields[c].type.kind == FL_T_JSON && !rd->row[c].is_null)
      rd->row[c].u.str.ptr = (const char *)rd->json_text.data + rd->json_off[c];
  fl_batch_append_values(rd->batch, rd->row);
done:
  json_decref(root);
  return rc;
}

/* ---------------------------------------------------------------- whole input */

/* Read buffer: starts at 64 KiB, grows to hold the longest line (+1 for the cut). */
enum { READ_CHUNK = 64 << 10, READ_BUF_MAX = FL_JSON_LINE_MAX + 2 };

fl_code fl_cli_ndjson_read(fl_ndjson_reader *rd, FILE *in, fl_ndjson_emit_fn emit, void *ctx, uint64_t *rows,
                           fl_err *err) {
  fl_code rc = FL_OK;
  size_t cap = READ_CHUNK, len = 0, start = 0;
  char *buf = fl_malloc(cap);
  uint64_t lineno = 0;
  bool eof = false;
  *rows = 0;
  for (;;) {
    char *nl = start < len ? memchr(buf + start, '\n', len - start) : NULL;
    if (!nl && !eof) {
      /* need more bytes: keep the partial line at the front, grow if it fills the buffer */
      memmove(buf, buf + start, len - start);
      len -= start;
      start = 0;
      if (len > FL_JSON_LINE_MAX) {
        rc = fl_err_set(err, FL_ELIMIT, "%s:%llu: line longer than %u bytes", rd->source,
                        (unsigned long long)lineno + 1, (unsigned)FL_JSON_LINE_MAX);
        goto done;
      }
      if (len == cap) {
        cap = cap * 2 > READ_BUF_MAX ? READ_BUF_MAX : cap * 2;
        buf = fl_realloc(buf, cap);
      }
      size_t got = fread(buf + len, 1, cap - len, in);
      if (got == 0) {
        if (ferror(in)) {
          rc = fl_err_errno(err, errno, "%s: read", rd->source);
          goto done;
        }
        eof = true;
      }
      len += got;
      continue;
    }
    if (!nl && start == len) break; /* eof and nothing left */
    size_t line_len = nl ? (size_t)(nl - (buf + start)) : len - start;
    lineno++;
    rc = fl_cli_ndjson_reader_line(rd, buf + start, line_len, lineno, err);
    if (rc) goto done;
    start += line_len + (nl ? 1 : 0);
    fl_batch *batch = rd->batch;
    if (batch->nrows == batch->capacity) {
      *rows += batch->nrows;
      rc = emit(ctx, batch, err);
      if (rc) goto done;
      fl_batch_reset(batch);
    }
  }
  if (rd->batch->nrows > 0) {
    *rows += rd->batch->nrows;
    rc = emit(ctx, rd->batch, err);
    fl_batch_reset(rd->batch);
  }
done:
  fl_free(buf);
  return rc;
}
