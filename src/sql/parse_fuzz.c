/* parse_fuzz: libFuzzer over the column-list and partition-spec parsers.
 *
 * Checks invariants, not golden output: no crash or sanitizer report on any bytes; a
 * failure is FL_EPARSE/FL_ELIMIT with a "line L, column C: " message and no result;
 * a success has 1..FL_COLUMNS_MAX columns with unique non-empty names of at most
 * FL_NAME_MAX bytes and valid types, and formatting the columns back to SQL
 * (fl_sql_columns_format) parses to the same columns (names, types, NOT NULL, CHECK).
 * Seed corpus: tests/fuzz/corpus/sql/. Run:
 *   build-fuzz/fuzz/parse_fuzz -max_total_time=60 tests/fuzz/corpus/sql */
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
  CHECK(rc == FL_ELIMIT || strncmp(err->msg, "line ", 5) == 0);
}

static void check_columns(const fl_sql_column *cols, uint32_t n) {
  CHECK(n >= 1 && n <= FL_COLUMNS_MAX);
  for (uint32_t i = 0; i < n; i++) {
    size_t len = strlen(cols[i].name);
    CHECK(len >= 1 && len <= FL_NAME_MAX);
    CHECK(cols[i].type.kind >= FL_T_BOOLEAN && cols[i].type.kind <= FL_T_JSON);
    if (cols[i].type.kind == FL_T_DECIMAL) {
      CHECK(cols[i].type.precision >= 1 && cols[i].type.precision <= FL_DECIMAL_PRECISION_MAX);
      CHECK(cols[i].type.scale <= cols[i].type.precision);
    } else {
      CHECK(cols[i].type.precision == 0 && cols[i].type.scale == 0);
    }
    CHECK(cols[i].line >= 1 && cols[i].col >= 1);
    CHECK(!cols[i].check_sql || cols[i].check_sql[0] != 0);
    for (uint32_t j = 0; j < i; j++) CHECK(strcmp(cols[i].name, cols[j].name) != 0);
  }
}

static void round_trip(const fl_sql_column *cols, uint32_t n, fl_arena *arena) {
  fl_buf b = FL_BUF_INIT;
  fl_sql_columns_format(cols, n, &b);
  fl_sql_column *again = NULL;
  uint32_t n2 = 0;
  fl_err err;
  fl_code rc = fl_sql_parse_columns((const char *)b.data, b.len, arena, &again, &n2, &err);
  CHECK(rc == FL_OK);
  CHECK(n2 == n);
  for (uint32_t i = 0; i < n; i++) {
    CHECK(strcmp(again[i].name, cols[i].name) == 0);
    CHECK(fl_type_equal(again[i].type, cols[i].type));
    CHECK(again[i].not_null == cols[i].not_null);
    CHECK((again[i].check_sql == NULL) == (cols[i].check_sql == NULL));
    CHECK(!cols[i].check_sql || strcmp(again[i].check_sql, cols[i].check_sql) == 0);
  }
  fl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024) return 0;
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  const char *text = (const char *)data;

  fl_sql_column *cols = NULL;
  uint32_t n = 0;
  fl_err err;
  fl_code rc = fl_sql_parse_columns(text, size, &arena, &cols, &n, &err);
  if (rc == FL_OK) {
    check_columns(cols, n);
    round_trip(cols, n, &arena);
  } else {
    check_error(rc, &err);
    CHECK(cols == NULL && n == 0);
  }

  fl_sql_partition_item *items = NULL;
  uint32_t nitems = 0;
  rc = fl_sql_parse_partition(text, size, &arena, &items, &nitems, &err);
  if (rc == FL_OK) {
    for (uint32_t i = 0; i < nitems; i++) {
      CHECK(items[i].transform && items[i].column && items[i].column[0]);
      bool param = strcmp(items[i].transform, "bucket") == 0 || strcmp(items[i].transform, "truncate") == 0;
      CHECK(param ? items[i].param >= 1 : items[i].param == 0);
    }
  } else {
    check_error(rc, &err);
  }
  fl_arena_destroy(&arena);
  return 0;
}
