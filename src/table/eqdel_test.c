/* Tests of equality deletes (Iceberg "Equality Delete Files"), written here the way
 * Flink's upsert sink writes them: one commit holds the new rows and an equality delete
 * file of their keys. The delete files are added to an appender through the module's
 * own file helpers (append_int.h), so floe's scan reads exactly what another engine's
 * manifests would list: content 2, equality_ids, the delete's sequence number. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/time.h"
#include "table/append_int.h"

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "qty", {FL_T_INT, 0, 0}, false},
    {3, "name", {FL_T_STRING, 0, 0}, false},
    {4, "ts", {FL_T_TIMESTAMP, 0, 0}, true},
};
static const fl_schema schema = {0, 4, fields, 0, NULL};
static const int64_t DAY_US = 86400000000LL;

static fl_table *setup(fl_warehouse **wh, bool partitioned) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/eqdel-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, wh, &err), FL_OK, "%s", err.msg);
  fl_free(dir);
  fl_partition_def parts[] = {{"ts", "day"}};
  fl_table_create_opts opts = {0};
  if (partitioned) opts = (fl_table_create_opts){parts, 1, NULL, 0, NULL, 0};
  fl_table *tbl;
  cr_assert_eq(fl_table_create(*wh, "silver", "e", &schema, &opts, &tbl, &err), FL_OK, "%s", err.msg);
  return tbl;
}

/* Rows (id, qty = id * 10, name = "n<id>" or NULL when id % 10 == 9, ts on day id % 3). */
static fl_batch *rows(uint32_t from, uint32_t n, const char *suffix) {
  fl_batch *b = fl_batch_new(fields, 4, n ? n : 1);
  int64_t t0 = fl_days_from_civil(2026, 11, 25) * DAY_US;
  for (uint32_t i = from; i < from + n; i++) {
    fl_vec_append_i64(&b->cols[0], i);
    fl_vec_append_i32(&b->cols[1], (int32_t)i * 10);
    if (i % 10 == 9) {
      fl_vec_append_null(&b->cols[2]);
    } else {
      char s[32];
      int len = snprintf(s, sizeof s, "n%u%s", i, suffix);
      fl_vec_append_str(&b->cols[2], s, (uint32_t)len);
    }
    fl_vec_append_i64(&b->cols[3], t0 + (int64_t)(i % 3) * DAY_US);
  }
  fl_batch_set_rows(b, n);
  return b;
}

/* One commit: data rows (may be NULL) and one equality delete file over eq_ids whose
 * rows are del (columns = the fields dfields), in partition part (NULL: unpartitioned).
 * Returns the snapshot id. */
static int64_t commit(fl_table *tbl, const fl_batch *data, const fl_field *dfields, uint32_t ndf,
                      const fl_batch *del, const int32_t *eq_ids, uint32_t nids, const fl_value *part,
                      uint32_t npart) {
  fl_err err = {0};
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  if (data) cr_assert_eq(fl_appender_write(app, data, &err), FL_OK, "%s", err.msg);
  if (del) {
    fl_schema ds = {0, ndf, (fl_field *)dfields, 0, NULL};
    fl_kv kv[] = {{"delete-type", "equality"}};
    fl_parquet_writer *pw;
    char *uri;
    cr_assert_eq(fl_tbl_open_file(app, "", 80000, &ds, "-eq-deletes", kv, 1, &pw, &uri, &err), FL_OK, "%s",
                 err.msg);
    cr_assert_eq(fl_parquet_writer_write(pw, del, &err), FL_OK, "%s", err.msg);
    fl_data_file *f;
    fl_value *pv = npart ? fl_arena_memdup(&app->arena, part, npart * sizeof *part) : NULL;
    cr_assert_eq(fl_tbl_record_file(app, pw, uri, FL_CONTENT_EQUALITY_DELETES, pv, npart, &f, &err), FL_OK,
                 "%s", err.msg);
    f->equality_ids = fl_arena_memdup(&app->arena, eq_ids, nids * sizeof *eq_ids);
    f->nequality_ids = nids;
  }
  int64_t sid;
  cr_assert_eq(fl_appender_commit(app, NULL, 0, &sid, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  return sid;
}

typedef struct seen {
  uint32_t count[400];
  char name[400][32];
  uint32_t n;
  uint32_t ncols;
} seen;

static int collect(void *ctx, const fl_batch *batch, const char *path, const uint64_t *pos) {
  seen *s = ctx;
  s->ncols = batch->ncols;
  for (uint32_t r = 0; r < batch->nrows; r++) {
    int64_t id = batch->cols[0].data.i64[r];
    cr_assert(id >= 0 && id < 400, "id %lld", (long long)id);
    s->count[id]++;
    s->n++;
    int c = fl_schema_index_of_id(&(fl_schema){0, batch->ncols, (fl_field *)batch->fields, 0, NULL}, 3);
    if (c >= 0 && fl_vec_is_valid(&batch->cols[c], r)) {
      uint32_t n;
      const char *p = fl_vec_str(&batch->cols[c], r, &n);
      snprintf(s->name[id], sizeof s->name[id], "%.*s", (int)n, p);
    }
  }
  return 0;
}

static seen *scan(fl_table *tbl, int64_t snapshot_id, const char **columns, uint32_t ncolumns,
                  fl_scan_stats *stats) {
  static seen s;
  memset(&s, 0, sizeof s);
  fl_scan_opts opts = {.snapshot_id = snapshot_id, .columns = columns, .ncolumns = ncolumns};
  fl_scan *sc;
  fl_err err = {0};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &sc, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_scan_run(sc, collect, &s, &err), FL_OK, "%s", err.msg);
  if (stats) *stats = *fl_scan_get_stats(sc);
  fl_scan_free(sc);
  return &s;
}

static fl_batch *ids_batch(const fl_field *f, const int64_t *ids, uint32_t n) {
  fl_batch *b = fl_batch_new(f, 1, n);
  for (uint32_t i = 0; i < n; i++) fl_vec_append_i64(&b->cols[0], ids[i]);
  fl_batch_set_rows(b, n);
  return b;
}

Test(eqdel, an_upsert_deletes_older_rows_of_its_keys_and_keeps_its_own_new_rows) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh, false);
  fl_batch *b = rows(0, 100, "");
  int64_t s1 = commit(tbl, b, NULL, 0, NULL, NULL, 0, NULL, 0);
  fl_batch_free(b);
  /* upsert of 3 and 5, delete of 7 and of 200 (no such row) */
  b = rows(3, 3, "-new"); /* 3, 4, 5 */
  int64_t del_ids[] = {3, 4, 5, 7, 200};
  int32_t eq[] = {1};
  fl_batch *d = ids_batch(fields, del_ids, 5);
  commit(tbl, b, fields, 1, d, eq, 1, NULL, 0);
  fl_batch_free(b);
  fl_batch_free(d);
  fl_scan_stats st;
  seen *s = scan(tbl, 0, NULL, 0, &st);
  cr_assert_eq(s->n, 100 - 4 + 3);
  cr_assert_eq(s->count[3], 1);
  cr_assert_str_eq(s->name[3], "n3-new");
  cr_assert_str_eq(s->name[5], "n5-new");
  cr_assert_eq(s->count[7], 0);
  cr_assert_eq(s->count[8], 1);
  cr_assert_str_eq(s->name[8], "n8");
  cr_assert_eq(st.rows_deleted, 4);
  cr_assert_eq(st.delete_files, 1);
  cr_assert_eq(s->ncols, 4);
  /* the older snapshot has none of the deletes */
  s = scan(tbl, s1, NULL, 0, NULL);
  cr_assert_eq(s->n, 100);
  cr_assert_str_eq(s->name[3], "n3");
  cr_assert_eq(s->count[7], 1);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

typedef struct names {
  uint32_t n, ncols, n7; /* rows, columns, rows named "n7" */
} names;

static int collect_names(void *ctx, const fl_batch *batch, const char *path, const uint64_t *pos) {
  names *s = ctx;
  s->ncols = batch->ncols;
  for (uint32_t r = 0; r < batch->nrows; r++) {
    s->n++;
    uint32_t n;
    const char *p = fl_vec_str(&batch->cols[0], r, &n);
    if (fl_vec_is_valid(&batch->cols[0], r) && n == 2 && !memcmp(p, "n7", 2)) s->n7++;
  }
  return 0;
}

/* A filter as cli/where.c binds one: to the projection's columns, every row kept. */
static uint32_t keep_all(void *ctx, const fl_batch *batch, uint32_t *sel) {
  uint32_t *ncols = ctx;
  *ncols = batch->ncols;
  for (uint32_t r = 0; r < batch->nrows; r++) sel[r] = r;
  return batch->nrows;
}

Test(eqdel, a_projection_without_the_key_columns_reads_them_to_apply_deletes) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh, false);
  fl_batch *b = rows(0, 20, "");
  commit(tbl, b, NULL, 0, NULL, NULL, 0, NULL, 0);
  fl_batch_free(b);
  int64_t del_ids[] = {7, 8};
  int32_t eq[] = {1};
  fl_batch *d = ids_batch(fields, del_ids, 2);
  commit(tbl, NULL, fields, 1, d, eq, 1, NULL, 0);
  fl_batch_free(d);
  const char *cols[] = {"name"};
  fl_scan_opts opts = {.columns = cols, .ncolumns = 1};
  fl_scan *sc;
  fl_err err = {0};
  names s = {0};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &sc, &err), FL_OK, "%s", err.msg);
  uint32_t filter_ncols = 0;
  fl_scan_set_filter(sc, keep_all, &filter_ncols);
  cr_assert_eq(fl_scan_run(sc, collect_names, &s, &err), FL_OK, "%s", err.msg);
  fl_scan_free(sc);
  cr_assert_eq(s.n, 18);
  cr_assert_eq(s.ncols, 1);
  cr_assert_eq(filter_ncols, 1); /* the filter sees the projection, not the key column read */
  cr_assert_eq(s.n7, 0);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(eqdel, null_key_values_match_null_and_multi_column_keys_match_all_columns) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh, false);
  fl_batch *b = rows(0, 40, ""); /* names of 9, 19, 29, 39 are NULL */
  commit(tbl, b, NULL, 0, NULL, NULL, 0, NULL, 0);
  fl_batch_free(b);
  /* key (id, name): (9, NULL) matches row 9; (19, "n19") does not match row 19 (NULL
     name); (20, "n20") matches; (21, NULL) does not match row 21 ("n21") */
  fl_field kf[] = {fields[0], fields[2]};
  fl_batch *d = fl_batch_new(kf, 2, 4);
  int64_t ids[] = {9, 19, 20, 21};
  const char *nm[] = {NULL, "n19", "n20", NULL};
  for (int i = 0; i < 4; i++) {
    fl_vec_append_i64(&d->cols[0], ids[i]);
    if (nm[i])
      fl_vec_append_str(&d->cols[1], nm[i], (uint32_t)strlen(nm[i]));
    else
      fl_vec_append_null(&d->cols[1]);
  }
  fl_batch_set_rows(d, 4);
  int32_t eq2[] = {3, 1}; /* any order */
  commit(tbl, NULL, kf, 2, d, eq2, 2, NULL, 0);
  fl_batch_free(d);
  seen *s = scan(tbl, 0, NULL, 0, NULL);
  cr_assert_eq(s->n, 38);
  cr_assert_eq(s->count[9], 0);
  cr_assert_eq(s->count[19], 1);
  cr_assert_eq(s->count[20], 0);
  cr_assert_eq(s->count[21], 1);
  /* key (name) = NULL deletes every row whose name is NULL: 19, 29, 39 */
  fl_field nf[] = {fields[2]};
  d = fl_batch_new(nf, 1, 1);
  fl_vec_append_null(&d->cols[0]);
  fl_batch_set_rows(d, 1);
  int32_t eq3[] = {3};
  commit(tbl, NULL, nf, 1, d, eq3, 1, NULL, 0);
  fl_batch_free(d);
  s = scan(tbl, 0, NULL, 0, NULL);
  cr_assert_eq(s->n, 35);
  cr_assert_eq(s->count[19] + s->count[29] + s->count[39], 0);
  cr_assert_eq(s->count[18], 1);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(eqdel, a_partitioned_delete_applies_only_to_its_partitions_files) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh, true); /* day(ts): rows go to days id % 3 */
  fl_batch *b = rows(0, 30, "");
  commit(tbl, b, NULL, 0, NULL, NULL, 0, NULL, 0);
  fl_batch_free(b);
  /* keys 0..29 in the partition of day 0 (ids 0, 3, ..., 27): deletes only those */
  int64_t ids[30];
  for (int i = 0; i < 30; i++) ids[i] = i;
  fl_batch *d = ids_batch(fields, ids, 30);
  fl_value part = {{FL_T_DATE, 0, 0}, false, {.i32 = (int32_t)fl_days_from_civil(2026, 11, 25)}};
  int32_t eq[] = {1};
  commit(tbl, NULL, fields, 1, d, eq, 1, &part, 1);
  fl_batch_free(d);
  seen *s = scan(tbl, 0, NULL, 0, NULL);
  cr_assert_eq(s->n, 20);
  for (int i = 0; i < 30; i++) cr_assert_eq(s->count[i], i % 3 != 0, "id %d", i);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(eqdel, deletes_follow_renamed_and_widened_columns_by_field_id) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh, false);
  fl_batch *b = rows(0, 20, "");
  commit(tbl, b, NULL, 0, NULL, NULL, 0, NULL, 0);
  fl_batch_free(b);
  /* a delete on qty (INT) written before qty is widened to BIGINT and renamed */
  fl_field qf[] = {fields[1]};
  fl_batch *d = fl_batch_new(qf, 1, 2);
  fl_vec_append_i32(&d->cols[0], 50);
  fl_vec_append_i32(&d->cols[0], 70);
  fl_batch_set_rows(d, 2);
  int32_t eq[] = {2};
  commit(tbl, NULL, qf, 1, d, eq, 1, NULL, 0);
  fl_batch_free(d);
  fl_err err = {0};
  cr_assert_eq(fl_table_widen_column(tbl, "qty", (fl_type){FL_T_BIGINT, 0, 0}, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_rename_column(tbl, "qty", "amount", &err), FL_OK, "%s", err.msg);
  seen *s = scan(tbl, 0, NULL, 0, NULL);
  cr_assert_eq(s->n, 18);
  cr_assert_eq(s->count[5] + s->count[7], 0);
  cr_assert_eq(s->count[6], 1);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(eqdel, compaction_applies_equality_deletes_and_drops_their_files) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh, false);
  fl_batch *b = rows(0, 50, "");
  commit(tbl, b, NULL, 0, NULL, NULL, 0, NULL, 0);
  fl_batch_free(b);
  b = rows(10, 2, "-new");
  int64_t ids[] = {10, 11, 12};
  int32_t eq[] = {1};
  fl_batch *d = ids_batch(fields, ids, 3);
  int64_t before = commit(tbl, b, fields, 1, d, eq, 1, NULL, 0);
  fl_batch_free(b);
  fl_batch_free(d);
  fl_err err = {0};
  fl_compact_result res;
  cr_assert_eq(fl_table_compact(tbl, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.delete_files_removed, 1);
  fl_scan_stats st;
  seen *s = scan(tbl, 0, NULL, 0, &st);
  cr_assert_eq(st.delete_files, 0);
  cr_assert_eq(st.rows_deleted, 0);
  cr_assert_eq(s->n, 49);
  cr_assert_str_eq(s->name[10], "n10-new");
  cr_assert_eq(s->count[12], 0);
  /* a row of key 12 appended after the compaction is not deleted by anything */
  b = rows(12, 1, "-late");
  commit(tbl, b, NULL, 0, NULL, NULL, 0, NULL, 0);
  fl_batch_free(b);
  s = scan(tbl, 0, NULL, 0, NULL);
  cr_assert_eq(s->n, 50);
  cr_assert_str_eq(s->name[12], "n12-late");
  /* the snapshot before the compaction still reads with its deletes */
  s = scan(tbl, before, NULL, 0, NULL);
  cr_assert_eq(s->n, 49);
  cr_assert_eq(s->count[12], 0);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(eqdel, a_key_that_is_no_top_level_column_is_refused_by_name) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh, false);
  fl_batch *b = rows(0, 5, "");
  commit(tbl, b, NULL, 0, NULL, NULL, 0, NULL, 0);
  fl_batch_free(b);
  fl_field odd[] = {{99, "inner", {FL_T_BIGINT, 0, 0}, false}};
  int64_t one[] = {1};
  fl_batch *d = ids_batch(odd, one, 1);
  int32_t eq[] = {99};
  commit(tbl, NULL, odd, 1, d, eq, 1, NULL, 0);
  fl_batch_free(d);
  fl_scan *sc;
  fl_err err = {0};
  cr_assert_eq(fl_scan_plan(tbl, NULL, &sc, &err), FL_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "equality id 99 is not a top-level column"), "%s", err.msg);
  cr_assert(strstr(err.msg, "silver.e"), "%s", err.msg);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(eqdel, a_compaction_that_raced_with_an_equality_delete_fails_validation_and_loses_nothing) {
  fl_warehouse *wh;
  fl_table *tbl = setup(&wh, false);
  for (uint32_t a = 0; a < 2; a++) {
    fl_batch *b = rows(a * 10, 10, "");
    commit(tbl, b, NULL, 0, NULL, NULL, 0, NULL, 0);
    fl_batch_free(b);
  }
  fl_err err = {0};
  fl_table *stale; /* a compactor that read the table before the delete landed */
  cr_assert_eq(fl_table_load(wh, "silver", "e", &stale, &err), FL_OK, "%s", err.msg);
  int64_t ids[] = {3, 13};
  int32_t eq[] = {1};
  fl_batch *d = ids_batch(fields, ids, 2);
  commit(tbl, NULL, fields, 1, d, eq, 1, NULL, 0);
  fl_batch_free(d);
  const char *loc = fl_table_metadata_location(tbl);
  char *before = strdup(loc);
  fl_compact_result res;
  cr_assert_eq(fl_table_compact(stale, &res, &err), FL_EVALIDATION);
  cr_assert(strstr(err.msg, "validation failed: delete file"), "%s", err.msg);
  cr_assert_eq(fl_table_refresh(stale, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(fl_table_metadata_location(stale), before);
  seen *s = scan(stale, 0, NULL, 0, NULL);
  cr_assert_eq(s->n, 18);
  cr_assert_eq(s->count[3] + s->count[13], 0);
  /* run again on the fresh table: it applies the delete */
  cr_assert_eq(fl_table_compact(stale, &res, &err), FL_OK, "%s", err.msg);
  s = scan(stale, 0, NULL, 0, NULL);
  cr_assert_eq(s->n, 18);
  cr_assert_eq(s->count[3] + s->count[13], 0);
  free(before);
  fl_table_free(stale);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* A data file that lacks an identity partition column (Spark's
 * write.data.partition-columns=false, Hive migrations) takes the manifest's value for
 * it: an equality key on that column, read only for the delete (the projection is id
 * alone), sees the partition value, not a null. */
Test(eqdel, a_key_column_the_data_file_lacks_takes_its_identity_partition_value) {
  static fl_field rf[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true}, {2, "region", {FL_T_STRING, 0, 0}, false}};
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/eqdel-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  fl_err err = {0};
  fl_warehouse *wh;
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_free(dir);
  fl_partition_def parts[] = {{"region", "identity"}};
  fl_table_create_opts opts = {parts, 1, NULL, 0, NULL, 0};
  fl_table *tbl;
  fl_schema rs = {0, 2, rf, 0, NULL};
  cr_assert_eq(fl_table_create(wh, "silver", "r", &rs, &opts, &tbl, &err), FL_OK, "%s", err.msg);
  /* ids 0..9 in a file of column id only, in partition region = 'a' */
  fl_value part = {{FL_T_STRING, 0, 0}, false, {.str = {"a", 1}}};
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  fl_schema only_id = {0, 1, rf, 0, NULL};
  fl_parquet_writer *pw;
  char *uri;
  cr_assert_eq(fl_tbl_open_file(app, "region=a", 1, &only_id, "", NULL, 0, &pw, &uri, &err), FL_OK, "%s",
               err.msg);
  int64_t ids[10];
  for (int i = 0; i < 10; i++) ids[i] = i;
  fl_batch *b = ids_batch(rf, ids, 10);
  cr_assert_eq(fl_parquet_writer_write(pw, b, &err), FL_OK, "%s", err.msg);
  fl_batch_free(b);
  fl_data_file *f;
  cr_assert_eq(fl_tbl_record_file(app, pw, uri, FL_CONTENT_DATA,
                                  fl_arena_memdup(&app->arena, &part, sizeof part), 1, &f, &err),
               FL_OK, "%s", err.msg);
  int64_t sid;
  cr_assert_eq(fl_appender_commit(app, NULL, 0, &sid, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  /* delete (id, region) = (3, 'a') and (4, 'b'): only id 3 is in region a */
  fl_batch *d = fl_batch_new(rf, 2, 2);
  fl_vec_append_i64(&d->cols[0], 3);
  fl_vec_append_str(&d->cols[1], "a", 1);
  fl_vec_append_i64(&d->cols[0], 4);
  fl_vec_append_str(&d->cols[1], "b", 1);
  fl_batch_set_rows(d, 2);
  int32_t eq[] = {1, 2};
  commit(tbl, NULL, rf, 2, d, eq, 2, &part, 1);
  fl_batch_free(d);
  const char *cols[] = {"id"};
  fl_scan_stats st;
  seen *s = scan(tbl, 0, cols, 1, &st);
  cr_assert_eq(s->n, 9);
  for (int i = 0; i < 10; i++) cr_assert_eq(s->count[i], i != 3, "id %d", i);
  cr_assert_eq(st.rows_deleted, 1);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}
