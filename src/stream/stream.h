/* stream: the stream job, one per stream inside `floe serve` (DESIGN §1, the Flink role of
 * the seed): it reads the stream's event log through the log consumer "stream", parses
 * each record under the contract version it was accepted with, marks late events,
 * drops duplicates by PRIMARY KEY, and appends the rest to the Iceberg table
 * bronze.<stream>, committing one checkpoint per commit interval through the checkpoint
 * transaction (table/: fl_txn), exactly once.
 *
 *   log partitions ──consumer "stream"──► per partition: watermark, late, dedupe
 *        ──► parse (contract version of each record) ──► bronze rows (+ _partition,
 *        _offset, _ingest_time, _late) ──► appender of the open checkpoint
 *        ──every commit interval──► fl_txn: bronze (+ sinks' tables), summary =
 *        checkpoint id, the log offset after the last record per partition, the
 *        dedupe state file ──► consumer commit (the log's retain floor)
 *
 * Definitions (also in docs/architecture.md):
 *   partition watermark  max event time read so far in that log partition minus the
 *                        stream's WATERMARK delay (no event yet: none).
 *   late                 an event whose event time is below its own partition's
 *                        watermark at the moment it is read; a function of the log
 *                        alone, so a replay marks the same events.
 *   stream watermark     the minimum of the partition watermarks over partitions that
 *                        are not idle (no record for idle_timeout); what the stream
 *                        reports.
 *   duplicate            a record whose key fingerprint (the log record's key hash:
 *                        xxh3-64 of the key) was seen in its partition within
 *                        dedupe_ttl (first arrival wins). A key never changes partition,
 *                        so per-partition state is complete.
 *
 * The coordinator: the job owns the checkpoint cycle. Layers above it (models, in
 * src/model/) plug in as sinks (fl_stream_sink): each checkpoint the job hands every
 * sink the rows it appended to bronze, then lets each add its tables' actions to the
 * same transaction before the one catalog commit. Stream never includes model. The
 * quarantine (rejected records, "<stream>.quarantine") is copied into quarantine.<stream>
 * by the job in the same transaction (quarantine.c): no second committer.
 *
 * Threads: a job runs on its own thread with its own warehouse handle (fl_warehouse is
 * one thread's) and a writer thread that encodes full batches into the checkpoint's
 * appenders (handed over under a mutex: one of the two touches them at a time); a
 * sink's on_rows may be called from either, never at once; start/stop/checkpoint_now
 * come from the composition root's thread. */
#ifndef FL_STREAM_STREAM_H
#define FL_STREAM_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/err.h"
#include "log/log.h"
#include "sql/sql.h"
#include "table/table.h"

typedef struct fl_stream_job fl_stream_job;

/* The schema a contract version of the stream had (records carry their version). *def
 * must stay valid for the job's life. Version 0 (records written before versions
 * existed) is asked for too: answer with the current contract. */
typedef fl_code (*fl_stream_contract_fn)(void *ctx, uint32_t version, const fl_sql_stream **def, fl_err *err);

/* A layer above the job (models) taking part in each checkpoint. */
typedef struct fl_stream_sink {
  void *ctx;
  /* Rows appended to bronze since the last checkpoint (bronze's schema); may be NULL. */
  fl_code (*on_rows)(void *ctx, const fl_batch *rows, fl_err *err);
  /* Adds the sink's actions to the checkpoint's transaction; may be NULL. */
  fl_code (*on_checkpoint)(void *ctx, fl_txn *txn, int64_t checkpoint_id, fl_err *err);
  /* After the commit (rc FL_OK: committed). May be NULL. */
  void (*on_committed)(void *ctx, int64_t checkpoint_id, fl_code rc);
} fl_stream_sink;

typedef struct fl_stream_job_opts {
  const fl_sql_stream *def;       /* the current contract (name, columns, WATERMARK, key, WITH) */
  fl_log_stream *ls;              /* the stream's log */
  const char *data_dir;           /* the warehouse's data directory (the job opens its own handle) */
  int64_t commit_interval_ms;     /* 0 = 1000; at least 100 */
  int64_t idle_timeout_ms;        /* 0 = 60000: a partition without records this long is idle */
  fl_stream_contract_fn contract; /* NULL: every record under def */
  void *contract_ctx;
  const fl_stream_sink *sinks; /* copied */
  uint32_t nsinks;
  uint32_t expire_every;      /* expire old snapshots of bronze, the late side table and the
                                 quarantine every N checkpoints; 0 = 60 */
  int64_t expire_age_ms;      /* ... older than this; 0 = the table's history.expire.max-snapshot-age-ms
                                 (set to 1 hour when the job creates a table) */
  uint32_t compact_every;     /* bin-pack the small files of those tables every N checkpoints; 0 = 30 */
  uint32_t compact_min_files; /* ... in partitions with at least this many; 0 = 4 */
  uint32_t full_state_every;  /* a full dedupe state file every N checkpoints, deltas between;
                                 0 = FL_STREAM_FULL_STATE_EVERY */
  fl_log_stream *qls;         /* "<stream>.quarantine" (one partition): its records go to
                                 quarantine.<stream> in the job's checkpoints; NULL: none (replays) */
  bool q_skip_damaged;        /* floe.yaml log.skip_damaged: that copy goes on past damaged ranges */
} fl_stream_job_opts;

/* Checkpoints between two snapshot expiries of the job's tables (a minute at 1 s checkpoints). */
#define FL_STREAM_EXPIRE_EVERY 60
/* Checkpoints between two small-file compactions of the job's tables (30 s at 1 s checkpoints:
 * a partition written every second holds at most ~30 small files). */
#define FL_STREAM_COMPACT_EVERY 30
/* Checkpoints between two full dedupe state files; the ones between write only the keys
 * they inserted (a delta), so a checkpoint writes what changed, and a restart reads at
 * most this many files. */
#define FL_STREAM_FULL_STATE_EVERY 100
/* Quarantine rows one checkpoint takes at most (the rest wait for the next): bounds the
 * work of one commit as the copy of `stream.enabled: false` does (1M rows). */
#define FL_STREAM_QUARANTINE_ROWS_MAX 1000000

typedef struct fl_stream_stats {
  int64_t checkpoint_id;      /* last committed */
  uint64_t checkpoints;       /* committed by this job */
  uint64_t records_read;      /* log records read */
  uint64_t rows_written;      /* rows appended to bronze (committed or pending) */
  uint64_t duplicates;        /* dropped as duplicates */
  uint64_t late;              /* late events (kept or sent to the side table) */
  uint64_t parse_errors;      /* records no contract version could parse (skipped, logged) */
  uint64_t state_keys;        /* live dedupe keys, all partitions */
  uint64_t state_bytes;       /* bytes the dedupe tables hold */
  int64_t watermark_ms;       /* the stream watermark; INT64_MIN if none */
  int64_t last_checkpoint_ms; /* duration of the last checkpoint's commit */
} fl_stream_stats;

/* Opens (creating if needed) bronze.<stream> (and quarantine.<stream>_late when
 * late_policy = 'side', quarantine.<stream> when opts->qls), finishes an interrupted
 * `replay --swap` (fl_stream_swap_recover), restores the last checkpoint (offsets and
 * dedupe state), and starts the job's thread. */
fl_code fl_stream_job_start(const fl_stream_job_opts *opts, fl_stream_job **out, fl_err *err);
/* Commits what was read (a final checkpoint), stops the thread and frees the job. */
void fl_stream_job_stop(fl_stream_job *job);
/* Reads everything durable in the log now and commits it as one checkpoint (tests,
 * `floe serve` shutdown); waits for it. */
fl_code fl_stream_job_checkpoint_now(fl_stream_job *job, fl_err *err);
void fl_stream_job_stats(fl_stream_job *job, fl_stream_stats *out);

/* Kappa replay (`floe replay`): the same job, run in the calling thread over what the
 * log holds now (read with plain readers, so a read-only log beside a live `floe serve`
 * works), into ns.table (created if absent) instead of bronze.<stream>, with its own
 * checkpoints and state (DATA/stream/<ns>.<table>): from the table's last checkpoint if
 * it has one (an interrupted replay continues), else from from_offset in every
 * partition (0: the start). Same log, same definitions: the same rows and flags as the
 * live job, every column (_ingest_time is the log's append time, so equal too). */
fl_code fl_stream_replay(const fl_stream_job_opts *opts, const char *ns, const char *table,
                         uint64_t from_offset, fl_stream_stats *out, fl_err *err);

/* `floe replay STREAM --swap` (swap.c): makes the completed replay bronze.<replay> the
 * live bronze.<stream> in one catalog transaction, keeping the replaced table as
 * bronze.<stream>_before_swap (and the late side tables alike), and moves the job state
 * with the tables. The stream job must not run (the caller holds the log's lock).
 * FL_EEXIST while a previous swap's _before_swap table exists. */
fl_code fl_stream_swap(const char *data_dir, const fl_sql_stream *def, const char *replay, fl_err *err);
/* What fl_stream_swap refuses, checked before a replay is run for it: no live
 * bronze.<stream>, or a previous swap's _before_swap table. */
fl_code fl_stream_swap_check(const char *data_dir, const fl_sql_stream *def, fl_err *err);
/* Finishes (catalog renamed) or forgets (not) a swap a crash interrupted; a no-op
 * without one. Run by fl_stream_job_start and fl_stream_swap. */
fl_code fl_stream_swap_recover(const char *data_dir, const char *stream, fl_err *err);

/* The quarantine copy without stream jobs (floe.yaml stream.enabled: false, qcopy.c):
 * each "<stream>.quarantine" log into quarantine.<stream> every interval_ms, by the
 * job's own copy (same table, offset key and log consumer), each stream's rows in a
 * snapshot of their own. Opens every table at start (a broken warehouse fails here). */
typedef struct fl_stream_qcopy fl_stream_qcopy;
typedef struct fl_stream_qcopy_opts {
  const char *data_dir;       /* the warehouse (the copy opens its own handle) */
  const char *const *streams; /* [n] stream names */
  fl_log_stream *const *qls;  /* [n] their "<stream>.quarantine" logs (one partition) */
  uint32_t n;
  int64_t interval_ms; /* 0: 1,000 */
  bool skip_damaged;   /* floe.yaml log.skip_damaged */
  bool thread;         /* false: copies only when fl_stream_qcopy_flush is called (tests) */
} fl_stream_qcopy_opts;
fl_code fl_stream_qcopy_start(const fl_stream_qcopy_opts *opts, fl_stream_qcopy **out, fl_err *err);
/* Copies what is durable now, every stream (each failure logged; the first returned). */
fl_code fl_stream_qcopy_flush(fl_stream_qcopy *c, fl_err *err);
/* Stops the thread, copies once more (what was answered before the stop) and frees. */
void fl_stream_qcopy_stop(fl_stream_qcopy *c);

/* The bronze columns after the stream's own. */
#define FL_STREAM_META_COLUMNS 4 /* _partition INT, _offset BIGINT, _ingest_time TIMESTAMP, _late BOOLEAN */

#endif
