/* Tests of the metadata cache (cache.c): a snapshot planned again reads no metadata file
 * again, a commit costs only its new files, handles of one version share one parse, a
 * budget of 0 turns it off with the same results, and eviction never frees what a live
 * scan still points into. Counters are process-wide, so each test compares before and
 * after its own steps (Criterion runs each test in its own process). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "table/table.h"

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "name", {FL_T_STRING, 0, 0}, false},
};
static const fl_schema schema = {.fields = fields, .nfields = 2};

static fl_warehouse *open_wh(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/cache-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  fl_err err = {0};
  fl_warehouse *wh;
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_free(dir);
  return wh;
}

/* One commit of 10 rows, ids from `from`. */
static void append10(fl_table *tbl, int64_t from) {
  fl_err err = {0};
  fl_batch *b = fl_batch_new(fields, 2, 10);
  for (int i = 0; i < 10; i++) {
    fl_vec_append_i64(&b->cols[0], from + i);
    fl_vec_append_str(&b->cols[1], "x", 1);
  }
  fl_batch_set_rows(b, 10);
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  fl_batch_free(b);
}

static int sum_ids(void *ctx, const fl_batch *b, const char *file, const uint64_t *pos) {
  (void)file;
  (void)pos;
  for (uint32_t r = 0; r < b->nrows; r++) *(int64_t *)ctx += b->cols[0].data.i64[r];
  return 0;
}

static int64_t scan_sum(fl_table *tbl) {
  fl_scan *scan;
  fl_err err = {0};
  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  int64_t sum = 0;
  cr_assert_eq(fl_scan_run(scan, sum_ids, &sum, &err), FL_OK, "%s", err.msg);
  fl_scan_free(scan);
  return sum;
}

static fl_table_cache_stats now(void) {
  fl_table_cache_stats st;
  fl_table_cache_get_stats(&st);
  return st;
}

static int64_t sum_to(int64_t n) { return n * (n - 1) / 2; }

Test(cache, a_snapshot_planned_again_reads_no_metadata_file_again) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl;
  fl_err err = {0};
  cr_assert_eq(fl_table_create(wh, "bronze", "c", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  for (int i = 0; i < 5; i++) append10(tbl, i * 10);
  fl_table_cache_stats a = now();
  cr_assert_eq(scan_sum(tbl), sum_to(50));
  fl_table_cache_stats b = now();
  cr_assert_eq(b.misses - a.misses, 6, "the list and 5 manifests, once: %llu",
               (unsigned long long)(b.misses - a.misses));
  cr_assert_eq(scan_sum(tbl), sum_to(50));
  fl_table_cache_stats c = now();
  cr_assert_eq(c.misses, b.misses);
  cr_assert_eq(c.hits - b.hits, 6);
  /* a commit: its new manifest list and manifest are read, the 5 others are not */
  append10(tbl, 50);
  fl_table_cache_stats d = now();
  cr_assert_eq(scan_sum(tbl), sum_to(60));
  fl_table_cache_stats e = now();
  cr_assert_eq(e.misses - d.misses, 2);
  cr_assert_eq(e.hits - d.hits, 5);
  /* two handles loaded at one version share its parsed metadata JSON */
  fl_table *t2, *t3;
  cr_assert_eq(fl_table_load(wh, "bronze", "c", &t2, &err), FL_OK, "%s", err.msg);
  fl_table_cache_stats f = now();
  cr_assert_eq(fl_table_load(wh, "bronze", "c", &t3, &err), FL_OK, "%s", err.msg);
  fl_table_cache_stats g = now();
  cr_assert_eq(g.hits - f.hits, 1);
  cr_assert_eq(g.misses, f.misses);
  cr_assert_eq(fl_table_schema(t2), fl_table_schema(t3), "one parse");
  fl_table_free(t2);
  cr_assert_eq(scan_sum(t3), sum_to(60), "the other handle still reads");
  fl_table_free(t3);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(cache, budget_zero_turns_it_off_with_the_same_rows) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl;
  fl_err err = {0};
  cr_assert_eq(fl_table_create(wh, "bronze", "z", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  for (int i = 0; i < 3; i++) append10(tbl, i * 10);
  cr_assert_eq(scan_sum(tbl), sum_to(30));
  cr_assert(now().entries > 0);
  fl_table_cache_set_budget(0);
  cr_assert_eq(now().entries, 0);
  fl_table_cache_stats a = now();
  cr_assert_eq(scan_sum(tbl), sum_to(30));
  append10(tbl, 30);
  cr_assert_eq(scan_sum(tbl), sum_to(40));
  fl_table_cache_stats b = now();
  cr_assert_eq(b.entries, 0);
  cr_assert_eq(b.hits, a.hits);
  cr_assert_eq(b.misses, a.misses, "a disabled cache is not even asked");
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(cache, eviction_spares_what_a_live_scan_points_into) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl;
  fl_err err = {0};
  cr_assert_eq(fl_table_create(wh, "bronze", "e", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  for (int i = 0; i < 4; i++) append10(tbl, i * 10);
  fl_scan *scan;
  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  fl_table_cache_stats a = now();
  fl_table_cache_set_budget(1); /* everything not pinned goes */
  fl_table_cache_stats b = now();
  cr_assert(b.evictions > a.evictions);
  cr_assert_eq(b.entries, 5, "the scan's list and 4 manifests stay: %u", b.entries);
  /* the plan's file paths point into the pinned manifests */
  uint32_t nf;
  const fl_scan_file *files = fl_scan_files(scan, &nf);
  cr_assert_eq(nf, 4);
  for (uint32_t i = 0; i < nf; i++) cr_assert(strstr(files[i].path, ".parquet"), "%s", files[i].path);
  int64_t sum = 0;
  cr_assert_eq(fl_scan_run(scan, sum_ids, &sum, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(sum, sum_to(40));
  fl_scan_free(scan);
  cr_assert_eq(scan_sum(tbl), sum_to(40)); /* inserts then evicts at once: still right */
  fl_table_cache_set_budget(1);
  cr_assert_eq(now().entries, 0);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* Worker threads share the cache: each opens its own warehouse and table handle (as
 * table.h asks) and plans and reads the same snapshots at once, while the budget
 * squeezes the cache so entries are evicted and re-read under them. */
#include <pthread.h>

typedef struct worker {
  const char *dir;
  int64_t want;
  int ok;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  fl_err err = {0};
  fl_warehouse *wh;
  if (fl_warehouse_open(w->dir, &wh, &err)) return NULL;
  int ok = 1;
  for (int i = 0; i < 40 && ok; i++) {
    fl_table *tbl;
    if (fl_table_load(wh, "bronze", "mt", &tbl, &err)) {
      ok = 0;
      break;
    }
    fl_scan *scan;
    int64_t sum = 0;
    if (fl_scan_plan(tbl, NULL, &scan, &err) || fl_scan_run(scan, sum_ids, &sum, &err)) ok = 0;
    if (sum != w->want) ok = 0;
    fl_scan_free(scan);
    fl_table_free(tbl);
  }
  fl_warehouse_close(wh);
  w->ok = ok;
  return NULL;
}

Test(cache, threads_share_it_and_read_the_same_rows) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl;
  fl_err err = {0};
  cr_assert_eq(fl_table_create(wh, "bronze", "mt", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  for (int i = 0; i < 8; i++) append10(tbl, i * 10);
  fl_table_free(tbl);
  fl_table_cache_set_budget(20000); /* a few entries: evictions while the threads read */
  enum { NT = 4 };
  pthread_t th[NT];
  worker w[NT];
  for (int t = 0; t < NT; t++) {
    w[t] = (worker){fl_warehouse_dir(wh), sum_to(80), 0};
    cr_assert_eq(pthread_create(&th[t], NULL, work, &w[t]), 0);
  }
  for (int t = 0; t < NT; t++) {
    pthread_join(th[t], NULL);
    cr_assert(w[t].ok, "thread %d read wrong rows or failed", t);
  }
  fl_table_cache_stats st = now();
  cr_assert_gt(st.hits, 0);
  cr_assert_gt(st.evictions, 0, "entries were evicted while the threads read");
  fl_warehouse_close(wh);
}

Test(cache, position_delete_files_are_read_once_and_still_applied) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl;
  fl_err err = {0};
  cr_assert_eq(fl_table_create(wh, "bronze", "d", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  for (int i = 0; i < 3; i++) append10(tbl, i * 10);
  fl_scan *scan;
  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  uint32_t nf;
  const fl_scan_file *files = fl_scan_files(scan, &nf);
  char *path = strdup(files[0].path);
  fl_scan_free(scan);
  fl_appender *app; /* positions 0 and 9 of one file: ids k*10 and k*10 + 9 of its k */
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_delete(app, path, 0, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_delete(app, path, 9, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  int64_t first = scan_sum(tbl); /* reads the list, 3 data manifests, 1 delete manifest, 1 delete file */
  cr_assert(first == sum_to(30) - 9 || first == sum_to(30) - 29 || first == sum_to(30) - 49, "sum %lld",
            (long long)first);
  fl_table_cache_stats a = now();
  cr_assert_eq(scan_sum(tbl), first);
  fl_table_cache_stats b = now();
  cr_assert_eq(b.misses, a.misses, "nothing read again, the delete file included");
  cr_assert_eq(b.hits - a.hits, 1 + 3 + 1 + 1, "%llu hits", (unsigned long long)(b.hits - a.hits));
  free(path);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}
