/* cmd_describe: `floe describe TABLE [--files]` prints fl_table_describe's text for the
 * table's current metadata (schema, partitioning, sort order, properties, snapshots).
 * --files prints instead the URI of each data file of the current snapshot, one per
 * line (the manifests' live entries, as a scan plans them), as file:// URIs of where
 * the files are (a table registered away from its metadata's location: under its
 * directory; table/locate.c): what another engine must read, and nothing else (not
 * the files of older snapshots, not orphans). Position deletes then apply to them
 * (docs/operations.md has a DuckDB recipe). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int fl_cli_cmd_describe(fl_cli *cli, int argc, char **argv) {
  const char *table = NULL;
  bool files = false;
  for (int i = 1; i < argc; i++) {
    const char *v;
    int m = fl_cli_opt(argc, argv, &i, "--data", &v);
    if (m < 0) return FL_CLI_USAGE;
    if (m > 0) continue;
    if (fl_cli_flag(argv, i, "--files")) {
      files = true;
      continue;
    }
    if (fl_cli_is_option(argv[i])) return fl_cli_usage("describe", "unknown option %s", argv[i]);
    if (table) return fl_cli_usage("describe", "unexpected argument '%s'", argv[i]);
    table = argv[i];
  }
  if (!table) return fl_cli_usage("describe", "which table? give TABLE as namespace.name");
  if (fl_cli_table_arg("describe", table)) return FL_CLI_USAGE;
  fl_err err = {0};
  fl_warehouse *wh;
  fl_table *tbl;
  if (fl_cli_table_open(cli, table, &wh, &tbl, &err)) return fl_cli_fail(&err);
  if (files) {
    fl_scan *scan;
    int status = FL_CLI_OK;
    if (fl_scan_plan(tbl, NULL, &scan, &err)) {
      status = fl_cli_fail(&err);
    } else {
      uint32_t n;
      const fl_scan_file *f = fl_scan_files(scan, &n);
      fl_arena arena;
      fl_arena_init(&arena, 4096);
      /* where the file is: a table registered away from its metadata's location has
         URIs that name the writer's place (table/locate.c) */
      for (uint32_t i = 0; i < n; i++) {
        const char *local = fl_table_local_path(tbl, f[i].path, &arena);
        printf("%s%s\n", strstr(local, "://") ? "" : "file://", local);
      }
      fl_arena_destroy(&arena);
      fl_scan_free(scan);
    }
    fl_table_free(tbl);
    fl_warehouse_close(wh);
    return status;
  }
  fl_buf out = FL_BUF_INIT;
  fl_table_describe(tbl, &out);
  fwrite(out.data, 1, out.len, stdout);
  if (out.len && out.data[out.len - 1] != '\n') putchar('\n');
  fl_buf_free(&out);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  return FL_CLI_OK;
}
