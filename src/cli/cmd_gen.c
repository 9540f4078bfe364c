/* cmd_gen: `floe gen orders [--count N] [--rate N] [--duplicates F] [--late F] [--bad F]
 *          [--seed S] [--tenants T] [--out FILE|- | --url URL [--token T] [--batch N]
 *          [--connections C] [--retries N]]`
 *
 * A deterministic load generator of the example orders stream
 * (examples/orders/streams/orders.sql): the same options and seed give the same
 * lines, byte for byte, whatever the rate, batch size or destination, so a test can
 * write them to a file to know what a post sent. Each of the --count lines is drawn
 * (splitmix64 from --seed) as one of:
 *   bad (fraction --bad): violates the contract, in turn one of: CHECK failure
 *       (event_type "order_lost"), a missing NOT NULL field (event_time), a wrong
 *       type (order_id "abc"), malformed JSON (the object cut short), invalid UTF-8
 *       (a 0xFF byte in tenant_id). Their event_ids start with "x".
 *   duplicate (--duplicates): an earlier unique event re-sent byte-identical (one of
 *       the last 1,024; the first line is never one).
 *   unique, and among those late (--late): a new event_id "e<seed>-<12 digits>";
 *       event_time is 2026-11-20T00:00:00Z + n ms (n = the unique events so far)
 *       plus up to 2 s of jitter; a late one is 5 to 65 s behind the largest
 *       event_time so far (the stream's WATERMARK is event_time - 5 s).
 * sent = unique + duplicates + bad. At the end a JSON summary
 *   {"sent":N,"unique":U,"duplicates":D,"late":L,"bad":B,"accepted":A,"rejected":R,"failed":F}
 * goes to stdout (to stderr when the lines themselves go to stdout); accepted, rejected
 * (as the server answered) and failed (lines of batches that failed for good) only
 * when posting. Exit 1 if a batch failed for good. A batch the server cut (413 41304:
 * over limits.max_rejects or max_quarantine_bytes) is resent from its cut_at_line.
 *
 * Destinations: --out FILE|- (default: stdout) writes NDJSON; --url posts batches of
 * --batch lines (default 1,000) over --connections keep-alive connections (default 2),
 * one thread and one HTTP client each (http_client.h: retries of connection errors
 * and 503/507; a resent batch may be stored twice). --rate N limits the lines per
 * second (0 = as fast as possible), checked per batch.
 *
 * Memory: a ring of the last 1,024 unique events (fixed slots) for duplicates;
 * batch buffers (2 per connection) cycle between the generator (this thread) and the
 * posting threads through a mutex-protected queue; nothing is allocated per line. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/http_client.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/time.h"

enum {
  RING_SLOTS = 1024, /* duplicates re-send one of the last 1,024 unique events */
  SLOT_BYTES = 512,  /* an orders event is < 300 bytes */
  CONNECTIONS_MAX = 64,
  BATCH_LINES_MAX = 1000000,
  TENANTS_MAX = 100000,
};
#define BASE_TIME_US INT64_C(1795132800000000) /* 2026-11-20T00:00:00Z */
#define WATERMARK_DELAY_US INT64_C(5000000)

typedef struct gen_opts {
  uint64_t count, rate, seed, tenants, batch, connections, retries;
  double duplicates, late, bad;
  const char *out, *url, *token;
} gen_opts;

/* ---------------------------------------------------------------- the generator */

typedef struct gen {
  const gen_opts *o;
  uint64_t rng;
  uint64_t unique, duplicates, late, bad, sent;
  int64_t max_time_us;
  uint32_t ring_len[RING_SLOTS];
  char ring[RING_SLOTS][SLOT_BYTES];
} gen;

static uint64_t next_u64(gen *g) { /* splitmix64 */
  uint64_t z = (g->rng += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}
static double next_unit(gen *g) { return (double)(next_u64(g) >> 11) * 0x1.0p-53; }
static uint64_t next_below(gen *g, uint64_t n) { return next_u64(g) % n; }

static const char *const EVENT_TYPES[] = {"order_created", "order_paid", "order_shipped", "order_cancelled"};
static const char *const CURRENCIES[] = {"EUR", "USD", "GBP", "CHF"};
static const char *const CHANNELS[] = {"web", "app", "store"};

/* Appends one orders event; bad_kind < 0 for a good one. */
static void put_event(gen *g, fl_buf *out, uint64_t n, int64_t time_us, int bad_kind) {
  char ts[FL_TS_TEXT_MAX];
  fl_ts_format(time_us, ts);
  uint64_t tenant = next_below(g, g->o->tenants);
  uint64_t order_id = 100000 + n / 3;
  uint64_t user = next_below(g, 10000);
  uint64_t product = next_below(g, 500);
  const char *type = EVENT_TYPES[next_below(g, 4)];
  uint64_t cents = next_below(g, 100000);
  uint64_t shape = next_below(g, 8); /* nulls now and then */
  fl_buf_printf(out, "{\"event_id\":\"%c%" PRIu64 "-%012" PRIu64 "\",", bad_kind < 0 ? 'e' : 'x', g->o->seed,
                n);
  if (bad_kind == 4)
    fl_buf_printf(out, "\"tenant_id\":\"t\xff%02" PRIu64 "\",", tenant);
  else
    fl_buf_printf(out, "\"tenant_id\":\"t%02" PRIu64 "\",", tenant);
  if (bad_kind == 2)
    fl_buf_puts(out, "\"order_id\":\"abc\",");
  else
    fl_buf_printf(out, "\"order_id\":%" PRIu64 ",", order_id);
  if (bad_kind == 3) { /* malformed: the object stops here */
    fl_buf_puts(out, "\"user_id\":\n");
    return;
  }
  if (shape == 0)
    fl_buf_puts(out, "\"user_id\":null,");
  else
    fl_buf_printf(out, "\"user_id\":%" PRIu64 ",", 5000 + user);
  fl_buf_printf(out, "\"product_id\":%" PRIu64 ",\"event_type\":\"%s\",", product,
                bad_kind == 0 ? "order_lost" : type);
  if (shape == 1)
    fl_buf_puts(out, "\"amount\":null,");
  else
    fl_buf_printf(out, "\"amount\":%" PRIu64 ".%02" PRIu64 ",", cents / 100, cents % 100);
  fl_buf_printf(out, "\"currency\":\"%s\",", CURRENCIES[next_below(g, 4)]);
  if (bad_kind != 1) fl_buf_printf(out, "\"event_time\":\"%s\",", ts);
  if (shape == 2)
    fl_buf_puts(out, "\"attributes\":null}\n");
  else
    fl_buf_printf(out, "\"attributes\":{\"channel\":\"%s\",\"coupon\":%s}}\n", CHANNELS[next_below(g, 3)],
                  next_below(g, 4) == 0 ? "true" : "false");
}

/* Appends the next line to out. */
static void gen_line(gen *g, fl_buf *out) {
  const gen_opts *o = g->o;
  double u = next_unit(g);
  uint64_t n = g->sent++;
  if (u < o->bad) {
    g->bad++;
    put_event(g, out, n, BASE_TIME_US + (int64_t)g->unique * 1000, (int)next_below(g, 5));
    return;
  }
  if (u < o->bad + o->duplicates && g->unique > 0) {
    uint64_t have = g->unique < RING_SLOTS ? g->unique : RING_SLOTS;
    uint64_t slot = next_below(g, have);
    fl_buf_append(out, g->ring[slot], g->ring_len[slot]);
    g->duplicates++;
    return;
  }
  int64_t t = BASE_TIME_US + (int64_t)g->unique * 1000 + (int64_t)next_below(g, 2000000);
  if (u < o->bad + o->duplicates + o->late && g->unique > 0)
    t = g->max_time_us - WATERMARK_DELAY_US - 1000 - (int64_t)next_below(g, 60000000);
  if (g->unique > 0 && g->max_time_us - t > WATERMARK_DELAY_US) g->late++;
  if (g->unique == 0 || t > g->max_time_us) g->max_time_us = t;
  size_t start = out->len;
  put_event(g, out, n, t, -1);
  uint64_t slot = g->unique % RING_SLOTS;
  size_t len = out->len - start;
  FL_ASSERT(len <= SLOT_BYTES, "an orders event of %zu bytes", len);
  memcpy(g->ring[slot], out->data + start, len);
  g->ring_len[slot] = (uint32_t)len;
  g->unique++;
}

/* ---------------------------------------------------------------- posting */

typedef struct poster poster;
typedef struct post_job {
  fl_buf body;
  uint64_t first_line, lines;
} post_job;

struct poster {
  const gen_opts *o;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  post_job *jobs; /* 2 per connection */
  uint32_t njobs;
  post_job **free_list, **queue;
  uint32_t nfree, qhead, qlen;
  bool closing;
  bool failed;
  uint64_t accepted, rejected, failed_lines;
  char path[64];
  char first_error[FL_ERR_MSG_MAX + 64];
};

typedef struct worker {
  poster *p;
  pthread_t thread;
  fl_http_client *client;
  uint64_t first, last; /* the lines being posted (gen's line numbers), for messages */
} worker;

static void on_retry(void *ctx, uint32_t attempt, uint32_t retries, double delay_s, const char *why) {
  const worker *w = ctx;
  fprintf(stderr, "floe: gen: lines %" PRIu64 "-%" PRIu64 ": %s; retry %u of %u in %.1f s\n", w->first,
          w->last, why, attempt, retries, delay_s);
}

/* The answer to the lines w->first..w->last: its counts into *acc, *rej; *cut = the
 * line (1-based, in what was sent) from which a 413 41304 cut the request, else 0. */
static fl_code take_answer(const worker *w, const fl_http_resp *resp, uint64_t *acc, uint64_t *rej,
                           uint64_t *cut, fl_err *err) {
  json_error_t jerr;
  json_t *root = json_loadb(resp->body, resp->body_len, 0, &jerr);
  json_t *a = root ? json_object_get(root, "accepted") : NULL,
         *r = root ? json_object_get(root, "rejected") : NULL;
  json_t *c = root ? json_object_get(root, "cut_at_line") : NULL;
  bool is_cut = resp->status == 413 && json_integer_value(json_object_get(root, "error_code")) == 41304 &&
                json_is_integer(c) && json_integer_value(c) >= 1 &&
                (uint64_t)json_integer_value(c) <= w->last - w->first + 1;
  fl_code rc = FL_OK;
  *cut = 0;
  if ((resp->status == 200 || resp->status == 400 || is_cut) && json_is_integer(a) && json_is_integer(r)) {
    *acc = (uint64_t)json_integer_value(a);
    *rej = (uint64_t)json_integer_value(r);
    if (is_cut) *cut = (uint64_t)json_integer_value(c);
  } else {
    rc = fl_err_set(err, FL_EIO, "HTTP %d: %.200s", resp->status, resp->body);
  }
  json_decref(root);
  return rc;
}

/* Posts one job; adds the answers' counts or records the failure. A request cut by the
 * server's per-request bounds (413 41304) stored its lines before cut_at_line: the
 * rest is sent again from there (nothing twice, nothing lost); a cut at the first line
 * sent stored nothing and fails the job (resending could not progress). */
static void post_job_run(worker *w, const post_job *job) {
  poster *p = w->p;
  fl_err err = {0};
  uint64_t acc = 0, rej = 0;
  size_t off = 0;
  fl_code rc;
  w->first = job->first_line;
  w->last = job->first_line + job->lines - 1;
  for (;;) {
    fl_http_resp resp;
    uint64_t a = 0, r = 0, cut = 0;
    rc = fl_http_client_post_retry(w->client, p->path, job->body.data + off, job->body.len - off,
                                   (uint32_t)p->o->retries, on_retry, w, &resp, &err);
    if (!rc) rc = take_answer(w, &resp, &a, &r, &cut, &err);
    if (rc) break;
    acc += a;
    rej += r;
    if (!cut) break;
    if (cut == 1) {
      rc = fl_err_set(&err, FL_EIO,
                      "HTTP 413: the server cut the request at its first line and stored nothing");
      break;
    }
    for (uint64_t l = 1; l < cut; l++) { /* every generated line ends in '\n' */
      const uint8_t *nl = memchr(job->body.data + off, '\n', job->body.len - off);
      FL_ASSERT(nl, "gen: line %" PRIu64 " of a batch of %" PRIu64, l, job->lines);
      off = (size_t)(nl - job->body.data) + 1;
    }
    w->first += cut - 1;
  }
  pthread_mutex_lock(&p->mu);
  p->accepted += acc;
  p->rejected += rej;
  if (rc) {
    p->failed_lines += w->last - w->first + 1; /* the lines before a cut are stored */
    if (!p->failed)
      snprintf(p->first_error, sizeof p->first_error, "lines %" PRIu64 "-%" PRIu64 " failed: %s", w->first,
               w->last, err.msg);
    p->failed = true;
  }
  pthread_mutex_unlock(&p->mu);
}

static void *worker_main(void *arg) {
  worker *w = arg;
  poster *p = w->p;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (p->qlen == 0 && !p->closing) pthread_cond_wait(&p->cond, &p->mu);
    if (p->qlen == 0) break;
    post_job *job = p->queue[p->qhead];
    p->qhead = (p->qhead + 1) % p->njobs;
    p->qlen--;
    bool skip = p->failed; /* after a failure for good, the rest is counted as failed, not sent */
    pthread_mutex_unlock(&p->mu);
    if (!skip) post_job_run(w, job);
    pthread_mutex_lock(&p->mu);
    if (skip) p->failed_lines += job->lines;
    p->free_list[p->nfree++] = job;
    pthread_cond_broadcast(&p->cond);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Waits for a free job buffer (NULL once a batch failed for good). */
static post_job *poster_take(poster *p) {
  pthread_mutex_lock(&p->mu);
  while (p->nfree == 0 && !p->failed) pthread_cond_wait(&p->cond, &p->mu);
  post_job *job = p->failed ? NULL : p->free_list[--p->nfree];
  pthread_mutex_unlock(&p->mu);
  return job;
}

static void poster_push(poster *p, post_job *job) {
  pthread_mutex_lock(&p->mu);
  p->queue[(p->qhead + p->qlen) % p->njobs] = job;
  p->qlen++;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->mu);
}

/* ---------------------------------------------------------------- command line */

static int parse_fraction(const char *opt, const char *v, double *out) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (!*v || *end || errno || !(d >= 0 && d <= 1))
    return fl_cli_usage("gen", "%s: expected a fraction from 0 to 1, found \"%s\"", opt, v);
  *out = d;
  return FL_CLI_OK;
}

static int parse_count(const char *opt, const char *v, uint64_t lo, uint64_t hi, uint64_t *out) {
  fl_err err = {0};
  if (fl_cli_parse_u64(opt, v, out, &err)) return fl_cli_usage("gen", "%s", err.msg);
  if (*out < lo || *out > hi)
    return fl_cli_usage("gen", "%s: expected %" PRIu64 " to %" PRIu64 ", found %s", opt, lo, hi, v);
  return FL_CLI_OK;
}

static int parse_args(int argc, char **argv, gen_opts *o) {
  const char *v = NULL, *kind = NULL;
  *o = (gen_opts){.count = 1000,
                  .seed = 1,
                  .tenants = 20,
                  .batch = 1000,
                  .connections = 2,
                  .retries = 5,
                  .duplicates = 0.05,
                  .late = 0.01,
                  .bad = 0.005};
  o->url = NULL;
  o->token = getenv("FLOE_TOKEN");
  bool url_set = false, posting_opt = false;
  for (int i = 1; i < argc; i++) {
    int m, st = FL_CLI_OK;
    if ((m = fl_cli_opt(argc, argv, &i, "--data", &v))) {
    } else if ((m = fl_cli_opt(argc, argv, &i, "--count", &v))) {
      if (m > 0) st = parse_count("--count", v, 0, UINT64_C(1) << 40, &o->count);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--rate", &v))) {
      if (m > 0) {
        char *slash = strstr(v, "/s"); /* "--rate 1000/s" reads as 1000 */
        char tmp[32];
        if (slash && !slash[2] && (size_t)(slash - v) < sizeof tmp) {
          memcpy(tmp, v, (size_t)(slash - v));
          tmp[slash - v] = '\0';
          v = tmp;
        }
        st = parse_count("--rate", v, 0, UINT64_C(1) << 40, &o->rate);
      }
    } else if ((m = fl_cli_opt(argc, argv, &i, "--duplicates", &v))) {
      if (m > 0) st = parse_fraction("--duplicates", v, &o->duplicates);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--late", &v))) {
      if (m > 0) st = parse_fraction("--late", v, &o->late);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--bad", &v))) {
      if (m > 0) st = parse_fraction("--bad", v, &o->bad);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--seed", &v))) {
      if (m > 0) st = parse_count("--seed", v, 0, UINT64_MAX, &o->seed);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--tenants", &v))) {
      if (m > 0) st = parse_count("--tenants", v, 1, TENANTS_MAX, &o->tenants);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--out", &v))) {
      if (m > 0) {
        o->out = v;
      }
    } else if ((m = fl_cli_opt(argc, argv, &i, "--url", &v))) {
      if (m > 0) {
        o->url = v;
        url_set = true;
      }
    } else if ((m = fl_cli_opt(argc, argv, &i, "--token", &v))) {
      if (m > 0) {
        o->token = v;
      }
      posting_opt = true;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--batch", &v))) {
      if (m > 0) st = parse_count("--batch", v, 1, BATCH_LINES_MAX, &o->batch);
      posting_opt = true;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--connections", &v))) {
      if (m > 0) st = parse_count("--connections", v, 1, CONNECTIONS_MAX, &o->connections);
      posting_opt = true;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--retries", &v))) {
      if (m > 0) st = parse_count("--retries", v, 0, 1000, &o->retries);
      posting_opt = true;
    } else if (fl_cli_is_option(argv[i])) {
      return fl_cli_usage("gen", "unknown option %s", argv[i]);
    } else if (!kind) {
      kind = argv[i];
    } else {
      return fl_cli_usage("gen", "unexpected argument '%s'", argv[i]);
    }
    if (m < 0) return FL_CLI_USAGE;
    if (st) return st;
  }
  if (!kind) return fl_cli_usage("gen", "what to generate? give orders");
  if (strcmp(kind, "orders")) return fl_cli_usage("gen", "unknown generator '%s' (known: orders)", kind);
  if (o->out && url_set) return fl_cli_usage("gen", "give --out or --url, not both");
  if (posting_opt && !url_set)
    return fl_cli_usage("gen", "--token, --batch, --connections and --retries need --url");
  if (o->duplicates + o->late + o->bad > 1)
    return fl_cli_usage("gen", "--duplicates + --late + --bad exceed 1 (%g)",
                        o->duplicates + o->late + o->bad);
  if (!o->out && !url_set) o->out = "-";
  return FL_CLI_OK;
}

/* Sleeps until `lines` lines are due at --rate since start_ns. */
static void pace(const gen_opts *o, int64_t start_ns, uint64_t lines) {
  if (!o->rate) return;
  int64_t due_ns = start_ns + (int64_t)((double)lines * 1e9 / (double)o->rate);
  int64_t wait_ns = due_ns - fl_mono_ns();
  if (wait_ns <= 0) return;
  struct timespec ts = {.tv_sec = wait_ns / 1000000000, .tv_nsec = wait_ns % 1000000000};
  while (nanosleep(&ts, &ts) && errno == EINTR) {
  }
}

static fl_code run_to_file(gen *g, const gen_opts *o, fl_err *err) {
  bool is_stdout = !strcmp(o->out, "-");
  FILE *f = is_stdout ? stdout : fopen(o->out, "wb");
  if (!f) return fl_err_errno(err, errno, "%s", o->out);
  fl_buf buf = FL_BUF_INIT;
  fl_code rc = FL_OK;
  int64_t start_ns = fl_mono_ns();
  while (g->sent < o->count) {
    fl_buf_clear(&buf);
    for (uint64_t i = 0; i < o->batch && g->sent < o->count; i++) gen_line(g, &buf);
    pace(o, start_ns, g->sent);
    if (fwrite(buf.data, 1, buf.len, f) != buf.len) {
      rc = fl_err_errno(err, errno, "%s: writing", o->out);
      break;
    }
  }
  if (!is_stdout) {
    if (fclose(f) && !rc) rc = fl_err_errno(err, errno, "%s: writing", o->out);
  } else if (fflush(f) && !rc) {
    rc = fl_err_errno(err, errno, "stdout: writing");
  }
  fl_buf_free(&buf);
  return rc;
}

static fl_code run_posting(gen *g, const gen_opts *o, poster *p, fl_err *err) {
  fl_code rc = FL_OK;
  uint32_t nw = (uint32_t)o->connections, started = 0;
  worker *ws = fl_calloc(nw, sizeof *ws);
  p->njobs = 2 * nw;
  p->jobs = fl_calloc(p->njobs, sizeof *p->jobs);
  p->free_list = fl_calloc(p->njobs, sizeof *p->free_list);
  p->queue = fl_calloc(p->njobs, sizeof *p->queue);
  for (uint32_t i = 0; i < p->njobs; i++) p->free_list[p->nfree++] = &p->jobs[i];
  for (uint32_t i = 0; i < nw; i++) {
    ws[i].p = p;
    if ((rc = fl_http_client_open(o->url, o->token, &ws[i].client, err))) goto done;
  }
  for (; started < nw; started++) {
    if (pthread_create(&ws[started].thread, NULL, worker_main, &ws[started])) {
      rc = fl_err_set(err, FL_EIO, "cannot start a posting thread");
      goto done;
    }
  }
  int64_t start_ns = fl_mono_ns();
  while (g->sent < o->count) {
    post_job *job = poster_take(p);
    if (!job) break;
    fl_buf_clear(&job->body);
    job->first_line = g->sent + 1;
    for (uint64_t i = 0; i < o->batch && g->sent < o->count; i++) gen_line(g, &job->body);
    job->lines = g->sent - job->first_line + 1;
    pace(o, start_ns, g->sent);
    poster_push(p, job);
  }
done:
  pthread_mutex_lock(&p->mu);
  p->closing = true;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->mu);
  for (uint32_t i = 0; i < started; i++) pthread_join(ws[i].thread, NULL);
  if (p->failed) p->failed_lines += o->count - g->sent; /* never generated */
  for (uint32_t i = 0; i < nw; i++) fl_http_client_free(ws[i].client);
  for (uint32_t i = 0; i < p->njobs; i++) fl_buf_free(&p->jobs[i].body);
  fl_free(ws);
  fl_free(p->jobs);
  fl_free(p->free_list);
  fl_free(p->queue);
  return rc;
}

int fl_cli_cmd_gen(fl_cli *cli, int argc, char **argv) {
  (void)cli;
  gen_opts o;
  int status = parse_args(argc, argv, &o);
  if (status) return status;
  fl_err err = {0};
  gen *g = fl_calloc(1, sizeof *g);
  g->o = &o;
  g->rng = o.seed;
  poster p = {.o = &o};
  pthread_mutex_init(&p.mu, NULL);
  pthread_cond_init(&p.cond, NULL);
  fl_code rc;
  if (o.url) {
    snprintf(p.path, sizeof p.path, "/v1/streams/orders/events");
    rc = run_posting(g, &o, &p, &err);
  } else {
    rc = run_to_file(g, &o, &err);
  }
  if (rc == FL_EINVAL || rc == FL_EUNSUPPORTED) {
    status = fl_cli_usage("gen", "--url %s", err.msg);
    goto done;
  }
  FILE *sum = o.out && !strcmp(o.out, "-") ? stderr : stdout;
  fprintf(sum,
          "{\"sent\":%" PRIu64 ",\"unique\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"late\":%" PRIu64
          ",\"bad\":%" PRIu64,
          g->sent, g->unique, g->duplicates, g->late, g->bad);
  if (o.url)
    fprintf(sum, ",\"accepted\":%" PRIu64 ",\"rejected\":%" PRIu64 ",\"failed\":%" PRIu64, p.accepted,
            p.rejected, p.failed_lines);
  fprintf(sum, "}\n");
  fflush(sum);
  if (rc) {
    status = fl_cli_fail(&err);
  } else if (p.failed) {
    fprintf(stderr, "floe: %s\n", p.first_error);
    status = FL_CLI_ERROR;
  }
done:
  pthread_mutex_destroy(&p.mu);
  pthread_cond_destroy(&p.cond);
  fl_free(g);
  return status;
}
