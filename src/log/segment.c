/* segment: record batches and segment files of the event log (layout: log_wire.h).
 *
 * What: the sparse index
 * (offset -> file position, one entry per index_interval bytes, kept in memory and
 * rebuilt on open: no .idx file, so there is nothing to keep consistent on a crash),
 * and a read window (rbuf) that reads files in 1 MiB chunks. Scanning a whole
 * segment (recovery on open, lazy indexing of old segments) is verify.c's walk.
 *
 * Ownership: a segment's index array belongs to the segment (freed by log.c); the
 * rbuf owns its buffer, the caller owns the fd. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "log/log_int.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "log_wire.h getters assume little-endian");

enum { RBUF_CHUNK = 1 << 20 };

void rbuf_init(rbuf *rb, int fd) { *rb = (rbuf){.fd = fd}; }

void rbuf_free(rbuf *rb) {
  fl_free(rb->buf);
  *rb = (rbuf){.fd = -1};
}

int rbuf_get(rbuf *rb, uint64_t pos, size_t n, uint64_t limit, const unsigned char **out) {
  if (pos > limit || n > limit - pos) return 0;
  if (pos >= rb->win_pos && pos + n <= rb->win_pos + rb->win_len) {
    *out = rb->buf + (pos - rb->win_pos);
    return 1;
  }
  size_t want = n > RBUF_CHUNK ? n : RBUF_CHUNK;
  if (want > limit - pos) want = (size_t)(limit - pos);
  if (want > rb->cap) {
    unsigned char *nb = fl_realloc_try(rb->buf, want);
    if (!nb) {
      errno = ENOMEM;
      return -1;
    }
    rb->buf = nb;
    rb->cap = want;
  }
  rb->win_pos = pos;
  rb->win_len = 0;
  while (rb->win_len < want) {
    ssize_t got = pread(rb->fd, rb->buf + rb->win_len, want - rb->win_len, (off_t)(pos + rb->win_len));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == 0) break;
    rb->win_len += (size_t)got;
  }
  if (rb->win_len < n) return 0;
  *out = rb->buf;
  return 1;
}

void fl_log_segment_index_add(segment *seg, uint64_t offset, uint64_t pos, uint32_t interval) {
  if (seg->nidx && pos < seg->idx[seg->nidx - 1].pos + interval) return;
  if (seg->nidx == seg->idx_cap) {
    seg->idx_cap = seg->idx_cap ? seg->idx_cap * 2 : 16;
    seg->idx = fl_realloc(seg->idx, seg->idx_cap * sizeof *seg->idx);
  }
  seg->idx[seg->nidx++] = (idx_entry){offset, pos};
}

uint64_t fl_log_segment_index_lookup(const segment *seg, uint64_t offset) {
  uint32_t lo = 0, hi = seg->nidx; /* find the last entry with entry.offset <= offset */
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (seg->idx[mid].offset <= offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo ? seg->idx[lo - 1].pos : 0;
}

char *fl_log_segment_path(const log_partition *part, uint64_t base) {
  return fl_sprintf("%s/%020" PRIu64 FL_LOG_SEGMENT_SUFFIX, part->dir, base);
}
