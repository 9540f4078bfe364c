/* sql: floe's SQL front end (DESIGN §3), the public header of src/sql.
 *
 * The DDL pieces every stream and table definition is made of (a column list, a type, a
 * partition spec), expressions (parse, format back to SQL, bind to a schema), and
 * CREATE STREAM; models and SELECT build on the same lexer and token cursor (lexer.h)
 * and recursive-descent helpers (sql_int.h).
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

#include "core/batch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/types.h"
#include "core/value.h"

typedef struct fl_sql_column {
  const char *name;
  fl_type type;
  bool not_null;
  const char *check_sql;            /* the text inside CHECK ( ... ), as written; NULL if none */
  struct fl_sql_expr *check;        /* check_sql parsed (two CHECKs: an AND node); NULL if none */
  struct fl_sql_expr *default_expr; /* DEFAULT expr, NULL if none (not bound here) */
  uint32_t line, col;               /* of the column name */
} fl_sql_column;

/* "event_id STRING NOT NULL, amount DECIMAL(12,2), ok BOOLEAN CHECK (ok OR amount > 0)".
 * CHECK and DEFAULT contents are parsed as expressions (fl_sql_parse_expr's grammar);
 * a column list alone does not bind them (see fl_sql_parse_create_stream for that).
 * Types: BOOLEAN|BOOL, INT|INTEGER|INT4, BIGINT|INT8, REAL|FLOAT|FLOAT4,
 * DOUBLE [PRECISION]|FLOAT8, DECIMAL|NUMERIC (p[,s]) with 1 <= p <= 18, 0 <= s <= p,
 * DATE, TIMESTAMP, STRING|TEXT|VARCHAR[(n)], JSON. Constraints in any order:
 * NOT NULL, NULL, CHECK (expr). At least one column; names unique; at most
 * FL_COLUMNS_MAX columns; names at most FL_NAME_MAX bytes. */
fl_code fl_sql_parse_columns(const char *text, size_t len, fl_arena *arena, fl_sql_column **cols,
                             uint32_t *ncols, fl_err *err);

typedef struct fl_sql_partition_item {
  const char *transform; /* "identity","year","month","day","hour","bucket","truncate" (static) */
  int32_t param;         /* N for bucket, W for truncate; 0 otherwise */
  const char *column;
  uint32_t line, col; /* of the item's first token */
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

/* ---- expressions (parse_expr.c, expr_format.c, expr_bind.c) ----
 *
 * An expression tree in the arena. PostgreSQL's precedence, loosest first:
 *   OR < AND < NOT < IS [NOT] NULL < comparison (= <> != < <= > >=)
 *   < [NOT] IN / BETWEEN / LIKE / ILIKE < (other operators: ||) < + - < * / % < unary - +
 *   < :: (x::type, same as CAST) < primary
 * Comparisons do not chain (a < b < c is an error, as in PostgreSQL).
 * Primaries: literals 42 3.50 1e3 'text' TRUE FALSE NULL, INTERVAL '5 seconds',
 * TIMESTAMP '2024-01-02 03:04:05', DATE '2024-01-02'; column refs name or q.name;
 * f(args), f(*), f(DISTINCT x); CAST(x AS type); '(' expr ')'.
 * Every node carries the line and column of the token that makes it: the operator for
 * operators (a > b: the '>'), the first token otherwise (literals, names, calls, NOT,
 * unary minus, CAST). A tree higher than FL_SQL_EXPR_DEPTH_MAX (a chain of 300 ANDs) or
 * parentheses nested deeper than twice that is an FL_ELIMIT error, so walking a tree
 * recursively is safe. */

/* Parentheses and operators nest at most this deep: a bound on recursion (stack use is
 * ~200 bytes a level) far above any CHECK or SELECT a person writes. */
#define FL_SQL_EXPR_DEPTH_MAX 256

typedef enum fl_sql_expr_kind {
  FL_SQL_E_LITERAL = 1, /* lit, value (text = the literal as written) */
  FL_SQL_E_COLUMN,      /* [qualifier.]name; field = schema index after binding */
  FL_SQL_E_UNARY,       /* op (NEG, PLUS, NOT) args[0] */
  FL_SQL_E_BINARY,      /* args[0] op args[1] (arithmetic, ||, comparisons, AND, OR) */
  FL_SQL_E_IS_NULL,     /* args[0] IS [NOT] NULL (negated) */
  FL_SQL_E_IN,          /* args[0] [NOT] IN (args[1], ..., args[nargs-1]) */
  FL_SQL_E_BETWEEN,     /* args[0] [NOT] BETWEEN args[1] AND args[2] */
  FL_SQL_E_LIKE,        /* args[0] [NOT] LIKE|ILIKE args[1] (ilike) [ESCAPE args[2]] */
  FL_SQL_E_FUNC,        /* name(args); star for f(*); distinct for f(DISTINCT ...) */
  FL_SQL_E_CAST,        /* CAST(args[0] AS cast_type) or args[0]::cast_type */
  FL_SQL_E_SUBQUERY,    /* (SELECT ...) as a value: query */
  FL_SQL_E_EXISTS,      /* EXISTS (SELECT ...): query */
  FL_SQL_E_CASE,        /* CASE [args[0] if case_operand] (WHEN w THEN t)* [ELSE e] END:
                           after the operand, pairs w, t; a last odd argument is ELSE */
} fl_sql_expr_kind;

typedef enum fl_sql_op {
  FL_SQL_OP_NONE = 0,
  FL_SQL_OP_NEG,
  FL_SQL_OP_PLUS,
  FL_SQL_OP_NOT, /* unary */
  FL_SQL_OP_ADD,
  FL_SQL_OP_SUB,
  FL_SQL_OP_MUL,
  FL_SQL_OP_DIV,
  FL_SQL_OP_MOD,
  FL_SQL_OP_CONCAT, /* || */
  FL_SQL_OP_EQ,
  FL_SQL_OP_NE,
  FL_SQL_OP_LT,
  FL_SQL_OP_LE,
  FL_SQL_OP_GT,
  FL_SQL_OP_GE,
  FL_SQL_OP_AND,
  FL_SQL_OP_OR,
  FL_SQL_OP_IDIV,   /* // (integer division, DuckDB) */
  FL_SQL_OP_ARROW,  /* -> (JSON field or element, as JSON) */
  FL_SQL_OP_ARROW2, /* ->> (JSON field or element, as text) */
} fl_sql_op;

typedef enum fl_sql_lit_kind {
  FL_SQL_LIT_NULL = 1,  /* value.is_null; no type until bound */
  FL_SQL_LIT_BOOL,      /* value: BOOLEAN */
  FL_SQL_LIT_INT,       /* 42: value BIGINT (i64); too big for int64: a DOUBLE literal */
  FL_SQL_LIT_DECIMAL,   /* 3.50: value DECIMAL(p,s) exact (p = digits, <= 18), else DOUBLE */
  FL_SQL_LIT_DOUBLE,    /* 1e3, or a decimal over 18 digits: value DOUBLE */
  FL_SQL_LIT_STRING,    /* 'text': value STRING (str points into the arena, NUL-terminated) */
  FL_SQL_LIT_INTERVAL,  /* INTERVAL '5 seconds': interval_us */
  FL_SQL_LIT_TIMESTAMP, /* TIMESTAMP '...': value TIMESTAMP (micros, UTC) */
  FL_SQL_LIT_DATE,      /* DATE '...': value DATE (days) */
} fl_sql_lit_kind;

/* What a node yields, set by fl_sql_expr_bind (UNBOUND before). */
typedef enum fl_sql_rtype {
  FL_SQL_RT_UNBOUND = 0,
  FL_SQL_RT_VALUE,    /* a value of .type */
  FL_SQL_RT_NULL,     /* the NULL literal (or an expression of only NULLs): any type */
  FL_SQL_RT_INTERVAL, /* an interval (INTERVAL literal, or -x, x*n of one) */
} fl_sql_rtype;

typedef struct fl_sql_expr {
  fl_sql_expr_kind kind;
  fl_sql_op op;              /* UNARY, BINARY */
  bool negated;              /* IS NOT NULL, NOT IN, NOT BETWEEN, NOT LIKE */
  bool ilike;                /* LIKE: ILIKE */
  bool star;                 /* FUNC: f(*) */
  bool distinct;             /* FUNC: f(DISTINCT ...) */
  fl_sql_lit_kind lit;       /* LITERAL */
  fl_value value;            /* LITERAL (not INTERVAL, NULL: is_null) */
  int64_t interval_us;       /* LITERAL INTERVAL */
  int32_t interval_months;   /* LITERAL INTERVAL: its month and year part ('1 month 2 days') */
  const char *text;          /* LITERAL: source text (number as written, string/typed
                                literal unescaped contents) */
  const char *qualifier;     /* COLUMN: "o" in o.amount, else NULL */
  const char *name;          /* COLUMN: column name; FUNC: function name (lower case) */
  fl_type cast_type;         /* CAST */
  bool case_operand;         /* CASE: simple CASE x WHEN ... (args[0] is x) */
  struct fl_sql_expr **args; /* children (see kinds) */
  uint32_t nargs;
  uint32_t line, col;          /* see above */
  uint32_t height;             /* 1 for a leaf; at most FL_SQL_EXPR_DEPTH_MAX (recursion bound) */
  struct fl_sql_select *query; /* SUBQUERY, EXISTS, and IN (SELECT ...) (then nargs = 1) */
  struct fl_sql_window *over;  /* FUNC: f(...) OVER (...), a window function call */
  struct fl_sql_expr *filter;  /* FUNC: f(...) FILTER (WHERE filter), an aggregate's filter */
  /* set by fl_sql_expr_bind: */
  fl_sql_rtype rtype;
  fl_type type;  /* rtype == VALUE */
  int32_t field; /* COLUMN: index in the schema's fields, -1 before binding */
} fl_sql_expr;

/* One expression, the whole text (no trailing tokens). */
fl_code fl_sql_parse_expr(const char *text, size_t len, fl_arena *arena, fl_sql_expr **out, fl_err *err);

/* Writes the expression as SQL: "event_type IN ('order_created', 'order_paid')".
 * Default: parentheses only where precedence needs them (the text parses back to the same
 * tree). FL_SQL_FMT_PARENS: every operator node in parentheses, "((a + (b * c)) > 0)",
 * for tests and for showing how a text was read. Keywords upper case, names as
 * fl_sql_ident_format, strings quoted with '' escapes, typed literals as TYPE '...'. */
/* FL_SQL_FMT_SHORT: for messages, an IN list of more than 3 items shows its first item
 * and "...": "event_type IN ('order_created', ...)" (the text no longer parses back). */
enum { FL_SQL_FMT_PARENS = 1, FL_SQL_FMT_SHORT = 2 };
void fl_sql_expr_format(const fl_sql_expr *expr, unsigned flags, fl_buf *out);

/* Resolves column refs by name in schema (field = index; a qualifier is ignored; a
 * node whose field is already set, by the SELECT binder's scopes, keeps it) and
 * type-checks: comparisons, IN lists, BETWEEN need comparable types (numbers with
 * numbers, strings with strings, TIMESTAMP/DATE with each other or a string literal that
 * parses as one), arithmetic numbers (TIMESTAMP +/- INTERVAL), || strings, AND/OR/NOT
 * booleans, LIKE strings. Sets rtype/type on every node. Errors (FL_EPARSE):
 *   "line 3, column 9: cannot compare DECIMAL(12,2) with STRING"
 *   "line 1, column 1: unknown column 'amout'"
 * Result types are DuckDB's (src/sql/README.md lists the rules and the functions; an
 * unknown one is "unknown function 'f'"). */
fl_code fl_sql_expr_bind(fl_sql_expr *expr, const fl_schema *schema, fl_err *err);

/* ---- evaluation (expr_eval.c) ----
 *
 * The one expression evaluator: bound BOOLEAN expressions (predicates) compile to flat
 * steps and run a batch at a time over an fl_batch whose columns are the schema's
 * fields. Used by contracts (CHECK), `--where`, scan filters and the SQL executor.
 *
 *   fl_sql_eval *ev = fl_sql_eval_new(schema);
 *   if (fl_sql_eval_add(ev, expr, "CHECK (amount > 0)", &k, &err)) ...;   (compile)
 *   const uint8_t *r = fl_sql_eval_run(ev, k, batch);  r[i]: FL_SQL_FALSE/TRUE/UNKNOWN
 *   uint32_t m = fl_sql_eval_select(ev, batch, sel);   rows where every predicate is TRUE
 *   fl_sql_eval_free(ev);
 *
 * Supported: every expression the binder accepts (src/sql/README.md), except an
 * INTERVAL result of CASE and a CAST from INTERVAL: those fail at fl_sql_eval_add with
 * FL_EUNSUPPORTED: "<label>: line L, column C: CASE of INTERVAL values is not supported".
 * Predicates use SQL's three-valued logic; overflow, a failed cast, division by zero
 * and NULL operands give UNKNOWN (value expressions below raise errors instead).
 *
 * Memory: the evaluator copies what it needs from the expression (which may be freed
 * after add); the schema must outlive it; results stay valid until the next run.
 * Every add comes before the first run. One thread at a time. */

enum { FL_SQL_FALSE = 0, FL_SQL_TRUE = 1, FL_SQL_UNKNOWN = 2 };
/* Columns remembered per predicate (for messages: "CHECK (...) failed: a = 1, b = 2"). */
#define FL_SQL_EVAL_COLS_MAX 4
/* Predicates per evaluator: results are indexed by uint16 in the contract's per-row
 * "first failing CHECK" array. */
#define FL_SQL_EVAL_PREDS_MAX 65534u

typedef struct fl_sql_eval fl_sql_eval;

fl_sql_eval *fl_sql_eval_new(const fl_schema *schema);
void fl_sql_eval_free(fl_sql_eval *ev);
/* Compiles a bound expression (fl_sql_expr_bind against the same schema) that yields
 * BOOLEAN; label starts its error messages. *index (may be NULL) = 0, 1, ... in order. */
fl_code fl_sql_eval_add(fl_sql_eval *ev, const fl_sql_expr *expr, const char *label, uint32_t *index,
                        fl_err *err);
uint32_t fl_sql_eval_count(const fl_sql_eval *ev);
/* Schema indexes of the columns predicate index reads, in first-use order (at most
 * FL_SQL_EVAL_COLS_MAX). */
uint32_t fl_sql_eval_columns(const fl_sql_eval *ev, uint32_t index, const int32_t **cols);
/* Evaluates predicate index over batch's rows: batch->nrows three-valued results. */
const uint8_t *fl_sql_eval_run(fl_sql_eval *ev, uint32_t index, const fl_batch *batch);
/* WHERE: writes the indexes of the rows where every predicate is TRUE (rising) to sel
 * (batch->nrows entries) and returns their count. No predicates: every row. */
uint32_t fl_sql_eval_select(fl_sql_eval *ev, const fl_batch *batch, uint32_t *sel);

/* Value expressions (the SQL engine's projections and filters): an expression of any
 * type compiles to steps whose result is written to a vector of its bound type.
 *
 *   fl_sql_eval_add_value(ev, expr, "amount * 2", &k, &err);     (compile)
 *   const fl_vec *v;
 *   if (fl_sql_eval_value(ev, k, batch, &v, &err)) ...;          v->len == batch->nrows
 *
 * Unlike fl_sql_eval_add's predicates (which give UNKNOWN), these follow DuckDB at run
 * time: integer and decimal overflow, a string that does not convert and a value out
 * of a cast's range fail the run (FL_ELIMIT, FL_ETYPE) with the label, the line and
 * column of the operator and the values ("amount * 2: line 1, column 8: overflow:
 * 2147483647 * 2 does not fit INT"); division (/, //, %) by zero gives NULL.
 * Result types are the binder's (DuckDB's): INT / INT is DOUBLE, // divides integers,
 * DECIMAL + - * keep exact digits up to DECIMAL(38) (128-bit). A NULL literal's result
 * is an all-NULL INT vector; an INTERVAL result is FL_EUNSUPPORTED. The vector is the
 * evaluator's, valid until the next run of the same index. */
fl_code fl_sql_eval_add_value(fl_sql_eval *ev, const fl_sql_expr *expr, const char *label, uint32_t *index,
                              fl_err *err);
/* The type of value expression index's vectors. */
fl_type fl_sql_eval_type(const fl_sql_eval *ev, uint32_t index);
fl_code fl_sql_eval_value(fl_sql_eval *ev, uint32_t index, const fl_batch *batch, const fl_vec **out,
                          fl_err *err);
/* A BOOLEAN value expression as three-valued bytes (FL_SQL_FALSE/TRUE/UNKNOWN), with
 * runtime errors: the filter operator's form of fl_sql_eval_run. */
fl_code fl_sql_eval_test(fl_sql_eval *ev, uint32_t index, const fl_batch *batch, const uint8_t **out,
                         fl_err *err);

/* A column's DEFAULT as a constant of the column's exact type, for the JSON parser's
 * absent fields (fl_json_parser_set_defaults): literals (numbers, strings, booleans,
 * DATE/TIMESTAMP literals or strings, NULL = no default: out->is_null), converted
 * exactly ("DEFAULT 1.5" into an INT fails, 1.50 into DECIMAL(12,1) is 1.5). Anything
 * else is FL_EUNSUPPORTED, now() included: the event log keeps each record's text and
 * a replay re-parses it, so a default must give the same value every time (DESIGN §1:
 * the tables are a function of the log). Works on bound or unbound trees; a string
 * value points into the expression. */
fl_code fl_sql_default_value(const fl_sql_expr *expr, const fl_field *field, fl_value *out, fl_err *err);

/* ---- CREATE STREAM (parse_stream.c) ----
 *
 *   CREATE STREAM [IF NOT EXISTS] name (
 *     item (',' item)*
 *   ) [WITH '(' key '=' value (',' key '=' value)* ')'] [';']
 *   item := column_def                              -- as fl_sql_parse_columns
 *         | WATERMARK FOR col AS col [- INTERVAL 'n unit']
 *         | PRIMARY KEY '(' col (',' col)* ')' NOT ENFORCED
 *         | [CONSTRAINT name] CHECK '(' expr ')'
 * The CHECK expressions (column and table ones) are bound against the stream's columns
 * (fl_sql_expr_bind) and must be BOOLEAN. WITH keys (values are strings or integers):
 *   dedupe_ttl = '1 hour'     -- interval; needs a PRIMARY KEY (the dedupe key)
 *   late_policy = 'keep' | 'side'
 *   partitioned_by = 'day(event_time), tenant_id'   -- fl_sql_parse_partition, columns exist
 *   partitions = 8            -- event log partitions, 1..FL_SQL_STREAM_PARTITIONS_MAX
 *   log_compression = 'zstd'  -- codec of the event log's batches: 'lz4', 'zstd' or
 *                                'none' (default: the log's, FL_LOG_CODEC_DEFAULT)
 *   log_compression_level = 1 -- zstd's level or LZ4's acceleration,
 *                                0 (off)..FL_SQL_STREAM_LOG_COMPRESSION_MAX; more than 0
 *                                with log_compression = 'none' is an error
 *   retention = '7 days'      -- interval
 *   unknown_fields = 'ignore' | 'reject'  -- fields not in the schema: counted and
 *                                 ignored (default), or the record is rejected
 * Any other key is an error naming it. DEFAULTs are constants (fl_sql_default_value),
 * applied to absent fields at ingest (defaults). */

#define FL_SQL_STREAM_PARTITIONS_MAX 1024
/* zstd's levels past 19 ("ultra") need far more memory per appending thread. */
#define FL_SQL_STREAM_LOG_COMPRESSION_MAX 19

typedef struct fl_sql_option {
  const char *key;    /* lower case */
  const char *value;  /* string contents or the integer's text */
  uint32_t line, col; /* of the key */
} fl_sql_option;

typedef struct fl_sql_check {
  const char *name;   /* CONSTRAINT name, or NULL */
  int32_t column;     /* index of the column it was written on, -1 for a table CHECK */
  const char *sql;    /* the text inside CHECK (...) as written */
  fl_sql_expr *expr;  /* parsed and bound (rtype VALUE BOOLEAN) */
  uint32_t line, col; /* of the CHECK keyword (or CONSTRAINT) */
} fl_sql_check;

typedef enum fl_sql_late_policy {
  FL_SQL_LATE_KEEP = 0, /* late events are processed (default) */
  FL_SQL_LATE_SIDE,     /* late events go to a side output */
} fl_sql_late_policy;

typedef struct fl_sql_stream {
  const char *name;
  bool if_not_exists;
  fl_sql_column *cols;
  uint32_t ncols;
  fl_schema schema;     /* the columns as a schema: field ids 1..ncols in order,
                           required = NOT NULL, identifier ids = the primary key */
  fl_sql_check *checks; /* column CHECKs in column order, then table CHECKs */
  uint32_t nchecks;
  const char *watermark_column; /* NULL if no WATERMARK */
  int32_t watermark_index;      /* column index, -1 if none; the column is a TIMESTAMP */
  int64_t watermark_delay_us;   /* AS col - INTERVAL '5 seconds' -> 5000000; AS col -> 0 */
  const char **primary_key;     /* column names, NULL if none */
  uint32_t *primary_key_index;  /* their column indexes */
  uint32_t npk;
  fl_sql_option *options; /* WITH options as written, in order */
  uint32_t noptions;
  /* the known options, validated: */
  int64_t dedupe_ttl_us; /* 0 if not given */
  fl_sql_late_policy late_policy;
  const char *partitioned_by; /* the spec text, NULL if not given */
  fl_sql_partition_item *partition;
  uint32_t npartition;
  uint32_t partitions;           /* event log partitions; 0 if not given (caller's default) */
  int64_t retention_us;          /* 0 if not given */
  const char *log_compression;   /* "lz4", "zstd" or "none"; NULL if not given (the log's default) */
  int32_t log_compression_level; /* -1 if not given (the log's default) */
  bool unknown_fields_reject;    /* unknown_fields = 'reject' */
  fl_value *defaults;            /* per column, the DEFAULT as a constant (is_null: none);
                                    NULL if no column has one */
  uint32_t line, col;            /* of CREATE */
} fl_sql_stream;

/* One CREATE STREAM statement (comments anywhere, optional trailing ';'). Everything in
 * the arena; on error *out = NULL and err says "line L, column C: ...". */
fl_code fl_sql_parse_create_stream(const char *text, size_t len, fl_arena *arena, fl_sql_stream **out,
                                   fl_err *err);

/* "5 seconds", "1 hour", "500 milliseconds", "2 days", "1 day 2 hours", "90 s", "1.5 hours"
 * -> microseconds. Units (singular or plural, any case): microsecond(s)/us,
 * millisecond(s)/ms, second(s)/sec(s)/s, minute(s)/min(s)/m, hour(s)/h, day(s)/d,
 * week(s)/w. Months and years are refused (not a fixed length). Errors (FL_EPARSE) quote
 * the text: "invalid interval '5 parsecs': unknown unit 'parsecs' (...)". */
fl_code fl_sql_interval_parse(const char *text, size_t len, int64_t *us, fl_err *err);

/* ---- SELECT (parse_select.c, select_format.c) ----
 *
 *   statement := [EXPLAIN [ANALYZE]] query [';']
 *   query     := [WITH name ['(' col, ... ')'] AS '(' query ')' (',' ...)*]
 *                body [ORDER BY order_item, ...] [LIMIT n | LIMIT ALL] [OFFSET n]
 *   body      := term (UNION [ALL] term)*          -- left-associative
 *   term      := core | '(' query ')'
 *   core      := SELECT [DISTINCT | ALL] item, ... [FROM from, ...] [WHERE expr]
 *                [GROUP BY ALL | GROUP BY expr|ordinal, ...] [HAVING expr] [QUALIFY expr]
 *   item      := '*' | name '.' '*' | expr [[AS] alias]
 *   from      := primary ([INNER | LEFT [OUTER] | CROSS] JOIN primary [ON expr | USING (col, ...)])*
 *   primary   := [ns '.'] table [FOR SYSTEM_TIME AS OF 'timestamp' | AS OF SNAPSHOT n]
 *                   [[AS] alias ['(' col, ... ')']]
 *              | '(' query ')' [AS] alias ['(' col, ... ')'] | '(' from ')'
 *   order_item:= expr|ordinal|alias [ASC | DESC] [NULLS FIRST | NULLS LAST]
 * Expressions (fl_sql_parse_expr's grammar) add: (query) as a value, EXISTS (query),
 * x [NOT] IN (query), f(...) FILTER (WHERE expr), f(...) OVER ([PARTITION BY expr, ...]
 * [ORDER BY order_item, ...] [ROWS|RANGE frame]). Comma-separated FROM items are CROSS
 * joins. INTERSECT, EXCEPT, RIGHT and FULL joins, WITH RECURSIVE and LATERAL are refused
 * by name. Queries nest (subqueries, CTEs, parentheses) at most FL_SQL_QUERY_DEPTH_MAX
 * deep. Everything lives in the caller's arena. */

/* Nested queries (each subquery, CTE body or parenthesised query is one level): the
 * parser, binder and planner recurse once per level, and every level may hold an
 * expression FL_SQL_EXPR_DEPTH_MAX high, so this bounds their stack use (about 16 x
 * 150 KiB at worst) on the HTTP workers' threads. */
#define FL_SQL_QUERY_DEPTH_MAX 16

typedef enum fl_sql_nulls {
  FL_SQL_NULLS_DEFAULT = 0, /* DuckDB's: NULLS LAST for ASC and DESC */
  FL_SQL_NULLS_FIRST,
  FL_SQL_NULLS_LAST,
} fl_sql_nulls;

typedef struct fl_sql_order_item {
  fl_sql_expr *expr; /* an integer literal is an ordinal; a bare name may be an alias */
  bool desc;
  fl_sql_nulls nulls;
} fl_sql_order_item;

typedef enum fl_sql_frame_bound {
  FL_SQL_BOUND_NONE = 0,
  FL_SQL_BOUND_UNBOUNDED_PRECEDING,
  FL_SQL_BOUND_PRECEDING, /* n PRECEDING */
  FL_SQL_BOUND_CURRENT_ROW,
  FL_SQL_BOUND_FOLLOWING, /* n FOLLOWING */
  FL_SQL_BOUND_UNBOUNDED_FOLLOWING,
} fl_sql_frame_bound;

typedef struct fl_sql_window {
  fl_sql_expr **partition;
  uint32_t npartition;
  fl_sql_order_item *order;
  uint32_t norder;
  bool has_frame;                /* ROWS or RANGE given */
  bool frame_rows;               /* ROWS (else RANGE) */
  fl_sql_frame_bound start, end; /* end NONE: "ROWS start" alone (end = CURRENT ROW) */
  int64_t start_n, end_n;        /* n of n PRECEDING / FOLLOWING */
  uint32_t line, col;            /* of OVER */
} fl_sql_window;

typedef enum fl_sql_from_kind {
  FL_SQL_FROM_TABLE = 1, /* [ns.]name */
  FL_SQL_FROM_SUBQUERY,  /* (query) alias */
  FL_SQL_FROM_JOIN,      /* left JOIN right */
} fl_sql_from_kind;

typedef enum fl_sql_join_type {
  FL_SQL_JOIN_INNER = 1,
  FL_SQL_JOIN_LEFT,
  FL_SQL_JOIN_CROSS, /* CROSS JOIN or a comma */
} fl_sql_join_type;

typedef enum fl_sql_as_of {
  FL_SQL_AS_OF_NONE = 0,
  FL_SQL_AS_OF_TIME,     /* FOR SYSTEM_TIME AS OF 'ts': as_of_us */
  FL_SQL_AS_OF_SNAPSHOT, /* AS OF SNAPSHOT n: snapshot_id */
} fl_sql_as_of;

typedef struct fl_sql_from {
  fl_sql_from_kind kind;
  /* TABLE */
  const char *ns;   /* NULL: the default namespace */
  const char *name; /* may end in $snapshots, $files, $history (metadata tables) */
  fl_sql_as_of as_of;
  int64_t as_of_us; /* TIMESTAMP micros, UTC */
  const char *as_of_text;
  int64_t snapshot_id;
  /* SUBQUERY */
  struct fl_sql_select *query;
  /* TABLE, SUBQUERY */
  const char *alias;        /* NULL: the table's name (SUBQUERY: required... or NULL) */
  const char **col_aliases; /* alias(c1, c2): renames the first columns */
  uint32_t ncol_aliases;
  /* JOIN */
  fl_sql_join_type join;
  struct fl_sql_from *left, *right;
  fl_sql_expr *on;     /* ON expr, or NULL */
  const char **using_; /* USING (a, b), or NULL */
  uint32_t nusing;
  uint32_t line, col; /* first token (JOIN: the join keyword) */
} fl_sql_from;

typedef struct fl_sql_select_item {
  fl_sql_expr *expr;     /* NULL for * and t.* */
  const char *alias;     /* AS alias, or NULL */
  bool star;             /* * or t.* */
  const char *qualifier; /* t of t.*, else NULL */
  uint32_t line, col;
} fl_sql_select_item;

typedef struct fl_sql_select_core {
  bool distinct;
  fl_sql_select_item *items;
  uint32_t nitems;
  fl_sql_from *from; /* NULL: no FROM (one row) */
  fl_sql_expr *where;
  bool group_all;      /* GROUP BY ALL */
  bool has_group;      /* GROUP BY given (even GROUP BY ALL) */
  fl_sql_expr **group; /* expressions or ordinals */
  uint32_t ngroup;
  fl_sql_expr *having;
  fl_sql_expr *qualify;
  uint32_t line, col; /* of SELECT */
} fl_sql_select_core;

typedef enum fl_sql_body_kind {
  FL_SQL_BODY_CORE = 1, /* core */
  FL_SQL_BODY_QUERY,    /* '(' query ')' */
  FL_SQL_BODY_UNION,    /* left UNION [ALL] right */
} fl_sql_body_kind;

typedef struct fl_sql_body {
  fl_sql_body_kind kind;
  fl_sql_select_core *core;
  struct fl_sql_select *query;
  struct fl_sql_body *left, *right;
  bool all; /* UNION ALL (else UNION: distinct rows) */
  uint32_t line, col;
} fl_sql_body;

typedef struct fl_sql_cte {
  const char *name;
  const char **col_aliases;
  uint32_t ncol_aliases;
  struct fl_sql_select *query;
  uint32_t line, col;
} fl_sql_cte;

typedef struct fl_sql_select {
  fl_sql_cte *ctes; /* WITH, in order (each sees the ones before it) */
  uint32_t nctes;
  fl_sql_body *body;
  fl_sql_order_item *order;
  uint32_t norder;
  bool has_limit;
  uint64_t limit;
  uint64_t offset; /* 0: none */
  uint32_t line, col;
} fl_sql_select;

typedef struct fl_sql_statement {
  bool explain, analyze;
  fl_sql_select *query;
} fl_sql_statement;

/* One query statement (comments anywhere, optional trailing ';'). Errors are FL_EPARSE
 * with "line L, column C: ..."; fl_sql_error_caret shows where. */
fl_code fl_sql_parse_statement(const char *text, size_t len, fl_arena *arena, fl_sql_statement **out,
                               fl_err *err);
/* Writes a query back as SQL that parses to the same tree (the fuzzer checks it). */
void fl_sql_select_format(const fl_sql_select *query, fl_buf *out);
void fl_sql_statement_format(const fl_sql_statement *stmt, fl_buf *out);

/* For an error message that starts "line L, column C: ", appends the query's line L and
 * a caret under column C (tabs kept so the caret lines up):
 *   SELECT amount FORM orders
 *                 ^
 * Nothing when the message has no position or the line does not exist. */
void fl_sql_error_caret(const char *text, size_t len, const char *msg, fl_buf *out);
/* The candidate closest to name by edit distance (case-insensitive), or NULL when none
 * is close enough to be a likely typo (distance at most max(1, strlen(name) / 3)). */
const char *fl_sql_closest(const char *name, const char *const *candidates, uint32_t n);

/* ---- query results as text or Arrow (result_write.c) ----
 *
 *   fl_sql_writer *w = fl_sql_writer_new(FL_SQL_FORMAT_CSV, fields, ncols);
 *   fl_sql_writer_begin(w, &out);               // header, '[', Arrow schema
 *   while (batch) fl_sql_writer_batch(w, batch, &out);   // flush out between calls
 *   fl_sql_writer_end(w, &out);                 // ']', the table box, Arrow's end
 *   fl_sql_writer_free(w);
 * Formats: TABLE (DuckDB's box: names, types, rows; numbers right-aligned; the whole
 * box at end, at most FL_SQL_TABLE_ROWS_MAX rows kept), JSON (one array of objects,
 * values as fl_value_to_json, JSON columns inline), NDJSON (an object a line), CSV
 * (RFC 4180: a header line, fields quoted when they hold , " CR or LF, "" for a quote,
 * NULL an empty field, CRLF line ends), ARROW (the Arrow IPC stream format: schema,
 * one record batch per batch, end-of-stream marker). Text of values: decimals exact,
 * timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC), doubles shortest round-trip. */
typedef enum fl_sql_format {
  FL_SQL_FORMAT_TABLE = 1,
  FL_SQL_FORMAT_JSON,
  FL_SQL_FORMAT_NDJSON,
  FL_SQL_FORMAT_CSV,
  FL_SQL_FORMAT_ARROW,
} fl_sql_format;

/* The table format keeps this many rows for its box (it needs every width first); the
 * rest are counted and said ("... 12,345 more rows"). */
#define FL_SQL_TABLE_ROWS_MAX 10000u

/* "table", "json", "ndjson" (or "jsonl"), "csv", "arrow": false for anything else. */
bool fl_sql_format_parse(const char *name, fl_sql_format *out);
const char *fl_sql_format_name(fl_sql_format fmt);
/* The media type: "application/json", "application/x-ndjson", "text/csv",
 * "application/vnd.apache.arrow.stream", "text/plain" (table). */
const char *fl_sql_format_mime(fl_sql_format fmt);

typedef struct fl_sql_writer fl_sql_writer;
/* fields must outlive the writer. */
fl_sql_writer *fl_sql_writer_new(fl_sql_format fmt, const fl_field *fields, uint32_t ncols);
void fl_sql_writer_begin(fl_sql_writer *w, fl_buf *out);
/* batch's columns are the writer's fields. */
void fl_sql_writer_batch(fl_sql_writer *w, const fl_batch *batch, fl_buf *out);
void fl_sql_writer_end(fl_sql_writer *w, fl_buf *out);
uint64_t fl_sql_writer_rows(const fl_sql_writer *w);
void fl_sql_writer_free(fl_sql_writer *w);
/* A value as the text and CSV formats show it (no quotes; NULL writes nothing). */
void fl_sql_value_text(const fl_value *v, fl_buf *out);

/* ---- running a query (query.c) ----
 *
 *   fl_sql_query *q;
 *   if (fl_sql_query_prepare(wh, text, len, &opts, &q, &err)) { ... err.msg, caret ... }
 *   fields = fl_sql_query_fields(q, &n);
 *   while (fl_sql_query_next(q, &batch, &err) == FL_OK && batch) ...   (valid until next)
 *   fl_sql_query_free(q);
 * Prepare parses, binds (tables are loaded from the warehouse's catalog; a name without
 * a namespace is looked up in every namespace and must be unique), plans and builds the
 * operator tree; next() pulls batches from it. EXPLAIN returns one STRING column "plan"
 * (the operator tree; EXPLAIN ANALYZE runs the query first and adds rows and time per
 * operator). Errors of prepare: FL_EPARSE "line L, column C: ..." (fl_sql_error_caret
 * shows the place), FL_ENOENT (unknown table, with the closest name), FL_EUNSUPPORTED;
 * of next: FL_ETIMEOUT past opts->timeout_ms, FL_ELIMIT past opts->mem_budget (when an
 * operator cannot spill), FL_ECANCELED, I/O errors. One thread at a time. */
struct fl_warehouse;

typedef struct fl_sql_query_opts {
  int64_t timeout_ms;         /* 0: none */
  size_t mem_budget;          /* bytes for hash tables and sorts; 0: no limit */
  const char *spill_dir;      /* NULL: $TMPDIR or /tmp */
  const volatile int *cancel; /* non-zero stops the query (FL_ECANCELED); may be NULL */
  uint32_t threads;           /* worker threads of a table scan's pipeline; 0 or 1: the caller's only
                                 (floe sql and serve default to the online cores) */
} fl_sql_query_opts;

typedef struct fl_sql_query fl_sql_query;

fl_code fl_sql_query_prepare(struct fl_warehouse *wh, const char *text, size_t len,
                             const fl_sql_query_opts *opts, fl_sql_query **out, fl_err *err);
const fl_field *fl_sql_query_fields(const fl_sql_query *q, uint32_t *ncols);
/* EXPLAIN [ANALYZE]: the rows are the plan's lines (a shell prints them as they are). */
bool fl_sql_query_is_explain(const fl_sql_query *q);
fl_code fl_sql_query_next(fl_sql_query *q, const fl_batch **out, fl_err *err);
/* The logical plan and the operator tree (with rows and time once run). */
void fl_sql_query_explain(const fl_sql_query *q, bool analyze, fl_buf *out);
void fl_sql_query_free(fl_sql_query *q);

#endif
