/* sql: floe's SQL front end (DESIGN §3), the public header of src/sql.
 *
 * Today: the DDL pieces every stream and table definition is made of, a column list
 * and a partition spec; CREATE STREAM, models and SELECT build on the same lexer and
 * token cursor (lexer.h) and recursive-descent helpers (sql_int.h).
 *
 *   fl_arena arena; fl_arena_init(&arena, 4096);
 *   fl_sql_column *cols; uint32_t n; fl_err err;
 *   if (fl_sql_parse_columns(text, strlen(text), &arena, &cols, &n, &err))
 *     fprintf(stderr, "%s\n", err.msg);   // "line 1, column 23: expected a type ..."
 *   ...
 *   fl_arena_destroy(&arena);             // frees cols and every string in them
 *
 * Memory: results (arrays, names, CHECK text) live in the caller's arena; on error the
 * arena may hold partial results, which the caller's reset/destroy frees.
 * Names: unquoted identifiers are folded to lower case, "Quoted" ones keep their case
 * (PostgreSQL's rule); a reserved word (lexer.h) is a name only when quoted.
 * Errors: FL_EPARSE (or FL_ELIMIT) with "line L, column C: <what was expected>, found
 * <token>". */
#ifndef FL_SQL_SQL_H
#define FL_SQL_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/types.h"

typedef struct fl_sql_column {
  const char *name;
  fl_type type;
  bool not_null;
  const char *check_sql;   /* the text inside CHECK ( ... ), as written; NULL if none */
  uint32_t line, col;      /* of the column name */
} fl_sql_column;

/* "event_id STRING NOT NULL, amount DECIMAL(12,2), ok BOOLEAN CHECK (ok OR amount > 0)".
 * Types: BOOLEAN|BOOL, INT|INTEGER|INT4, BIGINT|INT8, REAL|FLOAT|FLOAT4,
 * DOUBLE [PRECISION]|FLOAT8, DECIMAL|NUMERIC (p[,s]) with 1 <= p <= 18, 0 <= s <= p,
 * DATE, TIMESTAMP, STRING|TEXT|VARCHAR[(n)], JSON. Constraints in any order:
 * NOT NULL, NULL, CHECK (expr). At least one column; names unique; at most
 * FL_COLUMNS_MAX columns; names at most FL_NAME_MAX bytes. */
fl_code fl_sql_parse_columns(const char *text, size_t len, fl_arena *arena, fl_sql_column **cols,
                             uint32_t *ncols, fl_err *err);

typedef struct fl_sql_partition_item {
  const char *transform;   /* "identity","year","month","day","hour","bucket","truncate" (static) */
  int32_t param;           /* N for bucket, W for truncate; 0 otherwise */
  const char *column;
  uint32_t line, col;      /* of the item's first token */
} fl_sql_partition_item;

/* "day(event_time), tenant_id", "bucket(16, user_id)", "truncate(4, name)", and the
 * Iceberg spellings "bucket[16](user_id)", "truncate[4](name)"; "years/months/days/
 * hours(col)" (Spark) are accepted too. An empty spec (only blanks) is 0 items (an
 * unpartitioned table). The same transform of the same column twice is an error. */
fl_code fl_sql_parse_partition(const char *text, size_t len, fl_arena *arena, fl_sql_partition_item **items,
                               uint32_t *n, fl_err *err);

/* One type alone ("DECIMAL(12,2)", "double precision"), e.g. for a registry schema or a
 * CAST target given as text. The whole text must be the type. */
fl_code fl_sql_parse_type(const char *text, size_t len, fl_arena *arena, fl_type *type, fl_err *err);

/* Writes columns back as SQL that fl_sql_parse_columns reads to the same columns,
 * names quoted where needed: `"Event Id" STRING NOT NULL, amount DECIMAL(12,2)`. */
void fl_sql_columns_format(const fl_sql_column *cols, uint32_t n, fl_buf *out);
/* Appends a name, quoted ("...", "" for ") unless it reads back unquoted as itself. */
void fl_sql_ident_format(const char *name, fl_buf *out);
/* The type as floe SQL: "BIGINT", "DECIMAL(12,2)". out_size >= 16. */
void fl_sql_type_format(fl_type type, char *out, size_t out_size);

#endif
