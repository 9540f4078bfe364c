/* exec_agg.c: hash aggregate (GROUP BY) and DISTINCT (sql/exec.h).
 *
 * Data flow: each input batch's key columns are encoded as byte keys (exec_keys),
 * hashed and looked up in one core/htab pass, giving a dense group id per row; then
 * each aggregate updates its state arrays (indexed by group id) column at a time. The
 * first next() drains the child; output is groups in first-seen order, decoded back
 * from the stored keys, FL_EXEC_BATCH_ROWS at a time. One STRING key with few distinct
 * values (a join's dimension column) first looks in a small cache of its strings and
 * their groups (group_ids_cached), and touches the table only on a miss.
 *
 * States (per aggregate, arrays over groups): count (BIGINT counts), sum (fl_i128 for
 * integers and decimals, double for REAL/DOUBLE) with a has-value flag, min/max
 * (int64, fl_i128, double, or a string copy in the aggregate's arena), the distinct
 * pairs (group id, value) of count(DISTINCT) in a table of their own, and a HyperLogLog
 * sketch per group for approx_count_distinct.
 *
 * NULL rules (DuckDB's): count(x), sum, avg, min, max skip NULL arguments; over no
 * value sum/avg/min/max are NULL and counts 0; FILTER counts only rows whose filter is
 * TRUE (NULL is not TRUE). NULL keys form one group. No keys: exactly one row.
 *
 * Memory and spill: the table, the states and the arenas are charged to ctx->mem_used.
 * Once they pass ctx->mem_budget the operator stops creating groups: a row whose group
 * exists still updates it, a row of a new group is written to one of SPILL_PARTS spill
 * files chosen by its key's hash. Every row of a group therefore lands in one place
 * (memory, or one file). After the input, the groups in memory are emitted and freed,
 * then each file is aggregated by a new hash aggregate over it (hashing with another
 * seed, so its rows split again if they still do not fit), up to SPILL_DEPTH_MAX
 * levels; past that the query fails with FL_ELIMIT naming the budget.
 *
 *   INPUT ──(over budget)──► INPUT_SPILLING ──(child done)──► EMIT_MEMORY ──► EMIT_PARTS ──► DONE
 *     └──────────────────────(child done)──────────────────────┘ */
#include <math.h>
#include <string.h>

#include "core/decimal.h"
#include "sql/exec_int.h"

/* Spill partitions per level: 16 files split a too-large input 16 ways a level, and
 * 16 open files with a batch buffer each stay small (16 x 2,048 rows). */
enum { SPILL_PARTS = 16, SPILL_DEPTH_MAX = 4 };
/* HyperLogLog with 2^10 one-byte registers a group: standard error 1.04 / sqrt(1024)
 * = 3.25% (Flajolet et al. 2007), 1 KiB a group, with linear counting below 2.5 m.
 * A group starts sparse, as HLL++ does: the same 1 KiB holds a count and up to 126
 * distinct 64-bit hashes, marked by HLL_SPARSE in its last byte (a register never
 * reaches it), and becomes registers at the 127th; so up to 126 values count exactly
 * (two of 3 values shared a register and counted 1: DuckDB said 3). */
enum { HLL_P = 10, HLL_M = 1 << HLL_P, HLL_SPARSE = 0xff, HLL_SPARSE_MAX = (HLL_M - 16) / 8 };

typedef struct str_state {
  char *p;
  uint32_t len, cap;
} str_state;

typedef struct agg_col {
  fl_agg_spec spec;
  fl_type arg_type;
  fl_type out_type;
  int64_t *cnt;
  fl_i128 *isum;
  double *dsum;
  uint8_t *has;
  int64_t *mi64;
  fl_i128 *mi128;
  double *mf64;
  str_state *mstr;
  uint8_t **hll;
  fl_htab distinct; /* COUNT_DISTINCT: (group id, value) pairs */
  exec_keys dkeys;
  uint8_t *scratch;
  size_t scratch_cap;
  fl_arena arena; /* string copies and sketches */
} agg_col;

typedef enum agg_state { ST_INPUT, ST_EMIT_MEMORY, ST_EMIT_PARTS, ST_DONE } agg_state;

/* The group cache of one STRING key (group_ids_cached): STR_SLOTS direct-mapped slots,
 * each a string of at most STR_SLOT_MAX bytes (its first, middle and last 8 bytes, which
 * cover it) and its entry id. */
enum { STR_SLOTS = 64, STR_SLOT_MAX = 24 };
typedef struct str_slot {
  uint64_t w0, w1, wl; /* bytes [0, 8) (zero-padded below 8), [8, 16) when len > 16, [len - 8, len) */
  uint32_t len, id;    /* id FL_HTAB_NONE: empty */
} str_slot;

typedef struct agg_op {
  fl_op op;
  uint32_t *keys;
  uint32_t nkeys;
  agg_col *aggs;
  uint32_t naggs;
  bool distinct_only;
  unsigned depth;
  fl_htab ht;
  exec_keys k;
  /* run heads of a batch (group_ids): row, key, length, hash, entry */
  uint32_t *hrow, *hlen, *hid;
  const uint8_t **hkey;
  uint64_t *hhash;
  uint32_t hcap;
  uint32_t nruns;   /* runs of one group in this batch (hrow, hid), 0: not known (spilling) */
  str_slot *slots;  /* one STRING key: the group cache, NULL when not (or no longer) used */
  uint32_t null_id; /* that key's NULL group, or FL_HTAB_NONE */
  uint8_t *kbuf;    /* a missed key, encoded */
  uint32_t kbuf_cap;
  uint32_t ngroups, gcap;
  size_t held;
  agg_state state;
  bool spilling;
  exec_spill parts[SPILL_PARTS];
  fl_batch *part_buf[SPILL_PARTS];
  uint32_t *part_rows[SPILL_PARTS];
  uint32_t part_rows_cap;
  uint32_t next_group;
  uint32_t next_part;
  fl_op *sub; /* aggregate over the current spill partition */
  fl_batch *out;
  uint64_t spilled_rows;
} agg_op;

static bool is_int_kind(fl_type_kind k) { return k == FL_T_INT || k == FL_T_BIGINT || k == FL_T_BOOLEAN; }
static bool is_float_kind(fl_type_kind k) { return k == FL_T_FLOAT || k == FL_T_DOUBLE; }

static const char *arg_name(const agg_op *a, const agg_col *c) {
  return c->spec.arg >= 0 ? a->op.children[0]->fields[c->spec.arg].name : "*";
}

static const char *kind_name(fl_agg_kind k) {
  switch (k) {
    case FL_AGG_COUNT_STAR:
    case FL_AGG_COUNT: return "count";
    case FL_AGG_COUNT_DISTINCT: return "count_distinct";
    case FL_AGG_SUM: return "sum";
    case FL_AGG_AVG: return "avg";
    case FL_AGG_MIN: return "min";
    case FL_AGG_MAX: return "max";
    case FL_AGG_APPROX_COUNT_DISTINCT: return "approx_count_distinct";
  }
  return "?";
}

/* ---- result types ---- */

bool fl_exec_agg_type(fl_agg_kind kind, fl_type arg, fl_type *out) {
  fl_type bigint = {FL_T_BIGINT, 0, 0, 0}, dbl = {FL_T_DOUBLE, 0, 0, 0};
  switch (kind) {
    case FL_AGG_COUNT_STAR:
    case FL_AGG_COUNT:
    case FL_AGG_COUNT_DISTINCT:
    case FL_AGG_APPROX_COUNT_DISTINCT: *out = bigint; return true;
    case FL_AGG_SUM:
      if (is_int_kind(arg.kind))
        *out = (fl_type){FL_T_DECIMAL, 38, 0, 0};
      else if (arg.kind == FL_T_DECIMAL)
        *out = (fl_type){FL_T_DECIMAL, 38, arg.scale, 0};
      else if (is_float_kind(arg.kind))
        *out = dbl;
      else
        return false;
      return true;
    case FL_AGG_AVG:
      if (!is_int_kind(arg.kind) && arg.kind != FL_T_DECIMAL && !is_float_kind(arg.kind)) return false;
      *out = dbl;
      return true;
    case FL_AGG_MIN:
    case FL_AGG_MAX:
      if (arg.kind == FL_T_JSON) return false;
      *out = arg;
      return true;
  }
  return false;
}

static fl_code result_type(const fl_agg_spec *s, fl_type arg, fl_type *out, fl_err *err, const char *col) {
  if (fl_exec_agg_type(s->kind, arg, out)) return FL_OK;
  return fl_err_set(err, FL_ETYPE, "%s(%s): no %s over %s", kind_name(s->kind), col, kind_name(s->kind),
                    fl_type_sql_name(arg.kind));
}

/* ---- state arrays ---- */

#define GROW(arr, n)                                             \
  do {                                                           \
    if (arr) {                                                   \
      arr = fl_realloc(arr, (size_t)(n) * sizeof *(arr));        \
      memset((arr) + old, 0, (size_t)((n)-old) * sizeof *(arr)); \
    }                                                            \
  } while (0)

static void grow_states(agg_op *a, uint32_t need) {
  if (need <= a->gcap) return;
  uint32_t old = a->gcap, n = a->gcap ? a->gcap : 64;
  while (n < need) n *= 2;
  for (uint32_t i = 0; i < a->naggs; i++) {
    agg_col *c = &a->aggs[i];
    GROW(c->cnt, n);
    GROW(c->isum, n);
    GROW(c->dsum, n);
    GROW(c->has, n);
    GROW(c->mi64, n);
    GROW(c->mi128, n);
    GROW(c->mf64, n);
    GROW(c->mstr, n);
    GROW(c->hll, n);
  }
  a->gcap = n;
}

static void alloc_states(agg_col *c) {
  /* One element so GROW sees a non-NULL array; grow_states sizes it. */
  switch (c->spec.kind) {
    case FL_AGG_COUNT_STAR:
    case FL_AGG_COUNT:
    case FL_AGG_COUNT_DISTINCT: c->cnt = fl_calloc(1, sizeof *c->cnt); break;
    case FL_AGG_APPROX_COUNT_DISTINCT: c->hll = fl_calloc(1, sizeof *c->hll); break;
    case FL_AGG_SUM:
    case FL_AGG_AVG: /* a group has a sum once its count is not 0 */
      c->cnt = fl_calloc(1, sizeof *c->cnt);
      if (is_float_kind(c->arg_type.kind))
        c->dsum = fl_calloc(1, sizeof *c->dsum);
      else
        c->isum = fl_calloc(1, sizeof *c->isum);
      break;
    case FL_AGG_MIN:
    case FL_AGG_MAX:
      c->has = fl_calloc(1, 1);
      if (fl_type_is_bytes(c->arg_type.kind))
        c->mstr = fl_calloc(1, sizeof *c->mstr);
      else if (c->arg_type.kind == FL_T_DECIMAL)
        c->mi128 = fl_calloc(1, sizeof *c->mi128);
      else if (is_float_kind(c->arg_type.kind))
        c->mf64 = fl_calloc(1, sizeof *c->mf64);
      else
        c->mi64 = fl_calloc(1, sizeof *c->mi64);
      break;
  }
}

static size_t state_bytes(const agg_op *a) {
  size_t per = 0, extra = 0;
  for (uint32_t i = 0; i < a->naggs; i++) {
    const agg_col *c = &a->aggs[i];
    per += (c->cnt ? 8 : 0) + (c->isum ? 16 : 0) + (c->dsum ? 8 : 0) + (c->has ? 1 : 0) + (c->mi64 ? 8 : 0) +
           (c->mi128 ? 16 : 0) + (c->mf64 ? 8 : 0) + (c->mstr ? sizeof(str_state) : 0) + (c->hll ? 8 : 0);
    extra += c->arena.bytes_used + fl_htab_bytes(&c->distinct) + c->scratch_cap;
  }
  return (size_t)a->gcap * per + extra;
}

static void track(agg_op *a) {
  exec_mem_track(a->op.ctx, &a->held, fl_htab_bytes(&a->ht) + state_bytes(a) + exec_keys_bytes(&a->k));
}

/* ---- updates: one aggregate over one batch; ids[i] = group of row i or NONE ---- */

static inline bool row_counts(const fl_vec *filter, const fl_vec *arg, uint32_t i) {
  if (filter && !(fl_vec_is_valid(filter, i) && filter->data.b[i])) return false;
  return !arg || fl_vec_is_valid(arg, i);
}

static inline double num_f64(const fl_vec *v, uint32_t i) {
  return v->type.kind == FL_T_FLOAT ? (double)v->data.f32[i] : v->data.f64[i];
}
static inline int64_t num_i64(const fl_vec *v, uint32_t i) {
  switch (v->type.kind) {
    case FL_T_BOOLEAN: return v->data.b[i];
    case FL_T_INT:
    case FL_T_DATE: return v->data.i32[i];
    default: return v->data.i64[i];
  }
}

/* DuckDB orders NaN above every number: max(NaN, x) = NaN, min skips it. */
static inline bool f64_less(double x, double y) {
  if (isnan(x)) return false;
  if (isnan(y)) return true;
  return x < y;
}

static void set_str(agg_col *c, uint32_t g, const char *p, uint32_t n) {
  str_state *s = &c->mstr[g];
  if (n > s->cap) {
    s->cap = n < 16 ? 16 : n;
    s->p = fl_arena_alloc(&c->arena, s->cap);
  }
  if (n) memcpy(s->p, p, n);
  s->len = n;
}

/* Byte order (memcmp's), then length: 8 bytes at a time as big-endian words, inline
 * (min / max compare every row with the best so far; a memcmp call per row cost more
 * than the compare). An empty string's state may have no buffer (NULL): n = 0 reads
 * nothing. */
static inline int str_cmp(const char *a, uint32_t la, const char *b, uint32_t lb) {
  uint32_t n = la < lb ? la : lb, j = 0;
  for (; j + 8 <= n; j += 8) {
    uint64_t x, y;
    memcpy(&x, a + j, 8);
    memcpy(&y, b + j, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  }
  for (; j < n; j++)
    if (a[j] != b[j]) return (uint8_t)a[j] < (uint8_t)b[j] ? -1 : 1;
  return (la > lb) - (la < lb);
}

static void hll_register(uint8_t *reg, uint64_t h) {
  uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
  uint64_t w = h << HLL_P;
  uint8_t rank = w ? (uint8_t)(__builtin_clzll(w) + 1) : (uint8_t)(64 - HLL_P + 1);
  if (rank > reg[idx]) reg[idx] = rank;
}

static void hll_add(agg_col *c, uint32_t g, uint64_t h) {
  uint8_t *reg = c->hll[g];
  if (!reg) {
    reg = c->hll[g] = fl_arena_calloc(&c->arena, HLL_M, 1);
    reg[HLL_M - 1] = HLL_SPARSE;
  }
  if (reg[HLL_M - 1] == HLL_SPARSE) { /* count at 0, hashes from 8 */
    uint32_t n;
    memcpy(&n, reg, 4);
    for (uint32_t i = 0; i < n; i++) {
      uint64_t k;
      memcpy(&k, reg + 8 + (size_t)i * 8, 8);
      if (k == h) return;
    }
    if (n < HLL_SPARSE_MAX) {
      memcpy(reg + 8 + (size_t)n * 8, &h, 8);
      n++;
      memcpy(reg, &n, 4);
      return;
    }
    uint64_t kept[HLL_SPARSE_MAX];
    memcpy(kept, reg + 8, sizeof kept);
    memset(reg, 0, HLL_M);
    for (uint32_t i = 0; i < n; i++) hll_register(reg, kept[i]);
  }
  hll_register(reg, h);
}

static int64_t hll_estimate(const uint8_t *reg) {
  if (!reg) return 0;
  if (reg[HLL_M - 1] == HLL_SPARSE) {
    uint32_t n;
    memcpy(&n, reg, 4);
    return n;
  }
  double sum = 0;
  uint32_t zeros = 0;
  for (uint32_t i = 0; i < HLL_M; i++) {
    sum += ldexp(1.0, -reg[i]);
    zeros += reg[i] == 0;
  }
  double m = HLL_M, alpha = 0.7213 / (1 + 1.079 / m);
  double e = alpha * m * m / sum;
  if (e <= 2.5 * m && zeros) e = m * log(m / zeros);
  return (int64_t)llround(e);
}

/* min / max without GROUP BY or FILTER: the batch's best value in a register (a
 * string's best is a pointer into the batch, copied into the state once a batch), then
 * merged into group 0. */
static fl_code update_minmax_one(agg_col *c, const fl_vec *arg, uint32_t n, bool mx) {
  if (c->mstr) {
    const char *best = NULL;
    uint32_t best_len = 0;
    bool have = false;
    for (uint32_t i = 0; i < n; i++) {
      if (!fl_vec_is_valid(arg, i)) continue;
      uint32_t len;
      const char *p = fl_vec_str(arg, i, &len);
      int r = have ? str_cmp(p, len, best, best_len) : 0;
      if (!have || (mx ? r > 0 : r < 0)) best = p, best_len = len, have = true;
    }
    if (!have) return FL_OK;
    int r = c->has[0] ? str_cmp(best, best_len, c->mstr[0].p, c->mstr[0].len) : 0;
    if (!c->has[0] || (mx ? r > 0 : r < 0)) set_str(c, 0, best, best_len);
    c->has[0] = 1;
    return FL_OK;
  }
  const int64_t *x = arg->data.i64; /* BIGINT, TIMESTAMP, TIME, DECIMAL(<= 18) */
  int64_t best = mx ? INT64_MIN : INT64_MAX;
  bool have = false;
  for (uint32_t i = 0; i < n; i++) {
    if (!fl_vec_is_valid(arg, i)) continue;
    int64_t v = x[i];
    best = mx ? (v > best ? v : best) : (v < best ? v : best);
    have = true;
  }
  if (!have) return FL_OK;
  if (!c->has[0] || (mx ? best > c->mi64[0] : best < c->mi64[0])) c->mi64[0] = best;
  c->has[0] = 1;
  return FL_OK;
}

/* count(DISTINCT x): the batch's (group id, value) keys are made in one buffer, hashed
 * and upserted together (fl_htab_upsert_many prefetches the slots: with many distinct
 * values the table is far larger than the cache); entry ids are dense in insertion
 * order, so a key seen for the first time is the one whose id is the next new id.
 * approx_count_distinct adds each value's hash to its group's sketch. */
static fl_code update_distinct(agg_op *a, agg_col *c, const fl_batch *b, const uint32_t *ids,
                               const fl_vec *filter, fl_err *err) {
  (void)err;
  (void)a;
  const fl_vec *arg = &b->cols[c->spec.arg];
  uint32_t col = (uint32_t)c->spec.arg;
  exec_keys *k = &c->dkeys;
  exec_keys_encode(k, b, &col, 1, true, c->spec.kind == FL_AGG_APPROX_COUNT_DISTINCT ? &c->distinct : NULL);
  uint32_t n = b->nrows;
  if (c->spec.kind == FL_AGG_APPROX_COUNT_DISTINCT) {
    for (uint32_t i = 0; i < n; i++)
      if (ids[i] != FL_HTAB_NONE && row_counts(filter, arg, i)) hll_add(c, ids[i], k->hashes[i]);
    return FL_OK;
  }
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++) total += (size_t)k->lens[i] + 4;
  if (total > c->scratch_cap) {
    c->scratch_cap = total * 2;
    c->scratch = fl_realloc(c->scratch, c->scratch_cap);
  }
  uint8_t *p = c->scratch;
  for (uint32_t i = 0; i < n; i++) { /* ptrs[i], lens[i] become the (group, value) key */
    uint32_t g = ids[i];
    if (g == FL_HTAB_NONE || !row_counts(filter, arg, i)) {
      k->ptrs[i] = NULL;
      continue;
    }
    memcpy(p, &g, 4);
    memcpy(p + 4, k->ptrs[i], k->lens[i]);
    k->ptrs[i] = p;
    k->lens[i] += 4;
    p += k->lens[i];
  }
  uint32_t next = fl_htab_count(&c->distinct);
  fl_htab_hash_many(&c->distinct, k->ptrs, k->lens, n, k->hashes);
  fl_htab_upsert_many(&c->distinct, k->ptrs, k->lens, k->hashes, n, k->ids);
  for (uint32_t i = 0; i < n; i++)
    if (k->ids[i] == next) { /* FL_HTAB_NONE never equals a count */
      c->cnt[ids[i]]++;
      next++;
    }
  return FL_OK;
}

/* Prefetches the state of the group PREFETCH_AHEAD rows on (states of many groups do
 * not fit the cache; the ids of the whole batch are known before the loop). Over at
 * most PREFETCH_GROUPS groups the states stay in the cache and npf is 0: no prefetch
 * (join_products' 8 groups: 4.7M of 30M instructions in the aggregate went to them). */
enum { PREFETCH_AHEAD = 8, PREFETCH_GROUPS = 4096 };
#define PREFETCH_STATE(arr)                                                \
  if (i + PREFETCH_AHEAD < npf && ids[i + PREFETCH_AHEAD] != FL_HTAB_NONE) \
  __builtin_prefetch(&(arr)[ids[i + PREFETCH_AHEAD]], 1)

static bool update_runs(agg_op *a, agg_col *c, const fl_batch *b);

static fl_code update(agg_op *a, agg_col *c, const fl_batch *b, const uint32_t *ids, fl_err *err) {
  if (update_runs(a, c, b)) return FL_OK;
  const fl_vec *filter = c->spec.filter >= 0 ? &b->cols[c->spec.filter] : NULL;
  const fl_vec *arg = c->spec.arg >= 0 ? &b->cols[c->spec.arg] : NULL;
  uint32_t n = b->nrows, npf = a->ngroups > PREFETCH_GROUPS ? n : 0;
  switch (c->spec.kind) {
    case FL_AGG_COUNT_STAR:
    case FL_AGG_COUNT:
      for (uint32_t i = 0; i < n; i++) {
        PREFETCH_STATE(c->cnt);
        if (ids[i] != FL_HTAB_NONE && row_counts(filter, arg, i)) c->cnt[ids[i]]++;
      }
      return FL_OK;
    case FL_AGG_COUNT_DISTINCT:
    case FL_AGG_APPROX_COUNT_DISTINCT: return update_distinct(a, c, b, ids, filter, err);
    case FL_AGG_SUM:
    case FL_AGG_AVG:
      if (c->dsum) {
        for (uint32_t i = 0; i < n; i++) {
          PREFETCH_STATE(c->dsum);
          PREFETCH_STATE(c->cnt);
          uint32_t g = ids[i];
          if (g == FL_HTAB_NONE || !row_counts(filter, arg, i)) continue;
          c->dsum[g] += num_f64(arg, i);
          c->cnt[g]++;
        }
      } else if (arg->type.kind == FL_T_DECIMAL && arg->type.precision <= FL_DECIMAL64_PRECISION_MAX) {
        /* DECIMAL(p <= 18, s), held in int64: |v| < 10^18, so 2^64 rows sum below
         * 1.9 * 10^37, inside DECIMAL(38, s): no check per row (fl_dec128_add's) */
        for (uint32_t i = 0; i < n; i++) {
          PREFETCH_STATE(c->isum);
          PREFETCH_STATE(c->cnt);
          uint32_t g = ids[i];
          if (g == FL_HTAB_NONE || !row_counts(filter, arg, i)) continue;
          c->isum[g] += arg->data.i64[i];
          c->cnt[g]++;
        }
      } else if (arg->type.kind == FL_T_DECIMAL) {
        for (uint32_t i = 0; i < n; i++) {
          uint32_t g = ids[i];
          if (g == FL_HTAB_NONE || !row_counts(filter, arg, i)) continue;
          /* avg (a DOUBLE) sums past 38 digits as DuckDB does, up to 128 bits */
          if (c->spec.kind == FL_AGG_AVG
                  ? __builtin_add_overflow(c->isum[g], fl_vec_dec(arg, i), &c->isum[g])
                  : !fl_dec128_add(c->isum[g], fl_vec_dec(arg, i), FL_DECIMAL_PRECISION_MAX, &c->isum[g]))
            return c->spec.kind == FL_AGG_AVG
                       ? fl_err_set(err, FL_ELIMIT, "avg(%s): the sum overflows 128 bits", arg_name(a, c))
                       : fl_err_set(err, FL_ELIMIT, "%s(%s): the sum overflows DECIMAL(38,%u)",
                                    kind_name(c->spec.kind), arg_name(a, c), (unsigned)arg->type.scale);
          c->cnt[g]++;
        }
      } else {
        /* |int64| < 2^63: 2^64 rows cannot leave 10^38 > 2^126, so no check per row. */
        for (uint32_t i = 0; i < n; i++) {
          PREFETCH_STATE(c->isum);
          PREFETCH_STATE(c->cnt);
          uint32_t g = ids[i];
          if (g == FL_HTAB_NONE || !row_counts(filter, arg, i)) continue;
          c->isum[g] += num_i64(arg, i);
          c->cnt[g]++;
        }
      }
      return FL_OK;
    case FL_AGG_MIN:
    case FL_AGG_MAX: {
      bool mx = c->spec.kind == FL_AGG_MAX;
      if (!a->nkeys && !filter && (c->mstr || (c->mi64 && fl_type_bytes(arg->type) == 8)))
        return update_minmax_one(c, arg, n, mx);
      if (c->mi64 && fl_type_bytes(arg->type) == 8) {
        /* BIGINT, TIMESTAMP, TIME: one loop without the per-row type tests */
        const int64_t *x = arg->data.i64;
        for (uint32_t i = 0; i < n; i++) {
          uint32_t g = ids[i];
          if (g == FL_HTAB_NONE || !row_counts(filter, arg, i)) continue;
          int64_t v = x[i];
          if (!c->has[g] || (mx ? v > c->mi64[g] : v < c->mi64[g])) c->mi64[g] = v;
          c->has[g] = 1;
        }
        return FL_OK;
      }
      for (uint32_t i = 0; i < n; i++) {
        uint32_t g = ids[i];
        if (g == FL_HTAB_NONE || !row_counts(filter, arg, i)) continue;
        if (c->mstr) {
          uint32_t len;
          const char *p = fl_vec_str(arg, i, &len);
          int r = c->has[g] ? str_cmp(p, len, c->mstr[g].p, c->mstr[g].len) : 0;
          if (!c->has[g] || (mx ? r > 0 : r < 0)) set_str(c, g, p, len);
        } else if (c->mi128) {
          fl_i128 v = fl_vec_dec(arg, i);
          if (!c->has[g] || (mx ? v > c->mi128[g] : v < c->mi128[g])) c->mi128[g] = v;
        } else if (c->mf64) {
          double v = num_f64(arg, i);
          if (!c->has[g] || (mx ? f64_less(c->mf64[g], v) : f64_less(v, c->mf64[g]))) c->mf64[g] = v;
        } else {
          int64_t v = num_i64(arg, i);
          if (!c->has[g] || (mx ? v > c->mi64[g] : v < c->mi64[g])) c->mi64[g] = v;
        }
        c->has[g] = 1;
      }
      return FL_OK;
    }
  }
  return FL_OK;
}

/* ---- spill ---- */

static fl_code spill_rows(agg_op *a, const fl_batch *b, fl_err *err) {
  fl_op *child = a->op.children[0];
  uint32_t cnt[SPILL_PARTS] = {0};
  if (b->nrows > a->part_rows_cap) {
    /* a spill file's batches may hold up to 2 x FL_EXEC_BATCH_ROWS rows */
    for (uint32_t p = 0; p < SPILL_PARTS; p++) {
      fl_free(a->part_rows[p]);
      a->part_rows[p] = NULL;
    }
    a->part_rows_cap = b->nrows;
  }
  for (uint32_t i = 0; i < b->nrows; i++) {
    if (a->k.ids[i] != FL_HTAB_NONE) continue;
    uint32_t p = (uint32_t)(a->k.hashes[i] >> 60);
    if (!a->part_rows[p]) a->part_rows[p] = fl_malloc(a->part_rows_cap * sizeof(uint32_t));
    a->part_rows[p][cnt[p]++] = i;
  }
  for (uint32_t p = 0; p < SPILL_PARTS; p++) {
    if (!cnt[p]) continue;
    if (!a->parts[p].f) {
      fl_code rc = exec_spill_open(a->op.ctx, &a->parts[p], err);
      if (rc) return fl_err_prefix(err, "hash aggregate over budget %zu bytes: ", a->op.ctx->mem_budget);
      a->part_buf[p] = fl_batch_new(child->fields, child->ncols, FL_EXEC_BATCH_ROWS);
    }
    fl_batch *pb = a->part_buf[p];
    for (uint32_t c = 0; c < b->ncols; c++)
      exec_vec_gather(&pb->cols[c], &b->cols[c], a->part_rows[p], cnt[p]);
    pb->nrows += cnt[p];
    a->spilled_rows += cnt[p];
    if (pb->nrows >= FL_EXEC_BATCH_ROWS) {
      fl_code rc = exec_spill_write(&a->parts[p], pb, err);
      if (rc) return rc;
      fl_batch_reset(pb);
    }
  }
  return FL_OK;
}

static fl_op *agg_new(fl_exec_ctx *ctx, fl_op *child, const uint32_t *keys, uint32_t nkeys,
                      const fl_agg_spec *aggs, uint32_t naggs, bool distinct_only, unsigned depth,
                      fl_err *err);

/* ---- next ---- */

static inline bool key_eq(const uint8_t *x, uint32_t lx, const uint8_t *y, uint32_t ly) {
  if (lx != ly) return false;
  uint32_t j = 0;
  for (; j + 8 <= lx; j += 8) {
    uint64_t u, v;
    memcpy(&u, x + j, 8);
    memcpy(&v, y + j, 8);
    if (u != v) return false;
  }
  for (; j < lx; j++)
    if (x[j] != y[j]) return false;
  return true;
}

/* Room for the run heads of a batch of n rows. */
static void reserve_heads(agg_op *a, uint32_t n) {
  if (n <= a->hcap) return;
  a->hcap = n;
  a->hrow = fl_realloc(a->hrow, n * sizeof *a->hrow);
  a->hlen = fl_realloc(a->hlen, n * sizeof *a->hlen);
  a->hid = fl_realloc(a->hid, n * sizeof *a->hid);
  a->hkey = fl_realloc(a->hkey, n * sizeof *a->hkey);
  a->hhash = fl_realloc(a->hhash, n * sizeof *a->hhash);
}

/* The entry of each row's group (a->k.ids), inserting new groups. A row whose key
 * equals the previous row's takes its entry: tables partitioned or sorted by what
 * they are grouped by (a tenant's files, a day's) hand the aggregate long runs of one
 * key, and only the first row of a run is hashed and looked up; those heads go through
 * the table in one prefetching pass (fl_htab_upsert_many). bench/queries.tsv over 1M
 * rows, 1 thread, callgrind: group_tenant 646.8M -> 560.3M instructions, hourly_tenant
 * 953.3M -> 826.8M; without runs (a join's output) the compare costs ~8 a row. */
static void group_ids(agg_op *a, const fl_batch *b) {
  exec_keys *k = &a->k;
  uint32_t n = b->nrows, nh = 0;
  exec_keys_encode(k, b, a->keys, a->nkeys, false, NULL); /* no hashes: the heads' only */
  reserve_heads(a, n);
  for (uint32_t i = 0; i < n; i++)
    if (i == 0 || !key_eq(k->ptrs[i], k->lens[i], k->ptrs[i - 1], k->lens[i - 1])) {
      a->hrow[nh] = i;
      a->hkey[nh] = k->ptrs[i];
      a->hlen[nh++] = k->lens[i];
    }
  fl_htab_hash_many(&a->ht, a->hkey, a->hlen, nh, a->hhash);
  fl_htab_upsert_many(&a->ht, a->hkey, a->hlen, a->hhash, nh, a->hid);
  for (uint32_t h = 0; h < nh; h++) {
    uint32_t end = h + 1 < nh ? a->hrow[h + 1] : n, id = a->hid[h];
    for (uint32_t i = a->hrow[h]; i < end; i++) k->ids[i] = id;
  }
  a->nruns = nh;
}

/* The runs of one group in ids[0..n) (hrow, hid), as group_ids finds them. */
static void runs_of_ids(agg_op *a, const uint32_t *ids, uint32_t n) {
  uint32_t nh = 0;
  for (uint32_t i = 0; i < n; i++)
    if (i == 0 || ids[i] != ids[i - 1]) {
      a->hrow[nh] = i;
      a->hid[nh++] = ids[i];
    }
  a->nruns = nh;
}

/* The 8 bytes at p[0..len) zero-padded (len < 8), or the first 8. */
static inline uint64_t str_word0(const char *p, uint32_t len) {
  uint64_t w = 0;
  if (len >= 8) {
    memcpy(&w, p, 8);
  } else if (len >= 4) { /* two 4-byte loads, overlapping: the shared bytes OR as themselves */
    uint32_t lo, hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + len - 4, 4);
    w = lo | (uint64_t)hi << (8 * (len - 4));
  } else {
    for (uint32_t j = 0; j < len; j++) w |= (uint64_t)(uint8_t)p[j] << (8 * j);
  }
  return w;
}

/* A missed key: encoded as exec_keys encodes one STRING cell (1, length, bytes; a NULL
 * is the byte 0), hashed and upserted. */
static uint32_t upsert_str(agg_op *a, const char *p, uint32_t len, bool valid) {
  if (5 + len > a->kbuf_cap) {
    a->kbuf_cap = 5 + len < 64 ? 64 : 2 * (5 + len);
    a->kbuf = fl_realloc(a->kbuf, a->kbuf_cap);
  }
  uint32_t klen = 1;
  a->kbuf[0] = valid;
  if (valid) {
    memcpy(a->kbuf + 1, &len, 4);
    if (len) memcpy(a->kbuf + 5, p, len);
    klen = 5 + len;
  }
  bool inserted;
  return fl_htab_upsert(&a->ht, fl_htab_hash(&a->ht, a->kbuf, klen), a->kbuf, klen, &inserted);
}

/* group_ids for one STRING key through the group cache: a row whose string is in its
 * slot (picked by its length and first and last 8 bytes) takes the slot's entry, no
 * encoding, hashing or probing; another is upserted alone and takes the slot. Groups
 * are inserted in first-seen order, as group_ids inserts them. A key with few distinct
 * values (a join's dimension column: bench/queries.tsv join_products groups 1M joined
 * rows by 8 categories) hits nearly always; when a batch misses on more than 1 row in
 * 8, the key has too many values and the aggregate goes back to group_ids for good. */
static void group_ids_cached(agg_op *a, const fl_batch *b) {
  FL_ASSERT(a->nkeys == 1 && a->slots);
  const fl_vec *v = &b->cols[a->keys[0]];
  uint32_t n = b->nrows, misses = 0;
  exec_keys_reserve(&a->k, n);
  uint32_t *ids = a->k.ids;
  str_slot *slots = a->slots;
  for (uint32_t i = 0; i < n; i++) {
    if (!fl_vec_is_valid(v, i)) {
      if (a->null_id == FL_HTAB_NONE) a->null_id = upsert_str(a, NULL, 0, false), misses++;
      ids[i] = a->null_id;
      continue;
    }
    uint32_t at = v->offsets[i], len = v->offsets[i + 1] - at;
    const char *p = v->bytes + at;
    uint64_t w0 = str_word0(p, len), w1 = 0, wl = 0;
    if (len >= 8) memcpy(&wl, p + len - 8, 8);
    if (len > 16) memcpy(&w1, p + 8, 8);
    uint64_t h = (w0 ^ (wl * 0x9E3779B97F4A7C15ull) ^ len) * 0xC2B2AE3D27D4EB4Full;
    str_slot *s = &slots[h >> 58]; /* STR_SLOTS = 64 */
    if (s->id != FL_HTAB_NONE && s->len == len && s->w0 == w0 && s->wl == wl && s->w1 == w1) {
      ids[i] = s->id;
      continue;
    }
    misses++;
    ids[i] = upsert_str(a, p, len, true);
    if (len <= STR_SLOT_MAX) *s = (str_slot){w0, w1, wl, len, ids[i]};
  }
  if (misses > n / 8 + 16) {
    fl_free(a->slots);
    a->slots = NULL;
  }
}

/* count, count(*) and sum of BIGINT / INT / DECIMAL(<= 18) without FILTER, a run of
 * one group at a time (group_ids' runs; the whole batch without GROUP BY): the run's
 * total in a register, added to its group once. false: not a case it takes. */
static bool update_runs(agg_op *a, agg_col *c, const fl_batch *b) {
  const fl_vec *arg = c->spec.arg >= 0 ? &b->cols[c->spec.arg] : NULL;
  fl_agg_kind kind = c->spec.kind;
  bool sum = kind == FL_AGG_SUM || kind == FL_AGG_AVG;
  /* runs shorter than 2 rows on average (a join's output): the row loops of update,
   * which prefetch, cost less than a run's setup (join_products: 72 -> ~25 a row) */
  if (c->spec.filter >= 0 || !a->nruns || (a->nkeys && a->nruns > b->nrows / 2)) return false;
  if (kind != FL_AGG_COUNT_STAR && kind != FL_AGG_COUNT && !sum) return false;
  if (sum &&
      (c->dsum || !(arg->type.kind == FL_T_BIGINT || arg->type.kind == FL_T_INT ||
                    (arg->type.kind == FL_T_DECIMAL && arg->type.precision <= FL_DECIMAL64_PRECISION_MAX))))
    return false;
  uint32_t n = b->nrows;
  for (uint32_t h = 0; h < a->nruns; h++) {
    uint32_t from = a->hrow[h], to = h + 1 < a->nruns ? a->hrow[h + 1] : n, g = a->hid[h];
    if (kind == FL_AGG_COUNT_STAR) {
      c->cnt[g] += to - from;
      continue;
    }
    int64_t cnt = 0;
    __int128 total = 0; /* 2^31 rows of |x| < 2^63 fit */
    if (arg->type.kind == FL_T_INT) {
      for (uint32_t i = from; i < to; i++)
        if (fl_vec_is_valid(arg, i)) cnt++, total += arg->data.i32[i];
    } else if (sum) {
      for (uint32_t i = from; i < to; i++)
        if (fl_vec_is_valid(arg, i)) cnt++, total += arg->data.i64[i];
    } else {
      for (uint32_t i = from; i < to; i++) cnt += fl_vec_is_valid(arg, i);
    }
    c->cnt[g] += cnt;
    if (sum) c->isum[g] += total;
  }
  return true;
}

static fl_code consume(agg_op *a, fl_err *err) {
  fl_op *child = a->op.children[0];
  for (;;) {
    const fl_batch *b;
    fl_code rc = fl_op_next(child, &b, err);
    if (rc) return rc;
    if (!b) break;
    uint32_t *ids;
    if (a->nkeys) {
      if (!a->spilling && a->slots) {
        group_ids_cached(a, b);
        reserve_heads(a, b->nrows);
        ids = a->k.ids;
        runs_of_ids(a, ids, b->nrows);
      } else if (!a->spilling) {
        group_ids(a, b);
        ids = a->k.ids; /* after the encoding: it may have grown */
      } else {
        a->nruns = 0;
        exec_keys_encode(&a->k, b, a->keys, a->nkeys, false, &a->ht);
        ids = a->k.ids;
        fl_htab_find_many(&a->ht, a->k.ptrs, a->k.lens, a->k.hashes, b->nrows, ids);
        rc = spill_rows(a, b, err);
        if (rc) return rc;
      }
      a->ngroups = fl_htab_count(&a->ht);
    } else {
      if (a->k.cap < b->nrows) {
        a->k.cap = FL_EXEC_BATCH_ROWS > b->nrows ? FL_EXEC_BATCH_ROWS : b->nrows;
        a->k.ids = fl_realloc(a->k.ids, a->k.cap * sizeof *a->k.ids);
      }
      ids = a->k.ids;
      memset(ids, 0, b->nrows * sizeof *ids);
      if (!a->hcap) { /* one run: the batch */
        a->hcap = 1;
        a->hrow = fl_calloc(1, sizeof *a->hrow);
        a->hid = fl_calloc(1, sizeof *a->hid);
      }
      a->nruns = b->nrows ? 1 : 0;
    }
    grow_states(a, a->ngroups);
    for (uint32_t i = 0; i < a->naggs; i++) {
      rc = update(a, &a->aggs[i], b, ids, err);
      if (rc) return rc;
    }
    track(a);
    if (a->nkeys && !a->spilling && exec_over_budget(a->op.ctx)) {
      if (a->depth >= SPILL_DEPTH_MAX)
        return fl_err_set(
            err, FL_ELIMIT,
            "hash aggregate: %u groups do not fit the memory budget of %zu bytes after %u levels "
            "of spill partitioning",
            a->ngroups, a->op.ctx->mem_budget, a->depth);
      a->spilling = true;
    }
  }
  for (uint32_t p = 0; p < SPILL_PARTS; p++) {
    if (a->part_buf[p] && a->part_buf[p]->nrows) {
      fl_code rc = exec_spill_write(&a->parts[p], a->part_buf[p], err);
      if (rc) return rc;
    }
  }
  return FL_OK;
}

static void emit_group(agg_op *a, uint32_t g) {
  fl_batch *out = a->out;
  if (a->nkeys) {
    uint32_t len;
    const uint8_t *key = fl_htab_key(&a->ht, g, &len);
    exec_keys_decode(key, len, out->cols, a->nkeys);
  }
  for (uint32_t i = 0; i < a->naggs; i++) {
    agg_col *c = &a->aggs[i];
    fl_vec *v = &out->cols[a->nkeys + i];
    switch (c->spec.kind) {
      case FL_AGG_COUNT_STAR:
      case FL_AGG_COUNT:
      case FL_AGG_COUNT_DISTINCT: fl_vec_append_i64(v, c->cnt[g]); break;
      case FL_AGG_APPROX_COUNT_DISTINCT: fl_vec_append_i64(v, hll_estimate(c->hll[g])); break;
      case FL_AGG_SUM:
        if (!c->cnt[g])
          fl_vec_append_null(v);
        else if (c->dsum)
          fl_vec_append_f64(v, c->dsum[g]);
        else
          fl_vec_append_dec(v, c->isum[g]);
        break;
      case FL_AGG_AVG:
        if (!c->cnt[g]) {
          fl_vec_append_null(v);
        } else if (c->dsum) {
          fl_vec_append_f64(v, c->dsum[g] / (double)c->cnt[g]);
        } else {
          fl_vec_append_f64(v, exec_avg_exact(c->isum[g], c->cnt[g], c->arg_type));
        }
        break;
      case FL_AGG_MIN:
      case FL_AGG_MAX:
        if (!c->has[g])
          fl_vec_append_null(v);
        else if (c->mstr)
          fl_vec_append_str(v, c->mstr[g].p, c->mstr[g].len);
        else if (c->mi128)
          fl_vec_append_dec(v, c->mi128[g]);
        else if (c->mf64) {
          if (c->arg_type.kind == FL_T_FLOAT)
            fl_vec_append_f32(v, (float)c->mf64[g]);
          else
            fl_vec_append_f64(v, c->mf64[g]);
        } else {
          switch (c->arg_type.kind) {
            case FL_T_BOOLEAN: fl_vec_append_bool(v, c->mi64[g] != 0); break;
            case FL_T_INT:
            case FL_T_DATE: fl_vec_append_i32(v, (int32_t)c->mi64[g]); break;
            default: fl_vec_append_i64(v, c->mi64[g]); break;
          }
        }
        break;
    }
  }
}

static void free_memory_groups(agg_op *a) {
  fl_free(a->slots); /* its ids are the table's */
  a->slots = NULL;
  a->null_id = FL_HTAB_NONE;
  fl_htab_free(&a->ht);
  fl_htab_init(&a->ht, 0, a->depth);
  for (uint32_t i = 0; i < a->naggs; i++) {
    agg_col *c = &a->aggs[i];
    fl_free(c->cnt);
    fl_free(c->isum);
    fl_free(c->dsum);
    fl_free(c->has);
    fl_free(c->mi64);
    fl_free(c->mi128);
    fl_free(c->mf64);
    fl_free(c->mstr);
    fl_free(c->hll);
    c->cnt = NULL;
    c->isum = NULL;
    c->dsum = NULL;
    c->has = NULL;
    c->mi64 = NULL;
    c->mi128 = NULL;
    c->mf64 = NULL;
    c->mstr = NULL;
    c->hll = NULL;
    fl_htab_free(&c->distinct);
    exec_keys_free(&c->dkeys);
    fl_free(c->scratch);
    c->scratch = NULL;
    c->scratch_cap = 0;
    fl_arena_destroy(&c->arena);
  }
  a->gcap = 0;
  exec_mem_track(a->op.ctx, &a->held, 0);
}

static fl_code agg_next(fl_op *op, const fl_batch **out, fl_err *err) {
  agg_op *a = (agg_op *)op;
  fl_code rc;
  if (a->state == ST_INPUT) {
    rc = consume(a, err);
    if (rc) return rc;
    a->state = ST_EMIT_MEMORY;
  }
  if (a->state == ST_EMIT_MEMORY) {
    fl_batch_reset(a->out);
    while (a->next_group < a->ngroups && a->out->nrows < FL_EXEC_BATCH_ROWS) {
      emit_group(a, a->next_group++);
      a->out->nrows++;
    }
    if (a->out->nrows) {
      fl_batch_set_rows(a->out, a->out->nrows);
      *out = a->out;
      return FL_OK;
    }
    free_memory_groups(a);
    a->state = ST_EMIT_PARTS;
  }
  while (a->state == ST_EMIT_PARTS) {
    if (a->sub) {
      rc = fl_op_next(a->sub, out, err);
      if (rc || *out) return rc;
      fl_op_free(a->sub);
      a->sub = NULL;
    }
    while (a->next_part < SPILL_PARTS && !a->parts[a->next_part].f) a->next_part++;
    if (a->next_part == SPILL_PARTS) {
      a->state = ST_DONE;
      break;
    }
    uint32_t p = a->next_part++;
    fl_op *child = op->children[0];
    fl_batch_free(a->part_buf[p]);
    a->part_buf[p] = NULL;
    fl_op *src;
    rc = exec_spill_source(op->ctx, child->fields, child->ncols, &a->parts[p], &src, err);
    if (rc) return rc;
    fl_agg_spec *specs = fl_arena_calloc(op->ctx->arena, a->naggs ? a->naggs : 1, sizeof *specs);
    for (uint32_t i = 0; i < a->naggs; i++) specs[i] = a->aggs[i].spec;
    a->sub = agg_new(op->ctx, src, a->keys, a->nkeys, specs, a->naggs, a->distinct_only, a->depth + 1, err);
    FL_ASSERT(a->sub, "re-aggregating a spill partition: %s", err ? err->msg : "");
  }
  *out = NULL;
  return FL_OK;
}

static void agg_explain(const fl_op *op, bool analyze, fl_buf *out) {
  const agg_op *a = (const agg_op *)op;
  const fl_op *child = op->children[0];
  if (a->distinct_only) return;
  fl_buf_printf(out, "keys=[");
  for (uint32_t i = 0; i < a->nkeys; i++)
    fl_buf_printf(out, "%s%s", i ? ", " : "", child->fields[a->keys[i]].name);
  fl_buf_printf(out, "] aggs=[");
  for (uint32_t i = 0; i < a->naggs; i++) {
    const agg_col *c = &a->aggs[i];
    fl_buf_printf(out, "%s%s(%s%s)", i ? ", " : "", kind_name(c->spec.kind),
                  c->spec.kind == FL_AGG_COUNT_DISTINCT ? "DISTINCT " : "", arg_name(a, c));
    if (c->spec.filter >= 0) fl_buf_printf(out, " FILTER %s", child->fields[c->spec.filter].name);
  }
  fl_buf_printf(out, "]");
  if (analyze && a->spilled_rows) fl_buf_printf(out, " spilled=%llu", (unsigned long long)a->spilled_rows);
}

static void agg_free(fl_op *op) {
  agg_op *a = (agg_op *)op;
  if (a->sub) fl_op_free(a->sub);
  a->sub = NULL;
  free_memory_groups(a);
  fl_htab_free(&a->ht);
  exec_keys_free(&a->k);
  fl_free(a->hrow);
  fl_free(a->hlen);
  fl_free(a->hid);
  fl_free(a->hkey);
  fl_free(a->hhash);
  fl_free(a->kbuf);
  a->kbuf = NULL;
  a->kbuf_cap = 0;
  a->hrow = a->hlen = a->hid = NULL;
  a->hkey = NULL;
  a->hhash = NULL;
  a->hcap = 0;
  for (uint32_t p = 0; p < SPILL_PARTS; p++) {
    exec_spill_close(&a->parts[p]);
    fl_batch_free(a->part_buf[p]);
    a->part_buf[p] = NULL;
    fl_free(a->part_rows[p]);
    a->part_rows[p] = NULL;
  }
  fl_batch_free(a->out);
  a->out = NULL;
}

static const fl_op_vtable agg_vt = {"HASH_AGGREGATE", agg_next, agg_explain, agg_free};
static const fl_op_vtable distinct_vt = {"DISTINCT", agg_next, agg_explain, agg_free};

static fl_op *agg_new(fl_exec_ctx *ctx, fl_op *child, const uint32_t *keys, uint32_t nkeys,
                      const fl_agg_spec *aggs, uint32_t naggs, bool distinct_only, unsigned depth,
                      fl_err *err) {
  for (uint32_t i = 0; i < nkeys; i++)
    if (keys[i] >= child->ncols) {
      fl_err_set(err, FL_EINVAL, "GROUP BY: column %u of %u", keys[i], child->ncols);
      return NULL;
    }
  uint32_t ncols = nkeys + naggs;
  fl_field *fields = fl_arena_calloc(ctx->arena, ncols ? ncols : 1, sizeof *fields);
  agg_col *cols = fl_arena_calloc(ctx->arena, naggs ? naggs : 1, sizeof *cols);
  for (uint32_t i = 0; i < nkeys; i++) {
    fields[i] = child->fields[keys[i]];
    fields[i].id = (int32_t)i + 1;
  }
  for (uint32_t i = 0; i < naggs; i++) {
    const fl_agg_spec *s = &aggs[i];
    agg_col *c = &cols[i];
    c->spec = *s;
    bool needs_arg = s->kind != FL_AGG_COUNT_STAR;
    if ((needs_arg && (s->arg < 0 || (uint32_t)s->arg >= child->ncols)) || (!needs_arg && s->arg >= 0)) {
      fl_err_set(err, FL_EINVAL, "aggregate %s: argument column %d of %u", s->name, s->arg, child->ncols);
      return NULL;
    }
    if (s->filter >= 0 &&
        ((uint32_t)s->filter >= child->ncols || child->fields[s->filter].type.kind != FL_T_BOOLEAN)) {
      fl_err_set(err, FL_ETYPE, "aggregate %s: FILTER column %d is not BOOLEAN", s->name, s->filter);
      return NULL;
    }
    c->arg_type = needs_arg ? child->fields[s->arg].type : (fl_type){FL_T_BIGINT, 0, 0, 0};
    if (result_type(s, c->arg_type, &c->out_type, err, needs_arg ? child->fields[s->arg].name : "*"))
      return NULL;
    fields[nkeys + i] =
        (fl_field){(int32_t)(nkeys + i + 1), s->name, c->out_type,
                   s->kind == FL_AGG_COUNT_STAR || s->kind == FL_AGG_COUNT ||
                       s->kind == FL_AGG_COUNT_DISTINCT || s->kind == FL_AGG_APPROX_COUNT_DISTINCT,
                   NULL};
    alloc_states(c);
    fl_arena_init(&c->arena, 64u << 10);
    fl_htab_init(&c->distinct, 0, 0);
  }
  agg_op *a =
      (agg_op *)fl_op_alloc(ctx, sizeof *a, distinct_only ? &distinct_vt : &agg_vt, fields, ncols, &child, 1);
  a->keys = fl_arena_calloc(ctx->arena, nkeys ? nkeys : 1, sizeof *keys);
  if (nkeys) memcpy(a->keys, keys, nkeys * sizeof *keys);
  a->nkeys = nkeys;
  a->aggs = cols;
  a->naggs = naggs;
  a->distinct_only = distinct_only;
  a->depth = depth;
  fl_htab_init(&a->ht, 0, depth);
  a->null_id = FL_HTAB_NONE;
  if (nkeys == 1 && child->fields[keys[0]].type.kind == FL_T_STRING) {
    a->slots = fl_malloc(STR_SLOTS * sizeof *a->slots);
    for (uint32_t i = 0; i < STR_SLOTS; i++) a->slots[i] = (str_slot){0, 0, 0, 0, FL_HTAB_NONE};
  }
  if (!nkeys) {
    a->ngroups = 1; /* one row, even over no input */
    grow_states(a, 1);
  }
  a->out = fl_batch_new(fields, ncols, FL_EXEC_BATCH_ROWS);
  track(a);
  return &a->op;
}

fl_op *fl_op_hash_aggregate(fl_exec_ctx *ctx, fl_op *child, const uint32_t *keys, uint32_t nkeys,
                            const fl_agg_spec *aggs, uint32_t naggs, fl_err *err) {
  return agg_new(ctx, child, keys, nkeys, aggs, naggs, false, 0, err);
}

fl_op *fl_op_distinct(fl_exec_ctx *ctx, fl_op *child, fl_err *err) {
  uint32_t *keys = fl_arena_alloc(ctx->arena, (child->ncols ? child->ncols : 1) * sizeof *keys);
  for (uint32_t i = 0; i < child->ncols; i++) keys[i] = i;
  return agg_new(ctx, child, keys, child->ncols, NULL, 0, true, 0, err);
}
