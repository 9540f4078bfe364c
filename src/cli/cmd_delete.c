/* cmd_delete: `floe delete TABLE --where "COL OP LITERAL" [--where ...]`
 *
 * Deletes the rows matching every --where (ANDed; the same predicates as `floe cat`,
 * parsed by fl_cli_where_parse) with Iceberg position deletes: data files are never
 * rewritten. Flow:
 *
 *   fl_scan_plan(current snapshot, preds, projection = the predicates' columns,
 *                filter_rows)            pruning by partition, bounds, row groups
 *   fl_scan_run ──► emit(batch, file_path, positions)
 *                     └─► fl_appender_delete(file_path, positions[i]) for every row
 *   fl_appender_commit                   ONE snapshot, operation "delete"
 *
 * Rows already deleted are hidden by the scan, so the count printed is exactly the
 * rows this command removed from the table's current view:
 *   deleted 12 rows from bronze.orders (snapshot 123...)
 * No matching row: "deleted 0 rows from bronze.orders" and nothing is committed.
 * Older snapshots still show the rows (time travel: `floe cat --snapshot`).
 *
 * At least one --where is required: deleting every row is not a typo to make easy.
 * A concurrent commit between the scan and ours is retried by the table layer; the
 * positions stay valid because data files are immutable.
 *
 * Memory: predicates live in one arena for the command; the appender interns the file
 * paths and holds the positions until the commit (16 bytes a row, no per-row
 * allocation here). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

enum { WHERE_MAX = 64 }; /* as cmd_cat.c */

typedef struct delete_opts {
  const char *table;
  const char *where[WHERE_MAX];
  uint32_t nwhere;
} delete_opts;

static int parse_args(int argc, char **argv, delete_opts *o) {
  const char *v;
  for (int i = 1; i < argc; i++) {
    int m;
    if ((m = fl_cli_opt(argc, argv, &i, "--data", &v))) {
      if (m < 0) return FL_CLI_USAGE;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--where", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (o->nwhere == WHERE_MAX) return fl_cli_usage("delete", "more than %d --where options", WHERE_MAX);
      o->where[o->nwhere++] = v;
    } else if (fl_cli_is_option(argv[i])) {
      return fl_cli_usage("delete", "unknown option %s", argv[i]);
    } else if (!o->table) {
      o->table = argv[i];
    } else {
      return fl_cli_usage("delete", "unexpected argument '%s'", argv[i]);
    }
  }
  if (!o->table) return fl_cli_usage("delete", "which table? give TABLE as namespace.name");
  if (fl_cli_table_arg("delete", o->table)) return FL_CLI_USAGE;
  if (!o->nwhere) return fl_cli_usage("delete", "which rows? give at least one --where \"COL OP LITERAL\"");
  return FL_CLI_OK;
}

typedef struct delete_ctx {
  fl_appender *app;
  uint64_t rows;
  fl_err *err;
} delete_ctx;

static int emit_rows(void *ctx, const fl_batch *batch, const char *file_path, const uint64_t *positions) {
  delete_ctx *dc = ctx;
  for (uint32_t r = 0; r < batch->nrows; r++) {
    fl_code rc = fl_appender_delete(dc->app, file_path, positions[r], dc->err);
    if (rc) return rc;
  }
  dc->rows += batch->nrows;
  return 0;
}

/* The predicates, and a projection of just their columns (the scan filters on
 * projected columns; reading the others would be wasted). */
static fl_code scan_opts_build(const delete_opts *o, const fl_table *tbl, fl_arena *arena, fl_scan_opts *so,
                               fl_err *err) {
  const fl_schema *schema = fl_table_schema(tbl);
  memset(so, 0, sizeof *so);
  fl_pred *preds = fl_arena_calloc(arena, o->nwhere, sizeof *preds);
  const char **cols = fl_arena_calloc(arena, o->nwhere, sizeof *cols);
  uint32_t ncols = 0;
  for (uint32_t i = 0; i < o->nwhere; i++) {
    fl_code rc = fl_cli_where_parse(o->where[i], schema, arena, &preds[i], err);
    if (rc) return rc;
    bool have = false;
    for (uint32_t j = 0; j < ncols && !have; j++) have = !strcmp(cols[j], preds[i].column);
    if (!have) cols[ncols++] = preds[i].column;
  }
  so->preds = preds;
  so->npreds = o->nwhere;
  so->columns = cols;
  so->ncolumns = ncols;
  so->filter_rows = true;
  return FL_OK;
}

int fl_cli_cmd_delete(fl_cli *cli, int argc, char **argv) {
  delete_opts o = {0};
  int status = parse_args(argc, argv, &o);
  if (status) return status;

  fl_err err = {0};
  fl_arena arena;
  fl_arena_init(&arena, 4 << 10);
  fl_warehouse *wh = NULL;
  fl_table *tbl = NULL;
  fl_scan *scan = NULL;
  delete_ctx dc = {.err = &err};
  fl_scan_opts so;
  int64_t snapshot_id = 0;
  fl_code rc = fl_cli_table_open(cli, o.table, &wh, &tbl, &err);
  if (!rc) rc = scan_opts_build(&o, tbl, &arena, &so, &err);
  if (!rc) rc = fl_appender_begin(tbl, &dc.app, &err);
  if (!rc) rc = fl_scan_plan(tbl, &so, &scan, &err); /* its messages name the table */
  if (!rc) rc = fl_scan_run(scan, emit_rows, &dc, &err);
  if (rc) goto done;
  fl_scan_free(scan);
  scan = NULL;
  if (dc.rows == 0) {
    printf("deleted 0 rows from %s.%s\n", fl_table_ns(tbl), fl_table_name(tbl));
    goto done;
  }
  rc = fl_appender_commit(dc.app, NULL, 0, &snapshot_id, &err);
  if (rc) goto done;
  printf("deleted %" PRIu64 " row%s from %s.%s (snapshot %" PRId64 ")\n", dc.rows, dc.rows == 1 ? "" : "s",
         fl_table_ns(tbl), fl_table_name(tbl), snapshot_id);
done:
  if (scan) fl_scan_free(scan);
  fl_appender_free(dc.app); /* uncommitted: aborted, its files deleted */
  if (tbl) fl_table_free(tbl);
  if (wh) fl_warehouse_close(wh);
  fl_arena_destroy(&arena);
  return rc ? fl_cli_fail(&err) : FL_CLI_OK;
}
