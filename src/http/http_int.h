/* http_int: what the http module's files share (http.c: service, loops, listeners,
 * connections; router.c: routing, checks, auth, answers; defer.c: deferred answers and
 * the worker pool; guard.c: the memory budget and request deadline sweeps).
 *
 * Threads and what each owns:
 *   main thread     fl_http_new/route_add/start/stop/free; everything before the loops
 *                   start and after they stop.
 *   loop thread i   fl_http_loop i: its h2o context, its connection slots, its deferrals.
 *   worker threads  one job at a time, taken from the queue under wmu; never touch h2o.
 * Shared: routes and options (read-only once started), the atomics below. */
#ifndef FL_HTTP_HTTP_INT_H
#define FL_HTTP_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/limits.h"
#include "http/http.h"

/* One route with its pattern split into segments ("{x}" = a capture). */
typedef struct http_route {
  fl_http_route r;
  uint32_t nseg;
  h2o_iovec_t seg[FL_HTTP_SEGMENTS_MAX]; /* literal text, or base == NULL for a capture */
  int32_t scope_capture;                 /* capture index substituted in the scope, -1 none */
  h2o_iovec_t scope_pre, scope_post;     /* scope text around its {name} */
} http_route;

/* A tracked connection: its socket, counted against max_connections (on_close frees it). */
typedef struct http_conn {
  struct fl_http_loop *loop;
  h2o_socket_t *sock;
  h2o_socket_cb orig_cb; /* h2o's read callback, which http_guard_read wraps */
  size_t counted;        /* sock->input bytes counted in loop->buffered */
  bool paused;           /* reading stopped while over budget */
  bool hung_up;          /* the client closed: read it to the end, never pause it again */
  struct http_conn *next_free;
} http_conn;

/* One per request that needs it (a body, a deferral, an observer): in the request's
 * pool, its dispose runs when h2o frees the request. */
typedef struct http_slot {
  struct fl_http_loop *loop;
  h2o_req_t *req;
  const char *route;
  int64_t start_ns;
  uint64_t body_bytes; /* counted in http->dispatched_bytes until dispose */
  fl_http_defer *defer;
} http_slot;

typedef struct http_loop_hook {
  fl_http_loop_start_fn start;
  fl_http_loop_stop_fn stop;
  void *ctx;
} http_loop_hook;

struct fl_http_loop {
  fl_http *http;
  uint32_t index;
  pthread_t tid;
  bool started;
  bool hooks_started;
  int fd; /* listening socket (SO_REUSEPORT, one per loop) until the loop owns it */
  h2o_evloop_t *evloop;
  h2o_context_t ctx;
  h2o_accept_ctx_t accept_ctx;
  h2o_socket_t *listener;
  bool accept_paused;            /* connection cap or EMFILE back-off */
  h2o_timeout_t backoff_timeout; /* FL_HTTP_ACCEPT_BACKOFF_MS */
  h2o_timeout_entry_t backoff_entry;
  h2o_timeout_t sweep_timeout; /* FL_HTTP_SWEEP_MS: budget and deadlines */
  h2o_timeout_entry_t sweep_entry;
  h2o_multithread_receiver_t defer_receiver; /* fl_http_defer_post -> ready on this loop */
  uint32_t deferred;                         /* begun, not ended */
  http_conn *conns;                          /* max_connections slots */
  http_conn *free_conns;
  uint32_t nconns;
  uint64_t buffered;                   /* request bytes held by this loop's connections' input */
  uint64_t h2_buffered;                /* HTTP/2 request bodies being received (last sweep) */
  atomic_uint_fast64_t buffered_bytes; /* the same, for the other loops to read */
  h2o_req_t *cur_req;                  /* the request whose handler runs now, and its slot */
  http_slot *cur_slot;
};

typedef struct http_job {
  fl_http_defer defer; /* first */
  fl_http_job job;
  const http_route *route;
  struct http_job *next;
  char data[]; /* captures, then the body */
} http_job;

struct fl_http {
  fl_http_opts opts; /* defaults filled in; pointed-to strings are the caller's */
  char *host;
  uint16_t port;
  bool loopback; /* the listen host is a loopback address */
  h2o_globalconf_t globalconf;
  http_route routes[FL_HTTP_ROUTES_MAX];
  uint32_t nroutes;
  http_loop_hook hooks[FL_HTTP_LOOP_HOOKS_MAX];
  uint32_t nhooks;
  fl_http_observer_fn observer;
  void *observer_ctx;
  fl_http_loop *loops;
  uint32_t nloops;
  pthread_barrier_t ready;
  bool barrier_made;
  atomic_bool stopping;
  atomic_int start_rc;
  atomic_uint nconns;                    /* open tracked connections, all loops */
  atomic_uint_fast64_t dispatched_bytes; /* bodies of requests handed to a route, not yet freed */
  atomic_uint_fast64_t budget_refusals, accept_backoffs, deadline_closes, framing_refusals;
  /* worker pool */
  pthread_t *workers;
  uint32_t nworkers;
  pthread_mutex_t wmu;
  pthread_cond_t wcond;
  http_job *jobs_head, *jobs_tail;
  uint32_t njobs;
  bool wstop;
  struct fl_http *parked_next;
};

/* router.c */
int http_on_req(fl_http *http, fl_http_loop *loop, h2o_req_t *req);
fl_code http_route_compile(http_route *hr, const fl_http_route *route, fl_err *err);
http_slot *http_slot_get(fl_http_loop *loop, h2o_req_t *req);

/* defer.c */
void http_defer_on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);
int http_job_submit(fl_http_loop *loop, h2o_req_t *req, const http_route *hr, const fl_http_match *m);
void http_workers_start(fl_http *http);
void http_workers_stop(fl_http *http);

/* guard.c */
void http_guard_sweep(fl_http_loop *loop);
void http_guard_wrap(http_conn *c);
void http_guard_closed(http_conn *c);
uint64_t http_inflight_bytes(fl_http *http);
void http_conn_resume_all(fl_http_loop *loop);

/* http.c */
void http_accept_resume(fl_http_loop *loop);

#endif
