/* table_write_bench: floe's storage benchmark (bench/RESULTS.md, bench/run.sh).
 *
 * What it measures, on the orders schema of DESIGN §3 partitioned by
 * day(event_time), tenant_id with zstd Parquet:
 *   write  fl_table_create + fl_appender_begin + fl_appender_write of every batch +
 *          fl_appender_commit (files closed and fdatasynced, manifests, metadata,
 *          catalog swap): rows/s over the whole of it, and apart the time in the
 *          appender_write calls and in the commit;
 *   bytes  the data files on disk (and, apart, the metadata files);
 *   scan   fl_scan_plan + fl_scan_run over every row and column (the emit callback
 *          touches amount so the decode cannot be skipped): rows/s.
 * The rows are generated before the clock starts, into batches of FL_BATCH_ROWS held
 * in memory (about 130 bytes a row), so the timings hold floe's work only.
 *
 * Rows are deterministic (splitmix64, fixed seed): event_id "e-000000012345" unique
 * and in generation order, 20 tenants, 4 event types, 3 currencies, event_time rising
 * over 7 days with up to 5 s of jitter (a stream's arrival order), some nulls in
 * user_id, product_id, amount, currency, attributes.
 *
 * Output: one JSON line on stdout; the data directory (--data, default a fresh temp
 * dir) is kept so bench/duckdb_write.mjs can load the same rows from floe's files.
 * Run it on one core: taskset -c 0 build/bench/table_write_bench --rows 1000000.
 *
 * Ownership: the batches, schema and arena live for the whole run and are freed at
 * the end; the warehouse, table, appender and scan handles are freed on every path
 * by the one cleanup label of main. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/batch.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/types.h"
#include "table/table.h"

enum {
  TENANTS = 20,
  DAYS = 7,
  JITTER_US = 5 * 1000 * 1000,
};

static const char *const EVENT_TYPES[] = {"order_created", "order_paid", "order_shipped", "order_cancelled"};
static const char *const CURRENCIES[] = {"EUR", "USD", "GBP"};
static const char *const CHANNELS[] = {"web", "app", "store", "phone", "partner"};

static fl_field FIELDS[] = {
    {0, "event_id", {FL_T_STRING, 0, 0}, true},      {0, "tenant_id", {FL_T_STRING, 0, 0}, true},
    {0, "order_id", {FL_T_BIGINT, 0, 0}, true},      {0, "user_id", {FL_T_BIGINT, 0, 0}, false},
    {0, "product_id", {FL_T_INT, 0, 0}, false},      {0, "event_type", {FL_T_STRING, 0, 0}, true},
    {0, "amount", {FL_T_DECIMAL, 12, 2}, false},     {0, "currency", {FL_T_STRING, 0, 0}, false},
    {0, "event_time", {FL_T_TIMESTAMP, 0, 0}, true}, {0, "attributes", {FL_T_JSON, 0, 0}, false},
};
enum { NCOLS = sizeof FIELDS / sizeof FIELDS[0], COL_AMOUNT = 6 };

static uint64_t rng_state = 0x5eed0f10e5eedULL;

static uint64_t next_u64(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static uint32_t below(uint32_t n) { return (uint32_t)((next_u64() >> 32) * n >> 32); }
static bool chance(uint32_t percent) { return below(100) < percent; }

static void gen_row(fl_batch *batch, uint64_t i, uint64_t nrows, int64_t base_us) {
  char text[128];
  int n;
  fl_vec *c = batch->cols;
  n = snprintf(text, sizeof text, "e-%012" PRIu64, i);
  fl_vec_append_str(&c[0], text, (uint32_t)n);
  n = snprintf(text, sizeof text, "t-%02u", below(TENANTS));
  fl_vec_append_str(&c[1], text, (uint32_t)n);
  fl_vec_append_i64(&c[2], 1000000 + (int64_t)(i / 3));
  if (chance(10))
    fl_vec_append_null(&c[3]);
  else
    fl_vec_append_i64(&c[3], 1 + below(500000));
  if (chance(5))
    fl_vec_append_null(&c[4]);
  else
    fl_vec_append_i32(&c[4], (int32_t)below(20000));
  const char *et = EVENT_TYPES[below(4)];
  fl_vec_append_str(&c[5], et, (uint32_t)strlen(et));
  if (chance(5))
    fl_vec_append_null(&c[6]);
  else
    fl_vec_append_i64(&c[6], (int64_t)below(10000000));
  if (chance(2)) {
    fl_vec_append_null(&c[7]);
  } else {
    const char *cur = CURRENCIES[below(3)];
    fl_vec_append_str(&c[7], cur, (uint32_t)strlen(cur));
  }
  int64_t span_us = (int64_t)DAYS * 86400 * 1000000;
  int64_t t = base_us + (int64_t)((__int128)span_us * (__int128)i / (__int128)nrows) - below(JITTER_US);
  fl_vec_append_i64(&c[8], t);
  if (chance(30)) {
    fl_vec_append_null(&c[9]);
  } else {
    n = snprintf(text, sizeof text, "{\"channel\":\"%s\",\"items\":%u,\"gift\":%s}", CHANNELS[below(5)],
                 1 + below(5), chance(10) ? "true" : "false");
    fl_vec_append_str(&c[9], text, (uint32_t)n);
  }
}

static double seconds_since(int64_t t0_ns) { return (double)(fl_mono_ns() - t0_ns) / 1e9; }

static uint64_t du_total;
static int du_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)path;
  (void)ftw;
  if (flag == FTW_F) du_total += (uint64_t)st->st_size;
  return 0;
}

static uint64_t dir_bytes(const char *dir) {
  du_total = 0;
  if (nftw(dir, du_visit, 16, FTW_PHYS) != 0) return 0;
  return du_total;
}

typedef struct scan_ctx {
  uint64_t rows;
  int64_t amount_sum;
  uint64_t string_bytes;
} scan_ctx;

static int scan_emit(void *ctx, const fl_batch *batch, const char *file_path, const uint64_t *positions) {
  (void)file_path;
  (void)positions;
  scan_ctx *sc = ctx;
  sc->rows += batch->nrows;
  const fl_vec *amount = &batch->cols[COL_AMOUNT];
  for (uint32_t r = 0; r < batch->nrows; r++) sc->amount_sum += amount->data.i64[r];
  sc->string_bytes += batch->cols[0].offsets[batch->nrows];
  return 0;
}

static void usage(void) {
  fprintf(stderr, "usage: table_write_bench [--rows N] [--data DIR] [--page-rows N]\n");
  exit(2);
}

int main(int argc, char **argv) {
  uint64_t nrows = 10000000;
  const char *data_dir = NULL, *page_rows = NULL;
  char tmpl[] = "/tmp/floe-bench-XXXXXX";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rows") && i + 1 < argc)
      nrows = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--data") && i + 1 < argc)
      data_dir = argv[++i];
    else if (!strcmp(argv[i], "--page-rows") && i + 1 < argc)
      page_rows = argv[++i];
    else
      usage();
  }
  if (nrows == 0) usage();
  if (!data_dir) {
    data_dir = mkdtemp(tmpl);
    if (!data_dir) {
      perror("mkdtemp");
      return 1;
    }
  }

  int rc = 1;
  fl_err err = {0};
  fl_warehouse *wh = NULL;
  fl_table *tbl = NULL;
  fl_appender *app = NULL;
  fl_scan *scan = NULL;
  uint64_t nbatches = (nrows + FL_BATCH_ROWS - 1) / FL_BATCH_ROWS;
  fl_batch **batches = fl_calloc(nbatches, sizeof *batches);

  /* Untimed: generate every row. */
  int64_t t0 = fl_mono_ns();
  int64_t base_us = fl_days_from_civil(2026, 11, 18) * 86400LL * 1000000LL;
  for (uint64_t b = 0; b < nbatches; b++) {
    uint64_t first = b * FL_BATCH_ROWS;
    uint32_t n = (uint32_t)(nrows - first < FL_BATCH_ROWS ? nrows - first : FL_BATCH_ROWS);
    batches[b] = fl_batch_new(FIELDS, NCOLS, FL_BATCH_ROWS);
    for (uint32_t r = 0; r < n; r++) gen_row(batches[b], first + r, nrows, base_us);
    fl_batch_set_rows(batches[b], n);
  }
  double gen_s = seconds_since(t0);

  if (fl_warehouse_open(data_dir, &wh, &err)) goto fail;
  fl_schema schema = {.schema_id = 0, .nfields = NCOLS, .fields = FIELDS};
  static const fl_partition_def parts[] = {{"event_time", "day"}, {"tenant_id", "identity"}};
  /* --page-rows: Iceberg's write.parquet.page-row-limit (the writer's default else) */
  const fl_kv props[] = {{"write.parquet.compression-codec", "zstd"},
                         {"write.parquet.page-row-limit", page_rows ? page_rows : "0"}};
  fl_table_create_opts opts = {
      .partition = parts, .npartition = 2, .props = props, .nprops = page_rows ? 2 : 1};

  /* Timed: create, write, commit. */
  t0 = fl_mono_ns();
  if (fl_table_create(wh, "bench", "orders", &schema, &opts, &tbl, &err)) goto fail;
  if (fl_appender_begin(tbl, &app, &err)) goto fail;
  int64_t t_batches = fl_mono_ns();
  for (uint64_t b = 0; b < nbatches; b++) {
    if (fl_appender_write(app, batches[b], &err)) goto fail;
  }
  int64_t t_commit = fl_mono_ns();
  if (fl_appender_commit(app, NULL, 0, NULL, &err)) goto fail;
  double write_s = seconds_since(t0);
  double commit_s = seconds_since(t_commit);
  double batches_s = (double)(t_commit - t_batches) / 1e9;
  fl_appender_free(app);
  app = NULL;

  char path[4096];
  snprintf(path, sizeof path, "%s/data", fl_table_dir(tbl));
  uint64_t data_bytes = dir_bytes(path);
  snprintf(path, sizeof path, "%s/metadata", fl_table_dir(tbl));
  uint64_t metadata_bytes = dir_bytes(path);

  /* Timed: plan and read every row and column. */
  scan_ctx sc = {0};
  t0 = fl_mono_ns();
  if (fl_scan_plan(tbl, NULL, &scan, &err)) goto fail;
  if (fl_scan_run(scan, scan_emit, &sc, &err)) goto fail;
  double scan_s = seconds_since(t0);
  uint32_t nfiles = 0;
  fl_scan_files(scan, &nfiles);
  if (sc.rows != nrows) {
    fprintf(stderr, "table_write_bench: scan returned %" PRIu64 " rows, wrote %" PRIu64 "\n", sc.rows, nrows);
    goto fail;
  }

  printf("{\"engine\":\"floe\",\"rows\":%" PRIu64
         ",\"gen_s\":%.3f,\"write_s\":%.3f,\"write_rows_per_s\":%.0f,"
         "\"appender_write_s\":%.3f,\"commit_s\":%.3f,"
         "\"data_bytes\":%" PRIu64 ",\"data_files\":%u,\"metadata_bytes\":%" PRIu64
         ",\"scan_s\":%.3f,"
         "\"scan_rows_per_s\":%.0f,\"amount_sum\":%" PRId64 ",\"table_dir\":\"%s\"}\n",
         nrows, gen_s, write_s, (double)nrows / write_s, batches_s, commit_s, data_bytes, nfiles,
         metadata_bytes, scan_s, (double)nrows / scan_s, sc.amount_sum, fl_table_dir(tbl));
  rc = 0;
  goto done;

fail:
  fprintf(stderr, "table_write_bench: %s\n", err.msg);
done:
  if (scan) fl_scan_free(scan);
  fl_appender_free(app);
  if (tbl) fl_table_free(tbl);
  if (wh) fl_warehouse_close(wh);
  for (uint64_t b = 0; b < nbatches; b++) {
    if (batches[b]) fl_batch_free(batches[b]);
  }
  fl_free(batches);
  return rc;
}
