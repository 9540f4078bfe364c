/* sql_select_fuzz: libFuzzer over the SELECT parser (parse_select.c with parse_expr.c)
 * and the caret formatter.
 *
 * Invariants, not golden output: no crash or sanitizer report on any bytes, no stall
 * (nesting is bounded: FL_SQL_QUERY_DEPTH_MAX queries, FL_SQL_EXPR_DEPTH_MAX per
 * expression); a failure is FL_EPARSE/FL_ELIMIT with a "line L, column C: " message and
 * no result, and the caret for it is one or two lines; a success formats back
 * (fl_sql_statement_format) to a text that parses and formats to the same text.
 * Seeds: tests/fuzz/corpus/sql/ (select_*.sql). Run:
 *   build-fuzz/fuzz/sql_select_fuzz -max_total_time=60 tests/fuzz/corpus/sql */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "sql/sql.h"

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_sql_statement *st = NULL;
  fl_err err = {0};
  fl_code rc = fl_sql_parse_statement((const char *)data, size, &arena, &st, &err);
  if (rc) {
    CHECK(rc == FL_EPARSE || rc == FL_ELIMIT);
    CHECK(err.code == rc);
    CHECK(st == NULL);
    CHECK(rc == FL_ELIMIT || strncmp(err.msg, "line ", 5) == 0);
    fl_buf caret = {0};
    fl_sql_error_caret((const char *)data, size, err.msg, &caret);
    size_t lines = 0;
    for (size_t i = 0; i < caret.len; i++) lines += caret.data[i] == '\n';
    CHECK(lines == 0 || lines == 2);
    fl_buf_free(&caret);
  } else {
    CHECK(st && st->query && st->query->body);
    fl_buf a = {0}, b = {0};
    fl_sql_statement_format(st, &a);
    fl_sql_statement *again = NULL;
    fl_err err2 = {0};
    fl_code rc2 = fl_sql_parse_statement((const char *)a.data, a.len, &arena, &again, &err2);
    if (rc2) {
      fl_buf_cstr(&a);
      fprintf(stderr, "formatted text does not parse: %s\n%s\n", err2.msg, (char *)a.data);
    }
    CHECK(rc2 == FL_OK);
    fl_sql_statement_format(again, &b);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    fl_buf_free(&a);
    fl_buf_free(&b);
  }
  fl_arena_destroy(&arena);
  return 0;
}
