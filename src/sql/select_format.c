/* select_format.c: a query AST back to SQL (sql.h: fl_sql_select_format,
 * fl_sql_statement_format), and the expression suffixes and subqueries that
 * expr_format.c hands over (fl_sql_window_format).
 *
 * The text parses back to the same tree (the select fuzzer checks it), so the choices
 * that reading makes are written out explicitly: every alias with AS, comma joins as
 * CROSS JOIN, a join on the right of another in parentheses, NULLS FIRST/LAST only where
 * given. Expressions go through fl_sql_expr_format (minimal parentheses).
 *
 * Ownership: writes into the caller's fl_buf; reads the tree only. Recursion follows the
 * tree, whose nesting the parser bounded (FL_SQL_QUERY_DEPTH_MAX). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sql/lexer.h"
#include "sql/sql.h"
#include "sql/sql_int.h"

static void put_quoted(fl_buf *out, const char *s) {
  fl_buf_put_u8(out, '\'');
  for (; *s; s++) {
    if (*s == '\'') fl_buf_put_u8(out, '\'');
    fl_buf_put_u8(out, (uint8_t)*s);
  }
  fl_buf_put_u8(out, '\'');
}

static void name_list(const char *const *names, uint32_t n, fl_buf *out) {
  fl_buf_put_u8(out, '(');
  for (uint32_t i = 0; i < n; i++) {
    if (i) fl_buf_puts(out, ", ");
    fl_sql_ident_format(names[i], out);
  }
  fl_buf_put_u8(out, ')');
}

static void order_list(const fl_sql_order_item *items, uint32_t n, fl_buf *out) {
  for (uint32_t i = 0; i < n; i++) {
    if (i) fl_buf_puts(out, ", ");
    fl_sql_expr_format(items[i].expr, 0, out);
    if (items[i].desc) fl_buf_puts(out, " DESC");
    if (items[i].nulls == FL_SQL_NULLS_FIRST) fl_buf_puts(out, " NULLS FIRST");
    if (items[i].nulls == FL_SQL_NULLS_LAST) fl_buf_puts(out, " NULLS LAST");
  }
}

static void bound(fl_sql_frame_bound b, int64_t n, fl_buf *out) {
  switch (b) {
    case FL_SQL_BOUND_UNBOUNDED_PRECEDING: fl_buf_puts(out, "UNBOUNDED PRECEDING"); return;
    case FL_SQL_BOUND_PRECEDING: fl_buf_printf(out, "%" PRId64 " PRECEDING", n); return;
    case FL_SQL_BOUND_CURRENT_ROW: fl_buf_puts(out, "CURRENT ROW"); return;
    case FL_SQL_BOUND_FOLLOWING: fl_buf_printf(out, "%" PRId64 " FOLLOWING", n); return;
    case FL_SQL_BOUND_UNBOUNDED_FOLLOWING: fl_buf_puts(out, "UNBOUNDED FOLLOWING"); return;
    case FL_SQL_BOUND_NONE: return;
  }
}

void fl_sql_window_format(const fl_sql_window *w, fl_buf *out) {
  fl_buf_puts(out, " OVER (");
  bool sep = false;
  if (w->npartition) {
    fl_buf_puts(out, "PARTITION BY ");
    for (uint32_t i = 0; i < w->npartition; i++) {
      if (i) fl_buf_puts(out, ", ");
      fl_sql_expr_format(w->partition[i], 0, out);
    }
    sep = true;
  }
  if (w->norder) {
    if (sep) fl_buf_put_u8(out, ' ');
    fl_buf_puts(out, "ORDER BY ");
    order_list(w->order, w->norder, out);
    sep = true;
  }
  if (w->has_frame) {
    if (sep) fl_buf_put_u8(out, ' ');
    fl_buf_puts(out, w->frame_rows ? "ROWS " : "RANGE ");
    if (w->end != FL_SQL_BOUND_NONE) {
      fl_buf_puts(out, "BETWEEN ");
      bound(w->start, w->start_n, out);
      fl_buf_puts(out, " AND ");
      bound(w->end, w->end_n, out);
    } else {
      bound(w->start, w->start_n, out);
    }
  }
  fl_buf_put_u8(out, ')');
}

/* A table alias; keywords quoted, so "AS of" never reads as AS OF SNAPSHOT. */
static void alias(const char *name, const char *const *cols, uint32_t ncols, fl_buf *out) {
  if (!name) return;
  fl_buf_puts(out, " AS ");
  if (fl_kw_lookup(name, strlen(name)) != FL_KW_NONE) {
    fl_buf_put_u8(out, '"');
    for (const char *c = name; *c; c++) {
      if (*c == '"') fl_buf_put_u8(out, '"');
      fl_buf_put_u8(out, (uint8_t)*c);
    }
    fl_buf_put_u8(out, '"');
  } else {
    fl_sql_ident_format(name, out);
  }
  if (ncols) name_list(cols, ncols, out);
}

static void from(const fl_sql_from *f, fl_buf *out) {
  switch (f->kind) {
    case FL_SQL_FROM_TABLE:
      if (f->ns) {
        fl_sql_ident_format(f->ns, out);
        fl_buf_put_u8(out, '.');
      }
      fl_sql_ident_format(f->name, out);
      if (f->as_of == FL_SQL_AS_OF_TIME) {
        fl_buf_puts(out, " FOR SYSTEM_TIME AS OF ");
        put_quoted(out, f->as_of_text);
      } else if (f->as_of == FL_SQL_AS_OF_SNAPSHOT) {
        fl_buf_printf(out, " AS OF SNAPSHOT %" PRId64, f->snapshot_id);
      }
      alias(f->alias, f->col_aliases, f->ncol_aliases, out);
      return;
    case FL_SQL_FROM_SUBQUERY:
      fl_buf_put_u8(out, '(');
      fl_sql_select_format(f->query, out);
      fl_buf_put_u8(out, ')');
      alias(f->alias, f->col_aliases, f->ncol_aliases, out);
      return;
    case FL_SQL_FROM_JOIN:
      from(f->left, out);
      fl_buf_puts(out, f->join == FL_SQL_JOIN_CROSS  ? " CROSS JOIN "
                       : f->join == FL_SQL_JOIN_LEFT ? " LEFT JOIN "
                                                     : " JOIN ");
      if (f->right->kind == FL_SQL_FROM_JOIN) fl_buf_put_u8(out, '(');
      from(f->right, out);
      if (f->right->kind == FL_SQL_FROM_JOIN) fl_buf_put_u8(out, ')');
      if (f->on) {
        fl_buf_puts(out, " ON ");
        fl_sql_expr_format(f->on, 0, out);
      } else if (f->nusing) {
        fl_buf_puts(out, " USING ");
        name_list(f->using_, f->nusing, out);
      }
      return;
  }
}

static void core(const fl_sql_select_core *c, fl_buf *out) {
  fl_buf_puts(out, c->distinct ? "SELECT DISTINCT " : "SELECT ");
  for (uint32_t i = 0; i < c->nitems; i++) {
    const fl_sql_select_item *it = &c->items[i];
    if (i) fl_buf_puts(out, ", ");
    if (it->star) {
      if (it->qualifier) {
        fl_sql_ident_format(it->qualifier, out);
        fl_buf_put_u8(out, '.');
      }
      fl_buf_put_u8(out, '*');
      continue;
    }
    fl_sql_expr_format(it->expr, 0, out);
    if (it->alias) {
      fl_buf_puts(out, " AS ");
      fl_sql_ident_format(it->alias, out);
    }
  }
  if (c->from) {
    fl_buf_puts(out, " FROM ");
    from(c->from, out);
  }
  if (c->where) {
    fl_buf_puts(out, " WHERE ");
    fl_sql_expr_format(c->where, 0, out);
  }
  if (c->group_all) fl_buf_puts(out, " GROUP BY ALL");
  for (uint32_t i = 0; i < c->ngroup; i++) {
    fl_buf_puts(out, i ? ", " : " GROUP BY ");
    fl_sql_expr_format(c->group[i], 0, out);
  }
  if (c->having) {
    fl_buf_puts(out, " HAVING ");
    fl_sql_expr_format(c->having, 0, out);
  }
  if (c->qualify) {
    fl_buf_puts(out, " QUALIFY ");
    fl_sql_expr_format(c->qualify, 0, out);
  }
}

static void body(const fl_sql_body *b, fl_buf *out) {
  switch (b->kind) {
    case FL_SQL_BODY_CORE: core(b->core, out); return;
    case FL_SQL_BODY_QUERY:
      fl_buf_put_u8(out, '(');
      fl_sql_select_format(b->query, out);
      fl_buf_put_u8(out, ')');
      return;
    case FL_SQL_BODY_UNION:
      body(b->left, out);
      fl_buf_puts(out, b->all ? " UNION ALL " : " UNION ");
      body(b->right, out);
      return;
  }
}

void fl_sql_select_format(const fl_sql_select *q, fl_buf *out) {
  for (uint32_t i = 0; i < q->nctes; i++) {
    fl_buf_puts(out, i ? ", " : "WITH ");
    fl_sql_ident_format(q->ctes[i].name, out);
    if (q->ctes[i].ncol_aliases) name_list(q->ctes[i].col_aliases, q->ctes[i].ncol_aliases, out);
    fl_buf_puts(out, " AS (");
    fl_sql_select_format(q->ctes[i].query, out);
    fl_buf_put_u8(out, ')');
  }
  if (q->nctes) fl_buf_put_u8(out, ' ');
  body(q->body, out);
  if (q->norder) {
    fl_buf_puts(out, " ORDER BY ");
    order_list(q->order, q->norder, out);
  }
  if (q->has_limit) {
    if (q->limit == UINT64_MAX)
      fl_buf_puts(out, " LIMIT ALL");
    else
      fl_buf_printf(out, " LIMIT %" PRIu64, q->limit);
  }
  if (q->offset) fl_buf_printf(out, " OFFSET %" PRIu64, q->offset);
}

void fl_sql_statement_format(const fl_sql_statement *st, fl_buf *out) {
  if (st->explain) fl_buf_puts(out, st->analyze ? "EXPLAIN ANALYZE " : "EXPLAIN ");
  fl_sql_select_format(st->query, out);
}
