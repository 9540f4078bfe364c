/* crash_driver: the writer and the checker of the kill-at-every-fsync harness
 * (tests/e2e/0051-*.sh). Each operation is one process that the harness runs with
 * FLOE_CRASH_AT_FSYNC=N (core/fsync.c kills it at its Nth sync) for N = 1, 2, ...
 * until it completes; after every kill `state` shows what a reader sees.
 *
 *   crash_driver DATA setup              three tables bronze.a, bronze.b, silver.c (id, ver)
 *                                        with a few commits, deletes included
 *   crash_driver DATA append STEP        50 rows into bronze.a (ids from STEP)
 *   crash_driver DATA delete             position deletes of 3 rows of silver.c
 *   crash_driver DATA compact            compaction of silver.c
 *   crash_driver DATA txn K              checkpoint K: a row into a and b, an upsert of
 *                                        key K % 10 in c (row delta), one catalog commit
 *   crash_driver DATA state [OUT]        per table one line "ns.t checkpoint=C op=O
 *                                        files=F rows=N digest=D" (O the current
 *                                        snapshot's operation, F data files read, D =
 *                                        FNV-1a of the sorted rows),
 *                                        read at the catalog pointers of one read; with
 *                                        OUT also OUT/<ns.t>.json = {metadata, rows} for
 *                                        icebird (tests/interop/crash_check.mjs)
 * Exit 0 on success, 1 on error (message on stderr); a kill is the harness's doing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/batch.h"
#include "core/err.h"
#include "core/mem.h"
#include "table/table.h"

static fl_field FIELDS[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "ver", {FL_T_BIGINT, 0, 0}, true},
};
static const fl_schema SCHEMA = {0, 2, FIELDS, 0, NULL};
static const char *const NS[3] = {"bronze", "bronze", "silver"};
static const char *const NAME[3] = {"a", "b", "c"};

#define ROWS_MAX 100000
typedef struct rows {
  uint32_t n;
  int64_t id[ROWS_MAX], ver[ROWS_MAX];
  uint64_t pos[ROWS_MAX];
  char *paths[64];
  uint32_t npaths;
  uint8_t path_of[ROWS_MAX];
} rows;

static int collect(void *ctx, const fl_batch *b, const char *path, const uint64_t *pos) {
  rows *r = ctx;
  uint32_t p = 0;
  while (p < r->npaths && strcmp(r->paths[p], path)) p++;
  if (p == r->npaths) {
    if (r->npaths == 64) return FL_ELIMIT;
    r->paths[r->npaths++] = fl_strdup(path);
  }
  for (uint32_t i = 0; i < b->nrows; i++) {
    if (r->n == ROWS_MAX) return FL_ELIMIT;
    r->id[r->n] = b->cols[0].data.i64[i];
    r->ver[r->n] = b->cols[1].data.i64[i];
    r->pos[r->n] = pos[i];
    r->path_of[r->n] = (uint8_t)p;
    r->n++;
  }
  return 0;
}

static fl_code scan(fl_table *tbl, rows *r, fl_err *err) {
  for (uint32_t i = 0; i < r->npaths; i++) fl_free(r->paths[i]);
  r->n = 0;
  r->npaths = 0;
  fl_scan *sc;
  fl_code rc = fl_scan_plan(tbl, NULL, &sc, err);
  if (rc) return rc;
  rc = fl_scan_run(sc, collect, r, err);
  fl_scan_free(sc);
  return rc;
}

static fl_code write_rows(fl_appender *app, int64_t from, uint32_t n, int64_t ver, fl_err *err) {
  fl_batch *b = fl_batch_new(FIELDS, 2, n);
  for (uint32_t i = 0; i < n; i++) {
    fl_vec_append_i64(&b->cols[0], from + i);
    fl_vec_append_i64(&b->cols[1], ver);
  }
  fl_batch_set_rows(b, n);
  fl_code rc = fl_appender_write(app, b, err);
  fl_batch_free(b);
  return rc;
}

static fl_code append_commit(fl_table *tbl, int64_t from, uint32_t n, int64_t ver, fl_err *err) {
  fl_appender *app;
  fl_code rc = fl_appender_begin(tbl, &app, err);
  if (rc) return rc;
  if (!(rc = write_rows(app, from, n, ver, err))) rc = fl_appender_commit(app, NULL, 0, NULL, err);
  fl_appender_free(app);
  return rc;
}

static rows R;

static fl_code delete_rows(fl_table *tbl, uint32_t n, fl_err *err) {
  fl_code rc = scan(tbl, &R, err);
  if (rc) return rc;
  fl_appender *app;
  if ((rc = fl_appender_begin(tbl, &app, err))) return rc;
  for (uint32_t i = 0; i < n && i < R.n && !rc; i++) rc = fl_appender_delete(app, R.paths[R.path_of[i]], R.pos[i], err);
  if (!rc) rc = fl_appender_commit(app, NULL, 0, NULL, err);
  fl_appender_free(app);
  return rc;
}

static fl_code setup(fl_warehouse *wh, fl_err *err) {
  fl_code rc = FL_OK;
  for (int i = 0; i < 3 && !rc; i++) {
    fl_table *tbl;
    fl_kv props[1] = {{"history.expire.max-snapshots", "4"}};   /* in-commit expiry runs too */
    fl_table_create_opts opts = {NULL, 0, NULL, 0, props, 1};
    if ((rc = fl_table_create(wh, NS[i], NAME[i], &SCHEMA, &opts, &tbl, err))) return rc;
    for (int k = 0; k < 3 && !rc; k++) rc = append_commit(tbl, 100 + k * 10, 10, 0, err);
    if (!rc && i == 2) rc = delete_rows(tbl, 2, err);
    fl_table_free(tbl);
  }
  return rc;
}

static fl_code txn(fl_warehouse *wh, int64_t k, fl_err *err) {
  fl_table *t[3] = {0};
  fl_code rc = FL_OK;
  fl_txn *tx = NULL;
  for (int i = 0; i < 3 && !rc; i++) rc = fl_table_load(wh, NS[i], NAME[i], &t[i], err);
  if (!rc) rc = scan(t[2], &R, err);
  if (!rc) rc = fl_txn_begin(wh, k, &tx, err);
  fl_appender *app;
  char off[24];
  snprintf(off, sizeof off, "%" PRId64, k * 100);
  fl_kv kv[1] = {{"floe.log-offset.0", off}};
  for (int i = 0; i < 2 && !rc; i++) {
    if (!(rc = fl_txn_append(tx, t[i], &app, err))) rc = write_rows(app, 1000 + k, 1, k, err);
    if (!rc) rc = fl_txn_set_summary(tx, t[i], kv, 1, err);
  }
  int64_t key = 100 + k % 10;
  if (!rc) rc = fl_txn_row_delta(tx, t[2], &app, err);
  for (uint32_t i = 0; i < R.n && !rc; i++)
    if (R.id[i] == key) rc = fl_appender_delete(app, R.paths[R.path_of[i]], R.pos[i], err);
  if (!rc) rc = write_rows(app, key, 1, k, err);
  if (!rc) rc = fl_txn_commit(tx, NULL, err);
  fl_txn_free(tx);
  for (int i = 0; i < 3; i++) fl_table_free(t[i]);
  return rc;
}

static int cmp_row(const void *a, const void *b) {
  const int64_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1];
}

static fl_code state(fl_warehouse *wh, const char *out, fl_err *err) {
  fl_catalog_ident ids[3] = {{NS[0], NAME[0]}, {NS[1], NAME[1]}, {NS[2], NAME[2]}};
  char *locs[3];
  fl_code rc = fl_catalog_load_many(fl_warehouse_catalog(wh), ids, 3, locs, err);
  if (rc) return rc;
  for (int i = 0; i < 3 && !rc; i++) {
    fl_table *tbl;
    if ((rc = fl_table_load_at(wh, NS[i], NAME[i], locs[i], &tbl, err))) break;
    if ((rc = scan(tbl, &R, err))) {
      fl_table_free(tbl);
      break;
    }
    int64_t *pairs = fl_calloc(R.n ? R.n * 2 : 2, sizeof *pairs);
    for (uint32_t r = 0; r < R.n; r++) pairs[2 * r] = R.id[r], pairs[2 * r + 1] = R.ver[r];
    qsort(pairs, R.n, 2 * sizeof *pairs, cmp_row);
    uint64_t h = 14695981039346656037ull;
    for (uint32_t r = 0; r < 2 * R.n; r++)
      for (int byte = 0; byte < 8; byte++) h = (h ^ (((uint64_t)pairs[r] >> (8 * byte)) & 0xff)) * 1099511628211ull;
    const char *cp = fl_table_checkpoint(tbl, "floe.checkpoint-id");
    const fl_snapshot *cur = fl_table_current_snapshot(tbl);
    printf("%s.%s checkpoint=%s op=%s files=%u rows=%u digest=%016" PRIx64 "\n", NS[i], NAME[i], cp ? cp : "-",
           cur ? cur->operation : "-", R.npaths, R.n, h);
    if (out) {
      char *path = fl_sprintf("%s/%s.%s.json", out, NS[i], NAME[i]);
      FILE *f = fopen(path, "w");
      if (!f) {
        rc = fl_err_set(err, FL_EIO, "cannot write %s", path);
      } else {
        const char *slash = strrchr(locs[i], '/');
        fprintf(f, "{\"table_dir\":\"%s\",\"metadata\":\"%s\",\"rows\":[", fl_table_dir(tbl), slash + 1);
        for (uint32_t r = 0; r < R.n; r++)
          fprintf(f, "%s[%" PRId64 ",%" PRId64 "]", r ? "," : "", pairs[2 * r], pairs[2 * r + 1]);
        fprintf(f, "]}\n");
        fclose(f);
      }
      fl_free(path);
    }
    fl_free(pairs);
    fl_table_free(tbl);
  }
  for (int i = 0; i < 3; i++) fl_free(locs[i]);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: crash_driver DATA setup|append STEP|delete|compact|txn K|state [OUT]\n");
    return 2;
  }
  const char *op = argv[2];
  int64_t arg = argc > 3 ? strtoll(argv[3], NULL, 10) : 0;
  fl_err err = {0};
  fl_warehouse *wh;
  if (fl_warehouse_open(argv[1], &wh, &err)) {
    fprintf(stderr, "crash_driver: %s\n", err.msg);
    return 1;
  }
  fl_code rc = FL_OK;
  fl_table *tbl = NULL;
  if (!strcmp(op, "setup")) {
    rc = setup(wh, &err);
  } else if (!strcmp(op, "append")) {
    if (!(rc = fl_table_load(wh, "bronze", "a", &tbl, &err))) rc = append_commit(tbl, 10000 + arg * 100, 50, arg, &err);
  } else if (!strcmp(op, "delete")) {
    if (!(rc = fl_table_load(wh, "silver", "c", &tbl, &err))) rc = delete_rows(tbl, 3, &err);
  } else if (!strcmp(op, "compact")) {
    if (!(rc = fl_table_load(wh, "silver", "c", &tbl, &err))) rc = fl_table_compact(tbl, NULL, &err);
  } else if (!strcmp(op, "txn")) {
    rc = txn(wh, arg, &err);
  } else if (!strcmp(op, "state")) {
    rc = state(wh, argc > 3 ? argv[3] : NULL, &err);
  } else {
    fprintf(stderr, "crash_driver: unknown operation %s\n", op);
    rc = FL_EINVAL;
  }
  if (rc && err.msg[0]) fprintf(stderr, "crash_driver %s: %s\n", op, err.msg);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  return rc ? 1 : 0;
}
