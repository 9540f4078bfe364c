/* defer: answers sent later, and the worker pool that produces some of them.
 *
 * A deferral ties an answer that is not ready to its request. fl_http_defer_begin
 * (loop thread) records it in the request's slot, so h2o freeing the request (client
 * gone, HTTP/2 stream reset) clears d->req and the late answer is dropped;
 * fl_http_defer_post (any thread) queues d on its loop's h2o_multithread receiver (an
 * eventfd wakes the loop), which calls d->ready on the loop; fl_http_defer_end
 * (loop thread) unhooks it. The loop counts open deferrals and waits for them at stop.
 *
 * Parking. h2o's HTTP/1 connection stops reading its socket while a request is being
 * answered, and its event loop takes a socket nobody reads out of epoll (EPOLL_CTL_DEL)
 * and puts it back (EPOLL_CTL_ADD) when reading resumes. An answer produced at once does
 * both in one loop turn, so nothing changes; a deferred one (an ack waiting for the
 * log's fsync) paid both system calls, an epoll item freed and allocated again, on every
 * request: 2 of floe's 4.3 system calls per single-event post against the do-nothing
 * server's 1.3, and 8% of floe serve's CPU under 64 connections (perf). So a deferral
 * parks the HTTP/1 socket: reading stays on, with h2o's "don't read" flag set and
 * parked_on_read as the callback. A client that sends nothing more (every well-behaved
 * HTTP/1 client, which waits for its answer) never wakes it, and the socket stays in
 * epoll untouched. If the socket does become readable (a pipelined request, a close),
 * parked_on_read stops reading without reading a byte (h2o does then what it always
 * did). fl_http_defer_end clears the flag: every answer path calls it after queuing the
 * answer and before h2o's write-complete callback (always run later, from the loop's
 * pending list) resumes the connection, which sets its own read callback.
 *
 *
 * Worker pool: a route with `work` becomes an http_job: one fl_malloc holding the
 * captures and a copy of the body (the worker must not touch h2o, whose request may
 * be freed under it), queued under wmu (at most FL_HTTP_JOBS_MAX, else 503). A worker
 * runs work() and posts the deferral; the loop sends job.answer and frees the job.
 * Long requests (queries) are rare next to ingest posts: the allocation per job is
 * the price of never blocking a loop. */
#include <string.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/thread.h"
#include "http/http_int.h"

#define MOD "http"

static h2o_socket_t *http1_socket(h2o_req_t *req) {
  if (req->version >= 0x200 || !req->conn->callbacks->get_socket) return NULL;
  return req->conn->callbacks->get_socket(req->conn);
}

static void parked_on_read(h2o_socket_t *sock, const char *err) {
  (void)err;
  h2o_socket_read_stop(sock);
}

void fl_http_defer_begin(fl_http_loop *loop, h2o_req_t *req, fl_http_defer *d,
                         void (*ready)(fl_http_defer *d)) {
  http_slot *slot = http_slot_get(loop, req);
  FL_ASSERT(slot->defer == NULL, "one deferral per request");
  memset(&d->msg, 0, sizeof d->msg);
  d->loop = loop;
  d->req = req;
  d->ready = ready;
  d->hook = &slot->defer;
  slot->defer = d;
  loop->deferred++;
  h2o_socket_t *sock = http1_socket(req);
  d->parked = sock != NULL;
  if (sock) {
    h2o_socket_dont_read(sock, 1);
    h2o_socket_read_start(sock, parked_on_read);
  }
}

void fl_http_defer_post(fl_http_defer *d) { h2o_multithread_send_message(&d->loop->defer_receiver, &d->msg); }

void fl_http_defer_end(fl_http_defer *d) {
  fl_http_loop *loop = d->loop;
  FL_ASSERT(loop->deferred > 0);
  loop->deferred--;
  if (d->parked && d->req) { /* (no d->req: the connection and its socket are gone) */
    h2o_socket_t *sock = http1_socket(d->req);
    if (sock) h2o_socket_dont_read(sock, 0);
  }
  d->parked = false;
  if (d->hook) *d->hook = NULL; /* the request's slot no longer points here */
  d->hook = NULL;
  d->req = NULL;
}

void http_defer_on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages) {
  while (!h2o_linklist_is_empty(messages)) {
    h2o_multithread_message_t *msg = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
    h2o_linklist_unlink(&msg->link);
    fl_http_defer *d = (fl_http_defer *)msg;
    d->ready(d);
  }
}

/* ---------------------------------------------------------------- jobs */

/* Accept and Content-Type headers longer than this are cut for the worker (media types
 * with parameters are far shorter; a long Accept list's first types come first). */
#define JOB_HEADER_MAX 512

static void job_ready(fl_http_defer *d) {
  http_job *j = (http_job *)d;
  if (d->req) {
    if (j->job.status == 0 && j->job.answer.len == 0)
      fl_http_send_error(d->req, 500, 50003, "route %s produced no answer", j->route->r.name);
    else if (j->job.answer_type)
      fl_http_send_typed(d->req, j->job.status ? j->job.status : 500, j->job.answer_type,
                         (const char *)j->job.answer.data, j->job.answer.len);
    else
      fl_http_send_json(d->req, j->job.status ? j->job.status : 500, (const char *)j->job.answer.data,
                        j->job.answer.len); /* h2o copies the body */
  }
  fl_http_defer_end(d);
  fl_buf_free(&j->job.answer);
  fl_free(j);
}

int http_job_submit(fl_http_loop *loop, h2o_req_t *req, const http_route *hr, const fl_http_match *m) {
  fl_http *http = loop->http;
  size_t caps = 0;
  for (uint32_t i = 0; i < m->n; i++) caps += m->values[i].len;
  /* Accept and Content-Type, copied for the worker (cut at JOB_HEADER_MAX bytes) */
  h2o_iovec_t hv[2] = {{NULL, 0}, {NULL, 0}};
  const h2o_token_t *tokens[2] = {H2O_TOKEN_ACCEPT, H2O_TOKEN_CONTENT_TYPE};
  for (int k = 0; k < 2; k++) {
    ssize_t at = h2o_find_header(&req->headers, tokens[k], -1);
    if (at >= 0) hv[k] = req->headers.entries[at].value;
    if (hv[k].len > JOB_HEADER_MAX) hv[k].len = JOB_HEADER_MAX;
    caps += hv[k].len + 1;
  }
  http_job *j = fl_malloc(sizeof *j + caps + req->entity.len + 1);
  memset(j, 0, sizeof *j);
  j->route = hr;
  j->job.route = hr->r.name;
  char *p = j->data;
  j->job.match.n = m->n;
  for (uint32_t i = 0; i < m->n; i++) {
    memcpy(p, m->values[i].base, m->values[i].len);
    j->job.match.values[i] = h2o_iovec_init(p, m->values[i].len);
    p += m->values[i].len;
  }
  for (int k = 0; k < 2; k++) {
    if (hv[k].len) memcpy(p, hv[k].base, hv[k].len);
    p[hv[k].len] = '\0';
    if (k == 0)
      j->job.accept = p;
    else
      j->job.content_type = p;
    p += hv[k].len + 1;
  }
  if (req->entity.len) memcpy(p, req->entity.base, req->entity.len);
  p[req->entity.len] = '\0';
  j->job.body = p;
  j->job.body_len = req->entity.len;
  pthread_mutex_lock(&http->wmu);
  bool full = http->njobs >= FL_HTTP_JOBS_MAX || http->wstop;
  if (!full) {
    fl_http_defer_begin(loop, req, &j->defer, job_ready);
    if (http->jobs_tail)
      http->jobs_tail->next = j;
    else
      http->jobs_head = j;
    http->jobs_tail = j;
    http->njobs++;
    pthread_cond_signal(&http->wcond);
  }
  pthread_mutex_unlock(&http->wmu);
  if (full) {
    fl_free(j);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
    return fl_http_send_error(req, 503, 50304, "%u long requests are queued; retry later", FL_HTTP_JOBS_MAX);
  }
  return 0;
}

/* Workers run FL_HTTP_WORKER_NICE below the event loops and the log thread: a long
 * request (a heavy query) takes what CPU the ingest leaves, not half of it. Threads a
 * worker starts (a query's parallel workers) inherit its nice value. */
static void *worker_main(void *arg) {
  fl_http *http = arg;
  fl_thread_lower(FL_HTTP_WORKER_NICE); /* before the name: a named thread has its final priority */
  fl_thread_name("floe-worker");
  pthread_mutex_lock(&http->wmu);
  for (;;) {
    while (!http->jobs_head && !http->wstop) pthread_cond_wait(&http->wcond, &http->wmu);
    http_job *j = http->jobs_head;
    if (!j) break; /* stopping and the queue is empty */
    http->jobs_head = j->next;
    if (!http->jobs_head) http->jobs_tail = NULL;
    http->njobs--;
    pthread_mutex_unlock(&http->wmu);
    j->route->r.work(j->route->r.ctx, &j->job);
    fl_http_defer_post(&j->defer);
    pthread_mutex_lock(&http->wmu);
  }
  pthread_mutex_unlock(&http->wmu);
  return NULL;
}

void http_workers_start(fl_http *http) {
  http->nworkers = http->opts.workers;
  http->workers = fl_calloc(http->nworkers, sizeof *http->workers);
  for (uint32_t i = 0; i < http->nworkers; i++)
    if (pthread_create(&http->workers[i], NULL, worker_main, http)) FL_ASSERT(0, "pthread_create");
}

/* After the loops stopped: the queue is drained (every job's answer was awaited by its
 * loop, or the loop gave up at its deadline and the job's post goes nowhere). */
void http_workers_stop(fl_http *http) {
  if (!http->workers) return;
  pthread_mutex_lock(&http->wmu);
  http->wstop = true;
  pthread_cond_broadcast(&http->wcond);
  pthread_mutex_unlock(&http->wmu);
  for (uint32_t i = 0; i < http->nworkers; i++) pthread_join(http->workers[i], NULL);
  fl_free(http->workers);
  http->workers = NULL;
}
