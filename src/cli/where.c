/* where: the --where conditions of `floe cat` and `floe delete`, as SQL expressions.
 *
 * Each --where text is one SQL condition in sql's grammar (fl_sql_parse_expr: = <> !=
 * < <= > >=, [NOT] IN (...), [NOT] BETWEEN, IS [NOT] NULL, [NOT] LIKE, AND, OR, NOT,
 * arithmetic); several --where are ANDed. Rows are kept where the condition is TRUE
 * (SQL's WHERE: NULL is not TRUE). Two uses of each condition:
 *   - pruning: its top-level AND terms of the form `col op literal` (op = < <= > >=,
 *     and BETWEEN) become fl_pred for the scan (files by partition values and column
 *     bounds, row groups by statistics), the literal in the column's exact type; and the
 *     whole condition is lowered into table/'s predicate IR (sql's fl_sql_lower_pred:
 *     OR, NOT, IN, <>, IS NULL, LIKE 'prefix%' prune too);
 *   - filtering: the conditions are compiled by sql's evaluator (fl_sql_eval) against
 *     the scan's projected schema and run a batch at a time as the scan's filter
 *     (fl_scan_set_filter). There is no per-cell evaluator here.
 * Literals follow the JSON parser's type rules (json.h) where SQL alone would refuse:
 * a string compared with a number or BOOLEAN column is read as that type ('12.50'
 * into DECIMAL exactly, else "'abc' is not a DECIMAL(12,2) (column amount)"), an
 * integer compared with a TIMESTAMP column is microseconds since the epoch, with a DATE
 * column days since the epoch.
 * Errors quote the text and suggest the likely fix: a bare word that is no column or
 * a number against a STRING column ("quote it"), two conditions in one flag ("repeat
 * the flag, or join them with AND"), a column alone ("compare it").
 *
 * Memory: the expressions and predicates live in the where's arena; the evaluator is
 * compiled against the scan's schema, which must outlive the where's use of the scan.
 *
 * Entry points: fl_cli_where_new/attach/free; also fl_cli_type_format (cli.h), which
 * lives here rather than in main.c because library code (ndjson_load.c) calls it and
 * main.c is not part of libfloe: the fuzz targets link without it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/time.h"
#include "sql/exec.h"
#include "sql/sql.h"

void fl_cli_type_format(fl_type type, char *out, size_t out_size) {
  if (type.kind == FL_T_DECIMAL)
    snprintf(out, out_size, "DECIMAL(%u,%u)", type.precision, type.scale);
  else if (type.kind == FL_T_FIXED)
    snprintf(out, out_size, "FIXED(%u)", type.length);
  else
    snprintf(out, out_size, "%s", fl_type_sql_name(type.kind));
}

struct fl_cli_where {
  fl_arena arena;
  const char *const *texts;
  uint32_t ntexts;
  fl_pred *preds; /* pruning terms */
  uint32_t npreds, preds_cap;
  const char **cols; /* columns read (the table schema's names) */
  uint32_t ncols;
  fl_sql_eval *ev;       /* compiled against the scan's schema (attach) */
  const fl_tpred *where; /* the conditions lowered to table/'s predicate IR (OR, IN, LIKE 'p%' ...) */
};

static bool all_digits(const char *s, size_t n) {
  size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
  if (i == n) return false;
  for (; i < n; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  return true;
}

static bool is_cmp(const fl_sql_expr *e) {
  return e->kind == FL_SQL_E_BINARY && e->op >= FL_SQL_OP_EQ && e->op <= FL_SQL_OP_GE;
}

/* A string literal compared with a number or BOOLEAN column, read as the column's
 * type; an integer compared with a TIMESTAMP (micros) or DATE (days) column. */
static fl_code coerce_literal(const char *where, fl_sql_expr *lit, const fl_field *f, fl_err *err) {
  if (lit->kind != FL_SQL_E_LITERAL) return FL_OK;
  fl_type_kind k = f->type.kind;
  if (lit->lit == FL_SQL_LIT_INT && (k == FL_T_TIMESTAMP || k == FL_T_DATE)) {
    int64_t v = lit->value.u.i64;
    if (k == FL_T_DATE && (v < INT32_MIN || v > INT32_MAX))
      return fl_err_set(err, FL_ETYPE, "--where \"%s\": %s is not a DATE (column %s: days since 1970)", where,
                        lit->text, f->name);
    memset(&lit->value, 0, sizeof lit->value);
    lit->value.type = (fl_type){k, 0, 0};
    if (k == FL_T_DATE) {
      lit->lit = FL_SQL_LIT_DATE;
      lit->value.u.i32 = (int32_t)v;
    } else {
      lit->lit = FL_SQL_LIT_TIMESTAMP;
      lit->value.u.i64 = v;
    }
    return FL_OK;
  }
  if (fl_decimal_is_wide(f->type) && lit->lit == FL_SQL_LIT_DOUBLE && lit->text) {
    /* a number of more than 18 digits against a DECIMAL(19..38): its exact text */
    fl_i128 x;
    if (fl_dec128_parse(lit->text, strlen(lit->text), f->type.precision, f->type.scale, &x)) {
      memset(&lit->value, 0, sizeof lit->value);
      lit->value.type = f->type;
      fl_value_set_dec(&lit->value, x);
      lit->lit = FL_SQL_LIT_DECIMAL;
    }
    return FL_OK;
  }
  if (fl_type_is_string(k) &&
      (lit->lit == FL_SQL_LIT_INT || lit->lit == FL_SQL_LIT_DECIMAL || lit->lit == FL_SQL_LIT_DOUBLE))
    return fl_err_set(err, FL_ETYPE, "--where \"%s\": %s is a %s column: quote the value ('%s')", where,
                      f->name, k == FL_T_JSON ? "JSON" : "STRING", lit->text);
  if (lit->lit != FL_SQL_LIT_STRING) return FL_OK;
  if (k != FL_T_INT && k != FL_T_BIGINT && k != FL_T_DECIMAL && k != FL_T_FLOAT && k != FL_T_DOUBLE &&
      k != FL_T_BOOLEAN)
    return FL_OK;
  const char *text = lit->value.u.str.ptr;
  size_t len = lit->value.u.str.len;
  fl_value v = {.type = f->type};
  bool ok = false;
  char *end = NULL;
  errno = 0;
  switch (k) {
    case FL_T_INT:
    case FL_T_BIGINT:
      if (!all_digits(text, len)) break;
      v.type = (fl_type){FL_T_BIGINT, 0, 0};
      v.u.i64 = strtoll(text, &end, 10);
      ok = !errno;
      lit->lit = FL_SQL_LIT_INT;
      break;
    case FL_T_DECIMAL: {
      fl_i128 x;
      ok = fl_dec128_parse(text, len, f->type.precision, f->type.scale, &x);
      if (ok) fl_value_set_dec(&v, x);
    }
      lit->lit = FL_SQL_LIT_DECIMAL;
      break;
    case FL_T_FLOAT:
    case FL_T_DOUBLE:
      v.type = (fl_type){FL_T_DOUBLE, 0, 0};
      v.u.f64 = len ? strtod(text, &end) : 0;
      ok = len && !*end;
      lit->lit = FL_SQL_LIT_DOUBLE;
      break;
    default: /* BOOLEAN */
      ok = !strcasecmp(text, "true") || !strcasecmp(text, "false");
      v.u.b = ok && !strcasecmp(text, "true");
      lit->lit = FL_SQL_LIT_BOOL;
      break;
  }
  if (!ok) {
    char type[32];
    fl_cli_type_format(f->type, type, sizeof type);
    return fl_err_set(err, FL_ETYPE, "--where \"%s\": '%s' is not a %s (column %s)", where, text, type,
                      f->name);
  }
  lit->value = v;
  return FL_OK;
}

/* Checks that every column exists (suggesting quotes for a bare word that is no
 * column) and coerces the literals compared with columns. Depth is bounded by the
 * parser (FL_SQL_EXPR_DEPTH_MAX). */
static fl_code prepass(const char *where, fl_sql_expr *e, const fl_sql_expr *parent, const fl_schema *schema,
                       fl_err *err) {
  if (e->kind == FL_SQL_E_COLUMN) {
    if (fl_schema_field_by_name(schema, e->name)) return FL_OK;
    const fl_sql_expr *other = NULL;
    if (parent && (is_cmp(parent) || parent->kind == FL_SQL_E_IN || parent->kind == FL_SQL_E_LIKE) &&
        parent->args[0] != e && parent->args[0]->kind == FL_SQL_E_COLUMN)
      other = parent->args[0];
    const fl_field *of = other ? fl_schema_field_by_name(schema, other->name) : NULL;
    if (of &&
        (fl_type_is_string(of->type.kind) || of->type.kind == FL_T_DATE || of->type.kind == FL_T_TIMESTAMP))
      return fl_err_set(err, FL_ENOENT, "--where \"%s\": no column %s (a string takes single quotes: '%s')",
                        where, e->name, e->name);
    if (of) { /* a bare word against a number or BOOLEAN column */
      char type[32];
      fl_cli_type_format(of->type, type, sizeof type);
      return fl_err_set(err, FL_ETYPE, "--where \"%s\": %s is not a %s (column %s)", where, e->name, type,
                        of->name);
    }
    return fl_err_set(err, FL_ENOENT, "--where \"%s\": no column %s", where, e->name);
  }
  const fl_sql_expr *col = NULL;
  if (is_cmp(e)) {
    col = e->args[0]->kind == FL_SQL_E_COLUMN   ? e->args[0]
          : e->args[1]->kind == FL_SQL_E_COLUMN ? e->args[1]
                                                : NULL;
  } else if (e->kind == FL_SQL_E_IN || e->kind == FL_SQL_E_BETWEEN) {
    col = e->args[0]->kind == FL_SQL_E_COLUMN ? e->args[0] : NULL;
  }
  const fl_field *f = col ? fl_schema_field_by_name(schema, col->name) : NULL;
  for (uint32_t i = 0; i < e->nargs; i++) {
    fl_code rc = prepass(where, e->args[i], e, schema, err);
    if (!rc && f && e->args[i] != col) rc = coerce_literal(where, e->args[i], f, err);
    if (rc) return rc;
  }
  return FL_OK;
}

/* The literal in the column's exact type for pruning, or false (no pruning from it:
 * pruning is an optimisation and must never drop a matching row). */
static bool prune_value(const fl_value *lit, fl_type to, fl_value *out) {
  memset(out, 0, sizeof *out);
  out->type = to;
  fl_type_kind k = lit->type.kind;
  if (lit->is_null) return false;
  if (fl_type_is_string(k) && fl_type_is_string(to.kind)) {
    out->u.str = lit->u.str;
    return true;
  }
  switch (to.kind) {
    case FL_T_INT:
      if (k != FL_T_BIGINT || lit->u.i64 < INT32_MIN || lit->u.i64 > INT32_MAX) return false;
      out->u.i32 = (int32_t)lit->u.i64;
      return true;
    case FL_T_BIGINT:
      if (k != FL_T_BIGINT && k != FL_T_INT) return false;
      out->u.i64 = k == FL_T_INT ? lit->u.i32 : lit->u.i64;
      return true;
    case FL_T_DOUBLE:
      if (k == FL_T_DOUBLE)
        out->u.f64 = lit->u.f64;
      else if (k == FL_T_BIGINT && lit->u.i64 > -(INT64_C(1) << 53) && lit->u.i64 < (INT64_C(1) << 53))
        out->u.f64 = (double)lit->u.i64;
      else
        return false;
      return true;
    case FL_T_DECIMAL: {
      fl_i128 v;
      unsigned scale;
      if (k == FL_T_BIGINT) {
        v = lit->u.i64;
        scale = 0;
      } else if (k == FL_T_DECIMAL) {
        v = fl_value_dec(lit);
        scale = lit->type.scale;
      } else {
        return false;
      }
      if (scale > to.scale || !fl_dec128_rescale(v, scale, to.scale, to.precision, &v)) return false;
      fl_value_set_dec(out, v);
      return true;
    }
    case FL_T_TIMESTAMP:
      if (k == FL_T_TIMESTAMP)
        out->u.i64 = lit->u.i64;
      else if (k == FL_T_DATE)
        out->u.i64 = (int64_t)lit->u.i32 * INT64_C(86400000000);
      else
        return false;
      return true;
    case FL_T_DATE:
      if (k != FL_T_DATE) return false;
      out->u.i32 = lit->u.i32;
      return true;
    case FL_T_TIME: /* the binder read the string literal as a TIME */
      if (k != FL_T_TIME) return false;
      out->u.i64 = lit->u.i64;
      return true;
    case FL_T_BOOLEAN:
      if (k != FL_T_BOOLEAN) return false;
      out->u.b = lit->u.b;
      return true;
    default: return false;
  }
}

static void add_pred(fl_cli_where *w, const fl_schema *schema, const fl_sql_expr *col, fl_sql_op op,
                     const fl_sql_expr *lit) {
  if (col->kind != FL_SQL_E_COLUMN || lit->kind != FL_SQL_E_LITERAL || lit->rtype != FL_SQL_RT_VALUE) return;
  const fl_field *f = &schema->fields[col->field];
  fl_pred p = {.column = f->name};
  if (!prune_value(&lit->value, f->type, &p.value)) return;
  switch (op) {
    case FL_SQL_OP_EQ: p.op = FL_PRED_EQ; break;
    case FL_SQL_OP_LT: p.op = FL_PRED_LT; break;
    case FL_SQL_OP_LE: p.op = FL_PRED_LE; break;
    case FL_SQL_OP_GT: p.op = FL_PRED_GT; break;
    case FL_SQL_OP_GE: p.op = FL_PRED_GE; break;
    default: return;
  }
  if (fl_type_is_string(f->type.kind))
    p.value.u.str.ptr = fl_arena_strndup(&w->arena, p.value.u.str.ptr, p.value.u.str.len);
  if (w->npreds == w->preds_cap) {
    uint32_t cap = w->preds_cap ? w->preds_cap * 2 : 8;
    fl_pred *np = fl_arena_calloc(&w->arena, cap, sizeof *np);
    if (w->npreds) memcpy(np, w->preds, w->npreds * sizeof *np);
    w->preds = np;
    w->preds_cap = cap;
  }
  w->preds[w->npreds++] = p;
}

static fl_sql_op flip(fl_sql_op op) {
  switch (op) {
    case FL_SQL_OP_LT: return FL_SQL_OP_GT;
    case FL_SQL_OP_LE: return FL_SQL_OP_GE;
    case FL_SQL_OP_GT: return FL_SQL_OP_LT;
    case FL_SQL_OP_GE: return FL_SQL_OP_LE;
    default: return op;
  }
}

/* The top-level AND terms usable for pruning (bound e). */
static void collect_preds(fl_cli_where *w, const fl_schema *schema, const fl_sql_expr *e) {
  if (e->kind == FL_SQL_E_BINARY && e->op == FL_SQL_OP_AND) {
    collect_preds(w, schema, e->args[0]);
    collect_preds(w, schema, e->args[1]);
  } else if (is_cmp(e)) {
    if (e->args[0]->kind == FL_SQL_E_COLUMN)
      add_pred(w, schema, e->args[0], e->op, e->args[1]);
    else
      add_pred(w, schema, e->args[1], flip(e->op), e->args[0]);
  } else if (e->kind == FL_SQL_E_BETWEEN && !e->negated) {
    add_pred(w, schema, e->args[0], FL_SQL_OP_GE, e->args[1]);
    add_pred(w, schema, e->args[0], FL_SQL_OP_LE, e->args[2]);
  }
}

static void collect_cols(fl_cli_where *w, const fl_schema *schema, const fl_sql_expr *e) {
  if (e->kind == FL_SQL_E_COLUMN) {
    const char *name = schema->fields[e->field].name;
    for (uint32_t i = 0; i < w->ncols; i++)
      if (!strcmp(w->cols[i], name)) return;
    w->cols[w->ncols++] = name;
    return;
  }
  for (uint32_t i = 0; i < e->nargs; i++) collect_cols(w, schema, e->args[i]);
}

/* Parses, checks, coerces and binds one text against schema. */
static fl_code parse_one(fl_arena *arena, const char *where, const fl_schema *schema, fl_sql_expr **out,
                         fl_err *err) {
  fl_sql_expr *e;
  fl_code rc = fl_sql_parse_expr(where, strlen(where), arena, &e, err);
  if (rc) {
    bool two = strstr(err->msg, "expected an operator or end of input") != NULL;
    fl_err_prefix(err, "--where \"%s\": ", where);
    if (two) {
      fl_buf msg = FL_BUF_INIT;
      fl_buf_printf(&msg, "%s (one condition per --where: repeat the flag, or join them with AND)", err->msg);
      fl_buf_cstr(&msg);
      fl_err_set(err, rc, "%s", (const char *)msg.data);
      fl_buf_free(&msg);
    }
    return rc;
  }
  if ((rc = prepass(where, e, NULL, schema, err))) return rc;
  if ((rc = fl_sql_expr_bind(e, schema, err))) return fl_err_prefix(err, "--where \"%s\": ", where);
  if (e->rtype == FL_SQL_RT_VALUE && e->type.kind != FL_T_BOOLEAN) {
    char type[32];
    fl_cli_type_format(e->type, type, sizeof type);
    const char *c = e->kind == FL_SQL_E_COLUMN ? e->name : "x";
    return fl_err_set(err, FL_EPARSE,
                      "--where \"%s\": not a condition but a value of type %s: compare it, e.g. \"%s = 1\", "
                      "\"%s IN (1, 2)\", "
                      "\"%s IS NULL\"",
                      where, type, c, c, c);
  }
  *out = e;
  return FL_OK;
}

fl_code fl_cli_where_new(const char *const *texts, uint32_t n, const fl_schema *schema, fl_cli_where **out,
                         fl_err *err) {
  fl_cli_where *w = fl_calloc(1, sizeof *w);
  fl_arena_init(&w->arena, 4096);
  w->texts = texts;
  w->ntexts = n;
  w->cols = fl_arena_calloc(&w->arena, schema->nfields ? schema->nfields : 1, sizeof *w->cols);
  fl_code rc = FL_OK;
  for (uint32_t i = 0; i < n && !rc; i++) {
    fl_sql_expr *e;
    rc = parse_one(&w->arena, texts[i], schema, &e, err);
    if (rc) break;
    collect_preds(w, schema, e);
    collect_cols(w, schema, e);
    const fl_tpred *p = fl_sql_lower_pred(e, schema, &w->arena);
    if (p && w->where) { /* several --where: AND */
      fl_tpred *and = fl_arena_calloc(&w->arena, 1, sizeof *and);
      const fl_tpred **args = fl_arena_alloc(&w->arena, 2 * sizeof *args);
      args[0] = w->where;
      args[1] = p;
      *and = (fl_tpred){.kind = FL_TP_AND, .args = args, .nargs = 2};
      w->where = and;
    } else if (p) {
      w->where = p;
    }
  }
  if (rc) {
    fl_cli_where_free(w);
    *out = NULL;
    return rc;
  }
  *out = w;
  return FL_OK;
}

const fl_tpred *fl_cli_where_pred(const fl_cli_where *w) { return w->where; }

const fl_pred *fl_cli_where_preds(const fl_cli_where *w, uint32_t *n) {
  *n = w->npreds;
  return w->preds;
}

const char *const *fl_cli_where_columns(const fl_cli_where *w, uint32_t *n) {
  *n = w->ncols;
  return w->cols;
}

static uint32_t where_filter(void *ctx, const fl_batch *batch, uint32_t *sel) {
  fl_cli_where *w = ctx;
  return fl_sql_eval_select(w->ev, batch, sel);
}

fl_code fl_cli_where_attach(fl_cli_where *w, fl_scan *scan, fl_err *err) {
  if (!w->ntexts) return FL_OK;
  const fl_schema *schema = fl_scan_schema(scan);
  FL_ASSERT(!w->ev);
  w->ev = fl_sql_eval_new(schema);
  for (uint32_t i = 0; i < w->ntexts; i++) {
    fl_sql_expr *e;
    fl_code rc = parse_one(&w->arena, w->texts[i], schema, &e, err);
    if (rc) return rc;
    fl_buf label = FL_BUF_INIT;
    fl_buf_printf(&label, "--where \"%s\"", w->texts[i]);
    fl_buf_cstr(&label);
    rc = fl_sql_eval_add(w->ev, e, (const char *)label.data, NULL, err);
    fl_buf_free(&label);
    if (rc) return rc;
  }
  fl_scan_set_filter(scan, where_filter, w);
  return FL_OK;
}

void fl_cli_where_free(fl_cli_where *w) {
  if (!w) return;
  fl_sql_eval_free(w->ev);
  fl_arena_destroy(&w->arena);
  fl_free(w);
}
