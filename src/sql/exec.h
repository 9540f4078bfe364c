/* exec: the vectorised executor's operators (module-internal header of sql/).
 *
 * A query runs as a tree of operators pulled from the root, a batch at a time
 * (Volcano with batches, as DuckDB and Velox do): the root's consumer calls
 * fl_op_next() until it returns no batch. Each operator owns its output batch and
 * reuses it: a batch returned by next() is valid until the next call on that
 * operator (or its free). Batches carry at most FL_EXEC_BATCH_ROWS rows, and every
 * row of a returned batch is live (a filter compacts; selection vectors inside
 * fl_batch may come later as an optimisation, behind this same interface).
 *
 *   child ──next()──► batch ──► operator ──next()──► batch ──► ... ──► root ──► sink
 *
 * Schemas: op->fields[0..ncols) names and types the output columns; names are the
 * column names a query shows (aliases applied by the planner). They live in the
 * query's arena (ctx->arena), as do the operator structs themselves: fl_op_free()
 * releases what each operator fl_malloc'd (hash tables, batches, spill files); the
 * arena goes with the query.
 *
 * Owners of the constructors below (one file each; the planner in plan.c builds
 * trees from them):
 *   exec.c        fl_op_next, fl_op_free, fl_op_values (a source of given batches)
 *   exec_scan.c   table scans (pull iterator over fl_scan tasks)
 *   exec_expr.c   project (expressions -> columns) and filter (a predicate)
 *   exec_agg.c    hash aggregate, distinct
 *   exec_join.c   hash join (inner, left, semi, anti)
 *   exec_sort.c   sort, top-N, limit/offset
 *   exec_window.c window functions
 *   exec_set.c    UNION ALL
 *   exec_parallel.c  scan sources, scan parts, GATHER, AGGREGATE_FINISH, JOIN_SWITCH
 *                 (morsel-driven parallel execution; query.c's lower_parallel uses them)
 */
#ifndef FL_SQL_EXEC_H
#define FL_SQL_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/types.h"

/* Rows per batch between operators: large enough to amortise the per-batch calls,
 * small enough that a batch's vectors stay in L2 (2,048 x 8 bytes = 16 KiB a column). */
#define FL_EXEC_BATCH_ROWS 2048u

/* One query's shared state. */
typedef struct fl_exec_ctx {
  fl_arena *arena;            /* the query's lifetime: plan, operators, schemas */
  size_t mem_budget;          /* bytes hash tables and sorts may hold before spilling; 0 = no limit */
  const char *spill_dir;      /* where spill files go (NULL: $TMPDIR or /tmp) */
  int64_t deadline_ns;        /* fl_mono_ns() after which next() fails with FL_ETIMEOUT; 0 = none */
  const volatile int *cancel; /* non-NULL and non-zero: next() fails with FL_ECANCELED */
  size_t mem_used;            /* bytes held by operators now (they add and subtract) */
  size_t mem_peak;
  /* A worker thread's context (exec_parallel.c): its own arena for what its operators
   * allocate while running; memory is charged to parent's mem_used (atomically), so the
   * budget is the whole query's. NULL for the query's own context. */
  struct fl_exec_ctx *parent;
} fl_exec_ctx;

typedef struct fl_op fl_op;

typedef struct fl_op_stats {
  uint64_t rows_out;
  uint64_t batches_out;
  int64_t ns; /* inside this operator's next(), children included */
} fl_op_stats;

typedef struct fl_op_vtable {
  const char *name; /* upper case, for EXPLAIN: "HASH_AGGREGATE" */
  /* Sets *out to the next batch (>= 1 row), or NULL at the end (then every later call
   * also gives NULL). */
  fl_code (*next)(fl_op *op, const fl_batch **out, fl_err *err);
  /* Appends this operator's details for EXPLAIN (keys, expressions, files pruned);
   * may be NULL. */
  void (*explain)(const fl_op *op, bool analyze, fl_buf *out);
  /* Releases what the operator holds besides arena memory; children are freed by
   * fl_op_free. May be NULL. */
  void (*free)(fl_op *op);
} fl_op_vtable;

struct fl_op {
  const fl_op_vtable *vt;
  fl_exec_ctx *ctx;
  const fl_field *fields; /* output schema */
  uint32_t ncols;
  fl_op **children;
  uint32_t nchildren;
  fl_op_stats stats;
};

/* Calls op's next(), counting rows and time for EXPLAIN ANALYZE, and checks the
 * deadline and cancel flag. */
fl_code fl_op_next(fl_op *op, const fl_batch **out, fl_err *err);
/* Frees op and its children (depth first). */
void fl_op_free(fl_op *op);
/* Allocates an operator of `size` bytes (>= sizeof(fl_op), the struct's first member is
 * an fl_op) in ctx's arena, zeroed, with vt, schema and children set. */
fl_op *fl_op_alloc(fl_exec_ctx *ctx, size_t size, const fl_op_vtable *vt, const fl_field *fields,
                   uint32_t ncols, fl_op **children, uint32_t nchildren);
/* EXPLAIN: the tree as indented lines "NAME details [rows=N time=T ms]". */
void fl_op_explain(const fl_op *op, bool analyze, fl_buf *out);

/* A source that returns the given batches in order (borrowed: they must outlive the
 * operator), for VALUES lists, tests and materialised results. Batches with 0 rows are
 * skipped. */
fl_op *fl_op_values(fl_exec_ctx *ctx, const fl_field *fields, uint32_t ncols, const fl_batch *const *batches,
                    uint32_t nbatches);

/* Drains op into *n rows of one batch (fl_malloc'd; the caller frees it with
 * fl_batch_free): for tests and small results. */
fl_code fl_op_collect(fl_op *op, fl_batch **out, fl_err *err);

/* ---- constructors of the other files (declared here so that every part codes against
 * the same signatures; each returns NULL and fills err when it cannot build the operator,
 * naming what is wrong). The planner binds expressions against an operator's output
 * schema (fl_exec_schema) before passing them. ---- */

/* The output schema of op as an fl_schema (in ctx's arena), for fl_sql_expr_bind. */
const fl_schema *fl_exec_schema(fl_op *op);

/* exec_scan.c: reads a table snapshot (opts: snapshot, projection; borrowed fl_table, one
 * thread at a time). filter, bound against the projected schema (may be NULL), is pushed
 * down: lowered to table/'s predicate IR to prune files and row groups, then applied to
 * rows. Output: the projected columns. */
struct fl_table;
struct fl_scan_opts;
struct fl_sql_expr;
fl_op *fl_op_table_scan(fl_exec_ctx *ctx, struct fl_table *tbl, const struct fl_scan_opts *opts,
                        const struct fl_sql_expr *filter, fl_err *err);
/* exec_scan.c: a metadata table of tbl (`t$snapshots`, `t$history`, `t$files`: columns
 * in table.h, fl_table_meta_kind_parse names them), its rows read at construction.
 * snapshot_id > 0: the files of that snapshot (time travel), else the current ones. */
fl_op *fl_op_table_meta(fl_exec_ctx *ctx, struct fl_table *tbl, int kind /* fl_table_meta_kind */,
                        int64_t snapshot_id, fl_err *err);
/* The pruning predicate (table/'s IR) of a bound WHERE, in arena: every row the filter
 * keeps satisfies it; NULL when nothing of it can prune. fl_op_table_scan uses it; EXPLAIN
 * shows it. */
struct fl_tpred;
struct fl_schema;
const struct fl_tpred *fl_sql_lower_pred(const struct fl_sql_expr *filter, const struct fl_schema *schema,
                                         fl_arena *arena);

/* exec_expr.c: n expressions bound against child's schema, computed into columns named
 * names[i] (the output is exactly these n columns, in order). */
fl_op *fl_op_project(fl_exec_ctx *ctx, fl_op *child, const struct fl_sql_expr *const *exprs,
                     const char *const *names, uint32_t n, fl_err *err);
/* Keeps the rows where pred (BOOLEAN, bound against child's schema) is TRUE. */
fl_op *fl_op_filter(fl_exec_ctx *ctx, fl_op *child, const struct fl_sql_expr *pred, fl_err *err);

/* exec_agg.c: GROUP BY child columns keys[], then one column per aggregate. Result types
 * as DuckDB's (count: BIGINT; sum of integers: DECIMAL(38,0) in place of HUGEINT; sum of
 * DECIMAL(p,s): DECIMAL(38,s); avg: DOUBLE; min/max: the argument's type). NULL keys form
 * one group. nkeys = 0: exactly one row, even over no input. */
typedef enum fl_agg_kind {
  FL_AGG_COUNT_STAR = 1,
  FL_AGG_COUNT,
  FL_AGG_COUNT_DISTINCT,
  FL_AGG_SUM,
  FL_AGG_AVG,
  FL_AGG_MIN,
  FL_AGG_MAX,
  FL_AGG_APPROX_COUNT_DISTINCT,
} fl_agg_kind;
typedef struct fl_agg_spec {
  fl_agg_kind kind;
  int32_t arg;      /* child column; -1 for count(*) */
  int32_t filter;   /* child BOOLEAN column of FILTER (WHERE ...): only TRUE rows count; -1 none */
  const char *name; /* output column name */
} fl_agg_spec;
fl_op *fl_op_hash_aggregate(fl_exec_ctx *ctx, fl_op *child, const uint32_t *keys, uint32_t nkeys,
                            const fl_agg_spec *aggs, uint32_t naggs, fl_err *err);
/* SELECT DISTINCT: one row per distinct row of child (NULLs equal). */
fl_op *fl_op_distinct(fl_exec_ctx *ctx, fl_op *child, fl_err *err);

/* exec_join.c: equi-join on left.lkeys[i] = right.rkeys[i] (a NULL key never matches);
 * the hash table is built on right. Output: left's columns then right's (SEMI and ANTI:
 * left's only); LEFT: right's columns NULL where nothing matched. ANTI_NULL_AWARE is
 * NOT IN: no row at all when right has a NULL key, and left rows with a NULL key never
 * qualify when right is not empty. */
typedef enum fl_join_kind {
  FL_JOIN_INNER = 1,
  FL_JOIN_LEFT,
  FL_JOIN_SEMI,
  FL_JOIN_ANTI,
  FL_JOIN_ANTI_NULL_AWARE,
} fl_join_kind;
fl_op *fl_op_hash_join(fl_exec_ctx *ctx, fl_join_kind kind, fl_op *left, fl_op *right, const uint32_t *lkeys,
                       const uint32_t *rkeys, uint32_t nkeys, fl_err *err);
/* used[c] false: no operator reads output column c of a hash join (or of a probe of one:
 * its parent, a projection, does not name it), so the join does not gather it and it
 * stays empty in every output batch. false when op is neither (nothing changes). */
bool fl_op_join_skip_unused(fl_op *op, const bool *used);

/* exec_sort.c: ORDER BY (stable); limit < UINT64_MAX keeps only the first `limit` rows
 * (top-N with a heap). The planner spells the NULL order out (DuckDB's default: NULLS
 * LAST for ASC and DESC alike). */
typedef struct fl_sort_key {
  uint32_t col;
  bool desc;
  bool nulls_first;
} fl_sort_key;
fl_op *fl_op_sort(fl_exec_ctx *ctx, fl_op *child, const fl_sort_key *keys, uint32_t nkeys, uint64_t limit,
                  fl_err *err);
/* LIMIT/OFFSET (limit UINT64_MAX: none). */
fl_op *fl_op_limit(fl_exec_ctx *ctx, fl_op *child, uint64_t limit, uint64_t offset);

/* exec_window.c: window functions over one PARTITION BY / ORDER BY (the planner stacks one
 * operator per distinct window). Output: child's columns, then one column per spec.
 * Frames: with an ORDER BY, aggregates run from the partition's start to the current
 * row's last peer (SQL's default RANGE frame); without one, over the whole partition. */
typedef enum fl_win_kind {
  FL_WIN_ROW_NUMBER = 1,
  FL_WIN_RANK,
  FL_WIN_DENSE_RANK,
  FL_WIN_LAG,
  FL_WIN_LEAD,
  FL_WIN_COUNT_STAR,
  FL_WIN_COUNT,
  FL_WIN_SUM,
  FL_WIN_AVG,
  FL_WIN_MIN,
  FL_WIN_MAX,
} fl_win_kind;
typedef struct fl_win_spec {
  fl_win_kind kind;
  int32_t arg;      /* child column; -1 where none */
  int64_t offset;   /* LAG/LEAD: rows back/ahead (default 1) */
  int32_t dflt;     /* LAG/LEAD: child column giving the default; -1: NULL */
  const char *name; /* output column name */
} fl_win_spec;
fl_op *fl_op_window(fl_exec_ctx *ctx, fl_op *child, const uint32_t *part, uint32_t npart,
                    const fl_sort_key *order, uint32_t norder, const fl_win_spec *specs, uint32_t nspecs,
                    fl_err *err);

/* exec_parallel.c: morsel-driven parallel execution. A scan source plans one scan of a
 * table (one snapshot, manifests read once) and splits its files into morsels (file x
 * row-group range); every fl_op_table_scan_part over it (one per worker) pulls the
 * next morsel from the shared queue with its own iterator and filter evaluator.
 * fl_op_gather runs n pipeline copies (each built in its own worker context,
 * fl_exec_ctx_worker) on n threads and returns their batches on the caller's thread
 * (no order between copies); the first error stops the others and is returned once.
 * It owns the copies and contexts; the source is freed by fl_scan_source_free after
 * the operators over it. */
typedef struct fl_scan_source fl_scan_source;
fl_scan_source *fl_scan_source_new(fl_exec_ctx *ctx, struct fl_table *tbl, const struct fl_scan_opts *opts,
                                   const struct fl_sql_expr *filter, uint32_t nthreads, fl_err *err);
uint32_t fl_scan_source_morsels(const fl_scan_source *src);
/* For a top-N directly over part (a copy's fl_op_table_scan_part, before the gather
 * starts): orders the source's morsels by their files' bounds of column col, the files
 * whose upper bound is largest first when desc (lower bound smallest first otherwise),
 * files without a bound first; the heaps then fill with rows close to the answer and the
 * shared bound skips more row groups. No-op for anything but a scan part. */
void fl_scan_source_order_for_topn(fl_op *part, uint32_t col, bool desc);
void fl_scan_source_free(fl_scan_source *src);
fl_op *fl_op_table_scan_part(fl_exec_ctx *ctx, fl_scan_source *src, fl_err *err);
/* A worker context under parent (its own arena; budget, spill dir, deadline and cancel
 * flag copied); freed by the gather that takes it, or by fl_exec_ctx_worker_free. */
fl_exec_ctx *fl_exec_ctx_worker(fl_exec_ctx *parent);
void fl_exec_ctx_worker_free(fl_exec_ctx *w);
fl_op *fl_op_gather(fl_exec_ctx *ctx, fl_op *const *copies, fl_exec_ctx *const *wctx, uint32_t n,
                    fl_err *err);
/* The last step of an aggregate merged from partial ones (query.c's lower_parallel):
 * output column i is child column cols[i].col passed through (kind 0), a sum of counts
 * (DECIMAL(38,0)) as the BIGINT count (FL_AGG_COUNT), or avg from a merged sum and
 * count (FL_AGG_AVG: exec_avg_exact, as the aggregate computes it from one thread). */
typedef struct fl_agg_finish {
  uint32_t col;
  int32_t count;    /* FL_AGG_AVG: the child column of the merged count */
  fl_agg_kind kind; /* 0, FL_AGG_COUNT or FL_AGG_AVG */
  fl_type arg;      /* FL_AGG_AVG: the argument's type */
  const char *name;
} fl_agg_finish;
fl_op *fl_op_agg_finish(fl_exec_ctx *ctx, fl_op *child, const fl_agg_finish *cols, uint32_t n, fl_err *err);
/* A worker's probe of join's table (an fl_op_hash_join built once, whose left child
 * only gives the columns) by left, a copy of the join's left side. And the operator
 * over a parallel plan holding such probes: its first next() builds the joins' tables
 * (exec_int.h exec_join_build) before any worker starts, then pulls `parallel`; when a
 * build spilled, it calls fallback(ud, arg) for the same rows on one thread and pulls
 * that instead. Children: parallel, the joins (freed in that order: the probes read the
 * joins' tables), then the fallback once made. */
fl_op *fl_op_join_probe(fl_exec_ctx *ctx, fl_op *join, fl_op *left, fl_err *err);
typedef fl_code (*fl_op_fallback_fn)(void *ud, const void *arg, fl_op **out, fl_err *err);
fl_op *fl_op_join_switch(fl_exec_ctx *ctx, fl_op *parallel, fl_op *const *joins, uint32_t njoins,
                         fl_op_fallback_fn fallback, void *ud, const void *arg, fl_err *err);
/* The number of online cores (the default thread count). */
uint32_t fl_exec_cores(void);

/* exec_set.c: UNION ALL of children with the same column count and types (the planner
 * casts first); output names are the first child's. */
fl_op *fl_op_union_all(fl_exec_ctx *ctx, fl_op *const *children, uint32_t n, fl_err *err);

#endif
