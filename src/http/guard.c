/* guard: the memory budget of request bytes in flight.
 *
 * h2o 2.2 reads a request whole before the handler sees it, so the bytes that matter
 * are where h2o buffers them: an HTTP/1 connection's socket input (headers and body of
 * the request being read) and, once handed to a route, the request's body until h2o
 * frees it (http->dispatched_bytes, counted by the router's per-request slot).
 *
 *   in flight = dispatched_bytes + the sum over loops of their sockets' input bytes
 *
 * Each connection's read callback (h2o's) is wrapped by http_guard_read, which calls it
 * and then counts the socket's input in its loop's total; over max_inflight_bytes the
 * connection, being mid-request (input buffered), stops being read at once, so the
 * kernel's TCP window pushes back on the client instead of our heap growing; new
 * requests with a body get 503 (router.c). h2o sets its callback again at times (a new
 * request, the HTTP/2 upgrade): the wrapper is put back after each call and by the
 * sweep (every FL_HTTP_SWEEP_MS), which also reads paused connections again once the
 * total is under 3/4 of the budget. A paused client still runs into h2o's request
 * timeout, and one that hangs up (POLLRDHUP, seen even behind unread bytes) is read
 * again at once, so h2o sees the end and frees its buffer. Idle connections are never
 * paused: /healthz answers throughout.
 *
 * HTTP/2: h2o keeps each stream's body in its own buffer and its idle timeout restarts
 * with every frame, so a stream trickling one byte a second was never cut. The sweep
 * walks each HTTP/2 connection's streams (h2o's http2_internal.h): the bodies being
 * received count in the budget (a connection receiving one is paused past it like an
 * HTTP/1 one), and a connection with a stream still being received request_timeout
 * after it began is closed through h2o's own idle-timeout path (GOAWAY, then close):
 * the total request deadline that HTTP/1 has from h2o's req_timeout. */
#define _GNU_SOURCE 1 /* POLLRDHUP */
#include <poll.h>
#include <sys/time.h>

#include "core/diag.h"
#include "http/http_int.h"

#include <h2o/http2.h>
#include <h2o/http2_internal.h> /* HTTP/2 streams: state, start, body (khash.h: src/http/compat) */

#define MOD "http"

uint64_t http_inflight_bytes(fl_http *http) {
  uint64_t total = atomic_load_explicit(&http->dispatched_bytes, memory_order_relaxed);
  for (uint32_t i = 0; i < http->nloops; i++)
    total += atomic_load_explicit(&http->loops[i].buffered_bytes, memory_order_relaxed);
  return total;
}

static void count(http_conn *c) {
  fl_http_loop *loop = c->loop;
  size_t now = c->sock && c->sock->input ? c->sock->input->size : 0;
  if (now == c->counted) return;
  FL_ASSERT(loop->buffered >= c->counted);
  loop->buffered = loop->buffered - c->counted + now;
  c->counted = now;
  atomic_store_explicit(&loop->buffered_bytes, loop->buffered + loop->h2_buffered, memory_order_relaxed);
}

void http_guard_closed(http_conn *c) {
  c->sock = NULL;
  count(c);
  c->orig_cb = NULL;
  c->paused = false;
}

static void guard_read(h2o_socket_t *sock, const char *err);

void http_guard_wrap(http_conn *c) {
  h2o_socket_t *sock = c->sock;
  if (sock && sock->_cb.read && sock->_cb.read != guard_read) {
    c->orig_cb = sock->_cb.read;
    sock->_cb.read = guard_read; /* h2o's evloop calls _cb.read on each read event */
  }
}

static void pause_conn(http_conn *c) {
  h2o_socket_read_stop(c->sock);
  c->paused = true;
}

static void resume_conn(http_conn *c) {
  c->paused = false;
  if (c->sock && c->sock->_cb.read == NULL && c->orig_cb) h2o_socket_read_start(c->sock, guard_read);
}

static void guard_read(h2o_socket_t *sock, const char *err) {
  http_conn *c = sock->on_close.data;
  FL_ASSERT(c && c->sock == sock && c->orig_cb);
  c->orig_cb(sock, err);
  if (c->sock != sock) return; /* h2o closed it (on_close cleared the slot) */
  count(c);
  http_guard_wrap(c);
  fl_http *http = c->loop->http;
  if (c->counted && !c->hung_up && sock->_cb.read &&
      http_inflight_bytes(http) > http->opts.max_inflight_bytes)
    pause_conn(c);
}

void http_conn_resume_all(fl_http_loop *loop) {
  if (!loop->conns) return;
  for (uint32_t i = 0; i < loop->http->opts.max_connections; i++)
    if (loop->conns[i].sock && loop->conns[i].paused) resume_conn(&loop->conns[i]);
}

/* HTTP/2 connections: bodies being received, the deadline, pausing past the budget. */
static void sweep_http2(fl_http_loop *loop, bool over) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  int64_t now_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec,
          limit_us = loop->http->opts.request_timeout_ms * 1000;
  uint64_t bytes = 0;
  for (h2o_linklist_t *l = loop->ctx.http2._conns.next; l != &loop->ctx.http2._conns;) {
    h2o_http2_conn_t *conn = H2O_STRUCT_FROM_MEMBER(h2o_http2_conn_t, _conns, l);
    l = l->next; /* conn may close below */
    bool receiving = false, late = false;
    khash_t(h2o_http2_stream_t) *h = conn->streams;
    for (khint_t k = 0; h && k < kh_end(h); k++) {
      if (!kh_exist(h, k)) continue;
      h2o_http2_stream_t *st = kh_val(h, k);
      if (st->state != H2O_HTTP2_STREAM_STATE_RECV_HEADERS && st->state != H2O_HTTP2_STREAM_STATE_RECV_BODY)
        continue;
      receiving = true;
      if (st->_req_body) bytes += st->_req_body->size;
      const struct timeval *b = &st->req.timestamps.request_begin_at;
      if (b->tv_sec && now_us - ((int64_t)b->tv_sec * 1000000 + b->tv_usec) > limit_us) late = true;
    }
    if (late && conn->state != H2O_HTTP2_CONN_STATE_IS_CLOSING) {
      fl_warn(MOD, "an HTTP/2 request was not received within %lld ms: closing its connection",
              (long long)loop->http->opts.request_timeout_ms);
      FL_ASSERT(conn->_timeout_entry.cb != NULL);
      atomic_fetch_add_explicit(&loop->http->deadline_closes, 1, memory_order_relaxed);
      if (h2o_timeout_is_linked(&conn->_timeout_entry)) h2o_timeout_unlink(&conn->_timeout_entry);
      conn->_timeout_entry.cb(&conn->_timeout_entry); /* h2o's idle timeout: GOAWAY, close */
      continue;
    }
    http_conn *c = conn->sock ? conn->sock->on_close.data : NULL;
    if (c && c->sock == conn->sock && receiving && over && !c->paused && !c->hung_up && conn->sock->_cb.read)
      pause_conn(c);
  }
  loop->h2_buffered = bytes;
  atomic_store_explicit(&loop->buffered_bytes, loop->buffered + loop->h2_buffered, memory_order_relaxed);
}

void http_guard_sweep(fl_http_loop *loop) {
  fl_http *http = loop->http;
  if (!h2o_linklist_is_empty(&loop->ctx.http2._conns) || loop->h2_buffered)
    sweep_http2(loop, http_inflight_bytes(http) > http->opts.max_inflight_bytes);
  uint64_t total = http_inflight_bytes(http), budget = http->opts.max_inflight_bytes;
  bool over = total > budget, under = total < budget / 4 * 3;
  uint32_t ncap = http->opts.max_connections, seen = 0;
  for (uint32_t i = 0; i < ncap && seen < loop->nconns; i++) {
    http_conn *c = &loop->conns[i];
    if (!c->sock) continue;
    seen++;
    count(c);
    if (c->paused) {
      struct pollfd pfd = {h2o_socket_get_fd(c->sock), POLLRDHUP, 0};
      bool gone = poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
      c->hung_up |= gone;
      if (gone || under)
        resume_conn(c);
      else if (c->sock->_cb.read) /* h2o started reading it again */
        pause_conn(c);
    } else {
      http_guard_wrap(c);
      if (over && c->counted && !c->hung_up && c->sock->_cb.read) pause_conn(c);
    }
  }
}
