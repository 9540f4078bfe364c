/* sql_int.h: building blocks shared by src/sql's own parsers (not for other modules).
 *
 * Each fl_sql_parse_X_at() takes the token cursor positioned at the first token of an
 * X, consumes exactly the X, and leaves the cursor on the token after it; on error it
 * returns FL_EPARSE with cur->err set and the cursor position is unspecified.
 * CREATE STREAM (later) reads its item list with parse_column_def_at for each item
 * that is not WATERMARK FOR / PRIMARY KEY. */
#ifndef FL_SQL_SQL_INT_H
#define FL_SQL_SQL_INT_H

#include "sql/lexer.h"
#include "sql/sql.h"

/* A type name with its parameters: "DECIMAL(12,2)", "DOUBLE PRECISION", "VARCHAR(20)".
 * column names the column in messages ("after column name 'amount'"), may be NULL. */
fl_code fl_sql_parse_type_at(fl_sql_cursor *cur, const char *column, fl_type *type);
/* name type [NOT NULL | NULL | CHECK (...)]... */
fl_code fl_sql_parse_column_def_at(fl_sql_cursor *cur, fl_sql_column *col);
/* A name (unquoted non-reserved identifier or "quoted"), checked against FL_NAME_MAX.
 * what says what was expected in the message ("a column name"). */
fl_code fl_sql_parse_name_at(fl_sql_cursor *cur, const char *what, const char **name);
/* '(' tokens with balanced parentheses ')': *text = the source between the outer
 * parentheses, from the first inner token to the last (comments outside them dropped). */
fl_code fl_sql_parse_paren_text_at(fl_sql_cursor *cur, const char *what, const char **text);
fl_code fl_sql_parse_partition_item_at(fl_sql_cursor *cur, fl_sql_partition_item *item);

#endif
