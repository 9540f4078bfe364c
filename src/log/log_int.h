/* log_int: the event log's private structures, shared by log.c (open, append, the
 * log thread), segment.c (batch encode/check, segment scan), reader.c and
 * retention.c. Not for other modules: they use log.h.
 *
 * Locking (always in this order, never two partitions at once):
 *   log->mu        the append queue, the stream list, closing
 *   part->mu       a partition's segment array and its durable fields (bytes,
 *                  end_offset, index), the retain floor; held briefly, never across I/O
 * Fields marked [lt] are touched by the log thread only (or by stream open before
 * the partition is visible to the log thread). */
#ifndef FL_LOG_LOG_INT_H
#define FL_LOG_LOG_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/metrics.h"
#include "log/log.h"
#include "log/log_wire.h"

typedef struct idx_entry {
  uint64_t offset; /* base offset of a batch */
  uint64_t pos;    /* its byte position in the segment file */
} idx_entry;

typedef struct segment {
  uint64_t base;           /* base offset (the file name) */
  uint64_t end_offset;     /* one past the last durable record */
  uint64_t bytes;          /* durable bytes (readers stop here) */
  int64_t last_append_ms;  /* newest batch's time (file mtime for unscanned segments) */
  int64_t first_append_ms; /* oldest batch's time, 0 if unknown */
  idx_entry *idx;          /* sparse index, ascending; idx[0] = {base, 0} once built */
  uint32_t nidx, idx_cap;
  bool indexed; /* idx covers the whole segment (built by a scan or by appends) */
} segment;

typedef struct log_append log_append;

typedef struct log_partition {
  pthread_mutex_t mu;
  uint32_t id;
  char *dir;     /* DIR/<stream>/<p> */
  segment *segs; /* ascending base; the last one is active */
  uint32_t nsegs, segs_cap;
  uint64_t floor;                         /* retain floor: segments holding offsets >= floor are kept */
  int fd;                                 /* [lt] active segment, -1 in read-only mode */
  uint64_t next_offset;                   /* [lt] next offset to assign */
  uint64_t write_pos;                     /* [lt] durable size of the active segment */
  bool broken;                            /* [lt] an fsync failed and could not be undone: appends fail EIO */
  log_append *pend, *pend_tail;           /* [lt] this group's appends */
  bool touched;                           /* [lt] */
  struct log_partition *tnext;            /* [lt] next touched partition of this group */
  uint64_t group_next;                    /* [lt] next offset after this group's records */
  int group_rc;                           /* [lt] this group's outcome (fl_code) */
  fl_metric *m_bytes, *m_oldest, *m_next; /* gauges set by the log's metrics collector */
  uint64_t group_end;                     /* [lt] write position after this group's bytes */
  uint64_t set_floor;                     /* fl_log_set_retain_floor's value (part->mu) */
  bool consumer_floor;                    /* floor is the minimum over named consumers (part->mu) */
  uint64_t wal_gen;                       /* [lt] write-ahead generation it was last written in (wal.c) */
  uint64_t kicked_pos;                    /* [lt] active segment bytes whose writeback was started */
} log_partition;

typedef struct log_consumers log_consumers;

struct fl_log_stream {
  fl_log *log;
  char *name;
  char *dir; /* DIR/<stream> */
  uint32_t npartitions;
  log_partition *parts;
  int64_t retention_ms; /* atomics: set from any thread */
  uint64_t retention_bytes;
  int compression_level; /* atomic: codec level of appended payloads, 0 = off (wire.c) */
  int codec;             /* atomic: fl_log_codec of appended payloads (codec.c) */
  fl_log_stream *next;   /* log->streams list */
  fl_metric *m_appends, *m_records, *m_bytes, *m_errors, *m_deleted; /* series of this stream */
  uint64_t ndamaged;   /* damaged ranges found at open (verify.c), set before the stream is visible */
  log_consumers *cons; /* consumer.c: named consumers, waiters */
};

struct log_append {
  log_append *next;
  fl_log_stream *ls;
  uint32_t partition, n;
  fl_log_done_fn done;
  void *ctx;
  uint32_t payload_crc;
  size_t len;           /* header + payload bytes (as stored: compressed) */
  size_t raw_len;       /* header + payload bytes uncompressed */
  unsigned char *bytes; /* the encoded batch; base offset and crc filled by the log thread */
};

struct fl_log {
  char *dir;
  fl_log_opts opts;
  int lock_fd;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  pthread_t thread;
  bool thread_started, closing;
  log_append *queue, *queue_tail;
  uint64_t queued_bytes;
  fl_log_stream *streams;
  pthread_mutex_t retention_mu;  /* one retention run at a time */
  pthread_t retention_thread;    /* runs retention on its own timer, unlinks after rolls */
  pthread_cond_t retention_cond; /* with mu: wakes the retention thread */
  bool retention_started, retention_wake, retention_stop;
  char **doomed; /* under mu: segment files trimmed at a roll, for the retention thread to unlink */
  uint32_t ndoomed, doomed_cap;
  pthread_mutex_t open_mu; /* serialises fl_log_stream_open (it does I/O) */
  int64_t next_retention_ms;
  fl_log_stats stats;                                                              /* __atomic updates */
  fl_metric *m_fsyncs, *m_groups, *m_group_seconds, *m_queue_bytes, *m_queue_full; /* NULL read-only */
  fl_metric_family *f_appends, *f_records, *f_bytes, *f_errors, *f_deleted;
  fl_metric_family *f_part_bytes, *f_part_oldest, *f_part_next;
  fl_metric_family *f_damaged; /* floe_log_damaged_ranges{stream} (verify.c) */
  bool collecting;             /* log_collect is registered with the metrics registry */
  int fail_errno;              /* test hook */
  uint32_t fail_count;
  struct log_wal *wal;   /* write-ahead files (wal.c); NULL read-only */
  uint32_t group_fsyncs; /* [lt] fdatasyncs of the group being committed */
  fl_metric *m_bg_fsyncs, *m_group_fsyncs_max, *m_roll_fsyncs; /* NULL read-only */
};

/* ---- segment.c ---- */

/* A read window over a file: pread in chunks, so scanning small batches is not a
 * syscall per header. */
typedef struct rbuf {
  int fd;
  unsigned char *buf;
  size_t cap;
  uint64_t win_pos;
  size_t win_len;
} rbuf;
void rbuf_init(rbuf *rb, int fd);
void rbuf_free(rbuf *rb);
/* Makes [pos, pos+n) (within limit) available at *out: 1 ok, 0 past limit or EOF, -1 read error (errno). */
int rbuf_get(rbuf *rb, uint64_t pos, size_t n, uint64_t limit, const unsigned char **out);

/* ---- wire.c ---- */

/* The most bytes n records can take as a v3 payload (uncompressed), which the caller
 * bounds by FL_LOG_BATCH_PAYLOAD_MAX; *values = the sum of their value lengths. */
uint64_t fl_log_batch_payload_max(const fl_log_record *recs, uint32_t n, uint64_t *values);
/* Bytes of the v3 batch of n records stored uncompressed, header included (tests). */
uint64_t fl_log_batch_raw_bytes(const fl_log_record *recs, uint32_t n);
/* Encodes n records (values_len = the sum of their value lengths, from
 * fl_log_batch_payload_max, whose result is <= FL_LOG_BATCH_PAYLOAD_MAX) as one v3
 * batch: the record heads uncompressed, the values compressed with codec
 * (FL_LOG_COMPRESSION_*, codec.h) at `level` (0 or codec NONE = off) when that shrinks
 * them: one allocation (the append with its bytes, len, raw_len, n, payload_crc set;
 * base offset and crc left 0), NULL when out of memory. Runs on the appending thread. */
log_append *fl_log_batch_encode(const fl_log_record *recs, uint32_t n, uint64_t values_len, int codec,
                                int level, int64_t now_ms);
/* Checks a batch header (not the CRC), v1, v2 or v3: 0 ok, else a static reason. */
const char *fl_log_batch_header_check(const unsigned char *hdr, uint64_t expected_base);
/* A reader's decoded batch: decompression buffer, and the entries (views of the
 * records) of the last batch decoded with entries (all grown as needed, never
 * shrunk; freed by _free). The decompression contexts are per thread (codec.c). */
typedef struct log_scratch {
  unsigned char *buf;
  size_t cap;
  fl_log_entry *ents;
  uint32_t ents_cap;
} log_scratch;
void fl_log_scratch_free(log_scratch *s);
/* Checks the CRC (over the stored payload), decompresses a compressed payload into s
 * and checks that the records exactly fill the raw payload. With `entries`, the same
 * walk fills s->ents[0 .. count) (count from hdr) with views of the records (into
 * payload itself, or s->buf), offsets base, base + 1, ... Without `values`, a v3
 * batch's compressed values are neither decompressed nor checked and its entries'
 * values are NULL (their other fields filled from the head block). 0 ok, else a
 * static reason (s->ents then holds nothing usable). */
const char *fl_log_batch_body_decode(const unsigned char *hdr, const unsigned char *payload, log_scratch *s,
                                     uint64_t base, bool entries, bool values);
/* fl_log_batch_body_decode with a temporary scratch and no entries. */
const char *fl_log_batch_body_check(const unsigned char *hdr, const unsigned char *payload);

/* ---- segment.c ---- */

/* Adds an index entry if pos is at least interval past the last one. */
void fl_log_segment_index_add(segment *seg, uint64_t offset, uint64_t pos, uint32_t interval);
/* The position of the batch holding `offset` or the nearest indexed batch before it. */
uint64_t fl_log_segment_index_lookup(const segment *seg, uint64_t offset);
char *fl_log_segment_path(const log_partition *part, uint64_t base);

/* ---- verify.c ---- */

/* Walks a segment file from byte 0 to limit with offsets from seg->base: full checks
 * every batch (CRC, framing), else headers only (payloads unread, fast open of sealed
 * segments). After a bad batch it looks for the next valid batch (resync) and goes on
 * from there: each such range is passed to fn (d->file = path). Fills seg->end_offset
 * (one past the last valid record), seg->bytes (end of the last valid batch: what
 * follows is a tail with no valid batch), the index (an entry at every resync point),
 * times. *tail_why is the reason the tail is bad (NULL: no bad tail). */
fl_code fl_log_segment_walk(int fd, const char *path, uint64_t limit, bool full, uint32_t index_interval,
                            segment *seg, fl_log_damage_fn fn, void *ctx, const char **tail_why, fl_err *err);
/* The first position q in [pos, limit) where a complete valid batch with base >=
 * min_base starts: 1 found (*q, *base), 0 none, -1 read error (errno). */
int fl_log_resync(rbuf *rb, uint64_t pos, uint64_t limit, uint64_t min_base, uint64_t *q, uint64_t *base);
/* Writer recovery: copies bytes [from, to) of a segment to "<path>.damaged-<from>"
 * (kept, never deleted by floe) before they are cut or left behind. */
fl_code fl_log_damage_copy_aside(int fd, const char *path, uint64_t from, uint64_t to, fl_err *err);
/* Opens the segment files of a partition (bases ascending, n >= 1) with segment_push
 * semantics: checks names' contiguity (an overlap is FL_ECORRUPT; a gap is a damaged
 * range), walks sealed segments' headers and the last segment fully, reports each
 * damaged range (fl_warn, ls->ndamaged); a writer copies damaged bytes of the last
 * segment aside, cuts its torn tail (copied aside first) and leaves it open in
 * part->fd with write_pos and next_offset after its last valid batch. */
fl_code fl_log_partition_recover(fl_log *log, fl_log_stream *ls, log_partition *part, const uint64_t *bases,
                                 size_t n, fl_err *err);
/* stream.json: the partition count kept in the stream's own directory. */
fl_code fl_log_stream_meta_read(const char *dir, uint32_t *npartitions, bool *found, fl_err *err);
fl_code fl_log_stream_meta_write(const char *dir, uint32_t npartitions, fl_err *err);

/* ---- retention.c ---- */
/* Log thread, right after rolling `part`: applies the stream's size and age limits in
 * memory (part->mu, no I/O) and queues the trimmed files on log->doomed. */
void fl_log_retention_after_roll(fl_log_stream *ls, log_partition *part);
/* Retention thread: unlinks every queued file. */
void fl_log_retention_unlink_doomed(fl_log *log);

/* ---- consumer.c ---- */
/* Stream open: loads the stored consumers (writer: applies their floors). */
fl_code fl_log_consumers_init(fl_log_stream *ls, fl_err *err);
/* Stream free: wakes every waiter, waits until they left, frees open consumers. */
void fl_log_consumers_free(fl_log_stream *ls);
/* Log thread, after publish() moved a durable end: wakes the stream's waiters. */
void fl_log_consumers_notify(fl_log_stream *ls);
/* Metrics collector: each consumer's lag per partition. */
void fl_log_consumers_collect(fl_log_stream *ls);
/* The consumer file (bytes in consumer.c): encode n offsets (fl_malloc'd, *len), and
 * decode, checking magic, version, length and CRC; *offsets fl_malloc'd. */
unsigned char *fl_log_consumer_file_encode(const uint64_t *offsets, uint32_t n, size_t *len);
fl_code fl_log_consumer_file_decode(const unsigned char *buf, size_t len, const char *what,
                                    uint64_t **offsets, uint32_t *n, fl_err *err);
/* ---- wal.c ---- */
typedef struct log_wal log_wal;
/* Writer open, before any stream: replays both write-ahead files into their segments,
 * syncs those, gives both files a fresh turn (preallocated, new header) and starts the
 * sync thread. */
fl_code fl_log_wal_open(fl_log *log, fl_err *err);
/* Log thread, after the group's segment writes: one frame per partition whose writes
 * succeeded (group_rc == 0), ONE pwritev and ONE fdatasync. Not OK: nothing of this
 * group is in the write-ahead file (the caller undoes the segment writes). */
fl_code fl_log_wal_commit(fl_log *log, log_partition *touched);
/* Read-only open: counts (stats.wal_pending_bytes) and reports the acknowledged bytes
 * that only a write-ahead frame holds, without writing anything. */
void fl_log_wal_check(fl_log *log);
/* Log thread, after a group: moves to the other file when the active one is due. */
void fl_log_wal_after_group(fl_log *log);
/* After the log thread stopped: stops the sync thread, syncs the active segments and
 * writes a new header in the active file (a clean close leaves nothing to replay). */
void fl_log_wal_close(fl_log *log);

/* ---- log.c ---- */
uint64_t fl_log_segment_bytes(const fl_log *log);
uint32_t fl_log_index_interval(const fl_log *log);

#endif
