/* json_parse_fuzz: libFuzzer over floe's schema-directed JSON parser (json/parse.c).
 *
 * The input bytes are a request body (NDJSON or a JSON array) parsed against a fixed
 * schema with a column of every type (some NOT NULL, picked by the input's size so both
 * variants see every corpus entry). libFuzzer's buffer is exactly the input, so ASan
 * sees any read past the body (the parser reads padded copies near the end).
 *
 * Checks invariants, not golden output: no crash or sanitizer report on any bytes;
 * records = accepted + rejected; the batch holds exactly the accepted rows (string
 * offsets rising to bytes_len, null slots zero); accepted spans lie in the body and are
 * '{'..'}'; reject spans lie in the body, lines rise; STRING values are valid UTF-8 and
 * JSON values valid JSON (jansson); DECIMALs fit their precision; an accepted record
 * parsed again alone (in "[...]") is accepted with the same values (context free);
 * fl_json_parse_into (the stream job's) appends exactly the same rows, lines and rejects
 * to a caller's batch that already holds a row, its columns in reverse order.
 * Seed corpus: tests/fuzz/corpus/json/. Run:
 *   build-fuzz/fuzz/json_parse_fuzz -max_total_time=60 tests/fuzz/corpus/json */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/batch.h"
#include "core/mem.h"
#include "json/json.h"

static fl_field fields_opt[] = {
    {1, "b", {FL_T_BOOLEAN, 0, 0}, false},    {2, "i", {FL_T_INT, 0, 0}, false},
    {3, "l", {FL_T_BIGINT, 0, 0}, false},     {4, "f", {FL_T_FLOAT, 0, 0}, false},
    {5, "d", {FL_T_DOUBLE, 0, 0}, false},     {6, "m", {FL_T_DECIMAL, 12, 2}, false},
    {7, "dt", {FL_T_DATE, 0, 0}, false},      {8, "ts", {FL_T_TIMESTAMP, 0, 0}, false},
    {9, "s", {FL_T_STRING, 0, 0}, false},     {10, "j", {FL_T_JSON, 0, 0}, false},
    {11, "m0", {FL_T_DECIMAL, 18, 0}, false}, {12, "w", {FL_T_DECIMAL, 38, 9}, false},
    {13, "t", {FL_T_TIME, 0, 0}, false},      {14, "u", {FL_T_UUID, 0, 0}, false},
    {15, "bin", {FL_T_BINARY, 0, 0}, false},  {16, "fx", {FL_T_FIXED, 0, 0, 4}, false},
};
static fl_field fields_req[] = {
    {1, "event_id", {FL_T_STRING, 0, 0}, true},
    {2, "event_type", {FL_T_STRING, 0, 0}, true},
    {3, "order_id", {FL_T_BIGINT, 0, 0}, true},
    {4, "amount", {FL_T_DECIMAL, 12, 2}, false},
    {5, "event_time", {FL_T_TIMESTAMP, 0, 0}, true},
    {6, "attributes", {FL_T_JSON, 0, 0}, false},
    {7, "s", {FL_T_STRING, 0, 0}, false},
};
static fl_schema schema_opt = {0, 16, fields_opt, 0, NULL};
static fl_schema schema_req = {0, 7, fields_req, 0, NULL};

static bool utf8_ok(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t a = s[i];
    size_t k = a < 0x80 ? 1 : a < 0xc2 ? 0 : a < 0xe0 ? 2 : a < 0xf0 ? 3 : a < 0xf5 ? 4 : 0;
    if (!k || i + k > n) return false;
    for (size_t j = 1; j < k; j++)
      if ((s[i + j] & 0xc0) != 0x80) return false;
    if (k == 3 && a == 0xe0 && s[i + 1] < 0xa0) return false;
    if (k == 3 && a == 0xed && s[i + 1] >= 0xa0) return false;
    if (k == 4 && a == 0xf0 && s[i + 1] < 0x90) return false;
    if (k == 4 && a == 0xf4 && s[i + 1] >= 0x90) return false;
    i += k;
  }
  return true;
}

static bool cell_equal(const fl_vec *a, uint32_t ra, const fl_vec *b, uint32_t rb) {
  if (fl_vec_is_valid(a, ra) != fl_vec_is_valid(b, rb)) return false;
  if (!fl_vec_is_valid(a, ra)) return true;
  unsigned w = fl_type_bytes(a->type);
  if (w)
    return !memcmp((const uint8_t *)a->data.raw + (size_t)ra * w,
                   (const uint8_t *)b->data.raw + (size_t)rb * w, w);
  uint32_t na, nb;
  const char *sa = fl_vec_str(a, ra, &na), *sb = fl_vec_str(b, rb, &nb);
  return na == nb && !memcmp(sa, sb, na);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const fl_schema *schema = size % 2 ? &schema_req : &schema_opt;
  fl_json_parser *p = fl_json_parser_new(schema), *q = fl_json_parser_new(schema);
  fl_json_result res, one;
  fl_err err;
  if (fl_json_parse(p, (const char *)data, size, &res, &err)) abort();
  if (res.nrecords != res.nrows + res.nrejects || res.batch->nrows != res.nrows) abort();
  for (uint32_t j = 0; j < res.nrejects; j++) {
    const fl_json_reject *r = &res.rejects[j];
    if ((size_t)r->raw_off + r->raw_len > size || !r->reason || !r->reason[0] || r->line == 0) abort();
    if (j && r->line <= res.rejects[j - 1].line) abort();
    if (!utf8_ok((const uint8_t *)r->reason, strlen(r->reason))) abort();
  }
  for (uint32_t c = 0; c < schema->nfields; c++) {
    const fl_vec *v = &res.batch->cols[c];
    if (v->len != res.nrows) abort();
    if (v->offsets && v->offsets[v->len] != v->bytes_len) abort();
  }
  for (uint32_t i = 0; i < res.nrows; i++) {
    const fl_json_row *r = &res.rows[i];
    if ((size_t)r->raw_off + r->raw_len > size || r->raw_len < 2) abort();
    if (data[r->raw_off] != '{' || data[r->raw_off + r->raw_len - 1] != '}') abort();
    if (i && r->line <= res.rows[i - 1].line) abort();
    for (uint32_t c = 0; c < schema->nfields; c++) {
      const fl_vec *v = &res.batch->cols[c];
      if (v->offsets && v->offsets[i + 1] < v->offsets[i]) abort();
      if (!fl_vec_is_valid(v, i)) {
        if (schema->fields[c].required) abort();
        if (v->offsets ? v->offsets[i + 1] != v->offsets[i] : v->type.kind == FL_T_BIGINT && v->data.i64[i])
          abort();
        continue;
      }
      if (v->type.kind == FL_T_STRING || v->type.kind == FL_T_JSON) {
        uint32_t n;
        const char *s = fl_vec_str(v, i, &n);
        if (!utf8_ok((const uint8_t *)s, n)) abort();
        if (v->type.kind == FL_T_JSON) {
          json_error_t je;
          json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
          /* jansson refuses numbers beyond int64/double, which JSON allows */
          if (!j && !strstr(je.text, "overflow") && !strstr(je.text, "too big")) {
            fprintf(stderr, "JSON value '%.*s' rejected by jansson: %s\n", (int)n, s, je.text);
            abort();
          }
          json_decref(j);
        }
      }
      if (v->type.kind == FL_T_DECIMAL && !fl_dec128_fits(fl_vec_dec(v, i), v->type.precision)) abort();
    }
  }
  /* the first few accepted records, parsed alone (as a one-element array: an array
   * element may span lines), give the same row */
  for (uint32_t i = 0; i < res.nrows && i < 4; i++) {
    const fl_json_row *r = &res.rows[i];
    char *copy = fl_malloc((size_t)r->raw_len + 2);
    copy[0] = '[';
    memcpy(copy + 1, data + r->raw_off, r->raw_len);
    copy[r->raw_len + 1] = ']';
    if (fl_json_parse(q, copy, (size_t)r->raw_len + 2, &one, &err)) abort();
    if (one.nrows != 1 || one.nrejects) abort();
    for (uint32_t c = 0; c < schema->nfields; c++)
      if (!cell_equal(&res.batch->cols[c], i, &one.batch->cols[c], 0)) abort();
    fl_free(copy);
  }
  /* parse_into: the same rows after the caller's first row, through a reversed map */
  uint32_t nc = schema->nfields, map[16];
  fl_field rev[16];
  for (uint32_t c = 0; c < nc; c++) {
    map[c] = nc - 1 - c;
    rev[nc - 1 - c] = schema->fields[c];
  }
  fl_batch *into = fl_batch_new(rev, nc, 1);
  for (uint32_t c = 0; c < nc; c++) fl_vec_append_null(&into->cols[c]);
  fl_batch_set_rows(into, 1);
  uint32_t nrows = res.nrows, nrejects = res.nrejects;
  if (fl_json_parse_into(q, (const char *)data, size, into, map, &one, &err)) abort();
  if (one.nrows != nrows || one.nrejects != nrejects || one.batch != into) abort();
  for (uint32_t i = 0; i < nrows; i++) {
    if (one.rows[i].line != res.rows[i].line || one.rows[i].raw_off != res.rows[i].raw_off) abort();
    for (uint32_t c = 0; c < nc; c++) {
      const fl_vec *v = &into->cols[map[c]];
      if (v->len != nrows + 1) abort();
      if (!cell_equal(&res.batch->cols[c], i, v, i + 1)) abort();
    }
  }
  fl_batch_set_rows(into, nrows + 1);
  fl_batch_free(into);
  fl_json_parser_free(p);
  fl_json_parser_free(q);
  return 0;
}
