/* serve: the read side of floe serve (DESIGN §1, §4). Today: the query API.
 *
 *   POST /v1/query    (scope "query") SQL in, rows out, on the HTTP worker pool
 *
 *   fl_query_api *api;
 *   fl_query_api_new(http, &opts, &api, &err);   before fl_http_start
 *   ...
 *   fl_query_api_free(api);                      after fl_http_stop
 *
 * The request body is the query: as text (Content-Type text/plain or application/sql,
 * or none), or JSON {"sql": "..."}. The answer's format follows Accept: JSON rows by
 * default (an array of objects), application/x-ndjson, text/csv or
 * application/vnd.apache.arrow.stream (sql.h: fl_sql_writer). Each query runs on a
 * worker thread (never on an event loop) with its own read-only warehouse handle (a
 * pool, one per worker at most), a time limit and a memory budget; errors are JSON
 * {"error_code": N, "message": "..."} where a positioned message carries the query's
 * line and a caret under the place. */
#ifndef FL_SERVE_SERVE_H
#define FL_SERVE_SERVE_H

#include <stdint.h>

#include "core/err.h"
#include "http/http.h"

typedef struct fl_query_api_opts {
  const char *data_dir;      /* the warehouse (copied) */
  int64_t timeout_ms;        /* per query; 0 = none */
  uint64_t memory_bytes;     /* per query's hash tables and sorts; 0 = no limit */
  uint64_t max_result_bytes; /* an answer past this is refused (413); 0 = 256 MiB */
  uint32_t threads;          /* worker threads per query; 0 = the online cores */
} fl_query_api_opts;

typedef struct fl_query_api fl_query_api;

fl_code fl_query_api_new(fl_http *http, const fl_query_api_opts *opts, fl_query_api **out, fl_err *err);
void fl_query_api_free(fl_query_api *api);

#endif
