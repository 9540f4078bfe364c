/* lexer: floe SQL text -> tokens, and the token cursor every parser walks.
 *
 * The lexer knows all of floe's SQL tokens (PostgreSQL/DuckDB flavoured), not only the
 * ones today's parsers use: identifiers (unquoted, folded to lower case; "Quoted",
 * case kept, "" escapes a quote), keywords (unquoted identifiers found in the keyword
 * list below; they stay FL_TOK_IDENT with .kw set, so non-reserved keywords still serve
 * as names), string literals ('it''s'), numbers (42, 3.14, .5, 1e-3), parameters ($1, ?),
 * operators and punctuation, and skips -- line and nested block comments.
 * Every token carries its byte offset and length in the source and its 1-based line and
 * column (columns count UTF-8 code points). The input must be valid UTF-8 without NUL
 * bytes and at most FL_SQL_TEXT_MAX bytes.
 *
 * Tokens point into the source text; the source must outlive them. The cursor
 * (fl_sql_cursor) tokenizes a whole statement into an arena array up front, so parsers
 * can look ahead freely, and forms every parse error as
 *   "line 1, column 23: expected a type after column name 'amount', found ','". */
#ifndef FL_SQL_LEXER_H
#define FL_SQL_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mem.h"

typedef enum fl_tok_kind {
  FL_TOK_EOF = 0,
  FL_TOK_IDENT,    /* name or keyword (see .kw); text is as written */
  FL_TOK_QIDENT,   /* "Quoted Name": text includes the quotes */
  FL_TOK_STRING,   /* 'text': includes the quotes; '' inside = one quote */
  FL_TOK_NUMBER,   /* 42, 3.5, .5, 1e10 */
  FL_TOK_PARAM,    /* $1 or ? */
  FL_TOK_LPAREN,   /* ( */
  FL_TOK_RPAREN,   /* ) */
  FL_TOK_LBRACKET, /* [ */
  FL_TOK_RBRACKET, /* ] */
  FL_TOK_LBRACE,   /* { */
  FL_TOK_RBRACE,   /* } */
  FL_TOK_COMMA,    /* , */
  FL_TOK_SEMI,     /* ; */
  FL_TOK_DOT,      /* . */
  FL_TOK_PLUS,     /* + */
  FL_TOK_MINUS,    /* - */
  FL_TOK_STAR,     /* * */
  FL_TOK_SLASH,    /* / */
  FL_TOK_PERCENT,  /* % */
  FL_TOK_CARET,    /* ^ */
  FL_TOK_EQ,       /* = or == */
  FL_TOK_NE,       /* <> or != */
  FL_TOK_LT,       /* < */
  FL_TOK_LE,       /* <= */
  FL_TOK_GT,       /* > */
  FL_TOK_GE,       /* >= */
  FL_TOK_CONCAT,   /* || */
  FL_TOK_CAST,     /* :: */
  FL_TOK_COLON,    /* : */
  FL_TOK_ARROW,    /* -> (JSON field) */
  FL_TOK_ARROW2,   /* ->> (JSON field as text) */
  FL_TOK_TILDE,    /* ~ */
  FL_TOK_AMP,      /* & */
  FL_TOK_PIPE,     /* | */
  FL_TOK_SHL,      /* << */
  FL_TOK_SHR,      /* >> */
  FL_TOK_KIND_COUNT
} fl_tok_kind;

/* Keywords, sorted by spelling (the lookup is a binary search). R = reserved: cannot
 * be a name unless quoted (PostgreSQL's reserved set, restricted to what floe parses);
 * U = unreserved: a keyword only where the grammar expects it.
 * Adding one? Keep the order (a test checks it) and mark R only if a parser needs it. */
#define FL_SQL_KEYWORDS(X) \
  X(ALL, R)                \
  X(ANALYZE, U)            \
  X(AND, R)                \
  X(ANY, R)                \
  X(AS, R)                 \
  X(ASC, R)                \
  X(BETWEEN, U)            \
  X(BY, U)                 \
  X(CASE, R)               \
  X(CAST, R)               \
  X(CHECK, R)              \
  X(CONSTRAINT, R)         \
  X(CREATE, R)             \
  X(CROSS, U)              \
  X(CURRENT, U)            \
  X(DEFAULT, R)            \
  X(DESC, R)               \
  X(DISTINCT, R)           \
  X(ELSE, R)               \
  X(END, R)                \
  X(ENFORCED, U)           \
  X(EXCEPT, R)             \
  X(EXISTS, U)             \
  X(EXPLAIN, U)            \
  X(FALSE, R)              \
  X(FILTER, U)             \
  X(FIRST, U)              \
  X(FOLLOWING, U)          \
  X(FOR, R)                \
  X(FROM, R)               \
  X(FULL, U)               \
  X(GROUP, R)              \
  X(HAVING, R)             \
  X(IF, U)                 \
  X(ILIKE, U)              \
  X(IN, R)                 \
  X(INNER, U)              \
  X(INTERSECT, R)          \
  X(INTERVAL, U)           \
  X(IS, U)                 \
  X(JOIN, U)               \
  X(KEY, U)                \
  X(LAST, U)               \
  X(LATERAL, U)            \
  X(LEFT, U)               \
  X(LIKE, U)               \
  X(LIMIT, R)              \
  X(MODEL, U)              \
  X(NOT, R)                \
  X(NULL, R)               \
  X(NULLS, U)              \
  X(OF, U)                 \
  X(OFFSET, R)             \
  X(ON, R)                 \
  X(OR, R)                 \
  X(ORDER, R)              \
  X(OUTER, U)              \
  X(OVER, U)               \
  X(PARTITION, U)          \
  X(PRECEDING, U)          \
  X(PRIMARY, R)            \
  X(QUALIFY, R)            \
  X(RANGE, U)              \
  X(RECURSIVE, U)          \
  X(REPLACE, U)            \
  X(RIGHT, U)              \
  X(ROW, U)                \
  X(ROWS, U)               \
  X(SELECT, R)             \
  X(SNAPSHOT, U)           \
  X(STREAM, U)             \
  X(TABLE, R)              \
  X(THEN, R)               \
  X(TRUE, R)               \
  X(UNBOUNDED, U)          \
  X(UNION, R)              \
  X(UNIQUE, R)             \
  X(USING, R)              \
  X(WATERMARK, U)          \
  X(WHEN, R)               \
  X(WHERE, R)              \
  X(WINDOW, R)             \
  X(WITH, R)

typedef enum fl_kw {
  FL_KW_NONE = 0,
#define FL_KW_ENUM(name, cls) FL_KW_##name,
  FL_SQL_KEYWORDS(FL_KW_ENUM)
#undef FL_KW_ENUM
      FL_KW_COUNT
} fl_kw;

typedef struct fl_token {
  fl_tok_kind kind;
  fl_kw kw;      /* FL_TOK_IDENT only: the keyword it spells, or FL_KW_NONE */
  uint32_t off;  /* byte offset in the source */
  uint32_t len;  /* bytes */
  uint32_t line; /* 1-based */
  uint32_t col;  /* 1-based, in code points */
} fl_token;

typedef struct fl_lexer {
  const char *src;
  size_t len;
  size_t pos;
  uint32_t line;
  uint32_t col;
} fl_lexer;

/* The lexer proper: one token at a time. Errors (unterminated string, quoted
 * identifier or comment, an unexpected character) are FL_EPARSE with position. */
void fl_lexer_init(fl_lexer *lx, const char *src, size_t len);
fl_code fl_lexer_next(fl_lexer *lx, fl_token *tok, fl_err *err);

const char *fl_tok_kind_name(fl_tok_kind kind); /* "','", "identifier", "end of input" */
const char *fl_kw_name(fl_kw kw);               /* "SELECT" */
bool fl_kw_is_reserved(fl_kw kw);
/* The keyword spelled by s[0..n) in any case, or FL_KW_NONE. */
fl_kw fl_kw_lookup(const char *s, size_t n);

/* The token cursor: a statement's tokens (ending with FL_TOK_EOF) and a position. */
typedef struct fl_sql_cursor {
  const char *src;
  size_t len;
  fl_token *toks;
  uint32_t ntoks; /* including the final EOF */
  uint32_t pos;
  fl_arena *arena; /* tokens, names and AST nodes */
  fl_err *err;
  uint32_t nest; /* queries open around the position (parse_select.c), <= FL_SQL_QUERY_DEPTH_MAX */
} fl_sql_cursor;

/* Tokenizes src (checking length, UTF-8, NUL bytes) into arena. */
fl_code fl_sql_cursor_init(fl_sql_cursor *cur, const char *src, size_t len, fl_arena *arena, fl_err *err);
static inline const fl_token *fl_sql_cursor_peek(const fl_sql_cursor *cur) { return &cur->toks[cur->pos]; }
/* k tokens ahead (0 = current); clamps to the EOF token. */
const fl_token *fl_sql_cursor_peek_at(const fl_sql_cursor *cur, uint32_t k);
/* Returns the current token and moves past it (never past EOF). */
const fl_token *fl_sql_cursor_next(fl_sql_cursor *cur);
bool fl_sql_cursor_at(const fl_sql_cursor *cur, fl_tok_kind kind);
bool fl_sql_cursor_at_kw(const fl_sql_cursor *cur, fl_kw kw);
/* Consumes the current token if it matches. */
bool fl_sql_cursor_accept(fl_sql_cursor *cur, fl_tok_kind kind);
bool fl_sql_cursor_accept_kw(fl_sql_cursor *cur, fl_kw kw);

/* Errors: "line L, column C: <message>" at tok; expected() appends ", found <tok>". */
fl_code fl_sql_cursor_error_at(fl_sql_cursor *cur, const fl_token *tok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
fl_code fl_sql_cursor_expected(fl_sql_cursor *cur, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* How a token reads in a message: "','", "'amount'", "string 'abc'", "end of input". */
void fl_sql_token_describe(const fl_sql_cursor *cur, const fl_token *tok, char *out, size_t out_size);

/* Token values (arena copies). ident: unquoted -> lower case, quoted -> unescaped.
 * string: unescaped contents. */
char *fl_sql_token_ident(fl_sql_cursor *cur, const fl_token *tok);
char *fl_sql_token_string(fl_sql_cursor *cur, const fl_token *tok);
/* A number token that is a plain non-negative integer <= INT64_MAX. */
bool fl_sql_token_int(const fl_sql_cursor *cur, const fl_token *tok, int64_t *v);
static inline bool fl_sql_token_is_name(const fl_token *tok) {
  return tok->kind == FL_TOK_QIDENT || (tok->kind == FL_TOK_IDENT && !fl_kw_is_reserved(tok->kw));
}
/* Case-insensitive comparison of an unquoted identifier with a word ("varchar"). */
bool fl_sql_token_word_is(const fl_sql_cursor *cur, const fl_token *tok, const char *word);

#endif
