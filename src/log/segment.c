/* segment: record batches and segment files of the event log (layout: log_wire.h).
 *
 * What: checking a batch (header, then CRC + record framing), scanning a whole
 * segment file (recovery on open, lazy indexing of old segments), the sparse index
 * (offset -> file position, one entry per index_interval bytes, kept in memory and
 * rebuilt on open: no .idx file, so there is nothing to keep consistent on a crash),
 * and a read window (rbuf) that reads files in 1 MiB chunks.
 *
 * Ownership: a segment's index array belongs to the segment (freed by log.c); the
 * rbuf owns its buffer, the caller owns the fd. Checking functions never trust a
 * length before bounding it: the fuzz target (segment_fuzz.c) feeds arbitrary files. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/crc32c.h"
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

fl_code fl_log_segment_scan(int fd, const char *path, uint64_t limit, uint32_t index_interval, segment *seg,
                            const char **bad_reason, fl_err *err) {
  fl_code rc = FL_OK;
  rbuf rb;
  rbuf_init(&rb, fd);
  log_scratch sc = {0};
  uint64_t pos = 0, expect = seg->base;
  seg->nidx = 0;
  seg->first_append_ms = 0;
  *bad_reason = NULL;
  for (;;) {
    const unsigned char *hdr, *payload;
    if (pos == limit) break;
    int got = rbuf_get(&rb, pos, FL_LOG_BATCH_HEADER_BYTES, limit, &hdr);
    if (got < 0) {
      rc = fl_err_errno(err, errno, "%s: read at byte %" PRIu64, path, pos);
      goto done;
    }
    if (!got) {
      *bad_reason = "truncated batch header";
      break;
    }
    const char *why = fl_log_batch_header_check(hdr, expect);
    if (why) {
      *bad_reason = why;
      break;
    }
    unsigned char h[FL_LOG_BATCH_HEADER_BYTES];
    memcpy(h, hdr, sizeof h); /* the window may move when the payload is fetched */
    uint32_t len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN);
    got = rbuf_get(&rb, pos + FL_LOG_BATCH_HEADER_BYTES, len, limit, &payload);
    if (got < 0) {
      rc = fl_err_errno(err, errno, "%s: read at byte %" PRIu64, path, pos);
      goto done;
    }
    if (!got) {
      *bad_reason = "truncated batch payload";
      break;
    }
    if ((why = fl_log_batch_body_decode(h, payload, &sc, NULL))) {
      *bad_reason = why;
      break;
    }
    fl_log_segment_index_add(seg, expect, pos, index_interval);
    int64_t t = (int64_t)fl_log_get64(h + FL_LOG_OFF_TIME);
    if (!seg->first_append_ms) seg->first_append_ms = t;
    seg->last_append_ms = t;
    expect += fl_log_get32(h + FL_LOG_OFF_COUNT);
    pos += FL_LOG_BATCH_HEADER_BYTES + (uint64_t)len;
  }
  seg->end_offset = expect;
  seg->bytes = pos;
  seg->indexed = true;
done:
  rbuf_free(&rb);
  fl_log_scratch_free(&sc);
  return rc;
}
