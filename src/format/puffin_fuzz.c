/* puffin_fuzz: libFuzzer target over the deletion-vector decoder (fl_dv_parse). The
 * input is used twice: as a whole blob (framing, magic and CRC checked as read), and as
 * the vector alone, framed here with the right length, magic and CRC, so mutations
 * reach the Roaring decoder instead of stopping at the CRC.
 * Invariant: any input gives FL_OK with positions strictly ascending and below
 * max_pos, or an error with a message; never a crash, a leak or unbounded memory.
 * Seeds: tests/fuzz/corpus/puffin/ (vectors of array, run and bitmap containers, written
 * by FLOE_WRITE_CORPUS=tests/fuzz/corpus/puffin build/tests/puffin_test). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "format/puffin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct walk {
  int64_t last;
  uint64_t n;
} walk;

static int check(void *ctx, uint64_t pos) {
  walk *w = ctx;
  FL_ASSERT((int64_t)pos > w->last, "position %llu after %lld", (unsigned long long)pos, (long long)w->last);
  FL_ASSERT(pos < (1ull << 40));
  w->last = (int64_t)pos;
  w->n++;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fl_err err;
  walk w = {-1, 0};
  if (fl_dv_parse(data, size, "fuzz", 1ull << 40, check, &w, &err) != FL_OK) FL_ASSERT(err.msg[0] != '\0');
  fl_buf b = FL_BUF_INIT;
  fl_buf_put_be32(&b, (uint32_t)(size + 4));
  static const uint8_t magic[4] = {0xD1, 0xD3, 0x39, 0x64};
  fl_buf_append(&b, magic, 4);
  fl_buf_append(&b, data, size);
  fl_buf_put_be32(&b, (uint32_t)crc32(0L, b.data + 4, (uInt)(size + 4)));
  w = (walk){-1, 0};
  if (fl_dv_parse(b.data, b.len, "fuzz", 1ull << 40, check, &w, &err) != FL_OK) FL_ASSERT(err.msg[0] != '\0');
  fl_buf_free(&b);
  return 0;
}
