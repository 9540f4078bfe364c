/* result_test: the result writers (result_write.c) over fl_op_values sources: the exact
 * bytes of the table box, JSON, NDJSON and CSV (quoting, NULL vs empty string, exact
 * wide decimals, timestamps), rows across batches, and the Arrow IPC stream's framing
 * (continuation markers, 8-byte alignment, end marker). An independent Arrow reader
 * checks the values in tests/e2e (apache-arrow). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/batch.h"
#include "core/mem.h"
#include "sql/exec.h"
#include "sql/sql.h"

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},       {2, "name", {FL_T_STRING, 0, 0}, false},
    {3, "total", {FL_T_DECIMAL, 38, 2}, false}, {4, "ts", {FL_T_TIMESTAMP, 0, 0}, false},
    {5, "ok", {FL_T_BOOLEAN, 0, 0}, false},
};

static fl_batch *make(int64_t id, const char *name, fl_i128 total, bool total_null) {
  fl_batch *b = fl_batch_new(fields, 5, 4);
  fl_vec_append_i64(&b->cols[0], id);
  if (name)
    fl_vec_append_str(&b->cols[1], name, (uint32_t)strlen(name));
  else
    fl_vec_append_null(&b->cols[1]);
  if (total_null)
    fl_vec_append_null(&b->cols[2]);
  else
    fl_vec_append_dec(&b->cols[2], total);
  fl_vec_append_i64(&b->cols[3], 1714564800000000 + id); /* 2024-05-01 12:00:00.000001.. */
  fl_vec_append_bool(&b->cols[4], id % 2);
  fl_batch_set_rows(b, 1);
  return b;
}

/* Runs the writer over a values source of three one-row batches; returns the output. */
static char *write_all(fl_sql_format fmt, size_t *len) {
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_exec_ctx ctx = {.arena = &arena};
  fl_i128 big = (fl_i128)123456789012345678LL * 1000000000000LL + 99; /* 22 digits */
  fl_batch *bs[3] = {make(1, "plain", 12050, false), make(2, "a,\"b\"\nc", big, false),
                     make(3, NULL, 0, true)};
  fl_op *op = fl_op_values(&ctx, fields, 5, (const fl_batch *const *)bs, 3);
  fl_sql_writer *w = fl_sql_writer_new(fmt, op->fields, op->ncols);
  fl_buf out = {0};
  fl_sql_writer_begin(w, &out);
  const fl_batch *b;
  fl_err err = {0};
  while (fl_op_next(op, &b, &err) == FL_OK && b) fl_sql_writer_batch(w, b, &out);
  fl_sql_writer_end(w, &out);
  cr_assert_eq(fl_sql_writer_rows(w), 3);
  fl_sql_writer_free(w);
  fl_op_free(op);
  for (int i = 0; i < 3; i++) fl_batch_free(bs[i]);
  fl_arena_destroy(&arena);
  *len = out.len;
  fl_buf_cstr(&out);
  return (char *)out.data;
}

Test(result, csv_quotes_and_tells_null_from_empty) {
  size_t n;
  char *s = write_all(FL_SQL_FORMAT_CSV, &n);
  cr_assert_str_eq(s,
                   "id,name,total,ts,ok\r\n"
                   "1,plain,120.50,2024-05-01 12:00:00.000001,true\r\n"
                   "2,\"a,\"\"b\"\"\nc\",1234567890123456780000000000.99,2024-05-01 12:00:00.000002,false\r\n"
                   "3,,,2024-05-01 12:00:00.000003,true\r\n");
  fl_free(s);
}

Test(result, json_and_ndjson) {
  size_t n;
  char *s = write_all(FL_SQL_FORMAT_JSON, &n);
  cr_assert_str_eq(
      s,
      "[{\"id\":1,\"name\":\"plain\",\"total\":120.50,\"ts\":\"2024-05-01T12:00:00.000001Z\",\"ok\":true},"
      "{\"id\":2,\"name\":\"a,\\\"b\\\"\\nc\",\"total\":1234567890123456780000000000.99,"
      "\"ts\":\"2024-05-01T12:00:00.000002Z\",\"ok\":false},"
      "{\"id\":3,\"name\":null,\"total\":null,\"ts\":\"2024-05-01T12:00:00.000003Z\",\"ok\":true}]\n");
  fl_free(s);
  s = write_all(FL_SQL_FORMAT_NDJSON, &n);
  cr_assert(strncmp(s, "{\"id\":1,", 8) == 0);
  int lines = 0;
  for (size_t i = 0; i < n; i++) lines += s[i] == '\n';
  cr_assert_eq(lines, 3);
  cr_assert_eq(s[n - 1], '\n');
  fl_free(s);
}

Test(result, table_box) {
  size_t n;
  char *s = write_all(FL_SQL_FORMAT_TABLE, &n);
  cr_assert_str_eq(
      s,
      "┌────────┬──────────┬─────────────────────────────────┬────────────────────────────┬─────────┐\n"
      "│   id   │   name   │              total              │             ts             │   ok    │\n"
      "│ bigint │  string  │          decimal(38,2)          │         timestamp          │ boolean │\n"
      "├────────┼──────────┼─────────────────────────────────┼────────────────────────────┼─────────┤\n"
      "│      1 │ plain    │                          120.50 │ 2024-05-01 12:00:00.000001 │ true    │\n"
      "│      2 │ a,\"b\"\\nc │ 1234567890123456780000000000.99 │ 2024-05-01 12:00:00.000002 │ false   │\n"
      "│      3 │ NULL     │ NULL                            │ 2024-05-01 12:00:00.000003 │ true    │\n"
      "└────────┴──────────┴─────────────────────────────────┴────────────────────────────┴─────────┘\n"
      "3 rows\n",
      "%s", s);
  fl_free(s);
}

static uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

Test(result, arrow_stream_framing) {
  size_t n;
  unsigned char *s = (unsigned char *)write_all(FL_SQL_FORMAT_ARROW, &n);
  cr_assert_eq(n % 8, 0);
  /* schema, three record batches (one per input batch), end of stream */
  size_t at = 0;
  int messages = 0;
  for (;;) {
    cr_assert(at + 8 <= n);
    cr_assert_eq(le32(s + at), 0xFFFFFFFFu);
    uint32_t m = le32(s + at + 4);
    if (m == 0) break;
    cr_assert_eq(m % 8, 0);
    /* bodyLength: found by walking the Message table would need a flatbuffer reader;
     * the schema has no body, and every batch body here is the same size, so check the
     * next marker is where schema + batches put it */
    messages++;
    at += 8 + m;
    if (messages > 1) {
      /* skip the body: the next continuation marker starts on an 8-byte boundary */
      while (at + 4 <= n && le32(s + at) != 0xFFFFFFFFu) at += 8;
    }
  }
  cr_assert_eq(messages, 4);
  cr_assert_eq(at + 8, n);
  fl_free(s);
}

Test(result, format_names) {
  fl_sql_format f;
  cr_assert(fl_sql_format_parse("jsonl", &f) && f == FL_SQL_FORMAT_NDJSON);
  cr_assert(fl_sql_format_parse("arrow", &f) && f == FL_SQL_FORMAT_ARROW);
  cr_assert(!fl_sql_format_parse("xml", &f));
  cr_assert_str_eq(fl_sql_format_mime(FL_SQL_FORMAT_ARROW), "application/vnd.apache.arrow.stream");
}

/* Regression: doubles print as the shortest text that reads back (16 digits where 15 are
 * not enough), in JSON and CSV alike, as DuckDB prints them. */
Test(result, doubles_are_shortest_round_trip_text) {
  static fl_field f[] = {{1, "x", {FL_T_DOUBLE, 0, 0}, false}};
  fl_batch *b = fl_batch_new(f, 1, 4);
  fl_vec_append_f64(&b->cols[0], 497.0 / 13.0);
  fl_vec_append_f64(&b->cols[0], 0.1 + 0.2);
  fl_vec_append_f64(&b->cols[0], 2.5);
  fl_batch_set_rows(b, 3);
  fl_sql_format fmts[2] = {FL_SQL_FORMAT_CSV, FL_SQL_FORMAT_NDJSON};
  const char *want[2] = {"x\r\n38.23076923076923\r\n0.30000000000000004\r\n2.5\r\n",
                         "{\"x\":38.23076923076923}\n{\"x\":0.30000000000000004}\n{\"x\":2.5}\n"};
  for (int i = 0; i < 2; i++) {
    fl_sql_writer *w = fl_sql_writer_new(fmts[i], f, 1);
    fl_buf out = {0};
    fl_sql_writer_begin(w, &out);
    fl_sql_writer_batch(w, b, &out);
    fl_sql_writer_end(w, &out);
    fl_buf_cstr(&out);
    cr_assert_str_eq((char *)out.data, want[i]);
    fl_buf_free(&out);
    fl_sql_writer_free(w);
  }
  fl_batch_free(b);
}
