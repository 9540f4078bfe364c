/* parse_select.c: SELECT statements into the query AST (sql.h: fl_sql_select,
 * fl_sql_parse_statement; sql_int.h: fl_sql_parse_query_at for subqueries in
 * expressions, fl_sql_parse_filter_at / fl_sql_parse_over_at for call suffixes).
 *
 * Recursive descent over the token cursor, one function per rule of the grammar in
 * sql.h; expressions go to parse_expr.c's Pratt parser, which calls back here for
 * (SELECT ...), EXISTS (...), IN (SELECT ...), FILTER (WHERE ...) and OVER (...).
 *
 *   statement ─► query ─► WITH ctes ─► body (UNION chain of terms) ─► ORDER BY / LIMIT
 *                              term ─► core: SELECT items FROM joins WHERE GROUP BY ...
 *                                      │                  └─► primary: table | (query)
 *                                      └─► expressions ─► (query) ─► query ...
 *
 * Recursion: every query level passes through fl_sql_parse_query_at, which counts
 * cur->nest and refuses more than FL_SQL_QUERY_DEPTH_MAX levels (FL_ELIMIT); parenthesised
 * joins count too. Each level's expressions are bounded by parse_expr.c.
 *
 * Implicit aliases ("FROM orders o", "SELECT amount a") must be plain identifiers that
 * are not keywords (or quoted), so "FROM t LEFT JOIN u" never reads LEFT as an alias;
 * after AS any name goes.
 *
 * Ownership: every node, array and string is in the cursor's arena. */
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "core/time.h"
#include "sql/lexer.h"
#include "sql/sql.h"
#include "sql/sql_int.h"

/* A growing array in the arena (items of any size). */
typedef struct vec {
  void *items;
  uint32_t n, cap;
} vec;

static void *vec_push(fl_sql_cursor *cur, vec *v, size_t size) {
  if (v->n == v->cap) {
    uint32_t cap = v->cap ? 2 * v->cap : 4;
    void *grown = fl_arena_alloc(cur->arena, cap * size);
    if (v->n) memcpy(grown, v->items, v->n * size);
    v->items = grown;
    v->cap = cap;
  }
  void *slot = (char *)v->items + (size_t)v->n++ * size;
  memset(slot, 0, size);
  return slot;
}

static fl_code parse_query(fl_sql_cursor *cur, fl_sql_select **out);
static fl_code parse_from(fl_sql_cursor *cur, fl_sql_from **out);

static fl_code enter(fl_sql_cursor *cur, const fl_token *at) {
  if (cur->nest >= FL_SQL_QUERY_DEPTH_MAX) {
    fl_sql_cursor_error_at(cur, at, "queries nested too deeply (at most %d levels of subqueries)",
                           FL_SQL_QUERY_DEPTH_MAX);
    cur->err->code = FL_ELIMIT;
    return FL_ELIMIT;
  }
  cur->nest++;
  return FL_OK;
}

bool fl_sql_at_query(const fl_sql_cursor *cur) {
  return fl_sql_cursor_at_kw(cur, FL_KW_SELECT) || fl_sql_cursor_at_kw(cur, FL_KW_WITH);
}

/* A name that may serve as an implicit alias (no AS): not a keyword, or quoted. */
static bool at_implicit_alias(const fl_sql_cursor *cur) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  return tok->kind == FL_TOK_QIDENT || (tok->kind == FL_TOK_IDENT && tok->kw == FL_KW_NONE);
}

/* '(' name (',' name)* ')' */
static fl_code parse_name_list(fl_sql_cursor *cur, const char *what, const char ***names, uint32_t *n) {
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN)) return fl_sql_cursor_expected(cur, "'(' and %s", what);
  vec v = {0};
  for (;;) {
    if (v.n >= FL_COLUMNS_MAX)
      return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur), "more than %u names in a list",
                                    (unsigned)FL_COLUMNS_MAX);
    const char **slot = vec_push(cur, &v, sizeof(const char *));
    fl_code code = fl_sql_parse_name_at(cur, what, slot);
    if (code) return code;
    if (fl_sql_cursor_accept(cur, FL_TOK_COMMA)) continue;
    if (fl_sql_cursor_accept(cur, FL_TOK_RPAREN)) break;
    return fl_sql_cursor_expected(cur, "',' or ')' in the list of %s", what);
  }
  *names = v.items;
  *n = v.n;
  return FL_OK;
}

/* A non-negative integer literal (LIMIT, OFFSET, SNAPSHOT, frame offsets). */
static fl_code parse_count(fl_sql_cursor *cur, const char *what, int64_t *v) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  if (tok->kind != FL_TOK_NUMBER || !fl_sql_token_int(cur, tok, v))
    return fl_sql_cursor_expected(cur, "a non-negative integer for %s", what);
  fl_sql_cursor_next(cur);
  return FL_OK;
}

/* ---- ORDER BY, windows, FILTER ---- */

static fl_code parse_order_list(fl_sql_cursor *cur, fl_sql_order_item **items, uint32_t *n) {
  vec v = {0};
  for (;;) {
    fl_sql_order_item *it = vec_push(cur, &v, sizeof *it);
    fl_code code = fl_sql_parse_expr_at(cur, &it->expr);
    if (code) return code;
    if (fl_sql_cursor_accept_kw(cur, FL_KW_DESC))
      it->desc = true;
    else
      fl_sql_cursor_accept_kw(cur, FL_KW_ASC);
    if (fl_sql_cursor_accept_kw(cur, FL_KW_NULLS)) {
      if (fl_sql_cursor_accept_kw(cur, FL_KW_FIRST))
        it->nulls = FL_SQL_NULLS_FIRST;
      else if (fl_sql_cursor_accept_kw(cur, FL_KW_LAST))
        it->nulls = FL_SQL_NULLS_LAST;
      else
        return fl_sql_cursor_expected(cur, "FIRST or LAST after NULLS");
    }
    if (!fl_sql_cursor_accept(cur, FL_TOK_COMMA)) break;
  }
  *items = v.items;
  *n = v.n;
  return FL_OK;
}

static fl_code parse_expr_list(fl_sql_cursor *cur, fl_sql_expr ***items, uint32_t *n) {
  vec v = {0};
  for (;;) {
    fl_sql_expr **slot = vec_push(cur, &v, sizeof *slot);
    fl_code code = fl_sql_parse_expr_at(cur, slot);
    if (code) return code;
    if (!fl_sql_cursor_accept(cur, FL_TOK_COMMA)) break;
  }
  *items = v.items;
  *n = v.n;
  return FL_OK;
}

static fl_code parse_frame_bound(fl_sql_cursor *cur, fl_sql_frame_bound *b, int64_t *n) {
  if (fl_sql_cursor_accept_kw(cur, FL_KW_UNBOUNDED)) {
    if (fl_sql_cursor_accept_kw(cur, FL_KW_PRECEDING)) {
      *b = FL_SQL_BOUND_UNBOUNDED_PRECEDING;
      return FL_OK;
    }
    if (fl_sql_cursor_accept_kw(cur, FL_KW_FOLLOWING)) {
      *b = FL_SQL_BOUND_UNBOUNDED_FOLLOWING;
      return FL_OK;
    }
    return fl_sql_cursor_expected(cur, "PRECEDING or FOLLOWING after UNBOUNDED");
  }
  if (fl_sql_cursor_accept_kw(cur, FL_KW_CURRENT)) {
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_ROW)) return fl_sql_cursor_expected(cur, "ROW after CURRENT");
    *b = FL_SQL_BOUND_CURRENT_ROW;
    return FL_OK;
  }
  fl_code code = parse_count(cur, "a frame bound (or UNBOUNDED, CURRENT ROW)", n);
  if (code) return code;
  if (fl_sql_cursor_accept_kw(cur, FL_KW_PRECEDING)) {
    *b = FL_SQL_BOUND_PRECEDING;
    return FL_OK;
  }
  if (fl_sql_cursor_accept_kw(cur, FL_KW_FOLLOWING)) {
    *b = FL_SQL_BOUND_FOLLOWING;
    return FL_OK;
  }
  return fl_sql_cursor_expected(cur, "PRECEDING or FOLLOWING after %lld", (long long)*n);
}

fl_code fl_sql_parse_over_at(fl_sql_cursor *cur, fl_sql_expr *call) {
  const fl_token *at = &cur->toks[cur->pos ? cur->pos - 1 : 0]; /* OVER */
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN)) {
    if (fl_sql_token_is_name(fl_sql_cursor_peek(cur)))
      return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur),
                                    "named windows (OVER name) are not supported; write OVER (...)");
    return fl_sql_cursor_expected(cur, "'(' after OVER");
  }
  fl_sql_window *w = fl_arena_calloc(cur->arena, 1, sizeof *w);
  w->line = at->line;
  w->col = at->col;
  fl_code code = FL_OK;
  if (fl_sql_cursor_accept_kw(cur, FL_KW_PARTITION)) {
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_BY)) return fl_sql_cursor_expected(cur, "BY after PARTITION");
    code = parse_expr_list(cur, &w->partition, &w->npartition);
    if (code) return code;
  }
  if (fl_sql_cursor_accept_kw(cur, FL_KW_ORDER)) {
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_BY)) return fl_sql_cursor_expected(cur, "BY after ORDER");
    code = parse_order_list(cur, &w->order, &w->norder);
    if (code) return code;
  }
  if (fl_sql_cursor_at_kw(cur, FL_KW_ROWS) || fl_sql_cursor_at_kw(cur, FL_KW_RANGE)) {
    w->has_frame = true;
    w->frame_rows = fl_sql_cursor_next(cur)->kw == FL_KW_ROWS;
    if (fl_sql_cursor_accept_kw(cur, FL_KW_BETWEEN)) {
      code = parse_frame_bound(cur, &w->start, &w->start_n);
      if (code) return code;
      if (!fl_sql_cursor_accept_kw(cur, FL_KW_AND))
        return fl_sql_cursor_expected(cur, "AND in BETWEEN ... AND ...");
      code = parse_frame_bound(cur, &w->end, &w->end_n);
    } else {
      code = parse_frame_bound(cur, &w->start, &w->start_n);
    }
    if (code) return code;
  }
  if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN))
    return fl_sql_cursor_expected(
        cur, "')' to close OVER (...)%s",
        w->norder || w->has_frame ? "" : " (PARTITION BY, ORDER BY, ROWS or RANGE)");
  call->over = w;
  return FL_OK;
}

fl_code fl_sql_parse_filter_at(fl_sql_cursor *cur, fl_sql_expr *call) {
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN)) return fl_sql_cursor_expected(cur, "'(' after FILTER");
  if (!fl_sql_cursor_accept_kw(cur, FL_KW_WHERE))
    return fl_sql_cursor_expected(cur, "WHERE in FILTER (WHERE ...)");
  fl_code code = fl_sql_parse_expr_at(cur, &call->filter);
  if (code) return code;
  if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN))
    return fl_sql_cursor_expected(cur, "')' to close FILTER (...)");
  return FL_OK;
}

/* ---- FROM ---- */

/* "SELECT amount FORM orders", "FROM orders WHER x = 1": the misspelt keyword reads as
 * an implicit alias, then the next word makes no sense; say what was probably meant, at
 * the misspelt word, rather than "expected end of the query" at the word after it. */
static fl_code misspelt_clause(fl_sql_cursor *cur, const fl_token *alias, const char *name) {
  static const char *const clauses[] = {"from",  "where",  "group",   "order",
                                        "limit", "having", "qualify", "join"};
  const fl_token *after = fl_sql_cursor_peek(cur);
  if (alias->kind != FL_TOK_IDENT || !(after->kind == FL_TOK_IDENT || after->kind == FL_TOK_QIDENT ||
                                       after->kind == FL_TOK_NUMBER || after->kind == FL_TOK_STRING))
    return FL_OK;
  const char *meant = fl_sql_closest(name, clauses, sizeof clauses / sizeof clauses[0]);
  if (!meant) return FL_OK;
  char upper[16];
  size_t i = 0;
  for (; meant[i] && i + 1 < sizeof upper; i++) upper[i] = (char)(meant[i] - 32);
  upper[i] = 0;
  return fl_sql_cursor_error_at(cur, alias, "unexpected '%.*s' (did you mean %s?)", (int)alias->len,
                                cur->src + alias->off, upper);
}

/* [[AS] alias ['(' col, ... ')']] after a table or subquery (a subquery may go without
 * one, as DuckDB allows). */
static fl_code parse_alias(fl_sql_cursor *cur, fl_sql_from *f) {
  fl_code code = FL_OK;
  if (fl_sql_cursor_accept_kw(cur, FL_KW_AS))
    code = fl_sql_parse_name_at(cur, "an alias after AS", &f->alias);
  else if (at_implicit_alias(cur)) {
    const fl_token *tok = fl_sql_cursor_peek(cur);
    code = fl_sql_parse_name_at(cur, "an alias", &f->alias);
    if (!code) code = misspelt_clause(cur, tok, f->alias);
  }
  if (code) return code;
  if (f->alias && fl_sql_cursor_at(cur, FL_TOK_LPAREN))
    return parse_name_list(cur, "column aliases", &f->col_aliases, &f->ncol_aliases);
  return FL_OK;
}

/* FOR SYSTEM_TIME AS OF 'ts' | AS OF SNAPSHOT n, after a table name. */
static bool at_as_of(const fl_sql_cursor *cur) {
  return fl_sql_cursor_at_kw(cur, FL_KW_AS) && fl_sql_cursor_peek_at(cur, 1)->kw == FL_KW_OF &&
         fl_sql_cursor_peek_at(cur, 1)->kind == FL_TOK_IDENT;
}

static fl_code parse_time_travel(fl_sql_cursor *cur, fl_sql_from *f) {
  if (fl_sql_cursor_at_kw(cur, FL_KW_FOR)) {
    fl_sql_cursor_next(cur);
    if (!fl_sql_token_word_is(cur, fl_sql_cursor_peek(cur), "system_time"))
      return fl_sql_cursor_expected(cur, "SYSTEM_TIME after FOR (FOR SYSTEM_TIME AS OF '...')");
    fl_sql_cursor_next(cur);
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_AS) || !fl_sql_cursor_accept_kw(cur, FL_KW_OF))
      return fl_sql_cursor_expected(cur, "AS OF in FOR SYSTEM_TIME AS OF '...'");
    const fl_token *str = fl_sql_cursor_peek(cur);
    /* TIMESTAMP '...' or a plain string */
    if (fl_sql_token_word_is(cur, str, "timestamp") && fl_sql_cursor_peek_at(cur, 1)->kind == FL_TOK_STRING) {
      fl_sql_cursor_next(cur);
      str = fl_sql_cursor_peek(cur);
    }
    if (str->kind != FL_TOK_STRING)
      return fl_sql_cursor_expected(cur, "a timestamp string after AS OF ('2024-05-01 12:00:00')");
    f->as_of_text = fl_sql_token_string(cur, str);
    if (!fl_ts_parse(f->as_of_text, strlen(f->as_of_text), &f->as_of_us))
      return fl_sql_cursor_error_at(
          cur, str, "invalid timestamp '%.40s' (expected 'YYYY-MM-DD HH:MM:SS[.ffffff][Z|+hh:mm]')",
          f->as_of_text);
    fl_sql_cursor_next(cur);
    f->as_of = FL_SQL_AS_OF_TIME;
    return FL_OK;
  }
  fl_sql_cursor_next(cur); /* AS */
  fl_sql_cursor_next(cur); /* OF */
  if (!fl_sql_cursor_accept_kw(cur, FL_KW_SNAPSHOT))
    return fl_sql_cursor_expected(cur, "SNAPSHOT in AS OF SNAPSHOT n");
  fl_code code = parse_count(cur, "AS OF SNAPSHOT", &f->snapshot_id);
  if (code) return code;
  f->as_of = FL_SQL_AS_OF_SNAPSHOT;
  return FL_OK;
}

static fl_code parse_from_primary(fl_sql_cursor *cur, fl_sql_from **out) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  fl_sql_from *f = fl_arena_calloc(cur->arena, 1, sizeof *f);
  f->line = tok->line;
  f->col = tok->col;
  fl_code code = FL_OK;
  if (tok->kind == FL_TOK_IDENT && tok->kw == FL_KW_LATERAL &&
      fl_sql_cursor_peek_at(cur, 1)->kind == FL_TOK_LPAREN)
    return fl_sql_cursor_error_at(cur, tok, "LATERAL subqueries are not supported");
  if (fl_sql_cursor_accept(cur, FL_TOK_LPAREN)) {
    if (fl_sql_at_query(cur)) {
      f->kind = FL_SQL_FROM_SUBQUERY;
      code = parse_query(cur, &f->query);
      if (code) return code;
      if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN))
        return fl_sql_cursor_expected(cur, "')' to close the subquery at line %u, column %u", tok->line,
                                      tok->col);
      code = parse_alias(cur, f);
      if (code) return code;
      *out = f;
      return FL_OK;
    }
    code = enter(cur, tok);
    if (code) return code;
    code = parse_from(cur, out);
    if (code) return code;
    cur->nest--;
    if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN))
      return fl_sql_cursor_expected(cur, "')' to close '(' at line %u, column %u", tok->line, tok->col);
    return FL_OK;
  }
  f->kind = FL_SQL_FROM_TABLE;
  code = fl_sql_parse_name_at(cur, "a table name or '(' after FROM or JOIN", &f->name);
  if (code) return code;
  if (fl_sql_cursor_accept(cur, FL_TOK_DOT)) {
    f->ns = f->name;
    code = fl_sql_parse_name_at(cur, "a table name after '.'", &f->name);
    if (code) return code;
    if (fl_sql_cursor_at(cur, FL_TOK_DOT))
      return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur),
                                    "a table name has at most two parts (namespace.table)");
  }
  if (fl_sql_cursor_at_kw(cur, FL_KW_FOR) || at_as_of(cur)) {
    code = parse_time_travel(cur, f);
    if (code) return code;
  }
  code = parse_alias(cur, f);
  if (code) return code;
  *out = f;
  return FL_OK;
}

/* primary (join primary [ON expr | USING (...)])* */
static fl_code parse_join_chain(fl_sql_cursor *cur, fl_sql_from **out) {
  fl_sql_from *left = NULL;
  fl_code code = parse_from_primary(cur, &left);
  if (code) return code;
  for (;;) {
    const fl_token *tok = fl_sql_cursor_peek(cur);
    fl_sql_join_type type;
    if (fl_sql_cursor_at_kw(cur, FL_KW_JOIN)) {
      type = FL_SQL_JOIN_INNER;
      fl_sql_cursor_next(cur);
    } else if (fl_sql_cursor_at_kw(cur, FL_KW_INNER)) {
      fl_sql_cursor_next(cur);
      if (!fl_sql_cursor_accept_kw(cur, FL_KW_JOIN)) return fl_sql_cursor_expected(cur, "JOIN after INNER");
      type = FL_SQL_JOIN_INNER;
    } else if (fl_sql_cursor_at_kw(cur, FL_KW_LEFT)) {
      fl_sql_cursor_next(cur);
      fl_sql_cursor_accept_kw(cur, FL_KW_OUTER);
      if (!fl_sql_cursor_accept_kw(cur, FL_KW_JOIN))
        return fl_sql_cursor_expected(cur, "JOIN after LEFT [OUTER]");
      type = FL_SQL_JOIN_LEFT;
    } else if (fl_sql_cursor_at_kw(cur, FL_KW_CROSS)) {
      fl_sql_cursor_next(cur);
      if (!fl_sql_cursor_accept_kw(cur, FL_KW_JOIN)) return fl_sql_cursor_expected(cur, "JOIN after CROSS");
      type = FL_SQL_JOIN_CROSS;
    } else if (fl_sql_cursor_at_kw(cur, FL_KW_RIGHT) || fl_sql_cursor_at_kw(cur, FL_KW_FULL)) {
      return fl_sql_cursor_error_at(cur, tok,
                                    "%s joins are not supported (swap the tables and use LEFT JOIN)",
                                    tok->kw == FL_KW_RIGHT ? "RIGHT" : "FULL");
    } else {
      break;
    }
    fl_sql_from *j = fl_arena_calloc(cur->arena, 1, sizeof *j);
    j->kind = FL_SQL_FROM_JOIN;
    j->join = type;
    j->line = tok->line;
    j->col = tok->col;
    j->left = left;
    code = parse_from_primary(cur, &j->right);
    if (code) return code;
    if (type != FL_SQL_JOIN_CROSS) {
      if (fl_sql_cursor_accept_kw(cur, FL_KW_ON)) {
        code = fl_sql_parse_expr_at(cur, &j->on);
      } else if (fl_sql_cursor_accept_kw(cur, FL_KW_USING)) {
        code = parse_name_list(cur, "column names in USING", &j->using_, &j->nusing);
      } else {
        return fl_sql_cursor_expected(cur, "ON or USING after the joined table");
      }
      if (code) return code;
    }
    left = j;
  }
  *out = left;
  return FL_OK;
}

/* join_chain (',' join_chain)*: commas are CROSS joins. */
static fl_code parse_from(fl_sql_cursor *cur, fl_sql_from **out) {
  fl_sql_from *left = NULL;
  fl_code code = parse_join_chain(cur, &left);
  if (code) return code;
  while (fl_sql_cursor_at(cur, FL_TOK_COMMA)) {
    const fl_token *tok = fl_sql_cursor_next(cur);
    fl_sql_from *j = fl_arena_calloc(cur->arena, 1, sizeof *j);
    j->kind = FL_SQL_FROM_JOIN;
    j->join = FL_SQL_JOIN_CROSS;
    j->line = tok->line;
    j->col = tok->col;
    j->left = left;
    code = parse_join_chain(cur, &j->right);
    if (code) return code;
    left = j;
  }
  *out = left;
  return FL_OK;
}

/* ---- SELECT core ---- */

static fl_code parse_item(fl_sql_cursor *cur, fl_sql_select_item *it) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  it->line = tok->line;
  it->col = tok->col;
  if (fl_sql_cursor_accept(cur, FL_TOK_STAR)) {
    it->star = true;
    return FL_OK;
  }
  if (fl_sql_token_is_name(tok) && fl_sql_cursor_peek_at(cur, 1)->kind == FL_TOK_DOT &&
      fl_sql_cursor_peek_at(cur, 2)->kind == FL_TOK_STAR) {
    it->star = true;
    it->qualifier = fl_sql_token_ident(cur, tok);
    fl_sql_cursor_next(cur);
    fl_sql_cursor_next(cur);
    fl_sql_cursor_next(cur);
    return FL_OK;
  }
  fl_code code = fl_sql_parse_expr_at(cur, &it->expr);
  if (code) return code;
  if (fl_sql_cursor_accept_kw(cur, FL_KW_AS))
    return fl_sql_parse_name_at(cur, "an alias after AS", &it->alias);
  if (!at_implicit_alias(cur)) return FL_OK;
  const fl_token *alias = fl_sql_cursor_peek(cur);
  code = fl_sql_parse_name_at(cur, "an alias", &it->alias);
  if (code) return code;
  return misspelt_clause(cur, alias, it->alias);
}

static fl_code parse_core(fl_sql_cursor *cur, fl_sql_select_core **out) {
  const fl_token *tok = fl_sql_cursor_next(cur); /* SELECT */
  fl_sql_select_core *c = fl_arena_calloc(cur->arena, 1, sizeof *c);
  c->line = tok->line;
  c->col = tok->col;
  if (fl_sql_cursor_accept_kw(cur, FL_KW_DISTINCT)) {
    c->distinct = true;
    if (fl_sql_cursor_at_kw(cur, FL_KW_ON))
      return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur),
                                    "DISTINCT ON is not supported (use ROW_NUMBER() OVER (...) and QUALIFY)");
  } else {
    fl_sql_cursor_accept_kw(cur, FL_KW_ALL);
  }
  vec items = {0};
  fl_code code = FL_OK;
  for (;;) {
    if (items.n >= FL_COLUMNS_MAX)
      return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur), "more than %u items in a SELECT list",
                                    (unsigned)FL_COLUMNS_MAX);
    fl_sql_select_item *it = vec_push(cur, &items, sizeof *it);
    code = parse_item(cur, it);
    if (code) return code;
    if (!fl_sql_cursor_accept(cur, FL_TOK_COMMA)) break;
  }
  c->items = items.items;
  c->nitems = items.n;
  if (fl_sql_cursor_accept_kw(cur, FL_KW_FROM)) {
    code = parse_from(cur, &c->from);
    if (code) return code;
  }
  if (fl_sql_cursor_accept_kw(cur, FL_KW_WHERE)) {
    code = fl_sql_parse_expr_at(cur, &c->where);
    if (code) return code;
  }
  if (fl_sql_cursor_accept_kw(cur, FL_KW_GROUP)) {
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_BY)) return fl_sql_cursor_expected(cur, "BY after GROUP");
    c->has_group = true;
    if (fl_sql_cursor_accept_kw(cur, FL_KW_ALL)) {
      c->group_all = true;
    } else {
      code = parse_expr_list(cur, &c->group, &c->ngroup);
      if (code) return code;
    }
  }
  if (fl_sql_cursor_accept_kw(cur, FL_KW_HAVING)) {
    code = fl_sql_parse_expr_at(cur, &c->having);
    if (code) return code;
  }
  if (fl_sql_cursor_at_kw(cur, FL_KW_WINDOW))
    return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur),
                                  "named windows (WINDOW w AS ...) are not supported; write OVER (...)");
  if (fl_sql_cursor_accept_kw(cur, FL_KW_QUALIFY)) {
    code = fl_sql_parse_expr_at(cur, &c->qualify);
    if (code) return code;
  }
  *out = c;
  return FL_OK;
}

/* ---- query ---- */

static fl_code parse_term(fl_sql_cursor *cur, fl_sql_body **out) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  fl_sql_body *b = fl_arena_calloc(cur->arena, 1, sizeof *b);
  b->line = tok->line;
  b->col = tok->col;
  fl_code code;
  if (fl_sql_cursor_at_kw(cur, FL_KW_SELECT)) {
    b->kind = FL_SQL_BODY_CORE;
    code = parse_core(cur, &b->core);
  } else if (fl_sql_cursor_at(cur, FL_TOK_LPAREN)) {
    fl_sql_cursor_next(cur);
    if (!fl_sql_at_query(cur) && !fl_sql_cursor_at(cur, FL_TOK_LPAREN))
      return fl_sql_cursor_expected(cur, "SELECT after '('");
    b->kind = FL_SQL_BODY_QUERY;
    code = parse_query(cur, &b->query);
    if (code) return code;
    if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN))
      return fl_sql_cursor_expected(cur, "')' to close '(' at line %u, column %u", tok->line, tok->col);
  } else {
    return fl_sql_cursor_expected(cur, "SELECT");
  }
  if (code) return code;
  *out = b;
  return FL_OK;
}

static fl_code parse_body(fl_sql_cursor *cur, fl_sql_body **out) {
  fl_sql_body *left = NULL;
  fl_code code = parse_term(cur, &left);
  if (code) return code;
  for (;;) {
    const fl_token *tok = fl_sql_cursor_peek(cur);
    if (fl_sql_cursor_at_kw(cur, FL_KW_INTERSECT) || fl_sql_cursor_at_kw(cur, FL_KW_EXCEPT))
      return fl_sql_cursor_error_at(cur, tok, "%s is not supported (UNION and UNION ALL are)",
                                    tok->kw == FL_KW_EXCEPT ? "EXCEPT" : "INTERSECT");
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_UNION)) break;
    fl_sql_body *u = fl_arena_calloc(cur->arena, 1, sizeof *u);
    u->kind = FL_SQL_BODY_UNION;
    u->line = tok->line;
    u->col = tok->col;
    u->all = fl_sql_cursor_accept_kw(cur, FL_KW_ALL);
    if (!u->all) fl_sql_cursor_accept_kw(cur, FL_KW_DISTINCT);
    u->left = left;
    code = parse_term(cur, &u->right);
    if (code) return code;
    left = u;
  }
  *out = left;
  return FL_OK;
}

static fl_code parse_ctes(fl_sql_cursor *cur, fl_sql_select *q) {
  if (fl_sql_cursor_at_kw(cur, FL_KW_RECURSIVE))
    return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur), "WITH RECURSIVE is not supported");
  vec v = {0};
  for (;;) {
    const fl_token *tok = fl_sql_cursor_peek(cur);
    fl_sql_cte *c = vec_push(cur, &v, sizeof *c);
    c->line = tok->line;
    c->col = tok->col;
    fl_code code = fl_sql_parse_name_at(cur, "a name for the WITH query", &c->name);
    if (code) return code;
    for (uint32_t i = 0; i + 1 < v.n; i++)
      if (strcmp(((fl_sql_cte *)v.items)[i].name, c->name) == 0)
        return fl_sql_cursor_error_at(cur, tok, "WITH query name '%s' given twice", c->name);
    if (fl_sql_cursor_at(cur, FL_TOK_LPAREN)) {
      code = parse_name_list(cur, "column names", &c->col_aliases, &c->ncol_aliases);
      if (code) return code;
    }
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_AS))
      return fl_sql_cursor_expected(cur, "AS after WITH %s", c->name);
    const fl_token *open = fl_sql_cursor_peek(cur);
    if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN)) return fl_sql_cursor_expected(cur, "'(' after AS");
    code = parse_query(cur, &c->query);
    if (code) return code;
    if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN))
      return fl_sql_cursor_expected(cur, "')' to close '(' at line %u, column %u", open->line, open->col);
    if (!fl_sql_cursor_accept(cur, FL_TOK_COMMA)) break;
  }
  q->ctes = v.items;
  q->nctes = v.n;
  return FL_OK;
}

static fl_code parse_query(fl_sql_cursor *cur, fl_sql_select **out) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  fl_code code = enter(cur, tok);
  if (code) return code;
  fl_sql_select *q = fl_arena_calloc(cur->arena, 1, sizeof *q);
  q->line = tok->line;
  q->col = tok->col;
  if (fl_sql_cursor_accept_kw(cur, FL_KW_WITH)) {
    code = parse_ctes(cur, q);
    if (code) return code;
  }
  code = parse_body(cur, &q->body);
  if (code) return code;
  if (fl_sql_cursor_accept_kw(cur, FL_KW_ORDER)) {
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_BY)) return fl_sql_cursor_expected(cur, "BY after ORDER");
    code = parse_order_list(cur, &q->order, &q->norder);
    if (code) return code;
  }
  for (int i = 0; i < 2; i++) { /* LIMIT and OFFSET, in either order */
    if (!q->has_limit && fl_sql_cursor_accept_kw(cur, FL_KW_LIMIT)) {
      q->has_limit = true;
      q->limit = UINT64_MAX;
      if (!fl_sql_cursor_accept_kw(cur, FL_KW_ALL)) {
        int64_t n = 0;
        code = parse_count(cur, "LIMIT", &n);
        if (code) return code;
        q->limit = (uint64_t)n;
      }
    } else if (!q->offset && fl_sql_cursor_accept_kw(cur, FL_KW_OFFSET)) {
      int64_t n = 0;
      code = parse_count(cur, "OFFSET", &n);
      if (code) return code;
      q->offset = (uint64_t)n;
      if (!fl_sql_cursor_accept_kw(cur, FL_KW_ROWS)) fl_sql_cursor_accept_kw(cur, FL_KW_ROW);
    }
  }
  if (q->has_limit && q->limit == UINT64_MAX && !q->offset) q->has_limit = false; /* LIMIT ALL */
  cur->nest--;
  *out = q;
  return FL_OK;
}

fl_code fl_sql_parse_query_at(fl_sql_cursor *cur, fl_sql_select **out) { return parse_query(cur, out); }

fl_code fl_sql_parse_statement(const char *text, size_t len, fl_arena *arena, fl_sql_statement **out,
                               fl_err *err) {
  *out = NULL;
  fl_sql_cursor cur;
  fl_code code = fl_sql_cursor_init(&cur, text, len, arena, err);
  if (code) return code;
  fl_sql_statement *st = fl_arena_calloc(arena, 1, sizeof *st);
  if (fl_sql_cursor_accept_kw(&cur, FL_KW_EXPLAIN)) {
    st->explain = true;
    st->analyze = fl_sql_cursor_accept_kw(&cur, FL_KW_ANALYZE);
  }
  if (fl_sql_cursor_at(&cur, FL_TOK_EOF)) return fl_sql_cursor_expected(&cur, "a query (SELECT ...)");
  if (!fl_sql_at_query(&cur) && !fl_sql_cursor_at(&cur, FL_TOK_LPAREN)) {
    const fl_token *tok = fl_sql_cursor_peek(&cur);
    if (tok->kind == FL_TOK_IDENT && tok->kw == FL_KW_CREATE)
      return fl_sql_cursor_error_at(&cur, tok,
                                    "only queries (SELECT, WITH, EXPLAIN) run here; CREATE STREAM "
                                    "goes to `floe stream create`");
    return fl_sql_cursor_expected(&cur, "SELECT, WITH or EXPLAIN");
  }
  code = parse_query(&cur, &st->query);
  if (code) return code;
  fl_sql_cursor_accept(&cur, FL_TOK_SEMI);
  if (!fl_sql_cursor_at(&cur, FL_TOK_EOF)) {
    if (fl_sql_cursor_at(&cur, FL_TOK_RPAREN))
      return fl_sql_cursor_error_at(&cur, fl_sql_cursor_peek(&cur), "unbalanced ')'");
    return fl_sql_cursor_expected(&cur, "end of the query");
  }
  *out = st;
  return FL_OK;
}
