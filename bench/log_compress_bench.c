/* log_compress_bench: what batch compression (log_wire.h v3: zstd or LZ4, --codec)
 * costs the appending thread and what it saves on disk, on real event lines (e.g.
 * `floe gen orders`).
 *
 * For each --levels L (default 0,1,3): a fresh log in --dir, one stream with --codec C
 * (zstd, the default, or lz4: L is then LZ4's acceleration) at level L;
 * the input's lines (--input FILE, NDJSON, one record per line) are appended in
 * batches of --records N (1,000) with fl_log_append (asynchronous, as the server
 * does), --passes P (3) times over the file. Counted: the appending thread's CPU time
 * inside fl_log_append (encode + compress + CRC: what the server's event loop pays),
 * and the log's raw vs stored bytes (fl_log_stats). A full queue (FL_ELIMIT) is waited
 * out outside the timed calls. Each record carries what the server gives it: contract
 * version 1, a key hash (8 pseudo-random bytes) and an event time (one event about
 * every second, ms jitter, as `floe gen orders` makes them). With --read, every level
 * then reads its records back with a reader (decode: decompression and framing) and
 * checks their count and bytes (not timed; for callgrind); with --read-heads the
 * reader skips v3 values (fl_log_reader_heads_only) and checks the other fields.
 *
 * Output: a readable line per level on stderr and one JSON line per level on stdout:
 *   {"bench":"log_compress","level":1,"records":..,"raw_bytes":..,"stored_bytes":..,
 *    "ratio":..,"encode_mb_s":..,"records_s":..}
 * encode_mb_s = raw MB / CPU seconds in fl_log_append, per appending core.
 * Ownership: the input is one buffer; everything is freed; --dir is removed. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "log/log.h"

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void done_cb(void *ctx, fl_code rc, uint32_t p, uint64_t base, uint32_t n) {
  (void)p, (void)base, (void)n;
  if (rc) __atomic_add_fetch((uint64_t *)ctx, 1, __ATOMIC_RELAXED);
}

/* Reads the partition back from offset 0: `records` entries, record k equal to
 * recs[k % nrecs] (its value unless heads and not returned). 0 ok, else 1. */
static int read_all(fl_log_stream *ls, const fl_log_record *recs, uint32_t nrecs, uint64_t records,
                    bool heads) {
  for (uint64_t end = 0; end < records;) { /* the appends were asynchronous: wait until durable */
    fl_log_partition_offsets(ls, 0, NULL, &end);
    if (end < records) usleep(1000);
  }
  fl_log_reader *rd;
  fl_err err;
  if (fl_log_reader_open(ls, 0, 0, &rd, &err)) {
    fprintf(stderr, "log_compress_bench: %s\n", err.msg);
    return 1;
  }
  if (heads) fl_log_reader_heads_only(rd);
  uint64_t k = 0;
  for (;;) {
    fl_log_batch_view v;
    bool eof;
    if (fl_log_reader_next_batch(rd, &v, &eof, &err)) {
      fprintf(stderr, "log_compress_bench: %s\n", err.msg);
      fl_log_reader_close(rd);
      return 1;
    }
    if (eof) break;
    for (uint32_t i = 0; i < v.count; i++, k++) {
      const fl_log_record *r = &recs[k % nrecs];
      const fl_log_entry *e = &v.records[i];
      if (e->value_len != r->value_len || (e->value && memcmp(e->value, r->value, r->value_len)) ||
          e->key_hash != r->key_hash || e->event_time_ms != r->event_time_ms ||
          e->contract_version != r->contract_version) {
        fprintf(stderr, "log_compress_bench: record %" PRIu64 " read back differs\n", k);
        fl_log_reader_close(rd);
        return 1;
      }
    }
  }
  fl_log_reader_close(rd);
  if (k != records) {
    fprintf(stderr, "log_compress_bench: read %" PRIu64 " records of %" PRIu64 "\n", k, records);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *input = NULL, *levels = "0,1,3", *dir_arg = NULL, *codec_name = "zstd";
  int per = 1000, passes = 3;
  bool read_back = false, heads = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--input") && i + 1 < argc)
      input = argv[++i];
    else if (!strcmp(argv[i], "--levels") && i + 1 < argc)
      levels = argv[++i];
    else if (!strcmp(argv[i], "--records") && i + 1 < argc)
      per = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--passes") && i + 1 < argc)
      passes = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
      dir_arg = argv[++i];
    else if (!strcmp(argv[i], "--codec") && i + 1 < argc)
      codec_name = argv[++i];
    else if (!strcmp(argv[i], "--read"))
      read_back = true;
    else if (!strcmp(argv[i], "--read-heads"))
      read_back = heads = true;
    else {
      fprintf(
          stderr,
          "usage: log_compress_bench --input FILE.ndjson [--codec zstd|lz4] [--levels 0,1,3] [--records N] "
          "[--passes P] [--dir D] [--read | --read-heads]\n");
      return 2;
    }
  }
  fl_log_codec codec;
  if (!fl_log_codec_from_name(codec_name, &codec)) {
    fprintf(stderr, "log_compress_bench: --codec: expected zstd, lz4 or none, found %s\n", codec_name);
    return 2;
  }
  if (!input || per < 1 || passes < 1) {
    fprintf(stderr, "log_compress_bench: --input FILE is required (e.g. floe gen orders --count 200000)\n");
    return 2;
  }
  FILE *f = fopen(input, "rb");
  if (!f) {
    fprintf(stderr, "log_compress_bench: %s: %s\n", input, strerror(errno));
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = fl_malloc((size_t)size + 1);
  if (fread(text, 1, (size_t)size, f) != (size_t)size) return 1;
  fclose(f);
  uint32_t nrecs = 0, cap = 1024;
  fl_log_record *recs = fl_malloc(cap * sizeof *recs);
  for (char *p = text, *end = text + size; p < end;) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (len) {
      if (nrecs == cap) recs = fl_realloc(recs, (cap *= 2) * sizeof *recs);
      recs[nrecs] =
          (fl_log_record){.value = p,
                          .value_len = (uint32_t)len,
                          .contract_version = 1,
                          .key_hash = (uint64_t)nrecs * 0x9E3779B97F4A7C15ull,
                          .event_time_ms = 1765000000000 + (int64_t)nrecs * 1000 + nrecs * 7919 % 1000,
                          .has_event_time = true};
      nrecs++;
    }
    p += len + 1;
  }
  char *dir = dir_arg ? fl_strdup(dir_arg)
                      : fl_sprintf("%s/floe-logz.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!dir_arg && !mkdtemp(dir)) return 1;
  for (const char *lv = levels; *lv;) {
    int level = atoi(lv);
    char *cmd = fl_sprintf("rm -rf '%s/s'", dir);
    if (system(cmd) != 0) return 1;
    fl_free(cmd);
    fl_log *log;
    fl_log_stream *ls;
    fl_err err;
    fl_log_opts opts = {.retention_check_ms = -1};
    if (fl_log_open(dir, &opts, &log, &err) || fl_log_stream_open(log, "s", 1, &ls, &err)) {
      fprintf(stderr, "log_compress_bench: %s\n", err.msg);
      return 1;
    }
    fl_log_stream_codec_set(ls, codec);
    fl_log_stream_compression_set(ls, level);
    uint64_t failed = 0, records = 0;
    double cpu = 0;
    for (int pass = 0; pass < passes; pass++)
      for (uint32_t i = 0; i < nrecs; i += (uint32_t)per) {
        uint32_t n = nrecs - i < (uint32_t)per ? nrecs - i : (uint32_t)per;
        for (;;) {
          double t0 = cpu_now();
          fl_code rc = fl_log_append(ls, 0, recs + i, n, done_cb, &failed, &err);
          cpu += cpu_now() - t0;
          if (rc == FL_OK) break;
          if (rc != FL_ELIMIT) {
            fprintf(stderr, "log_compress_bench: %s\n", err.msg);
            return 1;
          }
          usleep(1000);
        }
        records += n;
      }
    fl_log_stats st;
    fl_log_stats_get(log, &st);
    if (read_back && read_all(ls, recs, nrecs, records, heads)) return 1;
    fl_log_close(log);
    if (failed) {
      fprintf(stderr, "log_compress_bench: %" PRIu64 " appends failed\n", failed);
      return 1;
    }
    double ratio = (double)st.raw_bytes / (double)st.stored_bytes;
    double mbs = (double)st.raw_bytes / 1e6 / cpu;
    fprintf(stderr,
            "%s level %d: %" PRIu64
            " records in batches of %d, %.1f MB raw -> %.1f MB stored (%.2fx), "
            "encode %.0f MB/s per core (%.2f M records/s)\n",
            codec_name, level, records, per, (double)st.raw_bytes / 1e6, (double)st.stored_bytes / 1e6, ratio,
            mbs, (double)records / cpu / 1e6);
    printf("{\"bench\":\"log_compress\",\"codec\":\"%s\",\"level\":%d,\"records\":%" PRIu64
           ",\"raw_bytes\":%" PRIu64 ",\"stored_bytes\":%" PRIu64
           ",\"ratio\":%.3f,\"encode_mb_s\":%.1f,\"records_s\":%.0f}\n",
           codec_name, level, records, st.raw_bytes, st.stored_bytes, ratio, mbs, (double)records / cpu);
    lv = strchr(lv, ',');
    if (!lv) break;
    lv++;
  }
  char *cmd = fl_sprintf("rm -rf '%s'", dir);
  if (system(cmd) != 0) return 1;
  fl_free(cmd);
  fl_free(dir);
  fl_free(recs);
  fl_free(text);
  return 0;
}
