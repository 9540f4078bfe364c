/* Parquet files other writers make that floe's footer reader must take as they are.
 * Files under tests/fuzz/corpus/parquet/ (also fuzz seeds):
 *   hyparquet_empty_kv_list.parquet  hyparquet-writer 0.6.1 with kvMetadata: [] writes
 *     key_value_metadata as an empty list of element type BYTE (compact protocol list
 *     header 0x03); an empty list says nothing about its elements, and DuckDB reads the
 *     file: floe did not ("footer is malformed"). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/batch.h"
#include "format/parquet.h"

static void corpus_path(const char *name, char *out, size_t n) {
  const char *src = __FILE__;
  const char *cut = strstr(src, "src/format/parquet_compat_test.c");
  cr_assert(cut != NULL, "source path %s", src);
  snprintf(out, n, "%.*stests/fuzz/corpus/parquet/%s", (int)(cut - src), src, name);
}

typedef struct got {
  int64_t ids[8];
  uint32_t n, nulls;
} got;

static int collect(void *ctx, const fl_batch *batch, uint64_t first_row) {
  got *g = ctx;
  (void)first_row;
  for (uint32_t r = 0; r < batch->nrows && g->n < 8; r++) {
    g->ids[g->n++] = batch->cols[0].data.i64[r];
    g->nulls += !fl_vec_is_valid(&batch->cols[1], r);
  }
  return 0;
}

Test(parquet_compat, an_empty_key_value_list_of_any_element_type_reads) {
  char path[1024];
  corpus_path("hyparquet_empty_kv_list.parquet", path, sizeof path);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  static const fl_field fields[2] = {{1, "id", {FL_T_BIGINT, 0, 0}, true},
                                     {2, "s", {FL_T_STRING, 0, 0}, false}};
  const fl_schema schema = {0, 2, (fl_field *)fields, 0, NULL};
  got g = {{0}, 0, 0};
  cr_assert_eq(fl_parquet_reader_row_groups(pr), 1);
  cr_assert_eq(fl_parquet_reader_read_row_group(pr, 0, &schema, collect, &g, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(g.n, 3);
  cr_assert_eq(g.ids[0], 1);
  cr_assert_eq(g.ids[2], 3);
  cr_assert_eq(g.nulls, 1);
  fl_parquet_reader_free(pr);
}
