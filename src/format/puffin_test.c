/* Tests of the deletion-vector decoder: blobs built here byte by byte after the
 * Iceberg spec ("Deletion Vectors") and the Roaring portable format, with array, run
 * and bitmap containers and two 64-bit keys; every truncation and every byte flip is
 * an error, never a crash; a structure that is wrong under a right CRC is refused
 * with what is wrong. FLOE_WRITE_CORPUS=DIR writes the fuzz seeds. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/mem.h"
#include "format/manifest.h"
#include "format/puffin.h"

typedef struct got {
  uint64_t pos[70000];
  uint32_t n;
} got;

static int collect(void *ctx, uint64_t pos) {
  got *g = ctx;
  if (g->n < 70000) g->pos[g->n] = pos;
  g->n++;
  return 0;
}

/* A 32-bit bitmap of one array container (no run cookie): key, values. */
static void bm_array(fl_buf *b, uint16_t key, const uint16_t *vals, uint32_t n) {
  fl_buf_put_le32(b, 12346);
  fl_buf_put_le32(b, 1);
  fl_buf_put_le16(b, key);
  fl_buf_put_le16(b, (uint16_t)(n - 1));
  fl_buf_put_le32(b, 16); /* offset of the container */
  for (uint32_t i = 0; i < n; i++) fl_buf_put_le16(b, vals[i]);
}

/* One run container [start, start + len) under the run cookie (no offsets: count < 4). */
static void bm_run(fl_buf *b, uint16_t key, uint16_t start, uint16_t len) {
  fl_buf_put_le32(b, 12347 | (0u << 16));
  fl_buf_put_u8(b, 1); /* container 0 is a run container */
  fl_buf_put_le16(b, key);
  fl_buf_put_le16(b, (uint16_t)(len - 1));
  fl_buf_put_le16(b, 1);
  fl_buf_put_le16(b, start);
  fl_buf_put_le16(b, (uint16_t)(len - 1));
}

/* One bitmap container with bits [0, n) set, n > 4096. */
static void bm_bitmap(fl_buf *b, uint16_t key, uint32_t n) {
  fl_buf_put_le32(b, 12346);
  fl_buf_put_le32(b, 1);
  fl_buf_put_le16(b, key);
  fl_buf_put_le16(b, (uint16_t)(n - 1));
  fl_buf_put_le32(b, 16);
  for (uint32_t w = 0; w < 1024; w++) {
    uint64_t word = 0;
    for (uint32_t bit = 0; bit < 64; bit++)
      if (w * 64 + bit < n) word |= 1ull << bit;
    fl_buf_put_le64(b, word);
  }
}

/* Frames a vector: length, magic, vector, CRC. */
static void frame(const fl_buf *vec, fl_buf *out) {
  static const uint8_t magic[4] = {0xD1, 0xD3, 0x39, 0x64};
  fl_buf_put_be32(out, (uint32_t)vec->len + 4);
  fl_buf_append(out, magic, 4);
  fl_buf_append(out, vec->data, vec->len);
  fl_buf_put_be32(out, (uint32_t)crc32(0L, out->data + 4, (uInt)(vec->len + 4)));
}

static void seed(const char *name, const fl_buf *vec) {
  const char *dir = getenv("FLOE_WRITE_CORPUS");
  if (!dir) return;
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  cr_assert(f);
  fwrite(vec->data, 1, vec->len, f);
  fclose(f);
}

/* Vector: key 0 -> array {0, 5, 7}; key 1 -> run of 10 from 100 in container 3, and a
 * bitmap of 5000 in container 4 of key 1. */
static void sample(fl_buf *vec) {
  fl_buf_put_le64(vec, 2);
  fl_buf_put_le32(vec, 0);
  static const uint16_t vals[] = {0, 5, 7};
  bm_array(vec, 0, vals, 3);
  fl_buf_put_le32(vec, 1);
  /* two containers under the run cookie: 3 (run), 4 (bitmap) */
  fl_buf_put_le32(vec, 12347 | (1u << 16));
  fl_buf_put_u8(vec, 1);
  fl_buf_put_le16(vec, 3);
  fl_buf_put_le16(vec, 9);
  fl_buf_put_le16(vec, 4);
  fl_buf_put_le16(vec, 4999);
  fl_buf_put_le16(vec, 1);
  fl_buf_put_le16(vec, 100);
  fl_buf_put_le16(vec, 9);
  for (uint32_t w = 0; w < 1024; w++) {
    uint64_t word = 0;
    for (uint32_t bit = 0; bit < 64; bit++)
      if (w * 64 + bit < 5000) word |= 1ull << bit;
    fl_buf_put_le64(vec, word);
  }
}

Test(puffin, array_run_and_bitmap_containers_under_two_keys_give_every_position_in_order) {
  fl_buf vec = FL_BUF_INIT, blob = FL_BUF_INIT;
  sample(&vec);
  frame(&vec, &blob);
  seed("sample", &vec);
  static got g;
  g.n = 0;
  fl_err err = {0};
  cr_assert_eq(fl_dv_parse(blob.data, blob.len, "t", UINT64_MAX, collect, &g, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(g.n, 3 + 10 + 5000);
  cr_assert_eq(g.pos[0], 0);
  cr_assert_eq(g.pos[1], 5);
  cr_assert_eq(g.pos[2], 7);
  uint64_t hi = 1ull << 32;
  cr_assert_eq(g.pos[3], hi + 3 * 65536 + 100);
  cr_assert_eq(g.pos[12], hi + 3 * 65536 + 109);
  cr_assert_eq(g.pos[13], hi + 4 * 65536);
  cr_assert_eq(g.pos[13 + 4999], hi + 4 * 65536 + 4999);
  /* a position past the data file's rows is corruption */
  g.n = 0;
  cr_assert_eq(fl_dv_parse(blob.data, blob.len, "t", 6, collect, &g, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, "position 7 past"), "%s", err.msg);
  fl_buf_free(&vec);
  fl_buf_free(&blob);
}

Test(puffin, single_container_kinds_decode_exactly) {
  fl_err err = {0};
  static got g;
  fl_buf vec = FL_BUF_INIT, blob = FL_BUF_INIT;
  fl_buf_put_le64(&vec, 1);
  fl_buf_put_le32(&vec, 0);
  bm_run(&vec, 0, 65530, 6); /* up to 65535, the last value of a container */
  frame(&vec, &blob);
  seed("run", &vec);
  g.n = 0;
  cr_assert_eq(fl_dv_parse(blob.data, blob.len, "t", UINT64_MAX, collect, &g, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(g.n, 6);
  cr_assert_eq(g.pos[5], 65535);
  vec.len = blob.len = 0;
  fl_buf_put_le64(&vec, 1);
  fl_buf_put_le32(&vec, 0);
  bm_bitmap(&vec, 1, 65536);
  frame(&vec, &blob);
  seed("bitmap", &vec);
  g.n = 0;
  cr_assert_eq(fl_dv_parse(blob.data, blob.len, "t", UINT64_MAX, collect, &g, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(g.n, 65536);
  cr_assert_eq(g.pos[0], 65536);
  cr_assert_eq(g.pos[65535], 2 * 65536 - 1);
  /* an empty vector deletes nothing */
  vec.len = blob.len = 0;
  fl_buf_put_le64(&vec, 0);
  frame(&vec, &blob);
  seed("empty", &vec);
  g.n = 0;
  cr_assert_eq(fl_dv_parse(blob.data, blob.len, "t", UINT64_MAX, collect, &g, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(g.n, 0);
  fl_buf_free(&vec);
  fl_buf_free(&blob);
}

Test(puffin, every_truncation_and_byte_flip_is_an_error_not_a_crash) {
  fl_buf vec = FL_BUF_INIT, blob = FL_BUF_INIT;
  sample(&vec);
  frame(&vec, &blob);
  static got g;
  fl_err err = {0};
  for (size_t n = 0; n < blob.len; n++) {
    g.n = 0;
    cr_assert_eq(fl_dv_parse(blob.data, n, "t", UINT64_MAX, collect, &g, &err), FL_ECORRUPT, "prefix %zu", n);
  }
  uint8_t *copy = malloc(blob.len);
  for (size_t i = 0; i < blob.len; i += (i < 200 ? 1 : 97)) {
    memcpy(copy, blob.data, blob.len);
    copy[i] ^= 0x20;
    g.n = 0;
    cr_assert_eq(fl_dv_parse(copy, blob.len, "t", UINT64_MAX, collect, &g, &err), FL_ECORRUPT, "flip %zu", i);
  }
  free(copy);
  fl_buf_free(&vec);
  fl_buf_free(&blob);
}

static void refused(const fl_buf *vec, const char *what) {
  fl_buf blob = FL_BUF_INIT;
  frame(vec, &blob);
  static got g;
  g.n = 0;
  fl_err err = {0};
  cr_assert_eq(fl_dv_parse(blob.data, blob.len, "t", UINT64_MAX, collect, &g, &err), FL_ECORRUPT, "%s", what);
  cr_assert(strstr(err.msg, what), "%s: %s", what, err.msg);
  fl_buf_free(&blob);
}

Test(puffin, wrong_structures_under_a_right_crc_are_refused_with_what_is_wrong) {
  fl_buf vec = FL_BUF_INIT;
  static const uint16_t down[] = {5, 3};
  fl_buf_put_le64(&vec, 1);
  fl_buf_put_le32(&vec, 0);
  bm_array(&vec, 0, down, 2);
  refused(&vec, "not ascending");
  vec.len = 0;
  fl_buf_put_le64(&vec, 2); /* keys 1 then 0 */
  static const uint16_t one[] = {1};
  fl_buf_put_le32(&vec, 1);
  bm_array(&vec, 0, one, 1);
  fl_buf_put_le32(&vec, 0);
  bm_array(&vec, 0, one, 1);
  refused(&vec, "bitmap keys not ascending");
  vec.len = 0;
  fl_buf_put_le64(&vec, 1000000); /* more bitmaps than bytes */
  refused(&vec, "bitmap count");
  vec.len = 0;
  fl_buf_put_le64(&vec, 1);
  fl_buf_put_le32(&vec, 0);
  fl_buf_put_le32(&vec, 999); /* bad cookie */
  refused(&vec, "cookie");
  vec.len = 0;
  fl_buf_put_le64(&vec, 1);
  fl_buf_put_le32(&vec, 0);
  bm_run(&vec, 0, 65530, 7); /* runs past 65535 */
  refused(&vec, "bad run");
  vec.len = 0;
  fl_buf_put_le64(&vec, 0);
  fl_buf_put_u8(&vec, 0); /* trailing byte */
  refused(&vec, "bytes after");
  fl_buf_free(&vec);
}

Test(puffin, a_blob_is_read_from_its_range_of_a_puffin_file) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char path[512];
  snprintf(path, sizeof path, "%s/dv-%d.puffin", base, (int)getpid());
  fl_buf vec = FL_BUF_INIT, blob = FL_BUF_INIT, file = FL_BUF_INIT;
  static const uint16_t vals[] = {1, 2};
  fl_buf_put_le64(&vec, 1);
  fl_buf_put_le32(&vec, 0);
  bm_array(&vec, 0, vals, 2);
  frame(&vec, &blob);
  fl_buf_append(&file, "PFA1", 4);
  size_t off = file.len;
  fl_buf_append(&file, blob.data, blob.len);
  fl_buf_append(&file, "PFA1{}\x02\x00\x00\x00\x00\x00\x00\x00PFA1", 18);
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, file.data, file.len), (ssize_t)file.len);
  close(fd);
  static got g;
  g.n = 0;
  fl_err err = {0};
  cr_assert_eq(fl_dv_read(path, (int64_t)off, (int64_t)blob.len, 10, collect, &g, &err), FL_OK, "%s",
               err.msg);
  cr_assert_eq(g.n, 2);
  cr_assert_eq(g.pos[1], 2);
  cr_assert_eq(fl_dv_read(path, (int64_t)off, (int64_t)file.len, 10, collect, &g, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, "outside"), "%s", err.msg);
  cr_assert_eq(fl_dv_read(path, (int64_t)off + 1, (int64_t)blob.len, 10, collect, &g, &err), FL_ECORRUPT);
  unlink(path);
  fl_buf_free(&vec);
  fl_buf_free(&blob);
  fl_buf_free(&file);
}

/* tests/fuzz/corpus/manifest/<name> in the source tree (found from this file's path):
 * manifests written by tests/interop/ideletes/iceberg_write.mjs, not by floe. */
static void corpus_path(const char *name, char *out, size_t n) {
  const char *src = __FILE__;
  const char *cut = strstr(src, "src/format/puffin_test.c");
  cr_assert(cut != NULL, "source path %s", src);
  snprintf(out, n, "%.*stests/fuzz/corpus/manifest/%s", (int)(cut - src), src, name);
}

Test(puffin, v3_manifests_give_each_deletion_vector_its_data_file_and_byte_range) {
  char path[1024];
  corpus_path("v3-dv-manifest-rewritten.avro", path, sizeof path);
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_manifest_entry *es;
  uint32_t n;
  fl_err err = {0};
  cr_assert_eq(fl_manifest_read(path, &arena, &es, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 2);
  /* the first DV of data file 1, replaced in this snapshot; the DV of data file 2, kept */
  cr_assert_eq(es[0].status, FL_ENTRY_DELETED);
  cr_assert_eq(es[1].status, FL_ENTRY_EXISTING);
  for (uint32_t i = 0; i < 2; i++) {
    cr_assert_eq(es[i].file.content, FL_CONTENT_POSITION_DELETES);
    cr_assert_str_eq(es[i].file.file_format, "PUFFIN");
    cr_assert(strstr(es[i].file.referenced_data_file, i ? "00002-data.parquet" : "00001-data.parquet"), "%s",
              es[i].file.referenced_data_file);
  }
  cr_assert_eq(es[0].file.content_offset, 4);         /* right after the PFA1 magic */
  cr_assert_eq(es[0].file.content_size_in_bytes, 39); /* one run container */
  cr_assert_eq(es[1].file.content_offset, 43);
  cr_assert_eq(es[1].file.content_size_in_bytes, 8232); /* one bitmap container */
  cr_assert_eq(es[1].file.record_count, 5000);
  cr_assert_eq(es[1].sequence_number, 2); /* carried explicitly */
  fl_manifest_file *mfs;
  corpus_path("v3-manifest-list.avro", path, sizeof path);
  cr_assert_eq(fl_manifest_list_read(path, &arena, &mfs, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 4); /* new data and DV manifests, the first data manifest, the rewritten DVs */
  corpus_path("eq-delete-manifest.avro", path, sizeof path);
  cr_assert_eq(fl_manifest_read(path, &arena, &es, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 2); /* an equality delete file and a position delete file */
  cr_assert_eq(es[0].file.content, FL_CONTENT_EQUALITY_DELETES);
  cr_assert_eq(es[0].file.nequality_ids, 1);
  cr_assert_eq(es[0].file.equality_ids[0], 1);
  cr_assert_eq(es[0].file.content_offset, -1);
  cr_assert_eq(es[1].file.content, FL_CONTENT_POSITION_DELETES);
  cr_assert_eq(es[1].sequence_number, -1); /* ADDED: inherits */
  fl_arena_destroy(&arena);
}
