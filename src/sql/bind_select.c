/* bind_select.c: the binder: a parsed SELECT (sql.h) -> the logical plan (plan.h).
 *
 * Names resolve through scopes: a FROM item's scope lists (qualifier, name, cid) for
 * each column it gives (the table's name or alias as qualifier; a subquery's alias;
 * USING hides the right side's copy from unqualified names and from *). CTEs are
 * visible to the query that defines them and to the CTEs after them; each reference
 * binds the CTE's query afresh (a view, inlined).
 *
 * A SELECT core binds in SQL's logical order, each step a plan node over the last:
 *   FROM (scans, joins with keys from ON/USING) -> WHERE (conjuncts pushed into the scan
 *   they read, IN/EXISTS subqueries as semi/anti joins) -> GROUP BY / aggregates
 *   (a projection computing keys and arguments, then AGGREGATE) -> HAVING -> windows
 *   (projection, one WINDOW per distinct PARTITION BY/ORDER BY) -> QUALIFY -> the select
 *   list (PROJECT) -> DISTINCT -> ORDER BY (SORT) -> LIMIT/OFFSET.
 * After aggregation, select expressions are rewritten: a subtree equal to a GROUP BY
 * expression becomes that key's column, an aggregate call its result column; any other
 * column left is an error, as in PostgreSQL and DuckDB.
 *
 * Types: every expression is typed with fl_sql_expr_bind against the table of all
 * columns (cids) once its names are resolved (e->field = cid) and its aggregate and
 * window calls replaced by columns. Errors are "line L, column C: ..." at the node.
 *
 * Recursion: query nesting was bounded by the parser (FL_SQL_QUERY_DEPTH_MAX), and
 * every expression walk follows trees of bounded height (FL_SQL_EXPR_DEPTH_MAX).
 * Ownership: plan, copies and names in the arena given to fl_sql_plan_build. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "sql/lexer.h"
#include "sql/plan.h"
#include "sql/sql.h"

typedef struct bcol {
  const char *qual; /* NULL: unqualified only */
  const char *name;
  uint32_t cid;
  bool hidden; /* USING's right copy: by qualified name only, not in * */
} bcol;

typedef struct scope {
  bcol *cols;
  uint32_t n;
} scope;

typedef struct cte_def {
  const fl_sql_cte *cte;
  struct cte_def *next; /* the CTEs defined before it (what its body sees) */
} cte_def;

/* A bound query's output: its plan and the ordered output columns. */
typedef struct rel {
  fl_plan *plan;
  uint32_t *cids;
  const char **names;
  uint32_t n;
} rel;

/* A correlated EXISTS: outer scope and the (outer, inner) equalities found. */
typedef struct corr {
  const scope *outer;
  fl_sql_expr **outer_exprs, **inner_exprs;
  uint32_t n, cap;
  bool used;
  bool scalar; /* a scalar subquery: outer references are only detected (and refused) */
} corr;

typedef struct binder {
  fl_arena *arena;
  fl_err *err;
  const fl_sql_catalog *cat;
  fl_field *cols; /* by cid */
  fl_plan **origin;
  uint32_t ncols, cap;
  cte_def *ctes;
  corr *corr; /* set while binding an EXISTS subquery's core */
} binder;

static fl_code bind_query(binder *b, const fl_sql_select *q, rel *out);

/* ---- helpers ---- */

static fl_code fail(binder *b, fl_code code, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static fl_code fail(binder *b, fl_code code, uint32_t line, uint32_t col, const char *fmt, ...) {
  char msg[FL_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return fl_err_set(b->err, code, "line %u, column %u: %s", line, col, msg);
}

static uint32_t new_cid(binder *b, const char *name, fl_type type, fl_plan *origin) {
  if (b->ncols == b->cap) {
    uint32_t cap = b->cap ? 2 * b->cap : 64;
    fl_field *cols = fl_arena_calloc(b->arena, cap, sizeof *cols);
    fl_plan **org = fl_arena_calloc(b->arena, cap, sizeof *org);
    if (b->ncols) {
      memcpy(cols, b->cols, b->ncols * sizeof *cols);
      memcpy(org, b->origin, b->ncols * sizeof *org);
    }
    b->cols = cols;
    b->origin = org;
    b->cap = cap;
  }
  uint32_t cid = b->ncols++;
  b->cols[cid].id = (int32_t)cid + 1;
  b->cols[cid].name = name;
  b->cols[cid].type = type;
  b->origin[cid] = origin;
  return cid;
}

static fl_schema all_cols(const binder *b) {
  fl_schema s = {0};
  s.nfields = b->ncols;
  s.fields = b->cols;
  return s;
}

static fl_plan *node(binder *b, fl_plan_kind kind, fl_plan *child) {
  fl_plan *p = fl_arena_calloc(b->arena, 1, sizeof *p);
  p->kind = kind;
  p->limit = UINT64_MAX;
  if (child) {
    p->children = fl_arena_alloc(b->arena, sizeof *p->children);
    p->children[0] = child;
    p->nchildren = 1;
    p->cids = child->cids;
    p->ncids = child->ncids;
  }
  return p;
}

static void cids_append(binder *b, fl_plan *p, const uint32_t *add, uint32_t n) {
  uint32_t *c = fl_arena_alloc(b->arena, (p->ncids + n + 1) * sizeof *c);
  if (p->ncids) memcpy(c, p->cids, p->ncids * sizeof *c);
  if (n) memcpy(c + p->ncids, add, n * sizeof *c);
  p->cids = c;
  p->ncids += n;
}

static bool has_cid(const fl_plan *p, uint32_t cid) {
  for (uint32_t i = 0; i < p->ncids; i++)
    if (p->cids[i] == cid) return true;
  return false;
}

static fl_sql_expr *column_expr(binder *b, uint32_t cid, uint32_t line, uint32_t col) {
  fl_sql_expr *e = fl_arena_calloc(b->arena, 1, sizeof *e);
  e->kind = FL_SQL_E_COLUMN;
  e->name = b->cols[cid].name;
  e->field = (int32_t)cid;
  e->rtype = FL_SQL_RT_VALUE;
  e->type = b->cols[cid].type;
  e->height = 1;
  e->line = line;
  e->col = col;
  return e;
}

/* Turns e (in place) into a reference to cid: aggregate and window calls, group keys. */
static void make_column(binder *b, fl_sql_expr *e, uint32_t cid) {
  uint32_t line = e->line, col = e->col;
  memset(e, 0, sizeof *e);
  *e = *column_expr(b, cid, line, col);
}

static fl_sql_select *query_copy(binder *b, const fl_sql_select *q);

/* A deep copy of an expression (subqueries included): binding writes into the tree
 * (resolved fields, aggregate calls turned into columns), so a tree bound twice (a CTE
 * referenced twice, a GROUP BY ordinal's item) is bound as a copy. */
static fl_sql_expr *expr_copy(binder *b, const fl_sql_expr *e) {
  fl_sql_expr *c = fl_arena_alloc(b->arena, sizeof *c);
  *c = *e;
  if (e->query) c->query = query_copy(b, e->query);
  if (e->nargs) {
    c->args = fl_arena_alloc(b->arena, e->nargs * sizeof *c->args);
    for (uint32_t i = 0; i < e->nargs; i++) c->args[i] = expr_copy(b, e->args[i]);
  }
  if (e->filter) c->filter = expr_copy(b, e->filter);
  if (e->over) {
    fl_sql_window *w = fl_arena_alloc(b->arena, sizeof *w);
    *w = *e->over;
    if (w->npartition) {
      w->partition = fl_arena_alloc(b->arena, w->npartition * sizeof *w->partition);
      for (uint32_t i = 0; i < w->npartition; i++) w->partition[i] = expr_copy(b, e->over->partition[i]);
    }
    if (w->norder) {
      w->order = fl_arena_alloc(b->arena, w->norder * sizeof *w->order);
      for (uint32_t i = 0; i < w->norder; i++) {
        w->order[i] = e->over->order[i];
        w->order[i].expr = expr_copy(b, e->over->order[i].expr);
      }
    }
    c->over = w;
  }
  return c;
}

static fl_sql_order_item *order_copy(binder *b, const fl_sql_order_item *items, uint32_t n) {
  if (!n) return NULL;
  fl_sql_order_item *c = fl_arena_alloc(b->arena, n * sizeof *c);
  for (uint32_t i = 0; i < n; i++) {
    c[i] = items[i];
    c[i].expr = expr_copy(b, items[i].expr);
  }
  return c;
}

static fl_sql_expr *maybe_copy(binder *b, const fl_sql_expr *e) { return e ? expr_copy(b, e) : NULL; }

static fl_sql_from *from_copy(binder *b, const fl_sql_from *f) {
  fl_sql_from *c = fl_arena_alloc(b->arena, sizeof *c);
  *c = *f;
  if (f->query) c->query = query_copy(b, f->query);
  if (f->left) c->left = from_copy(b, f->left);
  if (f->right) c->right = from_copy(b, f->right);
  c->on = maybe_copy(b, f->on);
  return c;
}

static fl_sql_body *body_copy(binder *b, const fl_sql_body *body) {
  fl_sql_body *c = fl_arena_alloc(b->arena, sizeof *c);
  *c = *body;
  if (body->query) c->query = query_copy(b, body->query);
  if (body->left) c->left = body_copy(b, body->left);
  if (body->right) c->right = body_copy(b, body->right);
  if (body->core) {
    const fl_sql_select_core *k = body->core;
    fl_sql_select_core *n = fl_arena_alloc(b->arena, sizeof *n);
    *n = *k;
    n->items = fl_arena_alloc(b->arena, (k->nitems + 1) * sizeof *n->items);
    for (uint32_t i = 0; i < k->nitems; i++) {
      n->items[i] = k->items[i];
      n->items[i].expr = maybe_copy(b, k->items[i].expr);
    }
    if (k->from) n->from = from_copy(b, k->from);
    n->where = maybe_copy(b, k->where);
    n->having = maybe_copy(b, k->having);
    n->qualify = maybe_copy(b, k->qualify);
    if (k->ngroup) {
      n->group = fl_arena_alloc(b->arena, k->ngroup * sizeof *n->group);
      for (uint32_t i = 0; i < k->ngroup; i++) n->group[i] = expr_copy(b, k->group[i]);
    }
    c->core = n;
  }
  return c;
}

static fl_sql_select *query_copy(binder *b, const fl_sql_select *q) {
  fl_sql_select *c = fl_arena_alloc(b->arena, sizeof *c);
  *c = *q;
  if (q->nctes) {
    c->ctes = fl_arena_alloc(b->arena, q->nctes * sizeof *c->ctes);
    for (uint32_t i = 0; i < q->nctes; i++) {
      c->ctes[i] = q->ctes[i];
      c->ctes[i].query = query_copy(b, q->ctes[i].query);
    }
  }
  c->body = body_copy(b, q->body);
  c->order = order_copy(b, q->order, q->norder);
  return c;
}

static bool window_equal(const fl_sql_window *a, const fl_sql_window *b);

/* Structural equality of resolved trees (columns by cid). */
static bool expr_equal(const fl_sql_expr *a, const fl_sql_expr *b) {
  if (a->kind != b->kind || a->op != b->op || a->negated != b->negated || a->ilike != b->ilike ||
      a->star != b->star || a->distinct != b->distinct || a->nargs != b->nargs)
    return false;
  switch (a->kind) {
    case FL_SQL_E_LITERAL:
      if (a->lit != b->lit || a->interval_us != b->interval_us) return false;
      if ((a->text == NULL) != (b->text == NULL)) return false;
      if (a->text && strcmp(a->text, b->text) != 0) return false;
      if (a->lit == FL_SQL_LIT_BOOL && a->value.u.b != b->value.u.b) return false;
      break;
    case FL_SQL_E_COLUMN:
      if (a->field != b->field) return false;
      break;
    case FL_SQL_E_FUNC:
      if (strcmp(a->name, b->name) != 0) return false;
      if ((a->filter == NULL) != (b->filter == NULL) || (a->filter && !expr_equal(a->filter, b->filter)))
        return false;
      if ((a->over == NULL) != (b->over == NULL) || (a->over && !window_equal(a->over, b->over)))
        return false;
      break;
    case FL_SQL_E_CAST:
      if (!fl_type_equal(a->cast_type, b->cast_type)) return false;
      break;
    case FL_SQL_E_SUBQUERY:
    case FL_SQL_E_EXISTS: return false;
    default: break;
  }
  if (a->query || b->query) return false;
  for (uint32_t i = 0; i < a->nargs; i++)
    if (!expr_equal(a->args[i], b->args[i])) return false;
  return true;
}

static bool window_equal(const fl_sql_window *a, const fl_sql_window *b) {
  if (a->npartition != b->npartition || a->norder != b->norder || a->has_frame != b->has_frame) return false;
  for (uint32_t i = 0; i < a->npartition; i++)
    if (!expr_equal(a->partition[i], b->partition[i])) return false;
  for (uint32_t i = 0; i < a->norder; i++)
    if (a->order[i].desc != b->order[i].desc || a->order[i].nulls != b->order[i].nulls ||
        !expr_equal(a->order[i].expr, b->order[i].expr))
      return false;
  return true;
}

/* Conjuncts of an AND tree. */
static void conjuncts(binder *b, fl_sql_expr *e, fl_sql_expr ***list, uint32_t *n, uint32_t *cap) {
  if (e->kind == FL_SQL_E_BINARY && e->op == FL_SQL_OP_AND) {
    conjuncts(b, e->args[0], list, n, cap);
    conjuncts(b, e->args[1], list, n, cap);
    return;
  }
  if (*n == *cap) {
    uint32_t c = *cap ? 2 * *cap : 8;
    fl_sql_expr **grown = fl_arena_alloc(b->arena, c * sizeof *grown);
    if (*n) memcpy(grown, *list, *n * sizeof *grown);
    *list = grown;
    *cap = c;
  }
  (*list)[(*n)++] = e;
}

static fl_sql_expr *and_of(binder *b, fl_sql_expr *a, fl_sql_expr *c) {
  if (!a) return c;
  fl_sql_expr *e = fl_arena_calloc(b->arena, 1, sizeof *e);
  e->kind = FL_SQL_E_BINARY;
  e->op = FL_SQL_OP_AND;
  e->args = fl_arena_alloc(b->arena, 2 * sizeof *e->args);
  e->args[0] = a;
  e->args[1] = c;
  e->nargs = 2;
  e->line = c->line;
  e->col = c->col;
  e->field = -1;
  e->height = (a->height > c->height ? a->height : c->height) + 1;
  e->rtype = FL_SQL_RT_VALUE;
  e->type.kind = FL_T_BOOLEAN;
  return e;
}

/* Calls fn(cid) for every column in e (outside subqueries). */
typedef struct cid_set {
  uint32_t *v;
  uint32_t n, cap;
} cid_set;

static void cid_add(binder *b, cid_set *s, uint32_t cid) {
  for (uint32_t i = 0; i < s->n; i++)
    if (s->v[i] == cid) return;
  if (s->n == s->cap) {
    uint32_t c = s->cap ? 2 * s->cap : 8;
    uint32_t *g = fl_arena_alloc(b->arena, c * sizeof *g);
    if (s->n) memcpy(g, s->v, s->n * sizeof *g);
    s->v = g;
    s->cap = c;
  }
  s->v[s->n++] = cid;
}

static void expr_cids(binder *b, const fl_sql_expr *e, cid_set *s) {
  if (e->kind == FL_SQL_E_COLUMN && e->field >= 0) cid_add(b, s, (uint32_t)e->field);
  for (uint32_t i = 0; i < e->nargs; i++) expr_cids(b, e->args[i], s);
  if (e->filter) expr_cids(b, e->filter, s);
  if (e->over) {
    for (uint32_t i = 0; i < e->over->npartition; i++) expr_cids(b, e->over->partition[i], s);
    for (uint32_t i = 0; i < e->over->norder; i++) expr_cids(b, e->over->order[i].expr, s);
  }
}

static bool cids_within(const cid_set *s, const fl_plan *p) {
  for (uint32_t i = 0; i < s->n; i++)
    if (!has_cid(p, s->v[i])) return false;
  return true;
}

/* ---- name resolution ---- */

static void scope_push(binder *b, scope *s, const char *qual, const char *name, uint32_t cid, bool hidden) {
  bcol *cols = fl_arena_alloc(b->arena, (s->n + 1) * sizeof *cols);
  if (s->n) memcpy(cols, s->cols, s->n * sizeof *cols);
  cols[s->n] = (bcol){qual, name, cid, hidden};
  s->cols = cols;
  s->n++;
}

static bool same_name(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* Finds qual.name (qual may be NULL) in s: the index, -1 when absent, -2 ambiguous. */
static int scope_find(const scope *s, const char *qual, const char *name, int *other) {
  int found = -1;
  for (uint32_t i = 0; i < s->n; i++) {
    const bcol *c = &s->cols[i];
    if (!same_name(c->name, name)) continue;
    if (qual ? !same_name(c->qual, qual) : c->hidden) continue;
    if (found >= 0 && s->cols[found].cid != c->cid) {
      *other = (int)i;
      return -2;
    }
    if (found < 0) found = (int)i;
  }
  return found;
}

static fl_code unknown_column(binder *b, const scope *s, const fl_sql_expr *e) {
  const char **names = fl_arena_alloc(b->arena, (s->n + 1) * sizeof *names);
  uint32_t n = 0;
  bool qual_known = e->qualifier == NULL;
  for (uint32_t i = 0; i < s->n; i++) {
    if (e->qualifier && same_name(s->cols[i].qual, e->qualifier)) qual_known = true;
    if (e->qualifier && !same_name(s->cols[i].qual, e->qualifier)) continue;
    names[n++] = s->cols[i].name;
  }
  if (!qual_known) {
    const char **quals = fl_arena_alloc(b->arena, (s->n + 1) * sizeof *quals);
    uint32_t nq = 0;
    for (uint32_t i = 0; i < s->n; i++)
      if (s->cols[i].qual) quals[nq++] = s->cols[i].qual;
    const char *near = fl_sql_closest(e->qualifier, quals, nq);
    if (near)
      return fail(b, FL_EPARSE, e->line, e->col,
                  "unknown table or alias '%s' in '%s.%s' (did you mean '%s'?)", e->qualifier, e->qualifier,
                  e->name, near);
    return fail(b, FL_EPARSE, e->line, e->col, "unknown table or alias '%s' in '%s.%s'", e->qualifier,
                e->qualifier, e->name);
  }
  const char *near = fl_sql_closest(e->name, names, n);
  if (near)
    return fail(b, FL_EPARSE, e->line, e->col, "unknown column '%s%s%s' (did you mean '%s'?)",
                e->qualifier ? e->qualifier : "", e->qualifier ? "." : "", e->name, near);
  return fail(b, FL_EPARSE, e->line, e->col, "unknown column '%s%s%s'", e->qualifier ? e->qualifier : "",
              e->qualifier ? "." : "", e->name);
}

static fl_code resolve_column(binder *b, const scope *s, fl_sql_expr *e) {
  if (e->field >= 0) return FL_OK; /* an output alias's expression, resolved already */
  int other = -1;
  int i = scope_find(s, e->qualifier, e->name, &other);
  if (i == -2) {
    int first = scope_find(&(scope){s->cols, (uint32_t)other}, e->qualifier, e->name, &(int){0});
    const bcol *a = &s->cols[first >= 0 ? first : 0], *c = &s->cols[other];
    return fail(b, FL_EPARSE, e->line, e->col, "column reference '%s' is ambiguous (%s.%s or %s.%s)", e->name,
                a->qual ? a->qual : "?", a->name, c->qual ? c->qual : "?", c->name);
  }
  if (i == -1 && b->corr) {
    i = scope_find(b->corr->outer, e->qualifier, e->name, &other);
    if (i >= 0) {
      e->field = (int32_t)b->corr->outer->cols[i].cid;
      b->corr->used = true;
      return FL_OK;
    }
  }
  if (i < 0) return unknown_column(b, s, e);
  e->field = (int32_t)s->cols[i].cid;
  return FL_OK;
}

/* Resolves every column of e (and of its aggregate/window parts) in s. Subqueries are
 * the caller's (WHERE's IN/EXISTS); anywhere else they are refused here. */
static fl_code resolve(binder *b, const scope *s, fl_sql_expr *e) {
  if (e->kind == FL_SQL_E_SUBQUERY || e->query)
    return fail(
        b, FL_EUNSUPPORTED, e->line, e->col,
        "a subquery is supported here only in WHERE (as a value, x [NOT] IN (SELECT ...), [NOT] EXISTS "
        "(SELECT ...)) and as a value in the SELECT list; use a JOIN or a WITH query");
  if (e->kind == FL_SQL_E_EXISTS)
    return fail(b, FL_EUNSUPPORTED, e->line, e->col, "EXISTS is supported only as a condition of WHERE");
  if (e->kind == FL_SQL_E_COLUMN) return resolve_column(b, s, e);
  for (uint32_t i = 0; i < e->nargs; i++) {
    fl_code code = resolve(b, s, e->args[i]);
    if (code) return code;
  }
  if (e->filter) {
    fl_code code = resolve(b, s, e->filter);
    if (code) return code;
  }
  if (e->over) {
    for (uint32_t i = 0; i < e->over->npartition; i++) {
      fl_code code = resolve(b, s, e->over->partition[i]);
      if (code) return code;
    }
    for (uint32_t i = 0; i < e->over->norder; i++) {
      fl_code code = resolve(b, s, e->over->order[i].expr);
      if (code) return code;
    }
  }
  return FL_OK;
}

static fl_code type_check(binder *b, fl_sql_expr *e) {
  fl_schema s = all_cols(b);
  return fl_sql_expr_bind(e, &s, b->err);
}

static fl_code want_boolean(binder *b, fl_sql_expr *e, const char *clause) {
  fl_code code = type_check(b, e);
  if (code) return code;
  if (e->rtype == FL_SQL_RT_NULL || (e->rtype == FL_SQL_RT_VALUE && e->type.kind == FL_T_BOOLEAN))
    return FL_OK;
  char t[32];
  fl_sql_type_format(e->type, t, sizeof t);
  return fail(b, FL_EPARSE, e->line, e->col, "%s must be BOOLEAN, not %s", clause,
              e->rtype == FL_SQL_RT_INTERVAL ? "INTERVAL" : t);
}

/* ---- aggregates and windows ---- */

static bool agg_kind_of(const fl_sql_expr *e, fl_agg_kind *kind) {
  if (e->kind != FL_SQL_E_FUNC || e->over) return false;
  const char *n = e->name;
  if (!strcmp(n, "count"))
    *kind = e->star || e->nargs == 0 ? FL_AGG_COUNT_STAR : e->distinct ? FL_AGG_COUNT_DISTINCT : FL_AGG_COUNT;
  else if (!strcmp(n, "sum"))
    *kind = FL_AGG_SUM;
  else if (!strcmp(n, "avg") || !strcmp(n, "mean"))
    *kind = FL_AGG_AVG;
  else if (!strcmp(n, "min"))
    *kind = FL_AGG_MIN;
  else if (!strcmp(n, "max"))
    *kind = FL_AGG_MAX;
  else if (!strcmp(n, "approx_count_distinct"))
    *kind = FL_AGG_APPROX_COUNT_DISTINCT;
  else
    return false;
  return true;
}

static bool contains_agg(const fl_sql_expr *e) {
  fl_agg_kind k;
  if (agg_kind_of(e, &k)) return true;
  for (uint32_t i = 0; i < e->nargs; i++)
    if (contains_agg(e->args[i])) return true;
  if (e->over) {
    for (uint32_t i = 0; i < e->over->npartition; i++)
      if (contains_agg(e->over->partition[i])) return true;
    for (uint32_t i = 0; i < e->over->norder; i++)
      if (contains_agg(e->over->order[i].expr)) return true;
  }
  return false;
}

static bool contains_window(const fl_sql_expr *e) {
  if (e->kind == FL_SQL_E_FUNC && e->over) return true;
  for (uint32_t i = 0; i < e->nargs; i++)
    if (contains_window(e->args[i])) return true;
  return false;
}

static const char *type_text(binder *b, const fl_sql_expr *e) {
  char *t = fl_arena_alloc(b->arena, 32);
  if (e->rtype == FL_SQL_RT_NULL)
    snprintf(t, 32, "NULL");
  else if (e->rtype == FL_SQL_RT_INTERVAL)
    snprintf(t, 32, "INTERVAL");
  else
    fl_sql_type_format(e->type, t, 32);
  return t;
}

static bool is_number(fl_type_kind k) {
  return k == FL_T_INT || k == FL_T_BIGINT || k == FL_T_FLOAT || k == FL_T_DOUBLE || k == FL_T_DECIMAL;
}

/* The result type of an aggregate (or window aggregate) over arg (NULL for count(*)). */
static fl_code agg_type(binder *b, const fl_sql_expr *call, fl_agg_kind kind, const fl_sql_expr *arg,
                        fl_type *t) {
  memset(t, 0, sizeof *t);
  switch (kind) {
    case FL_AGG_COUNT_STAR:
    case FL_AGG_COUNT:
    case FL_AGG_COUNT_DISTINCT:
    case FL_AGG_APPROX_COUNT_DISTINCT: t->kind = FL_T_BIGINT; return FL_OK;
    case FL_AGG_SUM:
    case FL_AGG_AVG:
      if (arg->rtype != FL_SQL_RT_VALUE || !is_number(arg->type.kind))
        return fail(b, FL_EPARSE, call->line, call->col, "%s(%s) is not defined: %s needs a number",
                    call->name, type_text(b, arg), call->name);
      if (kind == FL_AGG_AVG || arg->type.kind == FL_T_FLOAT || arg->type.kind == FL_T_DOUBLE) {
        t->kind = FL_T_DOUBLE;
      } else {
        t->kind = FL_T_DECIMAL;
        t->precision = FL_DECIMAL_PRECISION_MAX;
        t->scale = arg->type.kind == FL_T_DECIMAL ? arg->type.scale : 0;
      }
      return FL_OK;
    case FL_AGG_MIN:
    case FL_AGG_MAX:
      if (arg->rtype != FL_SQL_RT_VALUE)
        return fail(b, FL_EPARSE, call->line, call->col, "%s(%s) needs a typed argument", call->name,
                    type_text(b, arg));
      *t = arg->type;
      return FL_OK;
  }
  return FL_EINVAL;
}

/* The aggregation of one SELECT core: pre-projection entries, keys, aggregates. */
typedef struct agg_ctx {
  fl_plan *pre; /* PROJECT under the aggregate */
  fl_sql_expr **keys;
  uint32_t *key_cids;
  uint32_t nkeys;
  fl_plan_agg *aggs;
  fl_sql_expr **agg_calls; /* the (resolved, bound) calls, for dedupe */
  uint32_t naggs, cap;
} agg_ctx;

/* Adds expression e to the PROJECT pre (or reuses a column / an equal entry); its cid. */
static uint32_t pre_column(binder *b, fl_plan *pre, fl_sql_expr *e, const char *name) {
  if (e->kind == FL_SQL_E_COLUMN) {
    /* passed through under its own cid, as a node of its own (finalize rewrites it) */
    uint32_t cid = (uint32_t)e->field;
    for (uint32_t i = 0; i < pre->nexprs; i++)
      if (pre->proj_cids[i] == cid) return cid;
    e = column_expr(b, cid, e->line, e->col);
    name = b->cols[cid].name;
  }
  for (uint32_t i = 0; i < pre->nexprs; i++)
    if (e->kind != FL_SQL_E_COLUMN && expr_equal(pre->exprs[i], e)) return pre->proj_cids[i];
  uint32_t cid = e->kind == FL_SQL_E_COLUMN ? (uint32_t)e->field : new_cid(b, name, e->type, NULL);
  uint32_t n = pre->nexprs + 1;
  fl_sql_expr **exprs = fl_arena_alloc(b->arena, n * sizeof *exprs);
  uint32_t *cids = fl_arena_alloc(b->arena, n * sizeof *cids);
  const char **names = fl_arena_alloc(b->arena, n * sizeof *names);
  if (pre->nexprs) {
    memcpy(exprs, pre->exprs, pre->nexprs * sizeof *exprs);
    memcpy(cids, pre->proj_cids, pre->nexprs * sizeof *cids);
    memcpy(names, pre->names, pre->nexprs * sizeof *names);
  }
  exprs[n - 1] = e;
  cids[n - 1] = cid;
  names[n - 1] = name;
  pre->exprs = exprs;
  pre->proj_cids = cids;
  pre->names = names;
  pre->nexprs = n;
  cids_append(b, pre, &cid, 1);
  return cid;
}

static const char *expr_name(binder *b, const fl_sql_expr *e) {
  if (e->kind == FL_SQL_E_COLUMN) return e->name;
  if (e->kind == FL_SQL_E_FUNC && e->star && !strcmp(e->name, "count") && !e->over && !e->filter)
    return "count_star()";
  fl_buf out = {0};
  fl_sql_expr_format(e, 0, &out);
  char *s = fl_arena_strndup(b->arena, (const char *)out.data, out.len);
  fl_buf_free(&out);
  return s;
}

/* Replaces every aggregate call in e by its result column (descending into window
 * calls' arguments and specs, which run after aggregation). */
static fl_code extract_aggs(binder *b, agg_ctx *a, fl_sql_expr *e) {
  fl_agg_kind kind;
  if (agg_kind_of(e, &kind)) {
    for (uint32_t i = 0; i < e->nargs; i++)
      if (contains_agg(e->args[i]) || contains_window(e->args[i]))
        return fail(b, FL_EPARSE, e->line, e->col,
                    "aggregate function calls cannot be nested: %s(...) inside %s(...)",
                    "an aggregate or window", e->name);
    uint32_t want = kind == FL_AGG_COUNT_STAR ? 0 : 1;
    if (e->nargs != want)
      return fail(b, FL_EPARSE, e->line, e->col, "%s takes %s", e->name,
                  want ? "one argument" : "* (count(*)) or one argument");
    if (e->distinct && kind != FL_AGG_COUNT_DISTINCT)
      return fail(b, FL_EUNSUPPORTED, e->line, e->col,
                  "%s(DISTINCT ...) is not supported (count(DISTINCT ...) is)", e->name);
    const char *name = expr_name(b, e);
    for (uint32_t i = 0; i < a->naggs; i++)
      if (expr_equal(a->agg_calls[i], e)) {
        make_column(b, e, a->aggs[i].out);
        return FL_OK;
      }
    fl_sql_expr *orig = expr_copy(b, e);
    fl_code code;
    fl_sql_expr *arg = want ? e->args[0] : NULL;
    if (arg && (code = type_check(b, arg))) return code;
    if (e->filter && (code = want_boolean(b, e->filter, "FILTER (WHERE ...)"))) return code;
    fl_type t;
    if ((code = agg_type(b, e, kind, arg, &t))) return code;
    if (a->naggs == a->cap) {
      uint32_t cap = a->cap ? 2 * a->cap : 8;
      fl_plan_agg *aggs = fl_arena_alloc(b->arena, cap * sizeof *aggs);
      fl_sql_expr **calls = fl_arena_alloc(b->arena, cap * sizeof *calls);
      if (a->naggs) {
        memcpy(aggs, a->aggs, a->naggs * sizeof *aggs);
        memcpy(calls, a->agg_calls, a->naggs * sizeof *calls);
      }
      a->aggs = aggs;
      a->agg_calls = calls;
      a->cap = cap;
    }
    fl_plan_agg *g = &a->aggs[a->naggs];
    memset(g, 0, sizeof *g);
    g->kind = kind;
    g->arg = arg ? pre_column(b, a->pre, arg, expr_name(b, arg)) : 0;
    g->filter = e->filter ? (int64_t)pre_column(b, a->pre, e->filter, "filter") : -1;
    g->out = new_cid(b, name, t, NULL);
    a->agg_calls[a->naggs++] = orig;
    make_column(b, e, g->out);
    return FL_OK;
  }
  if (e->filter && !(e->kind == FL_SQL_E_FUNC && e->over))
    return fail(b, FL_EPARSE, e->line, e->col,
                "FILTER (WHERE ...) applies only to aggregate functions, not %s", e->name);
  for (uint32_t i = 0; i < e->nargs; i++) {
    fl_code code = extract_aggs(b, a, e->args[i]);
    if (code) return code;
  }
  if (e->over) {
    for (uint32_t i = 0; i < e->over->npartition; i++) {
      fl_code code = extract_aggs(b, a, e->over->partition[i]);
      if (code) return code;
    }
    for (uint32_t i = 0; i < e->over->norder; i++) {
      fl_code code = extract_aggs(b, a, e->over->order[i].expr);
      if (code) return code;
    }
  }
  return FL_OK;
}

/* After aggregation: subtrees equal to a key become the key's column; columns that are
 * neither keys nor aggregate results are errors. */
static fl_code match_keys(binder *b, const agg_ctx *a, fl_sql_expr *e) {
  for (uint32_t i = 0; i < a->nkeys; i++)
    if (expr_equal(a->keys[i], e)) {
      make_column(b, e, a->key_cids[i]);
      return FL_OK;
    }
  if (e->kind == FL_SQL_E_COLUMN) {
    for (uint32_t i = 0; i < a->naggs; i++)
      if ((uint32_t)e->field == a->aggs[i].out) return FL_OK;
    for (uint32_t i = 0; i < a->nkeys; i++)
      if ((uint32_t)e->field == a->key_cids[i]) return FL_OK;
    return fail(b, FL_EPARSE, e->line, e->col,
                "column '%s' must appear in the GROUP BY clause or be used in an aggregate function",
                e->name);
  }
  for (uint32_t i = 0; i < e->nargs; i++) {
    fl_code code = match_keys(b, a, e->args[i]);
    if (code) return code;
  }
  if (e->over) {
    for (uint32_t i = 0; i < e->over->npartition; i++) {
      fl_code code = match_keys(b, a, e->over->partition[i]);
      if (code) return code;
    }
    for (uint32_t i = 0; i < e->over->norder; i++) {
      fl_code code = match_keys(b, a, e->over->order[i].expr);
      if (code) return code;
    }
  }
  return FL_OK;
}

/* Windows: one WINDOW node per distinct (PARTITION BY, ORDER BY). */
typedef struct win_ctx {
  fl_plan *pre;
  fl_plan **nodes;
  const fl_sql_window **specs; /* per node */
  uint32_t n, cap;
  fl_sql_expr **calls; /* every call so far (copies, for dedupe) and its result */
  uint32_t *call_cids;
  uint32_t ncalls;
} win_ctx;

static bool win_kind_of(const fl_sql_expr *e, fl_win_kind *k, uint32_t *min_args, uint32_t *max_args) {
  static const struct {
    const char *name;
    fl_win_kind kind;
    uint32_t lo, hi;
  } fns[] = {{"row_number", FL_WIN_ROW_NUMBER, 0, 0},
             {"rank", FL_WIN_RANK, 0, 0},
             {"dense_rank", FL_WIN_DENSE_RANK, 0, 0},
             {"lag", FL_WIN_LAG, 1, 3},
             {"lead", FL_WIN_LEAD, 1, 3},
             {"sum", FL_WIN_SUM, 1, 1},
             {"avg", FL_WIN_AVG, 1, 1},
             {"mean", FL_WIN_AVG, 1, 1},
             {"min", FL_WIN_MIN, 1, 1},
             {"max", FL_WIN_MAX, 1, 1}};
  if (!strcmp(e->name, "count")) {
    *k = e->star || e->nargs == 0 ? FL_WIN_COUNT_STAR : FL_WIN_COUNT;
    *min_args = *k == FL_WIN_COUNT ? 1 : 0;
    *max_args = *min_args;
    return true;
  }
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if (!strcmp(e->name, fns[i].name)) {
      *k = fns[i].kind;
      *min_args = fns[i].lo;
      *max_args = fns[i].hi;
      return true;
    }
  return false;
}

static fl_code check_frame(binder *b, const fl_sql_expr *e, fl_win_kind kind) {
  const fl_sql_window *w = e->over;
  if (!w->has_frame || kind == FL_WIN_ROW_NUMBER || kind == FL_WIN_RANK || kind == FL_WIN_DENSE_RANK ||
      kind == FL_WIN_LAG || kind == FL_WIN_LEAD)
    return FL_OK;
  fl_sql_frame_bound end = w->end == FL_SQL_BOUND_NONE ? FL_SQL_BOUND_CURRENT_ROW : w->end;
  bool running = w->start == FL_SQL_BOUND_UNBOUNDED_PRECEDING && end == FL_SQL_BOUND_CURRENT_ROW;
  bool whole = w->start == FL_SQL_BOUND_UNBOUNDED_PRECEDING && end == FL_SQL_BOUND_UNBOUNDED_FOLLOWING;
  /* the executor's frames: RANGE up to the current row's peers with ORDER BY (ROWS the
   * same when the order has no ties: not known here, so refused), the partition without */
  if ((w->norder && running && !w->frame_rows) || (!w->norder && (whole || running))) return FL_OK;
  return fail(b, FL_EUNSUPPORTED, w->line, w->col,
              "this window frame is not supported: use the default (RANGE BETWEEN UNBOUNDED PRECEDING AND "
              "CURRENT ROW with ORDER BY, the whole partition without)");
}

static fl_code extract_windows(binder *b, win_ctx *wc, fl_sql_expr *e) {
  for (uint32_t i = 0; i < e->nargs; i++) {
    fl_code code = extract_windows(b, wc, e->args[i]);
    if (code) return code;
  }
  if (!(e->kind == FL_SQL_E_FUNC && e->over)) return FL_OK;
  fl_win_kind kind;
  uint32_t lo, hi;
  if (!win_kind_of(e, &kind, &lo, &hi))
    return fail(
        b, FL_EUNSUPPORTED, e->line, e->col,
        "%s() is not a window function (row_number, rank, dense_rank, lag, lead, count, sum, avg, min, "
        "max are)",
        e->name);
  if (e->nargs < lo || e->nargs > hi)
    return fail(b, FL_EPARSE, e->line, e->col, "%s() takes %u%s argument%s", e->name, lo,
                hi > lo ? " to 3" : "", hi == 1 ? "" : "s");
  if (e->distinct || e->filter)
    return fail(b, FL_EUNSUPPORTED, e->line, e->col,
                "DISTINCT and FILTER are not supported in window functions");
  fl_code code = check_frame(b, e, kind);
  if (code) return code;
  for (uint32_t i = 0; i < wc->ncalls; i++)
    if (expr_equal(wc->calls[i], e)) {
      make_column(b, e, wc->call_cids[i]);
      return FL_OK;
    }
  fl_sql_expr *orig = expr_copy(b, e);
  for (uint32_t i = 0; i < e->nargs; i++)
    if (contains_window(e->args[i]))
      return fail(b, FL_EPARSE, e->line, e->col, "window function calls cannot be nested");
  /* the node for this window */
  uint32_t at = 0;
  while (at < wc->n && !window_equal(wc->specs[at], e->over)) at++;
  fl_plan *wn;
  if (at == wc->n) {
    if (wc->n == wc->cap) {
      uint32_t cap = wc->cap ? 2 * wc->cap : 4;
      fl_plan **nodes = fl_arena_alloc(b->arena, cap * sizeof *nodes);
      const fl_sql_window **specs = fl_arena_alloc(b->arena, cap * sizeof *specs);
      if (wc->n) {
        memcpy(nodes, wc->nodes, wc->n * sizeof *nodes);
        memcpy(specs, wc->specs, wc->n * sizeof *specs);
      }
      wc->nodes = nodes;
      wc->specs = specs;
      wc->cap = cap;
    }
    wn = fl_arena_calloc(b->arena, 1, sizeof *wn);
    wn->kind = FL_PLAN_WINDOW;
    const fl_sql_window *w = e->over;
    wn->keys = fl_arena_alloc(b->arena, (w->npartition + 1) * sizeof *wn->keys);
    for (uint32_t i = 0; i < w->npartition; i++) {
      if ((code = type_check(b, w->partition[i]))) return code;
      wn->keys[i] = pre_column(b, wc->pre, w->partition[i], expr_name(b, w->partition[i]));
    }
    wn->nkeys = w->npartition;
    wn->order = fl_arena_alloc(b->arena, (w->norder + 1) * sizeof *wn->order);
    for (uint32_t i = 0; i < w->norder; i++) {
      if ((code = type_check(b, w->order[i].expr))) return code;
      wn->order[i].cid = pre_column(b, wc->pre, w->order[i].expr, expr_name(b, w->order[i].expr));
      wn->order[i].desc = w->order[i].desc;
      wn->order[i].nulls_first = w->order[i].nulls == FL_SQL_NULLS_FIRST;
    }
    wn->norder = w->norder;
    wc->nodes[wc->n] = wn;
    wc->specs[wc->n++] = w;
  } else {
    wn = wc->nodes[at];
  }
  const char *name = expr_name(b, e);
  fl_plan_win spec = {kind, -1, 1, -1, 0};
  fl_type t = {FL_T_BIGINT, 0, 0};
  if (e->nargs) {
    if ((code = type_check(b, e->args[0]))) return code;
    spec.arg = pre_column(b, wc->pre, e->args[0], expr_name(b, e->args[0]));
  }
  switch (kind) {
    case FL_WIN_LAG:
    case FL_WIN_LEAD:
      if (e->nargs >= 2) {
        const fl_sql_expr *n = e->args[1];
        if (n->kind != FL_SQL_E_LITERAL || n->lit != FL_SQL_LIT_INT || n->value.u.i64 < 0)
          return fail(b, FL_EPARSE, n->line, n->col,
                      "the offset of %s() must be a non-negative integer literal", e->name);
        spec.offset = n->value.u.i64;
      }
      if (e->args[0]->rtype != FL_SQL_RT_VALUE)
        return fail(b, FL_EPARSE, e->line, e->col, "%s() needs a typed argument", e->name);
      t = e->args[0]->type;
      if (e->nargs == 3) {
        fl_sql_expr *d = e->args[2];
        if ((code = type_check(b, d))) return code;
        if (d->rtype == FL_SQL_RT_VALUE && !fl_type_equal(d->type, t)) {
          fl_sql_expr *cast = fl_arena_calloc(b->arena, 1, sizeof *cast);
          cast->kind = FL_SQL_E_CAST;
          cast->cast_type = t;
          cast->args = fl_arena_alloc(b->arena, sizeof *cast->args);
          cast->args[0] = d;
          cast->nargs = 1;
          cast->line = d->line;
          cast->col = d->col;
          cast->field = -1;
          cast->height = d->height + 1;
          if ((code = type_check(b, cast))) return code;
          d = cast;
        }
        if (d->rtype == FL_SQL_RT_VALUE) spec.dflt = pre_column(b, wc->pre, d, "default");
      }
      break;
    case FL_WIN_COUNT_STAR:
    case FL_WIN_COUNT:
    case FL_WIN_ROW_NUMBER:
    case FL_WIN_RANK:
    case FL_WIN_DENSE_RANK: break;
    case FL_WIN_SUM:
    case FL_WIN_AVG:
    case FL_WIN_MIN:
    case FL_WIN_MAX: {
      fl_agg_kind ak = kind == FL_WIN_SUM   ? FL_AGG_SUM
                       : kind == FL_WIN_AVG ? FL_AGG_AVG
                       : kind == FL_WIN_MIN ? FL_AGG_MIN
                                            : FL_AGG_MAX;
      if ((code = agg_type(b, e, ak, e->args[0], &t))) return code;
      break;
    }
  }
  spec.out = new_cid(b, name, t, NULL);
  fl_plan_win *wins = fl_arena_alloc(b->arena, (wn->nwins + 1) * sizeof *wins);
  if (wn->nwins) memcpy(wins, wn->wins, wn->nwins * sizeof *wins);
  wins[wn->nwins++] = spec;
  wn->wins = wins;
  fl_sql_expr **calls = fl_arena_alloc(b->arena, (wc->ncalls + 1) * sizeof *calls);
  uint32_t *call_cids = fl_arena_alloc(b->arena, (wc->ncalls + 1) * sizeof *call_cids);
  if (wc->ncalls) {
    memcpy(calls, wc->calls, wc->ncalls * sizeof *calls);
    memcpy(call_cids, wc->call_cids, wc->ncalls * sizeof *call_cids);
  }
  calls[wc->ncalls] = orig;
  call_cids[wc->ncalls++] = spec.out;
  wc->calls = calls;
  wc->call_cids = call_cids;
  make_column(b, e, spec.out);
  return FL_OK;
}

/* ---- FROM ---- */

static fl_code bind_from(binder *b, const fl_sql_from *f, fl_plan **out, scope *sc);

static void mark_nullable(fl_plan *p) {
  if (p->kind == FL_PLAN_SCAN) p->nullable = true;
  for (uint32_t i = 0; i < p->nchildren; i++) mark_nullable(p->children[i]);
}

static const cte_def *find_cte(const binder *b, const char *name) {
  for (const cte_def *d = b->ctes; d; d = d->next)
    if (!strcmp(d->cte->name, name)) return d;
  return NULL;
}

static fl_code scope_of_rel(binder *b, const rel *r, const char *qual, const char *const *aliases,
                            uint32_t naliases, const fl_sql_from *f, scope *sc) {
  if (naliases > r->n)
    return fail(b, FL_EPARSE, f->line, f->col, "%u column aliases given for %u columns", naliases, r->n);
  for (uint32_t i = 0; i < r->n; i++)
    scope_push(b, sc, qual, i < naliases ? aliases[i] : r->names[i], r->cids[i], false);
  return FL_OK;
}

static fl_code bind_table(binder *b, const fl_sql_from *f, fl_plan **out, scope *sc) {
  const char *qual = f->alias ? f->alias : f->name;
  const cte_def *d = f->ns || f->as_of ? NULL : find_cte(b, f->name);
  fl_code code;
  if (d) {
    cte_def *saved = b->ctes;
    corr *saved_corr = b->corr;
    b->ctes = d->next;
    b->corr = NULL;
    rel r;
    code = bind_query(b, query_copy(b, d->cte->query), &r); /* each reference binds its own copy */
    b->ctes = saved;
    b->corr = saved_corr;
    if (code) return code;
    const char *const *aliases = f->ncol_aliases ? f->col_aliases : d->cte->col_aliases;
    uint32_t naliases = f->ncol_aliases ? f->ncol_aliases : d->cte->ncol_aliases;
    if ((code = scope_of_rel(b, &r, qual, aliases, naliases, f, sc))) return code;
    *out = r.plan;
    return FL_OK;
  }
  const fl_schema *schema = NULL;
  void *handle = NULL;
  fl_err terr = {0};
  code = b->cat->table(b->cat->ud, f, &schema, &handle, &terr);
  if (code == FL_ENOENT) {
    const char **names = NULL;
    uint32_t n = b->cat->names ? b->cat->names(b->cat->ud, f->ns, b->arena, &names) : 0;
    const char *near = fl_sql_closest(f->name, names, n);
    if (near)
      return fail(b, FL_ENOENT, f->line, f->col, "unknown table '%s%s%s' (did you mean '%s'?)",
                  f->ns ? f->ns : "", f->ns ? "." : "", f->name, near);
    return fail(b, FL_ENOENT, f->line, f->col, "unknown table '%s%s%s'", f->ns ? f->ns : "", f->ns ? "." : "",
                f->name);
  }
  if (code) return fail(b, code, f->line, f->col, "%s", terr.msg);
  if (f->ncol_aliases > schema->nfields)
    return fail(b, FL_EPARSE, f->line, f->col, "%u column aliases given for %u columns", f->ncol_aliases,
                schema->nfields);
  fl_plan *p = node(b, FL_PLAN_SCAN, NULL);
  p->from = f;
  p->table_schema = schema;
  p->table = handle;
  p->first_cid = b->ncols;
  uint32_t *cids = fl_arena_alloc(b->arena, (schema->nfields + 1) * sizeof *cids);
  for (uint32_t i = 0; i < schema->nfields; i++) {
    const char *name = i < f->ncol_aliases ? f->col_aliases[i] : schema->fields[i].name;
    cids[i] = new_cid(b, name, schema->fields[i].type, p);
    scope_push(b, sc, qual, name, cids[i], false);
  }
  p->cids = cids;
  p->ncids = schema->nfields;
  *out = p;
  return FL_OK;
}

/* A PROJECT over child that passes every child column through and can take more
 * (pre_column): for join keys and window arguments computed from expressions. */
static fl_plan *passthrough(binder *b, fl_plan *child) {
  fl_plan *p = node(b, FL_PLAN_PROJECT, child);
  p->passthru = true;
  p->nexprs = child->ncids;
  p->exprs = fl_arena_alloc(b->arena, (p->nexprs + 1) * sizeof *p->exprs);
  p->proj_cids = fl_arena_alloc(b->arena, (p->nexprs + 1) * sizeof *p->proj_cids);
  p->names = fl_arena_alloc(b->arena, (p->nexprs + 1) * sizeof *p->names);
  for (uint32_t i = 0; i < child->ncids; i++) {
    p->exprs[i] = column_expr(b, child->cids[i], 0, 0);
    p->proj_cids[i] = child->cids[i];
    p->names[i] = b->cols[child->cids[i]].name;
  }
  return p;
}

/* The type both sides of an equality convert to, for join keys; false if none. */
static bool common_type(fl_type a, fl_type c, fl_type *t) {
  if (fl_type_equal(a, c)) {
    *t = a;
    return true;
  }
  if (is_number(a.kind) && is_number(c.kind)) {
    memset(t, 0, sizeof *t);
    if (a.kind == FL_T_DOUBLE || c.kind == FL_T_DOUBLE || a.kind == FL_T_FLOAT || c.kind == FL_T_FLOAT) {
      t->kind = FL_T_DOUBLE;
    } else if (a.kind == FL_T_DECIMAL || c.kind == FL_T_DECIMAL) {
      unsigned sa = a.kind == FL_T_DECIMAL ? a.scale : 0, sc = c.kind == FL_T_DECIMAL ? c.scale : 0;
      unsigned ia = a.kind == FL_T_DECIMAL ? a.precision - a.scale : a.kind == FL_T_INT ? 10 : 19;
      unsigned ic = c.kind == FL_T_DECIMAL ? c.precision - c.scale : c.kind == FL_T_INT ? 10 : 19;
      unsigned s = sa > sc ? sa : sc, i = ia > ic ? ia : ic;
      if (i + s > FL_DECIMAL_PRECISION_MAX) i = FL_DECIMAL_PRECISION_MAX - s;
      t->kind = FL_T_DECIMAL;
      t->precision = (uint8_t)(i + s);
      t->scale = (uint8_t)s;
    } else {
      t->kind = FL_T_BIGINT;
    }
    return true;
  }
  if (fl_type_is_string(a.kind) && fl_type_is_string(c.kind)) {
    memset(t, 0, sizeof *t);
    t->kind = FL_T_STRING;
    return true;
  }
  if ((a.kind == FL_T_DATE || a.kind == FL_T_TIMESTAMP) &&
      (c.kind == FL_T_DATE || c.kind == FL_T_TIMESTAMP)) {
    memset(t, 0, sizeof *t);
    t->kind = FL_T_TIMESTAMP;
    return true;
  }
  return false;
}

static fl_sql_expr *cast_to(binder *b, fl_sql_expr *e, fl_type t) {
  if (e->rtype == FL_SQL_RT_VALUE && fl_type_equal(e->type, t)) return e;
  fl_sql_expr *c = fl_arena_calloc(b->arena, 1, sizeof *c);
  c->kind = FL_SQL_E_CAST;
  c->cast_type = t;
  c->args = fl_arena_alloc(b->arena, sizeof *c->args);
  c->args[0] = e;
  c->nargs = 1;
  c->line = e->line;
  c->col = e->col;
  c->field = -1;
  c->height = e->height + 1;
  c->rtype = FL_SQL_RT_VALUE;
  c->type = t;
  return c;
}

/* Adds l = r as a key of join j (l over j's left child, r over its right), computing
 * expressions and casts into passthrough projections under the join. */
static fl_code add_join_key(binder *b, fl_plan *j, fl_sql_expr *l, fl_sql_expr *r, const fl_sql_expr *at) {
  fl_code code;
  if ((code = type_check(b, l)) || (code = type_check(b, r))) return code;
  fl_type t;
  if (l->rtype != FL_SQL_RT_VALUE || r->rtype != FL_SQL_RT_VALUE || !common_type(l->type, r->type, &t))
    return fail(b, FL_EPARSE, at->line, at->col, "cannot join on %s = %s: the types do not compare",
                type_text(b, l), type_text(b, r));
  l = cast_to(b, l, t);
  r = cast_to(b, r, t);
  fl_sql_expr *side[2] = {l, r};
  uint32_t cid[2];
  for (int s = 0; s < 2; s++) {
    if (side[s]->kind == FL_SQL_E_COLUMN) {
      cid[s] = (uint32_t)side[s]->field;
      continue;
    }
    fl_plan *child = j->children[s];
    if (child->kind != FL_PLAN_PROJECT || !child->passthru) {
      child = passthrough(b, child);
      j->children[s] = child;
    }
    cid[s] = pre_column(b, child, side[s], "key");
  }
  uint32_t n = j->njkeys + 1;
  uint32_t *lk = fl_arena_alloc(b->arena, n * sizeof *lk), *rk = fl_arena_alloc(b->arena, n * sizeof *rk);
  if (j->njkeys) {
    memcpy(lk, j->lkeys, j->njkeys * sizeof *lk);
    memcpy(rk, j->rkeys, j->njkeys * sizeof *rk);
  }
  lk[n - 1] = cid[0];
  rk[n - 1] = cid[1];
  j->lkeys = lk;
  j->rkeys = rk;
  j->njkeys = n;
  return FL_OK;
}

/* The join's cids: left's then right's (SEMI/ANTI: left's). */
static void join_cids(binder *b, fl_plan *j) {
  fl_plan *l = j->children[0], *r = j->children[1];
  j->ncids = 0;
  j->cids = NULL;
  cids_append(b, j, l->cids, l->ncids);
  if (j->join == FL_JOIN_INNER || j->join == FL_JOIN_LEFT) cids_append(b, j, r->cids, r->ncids);
}

/* A conjunct over j: l = r across the sides becomes a key; true if it did. */
static fl_code try_join_key(binder *b, fl_plan *j, fl_sql_expr *c, bool *used) {
  *used = false;
  if (c->kind != FL_SQL_E_BINARY || c->op != FL_SQL_OP_EQ) return FL_OK;
  cid_set a = {0}, d = {0};
  expr_cids(b, c->args[0], &a);
  expr_cids(b, c->args[1], &d);
  if (!a.n || !d.n) return FL_OK;
  if (cids_within(&a, j->children[0]) && cids_within(&d, j->children[1])) {
    *used = true;
    return add_join_key(b, j, c->args[0], c->args[1], c);
  }
  if (cids_within(&d, j->children[0]) && cids_within(&a, j->children[1])) {
    *used = true;
    return add_join_key(b, j, c->args[1], c->args[0], c);
  }
  return FL_OK;
}

/* Puts a filter over child s of p (p's child pointer is replaced). */
static void filter_child(binder *b, fl_plan *p, uint32_t s, fl_sql_expr *pred) {
  fl_plan *c = p->children[s];
  if (c->kind == FL_PLAN_FILTER) {
    c->pred = and_of(b, c->pred, pred);
    return;
  }
  fl_plan *f = node(b, FL_PLAN_FILTER, c);
  f->pred = pred;
  p->children[s] = f;
}

static fl_code bind_join(binder *b, const fl_sql_from *f, fl_plan **out, scope *sc) {
  fl_plan *l = NULL, *r = NULL;
  fl_code code = bind_from(b, f->left, &l, sc);
  if (code) return code;
  uint32_t nleft = sc->n;
  if ((code = bind_from(b, f->right, &r, sc))) return code;
  fl_plan *j = node(b, FL_PLAN_JOIN, NULL);
  j->children = fl_arena_alloc(b->arena, 2 * sizeof *j->children);
  j->children[0] = l;
  j->children[1] = r;
  j->nchildren = 2;
  j->join = f->join == FL_SQL_JOIN_LEFT ? FL_JOIN_LEFT : FL_JOIN_INNER;
  if (f->join == FL_SQL_JOIN_LEFT) mark_nullable(r);
  join_cids(b, j);
  if (f->nusing) {
    for (uint32_t u = 0; u < f->nusing; u++) {
      const char *name = f->using_[u];
      int other = -1;
      scope ls = {sc->cols, nleft}, rs = {sc->cols + nleft, sc->n - nleft};
      int li = scope_find(&ls, NULL, name, &other), ri = scope_find(&rs, NULL, name, &other);
      if (li < 0 || ri < 0)
        return fail(b, FL_EPARSE, f->line, f->col, "USING column '%s' is %s on the %s side of the join", name,
                    li == -2 || ri == -2 ? "ambiguous" : "missing", li < 0 ? "left" : "right");
      fl_sql_expr *le = column_expr(b, sc->cols[li].cid, f->line, f->col);
      fl_sql_expr *re = column_expr(b, sc->cols[nleft + (uint32_t)ri].cid, f->line, f->col);
      if ((code = add_join_key(b, j, le, re, le))) return code;
      sc->cols[nleft + (uint32_t)ri].hidden = true;
    }
  }
  if (f->on) {
    fl_sql_expr **cs = NULL;
    uint32_t n = 0, cap = 0;
    if ((code = resolve(b, sc, f->on))) return code;
    if (contains_agg(f->on) || contains_window(f->on))
      return fail(b, FL_EPARSE, f->on->line, f->on->col,
                  "aggregate and window functions are not allowed in ON");
    if ((code = want_boolean(b, f->on, "the ON condition"))) return code;
    conjuncts(b, f->on, &cs, &n, &cap);
    fl_sql_expr *above = NULL;
    for (uint32_t i = 0; i < n; i++) {
      bool used;
      if ((code = try_join_key(b, j, cs[i], &used))) return code;
      if (used) continue;
      cid_set s = {0};
      expr_cids(b, cs[i], &s);
      if (cids_within(&s, j->children[1])) {
        filter_child(b, j, 1, cs[i]); /* ON's right-only conditions filter the right side */
      } else if (j->join == FL_JOIN_INNER && cids_within(&s, j->children[0])) {
        filter_child(b, j, 0, cs[i]);
      } else if (j->join == FL_JOIN_INNER) {
        above = and_of(b, above, cs[i]);
      } else {
        return fail(
            b, FL_EUNSUPPORTED, cs[i]->line, cs[i]->col,
            "this LEFT JOIN condition is not supported: ON takes equalities between the two sides and "
            "conditions on the right side only");
      }
    }
    join_cids(b, j);
    if (above) {
      fl_plan *fp = node(b, FL_PLAN_FILTER, j);
      fp->pred = above;
      *out = fp;
      return FL_OK;
    }
  }
  join_cids(b, j);
  *out = j;
  return FL_OK;
}

static fl_code bind_from(binder *b, const fl_sql_from *f, fl_plan **out, scope *sc) {
  switch (f->kind) {
    case FL_SQL_FROM_TABLE: return bind_table(b, f, out, sc);
    case FL_SQL_FROM_SUBQUERY: {
      corr *saved = b->corr;
      b->corr = NULL;
      rel r;
      fl_code code = bind_query(b, f->query, &r);
      b->corr = saved;
      if (code) return code;
      if ((code = scope_of_rel(b, &r, f->alias, f->col_aliases, f->ncol_aliases, f, sc))) return code;
      *out = r.plan;
      return FL_OK;
    }
    case FL_SQL_FROM_JOIN: return bind_join(b, f, out, sc);
  }
  return FL_EINVAL;
}

/* ---- WHERE ---- */

/* The scan under p (through filters) that owns every cid of s and may take a filter. */
static fl_plan *pushdown_target(binder *b, const cid_set *s) {
  if (!s->n) return NULL;
  fl_plan *scan = b->origin[s->v[0]];
  if (!scan || scan->kind != FL_PLAN_SCAN || scan->nullable) return NULL;
  for (uint32_t i = 1; i < s->n; i++)
    if (b->origin[s->v[i]] != scan) return NULL;
  return scan;
}

/* The lowest join under p whose sides split l and r. */
static fl_plan *join_for(fl_plan *p, const cid_set *l, const cid_set *r, bool *swap) {
  if (p->kind == FL_PLAN_FILTER || p->kind == FL_PLAN_PROJECT)
    return p->nchildren ? join_for(p->children[0], l, r, swap) : NULL;
  if (p->kind != FL_PLAN_JOIN || p->join != FL_JOIN_INNER) return NULL;
  for (uint32_t s = 0; s < 2; s++) {
    fl_plan *deeper = join_for(p->children[s], l, r, swap);
    if (deeper) return deeper;
  }
  if (cids_within(l, p->children[0]) && cids_within(r, p->children[1])) {
    *swap = false;
    return p;
  }
  if (cids_within(r, p->children[0]) && cids_within(l, p->children[1])) {
    *swap = true;
    return p;
  }
  return NULL;
}

/* x [NOT] IN (SELECT y ...): a semi (anti, NULL-aware) join of plan with the subquery. */
static fl_code where_in(binder *b, fl_plan **plan, const scope *sc, fl_sql_expr *e, bool negated) {
  fl_code code;
  fl_sql_expr *x = e->args[0];
  if ((code = resolve(b, sc, x))) return code;
  if ((code = type_check(b, x))) return code;
  corr *saved = b->corr;
  b->corr = NULL;
  rel r;
  code = bind_query(b, e->query, &r);
  b->corr = saved;
  if (code) return code;
  if (r.n != 1)
    return fail(b, FL_EPARSE, e->line, e->col, "the subquery of IN returns %u columns; it must return one",
                r.n);
  fl_plan *j = node(b, FL_PLAN_JOIN, NULL);
  j->children = fl_arena_alloc(b->arena, 2 * sizeof *j->children);
  j->children[0] = *plan;
  j->children[1] = r.plan;
  j->nchildren = 2;
  j->join = negated ? FL_JOIN_ANTI_NULL_AWARE : FL_JOIN_SEMI;
  join_cids(b, j);
  if ((code = add_join_key(b, j, x, column_expr(b, r.cids[0], e->line, e->col), e))) return code;
  join_cids(b, j);
  *plan = j;
  return FL_OK;
}

/* [NOT] EXISTS (SELECT ... WHERE inner = outer AND ...): the equalities with the outer
 * query become the keys of a semi (anti) join; an uncorrelated one joins on nothing. */
static fl_code where_exists(binder *b, fl_plan **plan, const scope *sc, fl_sql_expr *e, bool negated) {
  corr c = {0};
  c.outer = sc;
  corr *saved = b->corr;
  b->corr = &c;
  rel r;
  fl_code code = bind_query(b, e->query, &r);
  b->corr = saved;
  if (code) return code;
  fl_plan *j = node(b, FL_PLAN_JOIN, NULL);
  j->children = fl_arena_alloc(b->arena, 2 * sizeof *j->children);
  j->children[0] = *plan;
  j->children[1] = r.plan;
  j->nchildren = 2;
  j->join = negated ? FL_JOIN_ANTI : FL_JOIN_SEMI;
  join_cids(b, j);
  for (uint32_t i = 0; i < c.n; i++)
    if ((code = add_join_key(b, j, c.outer_exprs[i], c.inner_exprs[i], c.inner_exprs[i]))) return code;
  join_cids(b, j);
  *plan = j;
  return FL_OK;
}

static bool contains_subquery(const fl_sql_expr *e) {
  if (e->kind == FL_SQL_E_SUBQUERY) return true;
  for (uint32_t i = 0; i < e->nargs; i++)
    if (contains_subquery(e->args[i])) return true;
  return false;
}

/* Scalar subqueries (SELECT ...) in e: each is bound on its own (uncorrelated: a
 * reference to the outer query is refused), checked to give one column, and LEFT JOINed
 * to *plan on nothing through a SINGLE_ROW node (no row: NULL; more than one: an error
 * when the query runs, as DuckDB); the node becomes that column. */
static fl_code bind_scalars(binder *b, fl_plan **plan, const scope *sc, fl_sql_expr *e) {
  for (uint32_t i = 0; i < e->nargs; i++) {
    fl_code code = bind_scalars(b, plan, sc, e->args[i]);
    if (code) return code;
  }
  if (e->kind != FL_SQL_E_SUBQUERY) return FL_OK;
  corr c = {0};
  c.outer = sc;
  c.scalar = true;
  corr *saved = b->corr;
  b->corr = &c;
  rel r;
  fl_code code = bind_query(b, e->query, &r);
  b->corr = saved;
  if (code) return code;
  if (c.used)
    return fail(b, FL_EUNSUPPORTED, e->line, e->col,
                "a scalar subquery that refers to the outer query is not supported: write it as a JOIN (or "
                "EXISTS)");
  if (r.n != 1)
    return fail(b, FL_EPARSE, e->line, e->col, "a subquery used as a value must return one column, not %u",
                r.n);
  fl_plan *one = node(b, FL_PLAN_SINGLE_ROW, r.plan);
  one->from = NULL;
  one->limit = ((uint64_t)e->line << 32) | e->col; /* for the error's position */
  fl_plan *j = node(b, FL_PLAN_JOIN, NULL);
  j->children = fl_arena_alloc(b->arena, 2 * sizeof *j->children);
  j->children[0] = *plan;
  j->children[1] = one;
  j->nchildren = 2;
  j->join = FL_JOIN_LEFT;
  join_cids(b, j);
  *plan = j;
  make_column(b, e, r.cids[0]);
  return FL_OK;
}

static fl_code bind_where(binder *b, fl_plan **plan, const scope *sc, fl_sql_expr *where) {
  fl_sql_expr **cs = NULL;
  uint32_t n = 0, cap = 0;
  conjuncts(b, where, &cs, &n, &cap);
  fl_sql_expr *rest = NULL, *deferred = NULL;
  fl_code code;
  for (uint32_t i = 0; i < n; i++) {
    fl_sql_expr *c = cs[i];
    bool neg = false;
    fl_sql_expr *inner = c;
    if (c->kind == FL_SQL_E_UNARY && c->op == FL_SQL_OP_NOT) {
      neg = true;
      inner = c->args[0];
    }
    if (inner->kind == FL_SQL_E_IN && inner->query) {
      if ((code = where_in(b, plan, sc, inner, neg != inner->negated))) return code;
      continue;
    }
    if (inner->kind == FL_SQL_E_EXISTS) {
      if ((code = where_exists(b, plan, sc, inner, neg))) return code;
      continue;
    }
    if (contains_subquery(c)) {
      deferred = and_of(b, deferred, c); /* after the joins the other conjuncts make */
      continue;
    }
    if ((code = resolve(b, sc, c))) return code;
    if (contains_agg(c))
      return fail(b, FL_EPARSE, c->line, c->col, "aggregate functions are not allowed in WHERE (use HAVING)");
    if (contains_window(c))
      return fail(b, FL_EPARSE, c->line, c->col, "window functions are not allowed in WHERE (use QUALIFY)");
    /* a correlated EXISTS: inner = outer equalities are the join's keys */
    if (b->corr && !b->corr->scalar) {
      cid_set s = {0};
      expr_cids(b, c, &s);
      bool outer = false;
      for (uint32_t k = 0; k < s.n && !outer; k++)
        for (uint32_t o = 0; o < b->corr->outer->n; o++)
          if (b->corr->outer->cols[o].cid == s.v[k]) outer = true;
      if (outer) {
        cid_set l = {0}, r = {0};
        bool ok = c->kind == FL_SQL_E_BINARY && c->op == FL_SQL_OP_EQ;
        if (ok) {
          expr_cids(b, c->args[0], &l);
          expr_cids(b, c->args[1], &r);
        }
        int lo = -1, ro = -1; /* which side is the outer one */
        if (ok && l.n && r.n) {
          lo = !cids_within(&l, *plan);
          ro = !cids_within(&r, *plan);
        }
        if (!ok || lo == ro || lo < 0)
          return fail(
              b, FL_EUNSUPPORTED, c->line, c->col,
              "a correlated subquery may refer to the outer query only in equalities inner = outer at the "
              "top of its WHERE");
        fl_sql_expr *oe = lo ? c->args[0] : c->args[1], *ie = lo ? c->args[1] : c->args[0];
        if ((code = type_check(b, oe)) || (code = type_check(b, ie))) return code;
        corr *k = b->corr;
        if (k->n == k->cap) {
          uint32_t nc = k->cap ? 2 * k->cap : 4;
          fl_sql_expr **o2 = fl_arena_alloc(b->arena, nc * sizeof *o2),
                      **i2 = fl_arena_alloc(b->arena, nc * sizeof *i2);
          if (k->n) {
            memcpy(o2, k->outer_exprs, k->n * sizeof *o2);
            memcpy(i2, k->inner_exprs, k->n * sizeof *i2);
          }
          k->outer_exprs = o2;
          k->inner_exprs = i2;
          k->cap = nc;
        }
        k->outer_exprs[k->n] = oe;
        k->inner_exprs[k->n++] = ie;
        continue;
      }
    }
    if ((code = want_boolean(b, c, "WHERE"))) return code;
    cid_set s = {0};
    expr_cids(b, c, &s);
    fl_plan *scan = pushdown_target(b, &s);
    if (scan) {
      scan->filter = and_of(b, scan->filter, c);
      continue;
    }
    if (c->kind == FL_SQL_E_BINARY && c->op == FL_SQL_OP_EQ) {
      cid_set l = {0}, r = {0};
      expr_cids(b, c->args[0], &l);
      expr_cids(b, c->args[1], &r);
      bool swap = false;
      fl_plan *j = l.n && r.n ? join_for(*plan, &l, &r, &swap) : NULL;
      if (j) {
        if ((code = add_join_key(b, j, swap ? c->args[1] : c->args[0], swap ? c->args[0] : c->args[1], c)))
          return code;
        join_cids(b, j);
        continue;
      }
    }
    rest = and_of(b, rest, c);
  }
  if (rest) {
    fl_plan *f = node(b, FL_PLAN_FILTER, *plan);
    f->pred = rest;
    *plan = f;
  }
  if (deferred) {
    if ((code = bind_scalars(b, plan, sc, deferred))) return code;
    if ((code = resolve(b, sc, deferred))) return code;
    if (contains_agg(deferred) || contains_window(deferred))
      return fail(b, FL_EPARSE, deferred->line, deferred->col,
                  "aggregate and window functions are not allowed in WHERE");
    if ((code = want_boolean(b, deferred, "WHERE"))) return code;
    fl_plan *f = node(b, FL_PLAN_FILTER, *plan);
    f->pred = deferred;
    *plan = f;
  }
  return FL_OK;
}

/* ---- the SELECT core ---- */

typedef struct item {
  fl_sql_expr *expr;
  const char *name;
  uint32_t cid; /* output */
  const char *alias;
} item;

/* A query's output columns with ORDER BY / LIMIT applied. */
static fl_code bind_order(binder *b, fl_plan **plan, const fl_sql_order_item *order,
                          fl_sql_expr **order_exprs, uint32_t norder, item *items, uint32_t nitems,
                          bool distinct, uint32_t *extra_cids, uint32_t *nextra, fl_plan_sort_key *keys);

/* HAVING and QUALIFY may name an output alias where no column has the name (DuckDB
 * allows it): the alias's expression is put in its place. */
static void substitute_aliases(binder *b, const scope *sc, fl_sql_expr *e, const item *items, uint32_t n) {
  int other;
  if (e->kind == FL_SQL_E_COLUMN && !e->qualifier && e->field < 0 &&
      scope_find(sc, NULL, e->name, &other) == -1) {
    for (uint32_t k = 0; k < n; k++)
      if (items[k].alias && !strcmp(items[k].alias, e->name)) {
        uint32_t line = e->line, col = e->col;
        *e = *expr_copy(b, items[k].expr);
        e->line = line;
        e->col = col;
        return;
      }
    return;
  }
  for (uint32_t i = 0; i < e->nargs; i++) substitute_aliases(b, sc, e->args[i], items, n);
}

static fl_code bind_core(binder *b, const fl_sql_select_core *c, const fl_sql_order_item *order,
                         uint32_t norder, rel *out) {
  fl_code code;
  fl_plan *plan;
  scope sc = {0};
  if (c->from) {
    if ((code = bind_from(b, c->from, &plan, &sc))) return code;
  } else {
    plan = node(b, FL_PLAN_ONE_ROW, NULL);
  }
  if (c->where && (code = bind_where(b, &plan, &sc, c->where))) return code;
  if (b->corr && !b->corr->scalar) {
    /* EXISTS: the rows matter, not the select list; its output is the inner keys */
    if (c->has_group || c->having || c->qualify)
      return fail(b, FL_EUNSUPPORTED, c->line, c->col,
                  "GROUP BY, HAVING and QUALIFY are not supported in EXISTS");
    fl_plan *p = node(b, FL_PLAN_PROJECT, plan);
    p->exact = true;
    p->ncids = 0;
    p->cids = NULL;
    out->n = b->corr->n;
    out->cids = fl_arena_alloc(b->arena, (out->n + 1) * sizeof *out->cids);
    out->names = fl_arena_alloc(b->arena, (out->n + 1) * sizeof *out->names);
    for (uint32_t i = 0; i < b->corr->n; i++) {
      fl_sql_expr *ie = b->corr->inner_exprs[i];
      out->cids[i] = pre_column(b, p, ie, "key");
      out->names[i] = "key";
    }
    /* the outer side's expressions were typed; the inner ones now become columns */
    for (uint32_t i = 0; i < b->corr->n; i++) b->corr->inner_exprs[i] = column_expr(b, out->cids[i], 0, 0);
    out->plan = p;
    return FL_OK;
  }
  /* the select list, * expanded */
  bool scalar_item = false;
  uint32_t cap = c->nitems + 8, n = 0;
  item *items = fl_arena_calloc(b->arena, cap, sizeof *items);
  for (uint32_t i = 0; i < c->nitems; i++) {
    const fl_sql_select_item *it = &c->items[i];
    if (it->star) {
      bool any = false;
      for (uint32_t k = 0; k < sc.n; k++) {
        if (sc.cols[k].hidden) continue;
        if (it->qualifier && !same_name(sc.cols[k].qual, it->qualifier)) continue;
        if (n == cap) {
          item *grown = fl_arena_calloc(b->arena, cap * 2, sizeof *grown);
          memcpy(grown, items, n * sizeof *items);
          items = grown;
          cap *= 2;
        }
        items[n].expr = column_expr(b, sc.cols[k].cid, it->line, it->col);
        items[n].name = sc.cols[k].name;
        n++;
        any = true;
      }
      if (!any && it->qualifier)
        return fail(b, FL_EPARSE, it->line, it->col, "unknown table or alias '%s' in %s.*", it->qualifier,
                    it->qualifier);
      if (!any && !it->qualifier)
        return fail(b, FL_EPARSE, it->line, it->col, "SELECT * with no FROM: there are no columns");
      continue;
    }
    if (n == cap) {
      item *grown = fl_arena_calloc(b->arena, cap * 2, sizeof *grown);
      memcpy(grown, items, n * sizeof *items);
      items = grown;
      cap *= 2;
    }
    items[n].name = it->alias ? it->alias : expr_name(b, it->expr);
    items[n].alias = it->alias;
    if (contains_subquery(it->expr)) {
      scalar_item = true;
      if ((code = bind_scalars(b, &plan, &sc, it->expr))) return code;
    }
    if ((code = resolve(b, &sc, it->expr))) return code;
    items[n].expr = it->expr;
    n++;
  }
  if (n > FL_COLUMNS_MAX)
    return fail(b, FL_ELIMIT, c->line, c->col, "the SELECT list has %u columns, more than %u", n,
                (unsigned)FL_COLUMNS_MAX);
  if (c->having) substitute_aliases(b, &sc, c->having, items, n);
  if (c->qualify) substitute_aliases(b, &sc, c->qualify, items, n);
  /* ORDER BY expressions that are not output ordinals or aliases: resolved now, so
   * that their aggregates and windows are computed with the others */
  fl_sql_expr **order_exprs = fl_arena_calloc(b->arena, norder + 1, sizeof *order_exprs);
  for (uint32_t i = 0; i < norder; i++) {
    fl_sql_expr *e = order[i].expr;
    if (e->kind == FL_SQL_E_LITERAL && e->lit == FL_SQL_LIT_INT) continue;
    if (e->kind == FL_SQL_E_COLUMN && !e->qualifier) {
      bool alias = false;
      int other;
      for (uint32_t k = 0; k < n && !alias; k++)
        alias = (items[k].alias && !strcmp(items[k].alias, e->name)) ||
                (scope_find(&sc, NULL, e->name, &other) == -1 && !strcmp(items[k].name, e->name));
      if (alias) continue;
    }
    order_exprs[i] = expr_copy(b, e);
    if ((code = resolve(b, &sc, order_exprs[i]))) return code;
  }
  /* aggregation */
  bool aggregated = c->has_group || c->having != NULL;
  for (uint32_t i = 0; i < n && !aggregated; i++) aggregated = contains_agg(items[i].expr);
  for (uint32_t i = 0; i < norder && !aggregated; i++) aggregated = contains_agg(order[i].expr);
  if (c->qualify && contains_agg(c->qualify)) aggregated = true;
  agg_ctx agg = {0};
  win_ctx wc = {0};
  if (aggregated && scalar_item)
    return fail(
        b, FL_EUNSUPPORTED, c->line, c->col,
        "a scalar subquery in the SELECT list of a query with GROUP BY or aggregates is not supported: "
        "compute it in a WITH query and join it");
  if (aggregated) {
    agg.pre = passthrough(b, plan);
    agg.pre->nexprs = 0; /* only what the aggregate reads */
    agg.pre->ncids = 0;
    /* keys */
    uint32_t kcap = (c->group_all ? n : c->ngroup) + 1;
    agg.keys = fl_arena_alloc(b->arena, kcap * sizeof *agg.keys);
    agg.key_cids = fl_arena_alloc(b->arena, kcap * sizeof *agg.key_cids);
    if (c->group_all) {
      for (uint32_t i = 0; i < n; i++)
        if (!contains_agg(items[i].expr) && !contains_window(items[i].expr))
          agg.keys[agg.nkeys++] = expr_copy(b, items[i].expr);
    } else {
      for (uint32_t i = 0; i < c->ngroup; i++) {
        fl_sql_expr *g = c->group[i];
        if (g->kind == FL_SQL_E_LITERAL && g->lit == FL_SQL_LIT_INT) {
          if (g->value.u.i64 < 1 || g->value.u.i64 > (int64_t)n)
            return fail(b, FL_EPARSE, g->line, g->col, "GROUP BY %lld: the SELECT list has %u columns",
                        (long long)g->value.u.i64, n);
          g = expr_copy(b, items[g->value.u.i64 - 1].expr);
          if (contains_agg(g))
            return fail(b, FL_EPARSE, c->group[i]->line, c->group[i]->col,
                        "GROUP BY %lld refers to an aggregate (%s)", (long long)c->group[i]->value.u.i64,
                        items[c->group[i]->value.u.i64 - 1].name);
        } else {
          int other;
          if (g->kind == FL_SQL_E_COLUMN && !g->qualifier && scope_find(&sc, NULL, g->name, &other) == -1) {
            /* GROUP BY an output alias (DuckDB allows it when no column has the name) */
            for (uint32_t k = 0; k < n; k++)
              if (items[k].alias && !strcmp(items[k].alias, g->name)) {
                g = expr_copy(b, items[k].expr);
                break;
              }
          }
          if (g->kind != FL_SQL_E_COLUMN || g->field < 0)
            if ((code = resolve(b, &sc, g))) return code;
          if (g->kind == FL_SQL_E_COLUMN && g->field < 0 && (code = resolve(b, &sc, g))) return code;
          if (contains_agg(g) || contains_window(g))
            return fail(b, FL_EPARSE, g->line, g->col,
                        "aggregate and window functions are not allowed in GROUP BY");
        }
        agg.keys[agg.nkeys++] = g;
      }
    }
    for (uint32_t i = 0; i < agg.nkeys; i++) {
      if ((code = type_check(b, agg.keys[i]))) return code;
      agg.key_cids[i] = pre_column(b, agg.pre, agg.keys[i], expr_name(b, agg.keys[i]));
    }
    for (uint32_t i = 0; i < n; i++)
      if ((code = extract_aggs(b, &agg, items[i].expr))) return code;
    fl_sql_expr *having = c->having;
    if (having) {
      if ((code = resolve(b, &sc, having)) || (code = extract_aggs(b, &agg, having))) return code;
    }
    fl_sql_expr *qualify = c->qualify;
    if (qualify && ((code = resolve(b, &sc, qualify)) || (code = extract_aggs(b, &agg, qualify))))
      return code;
    for (uint32_t i = 0; i < norder; i++)
      if (order_exprs[i] && (code = extract_aggs(b, &agg, order_exprs[i]))) return code;
    fl_plan *a = node(b, FL_PLAN_AGGREGATE, agg.pre);
    a->keys = agg.key_cids;
    a->nkeys = agg.nkeys;
    a->aggs = agg.aggs;
    a->naggs = agg.naggs;
    a->ncids = 0;
    a->cids = NULL;
    cids_append(b, a, agg.key_cids, agg.nkeys);
    for (uint32_t i = 0; i < agg.naggs; i++) cids_append(b, a, &agg.aggs[i].out, 1);
    plan = a;
    for (uint32_t i = 0; i < n; i++)
      if ((code = match_keys(b, &agg, items[i].expr))) return code;
    if (having) {
      if ((code = match_keys(b, &agg, having))) return code;
      if ((code = want_boolean(b, having, "HAVING"))) return code;
      fl_plan *f = node(b, FL_PLAN_FILTER, plan);
      f->pred = having;
      plan = f;
    }
    if (qualify && (code = match_keys(b, &agg, qualify))) return code;
    for (uint32_t i = 0; i < norder; i++)
      if (order_exprs[i] && (code = match_keys(b, &agg, order_exprs[i]))) return code;
  } else if (c->qualify && (code = resolve(b, &sc, c->qualify))) {
    return code;
  }
  /* windows */
  bool windowed = c->qualify && contains_window(c->qualify);
  for (uint32_t i = 0; i < n && !windowed; i++) windowed = contains_window(items[i].expr);
  for (uint32_t i = 0; i < norder && !windowed; i++) windowed = contains_window(order[i].expr);
  if (windowed) {
    wc.pre = passthrough(b, plan);
    for (uint32_t i = 0; i < n; i++)
      if ((code = extract_windows(b, &wc, items[i].expr))) return code;
    if (c->qualify && (code = extract_windows(b, &wc, c->qualify))) return code;
    for (uint32_t i = 0; i < norder; i++)
      if (order_exprs[i] && (code = extract_windows(b, &wc, order_exprs[i]))) return code;
    plan = wc.pre;
    for (uint32_t i = 0; i < wc.n; i++) {
      fl_plan *w = wc.nodes[i];
      w->children = fl_arena_alloc(b->arena, sizeof *w->children);
      w->children[0] = plan;
      w->nchildren = 1;
      w->cids = plan->cids;
      w->ncids = plan->ncids;
      for (uint32_t k = 0; k < w->nwins; k++) cids_append(b, w, &w->wins[k].out, 1);
      plan = w;
    }
  }
  if (c->qualify) {
    if (!windowed && !aggregated)
      return fail(b, FL_EPARSE, c->qualify->line, c->qualify->col,
                  "QUALIFY needs a window function (in QUALIFY or the SELECT list)");
    if ((code = want_boolean(b, c->qualify, "QUALIFY"))) return code;
    fl_plan *f = node(b, FL_PLAN_FILTER, plan);
    f->pred = c->qualify;
    plan = f;
  }
  /* the select list */
  fl_plan *proj = node(b, FL_PLAN_PROJECT, plan);
  proj->ncids = 0;
  proj->cids = NULL;
  proj->exprs = fl_arena_alloc(b->arena, (n + norder + 1) * sizeof *proj->exprs);
  proj->proj_cids = fl_arena_alloc(b->arena, (n + norder + 1) * sizeof *proj->proj_cids);
  proj->names = fl_arena_alloc(b->arena, (n + norder + 1) * sizeof *proj->names);
  for (uint32_t i = 0; i < n; i++) {
    if ((code = type_check(b, items[i].expr))) return code;
    fl_type t = items[i].expr->rtype == FL_SQL_RT_VALUE ? items[i].expr->type : (fl_type){FL_T_INT, 0, 0};
    if (items[i].expr->rtype == FL_SQL_RT_INTERVAL)
      return fail(b, FL_EUNSUPPORTED, items[i].expr->line, items[i].expr->col,
                  "an INTERVAL cannot be a result column yet (add it to a TIMESTAMP)");
    items[i].cid = new_cid(b, items[i].name, t, NULL);
    proj->exprs[i] = items[i].expr;
    proj->proj_cids[i] = items[i].cid;
    proj->names[i] = items[i].name;
    cids_append(b, proj, &items[i].cid, 1);
  }
  proj->nexprs = n;
  plan = proj;
  if (c->distinct) {
    proj->exact = true;
    plan = node(b, FL_PLAN_DISTINCT, proj);
  }
  out->n = n;
  out->cids = fl_arena_alloc(b->arena, (n + 1) * sizeof *out->cids);
  out->names = fl_arena_alloc(b->arena, (n + 1) * sizeof *out->names);
  for (uint32_t i = 0; i < n; i++) {
    out->cids[i] = items[i].cid;
    out->names[i] = items[i].name;
  }
  if (norder) {
    fl_plan_sort_key *keys = fl_arena_alloc(b->arena, norder * sizeof *keys);
    uint32_t nextra = 0;
    uint32_t *extra = fl_arena_alloc(b->arena, (norder + 1) * sizeof *extra);
    if ((code =
             bind_order(b, &plan, order, order_exprs, norder, items, n, c->distinct, extra, &nextra, keys)))
      return code;
    fl_plan *s = node(b, FL_PLAN_SORT, plan);
    s->order = keys;
    s->norder = norder;
    plan = s;
    if (nextra) {
      fl_plan *p = node(b, FL_PLAN_PROJECT, plan);
      p->exact = true;
      p->ncids = 0;
      p->cids = NULL;
      p->exprs = fl_arena_alloc(b->arena, n * sizeof *p->exprs + 1);
      p->proj_cids = fl_arena_alloc(b->arena, n * sizeof *p->proj_cids + 1);
      p->names = fl_arena_alloc(b->arena, n * sizeof *p->names + 1);
      for (uint32_t i = 0; i < n; i++) {
        p->exprs[i] = column_expr(b, items[i].cid, 0, 0);
        p->proj_cids[i] = items[i].cid;
        p->names[i] = items[i].name;
      }
      p->nexprs = n;
      cids_append(b, p, out->cids, n);
      plan = p;
    }
  }
  out->plan = plan;
  return FL_OK;
}

/* ORDER BY of a core: ordinals and aliases name output columns; other expressions
 * (resolved, aggregates and windows replaced: order_exprs) match an output expression
 * or become hidden columns of the projection, dropped after the sort. */
static fl_code bind_order(binder *b, fl_plan **plan, const fl_sql_order_item *order,
                          fl_sql_expr **order_exprs, uint32_t norder, item *items, uint32_t nitems,
                          bool distinct, uint32_t *extra_cids, uint32_t *nextra, fl_plan_sort_key *keys) {
  fl_code code;
  fl_plan *proj = *plan;
  if (proj->kind == FL_PLAN_DISTINCT) proj = proj->children[0];
  for (uint32_t i = 0; i < norder; i++) {
    fl_sql_expr *e = order[i].expr;
    keys[i].desc = order[i].desc;
    keys[i].nulls_first = order[i].nulls == FL_SQL_NULLS_FIRST;
    int64_t found = -1;
    fl_sql_expr *copy = order_exprs[i];
    if (!copy && e->kind == FL_SQL_E_LITERAL) {
      if (e->value.u.i64 < 1 || e->value.u.i64 > (int64_t)nitems)
        return fail(b, FL_EPARSE, e->line, e->col, "ORDER BY %lld: the SELECT list has %u columns",
                    (long long)e->value.u.i64, nitems);
      found = e->value.u.i64 - 1;
    } else if (!copy) {
      for (uint32_t k = 0; k < nitems && found < 0; k++)
        if (items[k].alias && !strcmp(items[k].alias, e->name)) found = k;
      for (uint32_t k = 0; k < nitems && found < 0; k++)
        if (!strcmp(items[k].name, e->name)) found = k;
    }
    for (uint32_t k = 0; copy && k < nitems && found < 0; k++)
      if (expr_equal(items[k].expr, copy)) found = k;
    if (found >= 0) {
      keys[i].cid = items[found].cid;
      continue;
    }
    if (distinct)
      return fail(b, FL_EPARSE, e->line, e->col,
                  "with SELECT DISTINCT, ORDER BY expressions must appear in the SELECT list");
    if ((code = type_check(b, copy))) return code;
    if (copy->rtype != FL_SQL_RT_VALUE) {
      keys[i].cid = items[0].cid; /* ORDER BY NULL: any order */
      continue;
    }
    uint32_t cid = new_cid(b, "order", copy->type, NULL);
    proj->exprs[proj->nexprs] = copy;
    proj->proj_cids[proj->nexprs] = cid;
    proj->names[proj->nexprs] = "order";
    proj->nexprs++;
    cids_append(b, proj, &cid, 1);
    extra_cids[(*nextra)++] = cid;
    keys[i].cid = cid;
  }
  return FL_OK;
}

/* ---- queries ---- */

static fl_code bind_body(binder *b, const fl_sql_body *body, rel *out, const fl_sql_select *q,
                         bool *ordered) {
  switch (body->kind) {
    case FL_SQL_BODY_CORE:
      *ordered = true; /* the core binds ORDER BY with its FROM scope */
      return bind_core(b, body->core, q ? q->order : NULL, q ? q->norder : 0, out);
    case FL_SQL_BODY_QUERY: {
      corr *saved = b->corr;
      b->corr = NULL;
      fl_code code = bind_query(b, body->query, out);
      b->corr = saved;
      return code;
    }
    case FL_SQL_BODY_UNION: {
      if (b->corr && !b->corr->scalar)
        return fail(b, FL_EUNSUPPORTED, body->line, body->col,
                    "UNION inside a correlated EXISTS is not supported");
      rel l, r;
      bool dummy;
      fl_code code = bind_body(b, body->left, &l, NULL, &dummy);
      if (code) return code;
      if ((code = bind_body(b, body->right, &r, NULL, &dummy))) return code;
      if (l.n != r.n)
        return fail(b, FL_EPARSE, body->line, body->col, "UNION: the left query has %u columns, the right %u",
                    l.n, r.n);
      rel *sides[2] = {&l, &r};
      fl_type *types = fl_arena_alloc(b->arena, (l.n + 1) * sizeof *types);
      for (uint32_t i = 0; i < l.n; i++) {
        fl_type a = b->cols[l.cids[i]].type, c = b->cols[r.cids[i]].type;
        if (!common_type(a, c, &types[i])) {
          char ta[32], tc[32];
          fl_sql_type_format(a, ta, sizeof ta);
          fl_sql_type_format(c, tc, sizeof tc);
          return fail(b, FL_EPARSE, body->line, body->col,
                      "UNION: column %u is %s on the left and %s on the right", i + 1, ta, tc);
        }
      }
      fl_plan *u = node(b, FL_PLAN_UNION_ALL, NULL);
      u->children = fl_arena_alloc(b->arena, 2 * sizeof *u->children);
      u->nchildren = 2;
      for (int s = 0; s < 2; s++) {
        /* each side: exactly its columns, cast to the common types */
        fl_plan *p = node(b, FL_PLAN_PROJECT, sides[s]->plan);
        p->exact = true;
        p->ncids = 0;
        p->cids = NULL;
        p->nexprs = l.n;
        p->exprs = fl_arena_alloc(b->arena, (l.n + 1) * sizeof *p->exprs);
        p->proj_cids = fl_arena_alloc(b->arena, (l.n + 1) * sizeof *p->proj_cids);
        p->names = fl_arena_alloc(b->arena, (l.n + 1) * sizeof *p->names);
        for (uint32_t i = 0; i < l.n; i++) {
          fl_sql_expr *e = cast_to(b, column_expr(b, sides[s]->cids[i], body->line, body->col), types[i]);
          p->exprs[i] = e;
          p->proj_cids[i] =
              e->kind == FL_SQL_E_COLUMN ? sides[s]->cids[i] : new_cid(b, l.names[i], types[i], NULL);
          p->names[i] = l.names[i];
        }
        cids_append(b, p, p->proj_cids, l.n);
        u->children[s] = p;
      }
      out->n = l.n;
      out->names = l.names;
      out->cids = fl_arena_alloc(b->arena, (l.n + 1) * sizeof *out->cids);
      for (uint32_t i = 0; i < l.n; i++) out->cids[i] = new_cid(b, l.names[i], types[i], NULL);
      cids_append(b, u, out->cids, l.n);
      out->plan = u;
      if (!body->all) out->plan = node(b, FL_PLAN_DISTINCT, u);
      return FL_OK;
    }
  }
  return FL_EINVAL;
}

static fl_code bind_query(binder *b, const fl_sql_select *q, rel *out) {
  cte_def *saved = b->ctes;
  for (uint32_t i = 0; i < q->nctes; i++) {
    cte_def *d = fl_arena_alloc(b->arena, sizeof *d);
    d->cte = &q->ctes[i];
    d->next = b->ctes;
    b->ctes = d;
  }
  bool ordered = false;
  fl_code code = bind_body(b, q->body, out, q, &ordered);
  b->ctes = saved;
  if (code) return code;
  if (q->norder && !ordered) {
    /* ORDER BY over a UNION or a parenthesised query: output names and ordinals */
    fl_plan_sort_key *keys = fl_arena_alloc(b->arena, q->norder * sizeof *keys);
    for (uint32_t i = 0; i < q->norder; i++) {
      const fl_sql_expr *e = q->order[i].expr;
      int64_t found = -1;
      if (e->kind == FL_SQL_E_LITERAL && e->lit == FL_SQL_LIT_INT && e->value.u.i64 >= 1 &&
          e->value.u.i64 <= (int64_t)out->n)
        found = e->value.u.i64 - 1;
      else if (e->kind == FL_SQL_E_COLUMN && !e->qualifier)
        for (uint32_t k = 0; k < out->n && found < 0; k++)
          if (!strcmp(out->names[k], e->name)) found = k;
      if (found < 0) {
        if (e->kind == FL_SQL_E_COLUMN)
          return fail(
              b, FL_EPARSE, e->line, e->col, "ORDER BY '%s': not a column of the UNION's result%s%s%s",
              e->name, fl_sql_closest(e->name, out->names, out->n) ? " (did you mean '" : "",
              fl_sql_closest(e->name, out->names, out->n) ? fl_sql_closest(e->name, out->names, out->n) : "",
              fl_sql_closest(e->name, out->names, out->n) ? "'?)" : "");
        return fail(b, FL_EUNSUPPORTED, e->line, e->col,
                    "ORDER BY of a UNION takes output column names or ordinals");
      }
      keys[i].cid = out->cids[found];
      keys[i].desc = q->order[i].desc;
      keys[i].nulls_first = q->order[i].nulls == FL_SQL_NULLS_FIRST;
    }
    fl_plan *s = node(b, FL_PLAN_SORT, out->plan);
    s->order = keys;
    s->norder = q->norder;
    out->plan = s;
  }
  if (q->has_limit || q->offset) {
    uint64_t limit = q->has_limit ? q->limit : UINT64_MAX;
    fl_plan *sort = out->plan;
    if (sort->kind == FL_PLAN_PROJECT && sort->exact && sort->nchildren) sort = sort->children[0];
    if (sort->kind == FL_PLAN_SORT && limit != UINT64_MAX)
      sort->limit = limit > UINT64_MAX - q->offset ? UINT64_MAX : limit + q->offset; /* top-N */
    fl_plan *l = node(b, FL_PLAN_LIMIT, out->plan);
    l->limit = limit;
    l->offset = q->offset;
    out->plan = l;
  }
  return FL_OK;
}

/* ---- finalize: cids -> positions, top-down projection ---- */

static int32_t pos_of(const fl_plan *child, uint32_t cid) {
  for (uint32_t i = 0; i < child->nout; i++)
    if (child->out_cids[i] == cid) return (int32_t)i;
  return -1;
}

static void rewrite_expr(fl_sql_expr *e, const fl_plan *child) {
  if (e->kind == FL_SQL_E_COLUMN) {
    int32_t p = pos_of(child, (uint32_t)e->field);
    FL_ASSERT(p >= 0, "column %s (cid %d) missing below", e->name, e->field);
    e->field = p;
  }
  for (uint32_t i = 0; i < e->nargs; i++) rewrite_expr(e->args[i], child);
}

static void need_expr(binder *b, cid_set *s, const fl_sql_expr *e) { expr_cids(b, e, s); }

static void set_out(binder *b, fl_plan *p, const uint32_t *cids, uint32_t n) {
  p->out_cids = fl_arena_alloc(b->arena, (n + 1) * sizeof *p->out_cids);
  if (n) memcpy(p->out_cids, cids, n * sizeof *cids);
  p->nout = n;
  p->out_fields = fl_arena_calloc(b->arena, n + 1, sizeof *p->out_fields);
  for (uint32_t i = 0; i < n; i++) p->out_fields[i] = b->cols[cids[i]];
}

/* Makes p output (at least) need's cids; children first, then positions. */
static void finalize(binder *b, fl_plan *p, const cid_set *need) {
  cid_set cn = {0}; /* what the (first) child must give */
  switch (p->kind) {
    case FL_PLAN_SCAN: {
      cid_set out = {0};
      for (uint32_t i = 0; i < p->ncids; i++) {
        bool used = false;
        for (uint32_t k = 0; k < need->n && !used; k++) used = need->v[k] == p->cids[i];
        if (p->filter) {
          cid_set fs = {0};
          need_expr(b, &fs, p->filter);
          for (uint32_t k = 0; k < fs.n && !used; k++) used = fs.v[k] == p->cids[i];
        }
        if (used) cid_add(b, &out, p->cids[i]);
      }
      if (out.n == 0 && p->ncids) cid_add(b, &out, p->cids[0]); /* count(*): one column for the row count */
      set_out(b, p, out.v, out.n);
      p->columns = fl_arena_alloc(b->arena, (out.n + 1) * sizeof *p->columns);
      for (uint32_t i = 0; i < out.n; i++)
        p->columns[i] = p->table_schema->fields[out.v[i] - p->first_cid].name;
      p->ncolumns = out.n;
      for (uint32_t i = 0; i < out.n; i++) p->out_fields[i].name = p->columns[i];
      if (p->filter) rewrite_expr(p->filter, p);
      return;
    }
    case FL_PLAN_ONE_ROW: set_out(b, p, NULL, 0); return;
    case FL_PLAN_PROJECT: {
      /* keep the exprs needed (all when exact) */
      uint32_t m = 0;
      for (uint32_t i = 0; i < p->nexprs; i++) {
        bool used = p->exact;
        for (uint32_t k = 0; k < need->n && !used; k++) used = need->v[k] == p->proj_cids[i];
        /* a passthrough of the same cid twice: keep the first */
        for (uint32_t k = 0; k < m && used; k++)
          if (p->proj_cids[k] == p->proj_cids[i] && !p->exact) used = false;
        if (!used) continue;
        p->exprs[m] = p->exprs[i];
        p->proj_cids[m] = p->proj_cids[i];
        p->names[m] = p->names[i];
        m++;
      }
      p->nexprs = m;
      for (uint32_t i = 0; i < m; i++) need_expr(b, &cn, p->exprs[i]);
      finalize(b, p->children[0], &cn);
      for (uint32_t i = 0; i < m; i++) rewrite_expr(p->exprs[i], p->children[0]);
      set_out(b, p, p->proj_cids, m);
      for (uint32_t i = 0; i < m; i++) p->out_fields[i].name = p->names[i];
      return;
    }
    case FL_PLAN_FILTER:
      for (uint32_t i = 0; i < need->n; i++) cid_add(b, &cn, need->v[i]);
      need_expr(b, &cn, p->pred);
      finalize(b, p->children[0], &cn);
      rewrite_expr(p->pred, p->children[0]);
      set_out(b, p, p->children[0]->out_cids, p->children[0]->nout);
      return;
    case FL_PLAN_SORT:
    case FL_PLAN_LIMIT:
    case FL_PLAN_SINGLE_ROW:
      for (uint32_t i = 0; i < need->n; i++) cid_add(b, &cn, need->v[i]);
      for (uint32_t i = 0; i < p->norder; i++) cid_add(b, &cn, p->order[i].cid);
      finalize(b, p->children[0], &cn);
      set_out(b, p, p->children[0]->out_cids, p->children[0]->nout);
      if (p->norder) {
        p->pos_order = fl_arena_alloc(b->arena, p->norder * sizeof *p->pos_order);
        for (uint32_t i = 0; i < p->norder; i++) {
          int32_t at = pos_of(p->children[0], p->order[i].cid);
          FL_ASSERT(at >= 0);
          p->pos_order[i] = (fl_sort_key){(uint32_t)at, p->order[i].desc, p->order[i].nulls_first};
        }
      }
      return;
    case FL_PLAN_DISTINCT:
      /* the child is an exact projection (or a union): all of its columns */
      for (uint32_t i = 0; i < p->children[0]->ncids; i++) cid_add(b, &cn, p->children[0]->cids[i]);
      finalize(b, p->children[0], &cn);
      set_out(b, p, p->children[0]->out_cids, p->children[0]->nout);
      return;
    case FL_PLAN_AGGREGATE: {
      for (uint32_t i = 0; i < p->nkeys; i++) cid_add(b, &cn, p->keys[i]);
      for (uint32_t i = 0; i < p->naggs; i++) {
        if (p->aggs[i].kind != FL_AGG_COUNT_STAR) cid_add(b, &cn, p->aggs[i].arg);
        if (p->aggs[i].filter >= 0) cid_add(b, &cn, (uint32_t)p->aggs[i].filter);
      }
      finalize(b, p->children[0], &cn);
      p->pos_keys = fl_arena_alloc(b->arena, (p->nkeys + 1) * sizeof *p->pos_keys);
      for (uint32_t i = 0; i < p->nkeys; i++) p->pos_keys[i] = (uint32_t)pos_of(p->children[0], p->keys[i]);
      p->agg_specs = fl_arena_calloc(b->arena, p->naggs + 1, sizeof *p->agg_specs);
      for (uint32_t i = 0; i < p->naggs; i++) {
        p->agg_specs[i].kind = p->aggs[i].kind;
        p->agg_specs[i].arg =
            p->aggs[i].kind == FL_AGG_COUNT_STAR ? -1 : pos_of(p->children[0], p->aggs[i].arg);
        p->agg_specs[i].filter =
            p->aggs[i].filter >= 0 ? pos_of(p->children[0], (uint32_t)p->aggs[i].filter) : -1;
        p->agg_specs[i].name = b->cols[p->aggs[i].out].name;
      }
      set_out(b, p, p->cids, p->ncids);
      return;
    }
    case FL_PLAN_WINDOW: {
      for (uint32_t i = 0; i < need->n; i++) {
        bool mine = false;
        for (uint32_t k = 0; k < p->nwins && !mine; k++) mine = p->wins[k].out == need->v[i];
        if (!mine) cid_add(b, &cn, need->v[i]);
      }
      for (uint32_t i = 0; i < p->nkeys; i++) cid_add(b, &cn, p->keys[i]);
      for (uint32_t i = 0; i < p->norder; i++) cid_add(b, &cn, p->order[i].cid);
      for (uint32_t i = 0; i < p->nwins; i++) {
        if (p->wins[i].arg >= 0) cid_add(b, &cn, (uint32_t)p->wins[i].arg);
        if (p->wins[i].dflt >= 0) cid_add(b, &cn, (uint32_t)p->wins[i].dflt);
      }
      fl_plan *c = p->children[0];
      finalize(b, c, &cn);
      p->pos_keys = fl_arena_alloc(b->arena, (p->nkeys + 1) * sizeof *p->pos_keys);
      for (uint32_t i = 0; i < p->nkeys; i++) p->pos_keys[i] = (uint32_t)pos_of(c, p->keys[i]);
      p->pos_order = fl_arena_alloc(b->arena, (p->norder + 1) * sizeof *p->pos_order);
      for (uint32_t i = 0; i < p->norder; i++)
        p->pos_order[i] =
            (fl_sort_key){(uint32_t)pos_of(c, p->order[i].cid), p->order[i].desc, p->order[i].nulls_first};
      p->win_specs = fl_arena_calloc(b->arena, p->nwins + 1, sizeof *p->win_specs);
      uint32_t *outs = fl_arena_alloc(b->arena, (c->nout + p->nwins + 1) * sizeof *outs);
      memcpy(outs, c->out_cids, c->nout * sizeof *outs);
      for (uint32_t i = 0; i < p->nwins; i++) {
        fl_win_spec *w = &p->win_specs[i];
        w->kind = p->wins[i].kind;
        w->arg = p->wins[i].arg >= 0 ? pos_of(c, (uint32_t)p->wins[i].arg) : -1;
        w->offset = p->wins[i].offset;
        w->dflt = p->wins[i].dflt >= 0 ? pos_of(c, (uint32_t)p->wins[i].dflt) : -1;
        w->name = b->cols[p->wins[i].out].name;
        outs[c->nout + i] = p->wins[i].out;
      }
      set_out(b, p, outs, c->nout + p->nwins);
      return;
    }
    case FL_PLAN_JOIN: {
      fl_plan *l = p->children[0], *r = p->children[1];
      cid_set ln = {0}, rn = {0};
      for (uint32_t i = 0; i < need->n; i++) {
        if (has_cid(l, need->v[i]))
          cid_add(b, &ln, need->v[i]);
        else if (has_cid(r, need->v[i]))
          cid_add(b, &rn, need->v[i]);
      }
      for (uint32_t i = 0; i < p->njkeys; i++) {
        cid_add(b, &ln, p->lkeys[i]);
        cid_add(b, &rn, p->rkeys[i]);
      }
      finalize(b, l, &ln);
      finalize(b, r, &rn);
      p->pos_lkeys = fl_arena_alloc(b->arena, (p->njkeys + 1) * sizeof *p->pos_lkeys);
      p->pos_rkeys = fl_arena_alloc(b->arena, (p->njkeys + 1) * sizeof *p->pos_rkeys);
      for (uint32_t i = 0; i < p->njkeys; i++) {
        p->pos_lkeys[i] = (uint32_t)pos_of(l, p->lkeys[i]);
        p->pos_rkeys[i] = (uint32_t)pos_of(r, p->rkeys[i]);
      }
      uint32_t *outs = fl_arena_alloc(b->arena, (l->nout + r->nout + 1) * sizeof *outs);
      memcpy(outs, l->out_cids, l->nout * sizeof *outs);
      uint32_t n = l->nout;
      if (p->join == FL_JOIN_INNER || p->join == FL_JOIN_LEFT) {
        memcpy(outs + n, r->out_cids, r->nout * sizeof *outs);
        n += r->nout;
      }
      set_out(b, p, outs, n);
      return;
    }
    case FL_PLAN_UNION_ALL: {
      for (uint32_t s = 0; s < p->nchildren; s++) {
        cid_set all = {0};
        for (uint32_t i = 0; i < p->children[s]->ncids; i++) cid_add(b, &all, p->children[s]->cids[i]);
        finalize(b, p->children[s], &all);
      }
      set_out(b, p, p->cids, p->ncids);
      for (uint32_t i = 0; i < p->nout; i++) p->out_fields[i].name = p->children[0]->out_fields[i].name;
      return;
    }
  }
}

fl_code fl_sql_plan_build(const fl_sql_statement *st, const fl_sql_catalog *cat, fl_arena *arena,
                          fl_plan **out, fl_err *err) {
  *out = NULL;
  binder b = {0};
  b.arena = arena;
  b.err = err;
  b.cat = cat;
  rel r;
  fl_code code = bind_query(&b, st->query, &r);
  if (code) return code;
  /* the root gives exactly the select list, in order, with its names */
  fl_plan *root = node(&b, FL_PLAN_PROJECT, r.plan);
  root->exact = true;
  root->nexprs = r.n;
  root->exprs = fl_arena_alloc(arena, (r.n + 1) * sizeof *root->exprs);
  root->proj_cids = fl_arena_alloc(arena, (r.n + 1) * sizeof *root->proj_cids);
  root->names = fl_arena_alloc(arena, (r.n + 1) * sizeof *root->names);
  for (uint32_t i = 0; i < r.n; i++) {
    root->exprs[i] = column_expr(&b, r.cids[i], 0, 0);
    root->proj_cids[i] = r.cids[i];
    root->names[i] = r.names[i];
  }
  cid_set need = {0};
  finalize(&b, root, &need);
  *out = root;
  return FL_OK;
}
