/* Tests of the bounded metadata (expire.c): commits expire snapshots past the table's
 * history.expire.* properties, delete the files only those snapshots reached and the
 * metadata files dropped from the metadata-log, and never one a kept snapshot reads. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "table/table.h"

static fl_field fields[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true}};
static const fl_schema schema = {0, 1, fields, 0, NULL};
static char dir[512];

static void make_dir(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  snprintf(dir, sizeof dir, "%s/expire-XXXXXX", base);
  cr_assert(mkdtemp(dir));
}

static void remove_dir(void) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  (void)!system(cmd);
}

TestSuite(expire, .init = make_dir, .fini = remove_dir);

static void append(fl_table *tbl, int64_t id) {
  fl_batch *b = fl_batch_new(fields, 1, 1);
  fl_vec_append_i64(&b->cols[0], id);
  fl_batch_set_rows(b, 1);
  fl_appender *app;
  fl_err err = {0};
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  fl_batch_free(b);
}

static uint32_t count(const char *sub, const char *suffix) {
  char *path = fl_sprintf("%s/warehouse/bronze/t/%s", dir, sub);
  DIR *d = opendir(path);
  fl_free(path);
  if (!d) return 0;
  uint32_t n = 0;
  struct dirent *e;
  size_t ls = strlen(suffix);
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    n += e->d_name[0] != '.' && l > ls && !strcmp(e->d_name + l - ls, suffix);
  }
  closedir(d);
  return n;
}

static int count_rows(void *ctx, const fl_batch *batch, const char *path, const uint64_t *pos) {
  *(uint64_t *)ctx += batch->nrows;
  return 0;
}

static uint64_t rows(fl_table *tbl) {
  uint64_t n = 0;
  fl_scan *sc;
  fl_err err = {0};
  cr_assert_eq(fl_scan_plan(tbl, NULL, &sc, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_scan_run(sc, count_rows, &n, &err), FL_OK, "%s", err.msg);
  fl_scan_free(sc);
  return n;
}

Test(expire, commits_keep_the_newest_snapshots_and_delete_what_only_old_ones_reached) {
  fl_warehouse *wh;
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_kv props[] = {{"history.expire.max-snapshots", "5"},
                   {"write.metadata.previous-versions-max", "3"},
                   {"commit.manifest.min-count-to-merge", "4"}};
  fl_table_create_opts opts = {NULL, 0, NULL, 0, props, 3};
  fl_table *tbl;
  cr_assert_eq(fl_table_create(wh, "bronze", "t", &schema, &opts, &tbl, &err), FL_OK, "%s", err.msg);
  for (int64_t i = 0; i < 40; i++) append(tbl, i);
  uint32_t n;
  fl_table_snapshots(tbl, &n);
  cr_assert_eq(n, 5, "snapshots kept: %u", n);
  cr_assert_eq(rows(tbl), 40);
  /* every kept snapshot still reads: its manifest list and files exist */
  const fl_snapshot *snaps = fl_table_snapshots(tbl, &n);
  for (uint32_t i = 0; i < n; i++) {
    fl_scan_opts so = {.snapshot_id = snaps[i].snapshot_id};
    fl_scan *sc;
    cr_assert_eq(fl_scan_plan(tbl, &so, &sc, &err), FL_OK, "snapshot %u: %s", i, err.msg);
    uint64_t r = 0;
    cr_assert_eq(fl_scan_run(sc, count_rows, &r, &err), FL_OK, "snapshot %u: %s", i, err.msg);
    cr_assert_eq(r, 36 + i);
    fl_scan_free(sc);
  }
  cr_assert_eq(count("metadata", ".avro") - count("metadata", "-m0.avro") - count("metadata", "-m1.avro"), 5,
               "one manifest list per kept snapshot");
  /* metadata files: the current one and the 3 of the metadata-log (plus vN links of those) */
  uint32_t meta = count("metadata", ".metadata.json");
  cr_assert_leq(meta, 8, "metadata files on disk: %u", meta);
  cr_assert_eq(count("data", ".parquet"), 40);
  /* a compaction, then enough commits to expire every snapshot before it */
  fl_compact_result cres;
  cr_assert_eq(fl_table_compact(tbl, &cres, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(cres.data_files_rewritten, 40);
  cr_assert_eq(count("data", ".parquet"), 41, "old files stay while a kept snapshot reads them");
  for (int64_t i = 40; i < 46; i++) append(tbl, i);
  cr_assert_eq(rows(tbl), 46);
  cr_assert_eq(count("data", ".parquet"), 7,
               "the 40 compacted files went with the last snapshot reading them");
  /* the property turns it off */
  fl_kv off[] = {{"floe.commit.expire-snapshots", "false"}};
  cr_assert_eq(fl_table_set_properties(tbl, off, 1, &err), FL_OK);
  for (int64_t i = 46; i < 50; i++) append(tbl, i);
  fl_table_snapshots(tbl, &n);
  cr_assert_eq(n, 9);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(expire, snapshot_lookup_by_id_finds_every_snapshot) {
  fl_warehouse *wh;
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_table *tbl;
  cr_assert_eq(fl_table_create(wh, "bronze", "t", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  for (int64_t i = 0; i < 30; i++) append(tbl, i);
  uint32_t n;
  const fl_snapshot *snaps = fl_table_snapshots(tbl, &n);
  cr_assert_eq(n, 30);
  for (uint32_t i = 0; i < n; i++)
    cr_assert_eq(fl_table_snapshot_by_id(tbl, snaps[i].snapshot_id), &snaps[i]);
  cr_assert_null(fl_table_snapshot_by_id(tbl, 12345));
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}
