/* result_write.c: query results as text, JSON, CSV or Arrow (sql.h: fl_sql_writer),
 * shared by `floe sql` and POST /v1/query so both print a value the same way.
 *
 * Streaming: JSON, NDJSON, CSV and Arrow write each batch as it comes (the caller
 * flushes `out` between batches: a chunk of an HTTP response, or stdout). The table
 * format needs every column's width before its first line, so it keeps the rows' text
 * (at most FL_SQL_TABLE_ROWS_MAX rows; the rest are counted) and writes the box at end.
 *
 * Table layout (DuckDB's box; names, then types in lower case, then rows):
 *   ┌────────┬───────────────┐
 *   │ tenant │     total     │
 *   │ string │ decimal(38,2) │
 *   ├────────┼───────────────┤
 *   │ acme   │        120.50 │
 *   └────────┴───────────────┘
 * Numbers right-aligned, text left; NULL shown as NULL; a cell longer than
 * TABLE_CELL_MAX code points ends in "…"; newlines and tabs in a cell show as \n, \t.
 *
 * Ownership: the writer is fl_malloc'd; fields are borrowed; out is the caller's. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/time.h"
#include "format/arrow_ipc.h"
#include "sql/sql.h"

/* A table cell wider than this (code points) is cut: terminals are ~100-200 wide. */
#define TABLE_CELL_MAX 48

struct fl_sql_writer {
  fl_sql_format fmt;
  const fl_field *fields;
  uint32_t ncols;
  uint64_t rows;
  /* TABLE: cell texts of kept rows (NUL-separated), widths */
  fl_buf cells;
  uint32_t *width; /* ncols, in code points */
  uint64_t kept;
};

bool fl_sql_format_parse(const char *name, fl_sql_format *out) {
  static const struct {
    const char *name;
    fl_sql_format fmt;
  } names[] = {{"table", FL_SQL_FORMAT_TABLE},   {"json", FL_SQL_FORMAT_JSON},
               {"ndjson", FL_SQL_FORMAT_NDJSON}, {"jsonl", FL_SQL_FORMAT_NDJSON},
               {"csv", FL_SQL_FORMAT_CSV},       {"arrow", FL_SQL_FORMAT_ARROW}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i].name) == 0) {
      *out = names[i].fmt;
      return true;
    }
  return false;
}

const char *fl_sql_format_name(fl_sql_format fmt) {
  switch (fmt) {
    case FL_SQL_FORMAT_TABLE: return "table";
    case FL_SQL_FORMAT_JSON: return "json";
    case FL_SQL_FORMAT_NDJSON: return "ndjson";
    case FL_SQL_FORMAT_CSV: return "csv";
    case FL_SQL_FORMAT_ARROW: return "arrow";
  }
  return "?";
}

const char *fl_sql_format_mime(fl_sql_format fmt) {
  switch (fmt) {
    case FL_SQL_FORMAT_TABLE: return "text/plain; charset=utf-8";
    case FL_SQL_FORMAT_JSON: return "application/json";
    case FL_SQL_FORMAT_NDJSON: return "application/x-ndjson";
    case FL_SQL_FORMAT_CSV: return "text/csv; charset=utf-8; header=present";
    case FL_SQL_FORMAT_ARROW: return "application/vnd.apache.arrow.stream";
  }
  return "application/octet-stream";
}

void fl_sql_value_text(const fl_value *v, fl_buf *out) {
  if (v->is_null) return;
  char tmp[64];
  switch (v->type.kind) {
    case FL_T_STRING:
    case FL_T_JSON: fl_buf_append(out, v->u.str.ptr, v->u.str.len); return;
    case FL_T_TIMESTAMP: {
      /* DuckDB's text: "2024-05-01 12:00:00[.ffffff]", UTC without a suffix, the
       * fraction without trailing zeros ("10:00:00.5"; fl_ts_format writes ".500") */
      size_t n = fl_ts_format(v->u.i64, tmp);
      if (n && tmp[n - 1] == 'Z') n--;
      if (memchr(tmp, '.', n))
        while (tmp[n - 1] == '0') n--;
      for (size_t i = 0; i < n; i++)
        if (tmp[i] == 'T') tmp[i] = ' ';
      fl_buf_append(out, tmp, n);
      return;
    }
    case FL_T_BOOLEAN: fl_buf_puts(out, v->u.b ? "true" : "false"); return;
    case FL_T_FLOAT:
    case FL_T_DOUBLE: {
      double d = v->type.kind == FL_T_FLOAT ? (double)v->u.f32 : v->u.f64;
      if (isnan(d)) {
        fl_buf_puts(out, "nan");
        return;
      }
      if (isinf(d)) {
        fl_buf_puts(out, d > 0 ? "inf" : "-inf");
        return;
      }
      if (v->type.kind ==
          FL_T_FLOAT) { /* the shortest digits that read back as the float, as DuckDB: 0.1, not 0.100000001 */
        int n = 0;
        for (int digits = 6; digits <= 9; digits++) {
          n = snprintf(tmp, sizeof tmp, "%.*g", digits, d);
          if ((float)strtod(tmp, NULL) == v->u.f32) break;
        }
        fl_buf_append(out, tmp, (size_t)n);
        return;
      }
      break;
    }
    default: break;
  }
  /* the JSON text without its quotes (dates, times, UUIDs, bytes are JSON strings) */
  size_t at = out->len;
  fl_value_to_json(v, out);
  if (out->len - at >= 2 && out->data[at] == '"') {
    /* undo the JSON escapes: these kinds hold none but \\ of "\x..." bytes */
    size_t j = at;
    for (size_t i = at + 1; i + 1 < out->len; i++) {
      if (out->data[i] == '\\' && i + 2 < out->len) i++;
      out->data[j++] = out->data[i];
    }
    out->len = j;
  }
}

fl_sql_writer *fl_sql_writer_new(fl_sql_format fmt, const fl_field *fields, uint32_t ncols) {
  fl_sql_writer *w = fl_calloc(1, sizeof *w);
  w->fmt = fmt;
  w->fields = fields;
  w->ncols = ncols;
  if (fmt == FL_SQL_FORMAT_TABLE) w->width = fl_calloc(ncols ? ncols : 1, sizeof *w->width);
  return w;
}

void fl_sql_writer_free(fl_sql_writer *w) {
  if (!w) return;
  fl_buf_free(&w->cells);
  fl_free(w->width);
  fl_free(w);
}

uint64_t fl_sql_writer_rows(const fl_sql_writer *w) { return w->rows; }

static void csv_field(const char *p, size_t n, fl_buf *out) {
  bool quote =
      n == 0 ? false : memchr(p, ',', n) || memchr(p, '"', n) || memchr(p, '\n', n) || memchr(p, '\r', n);
  if (!quote) {
    fl_buf_append(out, p, n);
    return;
  }
  fl_buf_put_u8(out, '"');
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '"') fl_buf_put_u8(out, '"');
    fl_buf_put_u8(out, (uint8_t)p[i]);
  }
  fl_buf_put_u8(out, '"');
}

void fl_sql_writer_begin(fl_sql_writer *w, fl_buf *out) {
  switch (w->fmt) {
    case FL_SQL_FORMAT_JSON: fl_buf_put_u8(out, '['); return;
    case FL_SQL_FORMAT_CSV:
      for (uint32_t c = 0; c < w->ncols; c++) {
        if (c) fl_buf_put_u8(out, ',');
        const char *name = w->fields[c].name;
        /* a header that is one empty name reads as a blank line: quote it */
        if (!*name && w->ncols == 1)
          fl_buf_puts(out, "\"\"");
        else
          csv_field(name, strlen(name), out);
      }
      fl_buf_puts(out, "\r\n");
      return;
    case FL_SQL_FORMAT_ARROW: fl_arrow_ipc_schema(w->fields, w->ncols, out); return;
    case FL_SQL_FORMAT_TABLE:
    case FL_SQL_FORMAT_NDJSON: return;
  }
}

/* Code points of a UTF-8 text. */
static uint32_t text_width(const char *p, size_t n) {
  uint32_t w = 0;
  for (size_t i = 0; i < n; i++) w += ((unsigned char)p[i] & 0xC0) != 0x80;
  return w;
}

/* A table cell's text: control characters escaped, cut at TABLE_CELL_MAX. */
static void table_cell(fl_sql_writer *w, uint32_t c, const fl_value *v) {
  fl_buf text = {0};
  if (v->is_null)
    fl_buf_puts(&text, "NULL");
  else
    fl_sql_value_text(v, &text);
  uint32_t cps = 0;
  for (size_t i = 0; i < text.len; i++) {
    unsigned char ch = text.data[i];
    if ((ch & 0xC0) != 0x80) {
      if (cps == TABLE_CELL_MAX - 1 && text_width((char *)text.data + i, text.len - i) > 1) {
        fl_buf_puts(&w->cells, "…");
        cps++;
        break;
      }
      cps++;
    }
    if (ch == '\n' || ch == '\t' || ch == '\r') {
      fl_buf_put_u8(&w->cells, '\\');
      fl_buf_put_u8(&w->cells, ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r');
      cps++;
    } else if (ch < 0x20) {
      fl_buf_put_u8(&w->cells, '?');
    } else {
      fl_buf_put_u8(&w->cells, ch);
    }
  }
  fl_buf_put_u8(&w->cells, 0);
  if (cps > w->width[c]) w->width[c] = cps;
  fl_buf_free(&text);
}

void fl_sql_writer_batch(fl_sql_writer *w, const fl_batch *batch, fl_buf *out) {
  FL_ASSERT(batch->ncols == w->ncols, "batch of %u columns, writer of %u", batch->ncols, w->ncols);
  if (batch->nrows == 0) return;
  fl_value v;
  switch (w->fmt) {
    case FL_SQL_FORMAT_JSON:
    case FL_SQL_FORMAT_NDJSON:
      for (uint32_t r = 0; r < batch->nrows; r++) {
        if (w->fmt == FL_SQL_FORMAT_JSON && w->rows + r > 0) fl_buf_put_u8(out, ',');
        fl_batch_row_to_json(batch, r, out);
        if (w->fmt == FL_SQL_FORMAT_NDJSON) fl_buf_put_u8(out, '\n');
      }
      break;
    case FL_SQL_FORMAT_CSV: {
      fl_buf text = {0};
      for (uint32_t r = 0; r < batch->nrows; r++) {
        for (uint32_t c = 0; c < w->ncols; c++) {
          if (c) fl_buf_put_u8(out, ',');
          fl_batch_get(batch, c, r, &v);
          if (v.is_null) continue;
          fl_buf_clear(&text);
          fl_sql_value_text(&v, &text);
          /* an empty string is "" so that it differs from NULL (DuckDB writes it so) */
          if (text.len == 0)
            fl_buf_puts(out, "\"\"");
          else
            csv_field((char *)text.data, text.len, out);
        }
        fl_buf_puts(out, "\r\n");
      }
      fl_buf_free(&text);
      break;
    }
    case FL_SQL_FORMAT_ARROW: fl_arrow_ipc_batch(batch, out); break;
    case FL_SQL_FORMAT_TABLE:
      for (uint32_t r = 0; r < batch->nrows && w->kept < FL_SQL_TABLE_ROWS_MAX; r++, w->kept++)
        for (uint32_t c = 0; c < w->ncols; c++) {
          fl_batch_get(batch, c, r, &v);
          table_cell(w, c, &v);
        }
      break;
  }
  w->rows += batch->nrows;
}

static bool right_aligned(fl_type_kind k) {
  return k == FL_T_INT || k == FL_T_BIGINT || k == FL_T_FLOAT || k == FL_T_DOUBLE || k == FL_T_DECIMAL;
}

static void repeat(fl_buf *out, const char *s, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) fl_buf_puts(out, s);
}

/* "┌", "┬", "┐" and friends around widths */
static void rule(const fl_sql_writer *w, const char *l, const char *m, const char *r, fl_buf *out) {
  fl_buf_puts(out, l);
  for (uint32_t c = 0; c < w->ncols; c++) {
    if (c) fl_buf_puts(out, m);
    repeat(out, "─", w->width[c] + 2);
  }
  fl_buf_puts(out, r);
  fl_buf_put_u8(out, '\n');
}

/* One text in a cell of width: centred (headers), right or left. */
static void cell(const char *p, size_t n, uint32_t width, int align, fl_buf *out) {
  uint32_t tw = text_width(p, n);
  uint32_t pad = width > tw ? width - tw : 0;
  uint32_t left = align > 0 ? pad : align == 0 ? pad / 2 : 0;
  fl_buf_puts(out, " ");
  repeat(out, " ", left);
  fl_buf_append(out, p, n);
  repeat(out, " ", pad - left);
  fl_buf_puts(out, " │");
}

static void table_end(fl_sql_writer *w, fl_buf *out) {
  char(*types)[32] = fl_calloc(w->ncols ? w->ncols : 1, sizeof *types);
  for (uint32_t c = 0; c < w->ncols; c++) {
    fl_sql_type_format(w->fields[c].type, types[c], sizeof types[c]);
    for (char *t = types[c]; *t; t++)
      if (*t >= 'A' && *t <= 'Z') *t = (char)(*t + 32);
    const char *name = w->fields[c].name;
    uint32_t nw = text_width(name, strlen(name)), tw = text_width(types[c], strlen(types[c]));
    if (nw > w->width[c]) w->width[c] = nw;
    if (tw > w->width[c]) w->width[c] = tw;
  }
  if (w->ncols == 0) {
    fl_buf_printf(out, "(%" PRIu64 " rows, no columns)\n", w->rows);
    fl_free(types);
    return;
  }
  rule(w, "┌", "┬", "┐", out);
  fl_buf_puts(out, "│");
  for (uint32_t c = 0; c < w->ncols; c++)
    cell(w->fields[c].name, strlen(w->fields[c].name), w->width[c], 0, out);
  fl_buf_puts(out, "\n│");
  for (uint32_t c = 0; c < w->ncols; c++) cell(types[c], strlen(types[c]), w->width[c], 0, out);
  fl_buf_put_u8(out, '\n');
  rule(w, "├", "┼", "┤", out);
  const char *p = (const char *)w->cells.data;
  for (uint64_t r = 0; r < w->kept; r++) {
    fl_buf_puts(out, "│");
    for (uint32_t c = 0; c < w->ncols; c++) {
      size_t n = strlen(p);
      bool is_null = strcmp(p, "NULL") == 0;
      cell(p, n, w->width[c], right_aligned(w->fields[c].type.kind) && !is_null ? 1 : -1, out);
      p += n + 1;
    }
    fl_buf_put_u8(out, '\n');
  }
  rule(w, "└", "┴", "┘", out);
  if (w->rows > w->kept)
    fl_buf_printf(out, "%" PRIu64 " rows (%" PRIu64 " shown)\n", w->rows, w->kept);
  else
    fl_buf_printf(out, "%" PRIu64 " row%s\n", w->rows, w->rows == 1 ? "" : "s");
  fl_free(types);
}

void fl_sql_writer_end(fl_sql_writer *w, fl_buf *out) {
  switch (w->fmt) {
    case FL_SQL_FORMAT_JSON: fl_buf_puts(out, "]\n"); return;
    case FL_SQL_FORMAT_ARROW: fl_arrow_ipc_eos(out); return;
    case FL_SQL_FORMAT_TABLE: table_end(w, out); return;
    case FL_SQL_FORMAT_CSV:
    case FL_SQL_FORMAT_NDJSON: return;
  }
}
