/* retention: deleting old segments of the event log (log.h).
 *
 * Per partition, oldest first, a segment is deleted when
 *   - it is not the active (last) segment,
 *   - every offset in it is below the partition's retain floor (its end offset, the
 *     next segment's base, is <= floor): the consumer has checkpointed past it,
 *   - and it is too old (now - its newest append > retention_ms) or the partition is
 *     over retention_bytes.
 * Deletion stops at the first segment that must stay, so a partition's offsets stay
 * one contiguous range [start, end). The segment leaves the array under part->mu
 * before its file is unlinked; a reader holding it open keeps reading its fd.
 *
 * Two callers apply it. The log thread, right after it rolls a segment, trims that
 * partition in memory (fl_log_retention_after_roll: part->mu only, no I/O) and queues
 * the files on log->doomed; the retention thread (log.c) unlinks them and runs the
 * whole pass, fl_log_retention_run, every retention_check_ms (age limits, floors
 * raised since). So a partition under steady appends stays within retention_bytes
 * plus its active segment, and no unlink delays a group commit.
 *
 * Entry points: fl_log_stream_retention_set, fl_log_set_retain_floor,
 * fl_log_retention_run, fl_log_retention_after_roll, fl_log_retention_unlink_doomed. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/mem.h"
#include "core/time.h"
#include "log/log_int.h"

void fl_log_stream_retention_set(fl_log_stream *ls, int64_t retention_ms, uint64_t retention_bytes) {
  __atomic_store_n(&ls->retention_ms, retention_ms, __ATOMIC_RELAXED);
  __atomic_store_n(&ls->retention_bytes, retention_bytes, __ATOMIC_RELAXED);
}

void fl_log_set_retain_floor(fl_log_stream *ls, uint32_t partition, uint64_t offset) {
  FL_ASSERT(partition < ls->npartitions, "stream %s: partition %u of %u", ls->name, partition,
            ls->npartitions);
  log_partition *part = &ls->parts[partition];
  pthread_mutex_lock(&part->mu);
  part->set_floor = offset;
  if (!part->consumer_floor) part->floor = offset; /* named consumers hold it while there are any */
  pthread_mutex_unlock(&part->mu);
}

/* Removes deletable segments of one partition from its array; returns their bases. */
static uint32_t partition_trim(log_partition *part, int64_t now_ms, int64_t retention_ms,
                               uint64_t retention_bytes, uint64_t **bases) {
  uint32_t ndel = 0;
  pthread_mutex_lock(&part->mu);
  uint64_t total = 0;
  for (uint32_t i = 0; i < part->nsegs; i++) total += part->segs[i].bytes;
  while (ndel + 1 < part->nsegs) {
    const segment *seg = &part->segs[ndel];
    uint64_t end = part->segs[ndel + 1].base;
    if (end > part->floor) break;
    bool old = retention_ms > 0 && now_ms - seg->last_append_ms > retention_ms;
    bool big = retention_bytes > 0 && total > retention_bytes;
    if (!old && !big) break;
    total -= seg->bytes;
    ndel++;
  }
  if (ndel) {
    *bases = fl_malloc(ndel * sizeof **bases);
    for (uint32_t i = 0; i < ndel; i++) {
      (*bases)[i] = part->segs[i].base;
      fl_free(part->segs[i].idx);
    }
    memmove(part->segs, part->segs + ndel, (part->nsegs - ndel) * sizeof *part->segs);
    part->nsegs -= ndel;
  }
  pthread_mutex_unlock(&part->mu);
  return ndel;
}

void fl_log_retention_after_roll(fl_log_stream *ls, log_partition *part) {
  int64_t age = __atomic_load_n(&ls->retention_ms, __ATOMIC_RELAXED);
  uint64_t size = __atomic_load_n(&ls->retention_bytes, __ATOMIC_RELAXED);
  if (age <= 0 && size == 0) return;
  uint64_t *bases = NULL;
  uint32_t n = partition_trim(part, fl_now_ms(), age, size, &bases);
  if (!n) return;
  fl_log *log = ls->log;
  pthread_mutex_lock(&log->mu);
  if (log->ndoomed + n > log->doomed_cap) {
    log->doomed_cap = (log->ndoomed + n) * 2;
    log->doomed = fl_realloc(log->doomed, log->doomed_cap * sizeof *log->doomed);
  }
  for (uint32_t i = 0; i < n; i++) log->doomed[log->ndoomed++] = fl_log_segment_path(part, bases[i]);
  fl_metric_add(ls->m_deleted, n);
  log->retention_wake = true;
  pthread_cond_signal(&log->retention_cond);
  pthread_mutex_unlock(&log->mu);
  fl_free(bases);
}

void fl_log_retention_unlink_doomed(fl_log *log) {
  pthread_mutex_lock(&log->mu);
  char **paths = log->doomed;
  uint32_t n = log->ndoomed;
  log->doomed = NULL;
  log->ndoomed = log->doomed_cap = 0;
  pthread_mutex_unlock(&log->mu);
  for (uint32_t i = 0; i < n; i++) {
    if (unlink(paths[i]) != 0 && errno != ENOENT)
      fl_warn("log", "retention: delete segment %s: %s", paths[i], strerror(errno));
    else
      fl_info("log", "retention: deleted %s", paths[i]);
    fl_free(paths[i]);
  }
  fl_free(paths);
}

fl_code fl_log_retention_run(fl_log *log, int64_t now_ms, uint64_t *segments_deleted, fl_err *err) {
  fl_code rc = FL_OK;
  uint64_t deleted = 0;
  if (log->opts.read_only) return fl_err_set(err, FL_EINVAL, "log %s: opened read-only", log->dir);
  pthread_mutex_lock(&log->retention_mu);
  pthread_mutex_lock(&log->mu);
  fl_log_stream *streams = log->streams; /* the list only grows at its head: safe to walk unlocked */
  pthread_mutex_unlock(&log->mu);
  for (fl_log_stream *ls = streams; ls; ls = ls->next) {
    int64_t age = __atomic_load_n(&ls->retention_ms, __ATOMIC_RELAXED);
    uint64_t size = __atomic_load_n(&ls->retention_bytes, __ATOMIC_RELAXED);
    if (age <= 0 && size == 0) continue;
    for (uint32_t p = 0; p < ls->npartitions; p++) {
      uint64_t *bases = NULL;
      uint32_t n = partition_trim(&ls->parts[p], now_ms, age, size, &bases);
      for (uint32_t i = 0; i < n; i++) {
        char *path = fl_log_segment_path(&ls->parts[p], bases[i]);
        if (unlink(path) != 0 && errno != ENOENT && !rc)
          rc = fl_err_errno(err, errno, "%s: delete segment", path);
        else
          fl_info("log", "retention: deleted %s", path);
        fl_free(path);
        deleted++;
        fl_metric_add(ls->m_deleted, 1);
      }
      fl_free(bases);
    }
  }
  pthread_mutex_unlock(&log->retention_mu);
  if (segments_deleted) *segments_deleted = deleted;
  return rc;
}
