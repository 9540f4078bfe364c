/* Tests of table housekeeping: compaction folds files and deletes away without
 * changing what a scan returns; expiry drops old snapshots and only the files no
 * kept snapshot reaches. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/time.h"
#include "table/table.h"

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "ts", {FL_T_TIMESTAMP, 0, 0}, true},
    {3, "name", {FL_T_STRING, 0, 0}, false},
};
static const fl_schema schema = {0, 3, fields, 0, NULL};
static const int64_t DAY_US = 86400000000LL;

static fl_table *setup(fl_warehouse **wh_out) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/maintain-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, wh_out, &err), FL_OK, "%s", err.msg);
  fl_free(dir);
  fl_partition_def parts[] = {{"ts", "day"}};
  fl_table_create_opts opts = {parts, 1, NULL, 0, NULL, 0};
  fl_table *tbl;
  cr_assert_eq(fl_table_create(*wh_out, "silver", "m", &schema, &opts, &tbl, &err), FL_OK, "%s", err.msg);
  return tbl;
}

/* Appends ids [from, from+n), three days; fills locs if given. */
static void append(fl_table *tbl, uint32_t from, uint32_t n, fl_row_location *locs, char **paths) {
  fl_batch *b = fl_batch_new(fields, 3, n);
  int64_t t0 = fl_days_from_civil(2026, 11, 25) * DAY_US;
  for (uint32_t i = from; i < from + n; i++) {
    fl_vec_append_i64(&b->cols[0], i);
    fl_vec_append_i64(&b->cols[1], t0 + (int64_t)(i % 3) * DAY_US + i);
    char s[16];
    int len = snprintf(s, sizeof s, "n%u", i);
    fl_vec_append_str(&b->cols[2], s, (uint32_t)len);
  }
  fl_batch_set_rows(b, n);
  fl_appender *app;
  fl_err err = {0};
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write_located(app, b, locs, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  for (uint32_t i = 0; locs && i < n; i++) paths[i] = strdup(locs[i].file_path);
  fl_appender_free(app);
  fl_batch_free(b);
}

typedef struct ids {
  uint8_t seen[13000];
  uint32_t n;
} ids;

static int collect(void *ctx, const fl_batch *batch, const char *path, const uint64_t *pos) {
  ids *s = ctx;
  for (uint32_t i = 0; i < batch->nrows; i++) {
    int64_t id = batch->cols[0].data.i64[i];
    cr_assert(id >= 0 && id < 13000);
    s->seen[id]++;
    s->n++;
  }
  return 0;
}

static ids scan(fl_table *tbl, int64_t snapshot_id) {
  ids s = {{0}, 0};
  fl_scan_opts opts = {.snapshot_id = snapshot_id};
  fl_scan *sc;
  fl_err err = {0};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &sc, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_scan_run(sc, collect, &s, &err), FL_OK, "%s", err.msg);
  fl_scan_free(sc);
  return s;
}

static uint32_t count_files(const char *dir, const char *suffix) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  uint32_t n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char *child = fl_sprintf("%s/%s", dir, e->d_name);
    struct stat st;
    if (!stat(child, &st) && S_ISDIR(st.st_mode))
      n += count_files(child, suffix);
    else if (strlen(e->d_name) > strlen(suffix) &&
             !strcmp(e->d_name + strlen(e->d_name) - strlen(suffix), suffix))
      n++;
    fl_free(child);
  }
  closedir(d);
  return n;
}

Test(maintain, compaction_folds_files_and_deletes_and_keeps_the_rows) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh);
  fl_err err = {0};
  fl_row_location locs[90];
  char *paths[90];
  append(tbl, 0, 90, locs, paths);
  append(tbl, 90, 90, NULL, NULL);
  append(tbl, 180, 90, NULL, NULL);
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  for (uint32_t i = 0; i < 90; i += 20)
    cr_assert_eq(fl_appender_delete(app, paths[i], locs[i].pos, &err), FL_OK);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  int64_t before_id = fl_table_current_snapshot(tbl)->snapshot_id;
  ids before = scan(tbl, 0);
  cr_assert_eq(before.n, 270 - 5);

  fl_compact_result res;
  cr_assert_eq(fl_table_compact(tbl, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.data_files_rewritten, 9);
  cr_assert_eq(res.data_files_written, 3);
  cr_assert(res.delete_files_removed >= 1);
  cr_assert_eq(res.records, 265);
  const fl_snapshot *cur = fl_table_current_snapshot(tbl);
  cr_assert_eq(cur->snapshot_id, res.snapshot_id);
  cr_assert_str_eq(cur->operation, "replace");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-data-files"), "3");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-delete-files"), "0");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-position-deletes"), "0");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-records"), "265");
  ids after = scan(tbl, 0);
  cr_assert_eq(after.n, 265);
  cr_assert(!memcmp(before.seen, after.seen, sizeof after.seen));
  ids old = scan(tbl, before_id); /* time travel still reads the old files */
  cr_assert(!memcmp(before.seen, old.seen, sizeof old.seen));

  /* an append after compaction, then nothing more to fold but the new file */
  append(tbl, 500, 3, NULL, NULL);
  ids more = scan(tbl, 0);
  cr_assert_eq(more.n, 268);
  cr_assert_eq(fl_table_compact(tbl, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.data_files_written, 3);
  cr_assert_eq(fl_table_compact(tbl, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.snapshot_id, 0); /* one file per partition: nothing to do */

  for (int i = 0; i < 90; i++) free(paths[i]);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(maintain, expiry_drops_old_snapshots_and_only_unreachable_files) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh);
  fl_err err = {0};
  for (uint32_t a = 0; a < 5; a++) append(tbl, a * 30, 30, NULL, NULL);
  uint32_t n;
  const fl_snapshot *snaps = fl_table_snapshots(tbl, &n);
  int64_t first = snaps[0].snapshot_id;
  char *metadir = fl_sprintf("%s/metadata", fl_table_dir(tbl));
  char *datadir = fl_sprintf("%s/data", fl_table_dir(tbl));
  uint32_t avro_before = count_files(metadir, ".avro");

  fl_expire_opts opts = {fl_now_ms() + 1000, 2};
  fl_expire_result res;
  cr_assert_eq(fl_table_expire_snapshots(tbl, &opts, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.snapshots_expired, 3);
  cr_assert_eq(res.files_deleted, 3); /* their manifest lists; manifests and data are still reached */
  fl_table_snapshots(tbl, &n);
  cr_assert_eq(n, 2);
  cr_assert_eq(count_files(metadir, ".avro"), avro_before - 3);
  cr_assert_eq(scan(tbl, 0).n, 150);
  fl_scan *sc;
  fl_scan_opts so = {.snapshot_id = first};
  cr_assert_eq(fl_scan_plan(tbl, &so, &sc, &err), FL_ENOENT);

  /* compaction, then expiring everything but the current snapshot removes the old files */
  fl_compact_result cres;
  cr_assert_eq(fl_table_compact(tbl, &cres, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(count_files(datadir, ".parquet"), 15 + 3);
  opts = (fl_expire_opts){fl_now_ms() + 1000, 1};
  cr_assert_eq(fl_table_expire_snapshots(tbl, &opts, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.snapshots_expired, 2);
  cr_assert_eq(count_files(datadir, ".parquet"), 3);
  cr_assert(res.bytes_deleted > 0);
  cr_assert_eq(scan(tbl, 0).n, 150);
  fl_table *fresh;
  cr_assert_eq(fl_table_load(wh, "silver", "m", &fresh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(scan(fresh, 0).n, 150);
  fl_table_free(fresh);

  /* nothing old enough: no commit */
  const char *loc = fl_table_metadata_location(tbl);
  char *before = strdup(loc);
  opts = (fl_expire_opts){1, 1};
  cr_assert_eq(fl_table_expire_snapshots(tbl, &opts, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.snapshots_expired, 0);
  cr_assert_str_eq(before, fl_table_metadata_location(tbl));
  free(before);
  fl_free(metadir);
  fl_free(datadir);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(maintain, compaction_keeps_concurrent_appends_and_refuses_concurrent_deletes) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh);
  fl_err err = {0};
  fl_row_location locs[30];
  char *paths[30];
  append(tbl, 0, 30, locs, paths);
  append(tbl, 30, 30, NULL, NULL);
  /* another writer appends through its own handle: tbl is now stale */
  fl_table *other;
  cr_assert_eq(fl_table_load(wh, "silver", "m", &other, &err), FL_OK, "%s", err.msg);
  append(other, 60, 30, NULL, NULL);
  fl_compact_result res;
  cr_assert_eq(fl_table_compact(tbl, &res, &err), FL_OK, "%s", err.msg); /* conflicts, retries */
  cr_assert_eq(res.data_files_rewritten, 6);
  ids all = scan(tbl, 0);
  cr_assert_eq(all.n, 90); /* the concurrent append survived */
  cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(tbl), "total-records"), "90");
  cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(tbl), "total-data-files"), "6");

  /* a concurrent position delete would be lost: refused, nothing committed */
  append(tbl, 90, 30, NULL, NULL);
  cr_assert_eq(fl_table_refresh(other, &err), FL_OK);
  ids cur = scan(tbl, 0);
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(other, &app, &err), FL_OK, "%s", err.msg);
  fl_scan *sc;
  cr_assert_eq(fl_scan_plan(other, NULL, &sc, &err), FL_OK, "%s", err.msg);
  uint32_t n;
  const fl_scan_file *files = fl_scan_files(sc, &n);
  cr_assert_eq(fl_appender_delete(app, files[0].path, 0, &err), FL_OK, "%s", err.msg);
  fl_scan_free(sc);
  fl_table *stale;
  cr_assert_eq(fl_table_load(wh, "silver", "m", &stale, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  const char *before = fl_table_metadata_location(other);
  char *b = strdup(before);
  cr_assert_eq(fl_table_compact(stale, &res, &err), FL_EVALIDATION);
  cr_assert(strstr(err.msg, "validation failed: delete file"), "%s", err.msg);
  cr_assert_eq(fl_table_refresh(stale, &err), FL_OK);
  cr_assert_str_eq(fl_table_metadata_location(stale), b);
  cr_assert_eq(scan(stale, 0).n, cur.n - 1);
  free(b);
  for (int i = 0; i < 30; i++) free(paths[i]);
  fl_table_free(stale);
  fl_table_free(other);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

static uint32_t manifest_count(fl_table *tbl) {
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_manifest_file *mfs;
  uint32_t n;
  fl_err err = {0};
  const char *uri = fl_table_current_snapshot(tbl)->manifest_list;
  cr_assert_eq(fl_manifest_list_read(uri + 7, &arena, &mfs, &n, &err), FL_OK, "%s", err.msg);
  fl_arena_destroy(&arena);
  return n;
}

Test(maintain, frequent_commits_merge_manifests_and_keep_deletes_applying) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh);
  fl_err err = {0};
  fl_kv props[] = {{"commit.manifest.min-count-to-merge", "4"}};
  cr_assert_eq(fl_table_set_properties(tbl, props, 1, &err), FL_OK, "%s", err.msg);
  fl_row_location locs[10];
  char *paths[10];
  append(tbl, 0, 10, locs, paths);
  /* a delete early on: after merging, the data keeps its sequence number and the
     delete keeps applying */
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_delete(app, paths[3], locs[3].pos, &err), FL_OK);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  uint32_t most = 0;
  for (uint32_t a = 1; a < 12; a++) {
    append(tbl, a * 10, 10, NULL, NULL);
    uint32_t m = manifest_count(tbl);
    if (m > most) most = m;
  }
  cr_assert(most <= 5, "manifest list grew to %u", most);
  ids s = scan(tbl, 0);
  cr_assert_eq(s.n, 120 - 1);
  cr_assert_eq(s.seen[3], 0);
  cr_assert_eq(s.seen[119], 1);
  cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(tbl), "total-records"), "120");
  /* compaction over merged manifests */
  fl_compact_result res;
  cr_assert_eq(fl_table_compact(tbl, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(scan(tbl, 0).n, 119);
  for (int i = 0; i < 10; i++) free(paths[i]);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(maintain, incremental_scan_reads_only_files_appended_after_a_snapshot) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh);
  fl_err err = {0};
  fl_kv props[] = {{"commit.manifest.min-count-to-merge", "2"}}; /* merged manifests too */
  cr_assert_eq(fl_table_set_properties(tbl, props, 1, &err), FL_OK, "%s", err.msg);
  int64_t snap[4];
  for (uint32_t a = 0; a < 4; a++) {
    append(tbl, a * 10, 10, NULL, NULL);
    snap[a] = fl_table_current_snapshot(tbl)->snapshot_id;
  }
  fl_scan_opts opts = {.after_snapshot_id = snap[1]};
  fl_scan *sc;
  ids s = {{0}, 0};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &sc, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_scan_run(sc, collect, &s, &err), FL_OK, "%s", err.msg);
  fl_scan_free(sc);
  cr_assert_eq(s.n, 20);
  cr_assert_eq(s.seen[20], 1);
  cr_assert_eq(s.seen[39], 1);
  cr_assert_eq(s.seen[19], 0);
  /* up to an older snapshot */
  opts = (fl_scan_opts){.snapshot_id = snap[2], .after_snapshot_id = snap[0]};
  memset(&s, 0, sizeof s);
  cr_assert_eq(fl_scan_plan(tbl, &opts, &sc, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_scan_run(sc, collect, &s, &err), FL_OK, "%s", err.msg);
  fl_scan_free(sc);
  cr_assert_eq(s.n, 20);
  cr_assert_eq(s.seen[10] + s.seen[29], 2);
  /* a range spanning a compaction is refused (its rows moved to rewritten files) */
  fl_compact_result res;
  cr_assert_eq(fl_table_compact(tbl, &res, &err), FL_OK, "%s", err.msg);
  opts = (fl_scan_opts){.after_snapshot_id = snap[3]};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &sc, &err), FL_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "compaction"), "%s", err.msg);
  /* after the compaction snapshot itself: nothing new */
  append(tbl, 100, 5, NULL, NULL);
  opts = (fl_scan_opts){.after_snapshot_id = res.snapshot_id};
  memset(&s, 0, sizeof s);
  cr_assert_eq(fl_scan_plan(tbl, &opts, &sc, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_scan_run(sc, collect, &s, &err), FL_OK, "%s", err.msg);
  fl_scan_free(sc);
  cr_assert_eq(s.n, 5);
  /* not an ancestor */
  opts = (fl_scan_opts){.snapshot_id = snap[0], .after_snapshot_id = snap[2]};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &sc, &err), FL_EINVAL);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(maintain, remove_orphans_deletes_only_unreferenced_old_files) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh);
  fl_err err = {0};
  append(tbl, 0, 30, NULL, NULL);
  /* an orphan: a file no manifest names (as a crashed writer leaves) */
  char *orphan = fl_sprintf("%s/data/ts_day=2026-11-25/00000-1-crashed-00001.parquet", fl_table_dir(tbl));
  FILE *f = fopen(orphan, "w");
  cr_assert(f);
  fputs("partial", f);
  fclose(f);
  fl_expire_result res;
  /* too recent for the default cutoff: kept */
  cr_assert_eq(fl_table_remove_orphans(tbl, 0, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.files_deleted, 0);
  cr_assert_eq(access(orphan, F_OK), 0);
  /* with a cutoff in the future: only the orphan goes */
  cr_assert_eq(fl_table_remove_orphans(tbl, fl_now_ms() + 60000, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.files_deleted, 1);
  cr_assert_neq(access(orphan, F_OK), 0);
  cr_assert_eq(scan(tbl, 0).n, 30);
  fl_table *fresh;
  cr_assert_eq(fl_table_load(wh, "silver", "m", &fresh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(scan(fresh, 0).n, 30);
  char hint[4096];
  snprintf(hint, sizeof hint, "%s/metadata/version-hint.text", fl_table_dir(tbl));
  cr_assert_eq(access(hint, F_OK), 0);
  fl_table_free(fresh);
  fl_free(orphan);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(maintain, a_delete_on_a_file_the_compaction_did_not_read_is_kept) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh);
  fl_err err = {0};
  append(tbl, 0, 30, NULL, NULL);
  append(tbl, 30, 30, NULL, NULL);
  fl_table *stale; /* the compaction's base: 60 rows in 6 files */
  cr_assert_eq(fl_table_load(wh, "silver", "m", &stale, &err), FL_OK, "%s", err.msg);
  /* meanwhile: rows 60..89 appended, then one of them deleted (its own new file) */
  fl_row_location locs[30];
  char *paths[30];
  append(tbl, 60, 30, locs, paths);
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_delete(app, paths[5], locs[5].pos, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  fl_compact_result res;
  cr_assert_eq(fl_table_compact(stale, &res, &err), FL_OK, "a delete outside the inputs is no conflict: %s",
               err.msg);
  cr_assert_eq(res.data_files_rewritten, 6);
  ids all = scan(stale, 0);
  cr_assert_eq(all.n, 89, "60 compacted + 29 appended rows: %u", all.n);
  cr_assert_eq(all.seen[65], 0, "the delete still applies");
  for (int i = 0; i < 30; i++) free(paths[i]);
  fl_table_free(stale);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* Small-file compaction: partitions with enough small files are folded, the rest is
 * left as it is (a big file, a partition with too few), rows unchanged, and a second
 * run finds nothing. */
Test(maintain, small_file_compaction_folds_only_partitions_with_enough_small_files) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh);
  fl_err err = {0};
  /* 6 commits of 3 rows: ids % 3 spreads each over the 3 day partitions: 6 small files in each */
  for (uint32_t c = 0; c < 6; c++) append(tbl, c * 3, 3, NULL, NULL);
  /* one more commit touching day 0 only (id % 3 == 0): ids 600, 603 */
  fl_batch *b = fl_batch_new(fields, 3, 2);
  int64_t t0 = fl_days_from_civil(2026, 11, 25) * DAY_US;
  for (int i = 0; i < 2; i++) {
    fl_vec_append_i64(&b->cols[0], 600 + 3 * i);
    fl_vec_append_i64(&b->cols[1], t0 + 1);
    fl_vec_append_str(&b->cols[2], "x", 1);
  }
  fl_batch_set_rows(b, 2);
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK);
  cr_assert_eq(fl_appender_write(app, b, &err), FL_OK);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  fl_batch_free(b);
  ids before = scan(tbl, 0);
  cr_assert_eq(before.n, 20);
  cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(tbl), "total-data-files"), "19");

  /* min 7 small files: only day 0 (7 files) qualifies; days 1 and 2 (6 each) stay */
  fl_compact_opts o = {.small_bytes = 1 << 20, .min_files = 7};
  fl_compact_result res;
  cr_assert_eq(fl_table_compact_small(tbl, &o, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.data_files_rewritten, 7);
  cr_assert_eq(res.data_files_written, 1);
  cr_assert_eq(res.records, 8);
  const fl_snapshot *cur = fl_table_current_snapshot(tbl);
  cr_assert_str_eq(cur->operation, "replace");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-data-files"), "13");
  ids after = scan(tbl, 0);
  cr_assert_eq(after.n, 20);
  cr_assert(!memcmp(before.seen, after.seen, sizeof after.seen));
  fl_scan *sc;
  cr_assert_eq(fl_scan_plan(tbl, NULL, &sc, &err), FL_OK);
  cr_assert_eq(fl_scan_get_stats(sc)->files_planned, 13, "12 untouched + 1 folded");
  fl_scan_free(sc);
  /* again: day 0 has one file now; 6 < 7 elsewhere: nothing */
  cr_assert_eq(fl_table_compact_small(tbl, &o, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.snapshot_id, 0);
  /* min 4: days 1 and 2 fold too */
  o.min_files = 4;
  cr_assert_eq(fl_table_compact_small(tbl, &o, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.data_files_rewritten, 12);
  cr_assert_eq(res.data_files_written, 2);
  after = scan(tbl, 0);
  cr_assert(!memcmp(before.seen, after.seen, sizeof after.seen));
  /* small_bytes below every file: nothing is small */
  append(tbl, 700, 3, NULL, NULL);
  fl_compact_opts tiny = {.small_bytes = 10, .min_files = 1};
  cr_assert_eq(fl_table_compact_small(tbl, &tiny, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.snapshot_id, 0);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* Size tiers: a partition's largest small file is held back while it outweighs the
 * other small files together (merging it would mostly copy it), and joins once they
 * outweigh it: so a row is rewritten O(log) times on its way to a target-size file. */
Test(maintain, small_file_compaction_holds_back_a_file_larger_than_the_rest_together) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh);
  fl_err err = {0};
  /* a file of 4,000 rows in each day (~4.6 KB: ids and timestamps delta-packed to a
   * few bytes a page, ~1 byte a row in all; one row: ~0.75 KB) */
  append(tbl, 0, 12000, NULL, NULL);
  for (uint32_t c = 0; c < 4; c++) append(tbl, 12000 + c * 3, 3, NULL, NULL); /* 4 of one row */
  ids before = scan(tbl, 0);
  fl_compact_opts o = {.small_bytes = 1 << 20, .min_files = 4};
  fl_compact_result res;
  cr_assert_eq(fl_table_compact_small(tbl, &o, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.data_files_rewritten, 12, "the 4,000-row files held back");
  cr_assert_eq(res.data_files_written, 3);
  cr_assert_eq(res.records, 12);
  ids after = scan(tbl, 0);
  cr_assert(!memcmp(before.seen, after.seen, sizeof after.seen));
  /* 10 more commits of one row a day: now the rest outweigh the 4,000-row file */
  for (uint32_t c = 0; c < 10; c++) append(tbl, 12012 + c * 3, 3, NULL, NULL);
  before = scan(tbl, 0);
  cr_assert_eq(fl_table_compact_small(tbl, &o, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.data_files_rewritten, 3 * 12, "all of each day's small files");
  cr_assert_eq(res.data_files_written, 3);
  cr_assert_eq(res.records, 12042);
  after = scan(tbl, 0);
  cr_assert(!memcmp(before.seen, after.seen, sizeof after.seen));
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}
