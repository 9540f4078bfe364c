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
  fl_arena *arena;        /* the query's lifetime: plan, operators, schemas */
  size_t mem_budget;      /* bytes hash tables and sorts may hold before spilling; 0 = no limit */
  const char *spill_dir;  /* where spill files go (NULL: $TMPDIR or /tmp) */
  int64_t deadline_ns;    /* fl_mono_ns() after which next() fails with FL_ETIMEOUT; 0 = none */
  const volatile int *cancel; /* non-NULL and non-zero: next() fails with FL_ECANCELED */
  size_t mem_used;        /* bytes held by operators now (they add and subtract) */
  size_t mem_peak;
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

#endif
