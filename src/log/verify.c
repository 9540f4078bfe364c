/* verify: damage in segment files is never silent and never spreads.
 *
 * What: the walk of a segment file that goes on past a damaged range (resync: the
 * next position where a complete, CRC-valid batch with a base offset at or above the
 * expected one starts), partition recovery at open (names, order and contiguity of
 * the segment files, a header walk of sealed segments, a full walk of the last one),
 * `fl_log_verify` (every batch of every segment, for `floe log --verify`), the copy
 * of damaged bytes aside, and the stream's own metadata file (stream.json).
 *
 * Recovery of a partition's last segment (writer open), per bad batch at byte P:
 *
 *     walk batch at pos ──valid──> next batch ──...──> end of file: done
 *          │ invalid (short, bad magic/CRC/framing, offset out of sequence)
 *          v
 *     resync from P+1: a valid batch at Q with base B >= expected offset E?
 *          ├─ yes ─> damaged range [P, Q), offsets [E, B) lost: fl_warn, metric,
 *          │         copy [P, Q) to <segment>.damaged-<P>, keep the bytes in place,
 *          │         index entry {B, Q}; go on at Q (later batches are kept)
 *          └─ no ──> torn tail [P, size): the last write did not complete. Copy it to
 *                    <segment>.damaged-<P>, then ftruncate to P + fdatasync.
 *
 * A crash anywhere in this sequence is safe to repeat: the copy is written to a
 * temporary name, fdatasynced and renamed (an existing copy is kept), and only then is
 * a torn tail cut; the damaged range in the middle stays in the file, so the next open
 * finds and reports it again. New appends continue after the last valid batch; the
 * offsets of a damaged range are never reused (they stay a hole that readers report,
 * or skip when told to with fl_log_reader_skip_damaged).
 *
 * Sealed segments (all but the last) were fdatasynced before the next one was
 * created, so their size is kept; their batch headers are walked at open (payloads
 * unread: a flipped payload byte is found by readers and --verify, which check CRCs).
 * Segment files must follow each other: each base equals the previous one's end.
 * An overlap (a stray or misnamed file inside another's offsets) fails the open
 * (FL_ECORRUPT naming both files): which one is right is the operator's call. A gap
 * (a missing segment) is a damaged range: reported, readers stop there or skip it.
 *
 * Ownership: the walk fills the caller's segment (its index array is the segment's);
 * damage records point into the caller's strings and live for the callback only.
 * Entry points: fl_log_segment_walk, fl_log_resync, fl_log_partition_recover,
 * fl_log_verify, fl_log_damage_copy_aside, fl_log_stream_meta_read/write. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/fsync.h"
#include "core/mem.h"
#include "log/log_int.h"

/* A header walk reads each header with its own pread when batches are at least this
 * big (reading the payloads between would cost more than the syscalls), else through
 * the 1 MiB read window. Copies and resync scans go 1 MiB at a time (the read window's
 * size). stream.json is one short line floe writes itself: 4 KiB bounds a read of a
 * file someone replaced. */
enum { WALK_SPARSE_BYTES = 64 << 10, COPY_CHUNK = 1 << 20, RESYNC_CHUNK = 1 << 20, META_MAX = 4096 };

/* Reads the 40 header bytes at pos into h: 1 ok, 0 past limit, -1 read error. */
static int header_get(rbuf *rb, uint64_t pos, uint64_t limit, bool sparse, unsigned char *h) {
  if (pos > limit || FL_LOG_BATCH_HEADER_BYTES > limit - pos) return 0;
  if (sparse) {
    size_t got = 0;
    while (got < FL_LOG_BATCH_HEADER_BYTES) {
      ssize_t r = pread(rb->fd, h + got, FL_LOG_BATCH_HEADER_BYTES - got, (off_t)(pos + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return -1;
      if (r == 0) return 0;
      got += (size_t)r;
    }
    return 1;
  }
  const unsigned char *p;
  int got = rbuf_get(rb, pos, FL_LOG_BATCH_HEADER_BYTES, limit, &p);
  if (got == 1) memcpy(h, p, FL_LOG_BATCH_HEADER_BYTES);
  return got;
}

/* Checks the batch at pos with base `expect`: 1 valid, 0 invalid (*why), -1 read error. */
static int batch_check(rbuf *rb, uint64_t pos, uint64_t limit, uint64_t expect, bool full, bool sparse,
                       unsigned char *h, const char **why) {
  int got = header_get(rb, pos, limit, sparse, h);
  if (got <= 0) {
    *why = "truncated batch header";
    return got;
  }
  if ((*why = fl_log_batch_header_check(h, expect))) return 0;
  uint32_t len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN);
  if (len > limit - pos - FL_LOG_BATCH_HEADER_BYTES) {
    *why = "truncated batch payload";
    return 0;
  }
  if (!full) return 1;
  const unsigned char *payload;
  got = rbuf_get(rb, pos + FL_LOG_BATCH_HEADER_BYTES, len, limit, &payload);
  if (got < 0) return -1;
  if (!got) {
    *why = "truncated batch payload";
    return 0;
  }
  return (*why = fl_log_batch_body_check(h, payload)) ? 0 : 1;
}

int fl_log_resync(rbuf *rb, uint64_t pos, uint64_t limit, uint64_t min_base, uint64_t *q, uint64_t *base) {
  const unsigned char magic[4] = {(unsigned char)FL_LOG_BATCH_MAGIC, (unsigned char)(FL_LOG_BATCH_MAGIC >> 8),
                                  (unsigned char)(FL_LOG_BATCH_MAGIC >> 16),
                                  (unsigned char)(FL_LOG_BATCH_MAGIC >> 24)};
  while (pos <= limit && limit - pos >= FL_LOG_BATCH_HEADER_BYTES) {
    size_t n = limit - pos < RESYNC_CHUNK ? (size_t)(limit - pos) : RESYNC_CHUNK;
    const unsigned char *w;
    int got = rbuf_get(rb, pos, n, limit, &w);
    if (got <= 0) return got;
    uint64_t cand = UINT64_MAX;
    for (size_t i = 0; i + 4 <= n; i++) {
      const unsigned char *m = memchr(w + i, magic[0], n - 3 - i);
      if (!m) break;
      i = (size_t)(m - w);
      if (!memcmp(m, magic, 4)) {
        cand = pos + i;
        break;
      }
    }
    if (cand == UINT64_MAX) {
      pos += n - 3; /* a magic may straddle the chunk end */
      continue;
    }
    unsigned char h[FL_LOG_BATCH_HEADER_BYTES];
    const char *why;
    got = header_get(rb, cand, limit, false, h);
    if (got < 0) return -1;
    uint64_t b = got ? fl_log_get64(h + FL_LOG_OFF_BASE) : 0;
    if (got && b >= min_base) {
      got = batch_check(rb, cand, limit, b, true, false, h, &why);
      if (got < 0) return -1;
      if (got) {
        *q = cand;
        *base = b;
        return 1;
      }
    }
    pos = cand + 1;
  }
  return 0;
}

static void index_force(segment *seg, uint64_t offset, uint64_t pos) {
  if (seg->nidx == seg->idx_cap) {
    seg->idx_cap = seg->idx_cap ? seg->idx_cap * 2 : 16;
    seg->idx = fl_realloc(seg->idx, seg->idx_cap * sizeof *seg->idx);
  }
  seg->idx[seg->nidx++] = (idx_entry){offset, pos};
}

fl_code fl_log_segment_walk(int fd, const char *path, uint64_t limit, bool full, uint32_t index_interval,
                            segment *seg, fl_log_damage_fn fn, void *ctx, const char **tail_why,
                            fl_err *err) {
  fl_code rc = FL_OK;
  rbuf rb;
  rbuf_init(&rb, fd);
  uint64_t pos = 0, expect = seg->base, last_len = 0;
  seg->nidx = 0;
  seg->first_append_ms = 0;
  *tail_why = NULL;
  while (pos < limit) {
    unsigned char h[FL_LOG_BATCH_HEADER_BYTES];
    const char *why = NULL;
    int got = batch_check(&rb, pos, limit, expect, full, !full && last_len >= WALK_SPARSE_BYTES, h, &why);
    if (got < 0) {
      rc = fl_err_errno(err, errno, "%s: read at byte %" PRIu64, path, pos);
      goto done;
    }
    if (!got) {
      uint64_t q, b;
      int found = fl_log_resync(&rb, pos + 1, limit, expect, &q, &b);
      if (found < 0) {
        rc = fl_err_errno(err, errno, "%s: read at byte %" PRIu64, path, pos);
        goto done;
      }
      if (!found) {
        *tail_why = why;
        break;
      }
      if (fn) {
        fl_log_damage d = {
            .file = path, .pos = pos, .end_pos = q, .offset = expect, .end_offset = b, .why = why};
        fn(ctx, &d);
      }
      index_force(seg, b, q);
      pos = q;
      expect = b;
      last_len = 0;
      continue;
    }
    uint32_t len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN);
    fl_log_segment_index_add(seg, expect, pos, index_interval);
    int64_t t = (int64_t)fl_log_get64(h + FL_LOG_OFF_TIME);
    if (!seg->first_append_ms) seg->first_append_ms = t;
    seg->last_append_ms = t;
    expect += fl_log_get32(h + FL_LOG_OFF_COUNT);
    pos += FL_LOG_BATCH_HEADER_BYTES + (uint64_t)len;
    last_len = len;
  }
  seg->end_offset = expect;
  seg->bytes = pos;
  seg->indexed = true;
done:
  rbuf_free(&rb);
  return rc;
}

/* ---------- copies aside ---------- */

static fl_code fsync_parent(const char *path, fl_err *err) {
  char *dir = fl_strdup(path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  fl_code rc = FL_OK;
  if (fd < 0 || fl_fsync(fd) != 0) rc = fl_err_errno(err, errno, "%s: fsync directory", slash ? dir : ".");
  if (fd >= 0) close(fd);
  fl_free(dir);
  return rc;
}

fl_code fl_log_damage_copy_aside(int fd, const char *path, uint64_t from, uint64_t to, fl_err *err) {
  fl_code rc = FL_OK;
  char *dst = fl_sprintf("%s.damaged-%" PRIu64, path, from);
  char *tmp = fl_sprintf("%s.tmp", dst);
  unsigned char *buf = NULL;
  int out = -1;
  struct stat st;
  if (stat(dst, &st) == 0) goto done; /* kept by an earlier open */
  out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    rc = fl_err_errno(err, errno, "%s: create", tmp);
    goto done;
  }
  buf = fl_malloc(COPY_CHUNK);
  for (uint64_t pos = from; pos < to;) {
    size_t want = to - pos < COPY_CHUNK ? (size_t)(to - pos) : COPY_CHUNK;
    ssize_t got = pread(fd, buf, want, (off_t)pos);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      rc = got < 0 ? fl_err_errno(err, errno, "%s: read at byte %" PRIu64, path, pos)
                   : fl_err_set(err, FL_EIO, "%s: ends at byte %" PRIu64 " while copying damage", path, pos);
      goto done;
    }
    for (ssize_t w = 0; w < got;) {
      ssize_t r = write(out, buf + w, (size_t)(got - w));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        rc = fl_err_errno(err, errno, "%s: write", tmp);
        goto done;
      }
      w += r;
    }
    pos += (uint64_t)got;
  }
  if (fl_fdatasync(out) != 0) {
    rc = fl_err_errno(err, errno, "%s: fdatasync", tmp);
    goto done;
  }
  close(out);
  out = -1;
  if (rename(tmp, dst) != 0) {
    rc = fl_err_errno(err, errno, "%s: rename to %s", tmp, dst);
    goto done;
  }
  rc = fsync_parent(dst, err);
done:
  if (out >= 0) {
    close(out);
    unlink(tmp);
  }
  fl_free(buf);
  fl_free(tmp);
  fl_free(dst);
  return rc;
}

/* ---------- recovery at open ---------- */

typedef struct damage_sink {
  fl_log_stream *ls;
  uint32_t partition;
  int copy_fd; /* writer, last segment: copy each range aside from this fd */
  fl_code rc;  /* the first copy failure */
  fl_err *err;
} damage_sink;

static void sink_report(void *ctx, const fl_log_damage *d) {
  damage_sink *s = ctx;
  s->ls->ndamaged++;
  fl_warn("log",
          "stream %s partition %u: damaged range in %s: bytes %" PRIu64 "..%" PRIu64 ", offsets %" PRIu64
          "..%" PRIu64 " lost (%s)%s",
          s->ls->name, s->partition, d->file, d->pos, d->end_pos, d->offset, d->end_offset, d->why,
          s->copy_fd >= 0 && d->end_pos > d->pos ? "; bytes copied aside, later batches kept" : "");
  if (s->copy_fd >= 0 && d->end_pos > d->pos && !s->rc)
    s->rc = fl_log_damage_copy_aside(s->copy_fd, d->file, d->pos, d->end_pos, s->err);
}

static segment *seg_push(log_partition *part, uint64_t base) {
  if (part->nsegs == part->segs_cap) {
    part->segs_cap = part->segs_cap ? part->segs_cap * 2 : 8;
    part->segs = fl_realloc(part->segs, part->segs_cap * sizeof *part->segs);
  }
  segment *seg = &part->segs[part->nsegs++];
  *seg = (segment){.base = base, .end_offset = base};
  return seg;
}

fl_code fl_log_partition_recover(fl_log *log, fl_log_stream *ls, log_partition *part, const uint64_t *bases,
                                 size_t n, fl_err *err) {
  fl_code rc = FL_OK;
  bool ro = log->opts.read_only;
  char *path = NULL;
  int fd = -1;
  FL_ASSERT(n >= 1, "stream %s partition %u: no segment to recover", ls->name, part->id);
  for (size_t i = 0; i < n; i++) {
    bool last = i + 1 == n;
    fl_free(path);
    path = fl_log_segment_path(part, bases[i]);
    if (i > 0) {
      const segment *prev = &part->segs[i - 1];
      if (bases[i] < prev->end_offset) {
        char *prev_path = fl_log_segment_path(part, prev->base);
        rc = fl_err_set(err, FL_ECORRUPT,
                        "%s holds offsets %" PRIu64 "..%" PRIu64
                        " but the next segment file %s starts at %" PRIu64
                        ": two files claim the same offsets (a stray or misnamed segment file; move the one "
                        "that does not belong out of the partition directory)",
                        prev_path, prev->base, prev->end_offset, path, bases[i]);
        fl_free(prev_path);
        goto done;
      }
      if (bases[i] > prev->end_offset) {
        damage_sink s = {.ls = ls, .partition = part->id, .copy_fd = -1};
        fl_log_damage d = {
            .file = path,
            .offset = prev->end_offset,
            .end_offset = bases[i],
            .why = "offsets missing between segment files (a missing segment or a stray file)"};
        sink_report(&s, &d);
      }
    }
    segment *seg = seg_push(part, bases[i]);
    fd = open(path, (ro || !last ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
      rc = fl_err_errno(err, errno, "%s: open segment", path);
      goto done;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      rc = fl_err_errno(err, errno, "%s: stat", path);
      goto done;
    }
    uint64_t size = (uint64_t)st.st_size;
    damage_sink s = {.ls = ls, .partition = part->id, .copy_fd = last && !ro ? fd : -1, .err = err};
    const char *tail_why = NULL;
    if ((rc = fl_log_segment_walk(fd, path, size, last, log->opts.index_interval_bytes, seg, sink_report, &s,
                                  &tail_why, err)))
      goto done;
    if ((rc = s.rc)) goto done;
    if (!seg->last_append_ms)
      seg->last_append_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (!last) {
      if (tail_why) { /* left in place: readers meet it and report it */
        s.copy_fd = -1;
        fl_log_damage d = {.file = path,
                           .pos = seg->bytes,
                           .end_pos = size,
                           .offset = seg->end_offset,
                           .end_offset = seg->end_offset,
                           .why = tail_why};
        sink_report(&s, &d);
      }
      seg->bytes = size;
      close(fd);
      fd = -1;
      continue;
    }
    if (tail_why && !ro) {
      fl_warn("log",
              "stream %s partition %u: %s: %s at byte %" PRIu64 " (offset %" PRIu64
              "), no valid batch after "
              "it: a torn tail of %" PRIu64 " bytes, copied to %s.damaged-%" PRIu64 " and truncated",
              ls->name, part->id, path, tail_why, seg->bytes, seg->end_offset, size - seg->bytes, path,
              seg->bytes);
      if ((rc = fl_log_damage_copy_aside(fd, path, seg->bytes, size, err))) goto done;
      if (ftruncate(fd, (off_t)seg->bytes) != 0 || fl_fdatasync(fd) != 0) {
        rc = fl_err_errno(err, errno, "%s: truncate torn tail", path);
        goto done;
      }
    }
    if (!ro) {
      part->fd = fd;
      fd = -1;
      part->write_pos = seg->bytes;
      part->next_offset = seg->end_offset;
    }
  }
done:
  if (fd >= 0) close(fd);
  fl_free(path);
  return rc;
}

/* ---------- verify (read-only) ---------- */

typedef struct verify_sink {
  fl_log_stream *ls;
  uint32_t partition;
  fl_log_damage_fn fn;
  void *ctx;
  uint64_t n;
} verify_sink;

static void verify_report(void *ctx, const fl_log_damage *d) {
  verify_sink *v = ctx;
  fl_log_damage full = *d;
  full.stream = v->ls->name;
  full.partition = v->partition;
  v->n++;
  if (v->fn) v->fn(v->ctx, &full);
}

fl_code fl_log_verify(fl_log_stream *ls, uint32_t partition, fl_log_damage_fn fn, void *ctx,
                      uint64_t *damaged, fl_err *err) {
  if (damaged) *damaged = 0;
  if (partition >= ls->npartitions)
    return fl_err_set(err, FL_EINVAL, "stream %s: partition %u out of range (0..%u)", ls->name, partition,
                      ls->npartitions - 1);
  log_partition *part = &ls->parts[partition];
  verify_sink v = {.ls = ls, .partition = partition, .fn = fn, .ctx = ctx};
  fl_code rc = FL_OK;
  uint64_t prev_end = 0;
  bool have_prev = false;
  for (uint32_t i = 0;; i++) {
    pthread_mutex_lock(&part->mu); /* the array may grow (rolls) or shrink at the front (retention) */
    bool more = i < part->nsegs;
    uint64_t base = more ? part->segs[i].base : 0, limit = more ? part->segs[i].bytes : 0;
    pthread_mutex_unlock(&part->mu);
    if (!more) break;
    char *path = fl_log_segment_path(part, base);
    if (have_prev && base != prev_end) {
      fl_log_damage d = {
          .file = path,
          .offset = prev_end,
          .end_offset = base,
          .why = base > prev_end ? "offsets missing between segment files" : "segment files overlap"};
      verify_report(&v, &d);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && !have_prev) { /* removed by retention meanwhile */
      fl_free(path);
      continue;
    }
    if (fd < 0) {
      rc = fl_err_errno(err, errno, "%s: open segment", path);
      fl_free(path);
      break;
    }
    segment seg = {.base = base, .end_offset = base};
    const char *tail_why = NULL;
    rc = fl_log_segment_walk(fd, path, limit, true, UINT32_MAX, &seg, verify_report, &v, &tail_why, err);
    if (!rc && tail_why) {
      fl_log_damage d = {.file = path,
                         .pos = seg.bytes,
                         .end_pos = limit,
                         .offset = seg.end_offset,
                         .end_offset = seg.end_offset,
                         .why = tail_why};
      verify_report(&v, &d);
    }
    fl_free(seg.idx);
    close(fd);
    fl_free(path);
    if (rc) break;
    prev_end = seg.end_offset;
    have_prev = true;
  }
  if (damaged) *damaged = v.n;
  return rc;
}

uint64_t fl_log_stream_damaged_ranges(const fl_log_stream *ls) { return ls->ndamaged; }

/* ---------- stream.json ---------- */

fl_code fl_log_stream_meta_read(const char *dir, uint32_t *npartitions, bool *found, fl_err *err) {
  char *path = fl_sprintf("%s/stream.json", dir);
  fl_code rc = FL_OK;
  *found = false;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) rc = fl_err_errno(err, errno, "%s: open", path);
    goto done;
  }
  char buf[META_MAX + 1];
  ssize_t got = read(fd, buf, META_MAX);
  int e = errno;
  close(fd);
  if (got < 0) {
    rc = fl_err_errno(err, e, "%s: read", path);
    goto done;
  }
  buf[got] = 0;
  unsigned format = 0, np = 0;
  int used = 0;
  if (sscanf(buf, "{\"format\":%u,\"partitions\":%u}%n", &format, &np, &used) != 2 || used == 0 ||
      strspn(buf + used, "\n") != strlen(buf + used)) {
    rc = fl_err_set(err, FL_ECORRUPT, "%s: expected {\"format\":1,\"partitions\":N}", path);
    goto done;
  }
  if (format != 1) {
    rc = fl_err_set(err, FL_ECORRUPT, "%s: unknown format %u (this floe reads 1)", path, format);
    goto done;
  }
  if (np == 0 || np > 100000) {
    rc = fl_err_set(err, FL_ECORRUPT, "%s: %u partitions is out of range (1..100000)", path, np);
    goto done;
  }
  *npartitions = np;
  *found = true;
done:
  fl_free(path);
  return rc;
}

fl_code fl_log_stream_meta_write(const char *dir, uint32_t npartitions, fl_err *err) {
  char *path = fl_sprintf("%s/stream.json", dir);
  char *tmp = fl_sprintf("%s.tmp", path);
  char *text = fl_sprintf("{\"format\":1,\"partitions\":%u}\n", npartitions);
  fl_code rc = FL_OK;
  size_t len = strlen(text);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    rc = fl_err_errno(err, errno, "%s: create", tmp);
    goto done;
  }
  if (write(fd, text, len) != (ssize_t)len || fl_fdatasync(fd) != 0) {
    rc = fl_err_errno(err, errno, "%s: write", tmp);
    close(fd);
    unlink(tmp);
    goto done;
  }
  close(fd);
  if (rename(tmp, path) != 0) {
    rc = fl_err_errno(err, errno, "%s: rename", tmp);
    unlink(tmp);
    goto done;
  }
  rc = fsync_parent(path, err);
done:
  fl_free(text);
  fl_free(tmp);
  fl_free(path);
  return rc;
}
