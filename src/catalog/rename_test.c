/* rename_test: fl_catalog_rename_many: a swap of two tables' names in one transaction
 * (the first rename frees the name the second takes), all or nothing when a pointer
 * moved or a new name is taken. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "core/mem.h"

static char tmp_dir[512];
static char db_path[600];

static void make_db_path(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base || !*base) base = "/tmp";
  mkdir(base, 0755);
  snprintf(tmp_dir, sizeof tmp_dir, "%s/rename_test.XXXXXX", base);
  cr_assert_not_null(mkdtemp(tmp_dir));
  snprintf(db_path, sizeof db_path, "%s/catalog.db", tmp_dir);
}

static void remove_db(void) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
  (void)!system(cmd);
}

static char *where(fl_catalog *cat, const char *ns, const char *name) {
  char *loc = NULL;
  fl_err err = {0};
  fl_code rc = fl_catalog_load(cat, ns, name, &loc, &err);
  return rc == FL_OK ? loc : NULL;
}

static void expect(fl_catalog *cat, const char *ns, const char *name, const char *want) {
  char *loc = where(cat, ns, name);
  if (!want) {
    cr_assert_null(loc, "%s.%s should not exist, is at %s", ns, name, loc);
    return;
  }
  cr_assert_not_null(loc, "%s.%s missing", ns, name);
  cr_assert_str_eq(loc, want);
  fl_free(loc);
}

TestSuite(rename, .init = make_db_path, .fini = remove_db);

Test(rename, a_swap_renames_both_tables_in_one_transaction_or_neither) {
  fl_catalog *cat = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_catalog_open_sqlite(db_path, "floe", &cat, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_catalog_create_namespace(cat, "bronze", &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "t", "file:///w/t/v1.json", &err), FL_OK, "%s",
               err.msg);
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "t_replay", "file:///w/r/v9.json", &err), FL_OK, "%s",
               err.msg);

  /* a stale expected location: nothing renamed */
  fl_catalog_rename stale[2] = {{"bronze", "t", "bronze", "t_before_swap", "file:///w/t/v1.json"},
                                {"bronze", "t_replay", "bronze", "t", "file:///w/r/v8.json"}};
  cr_assert_eq(fl_catalog_rename_many(cat, stale, 2, &err), FL_ECONFLICT);
  expect(cat, "bronze", "t", "file:///w/t/v1.json");
  expect(cat, "bronze", "t_replay", "file:///w/r/v9.json");
  expect(cat, "bronze", "t_before_swap", NULL);

  /* a taken name: nothing renamed */
  fl_catalog_rename taken[1] = {{"bronze", "t_replay", "bronze", "t", "file:///w/r/v9.json"}};
  cr_assert_eq(fl_catalog_rename_many(cat, taken, 1, &err), FL_EEXIST);
  cr_assert(strstr(err.msg, "bronze.t: that name is taken"), "%s", err.msg);
  expect(cat, "bronze", "t_replay", "file:///w/r/v9.json");

  /* the swap: t keeps nothing of its old pointer, the old table is kept under a new name */
  fl_catalog_rename swap[2] = {{"bronze", "t", "bronze", "t_before_swap", "file:///w/t/v1.json"},
                               {"bronze", "t_replay", "bronze", "t", "file:///w/r/v9.json"}};
  cr_assert_eq(fl_catalog_rename_many(cat, swap, 2, &err), FL_OK, "%s", err.msg);
  expect(cat, "bronze", "t", "file:///w/r/v9.json");
  expect(cat, "bronze", "t_before_swap", "file:///w/t/v1.json");
  expect(cat, "bronze", "t_replay", NULL);
  /* commits go on under the new name */
  cr_assert_eq(fl_catalog_commit(cat, "bronze", "t", "file:///w/r/v9.json", "file:///w/r/v10.json", &err),
               FL_OK, "%s", err.msg);
  expect(cat, "bronze", "t", "file:///w/r/v10.json");
  /* a gone table */
  fl_catalog_rename gone[1] = {{"bronze", "t_replay", "bronze", "x", "file:///w/r/v9.json"}};
  cr_assert_eq(fl_catalog_rename_many(cat, gone, 1, &err), FL_ENOENT);
  fl_catalog_close(cat);
}
