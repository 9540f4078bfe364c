/* cmd_tables: `floe tables` lists every table of the warehouse, sorted by name:
 *
 *   bronze.orders  snapshots=3  rows=1000  files=4  bytes=12345
 *
 * rows are the live rows: the current snapshot's total-records minus its
 * total-position-deletes (floe never deletes a position twice); files and bytes are
 * its total-data-files and total-files-size; 0 for a table without a snapshot. A
 * current snapshot whose summary has no totals (other writers need not keep them) is
 * counted from its manifests (fl_table_manifest_totals), as `describe` does. Each table's
 * metadata is loaded once and freed before the next. A table that cannot be loaded
 * (metadata file missing or corrupt) is listed as
 *
 *   bronze.broken  error="table bronze.broken: ...: No such file or directory"
 *
 * and the listing goes on; the exit status is then 1 (the request partly failed).
 * It opens the data dir read-only: listing changes nothing on disk.
 * Also here: fl_cli_warehouse_open and fl_cli_table_open, used by every command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/limits.h"

/* The table-opening helpers of cli.h live here, beside the warehouse listing. */
fl_code fl_cli_warehouse_open(const fl_cli *cli, fl_warehouse **wh, fl_err *err) {
  if (cli->readonly) return fl_warehouse_open_readonly(cli->data_dir, wh, err);
  return fl_warehouse_open(cli->data_dir, wh, err);
}

fl_code fl_cli_table_open(const fl_cli *cli, const char *qualified, fl_warehouse **wh, fl_table **tbl,
                          fl_err *err) {
  char ns[FL_NAME_MAX + 1], name[FL_NAME_MAX + 1];
  *wh = NULL;
  *tbl = NULL;
  fl_code rc = fl_table_ident_parse(qualified, ns, name, err);
  if (rc) return rc;
  struct stat st;
  if (stat(cli->data_dir, &st) != 0 && errno == ENOENT)
    return fl_err_set(err, FL_ENOENT, "data dir %s does not exist", cli->data_dir);
  rc = fl_cli_warehouse_open(cli, wh, err);
  if (rc) return rc;
  rc = fl_table_load(*wh, ns, name, tbl, err);
  if (rc == FL_ENOENT) {
    /* no catalog row, or a row whose metadata file is missing: only the first is
     * "does not exist" (the second keeps the load's message naming the file) */
    char *loc = NULL;
    if (fl_catalog_load(fl_warehouse_catalog(*wh), ns, name, &loc, NULL) == FL_ENOENT)
      rc = fl_err_set(err, FL_ENOENT, "table %s.%s does not exist in data dir %s", ns, name,
                      fl_warehouse_dir(*wh));
    fl_free(loc);
  }
  if (rc) {
    fl_warehouse_close(*wh);
    *wh = NULL;
  }
  return rc;
}

static const char *total(const fl_snapshot *snap, const char *key) {
  const char *v = snap ? fl_snapshot_summary_get(snap, key) : NULL;
  return v ? v : "0";
}

static long long total_num(const fl_snapshot *snap, const char *key) { return atoll(total(snap, key)); }

int fl_cli_cmd_tables(fl_cli *cli, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *v;
    int m = fl_cli_opt(argc, argv, &i, "--data", &v);
    if (m < 0) return FL_CLI_USAGE;
    if (m == 0 && fl_cli_is_option(argv[i])) return fl_cli_usage("tables", "unknown option %s", argv[i]);
    if (m == 0) return fl_cli_usage("tables", "unexpected argument '%s'", argv[i]);
  }
  fl_err err = {0};
  fl_warehouse *wh = NULL;
  fl_catalog_entry *entries = NULL;
  uint32_t n = 0;
  int status = FL_CLI_OK;
  if (fl_cli_warehouse_open(cli, &wh, &err) || fl_warehouse_list(wh, NULL, &entries, &n, &err)) {
    status = fl_cli_fail(&err);
    goto done;
  }
  for (uint32_t i = 0; i < n; i++) {
    fl_table *tbl;
    if (fl_table_load(wh, entries[i].ns, entries[i].name, &tbl, &err)) {
      fl_buf line = FL_BUF_INIT;
      fl_value msg = {.type = {FL_T_STRING, 0, 0}};
      msg.u.str.ptr = err.msg;
      msg.u.str.len = (uint32_t)strlen(err.msg);
      fl_value_to_json(&msg, &line);
      fl_buf_cstr(&line);
      printf("%s.%s  error=%s\n", entries[i].ns, entries[i].name, (const char *)line.data);
      fprintf(stderr, "floe: %s\n", err.msg);
      fl_buf_free(&line);
      fl_err_clear(&err);
      status = FL_CLI_ERROR;
      continue;
    }
    uint32_t nsnap;
    fl_table_snapshots(tbl, &nsnap);
    const fl_snapshot *cur = fl_table_current_snapshot(tbl);
    fl_table_totals t;
    if (cur && !fl_snapshot_summary_get(cur, "total-records") &&
        !fl_table_manifest_totals(tbl, cur, &t, NULL)) {
      /* a writer that keeps no totals in its summaries: count from the manifests */
      printf("%s.%s  snapshots=%u  rows=%lld  files=%u  bytes=%lld\n", entries[i].ns, entries[i].name, nsnap,
             (long long)(t.records - t.position_deletes), t.data_files, (long long)t.bytes);
      fl_table_free(tbl);
      continue;
    }
    printf("%s.%s  snapshots=%u  rows=%lld  files=%s  bytes=%s\n", entries[i].ns, entries[i].name, nsnap,
           total_num(cur, "total-records") - total_num(cur, "total-position-deletes"),
           total(cur, "total-data-files"), total(cur, "total-files-size"));
    fl_table_free(tbl);
  }
done:
  if (entries) fl_catalog_entries_free(entries, n);
  if (wh) fl_warehouse_close(wh);
  return status;
}
