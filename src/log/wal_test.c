/* Tests of the write-ahead files (wal.c): one fdatasync per group commit whatever the
 * number of partitions and streams it touches; a power cut that loses every unsynced
 * segment byte loses no acknowledged record (the frames are replayed); a kill -9 at
 * every fsync point of the protocol (FLOE_CRASH_AT_FSYNC's hook) loses no
 * acknowledged record and duplicates none. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/diag.h"
#include "core/fsync.h"
#include "core/mem.h"
#include "log/log.h"
#include "log/log_wire.h"
#include "log/wal_wire.h"

static char *tmpdir(void) {
  fl_diag_set_level(FL_ERROR);
  const char *root = getenv("FLOE_TEST_TMP");
  if (!root || !*root) root = "/tmp";
  mkdir(root, 0755);
  char *t = fl_sprintf("%s/waltest.XXXXXX", root);
  cr_assert_not_null(mkdtemp(t));
  return t;
}

static void rm_rf(const char *path) {
  char *cmd = fl_sprintf("rm -rf '%s'", path);
  cr_assert_eq(system(cmd), 0);
  fl_free(cmd);
}

static const char *STREAMS[2] = {"alpha", "beta"};

/* ---- counting: appends to 2 streams x 8 partitions, queued in bursts ---- */

typedef struct burst {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int pending, failed;
} burst;

static void burst_done(void *ctx, fl_code rc, uint32_t partition, uint64_t base, uint32_t n) {
  (void)partition, (void)base, (void)n;
  burst *b = ctx;
  pthread_mutex_lock(&b->mu);
  if (rc) b->failed++;
  if (--b->pending == 0) pthread_cond_signal(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

typedef struct counter_arg {
  fl_log_stream *ls[2];
  int rounds;
} counter_arg;

enum { NPART = 8 };

static void *burst_appender(void *arg) {
  counter_arg *c = arg;
  burst b = {.pending = 0};
  pthread_mutex_init(&b.mu, NULL);
  pthread_cond_init(&b.cv, NULL);
  char v[100];
  memset(v, 'e', sizeof v);
  fl_log_record rec = {v, sizeof v};
  for (int r = 0; r < c->rounds; r++) {
    pthread_mutex_lock(&b.mu);
    b.pending = 2 * NPART;
    pthread_mutex_unlock(&b.mu);
    for (int s = 0; s < 2; s++)
      for (uint32_t p = 0; p < NPART; p++) {
        fl_err err;
        fl_code rc = fl_log_append(c->ls[s], p, &rec, 1, burst_done, &b, &err);
        if (rc) return (void *)1;
      }
    pthread_mutex_lock(&b.mu);
    while (b.pending) pthread_cond_wait(&b.cv, &b.mu);
    pthread_mutex_unlock(&b.mu);
  }
  return b.failed ? (void *)1 : NULL;
}

Test(wal, one_fdatasync_per_group_commit_across_partitions_and_two_streams) {
  char *dir = tmpdir();
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.retention_check_ms = -1, .wal_switch_ms = -1};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  counter_arg c = {.rounds = 40};
  for (int s = 0; s < 2; s++) cr_assert_eq(fl_log_stream_open(log, STREAMS[s], NPART, &c.ls[s], &err), FL_OK);
  enum { THREADS = 4 };
  pthread_t th[THREADS];
  for (int t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, burst_appender, &c);
  for (int t = 0; t < THREADS; t++) {
    void *r;
    pthread_join(th[t], &r);
    cr_assert_null(r);
  }
  fl_log_stats st;
  fl_log_stats_get(log, &st);
  uint64_t appends = (uint64_t)THREADS * c.rounds * 2 * NPART;
  cr_assert_eq(st.appends, appends);
  cr_assert_eq(st.errors, 0);
  /* bursts of 16 appends to 16 partitions: groups carry several partitions each, and
   * each group still made exactly one fdatasync (before: one per touched partition) */
  cr_assert_lt(st.groups * 2, appends, "groups %" PRIu64 " appends %" PRIu64, st.groups, appends);
  cr_assert_eq(st.fsyncs, st.groups, "fsyncs %" PRIu64 " groups %" PRIu64, st.fsyncs, st.groups);
  cr_assert_eq(st.group_fsyncs_max, 1);
  cr_assert_eq(st.background_fsyncs, 0, "no switch: no segment sync before close");
  for (int s = 0; s < 2; s++)
    for (uint32_t p = 0; p < NPART; p++) {
      uint64_t end;
      fl_log_partition_offsets(c.ls[s], p, NULL, &end);
      cr_assert_eq(end, (uint64_t)THREADS * c.rounds, "%s/%u", STREAMS[s], p);
    }
  fl_log_close(log);
  /* a clean close synced the segments and invalidated every frame; the files keep
   * their preallocated size (never truncated) */
  for (int i = 0; i < 2; i++) {
    char *path = fl_sprintf("%s/.wal-%d", dir, i);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "%s", path);
    cr_assert_geq(sb.st_size, FL_LOG_WAL_FILE_HEADER_BYTES + (1 << 20), "%s", path);
    fl_free(path);
  }
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  fl_log_stats_get(log, &st);
  cr_assert_eq(st.wal_replayed_frames, 0, "a clean close leaves nothing to replay");
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* ---- crash children: append, write each acknowledgement to a file, then die ---- */

enum { CP = 3, CHILD_BURSTS = 12, CHILD_RECS = 3 };

typedef struct ack_ctx {
  int fd; /* the acks file, O_APPEND */
  burst *b;
  char values[CHILD_RECS][64];
  const char *stream;
} ack_ctx;

static void ack_done(void *ctx, fl_code rc, uint32_t partition, uint64_t base, uint32_t n) {
  ack_ctx *a = ctx;
  if (rc == FL_OK)
    for (uint32_t i = 0; i < n; i++) {
      char line[160];
      int len =
          snprintf(line, sizeof line, "%s %u %" PRIu64 " %s\n", a->stream, partition, base + i, a->values[i]);
      if (write(a->fd, line, (size_t)len) != len) _exit(3);
    }
  burst_done(a->b, rc, partition, base, n);
}

/* The child's work: opens the log, appends CHILD_BURSTS bursts of one append per
 * partition of 2 streams, logging acknowledgements; dies by SIGKILL when the crash
 * hook fires, else closes the log (kill_at_end: SIGKILL instead of closing). */
static void child_run(const char *dir, const char *acks, int tag, const fl_log_opts *opts, bool kill_at_end) {
  int afd = open(acks, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (afd < 0) _exit(2);
  fl_log *log;
  fl_err err;
  if (fl_log_open(dir, opts, &log, &err)) _exit(4);
  fl_log_stream *ls[2];
  for (int s = 0; s < 2; s++)
    if (fl_log_stream_open(log, STREAMS[s], CP, &ls[s], &err)) _exit(5);
  burst b = {.pending = 0};
  pthread_mutex_init(&b.mu, NULL);
  pthread_cond_init(&b.cv, NULL);
  static ack_ctx ctx[2][CP];
  for (int r = 0; r < CHILD_BURSTS; r++) {
    pthread_mutex_lock(&b.mu);
    b.pending = 2 * CP;
    pthread_mutex_unlock(&b.mu);
    for (int s = 0; s < 2; s++)
      for (uint32_t p = 0; p < CP; p++) {
        ack_ctx *a = &ctx[s][p];
        *a = (ack_ctx){.fd = afd, .b = &b, .stream = STREAMS[s]};
        fl_log_record recs[CHILD_RECS] = {0};
        for (int i = 0; i < CHILD_RECS; i++) {
          /* unique values, of a length that varies with the burst */
          int len = snprintf(a->values[i], sizeof a->values[i], "t%d-r%d-%s-p%u-i%d-%.*s", tag, r, STREAMS[s],
                             p, i, r % 9, "xxxxxxxxx");
          recs[i] = (fl_log_record){a->values[i], (uint32_t)len};
        }
        if (fl_log_append(ls[s], p, recs, CHILD_RECS, ack_done, a, &err)) _exit(6);
      }
    pthread_mutex_lock(&b.mu);
    while (b.pending) pthread_cond_wait(&b.cv, &b.mu);
    pthread_mutex_unlock(&b.mu);
  }
  if (kill_at_end) kill(getpid(), SIGKILL);
  fl_log_close(log);
  _exit(0);
}

/* Reopens the log (replay + recovery) and checks: every acknowledged value is at its
 * offset, no value is in the log twice. Returns the number of records in the log. */
static uint64_t verify_from(const char *dir, const char *acks, uint64_t *nacked, uint64_t (*start)[CP]);
static uint64_t verify(const char *dir, const char *acks, uint64_t *nacked) {
  return verify_from(dir, acks, nacked, NULL);
}

/* As verify; with start, an acknowledged record below its partition's start offset
 * (retention deleted it) need not be there. */
static uint64_t verify_from(const char *dir, const char *acks, uint64_t *nacked, uint64_t (*start)[CP]) {
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.retention_check_ms = -1};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  uint64_t total = 0;
  size_t cap = 4096, n = 0;
  char **vals = fl_malloc(cap * sizeof *vals);
  for (int s = 0; s < 2; s++) {
    fl_log_stream *ls;
    cr_assert_eq(fl_log_stream_open(log, STREAMS[s], CP, &ls, &err), FL_OK, "%s", err.msg);
    for (uint32_t p = 0; p < CP; p++) {
      fl_log_reader *rd;
      cr_assert_eq(fl_log_reader_open(ls, p, 0, &rd, &err), FL_OK);
      for (;;) {
        fl_log_entry e;
        bool eof;
        cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
        if (eof) break;
        if (n == cap) vals = fl_realloc(vals, (cap *= 2) * sizeof *vals);
        vals[n++] = fl_sprintf("%s %u %" PRIu64 " %.*s", STREAMS[s], p, e.offset, (int)e.value_len,
                               (const char *)e.value);
        total++;
      }
      fl_log_reader_close(rd);
    }
  }
  /* no value twice (a value's text is unique; the offset is its 3rd field) */
  for (size_t i = 0; i < n; i++) {
    const char *vi = strrchr(vals[i], ' ') + 1;
    for (size_t j = i + 1; j < n; j++) cr_assert_str_neq(vi, strrchr(vals[j], ' ') + 1, "value %s twice", vi);
  }
  FILE *f = fopen(acks, "r");
  cr_assert_not_null(f);
  char line[256];
  *nacked = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    (*nacked)++;
    if (start) {
      char sn[16];
      unsigned p;
      uint64_t off;
      cr_assert_eq(sscanf(line, "%15s %u %" SCNu64, sn, &p, &off), 3);
      if (off < start[strcmp(sn, STREAMS[0]) ? 1 : 0][p]) continue;
    }
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) found = !strcmp(vals[i], line);
    cr_assert(found, "acknowledged record \"%s\" is not in the log at its offset", line);
  }
  fclose(f);
  for (size_t i = 0; i < n; i++) fl_free(vals[i]);
  fl_free(vals);
  fl_log_close(log);
  return total;
}

/* Truncates every segment file under dir/<stream>/<p>/ to 0 bytes: what a power cut
 * leaves of bytes that were never synced. */
static void lose_unsynced_segments(const char *dir) {
  for (int s = 0; s < 2; s++)
    for (uint32_t p = 0; p < CP; p++) {
      char *pd = fl_sprintf("%s/%s/%u", dir, STREAMS[s], p);
      DIR *d = opendir(pd);
      cr_assert_not_null(d, "%s", pd);
      struct dirent *de;
      int nseg = 0;
      while ((de = readdir(d))) {
        if (!strstr(de->d_name, ".log")) continue;
        char *path = fl_sprintf("%s/%s", pd, de->d_name);
        cr_assert_eq(truncate(path, 0), 0, "%s", path);
        fl_free(path);
        nseg++;
      }
      closedir(d);
      cr_assert_eq(nseg, 1, "%s: one segment (no roll, so none was synced)", pd);
      fl_free(pd);
    }
}

static int run_child(const char *dir, const char *acks, int tag, const fl_log_opts *opts, long long crash_at,
                     bool kill_at_end) {
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    fl_fsync_test_crash_at(crash_at);
    child_run(dir, acks, tag, opts, kill_at_end);
  }
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  return status;
}

Test(wal, a_power_cut_that_loses_every_unsynced_segment_byte_loses_no_acknowledged_record) {
  char *dir = tmpdir();
  char *acks = fl_sprintf("%s.acks", dir);
  /* no switch, no roll, every group through a frame: the segments' data is never
   * synced before the kill */
  fl_log_opts opts = {.retention_check_ms = -1, .wal_switch_ms = -1, .wal_every_group = true};
  int status = run_child(dir, acks, 1, &opts, 0, true);
  cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
  lose_unsynced_segments(dir);
  /* a read-only open (floe log) replays nothing, but counts and reports what only the
   * write-ahead frames hold: every acknowledged byte here */
  fl_log *ro;
  fl_err err;
  fl_log_opts ro_opts = {.read_only = true};
  cr_assert_eq(fl_log_open(dir, &ro_opts, &ro, &err), FL_OK, "%s", err.msg);
  fl_log_stats st;
  fl_log_stats_get(ro, &st);
  fl_log_close(ro);
  cr_assert_gt(st.wal_pending_bytes, (uint64_t)CHILD_BURSTS * 2 * CP * CHILD_RECS, "%" PRIu64,
               st.wal_pending_bytes);
  uint64_t nacked;
  uint64_t total = verify(dir, acks, &nacked);
  cr_assert_eq(nacked, (uint64_t)CHILD_BURSTS * 2 * CP * CHILD_RECS);
  cr_assert_eq(total, nacked, "the log holds exactly the acknowledged records");
  /* and once more: the replay is done, the files were emptied, nothing changes */
  cr_assert_eq(verify(dir, acks, &nacked), total);
  cr_assert_eq(fl_log_open(dir, &ro_opts, &ro, &err), FL_OK, "%s", err.msg);
  fl_log_stats_get(ro, &st);
  fl_log_close(ro);
  cr_assert_eq(st.wal_pending_bytes, 0, "after the replay the segments hold every frame's bytes");
  unlink(acks);
  fl_free(acks);
  rm_rf(dir);
  fl_free(dir);
}

Test(wal, a_kill_at_every_fsync_point_loses_no_acknowledged_record_and_duplicates_none, .timeout = 600) {
  char *dir = tmpdir();
  char *acks = fl_sprintf("%s.acks", dir);
  /* small write-ahead files and segments: the run switches files (segment syncs and
   * truncates on the sync thread) and rolls segments, so every kind of sync point is
   * reached */
  fl_log_opts opts = {
      .retention_check_ms = -1, .wal_switch_bytes = 1024, .wal_switch_ms = -1, .segment_bytes = 2048};
  fl_fsync_test_crash_at(0);
  int at;
  uint64_t nacked = 0, kills = 0;
  for (at = 1; at < 2000; at++) {
    int status = run_child(dir, acks, at, &opts, at, false);
    if (WIFEXITED(status)) {
      cr_assert_eq(WEXITSTATUS(status), 0, "child exited %d at crash point %d", WEXITSTATUS(status), at);
      break;
    }
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d at crash point %d", status, at);
    kills++;
    verify(dir, acks, &nacked);
  }
  uint64_t total = verify(dir, acks, &nacked);
  cr_log_info("%" PRIu64 " kills, %" PRIu64 " acknowledged records, %" PRIu64 " in the log", kills, nacked,
              total);
  cr_assert_gt(kills, 20, "only %" PRIu64 " sync points reached", kills);
  cr_assert_geq(total, nacked);
  cr_assert_gt(nacked, (uint64_t)CHILD_BURSTS * 2 * CP * CHILD_RECS, "acks %" PRIu64, nacked);
  unlink(acks);
  fl_free(acks);
  rm_rf(dir);
  fl_free(dir);
}

/* Retention deletes sealed segments whose bytes frames of the active write-ahead file
 * still hold (no switch here): a restart skips those frames (the roll synced the
 * segment; retention removed it on purpose) and replays the rest. */
Test(wal, replay_skips_frames_of_segments_retention_deleted) {
  char *dir = tmpdir();
  char *acks = fl_sprintf("%s.acks", dir);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int afd = open(acks, O_WRONLY | O_APPEND | O_CREAT, 0644);
    fl_log_opts opts = {
        .retention_check_ms = 5, .segment_bytes = 600, .wal_switch_ms = -1, .wal_every_group = true};
    fl_log *log;
    fl_err err;
    fl_log_stream *ls[2];
    if (afd < 0 || fl_log_open(dir, &opts, &log, &err)) _exit(4);
    for (int s = 0; s < 2; s++) {
      if (fl_log_stream_open(log, STREAMS[s], CP, &ls[s], &err)) _exit(5);
      fl_log_stream_retention_set(ls[s], 0, 1); /* keep only the active segment */
      for (uint32_t p = 0; p < CP; p++) fl_log_set_retain_floor(ls[s], p, UINT64_MAX);
    }
    burst b = {.pending = 0};
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    static ack_ctx ctx[2][CP];
    for (int r = 0; r < 60; r++) {
      pthread_mutex_lock(&b.mu);
      b.pending = 2 * CP;
      pthread_mutex_unlock(&b.mu);
      for (int s = 0; s < 2; s++)
        for (uint32_t p = 0; p < CP; p++) {
          ack_ctx *a = &ctx[s][p];
          *a = (ack_ctx){.fd = afd, .b = &b, .stream = STREAMS[s]};
          fl_log_record recs[CHILD_RECS] = {0};
          for (int i = 0; i < CHILD_RECS; i++) {
            int len = snprintf(a->values[i], sizeof a->values[i], "ret-r%d-%s-p%u-i%d", r, STREAMS[s], p, i);
            recs[i] = (fl_log_record){a->values[i], (uint32_t)len};
          }
          if (fl_log_append(ls[s], p, recs, CHILD_RECS, ack_done, a, &err)) _exit(6);
        }
      pthread_mutex_lock(&b.mu);
      while (b.pending) pthread_cond_wait(&b.cv, &b.mu);
      pthread_mutex_unlock(&b.mu);
    }
    usleep(50000); /* let the retention thread unlink the trimmed segments */
    fl_log_partition_stat st;
    fl_log_partition_stat_get(ls[0], 0, &st);
    if (st.start_offset == 0) _exit(7); /* retention did not run: the test would prove nothing */
    kill(getpid(), SIGKILL);
  }
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
  struct stat sb;
  char *w0 = fl_sprintf("%s/.wal-0", dir);
  cr_assert_eq(stat(w0, &sb), 0);
  cr_assert_gt(sb.st_size, 0, "the write-ahead file still holds the frames");
  fl_free(w0);
  /* reopen: no error; every acknowledged record at or past each partition's start is there */
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.retention_check_ms = -1};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  uint64_t start[2][CP], end[2][CP];
  fl_log_stream *ls[2];
  for (int s = 0; s < 2; s++) {
    cr_assert_eq(fl_log_stream_open(log, STREAMS[s], CP, &ls[s], &err), FL_OK, "%s", err.msg);
    for (uint32_t p = 0; p < CP; p++) {
      fl_log_partition_offsets(ls[s], p, &start[s][p], &end[s][p]);
      cr_assert_gt(start[s][p], 0, "%s/%u: retention had deleted segments", STREAMS[s], p);
      cr_assert_eq(end[s][p], 60 * CHILD_RECS, "%s/%u", STREAMS[s], p);
    }
  }
  fl_log_close(log);
  uint64_t nacked;
  uint64_t total = verify_from(dir, acks, &nacked, start);
  cr_assert_eq(nacked, (uint64_t)60 * 2 * CP * CHILD_RECS);
  cr_assert_gt(total, 0);
  unlink(acks);
  fl_free(acks);
  rm_rf(dir);
  fl_free(dir);
}

/* A segment roll adds exactly 2 syncs to its group (the sealed segment, the new file's
 * directory), counted apart in roll_fsyncs: every other group makes exactly one. */
Test(wal, a_roll_adds_two_counted_syncs_and_every_group_otherwise_makes_one) {
  char *dir = tmpdir();
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.retention_check_ms = -1, .segment_bytes = 300, .wal_switch_ms = -1};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  fl_log_stream *ls;
  cr_assert_eq(fl_log_stream_open(log, "s", 2, &ls, &err), FL_OK);
  fl_log_stream_compression_set(ls, 0); /* 100 bytes of 'r' would shrink to nothing: no rolls */
  char v[100];
  memset(v, 'r', sizeof v);
  fl_log_record rec = {v, sizeof v};
  for (int i = 0; i < 20; i++)
    cr_assert_eq(fl_log_append_sync(ls, (uint32_t)(i % 2), &rec, 1, NULL, &err), FL_OK);
  fl_log_stats st;
  fl_log_stats_get(log, &st);
  fl_log_partition_stat p0, p1;
  fl_log_partition_stat_get(ls, 0, &p0);
  fl_log_partition_stat_get(ls, 1, &p1);
  uint64_t rolls = (p0.segments - 1) + (p1.segments - 1);
  cr_assert_gt(rolls, 4);
  cr_assert_eq(st.groups, 20);
  cr_assert_eq(st.roll_fsyncs, 2 * rolls);
  cr_assert_eq(st.fsyncs - st.roll_fsyncs, st.groups);
  cr_assert_eq(st.group_fsyncs_max, 3);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* ---- preallocated files: a recycled file is overwritten from its start, so frames
 * of its older turn lie past the current turn's end; they are never replayed ---- */

static fl_log_stats stats_now(fl_log *log) {
  fl_log_stats st;
  fl_log_stats_get(log, &st);
  return st;
}

/* Child: appends one-record groups (one frame each) until the log has switched files
 * `switches` times and the sync thread has recycled the file it left (waits for its
 * background syncs: 1 segment + 1 recycle per switch). Returns the appends made. */
static int fill_turns(fl_log *log, fl_log_stream *ls, uint64_t switches, int *seq) {
  int n = 0;
  char v[200];
  while (stats_now(log).wal_switches < switches) {
    int len = snprintf(v, sizeof v, "turn-record-%06d-%0150d", (*seq)++, 0);
    fl_log_record rec = {v, (uint32_t)len};
    fl_err err;
    if (fl_log_append_sync(ls, 0, &rec, 1, NULL, &err)) _exit(6);
    n++;
  }
  for (int i = 0; i < 10000 && stats_now(log).background_fsyncs < 2 * switches; i++) usleep(1000);
  if (stats_now(log).background_fsyncs < 2 * switches) _exit(7);
  return n;
}

Test(wal, stale_frames_of_an_older_turn_past_the_current_end_are_never_replayed) {
  char *dir = tmpdir();
  char *count_path = fl_sprintf("%s.count", dir);
  enum { CURRENT = 3 };
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    fl_log_opts opts = {
        .retention_check_ms = -1, .wal_switch_bytes = 8192, .wal_switch_ms = -1, .wal_every_group = true};
    fl_log *log;
    fl_err err;
    fl_log_stream *ls;
    if (fl_log_open(dir, &opts, &log, &err) || fl_log_stream_open(log, "s", 1, &ls, &err)) _exit(4);
    fl_log_stream_compression_set(ls, 0); /* every frame the same size */
    int seq = 0, total = 0;
    total += fill_turns(log, ls, 1, &seq); /* .wal-0's turn: recycled */
    total += fill_turns(log, ls, 2, &seq); /* .wal-1's turn: recycled; .wal-0 active again */
    for (int i = 0; i < CURRENT; i++) {
      char v[200];
      int len = snprintf(v, sizeof v, "turn-record-%06d-%0150d", seq++, 0);
      fl_log_record rec = {v, (uint32_t)len};
      if (fl_log_append_sync(ls, 0, &rec, 1, NULL, &err)) _exit(6);
      total++;
    }
    FILE *f = fopen(count_path, "w");
    if (!f || fprintf(f, "%d\n", total) < 0 || fclose(f)) _exit(8);
    kill(getpid(), SIGKILL);
  }
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
  FILE *f = fopen(count_path, "r");
  cr_assert_not_null(f);
  int total = 0;
  cr_assert_eq(fscanf(f, "%d", &total), 1);
  fclose(f);

  /* .wal-0 on disk: a header of generation G, the frames of G (CURRENT, or one more
   * when the last append of the turn before was acknowledged before the switch), and
   * right after them a whole frame of the older turn (G - 2; same size, intact) */
  char *w0 = fl_sprintf("%s/.wal-0", dir);
  int fd = open(w0, O_RDONLY);
  cr_assert_geq(fd, 0);
  unsigned char buf[1 << 16];
  ssize_t got = pread(fd, buf, sizeof buf, 0);
  close(fd);
  cr_assert_gt(got, 4096);
  cr_assert_eq(fl_log_get32(buf + FL_LOG_WAL_FOFF_MAGIC), FL_LOG_WAL_FILE_MAGIC);
  uint64_t g = fl_log_get64(buf + FL_LOG_WAL_FOFF_GEN);
  cr_assert_geq(g, 3);
  size_t pos = FL_LOG_WAL_FILE_HEADER_BYTES;
  uint64_t current = 0;
  for (;;) {
    const unsigned char *h = buf + pos;
    cr_assert_eq(fl_log_get32(h + FL_LOG_WAL_OFF_MAGIC), FL_LOG_WAL_MAGIC, "frame at %zu", pos);
    uint64_t fg = fl_log_get64(h + FL_LOG_WAL_OFF_GEN);
    if (fg != g) {
      cr_assert_eq(fg, g - 2, "a stale frame of the older turn at byte %zu", pos);
      break;
    }
    current++;
    pos += FL_LOG_WAL_HEADER_BYTES + fl_log_get16(h + FL_LOG_WAL_OFF_NAME_LEN) +
           fl_log_get32(h + FL_LOG_WAL_OFF_DATA_LEN);
    cr_assert_lt(pos + FL_LOG_WAL_HEADER_BYTES, (size_t)got);
  }
  cr_assert(current == CURRENT || current == CURRENT + 1, "%" PRIu64 " frames of the current turn", current);
  fl_free(w0);

  /* the reopen replays exactly the current turn's frames, and the log holds every
   * acknowledged record once */
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.retention_check_ms = -1};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(stats_now(log).wal_replayed_frames, current);
  fl_log_stream *ls;
  cr_assert_eq(fl_log_stream_open(log, "s", 1, &ls, &err), FL_OK, "%s", err.msg);
  uint64_t start, end;
  fl_log_partition_offsets(ls, 0, &start, &end);
  cr_assert_eq(start, 0);
  cr_assert_eq(end, (uint64_t)total);
  fl_log_reader *rd;
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  for (int i = 0; i < total; i++) {
    fl_log_entry e;
    bool eof;
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert(!eof);
    char want[200];
    int len = snprintf(want, sizeof want, "turn-record-%06d-%0150d", i, 0);
    cr_assert_eq(e.value_len, (uint32_t)len);
    cr_assert_eq(memcmp(e.value, want, (size_t)len), 0, "record %d", i);
  }
  fl_log_reader_close(rd);
  fl_log_close(log);
  unlink(count_path);
  fl_free(count_path);
  rm_rf(dir);
  fl_free(dir);
}

/* A version-1 write-ahead file (frames from byte 0, unsalted CRCs, left by a binary
 * from before the preallocated files) is still replayed, then given a v2 header. */
Test(wal, a_version_1_file_left_by_an_older_binary_is_replayed_then_converted) {
  char *dir = tmpdir();
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.retention_check_ms = -1};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  fl_log_stream *ls;
  cr_assert_eq(fl_log_stream_open(log, "s", 1, &ls, &err), FL_OK);
  fl_log_record rec = {"{\"v\":1}", 7};
  cr_assert_eq(fl_log_append_sync(ls, 0, &rec, 1, NULL, &err), FL_OK, "%s", err.msg);
  fl_log_close(log);
  /* the segment's batch, then a power cut that lost it: only a v1 frame holds it */
  char *seg = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  unsigned char data[4096];
  int fd = open(seg, O_RDWR);
  cr_assert_geq(fd, 0);
  ssize_t dl = pread(fd, data, sizeof data, 0);
  cr_assert_gt(dl, FL_LOG_BATCH_HEADER_BYTES);
  cr_assert_eq(ftruncate(fd, 0), 0);
  close(fd);
  unsigned char frame[48 + 1 + 4096];
  memset(frame, 0, FL_LOG_WAL_HEADER_BYTES);
  fl_log_put32(frame + FL_LOG_WAL_OFF_MAGIC, FL_LOG_WAL_MAGIC);
  fl_log_put16(frame + FL_LOG_WAL_OFF_VERSION, FL_LOG_WAL_VERSION_V1);
  fl_log_put16(frame + FL_LOG_WAL_OFF_NAME_LEN, 1);
  fl_log_put64(frame + FL_LOG_WAL_OFF_GEN, 9);
  fl_log_put32(frame + FL_LOG_WAL_OFF_DATA_LEN, (uint32_t)dl);
  frame[FL_LOG_WAL_HEADER_BYTES] = 's';
  memcpy(frame + FL_LOG_WAL_HEADER_BYTES + 1, data, (size_t)dl);
  uint32_t crc = fl_crc32c(0, frame, FL_LOG_WAL_OFF_CRC);
  crc = fl_crc32c(crc, frame + FL_LOG_WAL_HEADER_BYTES, 1 + (size_t)dl);
  fl_log_put32(frame + FL_LOG_WAL_OFF_CRC, crc);
  for (int i = 0; i < 2; i++) {
    char *w = fl_sprintf("%s/.wal-%d", dir, i);
    fd = open(w, O_WRONLY | O_TRUNC);
    cr_assert_geq(fd, 0);
    if (i == 0)
      cr_assert_eq(write(fd, frame, FL_LOG_WAL_HEADER_BYTES + 1 + (size_t)dl),
                   FL_LOG_WAL_HEADER_BYTES + 1 + dl);
    close(fd);
    fl_free(w);
  }
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  fl_log_stats st;
  fl_log_stats_get(log, &st);
  cr_assert_eq(st.wal_replayed_frames, 1);
  cr_assert_eq(fl_log_stream_open(log, "s", 1, &ls, &err), FL_OK, "%s", err.msg);
  fl_log_reader *rd;
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  fl_log_entry e;
  bool eof;
  cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
  cr_assert(!eof);
  cr_assert_eq(e.value_len, 7);
  cr_assert_eq(memcmp(e.value, "{\"v\":1}", 7), 0);
  fl_log_reader_close(rd);
  /* converted: a v2 header of a generation past the v1 frame's */
  char *w0 = fl_sprintf("%s/.wal-0", dir);
  fd = open(w0, O_RDONLY);
  unsigned char h[FL_LOG_WAL_FILE_HEADER_BYTES];
  cr_assert_eq(pread(fd, h, sizeof h, 0), (ssize_t)sizeof h);
  close(fd);
  cr_assert_eq(fl_log_get32(h + FL_LOG_WAL_FOFF_MAGIC), FL_LOG_WAL_FILE_MAGIC);
  cr_assert_gt(fl_log_get64(h + FL_LOG_WAL_FOFF_GEN), 9);
  fl_free(w0);
  fl_log_close(log);
  fl_free(seg);
  rm_rf(dir);
  fl_free(dir);
}

/* Early writeback (log.c start_writeback): once a partition's acknowledged bytes pass
 * writeback_bytes since the last start, the log thread starts their disk write, whole
 * 4 KiB pages only; below it, nothing; writeback_bytes < 0 turns it off. The records
 * read back the same either way. */
Test(wal, segment_writeback_starts_after_each_step_of_acknowledged_bytes) {
  for (int off = 0; off < 2; off++) {
    char *dir = tmpdir();
    fl_log *log;
    fl_err err;
    fl_log_opts opts = {
        .retention_check_ms = -1, .wal_switch_ms = -1, .writeback_bytes = off ? -1 : 64 << 10};
    cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
    fl_log_stream *ls;
    cr_assert_eq(fl_log_stream_open(log, "s", 2, &ls, &err), FL_OK, "%s", err.msg);
    char v[1000]; /* random bytes: zstd cannot shrink them, so stored ~ raw */
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < sizeof v; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      v[i] = (char)x;
    }
    fl_log_record rec = {v, sizeof v};
    fl_log_stats st;
    /* 60 records of ~1 KB to partition 0: under 64 KiB, no start */
    for (int i = 0; i < 60; i++)
      cr_assert_eq(fl_log_append_sync(ls, 0, &rec, 1, NULL, &err), FL_OK, "%s", err.msg);
    fl_log_stats_get(log, &st);
    cr_assert_eq(st.writeback_starts, 0);
    /* 200 more (past 4 x 64 KiB in all): starts at each step, page-aligned */
    for (int i = 0; i < 200; i++)
      cr_assert_eq(fl_log_append_sync(ls, 0, &rec, 1, NULL, &err), FL_OK, "%s", err.msg);
    fl_log_stats_get(log, &st);
    if (off) {
      cr_assert_eq(st.writeback_starts, 0);
    } else {
      /* one start per 64 KiB step crossed (a step ends on the first page boundary past
       * it, so a little drift: at most one step fewer) */
      uint64_t steps = st.bytes / (64 << 10);
      cr_assert_geq(steps, 4, "%" PRIu64, st.bytes);
      cr_assert(st.writeback_starts >= steps - 1 && st.writeback_starts <= steps,
                "%" PRIu64 " starts, %" PRIu64 " bytes", st.writeback_starts, st.bytes);
      cr_assert_eq(st.writeback_bytes % 4096, 0);
      cr_assert_geq(st.writeback_bytes, st.writeback_starts * (64 << 10));
      cr_assert_leq(st.writeback_bytes, st.bytes);
    }
    fl_log_close(log);
    rm_rf(dir);
    fl_free(dir);
  }
}
