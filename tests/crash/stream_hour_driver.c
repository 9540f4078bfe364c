/* stream_hour_driver: an hour of 1 s checkpoints of the real stream job, in seconds
 * (tests/e2e/1017-*.sh reads the result with icebird, not floe).
 *
 *   stream_hour_driver DATA CHECKPOINTS ROWS TARGET_BYTES
 *
 * Stream ev (event_id STRING key, tenant STRING, n BIGINT, pad STRING, event_time
 * TIMESTAMP; partitioned_by = 'tenant', two tenants; two log partitions). The job
 * (src/stream/job.c, its default compaction and expiry cadence) is started once to
 * create bronze.ev, which then gets write.target-file-size-bytes = TARGET_BYTES, and
 * is started again. Then CHECKPOINTS times: ROWS new events (ids e0000000, e0000001,
 * ... in order, event time one second per checkpoint, so none is late) and one
 * duplicate of an event of the checkpoint before are appended to the log (one fsync
 * per partition), and fl_stream_job_checkpoint_now commits them: the job's own read,
 * dedupe, bronze writer (rolling at the target), transaction, compaction and expiry,
 * only the wait for the commit interval is skipped.
 *
 * Prints "checkpoints C rows R duplicates D compactions K" (the job's own counts) and
 * exits 0, or names the failure on stderr and exits 1. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "stream/stream.h"

static const char *DDL =
    "CREATE STREAM ev (event_id STRING NOT NULL, tenant STRING NOT NULL, n BIGINT, pad STRING,"
    " event_time TIMESTAMP NOT NULL,"
    " WATERMARK FOR event_time AS event_time - INTERVAL '5 seconds',"
    " PRIMARY KEY (event_id) NOT ENFORCED)"
    " WITH (dedupe_ttl = '1 minute', late_policy = 'keep', partitioned_by = 'tenant')";

static int die(const char *what, const fl_err *err) {
  fprintf(stderr, "stream_hour_driver: %s: %s\n", what, err->msg);
  return 1;
}

/* Event i: seconds since the start = its checkpoint; a payload of 40 characters that
 * varies with i (so Parquet's dictionary and zstd do not fold it to nothing). */
static uint32_t event_text(char *out, size_t cap, uint64_t i, uint32_t ckpt) {
  int64_t t_us = (1796000000LL + ckpt) * 1000000LL + (int64_t)(i % 1000) * 1000;
  int len = snprintf(out, cap,
                     "{\"event_id\":\"e%07" PRIu64 "\",\"tenant\":\"t%" PRIu64 "\",\"n\":%" PRIu64
                     ",\"pad\":\"%016" PRIx64 "%016" PRIx64 "%08" PRIx64 "\",\"event_time\":%" PRId64 "}",
                     i, i % 2, i * 7, fl_hash64(&i, sizeof i), (uint64_t)(i * 0x9E3779B97F4A7C15ull), i, t_us);
  return (uint32_t)len;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: stream_hour_driver DATA CHECKPOINTS ROWS TARGET_BYTES\n");
    return 2;
  }
  fl_diag_set_level(FL_WARN);
  const char *data = argv[1];
  uint32_t nckpt = (uint32_t)strtoul(argv[2], NULL, 10), rows = (uint32_t)strtoul(argv[3], NULL, 10);
  const char *target = argv[4];
  fl_err err;
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_sql_stream *def;
  if (fl_sql_parse_create_stream(DDL, strlen(DDL), &arena, &def, &err)) return die("stream definition", &err);
  char *logdir = fl_sprintf("%s/log", data);
  fl_log *log;
  fl_log_stream *ls;
  fl_log_opts lo = {.retention_check_ms = -1};
  if (fl_log_open(logdir, &lo, &log, &err) || fl_log_stream_open(log, "ev", 2, &ls, &err))
    return die(logdir, &err);
  fl_stream_job_opts o = {.def = def, .ls = ls, .data_dir = data, .commit_interval_ms = 3600000};
  fl_stream_job *job;
  if (fl_stream_job_start(&o, &job, &err)) return die("job start", &err);
  fl_stream_job_stop(job);
  {
    fl_warehouse *wh;
    fl_table *tbl;
    fl_kv kv = {"write.target-file-size-bytes", target};
    if (fl_warehouse_open(data, &wh, &err) || fl_table_load(wh, "bronze", "ev", &tbl, &err) ||
        fl_table_set_properties(tbl, &kv, 1, &err))
      return die("bronze.ev properties", &err);
    fl_table_free(tbl);
    fl_warehouse_close(wh);
  }
  if (fl_stream_job_start(&o, &job, &err)) return die("job start", &err);
  fl_log_record *recs = fl_calloc(rows + 1, sizeof *recs);
  char *text = fl_malloc((size_t)(rows + 1) * 160);
  uint32_t *part = fl_calloc(rows + 1, sizeof *part);
  fl_log_record *bypart = fl_calloc(rows + 1, sizeof *bypart);
  uint64_t next = 0;
  for (uint32_t c = 0; c < nckpt; c++) {
    uint32_t n = 0;
    for (uint32_t r = 0; r < rows; r++, n++) {
      uint64_t i = next++;
      char *v = text + (size_t)n * 160;
      uint32_t len = event_text(v, 160, i, c);
      char id[16];
      int idlen = snprintf(id, sizeof id, "e%07" PRIu64, i);
      uint64_t h = fl_hash64(id, (size_t)idlen);
      recs[n] = (fl_log_record){v, len, 1, h, 0, false};
      part[n] = (uint32_t)(h % 2);
    }
    if (c > 0) { /* a duplicate of the previous checkpoint's first event, its values as then */
      uint64_t i = next - 2 * (uint64_t)rows;
      char *v = text + (size_t)n * 160;
      uint32_t len = event_text(v, 160, i, c - 1);
      char id[16];
      int idlen = snprintf(id, sizeof id, "e%07" PRIu64, i);
      uint64_t h = fl_hash64(id, (size_t)idlen);
      recs[n] = (fl_log_record){v, len, 1, h, 0, false};
      part[n] = (uint32_t)(h % 2);
      n++;
    }
    for (uint32_t p = 0; p < 2; p++) {
      uint32_t k = 0;
      for (uint32_t r = 0; r < n; r++)
        if (part[r] == p) bypart[k++] = recs[r];
      if (k && fl_log_append_sync(ls, p, bypart, k, NULL, &err)) return die("log append", &err);
    }
    if (fl_stream_job_checkpoint_now(job, &err)) {
      fprintf(stderr, "stream_hour_driver: checkpoint %u: %s\n", c, err.msg);
      return 1;
    }
  }
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  fl_stream_job_stop(job);
  printf("checkpoints %" PRIu64 " rows %" PRIu64 " duplicates %" PRIu64 "\n", st.checkpoints, st.rows_written,
         st.duplicates);
  fl_free(recs);
  fl_free(text);
  fl_free(part);
  fl_free(bypart);
  fl_log_close(log);
  fl_free(logdir);
  fl_arena_destroy(&arena);
  return 0;
}
