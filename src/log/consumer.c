/* consumer: named consumers of a log stream, their durable committed offsets, the
 * retain floor they hold, and waking readers when a durable end moves (log.h).
 *
 * Files:
 *   DIR/<stream>/.consumers/<name>        the consumer's committed offsets
 *   DIR/<stream>/.consumers/.tmp-<name>   a commit in progress (removed at writer open)
 * The directory starts with '.', so it is neither a partition nor a stream; names
 * cannot start with '.', so a temp file never collides with a consumer.
 *
 * Consumer file (little-endian, 16 + 8n bytes; a parser of bytes from disk, fuzzed by
 * consumer_file_fuzz.c):
 *   0       4   magic "FLCN"
 *   4       2   version 1
 *   6       2   0
 *   8       4   n: the partitions it holds (a stream's partitions only grow; more
 *               than the stream has is damage)
 *   12      8n  committed offset of partitions 0..n-1 (the next offset still needed)
 *   12+8n   4   CRC-32C of bytes [0, 12+8n)
 *
 * Commit protocol (cons->mu held throughout: the commits of one stream's consumers run
 * one at a time; appends and readers never take cons->mu):
 *
 *   IN MEMORY ──write .tmp-<name>, fdatasync──> TEMP DURABLE
 *     ──rename(.tmp-<name>, <name>), fsync .consumers/──> COMMITTED (what a restart loads)
 *     ──entry->committed = new, each floor = min over consumers (part->mu)──> FLOOR MOVED
 *
 *   crash before the rename:  the old file holds (and the old floor): retention keeps
 *                             more, never less; the stale temp is removed at next open
 *   crash after the rename:   the new offsets load at open and set the floors
 *   failed write/fsync:       FL_EIO/FL_ENOSPC, the temp is removed, memory unchanged
 * The floor moves only after the directory fsync, so retention never deletes a record
 * that the consumer reloaded after a crash would still need. Creating a consumer is a
 * commit of its start offsets (the directory is made and its parent fsynced first).
 * Delete: unlink <name>, fsync .consumers/, then the floors move (the minimum over the
 * others, or fl_log_set_retain_floor's value when none is left).
 *
 * Wake-up: one condition variable per stream (cons->wake_mu, wake_cond). publish() in
 * log.c calls fl_log_consumers_notify after it moved a partition's durable end and
 * released part->mu; notify broadcasts when someone waits. A waiter reads its
 * partitions' ends (part->mu) while holding wake_mu and sleeps on wake_cond, which
 * releases wake_mu atomically; the notifier needs wake_mu, so an end moved between
 * the check and the sleep still wakes the waiter (no lost wake-up, no polling). One
 * condition per stream rather than per partition lets one wait cover any set of
 * partitions; a waiter woken for another partition re-checks and sleeps again.
 * Close (of a consumer, or of the stream by fl_log_close) sets a flag, broadcasts and
 * waits on left_cond until the waiters concerned have left, before anything they
 * touch is freed.
 *
 * Lock order: cons->mu, then wake_mu, then one part->mu (never two partitions).
 * Ownership: the stream owns log_consumers and its entries; an open fl_log_consumer
 * is linked from its entry and freed by fl_log_consumer_close or, if still open, by
 * fl_log_close. Entry points: see log.h "consumers", and fl_log_consumers_* in
 * log_int.h for log.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/diag.h"
#include "core/fsync.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "log/log_int.h"

#define CONS_DIR ".consumers"
#define TMP_PREFIX ".tmp-"
#define FILE_MAGIC 0x4E434C46u /* "FLCN" */
#define FILE_VERSION 1
enum { FILE_HEAD = 12, FILE_CRC = 4, NAME_MAX_BYTES = 200, PARTITIONS_MAX = 100000 };

typedef struct cons_entry {
  struct cons_entry *next;
  char *name;
  uint64_t *committed;   /* npartitions; durable */
  fl_log_consumer *open; /* the open handle, or NULL */
  fl_metric **m_lag;     /* npartitions; NULL in a read-only log */
} cons_entry;

struct log_consumers {
  pthread_mutex_t mu; /* the list, commits, floors */
  cons_entry *list;
  uint32_t count;
  char *dir; /* DIR/<stream>/.consumers */
  fl_metric_family *f_lag;
  pthread_mutex_t wake_mu;
  pthread_cond_t wake_cond; /* a durable end moved, or a close */
  pthread_cond_t left_cond; /* a waiter left during a close */
  uint32_t nwaiters;        /* wake_mu */
  bool closing;             /* wake_mu: the stream is being freed */
};

struct fl_log_consumer {
  fl_log_stream *ls;
  cons_entry *e;
  uint64_t *pos;      /* read position per partition */
  fl_log_reader **rd; /* per partition, opened at pos on first use */
  fl_log_consumer_opts opts;
  bool closing, waiting; /* wake_mu */
  bool poked;            /* wake_mu: fl_log_consumer_poke, taken by the next wait */
};

/* ---------- the file ---------- */

unsigned char *fl_log_consumer_file_encode(const uint64_t *offsets, uint32_t n, size_t *len) {
  size_t body = FILE_HEAD + (size_t)n * 8;
  unsigned char *b = fl_malloc(body + FILE_CRC);
  fl_log_put32(b, FILE_MAGIC);
  fl_log_put16(b + 4, FILE_VERSION);
  fl_log_put16(b + 6, 0);
  fl_log_put32(b + 8, n);
  for (uint32_t i = 0; i < n; i++) fl_log_put64(b + FILE_HEAD + (size_t)i * 8, offsets[i]);
  fl_log_put32(b + body, fl_crc32c(0, b, body));
  *len = body + FILE_CRC;
  return b;
}

fl_code fl_log_consumer_file_decode(const unsigned char *buf, size_t len, const char *what,
                                    uint64_t **offsets, uint32_t *n, fl_err *err) {
  *offsets = NULL;
  *n = 0;
  if (len < FILE_HEAD + FILE_CRC)
    return fl_err_set(err, FL_ECORRUPT, "%s: %zu bytes, shorter than a consumer file", what, len);
  if (fl_log_get32(buf) != FILE_MAGIC) return fl_err_set(err, FL_ECORRUPT, "%s: not a consumer file", what);
  if (fl_log_get16(buf + 4) != FILE_VERSION)
    return fl_err_set(err, FL_ECORRUPT, "%s: consumer file version %u, expected %u", what,
                      fl_log_get16(buf + 4), FILE_VERSION);
  if (fl_log_get16(buf + 6) != 0) return fl_err_set(err, FL_ECORRUPT, "%s: reserved bytes are not 0", what);
  uint32_t cnt = fl_log_get32(buf + 8);
  if (cnt > PARTITIONS_MAX)
    return fl_err_set(err, FL_ECORRUPT, "%s: %u partitions, over the limit of %u", what, cnt, PARTITIONS_MAX);
  size_t body = FILE_HEAD + (size_t)cnt * 8;
  if (len != body + FILE_CRC)
    return fl_err_set(err, FL_ECORRUPT, "%s: %zu bytes, expected %zu for %u partitions", what, len,
                      body + FILE_CRC, cnt);
  if (fl_crc32c(0, buf, body) != fl_log_get32(buf + body))
    return fl_err_set(err, FL_ECORRUPT, "%s: CRC mismatch", what);
  uint64_t *v = fl_malloc((cnt ? cnt : 1) * sizeof *v);
  for (uint32_t i = 0; i < cnt; i++) v[i] = fl_log_get64(buf + FILE_HEAD + (size_t)i * 8);
  *offsets = v;
  *n = cnt;
  return FL_OK;
}

static bool name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > NAME_MAX_BYTES || s[0] == '.') return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-'))
      return false;
  }
  return true;
}

static char *cons_dir(const fl_log_stream *ls) { return fl_sprintf("%s/" CONS_DIR, ls->dir); }

static fl_code fsync_dir(const char *path, fl_err *err) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fl_err_errno(err, errno, "%s: open directory", path);
  int rc = fl_fsync(fd);
  int e = errno;
  close(fd);
  if (rc != 0) return fl_err_errno(err, e, "%s: fsync directory", path);
  return FL_OK;
}

/* Reads and decodes one consumer file into npartitions offsets (missing ones 0). */
static fl_code file_read(const char *path, uint32_t npartitions, uint64_t *out, fl_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fl_err_errno(err, errno, "%s: open", path);
  fl_code rc = FL_OK;
  struct stat st;
  unsigned char *buf = NULL;
  uint64_t *v = NULL;
  uint32_t n = 0;
  size_t max = FILE_HEAD + (size_t)PARTITIONS_MAX * 8 + FILE_CRC;
  if (fstat(fd, &st) != 0) {
    rc = fl_err_errno(err, errno, "%s: stat", path);
    goto done;
  }
  if ((uint64_t)st.st_size > max) {
    rc = fl_err_set(err, FL_ECORRUPT, "%s: %lld bytes, over any consumer file", path, (long long)st.st_size);
    goto done;
  }
  size_t len = (size_t)st.st_size, got = 0;
  buf = fl_malloc(len ? len : 1);
  while (got < len) {
    ssize_t r = pread(fd, buf + got, len - got, (off_t)got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      rc = r < 0 ? fl_err_errno(err, errno, "%s: read", path)
                 : fl_err_set(err, FL_EIO, "%s: short read", path);
      goto done;
    }
    got += (size_t)r;
  }
  if ((rc = fl_log_consumer_file_decode(buf, len, path, &v, &n, err))) goto done;
  if (n > npartitions) {
    rc = fl_err_set(err, FL_ECORRUPT, "%s: holds %u partitions, the stream has %u", path, n, npartitions);
    goto done;
  }
  for (uint32_t p = 0; p < npartitions; p++) out[p] = p < n ? v[p] : 0;
done:
  close(fd);
  fl_free(buf);
  fl_free(v);
  return rc;
}

/* Writes offsets to DIR/.consumers/<name> atomically (see the protocol above). */
static fl_code file_write(log_consumers *cons, const char *name, const uint64_t *offsets, uint32_t n,
                          fl_err *err) {
  size_t len;
  unsigned char *buf = fl_log_consumer_file_encode(offsets, n, &len);
  char *tmp = fl_sprintf("%s/" TMP_PREFIX "%s", cons->dir, name);
  char *path = fl_sprintf("%s/%s", cons->dir, name);
  fl_code rc = FL_OK;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    rc = fl_err_errno(err, errno, "%s: create", tmp);
    goto done;
  }
  size_t put = 0;
  while (put < len) {
    ssize_t w = write(fd, buf + put, len - put);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      rc = fl_err_errno(err, w < 0 ? errno : ENOSPC, "%s: write", tmp);
      break;
    }
    put += (size_t)w;
  }
  if (!rc && fl_fdatasync(fd) != 0) rc = fl_err_errno(err, errno, "%s: fdatasync", tmp);
  close(fd);
  if (!rc && rename(tmp, path) != 0) rc = fl_err_errno(err, errno, "%s: rename to %s", tmp, path);
  if (rc) {
    unlink(tmp);
    goto done;
  }
  rc = fsync_dir(cons->dir, err);
done:
  fl_free(buf);
  fl_free(tmp);
  fl_free(path);
  return rc;
}

/* ---------- floors, registry ---------- */

/* cons->mu held: each partition's floor = the minimum committed offset over the
 * consumers, or fl_log_set_retain_floor's value when there are none. */
static void floors_apply(fl_log_stream *ls) {
  log_consumers *cons = ls->cons;
  for (uint32_t p = 0; p < ls->npartitions; p++) {
    uint64_t min = UINT64_MAX;
    for (cons_entry *e = cons->list; e; e = e->next)
      if (e->committed[p] < min) min = e->committed[p];
    log_partition *part = &ls->parts[p];
    pthread_mutex_lock(&part->mu);
    part->consumer_floor = cons->list != NULL;
    part->floor = cons->list ? min : part->set_floor;
    pthread_mutex_unlock(&part->mu);
  }
}

static cons_entry *entry_find(log_consumers *cons, const char *name) {
  for (cons_entry *e = cons->list; e; e = e->next)
    if (!strcmp(e->name, name)) return e;
  return NULL;
}

static cons_entry *entry_add(fl_log_stream *ls, const char *name, uint64_t *committed) {
  log_consumers *cons = ls->cons;
  cons_entry *e = fl_calloc(1, sizeof *e);
  e->name = fl_strdup(name);
  e->committed = committed;
  if (cons->f_lag) {
    e->m_lag = fl_calloc(ls->npartitions, sizeof *e->m_lag);
    for (uint32_t p = 0; p < ls->npartitions; p++) {
      char pn[12];
      snprintf(pn, sizeof pn, "%u", p);
      e->m_lag[p] = FL_METRIC_WITH(cons->f_lag, ls->name, name, pn);
    }
  }
  e->next = cons->list;
  cons->list = e;
  cons->count++;
  return e;
}

static void entry_free(cons_entry *e) {
  fl_free(e->name);
  fl_free(e->committed);
  fl_free(e->m_lag);
  fl_free(e);
}

static uint64_t durable_end(log_partition *part) {
  pthread_mutex_lock(&part->mu);
  uint64_t end = part->nsegs ? part->segs[part->nsegs - 1].end_offset : 0;
  pthread_mutex_unlock(&part->mu);
  return end;
}

fl_code fl_log_consumers_init(fl_log_stream *ls, fl_err *err) {
  log_consumers *cons = fl_calloc(1, sizeof *cons);
  pthread_mutex_init(&cons->mu, NULL);
  pthread_mutex_init(&cons->wake_mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&cons->wake_cond, &ca);
  pthread_cond_init(&cons->left_cond, &ca);
  pthread_condattr_destroy(&ca);
  cons->dir = cons_dir(ls);
  ls->cons = cons;
  if (ls->log->opts.read_only) return FL_OK; /* listed and read from disk on demand */
  cons->f_lag = fl_metrics_gauge("floe_log_consumer_lag",
                                 "Records of a partition a named consumer has not committed yet (durable end "
                                 "minus its committed offset).",
                                 "stream,consumer,partition");
  DIR *d = opendir(cons->dir);
  if (!d && errno == ENOENT) return FL_OK;
  if (!d) return fl_err_errno(err, errno, "%s: open consumer directory", cons->dir);
  fl_code rc = FL_OK;
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *nm = de->d_name;
    if (!strncmp(nm, TMP_PREFIX, strlen(TMP_PREFIX))) { /* a commit cut short: the old file holds */
      char *tmp = fl_sprintf("%s/%s", cons->dir, nm);
      unlink(tmp);
      fl_free(tmp);
      continue;
    }
    if (nm[0] == '.') continue;
    if (!name_ok(nm)) {
      fl_warn("log", "%s/%s: not a consumer name, ignored", cons->dir, nm);
      continue;
    }
    char *path = fl_sprintf("%s/%s", cons->dir, nm);
    uint64_t *off = fl_malloc(ls->npartitions * sizeof *off);
    rc = file_read(path, ls->npartitions, off, err);
    fl_free(path);
    if (rc) {
      fl_free(off);
      fl_err_prefix(err,
                    "consumer %s of stream %s (its retain floor cannot be known; delete the file to "
                    "drop the consumer): ",
                    nm, ls->name);
      break;
    }
    entry_add(ls, nm, off);
  }
  closedir(d);
  if (!rc && cons->list) {
    pthread_mutex_lock(&cons->mu);
    floors_apply(ls);
    pthread_mutex_unlock(&cons->mu);
  }
  return rc;
}

void fl_log_consumers_free(fl_log_stream *ls) {
  log_consumers *cons = ls->cons;
  if (!cons) return;
  pthread_mutex_lock(&cons->wake_mu);
  cons->closing = true;
  pthread_cond_broadcast(&cons->wake_cond);
  while (cons->nwaiters) pthread_cond_wait(&cons->left_cond, &cons->wake_mu);
  pthread_mutex_unlock(&cons->wake_mu);
  for (cons_entry *e = cons->list, *next; e; e = next) {
    next = e->next;
    if (e->open) {
      fl_log_consumer *c = e->open;
      for (uint32_t p = 0; p < ls->npartitions; p++) fl_log_reader_close(c->rd[p]);
      fl_free(c->rd);
      fl_free(c->pos);
      fl_free(c);
    }
    entry_free(e);
  }
  pthread_cond_destroy(&cons->wake_cond);
  pthread_cond_destroy(&cons->left_cond);
  pthread_mutex_destroy(&cons->wake_mu);
  pthread_mutex_destroy(&cons->mu);
  fl_free(cons->dir);
  fl_free(cons);
  ls->cons = NULL;
}

void fl_log_consumers_notify(fl_log_stream *ls) {
  log_consumers *cons = ls->cons;
  pthread_mutex_lock(&cons->wake_mu);
  if (cons->nwaiters) pthread_cond_broadcast(&cons->wake_cond);
  pthread_mutex_unlock(&cons->wake_mu);
}

void fl_log_consumers_collect(fl_log_stream *ls) {
  log_consumers *cons = ls->cons;
  if (!cons || !cons->f_lag) return;
  pthread_mutex_lock(&cons->mu);
  for (uint32_t p = 0; p < ls->npartitions; p++) {
    uint64_t end = durable_end(&ls->parts[p]);
    for (cons_entry *e = cons->list; e; e = e->next)
      fl_metric_set(e->m_lag[p], (double)(end > e->committed[p] ? end - e->committed[p] : 0));
  }
  pthread_mutex_unlock(&cons->mu);
}

/* ---------- open, commit, delete ---------- */

fl_code fl_log_consumer_open(fl_log_stream *ls, const char *name, const fl_log_consumer_opts *opts,
                             fl_log_consumer **out, fl_err *err) {
  *out = NULL;
  log_consumers *cons = ls->cons;
  if (!name_ok(name))
    return fl_err_set(err, FL_EINVAL,
                      "consumer name \"%s\": use 1 to %d of [A-Za-z0-9_.-], not starting with '.'", name,
                      NAME_MAX_BYTES);
  if (ls->log->opts.read_only)
    return fl_err_set(err, FL_EINVAL, "stream %s: consumer %s: log opened read-only", ls->name, name);
  fl_code rc = FL_OK;
  pthread_mutex_lock(&cons->mu);
  cons_entry *e = entry_find(cons, name);
  if (e && e->open) {
    rc = fl_err_set(err, FL_ECONFLICT, "stream %s: consumer %s is already open", ls->name, name);
    goto done;
  }
  if (!e) {
    if (cons->count >= FL_LOG_CONSUMERS_MAX) {
      rc = fl_err_set(err, FL_ELIMIT, "stream %s: %u consumers, the limit; delete one first", ls->name,
                      cons->count);
      goto done;
    }
    uint64_t *off = fl_malloc(ls->npartitions * sizeof *off);
    for (uint32_t p = 0; p < ls->npartitions; p++) {
      uint64_t start, end;
      fl_log_partition_offsets(ls, p, &start, &end);
      off[p] = opts && opts->start_at_end ? end : start;
    }
    if (mkdir(cons->dir, 0755) == 0) {
      rc = fsync_dir(ls->dir, err);
    } else if (errno != EEXIST) {
      rc = fl_err_errno(err, errno, "%s: mkdir", cons->dir);
    }
    if (!rc) rc = file_write(cons, name, off, ls->npartitions, err);
    if (rc) {
      fl_free(off);
      fl_err_prefix(err, "stream %s: creating consumer %s: ", ls->name, name);
      goto done;
    }
    e = entry_add(ls, name, off);
    floors_apply(ls);
  }
  fl_log_consumer *c = fl_calloc(1, sizeof *c);
  c->ls = ls;
  c->e = e;
  c->pos = fl_malloc(ls->npartitions * sizeof *c->pos);
  memcpy(c->pos, e->committed, ls->npartitions * sizeof *c->pos);
  c->rd = fl_calloc(ls->npartitions, sizeof *c->rd);
  if (opts) c->opts = *opts;
  e->open = c;
  *out = c;
done:
  pthread_mutex_unlock(&cons->mu);
  return rc;
}

void fl_log_consumer_close(fl_log_consumer *c) {
  if (!c) return;
  fl_log_stream *ls = c->ls;
  log_consumers *cons = ls->cons;
  pthread_mutex_lock(&cons->wake_mu);
  c->closing = true;
  pthread_cond_broadcast(&cons->wake_cond);
  while (c->waiting) pthread_cond_wait(&cons->left_cond, &cons->wake_mu);
  pthread_mutex_unlock(&cons->wake_mu);
  pthread_mutex_lock(&cons->mu);
  c->e->open = NULL;
  pthread_mutex_unlock(&cons->mu);
  for (uint32_t p = 0; p < ls->npartitions; p++) fl_log_reader_close(c->rd[p]);
  fl_free(c->rd);
  fl_free(c->pos);
  fl_free(c);
}

void fl_log_consumer_poke(fl_log_consumer *c) {
  log_consumers *cons = c->ls->cons;
  pthread_mutex_lock(&cons->wake_mu);
  c->poked = true;
  pthread_cond_broadcast(&cons->wake_cond);
  pthread_mutex_unlock(&cons->wake_mu);
}

fl_code fl_log_consumer_delete(fl_log_stream *ls, const char *name, fl_err *err) {
  log_consumers *cons = ls->cons;
  if (ls->log->opts.read_only)
    return fl_err_set(err, FL_EINVAL, "stream %s: consumer %s: log opened read-only", ls->name, name);
  fl_code rc = FL_OK;
  pthread_mutex_lock(&cons->mu);
  cons_entry **pe = &cons->list;
  while (*pe && strcmp((*pe)->name, name)) pe = &(*pe)->next;
  cons_entry *e = *pe;
  if (!e) {
    rc = fl_err_set(err, FL_ENOENT, "stream %s: no consumer %s", ls->name, name);
    goto done;
  }
  if (e->open) {
    rc = fl_err_set(err, FL_ECONFLICT, "stream %s: consumer %s is open", ls->name, name);
    goto done;
  }
  char *path = fl_sprintf("%s/%s", cons->dir, name);
  if (unlink(path) != 0 && errno != ENOENT) rc = fl_err_errno(err, errno, "%s: delete", path);
  fl_free(path);
  if (!rc) rc = fsync_dir(cons->dir, err);
  if (rc) goto done;
  *pe = e->next;
  cons->count--;
  for (uint32_t p = 0; e->m_lag && p < ls->npartitions; p++) fl_metric_set(e->m_lag[p], 0);
  entry_free(e);
  floors_apply(ls);
done:
  pthread_mutex_unlock(&cons->mu);
  return rc;
}

const char *fl_log_consumer_name(const fl_log_consumer *c) { return c->e->name; }
fl_log_stream *fl_log_consumer_stream(const fl_log_consumer *c) { return c->ls; }

fl_code fl_log_consumer_commit(fl_log_consumer *c, const uint32_t *parts, const uint64_t *offsets, uint32_t n,
                               fl_err *err) {
  fl_log_stream *ls = c->ls;
  log_consumers *cons = ls->cons;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t p = parts ? parts[i] : i;
    if (p >= ls->npartitions)
      return fl_err_set(err, FL_EINVAL, "stream %s: consumer %s: partition %u out of range (0..%u)", ls->name,
                        c->e->name, p, ls->npartitions - 1);
  }
  pthread_mutex_lock(&cons->mu);
  uint64_t *off = fl_malloc(ls->npartitions * sizeof *off);
  memcpy(off, c->e->committed, ls->npartitions * sizeof *off);
  for (uint32_t i = 0; i < n; i++) off[parts ? parts[i] : i] = offsets[i];
  fl_code rc = file_write(cons, c->e->name, off, ls->npartitions, err);
  if (rc) {
    fl_free(off);
    fl_err_prefix(err, "stream %s: consumer %s: commit: ", ls->name, c->e->name);
  } else {
    fl_free(c->e->committed);
    c->e->committed = off;
    floors_apply(ls);
  }
  pthread_mutex_unlock(&cons->mu);
  return rc;
}

uint64_t fl_log_consumer_committed(const fl_log_consumer *c, uint32_t partition) {
  FL_ASSERT(partition < c->ls->npartitions);
  return c->e->committed[partition]; /* only this consumer's commits change it */
}

/* ---------- reading ---------- */

uint64_t fl_log_consumer_position(const fl_log_consumer *c, uint32_t partition) {
  FL_ASSERT(partition < c->ls->npartitions);
  return c->pos[partition];
}

void fl_log_consumer_seek(fl_log_consumer *c, uint32_t partition, uint64_t offset) {
  FL_ASSERT(partition < c->ls->npartitions);
  fl_log_reader_close(c->rd[partition]);
  c->rd[partition] = NULL;
  c->pos[partition] = offset;
}

/* Reports a damaged range a skipping consumer goes past (log + the caller's hook). */
static void consumer_damage(void *ctx, const fl_log_damage *d) {
  fl_log_consumer *c = ctx;
  fl_warn("log",
          "stream %s partition %u: consumer %s skips damaged offsets %" PRIu64 "..%" PRIu64
          " (%s bytes %" PRIu64 "..%" PRIu64 "): %s",
          d->stream, d->partition, c->e->name, d->offset, d->end_offset, d->file, d->pos, d->end_pos, d->why);
  if (c->opts.on_damage) c->opts.on_damage(c->opts.damage_ctx, d);
}

/* The partition's reader, opened at its position on first use. */
static fl_code consumer_reader(fl_log_consumer *c, uint32_t partition, fl_err *err) {
  fl_log_stream *ls = c->ls;
  if (partition >= ls->npartitions)
    return fl_err_set(err, FL_EINVAL, "stream %s: partition %u out of range (0..%u)", ls->name, partition,
                      ls->npartitions - 1);
  if (c->rd[partition]) return FL_OK;
  fl_code rc = fl_log_reader_open(ls, partition, c->pos[partition], &c->rd[partition], err);
  if (!rc && c->opts.skip_damaged) fl_log_reader_skip_damaged(c->rd[partition], consumer_damage, c);
  return rc;
}

static fl_code consumer_read_failed(fl_log_consumer *c, fl_code rc, fl_err *err) {
  fl_err_prefix(err, "stream %s: consumer %s: ", c->ls->name, c->e->name);
  if (rc == FL_ECORRUPT)
    fl_warn("log", "%s", err->msg); /* reported where operators look, not only returned */
  return rc;
}

fl_code fl_log_consumer_next(fl_log_consumer *c, uint32_t partition, fl_log_entry *out, bool *eof,
                             fl_err *err) {
  *eof = false;
  fl_code rc = consumer_reader(c, partition, err);
  if (rc) return rc;
  if ((rc = fl_log_reader_next(c->rd[partition], out, eof, err))) return consumer_read_failed(c, rc, err);
  if (!*eof) c->pos[partition] = out->offset + 1;
  return FL_OK;
}

fl_code fl_log_consumer_next_batch(fl_log_consumer *c, uint32_t partition, fl_log_batch_view *out, bool *eof,
                                   fl_err *err) {
  *eof = false;
  fl_code rc = consumer_reader(c, partition, err);
  if (rc) return rc;
  if ((rc = fl_log_reader_next_batch(c->rd[partition], out, eof, err)))
    return consumer_read_failed(c, rc, err);
  if (!*eof) c->pos[partition] = out->base_offset + out->count;
  return FL_OK;
}

/* The wait shared by both entry points; c may be NULL (then from[] are the positions). */
static fl_log_wait_result wait_core(fl_log_stream *ls, fl_log_consumer *c, const uint32_t *parts,
                                    const uint64_t *from, uint32_t n, int64_t timeout_ms, uint32_t *ready) {
  log_consumers *cons = ls->cons;
  if (!parts) n = ls->npartitions;
  int64_t due_ns = timeout_ms > 0 ? fl_mono_ns() + timeout_ms * 1000000 : 0;
  fl_log_wait_result res = FL_LOG_WAIT_TIMEOUT;
  pthread_mutex_lock(&cons->wake_mu);
  cons->nwaiters++;
  if (c) c->waiting = true;
  for (;;) {
    if (cons->closing || (c && c->closing)) {
      res = FL_LOG_WAIT_CLOSED;
      break;
    }
    if (c && c->poked) {
      c->poked = false;
      break; /* FL_LOG_WAIT_TIMEOUT: the caller looks at why itself */
    }
    bool found = false;
    for (uint32_t i = 0; i < n && !found; i++) {
      uint32_t p = parts ? parts[i] : i;
      FL_ASSERT(p < ls->npartitions, "stream %s: partition %u of %u", ls->name, p, ls->npartitions);
      uint64_t pos = c ? c->pos[p] : from[i];
      if (durable_end(&ls->parts[p]) > pos) {
        found = true;
        if (ready) *ready = p;
      }
    }
    if (found) {
      res = FL_LOG_WAIT_READY;
      break;
    }
    if (timeout_ms == 0) break;
    if (timeout_ms < 0) {
      pthread_cond_wait(&cons->wake_cond, &cons->wake_mu);
    } else {
      if (fl_mono_ns() >= due_ns) break;
      struct timespec ts = {.tv_sec = due_ns / 1000000000, .tv_nsec = due_ns % 1000000000};
      pthread_cond_timedwait(&cons->wake_cond, &cons->wake_mu, &ts);
    }
  }
  cons->nwaiters--;
  if (c) c->waiting = false;
  if (cons->closing || (c && c->closing)) pthread_cond_broadcast(&cons->left_cond);
  pthread_mutex_unlock(&cons->wake_mu);
  return res;
}

fl_log_wait_result fl_log_consumer_wait(fl_log_consumer *c, const uint32_t *parts, uint32_t n,
                                        int64_t timeout_ms, uint32_t *ready) {
  return wait_core(c->ls, c, parts, NULL, n, timeout_ms, ready);
}

fl_log_wait_result fl_log_wait(fl_log_stream *ls, const uint32_t *parts, const uint64_t *from, uint32_t n,
                               int64_t timeout_ms, uint32_t *ready) {
  FL_ASSERT(parts || n == ls->npartitions, "fl_log_wait: parts NULL needs from[] for every partition");
  return wait_core(ls, NULL, parts, from, n, timeout_ms, ready);
}

/* ---------- listing (read-only too) ---------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

fl_code fl_log_consumer_list(fl_log_stream *ls, char ***names, uint32_t *n, fl_err *err) {
  *names = NULL;
  *n = 0;
  const char *dir = ls->cons->dir;
  DIR *d = opendir(dir);
  if (!d && errno == ENOENT) return FL_OK;
  if (!d) return fl_err_errno(err, errno, "%s: open consumer directory", dir);
  char **v = NULL;
  uint32_t cnt = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!name_ok(de->d_name)) continue;
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

fl_code fl_log_consumer_load(fl_log_stream *ls, const char *name, uint64_t *offsets, fl_err *err) {
  if (!name_ok(name)) return fl_err_set(err, FL_EINVAL, "consumer name \"%s\" is not valid", name);
  char *path = fl_sprintf("%s/%s", ls->cons->dir, name);
  fl_code rc = file_read(path, ls->npartitions, offsets, err);
  fl_free(path);
  if (rc) fl_err_prefix(err, "stream %s: consumer %s: ", ls->name, name);
  return rc;
}
