/* server: `floe serve`, the events API on h2o's event loop (DESIGN §1, §4; issue 8).
 *
 *   POST /v1/streams/{stream}/events   NDJSON or a JSON array; Content-Encoding gzip,
 *                                      deflate, zstd or none; bearer token with scope
 *                                      ingest:{stream} (or admin) when tokens are set
 *   GET  /v1/streams                   the streams and their columns (scope query)
 *   GET  /healthz                      {"status":"ok"} (no token needed)
 *
 * A 2xx means every accepted record is fsynced in the event log (DATA/log/<stream>)
 * and every rejected one in "<stream>.quarantine": the response is sent from the loop
 * thread only after the log thread's done callbacks for all of the request's appends
 * have run. The quarantine flusher copies "<stream>.quarantine" into the Iceberg table
 * quarantine.<stream> every commit interval (the offsets it reached are stored in the
 * snapshot summary as floe.log-offset.<p>, so a restart resumes exactly).
 *
 *   fl_server *srv;
 *   fl_server_start(proj, &opts, &srv, &err);   listening when it returns
 *   ... fl_server_port(srv) ...
 *   fl_server_stop(srv);                       drains in-flight requests, flushes, frees
 *
 * The project must outlive the server. */
#ifndef FL_INGEST_SERVER_H
#define FL_INGEST_SERVER_H

#include <stdint.h>

#include "core/err.h"
#include "ingest/project.h"
#include "log/log.h"

typedef struct fl_server_opts {
  const char *data_dir; /* required: DATA/log, DATA/catalog.db, DATA/warehouse */
  const char *listen;   /* "host:port"; NULL = the project's; port 0 = any free port */
  uint32_t threads;     /* event loops; 0 = the project's (default 2) */
} fl_server_opts;

typedef struct fl_server fl_server;

fl_code fl_server_start(const fl_project *proj, const fl_server_opts *opts, fl_server **out, fl_err *err);
/* The port listened on (useful after asking for port 0). */
uint16_t fl_server_port(const fl_server *srv);
/* Stops accepting, answers the requests in flight (waits for their log commits, up to
 * the request timeout), runs a last quarantine flush, closes the log, frees srv. */
void fl_server_stop(fl_server *srv);
/* The server's event log (tests, metrics). */
fl_log *fl_server_log(fl_server *srv);
/* Runs one quarantine flush now (tests); normally the flusher thread does this. */
fl_code fl_server_flush_quarantine(fl_server *srv, fl_err *err);

#endif
