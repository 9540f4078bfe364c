/* sql/expr_eval: the vectorised expression evaluator. Bound expressions (fl_sql_expr_bind)
 * compile to a flat array of steps over registers and run a batch at a time (STYLE §10);
 * ingest's contract (CHECK), `--where` of cat and delete, and the SQL executor's project
 * and filter all go through here, so one set of semantics holds everywhere.
 *
 * Compilation (fl_sql_eval_add, fl_sql_eval_add_value) walks a bound expression tree once
 * and emits steps in post order; every node gets a register. A register is a column of
 * n values of one class: B (three-valued boolean: 0 false, 1 true, 2 unknown), I (int64
 * with a decimal scale: INT, BIGINT, DECIMAL up to 18 digits, DATE days, TIMESTAMP/
 * INTERVAL micros), F (double), S (string pointer + length), W (128-bit unscaled DECIMAL
 * of 19..38 digits; arithmetic through core/decimal.h, exact or an overflow); I, F, S and
 * W carry a null byte per row. A literal is a constant register: its index mask is 0, so
 * `r->i[i & r->mask]` reads the one value for every row, and the loops stay branch-free
 * over rows. Columns of int64 and 128-bit storage are not copied: the register points at
 * the batch vector. Where a node needs another class or scale than its operand gives
 * (CASE branches, coalesce, function arguments, INT / INT as DOUBLE) `coerce` inserts a
 * CAST step, or converts a constant once at compile time.
 *
 * Evaluation: an item's steps over the batch's first nrows rows. A predicate's result is
 * its B register (fl_sql_eval_run; fl_sql_eval_select keeps the rows where every
 * predicate is TRUE, WHERE's rule; a CHECK passes unless FALSE, the contract's rule). A
 * value expression's result register is written into the item's fl_vec of its bound
 * type (fl_sql_eval_value); a BOOLEAN one may be read as bytes (fl_sql_eval_test).
 *
 *   add ──compile(tree)──► steps[first..first+n) ──run_step each──► result register
 *                                                        │               ├─► B bytes (predicate)
 *                                                        │               └─► fl_vec (value)
 *                                                        └─► strict step fails: fault (first only),
 *                                                            the run stops with its message
 *
 * Semantics: predicates (fl_sql_eval_add) give unknown (NULL) for integer and decimal
 * overflow, a failed cast and division by zero; value expressions (strict steps) raise
 * DuckDB's errors for overflow and failed casts, and give NULL for // and % of integers
 * and decimals by zero (`/` is DOUBLE: IEEE's inf and nan, as DuckDB 1.5 gives).
 * x IN (..., NULL) without a match is unknown. Decimals are exact (scaled int64, compared
 * through 128-bit products; W through fl_dec128_*). String results are built in the
 * register's byte buffer (sb_*: offsets while it may move, pointers at the end).
 *
 * Memory: the evaluator owns steps, registers, literal copies (an arena), register
 * buffers sized to the largest batch seen (fl_malloc, grown geometrically, never per
 * row), value items' output vectors and compiled regular expressions. Every add comes
 * before the first run. One thread at a time. */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h> /* pcre2_code_free of regexp_matches' patterns */

#include "core/hash.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/utf8.h"
#include "core/value.h"
#include "sql/expr_eval_int.h"
#include "sql/sql.h"

static const struct {
  const char *name;
  fn_id id;
} fn_names[] = {
    {"ceil", F_CEIL},
    {"ceiling", F_CEIL},
    {"concat", F_CONCAT},
    {"current_date", F_CURRENT_DATE},
    {"date_part", F_DATE_PART},
    {"date_trunc", F_DATE_TRUNC},
    {"datepart", F_DATE_PART},
    {"datetrunc", F_DATE_TRUNC},
    {"ends_with", F_ENDS_WITH},
    {"exp", F_EXP},
    {"floor", F_FLOOR},
    {"greatest", F_GREATEST},
    {"json_extract", F_JSON},
    {"json_extract_string", F_JSON_STR},
    {"least", F_LEAST},
    {"left", F_LEFT},
    {"ln", F_LN},
    {"log10", F_LOG10},
    {"ltrim", F_LTRIM},
    {"nullif", F_NULLIF},
    {"pow", F_POWER},
    {"power", F_POWER},
    {"regexp_matches", F_REGEXP},
    {"replace", F_REPLACE},
    {"reverse", F_REVERSE},
    {"right", F_RIGHT},
    {"round", F_ROUND},
    {"rtrim", F_RTRIM},
    {"split_part", F_SPLIT_PART},
    {"sqrt", F_SQRT},
    {"starts_with", F_STARTS_WITH},
    {"strpos", F_STRPOS},
    {"substr", F_SUBSTRING},
    {"substring", F_SUBSTRING},
    {"trim", F_TRIM},
};

/* ---- compilation ------------------------------------------------------------------ */

static uint32_t new_reg(fl_sql_eval *c, uint8_t cls, bool vector) {
  if (c->nregs == c->regs_cap) {
    c->regs_cap = c->regs_cap ? c->regs_cap * 2 : 16;
    c->regs = fl_realloc(c->regs, c->regs_cap * sizeof *c->regs);
  }
  reg *r = &c->regs[c->nregs];
  memset(r, 0, sizeof *r);
  r->cls = cls;
  r->mask = vector ? UINT32_MAX : 0;
  return c->nregs++;
}

static step *new_step(fl_sql_eval *c, step_op op, uint32_t dst) {
  if (c->nsteps == c->steps_cap) {
    c->steps_cap = c->steps_cap ? c->steps_cap * 2 : 32;
    c->steps = fl_realloc(c->steps, c->steps_cap * sizeof *c->steps);
  }
  step *s = &c->steps[c->nsteps++];
  memset(s, 0, sizeof *s);
  s->op = op;
  s->dst = dst;
  s->dcol = -1;
  return s;
}

typedef struct cc {
  fl_sql_eval *c;
  fl_err *err;
  const char *text; /* the CHECK, for messages */
  pred *pr;
  bool strict;  /* runtime errors (overflow, bad casts) fail the run instead of giving NULL */
  bool value;   /* compiling a value expression: results keep to their type's range (an INT
                   stays 32 bits: outside it, an error when strict, else NULL) */
  uint16_t ctx; /* the deferred context steps compiled now report to (0: none) */
} cc;

/* A step that can fail at run time: remembers where, for the message. */
static step *new_step_at(cc *x, step_op op, uint32_t dst, const fl_sql_expr *e) {
  step *s = new_step(x->c, op, dst);
  s->strict = x->strict;
  s->label = x->text;
  s->eline = e->line;
  s->ecol = e->col;
  s->ctx = x->ctx;
  s->type = e->type;
  return s;
}

static fl_code unsupported(cc *x, const fl_sql_expr *e, const char *what) {
  return fl_err_set(x->err, FL_EUNSUPPORTED, "%s: line %u, column %u: %s is not supported", x->text, e->line,
                    e->col, what);
}

/* A constant register of class cls holding a NULL. */
static uint32_t null_const(fl_sql_eval *c, uint8_t cls) {
  uint32_t r = new_reg(c, cls, false);
  c->regs[r].cnul = cls == CB ? T_NULL : 1;
  return r;
}

static fl_code compile(cc *x, const fl_sql_expr *e, uint8_t hint, uint32_t *out);
static fl_code compile_case(cc *x, const fl_sql_expr *e, uint8_t hint, uint32_t *out);
/* A subexpression DuckDB evaluates only for some rows (the right side of AND and OR,
 * CASE branches and the WHENs after the first, coalesce arguments after the first):
 * compiled in a new deferred context, so that its runtime errors count only for the rows
 * that use it (the consuming step raises them). *ctx = 0 when not strict. */
static fl_code compile_in_ctx(cc *x, const fl_sql_expr *e, uint8_t hint, uint32_t *out, uint16_t *ctx) {
  fl_sql_eval *c = x->c;
  *ctx = 0;
  if (!x->strict) return compile(x, e, hint, out);
  if (c->nctx == UINT16_MAX - 1)
    return fl_err_set(x->err, FL_ELIMIT, "%s: more than %u conditional parts", x->text, UINT16_MAX - 2);
  *ctx = ++c->nctx;
  c->ctx_err = fl_realloc(c->ctx_err, (c->nctx + 1) * sizeof *c->ctx_err);
  c->ctx_msg = fl_realloc(c->ctx_msg, (c->nctx + 1) * sizeof *c->ctx_msg);
  c->ctx_err[*ctx] = NULL;
  memset(&c->ctx_msg[*ctx], 0, sizeof c->ctx_msg[*ctx]);
  uint16_t outer = x->ctx;
  x->ctx = *ctx;
  fl_code rc = compile(x, e, hint, out);
  x->ctx = outer;
  return rc;
}
/* The consuming step of deferred contexts: strict as its expression, in the outer context. */
static void consumer(cc *x, step *s, uint16_t *ctxs) {
  s->strict = x->strict;
  s->ctx = x->ctx;
  s->ctxs = ctxs;
}

/* NULL, or a cast or sign of it: what DuckDB folds `x op NULL` to NULL with, never
 * evaluating x. */
static bool null_constant(const fl_sql_expr *e) {
  while ((e->kind == FL_SQL_E_CAST || (e->kind == FL_SQL_E_UNARY && e->op != FL_SQL_OP_NOT)) && e->nargs == 1)
    e = e->args[0];
  return e->kind == FL_SQL_E_LITERAL && e->lit == FL_SQL_LIT_NULL;
}
static uint32_t coerce(cc *x, const fl_sql_expr *at, uint32_t r, fl_type want);
static fl_code compile_json_op(cc *x, const fl_sql_expr *e, uint32_t *out);
static fl_code compile_add_months(cc *x, const fl_sql_expr *e, uint32_t *out);
static fl_code compile_arith_typed(cc *x, const fl_sql_expr *e, uint32_t *out);
static fl_code compile_fn(cc *x, const fl_sql_expr *e, uint32_t *out);

/* Converts register r (class I) to F. */
static uint32_t to_f(fl_sql_eval *c, uint32_t r) {
  if (c->regs[r].cls != CI) return r;
  if (!c->regs[r].mask) { /* a constant: converted now */
    uint32_t k = new_reg(c, CF, false);
    reg *g = &c->regs[k], *src = &c->regs[r];
    g->cf = (double)src->ci / (double)fl_pow10_i64[src->scale];
    g->cnul = src->cnul;
    g->kind = FL_T_DOUBLE;
    return k;
  }
  uint32_t d = new_reg(c, CF, true);
  c->regs[d].kind = FL_T_DOUBLE;
  step *s = new_step(c, S_TOF, d);
  s->a = r;
  return d;
}

/* Multiplier bringing an I register to scale `scale` and unit micros (DATE -> TIMESTAMP). */
static int64_t mult_for(const reg *r, unsigned scale, bool to_micros) {
  if (to_micros && r->kind == FL_T_DATE) return INT64_C(86400000000);
  return fl_pow10_i64[scale - r->scale];
}

/* Compiles both operands of a binary node to registers of one class; for class I,
 * sets the multipliers that align their scales (and DATE with TIMESTAMP). */
/* The parser types a number of more than 18 digits DOUBLE; against a DECIMAL wider
 * than 18 digits its text is read exactly (no exponent, at most 38 digits) into a W
 * constant. False if it is not such a literal. */
static bool exact_wide_literal(fl_sql_eval *c, const fl_sql_expr *e, uint32_t *out) {
  if (e->kind != FL_SQL_E_LITERAL || e->lit != FL_SQL_LIT_DOUBLE || !e->text) return false;
  size_t n = strlen(e->text);
  if (memchr(e->text, 'e', n) || memchr(e->text, 'E', n)) return false;
  const char *dot = memchr(e->text, '.', n);
  size_t scale = dot ? n - (size_t)(dot - e->text) - 1 : 0;
  fl_i128 v;
  if (scale > 38 || !fl_dec128_parse(e->text, n, 38, (unsigned)scale, &v)) return false;
  uint32_t r = new_reg(c, CW, false);
  c->regs[r].cw = v;
  c->regs[r].scale = (uint8_t)scale;
  c->regs[r].kind = FL_T_DECIMAL;
  *out = r;
  return true;
}

/* A string constant compared with a UUID, BINARY or FIXED operand: its text
 * (canonical UUID, '\x0aff'; the binder checked it) as the bytes it names. */
static void text_to_bytes(fl_sql_eval *c, reg *k, fl_type_kind to) {
  uint8_t *b = fl_arena_alloc(&c->arena, k->csl / 2 + 16);
  size_t len = 0;
  bool ok = to == FL_T_UUID ? (len = 16, fl_uuid_parse(k->cs, k->csl, b))
                            : fl_hex_bytes_parse(k->cs, k->csl, b, &len);
  FL_ASSERT(ok, "a %s literal the binder let through", fl_type_sql_name(to));
  k->cs = (const char *)b;
  k->csl = (uint32_t)len;
  k->kind = to;
}

static fl_code operands(cc *x, const fl_sql_expr *ea, const fl_sql_expr *eb, uint32_t *ra, uint32_t *rb,
                        int64_t *ma, int64_t *mb) {
  fl_sql_eval *c = x->c;
  bool anull = ea->rtype == FL_SQL_RT_NULL;
  fl_code rc;
  if (!anull) {
    if ((rc = compile(x, ea, 0, ra))) return rc;
    if ((rc = compile(x, eb, c->regs[*ra].cls, rb))) return rc;
  } else {
    if ((rc = compile(x, eb, 0, rb))) return rc;
    if ((rc = compile(x, ea, c->regs[*rb].cls, ra))) return rc;
  }
  *ma = *mb = 1;
  reg *a = &c->regs[*ra], *b = &c->regs[*rb];
  if (a->cls == CS && b->cls == CS && is_bytes_kind(a->kind) != is_bytes_kind(b->kind)) {
    reg *k = is_bytes_kind(a->kind) ? b : a, *o = is_bytes_kind(a->kind) ? a : b;
    if (!k->mask && k->kind == FL_T_STRING && !k->cnul) text_to_bytes(c, k, o->kind);
  }
  if ((a->cls == CW && b->cls == CI) || (a->cls == CI && b->cls == CW)) {
    uint32_t *ri = a->cls == CI ? ra : rb;
    const reg *g = &c->regs[*ri];
    if (g->kind == FL_T_DATE || g->kind == FL_T_TIMESTAMP)
      return fl_err_set(x->err, FL_ETYPE, "%s: line %u, column %u: operands of different types", x->text,
                        ea->line, ea->col);
    uint8_t scale = g->scale;
    uint32_t r = new_reg(c, CW, true); /* may move regs */
    c->regs[r].scale = scale;
    c->regs[r].kind = FL_T_DECIMAL;
    new_step(c, S_TOW, r)->a = *ri;
    *ri = r;
    a = &c->regs[*ra];
    b = &c->regs[*rb];
  }
  for (int side = 0; side < 2; side++) { /* a number of 19..38 digits against a W: exactly */
    uint32_t *rk = side ? rb : ra;
    const fl_sql_expr *ek = side ? eb : ea;
    if (c->regs[*rk].cls == CF && c->regs[side ? *ra : *rb].cls == CW) {
      uint32_t r;
      if (exact_wide_literal(c, ek, &r)) *rk = r;
    }
  }
  a = &c->regs[*ra];
  b = &c->regs[*rb];
  for (int side = 0; side < 2;
       side++) { /* FLOAT against an integer or decimal: as FLOATs (0.1 is 0.1f), as DuckDB */
    uint32_t *rk = side ? rb : ra;
    const reg *k = &c->regs[*rk], *o = &c->regs[side ? *ra : *rb];
    if (o->cls == CF && o->kind == FL_T_FLOAT && (k->cls == CI || k->cls == CW) && k->kind != FL_T_DATE &&
        k->kind != FL_T_TIMESTAMP) {
      fl_type flt = {FL_T_FLOAT, 0, 0, 0};
      *rk = coerce(x, side ? eb : ea, *rk, flt);
    }
  }
  a = &c->regs[*ra];
  b = &c->regs[*rb];
  if ((a->cls == CW && b->cls == CF) || (a->cls == CF && b->cls == CW)) { /* as DOUBLEs, as DuckDB */
    fl_type dbl = {FL_T_DOUBLE, 0, 0, 0};
    if (a->cls == CW)
      *ra = coerce(x, ea, *ra, dbl);
    else
      *rb = coerce(x, eb, *rb, dbl);
    a = &c->regs[*ra]; /* coerce may move regs */
    b = &c->regs[*rb];
  }
  if (a->cls == CF && b->cls == CI)
    *rb = to_f(c, *rb);
  else if (a->cls == CI && b->cls == CF)
    *ra = to_f(c, *ra);
  else if (a->cls == CI && b->cls == CI) {
    bool micros = (a->kind == FL_T_DATE) != (b->kind == FL_T_DATE) &&
                  (a->kind == FL_T_TIMESTAMP || b->kind == FL_T_TIMESTAMP);
    unsigned scale = a->scale > b->scale ? a->scale : b->scale;
    *ma = mult_for(a, scale, micros);
    *mb = mult_for(b, scale, micros);
  }
  if (c->regs[*ra].cls != c->regs[*rb].cls)
    return fl_err_set(x->err, FL_ETYPE, "%s: line %u, column %u: operands of different types", x->text,
                      ea->line, ea->col);
  return FL_OK;
}

/* A comparison of class I with a constant operand: the constant is brought to the
 * other operand's scale and unit now, when that is exact, so rows compare as plain
 * int64 (ma = mb = 1) instead of through 128-bit products. */
static void fold_const_scale(fl_sql_eval *c, uint32_t *ra, uint32_t *rb, int64_t *ma, int64_t *mb) {
  if (c->regs[*ra].cls != CI || (*ma == 1 && *mb == 1)) return;
  for (int side = 0; side < 2; side++) {
    uint32_t *rk = side ? rb : ra, *ro = side ? ra : rb;
    int64_t *mk = side ? mb : ma, *mo = side ? ma : mb;
    const reg *k = &c->regs[*rk];
    if (k->mask || *mo != 1) continue; /* a constant, against an operand taken as it is */
    int64_t v;
    if (__builtin_mul_overflow(k->ci, *mk, &v)) continue;
    uint8_t cnul = k->cnul;
    const reg *o = &c->regs[*ro];
    uint8_t scale = o->scale;
    fl_type_kind kind = o->kind == FL_T_DATE ? FL_T_DATE : (k->kind == FL_T_DATE ? o->kind : k->kind);
    uint32_t r = new_reg(c, CI, false); /* may move regs */
    c->regs[r].ci = v;
    c->regs[r].cnul = cnul;
    c->regs[r].scale = scale;
    c->regs[r].kind = kind;
    *rk = r;
    *mk = 1;
    return;
  }
}

static fl_code compile_literal(cc *x, const fl_sql_expr *e, uint8_t hint, uint32_t *out) {
  fl_sql_eval *c = x->c;
  if (e->lit == FL_SQL_LIT_NULL) {
    *out = null_const(c, hint ? hint : CB);
    return FL_OK;
  }
  if (e->lit == FL_SQL_LIT_INTERVAL) {
    if (e->interval_months) /* months have no fixed length: only TIMESTAMP/DATE +- this literal takes them */
      return unsupported(x, e, "an INTERVAL with months or years other than in TIMESTAMP +- INTERVAL");
    uint32_t r = new_reg(c, CI, false);
    c->regs[r].ci = e->interval_us;
    c->regs[r].kind = FL_T_TIMESTAMP;
    *out = r;
    return FL_OK;
  }
  if (e->lit == FL_SQL_LIT_DOUBLE && e->rtype == FL_SQL_RT_VALUE && e->type.kind == FL_T_DECIMAL &&
      exact_wide_literal(c, e, out)) /* a number of 19..38 digits the binder typed DECIMAL */
    return FL_OK;
  const fl_value *v = &e->value;
  uint32_t r = new_reg(c, fl_decimal_is_wide(v->type) ? CW : class_of_type(v->type.kind), false);
  reg *g = &c->regs[r];
  g->kind = v->type.kind;
  switch (v->type.kind) {
    case FL_T_BOOLEAN: g->cnul = v->u.b ? T_TRUE : T_FALSE; break;
    case FL_T_INT:
    case FL_T_DATE: g->ci = v->u.i32; break;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: g->ci = v->u.i64; break;
    case FL_T_DECIMAL:
      if (g->cls == CW)
        g->cw = v->u.i128;
      else
        g->ci = v->u.i64;
      g->scale = v->type.scale;
      break;
    case FL_T_FLOAT: g->cf = v->u.f32; break;
    case FL_T_DOUBLE: g->cf = v->u.f64; break;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED:
      g->cs = fl_arena_memdup(&c->arena, v->u.str.ptr, v->u.str.len);
      g->csl = v->u.str.len;
      break;
  }
  *out = r;
  return FL_OK;
}

static void note_column(cc *x, int32_t field) {
  pred *k = x->pr;
  for (uint32_t i = 0; i < k->ncols; i++)
    if (k->cols[i] == field) return;
  if (k->ncols < FL_SQL_EVAL_COLS_MAX) k->cols[k->ncols++] = field;
}

/* Register r as a value of type want: r itself when it already is one (same class,
 * scale and kind family), else a CAST step's result. */
static uint32_t coerce(cc *x, const fl_sql_expr *at, uint32_t r, fl_type want) {
  fl_sql_eval *c = x->c;
  const reg *g = &c->regs[r];
  uint8_t cls = class_of_full(want);
  unsigned scale = want.kind == FL_T_DECIMAL ? want.scale : 0;
  if (g->cls == cls) {
    switch (cls) {
      case CB:
      case CF: return r;
      case CS:
        if (fl_type_is_bytes(want.kind) == fl_type_is_bytes(g->kind) || !fl_type_is_bytes(want.kind))
          return r;
        break;
      case CW:
        if (g->scale == scale) return r;
        break;
      case CI: {
        bool gt = g->kind == FL_T_DATE, wt = want.kind == FL_T_DATE;
        bool gts = g->kind == FL_T_TIMESTAMP, wts = want.kind == FL_T_TIMESTAMP;
        if (g->scale == scale && gt == wt && gts == wts && !(want.kind == FL_T_INT && g->kind != FL_T_INT))
          return r;
        break;
      }
    }
  }
  if (!g->mask && cls != CS && g->cls != CS) { /* a constant: converted now, once */
    reg src = *g, dst;
    memset(&dst, 0, sizeof dst);
    src.i = &src.ci, src.w = &src.cw, src.f = &src.cf, src.sp = &src.cs, src.sl = &src.csl,
    src.nul = &src.cnul;
    dst.cls = cls;
    dst.kind = want.kind;
    dst.scale = (uint8_t)scale;
    dst.i = &dst.ci, dst.w = dst.wbuf = &dst.cw, dst.f = &dst.cf, dst.nul = &dst.cnul;
    char why[200];
    bool null = src.cls == CB ? src.cnul == T_NULL : src.cnul != 0;
    if (null) dst.cnul = cls == CB ? T_NULL : 1;
    if (null || fl_sql_cast_cell(&src, 0, want, &dst, 0, why, sizeof why) == 0) {
      uint32_t k = new_reg(c, cls, false);
      reg *kr = &c->regs[k];
      kr->kind = want.kind;
      kr->scale = (uint8_t)scale;
      kr->ci = dst.ci;
      kr->cw = dst.cw;
      kr->cf = dst.cf;
      kr->cnul = dst.cnul;
      return k;
    }
    /* a constant that does not convert fails when it runs, with the message */
  }
  uint32_t d = new_reg(c, cls, true);
  c->regs[d].kind = want.kind;
  c->regs[d].scale = (uint8_t)scale;
  fl_sql_expr where = *at;
  where.type = want;
  step *s = new_step_at(x, S_CAST, d, &where);
  s->a = r;
  return d;
}

/* x [NOT] IN (a, b, ...) with items that are not all literals: x = a OR x = b ... */
static fl_code compile_in_or(cc *x, const fl_sql_expr *e, uint32_t *out) {
  fl_sql_eval *c = x->c;
  uint32_t acc = 0;
  fl_code rc;
  for (uint32_t i = 1; i < e->nargs; i++) {
    uint32_t a, b, r;
    int64_t ma, mb;
    if ((rc = operands(x, e->args[0], e->args[i], &a, &b, &ma, &mb))) return rc;
    fold_const_scale(c, &a, &b, &ma, &mb);
    r = new_reg(c, CB, true);
    step *s = new_step(c, S_CMP, r);
    s->sub = FL_SQL_OP_EQ;
    s->a = a;
    s->b = b;
    s->ma = ma;
    s->mb = mb;
    if (i > 1) {
      uint32_t o = new_reg(c, CB, true);
      step *so = new_step(c, S_OR, o);
      so->a = acc;
      so->b = r;
      r = o;
    }
    acc = r;
  }
  if (e->negated) {
    uint32_t nr = new_reg(c, CB, true);
    new_step(c, S_NOT, nr)->a = acc;
    acc = nr;
  }
  *out = acc;
  return FL_OK;
}

static fl_code compile_in(cc *x, const fl_sql_expr *e, uint32_t *out) {
  fl_sql_eval *c = x->c;
  for (uint32_t i = 1; i < e->nargs; i++)
    if (e->args[i]->kind != FL_SQL_E_LITERAL || e->args[i]->lit == FL_SQL_LIT_INTERVAL)
      return compile_in_or(x, e, out);
  uint32_t a;
  fl_code rc = compile(x, e->args[0], 0, &a);
  if (rc) return rc;
  reg *ra = &c->regs[a];
  set *st = fl_arena_calloc(&c->arena, 1, sizeof *st);
  uint32_t n = e->nargs - 1;
  st->s = fl_arena_calloc(&c->arena, n ? n : 1, sizeof *st->s);
  st->sl = fl_arena_calloc(&c->arena, n ? n : 1, sizeof *st->sl);
  st->iv = fl_arena_calloc(&c->arena, n ? n : 1, sizeof *st->iv);
  st->fv = fl_arena_calloc(&c->arena, n ? n : 1, sizeof *st->fv);
  st->wv = fl_arena_calloc(&c->arena, n ? n : 1, sizeof *st->wv);
  uint32_t slots = 8;
  while (slots < n * 2) slots *= 2;
  st->mask = slots - 1;
  st->slot = fl_arena_alloc(&c->arena, slots * sizeof *st->slot);
  for (uint32_t i = 0; i < slots; i++) st->slot[i] = -1;
  for (uint32_t i = 1; i < e->nargs; i++) {
    const fl_sql_expr *it = e->args[i];
    if (it->kind != FL_SQL_E_LITERAL) return unsupported(x, it, "a non-literal in an IN list");
    if (it->lit == FL_SQL_LIT_NULL) {
      st->has_null = true;
      continue;
    }
    uint32_t lr;
    if (ra->cls == CW && it->lit == FL_SQL_LIT_DOUBLE && exact_wide_literal(c, it, &lr)) {
      /* a number of 19..38 digits, exactly */
    } else if ((rc = compile_literal(x, it, ra->cls, &lr))) {
      return rc;
    }
    reg *l = &c->regs[lr];
    ra = &c->regs[a];
    if (ra->cls == CW) { /* a wide DECIMAL column: items at its scale, exactly, or dropped */
      fl_i128 v;
      if (l->cls == CI && l->kind != FL_T_DATE && l->kind != FL_T_TIMESTAMP)
        v = l->ci;
      else if (l->cls == CW)
        v = l->cw;
      else
        return unsupported(x, it, "this IN list item type");
      if (l->scale > ra->scale) { /* 1.5 never equals a DECIMAL(38,0): drop it */
        fl_i128 m = fl_dec128_pow10(l->scale - ra->scale);
        if (v % m) continue;
        v /= m;
      } else if (!fl_dec128_rescale(v, l->scale, ra->scale, 38, &v)) {
        continue; /* beyond any value of the column */
      }
      st->wv[st->n++] = v;
      continue;
    }
    if (ra->cls == CS && l->cls == CS) {
      if (is_bytes_kind(ra->kind) && l->kind == FL_T_STRING) text_to_bytes(c, l, ra->kind);
      uint32_t h = (uint32_t)fl_hash64(l->cs, l->csl) & st->mask;
      while (st->slot[h] >= 0) h = (h + 1) & st->mask;
      st->slot[h] = (int32_t)st->n;
      st->s[st->n] = l->cs;
      st->sl[st->n++] = l->csl;
    } else if (ra->cls == CI && l->cls == CI) {
      bool micros = (ra->kind == FL_T_DATE) != (l->kind == FL_T_DATE);
      if (micros && ra->kind == FL_T_DATE) {
        /* a DATE column against a TIMESTAMP literal: equal only at midnight */
        if (l->ci % INT64_C(86400000000)) continue;
        st->iv[st->n++] = l->ci / INT64_C(86400000000);
        continue;
      }
      int64_t v = l->ci;
      if (micros) v *= INT64_C(86400000000);
      if (l->scale > ra->scale) { /* 1.5 never equals an INT: drop it */
        int64_t m = fl_pow10_i64[l->scale - ra->scale];
        if (v % m) continue;
        v /= m;
      } else if (l->scale < ra->scale) {
        if (__builtin_mul_overflow(v, fl_pow10_i64[ra->scale - l->scale], &v)) continue;
      }
      st->iv[st->n++] = v;
    } else if (ra->cls == CF) {
      st->fv[st->n++] = l->cls == CI ? (double)l->ci / (double)fl_pow10_i64[l->scale] : l->cf;
    } else if (ra->cls == CB && l->cls == CB) {
      st->iv[st->n++] = l->cnul;
    } else if (ra->cls == CI && l->cls == CF) {
      double lf = l->cf;
      a = to_f(c, a); /* moves regs: l and ra are stale */
      ra = &c->regs[a];
      for (uint32_t j = 0; j < st->n; j++) st->fv[j] = (double)st->iv[j] / (double)fl_pow10_i64[ra->scale];
      st->fv[st->n++] = lf;
    } else {
      return unsupported(x, it, "this IN list item type");
    }
  }
  uint32_t d = new_reg(c, CB, true);
  step *s = new_step(c, S_IN, d);
  s->a = a;
  s->set = st;
  s->negated = e->negated;
  *out = d;
  return FL_OK;
}

static fl_code compile_func(cc *x, const fl_sql_expr *e, uint8_t hint, uint32_t *out) {
  fl_sql_eval *c = x->c;
  const char *name = e->name;
  fl_code rc;
  if (!strcmp(name, "now") || !strcmp(name, "current_timestamp") || !strcmp(name, "current_date")) {
    uint32_t d = new_reg(c, CI, false);
    c->regs[d].kind = FL_T_TIMESTAMP;
    new_step_at(x, S_NOW, d, e);
    if (!strcmp(name, "current_date")) {
      fl_type date = {FL_T_DATE, 0, 0, 0};
      d = coerce(x, e, d, date);
    }
    *out = d;
    return FL_OK;
  }
  if (!strcmp(name, "coalesce") && e->rtype == FL_SQL_RT_VALUE) {
    uint32_t *args = fl_arena_calloc(&c->arena, e->nargs, sizeof *args);
    uint16_t *ctxs = fl_arena_calloc(&c->arena, e->nargs, sizeof *ctxs);
    uint8_t cls = class_of_full(e->type);
    for (uint32_t i = 0; i < e->nargs; i++) {
      if (i) { /* evaluated only where every argument before is NULL */
        uint32_t r;
        if ((rc = compile_in_ctx(x, e->args[i], cls, &r, &ctxs[i]))) return rc;
        uint16_t outer = x->ctx;
        x->ctx = ctxs[i];
        args[i] = coerce(x, e, r, e->type);
        x->ctx = outer;
        continue;
      }
      if ((rc = compile(x, e->args[i], cls, &args[i]))) return rc;
      args[i] = coerce(x, e, args[i], e->type);
    }
    uint32_t d = new_reg(c, cls, true);
    c->regs[d].scale = c->regs[args[0]].scale;
    c->regs[d].kind = e->type.kind;
    step *s = new_step(c, S_COALESCE, d);
    consumer(x, s, ctxs);
    s->args = args;
    s->nargs = e->nargs;
    *out = d;
    return FL_OK;
  }
  if (strcmp(name, "lower") && strcmp(name, "upper") && strcmp(name, "length") && strcmp(name, "abs"))
    return compile_fn(x, e, out);
  uint32_t a;
  if ((rc = compile(x, e->args[0], !strcmp(name, "abs") ? CI : CS, &a))) return rc;
  uint8_t acls = c->regs[a].cls;
  step_op op;
  uint8_t cls = acls;
  if (!strcmp(name, "lower"))
    op = S_LOWER;
  else if (!strcmp(name, "upper"))
    op = S_UPPER;
  else if (!strcmp(name, "length")) {
    op = S_LENGTH;
    cls = CI;
  } else if (!strcmp(name, "abs"))
    op = S_ABS;
  else
    return unsupported(x, e, name);
  if ((op == S_ABS) != (acls == CI || acls == CF || acls == CW) || (op != S_ABS && acls != CS))
    return unsupported(x, e, "this argument type");
  uint32_t d = new_reg(c, cls, true);
  c->regs[d].scale = op == S_LENGTH ? 0 : c->regs[a].scale;
  c->regs[d].kind = op == S_LENGTH ? FL_T_BIGINT : c->regs[a].kind;
  step *s = new_step_at(x, op, d, e);
  s->a = a;
  *out = d;
  return FL_OK;
}

/* No column and no clock below e: a constant, which DuckDB folds before it runs. */
static bool subtree_constant(const fl_sql_expr *e) {
  if (e->kind == FL_SQL_E_COLUMN) return false;
  if (e->kind == FL_SQL_E_FUNC &&
      (!strcmp(e->name, "now") || !strcmp(e->name, "current_date") || !strcmp(e->name, "current_timestamp")))
    return false;
  for (uint32_t i = 0; i < e->nargs; i++)
    if (!subtree_constant(e->args[i])) return false;
  return true;
}

static fl_code add_item(fl_sql_eval *c, const fl_sql_expr *e, const char *label, bool value, uint32_t *index,
                        fl_err *err);

/* A constant subtree (not a literal) evaluated once, now, into a constant register: the
 * steps for `DATE '2024-01-01' + INTERVAL '1 day'` or `abs(NULL::INT)` run at compile
 * time, not per batch. It runs as a value expression; one that fails (an overflow, a bad
 * cast) is not folded and fails or gives NULL when it runs, as its mode says. */
static bool fold_constant(cc *x, const fl_sql_expr *e, uint8_t hint, uint32_t *out) {
  fl_sql_eval *c = x->c;
  if (c->no_fold || e->kind == FL_SQL_E_LITERAL || e->rtype == FL_SQL_RT_INTERVAL || !subtree_constant(e))
    return false;
  if (e->rtype == FL_SQL_RT_NULL) {
    *out = null_const(c, hint ? hint : CB);
    return true;
  }
  static const fl_schema none = {0, 0, NULL, 0, NULL};
  fl_sql_eval *sub = fl_sql_eval_new(&none);
  sub->no_fold = true;
  uint32_t k;
  fl_err err;
  const fl_vec *v = NULL;
  fl_batch one = {NULL, 0, 1, 1, NULL};
  bool ok = add_item(sub, e, "constant", true, &k, &err) == FL_OK &&
            fl_sql_eval_value(sub, k, &one, &v, &err) == FL_OK;
  if (ok) {
    fl_type t = e->type;
    uint8_t cls = class_of_full(t);
    uint32_t r = new_reg(c, cls, false);
    reg *g = &c->regs[r];
    g->kind = t.kind;
    g->scale = t.kind == FL_T_DECIMAL ? t.scale : 0;
    if (!fl_vec_is_valid(v, 0)) {
      g->cnul = cls == CB ? T_NULL : 1;
    } else {
      switch (t.kind) {
        case FL_T_BOOLEAN: g->cnul = v->data.b[0] ? T_TRUE : T_FALSE; break;
        case FL_T_INT:
        case FL_T_DATE: g->ci = v->data.i32[0]; break;
        case FL_T_FLOAT: g->cf = v->data.f32[0]; break;
        case FL_T_DOUBLE: g->cf = v->data.f64[0]; break;
        case FL_T_DECIMAL:
          if (cls == CW)
            g->cw = fl_vec_dec(v, 0);
          else
            g->ci = (int64_t)fl_vec_dec(v, 0);
          break;
        default:
          if (cls == CS) {
            uint32_t n;
            const char *p = fl_vec_str(v, 0, &n);
            g->cs = fl_arena_memdup(&c->arena, p, n);
            g->csl = n;
          } else {
            g->ci = v->data.i64[0];
          }
          break;
      }
    }
    *out = r;
  }
  fl_sql_eval_free(sub);
  return ok;
}

/* NULL for every row whatever the columns hold: NULL, an operator or a function (other
 * than coalesce, concat, greatest, least, nullif's second argument, CASE, IS NULL, AND,
 * OR) with such an argument, or a constant that evaluates to NULL. DuckDB folds these to
 * NULL before running, so the other operands are never evaluated (and never fail). */
static bool always_null(cc *x, const fl_sql_expr *e) {
  switch (e->kind) {
    case FL_SQL_E_LITERAL: return e->lit == FL_SQL_LIT_NULL;
    case FL_SQL_E_COLUMN:
    case FL_SQL_E_CASE:
    case FL_SQL_E_SUBQUERY:
    case FL_SQL_E_EXISTS:
    case FL_SQL_E_IS_NULL: return false;
    case FL_SQL_E_CAST:
    case FL_SQL_E_UNARY:
    case FL_SQL_E_IN:
    case FL_SQL_E_BETWEEN: return always_null(x, e->args[0]);
    case FL_SQL_E_BINARY:
      if (e->op == FL_SQL_OP_AND || e->op == FL_SQL_OP_OR || e->op == FL_SQL_OP_ARROW ||
          e->op == FL_SQL_OP_ARROW2)
        return false;
      return always_null(x, e->args[0]) || always_null(x, e->args[1]);
    case FL_SQL_E_LIKE: return always_null(x, e->args[0]) || always_null(x, e->args[1]);
    case FL_SQL_E_FUNC: {
      const char *n = e->name;
      if (!strcmp(n, "coalesce") || !strcmp(n, "concat") || !strcmp(n, "greatest") || !strcmp(n, "least"))
        return false;
      if (!strcmp(n, "nullif")) {
        if (always_null(x, e->args[0])) return true;
      } else {
        for (uint32_t i = 0; i < e->nargs; i++)
          if (always_null(x, e->args[i])) return true;
      }
      uint32_t k;
      if (subtree_constant(e) && fold_constant(x, e, 0, &k))
        return x->c->regs[k].cls == CB ? x->c->regs[k].cnul == T_NULL : x->c->regs[k].cnul != 0;
      return false;
    }
  }
  return false;
}

static fl_code compile(cc *x, const fl_sql_expr *e, uint8_t hint, uint32_t *out) {
  fl_sql_eval *c = x->c;
  fl_code rc;
  if (e->rtype == FL_SQL_RT_UNBOUND)
    return fl_err_set(x->err, FL_EINVAL, "%s: the expression is not bound to the schema", x->text);
  if (fold_constant(x, e, hint, out)) return FL_OK;
  if (e->kind != FL_SQL_E_LITERAL && e->rtype != FL_SQL_RT_INTERVAL && !c->no_fold && always_null(x, e)) {
    uint8_t cls = e->rtype == FL_SQL_RT_VALUE ? class_of_full(e->type) : (hint ? hint : CB);
    *out = null_const(c, cls);
    if (e->rtype == FL_SQL_RT_VALUE) {
      c->regs[*out].kind = e->type.kind;
      c->regs[*out].scale = e->type.kind == FL_T_DECIMAL ? e->type.scale : 0;
    }
    return FL_OK;
  }
  switch (e->kind) {
    case FL_SQL_E_LITERAL: return compile_literal(x, e, hint, out);
    case FL_SQL_E_COLUMN: {
      if (e->field < 0 || (uint32_t)e->field >= c->schema->nfields)
        return fl_err_set(x->err, FL_EINVAL, "%s: column %s is not in the schema", x->text, e->name);
      const fl_field *f = &c->schema->fields[e->field];
      uint32_t d = new_reg(c, fl_decimal_is_wide(f->type) ? CW : class_of_type(f->type.kind), true);
      c->regs[d].kind = f->type.kind;
      c->regs[d].scale = f->type.kind == FL_T_DECIMAL ? f->type.scale : 0;
      step *s = new_step(c, S_COL, d);
      s->col = e->field;
      note_column(x, e->field);
      *out = d;
      return FL_OK;
    }
    case FL_SQL_E_UNARY: {
      uint32_t a;
      if ((rc = compile(x, e->args[0], e->op == FL_SQL_OP_NOT ? CB : hint, &a))) return rc;
      if (e->op == FL_SQL_OP_PLUS) {
        *out = a;
        return FL_OK;
      }
      if (e->op == FL_SQL_OP_NEG && e->rtype == FL_SQL_RT_NULL) { /* -NULL */
        *out = null_const(c, hint ? hint : CB);
        return FL_OK;
      }
      if (e->op == FL_SQL_OP_NEG && c->regs[a].cls != CI && c->regs[a].cls != CF && c->regs[a].cls != CW)
        return unsupported(x, e, "unary - on this type");
      if (c->regs[a].cls == CW) { /* -x = 0 - x, exactly */
        uint32_t z = new_reg(c, CW, false);
        c->regs[z].scale = c->regs[a].scale;
        c->regs[z].kind = FL_T_DECIMAL;
        uint32_t d = new_reg(c, CW, true);
        c->regs[d].scale = c->regs[a].scale;
        c->regs[d].kind = FL_T_DECIMAL;
        step *s = new_step_at(x, S_WARITH, d, e);
        s->sub = FL_SQL_OP_SUB;
        s->a = z;
        s->b = a;
        *out = d;
        return FL_OK;
      }
      uint32_t d = new_reg(c, c->regs[a].cls, true);
      c->regs[d].scale = c->regs[a].scale;
      c->regs[d].kind = c->regs[a].kind;
      step *s = new_step_at(x, e->op == FL_SQL_OP_NOT ? S_NOT : S_NEG, d, e);
      s->a = a;
      *out = d;
      return FL_OK;
    }
    case FL_SQL_E_BINARY: {
      fl_sql_op op = e->op;
      if (op == FL_SQL_OP_AND || op == FL_SQL_OP_OR) {
        uint32_t a, b;
        uint16_t *ctxs = fl_arena_calloc(&c->arena, 1, sizeof *ctxs);
        if ((rc = compile(x, e->args[0], CB, &a)) || (rc = compile_in_ctx(x, e->args[1], CB, &b, &ctxs[0])))
          return rc;
        uint32_t d = new_reg(c, CB, true);
        step *s = new_step(c, op == FL_SQL_OP_AND ? S_AND : S_OR, d);
        consumer(x, s, ctxs);
        s->a = a;
        s->b = b;
        *out = d;
        return FL_OK;
      }
      bool null_side = null_constant(e->args[0]) || null_constant(e->args[1]);
      for (int side = 0; side < 2 && !null_side; side++) { /* abs(NULL::INT), nullif(1, 1): NULL too */
        uint32_t k;
        if (fold_constant(x, e->args[side], 0, &k))
          null_side = c->regs[k].cls == CB ? c->regs[k].cnul == T_NULL : c->regs[k].cnul != 0;
      }
      if (null_side && op != FL_SQL_OP_ARROW && op != FL_SQL_OP_ARROW2 && e->rtype != FL_SQL_RT_INTERVAL) {
        /* x op NULL is NULL whatever x is (DuckDB folds it; x is never evaluated) */
        *out = null_const(c, e->rtype == FL_SQL_RT_VALUE ? class_of_full(e->type) : (hint ? hint : CB));
        if (e->rtype == FL_SQL_RT_VALUE) {
          c->regs[*out].kind = e->type.kind;
          c->regs[*out].scale = e->type.kind == FL_T_DECIMAL ? e->type.scale : 0;
        }
        return FL_OK;
      }
      if (op == FL_SQL_OP_CONCAT) {
        uint32_t a, b;
        if ((rc = compile(x, e->args[0], CS, &a)) || (rc = compile(x, e->args[1], CS, &b))) return rc;
        fl_type str = {FL_T_STRING, 0, 0, 0};
        if (c->regs[a].cls != CS) a = coerce(x, e->args[0], a, str);
        if (c->regs[b].cls != CS) b = coerce(x, e->args[1], b, str);
        uint32_t d = new_reg(c, CS, true);
        c->regs[d].kind = FL_T_STRING;
        step *s = new_step(c, S_CONCAT, d);
        s->a = a;
        s->b = b;
        *out = d;
        return FL_OK;
      }
      if (op == FL_SQL_OP_ARROW || op == FL_SQL_OP_ARROW2) return compile_json_op(x, e, out);
      if (e->rtype == FL_SQL_RT_VALUE && (e->type.kind == FL_T_TIMESTAMP || e->type.kind == FL_T_DATE) &&
          (op == FL_SQL_OP_ADD || op == FL_SQL_OP_SUB))
        for (int side = 0; side < 2; side++) {
          const fl_sql_expr *iv = e->args[side];
          if (iv->kind == FL_SQL_E_LITERAL && iv->lit == FL_SQL_LIT_INTERVAL && iv->interval_months)
            return compile_add_months(x, e, out);
        }
      if (e->rtype == FL_SQL_RT_VALUE &&
          (e->type.kind == FL_T_DOUBLE || e->type.kind == FL_T_FLOAT || fl_decimal_is_wide(e->type)))
        return compile_arith_typed(x, e, out);
      uint32_t a, b;
      int64_t ma, mb;
      if ((rc = operands(x, e->args[0], e->args[1], &a, &b, &ma, &mb))) return rc;
      if (op >= FL_SQL_OP_EQ && op <= FL_SQL_OP_GE) {
        fold_const_scale(c, &a, &b, &ma, &mb);
        uint32_t d = new_reg(c, CB, true);
        step *s = new_step(c, S_CMP, d);
        s->sub = op;
        s->a = a;
        s->b = b;
        s->ma = ma;
        s->mb = mb;
        *out = d;
        return FL_OK;
      }
      /* arithmetic: I (aligned to one scale; * adds scales) or F; / and % of
       * decimals in F */
      reg *ra = &c->regs[a], *rb = &c->regs[b];
      if (ra->cls == CI && op == FL_SQL_OP_DIV && (ra->scale || rb->scale)) {
        a = to_f(c, a);
        b = to_f(c, b);
        ra = &c->regs[a];
        rb = &c->regs[b];
      }
      if (ra->cls == CW || rb->cls == CW)
        return unsupported(x, e, "arithmetic on a DECIMAL wider than 18 digits");
      if (ra->cls != CI && ra->cls != CF) return unsupported(x, e, "arithmetic on this type");
      uint32_t d = new_reg(c, ra->cls, true); /* may move regs: fetch again */
      ra = &c->regs[a];
      rb = &c->regs[b];
      reg *rd = &c->regs[d];
      rd->kind = e->type.kind;
      if (ra->cls == CI) {
        if (op == FL_SQL_OP_MUL) {
          unsigned sc = (unsigned)ra->scale + rb->scale;
          if (sc > 18) return unsupported(x, e, "a product with more than 18 decimal places");
          rd->scale = (uint8_t)sc;
          ma = mb = 1;
        } else {
          rd->scale = ra->scale > rb->scale ? ra->scale : rb->scale;
          if ((ma == INT64_C(86400000000) || mb == INT64_C(86400000000)) && e->type.kind == FL_T_DATE)
            ma = mb = 1; /* DATE +- n */
        }
      }
      step *s = new_step_at(x, S_ARITH, d, e);
      if ((x->strict || x->value) && e->rtype == FL_SQL_RT_VALUE && rd->cls == CI) {
        if (e->type.kind == FL_T_INT || e->type.kind == FL_T_DATE)
          s->lim = INT64_C(2147483648), s->lim_lo = INT32_MIN;
        if (e->type.kind == FL_T_DECIMAL) s->lim = fl_pow10_i64[e->type.precision], s->lim_lo = 1 - s->lim;
      }
      s->sub = op;
      s->a = a;
      s->b = b;
      s->ma = ma;
      s->mb = mb;
      *out = d;
      return FL_OK;
    }
    case FL_SQL_E_IS_NULL: {
      uint32_t a;
      if ((rc = compile(x, e->args[0], CB, &a))) return rc;
      uint32_t d = new_reg(c, CB, true);
      step *s = new_step(c, S_ISNULL, d);
      s->a = a;
      s->negated = e->negated;
      *out = d;
      return FL_OK;
    }
    case FL_SQL_E_IN: return compile_in(x, e, out);
    case FL_SQL_E_BETWEEN: {
      /* a BETWEEN lo AND hi = a >= lo AND a <= hi (a's steps run twice: cheap) */
      uint32_t r[2];
      for (int k = 0; k < 2; k++) {
        uint32_t a, b;
        int64_t ma, mb;
        if ((rc = operands(x, e->args[0], e->args[1 + k], &a, &b, &ma, &mb))) return rc;
        fold_const_scale(c, &a, &b, &ma, &mb);
        r[k] = new_reg(c, CB, true);
        step *s = new_step(c, S_CMP, r[k]);
        s->sub = k == 0 ? FL_SQL_OP_GE : FL_SQL_OP_LE;
        s->a = a;
        s->b = b;
        s->ma = ma;
        s->mb = mb;
      }
      uint32_t d = new_reg(c, CB, true);
      step *s = new_step(c, S_AND, d);
      s->a = r[0];
      s->b = r[1];
      if (e->negated) {
        uint32_t n = new_reg(c, CB, true);
        new_step(c, S_NOT, n)->a = d;
        d = n;
      }
      *out = d;
      return FL_OK;
    }
    case FL_SQL_E_LIKE: {
      const fl_sql_expr *pat = e->args[1];
      int64_t esc = -1;
      if (e->nargs == 3) {
        const fl_sql_expr *ee = e->args[2];
        if (ee->kind != FL_SQL_E_LITERAL || ee->lit != FL_SQL_LIT_STRING || ee->value.u.str.len > 1)
          return unsupported(x, ee, "an ESCAPE that is not one character in quotes");
        if (ee->value.u.str.len == 1) esc = (uint8_t)ee->value.u.str.ptr[0];
      }
      if (pat->kind != FL_SQL_E_LITERAL || pat->lit != FL_SQL_LIT_STRING) {
        uint32_t a, b;
        if ((rc = compile(x, e->args[0], CS, &a)) || (rc = compile(x, pat, CS, &b))) return rc;
        uint32_t d = new_reg(c, CB, true);
        step *s = new_step(c, S_LIKE2, d);
        s->ma = esc;
        s->a = a;
        s->b = b;
        s->negated = e->negated;
        s->ilike = e->ilike;
        *out = d;
        return FL_OK;
      }
      uint32_t a;
      if ((rc = compile(x, e->args[0], CS, &a))) return rc;
      uint32_t d = new_reg(c, CB, true);
      step *s = new_step(c, S_LIKE, d);
      s->ma = esc;
      s->a = a;
      s->negated = e->negated;
      s->ilike = e->ilike;
      s->pattern = fl_arena_memdup(&c->arena, pat->value.u.str.ptr, pat->value.u.str.len);
      s->pattern_len = pat->value.u.str.len;
      /* the common shapes run as plain byte searches: 'abc', 'abc%', '%abc', '%abc%' (no
         '_', no escape, not ILIKE); s->sub says which, s->col is where the text starts */
      const char *pp = s->pattern;
      uint32_t pl = s->pattern_len;
      bool lead = pl && pp[0] == '%', trail = pl > (lead ? 1u : 0u) && pp[pl - 1] == '%';
      uint32_t from = lead, to = pl - trail;
      bool plain = !e->ilike && esc < 0 && from <= to;
      for (uint32_t k = from; plain && k < to; k++) plain = pp[k] != '%' && pp[k] != '_';
      if (plain) {
        s->sub = lead && trail ? LK_CONTAINS : lead ? LK_SUFFIX : trail ? LK_PREFIX : LK_EXACT;
        s->col = (int32_t)from;
        s->pattern_len = to - from;
        s->pattern += from;
      }
      *out = d;
      return FL_OK;
    }
    case FL_SQL_E_FUNC: return compile_func(x, e, hint, out);
    case FL_SQL_E_CAST: {
      uint32_t a;
      if ((rc = compile(x, e->args[0], class_of_full(e->cast_type), &a))) return rc;
      if (e->args[0]->rtype == FL_SQL_RT_INTERVAL) return unsupported(x, e, "CAST of an INTERVAL");
      uint32_t d = new_reg(c, class_of_full(e->cast_type), true);
      c->regs[d].kind = e->cast_type.kind;
      c->regs[d].scale = e->cast_type.kind == FL_T_DECIMAL ? e->cast_type.scale : 0;
      step *s = new_step_at(x, S_CAST, d, e);
      s->type = e->cast_type;
      s->a = a;
      *out = d;
      return FL_OK;
    }
    case FL_SQL_E_CASE: return compile_case(x, e, hint, out);
    case FL_SQL_E_SUBQUERY:
    case FL_SQL_E_EXISTS: return unsupported(x, e, "a subquery");
  }
  return unsupported(x, e, "this expression");
}

/* ---- value expressions: CASE, casts, typed arithmetic, functions -------------------- */

/* A part of CASE in its own deferred context: its value coerced there too. */
static fl_code case_part(cc *x, const fl_sql_expr *t, uint8_t cls, bool value, fl_type type, uint32_t *r,
                         uint16_t *ctx) {
  fl_code rc = compile_in_ctx(x, t, cls, r, ctx);
  if (rc || !value) return rc;
  uint16_t outer = x->ctx;
  x->ctx = *ctx;
  *r = coerce(x, t, *r, type);
  x->ctx = outer;
  return FL_OK;
}

/* CASE: conditions (WHEN k > 0 and every value in a deferred context: DuckDB evaluates
 * them only for the rows that reach them), then one S_CASE step picking per row.
 * step.ctxs: [2k] the context of WHEN k (0 for the first), [2k+1] of THEN k, last: ELSE. */
static fl_code compile_case(cc *x, const fl_sql_expr *e, uint8_t hint, uint32_t *out) {
  fl_sql_eval *c = x->c;
  fl_code rc;
  uint32_t first = e->case_operand ? 1 : 0;
  uint32_t npairs = (e->nargs - first) / 2;
  bool has_else = (e->nargs - first) % 2 == 1;
  uint32_t *args = fl_arena_calloc(&c->arena, 2 * npairs + 1, sizeof *args);
  uint16_t *ctxs = fl_arena_calloc(&c->arena, 2 * npairs + 1, sizeof *ctxs);
  bool value = e->rtype == FL_SQL_RT_VALUE;
  uint8_t cls = value ? class_of_full(e->type) : (hint ? hint : CB);
  if (e->rtype == FL_SQL_RT_INTERVAL) return unsupported(x, e, "CASE of INTERVAL values");
  for (uint32_t k = 0; k < npairs; k++) {
    const fl_sql_expr *w = e->args[first + 2 * k], *t = e->args[first + 2 * k + 1];
    uint32_t cond;
    if (e->case_operand) {
      uint32_t a, b;
      int64_t ma, mb;
      if ((rc = operands(x, e->args[0], w, &a, &b, &ma, &mb))) return rc;
      fold_const_scale(c, &a, &b, &ma, &mb);
      cond = new_reg(c, CB, true);
      step *s = new_step(c, S_CMP, cond);
      s->sub = FL_SQL_OP_EQ;
      s->a = a;
      s->b = b;
      s->ma = ma;
      s->mb = mb;
    } else if ((rc = k ? compile_in_ctx(x, w, CB, &cond, &ctxs[2 * k]) : compile(x, w, CB, &cond))) {
      return rc;
    }
    uint32_t r;
    if ((rc = case_part(x, t, cls, value, e->type, &r, &ctxs[2 * k + 1]))) return rc;
    args[2 * k] = cond;
    args[2 * k + 1] = r;
  }
  uint32_t r;
  if (has_else) {
    if ((rc = case_part(x, e->args[e->nargs - 1], cls, value, e->type, &r, &ctxs[2 * npairs]))) return rc;
  } else {
    r = null_const(c, cls);
  }
  args[2 * npairs] = r;
  uint32_t d = new_reg(c, cls, true);
  c->regs[d].kind = value ? e->type.kind : FL_T_BOOLEAN;
  c->regs[d].scale = value && e->type.kind == FL_T_DECIMAL ? e->type.scale : 0;
  step *s = new_step(c, S_CASE, d);
  consumer(x, s, ctxs);
  s->args = args;
  s->nargs = 2 * npairs + 1;
  *out = d;
  return FL_OK;
}

/* Arithmetic whose result class differs from what the operands give: DOUBLE/FLOAT
 * results (INT / INT is DOUBLE, as DuckDB) and DECIMALs wider than 18 digits. */
static fl_code compile_arith_typed(cc *x, const fl_sql_expr *e, uint32_t *out) {
  fl_sql_eval *c = x->c;
  fl_code rc;
  uint32_t a, b;
  if ((rc = compile(x, e->args[0], 0, &a)) || (rc = compile(x, e->args[1], 0, &b))) return rc;
  fl_type t = e->type;
  if (t.kind == FL_T_DOUBLE || t.kind == FL_T_FLOAT) {
    /* a FLOAT result: integer and decimal operands become FLOATs first, as DuckDB */
    fl_type f = {t.kind == FL_T_FLOAT ? FL_T_FLOAT : FL_T_DOUBLE, 0, 0, 0};
    a = coerce(x, e->args[0], a, f);
    b = coerce(x, e->args[1], b, f);
    uint32_t d = new_reg(c, CF, true);
    c->regs[d].kind = t.kind;
    step *s = new_step_at(x, S_ARITH, d, e);
    s->sub = e->op == FL_SQL_OP_IDIV ? FL_SQL_OP_DIV : e->op;
    s->a = a;
    s->b = b;
    *out = d;
    return FL_OK;
  }
  /* wide DECIMAL: both operands as W; + - % at the result's scale, * as they are */
  fl_type wa = {FL_T_DECIMAL, 38, t.scale, 0}, wb = wa;
  if (e->op == FL_SQL_OP_MUL) {
    const reg *ga = &c->regs[a], *gb = &c->regs[b];
    wa.scale = ga->scale;
    wb.scale = gb->scale;
  }
  a = coerce(x, e->args[0], a, wa);
  b = coerce(x, e->args[1], b, wb);
  uint32_t d = new_reg(c, CW, true);
  c->regs[d].kind = FL_T_DECIMAL;
  c->regs[d].scale = t.scale;
  step *s = new_step_at(x, S_WARITH, d, e);
  s->sub = e->op;
  s->a = a;
  s->b = b;
  *out = d;
  return FL_OK;
}

/* TIMESTAMP or DATE +- an INTERVAL literal with months: months first (the day clamped
 * to the month's end, as DuckDB and PostgreSQL), then the fixed part. */
static fl_code compile_add_months(cc *x, const fl_sql_expr *e, uint32_t *out) {
  fl_sql_eval *c = x->c;
  fl_code rc;
  int side = e->args[0]->kind == FL_SQL_E_LITERAL && e->args[0]->lit == FL_SQL_LIT_INTERVAL ? 0 : 1;
  const fl_sql_expr *iv = e->args[side], *tv = e->args[1 - side];
  bool neg = e->op == FL_SQL_OP_SUB;
  uint32_t t;
  if ((rc = compile(x, tv, CI, &t))) return rc;
  fl_type ts = {FL_T_TIMESTAMP, 0, 0, 0};
  t = coerce(x, tv, t, ts);
  uint32_t d = new_reg(c, CI, true);
  c->regs[d].kind = FL_T_TIMESTAMP;
  step *s = new_step_at(x, S_MONTHS, d, e);
  s->a = t;
  s->ma = neg ? -(int64_t)iv->interval_months : iv->interval_months;
  s->mb = neg ? -iv->interval_us : iv->interval_us;
  *out = d;
  return FL_OK;
}

static fl_code compile_json_op(cc *x, const fl_sql_expr *e, uint32_t *out) {
  fl_sql_eval *c = x->c;
  fl_code rc;
  uint32_t a, b;
  if ((rc = compile(x, e->args[0], CS, &a)) || (rc = compile(x, e->args[1], 0, &b))) return rc;
  uint32_t *args = fl_arena_calloc(&c->arena, 2, sizeof *args);
  args[0] = a;
  args[1] = b;
  uint32_t d = new_reg(c, CS, true);
  c->regs[d].kind = e->type.kind;
  step *s = new_step_at(x, S_FUNC, d, e);
  s->fn = e->op == FL_SQL_OP_ARROW ? 1 : 2; /* F_JSON, F_JSON_STR (below) */
  s->args = args;
  s->nargs = 2;
  *out = d;
  return FL_OK;
}

static fl_code compile_fn(cc *x, const fl_sql_expr *e, uint32_t *out) {
  fl_sql_eval *c = x->c;
  fl_code rc;
  fn_id id = F_NONE;
  for (size_t i = 0; i < sizeof fn_names / sizeof fn_names[0]; i++)
    if (!strcmp(fn_names[i].name, e->name)) id = fn_names[i].id;
  if (id == F_NONE) return unsupported(x, e, e->name);
  if (e->rtype != FL_SQL_RT_VALUE && id != F_NULLIF && id != F_GREATEST && id != F_LEAST) {
    /* every argument NULL where the type would come from them: NULL */
    *out = null_const(c, CB);
    return FL_OK;
  }
  uint8_t rcls = e->rtype == FL_SQL_RT_VALUE ? class_of_full(e->type) : CB;
  uint32_t nargs = e->nargs;
  uint32_t *args = fl_arena_calloc(&c->arena, nargs + 1, sizeof *args);
  fl_type dbl = {FL_T_DOUBLE, 0, 0, 0}, ts = {FL_T_TIMESTAMP, 0, 0, 0}, big = {FL_T_BIGINT, 0, 0, 0};
  fl_type str = {FL_T_STRING, 0, 0, 0};
  for (uint32_t i = 0; i < nargs; i++) {
    const fl_sql_expr *a = e->args[i];
    uint8_t hint = a->rtype == FL_SQL_RT_VALUE ? class_of_full(a->type) : rcls;
    if ((rc = compile(x, a, hint, &args[i]))) return rc;
    switch (id) {
      case F_NULLIF: break;
      case F_GREATEST:
      case F_LEAST:
        if (e->rtype == FL_SQL_RT_VALUE) args[i] = coerce(x, a, args[i], e->type);
        break;
      case F_SQRT:
      case F_POWER:
      case F_LN:
      case F_EXP:
      case F_LOG10: args[i] = coerce(x, a, args[i], dbl); break;
      case F_DATE_TRUNC:
      case F_DATE_PART: /* an INTERVAL (micros) stays as it is: date_part('epoch', t2 - t1) */
        if (i == 1 && a->rtype != FL_SQL_RT_INTERVAL) args[i] = coerce(x, a, args[i], ts);
        break;
      case F_ROUND:
        if (i == 1) args[i] = coerce(x, a, args[i], big);
        break;
      case F_CONCAT:
        if (c->regs[args[i]].cls != CS) args[i] = coerce(x, a, args[i], str);
        break;
      case F_SUBSTRING:
      case F_SPLIT_PART:
      case F_LEFT:
      case F_RIGHT:
        if (c->regs[args[i]].cls == CI) args[i] = coerce(x, a, args[i], big);
        break;
      default: break;
    }
    if (c->regs[args[i]].cls == CB && (id != F_NULLIF && id != F_GREATEST && id != F_LEAST && id != F_CONCAT))
      if (a->rtype == FL_SQL_RT_NULL) { /* a NULL argument: a NULL of the class used */
        uint8_t want =
            (id == F_ROUND || id == F_SUBSTRING || id == F_SPLIT_PART || id == F_LEFT || id == F_RIGHT) && i
                ? CI
            : (id == F_SQRT || id == F_POWER || id == F_LN || id == F_EXP || id == F_LOG10) ? CF
            : (id == F_DATE_TRUNC || id == F_DATE_PART) && i                                ? CI
                                                                                            : CS;
        args[i] = null_const(c, want);
      }
  }
  if (id == F_NULLIF) { /* a if a <> b (or either NULL), else NULL */
    uint32_t a, b, cond;
    int64_t ma, mb;
    if ((rc = operands(x, e->args[0], e->args[1], &a, &b, &ma, &mb))) return rc;
    fold_const_scale(c, &a, &b, &ma, &mb);
    cond = new_reg(c, CB, true);
    step *s = new_step(c, S_CMP, cond);
    s->sub = FL_SQL_OP_EQ;
    s->a = a;
    s->b = b;
    s->ma = ma;
    s->mb = mb;
    uint32_t v = args[0];
    if (e->rtype == FL_SQL_RT_VALUE) v = coerce(x, e->args[0], v, e->type);
    args[0] = cond;
    args[1] = v;
    rcls = c->regs[v].cls;
  }
  uint32_t d = new_reg(c, rcls, true);
  c->regs[d].kind = e->rtype == FL_SQL_RT_VALUE ? e->type.kind : FL_T_BOOLEAN;
  c->regs[d].scale = e->rtype == FL_SQL_RT_VALUE && e->type.kind == FL_T_DECIMAL ? e->type.scale : 0;
  if (id == F_NULLIF) c->regs[d].scale = c->regs[args[1]].scale;
  step *s = new_step_at(x, S_FUNC, d, e);
  s->fn = id;
  s->args = args;
  s->nargs = nargs;
  if (id == F_ROUND && c->regs[args[0]].cls != CF && nargs == 2) {
    /* DECIMAL digits are a constant (the binder checked) */
    s->mb = e->args[1]->value.u.i64;
  }
  *out = d;
  return FL_OK;
}

/* ---- evaluation -------------------------------------------------------------------- */

static void reserve_regs(fl_sql_eval *c, uint32_t n) {
  if (n <= c->rows_cap) return;
  uint32_t cap = c->rows_cap ? c->rows_cap : 1024;
  while (cap < n) cap *= 2;
  for (uint32_t r = 0; r < c->nregs; r++) {
    reg *g = &c->regs[r];
    if (!g->mask) continue;
    g->nul = fl_realloc(g->nul, cap);
    if (g->cls == CI && !g->is_col) g->i = fl_realloc(g->i, cap * sizeof *g->i);
    if (g->cls == CF) g->f = fl_realloc(g->f, cap * sizeof *g->f);
    if (g->cls == CW && g->wbuf) g->w = g->wbuf = fl_realloc(g->wbuf, cap * sizeof *g->wbuf);
    if (g->cls == CS) {
      g->sp = fl_realloc(g->sp, cap * sizeof *g->sp);
      g->sl = fl_realloc(g->sl, cap * sizeof *g->sl);
    }
  }
  for (uint32_t k = 1; k <= c->nctx; k++) c->ctx_err[k] = fl_realloc(c->ctx_err[k], cap);
  c->rows_cap = cap;
}

static void run_col(reg *d, const fl_vec *v, uint32_t n) {
  /* NULL flags from the validity bitmap, a word at a time: a word without a NULL (the
   * common case) is one memset */
  for (uint32_t w = 0; w * 64 < n; w++) {
    uint32_t from = w * 64, cnt = n - from < 64 ? n - from : 64;
    uint64_t valid = v->validity[w];
    if (valid == ~(uint64_t)0) {
      memset(d->nul + from, 0, cnt);
    } else {
      uint32_t j = 0;
      for (; j + 8 <= cnt; j += 8) { /* 8 flags at once: bit k of the byte to byte k */
        uint64_t x = (((valid >> j) & 0xFF) * UINT64_C(0x0101010101010101)) & UINT64_C(0x8040201008040201);
        uint64_t ones = ((x + UINT64_C(0x7F7F7F7F7F7F7F7F)) >> 7) & UINT64_C(0x0101010101010101);
        uint64_t nul = ones ^ UINT64_C(0x0101010101010101);
        memcpy(d->nul + from + j, &nul, 8);
      }
      for (; j < cnt; j++) d->nul[from + j] = !((valid >> j) & 1);
    }
  }
  switch (v->type.kind) {
    case FL_T_BOOLEAN:
      for (uint32_t i = 0; i < n; i++) d->nul[i] = d->nul[i] ? T_NULL : v->data.b[i];
      break;
    case FL_T_INT:
    case FL_T_DATE:
      for (uint32_t i = 0; i < n; i++) d->i[i] = v->data.i32[i];
      break;
    case FL_T_TIMESTAMP_NS:
      for (uint32_t i = 0; i < n; i++) d->i[i] = v->data.i64[i];
      break;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIME: d->i = v->data.i64; break; /* no copy (is_col) */
    case FL_T_DECIMAL:                         /* no copy (is_col, or W) */
      if (d->cls == CW)
        d->w = v->data.i128;
      else
        d->i = v->data.i64;
      break;
    case FL_T_FLOAT:
      for (uint32_t i = 0; i < n; i++) d->f[i] = v->data.f32[i];
      break;
    case FL_T_DOUBLE:
      for (uint32_t i = 0; i < n; i++) d->f[i] = v->data.f64[i];
      break;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED:
      if (v->dict) { /* dictionary form: each row's string is its entry's (no copy) */
        const fl_vec *dv = v->dict;
        for (uint32_t i = 0; i < n; i++) {
          uint32_t k = v->codes[i];
          d->sp[i] = dv->bytes + dv->offsets[k];
          d->sl[i] = dv->offsets[k + 1] - dv->offsets[k];
        }
        break;
      }
      for (uint32_t i = 0; i < n; i++) {
        d->sp[i] = v->bytes + v->offsets[i];
        d->sl[i] = v->offsets[i + 1] - v->offsets[i];
      }
      break;
  }
}

/* LIKE '%p%' over l >= pl >= 1 bytes: a short text (a column's ids, codes, names) is
 * scanned for p's first byte in a plain loop (glibc's memmem prepares its search per
 * call: ~160 instructions on a 14-byte text); a long one goes to memmem. */
static inline bool contains(const char *t, uint32_t l, const char *p, uint32_t pl) {
  if (l > 64) return memmem(t, l, p, pl) != NULL;
  char c = p[0];
  for (uint32_t i = 0; i + pl <= l; i++)
    if (t[i] == c && !memcmp(t + i + 1, p + 1, pl - 1)) return true;
  return false;
}

/* The first p (pl >= 1 bytes) in h[0, n), or NULL. 16 positions at a time compare the
 * pattern's first and last bytes (SSE2, in every x86-64), and only the positions where
 * both match are compared whole; glibc's memmem takes ~3.7 instructions a byte on short
 * ids, this ~0.5. The tail, under 16 positions, goes to memmem. */
static const char *find_bytes(const char *h, size_t n, const char *p, size_t pl) {
  if (pl == 1) return memchr(h, (unsigned char)p[0], n);
#ifdef __SSE2__
  if (n >= pl + 15) {
    const __m128i first = _mm_set1_epi8(p[0]), last = _mm_set1_epi8(p[pl - 1]);
    size_t i = 0;
    for (; i + pl - 1 + 16 <= n; i += 16) {
      __m128i bf = _mm_loadu_si128((const __m128i *)(const void *)(h + i));
      __m128i bl = _mm_loadu_si128((const __m128i *)(const void *)(h + i + pl - 1));
      unsigned mask =
          (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(bf, first), _mm_cmpeq_epi8(bl, last)));
      while (mask) {
        unsigned bit = (unsigned)__builtin_ctz(mask);
        if (pl == 2 || !memcmp(h + i + bit + 1, p + 1, pl - 2)) return h + i + bit;
        mask &= mask - 1;
      }
    }
    return i < n ? memmem(h + i, n - i, p, pl) : NULL;
  }
#endif
  return memmem(h, n, p, pl);
}

/* LIKE '%p%' over a column whose n texts lie end to end in one buffer (a batch's
 * string bytes, as S_COL loads them): one memmem pass over the whole buffer instead of
 * a search per row (measured: 125 -> 29 instructions a row on 14-byte ids, bench like_filter). A match is
 * the row's when it ends inside the row; a match across a boundary is retried one byte
 * on. Sets m[i] = 1 for matching rows (m zeroed by the caller). False when the texts
 * are not contiguous: the caller searches row by row. */
static bool contains_run(const reg *a, uint32_t n, const char *p, uint32_t pl, uint8_t *m) {
  if (!n) return true;
  for (uint32_t i = 0; i + 1 < n; i++)
    if (a->sp[i] + a->sl[i] != a->sp[i + 1]) return false;
  const char *base = a->sp[0], *end = a->sp[n - 1] + a->sl[n - 1];
  const char *q = base;
  uint32_t row = 0;
  while (row < n && (size_t)(end - q) >= pl) {
    const char *hit = find_bytes(q, (size_t)(end - q), p, pl);
    if (!hit) break;
    while (a->sp[row] + a->sl[row] <= hit) row++; /* the row the match starts in */
    FL_ASSERT(row < n);
    if (hit + pl <= a->sp[row] + a->sl[row]) {
      m[row] = 1;
      q = a->sp[row] + a->sl[row]; /* the next row */
      row++;
    } else {
      q = hit + 1;
    }
  }
  return true;
}

static inline uint8_t cmp_result(int op, int r) {
  switch (op) {
    case FL_SQL_OP_EQ: return r == 0;
    case FL_SQL_OP_NE: return r != 0;
    case FL_SQL_OP_LT: return r < 0;
    case FL_SQL_OP_LE: return r <= 0;
    case FL_SQL_OP_GT: return r > 0;
    default: return r >= 0;
  }
}

/* One loop per operator: no switch per row, and the compiler can vectorise it. A
 * column against a constant (the usual WHERE) loops without the masks. */
#define CMP_LOOP(T, ARR, OP)                                                               \
  if (ma && !mb) {                                                                         \
    T y = b->ARR[0];                                                                       \
    uint8_t yn = b->nul[0];                                                                \
    for (uint32_t i = 0; i < n; i++)                                                       \
      d->nul[i] = (a->nul[i] | yn) ? (uint8_t)T_NULL : (uint8_t)(a->ARR[i] OP y);          \
  } else {                                                                                 \
    for (uint32_t i = 0; i < n; i++) {                                                     \
      T x = a->ARR[i & ma], y = b->ARR[i & mb];                                            \
      d->nul[i] = (a->nul[i & ma] | b->nul[i & mb]) ? (uint8_t)T_NULL : (uint8_t)(x OP y); \
    }                                                                                      \
  }
#define CMP_SWITCH(T, ARR)                         \
  switch (s->sub) {                                \
    case FL_SQL_OP_EQ: CMP_LOOP(T, ARR, ==) break; \
    case FL_SQL_OP_NE: CMP_LOOP(T, ARR, !=) break; \
    case FL_SQL_OP_LT: CMP_LOOP(T, ARR, <) break;  \
    case FL_SQL_OP_LE: CMP_LOOP(T, ARR, <=) break; \
    case FL_SQL_OP_GT: CMP_LOOP(T, ARR, >) break;  \
    default: CMP_LOOP(T, ARR, >=) break;           \
  }

static void run_cmp(const step *s, reg *d, const reg *a, const reg *b, uint32_t n) {
  uint32_t ma = a->mask, mb = b->mask;
  switch (a->cls) {
    case CI:
      if (s->ma == 1 && s->mb == 1) {
        CMP_SWITCH(int64_t, i)
      } else {
        for (uint32_t i = 0; i < n; i++) {
          __int128 x = (__int128)a->i[i & ma] * s->ma, y = (__int128)b->i[i & mb] * s->mb;
          d->nul[i] = (a->nul[i & ma] | b->nul[i & mb]) ? T_NULL : cmp_result(s->sub, (x > y) - (x < y));
        }
      }
      break;
    case CF:
      CMP_SWITCH(double, f)
      /* DuckDB orders doubles totally: nan equals nan and is above every other value (inf
       * included); IEEE's comparisons are false for it, so rows with a nan are redone */
      for (uint32_t i = 0; i < n; i++) {
        double x = a->f[i & ma], y = b->f[i & mb];
        if ((x == x && y == y) || (a->nul[i & ma] | b->nul[i & mb])) continue;
        d->nul[i] = cmp_result(s->sub, x != x ? (y != y ? 0 : 1) : -1);
      }
      break;
    case CW:
      for (uint32_t i = 0; i < n; i++)
        d->nul[i] =
            (a->nul[i & ma] | b->nul[i & mb])
                ? T_NULL
                : cmp_result(s->sub, fl_dec128_cmp_scaled(a->w[i & ma], a->scale, b->w[i & mb], b->scale));
      break;
    case CS:
      if (s->sub == FL_SQL_OP_EQ || s->sub == FL_SQL_OP_NE) {
        /* = and <>: the lengths first (strings of different lengths differ: no memcmp) */
        uint8_t ne = s->sub == FL_SQL_OP_NE;
        if (ma && !mb) { /* a column against a constant: its length and bytes hoisted */
          uint32_t bl = b->sl[0];
          const char *bp = b->sp[0];
          uint8_t bn = b->nul[0];
          for (uint32_t i = 0; i < n; i++)
            d->nul[i] = (a->nul[i] | bn) ? (uint8_t)T_NULL
                                         : (uint8_t)((a->sl[i] == bl && memcmp(a->sp[i], bp, bl) == 0) ^ ne);
          break;
        }
        for (uint32_t i = 0; i < n; i++) {
          uint32_t al = a->sl[i & ma], bl = b->sl[i & mb];
          d->nul[i] = (a->nul[i & ma] | b->nul[i & mb])
                          ? (uint8_t)T_NULL
                          : (uint8_t)((al == bl && memcmp(a->sp[i & ma], b->sp[i & mb], al) == 0) ^ ne);
        }
        break;
      }
      for (uint32_t i = 0; i < n; i++)
        d->nul[i] =
            (a->nul[i & ma] | b->nul[i & mb])
                ? T_NULL
                : cmp_result(s->sub, cmp_str(a->sp[i & ma], a->sl[i & ma], b->sp[i & mb], b->sl[i & mb]));
      break;
    case CB:
      for (uint32_t i = 0; i < n; i++) {
        uint8_t x = a->nul[i & ma], y = b->nul[i & mb];
        d->nul[i] = (x == T_NULL || y == T_NULL) ? T_NULL : cmp_result(s->sub, (x > y) - (x < y));
      }
      break;
  }
}

static void run_in(const step *s, reg *d, const reg *a, uint32_t n) {
  const set *st = s->set;
  uint8_t hit = s->negated ? T_FALSE : T_TRUE, miss = st->has_null ? T_NULL : (s->negated ? T_TRUE : T_FALSE);
  uint32_t m = a->mask;
  for (uint32_t i = 0; i < n; i++) {
    if (a->cls != CB && a->nul[i & m]) {
      d->nul[i] = T_NULL;
      continue;
    }
    bool found = false;
    switch (a->cls) {
      case CS: {
        const char *p = a->sp[i & m];
        uint32_t l = a->sl[i & m];
        uint32_t h = (uint32_t)fl_hash64(p, l) & st->mask;
        for (int32_t k; (k = st->slot[h]) >= 0; h = (h + 1) & st->mask)
          if (st->sl[k] == l && !memcmp(st->s[k], p, l)) {
            found = true;
            break;
          }
        break;
      }
      case CI:
        for (uint32_t k = 0; k < st->n && !found; k++) found = st->iv[k] == a->i[i & m];
        break;
      case CF:
        for (uint32_t k = 0; k < st->n && !found; k++) found = st->fv[k] == a->f[i & m];
        break;
      case CW:
        for (uint32_t k = 0; k < st->n && !found; k++) found = (fl_i128)st->wv[k] == (fl_i128)a->w[i & m];
        break;
      case CB:
        if (a->nul[i & m] == T_NULL) {
          d->nul[i] = T_NULL;
          continue;
        }
        for (uint32_t k = 0; k < st->n && !found; k++) found = st->iv[k] == a->nul[i & m];
        break;
    }
    d->nul[i] = found ? hit : miss;
  }
}

/* SQL LIKE as DuckDB: '%' any run, '_' one character (code point), no escape
 * character unless ESCAPE names one (esc >= 0); ILIKE folds ASCII letters. Iterative,
 * backtracking to the last '%' (linear for one '%'). */
static bool like(const char *s, size_t sn, const char *p, size_t pn, bool fold, int esc) {
  size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
  while (si < sn) {
    if (pi < pn && p[pi] == '%') {
      star_p = ++pi;
      star_s = si;
      continue;
    }
    if (pi < pn) {
      char pc = p[pi], sc = s[si];
      bool escaped = esc >= 0 && pc == (char)esc && pi + 1 < pn;
      if (escaped) pc = p[pi + 1];
      if (fold && pc >= 'A' && pc <= 'Z') pc = (char)(pc + 32);
      if (fold && sc >= 'A' && sc <= 'Z') sc = (char)(sc + 32);
      if (!escaped && pc == '_') {
        pi++;
        si++;
        while (si < sn && ((uint8_t)s[si] & 0xc0) == 0x80) si++;
        continue;
      }
      if (pc == sc) {
        pi += escaped ? 2 : 1;
        si++;
        continue;
      }
    }
    if (star_p == SIZE_MAX) return false;
    pi = star_p;
    si = ++star_s;
    while (si < sn && ((uint8_t)s[si] & 0xc0) == 0x80) si = ++star_s;
  }
  while (pi < pn && p[pi] == '%') pi++;
  return pi == pn;
}

/* ILIKE: ASCII folds inside like(); text or a pattern with other bytes is lowered as
 * lower() does first (DuckDB lowers both sides: 'ünï' ILIKE 'ÜN%'). */
static bool ilike(const char *s, size_t sn, const char *p, size_t pn, int esc) {
  bool high = false;
  for (size_t i = 0; i < sn && !high; i++) high = (uint8_t)s[i] >= 0x80;
  for (size_t i = 0; i < pn && !high; i++) high = (uint8_t)p[i] >= 0x80;
  if (!high) return like(s, sn, p, pn, true, esc);
  char sbuf[256], pbuf[256];
  char *ls = sn * 2 + 4 <= sizeof sbuf ? sbuf : fl_malloc(sn * 2 + 4);
  char *lp = pn * 2 + 4 <= sizeof pbuf ? pbuf : fl_malloc(pn * 2 + 4);
  bool r = ls && lp && like(ls, fl_sql_utf8_lower(s, sn, ls), lp, fl_sql_utf8_lower(p, pn, lp), true, esc);
  if (ls != sbuf) fl_free(ls);
  if (lp != pbuf) fl_free(lp);
  return r;
}

static const uint8_t and3[3][3] = {{0, 0, 0}, {0, 1, 2}, {0, 2, 2}};
static const uint8_t or3[3][3] = {{0, 1, 2}, {1, 1, 1}, {2, 1, 2}};
static const uint8_t not3[3] = {1, 0, 2};

static const char *arith_sym(int op) {
  switch (op) {
    case FL_SQL_OP_ADD: return "+";
    case FL_SQL_OP_SUB: return "-";
    case FL_SQL_OP_MUL: return "*";
    case FL_SQL_OP_DIV: return "/";
    case FL_SQL_OP_IDIV: return "//";
    default: return "%";
  }
}

static void run_arith(fl_sql_eval *c, const step *s, reg *d, const reg *a, const reg *b, uint32_t n) {
  uint32_t ma = a->mask, mb = b->mask;
  if (a->cls == CF) {
    for (uint32_t i = 0; i < n; i++) {
      double x = a->f[i & ma], y = b->f[i & mb], r = 0;
      uint8_t nul = a->nul[i & ma] | b->nul[i & mb];
      switch (s->sub) {
        case FL_SQL_OP_ADD: r = x + y; break;
        case FL_SQL_OP_SUB: r = x - y; break;
        case FL_SQL_OP_MUL: r = x * y; break;
        case FL_SQL_OP_DIV: r = x / y; break; /* IEEE, as DuckDB: 1 / 0 is inf, 0 / 0 nan */
        case FL_SQL_OP_IDIV:
          if (y == 0)
            nul = 1;
          else
            r = x / y;
          break;
        default: r = fmod(x, y); break; /* nan for % 0, as DuckDB */
      }
      if (d->kind == FL_T_FLOAT) r = (float)r;
      d->f[i] = r;
      d->nul[i] = nul;
    }
    return;
  }
  int64_t lim = s->lim;
  bool any_ovf = false;
  for (uint32_t i = 0; i < n; i++) {
    int64_t x = a->i[i & ma], y = b->i[i & mb], r = 0;
    bool bad = a->nul[i & ma] | b->nul[i & mb], ovf = false;
    if (!bad && s->sub != FL_SQL_OP_MUL)
      ovf = __builtin_mul_overflow(x, s->ma, &x) || __builtin_mul_overflow(y, s->mb, &y);
    if (!bad && !ovf) switch (s->sub) {
        case FL_SQL_OP_ADD: ovf = __builtin_add_overflow(x, y, &r); break;
        case FL_SQL_OP_SUB: ovf = __builtin_sub_overflow(x, y, &r); break;
        case FL_SQL_OP_MUL: ovf = __builtin_mul_overflow(x, y, &r); break;
        case FL_SQL_OP_DIV:
        case FL_SQL_OP_IDIV:
          bad = y == 0;
          ovf = x == INT64_MIN && y == -1;
          if (!bad && !ovf) r = x / y;
          break;
        default:
          bad = y == 0;
          if (!bad) r = y == -1 ? 0 : x % y;
          break;
      }
    if (lim && !bad && !ovf) ovf = r >= lim || r < s->lim_lo;
    any_ovf |= ovf;
    d->i[i] = bad || ovf ? 0 : r;
    d->nul[i] = bad || ovf;
  }
  if (any_ovf && s->strict)
    for (uint32_t i = 0; i < n; i++) {
      if (!d->nul[i] || a->nul[i & ma] || b->nul[i & mb]) continue;
      int64_t y = b->i[i & mb];
      if (y == 0 && (s->sub == FL_SQL_OP_DIV || s->sub == FL_SQL_OP_IDIV || s->sub == FL_SQL_OP_MOD))
        continue;
      char xa[48], xb[48], tn[32];
      fl_sql_cell_text(a, i & ma, xa);
      fl_sql_cell_text(b, i & mb, xb);
      fl_sql_type_format(s->type, tn, sizeof tn);
      fl_sql_eval_fault(c, s, i, FL_ELIMIT, "overflow: %s %s %s does not fit %s", xa, arith_sym(s->sub), xb,
                        tn);
      if (!s->ctx) break; /* a deferred context needs every failing row */
    }
}

/* ---- runtime of value expressions ------------------------------------------------------ */

/* The first runtime error of a strict step in this run: the caller's label, the
 * expression's position and what went wrong, with the value. */
void fl_sql_eval_fault(fl_sql_eval *c, const step *s, uint32_t row, fl_code code, const char *fmt, ...) {
  if (!s->strict) return;
  if (s->ctx ? c->ctx_err[s->ctx][row] : c->faulted) return;
  char msg[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fl_err *to = s->ctx ? &c->ctx_msg[s->ctx] : &c->fault;
  if (s->ctx)
    c->ctx_err[s->ctx][row] = 1;
  else
    c->faulted = true;
  if (!to->code)
    fl_err_set(to, code, "%s: line %u, column %u: %s", s->label ? s->label : "expression", s->eline, s->ecol,
               msg);
}

/* Row used a part whose context failed on it: the failure is the consuming step's own
 * (the run's, or its own context's when it is itself a deferred part). */
static void raise_ctx(fl_sql_eval *c, const step *s, uint16_t ctx, uint32_t row) {
  if (!ctx || !c->ctx_err[ctx][row] || !s->strict) return;
  if (s->ctx) {
    if (!c->ctx_err[s->ctx][row] && !c->ctx_msg[s->ctx].code) c->ctx_msg[s->ctx] = c->ctx_msg[ctx];
    c->ctx_err[s->ctx][row] = 1;
  } else if (!c->faulted) {
    c->faulted = true;
    c->fault = c->ctx_msg[ctx];
  }
}

static void run_concat(reg *d, const reg *a, const reg *b, uint32_t n) {
  d->bytes_len = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t ka = i & a->mask, kb = i & b->mask;
    if (a->nul[ka] || b->nul[kb]) {
      sb_null(d, i);
      continue;
    }
    d->nul[i] = 0;
    sb_start(d, i);
    sb_put(d, a->sp[ka], a->sl[ka]);
    sb_put(d, b->sp[kb], b->sl[kb]);
    sb_end(d, i);
  }
  sb_finish(d, n);
}

static void run_case(fl_sql_eval *c, const step *s, reg *d, uint32_t n) {
  uint32_t pairs = s->nargs / 2;
  for (uint32_t i = 0; i < n; i++) {
    const reg *src = &c->regs[s->args[s->nargs - 1]];
    uint32_t k = 0;
    for (; k < pairs; k++) {
      const reg *w = &c->regs[s->args[2 * k]];
      if (w->nul[i & w->mask] == T_TRUE) {
        src = &c->regs[s->args[2 * k + 1]];
        break;
      }
    }
    if (s->ctxs && s->strict) { /* the WHENs this row reached, and the value it took */
      for (uint32_t j = 1; j <= k && j < pairs; j++) raise_ctx(c, s, s->ctxs[2 * j], i);
      raise_ctx(c, s, s->ctxs[k < pairs ? 2 * k + 1 : s->nargs - 1], i);
    }
    copy_cell(d, i, src, i & src->mask);
  }
}

static void run_warith(fl_sql_eval *c, const step *s, reg *d, const reg *a, const reg *b, uint32_t n) {
  unsigned p = s->type.precision ? s->type.precision : 38;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t ka = i & a->mask, kb = i & b->mask;
    fl_i128 x = a->w[ka], y = b->w[kb], r = 0;
    bool null = a->nul[ka] | b->nul[kb], ovf = false;
    if (!null) switch (s->sub) {
        case FL_SQL_OP_ADD: ovf = !fl_dec128_add(x, y, p, &r); break;
        case FL_SQL_OP_SUB: ovf = !fl_dec128_sub(x, y, p, &r); break;
        case FL_SQL_OP_MUL: ovf = !fl_dec128_mul(x, y, p, &r); break;
        case FL_SQL_OP_MOD:
          if (y == 0)
            null = true;
          else
            r = x % y;
          break;
        default: null = true; break;
      }
    if (ovf && s->strict) {
      char xa[48], xb[48];
      fl_dec128_format(x, a->scale, xa);
      fl_dec128_format(y, b->scale, xb);
      fl_sql_eval_fault(c, s, i, FL_ELIMIT, "overflow: %s %s %s does not fit DECIMAL(%u,%u)", xa,
                        s->sub == FL_SQL_OP_ADD   ? "+"
                        : s->sub == FL_SQL_OP_SUB ? "-"
                                                  : "*",
                        xb, p, s->type.scale);
    }
    d->nul[i] = null || ovf;
    d->wbuf[i] = (null || ovf) ? 0 : r;
  }
}

/* micros + months (day clamped to the month's length) + fixed micros. */
static void run_months(fl_sql_eval *c, const step *s, reg *d, const reg *a, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint32_t k = i & a->mask;
    d->nul[i] = a->nul[k];
    if (a->nul[k]) {
      d->i[i] = 0;
      continue;
    }
    int64_t us = a->i[k], days = fl_floor_div(us, INT64_C(86400000000)),
            rem = us - days * INT64_C(86400000000);
    int64_t y;
    unsigned m, dd;
    fl_civil_from_days(days, &y, &m, &dd);
    int64_t mi = y * 12 + (m - 1) + s->ma;
    int64_t ny = fl_floor_div(mi, 12);
    unsigned nm = (unsigned)(mi - ny * 12) + 1;
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned last = mdays[nm - 1] + (nm == 2 && ((ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0));
    if (dd > last) dd = last;
    int64_t r = fl_days_from_civil(ny, nm, dd) * INT64_C(86400000000) + rem;
    if (__builtin_add_overflow(r, s->mb, &r)) {
      d->nul[i] = 1;
      if (s->strict) fl_sql_eval_fault(c, s, i, FL_ELIMIT, "TIMESTAMP out of range");
    }
    d->i[i] = r;
  }
}

static void run_step(fl_sql_eval *c, step *s, const fl_batch *batch, uint32_t n) {
  reg *d = &c->regs[s->dst], *a = &c->regs[s->a], *b = &c->regs[s->b];
  switch (s->op) {
    case S_COL: run_col(d, &batch->cols[s->col], n); break;
    case S_NOW: d->ci = s->strict ? c->now_us : fl_now_micros(); break;
    case S_CMP: run_cmp(s, d, a, b, n); break;
    case S_IN: run_in(s, d, a, n); break;
    case S_ISNULL:
      for (uint32_t i = 0; i < n; i++) {
        uint8_t v = a->nul[i & a->mask];
        bool is_null = a->cls == CB ? v == T_NULL : v != 0;
        d->nul[i] = is_null != s->negated;
      }
      break;
    case S_AND:
      if (a->mask && b->mask) /* FALSE 0, TRUE 1, NULL 2: FALSE if either is, else the larger */
        for (uint32_t i = 0; i < n; i++) {
          uint8_t x = a->nul[i], y = b->nul[i], m = x > y ? x : y;
          d->nul[i] = (x && y) ? m : 0;
        }
      else
        for (uint32_t i = 0; i < n; i++) d->nul[i] = and3[a->nul[i & a->mask]][b->nul[i & b->mask]];
      if (s->ctxs && s->ctxs[0]) /* the right side counts where the left is not FALSE */
        for (uint32_t i = 0; i < n; i++)
          if (a->nul[i & a->mask] != T_FALSE) raise_ctx(c, s, s->ctxs[0], i);
      break;
    case S_OR:
      if (a->mask && b->mask) /* TRUE if either is, else the larger (NULL over FALSE) */
        for (uint32_t i = 0; i < n; i++) {
          uint8_t x = a->nul[i], y = b->nul[i], m = x > y ? x : y;
          d->nul[i] = (x == 1 || y == 1) ? 1 : m;
        }
      else
        for (uint32_t i = 0; i < n; i++) d->nul[i] = or3[a->nul[i & a->mask]][b->nul[i & b->mask]];
      if (s->ctxs && s->ctxs[0]) /* ... where the left is not TRUE */
        for (uint32_t i = 0; i < n; i++)
          if (a->nul[i & a->mask] != T_TRUE) raise_ctx(c, s, s->ctxs[0], i);
      break;
    case S_NOT:
      for (uint32_t i = 0; i < n; i++) d->nul[i] = not3[a->nul[i & a->mask]];
      break;
    case S_ARITH: run_arith(c, s, d, a, b, n); break;
    case S_NEG:
    case S_ABS: {
      /* the most negative INT or BIGINT has no opposite: NULL, or DuckDB's overflow error */
      int64_t lo = d->kind == FL_T_INT ? INT32_MIN : INT64_MIN;
      for (uint32_t i = 0; i < n; i++) {
        uint32_t k = i & a->mask;
        d->nul[i] = a->nul[k];
        if (a->cls == CF) {
          double v = a->f[k];
          d->f[i] = s->op == S_NEG ? -v : fabs(v);
        } else if (a->cls == CW) { /* abs of a DECIMAL(19..38): 38 digits always have an opposite */
          fl_i128 v = a->nul[k] ? 0 : a->w[k];
          d->wbuf[i] = v < 0 ? -v : v;
        } else if (a->i[k] == lo && !a->nul[k] && (d->kind == FL_T_INT || d->kind == FL_T_BIGINT)) {
          d->nul[i] = 1;
          fl_sql_eval_fault(c, s, i, FL_ELIMIT, "overflow: %s%lld does not fit %s",
                            s->op == S_NEG ? "-" : "abs of ", (long long)lo,
                            d->kind == FL_T_INT ? "INT" : "BIGINT");
        } else if (a->i[k] == INT64_MIN) {
          d->nul[i] = 1;
        } else {
          d->i[i] = s->op == S_NEG || a->i[k] < 0 ? -a->i[k] : a->i[k];
        }
      }
      break;
    }
    case S_TOW:
      for (uint32_t i = 0; i < n; i++) {
        d->nul[i] = a->nul[i & a->mask];
        d->wbuf[i] = a->i[i & a->mask];
      }
      break;
    case S_TOF:
      for (uint32_t i = 0; i < n; i++) {
        d->nul[i] = a->nul[i & a->mask];
        d->f[i] = (double)a->i[i & a->mask] / (double)fl_pow10_i64[a->scale];
      }
      break;
    case S_RESCALE:
      for (uint32_t i = 0; i < n; i++) {
        int64_t v = 0;
        bool bad = __builtin_mul_overflow(a->i[i & a->mask], s->ma, &v) || a->nul[i & a->mask];
        d->nul[i] = bad;
        d->i[i] = bad ? 0 : v;
      }
      break;
    case S_LIKE:
      if (s->sub != LK_GENERAL) {
        const char *p = s->pattern;
        uint32_t pl = s->pattern_len;
        uint8_t yes = s->negated ? T_FALSE : T_TRUE, no = s->negated ? T_TRUE : T_FALSE;
        if (s->sub == LK_CONTAINS && pl && a->mask) {
          uint8_t *m = d->nul; /* d's flags first hold the matches, then the results */
          memset(m, 0, n);
          if (contains_run(a, n, p, pl, m)) {
            for (uint32_t i = 0; i < n; i++) m[i] = a->nul[i] ? T_NULL : m[i] ? yes : no;
            break;
          }
        }
        for (uint32_t i = 0; i < n; i++) {
          uint32_t k = i & a->mask, l = a->sl[k];
          const char *t = a->sp[k];
          bool m;
          switch (s->sub) {
            case LK_EXACT: m = l == pl && !memcmp(t, p, pl); break;
            case LK_PREFIX: m = l >= pl && !memcmp(t, p, pl); break;
            case LK_SUFFIX: m = l >= pl && !memcmp(t + l - pl, p, pl); break;
            default: m = pl == 0 || (l >= pl && contains(t, l, p, pl)); break;
          }
          d->nul[i] = a->nul[k] ? T_NULL : m ? yes : no;
        }
        break;
      }
      for (uint32_t i = 0; i < n; i++) {
        uint32_t k = i & a->mask;
        d->nul[i] =
            a->nul[k]
                ? T_NULL
                : (uint8_t)((s->ilike ? ilike(a->sp[k], a->sl[k], s->pattern, s->pattern_len, (int)s->ma)
                                      : like(a->sp[k], a->sl[k], s->pattern, s->pattern_len, false,
                                             (int)s->ma)) != s->negated);
      }
      break;
    case S_LOWER:
    case S_UPPER: fl_sql_run_str_case(d, a, n, s->op == S_UPPER); break;
    case S_CAST: fl_sql_run_cast(c, s, d, a, n); break;
    case S_CONCAT: run_concat(d, a, b, n); break;
    case S_CASE: run_case(c, s, d, n); break;
    case S_LIKE2:
      for (uint32_t i = 0; i < n; i++) {
        uint32_t k = i & a->mask, kb = i & b->mask;
        d->nul[i] = (a->nul[k] || b->nul[kb])
                        ? T_NULL
                        : (uint8_t)((s->ilike ? ilike(a->sp[k], a->sl[k], b->sp[kb], b->sl[kb], (int)s->ma)
                                              : like(a->sp[k], a->sl[k], b->sp[kb], b->sl[kb], false,
                                                     (int)s->ma)) != s->negated);
      }
      break;
    case S_WARITH: run_warith(c, s, d, a, b, n); break;
    case S_MONTHS: run_months(c, s, d, a, n); break;
    case S_FUNC: fl_sql_run_func(c, s, d, n); break;
    case S_LENGTH:
      for (uint32_t i = 0; i < n; i++) {
        uint32_t k = i & a->mask;
        d->nul[i] = a->nul[k];
        d->i[i] = a->nul[k] ? 0 : (int64_t)fl_utf8_count(a->sp[k], a->sl[k]);
      }
      break;
    case S_COALESCE:
      for (uint32_t i = 0; i < n; i++) {
        const reg *src = &c->regs[s->args[s->nargs - 1]];
        for (uint32_t k = 0; k < s->nargs; k++) {
          const reg *r = &c->regs[s->args[k]];
          bool null = r->cls == CB ? r->nul[i & r->mask] == T_NULL : r->nul[i & r->mask];
          if (k && s->ctxs) raise_ctx(c, s, s->ctxs[k], i); /* argument k was evaluated for this row */
          if (!null) {
            src = r;
            break;
          }
        }
        copy_cell(d, i, src, i & src->mask);
      }
      break;
  }
}

/* ---- Dictionary columns ------------------------------------------------------------------
 * A STRING/JSON column in dictionary form (core/batch.h: codes into the distinct strings
 * of a Parquet column chunk) lets a predicate's subtree that reads that column alone run
 * once per dictionary entry instead of once per row: `event_type = 'order_paid'`, IN,
 * LIKE, IS NULL, lower(x) = ..., their NOT/AND/OR. Such a subtree is a region; its root is
 * a BOOLEAN step whose consumers all read other things (or the predicate's result).
 *
 *   members over the dictionary (entries 0..nd-1, then one NULL entry nd) ──► root's
 *   result per entry ──► per row: result[valid ? code : nd]
 *
 * The analysis (find_regions, at the first run) gives each step the one column it depends
 * on (dcol); only row-wise steps that cannot fail and raise no deferred error take part,
 * and a step whose result is read both inside and outside a region takes no part. At run
 * time a region is used only when its column is in dictionary form and the dictionary
 * has fewer entries than the batch has rows (else per row is cheaper, and the registers
 * are sized for the rows); otherwise its steps run per row as usual (run_col reads a
 * dictionary-form column through the codes). */

static bool dict_step(const step *s) {
  if (s->strict || (s->ctxs && s->ctxs[0])) return false; /* AND, OR: a deferred error */
  switch (s->op) {
    case S_COL:
    case S_CMP:
    case S_IN:
    case S_ISNULL:
    case S_LIKE:
    case S_LIKE2:
    case S_NOT:
    case S_AND:
    case S_OR:
    case S_LOWER:
    case S_UPPER:
    case S_LENGTH:
    case S_CAST:
    case S_CONCAT: return true;
    default: return false;
  }
}

/* The registers step s reads (dict_step ops only). */
static uint32_t step_inputs(const step *s, uint32_t in[2]) {
  switch (s->op) {
    case S_COL: return 0;
    case S_CMP:
    case S_LIKE2:
    case S_AND:
    case S_OR:
    case S_CONCAT:
      in[0] = s->a;
      in[1] = s->b;
      return 2;
    default: in[0] = s->a; return 1;
  }
}

/* dcol of the steps [first, first + n): -1 for a step outside any region. */
static void find_dcols(fl_sql_eval *c, uint32_t first, uint32_t n, int32_t *dep) {
  for (uint32_t i = 0; i < n; i++) {
    step *s = &c->steps[first + i];
    dep[i] = -2; /* -2: no region; -1: constants only; >= 0: that column alone */
    if (!dict_step(s) || s->dmember) continue;
    if (s->op == S_COL) {
      fl_type_kind k = c->schema->fields[s->col].type.kind;
      if (k == FL_T_STRING || k == FL_T_JSON) dep[i] = s->col;
      continue;
    }
    uint32_t in[2], nin = step_inputs(s, in);
    int32_t d = -1;
    for (uint32_t j = 0; j < nin && d != -2; j++) {
      int32_t di = -2;
      if (!c->regs[in[j]].mask) {
        di = -1;
      } else {
        for (uint32_t p = i; p-- > 0;)
          if (c->steps[first + p].dst == in[j]) {
            di = dep[p];
            break;
          }
      }
      if (di == -2 || (di >= 0 && d >= 0 && di != d))
        d = -2;
      else if (di >= 0)
        d = di;
    }
    dep[i] = d >= 0 ? d : -2; /* constants alone are no region */
  }
}

static bool reads_reg(const step *s, uint32_t r) {
  if (dict_step(s)) {
    uint32_t in[2], nin = step_inputs(s, in);
    for (uint32_t j = 0; j < nin; j++)
      if (in[j] == r) return true;
    return false;
  }
  if (s->a == r || s->b == r) return true;
  for (uint32_t j = 0; j < s->nargs; j++)
    if (s->args[j] == r) return true;
  return false;
}

/* Marks the steps of s's region (s and, recursively, the region steps it reads). */
static void collect_members(fl_sql_eval *c, uint32_t first, uint32_t i, const int32_t *dep, bool *in) {
  in[i] = true;
  uint32_t r[2], nin = step_inputs(&c->steps[first + i], r);
  for (uint32_t j = 0; j < nin; j++)
    for (uint32_t p = i; p-- > 0;)
      if (c->steps[first + p].dst == r[j]) {
        if (dep[p] == dep[i] && !in[p]) collect_members(c, first, p, dep, in);
        break;
      }
}

static void find_regions(fl_sql_eval *c, const pred *k) {
  uint32_t first = k->first_step, n = k->nsteps;
  if (!n) return;
  int32_t *dep = fl_calloc(n, sizeof *dep);
  bool *in = fl_calloc(n, sizeof *in);
  /* a region step whose result is also read outside its column's steps takes no part:
     it must hold per-row values; repeat until no such step is left */
  for (bool again = true; again;) {
    again = false;
    find_dcols(c, first, n, dep);
    for (uint32_t i = 0; i < n && !again; i++) {
      if (dep[i] < 0) continue;
      bool inside = false, outside = false;
      for (uint32_t j = i + 1; j < n; j++) {
        if (!reads_reg(&c->steps[first + j], c->steps[first + i].dst)) continue;
        if (dep[j] == dep[i])
          inside = true;
        else
          outside = true;
      }
      if (inside && outside) {
        c->steps[first + i].dmember = true; /* (reused as "excluded" until the end) */
        again = true;
      }
    }
  }
  for (uint32_t i = 0; i < n; i++) c->steps[first + i].dmember = false;
  for (uint32_t i = 0; i < n; i++) {
    step *s = &c->steps[first + i];
    s->dcol = dep[i] >= 0 ? dep[i] : -1;
    if (dep[i] < 0 || s->op == S_COL || c->regs[s->dst].cls != CB) continue;
    bool root = true;
    for (uint32_t j = i + 1; j < n && root; j++)
      if (dep[j] == dep[i] && reads_reg(&c->steps[first + j], s->dst)) root = false;
    if (!root) continue;
    memset(in, 0, n * sizeof *in);
    collect_members(c, first, i, dep, in);
    uint32_t m = 0;
    for (uint32_t j = 0; j <= i; j++) m += in[j];
    s->dmembers = fl_arena_alloc(&c->arena, m * sizeof *s->dmembers);
    s->ndmembers = 0;
    for (uint32_t j = 0; j <= i; j++)
      if (in[j]) {
        s->dmembers[s->ndmembers++] = first + j;
        if (j < i) c->steps[first + j].dmember = true;
      }
  }
  fl_free(dep);
  fl_free(in);
}

/* The dictionary of column col when its regions run over it for n rows, else NULL. */
static const fl_vec *region_dict(const fl_batch *batch, int32_t col, uint32_t n) {
  const fl_vec *v = &batch->cols[col];
  return v->dict && v->dict->len < n ? v->dict : NULL;
}

/* Runs root s's region over the dictionary dict (nd entries and a NULL one), then spreads
 * the root's result over the n rows by their codes. */
static void run_region(fl_sql_eval *c, const step *s, const fl_batch *batch, const fl_vec *dict, uint32_t n) {
  uint32_t nd = dict->len;
  for (uint32_t m = 0; m < s->ndmembers; m++) {
    step *ms = &c->steps[s->dmembers[m]];
    if (ms->op != S_COL) {
      run_step(c, ms, batch, nd + 1);
      continue;
    }
    reg *d = &c->regs[ms->dst];
    for (uint32_t i = 0; i < nd; i++) {
      d->sp[i] = dict->bytes + dict->offsets[i];
      d->sl[i] = dict->offsets[i + 1] - dict->offsets[i];
      d->nul[i] = 0;
    }
    d->sp[nd] = dict->bytes;
    d->sl[nd] = 0;
    d->nul[nd] = 1;
  }
  if (c->dict_res_cap < nd + 1) {
    c->dict_res_cap = nd + 1 > 1024 ? nd + 1 : 1024;
    c->dict_res = fl_realloc(c->dict_res, c->dict_res_cap);
  }
  reg *d = &c->regs[s->dst];
  uint8_t *res = c->dict_res;
  memcpy(res, d->nul, nd + 1);
  const fl_vec *v = &batch->cols[s->dcol];
  const uint32_t *codes = v->codes;
  for (uint32_t w = 0; w * 64 < n; w++) {
    uint32_t from = w * 64, cnt = n - from < 64 ? n - from : 64;
    uint64_t valid = v->validity[w];
    if (valid == ~(uint64_t)0) {
      for (uint32_t j = 0; j < cnt; j++) d->nul[from + j] = res[codes[from + j]];
    } else {
      for (uint32_t j = 0; j < cnt; j++) d->nul[from + j] = res[(valid >> j) & 1 ? codes[from + j] : nd];
    }
  }
}

/* ---- setup ---------------------------------------------------------------------------- */

/* Constants' arrays point at their one value, and int64 columns are read in place.
 * Done once, at the first run: registers do not move after that. */
static void finish_regs(fl_sql_eval *c) {
  for (uint32_t r = 0; r < c->nregs; r++) {
    reg *g = &c->regs[r];
    if (g->mask) continue;
    g->i = &g->ci;
    g->w = &g->cw;
    g->f = &g->cf;
    g->sp = &g->cs;
    g->sl = &g->csl;
    g->nul = &g->cnul;
  }
  for (uint32_t p = 0; p < c->npreds; p++)
    if (!c->preds[p].value) find_regions(c, &c->preds[p]);
  for (uint32_t s = 0; s < c->nsteps; s++) {
    step *st = &c->steps[s];
    reg *d = &c->regs[st->dst];
    if (st->op == S_COL && d->cls == CI) {
      fl_type_kind k = c->schema->fields[st->col].type.kind;
      d->is_col = k == FL_T_BIGINT || k == FL_T_TIMESTAMP || k == FL_T_DECIMAL || k == FL_T_TIME;
    }
    if (d->cls == CW && d->mask && st->op != S_COL && !d->wbuf)
      d->wbuf = fl_malloc(sizeof *d->wbuf); /* grown by reserve_regs */
    if (d->cls == CW && d->wbuf) d->w = d->wbuf;
  }
  c->now_us = fl_now_micros();
  c->finished = true;
}

fl_sql_eval *fl_sql_eval_new(const fl_schema *schema) {
  fl_sql_eval *c = fl_calloc(1, sizeof *c);
  c->schema = schema;
  fl_arena_init(&c->arena, 4096);
  return c;
}

fl_code fl_sql_eval_add(fl_sql_eval *c, const fl_sql_expr *e, const char *label, uint32_t *index,
                        fl_err *err) {
  FL_ASSERT(!c->finished);
  if (c->npreds == FL_SQL_EVAL_PREDS_MAX)
    return fl_err_set(err, FL_ELIMIT, "%s: more than %u predicates", label, FL_SQL_EVAL_PREDS_MAX);
  if (c->npreds == c->preds_cap) {
    c->preds_cap = c->preds_cap ? c->preds_cap * 2 : 4;
    c->preds = fl_realloc(c->preds, c->preds_cap * sizeof *c->preds);
  }
  pred *k = &c->preds[c->npreds];
  memset(k, 0, sizeof *k);
  k->first_step = c->nsteps;
  uint32_t nsteps = c->nsteps, nregs = c->nregs;
  cc x = {c, err, label, k};
  uint32_t r;
  fl_code rc = compile(&x, e, CB, &r);
  if (!rc && c->regs[r].cls != CB) rc = fl_err_set(err, FL_ETYPE, "%s: the expression is not BOOLEAN", label);
  if (rc) { /* forget this predicate's steps and registers */
    c->nsteps = nsteps;
    c->nregs = nregs;
    return rc;
  }
  k->nsteps = c->nsteps - k->first_step;
  k->result = r;
  if (index) *index = c->npreds;
  c->npreds++;
  return FL_OK;
}

/* ---- value expressions: the API ---------------------------------------------------------- */

static fl_code add_item(fl_sql_eval *c, const fl_sql_expr *e, const char *label, bool value, uint32_t *index,
                        fl_err *err) {
  FL_ASSERT(!c->finished);
  if (c->npreds == FL_SQL_EVAL_PREDS_MAX)
    return fl_err_set(err, FL_ELIMIT, "%s: more than %u expressions", label, FL_SQL_EVAL_PREDS_MAX);
  if (c->npreds == c->preds_cap) {
    c->preds_cap = c->preds_cap ? c->preds_cap * 2 : 4;
    c->preds = fl_realloc(c->preds, c->preds_cap * sizeof *c->preds);
  }
  pred *k = &c->preds[c->npreds];
  memset(k, 0, sizeof *k);
  k->first_step = c->nsteps;
  uint32_t nsteps = c->nsteps, nregs = c->nregs;
  cc x = {c, err, fl_arena_strdup(&c->arena, label), k, value, value};
  uint32_t r;
  fl_code rc = FL_OK;
  if (value && e->rtype == FL_SQL_RT_INTERVAL)
    rc = fl_err_set(err, FL_EUNSUPPORTED, "%s: line %u, column %u: an INTERVAL as a result is not supported",
                    label, e->line, e->col);
  if (!rc) rc = compile(&x, e, value && e->rtype == FL_SQL_RT_VALUE ? class_of_full(e->type) : CB, &r);
  if (!rc && value && e->rtype == FL_SQL_RT_VALUE) r = coerce(&x, e, r, e->type);
  if (!rc && !value && c->regs[r].cls != CB)
    rc = fl_err_set(err, FL_ETYPE, "%s: the expression is not BOOLEAN", label);
  if (rc) { /* forget this item's steps and registers */
    c->nsteps = nsteps;
    c->nregs = nregs;
    return rc;
  }
  k = &c->preds[c->npreds];
  k->nsteps = c->nsteps - k->first_step;
  k->result = r;
  if (value) {
    k->value = true;
    if (e->rtype == FL_SQL_RT_VALUE)
      k->type = e->type;
    else
      k->type.kind = c->regs[r].cls == CB ? FL_T_BOOLEAN : FL_T_INT; /* NULL: DuckDB's "NULL" type as INT */
    if (c->regs[r].cls == CB) k->type.kind = e->rtype == FL_SQL_RT_VALUE ? k->type.kind : FL_T_INT;
    fl_vec_init(&k->out, k->type, 1024);
  }
  if (index) *index = c->npreds;
  c->npreds++;
  return FL_OK;
}

fl_code fl_sql_eval_add_value(fl_sql_eval *c, const fl_sql_expr *e, const char *label, uint32_t *index,
                              fl_err *err) {
  return add_item(c, e, label, true, index, err);
}

fl_type fl_sql_eval_type(const fl_sql_eval *c, uint32_t index) {
  FL_ASSERT(index < c->npreds);
  return c->preds[index].type;
}

static fl_code run_item(fl_sql_eval *c, uint32_t index, const fl_batch *batch, fl_err *err) {
  FL_ASSERT(index < c->npreds);
  FL_ASSERT(batch->ncols == c->schema->nfields);
  if (!c->finished) finish_regs(c);
  uint32_t n = batch->nrows;
  const pred *k = &c->preds[index];
  reserve_regs(c, n ? n : 1);
  c->faulted = false;
  for (uint32_t x = 1; x <= c->nctx; x++) {
    memset(c->ctx_err[x], 0, n ? n : 1);
    c->ctx_msg[x].code = FL_OK;
  }
  for (uint32_t s = 0; s < k->nsteps && !c->faulted; s++) run_step(c, &c->steps[k->first_step + s], batch, n);
  if (c->faulted) {
    if (err) *err = c->fault;
    return c->fault.code;
  }
  return FL_OK;
}

/* The result register of item k as a vector of its type. */
static void materialise(fl_sql_eval *c, pred *k, uint32_t n) {
  const reg *r = &c->regs[k->result];
  fl_vec *v = &k->out;
  fl_vec_reset(v);
  fl_vec_reserve(v, n ? n : 1);
  uint32_t m = r->mask;
  fl_type_kind kind = k->type.kind;
  memset(v->validity, 0, ((size_t)(n ? n : 1) + 63) / 64 * 8);
  if (r->cls == CB) {
    for (uint32_t i = 0; i < n; i++) {
      uint8_t t = r->nul[i & m];
      if (kind == FL_T_BOOLEAN)
        v->data.b[i] = t == T_TRUE;
      else if (fl_type_bytes(k->type) == 4)
        v->data.i32[i] = 0;
      else
        v->data.i64[i] = 0;
      if (t != T_NULL && kind == FL_T_BOOLEAN) fl_vec_set_valid(v, i, true);
    }
  } else if (r->cls == CS) {
    size_t need = 0;
    for (uint32_t i = 0; i < n; i++) need += r->nul[i & m] ? 0 : r->sl[i & m];
    v->bytes_len = 0;
    fl_vec_reserve_bytes(v, need + 1);
    size_t o = 0;
    v->offsets[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t j = i & m;
      if (!r->nul[j]) {
        memcpy(v->bytes + o, r->sp[j], r->sl[j]);
        o += r->sl[j];
        fl_vec_set_valid(v, i, true);
      }
      v->offsets[i + 1] = (uint32_t)o;
    }
    v->bytes_len = o;
  } else {
    for (uint32_t i = 0; i < n; i++) {
      uint32_t j = i & m;
      bool ok = !r->nul[j];
      if (ok) fl_vec_set_valid(v, i, true);
      switch (kind) {
        case FL_T_FLOAT: v->data.f32[i] = ok ? (float)r->f[j] : 0; break;
        case FL_T_DOUBLE: v->data.f64[i] = ok ? r->f[j] : 0; break;
        case FL_T_INT:
        case FL_T_DATE: v->data.i32[i] = ok ? (int32_t)r->i[j] : 0; break;
        case FL_T_DECIMAL:
          if (r->cls == CW)
            fl_vec_set_dec(v, i, ok ? (fl_i128)r->w[j] : 0);
          else
            fl_vec_set_dec(v, i, ok ? (fl_i128)r->i[j] : 0);
          break;
        default: v->data.i64[i] = ok ? r->i[j] : 0; break;
      }
    }
  }
  v->len = n;
}

fl_code fl_sql_eval_value(fl_sql_eval *c, uint32_t index, const fl_batch *batch, const fl_vec **out,
                          fl_err *err) {
  *out = NULL;
  FL_ASSERT(c->preds[index].value, "expression %u was added as a predicate", index);
  fl_code rc = run_item(c, index, batch, err);
  if (rc) return rc;
  pred *k = &c->preds[index];
  materialise(c, k, batch->nrows);
  *out = &k->out;
  return FL_OK;
}

fl_code fl_sql_eval_test(fl_sql_eval *c, uint32_t index, const fl_batch *batch, const uint8_t **out,
                         fl_err *err) {
  *out = NULL;
  const pred *k = &c->preds[index];
  FL_ASSERT(c->regs[k->result].cls == CB, "expression %u is not BOOLEAN", index);
  fl_code rc = run_item(c, index, batch, err);
  if (rc) return rc;
  const reg *r = &c->regs[k->result];
  uint32_t n = batch->nrows;
  if (!r->mask) {
    if (!c->const_cap || c->const_cap < n) {
      c->const_cap = n > 1024 ? n : 1024;
      c->const_out = fl_realloc(c->const_out, c->const_cap);
    }
    memset(c->const_out, r->nul[0], n);
    *out = c->const_out;
  } else {
    *out = r->nul;
  }
  return FL_OK;
}

uint32_t fl_sql_eval_count(const fl_sql_eval *c) { return c->npreds; }

uint32_t fl_sql_eval_columns(const fl_sql_eval *c, uint32_t index, const int32_t **cols) {
  FL_ASSERT(index < c->npreds);
  *cols = c->preds[index].cols;
  return c->preds[index].ncols;
}

const uint8_t *fl_sql_eval_run(fl_sql_eval *c, uint32_t index, const fl_batch *batch) {
  FL_ASSERT(index < c->npreds);
  FL_ASSERT(batch->ncols == c->schema->nfields);
  if (!c->finished) finish_regs(c);
  uint32_t n = batch->nrows;
  const pred *k = &c->preds[index];
  reserve_regs(c, n ? n : 1);
  for (uint32_t i = 0; i < k->nsteps; i++) {
    step *s = &c->steps[k->first_step + i];
    const fl_vec *dict = s->dcol >= 0 && (s->dmember || s->dmembers) ? region_dict(batch, s->dcol, n) : NULL;
    if (!dict)
      run_step(c, s, batch, n);
    else if (s->dmembers)
      run_region(c, s, batch, dict, n);
    /* else: a member, run by its root */
  }
  const reg *r = &c->regs[k->result];
  if (!r->mask) { /* a constant predicate: spread its value over the rows */
    uint8_t v = r->nul[0];
    if (!c->const_cap || c->const_cap < n) {
      c->const_cap = n > 1024 ? n : 1024;
      c->const_out = fl_realloc(c->const_out, c->const_cap);
    }
    memset(c->const_out, v, n);
    return c->const_out;
  }
  return r->nul;
}

/* The m rows sel of batch in the columns predicate k reads, gathered into c->sub (a
 * dictionary-form column stays one); the other columns of c->sub are never read. */
static const fl_batch *compact(fl_sql_eval *c, const pred *k, const fl_batch *batch, const uint32_t *sel,
                               uint32_t m) {
  uint32_t nf = c->schema->nfields;
  if (!c->sub_cols) {
    c->sub_cols = fl_calloc(nf ? nf : 1, sizeof *c->sub_cols);
    c->sub_stamp = fl_calloc(nf ? nf : 1, sizeof *c->sub_stamp);
    c->nsub_cols = nf;
  }
  c->stamp++;
  for (uint32_t i = 0; i < k->nsteps; i++) {
    const step *st = &c->steps[k->first_step + i];
    if (st->op != S_COL || c->sub_stamp[st->col] == c->stamp) continue;
    fl_vec *v = &c->sub_cols[st->col];
    if (!v->validity) fl_vec_init(v, batch->cols[st->col].type, m);
    fl_vec_reset(v);
    fl_vec_gather(v, &batch->cols[st->col], sel, m, true);
    c->sub_stamp[st->col] = c->stamp;
  }
  c->sub.fields = batch->fields;
  c->sub.ncols = batch->ncols;
  c->sub.nrows = m;
  c->sub.capacity = m;
  c->sub.cols = c->sub_cols;
  return &c->sub;
}

/* Predicate 0 decides every row; each later one only the rows the ones before kept: over
 * the whole batch while they are many, over those rows gathered (compact) once they are
 * at most half, so `a = 'x' AND b > 5`, added as two predicates, compares b only where
 * a = 'x'. */
uint32_t fl_sql_eval_select(fl_sql_eval *c, const fl_batch *batch, uint32_t *sel) {
  uint32_t n = batch->nrows, m = 0;
  if (!c->npreds) {
    for (uint32_t i = 0; i < n; i++) sel[i] = i;
    return n;
  }
  const uint8_t *r = fl_sql_eval_run(c, 0, batch);
  for (uint32_t i = 0; i < n; i++) {
    sel[m] = i;
    m += r[i] == FL_SQL_TRUE;
  }
  for (uint32_t p = 1; p < c->npreds && m; p++) {
    uint32_t k = 0;
    if (m <= n / 2) {
      r = fl_sql_eval_run(c, p, compact(c, &c->preds[p], batch, sel, m));
      for (uint32_t j = 0; j < m; j++) {
        sel[k] = sel[j];
        k += r[j] == FL_SQL_TRUE;
      }
    } else {
      r = fl_sql_eval_run(c, p, batch);
      for (uint32_t j = 0; j < m; j++) {
        sel[k] = sel[j];
        k += r[sel[j]] == FL_SQL_TRUE;
      }
    }
    m = k;
  }
  return m;
}

void fl_sql_eval_free(fl_sql_eval *c) {
  if (!c) return;
  for (uint32_t r = 0; r < c->nregs; r++) {
    reg *g = &c->regs[r];
    if (!g->mask) continue;
    fl_free(g->nul);
    if (!g->is_col) fl_free(g->i);
    fl_free(g->f);
    fl_free(g->wbuf);
    fl_free(g->sp);
    fl_free(g->sl);
    fl_free(g->bytes);
  }
  for (uint32_t i = 0; i < c->npreds; i++)
    if (c->preds[i].value) fl_vec_free(&c->preds[i].out);
  for (uint32_t i = 0; i < c->nsteps; i++)
    if (c->steps[i].op == S_FUNC && c->steps[i].fn == F_REGEXP && c->steps[i].aux)
      pcre2_code_free(c->steps[i].aux);
  for (uint32_t k = 1; k <= c->nctx; k++) fl_free(c->ctx_err[k]);
  fl_free(c->ctx_err);
  fl_free(c->ctx_msg);
  fl_free(c->regs);
  fl_free(c->steps);
  fl_free(c->preds);
  fl_free(c->const_out);
  fl_free(c->dict_res);
  /* not c->schema: a scan's schema may be freed before the evaluator it carried */
  for (uint32_t i = 0; i < c->nsub_cols; i++)
    if (c->sub_cols[i].validity) fl_vec_free(&c->sub_cols[i]);
  fl_free(c->sub_cols);
  fl_free(c->sub_stamp);
  fl_arena_destroy(&c->arena);
  fl_free(c);
}

/* ---- DEFAULT values --------------------------------------------------------------------- */

static fl_code default_fail(const fl_sql_expr *e, const fl_field *f, fl_err *err) {
  char type[32];
  fl_sql_type_format(f->type, type, sizeof type);
  return fl_err_set(err, FL_ETYPE, "line %u, column %u: DEFAULT %s does not fit column %s (%s)", e->line,
                    e->col, e->text ? e->text : "value", f->name, type);
}

fl_code fl_sql_default_value(const fl_sql_expr *e, const fl_field *f, fl_value *out, fl_err *err) {
  memset(out, 0, sizeof *out);
  out->type = f->type;
  if (e->kind == FL_SQL_E_FUNC && !strcmp(e->name, "now"))
    return fl_err_set(err, FL_EUNSUPPORTED,
                      "line %u, column %u: DEFAULT now() for column %s: a replay of the event log would give "
                      "other values; send the time in the event",
                      e->line, e->col, f->name);
  if (e->kind != FL_SQL_E_LITERAL) {
    fl_buf text = FL_BUF_INIT;
    fl_sql_expr_format(e, FL_SQL_FMT_SHORT, &text);
    fl_buf_cstr(&text);
    fl_code rc = fl_err_set(err, FL_EUNSUPPORTED,
                            "line %u, column %u: DEFAULT %s for column %s: only a constant is supported",
                            e->line, e->col, (const char *)text.data, f->name);
    fl_buf_free(&text);
    return rc;
  }
  fl_type_kind k = f->type.kind;
  const fl_value *v = &e->value;
  switch (e->lit) {
    case FL_SQL_LIT_NULL: out->is_null = true; return FL_OK;
    case FL_SQL_LIT_BOOL:
      if (k != FL_T_BOOLEAN) return default_fail(e, f, err);
      out->u.b = v->u.b;
      return FL_OK;
    case FL_SQL_LIT_INT:
    case FL_SQL_LIT_DECIMAL: {
      int64_t unscaled = v->u.i64;
      unsigned scale = e->lit == FL_SQL_LIT_DECIMAL ? v->type.scale : 0;
      if (k == FL_T_FLOAT || k == FL_T_DOUBLE) {
        double d = (double)unscaled / (double)fl_pow10_i64[scale];
        if (k == FL_T_FLOAT)
          out->u.f32 = (float)d;
        else
          out->u.f64 = d;
        return FL_OK;
      }
      unsigned want = k == FL_T_DECIMAL ? f->type.scale : 0;
      if (k != FL_T_INT && k != FL_T_BIGINT && k != FL_T_DECIMAL) return default_fail(e, f, err);
      if (scale > want) { /* exact only: the extra digits must be zeros */
        int64_t m = fl_pow10_i64[scale - want];
        if (unscaled % m) return default_fail(e, f, err);
        unscaled /= m;
      } else if (__builtin_mul_overflow(unscaled, fl_pow10_i64[want - scale], &unscaled)) {
        return default_fail(e, f, err);
      }
      if (k == FL_T_INT) {
        if (unscaled < INT32_MIN || unscaled > INT32_MAX) return default_fail(e, f, err);
        out->u.i32 = (int32_t)unscaled;
      } else {
        if (k == FL_T_DECIMAL && !fl_dec128_fits(unscaled, f->type.precision)) return default_fail(e, f, err);
        if (k == FL_T_DECIMAL)
          fl_value_set_dec(out, unscaled);
        else
          out->u.i64 = unscaled;
      }
      return FL_OK;
    }
    case FL_SQL_LIT_DOUBLE:
      if (k == FL_T_DOUBLE)
        out->u.f64 = v->u.f64;
      else if (k == FL_T_FLOAT)
        out->u.f32 = (float)v->u.f64;
      else
        return default_fail(e, f, err);
      return FL_OK;
    case FL_SQL_LIT_STRING:
      if (fl_type_is_string(k)) {
        out->u.str = v->u.str;
        return FL_OK;
      }
      if (k == FL_T_DATE && fl_date_parse(v->u.str.ptr, v->u.str.len, &out->u.i32)) return FL_OK;
      if (k == FL_T_TIMESTAMP && fl_ts_parse(v->u.str.ptr, v->u.str.len, &out->u.i64)) return FL_OK;
      return default_fail(e, f, err);
    case FL_SQL_LIT_TIMESTAMP:
      if (k != FL_T_TIMESTAMP) return default_fail(e, f, err);
      out->u.i64 = v->u.i64;
      return FL_OK;
    case FL_SQL_LIT_DATE:
      if (k == FL_T_DATE)
        out->u.i32 = v->u.i32;
      else if (k == FL_T_TIMESTAMP)
        out->u.i64 = (int64_t)v->u.i32 * INT64_C(86400000000);
      else
        return default_fail(e, f, err);
      return FL_OK;
    case FL_SQL_LIT_INTERVAL: return default_fail(e, f, err);
  }
  return default_fail(e, f, err);
}
