/* server_int: what server.c (routes, per-loop state, start and free) and server_events.c
 * (the events route) share. Not for other modules.
 *
 * Threads and what each owns:
 *   main thread     fl_ingest_new / fl_ingest_free; everything in fl_ingest before the
 *                   HTTP service starts and after it stopped.
 *   loop thread i   srv_loop i (started and stopped by the HTTP service's loop hooks):
 *                   its parsers, contracts and scratch buffers, and every srv_pending
 *                   it created.
 *   log thread      (the event log's) calls events_log_done, which only touches the
 *                   pending's atomics and posts it to its loop (fl_http_defer_post).
 * Shared read-only: the project, srv_stream (log stream handles are thread-safe). */
#ifndef FL_INGEST_SERVER_INT_H
#define FL_INGEST_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <zstd.h>

#include "core/buf.h"
#include "core/metrics.h"
#include "http/http.h"
#include "ingest/contract.h"
#include "ingest/server.h"
#include "json/json.h"
#include "log/log.h"
#include "table/table.h"

typedef struct srv_stream {
  const fl_project_stream *ps;
  fl_log_stream *ls;  /* the stream's records */
  fl_log_stream *qls; /* "<stream>.quarantine", one partition, JSON records */
  fl_metric *m_accepted, *m_rejected, *m_accepted_bytes, *m_rejected_bytes; /* docs/metrics.md */
  fl_metric *m_unknown_fields;
} srv_stream;

typedef struct srv_loop {
  fl_ingest *ing;
  fl_http_loop *hloop;
  uint32_t index;
  fl_json_parser **parsers; /* per stream */
  fl_contract **contracts;  /* per stream, NULL if no CHECK */
  ZSTD_DCtx *zstd;
  fl_buf inflated;    /* the decoded body of the current request */
  fl_buf qjson;       /* quarantine records of the current chunk */
  fl_buf key;         /* key text of one row */
  fl_buf resp;        /* response body */
  fl_buf errors;      /* the answer's listed errors, over the request's pieces */
  fl_buf piece;       /* a piece of a large JSON array body, as "[...]" */
  uint32_t *row_part; /* partition of each accepted row */
  uint64_t *row_hash; /* key hash of each accepted row (the log record's key_hash) */
  uint32_t cap_hash;
  uint32_t *part_count; /* rows per partition (+1 for prefix sums) */
  uint32_t *qoff;       /* quarantine record offsets in qjson (nrejects + 1) */
  fl_log_record *recs;
  uint32_t cap_rows, cap_parts, cap_recs, cap_q;
  uint64_t seq;        /* requests seen, for request ids */
  char rid_prefix[40]; /* "<server start, hex>-<loop index>-": request ids append seq */
  uint32_t rid_prefix_len;
  struct srv_pending *free_pendings; /* recycled pendings (body capacity SRV_PENDING_BODY_CAP) */
  uint32_t nfree_pendings;
} srv_loop;

/* A pending answer of up to this many bytes is kept inline (every answer without
 * listed errors fits); a longer one gets one fl_malloc for that request. */
#define SRV_PENDING_BODY_CAP 240
/* The free list keeps at most this many pendings per loop (bounds idle memory). */
#define SRV_PENDING_FREE_MAX 4096
/* Scratch buffers over this size are given back after the request that grew them. */
#define SRV_SCRATCH_KEEP_BYTES (4u << 20)

/* A request whose records are in the log's queue. Taken from its loop's free list
 * (no malloc per request), returned there on its loop thread once the last append
 * completed and the answer was sent (or the client had gone). */
typedef struct srv_pending {
  fl_http_defer defer; /* first: the loop's receiver gets it */
  srv_loop *loop;
  atomic_uint outstanding; /* appends not yet completed (+1 while queuing) */
  atomic_int rc;           /* first failure, FL_OK if none */
  int status;              /* 200; 400 when every record was rejected; 413 when cut */
  srv_stream *ss;          /* what the answer counts, added to the metrics once durable: */
  uint64_t accepted, rejected, accepted_bytes, rejected_bytes, unknown_fields;
  struct srv_pending *next_free; /* the loop's free list */
  char *body;                    /* the answer, sent when every append is durable: */
  size_t body_len;               /* `small`, or fl_malloc'd when longer */
  char small[SRV_PENDING_BODY_CAP];
} srv_pending;

struct fl_ingest {
  const fl_project *proj;
  fl_log *log;
  fl_http *http;
  int64_t started_us;
  srv_stream *streams;
  uint32_t nstreams;
  srv_loop *loops;
  uint32_t nloops;
  fl_buf streams_json; /* GET /v1/streams answer, built once */
};

/* Kept for the files that still say so (one name per type, STYLE §5). */
typedef fl_ingest fl_server;

/* server_events.c */
int srv_events_post(void *ctx, fl_http_loop *hloop, h2o_req_t *req, const fl_http_match *m);
void srv_loop_scratch_free(srv_loop *loop);

#endif
