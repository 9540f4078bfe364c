/* sql/expr_eval_int.h: the expression evaluator's own types and helpers, shared by its
 * files and by no other module:
 *   expr_eval.c  the compiler (tree -> steps), the core steps, the public API (sql.h)
 *   expr_cast.c  conversions between types (CAST, implicit coercions, text of values)
 *   expr_func.c  the functions (string, math, date, JSON, regexp) and lower/upper
 * Register classes, the step list and the evaluator's state are described in expr_eval.c's
 * design comment. */
#ifndef FL_SQL_EXPR_EVAL_INT_H
#define FL_SQL_EXPR_EVAL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/decimal.h"
#include "core/err.h"
#include "core/mem.h"
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
  size_t bytes_cap, bytes_len;
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
  S_CAST,     /* dst <- a converted to type (expr_value.c) */
  S_CONCAT,   /* dst S <- a || b */
  S_CASE,     /* dst <- args[2k+1] of the first TRUE args[2k], else args[nargs-1] */
  S_LIKE2,    /* dst <- a [NOT] LIKE b (a pattern per row) */
  S_WARITH,   /* dst W <- a <sub> b, both W at the result's scale (mul: scales add) */
  S_MONTHS,   /* dst I (TIMESTAMP micros) <- a (micros) + ma months, clamped to month end */
  S_FUNC,     /* dst <- function fn of args (expr_func.c) */
} step_op;

/* S_LIKE shapes of a literal pattern (step.sub) */
enum { LK_GENERAL = 0, LK_EXACT, LK_PREFIX, LK_SUFFIX, LK_CONTAINS };

typedef enum fn_id {
  F_NONE = 0,
  F_JSON = 1,     /* j -> path: the JSON value (JSON) */
  F_JSON_STR = 2, /* j ->> path: a string's contents, other values as JSON text */
  F_NULLIF,
  F_GREATEST,
  F_LEAST,
  F_TRIM,
  F_LTRIM,
  F_RTRIM,
  F_SUBSTRING,
  F_CONCAT,
  F_REPLACE,
  F_SPLIT_PART,
  F_STARTS_WITH,
  F_ENDS_WITH,
  F_STRPOS,
  F_LEFT,
  F_RIGHT,
  F_REVERSE,
  F_REGEXP,
  F_ROUND,
  F_FLOOR,
  F_CEIL,
  F_SQRT,
  F_POWER,
  F_LN,
  F_EXP,
  F_LOG10,
  F_DATE_TRUNC,
  F_DATE_PART,
  F_CURRENT_DATE,
} fn_id;

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
  /* value expressions (fl_sql_eval_add_value): runtime errors instead of NULL */
  bool strict;
  int64_t lim, lim_lo; /* ARITH on I: results must lie in [lim_lo, lim) (INT, DECIMAL(p<=18)); lim 0: any */
  fl_type type;        /* CAST, FUNC: the result type; ARITH: the result type (messages) */
  int fn;              /* FUNC */
  void *aux;           /* FUNC regexp_matches: the compiled pattern (pcre2_code) */
  const char *label;   /* for runtime errors */
  uint32_t eline, ecol;
  uint16_t ctx;   /* strict: the deferred context its errors go to (0: fail the run) */
  uint16_t *ctxs; /* CASE, AND, OR, COALESCE: the contexts of the parts it may not use */
  /* dictionary regions (expr_eval.c, "Dictionary columns"): a predicate's subtree over one
     STRING/JSON column runs once per dictionary entry when the column comes in
     dictionary form */
  int32_t dcol;       /* the column this step's result depends on alone, -1 none or several */
  bool dmember;       /* part of a region: skipped when its column is in dictionary form */
  uint32_t *dmembers; /* a region's root: its steps (absolute indexes, rising, itself last) */
  uint32_t ndmembers;
} step;

typedef struct pred {
  uint32_t first_step, nsteps, result;
  int32_t cols[FL_SQL_EVAL_COLS_MAX]; /* columns read, in first-use order */
  uint32_t ncols;
  bool value; /* added by fl_sql_eval_add_value: result materialised into out */
  fl_type type;
  fl_vec out;
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
  bool faulted;      /* a strict step hit a runtime error in this run */
  fl_err fault;
  int64_t now_us; /* now(): fixed at the first run (one query, one instant) */
  bool no_fold;   /* an evaluator that folds a constant: no folding inside it */
  /* deferred errors: parts DuckDB evaluates only for some rows (CASE branches, the right
     side of AND/OR, later coalesce arguments) record a runtime error per row in their
     context; the step that picks a row's value raises it only if that row used the part */
  uint16_t nctx;
  uint8_t **ctx_err; /* [ctx][row]: 1 = the part failed on this row */
  fl_err *ctx_msg;   /* [ctx]: the first failure's message */
  uint8_t *dict_res; /* a region root's result per dictionary entry (+1: NULL) */
  uint32_t dict_res_cap;
  /* fl_sql_eval_select: the rows a predicate is left to decide, gathered (compact) */
  fl_batch sub;
  fl_vec *sub_cols;    /* one per schema column, initialised at first use */
  uint32_t nsub_cols;  /* their count, kept: the schema may be freed before the evaluator */
  uint32_t *sub_stamp; /* per column: the compaction that last gathered it */
  uint32_t stamp;
};

static inline uint8_t class_of_type(fl_type_kind k) {
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

/* The register class and scale that hold a value of type t. */
static inline uint8_t class_of_full(fl_type t) { return fl_decimal_is_wide(t) ? CW : class_of_type(t.kind); }

static inline bool is_bytes_kind(fl_type_kind k) {
  return k == FL_T_UUID || k == FL_T_BINARY || k == FL_T_FIXED;
}

static inline int cmp_str(const char *a, uint32_t al, const char *b, uint32_t bl) {
  int r = memcmp(a, b, al < bl ? al : bl);
  return r ? r : (al < bl ? -1 : al > bl);
}

/* String results: bytes appended to the register's buffer; row i's start is kept as an
 * offset until sb_finish turns offsets into pointers (the buffer may move meanwhile). */
static inline char *sb_room(reg *d, size_t extra) {
  if (d->bytes_len + extra > d->bytes_cap || !d->bytes) {
    size_t cap = d->bytes_cap ? d->bytes_cap : 256;
    while (cap < d->bytes_len + extra) cap *= 2;
    d->bytes = fl_realloc(d->bytes, cap);
    d->bytes_cap = cap;
  }
  return d->bytes + d->bytes_len;
}
static inline void sb_put(reg *d, const char *p, size_t n) {
  if (n) memcpy(sb_room(d, n), p, n);
  d->bytes_len += n;
}
static inline void sb_start(reg *d, uint32_t i) { d->sp[i] = (const char *)(uintptr_t)d->bytes_len; }
static inline void sb_end(reg *d, uint32_t i) { d->sl[i] = (uint32_t)(d->bytes_len - (uintptr_t)d->sp[i]); }
static inline void sb_null(reg *d, uint32_t i) {
  d->nul[i] = 1;
  d->sp[i] = (const char *)(uintptr_t)d->bytes_len;
  d->sl[i] = 0;
}
static inline void sb_finish(reg *d, uint32_t n) {
  if (!d->bytes) sb_room(d, 1); /* every row empty or NULL: a valid base all the same */
  for (uint32_t i = 0; i < n; i++) d->sp[i] = d->bytes + (uintptr_t)d->sp[i];
}

/* v / 10^k rounded half away from zero (DuckDB's decimal rounding). */
static inline fl_i128 div_round(fl_i128 v, unsigned k) {
  if (!k) return v;
  fl_i128 m = fl_dec128_pow10(k), q = v / m, r = v % m;
  if (r < 0) r = -r;
  if (2 * r >= m) q += v < 0 ? -1 : 1;
  return q;
}

/* Copies cell k of src into row i of d (same class). */
static inline void copy_cell(reg *d, uint32_t i, const reg *src, uint32_t k) {
  d->nul[i] = src->nul[k];
  switch (d->cls) {
    case CI: d->i[i] = src->i[k]; break;
    case CF: d->f[i] = src->f[k]; break;
    case CW: d->wbuf[i] = src->w[k]; break;
    case CS:
      d->sp[i] = src->sp[k];
      d->sl[i] = src->sl[k];
      break;
    default: break;
  }
}

static inline bool reg_null(const reg *r, uint32_t i) {
  return r->cls == CB ? r->nul[i & r->mask] == T_NULL : r->nul[i & r->mask] != 0;
}

static inline bool ieq(const char *p, size_t n, const char *w) {
  return strlen(w) == n && !strncasecmp(p, w, n);
}

/* A runtime error of a strict step at row: the run's failure, or recorded in the step's
 * deferred context (expr_eval.c). */
void fl_sql_eval_fault(fl_sql_eval *c, const step *s, uint32_t row, fl_code code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* expr_cast.c: one cell of register a as text (DuckDB's forms); out >= 48 bytes. */
size_t fl_sql_cell_text(const reg *a, uint32_t k, char *buf);
/* expr_cast.c: the cast of cell k of a to t into row i of d: 0 done, 1 NULL, 2 error
 * (why says what, naming the value and both types). */
int fl_sql_cast_cell(const reg *a, uint32_t k, fl_type t, reg *d, uint32_t i, char *why, size_t why_size);
/* expr_cast.c: the S_CAST step. */
void fl_sql_run_cast(fl_sql_eval *c, const step *s, reg *d, const reg *a, uint32_t n);
/* expr_func.c: lower/upper (S_LOWER, S_UPPER) and the S_FUNC step. */
void fl_sql_run_str_case(reg *d, const reg *a, uint32_t n, bool upper);
/* p lowered code point by code point (as lower()) into out, which holds 2 * n + 4 bytes;
 * the length written. For ILIKE over text that is not ASCII. */
size_t fl_sql_utf8_lower(const char *p, size_t n, char *out);
void fl_sql_run_func(fl_sql_eval *c, step *s, reg *d, uint32_t n);

#endif
