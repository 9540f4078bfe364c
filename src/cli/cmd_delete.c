/* cmd_delete: `floe delete TABLE --where "CONDITION" [--where ...]`
 *
 * Deletes the rows where every --where is TRUE (ANDed; the same SQL conditions as
 * `floe cat`, where.c) with Iceberg position deletes: data files are never
 * rewritten. Flow:
 *
 *   fl_scan_plan(current snapshot, pruning preds, projection = the conditions'
 *                columns)                pruning by partition, bounds, row groups
 *   fl_cli_where_attach                  the scan's filter: sql's evaluator
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
 * Memory: the conditions live in the where (where.c); the appender interns the file
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
  if (!o->nwhere) return fl_cli_usage("delete", "which rows? give at least one --where \"CONDITION\"");
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

/* The pruning predicates, and a projection of just the conditions' columns (the
 * filter reads projected columns; reading the others would be wasted). */
static fl_code scan_opts_build(const delete_opts *o, const fl_table *tbl, fl_scan_opts *so,
                               fl_cli_where **where, fl_err *err) {
  memset(so, 0, sizeof *so);
  fl_code rc = fl_cli_where_new(o->where, o->nwhere, fl_table_schema(tbl), where, err);
  if (rc) return rc;
  so->preds = fl_cli_where_preds(*where, &so->npreds);
  so->where = fl_cli_where_pred(*where);
  so->columns = fl_cli_where_columns(*where, &so->ncolumns);
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
  fl_cli_where *where = NULL;
  delete_ctx dc = {.err = &err};
  fl_scan_opts so;
  int64_t snapshot_id = 0;
  bool usage = false; /* a --where the table's schema refuses: the command line is wrong */
  fl_code rc = fl_cli_table_open(cli, o.table, &wh, &tbl, &err);
  if (!rc) usage = (rc = scan_opts_build(&o, tbl, &so, &where, &err)) != FL_OK;
  if (!rc) rc = fl_appender_begin(tbl, &dc.app, &err);
  if (!rc) rc = fl_scan_plan(tbl, &so, &scan, &err); /* its messages name the table */
  if (!rc) rc = fl_cli_where_attach(where, scan, &err);
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
  fl_cli_where_free(where);
  fl_appender_free(dc.app); /* uncommitted: aborted, its files deleted */
  if (tbl) fl_table_free(tbl);
  if (wh) fl_warehouse_close(wh);
  fl_arena_destroy(&arena);
  if (usage) return fl_cli_usage("delete", "%s", err.msg);
  return rc ? fl_cli_fail(&err) : FL_CLI_OK;
}
