/* sql_select_fuzz: libFuzzer over the SELECT parser (parse_select.c with parse_expr.c),
 * the binder and logical planner (bind_select.c, plan.c) and the caret formatter.
 *
 * Invariants, not golden output: no crash or sanitizer report on any bytes, no stall
 * (nesting is bounded: FL_SQL_QUERY_DEPTH_MAX queries, FL_SQL_EXPR_DEPTH_MAX per
 * expression); a failure is FL_EPARSE/FL_ELIMIT with a "line L, column C: " message and
 * no result, and the caret for it is one or two lines; a success formats back
 * (fl_sql_statement_format) to a text that parses and formats to the same text, and
 * binds against a catalog of two tables (t, u) to a plan that formats, or fails with a
 * known code and, for FL_EPARSE, a positioned message.
 * Seeds: tests/fuzz/corpus/sql/ (select_*.sql). Run:
 *   build-fuzz/fuzz/sql_select_fuzz -max_total_time=60 tests/fuzz/corpus/sql */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "sql/plan.h"
#include "sql/sql.h"

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fl_field t_fields[] = {
    {1, "a", {FL_T_BIGINT, 0, 0}, false},   {2, "b", {FL_T_STRING, 0, 0}, false},
    {3, "c", {FL_T_DECIMAL, 12, 2}, false}, {4, "d", {FL_T_TIMESTAMP, 0, 0}, false},
    {5, "e", {FL_T_INT, 0, 0}, false},
};
static fl_field u_fields[] = {{1, "a", {FL_T_INT, 0, 0}, false}, {2, "x", {FL_T_DOUBLE, 0, 0}, false}};
static fl_schema t_schema = {0, 5, t_fields, 0, NULL}, u_schema = {0, 2, u_fields, 0, NULL};

static fl_code table(void *ud, const fl_sql_from *f, const fl_schema **schema, void **handle, fl_err *err) {
  (void)ud;
  *handle = NULL;
  if (!strcmp(f->name, "t"))
    *schema = &t_schema;
  else if (!strcmp(f->name, "u"))
    *schema = &u_schema;
  else
    return fl_err_set(err, FL_ENOENT, "no table %s", f->name);
  return FL_OK;
}

static const fl_sql_catalog catalog = {NULL, table, NULL};

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
    fl_plan *plan = NULL;
    fl_err berr = {0};
    fl_code brc = fl_sql_plan_build(st, &catalog, &arena, &plan, &berr);
    if (brc) {
      CHECK(brc == FL_EPARSE || brc == FL_EUNSUPPORTED || brc == FL_ENOENT || brc == FL_ELIMIT);
      CHECK(plan == NULL && strncmp(berr.msg, "line ", 5) == 0);
    } else {
      fl_buf text = {0};
      fl_plan_format(plan, &text);
      CHECK(text.len > 0 && plan->nout >= 1);
      fl_buf_free(&text);
    }
  }
  fl_arena_destroy(&arena);
  return 0;
}
