/* sql_int.h: building blocks shared by src/sql's own parsers (not for other modules).
 *
 * Each fl_sql_parse_X_at() takes the token cursor positioned at the first token of an
 * X, consumes exactly the X, and leaves the cursor on the token after it; on error it
 * returns FL_EPARSE (FL_ELIMIT past a bound) with cur->err set and the cursor position
 * is unspecified. CREATE STREAM (parse_stream.c) reads its item list with
 * fl_sql_parse_column_into_at for each item that is not WATERMARK FOR / PRIMARY KEY /
 * CONSTRAINT / CHECK. */
#ifndef FL_SQL_SQL_INT_H
#define FL_SQL_SQL_INT_H

#include "sql/lexer.h"
#include "sql/sql.h"

/* A type name with its parameters: "DECIMAL(12,2)", "DOUBLE PRECISION", "VARCHAR(20)".
 * column names the column in messages ("after column name 'amount'"), may be NULL. */
fl_code fl_sql_parse_type_at(fl_sql_cursor *cur, const char *column, fl_type *type);
/* name type [NOT NULL | NULL | CHECK (expr) | DEFAULT expr]... */
fl_code fl_sql_parse_column_def_at(fl_sql_cursor *cur, fl_sql_column *col);
/* A growing column array in the cursor's arena. */
typedef struct fl_sql_column_list {
  fl_sql_column *cols;
  uint32_t n, cap;
} fl_sql_column_list;
/* column_def appended to list; refuses a duplicate name and more than FL_COLUMNS_MAX. */
fl_code fl_sql_parse_column_into_at(fl_sql_cursor *cur, fl_sql_column_list *list);
/* A name (unquoted non-reserved identifier or "quoted"), checked against FL_NAME_MAX.
 * what says what was expected in the message ("a column name"). */
fl_code fl_sql_parse_name_at(fl_sql_cursor *cur, const char *what, const char **name);
/* '(' tokens with balanced parentheses ')': *text = the source between the outer
 * parentheses, from the first inner token to the last (comments outside them dropped). */
fl_code fl_sql_parse_paren_text_at(fl_sql_cursor *cur, const char *what, const char **text);
fl_code fl_sql_parse_partition_item_at(fl_sql_cursor *cur, fl_sql_partition_item *item);
/* One expression (parse_expr.c); stops at the first token that cannot continue it. */
fl_code fl_sql_parse_expr_at(fl_sql_cursor *cur, fl_sql_expr **out);
/* '(' expr ')' after CHECK: *expr parsed, *text the source between the parentheses. */
fl_code fl_sql_parse_check_at(fl_sql_cursor *cur, const char **text, fl_sql_expr **expr);
/* A AND B, built (two CHECKs on one column); at B's position; the height bound holds. */
fl_code fl_sql_expr_and_at(fl_sql_cursor *cur, fl_sql_expr *a, fl_sql_expr *b, fl_sql_expr **out);
/* parse_select.c, for parse_expr.c: a query after '(' (SELECT or WITH at the cursor; the
 * caller consumes the ')'), and the suffixes of a call: FILTER (WHERE ...) and OVER (...). */
fl_code fl_sql_parse_query_at(fl_sql_cursor *cur, fl_sql_select **out);
bool fl_sql_at_query(const fl_sql_cursor *cur);
fl_code fl_sql_parse_filter_at(fl_sql_cursor *cur, fl_sql_expr *call);
fl_code fl_sql_parse_over_at(fl_sql_cursor *cur, fl_sql_expr *call);
/* select_format.c, for expr_format.c: " OVER (PARTITION BY ... ORDER BY ... frame)". */
void fl_sql_window_format(const fl_sql_window *w, fl_buf *out);

#endif
