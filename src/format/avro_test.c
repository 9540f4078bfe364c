/* Unit tests of the Avro container writer/reader: exact encodings, round trips of
 * every type over null and deflate, zstandard and snappy blocks, limits, and
 * truncated or corrupted files in a loop (errors, never a crash). */
#include <criterion/criterion.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/buf.h"
#include "core/mem.h"
#include "format/avro.h"

static void expect_bytes(const fl_buf *b, const uint8_t *want, size_t n) {
  cr_assert_eq(b->len, n, "len %zu, want %zu", b->len, n);
  cr_assert(memcmp(b->data, want, n) == 0);
}

Test(avro, encoders_write_the_spec_bytes) {
  fl_buf b = FL_BUF_INIT;
  fl_avro_put_long(&b, 0);
  fl_avro_put_long(&b, -1);
  fl_avro_put_long(&b, 1);
  fl_avro_put_long(&b, -64);
  fl_avro_put_long(&b, 64);
  expect_bytes(&b, (const uint8_t[]){0x00, 0x01, 0x02, 0x7f, 0x80, 0x01}, 6);
  fl_buf_clear(&b);
  fl_avro_put_string(&b, "foo");
  fl_avro_put_bool(&b, true);
  fl_avro_put_union(&b, 1);
  fl_avro_put_int(&b, INT32_MIN);
  expect_bytes(&b, (const uint8_t[]){0x06, 'f', 'o', 'o', 0x01, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f}, 11);
  fl_buf_clear(&b);
  fl_avro_put_double(&b, 1.0);
  fl_avro_put_float(&b, -2.0f);
  expect_bytes(&b, (const uint8_t[]){0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0xc0}, 12);
  fl_buf_clear(&b);
  fl_avro_put_block(&b, 2); /* array<long> [3, 4] */
  fl_avro_put_long(&b, 3);
  fl_avro_put_long(&b, 4);
  fl_avro_put_end(&b);
  fl_avro_put_block(&b, 0); /* empty array: just the end */
  fl_avro_put_end(&b);
  expect_bytes(&b, (const uint8_t[]){0x04, 0x06, 0x08, 0x00, 0x00}, 5);
  fl_buf_free(&b);
}

static const char ALL_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"all\",\"namespace\":\"t\",\"fields\":["
    "{\"name\":\"b\",\"type\":\"boolean\",\"field-id\":1},"
    "{\"name\":\"i\",\"type\":\"int\",\"field-id\":2},"
    "{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"f\",\"type\":\"float\"},"
    "{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"by\",\"type\":\"bytes\"},"
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"color\",\"symbols\":[\"RED\",\"GREEN\"]}},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"f3\",\"size\":3}},"
    "{\"name\":\"fx2\",\"type\":\"f3\"},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"long\",\"element-id\":9}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\"}},"
    "{\"name\":\"u\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},"
    "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"inner\",\"fields\":[{\"name\":\"x\",\"type\":"
    "\"t.color\"}]}}"
    "]}";

static void put_all(fl_buf *b, int64_t k) {
  fl_avro_put_bool(b, k & 1);
  fl_avro_put_int(b, (int32_t)(k * 7 - 100));
  fl_avro_put_long(b, k * 1000000007LL);
  fl_avro_put_float(b, (float)k / 2);
  fl_avro_put_double(b, (double)k / 4);
  uint8_t raw[2] = {(uint8_t)k, 0};
  fl_avro_put_bytes(b, raw, 2);
  char s[32];
  snprintf(s, sizeof s, "row-%lld", (long long)k);
  fl_avro_put_string(b, s);
  fl_avro_put_int(b, (int32_t)(k % 2));
  fl_buf_append(b, "abc", 3);
  fl_buf_append(b, "xyz", 3);
  fl_avro_put_block(b, (uint64_t)(k % 3));
  for (int64_t i = 0; i < k % 3; i++) fl_avro_put_long(b, i - k);
  fl_avro_put_end(b);
  fl_avro_put_block(b, 1);
  fl_avro_put_string(b, "one");
  fl_avro_put_int(b, 1);
  fl_avro_put_end(b);
  if (k % 5 == 0) {
    fl_avro_put_union(b, 0);
  } else {
    fl_avro_put_union(b, 1);
    fl_avro_put_int(b, (int32_t)k);
  }
  fl_avro_put_int(b, 1);
}

static void check_all(const fl_avro_value *v, int64_t k) {
  cr_assert_eq(v->schema->type, FL_AVRO_RECORD);
  cr_assert_eq(v->n, 14);
  cr_assert_eq(fl_avro_value_get(v, "b")->u.b, (bool)(k & 1));
  cr_assert_eq(fl_avro_value_get(v, "i")->u.l, k * 7 - 100);
  cr_assert_eq(fl_avro_value_get(v, "l")->u.l, k * 1000000007LL);
  cr_assert_eq(fl_avro_value_get(v, "f")->u.f, (float)k / 2);
  cr_assert_eq(fl_avro_value_get(v, "d")->u.d, (double)k / 4);
  const fl_avro_value *by = fl_avro_value_get(v, "by");
  cr_assert_eq(by->u.bytes.len, 2);
  cr_assert_eq(by->u.bytes.ptr[0], (uint8_t)k);
  char s[32];
  snprintf(s, sizeof s, "row-%lld", (long long)k);
  const fl_avro_value *sv = fl_avro_value_get(v, "s");
  cr_assert_eq(sv->u.bytes.len, strlen(s));
  cr_assert(memcmp(sv->u.bytes.ptr, s, strlen(s)) == 0);
  cr_assert_eq(fl_avro_value_get(v, "e")->u.symbol, (uint32_t)(k % 2));
  cr_assert(memcmp(fl_avro_value_get(v, "fx")->u.bytes.ptr, "abc", 3) == 0);
  cr_assert(memcmp(fl_avro_value_get(v, "fx2")->u.bytes.ptr, "xyz", 3) == 0);
  const fl_avro_value *a = fl_avro_value_get(v, "a");
  cr_assert_eq(a->n, (uint32_t)(k % 3));
  for (uint32_t i = 0; i < a->n; i++) cr_assert_eq(a->u.list.items[i].u.l, (int64_t)i - k);
  cr_assert_eq(a->schema->element_id, 9);
  const fl_avro_value *m = fl_avro_value_get(v, "m");
  cr_assert_eq(m->n, 1);
  cr_assert_eq(m->u.list.keys[0].u.bytes.len, 3);
  cr_assert_eq(m->u.list.items[0].u.l, 1);
  const fl_avro_value *u = fl_avro_value_get(v, "u");
  if (k % 5 == 0) {
    cr_assert(fl_avro_is_null(u));
  } else {
    cr_assert_eq(u->schema->type, FL_AVRO_INT);
    cr_assert_str_eq(u->schema->logical, "date");
    cr_assert_eq(u->u.l, k);
  }
  const fl_avro_value *r = fl_avro_value_get(v, "r");
  cr_assert_eq(fl_avro_value_get(r, "x")->u.symbol, 1);
  cr_assert_null(fl_avro_value_get(v, "nope"));
}

static fl_buf write_all(fl_avro_codec codec, int64_t n) {
  fl_avro_writer w;
  fl_avro_kv kv[] = {{"custom", "value"}, {"format-version", "2"}};
  fl_avro_writer_init(&w, ALL_SCHEMA, kv, 2, codec);
  for (int64_t k = 0; k < n; k++) {
    put_all(fl_avro_writer_buf(&w), k);
    fl_avro_writer_record_end(&w);
  }
  fl_avro_writer_finish(&w);
  fl_buf out = w.file;
  w.file = (fl_buf)FL_BUF_INIT;
  fl_avro_writer_free(&w);
  return out;
}

static int64_t read_count(const uint8_t *p, size_t n, fl_code *rc, bool check) {
  fl_avro_reader rd;
  fl_err err;
  *rc = fl_avro_reader_open(&rd, p, n, "test.avro", &err);
  if (*rc) return -1;
  int64_t k = 0;
  const fl_avro_value *v;
  while (!(*rc = fl_avro_reader_next(&rd, &v, &err)) && v) {
    if (check) check_all(v, k);
    k++;
  }
  fl_avro_reader_close(&rd);
  return k;
}

static void round_trip(fl_avro_codec codec) {
  const int64_t n = 5000; /* ~250 KiB: several blocks */
  fl_buf f = write_all(codec, n);
  fl_avro_reader rd;
  fl_err err;
  cr_assert_eq(fl_avro_reader_open(&rd, f.data, f.len, "t.avro", &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "custom"), "value");
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "avro.codec"), codec == FL_AVRO_CODEC_NULL ? "null" : "deflate");
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "avro.schema"), ALL_SCHEMA);
  cr_assert_null(fl_avro_reader_meta(&rd, "absent"));
  cr_assert_str_eq(rd.schema->name, "t.all");
  cr_assert_eq(rd.schema->fields[1].field_id, 2);
  cr_assert_eq(rd.schema->fields[2].field_id, -1);
  fl_avro_reader_close(&rd);
  fl_code rc;
  cr_assert_eq(read_count(f.data, f.len, &rc, true), n);
  cr_assert_eq(rc, FL_OK);
  fl_buf_free(&f);
}

Test(avro, every_type_round_trips_uncompressed) { round_trip(FL_AVRO_CODEC_NULL); }
Test(avro, every_type_round_trips_deflated_over_many_blocks) { round_trip(FL_AVRO_CODEC_DEFLATE); }

Test(avro, empty_file_has_header_only) {
  fl_buf f = write_all(FL_AVRO_CODEC_DEFLATE, 0);
  fl_code rc;
  cr_assert_eq(read_count(f.data, f.len, &rc, true), 0);
  cr_assert_eq(rc, FL_OK);
  fl_buf_free(&f);
}

/* Re-frames an uncompressed file's blocks with another codec. */
static fl_buf reframe(const fl_buf *plain, const char *codec) {
  fl_avro_reader rd;
  fl_err err;
  cr_assert_eq(fl_avro_reader_open(&rd, plain->data, plain->len, "p", &err), FL_OK);
  fl_buf out = FL_BUF_INIT;
  fl_buf_append(&out, "Obj\x01", 4);
  fl_avro_put_block(&out, 2);
  fl_avro_put_string(&out, "avro.schema");
  fl_avro_put_string(&out, rd.schema_json);
  fl_avro_put_string(&out, "avro.codec");
  fl_avro_put_string(&out, codec);
  fl_avro_put_end(&out);
  fl_buf_append(&out, rd.sync, 16);
  fl_cursor cur = rd.cur; /* positioned at the first block */
  while (fl_cursor_left(&cur)) {
    int64_t count, size;
    const uint8_t *payload, *sync;
    cr_assert(fl_cursor_get_zigzag(&cur, &count) && fl_cursor_get_zigzag(&cur, &size));
    cr_assert(fl_cursor_get_bytes(&cur, (size_t)size, &payload) && fl_cursor_get_bytes(&cur, 16, &sync));
    fl_buf z = FL_BUF_INIT;
    if (strcmp(codec, "zstandard") == 0) {
      fl_buf_reserve(&z, ZSTD_compressBound((size_t)size));
      z.len = ZSTD_compress(z.data, z.cap, payload, (size_t)size, 3);
      cr_assert(!ZSTD_isError(z.len));
    } else {
      size_t zl = snappy_max_compressed_length((size_t)size);
      fl_buf_reserve(&z, zl + 4);
      cr_assert_eq(snappy_compress((const char *)payload, (size_t)size, (char *)z.data, &zl), SNAPPY_OK);
      z.len = zl;
      fl_buf_put_be32(&z, (uint32_t)crc32(0L, payload, (uInt)size));
    }
    fl_avro_put_long(&out, count);
    fl_avro_put_long(&out, (int64_t)z.len);
    fl_buf_append(&out, z.data, z.len);
    fl_buf_append(&out, sync, 16);
    fl_buf_free(&z);
  }
  fl_avro_reader_close(&rd);
  return out;
}

Test(avro, zstandard_and_snappy_blocks_read) {
  fl_buf plain = write_all(FL_AVRO_CODEC_NULL, 3000);
  const char *codecs[] = {"zstandard", "snappy"};
  for (int c = 0; c < 2; c++) {
    fl_buf f = reframe(&plain, codecs[c]);
    fl_code rc;
    cr_assert_eq(read_count(f.data, f.len, &rc, true), 3000, "%s", codecs[c]);
    cr_assert_eq(rc, FL_OK);
    if (c == 1) { /* a wrong CRC is corrupt */
      f.data[f.len - 17] ^= 1;
      read_count(f.data, f.len, &rc, false);
      cr_assert_eq(rc, FL_ECORRUPT);
    }
    fl_buf_free(&f);
  }
  fl_buf_free(&plain);
}

Test(avro, unknown_codec_is_unsupported) {
  fl_buf f = FL_BUF_INIT;
  fl_buf_append(&f, "Obj\x01", 4);
  fl_avro_put_block(&f, 2);
  fl_avro_put_string(&f, "avro.schema");
  fl_avro_put_string(&f, "\"long\"");
  fl_avro_put_string(&f, "avro.codec");
  fl_avro_put_string(&f, "lzo");
  fl_avro_put_end(&f);
  fl_buf_append(&f, "0123456789abcdef", 16);
  fl_avro_reader rd;
  fl_err err;
  cr_assert_eq(fl_avro_reader_open(&rd, f.data, f.len, "x.avro", &err), FL_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "x.avro") && strstr(err.msg, "lzo"), "%s", err.msg);
  fl_buf_free(&f);
}

static fl_buf tiny_file(const char *schema, const uint8_t *payload, size_t n, int64_t count) {
  fl_buf f = FL_BUF_INIT;
  fl_buf_append(&f, "Obj\x01", 4);
  fl_avro_put_block(&f, 2);
  fl_avro_put_string(&f, "avro.schema");
  fl_avro_put_string(&f, schema);
  fl_avro_put_string(&f, "avro.codec");
  fl_avro_put_string(&f, "null");
  fl_avro_put_end(&f);
  fl_buf_append(&f, "0123456789abcdef", 16);
  fl_avro_put_long(&f, count);
  fl_avro_put_long(&f, (int64_t)n);
  fl_buf_append(&f, payload, n);
  fl_buf_append(&f, "0123456789abcdef", 16);
  return f;
}

Test(avro, recursive_schema_decodes_and_nesting_is_bounded) {
  const char *schema =
      "{\"type\":\"record\",\"name\":\"node\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"
      "{\"name\":\"next\",\"type\":[\"null\",\"node\"]}]}";
  /* v=1 -> v=2 -> null */
  const uint8_t ok[] = {0x02, 0x02, 0x04, 0x00};
  fl_buf f = tiny_file(schema, ok, sizeof ok, 1);
  fl_avro_reader rd;
  fl_err err;
  const fl_avro_value *v;
  cr_assert_eq(fl_avro_reader_open(&rd, f.data, f.len, "r", &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_avro_reader_next(&rd, &v, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_avro_value_get(v, "v")->u.l, 1);
  const fl_avro_value *next = fl_avro_value_get(v, "next");
  cr_assert_eq(fl_avro_value_get(next, "v")->u.l, 2);
  cr_assert(fl_avro_is_null(fl_avro_value_get(next, "next")));
  fl_avro_reader_close(&rd);
  fl_buf_free(&f);

  /* 1000 levels deep: rejected as corrupt, no stack overflow */
  uint8_t deep[2000];
  for (int i = 0; i < 1000; i++) {
    deep[2 * i] = 0x02;
    deep[2 * i + 1] = 0x02;
  }
  f = tiny_file(schema, deep, sizeof deep, 1);
  cr_assert_eq(fl_avro_reader_open(&rd, f.data, f.len, "deep.avro", &err), FL_OK);
  cr_assert_eq(fl_avro_reader_next(&rd, &v, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, "deep.avro") && strstr(err.msg, "nest"), "%s", err.msg);
  fl_avro_reader_close(&rd);
  fl_buf_free(&f);
}

Test(avro, huge_counts_are_rejected_before_allocating) {
  fl_buf payload = FL_BUF_INIT;
  fl_avro_put_long(&payload, INT64_MAX / 2); /* array<null> of 2^62 items */
  fl_avro_put_end(&payload);
  fl_buf f = tiny_file("{\"type\":\"array\",\"items\":\"null\"}", payload.data, payload.len, 1);
  fl_code rc;
  read_count(f.data, f.len, &rc, false);
  cr_assert_eq(rc, FL_ECORRUPT);
  fl_buf_free(&f);
  fl_buf_clear(&payload);
  fl_avro_put_long(&payload, 1000); /* array<long> claiming more items than bytes */
  fl_avro_put_long(&payload, 1);
  fl_avro_put_end(&payload);
  f = tiny_file("{\"type\":\"array\",\"items\":\"long\"}", payload.data, payload.len, 1);
  read_count(f.data, f.len, &rc, false);
  cr_assert_eq(rc, FL_ECORRUPT);
  fl_buf_free(&f);
  /* 200 arrays of 65536 nulls each: 13M values from ~800 bytes is refused */
  fl_buf_clear(&payload);
  fl_avro_put_block(&payload, 200);
  for (int i = 0; i < 200; i++) {
    fl_avro_put_block(&payload, 65536);
    fl_avro_put_end(&payload);
  }
  fl_avro_put_end(&payload);
  f = tiny_file("{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":\"null\"}}", payload.data,
                payload.len, 1);
  fl_avro_reader rd;
  fl_err err;
  const fl_avro_value *v;
  cr_assert_eq(fl_avro_reader_open(&rd, f.data, f.len, "bomb.avro", &err), FL_OK);
  cr_assert_eq(fl_avro_reader_next(&rd, &v, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, "larger than its block"), "%s", err.msg);
  fl_avro_reader_close(&rd);
  fl_buf_free(&f);
  /* one array of 65536 nulls in 4 bytes is fine */
  fl_buf_clear(&payload);
  fl_avro_put_block(&payload, 65536);
  fl_avro_put_end(&payload);
  f = tiny_file("{\"type\":\"array\",\"items\":\"null\"}", payload.data, payload.len, 1);
  cr_assert_eq(read_count(f.data, f.len, &rc, false), 1);
  cr_assert_eq(rc, FL_OK);
  fl_buf_free(&f);
  /* a block claiming a billion records */
  const uint8_t one[] = {0x02};
  f = tiny_file("\"long\"", one, 1, 1000000000);
  read_count(f.data, f.len, &rc, false);
  cr_assert_eq(rc, FL_ECORRUPT);
  fl_buf_free(&f);
  fl_buf_free(&payload);
}

Test(avro, bad_schemas_are_corrupt_with_a_reason) {
  const char *bad[] = {"{",
                       "\"nosuch\"",
                       "[]",
                       "{\"type\":\"record\",\"name\":\"a\"}",
                       ("{\"type\":\"record\",\"name\":\"a\",\"fields\":[{\"name\":\"x\",\"type\":\"a\"},"
                        "{\"name\":\"y\",\"type\":{\"type\":\"record\",\"name\":\"a\",\"fields\":[]}}]}"),
                       "{\"type\":\"fixed\",\"name\":\"f\",\"size\":-1}",
                       "[[\"int\"]]",
                       "42"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    fl_buf f = tiny_file(bad[i], NULL, 0, 0);
    fl_avro_reader rd;
    fl_err err;
    cr_assert_eq(fl_avro_reader_open(&rd, f.data, f.len, "s.avro", &err), FL_ECORRUPT, "schema %s", bad[i]);
    cr_assert(strstr(err.msg, "s.avro"), "%s", err.msg);
    fl_buf_free(&f);
  }
}

Test(avro, truncated_and_corrupted_files_fail_cleanly) {
  for (int c = 0; c < 2; c++) {
    fl_buf f = write_all(c ? FL_AVRO_CODEC_DEFLATE : FL_AVRO_CODEC_NULL, 40);
    fl_code rc;
    for (size_t len = 0; len < f.len; len++) {
      int64_t k = read_count(f.data, len, &rc, false);
      cr_assert(rc != FL_OK || k < 40, "prefix %zu read as whole", len);
      if (rc) cr_assert(rc == FL_ECORRUPT || rc == FL_EUNSUPPORTED, "prefix %zu: rc %d", len, rc);
    }
    uint8_t *copy = malloc(f.len);
    for (size_t pos = 0; pos < f.len; pos++) {
      for (int bit = 0; bit < 8; bit += 3) {
        memcpy(copy, f.data, f.len);
        copy[pos] ^= (uint8_t)(1u << bit);
        read_count(copy, f.len, &rc, false); /* any outcome but a crash */
      }
    }
    free(copy);
    fl_buf_free(&f);
  }
}

Test(avro, files_save_exclusively_and_load_back) {
  const char *base = getenv("FLOE_TEST_TMP");
  char dir[512];
  if (base) mkdir(base, 0755);
  snprintf(dir, sizeof dir, "%s/avro-XXXXXX", base ? base : "/tmp");
  cr_assert(mkdtemp(dir));
  char path[600];
  snprintf(path, sizeof path, "%s/a.avro", dir);
  fl_err err;
  cr_assert_eq(fl_avro_file_save(path, "hello", 5, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_avro_file_save(path, "again", 5, &err), FL_EEXIST);
  uint8_t *data;
  size_t len;
  cr_assert_eq(fl_avro_file_load(path, &data, &len, &err), FL_OK);
  cr_assert_eq(len, 5);
  cr_assert(memcmp(data, "hello", 5) == 0);
  fl_free(data);
  unlink(path);
  cr_assert_eq(fl_avro_file_load(path, &data, &len, &err), FL_ENOENT);
  rmdir(dir);
}

Test(avro, arrays_and_maps_in_several_blocks_with_byte_sizes) {
  fl_buf payload = FL_BUF_INIT;
  fl_avro_put_long(&payload, 2); /* array<long>: block of 2 */
  fl_avro_put_long(&payload, 10);
  fl_avro_put_long(&payload, 11);
  fl_avro_put_long(&payload, -3); /* block of 3 with its byte size */
  fl_avro_put_long(&payload, 3);
  fl_avro_put_long(&payload, 12);
  fl_avro_put_long(&payload, 13);
  fl_avro_put_long(&payload, 14);
  for (int i = 0; i < 5; i++) { /* five one-item blocks */
    fl_avro_put_long(&payload, 1);
    fl_avro_put_long(&payload, 15 + i);
  }
  fl_avro_put_end(&payload);
  fl_avro_put_long(&payload, -1); /* map<string>: one entry with byte size */
  fl_avro_put_long(&payload, 4);
  fl_avro_put_string(&payload, "k");
  fl_avro_put_string(&payload, "v");
  fl_avro_put_end(&payload);
  fl_buf f = tiny_file(
      "{\"type\":\"record\",\"name\":\"x\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":"
      "\"array\",\"items\":\"long\"}},{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":"
      "\"string\"}}]}",
      payload.data, payload.len, 1);
  fl_avro_reader rd;
  fl_err err;
  const fl_avro_value *v;
  cr_assert_eq(fl_avro_reader_open(&rd, f.data, f.len, "b.avro", &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_avro_reader_next(&rd, &v, &err), FL_OK, "%s", err.msg);
  const fl_avro_value *a = fl_avro_value_get(v, "a");
  cr_assert_eq(a->n, 10);
  for (uint32_t i = 0; i < 10; i++) cr_assert_eq(a->u.list.items[i].u.l, 10 + (int64_t)i);
  const fl_avro_value *m = fl_avro_value_get(v, "m");
  cr_assert_eq(m->n, 1);
  cr_assert_eq(m->u.list.keys[0].u.bytes.ptr[0], 'k');
  cr_assert_eq(m->u.list.items[0].u.bytes.ptr[0], 'v');
  cr_assert_eq(fl_avro_reader_next(&rd, &v, &err), FL_OK);
  cr_assert_null(v);
  fl_avro_reader_close(&rd);
  fl_buf_free(&f);
  fl_buf_free(&payload);
}
