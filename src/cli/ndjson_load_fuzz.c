/* ndjson_load_fuzz: libFuzzer over the NDJSON loader of `floe load` (ndjson_load.c).
 *
 * The input bytes are an NDJSON file read against a fixed schema with a column of
 * every type (DECIMAL twice: scale 2 and scale 0 at precision 18), through fmemopen +
 * fl_cli_ndjson_read (the buffer refills, line cuts, the last line without '\n', BOM,
 * '\r'). The schema variant (id NOT NULL or not) and the batch size (1..3 rows, so
 * chunks fill and flush often) come from the input's size.
 *
 * Checks invariants, not golden output: no crash or sanitizer report on any bytes; a
 * failure is FL_EPARSE/FL_ETYPE/FL_ELIMIT with a message starting "fuzz.ndjson:<line>:";
 * every emitted row renders as JSON (fl_batch_row_to_json), every non-null JSON value
 * is valid JSON text again (jansson), every decimal fits its precision, and the rows
 * counted equal the rows emitted. And the one-parser rule: the whole input POSTed as
 * one body (fl_json_parse, the events API's call) gives the same verdict: a load
 * that succeeds is a body with no reject and the same rows, rendered byte for byte;
 * a load that fails at line L is a body whose first reject is at line L.
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
#include "json/json.h"

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
  fl_buf all; /* every emitted row, rendered, one per line */
} fuzz_ctx;

static fl_code emit(void *ctx, const fl_batch *batch, fl_err *err) {
  (void)err;
  fuzz_ctx *fc = ctx;
  CHECK(batch->nrows > 0 && batch->nrows <= batch->capacity);
  for (uint32_t r = 0; r < batch->nrows; r++) {
    fl_buf_clear(&fc->out);
    fl_batch_row_to_json(batch, r, &fc->out);
    CHECK(fc->out.len >= 2);
    fl_buf_append(&fc->all, fc->out.data, fc->out.len);
    fl_buf_put_u8(&fc->all, '\n');
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

/* The same bytes as one events API body: same verdict, same rows. */
static void same_as_body(const fl_schema *schema, const uint8_t *data, size_t size, fl_code rc,
                         const fl_err *err, const fuzz_ctx *fc) {
  if (rc == FL_ELIMIT) return;           /* the loader's line limit, before parsing */
  for (size_t k = 1; k + 3 <= size; k++) /* a BOM is skipped at a body's (and a chunk's) start only */
    if (!memcmp(data + k, "\xEF\xBB\xBF", 3)) return;
  char *body = malloc(size);
  CHECK(body);
  memcpy(body, data, size);
  fl_json_parser *p = fl_json_parser_new(schema);
  fl_json_parser_set_ndjson_only(p, true); /* a body may be one JSON array; a file is lines */
  fl_json_result res;
  fl_err perr = {0};
  CHECK(fl_json_parse(p, body, size, &res, &perr) == FL_OK);
  if (rc == FL_OK) {
    CHECK(res.nrejects == 0);
    CHECK(res.nrows == fc->emitted);
    fl_buf all = FL_BUF_INIT;
    for (uint32_t r = 0; r < res.nrows; r++) {
      fl_batch_row_to_json(res.batch, r, &all);
      fl_buf_put_u8(&all, '\n');
    }
    CHECK(all.len == fc->all.len && !memcmp(all.data, fc->all.data, all.len));
    fl_buf_free(&all);
  } else {
    CHECK(res.nrejects > 0);
    char want[32];
    int n = snprintf(want, sizeof want, "fuzz.ndjson:%u:", res.rejects[0].line);
    CHECK(!strncmp(err->msg, want, (size_t)n));
  }
  fl_json_parser_free(p);
  free(body);
}

static void run_file(const fl_schema *schema, fl_ndjson_reader *rd, const uint8_t *data, size_t size,
                     fuzz_ctx *fc) {
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
  same_as_body(schema, data, size, rc, &err, fc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0; /* fmemopen refuses an empty buffer; nothing to read anyway */
  fields[0].required = (size / 2) % 2 == 1;
  uint32_t batch_rows = 1 + (uint32_t)((size / 4) % 3);
  fl_schema schema = {0, NFIELDS, fields, 0, NULL};
  fl_ndjson_reader *rd = fl_cli_ndjson_reader_new(&schema, "fuzz.ndjson", batch_rows);
  fuzz_ctx fc = {0, FL_BUF_INIT, FL_BUF_INIT};
  run_file(&schema, rd, data, size, &fc);
  fl_buf_free(&fc.out);
  fl_buf_free(&fc.all);
  fl_cli_ndjson_reader_free(rd);
  return 0;
}
