/* cmd_register: `floe register TABLE METADATA_LOCATION` (Iceberg catalogs'
 * register_table): adds TABLE to the catalog, pointing at a metadata file another
 * engine wrote (fl_table_register). METADATA_LOCATION is a path (relative to the
 * working directory), a file:// URI, or the table's directory (its
 * metadata/version-hint.text is followed); gzip metadata files are read too. The files
 * stay where they are; URIs inside the metadata that name the writer's directory are
 * read from where the table is (table/locate.c). Object-store locations are refused
 * ("object storage is not supported yet: s3://..."). The metadata is read before the
 * catalog changes, so a table floe cannot read is not registered.
 *
 * Output: "registered NS.NAME: METADATA_URI (N snapshots)". */
#include <stdio.h>

#include "cli/cli.h"
#include "core/limits.h"

int fl_cli_cmd_register(fl_cli *cli, int argc, char **argv) {
  const char *table = NULL, *location = NULL;
  for (int i = 1; i < argc; i++) {
    const char *v;
    int m = fl_cli_opt(argc, argv, &i, "--data", &v);
    if (m < 0) return FL_CLI_USAGE;
    if (m > 0) continue;
    if (fl_cli_is_option(argv[i])) return fl_cli_usage("register", "unknown option %s", argv[i]);
    if (!table)
      table = argv[i];
    else if (!location)
      location = argv[i];
    else
      return fl_cli_usage("register", "unexpected argument '%s'", argv[i]);
  }
  if (!table) return fl_cli_usage("register", "which table? give TABLE as namespace.name");
  if (!location) return fl_cli_usage("register", "which metadata file? give METADATA_LOCATION");
  if (fl_cli_table_arg("register", table)) return FL_CLI_USAGE;
  fl_err err = {0};
  char ns[FL_NAME_MAX + 1], name[FL_NAME_MAX + 1];
  fl_table_ident_parse(table, ns, name, &err); /* checked by fl_cli_table_arg */
  fl_warehouse *wh;
  if (fl_cli_warehouse_open(cli, &wh, &err)) return fl_cli_fail(&err);
  fl_table *tbl;
  int status = FL_CLI_OK;
  if (fl_table_register(wh, ns, name, location, &tbl, &err)) {
    status = fl_cli_fail(&err);
  } else {
    uint32_t nsnap;
    fl_table_snapshots(tbl, &nsnap);
    printf("registered %s.%s: %s (%u snapshot%s)\n", ns, name, fl_table_metadata_location(tbl), nsnap,
           nsnap == 1 ? "" : "s");
    fl_table_free(tbl);
  }
  fl_warehouse_close(wh);
  return status;
}
