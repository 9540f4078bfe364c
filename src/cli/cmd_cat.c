/* cmd_cat: `floe cat TABLE [--snapshot ID] [--as-of TIME] [--where "CONDITION"]...
 *           [--columns A,B] [--limit N] [--stats]`
 *
 * Prints a table's rows as NDJSON on stdout, one object per row in the (projected)
 * current schema's column order (fl_batch_row_to_json_cols: JSON columns as JSON values). The --where
 * conditions (where.c) give the scan its pruning predicates (partitions, column bounds,
 * row groups) and its filter (sql's evaluator, a batch at a time), so the output is
 * exactly the matching rows. --stats writes the scan statistics to stderr as one line
 * of key=value pairs.
 *
 *   --snapshot ID   read that snapshot instead of the current one
 *   --as-of TIME    the snapshot current at TIME: RFC 3339 text or epoch milliseconds
 *   --where         one SQL condition: "amount > 10", "tenant IN ('a', 'b')",
 *                   "name LIKE 'n4%' OR name IS NULL" (where.c has the rules).
 *                   Repeatable; the conditions are ANDed.
 *
 * Memory: predicate strings and column names live in one arena for the command;
 * the output buffer is reused for every batch. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "core/limits.h"
#include "core/time.h"

enum { WHERE_MAX = 64 }; /* predicates per command: far more than a person types */

typedef struct cat_opts {
  const char *table;
  const char *snapshot;
  const char *as_of;
  const char *where[WHERE_MAX];
  uint32_t nwhere;
  const char *columns;
  bool has_limit;
  uint64_t limit;
  bool stats;
  int64_t snapshot_id; /* parsed --snapshot, 0 = none */
  int64_t as_of_ms;    /* parsed --as-of, 0 = none */
} cat_opts;

static bool all_digits(const char *s, size_t n) {
  size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
  if (i == n) return false;
  for (; i < n; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  return true;
}

/* --snapshot and --as-of texts -> o->snapshot_id, o->as_of_ms (command-line errors). */
static fl_code time_travel_parse(cat_opts *o, fl_err *err) {
  if (o->snapshot) {
    char *end;
    errno = 0;
    long long id = strtoll(o->snapshot, &end, 10);
    if (!*o->snapshot || *end || errno || id <= 0)
      return fl_err_set(err, FL_EINVAL, "--snapshot: expected a snapshot id, found \"%s\"", o->snapshot);
    o->snapshot_id = id;
  }
  if (o->as_of) {
    size_t n = strlen(o->as_of);
    if (all_digits(o->as_of, n) && o->as_of[0] != '-') {
      o->as_of_ms = strtoll(o->as_of, NULL, 10);
    } else {
      int64_t micros;
      if (!fl_ts_parse(o->as_of, n, &micros))
        return fl_err_set(err, FL_EINVAL,
                          "--as-of: expected RFC 3339 time or epoch milliseconds, found \"%s\"", o->as_of);
      o->as_of_ms = fl_floor_div(micros, 1000);
    }
    if (o->as_of_ms <= 0) return fl_err_set(err, FL_EINVAL, "--as-of: %s is not after 1970", o->as_of);
  }
  return FL_OK;
}

static int parse_args(int argc, char **argv, cat_opts *o) {
  const char *v;
  fl_err err = {0};
  for (int i = 1; i < argc; i++) {
    int m;
    if ((m = fl_cli_opt(argc, argv, &i, "--data", &v))) {
      if (m < 0) return FL_CLI_USAGE;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--snapshot", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      o->snapshot = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--as-of", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      o->as_of = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--where", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (o->nwhere == WHERE_MAX) return fl_cli_usage("cat", "more than %d --where options", WHERE_MAX);
      o->where[o->nwhere++] = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--columns", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      o->columns = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--limit", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--limit", v, &o->limit, &err)) return fl_cli_usage("cat", "%s", err.msg);
      o->has_limit = true;
    } else if (fl_cli_flag(argv, i, "--stats")) {
      o->stats = true;
    } else if (fl_cli_is_option(argv[i])) {
      return fl_cli_usage("cat", "unknown option %s", argv[i]);
    } else if (!o->table) {
      o->table = argv[i];
    } else {
      return fl_cli_usage("cat", "unexpected argument '%s'", argv[i]);
    }
  }
  if (o->snapshot && o->as_of) return fl_cli_usage("cat", "give --snapshot or --as-of, not both");
  if (!o->table) return fl_cli_usage("cat", "which table? give TABLE as namespace.name");
  if (fl_cli_table_arg("cat", o->table)) return FL_CLI_USAGE;
  if (time_travel_parse(o, &err)) return fl_cli_usage("cat", "%s", err.msg);
  return FL_CLI_OK;
}

/* ---------------------------------------------------------------- options */

/* "a, b" -> names checked against the schema. */
static fl_code columns_parse(const char *text, const fl_schema *schema, fl_arena *arena, const char ***cols,
                             uint32_t *n, fl_err *err) {
  uint32_t cap = 1;
  for (const char *c = text; *c; c++) cap += *c == ',';
  const char **out = fl_arena_calloc(arena, cap, sizeof *out);
  uint32_t count = 0;
  const char *p = text;
  for (;;) {
    const char *s = p;
    while (*p && *p != ',') p++;
    const char *e = p;
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    if (e == s) return fl_err_set(err, FL_EINVAL, "--columns \"%s\": empty column name", text);
    char *name = fl_arena_strndup(arena, s, (size_t)(e - s));
    const fl_field *f = fl_schema_field_by_name(schema, name);
    if (!f) return fl_err_set(err, FL_ENOENT, "--columns: no column %s", name);
    out[count++] = f->name;
    if (!*p) break;
    p++;
  }
  *cols = out;
  *n = count;
  return FL_OK;
}

/* ---------------------------------------------------------------- output */

typedef struct cat_ctx {
  fl_buf out;
  uint32_t ncols_out; /* print the first ncols_out columns; 0 = all */
  bool has_limit;
  uint64_t limit;
  uint64_t emitted;
  bool stopped; /* the limit was reached: the scan was stopped on purpose */
  fl_err *err;
} cat_ctx;

static int emit_rows(void *ctx, const fl_batch *batch, const char *file_path, const uint64_t *positions) {
  (void)file_path;
  (void)positions;
  cat_ctx *cc = ctx;
  fl_buf_clear(&cc->out);
  for (uint32_t r = 0; r < batch->nrows; r++) {
    if (cc->has_limit && cc->emitted == cc->limit) break;
    /* the projection may end with columns only --where needs: print the first ncols_out */
    fl_batch_row_to_json_cols(batch, r, cc->ncols_out ? cc->ncols_out : batch->ncols, &cc->out);
    fl_buf_put_u8(&cc->out, '\n');
    cc->emitted++;
  }
  if (cc->out.len && fwrite(cc->out.data, 1, cc->out.len, stdout) != cc->out.len)
    return fl_err_errno(cc->err, errno, "writing the output");
  if (cc->has_limit && cc->emitted == cc->limit) {
    cc->stopped = true;
    return FL_ELIMIT;
  }
  return 0;
}

static void stats_print(const fl_scan *scan) {
  const fl_scan_stats *s = fl_scan_get_stats(scan);
  const fl_snapshot *snap = fl_scan_snapshot(scan);
  fprintf(stderr,
          "scan: snapshot=%" PRId64
          " manifests=%u manifests_pruned=%u files=%u files_pruned_partition=%u "
          "files_pruned_bounds=%u files_planned=%u delete_files=%u row_groups=%" PRIu64
          " row_groups_pruned=%" PRIu64 " rows_read=%" PRIu64 " rows_deleted=%" PRIu64
          " rows_filtered=%" PRIu64 " rows_emitted=%" PRIu64 " bytes_planned=%" PRIu64 "\n",
          snap ? snap->snapshot_id : 0, s->manifests_total, s->manifests_pruned, s->files_total,
          s->files_pruned_partition, s->files_pruned_bounds, s->files_planned, s->delete_files,
          s->row_groups_total, s->row_groups_pruned, s->rows_read, s->rows_deleted, s->rows_filtered,
          s->rows_emitted, s->bytes_planned);
}

static fl_code scan_opts_build(const cat_opts *o, const fl_table *tbl, fl_arena *arena, fl_scan_opts *so,
                               fl_cli_where **where, uint32_t *ncols_out, fl_err *err) {
  const fl_schema *schema = fl_table_schema(tbl);
  memset(so, 0, sizeof *so);
  so->snapshot_id = o->snapshot_id;
  so->as_of_ms = o->as_of_ms;
  fl_code wrc = fl_cli_where_new(o->where, o->nwhere, schema, where, err);
  if (wrc) return wrc;
  so->preds = fl_cli_where_preds(*where, &so->npreds);
  so->where = fl_cli_where_pred(*where);
  uint32_t nwcols;
  const char *const *wcols = fl_cli_where_columns(*where, &nwcols);
  *ncols_out = 0;
  if (o->columns) {
    const char **cols = NULL;
    uint32_t n = 0;
    fl_code rc = columns_parse(o->columns, schema, arena, &cols, &n, err);
    if (rc) return rc;
    /* the scan filters on projected columns: append the --where columns not asked
     * for, and print only the first n */
    const char **all = fl_arena_calloc(arena, n + nwcols, sizeof *all);
    memcpy(all, cols, n * sizeof *all);
    uint32_t nall = n;
    for (uint32_t i = 0; i < nwcols; i++) {
      bool have = false;
      for (uint32_t j = 0; j < nall && !have; j++) have = !strcmp(all[j], wcols[i]);
      if (!have) all[nall++] = wcols[i];
    }
    so->columns = all;
    so->ncolumns = nall;
    *ncols_out = n;
  }
  return FL_OK;
}

int fl_cli_cmd_cat(fl_cli *cli, int argc, char **argv) {
  cat_opts o = {0};
  int status = parse_args(argc, argv, &o);
  if (status) return status;

  fl_err err = {0};
  fl_arena arena;
  fl_arena_init(&arena, 4 << 10);
  fl_warehouse *wh = NULL;
  fl_table *tbl = NULL;
  fl_scan *scan = NULL;
  fl_cli_where *where = NULL;
  cat_ctx cc = {.out = FL_BUF_INIT, .has_limit = o.has_limit, .limit = o.limit, .err = &err};
  fl_scan_opts so;
  bool usage = false; /* a --where or --columns the table's schema refuses: the command line is wrong */
  fl_code rc = fl_cli_table_open(cli, o.table, &wh, &tbl, &err);
  if (!rc) usage = (rc = scan_opts_build(&o, tbl, &arena, &so, &where, &cc.ncols_out, &err)) != FL_OK;
  if (!rc) rc = fl_scan_plan(tbl, &so, &scan, &err); /* its messages name the table */
  if (!rc) rc = fl_cli_where_attach(where, scan, &err);
  if (rc) goto done;
  if (!(o.has_limit && o.limit == 0)) {
    rc = fl_scan_run(scan, emit_rows, &cc, &err);
    if (rc == FL_ELIMIT && cc.stopped) rc = FL_OK;
    if (rc) goto done;
  }
  if (o.stats) stats_print(scan);
done:
  fl_buf_free(&cc.out);
  if (scan) fl_scan_free(scan);
  fl_cli_where_free(where);
  if (tbl) fl_table_free(tbl);
  if (wh) fl_warehouse_close(wh);
  fl_arena_destroy(&arena);
  if (usage) return fl_cli_usage("cat", "%s", err.msg);
  return rc ? fl_cli_fail(&err) : FL_CLI_OK;
}
