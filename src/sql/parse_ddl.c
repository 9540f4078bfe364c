/* parse_ddl.c: recursive-descent parsing of the DDL pieces: column definitions,
 * types, and partition specs (sql.h, sql_int.h).
 *
 * Grammar (upper case = keyword or type word, any case in the text):
 *   column_list    := column_def (',' column_def)*
 *   column_def     := name type constraint*
 *   type           := BOOLEAN | BOOL | INT | INTEGER | INT4 | BIGINT | INT8
 *                   | REAL | FLOAT | FLOAT4 | DOUBLE [PRECISION] | FLOAT8
 *                   | (DECIMAL | NUMERIC) '(' p [',' s] ')' | DATE | TIMESTAMP
 *                   | STRING | TEXT | VARCHAR ['(' n ')'] | JSON
 *   constraint     := NOT NULL | NULL | CHECK '(' expr ')' | DEFAULT expr   (parse_expr.c)
 *   partition_spec := [item (',' item)*]
 *   item           := name                                   -- identity
 *                   | transform ['[' N ']'] '(' [N ','] name ')'
 * Type words are not keywords (a column may be called "date"); they are matched by
 * spelling where a type is expected.
 *
 * Each fl_sql_parse_X_at works on the shared token cursor (lexer.h) and stops on the
 * token after its X, so CREATE STREAM and models reuse them unchanged.
 *
 * CHECK keeps its source text (check_sql, as written) and the parsed expression (check);
 * expressions are parsed but not bound here (the columns may not be known yet).
 *
 * Ownership: every result (arrays, names, CHECK text) is allocated in the cursor's
 * arena; nothing here frees. */
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "sql/lexer.h"
#include "sql/sql.h"
#include "sql/sql_int.h"

/* ---- names ---- */

fl_code fl_sql_parse_name_at(fl_sql_cursor *cur, const char *what, const char **name) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  if (tok->kind == FL_TOK_IDENT && fl_kw_is_reserved(tok->kw))
    return fl_sql_cursor_error_at(cur, tok,
                                  "expected %s, found '%.*s' (a reserved word: write it in double "
                                  "quotes to use it as a name)",
                                  what, (int)tok->len, cur->src + tok->off);
  if (!fl_sql_token_is_name(tok)) return fl_sql_cursor_expected(cur, "%s", what);
  char *s = fl_sql_token_ident(cur, tok);
  size_t n = strlen(s);
  if (n > FL_NAME_MAX)
    return fl_sql_cursor_error_at(cur, tok, "name '%.40s...' is %zu bytes, longer than the limit of %d", s, n,
                                  FL_NAME_MAX);
  fl_sql_cursor_next(cur);
  *name = s;
  return FL_OK;
}

/* ---- types ---- */

enum type_params { TP_NONE, TP_DOUBLE, TP_DECIMAL, TP_LENGTH };

static const struct {
  const char *word;
  fl_type_kind kind;
  enum type_params params;
} type_words[] = {
    {"boolean", FL_T_BOOLEAN, TP_NONE},
    {"bool", FL_T_BOOLEAN, TP_NONE},
    {"int", FL_T_INT, TP_NONE},
    {"integer", FL_T_INT, TP_NONE},
    {"int4", FL_T_INT, TP_NONE},
    {"bigint", FL_T_BIGINT, TP_NONE},
    {"int8", FL_T_BIGINT, TP_NONE},
    {"real", FL_T_FLOAT, TP_NONE},
    {"float", FL_T_FLOAT, TP_NONE},
    {"float4", FL_T_FLOAT, TP_NONE},
    {"double", FL_T_DOUBLE, TP_DOUBLE},
    {"float8", FL_T_DOUBLE, TP_NONE},
    {"decimal", FL_T_DECIMAL, TP_DECIMAL},
    {"numeric", FL_T_DECIMAL, TP_DECIMAL},
    {"date", FL_T_DATE, TP_NONE},
    {"timestamp", FL_T_TIMESTAMP, TP_NONE},
    {"string", FL_T_STRING, TP_NONE},
    {"text", FL_T_STRING, TP_NONE},
    {"varchar", FL_T_STRING, TP_LENGTH},
    {"json", FL_T_JSON, TP_NONE},
};

#define TYPE_LIST "BOOLEAN, INT, BIGINT, REAL, DOUBLE, DECIMAL(p,s), DATE, TIMESTAMP, STRING or JSON"

static bool is_digits(const fl_sql_cursor *cur, const fl_token *tok) {
  if (tok->kind != FL_TOK_NUMBER) return false;
  for (uint32_t i = 0; i < tok->len; i++)
    if (cur->src[tok->off + i] < '0' || cur->src[tok->off + i] > '9') return false;
  return true;
}

/* '(' p [',' s] ')' after DECIMAL/NUMERIC. */
static fl_code parse_decimal_params(fl_sql_cursor *cur, const char *word, fl_type *type) {
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN))
    return fl_sql_cursor_expected(cur, "'(' after %s (%s(p,s) with a precision p <= %d)", word, word,
                                  FL_DECIMAL_PRECISION_MAX);
  const fl_token *ptok = fl_sql_cursor_peek(cur);
  if (!is_digits(cur, ptok)) return fl_sql_cursor_expected(cur, "a precision (an integer) in %s(p,s)", word);
  int64_t p = 0;
  if (!fl_sql_token_int(cur, ptok, &p) || p > FL_DECIMAL_PRECISION_MAX)
    return fl_sql_cursor_error_at(
        cur, ptok, "%s precision %.*s exceeds %d (the most Iceberg and Parquet allow)", word,
        ptok->len > 40 ? 40 : (int)ptok->len, cur->src + ptok->off, FL_DECIMAL_PRECISION_MAX);
  if (p < 1) return fl_sql_cursor_error_at(cur, ptok, "%s precision must be at least 1", word);
  fl_sql_cursor_next(cur);
  int64_t s = 0;
  if (fl_sql_cursor_accept(cur, FL_TOK_COMMA)) {
    const fl_token *stok = fl_sql_cursor_peek(cur);
    if (!is_digits(cur, stok)) return fl_sql_cursor_expected(cur, "a scale (an integer) in %s(p,s)", word);
    if (!fl_sql_token_int(cur, stok, &s) || s > p)
      return fl_sql_cursor_error_at(cur, stok, "%s scale %.*s exceeds the precision %d", word,
                                    stok->len > 40 ? 40 : (int)stok->len, cur->src + stok->off, (int)p);
    fl_sql_cursor_next(cur);
  }
  if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN))
    return fl_sql_cursor_expected(cur, "')' to close %s(p,s)", word);
  type->precision = (uint8_t)p;
  type->scale = (uint8_t)s;
  return FL_OK;
}

fl_code fl_sql_parse_type_at(fl_sql_cursor *cur, const char *column, fl_type *type) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  memset(type, 0, sizeof *type);
  if (tok->kind != FL_TOK_IDENT || fl_kw_is_reserved(tok->kw)) {
    if (column) return fl_sql_cursor_expected(cur, "a type after column name '%s'", column);
    return fl_sql_cursor_expected(cur, "a type");
  }
  size_t i = 0, ntypes = sizeof type_words / sizeof type_words[0];
  while (i < ntypes && !fl_sql_token_word_is(cur, tok, type_words[i].word)) i++;
  if (i == ntypes) {
    int n = tok->len > 40 ? 40 : (int)tok->len;
    if (column)
      return fl_sql_cursor_error_at(cur, tok, "unknown type '%.*s' for column '%s' (expected " TYPE_LIST ")",
                                    n, cur->src + tok->off, column);
    return fl_sql_cursor_error_at(cur, tok, "unknown type '%.*s' (expected " TYPE_LIST ")", n,
                                  cur->src + tok->off);
  }
  fl_sql_cursor_next(cur);
  type->kind = type_words[i].kind;
  switch (type_words[i].params) {
    case TP_NONE: return FL_OK;
    case TP_DOUBLE:
      if (fl_sql_token_word_is(cur, fl_sql_cursor_peek(cur), "precision")) fl_sql_cursor_next(cur);
      return FL_OK;
    case TP_DECIMAL: {
      char word[16];
      snprintf(word, sizeof word, "%s", type_words[i].word);
      for (char *c = word; *c; c++) *c = (char)(*c - 32);
      return parse_decimal_params(cur, word, type);
    }
    case TP_LENGTH: {
      if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN)) return FL_OK;
      const fl_token *ntok = fl_sql_cursor_peek(cur);
      int64_t n = 0;
      if (!fl_sql_token_int(cur, ntok, &n) || n < 1)
        return fl_sql_cursor_expected(cur, "a length (a positive integer) in VARCHAR(n)");
      fl_sql_cursor_next(cur);
      if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN))
        return fl_sql_cursor_expected(cur, "')' to close VARCHAR(n)");
      return FL_OK;
    }
  }
  FL_ASSERT(false, "type word %s", type_words[i].word);
  return FL_EINVAL;
}

fl_code fl_sql_parse_type(const char *text, size_t len, fl_arena *arena, fl_type *type, fl_err *err) {
  memset(type, 0, sizeof *type);
  fl_sql_cursor cur;
  fl_code code = fl_sql_cursor_init(&cur, text, len, arena, err);
  if (!code) code = fl_sql_parse_type_at(&cur, NULL, type);
  if (!code && !fl_sql_cursor_at(&cur, FL_TOK_EOF)) code = fl_sql_cursor_expected(&cur, "end of the type");
  if (code) memset(type, 0, sizeof *type);
  return code;
}

/* ---- column definitions ---- */

fl_code fl_sql_parse_paren_text_at(fl_sql_cursor *cur, const char *what, const char **text) {
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN)) return fl_sql_cursor_expected(cur, "'(' after %s", what);
  const fl_token *first = fl_sql_cursor_peek(cur);
  const fl_token *last = NULL;
  uint32_t depth = 1;
  for (;;) {
    const fl_token *tok = fl_sql_cursor_peek(cur);
    if (tok->kind == FL_TOK_EOF) return fl_sql_cursor_expected(cur, "')' to close %s (...)", what);
    if (tok->kind == FL_TOK_LPAREN) depth++;
    if (tok->kind == FL_TOK_RPAREN && --depth == 0) break;
    last = tok;
    fl_sql_cursor_next(cur);
  }
  if (!last) return fl_sql_cursor_expected(cur, "an expression in %s (...)", what);
  fl_sql_cursor_next(cur);
  *text = fl_arena_strndup(cur->arena, cur->src + first->off, last->off + last->len - first->off);
  return FL_OK;
}

fl_code fl_sql_parse_check_at(fl_sql_cursor *cur, const char **text, fl_sql_expr **expr) {
  uint32_t open = cur->pos;
  fl_code code = fl_sql_parse_paren_text_at(cur, "CHECK", text); /* balance and the messages for () */
  if (code) return code;
  uint32_t after = cur->pos;
  cur->pos = open + 1;
  code = fl_sql_parse_expr_at(cur, expr);
  if (code) return code;
  if (cur->pos + 1 != after) return fl_sql_cursor_expected(cur, "an operator or ')' to close CHECK (...)");
  cur->pos = after;
  return FL_OK;
}

fl_code fl_sql_parse_column_def_at(fl_sql_cursor *cur, fl_sql_column *col) {
  memset(col, 0, sizeof *col);
  const fl_token *name_tok = fl_sql_cursor_peek(cur);
  col->line = name_tok->line;
  col->col = name_tok->col;
  fl_code code = fl_sql_parse_name_at(cur, "a column name", &col->name);
  if (code) return code;
  code = fl_sql_parse_type_at(cur, col->name, &col->type);
  if (code) return code;
  bool said_null = false;
  for (;;) {
    const fl_token *tok = fl_sql_cursor_peek(cur);
    if (fl_sql_cursor_accept_kw(cur, FL_KW_NOT)) {
      if (!fl_sql_cursor_accept_kw(cur, FL_KW_NULL)) return fl_sql_cursor_expected(cur, "NULL after NOT");
      if (said_null)
        return fl_sql_cursor_error_at(cur, tok, "conflicting NULL and NOT NULL for column '%s'", col->name);
      col->not_null = true;
    } else if (fl_sql_cursor_accept_kw(cur, FL_KW_NULL)) {
      if (col->not_null)
        return fl_sql_cursor_error_at(cur, tok, "conflicting NULL and NOT NULL for column '%s'", col->name);
      said_null = true;
    } else if (fl_sql_cursor_accept_kw(cur, FL_KW_CHECK)) {
      const char *text = NULL;
      fl_sql_expr *expr = NULL;
      code = fl_sql_parse_check_at(cur, &text, &expr);
      if (code) return code;
      /* two CHECKs on one column mean both must hold */
      col->check_sql =
          col->check_sql ? fl_arena_sprintf(cur->arena, "(%s) AND (%s)", col->check_sql, text) : text;
      if (col->check) {
        code = fl_sql_expr_and_at(cur, col->check, expr, &col->check);
        if (code) return code;
      } else {
        col->check = expr;
      }
    } else if (fl_sql_cursor_at_kw(cur, FL_KW_DEFAULT)) {
      if (col->default_expr)
        return fl_sql_cursor_error_at(cur, tok, "more than one DEFAULT for column '%s'", col->name);
      fl_sql_cursor_next(cur);
      code = fl_sql_parse_expr_at(cur, &col->default_expr);
      if (code) return code;
    } else {
      return FL_OK;
    }
  }
}

fl_code fl_sql_parse_column_into_at(fl_sql_cursor *cur, fl_sql_column_list *list) {
  if (list->n == FL_COLUMNS_MAX)
    return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur), "more than %d columns", FL_COLUMNS_MAX);
  if (list->n == list->cap) {
    uint32_t cap = list->cap ? 2 * list->cap : 16;
    fl_sql_column *grown = fl_arena_alloc(cur->arena, cap * sizeof *grown);
    if (list->n) memcpy(grown, list->cols, list->n * sizeof *grown);
    list->cols = grown;
    list->cap = cap;
  }
  fl_sql_column *col = &list->cols[list->n];
  fl_code code = fl_sql_parse_column_def_at(cur, col);
  if (code) return code;
  for (uint32_t i = 0; i < list->n; i++)
    if (strcmp(list->cols[i].name, col->name) == 0)
      return fl_err_set(
          cur->err, FL_EPARSE,
          "line %u, column %u: duplicate column name '%s' (first defined at line %u, column %u)", col->line,
          col->col, col->name, list->cols[i].line, list->cols[i].col);
  list->n++;
  return FL_OK;
}

fl_code fl_sql_parse_columns(const char *text, size_t len, fl_arena *arena, fl_sql_column **cols,
                             uint32_t *ncols, fl_err *err) {
  *cols = NULL;
  *ncols = 0;
  fl_sql_cursor cur;
  fl_code code = fl_sql_cursor_init(&cur, text, len, arena, err);
  if (code) return code;
  fl_sql_column_list list = {0};
  for (;;) {
    code = fl_sql_parse_column_into_at(&cur, &list);
    if (code) return code;
    if (fl_sql_cursor_accept(&cur, FL_TOK_COMMA)) continue;
    if (fl_sql_cursor_at(&cur, FL_TOK_EOF)) break;
    return fl_sql_cursor_expected(&cur, "',' after column '%s'", list.cols[list.n - 1].name);
  }
  *cols = list.cols;
  *ncols = list.n;
  return FL_OK;
}

/* ---- partition specs ---- */

enum { TR_TIME = 1, TR_PARAM = 2 };

static const struct {
  const char *word;
  const char *transform;
  unsigned flags;
} transforms[] = {
    {"identity", "identity", 0},    {"year", "year", TR_TIME},          {"years", "year", TR_TIME},
    {"month", "month", TR_TIME},    {"months", "month", TR_TIME},       {"day", "day", TR_TIME},
    {"days", "day", TR_TIME},       {"hour", "hour", TR_TIME},          {"hours", "hour", TR_TIME},
    {"bucket", "bucket", TR_PARAM}, {"truncate", "truncate", TR_PARAM},
};

static fl_code parse_transform_param(fl_sql_cursor *cur, const char *transform, int32_t *param) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  int64_t v = 0;
  const char *what = strcmp(transform, "bucket") == 0 ? "a bucket count" : "a truncate width";
  if (!fl_sql_token_int(cur, tok, &v) || v < 1 || v > INT32_MAX)
    return fl_sql_cursor_expected(cur, "%s (an integer from 1 to %d)", what, INT32_MAX);
  fl_sql_cursor_next(cur);
  *param = (int32_t)v;
  return FL_OK;
}

fl_code fl_sql_parse_partition_item_at(fl_sql_cursor *cur, fl_sql_partition_item *item) {
  memset(item, 0, sizeof *item);
  const fl_token *first = fl_sql_cursor_peek(cur);
  item->line = first->line;
  item->col = first->col;
  const fl_token *after = fl_sql_cursor_peek_at(cur, 1);
  bool is_call =
      first->kind == FL_TOK_IDENT && (after->kind == FL_TOK_LPAREN || after->kind == FL_TOK_LBRACKET);
  if (!is_call) {
    item->transform = "identity";
    return fl_sql_parse_name_at(cur, "a partition column or transform", &item->column);
  }
  size_t i = 0, ntr = sizeof transforms / sizeof transforms[0];
  while (i < ntr && !fl_sql_token_word_is(cur, first, transforms[i].word)) i++;
  if (i == ntr)
    return fl_sql_cursor_error_at(cur, first,
                                  "unknown partition transform '%.*s' (expected identity, year, month, "
                                  "day, hour, bucket[N] or truncate[W])",
                                  first->len > 40 ? 40 : (int)first->len, cur->src + first->off);
  item->transform = transforms[i].transform;
  bool has_param = transforms[i].flags & TR_PARAM;
  fl_sql_cursor_next(cur);
  bool param_done = false;
  if (fl_sql_cursor_at(cur, FL_TOK_LBRACKET)) {
    if (!has_param)
      return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur), "partition transform %s takes no parameter",
                                    item->transform);
    fl_sql_cursor_next(cur);
    fl_code code = parse_transform_param(cur, item->transform, &item->param);
    if (code) return code;
    if (!fl_sql_cursor_accept(cur, FL_TOK_RBRACKET)) return fl_sql_cursor_expected(cur, "']'");
    param_done = true;
  }
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN))
    return fl_sql_cursor_expected(cur, "'(' after partition transform %s", item->transform);
  if (has_param && !param_done) {
    fl_code code = parse_transform_param(cur, item->transform, &item->param);
    if (code) return code;
    if (!fl_sql_cursor_accept(cur, FL_TOK_COMMA))
      return fl_sql_cursor_expected(cur, "',' and a column after the %s parameter", item->transform);
  }
  fl_code code = fl_sql_parse_name_at(cur, "a column name", &item->column);
  if (code) return code;
  if (!fl_sql_cursor_accept(cur, FL_TOK_RPAREN))
    return fl_sql_cursor_expected(cur, "')' to close %s(...)", item->transform);
  return FL_OK;
}

static bool is_time_transform(const char *t) {
  return strcmp(t, "year") == 0 || strcmp(t, "month") == 0 || strcmp(t, "day") == 0 || strcmp(t, "hour") == 0;
}

/* Iceberg refuses two fields that partition one column the same way; all time
 * transforms of one column count as the same way (Java's "time" dedup name). */
static bool redundant(const fl_sql_partition_item *a, const fl_sql_partition_item *b) {
  if (strcmp(a->column, b->column) != 0) return false;
  if (is_time_transform(a->transform) && is_time_transform(b->transform)) return true;
  return strcmp(a->transform, b->transform) == 0 && a->param == b->param;
}

fl_code fl_sql_parse_partition(const char *text, size_t len, fl_arena *arena, fl_sql_partition_item **items,
                               uint32_t *n, fl_err *err) {
  *items = NULL;
  *n = 0;
  fl_sql_cursor cur;
  fl_code code = fl_sql_cursor_init(&cur, text, len, arena, err);
  if (code) return code;
  if (fl_sql_cursor_at(&cur, FL_TOK_EOF)) return FL_OK;
  uint32_t count = 0, cap = 8;
  fl_sql_partition_item *out = fl_arena_alloc(arena, cap * sizeof *out);
  for (;;) {
    if (count == FL_COLUMNS_MAX)
      return fl_sql_cursor_error_at(&cur, fl_sql_cursor_peek(&cur), "more than %d partition fields",
                                    FL_COLUMNS_MAX);
    if (count == cap) {
      fl_sql_partition_item *grown = fl_arena_alloc(arena, 2 * cap * sizeof *out);
      memcpy(grown, out, cap * sizeof *out);
      out = grown;
      cap *= 2;
    }
    fl_sql_partition_item *item = &out[count];
    code = fl_sql_parse_partition_item_at(&cur, item);
    if (code) return code;
    for (uint32_t i = 0; i < count; i++)
      if (redundant(&out[i], item))
        return fl_err_set(err, FL_EPARSE,
                          "line %u, column %u: redundant partition field: column '%s' is already "
                          "partitioned by %s (line %u, column %u)",
                          item->line, item->col, item->column, out[i].transform, out[i].line, out[i].col);
    count++;
    if (fl_sql_cursor_accept(&cur, FL_TOK_COMMA)) continue;
    if (fl_sql_cursor_at(&cur, FL_TOK_EOF)) break;
    return fl_sql_cursor_expected(&cur, "',' after partition field %s(%s)", item->transform, item->column);
  }
  *items = out;
  *n = count;
  return FL_OK;
}

/* ---- formatting ---- */

void fl_sql_ident_format(const char *name, fl_buf *out) {
  bool plain = name[0] != 0 && !(name[0] >= '0' && name[0] <= '9') && name[0] != '$';
  for (const char *p = name; *p && plain; p++)
    plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '$';
  if (plain && fl_kw_is_reserved(fl_kw_lookup(name, strlen(name)))) plain = false;
  if (plain) {
    fl_buf_puts(out, name);
    return;
  }
  fl_buf_put_u8(out, '"');
  for (const char *p = name; *p; p++) {
    if (*p == '"') fl_buf_put_u8(out, '"');
    fl_buf_put_u8(out, (uint8_t)*p);
  }
  fl_buf_put_u8(out, '"');
}

void fl_sql_type_format(fl_type type, char *out, size_t out_size) {
  const char *name = "?";
  switch (type.kind) {
    case FL_T_BOOLEAN: name = "BOOLEAN"; break;
    case FL_T_INT: name = "INT"; break;
    case FL_T_BIGINT: name = "BIGINT"; break;
    case FL_T_FLOAT: name = "REAL"; break;
    case FL_T_DOUBLE: name = "DOUBLE"; break;
    case FL_T_DECIMAL: snprintf(out, out_size, "DECIMAL(%u,%u)", type.precision, type.scale); return;
    case FL_T_DATE: name = "DATE"; break;
    case FL_T_TIMESTAMP: name = "TIMESTAMP"; break;
    case FL_T_TIMESTAMP_NS: name = "TIMESTAMP_NS"; break;
    case FL_T_STRING: name = "STRING"; break;
    case FL_T_JSON: name = "JSON"; break;
    case FL_T_TIME: name = "TIME"; break;
    case FL_T_UUID: name = "UUID"; break;
    case FL_T_BINARY: name = "BINARY"; break;
    case FL_T_FIXED: snprintf(out, out_size, "FIXED(%u)", type.length); return;
  }
  snprintf(out, out_size, "%s", name);
}

void fl_sql_columns_format(const fl_sql_column *cols, uint32_t n, fl_buf *out) {
  for (uint32_t i = 0; i < n; i++) {
    if (i) fl_buf_puts(out, ", ");
    fl_sql_ident_format(cols[i].name, out);
    char type[32];
    fl_sql_type_format(cols[i].type, type, sizeof type);
    fl_buf_put_u8(out, ' ');
    fl_buf_puts(out, type);
    if (cols[i].default_expr) {
      fl_buf_puts(out, " DEFAULT ");
      fl_sql_expr_format(cols[i].default_expr, 0, out);
    }
    if (cols[i].not_null) fl_buf_puts(out, " NOT NULL");
    if (cols[i].check_sql) fl_buf_printf(out, " CHECK (%s)", cols[i].check_sql);
  }
}
