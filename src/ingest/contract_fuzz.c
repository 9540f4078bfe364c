/* contract_fuzz: libFuzzer over the contract checker (contract.c) and the parser under it.
 *
 * Input: the first line is a CHECK expression, the rest a request body. The CHECK is
 * compiled against a schema with a column of every type (fl_contract_new_sql: most
 * inputs fail to parse, bind or compile, which must be a clean error); when it compiles,
 * the body is parsed and checked.
 *
 * Checks invariants: no crash or sanitizer report; a compile error has a message;
 * after the check, records = accepted + rejected, the batch holds exactly the accepted
 * rows (string offsets consistent), rows and rejects are in line order, every reject
 * has a reason, and checking the accepted rows again rejects nothing (the contract is
 * a pure function of the row, except now()).
 * Seed corpus: tests/fuzz/corpus/ingest/. Run:
 *   build-fuzz/fuzz/contract_fuzz -max_total_time=60 tests/fuzz/corpus/ingest */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "ingest/contract.h"
#include "json/json.h"

static fl_field fields[] = {
    {1, "b", {FL_T_BOOLEAN, 0, 0}, false},
    {2, "i", {FL_T_INT, 0, 0}, false},
    {3, "l", {FL_T_BIGINT, 0, 0}, false},
    {4, "f", {FL_T_FLOAT, 0, 0}, false},
    {5, "d", {FL_T_DOUBLE, 0, 0}, false},
    {6, "m", {FL_T_DECIMAL, 12, 2}, false},
    {7, "dt", {FL_T_DATE, 0, 0}, false},
    {8, "ts", {FL_T_TIMESTAMP, 0, 0}, false},
    {9, "s", {FL_T_STRING, 0, 0}, false},
    {10, "j", {FL_T_JSON, 0, 0}, false},
    {11, "event_type", {FL_T_STRING, 0, 0}, false},
};
static fl_schema schema = {0, 11, fields, 0, NULL};

static void check_result(const fl_json_result *res, size_t size) {
  if (res->nrecords != res->nrows + res->nrejects || res->batch->nrows != res->nrows) abort();
  for (uint32_t c = 0; c < schema.nfields; c++) {
    const fl_vec *v = &res->batch->cols[c];
    if (v->len != res->nrows) abort();
    if (v->offsets) {
      for (uint32_t i = 0; i < v->len; i++)
        if (v->offsets[i + 1] < v->offsets[i]) abort();
      if (v->offsets[v->len] != v->bytes_len) abort();
    }
  }
  for (uint32_t i = 1; i < res->nrows; i++)
    if (res->rows[i].line <= res->rows[i - 1].line) abort();
  for (uint32_t j = 0; j < res->nrejects; j++) {
    const fl_json_reject *r = &res->rejects[j];
    if (!r->reason || !r->reason[0] || (size_t)r->raw_off + r->raw_len > size) abort();
    if (j && r->line < res->rejects[j - 1].line) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nl = memchr(data, '\n', size);
  size_t elen = nl ? (size_t)(nl - data) : size;
  if (elen > 4096) return 0;
  char *expr = fl_malloc(elen + 1);
  memcpy(expr, data, elen);
  expr[elen] = 0;
  if (strlen(expr) != elen) { /* a NUL inside: not a C string */
    fl_free(expr);
    return 0;
  }
  const char *checks[1] = {expr};
  fl_contract *c = NULL;
  fl_err err = {0};
  fl_code rc = fl_contract_new_sql(&schema, checks, 1, &c, &err);
  if (rc) {
    if (c || !err.msg[0]) abort();
    fl_free(expr);
    return 0;
  }
  const char *body = nl ? (const char *)nl + 1 : "";
  size_t blen = nl ? size - elen - 1 : 0;
  fl_json_parser *p = fl_json_parser_new(&schema);
  fl_json_result res;
  if (fl_json_parse(p, body, blen, &res, &err)) abort();
  uint32_t before = res.nrecords;
  if (fl_contract_check(c, p, &res, body, &err)) abort();
  if (res.nrecords != before) abort();
  check_result(&res, blen);
  /* the accepted rows, checked again, all pass */
  if (!strstr(expr, "now")) {
    uint32_t nrows = res.nrows, nrej = res.nrejects;
    if (fl_contract_check(c, p, &res, body, &err)) abort();
    if (res.nrows != nrows || res.nrejects != nrej) abort();
  }
  fl_json_parser_free(p);
  fl_contract_free(c);
  fl_free(expr);
  return 0;
}
