/* csv_load_fuzz: libFuzzer over the CSV loader of `floe load` (csv_load.c).
 *
 * The input bytes are a CSV file (header and records) read against a fixed schema with
 * a column of every type, through fmemopen + fl_cli_csv_read, twice: with batches of 1
 * row and of 3 rows, header fields the table lacks refused or ignored (from the input's
 * size). Checks invariants, not golden output: no crash or sanitizer report on any
 * bytes; a failure is FL_EPARSE/FL_ETYPE/FL_ELIMIT/FL_ESCHEMA with a message starting
 * "fuzz.csv"; every emitted row renders as JSON, every non-null JSON value is valid
 * JSON text, every STRING valid UTF-8 and every decimal within its precision; the rows
 * counted equal the rows emitted; and batch size changes nothing: both runs give the
 * same verdict, the same message and the same rows byte for byte.
 * Seed corpus: tests/fuzz/corpus/csv_load/. Run:
 *   build-fuzz/fuzz/csv_load_fuzz -max_total_time=60 tests/fuzz/corpus/csv_load */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/csv_load.h"
#include "core/batch.h"
#include "core/buf.h"
#include "core/mem.h"

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, false},    {2, "ok", {FL_T_BOOLEAN, 0, 0}, false},
    {3, "qty", {FL_T_INT, 0, 0}, false},      {4, "ratio", {FL_T_FLOAT, 0, 0}, false},
    {5, "score", {FL_T_DOUBLE, 0, 0}, false}, {6, "amount", {FL_T_DECIMAL, 12, 2}, false},
    {7, "big", {FL_T_DECIMAL, 38, 0}, false}, {8, "day", {FL_T_DATE, 0, 0}, false},
    {9, "ts", {FL_T_TIMESTAMP, 0, 0}, false}, {10, "name", {FL_T_STRING, 0, 0}, false},
    {11, "doc", {FL_T_JSON, 0, 0}, false},
};
enum { NFIELDS = sizeof fields / sizeof fields[0] };

typedef struct fuzz_ctx {
  uint64_t emitted;
  fl_buf all; /* every emitted row as JSON, one per line */
} fuzz_ctx;

static fl_code emit(void *ctx, const fl_batch *batch, fl_err *err) {
  (void)err;
  fuzz_ctx *fc = ctx;
  CHECK(batch->nrows > 0 && batch->nrows <= batch->capacity);
  for (uint32_t r = 0; r < batch->nrows; r++) {
    fl_batch_row_to_json(batch, r, &fc->all);
    fl_buf_put_u8(&fc->all, '\n');
    for (uint32_t c = 0; c < batch->ncols; c++) {
      fl_value v;
      fl_batch_get(batch, c, r, &v);
      if (v.is_null) continue;
      if (v.type.kind == FL_T_DECIMAL && v.type.precision <= 18) {
        int64_t lim = 1;
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

static fl_code run(const uint8_t *data, size_t size, uint32_t batch_rows, bool ignore, fuzz_ctx *fc,
                   fl_err *err) {
  char *copy = malloc(size);
  CHECK(copy);
  memcpy(copy, data, size);
  FILE *in = fmemopen(copy, size, "r");
  CHECK(in);
  fl_schema schema = {.fields = fields, .nfields = NFIELDS};
  uint64_t rows = 0;
  fl_code rc = fl_cli_csv_read(&schema, "fuzz.csv", in, batch_rows, ignore, emit, fc, &rows, err);
  if (rc) {
    CHECK(rc == FL_EPARSE || rc == FL_ETYPE || rc == FL_ELIMIT || rc == FL_ESCHEMA);
    CHECK(err->code == rc);
    CHECK(strncmp(err->msg, "fuzz.csv", 8) == 0);
  } else {
    CHECK(rows == fc->emitted);
  }
  fclose(in);
  free(copy);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0; /* fmemopen refuses an empty buffer */
  bool ignore = size % 2 == 1;
  fuzz_ctx a = {0, FL_BUF_INIT}, b = {0, FL_BUF_INIT};
  fl_err ea = {0}, eb = {0};
  fl_code ra = run(data, size, 1, ignore, &a, &ea);
  fl_code rb = run(data, size, 3, ignore, &b, &eb);
  CHECK(ra == rb);
  if (ra)
    CHECK(!strcmp(ea.msg, eb.msg));
  else
    CHECK(a.all.len == b.all.len && (!a.all.len || !memcmp(a.all.data, b.all.data, a.all.len)));
  fl_buf_free(&a.all);
  fl_buf_free(&b.all);
  return 0;
}
