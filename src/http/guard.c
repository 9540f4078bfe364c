/* guard: the memory budget of request bytes in flight, checked by each loop every
 * FL_HTTP_SWEEP_MS.
 *
 * h2o 2.2 reads a request whole before the handler sees it, so the bytes that matter
 * are where h2o buffers them: an HTTP/1 connection's socket input (headers and body of
 * the request being read) and, once handed to a route, the request's body until h2o
 * frees it (http->dispatched_bytes, counted by the router's per-request slot).
 *
 *   in flight = dispatched_bytes + the sum over loops of their sockets' input bytes
 *
 * Over max_inflight_bytes: every connection that is in the middle of a request
 * (input bytes buffered) stops being read (its read callback is put aside), so the
 * kernel's TCP window pushes back on the client instead of our heap growing; new
 * requests with a body get 503 (router.c). Back under 3/4 of the budget, the paused
 * connections are read again. A paused client still runs into h2o's request timeout,
 * so nothing is held for ever. Idle connections are never paused: /healthz answers
 * throughout. */
#include "core/diag.h"
#include "http/http_int.h"

#define MOD "http"

uint64_t http_inflight_bytes(fl_http *http) {
  uint64_t total = atomic_load_explicit(&http->dispatched_bytes, memory_order_relaxed);
  for (uint32_t i = 0; i < http->nloops; i++)
    total += atomic_load_explicit(&http->loops[i].buffered_bytes, memory_order_relaxed);
  return total;
}

static void conn_resume(http_conn *c) {
  if (!c->paused_cb) return;
  if (c->sock && c->sock->_cb.read == NULL) h2o_socket_read_start(c->sock, c->paused_cb);
  c->paused_cb = NULL;
}

void http_conn_resume_all(fl_http_loop *loop) {
  if (!loop->conns) return;
  for (uint32_t i = 0; i < loop->http->opts.max_connections; i++)
    if (loop->conns[i].sock) conn_resume(&loop->conns[i]);
}

void http_guard_sweep(fl_http_loop *loop) {
  fl_http *http = loop->http;
  uint64_t buffered = 0;
  uint32_t ncap = http->opts.max_connections, seen = 0;
  for (uint32_t i = 0; i < ncap && seen < loop->nconns; i++) {
    http_conn *c = &loop->conns[i];
    if (!c->sock) continue;
    seen++;
    if (c->sock->input) buffered += c->sock->input->size;
  }
  atomic_store_explicit(&loop->buffered_bytes, buffered, memory_order_relaxed);
  uint64_t total = http_inflight_bytes(http), budget = http->opts.max_inflight_bytes;
  if (total > budget) {
    seen = 0;
    for (uint32_t i = 0; i < ncap && seen < loop->nconns; i++) {
      http_conn *c = &loop->conns[i];
      if (!c->sock) continue;
      seen++;
      if (c->paused_cb || !c->sock->input || c->sock->input->size == 0 || !c->sock->_cb.read) continue;
      c->paused_cb = c->sock->_cb.read;
      h2o_socket_read_stop(c->sock);
    }
  } else if (total < budget / 4 * 3) {
    http_conn_resume_all(loop);
  }
}
