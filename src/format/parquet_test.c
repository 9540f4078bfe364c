/* parquet_test: the Parquet writer and reader against each other, exact values and
 * footer facts, plus corruption loops (every truncation, byte flips) that must end in
 * FL_ECORRUPT with a message, never a crash. Independent readers (DuckDB, hyparquet)
 * check the same files in tests/interop.
 *
 * FLOE_WRITE_CORPUS=DIR makes Test(parquet, seed_corpus) write the fuzz seeds there
 * (tests/fuzz/corpus/parquet/ in the repository). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/batch.h"
#include "core/limits.h"
#include "core/mem.h"
#include "format/parquet.h"
#include "format/parquet_wire.h"
#include "format/thrift.h"

static char tmpdir[512];
static int file_seq;

static void make_tmpdir(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base || !*base) base = "/tmp";
  mkdir(base, 0755);
  snprintf(tmpdir, sizeof tmpdir, "%s/parquet_test.XXXXXX", base);
  cr_assert(mkdtemp(tmpdir) != NULL);
}

static void cleanup_tmp(void) {
  if (!tmpdir[0]) return;
  for (int i = 0; i < file_seq; i++) {
    char path[600];
    snprintf(path, sizeof path, "%s/f%d.parquet", tmpdir, i);
    unlink(path);
  }
  rmdir(tmpdir);
}

TestSuite(parquet, .fini = cleanup_tmp);

static const char *tmp_path(void) {
  static char path[600];
  if (!tmpdir[0]) make_tmpdir();
  snprintf(path, sizeof path, "%s/f%d.parquet", tmpdir, file_seq++);
  return path;
}

/* Every floe type, optional, plus a required id. */
static fl_field all_fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},        {2, "flag", {FL_T_BOOLEAN, 0, 0}, false},
    {3, "i", {FL_T_INT, 0, 0}, false},           {4, "l", {FL_T_BIGINT, 0, 0}, false},
    {5, "f", {FL_T_FLOAT, 0, 0}, false},         {6, "d", {FL_T_DOUBLE, 0, 0}, false},
    {7, "amount", {FL_T_DECIMAL, 12, 2}, false}, {8, "small_dec", {FL_T_DECIMAL, 5, 2}, false},
    {9, "day", {FL_T_DATE, 0, 0}, false},        {10, "ts", {FL_T_TIMESTAMP, 0, 0}, false},
    {11, "s", {FL_T_STRING, 0, 0}, false},       {12, "j", {FL_T_JSON, 0, 0}, false},
};
#define NALL (sizeof all_fields / sizeof all_fields[0])
static fl_schema all_schema = {0, NALL, all_fields, 0, NULL};

static const char *words[] = {"alpha", "beta", "gamma", "delta", "", "épsilon", "zeta"};

/* Row r of the all-types table: deterministic, nulls in every optional column. */
static void fill_all(fl_batch *batch, uint64_t first, uint32_t n) {
  char buf[64];
  for (uint32_t k = 0; k < n; k++) {
    uint64_t r = first + k;
    bool null = r % 7 == 3;
    fl_vec_append_i64(&batch->cols[0], (int64_t)r);
    if (null) {
      for (uint32_t c = 1; c < NALL; c++) fl_vec_append_null(&batch->cols[c]);
      continue;
    }
    fl_vec_append_bool(&batch->cols[1], r % 3 == 0);
    fl_vec_append_i32(&batch->cols[2], (int32_t)((uint32_t)(r * 2654435761u) - (1u << 30)));
    fl_vec_append_i64(&batch->cols[3], (int64_t)(r * 0x9E3779B97F4A7C15ull));
    fl_vec_append_f32(&batch->cols[4], (float)r / 8 - 100);
    fl_vec_append_f64(&batch->cols[5], (double)r * -1.25e-3);
    fl_vec_append_i64(&batch->cols[6], (int64_t)(r % 1000) * 1234 - 50000);
    fl_vec_append_i64(&batch->cols[7], (int64_t)(r % 199) - 99);
    fl_vec_append_i32(&batch->cols[8], 20000 + (int32_t)(r % 400));
    fl_vec_append_i64(&batch->cols[9], 1764000000000000 + (int64_t)r * 1000003);
    const char *w = words[r % 7];
    fl_vec_append_str(&batch->cols[10], w, (uint32_t)strlen(w));
    int len = snprintf(buf, sizeof buf, "{\"k\":%llu}", (unsigned long long)r);
    fl_vec_append_str(&batch->cols[11], buf, (uint32_t)len);
  }
  fl_batch_set_rows(batch, batch->nrows + n);
}

typedef struct collect {
  fl_batch *all;
  uint64_t next_row; /* expected first_row */
  uint32_t batches;
  bool order_ok;
} collect;

static int collect_emit(void *ctx, const fl_batch *batch, uint64_t first_row) {
  collect *cl = ctx;
  if (first_row != cl->next_row) cl->order_ok = false;
  cr_assert(batch->nrows <= FL_BATCH_ROWS);
  fl_batch_append_range(cl->all, batch, 0, batch->nrows);
  cl->next_row += batch->nrows;
  cl->batches++;
  return 0;
}

/* Reads the whole file with `schema` into a new batch. */
static fl_batch *read_all(const char *path, const fl_schema *schema) {
  fl_parquet_reader *pr;
  fl_err err = {0};
  fl_code rc = fl_parquet_reader_open(path, &pr, &err);
  cr_assert_eq(rc, FL_OK, "open: %s", err.msg);
  collect cl = {fl_batch_new(schema->fields, schema->nfields, 1024), 0, 0, true};
  for (uint32_t rg = 0; rg < fl_parquet_reader_row_groups(pr); rg++) {
    rc = fl_parquet_reader_read_row_group(pr, rg, schema, collect_emit, &cl, &err);
    cr_assert_eq(rc, FL_OK, "read row group %u: %s", rg, err.msg);
  }
  cr_assert(cl.order_ok, "first_row ordinals are consecutive");
  cr_assert_eq(cl.next_row, fl_parquet_reader_num_rows(pr));
  fl_parquet_reader_free(pr);
  return cl.all;
}

static const fl_parquet_file_info *write_file(const char *path, const fl_schema *schema,
                                              const fl_parquet_opts *opts, uint64_t rows,
                                              void (*fill)(fl_batch *, uint64_t, uint32_t),
                                              fl_parquet_writer **pw_out) {
  fl_parquet_writer *pw;
  fl_err err = {0};
  fl_code rc = fl_parquet_writer_open(path, schema, opts, &pw, &err);
  cr_assert_eq(rc, FL_OK, "writer open: %s", err.msg);
  fl_batch *batch = fl_batch_new(schema->fields, schema->nfields, FL_BATCH_ROWS);
  for (uint64_t r = 0; r < rows;) {
    uint32_t n = rows - r < 1000 ? (uint32_t)(rows - r) : 1000;
    fl_batch_reset(batch);
    fill(batch, r, n);
    rc = fl_parquet_writer_write(pw, batch, &err);
    cr_assert_eq(rc, FL_OK, "write: %s", err.msg);
    r += n;
  }
  fl_batch_free(batch);
  cr_assert_eq(fl_parquet_writer_rows(pw), rows);
  const fl_parquet_file_info *info;
  rc = fl_parquet_writer_close(pw, &info, &err);
  cr_assert_eq(rc, FL_OK, "close: %s", err.msg);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq((uint64_t)st.st_size, info->file_bytes, "file_bytes is exact");
  cr_assert_eq(info->num_rows, rows);
  *pw_out = pw;
  return info;
}

static void assert_same_rows(const fl_batch *got, uint64_t rows, void (*fill)(fl_batch *, uint64_t, uint32_t),
                             const fl_schema *schema) {
  cr_assert_eq(got->nrows, rows);
  fl_batch *want = fl_batch_new(schema->fields, schema->nfields, (uint32_t)rows + 1);
  fill(want, 0, (uint32_t)rows);
  for (uint32_t c = 0; c < schema->nfields; c++)
    for (uint32_t r = 0; r < rows; r++) {
      fl_value a, b;
      fl_batch_get(want, c, r, &a);
      fl_batch_get(got, c, r, &b);
      cr_assert_eq(a.is_null, b.is_null, "column %s row %u null", schema->fields[c].name, r);
      if (!a.is_null) {
        if (a.type.kind == FL_T_FLOAT)
          cr_assert(memcmp(&a.u.f32, &b.u.f32, 4) == 0, "float row %u", r);
        else if (a.type.kind == FL_T_DOUBLE)
          cr_assert(memcmp(&a.u.f64, &b.u.f64, 8) == 0, "double row %u", r);
        else
          cr_assert_eq(fl_value_cmp(&a, &b), 0, "column %s row %u differs", schema->fields[c].name, r);
      }
    }
  fl_batch_free(want);
}

static bool has_encoding(const fl_parquet_chunk_info *ci, int32_t enc) {
  for (uint32_t i = 0; i < ci->nencodings && i < 8; i++)
    if (ci->encodings[i] == enc) return true;
  return false;
}

Test(parquet, every_type_round_trips_with_nulls) {
  const char *path = tmp_path();
  fl_parquet_writer *pw;
  write_file(path, &all_schema, NULL, 10000, fill_all, &pw);
  fl_batch *got = read_all(path, &all_schema);
  assert_same_rows(got, 10000, fill_all, &all_schema);
  fl_batch_free(got);

  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  const fl_schema *fs = fl_parquet_reader_schema(pr);
  cr_assert_eq(fs->nfields, NALL);
  for (uint32_t c = 0; c < NALL; c++) {
    cr_assert_eq(fs->fields[c].id, all_fields[c].id);
    cr_assert_str_eq(fs->fields[c].name, all_fields[c].name);
    cr_assert_eq(fs->fields[c].required, all_fields[c].required);
    /* JSON is stored as an Iceberg string */
    fl_type_kind want = all_fields[c].type.kind == FL_T_JSON ? FL_T_STRING : all_fields[c].type.kind;
    cr_assert_eq(fs->fields[c].type.kind, want, "field %s type", all_fields[c].name);
    cr_assert_eq(fs->fields[c].type.precision, all_fields[c].type.precision);
    cr_assert_eq(fs->fields[c].type.scale, all_fields[c].type.scale);
  }
  fl_parquet_reader_free(pr);
  fl_parquet_writer_free(pw);
}

static void fill_strings(fl_batch *batch, uint64_t first, uint32_t n) {
  char buf[64];
  for (uint32_t k = 0; k < n; k++) {
    uint64_t r = first + k;
    const char *w = words[r % 4];
    fl_vec_append_str(&batch->cols[0], w, (uint32_t)strlen(w));
    int len = snprintf(buf, sizeof buf, "event-%08llu-%llx", (unsigned long long)r,
                       (unsigned long long)(r * 0x9E3779B97F4A7C15ull));
    fl_vec_append_str(&batch->cols[1], buf, (uint32_t)len);
  }
  fl_batch_set_rows(batch, batch->nrows + n);
}

static fl_field str_fields[] = {
    {1, "kind", {FL_T_STRING, 0, 0}, true},
    {2, "event_id", {FL_T_STRING, 0, 0}, true},
};
static fl_schema str_schema = {0, 2, str_fields, 0, NULL};

Test(parquet, repetitive_strings_use_a_dictionary_and_unique_strings_plain) {
  const char *path = tmp_path();
  fl_parquet_writer *pw;
  write_file(path, &str_schema, NULL, 20000, fill_strings, &pw);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  fl_parquet_chunk_info ci;
  cr_assert(fl_parquet_reader_chunk_info(pr, 0, 1, &ci));
  cr_assert(has_encoding(&ci, FL_PQ_ENC_RLE_DICTIONARY));
  cr_assert(ci.dictionary_page_offset > 0 && ci.dictionary_page_offset < ci.data_page_offset);
  cr_assert_eq(ci.codec, FL_PQ_CODEC_ZSTD);
  cr_assert(fl_parquet_reader_chunk_info(pr, 0, 2, &ci));
  cr_assert(!has_encoding(&ci, FL_PQ_ENC_RLE_DICTIONARY));
  cr_assert(has_encoding(&ci, FL_PQ_ENC_PLAIN));
  cr_assert_eq(ci.dictionary_page_offset, 0);
  fl_parquet_reader_free(pr);
  fl_batch *got = read_all(path, &str_schema);
  assert_same_rows(got, 20000, fill_strings, &str_schema);
  fl_batch_free(got);
  fl_parquet_writer_free(pw);
}

/* 5000 rows over 4 words, then unique strings: the dictionary overflows. */
static void fill_growing(fl_batch *batch, uint64_t first, uint32_t n) {
  char buf[64];
  for (uint32_t k = 0; k < n; k++) {
    uint64_t r = first + k;
    int len = r < 5000 ? snprintf(buf, sizeof buf, "%s", words[r % 4])
                       : snprintf(buf, sizeof buf, "unique-%llu", (unsigned long long)r);
    fl_vec_append_str(&batch->cols[0], buf, (uint32_t)len);
    fl_vec_append_i64(&batch->cols[1], r < 5000 ? (int64_t)(r % 3) : (int64_t)r * 7);
  }
  fl_batch_set_rows(batch, batch->nrows + n);
}

static fl_field grow_fields[] = {
    {1, "s", {FL_T_STRING, 0, 0}, false},
    {2, "n", {FL_T_BIGINT, 0, 0}, false},
};
static fl_schema grow_schema = {0, 2, grow_fields, 0, NULL};

Test(parquet, dictionary_falls_back_to_plain_when_large) {
  const char *path = tmp_path();
  fl_parquet_opts opts;
  fl_parquet_opts_default(&opts);
  opts.page_bytes = 2048;
  opts.dict_bytes_max = 4096;
  fl_parquet_writer *pw;
  write_file(path, &grow_schema, &opts, 20000, fill_growing, &pw);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_parquet_reader_row_groups(pr), 1);
  for (int32_t id = 1; id <= 2; id++) {
    fl_parquet_chunk_info ci;
    cr_assert(fl_parquet_reader_chunk_info(pr, 0, id, &ci));
    cr_assert(has_encoding(&ci, FL_PQ_ENC_RLE_DICTIONARY), "field %d dictionary first", id);
    cr_assert(has_encoding(&ci, FL_PQ_ENC_PLAIN), "field %d then plain", id);
    cr_assert(has_encoding(&ci, FL_PQ_ENC_RLE), "field %d levels", id);
  }
  fl_parquet_reader_free(pr);
  fl_batch *got = read_all(path, &grow_schema);
  assert_same_rows(got, 20000, fill_growing, &grow_schema);
  fl_batch_free(got);
  fl_parquet_writer_free(pw);
}

/* The dictionary decision of a chunk's first page (parquet_write.c, dict_is_hopeless):
 * one INT (optional, every 20th row null, as the orders' product_id) and one BIGINT
 * column of the same pseudo-random values below decide_distinct, a hash of the row
 * number. */
static uint32_t decide_distinct;

static uint64_t row_hash(uint64_t r) {
  uint64_t z = r * 0x9E3779B97F4A7C15ull + 0x5eed;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void fill_decide(fl_batch *batch, uint64_t first, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) {
    uint32_t v = (uint32_t)(row_hash(first + k) % decide_distinct);
    if ((first + k) % 20 == 7)
      fl_vec_append_null(&batch->cols[0]);
    else
      fl_vec_append_i32(&batch->cols[0], (int32_t)v);
    fl_vec_append_i64(&batch->cols[1], (int64_t)v * 1000003);
  }
  fl_batch_set_rows(batch, batch->nrows + n);
}

/* 2,000 unique values, then values of 4 kinds: a decision on the whole page would
 * keep the dictionary, a decision on the first values drops it. */
static void fill_unique_then_few(fl_batch *batch, uint64_t first, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) {
    uint64_t r = first + k;
    int64_t v = r < 2000 ? (int64_t)r * 7919 : (int64_t)(row_hash(r) % 4);
    fl_vec_append_i32(&batch->cols[0], (int32_t)v);
    fl_vec_append_i64(&batch->cols[1], v);
  }
  fl_batch_set_rows(batch, batch->nrows + n);
}

static fl_field decide_fields[] = {
    {1, "i", {FL_T_INT, 0, 0}, false},
    {2, "l", {FL_T_BIGINT, 0, 0}, true},
};
static fl_schema decide_schema = {0, 2, decide_fields, 0, NULL};

/* Writes 70,000 rows of fill with codec; tells for both columns whether the chunk has
 * a dictionary (dictionary page and RLE_DICTIONARY pages) and reads the rows back. */
static void write_decide(fl_codec codec, void (*fill)(fl_batch *, uint64_t, uint32_t), bool has_dict[2]) {
  const char *path = tmp_path();
  fl_parquet_opts opts;
  fl_parquet_opts_default(&opts);
  opts.codec = codec;
  opts.page_rows = 65536; /* the decision is the first page's: these cases are sized for 64 Ki rows */
  fl_parquet_writer *pw;
  write_file(path, &decide_schema, &opts, 70000, fill, &pw);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_parquet_reader_row_groups(pr), 1);
  for (int32_t id = 1; id <= 2; id++) {
    fl_parquet_chunk_info ci;
    cr_assert(fl_parquet_reader_chunk_info(pr, 0, id, &ci));
    has_dict[id - 1] = ci.dictionary_page_offset != 0;
    cr_assert_eq(has_encoding(&ci, FL_PQ_ENC_RLE_DICTIONARY), has_dict[id - 1], "field %d", id);
    /* ints without a dictionary: DELTA_BINARY_PACKED pages (smaller than PLAIN here) */
    cr_assert(has_encoding(&ci, has_dict[id - 1] ? FL_PQ_ENC_PLAIN : FL_PQ_ENC_DELTA_BINARY_PACKED),
              "field %d", id);
    cr_assert_eq(ci.num_values, 70000);
  }
  fl_parquet_reader_free(pr);
  fl_batch *got = read_all(path, &decide_schema);
  assert_same_rows(got, 70000, fill, &decide_schema);
  fl_batch_free(got);
  fl_parquet_writer_free(pw);
}

Test(parquet, few_distinct_ints_keep_the_dictionary) {
  bool has_dict[2];
  decide_distinct = 50;
  write_decide(FL_CODEC_ZSTD, fill_decide, has_dict);
  cr_assert(has_dict[0] && has_dict[1]);
  decide_distinct = 1000;
  write_decide(FL_CODEC_ZSTD, fill_decide, has_dict);
  cr_assert(has_dict[0] && has_dict[1], "10-bit indices still beat PLAIN after zstd");
}

/* 20,000 random INT values in 70,000 rows: dictionary + 15-bit indices are smaller
 * than PLAIN uncompressed (kept without a codec) but bigger once zstd squeezes the
 * PLAIN values' zero high bytes; the same values as BIGINT (8-byte PLAIN) keep it. */
Test(parquet, random_ints_of_20000_distinct_are_plain_when_smaller_after_zstd) {
  bool has_dict[2];
  decide_distinct = 20000;
  write_decide(FL_CODEC_ZSTD, fill_decide, has_dict);
  cr_assert(!has_dict[0], "INT: PLAIN is smaller after zstd");
  cr_assert(has_dict[1], "BIGINT: the dictionary is smaller after zstd");
  write_decide(FL_CODEC_NONE, fill_decide, has_dict);
  cr_assert(has_dict[0] && has_dict[1], "uncompressed, the dictionary is smaller");
  write_decide(FL_CODEC_SNAPPY, fill_decide, has_dict); /* compared too: rows read back */
}

Test(parquet, unique_column_abandons_the_dictionary_early) {
  bool has_dict[2];
  /* Without a codec the page decision is uncompressed, where 2,004 distinct values
   * in 70,000 rows win with a dictionary: only the early sample goes PLAIN. */
  write_decide(FL_CODEC_NONE, fill_unique_then_few, has_dict);
  cr_assert(!has_dict[0] && !has_dict[1], "the first 2,000 values are unique: PLAIN");
  decide_distinct = 2004;
  write_decide(FL_CODEC_NONE, fill_decide, has_dict);
  cr_assert(has_dict[0] && has_dict[1], "2,004 values spread over the page keep the dictionary");
}

/* kind and event_id both from the 4 words: no column is unique */
static void fill_words(fl_batch *batch, uint64_t first, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) {
    const char *w = words[(first + k) % 4];
    fl_vec_append_str(&batch->cols[0], w, (uint32_t)strlen(w));
    fl_vec_append_str(&batch->cols[1], w, (uint32_t)strlen(w));
  }
  fl_batch_set_rows(batch, batch->nrows + n);
}

/* Field id's chunk of the file at path: has it a dictionary? */
static bool chunk_has_dict(const char *path, int32_t id) {
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  fl_parquet_chunk_info ci;
  cr_assert(fl_parquet_reader_chunk_info(pr, 0, id, &ci));
  bool dict = ci.dictionary_page_offset != 0;
  cr_assert_eq(has_encoding(&ci, FL_PQ_ENC_RLE_DICTIONARY), dict);
  fl_parquet_reader_free(pr);
  return dict;
}

/* fl_parquet_opts.unique_hint: what one file's trial learns, the next file's uses;
 * a hinted column whose values repeat keeps its dictionary and clears the hint. */
Test(parquet, unique_hint_carries_the_trial_to_the_next_file) {
  uint8_t hint[2] = {0, 0};
  fl_parquet_opts opts;
  fl_parquet_opts_default(&opts);
  opts.unique_hint = hint;
  fl_parquet_writer *pw;
  char path[600];
  for (int f = 0; f < 2; f++) { /* unique event ids: marked, then PLAIN at once */
    snprintf(path, sizeof path, "%s", tmp_path());
    write_file(path, &str_schema, &opts, 1500, fill_strings, &pw);
    fl_parquet_writer_free(pw);
    cr_assert_eq(hint[0], 0, "file %d: kind keeps its dictionary", f);
    cr_assert_eq(hint[1], 1, "file %d: event_id is near-unique", f);
    cr_assert(chunk_has_dict(path, 1));
    cr_assert(!chunk_has_dict(path, 2));
    fl_batch *got = read_all(path, &str_schema);
    assert_same_rows(got, 1500, fill_strings, &str_schema);
    fl_batch_free(got);
  }
  snprintf(path, sizeof path, "%s", tmp_path());
  write_file(path, &str_schema, &opts, 1500, fill_words, &pw);
  fl_parquet_writer_free(pw);
  cr_assert(chunk_has_dict(path, 2), "event_id repeats in the hint's sample: the dictionary is kept");
  cr_assert_eq(hint[1], 0);
  fl_batch *got = read_all(path, &str_schema);
  assert_same_rows(got, 1500, fill_words, &str_schema);
  fl_batch_free(got);
}

static char *file_bytes(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "%s", path);
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc(*n ? *n : 1);
  cr_assert_eq(fread(p, 1, *n, f), *n);
  fclose(f);
  return p;
}

/* fl_parquet_writer_write_rows: rows picked from a batch (out of order, in pieces, some
 * cut at an offset) make the file that writing those rows gathered into batches makes,
 * byte for byte, over every type with nulls, dictionary and PLAIN chunks. */
Test(parquet, write_rows_of_a_selection_equals_writing_them_gathered) {
  enum { NB = 3000 };
  fl_batch *src = fl_batch_new(all_fields, NALL, NB);
  fill_all(src, 0, NB);
  uint32_t sel[NB], n = 0;
  for (uint32_t r = 0; r < NB; r++)
    if (r % 3 != 1) sel[n++] = (r * 7) % NB; /* a permutation's subset, repeats allowed */
  char a[600], b[600];
  snprintf(a, sizeof a, "%s", tmp_path());
  snprintf(b, sizeof b, "%s", tmp_path());
  fl_parquet_opts opts;
  fl_parquet_opts_default(&opts);
  opts.page_rows = 700;
  fl_parquet_writer *pa, *pb;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_writer_open(a, &all_schema, &opts, &pa, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_parquet_writer_open(b, &all_schema, &opts, &pb, &err), FL_OK, "%s", err.msg);
  fl_batch *g = fl_batch_new(all_fields, NALL, NB);
  for (uint32_t at = 0; at < n;) {
    uint32_t k = n - at < 777 ? n - at : 777;
    cr_assert_eq(fl_parquet_writer_write_rows(pa, src, sel, at, k, &err), FL_OK, "%s", err.msg);
    fl_batch_reset(g);
    fl_batch_gather(g, src, sel + at, k);
    cr_assert_eq(fl_parquet_writer_write(pb, g, &err), FL_OK, "%s", err.msg);
    at += k;
  }
  /* and a contiguous range without a selection, from an offset */
  cr_assert_eq(fl_parquet_writer_write_rows(pa, src, NULL, 100, 900, &err), FL_OK, "%s", err.msg);
  fl_batch_reset(g);
  fl_batch_append_range(g, src, 100, 900);
  cr_assert_eq(fl_parquet_writer_write(pb, g, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_parquet_writer_close(pa, NULL, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_parquet_writer_close(pb, NULL, &err), FL_OK, "%s", err.msg);
  size_t na, nb;
  char *fa = file_bytes(a, &na), *fb = file_bytes(b, &nb);
  cr_assert_eq(na, nb);
  cr_assert(memcmp(fa, fb, na) == 0, "the files differ");
  free(fa);
  free(fb);
  fl_parquet_writer_free(pa);
  fl_parquet_writer_free(pb);
  fl_batch_free(g);
  fl_batch_free(src);
}

Test(parquet, small_row_groups_give_many_with_exact_stats) {
  const char *path = tmp_path();
  fl_parquet_opts opts;
  fl_parquet_opts_default(&opts);
  opts.row_group_bytes = 32 << 10;
  opts.page_bytes = 4096;
  fl_parquet_writer *pw;
  const fl_parquet_file_info *info = write_file(path, &all_schema, &opts, 30000, fill_all, &pw);
  cr_assert(info->nrow_groups > 3, "%u row groups", info->nrow_groups);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_parquet_reader_row_groups(pr), info->nrow_groups);
  uint64_t first = 0;
  for (uint32_t rg = 0; rg < info->nrow_groups; rg++) {
    uint64_t n = fl_parquet_reader_row_group_rows(pr, rg);
    fl_column_stats st;
    cr_assert(fl_parquet_reader_row_group_stats(pr, rg, 1, &st));
    cr_assert(st.has_bounds);
    cr_assert_eq(st.min.u.i64, (int64_t)first, "row group %u min id", rg);
    cr_assert_eq(st.max.u.i64, (int64_t)(first + n - 1), "row group %u max id", rg);
    cr_assert_eq(st.null_count, 0);
    cr_assert_eq(st.value_count, n);
    /* the date column: nulls where r % 7 == 3 */
    cr_assert(fl_parquet_reader_row_group_stats(pr, rg, 9, &st));
    uint64_t nulls = 0;
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (uint64_t r = first; r < first + n; r++) {
      if (r % 7 == 3) {
        nulls++;
        continue;
      }
      int32_t v = 20000 + (int32_t)(r % 400);
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    cr_assert_eq(st.null_count, nulls);
    cr_assert_eq(st.min.u.i32, lo);
    cr_assert_eq(st.max.u.i32, hi);
    cr_assert_eq(st.min.type.kind, FL_T_DATE);
    first += n;
  }
  cr_assert_eq(first, 30000);
  cr_assert(!fl_parquet_reader_row_group_stats(pr, 0, 99, &(fl_column_stats){0}));
  fl_parquet_reader_free(pr);
  fl_batch *got = read_all(path, &all_schema);
  assert_same_rows(got, 30000, fill_all, &all_schema);
  fl_batch_free(got);
  fl_parquet_writer_free(pw);
}

Test(parquet, every_codec_round_trips) {
  fl_codec codecs[] = {FL_CODEC_NONE, FL_CODEC_SNAPPY, FL_CODEC_ZSTD};
  for (int i = 0; i < 3; i++) {
    const char *path = tmp_path();
    char saved[600];
    snprintf(saved, sizeof saved, "%s", path);
    fl_parquet_opts opts;
    fl_parquet_opts_default(&opts);
    opts.codec = codecs[i];
    opts.page_bytes = 8192;
    fl_parquet_writer *pw;
    write_file(saved, &all_schema, &opts, 5000, fill_all, &pw);
    fl_parquet_reader *pr;
    fl_err err = {0};
    cr_assert_eq(fl_parquet_reader_open(saved, &pr, &err), FL_OK, "%s", err.msg);
    fl_parquet_chunk_info ci;
    cr_assert(fl_parquet_reader_chunk_info(pr, 0, 11, &ci));
    cr_assert_eq(ci.codec, (int32_t)codecs[i]);
    fl_parquet_reader_free(pr);
    fl_batch *got = read_all(saved, &all_schema);
    assert_same_rows(got, 5000, fill_all, &all_schema);
    fl_batch_free(got);
    fl_parquet_writer_free(pw);
  }
}

Test(parquet, file_statistics_are_exact) {
  const char *path = tmp_path();
  fl_parquet_writer *pw;
  const fl_parquet_file_info *info = write_file(path, &all_schema, NULL, 1000, fill_all, &pw);
  cr_assert_eq(info->ncols, NALL);
  uint64_t nulls = 0;
  for (uint64_t r = 0; r < 1000; r++) nulls += r % 7 == 3;
  const fl_column_stats *id = &info->cols[0];
  cr_assert_eq(id->field_id, 1);
  cr_assert_eq(id->null_count, 0);
  cr_assert_eq(id->value_count, 1000);
  cr_assert_eq(id->min.u.i64, 0);
  cr_assert_eq(id->max.u.i64, 999);
  cr_assert(id->compressed_bytes > 0);
  const fl_column_stats *s = &info->cols[10];
  cr_assert_eq(s->null_count, nulls);
  cr_assert_eq(s->value_count, 1000);
  cr_assert(s->has_bounds);
  cr_assert_eq(s->min.u.str.len, 0, "the empty string is the least");
  cr_assert_eq(s->max.u.str.len, strlen("épsilon"));
  cr_assert(memcmp(s->max.u.str.ptr, "épsilon", s->max.u.str.len) == 0, "unsigned byte order puts é last");
  const fl_column_stats *amount = &info->cols[6];
  cr_assert_eq(amount->min.type.kind, FL_T_DECIMAL);
  cr_assert_eq(amount->min.u.i64, -50000);
  cr_assert_eq(amount->max.u.i64, 999 * 1234 - 50000);
  const fl_column_stats *sd = &info->cols[7];
  cr_assert_eq(sd->min.u.i64, -99);
  cr_assert_eq(sd->max.u.i64, 99);
  const fl_column_stats *f = &info->cols[4];
  cr_assert_eq(f->min.u.f32, -100.0f);
  cr_assert_eq(f->max.u.f32, 999.0f / 8 - 100);
  uint64_t sum = 0;
  for (uint32_t c = 0; c < NALL; c++) sum += info->cols[c].compressed_bytes;
  cr_assert(sum < info->file_bytes);
  cr_assert_eq(info->nrow_groups, 1);
  cr_assert_eq(info->row_group_offsets[0], 4);

  /* the same through the reader's row group statistics */
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  fl_column_stats st;
  cr_assert(fl_parquet_reader_row_group_stats(pr, 0, 11, &st));
  cr_assert_eq(st.null_count, nulls);
  cr_assert_eq(fl_value_cmp(&st.min, &s->min), 0);
  cr_assert_eq(fl_value_cmp(&st.max, &s->max), 0);
  cr_assert_eq(st.compressed_bytes, s->compressed_bytes);
  cr_assert(fl_parquet_reader_row_group_stats(pr, 0, 8, &st));
  cr_assert_eq(st.min.u.i64, -99);
  cr_assert_eq(st.max.u.i64, 99);
  fl_parquet_reader_free(pr);
  fl_parquet_writer_free(pw);
}

static fl_field float_fields[] = {{1, "x", {FL_T_DOUBLE, 0, 0}, false},
                                  {2, "none", {FL_T_BIGINT, 0, 0}, false}};
static fl_schema float_schema = {0, 2, float_fields, 0, NULL};

static void fill_floats(fl_batch *batch, uint64_t first, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) {
    uint64_t r = first + k;
    double v = r % 3 == 0 ? NAN : r % 3 == 1 ? 0.0 : -(double)(r % 30);
    if (r == 1) v = -0.0;
    fl_vec_append_f64(&batch->cols[0], v);
    fl_vec_append_null(&batch->cols[1]);
  }
  fl_batch_set_rows(batch, batch->nrows + n);
}

Test(parquet, nan_is_left_out_of_bounds_and_all_null_columns_have_none) {
  const char *path = tmp_path();
  fl_parquet_writer *pw;
  const fl_parquet_file_info *info = write_file(path, &float_schema, NULL, 3000, fill_floats, &pw);
  cr_assert(info->cols[0].has_bounds);
  cr_assert_eq(info->cols[0].min.u.f64, -29.0);
  cr_assert_eq(info->cols[0].max.u.f64, 0.0);
  cr_assert(!info->cols[1].has_bounds);
  cr_assert_eq(info->cols[1].null_count, 3000);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  fl_column_stats st;
  cr_assert(fl_parquet_reader_row_group_stats(pr, 0, 1, &st));
  cr_assert(st.has_bounds);
  cr_assert_eq(st.min.u.f64, -29.0);
  cr_assert(st.max.u.f64 == 0.0 && !signbit(st.max.u.f64), "a zero max is written +0.0");
  cr_assert(fl_parquet_reader_row_group_stats(pr, 0, 2, &st));
  cr_assert(!st.has_bounds);
  cr_assert_eq(st.null_count, 3000);
  fl_parquet_chunk_info ci;
  cr_assert(fl_parquet_reader_chunk_info(pr, 0, 1, &ci));
  cr_assert(has_encoding(&ci, FL_PQ_ENC_RLE_DICTIONARY), "repeated doubles (NaN, 0.0) use the dictionary");
  fl_parquet_reader_free(pr);
  fl_batch *got = read_all(path, &float_schema);
  cr_assert_eq(got->nrows, 3000);
  cr_assert(signbit(got->cols[0].data.f64[1]) && !signbit(got->cols[0].data.f64[4]),
            "-0.0 and 0.0 stay apart");
  cr_assert_eq(got->cols[0].data.f64[2999], -29.0);
  cr_assert(isnan(got->cols[0].data.f64[0]));
  cr_assert(signbit(got->cols[0].data.f64[1]));
  cr_assert_eq(got->cols[0].data.f64[2], -2.0);
  cr_assert(!fl_vec_is_valid(&got->cols[1], 5));
  fl_batch_free(got);
  fl_parquet_writer_free(pw);
}

Test(parquet, projection_by_field_id_reads_absent_fields_as_nulls_and_widens) {
  const char *path = tmp_path();
  fl_parquet_writer *pw;
  write_file(path, &all_schema, NULL, 3000, fill_all, &pw);
  /* renamed, reordered, widened, and one field the file does not have */
  fl_field want_fields[] = {
      {12, "json_renamed", {FL_T_JSON, 0, 0}, false},       {3, "i_as_long", {FL_T_BIGINT, 0, 0}, false},
      {42, "added_later", {FL_T_STRING, 0, 0}, false},      {5, "f_as_double", {FL_T_DOUBLE, 0, 0}, false},
      {8, "small_dec_wider", {FL_T_DECIMAL, 12, 2}, false}, {43, "added_int", {FL_T_INT, 0, 0}, false},
  };
  fl_schema want = {0, 6, want_fields, 0, NULL};
  fl_batch *got = read_all(path, &want);
  fl_batch *orig = fl_batch_new(all_fields, NALL, 3001);
  fill_all(orig, 0, 3000);
  cr_assert_eq(got->nrows, 3000);
  for (uint32_t r = 0; r < 3000; r++) {
    bool null = r % 7 == 3;
    cr_assert(!fl_vec_is_valid(&got->cols[2], r));
    cr_assert(!fl_vec_is_valid(&got->cols[5], r));
    cr_assert_eq(got->cols[5].data.i32[r], 0);
    cr_assert_eq(fl_vec_is_valid(&got->cols[1], r), !null);
    if (null) continue;
    cr_assert_eq(got->cols[1].data.i64[r], (int64_t)orig->cols[2].data.i32[r]);
    cr_assert_eq(got->cols[3].data.f64[r], (double)orig->cols[4].data.f32[r]);
    cr_assert_eq(got->cols[4].data.i64[r], orig->cols[7].data.i64[r]);
    uint32_t n1, n2;
    const char *a = fl_vec_str(&got->cols[0], r, &n1), *b = fl_vec_str(&orig->cols[11], r, &n2);
    cr_assert(n1 == n2 && memcmp(a, b, n1) == 0);
  }
  fl_batch_free(orig);
  fl_batch_free(got);

  /* narrowing is refused with the field named */
  fl_field bad_fields[] = {{4, "l", {FL_T_INT, 0, 0}, false}};
  fl_schema bad = {0, 1, bad_fields, 0, NULL};
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK);
  collect cl = {fl_batch_new(bad_fields, 1, 16), 0, 0, true};
  cr_assert_eq(fl_parquet_reader_read_row_group(pr, 0, &bad, collect_emit, &cl, &err), FL_ETYPE);
  cr_assert(strstr(err.msg, "id 4") != NULL, "%s", err.msg);
  fl_batch_free(cl.all);
  fl_parquet_reader_free(pr);
  fl_parquet_writer_free(pw);
}

static fl_field big_fields[] = {{1, "blob", {FL_T_STRING, 0, 0}, false}, {2, "n", {FL_T_INT, 0, 0}, true}};
static fl_schema big_schema = {0, 2, big_fields, 0, NULL};

Test(parquet, big_strings_and_big_batches_round_trip) {
  const char *path = tmp_path();
  fl_parquet_writer *pw;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_writer_open(path, &big_schema, NULL, &pw, &err), FL_OK);
  /* one batch of 70000 rows (more than a page holds), strings up to 300 KiB */
  uint32_t rows = 70000;
  fl_batch *batch = fl_batch_new(big_fields, 2, rows);
  char *blob = fl_malloc(300 << 10);
  for (uint32_t i = 0; i < (300u << 10); i++) blob[i] = (char)('a' + i % 26);
  for (uint32_t r = 0; r < rows; r++) {
    if (r % 5000 == 1)
      fl_vec_append_str(&batch->cols[0], blob, (300u << 10) - r % 7);
    else if (r % 3 == 0)
      fl_vec_append_null(&batch->cols[0]);
    else
      fl_vec_append_str(&batch->cols[0], blob + r % 26, 5);
    fl_vec_append_i32(&batch->cols[1], (int32_t)r);
  }
  fl_batch_set_rows(batch, rows);
  cr_assert_eq(fl_parquet_writer_write(pw, batch, &err), FL_OK, "%s", err.msg);
  const fl_parquet_file_info *info;
  cr_assert_eq(fl_parquet_writer_close(pw, &info, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(info->num_rows, rows);
  fl_batch *got = read_all(path, &big_schema);
  cr_assert_eq(got->nrows, rows);
  for (uint32_t r = 0; r < rows; r++) {
    fl_value a, b;
    fl_batch_get(batch, 0, r, &a);
    fl_batch_get(got, 0, r, &b);
    cr_assert_eq(fl_value_cmp(&a, &b), 0, "row %u", r);
    cr_assert_eq(got->cols[1].data.i32[r], (int32_t)r);
  }
  fl_free(blob);
  fl_batch_free(got);
  fl_batch_free(batch);
  fl_parquet_writer_free(pw);
}

static int stop_emit(void *ctx, const fl_batch *batch, uint64_t first_row) {
  (void)batch;
  (void)first_row;
  ++*(int *)ctx;
  return FL_ELIMIT;
}

Test(parquet, emit_can_stop_the_read) {
  const char *path = tmp_path();
  fl_parquet_writer *pw;
  write_file(path, &all_schema, NULL, 10000, fill_all, &pw);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK);
  int calls = 0;
  cr_assert_eq(fl_parquet_reader_read_row_group(pr, 0, &all_schema, stop_emit, &calls, &err), FL_ELIMIT);
  cr_assert_eq(calls, 1);
  fl_parquet_reader_free(pr);
  fl_parquet_writer_free(pw);
}

Test(parquet, empty_file_is_valid) {
  const char *path = tmp_path();
  fl_parquet_writer *pw;
  const fl_parquet_file_info *info = write_file(path, &all_schema, NULL, 0, fill_all, &pw);
  cr_assert_eq(info->nrow_groups, 0);
  cr_assert_eq(info->cols[3].value_count, 0);
  cr_assert(!info->cols[3].has_bounds);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_parquet_reader_num_rows(pr), 0);
  cr_assert_eq(fl_parquet_reader_row_groups(pr), 0);
  cr_assert_eq(fl_parquet_reader_schema(pr)->nfields, NALL);
  fl_parquet_reader_free(pr);
  fl_parquet_writer_free(pw);
}

Test(parquet, key_value_metadata_round_trips) {
  const char *path = tmp_path();
  fl_kv kv[] = {{"iceberg.schema", "{\"type\":\"struct\",\"fields\":[]}"}, {"other", "x"}};
  fl_parquet_opts opts;
  fl_parquet_opts_default(&opts);
  opts.kv = kv;
  opts.nkv = 2;
  fl_parquet_writer *pw;
  write_file(path, &str_schema, &opts, 10, fill_strings, &pw);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(fl_parquet_reader_kv(pr, "iceberg.schema"), kv[0].value);
  cr_assert_str_eq(fl_parquet_reader_kv(pr, "other"), "x");
  cr_assert_null(fl_parquet_reader_kv(pr, "missing"));
  fl_parquet_reader_free(pr);
  fl_parquet_writer_free(pw);
}

Test(parquet, column_names_are_sanitized_as_java_iceberg_does) {
  fl_field fields[] = {{1, "my col", {FL_T_INT, 0, 0}, false},
                       {2, "1st", {FL_T_INT, 0, 0}, false},
                       {3, "ok_name9", {FL_T_INT, 0, 0}, false},
                       {4, "a.b$", {FL_T_INT, 0, 0}, false}};
  fl_schema schema = {0, 4, fields, 0, NULL};
  const char *path = tmp_path();
  fl_parquet_writer *pw;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_writer_open(path, &schema, NULL, &pw, &err), FL_OK);
  cr_assert_eq(fl_parquet_writer_close(pw, NULL, &err), FL_OK);
  fl_parquet_writer_free(pw);
  fl_parquet_reader *pr;
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  const fl_schema *fs = fl_parquet_reader_schema(pr);
  cr_assert_str_eq(fs->fields[0].name, "my_x20col");
  cr_assert_str_eq(fs->fields[1].name, "_1st");
  cr_assert_str_eq(fs->fields[2].name, "ok_name9");
  cr_assert_str_eq(fs->fields[3].name, "a_x2Eb_x24");
  fl_parquet_reader_free(pr);
}

Test(parquet, required_column_with_a_null_is_refused) {
  const char *path = tmp_path();
  fl_parquet_writer *pw;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_writer_open(path, &str_schema, NULL, &pw, &err), FL_OK);
  fl_batch *batch = fl_batch_new(str_fields, 2, 4);
  fl_vec_append_str(&batch->cols[0], "a", 1);
  fl_vec_append_null(&batch->cols[1]);
  fl_batch_set_rows(batch, 1);
  cr_assert_eq(fl_parquet_writer_write(pw, batch, &err), FL_EINVAL);
  cr_assert(strstr(err.msg, "event_id") != NULL, "%s", err.msg);
  fl_batch_free(batch);
  fl_parquet_writer_free(pw);
  cr_assert_neq(access(path, F_OK), 0, "an unclosed file is removed");
}

Test(parquet, existing_file_is_not_overwritten) {
  const char *path = tmp_path();
  FILE *f = fopen(path, "w");
  fclose(f);
  fl_parquet_writer *pw;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_writer_open(path, &str_schema, NULL, &pw, &err), FL_EEXIST);
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert(f);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = fl_malloc(*len + 1);
  cr_assert_eq(fread(p, 1, *len, f), *len);
  fclose(f);
  return p;
}

static int count_emit(void *ctx, const fl_batch *batch, uint64_t first_row) {
  (void)first_row;
  *(uint64_t *)ctx += batch->nrows;
  return 0;
}

/* Opens bytes and reads every row group with the file's own schema. */
static fl_code read_mem(const uint8_t *p, size_t n, fl_err *err) {
  fl_parquet_reader *pr;
  fl_code rc = fl_parquet_reader_open_mem(p, n, "x.parquet", &pr, err);
  if (rc) return rc;
  uint64_t rows = 0;
  const fl_schema *fs = fl_parquet_reader_schema(pr);
  for (uint32_t rg = 0; rg < fl_parquet_reader_row_groups(pr) && !rc; rg++)
    rc = fl_parquet_reader_read_row_group(pr, rg, fs, count_emit, &rows, err);
  fl_parquet_reader_free(pr);
  return rc;
}

static const char *small_file(void) {
  const char *path = tmp_path();
  static char saved[600];
  snprintf(saved, sizeof saved, "%s", path);
  fl_parquet_opts opts;
  fl_parquet_opts_default(&opts);
  opts.page_bytes = 512;
  opts.row_group_bytes = 4096;
  fl_parquet_writer *pw;
  write_file(saved, &all_schema, &opts, 300, fill_all, &pw);
  fl_parquet_writer_free(pw);
  return saved;
}

Test(parquet, every_truncation_is_corrupt_with_a_message) {
  size_t len;
  uint8_t *full = slurp(small_file(), &len);
  fl_err err = {0};
  cr_assert_eq(read_mem(full, len, &err), FL_OK, "%s", err.msg);
  for (size_t n = 0; n < len; n++) {
    uint8_t *p = fl_malloc(n + 1); /* exact size so ASan sees any overrun */
    memcpy(p, full, n);
    fl_err_clear(&err);
    fl_code rc = read_mem(p, n, &err);
    cr_assert_eq(rc, FL_ECORRUPT, "truncated at %zu: rc %d", n, rc);
    cr_assert(strstr(err.msg, "x.parquet") != NULL, "message names the file: %s", err.msg);
    fl_free(p);
  }
  fl_free(full);
}

Test(parquet, flipped_bytes_never_crash) {
  size_t len;
  uint8_t *full = slurp(small_file(), &len);
  uint8_t *p = fl_malloc(len);
  static const uint8_t masks[] = {0x01, 0x80, 0xFF, 0x10};
  uint32_t corrupt = 0, ok = 0;
  for (size_t i = 0; i < len; i++) {
    for (unsigned m = 0; m < sizeof masks; m++) {
      memcpy(p, full, len);
      p[i] ^= masks[m];
      fl_err err = {0};
      fl_code rc = read_mem(p, len, &err);
      if (rc == FL_OK) {
        ok++;
      } else {
        corrupt++;
        cr_assert(err.msg[0] != 0, "flip at %zu gives a message", i);
        cr_assert(rc == FL_ECORRUPT || rc == FL_EUNSUPPORTED || rc == FL_ELIMIT, "flip at %zu: rc %d (%s)", i,
                  rc, err.msg);
      }
    }
  }
  cr_assert(corrupt > 0 && ok > 0);
  fl_free(p);
  fl_free(full);
}

Test(parquet, footer_length_past_the_file_is_named) {
  size_t len;
  uint8_t *full = slurp(small_file(), &len);
  full[len - 8] = 0xFF;
  full[len - 7] = 0xFF;
  fl_err err = {0};
  cr_assert_eq(read_mem(full, len, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, "footer length") != NULL, "%s", err.msg);
  fl_free(full);
}

/* tests/fuzz/corpus/parquet/<name> in the source tree (found from this file's path). */
static void corpus_path(const char *name, char *out, size_t n) {
  const char *src = __FILE__;
  const char *cut = strstr(src, "src/format/parquet_test.c");
  cr_assert(cut != NULL, "source path %s", src);
  snprintf(out, n, "%.*stests/fuzz/corpus/parquet/%s", (int)(cut - src), src, name);
}

/* DuckDB 1.x wrote the same 300 rows with v1 pages (PLAIN/dictionary, snappy) and v2
 * pages (DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT, zstd). */
Test(parquet, reads_duckdb_files_with_v1_and_v2_pages_alike) {
  char p1[1024], p2[1024];
  corpus_path("duckdb_v1.parquet", p1, sizeof p1);
  corpus_path("duckdb_v2.parquet", p2, sizeof p2);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(p1, &pr, &err), FL_OK, "%s", err.msg);
  const fl_schema *fs = fl_parquet_reader_schema(pr);
  cr_assert_eq(fs->nfields, 13);
  fl_field fields[13];
  memcpy(fields, fs->fields, sizeof fields);
  fl_parquet_reader_free(pr);
  fl_schema schema = {0, 13, fields, 0, NULL};
  cr_assert_eq(fields[12].type.kind, FL_T_TIMESTAMP, "TIMESTAMP_MS reads as micros");
  cr_assert_eq(fields[6].type.kind, FL_T_DECIMAL);
  cr_assert_eq(fields[6].type.precision, 5);
  fl_batch *a = read_all(p1, &schema), *b = read_all(p2, &schema);
  cr_assert_eq(a->nrows, 300);
  cr_assert_eq(b->nrows, 300);
  for (uint32_t c = 0; c < 13; c++)
    for (uint32_t r = 0; r < 300; r++) {
      fl_value x, y;
      fl_batch_get(a, c, r, &x);
      fl_batch_get(b, c, r, &y);
      cr_assert_eq(fl_value_cmp(&x, &y), 0, "column %s row %u", fields[c].name, r);
    }
  uint32_t n;
  const char *s1 = fl_vec_str(&a->cols[0], 1, &n);
  cr_assert(n == 10 && memcmp(s1, "c4ca4238-1", 10) == 0);
  cr_assert_eq(a->cols[2].data.i64[299], 99);
  cr_assert_eq(a->cols[8].data.i32[1], 18263, "2020-01-02");
  cr_assert_eq(a->cols[12].data.i64[1], 1764000000001000);
  cr_assert_eq(a->cols[11].data.f32[1], 1.0f / 7);
  cr_assert_eq(a->cols[10].data.f64[1], 1.0 / 7);
  cr_assert(!fl_vec_is_valid(&a->cols[9], 0));
  cr_assert(!fl_vec_is_valid(&a->cols[4], 0));
  fl_batch_free(a);
  fl_batch_free(b);
}

/* hyparquet-writer 0.6.1 wrote 200 rows with v2 pages (RLE booleans, dictionary
 * strings, nulls) and no field ids: columns get ids by position, as Java's fallback. */
Test(parquet, reads_hyparquet_writer_v2_pages_without_field_ids) {
  char path[1024];
  corpus_path("hyparquet_v2.parquet", path, sizeof path);
  fl_field fields[] = {
      {1, "flag", {FL_T_BOOLEAN, 0, 0}, false}, {2, "num", {FL_T_BIGINT, 0, 0}, false},
      {3, "str", {FL_T_STRING, 0, 0}, false},   {4, "big", {FL_T_BIGINT, 0, 0}, false},
      {5, "dbl", {FL_T_DOUBLE, 0, 0}, false},
  };
  fl_schema schema = {0, 5, fields, 0, NULL};
  fl_batch *b = read_all(path, &schema);
  static const char *colors[] = {"red", "green", "blue"};
  cr_assert_eq(b->nrows, 200);
  for (uint32_t i = 0; i < 200; i++) {
    cr_assert_eq(fl_vec_is_valid(&b->cols[0], i), i % 5 != 0);
    if (i % 5) cr_assert_eq(b->cols[0].data.b[i], i % 3 == 0, "flag %u", i);
    cr_assert_eq(fl_vec_is_valid(&b->cols[1], i), i % 7 != 0);
    if (i % 7) cr_assert_eq(b->cols[1].data.i64[i], (int64_t)i * 3 - 100);
    cr_assert_eq(fl_vec_is_valid(&b->cols[2], i), i % 4 != 0);
    if (i % 4) {
      uint32_t n;
      const char *p = fl_vec_str(&b->cols[2], i, &n);
      cr_assert(n == strlen(colors[i % 3]) && memcmp(p, colors[i % 3], n) == 0, "str %u", i);
    }
    cr_assert_eq(b->cols[3].data.i64[i], (int64_t)i * 1000000007);
    cr_assert_eq(b->cols[4].data.f64[i], i / 4.0);
  }
  fl_batch_free(b);
}

/* DELTA_BINARY_PACKED of 1..129 values: one block of 4 miniblocks, every miniblock
 * 8 bits wide (the test's deltas - min delta stay below 256). */
static void put_dbp(fl_buf *out, const int64_t *v, uint32_t n) {
  fl_buf_put_uvarint(out, 128);
  fl_buf_put_uvarint(out, 4);
  fl_buf_put_uvarint(out, n);
  fl_buf_put_zigzag(out, v[0]);
  if (n < 2) return;
  int64_t min = INT64_MAX;
  for (uint32_t i = 1; i < n; i++) min = v[i] - v[i - 1] < min ? v[i] - v[i - 1] : min;
  fl_buf_put_zigzag(out, min);
  for (int m = 0; m < 4; m++) fl_buf_put_u8(out, 8);
  uint32_t nd = n - 1;
  for (uint32_t j = 0; j < (nd + 31) / 32 * 32; j++) {
    int64_t d = j < nd ? v[j + 1] - v[j] - min : 0;
    cr_assert(d >= 0 && d < 256);
    fl_buf_put_u8(out, (uint8_t)d);
  }
}

/* floe never writes DELTA_BYTE_ARRAY (parquet-mr v2 does): a page built by hand. */
Test(parquet, reads_delta_byte_array_pages) {
  enum { N = 100 };
  char strs[N][32];
  int64_t pre[N], suf[N];
  fl_buf body = FL_BUF_INIT, bytes = FL_BUF_INIT, file = FL_BUF_INIT, tmp = FL_BUF_INIT;
  for (uint32_t i = 0; i < N; i++) {
    snprintf(strs[i], sizeof strs[i], i % 10 == 9 ? "z%u" : "key-%03u-%s", i / 3, i % 2 ? "odd" : "even");
    size_t l = 0;
    if (i)
      while (strs[i][l] && strs[i][l] == strs[i - 1][l]) l++;
    pre[i] = (int64_t)l;
    suf[i] = (int64_t)(strlen(strs[i]) - l);
    fl_buf_append(&bytes, strs[i] + l, strlen(strs[i]) - l);
  }
  put_dbp(&body, pre, N);
  put_dbp(&body, suf, N);
  fl_buf_append(&body, bytes.data, bytes.len);

  fl_thrift_enc enc;
  fl_buf_append(&file, "PAR1", 4);
  fl_thrift_enc_init(&enc, &file);
  fl_thrift_struct_open(&enc);
  fl_thrift_put_i32(&enc, 1, FL_PQ_PAGE_DATA);
  fl_thrift_put_i32(&enc, 2, (int32_t)body.len);
  fl_thrift_put_i32(&enc, 3, (int32_t)body.len);
  fl_thrift_struct_field(&enc, 5);
  fl_thrift_put_i32(&enc, 1, N);
  fl_thrift_put_i32(&enc, 2, FL_PQ_ENC_DELTA_BYTE_ARRAY);
  fl_thrift_put_i32(&enc, 3, FL_PQ_ENC_RLE);
  fl_thrift_put_i32(&enc, 4, FL_PQ_ENC_RLE);
  fl_thrift_struct_close(&enc);
  fl_thrift_struct_close(&enc);
  fl_buf_append(&file, body.data, body.len);
  int64_t chunk = (int64_t)file.len - 4;

  fl_thrift_enc_init(&enc, &tmp);
  fl_thrift_struct_open(&enc); /* FileMetaData */
  fl_thrift_put_i32(&enc, 1, 1);
  fl_thrift_list_field(&enc, 2, FL_TT_STRUCT, 2);
  fl_thrift_struct_open(&enc);
  fl_thrift_put_string(&enc, 4, "schema");
  fl_thrift_put_i32(&enc, 5, 1);
  fl_thrift_struct_close(&enc);
  fl_thrift_struct_open(&enc);
  fl_thrift_put_i32(&enc, 1, FL_PQ_BYTE_ARRAY);
  fl_thrift_put_i32(&enc, 3, FL_PQ_REQUIRED);
  fl_thrift_put_string(&enc, 4, "s");
  fl_thrift_put_i32(&enc, 6, FL_PQ_CT_UTF8);
  fl_thrift_put_i32(&enc, 9, 7);
  fl_thrift_struct_close(&enc);
  fl_thrift_put_i64(&enc, 3, N);
  fl_thrift_list_field(&enc, 4, FL_TT_STRUCT, 1);
  fl_thrift_struct_open(&enc); /* RowGroup */
  fl_thrift_list_field(&enc, 1, FL_TT_STRUCT, 1);
  fl_thrift_struct_open(&enc); /* ColumnChunk */
  fl_thrift_put_i64(&enc, 2, 0);
  fl_thrift_struct_field(&enc, 3);
  fl_thrift_put_i32(&enc, 1, FL_PQ_BYTE_ARRAY);
  fl_thrift_list_field(&enc, 2, FL_TT_I32, 1);
  fl_thrift_elem_i32(&enc, FL_PQ_ENC_DELTA_BYTE_ARRAY);
  fl_thrift_list_field(&enc, 3, FL_TT_BINARY, 1);
  fl_thrift_elem_binary(&enc, "s", 1);
  fl_thrift_put_i32(&enc, 4, FL_PQ_CODEC_UNCOMPRESSED);
  fl_thrift_put_i64(&enc, 5, N);
  fl_thrift_put_i64(&enc, 6, chunk);
  fl_thrift_put_i64(&enc, 7, chunk);
  fl_thrift_put_i64(&enc, 9, 4);
  fl_thrift_struct_close(&enc);
  fl_thrift_struct_close(&enc);
  fl_thrift_put_i64(&enc, 2, chunk);
  fl_thrift_put_i64(&enc, 3, N);
  fl_thrift_struct_close(&enc);
  fl_thrift_struct_close(&enc);
  fl_buf_append(&file, tmp.data, tmp.len);
  fl_buf_put_le32(&file, (uint32_t)tmp.len);
  fl_buf_append(&file, "PAR1", 4);

  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open_mem(file.data, file.len, "dba.parquet", &pr, &err), FL_OK, "%s",
               err.msg);
  fl_field fields[] = {{7, "s", {FL_T_STRING, 0, 0}, true}};
  fl_schema schema = {0, 1, fields, 0, NULL};
  collect cl = {fl_batch_new(fields, 1, 16), 0, 0, true};
  cr_assert_eq(fl_parquet_reader_read_row_group(pr, 0, &schema, collect_emit, &cl, &err), FL_OK, "%s",
               err.msg);
  cr_assert_eq(cl.all->nrows, N);
  for (uint32_t i = 0; i < N; i++) {
    uint32_t n;
    const char *p = fl_vec_str(&cl.all->cols[0], i, &n);
    cr_assert(n == strlen(strs[i]) && memcmp(p, strs[i], n) == 0, "row %u: %.*s != %s", i, (int)n, p,
              strs[i]);
  }
  fl_batch_free(cl.all);
  fl_parquet_reader_free(pr);
  fl_buf_free(&body);
  fl_buf_free(&bytes);
  fl_buf_free(&file);
  fl_buf_free(&tmp);
}

/* Seeds for parquet_page_fuzz: config byte, rows (u16 LE), one column chunk's bytes
 * (see parquet_page_fuzz.c), from each column of row group 0 of a file. */
static void write_page_seeds(const char *dir, const char *path, fl_codec codec) {
  size_t len;
  uint8_t *file = slurp(path, &len);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open_mem(file, len, path, &pr, &err), FL_OK, "%s", err.msg);
  const fl_schema *fs = fl_parquet_reader_schema(pr);
  for (uint32_t f = 0; f < fs->nfields; f++) {
    const fl_field *fld = &fs->fields[f];
    static const uint8_t type_code[] = {
        [FL_T_BOOLEAN] = 0, [FL_T_INT] = 1,  [FL_T_BIGINT] = 2,    [FL_T_FLOAT] = 3,  [FL_T_DOUBLE] = 4,
        [FL_T_DECIMAL] = 6, [FL_T_DATE] = 7, [FL_T_TIMESTAMP] = 8, [FL_T_STRING] = 9, [FL_T_JSON] = 9};
    uint8_t t = type_code[fld->type.kind];
    if (fld->type.kind == FL_T_DECIMAL && fld->type.precision <= 9) t = 5;
    fl_parquet_chunk_info ci;
    cr_assert(fl_parquet_reader_chunk_info(pr, 0, fld->id, &ci));
    /* the chunk's codec (UNCOMPRESSED where the file's saved under 10%) */
    uint8_t config = (uint8_t)(t | (fld->required ? 0 : 16) |
                               (ci.codec == FL_PQ_CODEC_SNAPPY ? 1
                                : ci.codec == FL_PQ_CODEC_ZSTD ? 3
                                                               : 0)
                                   << 5);
    uint64_t start = ci.dictionary_page_offset ? ci.dictionary_page_offset : ci.data_page_offset;
    uint16_t rows = (uint16_t)fl_parquet_reader_row_group_rows(pr, 0);
    char seed[1024];
    snprintf(seed, sizeof seed, "%s/page_%s_%s.bin", dir, codec == FL_CODEC_ZSTD ? "zstd" : "none",
             fld->name);
    FILE *out = fopen(seed, "wb");
    cr_assert(out);
    fputc(config, out);
    fputc(rows & 0xFF, out);
    fputc(rows >> 8, out);
    fwrite(file + start, 1, ci.total_compressed_bytes, out);
    fclose(out);
  }
  fl_parquet_reader_free(pr);
  fl_free(file);
}

/* Writes the fuzz seed corpus (into FLOE_WRITE_CORPUS when it names a directory, else a
 * scratch directory) and checks that every seed reads back with its rows. */
Test(parquet, seed_corpus) {
  const char *dir = getenv("FLOE_WRITE_CORPUS");
  char scratch[600];
  if (!dir) {
    if (!tmpdir[0]) make_tmpdir();
    snprintf(scratch, sizeof scratch, "%s/corpus", tmpdir);
    cr_assert(mkdir(scratch, 0755) == 0 || errno == EEXIST);
    dir = scratch;
  }
  struct {
    const char *name;
    fl_schema *schema;
    void (*fill)(fl_batch *, uint64_t, uint32_t);
    uint64_t rows;
    fl_codec codec;
    uint32_t dict_max;
    uint64_t row_group_bytes;
    uint32_t page_rows; /* 0: the default */
  } seeds[] = {
      {"all_types_zstd.parquet", &all_schema, fill_all, 40, FL_CODEC_ZSTD, FL_PARQUET_DICT_BYTES_MAX, 0},
      {"all_types_none.parquet", &all_schema, fill_all, 30, FL_CODEC_NONE, FL_PARQUET_DICT_BYTES_MAX, 0},
      {"all_types_snappy_plain.parquet", &all_schema, fill_all, 30, FL_CODEC_SNAPPY, 0, 0},
      {"strings_dict.parquet", &str_schema, fill_strings, 50, FL_CODEC_NONE, FL_PARQUET_DICT_BYTES_MAX, 0},
      {"fallback.parquet", &grow_schema, fill_growing, 60, FL_CODEC_NONE, 24, 0},
      {"row_groups.parquet", &grow_schema, fill_growing, 2500, FL_CODEC_SNAPPY, FL_PARQUET_DICT_BYTES_MAX,
       64},
      {"floats.parquet", &float_schema, fill_floats, 12, FL_CODEC_NONE, FL_PARQUET_DICT_BYTES_MAX, 0},
      {"empty.parquet", &all_schema, fill_all, 0, FL_CODEC_ZSTD, FL_PARQUET_DICT_BYTES_MAX, 0},
      /* pages of 16 rows in every column: a page index of many entries (null pages too) */
      {"page_index.parquet", &all_schema, fill_all, 200, FL_CODEC_ZSTD, FL_PARQUET_DICT_BYTES_MAX, 1 << 20,
       16},
  };
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, seeds[i].name);
    unlink(path);
    fl_parquet_opts opts;
    fl_parquet_opts_default(&opts);
    opts.codec = seeds[i].codec;
    opts.dict_bytes_max = seeds[i].dict_max;
    opts.page_bytes = seeds[i].page_rows ? 1 << 20 : 256;
    opts.page_rows = seeds[i].page_rows ? seeds[i].page_rows : opts.page_rows;
    opts.row_group_bytes = seeds[i].row_group_bytes ? seeds[i].row_group_bytes : 1024;
    fl_parquet_writer *pw;
    write_file(path, seeds[i].schema, &opts, seeds[i].rows, seeds[i].fill, &pw);
    fl_parquet_writer_free(pw);
    if (i < 2) write_page_seeds(dir, path, seeds[i].codec);
    fl_parquet_reader *pr;
    fl_err err = {0};
    cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s: %s", seeds[i].name, err.msg);
    cr_assert_eq(fl_parquet_reader_num_rows(pr), seeds[i].rows, "%s", seeds[i].name);
    fl_parquet_reader_free(pr);
    if (dir == scratch) unlink(path);
  }
  if (dir == scratch) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    cr_assert_eq(system(cmd), 0);
  }
}

/* ---- DELTA_BINARY_PACKED and the per-chunk codec ---- */

static fl_field delta_fields[] = {
    {1, "i", {FL_T_INT, 0, 0}, false},           {2, "l", {FL_T_BIGINT, 0, 0}, false},
    {3, "day", {FL_T_DATE, 0, 0}, false},        {4, "ts", {FL_T_TIMESTAMP, 0, 0}, true},
    {5, "amount", {FL_T_DECIMAL, 18, 2}, false},
};
#define NDELTA (sizeof delta_fields / sizeof delta_fields[0])
static fl_schema delta_schema = {0, NDELTA, delta_fields, 0, NULL};

/* Rows in segments of 64: the first 32 values of segment s step by random deltas of
 * exactly (s % 65) bits (one delta 0, one all ones), the other 32 repeat the last value
 * (deltas 0), so every miniblock width 0..64 occurs and DELTA stays smaller than
 * PLAIN. Deltas of 64 bits wrap; segments of width 64 also hold INT64_MAX then
 * INT64_MIN. INT32 columns take the low 32 bits (their deltas wrap in 32 bits). Every
 * 7th row is null in the optional columns. Sequential calls (state kept), from 0. */
static struct { uint64_t next, v, rng; } dstate;

static void fill_delta(fl_batch *batch, uint64_t first, uint32_t n) {
  if (first == 0) dstate.next = 0, dstate.v = 0, dstate.rng = 0x1234567;
  cr_assert_eq(first, dstate.next);
  for (uint32_t k = 0; k < n; k++) {
    uint64_t r = first + k;
    unsigned w = (unsigned)((r / 64) % 65), pos = (unsigned)(r % 64);
    uint64_t mask = w == 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1;
    dstate.rng = dstate.rng * 6364136223846793005ULL + 1442695040888963407ULL;
    if (pos < 32) {
      uint64_t d = pos == 0 ? 0 : pos == 1 ? mask : (dstate.rng ^ (dstate.rng >> 29)) & mask;
      dstate.v += d;
      if (w == 64 && pos == 2) dstate.v = (uint64_t)INT64_MAX;
      if (w == 64 && pos == 3) dstate.v = (uint64_t)INT64_MIN;
    }
    int64_t v = (int64_t)dstate.v;
    bool null = r % 7 == 3;
    if (null) {
      fl_vec_append_null(&batch->cols[0]);
      fl_vec_append_null(&batch->cols[1]);
      fl_vec_append_null(&batch->cols[2]);
      fl_vec_append_null(&batch->cols[4]);
    } else {
      fl_vec_append_i32(&batch->cols[0], (int32_t)(uint32_t)v);
      fl_vec_append_i64(&batch->cols[1], v);
      fl_vec_append_i32(&batch->cols[2], (int32_t)((uint32_t)v >> 1)); /* dates: any int32 */
      fl_vec_append_i64(&batch->cols[4], v % 999999999999999999LL);
    }
    fl_vec_append_i64(&batch->cols[3], v);
  }
  dstate.next = first + n;
  fl_batch_set_rows(batch, batch->nrows + n);
}

Test(parquet, delta_binary_packed_round_trips_every_bit_width_and_page_size) {
  const uint32_t page_rows[] = {1, 2, 3, 31, 32, 33, 127, 128, 129, 130, 1000, 20000};
  const uint64_t rows = 65 * 64 * 2 + 17;
  for (size_t p = 0; p < sizeof page_rows / sizeof page_rows[0]; p++) {
    for (int zstd = 0; zstd < 2; zstd++) {
      const char *path = tmp_path();
      fl_parquet_opts opts;
      fl_parquet_opts_default(&opts);
      opts.page_rows = page_rows[p];
      opts.dict_bytes_max = 0; /* no dictionary: every page DELTA or PLAIN */
      opts.codec = zstd ? FL_CODEC_ZSTD : FL_CODEC_NONE;
      fl_parquet_writer *pw;
      write_file(path, &delta_schema, &opts, rows, fill_delta, &pw);
      fl_parquet_reader *pr;
      fl_err err = {0};
      cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
      for (int32_t id = 1; id <= (int32_t)NDELTA; id++) {
        fl_parquet_chunk_info ci;
        cr_assert(fl_parquet_reader_chunk_info(pr, 0, id, &ci));
        if (page_rows[p] >= 31)
          cr_assert(has_encoding(&ci, FL_PQ_ENC_DELTA_BINARY_PACKED), "field %d, pages of %u", id,
                    page_rows[p]);
      }
      fl_parquet_reader_free(pr);
      fl_batch *got = read_all(path, &delta_schema);
      assert_same_rows(got, rows, fill_delta, &delta_schema);
      fl_batch_free(got);
      fl_parquet_writer_free(pw);
    }
  }
}

/* Sequential ids: deltas of 0 bits, a page is its header and block headers (a few
 * bytes per 128 values), also across the wrap from the type's maximum to its minimum. */
static void fill_seq(fl_batch *batch, uint64_t first, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) {
    uint64_t r = first + k; /* past row 2500 both wrap to their type's minimum */
    fl_vec_append_i32(&batch->cols[0], (int32_t)((uint32_t)INT32_MAX - 2500u + (uint32_t)r));
    fl_vec_append_i64(&batch->cols[1], (int64_t)((uint64_t)INT64_MAX - 2500u + r));
  }
  fl_batch_set_rows(batch, batch->nrows + n);
}

static fl_field seq_fields[] = {
    {1, "i", {FL_T_INT, 0, 0}, true},
    {2, "l", {FL_T_BIGINT, 0, 0}, true},
};
static fl_schema seq_schema = {0, 2, seq_fields, 0, NULL};

Test(parquet, sequential_ints_are_delta_packed_to_a_fraction_of_plain) {
  const char *path = tmp_path();
  fl_parquet_opts opts;
  fl_parquet_opts_default(&opts);
  fl_parquet_writer *pw;
  write_file(path, &seq_schema, &opts, 5000, fill_seq, &pw);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  for (int32_t id = 1; id <= 2; id++) {
    fl_parquet_chunk_info ci;
    cr_assert(fl_parquet_reader_chunk_info(pr, 0, id, &ci));
    cr_assert(has_encoding(&ci, FL_PQ_ENC_DELTA_BINARY_PACKED));
    cr_assert(!has_encoding(&ci, FL_PQ_ENC_PLAIN) && !has_encoding(&ci, FL_PQ_ENC_RLE_DICTIONARY));
    cr_assert_lt(ci.total_compressed_bytes, 5000 / 128 * 6 + 200, "field %d: %llu bytes", id,
                 (unsigned long long)ci.total_compressed_bytes);
  }
  fl_parquet_reader_free(pr);
  fl_batch *got = read_all(path, &seq_schema);
  assert_same_rows(got, 5000, fill_seq, &seq_schema);
  fl_batch_free(got);
  fl_parquet_writer_free(pw);
}

/* Random 64-bit values (PLAIN: zstd saves nothing) and strings of a few words
 * (zstd saves most): the codec is chosen per chunk (CODEC_MIN_SAVING_PCT). */
static void fill_codec(fl_batch *batch, uint64_t first, uint32_t n) {
  char buf[64];
  for (uint32_t k = 0; k < n; k++) {
    uint64_t r = first + k, x = (r + 1) * 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 31)) * 0xBF58476D1CE4E5B9ull;
    fl_vec_append_i64(&batch->cols[0], (int64_t)(x ^ (x >> 27)));
    int len = snprintf(buf, sizeof buf, "%s-%s", words[r % 7], words[r % 5]);
    fl_vec_append_str(&batch->cols[1], buf, (uint32_t)len);
  }
  fl_batch_set_rows(batch, batch->nrows + n);
}

static fl_field codec_fields[] = {
    {1, "l", {FL_T_BIGINT, 0, 0}, true},
    {2, "s", {FL_T_STRING, 0, 0}, true},
};
static fl_schema codec_schema = {0, 2, codec_fields, 0, NULL};

Test(parquet, a_chunk_the_codec_does_not_shrink_is_written_uncompressed) {
  fl_codec codecs[] = {FL_CODEC_ZSTD, FL_CODEC_SNAPPY};
  for (int i = 0; i < 2; i++) {
    const char *path = tmp_path();
    fl_parquet_opts opts;
    fl_parquet_opts_default(&opts);
    opts.codec = codecs[i];
    opts.dict_bytes_max = 0; /* strings PLAIN */
    fl_parquet_writer *pw;
    write_file(path, &codec_schema, &opts, 30000, fill_codec, &pw);
    fl_parquet_reader *pr;
    fl_err err = {0};
    cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
    fl_parquet_chunk_info ci;
    cr_assert(fl_parquet_reader_chunk_info(pr, 0, 1, &ci));
    cr_assert_eq(ci.codec, FL_PQ_CODEC_UNCOMPRESSED);
    cr_assert(has_encoding(&ci, FL_PQ_ENC_PLAIN) && !has_encoding(&ci, FL_PQ_ENC_DELTA_BINARY_PACKED),
              "random values: DELTA is not smaller");
    cr_assert(fl_parquet_reader_chunk_info(pr, 0, 2, &ci));
    cr_assert_eq(ci.codec, (int32_t)codecs[i]);
    fl_parquet_reader_free(pr);
    fl_batch *got = read_all(path, &codec_schema);
    assert_same_rows(got, 30000, fill_codec, &codec_schema);
    fl_batch_free(got);
    fl_parquet_writer_free(pw);
  }
}

/* 7000 rows: NULL every 5th row and rows 900..1100, 4 words for r < 5000, then unique
 * strings (the dictionary overflows: PLAIN pages after dictionary ones). */
static void fill_dict_nulls(fl_batch *batch, uint64_t first, uint32_t n) {
  char buf[64];
  for (uint32_t k = 0; k < n; k++) {
    uint64_t r = first + k;
    if (r % 5 == 2 || (r >= 900 && r < 1100)) {
      fl_vec_append_null(&batch->cols[0]);
    } else {
      int len = r < 5000 ? snprintf(buf, sizeof buf, "%s", words[r % 4])
                         : snprintf(buf, sizeof buf, "unique-%llu", (unsigned long long)r);
      fl_vec_append_str(&batch->cols[0], buf, (uint32_t)len);
    }
    fl_vec_append_i64(&batch->cols[1], (int64_t)r);
  }
  fl_batch_set_rows(batch, batch->nrows + n);
}

/* Reads row group 0 through a cursor, flat or in dictionary form, into rows of
 * (valid, string) appended to out (flat); counts the batches that came as a dictionary. */
static uint32_t read_cursor(fl_parquet_reader *pr, bool dicts, fl_batch *out, uint32_t *flat_batches) {
  fl_parquet_rg_cursor *cur;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_rg_cursor_open(pr, 0, &grow_schema, &cur, &err), FL_OK, "%s", err.msg);
  if (dicts) fl_parquet_rg_cursor_keep_dicts(cur);
  uint32_t dict_batches = 0;
  *flat_batches = 0;
  for (;;) {
    const fl_batch *b;
    uint64_t first_row;
    cr_assert_eq(fl_parquet_rg_cursor_next(cur, &b, &first_row, &err), FL_OK, "%s", err.msg);
    if (!b) break;
    const fl_vec *v = &b->cols[0];
    cr_assert(!b->cols[1].dict, "a BIGINT column is never a dictionary");
    if (v->dict) {
      dict_batches++;
      cr_assert_eq(fl_vec_null_count(v->dict), 0);
      for (uint32_t r = 0; r < b->nrows; r++) cr_assert(v->codes[r] < v->dict->len, "row %u", r);
    } else {
      (*flat_batches)++;
    }
    fl_batch_gather(out, b, (const uint32_t[]){0}, 0); /* nothing: the gather of no rows */
    uint32_t *rows = fl_malloc(b->nrows * sizeof *rows);
    for (uint32_t r = 0; r < b->nrows; r++) rows[r] = r;
    fl_batch_gather(out, b, rows, b->nrows); /* flat out of either form */
    fl_free(rows);
  }
  fl_parquet_rg_cursor_free(cur);
  return dict_batches;
}

Test(parquet, dictionary_form_holds_the_strings_of_the_flat_read) {
  const char *path = tmp_path();
  fl_parquet_opts opts;
  fl_parquet_opts_default(&opts);
  opts.page_bytes = 2048;
  opts.dict_bytes_max = 4096;
  fl_parquet_writer *pw;
  write_file(path, &grow_schema, &opts, 7000, fill_dict_nulls, &pw);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  fl_parquet_chunk_info ci;
  cr_assert(fl_parquet_reader_chunk_info(pr, 0, 1, &ci));
  cr_assert(has_encoding(&ci, FL_PQ_ENC_RLE_DICTIONARY) && has_encoding(&ci, FL_PQ_ENC_PLAIN));
  fl_batch *flat = fl_batch_new(grow_fields, 2, 1024), *dict = fl_batch_new(grow_fields, 2, 1024);
  uint32_t flat_batches, mixed_batches;
  cr_assert_eq(read_cursor(pr, false, flat, &flat_batches), 0, "no dictionary unless asked");
  uint32_t dict_batches = read_cursor(pr, true, dict, &mixed_batches);
  cr_assert(dict_batches > 0, "dictionary pages come as codes");
  cr_assert(mixed_batches > 0, "batches reaching PLAIN pages come flat");
  assert_same_rows(flat, 7000, fill_dict_nulls, &grow_schema);
  assert_same_rows(dict, 7000, fill_dict_nulls, &grow_schema);
  /* fl_vec_materialize and fl_batch_get on a dictionary-form vector give the strings too */
  fl_parquet_rg_cursor *cur;
  cr_assert_eq(fl_parquet_rg_cursor_open(pr, 0, &grow_schema, &cur, &err), FL_OK, "%s", err.msg);
  fl_parquet_rg_cursor_keep_dicts(cur);
  const fl_batch *b;
  uint64_t first_row;
  cr_assert_eq(fl_parquet_rg_cursor_next(cur, &b, &first_row, &err), FL_OK, "%s", err.msg);
  cr_assert(b && b->cols[0].dict);
  fl_value v;
  for (uint32_t r = 0; r < b->nrows; r++) {
    fl_value want;
    fl_batch_get(b, 0, r, &v);
    fl_batch_get(flat, 0, r, &want);
    cr_assert(v.is_null == want.is_null && (v.is_null || !fl_value_cmp(&v, &want)), "row %u", r);
  }
  fl_vec *vec = (fl_vec *)&b->cols[0];
  fl_vec_materialize(vec);
  cr_assert(!vec->dict);
  for (uint32_t r = 0; r < b->nrows; r++) {
    fl_value want;
    fl_batch_get(b, 0, r, &v);
    fl_batch_get(flat, 0, r, &want);
    cr_assert(v.is_null == want.is_null && (v.is_null || !fl_value_cmp(&v, &want)), "row %u", r);
  }
  fl_parquet_rg_cursor_free(cur);
  fl_batch_free(flat);
  fl_batch_free(dict);
  fl_parquet_reader_free(pr);
  fl_parquet_writer_free(pw);
}
