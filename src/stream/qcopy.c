/* qcopy: the quarantine copy without stream jobs (floe.yaml stream.enabled: false).
 * `floe serve` still takes events into the log and rejects into "<stream>.quarantine";
 * this thread copies each quarantine log into quarantine.<stream> every interval, with
 * the job's own copy (quarantine.c: same table, columns, offset key floe.log-offset.0,
 * log consumer "quarantine"), committing each stream's rows in a snapshot of their own
 * (no checkpoint id: no job's checkpoint sequence to take part in). So either copy
 * continues where the other stopped when stream.enabled changes (tests/e2e/1008), and
 * there is one log -> Iceberg copy in floe, not two.
 *
 *   start: every table opened (a broken warehouse fails the start, not a later copy)
 *   thread: wait interval ─► each stream: fl_stream_q_commit ─► wait ...
 *   stop:  thread joined ─► one last copy (the records answered before the stop) ─► free
 *
 * The thread owns its warehouse handle and the tables; mu also lets fl_stream_qcopy_flush
 * (tests) run between two of its copies. */
#include <pthread.h>
#include <time.h>

#include "core/diag.h"
#include "core/mem.h"
#include "core/thread.h"
#include "stream/stream.h"
#include "stream/stream_int.h"

#define MOD "stream"

struct fl_stream_qcopy {
  fl_warehouse *wh;
  uint32_t n;
  fl_stream_q **qs; /* [n] */
  int64_t interval_ms;
  pthread_t thread;
  bool started, stop;
  pthread_mutex_t mu;
  pthread_cond_t cond;
};

fl_code fl_stream_qcopy_flush(fl_stream_qcopy *c, fl_err *err) {
  fl_code first = FL_OK;
  pthread_mutex_lock(&c->mu);
  for (uint32_t i = 0; i < c->n; i++) {
    fl_err e = {0};
    fl_code rc = fl_stream_q_commit(c->qs[i], &e);
    if (rc) {
      fl_warn(MOD, "%s", e.msg);
      if (!first) {
        first = rc;
        if (err) *err = e;
      }
    }
  }
  pthread_mutex_unlock(&c->mu);
  return first;
}

static void *copy_thread(void *arg) {
  fl_stream_qcopy *c = arg;
  fl_thread_name("floe-qcopy");
  pthread_mutex_lock(&c->mu);
  while (!c->stop) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += c->interval_ms / 1000;
    ts.tv_nsec += (c->interval_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    pthread_cond_timedwait(&c->cond, &c->mu, &ts);
    if (c->stop) break;
    pthread_mutex_unlock(&c->mu);
    fl_stream_qcopy_flush(c, NULL);
    pthread_mutex_lock(&c->mu);
  }
  pthread_mutex_unlock(&c->mu);
  return NULL;
}

static void qcopy_free(fl_stream_qcopy *c) {
  for (uint32_t i = 0; i < c->n; i++) fl_stream_q_free(c->qs[i]);
  fl_free(c->qs);
  if (c->wh) fl_warehouse_close(c->wh);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cond);
  fl_free(c);
}

fl_code fl_stream_qcopy_start(const fl_stream_qcopy_opts *o, fl_stream_qcopy **out, fl_err *err) {
  fl_stream_qcopy *c = fl_calloc(1, sizeof *c);
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cond, NULL);
  c->interval_ms = o->interval_ms > 0 ? o->interval_ms : 1000;
  c->qs = fl_calloc(o->n ? o->n : 1, sizeof *c->qs);
  fl_code rc = fl_warehouse_open(o->data_dir, &c->wh, err);
  for (uint32_t i = 0; !rc && i < o->n; i++)
    if (!(rc = fl_stream_q_open(c->wh, o->streams[i], o->qls[i], o->skip_damaged, &c->qs[i], err))) c->n++;
  if (!rc && o->thread) {
    if (pthread_create(&c->thread, NULL, copy_thread, c)) FL_ASSERT(0, "pthread_create");
    c->started = true;
  }
  if (rc) {
    qcopy_free(c);
    return rc;
  }
  *out = c;
  return FL_OK;
}

void fl_stream_qcopy_stop(fl_stream_qcopy *c) {
  if (!c) return;
  if (c->started) {
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
  }
  fl_stream_qcopy_flush(c, NULL); /* the last records answered before the stop */
  qcopy_free(c);
}
