/* log: opening the event log, streams and partitions (with recovery), appends and
 * the group-commit log thread (log.h has the contract, README.md the design).
 *
 * Append path:
 *   caller thread   fl_log_append: encode the records into one batch buffer (header +
 *                   length-prefixed values), CRC the payload, queue it (log->mu)
 *   log thread      take the whole queue; per touched partition: roll the segment if
 *                   full, assign offsets, finish the CRCs, ONE pwritev of all its
 *                   batches (not synced); then ONE frame per partition into the
 *                   write-ahead file and ONE fdatasync of it (wal.c); then publish the
 *                   new durable end to readers (part->mu) and call every done callback.
 * While the thread is in fdatasync, new appends pile up and become the next group:
 * the fsync rate stays at what the disk can do and each fsync carries more batches.
 *
 * Failure: a failed write or fsync truncates the active segment back to its last
 * durable size and fails that partition's appends of this group (FL_ENOSPC/FL_EIO);
 * offsets are not consumed. If undoing an fsync failure fails too, the partition is
 * marked broken (appends fail FL_EIO until the log is reopened, which recovers it).
 *
 * Ownership: the fl_log owns its streams and partitions; an append's buffer is
 * owned by the queue, then by the log thread, which frees it after the callback.
 * Entry points: fl_log_open/close, fl_log_stream_open, fl_log_append(_sync),
 * fl_log_partition_offsets/stat_get, fl_log_stats_get, fl_log_test_fail_writes. */
#define _GNU_SOURCE /* sync_file_range */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

enum { STREAM_NAME_MAX = 200, IOV_BATCH = 1024 };
#define DEFAULT_SEGMENT_BYTES (128ull << 20)
#define DEFAULT_INDEX_INTERVAL (64u << 10)
#define DEFAULT_QUEUE_BYTES_MAX (256ull << 20)
#define DEFAULT_RETENTION_CHECK_MS 60000

#define STAT_ADD(log, field, v) __atomic_fetch_add(&(log)->stats.field, (v), __ATOMIC_RELAXED)

uint64_t fl_log_segment_bytes(const fl_log *log) { return log->opts.segment_bytes; }
uint32_t fl_log_index_interval(const fl_log *log) { return log->opts.index_interval_bytes; }

/* ---------- files ---------- */

static fl_code mkdir_p(const char *path, fl_err *err) {
  char buf[PATH_MAX];
  size_t n = strlen(path);
  if (n >= sizeof buf) return fl_err_set(err, FL_EINVAL, "%s: path too long", path);
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != 0) continue;
    char c = buf[i];
    buf[i] = 0;
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return fl_err_errno(err, errno, "%s: mkdir", buf);
    buf[i] = c;
  }
  return FL_OK;
}

static fl_code fsync_dir(const char *path, fl_err *err) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fl_err_errno(err, errno, "%s: open directory", path);
  int rc = fl_fsync(fd);
  int e = errno;
  close(fd);
  if (rc != 0) return fl_err_errno(err, e, "%s: fsync directory", path);
  return FL_OK;
}

/* Parses "<20 digits>.log" into *base. */
static bool segment_name_parse(const char *name, uint64_t *base) {
  if (strlen(name) != FL_LOG_SEGMENT_NAME_DIGITS + strlen(FL_LOG_SEGMENT_SUFFIX)) return false;
  if (strcmp(name + FL_LOG_SEGMENT_NAME_DIGITS, FL_LOG_SEGMENT_SUFFIX)) return false;
  uint64_t v = 0;
  for (int i = 0; i < FL_LOG_SEGMENT_NAME_DIGITS; i++) {
    if (name[i] < '0' || name[i] > '9') return false;
    unsigned d = (unsigned)(name[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *base = v;
  return true;
}

static bool partition_name_parse(const char *name, uint32_t *p) {
  if (!name[0] || (name[0] == '0' && name[1]) || strlen(name) > 6) return false;
  uint32_t v = 0;
  for (const char *c = name; *c; c++) {
    if (*c < '0' || *c > '9') return false;
    v = v * 10 + (uint32_t)(*c - '0');
  }
  *p = v;
  return true;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static segment *segment_push(log_partition *part, uint64_t base) {
  if (part->nsegs == part->segs_cap) {
    part->segs_cap = part->segs_cap ? part->segs_cap * 2 : 8;
    part->segs = fl_realloc(part->segs, part->segs_cap * sizeof *part->segs);
  }
  segment *seg = &part->segs[part->nsegs++];
  *seg = (segment){.base = base, .end_offset = base};
  return seg;
}

/* ---------- open / recovery ---------- */

/* Creates an empty segment file named base and makes its name durable. */
static fl_code segment_create(log_partition *part, uint64_t base, int *fd_out, fl_err *err) {
  char *path = fl_log_segment_path(part, base);
  fl_code rc = FL_OK;
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    rc = fl_err_errno(err, errno, "%s: create segment", path);
    goto done;
  }
  if ((rc = fsync_dir(part->dir, err))) {
    close(fd);
    unlink(path);
    goto done;
  }
  *fd_out = fd;
done:
  fl_free(path);
  return rc;
}

/* Lists the segments of a partition and recovers them (verify.c: contiguity, damage
 * reported and kept, a torn tail cut), leaving the active segment open in part->fd. */
static fl_code partition_open(fl_log *log, fl_log_stream *ls, log_partition *part, fl_err *err) {
  fl_code rc = FL_OK;
  uint64_t *bases = NULL;
  size_t nbases = 0, cap = 0;
  bool ro = log->opts.read_only;
  DIR *d = opendir(part->dir);
  if (!d && errno == ENOENT && !ro) {
    if (mkdir(part->dir, 0755) != 0 && errno != EEXIST)
      return fl_err_errno(err, errno, "%s: mkdir", part->dir);
    d = opendir(part->dir);
  }
  if (!d && errno == ENOENT && ro) return FL_OK; /* a partition never written: empty */
  if (!d) return fl_err_errno(err, errno, "%s: open partition directory", part->dir);
  struct dirent *de;
  while ((de = readdir(d))) {
    uint64_t base;
    if (!segment_name_parse(de->d_name, &base)) {
      size_t len = strlen(de->d_name), sl = strlen(FL_LOG_SEGMENT_SUFFIX);
      if (len >= sl &&
          !strcmp(de->d_name + len - sl, FL_LOG_SEGMENT_SUFFIX)) { /* never read, never deleted */
        ls->ndamaged++;
        fl_warn("log", "stream %s partition %u: %s/%s is not a segment name (20 digits + .log): ignored",
                ls->name, part->id, part->dir, de->d_name);
      }
      continue;
    }
    if (nbases == cap) {
      cap = cap ? cap * 2 : 16;
      bases = fl_realloc(bases, cap * sizeof *bases);
    }
    bases[nbases++] = base;
  }
  closedir(d);
  if (nbases) qsort(bases, nbases, sizeof *bases, cmp_u64);
  if (nbases == 0) {
    if (ro) goto done;
    segment *seg = segment_push(part, 0);
    seg->indexed = true;
    rc = segment_create(part, 0, &part->fd, err);
    goto done;
  }
  rc = fl_log_partition_recover(log, ls, part, bases, nbases, err);
done:
  fl_free(bases);
  return rc;
}

static bool stream_name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > STREAM_NAME_MAX || s[0] == '.') return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-'))
      return false;
  }
  return true;
}

/* Counts partition directories 0..k-1 of a stream directory. */
static fl_code partitions_on_disk(const char *dir, uint32_t *k, fl_err *err) {
  *k = 0;
  DIR *d = opendir(dir);
  if (!d && errno == ENOENT) return FL_OK;
  if (!d) return fl_err_errno(err, errno, "%s: open stream directory", dir);
  uint32_t n = 0, max = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    uint32_t p;
    if (!partition_name_parse(de->d_name, &p)) continue;
    n++;
    if (p + 1 > max) max = p + 1;
  }
  closedir(d);
  if (n != max) return fl_err_set(err, FL_ECORRUPT, "%s: partition directories are not 0..%u", dir, max - 1);
  *k = n;
  return FL_OK;
}

static void stream_free(fl_log_stream *ls) {
  if (!ls) return;
  fl_log_consumers_free(ls); /* wakes the waiters first */
  for (uint32_t p = 0; ls->parts && p < ls->npartitions; p++) {
    log_partition *part = &ls->parts[p];
    if (part->fd >= 0) close(part->fd);
    for (uint32_t i = 0; i < part->nsegs; i++) fl_free(part->segs[i].idx);
    fl_free(part->segs);
    fl_free(part->dir);
    pthread_mutex_destroy(&part->mu);
  }
  fl_free(ls->parts);
  fl_free(ls->name);
  fl_free(ls->dir);
  fl_free(ls);
}

fl_code fl_log_stream_open(fl_log *log, const char *stream, uint32_t npartitions, fl_log_stream **out,
                           fl_err *err) {
  fl_code rc = FL_OK;
  fl_log_stream *ls = NULL;
  *out = NULL;
  if (!stream_name_ok(stream))
    return fl_err_set(err, FL_EINVAL,
                      "stream name \"%s\": use 1 to %d of [A-Za-z0-9_.-], not starting with '.'", stream,
                      STREAM_NAME_MAX);
  if (npartitions > 100000)
    return fl_err_set(err, FL_EINVAL, "stream %s: %u partitions is over the limit of 100000", stream,
                      npartitions);
  pthread_mutex_lock(&log->open_mu);
  pthread_mutex_lock(&log->mu);
  for (fl_log_stream *s = log->streams; s; s = s->next)
    if (!strcmp(s->name, stream)) ls = s;
  pthread_mutex_unlock(&log->mu);
  if (ls) {
    if (npartitions && npartitions != ls->npartitions)
      rc = fl_err_set(err, FL_EINVAL, "stream %s has %u partitions, not %u", stream, ls->npartitions,
                      npartitions);
    else
      *out = ls;
    ls = NULL;
    goto done;
  }
  ls = fl_calloc(1, sizeof *ls);
  ls->log = log;
  ls->name = fl_strdup(stream);
  ls->dir = fl_sprintf("%s/%s", log->dir, stream);
  ls->compression_level = FL_LOG_COMPRESSION_LEVEL_DEFAULT;
  ls->codec = FL_LOG_CODEC_DEFAULT;
  uint32_t k;
  if ((rc = partitions_on_disk(ls->dir, &k, err))) goto done;
  uint32_t meta_np = 0;
  bool has_meta = false;
  if ((rc = fl_log_stream_meta_read(ls->dir, &meta_np, &has_meta, err))) goto done;
  if (has_meta && k != meta_np) { /* never re-hash keys over a changed partition count */
    rc = fl_err_set(err, FL_ECORRUPT,
                    "stream %s: %s/stream.json says %u partitions but %u partition directories are on disk "
                    "(a partition directory was removed or added: put it back)",
                    stream, ls->dir, meta_np, k);
    goto done;
  }
  if (has_meta && npartitions && npartitions != meta_np) {
    rc = fl_err_set(err, FL_EINVAL, "stream %s has %u partitions, not %u", stream, meta_np, npartitions);
    goto done;
  }
  if (npartitions == 0) {
    if (k == 0) {
      rc = fl_err_set(err, FL_ENOENT, "stream %s not found in %s", stream, log->dir);
      goto done;
    }
    npartitions = k;
  } else if (k > npartitions) {
    rc = fl_err_set(err, FL_EINVAL, "stream %s has %u partitions on disk, not %u", stream, k, npartitions);
    goto done;
  } else if (log->opts.read_only && k < npartitions) {
    rc = fl_err_set(err, FL_ENOENT, "stream %s has %u partitions on disk, not %u", stream, k, npartitions);
    goto done;
  }
  bool created = k < npartitions;
  if (created && mkdir(ls->dir, 0755) != 0 && errno != EEXIST) {
    rc = fl_err_errno(err, errno, "%s: mkdir", ls->dir);
    goto done;
  }
  ls->npartitions = npartitions;
  if (log->f_appends) {
    ls->m_appends = FL_METRIC_WITH(log->f_appends, stream);
    ls->m_records = FL_METRIC_WITH(log->f_records, stream);
    ls->m_bytes = FL_METRIC_WITH(log->f_bytes, stream);
    ls->m_errors = FL_METRIC_WITH(log->f_errors, stream);
    ls->m_deleted = FL_METRIC_WITH(log->f_deleted, stream);
  }
  ls->parts = fl_calloc(npartitions, sizeof *ls->parts);
  for (uint32_t p = 0; p < npartitions; p++) {
    log_partition *part = &ls->parts[p];
    pthread_mutex_init(&part->mu, NULL);
    part->id = p;
    part->fd = -1;
    part->dir = fl_sprintf("%s/%u", ls->dir, p);
    if (log->f_part_bytes) {
      char pn[12];
      snprintf(pn, sizeof pn, "%u", p);
      part->m_bytes = FL_METRIC_WITH(log->f_part_bytes, stream, pn);
      part->m_oldest = FL_METRIC_WITH(log->f_part_oldest, stream, pn);
      part->m_next = FL_METRIC_WITH(log->f_part_next, stream, pn);
    }
  }
  for (uint32_t p = 0; p < npartitions; p++) {
    if ((rc = partition_open(log, ls, &ls->parts[p], err))) {
      fl_err_prefix(err, "stream %s partition %u: ", stream, p);
      goto done;
    }
  }
  if ((rc = fl_log_consumers_init(ls, err))) goto done;
  if (created && ((rc = fsync_dir(ls->dir, err)) || (rc = fsync_dir(log->dir, err)))) goto done;
  /* written once every partition directory exists: a creation cut short has none yet
   * and is completed by the next open; a stream from before stream.json gets one */
  if (!has_meta && !log->opts.read_only && (rc = fl_log_stream_meta_write(ls->dir, npartitions, err)))
    goto done;
  if (log->f_damaged) fl_metric_set(FL_METRIC_WITH(log->f_damaged, stream), (double)ls->ndamaged);
  pthread_mutex_lock(&log->mu);
  ls->next = log->streams;
  log->streams = ls;
  pthread_mutex_unlock(&log->mu);
  *out = ls;
  ls = NULL;
done:
  stream_free(ls);
  pthread_mutex_unlock(&log->open_mu);
  return rc;
}

uint32_t fl_log_stream_npartitions(const fl_log_stream *ls) { return ls->npartitions; }
const char *fl_log_stream_name(const fl_log_stream *ls) { return ls->name; }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

fl_code fl_log_stream_list(fl_log *log, char ***names, uint32_t *n, fl_err *err) {
  *names = NULL;
  *n = 0;
  DIR *d = opendir(log->dir);
  if (!d) return fl_err_errno(err, errno, "%s: open log directory", log->dir);
  char **v = NULL;
  uint32_t cnt = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!stream_name_ok(de->d_name)) continue;
    char *sub = fl_sprintf("%s/%s", log->dir, de->d_name);
    struct stat st;
    bool isdir = stat(sub, &st) == 0 && S_ISDIR(st.st_mode);
    fl_free(sub);
    if (!isdir) continue;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 8;
      v = fl_realloc(v, cap * sizeof *v);
    }
    v[cnt++] = fl_strdup(de->d_name);
  }
  closedir(d);
  if (cnt) qsort(v, cnt, sizeof *v, cmp_str);
  *names = v;
  *n = cnt;
  return FL_OK;
}

void fl_log_names_free(char **names, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) fl_free(names[i]);
  fl_free(names);
}

/* ---------- the log thread ---------- */

static fl_code roll_segment(fl_log *log, fl_log_stream *ls, log_partition *part) {
  int fd;
  fl_err err;
  /* the segment being sealed may hold bytes only a write-ahead frame covers: sync it,
   * so sealed segments never depend on the write-ahead file (wal.c); then the new
   * file's name is synced (segment_create): a roll adds 2 syncs to its group */
  STAT_ADD(log, fsyncs, 2);
  STAT_ADD(log, roll_fsyncs, 2);
  fl_metric_add(log->m_fsyncs, 2);
  fl_metric_add(log->m_roll_fsyncs, 2);
  log->group_fsyncs += 2;
  if (fl_fdatasync(part->fd) != 0) {
    int e = errno;
    fl_warn("log", "%s: fdatasync of the segment at %" PRIu64 " before a roll: %s", part->dir,
            part->write_pos, strerror(e));
    return e == ENOSPC || e == EDQUOT ? FL_ENOSPC : FL_EIO;
  }
  fl_code rc = segment_create(part, part->next_offset, &fd, &err);
  if (rc) {
    fl_warn("log", "%s", err.msg);
    return rc;
  }
  close(part->fd);
  part->fd = fd;
  part->write_pos = 0;
  part->kicked_pos = 0;
  pthread_mutex_lock(&part->mu);
  segment *seg = segment_push(part, part->next_offset);
  seg->indexed = true;
  pthread_mutex_unlock(&part->mu);
  /* a roll is when a partition can pass its size limit: trim it now, in memory, and
   * leave the unlinks to the retention thread (no file I/O on the group-commit path) */
  if (log->retention_started) fl_log_retention_after_roll(ls, part);
  return FL_OK;
}

/* Undoes a failed write: back to the last durable size. */
static void undo_write(log_partition *part) {
  if (ftruncate(part->fd, (off_t)part->write_pos) != 0 || fl_fdatasync(part->fd) != 0) {
    fl_error("log", "%s: cannot truncate a failed write back to byte %" PRIu64 ": %s; partition disabled",
             part->dir, part->write_pos, strerror(errno));
    part->broken = true;
  }
}

static ssize_t write_hooked(fl_log *log, int fd, struct iovec *iov, int cnt, off_t pos) {
  if (__atomic_load_n(&log->fail_count, __ATOMIC_RELAXED) > 0) {
    __atomic_fetch_sub(&log->fail_count, 1, __ATOMIC_RELAXED);
    size_t half = iov[0].iov_len / 2;
    if (half && pwrite(fd, iov[0].iov_base, half, pos) < 0) return -1;
    errno = log->fail_errno;
    return -1;
  }
  return pwritev(fd, iov, cnt, pos);
}

/* Phase 1 for one partition: roll if full, assign offsets, write every batch. */
static fl_code write_partition(fl_log *log, log_partition *part) {
  if (part->broken) return FL_EIO;
  if (part->write_pos >= log->opts.segment_bytes) {
    fl_code rc = roll_segment(log, part->pend->ls, part);
    if (rc) return rc;
  }
  uint64_t off = part->next_offset;
  for (log_append *a = part->pend; a; a = a->next) {
    fl_log_put64(a->bytes + FL_LOG_OFF_BASE, off);
    uint32_t crc =
        fl_crc32c(a->payload_crc, a->bytes + FL_LOG_OFF_BASE, FL_LOG_BATCH_HEADER_BYTES - FL_LOG_OFF_BASE);
    fl_log_put32(a->bytes + FL_LOG_OFF_CRC, crc);
    off += a->n;
  }
  part->group_next = off;
  uint64_t pos = part->write_pos;
  struct iovec iov[IOV_BATCH];
  log_append *a = part->pend;
  while (a) {
    int cnt = 0;
    size_t total = 0;
    for (; a && cnt < IOV_BATCH; a = a->next) {
      iov[cnt++] = (struct iovec){a->bytes, a->len};
      total += a->len;
    }
    struct iovec *v = iov;
    while (total) {
      ssize_t w = write_hooked(log, part->fd, v, cnt, (off_t)pos);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        int e = w < 0 ? errno : ENOSPC;
        fl_warn("log", "%s: write at byte %" PRIu64 ": %s", part->dir, pos, strerror(e));
        undo_write(part);
        return e == ENOSPC || e == EDQUOT ? FL_ENOSPC : FL_EIO;
      }
      pos += (uint64_t)w;
      total -= (size_t)w;
      while (w > 0 && (size_t)w >= v->iov_len) { /* skip fully written vectors */
        w -= (ssize_t)v->iov_len;
        v++;
        cnt--;
      }
      if (w > 0) {
        v->iov_base = (char *)v->iov_base + w;
        v->iov_len -= (size_t)w;
      }
    }
  }
  part->group_end = pos;
  return FL_OK;
}

static void publish(fl_log *log, log_partition *part) {
  uint64_t pos = part->write_pos, records = 0, nb = 0;
  pthread_mutex_lock(&part->mu);
  segment *seg = &part->segs[part->nsegs - 1];
  for (log_append *a = part->pend; a; a = a->next) {
    fl_log_segment_index_add(seg, fl_log_get64(a->bytes + FL_LOG_OFF_BASE), pos,
                             log->opts.index_interval_bytes);
    int64_t t = (int64_t)fl_log_get64(a->bytes + FL_LOG_OFF_TIME);
    if (!seg->first_append_ms) seg->first_append_ms = t;
    if (t > seg->last_append_ms) seg->last_append_ms = t;
    pos += a->len;
    records += a->n;
    nb++;
  }
  FL_ASSERT(pos == part->group_end, "%s: group end %" PRIu64 " != %" PRIu64, part->dir, pos, part->group_end);
  seg->bytes = part->group_end;
  seg->end_offset = part->group_next;
  pthread_mutex_unlock(&part->mu);
  STAT_ADD(log, bytes, pos - part->write_pos);
  STAT_ADD(log, records, records);
  STAT_ADD(log, batches, nb);
  part->write_pos = part->group_end;
  part->next_offset = part->group_next;
  fl_log_consumers_notify(part->pend->ls);
}

/* Starts the disk write of a segment's newly filled pages once FL_LOG_WRITEBACK_BYTES
 * have gathered (sync_file_range WRITE: queued, not waited for), after the group's
 * acknowledgements. Without it the page cache holds a whole write-ahead turn of
 * segment bytes (up to FL_LOG_WAL_SWITCH_MS of appends) until the sync thread's
 * fdatasync writes them in one burst, and the group commits' own small syncs queue
 * behind that burst on the disk: the ack latency's tail. Only whole pages are started,
 * so the partial last page is not written again and again. */
static void start_writeback(fl_log *log, log_partition *part) {
  if (log->opts.writeback_bytes < 0) return;
  uint64_t step = log->opts.writeback_bytes ? (uint64_t)log->opts.writeback_bytes : FL_LOG_WRITEBACK_BYTES;
  uint64_t end = part->write_pos & ~(uint64_t)4095;
  if (end < part->kicked_pos + step) return;
  /* an error here costs nothing: the bytes are durable through the write-ahead file, and
   * the switch's fdatasync writes them anyway (and reports a failure) */
  (void)sync_file_range(part->fd, (off_t)part->kicked_pos, (off_t)(end - part->kicked_pos),
                        SYNC_FILE_RANGE_WRITE);
  STAT_ADD(log, writeback_starts, 1);
  STAT_ADD(log, writeback_bytes, end - part->kicked_pos);
  part->kicked_pos = end;
}

static void group_commit(fl_log *log, log_append *list) {
  int64_t start_ns = fl_mono_ns();
  log_partition *touched = NULL;
  uint64_t group_bytes = 0;
  for (log_append *a = list, *next; a; a = next) {
    next = a->next;
    a->next = NULL;
    group_bytes += a->len;
    log_partition *part = &a->ls->parts[a->partition];
    if (!part->touched) {
      part->touched = true;
      part->pend = part->pend_tail = NULL;
      part->tnext = touched;
      touched = part;
    }
    if (part->pend_tail)
      part->pend_tail->next = a;
    else
      part->pend = a;
    part->pend_tail = a;
  }
  log->group_fsyncs = 0;
  for (log_partition *part = touched; part; part = part->tnext) part->group_rc = write_partition(log, part);
  /* ONE durable write for the whole group (wal.c); if it fails, no byte of the group
   * is acknowledged or replayed: take the segment writes back */
  fl_code wrc = fl_log_wal_commit(log, touched);
  for (log_partition *part = touched; part && wrc; part = part->tnext) {
    if (part->group_rc) continue;
    undo_write(part);
    part->group_rc = wrc;
  }
  uint64_t gmax = __atomic_load_n(&log->stats.group_fsyncs_max, __ATOMIC_RELAXED);
  if (log->group_fsyncs > gmax) {
    __atomic_store_n(&log->stats.group_fsyncs_max, log->group_fsyncs, __ATOMIC_RELAXED);
    fl_metric_set(log->m_group_fsyncs_max, (double)log->group_fsyncs);
  }
  STAT_ADD(log, groups, 1); /* before the callbacks: an acknowledged caller sees its group counted */
  fl_metric_add(log->m_groups, 1);
  for (log_partition *part = touched; part; part = part->tnext) {
    if (!part->group_rc) publish(log, part);
    for (log_append *a = part->pend, *next; a; a = next) {
      next = a->next;
      uint64_t base = part->group_rc ? 0 : fl_log_get64(a->bytes + FL_LOG_OFF_BASE);
      STAT_ADD(log, appends, 1);
      if (part->group_rc) STAT_ADD(log, errors, 1);
      fl_metric_add(part->group_rc ? a->ls->m_errors : a->ls->m_appends, 1);
      if (!part->group_rc) fl_metric_add(a->ls->m_records, a->n);
      if (!part->group_rc) fl_metric_add(a->ls->m_bytes, a->len);
      if (a->done) a->done(a->ctx, (fl_code)part->group_rc, part->id, base, a->n);
      fl_free(a);
    }
    part->pend = part->pend_tail = NULL;
    part->touched = false;
  }
  for (log_partition *part = touched; part; part = part->tnext)
    if (!part->group_rc) start_writeback(log, part);
  fl_metric_observe(log->m_group_seconds, (double)(fl_mono_ns() - start_ns) / 1e9);
  pthread_mutex_lock(&log->mu);
  log->queued_bytes -= group_bytes;
  fl_metric_set(log->m_queue_bytes, (double)log->queued_bytes);
  pthread_mutex_unlock(&log->mu);
}

static void *log_thread(void *arg) {
  fl_log *log = arg;
  fl_thread_name("floe-log");
  pthread_mutex_lock(&log->mu);
  for (;;) {
    while (!log->queue && !log->closing) pthread_cond_wait(&log->cond, &log->mu);
    if (!log->queue) break; /* closing and drained */
    log_append *list = log->queue;
    log->queue = log->queue_tail = NULL;
    pthread_mutex_unlock(&log->mu);
    group_commit(log, list);
    fl_log_wal_after_group(log);
    pthread_mutex_lock(&log->mu);
  }
  pthread_mutex_unlock(&log->mu);
  return NULL;
}

/* Retention has its own thread. It used to run on the log thread only while the
 * append queue was empty, so under steady appends it never ran (issue 11: a
 * partition grew to 40x its size limit). Now the size limit is applied at every roll
 * by the log thread, in memory (fl_log_retention_after_roll), and this thread
 * unlinks the trimmed files when woken, and runs the full pass (age limits, floors
 * raised since) every retention_check_ms: neither the queue nor a busy CPU lets a
 * partition pass its limit by more than its active segment, and no unlink sits on
 * the group-commit path. It stops after the log thread (retention_stop), so the
 * files of the last rolls are unlinked too. */
static void *retention_thread(void *arg) {
  fl_log *log = arg;
  fl_thread_name("floe-retention");
  pthread_mutex_lock(&log->mu);
  for (;;) {
    int64_t due_ns = log->next_retention_ms * 1000000;
    while (!log->retention_stop && !log->retention_wake && fl_mono_ns() < due_ns) {
      struct timespec ts = {.tv_sec = due_ns / 1000000000, .tv_nsec = due_ns % 1000000000};
      pthread_cond_timedwait(&log->retention_cond, &log->mu, &ts);
    }
    bool stop = log->retention_stop, tick = fl_mono_ns() >= due_ns;
    log->retention_wake = false;
    pthread_mutex_unlock(&log->mu);
    fl_log_retention_unlink_doomed(log);
    if (stop) return NULL;
    if (tick) {
      fl_err err;
      if (fl_log_retention_run(log, fl_now_ms(), NULL, &err)) fl_warn("log", "retention: %s", err.msg);
    }
    pthread_mutex_lock(&log->mu);
    if (tick) log->next_retention_ms = fl_mono_ns() / 1000000 + log->opts.retention_check_ms;
  }
}

/* ---------- open / close ---------- */

/* Metrics collector (runs before each render): each partition's durable size and
 * offsets, read under part->mu as fl_log_partition_stat_get does. */
static void log_collect(void *ctx) {
  fl_log *log = ctx;
  pthread_mutex_lock(&log->mu);
  fl_log_stream *streams = log->streams; /* the list only grows at its head */
  pthread_mutex_unlock(&log->mu);
  for (fl_log_stream *ls = streams; ls; ls = ls->next) {
    for (uint32_t p = 0; p < ls->npartitions; p++) {
      fl_log_partition_stat st;
      fl_log_partition_stat_get(ls, p, &st);
      fl_metric_set(ls->parts[p].m_bytes, (double)st.bytes);
      fl_metric_set(ls->parts[p].m_oldest, (double)st.start_offset);
      fl_metric_set(ls->parts[p].m_next, (double)st.end_offset);
    }
    fl_log_consumers_collect(ls);
  }
}

/* The log's metrics (core/metrics.h): per stream appends, records, bytes, failed
 * appends and deleted segments; per process fsyncs, group commits and their
 * duration, queued bytes and queue-full refusals. Families are process-wide: two
 * logs in one process (tests) add into the same series. */
static void metrics_register(fl_log *log) {
  log->f_appends = fl_metrics_counter("floe_log_appends_total",
                                      "Appends (batches) made durable in the event log.", "stream");
  log->f_records =
      fl_metrics_counter("floe_log_records_total", "Records made durable in the event log.", "stream");
  log->f_bytes = fl_metrics_counter("floe_log_bytes_total",
                                    "Bytes made durable in the event log, batch headers included.", "stream");
  log->f_errors =
      fl_metrics_counter("floe_log_append_errors_total",
                         "Appends that failed to become durable (disk full, I/O error).", "stream");
  log->f_deleted =
      fl_metrics_counter("floe_log_segments_deleted_total", "Segment files deleted by retention.", "stream");
  log->m_fsyncs = fl_metric_get(
      fl_metrics_counter("floe_log_fsyncs_total", "fdatasync calls of the event log.", NULL), NULL);
  log->m_groups = fl_metric_get(fl_metrics_counter("floe_log_group_commits_total",
                                                   "Group commits (queue drains) of the log thread.", NULL),
                                NULL);
  log->m_group_seconds = fl_metric_get(
      fl_metrics_histogram("floe_log_group_commit_duration_seconds",
                           "Time of one group commit: writes, fdatasyncs and callbacks.", NULL, NULL, 0),
      NULL);
  log->m_queue_bytes = fl_metric_get(
      fl_metrics_gauge("floe_log_queue_bytes", "Bytes queued for the log thread, not yet durable.", NULL),
      NULL);
  log->f_part_bytes = fl_metrics_gauge("floe_log_partition_bytes", "Durable bytes in a partition's segments.",
                                       "stream,partition");
  log->f_part_oldest =
      fl_metrics_gauge("floe_log_partition_oldest_offset",
                       "A partition's oldest retained offset (retention moves it).", "stream,partition");
  log->f_part_next =
      fl_metrics_gauge("floe_log_partition_next_offset",
                       "A partition's next offset to assign (its durable end).", "stream,partition");
  log->f_damaged = fl_metrics_gauge("floe_log_damaged_ranges",
                                    "Damaged ranges (bad bytes, missing offsets, stray segment files) found "
                                    "in a stream's log when it was opened; see docs/operations.md.",
                                    "stream");
  log->m_bg_fsyncs = fl_metric_get(
      fl_metrics_counter(
          "floe_log_background_fsyncs_total",
          "fdatasync calls of the event log off the group-commit path (write-ahead recycling).", NULL),
      NULL);
  log->m_roll_fsyncs = fl_metric_get(
      fl_metrics_counter("floe_log_roll_fsyncs_total",
                         "fsync calls of segment rolls (the sealed segment and the new file's directory), "
                         "counted in floe_log_fsyncs_total too.",
                         NULL),
      NULL);
  log->m_group_fsyncs_max =
      fl_metric_get(fl_metrics_gauge("floe_log_group_fsyncs_max",
                                     "Most fdatasync calls one group commit made (1 per group).", NULL),
                    NULL);
  log->m_queue_full =
      fl_metric_get(fl_metrics_counter("floe_log_queue_full_total",
                                       "Appends refused because the queue was full (back-pressure).", NULL),
                    NULL);
}

fl_code fl_log_open(const char *dir, const fl_log_opts *opts, fl_log **out, fl_err *err) {
  fl_code rc = FL_OK;
  *out = NULL;
  fl_log *log = fl_calloc(1, sizeof *log);
  log->lock_fd = -1;
  if (opts) log->opts = *opts;
  if (!log->opts.segment_bytes) log->opts.segment_bytes = DEFAULT_SEGMENT_BYTES;
  if (!log->opts.index_interval_bytes) log->opts.index_interval_bytes = DEFAULT_INDEX_INTERVAL;
  if (!log->opts.queue_bytes_max) log->opts.queue_bytes_max = DEFAULT_QUEUE_BYTES_MAX;
  if (!log->opts.retention_check_ms) log->opts.retention_check_ms = DEFAULT_RETENTION_CHECK_MS;
  log->dir = fl_strdup(dir);
  pthread_mutex_init(&log->mu, NULL);
  pthread_mutex_init(&log->retention_mu, NULL);
  pthread_mutex_init(&log->open_mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* fl_mono_ns is CLOCK_MONOTONIC */
  pthread_cond_init(&log->cond, &ca);
  pthread_cond_init(&log->retention_cond, &ca);
  pthread_condattr_destroy(&ca);
  if (log->opts.read_only) {
    struct stat st;
    if (stat(dir, &st) != 0) {
      rc = fl_err_errno(err, errno, "log directory %s", dir);
      goto done;
    }
    fl_log_wal_check(log);
    goto done;
  }
  if ((rc = mkdir_p(dir, err))) goto done;
  metrics_register(log);
  fl_metrics_collector_add(log_collect, log);
  log->collecting = true;
  char *lock = fl_sprintf("%s/.lock", dir);
  log->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  fl_free(lock);
  if (log->lock_fd < 0) {
    rc = fl_err_errno(err, errno, "%s/.lock: open", dir);
    goto done;
  }
  if (flock(log->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    rc = errno == EWOULDBLOCK ? fl_err_set(err, FL_ECONFLICT, "log %s is in use by another process", dir)
                              : fl_err_errno(err, errno, "%s/.lock: flock", dir);
    goto done;
  }
  if ((rc = fl_log_wal_open(log, err))) goto done;
  log->next_retention_ms =
      fl_mono_ns() / 1000000 + (log->opts.retention_check_ms > 0 ? log->opts.retention_check_ms : 0);
  if (pthread_create(&log->thread, NULL, log_thread, log) != 0) {
    rc = fl_err_set(err, FL_ENOMEM, "log %s: cannot start the log thread", dir);
    goto done;
  }
  log->thread_started = true;
  if (log->opts.retention_check_ms > 0) {
    if (pthread_create(&log->retention_thread, NULL, retention_thread, log) != 0) {
      rc = fl_err_set(err, FL_ENOMEM, "log %s: cannot start the retention thread", dir);
      goto done;
    }
    log->retention_started = true;
  }
done:
  if (rc) {
    fl_log_close(log);
    return rc;
  }
  *out = log;
  return FL_OK;
}

void fl_log_close(fl_log *log) {
  if (!log) return;
  FL_ASSERT(!log->thread_started || !pthread_equal(pthread_self(), log->thread),
            "fl_log_close called on the log thread (from a done callback)");
  if (log->collecting) fl_metrics_collector_remove(log_collect, log); /* no render reads it after this */
  if (log->thread_started) {
    pthread_mutex_lock(&log->mu);
    log->closing = true;
    pthread_cond_signal(&log->cond);
    pthread_mutex_unlock(&log->mu);
    pthread_join(log->thread, NULL);
    if (log->retention_started) { /* after the log thread: no roll can queue files now */
      pthread_mutex_lock(&log->mu);
      log->retention_stop = true;
      pthread_cond_signal(&log->retention_cond);
      pthread_mutex_unlock(&log->mu);
      pthread_join(log->retention_thread, NULL);
    }
  }
  fl_log_wal_close(log); /* the log thread is stopped: no group is in flight */
  FL_ASSERT(!log->ndoomed, "log %s: %u trimmed segment files not unlinked", log->dir, log->ndoomed);
  fl_free(log->doomed);
  for (fl_log_stream *ls = log->streams, *next; ls; ls = next) {
    next = ls->next;
    stream_free(ls);
  }
  if (log->lock_fd >= 0) close(log->lock_fd);
  pthread_cond_destroy(&log->cond);
  pthread_cond_destroy(&log->retention_cond);
  pthread_mutex_destroy(&log->mu);
  pthread_mutex_destroy(&log->retention_mu);
  pthread_mutex_destroy(&log->open_mu);
  fl_free(log->dir);
  fl_free(log);
}

/* ---------- appends ---------- */

/* Checks and encodes one append (the caller's thread: compression, CRC of the stored
 * payload); NULL with *rc and err set on failure. */
static log_append *append_encode(fl_log_stream *ls, uint32_t partition, const fl_log_record *recs, uint32_t n,
                                 fl_log_done_fn done, void *ctx, fl_code *rc, fl_err *err) {
  fl_log *log = ls->log;
  *rc = FL_OK;
  if (log->opts.read_only) {
    *rc = fl_err_set(err, FL_EINVAL, "stream %s: log opened read-only", ls->name);
    return NULL;
  }
  if (partition >= ls->npartitions) {
    *rc = fl_err_set(err, FL_EINVAL, "stream %s: partition %u out of range (0..%u)", ls->name, partition,
                     ls->npartitions - 1);
    return NULL;
  }
  if (n == 0) {
    *rc = fl_err_set(err, FL_EINVAL, "stream %s: append of 0 records", ls->name);
    return NULL;
  }
  uint64_t values, payload = fl_log_batch_payload_max(recs, n, &values);
  if (payload > FL_LOG_BATCH_PAYLOAD_MAX) {
    *rc = fl_err_set(err, FL_EINVAL,
                     "stream %s: batch of %u records is %" PRIu64 " bytes, over the limit of %u", ls->name, n,
                     payload, FL_LOG_BATCH_PAYLOAD_MAX);
    return NULL;
  }
  log_append *a = fl_log_batch_encode(recs, n, values, (int)fl_log_stream_codec(ls),
                                      fl_log_stream_compression(ls), fl_now_ms());
  if (!a) {
    *rc = fl_err_set(err, FL_ENOMEM, "stream %s: no memory for a batch of %" PRIu64 " bytes", ls->name,
                     payload);
    return NULL;
  }
  a->ls = ls;
  a->partition = partition;
  a->done = done;
  a->ctx = ctx;
  __atomic_add_fetch(&log->stats.raw_bytes, a->raw_len, __ATOMIC_RELAXED);
  __atomic_add_fetch(&log->stats.stored_bytes, a->len, __ATOMIC_RELAXED);
  return a;
}

void fl_log_many_add(fl_log_many *m, fl_log_stream *ls, uint32_t partition, const fl_log_record *recs,
                     uint32_t n, fl_log_done_fn done, void *ctx) {
  if (m->rc) return;
  FL_ASSERT(!m->log || m->log == ls->log, "fl_log_many: appends to two logs (%s, %s)", m->log->dir,
            ls->log->dir);
  m->log = ls->log;
  fl_code rc;
  log_append *a = append_encode(ls, partition, recs, n, done, ctx, &rc, &m->err);
  if (!a) {
    m->rc = rc;
    return;
  }
  a->next = NULL;
  if (m->tail)
    ((log_append *)m->tail)->next = a;
  else
    m->head = a;
  m->tail = a;
  m->bytes += a->len;
  m->count++;
}

void fl_log_many_discard(fl_log_many *m) {
  for (log_append *a = m->head, *next; a; a = next) {
    next = a->next;
    fl_free(a);
  }
  *m = (fl_log_many){0};
}

fl_code fl_log_many_submit(fl_log_many *m, uint32_t *queued, fl_err *err) {
  *queued = 0;
  fl_code rc = m->rc;
  if (rc) {
    *err = m->err;
    fl_log_many_discard(m);
    return rc;
  }
  if (!m->head) return FL_OK;
  fl_log *log = m->log;
  pthread_mutex_lock(&log->mu);
  if (log->closing)
    rc = fl_err_set(err, FL_EIO, "log %s is closing", log->dir);
  else if (log->queued_bytes && log->queued_bytes + m->bytes > log->opts.queue_bytes_max) {
    rc = fl_err_set(err, FL_ELIMIT, "log queue full (%" PRIu64 " bytes waiting for the disk)",
                    log->queued_bytes);
    fl_metric_add(log->m_queue_full, 1);
  }
  if (!rc) {
    if (log->queue_tail)
      log->queue_tail->next = m->head;
    else
      log->queue = m->head;
    log->queue_tail = m->tail;
    log->queued_bytes += m->bytes;
    fl_metric_set(log->m_queue_bytes, (double)log->queued_bytes);
    pthread_cond_signal(&log->cond);
    *queued = m->count;
    *m = (fl_log_many){0};
  }
  pthread_mutex_unlock(&log->mu);
  if (rc) fl_log_many_discard(m);
  return rc;
}

fl_code fl_log_append(fl_log_stream *ls, uint32_t partition, const fl_log_record *recs, uint32_t n,
                      fl_log_done_fn done, void *ctx, fl_err *err) {
  fl_log *log = ls->log;
  if (log->opts.read_only) return fl_err_set(err, FL_EINVAL, "stream %s: log opened read-only", ls->name);
  if (partition >= ls->npartitions)
    return fl_err_set(err, FL_EINVAL, "stream %s: partition %u out of range (0..%u)", ls->name, partition,
                      ls->npartitions - 1);
  if (n == 0) return fl_err_set(err, FL_EINVAL, "stream %s: append of 0 records", ls->name);
  uint64_t values, payload = fl_log_batch_payload_max(recs, n, &values);
  if (payload > FL_LOG_BATCH_PAYLOAD_MAX)
    return fl_err_set(err, FL_EINVAL,
                      "stream %s: batch of %u records is %" PRIu64 " bytes, over the limit of %u", ls->name,
                      n, payload, FL_LOG_BATCH_PAYLOAD_MAX);
  log_append *a = fl_log_batch_encode(recs, n, values, (int)fl_log_stream_codec(ls),
                                      fl_log_stream_compression(ls), fl_now_ms());
  if (!a)
    return fl_err_set(err, FL_ENOMEM, "stream %s: no memory for a batch of %" PRIu64 " bytes", ls->name,
                      payload);
  a->ls = ls;
  a->partition = partition;
  a->done = done;
  a->ctx = ctx;
  size_t len = a->len;
  __atomic_add_fetch(&log->stats.raw_bytes, a->raw_len, __ATOMIC_RELAXED);
  __atomic_add_fetch(&log->stats.stored_bytes, a->len, __ATOMIC_RELAXED);
  fl_code rc = FL_OK;
  pthread_mutex_lock(&log->mu);
  if (log->closing)
    rc = fl_err_set(err, FL_EIO, "stream %s: log is closing", ls->name);
  else if (log->queued_bytes && log->queued_bytes + len > log->opts.queue_bytes_max) {
    rc = fl_err_set(err, FL_ELIMIT, "stream %s: log queue full (%" PRIu64 " bytes waiting for the disk)",
                    ls->name, log->queued_bytes);
    fl_metric_add(log->m_queue_full, 1);
  }
  if (!rc) {
    if (log->queue_tail)
      log->queue_tail->next = a;
    else
      log->queue = a;
    log->queue_tail = a;
    log->queued_bytes += len;
    fl_metric_set(log->m_queue_bytes, (double)log->queued_bytes);
    pthread_cond_signal(&log->cond);
  }
  pthread_mutex_unlock(&log->mu);
  if (rc) fl_free(a);
  return rc;
}

typedef struct sync_wait {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool done;
  fl_code rc;
  uint64_t base;
} sync_wait;

static void sync_done(void *ctx, fl_code rc, uint32_t partition, uint64_t base_offset, uint32_t n) {
  sync_wait *w = ctx;
  pthread_mutex_lock(&w->mu);
  w->rc = rc;
  w->base = base_offset;
  w->done = true;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

fl_code fl_log_append_sync(fl_log_stream *ls, uint32_t partition, const fl_log_record *recs, uint32_t n,
                           uint64_t *base_offset, fl_err *err) {
  FL_ASSERT(!ls->log->thread_started || !pthread_equal(pthread_self(), ls->log->thread),
            "fl_log_append_sync called on the log thread");
  sync_wait w = {.done = false};
  pthread_mutex_init(&w.mu, NULL);
  pthread_cond_init(&w.cv, NULL);
  fl_code rc = fl_log_append(ls, partition, recs, n, sync_done, &w, err);
  if (!rc) {
    pthread_mutex_lock(&w.mu);
    while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    rc = w.rc;
    if (rc)
      fl_err_set(err, rc, "stream %s partition %u: append failed: %s", ls->name, partition,
                 fl_code_message(rc));
    else if (base_offset)
      *base_offset = w.base;
  }
  pthread_cond_destroy(&w.cv);
  pthread_mutex_destroy(&w.mu);
  return rc;
}

/* ---------- stats ---------- */

fl_code fl_log_partition_offsets(fl_log_stream *ls, uint32_t partition, uint64_t *start, uint64_t *end) {
  fl_log_partition_stat st;
  fl_code rc = fl_log_partition_stat_get(ls, partition, &st);
  if (rc) return rc;
  if (start) *start = st.start_offset;
  if (end) *end = st.end_offset;
  return FL_OK;
}

fl_code fl_log_partition_stat_get(fl_log_stream *ls, uint32_t partition, fl_log_partition_stat *out) {
  *out = (fl_log_partition_stat){0};
  if (partition >= ls->npartitions) return FL_EINVAL;
  log_partition *part = &ls->parts[partition];
  pthread_mutex_lock(&part->mu);
  if (part->nsegs) {
    out->start_offset = part->segs[0].base;
    out->end_offset = part->segs[part->nsegs - 1].end_offset;
    out->segments = part->nsegs;
    for (uint32_t i = 0; i < part->nsegs; i++) out->bytes += part->segs[i].bytes;
    for (uint32_t i = 0; i < part->nsegs && !out->oldest_append_ms; i++)
      if (part->segs[i].end_offset > part->segs[i].base)
        out->oldest_append_ms =
            part->segs[i].first_append_ms ? part->segs[i].first_append_ms : part->segs[i].last_append_ms;
  }
  pthread_mutex_unlock(&part->mu);
  return FL_OK;
}

void fl_log_stats_get(fl_log *log, fl_log_stats *out) {
  out->appends = __atomic_load_n(&log->stats.appends, __ATOMIC_RELAXED);
  out->batches = __atomic_load_n(&log->stats.batches, __ATOMIC_RELAXED);
  out->records = __atomic_load_n(&log->stats.records, __ATOMIC_RELAXED);
  out->bytes = __atomic_load_n(&log->stats.bytes, __ATOMIC_RELAXED);
  out->fsyncs = __atomic_load_n(&log->stats.fsyncs, __ATOMIC_RELAXED);
  out->groups = __atomic_load_n(&log->stats.groups, __ATOMIC_RELAXED);
  out->errors = __atomic_load_n(&log->stats.errors, __ATOMIC_RELAXED);
  out->raw_bytes = __atomic_load_n(&log->stats.raw_bytes, __ATOMIC_RELAXED);
  out->stored_bytes = __atomic_load_n(&log->stats.stored_bytes, __ATOMIC_RELAXED);
  out->group_fsyncs_max = __atomic_load_n(&log->stats.group_fsyncs_max, __ATOMIC_RELAXED);
  out->roll_fsyncs = __atomic_load_n(&log->stats.roll_fsyncs, __ATOMIC_RELAXED);
  out->background_fsyncs = __atomic_load_n(&log->stats.background_fsyncs, __ATOMIC_RELAXED);
  out->wal_switches = __atomic_load_n(&log->stats.wal_switches, __ATOMIC_RELAXED);
  out->wal_pending_bytes = __atomic_load_n(&log->stats.wal_pending_bytes, __ATOMIC_RELAXED);
  out->writeback_starts = __atomic_load_n(&log->stats.writeback_starts, __ATOMIC_RELAXED);
  out->writeback_bytes = __atomic_load_n(&log->stats.writeback_bytes, __ATOMIC_RELAXED);
  out->wal_bytes = __atomic_load_n(&log->stats.wal_bytes, __ATOMIC_RELAXED);
  out->wal_replayed_frames = __atomic_load_n(&log->stats.wal_replayed_frames, __ATOMIC_RELAXED);
  pthread_mutex_lock(&log->mu);
  out->queued_bytes = log->queued_bytes;
  pthread_mutex_unlock(&log->mu);
}

void fl_log_test_fail_writes(fl_log *log, int errnum, uint32_t count) {
  log->fail_errno = errnum;
  __atomic_store_n(&log->fail_count, count, __ATOMIC_RELAXED);
}
