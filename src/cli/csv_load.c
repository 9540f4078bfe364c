/* csv_load: CSV and Parquet files -> batches for `floe load` (csv_load.h has the rules).
 *
 * CSV: a record reader over stdio (getc_unlocked: the file is read once, in order)
 * splits fields with RFC 4180 quoting into one reused buffer (field i = bytes
 * [start[i], end[i]) plus a quoted flag), counting lines so a message names the line
 * a record starts on. The header maps file fields to schema columns (col_of[field]:
 * column index, or -1 to skip); each record then appends one value to every column
 * (NULL for a column the header lacks). A batch of batch_rows rows is emitted.
 *
 * Parquet: the table's columns are looked up by name in the file's schema; a read
 * schema carries the table's types with the file's field ids, so the reader matches by
 * id and widens; its batches are emitted under the table's fields (same vectors).
 *
 * Limits: a record of more than FL_JSON_LINE_MAX bytes (the NDJSON line bound: one
 * record of a load) or FL_COLUMNS_MAX fields is refused.
 *
 * Ownership: every buffer is the call's own and freed before it returns. */
#include "cli/csv_load.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/decimal.h"
#include "core/limits.h"
#include "core/time.h"
#include "format/parquet.h"

/* ---------------------------------------------------------------- CSV records */

typedef struct rec {
  fl_buf bytes;
  uint32_t *start, *end;
  bool *quoted;
  uint32_t n, cap;
  uint64_t line;      /* of the record's first byte */
  uint64_t next_line; /* of the next record */
} rec;

static void rec_push(rec *r, uint32_t start, bool quoted) {
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 16;
    r->start = fl_realloc(r->start, r->cap * sizeof *r->start);
    r->end = fl_realloc(r->end, r->cap * sizeof *r->end);
    r->quoted = fl_realloc(r->quoted, r->cap * sizeof *r->quoted);
  }
  r->start[r->n] = start;
  r->end[r->n] = start;
  r->quoted[r->n] = quoted;
  r->n++;
}

/* Reads one record; *eof when there is none (a blank line is a record of one empty
 * field, skipped by the caller). */
static fl_code rec_read(rec *r, FILE *in, const char *source, bool *eof, fl_err *err) {
  r->bytes.len = 0;
  r->n = 0;
  r->line = r->next_line;
  int c = getc_unlocked(in);
  if (c == EOF) {
    *eof = true;
    return ferror(in) ? fl_err_errno(err, errno, "%s: read", source) : FL_OK;
  }
  *eof = false;
  rec_push(r, 0, false);
  bool in_quotes = false, after_quote = false;
  for (;; c = getc_unlocked(in)) {
    if (c == EOF) {
      if (ferror(in)) return fl_err_errno(err, errno, "%s: read", source);
      if (in_quotes)
        return fl_err_set(err, FL_EPARSE, "%s:%llu: a quoted field is not closed", source,
                          (unsigned long long)r->line);
      r->next_line++;
      break;
    }
    if (r->bytes.len >= FL_JSON_LINE_MAX)
      return fl_err_set(err, FL_ELIMIT, "%s:%llu: a record over %u bytes", source,
                        (unsigned long long)r->line, FL_JSON_LINE_MAX);
    if (in_quotes) {
      if (c == '"') {
        int d = getc_unlocked(in);
        if (d == '"') {
          fl_buf_append(&r->bytes, "\"", 1);
        } else {
          in_quotes = false;
          after_quote = true;
          if (d != EOF) ungetc(d, in);
        }
      } else {
        if (c == '\n') r->next_line++;
        char ch = (char)c;
        fl_buf_append(&r->bytes, &ch, 1);
      }
      r->end[r->n - 1] = (uint32_t)r->bytes.len;
      continue;
    }
    if (c == ',') {
      if (r->n >= FL_COLUMNS_MAX)
        return fl_err_set(err, FL_ELIMIT, "%s:%llu: more than %u fields", source, (unsigned long long)r->line,
                          FL_COLUMNS_MAX);
      rec_push(r, (uint32_t)r->bytes.len, false);
      after_quote = false;
      continue;
    }
    if (c == '\n' || c == '\r') {
      if (c == '\r') {
        int d = getc_unlocked(in);
        if (d != '\n' && d != EOF) ungetc(d, in);
      }
      r->next_line++;
      break;
    }
    if (c == '"' && r->end[r->n - 1] == r->start[r->n - 1] && !after_quote && !r->quoted[r->n - 1]) {
      in_quotes = true;
      r->quoted[r->n - 1] = true;
      continue;
    }
    if (after_quote)
      return fl_err_set(err, FL_EPARSE, "%s:%llu: field %u: text after a closing quote", source,
                        (unsigned long long)r->line, r->n);
    char ch = (char)c;
    fl_buf_append(&r->bytes, &ch, 1);
    r->end[r->n - 1] = (uint32_t)r->bytes.len;
  }
  return FL_OK;
}

static void rec_free(rec *r) {
  fl_buf_free(&r->bytes);
  fl_free(r->start);
  fl_free(r->end);
  fl_free(r->quoted);
}

/* ---------------------------------------------------------------- values */

static bool utf8_valid(const uint8_t *s, size_t n) {
  for (size_t i = 0; i < n;) {
    uint8_t c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len || i + len > n || (len == 2 && c < 0xc2)) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
      return false;
    i += len;
  }
  return true;
}

static bool parse_i64(const char *s, size_t n, int64_t *out) {
  char buf[32];
  if (!n || n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (errno || *end || end == buf || isspace((unsigned char)buf[0])) return false;
  *out = v;
  return true;
}

static bool parse_f64(const char *s, size_t n, double *out) {
  char buf[64];
  if (!n || n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  char *end;
  errno = 0;
  double v = strtod(buf, &end);
  if (*end || end == buf || isspace((unsigned char)buf[0]) || (errno == ERANGE && isinf(v))) return false;
  *out = v;
  return true;
}

static bool parse_bool(const char *s, size_t n, bool *out) {
  static const char *const yes[] = {"true", "t", "1", "yes", "y"}, *const no[] = {"false", "f", "0", "no",
                                                                                  "n"};
  for (int i = 0; i < 5; i++) {
    if (strlen(yes[i]) == n && !strncasecmp(s, yes[i], n)) return *out = true, true;
    if (strlen(no[i]) == n && !strncasecmp(s, no[i], n)) return *out = false, true;
  }
  return false;
}

/* Appends the text as a value of vec's type; false if it is not one. */
static bool append_text(fl_vec *vec, const char *s, size_t n) {
  switch (vec->type.kind) {
    case FL_T_INT: {
      int64_t v;
      if (!parse_i64(s, n, &v) || v < INT32_MIN || v > INT32_MAX) return false;
      fl_vec_append_i32(vec, (int32_t)v);
      return true;
    }
    case FL_T_BIGINT: {
      int64_t v;
      if (!parse_i64(s, n, &v)) return false;
      fl_vec_append_i64(vec, v);
      return true;
    }
    case FL_T_DECIMAL: {
      fl_i128 x;
      if (!fl_dec128_parse(s, n, vec->type.precision, vec->type.scale, &x)) return false;
      fl_vec_append_dec(vec, x);
      return true;
    }
    case FL_T_FLOAT:
    case FL_T_DOUBLE: {
      double v;
      if (!parse_f64(s, n, &v)) return false;
      if (vec->type.kind == FL_T_FLOAT)
        fl_vec_append_f32(vec, (float)v);
      else
        fl_vec_append_f64(vec, v);
      return true;
    }
    case FL_T_BOOLEAN: {
      bool v;
      if (!parse_bool(s, n, &v)) return false;
      fl_vec_append_bool(vec, v);
      return true;
    }
    case FL_T_DATE: {
      int32_t d;
      if (!fl_date_parse(s, n, &d)) return false;
      fl_vec_append_i32(vec, d);
      return true;
    }
    case FL_T_TIMESTAMP: {
      int64_t us;
      if (!fl_ts_parse(s, n, &us)) return false;
      fl_vec_append_i64(vec, us);
      return true;
    }
    case FL_T_STRING:
      if (!utf8_valid((const uint8_t *)s, n)) return false;
      fl_vec_append_str(vec, s, (uint32_t)n);
      return true;
    case FL_T_JSON: {
      json_error_t jerr;
      json_t *j = json_loadb(s, n, JSON_DECODE_ANY, &jerr);
      if (!j) return false;
      json_decref(j);
      fl_vec_append_str(vec, s, (uint32_t)n);
      return true;
    }
    default: return false;
  }
}

static void type_name(fl_type t, char *out, size_t size) {
  if (t.kind == FL_T_DECIMAL)
    snprintf(out, size, "DECIMAL(%u,%u)", t.precision, t.scale);
  else
    snprintf(out, size, "%s", fl_type_sql_name(t.kind));
}

/* The schema column a header name means: exact, else ignoring case; -1 if none. */
static int column_of(const fl_schema *schema, const char *name, size_t n) {
  for (uint32_t i = 0; i < schema->nfields; i++)
    if (strlen(schema->fields[i].name) == n && !memcmp(schema->fields[i].name, name, n)) return (int)i;
  for (uint32_t i = 0; i < schema->nfields; i++)
    if (strlen(schema->fields[i].name) == n && !strncasecmp(schema->fields[i].name, name, n)) return (int)i;
  return -1;
}

/* ---------------------------------------------------------------- CSV */

fl_code fl_cli_csv_read(const fl_schema *schema, const char *source, FILE *in, uint32_t batch_rows,
                        bool unknown_ignore, fl_ndjson_emit_fn emit, void *ctx, uint64_t *rows, fl_err *err) {
  rec r = {.bytes = FL_BUF_INIT, .next_line = 1};
  int *col_of = NULL;
  bool *seen = fl_calloc(schema->nfields ? schema->nfields : 1, sizeof *seen);
  fl_batch *b = fl_batch_new(schema->fields, schema->nfields, batch_rows);
  uint32_t nheader = 0;
  bool eof;
  *rows = 0;
  fl_code rc = rec_read(&r, in, source, &eof, err);
  if (rc) goto done;
  if (eof) {
    rc = fl_err_set(err, FL_EPARSE, "%s: empty file: a CSV file starts with a header naming the columns",
                    source);
    goto done;
  }
  nheader = r.n;
  col_of = fl_calloc(nheader, sizeof *col_of);
  for (uint32_t f = 0; f < nheader; f++) {
    const char *name = (const char *)r.bytes.data + r.start[f];
    size_t n = r.end[f] - r.start[f];
    if (f == 0 && n >= 3 && !memcmp(name, "\xEF\xBB\xBF", 3)) name += 3, n -= 3; /* a BOM */
    col_of[f] = column_of(schema, name, n);
    if (col_of[f] >= 0 && seen[col_of[f]]) {
      rc = fl_err_set(err, FL_EPARSE, "%s:%llu: column %s appears twice in the header", source,
                      (unsigned long long)r.line, schema->fields[col_of[f]].name);
      goto done;
    }
    if (col_of[f] >= 0) seen[col_of[f]] = true;
    if (col_of[f] < 0 && !unknown_ignore) {
      rc = fl_err_set(err, FL_ESCHEMA,
                      "%s:%llu: header field %u '%.*s' is no column of the table "
                      "(--unknown-fields ignore skips it)",
                      source, (unsigned long long)r.line, f + 1, (int)n, name);
      goto done;
    }
  }
  for (uint32_t c = 0; c < schema->nfields; c++)
    if (!seen[c] && schema->fields[c].required) {
      rc = fl_err_set(err, FL_ESCHEMA, "%s:1: column %s is NOT NULL and the header does not name it", source,
                      schema->fields[c].name);
      goto done;
    }
  for (;;) {
    if ((rc = rec_read(&r, in, source, &eof, err))) goto done;
    if (eof) break;
    if (r.n == 1 && r.end[0] == r.start[0] && !r.quoted[0]) continue; /* a blank line */
    if (r.n != nheader) {
      rc = fl_err_set(err, FL_EPARSE, "%s:%llu: %u fields, the header has %u", source,
                      (unsigned long long)r.line, r.n, nheader);
      goto done;
    }
    for (uint32_t f = 0; f < nheader; f++) {
      if (col_of[f] < 0) continue;
      const fl_field *fld = &schema->fields[col_of[f]];
      fl_vec *vec = &b->cols[col_of[f]];
      const char *s = (const char *)r.bytes.data + r.start[f];
      size_t n = r.end[f] - r.start[f];
      if (n == 0 && !(r.quoted[f] && fl_type_is_string(fld->type.kind))) {
        if (fld->required) {
          rc = fl_err_set(err, FL_ETYPE, "%s:%llu: column %s: empty, and the column is NOT NULL", source,
                          (unsigned long long)r.line, fld->name);
          goto done;
        }
        fl_vec_append_null(vec);
        continue;
      }
      if (!append_text(vec, s, n)) {
        char t[48];
        type_name(fld->type, t, sizeof t);
        rc = fl_err_set(err, FL_ETYPE, "%s:%llu: column %s: expected %s, found \"%.*s\"", source,
                        (unsigned long long)r.line, fld->name, t, n > 64 ? 64 : (int)n, s);
        goto done;
      }
    }
    for (uint32_t c = 0; c < schema->nfields; c++)
      if (!seen[c]) fl_vec_append_null(&b->cols[c]);
    b->nrows++;
    (*rows)++;
    if (b->nrows == batch_rows) {
      fl_batch_set_rows(b, b->nrows);
      if ((rc = emit(ctx, b, err))) goto done;
      fl_batch_reset(b);
    }
  }
  if (b->nrows) {
    fl_batch_set_rows(b, b->nrows);
    rc = emit(ctx, b, err);
  }
done:
  rec_free(&r);
  fl_free(col_of);
  fl_free(seen);
  fl_batch_free(b);
  return rc;
}

/* ---------------------------------------------------------------- Parquet */

typedef struct pq_ctx {
  fl_batch view; /* the reader's batch under the table's fields */
  const fl_schema *schema;
  fl_ndjson_emit_fn emit;
  void *ctx;
  fl_err *err;
  uint64_t rows;
  const char *path;
  const bool *required_missing;
} pq_ctx;

static int pq_batch(void *ctx, const fl_batch *batch, uint64_t first_row) {
  pq_ctx *pc = ctx;
  for (uint32_t c = 0; c < pc->schema->nfields; c++) /* a NOT NULL column holding a null */
    if (pc->schema->fields[c].required && fl_vec_null_count(&batch->cols[c])) {
      for (uint32_t r = 0; r < batch->nrows; r++)
        if (!fl_vec_is_valid(&batch->cols[c], r))
          return (int)fl_err_set(pc->err, FL_ETYPE,
                                 "%s: row %llu: column %s is NULL, and the column is NOT NULL", pc->path,
                                 (unsigned long long)(first_row + r + 1), pc->schema->fields[c].name);
    }
  pc->view = *batch;
  pc->view.fields = pc->schema->fields;
  pc->rows += batch->nrows;
  return (int)pc->emit(pc->ctx, &pc->view, pc->err);
}

fl_code fl_cli_parquet_read(const fl_schema *schema, const char *path, bool unknown_ignore,
                            fl_ndjson_emit_fn emit, void *ctx, uint64_t *rows, fl_err *err) {
  fl_parquet_reader *pr;
  *rows = 0;
  fl_code rc = fl_parquet_reader_open(path, &pr, err);
  if (rc) return rc;
  const fl_schema *fs = fl_parquet_reader_schema(pr);
  fl_schema read = {.nfields = schema->nfields};
  read.fields = fl_calloc(schema->nfields ? schema->nfields : 1, sizeof *read.fields);
  bool *used = fl_calloc(fs->nfields ? fs->nfields : 1, sizeof *used);
  int32_t absent_id = -1; /* ids no file column has: read as NULL */
  for (uint32_t c = 0; c < schema->nfields && !rc; c++) {
    const fl_field *want = &schema->fields[c];
    int k = column_of(fs, want->name, strlen(want->name));
    read.fields[c] = *want;
    if (k < 0) {
      if (want->required)
        rc = fl_err_set(err, FL_ESCHEMA, "%s: column %s is NOT NULL and the file has no such column", path,
                        want->name);
      read.fields[c].id = absent_id--;
      continue;
    }
    used[k] = true;
    read.fields[c].id = fs->fields[k].id;
  }
  for (uint32_t k = 0; k < fs->nfields && !rc; k++)
    if (!used[k] && !unknown_ignore)
      rc = fl_err_set(err, FL_ESCHEMA,
                      "%s: column %s of the file is no column of the table "
                      "(--unknown-fields ignore skips it)",
                      path, fs->fields[k].name);
  pq_ctx pc = {.schema = schema, .emit = emit, .ctx = ctx, .err = err, .path = path};
  for (uint32_t rg = 0; !rc && rg < fl_parquet_reader_row_groups(pr); rg++)
    rc = fl_parquet_reader_read_row_group(pr, rg, &read, pq_batch, &pc, err);
  *rows = pc.rows;
  fl_free(used);
  fl_free(read.fields);
  fl_parquet_reader_free(pr);
  return rc;
}

fl_code fl_cli_parquet_schema(const char *path, fl_arena *arena, fl_schema *out, fl_err *err) {
  fl_parquet_reader *pr;
  fl_code rc = fl_parquet_reader_open(path, &pr, err);
  if (rc) return rc;
  const fl_schema *fs = fl_parquet_reader_schema(pr);
  memset(out, 0, sizeof *out);
  out->nfields = fs->nfields;
  out->fields = fl_arena_calloc(arena, fs->nfields ? fs->nfields : 1, sizeof *out->fields);
  for (uint32_t i = 0; i < fs->nfields && !rc; i++) {
    out->fields[i] = fs->fields[i];
    out->fields[i].id = (int32_t)i + 1;
    out->fields[i].name = fl_arena_strdup(arena, fs->fields[i].name);
    if (fs->fields[i].nested)
      rc = fl_err_set(err, FL_EUNSUPPORTED, "%s: column %s is nested: give --schema to create the table",
                      path, fs->fields[i].name);
  }
  fl_parquet_reader_free(pr);
  return rc;
}
