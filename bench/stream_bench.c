/* stream_bench: the stream job's speed (issue 14), beside floe's own bare table write of
 * the same rows in the same run (bench/stream.sh runs it and DuckDB's peer).
 *
 * Set-up (not timed): the stream definition (--ddl, examples/orders/streams/orders.sql;
 * its log_compression and log_compression_level apply to the log, as in floe serve)
 * and the events (--input, NDJSON from `floe gen orders`: duplicates and late events
 * included) are parsed; every accepted event is appended to a fresh event log (4
 * partitions by key hash, as `floe serve` keys them: fl_hash64 of the key text; event
 * time from the WATERMARK column; contract version 1), in batches of 1,000 per post.
 *
 * Timed:
 *   job    fl_stream_job_start on that log (1 s checkpoints) until a final
 *          fl_stream_job_checkpoint_now returns: every record read, deduplicated,
 *          parsed, written to bronze.<stream> as zstd Parquet and committed. Events/s =
 *          log records / seconds. Also: checkpoints, state bytes per live key.
 *   bare   the same events' rows, parsed before the clock, in arrival order (as the
 *          job meets them; duplicates included), written by fl_appender_write into a
 *          table with the same partitioning, one commit: rows/s (the "bare table
 *          write").
 *   fresh  (--rate R --seconds S) a second log and job: a thread appends R events/s
 *          (batches every 10 ms) for S seconds while the job runs with 1 s
 *          checkpoints; a sink records, for every row, the time from its log append
 *          (the ack) to the commit that made it visible: p50 / p99.
 * Output: one JSON line on stdout, a readable summary on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/diag.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/time.h"
#include "json/json.h"
#include "log/log.h"
#include "sql/sql.h"
#include "stream/stream.h"
#include "table/table.h"

enum { NPARTS = 4, POST = 1000 };

static double now_s(void) { return (double)fl_mono_ns() / 1e9; }
static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "stream_bench: %s: %s\n", path, strerror(errno));
    exit(1);
  }
  fl_buf b = {0};
  char chunk[1 << 16];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) fl_buf_append(&b, chunk, got);
  fclose(f);
  fl_buf_put_u8(&b, 0);
  *len = b.len - 1;
  return (char *)b.data;
}

static __attribute__((noreturn)) void die(const fl_err *err) {
  fprintf(stderr, "stream_bench: %s\n", err->msg);
  exit(1);
}

/* Parsed events: records ready to append. */
typedef struct events {
  fl_log_record *recs;
  uint32_t *part;
  uint32_t n;
  fl_batch **batches; /* the accepted rows, in arrival order, 65,536 a batch (the bare write's input) */
  uint32_t nbatches;
} events;

static void key_text(const fl_sql_stream *def, const fl_batch *b, uint32_t row, fl_buf *k) {
  fl_buf_clear(k);
  for (uint32_t i = 0; i < def->npk; i++) {
    fl_value v;
    fl_batch_get(b, def->primary_key_index[i], row, &v);
    if (i) fl_buf_put_u8(k, 0x1f);
    if (v.is_null) continue;
    if (fl_type_is_string(v.type.kind))
      fl_buf_append(k, v.u.str.ptr, v.u.str.len);
    else
      fl_value_to_json(&v, k);
  }
}

static void prepare(const fl_sql_stream *def, const char *body, size_t len, events *ev) {
  fl_json_parser *p = fl_json_parser_new(&def->schema);
  fl_json_result res;
  fl_err err;
  if (fl_json_parse(p, body, len, &res, &err)) die(&err);
  ev->n = res.nrows;
  ev->recs = fl_calloc(res.nrows, sizeof *ev->recs);
  ev->part = fl_calloc(res.nrows, sizeof *ev->part);
  fl_buf k = {0};
  for (uint32_t i = 0; i < res.nrows; i++) {
    key_text(def, res.batch, i, &k);
    uint64_t h = fl_hash64(k.data, k.len);
    fl_log_record *r = &ev->recs[i];
    r->value = body + res.rows[i].raw_off;
    r->value_len = res.rows[i].raw_len;
    r->contract_version = 1;
    r->key_hash = h;
    const fl_vec *t = &res.batch->cols[def->watermark_index];
    r->has_event_time = fl_vec_is_valid(t, i);
    r->event_time_ms = r->has_event_time ? t->data.i64[i] / 1000 : 0;
    ev->part[i] = (uint32_t)(h % NPARTS);
  }
  for (uint32_t from = 0; from < res.nrows; from += 65536) {
    uint32_t n = res.nrows - from < 65536 ? res.nrows - from : 65536;
    fl_batch *b = fl_batch_new(def->schema.fields, def->schema.nfields, n);
    fl_batch_append_range(b, res.batch, from, n);
    ev->batches = fl_realloc(ev->batches, (ev->nbatches + 1) * sizeof *ev->batches);
    ev->batches[ev->nbatches++] = b;
  }
  fl_buf_free(&k);
  fl_json_parser_free(p);
}

/* Appends events [from, to) in posts of POST records per partition. */
static void append_range(fl_log_stream *ls, const events *ev, uint32_t from, uint32_t to) {
  fl_log_record *per[NPARTS];
  uint32_t cnt[NPARTS] = {0};
  for (int p = 0; p < NPARTS; p++) per[p] = fl_malloc(POST * sizeof **per);
  fl_err err;
  for (uint32_t i = from; i < to; i++) {
    uint32_t p = ev->part[i];
    per[p][cnt[p]++] = ev->recs[i];
    if (cnt[p] == POST || i + 1 == to) {
      for (uint32_t q = 0; q < NPARTS; q++)
        if (cnt[q] && (q == p || i + 1 == to)) {
          if (fl_log_append_sync(ls, q, per[q], cnt[q], NULL, &err)) die(&err);
          cnt[q] = 0;
        }
    }
  }
  for (int p = 0; p < NPARTS; p++) fl_free(per[p]);
}

/* ---- freshness: a sink that times every row from its append to its commit ---- */

typedef struct fresh {
  int64_t *pending; /* append times (ms) of rows of the open checkpoint */
  uint32_t npending, cap;
  double *lat; /* ms */
  uint64_t nlat, lat_cap;
} fresh;

static fl_code fresh_rows(void *ctx, const fl_batch *rows, fl_err *err) {
  (void)err;
  fresh *f = ctx;
  const fl_vec *it = &rows->cols[rows->ncols - 2]; /* _ingest_time */
  for (uint32_t i = 0; i < rows->nrows; i++) {
    if (f->npending == f->cap) {
      f->cap = f->cap ? f->cap * 2 : 4096;
      f->pending = fl_realloc(f->pending, f->cap * sizeof *f->pending);
    }
    f->pending[f->npending++] = it->data.i64[i] / 1000;
  }
  return FL_OK;
}

static void fresh_committed(void *ctx, int64_t id, fl_code rc) {
  (void)id;
  fresh *f = ctx;
  if (rc) return;
  int64_t now = fl_now_ms();
  for (uint32_t i = 0; i < f->npending; i++) {
    if (f->nlat == f->lat_cap) {
      f->lat_cap = f->lat_cap ? f->lat_cap * 2 : 65536;
      f->lat = fl_realloc(f->lat, f->lat_cap * sizeof *f->lat);
    }
    f->lat[f->nlat++] = (double)(now - f->pending[i]);
  }
  f->npending = 0;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct feeder {
  fl_log_stream *ls;
  const events *ev;
  double rate;
  double seconds;
} feeder;

static void *feed(void *arg) {
  feeder *f = arg;
  uint32_t per_tick = (uint32_t)(f->rate / 100), i = 0;
  double t0 = now_s();
  for (uint64_t tick = 0; now_s() - t0 < f->seconds; tick++) {
    uint32_t to = i + per_tick;
    if (to > f->ev->n) {
      i = 0; /* around again: re-sent events are duplicates, as a retrying client's */
      to = per_tick;
    }
    append_range(f->ls, f->ev, i, to);
    i = to;
    double next = t0 + (double)(tick + 1) / 100.0, d = next - now_s();
    if (d > 0) {
      struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
      nanosleep(&ts, NULL);
    }
  }
  return NULL;
}

/* The stream's log codec and level, as floe serve applies them (--ddl WITH options). */
static void log_compression_apply(fl_log_stream *ls, const fl_sql_stream *def) {
  fl_log_codec codec = FL_LOG_CODEC_DEFAULT;
  if (def->log_compression && !fl_log_codec_from_name(def->log_compression, &codec)) abort();
  fl_log_stream_codec_set(ls, codec);
  if (def->log_compression_level >= 0) fl_log_stream_compression_set(ls, def->log_compression_level);
}

int main(int argc, char **argv) {
  const char *input = NULL, *ddl = "examples/orders/streams/orders.sql", *dir = NULL;
  double rate = 100000, fresh_secs = 10, fresh_ms = 500;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--input"))
      input = argv[i + 1];
    else if (!strcmp(argv[i], "--ddl"))
      ddl = argv[i + 1];
    else if (!strcmp(argv[i], "--dir"))
      dir = argv[i + 1];
    else if (!strcmp(argv[i], "--rate"))
      rate = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--seconds"))
      fresh_secs = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--fresh-interval-ms"))
      fresh_ms = atof(argv[i + 1]);
    else {
      fprintf(stderr, "usage: stream_bench --input FILE [--ddl FILE] [--dir DIR] [--rate N] [--seconds S]\n");
      return 2;
    }
  }
  if (!input || !dir) {
    fprintf(stderr, "stream_bench: --input and --dir are needed\n");
    return 2;
  }
  fl_diag_set_level(FL_WARN);
  fl_err err;
  size_t dlen, blen;
  char *dtext = slurp(ddl, &dlen), *body = slurp(input, &blen);
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_sql_stream *def;
  if (fl_sql_parse_create_stream(dtext, dlen, &arena, &def, &err)) die(&err);
  events ev = {0};
  prepare(def, body, blen, &ev);

  /* ---- the job over a filled log ---- */
  char *logdir = fl_sprintf("%s/log", dir), *data = fl_sprintf("%s/data", dir);
  fl_log *log;
  fl_log_opts lo = {.retention_check_ms = -1};
  fl_log_stream *ls = NULL;
  if (fl_log_open(logdir, &lo, &log, &err) || fl_log_stream_open(log, def->name, NPARTS, &ls, &err))
    die(&err);
  log_compression_apply(ls, def);
  append_range(ls, &ev, 0, ev.n);
  fl_stream_job_opts o = {.def = def, .ls = ls, .data_dir = data, .commit_interval_ms = 1000};
  fl_stream_job *job;
  double t0 = now_s(), c0 = cpu_s();
  if (fl_stream_job_start(&o, &job, &err)) die(&err);
  fl_stream_stats st;
  /* the job takes the backlog in 1 s checkpoints; the last rows with a final one */
  for (;;) {
    fl_stream_job_stats(job, &st);
    if (st.records_read >= ev.n) break;
    struct timespec ts = {0, 2 * 1000000};
    nanosleep(&ts, NULL);
  }
  if (fl_stream_job_checkpoint_now(job, &err)) die(&err);
  double job_s = now_s() - t0, job_cpu = cpu_s() - c0;
  fl_stream_job_stats(job, &st);
  fl_stream_job_stop(job);

  /* ---- the bare write of the same rows ---- */
  /* every accepted event (duplicates included, ~5% more rows than bronze gets), in
   * arrival order, as the job sees them: fl_appender_write in 65,536-row batches, one
   * commit, into a table partitioned as bronze */
  fl_warehouse *wh;
  fl_table *dst;
  if (fl_warehouse_open(data, &wh, &err)) die(&err);
  fl_arena parena;
  fl_arena_init(&parena, 1024);
  fl_table_create_opts topts = {0};
  if (def->partitioned_by &&
      fl_partition_defs_parse(def->partitioned_by, &parena, (fl_partition_def **)&topts.partition,
                              &topts.npartition, &err))
    die(&err);
  fl_schema schema = def->schema;
  schema.nidentifier = 0;
  uint64_t bare_rows = 0;
  t0 = now_s();
  fl_appender *app;
  if (fl_table_create(wh, "bench", "bare", &schema, &topts, &dst, &err) || fl_appender_begin(dst, &app, &err))
    die(&err);
  for (uint32_t i = 0; i < ev.nbatches; i++) {
    if (fl_appender_write(app, ev.batches[i], &err)) die(&err);
    bare_rows += ev.batches[i]->nrows;
  }
  if (fl_appender_commit(app, NULL, 0, NULL, &err)) die(&err);
  double bare_s = now_s() - t0;
  fl_appender_free(app);
  fl_table_free(dst);
  fl_warehouse_close(wh);

  /* ---- freshness at a steady rate ---- */
  char *logdir2 = fl_sprintf("%s/log2", dir), *data2 = fl_sprintf("%s/data2", dir);
  fl_log *log2;
  fl_log_stream *ls2 = NULL;
  if (fl_log_open(logdir2, &lo, &log2, &err) || fl_log_stream_open(log2, def->name, NPARTS, &ls2, &err))
    die(&err);
  log_compression_apply(ls2, def);
  fresh fr = {0};
  fl_stream_sink sink = {&fr, fresh_rows, NULL, fresh_committed};
  fl_stream_job_opts o2 = {.def = def,
                           .ls = ls2,
                           .data_dir = data2,
                           .commit_interval_ms = (int64_t)fresh_ms,
                           .sinks = &sink,
                           .nsinks = 1};
  if (fl_stream_job_start(&o2, &job, &err)) die(&err);
  feeder fd = {ls2, &ev, rate, fresh_secs};
  pthread_t th;
  pthread_create(&th, NULL, feed, &fd);
  pthread_join(th, NULL);
  if (fresh_secs > 0 && fl_stream_job_checkpoint_now(job, &err)) die(&err);
  fl_stream_stats st2;
  fl_stream_job_stats(job, &st2);
  fl_stream_job_stop(job);
  qsort(fr.lat, fr.nlat, sizeof *fr.lat, cmp_d);
  double p50 = fr.nlat ? fr.lat[fr.nlat / 2] : 0, p99 = fr.nlat ? fr.lat[fr.nlat * 99 / 100] : 0;
  double fed_rate = (double)st2.records_read / fresh_secs;

  double job_eps = (double)st.records_read / job_s, bare_rps = (double)bare_rows / bare_s;
  double per_key = st.state_keys ? (double)st.state_bytes / (double)st.state_keys : 0;
  fprintf(
      stderr,
      "stream job: %" PRIu64 " log records (%" PRIu64 " duplicates, %" PRIu64 " late) -> %" PRIu64
      " bronze rows in %.2f s (%.2f s of CPU) = %.0f events/s, %" PRIu64
      " checkpoints\n"
      "bare write of the same events' %" PRIu64
      " rows: %.2f s = %.0f rows/s; job / bare = %.3f\n"
      "dedupe state: %" PRIu64 " keys, %" PRIu64
      " bytes = %.1f bytes per live key\n"
      "freshness at %.0f events/s for %.0f s (%.0f ms checkpoints): p50 %.0f ms, p99 %.0f ms over %" PRIu64
      " rows\n",
      st.records_read, st.duplicates, st.late, st.rows_written, job_s, job_cpu, job_eps, st.checkpoints,
      bare_rows, bare_s, bare_rps, job_eps / bare_rps, st.state_keys, st.state_bytes, per_key, fed_rate,
      fresh_secs, fresh_ms, p50, p99, (uint64_t)fr.nlat);
  printf("{\"bench\":\"stream\",\"records\":%" PRIu64 ",\"rows\":%" PRIu64
         ",\"job_seconds\":%.3f,\"job_cpu_seconds\":%.3f,\"events_per_s\":%.0f,"
         "\"checkpoints\":%" PRIu64 ",\"bare_rows\":%" PRIu64
         ",\"bare_seconds\":%.3f,\"bare_rows_per_s\":%.0f,"
         "\"job_over_bare\":%.3f,\"state_keys\":%" PRIu64 ",\"state_bytes\":%" PRIu64
         ",\"bytes_per_key\":%.1f,"
         "\"fresh_rate\":%.0f,\"fresh_interval_ms\":%.0f,\"fresh_p50_ms\":%.0f,\"fresh_p99_ms\":%.0f}\n",
         st.records_read, st.rows_written, job_s, job_cpu, job_eps, st.checkpoints, bare_rows, bare_s,
         bare_rps, job_eps / bare_rps, st.state_keys, st.state_bytes, per_key, fed_rate, fresh_ms, p50, p99);
  fl_log_close(log);
  fl_log_close(log2);
  fl_free(fr.pending);
  fl_free(fr.lat);
  fl_free(ev.recs);
  fl_free(ev.part);
  for (uint32_t i = 0; i < ev.nbatches; i++) fl_batch_free(ev.batches[i]);
  fl_free(ev.batches);
  fl_free(logdir), fl_free(data), fl_free(logdir2), fl_free(data2);
  fl_free(dtext), fl_free(body);
  fl_arena_destroy(&arena);
  fl_arena_destroy(&parena);
  return 0;
}
