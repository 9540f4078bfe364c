/* cmd_drop: `floe drop TABLE [--purge]`
 *
 * Removes TABLE from the catalog (fl_table_drop): from then on no floe command and no
 * engine that goes through the catalog sees it, and the name is free for a new table.
 * Without --purge its files stay where they are (an engine that reads the table by
 * path, or a backup, still can; `rm -r DIR/warehouse/NS/NAME` removes them later).
 * --purge also deletes the table's directory: data, delete and metadata files.
 *
 * Output: "dropped bronze.orders" or "dropped bronze.orders and deleted its files".
 * A missing table exits 1 naming the data dir looked in; the data dir must exist. A
 * table whose metadata cannot be read (file deleted or corrupt) is dropped with a
 * warning; --purge then exits 1 without dropping it, since only the metadata says
 * where its files are. */
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/limits.h"

int fl_cli_cmd_drop(fl_cli *cli, int argc, char **argv) {
  const char *table = NULL;
  bool purge = false;
  for (int i = 1; i < argc; i++) {
    const char *v;
    int m = fl_cli_opt(argc, argv, &i, "--data", &v);
    if (m < 0) return FL_CLI_USAGE;
    if (m > 0) continue;
    if (fl_cli_flag(argv, i, "--purge")) {
      purge = true;
      continue;
    }
    if (fl_cli_is_option(argv[i])) return fl_cli_usage("drop", "unknown option %s", argv[i]);
    if (table) return fl_cli_usage("drop", "unexpected argument '%s'", argv[i]);
    table = argv[i];
  }
  if (!table) return fl_cli_usage("drop", "which table? give TABLE as namespace.name");
  if (fl_cli_table_arg("drop", table)) return FL_CLI_USAGE;
  fl_err err = {0};
  char ns[FL_NAME_MAX + 1], name[FL_NAME_MAX + 1];
  fl_table_ident_parse(table, ns, name, &err); /* checked by fl_cli_table_arg */
  fl_warehouse *wh;
  fl_table *tbl;
  if (fl_cli_table_open(cli, table, &wh, &tbl, &err) == FL_OK) {
    fl_table_free(tbl);
  } else {
    /* the table is missing (or the data dir), or its metadata cannot be read: drop
     * is most needed in the last case, which --purge cannot do (the metadata names
     * the files) */
    struct stat st;
    fl_err open_err = {0};
    char *loc = NULL;
    if (stat(cli->data_dir, &st) != 0 || fl_cli_warehouse_open(cli, &wh, &open_err)) return fl_cli_fail(&err);
    if (fl_catalog_load(fl_warehouse_catalog(wh), ns, name, &loc, NULL) == FL_ENOENT) {
      fl_warehouse_close(wh);
      return fl_cli_fail(&err);
    }
    fl_free(loc);
    if (purge) {
      fprintf(stderr, "floe: %s\n", err.msg);
      fprintf(stderr,
              "floe: --purge needs the table's metadata; drop %s.%s without --purge, then delete its "
              "directory (%s/%s/%s by default)\n",
              ns, name, fl_warehouse_root(wh), ns, name);
      fl_warehouse_close(wh);
      return FL_CLI_ERROR;
    }
    fprintf(stderr, "floe: warning: dropping %s.%s, which cannot be read: %s\n", ns, name, err.msg);
    fl_err_clear(&err);
  }
  int status = FL_CLI_OK;
  if (fl_table_drop(wh, ns, name, purge, &err))
    status = fl_cli_fail(&err);
  else
    printf("dropped %s.%s%s\n", ns, name, purge ? " and deleted its files" : "");
  fl_warehouse_close(wh);
  return status;
}
