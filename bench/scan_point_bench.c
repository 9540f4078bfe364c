/* scan_point_bench: a point query on a table of many files, with and without the
 * metadata cache (src/table/cache.c).
 *
 * Builds a table of --files commits (default 120) of --rows rows each (default 1000;
 * ids contiguous per file, so column bounds leave one file to read), then runs
 * --queries point queries (default 200) `id = X` (X spread over the table) as a query
 * would: fl_table_load (catalog read + metadata JSON), fl_op_table_scan with the WHERE
 * pushed down (manifest list + every manifest to plan, then the one file), drained. Once
 * with the cache off (fl_table_cache_set_budget(0): every query parses everything, as
 * before the cache existed), then on (the first query fills it). Prints one JSON line:
 *   {"files":120,"queries":200,"off_ms_p50":..,"off_ms_mean":..,"on_ms_p50":..,"on_ms_mean":..}
 * --deletes N: then N commits each delete one row (the last) of one file (a position
 * delete file each, as MERGE writes them); the query ids avoid the deleted rows.
 * Run: build/bench/scan_point_bench [--files N] [--rows N] [--queries N] [--deletes N]
 *
 * Ownership: the warehouse and handles are freed on the one exit path of main. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/limits.h"
#include "core/time.h"
#include "sql/exec.h"
#include "sql/sql.h"
#include "table/table.h"

static fl_field FIELDS[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "name", {FL_T_STRING, 0, 0}, false},
};
static const fl_schema SCHEMA = {.fields = FIELDS, .nfields = 2};

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* One point query; returns its wall time in ns, or -1. */
static int64_t query(fl_warehouse *wh, int64_t id, fl_err *err) {
  int64_t t0 = fl_mono_ns();
  fl_table *tbl;
  if (fl_table_load(wh, "bronze", "points", &tbl, err)) return -1;
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_exec_ctx ctx = {.arena = &arena};
  char sql[64];
  snprintf(sql, sizeof sql, "id = %lld", (long long)id);
  fl_sql_expr *e;
  int64_t rows = -1;
  fl_op *op = NULL;
  if (fl_sql_parse_expr(sql, strlen(sql), &arena, &e, err) || fl_sql_expr_bind(e, &SCHEMA, err)) goto done;
  if (!(op = fl_op_table_scan(&ctx, tbl, NULL, e, err))) goto done;
  rows = 0;
  for (;;) {
    const fl_batch *b;
    if (fl_op_next(op, &b, err)) {
      rows = -1;
      break;
    }
    if (!b) break;
    rows += b->nrows;
  }
done:
  fl_op_free(op);
  fl_arena_destroy(&arena);
  fl_table_free(tbl);
  if (rows != 1) {
    if (rows >= 0) fl_err_set(err, FL_EINVAL, "id %lld: %lld rows", (long long)id, (long long)rows);
    return -1;
  }
  return fl_mono_ns() - t0;
}

static int run(fl_warehouse *wh, int64_t total, uint32_t nq, double *p50, double *mean, fl_err *err) {
  int64_t *ns = calloc(nq, sizeof *ns), sum = 0;
  for (uint32_t q = 0; q < nq; q++) {
    int64_t id = (int64_t)((uint64_t)q * 7919 % (uint64_t)total);
    if (id % 1000 == 999) id--; /* the bench deletes the last row of files */
    int64_t t = query(wh, id, err);
    if (t < 0) {
      free(ns);
      return 1;
    }
    ns[q] = t;
    sum += t;
  }
  qsort(ns, nq, sizeof *ns, cmp_i64);
  *p50 = ns[nq / 2] / 1e6;
  *mean = (double)sum / nq / 1e6;
  free(ns);
  return 0;
}

int main(int argc, char **argv) {
  uint32_t nfiles = 120, rows = 1000, nq = 200, ndeletes = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--files"))
      nfiles = (uint32_t)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--rows"))
      rows = (uint32_t)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--queries"))
      nq = (uint32_t)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--deletes"))
      ndeletes = (uint32_t)atoi(argv[i + 1]);
  }
  if (!nfiles || !rows || !nq) return 2;
  const char *base = getenv("TMPDIR");
  char *path = fl_sprintf("%s/floe-scan-point.XXXXXX", base ? base : "/tmp");
  if (!mkdtemp(path)) return 1;
  fl_err err = {0};
  fl_warehouse *wh = NULL;
  fl_table *tbl = NULL;
  fl_batch *b = fl_batch_new(FIELDS, 2, rows);
  int rc = 1;
  if (fl_warehouse_open(path, &wh, &err) ||
      fl_table_create(wh, "bronze", "points", &SCHEMA, NULL, &tbl, &err))
    goto fail;
  for (uint32_t f = 0; f < nfiles; f++) {
    fl_batch_reset(b);
    for (uint32_t i = 0; i < rows; i++) {
      fl_vec_append_i64(&b->cols[0], (int64_t)f * rows + i);
      fl_vec_append_str(&b->cols[1], "name", 4);
    }
    fl_batch_set_rows(b, rows);
    fl_appender *app;
    if (fl_appender_begin(tbl, &app, &err)) goto fail;
    if (fl_appender_write(app, b, &err) || fl_appender_commit(app, NULL, 0, NULL, &err)) {
      fl_appender_free(app);
      goto fail;
    }
    fl_appender_free(app);
  }
  if (ndeletes) {
    fl_scan *scan;
    if (fl_scan_plan(tbl, NULL, &scan, &err)) goto fail;
    uint32_t nf;
    const fl_scan_file *files = fl_scan_files(scan, &nf);
    char **paths = calloc(nf, sizeof *paths);
    for (uint32_t i = 0; i < nf; i++) paths[i] = strdup(files[i].path);
    fl_scan_free(scan);
    for (uint32_t d = 0; d < ndeletes && !err.code; d++) {
      fl_appender *app;
      if (fl_appender_begin(tbl, &app, &err)) break;
      if (fl_appender_delete(app, paths[d % nf], rows - 1, &err) ||
          fl_appender_commit(app, NULL, 0, NULL, &err)) {
        fl_appender_free(app);
        break;
      }
      fl_appender_free(app);
    }
    for (uint32_t i = 0; i < nf; i++) free(paths[i]);
    free(paths);
    if (err.code) goto fail;
  }
  double off50, offmean, on50, onmean;
  fl_table_cache_set_budget(0);
  if (run(wh, (int64_t)nfiles * rows, nq, &off50, &offmean, &err)) goto fail;
  fl_table_cache_set_budget(FL_TABLE_CACHE_BYTES);
  if (run(wh, (int64_t)nfiles * rows, nq, &on50, &onmean, &err)) goto fail;
  printf(
      "{\"files\":%u,\"rows_per_file\":%u,\"delete_files\":%u,\"queries\":%u,\"off_ms_p50\":%.3f,\"off_ms_"
      "mean\":%.3f,"
      "\"on_ms_p50\":%.3f,\"on_ms_mean\":%.3f}\n",
      nfiles, rows, ndeletes, nq, off50, offmean, on50, onmean);
  rc = 0;
fail:
  if (rc) fprintf(stderr, "scan_point_bench: %s\n", err.msg);
  fl_batch_free(b);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  char *cmd = fl_sprintf("rm -rf '%s'", path);
  if (system(cmd)) rc = rc ? rc : 1;
  fl_free(cmd);
  fl_free(path);
  return rc;
}
