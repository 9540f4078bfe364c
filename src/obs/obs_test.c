/* Unit tests of obs: the summary line is the difference of the registry's totals since
 * the previous line, and GET /metrics is registered on the service. (The request
 * metrics and the access log through a live server: tests/e2e/0501 and 0502.) */
#include <criterion/criterion.h>
#include <string.h>

#include "core/metrics.h"
#include "obs/obs.h"

Test(obs, the_summary_counts_what_happened_since_its_previous_line) {
  fl_http *http;
  fl_err err = {0};
  fl_http_opts hopts = {.listen = "127.0.0.1:0"};
  cr_assert_eq(fl_http_new(&hopts, &http, &err), FL_OK, "%s", err.msg);
  fl_metric_family *acc = fl_metrics_counter("floe_ingest_events_accepted_total", "A.", "stream");
  fl_metric_family *rej = fl_metrics_counter("floe_ingest_events_rejected_total", "R.", "stream");
  fl_metric_family *commits = fl_metrics_counter("floe_iceberg_commits_total", "C.", "table,result");
  fl_metric_add(FL_METRIC_WITH(acc, "orders"), 100); /* before obs: not in any line */
  fl_obs *obs;
  fl_obs_opts opts = {.summary_interval_ms = -1};
  cr_assert_eq(fl_obs_new(&opts, http, &obs, &err), FL_OK, "%s", err.msg);
  fl_metric_add(FL_METRIC_WITH(acc, "orders"), 7);
  fl_metric_add(FL_METRIC_WITH(acc, "clicks"), 3);
  fl_metric_add(FL_METRIC_WITH(rej, "orders"), 2);
  fl_metric_add(FL_METRIC_WITH(commits, "bronze.orders", "ok"), 4);
  fl_metric_add(FL_METRIC_WITH(commits, "bronze.orders", "conflict"), 1);
  char line[512];
  fl_obs_summary(obs, line, sizeof line);
  cr_assert(strstr(line, "events 10 accepted 2 rejected"), "%s", line);
  cr_assert(strstr(line, "4 table commits (1 conflicts)"), "%s", line);
  cr_assert(strstr(line, "0 requests (0 2xx, 0 4xx, 0 5xx)"), "%s", line);
  cr_assert(strstr(line, "rejected, log"), "no quantiles without an events request: %s", line);
  fl_metric_add(FL_METRIC_WITH(acc, "orders"), 1);
  fl_metric *lat = FL_METRIC_WITH(
      fl_metrics_histogram("floe_http_request_duration_seconds", "D.", "route", NULL, 0), "events");
  for (int i = 0; i < 99; i++) fl_metric_observe(lat, 0.0004); /* in (0.25 ms, 0.5 ms] */
  fl_metric_observe(lat, 0.2);                                 /* in (100 ms, 250 ms] */
  fl_obs_summary(obs, line, sizeof line);
  /* p50: 0.25 + 0.25 * (50/99) ms; p99: rank 99 is the last of the 99 in (0.25, 0.5] */
  cr_assert(strstr(line, "events 1 accepted 0 rejected (p50 0.376 ms, p99 0.5 ms)"), "%s", line);
  cr_assert(strstr(line, "0 table commits (0 conflicts)"), "%s", line);
  fl_obs_free(obs);
  fl_http_free(http);
}

Test(obs, build_info_and_the_request_families_are_registered) {
  fl_http *http;
  fl_err err = {0};
  fl_http_opts hopts = {.listen = "127.0.0.1:0"};
  cr_assert_eq(fl_http_new(&hopts, &http, &err), FL_OK, "%s", err.msg);
  fl_obs *obs;
  cr_assert_eq(fl_obs_new(NULL, http, &obs, &err), FL_OK, "%s", err.msg);
  fl_buf out = FL_BUF_INIT;
  fl_metrics_render(&out);
  fl_buf_cstr(&out);
  const char *text = (const char *)out.data;
  cr_assert(strstr(text, "floe_build_info{version=\"" FLOE_VERSION "\"} 1\n"), "%s", text);
  cr_assert(strstr(text, "# TYPE floe_http_requests_total counter\n"));
  cr_assert(strstr(text, "# TYPE floe_http_request_duration_seconds histogram\n"));
  /* the service's own counters, read at the render: nothing open, nothing refused */
  cr_assert(strstr(text, "\nfloe_http_connections 0\n"), "%s", text);
  cr_assert(strstr(text, "\nfloe_http_inflight_bytes 0\n"));
  cr_assert(strstr(text, "\nfloe_http_budget_refusals_total 0\n"));
  cr_assert(strstr(text, "\nfloe_http_framing_refusals_total 0\n"));
  fl_buf_free(&out);
  fl_obs_free(obs); /* joins the summary thread, which printed nothing yet */
  fl_http_free(http);
}
