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
#include <strings.h>

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

/* The DECIMAL view of a number operand (INT as (10,0), BIGINT as (19,0), DuckDB's). */
static fl_type as_decimal(const fl_sql_expr *e) {
  if (e->type.kind == FL_T_DECIMAL) return e->type;
  fl_type t = {FL_T_DECIMAL, 0, 0, 0};
  t.precision = e->type.kind == FL_T_INT ? 10 : 19;
  return t;
}

/* The result type of number op number, as DuckDB binds it: DOUBLE beats FLOAT beats
 * DECIMAL beats BIGINT beats INT; / is DOUBLE except between FLOATs; // of integers
 * stays integer. DECIMAL + - (and %): the widest integer part and scale, plus one
 * digit for + -; * adds precisions and scales. Inputs of at most 18 digits give at
 * most 18 (the evaluator checks the result fits: DuckDB's "overflow" rule), any
 * result is capped at 38. */
static fl_type number_result(fl_sql_op op, const fl_sql_expr *a, const fl_sql_expr *b) {
  fl_type_kind ka = a->type.kind, kb = b->type.kind;
  fl_type t = {0};
  if (ka == FL_T_DOUBLE || kb == FL_T_DOUBLE)
    t.kind = FL_T_DOUBLE;
  else if (ka == FL_T_FLOAT || kb == FL_T_FLOAT)
    t.kind = op == FL_SQL_OP_IDIV ? FL_T_DOUBLE : FL_T_FLOAT;
  else if (op == FL_SQL_OP_DIV || (op == FL_SQL_OP_IDIV && (ka == FL_T_DECIMAL || kb == FL_T_DECIMAL)))
    t.kind = FL_T_DOUBLE;
  else if (ka == FL_T_DECIMAL || kb == FL_T_DECIMAL) {
    fl_type da = as_decimal(a), db = as_decimal(b);
    bool narrow = da.precision <= FL_DECIMAL64_PRECISION_MAX && db.precision <= FL_DECIMAL64_PRECISION_MAX;
    unsigned p, sc;
    t.kind = FL_T_DECIMAL;
    if (op == FL_SQL_OP_MUL) {
      sc = (unsigned)da.scale + db.scale;
      p = (unsigned)da.precision + db.precision;
      if (p > FL_DECIMAL64_PRECISION_MAX && narrow && sc < FL_DECIMAL64_PRECISION_MAX)
        p = FL_DECIMAL64_PRECISION_MAX;
    } else {
      unsigned sa = da.scale, sb = db.scale;
      unsigned ia = da.precision - sa, ib = db.precision - sb;
      sc = sa > sb ? sa : sb;
      p = (ia > ib ? ia : ib) + sc;
      unsigned pmax = da.precision > db.precision ? da.precision : db.precision;
      if (pmax > p) p = pmax;
      if (op != FL_SQL_OP_MOD) {
        p++;
        if (p > FL_DECIMAL64_PRECISION_MAX && narrow) p = FL_DECIMAL64_PRECISION_MAX;
      }
    }
    if (p > FL_DECIMAL_PRECISION_MAX) p = FL_DECIMAL_PRECISION_MAX;
    if (sc > p) sc = p;
    t.precision = (uint8_t)(p ? p : 1);
    t.scale = (uint8_t)sc;
  } else if (ka == FL_T_BIGINT || kb == FL_T_BIGINT) {
    t.kind = FL_T_BIGINT;
  } else {
    t.kind = FL_T_INT;
  }
  return t;
}

/* The type both a and b convert to (CASE branches, COALESCE, NULLIF, greatest/least),
 * DuckDB's rules; false if there is none. */
static bool supertype(const fl_sql_expr *a, const fl_sql_expr *b, fl_sql_rtype *rt, fl_type *t) {
  tclass ca = class_of(a), cb = class_of(b);
  if (ca == C_NULL || cb == C_NULL) {
    const fl_sql_expr *o = ca == C_NULL ? b : a;
    *rt = o->rtype;
    *t = o->type;
    return true;
  }
  *rt = FL_SQL_RT_VALUE;
  if (ca != cb) return false;
  switch (ca) {
    case C_NUM: {
      fl_type_kind ka = a->type.kind, kb = b->type.kind;
      memset(t, 0, sizeof *t);
      if (ka == FL_T_DOUBLE || kb == FL_T_DOUBLE)
        t->kind = FL_T_DOUBLE;
      else if (ka == FL_T_FLOAT || kb == FL_T_FLOAT)
        t->kind = FL_T_FLOAT;
      else if (ka == FL_T_DECIMAL || kb == FL_T_DECIMAL) {
        fl_type da = as_decimal(a), db = as_decimal(b);
        unsigned ia = da.precision - da.scale, ib = db.precision - db.scale;
        unsigned sc = da.scale > db.scale ? da.scale : db.scale;
        unsigned p = (ia > ib ? ia : ib) + sc;
        if (p > FL_DECIMAL_PRECISION_MAX) p = FL_DECIMAL_PRECISION_MAX;
        t->kind = FL_T_DECIMAL;
        t->precision = (uint8_t)p;
        t->scale = (uint8_t)(sc > p ? p : sc);
      } else
        t->kind = ka == FL_T_BIGINT || kb == FL_T_BIGINT ? FL_T_BIGINT : FL_T_INT;
      return true;
    }
    case C_STR:
      *t = a->type;
      if (b->type.kind != a->type.kind) t->kind = FL_T_STRING;
      return true;
    case C_TIME:
      *t = a->type;
      if (b->type.kind != a->type.kind) t->kind = FL_T_TIMESTAMP;
      return true;
    case C_BOOL:
    case C_TOD: *t = a->type; return true;
    case C_INTERVAL: *rt = FL_SQL_RT_INTERVAL; return true;
    case C_BYTES: *t = a->type; return fl_type_equal(a->type, b->type);
    default: return false;
  }
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
  const char *sym = op == FL_SQL_OP_ADD    ? "+"
                    : op == FL_SQL_OP_SUB  ? "-"
                    : op == FL_SQL_OP_MUL  ? "*"
                    : op == FL_SQL_OP_DIV  ? "/"
                    : op == FL_SQL_OP_IDIV ? "//"
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
  if (add_sub && ca == C_TIME && cb == C_INTERVAL) { /* DATE + INTERVAL is a TIMESTAMP (DuckDB) */
    set_value(e, FL_T_TIMESTAMP);
    return FL_OK;
  }
  if (op == FL_SQL_OP_ADD && ca == C_INTERVAL && cb == C_TIME) {
    set_value(e, FL_T_TIMESTAMP);
    return FL_OK;
  }
  if (op == FL_SQL_OP_SUB && ca == C_TIME && cb == C_TIME && ka == kb) {
    if (ka == FL_T_DATE)
      set_value(e, FL_T_BIGINT);
    else
      e->rtype = FL_SQL_RT_INTERVAL;
    return FL_OK;
  }
  if (add_sub && ka == FL_T_DATE && ca == C_TIME && cb == C_NUM &&
      kb == FL_T_INT) { /* DuckDB: INTEGER only */
    set_value(e, FL_T_DATE);
    return FL_OK;
  }
  if (op == FL_SQL_OP_ADD && kb == FL_T_DATE && cb == C_TIME && ca == C_NUM && ka == FL_T_INT) {
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
    case FL_SQL_OP_ARROW:
    case FL_SQL_OP_ARROW2: {
      tclass ca = class_of(a), cb = class_of(b);
      if ((ca == C_STR || ca == C_NULL) &&
          (cb == C_STR || cb == C_NULL || (cb == C_NUM && is_int_kind(b->type.kind)))) {
        set_value(e, e->op == FL_SQL_OP_ARROW ? FL_T_JSON : FL_T_STRING);
        return FL_OK;
      }
      return fail_at(err, e, "operator %s needs JSON and a path or index, found %s and %s",
                     e->op == FL_SQL_OP_ARROW ? "->" : "->>", type_name(a, ta, sizeof ta),
                     type_name(b, tb, sizeof tb));
    }
    case FL_SQL_OP_CONCAT: { /* any values, as their text (DuckDB: 'x' || 1 is 'x1') */
      tclass ca = class_of(a), cb = class_of(b);
      if (ca != C_INTERVAL && cb != C_INTERVAL && ca != C_OTHER && cb != C_OTHER) {
        set_value(e, FL_T_STRING);
        return FL_OK;
      }
      return fail_at(err, e, "operator || cannot take %s and %s", type_name(a, ta, sizeof ta),
                     type_name(b, tb, sizeof tb));
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
    case C_NUM:
      return to != FL_T_DATE && to != FL_T_TIMESTAMP && to != FL_T_JSON &&
             (to == FL_T_STRING || !fl_type_is_bytes(to));
    case C_BOOL:
      return to == FL_T_BOOLEAN || to == FL_T_STRING || to == FL_T_INT || to == FL_T_BIGINT ||
             to == FL_T_FLOAT || to == FL_T_DOUBLE || to == FL_T_DECIMAL;
    case C_TIME: return to == FL_T_DATE || to == FL_T_TIMESTAMP || to == FL_T_STRING;
    case C_INTERVAL: return to == FL_T_STRING;
    case C_TOD:
    case C_BYTES: return to == FL_T_STRING;
    case C_OTHER: break;
  }
  return false;
}

/* Functions: name, argument count range (max -1: any), and the rule for the result.
 * Each has DuckDB's semantics (the evaluator's comment names the details). */
typedef enum fres {
  R_TIMESTAMP,
  R_DATE,
  R_STRING,
  R_BIGINT,
  R_BOOL,
  R_DOUBLE,
  R_JSON,
  R_ARG0,      /* the first argument's type (abs, nullif) */
  R_SUPER,     /* the supertype of every argument (coalesce, greatest, least) */
  R_ROUND,     /* round(x[, n]) */
  R_FLOOR,     /* floor, ceil */
  R_DATE_PART, /* BIGINT; DOUBLE for 'epoch' */
} fres;
/* argument classes checked: S string, N number, T DATE/TIMESTAMP, A any, I integer */
static const struct {
  const char *name;
  int min, max;
  const char *args; /* one letter per argument; the last repeats */
  fres res;
} functions[] = {
    {"abs", 1, 1, "N", R_ARG0},
    {"ceil", 1, 1, "N", R_FLOOR},
    {"ceiling", 1, 1, "N", R_FLOOR},
    {"coalesce", 1, -1, "A", R_SUPER},
    {"concat", 1, -1, "A", R_STRING},
    {"current_date", 0, 0, "", R_DATE},
    {"current_timestamp", 0, 0, "", R_TIMESTAMP},
    {"date_part", 2, 2, "ST", R_DATE_PART},
    {"date_trunc", 2, 2, "ST", R_TIMESTAMP},
    {"datepart", 2, 2, "ST", R_DATE_PART},
    {"datetrunc", 2, 2, "ST", R_TIMESTAMP},
    {"ends_with", 2, 2, "SS", R_BOOL},
    {"exp", 1, 1, "N", R_DOUBLE},
    {"floor", 1, 1, "N", R_FLOOR},
    {"greatest", 1, -1, "A", R_SUPER},
    {"json_extract", 2, 2, "SA", R_JSON},
    {"json_extract_string", 2, 2, "SA", R_STRING},
    {"lcase", 1, 1, "S", R_STRING},
    {"least", 1, -1, "A", R_SUPER},
    {"left", 2, 2, "SI", R_STRING},
    {"len", 1, 1, "S", R_BIGINT},
    {"length", 1, 1, "S", R_BIGINT},
    {"ln", 1, 1, "N", R_DOUBLE},
    {"log10", 1, 1, "N", R_DOUBLE},
    {"lower", 1, 1, "S", R_STRING},
    {"ltrim", 1, 2, "S", R_STRING},
    {"now", 0, 0, "", R_TIMESTAMP},
    {"nullif", 2, 2, "A", R_ARG0},
    {"pow", 2, 2, "N", R_DOUBLE},
    {"power", 2, 2, "N", R_DOUBLE},
    {"regexp_matches", 2, 2, "SS", R_BOOL},
    {"replace", 3, 3, "S", R_STRING},
    {"reverse", 1, 1, "S", R_STRING},
    {"right", 2, 2, "SI", R_STRING},
    {"round", 1, 2, "NI", R_ROUND},
    {"rtrim", 1, 2, "S", R_STRING},
    {"split_part", 3, 3, "SSI", R_STRING},
    {"sqrt", 1, 1, "N", R_DOUBLE},
    {"starts_with", 2, 2, "SS", R_BOOL},
    {"strlen", 1, 1, "S", R_BIGINT},
    {"strpos", 2, 2, "SS", R_BIGINT},
    {"substr", 2, 3, "SII", R_STRING},
    {"substring", 2, 3, "SII", R_STRING},
    {"trim", 1, 2, "S", R_STRING},
    {"ucase", 1, 1, "S", R_STRING},
    {"upper", 1, 1, "S", R_STRING},
};

static bool arg_fits(char want, const fl_sql_expr *arg) {
  tclass c = class_of(arg);
  if (c == C_NULL || want == 'A') return true;
  switch (want) {
    case 'S': return c == C_STR;
    case 'N': return c == C_NUM;
    case 'I': return c == C_NUM && is_int_kind(arg->type.kind);
    case 'T': return c == C_TIME;
    default: return false;
  }
}

static const char *arg_class_name(char want) {
  switch (want) {
    case 'S': return "a STRING";
    case 'N': return "a number";
    case 'I': return "an integer";
    case 'T': return "a DATE or TIMESTAMP";
    default: return "a value";
  }
}

static fl_code bind_func(fl_sql_expr *e, fl_err *err) {
  size_t i = 0, n = sizeof functions / sizeof functions[0];
  while (i < n && strcmp(functions[i].name, e->name) != 0) i++;
  if (i == n) return fail_at(err, e, "unknown function '%s'", e->name);
  char t[32];
  if (e->star || e->distinct)
    return fail_at(err, e, "%s(%s...) is only for aggregates", e->name, e->star ? "*" : "DISTINCT ");
  int lo = functions[i].min, hi = functions[i].max;
  if (e->nargs < (uint32_t)lo || (hi >= 0 && e->nargs > (uint32_t)hi)) {
    if (lo == hi)
      return fail_at(err, e, "function %s takes %d argument%s, found %u", e->name, lo, lo == 1 ? "" : "s",
                     e->nargs);
    if (hi < 0)
      return fail_at(err, e, "function %s takes at least %d argument%s, found %u", e->name, lo,
                     lo == 1 ? "" : "s", e->nargs);
    return fail_at(err, e, "function %s takes %d to %d arguments, found %u", e->name, lo, hi, e->nargs);
  }
  const char *want = functions[i].args;
  size_t nwant = strlen(want);
  if (functions[i].res == R_DATE_PART && class_of(e->args[1]) == C_INTERVAL) {
    /* extract(epoch FROM t2 - t1): an interval's length in seconds (its only part here) */
    const fl_sql_expr *f = e->args[0];
    if (f->kind != FL_SQL_E_LITERAL || f->lit != FL_SQL_LIT_STRING || strcasecmp(f->text, "epoch") != 0)
      return fail_at(err, f, "%s of an INTERVAL takes only 'epoch'", e->name);
    set_value(e, FL_T_DOUBLE);
    return FL_OK;
  }
  for (uint32_t a = 0; a < e->nargs && nwant; a++) {
    char w = want[a < nwant ? a : nwant - 1];
    if (!arg_fits(w, e->args[a]))
      return fail_at(err, e, "function %s needs %s as argument %u, found %s", e->name, arg_class_name(w),
                     a + 1, type_name(e->args[a], t, sizeof t));
  }
  const fl_sql_expr *a0 = e->nargs ? e->args[0] : NULL;
  switch (functions[i].res) {
    case R_TIMESTAMP: set_value(e, FL_T_TIMESTAMP); return FL_OK;
    case R_DATE: set_value(e, FL_T_DATE); return FL_OK;
    case R_STRING: set_value(e, FL_T_STRING); return FL_OK;
    case R_BIGINT: set_value(e, FL_T_BIGINT); return FL_OK;
    case R_BOOL: set_value(e, FL_T_BOOLEAN); return FL_OK;
    case R_DOUBLE: set_value(e, FL_T_DOUBLE); return FL_OK;
    case R_JSON: set_value(e, FL_T_JSON); return FL_OK;
    case R_ARG0:
      if (!strcmp(e->name, "nullif")) {
        fl_code code = comparable(e, e->args[0], e->args[1], err);
        if (code) return code;
      }
      e->rtype = a0->rtype;
      e->type = a0->type;
      return FL_OK;
    case R_SUPER: {
      fl_sql_rtype rt = a0->rtype;
      fl_type ty = a0->type;
      for (uint32_t a = 1; a < e->nargs; a++) {
        fl_sql_expr acc = {0};
        acc.rtype = rt;
        acc.type = ty;
        if (!supertype(&acc, e->args[a], &rt, &ty)) {
          char tb[32];
          return fail_at(err, e, "%s: cannot combine %s with %s", e->name, type_name(&acc, t, sizeof t),
                         type_name(e->args[a], tb, sizeof tb));
        }
      }
      e->rtype = rt;
      e->type = ty;
      return FL_OK;
    }
    case R_ROUND:
      e->rtype = a0->rtype;
      e->type = a0->type;
      if (a0->rtype == FL_SQL_RT_VALUE && a0->type.kind == FL_T_DECIMAL) {
        int64_t digits = 0;
        if (e->nargs == 2) {
          const fl_sql_expr *d = e->args[1];
          if (d->kind != FL_SQL_E_LITERAL || d->lit != FL_SQL_LIT_INT)
            return fail_at(err, d, "round of a DECIMAL needs a constant number of digits");
          digits = d->value.u.i64;
        }
        if (digits < 0) digits = 0;
        if (digits < e->type.scale) e->type.scale = (uint8_t)digits;
      }
      return FL_OK;
    case R_FLOOR:
      e->rtype = a0->rtype;
      e->type = a0->type;
      if (a0->rtype == FL_SQL_RT_VALUE && a0->type.kind == FL_T_DECIMAL) e->type.scale = 0;
      return FL_OK;
    case R_DATE_PART: {
      const fl_sql_expr *f = e->args[0];
      if (f->kind != FL_SQL_E_LITERAL || f->lit != FL_SQL_LIT_STRING)
        return fail_at(err, f, "%s needs a constant field name ('year', 'hour', ...)", e->name);
      set_value(e, strcasecmp(f->text, "epoch") == 0 ? FL_T_DOUBLE : FL_T_BIGINT);
      return FL_OK;
    }
  }
  return FL_OK;
}

static fl_code bind_case(fl_sql_expr *e, fl_err *err) {
  uint32_t i = e->case_operand ? 1 : 0;
  fl_sql_rtype rt = FL_SQL_RT_NULL;
  fl_type ty = {0};
  char ta[32], tb[32];
  for (; i < e->nargs; i += 2) {
    bool is_else = i + 1 == e->nargs;
    if (!is_else) {
      fl_sql_expr *w = e->args[i];
      fl_code code = e->case_operand ? comparable(w, e->args[0], w, err) : need_boolean(w, "WHEN", w, err);
      if (code) return code;
    }
    fl_sql_expr *r = e->args[is_else ? i : i + 1];
    fl_sql_expr acc = {0};
    acc.rtype = rt;
    acc.type = ty;
    if (!supertype(&acc, r, &rt, &ty))
      return fail_at(err, r, "CASE branches of types %s and %s", type_name(&acc, ta, sizeof ta),
                     type_name(r, tb, sizeof tb));
  }
  e->rtype = rt;
  e->type = ty;
  return FL_OK;
}

static fl_code bind(fl_sql_expr *e, const fl_schema *schema, fl_err *err) {
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
        /* an integer literal that fits 32 bits is an INT, as DuckDB types it (its value
           stays the BIGINT the parser made) */
        if (e->lit == FL_SQL_LIT_INT && e->value.u.i64 >= INT32_MIN && e->value.u.i64 <= INT32_MAX)
          e->type.kind = FL_T_INT;
        /* a number of 19..38 digits without an exponent is exact, as in DuckDB: DECIMAL(38,0)
           for an integer (DuckDB's HUGEINT), DECIMAL(p,s) with a point; the value stays the
           parser's DOUBLE and the evaluator reads the text */
        if (e->lit == FL_SQL_LIT_DOUBLE && e->text && !strpbrk(e->text, "eE")) {
          size_t n = strlen(e->text), digits = 0, scale = 0;
          const char *dot = strchr(e->text, '.');
          for (size_t k = 0; k < n; k++) digits += e->text[k] >= '0' && e->text[k] <= '9';
          if (dot) scale = n - (size_t)(dot - e->text) - 1;
          if (digits <= FL_DECIMAL_PRECISION_MAX && scale <= digits) {
            e->type.kind = FL_T_DECIMAL;
            e->type.precision = (uint8_t)(dot ? digits : FL_DECIMAL_PRECISION_MAX);
            e->type.scale = (uint8_t)scale;
          }
        }
      }
      return FL_OK;
    case FL_SQL_E_COLUMN: {
      const fl_field *f = fl_schema_field_by_name(schema, e->name);
      if (!f && !e->qualifier &&
          (!strcmp(e->name, "current_date") || !strcmp(e->name, "current_timestamp"))) {
        e->kind = FL_SQL_E_FUNC; /* SQL's niladic functions, written without parentheses */
        return bind_func(e, err);
      }
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
      if (e->nargs == 3 && class_of(e->args[2]) != C_STR && class_of(e->args[2]) != C_NULL)
        return fail_at(err, e->args[2], "ESCAPE needs a STRING, found %s",
                       type_name(e->args[2], ta, sizeof ta));
      if ((ca != C_STR && ca != C_NULL) || (cb != C_STR && cb != C_NULL))
        return fail_at(err, e, "LIKE needs STRING operands, found %s and %s",
                       type_name(e->args[0], ta, sizeof ta), type_name(e->args[1], tb, sizeof tb));
      set_value(e, FL_T_BOOLEAN);
      return FL_OK;
    }
    case FL_SQL_E_FUNC: return bind_func(e, err);
    case FL_SQL_E_CASE: return bind_case(e, err);
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
