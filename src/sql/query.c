/* query.c: a query from text to batches (sql.h: fl_sql_query_*): parse, bind against
 * the warehouse's tables, lower the logical plan to operators (exec.h), pull.
 *
 *   text ─► fl_sql_parse_statement ─► fl_sql_plan_build ─► lower() ─► fl_op tree ─► next()
 *                                      (catalog callbacks: load tables)
 *
 * Lowering is one plan node to one operator, with these local rewrites:
 *   - a FILTER right over a SCAN becomes the scan's filter (pruning, late decode);
 *   - a PROJECT that passes its child's columns through unchanged, or gives none, is
 *     dropped (a parent of one with no columns reads none of its child's);
 *   - a JOIN without keys (CROSS JOIN, a comma, an uncorrelated EXISTS) joins on a
 *     constant column added to both sides, then drops it;
 *   - EXPLAIN [ANALYZE] runs (or not) the tree and returns its text as rows;
 *   - with threads > 1, pipelines over a table scan are lowered once per worker
 *     (lower_parallel, lower_parallel_join: the comment above them).
 *
 * Ownership: the query owns one arena (statement, plan, operators, schemas), the tables
 * it loaded (freed with it), and the operator tree (fl_op_free). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/time.h"
#include "sql/exec.h"
#include "sql/plan.h"
#include "sql/sql.h"
#include "table/table.h"

struct fl_sql_query {
  fl_arena arena;
  fl_exec_ctx ctx;
  fl_warehouse *wh;
  fl_sql_statement *st;
  fl_plan *plan;
  fl_op *root;
  fl_table **tables;
  uint32_t ntables, cap;
  /* EXPLAIN: one STRING column */
  fl_field explain_field;
  fl_batch *explain_batch;
  bool explain_done;
  fl_batch **one_rows; /* the one-row batches of SELECTs without FROM */
  uint32_t none_rows;
  /* parallel lowering (lower_parallel): the context operators are built in (the
   * query's, or a worker's while a pipeline copy is built), the scan source the copies
   * read, and the sources to free after the operators */
  fl_exec_ctx *cur;
  uint32_t threads;
  bool in_worker;
  fl_scan_source *src;
  fl_scan_source **srcs;
  uint32_t nsrcs;
  struct par_joins *pj; /* while copies are built: the joins their probes share */
};

/* ---- the catalog the binder sees ---- */

static fl_code keep_table(fl_sql_query *q, fl_table *tbl) {
  if (q->ntables == q->cap) {
    uint32_t cap = q->cap ? 2 * q->cap : 4;
    q->tables = fl_realloc(q->tables, cap * sizeof *q->tables);
    q->cap = cap;
  }
  q->tables[q->ntables++] = tbl;
  return FL_OK;
}

/* "orders$files": the base table's name and the metadata kind; false for a plain name. */
static bool meta_name(fl_arena *arena, const char *name, const char **base, fl_table_meta_kind *kind,
                      bool *known) {
  const char *dollar = strchr(name, '$');
  if (!dollar) return false;
  *base = fl_arena_strndup(arena, name, (size_t)(dollar - name));
  *known = fl_table_meta_kind_parse(dollar + 1, kind);
  return true;
}

static fl_code cat_table(void *ud, const fl_sql_from *f, const fl_schema **schema, void **handle,
                         fl_err *err) {
  fl_sql_query *q = ud;
  const char *ns = f->ns;
  const char *name = f->name;
  fl_table_meta_kind kind = 0;
  bool known = false, meta = meta_name(&q->arena, f->name, &name, &kind, &known);
  if (meta && !known)
    return fl_err_set(err, FL_EPARSE,
                      "unknown metadata table '%s' (%s$snapshots, %s$history and %s$files are)", f->name,
                      name, name, name);
  if (!ns) {
    /* a bare name: the one namespace that has it */
    fl_catalog_entry *entries = NULL;
    uint32_t n = 0;
    fl_code code = fl_catalog_list(fl_warehouse_catalog(q->wh), NULL, &entries, &n, err);
    if (code) return code;
    const char *found = NULL, *second = NULL;
    for (uint32_t i = 0; i < n; i++)
      if (!strcmp(entries[i].name, name)) {
        if (!found)
          found = fl_arena_strdup(&q->arena, entries[i].ns);
        else if (!second)
          second = fl_arena_strdup(&q->arena, entries[i].ns);
      }
    fl_catalog_entries_free(entries, n);
    if (!found) return fl_err_set(err, FL_ENOENT, "no table %s", name);
    if (second)
      return fl_err_set(err, FL_EPARSE, "table name '%s' is in namespaces '%s' and '%s': write %s.%s", name,
                        found, second, found, name);
    ns = found;
  }
  fl_table *tbl = NULL;
  fl_code code = fl_table_load(q->wh, ns, name, &tbl, err);
  if (code == FL_ENOENT) return fl_err_set(err, FL_ENOENT, "no table %s.%s", ns, name);
  if (code) return code;
  keep_table(q, tbl);
  *handle = tbl;
  if (!meta) {
    *schema = fl_table_schema(tbl);
    return FL_OK;
  }
  fl_schema *ms = fl_arena_calloc(&q->arena, 1, sizeof *ms);
  const fl_field *fields = fl_table_meta_fields(kind, &ms->nfields);
  ms->fields = (fl_field *)fields;
  *schema = ms;
  return FL_OK;
}

static uint32_t cat_names(void *ud, const char *ns, fl_arena *arena, const char ***out) {
  fl_sql_query *q = ud;
  fl_catalog_entry *entries = NULL;
  uint32_t n = 0;
  fl_err err = {0};
  *out = NULL;
  if (fl_catalog_list(fl_warehouse_catalog(q->wh), ns, &entries, &n, &err)) return 0;
  const char **names = fl_arena_alloc(arena, (n + 1) * sizeof *names);
  for (uint32_t i = 0; i < n; i++) names[i] = fl_arena_strdup(arena, entries[i].name);
  fl_catalog_entries_free(entries, n);
  *out = names;
  return n;
}

/* ---- lowering ---- */

static fl_code lower(fl_sql_query *q, const fl_plan *p, fl_op **out, fl_err *err);

static fl_code keep_columns(fl_sql_query *q, fl_op *child, const char *const *names, uint32_t n, fl_op **out,
                            fl_err *err);

/* t$snapshots, t$history, t$files: the metadata operator, then the plan's columns and
 * filter (a few rows: no pruning to do). */
static fl_code lower_meta(fl_sql_query *q, const fl_plan *scan, fl_sql_expr *filter, fl_op **out,
                          fl_err *err) {
  const char *base;
  fl_table_meta_kind kind = 0;
  bool known;
  meta_name(&q->arena, scan->from->name, &base, &kind, &known);
  fl_op *m = fl_op_table_meta(q->cur, (fl_table *)scan->table, (int)kind,
                              scan->from->as_of == FL_SQL_AS_OF_SNAPSHOT ? scan->from->snapshot_id : 0, err);
  if (!m) return err->code ? err->code : FL_EINVAL;
  fl_op *p = NULL;
  fl_code code = keep_columns(q, m, scan->columns, scan->ncolumns, &p, err);
  if (code) {
    fl_op_free(m);
    return code;
  }
  if (!filter) {
    *out = p;
    return FL_OK;
  }
  *out = fl_op_filter(q->cur, p, filter, err);
  if (!*out) {
    fl_op_free(p);
    return err->code ? err->code : FL_EINVAL;
  }
  return FL_OK;
}

/* The scan's options and its filter (the plan's, ANDed with a FILTER right above). */
static fl_sql_expr *scan_setup(fl_sql_query *q, const fl_plan *scan, fl_sql_expr *extra, fl_scan_opts *out) {
  fl_scan_opts opts = {0};
  if (scan->from->as_of == FL_SQL_AS_OF_SNAPSHOT) opts.snapshot_id = scan->from->snapshot_id;
  if (scan->from->as_of == FL_SQL_AS_OF_TIME) {
    opts.as_of_ms = scan->from->as_of_us / 1000;
    if (opts.as_of_ms <= 0) opts.as_of_ms = 1;
  }
  opts.columns = scan->columns;
  opts.ncolumns = scan->ncolumns;
  fl_sql_expr *filter = scan->filter;
  if (extra) {
    if (filter) {
      fl_sql_expr *and = fl_arena_calloc(&q->arena, 1, sizeof *and);
      and->kind = FL_SQL_E_BINARY;
      and->op = FL_SQL_OP_AND;
      and->args = fl_arena_alloc(&q->arena, 2 * sizeof *and->args);
      and->args[0] = filter;
      and->args[1] = extra;
      and->nargs = 2;
      and->field = -1;
      and->height = (filter->height > extra->height ? filter->height : extra->height) + 1;
      and->rtype = FL_SQL_RT_VALUE;
      and->type.kind = FL_T_BOOLEAN;
      and->line = extra->line;
      and->col = extra->col;
      filter = and;
    } else {
      filter = extra;
    }
  }
  *out = opts;
  return filter;
}

static fl_code lower_scan(fl_sql_query *q, const fl_plan *scan, fl_sql_expr *extra, fl_op **out,
                          fl_err *err) {
  fl_scan_opts opts;
  fl_sql_expr *filter = scan_setup(q, scan, extra, &opts);
  if (strchr(scan->from->name, '$')) return lower_meta(q, scan, filter, out, err);
  if (q->src) { /* a pipeline copy: the source was planned with this filter */
    *out = fl_op_table_scan_part(q->cur, q->src, err);
    return *out ? FL_OK : (err->code ? err->code : FL_EINVAL);
  }
  *out = fl_op_table_scan(q->cur, (fl_table *)scan->table, &opts, filter, err);
  return *out ? FL_OK : (err->code ? err->code : FL_EINVAL);
}

/* A literal 1 (BIGINT) column added to child: the key of a join on nothing. */
static fl_code with_const_key(fl_sql_query *q, fl_op *child, fl_op **out, fl_err *err) {
  uint32_t n = child->ncols + 1;
  fl_sql_expr **exprs = fl_arena_calloc(&q->arena, n, sizeof *exprs);
  const char **names = fl_arena_calloc(&q->arena, n, sizeof *names);
  for (uint32_t i = 0; i < n; i++) {
    fl_sql_expr *e = fl_arena_calloc(&q->arena, 1, sizeof *e);
    e->height = 1;
    e->rtype = FL_SQL_RT_VALUE;
    if (i < child->ncols) {
      e->kind = FL_SQL_E_COLUMN;
      e->name = child->fields[i].name;
      e->field = (int32_t)i;
      e->type = child->fields[i].type;
      names[i] = child->fields[i].name;
    } else {
      e->kind = FL_SQL_E_LITERAL;
      e->lit = FL_SQL_LIT_INT;
      e->text = "1";
      e->field = -1;
      e->value.type.kind = FL_T_BIGINT;
      e->value.u.i64 = 1;
      e->type = e->value.type;
      names[i] = "__key";
    }
    exprs[i] = e;
  }
  *out = fl_op_project(q->cur, child, (const fl_sql_expr *const *)exprs, names, n, err);
  return *out ? FL_OK : (err->code ? err->code : FL_EINVAL);
}

/* Keeps the columns of child other than the positions drop[0..ndrop). */
static fl_code drop_columns(fl_sql_query *q, fl_op *child, const uint32_t *drop, uint32_t ndrop, fl_op **out,
                            fl_err *err) {
  fl_sql_expr **exprs = fl_arena_calloc(&q->arena, child->ncols + 1, sizeof *exprs);
  const char **names = fl_arena_calloc(&q->arena, child->ncols + 1, sizeof *names);
  uint32_t m = 0;
  for (uint32_t i = 0; i < child->ncols; i++) {
    bool dropped = false;
    for (uint32_t k = 0; k < ndrop; k++) dropped |= drop[k] == i;
    if (dropped) continue;
    fl_sql_expr *e = fl_arena_calloc(&q->arena, 1, sizeof *e);
    e->kind = FL_SQL_E_COLUMN;
    e->height = 1;
    e->rtype = FL_SQL_RT_VALUE;
    e->name = child->fields[i].name;
    e->field = (int32_t)i;
    e->type = child->fields[i].type;
    exprs[m] = e;
    names[m++] = child->fields[i].name;
  }
  *out = fl_op_project(q->cur, child, (const fl_sql_expr *const *)exprs, names, m, err);
  return *out ? FL_OK : (err->code ? err->code : FL_EINVAL);
}

/* The named columns of child, in the given order. */
static fl_code keep_columns(fl_sql_query *q, fl_op *child, const char *const *names, uint32_t n, fl_op **out,
                            fl_err *err) {
  fl_sql_expr **exprs = fl_arena_calloc(&q->arena, n + 1, sizeof *exprs);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t c = 0;
    while (c < child->ncols && strcmp(child->fields[c].name, names[i]) != 0) c++;
    FL_ASSERT(c < child->ncols, "column %s", names[i]);
    fl_sql_expr *e = fl_arena_calloc(&q->arena, 1, sizeof *e);
    e->kind = FL_SQL_E_COLUMN;
    e->height = 1;
    e->rtype = FL_SQL_RT_VALUE;
    e->name = child->fields[c].name;
    e->field = (int32_t)c;
    e->type = child->fields[c].type;
    exprs[i] = e;
  }
  *out = fl_op_project(q->cur, child, (const fl_sql_expr *const *)exprs, names, n, err);
  return *out ? FL_OK : (err->code ? err->code : FL_EINVAL);
}

/* SINGLE_ROW: a scalar subquery's rows pass through; a second row is an error, as
 * DuckDB's "More than one row returned by a subquery used as an expression". */
typedef struct single_row_op {
  fl_op op;
  uint64_t rows;
  uint32_t line, col;
} single_row_op;

static fl_code single_row_next(fl_op *op, const fl_batch **out, fl_err *err) {
  single_row_op *s = (single_row_op *)op;
  fl_code code = fl_op_next(op->children[0], out, err);
  if (code || !*out) return code;
  s->rows += (*out)->nrows;
  if (s->rows > 1)
    return fl_err_set(err, FL_EINVAL,
                      "line %u, column %u: more than one row returned by a subquery used as an expression (a "
                      "scalar subquery can return one row at most)",
                      s->line, s->col);
  return FL_OK;
}

static const fl_op_vtable single_row_vt = {"SINGLE_ROW", single_row_next, NULL, NULL};

/* Marks used[] the columns e reads; false when it may read others (a subquery, a window). */
static bool expr_columns(const fl_sql_expr *e, bool *used, uint32_t ncols) {
  if (!e) return true;
  if (e->query || e->over) return false;
  if (e->kind == FL_SQL_E_COLUMN) {
    if (e->field < 0 || (uint32_t)e->field >= ncols) return false;
    used[e->field] = true;
  }
  for (uint32_t i = 0; i < e->nargs; i++)
    if (!expr_columns(e->args[i], used, ncols)) return false;
  return expr_columns(e->filter, used, ncols);
}

/* A projection right above a hash join: the join gathers only the columns it reads. */
static void skip_unused(fl_sql_query *q, const fl_plan *p, fl_op *join) {
  bool *used = fl_arena_calloc(&q->arena, join->ncols ? join->ncols : 1, sizeof *used);
  for (uint32_t i = 0; i < p->nexprs; i++)
    if (!expr_columns(p->exprs[i], used, join->ncols)) return;
  fl_op_join_skip_unused(join, used);
}

static bool identity_project(const fl_plan *p, const fl_op *child) {
  if (p->nexprs != child->ncols) return false;
  for (uint32_t i = 0; i < p->nexprs; i++) {
    const fl_sql_expr *e = p->exprs[i];
    if (e->kind != FL_SQL_E_COLUMN || e->field != (int32_t)i ||
        strcmp(p->names[i], child->fields[i].name) != 0)
      return false;
  }
  return true;
}

static fl_code lower_side(fl_sql_query *q, const fl_plan *p, fl_op **out, fl_err *err);
static bool pj_room(const struct par_joins *pj, const fl_plan *p);
static fl_code lower_probe(fl_sql_query *q, const fl_plan *p, fl_op *l, fl_op **out, fl_err *err);

static fl_code lower_join(fl_sql_query *q, const fl_plan *p, fl_op **out, fl_err *err) {
  fl_op *l = NULL, *r = NULL;
  fl_code code = lower(q, p->children[0], &l, err);
  if (code) return code;
  if (q->in_worker && q->pj && p->njkeys && pj_room(q->pj, p)) return lower_probe(q, p, l, out, err);
  /* in a pipeline copy, the right side is not the copy's: lowered in the query's context */
  if ((code = q->in_worker ? lower_side(q, p->children[1], &r, err) : lower(q, p->children[1], &r, err))) {
    fl_op_free(l);
    return code;
  }
  if (p->njkeys) {
    *out = fl_op_hash_join(q->cur, p->join, l, r, p->pos_lkeys, p->pos_rkeys, p->njkeys, err);
    if (!*out) {
      fl_op_free(l);
      fl_op_free(r);
      return err->code ? err->code : FL_EINVAL;
    }
    return FL_OK;
  }
  fl_op *lk = NULL, *rk = NULL;
  if ((code = with_const_key(q, l, &lk, err))) {
    fl_op_free(l);
    fl_op_free(r);
    return code;
  }
  if ((code = with_const_key(q, r, &rk, err))) {
    fl_op_free(lk);
    fl_op_free(r);
    return code;
  }
  uint32_t lkey = l->ncols, rkey = r->ncols;
  fl_op *j = fl_op_hash_join(q->cur, p->join, lk, rk, &lkey, &rkey, 1, err);
  if (!j) {
    fl_op_free(lk);
    fl_op_free(rk);
    return err->code ? err->code : FL_EINVAL;
  }
  uint32_t drop[2] = {lkey, lkey + 1 + rkey};
  bool both = p->join == FL_JOIN_INNER || p->join == FL_JOIN_LEFT;
  if ((code = drop_columns(q, j, drop, both ? 2 : 1, out, err))) {
    fl_op_free(j);
    return code;
  }
  return FL_OK;
}

/* ---- parallel lowering ----
 * A pipeline is a chain of PROJECT/FILTER nodes and JOINs with keys (through their left
 * side) over a table SCAN (not a metadata table). With threads > 1, the topmost node of each pipeline (or the
 * AGGREGATE, DISTINCT or top-N SORT right above one) is lowered as: one fl_scan_source (planned once) ─► n
 * copies of the pipeline, each in its own worker context over a TABLE_SCAN part ─► [partial aggregate |
 * distinct | top-N per copy] ─► GATHER ─► [merge: final aggregate (+ counts cast back to BIGINT) | distinct |
 * top-N] An aggregate is split only when every aggregate merges exactly from partial results: count(*) and
 * count (summed), sum of integers and decimals (exact 128-bit sums), min, max, avg of integers and decimals
 * (an exact sum and a count, divided at the end as the aggregate divides them); otherwise (count(DISTINCT),
 * approx_count_distinct, sums and averages of floats, whose rounding would depend on the order) the copies
 * gather below the one aggregate, which gives the 1-thread values; but when every aggregate is count(DISTINCT
 * x), approx_count_distinct(x), min(x) or max(x) of one x, each copy first keeps its distinct (keys, x) rows
 * (agg_distinct_splits). A JOIN inside the pipeline becomes, in every copy, a HASH_JOIN_PROBE of one shared
 * join (par_joins: its right side lowered once, in the query's context, its left a
 * placeholder of the copies' columns); JOIN_SWITCH over the whole builds the shared
 * joins before the workers start, and when a build spilled (Grace partitions need the
 * whole left side) lowers the node again on one thread and runs that instead. */

/* Shared joins of one parallel pipeline: 16 at most (deeper join chains are rare; past
 * that, each copy joins on its own: the right side built once per copy). */
typedef struct par_joins {
  const fl_plan *plan[16];
  fl_op *join[16];
  uint32_t n;
} par_joins;

static bool pj_room(const par_joins *pj, const fl_plan *p) {
  for (uint32_t i = 0; i < pj->n; i++)
    if (pj->plan[i] == p) return true;
  return pj->n < 16;
}

/* p lowered in the query's context (the right side of a join in a pipeline copy). */
static fl_code lower_side(fl_sql_query *q, const fl_plan *p, fl_op **out, fl_err *err) {
  fl_exec_ctx *cur = q->cur;
  bool in_worker = q->in_worker;
  fl_scan_source *src = q->src;
  par_joins *pj = q->pj;
  q->cur = &q->ctx;
  q->in_worker = false;
  q->src = NULL;
  q->pj = NULL;
  fl_code code = lower(q, p, out, err);
  q->cur = cur;
  q->in_worker = in_worker;
  q->src = src;
  q->pj = pj;
  return code;
}

/* A copy's probe of the shared join of plan node p (made at the first copy). */
static fl_code lower_probe(fl_sql_query *q, const fl_plan *p, fl_op *l, fl_op **out, fl_err *err) {
  par_joins *pj = q->pj;
  uint32_t i = 0;
  while (i < pj->n && pj->plan[i] != p) i++;
  if (i == pj->n) {
    FL_ASSERT(pj->n < 16, "pj_room said there is room");
    fl_op *r = NULL;
    fl_code code = lower_side(q, p->children[1], &r, err);
    if (code) {
      fl_op_free(l);
      return code;
    }
    fl_op *shape = fl_op_values(&q->ctx, l->fields, l->ncols, NULL, 0);
    fl_op *j = fl_op_hash_join(&q->ctx, p->join, shape, r, p->pos_lkeys, p->pos_rkeys, p->njkeys, err);
    if (!j) {
      fl_op_free(l);
      fl_op_free(r);
      return err->code ? err->code : FL_EINVAL;
    }
    pj->plan[i] = p;
    pj->join[i] = j;
    pj->n++;
  }
  *out = fl_op_join_probe(q->cur, pj->join[i], l, err);
  if (!*out) {
    fl_op_free(l);
    return err->code ? err->code : FL_EINVAL;
  }
  return FL_OK;
}

/* JOIN_SWITCH's way back: the plan node lowered again for one thread. */
static fl_code lower_serial(void *ud, const void *plan, fl_op **out, fl_err *err) {
  fl_sql_query *q = ud;
  uint32_t threads = q->threads;
  q->threads = 1;
  fl_code code = lower_side(q, plan, out, err);
  q->threads = threads;
  return code;
}

static const fl_plan *pipeline_scan(const fl_plan *p, const fl_plan **above) {
  *above = NULL;
  while (p->kind == FL_PLAN_PROJECT || p->kind == FL_PLAN_FILTER || (p->kind == FL_PLAN_JOIN && p->njkeys)) {
    *above = p;
    p = p->children[0];
  }
  if (p->kind != FL_PLAN_SCAN || strchr(p->from->name, '$')) return NULL;
  return p;
}

static bool agg_splits(const fl_plan *p, const fl_op *child) {
  for (uint32_t i = 0; i < p->naggs; i++) {
    const fl_agg_spec *a = &p->agg_specs[i];
    switch (a->kind) {
      case FL_AGG_COUNT_STAR:
      case FL_AGG_COUNT:
      case FL_AGG_MIN:
      case FL_AGG_MAX: break;
      case FL_AGG_SUM:
      case FL_AGG_AVG: {
        fl_type_kind k = child->fields[a->arg].type.kind;
        if (k == FL_T_FLOAT || k == FL_T_DOUBLE) return false;
        break;
      }
      default: return false;
    }
  }
  return true;
}

/* count(DISTINCT x), approx_count_distinct(x), min(x), max(x) of one x, no FILTER: the
 * same values over the distinct (keys, x) rows, so each copy can drop its duplicates
 * first (HyperLogLog registers and min/max ignore duplicates and order). */
static bool agg_distinct_splits(const fl_plan *p) {
  bool any = false;
  for (uint32_t i = 0; i < p->naggs; i++) {
    const fl_agg_spec *a = &p->agg_specs[i];
    if (a->filter >= 0 || a->arg < 0 || a->arg != p->agg_specs[0].arg) return false;
    if (a->kind == FL_AGG_COUNT_DISTINCT || a->kind == FL_AGG_APPROX_COUNT_DISTINCT)
      any = true;
    else if (a->kind != FL_AGG_MIN && a->kind != FL_AGG_MAX)
      return false;
  }
  return any;
}

/* The columns cols[0..n) of child (a copy's keys and distinct argument). */
static fl_op *pick_columns(fl_sql_query *q, fl_op *child, const uint32_t *cols, uint32_t n, fl_err *err) {
  fl_sql_expr **exprs = fl_arena_calloc(&q->arena, n, sizeof *exprs);
  const char **names = fl_arena_calloc(&q->arena, n, sizeof *names);
  for (uint32_t i = 0; i < n; i++) {
    fl_sql_expr *e = fl_arena_calloc(&q->arena, 1, sizeof *e);
    e->kind = FL_SQL_E_COLUMN;
    e->height = 1;
    e->rtype = FL_SQL_RT_VALUE;
    e->name = child->fields[cols[i]].name;
    e->field = (int32_t)cols[i];
    e->type = child->fields[cols[i]].type;
    exprs[i] = e;
    names[i] = child->fields[cols[i]].name;
  }
  return fl_op_project(q->cur, child, (const fl_sql_expr *const *)exprs, names, n, err);
}

/* The partial aggregates of p: one per aggregate, avg as a sum and a count of its
 * argument (*n of them). */
static fl_agg_spec *agg_partials(fl_sql_query *q, const fl_plan *p, uint32_t *n) {
  fl_agg_spec *specs = fl_arena_calloc(&q->arena, 2 * p->naggs + 1, sizeof *specs);
  uint32_t k = 0;
  for (uint32_t j = 0; j < p->naggs; j++) {
    specs[k] = p->agg_specs[j];
    if (p->agg_specs[j].kind == FL_AGG_AVG) {
      specs[k].kind = FL_AGG_SUM;
      specs[k].name = fl_arena_sprintf(&q->arena, "sum(%s)", p->agg_specs[j].name);
      specs[++k] = p->agg_specs[j];
      specs[k].kind = FL_AGG_COUNT;
      specs[k].name = fl_arena_sprintf(&q->arena, "count(%s)", p->agg_specs[j].name);
    }
    k++;
  }
  *n = k;
  return specs;
}

/* The final aggregate over the gathered partial ones (keys 0..nkeys-1, then the
 * partials): counts are summed, sums summed, min and max again; then counts come back
 * from DECIMAL(38,0) sums to BIGINT and avg divides its merged sum by its merged count
 * (fl_op_agg_finish). */
static fl_code agg_merge(fl_sql_query *q, const fl_plan *p, const fl_op *child, fl_op *g, fl_op **out,
                         fl_err *err) {
  uint32_t nk = p->nkeys, np;
  const fl_agg_spec *parts = agg_partials(q, p, &np);
  uint32_t *keys = fl_arena_alloc(&q->arena, (nk ? nk : 1) * sizeof *keys);
  for (uint32_t i = 0; i < nk; i++) keys[i] = i;
  fl_agg_spec *specs = fl_arena_calloc(&q->arena, np ? np : 1, sizeof *specs);
  for (uint32_t j = 0; j < np; j++) {
    fl_agg_kind k = parts[j].kind;
    specs[j].kind = k == FL_AGG_MIN || k == FL_AGG_MAX ? k : FL_AGG_SUM;
    specs[j].arg = (int32_t)(nk + j);
    specs[j].filter = -1;
    specs[j].name = parts[j].name;
  }
  fl_op *a = fl_op_hash_aggregate(q->cur, g, keys, nk, specs, np, err);
  if (!a) {
    fl_op_free(g);
    return err->code ? err->code : FL_EINVAL;
  }
  fl_agg_finish *fin = fl_arena_calloc(&q->arena, nk + p->naggs + 1, sizeof *fin);
  for (uint32_t i = 0; i < nk; i++) fin[i] = (fl_agg_finish){i, -1, 0, {0}, a->fields[i].name};
  for (uint32_t j = 0, c = nk; j < p->naggs; j++, c++) {
    const fl_agg_spec *s = &p->agg_specs[j];
    fl_agg_finish *f = &fin[nk + j];
    *f = (fl_agg_finish){c, -1, 0, {0}, s->name};
    if (s->kind == FL_AGG_COUNT || s->kind == FL_AGG_COUNT_STAR) f->kind = FL_AGG_COUNT;
    if (s->kind == FL_AGG_AVG) {
      f->kind = FL_AGG_AVG;
      f->count = (int32_t)++c;
      f->arg = child->fields[s->arg].type;
    }
  }
  *out = fl_op_agg_finish(q->cur, a, fin, nk + p->naggs, err);
  if (!*out) {
    fl_op_free(a);
    return err->code ? err->code : FL_EINVAL;
  }
  return FL_OK;
}

static fl_code lower(fl_sql_query *q, const fl_plan *p, fl_op **out, fl_err *err);

/* n copies of the pipeline pipe over src, each built in a new worker context; on
 * error every copy and context made is freed. */
static fl_code lower_copies(fl_sql_query *q, const fl_plan *pipe, fl_scan_source *src, uint32_t n,
                            fl_op **copies, fl_exec_ctx **wctx, fl_err *err) {
  fl_exec_ctx *query_ctx = q->cur;
  fl_code code = FL_OK;
  q->in_worker = true;
  q->src = src;
  for (uint32_t i = 0; i < n && !code; i++) {
    wctx[i] = fl_exec_ctx_worker(query_ctx);
    q->cur = wctx[i];
    code = lower(q, pipe, &copies[i], err);
  }
  q->cur = query_ctx;
  q->in_worker = false;
  q->src = NULL;
  if (code)
    for (uint32_t i = 0; i < n; i++) {
      fl_op_free(copies[i]);
      fl_exec_ctx_worker_free(wctx[i]);
      copies[i] = NULL;
      wctx[i] = NULL;
    }
  return code;
}

/* *done false: p is not (right above) a pipeline; lower it as usual. */
static fl_code lower_parallel(fl_sql_query *q, const fl_plan *p, fl_op **out, bool *done, fl_err *err) {
  const fl_plan *pipe = p, *above, *scan;
  *done = false;
  bool breaker = p->kind == FL_PLAN_AGGREGATE || p->kind == FL_PLAN_DISTINCT ||
                 (p->kind == FL_PLAN_SORT && p->limit != UINT64_MAX);
  if (breaker && pipeline_scan(p->children[0], &above)) pipe = p->children[0];
  if (!(scan = pipeline_scan(pipe, &above))) return FL_OK;
  *done = true;
  fl_scan_opts opts;
  fl_sql_expr *filter =
      scan_setup(q, scan, above && above->kind == FL_PLAN_FILTER ? above->pred : NULL, &opts);
  fl_scan_source *src = fl_scan_source_new(q->cur, (fl_table *)scan->table, &opts, filter, q->threads, err);
  if (!src) return err->code ? err->code : FL_EINVAL;
  q->srcs = fl_realloc(q->srcs, (q->nsrcs + 1) * sizeof *q->srcs);
  q->srcs[q->nsrcs++] = src;
  uint32_t n = fl_scan_source_morsels(src) < q->threads ? fl_scan_source_morsels(src) : q->threads;
  fl_code code;
  q->in_worker = true;
  q->src = src;
  if (n <= 1) { /* one morsel: the query's thread reads it */
    code = lower(q, p, out, err);
    q->in_worker = false;
    q->src = NULL;
    return code;
  }
  fl_op **copies = fl_arena_calloc(&q->arena, n, sizeof *copies);
  fl_exec_ctx **wctx = fl_arena_calloc(&q->arena, n, sizeof *wctx);
  fl_exec_ctx *query_ctx = q->cur;
  par_joins *pj = fl_arena_calloc(&q->arena, 1, sizeof *pj), *outer = q->pj;
  q->pj = pj;
  code = lower_copies(q, pipe, src, n, copies, wctx, err);
  q->pj = outer;
  bool split = !code && pipe != p && (p->kind != FL_PLAN_AGGREGATE || agg_splits(p, copies[0]));
  bool dsplit = !code && !split && p->kind == FL_PLAN_AGGREGATE && agg_distinct_splits(p);
  const fl_op *pipe_out = copies[0]; /* the pipeline's output, under any partial operator */
  fl_op *r = NULL;
  uint32_t *dcols = fl_arena_calloc(&q->arena, p->nkeys + 1, sizeof *dcols);
  for (uint32_t i = 0; i < p->nkeys; i++) dcols[i] = p->pos_keys[i];
  if (dsplit) dcols[p->nkeys] = (uint32_t)p->agg_specs[0].arg;
  for (uint32_t i = 0; i < n && dsplit && !code; i++) { /* each copy's distinct (keys, x) */
    q->cur = wctx[i];
    fl_op *c = copies[i], *d = pick_columns(q, c, dcols, p->nkeys + 1, err);
    copies[i] = d ? fl_op_distinct(q->cur, d, err) : NULL;
    if (!copies[i]) {
      copies[i] = d ? d : c;
      code = err->code ? err->code : FL_EINVAL;
    }
  }
  for (uint32_t i = 0; i < n && split && !code; i++) {
    q->cur = wctx[i];
    fl_op *c = copies[i];
    if (p->kind == FL_PLAN_AGGREGATE) {
      uint32_t np;
      const fl_agg_spec *parts = agg_partials(q, p, &np);
      copies[i] = fl_op_hash_aggregate(q->cur, c, p->pos_keys, p->nkeys, parts, np, err);
    } else if (p->kind == FL_PLAN_DISTINCT) {
      copies[i] = fl_op_distinct(q->cur, c, err);
    } else {
      /* the files likeliest to hold the answer first (before any copy pulls) */
      if (i == 0 && p->limit != UINT64_MAX && !p->pos_order[0].nulls_first)
        fl_scan_source_order_for_topn(c, p->pos_order[0].col, p->pos_order[0].desc);
      copies[i] = fl_op_sort(q->cur, c, p->pos_order, p->norder, p->limit, err);
    }
    if (!copies[i]) {
      copies[i] = c;
      code = err->code ? err->code : FL_EINVAL;
    }
  }
  q->cur = query_ctx;
  fl_op *g = code ? NULL : fl_op_gather(q->cur, copies, wctx, n, err);
  if (!g) {
    for (uint32_t i = 0; i < n; i++) {
      fl_op_free(copies[i]);
      fl_exec_ctx_worker_free(wctx[i]);
    }
    for (uint32_t i = 0; i < pj->n; i++) fl_op_free(pj->join[i]);
    return code ? code : (err->code ? err->code : FL_EINVAL);
  }
  if (pipe == p) {
    r = g;
  } else if (p->kind == FL_PLAN_AGGREGATE && split) {
    if ((code = agg_merge(q, p, pipe_out, g, &r, err))) r = NULL;
  } else if (dsplit) { /* the aggregate over the copies' distinct (keys, x) rows */
    for (uint32_t i = 0; i < p->nkeys; i++) dcols[i] = i;
    fl_agg_spec *specs = fl_arena_memdup(&q->arena, p->agg_specs, p->naggs * sizeof *specs);
    for (uint32_t i = 0; i < p->naggs; i++) specs[i].arg = (int32_t)p->nkeys;
    r = fl_op_hash_aggregate(q->cur, g, dcols, p->nkeys, specs, p->naggs, err);
    if (!r) fl_op_free(g);
  } else {
    switch (p->kind) {
      case FL_PLAN_AGGREGATE:
        r = fl_op_hash_aggregate(q->cur, g, p->pos_keys, p->nkeys, p->agg_specs, p->naggs, err);
        break;
      case FL_PLAN_DISTINCT: r = fl_op_distinct(q->cur, g, err); break;
      default: r = fl_op_sort(q->cur, g, p->pos_order, p->norder, p->limit, err); break;
    }
    if (!r) fl_op_free(g);
  }
  if (r && pj->n && !(*out = fl_op_join_switch(q->cur, r, pj->join, pj->n, lower_serial, q, p, err))) {
    fl_op_free(r); /* the probes before the joins they read */
    r = NULL;
  } else if (r && !pj->n) {
    *out = r;
  }
  if (!r) {
    for (uint32_t i = 0; i < pj->n; i++) fl_op_free(pj->join[i]);
    return code ? code : (err->code ? err->code : FL_EINVAL);
  }
  return FL_OK;
}

static fl_code lower(fl_sql_query *q, const fl_plan *p, fl_op **out, fl_err *err) {
  fl_op *c = NULL;
  fl_code code;
  *out = NULL;
  if (q->threads > 1 && !q->in_worker) {
    bool done;
    code = lower_parallel(q, p, out, &done, err);
    if (code || done) return code;
  }
  switch (p->kind) {
    case FL_PLAN_SCAN: return lower_scan(q, p, NULL, out, err);
    case FL_PLAN_ONE_ROW: {
      /* one row of no columns, kept (and freed) by the query */
      fl_batch *one = fl_batch_new(NULL, 0, 1);
      fl_batch_set_rows(one, 1);
      q->one_rows = fl_realloc(q->one_rows, (q->none_rows + 1) * sizeof *q->one_rows);
      q->one_rows[q->none_rows++] = one;
      const fl_batch **slot = fl_arena_alloc(&q->arena, sizeof *slot);
      *slot = one;
      *out = fl_op_values(q->cur, NULL, 0, slot, 1);
      return FL_OK;
    }
    case FL_PLAN_JOIN: return lower_join(q, p, out, err);
    case FL_PLAN_UNION_ALL: {
      fl_op **kids = fl_arena_calloc(&q->arena, p->nchildren, sizeof *kids);
      for (uint32_t i = 0; i < p->nchildren; i++)
        if ((code = lower(q, p->children[i], &kids[i], err))) {
          for (uint32_t k = 0; k < i; k++) fl_op_free(kids[k]);
          return code;
        }
      *out = fl_op_union_all(q->cur, kids, p->nchildren, err);
      if (!*out) {
        for (uint32_t k = 0; k < p->nchildren; k++) fl_op_free(kids[k]);
        return err->code ? err->code : FL_EINVAL;
      }
      return FL_OK;
    }
    case FL_PLAN_FILTER:
      if (p->children[0]->kind == FL_PLAN_SCAN) return lower_scan(q, p->children[0], p->pred, out, err);
      break;
    default: break;
  }
  if ((code = lower(q, p->children[0], &c, err))) return code;
  switch (p->kind) {
    case FL_PLAN_PROJECT:
      /* no columns (count(*) over a scan, an uncorrelated EXISTS): the parent reads
       * none, so the child's batches serve as they are (their rows are what counts) */
      if (identity_project(p, c) || p->nexprs == 0) {
        *out = c;
        return FL_OK;
      }
      *out = fl_op_project(q->cur, c, (const fl_sql_expr *const *)p->exprs, p->names, p->nexprs, err);
      if (*out) skip_unused(q, p, c);
      break;
    case FL_PLAN_FILTER: *out = fl_op_filter(q->cur, c, p->pred, err); break;
    case FL_PLAN_AGGREGATE:
      *out = fl_op_hash_aggregate(q->cur, c, p->pos_keys, p->nkeys, p->agg_specs, p->naggs, err);
      break;
    case FL_PLAN_DISTINCT: *out = fl_op_distinct(q->cur, c, err); break;
    case FL_PLAN_SORT: *out = fl_op_sort(q->cur, c, p->pos_order, p->norder, p->limit, err); break;
    case FL_PLAN_LIMIT: *out = fl_op_limit(q->cur, c, p->limit, p->offset); break;
    case FL_PLAN_WINDOW:
      *out = fl_op_window(q->cur, c, p->pos_keys, p->nkeys, p->pos_order, p->norder, p->win_specs, p->nwins,
                          err);
      break;
    case FL_PLAN_SINGLE_ROW: {
      fl_op **kids = fl_arena_alloc(&q->arena, sizeof *kids);
      kids[0] = c;
      single_row_op *s =
          (single_row_op *)fl_op_alloc(q->cur, sizeof *s, &single_row_vt, c->fields, c->ncols, kids, 1);
      s->line = (uint32_t)(p->limit >> 32);
      s->col = (uint32_t)p->limit;
      *out = &s->op;
      break;
    }
    default: FL_ASSERT(false, "plan kind %d", p->kind);
  }
  if (!*out) {
    fl_op_free(c);
    return err->code ? err->code : FL_EINVAL;
  }
  return FL_OK;
}

/* ---- the API ---- */

fl_code fl_sql_query_prepare(fl_warehouse *wh, const char *text, size_t len, const fl_sql_query_opts *opts,
                             fl_sql_query **out, fl_err *err) {
  *out = NULL;
  fl_sql_query *q = fl_calloc(1, sizeof *q);
  fl_arena_init(&q->arena, 16384);
  q->wh = wh;
  q->ctx.arena = &q->arena;
  q->cur = &q->ctx;
  if (opts) {
    q->ctx.mem_budget = opts->mem_budget;
    q->ctx.spill_dir = opts->spill_dir;
    q->ctx.cancel = opts->cancel;
    q->threads = opts->threads;
    if (opts->timeout_ms > 0) q->ctx.deadline_ns = fl_mono_ns() + opts->timeout_ms * 1000000;
  }
  fl_code code = fl_sql_parse_statement(text, len, &q->arena, &q->st, err);
  if (code) goto fail;
  fl_sql_catalog cat = {q, cat_table, cat_names};
  if ((code = fl_sql_plan_build(q->st, &cat, &q->arena, &q->plan, err))) goto fail;
  if ((code = lower(q, q->plan, &q->root, err))) goto fail;
  if (q->st->explain) {
    q->explain_field = (fl_field){1, "plan", {FL_T_STRING, 0, 0}, false, NULL};
    q->explain_batch = fl_batch_new(&q->explain_field, 1, 1);
  }
  *out = q;
  return FL_OK;
fail:
  fl_sql_query_free(q);
  return code;
}

const fl_field *fl_sql_query_fields(const fl_sql_query *q, uint32_t *ncols) {
  if (q->st->explain) {
    *ncols = 1;
    return &q->explain_field;
  }
  *ncols = q->root->ncols;
  return q->root->fields;
}

bool fl_sql_query_is_explain(const fl_sql_query *q) { return q->st->explain; }

void fl_sql_query_explain(const fl_sql_query *q, bool analyze, fl_buf *out) {
  fl_op_explain(q->root, analyze, out);
}

fl_code fl_sql_query_next(fl_sql_query *q, const fl_batch **out, fl_err *err) {
  *out = NULL;
  if (!q->st->explain) return fl_op_next(q->root, out, err);
  if (q->explain_done) return FL_OK;
  q->explain_done = true;
  if (q->st->analyze) {
    const fl_batch *b;
    fl_code code;
    do {
      if ((code = fl_op_next(q->root, &b, err))) return code;
    } while (b);
  }
  fl_buf text = {0};
  fl_op_explain(q->root, q->st->analyze, &text);
  fl_batch_reset(q->explain_batch);
  size_t at = 0;
  uint32_t rows = 0;
  while (at < text.len) {
    const char *line = (const char *)text.data + at;
    const char *nl = memchr(line, '\n', text.len - at);
    size_t n = nl ? (size_t)(nl - line) : text.len - at;
    fl_vec_append_str(&q->explain_batch->cols[0], line, (uint32_t)n);
    rows++;
    at += n + (nl ? 1 : 0);
  }
  fl_buf_free(&text);
  fl_batch_set_rows(q->explain_batch, rows);
  *out = rows ? q->explain_batch : NULL;
  return FL_OK;
}

void fl_sql_query_free(fl_sql_query *q) {
  if (!q) return;
  if (q->root) fl_op_free(q->root);
  for (uint32_t i = 0; i < q->nsrcs; i++) fl_scan_source_free(q->srcs[i]);
  fl_free(q->srcs);
  for (uint32_t i = 0; i < q->ntables; i++) fl_table_free(q->tables[i]);
  fl_free(q->tables);
  if (q->explain_batch) fl_batch_free(q->explain_batch);
  for (uint32_t i = 0; i < q->none_rows; i++) fl_batch_free(q->one_rows[i]);
  fl_free(q->one_rows);
  fl_arena_destroy(&q->arena);
  fl_free(q);
}
