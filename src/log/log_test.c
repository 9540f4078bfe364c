/* Tests of the event log: append/read, offsets across segment rolls, group commit
 * under concurrency, recovery from every truncation point and every flipped byte,
 * retention with a floor, disk full (injected and on a real 2 MiB tmpfs). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "log/log.h"
#include "log/log_int.h"
#include "log/log_wire.h"

static char *tmpdir(void) {
  fl_diag_set_level(FL_ERROR); /* recovery and retention log at warn/info: expected here */
  const char *root = getenv("FLOE_TEST_TMP");
  if (!root || !*root) root = "/tmp";
  mkdir(root, 0755);
  char *t = fl_sprintf("%s/logtest.XXXXXX", root);
  cr_assert_not_null(mkdtemp(t));
  return t;
}

static void rm_rf(const char *path) {
  char *cmd = fl_sprintf("rm -rf '%s'", path);
  cr_assert_eq(system(cmd), 0);
  fl_free(cmd);
}

static fl_log *open_log(const char *dir, uint64_t segment_bytes) {
  fl_diag_set_level(FL_ERROR); /* recovery and retention log at warn/info: expected here */
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.segment_bytes = segment_bytes, .retention_check_ms = -1, .index_interval_bytes = 64};
  fl_code rc = fl_log_open(dir, &opts, &log, &err);
  cr_assert_eq(rc, FL_OK, "%s", err.msg);
  return log;
}

static fl_log_stream *open_stream(fl_log *log, const char *name, uint32_t np) {
  fl_log_stream *ls;
  fl_err err;
  fl_code rc = fl_log_stream_open(log, name, np, &ls, &err);
  cr_assert_eq(rc, FL_OK, "%s", err.msg);
  fl_log_stream_compression_set(ls, 0); /* byte-exact sizes; compressed streams: wire_test.c */
  return ls;
}

/* Record i of the tests: "rec-<i>" padded with i%7 'x's (values of varying length). */
static size_t rec_text(uint64_t i, char *buf) {
  int n = sprintf(buf, "rec-%" PRIu64, i);
  for (uint64_t k = 0; k < i % 7; k++) buf[n++] = 'x';
  return (size_t)n;
}

/* Appends records [first, first+n) as one batch and checks its base offset. */
static void append_range(fl_log_stream *ls, uint32_t p, uint64_t first, uint32_t n) {
  char bufs[64][48];
  fl_log_record recs[64] = {0};
  cr_assert_leq(n, 64);
  for (uint32_t i = 0; i < n; i++) {
    recs[i].value = bufs[i];
    recs[i].value_len = (uint32_t)rec_text(first + i, bufs[i]);
  }
  uint64_t base = UINT64_MAX;
  fl_err err;
  fl_code rc = fl_log_append_sync(ls, p, recs, n, &base, &err);
  cr_assert_eq(rc, FL_OK, "%s", err.msg);
  cr_assert_eq(base, first);
}

/* Reads partition p from `from` and checks it holds exactly records [from, end). */
static void expect_records(fl_log_stream *ls, uint32_t p, uint64_t from, uint64_t end) {
  fl_log_reader *rd;
  fl_err err;
  cr_assert_eq(fl_log_reader_open(ls, p, from, &rd, &err), FL_OK);
  uint64_t want = from;
  for (;;) {
    fl_log_entry e;
    bool eof;
    fl_code rc = fl_log_reader_next(rd, &e, &eof, &err);
    cr_assert_eq(rc, FL_OK, "%s", err.msg);
    if (eof) break;
    char buf[48];
    size_t n = rec_text(want, buf);
    cr_assert_eq(e.offset, want);
    cr_assert_eq(e.value_len, n, "offset %" PRIu64, want);
    cr_assert_eq(memcmp(e.value, buf, n), 0);
    cr_assert_gt(e.append_time_ms, 1700000000000);
    want++;
  }
  cr_assert_eq(want, end, "read up to %" PRIu64 ", expected %" PRIu64, want, end);
  fl_log_reader_close(rd);
}

Test(log, append_then_read_returns_every_record_with_its_offset) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "orders", 2);
  append_range(ls, 0, 0, 3);
  append_range(ls, 0, 3, 1);
  append_range(ls, 1, 0, 5);
  expect_records(ls, 0, 0, 4);
  expect_records(ls, 1, 0, 5);
  expect_records(ls, 1, 2, 5); /* from the middle of a batch */
  uint64_t start, end;
  cr_assert_eq(fl_log_partition_offsets(ls, 0, &start, &end), FL_OK);
  cr_assert_eq(start, 0);
  cr_assert_eq(end, 4);
  fl_log_close(log);
  log = open_log(dir, 0);
  ls = open_stream(log, "orders", 0);
  cr_assert_eq(fl_log_stream_npartitions(ls), 2);
  expect_records(ls, 0, 0, 4);
  append_range(ls, 0, 4, 2);
  expect_records(ls, 0, 1, 6);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(log, offsets_continue_across_segment_rolls_and_reopen) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 300); /* a few batches per segment */
  fl_log_stream *ls = open_stream(log, "s", 1);
  uint64_t next = 0;
  for (int b = 0; b < 40; b++) {
    uint32_t n = (uint32_t)(b % 5 + 1);
    append_range(ls, 0, next, n);
    next += n;
  }
  fl_log_partition_stat st;
  cr_assert_eq(fl_log_partition_stat_get(ls, 0, &st), FL_OK);
  cr_assert_gt(st.segments, 5);
  cr_assert_eq(st.end_offset, next);
  for (uint64_t from = 0; from <= next; from += 7) expect_records(ls, 0, from, next);
  fl_log_close(log);
  log = open_log(dir, 300);
  ls = open_stream(log, "s", 1);
  for (uint64_t from = 0; from <= next; from += 5)
    expect_records(ls, 0, from, next); /* unindexed old segments */
  append_range(ls, 0, next, 4);
  expect_records(ls, 0, 0, next + 4);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(log, reader_tails_new_records_after_eof) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 200);
  fl_log_stream *ls = open_stream(log, "s", 1);
  fl_log_reader *rd;
  fl_err err;
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  fl_log_entry e;
  bool eof;
  cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK);
  cr_assert(eof);
  uint64_t next = 0;
  for (int round = 0; round < 10; round++) {
    append_range(ls, 0, next, 3);
    for (int i = 0; i < 3; i++) {
      cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
      cr_assert(!eof);
      cr_assert_eq(e.offset, next++);
    }
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK);
    cr_assert(eof);
  }
  fl_log_reader_close(rd);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

typedef struct conc_arg {
  fl_log_stream *ls;
  int appends;
  uint64_t *bases;
} conc_arg;

static void *conc_appender(void *p) {
  conc_arg *a = p;
  char v[250];
  memset(v, 'v', sizeof v);
  fl_log_record recs[10] = {0};
  for (int i = 0; i < 10; i++) recs[i] = (fl_log_record){v, sizeof v};
  for (int i = 0; i < a->appends; i++) {
    fl_err err;
    fl_code rc = fl_log_append_sync(a->ls, 0, recs, 10, &a->bases[i], &err);
    if (rc) return (void *)1;
  }
  return NULL;
}

Test(log, concurrent_appends_share_fdatasyncs_and_get_dense_offsets) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  enum { THREADS = 8, APPENDS = 100 };
  pthread_t th[THREADS];
  conc_arg args[THREADS];
  static uint64_t bases[THREADS][APPENDS];
  for (int t = 0; t < THREADS; t++) {
    args[t] = (conc_arg){ls, APPENDS, bases[t]};
    pthread_create(&th[t], NULL, conc_appender, &args[t]);
  }
  for (int t = 0; t < THREADS; t++) {
    void *r;
    pthread_join(th[t], &r);
    cr_assert_null(r);
  }
  fl_log_stats st;
  fl_log_stats_get(log, &st);
  cr_assert_eq(st.appends, THREADS * APPENDS);
  cr_assert_eq(st.records, THREADS * APPENDS * 10);
  cr_assert_eq(st.batches, THREADS * APPENDS);
  cr_assert_eq(st.errors, 0);
  cr_assert_lt(st.fsyncs, st.appends, "fsyncs %" PRIu64 " appends %" PRIu64, st.fsyncs, st.appends);
  char v[250];
  fl_log_record recs[10] = {0};
  for (int i = 0; i < 10; i++) recs[i] = (fl_log_record){v, sizeof v};
  cr_assert_eq(st.bytes, THREADS * APPENDS * fl_log_batch_raw_bytes(recs, 10));
  /* every base offset is a distinct multiple of 10 below the end */
  static bool seen[THREADS * APPENDS];
  for (int t = 0; t < THREADS; t++)
    for (int i = 0; i < APPENDS; i++) {
      cr_assert_eq(bases[t][i] % 10, 0);
      uint64_t k = bases[t][i] / 10;
      cr_assert_lt(k, THREADS * APPENDS);
      cr_assert(!seen[k]);
      seen[k] = true;
    }
  uint64_t end;
  fl_log_partition_offsets(ls, 0, NULL, &end);
  cr_assert_eq(end, THREADS * APPENDS * 10);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

typedef struct async_state {
  pthread_mutex_t mu;
  uint64_t next_expected;
  int calls;
  bool order_ok;
} async_state;

static void async_done(void *ctx, fl_code rc, uint32_t partition, uint64_t base, uint32_t n) {
  async_state *s = ctx;
  pthread_mutex_lock(&s->mu);
  if (rc || partition != 0 || base != s->next_expected) s->order_ok = false;
  s->next_expected = base + n;
  s->calls++;
  pthread_mutex_unlock(&s->mu);
}

Test(log, async_appends_call_back_in_order_after_durability) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  async_state s = {.mu = PTHREAD_MUTEX_INITIALIZER, .order_ok = true};
  char v[8] = "abcdefgh";
  fl_log_record rec = {v, sizeof v};
  for (int i = 0; i < 500; i++) {
    fl_err err;
    cr_assert_eq(fl_log_append(ls, 0, &rec, 1, async_done, &s, &err), FL_OK);
  }
  fl_log_close(log); /* drains the queue: every callback has run */
  cr_assert_eq(s.calls, 500);
  cr_assert(s.order_ok);
  cr_assert_eq(s.next_expected, 500);
  rm_rf(dir);
  fl_free(dir);
}

/* Writes batches of 1..4 records to a fresh log; returns the segment bytes and the
 * byte end and record end of every batch. */
static unsigned char *make_segment(const char *dir, size_t *len, uint64_t *batch_end_pos,
                                   uint64_t *batch_end_off, int nbatches) {
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  uint64_t next = 0, pos = 0;
  for (int b = 0; b < nbatches; b++) {
    uint32_t n = (uint32_t)(b % 4 + 1);
    append_range(ls, 0, next, n);
    char bufs[4][48];
    fl_log_record recs[4] = {0};
    for (uint32_t i = 0; i < n; i++)
      recs[i] = (fl_log_record){bufs[i], (uint32_t)rec_text(next + i, bufs[i])};
    pos += fl_log_batch_raw_bytes(recs, n);
    next += n;
    batch_end_pos[b] = pos;
    batch_end_off[b] = next;
  }
  fl_log_close(log);
  char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  unsigned char *bytes = fl_malloc(pos + 1);
  *len = fread(bytes, 1, pos + 1, f);
  fclose(f);
  cr_assert_eq(*len, pos);
  fl_free(path);
  return bytes;
}

static void write_segment(const char *dir, const unsigned char *bytes, size_t len) {
  char *sdir = fl_sprintf("%s/s", dir), *pdir = fl_sprintf("%s/s/0", dir);
  mkdir(dir, 0755);
  mkdir(sdir, 0755);
  mkdir(pdir, 0755);
  char *path = fl_sprintf("%s/%020d.log", pdir, 0);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(bytes, 1, len, f), len);
  fclose(f);
  fl_free(path);
  fl_free(sdir);
  fl_free(pdir);
}

/* Reopens the damaged log: exactly `keep` records remain, readable, and appends continue at keep. */
static void check_recovered(const char *dir, uint64_t keep, size_t keep_bytes) {
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  fl_log_partition_stat st;
  fl_log_partition_stat_get(ls, 0, &st);
  cr_assert_eq(st.end_offset, keep);
  cr_assert_eq(st.bytes, keep_bytes);
  expect_records(ls, 0, 0, keep);
  append_range(ls, 0, keep, 2);
  expect_records(ls, 0, 0, keep + 2);
  fl_log_close(log);
}

Test(log, recovery_keeps_exactly_the_complete_batches_at_every_truncation_point) {
  char *root = tmpdir();
  char *src = fl_sprintf("%s/src", root);
  enum { NB = 6 };
  uint64_t end_pos[NB], end_off[NB];
  size_t len;
  unsigned char *bytes = make_segment(src, &len, end_pos, end_off, NB);
  for (size_t cut = 0; cut <= len; cut++) {
    char *dir = fl_sprintf("%s/cut%zu", root, cut);
    write_segment(dir, bytes, cut);
    uint64_t keep = 0, keep_bytes = 0;
    for (int b = 0; b < NB; b++)
      if (end_pos[b] <= cut) {
        keep = end_off[b];
        keep_bytes = end_pos[b];
      }
    check_recovered(dir, keep, keep_bytes);
    rm_rf(dir);
    fl_free(dir);
  }
  fl_free(bytes);
  rm_rf(root);
  fl_free(src);
  fl_free(root);
}

/* A flipped byte: damage_test.c (later batches are kept, the damaged bytes copied aside). */

Test(log, retention_deletes_old_segments_only_below_the_floor_and_never_the_active_one) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 200);
  fl_log_stream *ls = open_stream(log, "s", 1);
  uint64_t next = 0;
  for (int b = 0; b < 30; b++) {
    append_range(ls, 0, next, 3);
    next += 3;
  }
  fl_log_partition_stat st;
  fl_log_partition_stat_get(ls, 0, &st);
  uint32_t segs = st.segments;
  cr_assert_gt(segs, 4);
  fl_log_stream_retention_set(ls, 0, 1); /* keep at most 1 byte: everything is deletable by size */
  uint64_t deleted;
  fl_err err;
  /* floor 0 (the default): nothing may go */
  cr_assert_eq(fl_log_retention_run(log, 0, &deleted, &err), FL_OK);
  cr_assert_eq(deleted, 0);
  /* floor in the middle: only segments wholly below it go */
  fl_log_set_retain_floor(ls, 0, 40);
  cr_assert_eq(fl_log_retention_run(log, 0, &deleted, &err), FL_OK);
  cr_assert_gt(deleted, 0);
  fl_log_partition_stat_get(ls, 0, &st);
  cr_assert_leq(st.start_offset, 40);
  cr_assert_gt(st.start_offset, 0);
  expect_records(ls, 0, st.start_offset, next);
  { /* a reader from 0 starts at the new start offset */
    fl_log_reader *rd;
    fl_log_entry e;
    bool eof;
    cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK);
    cr_assert(!eof);
    cr_assert_eq(e.offset, st.start_offset);
    fl_log_reader_close(rd);
  }
  /* no floor: all but the active segment go */
  fl_log_set_retain_floor(ls, 0, UINT64_MAX);
  cr_assert_eq(fl_log_retention_run(log, 0, &deleted, &err), FL_OK);
  fl_log_partition_stat_get(ls, 0, &st);
  cr_assert_eq(st.segments, 1);
  cr_assert_eq(st.end_offset, next);
  append_range(ls, 0, next, 1);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(log, retention_by_age_keeps_young_segments) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 200);
  fl_log_stream *ls = open_stream(log, "s", 1);
  uint64_t next = 0;
  for (int b = 0; b < 20; b++) {
    append_range(ls, 0, next, 3);
    next += 3;
  }
  fl_log_set_retain_floor(ls, 0, UINT64_MAX);
  fl_log_stream_retention_set(ls, 3600 * 1000, 0);
  uint64_t deleted;
  fl_err err;
  int64_t now = (int64_t)time(NULL) * 1000;
  cr_assert_eq(fl_log_retention_run(log, now, &deleted, &err), FL_OK);
  cr_assert_eq(deleted, 0); /* all written just now */
  cr_assert_eq(fl_log_retention_run(log, now + 2 * 3600 * 1000, &deleted, &err), FL_OK);
  cr_assert_gt(deleted, 0);
  fl_log_partition_stat st;
  fl_log_partition_stat_get(ls, 0, &st);
  cr_assert_eq(st.segments, 1);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

static off_t file_size(const char *path) {
  struct stat st;
  cr_assert_eq(stat(path, &st), 0, "%s", path);
  return st.st_size;
}

Test(log, injected_enospc_fails_the_append_truncates_it_and_later_appends_work) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  append_range(ls, 0, 0, 4);
  char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  off_t before = file_size(path);
  fl_log_test_fail_writes(log, ENOSPC, 1);
  char v[] = "lost";
  fl_log_record rec = {v, 4};
  fl_err err;
  cr_assert_eq(fl_log_append_sync(ls, 0, &rec, 1, NULL, &err), FL_ENOSPC);
  cr_assert_eq(file_size(path), before);
  fl_log_test_fail_writes(log, EIO, 1);
  cr_assert_eq(fl_log_append_sync(ls, 0, &rec, 1, NULL, &err), FL_EIO);
  cr_assert_eq(file_size(path), before);
  append_range(ls, 0, 4, 3);
  expect_records(ls, 0, 0, 7);
  fl_log_stats st;
  fl_log_stats_get(log, &st);
  cr_assert_eq(st.errors, 2);
  fl_log_close(log);
  log = open_log(dir, 0);
  ls = open_stream(log, "s", 1);
  expect_records(ls, 0, 0, 7);
  fl_log_close(log);
  fl_free(path);
  rm_rf(dir);
  fl_free(dir);
}

Test(log, real_enospc_on_a_full_tmpfs_acks_nothing_unstored_and_recovers) {
  char *dir = tmpdir();
  /* a private mount namespace: the tmpfs goes away with this test's process even
   * if an assertion fails before the umount below */
  if (unshare(CLONE_NEWNS) == 0) mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  if (mount("tmpfs", dir, "tmpfs", 0, "size=2m") != 0) {
    rm_rf(dir);
    fl_free(dir);
    cr_skip_test("cannot mount a tmpfs here (%s)", strerror(errno));
  }
  char *logdir = fl_sprintf("%s/log", dir);
  char *filler = fl_sprintf("%s/filler", dir);
  FILE *f = fopen(filler, "wb");
  static char fill[512 << 10];
  cr_assert_eq(fwrite(fill, 1, sizeof fill, f), sizeof fill);
  fclose(f);
  fl_log *log = open_log(logdir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  static char v[1000];
  memset(v, 'e', sizeof v);
  fl_log_record recs[50] = {0};
  for (int i = 0; i < 50; i++) recs[i] = (fl_log_record){v, sizeof v};
  uint64_t acked = 0, base;
  fl_code rc = FL_OK;
  fl_err err;
  for (int i = 0; i < 100 && !rc; i++) { /* 100 x 50 KB = 5 MB > 2 MiB */
    rc = fl_log_append_sync(ls, 0, recs, 50, &base, &err);
    if (!rc) {
      cr_assert_eq(base, acked);
      acked += 50;
    }
  }
  cr_assert_eq(rc, FL_ENOSPC, "%s", err.msg);
  cr_assert_gt(acked, 0);
  uint64_t end;
  fl_log_partition_offsets(ls, 0, NULL, &end);
  cr_assert_eq(end, acked);
  char *path = fl_sprintf("%s/s/0/%020d.log", logdir, 0);
  cr_assert_eq((uint64_t)file_size(path), acked / 50 * fl_log_batch_raw_bytes(recs, 50));
  /* space returns (an operator frees it): the same open log appends again */
  cr_assert_eq(unlink(filler), 0);
  cr_assert_eq(fl_log_append_sync(ls, 0, recs, 50, &base, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(base, acked);
  acked += 50;
  fl_log_close(log);
  log = open_log(logdir, 0);
  ls = open_stream(log, "s", 1);
  fl_log_partition_offsets(ls, 0, NULL, &end);
  cr_assert_eq(end, acked);
  fl_log_close(log);
  fl_free(path);
  fl_free(filler);
  umount(dir);
  fl_free(logdir);
  rm_rf(dir);
  fl_free(dir);
}

Test(log, read_only_open_reads_and_refuses_appends) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 3);
  append_range(ls, 1, 0, 4);
  fl_log_opts ro = {.read_only = true};
  fl_log *rlog;
  fl_err err;
  cr_assert_eq(fl_log_open(dir, &ro, &rlog, &err), FL_OK, "%s", err.msg); /* while the writer is open */
  fl_log_stream *rls;
  cr_assert_eq(fl_log_stream_open(rlog, "s", 0, &rls, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_log_stream_npartitions(rls), 3);
  expect_records(rls, 1, 0, 4);
  expect_records(rls, 0, 0, 0);
  char v[] = "x";
  fl_log_record rec = {v, 1};
  cr_assert_eq(fl_log_append(rls, 0, &rec, 1, NULL, NULL, &err), FL_EINVAL);
  char **names;
  uint32_t n;
  cr_assert_eq(fl_log_stream_list(rlog, &names, &n, &err), FL_OK);
  cr_assert_eq(n, 1);
  cr_assert_str_eq(names[0], "s");
  fl_log_names_free(names, n);
  fl_log_close(rlog);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(log, bad_names_partitions_and_a_second_writer_are_refused) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls;
  fl_err err;
  cr_assert_eq(fl_log_stream_open(log, "../x", 1, &ls, &err), FL_EINVAL);
  cr_assert_eq(fl_log_stream_open(log, ".hidden", 1, &ls, &err), FL_EINVAL);
  cr_assert_eq(fl_log_stream_open(log, "missing", 0, &ls, &err), FL_ENOENT);
  cr_assert_eq(fl_log_stream_open(log, "s.quarantine", 2, &ls, &err), FL_OK);
  fl_log_stream *again;
  cr_assert_eq(fl_log_stream_open(log, "s.quarantine", 2, &again, &err), FL_OK);
  cr_assert_eq(again, ls);
  cr_assert_eq(fl_log_stream_open(log, "s.quarantine", 3, &again, &err), FL_EINVAL);
  char v[] = "x";
  fl_log_record rec = {v, 1};
  cr_assert_eq(fl_log_append(ls, 2, &rec, 1, NULL, NULL, &err), FL_EINVAL);
  cr_assert_eq(fl_log_append(ls, 0, &rec, 0, NULL, NULL, &err), FL_EINVAL);
  fl_log *second;
  cr_assert_eq(fl_log_open(dir, NULL, &second, &err), FL_ECONFLICT);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* A child appends as fast as it can and reports each acknowledged batch on a pipe;
 * the parent SIGKILLs it at a random moment, 5 times over the same log: after each
 * kill the log holds every acknowledged record, dense, each value intact. */
Test(log, sigkill_during_appends_loses_no_acknowledged_record) {
  char *dir = tmpdir();
  uint64_t acked_end = 0;
  srand((unsigned)getpid());
  for (int round = 0; round < 5; round++) {
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      fl_log *log = open_log(dir, 4096);
      fl_log_stream *ls = open_stream(log, "s", 1);
      for (;;) {
        uint64_t end;
        fl_log_partition_offsets(ls, 0, NULL, &end);
        char bufs[8][48];
        fl_log_record recs[8] = {0};
        for (int i = 0; i < 8; i++)
          recs[i] = (fl_log_record){bufs[i], (uint32_t)rec_text(end + (uint64_t)i, bufs[i])};
        uint64_t base;
        fl_err err;
        if (fl_log_append_sync(ls, 0, recs, 8, &base, &err) || base != end) _exit(3);
        uint64_t e = base + 8;
        if (write(fds[1], &e, sizeof e) != sizeof e) _exit(4);
      }
    }
    close(fds[1]);
    /* the first acknowledgement, then a random moment: a busy machine may take longer
     * than the random delay alone to open the log and sync a first append */
    uint64_t first;
    cr_assert_eq(read(fds[0], &first, sizeof first), (ssize_t)sizeof first, "the child acknowledged nothing");
    if (first > acked_end) acked_end = first;
    usleep((useconds_t)(20000 + rand() % 80000));
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status), "child exited with %d", WEXITSTATUS(status));
    uint64_t e;
    while (read(fds[0], &e, sizeof e) == sizeof e)
      if (e > acked_end) acked_end = e;
    close(fds[0]);
    cr_assert_gt(acked_end, 0);
    fl_log *log = open_log(dir, 4096);
    fl_log_stream *ls = open_stream(log, "s", 1);
    uint64_t end;
    fl_log_partition_offsets(ls, 0, NULL, &end);
    cr_assert_geq(end, acked_end, "round %d: end %" PRIu64 " < acknowledged %" PRIu64, round, end, acked_end);
    expect_records(ls, 0, 0, end);
    fl_log_close(log);
  }
  rm_rf(dir);
  fl_free(dir);
}

Test(log, the_log_thread_runs_retention_periodically) {
  char *dir = tmpdir();
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.segment_bytes = 200, .retention_check_ms = 10};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK);
  fl_log_stream *ls = open_stream(log, "s", 1);
  uint64_t next = 0;
  for (int b = 0; b < 20; b++) {
    append_range(ls, 0, next, 3);
    next += 3;
  }
  fl_log_stream_retention_set(ls, 0, 1);
  fl_log_set_retain_floor(ls, 0, UINT64_MAX);
  fl_log_partition_stat st;
  for (int i = 0; i < 200; i++) {
    fl_log_partition_stat_get(ls, 0, &st);
    if (st.segments == 1) break;
    usleep(10000);
  }
  cr_assert_eq(st.segments, 1);
  cr_assert_eq(st.end_offset, next);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

typedef struct tail_arg {
  fl_log_stream *ls;
  uint32_t partition;
  volatile bool *stop;
  uint64_t read, bad;
} tail_arg;

/* Tails a partition from 0: offsets must rise by one (a gap is allowed only where
 * retention removed a segment), every value intact. */
static void *tailer(void *p) {
  tail_arg *a = p;
  fl_log_reader *rd;
  fl_err err;
  if (fl_log_reader_open(a->ls, a->partition, 0, &rd, &err)) return (void *)1;
  uint64_t next = 0;
  bool done = false;
  for (;;) {
    fl_log_entry e;
    bool eof;
    if (fl_log_reader_next(rd, &e, &eof, &err)) {
      a->bad++;
      break;
    }
    if (eof) {
      if (done) break;
      done = *a->stop; /* one more pass after stop: everything durable is read */
      usleep(200);
      continue;
    }
    char buf[48];
    size_t n = rec_text(e.offset, buf);
    if (e.offset < next || e.value_len != n || memcmp(e.value, buf, n)) a->bad++;
    next = e.offset + 1;
    a->read++;
  }
  fl_log_reader_close(rd);
  return NULL;
}

typedef struct part_appender_arg {
  fl_log_stream *ls;
  uint32_t partition;
  int batches;
} part_appender_arg;

static void *part_appender(void *p) {
  part_appender_arg *a = p;
  uint64_t next = 0;
  for (int b = 0; b < a->batches; b++) {
    append_range(a->ls, a->partition, next, 5);
    next += 5;
  }
  return NULL;
}

Test(log, readers_tail_concurrent_appends_rolls_and_retention_without_gaps_or_damage) {
  char *dir = tmpdir();
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.segment_bytes = 1000, .retention_check_ms = 2, .index_interval_bytes = 100};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK);
  fl_log_stream *ls = open_stream(log, "s", 2);
  fl_log_stream_retention_set(ls, 0, 3000);   /* partition bytes over 3000: old segments go */
  fl_log_set_retain_floor(ls, 1, UINT64_MAX); /* partition 0 keeps its default floor 0 */
  volatile bool stop = false;
  pthread_t app[2], tail[2];
  part_appender_arg aa[2];
  tail_arg ta[2];
  for (uint32_t p = 0; p < 2; p++) {
    aa[p] = (part_appender_arg){ls, p, 300};
    ta[p] = (tail_arg){.ls = ls, .partition = p, .stop = &stop};
    pthread_create(&tail[p], NULL, tailer, &ta[p]);
    pthread_create(&app[p], NULL, part_appender, &aa[p]);
  }
  for (int p = 0; p < 2; p++) pthread_join(app[p], NULL);
  stop = true;
  for (int p = 0; p < 2; p++) {
    void *r;
    pthread_join(tail[p], &r);
    cr_assert_null(r);
    cr_assert_eq(ta[p].bad, 0, "partition %d", p);
  }
  cr_assert_eq(ta[0].read, 1500); /* floor 0: nothing deleted, every record read */
  cr_assert_gt(ta[1].read, 0);
  fl_log_partition_stat st0, st1;
  fl_log_partition_stat_get(ls, 0, &st0);
  fl_log_partition_stat_get(ls, 1, &st1);
  cr_assert_eq(st0.start_offset, 0);
  cr_assert_eq(st0.end_offset, 1500);
  cr_assert_gt(st1.start_offset, 0);
  cr_assert_eq(st1.end_offset, 1500);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* Regression (issue 11): retention ran only while the append queue was empty, so
 * under steady appends a partition grew far past retention_bytes (40x in the field;
 * 23x here before the fix). Two threads keep the queue full with async appends of
 * 64 KiB batches until 96 MiB have been written to one partition with a 4 MiB limit;
 * the partition's durable size, sampled every millisecond, must stay within the
 * limit plus its active segment (segment_bytes plus one group: at most
 * queue_bytes_max and the one batch that may pass it), and so must the segment files
 * left on disk once the log is closed (their unlinks are the retention thread's). */
enum { STEADY_SEG = 1 << 20, STEADY_QUEUE = 2 << 20, STEADY_KEEP = 4 << 20, STEADY_REC = 4096 };
#define STEADY_TOTAL (96ull << 20)

typedef struct steady_arg {
  fl_log_stream *ls;
  uint64_t *queued; /* shared: bytes queued so far by both threads */
  uint64_t done, failed;
} steady_arg;

static void steady_done(void *ctx, fl_code rc, uint32_t partition, uint64_t base, uint32_t n) {
  steady_arg *a = ctx;
  __atomic_fetch_add(rc ? &a->failed : &a->done, n, __ATOMIC_RELAXED);
}

static void *steady_appender(void *p) {
  steady_arg *a = p;
  static char value[STEADY_REC];
  fl_log_record recs[16] = {0};
  for (int i = 0; i < 16; i++) recs[i] = (fl_log_record){value, sizeof value};
  while (__atomic_fetch_add(a->queued, sizeof recs / sizeof recs[0] * STEADY_REC, __ATOMIC_RELAXED) <
         STEADY_TOTAL) {
    fl_err err;
    fl_code rc;
    while ((rc = fl_log_append(a->ls, 0, recs, 16, steady_done, a, &err)) == FL_ELIMIT)
      usleep(100); /* back-pressure, as the server answers 503 */
    if (rc) return (void *)1;
  }
  return NULL;
}

Test(log, retention_keeps_a_partition_near_its_size_limit_under_steady_appends) {
  char *dir = tmpdir();
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.segment_bytes = STEADY_SEG, .queue_bytes_max = STEADY_QUEUE, .retention_check_ms = 20};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  fl_log_stream *ls = open_stream(log, "s", 1);
  fl_log_stream_retention_set(ls, 0, STEADY_KEEP);
  fl_log_set_retain_floor(ls, 0, UINT64_MAX);
  uint64_t queued = 0;
  steady_arg args[2] = {{ls, &queued, 0, 0}, {ls, &queued, 0, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, steady_appender, &args[i]);
  uint64_t max_bytes = 0, samples = 0;
  fl_log_partition_stat st;
  while (__atomic_load_n(&queued, __ATOMIC_RELAXED) < STEADY_TOTAL) {
    fl_log_partition_stat_get(ls, 0, &st);
    if (st.bytes > max_bytes) max_bytes = st.bytes;
    samples++;
    usleep(1000);
  }
  for (int i = 0; i < 2; i++) {
    void *r;
    pthread_join(t[i], &r);
    cr_assert_null(r);
  }
  fl_log_close(log); /* drains: every callback has run */
  uint64_t bound = STEADY_KEEP + STEADY_SEG + STEADY_QUEUE + 16 * (STEADY_REC + 64) + 64;
  cr_assert_eq(args[0].failed + args[1].failed, 0);
  cr_assert_geq((args[0].done + args[1].done) * STEADY_REC, STEADY_TOTAL);
  cr_assert_gt(samples, 10);
  cr_log_info("steady appends: partition at most %" PRIu64 " bytes over %" PRIu64
              " samples (limit %d, bound %" PRIu64 ")",
              max_bytes, samples, STEADY_KEEP, bound);
  cr_assert_leq(max_bytes, bound, "partition reached %" PRIu64 " bytes, limit %d (%.1fx)", max_bytes,
                STEADY_KEEP, (double)max_bytes / STEADY_KEEP);
  /* what stays on disk after the last pass is within the bound too */
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  ls = open_stream(log, "s", 0);
  fl_log_partition_stat_get(ls, 0, &st);
  cr_assert_leq(st.bytes, bound, "%" PRIu64 " bytes left on disk", st.bytes);
  cr_assert_gt(st.start_offset, 0);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* The log records into the metrics registry: per stream appends, records and bytes
 * (exactly what was made durable), and fsyncs / group commits that the log's own
 * counters agree with. */
Test(log, appends_fsyncs_and_groups_show_in_the_metrics) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 1 << 20);
  fl_log_stream *a = open_stream(log, "orders", 2), *b = open_stream(log, "clicks", 1);
  uint64_t next0 = 0, next1 = 0;
  for (int i = 0; i < 10; i++) {
    append_range(a, 0, next0, 3);
    next0 += 3;
  }
  append_range(a, 1, next1, 5);
  append_range(b, 0, 0, 1);
  /* the log thread counts a group (and observes its duration) after the callbacks that
   * release fl_log_append_sync, then drops the queued bytes under log->mu: once they
   * read 0, the next read sees every counter of the last group */
  fl_log_stats st;
  for (int i = 0; i < 10000; i++) {
    fl_log_stats_get(log, &st);
    if (!st.queued_bytes) break;
    usleep(100);
  }
  cr_assert_eq(st.queued_bytes, 0);
  fl_log_stats_get(log, &st);
  fl_buf out = FL_BUF_INIT;
  fl_metrics_render(&out);
  fl_buf_cstr(&out);
  const char *text = (const char *)out.data;
  cr_assert_not_null(strstr(text, "floe_log_appends_total{stream=\"orders\"} 11\n"), "%s", text);
  cr_assert_not_null(strstr(text, "floe_log_appends_total{stream=\"clicks\"} 1\n"));
  cr_assert_not_null(strstr(text, "floe_log_records_total{stream=\"orders\"} 35\n"));
  cr_assert_not_null(strstr(text, "floe_log_records_total{stream=\"clicks\"} 1\n"));
  cr_assert_not_null(strstr(text, "floe_log_append_errors_total{stream=\"orders\"} 0\n"));
  char want[128];
  snprintf(want, sizeof want, "\nfloe_log_fsyncs_total %" PRIu64 "\n", st.fsyncs);
  cr_assert_not_null(strstr(text, want), "%s", want);
  snprintf(want, sizeof want, "\nfloe_log_group_commits_total %" PRIu64 "\n", st.groups);
  cr_assert_not_null(strstr(text, want), "%s", want);
  snprintf(want, sizeof want, "floe_log_group_commit_duration_seconds_count %" PRIu64 "\n", st.groups);
  cr_assert_not_null(strstr(text, want), "%s", want);
  cr_assert_eq(st.appends, 12);
  cr_assert_geq(st.fsyncs, st.groups, "groups %" PRIu64 " fsyncs %" PRIu64, st.groups, st.fsyncs);
  /* bytes: what the log counted as written durably, headers included */
  double bytes = fl_metrics_total("floe_log_bytes_total");
  cr_assert_eq(bytes, (double)st.bytes);
  /* the collector's gauges: each partition's durable size and offsets */
  fl_log_partition_stat ps;
  fl_log_partition_stat_get(a, 0, &ps);
  snprintf(want, sizeof want, "floe_log_partition_bytes{stream=\"orders\",partition=\"0\"} %" PRIu64 "\n",
           ps.bytes);
  cr_assert_not_null(strstr(text, want), "%s", want);
  cr_assert_not_null(strstr(text, "floe_log_partition_next_offset{stream=\"orders\",partition=\"0\"} 30\n"));
  cr_assert_not_null(strstr(text, "floe_log_partition_next_offset{stream=\"orders\",partition=\"1\"} 5\n"));
  cr_assert_not_null(strstr(text, "floe_log_partition_oldest_offset{stream=\"clicks\",partition=\"0\"} 0\n"));
  fl_log_close(log); /* the queue gauge drops after the callbacks: read it once drained */
  fl_buf_clear(&out);
  fl_metrics_render(&out);
  fl_buf_cstr(&out);
  cr_assert_not_null(strstr((const char *)out.data, "\nfloe_log_queue_bytes 0\n"));
  fl_buf_free(&out);
  rm_rf(dir);
  fl_free(dir);
}
