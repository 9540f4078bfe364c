/* log_append_bench: the event log's acknowledged append rate with fsync on, beside
 * the disk's own limit measured in the same run (issue 8: >= 1,000,000 acked
 * events/s of ~250 bytes in batches of 1,000, i.e. ~250 MB/s).
 *
 * log    --threads T (2) appender threads, each keeping --inflight W (4) appends of
 *        --records N (1,000) records x 250 bytes in flight (fl_log_append with a callback: what
 *        the server does with many connections). Counted: the records and bytes
 *        whose callback reported success (acknowledged = durable) and the log's
 *        fsyncs (fl_log_stats).
 * disk   sequential write + fdatasync of chunks of the log's average group size
 *        (1 MiB before the first log slice) to one growing file (what `dd
 *        oflag=dsync` does): the ceiling for any log with one fsync per group here.
 * The two alternate in slices of --slice S (0.5 s) for --seconds S (3) each, since
 * this disk (a shared VM) varies several-fold from one second to the next: each
 * figure is its bytes over its own time, the slices interleaved.
 *
 * --disk-probe: instead, the disk alone, for --seconds S per figure (issue 13):
 *        sequential write + fdatasync of 1 MiB chunks (MB/s); 4 KiB append + fdatasync
 *        latency p50/p99; and, after a 4 KiB append to each of --files N (5) files,
 *        fdatasync of the N files one after the other vs from N threads at once
 *        (p50/p99), round by round in turn with the 1-file case: what one group
 *        commit costs with one sync per touched partition, with parallel syncs, or
 *        with one write-ahead file.
 *
 * Output: a readable summary on stderr and one JSON line on stdout. The files go in
 * --dir (default a fresh temp dir under $TMPDIR or /tmp), removed at the end.
 * Ownership: the record values are one static buffer; everything else is freed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/time.h"
#include "log/log.h"

enum { RECORDS = 1000, RECORD_BYTES = 250 };
static int per_append = RECORDS; /* --records */

static char value[RECORDS][RECORD_BYTES];

/* The appenders run while `running`; main pauses them between slices. */
static pthread_mutex_t ctl_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ctl_cv = PTHREAD_COND_INITIALIZER;
static bool running, quit;

typedef struct worker {
  fl_log_stream *ls;
  int inflight_max;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int inflight;
  uint64_t acked_records, failed;
} worker;

static void done_cb(void *ctx, fl_code rc, uint32_t partition, uint64_t base, uint32_t n) {
  worker *w = ctx;
  pthread_mutex_lock(&w->mu);
  if (rc)
    w->failed++;
  else
    w->acked_records += n;
  w->inflight--;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

static void *run_worker(void *arg) {
  worker *w = arg;
  fl_log_record recs[RECORDS];
  for (int i = 0; i < RECORDS; i++) recs[i] = (fl_log_record){value[i], RECORD_BYTES};
  for (;;) {
    pthread_mutex_lock(&ctl_mu);
    while (!running && !quit) pthread_cond_wait(&ctl_cv, &ctl_mu);
    bool done = quit;
    pthread_mutex_unlock(&ctl_mu);
    if (done) break;
    pthread_mutex_lock(&w->mu);
    while (w->inflight >= w->inflight_max) pthread_cond_wait(&w->cv, &w->mu);
    w->inflight++;
    pthread_mutex_unlock(&w->mu);
    fl_err err;
    fl_code rc = fl_log_append(w->ls, 0, recs, (uint32_t)per_append, done_cb, w, &err);
    if (rc) {
      pthread_mutex_lock(&w->mu);
      w->inflight--;
      pthread_mutex_unlock(&w->mu);
      if (rc != FL_ELIMIT) {
        fprintf(stderr, "log_append_bench: %s\n", err.msg);
        exit(1);
      }
    }
  }
  return NULL;
}

static void set_running(bool on) {
  pthread_mutex_lock(&ctl_mu);
  running = on;
  pthread_cond_broadcast(&ctl_cv);
  pthread_mutex_unlock(&ctl_mu);
}

/* Waits until no append of any worker is in flight. */
static void drain(worker *ws, int threads) {
  for (int i = 0; i < threads; i++) {
    pthread_mutex_lock(&ws[i].mu);
    while (ws[i].inflight) pthread_cond_wait(&ws[i].cv, &ws[i].mu);
    pthread_mutex_unlock(&ws[i].mu);
  }
}

/* write + fdatasync of `chunk` bytes until `secs` have passed; adds to *bytes, *ns. */
static void disk_slice(int fd, const char *buf, size_t chunk, double secs, uint64_t *bytes, int64_t *ns) {
  int64_t t0 = fl_mono_ns(), until = t0 + (int64_t)(secs * 1e9), now;
  do {
    if (write(fd, buf, chunk) != (ssize_t)chunk || fdatasync(fd) != 0) {
      perror("log_append_bench: disk probe");
      exit(1);
    }
    *bytes += chunk;
  } while ((now = fl_mono_ns()) < until);
  *ns += now - t0;
}

/* ---- --disk-probe ---- */

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

typedef struct lat {
  int64_t *ns;
  size_t n, cap;
} lat;

static void lat_add(lat *l, int64_t ns) {
  if (l->n == l->cap) l->ns = fl_realloc(l->ns, (l->cap = l->cap ? l->cap * 2 : 1024) * sizeof *l->ns);
  l->ns[l->n++] = ns;
}

static double lat_pct_us(lat *l, double pct) {
  if (!l->n) return 0;
  qsort(l->ns, l->n, sizeof *l->ns, cmp_i64);
  size_t i = (size_t)(pct / 100.0 * (double)(l->n - 1) + 0.5);
  return (double)l->ns[i] / 1e3;
}

static void need(bool ok, const char *what) {
  if (!ok) {
    perror(what);
    exit(1);
  }
}

static pthread_barrier_t probe_start, probe_end;
static bool probe_quit;

static void *probe_syncer(void *arg) {
  int fd = *(int *)arg;
  for (;;) {
    pthread_barrier_wait(&probe_start);
    if (probe_quit) return NULL;
    need(fdatasync(fd) == 0, "fdatasync");
    pthread_barrier_wait(&probe_end);
  }
}

static int disk_probe(const char *dir, double seconds, int nfiles) {
  static char buf4k[4096], *buf1m;
  memset(buf4k, 'a', sizeof buf4k);
  buf1m = fl_malloc(1u << 20);
  memset(buf1m, 'b', 1u << 20);
  int fds[64];
  for (int i = 0; i < nfiles; i++) {
    char *path = fl_sprintf("%s/probe-%d.bin", dir, i);
    fds[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    need(fds[i] >= 0, path);
    fl_free(path);
  }
  /* sequential write + fdatasync, 1 MiB at a time */
  uint64_t seq_bytes = 0;
  int64_t t0 = fl_mono_ns(), until = t0 + (int64_t)(seconds * 1e9), now;
  do {
    need(write(fds[0], buf1m, 1u << 20) == 1 << 20 && fdatasync(fds[0]) == 0, "sequential write");
    seq_bytes += 1u << 20;
  } while ((now = fl_mono_ns()) < until);
  double seq_mb_s = (double)seq_bytes / ((double)(now - t0) / 1e9) / 1e6;
  need(ftruncate(fds[0], 0) == 0 && lseek(fds[0], 0, SEEK_SET) == 0, "truncate");
  /* 4 KiB append + fdatasync of one file; of N files one after the other; of N files
   * from N threads at once (started once, released by a barrier). The three take
   * turns round by round, since this shared disk's latency drifts from one second
   * to the next. */
  lat one = {0}, serial = {0}, parallel = {0};
  pthread_barrier_init(&probe_start, NULL, (unsigned)nfiles + 1);
  pthread_barrier_init(&probe_end, NULL, (unsigned)nfiles + 1);
  pthread_t th[64];
  for (int i = 0; i < nfiles; i++) pthread_create(&th[i], NULL, probe_syncer, &fds[i]);
  until = fl_mono_ns() + (int64_t)(3 * seconds * 1e9);
  for (uint64_t round = 0; fl_mono_ns() < until; round++) {
    int mode = (int)(round % 3), n = mode == 0 ? 1 : nfiles;
    for (int i = 0; i < n; i++) need(write(fds[i], buf4k, sizeof buf4k) == (ssize_t)sizeof buf4k, "append");
    int64_t s0 = fl_mono_ns();
    if (mode == 2) {
      pthread_barrier_wait(&probe_start);
      pthread_barrier_wait(&probe_end);
    } else {
      for (int i = 0; i < n; i++) need(fdatasync(fds[i]) == 0, "fdatasync");
    }
    lat_add(mode == 0 ? &one : mode == 1 ? &serial : &parallel, fl_mono_ns() - s0);
  }
  probe_quit = true;
  pthread_barrier_wait(&probe_start);
  for (int i = 0; i < nfiles; i++) pthread_join(th[i], NULL);
  double o50 = lat_pct_us(&one, 50), o99 = lat_pct_us(&one, 99), s50 = lat_pct_us(&serial, 50),
         s99 = lat_pct_us(&serial, 99), p50 = lat_pct_us(&parallel, 50), p99 = lat_pct_us(&parallel, 99);
  fprintf(stderr,
          "disk: %.1f MB/s sequential write+fdatasync (1 MiB chunks, %.1f s)\n"
          "      4 KiB append + fdatasync: p50 %.0f us, p99 %.0f us (%zu syncs)\n"
          "      after a 4 KiB append to each of %d files: fdatasync them one after the other p50 %.0f us, "
          "p99 %.0f us (%zu rounds);\n"
          "      from %d threads at once p50 %.0f us, p99 %.0f us (%zu rounds)\n",
          seq_mb_s, seconds, o50, o99, one.n, nfiles, s50, s99, serial.n, nfiles, p50, p99, parallel.n);
  printf(
      "{\"bench\":\"disk_probe\",\"seq_mb_per_s\":%.1f,\"append4k_p50_us\":%.0f,\"append4k_p99_us\":%.0f,"
      "\"files\":%d,\"serial_p50_us\":%.0f,\"serial_p99_us\":%.0f,\"parallel_p50_us\":%.0f,"
      "\"parallel_p99_us\":%.0f}\n",
      seq_mb_s, o50, o99, nfiles, s50, s99, p50, p99);
  for (int i = 0; i < nfiles; i++) {
    char *path = fl_sprintf("%s/probe-%d.bin", dir, i);
    close(fds[i]);
    unlink(path);
    fl_free(path);
  }
  fl_free(one.ns);
  fl_free(serial.ns);
  fl_free(parallel.ns);
  fl_free(buf1m);
  return 0;
}

int main(int argc, char **argv) {
  const char *dir = NULL;
  bool probe = false;
  int nfiles = 5;
  double seconds = 3, slice = 0.5;
  int threads = 2, inflight = 4;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--dir") && i + 1 < argc)
      dir = argv[++i];
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--slice") && i + 1 < argc)
      slice = atof(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--records") && i + 1 < argc)
      per_append = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--inflight") && i + 1 < argc)
      inflight = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--disk-probe"))
      probe = true;
    else if (!strcmp(argv[i], "--files") && i + 1 < argc)
      nfiles = atoi(argv[++i]);
    else {
      fprintf(stderr,
              "usage: log_append_bench [--dir DIR] [--seconds S] [--slice S] [--threads T] [--inflight W] "
              "[--records N] | --disk-probe [--dir DIR] [--seconds S] [--files N]\n");
      return 2;
    }
  }
  if (threads < 1 || threads > 64 || inflight < 1 || per_append < 1 || per_append > RECORDS || slice <= 0 ||
      seconds < slice || nfiles < 1 || nfiles > 64)
    return 2;
  char *tmp = NULL;
  if (!dir) {
    const char *t = getenv("TMPDIR");
    tmp = fl_sprintf("%s/log-bench.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp)) {
      perror(tmp);
      return 1;
    }
    dir = tmp;
  }
  if (probe) {
    int rc = disk_probe(dir, seconds, nfiles);
    if (tmp) {
      rmdir(tmp);
      fl_free(tmp);
    }
    return rc;
  }
  for (int i = 0; i < RECORDS; i++) {
    int n = snprintf(value[i], RECORD_BYTES,
                     "{\"event_id\":\"e-%012d\",\"tenant_id\":\"t-%02d\",\"amount\":%d.%02d,", i, i % 20, i,
                     i % 100);
    memset(value[i] + n, 'x', RECORD_BYTES - (size_t)n - 1);
    value[i][RECORD_BYTES - 1] = '}';
  }
  char *logdir = fl_sprintf("%s/log", dir), *ddpath = fl_sprintf("%s/dd.bin", dir);
  fl_log *log;
  fl_log_stream *ls;
  fl_err err;
  fl_log_opts opts = {.retention_check_ms = -1};
  if (fl_log_open(logdir, &opts, &log, &err) || fl_log_stream_open(log, "bench", 1, &ls, &err)) {
    fprintf(stderr, "log_append_bench: %s\n", err.msg);
    return 1;
  }
  /* The write path against the disk, byte for byte: uncompressed (these padded values
   * would shrink ~50x; the server's compressed rate is bench/ingest.sh's figure). */
  fl_log_stream_compression_set(ls, 0);
  int ddfd = open(ddpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (ddfd < 0) {
    perror(ddpath);
    return 1;
  }
  size_t chunk_max = 64u << 20;
  char *ddbuf = fl_malloc(chunk_max);
  memset(ddbuf, 'd', chunk_max);

  worker *ws = fl_calloc((size_t)threads, sizeof *ws);
  pthread_t *th = fl_calloc((size_t)threads, sizeof *th);
  for (int i = 0; i < threads; i++) {
    ws[i] = (worker){.ls = ls, .inflight_max = inflight};
    pthread_mutex_init(&ws[i].mu, NULL);
    pthread_cond_init(&ws[i].cv, NULL);
    pthread_create(&th[i], NULL, run_worker, &ws[i]);
  }
  uint64_t dd_bytes = 0;
  int64_t dd_ns = 0, log_ns = 0;
  int slices = (int)(seconds / slice + 0.5);
  for (int k = 0; k < slices; k++) {
    fl_log_stats st;
    fl_log_stats_get(log, &st);
    size_t chunk = st.fsyncs ? (size_t)(st.bytes / st.fsyncs) : (size_t)1 << 20;
    if (chunk > chunk_max) chunk = chunk_max;
    disk_slice(ddfd, ddbuf, chunk, slice, &dd_bytes, &dd_ns);
    int64_t t0 = fl_mono_ns();
    set_running(true);
    usleep((useconds_t)(slice * 1e6));
    set_running(false);
    drain(ws, threads);
    log_ns += fl_mono_ns() - t0;
  }
  pthread_mutex_lock(&ctl_mu);
  quit = true;
  pthread_cond_broadcast(&ctl_cv);
  pthread_mutex_unlock(&ctl_mu);
  uint64_t acked = 0, failed = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    acked += ws[i].acked_records;
    failed += ws[i].failed;
  }
  fl_log_stats st;
  fl_log_stats_get(log, &st);
  fl_log_close(log);
  close(ddfd);
  unlink(ddpath);
  char *rm = fl_sprintf("rm -rf '%s'", logdir);
  if (system(rm) != 0) fprintf(stderr, "log_append_bench: could not remove %s\n", logdir);
  fl_free(rm);

  double lsecs = (double)log_ns / 1e9, dsecs = (double)dd_ns / 1e9;
  double rec_s = (double)acked / lsecs, mb_s = (double)st.bytes / lsecs / 1e6,
         fs_s = (double)st.fsyncs / lsecs;
  double disk_mb_s = (double)dd_bytes / dsecs / 1e6;
  double bytes_per_rec = st.records ? (double)st.bytes / (double)st.records : 0;
  uint64_t group = st.fsyncs ? st.bytes / st.fsyncs : 0;
  fprintf(stderr,
          "log:  %.0f acked records/s, %.1f MB/s, %.0f fsyncs/s, %.0f KB per group commit\n"
          "      (%d threads x %d appends in flight, %d x %d-byte records per append, %.1f s in %d slices, "
          "%" PRIu64
          " failed)\n"
          "disk: %.1f MB/s sequential write+fdatasync in group-size chunks, %.1f s interleaved with the log\n"
          "      (= %.0f records/s at the log's %.0f bytes per record)\n"
          "log / disk: %.2f\n",
          rec_s, mb_s, fs_s, group / 1e3, threads, inflight, per_append, RECORD_BYTES, lsecs, slices, failed,
          disk_mb_s, dsecs, bytes_per_rec > 0 ? disk_mb_s * 1e6 / bytes_per_rec : 0, bytes_per_rec,
          disk_mb_s > 0 ? mb_s / disk_mb_s : 0);
  printf(
      "{\"bench\":\"log_append\",\"threads\":%d,\"inflight\":%d,\"log_seconds\":%.2f,\"records_per_s\":%.0f,"
      "\"mb_per_s\":%.1f,\"fsyncs_per_s\":%.0f,\"group_bytes\":%" PRIu64 ",\"failed\":%" PRIu64
      ",\"disk_mb_per_s\":%.1f,\"disk_seconds\":%.2f,\"fsyncs_per_group\":%.2f,\"group_fsyncs_max\":%" PRIu64
      "}\n",
      threads, inflight, lsecs, rec_s, mb_s, fs_s, group, failed, disk_mb_s, dsecs,
      st.groups ? (double)st.fsyncs / (double)st.groups : 0, st.group_fsyncs_max);
  for (int i = 0; i < threads; i++) {
    pthread_mutex_destroy(&ws[i].mu);
    pthread_cond_destroy(&ws[i].cv);
  }
  fl_free(ws);
  fl_free(th);
  fl_free(ddbuf);
  fl_free(ddpath);
  fl_free(logdir);
  if (tmp) {
    rmdir(tmp);
    fl_free(tmp);
  }
  return 0;
}
