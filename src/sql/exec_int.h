/* exec_int.h: helpers the executor's operator files share (not for the planner):
 * row keys (a row's key columns encoded as one byte string for core/htab), column
 * gathers, memory accounting against the query's budget, and spill files. */
#ifndef FL_SQL_EXEC_INT_H
#define FL_SQL_EXEC_INT_H

#include <stdio.h>

#include "core/htab.h"
#include "sql/exec.h"

/* ---- row keys (exec_key.c) ----
 * Encoding of one row's key columns, column after column: a byte 0 (NULL, nothing
 * follows) or 1, then the value: fixed-width types as their storage bytes (FLOAT and
 * DOUBLE with -0.0 made 0.0 and every NaN one NaN, so values SQL calls equal encode
 * alike), byte types as a u32 length and the bytes. Equal keys <=> equal encodings,
 * for columns of equal types (the planner casts join keys). */
typedef struct exec_keys {
  uint8_t *buf;
  size_t buf_cap;
  const uint8_t **ptrs; /* [n] key of row i, or NULL (a NULL key when skip_nulls) */
  uint32_t *lens;
  uint64_t *hashes;
  uint32_t *ids;
  size_t *pos;
  uint32_t cap;
} exec_keys;
/* Encodes rows [0, b->nrows) on columns cols[0..ncols) and hashes them with ht's seed.
 * skip_nulls: a row with any NULL key gets ptrs[i] = NULL (joins: NULL never matches).
 * Returns how many rows had a NULL key. */
uint32_t exec_keys_encode(exec_keys *k, const fl_batch *b, const uint32_t *cols, uint32_t ncols,
                          bool skip_nulls, const fl_htab *ht);
/* Appends the cells of one encoded key to out->cols[first .. first + ncols). */
void exec_keys_decode(const uint8_t *key, uint32_t len, fl_vec *cols, uint32_t ncols);
/* Room for n rows in ptrs, lens, hashes, ids and pos. */
void exec_keys_reserve(exec_keys *k, uint32_t n);
void exec_keys_free(exec_keys *k);
size_t exec_keys_bytes(const exec_keys *k);

/* ---- columns (exec_key.c) ---- */
/* Appends src[rows[i]] to dst; rows[i] == UINT32_MAX appends NULL. */
void exec_vec_gather(fl_vec *dst, const fl_vec *src, const uint32_t *rows, uint32_t n);
/* Appends every row of src to dst (same column types): values copied a column at a
 * time (memcpy for fixed width and string bytes), faster than fl_batch_append_range's
 * cell by cell. */
void exec_batch_append(fl_batch *dst, const fl_batch *src);
/* exec_scan.c: a top-N directly over a table scan tells it the worst row it keeps: the
 * scan skips row groups whose statistics show no value of column col (a number, date or
 * time) at or past v (>= v when desc, <= v otherwise; NULLs, which sort last, never
 * enter a full heap). False if op is not a table scan. */
bool exec_scan_set_topn_bound(fl_op *op, uint32_t col, bool desc, const fl_value *v);
/* exec_parallel.c: the same for a parallel plan's scan part (a worker's copy): the bound
 * holds for its current morsel's iterator and every one it opens after. False if op is
 * not a scan part. */
bool exec_part_set_topn_bound(fl_op *op, uint32_t col, bool desc, const fl_value *v);
/* exec_scan.c: the columns filter e reads, each once, into cols (room for max): false
 * when they cannot be known or are every column (fl_scan_set_filter_columns' input). */
bool exec_filter_columns(const struct fl_sql_expr *e, uint32_t *cols, uint32_t *n, uint32_t max);
/* Adds the WHERE to ev as one predicate per top-level AND conjunct (exec_scan.c). */
struct fl_sql_eval;
fl_code exec_add_where(struct fl_sql_eval *ev, const struct fl_sql_expr *filter, fl_err *err);
/* Bytes a batch's vectors hold (capacity). */
size_t exec_batch_bytes(const fl_batch *b);
/* -1, 0, 1 comparing a[i] with b[j] (same type, both valid): numbers by value, strings
 * and bytes by unsigned bytes (DuckDB's binary collation). */
int exec_cell_cmp(const fl_vec *a, uint32_t i, const fl_vec *b, uint32_t j);

/* avg() of integers or decimals from their exact sum and count, rounded as DuckDB does:
 * INT and DECIMAL(p <= 9) divide in double, BIGINT and wider decimals in long double
 * (its IntegerAverageOperation / ...Hugeint), the divisor being count * 10^scale. */
double exec_avg_exact(fl_i128 sum, int64_t count, fl_type arg);

/* ---- row order (exec_sort.c) ---- */
/* Compares row i of a with row j of b on keys (same schema): direction and NULLS
 * FIRST/LAST as given, two NULLs equal. */
int exec_row_cmp(const fl_sort_key *keys, uint32_t nkeys, const fl_batch *a, uint32_t i, const fl_batch *b,
                 uint32_t j);
/* Stable sort of the row numbers p[0..n) of b by keys; tmp holds n scratch entries. */
void exec_sort_perm(const fl_sort_key *keys, uint32_t nkeys, const fl_batch *b, uint32_t *p, uint32_t *tmp,
                    uint32_t n);

/* ---- memory (exec_key.c) ---- */
/* Moves ctx->mem_used from `was` to `now` bytes for one holder; updates mem_peak. */
void exec_mem_track(fl_exec_ctx *ctx, size_t *held, size_t now);
static inline bool exec_over_budget(const fl_exec_ctx *ctx) {
  const fl_exec_ctx *q = ctx->parent ? ctx->parent : ctx; /* a worker's: the whole query's use */
  return ctx->mem_budget && __atomic_load_n(&q->mem_used, __ATOMIC_RELAXED) > ctx->mem_budget;
}

/* ---- spill files (exec_spill.c) ----
 * A temporary file of batches (unlinked as soon as it is created, so nothing outlives
 * the process): write batches, rewind, read them back in order. Layout of a batch:
 *   u32 nrows, u32 ncols, then per column: validity (ceil(nrows/64) u64 words),
 *   fixed width: nrows values; byte types: nrows + 1 u32 offsets, then the bytes. */
typedef struct exec_spill {
  FILE *f;
  uint64_t batches;
  uint64_t bytes;
} exec_spill;
fl_code exec_spill_open(fl_exec_ctx *ctx, exec_spill *sp, fl_err *err);
fl_code exec_spill_write(exec_spill *sp, const fl_batch *b, fl_err *err);
fl_code exec_spill_rewind(exec_spill *sp, fl_err *err);
/* Reads the next batch into b (reset first); *got false at the end. */
fl_code exec_spill_read(exec_spill *sp, fl_batch *b, bool *got, fl_err *err);
void exec_spill_close(exec_spill *sp);
/* A source operator reading the batches of *sp from the start; it takes the file over
 * (*sp is zeroed; a file never opened gives no batches) and closes it when freed. */
fl_code exec_spill_source(fl_exec_ctx *ctx, const fl_field *fields, uint32_t ncols, exec_spill *sp,
                          fl_op **out, fl_err *err);

/* ---- parallel probes of one hash join build (exec_join.c) ----
 * exec_join_build drains join's right side into its table now (from the query's
 * thread, before the workers start); *spilled: it went to Grace partitions, and only
 * the join itself can finish (pull it). Otherwise exec_join_probe gives an operator
 * joining left (a copy of the join's left side: same column types) against that
 * table, one per worker; join must outlive the probes (free the probes first). */
fl_code exec_join_build(fl_op *join, bool *spilled, fl_err *err);
/* Gives back what join holds (table, rows, spill files) when it will never run: a
 * spilled shared build, before its query runs on one thread instead. */
void exec_join_release(fl_op *join);
fl_op *exec_join_probe(fl_exec_ctx *ctx, fl_op *join, fl_op *left, fl_err *err);

/* An aggregate's result type over an argument of type arg, as DuckDB types it (count:
 * BIGINT; sum of integers DECIMAL(38,0), of DECIMAL(p,s) DECIMAL(38,s), of floats DOUBLE;
 * avg DOUBLE; min/max the argument's type); false where it is not defined. The hash
 * aggregate and the window functions share it (exec_agg.c). */
bool fl_exec_agg_type(fl_agg_kind kind, fl_type arg, fl_type *out);

#endif
