/* lexer.c: floe SQL tokens (lexer.h) and the token cursor parsers share.
 *
 * What: fl_lexer_next() scans one token at a time over a byte buffer; the cursor
 * (fl_sql_cursor_init) runs it over a whole statement into an arena array ending in
 * FL_TOK_EOF, so recursive-descent parsers can peek any distance ahead without
 * re-scanning. Errors carry "line L, column C: " built from the token position.
 *
 * Why a separate pass: statements are short (<= FL_SQL_TEXT_MAX), a token is 24 bytes,
 * and a flat array makes backtracking (e.g. telling "WATERMARK FOR" from a column named
 * watermark) a matter of resetting an index.
 *
 * Rules (PostgreSQL's unless noted): unquoted identifiers are letters, digits, '_' and '$'
 * (not first) and any non-ASCII byte, folded to lower case when taken as names; "quoted"
 * identifiers keep case, "" is a quote, empty is an error; strings are '...' with ''
 * for a quote (no backslash escapes); block comments nest; a number directly followed by
 * a letter is an error ("trailing junk"), as in PostgreSQL 15.
 *
 * Ownership: tokens point into the caller's source; arena copies come from the cursor's
 * arena. Nothing is freed here. */
#include "sql/lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"

static const char *const kw_names[FL_KW_COUNT] = {[FL_KW_NONE] = "",
#define KW_NAME(name, cls) [FL_KW_##name] = #name,
                                                  FL_SQL_KEYWORDS(KW_NAME)
#undef KW_NAME
};

static const bool kw_reserved[FL_KW_COUNT] = {[FL_KW_NONE] = false,
#define KW_RES(name, cls) [FL_KW_##name] = (#cls[0] == 'R'),
                                              FL_SQL_KEYWORDS(KW_RES)
#undef KW_RES
};

static const char *const kind_names[FL_TOK_KIND_COUNT] = {
    [FL_TOK_EOF] = "end of input", [FL_TOK_IDENT] = "identifier", [FL_TOK_QIDENT] = "quoted identifier",
    [FL_TOK_STRING] = "string",    [FL_TOK_NUMBER] = "number",    [FL_TOK_PARAM] = "parameter",
    [FL_TOK_LPAREN] = "'('",       [FL_TOK_RPAREN] = "')'",       [FL_TOK_LBRACKET] = "'['",
    [FL_TOK_RBRACKET] = "']'",     [FL_TOK_LBRACE] = "'{'",       [FL_TOK_RBRACE] = "'}'",
    [FL_TOK_COMMA] = "','",        [FL_TOK_SEMI] = "';'",         [FL_TOK_DOT] = "'.'",
    [FL_TOK_PLUS] = "'+'",         [FL_TOK_MINUS] = "'-'",        [FL_TOK_STAR] = "'*'",
    [FL_TOK_SLASH] = "'/'",        [FL_TOK_PERCENT] = "'%'",      [FL_TOK_CARET] = "'^'",
    [FL_TOK_EQ] = "'='",           [FL_TOK_NE] = "'<>'",          [FL_TOK_LT] = "'<'",
    [FL_TOK_LE] = "'<='",          [FL_TOK_GT] = "'>'",           [FL_TOK_GE] = "'>='",
    [FL_TOK_CONCAT] = "'||'",      [FL_TOK_CAST] = "'::'",        [FL_TOK_COLON] = "':'",
    [FL_TOK_ARROW] = "'->'",       [FL_TOK_ARROW2] = "'->>'",     [FL_TOK_TILDE] = "'~'",
    [FL_TOK_AMP] = "'&'",          [FL_TOK_PIPE] = "'|'",         [FL_TOK_SHL] = "'<<'",
    [FL_TOK_SHR] = "'>>'",
};

const char *fl_tok_kind_name(fl_tok_kind kind) {
  FL_ASSERT((unsigned)kind < FL_TOK_KIND_COUNT);
  return kind_names[kind];
}

const char *fl_kw_name(fl_kw kw) {
  FL_ASSERT((unsigned)kw < FL_KW_COUNT);
  return kw_names[kw];
}

bool fl_kw_is_reserved(fl_kw kw) { return (unsigned)kw < FL_KW_COUNT && kw_reserved[kw]; }

static inline char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c; }
static inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

fl_kw fl_kw_lookup(const char *s, size_t n) {
  char up[16];
  if (n == 0 || n >= sizeof up) return FL_KW_NONE;
  for (size_t i = 0; i < n; i++) up[i] = ascii_upper(s[i]);
  up[n] = 0;
  int lo = 1, hi = FL_KW_COUNT - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    int c = strcmp(up, kw_names[mid]);
    if (c == 0) return (fl_kw)mid;
    if (c < 0)
      hi = mid - 1;
    else
      lo = mid + 1;
  }
  return FL_KW_NONE;
}

void fl_lexer_init(fl_lexer *lx, const char *src, size_t len) {
  lx->src = src;
  lx->len = len;
  lx->pos = 0;
  lx->line = 1;
  lx->col = 1;
}

static inline bool is_ident_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
static inline bool is_ident_char(unsigned char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}
static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Moves one byte forward, keeping line and column (columns count code points, so
 * UTF-8 continuation bytes do not advance them). */
static inline void step(fl_lexer *lx) {
  unsigned char c = (unsigned char)lx->src[lx->pos++];
  if (c == '\n') {
    lx->line++;
    lx->col = 1;
  } else if ((c & 0xC0) != 0x80) {
    lx->col++;
  }
}

static inline int peek_byte(const fl_lexer *lx, size_t k) {
  return lx->pos + k < lx->len ? (unsigned char)lx->src[lx->pos + k] : -1;
}

static fl_code lex_error(fl_err *err, uint32_t line, uint32_t col, const char *msg) {
  return fl_err_set(err, FL_EPARSE, "line %u, column %u: %s", line, col, msg);
}

/* Skips blanks and comments. Fails only on an unterminated block comment. */
static fl_code skip_space(fl_lexer *lx, fl_err *err) {
  for (;;) {
    int c = peek_byte(lx, 0);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      step(lx);
    } else if (c == '-' && peek_byte(lx, 1) == '-') {
      while (lx->pos < lx->len && lx->src[lx->pos] != '\n') step(lx);
    } else if (c == '/' && peek_byte(lx, 1) == '*') {
      uint32_t line = lx->line, col = lx->col;
      size_t depth = 0;
      do {
        if (lx->pos >= lx->len) return lex_error(err, line, col, "unterminated /* comment");
        if (peek_byte(lx, 0) == '/' && peek_byte(lx, 1) == '*') {
          depth++;
          step(lx);
        } else if (peek_byte(lx, 0) == '*' && peek_byte(lx, 1) == '/') {
          depth--;
          step(lx);
        }
        step(lx);
      } while (depth > 0);
    } else {
      return FL_OK;
    }
  }
}

/* A quoted run ('...' or "..."), the quote doubled inside. On entry pos is at the
 * opening quote. */
static bool scan_quoted(fl_lexer *lx, char q) {
  step(lx);
  for (;;) {
    if (lx->pos >= lx->len) return false;
    if (lx->src[lx->pos] == q) {
      step(lx);
      if (peek_byte(lx, 0) != q) return true;
    }
    step(lx);
  }
}

static fl_code scan_number(fl_lexer *lx, fl_token *tok, fl_err *err) {
  while (is_digit((unsigned char)peek_byte(lx, 0))) step(lx);
  if (peek_byte(lx, 0) == '.' && peek_byte(lx, 1) != '.') {
    step(lx);
    while (is_digit((unsigned char)peek_byte(lx, 0))) step(lx);
  }
  int e = peek_byte(lx, 0);
  if (e == 'e' || e == 'E') {
    int s = peek_byte(lx, 1);
    size_t k = (s == '+' || s == '-') ? 2 : 1;
    if (is_digit((unsigned char)peek_byte(lx, k))) {
      while (k--) step(lx);
      while (is_digit((unsigned char)peek_byte(lx, 0))) step(lx);
    }
  }
  int c = peek_byte(lx, 0);
  if (c >= 0 && is_ident_char((unsigned char)c)) {
    size_t start = tok->off;
    while (lx->pos < lx->len && is_ident_char((unsigned char)lx->src[lx->pos])) step(lx);
    return fl_err_set(err, FL_EPARSE, "line %u, column %u: trailing junk after number '%.*s'", tok->line,
                      tok->col, (int)(lx->pos - start > 40 ? 40 : lx->pos - start), lx->src + start);
  }
  tok->kind = FL_TOK_NUMBER;
  return FL_OK;
}

/* Operators: the longest match among the table, first char first. */
static bool scan_operator(fl_lexer *lx, fl_token *tok) {
  static const struct {
    const char *text;
    fl_tok_kind kind;
  } ops[] = {
      {"->>", FL_TOK_ARROW2}, {"->", FL_TOK_ARROW},   {"<=", FL_TOK_LE},      {">=", FL_TOK_GE},
      {"<>", FL_TOK_NE},      {"!=", FL_TOK_NE},      {"==", FL_TOK_EQ},      {"||", FL_TOK_CONCAT},
      {"::", FL_TOK_CAST},    {"<<", FL_TOK_SHL},     {">>", FL_TOK_SHR},     {"(", FL_TOK_LPAREN},
      {")", FL_TOK_RPAREN},   {"[", FL_TOK_LBRACKET}, {"]", FL_TOK_RBRACKET}, {"{", FL_TOK_LBRACE},
      {"}", FL_TOK_RBRACE},   {",", FL_TOK_COMMA},    {";", FL_TOK_SEMI},     {".", FL_TOK_DOT},
      {"+", FL_TOK_PLUS},     {"-", FL_TOK_MINUS},    {"*", FL_TOK_STAR},     {"/", FL_TOK_SLASH},
      {"%", FL_TOK_PERCENT},  {"^", FL_TOK_CARET},    {"=", FL_TOK_EQ},       {"<", FL_TOK_LT},
      {">", FL_TOK_GT},       {":", FL_TOK_COLON},    {"~", FL_TOK_TILDE},    {"&", FL_TOK_AMP},
      {"|", FL_TOK_PIPE},     {"?", FL_TOK_PARAM},
  };
  size_t left = lx->len - lx->pos;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    size_t n = strlen(ops[i].text);
    if (n <= left && memcmp(lx->src + lx->pos, ops[i].text, n) == 0) {
      for (size_t k = 0; k < n; k++) step(lx);
      tok->kind = ops[i].kind;
      return true;
    }
  }
  return false;
}

fl_code fl_lexer_next(fl_lexer *lx, fl_token *tok, fl_err *err) {
  fl_code code = skip_space(lx, err);
  if (code) return code;
  memset(tok, 0, sizeof *tok);
  tok->off = (uint32_t)lx->pos;
  tok->line = lx->line;
  tok->col = lx->col;
  int c = peek_byte(lx, 0);
  if (c < 0) {
    tok->kind = FL_TOK_EOF;
  } else if (is_ident_start((unsigned char)c)) {
    while (lx->pos < lx->len && is_ident_char((unsigned char)lx->src[lx->pos])) step(lx);
    tok->kind = FL_TOK_IDENT;
    tok->kw = fl_kw_lookup(lx->src + tok->off, lx->pos - tok->off);
  } else if (is_digit((unsigned char)c) || (c == '.' && is_digit((unsigned char)peek_byte(lx, 1)))) {
    code = scan_number(lx, tok, err);
    if (code) return code;
  } else if (c == '\'') {
    if (!scan_quoted(lx, '\'')) return lex_error(err, tok->line, tok->col, "unterminated string literal");
    tok->kind = FL_TOK_STRING;
  } else if (c == '"') {
    if (!scan_quoted(lx, '"')) return lex_error(err, tok->line, tok->col, "unterminated quoted identifier");
    if (lx->pos - tok->off == 2) return lex_error(err, tok->line, tok->col, "zero-length quoted identifier");
    tok->kind = FL_TOK_QIDENT;
  } else if (c == '$' && is_digit((unsigned char)peek_byte(lx, 1))) {
    step(lx);
    while (is_digit((unsigned char)peek_byte(lx, 0))) step(lx);
    tok->kind = FL_TOK_PARAM;
  } else if (!scan_operator(lx, tok)) {
    if (c >= 0x21 && c < 0x7f)
      return fl_err_set(err, FL_EPARSE, "line %u, column %u: unexpected character '%c'", tok->line, tok->col,
                        c);
    return fl_err_set(err, FL_EPARSE, "line %u, column %u: unexpected byte 0x%02x", tok->line, tok->col, c);
  }
  tok->len = (uint32_t)(lx->pos - tok->off);
  return FL_OK;
}

/* Finds the first byte that is not valid UTF-8 (or is NUL); returns its offset or len. */
static size_t utf8_bad_at(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (c == 0) return i;
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (len - i <= n) return i;
    for (size_t k = 1; k <= n; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += n + 1;
  }
  return len;
}

fl_code fl_sql_cursor_init(fl_sql_cursor *cur, const char *src, size_t len, fl_arena *arena, fl_err *err) {
  memset(cur, 0, sizeof *cur);
  cur->src = src;
  cur->len = len;
  cur->arena = arena;
  cur->err = err;
  if (len > FL_SQL_TEXT_MAX)
    return fl_err_set(err, FL_ELIMIT, "SQL text is %zu bytes, more than the limit of %u", len,
                      (unsigned)FL_SQL_TEXT_MAX);
  size_t bad = utf8_bad_at((const unsigned char *)src, len);
  if (bad < len) {
    fl_lexer pre;
    fl_lexer_init(&pre, src, len);
    while (pre.pos < bad) step(&pre);
    return fl_err_set(err, FL_EPARSE, "line %u, column %u: %s", pre.line, pre.col,
                      src[bad] == 0 ? "unexpected byte 0x00" : "invalid UTF-8");
  }
  fl_lexer lx;
  fl_lexer_init(&lx, src, len);
  uint32_t cap = 64;
  fl_token *toks = fl_arena_alloc(arena, cap * sizeof *toks);
  uint32_t n = 0;
  for (;;) {
    if (n == cap) {
      fl_token *grown = fl_arena_alloc(arena, 2 * cap * sizeof *toks);
      memcpy(grown, toks, cap * sizeof *toks);
      toks = grown;
      cap *= 2;
    }
    fl_code code = fl_lexer_next(&lx, &toks[n], err);
    if (code) return code;
    if (toks[n++].kind == FL_TOK_EOF) break;
  }
  cur->toks = toks;
  cur->ntoks = n;
  return FL_OK;
}

const fl_token *fl_sql_cursor_peek_at(const fl_sql_cursor *cur, uint32_t k) {
  uint32_t i = cur->pos + k;
  if (i >= cur->ntoks || i < cur->pos) i = cur->ntoks - 1;
  return &cur->toks[i];
}

const fl_token *fl_sql_cursor_next(fl_sql_cursor *cur) {
  const fl_token *tok = &cur->toks[cur->pos];
  if (tok->kind != FL_TOK_EOF) cur->pos++;
  return tok;
}

bool fl_sql_cursor_at(const fl_sql_cursor *cur, fl_tok_kind kind) {
  return fl_sql_cursor_peek(cur)->kind == kind;
}

bool fl_sql_cursor_at_kw(const fl_sql_cursor *cur, fl_kw kw) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  return tok->kind == FL_TOK_IDENT && tok->kw == kw;
}

bool fl_sql_cursor_accept(fl_sql_cursor *cur, fl_tok_kind kind) {
  if (!fl_sql_cursor_at(cur, kind)) return false;
  fl_sql_cursor_next(cur);
  return true;
}

bool fl_sql_cursor_accept_kw(fl_sql_cursor *cur, fl_kw kw) {
  if (!fl_sql_cursor_at_kw(cur, kw)) return false;
  fl_sql_cursor_next(cur);
  return true;
}

/* Shows at most this much of a token in a message. */
#define TOKEN_SHOW_MAX 40

void fl_sql_token_describe(const fl_sql_cursor *cur, const fl_token *tok, char *out, size_t out_size) {
  const char *text = cur->src + tok->off;
  int n = tok->len > TOKEN_SHOW_MAX ? TOKEN_SHOW_MAX : (int)tok->len;
  const char *more = tok->len > TOKEN_SHOW_MAX ? "..." : "";
  switch (tok->kind) {
    case FL_TOK_EOF: snprintf(out, out_size, "end of input"); break;
    case FL_TOK_STRING: snprintf(out, out_size, "string %.*s%s", n, text, more); break;
    case FL_TOK_QIDENT: snprintf(out, out_size, "%.*s%s", n, text, more); break;
    default: snprintf(out, out_size, "'%.*s%s'", n, text, more); break;
  }
}

static fl_code verror_at(fl_sql_cursor *cur, const fl_token *tok, const char *suffix, const char *fmt,
                         va_list ap) {
  char msg[FL_ERR_MSG_MAX];
  vsnprintf(msg, sizeof msg, fmt, ap);
  return fl_err_set(cur->err, FL_EPARSE, "line %u, column %u: %s%s", tok->line, tok->col, msg, suffix);
}

fl_code fl_sql_cursor_error_at(fl_sql_cursor *cur, const fl_token *tok, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fl_code code = verror_at(cur, tok, "", fmt, ap);
  va_end(ap);
  return code;
}

fl_code fl_sql_cursor_expected(fl_sql_cursor *cur, const char *fmt, ...) {
  const fl_token *tok = fl_sql_cursor_peek(cur);
  char found[TOKEN_SHOW_MAX + 24], suffix[TOKEN_SHOW_MAX + 40];
  fl_sql_token_describe(cur, tok, found, sizeof found);
  snprintf(suffix, sizeof suffix, ", found %s", found);
  char what[FL_ERR_MSG_MAX / 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return fl_sql_cursor_error_at(cur, tok, "expected %s%s", what, suffix);
}

/* The text between a token's quotes with the doubled quote undone. */
static char *unquote(fl_sql_cursor *cur, const fl_token *tok, char q) {
  FL_ASSERT(tok->len >= 2);
  const char *s = cur->src + tok->off + 1;
  size_t n = tok->len - 2;
  char *out = fl_arena_alloc(cur->arena, n + 1);
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    out[j++] = s[i];
    if (s[i] == q) i++; /* the lexer guarantees quotes come in pairs inside */
  }
  out[j] = 0;
  return out;
}

char *fl_sql_token_ident(fl_sql_cursor *cur, const fl_token *tok) {
  if (tok->kind == FL_TOK_QIDENT) return unquote(cur, tok, '"');
  FL_ASSERT(tok->kind == FL_TOK_IDENT, "token kind %d", tok->kind);
  char *out = fl_arena_strndup(cur->arena, cur->src + tok->off, tok->len);
  for (uint32_t i = 0; i < tok->len; i++) out[i] = ascii_lower(out[i]);
  return out;
}

char *fl_sql_token_string(fl_sql_cursor *cur, const fl_token *tok) {
  FL_ASSERT(tok->kind == FL_TOK_STRING, "token kind %d", tok->kind);
  return unquote(cur, tok, '\'');
}

bool fl_sql_token_int(const fl_sql_cursor *cur, const fl_token *tok, int64_t *v) {
  if (tok->kind != FL_TOK_NUMBER) return false;
  const char *s = cur->src + tok->off;
  uint64_t acc = 0;
  for (uint32_t i = 0; i < tok->len; i++) {
    if (!is_digit((unsigned char)s[i])) return false;
    uint64_t d = (uint64_t)(s[i] - '0');
    if (acc > ((uint64_t)INT64_MAX - d) / 10) return false;
    acc = acc * 10 + d;
  }
  *v = (int64_t)acc;
  return true;
}

bool fl_sql_token_word_is(const fl_sql_cursor *cur, const fl_token *tok, const char *word) {
  if (tok->kind != FL_TOK_IDENT) return false;
  size_t n = strlen(word);
  if (n != tok->len) return false;
  const char *s = cur->src + tok->off;
  for (size_t i = 0; i < n; i++)
    if (ascii_lower(s[i]) != ascii_lower(word[i])) return false;
  return true;
}
