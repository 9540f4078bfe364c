/* log: floe's durable event log (the seed's "Kafka"), one public header.
 *
 * A log directory holds streams; a stream holds partitions; a partition is a
 * sequence of segment files of CRC32C-checked record batches (layout: log_wire.h):
 *
 *   DIR/<stream>/<partition>/<20-digit base offset>.log
 *
 * Offsets are per partition, dense, from 0. A record is an opaque byte string (the
 * server stores each event's raw JSON text); each batch carries its append time (ms).
 *
 * Writes: one log thread per fl_log owns every write. fl_log_append copies the
 * records into one encoded batch (on the caller's thread), queues it and returns;
 * the log thread drains the queue, writes each partition's batches with one writev,
 * then makes ONE fdatasync for the whole group whatever it touched (group commit:
 * many appends share one fsync; a group over several partitions or streams syncs one
 * write-ahead file holding the same bytes, DIR/.wal-0|1, see wal.c), and only then
 * calls each append's done callback ON THE LOG THREAD with the offsets it got. A callback must be short and must not call fl_log_append_sync or
 * fl_log_close (it may call fl_log_append). fl_log_append_sync waits for its own.
 *
 * Reads: a reader sees only durable (fsynced) batches, never a torn one, and reads
 * across segment boundaries; reaching the end is `eof`, and a later call may return
 * records appended since (tailing).
 *
 * Recovery: fl_log_open (writer) first writes the write-ahead files' frames back
 * into their segments; then (fl_log_stream_open) the tail of each partition's last segment is
 * checked batch by batch; the first bad batch (short, bad magic, bad CRC, wrong base
 * offset) and everything after it are truncated away; every complete batch is kept.
 *
 * Retention (per stream, by age and size) deletes whole segments, never the active
 * one and never one holding an offset >= the partition's retain floor. The floor
 * starts at 0 (nothing deletable) until the consumer sets it with
 * fl_log_set_retain_floor after its checkpoint; UINT64_MAX disables the floor.
 *
 * Disk full: an append whose write or fsync fails completes with FL_ENOSPC / FL_EIO;
 * the partial bytes are truncated away (the file is back at its last durable size)
 * and later appends work again once space returns.
 *
 * Thread safety: fl_log_append, readers (one reader per thread), the stat calls,
 * retention and the retain floor may be used from any thread concurrently.
 * fl_log_stream handles are owned by the fl_log (freed by fl_log_close); opening
 * the same stream twice returns the same handle. */
#ifndef FL_LOG_LOG_H
#define FL_LOG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct fl_log fl_log;
typedef struct fl_log_stream fl_log_stream;
typedef struct fl_log_reader fl_log_reader;

typedef struct fl_log_opts {
  uint64_t segment_bytes;        /* roll a segment past this size; 0 = 128 MiB */
  uint32_t index_interval_bytes; /* sparse index: one entry per this many bytes; 0 = 64 KiB */
  uint64_t queue_bytes_max;      /* fl_log_append fails FL_ELIMIT past this much queued; 0 = 256 MiB */
  int64_t retention_check_ms;    /* the retention thread's full pass period (size limits also
                                    apply at every segment roll); 0 = 60000, <0 no automatic retention */
  bool read_only;                /* readers only: no log thread, no lock, no truncation (floe log) */
  uint64_t wal_switch_bytes;     /* move to the other write-ahead file past this size; 0 = 64 MiB */
  int64_t wal_switch_ms;         /* ... or once it is this old; 0 = 1000, <0 never (tests) */
  bool wal_every_group;          /* tests: a frame even for a group that touched one partition (whose
                                    segment is otherwise synced directly): no segment sync at commit */
} fl_log_opts;

/* Opens (creating if needed, unless read_only) the log in dir, locks it against a
 * second writer process (flock on DIR/.lock) and starts the log thread. opts may be NULL. */
fl_code fl_log_open(const char *dir, const fl_log_opts *opts, fl_log **out, fl_err *err);
/* Completes every queued append (callbacks run), stops the thread, frees everything. */
void fl_log_close(fl_log *log);

/* Creates or opens a stream with npartitions partitions and recovers each
 * partition's torn tail. npartitions = 0 opens an existing stream with the count on
 * disk (FL_ENOENT if none); fewer than on disk is FL_EINVAL; more than on disk adds
 * the missing partitions (this also completes a creation cut short by a crash).
 * Stream names: [A-Za-z0-9_.-], not starting with '.', at most 200 bytes. */
fl_code fl_log_stream_open(fl_log *log, const char *stream, uint32_t npartitions, fl_log_stream **out,
                           fl_err *err);
uint32_t fl_log_stream_npartitions(const fl_log_stream *ls);
const char *fl_log_stream_name(const fl_log_stream *ls);
/* Names of the streams in the log directory (sorted); free with fl_log_names_free. */
fl_code fl_log_stream_list(fl_log *log, char ***names, uint32_t *n, fl_err *err);
void fl_log_names_free(char **names, uint32_t n);

typedef struct fl_log_record {
  const void *value;
  uint32_t value_len;
} fl_log_record;

/* Called once per append, on the log thread, after its batch is durable (rc FL_OK)
 * or has failed (FL_ENOSPC, FL_EIO; base_offset is then 0). */
typedef void (*fl_log_done_fn)(void *ctx, fl_code rc, uint32_t partition, uint64_t base_offset, uint32_t n);

/* Queues n >= 1 records (copied; the caller's memory is free on return) as one batch.
 * Returns FL_EINVAL (bad partition, n = 0, batch over FL_LOG_BATCH_PAYLOAD_MAX),
 * FL_ELIMIT (queue full: back-pressure, retry later) or FL_EIO (log closing or broken);
 * on a non-OK return `done` is never called. */
fl_code fl_log_append(fl_log_stream *ls, uint32_t partition, const fl_log_record *recs, uint32_t n,
                      fl_log_done_fn done, void *ctx, fl_err *err);
/* Appends and waits for durability; *base_offset (may be NULL) gets the first offset. */
fl_code fl_log_append_sync(fl_log_stream *ls, uint32_t partition, const fl_log_record *recs, uint32_t n,
                           uint64_t *base_offset, fl_err *err);

/* One record as a reader returns it; value points into the reader's buffer and stays
 * valid until the next fl_log_reader_next or fl_log_reader_close. */
typedef struct fl_log_entry {
  const void *value;
  uint32_t value_len;
  uint64_t offset;
  int64_t append_time_ms;
} fl_log_entry;

/* A reader from from_offset (clamped up to the partition's start offset: records
 * removed by retention are skipped). */
fl_code fl_log_reader_open(fl_log_stream *ls, uint32_t partition, uint64_t from_offset, fl_log_reader **out,
                           fl_err *err);
/* Next durable record into *out, or *eof = true when none is available now.
 * FL_ECORRUPT if a segment below the durable end is damaged. */
fl_code fl_log_reader_next(fl_log_reader *rd, fl_log_entry *out, bool *eof, fl_err *err);
void fl_log_reader_close(fl_log_reader *rd);

/* Durable offsets of a partition: [start, end) (end = the next offset to assign). */
fl_code fl_log_partition_offsets(fl_log_stream *ls, uint32_t partition, uint64_t *start, uint64_t *end);

typedef struct fl_log_partition_stat {
  uint64_t start_offset, end_offset; /* durable [start, end) */
  uint64_t bytes;                    /* durable bytes in all segments */
  uint32_t segments;
  int64_t oldest_append_ms; /* append time of the first record, 0 if empty */
} fl_log_partition_stat;
fl_code fl_log_partition_stat_get(fl_log_stream *ls, uint32_t partition, fl_log_partition_stat *out);

/* Retention: keep segments younger than retention_ms (age = now - the segment's last
 * append time; 0 = no age limit) and at most retention_bytes per partition (0 = no
 * size limit). Stored in memory; the server sets it from the stream's WITH options. */
void fl_log_stream_retention_set(fl_log_stream *ls, int64_t retention_ms, uint64_t retention_bytes);
void fl_log_set_retain_floor(fl_log_stream *ls, uint32_t partition, uint64_t offset);
/* Runs retention on every stream now (the retention thread also runs it periodically);
 * *segments_deleted (may be NULL) counts the files removed. */
fl_code fl_log_retention_run(fl_log *log, int64_t now_ms, uint64_t *segments_deleted, fl_err *err);

/* Counters since fl_log_open, for metrics. */
typedef struct fl_log_stats {
  uint64_t appends;      /* completed appends (ok or failed) */
  uint64_t batches;      /* batches written durably */
  uint64_t records;      /* records written durably */
  uint64_t bytes;        /* bytes written durably (headers included) */
  uint64_t fsyncs;       /* fsync calls on the group-commit path: one per group, + 2 per segment roll */
  uint64_t groups;       /* group commits (queue drains) */
  uint64_t errors;       /* appends completed with an error */
  uint64_t queued_bytes; /* bytes queued now, not yet durable */
  uint64_t group_fsyncs_max;  /* most fsyncs one group commit made (1; + 2 per segment it rolled) */
  uint64_t roll_fsyncs;       /* of fsyncs: the rolls' (sealed segment + new file's directory) */
  uint64_t background_fsyncs; /* segment and write-ahead syncs off the commit path (sync thread, close) */
  uint64_t wal_switches;      /* times the log moved to the other write-ahead file */
  uint64_t wal_bytes;         /* bytes in the active write-ahead file */
} fl_log_stats;
void fl_log_stats_get(fl_log *log, fl_log_stats *out);

/* Test hook: the next `count` segment writes fail with errno `errnum` (ENOSPC, EIO)
 * after writing half their bytes, as a full disk would. count 0 turns it off. */
void fl_log_test_fail_writes(fl_log *log, int errnum, uint32_t count);

#endif
