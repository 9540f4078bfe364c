/* quarantine: the stream job's copy of "<stream>.quarantine" (the records the events
 * API rejected, one JSON object each, written by ingest/server_events.c) into the
 * Iceberg table quarantine.<stream>, inside the job's checkpoints: the quarantine is one
 * more table of the checkpoint transaction, not a second log -> Iceberg committer.
 *
 *   quarantine.<stream>:  raw STRING, reason STRING, field STRING, line INT,
 *                         received_at TIMESTAMP, request_id STRING, raw_truncated BOOLEAN
 *
 * (a table made before raw_truncated existed gets the column added.) With
 * `stream.enabled: false` the same copy runs alone (qcopy.c, fl_stream_q_commit).
 *
 * Reading: the log consumer "quarantine" of "<stream>.quarantine" (one partition), on the
 * job's thread, at most FL_STREAM_QUARANTINE_ROWS_MAX records per checkpoint; rows go
 * straight into the appender of quarantine.<stream> in the job's open transaction.
 *
 * Exactly once: the table's snapshot of a checkpoint carries floe.log-offset.0 = the
 * quarantine log offset after its last row (the key the copy alone uses too, so either
 * continues where the other stopped) and floe.checkpoint-id; bronze, the late side
 * table and the quarantine swap in one catalog transaction. A restart (or a failed
 * commit) seeks the consumer back to the table's offset: records read but not committed
 * are read again into the next checkpoint, records committed never. After each commit
 * the consumer commits the offset (the log's retain floor for "<stream>.quarantine").
 *
 *   EMPTY ──rows read──► PENDING (rows in the txn's appender) ──commit OK──► EMPTY (offset moves)
 *                           └─ commit failed / restart ──► EMPTY (seek back to the table's offset)
 *
 * Damage in the quarantine log: by default the copy commits what came before it and
 * stops there for the job's life (logged once, naming the option); bronze goes on. With
 * floe.yaml log.skip_damaged the consumer skips each damaged range (logged, counted by
 * floe_quarantine_damaged_records_total).
 *
 * Owned by the job's thread (its warehouse handle); nothing here is shared. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/time.h"
#include "stream/stream.h"
#include "stream/stream_int.h"

#define MOD "stream"
#define OFFSET_KEY "floe.log-offset.0"
#define CHECKPOINT_KEY "floe.checkpoint-id"
#define QCONSUMER "quarantine"

enum { Q_RAW, Q_REASON, Q_FIELD, Q_LINE, Q_RECEIVED_AT, Q_REQUEST_ID, Q_RAW_TRUNCATED, Q_NCOLS };
static const char *const QNAMES[Q_NCOLS] = {"raw",         "reason",     "field",        "line",
                                            "received_at", "request_id", "raw_truncated"};

struct fl_stream_q {
  fl_warehouse *wh; /* the job's */
  char *name;       /* the stream */
  fl_log_stream *qls;
  fl_log_consumer *qc;
  fl_table *tbl;
  uint64_t committed; /* the table's floe.log-offset.0 */
  uint64_t next;      /* after the last record read into the open transaction */
  uint64_t rows;      /* rows in the open transaction */
  fl_appender *app;   /* the open transaction's, NULL until its first row */
  fl_appender *own;   /* app when the copy commits alone (fl_stream_q_commit), owned */
  fl_batch *batch;
  bool stuck; /* damage without skip_damaged: no more reading */
  fl_metric *m_rows, *m_lag, *m_skipped;
};

static void on_damage(void *ctx, const fl_log_damage *d) {
  fl_stream_q *q = ctx;
  fl_warn(MOD,
          "quarantine.%s: skipped a damaged range of stream %s partition %u: %s bytes %" PRIu64 "..%" PRIu64
          ", offsets %" PRIu64 "..%" PRIu64 " (%s)",
          q->name, d->stream, d->partition, d->file, d->pos, d->end_pos, d->offset, d->end_offset, d->why);
  fl_metric_add(q->m_skipped, d->end_offset - d->offset);
}

static fl_code table_open(fl_stream_q *q, fl_err *err) {
  fl_code rc = fl_table_load(q->wh, "quarantine", q->name, &q->tbl, err);
  if (rc == FL_ENOENT) {
    fl_field fields[Q_NCOLS] = {
        {0, "raw", {FL_T_STRING, 0, 0}, false, NULL},
        {0, "reason", {FL_T_STRING, 0, 0}, false, NULL},
        {0, "field", {FL_T_STRING, 0, 0}, false, NULL},
        {0, "line", {FL_T_INT, 0, 0}, false, NULL},
        {0, "received_at", {FL_T_TIMESTAMP, 0, 0}, false, NULL},
        {0, "request_id", {FL_T_STRING, 0, 0}, false, NULL},
        {0, "raw_truncated", {FL_T_BOOLEAN, 0, 0}, false, NULL},
    };
    fl_schema schema = {0, Q_NCOLS, fields, 0, NULL};
    /* at most a snapshot a checkpoint: kept an hour, as bronze's (the job expires it) */
    static const fl_kv props[] = {{"history.expire.max-snapshot-age-ms", "3600000"}};
    fl_table_create_opts topts = {.props = props, .nprops = 1};
    rc = fl_table_create(q->wh, "quarantine", q->name, &schema, &topts, &q->tbl, err);
    if (rc == FL_EEXIST) rc = fl_table_load(q->wh, "quarantine", q->name, &q->tbl, err);
  }
  if (rc) return fl_err_prefix(err, "quarantine.%s: ", q->name);
  fl_table_repair_version_hint(q->tbl); /* a kill after a commit may have left it behind */
  const fl_schema *schema = fl_table_schema(q->tbl);
  if (schema->nfields == Q_NCOLS - 1 && !strcmp(schema->fields[Q_NCOLS - 2].name, QNAMES[Q_NCOLS - 2])) {
    fl_type tb = {FL_T_BOOLEAN, 0, 0};
    if ((rc = fl_table_add_column(q->tbl, "raw_truncated", tb, err)))
      return fl_err_prefix(err, "quarantine.%s: adding raw_truncated: ", q->name);
    schema = fl_table_schema(q->tbl);
  }
  for (uint32_t c = 0; c < Q_NCOLS; c++)
    if (schema->nfields != Q_NCOLS || strcmp(schema->fields[c].name, QNAMES[c]))
      return fl_err_set(err, FL_ESCHEMA,
                        "quarantine.%s: expected the columns raw, reason, field, line, received_at, "
                        "request_id, raw_truncated",
                        q->name);
  return FL_OK;
}

fl_code fl_stream_q_open(fl_warehouse *wh, const char *stream, fl_log_stream *qls, bool skip_damaged,
                         fl_stream_q **out, fl_err *err) {
  FL_ASSERT(fl_log_stream_npartitions(qls) == 1, "%s.quarantine: one partition", stream);
  fl_stream_q *q = fl_calloc(1, sizeof *q);
  q->wh = wh;
  q->name = fl_strdup(stream);
  q->qls = qls;
  /* the same series ingest registers (docs/metrics.md) */
  q->m_rows =
      FL_METRIC_WITH(fl_metrics_counter("floe_quarantine_rows_total",
                                        "Rows committed to the Iceberg table quarantine.<stream>.", "stream"),
                     stream);
  q->m_lag = FL_METRIC_WITH(
      fl_metrics_gauge("floe_quarantine_lag_records",
                       "Records in <stream>.quarantine not yet committed to quarantine.<stream> (the stream "
                       "job copies them in its checkpoints; with stream.enabled: false, a copy of its own).",
                       "stream"),
      stream);
  q->m_skipped = FL_METRIC_WITH(
      fl_metrics_counter(
          "floe_quarantine_damaged_records_total",
          "Records of <stream>.quarantine lost to log damage and skipped (floe.yaml log.skip_damaged).",
          "stream"),
      stream);
  fl_code rc = table_open(q, err);
  if (!rc) {
    fl_log_consumer_opts co = {.skip_damaged = skip_damaged, .on_damage = on_damage, .damage_ctx = q};
    rc = fl_log_consumer_open(qls, QCONSUMER, &co, &q->qc, err);
    if (rc) fl_err_prefix(err, "quarantine.%s: ", stream);
  }
  if (!rc) rc = fl_stream_q_restore(q, err);
  if (rc) {
    fl_stream_q_free(q);
    return rc;
  }
  const fl_schema *schema = fl_table_schema(q->tbl);
  q->batch = fl_batch_new(schema->fields, schema->nfields, FL_BATCH_ROWS);
  *out = q;
  return FL_OK;
}

void fl_stream_q_free(fl_stream_q *q) {
  if (!q) return;
  fl_appender_free(q->own);
  fl_log_consumer_close(q->qc);
  if (q->tbl) fl_table_free(q->tbl);
  fl_batch_free(q->batch);
  fl_free(q->name);
  fl_free(q);
}

int64_t fl_stream_q_checkpoint_id(const fl_stream_q *q) {
  const char *v = fl_table_checkpoint(q->tbl, CHECKPOINT_KEY);
  return v ? strtoll(v, NULL, 10) : 0;
}

fl_code fl_stream_q_restore(fl_stream_q *q, fl_err *err) {
  fl_code rc = fl_table_refresh(q->tbl, err);
  if (rc) return fl_err_prefix(err, "quarantine.%s: ", q->name);
  const char *off = fl_table_checkpoint(q->tbl, OFFSET_KEY); /* survives compaction and expiry */
  q->committed = q->next = off ? strtoull(off, NULL, 10) : 0;
  q->rows = 0;
  q->app = NULL;
  fl_appender_free(q->own);
  q->own = NULL;
  if (q->batch) fl_batch_reset(q->batch);
  fl_log_consumer_seek(q->qc, 0, q->next);
  /* the table is the truth: the floor follows it (lower: retention keeps more) */
  if (fl_log_consumer_committed(q->qc, 0) != q->committed &&
      (rc = fl_log_consumer_commit(q->qc, NULL, &q->committed, 1, err)))
    return fl_err_prefix(err, "quarantine.%s: ", q->name);
  return FL_OK;
}

void fl_stream_q_drop(fl_stream_q *q) {
  fl_appender_free(q->own); /* an uncommitted one deletes its files */
  q->own = NULL;
  q->app = NULL;
  q->rows = 0;
  fl_batch_reset(q->batch);
}

static void put_str(fl_vec *vec, json_t *v) {
  if (json_is_string(v))
    fl_vec_append_str(vec, json_string_value(v), (uint32_t)json_string_length(v));
  else
    fl_vec_append_null(vec);
}

/* One log record into one row; a record that is not the JSON the server writes (it
 * cannot be, but the log is a file) is kept whole in raw with the reason saying so.
 * JSON_ALLOW_NUL: a NUL byte in a rejected record is \u0000 in its JSON. */
static void record_to_row(fl_batch *batch, const fl_log_entry *e) {
  json_error_t jerr;
  json_t *obj = json_loadb(e->value, e->value_len, JSON_ALLOW_NUL, &jerr);
  if (!json_is_object(obj)) {
    fl_vec_append_str(&batch->cols[Q_RAW], e->value, e->value_len);
    fl_vec_append_str(&batch->cols[Q_REASON], "unreadable quarantine record", 28);
    fl_vec_append_null(&batch->cols[Q_FIELD]);
    fl_vec_append_null(&batch->cols[Q_LINE]);
    fl_vec_append_i64(&batch->cols[Q_RECEIVED_AT], e->append_time_ms * 1000);
    fl_vec_append_null(&batch->cols[Q_REQUEST_ID]);
    fl_vec_append_bool(&batch->cols[Q_RAW_TRUNCATED], false);
  } else {
    put_str(&batch->cols[Q_RAW], json_object_get(obj, "raw"));
    put_str(&batch->cols[Q_REASON], json_object_get(obj, "reason"));
    put_str(&batch->cols[Q_FIELD], json_object_get(obj, "field"));
    json_t *line = json_object_get(obj, "line");
    if (json_is_integer(line))
      fl_vec_append_i32(&batch->cols[Q_LINE], (int32_t)json_integer_value(line));
    else
      fl_vec_append_null(&batch->cols[Q_LINE]);
    json_t *at = json_object_get(obj, "received_at");
    int64_t us;
    if (json_is_string(at) && fl_ts_parse(json_string_value(at), json_string_length(at), &us))
      fl_vec_append_i64(&batch->cols[Q_RECEIVED_AT], us);
    else
      fl_vec_append_i64(&batch->cols[Q_RECEIVED_AT], e->append_time_ms * 1000);
    put_str(&batch->cols[Q_REQUEST_ID], json_object_get(obj, "request_id"));
    fl_vec_append_bool(&batch->cols[Q_RAW_TRUNCATED], json_is_true(json_object_get(obj, "raw_truncated")));
  }
  json_decref(obj);
  batch->nrows++;
}

bool fl_stream_q_pending(fl_stream_q *q) {
  if (q->stuck) return false;
  if (q->rows >= FL_STREAM_QUARANTINE_ROWS_MAX) return false;
  uint64_t start, end;
  if (fl_log_partition_offsets(q->qls, 0, &start, &end)) return false;
  fl_metric_set(q->m_lag, (double)(end > q->committed ? end - q->committed : 0)); /* not yet in the table */
  return fl_log_consumer_position(q->qc, 0) < end;
}

fl_code fl_stream_q_read(fl_stream_q *q, fl_txn *txn, fl_err *err) {
  fl_code rc = FL_OK;
  while (!q->stuck && q->rows < FL_STREAM_QUARANTINE_ROWS_MAX) {
    fl_log_batch_view bv;
    bool eof = false;
    fl_err rerr;
    if ((rc = fl_log_consumer_next_batch(q->qc, 0, &bv, &eof, &rerr))) {
      if (rc != FL_ECORRUPT) {
        *err = rerr;
        return fl_err_prefix(err, "quarantine.%s: ", q->name);
      }
      /* rows read before the damage still commit; the copy stops there */
      q->stuck = true;
      /* the reader's words (stream, partition, file, byte, offset), as ingest's copy says them */
      const char *why = strstr(rerr.msg, "consumer " QCONSUMER ": ");
      why = why ? why + strlen("consumer " QCONSUMER ": ") : rerr.msg;
      fl_warn(
          MOD,
          "quarantine.%s: the copy stops at damage (floe.yaml log.skip_damaged: true goes on past it): %s",
          q->name, why);
      rc = FL_OK;
      break;
    }
    if (eof) break;
    if (!q->app && txn && (rc = fl_txn_append(txn, q->tbl, &q->app, err))) return rc;
    if (!q->app && !txn) {
      if ((rc = fl_appender_begin(q->tbl, &q->own, err)))
        return fl_err_prefix(err, "quarantine.%s: ", q->name);
      q->app = q->own;
    }
    for (uint32_t i = 0; i < bv.count; i++) {
      record_to_row(q->batch, &bv.records[i]);
      q->next = bv.records[i].offset + 1;
      q->rows++;
      if (q->batch->nrows == FL_BATCH_ROWS) {
        if ((rc = fl_appender_write(q->app, q->batch, err)))
          return fl_err_prefix(err, "quarantine.%s: ", q->name);
        fl_batch_reset(q->batch);
      }
    }
    for (uint32_t c = 0; c < q->batch->ncols; c++) FL_ASSERT(q->batch->cols[c].len == q->batch->nrows);
  }
  return rc;
}

uint64_t fl_stream_q_rows(const fl_stream_q *q) { return q->rows; }

fl_table *fl_stream_q_table(fl_stream_q *q) {
  FL_ASSERT(!q->app, "quarantine.%s: maintenance with a transaction open", q->name);
  return q->tbl;
}

fl_code fl_stream_q_prepare(fl_stream_q *q, fl_txn *txn, fl_err *err) {
  if (!q->rows) return FL_OK;
  FL_ASSERT(q->app && q->next > q->committed,
            "quarantine.%s: %" PRIu64 " rows, offsets %" PRIu64 "..%" PRIu64, q->name, q->rows, q->committed,
            q->next);
  fl_code rc = FL_OK;
  if (q->batch->nrows && (rc = fl_appender_write(q->app, q->batch, err)))
    return fl_err_prefix(err, "quarantine.%s: ", q->name);
  fl_batch_reset(q->batch);
  char offset[24];
  snprintf(offset, sizeof offset, "%" PRIu64, q->next);
  fl_kv summary[1] = {{OFFSET_KEY, offset}};
  return fl_txn_set_summary(txn, q->tbl, summary, 1, err);
}

fl_code fl_stream_q_commit(fl_stream_q *q, fl_err *err) {
  fl_code rc = FL_OK;
  while (!rc && fl_stream_q_pending(q)) rc = fl_stream_q_read(q, NULL, err);
  if (rc || !q->rows) goto out;
  FL_ASSERT(q->own && q->app == q->own, "quarantine.%s: a transaction's appender", q->name);
  if (q->batch->nrows && (rc = fl_appender_write(q->app, q->batch, err))) {
    fl_err_prefix(err, "quarantine.%s: ", q->name);
    goto out;
  }
  fl_batch_reset(q->batch);
  char offset[24];
  snprintf(offset, sizeof offset, "%" PRIu64, q->next);
  fl_kv summary[1] = {{OFFSET_KEY, offset}};
  if ((rc = fl_appender_commit(q->own, summary, 1, NULL, err))) {
    fl_err_prefix(err, "quarantine.%s: ", q->name);
    goto out;
  }
  fl_debug(MOD, "quarantine.%s: %" PRIu64 " rows, log offset %" PRIu64, q->name, q->rows, q->next);
  fl_stream_q_committed(q);
  return FL_OK;
out:
  if (rc) { /* the table (and its offset) is the truth: read again from there */
    fl_stream_q_drop(q);
    fl_err rerr;
    if (fl_stream_q_restore(q, &rerr)) fl_warn(MOD, "%s", rerr.msg);
  }
  return rc;
}

void fl_stream_q_committed(fl_stream_q *q) {
  if (!q->rows) return;
  fl_metric_add(q->m_rows, q->rows);
  q->committed = q->next;
  uint64_t start, end; /* the lag as of this commit, not of the next read pass */
  if (!fl_log_partition_offsets(q->qls, 0, &start, &end))
    fl_metric_set(q->m_lag, (double)(end > q->committed ? end - q->committed : 0));
  q->rows = 0;
  q->app = NULL;
  fl_appender_free(q->own);
  q->own = NULL;
  fl_err cerr;
  /* on failure the floor stays lower: retention keeps more */
  if (fl_log_consumer_commit(q->qc, NULL, &q->committed, 1, &cerr))
    fl_warn(MOD, "quarantine.%s: %s", q->name, cerr.msg);
}
