/* dedupe: the stream job's per-partition key set (first arrival wins).
 *
 * A key is its 64-bit fingerprint: the log record's key hash (xxh3-64 of the PRIMARY KEY,
 * the partitioner's own hash, so nothing is re-parsed). Two distinct keys share a
 * fingerprint with probability 2^-64 per pair: with n keys live in one partition, the
 * chance that any new key is wrongly taken for a duplicate is about n / 2^64 (10^8 live
 * keys: 5e-12 per event). Fingerprint 0 (no key hash) is stored as 1.
 *
 * Layout: open addressing with linear probing over two parallel arrays, keys (u64) and
 * expiry seconds (u32: event time + dedupe_ttl, seconds since FL_DEDUPE_EPOCH_S), 12
 * bytes a slot; the table doubles past 80% full, so it is 40-80% full and holds 15-30
 * bytes per live key (the budget: 32). Eviction (fl_dedupe_evict, at each
 * checkpoint) keeps the keys whose expiry is at or past the partition's watermark,
 * rebuilding the table in one pass (and halving it while under 20% full).
 *
 * The state files (one per committed checkpoint, written before the transaction that
 * names it): a full one holds every live key; a delta (the other checkpoints) only
 * the keys inserted since the previous checkpoint. Restoring = the last full, then its
 * deltas in order, then an eviction by the restored watermarks: eviction is a pure
 * function of a key's expiry and the (rising) watermark, so the result is the live set
 * the job held. Both have the same layout:
 *   "FLDS" u32 version(1) u32 npartitions
 *   per partition: i64 max event time ms (INT64_MIN: none) u64 n, then n x (u64 key, u32 expiry)
 *   u32 CRC32C of everything before it
 * Little-endian; written to a temp name, fsynced, renamed, directory fsynced. */
#include "stream/stream_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/crc32c.h"
#include "core/fsync.h"
#include "core/mem.h"

#define STATE_MAGIC 0x53444c46u /* "FLDS" */
#define STATE_VERSION 1u

static uint32_t slot_of(const fl_dedupe *d, uint64_t key) {
  /* the fingerprint is already a good hash; mix once more so that sequential values
   * (tests, v1 fingerprints) spread */
  uint64_t h = key * 0x9E3779B97F4A7C15ull;
  return (uint32_t)(h >> 32) & (d->cap - 1);
}

static void put(fl_dedupe *d, uint64_t key, uint32_t expiry) {
  uint32_t i = slot_of(d, key);
  while (d->keys[i]) {
    if (d->keys[i] == key) {
      if (expiry > d->expiry[i]) d->expiry[i] = expiry;
      return;
    }
    i = (i + 1) & (d->cap - 1);
  }
  d->keys[i] = key;
  d->expiry[i] = expiry;
  d->n++;
}

static void rebuild(fl_dedupe *d, uint32_t cap, uint32_t min_expiry) {
  uint64_t *keys = d->keys;
  uint32_t *exp = d->expiry, old = d->cap;
  d->keys = fl_calloc(cap, sizeof *d->keys);
  d->expiry = fl_calloc(cap, sizeof *d->expiry);
  d->cap = cap;
  d->n = 0;
  for (uint32_t i = 0; i < old; i++)
    if (keys && keys[i] && exp[i] >= min_expiry) put(d, keys[i], exp[i]);
  fl_free(keys);
  fl_free(exp);
}

void fl_dedupe_init(fl_dedupe *d) {
  memset(d, 0, sizeof *d);
  rebuild(d, 64, 0);
}

void fl_dedupe_free(fl_dedupe *d) {
  fl_free(d->keys);
  fl_free(d->expiry);
  memset(d, 0, sizeof *d);
}

uint32_t fl_dedupe_expiry(int64_t event_time_ms, int64_t ttl_us) {
  int64_t s = (event_time_ms / 1000 + ttl_us / 1000000) - FL_DEDUPE_EPOCH_S;
  if (s < 0) return 0;
  if (s > (int64_t)UINT32_MAX) return UINT32_MAX;
  return (uint32_t)s;
}

bool fl_dedupe_insert(fl_dedupe *d, uint64_t key, uint32_t expiry) {
  if (!key) key = 1;
  uint32_t i = slot_of(d, key);
  while (d->keys[i]) {
    if (d->keys[i] == key) return false;
    i = (i + 1) & (d->cap - 1);
  }
  d->keys[i] = key;
  d->expiry[i] = expiry;
  d->n++;
  if ((uint64_t)d->n * 5 > (uint64_t)d->cap * 4) rebuild(d, d->cap * 2, 0);
  return true;
}

void fl_dedupe_restore_key(fl_dedupe *d, uint64_t key, uint32_t expiry) {
  if (!key) key = 1;
  put(d, key, expiry);
  if ((uint64_t)d->n * 5 > (uint64_t)d->cap * 4) rebuild(d, d->cap * 2, 0);
}

void fl_dedupe_evict(fl_dedupe *d, int64_t watermark_ms) {
  if (watermark_ms == INT64_MIN) return;
  int64_t s = watermark_ms / 1000 - FL_DEDUPE_EPOCH_S;
  uint32_t min_expiry = s <= 0 ? 0 : s > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)s;
  uint32_t live = 0;
  for (uint32_t i = 0; i < d->cap; i++) live += d->keys[i] && d->expiry[i] >= min_expiry;
  if (live == d->n) return;
  uint32_t cap = d->cap;
  while (cap > 64 && (uint64_t)live * 5 < (uint64_t)cap) cap /= 2;
  rebuild(d, cap, min_expiry);
}

size_t fl_dedupe_bytes(const fl_dedupe *d) { return (size_t)d->cap * (sizeof *d->keys + sizeof *d->expiry); }

/* ---- the state file ---- */

/* Writes buffer b (the whole state file but its CRC) to path atomically: temp file,
 * fdatasync, rename, directory fsync. */
static fl_code write_file(const char *path, fl_buf *b, fl_err *err) {
  fl_buf_put_le32(b, fl_crc32c(0, b->data, b->len));
  char *tmp = fl_sprintf("%s.tmp", path);
  fl_code rc = FL_OK;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    rc = fl_err_errno(err, errno, "%s: create", tmp);
    goto done;
  }
  for (size_t off = 0; off < b->len;) {
    ssize_t w = write(fd, b->data + off, b->len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      rc = fl_err_errno(err, w < 0 ? errno : ENOSPC, "%s: write", tmp);
      close(fd);
      unlink(tmp);
      goto done;
    }
    off += (size_t)w;
  }
  if (fl_fdatasync(fd) != 0) {
    rc = fl_err_errno(err, errno, "%s: fdatasync", tmp);
    close(fd);
    unlink(tmp);
    goto done;
  }
  close(fd);
  if (rename(tmp, path) != 0) {
    rc = fl_err_errno(err, errno, "%s: rename", path);
    unlink(tmp);
    goto done;
  }
  char *dir = fl_strdup(path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fl_fsync(dfd) != 0) rc = fl_err_errno(err, errno, "%s: fsync directory", dir);
  if (dfd >= 0) close(dfd);
  fl_free(dir);
done:
  fl_free(tmp);
  return rc;
}

/* One key entry (12 bytes: key, expiry, little-endian) at o; reserved by the caller:
 * a state file is sized before its keys are written (a checkpoint writes every key
 * inserted since the last one). */
static inline uint8_t *put_key(uint8_t *o, uint64_t key, uint32_t expiry) {
  for (int i = 0; i < 8; i++) o[i] = (uint8_t)(key >> (8 * i));
  for (int i = 0; i < 4; i++) o[8 + i] = (uint8_t)(expiry >> (8 * i));
  return o + 12;
}

fl_code fl_dedupe_state_write(const char *path, const fl_dedupe *sets, const int64_t *max_et, uint32_t nparts,
                              fl_err *err) {
  fl_buf b = {0};
  size_t keys = 0;
  for (uint32_t p = 0; p < nparts; p++) keys += sets[p].n;
  fl_buf_reserve(&b, 12 + (size_t)nparts * 16 + keys * 12 + 4);
  fl_buf_put_le32(&b, STATE_MAGIC);
  fl_buf_put_le32(&b, STATE_VERSION);
  fl_buf_put_le32(&b, nparts);
  for (uint32_t p = 0; p < nparts; p++) {
    fl_buf_put_le64(&b, (uint64_t)max_et[p]);
    fl_buf_put_le64(&b, sets[p].n);
    uint8_t *o = b.data + b.len, *lim = o + (size_t)sets[p].n * 12; /* n: the live (non-zero) keys */
    for (uint32_t i = 0; i < sets[p].cap; i++)
      if (sets[p].keys[i]) {
        FL_ASSERT(o < lim, "dedupe set of partition %u holds more than its %u keys", p, sets[p].n);
        o = put_key(o, sets[p].keys[i], sets[p].expiry[i]);
      }
    FL_ASSERT(o == lim, "dedupe set of partition %u holds fewer than its %u keys", p, sets[p].n);
    b.len += (size_t)sets[p].n * 12;
  }
  fl_code rc = write_file(path, &b, err);
  fl_buf_free(&b);
  return rc;
}

void fl_dedupe_pending_add(fl_dedupe_pending *pd, uint64_t key, uint32_t expiry) {
  if (pd->n == pd->cap) {
    pd->cap = pd->cap ? pd->cap * 2 : 1024;
    pd->keys = fl_realloc(pd->keys, pd->cap * sizeof *pd->keys);
    pd->expiry = fl_realloc(pd->expiry, pd->cap * sizeof *pd->expiry);
  }
  pd->keys[pd->n] = key ? key : 1;
  pd->expiry[pd->n++] = expiry;
}

void fl_dedupe_pending_free(fl_dedupe_pending *pd) {
  fl_free(pd->keys);
  fl_free(pd->expiry);
  memset(pd, 0, sizeof *pd);
}

fl_code fl_dedupe_delta_write(const char *path, const fl_dedupe_pending *pend, const int64_t *max_et,
                              uint32_t nparts, fl_err *err) {
  fl_buf b = {0};
  size_t keys = 0;
  for (uint32_t p = 0; p < nparts; p++) keys += pend[p].n;
  fl_buf_reserve(&b, 12 + (size_t)nparts * 16 + keys * 12 + 4);
  fl_buf_put_le32(&b, STATE_MAGIC);
  fl_buf_put_le32(&b, STATE_VERSION);
  fl_buf_put_le32(&b, nparts);
  for (uint32_t p = 0; p < nparts; p++) {
    fl_buf_put_le64(&b, (uint64_t)max_et[p]);
    fl_buf_put_le64(&b, pend[p].n);
    uint8_t *o = b.data + b.len;
    for (uint32_t i = 0; i < pend[p].n; i++) o = put_key(o, pend[p].keys[i], pend[p].expiry[i]);
    b.len += (size_t)pend[p].n * 12;
  }
  fl_code rc = write_file(path, &b, err);
  fl_buf_free(&b);
  return rc;
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

fl_code fl_dedupe_state_read(const char *path, fl_dedupe *sets, int64_t *max_et, uint32_t nparts, bool merge,
                             fl_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return fl_err_errno(err, errno, "%s: open the stream's dedupe state", path);
  fl_buf b = {0};
  unsigned char chunk[1 << 16];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) fl_buf_append(&b, chunk, got);
  fclose(f);
  fl_code rc = FL_OK;
  const unsigned char *p = b.data, *end = b.data + b.len;
  if (b.len < 16 || get32(end - 4) != fl_crc32c(0, b.data, b.len - 4)) {
    rc = fl_err_set(err, FL_ECORRUPT, "%s: dedupe state: bad size or CRC (%zu bytes)", path, b.len);
    goto done;
  }
  end -= 4;
  if (get32(p) != STATE_MAGIC || get32(p + 4) != STATE_VERSION || get32(p + 8) != nparts) {
    rc = fl_err_set(err, FL_ECORRUPT, "%s: dedupe state: not a version %u state of %u partitions", path,
                    STATE_VERSION, nparts);
    goto done;
  }
  p += 12;
  for (uint32_t i = 0; i < nparts; i++) {
    if (end - p < 16) {
      rc = fl_err_set(err, FL_ECORRUPT, "%s: dedupe state: partition %u cut short", path, i);
      goto done;
    }
    max_et[i] = (int64_t)get64(p);
    uint64_t n = get64(p + 8);
    p += 16;
    if ((uint64_t)(end - p) / 12 < n) {
      rc = fl_err_set(err, FL_ECORRUPT, "%s: dedupe state: partition %u claims %" PRIu64 " keys", path, i, n);
      goto done;
    }
    if (!merge) {
      fl_dedupe_free(&sets[i]);
      fl_dedupe_init(&sets[i]);
    }
    for (uint64_t k = 0; k < n; k++, p += 12) fl_dedupe_restore_key(&sets[i], get64(p), get32(p + 8));
  }
  if (p != end)
    rc = fl_err_set(err, FL_ECORRUPT, "%s: dedupe state: %zu trailing bytes", path, (size_t)(end - p));
done:
  fl_buf_free(&b);
  return rc;
}
