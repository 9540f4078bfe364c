/* parquet_footer_fuzz: libFuzzer target over whole Parquet files: the input is
 * opened with fl_parquet_reader_open_mem (magic, footer length, FileMetaData, schema
 * tree, row group and chunk bounds) and every row group is read with the file's own
 * schema (pages, codecs, encodings), and with a schema of nested columns (the
 * repetition/definition level assembly, see nested_fields). Each column's page index
 * (OffsetIndex, ColumnIndex) is parsed and the row group read again through a cursor
 * restricted to row ranges (pages jumped over by the offset index, see read_selected). Invariant: FL_OK, or
 * an error with a message naming the file; never a crash, a leak or unbounded work. Seeds:
 * tests/fuzz/corpus/parquet/ (files written by floe's writer). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "format/parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A hostile footer can declare billions of rows of a column it does not store (read
 * as nulls); 64 batches are enough to reach every decoding path. */
static int emit_some(void *ctx, const fl_batch *batch, uint64_t first_row) {
  (void)first_row;
  uint32_t *batches = ctx;
  for (uint32_t c = 0; c < batch->ncols; c++) FL_ASSERT(batch->cols[c].len == batch->nrows);
  return ++*batches >= 64 ? FL_ELIMIT : 0;
}

/* Nested columns (struct, list, map, a list of structs with a list) by the field ids
 * of the seed nested_duckdb.parquet: read as JSON text through the level assembly
 * whenever a mutated file still has a group with one of these ids. */
static const fl_nested s_kids[] = {{FL_NESTED_PRIM, 3, "a", false, {FL_T_INT, 0, 0}, 0, NULL, NULL},
                                   {FL_NESTED_PRIM, 4, "b", false, {FL_T_STRING, 0, 0}, 0, NULL, NULL}};
static const fl_nested l_kids[] = {{FL_NESTED_PRIM, 6, "element", false, {FL_T_BIGINT, 0, 0}, 0, NULL, NULL}};
static const fl_nested m_kids[] = {{FL_NESTED_PRIM, 8, "key", true, {FL_T_STRING, 0, 0}, 0, NULL, NULL},
                                   {FL_NESTED_PRIM, 9, "value", false, {FL_T_DOUBLE, 0, 0}, 0, NULL, NULL}};
static const fl_nested ys_kids[] = {
    {FL_NESTED_PRIM, 14, "element", false, {FL_T_STRING, 0, 0}, 0, NULL, NULL}};
static const fl_nested el_kids[] = {{FL_NESTED_PRIM, 12, "x", false, {FL_T_DECIMAL, 10, 2}, 0, NULL, NULL},
                                    {FL_NESTED_LIST, 13, "ys", false, {0, 0, 0}, 1, ys_kids, NULL}};
static const fl_nested ls_kids[] = {{FL_NESTED_STRUCT, 11, "element", false, {0, 0, 0}, 2, el_kids, NULL}};
static const fl_nested roots[] = {{FL_NESTED_STRUCT, 2, "s", false, {0, 0, 0}, 2, s_kids, NULL},
                                  {FL_NESTED_LIST, 5, "l", false, {0, 0, 0}, 1, l_kids, NULL},
                                  {FL_NESTED_MAP, 7, "m", false, {0, 0, 0}, 2, m_kids, NULL},
                                  {FL_NESTED_LIST, 10, "ls", false, {0, 0, 0}, 1, ls_kids, NULL}};
static const fl_field nested_fields[] = {{2, "s", {FL_T_JSON, 0, 0}, false, &roots[0]},
                                         {5, "l", {FL_T_JSON, 0, 0}, false, &roots[1]},
                                         {7, "m", {FL_T_JSON, 0, 0}, false, &roots[2]},
                                         {10, "ls", {FL_T_JSON, 0, 0}, false, &roots[3]}};
static const fl_schema nested_schema = {0, 4, (fl_field *)nested_fields, 0, NULL};

/* Rows [a, a + 1) and [b, end) of the row group, at most ~200,000 rows in (a column
 * without an offset index decodes the rows it skips), read through a selection. */
static void read_selected(fl_parquet_reader *pr, uint32_t rg, const fl_schema *schema, uint32_t *batches) {
  uint64_t rows = fl_parquet_reader_row_group_rows(pr, rg), base = 0; /* base: the row group's first row */
  if (rows == 0) return;
  for (uint32_t g = 0; g < rg; g++) base += fl_parquet_reader_row_group_rows(pr, g);
  uint64_t r[4], cap = rows < 200000 ? rows : 200000;
  uint32_t n = 1;
  r[0] = cap / 3;
  r[1] = r[0] + 1;
  if (cap - 1 > r[1]) {
    r[2] = cap - 1;
    r[3] = cap;
    n = 2;
  }
  fl_parquet_rg_cursor *cur;
  fl_err err;
  if (fl_parquet_rg_cursor_open(pr, rg, schema, &cur, &err) != FL_OK) {
    FL_ASSERT(strstr(err.msg, "fuzz.parquet") != NULL, "message without the file name: %s", err.msg);
    return;
  }
  fl_code rc = fl_parquet_rg_cursor_select(cur, r, n, &err);
  while (rc == FL_OK && *batches < 64) {
    const fl_batch *b;
    uint64_t first;
    if ((rc = fl_parquet_rg_cursor_next(cur, &b, &first, &err)) || !b) break;
    first -= base;
    FL_ASSERT(
        (first >= r[0] && first + b->nrows <= r[1]) || (n == 2 && first >= r[2] && first + b->nrows <= r[3]),
        "a batch of %u rows at %llu outside the selection", b->nrows, (unsigned long long)first);
    ++*batches;
  }
  if (rc != FL_OK)
    FL_ASSERT(strstr(err.msg, "fuzz.parquet") != NULL, "message without the file name: %s", err.msg);
  fl_parquet_rg_cursor_free(cur);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fl_parquet_reader *pr;
  fl_err err;
  if (fl_parquet_reader_open_mem(data, size, "fuzz.parquet", &pr, &err) != FL_OK) {
    FL_ASSERT(strstr(err.msg, "fuzz.parquet") != NULL, "message without the file name: %s", err.msg);
    return 0;
  }
  const fl_schema *schema = fl_parquet_reader_schema(pr);
  uint32_t batches = 0;
  for (uint32_t rg = 0; rg < fl_parquet_reader_row_groups(pr) && batches < 64; rg++) {
    fl_column_stats st;
    for (uint32_t f = 0; f < schema->nfields; f++) {
      fl_parquet_reader_row_group_stats(pr, rg, schema->fields[f].id, &st);
      const fl_parquet_page *pages;
      uint32_t np;
      if (fl_parquet_reader_pages(pr, rg, schema->fields[f].id, &pages, &np, &err) != FL_OK)
        FL_ASSERT(strstr(err.msg, "fuzz.parquet") != NULL, "message without the file name: %s", err.msg);
      for (uint32_t i = 0; i < np; i++)
        FL_ASSERT(pages[i].rows > 0 &&
                  pages[i].first_row + pages[i].rows <= fl_parquet_reader_row_group_rows(pr, rg));
    }
    read_selected(pr, rg, schema, &batches);
    fl_code rc = fl_parquet_reader_read_row_group(pr, rg, schema, emit_some, &batches, &err);
    if (rc != FL_OK && rc != FL_ELIMIT) FL_ASSERT(err.msg[0] != '\0');
    rc = fl_parquet_reader_read_row_group(pr, rg, &nested_schema, emit_some, &batches, &err);
    if (rc != FL_OK && rc != FL_ELIMIT) FL_ASSERT(err.msg[0] != '\0');
  }
  fl_parquet_reader_free(pr);
  return 0;
}
