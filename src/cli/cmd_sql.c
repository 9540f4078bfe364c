/* cmd_sql: `floe sql "QUERY" [--format table|json|ndjson|csv|arrow] [--timeout MS]
 *           [--memory BYTES]`, and `floe sql -` (the query from stdin).
 *
 * Runs one query over the warehouse (sql.h: fl_sql_query_*) and writes its rows to
 * stdout in the chosen format (sql.h: fl_sql_writer; default: the table box, as
 * DuckDB's CLI). Each batch is written as it comes, so a large result streams (the
 * table format keeps rows for its widths, up to FL_SQL_TABLE_ROWS_MAX).
 *
 * Errors go to stderr as "floe: <message>" and, for positioned ones, the query line
 * with a caret under the place (fl_sql_error_caret); the exit status is 1 (2 for a
 * command line error).
 *
 * Memory: the query owns its arena and tables; one output buffer, flushed per batch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/limits.h"
#include "sql/sql.h"

typedef struct sql_opts {
  const char *query;
  fl_sql_format format;
  uint64_t timeout_ms;
  uint64_t memory;
} sql_opts;

static int parse_args(int argc, char **argv, sql_opts *o) {
  o->format = FL_SQL_FORMAT_TABLE;
  fl_err err = {0};
  for (int i = 1; i < argc; i++) { /* argv[0] is the command's name */
    const char *v;
    int m;
    if ((m = fl_cli_opt(argc, argv, &i, "--data", &v))) {
      if (m < 0) return FL_CLI_USAGE;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--format", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (!fl_sql_format_parse(v, &o->format))
        return fl_cli_usage("sql", "--format %s: expected table, json, ndjson, csv or arrow", v);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--timeout", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--timeout", v, &o->timeout_ms, &err)) return fl_cli_usage("sql", "%s", err.msg);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--memory", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--memory", v, &o->memory, &err)) return fl_cli_usage("sql", "%s", err.msg);
    } else if (fl_cli_is_option(argv[i]) && strcmp(argv[i], "-") != 0) {
      return fl_cli_usage("sql", "unknown option %s", argv[i]);
    } else if (!o->query) {
      o->query = argv[i];
    } else {
      return fl_cli_usage("sql", "unexpected argument '%s' (quote the query as one argument)", argv[i]);
    }
  }
  if (!o->query) return fl_cli_usage("sql", "which query? give it as one argument, or - to read it from stdin");
  return 0;
}

/* The whole of stdin, at most FL_SQL_TEXT_MAX + 1 bytes (the parser says "too long"). */
static char *read_stdin(size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  for (;;) {
    if (n == cap) {
      if (cap > FL_SQL_TEXT_MAX) break;
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (!grown) break;
      buf = grown;
    }
    size_t got = fread(buf + n, 1, cap - n, stdin);
    if (got == 0) break;
    n += got;
  }
  *len = n;
  return buf;
}

static bool flush(fl_buf *out) {
  if (out->len && fwrite(out->data, 1, out->len, stdout) != out->len) return false;
  fl_buf_clear(out);
  return true;
}

static int fail_with_caret(const char *text, size_t len, const fl_err *err) {
  fl_buf caret = {0};
  fl_sql_error_caret(text, len, err->msg, &caret);
  fprintf(stderr, "floe: %s\n%.*s", err->msg, (int)caret.len, caret.len ? (const char *)caret.data : "");
  fl_buf_free(&caret);
  return FL_CLI_ERROR;
}

int fl_cli_cmd_sql(fl_cli *cli, int argc, char **argv) {
  sql_opts o = {0};
  int status = parse_args(argc, argv, &o);
  if (status) return status;
  const char *text = o.query;
  size_t len = strlen(text);
  char *owned = NULL;
  if (!strcmp(text, "-")) {
    owned = read_stdin(&len);
    if (!owned) {
      fprintf(stderr, "floe: cannot read the query from stdin\n");
      return FL_CLI_ERROR;
    }
    text = owned;
  }
  fl_err err = {0};
  fl_warehouse *wh = NULL;
  fl_sql_query *q = NULL;
  fl_sql_writer *w = NULL;
  fl_buf out = {0};
  int rc = FL_CLI_OK;
  if (fl_cli_warehouse_open(cli, &wh, &err)) {
    rc = fl_cli_fail(&err);
    goto done;
  }
  fl_sql_query_opts qo = {.timeout_ms = (int64_t)o.timeout_ms, .mem_budget = (size_t)o.memory};
  if (fl_sql_query_prepare(wh, text, len, &qo, &q, &err)) {
    rc = fail_with_caret(text, len, &err);
    goto done;
  }
  uint32_t ncols;
  const fl_field *fields = fl_sql_query_fields(q, &ncols);
  if (fl_sql_query_is_explain(q) && o.format == FL_SQL_FORMAT_TABLE) {
    /* the plan's lines as they are, not in a box */
    const fl_batch *b = NULL;
    while (!(rc = fl_sql_query_next(q, &b, &err)) && b)
      for (uint32_t r = 0; r < b->nrows; r++) {
        uint32_t n;
        const char *line = fl_vec_str(&b->cols[0], r, &n);
        printf("%.*s\n", (int)n, line);
      }
    if (rc) rc = fl_cli_fail(&err);
    goto done;
  }
  w = fl_sql_writer_new(o.format, fields, ncols);
  fl_sql_writer_begin(w, &out);
  for (;;) {
    const fl_batch *b = NULL;
    if (fl_sql_query_next(q, &b, &err)) {
      flush(&out);
      fflush(stdout);
      rc = fl_cli_fail(&err);
      goto done;
    }
    if (!b) break;
    fl_sql_writer_batch(w, b, &out);
    if (out.len >= (1u << 16) && !flush(&out)) {
      fprintf(stderr, "floe: writing the result: %s\n", strerror(errno));
      rc = FL_CLI_ERROR;
      goto done;
    }
  }
  fl_sql_writer_end(w, &out);
  if (!flush(&out) || fflush(stdout) != 0) {
    fprintf(stderr, "floe: writing the result: %s\n", strerror(errno));
    rc = FL_CLI_ERROR;
  }
done:
  fl_buf_free(&out);
  fl_sql_writer_free(w);
  fl_sql_query_free(q);
  if (wh) fl_warehouse_close(wh);
  free(owned);
  return rc;
}
