/* exec_bench: throughput of the executor's hash aggregate, hash join and sort (issue
 * 15), in rows/s of input, on one thread.
 *
 *   group_low:  GROUP BY a key of 100 values: count(*), sum(v), min(v), max(v)
 *   group_high: GROUP BY a key of --rows / 2 values (5M for 10M rows): count(*), sum(v)
 *   join:       --rows probe rows INNER JOIN --build rows (5,000) on a BIGINT key,
 *               every probe row matching one build row
 *   sort:       ORDER BY a BIGINT key of --sort-rows rows (1,000,000)
 *   window:     ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) over --sort-rows rows, k of
 *               --sort-rows / 4 values (the dedupe query's shape)
 *
 * Input comes from a generator operator that fills one reused batch per call (keys
 * spread by a multiplicative hash so they arrive in no order), so the figure includes
 * generating 2 BIGINT columns (a few ns a row). Output: a summary on stderr, one JSON
 * line on stdout.
 *   exec_bench [--rows N] [--build B] [--sort-rows S] [--budget BYTES] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/time.h"
#include "sql/exec.h"

static fl_field gen_fields[] = {{1, "k", {FL_T_BIGINT, 0, 0, 0}, true, NULL},
                                {2, "v", {FL_T_BIGINT, 0, 0, 0}, true, NULL}};

typedef struct gen_op {
  fl_op op;
  uint64_t rows, at, card; /* card 0: k = the row number */
  fl_batch *b;
} gen_op;

static fl_code gen_next(fl_op *op, const fl_batch **out, fl_err *err) {
  (void)err;
  gen_op *g = (gen_op *)op;
  uint32_t n = g->rows - g->at < FL_EXEC_BATCH_ROWS ? (uint32_t)(g->rows - g->at) : FL_EXEC_BATCH_ROWS;
  if (!n) {
    *out = NULL;
    return FL_OK;
  }
  fl_batch_reset(g->b);
  fl_vec *k = &g->b->cols[0], *v = &g->b->cols[1];
  for (uint32_t i = 0; i < n; i++) {
    uint64_t r = g->at + i;
    k->data.i64[i] = g->card ? (int64_t)((r * 0x9E3779B97F4A7C15ull >> 17) % g->card) : (int64_t)r;
    v->data.i64[i] = (int64_t)(r % 1000);
  }
  memset(k->validity, 0xff, (n + 63) / 64 * 8);
  memset(v->validity, 0xff, (n + 63) / 64 * 8);
  k->len = v->len = n;
  g->b->nrows = n;
  g->at += n;
  *out = g->b;
  return FL_OK;
}
static void gen_free(fl_op *op) { fl_batch_free(((gen_op *)op)->b); }
static const fl_op_vtable gen_vt = {"GEN", gen_next, NULL, gen_free};

static fl_op *gen(fl_exec_ctx *ctx, uint64_t rows, uint64_t card) {
  gen_op *g = (gen_op *)fl_op_alloc(ctx, sizeof *g, &gen_vt, gen_fields, 2, NULL, 0);
  g->rows = rows;
  g->card = card;
  g->b = fl_batch_new(gen_fields, 2, FL_EXEC_BATCH_ROWS);
  return &g->op;
}

static uint64_t drain(fl_op *op) {
  fl_err err = {0};
  uint64_t n = 0;
  for (;;) {
    const fl_batch *b;
    if (fl_op_next(op, &b, &err)) {
      fprintf(stderr, "exec_bench: %s\n", err.msg);
      exit(1);
    }
    if (!b) return n;
    n += b->nrows;
  }
}

typedef struct result {
  const char *name;
  uint64_t in_rows, out_rows;
  double secs;
  size_t peak;
} result;

int main(int argc, char **argv) {
  uint64_t rows = 10000000, build = 5000, sort_rows = 1000000;
  size_t budget = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rows") && i + 1 < argc)
      rows = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--build") && i + 1 < argc)
      build = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--sort-rows") && i + 1 < argc)
      sort_rows = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--budget") && i + 1 < argc)
      budget = strtoull(argv[++i], NULL, 10);
    else {
      fprintf(stderr, "usage: exec_bench [--rows N] [--build B] [--sort-rows S] [--budget BYTES]\n");
      return 2;
    }
  }
  result res[5];
  for (int t = 0; t < 5; t++) {
    fl_arena arena;
    fl_arena_init(&arena, 1 << 16);
    fl_exec_ctx ctx = {.arena = &arena, .mem_budget = budget};
    fl_err err = {0};
    fl_op *op = NULL;
    uint64_t in = rows;
    uint32_t keys[] = {0};
    if (t == 0) {
      fl_agg_spec aggs[] = {{FL_AGG_COUNT_STAR, -1, -1, "n"},
                            {FL_AGG_SUM, 1, -1, "s"},
                            {FL_AGG_MIN, 1, -1, "lo"},
                            {FL_AGG_MAX, 1, -1, "hi"}};
      op = fl_op_hash_aggregate(&ctx, gen(&ctx, rows, 100), keys, 1, aggs, 4, &err);
      res[t].name = "group_low";
    } else if (t == 1) {
      fl_agg_spec aggs[] = {{FL_AGG_COUNT_STAR, -1, -1, "n"}, {FL_AGG_SUM, 1, -1, "s"}};
      op = fl_op_hash_aggregate(&ctx, gen(&ctx, rows, rows / 2 ? rows / 2 : 1), keys, 1, aggs, 2, &err);
      res[t].name = "group_high";
    } else if (t == 2) {
      /* build: keys 0 .. build-1 once each (card 0: k = row number) */
      op = fl_op_hash_join(&ctx, FL_JOIN_INNER, gen(&ctx, rows, build), gen(&ctx, build, 0), keys, keys, 1,
                           &err);
      res[t].name = "join";
    } else if (t == 3) {
      fl_sort_key sk[] = {{0, false, false}};
      op = fl_op_sort(&ctx, gen(&ctx, sort_rows, sort_rows), sk, 1, UINT64_MAX, &err);
      in = sort_rows;
      res[t].name = "sort";
    } else {
      fl_sort_key order[] = {{1, false, false}};
      fl_win_spec rn[] = {{FL_WIN_ROW_NUMBER, -1, 0, -1, "rn"}};
      op = fl_op_window(&ctx, gen(&ctx, sort_rows, sort_rows / 4 ? sort_rows / 4 : 1), keys, 1, order, 1, rn,
                        1, &err);
      in = sort_rows;
      res[t].name = "window";
    }
    if (!op) {
      fprintf(stderr, "exec_bench: %s\n", err.msg);
      return 1;
    }
    int64_t t0 = fl_mono_ns();
    res[t].out_rows = drain(op);
    res[t].secs = (double)(fl_mono_ns() - t0) / 1e9;
    res[t].in_rows = in;
    res[t].peak = ctx.mem_peak;
    fl_op_free(op);
    fl_arena_destroy(&arena);
    fprintf(stderr,
            "exec_bench: %-10s %12" PRIu64 " rows in, %10" PRIu64
            " out, %7.3f s, %6.2f M rows/s, peak %zu MiB\n",
            res[t].name, res[t].in_rows, res[t].out_rows, res[t].secs,
            (double)res[t].in_rows / res[t].secs / 1e6, res[t].peak >> 20);
  }
  printf("{\"bench\":\"exec\",\"rows\":%" PRIu64 ",\"build\":%" PRIu64 ",\"sort_rows\":%" PRIu64, rows, build,
         sort_rows);
  for (int t = 0; t < 5; t++)
    printf(",\"%s_rows_per_s\":%.0f,\"%s_peak_bytes\":%zu", res[t].name, (double)res[t].in_rows / res[t].secs,
           res[t].name, res[t].peak);
  printf("}\n");
  return 0;
}
