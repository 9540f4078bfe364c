/* metrics: one process-wide registry of counters, gauges and histograms, rendered in
 * the Prometheus text exposition format 0.0.4 (GET /metrics).
 *
 * A metric family has a name, a help text, a type and label names; a series is one
 * combination of label values. Families and series are registered (found or created)
 * at start-up or when a stream, table or route first appears, and the caller keeps the
 * series handle: recording into it is one relaxed atomic add (a histogram: one bucket
 * add, the count and a compare-and-swap on the sum), never a lock or a malloc.
 *
 *   static fl_metric_family *appends;          // once, at start-up
 *   appends = fl_metrics_counter("floe_log_appends_total", "Appends to the event log.", "stream");
 *   fl_metric *m = FL_METRIC_WITH(appends, "orders");   // when the stream is opened
 *   fl_metric_add(m, 1);                                // the hot path
 *
 * Naming follows Prometheus (REFERENCE/conventions.md §5): `floe_` prefix, base units
 * as suffix (`_seconds`, `_bytes`), counters end in `_total`; registration asserts it.
 * Registering an existing name returns the same family (type and labels must match),
 * so two log handles in one process share their series.
 *
 * Bounds: FL_METRIC_FAMILIES_MAX families, FL_METRIC_SERIES_MAX series per family,
 * FL_METRIC_BUCKETS_MAX histogram buckets (core/limits.h). Past the series bound
 * FL_METRIC_WITH returns NULL, recording into NULL does nothing, and the family's
 * dropped count shows in floe_metrics_series_dropped_total: a label that should have
 * been bounded never exhausts memory.
 *
 * Thread safety: every call may come from any thread. Series are never freed (they
 * live as long as the process, like the names they describe). */
#ifndef FL_CORE_METRICS_H
#define FL_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef enum fl_metric_type { FL_METRIC_COUNTER, FL_METRIC_GAUGE, FL_METRIC_HISTOGRAM } fl_metric_type;

typedef struct fl_metric_family fl_metric_family;
typedef struct fl_metric fl_metric; /* one series */

/* labels: comma-separated label names ("stream,partition"), or NULL / "" for none. */
fl_metric_family *fl_metrics_counter(const char *name, const char *help, const char *labels);
fl_metric_family *fl_metrics_gauge(const char *name, const char *help, const char *labels);
/* bounds: ascending upper bounds (le), without +Inf; NULL = FL_METRIC_SECONDS_BUCKETS. */
fl_metric_family *fl_metrics_histogram(const char *name, const char *help, const char *labels,
                                       const double *bounds, uint32_t nbounds);

/* Latency buckets in seconds, 100 µs to 10 s (Prometheus's defaults widened down:
 * a group commit or an accepted POST takes well under a millisecond here). */
extern const double FL_METRIC_SECONDS_BUCKETS[];
extern const uint32_t FL_METRIC_SECONDS_NBUCKETS;

/* The series with these label values (one per label name, in order, then a NULL; the
 * whole array may be NULL for a family without labels), created on first use (one
 * malloc), found without a lock after. NULL past FL_METRIC_SERIES_MAX. */
fl_metric *fl_metric_get(fl_metric_family *fam, const char *const *values);
#define FL_METRIC_WITH(fam, ...) fl_metric_get((fam), (const char *const[]){__VA_ARGS__, NULL})

/* Recording: m may be NULL (a dropped series). */
void fl_metric_add(fl_metric *m, uint64_t n);     /* counter (or gauge: += n) */
void fl_metric_set(fl_metric *m, double v);       /* gauge */
void fl_metric_gauge_add(fl_metric *m, double d); /* gauge += d (may be negative) */
void fl_metric_observe(fl_metric *m, double v);   /* histogram */
/* A counter mirroring a total kept elsewhere (set by a collector; never decreasing). */
void fl_metric_set_total(fl_metric *m, uint64_t total);

/* Reading back (tests, the per-minute summary). A counter's or gauge's value; a
 * histogram's count. */
double fl_metric_value(const fl_metric *m);
double fl_metric_hist_sum(const fl_metric *m);
/* A histogram's buckets now: counts[i] observations in bucket i (not cumulative; the
 * last is +Inf) and *bounds its upper bounds; returns the number of buckets (nbounds
 * + 1), or 0 if cap is too small. */
uint32_t fl_metric_hist_read(const fl_metric *m, const double **bounds, uint64_t *counts, uint32_t cap);
/* The q-quantile (0..1) of n observations spread over these buckets, as Prometheus's
 * histogram_quantile: linear within the bucket, the highest finite bound past it; NaN
 * when there is no observation. */
double fl_metrics_quantile(double q, const double *bounds, const uint64_t *counts, uint32_t nbuckets);
/* The sum of every series of a family by name (0 if not registered): counters and
 * gauges their values, histograms their counts. */
double fl_metrics_total(const char *name);
/* The same over the series whose label `label` has the value `value` (0 if none). */
double fl_metrics_total_with(const char *name, const char *label, const char *value);

/* Called at the start of every render, to set gauges that are read rather than
 * recorded (queue bytes, lag). Up to FL_METRIC_COLLECTORS_MAX; remove before ctx dies. */
typedef void (*fl_metrics_collect_fn)(void *ctx);
void fl_metrics_collector_add(fl_metrics_collect_fn fn, void *ctx);
void fl_metrics_collector_remove(fl_metrics_collect_fn fn, void *ctx);

/* Appends the whole registry in the text format 0.0.4 to out: families in
 * registration order, each with # HELP and # TYPE, every line ending in '\n'. */
void fl_metrics_render(fl_buf *out);
/* The Content-Type that goes with it. */
#define FL_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
