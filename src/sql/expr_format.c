/* expr_format.c: an expression tree back to SQL text (sql.h: fl_sql_expr_format).
 *
 * Used in messages ("CHECK (event_type IN ('order_created', ...)) failed"), in tests
 * (FL_SQL_FMT_PARENS shows how a text was grouped), and by the fuzzer, which checks that
 * the text parses back to the same tree. So the default output puts parentheses exactly
 * where the parser's binding powers (parse_expr.c) need them: a child is wrapped when it
 * binds looser than its place allows (or equally loose on the right of a left-associative
 * operator, or on either side of a non-associative one).
 *
 * Ownership: writes into the caller's fl_buf; reads the tree only. */
#include <stdio.h>
#include <string.h>

#include "sql/lexer.h"
#include "sql/sql.h"
#include "sql/sql_int.h"

/* Binding powers, the same numbers as parse_expr.c. */
enum {
  P_OR = 1,
  P_AND = 2,
  P_NOT = 3,
  P_IS = 4,
  P_CMP = 5,
  P_PRED = 6,
  P_OTHER = 7,
  P_ADD = 8,
  P_MUL = 9,
  P_UNARY = 10,
  P_ATOM = 100
};

static int op_prec(fl_sql_op op) {
  switch (op) {
    case FL_SQL_OP_OR: return P_OR;
    case FL_SQL_OP_AND: return P_AND;
    case FL_SQL_OP_NOT: return P_NOT;
    case FL_SQL_OP_EQ:
    case FL_SQL_OP_NE:
    case FL_SQL_OP_LT:
    case FL_SQL_OP_LE:
    case FL_SQL_OP_GT:
    case FL_SQL_OP_GE: return P_CMP;
    case FL_SQL_OP_CONCAT:
    case FL_SQL_OP_ARROW:
    case FL_SQL_OP_ARROW2: return P_OTHER;
    case FL_SQL_OP_ADD:
    case FL_SQL_OP_SUB: return P_ADD;
    case FL_SQL_OP_MUL:
    case FL_SQL_OP_DIV:
    case FL_SQL_OP_MOD:
    case FL_SQL_OP_IDIV: return P_MUL;
    case FL_SQL_OP_NEG:
    case FL_SQL_OP_PLUS: return P_UNARY;
    case FL_SQL_OP_NONE: break;
  }
  FL_ASSERT(false, "operator %d", op);
  return P_ATOM;
}

static int prec(const fl_sql_expr *e) {
  switch (e->kind) {
    case FL_SQL_E_UNARY:
    case FL_SQL_E_BINARY: return op_prec(e->op);
    case FL_SQL_E_IS_NULL: return P_IS;
    case FL_SQL_E_IN:
    case FL_SQL_E_BETWEEN:
    case FL_SQL_E_LIKE: return P_PRED;
    default: return P_ATOM;
  }
}

static const char *op_text(fl_sql_op op) {
  switch (op) {
    case FL_SQL_OP_NEG: return "-";
    case FL_SQL_OP_PLUS: return "+";
    case FL_SQL_OP_NOT: return "NOT ";
    case FL_SQL_OP_ADD: return " + ";
    case FL_SQL_OP_SUB: return " - ";
    case FL_SQL_OP_MUL: return " * ";
    case FL_SQL_OP_DIV: return " / ";
    case FL_SQL_OP_MOD: return " % ";
    case FL_SQL_OP_CONCAT: return " || ";
    case FL_SQL_OP_IDIV: return " // ";
    case FL_SQL_OP_ARROW: return " -> ";
    case FL_SQL_OP_ARROW2: return " ->> ";
    case FL_SQL_OP_EQ: return " = ";
    case FL_SQL_OP_NE: return " <> ";
    case FL_SQL_OP_LT: return " < ";
    case FL_SQL_OP_LE: return " <= ";
    case FL_SQL_OP_GT: return " > ";
    case FL_SQL_OP_GE: return " >= ";
    case FL_SQL_OP_AND: return " AND ";
    case FL_SQL_OP_OR: return " OR ";
    case FL_SQL_OP_NONE: break;
  }
  return "?";
}

static void put_quoted(fl_buf *out, const char *s) {
  fl_buf_put_u8(out, '\'');
  for (; *s; s++) {
    if (*s == '\'') fl_buf_put_u8(out, '\'');
    fl_buf_put_u8(out, (uint8_t)*s);
  }
  fl_buf_put_u8(out, '\'');
}

static void format(const fl_sql_expr *e, unsigned flags, fl_buf *out);

/* A child, wrapped when its binding power is below min (or at most min when strict). */
static void child(const fl_sql_expr *c, int min, bool strict, unsigned flags, fl_buf *out) {
  int p = prec(c);
  bool wrap = !(flags & FL_SQL_FMT_PARENS) && (strict ? p <= min : p < min);
  if (wrap) fl_buf_put_u8(out, '(');
  format(c, flags, out);
  if (wrap) fl_buf_put_u8(out, ')');
}

static void literal(const fl_sql_expr *e, fl_buf *out) {
  switch (e->lit) {
    case FL_SQL_LIT_NULL: fl_buf_puts(out, "NULL"); return;
    case FL_SQL_LIT_BOOL: fl_buf_puts(out, e->value.u.b ? "TRUE" : "FALSE"); return;
    case FL_SQL_LIT_INT:
    case FL_SQL_LIT_DECIMAL:
    case FL_SQL_LIT_DOUBLE: fl_buf_puts(out, e->text); return;
    case FL_SQL_LIT_STRING: put_quoted(out, e->text); return;
    case FL_SQL_LIT_INTERVAL:
      fl_buf_puts(out, "INTERVAL ");
      put_quoted(out, e->text);
      return;
    case FL_SQL_LIT_TIMESTAMP:
      fl_buf_puts(out, "TIMESTAMP ");
      put_quoted(out, e->text);
      return;
    case FL_SQL_LIT_DATE:
      fl_buf_puts(out, "DATE ");
      put_quoted(out, e->text);
      return;
  }
  FL_ASSERT(false, "literal kind %d", e->lit);
}

static void unary(const fl_sql_expr *e, unsigned flags, fl_buf *out) {
  const fl_sql_expr *arg = e->args[0];
  fl_buf_puts(out, op_text(e->op));
  if (e->op == FL_SQL_OP_NOT) {
    child(arg, P_NOT, false, flags, out);
    return;
  }
  /* "-(5)" stays an operator on a literal (the parser folds "-5"); "- -a" keeps a blank
   * so the two signs do not read as a comment */
  bool number =
      arg->kind == FL_SQL_E_LITERAL &&
      (arg->lit == FL_SQL_LIT_INT || arg->lit == FL_SQL_LIT_DECIMAL || arg->lit == FL_SQL_LIT_DOUBLE);
  if (number && e->op == FL_SQL_OP_NEG && !(flags & FL_SQL_FMT_PARENS) && arg->text[0] != '-') {
    fl_buf_put_u8(out, '(');
    format(arg, flags, out);
    fl_buf_put_u8(out, ')');
    return;
  }
  size_t at = out->len;
  child(arg, P_UNARY, false, flags, out);
  if (out->len > at && (out->data[at] == '-' || out->data[at] == '+')) {
    fl_buf_put_u8(out, 0);
    memmove(out->data + at + 1, out->data + at, out->len - at - 1);
    out->data[at] = ' ';
  }
}

static void format(const fl_sql_expr *e, unsigned flags, fl_buf *out) {
  bool parens = (flags & FL_SQL_FMT_PARENS) && prec(e) != P_ATOM;
  if (parens) fl_buf_put_u8(out, '(');
  switch (e->kind) {
    case FL_SQL_E_LITERAL: literal(e, out); break;
    case FL_SQL_E_COLUMN:
      if (e->qualifier) {
        fl_sql_ident_format(e->qualifier, out);
        fl_buf_put_u8(out, '.');
      }
      fl_sql_ident_format(e->name, out);
      break;
    case FL_SQL_E_UNARY: unary(e, flags, out); break;
    case FL_SQL_E_BINARY: {
      int p = op_prec(e->op);
      bool nonassoc = p == P_CMP;
      child(e->args[0], p, nonassoc, flags, out);
      fl_buf_puts(out, op_text(e->op));
      child(e->args[1], p, true, flags, out);
      break;
    }
    case FL_SQL_E_IS_NULL:
      child(e->args[0], P_IS, true, flags, out);
      fl_buf_puts(out, e->negated ? " IS NOT NULL" : " IS NULL");
      break;
    case FL_SQL_E_IN:
      child(e->args[0], P_PRED, true, flags, out);
      fl_buf_puts(out, e->negated ? " NOT IN (" : " IN (");
      if (e->query) fl_sql_select_format(e->query, out);
      for (uint32_t i = 1; i < e->nargs; i++) {
        if (i > 1) fl_buf_puts(out, ", ");
        if (i > 1 && (flags & FL_SQL_FMT_SHORT) && e->nargs > 4) {
          fl_buf_puts(out, "...");
          break;
        }
        format(e->args[i], flags, out);
      }
      fl_buf_put_u8(out, ')');
      break;
    case FL_SQL_E_BETWEEN:
      child(e->args[0], P_PRED, true, flags, out);
      fl_buf_puts(out, e->negated ? " NOT BETWEEN " : " BETWEEN ");
      child(e->args[1], P_PRED, true, flags, out);
      fl_buf_puts(out, " AND ");
      child(e->args[2], P_PRED, true, flags, out);
      break;
    case FL_SQL_E_LIKE:
      child(e->args[0], P_PRED, true, flags, out);
      fl_buf_puts(out, e->negated ? " NOT " : " ");
      fl_buf_puts(out, e->ilike ? "ILIKE " : "LIKE ");
      child(e->args[1], P_PRED, true, flags, out);
      if (e->nargs == 3) {
        fl_buf_puts(out, " ESCAPE ");
        child(e->args[2], P_PRED, true, flags, out);
      }
      break;
    case FL_SQL_E_FUNC:
      fl_sql_ident_format(e->name, out);
      fl_buf_put_u8(out, '(');
      if (e->star) fl_buf_put_u8(out, '*');
      if (e->distinct) fl_buf_puts(out, "DISTINCT ");
      for (uint32_t i = 0; i < e->nargs; i++) {
        if (i) fl_buf_puts(out, ", ");
        format(e->args[i], flags, out);
      }
      fl_buf_put_u8(out, ')');
      if (e->filter) {
        fl_buf_puts(out, " FILTER (WHERE ");
        format(e->filter, flags, out);
        fl_buf_put_u8(out, ')');
      }
      if (e->over) fl_sql_window_format(e->over, out);
      break;
    case FL_SQL_E_SUBQUERY:
    case FL_SQL_E_EXISTS:
      fl_buf_puts(out, e->kind == FL_SQL_E_EXISTS ? "EXISTS (" : "(");
      fl_sql_select_format(e->query, out);
      fl_buf_put_u8(out, ')');
      break;
    case FL_SQL_E_CAST: {
      char type[32];
      fl_sql_type_format(e->cast_type, type, sizeof type);
      fl_buf_puts(out, "CAST(");
      format(e->args[0], flags, out);
      fl_buf_printf(out, " AS %s)", type);
      break;
    }
    case FL_SQL_E_CASE: {
      uint32_t i = 0;
      fl_buf_puts(out, "CASE");
      if (e->case_operand) {
        fl_buf_put_u8(out, ' ');
        format(e->args[i++], flags, out);
      }
      for (; i + 1 < e->nargs; i += 2) {
        fl_buf_puts(out, " WHEN ");
        format(e->args[i], flags, out);
        fl_buf_puts(out, " THEN ");
        format(e->args[i + 1], flags, out);
      }
      if (i < e->nargs) {
        fl_buf_puts(out, " ELSE ");
        format(e->args[i], flags, out);
      }
      fl_buf_puts(out, " END");
      break;
    }
  }
  if (parens) fl_buf_put_u8(out, ')');
}

void fl_sql_expr_format(const fl_sql_expr *expr, unsigned flags, fl_buf *out) { format(expr, flags, out); }
