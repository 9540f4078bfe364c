/* sql_stream_fuzz: libFuzzer over CREATE STREAM, the expression parser, the binder,
 * the formatter and the interval parser.
 *
 * Checks invariants, not golden output: no crash or sanitizer report on any bytes; a
 * failure is FL_EPARSE/FL_ELIMIT with a "line L, column C: " message and no result.
 * Expressions: the plain format parses back to a tree whose fully parenthesized format
 * equals the original's, and formatting is a fixed point; binding against a fixed schema
 * either fails with a positioned message or types every node. Streams: columns, key,
 * watermark and partition indexes are in range, the watermark column is a TIMESTAMP, key
 * columns are NOT NULL, every CHECK is BOOLEAN, the schema mirrors the columns.
 * Seed corpus: tests/fuzz/corpus/sql/ (run.sh maps sql* targets there). Run:
 *   build-fuzz/fuzz/sql_stream_fuzz -max_total_time=60 tests/fuzz/corpus/sql */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/types.h"
#include "sql/sql.h"

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

static void check_error(fl_code rc, const fl_err *err) {
  CHECK(rc == FL_EPARSE || rc == FL_ELIMIT);
  CHECK(err->code == rc);
  CHECK(strncmp(err->msg, "line ", 5) == 0);
}

static bool same_text(const fl_buf *a, const fl_buf *b) {
  return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Every node typed after a successful bind; column refs resolved. */
static void check_bound(const fl_sql_expr *e, const fl_schema *schema) {
  CHECK(e->rtype != FL_SQL_RT_UNBOUND);
  CHECK(e->height >= 1 && e->height <= FL_SQL_EXPR_DEPTH_MAX);
  if (e->kind == FL_SQL_E_COLUMN) CHECK(e->field >= 0 && (uint32_t)e->field < schema->nfields);
  for (uint32_t i = 0; i < e->nargs; i++) {
    CHECK(e->args[i]->height < e->height);
    check_bound(e->args[i], schema);
  }
}

static fl_field fields[] = {
    {1, "a", {FL_T_INT, 0, 0}, true},        {2, "b", {FL_T_BIGINT, 0, 0}, false},
    {3, "s", {FL_T_STRING, 0, 0}, false},    {4, "d", {FL_T_DECIMAL, 12, 2}, false},
    {5, "t", {FL_T_TIMESTAMP, 0, 0}, false}, {6, "x", {FL_T_DOUBLE, 0, 0}, false},
    {7, "ok", {FL_T_BOOLEAN, 0, 0}, false},  {8, "day", {FL_T_DATE, 0, 0}, false},
    {9, "j", {FL_T_JSON, 0, 0}, false},      {10, "event_type", {FL_T_STRING, 0, 0}, true},
};
static const fl_schema schema = {0, sizeof fields / sizeof fields[0], fields, 0, NULL};

static void fuzz_expr(const char *text, size_t size, fl_arena *arena) {
  fl_sql_expr *e = NULL;
  fl_err err;
  fl_code rc = fl_sql_parse_expr(text, size, arena, &e, &err);
  if (rc) {
    check_error(rc, &err);
    CHECK(e == NULL);
    return;
  }
  CHECK(e && e->height <= FL_SQL_EXPR_DEPTH_MAX);
  fl_buf plain = FL_BUF_INIT, full = FL_BUF_INIT, plain2 = FL_BUF_INIT, full2 = FL_BUF_INIT;
  fl_sql_expr_format(e, 0, &plain);
  fl_sql_expr_format(e, FL_SQL_FMT_PARENS, &full);
  fl_sql_expr *again = NULL;
  rc = fl_sql_parse_expr((const char *)plain.data, plain.len, arena, &again, &err);
  CHECK(rc == FL_OK);
  fl_sql_expr_format(again, 0, &plain2);
  fl_sql_expr_format(again, FL_SQL_FMT_PARENS, &full2);
  CHECK(same_text(&plain, &plain2));
  CHECK(same_text(&full, &full2));
  fl_buf_clear(&plain2);
  fl_sql_expr_format(e, FL_SQL_FMT_SHORT, &plain2);
  CHECK(plain2.len <= plain.len);
  rc = fl_sql_expr_bind(e, &schema, &err);
  if (rc)
    check_error(rc, &err);
  else
    check_bound(e, &schema);
  fl_buf_free(&plain);
  fl_buf_free(&full);
  fl_buf_free(&plain2);
  fl_buf_free(&full2);
}

static void fuzz_stream(const char *text, size_t size, fl_arena *arena) {
  fl_sql_stream *st = NULL;
  fl_err err;
  fl_code rc = fl_sql_parse_create_stream(text, size, arena, &st, &err);
  if (rc) {
    check_error(rc, &err);
    CHECK(st == NULL);
    return;
  }
  CHECK(st->name && st->name[0] && strlen(st->name) <= FL_NAME_MAX);
  CHECK(st->ncols >= 1 && st->ncols <= FL_COLUMNS_MAX);
  CHECK(st->schema.nfields == st->ncols);
  for (uint32_t i = 0; i < st->ncols; i++) {
    CHECK(st->schema.fields[i].id == (int32_t)i + 1);
    CHECK(strcmp(st->schema.fields[i].name, st->cols[i].name) == 0);
    CHECK(st->schema.fields[i].required == st->cols[i].not_null);
    for (uint32_t j = 0; j < i; j++) CHECK(strcmp(st->cols[i].name, st->cols[j].name) != 0);
  }
  if (st->watermark_column) {
    CHECK(st->watermark_index >= 0 && (uint32_t)st->watermark_index < st->ncols);
    CHECK(st->cols[st->watermark_index].type.kind == FL_T_TIMESTAMP);
    CHECK(st->watermark_delay_us >= 0);
  } else {
    CHECK(st->watermark_index == -1);
  }
  CHECK(st->schema.nidentifier == st->npk);
  for (uint32_t i = 0; i < st->npk; i++) {
    CHECK(st->primary_key_index[i] < st->ncols);
    CHECK(st->cols[st->primary_key_index[i]].not_null);
    CHECK(strcmp(st->cols[st->primary_key_index[i]].name, st->primary_key[i]) == 0);
  }
  for (uint32_t i = 0; i < st->nchecks; i++) {
    const fl_sql_check *chk = &st->checks[i];
    CHECK(chk->expr && chk->sql && chk->sql[0]);
    CHECK(chk->column >= -1 && chk->column < (int32_t)st->ncols);
    CHECK(chk->expr->rtype == FL_SQL_RT_VALUE && chk->expr->type.kind == FL_T_BOOLEAN);
    check_bound(chk->expr, &st->schema);
  }
  for (uint32_t i = 0; i < st->npartition; i++) {
    bool found = false;
    for (uint32_t c = 0; c < st->ncols; c++) found |= strcmp(st->cols[c].name, st->partition[i].column) == 0;
    CHECK(found);
  }
  CHECK(st->partitions <= FL_SQL_STREAM_PARTITIONS_MAX);
  CHECK(st->dedupe_ttl_us >= 0 && st->retention_us >= 0);
  CHECK(st->dedupe_ttl_us == 0 || st->npk > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024) return 0;
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  const char *text = (const char *)data;
  fuzz_stream(text, size, &arena);
  fuzz_expr(text, size, &arena);
  /* the body of a CHECK or a WITH value is where expressions and intervals hide in a
   * stream file; feed the same bytes to the interval parser directly too */
  int64_t us = 0;
  fl_err err;
  if (fl_sql_interval_parse(text, size, &us, &err)) CHECK(err.code == FL_EPARSE && us == 0);
  fl_arena_destroy(&arena);
  return 0;
}
