/* expr_bind.c: name resolution and type checking of an expression against a schema
 * (sql.h: fl_sql_expr_bind).
 *
 * What: one post-order walk that resolves every column reference to its field index,
 * gives every node its result type (rtype/type), and refuses what cannot be evaluated:
 * comparing unrelated types ("cannot compare DECIMAL(12,2) with STRING"), arithmetic on
 * strings, AND/OR/NOT on non-booleans, unknown columns and functions. The evaluator
 * (ingest's contract checker, later the SQL engine) then trusts the types.
 *
 * Type rules (PostgreSQL's, simplified to floe's types):
 *   classes: numbers (INT BIGINT REAL DOUBLE DECIMAL), strings (STRING JSON), BOOLEAN,
 *   times (DATE TIMESTAMP), intervals. Comparison, IN and BETWEEN need one class; a string
 *   literal compared with a DATE/TIMESTAMP is converted here to a typed literal (an error
 *   if it does not parse), but strings never silently become numbers. NULL goes with all.
 *   Arithmetic: INT op INT -> INT, with BIGINT -> BIGINT, with REAL/DOUBLE -> DOUBLE
 *   (REAL op REAL -> REAL); with a DECIMAL -> DECIMAL (+ -: scale max(s), digits max + 1;
 *   *: p1 + p2, s1 + s2; precision capped at 18, overflow is the evaluator's error), except
 *   / which is DOUBLE for decimals; TIMESTAMP +/- INTERVAL -> TIMESTAMP, TIMESTAMP -
 *   TIMESTAMP -> INTERVAL, DATE +/- integer -> DATE, DATE - DATE -> INT, INTERVAL +/-
 *   INTERVAL, INTERVAL * or / number -> INTERVAL.
 * An integer literal counts as DECIMAL(digits,0) next to a DECIMAL, so "amount > 0" on a
 * DECIMAL(12,2) stays exact.
 *
 * Ownership: writes the nodes' bind fields (and converts literals) in place; the tree
 * stays in its arena. Recursion depth is bounded by the parser (FL_SQL_EXPR_DEPTH_MAX). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "sql/lexer.h"
#include "sql/sql.h"

/* C_TOD: TIME (of day); C_BYTES: UUID, BINARY, FIXED (compared with each other of one
 * kind, or with a string literal in their text form: canonical UUID, '\x0aff') */
typedef enum tclass { C_NULL, C_NUM, C_STR, C_BOOL, C_TIME, C_INTERVAL, C_TOD, C_BYTES, C_OTHER } tclass;

static tclass class_of(const fl_sql_expr *e) {
  if (e->rtype == FL_SQL_RT_NULL) return C_NULL;
  if (e->rtype == FL_SQL_RT_INTERVAL) return C_INTERVAL;
  switch (e->type.kind) {
    case FL_T_INT:
    case FL_T_BIGINT:
    case FL_T_FLOAT:
    case FL_T_DOUBLE:
    case FL_T_DECIMAL: return C_NUM;
    case FL_T_STRING:
    case FL_T_JSON: return C_STR;
    case FL_T_BOOLEAN: return C_BOOL;
    case FL_T_DATE:
    case FL_T_TIMESTAMP: return C_TIME;
    case FL_T_TIME: return C_TOD;
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: return C_BYTES;
    case FL_T_TIMESTAMP_NS: return C_OTHER; /* no nanosecond arithmetic or comparisons yet */
  }
  return C_OTHER;
}

/* "DECIMAL(12,2)", "NULL", "INTERVAL" for messages. */
static const char *type_name(const fl_sql_expr *e, char *out, size_t out_size) {
  if (e->rtype == FL_SQL_RT_NULL)
    snprintf(out, out_size, "NULL");
  else if (e->rtype == FL_SQL_RT_INTERVAL)
    snprintf(out, out_size, "INTERVAL");
  else
    fl_sql_type_format(e->type, out, out_size);
  return out;
}

static fl_code fail_at(fl_err *err, const fl_sql_expr *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static fl_code fail_at(fl_err *err, const fl_sql_expr *at, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return fl_err_set(err, FL_EPARSE, "line %u, column %u: %s", at->line, at->col, msg);
}

static void set_value(fl_sql_expr *e, fl_type_kind kind) {
  e->rtype = FL_SQL_RT_VALUE;
  memset(&e->type, 0, sizeof e->type);
  e->type.kind = kind;
}

static bool is_int_kind(fl_type_kind k) { return k == FL_T_INT || k == FL_T_BIGINT; }

static bool is_int_literal(const fl_sql_expr *e) {
  return e->kind == FL_SQL_E_LITERAL && e->lit == FL_SQL_LIT_INT;
}

/* Digits of an integer literal, for its DECIMAL(p,0) view. */
static unsigned int_literal_digits(const fl_sql_expr *e) {
  int64_t v = e->value.u.i64;
  uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  unsigned d = 1;
  while (m >= 10) {
    m /= 10;
    d++;
  }
  return d;
}

/* The DECIMAL view of a number operand (integers as (p,0)). */
static uint8_t cap_precision(unsigned p) {
  /* the evaluator's arithmetic is on int64 (128-bit arithmetic is the SQL engine's) */
  return (uint8_t)(p > FL_DECIMAL64_PRECISION_MAX ? FL_DECIMAL64_PRECISION_MAX : p);
}

static fl_type as_decimal(const fl_sql_expr *e) {
  if (e->type.kind == FL_T_DECIMAL) return e->type;
  fl_type t = {FL_T_DECIMAL, 0, 0};
  unsigned p = is_int_literal(e) ? int_literal_digits(e) : e->type.kind == FL_T_INT ? 10 : 19;
  t.precision = cap_precision(p);
  return t;
}

/* The result type of number op number. */
static fl_type number_result(fl_sql_op op, const fl_sql_expr *a, const fl_sql_expr *b) {
  fl_type_kind ka = a->type.kind, kb = b->type.kind;
  fl_type t = {0};
  if (ka == FL_T_FLOAT && kb == FL_T_FLOAT)
    t.kind = FL_T_FLOAT;
  else if (ka == FL_T_DOUBLE || kb == FL_T_DOUBLE || ka == FL_T_FLOAT || kb == FL_T_FLOAT)
    t.kind = FL_T_DOUBLE;
  else if (ka == FL_T_DECIMAL || kb == FL_T_DECIMAL) {
    if (op == FL_SQL_OP_DIV) {
      t.kind = FL_T_DOUBLE;
      return t;
    }
    fl_type da = as_decimal(a), db = as_decimal(b);
    t.kind = FL_T_DECIMAL;
    if (op == FL_SQL_OP_MUL) {
      t.scale = cap_precision((unsigned)da.scale + db.scale);
      t.precision = cap_precision((unsigned)da.precision + db.precision);
    } else {
      unsigned sa = da.scale, sb = db.scale;
      unsigned ia = da.precision - sa, ib = db.precision - sb;
      t.scale = (uint8_t)(sa > sb ? sa : sb);
      unsigned ints = (ia > ib ? ia : ib) + (op == FL_SQL_OP_MOD ? 0 : 1);
      t.precision = cap_precision(ints + t.scale);
    }
    if (t.precision == 0) t.precision = 1;
  } else if (ka == FL_T_BIGINT || kb == FL_T_BIGINT) {
    t.kind = FL_T_BIGINT;
  } else {
    t.kind = FL_T_INT;
  }
  return t;
}

/* Can a and b be compared? Converts a string literal next to a DATE/TIMESTAMP. */
static fl_code comparable(const fl_sql_expr *at, fl_sql_expr *a, fl_sql_expr *b, fl_err *err) {
  tclass ca = class_of(a), cb = class_of(b);
  if (ca == C_NULL || cb == C_NULL) return FL_OK;
  for (int side = 0; side < 2; side++) {
    fl_sql_expr *lit = side ? a : b, *other = side ? b : a;
    if (class_of(other) != C_TIME || lit->kind != FL_SQL_E_LITERAL || lit->lit != FL_SQL_LIT_STRING) continue;
    size_t n = strlen(lit->text);
    bool ok = other->type.kind == FL_T_DATE ? fl_date_parse(lit->text, n, &lit->value.u.i32)
                                            : fl_ts_parse(lit->text, n, &lit->value.u.i64);
    char tn[32];
    type_name(other, tn, sizeof tn);
    if (!ok) return fail_at(err, lit, "cannot read string '%s' as a %s", lit->text, tn);
    lit->lit = other->type.kind == FL_T_DATE ? FL_SQL_LIT_DATE : FL_SQL_LIT_TIMESTAMP;
    set_value(lit, other->type.kind);
    lit->value.type = lit->type;
    return FL_OK;
  }
  for (int side = 0; side < 2; side++) { /* TIME, UUID, BINARY, FIXED against their text */
    fl_sql_expr *lit = side ? a : b, *other = side ? b : a;
    tclass co = class_of(other);
    if ((co != C_TOD && co != C_BYTES) || lit->kind != FL_SQL_E_LITERAL || lit->lit != FL_SQL_LIT_STRING)
      continue;
    size_t n = strlen(lit->text);
    char tn[32];
    type_name(other, tn, sizeof tn);
    if (co == C_TOD) {
      int64_t us;
      if (!fl_time_parse(lit->text, n, &us))
        return fail_at(err, lit, "cannot read string '%s' as a TIME", lit->text);
      set_value(lit, FL_T_TIME); /* still written as the string it was */
      lit->value.type = lit->type;
      lit->value.u.i64 = us;
      return FL_OK;
    }
    /* the evaluator decodes the text into bytes (it owns the memory); check it now */
    uint8_t b16[16];
    size_t len = 0;
    bool ok = other->type.kind == FL_T_UUID
                  ? fl_uuid_parse(lit->text, n, b16)
                  : n >= 2 && lit->text[0] == '\\' && lit->text[1] == 'x' && n % 2 == 0;
    if (ok && other->type.kind == FL_T_FIXED) len = (n - 2) / 2, ok = len == other->type.length;
    if (!ok)
      return fail_at(
          err, lit, "cannot read string '%s' as a %s (%s)", lit->text, tn,
          other->type.kind == FL_T_UUID ? "8-4-4-4-12 hex digits" : "'\\x' and two hex digits a byte");
    return FL_OK;
  }
  if (ca == cb && ca != C_OTHER && (ca != C_BYTES || a->type.kind == b->type.kind)) return FL_OK;
  char ta[32], tb[32];
  return fail_at(err, at, "cannot compare %s with %s", type_name(a, ta, sizeof ta),
                 type_name(b, tb, sizeof tb));
}

static fl_code need_boolean(const fl_sql_expr *at, const char *what, const fl_sql_expr *arg, fl_err *err) {
  tclass c = class_of(arg);
  if (c == C_BOOL || c == C_NULL) return FL_OK;
  char t[32];
  return fail_at(err, at, "argument of %s must be BOOLEAN, found %s", what, type_name(arg, t, sizeof t));
}

static fl_code bind_arith(fl_sql_expr *e, fl_err *err) {
  fl_sql_expr *a = e->args[0], *b = e->args[1];
  tclass ca = class_of(a), cb = class_of(b);
  fl_sql_op op = e->op;
  char ta[32], tb[32];
  const char *sym = op == FL_SQL_OP_ADD   ? "+"
                    : op == FL_SQL_OP_SUB ? "-"
                    : op == FL_SQL_OP_MUL ? "*"
                    : op == FL_SQL_OP_DIV ? "/"
                                          : "%";
  if (ca == C_NULL || cb == C_NULL) {
    const fl_sql_expr *other = ca == C_NULL ? b : a;
    e->rtype = other->rtype;
    e->type = other->type;
    return FL_OK;
  }
  if (ca == C_NUM && cb == C_NUM) {
    e->rtype = FL_SQL_RT_VALUE;
    e->type = number_result(op, a, b);
    return FL_OK;
  }
  bool add_sub = op == FL_SQL_OP_ADD || op == FL_SQL_OP_SUB;
  fl_type_kind ka = a->type.kind, kb = b->type.kind;
  if (add_sub && ca == C_TIME && cb == C_INTERVAL && ka == FL_T_TIMESTAMP) {
    set_value(e, FL_T_TIMESTAMP);
    return FL_OK;
  }
  if (op == FL_SQL_OP_ADD && ca == C_INTERVAL && cb == C_TIME && kb == FL_T_TIMESTAMP) {
    set_value(e, FL_T_TIMESTAMP);
    return FL_OK;
  }
  if (op == FL_SQL_OP_SUB && ca == C_TIME && cb == C_TIME && ka == kb) {
    if (ka == FL_T_DATE)
      set_value(e, FL_T_INT);
    else
      e->rtype = FL_SQL_RT_INTERVAL;
    return FL_OK;
  }
  if (add_sub && ka == FL_T_DATE && ca == C_TIME && cb == C_NUM && is_int_kind(kb)) {
    set_value(e, FL_T_DATE);
    return FL_OK;
  }
  if (op == FL_SQL_OP_ADD && kb == FL_T_DATE && cb == C_TIME && ca == C_NUM && is_int_kind(ka)) {
    set_value(e, FL_T_DATE);
    return FL_OK;
  }
  if ((add_sub && ca == C_INTERVAL && cb == C_INTERVAL) ||
      ((op == FL_SQL_OP_MUL || op == FL_SQL_OP_DIV) && ca == C_INTERVAL && cb == C_NUM) ||
      (op == FL_SQL_OP_MUL && ca == C_NUM && cb == C_INTERVAL)) {
    e->rtype = FL_SQL_RT_INTERVAL;
    return FL_OK;
  }
  return fail_at(err, e, "operator %s cannot take %s and %s", sym, type_name(a, ta, sizeof ta),
                 type_name(b, tb, sizeof tb));
}

static fl_code bind_binary(fl_sql_expr *e, fl_err *err) {
  fl_sql_expr *a = e->args[0], *b = e->args[1];
  char ta[32], tb[32];
  switch (e->op) {
    case FL_SQL_OP_AND:
    case FL_SQL_OP_OR: {
      const char *what = e->op == FL_SQL_OP_AND ? "AND" : "OR";
      fl_code code = need_boolean(e, what, a, err);
      if (!code) code = need_boolean(e, what, b, err);
      if (code) return code;
      set_value(e, FL_T_BOOLEAN);
      return FL_OK;
    }
    case FL_SQL_OP_EQ:
    case FL_SQL_OP_NE:
    case FL_SQL_OP_LT:
    case FL_SQL_OP_LE:
    case FL_SQL_OP_GT:
    case FL_SQL_OP_GE: {
      fl_code code = comparable(e, a, b, err);
      if (code) return code;
      set_value(e, FL_T_BOOLEAN);
      return FL_OK;
    }
    case FL_SQL_OP_CONCAT: {
      tclass ca = class_of(a), cb = class_of(b);
      if ((ca == C_STR || ca == C_NULL) && (cb == C_STR || cb == C_NULL)) {
        set_value(e, FL_T_STRING);
        return FL_OK;
      }
      return fail_at(err, e, "operator || needs STRING operands, found %s and %s",
                     type_name(a, ta, sizeof ta), type_name(b, tb, sizeof tb));
    }
    default: return bind_arith(e, err);
  }
}

static fl_code bind_unary(fl_sql_expr *e, fl_err *err) {
  fl_sql_expr *a = e->args[0];
  tclass c = class_of(a);
  if (e->op == FL_SQL_OP_NOT) {
    fl_code code = need_boolean(e, "NOT", a, err);
    if (code) return code;
    set_value(e, FL_T_BOOLEAN);
    return FL_OK;
  }
  if (c == C_NUM || c == C_INTERVAL || c == C_NULL) {
    e->rtype = a->rtype;
    e->type = a->type;
    return FL_OK;
  }
  char t[32];
  return fail_at(err, e, "unary %s cannot take %s", e->op == FL_SQL_OP_NEG ? "-" : "+",
                 type_name(a, t, sizeof t));
}

static bool castable(tclass from, fl_type_kind to) {
  switch (from) {
    case C_NULL:
    case C_STR: return true;
    case C_NUM: return to != FL_T_DATE && to != FL_T_TIMESTAMP && to != FL_T_JSON;
    case C_BOOL: return to == FL_T_BOOLEAN || to == FL_T_STRING || to == FL_T_INT || to == FL_T_BIGINT;
    case C_TIME: return to == FL_T_DATE || to == FL_T_TIMESTAMP || to == FL_T_STRING;
    case C_INTERVAL: return to == FL_T_STRING;
    case C_TOD:
    case C_BYTES: return to == FL_T_STRING;
    case C_OTHER: break;
  }
  return false;
}

/* Functions known to the contract checker; the SQL engine adds its own. */
static const struct {
  const char *name;
  int nargs; /* -1: one or more */
} functions[] = {
    {"lower", 1}, {"upper", 1}, {"length", 1}, {"abs", 1}, {"coalesce", -1}, {"now", 0},
};

static fl_code bind_func(fl_sql_expr *e, fl_err *err) {
  size_t i = 0, n = sizeof functions / sizeof functions[0];
  while (i < n && strcmp(functions[i].name, e->name) != 0) i++;
  if (i == n) return fail_at(err, e, "unknown function '%s'", e->name);
  char t[32];
  if (e->star || e->distinct)
    return fail_at(err, e, "%s(%s...) is only for aggregates", e->name, e->star ? "*" : "DISTINCT ");
  int want = functions[i].nargs;
  if ((want >= 0 && e->nargs != (uint32_t)want) || (want < 0 && e->nargs == 0)) {
    return fail_at(err, e, "function %s takes %s%d argument%s, found %u", e->name,
                   want < 0 ? "at least " : "", want < 0 ? 1 : want, want == 1 || want < 0 ? "" : "s",
                   e->nargs);
  }
  const char *name = e->name;
  if (!strcmp(name, "now")) {
    set_value(e, FL_T_TIMESTAMP);
    return FL_OK;
  }
  if (!strcmp(name, "coalesce")) {
    fl_sql_expr *first = e->args[0];
    for (uint32_t a = 1; a < e->nargs; a++) {
      fl_code code = comparable(e, first, e->args[a], err);
      if (code) return code;
      if (class_of(first) == C_NULL) first = e->args[a];
    }
    e->rtype = first->rtype;
    e->type = first->type;
    return FL_OK;
  }
  const fl_sql_expr *arg = e->args[0];
  tclass c = class_of(arg);
  if (!strcmp(name, "abs")) {
    if (c != C_NUM && c != C_NULL && c != C_INTERVAL)
      return fail_at(err, e, "function abs needs a number, found %s", type_name(arg, t, sizeof t));
    e->rtype = arg->rtype;
    e->type = arg->type;
    return FL_OK;
  }
  if (c != C_STR && c != C_NULL)
    return fail_at(err, e, "function %s needs a STRING, found %s", name, type_name(arg, t, sizeof t));
  set_value(e, strcmp(name, "length") == 0 ? FL_T_INT : FL_T_STRING);
  return FL_OK;
}

static fl_code bind(fl_sql_expr *e, const fl_schema *schema, fl_err *err) {
  /* the SELECT binder (bind_select.c) turns these into columns before binding */
  if (e->query || e->over || e->filter)
    return fail_at(err, e, "%s not allowed here",
                   e->query  ? "a subquery is"
                   : e->over ? "a window function (OVER) is"
                             : "FILTER (WHERE ...) is");
  for (uint32_t i = 0; i < e->nargs; i++) {
    fl_code code = bind(e->args[i], schema, err);
    if (code) return code;
  }
  char ta[32], tb[32];
  switch (e->kind) {
    case FL_SQL_E_LITERAL:
      if (e->lit == FL_SQL_LIT_NULL)
        e->rtype = FL_SQL_RT_NULL;
      else if (e->lit == FL_SQL_LIT_INTERVAL)
        e->rtype = FL_SQL_RT_INTERVAL;
      else {
        e->rtype = FL_SQL_RT_VALUE;
        e->type = e->value.type;
      }
      return FL_OK;
    case FL_SQL_E_COLUMN: {
      const fl_field *f = e->field >= 0 && (uint32_t)e->field < schema->nfields
                              ? &schema->fields[e->field] /* resolved through the SELECT's scopes */
                              : fl_schema_field_by_name(schema, e->name);
      if (!f) return fail_at(err, e, "unknown column '%s'", e->name);
      e->field = (int32_t)(f - schema->fields);
      e->rtype = FL_SQL_RT_VALUE;
      e->type = f->type;
      return FL_OK;
    }
    case FL_SQL_E_UNARY: return bind_unary(e, err);
    case FL_SQL_E_BINARY: return bind_binary(e, err);
    case FL_SQL_E_IS_NULL: set_value(e, FL_T_BOOLEAN); return FL_OK;
    case FL_SQL_E_IN:
      for (uint32_t i = 1; i < e->nargs; i++) {
        fl_code code = comparable(e->args[i], e->args[0], e->args[i], err);
        if (code) return code;
      }
      set_value(e, FL_T_BOOLEAN);
      return FL_OK;
    case FL_SQL_E_BETWEEN:
      for (uint32_t i = 1; i < 3; i++) {
        fl_code code = comparable(e, e->args[0], e->args[i], err);
        if (code) return code;
      }
      set_value(e, FL_T_BOOLEAN);
      return FL_OK;
    case FL_SQL_E_LIKE: {
      tclass ca = class_of(e->args[0]), cb = class_of(e->args[1]);
      if ((ca != C_STR && ca != C_NULL) || (cb != C_STR && cb != C_NULL))
        return fail_at(err, e, "LIKE needs STRING operands, found %s and %s",
                       type_name(e->args[0], ta, sizeof ta), type_name(e->args[1], tb, sizeof tb));
      set_value(e, FL_T_BOOLEAN);
      return FL_OK;
    }
    case FL_SQL_E_FUNC: return bind_func(e, err);
    case FL_SQL_E_SUBQUERY:
    case FL_SQL_E_EXISTS: FL_ASSERT(false, "subquery kinds are refused above"); return FL_EINVAL;
    case FL_SQL_E_CAST: {
      tclass c = class_of(e->args[0]);
      fl_sql_type_format(e->cast_type, tb, sizeof tb);
      if (!castable(c, e->cast_type.kind))
        return fail_at(err, e, "cannot cast %s to %s", type_name(e->args[0], ta, sizeof ta), tb);
      e->rtype = FL_SQL_RT_VALUE;
      e->type = e->cast_type;
      return FL_OK;
    }
  }
  FL_ASSERT(false, "expression kind %d", e->kind);
  return FL_EINVAL;
}

fl_code fl_sql_expr_bind(fl_sql_expr *expr, const fl_schema *schema, fl_err *err) {
  FL_ASSERT(expr && schema);
  return bind(expr, schema, err);
}
