/* log_open_bench: how long opening a stream takes when its partition holds --mib MiB
 * (1024: the 1 GiB of issue 13), now that every open checks the segment files' names
 * and contiguity, walks the batch headers of sealed segments and every batch of the
 * last one (src/log/verify.c). Beside it, fl_log_verify over the same partition (a
 * CRC check of every batch, what `floe log --verify` does), for scale.
 *
 * It fills one partition with batches of --records N (1,000) records of 250 bytes
 * (N = 1: the small batches of single posts, the worst case for a header walk) in
 * 128 MiB segments, then opens it --runs R (3) times as a writer and read-only (the
 * page cache is warm: the figure is the CPU and syscall cost, not the disk's).
 * Output: a summary on stderr, one JSON line on stdout. Files in --dir (default a temp
 * dir under $TMPDIR or /tmp), removed at the end unless --keep. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/time.h"
#include "log/log.h"

enum { RECORD_BYTES = 250, RECORDS_MAX = 1000 };
static char value[RECORD_BYTES];

static void die(const fl_err *err) {
  fprintf(stderr, "log_open_bench: %s\n", err->msg);
  exit(1);
}

static void done_cb(void *ctx, fl_code rc, uint32_t p, uint64_t base, uint32_t n) {
  (void)p, (void)base, (void)n;
  if (rc) *(int *)ctx = 1;
}

int main(int argc, char **argv) {
  uint64_t mib = 1024;
  int records = RECORDS_MAX, runs = 3;
  const char *dir = NULL;
  bool keep = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--mib") && i + 1 < argc)
      mib = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--records") && i + 1 < argc)
      records = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
      dir = argv[++i];
    else if (!strcmp(argv[i], "--keep"))
      keep = true;
    else {
      fprintf(stderr, "usage: log_open_bench [--mib M] [--records N] [--runs R] [--dir D] [--keep]\n");
      return 2;
    }
  }
  if (records < 1 || records > RECORDS_MAX) records = RECORDS_MAX;
  char *tmp = NULL;
  if (!dir) {
    const char *t = getenv("TMPDIR");
    tmp = fl_sprintf("%s/log_open_bench.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp)) return 1;
    dir = tmp;
  }
  memset(value, 'x', sizeof value);
  fl_log_record *recs = fl_calloc((size_t)records, sizeof *recs);
  for (int i = 0; i < records; i++) recs[i] = (fl_log_record){value, RECORD_BYTES};
  fl_err err;
  fl_log *log;
  fl_log_opts opts = {.retention_check_ms = -1};
  if (fl_log_open(dir, &opts, &log, &err)) die(&err);
  fl_log_stream *ls;
  if (fl_log_stream_open(log, "s", 1, &ls, &err)) die(&err);
  fl_log_partition_stat st;
  fl_log_partition_stat_get(ls, 0, &st);
  int failed = 0;
  uint64_t batch_bytes = 40 + (uint64_t)records * (4 + RECORD_BYTES);
  for (uint64_t have = st.bytes; have < (mib << 20); have += batch_bytes) {
    fl_code rc;
    while ((rc = fl_log_append(ls, 0, recs, (uint32_t)records, done_cb, &failed, &err)) == FL_ELIMIT) {
    }
    if (rc) die(&err);
  }
  fl_log_close(log); /* drains the queue */
  if (failed) return 1;

  double writer_ms = 1e18, ro_ms = 1e18, verify_ms = 1e18;
  uint32_t segments = 0;
  uint64_t bytes = 0;
  for (int r = 0; r < runs; r++) {
    for (int ro = 0; ro < 2; ro++) {
      fl_log_opts o = {.retention_check_ms = -1, .read_only = ro};
      int64_t t0 = fl_mono_ns();
      if (fl_log_open(dir, &o, &log, &err)) die(&err);
      if (fl_log_stream_open(log, "s", 0, &ls, &err)) die(&err);
      double ms = (double)(fl_mono_ns() - t0) / 1e6;
      if (fl_log_stream_damaged_ranges(ls)) { /* a sound log: the checks must find nothing */
        fprintf(stderr, "log_open_bench: open found %" PRIu64 " damaged ranges\n",
                fl_log_stream_damaged_ranges(ls));
        return 1;
      }
      if (ro) {
        if (ms < ro_ms) ro_ms = ms;
        uint64_t damaged;
        t0 = fl_mono_ns();
        if (fl_log_verify(ls, 0, NULL, NULL, &damaged, &err)) die(&err);
        ms = (double)(fl_mono_ns() - t0) / 1e6;
        if (ms < verify_ms) verify_ms = ms;
        if (damaged) fprintf(stderr, "log_open_bench: %" PRIu64 " damaged ranges\n", damaged);
      } else if (ms < writer_ms) {
        writer_ms = ms;
      }
      fl_log_partition_stat_get(ls, 0, &st);
      segments = st.segments;
      bytes = st.bytes;
      fl_log_close(log);
    }
  }
  fprintf(stderr,
          "log_open_bench: %" PRIu64
          " MiB in %u segments, batches of %d records: open as writer %.1f ms, "
          "read-only %.1f ms; verify (every CRC) %.1f ms (best of %d, warm cache)\n",
          bytes >> 20, segments, records, writer_ms, ro_ms, verify_ms, runs);
  printf("{\"bench\":\"log_open\",\"bytes\":%" PRIu64
         ",\"segments\":%u,\"records_per_batch\":%d,"
         "\"open_writer_ms\":%.1f,\"open_read_only_ms\":%.1f,\"verify_ms\":%.1f}\n",
         bytes, segments, records, writer_ms, ro_ms, verify_ms);
  if (!keep) {
    char *cmd = fl_sprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    fl_free(cmd);
  }
  fl_free(recs);
  fl_free(tmp);
  return 0;
}
