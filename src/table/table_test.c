/* Tests of Iceberg tables end to end: create, append, scan, prune, time travel,
 * position deletes, schema evolution, concurrent commits, abort. Each test works in
 * its own warehouse under $FLOE_TEST_TMP. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/time.h"
#include "table/table.h"

static char *tmp_dir(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/table-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  return dir;
}

static fl_warehouse *open_wh(void) {
  char *dir = tmp_dir();
  fl_warehouse *wh;
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_free(dir);
  return wh;
}

/* ---- collecting scan output as JSON lines */

typedef struct rows {
  char **lines;
  uint32_t n, cap;
  char *last_path;
  uint64_t positions_sum;
} rows;

static int collect(void *ctx, const fl_batch *batch, const char *file_path, const uint64_t *positions) {
  rows *r = ctx;
  for (uint32_t i = 0; i < batch->nrows; i++) {
    fl_buf b = FL_BUF_INIT;
    fl_batch_row_to_json(batch, i, &b);
    fl_buf_cstr(&b);
    if (r->n == r->cap) {
      r->cap = r->cap ? r->cap * 2 : 256;
      r->lines = realloc(r->lines, r->cap * sizeof(char *));
    }
    r->lines[r->n++] = strdup((char *)b.data);
    fl_buf_free(&b);
    r->positions_sum += positions[i];
  }
  free(r->last_path);
  r->last_path = strdup(file_path);
  return 0;
}

static void rows_free(rows *r) {
  for (uint32_t i = 0; i < r->n; i++) free(r->lines[i]);
  free(r->lines);
  free(r->last_path);
  memset(r, 0, sizeof *r);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void rows_sort(rows *r) { qsort(r->lines, r->n, sizeof(char *), cmp_str); }

static rows batch_lines(const fl_batch *batch) {
  rows r = {0};
  uint64_t pos[FL_BATCH_ROWS] = {0};
  collect(&r, batch, "", pos);
  return r;
}

/* A row filter for fl_scan_set_filter: keeps lo <= id < hi (the BIGINT column "id"). */
typedef struct id_filter {
  int64_t lo, hi;
} id_filter;

static uint32_t filter_id(void *ctx, const fl_batch *batch, uint32_t *sel) {
  const id_filter *f = ctx;
  int32_t col = -1;
  for (uint32_t c = 0; c < batch->ncols; c++)
    if (!strcmp(batch->fields[c].name, "id")) col = (int32_t)c;
  cr_assert(col >= 0);
  uint32_t m = 0;
  for (uint32_t i = 0; i < batch->nrows; i++) {
    int64_t v = batch->cols[col].data.i64[i];
    if (v >= f->lo && v < f->hi) sel[m++] = i;
  }
  return m;
}

static fl_scan_stats scan_filtered(fl_table *tbl, const fl_scan_opts *opts, id_filter *filter, rows *out) {
  fl_scan *scan;
  fl_err err = {0};
  cr_assert_eq(fl_scan_plan(tbl, opts, &scan, &err), FL_OK, "%s", err.msg);
  if (filter) fl_scan_set_filter(scan, filter_id, filter);
  cr_assert_eq(fl_scan_run(scan, collect, out, &err), FL_OK, "%s", err.msg);
  fl_scan_stats st = *fl_scan_get_stats(scan);
  fl_scan_free(scan);
  return st;
}

static fl_scan_stats scan_all(fl_table *tbl, const fl_scan_opts *opts, rows *out) {
  return scan_filtered(tbl, opts, NULL, out);
}

static void assert_same_rows(rows *got, rows *want) {
  rows_sort(got);
  rows_sort(want);
  cr_assert_eq(got->n, want->n, "rows: got %u want %u", got->n, want->n);
  for (uint32_t i = 0; i < got->n; i++) cr_assert_str_eq(got->lines[i], want->lines[i], "row %u", i);
}

/* ---- a table of every type */

static fl_field all_fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},     {2, "flag", {FL_T_BOOLEAN, 0, 0}, false},
    {3, "qty", {FL_T_INT, 0, 0}, false},      {4, "ratio", {FL_T_FLOAT, 0, 0}, false},
    {5, "score", {FL_T_DOUBLE, 0, 0}, false}, {6, "amount", {FL_T_DECIMAL, 12, 2}, false},
    {7, "day", {FL_T_DATE, 0, 0}, false},     {8, "ts", {FL_T_TIMESTAMP, 0, 0}, true},
    {9, "name", {FL_T_STRING, 0, 0}, false},  {10, "attrs", {FL_T_JSON, 0, 0}, false},
};
static const fl_schema all_schema = {0, 10, all_fields, 0, NULL};

static const int64_t DAY_US = 86400000000LL;

static int64_t base_ts(void) { return fl_days_from_civil(2026, 11, 25) * DAY_US; }

/* Rows [from, from+n): every 7th optional value is null. */
static fl_batch *make_batch(uint32_t from, uint32_t n) {
  fl_batch *b = fl_batch_new(all_fields, 10, n);
  static const char *tenants[] = {"acme", "globex", "initech"};
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = from + k;
    bool null = i % 7 == 3;
    fl_vec_append_i64(&b->cols[0], i);
    if (null) {
      for (int c = 1; c < 8; c++)
        if (c != 7) fl_vec_append_null(&b->cols[c]);
      fl_vec_append_i64(&b->cols[7], base_ts() + (int64_t)(i % 3) * DAY_US + i);
      fl_vec_append_null(&b->cols[8]);
      fl_vec_append_null(&b->cols[9]);
      continue;
    }
    fl_vec_append_bool(&b->cols[1], i % 2);
    fl_vec_append_i32(&b->cols[2], (int32_t)i * 3 - 100);
    fl_vec_append_f32(&b->cols[3], (float)i / 4);
    fl_vec_append_f64(&b->cols[4], (double)i * 1.5);
    fl_vec_append_i64(&b->cols[5], (int64_t)i * 101 - 5000);
    fl_vec_append_i32(&b->cols[6], 20000 + (int32_t)i);
    fl_vec_append_i64(&b->cols[7], base_ts() + (int64_t)(i % 3) * DAY_US + i);
    const char *t = tenants[i % 3];
    fl_vec_append_str(&b->cols[8], t, (uint32_t)strlen(t));
    char js[64];
    int len = snprintf(js, sizeof js, "{\"k\":%u}", i);
    fl_vec_append_str(&b->cols[9], js, (uint32_t)len);
  }
  fl_batch_set_rows(b, n);
  return b;
}

static fl_table *create(fl_warehouse *wh, const char *name, const fl_partition_def *parts, uint32_t nparts) {
  fl_table *tbl;
  fl_err err = {0};
  fl_table_create_opts opts = {parts, nparts, NULL, 0, NULL, 0};
  cr_assert_eq(fl_table_create(wh, "bronze", name, &all_schema, &opts, &tbl, &err), FL_OK, "%s", err.msg);
  return tbl;
}

static int64_t append(fl_table *tbl, const fl_batch *batch, const fl_kv *summary, uint32_t nsummary) {
  fl_appender *app;
  fl_err err = {0};
  int64_t id = 0;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write(app, batch, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, summary, nsummary, &id, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  cr_assert(id > 0);
  return id;
}

static void roundtrip(const char *name, const fl_partition_def *parts, uint32_t nparts) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl = create(wh, name, parts, nparts);
  fl_batch *batch = make_batch(0, 500);
  append(tbl, batch, NULL, 0);
  rows got = {0}, want = batch_lines(batch);
  fl_scan_stats st = scan_all(tbl, NULL, &got);
  assert_same_rows(&got, &want);
  cr_assert_eq(st.rows_emitted, 500);
  cr_assert_eq(st.files_pruned_partition + st.files_pruned_bounds, 0);
  rows_free(&got);
  rows_free(&want);
  fl_batch_free(batch);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(table, scan_returns_every_type_with_nulls_unpartitioned) { roundtrip("plain", NULL, 0); }

Test(table, scan_returns_rows_partitioned_by_day_identity_bucket_truncate) {
  fl_partition_def parts[] = {
      {"ts", "day"}, {"name", "identity"}, {"id", "bucket[4]"}, {"qty", "truncate[100]"}};
  roundtrip("parts", parts, 4);
}

/* part_for_row reads these straight from the batch (append.c route_kind), with nulls;
 * a key that differs from the fl_value path's is an assertion at each new partition. */
Test(table, scan_returns_rows_partitioned_by_identity_of_each_type_and_hour) {
  fl_partition_def ints[] = {{"ts", "hour"}, {"name", "identity"}, {"qty", "identity"}, {"day", "identity"}};
  roundtrip("ints", ints, 4);
  fl_partition_def longs[] = {{"id", "identity"}, {"ts", "identity"}, {"attrs", "identity"}};
  roundtrip("longs", longs, 3);
}

Test(table, partitioned_files_land_in_partition_directories) {
  fl_warehouse *wh = open_wh();
  fl_partition_def parts[] = {{"ts", "day"}, {"name", "identity"}};
  fl_table *tbl = create(wh, "dirs", parts, 2);
  fl_batch *batch = make_batch(0, 60);
  append(tbl, batch, NULL, 0);
  fl_scan *scan;
  fl_err err = {0};
  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  uint32_t n;
  const fl_scan_file *files = fl_scan_files(scan, &n);
  /* 3 days x 3 tenants, where i%3 picks both, so 3 combinations, plus nulls' names */
  bool saw = false;
  for (uint32_t i = 0; i < n; i++) {
    cr_assert(strncmp(files[i].path, "file:///", 8) == 0, "%s", files[i].path);
    if (strstr(files[i].path, "/data/ts_day=2026-11-25/name=acme/")) saw = true;
    struct stat stt;
    cr_assert_eq(stat(files[i].path + 7, &stt), 0, "%s", files[i].path);
    cr_assert_eq(stt.st_size, files[i].file_size_in_bytes);
  }
  cr_assert(saw);
  const fl_snapshot *snap = fl_table_current_snapshot(tbl);
  cr_assert_str_eq(fl_snapshot_summary_get(snap, "changed-partition-count"),
                   fl_snapshot_summary_get(snap, "added-data-files"));
  char cnt[16];
  snprintf(cnt, sizeof cnt, "%u", n);
  cr_assert_str_eq(fl_snapshot_summary_get(snap, "added-data-files"), cnt);
  fl_scan_free(scan);
  fl_batch_free(batch);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(table, predicates_prune_files_by_partition_and_by_bounds) {
  fl_warehouse *wh = open_wh();
  fl_partition_def parts[] = {{"ts", "day"}};
  fl_table *tbl = create(wh, "prune", parts, 1);
  /* three appends, ids 0..299, 300..599, 600..899; each spreads over 3 days */
  for (uint32_t a = 0; a < 3; a++) {
    fl_batch *batch = make_batch(a * 300, 300);
    append(tbl, batch, NULL, 0);
    fl_batch_free(batch);
  }
  /* 9 files: 3 per append (one per day) */
  fl_pred p_day = {"ts", FL_PRED_GE, {.type = {FL_T_TIMESTAMP, 0, 0}, .u.i64 = base_ts() + 2 * DAY_US}};
  fl_scan_opts opts = {.preds = &p_day, .npreds = 1};
  rows got = {0};
  fl_scan_stats st = scan_all(tbl, &opts, &got);
  cr_assert_eq(st.files_total, 9);
  cr_assert_eq(st.files_pruned_partition, 6);
  cr_assert_eq(st.files_planned, 3);
  cr_assert_eq(got.n, 300); /* pruning only: every row of the 3rd day */
  rows_free(&got);

  fl_pred p_id = {"id", FL_PRED_EQ, {.type = {FL_T_BIGINT, 0, 0}, .u.i64 = 450}};
  opts = (fl_scan_opts){.preds = &p_id, .npreds = 1};
  st = scan_all(tbl, &opts, &got);
  cr_assert_eq(st.files_total, 9);
  cr_assert_eq(st.files_pruned_bounds, 6);
  cr_assert_eq(st.files_planned, 3);
  rows_free(&got);

  /* both, and exact filtering of rows */
  fl_pred both[] = {p_day, {"id", FL_PRED_LT, {.type = {FL_T_INT, 0, 0}, .u.i32 = 100}}};
  opts = (fl_scan_opts){.preds = both, .npreds = 2};
  id_filter below_100 = {INT64_MIN, 100};
  st = scan_filtered(tbl, &opts, &below_100, &got);
  cr_assert_eq(st.files_planned, 1);
  cr_assert_eq(st.rows_filtered, st.rows_read - got.n);
  uint32_t want = 0;
  for (uint32_t i = 0; i < 100; i++) want += i % 3 == 2;
  cr_assert_eq(got.n, want);
  rows_free(&got);

  /* projection: only the named columns, in the order given */
  const char *cols[] = {"name", "id"};
  opts = (fl_scan_opts){.preds = &p_id, .npreds = 1, .columns = cols, .ncolumns = 2};
  id_filter is_450 = {450, 451};
  st = scan_filtered(tbl, &opts, &is_450, &got);
  cr_assert_eq(got.n, 1);
  cr_assert_str_eq(got.lines[0], "{\"name\":\"acme\",\"id\":450}");
  rows_free(&got);

  /* a partition value outside every file prunes at the manifest level */
  fl_pred far = {"ts", FL_PRED_LT, {.type = {FL_T_TIMESTAMP, 0, 0}, .u.i64 = base_ts() - DAY_US}};
  opts = (fl_scan_opts){.preds = &far, .npreds = 1};
  st = scan_all(tbl, &opts, &got);
  cr_assert_eq(st.manifests_pruned, 3);
  cr_assert_eq(st.files_planned, 0);
  cr_assert_eq(got.n, 0);
  rows_free(&got);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(table, appends_make_snapshots_with_sequence_numbers_and_totals) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl = create(wh, "snaps", NULL, 0);
  int64_t ids[3];
  for (uint32_t a = 0; a < 3; a++) {
    fl_batch *batch = make_batch(a * 100, 100 + a);
    char ck[16];
    snprintf(ck, sizeof ck, "%u", a + 1);
    fl_kv kv[] = {{"floe.checkpoint-id", ck}};
    ids[a] = append(tbl, batch, kv, 1);
    fl_batch_free(batch);
  }
  uint32_t n;
  const fl_snapshot *snaps = fl_table_snapshots(tbl, &n);
  cr_assert_eq(n, 3);
  cr_assert_eq(fl_table_last_sequence_number(tbl), 3);
  for (uint32_t i = 0; i < 3; i++) {
    cr_assert_eq(snaps[i].snapshot_id, ids[i]);
    cr_assert_eq(snaps[i].sequence_number, i + 1);
    cr_assert_eq(snaps[i].parent_id, i ? ids[i - 1] : -1);
    cr_assert_str_eq(snaps[i].operation, "append");
    char ck[16];
    snprintf(ck, sizeof ck, "%u", i + 1);
    cr_assert_str_eq(fl_snapshot_summary_get(&snaps[i], "floe.checkpoint-id"), ck);
  }
  const fl_snapshot *cur = fl_table_current_snapshot(tbl);
  cr_assert_eq(cur->snapshot_id, ids[2]);
  cr_assert_eq(fl_table_snapshot_with_summary(tbl, "floe.checkpoint-id", "2")->snapshot_id, ids[1]);
  cr_assert_null(fl_table_snapshot_with_summary(tbl, "floe.checkpoint-id", "4"));
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "added-records"), "102");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-records"), "303");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-data-files"), "3");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-delete-files"), "0");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-position-deletes"), "0");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-equality-deletes"), "0");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "changed-partition-count"), "1");
  long long sizes = 0;
  for (uint32_t i = 0; i < 3; i++) sizes += atoll(fl_snapshot_summary_get(&snaps[i], "added-files-size"));
  cr_assert_eq(atoll(fl_snapshot_summary_get(cur, "total-files-size")), sizes);

  /* the hint follows the catalog */
  char path[4096];
  snprintf(path, sizeof path, "%s/metadata/version-hint.text", fl_table_dir(tbl));
  FILE *f = fopen(path, "r");
  cr_assert(f);
  int v = -1;
  cr_assert_eq(fscanf(f, "%d", &v), 1);
  fclose(f);
  cr_assert_eq(v, 3);
  snprintf(path, sizeof path, "%s/metadata/v3.metadata.json", fl_table_dir(tbl));
  cr_assert_eq(access(path, R_OK), 0);
  /* a fresh load sees the same */
  fl_table *t2;
  fl_err err = {0};
  cr_assert_eq(fl_table_load(wh, "bronze", "snaps", &t2, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_current_snapshot(t2)->snapshot_id, ids[2]);
  /* a writer killed between its catalog commit and the hint left it behind: the
   * table's writer brings it back at start (fl_table_repair_version_hint) */
  snprintf(path, sizeof path, "%s/metadata/version-hint.text", fl_table_dir(tbl));
  f = fopen(path, "w");
  cr_assert(f);
  fputs("2", f);
  fclose(f);
  fl_table_repair_version_hint(t2);
  f = fopen(path, "r");
  cr_assert(f);
  v = -1;
  cr_assert_eq(fscanf(f, "%d", &v), 1);
  fclose(f);
  cr_assert_eq(v, 3, "the hint is back at the catalog's version: %d", v);
  fl_table_free(t2);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(table, time_travel_by_snapshot_id_and_timestamp) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl = create(wh, "travel", NULL, 0);
  int64_t ids[3];
  for (uint32_t a = 0; a < 3; a++) {
    fl_batch *batch = make_batch(a * 10, 10);
    ids[a] = append(tbl, batch, NULL, 0);
    fl_batch_free(batch);
  }
  rows got = {0};
  fl_scan_opts opts = {.snapshot_id = ids[1]};
  scan_all(tbl, &opts, &got);
  cr_assert_eq(got.n, 20);
  rows_free(&got);
  const fl_snapshot *s0 = fl_table_snapshot_by_id(tbl, ids[0]);
  opts = (fl_scan_opts){.as_of_ms = s0->timestamp_ms};
  scan_all(tbl, &opts, &got);
  cr_assert_eq(got.n, 10);
  rows_free(&got);
  const fl_snapshot *s2 = fl_table_snapshot_by_id(tbl, ids[2]);
  opts = (fl_scan_opts){.as_of_ms = s2->timestamp_ms + 100000};
  scan_all(tbl, &opts, &got);
  cr_assert_eq(got.n, 30);
  rows_free(&got);
  fl_scan *scan;
  fl_err err = {0};
  opts = (fl_scan_opts){.as_of_ms = s0->timestamp_ms - 1};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &scan, &err), FL_ENOENT);
  opts = (fl_scan_opts){.snapshot_id = 12345};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &scan, &err), FL_ENOENT);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(table, position_deletes_hide_exactly_the_given_rows) {
  fl_warehouse *wh = open_wh();
  fl_partition_def parts[] = {{"ts", "day"}};
  fl_table *tbl = create(wh, "dels", parts, 1);
  fl_batch *batch = make_batch(0, 90);
  fl_row_location locs[90];
  fl_appender *app;
  fl_err err = {0};
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write_located(app, batch, locs, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  int64_t first = fl_appender_snapshot_id(app);
  /* locs stay valid while the appender lives: copy the paths */
  char *paths[90];
  for (int i = 0; i < 90; i++) paths[i] = strdup(locs[i].file_path);
  uint64_t pos[90];
  for (int i = 0; i < 90; i++) pos[i] = locs[i].pos;
  fl_appender_free(app);

  /* delete ids 4, 5, 87 (three days) and 4 again (a duplicate) */
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  int del_ids[] = {4, 5, 87, 4};
  for (int i = 0; i < 4; i++)
    cr_assert_eq(fl_appender_delete(app, paths[del_ids[i]], pos[del_ids[i]], &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  const fl_snapshot *cur = fl_table_current_snapshot(tbl);
  cr_assert_str_eq(cur->operation, "delete");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "added-position-deletes"), "3");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-position-deletes"), "3");
  cr_assert_str_eq(fl_snapshot_summary_get(cur, "total-delete-files"), "3"); /* one per day partition */

  rows got = {0};
  fl_scan_stats st = scan_all(tbl, NULL, &got);
  cr_assert_eq(got.n, 87);
  cr_assert_eq(st.rows_deleted, 3);
  cr_assert_eq(st.delete_files, 3);
  for (uint32_t i = 0; i < got.n; i++) {
    cr_assert_null(strstr(got.lines[i], "\"id\":4,"));
    cr_assert_null(strstr(got.lines[i], "\"id\":5,"));
    cr_assert_null(strstr(got.lines[i], "\"id\":87,"));
  }
  rows_free(&got);
  /* the earlier snapshot still has every row */
  fl_scan_opts opts = {.snapshot_id = first};
  scan_all(tbl, &opts, &got);
  cr_assert_eq(got.n, 90);
  rows_free(&got);

  /* MERGE shape: new rows plus a delete of an old one and of a new one -> overwrite */
  fl_batch *more = make_batch(1000, 3);
  fl_row_location mlocs[3];
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write_located(app, more, mlocs, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_delete(app, paths[10], pos[10], &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_delete(app, mlocs[1].file_path, mlocs[1].pos, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  cr_assert_str_eq(fl_table_current_snapshot(tbl)->operation, "overwrite");
  st = scan_all(tbl, NULL, &got);
  cr_assert_eq(got.n, 87 - 1 + 2);
  for (uint32_t i = 0; i < got.n; i++) {
    cr_assert_null(strstr(got.lines[i], "\"id\":10,"));
    cr_assert_null(strstr(got.lines[i], "\"id\":1001,"));
  }
  rows_free(&got);

  /* a delete naming a file the table does not have is refused */
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_delete(app, "file:///nonexistent.parquet", 1, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_ENOENT);
  fl_appender_abort(app);

  for (int i = 0; i < 90; i++) free(paths[i]);
  fl_batch_free(more);
  fl_batch_free(batch);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

static fl_field evo_fields[] = {
    {1, "id", {FL_T_INT, 0, 0}, true},
    {2, "amount", {FL_T_DECIMAL, 12, 2}, false},
    {3, "name", {FL_T_STRING, 0, 0}, false},
    {4, "ratio", {FL_T_FLOAT, 0, 0}, false},
};

Test(table, schema_evolution_add_rename_widen_reads_old_and_new_files) {
  fl_warehouse *wh = open_wh();
  fl_err err = {0};
  fl_schema schema = {0, 4, evo_fields, 0, NULL};
  fl_table *tbl;
  cr_assert_eq(fl_table_create(wh, "silver", "evo", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  fl_batch *b1 = fl_batch_new(evo_fields, 4, 4);
  fl_vec_append_i32(&b1->cols[0], 1);
  fl_vec_append_i64(&b1->cols[1], 1234);
  fl_vec_append_str(&b1->cols[2], "old", 3);
  fl_vec_append_f32(&b1->cols[3], 0.5f);
  fl_batch_set_rows(b1, 1);
  append(tbl, b1, NULL, 0);

  fl_schema_change changes[] = {
      {FL_SCHEMA_ADD_COLUMN, "note", NULL, {FL_T_STRING, 0, 0}},
      {FL_SCHEMA_RENAME_COLUMN, "name", "title", {0, 0, 0}},
      {FL_SCHEMA_WIDEN_COLUMN, "id", NULL, {FL_T_BIGINT, 0, 0}},
      {FL_SCHEMA_WIDEN_COLUMN, "amount", NULL, {FL_T_DECIMAL, 16, 2}},
      {FL_SCHEMA_WIDEN_COLUMN, "ratio", NULL, {FL_T_DOUBLE, 0, 0}},
  };
  const char *before = strdup(fl_table_metadata_location(tbl));
  cr_assert_eq(fl_table_evolve(tbl, changes, 5, &err), FL_OK, "%s", err.msg);
  cr_assert_str_neq(before, fl_table_metadata_location(tbl));
  const fl_schema *s = fl_table_schema(tbl);
  cr_assert_eq(s->schema_id, 1);
  cr_assert_eq(s->nfields, 5);
  cr_assert_eq(s->fields[4].id, 5);
  cr_assert_str_eq(s->fields[4].name, "note");
  cr_assert(!s->fields[4].required);
  cr_assert_str_eq(s->fields[2].name, "title");
  cr_assert_eq(s->fields[0].type.kind, FL_T_BIGINT);
  cr_assert_eq(s->fields[1].type.precision, 16);
  cr_assert_eq(fl_table_current_snapshot(tbl)->schema_id, 0); /* metadata-only: no new snapshot */
  uint32_t nsnap;
  fl_table_snapshots(tbl, &nsnap);
  cr_assert_eq(nsnap, 1);

  fl_batch *b2 = fl_batch_new(s->fields, 5, 4);
  fl_vec_append_i64(&b2->cols[0], 5000000000LL);
  fl_vec_append_i64(&b2->cols[1], 99999999999LL);
  fl_vec_append_str(&b2->cols[2], "new", 3);
  fl_vec_append_f64(&b2->cols[3], 0.25);
  fl_vec_append_str(&b2->cols[4], "n", 1);
  fl_batch_set_rows(b2, 1);
  append(tbl, b2, NULL, 0);

  rows got = {0};
  scan_all(tbl, NULL, &got);
  rows_sort(&got);
  cr_assert_eq(got.n, 2);
  cr_assert_str_eq(got.lines[0], "{\"id\":1,\"amount\":12.34,\"title\":\"old\",\"ratio\":0.5,\"note\":null}");
  cr_assert_str_eq(
      got.lines[1],
      "{\"id\":5000000000,\"amount\":999999999.99,\"title\":\"new\",\"ratio\":0.25,\"note\":\"n\"}");
  rows_free(&got);

  /* pruning by a widened column's old int bounds */
  fl_pred p = {"id", FL_PRED_GT, {.type = {FL_T_BIGINT, 0, 0}, .u.i64 = 10}};
  fl_scan_opts opts = {.preds = &p, .npreds = 1};
  fl_scan_stats st = scan_all(tbl, &opts, &got);
  cr_assert_eq(st.files_pruned_bounds, 1);
  cr_assert_eq(got.n, 1);
  rows_free(&got);
  free((void *)before);
  fl_batch_free(b1);
  fl_batch_free(b2);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(table, refused_schema_changes_give_eschema_and_commit_nothing) {
  fl_warehouse *wh = open_wh();
  fl_err err = {0};
  fl_schema schema = {0, 4, evo_fields, 0, NULL};
  fl_table *tbl;
  cr_assert_eq(fl_table_create(wh, "silver", "refuse", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  char *before = strdup(fl_table_metadata_location(tbl));
  cr_assert_eq(fl_table_widen_column(tbl, "amount", (fl_type){FL_T_INT, 0, 0}, &err), FL_ESCHEMA);
  cr_assert(strstr(err.msg, "cannot change column amount from DECIMAL(12,2) to INT: "), "%s", err.msg);
  cr_assert_eq(fl_table_widen_column(tbl, "name", (fl_type){FL_T_INT, 0, 0}, &err), FL_ESCHEMA);
  cr_assert_eq(fl_table_widen_column(tbl, "id", (fl_type){FL_T_DOUBLE, 0, 0}, &err), FL_ESCHEMA);
  cr_assert_eq(fl_table_widen_column(tbl, "amount", (fl_type){FL_T_DECIMAL, 12, 3}, &err), FL_ESCHEMA);
  cr_assert_eq(fl_table_widen_column(tbl, "amount", (fl_type){FL_T_DECIMAL, 10, 2}, &err), FL_ESCHEMA);
  cr_assert_eq(fl_table_add_column(tbl, "name", (fl_type){FL_T_INT, 0, 0}, &err), FL_ESCHEMA);
  cr_assert_eq(fl_table_rename_column(tbl, "id", "name", &err), FL_ESCHEMA);
  cr_assert_eq(fl_table_rename_column(tbl, "nope", "x", &err), FL_ENOENT);
  /* a refused change in a group refuses the group */
  fl_schema_change group[] = {{FL_SCHEMA_ADD_COLUMN, "ok", NULL, {FL_T_INT, 0, 0}},
                              {FL_SCHEMA_WIDEN_COLUMN, "name", NULL, {FL_T_BIGINT, 0, 0}}};
  cr_assert_eq(fl_table_evolve(tbl, group, 2, &err), FL_ESCHEMA);
  cr_assert_str_eq(before, fl_table_metadata_location(tbl));
  cr_assert_eq(fl_table_refresh(tbl, &err), FL_OK);
  cr_assert_str_eq(before, fl_table_metadata_location(tbl));
  cr_assert_eq(fl_table_schema(tbl)->nfields, 4);
  free(before);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(table, concurrent_appenders_on_one_base_both_commit) {
  fl_warehouse *wh = open_wh();
  fl_table *t1 = create(wh, "race", NULL, 0);
  fl_table *t2;
  fl_err err = {0};
  cr_assert_eq(fl_table_load(wh, "bronze", "race", &t2, &err), FL_OK, "%s", err.msg);
  fl_batch *b1 = make_batch(0, 50), *b2 = make_batch(50, 70);
  fl_appender *a1, *a2;
  cr_assert_eq(fl_appender_begin(t1, &a1, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_begin(t2, &a2, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write(a1, b1, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write(a2, b2, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(a1, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(a2, NULL, 0, NULL, &err), FL_OK, "%s", err.msg); /* conflicts, retries */
  fl_appender_free(a1);
  fl_appender_free(a2);
  cr_assert_eq(fl_table_last_sequence_number(t2), 2);
  cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(t2), "total-records"), "120");
  cr_assert_eq(fl_table_refresh(t1, &err), FL_OK);
  rows got = {0}, want = batch_lines(b1), w2 = batch_lines(b2);
  for (uint32_t i = 0; i < w2.n; i++) {
    want.lines = realloc(want.lines, (want.n + 1) * sizeof(char *));
    want.lines[want.n++] = strdup(w2.lines[i]);
  }
  scan_all(t1, NULL, &got);
  assert_same_rows(&got, &want);
  uint32_t n;
  const fl_snapshot *snaps = fl_table_snapshots(t1, &n);
  cr_assert_eq(n, 2);
  cr_assert_eq(snaps[1].parent_id, snaps[0].snapshot_id);
  rows_free(&got);
  rows_free(&want);
  rows_free(&w2);
  fl_batch_free(b1);
  fl_batch_free(b2);
  fl_table_free(t1);
  fl_table_free(t2);
  fl_warehouse_close(wh);
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

Test(table, abort_removes_written_files_and_target_size_rolls_files) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl = create(wh, "abort", NULL, 0);
  fl_err err = {0};
  fl_kv props[] = {{"write.target-file-size-bytes", "1"}};
  cr_assert_eq(fl_table_set_properties(tbl, props, 1, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(fl_table_property(tbl, "write.target-file-size-bytes"), "1");
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  for (uint32_t i = 0; i < 3; i++) {
    fl_batch *b = make_batch(i * 10, 10);
    cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
    fl_batch_free(b);
  }
  char *data = fl_sprintf("%s/data", fl_table_dir(tbl));
  cr_assert_eq(count_files(data, ".parquet"), 30); /* rolled within each write: a row a file */
  fl_appender_abort(app);
  cr_assert_eq(count_files(data, ".parquet"), 0);
  cr_assert_null(fl_table_current_snapshot(tbl));

  /* the same rolled write, committed: 30 files in one snapshot */
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  for (uint32_t i = 0; i < 3; i++) {
    fl_batch *b = make_batch(i * 10, 10);
    cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
    fl_batch_free(b);
  }
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(tbl), "added-data-files"), "30");
  cr_assert_eq(count_files(data, ".parquet"), 30);
  fl_free(data);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* Sizes of the .parquet files under dir (not recursive: an unpartitioned table's data/). */
static uint32_t file_sizes(const char *dir, uint64_t *out, uint32_t cap) {
  DIR *d = opendir(dir);
  cr_assert_not_null(d, "%s", dir);
  uint32_t n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 8 || strcmp(e->d_name + len - 8, ".parquet")) continue;
    char *child = fl_sprintf("%s/%s", dir, e->d_name);
    struct stat st;
    cr_assert_eq(stat(child, &st), 0, "%s", child);
    cr_assert_lt(n, cap);
    out[n++] = (uint64_t)st.st_size;
    fl_free(child);
  }
  closedir(d);
  return n;
}

/* One write far larger than the target is cut into files of about the target, all in
 * one commit: the first file by the writer's uncompressed estimate (below the target:
 * nothing is known of the table yet), the next ones by the closed file's bytes per
 * row; a second commit knows the table's bytes per row from its summary, so every
 * file but its last lands within [0.75, 1.25] x the target. */
Test(table, one_large_write_rolls_into_files_near_the_target_in_one_commit) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl = create(wh, "roll", NULL, 0);
  fl_err err = {0};
  const uint64_t target = 64 << 10;
  fl_kv props[] = {{"write.target-file-size-bytes", "65536"}};
  cr_assert_eq(fl_table_set_properties(tbl, props, 1, &err), FL_OK, "%s", err.msg);
  char *data = fl_sprintf("%s/data", fl_table_dir(tbl));
  uint64_t sizes[256];
  uint32_t before = 0;
  for (int round = 0; round < 2; round++) {
    fl_batch *b = make_batch((uint32_t)round * 60000, 60000);
    fl_appender *app;
    cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
    fl_appender_free(app);
    fl_batch_free(b);
    uint32_t n = file_sizes(data, sizes, 256);
    uint32_t added = n - before;
    char want[16];
    snprintf(want, sizeof want, "%u", added);
    cr_assert_gt(added, 4, "round %d: %u files", round, added);
    cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(tbl), "added-data-files"), want);
    uint32_t near = 0;
    for (uint32_t i = 0; i < n; i++) {
      cr_assert_leq(sizes[i], target + target / 4, "a file of %" PRIu64 " bytes", sizes[i]);
      near += sizes[i] >= target / 4 * 3;
    }
    /* round 0: all but its first and last; round 1: all but its last */
    cr_assert_geq(near, round == 0 ? added - 2 : n - 3, "round %d: %u of %u files near the target", round,
                  near, n);
    before = n;
  }
  rows got = {0};
  scan_all(tbl, NULL, &got);
  cr_assert_eq(got.n, 120000);
  rows_free(&got);
  fl_free(data);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(table, commit_many_swaps_every_table_or_none) {
  fl_warehouse *wh = open_wh();
  fl_table *ta = create(wh, "ta", NULL, 0), *tb = create(wh, "tb", NULL, 0);
  fl_err err = {0};
  fl_batch *batch = make_batch(0, 5);
  fl_appender *apps[2];
  cr_assert_eq(fl_appender_begin(ta, &apps[0], &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_begin(tb, &apps[1], &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write(apps[0], batch, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write(apps[1], batch, &err), FL_OK, "%s", err.msg);
  /* someone else commits to tb first (through another handle): the group retries */
  fl_table *tb_other;
  cr_assert_eq(fl_table_load(wh, "bronze", "tb", &tb_other, &err), FL_OK, "%s", err.msg);
  append(tb_other, batch, NULL, 0);
  fl_kv kv[] = {{"floe.checkpoint-id", "7"}};
  cr_assert_eq(fl_appender_commit_many(apps, 2, kv, 1, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(ta), "floe.checkpoint-id"), "7");
  cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(tb), "floe.checkpoint-id"), "7");
  cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(tb), "total-records"), "10");
  fl_appender_free(apps[0]);
  fl_appender_free(apps[1]);
  fl_table_free(tb_other);
  fl_batch_free(batch);
  fl_table_free(ta);
  fl_table_free(tb);
  fl_warehouse_close(wh);
}

Test(table, empty_table_scans_to_nothing_and_drop_purges) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl = create(wh, "empty", NULL, 0);
  rows got = {0};
  fl_scan_stats st = scan_all(tbl, NULL, &got);
  cr_assert_eq(got.n, 0);
  cr_assert_eq(st.files_total, 0);
  char *dir = strdup(fl_table_dir(tbl));
  fl_table_free(tbl);
  fl_err err = {0};
  cr_assert_eq(fl_table_drop(wh, "bronze", "empty", true, &err), FL_OK, "%s", err.msg);
  cr_assert_neq(access(dir, F_OK), 0);
  cr_assert_eq(fl_table_load(wh, "bronze", "empty", &tbl, &err), FL_ENOENT);
  free(dir);
  fl_warehouse_close(wh);
}

Test(table, row_groups_are_skipped_by_their_statistics) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl = create(wh, "rowgroups", NULL, 0);
  fl_err err = {0};
  fl_kv props[] = {{"write.parquet.row-group-size-bytes", "1"}};
  cr_assert_eq(fl_table_set_properties(tbl, props, 1, &err), FL_OK, "%s", err.msg);
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  for (uint32_t i = 0; i < 3; i++) {
    fl_batch *b = make_batch(i * 100, 100);
    cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
    fl_batch_free(b);
  }
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  fl_pred p = {"id", FL_PRED_GE, {.type = {FL_T_BIGINT, 0, 0}, .u.i64 = 250}};
  fl_scan_opts opts = {.preds = &p, .npreds = 1};
  rows got = {0};
  fl_scan_stats st = scan_all(tbl, &opts, &got);
  cr_assert_eq(st.files_planned, 1);
  cr_assert_eq(st.row_groups_total, 3);
  cr_assert_eq(st.row_groups_pruned, 2);
  cr_assert_eq(got.n, 100);
  rows_free(&got);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* A child process appending batches of 50 rows forever. */
static void append_forever(const char *data_dir, const char *name, uint32_t max_commits) {
  fl_warehouse *wh;
  fl_table *tbl;
  fl_err err = {0};
  if (fl_warehouse_open(data_dir, &wh, &err) || fl_table_load(wh, "bronze", name, &tbl, &err)) _exit(2);
  fl_batch *b = make_batch(0, 50);
  for (uint32_t i = 0; i < max_commits; i++) {
    fl_appender *app;
    if (fl_appender_begin(tbl, &app, &err) || fl_appender_write(app, b, &err) ||
        fl_appender_commit(app, NULL, 0, NULL, &err)) {
      fprintf(stderr, "child: %s\n", err.msg);
      _exit(3);
    }
    fl_appender_free(app);
  }
  _exit(0);
}

Test(table, writers_in_two_processes_lose_no_commit) {
  char *dir = tmp_dir();
  fl_warehouse *wh;
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_table *tbl = create(wh, "procs", NULL, 0);
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    kids[k] = fork();
    if (kids[k] == 0) append_forever(dir, "procs", 10);
  }
  for (int k = 0; k < 2; k++) {
    int status;
    cr_assert_eq(waitpid(kids[k], &status, 0), kids[k]);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d status %d", k, status);
  }
  cr_assert_eq(fl_table_refresh(tbl, &err), FL_OK, "%s", err.msg);
  uint32_t n;
  fl_table_snapshots(tbl, &n);
  cr_assert_eq(n, 20);
  cr_assert_eq(fl_table_last_sequence_number(tbl), 20);
  cr_assert_str_eq(fl_snapshot_summary_get(fl_table_current_snapshot(tbl), "total-records"), "1000");
  rows got = {0};
  scan_all(tbl, NULL, &got);
  cr_assert_eq(got.n, 1000);
  rows_free(&got);
  char path[4096];
  snprintf(path, sizeof path, "%s/metadata/version-hint.text", fl_table_dir(tbl));
  FILE *f = fopen(path, "r");
  int v = -1;
  cr_assert(f && fscanf(f, "%d", &v) == 1);
  fclose(f);
  cr_assert_eq(v, 20);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  fl_free(dir);
}

Test(table, writer_killed_anywhere_leaves_the_last_commit_readable) {
  char *dir = tmp_dir();
  fl_warehouse *wh;
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_table *tbl = create(wh, "killed", NULL, 0);
  for (int round = 0; round < 6; round++) {
    pid_t kid = fork();
    if (kid == 0) append_forever(dir, "killed", 1000000);
    struct timespec ts = {0, (long)(5 + round * 7) * 1000000L};
    nanosleep(&ts, NULL);
    kill(kid, SIGKILL);
    int status;
    waitpid(kid, &status, 0);
    cr_assert(WIFSIGNALED(status), "child exited on its own: %d", status);
    cr_assert_eq(fl_table_refresh(tbl, &err), FL_OK, "%s", err.msg);
    const fl_snapshot *cur = fl_table_current_snapshot(tbl);
    rows got = {0};
    scan_all(tbl, NULL, &got);
    const char *total = cur ? fl_snapshot_summary_get(cur, "total-records") : "0";
    cr_assert_eq(got.n, (uint32_t)atoi(total), "round %d: scanned %u, snapshot says %s", round, got.n, total);
    cr_assert_eq(got.n % 50, 0);
    rows_free(&got);
  }
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  fl_free(dir);
}

Test(table, sort_order_clusters_rows_inside_files) {
  fl_warehouse *wh = open_wh();
  fl_err err = {0};
  fl_partition_def parts[] = {{"name", "identity"}};
  fl_sort_def sort[] = {{"qty", NULL, true, true}}; /* qty DESC NULLS LAST */
  fl_table_create_opts opts = {parts, 1, sort, 1, NULL, 0};
  fl_table *tbl;
  cr_assert_eq(fl_table_create(wh, "gold", "sorted", &all_schema, &opts, &tbl, &err), FL_OK, "%s", err.msg);
  fl_batch *batch = make_batch(0, 200);
  fl_row_location locs[200];
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write_located(app, batch, locs, &err), FL_OK, "%s", err.msg);
  /* locations follow the rows to their sorted positions: row 198 (acme's largest qty)
     comes first in its file */
  cr_assert_eq(locs[198].pos, 0);
  cr_assert(strstr(locs[198].file_path, "/name=acme/"), "%s", locs[198].file_path);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  fl_scan *scan;
  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  uint32_t n;
  fl_scan_files(scan, &n);
  cr_assert_eq(n, 4); /* acme, globex, initech, null */
  rows got = {0};
  cr_assert_eq(fl_scan_run(scan, collect, &got, &err), FL_OK, "%s", err.msg);
  fl_scan_free(scan);
  cr_assert_eq(got.n, 200);
  /* within each file qty descends: check the acme rows, in scan order */
  long prev = 1L << 40;
  for (uint32_t i = 0; i < got.n; i++) {
    if (!strstr(got.lines[i], "\"name\":\"acme\"")) continue;
    const char *q = strstr(got.lines[i], "\"qty\":");
    cr_assert(q);
    long qty = strtol(q + 6, NULL, 10);
    cr_assert(qty < prev, "qty %ld after %ld", qty, prev);
    prev = qty;
  }
  rows_free(&got);
  fl_batch_free(batch);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}
