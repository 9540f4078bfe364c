/* parquet_footer_fuzz: libFuzzer target over whole Parquet files: the input is
 * opened with fl_parquet_reader_open_mem (magic, footer length, FileMetaData, schema
 * tree, row group and chunk bounds) and every row group is read with the file's own
 * schema (pages, codecs, encodings). Invariant: FL_OK, or an error with a message
 * naming the file; never a crash, a leak or unbounded work. Seeds:
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
    for (uint32_t f = 0; f < schema->nfields; f++)
      fl_parquet_reader_row_group_stats(pr, rg, schema->fields[f].id, &st);
    fl_code rc = fl_parquet_reader_read_row_group(pr, rg, schema, emit_some, &batches, &err);
    if (rc != FL_OK && rc != FL_ELIMIT) FL_ASSERT(err.msg[0] != '\0');
  }
  fl_parquet_reader_free(pr);
  return 0;
}
