/* ndjson_load_fuzz: libFuzzer over the NDJSON loader of `floe load` (ndjson_load.c).
 *
 * The input bytes are an NDJSON file read against a fixed schema with a column of
 * every type (DECIMAL twice: scale 2 and scale 0 at precision 18). Two ways in,
 * picked by the input's size so that both see every corpus entry's neighbours:
 *   - whole file: fmemopen + fl_cli_ndjson_read (the buffer refills, line cuts, the
 *     last line without '\n', BOM, '\r');
 *   - line by line: each line copied to a heap block of exactly its length and given
 *     to fl_cli_ndjson_reader_line, so ASan sees any read past the line's end.
 * The schema variant (id NOT NULL or not) and the batch size (1..3 rows, so batches
 * fill and reset often) come from the size too.
 *
 * Checks invariants, not golden output: no crash or sanitizer report on any bytes; a
 * failure is FL_EPARSE/FL_ETYPE/FL_ELIMIT with a message starting "fuzz.ndjson:<line>:";
 * every emitted row renders as JSON (fl_batch_row_to_json), every non-null JSON value
 * is valid JSON text again (jansson), every decimal fits its precision, and the rows
 * counted equal the rows emitted.
 * Seed corpus: tests/fuzz/corpus/ndjson/. Run:
 *   build-fuzz/fuzz/ndjson_load_fuzz -max_total_time=60 tests/fuzz/corpus/ndjson */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ndjson_load.h"
#include "core/batch.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/types.h"
#include "core/value.h"

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, false},    {2, "ok", {FL_T_BOOLEAN, 0, 0}, false},
    {3, "qty", {FL_T_INT, 0, 0}, false},      {4, "ratio", {FL_T_FLOAT, 0, 0}, false},
    {5, "score", {FL_T_DOUBLE, 0, 0}, false}, {6, "amount", {FL_T_DECIMAL, 12, 2}, false},
    {7, "big", {FL_T_DECIMAL, 18, 0}, false}, {8, "day", {FL_T_DATE, 0, 0}, false},
    {9, "ts", {FL_T_TIMESTAMP, 0, 0}, false}, {10, "name", {FL_T_STRING, 0, 0}, false},
    {11, "doc", {FL_T_JSON, 0, 0}, false},
};
enum { NFIELDS = sizeof fields / sizeof fields[0] };

typedef struct fuzz_ctx {
  uint64_t emitted;
  fl_buf out;
} fuzz_ctx;

static fl_code emit(void *ctx, const fl_batch *batch, fl_err *err) {
  (void)err;
  fuzz_ctx *fc = ctx;
  CHECK(batch->nrows > 0 && batch->nrows <= batch->capacity);
  for (uint32_t r = 0; r < batch->nrows; r++) {
    fl_buf_clear(&fc->out);
    fl_batch_row_to_json(batch, r, &fc->out);
    CHECK(fc->out.len >= 2);
    for (uint32_t c = 0; c < batch->ncols; c++) {
      fl_value v;
      fl_batch_get(batch, c, r, &v);
      if (v.is_null) continue;
      if (v.type.kind == FL_T_DECIMAL) {
        int64_t lim = 1; /* 10^precision */
        for (unsigned p = 0; p < v.type.precision; p++) lim *= 10;
        CHECK(v.u.i64 > -lim && v.u.i64 < lim);
      } else if (v.type.kind == FL_T_JSON) {
        json_error_t jerr;
        json_t *j = json_loadb(v.u.str.ptr, v.u.str.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        CHECK(j != NULL);
        json_decref(j);
      }
    }
  }
  fc->emitted += batch->nrows;
  return FL_OK;
}

static void check_error(fl_code rc, const fl_err *err) {
  CHECK(rc == FL_EPARSE || rc == FL_ETYPE || rc == FL_ELIMIT);
  CHECK(err->code == rc);
  CHECK(strncmp(err->msg, "fuzz.ndjson:", 12) == 0);
}

/* Line by line, each line in a heap block of exactly its length. */
static void run_lines(fl_ndjson_reader *rd, const uint8_t *data, size_t size, fuzz_ctx *fc) {
  fl_batch *batch = fl_cli_ndjson_reader_batch(rd);
  size_t start = 0;
  uint64_t lineno = 0, rows = 0;
  fl_err err = {0};
  while (start < size) {
    const uint8_t *nl = memchr(data + start, '\n', size - start);
    size_t len = nl ? (size_t)(nl - (data + start)) : size - start;
    char *line = malloc(len ? len : 1); /* exact size: the loader must not read past len */
    CHECK(line);
    memcpy(line, data + start, len);
    fl_code rc = fl_cli_ndjson_reader_line(rd, line, len, ++lineno, &err);
    free(line);
    if (rc) {
      check_error(rc, &err);
      return;
    }
    if (batch->nrows == batch->capacity) {
      rows += batch->nrows;
      emit(fc, batch, &err);
      fl_batch_reset(batch);
    }
    start += len + 1;
  }
  if (batch->nrows) {
    rows += batch->nrows;
    emit(fc, batch, &err);
    fl_batch_reset(batch);
  }
  CHECK(rows == fc->emitted);
}

static void run_file(fl_ndjson_reader *rd, const uint8_t *data, size_t size, fuzz_ctx *fc) {
  char *copy = malloc(size);
  CHECK(copy);
  memcpy(copy, data, size);
  FILE *in = fmemopen(copy, size, "r");
  CHECK(in);
  uint64_t rows = 0;
  fl_err err = {0};
  fl_code rc = fl_cli_ndjson_read(rd, in, emit, fc, &rows, &err);
  if (rc)
    check_error(rc, &err);
  else
    CHECK(rows == fc->emitted);
  fclose(in);
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0; /* fmemopen refuses an empty buffer; nothing to read anyway */
  bool whole_file = size % 2 == 0;
  fields[0].required = (size / 2) % 2 == 1;
  uint32_t batch_rows = 1 + (uint32_t)((size / 4) % 3);
  fl_schema schema = {0, NFIELDS, fields, 0, NULL};
  fl_ndjson_reader *rd = fl_cli_ndjson_reader_new(&schema, "fuzz.ndjson", batch_rows);
  fuzz_ctx fc = {0, FL_BUF_INIT};
  if (whole_file)
    run_file(rd, data, size, &fc);
  else
    run_lines(rd, data, size, &fc);
  fl_buf_free(&fc.out);
  fl_cli_ndjson_reader_free(rd);
  return 0;
}
