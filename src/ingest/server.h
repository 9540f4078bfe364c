/* server: the events API, registered on floe's HTTP service (src/http/; DESIGN §1, §4).
 *
 *   POST /v1/streams/{stream}/events   NDJSON or a JSON array (Content-Type JSON or NDJSON);
 *                                      Content-Encoding gzip, deflate, zstd or none; bearer
 *                                      token with scope ingest:{stream} (or admin) when
 *                                      tokens are set
 *   GET  /v1/streams                   the streams and their columns (scope query)
 *
 * A 2xx means every accepted record is fsynced in the event log (DATA/log/<stream>)
 * and every rejected one in "<stream>.quarantine": the response is sent from the loop
 * thread only after the log thread's done callbacks for all of the request's appends
 * have run. The stream job (or, with stream.enabled: false, the stream module's quarantine
 * copy: stream/qcopy.c) copies "<stream>.quarantine" into the Iceberg table
 * quarantine.<stream>.
 *
 * The composition root (cli/cmd_serve.c) owns the log and the HTTP service; ingest
 * borrows them:
 *
 *   fl_ingest *ing;
 *   fl_ingest_new(proj, log, http, &ing, &err);  streams opened, routes registered
 *   fl_http_start(http, &err);                  ... serving ...
 *   fl_http_stop(http);                         no request in flight any more
 *   fl_ingest_free(ing);
 *
 * The project, the log and the HTTP service must outlive ing. */
#ifndef FL_INGEST_SERVER_H
#define FL_INGEST_SERVER_H

#include <stdint.h>

#include "core/err.h"
#include "http/http.h"
#include "ingest/project.h"
#include "log/log.h"
#include "table/table.h"

typedef struct fl_ingest fl_ingest;

fl_code fl_ingest_new(const fl_project *proj, fl_log *log, fl_http *http, fl_ingest **out, fl_err *err);
/* After fl_http_stop: frees ing. */
void fl_ingest_free(fl_ingest *ing);

/* The HTTP service's options from floe.yaml (listen, threads, limits, tokens, http.*);
 * the token array lives in the project's arena. */
void fl_project_http_opts(const fl_project *proj, fl_http_opts *opts);
/* The event log's options for this project (segment size; a queue limit above
 * max_pending_bytes so that a request's appends are not cut in half by it). */
void fl_project_log_opts(const fl_project *proj, fl_log_opts *opts);

#endif
