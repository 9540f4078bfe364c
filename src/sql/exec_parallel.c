/* exec_parallel: morsel-driven parallel execution (exec.h: fl_scan_source_*,
 * fl_op_table_scan_part, fl_op_gather), as in Leis et al.'s morsel-driven parallelism and
 * DuckDB's pipelines: the part of a plan between a table scan and its first pipeline
 * breaker runs as n copies, one per worker thread, all pulling morsels from one queue.
 *
 *   query thread:  parent op (final aggregate, top-N, join, ...) ──next()──► GATHER
 *   GATHER:        worker 0 .. n-1 threads, each pulling its own copy:
 *                    [partial aggregate | top-N |] project/filter ◄── TABLE_SCAN part
 *   TABLE_SCAN part: its own fl_scan_iter per morsel + its own filter evaluator
 *                    ◄── morsel queue (atomic index) of the one fl_scan_source
 *   fl_scan_source: one fl_scan_plan (snapshot, manifests, deletes read once), files
 *                    split into tasks of one row group when there are few files
 *
 * Hand-off: a worker pulls a batch from its copy and copies it into a free one of its
 * GATHER_SLOTS batches (a ring), then pulls again; when the ring is full it waits. The
 * gather's next() returns a worker's oldest filled batch and frees it on the next call.
 * (Handing the copy's own batch over without a copy made the worker wait for the
 * consumer at every batch: a join's probe with 2 threads ran slower than with 1 on a
 * loaded machine.)
 *
 *   worker:  PULL ──batch──► (ring full: WAIT) ──copy into a free slot──► PULL
 *             │ end / error / stop                                         │
 *             └──────────────────────► DONE ◄──────────────────────────────┘
 *   gather:  next(): free the held slot; wait until a slot is filled (return it),
 *            the first error is recorded (return it, once; later calls give no batch),
 *            or every worker is DONE (end).
 *   error:   the first failing worker records its fl_err and sets stop; the others see
 *            stop before their next pull (or while waiting) and end; free() sets stop
 *            and joins, so a parent that stops early (LIMIT) ends the workers too.
 *
 * Contexts: each copy is built in a worker context (fl_exec_ctx_worker): its own arena
 * (operators allocate in it while running: spill partitions, specs) and the query's
 * memory counter through ctx->parent (exec_mem_track is atomic), so the budget holds
 * for the whole query. The deadline and cancel flag are the query's, checked by every
 * copy's fl_op_next.
 *
 * EXPLAIN ANALYZE: once the workers are done, the stats of copies 1..n-1 are added to
 * copy 0's tree (same shape), which the explain prints under GATHER: rows and time per
 * operator summed over threads (time is thread time). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/thread.h"
#include "sql/exec.h"
#include "sql/exec_int.h"
#include "sql/sql.h"
#include "table/table.h"

/* ---------------------------------------------------------------- contexts */

uint32_t fl_exec_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1u : n > 256 ? 256u : (uint32_t)n;
}

typedef struct worker_ctx {
  fl_exec_ctx ctx; /* first: the public pointer */
  fl_arena arena;
} worker_ctx;

fl_exec_ctx *fl_exec_ctx_worker(fl_exec_ctx *parent) {
  worker_ctx *w = fl_calloc(1, sizeof *w);
  fl_arena_init(&w->arena, 16384);
  w->ctx.arena = &w->arena;
  w->ctx.mem_budget = parent->mem_budget;
  w->ctx.spill_dir = parent->spill_dir;
  w->ctx.deadline_ns = parent->deadline_ns;
  w->ctx.cancel = parent->cancel;
  w->ctx.parent = parent->parent ? parent->parent : parent;
  return &w->ctx;
}

void fl_exec_ctx_worker_free(fl_exec_ctx *ctx) {
  if (!ctx) return;
  worker_ctx *w = (worker_ctx *)ctx;
  fl_arena_destroy(&w->arena);
  fl_free(w);
}

/* ---------------------------------------------------------------- scan source */

struct fl_scan_source {
  fl_scan *scan;
  fl_scan_task *tasks;
  uint32_t ntasks;
  uint32_t next; /* the next morsel (atomic) */
  const fl_sql_expr *filter;
  fl_field *fields;
  uint32_t ncols;
  const char *table, *pruned, *filter_text;
  /* a top-N bound shared by the copies (exec_part_set_topn_bound): the tightest any
   * copy's full heap gave; bound_ver (atomic) counts its changes, under bound_mu */
  pthread_mutex_t bound_mu;
  uint32_t bound_ver;
  int32_t bound_field;
  fl_pred_op bound_op;
  fl_value bound_lit;
};

fl_scan_source *fl_scan_source_new(fl_exec_ctx *ctx, struct fl_table *tbl, const struct fl_scan_opts *opts,
                                   const struct fl_sql_expr *filter, uint32_t nthreads, fl_err *err) {
  fl_scan_opts o = {0};
  if (opts) o = *opts;
  const fl_schema *cur = fl_table_schema(tbl);
  fl_schema proj = *cur; /* the filter is bound against the projection */
  if (o.columns) {
    fl_field *fs = fl_arena_calloc(ctx->arena, o.ncolumns ? o.ncolumns : 1, sizeof *fs);
    for (uint32_t i = 0; i < o.ncolumns; i++) {
      const fl_field *f = fl_schema_field_by_name(cur, o.columns[i]);
      if (!f) {
        fl_err_set(err, FL_ENOENT, "table %s.%s: no column %s", fl_table_ns(tbl), fl_table_name(tbl),
                   o.columns[i]);
        return NULL;
      }
      fs[i] = *f;
    }
    proj.fields = fs;
    proj.nfields = o.ncolumns;
  }
  const fl_tpred *where = fl_sql_lower_pred(filter, &proj, ctx->arena);
  if (where && o.where) {
    fl_tpred *and = fl_arena_calloc(ctx->arena, 1, sizeof *and);
    const fl_tpred **args = fl_arena_alloc(ctx->arena, 2 * sizeof *args);
    args[0] = o.where;
    args[1] = where;
    *and = (fl_tpred){.kind = FL_TP_AND, .args = args, .nargs = 2};
    o.where = and;
  } else if (where) {
    o.where = where;
  }
  fl_scan *scan;
  if (fl_scan_plan(tbl, &o, &scan, err)) return NULL;
  fl_scan_source *src = fl_calloc(1, sizeof *src);
  pthread_mutex_init(&src->bound_mu, NULL);
  src->scan = scan;
  src->filter = filter;
  const fl_schema *ss = fl_scan_schema(scan);
  if (filter) { /* the filter's columns first, as fl_op_table_scan's */
    uint32_t *cols = fl_arena_calloc(ctx->arena, ss->nfields ? ss->nfields : 1, sizeof *cols), nc = 0;
    if (exec_filter_columns(filter, cols, &nc, ss->nfields)) fl_scan_set_filter_columns(scan, cols, nc);
    fl_scan_set_filter_dicts(scan); /* part_filter's fl_sql_eval reads dictionary-form strings */
  }
  src->ncols = ss->nfields;
  src->fields = fl_arena_calloc(ctx->arena, ss->nfields ? ss->nfields : 1, sizeof *src->fields);
  for (uint32_t i = 0; i < ss->nfields; i++) {
    src->fields[i] = ss->fields[i];
    src->fields[i].name = fl_arena_strdup(ctx->arena, ss->fields[i].name);
  }
  /* morsels: a file each, or a row group each when the files are too few to keep every
   * thread busy (the footers are then read once more, here) */
  uint32_t ntask;
  const fl_scan_task *tasks = fl_scan_tasks(scan, &ntask);
  bool split = nthreads > 1 && ntask < 4 * nthreads;
  uint32_t cap = ntask ? ntask : 1;
  src->tasks = fl_calloc(cap, sizeof *src->tasks);
  for (uint32_t t = 0; t < ntask; t++) {
    uint32_t nrg = 1;
    if (split && tasks[t].rg_first == 0 && tasks[t].rg_count == UINT32_MAX &&
        fl_scan_file_row_groups(scan, tasks[t].file, &nrg, err)) {
      fl_scan_source_free(src);
      return NULL;
    }
    if (!split || nrg <= 1 || tasks[t].rg_count != UINT32_MAX) {
      if (src->ntasks == cap) src->tasks = fl_realloc(src->tasks, (cap *= 2) * sizeof *src->tasks);
      src->tasks[src->ntasks++] = tasks[t];
      continue;
    }
    for (uint32_t r = 0; r < nrg; r++) {
      if (src->ntasks == cap) src->tasks = fl_realloc(src->tasks, (cap *= 2) * sizeof *src->tasks);
      src->tasks[src->ntasks++] = (fl_scan_task){tasks[t].file, r, 1};
    }
  }
  fl_buf b = FL_BUF_INIT;
  fl_buf_printf(&b, "%s.%s", fl_table_ns(tbl), fl_table_name(tbl));
  if (o.snapshot_id > 0 || o.as_of_ms > 0) {
    const fl_snapshot *snap = fl_scan_snapshot(scan);
    fl_buf_printf(&b, "@%lld", snap ? (long long)snap->snapshot_id : 0LL);
  }
  fl_buf_cstr(&b);
  src->table = fl_arena_strdup(ctx->arena, (const char *)b.data);
  if (o.where) {
    b.len = 0;
    fl_tpred_format(o.where, &b);
    fl_buf_cstr(&b);
    src->pruned = fl_arena_strdup(ctx->arena, (const char *)b.data);
  }
  if (filter) {
    b.len = 0;
    fl_sql_expr_format(filter, FL_SQL_FMT_SHORT, &b);
    fl_buf_cstr(&b);
    src->filter_text = fl_arena_strdup(ctx->arena, (const char *)b.data);
  }
  fl_buf_free(&b);
  return src;
}

uint32_t fl_scan_source_morsels(const fl_scan_source *src) { return src->ntasks; }

void fl_scan_source_free(fl_scan_source *src) {
  if (!src) return;
  fl_scan_free(src->scan);
  fl_free(src->tasks);
  pthread_mutex_destroy(&src->bound_mu);
  fl_free(src);
}

/* ---------------------------------------------------------------- scan part */

typedef struct part_op {
  fl_op op;
  fl_scan_source *src;
  fl_scan_iter *it; /* over the current morsel; NULL between morsels */
  fl_sql_eval *ev;  /* this worker's filter, NULL if none */
  const fl_batch *cur;
  uint32_t off;
  bool done;
  uint32_t morsels; /* taken by this copy */
  fl_batch view;
  fl_vec *vecs;
  uint32_t bound_ver; /* the source's shared bound last given to it (0: none yet) */
} part_op;

/* Gives the source's shared top-N bound to this copy's iterator when it changed since
 * (or the iterator is new: force). */
static void part_take_bound(part_op *s, bool force) {
  fl_scan_source *src = s->src;
  uint32_t v = __atomic_load_n(&src->bound_ver, __ATOMIC_ACQUIRE);
  if (!v || (v == s->bound_ver && !force)) return;
  pthread_mutex_lock(&src->bound_mu);
  s->bound_ver = src->bound_ver;
  fl_scan_iter_set_bound(s->it, src->bound_field, src->bound_op, &src->bound_lit);
  pthread_mutex_unlock(&src->bound_mu);
}

static uint32_t part_filter(void *ctx, const fl_batch *batch, uint32_t *sel) {
  part_op *s = ctx;
  return fl_sql_eval_select(s->ev, batch, sel);
}

/* view = rows [off, off + n) of b (off a multiple of 64: validity words line up) */
static void slice(const fl_batch *b, uint32_t off, uint32_t n, fl_batch *view, fl_vec *vecs) {
  FL_ASSERT(off % 64 == 0, "slice at row %u", off);
  for (uint32_t c = 0; c < b->ncols; c++) {
    const fl_vec *src = &b->cols[c];
    fl_vec *v = &vecs[c];
    *v = *src;
    v->len = n;
    v->cap = n;
    v->validity = src->validity + off / 64;
    if (fl_type_is_bytes(src->type.kind))
      v->offsets = src->offsets + off;
    else
      v->data.raw = (char *)src->data.raw + (size_t)off * fl_type_bytes(src->type);
  }
  view->fields = b->fields;
  view->ncols = b->ncols;
  view->nrows = n;
  view->capacity = n;
  view->cols = vecs;
}

static fl_code part_next(fl_op *op, const fl_batch **out, fl_err *err) {
  part_op *s = (part_op *)op;
  fl_scan_source *src = s->src;
  *out = NULL;
  while (!s->cur || s->off >= s->cur->nrows) {
    s->cur = NULL;
    s->off = 0;
    if (s->done) return FL_OK;
    if (!s->it) {
      uint32_t m = __atomic_fetch_add(&src->next, 1, __ATOMIC_ACQ_REL); /* orders the shared bound */
      if (m >= src->ntasks) {
        s->done = true;
        return FL_OK;
      }
      fl_code rc = fl_scan_iter_open(src->scan, &src->tasks[m], 1, &s->it, err);
      if (rc) return rc;
      if (s->ev) fl_scan_iter_set_filter(s->it, part_filter, s);
      part_take_bound(s, true);
      s->morsels++;
    } else {
      part_take_bound(s, false);
    }
    const fl_batch *b;
    fl_code rc = fl_scan_next(s->it, &b, err);
    if (rc) return rc;
    if (!b) {
      fl_scan_iter_free(s->it);
      s->it = NULL;
      continue;
    }
    s->cur = b;
  }
  const fl_batch *b = s->cur;
  if (s->off == 0 && b->nrows <= FL_EXEC_BATCH_ROWS) {
    s->off = b->nrows;
    *out = b;
    return FL_OK;
  }
  uint32_t n = b->nrows - s->off;
  if (n > FL_EXEC_BATCH_ROWS) n = FL_EXEC_BATCH_ROWS;
  slice(b, s->off, n, &s->view, s->vecs);
  s->off += n;
  *out = &s->view;
  return FL_OK;
}

static void part_explain(const fl_op *op, bool analyze, fl_buf *out) {
  const part_op *s = (const part_op *)op;
  const fl_scan_source *src = s->src;
  const fl_scan_stats *st = fl_scan_get_stats(src->scan);
  fl_buf_printf(out, "%s", src->table);
  if (src->filter_text) fl_buf_printf(out, " filter=%s", src->filter_text);
  if (src->pruned) fl_buf_printf(out, " prune=%s", src->pruned);
  fl_buf_printf(out, " files=%u/%u (pruned: %u by partition, %u by bounds; manifests %u/%u) morsels=%u",
                st->files_planned, st->files_total, st->files_pruned_partition, st->files_pruned_bounds,
                st->manifests_total - st->manifests_pruned, st->manifests_total, src->ntasks);
  if (analyze) /* the scan's counts: every thread's iterators add to them */
    fl_buf_printf(out, " row_groups=%llu/%llu rows_read=%llu deleted=%llu filtered=%llu",
                  (unsigned long long)(st->row_groups_total - st->row_groups_pruned),
                  (unsigned long long)st->row_groups_total, (unsigned long long)st->rows_read,
                  (unsigned long long)st->rows_deleted, (unsigned long long)st->rows_filtered);
  if (analyze && st->row_groups_skipped)
    fl_buf_printf(out, " (row groups read in the filter's columns only and skipped: %llu)",
                  (unsigned long long)st->row_groups_skipped);
  if (analyze && st->row_groups_paged)
    fl_buf_printf(out, " pages=%llu read, %llu skipped by the page index (in %llu row groups)",
                  (unsigned long long)st->pages_read, (unsigned long long)st->pages_skipped,
                  (unsigned long long)st->row_groups_paged);
}

static void part_free(fl_op *op) {
  part_op *s = (part_op *)op;
  fl_scan_iter_free(s->it);
  fl_sql_eval_free(s->ev);
  fl_free(s->vecs);
  s->it = NULL;
  s->ev = NULL;
  s->vecs = NULL;
}

static const fl_op_vtable part_vt = {"TABLE_SCAN", part_next, part_explain, part_free};

/* Every copy's top-N keeps its own heap, and the final top-N above the gather takes
 * the best of them: a copy's full heap holds `limit` rows at or past its worst, so no
 * row short of it enters the final heap either, and the tightest bound of any copy holds
 * for all of them (a copy that has not filled its heap yet skips by the others'). */
typedef struct topn_key {
  fl_value v;
  bool has;
  uint32_t i; /* the morsel's index: ties keep plan order */
} topn_key;

static bool topn_desc; /* qsort's direction: set under topn_mu */
static pthread_mutex_t topn_mu = PTHREAD_MUTEX_INITIALIZER;

static int topn_key_cmp(const void *a, const void *b) {
  const topn_key *x = a, *y = b;
  if (x->has != y->has) return x->has ? 1 : -1; /* no bound: may hold anything, first */
  int c = x->has ? fl_value_cmp(&x->v, &y->v) : 0;
  if (c) return topn_desc ? -c : c;
  return x->i < y->i ? -1 : x->i > y->i;
}

void fl_scan_source_order_for_topn(fl_op *part, uint32_t col, bool desc) {
  if (part->vt != &part_vt || col >= part->ncols) return;
  fl_scan_source *src = ((part_op *)part)->src;
  if (src->ntasks < 2) return;
  topn_key *k = fl_calloc(src->ntasks, sizeof *k);
  for (uint32_t t = 0; t < src->ntasks; t++) {
    k[t].i = t;
    k[t].has = fl_scan_file_bound(src->scan, src->tasks[t].file, part->fields[col].id, desc, &k[t].v);
  }
  pthread_mutex_lock(&topn_mu);
  topn_desc = desc;
  qsort(k, src->ntasks, sizeof *k, topn_key_cmp);
  pthread_mutex_unlock(&topn_mu);
  fl_scan_task *tasks = fl_calloc(src->ntasks, sizeof *tasks);
  for (uint32_t t = 0; t < src->ntasks; t++) tasks[t] = src->tasks[k[t].i];
  fl_free(src->tasks);
  src->tasks = tasks;
  fl_free(k);
}

bool exec_part_set_topn_bound(fl_op *op, uint32_t col, bool desc, const fl_value *v) {
  if (op->vt != &part_vt || col >= op->ncols) return false;
  part_op *s = (part_op *)op;
  fl_scan_source *src = s->src;
  pthread_mutex_lock(&src->bound_mu);
  int c = src->bound_ver ? fl_value_cmp(v, &src->bound_lit) : 0;
  if (!src->bound_ver || src->bound_field != op->fields[col].id || (desc ? c > 0 : c < 0)) {
    src->bound_field = op->fields[col].id;
    src->bound_op = desc ? FL_PRED_GE : FL_PRED_LE;
    src->bound_lit = *v;
    __atomic_store_n(&src->bound_ver, src->bound_ver + 1, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&src->bound_mu);
  if (s->it) part_take_bound(s, false);
  return true;
}

fl_op *fl_op_table_scan_part(fl_exec_ctx *ctx, fl_scan_source *src, fl_err *err) {
  part_op *s = (part_op *)fl_op_alloc(ctx, sizeof *s, &part_vt, src->fields, src->ncols, NULL, 0);
  s->src = src;
  s->vecs = fl_calloc(src->ncols ? src->ncols : 1, sizeof *s->vecs);
  if (src->filter) {
    s->ev = fl_sql_eval_new(fl_scan_schema(src->scan));
    if (exec_add_where(s->ev, src->filter, err)) {
      part_free(&s->op);
      return NULL;
    }
  }
  return &s->op;
}

/* ---------------------------------------------------------------- gather */

typedef struct gather_op gather_op;

/* Batches a worker may have ahead of the consumer (each up to FL_EXEC_BATCH_ROWS rows;
 * not charged to the budget: 4 x 2,048 rows a thread). */
enum { GATHER_SLOTS = 4 };

typedef struct worker {
  gather_op *g;
  fl_op *root; /* this thread's pipeline copy */
  fl_exec_ctx *ctx;
  pthread_t th;
  bool started;
  bool done;
  fl_batch *slot[GATHER_SLOTS]; /* the ring: filled slots are [head, head + count) */
  uint32_t head, count;
  fl_err err;
} worker;

struct gather_op {
  fl_op op;
  worker *w;
  uint32_t n;
  pthread_mutex_t mu;
  pthread_cond_t ready; /* the query thread waits: a batch published, an error, a worker done */
  pthread_cond_t taken; /* workers wait: their batch released, or stop */
  bool started, stop, failed, reported, summed;
  int32_t held; /* the worker whose batch the last next() returned; -1 none */
  uint32_t live;
  uint32_t rr; /* where the next search for a published batch starts (fairness) */
  fl_err err;
};

static void *worker_main(void *arg) {
  worker *w = arg;
  gather_op *g = w->g;
  fl_thread_name("floe-sql-%u", (unsigned)(w - g->w));
  for (;;) {
    pthread_mutex_lock(&g->mu);
    bool stop = g->stop;
    pthread_mutex_unlock(&g->mu);
    if (stop) break;
    const fl_batch *b = NULL;
    fl_code rc = fl_op_next(w->root, &b, &w->err);
    pthread_mutex_lock(&g->mu);
    if (rc) {
      if (!g->failed) { /* the first error is the query's; later ones are its echoes */
        g->failed = true;
        g->err = w->err;
      }
      g->stop = true;
      pthread_cond_broadcast(&g->taken);
      pthread_mutex_unlock(&g->mu);
      break;
    }
    if (!b) {
      pthread_mutex_unlock(&g->mu);
      break;
    }
    while (w->count == GATHER_SLOTS && !g->stop) pthread_cond_wait(&g->taken, &g->mu);
    if (g->stop) {
      pthread_mutex_unlock(&g->mu);
      break;
    }
    /* the slot after the filled ones is the worker's alone (the consumer holds at most
     * the head), so the copy runs unlocked */
    uint32_t s = (w->head + w->count) % GATHER_SLOTS;
    pthread_mutex_unlock(&g->mu);
    if (!w->slot[s]) w->slot[s] = fl_batch_new(w->root->fields, w->root->ncols, FL_EXEC_BATCH_ROWS);
    fl_batch_reset(w->slot[s]);
    exec_batch_append(w->slot[s], b);
    pthread_mutex_lock(&g->mu);
    w->count++;
    pthread_cond_signal(&g->ready);
    pthread_mutex_unlock(&g->mu);
  }
  pthread_mutex_lock(&g->mu);
  w->done = true;
  g->live--;
  pthread_cond_signal(&g->ready);
  pthread_mutex_unlock(&g->mu);
  return NULL;
}

/* Adds the stats of b's tree to a's (same shape: copies of one pipeline). */
static void stats_add(fl_op *a, const fl_op *b) {
  a->stats.rows_out += b->stats.rows_out;
  a->stats.batches_out += b->stats.batches_out;
  a->stats.ns += b->stats.ns;
  FL_ASSERT(a->nchildren == b->nchildren && a->vt == b->vt, "copies of one pipeline differ");
  for (uint32_t i = 0; i < a->nchildren; i++) stats_add(a->children[i], b->children[i]);
}

static void join_workers(gather_op *g) {
  pthread_mutex_lock(&g->mu);
  g->stop = true;
  pthread_cond_broadcast(&g->taken);
  pthread_mutex_unlock(&g->mu);
  for (uint32_t i = 0; i < g->n; i++)
    if (g->w[i].started) {
      pthread_join(g->w[i].th, NULL);
      g->w[i].started = false;
    }
}

static fl_code gather_start(gather_op *g, fl_err *err) {
  g->started = true;
  g->live = g->n;
  for (uint32_t i = 0; i < g->n; i++) {
    int e = pthread_create(&g->w[i].th, NULL, worker_main, &g->w[i]);
    if (e) {
      pthread_mutex_lock(&g->mu);
      g->live -= g->n - i;
      pthread_mutex_unlock(&g->mu);
      join_workers(g);
      return fl_err_set(err, FL_EIO, "query: starting worker thread %u of %u: %s", i + 1, g->n, strerror(e));
    }
    g->w[i].started = true;
  }
  return FL_OK;
}

static fl_code gather_next(fl_op *op, const fl_batch **out, fl_err *err) {
  gather_op *g = (gather_op *)op;
  *out = NULL;
  if (!g->started) {
    fl_code rc = gather_start(g, err);
    if (rc) {
      g->reported = true;
      return rc;
    }
  }
  if (g->reported) return FL_OK;
  pthread_mutex_lock(&g->mu);
  if (g->held >= 0) {
    worker *h = &g->w[g->held];
    h->head = (h->head + 1) % GATHER_SLOTS;
    h->count--;
    g->held = -1;
    pthread_cond_broadcast(&g->taken);
  }
  for (;;) {
    if (g->failed) {
      g->reported = true;
      *err = g->err;
      pthread_mutex_unlock(&g->mu);
      join_workers(g);
      return err->code ? err->code : FL_EINVAL;
    }
    for (uint32_t k = 0; k < g->n; k++) {
      uint32_t i = (g->rr + k) % g->n;
      if (g->w[i].count) {
        g->held = (int32_t)i;
        g->rr = i + 1;
        *out = g->w[i].slot[g->w[i].head];
        pthread_mutex_unlock(&g->mu);
        return FL_OK;
      }
    }
    if (!g->live) break;
    pthread_cond_wait(&g->ready, &g->mu);
  }
  pthread_mutex_unlock(&g->mu);
  join_workers(g);
  g->reported = true;
  if (!g->summed) {
    g->summed = true;
    for (uint32_t i = 1; i < g->n; i++) stats_add(g->w[0].root, g->w[i].root);
  }
  return FL_OK;
}

static void gather_explain(const fl_op *op, bool analyze, fl_buf *out) {
  (void)analyze;
  const gather_op *g = (const gather_op *)op;
  fl_buf_printf(out, "threads=%u", g->n);
}

static void gather_free(fl_op *op) {
  gather_op *g = (gather_op *)op;
  if (!g->w) return;
  join_workers(g);
  for (uint32_t i = 0; i < g->n; i++) {
    fl_op_free(g->w[i].root);
    fl_exec_ctx_worker_free(g->w[i].ctx);
    for (uint32_t s = 0; s < GATHER_SLOTS; s++)
      if (g->w[i].slot[s]) fl_batch_free(g->w[i].slot[s]);
  }
  fl_free(g->w);
  g->w = NULL;
  op->nchildren = 0;
  pthread_mutex_destroy(&g->mu);
  pthread_cond_destroy(&g->ready);
  pthread_cond_destroy(&g->taken);
}

static const fl_op_vtable gather_vt = {"GATHER", gather_next, gather_explain, gather_free};

fl_op *fl_op_gather(fl_exec_ctx *ctx, fl_op *const *copies, fl_exec_ctx *const *wctx, uint32_t n,
                    fl_err *err) {
  FL_ASSERT(n >= 1);
  for (uint32_t i = 1; i < n; i++)
    if (copies[i]->ncols != copies[0]->ncols) {
      fl_err_set(err, FL_EINVAL, "gather: copy %u has %u columns, copy 0 %u", i, copies[i]->ncols,
                 copies[0]->ncols);
      return NULL;
    }
  /* copy 0 is the one child EXPLAIN shows; fl_op_free reaches the copies through
   * gather_free (which joins the threads first), so the child list is emptied there */
  fl_op *kid = copies[0];
  gather_op *g =
      (gather_op *)fl_op_alloc(ctx, sizeof *g, &gather_vt, copies[0]->fields, copies[0]->ncols, &kid, 1);
  g->n = n;
  g->held = -1;
  g->w = fl_calloc(n, sizeof *g->w);
  for (uint32_t i = 0; i < n; i++) {
    g->w[i].g = g;
    g->w[i].root = copies[i];
    g->w[i].ctx = wctx ? wctx[i] : NULL;
  }
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->ready, NULL);
  pthread_cond_init(&g->taken, NULL);
  return &g->op;
}

/* ---------------------------------------------------------------- aggregate finish */

typedef struct finish_op {
  fl_op op;
  const fl_agg_finish *cols;
  uint32_t n;
  fl_vec *owned; /* [n]: the computed columns' vectors (initialised for those only) */
  fl_batch out;
} finish_op;

static fl_code finish_next(fl_op *op, const fl_batch **out, fl_err *err) {
  finish_op *f = (finish_op *)op;
  const fl_batch *b;
  fl_code rc = fl_op_next(op->children[0], &b, err);
  if (rc || !b) {
    *out = NULL;
    return rc;
  }
  for (uint32_t i = 0; i < f->n; i++) {
    const fl_agg_finish *c = &f->cols[i];
    const fl_vec *src = &b->cols[c->col];
    if (!c->kind) {
      f->out.cols[i] = *src; /* borrowed: valid until the child's next call, as ours */
      continue;
    }
    fl_vec *v = &f->owned[i];
    fl_vec_reset(v);
    for (uint32_t r = 0; r < b->nrows; r++) {
      if (c->kind == FL_AGG_COUNT) {
        fl_vec_append_i64(v, fl_vec_is_valid(src, r) ? (int64_t)fl_vec_dec(src, r) : 0);
        continue;
      }
      const fl_vec *cnt = &b->cols[c->count];
      int64_t n = fl_vec_is_valid(cnt, r) ? (int64_t)fl_vec_dec(cnt, r) : 0;
      if (!n || !fl_vec_is_valid(src, r))
        fl_vec_append_null(v);
      else
        fl_vec_append_f64(v, exec_avg_exact(fl_vec_dec(src, r), n, c->arg));
    }
    f->out.cols[i] = *v;
  }
  f->out.nrows = b->nrows;
  f->out.capacity = b->nrows;
  *out = &f->out;
  return FL_OK;
}

static void finish_free(fl_op *op) {
  finish_op *f = (finish_op *)op;
  if (!f->owned) return;
  for (uint32_t i = 0; i < f->n; i++)
    if (f->cols[i].kind) fl_vec_free(&f->owned[i]);
  fl_free(f->owned);
  fl_free(f->out.cols);
  f->owned = NULL;
}

static const fl_op_vtable finish_vt = {"AGGREGATE_FINISH", finish_next, NULL, finish_free};

fl_op *fl_op_agg_finish(fl_exec_ctx *ctx, fl_op *child, const fl_agg_finish *cols, uint32_t n, fl_err *err) {
  fl_field *fields = fl_arena_calloc(ctx->arena, n ? n : 1, sizeof *fields);
  for (uint32_t i = 0; i < n; i++) {
    const fl_agg_finish *c = &cols[i];
    bool ok = c->col < child->ncols &&
              (c->kind != FL_AGG_AVG || (c->count >= 0 && (uint32_t)c->count < child->ncols));
    if (ok && c->kind)
      ok = child->fields[c->col].type.kind == FL_T_DECIMAL &&
           (c->kind != FL_AGG_AVG || child->fields[c->count].type.kind == FL_T_DECIMAL);
    if (!ok) {
      fl_err_set(err, FL_EINVAL, "aggregate finish: column %u (%s) does not fit child of %u columns", i,
                 c->name, child->ncols);
      return NULL;
    }
    fields[i] = child->fields[c->col];
    fields[i].name = fl_arena_strdup(ctx->arena, c->name);
    if (c->kind == FL_AGG_COUNT) fields[i].type = (fl_type){FL_T_BIGINT, 0, 0};
    if (c->kind == FL_AGG_AVG) fields[i].type = (fl_type){FL_T_DOUBLE, 0, 0};
    fields[i].required = false;
  }
  finish_op *f = (finish_op *)fl_op_alloc(ctx, sizeof *f, &finish_vt, fields, n, &child, 1);
  f->cols = fl_arena_memdup(ctx->arena, cols, (n ? n : 1) * sizeof *cols);
  f->n = n;
  f->owned = fl_calloc(n ? n : 1, sizeof *f->owned);
  for (uint32_t i = 0; i < n; i++)
    if (cols[i].kind) fl_vec_init(&f->owned[i], fields[i].type, FL_EXEC_BATCH_ROWS);
  f->out.fields = fields;
  f->out.ncols = n;
  f->out.cols = fl_calloc(n ? n : 1, sizeof *f->out.cols);
  return &f->op;
}

/* ---------------------------------------------------------------- join switch */

typedef struct switch_op {
  fl_op op;
  fl_op *use; /* NULL until the builds ran */
  uint32_t njoins;
  bool spilled;
  fl_op_fallback_fn fallback;
  void *ud;
  const void *arg;
} switch_op;

fl_op *fl_op_join_probe(fl_exec_ctx *ctx, fl_op *join, fl_op *left, fl_err *err) {
  return exec_join_probe(ctx, join, left, err);
}

static fl_code switch_next(fl_op *op, const fl_batch **out, fl_err *err) {
  switch_op *s = (switch_op *)op;
  *out = NULL;
  if (!s->use) {
    for (uint32_t i = 0; i < s->njoins && !s->spilled; i++) {
      fl_code rc = exec_join_build(op->children[1 + i], &s->spilled, err);
      if (rc) return rc;
    }
    if (s->spilled) {
      /* the shared builds' memory back to the budget first: the one-thread plan builds again */
      for (uint32_t i = 0; i < s->njoins; i++) exec_join_release(op->children[1 + i]);
      fl_op *f = NULL;
      fl_code rc = s->fallback(s->ud, s->arg, &f, err);
      if (rc) return rc;
      op->children[op->nchildren++] = f; /* the slot kept for it */
      s->use = f;
    } else {
      s->use = op->children[0];
    }
  }
  return fl_op_next(s->use, out, err);
}

static void switch_explain(const fl_op *op, bool analyze, fl_buf *out) {
  const switch_op *s = (const switch_op *)op;
  fl_buf_printf(out, "shared builds=%u", s->njoins);
  if (analyze && s->use)
    fl_buf_printf(out, "%s", s->spilled ? " (a build spilled: one thread)" : " (probed in parallel)");
}

static const fl_op_vtable switch_vt = {"JOIN_SWITCH", switch_next, switch_explain, NULL};

fl_op *fl_op_join_switch(fl_exec_ctx *ctx, fl_op *parallel, fl_op *const *joins, uint32_t njoins,
                         fl_op_fallback_fn fallback, void *ud, const void *arg, fl_err *err) {
  (void)err;
  FL_ASSERT(njoins >= 1 && fallback);
  switch_op *s =
      (switch_op *)fl_op_alloc(ctx, sizeof *s, &switch_vt, parallel->fields, parallel->ncols, NULL, 0);
  s->op.children = fl_arena_calloc(ctx->arena, njoins + 2, sizeof *s->op.children);
  s->op.children[0] = parallel;
  for (uint32_t i = 0; i < njoins; i++) s->op.children[1 + i] = joins[i];
  s->op.nchildren = 1 + njoins;
  s->njoins = njoins;
  s->fallback = fallback;
  s->ud = ud;
  s->arg = arg;
  return &s->op;
}
