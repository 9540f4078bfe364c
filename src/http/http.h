/* http: floe's HTTP service on h2o's event loop (DESIGN §4: "HTTP is a service of its
 * own"). It owns the listeners, one event loop thread per core, the router, bearer-token
 * scopes, request limits, JSON error answers, deferred answers and a worker pool for
 * long requests. It knows no route of its own but /healthz: ingest, queries, metrics
 * and the dashboard register theirs before fl_http_start.
 *
 *   fl_http *http;
 *   fl_http_new(&opts, &http, &err);             configured, not listening
 *   fl_http_route_add(http, &route, &err);       any number, before start
 *   fl_http_on_loop(http, start, stop, ctx);     per-loop state of a module
 *   fl_http_start(http, &err);                   listening when it returns
 *   ... fl_http_port(http) ...
 *   fl_http_stop(http);                          stops accepting, drains deferred answers
 *   fl_http_free(http);
 *
 * Handlers run on the loop thread that read the request and receive h2o's request
 * (the answer is sent with fl_http_send_json / fl_http_send_error, or later through
 * fl_http_defer). A route with a `work` function instead runs on the worker pool:
 * the loop copies the body and captures into an fl_http_job, a worker runs work(), and
 * the answer is sent back on the loop (h2o's multithread queue wakes it), so a slow
 * query never blocks /healthz or an ingest post on the same loop.
 *
 * Errors are JSON {"error_code": N, "message": "..."}, N = status * 100 + cause. */
#ifndef FL_HTTP_HTTP_H
#define FL_HTTP_HTTP_H

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

typedef struct fl_http fl_http;
typedef struct fl_http_loop fl_http_loop;

typedef struct fl_http_token {
  const char *token;
  const char *const *scopes; /* "ingest:orders", "query", "admin" (admin allows every scope) */
  uint32_t nscopes;
} fl_http_token;

typedef struct fl_http_opts {
  const char *listen;          /* "host:port"; port 0 = any free port */
  uint32_t threads;            /* event loops; 0 = 2 */
  uint32_t workers;            /* worker pool threads; 0 = 2 */
  uint64_t max_body_bytes;     /* one request body; 0 = 16 MiB */
  int64_t request_timeout_ms;  /* a whole request (headers and body) must arrive within it; 0 = 10 s */
  uint64_t max_inflight_bytes; /* budget of request bytes buffered at once; 0 = FL_HTTP_INFLIGHT_BYTES */
  uint32_t max_connections;    /* open connections, all loops; 0 = FL_HTTP_CONNECTIONS_MAX */
  uint32_t max_streams;        /* requests handled at once per HTTP/2 connection; 0 = FL_HTTP_STREAMS_MAX */
  const fl_http_token *tokens; /* none = no auth (every scope allowed) */
  uint32_t ntokens;
  const char *const *allowed_origins; /* Origin values allowed; none = a request carrying Origin is refused */
  uint32_t nallowed_origins;
  const char *const *allowed_hosts; /* Host names allowed (no port); none = loopback names when the
                                       listener is loopback, else any */
  uint32_t nallowed_hosts;
} fl_http_opts;

#define FL_HTTP_CAPTURES_MAX 4

/* The {name} segments of a route pattern, in order. Values point into the request. */
typedef struct fl_http_match {
  uint32_t n;
  h2o_iovec_t values[FL_HTTP_CAPTURES_MAX];
} fl_http_match;

/* A long request handed to the worker pool. The loop fills the input (copies: the
 * worker never touches h2o), the worker fills status and answer. */
typedef struct fl_http_job {
  const char *route;   /* the route's name */
  fl_http_match match; /* values point into `captures` */
  const char *body;    /* the request body (decoded as sent), body_len bytes */
  size_t body_len;
  const char *accept;       /* the Accept header ("" if none), for content negotiation */
  const char *content_type; /* request's Content-Type ("" if none) */
  int status;               /* set by work(): 200, ... (0 = 500) */
  fl_buf answer;            /* set by work(): the body, JSON unless answer_type says otherwise */
  const char *answer_type;  /* set by work(): the answer's media type (static); NULL = JSON */
} fl_http_job;

/* Returns 0 once it answered or deferred the request (h2o's convention). */
typedef int (*fl_http_handler_fn)(void *ctx, fl_http_loop *loop, h2o_req_t *req, const fl_http_match *m);
typedef void (*fl_http_work_fn)(void *ctx, fl_http_job *job);

enum {
  FL_HTTP_ROUTE_JSON_BODY = 1, /* the body must be JSON or NDJSON (Content-Type), else 415 */
};

typedef struct fl_http_route {
  const char *name;           /* for metrics and logs: "events", "streams", "healthz" */
  const char *method;         /* "GET" (also answers HEAD), "POST", ... */
  const char *pattern;        /* "/v1/streams/{stream}/events": literal segments and {name} captures */
  const char *scope;          /* NULL = open; "query"; "ingest:{stream}" takes the capture's value */
  uint32_t flags;             /* FL_HTTP_ROUTE_* */
  fl_http_handler_fn handler; /* on the loop; or */
  fl_http_work_fn work;       /* on a worker */
  void *ctx;
} fl_http_route;

fl_code fl_http_new(const fl_http_opts *opts, fl_http **out, fl_err *err);
/* The route is copied (its strings must outlive the service). Before fl_http_start. */
fl_code fl_http_route_add(fl_http *http, const fl_http_route *route, fl_err *err);
/* A GET route answered by handler on the loop (metrics, dashboard). */
fl_code fl_http_get(fl_http *http, const char *name, const char *path, const char *scope,
                    fl_http_handler_fn handler, void *ctx, fl_err *err);

/* Per-loop state of a module: start runs on each loop thread before it serves (a
 * failure fails fl_http_start), stop on the same loop after it stopped serving. */
typedef fl_code (*fl_http_loop_start_fn)(void *ctx, fl_http_loop *loop, fl_err *err);
typedef void (*fl_http_loop_stop_fn)(void *ctx, fl_http_loop *loop);
void fl_http_on_loop(fl_http *http, fl_http_loop_start_fn start, fl_http_loop_stop_fn stop, void *ctx);

/* Called once per request when h2o frees it (answer sent, or client gone): the route's
 * name ("none" when nothing matched), the status sent (0 if none) and the time since
 * the request reached its handler's loop. Runs on the loop thread; must not block. */
typedef void (*fl_http_observer_fn)(void *ctx, const char *route, int status, int64_t duration_ns);
void fl_http_set_observer(fl_http *http, fl_http_observer_fn fn, void *ctx);

/* The service's own gauges and counters (for metrics; any thread, relaxed reads). */
typedef struct fl_http_stats {
  uint32_t connections;      /* open now */
  uint64_t inflight_bytes;   /* request bytes buffered now (the budget's measure) */
  uint64_t budget_refusals;  /* requests answered 503 50303 */
  uint64_t accept_backoffs;  /* accept() failures that paused a listener (EMFILE, ...) */
  uint64_t deadline_closes;  /* HTTP/2 connections closed at the request deadline */
  uint64_t framing_refusals; /* HTTP/1 requests refused for their framing (400 40003) */
} fl_http_stats;
void fl_http_stats_get(fl_http *http, fl_http_stats *st);

fl_code fl_http_start(fl_http *http, fl_err *err);
uint16_t fl_http_port(const fl_http *http);
uint32_t fl_http_nloops(const fl_http *http);
/* Stops accepting and answers what is in flight (deferred answers wait up to the
 * request timeout), joins the loops and workers. */
void fl_http_stop(fl_http *http);
void fl_http_free(fl_http *http);

uint32_t fl_http_loop_index(const fl_http_loop *loop);
fl_http_loop *fl_http_loop_of(h2o_req_t *req);

/* ---- answers */
void fl_http_send_json(h2o_req_t *req, int status, const char *body, size_t len);
/* The same with another media type ("text/csv", "application/vnd.apache.arrow.stream"). */
void fl_http_send_typed(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len);
int fl_http_send_error(h2o_req_t *req, int status, int error_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends s as a JSON string; invalid UTF-8 becomes U+FFFD (JSON text must be UTF-8). */
void fl_http_json_str(fl_buf *out, const char *s, size_t n);

/* ---- deferred answers
 * The caller embeds an fl_http_defer in its own struct, calls fl_http_defer_begin in the
 * handler and returns; later, from any thread, fl_http_defer_post wakes the loop, which
 * calls ready(d). ready (or any code on the loop) answers d->req if it is not NULL (it
 * is cleared when the client has gone) and calls fl_http_defer_end before freeing d.
 * The loop waits for every begun deferral at stop. */
typedef struct fl_http_defer {
  h2o_multithread_message_t msg; /* the loop's receiver gets &msg */
  fl_http_loop *loop;
  h2o_req_t *req;
  struct fl_http_defer **hook; /* the request pool's slot pointing here */
  void (*ready)(struct fl_http_defer *d);
  bool parked; /* the HTTP/1 connection's socket is parked (defer.c) until fl_http_defer_end */
} fl_http_defer;

void fl_http_defer_begin(fl_http_loop *loop, h2o_req_t *req, fl_http_defer *d,
                         void (*ready)(fl_http_defer *d));
void fl_http_defer_post(fl_http_defer *d);
void fl_http_defer_end(fl_http_defer *d);

#endif
