/* Tests of fl_log_many (log.c): several appends queued atomically land in ONE group
 * commit (a request's appends, one per partition, never span two), and a failed add
 * or submit queues none of them and calls no callback. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/diag.h"
#include "core/mem.h"
#include "log/log.h"

static char *tmpdir(void) {
  fl_diag_set_level(FL_ERROR);
  const char *root = getenv("FLOE_TEST_TMP");
  if (!root || !*root) root = "/tmp";
  mkdir(root, 0755);
  char *t = fl_sprintf("%s/manytest.XXXXXX", root);
  cr_assert_not_null(mkdtemp(t));
  return t;
}

static void rm_rf(const char *path) {
  char *cmd = fl_sprintf("rm -rf '%s'", path);
  cr_assert_eq(system(cmd), 0);
  fl_free(cmd);
}

typedef struct waiter {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int pending, failed, calls;
  uint64_t base[8];
} waiter;

static void done(void *ctx, fl_code rc, uint32_t partition, uint64_t base, uint32_t n) {
  (void)n;
  waiter *w = ctx;
  pthread_mutex_lock(&w->mu);
  w->calls++;
  if (rc) w->failed++;
  if (partition < 8) w->base[partition] = base;
  if (--w->pending == 0) pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

enum { NP = 4, ROUNDS = 300 };

Test(many, appends_queued_together_land_in_one_group_commit) {
  char *dir = tmpdir();
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.retention_check_ms = -1};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  fl_log_stream *ls, *q;
  cr_assert_eq(fl_log_stream_open(log, "s", NP, &ls, &err), FL_OK);
  cr_assert_eq(fl_log_stream_open(log, "q", 1, &q, &err), FL_OK);
  waiter w = {.pending = 0};
  pthread_mutex_init(&w.mu, NULL);
  pthread_cond_init(&w.cv, NULL);
  char v[64];
  for (int r = 0; r < ROUNDS; r++) {
    fl_log_many m = {0};
    pthread_mutex_lock(&w.mu);
    w.pending = NP + 1;
    pthread_mutex_unlock(&w.mu);
    for (uint32_t p = 0; p < NP; p++) {
      int len = snprintf(v, sizeof v, "r%d-p%u", r, p);
      fl_log_record rec = {v, (uint32_t)len};
      fl_log_many_add(&m, ls, p, &rec, 1, done, &w);
    }
    fl_log_record qrec = {"rejected", 8};
    fl_log_many_add(&m, q, 0, &qrec, 1, done, &w);
    uint32_t queued;
    cr_assert_eq(fl_log_many_submit(&m, &queued, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(queued, NP + 1);
    pthread_mutex_lock(&w.mu);
    while (w.pending) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
  }
  fl_log_stats st;
  fl_log_stats_get(log, &st);
  cr_assert_eq(w.failed, 0);
  cr_assert_eq(st.appends, (uint64_t)ROUNDS * (NP + 1));
  /* each round waited for its own: exactly one group per round */
  cr_assert_eq(st.groups, ROUNDS, "groups %" PRIu64 " for %d rounds", st.groups, ROUNDS);
  for (uint32_t p = 0; p < NP; p++) {
    uint64_t end;
    fl_log_partition_offsets(ls, p, NULL, &end);
    cr_assert_eq(end, ROUNDS);
    fl_log_reader *rd;
    cr_assert_eq(fl_log_reader_open(ls, p, ROUNDS - 1, &rd, &err), FL_OK);
    fl_log_entry e;
    bool eof;
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK);
    int len = snprintf(v, sizeof v, "r%d-p%u", ROUNDS - 1, p);
    cr_assert_eq(e.value_len, (uint32_t)len);
    cr_assert_eq(memcmp(e.value, v, (size_t)len), 0);
    fl_log_reader_close(rd);
  }
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(many, a_failed_add_queues_none_and_calls_no_callback) {
  char *dir = tmpdir();
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.retention_check_ms = -1};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  fl_log_stream *ls;
  cr_assert_eq(fl_log_stream_open(log, "s", 2, &ls, &err), FL_OK);
  waiter w = {.pending = 0};
  pthread_mutex_init(&w.mu, NULL);
  pthread_cond_init(&w.cv, NULL);
  fl_log_record rec = {"x", 1};
  fl_log_many m = {0};
  fl_log_many_add(&m, ls, 0, &rec, 1, done, &w);
  fl_log_many_add(&m, ls, 7, &rec, 1, done, &w); /* no partition 7 */
  fl_log_many_add(&m, ls, 1, &rec, 1, done, &w);
  uint32_t queued = 99;
  cr_assert_eq(fl_log_many_submit(&m, &queued, &err), FL_EINVAL);
  cr_assert_eq(queued, 0);
  cr_assert(strstr(err.msg, "partition 7"), "%s", err.msg);
  cr_assert_null(m.head);
  /* the log is untouched and m is reusable */
  w.pending = 2;
  fl_log_many_add(&m, ls, 0, &rec, 1, done, &w);
  fl_log_many_add(&m, ls, 1, &rec, 1, done, &w);
  cr_assert_eq(fl_log_many_submit(&m, &queued, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(queued, 2);
  pthread_mutex_lock(&w.mu);
  while (w.pending) pthread_cond_wait(&w.cv, &w.mu);
  pthread_mutex_unlock(&w.mu);
  cr_assert_eq(w.calls, 2);
  cr_assert_eq(w.base[0], 0, "the failed submit took no offset");
  cr_assert_eq(w.base[1], 0);
  fl_log_stats st;
  fl_log_stats_get(log, &st);
  cr_assert_eq(st.appends, 2);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}
