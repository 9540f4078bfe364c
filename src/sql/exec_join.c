/* exec_join.c: hash join (sql/exec.h): INNER, LEFT, SEMI, ANTI, ANTI_NULL_AWARE.
 *
 * Build: the first next() drains the right child into one batch (appended a batch at
 * a time); each right batch's keys are encoded (exec_keys), hashed and inserted into a
 * core/htab in one pass. The table maps a distinct key to an entry id; rows sharing a
 * key are chained through next[] (head/tail per entry, so a key's rows come out in
 * build order). Rows with a NULL key are not inserted (NULL never matches); the join
 * only remembers that one existed (NOT IN needs it).
 *
 * Dense keys: a join on one integer key (INT, BIGINT, DATE: an id, a dimension's key)
 * whose build keys span a small range (at most DENSE_SLACK x the distinct keys, and
 * DENSE_MAX) also gets an array dense[key - min] = entry id after the build, and each
 * left batch is looked up there: no key encoding, hashing or probing of the table
 * (bench/queries.tsv join_products over 1M rows, 1 thread, callgrind: 582M instructions
 * before, 462M after; the lookup is 14 a row, encode + hash + probe were 135). A left
 * key of another type than the build's takes the table, as do multi-column keys.
 *
 * Probe: each left batch is encoded and looked up in one pass (ids[]), then rows are
 * walked in order, emitting (left row, right row) pairs, gathered column at a time into
 * the output batch. A left row with many matches may fill the output: the walk keeps
 * its place (row and chain position) and the next call resumes there before pulling
 * the next left batch. An INNER join whose right keys are unique (no key chained a
 * second row: a dimension's id) walks without chains, a row and a lookup each. Output
 * columns the parent never reads (fl_op_join_skip_unused: query.c, for a projection
 * right above) are not gathered and stay empty.
 *
 *   BUILD ──► PROBE (left batch: walk rows ◄─┐ output full: return, resume) ──► DONE
 *
 * Kinds: LEFT emits a row with NULL right columns when nothing matched (a NULL key
 * included); SEMI emits a left row once if anything matches, ANTI if nothing does (a
 * NULL key matches nothing, so the row stays: NOT EXISTS); ANTI_NULL_AWARE is NOT IN:
 * every left row when right is empty, none when right has a NULL key, and otherwise
 * the non-NULL-key rows that match nothing.
 *
 * Memory and spill (a Grace hash join): the right side, its table and chains are
 * charged to ctx->mem_used. When they pass ctx->mem_budget during the build, the rows
 * read so far and every later right row are written to one of JOIN_PARTS spill files by
 * their key's hash (rows with a NULL key are dropped: they match nothing; the join only
 * notes one existed), and the table is freed. Then the left side is split the same way
 * (a left row with a NULL key goes to partition 0 for LEFT and ANTI, which still emit
 * it, and is dropped otherwise), and each pair of partition files is joined by a new
 * hash join whose table hashes with another seed, so a partition still too large
 * splits again, up to JOIN_DEPTH_MAX levels (then FL_ELIMIT naming the budget). NOT IN
 * needs the whole right side's NULLs: with one there is no output; without, each
 * partition is a plain ANTI join (left NULL keys dropped, as NOT IN drops them).
 *
 *   BUILD ──► PROBE ──► DONE
 *     └─(over budget)─► BUILD_SPILLING ──► SPLIT_LEFT ──► PARTS (a join a partition) ──► DONE */
#include <string.h>

#include "sql/exec_int.h"

/* Spill partitions a level (as the aggregate's: 16 files, a batch buffer each) and the
 * levels before giving up. */
enum { JOIN_PARTS = 16, JOIN_DEPTH_MAX = 4 };
/* Dense keys: the key range may be this many times the distinct keys (plus 1,024: a
 * small table's gaps cost nothing), and at most DENSE_MAX slots (64 MiB). */
enum { DENSE_SLACK = 4, DENSE_MAX = 1u << 24 };

typedef enum join_state { ST_BUILD, ST_PROBE, ST_PARTS, ST_DONE } join_state;

typedef struct join_op {
  fl_op op;
  fl_join_kind kind;
  uint32_t *lkeys, *rkeys;
  uint32_t nkeys;
  join_state state;
  fl_batch *rb; /* right rows */
  fl_htab ht;
  exec_keys k;
  uint32_t *head, *tail; /* per entry: first and last right row */
  uint32_t *next;        /* per right row: the next row of its key */
  uint32_t heads_cap, next_cap;
  bool right_null_key;
  bool chained;    /* some key has two right rows or more (a next[] link) */
  uint32_t *dense; /* [dense_n]: entry id of key dense_min + i, or FL_HTAB_NONE; NULL: not dense */
  uint32_t dense_n;
  int64_t dense_min;
  fl_type_kind dense_kind;
  /* probe position */
  const fl_batch *lb;
  uint32_t lrow;
  uint32_t chain; /* next right row of lrow's chain to emit, or UINT32_MAX: start lrow */
  uint32_t *lsel, *rsel;
  fl_batch *out;
  bool *skip; /* [ncols]: an output column nobody reads, not gathered (fl_op_join_skip_unused); NULL: none */
  size_t held;
  /* spill */
  unsigned depth;
  bool spilled;
  exec_spill rparts[JOIN_PARTS], lparts[JOIN_PARTS];
  fl_batch *rbuf[JOIN_PARTS], *lbuf[JOIN_PARTS];
  uint32_t *prows[JOIN_PARTS];
  uint32_t prows_cap;
  uint32_t next_part;
  fl_op *sub;
  uint64_t spilled_rows;
} join_op;

static fl_op *join_new(fl_exec_ctx *ctx, fl_join_kind kind, fl_op *left, fl_op *right, const uint32_t *lkeys,
                       const uint32_t *rkeys, uint32_t nkeys, unsigned depth, fl_err *err);

static size_t join_bytes(const join_op *j) {
  return (j->rb ? exec_batch_bytes(j->rb) : 0) + fl_htab_bytes(&j->ht) + exec_keys_bytes(&j->k) +
         ((size_t)j->heads_cap * 2 + j->next_cap + j->dense_n) * sizeof(uint32_t);
}

/* Writes the rows of b (keys encoded in j->k) to partition files: a row with a NULL key
 * goes to null_part (UINT32_MAX: dropped), another by its hash's top 4 bits. */
static fl_code split(join_op *j, const fl_batch *b, const fl_op *side, exec_spill *parts, fl_batch **bufs,
                     uint32_t null_part, fl_err *err) {
  if (b->nrows > j->prows_cap) {
    for (uint32_t p = 0; p < JOIN_PARTS; p++) {
      fl_free(j->prows[p]);
      j->prows[p] = fl_malloc(b->nrows * sizeof *j->prows[p]);
    }
    j->prows_cap = b->nrows;
  }
  uint32_t cnt[JOIN_PARTS] = {0};
  for (uint32_t i = 0; i < b->nrows; i++) {
    uint32_t p = j->k.ptrs[i] ? (uint32_t)(j->k.hashes[i] >> 60) : null_part;
    if (p != UINT32_MAX) j->prows[p][cnt[p]++] = i;
  }
  for (uint32_t p = 0; p < JOIN_PARTS; p++) {
    if (!cnt[p]) continue;
    if (!parts[p].f) {
      fl_code rc = exec_spill_open(j->op.ctx, &parts[p], err);
      if (rc) return fl_err_prefix(err, "hash join over budget %zu bytes: ", j->op.ctx->mem_budget);
      bufs[p] = fl_batch_new(side->fields, side->ncols, FL_EXEC_BATCH_ROWS);
    }
    fl_batch *pb = bufs[p];
    for (uint32_t c = 0; c < b->ncols; c++) exec_vec_gather(&pb->cols[c], &b->cols[c], j->prows[p], cnt[p]);
    pb->nrows += cnt[p];
    j->spilled_rows += cnt[p];
    if (pb->nrows >= FL_EXEC_BATCH_ROWS) {
      fl_code rc = exec_spill_write(&parts[p], pb, err);
      if (rc) return rc;
      fl_batch_reset(pb);
    }
  }
  return FL_OK;
}

static fl_code flush_parts(exec_spill *parts, fl_batch **bufs, fl_err *err) {
  for (uint32_t p = 0; p < JOIN_PARTS; p++) {
    if (bufs[p] && bufs[p]->nrows) {
      fl_code rc = exec_spill_write(&parts[p], bufs[p], err);
      if (rc) return rc;
      fl_batch_reset(bufs[p]);
    }
  }
  return FL_OK;
}

/* Over budget while building: the right rows so far go to the partition files and the
 * table is dropped; the rest of the build splits batch by batch. */
static fl_code spill_right(join_op *j, fl_err *err) {
  fl_op *right = j->op.children[1];
  exec_keys_encode(&j->k, j->rb, j->rkeys, j->nkeys, true, &j->ht);
  fl_code rc = split(j, j->rb, right, j->rparts, j->rbuf, UINT32_MAX, err);
  if (rc) return rc;
  fl_batch_free(j->rb);
  j->rb = fl_batch_new(right->fields, right->ncols, FL_EXEC_BATCH_ROWS);
  fl_htab_free(&j->ht);
  fl_htab_init(&j->ht, 0, j->depth);
  exec_keys_free(&j->k);
  fl_free(j->head);
  fl_free(j->tail);
  fl_free(j->next);
  j->head = j->tail = j->next = NULL;
  j->heads_cap = j->next_cap = 0;
  j->spilled = true;
  exec_mem_track(j->op.ctx, &j->held, join_bytes(j));
  return FL_OK;
}

static fl_code build(join_op *j, fl_err *err) {
  fl_op *right = j->op.children[1];
  for (;;) {
    const fl_batch *b;
    fl_code rc = fl_op_next(right, &b, err);
    if (rc) return rc;
    if (!b) break;
    if (j->spilled) {
      if (exec_keys_encode(&j->k, b, j->rkeys, j->nkeys, true, &j->ht)) j->right_null_key = true;
      rc = split(j, b, right, j->rparts, j->rbuf, UINT32_MAX, err);
      if (rc) return rc;
      continue;
    }
    uint32_t base = j->rb->nrows;
    FL_ASSERT((uint64_t)base + b->nrows < UINT32_MAX, "hash join build side over 4 Gi rows");
    exec_batch_append(j->rb, b);
    if (exec_keys_encode(&j->k, b, j->rkeys, j->nkeys, true, &j->ht)) j->right_null_key = true;
    fl_htab_upsert_many(&j->ht, j->k.ptrs, j->k.lens, j->k.hashes, b->nrows, j->k.ids);
    uint32_t count = fl_htab_count(&j->ht);
    if (count > j->heads_cap) {
      uint32_t cap = j->heads_cap ? j->heads_cap : 1024;
      while (cap < count) cap *= 2;
      j->head = fl_realloc(j->head, cap * sizeof *j->head);
      j->tail = fl_realloc(j->tail, cap * sizeof *j->tail);
      memset(j->head + j->heads_cap, 0xff, (cap - j->heads_cap) * sizeof *j->head);
      j->heads_cap = cap;
    }
    if (j->rb->nrows > j->next_cap) {
      uint32_t cap = j->next_cap ? j->next_cap : 1024;
      while (cap < j->rb->nrows) cap *= 2;
      j->next = fl_realloc(j->next, cap * sizeof *j->next);
      j->next_cap = cap;
    }
    for (uint32_t i = 0; i < b->nrows; i++) {
      uint32_t id = j->k.ids[i], row = base + i;
      if (id == FL_HTAB_NONE) continue;
      j->next[row] = UINT32_MAX;
      if (j->head[id] == UINT32_MAX) {
        j->head[id] = row;
      } else {
        j->next[j->tail[id]] = row;
        j->chained = true;
      }
      j->tail[id] = row;
    }
    exec_mem_track(j->op.ctx, &j->held, join_bytes(j));
    if (exec_over_budget(j->op.ctx)) {
      if (j->depth >= JOIN_DEPTH_MAX)
        return fl_err_set(
            err, FL_ELIMIT,
            "hash join: the build side (%u rows, %zu bytes) exceeds the memory budget of %zu bytes "
            "after %u levels of spill partitioning",
            j->rb->nrows, j->held, j->op.ctx->mem_budget, j->depth);
      rc = spill_right(j, err);
      if (rc) return rc;
    }
  }
  return j->spilled ? flush_parts(j->rparts, j->rbuf, err) : FL_OK;
}

static inline bool dense_kind(fl_type_kind k) { return k == FL_T_INT || k == FL_T_BIGINT || k == FL_T_DATE; }

static inline int64_t int_at(const fl_vec *v, uint32_t i) {
  return v->type.kind == FL_T_BIGINT ? v->data.i64[i] : (int64_t)v->data.i32[i];
}

/* After a build that kept its table: dense[key - min] when one integer key spans a
 * small range (see the head of this file). */
static void build_dense(join_op *j) {
  uint32_t count = fl_htab_count(&j->ht);
  if (j->dense || j->nkeys != 1 || count == 0) return;
  const fl_vec *v = &j->rb->cols[j->rkeys[0]];
  if (!dense_kind(v->type.kind)) return;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (uint32_t id = 0; id < count; id++) {
    int64_t x = int_at(v, j->head[id]);
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  uint64_t diff = (uint64_t)hi - (uint64_t)lo; /* hi - lo, exact in 64 unsigned bits */
  if (diff >= DENSE_MAX || diff + 1 > (uint64_t)count * DENSE_SLACK + 1024) return;
  uint64_t range = diff + 1;
  j->dense_n = (uint32_t)range;
  j->dense_min = lo;
  j->dense_kind = v->type.kind;
  j->dense = fl_malloc(range * sizeof *j->dense);
  memset(j->dense, 0xff, range * sizeof *j->dense);
  for (uint32_t id = 0; id < count; id++) j->dense[int_at(v, j->head[id]) - lo] = id;
  exec_mem_track(j->op.ctx, &j->held, join_bytes(j));
}

/* Left keys looked up in dense[]: ids[i] as the table would give them, ptrs[i] NULL
 * for a NULL key (walk's NOT IN case reads it), any other pointer otherwise. */
static void probe_dense(join_op *j, const join_op *o, const fl_vec *v, uint32_t n) {
  exec_keys_reserve(&j->k, n);
  static const uint8_t some;
  uint32_t *ids = j->k.ids;
  const uint8_t **ptrs = j->k.ptrs;
  const uint32_t *dense = o->dense;
  uint64_t span = o->dense_n, min = (uint64_t)o->dense_min;
  /* one loop per width, without int_at's test a row */
  if (v->type.kind == FL_T_BIGINT) {
    const int64_t *x = v->data.i64;
    for (uint32_t i = 0; i < n; i++) {
      uint64_t d = (uint64_t)x[i] - min;
      ids[i] = d < span ? dense[d] : FL_HTAB_NONE;
    }
  } else {
    const int32_t *x = v->data.i32;
    for (uint32_t i = 0; i < n; i++) {
      uint64_t d = (uint64_t)(int64_t)x[i] - min;
      ids[i] = d < span ? dense[d] : FL_HTAB_NONE;
    }
  }
  if (j->kind == FL_JOIN_ANTI_NULL_AWARE) /* the only walk that reads ptrs[] */
    for (uint32_t i = 0; i < n; i++) ptrs[i] = &some;
  for (uint32_t w = 0; w < (n + 63) / 64; w++) { /* NULL keys: a validity word at a time */
    uint64_t valid = v->validity[w];
    if (w == n / 64) valid |= ~(uint64_t)0 << (n % 64); /* bits past n count as valid */
    for (uint64_t nulls = ~valid; nulls; nulls &= nulls - 1) {
      uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(nulls);
      ids[i] = FL_HTAB_NONE;
      ptrs[i] = NULL;
    }
  }
}

/* The entry ids (and NULL-key marks) of a left batch's keys: in dense[] when the build
 * made one (o: the join that built, j itself or the owner of a shared build), else
 * encoded, hashed and looked up in the table. */
static void probe_keys(join_op *j, const join_op *o) {
  const fl_vec *lk = &j->lb->cols[j->lkeys[0]];
  if (o->dense && lk->type.kind == o->dense_kind) {
    probe_dense(j, o, lk, j->lb->nrows);
    return;
  }
  exec_keys_encode(&j->k, j->lb, j->lkeys, j->nkeys, true, &o->ht);
  fl_htab_find_many(&o->ht, j->k.ptrs, j->k.lens, j->k.hashes, j->lb->nrows, j->k.ids);
}

/* After a spilled build: splits the left side, then sets up the partition joins. */
static fl_code split_left(join_op *j, fl_err *err) {
  fl_op *left = j->op.children[0];
  uint32_t null_part = j->kind == FL_JOIN_LEFT || j->kind == FL_JOIN_ANTI ? 0 : UINT32_MAX;
  for (;;) {
    const fl_batch *b;
    fl_code rc = fl_op_next(left, &b, err);
    if (rc) return rc;
    if (!b) break;
    exec_keys_encode(&j->k, b, j->lkeys, j->nkeys, true, &j->ht);
    rc = split(j, b, left, j->lparts, j->lbuf, null_part, err);
    if (rc) return rc;
  }
  return flush_parts(j->lparts, j->lbuf, err);
}

/* The next partition's join (both files handed over to it), or *sub NULL at the end. */
static fl_code next_part_join(join_op *j, fl_err *err) {
  fl_op *left = j->op.children[0], *right = j->op.children[1];
  while (j->next_part < JOIN_PARTS) {
    uint32_t p = j->next_part++;
    fl_batch_free(j->lbuf[p]);
    fl_batch_free(j->rbuf[p]);
    j->lbuf[p] = j->rbuf[p] = NULL;
    bool inner_like = j->kind == FL_JOIN_INNER || j->kind == FL_JOIN_SEMI;
    if (!j->lparts[p].f || (inner_like && !j->rparts[p].f)) {
      /* nothing can come out of this partition */
      exec_spill_close(&j->lparts[p]);
      exec_spill_close(&j->rparts[p]);
      continue;
    }
    fl_op *ls, *rs;
    fl_code rc = exec_spill_source(j->op.ctx, left->fields, left->ncols, &j->lparts[p], &ls, err);
    if (rc) return rc;
    rc = exec_spill_source(j->op.ctx, right->fields, right->ncols, &j->rparts[p], &rs, err);
    if (rc) {
      fl_op_free(ls);
      return rc;
    }
    fl_join_kind kind = j->kind == FL_JOIN_ANTI_NULL_AWARE ? FL_JOIN_ANTI : j->kind;
    j->sub = join_new(j->op.ctx, kind, ls, rs, j->lkeys, j->rkeys, j->nkeys, j->depth + 1, err);
    FL_ASSERT(j->sub, "joining a spill partition: %s", err ? err->msg : "");
    return FL_OK;
  }
  return FL_OK;
}

static void flush(join_op *j, uint32_t n) {
  const fl_batch *lb = j->lb;
  fl_batch *out = j->out;
  const bool *skip = j->skip;
  for (uint32_t c = 0; c < lb->ncols; c++)
    if (!skip || !skip[c]) exec_vec_gather(&out->cols[c], &lb->cols[c], j->lsel, n);
  if (j->kind == FL_JOIN_INNER || j->kind == FL_JOIN_LEFT)
    for (uint32_t c = 0; c < j->rb->ncols; c++)
      if (!skip || !skip[lb->ncols + c])
        exec_vec_gather(&out->cols[lb->ncols + c], &j->rb->cols[c], j->rsel, n);
  out->nrows += n;
}

/* Walks the current left batch from (lrow, chain), filling lsel/rsel; returns the number
 * of pairs and leaves the position where it stopped. */
static uint32_t walk(join_op *j) {
  const fl_batch *lb = j->lb;
  uint32_t n = 0;
  bool naaj_none = j->kind == FL_JOIN_ANTI_NULL_AWARE && j->right_null_key;
  bool right_empty = j->rb->nrows == 0;
  if (j->kind == FL_JOIN_INNER && !j->chained) { /* unique right keys: a row matches one row or none */
    FL_ASSERT(j->chain == UINT32_MAX);
    /* locals: stores to lsel/rsel could alias j's fields, which the loop would reload */
    const uint32_t *ids = j->k.ids, *head = j->head;
    uint32_t *lsel = j->lsel, *rsel = j->rsel, row = j->lrow, end = lb->nrows;
    for (; row < end && n < FL_EXEC_BATCH_ROWS; row++) {
      uint32_t id = ids[row];
      lsel[n] = row;
      rsel[n] = id == FL_HTAB_NONE ? UINT32_MAX : head[id];
      n += id != FL_HTAB_NONE;
    }
    j->lrow = row;
    return n;
  }
  for (; j->lrow < lb->nrows && n < FL_EXEC_BATCH_ROWS; j->lrow++, j->chain = UINT32_MAX) {
    uint32_t i = j->lrow, id = j->k.ids[i];
    switch (j->kind) {
      case FL_JOIN_INNER:
      case FL_JOIN_LEFT: {
        uint32_t r = j->chain;
        if (r == UINT32_MAX) {
          if (id == FL_HTAB_NONE) {
            if (j->kind == FL_JOIN_LEFT) {
              j->lsel[n] = i;
              j->rsel[n++] = UINT32_MAX;
            }
            continue;
          }
          r = j->head[id];
        }
        for (; r != UINT32_MAX; r = j->next[r]) {
          if (n == FL_EXEC_BATCH_ROWS) {
            j->chain = r; /* resume here */
            return n;
          }
          j->lsel[n] = i;
          j->rsel[n++] = r;
        }
        break;
      }
      case FL_JOIN_SEMI:
        if (id != FL_HTAB_NONE) j->lsel[n++] = i;
        break;
      case FL_JOIN_ANTI:
        if (id == FL_HTAB_NONE) j->lsel[n++] = i;
        break;
      case FL_JOIN_ANTI_NULL_AWARE:
        if (right_empty)
          j->lsel[n++] = i;
        else if (!naaj_none && id == FL_HTAB_NONE && j->k.ptrs[i])
          j->lsel[n++] = i;
        break;
    }
  }
  return n;
}

static fl_code join_next(fl_op *op, const fl_batch **out, fl_err *err) {
  join_op *j = (join_op *)op;
  fl_code rc;
  if (j->state == ST_BUILD) {
    rc = build(j, err);
    if (rc) return rc;
    if (j->spilled) {
      j->state = ST_PARTS;
      if (j->kind == FL_JOIN_ANTI_NULL_AWARE && j->right_null_key) {
        j->state = ST_DONE;
      } else {
        rc = split_left(j, err);
        if (rc) return rc;
      }
    } else {
      j->state = ST_PROBE;
      build_dense(j);
    }
  }
  while (j->state == ST_PARTS) {
    if (j->sub) {
      rc = fl_op_next(j->sub, out, err);
      if (rc || *out) return rc;
      fl_op_free(j->sub);
      j->sub = NULL;
    }
    rc = next_part_join(j, err);
    if (rc) return rc;
    if (!j->sub) j->state = ST_DONE;
  }
  /* nothing to probe: INNER and SEMI over an empty right side, NOT IN against a NULL */
  if (j->state == ST_PROBE && j->rb->nrows == 0 && (j->kind == FL_JOIN_INNER || j->kind == FL_JOIN_SEMI))
    j->state = ST_DONE;
  if (j->state == ST_PROBE && j->kind == FL_JOIN_ANTI_NULL_AWARE && j->right_null_key) j->state = ST_DONE;
  while (j->state == ST_PROBE) {
    if (!j->lb || j->lrow >= j->lb->nrows) {
      rc = fl_op_next(op->children[0], &j->lb, err);
      if (rc) return rc;
      if (!j->lb) {
        j->state = ST_DONE;
        break;
      }
      probe_keys(j, j);
      j->lrow = 0;
      j->chain = UINT32_MAX;
      exec_mem_track(op->ctx, &j->held, join_bytes(j));
    }
    uint32_t n = walk(j);
    if (n) {
      fl_batch_reset(j->out);
      flush(j, n);
      *out = j->out;
      return FL_OK;
    }
  }
  *out = NULL;
  return FL_OK;
}

static const char *kind_name(fl_join_kind k) {
  switch (k) {
    case FL_JOIN_INNER: return "INNER";
    case FL_JOIN_LEFT: return "LEFT";
    case FL_JOIN_SEMI: return "SEMI";
    case FL_JOIN_ANTI: return "ANTI";
    case FL_JOIN_ANTI_NULL_AWARE: return "ANTI NULL-AWARE";
  }
  return "?";
}

static void join_explain(const fl_op *op, bool analyze, fl_buf *out) {
  const join_op *j = (const join_op *)op;
  fl_buf_printf(out, "%s", kind_name(j->kind));
  for (uint32_t i = 0; i < j->nkeys; i++)
    fl_buf_printf(out, "%s%s = %s", i ? " AND " : " ", op->children[0]->fields[j->lkeys[i]].name,
                  op->children[1]->fields[j->rkeys[i]].name);
  if (analyze && j->spilled_rows) fl_buf_printf(out, " spilled=%llu", (unsigned long long)j->spilled_rows);
  if (analyze && j->dense) fl_buf_printf(out, " dense=%u", j->dense_n);
}

static void join_free(fl_op *op) {
  join_op *j = (join_op *)op;
  fl_batch_free(j->rb);
  fl_batch_free(j->out);
  j->rb = j->out = NULL;
  fl_htab_free(&j->ht);
  exec_keys_free(&j->k);
  fl_free(j->head);
  fl_free(j->tail);
  fl_free(j->next);
  fl_free(j->dense);
  j->dense = NULL;
  j->dense_n = 0;
  fl_free(j->lsel);
  fl_free(j->rsel);
  j->head = j->tail = j->next = j->lsel = j->rsel = NULL;
  j->heads_cap = j->next_cap = 0;
  if (j->sub) fl_op_free(j->sub);
  j->sub = NULL;
  for (uint32_t p = 0; p < JOIN_PARTS; p++) {
    exec_spill_close(&j->lparts[p]);
    exec_spill_close(&j->rparts[p]);
    fl_batch_free(j->lbuf[p]);
    fl_batch_free(j->rbuf[p]);
    fl_free(j->prows[p]);
    j->lbuf[p] = j->rbuf[p] = NULL;
    j->prows[p] = NULL;
  }
  exec_mem_track(op->ctx, &j->held, 0);
}

static const fl_op_vtable join_vt = {"HASH_JOIN", join_next, join_explain, join_free};

static fl_op *join_new(fl_exec_ctx *ctx, fl_join_kind kind, fl_op *left, fl_op *right, const uint32_t *lkeys,
                       const uint32_t *rkeys, uint32_t nkeys, unsigned depth, fl_err *err) {
  if (nkeys == 0) {
    fl_err_set(err, FL_EINVAL, "hash join: no equality keys");
    return NULL;
  }
  for (uint32_t i = 0; i < nkeys; i++) {
    if (lkeys[i] >= left->ncols || rkeys[i] >= right->ncols) {
      fl_err_set(err, FL_EINVAL, "hash join: key %u is column %u of %u (left) = %u of %u (right)", i,
                 lkeys[i], left->ncols, rkeys[i], right->ncols);
      return NULL;
    }
    const fl_field *lf = &left->fields[lkeys[i]], *rf = &right->fields[rkeys[i]];
    /* the planner casts both sides to one type: equal keys must encode alike */
    if (!fl_type_equal(lf->type, rf->type)) {
      fl_err_set(err, FL_ETYPE, "hash join: %s (%s) = %s (%s): key types differ (cast first)", lf->name,
                 fl_type_sql_name(lf->type.kind), rf->name, fl_type_sql_name(rf->type.kind));
      return NULL;
    }
    if (lf->type.kind == FL_T_JSON) {
      fl_err_set(err, FL_ETYPE, "hash join: %s = %s: JSON values are not comparable", lf->name, rf->name);
      return NULL;
    }
  }
  bool both = kind == FL_JOIN_INNER || kind == FL_JOIN_LEFT;
  uint32_t ncols = left->ncols + (both ? right->ncols : 0);
  fl_field *fields = fl_arena_calloc(ctx->arena, ncols ? ncols : 1, sizeof *fields);
  for (uint32_t c = 0; c < left->ncols; c++) fields[c] = left->fields[c];
  if (both)
    for (uint32_t c = 0; c < right->ncols; c++) {
      fields[left->ncols + c] = right->fields[c];
      if (kind == FL_JOIN_LEFT) fields[left->ncols + c].required = false;
    }
  for (uint32_t c = 0; c < ncols; c++) fields[c].id = (int32_t)c + 1;
  fl_op *kids[2] = {left, right};
  join_op *j = (join_op *)fl_op_alloc(ctx, sizeof *j, &join_vt, fields, ncols, kids, 2);
  j->kind = kind;
  j->depth = depth;
  j->lkeys = fl_arena_memdup(ctx->arena, lkeys, nkeys * sizeof *lkeys);
  j->rkeys = fl_arena_memdup(ctx->arena, rkeys, nkeys * sizeof *rkeys);
  j->nkeys = nkeys;
  j->rb = fl_batch_new(right->fields, right->ncols, FL_EXEC_BATCH_ROWS);
  j->out = fl_batch_new(fields, ncols, FL_EXEC_BATCH_ROWS);
  j->lsel = fl_malloc(FL_EXEC_BATCH_ROWS * sizeof *j->lsel);
  j->rsel = fl_malloc(FL_EXEC_BATCH_ROWS * sizeof *j->rsel);
  fl_htab_init(&j->ht, 0, depth);
  exec_mem_track(ctx, &j->held, join_bytes(j));
  return &j->op;
}

fl_op *fl_op_hash_join(fl_exec_ctx *ctx, fl_join_kind kind, fl_op *left, fl_op *right, const uint32_t *lkeys,
                       const uint32_t *rkeys, uint32_t nkeys, fl_err *err) {
  return join_new(ctx, kind, left, right, lkeys, rkeys, nkeys, 0, err);
}

/* ---- parallel probes of one build (exec_parallel.c, query.c's lower_parallel_join) ----
 * exec_join_build runs the build of a join from the query's thread before any worker
 * starts; when it did not spill, each worker probes the one table with its own
 * exec_join_probe over its copy of the left pipeline: the table, chains and right rows
 * are only read (fl_htab_find_many is const), the probe's keys, position and output
 * are its own. A build that spilled is finished by the join itself (Grace partitions
 * need the whole left side), on one thread. */

fl_code exec_join_build(fl_op *op, bool *spilled, fl_err *err) {
  FL_ASSERT(op->vt == &join_vt, "exec_join_build of a %s", op->vt->name);
  join_op *j = (join_op *)op;
  fl_code rc = build(j, err); /* join_next's build finds the right side drained, then spills on */
  *spilled = j->spilled;
  if (!rc && !j->spilled) build_dense(j); /* the probes read it, as the table, shared */
  return rc;
}

void exec_join_release(fl_op *op) {
  FL_ASSERT(op->vt == &join_vt, "exec_join_release of a %s", op->vt->name);
  join_free(op); /* idempotent: fl_op_free calls it again */
}

typedef struct probe_op {
  join_op j; /* kind, keys and the probe position; rb, head, next point at the owner's */
  const join_op *owner;
  bool ready;
} probe_op;

static fl_code probe_next(fl_op *op, const fl_batch **out, fl_err *err) {
  probe_op *p = (probe_op *)op;
  join_op *j = &p->j;
  const join_op *o = p->owner;
  *out = NULL;
  if (!p->ready) {
    p->ready = true;
    FL_ASSERT(!o->spilled && o->state == ST_BUILD, "probe of a spilled or finished build");
    j->rb = o->rb;
    j->head = o->head;
    j->next = o->next;
    j->chained = o->chained;
    j->right_null_key = o->right_null_key;
    j->state = ST_PROBE;
    if (j->rb->nrows == 0 && (j->kind == FL_JOIN_INNER || j->kind == FL_JOIN_SEMI)) j->state = ST_DONE;
    if (j->kind == FL_JOIN_ANTI_NULL_AWARE && j->right_null_key) j->state = ST_DONE;
  }
  while (j->state == ST_PROBE) {
    if (!j->lb || j->lrow >= j->lb->nrows) {
      fl_code rc = fl_op_next(op->children[0], &j->lb, err);
      if (rc) return rc;
      if (!j->lb) {
        j->state = ST_DONE;
        break;
      }
      probe_keys(j, o);
      j->lrow = 0;
      j->chain = UINT32_MAX;
      exec_mem_track(op->ctx, &j->held, exec_keys_bytes(&j->k) + exec_batch_bytes(j->out));
    }
    uint32_t n = walk(j);
    if (n) {
      fl_batch_reset(j->out);
      flush(j, n);
      *out = j->out;
      return FL_OK;
    }
  }
  return FL_OK;
}

static void probe_explain(const fl_op *op, bool analyze, fl_buf *out) {
  const probe_op *p = (const probe_op *)op;
  const join_op *j = &p->j;
  fl_buf_printf(out, "%s", kind_name(j->kind));
  for (uint32_t i = 0; i < j->nkeys; i++)
    fl_buf_printf(out, "%s%s = %s", i ? " AND " : " ", op->children[0]->fields[j->lkeys[i]].name,
                  p->owner->op.children[1]->fields[j->rkeys[i]].name);
  fl_buf_printf(out, " (probes the shared build)");
}

static void probe_free(fl_op *op) {
  probe_op *p = (probe_op *)op;
  join_op *j = &p->j;
  fl_batch_free(j->out);
  j->out = NULL;
  exec_keys_free(&j->k);
  fl_free(j->lsel);
  fl_free(j->rsel);
  j->lsel = j->rsel = NULL;
  j->rb = NULL; /* the owner's */
  j->head = j->next = NULL;
  exec_mem_track(op->ctx, &j->held, 0);
}

static const fl_op_vtable probe_vt = {"HASH_JOIN_PROBE", probe_next, probe_explain, probe_free};

fl_op *exec_join_probe(fl_exec_ctx *ctx, fl_op *owner, fl_op *left, fl_err *err) {
  FL_ASSERT(owner->vt == &join_vt, "exec_join_probe of a %s", owner->vt->name);
  const join_op *o = (const join_op *)owner;
  const fl_op *ol = owner->children[0];
  if (left->ncols != ol->ncols) {
    fl_err_set(err, FL_EINVAL, "hash join probe: left side of %u columns, the join's has %u", left->ncols,
               ol->ncols);
    return NULL;
  }
  for (uint32_t c = 0; c < left->ncols; c++)
    if (!fl_type_equal(left->fields[c].type, ol->fields[c].type)) {
      fl_err_set(err, FL_ETYPE, "hash join probe: left column %u (%s) differs from the join's", c,
                 left->fields[c].name);
      return NULL;
    }
  probe_op *p = (probe_op *)fl_op_alloc(ctx, sizeof *p, &probe_vt, owner->fields, owner->ncols, &left, 1);
  join_op *j = &p->j;
  p->owner = o;
  j->kind = o->kind;
  j->lkeys = o->lkeys;
  j->rkeys = o->rkeys;
  j->nkeys = o->nkeys;
  j->out = fl_batch_new(owner->fields, owner->ncols, FL_EXEC_BATCH_ROWS);
  j->lsel = fl_malloc(FL_EXEC_BATCH_ROWS * sizeof *j->lsel);
  j->rsel = fl_malloc(FL_EXEC_BATCH_ROWS * sizeof *j->rsel);
  exec_mem_track(ctx, &j->held, exec_batch_bytes(j->out));
  return &p->j.op;
}

/* ---- columns nobody reads (query.c: a projection right above the join) ----
 * bench/queries.tsv join_products reads category and amount of the four columns the
 * join makes (both product_id): the two keys were gathered for nothing. */

bool fl_op_join_skip_unused(fl_op *op, const bool *used) {
  if (op->vt != &join_vt && op->vt != &probe_vt) return false;
  join_op *j = op->vt == &join_vt ? (join_op *)op : &((probe_op *)op)->j;
  j->skip = fl_arena_calloc(op->ctx->arena, op->ncols ? op->ncols : 1, sizeof *j->skip);
  for (uint32_t c = 0; c < op->ncols; c++) j->skip[c] = !used[c];
  return true;
}
