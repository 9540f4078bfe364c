/* sql/expr_eval: the vectorised expression evaluator. Bound expressions (fl_sql_expr_bind)
 * compile to a flat array of steps over registers and run a batch at a time (STYLE §10);
 * ingest's contract (CHECK), `--where` of cat and delete, and the SQL executor's filters
 * all go through here, so one set of semantics holds everywhere.
 *
 * Compilation (fl_sql_eval_add) walks a bound expression tree once and emits steps in
 * post order; every node gets a register. A register is a column of n values of one
 * class: B (three-valued boolean: 0 false, 1 true, 2 unknown), I (int64 with a decimal
 * scale: INT, BIGINT, DECIMAL, DATE days, TIMESTAMP/INTERVAL micros), F (double), S
 * (string pointer + length), W (128-bit unscaled DECIMAL wider than 18 digits, compared
 * and IN-listed exactly against I or W, a DOUBLE literal of 19..38 digits read from its
 * text; arithmetic on W waits for the SQL engine's 128-bit decimals and is refused by
 * name); I, F, S and W carry a null byte per row. A literal is a
 * constant register: its index mask is 0, so `r->i[i & r->mask]` reads the one value
 * for every row, and the loops stay branch-free over rows. Columns of int64 storage
 * are not copied: the register points at the batch vector.
 *
 * Evaluation (fl_sql_eval_run): the predicate's steps over the batch's first nrows
 * rows; the result is its B register. fl_sql_eval_select keeps the rows where every
 * predicate is TRUE (WHERE's rule); a CHECK passes unless FALSE (the contract's rule).
 *
 * Semantics chosen where SQL leaves a choice: integer and decimal overflow, division
 * by zero and a NULL anywhere give unknown (NULL); x IN (..., NULL) without a match is
 * unknown. Decimals are exact (scaled int64, compared through 128-bit products).
 *
 * Memory: the evaluator owns steps, registers, literal copies (an arena) and register
 * buffers sized to the largest batch seen (fl_malloc, grown geometrically, never per
 * row). Every fl_sql_eval_add comes before the first run. One thread at a time. */
#include <stdio.h>
#include <string.h>

#include "core/hash.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/value.h"
#include "sql/sql.h"

enum { CB = 1, CI, CF, CS, CW }; /* register classes */
enum { T_FALSE = 0, T_TRUE = 1, T_NULL = 2 };

typedef struct reg {
  uint8_t cls;
  uint8_t scale;     /* I: decimal scale */
  fl_type_kind kind; /* source type, for formatting values */
  uint32_t mask;     /* 0: constant, UINT32_MAX: one value per row */
  bool is_col;       /* I from an int64 column: i points into the batch */
  int64_t *i;
  double *f;
  const char **sp;
  uint32_t *sl;
  uint8_t *nul;           /* I F S W: 1 = NULL; B: the three-valued result */
  const fl_i128_store *w; /* W: points into the batch, the wbuf of a TOW step, or cw */
  fl_i128_store *wbuf;
  /* storage of a constant */
  fl_i128_store cw;
  int64_t ci;
  double cf;
  const char *cs;
  uint32_t csl;
  uint8_t cnul;
  /* S results of lower/upper */
  char *bytes;
  size_t bytes_cap;
} reg;

typedef enum step_op {
  S_COL,    /* dst <- column col */
  S_NOW,    /* dst (constant) <- wall clock */
  S_CMP,    /* dst <- a <sub> b */
  S_IN,     /* dst <- a [NOT] IN set */
  S_ISNULL, /* dst <- a IS [NOT] NULL */
  S_AND,
  S_OR,
  S_NOT,
  S_ARITH, /* dst <- a <sub> b (I or F) */
  S_NEG,
  S_TOF,     /* dst F <- a I (scale) */
  S_TOW,     /* dst W <- a I (same scale) */
  S_RESCALE, /* dst I <- a I * ma (exact, overflow -> NULL) */
  S_LIKE,    /* dst <- a [NOT] LIKE pattern */
  S_LOWER,
  S_UPPER,
  S_LENGTH,
  S_ABS,
  S_COALESCE, /* dst <- first non-null of args */
} step_op;

typedef struct set {
  uint32_t mask;  /* hash slots - 1 */
  int32_t *slot;  /* index into items or -1 */
  const char **s; /* S items */
  uint32_t *sl;
  int64_t *iv;       /* I items (at a's scale) */
  double *fv;        /* F items */
  fl_i128_store *wv; /* W items (at a's scale) */
  uint32_t n;
  bool has_null;
} set;

typedef struct step {
  step_op op;
  int sub; /* fl_sql_op for CMP and ARITH */
  bool negated;
  bool ilike;
  uint32_t dst, a, b;
  int64_t ma, mb; /* CMP of I: multipliers aligning scales/units */
  int32_t col;
  set *set;
  const char *pattern;
  uint32_t pattern_len;
  uint32_t *args;
  uint32_t nargs;
} step;

typedef struct pred {
  uint32_t first_step, nsteps, result;
  int32_t cols[FL_SQL_EVAL_COLS_MAX]; /* columns read, in first-use order */
  uint32_t ncols;
} pred;

struct fl_sql_eval {
  const fl_schema *schema;
  fl_arena arena;
  step *steps;
  uint32_t nsteps, steps_cap;
  reg *regs;
  uint32_t nregs, regs_cap;
  pred *preds;
  uint32_t npreds, preds_cap;
  bool finished;      /* constant registers point at their values (after a run) */
  uint8_t *const_out; /* a constant predicate spread over the rows */
  uint32_t const_cap;
  uint32_t rows_cap; /* vector registers hold this many rows */
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
  return s;
}

static uint8_t class_of_type(fl_type_kind k) {
  switch (k) {
    case FL_T_BOOLEAN: return CB;
    case FL_T_FLOAT:
    case FL_T_DOUBLE: return CF;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: return CS;
    default: return CI;
  }
}

typedef struct cc {
  fl_sql_eval *c;
  fl_err *err;
  const char *text; /* the CHECK, for messages */
  pred *pr;
} cc;

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

static bool is_bytes_kind(fl_type_kind k) { return k == FL_T_UUID || k == FL_T_BINARY || k == FL_T_FIXED; }

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
  if ((a->cls == CW && b->cls == CF) || (a->cls == CF && b->cls == CW))
    return fl_err_set(x->err, FL_EUNSUPPORTED,
                      "%s: line %u, column %u: a DECIMAL wider than 18 digits compared with a floating-point "
                      "number (write the number as an exact decimal in quotes: '12345678901234567890.5')",
                      x->text, ea->line, ea->col);
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
    uint32_t r = new_reg(c, CI, false);
    c->regs[r].ci = e->interval_us;
    c->regs[r].kind = FL_T_TIMESTAMP;
    *out = r;
    return FL_OK;
  }
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

static fl_code compile_in(cc *x, const fl_sql_expr *e, uint32_t *out) {
  fl_sql_eval *c = x->c;
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
  if (!strcmp(name, "now")) {
    uint32_t d = new_reg(c, CI, false);
    c->regs[d].kind = FL_T_TIMESTAMP;
    new_step(c, S_NOW, d);
    *out = d;
    return FL_OK;
  }
  if (!strcmp(name, "coalesce")) {
    uint32_t *args = fl_arena_calloc(&c->arena, e->nargs, sizeof *args);
    uint8_t cls = hint;
    for (uint32_t i = 0; i < e->nargs; i++)
      if (e->args[i]->rtype == FL_SQL_RT_VALUE) cls = class_of_type(e->args[i]->type.kind);
    unsigned scale = 0;
    for (uint32_t i = 0; i < e->nargs; i++) {
      if ((rc = compile(x, e->args[i], cls ? cls : CB, &args[i]))) return rc;
      if (c->regs[args[i]].scale > scale) scale = c->regs[args[i]].scale;
    }
    bool any_f = false;
    for (uint32_t i = 0; i < e->nargs; i++) any_f |= c->regs[args[i]].cls == CF;
    for (uint32_t i = 0; i < e->nargs; i++) {
      if (any_f)
        args[i] = to_f(c, args[i]);
      else if (c->regs[args[i]].cls == CI && c->regs[args[i]].scale != scale) {
        uint32_t r2 = new_reg(c, CI, true);
        c->regs[r2].scale = (uint8_t)scale;
        c->regs[r2].kind = FL_T_DECIMAL;
        step *s = new_step(c, S_RESCALE, r2);
        s->a = args[i];
        s->ma = fl_pow10_i64[scale - c->regs[args[i]].scale];
        args[i] = r2;
      }
    }
    uint8_t rcls = c->regs[args[0]].cls;
    if (rcls == CW) return unsupported(x, e, "coalesce of a DECIMAL wider than 18 digits");
    for (uint32_t i = 1; i < e->nargs; i++)
      if (c->regs[args[i]].cls != rcls) return unsupported(x, e, "coalesce of different types");
    uint32_t d = new_reg(c, rcls, true);
    c->regs[d].scale = c->regs[args[0]].scale;
    c->regs[d].kind = c->regs[args[0]].kind;
    step *s = new_step(c, S_COALESCE, d);
    s->args = args;
    s->nargs = e->nargs;
    *out = d;
    return FL_OK;
  }
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
  if ((op == S_ABS) != (acls == CI || acls == CF) || (op != S_ABS && acls != CS))
    return unsupported(x, e, "this argument type");
  uint32_t d = new_reg(c, cls, true);
  c->regs[d].scale = op == S_LENGTH ? 0 : c->regs[a].scale;
  c->regs[d].kind = op == S_LENGTH ? FL_T_INT : c->regs[a].kind;
  step *s = new_step(c, op, d);
  s->a = a;
  *out = d;
  return FL_OK;
}

static fl_code compile(cc *x, const fl_sql_expr *e, uint8_t hint, uint32_t *out) {
  fl_sql_eval *c = x->c;
  fl_code rc;
  if (e->rtype == FL_SQL_RT_UNBOUND)
    return fl_err_set(x->err, FL_EINVAL, "%s: the expression is not bound to the schema", x->text);
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
      if (c->regs[a].cls == CW) return unsupported(x, e, "arithmetic on a DECIMAL wider than 18 digits");
      uint32_t d = new_reg(c, c->regs[a].cls, true);
      c->regs[d].scale = c->regs[a].scale;
      c->regs[d].kind = c->regs[a].kind;
      step *s = new_step(c, e->op == FL_SQL_OP_NOT ? S_NOT : S_NEG, d);
      s->a = a;
      *out = d;
      return FL_OK;
    }
    case FL_SQL_E_BINARY: {
      fl_sql_op op = e->op;
      if (op == FL_SQL_OP_AND || op == FL_SQL_OP_OR) {
        uint32_t a, b;
        if ((rc = compile(x, e->args[0], CB, &a)) || (rc = compile(x, e->args[1], CB, &b))) return rc;
        uint32_t d = new_reg(c, CB, true);
        step *s = new_step(c, op == FL_SQL_OP_AND ? S_AND : S_OR, d);
        s->a = a;
        s->b = b;
        *out = d;
        return FL_OK;
      }
      if (op == FL_SQL_OP_CONCAT) return unsupported(x, e, "||");
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
      if (ra->cls == CI && (op == FL_SQL_OP_DIV || op == FL_SQL_OP_MOD) && (ra->scale || rb->scale)) {
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
          if (ma == INT64_C(86400000000) || mb == INT64_C(86400000000)) ma = mb = 1; /* DATE +- n */
        }
      }
      step *s = new_step(c, S_ARITH, d);
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
      if (pat->kind != FL_SQL_E_LITERAL || pat->lit != FL_SQL_LIT_STRING)
        return unsupported(x, pat, "a LIKE pattern that is not a string literal");
      uint32_t a;
      if ((rc = compile(x, e->args[0], CS, &a))) return rc;
      uint32_t d = new_reg(c, CB, true);
      step *s = new_step(c, S_LIKE, d);
      s->a = a;
      s->negated = e->negated;
      s->ilike = e->ilike;
      s->pattern = fl_arena_memdup(&c->arena, pat->value.u.str.ptr, pat->value.u.str.len);
      s->pattern_len = pat->value.u.str.len;
      *out = d;
      return FL_OK;
    }
    case FL_SQL_E_FUNC: return compile_func(x, e, hint, out);
    case FL_SQL_E_CAST: return unsupported(x, e, "CAST");
    case FL_SQL_E_SUBQUERY:
    case FL_SQL_E_EXISTS: return unsupported(x, e, "a subquery");
  }
  return unsupported(x, e, "this expression");
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
  c->rows_cap = cap;
}

static void run_col(reg *d, const fl_vec *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) d->nul[i] = !fl_vec_is_valid(v, i);
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
      for (uint32_t i = 0; i < n; i++) {
        d->sp[i] = v->bytes + v->offsets[i];
        d->sl[i] = v->offsets[i + 1] - v->offsets[i];
      }
      break;
  }
}

static inline int cmp_str(const char *a, uint32_t al, const char *b, uint32_t bl) {
  int r = memcmp(a, b, al < bl ? al : bl);
  return r ? r : (al < bl ? -1 : al > bl);
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

/* One loop per operator: no switch per row, and the compiler can vectorise it. */
#define CMP_LOOP(T, ARR, OP)                                                             \
  for (uint32_t i = 0; i < n; i++) {                                                     \
    T x = a->ARR[i & ma], y = b->ARR[i & mb];                                            \
    d->nul[i] = (a->nul[i & ma] | b->nul[i & mb]) ? (uint8_t)T_NULL : (uint8_t)(x OP y); \
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
    case CF: CMP_SWITCH(double, f) break;
    case CW:
      for (uint32_t i = 0; i < n; i++)
        d->nul[i] =
            (a->nul[i & ma] | b->nul[i & mb])
                ? T_NULL
                : cmp_result(s->sub, fl_dec128_cmp_scaled(a->w[i & ma], a->scale, b->w[i & mb], b->scale));
      break;
    case CS:
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

static bool like(const char *s, size_t sn, const char *p, size_t pn, bool fold) {
  /* iterative LIKE with backtracking to the last '%' (linear for one '%') */
  size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
  while (si < sn) {
    if (pi < pn && p[pi] == '%') {
      star_p = ++pi;
      star_s = si;
      continue;
    }
    if (pi < pn) {
      char pc = p[pi], sc = s[si];
      bool esc = pc == '\\' && pi + 1 < pn;
      if (esc) pc = p[pi + 1];
      if (fold && pc >= 'A' && pc <= 'Z') pc = (char)(pc + 32);
      if (fold && sc >= 'A' && sc <= 'Z') sc = (char)(sc + 32);
      if ((!esc && pc == '_') || pc == sc) {
        pi += esc ? 2 : 1;
        si++;
        continue;
      }
    }
    if (star_p == SIZE_MAX) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < pn && p[pi] == '%') pi++;
  return pi == pn;
}

static const uint8_t and3[3][3] = {{0, 0, 0}, {0, 1, 2}, {0, 2, 2}};
static const uint8_t or3[3][3] = {{0, 1, 2}, {1, 1, 1}, {2, 1, 2}};
static const uint8_t not3[3] = {1, 0, 2};

static void run_arith(const step *s, reg *d, const reg *a, const reg *b, uint32_t n) {
  uint32_t ma = a->mask, mb = b->mask;
  if (a->cls == CF) {
    for (uint32_t i = 0; i < n; i++) {
      double x = a->f[i & ma], y = b->f[i & mb], r = 0;
      uint8_t nul = a->nul[i & ma] | b->nul[i & mb];
      switch (s->sub) {
        case FL_SQL_OP_ADD: r = x + y; break;
        case FL_SQL_OP_SUB: r = x - y; break;
        case FL_SQL_OP_MUL: r = x * y; break;
        case FL_SQL_OP_DIV:
          if (y == 0)
            nul = 1;
          else
            r = x / y;
          break;
        default: nul = 1; break;
      }
      d->f[i] = r;
      d->nul[i] = nul;
    }
    return;
  }
  for (uint32_t i = 0; i < n; i++) {
    int64_t x = a->i[i & ma], y = b->i[i & mb], r = 0;
    bool bad = a->nul[i & ma] | b->nul[i & mb];
    if (!bad && s->sub != FL_SQL_OP_MUL)
      bad = __builtin_mul_overflow(x, s->ma, &x) || __builtin_mul_overflow(y, s->mb, &y);
    if (!bad) switch (s->sub) {
        case FL_SQL_OP_ADD: bad = __builtin_add_overflow(x, y, &r); break;
        case FL_SQL_OP_SUB: bad = __builtin_sub_overflow(x, y, &r); break;
        case FL_SQL_OP_MUL: bad = __builtin_mul_overflow(x, y, &r); break;
        case FL_SQL_OP_DIV:
          bad = y == 0 || (x == INT64_MIN && y == -1);
          if (!bad) r = x / y;
          break;
        default:
          bad = y == 0 || (x == INT64_MIN && y == -1);
          if (!bad) r = x % y;
          break;
      }
    d->i[i] = bad ? 0 : r;
    d->nul[i] = bad;
  }
}

static void run_str_case(reg *d, const reg *a, uint32_t n, bool upper) {
  size_t need = 0;
  uint32_t m = a->mask;
  for (uint32_t i = 0; i < n; i++) need += a->nul[i & m] ? 0 : a->sl[i & m];
  if (need > d->bytes_cap || !d->bytes) {
    d->bytes_cap = need * 2 + 64;
    d->bytes = fl_realloc(d->bytes, d->bytes_cap);
  }
  size_t o = 0;
  for (uint32_t i = 0; i < n; i++) {
    d->nul[i] = a->nul[i & m];
    d->sp[i] = d->bytes + o;
    d->sl[i] = d->nul[i] ? 0 : a->sl[i & m];
    const char *p = a->sp[i & m];
    for (uint32_t k = 0; k < d->sl[i]; k++) {
      char ch = p[k];
      if (upper && ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
      if (!upper && ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
      d->bytes[o++] = ch;
    }
  }
}

static void run_step(fl_sql_eval *c, const step *s, const fl_batch *batch, uint32_t n) {
  reg *d = &c->regs[s->dst], *a = &c->regs[s->a], *b = &c->regs[s->b];
  switch (s->op) {
    case S_COL: run_col(d, &batch->cols[s->col], n); break;
    case S_NOW: d->ci = fl_now_micros(); break;
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
      for (uint32_t i = 0; i < n; i++) d->nul[i] = and3[a->nul[i & a->mask]][b->nul[i & b->mask]];
      break;
    case S_OR:
      for (uint32_t i = 0; i < n; i++) d->nul[i] = or3[a->nul[i & a->mask]][b->nul[i & b->mask]];
      break;
    case S_NOT:
      for (uint32_t i = 0; i < n; i++) d->nul[i] = not3[a->nul[i & a->mask]];
      break;
    case S_ARITH: run_arith(s, d, a, b, n); break;
    case S_NEG:
      for (uint32_t i = 0; i < n; i++) {
        d->nul[i] = a->nul[i & a->mask];
        if (a->cls == CF)
          d->f[i] = -a->f[i & a->mask];
        else if (a->i[i & a->mask] == INT64_MIN)
          d->nul[i] = 1;
        else
          d->i[i] = -a->i[i & a->mask];
      }
      break;
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
      for (uint32_t i = 0; i < n; i++) {
        uint32_t k = i & a->mask;
        d->nul[i] =
            a->nul[k]
                ? T_NULL
                : (uint8_t)(like(a->sp[k], a->sl[k], s->pattern, s->pattern_len, s->ilike) != s->negated);
      }
      break;
    case S_LOWER:
    case S_UPPER: run_str_case(d, a, n, s->op == S_UPPER); break;
    case S_LENGTH:
      for (uint32_t i = 0; i < n; i++) {
        uint32_t k = i & a->mask, chars = 0;
        for (uint32_t j = 0; j < a->sl[k]; j++) chars += ((uint8_t)a->sp[k][j] & 0xc0) != 0x80;
        d->nul[i] = a->nul[k];
        d->i[i] = a->nul[k] ? 0 : chars;
      }
      break;
    case S_ABS:
      for (uint32_t i = 0; i < n; i++) {
        uint32_t k = i & a->mask;
        d->nul[i] = a->nul[k];
        if (a->cls == CF)
          d->f[i] = a->f[k] < 0 ? -a->f[k] : a->f[k];
        else if (a->i[k] == INT64_MIN)
          d->nul[i] = 1;
        else
          d->i[i] = a->i[k] < 0 ? -a->i[k] : a->i[k];
      }
      break;
    case S_COALESCE:
      for (uint32_t i = 0; i < n; i++) {
        const reg *src = &c->regs[s->args[s->nargs - 1]];
        for (uint32_t k = 0; k < s->nargs; k++) {
          const reg *r = &c->regs[s->args[k]];
          bool null = r->cls == CB ? r->nul[i & r->mask] == T_NULL : r->nul[i & r->mask];
          if (!null) {
            src = r;
            break;
          }
        }
        uint32_t k = i & src->mask;
        d->nul[i] = src->nul[k];
        if (d->cls == CI)
          d->i[i] = src->i[k];
        else if (d->cls == CF)
          d->f[i] = src->f[k];
        else if (d->cls == CS) {
          d->sp[i] = src->sp[k];
          d->sl[i] = src->sl[k];
        }
      }
      break;
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
  for (uint32_t s = 0; s < c->nsteps; s++) {
    step *st = &c->steps[s];
    reg *d = &c->regs[st->dst];
    if (st->op == S_COL && d->cls == CI) {
      fl_type_kind k = c->schema->fields[st->col].type.kind;
      d->is_col = k == FL_T_BIGINT || k == FL_T_TIMESTAMP || k == FL_T_DECIMAL || k == FL_T_TIME;
    }
    if (st->op == S_TOW && !d->wbuf) d->wbuf = fl_malloc(sizeof *d->wbuf); /* grown by reserve_regs */
  }
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
  for (uint32_t s = 0; s < k->nsteps; s++) run_step(c, &c->steps[k->first_step + s], batch, n);
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
    r = fl_sql_eval_run(c, p, batch);
    uint32_t k = 0;
    for (uint32_t j = 0; j < m; j++) {
      sel[k] = sel[j];
      k += r[sel[j]] == FL_SQL_TRUE;
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
  fl_free(c->regs);
  fl_free(c->steps);
  fl_free(c->preds);
  fl_free(c->const_out);
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
