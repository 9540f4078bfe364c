/* cmd_sql: `floe sql "QUERY" [--format table|json|ndjson|csv|arrow] [--timeout MS]
 *           [--memory BYTES] [--threads N]`, `floe sql -` (the query from stdin), and `floe sql` alone:
 *           a shell (libedit line editing and history; statements end with ';';
 *           \d lists the tables, \d TABLE shows one's columns, \q quits).
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

#include <editline/readline.h>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "core/limits.h"
#include "sql/sql.h"

typedef struct sql_opts {
  const char *query;
  fl_sql_format format;
  uint64_t timeout_ms;
  uint64_t memory;
  uint64_t threads; /* 0: the online cores */
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
    } else if ((m = fl_cli_opt(argc, argv, &i, "--threads", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--threads", v, &o->threads, &err)) return fl_cli_usage("sql", "%s", err.msg);
      if (o->threads < 1 || o->threads > 256)
        return fl_cli_usage("sql", "--threads %s: expected 1 to 256", v);
    } else if (fl_cli_is_option(argv[i]) && strcmp(argv[i], "-") != 0) {
      return fl_cli_usage("sql", "unknown option %s", argv[i]);
    } else if (!o->query) {
      o->query = argv[i];
    } else {
      return fl_cli_usage("sql", "unexpected argument '%s' (quote the query as one argument)", argv[i]);
    }
  }
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

/* Runs one query on wh and prints it; 0 or FL_CLI_ERROR (the message printed). */
static int run_query(fl_warehouse *wh, const char *text, size_t len, const sql_opts *o) {
  fl_err err = {0};
  fl_sql_query *q = NULL;
  fl_sql_writer *w = NULL;
  fl_buf out = {0};
  int rc = FL_CLI_OK;
  uint32_t threads = (uint32_t)o->threads;
  if (!threads) { /* every online core */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cores < 1 ? 1u : cores > 256 ? 256u : (uint32_t)cores;
  }
  fl_sql_query_opts qo = {
      .timeout_ms = (int64_t)o->timeout_ms, .mem_budget = (size_t)o->memory, .threads = threads};
  if (fl_sql_query_prepare(wh, text, len, &qo, &q, &err)) {
    rc = fail_with_caret(text, len, &err);
    goto done;
  }
  uint32_t ncols;
  const fl_field *fields = fl_sql_query_fields(q, &ncols);
  if (fl_sql_query_is_explain(q) && o->format == FL_SQL_FORMAT_TABLE) {
    /* the plan's lines as they are, not in a box */
    const fl_batch *b = NULL;
    fl_code code;
    while (!(code = fl_sql_query_next(q, &b, &err)) && b)
      for (uint32_t r = 0; r < b->nrows; r++) {
        uint32_t n;
        const char *line = fl_vec_str(&b->cols[0], r, &n);
        printf("%.*s\n", (int)n, line);
      }
    if (code) rc = fl_cli_fail(&err);
    goto done;
  }
  w = fl_sql_writer_new(o->format, fields, ncols);
  fl_sql_writer_begin(w, &out);
  for (;;) {
    const fl_batch *b = NULL;
    if (fl_sql_query_next(q, &b, &err)) {
      flush(&out);
      fflush(stdout);
      rc = fail_with_caret(text, len, &err); /* "more than one row returned by a subquery" has a place */
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
  return rc;
}

/* ---- the interactive shell ---- */

/* \d: every table, one "namespace.name" a line. */
static void shell_tables(fl_warehouse *wh) {
  fl_catalog_entry *entries = NULL;
  uint32_t n = 0;
  fl_err err = {0};
  if (fl_catalog_list(fl_warehouse_catalog(wh), NULL, &entries, &n, &err)) {
    fl_cli_fail(&err);
    return;
  }
  for (uint32_t i = 0; i < n; i++) printf("%s.%s\n", entries[i].ns, entries[i].name);
  if (!n) printf("(no tables)\n");
  fl_catalog_entries_free(entries, n);
}

/* \d TABLE: its columns, as the CREATE's column list would write them. */
static void shell_describe(fl_warehouse *wh, const char *name) {
  char ns[FL_NAME_MAX + 1] = "", tname[2 * FL_NAME_MAX + 2];
  const char *dot = strchr(name, '.');
  fl_err err = {0};
  if (dot) {
    snprintf(ns, sizeof ns, "%.*s", (int)(dot - name), name);
    snprintf(tname, sizeof tname, "%s", dot + 1);
  } else {
    /* the one namespace that has it */
    fl_catalog_entry *entries = NULL;
    uint32_t n = 0, found = 0;
    if (fl_catalog_list(fl_warehouse_catalog(wh), NULL, &entries, &n, &err)) {
      fl_cli_fail(&err);
      return;
    }
    for (uint32_t i = 0; i < n; i++)
      if (!strcmp(entries[i].name, name) && found++ == 0) snprintf(ns, sizeof ns, "%s", entries[i].ns);
    fl_catalog_entries_free(entries, n);
    if (found != 1) {
      fprintf(stderr, "floe: %s table '%s': write namespace.name\n", found ? "more than one" : "no", name);
      return;
    }
    snprintf(tname, sizeof tname, "%s", name);
  }
  fl_table *tbl = NULL;
  if (fl_table_load(wh, ns, tname, &tbl, &err)) {
    fl_cli_fail(&err);
    return;
  }
  const fl_schema *s = fl_table_schema(tbl);
  for (uint32_t i = 0; i < s->nfields; i++) {
    char type[32];
    fl_sql_type_format(s->fields[i].type, type, sizeof type);
    printf("%-24s %s%s\n", s->fields[i].name, type, s->fields[i].required ? " NOT NULL" : "");
  }
  fl_table_free(tbl);
}

/* True when the statement text so far ends with ';' outside quotes and comments. */
static bool statement_complete(const char *s, size_t n) {
  bool sq = false, dq = false, line_comment = false;
  size_t last = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (line_comment) {
      if (c == '\n') line_comment = false;
      continue;
    }
    if (sq) {
      if (c == '\'') sq = false;
      continue;
    }
    if (dq) {
      if (c == '"') dq = false;
      continue;
    }
    if (c == '\'')
      sq = true;
    else if (c == '"')
      dq = true;
    else if (c == '-' && i + 1 < n && s[i + 1] == '-')
      line_comment = true;
    else if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      last = i;
  }
  return last != SIZE_MAX && s[last] == ';' && !sq && !dq;
}

/* A line of input without its '\n': from libedit on a terminal, as raw bytes otherwise
 * (libedit in the C locale drops the bytes of UTF-8 characters, so a piped script's
 * 'ünï' became 'n'); NULL at end of input. Freed with free(). */
static char *read_line(bool tty, const char *prompt) {
  if (tty) return readline(prompt);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (n < 0) {
    free(line);
    return NULL;
  }
  if (n && line[n - 1] == '\n') line[n - 1] = '\0';
  return line;
}

/* floe sql without a query: lines are read (libedit: editing, history in
 * ~/.floe_history) until one ends a statement with ';'; \d, \d TABLE, \q (or end of
 * input) are commands. Errors are printed and the shell goes on; the exit status is 1
 * if any statement failed (for scripts piped in). */
static int shell(fl_warehouse *wh, const sql_opts *o) {
  bool tty = isatty(STDIN_FILENO);
  char *home = getenv("HOME");
  char *hist = home && tty ? fl_sprintf("%s/.floe_history", home) : NULL;
  if (hist) read_history(hist);
  if (tty)
    printf("floe sql: end a statement with ';'; \\d lists the tables, \\d TABLE its columns, \\q quits\n");
  fl_buf stmt = {0};
  int status = FL_CLI_OK;
  for (;;) {
    char *line = read_line(tty, stmt.len ? "   -> " : "floe> ");
    if (!line) break;
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (stmt.len == 0 && *p == '\\') {
      if (tty) add_history(line);
      if (!strcmp(p, "\\q")) {
        free(line);
        break;
      }
      if (!strcmp(p, "\\d"))
        shell_tables(wh);
      else if (!strncmp(p, "\\d ", 3))
        shell_describe(wh, p + 3 + strspn(p + 3, " "));
      else
        fprintf(stderr, "floe: unknown command %s (\\d, \\d TABLE, \\q)\n", p);
      free(line);
      continue;
    }
    if (stmt.len == 0 && *p == 0) {
      free(line);
      continue;
    }
    fl_buf_puts(&stmt, line);
    fl_buf_put_u8(&stmt, '\n');
    free(line);
    if (!statement_complete((const char *)stmt.data, stmt.len)) continue;
    if (tty) {
      fl_buf_cstr(&stmt);
      char *entry = fl_sprintf("%.*s", (int)(stmt.len - 1), (const char *)stmt.data);
      add_history(entry);
      fl_free(entry);
    }
    if (run_query(wh, (const char *)stmt.data, stmt.len, o)) status = FL_CLI_ERROR;
    fflush(stdout);
    fl_buf_clear(&stmt);
  }
  if (stmt.len && !statement_complete((const char *)stmt.data, stmt.len)) {
    /* the last statement without its ';' still runs (a piped script) */
    if (run_query(wh, (const char *)stmt.data, stmt.len, o)) status = FL_CLI_ERROR;
  }
  if (hist) {
    write_history(hist);
    fl_free(hist);
  }
  fl_buf_free(&stmt);
  return status;
}

int fl_cli_cmd_sql(fl_cli *cli, int argc, char **argv) {
  sql_opts o = {0};
  int status = parse_args(argc, argv, &o);
  if (status) return status;
  fl_err err = {0};
  fl_warehouse *wh = NULL;
  if (fl_cli_warehouse_open(cli, &wh, &err)) return fl_cli_fail(&err);
  int rc;
  if (!o.query) {
    rc = shell(wh, &o);
  } else if (!strcmp(o.query, "-")) {
    size_t len = 0;
    char *text = read_stdin(&len);
    if (!text) {
      fprintf(stderr, "floe: cannot read the query from stdin\n");
      rc = FL_CLI_ERROR;
    } else {
      rc = run_query(wh, text, len, &o);
      free(text);
    }
  } else {
    rc = run_query(wh, o.query, strlen(o.query), &o);
  }
  fl_warehouse_close(wh);
  return rc;
}
