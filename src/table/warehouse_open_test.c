/* warehouse_open_test: fl_table_load reports a failure when the caller passes no
 * fl_err (issue 11), and the read-only warehouse open changes nothing on disk: no data
 * dir, no catalog file, no -wal/-shm, no iceberg_type column added to a V0 catalog. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "table/table.h"

static char *tmp_dir(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/whopen-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  return dir;
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static const fl_field fields[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true}};
static const fl_schema schema = {0, 1, (fl_field *)fields, 0, NULL};

Test(warehouse_open, table_load_without_err_reports_a_corrupt_table) {
  char *dir = tmp_dir();
  fl_warehouse *wh;
  fl_table *tbl;
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_create(wh, "bronze", "t", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  char *meta = fl_strdup(fl_table_metadata_location(tbl) + strlen("file://"));
  fl_table_free(tbl);
  FILE *f = fopen(meta, "w");
  cr_assert(f);
  fputs("{not json", f);
  fclose(f);
  tbl = NULL;
  fl_code rc = fl_table_load(wh, "bronze", "t", &tbl, NULL);
  cr_assert_neq(rc, FL_OK, "a corrupt table loaded with err NULL must not report success");
  cr_assert_null(tbl);
  cr_assert_neq(fl_table_load(wh, "bronze", "t", &tbl, &err), FL_OK);
  cr_assert(strstr(err.msg, "table bronze.t: "), "%s", err.msg);
  fl_free(meta);
  fl_warehouse_close(wh);
  fl_free(dir);
}

Test(warehouse_open, readonly_refuses_a_missing_data_dir_and_creates_nothing) {
  char *dir = tmp_dir();
  char *missing = fl_sprintf("%s/nope", dir);
  fl_warehouse *wh = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open_readonly(missing, &wh, &err), FL_ENOENT);
  cr_assert_null(wh);
  cr_assert_str_eq(err.msg + strlen(err.msg) - strlen("/nope does not exist"), "/nope does not exist");
  cr_assert_not(exists(missing));
  /* an empty data dir: no tables, and still no catalog file */
  cr_assert_eq(fl_warehouse_open_readonly(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_catalog_entry *entries;
  uint32_t n = 99;
  cr_assert_eq(fl_warehouse_list(wh, NULL, &entries, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 0);
  fl_catalog_entries_free(entries, n);
  fl_table *tbl;
  cr_assert_eq(fl_table_load(wh, "bronze", "t", &tbl, &err), FL_ENOENT);
  fl_warehouse_close(wh);
  char *db = fl_sprintf("%s/catalog.db", dir), *wroot = fl_sprintf("%s/warehouse", dir);
  cr_assert_not(exists(db));
  cr_assert_not(exists(wroot));
  fl_free(db);
  fl_free(wroot);
  fl_free(missing);
  fl_free(dir);
}

/* A catalog as JdbcCatalog V0 wrote it: no iceberg_type column. */
Test(warehouse_open, readonly_reads_a_v0_catalog_without_upgrading_it) {
  char *dir = tmp_dir();
  fl_warehouse *wh;
  fl_table *tbl;
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_create(wh, "bronze", "t", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  char *db = fl_sprintf("%s/catalog.db", dir);
  sqlite3 *s;
  cr_assert_eq(sqlite3_open(db, &s), SQLITE_OK);
  const char *v0 =
      "PRAGMA journal_mode=DELETE;"
      "CREATE TABLE t2 AS SELECT catalog_name, table_namespace, table_name, metadata_location, "
      "previous_metadata_location FROM iceberg_tables;"
      "DROP TABLE iceberg_tables; ALTER TABLE t2 RENAME TO iceberg_tables;";
  cr_assert_eq(sqlite3_exec(s, v0, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(s));
  sqlite3_close(s);
  struct stat before, after;
  cr_assert_eq(stat(db, &before), 0);

  cr_assert_eq(fl_warehouse_open_readonly(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_catalog_entry *entries;
  uint32_t n = 0;
  cr_assert_eq(fl_warehouse_list(wh, NULL, &entries, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 1);
  cr_assert_str_eq(entries[0].name, "t");
  fl_catalog_entries_free(entries, n);
  cr_assert_eq(fl_table_load(wh, "bronze", "t", &tbl, &err), FL_OK, "%s", err.msg);
  fl_table_free(tbl);
  fl_warehouse_close(wh);

  cr_assert_eq(stat(db, &after), 0);
  cr_assert_eq(before.st_size, after.st_size);
  cr_assert_eq(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
  cr_assert_eq(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
  cr_assert_eq(sqlite3_open(db, &s), SQLITE_OK);
  sqlite3_stmt *st;
  cr_assert_eq(sqlite3_prepare_v2(s,
                                  "SELECT count(*) FROM pragma_table_info('iceberg_tables') WHERE name = "
                                  "'iceberg_type'",
                                  -1, &st, NULL),
               SQLITE_OK);
  cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
  cr_assert_eq(sqlite3_column_int(st, 0), 0, "the read-only open added iceberg_type");
  sqlite3_finalize(st);
  sqlite3_close(s);
  fl_free(db);
  fl_free(dir);
}
