/* http: the service's life cycle, listeners, event loops and connections (h2o's
 * event-loop library, libh2o-evloop 2.2).
 *
 * Why this shape: h2o was measured fastest here (DESIGN §5). Each loop thread owns a
 * SO_REUSEPORT socket bound to the same address, so the kernel spreads connections and
 * no lock is shared between loops. A request is read whole by h2o (up to
 * max_body_bytes, else h2o's own 413) and handed to the router (router.c) on its loop.
 *
 * Connections: every accepted socket takes a slot of its loop (no allocation; the slot
 * is freed by the socket's on_close). At max_connections (all loops) the listener stops
 * reading until one closes; accept failing with EMFILE/ENFILE pauses it for
 * FL_HTTP_ACCEPT_BACKOFF_MS (a level-triggered listener would otherwise spin).
 *
 * Start: bind (port 0: the first socket picks, the others reuse it), start the loops
 * (each builds its h2o context and runs the modules' loop hooks, then meets the others
 * at a barrier), start the workers. Stop: set `stopping`; each loop closes its listener
 * and runs until its deferred answers are sent (bounded by the request timeout) and its
 * connections are gone (bounded by 1 s); then the hooks' stop, then the workers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/mem.h"
#include "core/thread.h"
#include "core/time.h"
#include "http/http_int.h"

#define MOD "http"

typedef struct http_handler {
  h2o_handler_t super;
  fl_http *http;
} http_handler;

/* h2o 2.2 frees neither a context's message queue (h2o_multithread_destroy_queue in
 * its evloop build) nor its per-thread buffer caches at thread exit: LeakSanitizer
 * would fail every sanitizer run of `floe serve` on memory that is h2o's and bounded.
 * This hook (read by LSan only; inert otherwise) ignores exactly those two allocators,
 * not every stack that passes through h2o (our handlers run under h2o's frames). */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) { return "print_suppressions=0"; }
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:h2o_multithread_create_queue\nleak:h2o_mem_alloc_recycle\n";
}

/* ---------------------------------------------------------------- configuration */

static int healthz(void *ctx, fl_http_loop *loop, h2o_req_t *req, const fl_http_match *m) {
  fl_http_send_json(req, 200, H2O_STRLIT("{\"status\":\"ok\"}\n"));
  return 0;
}

fl_code fl_http_new(const fl_http_opts *opts, fl_http **out, fl_err *err) {
  fl_http *http = fl_calloc(1, sizeof *http);
  http->opts = *opts;
  fl_http_opts *o = &http->opts;
  if (!o->threads) o->threads = 2;
  if (!o->workers) o->workers = 2;
  if (!o->max_body_bytes) o->max_body_bytes = 16u << 20;
  if (!o->request_timeout_ms) o->request_timeout_ms = 10000;
  if (!o->max_inflight_bytes) o->max_inflight_bytes = FL_HTTP_INFLIGHT_BYTES;
  if (!o->max_connections) o->max_connections = FL_HTTP_CONNECTIONS_MAX;
  if (!o->max_streams) o->max_streams = FL_HTTP_STREAMS_MAX;
  atomic_init(&http->stopping, false);
  atomic_init(&http->start_rc, FL_OK);
  atomic_init(&http->nconns, 0);
  atomic_init(&http->dispatched_bytes, 0);
  atomic_init(&http->budget_refusals, 0);
  atomic_init(&http->accept_backoffs, 0);
  atomic_init(&http->deadline_closes, 0);
  atomic_init(&http->framing_refusals, 0);
  pthread_mutex_init(&http->wmu, NULL);
  pthread_cond_init(&http->wcond, NULL);
  const char *listen = o->listen ? o->listen : "127.0.0.1:8080";
  const char *colon = strrchr(listen, ':');
  char *end = NULL;
  long p = colon ? strtol(colon + 1, &end, 10) : -1;
  if (!colon || colon == listen || !colon[1] || *end || p < 0 || p > 65535) {
    fl_free(http);
    return fl_err_set(err, FL_EINVAL, "listen address \"%s\": expected host:port", listen);
  }
  const char *h = listen;
  size_t hl = (size_t)(colon - listen);
  if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') h++, hl -= 2; /* [::1]:8080 */
  http->host = fl_strndup(h, hl);
  http->port = (uint16_t)p;
  http->loopback =
      !strcmp(http->host, "localhost") || !strcmp(http->host, "::1") || !strncmp(http->host, "127.", 4);
  o->listen = NULL; /* the caller's string need not outlive this call */
  fl_code rc = fl_http_get(http, "healthz", "/healthz", NULL, healthz, NULL, err);
  FL_ASSERT(rc == FL_OK);
  *out = http;
  return FL_OK;
}

fl_code fl_http_route_add(fl_http *http, const fl_http_route *route, fl_err *err) {
  FL_ASSERT(!http->loops, "routes are added before fl_http_start");
  FL_ASSERT((route->handler != NULL) != (route->work != NULL), "route %s: a handler or a work function",
            route->name);
  if (http->nroutes == FL_HTTP_ROUTES_MAX)
    return fl_err_set(err, FL_ELIMIT, "route %s: more than %d routes", route->name, FL_HTTP_ROUTES_MAX);
  fl_code rc = http_route_compile(&http->routes[http->nroutes], route, err);
  if (rc == FL_OK) http->nroutes++;
  return rc;
}

fl_code fl_http_get(fl_http *http, const char *name, const char *path, const char *scope,
                    fl_http_handler_fn handler, void *ctx, fl_err *err) {
  fl_http_route r = {
      .name = name, .method = "GET", .pattern = path, .scope = scope, .handler = handler, .ctx = ctx};
  return fl_http_route_add(http, &r, err);
}

void fl_http_on_loop(fl_http *http, fl_http_loop_start_fn start, fl_http_loop_stop_fn stop, void *ctx) {
  FL_ASSERT(!http->loops && http->nhooks < FL_HTTP_LOOP_HOOKS_MAX);
  http->hooks[http->nhooks++] = (http_loop_hook){start, stop, ctx};
}

void fl_http_set_observer(fl_http *http, fl_http_observer_fn fn, void *ctx) {
  FL_ASSERT(!http->loops, "the observer is set before fl_http_start");
  http->observer = fn;
  http->observer_ctx = ctx;
}

uint16_t fl_http_port(const fl_http *http) { return http->port; }

void fl_http_stats_get(fl_http *http, fl_http_stats *st) {
  st->connections = atomic_load_explicit(&http->nconns, memory_order_relaxed);
  st->inflight_bytes = http->loops ? http_inflight_bytes(http) : 0;
  st->budget_refusals = atomic_load_explicit(&http->budget_refusals, memory_order_relaxed);
  st->accept_backoffs = atomic_load_explicit(&http->accept_backoffs, memory_order_relaxed);
  st->deadline_closes = atomic_load_explicit(&http->deadline_closes, memory_order_relaxed);
  st->framing_refusals = atomic_load_explicit(&http->framing_refusals, memory_order_relaxed);
}
uint32_t fl_http_nloops(const fl_http *http) { return http->opts.threads; }
uint32_t fl_http_loop_index(const fl_http_loop *loop) { return loop->index; }
fl_http_loop *fl_http_loop_of(h2o_req_t *req) {
  return H2O_STRUCT_FROM_MEMBER(fl_http_loop, ctx, req->conn->ctx);
}

/* ---------------------------------------------------------------- listeners */

/* reuseport: the loops' sockets share the port. The first bind is a probe without
 * SO_REUSEPORT (closed right after), so a port another process holds is an error
 * ("Address already in use") rather than silently shared with it. */
static fl_code open_listener(fl_http *http, bool reuseport, int *fd_out, fl_err *err) {
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  char port[8];
  snprintf(port, sizeof port, "%u", http->port);
  int gai = getaddrinfo(http->host, port, &hints, &ai);
  if (gai) return fl_err_set(err, FL_EINVAL, "listen %s:%s: %s", http->host, port, gai_strerror(gai));
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int on = 1, rcvbuf = FL_HTTP_SOCKET_RCVBUF;
  fl_code rc = FL_OK;
  /* accepted sockets inherit it: one read of a connection takes at most this much, so
   * the memory budget is overshot by at most this per connection (guard.c) */
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
      (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on)) ||
      bind(fd, ai->ai_addr, ai->ai_addrlen) || (reuseport && listen(fd, SOMAXCONN))) {
    rc = fl_err_errno(err, errno, "listen %s:%s", http->host, port);
    if (fd >= 0) close(fd);
    goto done;
  }
  if (http->port == 0) { /* the first socket picked a port: the others bind to it */
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    http->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                : ((struct sockaddr_in *)&ss)->sin_port);
  }
  *fd_out = fd;
done:
  freeaddrinfo(ai);
  return rc;
}

/* ---------------------------------------------------------------- connections */

static void on_accept(h2o_socket_t *listener, const char *errstr);

static void conn_on_close(void *data) {
  http_conn *c = data;
  fl_http_loop *loop = c->loop;
  FL_ASSERT(loop->nconns > 0);
  http_guard_closed(c);
  c->sock = NULL;
  c->next_free = loop->free_conns;
  loop->free_conns = c;
  loop->nconns--;
  atomic_fetch_sub(&loop->http->nconns, 1);
  if (loop->accept_paused && !h2o_timeout_is_linked(&loop->backoff_entry)) http_accept_resume(loop);
}

static void accept_pause(fl_http_loop *loop) {
  if (!loop->accept_paused && loop->listener) h2o_socket_read_stop(loop->listener);
  loop->accept_paused = true;
}

void http_accept_resume(fl_http_loop *loop) {
  if (!loop->accept_paused || !loop->listener || atomic_load(&loop->http->stopping)) return;
  loop->accept_paused = false;
  h2o_socket_read_start(loop->listener, on_accept);
}

/* The back-off timer: after EMFILE, or while at max_connections with no connection of
 * this loop's own to close (the other loops' closes do not wake it): retry, or wait on. */
static void on_backoff(h2o_timeout_entry_t *entry) {
  fl_http_loop *loop = H2O_STRUCT_FROM_MEMBER(fl_http_loop, backoff_entry, entry);
  if (atomic_load(&loop->http->nconns) < loop->http->opts.max_connections)
    http_accept_resume(loop);
  else if (loop->listener && !atomic_load(&loop->http->stopping))
    h2o_timeout_link(loop->evloop, &loop->backoff_timeout, &loop->backoff_entry);
}

static void on_accept(h2o_socket_t *listener, const char *errstr) {
  fl_http_loop *loop = listener->data;
  fl_http *http = loop->http;
  if (errstr) return;
  /* several per wake-up: a burst of connections costs one epoll round */
  for (int i = 0; i < 16; i++) {
    if (atomic_load(&http->nconns) >= http->opts.max_connections || !loop->free_conns) {
      accept_pause(loop); /* resumed when one of this loop's connections closes, or by the timer */
      if (!h2o_timeout_is_linked(&loop->backoff_entry))
        h2o_timeout_link(loop->evloop, &loop->backoff_timeout, &loop->backoff_entry);
      return;
    }
    errno = 0;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (!sock) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        fl_warn(MOD, "accept: %s; pausing %d ms", strerror(errno), FL_HTTP_ACCEPT_BACKOFF_MS);
        atomic_fetch_add_explicit(&http->accept_backoffs, 1, memory_order_relaxed);
        accept_pause(loop);
        if (!h2o_timeout_is_linked(&loop->backoff_entry))
          h2o_timeout_link(loop->evloop, &loop->backoff_timeout, &loop->backoff_entry);
      }
      return;
    }
    http_conn *c = loop->free_conns;
    loop->free_conns = c->next_free;
    c->sock = sock;
    c->orig_cb = NULL;
    c->counted = 0;
    c->paused = false;
    c->hung_up = false;
    loop->nconns++;
    atomic_fetch_add(&http->nconns, 1);
    FL_ASSERT(sock->on_close.cb == NULL, "h2o uses on_close of accepted sockets");
    sock->on_close.cb = conn_on_close;
    sock->on_close.data = c;
    h2o_accept(&loop->accept_ctx, sock);
    if (c->sock == sock) http_guard_wrap(c); /* h2o started reading it: count what it reads */
  }
}

/* ---------------------------------------------------------------- loop threads */

static void on_sweep(h2o_timeout_entry_t *entry) {
  fl_http_loop *loop = H2O_STRUCT_FROM_MEMBER(fl_http_loop, sweep_entry, entry);
  http_guard_sweep(loop);
  h2o_timeout_link(loop->evloop, &loop->sweep_timeout, &loop->sweep_entry);
}

static fl_code loop_setup(fl_http_loop *loop, fl_err *err) {
  fl_http *http = loop->http;
  loop->evloop = h2o_evloop_create();
  h2o_context_init(&loop->ctx, loop->evloop, &http->globalconf);
  h2o_multithread_register_receiver(loop->ctx.queue, &loop->defer_receiver, http_defer_on_messages);
  h2o_timeout_init(loop->evloop, &loop->backoff_timeout, FL_HTTP_ACCEPT_BACKOFF_MS);
  loop->backoff_entry = (h2o_timeout_entry_t){.cb = on_backoff};
  h2o_timeout_init(loop->evloop, &loop->sweep_timeout, FL_HTTP_SWEEP_MS);
  loop->sweep_entry = (h2o_timeout_entry_t){.cb = on_sweep};
  h2o_timeout_link(loop->evloop, &loop->sweep_timeout, &loop->sweep_entry);
  loop->accept_ctx.ctx = &loop->ctx;
  loop->accept_ctx.hosts = http->globalconf.hosts;
  uint32_t ncap = http->opts.max_connections;
  loop->conns = fl_calloc(ncap, sizeof *loop->conns);
  for (uint32_t i = ncap; i-- > 0;) {
    loop->conns[i].loop = loop;
    loop->conns[i].next_free = loop->free_conns;
    loop->free_conns = &loop->conns[i];
  }
  for (uint32_t i = 0; i < http->nhooks; i++) {
    fl_code rc = http->hooks[i].start ? http->hooks[i].start(http->hooks[i].ctx, loop, err) : FL_OK;
    if (rc) return rc;
  }
  loop->hooks_started = true;
  loop->listener = h2o_evloop_socket_create(loop->evloop, loop->fd, H2O_SOCKET_FLAG_DONT_READ);
  loop->fd = -1; /* the socket owns it now */
  loop->listener->data = loop;
  h2o_socket_read_start(loop->listener, on_accept);
  return FL_OK;
}

/* No connection open: the context can be disposed (h2o asserts that its timeouts are empty). */
static bool loop_idle(fl_http_loop *loop) {
  return h2o_linklist_is_empty(&loop->ctx.http1._conns) && h2o_linklist_is_empty(&loop->ctx.http2._conns);
}

/* Unlinks the timers left in an idle context (its dispose asserts every timeout list
 * is empty); with no connection left none of them has work to do. */
static void unlink_timeouts(h2o_timeout_t *timeout) {
  while (!h2o_linklist_is_empty(&timeout->_entries))
    h2o_timeout_unlink(H2O_STRUCT_FROM_MEMBER(h2o_timeout_entry_t, _link, timeout->_entries.next));
}

static void loop_free(fl_http *http, fl_http_loop *loop);

static void *loop_main(void *arg) {
  fl_http_loop *loop = arg;
  fl_http *http = loop->http;
  fl_thread_name("floe-http%u", loop->index);
  fl_err err = {0};
  fl_code rc = loop_setup(loop, &err);
  if (rc) {
    fl_error(MOD, "event loop %u: %s", loop->index, err.msg);
    atomic_store(&http->start_rc, rc);
  }
  pthread_barrier_wait(&http->ready);
  if (atomic_load(&http->start_rc)) return NULL;
  while (!atomic_load(&http->stopping)) h2o_evloop_run(loop->evloop, 100);
  /* stop accepting; answer what is in flight; let idle keep-alive connections go */
  h2o_socket_read_stop(loop->listener);
  h2o_socket_close(loop->listener);
  loop->listener = NULL;
  http_conn_resume_all(loop); /* a paused connection must be able to finish or time out */
  int64_t now = fl_mono_ns(), inflight_deadline = now + http->opts.request_timeout_ms * 1000000,
          conns_deadline = now + 1000000000;
  while (fl_mono_ns() < inflight_deadline &&
         (loop->deferred > 0 || (!loop_idle(loop) && fl_mono_ns() < conns_deadline)))
    h2o_evloop_run(loop->evloop, 20);
  if (loop->deferred)
    fl_warn(MOD, "event loop %u: %u answers still deferred at stop", loop->index, loop->deferred);
  /* tear the context down on this thread: h2o's sockets (the message queue's among them)
   * keep buffers from per-thread caches, which are gone once the thread has exited (ASan
   * caught a dispose from the main thread reading a finished loop thread's memory) */
  loop_free(http, loop);
  return NULL;
}

static void loop_free(fl_http *http, fl_http_loop *loop) {
  if (loop->fd >= 0) close(loop->fd);
  if (loop->hooks_started)
    for (uint32_t i = http->nhooks; i-- > 0;)
      if (http->hooks[i].stop) http->hooks[i].stop(http->hooks[i].ctx, loop);
  loop->hooks_started = false;
  if (loop->evloop && loop->deferred == 0 && loop_idle(loop)) {
    h2o_context_t *ctx = &loop->ctx;
    h2o_multithread_unregister_receiver(ctx->queue, &loop->defer_receiver);
    h2o_timeout_t *timeouts[] = {&ctx->zero_timeout,
                                 &ctx->one_sec_timeout,
                                 &ctx->hundred_ms_timeout,
                                 &ctx->handshake_timeout,
                                 &ctx->http1.req_timeout,
                                 &ctx->http2.idle_timeout,
                                 &ctx->http2.graceful_shutdown_timeout,
                                 &ctx->proxy.io_timeout,
                                 &loop->backoff_timeout,
                                 &loop->sweep_timeout};
    for (size_t t = 0; t < sizeof timeouts / sizeof timeouts[0]; t++) unlink_timeouts(timeouts[t]);
    h2o_timeout_dispose(loop->evloop, &loop->backoff_timeout);
    h2o_timeout_dispose(loop->evloop, &loop->sweep_timeout);
    h2o_context_dispose(ctx);
    h2o_evloop_run(loop->evloop, 0); /* frees the sockets whose close was deferred */
    h2o_evloop_destroy(loop->evloop);
    loop->evloop = NULL;
    fl_free(loop->conns);
    loop->conns = NULL;
  }
  /* else: connections (or deferred answers) remain, which h2o cannot dispose of; the
   * caller keeps the loop reachable (the process is exiting) */
}

/* ---------------------------------------------------------------- start / stop */

static int on_req(h2o_handler_t *self, h2o_req_t *req) {
  fl_http *http = ((http_handler *)self)->http;
  return http_on_req(http, fl_http_loop_of(req), req);
}

static void configure_h2o(fl_http *http) {
  h2o_globalconf_t *gc = &http->globalconf;
  h2o_config_init(gc);
  gc->max_request_entity_size = http->opts.max_body_bytes;
  gc->http1.req_timeout = (uint64_t)http->opts.request_timeout_ms;
  gc->http2.idle_timeout = (uint64_t)http->opts.request_timeout_ms;
  gc->handshake_timeout = (uint64_t)http->opts.request_timeout_ms;
  gc->http2.max_concurrent_requests_per_connection = http->opts.max_streams;
  gc->server_name = h2o_iovec_init(H2O_STRLIT("floe"));
  h2o_hostconf_t *host = h2o_config_register_host(gc, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
  http_handler *handler = (http_handler *)h2o_create_handler(path, sizeof *handler);
  handler->super.on_req = on_req;
  handler->http = http;
}

fl_code fl_http_start(fl_http *http, fl_err *err) {
  fl_code rc;
  signal(SIGPIPE, SIG_IGN); /* a client closing mid-answer must not kill the server */
  configure_h2o(http);
  http->nloops = http->opts.threads;
  http->loops = fl_calloc(http->nloops, sizeof *http->loops);
  for (uint32_t i = 0; i < http->nloops; i++) {
    http->loops[i].fd = -1;
    http->loops[i].http = http;
    http->loops[i].index = i;
    atomic_init(&http->loops[i].buffered_bytes, 0);
  }
  int probe;
  if ((rc = open_listener(http, false, &probe, err))) return rc; /* picks the port if 0 */
  close(probe);
  for (uint32_t i = 0; i < http->nloops; i++)
    if ((rc = open_listener(http, true, &http->loops[i].fd, err))) return rc;
  pthread_barrier_init(&http->ready, NULL, http->nloops + 1);
  http->barrier_made = true;
  for (uint32_t i = 0; i < http->nloops; i++) {
    if (pthread_create(&http->loops[i].tid, NULL, loop_main, &http->loops[i])) FL_ASSERT(0, "pthread_create");
    http->loops[i].started = true;
  }
  pthread_barrier_wait(&http->ready);
  if ((rc = atomic_load(&http->start_rc)))
    return fl_err_set(err, rc, "the event loops did not start (see the messages above)");
  http_workers_start(http);
  fl_info(MOD, "listening on %s:%u (%u event loops, %u workers, %u routes)", http->host, http->port,
          http->nloops, http->nworkers, http->nroutes);
  return FL_OK;
}

void fl_http_stop(fl_http *http) {
  if (!http || !http->loops) return;
  atomic_store(&http->stopping, true);
  for (uint32_t i = 0; i < http->nloops; i++)
    if (http->loops[i].started) pthread_join(http->loops[i].tid, NULL);
  for (uint32_t i = 0; i < http->nloops; i++) http->loops[i].started = false;
  http_workers_stop(http);
  for (uint32_t i = 0; i < http->nloops; i++) loop_free(http, &http->loops[i]);
}

static fl_http *parked; /* stopped services h2o could not tear down */

void fl_http_free(fl_http *http) {
  if (!http) return;
  fl_http_stop(http);
  bool keep = false;
  for (uint32_t i = 0; i < http->nloops; i++) keep |= http->loops[i].evloop != NULL;
  if (keep) {
    /* a loop kept connections h2o cannot dispose of: keep the loops, the h2o config
     * and http reachable (for LeakSanitizer); the process is exiting anyway */
    fl_warn(MOD, "stopped with connections still open");
    http->parked_next = parked;
    parked = http;
    return;
  }
  if (http->barrier_made) pthread_barrier_destroy(&http->ready);
  fl_free(http->loops);
  if (http->globalconf.hosts) h2o_config_dispose(&http->globalconf);
  pthread_mutex_destroy(&http->wmu);
  pthread_cond_destroy(&http->wcond);
  fl_free(http->host);
  fl_free(http);
}
