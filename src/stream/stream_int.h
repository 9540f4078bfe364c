/* stream_int.h: the stream module's own pieces (dedupe.c), shared by job.c and tests. */
#ifndef FL_STREAM_STREAM_INT_H
#define FL_STREAM_STREAM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "log/log.h"
#include "table/table.h"

/* Expiry seconds count from 2020-01-01T00:00:00Z (u32: until 2156). */
#define FL_DEDUPE_EPOCH_S 1577836800

typedef struct fl_dedupe {
  uint64_t *keys;   /* 0 = empty slot */
  uint32_t *expiry; /* seconds since FL_DEDUPE_EPOCH_S */
  uint32_t cap;     /* power of 2 */
  uint32_t n;       /* live keys */
} fl_dedupe;

void fl_dedupe_init(fl_dedupe *d);
void fl_dedupe_free(fl_dedupe *d);
/* The expiry of a key seen at event time t: t + ttl, clamped to u32 seconds. */
uint32_t fl_dedupe_expiry(int64_t event_time_ms, int64_t ttl_us);
/* Inserts key unless present: true if it was new (first arrival), false for a duplicate. */
bool fl_dedupe_insert(fl_dedupe *d, uint64_t key, uint32_t expiry);
/* Drops the keys whose expiry is before the watermark (INT64_MIN: none yet, keeps all). */
void fl_dedupe_evict(fl_dedupe *d, int64_t watermark_ms);
size_t fl_dedupe_bytes(const fl_dedupe *d);
/* Inserts (restore): keeps the larger expiry of a key already there. */
void fl_dedupe_restore_key(fl_dedupe *d, uint64_t key, uint32_t expiry);

/* Keys inserted since the last checkpoint, per partition (for the delta file). */
typedef struct fl_dedupe_pending {
  uint64_t *keys;
  uint32_t *expiry;
  uint32_t n, cap;
} fl_dedupe_pending;
void fl_dedupe_pending_add(fl_dedupe_pending *pd, uint64_t key, uint32_t expiry);
void fl_dedupe_pending_free(fl_dedupe_pending *pd);

/* The state files of a checkpoint (format in dedupe.c): a full one (every partition's
 * set) or a delta (the keys inserted since the previous checkpoint), each with every
 * partition's max event time. Read replaces sets[0..nparts) (initialised) and max_et,
 * or with merge adds its keys to them. */
fl_code fl_dedupe_state_write(const char *path, const fl_dedupe *sets, const int64_t *max_et, uint32_t nparts,
                              fl_err *err);
fl_code fl_dedupe_delta_write(const char *path, const fl_dedupe_pending *pend, const int64_t *max_et,
                              uint32_t nparts, fl_err *err);
fl_code fl_dedupe_state_read(const char *path, fl_dedupe *sets, int64_t *max_et, uint32_t nparts, bool merge,
                             fl_err *err);

/* quarantine.c: the copy of "<stream>.quarantine" into quarantine.<stream>, one table of
 * the job's checkpoint transaction (the job's thread only). */
typedef struct fl_stream_q fl_stream_q;
/* Opens (creating) quarantine.<stream> on the job's warehouse and the log consumer
 * "quarantine" of qls at the table's committed offset. */
fl_code fl_stream_q_open(fl_warehouse *wh, const char *stream, fl_log_stream *qls, bool skip_damaged,
                         fl_stream_q **out, fl_err *err);
void fl_stream_q_free(fl_stream_q *q);
/* The table's latest floe.checkpoint-id (0: none). */
int64_t fl_stream_q_checkpoint_id(const fl_stream_q *q);
/* Reloads the table and seeks back to its committed offset (restart, failed commit). */
fl_code fl_stream_q_restore(fl_stream_q *q, fl_err *err);
/* Records in the log past what was read, and room for them in this checkpoint. */
bool fl_stream_q_pending(fl_stream_q *q);
/* Reads what is durable (up to FL_STREAM_QUARANTINE_ROWS_MAX rows a checkpoint) into
 * the table's appender of txn (added to it at the first row; txn NULL: an appender of
 * the copy's own, for fl_stream_q_commit). */
fl_code fl_stream_q_read(fl_stream_q *q, fl_txn *txn, fl_err *err);
/* Rows read into the open transaction. */
uint64_t fl_stream_q_rows(const fl_stream_q *q);
/* Before the commit: writes the last rows, sets floe.log-offset.0 (no-op without rows). */
fl_code fl_stream_q_prepare(fl_stream_q *q, fl_txn *txn, fl_err *err);
/* The copy alone (qcopy.c, `stream.enabled: false`): reads what is durable (up to
 * FL_STREAM_QUARANTINE_ROWS_MAX rows) and commits it in a snapshot of its own carrying
 * floe.log-offset.0 and no checkpoint id; on failure nothing is committed and the copy
 * seeks back to the table's offset. */
fl_code fl_stream_q_commit(fl_stream_q *q, fl_err *err);
/* After a commit that included the rows: metrics, the consumer's commit. */
void fl_stream_q_committed(fl_stream_q *q);
/* The transaction went away (committed or not): forget its appender and rows. */
void fl_stream_q_drop(fl_stream_q *q);
/* The table quarantine.<stream> (the job compacts and expires it between checkpoints,
 * when no transaction is open). */
fl_table *fl_stream_q_table(fl_stream_q *q);

#endif
