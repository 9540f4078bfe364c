/* obs: GET /metrics, the request metrics and access log (from the HTTP service's
 * observer) and the periodic one-line summary of `floe serve` (obs.h).
 *
 * Request metrics: the observer runs on the loop thread when h2o frees a request; it
 * formats the status into a stack buffer and finds the (route, status) series by a
 * lock-free walk (created once per pair: routes are the service's fixed names and
 * statuses a few dozen), so the request path allocates nothing. The status classes
 * the summary prints are obs's own atomics.
 *
 * Summary: a thread wakes every summary_interval_ms, reads the registry's totals
 * (fl_metrics_total, fl_metrics_total_with) and the buckets of the "events" route's
 * latency (ingest's route name), and prints the differences from its last line, with
 * the p50 and p99 of the events posted since (fl_metrics_quantile, as Prometheus's
 * histogram_quantile); fl_obs_free wakes and joins it.
 *
 * The HTTP service's own counters (connections, bytes in flight, refusals) are read
 * by a registry collector at each render (fl_http_stats_get).
 *
 * Entry points: fl_obs_new, fl_obs_free, fl_obs_summary. */
#include "obs/obs.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/diag.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/time.h"

#define MOD "obs"

/* What the summary line differences; one snapshot of the totals. */
typedef struct totals {
  uint64_t classes[6]; /* requests by status / 100 (0: no status sent) */
  double accepted, rejected, records, fsyncs, log_bytes, commits, conflicts;
  uint64_t events_buckets[FL_METRIC_BUCKETS_MAX + 1]; /* latency of the events route */
  uint32_t nbuckets;
  int64_t at_ns;
} totals;

struct fl_obs {
  fl_obs_opts opts;
  fl_http *http;
  fl_metric_family *requests, *durations;
  fl_metric *events_seconds; /* durations of ingest's "events" route, for the summary's quantiles */
  const double *bounds;
  uint64_t classes[6]; /* atomics */
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool stop, thread_started, collecting;
  pthread_t thread;
  totals last; /* under mu */
  fl_metric *connections, *inflight, *budget_refusals, *accept_backoffs, *deadline_closes, *framing_refusals;
};

/* Collector: the HTTP service's own gauges and counters (fl_http_stats_get), read at
 * each render; registered by fl_obs_new, removed by fl_obs_free (before the service
 * is freed). */
static void http_collect(void *ctx) {
  fl_obs *obs = ctx;
  fl_http_stats st;
  fl_http_stats_get(obs->http, &st);
  fl_metric_set(obs->connections, st.connections);
  fl_metric_set(obs->inflight, (double)st.inflight_bytes);
  fl_metric_set_total(obs->budget_refusals, st.budget_refusals);
  fl_metric_set_total(obs->accept_backoffs, st.accept_backoffs);
  fl_metric_set_total(obs->deadline_closes, st.deadline_closes);
  fl_metric_set_total(obs->framing_refusals, st.framing_refusals);
}

static fl_metric *single(fl_metric_family *fam) { return fl_metric_get(fam, NULL); }

static void http_metrics_register(fl_obs *obs) {
  obs->connections = single(fl_metrics_gauge("floe_http_connections", "Open HTTP connections.", NULL));
  obs->inflight = single(fl_metrics_gauge(
      "floe_http_inflight_bytes", "Request bytes buffered now (limits.max_inflight_bytes bounds it).", NULL));
  obs->budget_refusals = single(
      fl_metrics_counter("floe_http_budget_refusals_total",
                         "Requests answered 503 because too many request bytes were in flight.", NULL));
  obs->accept_backoffs = single(fl_metrics_counter(
      "floe_http_accept_backoffs_total", "accept() failures (EMFILE, ...) that paused a listener.", NULL));
  obs->deadline_closes = single(fl_metrics_counter(
      "floe_http_deadline_closes_total", "HTTP/2 connections closed at the request deadline.", NULL));
  obs->framing_refusals = single(fl_metrics_counter(
      "floe_http_framing_refusals_total", "HTTP/1 requests refused for their framing (RFC 9112).", NULL));
}

/* ---------------------------------------------------------------- GET /metrics */

static int metrics_get(void *ctx, fl_http_loop *loop, h2o_req_t *req, const fl_http_match *m) {
  fl_buf out = FL_BUF_INIT;
  fl_metrics_render(&out);
  req->res.status = 200;
  req->res.reason = "OK";
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                 H2O_STRLIT(FL_METRICS_CONTENT_TYPE));
  req->res.content_length = out.len;
  h2o_send_inline(req, (const char *)out.data, out.len); /* copies into the request's pool */
  fl_buf_free(&out);
  return 0;
}

/* ---------------------------------------------------------------- requests */

static void observe(void *ctx, const char *route, int status, int64_t duration_ns) {
  fl_obs *obs = ctx;
  char code[4] = "0"; /* by hand: no printf on the path of every request */
  if (status >= 100 && status <= 999)
    code[0] = (char)('0' + status / 100), code[1] = (char)('0' + status / 10 % 10),
    code[2] = (char)('0' + status % 10);
  double seconds = (double)duration_ns / 1e9;
  fl_metric_add(FL_METRIC_WITH(obs->requests, route, code), 1);
  fl_metric_observe(FL_METRIC_WITH(obs->durations, route), seconds);
  uint32_t cls = status >= 100 && status < 600 ? (uint32_t)status / 100 : 0;
  __atomic_fetch_add(&obs->classes[cls], 1, __ATOMIC_RELAXED);
  if (obs->opts.access_log) fl_info("access", "%s %d %.3f ms", route, status, seconds * 1e3);
}

/* ---------------------------------------------------------------- summary */

static void totals_read(fl_obs *obs, totals *t) {
  for (int i = 0; i < 6; i++) t->classes[i] = __atomic_load_n(&obs->classes[i], __ATOMIC_RELAXED);
  t->accepted = fl_metrics_total("floe_ingest_events_accepted_total");
  t->rejected = fl_metrics_total("floe_ingest_events_rejected_total");
  t->records = fl_metrics_total("floe_log_records_total");
  t->fsyncs = fl_metrics_total("floe_log_fsyncs_total");
  t->log_bytes = fl_metrics_total("floe_log_bytes_total");
  t->commits = fl_metrics_total_with("floe_iceberg_commits_total", "result", "ok");
  t->conflicts = fl_metrics_total_with("floe_iceberg_commits_total", "result", "conflict");
  t->nbuckets =
      fl_metric_hist_read(obs->events_seconds, &obs->bounds, t->events_buckets, FL_METRIC_BUCKETS_MAX + 1);
  t->at_ns = fl_mono_ns();
}

void fl_obs_summary(fl_obs *obs, char *out, size_t cap) {
  totals now;
  totals_read(obs, &now);
  pthread_mutex_lock(&obs->mu);
  totals prev = obs->last;
  obs->last = now;
  pthread_mutex_unlock(&obs->mu);
  uint64_t c[6], nreq = 0;
  for (int i = 0; i < 6; i++) nreq += c[i] = now.classes[i] - prev.classes[i];
  uint64_t lat[FL_METRIC_BUCKETS_MAX + 1];
  for (uint32_t i = 0; i < now.nbuckets; i++) lat[i] = now.events_buckets[i] - prev.events_buckets[i];
  char quantiles[64] = "";
  double p50 = fl_metrics_quantile(0.5, obs->bounds, lat, now.nbuckets);
  if (!isnan(p50))
    snprintf(quantiles, sizeof quantiles, " (p50 %.3g ms, p99 %.3g ms)", p50 * 1e3,
             fl_metrics_quantile(0.99, obs->bounds, lat, now.nbuckets) * 1e3);
  snprintf(out, cap,
           "last %.1f s: %llu requests (%llu 2xx, %llu 4xx, %llu 5xx), events %.0f accepted %.0f rejected%s, "
           "log %.0f records %.0f bytes %.0f fsyncs, queue %.0f bytes, %.0f table commits (%.0f conflicts)",
           (double)(now.at_ns - prev.at_ns) / 1e9, (unsigned long long)nreq, (unsigned long long)c[2],
           (unsigned long long)c[4], (unsigned long long)c[5], now.accepted - prev.accepted,
           now.rejected - prev.rejected, quantiles, now.records - prev.records,
           now.log_bytes - prev.log_bytes, now.fsyncs - prev.fsyncs, fl_metrics_total("floe_log_queue_bytes"),
           now.commits - prev.commits, now.conflicts - prev.conflicts);
}

static void *summary_thread(void *arg) {
  fl_obs *obs = arg;
  fl_thread_name("floe-summary");
  pthread_mutex_lock(&obs->mu);
  int64_t due_ns = fl_mono_ns() + obs->opts.summary_interval_ms * 1000000;
  while (!obs->stop) {
    struct timespec ts = {.tv_sec = due_ns / 1000000000, .tv_nsec = due_ns % 1000000000};
    pthread_cond_timedwait(&obs->cond, &obs->mu, &ts);
    if (obs->stop || fl_mono_ns() < due_ns) continue;
    due_ns += obs->opts.summary_interval_ms * 1000000;
    pthread_mutex_unlock(&obs->mu);
    char line[512];
    fl_obs_summary(obs, line, sizeof line);
    fl_info("summary", "%s", line);
    pthread_mutex_lock(&obs->mu);
  }
  pthread_mutex_unlock(&obs->mu);
  return NULL;
}

/* ---------------------------------------------------------------- life cycle */

fl_code fl_obs_new(const fl_obs_opts *opts, fl_http *http, fl_obs **out, fl_err *err) {
  *out = NULL;
  fl_obs *obs = fl_calloc(1, sizeof *obs);
  if (opts) obs->opts = *opts;
  if (!obs->opts.summary_interval_ms) obs->opts.summary_interval_ms = 60000;
  obs->http = http;
  pthread_mutex_init(&obs->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* fl_mono_ns is CLOCK_MONOTONIC */
  pthread_cond_init(&obs->cond, &ca);
  pthread_condattr_destroy(&ca);
  obs->requests = fl_metrics_counter("floe_http_requests_total",
                                     "HTTP requests by route (none: refused before routing) and status sent "
                                     "(0: the client left first).",
                                     "route,status");
  obs->durations = fl_metrics_histogram("floe_http_request_duration_seconds",
                                        "Time from a request's arrival on its loop to its end, by route.",
                                        "route", NULL, 0);
  obs->events_seconds = FL_METRIC_WITH(obs->durations, "events");
  fl_metric_set(
      FL_METRIC_WITH(fl_metrics_gauge("floe_build_info", "floe's version (the value is 1).", "version"),
                     FLOE_VERSION),
      1);
  totals_read(obs, &obs->last);
  http_metrics_register(obs);
  fl_code rc = fl_http_get(http, "metrics", "/metrics", NULL, metrics_get, obs, err);
  if (rc) goto fail;
  fl_metrics_collector_add(http_collect, obs);
  obs->collecting = true;
  fl_http_set_observer(http, observe, obs);
  if (obs->opts.summary_interval_ms > 0) {
    if (pthread_create(&obs->thread, NULL, summary_thread, obs) != 0) {
      rc = fl_err_set(err, FL_ENOMEM, "metrics: cannot start the summary thread");
      goto fail;
    }
    obs->thread_started = true;
  }
  *out = obs;
  return FL_OK;
fail:
  fl_obs_free(obs);
  return rc;
}

void fl_obs_free(fl_obs *obs) {
  if (!obs) return;
  if (obs->collecting) fl_metrics_collector_remove(http_collect, obs);
  if (obs->thread_started) {
    pthread_mutex_lock(&obs->mu);
    obs->stop = true;
    pthread_cond_signal(&obs->cond);
    pthread_mutex_unlock(&obs->mu);
    pthread_join(obs->thread, NULL);
  }
  pthread_cond_destroy(&obs->cond);
  pthread_mutex_destroy(&obs->mu);
  fl_free(obs);
}
