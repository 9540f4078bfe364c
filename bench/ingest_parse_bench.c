/* ingest_parse_bench: floe's ingest parser speed (issue 8: "parser MB/s per core
 * including contract checks and column building, beside memcpy of the same bytes and
 * simdjson extracting the same fields from the same file").
 *
 * What it measures: ~100 MB of orders NDJSON (the schema and CHECK of
 * examples/orders/streams/orders.sql; ~240-byte events like `floe gen` sends, with
 * some nulls) cut into bodies of --body records (1,000), each parsed by
 * fl_json_parse and checked by fl_contract_check, as the server does per request.
 * Beside it, in the same run, memcpy of the same bodies. The best of --runs passes
 * is reported (shared machines are noisy). With --out FILE the NDJSON is written
 * there first, so bench/simdjson_peer (bench/ingest_parse.sh builds and runs it)
 * reads the very same bytes.
 *
 *   taskset -c 0 build/bench/ingest_parse_bench [--mb 100] [--body 1000] [--runs 5]
 *       [--bad 0.005] [--out /tmp/orders.ndjson]
 *
 * Output: human lines, then one JSON line. Ownership: everything is allocated once in
 * main and freed at its end. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/time.h"
#include "ingest/contract.h"
#include "json/json.h"
#include "sql/sql.h"

static const char *orders_sql =
    "CREATE STREAM orders (\n"
    "  event_id   STRING NOT NULL,\n"
    "  tenant_id  STRING NOT NULL,\n"
    "  order_id   BIGINT NOT NULL,\n"
    "  user_id    BIGINT,\n"
    "  product_id INT,\n"
    "  event_type STRING NOT NULL CHECK (event_type IN\n"
    "             ('order_created', 'order_paid', 'order_shipped', 'order_cancelled')),\n"
    "  amount     DECIMAL(12,2),\n"
    "  currency   STRING,\n"
    "  event_time TIMESTAMP NOT NULL,\n"
    "  attributes JSON,\n"
    "  WATERMARK FOR event_time AS event_time - INTERVAL '5 seconds',\n"
    "  PRIMARY KEY (event_id) NOT ENFORCED\n"
    ") WITH (dedupe_ttl = '1 hour', late_policy = 'keep',\n"
    "        partitioned_by = 'day(event_time), tenant_id');\n";

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static size_t gen_event(char *o, uint64_t i, double bad) {
  static const char *tenants[] = {"acme",  "globex", "initech", "umbrella",
                                  "hooli", "stark",  "wayne",   "wonka"};
  static const char *types[] = {"order_created", "order_paid", "order_shipped", "order_cancelled"};
  static const char *cur[] = {"EUR", "USD", "GBP"};
  static const char *chan[] = {"app", "web", "store"};
  uint64_t r = rnd();
  int64_t t = INT64_C(1795132800000000) + (int64_t)i * 600000 + (int64_t)(r % 5000000); /* 2026-11-20 */
  char ts[FL_TS_TEXT_MAX];
  fl_ts_format(t - t % 1000000 + 1 + (int64_t)(r % 999999), ts);
  char user[24], amount[24], attrs[64];
  if (r % 10 == 0)
    snprintf(user, sizeof user, "null");
  else
    snprintf(user, sizeof user, "%" PRIu64, 5000 + (r >> 8) % 90000);
  uint64_t cents = (r >> 20) % 100000;
  if (r % 7 == 0)
    snprintf(amount, sizeof amount, "null");
  else
    snprintf(amount, sizeof amount, "%" PRIu64 ".%02" PRIu64, cents / 100, cents % 100);
  if (r % 5 == 0)
    snprintf(attrs, sizeof attrs, "null");
  else
    snprintf(attrs, sizeof attrs, "{\"channel\":\"%s\",\"coupon\":%s}", chan[(r >> 40) % 3],
             (r >> 44) % 4 ? "false" : "true");
  const char *type = types[(r >> 12) % 4];
  if (bad > 0 && (double)(rnd() % 1000000) < bad * 1e6) type = "order_lost"; /* fails the CHECK */
  return (size_t)sprintf(o,
                         "{\"event_id\":\"e-%012" PRIu64 "\",\"tenant_id\":\"%s\",\"order_id\":%" PRIu64
                         ",\"user_id\":%s,\"product_id\":%u,\"event_type\":\"%s\",\"amount\":%s,"
                         "\"currency\":\"%s\",\"event_time\":\"%s\",\"attributes\":%s}\n",
                         i, tenants[(r >> 4) % 8], 100000 + i / 4, user, (unsigned)((r >> 30) % 500), type,
                         amount, cur[(r >> 36) % 3], ts, attrs);
}

int main(int argc, char **argv) {
  double mb = 100, bad = 0;
  unsigned body_recs = 1000, runs = 5;
  const char *out_path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--mb") && i + 1 < argc)
      mb = atof(argv[++i]);
    else if (!strcmp(argv[i], "--body") && i + 1 < argc)
      body_recs = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--bad") && i + 1 < argc)
      bad = atof(argv[++i]);
    else if (!strcmp(argv[i], "--out") && i + 1 < argc)
      out_path = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--mb N] [--body RECORDS] [--runs N] [--bad FRACTION] [--out FILE]\n",
              argv[0]);
      return 2;
    }
  }
  if (body_recs == 0) body_recs = 1;
  int status = 1;
  size_t cap = (size_t)(mb * 1e6) + 4096, len = 0;
  char *data = fl_malloc(cap), *copy = fl_malloc(cap);
  size_t *bodies = NULL; /* body start offsets, nbodies + 1 */
  size_t nbodies = 0;
  uint64_t nrec = 0;
  fl_arena arena;
  fl_arena_init(&arena, 1 << 16);
  fl_json_parser *p = NULL;
  fl_contract *c = NULL;
  fl_err err = {0};

  while (len + 512 < cap - 4096) len += gen_event(data + len, nrec++, bad);
  size_t bodies_cap = nrec / body_recs + 2;
  bodies = fl_malloc(bodies_cap * sizeof *bodies);
  for (size_t off = 0, k = 0; off < len; off++) {
    if (k % body_recs == 0 && (off == 0 || data[off - 1] == '\n')) bodies[nbodies++] = off;
    if (data[off] == '\n') k++;
    if (k % body_recs == 0 && data[off] == '\n') bodies[nbodies] = off + 1;
  }
  bodies[nbodies] = len;
  if (out_path) {
    FILE *f = fopen(out_path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
      fprintf(stderr, "ingest_parse_bench: cannot write %s\n", out_path);
      goto done;
    }
  }

  fl_sql_stream *st;
  if (fl_sql_parse_create_stream(orders_sql, strlen(orders_sql), &arena, &st, &err)) {
    fprintf(stderr, "ingest_parse_bench: %s\n", err.msg);
    goto done;
  }
  const fl_sql_expr *exprs[16];
  for (uint32_t i = 0; i < st->nchecks && i < 16; i++) exprs[i] = st->checks[i].expr;
  if (fl_contract_new(&st->schema, exprs, st->nchecks, &c, &err)) {
    fprintf(stderr, "ingest_parse_bench: %s\n", err.msg);
    goto done;
  }
  p = fl_json_parser_new(&st->schema);

  double best_parse = 1e30, best_memcpy = 1e30, best_parse_only = 1e30;
  uint64_t accepted = 0, rejected = 0;
  for (unsigned run = 0; run < runs; run++) {
    int64_t t0 = fl_mono_ns();
    for (size_t b = 0; b < nbodies; b++)
      memcpy(copy + bodies[b], data + bodies[b], bodies[b + 1] - bodies[b]);
    int64_t t1 = fl_mono_ns();
    accepted = rejected = 0;
    for (size_t b = 0; b < nbodies; b++) {
      fl_json_result res;
      const char *body = data + bodies[b];
      size_t n = bodies[b + 1] - bodies[b];
      if (fl_json_parse(p, body, n, &res, &err) || fl_contract_check(c, p, &res, body, &err)) {
        fprintf(stderr, "ingest_parse_bench: %s\n", err.msg);
        goto done;
      }
      accepted += res.nrows;
      rejected += res.nrejects;
    }
    int64_t t2 = fl_mono_ns();
    for (size_t b = 0; b < nbodies; b++) {
      fl_json_result res;
      if (fl_json_parse(p, data + bodies[b], bodies[b + 1] - bodies[b], &res, &err)) goto done;
    }
    int64_t t3 = fl_mono_ns();
    if ((double)(t1 - t0) < best_memcpy) best_memcpy = (double)(t1 - t0);
    if ((double)(t2 - t1) < best_parse) best_parse = (double)(t2 - t1);
    if ((double)(t3 - t2) < best_parse_only) best_parse_only = (double)(t3 - t2);
  }
  double mbytes = (double)len / 1e6;
  double parse_mbs = mbytes / (best_parse / 1e9), memcpy_mbs = mbytes / (best_memcpy / 1e9);
  double only_mbs = mbytes / (best_parse_only / 1e9);
  printf("ingest_parse_bench: %.1f MB, %" PRIu64 " events (%.0f bytes each), %zu bodies of %u, best of %u\n",
         mbytes, nrec, (double)len / (double)nrec, nbodies, body_recs, runs);
  printf("  floe parse + contract   %8.0f MB/s  %6.2f M events/s  (accepted %" PRIu64 ", rejected %" PRIu64
         ")\n",
         parse_mbs, (double)nrec / (best_parse / 1e9) / 1e6, accepted, rejected);
  printf("  floe parse only         %8.0f MB/s\n", only_mbs);
  printf("  memcpy                  %8.0f MB/s\n", memcpy_mbs);
  printf("{\"bench\":\"ingest_parse\",\"bytes\":%zu,\"events\":%" PRIu64
         ",\"body_records\":%u,"
         "\"parse_contract_mb_s\":%.1f,\"parse_only_mb_s\":%.1f,\"memcpy_mb_s\":%.1f,\"accepted\":%" PRIu64
         ",\"rejected\":%" PRIu64 "}\n",
         len, nrec, body_recs, parse_mbs, only_mbs, memcpy_mbs, accepted, rejected);
  status = 0;
done:
  fl_json_parser_free(p);
  fl_contract_free(c);
  fl_arena_destroy(&arena);
  fl_free(bodies);
  fl_free(data);
  fl_free(copy);
  return status;
}
