/* parquet_page_fuzz: libFuzzer target aimed at page decoding. The input is one
 * column chunk's bytes under a footer the harness builds, so mutations land in page
 * headers, levels, dictionaries, values and compressed data instead of breaking the
 * footer:
 *
 *   byte 0      config: bits 0-3 column type (table below), bit 4 optional,
 *               bits 5-6 codec (NONE, SNAPPY, GZIP, ZSTD)
 *   bytes 1-2   rows in the row group, u16 LE
 *   bytes 3..   the column chunk: page headers and pages
 *
 * A whole Parquet file given as input (the shared seeds in tests/fuzz/corpus/parquet/
 * start with PAR1) is also read as the footer target does. Invariant: FL_OK or an
 * error with a message; never a crash, a leak or unbounded work. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "format/parquet.h"
#include "format/parquet_wire.h"
#include "format/thrift.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
  int32_t phys, converted, scale, precision;
} types[16] = {
    {FL_PQ_BOOLEAN, -1, 0, 0},
    {FL_PQ_INT32, -1, 0, 0},
    {FL_PQ_INT64, -1, 0, 0},
    {FL_PQ_FLOAT, -1, 0, 0},
    {FL_PQ_DOUBLE, -1, 0, 0},
    {FL_PQ_INT32, FL_PQ_CT_DECIMAL, 2, 5},
    {FL_PQ_INT64, FL_PQ_CT_DECIMAL, 2, 12},
    {FL_PQ_INT32, FL_PQ_CT_DATE, 0, 0},
    {FL_PQ_INT64, FL_PQ_CT_TIMESTAMP_MICROS, 0, 0},
    {FL_PQ_BYTE_ARRAY, FL_PQ_CT_UTF8, 0, 0},
    {FL_PQ_BYTE_ARRAY, FL_PQ_CT_JSON, 0, 0},
    {FL_PQ_INT64, FL_PQ_CT_TIMESTAMP_MILLIS, 0, 0},
    {FL_PQ_BYTE_ARRAY, -1, 0, 0},
    {FL_PQ_INT32, FL_PQ_CT_INT_16, 0, 0},
    {FL_PQ_INT96, -1, 0, 0},
    {FL_PQ_FIXED_LEN_BYTE_ARRAY, -1, 0, 0},
};
static const int32_t codecs[4] = {FL_PQ_CODEC_UNCOMPRESSED, FL_PQ_CODEC_SNAPPY, FL_PQ_CODEC_GZIP,
                                  FL_PQ_CODEC_ZSTD};

static int emit_some(void *ctx, const fl_batch *batch, uint64_t first_row) {
  (void)first_row;
  uint32_t *batches = ctx;
  for (uint32_t c = 0; c < batch->ncols; c++) FL_ASSERT(batch->cols[c].len == batch->nrows);
  return ++*batches >= 64 ? FL_ELIMIT : 0;
}

/* The same row groups through a cursor with string columns in dictionary form: every
 * code inside its dictionary, and the vector made flat again. */
static void read_dicts(fl_parquet_reader *pr, const fl_schema *schema) {
  uint32_t batches = 0;
  fl_err err;
  for (uint32_t rg = 0; rg < fl_parquet_reader_row_groups(pr) && batches < 64; rg++) {
    fl_parquet_rg_cursor *cur;
    if (fl_parquet_rg_cursor_open(pr, rg, schema, &cur, &err) != FL_OK) continue;
    fl_parquet_rg_cursor_keep_dicts(cur);
    for (; batches < 64; batches++) {
      const fl_batch *b;
      uint64_t first_row;
      if (fl_parquet_rg_cursor_next(cur, &b, &first_row, &err) != FL_OK || !b) break;
      for (uint32_t c = 0; c < b->ncols; c++) {
        fl_vec *v = &b->cols[c];
        if (!v->dict) continue;
        for (uint32_t r = 0; r < b->nrows; r++) FL_ASSERT(v->codes[r] < v->dict->len, "row %u", r);
        fl_vec_materialize(v);
      }
    }
    fl_parquet_rg_cursor_free(cur);
  }
}

static void read_file(const uint8_t *data, size_t size) {
  fl_parquet_reader *pr;
  fl_err err;
  if (fl_parquet_reader_open_mem(data, size, "fuzz.parquet", &pr, &err) != FL_OK) {
    FL_ASSERT(err.msg[0] != '\0');
    return;
  }
  const fl_schema *schema = fl_parquet_reader_schema(pr);
  uint32_t batches = 0;
  for (uint32_t rg = 0; rg < fl_parquet_reader_row_groups(pr) && batches < 64; rg++) {
    fl_code rc = fl_parquet_reader_read_row_group(pr, rg, schema, emit_some, &batches, &err);
    if (rc != FL_OK && rc != FL_ELIMIT) FL_ASSERT(err.msg[0] != '\0');
  }
  read_dicts(pr, schema);
  fl_parquet_reader_free(pr);
}

static void put_footer(fl_buf *out, uint8_t config, int64_t rows, uint64_t chunk_len) {
  int t = config & 15;
  bool optional = config & 16;
  fl_thrift_enc enc;
  fl_thrift_enc_init(&enc, out);
  fl_thrift_struct_open(&enc); /* FileMetaData */
  fl_thrift_put_i32(&enc, 1, 2);
  fl_thrift_list_field(&enc, 2, FL_TT_STRUCT, 2); /* schema */
  fl_thrift_struct_open(&enc);
  fl_thrift_put_string(&enc, 4, "table");
  fl_thrift_put_i32(&enc, 5, 1);
  fl_thrift_struct_close(&enc);
  fl_thrift_struct_open(&enc);
  fl_thrift_put_i32(&enc, 1, types[t].phys);
  if (types[t].phys == FL_PQ_FIXED_LEN_BYTE_ARRAY) fl_thrift_put_i32(&enc, 2, 4);
  fl_thrift_put_i32(&enc, 3, optional ? FL_PQ_OPTIONAL : FL_PQ_REQUIRED);
  fl_thrift_put_string(&enc, 4, "c");
  if (types[t].converted >= 0) fl_thrift_put_i32(&enc, 6, types[t].converted);
  if (types[t].converted == FL_PQ_CT_DECIMAL) {
    fl_thrift_put_i32(&enc, 7, types[t].scale);
    fl_thrift_put_i32(&enc, 8, types[t].precision);
  }
  fl_thrift_put_i32(&enc, 9, 1); /* field_id */
  fl_thrift_struct_close(&enc);
  fl_thrift_put_i64(&enc, 3, rows);
  fl_thrift_list_field(&enc, 4, FL_TT_STRUCT, 1); /* row_groups */
  fl_thrift_struct_open(&enc);
  fl_thrift_list_field(&enc, 1, FL_TT_STRUCT, 1); /* columns */
  fl_thrift_struct_open(&enc);
  fl_thrift_put_i64(&enc, 2, 0);
  fl_thrift_struct_field(&enc, 3); /* ColumnMetaData */
  fl_thrift_put_i32(&enc, 1, types[t].phys);
  fl_thrift_list_field(&enc, 2, FL_TT_I32, 1);
  fl_thrift_elem_i32(&enc, FL_PQ_ENC_PLAIN);
  fl_thrift_list_field(&enc, 3, FL_TT_BINARY, 1);
  fl_thrift_elem_binary(&enc, "c", 1);
  fl_thrift_put_i32(&enc, 4, codecs[(config >> 5) & 3]);
  fl_thrift_put_i64(&enc, 5, rows);
  fl_thrift_put_i64(&enc, 6, (int64_t)chunk_len);
  fl_thrift_put_i64(&enc, 7, (int64_t)chunk_len);
  fl_thrift_put_i64(&enc, 9, 4); /* data_page_offset */
  fl_thrift_struct_close(&enc);
  fl_thrift_struct_close(&enc);
  fl_thrift_put_i64(&enc, 2, (int64_t)chunk_len);
  fl_thrift_put_i64(&enc, 3, rows);
  fl_thrift_struct_close(&enc);
  fl_thrift_struct_close(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size >= 4 && memcmp(data, FL_PQ_MAGIC, 4) == 0) {
    read_file(data, size);
    return 0;
  }
  if (size < 3) return 0;
  uint8_t config = data[0];
  int64_t rows = fl_le16(data + 1);
  fl_buf file = FL_BUF_INIT, meta = FL_BUF_INIT;
  fl_buf_append(&file, FL_PQ_MAGIC, 4);
  fl_buf_append(&file, data + 3, size - 3);
  put_footer(&meta, config, rows, size - 3);
  fl_buf_append(&file, meta.data, meta.len);
  fl_buf_put_le32(&file, (uint32_t)meta.len);
  fl_buf_append(&file, FL_PQ_MAGIC, 4);
  /* exact-size copy so ASan sees reads past the end */
  uint8_t *exact = fl_malloc(file.len);
  memcpy(exact, file.data, file.len);
  read_file(exact, file.len);
  fl_free(exact);
  fl_buf_free(&file);
  fl_buf_free(&meta);
  return 0;
}
