/* parquet_index_test: the page index (Parquet PageIndex.md) floe's writer emits and
 * its reader uses: ColumnIndex + OffsetIndex read back page by page (locations, first
 * rows, bounds, null pages and counts, truncated string bounds), a cursor restricted
 * to row ranges returning exactly those rows while decoding only their pages, a file
 * without a page index read the same way, and every byte flip of the index region an
 * error naming the file or a correct read, never a crash. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/batch.h"
#include "core/limits.h"
#include "core/mem.h"
#include "format/parquet.h"

#define NROWS 70000u
#define LONG_LEN 100

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "s", {FL_T_STRING, 0, 0}, false}, /* null in rows [20000, 40000): a null page */
    {3, "d", {FL_T_DOUBLE, 0, 0}, false},
    {4, "long", {FL_T_STRING, 0, 0}, false}, /* 100-byte values: bounds cut to 64 bytes */
};
static fl_schema schema = {0, 4, fields, 0, NULL};

static int long_value(uint64_t r, char *buf) {
  memset(buf, 'x', LONG_LEN);
  char tail[16];
  snprintf(tail, sizeof tail, "%06llu", (unsigned long long)r);
  memcpy(buf + LONG_LEN - 6, tail, 6);
  return LONG_LEN;
}

static void fill(fl_batch *b, uint64_t first, uint32_t n) {
  char buf[128];
  for (uint32_t k = 0; k < n; k++) {
    uint64_t r = first + k;
    fl_vec_append_i64(&b->cols[0], (int64_t)r);
    if (r >= 20000 && r < 40000) {
      fl_vec_append_null(&b->cols[1]);
    } else {
      int len = snprintf(buf, sizeof buf, "v%06llu", (unsigned long long)r);
      fl_vec_append_str(&b->cols[1], buf, (uint32_t)len);
    }
    if (r % 5 == 0)
      fl_vec_append_null(&b->cols[2]);
    else
      fl_vec_append_f64(&b->cols[2], (double)r / 4);
    fl_vec_append_str(&b->cols[3], buf, (uint32_t)long_value(r, buf));
  }
  fl_batch_set_rows(b, b->nrows + n);
}

static char path[600];

/* Row i of a equals row j of b (both null, or the same bytes). */
static bool same(const fl_vec *a, uint32_t i, const fl_vec *b, uint32_t j) {
  bool va = fl_vec_is_valid(a, i), vb = fl_vec_is_valid(b, j);
  if (va != vb || !va) return va == vb;
  if (fl_type_is_bytes(a->type.kind)) {
    uint32_t la, lb;
    const char *pa = fl_vec_str(a, i, &la), *pb = fl_vec_str(b, j, &lb);
    return la == lb && !memcmp(pa, pb, la);
  }
  size_t w = fl_type_bytes(a->type);
  return !memcmp((const char *)a->data.raw + i * w, (const char *)b->data.raw + j * w, w);
}

static void write_table(uint32_t page_bytes) {
  const char *base = getenv("FLOE_TEST_TMP");
  snprintf(path, sizeof path, "%s/parquet_index_test.%d.parquet", base && *base ? base : "/tmp",
           (int)getpid());
  unlink(path);
  fl_parquet_opts opts;
  fl_parquet_opts_default(&opts);
  opts.page_rows = 20000;
  if (page_bytes) opts.page_bytes = page_bytes;
  fl_parquet_writer *pw;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_writer_open(path, &schema, &opts, &pw, &err), FL_OK, "%s", err.msg);
  fl_batch *b = fl_batch_new(fields, 4, FL_BATCH_ROWS);
  for (uint64_t r = 0; r < NROWS; r += 1000) {
    fl_batch_reset(b);
    fill(b, r, 1000);
    cr_assert_eq(fl_parquet_writer_write(pw, b, &err), FL_OK, "%s", err.msg);
  }
  fl_batch_free(b);
  cr_assert_eq(fl_parquet_writer_close(pw, NULL, &err), FL_OK, "%s", err.msg);
  fl_parquet_writer_free(pw);
}

static void cleanup(void) {
  if (path[0]) unlink(path);
}

TestSuite(parquet_index, .fini = cleanup);

/* The pages of a column: contiguous in the chunk, first rows ascending from 0. */
static const fl_parquet_page *pages_of(fl_parquet_reader *pr, int32_t id, uint32_t *n) {
  const fl_parquet_page *pages;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_pages(pr, 0, id, &pages, n, &err), FL_OK, "%s", err.msg);
  cr_assert_gt(*n, 0, "field %d has an offset index", id);
  fl_parquet_chunk_info ci;
  cr_assert(fl_parquet_reader_chunk_info(pr, 0, id, &ci));
  cr_assert_eq(pages[0].offset, ci.data_page_offset, "field %d: page 0 at the first data page", id);
  uint64_t start = ci.dictionary_page_offset ? ci.dictionary_page_offset : ci.data_page_offset;
  uint64_t rows = 0;
  for (uint32_t i = 0; i < *n; i++) {
    cr_assert_eq(pages[i].first_row, rows, "field %d page %u", id, i);
    rows += pages[i].rows;
    if (i + 1 < *n) cr_assert_eq(pages[i].offset + pages[i].bytes, pages[i + 1].offset);
  }
  cr_assert_eq(rows, NROWS);
  cr_assert_eq(pages[*n - 1].offset + pages[*n - 1].bytes, start + ci.total_compressed_bytes,
               "field %d: the last page ends the chunk", id);
  return pages;
}

Test(parquet_index, pages_of_20000_rows_with_their_bounds_and_null_counts) {
  write_table(0);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  uint32_t n;
  const fl_parquet_page *p = pages_of(pr, 1, &n);
  cr_assert_eq(n, 4, "70,000 rows in pages of 20,000: %u pages", n);
  for (uint32_t i = 0; i < n; i++) {
    cr_assert_eq(p[i].first_row, 20000u * i);
    cr_assert_eq(p[i].rows, i < 3 ? 20000u : 10000u);
    cr_assert(p[i].has_index && p[i].has_bounds && !p[i].null_page);
    cr_assert(p[i].has_null_count && p[i].null_count == 0);
    cr_assert_eq(p[i].min.u.i64, (int64_t)p[i].first_row);
    cr_assert_eq(p[i].max.u.i64, (int64_t)(p[i].first_row + p[i].rows - 1));
  }
  p = pages_of(pr, 2, &n);
  cr_assert_eq(n, 4);
  cr_assert(p[1].null_page && !p[1].has_bounds && p[1].null_count == 20000, "rows 20000..39999 are null");
  cr_assert(!p[0].null_page && p[0].null_count == 0);
  cr_assert_eq(p[0].min.u.str.len, 7);
  cr_assert(!memcmp(p[0].min.u.str.ptr, "v000000", 7) && !memcmp(p[0].max.u.str.ptr, "v019999", 7));
  cr_assert(!memcmp(p[3].min.u.str.ptr, "v060000", 7) && !memcmp(p[3].max.u.str.ptr, "v069999", 7));
  p = pages_of(pr, 3, &n);
  cr_assert_eq(n, 4);
  cr_assert_eq(p[2].null_count, 4000, "every fifth double is null");
  cr_assert(p[2].min.u.f64 == 40001 / 4.0 && p[2].max.u.f64 == 59999 / 4.0);
  /* 100-byte strings: over 1 MiB a page at 20,000 rows, so byte-limited pages */
  p = pages_of(pr, 4, &n);
  cr_assert_gt(n, 4);
  char buf[128];
  for (uint32_t i = 0; i < n; i++) {
    cr_assert(p[i].has_bounds);
    cr_assert_eq(p[i].min.u.str.len, 64, "a min is cut to 64 bytes");
    cr_assert_eq(p[i].max.u.str.len, 64);
    long_value(p[i].first_row, buf);
    cr_assert(!memcmp(p[i].min.u.str.ptr, buf, 64), "the min is the first value's prefix");
    buf[63]++; /* 'x' + 1: the max's prefix raised, above every value of the page */
    cr_assert(!memcmp(p[i].max.u.str.ptr, buf, 64));
  }
  fl_parquet_reader_free(pr);
}

typedef struct page_count {
  uint64_t read, skipped;
} page_count;

/* Pages of column id the ranges touch (read) and those before the last one touched
 * that they do not (jumped over). */
static page_count expected_pages(fl_parquet_reader *pr, int32_t id, const uint64_t *r, uint32_t nr) {
  uint32_t n;
  const fl_parquet_page *p = pages_of(pr, id, &n);
  page_count pc = {0, 0};
  uint32_t last = 0;
  for (uint32_t i = 0; i < n; i++) {
    bool hit = false;
    for (uint32_t k = 0; k < nr; k++)
      hit |= p[i].first_row < r[2 * k + 1] && r[2 * k] < p[i].first_row + p[i].rows;
    if (hit) pc.read++, last = i + 1;
  }
  pc.skipped = last - pc.read;
  return pc;
}

/* Reads rows through a cursor with ranges; checks every value and returns the rows. */
static uint64_t read_selected(fl_parquet_reader *pr, const uint64_t *r, uint32_t nr, page_count *pc) {
  fl_parquet_rg_cursor *cur;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_rg_cursor_open(pr, 0, &schema, &cur, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_parquet_rg_cursor_select(cur, r, nr, &err), FL_OK, "%s", err.msg);
  uint64_t rows = 0, want = 0;
  uint32_t k = 0;
  fl_batch *exp = fl_batch_new(fields, 4, FL_BATCH_ROWS);
  for (;;) {
    const fl_batch *b;
    uint64_t first;
    cr_assert_eq(fl_parquet_rg_cursor_next(cur, &b, &first, &err), FL_OK, "%s", err.msg);
    if (!b) break;
    while (k < nr && first >= r[2 * k + 1]) k++;
    cr_assert(k < nr && first >= r[2 * k] && first + b->nrows <= r[2 * k + 1],
              "batch at row %llu of %u rows inside one range", (unsigned long long)first, b->nrows);
    fl_batch_reset(exp);
    fill(exp, first, b->nrows);
    for (uint32_t c = 0; c < 4; c++)
      for (uint32_t i = 0; i < b->nrows; i++)
        cr_assert(same(&b->cols[c], i, &exp->cols[c], i), "row %llu column %u",
                  (unsigned long long)(first + i), c);
    rows += b->nrows;
  }
  for (uint32_t i = 0; i < nr; i++) want += r[2 * i + 1] - r[2 * i];
  cr_assert_eq(rows, want);
  fl_parquet_rg_cursor_pages(cur, &pc->read, &pc->skipped);
  fl_batch_free(exp);
  fl_parquet_rg_cursor_free(cur);
  return rows;
}

Test(parquet_index, a_selection_returns_its_rows_and_decodes_only_their_pages) {
  write_table(0);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(path, &pr, &err), FL_OK, "%s", err.msg);
  const uint64_t r[] = {25000, 25010, 41000, 41001, 65000, 70000};
  page_count want = {0, 0};
  for (int32_t id = 1; id <= 4; id++) {
    page_count pc = expected_pages(pr, id, r, 3);
    want.read += pc.read;
    want.skipped += pc.skipped;
  }
  /* id, s, d: pages 1, 2, 3 read, page 0 jumped over; long: its own pages */
  cr_assert_gt(want.skipped, 3);
  page_count got;
  cr_assert_eq(read_selected(pr, r, 3, &got), 5011);
  cr_assert_eq(got.read, want.read, "pages read %llu, want %llu", (unsigned long long)got.read,
               (unsigned long long)want.read);
  cr_assert_eq(got.skipped, want.skipped);
  /* one row in the middle of the last page of every column */
  const uint64_t one[] = {69999, 70000};
  cr_assert_eq(read_selected(pr, one, 1, &got), 1);
  want = (page_count){0, 0};
  for (int32_t id = 1; id <= 4; id++) {
    page_count pc = expected_pages(pr, id, one, 1);
    want.read += pc.read;
    want.skipped += pc.skipped;
  }
  cr_assert_eq(got.read, 4, "one page a column");
  cr_assert_eq(got.skipped, want.skipped);
  fl_parquet_reader_free(pr);
}

static void corpus_path(const char *name, char *out, size_t n) {
  const char *src = __FILE__;
  const char *cut = strstr(src, "src/format/parquet_index_test.c");
  cr_assert(cut != NULL, "source path %s", src);
  snprintf(out, n, "%.*stests/fuzz/corpus/parquet/%s", (int)(cut - src), src, name);
}

/* DuckDB's file has no page index: a selection decodes and drops the rows between. */
Test(parquet_index, a_file_without_a_page_index_reads_the_selected_rows_too) {
  char p[1024];
  corpus_path("duckdb_v1.parquet", p, sizeof p);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open(p, &pr, &err), FL_OK, "%s", err.msg);
  const fl_schema *s = fl_parquet_reader_schema(pr);
  const fl_parquet_page *pages;
  uint32_t n;
  cr_assert_eq(fl_parquet_reader_pages(pr, 0, s->fields[0].id, &pages, &n, &err), FL_OK);
  cr_assert_eq(n, 0);
  uint64_t rows = fl_parquet_reader_row_group_rows(pr, 0);
  cr_assert_gt(rows, 20);
  /* all rows, then rows [5, 9) and [rows - 3, rows): the same values */
  fl_batch *all = fl_batch_new(s->fields, s->nfields, (uint32_t)rows);
  fl_parquet_rg_cursor *cur;
  cr_assert_eq(fl_parquet_rg_cursor_open(pr, 0, s, &cur, &err), FL_OK);
  for (;;) {
    const fl_batch *b;
    uint64_t first;
    cr_assert_eq(fl_parquet_rg_cursor_next(cur, &b, &first, &err), FL_OK, "%s", err.msg);
    if (!b) break;
    fl_batch_append_range(all, b, 0, b->nrows);
  }
  fl_parquet_rg_cursor_free(cur);
  const uint64_t r[] = {5, 9, rows - 3, rows};
  cr_assert_eq(fl_parquet_rg_cursor_open(pr, 0, s, &cur, &err), FL_OK);
  cr_assert_eq(fl_parquet_rg_cursor_select(cur, r, 2, &err), FL_OK);
  uint64_t got = 0;
  for (;;) {
    const fl_batch *b;
    uint64_t first;
    cr_assert_eq(fl_parquet_rg_cursor_next(cur, &b, &first, &err), FL_OK, "%s", err.msg);
    if (!b) break;
    cr_assert(first == 5 || first == rows - 3);
    for (uint32_t c = 0; c < s->nfields; c++)
      for (uint32_t i = 0; i < b->nrows; i++)
        cr_assert(same(&b->cols[c], i, &all->cols[c], (uint32_t)(first + i)), "row %llu column %u",
                  (unsigned long long)(first + i), c);
    got += b->nrows;
  }
  cr_assert_eq(got, 7);
  uint64_t pread, pskip;
  fl_parquet_rg_cursor_pages(cur, &pread, &pskip);
  cr_assert_eq(pskip, 0, "no index, nothing jumped over");
  fl_parquet_rg_cursor_free(cur);
  fl_batch_free(all);
  fl_parquet_reader_free(pr);
}

/* Every byte of the page index flipped: the pages come back or an error names the
 * file; a selected read then returns rows or an error, never a crash. */
Test(parquet_index, every_flip_of_the_index_bytes_is_an_error_naming_the_file_or_a_read) {
  write_table(256 << 10);
  FILE *f = fopen(path, "rb");
  cr_assert(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *bytes = fl_malloc((size_t)len);
  cr_assert_eq(fread(bytes, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  fl_parquet_reader *pr;
  fl_err err = {0};
  cr_assert_eq(fl_parquet_reader_open_mem(bytes, (uint64_t)len, "idx.parquet", &pr, &err), FL_OK);
  /* the index region: from the first ColumnIndex to the footer */
  uint32_t n;
  const fl_parquet_page *p = pages_of(pr, 4, &n);
  uint64_t from = p[n - 1].offset + p[n - 1].bytes; /* the last chunk's end: the index follows */
  fl_parquet_reader_free(pr);
  uint32_t footer = (uint32_t)bytes[len - 8] | (uint32_t)bytes[len - 7] << 8 |
                    (uint32_t)bytes[len - 6] << 16 | (uint32_t)bytes[len - 5] << 24;
  uint64_t to = (uint64_t)len - 8 - footer;
  cr_assert_gt(to, from);
  uint32_t errors = 0;
  const uint64_t r[] = {30000, 30005, 69990, 70000};
  for (uint64_t at = from; at < to; at++) {
    uint8_t keep = bytes[at];
    bytes[at] ^= at % 2 ? 0xFF : 0x01;
    cr_assert_eq(fl_parquet_reader_open_mem(bytes, (uint64_t)len, "idx.parquet", &pr, &err), FL_OK);
    bool bad = false;
    for (int32_t id = 1; id <= 4 && !bad; id++) {
      const fl_parquet_page *pages;
      if (fl_parquet_reader_pages(pr, 0, id, &pages, &n, &err) != FL_OK) {
        cr_assert(strstr(err.msg, "idx.parquet"), "%s", err.msg);
        bad = true;
      }
    }
    fl_parquet_reader_free(pr);
    cr_assert_eq(fl_parquet_reader_open_mem(bytes, (uint64_t)len, "idx.parquet", &pr, &err), FL_OK);
    fl_parquet_rg_cursor *cur;
    cr_assert_eq(fl_parquet_rg_cursor_open(pr, 0, &schema, &cur, &err), FL_OK);
    fl_code rc = fl_parquet_rg_cursor_select(cur, r, 2, &err);
    while (rc == FL_OK) {
      const fl_batch *b;
      uint64_t first;
      rc = fl_parquet_rg_cursor_next(cur, &b, &first, &err);
      if (!b) break;
    }
    if (rc != FL_OK) {
      cr_assert(strstr(err.msg, "idx.parquet"), "%s", err.msg);
      errors++;
    }
    fl_parquet_rg_cursor_free(cur);
    fl_parquet_reader_free(pr);
    bytes[at] = keep;
  }
  cr_assert_gt(errors, 0);
  fl_free(bytes);
}
