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
 * records into one encoded batch (on the caller's thread, compressed with the
 * stream's codec and level: fl_log_stream_codec_set), queues it and returns;
 * the log thread drains the queue, writes each partition's batches with one writev,
 * then makes ONE fdatasync for the whole group whatever it touched (group commit:
 * many appends share one fsync; a group over several partitions or streams syncs one
 * write-ahead file holding the same bytes, DIR/.wal-0|1, see wal.c), and only then
 * calls each append's done callback ON THE LOG THREAD with the offsets it got. A callback must be short and
 * must not call fl_log_append_sync or fl_log_close (it may call fl_log_append). fl_log_append_sync waits for
 * its own.
 *
 * Reads: a reader sees only durable (fsynced) batches, never a torn one, and reads
 * across segment boundaries; reaching the end is `eof`, and a later call may return
 * records appended since (tailing).
 *
 * Recovery: fl_log_open (writer) first writes the write-ahead files' frames back into
 * their segments; then, in fl_log_stream_open, segment files must follow each other (a stray file
 * overlapping another fails with FL_ECORRUPT; a missing one is a reported gap); each
 * partition's last segment is checked batch by batch. Invalid bytes followed by a
 * valid batch are a damaged range (reported, copied to <segment>.damaged-<byte>, kept
 * in place, later batches kept); only a torn tail (nothing valid after it) is cut,
 * after being copied aside the same way. The partition count is kept in
 * DIR/<stream>/stream.json; a different set of partition directories is FL_ECORRUPT.
 *
 * Retention (per stream, by age and size) deletes whole segments, never the active
 * one and never one holding an offset >= the partition's retain floor. The floor
 * starts at 0 (nothing deletable) until the consumer sets it with
 * fl_log_set_retain_floor after its checkpoint; UINT64_MAX disables the floor.
 * While a stream has named consumers (below), the floor is the minimum of their
 * committed offsets instead.
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
  bool wal_every_group;          /* tests: a frame even for a group that touched one partition and wrote
                                    256 KiB or more (whose segment is otherwise synced directly) */
  int64_t writeback_bytes;       /* start a segment's disk write (not waited for) each time this many
                                    acknowledged bytes gathered; 0 = 256 KiB, <0 never (leave it to
                                    the write-ahead switch's fdatasync) */
} fl_log_opts;

/* Opens (creating if needed, unless read_only) the log in dir, locks it against a
 * second writer process (flock on DIR/.lock) and starts the log thread. opts may be NULL. */
fl_code fl_log_open(const char *dir, const fl_log_opts *opts, fl_log **out, fl_err *err);
/* Completes every queued append (callbacks run), stops the thread, frees everything. */
void fl_log_close(fl_log *log);

/* Creates or opens a stream with npartitions partitions and recovers each
 * partition (see Recovery above). npartitions = 0 opens an existing stream with the
 * count in its stream.json (FL_ENOENT if none); another count than stream.json's is
 * FL_EINVAL, partition directories that differ from it FL_ECORRUPT. A stream without
 * stream.json (created before it, or a creation cut short by a crash): fewer than on
 * disk is FL_EINVAL, more than on disk adds the missing partitions, and a writer then
 * writes stream.json. Stream names: [A-Za-z0-9_.-], not starting with '.', at most
 * 200 bytes. */
fl_code fl_log_stream_open(fl_log *log, const char *stream, uint32_t npartitions, fl_log_stream **out,
                           fl_err *err);
uint32_t fl_log_stream_npartitions(const fl_log_stream *ls);
const char *fl_log_stream_name(const fl_log_stream *ls);
/* Names of the streams in the log directory (sorted); free with fl_log_names_free. */
fl_code fl_log_stream_list(fl_log *log, char ***names, uint32_t *n, fl_err *err);
void fl_log_names_free(char **names, uint32_t n);

/* A record to append. The fields after value_len are optional metadata kept beside the value
 * (log_wire.h): zero-initialised they mean "none". */
typedef struct fl_log_record {
  const void *value;
  uint32_t value_len;
  uint32_t contract_version; /* the stream contract version that accepted it; 0 none */
  uint64_t key_hash;         /* the partitioner's hash of its key (fl_hash64); 0 none */
  int64_t event_time_ms;     /* event time (ms since 1970 UTC), when has_event_time */
  bool has_event_time;
} fl_log_record;

/* Payload compression of the stream's batches: a codec (default FL_LOG_CODEC_DEFAULT)
 * at `level` (1..FL_LOG_COMPRESSION_LEVEL_MAX, clamped; default
 * FL_LOG_COMPRESSION_LEVEL_DEFAULT): zstd's level, or LZ4's acceleration (1 =
 * LZ4_compress_default, higher: faster and bigger). Level 0 or FL_LOG_CODEC_NONE =
 * off. Compression runs in fl_log_append on the caller's thread; a batch that does
 * not shrink is stored uncompressed. Takes effect for the next append; the codec is
 * recorded per batch, so readers decode any mix of codecs in one partition. */
typedef enum fl_log_codec { FL_LOG_CODEC_NONE = 0, FL_LOG_CODEC_ZSTD = 1, FL_LOG_CODEC_LZ4 = 2 } fl_log_codec;
#define FL_LOG_CODEC_DEFAULT FL_LOG_CODEC_LZ4 /* the one place the default codec is chosen */
#define FL_LOG_COMPRESSION_LEVEL_DEFAULT 1
#define FL_LOG_COMPRESSION_LEVEL_MAX 19 /* zstd's levels above 19 need much more memory */
void fl_log_stream_compression_set(fl_log_stream *ls, int level);
int fl_log_stream_compression(const fl_log_stream *ls);
void fl_log_stream_codec_set(fl_log_stream *ls, fl_log_codec codec);
fl_log_codec fl_log_stream_codec(const fl_log_stream *ls);
/* "none", "zstd", "lz4" (the names of `WITH (log_compression = ...)`); "?" for
 * anything else. _from_name: false for an unknown name. */
const char *fl_log_codec_name(fl_log_codec codec);
bool fl_log_codec_from_name(const char *name, fl_log_codec *out);

/* Called once per append, on the log thread, after its batch is durable (rc FL_OK)
 * or has failed (FL_ENOSPC, FL_EIO; base_offset is then 0). */
typedef void (*fl_log_done_fn)(void *ctx, fl_code rc, uint32_t partition, uint64_t base_offset, uint32_t n);

/* Queues n >= 1 records (copied; the caller's memory is free on return) as one batch.
 * Returns FL_EINVAL (bad partition, n = 0, batch over FL_LOG_BATCH_PAYLOAD_MAX),
 * FL_ELIMIT (queue full: back-pressure, retry later) or FL_EIO (log closing or broken);
 * on a non-OK return `done` is never called. */
fl_code fl_log_append(fl_log_stream *ls, uint32_t partition, const fl_log_record *recs, uint32_t n,
                      fl_log_done_fn done, void *ctx, fl_err *err);
/* Several appends (any streams and partitions of ONE log) queued ATOMICALLY, so the
 * log thread takes them into one group commit (one request's appends, one per
 * partition, never span two groups). On the stack, zeroed: fl_log_many m = {0};
 * fl_log_many_add encodes one append (as fl_log_append: copied, compressed); the first
 * failure is kept and the later adds do nothing. fl_log_many_submit then queues them
 * all (*queued = how many) or none: it returns the first add's failure, FL_ELIMIT or
 * FL_EIO as fl_log_append does, and then no `done` of them is ever called. Either way
 * m is empty again afterwards. fl_log_many_discard drops what was added. */
typedef struct fl_log_many {
  void *head, *tail; /* private */
  struct fl_log *log;
  uint64_t bytes;
  uint32_t count;
  fl_code rc;
  fl_err err;
} fl_log_many;
void fl_log_many_add(fl_log_many *m, fl_log_stream *ls, uint32_t partition, const fl_log_record *recs,
                     uint32_t n, fl_log_done_fn done, void *ctx);
fl_code fl_log_many_submit(fl_log_many *m, uint32_t *queued, fl_err *err);
void fl_log_many_discard(fl_log_many *m);
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
  uint32_t contract_version; /* 0 for none (and for every version-1 record) */
  uint64_t key_hash;         /* 0 for none */
  int64_t event_time_ms;     /* valid when has_event_time */
  bool has_event_time;
} fl_log_entry;

/* One durable batch as fl_log_reader_next_batch returns it, decoded in place: the
 * payload is checked and decompressed once into the reader's buffer, and records[]
 * (count entries, offsets base_offset .. base_offset + count - 1) point into it; all
 * valid until the next call on the reader or its close. A reader positioned inside a
 * batch gets only the records from its position (base_offset is then that offset). */
typedef struct fl_log_batch_view {
  uint64_t base_offset;
  uint32_t count;
  int64_t append_time_ms;
  uint16_t version;      /* 1, 2 or 3 */
  bool compressed;       /* the payload (v3: its values) was stored compressed (codec != NONE) */
  fl_log_codec codec;    /* how it was stored (version 1: NONE) */
  uint32_t stored_bytes; /* header + payload as stored on disk */
  uint32_t raw_bytes;    /* header + payload uncompressed */
  const fl_log_entry *records;
} fl_log_batch_view;

/* A reader from from_offset (clamped up to the partition's start offset: records
 * removed by retention are skipped). */
fl_code fl_log_reader_open(fl_log_stream *ls, uint32_t partition, uint64_t from_offset, fl_log_reader **out,
                           fl_err *err);
/* Next durable record into *out, or *eof = true when none is available now.
 * FL_ECORRUPT if a segment below the durable end is damaged. */
fl_code fl_log_reader_next(fl_log_reader *rd, fl_log_entry *out, bool *eof, fl_err *err);
/* The rest of the current batch (from the reader's position), or the next durable
 * batch, into *out; *eof = true when none is available now. Mixes freely with
 * fl_log_reader_next. FL_ECORRUPT (naming stream, partition, file, byte and offset)
 * for a damaged batch, including a compressed payload that does not decompress. */
fl_code fl_log_reader_next_batch(fl_log_reader *rd, fl_log_batch_view *out, bool *eof, fl_err *err);
void fl_log_reader_close(fl_log_reader *rd);
/* From the next batch on, the reader does not decompress the values of version-3
 * batches: each entry of a batch whose values are compressed has value NULL (its
 * value_len, offset, times, contract version and key hash set, from the head block),
 * and a damaged compressed frame goes unnoticed (the CRC and the head block are still
 * checked). Stored v3 values and batches of versions 1 and 2 still come with their
 * values. For consumers that route or count by key or time. */
void fl_log_reader_heads_only(fl_log_reader *rd);

/* A damaged range of a partition (src/log/verify.c): bytes [pos, end_pos) of one
 * segment file that are not valid batches, and the offsets [offset, end_offset) they
 * held (empty when no offset was lost, e.g. garbage after a sealed segment's last
 * batch). A gap between two segment files (a missing or stray file) is a range with
 * pos = end_pos = 0 in the later file. Offsets of a damaged range are never reused:
 * appends continue after the last valid batch. */
typedef struct fl_log_damage {
  const char *stream;
  uint32_t partition;
  const char *file; /* the segment file's path */
  uint64_t pos, end_pos;
  uint64_t offset, end_offset;
  const char *why; /* static text: the first check that failed */
} fl_log_damage;
typedef void (*fl_log_damage_fn)(void *ctx, const fl_log_damage *d);

/* By default a reader that meets damage returns FL_ECORRUPT naming stream, partition,
 * file, byte position and offset, and stays there. After this call it skips each
 * damaged range to the next valid batch instead, calling fn (may be NULL) with it. */
void fl_log_reader_skip_damaged(fl_log_reader *rd, fl_log_damage_fn fn, void *ctx);

/* Checks every batch (header, CRC, framing, offset sequence) of every segment of a
 * partition and the contiguity of its files, calling fn for each damaged range;
 * *damaged (may be NULL) counts them. Read-only: safe beside a live writer (bytes
 * past a segment's durable size are not read). */
fl_code fl_log_verify(fl_log_stream *ls, uint32_t partition, fl_log_damage_fn fn, void *ctx,
                      uint64_t *damaged, fl_err *err);
/* Damaged ranges found when the stream was opened (all partitions). */
uint64_t fl_log_stream_damaged_ranges(const fl_log_stream *ls);

/* Durable offsets of a partition: [start, end) (end = the next offset to assign). */
fl_code fl_log_partition_offsets(fl_log_stream *ls, uint32_t partition, uint64_t *start, uint64_t *end);

typedef struct fl_log_partition_stat {
  uint64_t start_offset, end_offset; /* durable [start, end) */
  uint64_t bytes;                    /* durable bytes in all segments */
  uint32_t segments;
  int64_t oldest_append_ms; /* append time of the first record, 0 if empty */
} fl_log_partition_stat;
fl_code fl_log_partition_stat_get(fl_log_stream *ls, uint32_t partition, fl_log_partition_stat *out);
/* The partition's durable batches as stored (*stored: headers + payloads, compressed
 * where they are) and uncompressed (*raw), from the batch headers (payloads unread:
 * one pread per batch); batches (NULL: not counted) gets each codec's count of
 * batches, indexed by fl_log_codec. FL_ECORRUPT if a header is not where the previous
 * one said. */
#define FL_LOG_CODECS 3 /* fl_log_codec values */
fl_code fl_log_partition_sizes(fl_log_stream *ls, uint32_t partition, uint64_t *stored, uint64_t *raw,
                               uint64_t batches[FL_LOG_CODECS], fl_err *err);

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
  uint64_t appends;           /* completed appends (ok or failed) */
  uint64_t batches;           /* batches written durably */
  uint64_t records;           /* records written durably */
  uint64_t bytes;             /* bytes written durably (headers included) */
  uint64_t fsyncs;            /* fsync calls on the group-commit path: one per group, + 2 per segment roll */
  uint64_t groups;            /* group commits (queue drains) */
  uint64_t errors;            /* appends completed with an error */
  uint64_t queued_bytes;      /* bytes queued now, not yet durable */
  uint64_t raw_bytes;         /* batch bytes encoded by fl_log_append before compression */
  uint64_t stored_bytes;      /* the same batches' bytes as queued (compressed) */
  uint64_t group_fsyncs_max;  /* most fsyncs one group commit made (1; + 2 per segment it rolled) */
  uint64_t roll_fsyncs;       /* of fsyncs: the rolls' (sealed segment + new file's directory) */
  uint64_t background_fsyncs; /* segment and write-ahead syncs off the commit path (sync thread, close) */
  uint64_t wal_switches;      /* times the log moved to the other write-ahead file */
  uint64_t wal_bytes;         /* bytes of frames in the active write-ahead file */
  uint64_t wal_replayed_frames; /* write-ahead frames the open replayed into segments */
  uint64_t wal_pending_bytes;   /* read-only opens: acknowledged bytes only a write-ahead frame holds
                                   (a crash lost them from their segments; a writer's open replays them) */
  uint64_t writeback_starts;    /* segment ranges whose disk write the log thread started early */
  uint64_t writeback_bytes;     /* ... and their bytes */
} fl_log_stats;
void fl_log_stats_get(fl_log *log, fl_log_stats *out);

/* Test hook: the next `count` segment writes fail with errno `errnum` (ENOSPC, EIO)
 * after writing half their bytes, as a full disk would. count 0 turns it off. */
void fl_log_test_fail_writes(fl_log *log, int errnum, uint32_t count);

/* ---- consumers (consumer.c) ----
 *
 * A named consumer of a stream keeps its own committed offset per partition (the
 * next offset it still needs), stored durably in DIR/<stream>/.consumers/<name>
 * (written atomically: temp file, fsync, rename, directory fsync) and reloaded when
 * the stream is opened, so a consumer holds its data even while its process is down.
 * While a stream has consumers, each partition's retain floor is the minimum of their
 * committed offsets (retention keeps what the slowest still needs) and
 * fl_log_set_retain_floor's value applies again only once the last one is deleted.
 * A new consumer starts at each partition's oldest retained offset (or its end with
 * start_at_end) and is stored at once.
 *
 * Reading: the consumer has a position per partition (its committed offset at open),
 * fl_log_consumer_next returns the record there and moves it on. fl_log_consumer_wait
 * sleeps (no polling: the log thread signals when it publishes a durable end) until
 * a partition of the set holds a durable record at or past the position, the timeout
 * passes, or the consumer or the log is closed.
 *
 * Threads: one thread uses a consumer at a time, except fl_log_consumer_close, which
 * may come from another thread to wake a waiter: that wait returns
 * FL_LOG_WAIT_CLOSED and its thread must not touch the consumer again. fl_log_close
 * wakes every waiter the same way and frees consumers left open. One open handle per
 * name (FL_ECONFLICT for a second). In a read-only log the consumers can be listed
 * and read, not opened. */
typedef struct fl_log_consumer fl_log_consumer;

typedef struct fl_log_consumer_opts {
  bool start_at_end; /* a new consumer starts at each partition's end, not its start */
  /* Damage met while reading: by default fl_log_consumer_next(_batch) returns
   * FL_ECORRUPT naming it (and logs it); with skip_damaged the consumer goes on past
   * each damaged range, logging it and calling on_damage (may be NULL). */
  bool skip_damaged;
  fl_log_damage_fn on_damage;
  void *damage_ctx;
} fl_log_consumer_opts;

/* Opens the consumer `name` (same name rules as streams), creating it if new. opts may be NULL. */
fl_code fl_log_consumer_open(fl_log_stream *ls, const char *name, const fl_log_consumer_opts *opts,
                             fl_log_consumer **out, fl_err *err);
/* Wakes a thread waiting on it (FL_LOG_WAIT_CLOSED), then frees it; the committed
 * offsets stay on disk and keep holding the floor. NULL is a no-op. */
void fl_log_consumer_close(fl_log_consumer *c);
/* Removes the consumer's file; its floor goes away. FL_ECONFLICT while it is open,
 * FL_ENOENT if there is no such consumer. */
fl_code fl_log_consumer_delete(fl_log_stream *ls, const char *name, fl_err *err);
const char *fl_log_consumer_name(const fl_log_consumer *c);
fl_log_stream *fl_log_consumer_stream(const fl_log_consumer *c);

/* Stores n committed offsets durably: offsets[i] for partition parts[i] (parts NULL:
 * partitions 0..n-1), then moves the retain floors. Committing below a partition's
 * start is allowed (it holds nothing that is gone). */
fl_code fl_log_consumer_commit(fl_log_consumer *c, const uint32_t *parts, const uint64_t *offsets, uint32_t n,
                               fl_err *err);
uint64_t fl_log_consumer_committed(const fl_log_consumer *c, uint32_t partition);

/* The read position of a partition (starts at the committed offset) and moving it. */
uint64_t fl_log_consumer_position(const fl_log_consumer *c, uint32_t partition);
void fl_log_consumer_seek(fl_log_consumer *c, uint32_t partition, uint64_t offset);
/* The next durable record of a partition at or past its position (records removed
 * by retention are skipped), moving the position past it; *eof when none now. */
fl_code fl_log_consumer_next(fl_log_consumer *c, uint32_t partition, fl_log_entry *out, bool *eof,
                             fl_err *err);
/* The rest of the batch at a partition's position, decoded once (views valid until the
 * next read of that partition or close), moving the position past it; *eof when none. */
fl_code fl_log_consumer_next_batch(fl_log_consumer *c, uint32_t partition, fl_log_batch_view *out, bool *eof,
                                   fl_err *err);

typedef enum fl_log_wait_result {
  FL_LOG_WAIT_READY,   /* a partition of the set has a durable record at its position */
  FL_LOG_WAIT_TIMEOUT, /* timeout_ms passed first */
  FL_LOG_WAIT_CLOSED,  /* the consumer or the log is being closed */
} fl_log_wait_result;
/* Waits until a partition of parts[0..n) (parts NULL: all) has a durable end past the
 * position; *ready (may be NULL) gets the first such partition. timeout_ms < 0 waits
 * without a limit, 0 only checks. */
fl_log_wait_result fl_log_consumer_wait(fl_log_consumer *c, const uint32_t *parts, uint32_t n,
                                        int64_t timeout_ms, uint32_t *ready);
/* Ends c's current (or next) fl_log_consumer_wait early, as a timeout: another
 * thread asks the waiter to look at something else (the stream job: a checkpoint
 * request). The one call besides fl_log_consumer_close allowed from another thread. */
void fl_log_consumer_poke(fl_log_consumer *c);
/* The same without a consumer: until partition parts[i]'s durable end passes from[i]. */
fl_log_wait_result fl_log_wait(fl_log_stream *ls, const uint32_t *parts, const uint64_t *from, uint32_t n,
                               int64_t timeout_ms, uint32_t *ready);

/* The consumers stored for a stream (sorted; free with fl_log_names_free), read from
 * disk, so a read-only log beside a live server sees the server's commits. */
fl_code fl_log_consumer_list(fl_log_stream *ls, char ***names, uint32_t *n, fl_err *err);
/* A stored consumer's committed offsets: offsets[p] for every partition (npartitions
 * entries; partitions added after its last commit read 0). */
fl_code fl_log_consumer_load(fl_log_stream *ls, const char *name, uint64_t *offsets, fl_err *err);

#endif
