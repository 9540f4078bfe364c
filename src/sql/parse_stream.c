/* parse_stream.c: CREATE STREAM, a stream definition as a data contract (DESIGN §3;
 * sql.h: fl_sql_parse_create_stream, fl_sql_stream).
 *
 *   CREATE STREAM [IF NOT EXISTS] name '(' item (',' item)* ')'
 *     [WITH '(' key '=' value (',' key '=' value)* ')'] [';']
 *   item := column_def                                  (parse_ddl.c)
 *         | WATERMARK FOR col AS col [- INTERVAL 'n unit']
 *         | PRIMARY KEY '(' col (',' col)* ')' NOT ENFORCED
 *         | [CONSTRAINT name] CHECK '(' expr ')'
 *
 * What the parse checks beyond the grammar, so that a stream that loads can be served:
 * the watermark column exists and is a TIMESTAMP, its expression is the column or the
 * column minus a non-negative interval (stored as watermark_delay_us); primary key
 * columns exist, are not repeated, are not REAL/DOUBLE/JSON (Iceberg identifier fields),
 * and become NOT NULL (PostgreSQL's rule); every CHECK binds against the columns
 * (fl_sql_expr_bind) and is BOOLEAN; a DEFAULT binds and fits its column's kind of type; the WITH keys are
 * known and their values valid (intervals by fl_sql_interval_parse, partitioned_by by fl_sql_parse_partition
 * with its columns present and of a type the transform takes). Items may come in any order, so these checks
 * run after the closing parenthesis, each error at its item's position.
 *
 * Why NOT ENFORCED is required: floe never rejects a duplicate key at ingest; the key
 * is what the stream job deduplicates on within dedupe_ttl (Flink's spelling).
 *
 * Ownership: everything in the caller's arena; *out is set only on success. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "sql/lexer.h"
#include "sql/sql.h"
#include "sql/sql_int.h"

typedef struct pos {
  uint32_t line, col;
} pos;

/* What the item loop collects before the checks that need all columns. */
typedef struct stream_parse {
  fl_sql_cursor *cur;
  fl_sql_stream *st;
  fl_sql_column_list cols;
  const fl_token *wm_tok;     /* WATERMARK keyword, NULL if none */
  const fl_token *wm_col_tok; /* the column after FOR */
  fl_sql_expr *wm_expr;
  const fl_token *pk_tok;   /* PRIMARY keyword */
  const fl_token **pk_toks; /* each key column's token */
  fl_sql_check *checks;     /* table CHECKs */
  uint32_t nchecks, checks_cap;
  const fl_token **opt_value_toks;
} stream_parse;

static fl_code error_at(fl_sql_cursor *cur, pos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static fl_code error_at(fl_sql_cursor *cur, pos at, const char *fmt, ...) {
  char msg[FL_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return fl_err_set(cur->err, FL_EPARSE, "line %u, column %u: %s", at.line, at.col, msg);
}

static pos tok_pos(const fl_token *tok) { return (pos){tok->line, tok->col}; }

static int column_index(const fl_sql_column_list *cols, const char *name) {
  for (uint32_t i = 0; i < cols->n; i++)
    if (strcmp(cols->cols[i].name, name) == 0) return (int)i;
  return -1;
}

/* ---- items ---- */

/* WATERMARK FOR col AS expr (the cursor on WATERMARK). */
static fl_code parse_watermark(stream_parse *sp) {
  fl_sql_cursor *cur = sp->cur;
  const fl_token *tok = fl_sql_cursor_next(cur);
  if (sp->wm_tok)
    return fl_sql_cursor_error_at(cur, tok, "more than one WATERMARK (the first is at line %u, column %u)",
                                  sp->wm_tok->line, sp->wm_tok->col);
  sp->wm_tok = tok;
  fl_sql_cursor_next(cur); /* FOR */
  sp->wm_col_tok = fl_sql_cursor_peek(cur);
  fl_code code = fl_sql_parse_name_at(cur, "a column name after WATERMARK FOR", &sp->st->watermark_column);
  if (code) return code;
  if (!fl_sql_cursor_accept_kw(cur, FL_KW_AS))
    return fl_sql_cursor_expected(cur, "AS after WATERMARK FOR %s (AS %s - INTERVAL '5 seconds')",
                                  sp->st->watermark_column, sp->st->watermark_column);
  return fl_sql_parse_expr_at(cur, &sp->wm_expr);
}

/* PRIMARY KEY '(' col (',' col)* ')' NOT ENFORCED (the cursor on PRIMARY). */
static fl_code parse_primary_key(stream_parse *sp) {
  fl_sql_cursor *cur = sp->cur;
  fl_sql_stream *st = sp->st;
  const fl_token *tok = fl_sql_cursor_next(cur);
  if (sp->pk_tok)
    return fl_sql_cursor_error_at(cur, tok, "more than one PRIMARY KEY (the first is at line %u, column %u)",
                                  sp->pk_tok->line, sp->pk_tok->col);
  sp->pk_tok = tok;
  if (!fl_sql_cursor_accept_kw(cur, FL_KW_KEY)) return fl_sql_cursor_expected(cur, "KEY after PRIMARY");
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN)) return fl_sql_cursor_expected(cur, "'(' after PRIMARY KEY");
  uint32_t cap = 4, n = 0;
  const char **names = fl_arena_alloc(cur->arena, cap * sizeof *names);
  const fl_token **toks = fl_arena_alloc(cur->arena, cap * sizeof *toks);
  for (;;) {
    if (n == FL_COLUMNS_MAX)
      return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur), "more than %d key columns", FL_COLUMNS_MAX);
    if (n == cap) {
      const char **grown = fl_arena_alloc(cur->arena, 2 * cap * sizeof *grown);
      const fl_token **grown_toks = fl_arena_alloc(cur->arena, 2 * cap * sizeof *grown_toks);
      memcpy(grown, names, n * sizeof *names);
      memcpy(grown_toks, toks, n * sizeof *toks);
      names = grown;
      toks = grown_toks;
      cap *= 2;
    }
    toks[n] = fl_sql_cursor_peek(cur);
    fl_code code = fl_sql_parse_name_at(cur, "a key column name", &names[n]);
    if (code) return code;
    for (uint32_t i = 0; i < n; i++)
      if (strcmp(names[i], names[n]) == 0)
        return fl_sql_cursor_error_at(cur, toks[n], "column '%s' appears twice in the PRIMARY KEY", names[n]);
    n++;
    if (fl_sql_cursor_accept(cur, FL_TOK_COMMA)) continue;
    if (fl_sql_cursor_accept(cur, FL_TOK_RPAREN)) break;
    return fl_sql_cursor_expected(cur, "',' or ')' in PRIMARY KEY (...)");
  }
  if (!fl_sql_cursor_at_kw(cur, FL_KW_NOT) || fl_sql_cursor_peek_at(cur, 1)->kw != FL_KW_ENFORCED ||
      fl_sql_cursor_peek_at(cur, 1)->kind != FL_TOK_IDENT)
    return fl_sql_cursor_expected(cur,
                                  "NOT ENFORCED after PRIMARY KEY (...) (floe does not reject duplicate "
                                  "keys: it deduplicates on them)");
  fl_sql_cursor_next(cur);
  fl_sql_cursor_next(cur);
  st->primary_key = names;
  st->npk = n;
  sp->pk_toks = toks;
  return FL_OK;
}

/* [CONSTRAINT name] CHECK '(' expr ')' at table level. */
static fl_code parse_table_check(stream_parse *sp) {
  fl_sql_cursor *cur = sp->cur;
  const fl_token *first = fl_sql_cursor_peek(cur);
  const char *name = NULL;
  if (fl_sql_cursor_accept_kw(cur, FL_KW_CONSTRAINT)) {
    fl_code code = fl_sql_parse_name_at(cur, "a constraint name after CONSTRAINT", &name);
    if (code) return code;
    if (!fl_sql_cursor_at_kw(cur, FL_KW_CHECK))
      return fl_sql_cursor_expected(cur, "CHECK after CONSTRAINT %s (named constraints are CHECKs)", name);
  }
  fl_sql_cursor_next(cur); /* CHECK */
  if (sp->nchecks == sp->checks_cap) {
    uint32_t cap = sp->checks_cap ? 2 * sp->checks_cap : 4;
    fl_sql_check *grown = fl_arena_alloc(cur->arena, cap * sizeof *grown);
    if (sp->nchecks) memcpy(grown, sp->checks, sp->nchecks * sizeof *grown);
    sp->checks = grown;
    sp->checks_cap = cap;
  }
  fl_sql_check *chk = &sp->checks[sp->nchecks];
  memset(chk, 0, sizeof *chk);
  chk->name = name;
  chk->column = -1;
  chk->line = first->line;
  chk->col = first->col;
  fl_code code = fl_sql_parse_check_at(cur, &chk->sql, &chk->expr);
  if (code) return code;
  for (uint32_t i = 0; name && i < sp->nchecks; i++)
    if (sp->checks[i].name && strcmp(sp->checks[i].name, name) == 0)
      return fl_sql_cursor_error_at(cur, first,
                                    "duplicate constraint name '%s' (first at line %u, column %u)", name,
                                    sp->checks[i].line, sp->checks[i].col);
  sp->nchecks++;
  return FL_OK;
}

static fl_code parse_item(stream_parse *sp) {
  fl_sql_cursor *cur = sp->cur;
  const fl_token *tok = fl_sql_cursor_peek(cur);
  const fl_token *next = fl_sql_cursor_peek_at(cur, 1);
  if (tok->kind == FL_TOK_IDENT) {
    if (tok->kw == FL_KW_WATERMARK && next->kind == FL_TOK_IDENT && next->kw == FL_KW_FOR)
      return parse_watermark(sp);
    if (tok->kw == FL_KW_PRIMARY) return parse_primary_key(sp);
    if (tok->kw == FL_KW_CONSTRAINT || tok->kw == FL_KW_CHECK) return parse_table_check(sp);
  }
  return fl_sql_parse_column_into_at(cur, &sp->cols);
}

/* ---- WITH options ---- */

#define OPTION_NAMES                                                                              \
  "dedupe_ttl, late_policy, log_compression, log_compression_level, partitioned_by, partitions, " \
  "retention or unknown_fields"

static fl_code parse_options(stream_parse *sp) {
  fl_sql_cursor *cur = sp->cur;
  fl_sql_stream *st = sp->st;
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN)) return fl_sql_cursor_expected(cur, "'(' after WITH");
  uint32_t cap = 8, n = 0;
  fl_sql_option *opts = fl_arena_alloc(cur->arena, cap * sizeof *opts);
  const fl_token **vtoks = fl_arena_alloc(cur->arena, cap * sizeof *vtoks);
  for (;;) {
    if (n == cap) {
      if (n >= 1024) return fl_sql_cursor_error_at(cur, fl_sql_cursor_peek(cur), "more than 1024 options");
      fl_sql_option *grown = fl_arena_alloc(cur->arena, 2 * cap * sizeof *grown);
      const fl_token **grown_toks = fl_arena_alloc(cur->arena, 2 * cap * sizeof *grown_toks);
      memcpy(grown, opts, n * sizeof *opts);
      memcpy(grown_toks, vtoks, n * sizeof *vtoks);
      opts = grown;
      vtoks = grown_toks;
      cap *= 2;
    }
    fl_sql_option *opt = &opts[n];
    const fl_token *ktok = fl_sql_cursor_peek(cur);
    opt->line = ktok->line;
    opt->col = ktok->col;
    if (ktok->kind == FL_TOK_STRING) {
      char *key = fl_sql_token_string(cur, ktok);
      for (char *c = key; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
      opt->key = key;
      fl_sql_cursor_next(cur);
    } else if (ktok->kind == FL_TOK_IDENT || ktok->kind == FL_TOK_QIDENT) {
      opt->key = fl_sql_token_ident(cur, ktok);
      fl_sql_cursor_next(cur);
    } else {
      return fl_sql_cursor_expected(cur, "an option name (" OPTION_NAMES ")");
    }
    for (uint32_t i = 0; i < n; i++)
      if (strcmp(opts[i].key, opt->key) == 0)
        return fl_sql_cursor_error_at(cur, ktok, "option '%s' given twice (first at line %u, column %u)",
                                      opt->key, opts[i].line, opts[i].col);
    if (!fl_sql_cursor_accept(cur, FL_TOK_EQ))
      return fl_sql_cursor_expected(cur, "'=' after option %s", opt->key);
    const fl_token *vtok = fl_sql_cursor_peek(cur);
    if (vtok->kind == FL_TOK_STRING)
      opt->value = fl_sql_token_string(cur, vtok);
    else if (vtok->kind == FL_TOK_NUMBER ||
             (vtok->kind == FL_TOK_IDENT && (vtok->kw == FL_KW_TRUE || vtok->kw == FL_KW_FALSE)))
      opt->value = fl_arena_strndup(cur->arena, cur->src + vtok->off, vtok->len);
    else
      return fl_sql_cursor_expected(cur, "a value for option %s (a string or a number)", opt->key);
    fl_sql_cursor_next(cur);
    vtoks[n] = vtok;
    n++;
    if (fl_sql_cursor_accept(cur, FL_TOK_COMMA)) continue;
    if (fl_sql_cursor_accept(cur, FL_TOK_RPAREN)) break;
    return fl_sql_cursor_expected(cur, "',' or ')' after option %s", opt->key);
  }
  st->options = opts;
  st->noptions = n;
  sp->opt_value_toks = vtoks;
  return FL_OK;
}

/* A nested parser's "line A, column B: msg" moved to where the string token sits in the
 * statement: line 1 of the string starts after its quote; later lines keep their columns. */
static fl_code reposition(fl_sql_cursor *cur, const fl_token *vtok, const char *key) {
  unsigned a = 0, b = 0;
  int used = 0;
  char rest[FL_ERR_MSG_MAX];
  if (sscanf(cur->err->msg, "line %u, column %u: %n", &a, &b, &used) == 2 && used > 0) {
    snprintf(rest, sizeof rest, "%s", cur->err->msg + used);
    pos at = a <= 1 ? (pos){vtok->line, vtok->col + b} : (pos){vtok->line + a - 1, b};
    return error_at(cur, at, "%s: %s", key, rest);
  }
  snprintf(rest, sizeof rest, "%s", cur->err->msg);
  return error_at(cur, tok_pos(vtok), "%s: %s", key, rest);
}

static fl_code option_interval(stream_parse *sp, uint32_t i, int64_t *us) {
  fl_sql_cursor *cur = sp->cur;
  const fl_sql_option *opt = &sp->st->options[i];
  const fl_token *vtok = sp->opt_value_toks[i];
  fl_err ierr;
  if (vtok->kind != FL_TOK_STRING)
    return error_at(cur, tok_pos(vtok), "%s must be an interval string such as '1 hour', found %s", opt->key,
                    opt->value);
  if (fl_sql_interval_parse(opt->value, strlen(opt->value), us, &ierr))
    return error_at(cur, tok_pos(vtok), "%s: %s", opt->key, ierr.msg);
  if (*us <= 0) return error_at(cur, tok_pos(vtok), "%s must be positive, found '%s'", opt->key, opt->value);
  return FL_OK;
}

static bool type_in(fl_type_kind k, const fl_type_kind *kinds, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (kinds[i] == k) return true;
  return false;
}

/* partitioned_by = 'day(event_time), tenant_id': the spec, its columns and their types. */
static fl_code option_partition(stream_parse *sp, uint32_t i) {
  fl_sql_cursor *cur = sp->cur;
  fl_sql_stream *st = sp->st;
  const fl_sql_option *opt = &st->options[i];
  const fl_token *vtok = sp->opt_value_toks[i];
  if (vtok->kind != FL_TOK_STRING)
    return error_at(cur, tok_pos(vtok), "partitioned_by must be a string such as 'day(event_time)', found %s",
                    opt->value);
  if (fl_sql_parse_partition(opt->value, strlen(opt->value), cur->arena, &st->partition, &st->npartition,
                             cur->err))
    return reposition(cur, vtok, opt->key);
  static const fl_type_kind time_kinds[] = {FL_T_DATE, FL_T_TIMESTAMP};
  static const fl_type_kind bucket_kinds[] = {FL_T_INT,  FL_T_BIGINT,    FL_T_DECIMAL,
                                              FL_T_DATE, FL_T_TIMESTAMP, FL_T_STRING};
  static const fl_type_kind truncate_kinds[] = {FL_T_INT, FL_T_BIGINT, FL_T_DECIMAL, FL_T_STRING};
  for (uint32_t k = 0; k < st->npartition; k++) {
    const fl_sql_partition_item *item = &st->partition[k];
    pos at = item->line <= 1 ? (pos){vtok->line, vtok->col + item->col}
                             : (pos){vtok->line + item->line - 1, item->col};
    int c = column_index(&sp->cols, item->column);
    if (c < 0) return error_at(cur, at, "partitioned_by: unknown column '%s'", item->column);
    fl_type_kind kind = sp->cols.cols[c].type.kind;
    const char *t = item->transform;
    bool ok = true;
    const char *need = NULL;
    if (!strcmp(t, "hour")) {
      ok = kind == FL_T_TIMESTAMP;
      need = "a TIMESTAMP";
    } else if (!strcmp(t, "year") || !strcmp(t, "month") || !strcmp(t, "day")) {
      ok = type_in(kind, time_kinds, 2);
      need = "a DATE or TIMESTAMP";
    } else if (!strcmp(t, "bucket")) {
      ok = type_in(kind, bucket_kinds, sizeof bucket_kinds / sizeof bucket_kinds[0]);
      need = "an INT, BIGINT, DECIMAL, DATE, TIMESTAMP or STRING";
    } else if (!strcmp(t, "truncate")) {
      ok = type_in(kind, truncate_kinds, sizeof truncate_kinds / sizeof truncate_kinds[0]);
      need = "an INT, BIGINT, DECIMAL or STRING";
    } else {
      ok = kind != FL_T_JSON && kind != FL_T_FLOAT && kind != FL_T_DOUBLE;
      need = "a column that is not REAL, DOUBLE or JSON";
    }
    if (!ok) {
      char type[32];
      fl_sql_type_format(sp->cols.cols[c].type, type, sizeof type);
      return error_at(cur, at, "partitioned_by: %s(%s) needs %s column, '%s' is %s", t, item->column, need,
                      item->column, type);
    }
  }
  st->partitioned_by = opt->value;
  return FL_OK;
}

static fl_code check_options(stream_parse *sp) {
  fl_sql_cursor *cur = sp->cur;
  fl_sql_stream *st = sp->st;
  int64_t none_at = -1, level_at = -1; /* the log_compression options, to check them together */
  for (uint32_t i = 0; i < st->noptions; i++) {
    const fl_sql_option *opt = &st->options[i];
    const fl_token *vtok = sp->opt_value_toks[i];
    pos key_at = {opt->line, opt->col};
    fl_code code = FL_OK;
    if (!strcmp(opt->key, "dedupe_ttl")) {
      code = option_interval(sp, i, &st->dedupe_ttl_us);
      if (!code && st->npk == 0)
        return error_at(cur, key_at,
                        "dedupe_ttl needs a PRIMARY KEY (...) NOT ENFORCED: the key to deduplicate on");
    } else if (!strcmp(opt->key, "late_policy")) {
      if (!strcmp(opt->value, "keep"))
        st->late_policy = FL_SQL_LATE_KEEP;
      else if (!strcmp(opt->value, "side"))
        st->late_policy = FL_SQL_LATE_SIDE;
      else
        return error_at(cur, tok_pos(vtok), "late_policy must be 'keep' or 'side', found '%.60s'",
                        opt->value);
    } else if (!strcmp(opt->key, "log_compression")) {
      if (strcmp(opt->value, "lz4") && strcmp(opt->value, "zstd") && strcmp(opt->value, "none"))
        return error_at(cur, tok_pos(vtok), "log_compression must be 'lz4', 'zstd' or 'none', found '%.60s'",
                        opt->value);
      st->log_compression = opt->value;
      none_at = i;
    } else if (!strcmp(opt->key, "log_compression_level")) {
      level_at = i;
      int64_t v = 0;
      if (!fl_sql_token_int(cur, vtok, &v) || v < 0 || v > FL_SQL_STREAM_LOG_COMPRESSION_MAX) {
        char *end = NULL;
        long long sv = strtoll(opt->value, &end, 10);
        bool digits = opt->value[0] >= '0' && opt->value[0] <= '9' && end && *end == 0;
        if (!digits || sv < 0 || sv > FL_SQL_STREAM_LOG_COMPRESSION_MAX)
          return error_at(cur, tok_pos(vtok),
                          "log_compression_level must be an integer from 0 (off) to %d, found %.60s",
                          FL_SQL_STREAM_LOG_COMPRESSION_MAX, opt->value);
        v = sv;
      }
      st->log_compression_level = (int32_t)v;
    } else if (!strcmp(opt->key, "partitioned_by")) {
      code = option_partition(sp, i);
    } else if (!strcmp(opt->key, "partitions")) {
      int64_t v = 0;
      if (!fl_sql_token_int(cur, vtok, &v) || v < 1 || v > FL_SQL_STREAM_PARTITIONS_MAX) {
        char *end = NULL;
        long long sv = strtoll(opt->value, &end, 10);
        bool digits = opt->value[0] >= '0' && opt->value[0] <= '9' && end && *end == 0;
        if (!digits || sv < 1 || sv > FL_SQL_STREAM_PARTITIONS_MAX)
          return error_at(cur, tok_pos(vtok), "partitions must be an integer from 1 to %d, found %.60s",
                          FL_SQL_STREAM_PARTITIONS_MAX, opt->value);
        v = sv;
      }
      st->partitions = (uint32_t)v;
    } else if (!strcmp(opt->key, "retention")) {
      code = option_interval(sp, i, &st->retention_us);
    } else if (!strcmp(opt->key, "unknown_fields")) {
      if (!strcmp(opt->value, "ignore"))
        st->unknown_fields_reject = false;
      else if (!strcmp(opt->value, "reject"))
        st->unknown_fields_reject = true;
      else
        return error_at(cur, tok_pos(vtok), "unknown_fields must be 'ignore' or 'reject', found '%.60s'",
                        opt->value);
    } else {
      return error_at(cur, key_at, "unknown stream option '%.63s' (expected " OPTION_NAMES ")", opt->key);
    }
    if (code) return code;
  }
  if (none_at >= 0 && level_at >= 0 && !strcmp(st->log_compression, "none") &&
      st->log_compression_level > 0) {
    const fl_sql_option *opt = &st->options[level_at];
    return error_at(cur, (pos){opt->line, opt->col},
                    "log_compression_level = %d contradicts log_compression = 'none' (level 0 or no level)",
                    (int)st->log_compression_level);
  }
  return FL_OK;
}

/* ---- checks after the item list ---- */

static fl_code check_primary_key(stream_parse *sp) {
  fl_sql_stream *st = sp->st;
  if (st->npk == 0) return FL_OK;
  st->primary_key_index = fl_arena_alloc(sp->cur->arena, st->npk * sizeof *st->primary_key_index);
  for (uint32_t i = 0; i < st->npk; i++) {
    int c = column_index(&sp->cols, st->primary_key[i]);
    if (c < 0)
      return error_at(sp->cur, tok_pos(sp->pk_toks[i]),
                      "PRIMARY KEY column '%s' is not a column of the stream", st->primary_key[i]);
    fl_sql_column *col = &sp->cols.cols[c];
    fl_type_kind k = col->type.kind;
    if (k == FL_T_FLOAT || k == FL_T_DOUBLE || k == FL_T_JSON) {
      char type[32];
      fl_sql_type_format(col->type, type, sizeof type);
      return error_at(sp->cur, tok_pos(sp->pk_toks[i]),
                      "PRIMARY KEY column '%s' is %s: a key column must not be REAL, DOUBLE or JSON",
                      col->name, type);
    }
    col->not_null = true; /* as PostgreSQL: key columns are NOT NULL */
    st->primary_key_index[i] = (uint32_t)c;
  }
  return FL_OK;
}

static fl_code check_watermark(stream_parse *sp) {
  fl_sql_stream *st = sp->st;
  st->watermark_index = -1;
  if (!sp->wm_tok) return FL_OK;
  const char *name = st->watermark_column;
  int c = column_index(&sp->cols, name);
  if (c < 0) return error_at(sp->cur, tok_pos(sp->wm_col_tok), "WATERMARK FOR unknown column '%s'", name);
  if (sp->cols.cols[c].type.kind != FL_T_TIMESTAMP) {
    char type[32];
    fl_sql_type_format(sp->cols.cols[c].type, type, sizeof type);
    return error_at(sp->cur, tok_pos(sp->wm_col_tok), "WATERMARK column '%s' is %s, not TIMESTAMP", name,
                    type);
  }
  const fl_sql_expr *e = sp->wm_expr;
  bool is_col = e->kind == FL_SQL_E_COLUMN && !e->qualifier && strcmp(e->name, name) == 0;
  bool is_minus = e->kind == FL_SQL_E_BINARY && e->op == FL_SQL_OP_SUB &&
                  e->args[0]->kind == FL_SQL_E_COLUMN && !e->args[0]->qualifier &&
                  strcmp(e->args[0]->name, name) == 0 && e->args[1]->kind == FL_SQL_E_LITERAL &&
                  e->args[1]->lit == FL_SQL_LIT_INTERVAL;
  if (!is_col && !is_minus)
    return error_at(
        sp->cur, (pos){e->line, e->col},
        "the watermark must be %s or %s - INTERVAL '...' (the largest delay an event may arrive with)", name,
        name);
  if (is_minus && (e->args[1]->interval_us < 0 || e->args[1]->interval_months))
    return error_at(sp->cur, (pos){e->args[1]->line, e->args[1]->col},
                    "the watermark delay must not be negative");
  st->watermark_index = c;
  st->watermark_delay_us = is_minus ? e->args[1]->interval_us : 0;
  return FL_OK;
}

static void build_schema(stream_parse *sp) {
  fl_sql_stream *st = sp->st;
  fl_schema *schema = &st->schema;
  schema->schema_id = 0;
  schema->nfields = st->ncols;
  schema->fields = fl_arena_calloc(sp->cur->arena, st->ncols, sizeof *schema->fields);
  for (uint32_t i = 0; i < st->ncols; i++) {
    schema->fields[i].id = (int32_t)i + 1;
    schema->fields[i].name = st->cols[i].name;
    schema->fields[i].type = st->cols[i].type;
    schema->fields[i].required = st->cols[i].not_null;
  }
  schema->nidentifier = st->npk;
  if (st->npk) {
    schema->identifier_ids = fl_arena_alloc(sp->cur->arena, st->npk * sizeof *schema->identifier_ids);
    for (uint32_t i = 0; i < st->npk; i++) schema->identifier_ids[i] = (int32_t)st->primary_key_index[i] + 1;
  }
}

static fl_code bind_check(stream_parse *sp, fl_sql_check *chk) {
  fl_code code = fl_sql_expr_bind(chk->expr, &sp->st->schema, sp->cur->err);
  if (code) return code;
  const fl_sql_expr *e = chk->expr;
  if (e->rtype == FL_SQL_RT_VALUE && e->type.kind == FL_T_BOOLEAN) return FL_OK;
  char type[32];
  if (e->rtype == FL_SQL_RT_NULL)
    snprintf(type, sizeof type, "NULL");
  else if (e->rtype == FL_SQL_RT_INTERVAL)
    snprintf(type, sizeof type, "INTERVAL");
  else
    fl_sql_type_format(e->type, type, sizeof type);
  return error_at(sp->cur, (pos){e->line, e->col}, "CHECK must be a BOOLEAN expression, found %s", type);
}

static int kind_class(fl_type_kind k) {
  switch (k) {
    case FL_T_INT:
    case FL_T_BIGINT:
    case FL_T_FLOAT:
    case FL_T_DOUBLE:
    case FL_T_DECIMAL: return 1;
    case FL_T_STRING:
    case FL_T_JSON: return 2;
    case FL_T_BOOLEAN: return 3;
    case FL_T_DATE:
    case FL_T_TIMESTAMP: return 4;
    case FL_T_TIME: return 5;
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: return 6;
    case FL_T_TIMESTAMP_NS: return 0;
  }
  return 0;
}

/* DEFAULT: bound, and of the column's kind of type (numbers for numbers, ...) or NULL. */
static fl_code bind_default(stream_parse *sp, uint32_t index) {
  const fl_sql_column *col = &sp->st->cols[index];
  fl_sql_expr *e = col->default_expr;
  fl_code code = fl_sql_expr_bind(e, &sp->st->schema, sp->cur->err);
  if (code) return code;
  bool fits = e->rtype == FL_SQL_RT_NULL ||
              (e->rtype == FL_SQL_RT_VALUE && kind_class(e->type.kind) == kind_class(col->type.kind));
  if (fits) { /* the constant the parser fills absent fields with */
    fl_sql_stream *st = sp->st;
    if (!st->defaults) {
      st->defaults = fl_arena_calloc(sp->cur->arena, st->ncols, sizeof *st->defaults);
      for (uint32_t i = 0; i < st->ncols; i++) st->defaults[i].is_null = true;
    }
    code = fl_sql_default_value(e, &st->schema.fields[index], &st->defaults[index], sp->cur->err);
    if (code) sp->cur->err->code = FL_EPARSE; /* every CREATE STREAM error is a parse error */
    return code ? FL_EPARSE : FL_OK;
  }
  char have[32], want[32];
  if (e->rtype == FL_SQL_RT_INTERVAL)
    snprintf(have, sizeof have, "INTERVAL");
  else
    fl_sql_type_format(e->type, have, sizeof have);
  fl_sql_type_format(col->type, want, sizeof want);
  return error_at(sp->cur, (pos){e->line, e->col}, "DEFAULT for column '%s' is %s, not a value for %s",
                  col->name, have, want);
}

/* Column CHECKs (in column order), then table CHECKs; each bound and BOOLEAN. DEFAULTs
 * are bound too, so an unknown name in one fails here. */
static fl_code check_checks(stream_parse *sp) {
  fl_sql_stream *st = sp->st;
  uint32_t n = sp->nchecks;
  for (uint32_t i = 0; i < st->ncols; i++) n += st->cols[i].check != NULL;
  st->checks = n ? fl_arena_alloc(sp->cur->arena, n * sizeof *st->checks) : NULL;
  uint32_t k = 0;
  for (uint32_t i = 0; i < st->ncols; i++) {
    const fl_sql_column *col = &st->cols[i];
    if (col->default_expr) {
      fl_code code = bind_default(sp, i);
      if (code) return code;
    }
    if (!col->check) continue;
    fl_sql_check *chk = &st->checks[k++];
    memset(chk, 0, sizeof *chk);
    chk->column = (int32_t)i;
    chk->sql = col->check_sql;
    chk->expr = col->check;
    chk->line = col->check->line;
    chk->col = col->check->col;
    fl_code code = bind_check(sp, chk);
    if (code) return code;
  }
  for (uint32_t i = 0; i < sp->nchecks; i++) {
    st->checks[k] = sp->checks[i];
    fl_code code = bind_check(sp, &st->checks[k++]);
    if (code) return code;
  }
  st->nchecks = k;
  return FL_OK;
}

/* ---- the statement ---- */

static fl_code parse_statement(stream_parse *sp) {
  fl_sql_cursor *cur = sp->cur;
  fl_sql_stream *st = sp->st;
  const fl_token *create = fl_sql_cursor_peek(cur);
  st->line = create->line;
  st->col = create->col;
  if (!fl_sql_cursor_accept_kw(cur, FL_KW_CREATE)) return fl_sql_cursor_expected(cur, "CREATE STREAM");
  if (!fl_sql_cursor_accept_kw(cur, FL_KW_STREAM)) return fl_sql_cursor_expected(cur, "STREAM after CREATE");
  if (fl_sql_cursor_at_kw(cur, FL_KW_IF)) {
    fl_sql_cursor_next(cur);
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_NOT)) return fl_sql_cursor_expected(cur, "NOT EXISTS after IF");
    if (!fl_sql_cursor_accept_kw(cur, FL_KW_EXISTS))
      return fl_sql_cursor_expected(cur, "EXISTS after IF NOT");
    st->if_not_exists = true;
  }
  fl_code code = fl_sql_parse_name_at(cur, "a stream name", &st->name);
  if (code) return code;
  if (!fl_sql_cursor_accept(cur, FL_TOK_LPAREN))
    return fl_sql_cursor_expected(cur, "'(' and the columns of stream %s", st->name);
  for (;;) {
    code = parse_item(sp);
    if (code) return code;
    if (fl_sql_cursor_accept(cur, FL_TOK_COMMA)) continue;
    if (fl_sql_cursor_accept(cur, FL_TOK_RPAREN)) break;
    return fl_sql_cursor_expected(cur, "',' or ')' in CREATE STREAM %s (...)", st->name);
  }
  if (sp->cols.n == 0)
    return error_at(cur, tok_pos(create), "stream %s has no columns (at least one is needed)", st->name);
  if (fl_sql_cursor_accept_kw(cur, FL_KW_WITH)) {
    code = parse_options(sp);
    if (code) return code;
  }
  fl_sql_cursor_accept(cur, FL_TOK_SEMI);
  if (!fl_sql_cursor_at(cur, FL_TOK_EOF))
    return fl_sql_cursor_expected(cur, "end of input after CREATE STREAM %s (one statement per file)",
                                  st->name);
  st->cols = sp->cols.cols;
  st->ncols = sp->cols.n;
  code = check_primary_key(sp);
  if (!code) code = check_watermark(sp);
  if (code) return code;
  build_schema(sp);
  code = check_checks(sp);
  if (!code) code = check_options(sp);
  return code;
}

fl_code fl_sql_parse_create_stream(const char *text, size_t len, fl_arena *arena, fl_sql_stream **out,
                                   fl_err *err) {
  *out = NULL;
  fl_sql_cursor cur;
  fl_code code = fl_sql_cursor_init(&cur, text, len, arena, err);
  if (code) return code;
  fl_sql_stream *st = fl_arena_calloc(arena, 1, sizeof *st);
  st->watermark_index = -1;
  st->log_compression_level = -1;
  stream_parse sp = {.cur = &cur, .st = st};
  code = parse_statement(&sp);
  if (code) return code;
  *out = st;
  return FL_OK;
}
