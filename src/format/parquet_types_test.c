/* Unit tests of the Parquet reader and writer on the types beyond DESIGN §3's dialect:
 * DuckDB-written files of the fuzz seed corpus (16-byte FIXED_LEN_BYTE_ARRAY decimals,
 * TIME, UUID, BLOB, and STRUCT/LIST/MAP columns read as JSON text), checked value by
 * value against what DuckDB stored, and floe's own round trip of DECIMAL(38,9), TIME,
 * UUID, BINARY and FIXED(3) with exact statistics. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/batch.h"
#include "core/mem.h"
#include "format/parquet.h"

/* tests/fuzz/corpus/parquet/<name> in the source tree (found from this file's path). */
static void corpus_path(const char *name, char *out, size_t n) {
  const char *src = __FILE__;
  const char *cut = strstr(src, "src/format/parquet_types_test.c");
  cr_assert(cut != NULL, "source path %s", src);
  snprintf(out, n, "%.*stests/fuzz/corpus/parquet/%s", (int)(cut - src), src, name);
}

typedef struct rows {
  fl_buf text; /* every row as JSON, one a line */
  uint32_t n;
} rows;

static int collect(void *ctx, const fl_batch *batch, uint64_t first_row) {
  rows *r = ctx;
  for (uint32_t i = 0; i < batch->nrows; i++) {
    fl_batch_row_to_json(batch, i, &r->text);
    fl_buf_put_u8(&r->text, '\n');
    r->n++;
  }
  return 0;
}

static fl_code read_rows(const char *path, const fl_schema *schema, rows *out, fl_err *err) {
  fl_parquet_reader *pr;
  fl_code rc = fl_parquet_reader_open(path, &pr, err);
  if (rc) return rc;
  for (uint32_t rg = 0; !rc && rg < fl_parquet_reader_row_groups(pr); rg++)
    rc = fl_parquet_reader_read_row_group(pr, rg, schema, collect, out, err);
  fl_parquet_reader_free(pr);
  fl_buf_cstr(&out->text);
  return rc;
}

Test(parquet_types, duckdb_fixed_len_byte_array_decimals_read_exactly) {
  char p[1024];
  corpus_path("duckdb_decimal38_flba.parquet", p, sizeof p);
  fl_field f[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true},
                  {2, "w", {FL_T_DECIMAL, 38, 9}, false},
                  {3, "v", {FL_T_DECIMAL, 22, 2}, false},
                  {4, "m", {FL_T_DECIMAL, 12, 2}, false},
                  {5, "s", {FL_T_DECIMAL, 4, 1}, false}};
  fl_schema s = {0, 5, f, 0, NULL};
  rows r = {FL_BUF_INIT, 0};
  fl_err err = {0};
  cr_assert_eq(read_rows(p, &s, &r, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq((const char *)r.text.data,
                   "{\"id\":1,\"w\":99999999999999999999999999999.999999999,\"v\":-12345678901234567890.12,"
                   "\"m\":9999999999.99,"
                   "\"s\":999.9}\n"
                   "{\"id\":2,\"w\":-99999999999999999999999999999.999999999,\"v\":null,\"m\":-9999999999.99,"
                   "\"s\":-999.9}\n"
                   "{\"id\":3,\"w\":0.000000001,\"v\":99999999999999999999.99,\"m\":null,\"s\":0.1}\n"
                   "{\"id\":4,\"w\":null,\"v\":-0.01,\"m\":0.00,\"s\":null}\n");
  /* the statistics of the 16-byte decimals decode exactly */
  fl_parquet_reader *pr;
  cr_assert_eq(fl_parquet_reader_open(p, &pr, &err), FL_OK, "%s", err.msg);
  fl_column_stats st;
  cr_assert(fl_parquet_reader_row_group_stats(pr, 0, 2, &st));
  cr_assert(st.has_bounds);
  char t[FL_DECIMAL_TEXT_MAX];
  fl_dec128_format(fl_value_dec(&st.min), 9, t);
  cr_assert_str_eq(t, "-99999999999999999999999999999.999999999");
  fl_dec128_format(fl_value_dec(&st.max), 9, t);
  cr_assert_str_eq(t, "99999999999999999999999999999.999999999");
  fl_parquet_reader_free(pr);
  /* a narrower decimal than the file's is refused, not wrapped */
  f[1].type.precision = 30;
  fl_buf_free(&r.text);
  r = (rows){FL_BUF_INIT, 0};
  cr_assert_eq(read_rows(p, &s, &r, &err), FL_ETYPE);
  fl_buf_free(&r.text);
}

Test(parquet_types, duckdb_time_uuid_and_blob_read_as_iceberg_time_uuid_binary) {
  char p[1024];
  corpus_path("duckdb_time_uuid_blob.parquet", p, sizeof p);
  fl_field f[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true},
                  {2, "t", {FL_T_TIME, 0, 0}, false},
                  {3, "u", {FL_T_UUID, 0, 0}, false},
                  {4, "b", {FL_T_BINARY, 0, 0}, false}};
  fl_schema s = {0, 4, f, 0, NULL};
  rows r = {FL_BUF_INIT, 0};
  fl_err err = {0};
  cr_assert_eq(read_rows(p, &s, &r, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(
      (const char *)r.text.data,
      "{\"id\":1,\"t\":\"00:00:00\",\"u\":\"00000000-0000-0000-0000-000000000000\",\"b\":\"\\\\x\"}\n"
      "{\"id\":2,\"t\":\"23:59:59.999999\",\"u\":\"ffffffff-ffff-ffff-ffff-ffffffffffff\",\"b\":"
      "\"\\\\x00ff7f\"}\n"
      "{\"id\":3,\"t\":\"12:30:00.500\",\"u\":\"123e4567-e89b-12d3-a456-426614174000\",\"b\":\"\\\\x616263\"}"
      "\n"
      "{\"id\":4,\"t\":null,\"u\":null,\"b\":null}\n"
      "{\"id\":5,\"t\":\"08:00:00.000001\",\"u\":\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\",\"b\":\"\\\\x80\"}"
      "\n");
  fl_buf_free(&r.text);
}

/* The Iceberg types of DuckDB's nested columns (nested_duckdb.parquet's field ids). */
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
/* a struct field added to the table after the file was written: read as null */
static const fl_nested s2_kids[] = {{FL_NESTED_PRIM, 4, "b", false, {FL_T_STRING, 0, 0}, 0, NULL, NULL},
                                    {FL_NESTED_PRIM, 99, "later", false, {FL_T_INT, 0, 0}, 0, NULL, NULL}};
static const fl_nested roots[] = {{FL_NESTED_STRUCT, 2, "s", false, {0, 0, 0}, 2, s_kids, NULL},
                                  {FL_NESTED_LIST, 5, "l", false, {0, 0, 0}, 1, l_kids, NULL},
                                  {FL_NESTED_MAP, 7, "m", false, {0, 0, 0}, 2, m_kids, NULL},
                                  {FL_NESTED_LIST, 10, "ls", false, {0, 0, 0}, 1, ls_kids, NULL},
                                  {FL_NESTED_STRUCT, 2, "s", false, {0, 0, 0}, 2, s2_kids, NULL}};

Test(parquet_types, duckdb_struct_list_map_read_as_json_with_nulls_kept_apart) {
  char p[1024];
  corpus_path("nested_duckdb.parquet", p, sizeof p);
  fl_field f[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true},
                  {2, "s", {FL_T_JSON, 0, 0}, false, &roots[0]},
                  {5, "l", {FL_T_JSON, 0, 0}, false, &roots[1]},
                  {7, "m", {FL_T_JSON, 0, 0}, false, &roots[2]},
                  {10, "ls", {FL_T_JSON, 0, 0}, false, &roots[3]}};
  fl_schema s = {0, 5, f, 0, NULL};
  rows r = {FL_BUF_INIT, 0};
  fl_err err = {0};
  cr_assert_eq(read_rows(p, &s, &r, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(
      (const char *)r.text.data,
      "{\"id\":1,\"s\":{\"a\":1,\"b\":\"x\"},\"l\":[1,2,3],\"m\":{\"k\":1.5,\"z\":-2},\"ls\":[{\"x\":1.25,"
      "\"ys\":[\"p\",null]}]}\n"
      "{\"id\":2,\"s\":null,\"l\":null,\"m\":null,\"ls\":null}\n"
      "{\"id\":3,\"s\":{\"a\":null,\"b\":null},\"l\":[],\"m\":{},\"ls\":[]}\n"
      "{\"id\":4,\"s\":{\"a\":-7,\"b\":\"say \\\"hi\\\"\\n\"},\"l\":[null,4,null],\"m\":{\"n\":null},"
      "\"ls\":[null,{\"x\":null,\"ys\":[]},{\"x\":-0.50,\"ys\":null}]}\n"
      "{\"id\":5,\"s\":{\"a\":2147483647,\"b\":\"\"},\"l\":[9223372036854775807],\"m\":{\"k\":0.1},"
      "\"ls\":[{\"x\":99999999.99,\"ys\":[\"a\",\"b\",\"c\"]}]}\n");
  fl_buf_free(&r.text);
  /* schema evolution: a struct field the file lacks is null; a top-level nested
   * column the file lacks is null */
  fl_field g[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true},
                  {2, "s", {FL_T_JSON, 0, 0}, false, &roots[4]},
                  {77, "gone", {FL_T_JSON, 0, 0}, false, &roots[1]}};
  fl_schema s2 = {0, 3, g, 0, NULL};
  r = (rows){FL_BUF_INIT, 0};
  cr_assert_eq(read_rows(p, &s2, &r, &err), FL_OK, "%s", err.msg);
  cr_assert(strstr((const char *)r.text.data,
                   "{\"id\":1,\"s\":{\"b\":\"x\",\"later\":null},\"gone\":null}\n") != NULL,
            "%s", (const char *)r.text.data);
  cr_assert(strstr((const char *)r.text.data, "{\"id\":2,\"s\":null,\"gone\":null}\n") != NULL);
  fl_buf_free(&r.text);
}

Test(parquet_types, every_flipped_byte_of_a_nested_file_is_an_error_or_valid_rows) {
  /* no crash, no hang, and whatever reads is JSON text per row (a corrupt level
   * stream is FL_ECORRUPT) */
  char p[1024];
  corpus_path("nested_duckdb.parquet", p, sizeof p);
  FILE *fp = fopen(p, "rb");
  cr_assert(fp);
  uint8_t buf[4096];
  size_t len = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  fl_field f[] = {{2, "s", {FL_T_JSON, 0, 0}, false, &roots[0]},
                  {5, "l", {FL_T_JSON, 0, 0}, false, &roots[1]},
                  {7, "m", {FL_T_JSON, 0, 0}, false, &roots[2]},
                  {10, "ls", {FL_T_JSON, 0, 0}, false, &roots[3]}};
  fl_schema s = {0, 4, f, 0, NULL};
  uint32_t errors = 0;
  for (size_t i = 4; i + 8 < len; i++) {
    uint8_t save = buf[i];
    buf[i] ^= 0x5a;
    fl_parquet_reader *pr;
    fl_err err = {0};
    if (fl_parquet_reader_open_mem(buf, len, "flip.parquet", &pr, &err) == FL_OK) {
      rows r = {FL_BUF_INIT, 0};
      for (uint32_t rg = 0; rg < fl_parquet_reader_row_groups(pr); rg++)
        if (fl_parquet_reader_read_row_group(pr, rg, &s, collect, &r, &err) != FL_OK) {
          errors++;
          cr_assert(strstr(err.msg, "flip.parquet") != NULL, "%s", err.msg);
          break;
        }
      fl_buf_free(&r.text);
      fl_parquet_reader_free(pr);
    } else {
      errors++;
    }
    buf[i] = save;
  }
  cr_assert_gt(errors, 0);
}

Test(parquet_types, floe_writes_wide_decimal_time_uuid_binary_fixed_and_reads_them_back) {
  fl_field f[] = {{1, "w", {FL_T_DECIMAL, 38, 9}, false},
                  {2, "t", {FL_T_TIME, 0, 0}, false},
                  {3, "u", {FL_T_UUID, 0, 0}, false},
                  {4, "b", {FL_T_BINARY, 0, 0}, false},
                  {5, "x", {FL_T_FIXED, 0, 0, 3}, false}};
  fl_schema s = {0, 5, f, 0, NULL};
  fl_batch *b = fl_batch_new(f, 5, 8);
  fl_i128 max = fl_dec128_pow10(38) - 1;
  const uint8_t u1[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
                          0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00};
  const uint8_t u0[16] = {0};
  fl_vec_append_dec(&b->cols[0], -max);
  fl_vec_append_i64(&b->cols[1], 86399999999);
  fl_vec_append_str(&b->cols[2], (const char *)u1, 16);
  fl_vec_append_str(&b->cols[3], "\0\xff", 2);
  fl_vec_append_str(&b->cols[4], "abc", 3);
  fl_vec_append_dec(&b->cols[0], max);
  fl_vec_append_i64(&b->cols[1], 0);
  fl_vec_append_str(&b->cols[2], (const char *)u0, 16);
  fl_vec_append_str(&b->cols[3], "", 0);
  fl_vec_append_str(&b->cols[4], "\x80\0\x01", 3);
  for (int c = 0; c < 5; c++) fl_vec_append_null(&b->cols[c]);
  fl_batch_set_rows(b, 3);
  char path[] = "/tmp/floe-types-XXXXXX.parquet";
  int fd = mkstemps(path, 8);
  cr_assert(fd >= 0);
  close(fd);
  unlink(path);
  fl_parquet_writer *pw;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_writer_open(path, &s, NULL, &pw, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_parquet_writer_write(pw, b, &err), FL_OK, "%s", err.msg);
  const fl_parquet_file_info *info;
  cr_assert_eq(fl_parquet_writer_close(pw, &info, &err), FL_OK, "%s", err.msg);
  /* the file's statistics: exact 128-bit bounds, bytewise byte bounds */
  char t[FL_DECIMAL_TEXT_MAX];
  cr_assert(info->cols[0].has_bounds);
  fl_dec128_format(fl_value_dec(&info->cols[0].min), 9, t);
  cr_assert_str_eq(t, "-99999999999999999999999999999.999999999");
  fl_dec128_format(fl_value_dec(&info->cols[0].max), 9, t);
  cr_assert_str_eq(t, "99999999999999999999999999999.999999999");
  cr_assert_eq(info->cols[1].min.u.i64, 0);
  cr_assert_eq(info->cols[1].max.u.i64, 86399999999);
  cr_assert(info->cols[4].max.u.str.len == 3 && !memcmp(info->cols[4].max.u.str.ptr, "\x80\0\x01", 3));
  fl_parquet_writer_free(pw);
  rows r = {FL_BUF_INIT, 0};
  cr_assert_eq(read_rows(path, &s, &r, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(
      (const char *)r.text.data,
      "{\"w\":-99999999999999999999999999999.999999999,\"t\":\"23:59:59.999999\","
      "\"u\":\"123e4567-e89b-12d3-a456-426614174000\",\"b\":\"\\\\x00ff\",\"x\":\"\\\\x616263\"}\n"
      "{\"w\":99999999999999999999999999999.999999999,\"t\":\"00:00:00\","
      "\"u\":\"00000000-0000-0000-0000-000000000000\",\"b\":\"\\\\x\",\"x\":\"\\\\x800001\"}\n"
      "{\"w\":null,\"t\":null,\"u\":null,\"b\":null,\"x\":null}\n");
  fl_buf_free(&r.text);
  unlink(path);
  fl_batch_free(b);
}

Test(parquet_types, byte_array_decimals_of_another_writer_read_exactly_an_empty_one_as_zero) {
  /* hyparquet-writer 0.6 wrote DECIMAL(30,2) as BYTE_ARRAY: minimal big-endian bytes,
   * zero as no bytes at all (DuckDB reads the same values) */
  char p[1024];
  corpus_path("hyparquet_decimal_byte_array.parquet", p, sizeof p);
  fl_field f[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true}, {2, "d", {FL_T_DECIMAL, 30, 2}, false}};
  fl_schema s = {0, 2, f, 0, NULL};
  rows r = {FL_BUF_INIT, 0};
  fl_err err = {0};
  cr_assert_eq(read_rows(p, &s, &r, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq((const char *)r.text.data,
                   "{\"id\":1,\"d\":9999999999999999832227.84}\n"
                   "{\"id\":2,\"d\":-1180591620717411303424.00}\n"
                   "{\"id\":3,\"d\":0.00}\n"
                   "{\"id\":4,\"d\":null}\n"
                   "{\"id\":5,\"d\":-0.01}\n"
                   "{\"id\":6,\"d\":12345.67}\n");
  fl_buf_free(&r.text);
}

/* The Iceberg types type the nested values: a struct field widened to long, a string
 * field declared binary (printed as bytes); a type the file cannot give is refused. */
static const fl_nested typed_kids[] = {{FL_NESTED_PRIM, 3, "a", false, {FL_T_BIGINT, 0, 0}, 0, NULL, NULL},
                                       {FL_NESTED_PRIM, 4, "b", false, {FL_T_BINARY, 0, 0}, 0, NULL, NULL}};
static const fl_nested bad_kids[] = {{FL_NESTED_PRIM, 3, "a", false, {FL_T_STRING, 0, 0}, 0, NULL, NULL}};
static const fl_nested typed_roots[] = {{FL_NESTED_STRUCT, 2, "s", false, {0, 0, 0}, 2, typed_kids, NULL},
                                        {FL_NESTED_STRUCT, 2, "s", false, {0, 0, 0}, 1, bad_kids, NULL}};

Test(parquet_types, nested_values_take_the_iceberg_types) {
  char p[1024];
  corpus_path("nested_duckdb.parquet", p, sizeof p);
  fl_field f[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true}, {2, "s", {FL_T_JSON, 0, 0}, false, &typed_roots[0]}};
  fl_schema s = {0, 2, f, 0, NULL};
  rows r = {FL_BUF_INIT, 0};
  fl_err err = {0};
  cr_assert_eq(read_rows(p, &s, &r, &err), FL_OK, "%s", err.msg);
  cr_assert(strstr((const char *)r.text.data, "{\"id\":1,\"s\":{\"a\":1,\"b\":\"\\\\x78\"}}\n") != NULL, "%s",
            (const char *)r.text.data);
  cr_assert(strstr((const char *)r.text.data, "{\"id\":5,\"s\":{\"a\":2147483647,\"b\":\"\\\\x\"}}\n") !=
            NULL);
  fl_buf_free(&r.text);
  f[1].nested = &typed_roots[1];
  r = (rows){FL_BUF_INIT, 0};
  cr_assert_eq(read_rows(p, &s, &r, &err), FL_ETYPE);
  cr_assert(
      strstr(err.msg, "column s: field a (id 3) is int in the file, the schema asks for string") != NULL,
      "%s", err.msg);
  fl_buf_free(&r.text);
}

/* A timestamp_ns inside a struct reads exactly, as a flat one does (merge of ideletes'
 * timestamp_ns and itypes' nested columns). duckdb_nested_timestamp_ns.parquet: DuckDB's
 * COPY of (id BIGINT, s STRUCT(t TIMESTAMP_NS, n INT)) with FIELD_IDS {id: 1, s: {t: 3,
 * n: 4}}: INT64 TIMESTAMP(NANOS) inside the struct. */
static const fl_nested ns_kids[] = {{FL_NESTED_PRIM, 3, "t", false, {FL_T_TIMESTAMP_NS, 0, 0}, 0, NULL, NULL},
                                    {FL_NESTED_PRIM, 4, "n", false, {FL_T_INT, 0, 0}, 0, NULL, NULL}};
static const fl_nested us_kids[] = {{FL_NESTED_PRIM, 3, "t", false, {FL_T_TIMESTAMP, 0, 0}, 0, NULL, NULL}};
static const fl_nested ns_roots[] = {{FL_NESTED_STRUCT, 2, "s", false, {0, 0, 0}, 2, ns_kids, NULL},
                                     {FL_NESTED_STRUCT, 2, "s", false, {0, 0, 0}, 1, us_kids, NULL}};

Test(parquet_types, nested_timestamp_ns_reads_exact_nanoseconds) {
  char p[1024];
  corpus_path("duckdb_nested_timestamp_ns.parquet", p, sizeof p);
  fl_field f[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true}, {2, "s", {FL_T_JSON, 0, 0}, false, &ns_roots[0]}};
  fl_schema s = {0, 2, f, 0, NULL};
  rows r = {FL_BUF_INIT, 0};
  fl_err err = {0};
  cr_assert_eq(read_rows(p, &s, &r, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq((const char *)r.text.data,
                   "{\"id\":1,\"s\":{\"t\":\"2024-05-06T07:08:09.123456789Z\",\"n\":1}}\n"
                   "{\"id\":2,\"s\":null}\n"
                   "{\"id\":3,\"s\":{\"t\":null,\"n\":3}}\n"
                   "{\"id\":4,\"s\":{\"t\":\"1969-12-31T23:59:59.999999999Z\",\"n\":4}}\n");
  fl_buf_free(&r.text);
  /* read as a microsecond timestamp: floored, as a flat column is */
  f[1].nested = &ns_roots[1];
  r = (rows){FL_BUF_INIT, 0};
  cr_assert_eq(read_rows(p, &s, &r, &err), FL_OK, "%s", err.msg);
  cr_assert(
      strstr((const char *)r.text.data, "{\"id\":1,\"s\":{\"t\":\"2024-05-06T07:08:09.123456Z\"}}\n") != NULL,
      "%s", (const char *)r.text.data);
  cr_assert(
      strstr((const char *)r.text.data, "{\"id\":4,\"s\":{\"t\":\"1969-12-31T23:59:59.999999Z\"}}\n") != NULL,
      "%s", (const char *)r.text.data);
  fl_buf_free(&r.text);
}
