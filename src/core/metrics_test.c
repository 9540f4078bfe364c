/* Unit tests of the metrics registry: exact text format 0.0.4 (HELP/TYPE, labels,
 * escaping, cumulative buckets, +Inf = _count), exact totals under concurrent
 * recording, no allocation on the record path, the series bound and collectors.
 * Criterion runs each test in its own process, so each starts with an empty registry. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "core/metrics.h"

static char *render(void) {
  fl_buf out = FL_BUF_INIT;
  fl_metrics_render(&out);
  fl_buf_cstr(&out);
  return (char *)out.data;
}

/* The block of one family: from its # HELP line to the next # HELP (or the end). */
static char *family_text(const char *text, const char *name) {
  char head[256];
  snprintf(head, sizeof head, "# HELP %s ", name);
  const char *p = strstr(text, head);
  if (!p) return fl_strdup("");
  const char *end = strstr(p + 1, "# HELP ");
  return end ? fl_strndup(p, (size_t)(end - p)) : fl_strdup(p);
}

Test(metrics, counter_with_labels_renders_exact_lines) {
  fl_metric_family *f = fl_metrics_counter("floe_test_events_total", "Events seen.", "stream,result");
  fl_metric *a = FL_METRIC_WITH(f, "orders", "ok");
  fl_metric *b = FL_METRIC_WITH(f, "clicks", "bad");
  cr_assert_eq(FL_METRIC_WITH(f, "orders", "ok"), a, "the same label values give the same series");
  fl_metric_add(a, 5);
  fl_metric_add(a, 2);
  fl_metric_add(b, 1);
  char *text = render();
  char *fam = family_text(text, "floe_test_events_total");
  cr_assert_str_eq(fam,
                   "# HELP floe_test_events_total Events seen.\n"
                   "# TYPE floe_test_events_total counter\n"
                   "floe_test_events_total{stream=\"orders\",result=\"ok\"} 7\n"
                   "floe_test_events_total{stream=\"clicks\",result=\"bad\"} 1\n");
  cr_assert_eq(fl_metric_value(a), 7);
  cr_assert_eq(fl_metrics_total("floe_test_events_total"), 8);
  cr_assert_eq(fl_metrics_total("floe_not_registered_total"), 0);
  cr_assert_eq(fl_metrics_total_with("floe_test_events_total", "result", "ok"), 7);
  cr_assert_eq(fl_metrics_total_with("floe_test_events_total", "stream", "clicks"), 1);
  cr_assert_eq(fl_metrics_total_with("floe_test_events_total", "result", "none"), 0);
  cr_assert_eq(fl_metrics_total_with("floe_test_events_total", "no_such_label", "ok"), 0);
  fl_free(fam);
  fl_free(text);
}

Test(metrics, registering_twice_returns_the_same_family) {
  fl_metric_family *f = fl_metrics_counter("floe_test_x_total", "X.", "a");
  cr_assert_eq(fl_metrics_counter("floe_test_x_total", "X.", "a"), f);
  fl_metric_add(FL_METRIC_WITH(f, "1"), 3);
  fl_metric_add(FL_METRIC_WITH(fl_metrics_counter("floe_test_x_total", "X.", "a"), "1"), 4);
  cr_assert_eq(fl_metrics_total("floe_test_x_total"), 7);
  char *text = render();
  const char *first = strstr(text, "# TYPE floe_test_x_total");
  cr_assert_not_null(first);
  cr_assert_null(strstr(first + 1, "# TYPE floe_test_x_total"), "one family, printed once");
  fl_free(text);
}

Test(metrics, gauge_without_labels_sets_and_adds) {
  fl_metric *g = fl_metric_get(fl_metrics_gauge("floe_test_queue_bytes", "Queued.", NULL), NULL);
  fl_metric_set(g, 1024);
  fl_metric_gauge_add(g, -24);
  fl_metric_add(g, 1);
  fl_metric *lag = fl_metric_get(fl_metrics_gauge("floe_test_lag_seconds", "Lag.", ""), NULL);
  fl_metric_set(lag, 0.25);
  char *text = render();
  cr_assert_not_null(strstr(text, "# TYPE floe_test_queue_bytes gauge\nfloe_test_queue_bytes 1001\n"), "%s",
                     text);
  cr_assert_not_null(strstr(text, "\nfloe_test_lag_seconds 0.25\n"), "%s", text);
  fl_free(text);
}

Test(metrics, histogram_buckets_are_cumulative_inclusive_and_inf_equals_count) {
  static const double bounds[] = {0.1, 0.5, 1};
  fl_metric_family *f =
      fl_metrics_histogram("floe_test_commit_duration_seconds", "Commit time.", "table", bounds, 3);
  fl_metric *h = FL_METRIC_WITH(f, "bronze.orders");
  fl_metric_observe(h, 0.05);
  fl_metric_observe(h, 0.1); /* le is inclusive: counts in 0.1 */
  fl_metric_observe(h, 0.75);
  fl_metric_observe(h, 3);
  char *text = render();
  char *fam = family_text(text, "floe_test_commit_duration_seconds");
  cr_assert_str_eq(fam,
                   "# HELP floe_test_commit_duration_seconds Commit time.\n"
                   "# TYPE floe_test_commit_duration_seconds histogram\n"
                   "floe_test_commit_duration_seconds_bucket{table=\"bronze.orders\",le=\"0.1\"} 2\n"
                   "floe_test_commit_duration_seconds_bucket{table=\"bronze.orders\",le=\"0.5\"} 2\n"
                   "floe_test_commit_duration_seconds_bucket{table=\"bronze.orders\",le=\"1\"} 3\n"
                   "floe_test_commit_duration_seconds_bucket{table=\"bronze.orders\",le=\"+Inf\"} 4\n"
                   "floe_test_commit_duration_seconds_sum{table=\"bronze.orders\"} 3.9\n"
                   "floe_test_commit_duration_seconds_count{table=\"bronze.orders\"} 4\n");
  cr_assert_eq(fl_metric_value(h), 4);
  cr_assert_float_eq(fl_metric_hist_sum(h), 3.9, 1e-12);
  fl_free(fam);
  fl_free(text);
}

Test(metrics, default_second_buckets_print_as_written) {
  fl_metric *h = fl_metric_get(fl_metrics_histogram("floe_test_latency_seconds", "L.", NULL, NULL, 0), NULL);
  fl_metric_observe(h, 0.0002);
  char *text = render();
  cr_assert_not_null(strstr(text, "floe_test_latency_seconds_bucket{le=\"0.0001\"} 0\n"), "%s", text);
  cr_assert_not_null(strstr(text, "floe_test_latency_seconds_bucket{le=\"0.00025\"} 1\n"), "%s", text);
  cr_assert_not_null(strstr(text, "floe_test_latency_seconds_bucket{le=\"10\"} 1\n"), "%s", text);
  cr_assert_not_null(strstr(text, "floe_test_latency_seconds_bucket{le=\"+Inf\"} 1\n"), "%s", text);
  cr_assert_not_null(strstr(text, "floe_test_latency_seconds_count 1\n"), "%s", text);
  fl_free(text);
}

Test(metrics, label_values_and_help_are_escaped) {
  fl_metric_family *f =
      fl_metrics_counter("floe_test_odd_total", "Back\\slash and\nnewline \"quoted\".", "v");
  fl_metric_add(FL_METRIC_WITH(f, "a\"b\\c\nd"), 1);
  char *text = render();
  cr_assert_not_null(strstr(text, "# HELP floe_test_odd_total Back\\\\slash and\\nnewline \"quoted\".\n"),
                     "%s", text);
  cr_assert_not_null(strstr(text, "floe_test_odd_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"), "%s", text);
  fl_free(text);
}

Test(metrics, every_line_ends_in_newline_and_builtins_are_there) {
  char *text = render();
  size_t n = strlen(text);
  cr_assert_gt(n, 0);
  cr_assert_eq(text[n - 1], '\n');
  cr_assert_not_null(strstr(text, "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds 1"));
  cr_assert_not_null(strstr(text, "# TYPE floe_memory_allocated_bytes gauge\nfloe_memory_allocated_bytes "));
  fl_free(text);
}

enum { THREADS = 4, ADDS = 200000 };
static fl_metric *shared_counter, *shared_hist;
static fl_metric_family *shared_family;

static void *hammer(void *arg) {
  (void)arg;
  for (int i = 0; i < ADDS; i++) {
    fl_metric_add(shared_counter, 1);
    fl_metric_observe(shared_hist, (i % 4) * 0.25);
    if (i % 1000 == 0) fl_metric_add(FL_METRIC_WITH(shared_family, "hot"), 1000);
  }
  return NULL;
}

Test(metrics, concurrent_records_add_up_exactly_while_rendering) {
  shared_counter = fl_metric_get(fl_metrics_counter("floe_test_hot_total", "Hot.", NULL), NULL);
  shared_hist = fl_metric_get(fl_metrics_histogram("floe_test_hot_seconds", "Hot.", NULL, NULL, 0), NULL);
  shared_family = fl_metrics_counter("floe_test_lazy_total", "Created by the first thread there.", "k");
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, hammer, NULL);
  for (int i = 0; i < 20; i++) fl_free(render()); /* rendering races with recording */
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  cr_assert_eq(fl_metric_value(shared_counter), (double)THREADS * ADDS);
  cr_assert_eq(fl_metric_value(shared_hist), (double)THREADS * ADDS);
  /* each thread observes 0, .25, .5, .75 equally: sum = ADDS/4 * 1.5 per thread, exact in binary */
  cr_assert_eq(fl_metric_hist_sum(shared_hist), THREADS * (ADDS / 4) * 1.5);
  cr_assert_eq(fl_metrics_total("floe_test_lazy_total"), (double)THREADS * (ADDS / 1000) * 1000);
  char *text = render();
  cr_assert_not_null(strstr(text, "floe_test_lazy_total{k=\"hot\"} 800000\n"), "one series despite the race");
  fl_free(text);
}

Test(metrics, recording_allocates_nothing) {
  fl_metric *c = fl_metric_get(fl_metrics_counter("floe_test_c_total", "C.", NULL), NULL);
  fl_metric *g = fl_metric_get(fl_metrics_gauge("floe_test_g_bytes", "G.", NULL), NULL);
  fl_metric_family *lf = fl_metrics_histogram("floe_test_h_seconds", "H.", "route", NULL, 0);
  fl_metric *h = FL_METRIC_WITH(lf, "/x");
  fl_mem_fail_after(0); /* from here any fl_malloc aborts the test process */
  for (int i = 0; i < 100000; i++) {
    fl_metric_add(c, 1);
    fl_metric_set(g, i);
    fl_metric_observe(h, i * 1e-6);
    fl_metric_observe(FL_METRIC_WITH(lf, "/x"), 0.5); /* finding an existing series: no allocation either */
  }
  fl_mem_fail_after(-1);
  cr_assert_eq(fl_metric_value(c), 100000);
  cr_assert_eq(fl_metric_value(h), 200000);
}

Test(metrics, series_past_the_limit_are_dropped_and_counted) {
  fl_metric_family *f = fl_metrics_counter("floe_test_many_total", "Many.", "id");
  char id[16];
  for (int i = 0; i < FL_METRIC_SERIES_MAX; i++) {
    snprintf(id, sizeof id, "%d", i);
    cr_assert_not_null(FL_METRIC_WITH(f, id));
  }
  fl_metric *over = FL_METRIC_WITH(f, "one-too-many");
  cr_assert_null(over);
  fl_metric_add(over, 1); /* a no-op, not a crash */
  cr_assert_null(FL_METRIC_WITH(f, "another"));
  cr_assert_not_null(FL_METRIC_WITH(f, "7"), "existing series are still found");
  char *text = render();
  cr_assert_not_null(strstr(text, "floe_metrics_series_dropped_total{metric=\"floe_test_many_total\"} 2\n"),
                     "%.300s", strstr(text, "floe_metrics_series_dropped_total"));
  fl_free(text);
}

static int collected;
static void collect(void *ctx) {
  collected++;
  fl_metric_set(ctx, 42);
}

Test(metrics, collectors_run_before_each_render_until_removed) {
  fl_metric *g = fl_metric_get(fl_metrics_gauge("floe_test_read_bytes", "Read on demand.", NULL), NULL);
  fl_metrics_collector_add(collect, g);
  char *text = render();
  cr_assert_eq(collected, 1);
  cr_assert_not_null(strstr(text, "\nfloe_test_read_bytes 42\n"));
  fl_free(text);
  fl_metrics_collector_remove(collect, g);
  fl_metric *mirror =
      fl_metric_get(fl_metrics_counter("floe_test_mirror_total", "Kept elsewhere.", NULL), NULL);
  fl_metric_set_total(mirror, 12);
  cr_assert_eq(fl_metric_value(mirror), 12);
  fl_metric_set(g, 7);
  text = render();
  cr_assert_eq(collected, 1);
  cr_assert_not_null(strstr(text, "\nfloe_test_read_bytes 7\n"));
  fl_free(text);
}

Test(metrics, a_counter_not_ending_in_total_is_refused, .signal = SIGABRT) {
  fl_metrics_counter("floe_test_events", "No suffix.", NULL);
}

Test(metrics, a_bad_label_name_is_refused, .signal = SIGABRT) {
  fl_metrics_counter("floe_test_y_total", "Y.", "ok,bad-name");
}

Test(metrics, quantiles_interpolate_within_buckets_as_prometheus_does) {
  static const double bounds[] = {0.001, 0.01, 0.1};
  fl_metric *h = fl_metric_get(fl_metrics_histogram("floe_test_q_seconds", "Q.", NULL, bounds, 3), NULL);
  uint64_t counts[8];
  const double *b;
  cr_assert_eq(fl_metric_hist_read(h, &b, counts, 3), 0, "cap too small");
  cr_assert_eq(fl_metric_hist_read(h, &b, counts, 8), 4);
  cr_assert(isnan(fl_metrics_quantile(0.5, b, counts, 4)), "no observation: NaN");
  for (int i = 0; i < 90; i++) fl_metric_observe(h, 0.0005); /* 90 in (0, 1 ms] */
  for (int i = 0; i < 10; i++) fl_metric_observe(h, 0.05);   /* 10 in (10 ms, 100 ms] */
  cr_assert_eq(fl_metric_hist_read(h, &b, counts, 8), 4);
  cr_assert_eq(counts[0], 90);
  cr_assert_eq(counts[1], 0);
  cr_assert_eq(counts[2], 10);
  cr_assert_eq(counts[3], 0);
  cr_assert_float_eq(fl_metrics_quantile(0.5, b, counts, 4), 0.001 * 50 / 90, 1e-12);
  cr_assert_float_eq(fl_metrics_quantile(0.9, b, counts, 4), 0.001, 1e-12);
  cr_assert_float_eq(fl_metrics_quantile(0.95, b, counts, 4), 0.01 + 0.09 * 5 / 10, 1e-12);
  fl_metric_observe(h, 7); /* past the last bound: the highest finite bound */
  fl_metric_hist_read(h, &b, counts, 8);
  cr_assert_float_eq(fl_metrics_quantile(1, b, counts, 4), 0.1, 1e-12);
}
