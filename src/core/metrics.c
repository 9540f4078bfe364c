/* metrics: the process-wide registry behind core/metrics.h and its Prometheus text
 * renderer.
 *
 * Layout: a fixed array of families (append-only, published by a release store of
 * `nfam`); each family a singly linked list of series, appended at the tail under the
 * family's mutex and published by a release store of the `next` (or `head`) pointer,
 * so FL_METRIC_WITH walks it without a lock and takes the mutex only to create. A
 * series is immutable once published except its values, which are atomics:
 *   counter    v: uint64 count
 *   gauge      v: the bits of a double (set: store; add: compare-and-swap)
 *   histogram  buckets[nbounds + 1] uint64 (the last is +Inf; not cumulative), and
 *              v: the bits of the double sum. The count is the sum of the buckets, so
 *              a render always shows `le="+Inf"` equal to `_count` even while
 *              observations race with it.
 * Nothing is freed: families and series live as long as the process.
 *
 * Rendering (text format 0.0.4): run the collectors (each sets its read-on-demand
 * gauges), then every family in registration order: # HELP (escaped \\ and \n),
 * # TYPE, its series with label values escaped (\\, \", \n); histograms as cumulative
 * `_bucket{le=...}` ascending, `_sum`, `_count`. Families without a series print only
 * their HELP and TYPE lines (Prometheus accepts that).
 *
 * Entry points: fl_metrics_counter/gauge/histogram, fl_metric_get, fl_metric_add/set/
 * gauge_add/observe/set_total, fl_metric_value, fl_metrics_total(_with), fl_metrics_collector_add/
 * remove, fl_metrics_render. */
#include "core/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"

const double FL_METRIC_SECONDS_BUCKETS[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,     0.25,   0.5,   1,      2.5,   10};
const uint32_t FL_METRIC_SECONDS_NBUCKETS =
    sizeof FL_METRIC_SECONDS_BUCKETS / sizeof *FL_METRIC_SECONDS_BUCKETS;

struct fl_metric {
  fl_metric_family *fam;
  fl_metric *next;    /* atomic: published with release */
  char **values;      /* nlabels label values */
  uint64_t v;         /* atomic: counter count, gauge or histogram-sum double bits */
  uint64_t buckets[]; /* histogram: nbounds + 1 atomics */
};

struct fl_metric_family {
  char *name, *help;
  fl_metric_type type;
  uint32_t nlabels;
  char *labels[FL_METRIC_LABELS_MAX];
  uint32_t nbounds;
  double bounds[FL_METRIC_BUCKETS_MAX];
  pthread_mutex_t mu; /* series creation */
  fl_metric *head;    /* atomic */
  fl_metric *tail;    /* under mu */
  uint32_t nseries;   /* under mu */
  uint64_t dropped;   /* atomic: series refused past FL_METRIC_SERIES_MAX */
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static fl_metric_family *fams[FL_METRIC_FAMILIES_MAX];
static uint32_t nfam; /* atomic: published with release after fams[nfam - 1] is set */

static pthread_mutex_t collect_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  fl_metrics_collect_fn fn;
  void *ctx;
} collectors[FL_METRIC_COLLECTORS_MAX];
static uint32_t ncollectors;

/* ---------- names ---------- */

static bool name_ok(const char *s, bool metric) {
  if (!s || !*s) return false;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
    if (!alpha && !(p > s && c >= '0' && c <= '9')) return false;
  }
  return metric || strncmp(s, "__", 2) != 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !memcmp(s + n - m, suffix, m);
}

/* Splits "a,b" into fam->labels. */
static void labels_parse(fl_metric_family *fam, const char *labels) {
  if (!labels) return;
  const char *p = labels;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    FL_ASSERT(fam->nlabels < FL_METRIC_LABELS_MAX, "metric %s: more than %d labels", fam->name,
              FL_METRIC_LABELS_MAX);
    char *l = fl_strndup(p, n);
    FL_ASSERT(name_ok(l, false) && strcmp(l, "le") != 0, "metric %s: bad label name '%s'", fam->name, l);
    fam->labels[fam->nlabels++] = l;
    p += n + (comma ? 1 : 0);
  }
}

static bool labels_equal(const fl_metric_family *fam, const char *labels) {
  fl_metric_family tmp = {.name = fam->name};
  labels_parse(&tmp, labels);
  bool same = tmp.nlabels == fam->nlabels;
  for (uint32_t i = 0; i < tmp.nlabels; i++) {
    if (same && strcmp(tmp.labels[i], fam->labels[i]) != 0) same = false;
    fl_free(tmp.labels[i]);
  }
  return same;
}

/* ---------- registration ---------- */

static fl_metric *series_new(fl_metric_family *fam, const char *const *values) {
  uint32_t nb = fam->type == FL_METRIC_HISTOGRAM ? fam->nbounds + 1 : 0;
  fl_metric *m = fl_calloc(1, sizeof *m + nb * sizeof m->buckets[0]);
  m->fam = fam;
  if (fam->nlabels) {
    m->values = fl_calloc(fam->nlabels, sizeof *m->values);
    for (uint32_t i = 0; i < fam->nlabels; i++) m->values[i] = fl_strdup(values[i]);
  }
  return m;
}

static fl_metric_family *family_register(fl_metric_type type, const char *name, const char *help,
                                         const char *labels, const double *bounds, uint32_t nbounds) {
  FL_ASSERT(name_ok(name, true), "metric name '%s'", name ? name : "(null)");
  FL_ASSERT(type != FL_METRIC_COUNTER || ends_with(name, "_total"), "counter %s must end in _total", name);
  FL_ASSERT(type == FL_METRIC_COUNTER || !ends_with(name, "_total"), "%s: only counters end in _total", name);
  FL_ASSERT(!ends_with(name, "_bucket") && !ends_with(name, "_sum") && !ends_with(name, "_count"),
            "metric %s: _bucket/_sum/_count are the histogram's own suffixes", name);
  if (labels && !*labels) labels = NULL;
  if (type == FL_METRIC_HISTOGRAM && !bounds) {
    bounds = FL_METRIC_SECONDS_BUCKETS;
    nbounds = FL_METRIC_SECONDS_NBUCKETS;
  }
  FL_ASSERT(nbounds <= FL_METRIC_BUCKETS_MAX, "histogram %s: %u buckets", name, nbounds);
  for (uint32_t i = 1; i < nbounds; i++)
    FL_ASSERT(bounds[i] > bounds[i - 1], "histogram %s: bounds not ascending at %u", name, i);

  pthread_mutex_lock(&reg_mu);
  fl_metric_family *fam = NULL;
  for (uint32_t i = 0; i < nfam; i++) {
    if (strcmp(fams[i]->name, name) != 0) continue;
    fam = fams[i];
    FL_ASSERT(fam->type == type && labels_equal(fam, labels), "metric %s registered twice differently", name);
    break;
  }
  if (!fam) {
    FL_ASSERT(nfam < FL_METRIC_FAMILIES_MAX, "more than %d metric families", FL_METRIC_FAMILIES_MAX);
    fam = fl_calloc(1, sizeof *fam);
    fam->name = fl_strdup(name);
    fam->help = fl_strdup(help ? help : "");
    fam->type = type;
    labels_parse(fam, labels);
    fam->nbounds = type == FL_METRIC_HISTOGRAM ? nbounds : 0;
    if (fam->nbounds) memcpy(fam->bounds, bounds, nbounds * sizeof *bounds);
    pthread_mutex_init(&fam->mu, NULL);
    if (!fam->nlabels) { /* the one series exists from the start */
      fam->head = fam->tail = series_new(fam, NULL);
      fam->nseries = 1;
    }
    fams[nfam] = fam;
    __atomic_store_n(&nfam, nfam + 1, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&reg_mu);
  return fam;
}

fl_metric_family *fl_metrics_counter(const char *name, const char *help, const char *labels) {
  return family_register(FL_METRIC_COUNTER, name, help, labels, NULL, 0);
}

fl_metric_family *fl_metrics_gauge(const char *name, const char *help, const char *labels) {
  return family_register(FL_METRIC_GAUGE, name, help, labels, NULL, 0);
}

fl_metric_family *fl_metrics_histogram(const char *name, const char *help, const char *labels,
                                       const double *bounds, uint32_t nbounds) {
  return family_register(FL_METRIC_HISTOGRAM, name, help, labels, bounds, nbounds);
}

static bool series_matches(const fl_metric *m, const char *const *values) {
  for (uint32_t i = 0; i < m->fam->nlabels; i++)
    if (strcmp(m->values[i], values[i]) != 0) return false;
  return true;
}

static fl_metric *series_find(fl_metric *m, const char *const *values) {
  for (; m; m = __atomic_load_n(&m->next, __ATOMIC_ACQUIRE))
    if (series_matches(m, values)) return m;
  return NULL;
}

fl_metric *fl_metric_get(fl_metric_family *fam, const char *const *values) {
  FL_ASSERT(fam, "fl_metric_get on a NULL family");
  if (!fam->nlabels) return fam->head;
  for (uint32_t i = 0; i < fam->nlabels; i++)
    FL_ASSERT(values && values[i], "metric %s: label %s has no value", fam->name, fam->labels[i]);
  FL_ASSERT(!values[fam->nlabels], "metric %s: more label values than its %u labels", fam->name,
            fam->nlabels);
  fl_metric *m = series_find(__atomic_load_n(&fam->head, __ATOMIC_ACQUIRE), values);
  if (m) return m;
  pthread_mutex_lock(&fam->mu);
  m = series_find(fam->head, values);
  if (!m && fam->nseries < FL_METRIC_SERIES_MAX) {
    m = series_new(fam, values);
    if (fam->tail)
      __atomic_store_n(&fam->tail->next, m, __ATOMIC_RELEASE);
    else
      __atomic_store_n(&fam->head, m, __ATOMIC_RELEASE);
    fam->tail = m;
    fam->nseries++;
  } else if (!m) {
    __atomic_fetch_add(&fam->dropped, 1, __ATOMIC_RELAXED);
  }
  pthread_mutex_unlock(&fam->mu);
  return m;
}

/* ---------- recording ---------- */

static double bits_double(uint64_t b) {
  double d;
  memcpy(&d, &b, sizeof d);
  return d;
}

static uint64_t double_bits(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return b;
}

static void atomic_double_add(uint64_t *p, double d) {
  uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (!__atomic_compare_exchange_n(p, &old, double_bits(bits_double(old) + d), true, __ATOMIC_RELAXED,
                                      __ATOMIC_RELAXED)) {
  }
}

void fl_metric_add(fl_metric *m, uint64_t n) {
  if (!m) return;
  if (m->fam->type == FL_METRIC_GAUGE) {
    atomic_double_add(&m->v, (double)n);
    return;
  }
  FL_ASSERT(m->fam->type == FL_METRIC_COUNTER, "fl_metric_add on histogram %s", m->fam->name);
  __atomic_fetch_add(&m->v, n, __ATOMIC_RELAXED);
}

void fl_metric_set_total(fl_metric *m, uint64_t total) {
  if (!m) return;
  FL_ASSERT(m->fam->type == FL_METRIC_COUNTER, "fl_metric_set_total on %s, not a counter", m->fam->name);
  __atomic_store_n(&m->v, total, __ATOMIC_RELAXED);
}

void fl_metric_set(fl_metric *m, double v) {
  if (!m) return;
  FL_ASSERT(m->fam->type == FL_METRIC_GAUGE, "fl_metric_set on %s, not a gauge", m->fam->name);
  __atomic_store_n(&m->v, double_bits(v), __ATOMIC_RELAXED);
}

void fl_metric_gauge_add(fl_metric *m, double d) {
  if (!m) return;
  FL_ASSERT(m->fam->type == FL_METRIC_GAUGE, "fl_metric_gauge_add on %s, not a gauge", m->fam->name);
  atomic_double_add(&m->v, d);
}

void fl_metric_observe(fl_metric *m, double v) {
  if (!m) return;
  const fl_metric_family *fam = m->fam;
  FL_ASSERT(fam->type == FL_METRIC_HISTOGRAM, "fl_metric_observe on %s, not a histogram", fam->name);
  uint32_t b = 0; /* first bucket whose bound is >= v (le is inclusive); nbounds = +Inf */
  while (b < fam->nbounds && v > fam->bounds[b]) b++;
  __atomic_fetch_add(&m->buckets[b], 1, __ATOMIC_RELAXED);
  atomic_double_add(&m->v, v);
}

/* ---------- reading ---------- */

static uint64_t hist_count(const fl_metric *m) {
  uint64_t c = 0;
  for (uint32_t i = 0; i <= m->fam->nbounds; i++) c += __atomic_load_n(&m->buckets[i], __ATOMIC_RELAXED);
  return c;
}

double fl_metric_value(const fl_metric *m) {
  if (!m) return 0;
  uint64_t v = __atomic_load_n(&m->v, __ATOMIC_RELAXED);
  switch (m->fam->type) {
    case FL_METRIC_COUNTER: return (double)v;
    case FL_METRIC_GAUGE: return bits_double(v);
    case FL_METRIC_HISTOGRAM: return (double)hist_count(m);
  }
  return 0;
}

double fl_metric_hist_sum(const fl_metric *m) {
  if (!m) return 0;
  FL_ASSERT(m->fam->type == FL_METRIC_HISTOGRAM, "%s is not a histogram", m->fam->name);
  return bits_double(__atomic_load_n(&m->v, __ATOMIC_RELAXED));
}

uint32_t fl_metric_hist_read(const fl_metric *m, const double **bounds, uint64_t *counts, uint32_t cap) {
  FL_ASSERT(m && m->fam->type == FL_METRIC_HISTOGRAM, "fl_metric_hist_read on a non-histogram");
  uint32_t nb = m->fam->nbounds + 1;
  if (cap < nb) return 0;
  for (uint32_t i = 0; i < nb; i++) counts[i] = __atomic_load_n(&m->buckets[i], __ATOMIC_RELAXED);
  *bounds = m->fam->bounds;
  return nb;
}

double fl_metrics_quantile(double q, const double *bounds, const uint64_t *counts, uint32_t nbuckets) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < nbuckets; i++) total += counts[i];
  if (!total || nbuckets < 1) return NAN;
  double rank = q * (double)total, cum = 0;
  for (uint32_t i = 0; i < nbuckets; i++) {
    if (cum + (double)counts[i] < rank || !counts[i]) {
      cum += (double)counts[i];
      continue;
    }
    if (i == nbuckets - 1) return nbuckets > 1 ? bounds[nbuckets - 2] : NAN; /* +Inf bucket */
    double lo = i ? bounds[i - 1] : 0;
    return lo + (bounds[i] - lo) * ((rank - cum) / (double)counts[i]);
  }
  return nbuckets > 1 ? bounds[nbuckets - 2] : NAN;
}

double fl_metrics_total_with(const char *name, const char *label, const char *value) {
  uint32_t n = __atomic_load_n(&nfam, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < n; i++) {
    const fl_metric_family *fam = fams[i];
    if (strcmp(fam->name, name) != 0) continue;
    int li = -1;
    for (uint32_t l = 0; label && l < fam->nlabels; l++)
      if (!strcmp(fam->labels[l], label)) li = (int)l;
    if (label && li < 0) return 0;
    double sum = 0;
    for (fl_metric *m = __atomic_load_n(&fam->head, __ATOMIC_ACQUIRE); m;
         m = __atomic_load_n(&m->next, __ATOMIC_ACQUIRE))
      if (li < 0 || !strcmp(m->values[li], value)) sum += fl_metric_value(m);
    return sum;
  }
  return 0;
}

double fl_metrics_total(const char *name) { return fl_metrics_total_with(name, NULL, NULL); }

/* ---------- collectors ---------- */

void fl_metrics_collector_add(fl_metrics_collect_fn fn, void *ctx) {
  pthread_mutex_lock(&collect_mu);
  FL_ASSERT(ncollectors < FL_METRIC_COLLECTORS_MAX, "more than %d metric collectors",
            FL_METRIC_COLLECTORS_MAX);
  collectors[ncollectors].fn = fn;
  collectors[ncollectors].ctx = ctx;
  ncollectors++;
  pthread_mutex_unlock(&collect_mu);
}

void fl_metrics_collector_remove(fl_metrics_collect_fn fn, void *ctx) {
  pthread_mutex_lock(&collect_mu);
  for (uint32_t i = 0; i < ncollectors; i++) {
    if (collectors[i].fn != fn || collectors[i].ctx != ctx) continue;
    memmove(&collectors[i], &collectors[i + 1], (ncollectors - i - 1) * sizeof collectors[0]);
    ncollectors--;
    break;
  }
  pthread_mutex_unlock(&collect_mu);
}

/* ---------- rendering ---------- */

/* Go's strconv.ParseFloat (Prometheus's parser) reads these: the shortest of %.15g to
 * %.17g that reads back as the same double (3.9, not 3.8999999999999999), and
 * integers without an exponent up to 2^53. */
static void put_double(fl_buf *out, double v) {
  if (isnan(v))
    fl_buf_puts(out, "NaN");
  else if (isinf(v))
    fl_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
  else if (v == (double)(int64_t)v && fabs(v) < 9007199254740992.0)
    fl_buf_printf(out, "%lld", (long long)v);
  else {
    char s[32];
    for (int prec = 15; prec <= 17; prec++) { /* the shortest text that reads back exactly */
      snprintf(s, sizeof s, "%.*g", prec, v);
      if (strtod(s, NULL) == v) break;
    }
    fl_buf_puts(out, s);
  }
}

/* Bucket bounds as written by hand (0.00025, 2.5): %.15g drops binary noise. */
static void put_bound(fl_buf *out, double v) {
  char s[32];
  snprintf(s, sizeof s, "%.15g", v);
  fl_buf_puts(out, s);
}

static void put_escaped(fl_buf *out, const char *s, bool quotes) {
  for (; *s; s++) {
    if (*s == '\\')
      fl_buf_puts(out, "\\\\");
    else if (*s == '\n')
      fl_buf_puts(out, "\\n");
    else if (quotes && *s == '"')
      fl_buf_puts(out, "\\\"");
    else
      fl_buf_put_u8(out, (uint8_t)*s);
  }
}

/* `name{l1="v1",l2="v2"` plus an optional extra label (le), then `} `. */
static void put_series(fl_buf *out, const fl_metric *m, const char *suffix, const char *le, double le_v) {
  const fl_metric_family *fam = m->fam;
  fl_buf_puts(out, fam->name);
  fl_buf_puts(out, suffix);
  if (fam->nlabels || le) {
    fl_buf_put_u8(out, '{');
    for (uint32_t i = 0; i < fam->nlabels; i++) {
      if (i) fl_buf_put_u8(out, ',');
      fl_buf_printf(out, "%s=\"", fam->labels[i]);
      put_escaped(out, m->values[i], true);
      fl_buf_put_u8(out, '"');
    }
    if (le) {
      if (fam->nlabels) fl_buf_put_u8(out, ',');
      fl_buf_puts(out, "le=\"");
      if (isinf(le_v))
        fl_buf_puts(out, "+Inf");
      else
        put_bound(out, le_v);
      fl_buf_put_u8(out, '"');
    }
    fl_buf_put_u8(out, '}');
  }
  fl_buf_put_u8(out, ' ');
}

static void render_family(fl_buf *out, const fl_metric_family *fam) {
  static const char *types[] = {"counter", "gauge", "histogram"};
  fl_buf_printf(out, "# HELP %s ", fam->name);
  put_escaped(out, fam->help, false);
  fl_buf_printf(out, "\n# TYPE %s %s\n", fam->name, types[fam->type]);
  for (const fl_metric *m = __atomic_load_n(&fam->head, __ATOMIC_ACQUIRE); m;
       m = __atomic_load_n(&m->next, __ATOMIC_ACQUIRE)) {
    if (fam->type != FL_METRIC_HISTOGRAM) {
      put_series(out, m, "", NULL, 0);
      if (fam->type == FL_METRIC_COUNTER)
        fl_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(&m->v, __ATOMIC_RELAXED));
      else
        put_double(out, fl_metric_value(m));
      fl_buf_put_u8(out, '\n');
      continue;
    }
    uint64_t cum = 0;
    for (uint32_t b = 0; b <= fam->nbounds; b++) {
      cum += __atomic_load_n(&m->buckets[b], __ATOMIC_RELAXED);
      put_series(out, m, "_bucket", "le", b < fam->nbounds ? fam->bounds[b] : INFINITY);
      fl_buf_printf(out, "%llu\n", (unsigned long long)cum);
    }
    put_series(out, m, "_sum", NULL, 0);
    put_double(out, fl_metric_hist_sum(m));
    fl_buf_put_u8(out, '\n');
    put_series(out, m, "_count", NULL, 0);
    fl_buf_printf(out, "%llu\n", (unsigned long long)cum);
  }
}

static fl_metric_family *builtin_dropped, *builtin_start, *builtin_mem;

static void builtins_register(void) {
  builtin_dropped =
      fl_metrics_counter("floe_metrics_series_dropped_total",
                         "Series not created because their family reached its series limit.", "metric");
  builtin_start = fl_metrics_gauge("process_start_time_seconds",
                                   "Start time of the process since the Unix epoch in seconds.", NULL);
  fl_metric_set(fl_metric_get(builtin_start, NULL), (double)fl_now_micros() / 1e6);
  builtin_mem =
      fl_metrics_gauge("floe_memory_allocated_bytes", "Bytes allocated through floe's allocator now.", NULL);
}

void fl_metrics_render(fl_buf *out) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, builtins_register);
  fl_metric_set(fl_metric_get(builtin_mem, NULL), (double)fl_mem_bytes_live());
  pthread_mutex_lock(&collect_mu);
  for (uint32_t i = 0; i < ncollectors; i++) collectors[i].fn(collectors[i].ctx);
  pthread_mutex_unlock(&collect_mu);
  uint32_t n = __atomic_load_n(&nfam, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t dropped = __atomic_load_n(&fams[i]->dropped, __ATOMIC_RELAXED);
    if (!dropped) continue;
    fl_metric *d = FL_METRIC_WITH(builtin_dropped, fams[i]->name);
    if (d) __atomic_store_n(&d->v, dropped, __ATOMIC_RELAXED);
  }
  n = __atomic_load_n(&nfam, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < n; i++) render_family(out, fams[i]);
}
