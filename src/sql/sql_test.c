/* sql_test: the lexer, the column-list parser and the partition-spec parser: every
 * type, constraints, CHECK capture, names, comments, and each error's exact message.
 * Expressions: expr_test.c; CREATE STREAM: stream_test.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "sql/lexer.h"
#include "sql/sql.h"
#include "sql/sql_int.h"

static fl_arena arena;

static void setup(void) { fl_arena_init(&arena, 4096); }
static void teardown(void) { fl_arena_destroy(&arena); }

TestSuite(sql_lexer, .init = setup, .fini = teardown);
TestSuite(sql_columns, .init = setup, .fini = teardown);
TestSuite(sql_partition, .init = setup, .fini = teardown);

static fl_sql_cursor tokenize(const char *text) {
  fl_sql_cursor cur;
  fl_err err = {0};
  fl_code rc = fl_sql_cursor_init(&cur, text, strlen(text), &arena, &err);
  cr_assert_eq(rc, FL_OK, "tokenize '%s': %s", text, err.msg);
  return cur;
}

static char *tok_text(const fl_sql_cursor *cur, uint32_t i) {
  return fl_arena_strndup(&arena, cur->src + cur->toks[i].off, cur->toks[i].len);
}

static void lex_fails(const char *text, const char *msg) {
  fl_sql_cursor cur;
  fl_err err = {0};
  cr_assert_eq(fl_sql_cursor_init(&cur, text, strlen(text), &arena, &err), FL_EPARSE, "lexing '%s' passed",
               text);
  cr_assert_str_eq(err.msg, msg);
}

Test(sql_lexer, keywords_are_sorted_for_binary_search) {
  for (int k = FL_KW_NONE + 2; k < FL_KW_COUNT; k++)
    cr_assert(strcmp(fl_kw_name((fl_kw)(k - 1)), fl_kw_name((fl_kw)k)) < 0, "%s before %s",
              fl_kw_name((fl_kw)(k - 1)), fl_kw_name((fl_kw)k));
  for (int k = FL_KW_NONE + 1; k < FL_KW_COUNT; k++) {
    const char *name = fl_kw_name((fl_kw)k);
    cr_assert_eq(fl_kw_lookup(name, strlen(name)), (fl_kw)k);
  }
  cr_assert_eq(fl_kw_lookup("select", 6), FL_KW_SELECT);
  cr_assert_eq(fl_kw_lookup("SeLeCt", 6), FL_KW_SELECT);
  cr_assert_eq(fl_kw_lookup("selects", 7), FL_KW_NONE);
  cr_assert_eq(fl_kw_lookup("", 0), FL_KW_NONE);
  cr_assert(fl_kw_is_reserved(FL_KW_SELECT));
  cr_assert(!fl_kw_is_reserved(FL_KW_WATERMARK));
  cr_assert(!fl_kw_is_reserved(FL_KW_NONE));
}

Test(sql_lexer, all_operators_and_punctuation) {
  const char *text = "( ) [ ] { } , ; . + - * / % ^ = == <> != < <= > >= || :: : -> ->> ~ & | << >> ? $12";
  static const fl_tok_kind want[] = {
      FL_TOK_LPAREN, FL_TOK_RPAREN,  FL_TOK_LBRACKET, FL_TOK_RBRACKET, FL_TOK_LBRACE, FL_TOK_RBRACE,
      FL_TOK_COMMA,  FL_TOK_SEMI,    FL_TOK_DOT,      FL_TOK_PLUS,     FL_TOK_MINUS,  FL_TOK_STAR,
      FL_TOK_SLASH,  FL_TOK_PERCENT, FL_TOK_CARET,    FL_TOK_EQ,       FL_TOK_EQ,     FL_TOK_NE,
      FL_TOK_NE,     FL_TOK_LT,      FL_TOK_LE,       FL_TOK_GT,       FL_TOK_GE,     FL_TOK_CONCAT,
      FL_TOK_CAST,   FL_TOK_COLON,   FL_TOK_ARROW,    FL_TOK_ARROW2,   FL_TOK_TILDE,  FL_TOK_AMP,
      FL_TOK_PIPE,   FL_TOK_SHL,     FL_TOK_SHR,      FL_TOK_PARAM,    FL_TOK_PARAM,  FL_TOK_EOF,
  };
  fl_sql_cursor cur = tokenize(text);
  cr_assert_eq(cur.ntoks, sizeof want / sizeof want[0]);
  for (uint32_t i = 0; i < cur.ntoks; i++)
    cr_assert_eq(cur.toks[i].kind, want[i], "token %u '%s' is %s", i, tok_text(&cur, i),
                 fl_tok_kind_name(cur.toks[i].kind));
  cr_assert_str_eq(tok_text(&cur, 34), "$12");
}

Test(sql_lexer, operators_without_spaces) {
  fl_sql_cursor cur = tokenize("a<=b||'x'::text->>'k'<>1");
  static const fl_tok_kind want[] = {FL_TOK_IDENT,  FL_TOK_LE,   FL_TOK_IDENT,  FL_TOK_CONCAT,
                                     FL_TOK_STRING, FL_TOK_CAST, FL_TOK_IDENT,  FL_TOK_ARROW2,
                                     FL_TOK_STRING, FL_TOK_NE,   FL_TOK_NUMBER, FL_TOK_EOF};
  cr_assert_eq(cur.ntoks, sizeof want / sizeof want[0]);
  for (uint32_t i = 0; i < cur.ntoks; i++) cr_assert_eq(cur.toks[i].kind, want[i], "token %u", i);
}

Test(sql_lexer, tokens_carry_line_and_column) {
  fl_sql_cursor cur = tokenize("SELECT a,\n  \"B c\" -- note\n/* x\n y */ FROM t");
  cr_assert_eq(cur.ntoks, 7);
  uint32_t want[][2] = {{1, 1}, {1, 8}, {1, 9}, {2, 3}, {4, 7}, {4, 12}, {4, 13}};
  for (uint32_t i = 0; i < cur.ntoks; i++) {
    cr_assert_eq(cur.toks[i].line, want[i][0], "token %u line", i);
    cr_assert_eq(cur.toks[i].col, want[i][1], "token %u col", i);
  }
  cr_assert_eq(cur.toks[0].kw, FL_KW_SELECT);
  cr_assert_eq(cur.toks[3].kind, FL_TOK_QIDENT);
  cr_assert_str_eq(fl_sql_token_ident(&cur, &cur.toks[3]), "B c");
  cr_assert_eq(cur.toks[4].kw, FL_KW_FROM);
  cr_assert_eq(cur.toks[5].kw, FL_KW_NONE);
}

Test(sql_lexer, columns_count_code_points_not_bytes) {
  fl_sql_cursor cur = tokenize("'héllo' x");
  cr_assert_eq(cur.toks[1].col, 9);
  cr_assert_eq(cur.toks[1].off, 9);
}

Test(sql_lexer, strings_and_quoted_identifiers_unescape) {
  fl_sql_cursor cur = tokenize("'it''s' '' \"say \"\"hi\"\"\" MixedCase");
  cr_assert_eq(cur.toks[0].kind, FL_TOK_STRING);
  cr_assert_str_eq(fl_sql_token_string(&cur, &cur.toks[0]), "it's");
  cr_assert_str_eq(fl_sql_token_string(&cur, &cur.toks[1]), "");
  cr_assert_eq(cur.toks[2].kind, FL_TOK_QIDENT);
  cr_assert_str_eq(fl_sql_token_ident(&cur, &cur.toks[2]), "say \"hi\"");
  cr_assert_str_eq(fl_sql_token_ident(&cur, &cur.toks[3]), "mixedcase");
}

Test(sql_lexer, numbers) {
  fl_sql_cursor cur = tokenize("42 3.14 .5 1e10 2.5E-3 7. 1..2");
  const char *want[] = {"42", "3.14", ".5", "1e10", "2.5E-3", "7.", "1", ".", ".2"};
  for (uint32_t i = 0; i < 9; i++) {
    cr_assert_str_eq(tok_text(&cur, i), want[i]);
    cr_assert_eq(cur.toks[i].kind, i == 7 ? FL_TOK_DOT : FL_TOK_NUMBER, "token %u", i);
  }
  int64_t v = 0;
  cr_assert(fl_sql_token_int(&cur, &cur.toks[0], &v));
  cr_assert_eq(v, 42);
  cr_assert(!fl_sql_token_int(&cur, &cur.toks[1], &v));
  fl_sql_cursor big = tokenize("9223372036854775807 9223372036854775808");
  cr_assert(fl_sql_token_int(&big, &big.toks[0], &v));
  cr_assert_eq(v, INT64_MAX);
  cr_assert(!fl_sql_token_int(&big, &big.toks[1], &v));
}

Test(sql_lexer, nested_block_comments_and_line_comment_at_end) {
  fl_sql_cursor cur = tokenize("/* a /* b */ c */ x -- trailing");
  cr_assert_eq(cur.ntoks, 2);
  cr_assert_str_eq(tok_text(&cur, 0), "x");
}

Test(sql_lexer, errors_name_position) {
  lex_fails("a, 'abc", "line 1, column 4: unterminated string literal");
  lex_fails("x\n  \"abc", "line 2, column 3: unterminated quoted identifier");
  lex_fails("a /* never /* closed */", "line 1, column 3: unterminated /* comment");
  lex_fails("a # b", "line 1, column 3: unexpected character '#'");
  lex_fails("a \"\" b", "line 1, column 3: zero-length quoted identifier");
  lex_fails("x 12abc", "line 1, column 3: trailing junk after number '12abc'");
  lex_fails("ab\xff", "line 1, column 3: invalid UTF-8");
  lex_fails("ab\xc3", "line 1, column 3: invalid UTF-8");
  fl_sql_cursor cur;
  fl_err err = {0};
  cr_assert_eq(fl_sql_cursor_init(&cur, "a\0b", 3, &arena, &err), FL_EPARSE);
  cr_assert_str_eq(err.msg, "line 1, column 2: unexpected byte 0x00");
  cr_assert_eq(fl_sql_cursor_init(&cur, "a \x01", 3, &arena, &err), FL_EPARSE);
  cr_assert_str_eq(err.msg, "line 1, column 3: unexpected byte 0x01");
}

Test(sql_lexer, text_over_the_limit_is_refused) {
  size_t n = FL_SQL_TEXT_MAX + 1;
  char *big = fl_malloc(n);
  memset(big, ' ', n);
  fl_sql_cursor cur;
  fl_err err = {0};
  cr_assert_eq(fl_sql_cursor_init(&cur, big, n, &arena, &err), FL_ELIMIT);
  cr_assert_str_eq(err.msg, "SQL text is 1048577 bytes, more than the limit of 1048576");
  fl_free(big);
}

Test(sql_lexer, cursor_peeks_and_never_passes_eof) {
  fl_sql_cursor cur = tokenize("a b");
  cr_assert_eq(fl_sql_cursor_peek_at(&cur, 1)->kind, FL_TOK_IDENT);
  cr_assert_eq(fl_sql_cursor_peek_at(&cur, 5)->kind, FL_TOK_EOF);
  fl_sql_cursor_next(&cur);
  fl_sql_cursor_next(&cur);
  cr_assert_eq(fl_sql_cursor_next(&cur)->kind, FL_TOK_EOF);
  cr_assert_eq(fl_sql_cursor_next(&cur)->kind, FL_TOK_EOF);
  cr_assert_eq(cur.pos, 2);
}

/* ---- columns ---- */

static fl_sql_column *parse_ok(const char *text, uint32_t want_n) {
  fl_sql_column *cols = NULL;
  uint32_t n = 0;
  fl_err err = {0};
  fl_code rc = fl_sql_parse_columns(text, strlen(text), &arena, &cols, &n, &err);
  cr_assert_eq(rc, FL_OK, "parse '%s': %s", text, err.msg);
  cr_assert_eq(n, want_n, "'%s': %u columns", text, n);
  return cols;
}

static void parse_fails(const char *text, const char *msg) {
  fl_sql_column *cols = NULL;
  uint32_t n = 0;
  fl_err err = {0};
  fl_code rc = fl_sql_parse_columns(text, strlen(text), &arena, &cols, &n, &err);
  cr_assert_neq(rc, FL_OK, "parse '%s' passed", text);
  cr_assert_str_eq(err.msg, msg, "for '%s'", text);
  cr_assert_null(cols);
  cr_assert_eq(n, 0);
}

Test(sql_columns, the_orders_stream_columns) {
  fl_sql_column *c = parse_ok(
      "event_id STRING NOT NULL, order_id BIGINT NOT NULL, amount DECIMAL(12,2), "
      "event_time TIMESTAMP NOT NULL, attributes JSON, ok BOOLEAN",
      6);
  cr_assert_str_eq(c[0].name, "event_id");
  cr_assert_eq(c[0].type.kind, FL_T_STRING);
  cr_assert(c[0].not_null);
  cr_assert_null(c[0].check_sql);
  cr_assert_eq(c[0].line, 1);
  cr_assert_eq(c[0].col, 1);
  cr_assert_str_eq(c[1].name, "order_id");
  cr_assert_eq(c[1].type.kind, FL_T_BIGINT);
  cr_assert_eq(c[1].col, 27);
  cr_assert_str_eq(c[2].name, "amount");
  cr_assert_eq(c[2].type.kind, FL_T_DECIMAL);
  cr_assert_eq(c[2].type.precision, 12);
  cr_assert_eq(c[2].type.scale, 2);
  cr_assert(!c[2].not_null);
  cr_assert_eq(c[3].type.kind, FL_T_TIMESTAMP);
  cr_assert(c[3].not_null);
  cr_assert_eq(c[4].type.kind, FL_T_JSON);
  cr_assert_eq(c[5].type.kind, FL_T_BOOLEAN);
  cr_assert(!c[5].not_null);
}

Test(sql_columns, every_type_spelling) {
  static const struct {
    const char *sql;
    fl_type_kind kind;
    uint8_t p, s;
  } cases[] = {
      {"BOOLEAN", FL_T_BOOLEAN, 0, 0},
      {"bool", FL_T_BOOLEAN, 0, 0},
      {"INT", FL_T_INT, 0, 0},
      {"Integer", FL_T_INT, 0, 0},
      {"int4", FL_T_INT, 0, 0},
      {"BIGINT", FL_T_BIGINT, 0, 0},
      {"INT8", FL_T_BIGINT, 0, 0},
      {"REAL", FL_T_FLOAT, 0, 0},
      {"FLOAT", FL_T_FLOAT, 0, 0},
      {"float4", FL_T_FLOAT, 0, 0},
      {"DOUBLE", FL_T_DOUBLE, 0, 0},
      {"DOUBLE PRECISION", FL_T_DOUBLE, 0, 0},
      {"float8", FL_T_DOUBLE, 0, 0},
      {"DECIMAL(12,2)", FL_T_DECIMAL, 12, 2},
      {"NUMERIC(18, 18)", FL_T_DECIMAL, 18, 18},
      {"decimal(5)", FL_T_DECIMAL, 5, 0},
      {"DECIMAL(1,0)", FL_T_DECIMAL, 1, 0},
      {"DATE", FL_T_DATE, 0, 0},
      {"TIMESTAMP", FL_T_TIMESTAMP, 0, 0},
      {"STRING", FL_T_STRING, 0, 0},
      {"TEXT", FL_T_STRING, 0, 0},
      {"VARCHAR", FL_T_STRING, 0, 0},
      {"VARCHAR(255)", FL_T_STRING, 0, 0},
      {"JSON", FL_T_JSON, 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[64];
    snprintf(text, sizeof text, "x %s NOT NULL", cases[i].sql);
    fl_sql_column *c = parse_ok(text, 1);
    cr_assert_eq(c[0].type.kind, cases[i].kind, "%s", cases[i].sql);
    cr_assert_eq(c[0].type.precision, cases[i].p, "%s", cases[i].sql);
    cr_assert_eq(c[0].type.scale, cases[i].s, "%s", cases[i].sql);
    cr_assert(c[0].not_null, "%s", cases[i].sql);
  }
}

Test(sql_columns, null_and_not_null_in_any_case) {
  fl_sql_column *c = parse_ok("a INT null, b INT not NULL, c INT", 3);
  cr_assert(!c[0].not_null);
  cr_assert(c[1].not_null);
  cr_assert(!c[2].not_null);
}

Test(sql_columns, check_is_captured_with_nested_parens_and_strings) {
  fl_sql_column *c = parse_ok(
      "event_type STRING NOT NULL CHECK (event_type IN\n"
      "   ('order_created', 'odd)name', 'it''s (x)')), "
      "qty INT CHECK ((qty > 0) AND (qty < 10 /* ) */)) NOT NULL, "
      "z INT CHECK (z <> 0) CHECK (z < 5)",
      3);
  cr_assert_str_eq(c[0].check_sql, "event_type IN\n   ('order_created', 'odd)name', 'it''s (x)')");
  cr_assert(c[0].not_null);
  cr_assert_str_eq(c[1].check_sql, "(qty > 0) AND (qty < 10 /* ) */)");
  cr_assert(c[1].not_null);
  cr_assert_str_eq(c[2].check_sql, "(z <> 0) AND (z < 5)");
}

Test(sql_columns, quoted_identifiers_keep_case_and_unquoted_fold) {
  fl_sql_column *c = parse_ok(
      "\"Event Id\" STRING, UserId BIGINT, \"select\" INT, \"a\"\"b\" DATE, date DATE, "
      "key INT, watermark TIMESTAMP",
      7);
  cr_assert_str_eq(c[0].name, "Event Id");
  cr_assert_str_eq(c[1].name, "userid");
  cr_assert_str_eq(c[2].name, "select");
  cr_assert_str_eq(c[3].name, "a\"b");
  cr_assert_str_eq(c[4].name, "date");
  cr_assert_str_eq(c[5].name, "key");
  cr_assert_str_eq(c[6].name, "watermark");
}

Test(sql_columns, comments_and_newlines_anywhere) {
  fl_sql_column *c = parse_ok(
      "-- the key\n"
      "  id BIGINT /* surrogate */ NOT NULL,\n"
      "  -- when it happened\n"
      "  ts TIMESTAMP -- utc\n",
      2);
  cr_assert_str_eq(c[0].name, "id");
  cr_assert_eq(c[0].line, 2);
  cr_assert_eq(c[0].col, 3);
  cr_assert(c[0].not_null);
  cr_assert_str_eq(c[1].name, "ts");
  cr_assert_eq(c[1].line, 4);
  cr_assert_eq(c[1].col, 3);
}

Test(sql_columns, errors_say_where_and_what_was_expected) {
  parse_fails("order_id BIGINT, amount , x INT",
              "line 1, column 25: expected a type after column name 'amount', found ','");
  parse_fails("a STRNG",
              "line 1, column 3: unknown type 'STRNG' for column 'a' (expected BOOLEAN, INT, "
              "BIGINT, REAL, DOUBLE, DECIMAL(p,s), DATE, TIMESTAMP, STRING or JSON)");
  parse_fails("a INT b INT", "line 1, column 7: expected ',' after column 'a', found 'b'");
  parse_fails("a INT,\n b STRING NOT NULL\n c DATE",
              "line 3, column 2: expected ',' after column 'b', found 'c'");
  parse_fails("a STRING CHECK (a = 'x), b INT", "line 1, column 21: unterminated string literal");
  parse_fails("amount DECIMAL(40,2)",
              "line 1, column 16: DECIMAL precision 40 exceeds 38 (the most Iceberg and Parquet allow)");
  parse_fails("amount NUMERIC(99999999999999999999999,2)",
              "line 1, column 16: NUMERIC precision 99999999999999999999999 exceeds 38 (the most Iceberg and "
              "Parquet allow)");
  parse_fails("amount DECIMAL(0,0)", "line 1, column 16: DECIMAL precision must be at least 1");
  parse_fails("amount DECIMAL(4,5)", "line 1, column 18: DECIMAL scale 5 exceeds the precision 4");
  parse_fails("amount DECIMAL",
              "line 1, column 15: expected '(' after DECIMAL (DECIMAL(p,s) with a precision "
              "p <= 38), found end of input");
  parse_fails("amount DECIMAL(12.5)",
              "line 1, column 16: expected a precision (an integer) in DECIMAL(p,s), found '12.5'");
  parse_fails("amount DECIMAL(12,2",
              "line 1, column 20: expected ')' to close DECIMAL(p,s), found end of input");
  parse_fails("a INT,\n  b INT,\n  A STRING",
              "line 3, column 3: duplicate column name 'a' (first defined at line 1, column 1)");
  parse_fails("a INT, \"A\" INT, \"a\" INT",
              "line 1, column 17: duplicate column name 'a' (first defined at line 1, column 1)");
  parse_fails("", "line 1, column 1: expected a column name, found end of input");
  parse_fails("a INT,", "line 1, column 7: expected a column name, found end of input");
  parse_fails("a INT NOT", "line 1, column 10: expected NULL after NOT, found end of input");
  parse_fails("a INT NOT NULL NULL", "line 1, column 16: conflicting NULL and NOT NULL for column 'a'");
  parse_fails("a INT CHECK a > 0", "line 1, column 13: expected '(' after CHECK, found 'a'");
  parse_fails("a INT CHECK ()", "line 1, column 14: expected an expression in CHECK (...), found ')'");
  parse_fails("a INT CHECK ((a > 0)",
              "line 1, column 21: expected ')' to close CHECK (...), found end of input");
  parse_fails("select INT",
              "line 1, column 1: expected a column name, found 'select' (a reserved word: write it "
              "in double quotes to use it as a name)");
  parse_fails("a NOT NULL", "line 1, column 3: expected a type after column name 'a', found 'NOT'");
  parse_fails("'a' INT", "line 1, column 1: expected a column name, found string 'a'");
  parse_fails("a VARCHAR(0)",
              "line 1, column 11: expected a length (a positive integer) in VARCHAR(n), found '0'");
  parse_fails("a INT;", "line 1, column 6: expected ',' after column 'a', found ';'");
}

Test(sql_columns, name_length_limit) {
  char text[200];
  char name[70];
  memset(name, 'n', FL_NAME_MAX);
  name[FL_NAME_MAX] = 0;
  snprintf(text, sizeof text, "%s INT", name);
  fl_sql_column *c = parse_ok(text, 1);
  cr_assert_eq(strlen(c[0].name), FL_NAME_MAX);
  snprintf(text, sizeof text, "%sn INT", name);
  parse_fails(text,
              "line 1, column 1: name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' is 64 bytes, longer "
              "than the limit of 63");
}

Test(sql_columns, column_count_limit) {
  fl_buf b = FL_BUF_INIT;
  for (int i = 0; i <= FL_COLUMNS_MAX; i++) fl_buf_printf(&b, "%sc%d INT", i ? "," : "", i);
  fl_sql_column *cols = NULL;
  uint32_t n = 0;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_columns((const char *)b.data, b.len, &arena, &cols, &n, &err), FL_EPARSE);
  cr_assert(strstr(err.msg, "more than 4096 columns") != NULL, "%s", err.msg);
  /* exactly the limit is fine */
  size_t cut = b.len - strlen(",c4096 INT");
  cr_assert_eq(fl_sql_parse_columns((const char *)b.data, cut, &arena, &cols, &n, &err), FL_OK, "%s",
               err.msg);
  cr_assert_eq(n, FL_COLUMNS_MAX);
  fl_buf_free(&b);
}

Test(sql_columns, format_reads_back_to_the_same_columns) {
  const char *text =
      "\"Event Id\" STRING NOT NULL, amount NUMERIC(12,2) CHECK (amount >= 0), \"select\" INT, "
      "\"a\"\"b\" DOUBLE PRECISION, ts TIMESTAMP, d DATE, j JSON, f REAL, b BOOL, x INT8, "
      "\"1st\" VARCHAR(3)";
  fl_sql_column *c = parse_ok(text, 11);
  fl_buf b = FL_BUF_INIT;
  fl_sql_columns_format(c, 11, &b);
  fl_buf_cstr(&b);
  cr_assert_str_eq((const char *)b.data,
                   "\"Event Id\" STRING NOT NULL, amount DECIMAL(12,2) CHECK (amount >= 0), \"select\" INT, "
                   "\"a\"\"b\" DOUBLE, ts TIMESTAMP, d DATE, j JSON, f REAL, b BOOLEAN, x BIGINT, "
                   "\"1st\" STRING");
  fl_sql_column *again = parse_ok((const char *)b.data, 11);
  for (int i = 0; i < 11; i++) {
    cr_assert_str_eq(again[i].name, c[i].name);
    cr_assert(fl_type_equal(again[i].type, c[i].type));
    cr_assert_eq(again[i].not_null, c[i].not_null);
  }
  fl_buf_free(&b);
}

Test(sql_columns, check_and_default_are_parsed_as_expressions) {
  fl_sql_column *c = parse_ok(
      "qty INT DEFAULT 1 + 1 NOT NULL CHECK (qty > 0) CHECK (qty < 10), "
      "s STRING DEFAULT 'x' NULL, t INT DEFAULT -1",
      3);
  cr_assert(c[0].not_null);
  cr_assert_eq(c[0].check->kind, FL_SQL_E_BINARY);
  cr_assert_eq(c[0].check->op, FL_SQL_OP_AND);
  cr_assert_eq(c[0].check->args[0]->op, FL_SQL_OP_GT);
  cr_assert_eq(c[0].check->args[1]->op, FL_SQL_OP_LT);
  cr_assert_eq(c[0].check->line, 1);
  cr_assert_eq(c[0].check->col, 59); /* the AND of two CHECKs stands at the second one */
  cr_assert_eq(c[0].default_expr->op, FL_SQL_OP_ADD);
  cr_assert_null(c[1].check);
  cr_assert_eq(c[1].default_expr->lit, FL_SQL_LIT_STRING);
  cr_assert_eq(c[2].default_expr->value.u.i64, -1);
  fl_buf b = FL_BUF_INIT;
  fl_sql_columns_format(c, 3, &b);
  fl_buf_cstr(&b);
  cr_assert_str_eq((const char *)b.data,
                   "qty INT DEFAULT 1 + 1 NOT NULL CHECK ((qty > 0) AND (qty < 10)), "
                   "s STRING DEFAULT 'x', t INT DEFAULT -1");
  fl_sql_column *again = parse_ok((const char *)b.data, 3);
  cr_assert_str_eq(again[0].check_sql, "(qty > 0) AND (qty < 10)");
  fl_buf_free(&b);
  parse_fails("a INT CHECK (a >)", "line 1, column 17: expected an expression, found ')'");
  parse_fails("a INT CHECK (a > 0 0)",
              "line 1, column 20: expected an operator or ')' to close CHECK (...), found '0'");
  parse_fails("a INT CHECK (a < b < c)",
              "line 1, column 20: '<' cannot follow another comparison without parentheses");
  parse_fails("a INT DEFAULT", "line 1, column 14: expected an expression, found end of input");
  parse_fails("a INT DEFAULT 1 DEFAULT 2", "line 1, column 17: more than one DEFAULT for column 'a'");
}

Test(sql_columns, type_parser_is_reusable_on_a_cursor) {
  fl_sql_cursor cur = tokenize("DECIMAL(10, 3) , next");
  fl_type t;
  fl_err err = {0};
  cur.err = &err;
  cr_assert_eq(fl_sql_parse_type_at(&cur, NULL, &t), FL_OK, "%s", err.msg);
  cr_assert_eq(t.kind, FL_T_DECIMAL);
  cr_assert_eq(t.precision, 10);
  cr_assert_eq(t.scale, 3);
  cr_assert_eq(fl_sql_cursor_peek(&cur)->kind, FL_TOK_COMMA);
}

Test(sql_columns, a_type_alone) {
  fl_type t;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_type("double precision", 16, &arena, &t, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(t.kind, FL_T_DOUBLE);
  cr_assert_eq(fl_sql_parse_type(" numeric(18,4) ", 15, &arena, &t, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(t.kind, FL_T_DECIMAL);
  cr_assert_eq(t.precision, 18);
  cr_assert_eq(t.scale, 4);
  cr_assert_eq(fl_sql_parse_type("DECIMAL(38,9)", 13, &arena, &t, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(t.kind, FL_T_DECIMAL);
  cr_assert_eq(t.precision, 38);
  cr_assert_eq(t.scale, 9);
  cr_assert_eq(fl_sql_parse_type("DECIMAL(39,4)", 13, &arena, &t, &err), FL_EPARSE);
  cr_assert_str_eq(err.msg,
                   "line 1, column 9: DECIMAL precision 39 exceeds 38 (the most Iceberg and Parquet allow)");
  cr_assert_eq(t.kind, 0);
  cr_assert_eq(fl_sql_parse_type("INT NOT NULL", 12, &arena, &t, &err), FL_EPARSE);
  cr_assert_str_eq(err.msg, "line 1, column 5: expected end of the type, found 'NOT'");
  cr_assert_eq(fl_sql_parse_type("", 0, &arena, &t, &err), FL_EPARSE);
  cr_assert_str_eq(err.msg, "line 1, column 1: expected a type, found end of input");
  cr_assert_eq(fl_sql_parse_type("uuid", 4, &arena, &t, &err), FL_EPARSE);
  cr_assert_str_eq(err.msg,
                   "line 1, column 1: unknown type 'uuid' (expected BOOLEAN, INT, BIGINT, REAL, DOUBLE, "
                   "DECIMAL(p,s), DATE, TIMESTAMP, STRING or JSON)");
}

/* ---- partition specs ---- */

static fl_sql_partition_item *part_ok(const char *text, uint32_t want_n) {
  fl_sql_partition_item *items = NULL;
  uint32_t n = 0;
  fl_err err = {0};
  fl_code rc = fl_sql_parse_partition(text, strlen(text), &arena, &items, &n, &err);
  cr_assert_eq(rc, FL_OK, "parse '%s': %s", text, err.msg);
  cr_assert_eq(n, want_n, "'%s': %u items", text, n);
  return items;
}

static void part_fails(const char *text, const char *msg) {
  fl_sql_partition_item *items = NULL;
  uint32_t n = 0;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_partition(text, strlen(text), &arena, &items, &n, &err), FL_EPARSE, "'%s' passed",
               text);
  cr_assert_str_eq(err.msg, msg, "for '%s'", text);
}

static void expect_item(const fl_sql_partition_item *it, const char *transform, int32_t param,
                        const char *column) {
  cr_assert_str_eq(it->transform, transform);
  cr_assert_eq(it->param, param);
  cr_assert_str_eq(it->column, column);
}

Test(sql_partition, day_and_identity) {
  fl_sql_partition_item *it = part_ok("day(event_time), tenant_id", 2);
  expect_item(&it[0], "day", 0, "event_time");
  cr_assert_eq(it[0].col, 1);
  expect_item(&it[1], "identity", 0, "tenant_id");
  cr_assert_eq(it[1].col, 18);
}

Test(sql_partition, every_transform) {
  fl_sql_partition_item *it = part_ok(
      "bucket(16, user_id), truncate(4, name), hour(ts), month(d), year(y), "
      "identity(k), bucket[8](v), TRUNCATE[10](w), days(t2), \"Col\"",
      10);
  expect_item(&it[0], "bucket", 16, "user_id");
  expect_item(&it[1], "truncate", 4, "name");
  expect_item(&it[2], "hour", 0, "ts");
  expect_item(&it[3], "month", 0, "d");
  expect_item(&it[4], "year", 0, "y");
  expect_item(&it[5], "identity", 0, "k");
  expect_item(&it[6], "bucket", 8, "v");
  expect_item(&it[7], "truncate", 10, "w");
  expect_item(&it[8], "day", 0, "t2");
  expect_item(&it[9], "identity", 0, "Col");
}

Test(sql_partition, empty_spec_is_unpartitioned) {
  part_ok("", 0);
  part_ok("  -- nothing\n", 0);
}

Test(sql_partition, errors) {
  part_fails("week(ts)",
             "line 1, column 1: unknown partition transform 'week' (expected identity, year, month, "
             "day, hour, bucket[N] or truncate[W])");
  part_fails("bucket(0, id)",
             "line 1, column 8: expected a bucket count (an integer from 1 to 2147483647), found '0'");
  part_fails("bucket(id)",
             "line 1, column 8: expected a bucket count (an integer from 1 to 2147483647), found 'id'");
  part_fails("truncate(4 name)",
             "line 1, column 12: expected ',' and a column after the truncate parameter, found "
             "'name'");
  part_fails("bucket[16](id", "line 1, column 14: expected ')' to close bucket(...), found end of input");
  part_fails("day[3](ts)", "line 1, column 4: partition transform day takes no parameter");
  part_fails("day(ts), hour(ts)",
             "line 1, column 10: redundant partition field: column 'ts' is already "
             "partitioned by day (line 1, column 1)");
  part_fails("a, a",
             "line 1, column 4: redundant partition field: column 'a' is already partitioned by "
             "identity (line 1, column 1)");
  part_fails("a b", "line 1, column 3: expected ',' after partition field identity(a), found 'b'");
  part_fails("a,", "line 1, column 3: expected a partition column or transform, found end of input");
  part_fails("day(ts", "line 1, column 7: expected ')' to close day(...), found end of input");
}

Test(sql_partition, different_buckets_of_one_column_are_allowed) {
  fl_sql_partition_item *it = part_ok("bucket(16, id), bucket(4, id), day(ts), id", 4);
  expect_item(&it[1], "bucket", 4, "id");
  expect_item(&it[3], "identity", 0, "id");
}
