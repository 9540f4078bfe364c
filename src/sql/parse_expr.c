/* parse_expr.c: SQL expressions, a Pratt (precedence-climbing) parser over the token
 * cursor (sql.h: fl_sql_expr, fl_sql_parse_expr; sql_int.h: fl_sql_parse_expr_at).
 *
 * Why Pratt: one loop and one table of binding powers (infix_table) carry PostgreSQL's
 * precedence; the SQL engine adds operators (subscripts, AT TIME ZONE, CASE, subqueries)
 * by adding rows to infix_table and cases to parse_primary(), not grammar levels.
 *
 * Binding powers (higher binds tighter), PostgreSQL's table:
 *   1 OR   2 AND   3 NOT (prefix)   4 IS [NOT] NULL (postfix, non-associative)
 *   5 = <> != < <= > >= (non-associative)   6 [NOT] IN / BETWEEN / LIKE / ILIKE (non-assoc.)
 *   7 ||   8 + -   9 * / %   10 unary - +   11 :: (postfix)
 * Non-associative means "a < b < c" is an error (write parentheses), as in PostgreSQL.
 * BETWEEN's bounds are parsed above level 6, so "x BETWEEN 1 AND 2 AND y" is
 * "(x BETWEEN 1 AND 2) AND y". A minus sign before a number literal is folded into the
 * literal (-5 is a literal, as PostgreSQL's grammar does), so -9223372036854775808 fits.
 *
 * Literals: integers are BIGINT (too big for int64: DOUBLE); decimals with a point are
 * exact DECIMAL(p,s) up to 18 digits (more: DOUBLE); exponents are DOUBLE; TIMESTAMP/
 * DATE/INTERVAL 'text' are checked and converted here, so a bad one is a parse error at
 * its string.
 *
 * Ownership: every node, array and string is allocated in the cursor's arena.
 * Recursion is bounded: trees at most FL_SQL_EXPR_DEPTH_MAX high, parentheses at most
 * twice that deep (PARSE_DEPTH_MAX); FL_ELIMIT past either. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/time.h"
#include "sql/lexer.h"
#include "sql/sql.h"
#include "sql/sql_int.h"

enum {
  BP_NONE = 0,
  BP_OR = 1,
  BP_AND = 2,
  BP_NOT = 3,
  BP_IS = 4,
  BP_CMP = 5,
  BP_PRED = 6,
  BP_OTHER = 7,
  BP_ADD = 8,
  BP_MUL = 9,
  BP_UNARY = 10,
  BP_CAST = 11,
};

typedef enum infix_kind { IX_NONE, IX_BINARY, IX_IS, IX_IN, IX_BETWEEN, IX_LIKE, IX_CAST } infix_kind;

typedef struct infix {
  infix_kind kind;
  int bp;
  fl_sql_op op; /* IX_BINARY */
  bool negated; /* NOT IN / NOT BETWEEN / NOT LIKE */
  bool ilike;
  uint32_t ntoks; /* tokens of the operator itself (NOT IN: 2) */
} infix;

typedef struct parser {
  fl_sql_cursor *cur;
  uint32_t depth;
} parser;

static fl_code parse_bp(parser *p, int min_bp, fl_sql_expr **out);

static fl_sql_expr *node_new(parser *p, fl_sql_expr_kind kind, const fl_token *at) {
  fl_sql_expr *e = fl_arena_calloc(p->cur->arena, 1, sizeof *e);
  e->kind = kind;
  e->line = at->line;
  e->col = at->col;
  e->field = -1;
  e->height = 1;
  return e;
}

/* The parser's own recursion: every parse_bp call either parses an operand (an edge
 * of the tree) or the inside of parentheses around a node, so a tree of height h that
 * the formatter prints back needs at most 2h + 1 calls: with this bound anything that
 * parses, prints back to a text that parses (the fuzzer checks it). */
#define PARSE_DEPTH_MAX (2 * FL_SQL_EXPR_DEPTH_MAX + 1)

static fl_code too_deep(parser *p, const fl_token *tok) {
  fl_sql_cursor_error_at(p->cur, tok,
                         "expression nested too deeply (at most %d operator levels, %d with parentheses)",
                         FL_SQL_EXPR_DEPTH_MAX, PARSE_DEPTH_MAX - 1);
  p->cur->err->code = FL_ELIMIT;
  return FL_ELIMIT;
}

/* Sets e->height from its children; too high a tree is refused so that every recursive
 * walk over it (format, bind, the engine's compiler) has bounded depth. */
static fl_code finish(parser *p, fl_sql_expr *e) {
  uint32_t h = 0;
  for (uint32_t i = 0; i < e->nargs; i++)
    if (e->args[i]->height > h) h = e->args[i]->height;
  e->height = h + 1;
  if (e->height > FL_SQL_EXPR_DEPTH_MAX) return too_deep(p, fl_sql_cursor_peek(p->cur));
  return FL_OK;
}

static void set_args(parser *p, fl_sql_expr *e, uint32_t n, fl_sql_expr *a, fl_sql_expr *b, fl_sql_expr *c) {
  fl_sql_expr *list[3] = {a, b, c};
  e->args = fl_arena_alloc(p->cur->arena, n * sizeof *e->args);
  for (uint32_t i = 0; i < n; i++) e->args[i] = list[i];
  e->nargs = n;
}

/* A growable child list in the arena (IN lists, call arguments). */
typedef struct expr_list {
  fl_sql_expr **items;
  uint32_t n, cap;
} expr_list;

static void list_push(parser *p, expr_list *l, fl_sql_expr *e) {
  if (l->n == l->cap) {
    uint32_t cap = l->cap ? 2 * l->cap : 8;
    fl_sql_expr **grown = fl_arena_alloc(p->cur->arena, cap * sizeof *grown);
    if (l->n) memcpy(grown, l->items, l->n * sizeof *grown);
    l->items = grown;
    l->cap = cap;
  }
  l->items[l->n++] = e;
}

/* ---- literals ---- */

/* A number literal from text (digits, '.', exponent), negative when neg. */
static void number_literal(parser *p, fl_sql_expr *e, const char *s, size_t n, bool neg) {
  e->kind = FL_SQL_E_LITERAL;
  e->text = fl_arena_sprintf(p->cur->arena, "%s%.*s", neg ? "-" : "", (int)n, s);
  bool dot = false, expo = false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '.') dot = true;
    if (s[i] == 'e' || s[i] == 'E') expo = true;
  }
  if (!expo) {
    /* exact: unscaled digits with the point removed, leading zeros skipped */
    uint64_t acc = 0;
    unsigned digits = 0, scale = 0;
    bool after = false, fits = true;
    for (size_t i = 0; i < n; i++) {
      if (s[i] == '.') {
        after = true;
        continue;
      }
      unsigned d = (unsigned)(s[i] - '0');
      if (after) scale++;
      if (acc == 0 && d == 0 && !after) continue;
      if (acc > (UINT64_MAX - d) / 10)
        fits = false;
      else
        acc = acc * 10 + d;
      if (acc || after) digits++;
    }
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (!dot && fits && acc <= lim) {
      e->lit = FL_SQL_LIT_INT;
      e->value.type.kind = FL_T_BIGINT;
      e->value.u.i64 = neg ? (int64_t)(0 - acc) : (int64_t)acc;
      return;
    }
    unsigned precision = digits > scale ? digits : scale;
    if (precision == 0) precision = 1;
    if (dot && fits && precision <= FL_DECIMAL64_PRECISION_MAX) {
      e->lit = FL_SQL_LIT_DECIMAL;
      e->value.type.kind = FL_T_DECIMAL;
      e->value.type.precision = (uint8_t)precision;
      e->value.type.scale = (uint8_t)scale;
      e->value.u.i64 = neg ? -(int64_t)acc : (int64_t)acc;
      return;
    }
  }
  e->lit = FL_SQL_LIT_DOUBLE;
  e->value.type.kind = FL_T_DOUBLE;
  e->value.u.f64 = strtod(e->text, NULL);
}

/* TIMESTAMP '...', DATE '...', INTERVAL '...': tok is the type word, the string follows. */
static fl_code typed_literal(parser *p, const fl_token *tok, fl_sql_lit_kind lit, fl_sql_expr **out) {
  fl_sql_cursor *cur = p->cur;
  fl_sql_cursor_next(cur);
  const fl_token *str = fl_sql_cursor_next(cur);
  FL_ASSERT(str->kind == FL_TOK_STRING);
  fl_sql_expr *e = node_new(p, FL_SQL_E_LITERAL, tok);
  e->lit = lit;
  e->text = fl_sql_token_string(cur, str);
  size_t n = strlen(e->text);
  int show = n > 40 ? 40 : (int)n;
  const char *more = n > 40 ? "..." : "";
  switch (lit) {
    case FL_SQL_LIT_TIMESTAMP:
      e->value.type.kind = FL_T_TIMESTAMP;
      if (!fl_ts_parse(e->text, n, &e->value.u.i64))
        return fl_sql_cursor_error_at(
            cur, str, "invalid TIMESTAMP '%.*s%s' (expected 'YYYY-MM-DD HH:MM:SS[.ffffff][Z|+hh:mm]')", show,
            e->text, more);
      break;
    case FL_SQL_LIT_DATE:
      e->value.type.kind = FL_T_DATE;
      if (!fl_date_parse(e->text, n, &e->value.u.i32))
        return fl_sql_cursor_error_at(cur, str, "invalid DATE '%.*s%s' (expected 'YYYY-MM-DD')", show,
                                      e->text, more);
      break;
    case FL_SQL_LIT_INTERVAL: {
      /* months and years (no fixed length) are kept apart, as DuckDB's interval does;
         the rest is a fixed number of microseconds */
      fl_err ierr;
      char *rest = fl_arena_alloc(cur->arena, n + 1);
      size_t rn = 0;
      const char *t = e->text;
      size_t i = 0;
      while (i < n) {
        size_t a = i;
        while (i < n && t[i] != ' ') i++;
        size_t b = i;
        while (i < n && t[i] == ' ') i++;
        size_t c = i;
        while (i < n && t[i] != ' ') i++;
        char *end = NULL;
        long long v = strtoll(t + a, &end, 10);
        bool num = end == t + b && b > a && b - a < 10;
        int per = 0;
        if (num && c < i) {
          static const char *const mon[] = {"month", "months", "mon", "mons"};
          static const char *const yr[] = {"year", "years", "y", "yr", "yrs"};
          for (size_t k = 0; k < 4; k++)
            if (i - c == strlen(mon[k]) && !strncasecmp(t + c, mon[k], i - c)) per = 1;
          for (size_t k = 0; k < 5; k++)
            if (i - c == strlen(yr[k]) && !strncasecmp(t + c, yr[k], i - c)) per = 12;
        }
        if (per) {
          e->interval_months += (int32_t)(v * per);
          while (i < n && t[i] == ' ') i++;
          continue;
        }
        i = c; /* not a month term: copy the first word only */
        if (rn) rest[rn++] = ' ';
        memcpy(rest + rn, t + a, b - a);
        rn += b - a;
      }
      rest[rn] = 0;
      if ((rn || !e->interval_months) && fl_sql_interval_parse(rest, rn, &e->interval_us, &ierr))
        return fl_sql_cursor_error_at(cur, str, "%s", ierr.msg);
      break;
    }
    default: FL_ASSERT(false, "literal kind %d", lit);
  }
  *out = e;
  return FL_OK;
}

/* ---- primaries ---- */

/* '(' [DISTINCT] [* | expr (',' expr)*] ')' after a function name. */
static fl_code parse_call(parser *p, const fl_token *name_tok, fl_sql_expr **out) {
  fl_sql_cursor *cur = p->cur;
  fl_sql_expr *e = node_new(p, FL_SQL_E_FUNC, name_tok);
  e->name = fl_sql_token_ident(cur, name_tok);
  fl_sql_cursor_next(cur); /* the name */
  fl_sql_cursor_next(cur); /* ( */
  if (fl_sql_cursor_accept(cur, FL_TOK_RPAREN)) {
    *out = e;
    return FL_OK;
  }
  if (fl_sql_cursor_at(cur, FL_TOK_STAR) && fl_sql_cursor_peek_at(cur, 1)->kind == FL_TOK_RPAREN) {
    fl_sql_cursor_next(cur);
    fl_sql_cursor_next(cur);
    e->star = true;
    *out = e;
    return FL_OK;
  }
  if (fl_sql_cursor_accept_kw(cur, FL_KW_DISTINCT)) e->distinct = true;
  expr_list args = {0};
  /* EXTRACT(field FROM x) is date_part('field', x) */
  const fl_token *field = fl_sql_cursor_peek(cur);
  if (!e->distinct && !strcmp(e->name, "extract") && field->kind == FL_TOK_IDENT &&
      fl_sql_cursor_peek_at(cur, 1)->kind == FL_TOK_IDENT &&
      fl_sql_cursor_peek_at(cur, 1)->kw == FL_KW_FROM) {
    fl_sql_expr *f = node_new(p, FL_SQL_E_LITERAL, field);
    f->lit = FL_SQL_LIT_STRING;
    f->text = fl_sql_token_ident(cur, field);
    f->value.type.kind = FL_T_STRING;
    f->value.u.str.ptr = f->text;
    f->value.u.str.len = (uint32_t)strlen(f->text);
    list_push(p, &args, f);
    fl_sql_cursor_next(cur);
    fl_sql_cursor_next(cur);
    e->name = "date_part";
  }
  bool substr = !e->distinct && !strcmp(e->name, "substring");
  for (;;) {
    fl_sql_expr *arg = NULL;
    fl_code code = parse_bp(p, BP_NONE, &arg);
    if (code) return code;
    list_push(p, &args, arg);
    if (fl_sql_cursor_accept(cur, FL_TOK_COMMA)) continue;
    /* SUBSTRING(x FROM a [FOR b]), SUBSTRING(x FOR b) */
    if (substr && args.n == 1 && fl_sql_cursor_accept_kw(cur, FL_KW_FROM)) continue;
    if (substr && args.n == 1 && fl_sql_cursor_accept_kw(cur, FL_KW_FOR)) {
      fl_sql_expr *one = node_new(p, FL_SQL_E_LITERAL, fl_sql_cursor_peek(cur));
      number_literal(p, one, "1", 1, false);
      list_push(p, &args, one);
      continue;
    }
    if (substr && args.n == 2 && fl_sql_cursor_accept_kw(cur, FL_KW_FOR)) continue;
    if (fl_sql_cursor_accept(cur, FL_TOK_RPAREN)) break;
    return fl_sql_cursor_expected(cur, "',' or ')' in the arguments of %s(...)", e->name);
  }
  e->args = args.items;
  e->nargs = args.n;
  *out = e;
  return finish(p, e);
}

/* CAST '(' expr AS type ')' */
static fl_code parse_cast(parser *p, fl_sql_expr **out) {
  fl_sql_cursor *cur = p->cur;
  const fl_token *tok = fl_sql_cursor_next(cur);
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN)) return fl_sql_cursor_expected(cur, "'(' after CAST");
  fl_sql_expr *arg = NULL;
  fl_code code = parse_bp(p, BP_NONE, &arg);
  if (code) return code;
  if (!fl_sql_cursor_accept_kw(cur, FL_KW_AS)) return fl_sql_cursor_expected(cur, "AS in CAST(... AS type)");
  fl_sql_expr *e = node_new(p, FL_SQL_E_CAST, tok);
  code = fl_sql_parse_type_at(cur, NULL, &e->cast_type);
  if (code) return code;
  if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN)) return fl_sql_cursor_expected(cur, "')' to close CAST(...)");
  set_args(p, e, 1, arg, NULL, NULL);
  *out = e;
  return finish(p, e);
}

/* CASE [operand] WHEN w THEN t [WHEN ...] [ELSE e] END */
static fl_code parse_case(parser *p, fl_sql_expr **out) {
  fl_sql_cursor *cur = p->cur;
  const fl_token *tok = fl_sql_cursor_next(cur);
  fl_sql_expr *e = node_new(p, FL_SQL_E_CASE, tok);
  expr_list args = {0};
  fl_sql_expr *x = NULL;
  fl_code code;
  if (!fl_sql_cursor_at_kw(cur, FL_KW_WHEN)) {
    if ((code = parse_bp(p, BP_NONE, &x))) return code;
    list_push(p, &args, x);
    e->case_operand = true;
  }
  if (!fl_sql_cursor_at_kw(cur, FL_KW_WHEN)) return fl_sql_cursor_expected(cur, "WHEN in CASE");
  while (fl_sql_cursor_accept_kw(cur, FL_KW_WHEN)) {
    if ((code = parse_bp(p, BP_NONE, &x))) return code;
    list_push(p, &args, x);
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_THEN))
      return fl_sql_cursor_expected(cur, "THEN after CASE ... WHEN");
    if ((code = parse_bp(p, BP_NONE, &x))) return code;
    list_push(p, &args, x);
  }
  if (fl_sql_cursor_accept_kw(cur, FL_KW_ELSE)) {
    if ((code = parse_bp(p, BP_NONE, &x))) return code;
    list_push(p, &args, x);
  }
  if (!fl_sql_cursor_accept_kw(cur, FL_KW_END))
    return fl_sql_cursor_expected(cur, "WHEN, ELSE or END in CASE");
  e->args = args.items;
  e->nargs = args.n;
  *out = e;
  return finish(p, e);
}

/* name | qualifier '.' name */
static fl_code parse_column_ref(parser *p, fl_sql_expr **out) {
  fl_sql_cursor *cur = p->cur;
  fl_sql_expr *e = node_new(p, FL_SQL_E_COLUMN, fl_sql_cursor_peek(cur));
  fl_code code = fl_sql_parse_name_at(cur, "an expression", &e->name);
  if (code) return code;
  if (fl_sql_cursor_accept(cur, FL_TOK_DOT)) {
    e->qualifier = e->name;
    code = fl_sql_parse_name_at(cur, "a column name after '.'", &e->name);
    if (code) return code;
    if (fl_sql_cursor_at(cur, FL_TOK_DOT))
      return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur),
                                    "a column reference has at most two parts (table.column)");
  }
  *out = e;
  return FL_OK;
}

static fl_code parse_primary(parser *p, fl_sql_expr **out) {
  fl_sql_cursor *cur = p->cur;
  const fl_token *tok = fl_sql_cursor_peek(cur);
  const fl_token *next = fl_sql_cursor_peek_at(cur, 1);
  fl_sql_expr *e = NULL;
  switch (tok->kind) {
    case FL_TOK_NUMBER:
      e = node_new(p, FL_SQL_E_LITERAL, tok);
      number_literal(p, e, cur->src + tok->off, tok->len, false);
      fl_sql_cursor_next(cur);
      *out = e;
      return FL_OK;
    case FL_TOK_STRING:
      e = node_new(p, FL_SQL_E_LITERAL, tok);
      e->lit = FL_SQL_LIT_STRING;
      e->text = fl_sql_token_string(cur, tok);
      e->value.type.kind = FL_T_STRING;
      e->value.u.str.ptr = e->text;
      e->value.u.str.len = (uint32_t)strlen(e->text);
      fl_sql_cursor_next(cur);
      *out = e;
      return FL_OK;
    case FL_TOK_LPAREN: {
      fl_sql_cursor_next(cur);
      fl_code code = parse_bp(p, BP_NONE, out);
      if (code) return code;
      if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN))
        return fl_sql_cursor_expected(cur, "')' to close '(' at line %u, column %u", tok->line, tok->col);
      return FL_OK;
    }
    case FL_TOK_IDENT:
    case FL_TOK_QIDENT: break;
    default: return fl_sql_cursor_expected(cur, "an expression");
  }
  if (tok->kind == FL_TOK_IDENT) {
    switch (tok->kw) {
      case FL_KW_NULL:
      case FL_KW_TRUE:
      case FL_KW_FALSE:
        e = node_new(p, FL_SQL_E_LITERAL, tok);
        if (tok->kw == FL_KW_NULL) {
          e->lit = FL_SQL_LIT_NULL;
          e->value.is_null = true;
        } else {
          e->lit = FL_SQL_LIT_BOOL;
          e->value.type.kind = FL_T_BOOLEAN;
          e->value.u.b = tok->kw == FL_KW_TRUE;
        }
        fl_sql_cursor_next(cur);
        *out = e;
        return FL_OK;
      case FL_KW_CAST: return parse_cast(p, out);
      case FL_KW_CASE: return parse_case(p, out);
      case FL_KW_INTERVAL: /* not followed by a string: a column named interval */
        if (next->kind == FL_TOK_STRING) return typed_literal(p, tok, FL_SQL_LIT_INTERVAL, out);
        break;
      default: break;
    }
    if (next->kind == FL_TOK_STRING && fl_sql_token_word_is(cur, tok, "timestamp"))
      return typed_literal(p, tok, FL_SQL_LIT_TIMESTAMP, out);
    if (next->kind == FL_TOK_STRING && fl_sql_token_word_is(cur, tok, "date"))
      return typed_literal(p, tok, FL_SQL_LIT_DATE, out);
    if (next->kind == FL_TOK_LPAREN && !fl_kw_is_reserved(tok->kw)) return parse_call(p, tok, out);
  }
  if (tok->kind == FL_TOK_QIDENT && next->kind == FL_TOK_LPAREN) return parse_call(p, tok, out);
  return parse_column_ref(p, out);
}

/* ---- operators ---- */

/* Infix and postfix operators: the token (and keyword) that starts one, what it builds
 * and how tightly it binds. A new operator of SELECT is a new row. */
static const struct {
  fl_tok_kind tok;
  fl_kw kw; /* FL_TOK_IDENT rows */
  infix_kind kind;
  int bp;
  fl_sql_op op;
  bool ilike;
} infix_table[] = {
    {FL_TOK_IDENT, FL_KW_OR, IX_BINARY, BP_OR, FL_SQL_OP_OR, false},
    {FL_TOK_IDENT, FL_KW_AND, IX_BINARY, BP_AND, FL_SQL_OP_AND, false},
    {FL_TOK_IDENT, FL_KW_IS, IX_IS, BP_IS, FL_SQL_OP_NONE, false},
    {FL_TOK_EQ, FL_KW_NONE, IX_BINARY, BP_CMP, FL_SQL_OP_EQ, false},
    {FL_TOK_NE, FL_KW_NONE, IX_BINARY, BP_CMP, FL_SQL_OP_NE, false},
    {FL_TOK_LT, FL_KW_NONE, IX_BINARY, BP_CMP, FL_SQL_OP_LT, false},
    {FL_TOK_LE, FL_KW_NONE, IX_BINARY, BP_CMP, FL_SQL_OP_LE, false},
    {FL_TOK_GT, FL_KW_NONE, IX_BINARY, BP_CMP, FL_SQL_OP_GT, false},
    {FL_TOK_GE, FL_KW_NONE, IX_BINARY, BP_CMP, FL_SQL_OP_GE, false},
    {FL_TOK_IDENT, FL_KW_IN, IX_IN, BP_PRED, FL_SQL_OP_NONE, false},
    {FL_TOK_IDENT, FL_KW_BETWEEN, IX_BETWEEN, BP_PRED, FL_SQL_OP_NONE, false},
    {FL_TOK_IDENT, FL_KW_LIKE, IX_LIKE, BP_PRED, FL_SQL_OP_NONE, false},
    {FL_TOK_IDENT, FL_KW_ILIKE, IX_LIKE, BP_PRED, FL_SQL_OP_NONE, true},
    {FL_TOK_CONCAT, FL_KW_NONE, IX_BINARY, BP_OTHER, FL_SQL_OP_CONCAT, false},
    {FL_TOK_ARROW, FL_KW_NONE, IX_BINARY, BP_OTHER, FL_SQL_OP_ARROW, false},
    {FL_TOK_ARROW2, FL_KW_NONE, IX_BINARY, BP_OTHER, FL_SQL_OP_ARROW2, false},
    {FL_TOK_PLUS, FL_KW_NONE, IX_BINARY, BP_ADD, FL_SQL_OP_ADD, false},
    {FL_TOK_MINUS, FL_KW_NONE, IX_BINARY, BP_ADD, FL_SQL_OP_SUB, false},
    {FL_TOK_STAR, FL_KW_NONE, IX_BINARY, BP_MUL, FL_SQL_OP_MUL, false},
    {FL_TOK_SLASH, FL_KW_NONE, IX_BINARY, BP_MUL, FL_SQL_OP_DIV, false},
    {FL_TOK_PERCENT, FL_KW_NONE, IX_BINARY, BP_MUL, FL_SQL_OP_MOD, false},
    {FL_TOK_CAST, FL_KW_NONE, IX_CAST, BP_CAST, FL_SQL_OP_NONE, false},
};

static int infix_find(const fl_token *tok) {
  fl_kw kw = tok->kind == FL_TOK_IDENT ? tok->kw : FL_KW_NONE;
  for (size_t i = 0; i < sizeof infix_table / sizeof infix_table[0]; i++)
    if (infix_table[i].tok == tok->kind && infix_table[i].kw == kw) return (int)i;
  return -1;
}

/* The infix or postfix operator at the cursor, if any. NOT starts one only before IN,
 * BETWEEN, LIKE or ILIKE ("DEFAULT 0 NOT NULL": the NOT is not the expression's). */
static infix infix_of(const fl_sql_cursor *cur) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  infix ix = {IX_NONE, BP_NONE, FL_SQL_OP_NONE, false, false, 1};
  if (tok->kind == FL_TOK_IDENT && tok->kw == FL_KW_NOT) {
    tok = fl_sql_cursor_peek_at(cur, 1);
    ix.negated = true;
    ix.ntoks = 2;
  }
  int i = infix_find(tok);
  if (i < 0) return ix;
  if (ix.negated && infix_table[i].bp != BP_PRED) return ix;
  ix.kind = infix_table[i].kind;
  ix.bp = infix_table[i].bp;
  ix.op = infix_table[i].op;
  ix.ilike = infix_table[i].ilike;
  if (!ix.negated && tok->kind == FL_TOK_SLASH) { /* "//": DuckDB's integer division, two touching '/' */
    const fl_token *next = fl_sql_cursor_peek_at(cur, 1);
    if (next->kind == FL_TOK_SLASH && next->off == tok->off + 1) {
      ix.op = FL_SQL_OP_IDIV;
      ix.ntoks = 2;
    }
  }
  return ix;
}

static bool non_associative(int bp) { return bp == BP_IS || bp == BP_CMP || bp == BP_PRED; }

/* IN '(' expr (',' expr)* ')' with the cursor after IN. */
static fl_code parse_in_list(parser *p, fl_sql_expr *e, fl_sql_expr *left) {
  fl_sql_cursor *cur = p->cur;
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN))
    return fl_sql_cursor_expected(cur, "'(' and a list after IN");
  expr_list items = {0};
  list_push(p, &items, left);
  for (;;) {
    fl_sql_expr *item = NULL;
    fl_code code = parse_bp(p, BP_NONE, &item);
    if (code) return code;
    list_push(p, &items, item);
    if (fl_sql_cursor_accept(cur, FL_TOK_COMMA)) continue;
    if (fl_sql_cursor_accept(cur, FL_TOK_RPAREN)) break;
    return fl_sql_cursor_expected(cur, "',' or ')' in the IN list");
  }
  e->args = items.items;
  e->nargs = items.n;
  return FL_OK;
}

/* One infix/postfix operator applied to left; the cursor is on the operator. */
static fl_code parse_infix(parser *p, const infix *ix, fl_sql_expr *left, fl_sql_expr **out) {
  fl_sql_cursor *cur = p->cur;
  const fl_token *tok = fl_sql_cursor_peek(cur);
  for (uint32_t i = 0; i < ix->ntoks; i++) fl_sql_cursor_next(cur);
  fl_sql_expr *e = NULL, *right = NULL, *upper = NULL;
  fl_code code = FL_OK;
  switch (ix->kind) {
    case IX_BINARY:
      e = node_new(p, FL_SQL_E_BINARY, tok);
      e->op = ix->op;
      code = parse_bp(p, ix->bp, &right);
      if (code) return code;
      set_args(p, e, 2, left, right, NULL);
      break;
    case IX_IS:
      e = node_new(p, FL_SQL_E_IS_NULL, tok);
      e->negated = fl_sql_cursor_accept_kw(cur, FL_KW_NOT);
      if (!fl_sql_cursor_accept_kw(cur, FL_KW_NULL))
        return fl_sql_cursor_expected(cur, e->negated ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
      set_args(p, e, 1, left, NULL, NULL);
      break;
    case IX_IN:
      e = node_new(p, FL_SQL_E_IN, tok);
      e->negated = ix->negated;
      code = parse_in_list(p, e, left);
      if (code) return code;
      break;
    case IX_BETWEEN:
      e = node_new(p, FL_SQL_E_BETWEEN, tok);
      e->negated = ix->negated;
      code = parse_bp(p, BP_PRED, &right);
      if (code) return code;
      if (!fl_sql_cursor_accept_kw(cur, FL_KW_AND))
        return fl_sql_cursor_expected(cur, "AND in BETWEEN ... AND ...");
      code = parse_bp(p, BP_PRED, &upper);
      if (code) return code;
      set_args(p, e, 3, left, right, upper);
      break;
    case IX_LIKE:
      e = node_new(p, FL_SQL_E_LIKE, tok);
      e->negated = ix->negated;
      e->ilike = ix->ilike;
      code = parse_bp(p, BP_PRED, &right);
      if (code) return code;
      if (fl_sql_cursor_peek(cur)->kind == FL_TOK_IDENT &&
          fl_sql_token_word_is(cur, fl_sql_cursor_peek(cur), "escape")) {
        fl_sql_cursor_next(cur);
        fl_sql_expr *esc = NULL;
        code = parse_bp(p, BP_PRED, &esc);
        if (code) return code;
        set_args(p, e, 3, left, right, esc);
        break;
      }
      set_args(p, e, 2, left, right, NULL);
      break;
    case IX_CAST:
      e = node_new(p, FL_SQL_E_CAST, tok);
      code = fl_sql_parse_type_at(cur, NULL, &e->cast_type);
      if (code) return code;
      set_args(p, e, 1, left, NULL, NULL);
      break;
    case IX_NONE: FL_ASSERT(false); break;
  }
  *out = e;
  return finish(p, e);
}

/* Prefix: NOT, unary - and +, or a primary. */
static fl_code parse_prefix(parser *p, fl_sql_expr **out) {
  fl_sql_cursor *cur = p->cur;
  const fl_token *tok = fl_sql_cursor_peek(cur);
  fl_sql_op op = FL_SQL_OP_NONE;
  int bp = BP_UNARY;
  if (tok->kind == FL_TOK_IDENT && tok->kw == FL_KW_NOT) {
    op = FL_SQL_OP_NOT;
    bp = BP_NOT;
  } else if (tok->kind == FL_TOK_MINUS) {
    op = FL_SQL_OP_NEG;
  } else if (tok->kind == FL_TOK_PLUS) {
    op = FL_SQL_OP_PLUS;
  } else {
    return parse_primary(p, out);
  }
  fl_sql_cursor_next(cur);
  const fl_token *operand_tok = fl_sql_cursor_peek(cur);
  /* -5 is one literal; -(5) and -5::int stay operators on their operand */
  if (op == FL_SQL_OP_NEG && operand_tok->kind == FL_TOK_NUMBER &&
      fl_sql_cursor_peek_at(cur, 1)->kind != FL_TOK_CAST) {
    fl_sql_expr *e = node_new(p, FL_SQL_E_LITERAL, tok);
    number_literal(p, e, cur->src + operand_tok->off, operand_tok->len, true);
    fl_sql_cursor_next(cur);
    *out = e;
    return FL_OK;
  }
  fl_sql_expr *operand = NULL;
  fl_code code = parse_bp(p, bp, &operand);
  if (code) return code;
  fl_sql_expr *e = node_new(p, FL_SQL_E_UNARY, tok);
  e->op = op;
  set_args(p, e, 1, operand, NULL, NULL);
  *out = e;
  return finish(p, e);
}

static fl_code parse_bp(parser *p, int min_bp, fl_sql_expr **out) {
  fl_sql_cursor *cur = p->cur;
  if (++p->depth > PARSE_DEPTH_MAX) return too_deep(p, fl_sql_cursor_peek(cur));
  fl_sql_expr *left = NULL;
  fl_code code = parse_prefix(p, &left);
  if (code) return code;
  int last_bp = BP_NONE;
  for (;;) {
    infix ix = infix_of(cur);
    if (ix.kind == IX_NONE || ix.bp <= min_bp) break;
    if (ix.bp == last_bp && non_associative(ix.bp)) {
      const fl_token *tok = fl_sql_cursor_peek(cur);
      return fl_sql_cursor_error_at(cur, tok, "'%.*s' cannot follow another %s without parentheses",
                                    (int)tok->len, cur->src + tok->off,
                                    ix.bp == BP_CMP  ? "comparison"
                                    : ix.bp == BP_IS ? "IS"
                                                     : "IN, BETWEEN or LIKE");
    }
    code = parse_infix(p, &ix, left, &left);
    if (code) return code;
    last_bp = ix.bp;
  }
  p->depth--;
  *out = left;
  return FL_OK;
}

fl_code fl_sql_parse_expr_at(fl_sql_cursor *cur, fl_sql_expr **out) {
  parser p = {cur, 0};
  *out = NULL;
  return parse_bp(&p, BP_NONE, out);
}

fl_code fl_sql_expr_and_at(fl_sql_cursor *cur, fl_sql_expr *a, fl_sql_expr *b, fl_sql_expr **out) {
  parser p = {cur, 0};
  fl_sql_expr *e = node_new(&p, FL_SQL_E_BINARY, &(fl_token){.line = b->line, .col = b->col});
  e->op = FL_SQL_OP_AND;
  set_args(&p, e, 2, a, b, NULL);
  *out = e;
  return finish(&p, e);
}

fl_code fl_sql_parse_expr(const char *text, size_t len, fl_arena *arena, fl_sql_expr **out, fl_err *err) {
  *out = NULL;
  fl_sql_cursor cur;
  fl_code code = fl_sql_cursor_init(&cur, text, len, arena, err);
  if (code) return code;
  fl_sql_expr *e = NULL;
  code = fl_sql_parse_expr_at(&cur, &e);
  if (code) return code;
  if (!fl_sql_cursor_at(&cur, FL_TOK_EOF)) return fl_sql_cursor_expected(&cur, "an operator or end of input");
  *out = e;
  return FL_OK;
}

/* ---- intervals ---- */

static const struct {
  const char *word;
  int64_t us;
} interval_units[] = {
    {"microsecond", 1},     {"microseconds", 1},     {"us", 1},
    {"millisecond", 1000},  {"milliseconds", 1000},  {"ms", 1000},
    {"second", 1000000},    {"seconds", 1000000},    {"sec", 1000000},
    {"secs", 1000000},      {"s", 1000000},          {"minute", 60000000},
    {"minutes", 60000000},  {"min", 60000000},       {"mins", 60000000},
    {"m", 60000000},        {"hour", 3600000000},    {"hours", 3600000000},
    {"hr", 3600000000},     {"hrs", 3600000000},     {"h", 3600000000},
    {"day", 86400000000},   {"days", 86400000000},   {"d", 86400000000},
    {"week", 604800000000}, {"weeks", 604800000000}, {"w", 604800000000},
};

#define INTERVAL_UNITS "microseconds, milliseconds, seconds, minutes, hours, days or weeks"

static bool word_eq(const char *s, size_t n, const char *word) {
  if (strlen(word) != n) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
    if (c != word[i]) return false;
  }
  return true;
}

fl_code fl_sql_interval_parse(const char *text, size_t len, int64_t *us, fl_err *err) {
  *us = 0;
  int show = len > 60 ? 60 : (int)len;
  const char *more = len > 60 ? "..." : "";
  __int128 total = 0;
  size_t i = 0;
  unsigned terms = 0;
  for (;;) {
    while (i < len && (text[i] == ' ' || text[i] == '\t')) i++;
    if (i == len) break;
    bool neg = false;
    if (text[i] == '-' || text[i] == '+') neg = text[i++] == '-';
    size_t num_at = i;
    __int128 whole = 0, frac = 0, frac_scale = 1;
    bool digits = false;
    while (i < len && text[i] >= '0' && text[i] <= '9') {
      if (whole < (__int128)1 << 70) whole = whole * 10 + (text[i] - '0');
      digits = true;
      i++;
    }
    if (i < len && text[i] == '.') {
      i++;
      while (i < len && text[i] >= '0' && text[i] <= '9') {
        if (frac_scale < 1000000000) { /* digits past nanoseconds of a week are noise */
          frac = frac * 10 + (text[i] - '0');
          frac_scale *= 10;
        }
        digits = true;
        i++;
      }
    }
    if (!digits)
      return fl_err_set(err, FL_EPARSE,
                        "invalid interval '%.*s%s': expected a number at '%.*s' ('5 seconds')", show, text,
                        more, (int)(len - num_at > 20 ? 20 : len - num_at), text + num_at);
    while (i < len && (text[i] == ' ' || text[i] == '\t')) i++;
    size_t unit_at = i;
    while (i < len && ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z'))) i++;
    size_t unit_len = i - unit_at;
    if (unit_len == 0)
      return fl_err_set(err, FL_EPARSE,
                        "invalid interval '%.*s%s': missing unit after the number (expected " INTERVAL_UNITS
                        ")",
                        show, text, more);
    const char *unit = text + unit_at;
    size_t u = 0, nunits = sizeof interval_units / sizeof interval_units[0];
    while (u < nunits && !word_eq(unit, unit_len, interval_units[u].word)) u++;
    if (u == nunits) {
      bool calendar = word_eq(unit, unit_len, "month") || word_eq(unit, unit_len, "months") ||
                      word_eq(unit, unit_len, "mon") || word_eq(unit, unit_len, "mons") ||
                      word_eq(unit, unit_len, "year") || word_eq(unit, unit_len, "years");
      return fl_err_set(err, FL_EPARSE, "invalid interval '%.*s%s': %s '%.*s' (expected " INTERVAL_UNITS ")",
                        show, text, more,
                        calendar ? "months and years have no fixed length, unit" : "unknown unit",
                        (int)(unit_len > 20 ? 20 : unit_len), unit);
    }
    __int128 term = whole * interval_units[u].us + frac * interval_units[u].us / frac_scale;
    total += neg ? -term : term;
    if (total > INT64_MAX || total < -INT64_MAX)
      return fl_err_set(err, FL_EPARSE, "invalid interval '%.*s%s': out of range", show, text, more);
    terms++;
  }
  if (terms == 0)
    return fl_err_set(err, FL_EPARSE, "invalid interval '%.*s%s': expected a number and a unit ('5 seconds')",
                      show, text, more);
  *us = (int64_t)total;
  return FL_OK;
}
