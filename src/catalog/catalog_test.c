/* catalog_test: the SQLite catalog's behaviours: create/load/list/drop, compare-and-swap
 * commits, all-or-nothing multi-table commits, no lost update between two processes, and
 * a file other SQL catalogs (and the sqlite3 CLI) read. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "core/mem.h"

static char tmp_dir[512];
static char db_path[600];

static void make_db_path(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base || !*base) base = "/tmp";
  mkdir(base, 0755);
  snprintf(tmp_dir, sizeof tmp_dir, "%s/catalog_test.XXXXXX", base);
  cr_assert_not_null(mkdtemp(tmp_dir));
  snprintf(db_path, sizeof db_path, "%s/catalog.db", tmp_dir);
}

static void remove_db(void) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
  (void)!system(cmd);
}

static fl_catalog *open_cat(void) {
  fl_catalog *cat = NULL;
  fl_err err = {0};
  fl_code rc = fl_catalog_open_sqlite(db_path, "floe", &cat, &err);
  cr_assert_eq(rc, FL_OK, "open: %s", err.msg);
  return cat;
}

static char *load(fl_catalog *cat, const char *ns, const char *name) {
  char *loc = NULL;
  fl_err err = {0};
  fl_code rc = fl_catalog_load(cat, ns, name, &loc, &err);
  cr_assert_eq(rc, FL_OK, "load %s.%s: %s", ns, name, err.msg);
  return loc;
}

static void expect_location(fl_catalog *cat, const char *ns, const char *name, const char *want) {
  char *loc = load(cat, ns, name);
  cr_assert_str_eq(loc, want);
  fl_free(loc);
}

TestSuite(catalog, .init = make_db_path, .fini = remove_db);

Test(catalog, create_load_list_drop) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_namespace(cat, "bronze", &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_catalog_create_namespace(cat, "bronze", &err), FL_OK, "again: %s", err.msg);
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "orders", "/w/bronze/orders/metadata/00000.json", &err),
               FL_OK, "%s", err.msg);
  cr_assert_eq(fl_catalog_create_table(cat, "gold", "revenue_hourly", "/w/gold/r/0.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "events", "/w/bronze/events/0.json", &err), FL_OK);

  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "orders", "/elsewhere.json", &err), FL_EEXIST);
  cr_assert_str_eq(err.msg, "catalog floe: table bronze.orders already exists");
  expect_location(cat, "bronze", "orders", "/w/bronze/orders/metadata/00000.json");

  char *loc = (char *)"untouched";
  cr_assert_eq(fl_catalog_load(cat, "bronze", "nope", &loc, &err), FL_ENOENT);
  cr_assert_null(loc);
  cr_assert_str_eq(err.msg, "catalog floe: no table bronze.nope");

  fl_catalog_entry *ents = NULL;
  uint32_t n = 0;
  cr_assert_eq(fl_catalog_list(cat, NULL, &ents, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 3);
  cr_assert_str_eq(ents[0].ns, "bronze");
  cr_assert_str_eq(ents[0].name, "events");
  cr_assert_str_eq(ents[1].ns, "bronze");
  cr_assert_str_eq(ents[1].name, "orders");
  cr_assert_str_eq(ents[1].metadata_location, "/w/bronze/orders/metadata/00000.json");
  cr_assert_str_eq(ents[2].ns, "gold");
  cr_assert_str_eq(ents[2].name, "revenue_hourly");
  fl_catalog_entries_free(ents, n);

  cr_assert_eq(fl_catalog_list(cat, "gold", &ents, &n, &err), FL_OK);
  cr_assert_eq(n, 1);
  cr_assert_str_eq(ents[0].name, "revenue_hourly");
  fl_catalog_entries_free(ents, n);

  cr_assert_eq(fl_catalog_list(cat, "silver", &ents, &n, &err), FL_OK);
  cr_assert_eq(n, 0);
  fl_catalog_entries_free(ents, n);

  cr_assert_eq(fl_catalog_drop_table(cat, "bronze", "events", &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_catalog_drop_table(cat, "bronze", "events", &err), FL_ENOENT);
  cr_assert_str_eq(err.msg, "catalog floe: no table bronze.events");
  cr_assert_eq(fl_catalog_list(cat, "bronze", &ents, &n, &err), FL_OK);
  cr_assert_eq(n, 1);
  cr_assert_str_eq(ents[0].name, "orders");
  fl_catalog_entries_free(ents, n);
  fl_catalog_close(cat);
}

Test(catalog, tables_survive_reopen) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "silver", "orders", "/w/s/1.json", &err), FL_OK);
  fl_catalog_close(cat);
  cat = open_cat();
  expect_location(cat, "silver", "orders", "/w/s/1.json");
  fl_catalog_close(cat);
}

Test(catalog, catalogs_with_other_names_do_not_see_each_other) {
  fl_catalog *cat = open_cat();
  fl_catalog *other = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_catalog_open_sqlite(db_path, "spark", &other, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "orders", "/a.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_create_table(other, "bronze", "orders", "/b.json", &err), FL_OK);
  expect_location(cat, "bronze", "orders", "/a.json");
  expect_location(other, "bronze", "orders", "/b.json");
  fl_catalog_close(other);
  fl_catalog_close(cat);
}

Test(catalog, invalid_names_are_refused) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "", "t", "/a.json", &err), FL_EINVAL);
  cr_assert_str_eq(err.msg, "catalog: namespace is empty");
  cr_assert_eq(fl_catalog_create_table(cat, "a..b", "t", "/a.json", &err), FL_EINVAL);
  cr_assert_str_eq(err.msg, "catalog: namespace 'a..b' has an empty level");
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "", "/a.json", &err), FL_EINVAL);
  cr_assert_str_eq(err.msg, "catalog: table name is empty");
  char longname[80];
  memset(longname, 'x', 64);
  longname[64] = 0;
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", longname, "/a.json", &err), FL_EINVAL);
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", longname + 1, "/a.json", &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "t", NULL, &err), FL_EINVAL);
  cr_assert_str_eq(err.msg, "catalog: metadata location is empty");
  fl_catalog_close(cat);
}

Test(catalog, commit_swaps_pointer_when_expected_location_matches) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "orders", "/m/0.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_commit(cat, "bronze", "orders", "/m/0.json", "/m/1.json", &err), FL_OK, "%s",
               err.msg);
  expect_location(cat, "bronze", "orders", "/m/1.json");
  cr_assert_eq(fl_catalog_commit(cat, "bronze", "orders", "/m/1.json", "/m/2.json", &err), FL_OK);
  expect_location(cat, "bronze", "orders", "/m/2.json");
  fl_catalog_close(cat);
}

Test(catalog, commit_with_stale_expected_location_conflicts) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "orders", "/m/0.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_commit(cat, "bronze", "orders", "/m/0.json", "/m/1.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_commit(cat, "bronze", "orders", "/m/0.json", "/m/1b.json", &err), FL_ECONFLICT);
  cr_assert_str_eq(err.msg,
                   "catalog floe: table bronze.orders: commit conflict: expected metadata location "
                   "/m/0.json, current is /m/1.json");
  expect_location(cat, "bronze", "orders", "/m/1.json");
  cr_assert_eq(fl_catalog_commit(cat, "bronze", "missing", "/m/0.json", "/m/1.json", &err), FL_ENOENT);
  cr_assert_str_eq(err.msg, "catalog floe: no table bronze.missing");
  fl_catalog_close(cat);
}

Test(catalog, previous_metadata_location_is_recorded) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "orders", "/m/0.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_commit(cat, "bronze", "orders", "/m/0.json", "/m/1.json", &err), FL_OK);
  fl_catalog_close(cat);

  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  cr_assert_eq(
      sqlite3_prepare_v2(db,
                         "SELECT metadata_location, previous_metadata_location FROM iceberg_tables "
                         "WHERE catalog_name='floe' AND table_namespace='bronze' AND table_name='orders'",
                         -1, &st, NULL),
      SQLITE_OK);
  cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
  cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "/m/1.json");
  cr_assert_str_eq((const char *)sqlite3_column_text(st, 1), "/m/0.json");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

Test(catalog, commit_many_moves_every_pointer) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "orders", "/b/0.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_create_table(cat, "silver", "orders", "/s/0.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_create_table(cat, "gold", "revenue", "/g/0.json", &err), FL_OK);
  fl_catalog_change ch[3] = {
      {"bronze", "orders", "/b/0.json", "/b/1.json"},
      {"silver", "orders", "/s/0.json", "/s/1.json"},
      {"gold", "revenue", "/g/0.json", "/g/1.json"},
  };
  cr_assert_eq(fl_catalog_commit_many(cat, ch, 3, &err), FL_OK, "%s", err.msg);
  expect_location(cat, "bronze", "orders", "/b/1.json");
  expect_location(cat, "silver", "orders", "/s/1.json");
  expect_location(cat, "gold", "revenue", "/g/1.json");
  cr_assert_eq(fl_catalog_commit_many(cat, ch, 0, &err), FL_OK);
  fl_catalog_close(cat);
}

Test(catalog, commit_many_with_one_stale_pointer_moves_none) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "orders", "/b/0.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_create_table(cat, "silver", "orders", "/s/0.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_create_table(cat, "gold", "revenue", "/g/0.json", &err), FL_OK);
  /* someone else moved silver */
  cr_assert_eq(fl_catalog_commit(cat, "silver", "orders", "/s/0.json", "/s/other.json", &err), FL_OK);
  fl_catalog_change ch[3] = {
      {"bronze", "orders", "/b/0.json", "/b/1.json"},
      {"silver", "orders", "/s/0.json", "/s/1.json"},
      {"gold", "revenue", "/g/0.json", "/g/1.json"},
  };
  cr_assert_eq(fl_catalog_commit_many(cat, ch, 3, &err), FL_ECONFLICT);
  cr_assert_str_eq(err.msg,
                   "catalog floe: table silver.orders: commit conflict: expected metadata location "
                   "/s/0.json, current is /s/other.json");
  expect_location(cat, "bronze", "orders", "/b/0.json");
  expect_location(cat, "silver", "orders", "/s/other.json");
  expect_location(cat, "gold", "revenue", "/g/0.json");

  /* the handle is usable after the rollback: the corrected commit goes through */
  ch[1].expected_location = "/s/other.json";
  cr_assert_eq(fl_catalog_commit_many(cat, ch, 3, &err), FL_OK, "%s", err.msg);
  expect_location(cat, "silver", "orders", "/s/1.json");
  expect_location(cat, "gold", "revenue", "/g/1.json");

  /* a missing table also aborts the whole set */
  fl_catalog_change ch2[2] = {
      {"bronze", "orders", "/b/1.json", "/b/2.json"},
      {"bronze", "gone", "/x.json", "/y.json"},
  };
  cr_assert_eq(fl_catalog_commit_many(cat, ch2, 2, &err), FL_ENOENT);
  expect_location(cat, "bronze", "orders", "/b/1.json");
  fl_catalog_close(cat);
}

/* One process's share of the counter race: load "loc-<n>", CAS to "loc-<n+1>", retry
 * on conflict. Returns the number of conflicts seen (about 10-20 per child here), or -1
 * on failure. */
static int increment_many(int times, int start_fd) {
  fl_catalog *cat = NULL;
  fl_err err = {0};
  if (fl_catalog_open_sqlite(db_path, "floe", &cat, &err)) {
    fprintf(stderr, "child open: %s\n", err.msg);
    return -1;
  }
  char go;
  if (read(start_fd, &go, 1) < 0) return -1; /* both start together: EOF when the parent closes */
  srand((unsigned)getpid());
  int conflicts = 0;
  for (int i = 0; i < times; i++) {
    for (int attempt = 0;; attempt++) {
      if (attempt > 10000) {
        fprintf(stderr, "child: too many conflicts\n");
        return -1;
      }
      usleep(50 + (unsigned)(rand() % 200)); /* interleave: without it one child finishes first */
      char *loc = NULL;
      if (fl_catalog_load(cat, "bronze", "counter", &loc, &err)) {
        fprintf(stderr, "child load: %s\n", err.msg);
        return -1;
      }
      long v = strtol(loc + 4, NULL, 10);
      char next[32];
      snprintf(next, sizeof next, "loc-%ld", v + 1);
      fl_code rc = fl_catalog_commit(cat, "bronze", "counter", loc, next, &err);
      fl_free(loc);
      if (rc == FL_OK) break;
      if (rc != FL_ECONFLICT) {
        fprintf(stderr, "child commit: %s\n", err.msg);
        return -1;
      }
      conflicts++;
    }
  }
  fl_catalog_close(cat);
  return conflicts;
}

Test(catalog, two_processes_racing_cas_lose_no_update, .timeout = 120) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "counter", "loc-0", &err), FL_OK);
  fl_catalog_close(cat);

  int start[2];
  cr_assert_eq(pipe(start), 0);
  pid_t pids[2];
  for (int p = 0; p < 2; p++) {
    pids[p] = fork();
    cr_assert_neq(pids[p], -1);
    if (pids[p] == 0) {
      close(start[1]);
      _exit(increment_many(200, start[0]) < 0 ? 1 : 0);
    }
  }
  close(start[0]);
  close(start[1]);
  for (int p = 0; p < 2; p++) {
    int status = 0;
    cr_assert_eq(waitpid(pids[p], &status, 0), pids[p]);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", p);
  }
  cat = open_cat();
  expect_location(cat, "bronze", "counter", "loc-400");
  fl_catalog_close(cat);
}

static char *run_cli(const char *sql) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "sqlite3 -separator '|' '%s' \"%s\"", db_path, sql);
  FILE *f = popen(cmd, "r");
  cr_assert_not_null(f);
  static char out[4096];
  size_t n = fread(out, 1, sizeof out - 1, f);
  out[n] = 0;
  cr_assert_eq(pclose(f), 0, "sqlite3 CLI failed: %s", cmd);
  return out;
}

Test(catalog, file_is_readable_as_a_standard_sql_catalog) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_namespace(cat, "bronze", &err), FL_OK);
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "orders", "/w/0.json", &err), FL_OK);
  cr_assert_eq(fl_catalog_commit(cat, "bronze", "orders", "/w/0.json", "/w/1.json", &err), FL_OK);

  if (system("command -v sqlite3 >/dev/null 2>&1") != 0) {
    /* no CLI: the same checks through a separate connection */
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT iceberg_type FROM iceberg_tables", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "TABLE");
    sqlite3_finalize(st);
    sqlite3_close(db);
    fl_catalog_close(cat);
    return;
  }
  /* the CLI reads while floe still has the file open (WAL) */
  cr_assert_str_eq(run_cli("SELECT catalog_name, table_namespace, table_name, metadata_location, "
                           "previous_metadata_location, iceberg_type FROM iceberg_tables"),
                   "floe|bronze|orders|/w/1.json|/w/0.json|TABLE\n");
  cr_assert_str_eq(run_cli("SELECT catalog_name, namespace, property_key, property_value "
                           "FROM iceberg_namespace_properties"),
                   "floe|bronze|exists|true\n");
  cr_assert_str_eq(run_cli("PRAGMA journal_mode"), "wal\n");
  /* a JdbcCatalog-style commit by another tool is seen by floe */
  run_cli(
      "UPDATE iceberg_tables SET metadata_location='/w/2.json', previous_metadata_location='/w/1.json' "
      "WHERE catalog_name='floe' AND table_namespace='bronze' AND table_name='orders' "
      "AND metadata_location='/w/1.json'");
  expect_location(cat, "bronze", "orders", "/w/2.json");
  fl_catalog_close(cat);
}

Test(catalog, v0_catalog_without_iceberg_type_is_upgraded) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db,
                            "CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, "
                            "table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, "
                            "metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), "
                            "PRIMARY KEY (catalog_name, table_namespace, table_name));"
                            "INSERT INTO iceberg_tables VALUES ('floe','bronze','old','/o/0.json',NULL);",
                            NULL, NULL, NULL),
               SQLITE_OK);
  sqlite3_close(db);
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  expect_location(cat, "bronze", "old", "/o/0.json");
  cr_assert_eq(fl_catalog_commit(cat, "bronze", "old", "/o/0.json", "/o/1.json", &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "new", "/n/0.json", &err), FL_OK, "%s", err.msg);
  fl_catalog_entry *ents = NULL;
  uint32_t n = 0;
  cr_assert_eq(fl_catalog_list(cat, "bronze", &ents, &n, &err), FL_OK);
  cr_assert_eq(n, 2);
  cr_assert_str_eq(ents[0].name, "new");
  cr_assert_str_eq(ents[1].name, "old");
  cr_assert_str_eq(ents[1].metadata_location, "/o/1.json");
  fl_catalog_entries_free(ents, n);
  fl_catalog_close(cat);
}

Test(catalog, open_of_a_file_that_is_not_a_database_fails_clearly) {
  FILE *f = fopen(db_path, "w");
  cr_assert_not_null(f);
  fputs("this is not a database, just some text long enough to fill a header.............\n", f);
  fclose(f);
  fl_catalog *cat = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_catalog_open_sqlite(db_path, "floe", &cat, &err), FL_ECORRUPT);
  cr_assert_null(cat);
  cr_assert(strstr(err.msg, db_path) != NULL, "%s", err.msg);
}

Test(catalog, commit_waits_for_another_writer_instead_of_failing, .timeout = 60) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "bronze", "orders", "/m/0.json", &err), FL_OK);
  int locked[2];
  cr_assert_eq(pipe(locked), 0);
  pid_t pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    /* another tool holds the write lock for 300 ms */
    sqlite3 *db = NULL;
    if (sqlite3_open(db_path, &db) != SQLITE_OK) _exit(1);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) _exit(2);
    if (write(locked[1], "x", 1) != 1) _exit(3);
    usleep(300 * 1000);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) _exit(4);
    sqlite3_close(db);
    _exit(0);
  }
  char c;
  cr_assert_eq(read(locked[0], &c, 1), 1);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  /* readers never wait for the writer (WAL) */
  expect_location(cat, "bronze", "orders", "/m/0.json");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double read_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  cr_assert_lt(read_ms, 100.0, "load waited for the writer (%.1f ms)", read_ms);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cr_assert_eq(fl_catalog_commit(cat, "bronze", "orders", "/m/0.json", "/m/1.json", &err), FL_OK, "%s",
               err.msg);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double waited_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  cr_assert_gt(waited_ms, 100.0, "commit did not wait for the lock (%.1f ms)", waited_ms);
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "lock holder failed: %d", WEXITSTATUS(status));
  expect_location(cat, "bronze", "orders", "/m/1.json");
  fl_catalog_close(cat);
}

Test(catalog, lost_answer_hook_swaps_then_reports_unknown) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "b", "t", "/m/1.json", &err), FL_OK);
  fl_catalog_test_lose_answer(cat, 2);
  fl_catalog_change ch = {"b", "t", "/m/1.json", "/m/2.json"};
  cr_assert_eq(fl_catalog_commit_many(cat, &ch, 1, &err), FL_OK, "first commit: %s", err.msg);
  ch = (fl_catalog_change){"b", "t", "/m/2.json", "/m/3.json"};
  cr_assert_eq(fl_catalog_commit_many(cat, &ch, 1, &err), FL_EUNKNOWN);
  cr_assert(strstr(err.msg, "unknown"), "%s", err.msg);
  expect_location(cat, "b", "t", "/m/3.json"); /* it did swap */
  ch = (fl_catalog_change){"b", "t", "/m/3.json", "/m/4.json"};
  cr_assert_eq(fl_catalog_commit_many(cat, &ch, 1, &err), FL_OK, "the hook fires once");
  fl_catalog_close(cat);
}

Test(catalog, load_many_reads_every_pointer_of_one_commit) {
  fl_catalog *cat = open_cat();
  fl_err err = {0};
  cr_assert_eq(fl_catalog_create_table(cat, "b", "x", "/x/1", &err), FL_OK);
  cr_assert_eq(fl_catalog_create_table(cat, "b", "y", "/y/1", &err), FL_OK);
  fl_catalog_change chs[2] = {{"b", "x", "/x/1", "/x/2"}, {"b", "y", "/y/1", "/y/2"}};
  cr_assert_eq(fl_catalog_commit_many(cat, chs, 2, &err), FL_OK);
  fl_catalog_ident ids[2] = {{"b", "x"}, {"b", "y"}};
  char *locs[2];
  cr_assert_eq(fl_catalog_load_many(cat, ids, 2, locs, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(locs[0], "/x/2");
  cr_assert_str_eq(locs[1], "/y/2");
  fl_free(locs[0]);
  fl_free(locs[1]);
  fl_catalog_ident bad[2] = {{"b", "x"}, {"b", "nope"}};
  cr_assert_eq(fl_catalog_load_many(cat, bad, 2, locs, &err), FL_ENOENT);
  cr_assert_null(locs[0]);
  /* the read transaction ended: a writer is not blocked */
  chs[0] = (fl_catalog_change){"b", "x", "/x/2", "/x/3"};
  cr_assert_eq(fl_catalog_commit_many(cat, chs, 1, &err), FL_OK, "%s", err.msg);
  fl_catalog_close(cat);
}
