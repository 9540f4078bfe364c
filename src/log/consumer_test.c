/* Tests of named log consumers: committed offsets stored on disk and reloaded, the
 * retain floor as the minimum over consumers, deletion, reading from the position,
 * wake-up on append (one partition and a set), timeouts, close waking waiters, the
 * lag metric, a damaged consumer file, batch reads and damaged log ranges (stop or skip). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/diag.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/time.h"
#include "log/log.h"

static char *tmpdir(void) {
  fl_diag_set_level(FL_ERROR);
  const char *root = getenv("FLOE_TEST_TMP");
  if (!root || !*root) root = "/tmp";
  mkdir(root, 0755);
  char *t = fl_sprintf("%s/constest.XXXXXX", root);
  cr_assert_not_null(mkdtemp(t));
  return t;
}

static void rm_rf(const char *path) {
  char *cmd = fl_sprintf("rm -rf '%s'", path);
  cr_assert_eq(system(cmd), 0);
  fl_free(cmd);
}

static fl_log *open_log(const char *dir, uint64_t segment_bytes, bool ro) {
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.segment_bytes = segment_bytes, .retention_check_ms = -1, .read_only = ro};
  fl_code rc = fl_log_open(dir, &opts, &log, &err);
  cr_assert_eq(rc, FL_OK, "%s", err.msg);
  return log;
}

static fl_log_stream *open_stream(fl_log *log, const char *name, uint32_t np) {
  fl_log_stream *ls;
  fl_err err;
  fl_code rc = fl_log_stream_open(log, name, np, &ls, &err);
  cr_assert_eq(rc, FL_OK, "%s", err.msg);
  return ls;
}

static fl_log_consumer *open_consumer(fl_log_stream *ls, const char *name, bool at_end) {
  fl_log_consumer *c;
  fl_err err;
  fl_log_consumer_opts o = {.start_at_end = at_end};
  fl_code rc = fl_log_consumer_open(ls, name, &o, &c, &err);
  cr_assert_eq(rc, FL_OK, "%s", err.msg);
  return c;
}

/* Appends records "r<first>".."r<first+n-1>" to partition p as one batch. */
static void append_n(fl_log_stream *ls, uint32_t p, uint64_t first, uint32_t n) {
  char bufs[32][24];
  fl_log_record recs[32] = {0};
  cr_assert_leq(n, 32);
  for (uint32_t i = 0; i < n; i++) {
    recs[i].value = bufs[i];
    recs[i].value_len = (uint32_t)sprintf(bufs[i], "r%" PRIu64, first + i);
  }
  uint64_t base;
  fl_err err;
  cr_assert_eq(fl_log_append_sync(ls, p, recs, n, &base, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(base, first);
}

static void commit1(fl_log_consumer *c, uint32_t p, uint64_t off) {
  fl_err err;
  cr_assert_eq(fl_log_consumer_commit(c, &p, &off, 1, &err), FL_OK, "%s", err.msg);
}

static uint64_t start_of(fl_log_stream *ls, uint32_t p) {
  uint64_t s, e;
  cr_assert_eq(fl_log_partition_offsets(ls, p, &s, &e), FL_OK);
  return s;
}

static void retention(fl_log *log) {
  fl_err err;
  cr_assert_eq(fl_log_retention_run(log, 0, NULL, &err), FL_OK, "%s", err.msg);
}

Test(consumer, two_consumers_hold_the_slowest_floor_and_deleting_one_releases_it) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 200, false);
  fl_log_stream *ls = open_stream(log, "s", 1);
  for (uint64_t i = 0; i < 90; i += 3) append_n(ls, 0, i, 3);
  fl_log_consumer *fast = open_consumer(ls, "fast", false), *slow = open_consumer(ls, "slow", false);
  cr_assert_eq(fl_log_consumer_committed(fast, 0), 0);
  commit1(fast, 0, 60);
  commit1(slow, 0, 20);
  fl_log_stream_retention_set(ls, 0, 1); /* size limit 1 byte: every sealed segment is deletable */
  /* a floor set the old way does not override the consumers' */
  fl_log_set_retain_floor(ls, 0, UINT64_MAX);
  retention(log);
  uint64_t s1 = start_of(ls, 0);
  cr_assert_gt(s1, 0, "segments wholly below both consumers go");
  cr_assert_leq(s1, 20, "the slow consumer's records stay");
  /* the slow consumer reads on from its committed offset, every record there */
  cr_assert_eq(fl_log_consumer_position(slow, 0), 0, "the position was its committed offset at open");
  fl_log_consumer_seek(slow, 0, 20);
  for (uint64_t want = 20; want < 90; want++) {
    fl_log_entry e;
    bool eof;
    fl_err err;
    cr_assert_eq(fl_log_consumer_next(slow, 0, &e, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert(!eof);
    cr_assert_eq(e.offset, want);
    char b[24];
    int n = sprintf(b, "r%" PRIu64, want);
    cr_assert_eq(e.value_len, (uint32_t)n);
    cr_assert_eq(memcmp(e.value, b, (size_t)n), 0);
  }
  cr_assert_eq(fl_log_consumer_position(slow, 0), 90);
  cr_assert_eq(fl_log_consumer_committed(slow, 0), 20, "reading does not commit");
  /* an open consumer cannot be deleted; a closed one can, and its floor goes */
  fl_err err;
  cr_assert_eq(fl_log_consumer_delete(ls, "slow", &err), FL_ECONFLICT);
  fl_log_consumer_close(slow);
  cr_assert_eq(fl_log_consumer_delete(ls, "slow", &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_log_consumer_delete(ls, "slow", &err), FL_ENOENT);
  retention(log);
  uint64_t s2 = start_of(ls, 0);
  cr_assert_gt(s2, 20);
  cr_assert_leq(s2, 60);
  /* the last consumer gone: fl_log_set_retain_floor's value (no floor) applies again */
  fl_log_consumer_close(fast);
  cr_assert_eq(fl_log_consumer_delete(ls, "fast", &err), FL_OK, "%s", err.msg);
  retention(log);
  fl_log_partition_stat st;
  fl_log_partition_stat_get(ls, 0, &st);
  cr_assert_eq(st.segments, 1);
  cr_assert_eq(st.end_offset, 90);
  char **names;
  uint32_t n;
  cr_assert_eq(fl_log_consumer_list(ls, &names, &n, &err), FL_OK);
  cr_assert_eq(n, 0);
  fl_log_names_free(names, n);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(consumer, reopen_restores_committed_offsets_and_their_floor_without_opening_the_consumer) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 200, false);
  fl_log_stream *ls = open_stream(log, "s", 2);
  for (uint64_t i = 0; i < 60; i += 3) append_n(ls, 0, i, 3);
  append_n(ls, 1, 0, 5);
  fl_log_consumer *c = open_consumer(ls, "job", false);
  fl_err err;
  uint64_t offs[2] = {33, 4};
  cr_assert_eq(fl_log_consumer_commit(c, NULL, offs, 2, &err), FL_OK, "%s", err.msg);
  fl_log_close(log); /* closes the consumer too */

  /* the file: 16 + 8 bytes per partition, where the design says */
  char *path = fl_sprintf("%s/s/.consumers/job", dir);
  struct stat stt;
  cr_assert_eq(stat(path, &stt), 0);
  cr_assert_eq(stt.st_size, 16 + 2 * 8);

  /* a read-only log (floe log --stat) sees it */
  log = open_log(dir, 200, true);
  ls = open_stream(log, "s", 0);
  char **names;
  uint32_t n;
  cr_assert_eq(fl_log_consumer_list(ls, &names, &n, &err), FL_OK);
  cr_assert_eq(n, 1);
  cr_assert_str_eq(names[0], "job");
  fl_log_names_free(names, n);
  uint64_t got[2] = {0, 0};
  cr_assert_eq(fl_log_consumer_load(ls, "job", got, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(got[0], 33);
  cr_assert_eq(got[1], 4);
  cr_assert_eq(fl_log_consumer_open(ls, "job", NULL, &c, &err), FL_EINVAL, "read-only: no consumer handle");
  fl_log_close(log);

  /* a writer: the floor holds at once, before anyone opens the consumer */
  log = open_log(dir, 200, false);
  ls = open_stream(log, "s", 0);
  fl_log_stream_retention_set(ls, 0, 1);
  retention(log);
  uint64_t s0 = start_of(ls, 0);
  cr_assert_gt(s0, 0);
  cr_assert_leq(s0, 33);
  c = open_consumer(ls, "job", false);
  cr_assert_eq(fl_log_consumer_committed(c, 0), 33);
  cr_assert_eq(fl_log_consumer_committed(c, 1), 4);
  cr_assert_eq(fl_log_consumer_position(c, 0), 33);
  fl_log_entry e;
  bool eof;
  cr_assert_eq(fl_log_consumer_next(c, 1, &e, &eof, &err), FL_OK);
  cr_assert(!eof);
  cr_assert_eq(e.offset, 4);
  cr_assert_eq(fl_log_consumer_next(c, 1, &e, &eof, &err), FL_OK);
  cr_assert(eof);
  /* a second handle of the same name is refused */
  fl_log_consumer *c2;
  cr_assert_eq(fl_log_consumer_open(ls, "job", NULL, &c2, &err), FL_ECONFLICT);
  fl_log_consumer_close(c);
  fl_log_close(log);
  fl_free(path);
  rm_rf(dir);
  fl_free(dir);
}

Test(consumer, a_new_consumer_starts_at_the_start_or_the_end_and_bad_names_are_refused) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 1 << 20, false);
  fl_log_stream *ls = open_stream(log, "s", 1);
  append_n(ls, 0, 0, 7);
  fl_log_consumer *a = open_consumer(ls, "a", false), *b = open_consumer(ls, "b", true);
  cr_assert_eq(fl_log_consumer_committed(a, 0), 0);
  cr_assert_eq(fl_log_consumer_committed(b, 0), 7);
  fl_log_entry e;
  bool eof;
  fl_err err;
  cr_assert_eq(fl_log_consumer_next(b, 0, &e, &eof, &err), FL_OK);
  cr_assert(eof);
  fl_log_consumer_seek(b, 0, 5);
  cr_assert_eq(fl_log_consumer_next(b, 0, &e, &eof, &err), FL_OK);
  cr_assert(!eof);
  cr_assert_eq(e.offset, 5);
  fl_log_consumer *x;
  cr_assert_eq(fl_log_consumer_open(ls, ".hidden", NULL, &x, &err), FL_EINVAL);
  cr_assert_eq(fl_log_consumer_open(ls, "a/b", NULL, &x, &err), FL_EINVAL);
  cr_assert_eq(fl_log_consumer_open(ls, "", NULL, &x, &err), FL_EINVAL);
  uint32_t bad = 1;
  uint64_t off = 0;
  cr_assert_eq(fl_log_consumer_commit(a, &bad, &off, 1, &err), FL_EINVAL);
  fl_log_consumer_close(a);
  fl_log_consumer_close(b);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

typedef struct waiter {
  fl_log_consumer *c;
  fl_log_stream *ls;
  const uint32_t *parts;
  uint32_t n;
  uint64_t from[4];
  int64_t timeout_ms;
  fl_log_wait_result res;
  uint32_t ready;
  fl_log_entry e;
  bool eof;
  char value[24];
} waiter;

static void *wait_main(void *arg) {
  waiter *w = arg;
  if (w->c) {
    w->res = fl_log_consumer_wait(w->c, w->parts, w->n, w->timeout_ms, &w->ready);
    if (w->res == FL_LOG_WAIT_READY) {
      fl_err err;
      cr_assert_eq(fl_log_consumer_next(w->c, w->ready, &w->e, &w->eof, &err), FL_OK);
      if (!w->eof) memcpy(w->value, w->e.value, w->e.value_len < 23 ? w->e.value_len : 23);
    }
  } else {
    w->res = fl_log_wait(w->ls, w->parts, w->from, w->n, w->timeout_ms, &w->ready);
  }
  return NULL;
}

Test(consumer, a_waiting_consumer_is_woken_by_an_append_to_a_partition_of_its_set) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 1 << 20, false);
  fl_log_stream *ls = open_stream(log, "s", 3);
  append_n(ls, 0, 0, 2);
  fl_log_consumer *c = open_consumer(ls, "c", true); /* positions 2, 0, 0 */
  uint32_t set[2] = {1, 2};
  waiter w = {.c = c, .parts = set, .n = 2, .timeout_ms = -1};
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, wait_main, &w), 0);
  usleep(20000);
  append_n(ls, 0, 2, 1); /* not in the set: the waiter re-checks and sleeps on */
  usleep(20000);
  append_n(ls, 2, 0, 1);
  pthread_join(t, NULL);
  cr_assert_eq(w.res, FL_LOG_WAIT_READY);
  cr_assert_eq(w.ready, 2);
  cr_assert(!w.eof);
  cr_assert_eq(w.e.offset, 0);
  cr_assert_str_eq(w.value, "r0");
  /* with data at the position already, wait returns at once, even with timeout 0 */
  uint32_t p0 = 0, r = 99;
  cr_assert_eq(fl_log_consumer_wait(c, &p0, 1, 0, &r), FL_LOG_WAIT_READY);
  cr_assert_eq(r, 0);
  /* all partitions (parts NULL) */
  waiter w2 = {.ls = ls, .parts = NULL, .n = 3, .from = {3, 0, 1}, .timeout_ms = -1};
  cr_assert_eq(pthread_create(&t, NULL, wait_main, &w2), 0);
  usleep(20000);
  append_n(ls, 1, 0, 1);
  pthread_join(t, NULL);
  cr_assert_eq(w2.res, FL_LOG_WAIT_READY);
  cr_assert_eq(w2.ready, 1);
  fl_log_consumer_close(c);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(consumer, a_wait_with_nothing_new_times_out_after_its_timeout) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 1 << 20, false);
  fl_log_stream *ls = open_stream(log, "s", 1);
  append_n(ls, 0, 0, 3);
  fl_log_consumer *c = open_consumer(ls, "c", true);
  cr_assert_eq(fl_log_consumer_wait(c, NULL, 0, 0, NULL), FL_LOG_WAIT_TIMEOUT);
  int64_t t0 = fl_mono_ns();
  cr_assert_eq(fl_log_consumer_wait(c, NULL, 0, 50, NULL), FL_LOG_WAIT_TIMEOUT);
  cr_assert_geq(fl_mono_ns() - t0, 50 * 1000000ll, "returned before its timeout");
  uint64_t from = 3;
  uint32_t p = 0;
  cr_assert_eq(fl_log_wait(ls, &p, &from, 1, 10, NULL), FL_LOG_WAIT_TIMEOUT);
  from = 2;
  cr_assert_eq(fl_log_wait(ls, &p, &from, 1, 10, NULL), FL_LOG_WAIT_READY);
  fl_log_consumer_close(c);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* A poke from another thread ends a wait early as a timeout (the stream job's
 * checkpoint request); one before the wait ends the next wait at once, and only it. */
Test(consumer, a_poke_ends_the_current_or_next_wait_once) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 1 << 20, false);
  fl_log_stream *ls = open_stream(log, "s", 1);
  fl_log_consumer *c = open_consumer(ls, "c", true);
  waiter w = {.c = c, .timeout_ms = -1};
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, wait_main, &w), 0);
  usleep(20000);
  fl_log_consumer_poke(c);
  pthread_join(t, NULL);
  cr_assert_eq(w.res, FL_LOG_WAIT_TIMEOUT, "a wait without a limit, ended by the poke");
  fl_log_consumer_poke(c);
  int64_t t0 = fl_mono_ns();
  cr_assert_eq(fl_log_consumer_wait(c, NULL, 0, 10000, NULL), FL_LOG_WAIT_TIMEOUT);
  cr_assert_lt(fl_mono_ns() - t0, 5000 * 1000000ll, "the poke before it ends it at once");
  t0 = fl_mono_ns();
  cr_assert_eq(fl_log_consumer_wait(c, NULL, 0, 30, NULL), FL_LOG_WAIT_TIMEOUT);
  cr_assert_geq(fl_mono_ns() - t0, 30 * 1000000ll, "the poke was taken once");
  fl_log_consumer_close(c);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(consumer, closing_a_consumer_or_the_log_wakes_every_waiter) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 1 << 20, false);
  fl_log_stream *ls = open_stream(log, "s", 2);
  fl_log_consumer *a = open_consumer(ls, "a", true), *b = open_consumer(ls, "b", true);
  waiter wa = {.c = a, .timeout_ms = -1}, wb = {.c = b, .timeout_ms = -1},
         ws = {.ls = ls, .n = 2, .from = {0, 0}, .timeout_ms = -1};
  pthread_t ta, tb, ts;
  cr_assert_eq(pthread_create(&ta, NULL, wait_main, &wa), 0);
  cr_assert_eq(pthread_create(&tb, NULL, wait_main, &wb), 0);
  cr_assert_eq(pthread_create(&ts, NULL, wait_main, &ws), 0);
  usleep(20000);
  fl_log_consumer_close(a); /* from another thread: wakes a's waiter only */
  pthread_join(ta, NULL);
  cr_assert_eq(wa.res, FL_LOG_WAIT_CLOSED);
  fl_log_close(log); /* wakes b's and the stream waiter, frees b */
  pthread_join(tb, NULL);
  pthread_join(ts, NULL);
  cr_assert_eq(wb.res, FL_LOG_WAIT_CLOSED);
  cr_assert_eq(ws.res, FL_LOG_WAIT_CLOSED);
  rm_rf(dir);
  fl_free(dir);
}

Test(consumer, the_lag_gauge_is_the_durable_end_minus_the_committed_offset) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 1 << 20, false);
  fl_log_stream *ls = open_stream(log, "lagged", 2);
  append_n(ls, 0, 0, 10);
  append_n(ls, 1, 0, 4);
  fl_log_consumer *c = open_consumer(ls, "job", false);
  commit1(c, 0, 3);
  fl_buf out = FL_BUF_INIT;
  fl_metrics_render(&out); /* runs the collectors */
  fl_buf_put_u8(&out, 0);
  const char *text = (char *)out.data;
  cr_assert_not_null(strstr(text,
                            "floe_log_consumer_lag{stream=\"lagged\",consumer=\"job\","
                            "partition=\"0\"} 7\n"),
                     "%s", text);
  cr_assert_not_null(strstr(text,
                            "floe_log_consumer_lag{stream=\"lagged\",consumer=\"job\","
                            "partition=\"1\"} 4\n"),
                     "%s", text);
  fl_buf_free(&out);
  fl_log_consumer_close(c);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(consumer, a_damaged_consumer_file_fails_the_stream_open_naming_it_and_a_stale_temp_is_removed) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 1 << 20, false);
  fl_log_stream *ls = open_stream(log, "s", 1);
  append_n(ls, 0, 0, 3);
  fl_log_consumer *c = open_consumer(ls, "job", false);
  commit1(c, 0, 2);
  fl_log_close(log);
  char *tmp = fl_sprintf("%s/s/.consumers/.tmp-job", dir);
  FILE *f = fopen(tmp, "w");
  cr_assert_not_null(f);
  fputs("half a commit", f);
  fclose(f);
  log = open_log(dir, 1 << 20, false);
  ls = open_stream(log, "s", 0);
  cr_assert_eq(access(tmp, F_OK), -1, "the stale temp is gone");
  c = open_consumer(ls, "job", false);
  cr_assert_eq(fl_log_consumer_committed(c, 0), 2);
  fl_log_close(log);
  /* flip one byte of the stored offset: the CRC catches it */
  char *path = fl_sprintf("%s/s/.consumers/job", dir);
  f = fopen(path, "r+b");
  cr_assert_not_null(f);
  fseek(f, 12, SEEK_SET);
  fputc(0x7f, f);
  fclose(f);
  log = open_log(dir, 1 << 20, false);
  fl_err err;
  cr_assert_eq(fl_log_stream_open(log, "s", 0, &ls, &err), FL_ECORRUPT);
  cr_assert_not_null(strstr(err.msg, "consumers/job"), "%s", err.msg);
  cr_assert_not_null(strstr(err.msg, "CRC"), "%s", err.msg);
  fl_log_close(log);
  fl_free(path);
  fl_free(tmp);
  rm_rf(dir);
  fl_free(dir);
}

static void count_damage(void *ctx, const fl_log_damage *d) {
  uint64_t *seen = ctx;
  seen[0]++;
  seen[1] = d->offset;
  seen[2] = d->end_offset;
}

/* A consumer reads a batch at a time; damage in the middle of a segment stops a consumer
 * with FL_ECORRUPT naming it, and one opened with skip_damaged goes on past exactly the
 * damaged batch, reporting its offsets. */
Test(consumer, reads_by_batch_and_stops_at_damage_unless_told_to_skip_it) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0, false);
  fl_log_stream *ls = open_stream(log, "s", 1);
  fl_log_stream_compression_set(ls, 0);
  for (uint64_t b = 0; b < 3; b++) append_n(ls, 0, b * 4, 4);
  fl_log_consumer *c = open_consumer(ls, "a", false);
  fl_log_batch_view v;
  bool eof;
  fl_err err;
  cr_assert_eq(fl_log_consumer_next_batch(c, 0, &v, &eof, &err), FL_OK, "%s", err.msg);
  cr_assert(!eof);
  cr_assert_eq(v.base_offset, 0);
  cr_assert_eq(v.count, 4);
  cr_assert_eq(v.records[3].value_len, 2);
  cr_assert_eq(memcmp(v.records[3].value, "r3", 2), 0);
  cr_assert_eq(fl_log_consumer_position(c, 0), 4);
  fl_log_close(log);

  /* flip a byte in the middle of batch 1's payload */
  char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  FILE *f = fopen(path, "r+b");
  cr_assert_not_null(f);
  unsigned char hdr[40];
  cr_assert_eq(fread(hdr, 1, 40, f), 40);
  uint32_t len0 =
      (uint32_t)hdr[20] | (uint32_t)hdr[21] << 8 | (uint32_t)hdr[22] << 16 | (uint32_t)hdr[23] << 24;
  long at = 40 + (long)len0 + 40 + 10;
  cr_assert_eq(fseek(f, at, SEEK_SET), 0);
  int ch = fgetc(f);
  cr_assert_eq(fseek(f, at, SEEK_SET), 0);
  fputc(ch ^ 0x5a, f);
  fclose(f);
  fl_free(path);

  log = open_log(dir, 0, false);
  ls = open_stream(log, "s", 0);
  uint64_t start, end;
  fl_log_partition_offsets(ls, 0, &start, &end);
  cr_assert_eq(end, 12, "the batch after the damage is kept");
  c = open_consumer(ls, "a", false); /* committed 0: reads batch 0 again */
  cr_assert_eq(fl_log_consumer_next_batch(c, 0, &v, &eof, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(v.count, 4);
  cr_assert_eq(fl_log_consumer_next_batch(c, 0, &v, &eof, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, "consumer a") && strstr(err.msg, "offset 4"), "%s", err.msg);
  cr_assert_eq(fl_log_consumer_position(c, 0), 4, "a consumer never moves past damage unless told to");
  fl_log_consumer_close(c);

  uint64_t seen[3] = {0};
  fl_log_consumer_opts o = {.skip_damaged = true, .on_damage = count_damage, .damage_ctx = seen};
  cr_assert_eq(fl_log_consumer_open(ls, "b", &o, &c, &err), FL_OK, "%s", err.msg);
  uint64_t got = 0, last = 0;
  for (;;) {
    cr_assert_eq(fl_log_consumer_next_batch(c, 0, &v, &eof, &err), FL_OK, "%s", err.msg);
    if (eof) break;
    for (uint32_t i = 0; i < v.count; i++) last = v.records[i].offset;
    got += v.count;
  }
  cr_assert_eq(got, 8);
  cr_assert_eq(last, 11);
  cr_assert_eq(seen[0], 1);
  cr_assert_eq(seen[1], 4);
  cr_assert_eq(seen[2], 8);
  cr_assert_eq(fl_log_consumer_position(c, 0), 12);
  fl_log_consumer_close(c);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}
