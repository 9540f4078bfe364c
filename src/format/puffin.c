/* puffin: deletion-vector-v1 blobs (layout in puffin.h). The decoder walks the bytes
 * once through an fl_cursor, checks every length against what is left before reading,
 * and hands positions to the caller in ascending order; it allocates nothing.
 *
 * 32-bit Roaring, portable format (RoaringFormatSpec), per bitmap:
 *   cookie u32 LE   12346: no run containers, then the container count u32
 *                   12347 in the low 16 bits: run containers possible, count - 1 in
 *                   the high 16, then (count + 7) / 8 bytes of run flags
 *   count x (key u16, cardinality - 1 u16), keys strictly ascending
 *   count x offset u32, present unless (cookie 12347 and count < 4); not needed when
 *   reading in order, skipped
 *   containers: run (u16 runs, then runs x (start u16, length - 1 u16)),
 *               array (cardinality <= 4096: u16 values strictly ascending),
 *               bitmap (1024 x u64 LE)
 * Entry points: fl_dv_parse (memory, the fuzz target's), fl_dv_read (a file range). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "format/puffin.h"

enum {
  ROARING_COOKIE_NO_RUN = 12346,
  ROARING_COOKIE_RUN = 12347,
  ROARING_NO_OFFSET_THRESHOLD = 4,
  ROARING_ARRAY_MAX = 4096,
  ROARING_CONTAINERS_MAX = 65536,
};

static const uint8_t DV_MAGIC[4] = {0xD1, 0xD3, 0x39, 0x64};
static const uint8_t PUFFIN_MAGIC[4] = {'P', 'F', 'A', '1'};

typedef struct dv_walk {
  const uint8_t *base;
  const char *name;
  uint64_t max_pos;
  fl_dv_fn fn;
  void *ctx;
  fl_err *err;
} dv_walk;

static fl_code corrupt(const dv_walk *w, const uint8_t *at, const char *what) {
  return fl_err_set(w->err, FL_ECORRUPT, "%s: deletion vector at byte %zu: %s", w->name,
                    (size_t)(at - w->base), what);
}

static fl_code emit(const dv_walk *w, const uint8_t *at, uint64_t pos) {
  if (pos >= w->max_pos) {
    char msg[96];
    snprintf(msg, sizeof msg, "position %" PRIu64 " past the data file's %" PRIu64 " rows", pos, w->max_pos);
    return corrupt(w, at, msg);
  }
  int rc = w->fn(w->ctx, pos);
  return (fl_code)rc;
}

static bool take(const uint8_t **p, const uint8_t *end, size_t n, const uint8_t **out) {
  if ((size_t)(end - *p) < n) return false;
  *out = *p;
  *p += n;
  return true;
}

/* One 32-bit Roaring bitmap at *p (advanced past it); high = the 64-bit key. */
static fl_code walk32(const dv_walk *w, const uint8_t **p, const uint8_t *end, uint64_t high) {
  const uint8_t *q = NULL;
  const uint8_t *start = *p;
  if (!take(p, end, 4, &q)) return corrupt(w, start, "truncated Roaring cookie");
  uint32_t cookie = fl_le32(q);
  uint32_t count;
  const uint8_t *run_flags = NULL;
  bool has_offsets;
  if ((cookie & 0xFFFF) == ROARING_COOKIE_RUN) {
    count = (cookie >> 16) + 1;
    if (!take(p, end, (count + 7) / 8, &run_flags)) return corrupt(w, *p, "truncated run flags");
    has_offsets = count >= ROARING_NO_OFFSET_THRESHOLD;
  } else if (cookie == ROARING_COOKIE_NO_RUN) {
    if (!take(p, end, 4, &q)) return corrupt(w, *p, "truncated container count");
    count = fl_le32(q);
    has_offsets = true;
  } else {
    return corrupt(w, start, "not a portable Roaring bitmap (bad cookie)");
  }
  if (count > ROARING_CONTAINERS_MAX || (size_t)(end - *p) / 4 < count)
    return corrupt(w, *p, "container count larger than the bytes left");
  const uint8_t *headers = NULL;
  take(p, end, (size_t)count * 4, &headers);
  if (has_offsets && !take(p, end, (size_t)count * 4, &q)) return corrupt(w, *p, "truncated offsets");
  int32_t prev_key = -1;
  for (uint32_t c = 0; c < count; c++) {
    uint16_t key = fl_le16(headers + 4 * c);
    uint32_t card = (uint32_t)fl_le16(headers + 4 * c + 2) + 1;
    if ((int32_t)key <= prev_key) return corrupt(w, headers + 4 * c, "container keys not ascending");
    prev_key = key;
    uint64_t hi = (high << 32) | ((uint64_t)key << 16);
    const uint8_t *at = *p;
    fl_code rc = FL_OK;
    if (run_flags && (run_flags[c / 8] >> (c % 8)) & 1) {
      if (!take(p, end, 2, &q)) return corrupt(w, at, "truncated run container");
      uint32_t nruns = fl_le16(q);
      const uint8_t *runs;
      if (!take(p, end, (size_t)nruns * 4, &runs)) return corrupt(w, at, "truncated runs");
      int64_t next_min = 0; /* runs ascending and not touching */
      uint64_t total = 0;
      for (uint32_t r = 0; r < nruns && !rc; r++) {
        uint32_t s = fl_le16(runs + 4 * r), len = fl_le16(runs + 4 * r + 2);
        if ((int64_t)s < next_min || s + len > 0xFFFF) return corrupt(w, runs + 4 * r, "bad run");
        next_min = (int64_t)s + len + 1;
        total += len + 1;
        for (uint32_t v = s; v <= s + len && !rc; v++) rc = emit(w, runs + 4 * r, hi | v);
      }
      if (!rc && total != card) return corrupt(w, at, "run container cardinality disagrees with its header");
    } else if (card <= ROARING_ARRAY_MAX) {
      const uint8_t *vals;
      if (!take(p, end, (size_t)card * 2, &vals)) return corrupt(w, at, "truncated array container");
      int32_t prev = -1;
      for (uint32_t i = 0; i < card && !rc; i++) {
        uint16_t v = fl_le16(vals + 2 * i);
        if ((int32_t)v <= prev) return corrupt(w, vals + 2 * i, "array container values not ascending");
        prev = v;
        rc = emit(w, vals + 2 * i, hi | v);
      }
    } else {
      const uint8_t *words;
      if (!take(p, end, 8192, &words)) return corrupt(w, at, "truncated bitmap container");
      uint32_t seen = 0;
      for (uint32_t i = 0; i < 1024 && !rc; i++) {
        uint64_t word = fl_le64(words + 8 * i);
        seen += (uint32_t)__builtin_popcountll(word);
        while (word && !rc) {
          unsigned bit = (unsigned)__builtin_ctzll(word);
          word &= word - 1;
          rc = emit(w, words + 8 * i, hi | (i * 64 + bit));
        }
      }
      if (!rc && seen != card)
        return corrupt(w, at, "bitmap container cardinality disagrees with its header");
    }
    if (rc) return rc;
  }
  return FL_OK;
}

fl_code fl_dv_parse(const uint8_t *blob, size_t len, const char *name, uint64_t max_pos, fl_dv_fn fn,
                    void *ctx, fl_err *err) {
  dv_walk w = {blob, name, max_pos, fn, ctx, err};
  if (len < 4 + 4 + 8 + 4) return corrupt(&w, blob, "blob shorter than its framing");
  uint32_t n = fl_be32(blob);
  if ((size_t)n + 8 != len) return corrupt(&w, blob, "length field disagrees with the blob size");
  if (memcmp(blob + 4, DV_MAGIC, 4))
    return corrupt(&w, blob + 4, "not a deletion-vector-v1 blob (bad magic)");
  uint32_t crc = (uint32_t)crc32(0L, blob + 4, (uInt)n);
  if (crc != fl_be32(blob + 4 + n)) return corrupt(&w, blob + 4 + n, "CRC mismatch");
  const uint8_t *p = blob + 8, *end = blob + 4 + n, *q = NULL;
  take(&p, end, 8, &q);
  uint64_t nmaps = fl_le64(q);
  if (nmaps > (uint64_t)(end - p) / 8) return corrupt(&w, q, "bitmap count larger than the bytes left");
  int64_t prev = -1;
  for (uint64_t i = 0; i < nmaps; i++) {
    if (!take(&p, end, 4, &q)) return corrupt(&w, p, "truncated bitmap key");
    uint32_t key = fl_le32(q);
    if ((int64_t)key <= prev) return corrupt(&w, q, "bitmap keys not ascending");
    prev = key;
    fl_code rc = walk32(&w, &p, end, key);
    if (rc) return rc;
  }
  if (p != end) return corrupt(&w, p, "bytes after the last bitmap");
  return FL_OK;
}

fl_code fl_dv_read(const char *path, int64_t offset, int64_t size, uint64_t max_pos, fl_dv_fn fn, void *ctx,
                   fl_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fl_err_set(err, FL_EIO, "%s: %s", path, strerror(errno));
  fl_code rc = FL_OK;
  uint8_t *blob = NULL;
  struct stat st;
  uint8_t head[4], tail[4];
  if (fstat(fd, &st)) {
    rc = fl_err_set(err, FL_EIO, "%s: %s", path, strerror(errno));
    goto done;
  }
  if (st.st_size < 8 || pread(fd, head, 4, 0) != 4 || pread(fd, tail, 4, st.st_size - 4) != 4 ||
      memcmp(head, PUFFIN_MAGIC, 4) || memcmp(tail, PUFFIN_MAGIC, 4)) {
    rc = fl_err_set(err, FL_ECORRUPT, "%s: not a Puffin file (no PFA1 magic at both ends)", path);
    goto done;
  }
  if (offset < 4 || size < 0 || size > (int64_t)FL_DV_BLOB_MAX || offset > st.st_size - 4 - size) {
    rc = fl_err_set(err, FL_ECORRUPT,
                    "%s: deletion vector range [%" PRId64 ", +%" PRId64 ") outside the blobs of a %" PRId64
                    "-byte Puffin file (or over %u bytes)",
                    path, offset, size, (int64_t)st.st_size, (unsigned)FL_DV_BLOB_MAX);
    goto done;
  }
  blob = fl_malloc((size_t)size + 1);
  if (pread(fd, blob, (size_t)size, offset) != size) {
    rc = fl_err_set(err, FL_EIO, "%s: short read of a deletion vector", path);
    goto done;
  }
  rc = fl_dv_parse(blob, (size_t)size, path, max_pos, fn, ctx, err);
done:
  fl_free(blob);
  close(fd);
  return rc;
}
