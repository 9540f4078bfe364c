/* obs: what an operator of `floe serve` sees besides the data (DESIGN §1, issue 11):
 *
 *   GET /metrics     the metrics registry (core/metrics.h) in the Prometheus text
 *                    format 0.0.4; open like /healthz (no token), for scrapers
 *   request metrics  floe_http_requests_total{route,status} and
 *                    floe_http_request_duration_seconds{route}, from the HTTP
 *                    service's observer (every request, whatever answered it)
 *   access log       one info line per request on stderr (route, status, time), when
 *                    floe.yaml says `access_log: true` (off by default)
 *   summary          one info line on stderr every `summary_interval` (1 minute):
 *                    requests by status class, events accepted and rejected, log
 *                    records, fsyncs and queue, table commits, since the last line
 *
 *   fl_obs *obs;
 *   fl_obs_new(&opts, http, &obs, &err);   after the other routes, before fl_http_start
 *   ...
 *   fl_http_stop(http); fl_obs_free(obs);  after the service stopped
 *
 * The registry is process-wide: log, table and ingest record into it themselves; obs
 * only adds the HTTP-side metrics and renders. */
#ifndef FL_OBS_OBS_H
#define FL_OBS_OBS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "http/http.h"

typedef struct fl_obs_opts {
  bool access_log;             /* one info line per request */
  int64_t summary_interval_ms; /* 0 = 60000; < 0 = no summary */
} fl_obs_opts;

typedef struct fl_obs fl_obs;

fl_code fl_obs_new(const fl_obs_opts *opts, fl_http *http, fl_obs **out, fl_err *err);
/* Stops the summary thread (printing nothing more) and frees obs. NULL is a no-op. */
void fl_obs_free(fl_obs *obs);

/* Formats the summary of the counters since the previous call into out (what the
 * summary thread prints; tests). */
void fl_obs_summary(fl_obs *obs, char *out, size_t cap);

#endif
