/* Unit tests of core: time, decimals, hashing, arenas, buffers, the columnar batch. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/batch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fsync.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/utf8.h"
#include "core/value.h"

Test(time, rfc3339_parses_offsets_fractions_and_dates) {
  int64_t us;
  cr_assert(fl_ts_parse("1970-01-01T00:00:00Z", 20, &us));
  cr_assert_eq(us, 0);
  cr_assert(fl_ts_parse("2017-11-16T22:31:08", 19, &us));
  cr_assert_eq(us, 1510871468000000LL);
  const char *s = "2017-11-16 23:31:08.123456+01:00";
  cr_assert(fl_ts_parse(s, strlen(s), &us));
  cr_assert_eq(us, 1510871468123456LL);
  cr_assert(fl_ts_parse("1969-12-31T23:00:00Z", 20, &us));
  cr_assert_eq(us, -3600000000LL);
  cr_assert(fl_ts_parse("2026-11-25", 10, &us));
  cr_assert_eq(us, 1795564800000000LL);
  cr_assert_not(fl_ts_parse("2026-02-30T00:00:00Z", 20, &us));
  cr_assert_not(fl_ts_parse("2026-11-25T25:00:00Z", 20, &us));
  cr_assert_not(fl_ts_parse("2026-11-25T10:00:00Zx", 21, &us));
  cr_assert_not(fl_ts_parse("nope", 4, &us));
}

Test(time, format_round_trips_with_floor_semantics) {
  char out[FL_TS_TEXT_MAX];
  fl_ts_format(1510871468123456LL, out);
  cr_assert_str_eq(out, "2017-11-16T22:31:08.123456Z");
  fl_ts_format(1510871468123000LL, out);
  cr_assert_str_eq(out, "2017-11-16T22:31:08.123Z");
  fl_ts_format(-1, out);
  cr_assert_str_eq(out, "1969-12-31T23:59:59.999999Z");
  int32_t days;
  cr_assert(fl_date_parse("2017-11-16", 10, &days));
  cr_assert_eq(days, 17486);
  fl_date_format(-1, out);
  cr_assert_str_eq(out, "1969-12-31");
  cr_assert_eq(fl_floor_div(-1, 86400), -1);
}

Test(decimal, parses_exactly_and_rejects_what_does_not_fit) {
  int64_t v;
  cr_assert(fl_decimal_parse("12.34", 5, 12, 2, &v));
  cr_assert_eq(v, 1234);
  cr_assert(fl_decimal_parse("-0.5", 4, 12, 2, &v));
  cr_assert_eq(v, -50);
  cr_assert(fl_decimal_parse("7", 1, 12, 2, &v));
  cr_assert_eq(v, 700);
  cr_assert(fl_decimal_parse("1.5e2", 5, 12, 2, &v));
  cr_assert_eq(v, 15000);
  cr_assert_not(fl_decimal_parse("1.234", 5, 12, 2, &v));
  cr_assert_not(fl_decimal_parse("12345678901", 11, 12, 2, &v));
  cr_assert_not(fl_decimal_parse("1x", 2, 12, 2, &v));
  char out[32];
  fl_decimal_format(-5, 2, out);
  cr_assert_str_eq(out, "-0.05");
  fl_decimal_format(123456, 2, out);
  cr_assert_str_eq(out, "1234.56");
}

Test(hash, murmur3_matches_iceberg_spec_values) {
  uint8_t le[8];
  int64_t v = 34;
  memcpy(le, &v, 8);
  cr_assert_eq((int32_t)fl_murmur3_32(le, 8, 0), 2017239379);
  cr_assert_eq((int32_t)fl_murmur3_32("iceberg", 7, 0), 1210000089);
  uint8_t bin[4] = {0, 1, 2, 3};
  cr_assert_eq((int32_t)fl_murmur3_32(bin, 4, 0), -188683207);
}

Test(value, iceberg_bytes_use_minimal_big_endian_decimals) {
  fl_buf buf = FL_BUF_INIT;
  fl_value v = {.type = {FL_T_DECIMAL, 4, 2}};
  v.u.i64 = 1420; /* 14.20 -> 0x058c */
  fl_value_to_iceberg_bytes(&v, &buf);
  cr_assert_eq(buf.len, 2);
  cr_assert_eq(buf.data[0], 0x05);
  cr_assert_eq(buf.data[1], 0x8c);
  fl_value back;
  cr_assert(fl_value_from_iceberg_bytes(v.type, buf.data, buf.len, &back));
  cr_assert_eq(back.u.i64, 1420);
  fl_buf_clear(&buf);
  v.u.i64 = -129;
  fl_value_to_iceberg_bytes(&v, &buf);
  cr_assert_eq(buf.len, 2);
  cr_assert(fl_value_from_iceberg_bytes(v.type, buf.data, buf.len, &back));
  cr_assert_eq(back.u.i64, -129);
  fl_buf_free(&buf);
}

Test(arena, reset_reuses_the_first_block) {
  fl_arena a;
  fl_arena_init(&a, 1024);
  char *p = fl_arena_strdup(&a, "hello");
  cr_assert_str_eq(p, "hello");
  void *big = fl_arena_alloc(&a, 10000);
  memset(big, 1, 10000);
  int64_t live = fl_mem_bytes_live();
  fl_arena_reset(&a);
  cr_assert(fl_mem_bytes_live() < live);
  void *q = fl_arena_alloc(&a, 16);
  cr_assert_not_null(q);
  fl_arena_destroy(&a);
}

Test(cursor, rejects_reads_past_the_end) {
  uint8_t bytes[] = {0xff, 0xff};
  fl_cursor cur = fl_cursor_make(bytes, 2);
  uint64_t v;
  cr_assert_not(fl_cursor_get_uvarint(&cur, &v));
  cr_assert(cur.bad);
  fl_buf buf = FL_BUF_INIT;
  fl_buf_put_zigzag(&buf, -3);
  cur = fl_cursor_make(buf.data, buf.len);
  int64_t z;
  cr_assert(fl_cursor_get_zigzag(&cur, &z));
  cr_assert_eq(z, -3);
  fl_buf_free(&buf);
}

Test(batch, append_gather_and_json) {
  fl_field fields[] = {
      {1, "id", {FL_T_BIGINT, 0, 0}, true},
      {2, "name", {FL_T_STRING, 0, 0}, false},
      {3, "amount", {FL_T_DECIMAL, 12, 2}, false},
  };
  fl_batch *b = fl_batch_new(fields, 3, 4);
  for (int i = 0; i < 100; i++) {
    fl_vec_append_i64(&b->cols[0], i);
    if (i % 3 == 0)
      fl_vec_append_null(&b->cols[1]);
    else
      fl_vec_append_str(&b->cols[1], "abc", (uint32_t)(i % 4));
    fl_vec_append_i64(&b->cols[2], i * 100 + 5);
  }
  fl_batch_set_rows(b, 100);
  cr_assert_eq(fl_vec_null_count(&b->cols[1]), 34);
  fl_batch *g = fl_batch_new(fields, 3, 4);
  uint32_t rows[] = {99, 3, 5};
  fl_batch_gather(g, b, rows, 3);
  cr_assert_eq(g->nrows, 3);
  fl_buf out = FL_BUF_INIT;
  for (uint32_t r = 0; r < 3; r++) {
    fl_batch_row_to_json(g, r, &out);
    fl_buf_put_u8(&out, '\n');
  }
  fl_buf_cstr(&out);
  cr_assert_str_eq((char *)out.data,
                   "{\"id\":99,\"name\":null,\"amount\":99.05}\n"
                   "{\"id\":3,\"name\":null,\"amount\":3.05}\n"
                   "{\"id\":5,\"name\":\"a\",\"amount\":5.05}\n");
  /* a second gather appends after the rows there (string offsets go on from the last) */
  uint32_t more[] = {2, 7, 6};
  fl_batch_gather(g, b, more, 3);
  cr_assert_eq(g->nrows, 6);
  fl_buf_clear(&out);
  for (uint32_t r = 2; r < 6; r++) {
    fl_batch_row_to_json(g, r, &out);
    fl_buf_put_u8(&out, '\n');
  }
  fl_buf_cstr(&out);
  cr_assert_str_eq((char *)out.data,
                   "{\"id\":5,\"name\":\"a\",\"amount\":5.05}\n"
                   "{\"id\":2,\"name\":\"ab\",\"amount\":2.05}\n"
                   "{\"id\":7,\"name\":\"abc\",\"amount\":7.05}\n"
                   "{\"id\":6,\"name\":null,\"amount\":6.05}\n");
  fl_buf_free(&out);
  fl_batch_free(g);
  fl_batch_free(b);
}

Test(err, messages_carry_codes_and_context) {
  fl_err err;
  cr_assert_eq(fl_err_set(&err, FL_ECORRUPT, "%s: bad magic", "x.parquet"), FL_ECORRUPT);
  fl_err_prefix(&err, "table %s: ", "bronze.orders");
  cr_assert_str_eq(err.msg, "table bronze.orders: x.parquet: bad magic");
  cr_assert_str_eq(fl_code_name(FL_ECONFLICT), "FL_ECONFLICT");
  cr_assert(fl_code_is_retriable(FL_ECONFLICT));
  cr_assert_not(fl_code_is_retriable(FL_ECORRUPT));
}

/* fl_fdatasync_paths: every file synced from several threads; a missing one fails and
 * is named by its index with its errno. */
Test(fsync, fdatasync_paths_syncs_every_file_and_names_the_one_that_fails) {
  const char *root = getenv("FLOE_TEST_TMP");
  char *dir = fl_sprintf("%s/fsyncpaths.XXXXXX", root && *root ? root : "/tmp");
  cr_assert_not_null(mkdtemp(dir));
  char *paths[12];
  for (int i = 0; i < 12; i++) {
    paths[i] = fl_sprintf("%s/f%d", dir, i);
    FILE *f = fopen(paths[i], "w");
    cr_assert_not_null(f);
    fprintf(f, "file %d\n", i);
    fclose(f);
  }
  unsigned failed = 99;
  cr_assert_eq(fl_fdatasync_paths((const char *const *)paths, 12, 4, &failed), 0);
  cr_assert_eq(failed, 99, "untouched on success");
  cr_assert_eq(fl_fdatasync_paths((const char *const *)paths, 0, 4, &failed), 0, "nothing to do");
  unlink(paths[7]);
  cr_assert_eq(fl_fdatasync_paths((const char *const *)paths, 12, 1, &failed), -1);
  cr_assert_eq(failed, 7);
  cr_assert_eq(errno, ENOENT);
  for (int i = 0; i < 12; i++) {
    unlink(paths[i]);
    fl_free(paths[i]);
  }
  rmdir(dir);
  fl_free(dir);
}

/* fl_utf8_count: code points (bytes that are not continuation bytes) at every length
 * and alignment around the 8-byte step, against a byte-at-a-time count. */
Test(utf8, counts_code_points_as_a_byte_at_a_time_count_does) {
  const char *pieces[] = {"a",
                          "\xc3\x9f" /* ß */,
                          "\xe2\x82\xac" /* € */,
                          "\xf0\x9f\x98\x80" /* 😀 */,
                          "\x80" /* a stray continuation byte */,
                          "\xff",
                          "\x7f"};
  char s[256];
  uint32_t seed = 1;
  for (int round = 0; round < 2000; round++) {
    size_t n = 0;
    int parts = round % 40;
    for (int k = 0; k < parts; k++) {
      seed = seed * 1103515245u + 12345u;
      const char *p = pieces[(seed >> 16) % 7];
      size_t len = strlen(p);
      if (n + len > sizeof s) break;
      memcpy(s + n, p, len);
      n += len;
    }
    for (size_t off = 0; off < 8 && off <= n; off++) {
      uint64_t want = 0;
      for (size_t j = off; j < n; j++) want += ((uint8_t)s[j] & 0xc0) != 0x80;
      cr_assert_eq(fl_utf8_count(s + off, n - off), want, "round %d, offset %zu, %zu bytes", round, off,
                   n - off);
    }
  }
  cr_assert_eq(fl_utf8_count("\xc3\x9f\xc3\x9f\xc3\x9f\xc3\x9f\xc3\x9f", 10), 5);
  cr_assert_eq(fl_utf8_count("", 0), 0);
}
