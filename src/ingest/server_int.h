/* server_int: what server.c (threads, listeners, routes), server_events.c (the events
 * route) and quarantine.c (the quarantine flusher) share. Not for other modules.
 *
 * Threads and what each owns:
 *   main thread     fl_server_start / fl_server_stop; everything in fl_server before the
 *                   threads start and after they stop.
 *   loop thread i   srv_loop i: its h2o context and event loop, its parsers, contracts
 *                   and scratch buffers, and every srv_pending it created.
 *   log thread      (the event log's) calls events_log_done, which only touches the
 *                   pending's atomics and posts it to its loop's receiver.
 *   flusher thread  the warehouse handle and the quarantine tables (srv_qtable).
 * Shared read-only: the project, srv_stream (log stream handles are thread-safe). */
#ifndef FL_INGEST_SERVER_INT_H
#define FL_INGEST_SERVER_INT_H

#include <h2o.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <zstd.h>

#include "core/buf.h"
#include "ingest/contract.h"
#include "json/json.h"
#include "ingest/server.h"
#include "log/log.h"
#include "table/table.h"

typedef struct fl_server fl_server;

typedef struct srv_stream {
  const fl_project_stream *ps;
  fl_log_stream *ls;  /* the stream's records */
  fl_log_stream *qls; /* "<stream>.quarantine", one partition, JSON records */
  char *scope;        /* "ingest:<stream>" */
} srv_stream;

typedef struct srv_loop {
  fl_server *srv;
  uint32_t index;
  pthread_t tid;
  bool started;
  int fd; /* listening socket (SO_REUSEPORT, one per loop) */
  h2o_evloop_t *evloop;
  h2o_context_t ctx;
  h2o_accept_ctx_t accept_ctx;
  h2o_socket_t *listener;
  h2o_multithread_receiver_t done_receiver; /* log commits -> responses */
  fl_json_parser **parsers;               /* per stream */
  fl_contract **contracts;                  /* per stream, NULL if no CHECK */
  ZSTD_DCtx *zstd;
  fl_buf inflated;      /* the decoded body of the current request */
  fl_buf qjson;         /* quarantine records of the current request */
  fl_buf key;           /* key text of one row */
  fl_buf resp;          /* response body */
  uint32_t *row_part;   /* partition of each accepted row */
  uint32_t *part_count; /* rows per partition (+1 for prefix sums) */
  uint32_t *qoff;       /* quarantine record offsets in qjson (nrejects + 1) */
  fl_log_record *recs;
  uint32_t cap_rows, cap_parts, cap_recs, cap_q;
  uint64_t seq;      /* requests seen, for request ids */
  uint32_t inflight; /* requests waiting for the log */
  char rid_prefix[40]; /* "<server start, hex>-<loop index>-": request ids append seq */
  uint32_t rid_prefix_len;
  struct srv_pending *free_pendings; /* recycled pendings (body capacity SRV_PENDING_BODY_CAP) */
  uint32_t nfree_pendings;
} srv_loop;

/* A pending whose answer fits this many bytes is recycled through its loop's free
 * list (no malloc per request); a larger one is allocated to size and freed. */
#define SRV_PENDING_BODY_CAP 240
/* The free list keeps at most this many pendings per loop (bounds idle memory). */
#define SRV_PENDING_FREE_MAX 4096

/* A request whose records are in the log's queue. Freed on its loop thread once the
 * last append completed and the answer was sent (or the client had gone). */
typedef struct srv_pending {
  h2o_multithread_message_t msg; /* first: the receiver gets &msg */
  srv_loop *loop;
  h2o_req_t *req;            /* NULL once the request was disposed (client gone) */
  struct srv_pending **hook; /* the req pool slot pointing here, NULL if gone */
  atomic_uint outstanding;   /* appends not yet completed (+1 while queuing) */
  atomic_int rc;             /* first failure, FL_OK if none */
  int status;                /* 200, or 400 when every record was rejected */
  struct srv_pending *next_free; /* the loop's free list */
  size_t body_cap;
  size_t body_len;
  char body[]; /* the answer, sent when every append is durable */
} srv_pending;

typedef struct srv_qtable {
  fl_table *tbl;        /* quarantine.<stream>; NULL until loaded (or after a failure) */
  uint64_t next_offset; /* next log offset of partition 0 to copy */
} srv_qtable;

struct fl_server {
  const fl_project *proj;
  char *data_dir;
  char *log_dir;
  char *host; /* listen host and port */
  uint16_t port;
  int64_t started_us;
  h2o_globalconf_t globalconf;
  fl_log *log;
  srv_stream *streams;
  uint32_t nstreams;
  srv_loop *loops;
  uint32_t nloops;
  pthread_barrier_t ready;
  atomic_bool stopping;
  atomic_int start_rc; /* a loop thread's setup failure */
  fl_buf streams_json; /* GET /v1/streams answer, built once */
  /* quarantine flusher */
  pthread_t qtid;
  bool qstarted;
  pthread_mutex_t qmu; /* serialises flushes (thread, tests, stop) */
  pthread_cond_t qcond;
  bool qstop;
  fl_warehouse *wh;
  srv_qtable *qtables;           /* per stream */
  struct fl_server *parked_next; /* fl_server_stop's list of servers left for exit */
};

/* server.c */
void srv_send_json(h2o_req_t *req, int status, const char *body, size_t len);
int srv_send_error(h2o_req_t *req, int status, int error_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends s as a JSON string; invalid UTF-8 becomes U+FFFD (JSON text must be UTF-8). */
void srv_json_str(fl_buf *out, const char *s, size_t n);

/* server_events.c */
int srv_events_post(srv_loop *loop, h2o_req_t *req, uint32_t stream_index);
void srv_events_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);
void srv_loop_scratch_free(srv_loop *loop);

/* quarantine.c */
fl_code srv_quarantine_start(fl_server *srv, fl_err *err);
void srv_quarantine_stop(fl_server *srv);
fl_code srv_quarantine_flush(fl_server *srv, fl_err *err);

#endif
