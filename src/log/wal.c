/* wal: the event log's write-ahead files, so that a group commit costs ONE fdatasync
 * whatever number of partitions and streams it touches (issue 13; the measurement
 * behind the choice is in README.md).
 *
 * A group commit (log.c, the log thread) writes each touched partition's batches to
 * its active segment file as before, but without syncing it. If it touched one
 * partition only and wrote FL_LOG_WAL_DIRECT_BYTES or more, syncing that segment is
 * its one fdatasync (sync_one_segment: the bytes go to the disk once). Otherwise one
 * frame per
 * partition (stream, partition, segment, position, the same bytes; wal_wire.h) goes
 * to the active write-ahead file with ONE pwritev and ONE fdatasync. Only then are
 * the appends acknowledged and the new ends published to readers: a reader may read
 * segment bytes the disk does not hold yet, because the frame holding them is
 * durable and a restart writes them back (fl_log_wal_open replays every frame before
 * any stream is opened).
 *
 * Two files, DIR/.wal-0 and DIR/.wal-1, take turns. When the active one holds
 * wal_switch_bytes or is FL_LOG_WAL_SWITCH_MS old, and the other one is free, the log
 * thread seals it: it hands the sync thread a dup() of the fd of every partition
 * written in that period and moves to the other file (generation + 1). The sync
 * thread fdatasyncs those segment files, then RECYCLES the sealed file: zeros to
 * grow it if its turn used more than half of it, a new file header (generation + 2,
 * the turn it will hold next; a new salt), one fdatasync: only then is the file free
 * again. So every segment byte not yet synced is covered by a frame in a file that
 * is not free, and the segment syncs are off the commit path.
 *
 * The files are preallocated (written full of zeros, never truncated) and each turn
 * OVERWRITES its file from byte 64 (wal_wire.h): an fdatasync that does not change
 * the file's size writes no inode, which halves it on a journal-less ext4 (README).
 * Older turns' frames stay past the current end; none checks (the header's
 * generation and salt are new), so replay stops at the current turn's end. A roll fdatasyncs the segment it
 * closes (log.c roll_segment), so sealed segments never depend on a frame.
 *
 * States of one file (log->wal->mu guards state and the hand-over):
 *
 *      open: replay frames, sync the segments, fresh header (gen, salt) + zeros in
 *        │   both files (.wal-0: gen G, active; .wal-1: G + 1), fdatasync each
 *        ▼
 *     ┌──────┐  switch (log thread): dup the dirty      ┌────────┐
 *     │ACTIVE│ ─ partitions' fds, generation + 1 ────▶ │ SEALED │
 *     └──────┘                                         └────────┘
 *        ▲                                                 │ sync thread: fdatasync each
 *        │ switch (the other file was sealed;              │ dup'd segment fd, then
 *        │ its header already holds gen + 1)               │ zeros (grow), header gen + 2
 *     ┌──────┐                                             │ + new salt, fdatasync
 *     │ FREE │ ◀───────────────────────────────────────────┘ (on failure: retry in 1 s,
 *     └──────┘                                               the file stays SEALED)
 *
 * Crash points (kill -9 or power cut) and what a restart does:
 *   - during a group's segment writes or its frame write/fsync: the group was not
 *     acknowledged; a torn frame ends its file's replay; segment bytes past the last
 *     frame are kept or truncated by the segment scan like any torn tail.
 *   - after the frame fsync: replay writes the frame's bytes back at their position
 *     (idempotent: the same bytes at the same place).
 *   - during the sync thread's segment syncs, or before its new header is durable:
 *     the sealed file's old header still validates its frames; it is replayed first
 *     (lower generation), then the active one. A torn header (one 512-byte sector
 *     rewritten) fails its CRC: the file holds nothing to replay, which is right, as
 *     its segments were synced before the header was written.
 *   - after the recycle's fdatasync: the file's frames no longer check; only the
 *     active file is replayed, up to its first frame of another generation/salt (a
 *     stale frame of the older turn, zeros, or a torn frame).
 *   - during open's own replay or its header writes: a file whose header is not yet
 *     rewritten still validates its frames; the next open replays them again.
 * A failed frame write or fsync zeroes the frame's header back (and syncs) before the
 * appends fail, so a frame of a failed group is never replayed; if that fails too,
 * the log refuses appends (FL_EIO) until it is reopened.
 *
 * Ownership: log->wal belongs to the fl_log; the file fds and the dirty list are the
 * log thread's, the sealed job's fds the sync thread's. Entry points:
 * fl_log_wal_open, fl_log_wal_commit, fl_log_wal_after_group, fl_log_wal_close. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/diag.h"
#include "core/fsync.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/thread.h"
#include "core/time.h"
#include "log/log_int.h"
#include "log/wal_wire.h"

enum { WAL_FREE, WAL_ACTIVE, WAL_SEALED };
enum { IOV_MAX_WAL = 1024 };

typedef struct wal_file {
  int fd;
  int state;     /* WAL_* (under wal->mu) */
  uint64_t size; /* [lt] the write position while ACTIVE: header + bytes of valid frames */
  uint64_t gen;  /* the generation in its header (set at open and by the sync thread) */
  uint64_t salt; /* the salt in its header */
} wal_file;

struct log_wal {
  wal_file files[FL_LOG_WAL_FILES];
  uint32_t cur;          /* [lt] the ACTIVE file */
  uint64_t gen;          /* [lt] its generation */
  int64_t cur_start_ms;  /* [lt] when it got its first frame */
  uint64_t switch_bytes; /* seal the active file past this size */
  int64_t switch_ms;     /* ... or this age (<0: never) */
  bool broken;           /* [lt] a failed frame could not be taken back: appends fail EIO */
  log_partition **dirty; /* [lt] partitions written since the switch (part->wal_gen == gen) */
  uint32_t ndirty, dirty_cap;
  unsigned char *hdrs; /* [lt] frame headers + names of one group */
  size_t hdrs_cap;
  struct iovec *iov; /* [lt] */
  size_t iov_cap;
  /* the hand-over to the sync thread */
  pthread_mutex_t mu;
  pthread_cond_t cond;
  pthread_t thread;
  bool thread_started, stop;
  int job_file; /* the SEALED file to recycle, -1 none */
  int *job_fds;
  uint32_t job_nfds;
  uint64_t job_gen;  /* its generation: the recycled file gets job_gen + 2 */
  uint64_t job_used; /* bytes its turn used (frames), to grow it for the next turn */
};

#define STAT_ADD(log, field, v) __atomic_fetch_add(&(log)->stats.field, (v), __ATOMIC_RELAXED)

static char *wal_path(const fl_log *log, uint32_t i) { return fl_sprintf("%s/.wal-%u", log->dir, i); }

static uint64_t new_salt(void) {
  uint64_t salt = 0;
  if (getrandom(&salt, sizeof salt, GRND_NONBLOCK) != (ssize_t)sizeof salt)
    salt = (uint64_t)fl_mono_ns() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
  return salt ? salt : 1;
}

/* The CRC every frame of a file with this salt starts from. */
static uint32_t salt_crc(uint64_t salt) {
  unsigned char b[8];
  fl_log_put64(b, salt);
  return fl_crc32c(0, b, sizeof b);
}

/* Writes a file header (gen, salt) at byte 0; 0 or errno. Not synced. */
static int write_file_header(int fd, uint64_t gen, uint64_t salt) {
  unsigned char h[FL_LOG_WAL_FILE_HEADER_BYTES];
  memset(h, 0, sizeof h);
  fl_log_put32(h + FL_LOG_WAL_FOFF_MAGIC, FL_LOG_WAL_FILE_MAGIC);
  fl_log_put16(h + FL_LOG_WAL_FOFF_VERSION, FL_LOG_WAL_VERSION);
  fl_log_put64(h + FL_LOG_WAL_FOFF_GEN, gen);
  fl_log_put64(h + FL_LOG_WAL_FOFF_SALT, salt);
  fl_log_put32(h + FL_LOG_WAL_FOFF_CRC, fl_crc32c(0, h, FL_LOG_WAL_FOFF_CRC));
  for (size_t done = 0; done < sizeof h;) {
    ssize_t w = pwrite(fd, h + done, sizeof h - done, (off_t)done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? errno : ENOSPC;
    done += (size_t)w;
  }
  return 0;
}

/* Writes zeros over [from, to) (the preallocation: real blocks, not holes or
 * unwritten extents, whose first overwrite would change metadata); 0 or errno. */
static int write_zeros(int fd, uint64_t from, uint64_t to) {
  enum { CHUNK = 256 << 10 };
  static const unsigned char zeros[CHUNK];
  while (from < to) {
    size_t n = to - from < CHUNK ? (size_t)(to - from) : CHUNK;
    ssize_t w = pwrite(fd, zeros, n, (off_t)from);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? errno : ENOSPC;
    from += (uint64_t)w;
  }
  return 0;
}

/* A fresh turn for file f: zeros up to `size` bytes if it is shorter, a header with
 * gen and a new salt, one fdatasync. 0 or errno. Every frame left in it from older
 * turns no longer checks (other salt and generation). */
static int file_reset(wal_file *f, uint64_t gen, uint64_t size) {
  struct stat st;
  if (fstat(f->fd, &st) != 0) return errno;
  uint64_t have = (uint64_t)st.st_size;
  struct statvfs vfs; /* never more than an eighth of the free space: segments need it more */
  if (have < size && fstatvfs(f->fd, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize / 8 < size - have)
    size = have + (uint64_t)vfs.f_bavail * vfs.f_frsize / 8;
  if (have < size) {
    /* only an optimization: on a full disk the file stays shorter (its turns append) */
    int e = write_zeros(f->fd, have, size);
    if (e == ENOSPC || e == EDQUOT)
      fl_warn("log", "write-ahead file: no space to preallocate %" PRIu64 " bytes; appending instead", size);
    else if (e)
      return e;
  }
  uint64_t salt = new_salt();
  int e = write_file_header(f->fd, gen, salt);
  if (e) return e;
  if (fl_fdatasync(f->fd) != 0) return errno;
  f->gen = gen;
  f->salt = salt;
  return 0;
}

/* Writes every byte of iov[0..cnt) at pos (partial writes and EINTR resumed); 0 or errno. */
static int pwritev_all(int fd, struct iovec *iov, size_t cnt, uint64_t pos) {
  while (cnt) {
    int n = cnt > IOV_MAX_WAL ? IOV_MAX_WAL : (int)cnt;
    ssize_t w = pwritev(fd, iov, n, (off_t)pos);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    if (w == 0) return ENOSPC;
    pos += (uint64_t)w;
    while (cnt && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++;
      cnt--;
    }
    if (w > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
  return 0;
}

/* ---------- replay at open ---------- */

typedef struct replay_seg {
  char *path;
  int fd; /* -1: the file is gone (retention deleted it after its roll had synced it) */
  uint64_t size;
} replay_seg;

typedef struct replay {
  replay_seg *segs;
  uint32_t nsegs, cap;
  uint64_t frames, bytes, skipped;
  bool dry;                         /* read-only check: compare, never write */
  uint64_t pending_frames, pending; /* dry: frames (bytes) the segments lack or hold otherwise */
} replay;

static bool name_ok(const unsigned char *s, uint32_t n) {
  if (n == 0 || n > FL_LOG_WAL_NAME_MAX || s[0] == '.') return false;
  for (uint32_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-'))
      return false;
  }
  return true;
}

static replay_seg *replay_seg_get(replay *rp, const char *path, fl_err *err, fl_code *rc) {
  for (uint32_t i = 0; i < rp->nsegs; i++)
    if (!strcmp(rp->segs[i].path, path)) return &rp->segs[i];
  if (rp->nsegs == rp->cap) {
    rp->cap = rp->cap ? rp->cap * 2 : 16;
    rp->segs = fl_realloc(rp->segs, rp->cap * sizeof *rp->segs);
  }
  replay_seg *s = &rp->segs[rp->nsegs];
  *s = (replay_seg){.path = fl_strdup(path), .fd = -1};
  s->fd = open(path, (rp->dry ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (s->fd < 0 && errno != ENOENT) {
    *rc = fl_err_errno(err, errno, "%s: open segment to replay the write-ahead file", path);
    fl_free(s->path);
    return NULL;
  }
  struct stat st;
  if (s->fd >= 0) {
    if (fstat(s->fd, &st) != 0) {
      *rc = fl_err_errno(err, errno, "%s: stat", path);
      close(s->fd);
      fl_free(s->path);
      return NULL;
    }
    s->size = (uint64_t)st.st_size;
  }
  rp->nsegs++;
  return s;
}

/* Makes *b hold at least the file's first min(need, size) bytes (*have of them read;
 * grown at least 2x, from 1 MiB). */
static fl_code read_upto(int fd, const char *path, unsigned char **b, uint64_t *have, uint64_t need,
                         uint64_t size, fl_err *err) {
  if (need > size) need = size;
  if (need <= *have) return FL_OK;
  uint64_t want = *have * 2 > need ? *have * 2 : need;
  if (want < (1u << 20)) want = 1u << 20;
  if (want > size) want = size;
  unsigned char *nb = fl_realloc_try(*b, want);
  if (!nb) return fl_err_set(err, FL_ENOMEM, "%s: no memory to replay %" PRIu64 " bytes", path, want);
  *b = nb;
  while (*have < want) {
    ssize_t r = pread(fd, nb + *have, want - *have, (off_t)*have);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return r < 0 ? fl_err_errno(err, errno, "%s: read", path)
                   : fl_err_set(err, FL_EIO, "%s: short read", path);
    *have += (uint64_t)r;
  }
  return FL_OK;
}

/* Reads one file's valid frames: fills *buf (the whole file), *start and *valid
 * (the frames are bytes [start, valid)), *gen (their generation, 0 if none) and *hgen
 * (a version-2 header's generation, 0 if none). */
static fl_code wal_read(int fd, const char *path, unsigned char **buf, uint64_t *start, uint64_t *valid,
                        uint64_t *gen, uint64_t *hgen, fl_err *err) {
  *buf = NULL;
  *start = *valid = 0;
  *gen = *hgen = 0;
  struct stat st;
  if (fstat(fd, &st) != 0) return fl_err_errno(err, errno, "%s: stat", path);
  uint64_t size = (uint64_t)st.st_size;
  if (!size) return FL_OK;
  /* read as far as the frames go (a preallocated file is mostly zeros or older turns) */
  unsigned char *b = NULL;
  uint64_t have = 0;
  fl_code rc = read_upto(fd, path, &b, &have, FL_LOG_WAL_FILE_HEADER_BYTES, size, err);
  if (rc) {
    fl_free(b);
    return rc;
  }
  uint64_t pos = 0;
  uint16_t version = FL_LOG_WAL_VERSION_V1;
  uint32_t crc0 = 0;
  if (size >= 4 && fl_log_get32(b) != FL_LOG_WAL_MAGIC) {
    /* version 2: a file header, then the frames of its turn */
    if (size < FL_LOG_WAL_FILE_HEADER_BYTES ||
        fl_log_get32(b + FL_LOG_WAL_FOFF_MAGIC) != FL_LOG_WAL_FILE_MAGIC ||
        fl_log_get16(b + FL_LOG_WAL_FOFF_VERSION) != FL_LOG_WAL_VERSION ||
        fl_log_get32(b + FL_LOG_WAL_FOFF_CRC) != fl_crc32c(0, b, FL_LOG_WAL_FOFF_CRC)) {
      fl_warn("log", "%s: no valid file header: no frame to replay", path);
      *buf = b;
      return FL_OK;
    }
    *hgen = *gen = fl_log_get64(b + FL_LOG_WAL_FOFF_GEN);
    crc0 = salt_crc(fl_log_get64(b + FL_LOG_WAL_FOFF_SALT));
    version = FL_LOG_WAL_VERSION;
    pos = *start = FL_LOG_WAL_FILE_HEADER_BYTES;
  }
  const char *bad = NULL;
  while (pos < size) {
    if ((rc = read_upto(fd, path, &b, &have, pos + FL_LOG_WAL_HEADER_BYTES + FL_LOG_WAL_NAME_MAX, size,
                        err))) {
      fl_free(b);
      return rc;
    }
    const unsigned char *h = b + pos;
    if (size - pos < FL_LOG_WAL_HEADER_BYTES) {
      bad = "short frame header";
      break;
    }
    uint32_t nl = fl_log_get16(h + FL_LOG_WAL_OFF_NAME_LEN), dl = fl_log_get32(h + FL_LOG_WAL_OFF_DATA_LEN);
    uint64_t g = fl_log_get64(h + FL_LOG_WAL_OFF_GEN);
    if (fl_log_get32(h + FL_LOG_WAL_OFF_MAGIC) != FL_LOG_WAL_MAGIC ||
        fl_log_get16(h + FL_LOG_WAL_OFF_VERSION) != version ||
        fl_log_get32(h + FL_LOG_WAL_OFF_RESERVED) != 0) {
      bad = "bad frame header";
      break;
    }
    if (!name_ok(h + FL_LOG_WAL_HEADER_BYTES, nl > size - pos - FL_LOG_WAL_HEADER_BYTES ? 0 : nl) ||
        dl == 0 || dl > FL_LOG_WAL_FRAME_MAX) {
      bad = "bad frame lengths";
      break;
    }
    uint64_t flen = FL_LOG_WAL_HEADER_BYTES + (uint64_t)nl + dl;
    if (flen > size - pos) {
      bad = "short frame";
      break;
    }
    if ((rc = read_upto(fd, path, &b, &have, pos + flen, size, err))) {
      fl_free(b);
      return rc;
    }
    h = b + pos;
    uint32_t crc = fl_crc32c(crc0, h, FL_LOG_WAL_OFF_CRC);
    crc = fl_crc32c(crc, h + FL_LOG_WAL_HEADER_BYTES, (size_t)nl + dl);
    if (crc != fl_log_get32(h + FL_LOG_WAL_OFF_CRC)) {
      bad = "frame CRC mismatch";
      break;
    }
    if (*gen && g != *gen) {
      bad = "frame of another generation";
      break;
    }
    *gen = g;
    pos += flen;
  }
  if (bad && version == FL_LOG_WAL_VERSION_V1)
    fl_warn("log", "%s: %s at byte %" PRIu64 ": the %" PRIu64 " bytes after it were never acknowledged", path,
            bad, pos, size - pos);
  if (pos == *start) *gen = 0; /* no frame: nothing to order */
  *buf = b;
  *valid = pos;
  return FL_OK;
}

/* Whether the segment holds the frame's dl bytes at `at` (read-only check). */
static bool segment_holds(int fd, uint64_t at, const unsigned char *data, uint32_t dl, uint64_t size) {
  if (at + dl > size) return false;
  unsigned char buf[1 << 16];
  for (uint64_t done = 0; done < dl;) {
    size_t want = dl - done < sizeof buf ? (size_t)(dl - done) : sizeof buf;
    ssize_t r = pread(fd, buf, want, (off_t)(at + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || memcmp(buf, data + done, (size_t)r) != 0) return false;
    done += (uint64_t)r;
  }
  return true;
}

/* Writes one file's frames back into their segments (in order); with rp->dry, only
 * counts the frames whose bytes the segments do not hold. */
static fl_code wal_replay_file(fl_log *log, const unsigned char *b, uint64_t start, uint64_t valid,
                               replay *rp, fl_err *err) {
  fl_code rc = FL_OK;
  for (uint64_t pos = start; pos < valid;) {
    const unsigned char *h = b + pos;
    uint32_t nl = fl_log_get16(h + FL_LOG_WAL_OFF_NAME_LEN), dl = fl_log_get32(h + FL_LOG_WAL_OFF_DATA_LEN);
    uint64_t base = fl_log_get64(h + FL_LOG_WAL_OFF_SEG_BASE), at = fl_log_get64(h + FL_LOG_WAL_OFF_SEG_POS);
    uint32_t p = fl_log_get32(h + FL_LOG_WAL_OFF_PARTITION);
    const unsigned char *data = h + FL_LOG_WAL_HEADER_BYTES + nl;
    pos += FL_LOG_WAL_HEADER_BYTES + (uint64_t)nl + dl;
    char *path =
        fl_sprintf("%s/%.*s/%u/%0*" PRIu64 "%s", log->dir, (int)nl, (const char *)h + FL_LOG_WAL_HEADER_BYTES,
                   p, FL_LOG_SEGMENT_NAME_DIGITS, base, FL_LOG_SEGMENT_SUFFIX);
    replay_seg *s = replay_seg_get(rp, path, err, &rc);
    if (!s) {
      fl_free(path);
      return rc;
    }
    if (s->fd < 0 || at > s->size) {
      /* gone: retention deleted a sealed segment, which its roll had synced; a gap:
       * the bytes before it are not on disk and no frame holds them (damage) */
      if (s->fd >= 0)
        fl_warn("log",
                "%s: write-ahead frame at byte %" PRIu64 " is past the file's %" PRIu64
                " bytes; not replayed",
                path, at, s->size);
      rp->skipped++;
      fl_free(path);
      continue;
    }
    fl_free(path);
    if (rp->dry) {
      if (!segment_holds(s->fd, at, data, dl, s->size)) {
        rp->pending_frames++;
        rp->pending += dl;
      }
      if (at + dl > s->size) s->size = at + dl; /* as a replay would have written it */
      continue;
    }
    for (uint64_t done = 0; done < dl;) {
      ssize_t w = pwrite(s->fd, data + done, dl - done, (off_t)(at + done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0)
        return fl_err_errno(err, w < 0 ? errno : ENOSPC, "%s: replay write at byte %" PRIu64, s->path,
                            at + done);
      done += (uint64_t)w;
    }
    if (at + dl > s->size) s->size = at + dl;
    rp->frames++;
    rp->bytes += dl;
  }
  return FL_OK;
}

static fl_code wal_replay(fl_log *log, fl_err *err) {
  log_wal *wal = log->wal;
  fl_code rc = FL_OK;
  unsigned char *bufs[FL_LOG_WAL_FILES] = {0};
  uint64_t starts[FL_LOG_WAL_FILES] = {0}, valid[FL_LOG_WAL_FILES] = {0}, gens[FL_LOG_WAL_FILES] = {0},
           hgens[FL_LOG_WAL_FILES] = {0};
  replay rp = {0};
  for (uint32_t i = 0; i < FL_LOG_WAL_FILES; i++) {
    char *path = wal_path(log, i);
    rc = wal_read(wal->files[i].fd, path, &bufs[i], &starts[i], &valid[i], &gens[i], &hgens[i], err);
    fl_free(path);
    if (rc) goto done;
  }
  uint32_t order[FL_LOG_WAL_FILES] = {0, 1}; /* the older generation first */
  if (gens[1] && (!gens[0] || gens[1] < gens[0])) order[0] = 1, order[1] = 0;
  uint64_t gmax = 0;
  for (uint32_t k = 0; k < FL_LOG_WAL_FILES; k++) {
    uint32_t i = order[k];
    if (gens[i] > gmax) gmax = gens[i];
    if (hgens[i] > gmax) gmax = hgens[i];
    if (valid[i] > starts[i] && (rc = wal_replay_file(log, bufs[i], starts[i], valid[i], &rp, err)))
      goto done;
  }
  for (uint32_t i = 0; i < rp.nsegs; i++) {
    if (rp.segs[i].fd < 0) continue;
    if (fl_fdatasync(rp.segs[i].fd) != 0) {
      rc = fl_err_errno(err, errno, "%s: fdatasync after replay", rp.segs[i].path);
      goto done;
    }
  }
  /* every frame is in its segment and synced: both files start a fresh turn
   * (preallocated; .wal-0 active with gmax + 1, .wal-1 next with gmax + 2) */
  for (uint32_t i = 0; i < FL_LOG_WAL_FILES; i++) {
    int e =
        file_reset(&wal->files[i], gmax + 1 + i, FL_LOG_WAL_FILE_HEADER_BYTES + FL_LOG_WAL_PREALLOC_BYTES);
    if (e) {
      char *path = wal_path(log, i);
      rc = fl_err_errno(err, e, "%s: preallocate after replay", path);
      fl_free(path);
      goto done;
    }
  }
  __atomic_store_n(&log->stats.wal_replayed_frames, rp.frames, __ATOMIC_RELAXED);
  if (rp.frames || rp.skipped)
    fl_info("log",
            "%s: replayed %" PRIu64 " write-ahead frames (%" PRIu64 " bytes) into %u segment files, %" PRIu64
            " skipped",
            log->dir, rp.frames, rp.bytes, rp.nsegs, rp.skipped);
  wal->gen = gmax + 1;
done:
  for (uint32_t i = 0; i < rp.nsegs; i++) {
    if (rp.segs[i].fd >= 0) close(rp.segs[i].fd);
    fl_free(rp.segs[i].path);
  }
  fl_free(rp.segs);
  for (uint32_t i = 0; i < FL_LOG_WAL_FILES; i++) fl_free(bufs[i]);
  return rc;
}

/* Read-only opens (`floe log`): the write-ahead files are read, never replayed; a
 * frame whose bytes its segment lacks (a power cut lost them before a writer reopened
 * the log) is counted and reported, so a reader is told what it cannot see yet. */
void fl_log_wal_check(fl_log *log) {
  replay rp = {.dry = true};
  unsigned char *bufs[FL_LOG_WAL_FILES] = {0};
  uint64_t starts[FL_LOG_WAL_FILES] = {0}, valid[FL_LOG_WAL_FILES] = {0}, gens[FL_LOG_WAL_FILES] = {0},
           hgens[FL_LOG_WAL_FILES] = {0};
  fl_err err;
  for (uint32_t i = 0; i < FL_LOG_WAL_FILES; i++) {
    char *path = wal_path(log, i);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (wal_read(fd, path, &bufs[i], &starts[i], &valid[i], &gens[i], &hgens[i], &err))
        fl_warn("log", "%s", err.msg);
      close(fd);
    }
    fl_free(path);
  }
  for (uint32_t i = 0; i < FL_LOG_WAL_FILES; i++)
    if (valid[i] > starts[i] && wal_replay_file(log, bufs[i], starts[i], valid[i], &rp, &err))
      fl_warn("log", "%s", err.msg);
  __atomic_store_n(&log->stats.wal_pending_bytes, rp.pending, __ATOMIC_RELAXED);
  if (rp.pending)
    fl_warn("log",
            "%s: %" PRIu64 " acknowledged bytes (%" PRIu64
            " write-ahead frames) are not in their segments yet (a crash or power cut before the last "
            "writer closed the log); the next writer (floe serve) replays them, and only then do readers see "
            "them",
            log->dir, rp.pending, rp.pending_frames);
  for (uint32_t i = 0; i < rp.nsegs; i++) {
    if (rp.segs[i].fd >= 0) close(rp.segs[i].fd);
    fl_free(rp.segs[i].path);
  }
  fl_free(rp.segs);
  for (uint32_t i = 0; i < FL_LOG_WAL_FILES; i++) fl_free(bufs[i]);
}

/* ---------- the sync thread ---------- */

static void *sync_thread(void *arg) {
  fl_log *log = arg;
  fl_thread_name("floe-wal");
  log_wal *wal = log->wal;
  pthread_mutex_lock(&wal->mu);
  for (;;) {
    while (wal->job_file < 0 && !wal->stop) pthread_cond_wait(&wal->cond, &wal->mu);
    if (wal->job_file < 0) break; /* stopping, nothing sealed */
    int fi = wal->job_file;
    int *fds = wal->job_fds;
    uint32_t n = wal->job_nfds;
    uint64_t next_gen = wal->job_gen + 2, used = wal->job_used;
    pthread_mutex_unlock(&wal->mu);
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; i++) {
      if (fds[i] < 0) continue;
      STAT_ADD(log, background_fsyncs, 1);
      fl_metric_add(log->m_bg_fsyncs, 1);
      if (fl_fdatasync(fds[i]) != 0) {
        fl_error("log", "%s: fdatasync of a segment before recycling .wal-%d: %s; retrying in 1 s", log->dir,
                 fi, strerror(errno));
        ok = false;
        break;
      }
      close(fds[i]);
      fds[i] = -1;
    }
    if (ok) {
      STAT_ADD(log, background_fsyncs, 1);
      fl_metric_add(log->m_bg_fsyncs, 1);
      /* its next turn: grown to twice what this turn used (preallocated off the
       * commit path), a new header (older frames no longer check), one fdatasync */
      uint64_t grow = 2 * used, cap = wal->switch_bytes + FL_LOG_WAL_PREALLOC_BYTES;
      if (grow > cap) grow = cap;
      int e = file_reset(&wal->files[fi], next_gen, FL_LOG_WAL_FILE_HEADER_BYTES + grow);
      if (e) {
        fl_error("log", "%s/.wal-%d: recycle: %s; retrying in 1 s", log->dir, fi, strerror(e));
        ok = false;
      }
    }
    pthread_mutex_lock(&wal->mu);
    if (ok) {
      FL_ASSERT(wal->files[fi].state == WAL_SEALED, "log %s: .wal-%d recycled in state %d", log->dir, fi,
                wal->files[fi].state);
      wal->files[fi].state = WAL_FREE;
      fl_free(wal->job_fds);
      wal->job_fds = NULL;
      wal->job_nfds = 0;
      wal->job_file = -1;
    } else {
      int64_t due = fl_mono_ns() + 1000000000;
      struct timespec ts = {.tv_sec = due / 1000000000, .tv_nsec = due % 1000000000};
      if (!wal->stop) pthread_cond_timedwait(&wal->cond, &wal->mu, &ts);
      if (wal->stop) break; /* the file stays; the next open replays it */
    }
  }
  pthread_mutex_unlock(&wal->mu);
  return NULL;
}

/* ---------- entry points ---------- */

fl_code fl_log_wal_open(fl_log *log, fl_err *err) {
  FL_ASSERT(!log->wal && !log->opts.read_only, "log %s: write-ahead files opened twice or read-only",
            log->dir);
  log_wal *wal = fl_calloc(1, sizeof *wal);
  log->wal = wal;
  wal->job_file = -1;
  wal->switch_bytes = log->opts.wal_switch_bytes ? log->opts.wal_switch_bytes : FL_LOG_WAL_SWITCH_BYTES;
  wal->switch_ms = log->opts.wal_switch_ms ? log->opts.wal_switch_ms : FL_LOG_WAL_SWITCH_MS;
  pthread_mutex_init(&wal->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&wal->cond, &ca);
  pthread_condattr_destroy(&ca);
  for (uint32_t i = 0; i < FL_LOG_WAL_FILES; i++) wal->files[i].fd = -1;
  bool created = false;
  for (uint32_t i = 0; i < FL_LOG_WAL_FILES; i++) {
    char *path = wal_path(log, i);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      created = true;
    }
    if (fd < 0) {
      fl_code rc = fl_err_errno(err, errno, "%s: open write-ahead file", path);
      fl_free(path);
      return rc;
    }
    fl_free(path);
    wal->files[i].fd = fd;
    wal->files[i].state = WAL_FREE;
  }
  if (created) {
    int dfd = open(log->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = dfd < 0 ? -1 : fl_fsync(dfd);
    int e = errno;
    if (dfd >= 0) close(dfd);
    if (rc != 0) return fl_err_errno(err, e, "%s: fsync directory", log->dir);
  }
  fl_code rc = wal_replay(log, err);
  if (rc) return rc;
  wal->cur = 0;
  wal->files[0].state = WAL_ACTIVE;
  wal->files[0].size = FL_LOG_WAL_FILE_HEADER_BYTES;
  FL_ASSERT(wal->files[0].gen == wal->gen, "log %s: .wal-0 generation %" PRIu64 " != %" PRIu64, log->dir,
            wal->files[0].gen, wal->gen);
  if (pthread_create(&wal->thread, NULL, sync_thread, log) != 0)
    return fl_err_set(err, FL_ENOMEM, "log %s: cannot start the write-ahead sync thread", log->dir);
  wal->thread_started = true;
  return FL_OK;
}

/* A group that wrote to one segment only: syncing that segment is the one durable
 * write, and its bytes are written once instead of twice (frame + segment), which
 * matters for big batches to one partition (measured: log_append_bench, 1 partition,
 * 0.44-0.63 of the disk's write+fdatasync rate through the write-ahead file, 0.98-1.16
 * with the segment's own sync). Its frames of earlier groups, if any, stay valid:
 * replaying them writes the same bytes again. */
static fl_code sync_one_segment(fl_log *log, log_partition *touched) {
  log_partition *part = touched;
  while (part->group_rc || !part->pend) part = part->tnext;
  STAT_ADD(log, fsyncs, 1);
  fl_metric_add(log->m_fsyncs, 1);
  log->group_fsyncs++;
  if (fl_fdatasync(part->fd) != 0) {
    int e = errno;
    fl_warn("log", "%s: fdatasync: %s", part->dir, strerror(e));
    return e == ENOSPC || e == EDQUOT ? FL_ENOSPC : FL_EIO;
  }
  return FL_OK;
}

fl_code fl_log_wal_commit(fl_log *log, log_partition *touched) {
  log_wal *wal = log->wal;
  if (wal->broken) return FL_EIO;
  wal_file *wf = &wal->files[wal->cur];
  FL_ASSERT(wf->state == WAL_ACTIVE, "log %s: commit to .wal-%u in state %d", log->dir, wal->cur, wf->state);
  size_t nframes = 0, niov = 0, hbytes = 0;
  uint64_t data_bytes = 0;
  for (log_partition *part = touched; part; part = part->tnext) {
    if (part->group_rc || !part->pend) continue;
    nframes++;
    niov++;
    hbytes += FL_LOG_WAL_HEADER_BYTES + strlen(part->pend->ls->name);
    data_bytes += part->group_end - part->write_pos;
    for (log_append *a = part->pend; a; a = a->next) niov++;
  }
  if (!nframes) return FL_OK;
  if (nframes == 1 && !log->opts.wal_every_group && data_bytes >= FL_LOG_WAL_DIRECT_BYTES)
    return sync_one_segment(log, touched);
  FL_ASSERT(wf->gen == wal->gen, "log %s: .wal-%u holds generation %" PRIu64 ", the log is at %" PRIu64,
            log->dir, wal->cur, wf->gen, wal->gen);
  uint32_t crc0 = salt_crc(wf->salt);
  if (hbytes > wal->hdrs_cap) {
    wal->hdrs_cap = hbytes * 2;
    wal->hdrs = fl_realloc(wal->hdrs, wal->hdrs_cap);
  }
  if (niov > wal->iov_cap) {
    wal->iov_cap = niov * 2;
    wal->iov = fl_realloc(wal->iov, wal->iov_cap * sizeof *wal->iov);
  }
  unsigned char *h = wal->hdrs;
  size_t k = 0;
  uint64_t total = 0;
  for (log_partition *part = touched; part; part = part->tnext) {
    if (part->group_rc || !part->pend) continue;
    const char *name = part->pend->ls->name;
    size_t nl = strlen(name);
    uint64_t data = part->group_end - part->write_pos;
    FL_ASSERT(data > 0 && data <= FL_LOG_WAL_FRAME_MAX && nl <= FL_LOG_WAL_NAME_MAX,
              "log %s: frame of %" PRIu64 " bytes for %s/%u", log->dir, data, name, part->id);
    pthread_mutex_lock(&part->mu);
    uint64_t base = part->segs[part->nsegs - 1].base;
    pthread_mutex_unlock(&part->mu);
    memset(h, 0, FL_LOG_WAL_HEADER_BYTES);
    fl_log_put32(h + FL_LOG_WAL_OFF_MAGIC, FL_LOG_WAL_MAGIC);
    fl_log_put16(h + FL_LOG_WAL_OFF_VERSION, FL_LOG_WAL_VERSION);
    fl_log_put16(h + FL_LOG_WAL_OFF_NAME_LEN, (uint16_t)nl);
    fl_log_put64(h + FL_LOG_WAL_OFF_GEN, wal->gen);
    fl_log_put64(h + FL_LOG_WAL_OFF_SEG_BASE, base);
    fl_log_put64(h + FL_LOG_WAL_OFF_SEG_POS, part->write_pos);
    fl_log_put32(h + FL_LOG_WAL_OFF_PARTITION, part->id);
    fl_log_put32(h + FL_LOG_WAL_OFF_DATA_LEN, (uint32_t)data);
    memcpy(h + FL_LOG_WAL_HEADER_BYTES, name, nl);
    uint32_t crc = fl_crc32c(crc0, h, FL_LOG_WAL_OFF_CRC);
    crc = fl_crc32c(crc, name, nl);
    wal->iov[k++] = (struct iovec){h, FL_LOG_WAL_HEADER_BYTES + nl};
    uint64_t sum = 0;
    for (log_append *a = part->pend; a; a = a->next) {
      crc = fl_crc32c(crc, a->bytes, a->len);
      wal->iov[k++] = (struct iovec){a->bytes, a->len};
      sum += a->len;
    }
    FL_ASSERT(sum == data, "log %s: %s/%u frame data %" PRIu64 " != written %" PRIu64, log->dir, name,
              part->id, sum, data);
    fl_log_put32(h + FL_LOG_WAL_OFF_CRC, crc);
    total += FL_LOG_WAL_HEADER_BYTES + nl + data;
    h += FL_LOG_WAL_HEADER_BYTES + nl;
  }
  FL_ASSERT(k == niov, "log %s: %zu of %zu frame vectors", log->dir, k, niov);
  int e = pwritev_all(wf->fd, wal->iov, niov, wf->size);
  const char *what = "write";
  if (!e) {
    STAT_ADD(log, fsyncs, 1);
    fl_metric_add(log->m_fsyncs, 1);
    log->group_fsyncs++;
    if (fl_fdatasync(wf->fd) != 0) {
      e = errno;
      what = "fdatasync";
    }
  }
  if (e) {
    fl_warn("log", "%s/.wal-%u: %s of %" PRIu64 " bytes at byte %" PRIu64 ": %s", log->dir, wal->cur, what,
            total, wf->size, strerror(e));
    /* take it back: zeros over its first frame header (the file is never truncated) */
    static const unsigned char zeros[FL_LOG_WAL_HEADER_BYTES];
    if (pwrite(wf->fd, zeros, sizeof zeros, (off_t)wf->size) != (ssize_t)sizeof zeros ||
        fl_fdatasync(wf->fd) != 0) {
      fl_error("log", "%s/.wal-%u: cannot take a failed frame back: %s; appends disabled until reopened",
               log->dir, wal->cur, strerror(errno));
      wal->broken = true;
    }
    return e == ENOSPC || e == EDQUOT ? FL_ENOSPC : FL_EIO;
  }
  if (wf->size == FL_LOG_WAL_FILE_HEADER_BYTES) wal->cur_start_ms = fl_mono_ns() / 1000000;
  wf->size += total;
  __atomic_store_n(&log->stats.wal_bytes, wf->size - FL_LOG_WAL_FILE_HEADER_BYTES, __ATOMIC_RELAXED);
  for (log_partition *part = touched; part; part = part->tnext) {
    if (part->group_rc || !part->pend || part->wal_gen == wal->gen) continue;
    part->wal_gen = wal->gen;
    if (wal->ndirty == wal->dirty_cap) {
      wal->dirty_cap = wal->dirty_cap ? wal->dirty_cap * 2 : 16;
      wal->dirty = fl_realloc(wal->dirty, wal->dirty_cap * sizeof *wal->dirty);
    }
    wal->dirty[wal->ndirty++] = part;
  }
  return FL_OK;
}

void fl_log_wal_after_group(fl_log *log) {
  log_wal *wal = log->wal;
  wal_file *wf = &wal->files[wal->cur];
  uint64_t used = wf->size - FL_LOG_WAL_FILE_HEADER_BYTES;
  if (!used) return;
  if (used < wal->switch_bytes &&
      (wal->switch_ms < 0 || fl_mono_ns() / 1000000 - wal->cur_start_ms < wal->switch_ms))
    return;
  uint32_t other = (wal->cur + 1) % FL_LOG_WAL_FILES;
  pthread_mutex_lock(&wal->mu);
  bool free_other = wal->files[other].state == WAL_FREE;
  pthread_mutex_unlock(&wal->mu);
  if (!free_other) return; /* the sync thread is still recycling it: keep appending here */
  int *fds = fl_malloc((wal->ndirty ? wal->ndirty : 1) * sizeof *fds);
  for (uint32_t i = 0; i < wal->ndirty; i++) {
    fds[i] = dup(wal->dirty[i]->fd);
    if (fds[i] < 0) { /* no fd to spare: stay on this file, try again after the next group */
      fl_warn("log", "%s: dup for the write-ahead switch: %s", log->dir, strerror(errno));
      for (uint32_t j = 0; j < i; j++) close(fds[j]);
      fl_free(fds);
      return;
    }
  }
  pthread_mutex_lock(&wal->mu);
  FL_ASSERT(wal->job_file < 0, "log %s: a sealed write-ahead file is still pending", log->dir);
  wf->state = WAL_SEALED;
  wal->job_file = (int)wal->cur;
  wal->job_fds = fds;
  wal->job_nfds = wal->ndirty;
  wal->job_gen = wal->gen;
  wal->job_used = used;
  wal->cur = other;
  wal->files[other].state = WAL_ACTIVE;
  wal->files[other].size = FL_LOG_WAL_FILE_HEADER_BYTES;
  FL_ASSERT(wal->files[other].gen == wal->gen + 1,
            "log %s: .wal-%u holds generation %" PRIu64 ", next is %" PRIu64, log->dir, other,
            wal->files[other].gen, wal->gen + 1);
  pthread_cond_signal(&wal->cond);
  pthread_mutex_unlock(&wal->mu);
  wal->gen++;
  wal->ndirty = 0;
  STAT_ADD(log, wal_switches, 1);
  __atomic_store_n(&log->stats.wal_bytes, 0, __ATOMIC_RELAXED);
}

void fl_log_wal_close(fl_log *log) {
  log_wal *wal = log->wal;
  if (!wal) return;
  if (wal->thread_started) {
    pthread_mutex_lock(&wal->mu);
    wal->stop = true;
    pthread_cond_signal(&wal->cond);
    pthread_mutex_unlock(&wal->mu);
    pthread_join(wal->thread, NULL);
  }
  /* a clean close leaves no frame to replay: sync every active segment, then give
   * both files a new header (if anything fails, the frames stay valid and the next
   * open replays them) */
  bool ok = wal->job_file < 0 && !wal->broken;
  for (fl_log_stream *ls = log->streams; ls && ok; ls = ls->next)
    for (uint32_t p = 0; p < ls->npartitions && ok; p++)
      if (ls->parts[p].fd >= 0 && ls->parts[p].wal_gen == wal->gen) {
        STAT_ADD(log, background_fsyncs, 1);
        if (fl_fdatasync(ls->parts[p].fd) != 0) ok = false;
      }
  for (uint32_t i = 0; i < FL_LOG_WAL_FILES; i++) {
    if (wal->files[i].fd < 0) continue;
    if (ok && wal->thread_started && i == wal->cur && wal->files[i].size > FL_LOG_WAL_FILE_HEADER_BYTES) {
      /* the FREE file's header already invalidates its old frames; the ACTIVE one's
       * frames are all in synced segments now: a new header (the generation after
       * the FREE one's) invalidates them */
      int e = file_reset(&wal->files[i], wal->gen + 2, 0);
      if (e)
        fl_warn("log", "%s/.wal-%u: new header at close: %s (the next open replays it)", log->dir, i,
                strerror(e));
    }
    close(wal->files[i].fd);
  }
  if (wal->job_fds)
    for (uint32_t i = 0; i < wal->job_nfds; i++)
      if (wal->job_fds[i] >= 0) close(wal->job_fds[i]);
  fl_free(wal->job_fds);
  fl_free(wal->dirty);
  fl_free(wal->hdrs);
  fl_free(wal->iov);
  pthread_cond_destroy(&wal->cond);
  pthread_mutex_destroy(&wal->mu);
  fl_free(wal);
  log->wal = NULL;
}
