/* Tests of the scan's pull iterator (scan.c: fl_scan_iter_open / fl_scan_next): it
 * returns the same rows and positions as fl_scan_run, with position deletes applied,
 * reads exactly the row groups of the tasks it is given, and applies the filter. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/limits.h"
#include "table/table.h"

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "name", {FL_T_STRING, 0, 0}, false},
};
static const fl_schema schema = {.fields = fields, .nfields = 2};

enum { RG_ROWS = 1000 }; /* one row group per appender_write (row-group-size-bytes = 1) */

static fl_table *make_table(fl_warehouse **whp) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/scan-iter-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, whp, &err), FL_OK, "%s", err.msg);
  fl_free(dir);
  fl_kv props[] = {{"write.parquet.row-group-size-bytes", "1"}};
  fl_table_create_opts opts = {.props = props, .nprops = 1};
  fl_table *tbl;
  cr_assert_eq(fl_table_create(*whp, "bronze", "it", &schema, &opts, &tbl, &err), FL_OK, "%s", err.msg);
  return tbl;
}

/* Appends nrg row groups of RG_ROWS rows, ids from `from` up, in one commit (one file). */
static void append_rows(fl_table *tbl, int64_t from, uint32_t nrg) {
  fl_err err = {0};
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  fl_batch *b = fl_batch_new(fields, 2, RG_ROWS);
  for (uint32_t g = 0; g < nrg; g++) {
    fl_batch_reset(b);
    for (uint32_t i = 0; i < RG_ROWS; i++) {
      int64_t id = from + g * RG_ROWS + i;
      fl_vec_append_i64(&b->cols[0], id);
      char name[32];
      int n = snprintf(name, sizeof name, "n%lld", (long long)id);
      fl_vec_append_str(&b->cols[1], name, (uint32_t)n);
    }
    fl_batch_set_rows(b, RG_ROWS);
    cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
  }
  fl_batch_free(b);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
}

/* Deletes positions pos[0..n) of the file holding id `from`'s rows. */
static void delete_positions(fl_table *tbl, const char *path, const uint64_t *pos, uint32_t n) {
  fl_err err = {0};
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  for (uint32_t i = 0; i < n; i++)
    cr_assert_eq(fl_appender_delete(app, path, pos[i], &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
}

/* What a scan returned: per id, seen or not, with the position it came from. */
typedef struct seen {
  uint8_t *hit;  /* count per id */
  uint64_t *pos; /* position per id */
  char **file;   /* file per id (borrowed strings are copied) */
  uint64_t rows;
  int64_t nids;
} seen;

static seen seen_new(int64_t nids) {
  seen s = {calloc((size_t)nids, 1), calloc((size_t)nids, sizeof(uint64_t)),
            calloc((size_t)nids, sizeof(char *)), 0, nids};
  return s;
}

static void seen_free(seen *s) {
  for (int64_t i = 0; i < s->nids; i++) free(s->file[i]);
  free(s->hit);
  free(s->pos);
  free(s->file);
}

static int record(void *ctx, const fl_batch *batch, const char *file, const uint64_t *positions) {
  seen *s = ctx;
  for (uint32_t r = 0; r < batch->nrows; r++) {
    int64_t id = batch->cols[0].data.i64[r];
    cr_assert(id >= 0 && id < s->nids, "id %lld", (long long)id);
    uint32_t n;
    const char *p = fl_vec_str(&batch->cols[1], r, &n);
    char want[32];
    int wn = snprintf(want, sizeof want, "n%lld", (long long)id);
    cr_assert(n == (uint32_t)wn && !memcmp(p, want, n), "row of id %lld has name %.*s", (long long)id, (int)n,
              p);
    s->hit[id]++;
    s->pos[id] = positions[r];
    if (!s->file[id]) s->file[id] = strdup(file);
    s->rows++;
  }
  return 0;
}

static void pull(fl_scan *scan, const fl_scan_task *tasks, uint32_t ntasks, seen *s) {
  fl_err err = {0};
  fl_scan_iter *it;
  cr_assert_eq(fl_scan_iter_open(scan, tasks, ntasks, &it, &err), FL_OK, "%s", err.msg);
  for (;;) {
    const fl_batch *b;
    cr_assert_eq(fl_scan_next(it, &b, &err), FL_OK, "%s", err.msg);
    if (!b) break;
    cr_assert(b->nrows > 0 && b->nrows <= FL_BATCH_ROWS);
    record(s, b, fl_scan_iter_file(it), fl_scan_iter_positions(it));
  }
  const fl_batch *b = (const fl_batch *)1;
  cr_assert_eq(fl_scan_next(it, &b, &err), FL_OK);
  cr_assert_null(b, "the end stays the end");
  fl_scan_iter_free(it);
}

Test(scan_iter, same_rows_and_positions_as_run_with_deletes_applied) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_err err = {0};
  append_rows(tbl, 0, 3);    /* file A: ids 0..2999, 3 row groups */
  append_rows(tbl, 3000, 2); /* file B: ids 3000..4999, 2 row groups */
  fl_scan *scan;
  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  uint32_t nf;
  const fl_scan_file *files = fl_scan_files(scan, &nf);
  cr_assert_eq(nf, 2);
  const char *path_a = NULL;
  for (uint32_t i = 0; i < nf; i++)
    if (files[i].record_count == 3000) path_a = files[i].path;
  cr_assert(path_a);
  char *a = strdup(path_a);
  fl_scan_free(scan);
  const uint64_t dels[] = {0, 999, 1000, 2500, 2999}; /* ids = positions in file A */
  delete_positions(tbl, a, dels, 5);

  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  seen by_run = seen_new(5000), by_iter = seen_new(5000);
  cr_assert_eq(fl_scan_run(scan, record, &by_run, &err), FL_OK, "%s", err.msg);
  fl_scan_free(scan);
  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  pull(scan, NULL, 0, &by_iter);
  const fl_scan_stats *st = fl_scan_get_stats(scan);
  cr_assert_eq(st->row_groups_total, 5);
  cr_assert_eq(st->rows_read, 5000);
  cr_assert_eq(st->rows_deleted, 5);
  cr_assert_eq(st->rows_emitted, 4995);
  fl_scan_free(scan);

  cr_assert_eq(by_iter.rows, 4995);
  cr_assert_eq(by_run.rows, 4995);
  for (int64_t id = 0; id < 5000; id++) {
    bool deleted = false;
    for (int i = 0; i < 5; i++) deleted |= (int64_t)dels[i] == id;
    cr_assert_eq(by_iter.hit[id], deleted ? 0 : 1, "id %lld", (long long)id);
    cr_assert_eq(by_run.hit[id], by_iter.hit[id], "id %lld", (long long)id);
    if (deleted) continue;
    cr_assert_eq(by_iter.pos[id], (uint64_t)(id < 3000 ? id : id - 3000), "id %lld", (long long)id);
    cr_assert_eq(by_run.pos[id], by_iter.pos[id]);
    cr_assert_str_eq(by_run.file[id], by_iter.file[id]);
    cr_assert_eq(strcmp(by_iter.file[id], a) == 0, id < 3000, "id %lld from %s", (long long)id,
                 by_iter.file[id]);
  }
  seen_free(&by_run);
  seen_free(&by_iter);
  free(a);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(scan_iter, a_task_reads_exactly_its_row_groups) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_err err = {0};
  append_rows(tbl, 0, 4); /* one file, 4 row groups of 1000 */
  fl_scan *scan;
  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  uint32_t nt;
  const fl_scan_task *tasks = fl_scan_tasks(scan, &nt);
  cr_assert_eq(nt, 1);
  cr_assert_eq(tasks[0].rg_first, 0);
  cr_assert_eq(tasks[0].rg_count, UINT32_MAX);
  /* row groups 1 and 2 in one task, row group 3 in another; 0 read by no one */
  fl_scan_task mine[2] = {{0, 1, 2}, {0, 3, 1}};
  seen s = seen_new(4000);
  pull(scan, mine, 2, &s);
  cr_assert_eq(s.rows, 3000);
  for (int64_t id = 0; id < 4000; id++) cr_assert_eq(s.hit[id], id >= 1000, "id %lld", (long long)id);
  cr_assert_eq(s.pos[3999], 3999);
  cr_assert_eq(fl_scan_get_stats(scan)->row_groups_total, 3);
  seen_free(&s);
  /* a task past the file's end reads nothing */
  fl_scan_task past = {0, 9, 2};
  seen none = seen_new(4000);
  pull(scan, &past, 1, &none);
  cr_assert_eq(none.rows, 0);
  seen_free(&none);
  fl_scan_free(scan);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

static uint32_t keep_odd(void *ctx, const fl_batch *batch, uint32_t *sel) {
  (void)ctx;
  uint32_t m = 0;
  for (uint32_t i = 0; i < batch->nrows; i++)
    if (batch->cols[0].data.i64[i] % 2) sel[m++] = i;
  return m;
}

Test(scan_iter, the_filter_keeps_its_rows_and_row_groups_prune_by_statistics) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_err err = {0};
  append_rows(tbl, 0, 3);
  fl_pred pred = {"id", FL_PRED_GE, {.type = {FL_T_BIGINT, 0, 0}, .u.i64 = 1500}};
  fl_scan_opts opts = {.preds = &pred, .npreds = 1};
  fl_scan *scan;
  cr_assert_eq(fl_scan_plan(tbl, &opts, &scan, &err), FL_OK, "%s", err.msg);
  fl_scan_set_filter(scan, keep_odd, NULL);
  seen s = seen_new(3000);
  pull(scan, NULL, 0, &s);
  const fl_scan_stats *st = fl_scan_get_stats(scan);
  cr_assert_eq(st->row_groups_pruned, 1); /* ids 0..999 */
  cr_assert_eq(st->rows_read, 2000);
  cr_assert_eq(st->rows_filtered, 1000);
  cr_assert_eq(s.rows, 1000);
  for (int64_t id = 0; id < 3000; id++)
    cr_assert_eq(s.hit[id], id >= 1000 && id % 2, "id %lld", (long long)id);
  seen_free(&s);
  fl_scan_free(scan);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* A caller's bound (a top-N's worst kept row) of id >= 1500: the row group of ids 0..999
 * is skipped by its statistics, and in the one of 1000..1999 the rows below 1500 are
 * dropped as filtered (with the filter too: odd ids only); positions stay the rows'. */
static void pull_bounded(bool odd) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_err err = {0};
  append_rows(tbl, 0, 3);
  fl_scan *scan;
  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  if (odd) fl_scan_set_filter(scan, keep_odd, NULL);
  fl_scan_iter *it;
  cr_assert_eq(fl_scan_iter_open(scan, NULL, 0, &it, &err), FL_OK, "%s", err.msg);
  fl_value bound = {.type = {FL_T_BIGINT, 0, 0}, .u.i64 = 1500};
  fl_scan_iter_set_bound(it, 1, FL_PRED_GE, &bound);
  seen s = seen_new(3000);
  for (;;) {
    const fl_batch *b;
    cr_assert_eq(fl_scan_next(it, &b, &err), FL_OK, "%s", err.msg);
    if (!b) break;
    record(&s, b, fl_scan_iter_file(it), fl_scan_iter_positions(it));
  }
  fl_scan_iter_free(it);
  const fl_scan_stats *st = fl_scan_get_stats(scan);
  cr_assert_eq(st->row_groups_pruned, 1);
  cr_assert_eq(st->rows_read, 2000);
  cr_assert_eq(st->rows_filtered, odd ? 1250 : 500);
  cr_assert_eq(s.rows, odd ? 750 : 1500);
  for (int64_t id = 0; id < 3000; id++) {
    cr_assert_eq(s.hit[id], id >= 1500 && (!odd || id % 2), "id %lld", (long long)id);
    if (s.hit[id])
      cr_assert_eq(s.pos[id], (uint64_t)id, "id %lld at position %llu", (long long)id,
                   (unsigned long long)s.pos[id]);
  }
  seen_free(&s);
  fl_scan_free(scan);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(scan_iter, a_bound_skips_row_groups_by_statistics_and_drops_the_rows_outside_it) {
  pull_bounded(false);
  pull_bounded(true);
}

/* Morsels on several threads: one planned scan, its files split into one task per row
 * group, the tasks dealt to two threads, each pulling through its own iterator; together
 * they return exactly fl_scan_run's rows (deletes applied) and the scan's stats add up. */
#include <pthread.h>

typedef struct morsel_worker {
  fl_scan *scan;
  fl_scan_task *tasks;
  uint32_t ntasks;
  seen s;
} morsel_worker;

static void *pull_morsels(void *arg) {
  morsel_worker *w = arg;
  fl_err err = {0};
  fl_scan_iter *it;
  if (fl_scan_iter_open(w->scan, w->tasks, w->ntasks, &it, &err)) return NULL;
  for (;;) {
    const fl_batch *b;
    if (fl_scan_next(it, &b, &err) || !b) break;
    for (uint32_t r = 0; r < b->nrows; r++) { /* no Criterion assertions off the main thread */
      int64_t id = b->cols[0].data.i64[r];
      if (id >= 0 && id < w->s.nids) w->s.hit[id]++, w->s.pos[id] = fl_scan_iter_positions(it)[r];
      w->s.rows++;
    }
  }
  fl_scan_iter_free(it);
  return NULL;
}

Test(scan_iter, two_threads_over_row_group_morsels_read_every_row_once) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_err err = {0};
  append_rows(tbl, 0, 4);    /* file A: 4 row groups */
  append_rows(tbl, 4000, 3); /* file B: 3 row groups */
  fl_scan *scan;
  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  uint32_t nf;
  const fl_scan_file *files = fl_scan_files(scan, &nf);
  char *a = NULL;
  for (uint32_t i = 0; i < nf; i++)
    if (files[i].record_count == 4000) a = strdup(files[i].path);
  fl_scan_free(scan);
  const uint64_t dels[] = {5, 1500, 3999};
  delete_positions(tbl, a, dels, 3);

  cr_assert_eq(fl_scan_plan(tbl, NULL, &scan, &err), FL_OK, "%s", err.msg);
  files = fl_scan_files(scan, &nf);
  cr_assert_eq(nf, 2);
  fl_scan_task tasks[2][8];
  uint32_t n[2] = {0, 0}, k = 0;
  for (uint32_t f = 0; f < nf; f++)
    for (uint32_t rg = 0; rg < (files[f].record_count == 4000 ? 4u : 3u); rg++, k++)
      tasks[k % 2][n[k % 2]++] = (fl_scan_task){f, rg, 1};
  morsel_worker w[2];
  pthread_t th[2];
  for (int t = 0; t < 2; t++) {
    w[t] = (morsel_worker){scan, tasks[t], n[t], seen_new(7000)};
    cr_assert_eq(pthread_create(&th[t], NULL, pull_morsels, &w[t]), 0);
  }
  for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
  const fl_scan_stats *st = fl_scan_get_stats(scan);
  cr_assert_eq(st->row_groups_total, 7);
  cr_assert_eq(st->rows_read, 7000);
  cr_assert_eq(st->rows_deleted, 3);
  cr_assert_eq(st->rows_emitted, 6997);
  cr_assert_eq(w[0].s.rows + w[1].s.rows, 6997);
  cr_assert(w[0].s.rows > 0 && w[1].s.rows > 0, "both threads read");
  for (int64_t id = 0; id < 7000; id++) {
    bool deleted = id == 5 || id == 1500 || id == 3999;
    cr_assert_eq(w[0].s.hit[id] + w[1].s.hit[id], deleted ? 0 : 1, "id %lld", (long long)id);
    if (!deleted) {
      uint64_t pos = w[0].s.hit[id] ? w[0].s.pos[id] : w[1].s.pos[id];
      cr_assert_eq(pos, (uint64_t)(id < 4000 ? id : id - 4000), "id %lld", (long long)id);
    }
  }
  for (int t = 0; t < 2; t++) seen_free(&w[t].s);
  free(a);
  fl_scan_free(scan);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}
