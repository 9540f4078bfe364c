/* quarantine: copies each "<stream>.quarantine" log stream into the Iceberg table
 * quarantine.<stream>, so every rejected record is queryable with its reason, when
 * `floe serve` runs without stream jobs (floe.yaml stream.enabled: false). With them,
 * each stream job copies its quarantine inside its checkpoints (stream/quarantine.c,
 * the same table, columns, offset key and log consumer) and this flusher does not
 * start: one log -> Iceberg committer per table.
 *
 *   quarantine.<stream>:  raw STRING, reason STRING, field STRING, line INT,
 *                         received_at TIMESTAMP, request_id STRING, raw_truncated BOOLEAN
 *
 * raw holds at most limits.max_raw_bytes of the rejected record (server_events.c cuts
 * it, raw_truncated is true then). A table made before raw_truncated existed gets the
 * column added (Iceberg schema evolution: older rows read it as NULL). Records are
 * read with JSON_ALLOW_NUL: a NUL byte in a rejected record is \u0000 in its JSON and
 * must not make the row unreadable.
 *
 * Exactly once across restarts: each commit carries, in its snapshot summary,
 * floe.log-offset.0 = the log offset after the last record it holds. At load the
 * flusher reads the latest committed offset (fl_table_checkpoint: snapshots carry
 * floe.* keys forward, so a compaction or an expiry does not lose it) and continues;
 * a crash before a commit re-copies the same records into the next one (nothing was
 * committed), a crash after it finds them committed (the offset moved with them).
 * After a commit the log consumer "quarantine" of "<stream>.quarantine" commits that
 * offset (log.h: its committed offset is the stream's retain floor, kept on disk by the
 * log and shown by `floe log --stat`), so retention may drop what the table already
 * holds, never what it does not. The table's checkpoint stays the truth: at load the
 * consumer is set to it.
 *
 * One thread (the flusher) owns the warehouse and the table handles; srv->qmu also
 * lets fl_ingest_flush_quarantine (tests) and the final flush at stop run one at a
 * time with it. A flush copies at most FLUSH_ROWS_MAX records per stream (the rest wait
 * for the next interval), bounding the memory of one commit. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/diag.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/thread.h"
#include "ingest/server_int.h"

#define MOD "quarantine"
#define FLUSH_ROWS_MAX 1000000
#define OFFSET_KEY "floe.log-offset.0"
#define QCONSUMER "quarantine" /* the log consumer of each "<stream>.quarantine" */

enum { Q_RAW, Q_REASON, Q_FIELD, Q_LINE, Q_RECEIVED_AT, Q_REQUEST_ID, Q_RAW_TRUNCATED, Q_NCOLS };

static fl_code qtable_open(fl_server *srv, uint32_t si, fl_err *err) {
  srv_qtable *qt = &srv->qtables[si];
  const char *name = srv->streams[si].ps->name;
  fl_code rc = fl_table_load(srv->wh, "quarantine", name, &qt->tbl, err);
  if (rc == FL_ENOENT) {
    fl_field fields[Q_NCOLS] = {
        {0, "raw", {FL_T_STRING, 0, 0}, false},
        {0, "reason", {FL_T_STRING, 0, 0}, false},
        {0, "field", {FL_T_STRING, 0, 0}, false},
        {0, "line", {FL_T_INT, 0, 0}, false},
        {0, "received_at", {FL_T_TIMESTAMP, 0, 0}, false},
        {0, "request_id", {FL_T_STRING, 0, 0}, false},
        {0, "raw_truncated", {FL_T_BOOLEAN, 0, 0}, false},
    };
    fl_schema schema = {0, Q_NCOLS, fields, 0, NULL};
    rc = fl_table_create(srv->wh, "quarantine", name, &schema, NULL, &qt->tbl, err);
    if (rc == FL_EEXIST) rc = fl_table_load(srv->wh, "quarantine", name, &qt->tbl, err);
  }
  if (rc) return fl_err_prefix(err, "quarantine.%s: ", name);
  const fl_schema *schema = fl_table_schema(qt->tbl);
  static const char *const names[Q_NCOLS] = {"raw",         "reason",     "field",        "line",
                                             "received_at", "request_id", "raw_truncated"};
  if (schema->nfields == Q_NCOLS - 1 && !strcmp(schema->fields[Q_NCOLS - 2].name, names[Q_NCOLS - 2])) {
    fl_type tb = {FL_T_BOOLEAN, 0, 0};
    if ((rc = fl_table_add_column(qt->tbl, "raw_truncated", tb, err))) {
      fl_table_free(qt->tbl);
      qt->tbl = NULL;
      return fl_err_prefix(err, "quarantine.%s: adding raw_truncated: ", name);
    }
    schema = fl_table_schema(qt->tbl);
  }
  for (uint32_t c = 0; c < Q_NCOLS; c++)
    if (schema->nfields != Q_NCOLS || strcmp(schema->fields[c].name, names[c])) {
      fl_table_free(qt->tbl);
      qt->tbl = NULL;
      return fl_err_set(
          err, FL_ESCHEMA,
          "quarantine.%s: expected the columns raw, reason, field, line, received_at, request_id, "
          "raw_truncated",
          name);
    }
  qt->next_offset = 0;
  const char *off = fl_table_checkpoint(qt->tbl, OFFSET_KEY); /* survives compaction and expiry */
  if (off) qt->next_offset = strtoull(off, NULL, 10);
  fl_log_stream *qls = srv->streams[si].qls;
  if (!qt->qc && (rc = fl_log_consumer_open(qls, QCONSUMER, NULL, &qt->qc, err))) {
    fl_table_free(qt->tbl);
    qt->tbl = NULL;
    return fl_err_prefix(err, "quarantine.%s: ", name);
  }
  if (fl_log_consumer_committed(qt->qc, 0) != qt->next_offset &&
      (rc = fl_log_consumer_commit(qt->qc, NULL, &qt->next_offset, 1, err))) {
    fl_table_free(qt->tbl);
    qt->tbl = NULL;
    return fl_err_prefix(err, "quarantine.%s: ", name);
  }
  return FL_OK;
}

static void put_str(fl_vec *vec, json_t *v) {
  if (json_is_string(v))
    fl_vec_append_str(vec, json_string_value(v), (uint32_t)json_string_length(v));
  else
    fl_vec_append_null(vec);
}

/* One log record into one row; a record that is not the JSON the server writes (it
 * cannot be, but the log is a file) is kept whole in raw with the reason saying so. */
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

/* log.skip_damaged: a damaged range of the quarantine log is reported and counted,
 * and the copy goes on after it (its records are lost; their bytes stay on disk). */
static void quarantine_skipped(void *ctx, const fl_log_damage *d) {
  srv_stream *ss = ctx;
  fl_warn(MOD,
          "quarantine.%s: skipped a damaged range of stream %s partition %u: %s bytes %" PRIu64 "..%" PRIu64
          ", offsets %" PRIu64 "..%" PRIu64 " (%s)",
          ss->ps->name, d->stream, d->partition, d->file, d->pos, d->end_pos, d->offset, d->end_offset,
          d->why);
  fl_metric_add(ss->m_quarantine_skipped, d->end_offset - d->offset);
}

static fl_code flush_stream(fl_server *srv, uint32_t si, fl_err *err) {
  srv_stream *ss = &srv->streams[si];
  srv_qtable *qt = &srv->qtables[si];
  uint64_t start, end;
  fl_code rc = fl_log_partition_offsets(ss->qls, 0, &start, &end);
  if (rc) return fl_err_set(err, rc, "%s.quarantine: offsets", ss->ps->name);
  if (qt->tbl && qt->next_offset >= end) { /* nothing new */
    fl_metric_set(ss->m_quarantine_lag, 0);
    return FL_OK;
  }
  if (!qt->tbl && (rc = qtable_open(srv, si, err))) return rc;
  if (qt->next_offset >= end) return FL_OK;

  fl_log_reader *rd = NULL;
  fl_appender *app = NULL;
  const fl_schema *schema = fl_table_schema(qt->tbl);
  fl_batch *batch = fl_batch_new(schema->fields, schema->nfields, FL_BATCH_ROWS);
  uint64_t next = qt->next_offset, rows = 0;
  if ((rc = fl_log_reader_open(ss->qls, 0, next, &rd, err))) goto done;
  if (srv->proj->log_skip_damaged) fl_log_reader_skip_damaged(rd, quarantine_skipped, ss);
  if ((rc = fl_appender_begin(qt->tbl, &app, err))) goto done;
  while (rows < FLUSH_ROWS_MAX) {
    fl_log_entry e;
    bool eof = false;
    if ((rc = fl_log_reader_next(rd, &e, &eof, err))) {
      if (rc == FL_ECORRUPT) { /* rows read before the damage still commit; the copy stops there */
        fl_err_prefix(err, "the copy stops at damage (floe.yaml log.skip_damaged: true goes on past it): ");
        if (rows == 0) goto done;
        fl_warn(MOD, "quarantine.%s: %s", ss->ps->name, err->msg);
        rc = FL_OK;
        break;
      }
      goto done;
    }
    if (eof) break;
    if (e.offset < next) continue;
    record_to_row(batch, &e);
    for (uint32_t c = 0; c < batch->ncols; c++) FL_ASSERT(batch->cols[c].len == batch->nrows);
    next = e.offset + 1;
    rows++;
    if (batch->nrows == FL_BATCH_ROWS) {
      if ((rc = fl_appender_write(app, batch, err))) goto done;
      fl_batch_reset(batch);
    }
  }
  if (batch->nrows && (rc = fl_appender_write(app, batch, err))) goto done;
  if (rows == 0) goto done;
  char offset[24];
  snprintf(offset, sizeof offset, "%llu", (unsigned long long)next);
  fl_kv summary[1] = {{OFFSET_KEY, offset}};
  if ((rc = fl_appender_commit(app, summary, 1, NULL, err))) goto done;
  qt->next_offset = next;
  fl_metric_add(ss->m_quarantine_rows, rows);
  fl_metric_set(ss->m_quarantine_lag, (double)(end > next ? end - next : 0));
  fl_err cerr;
  if (fl_log_consumer_commit(qt->qc, NULL, &next, 1, &cerr)) /* the floor stays lower: retention keeps more */
    fl_warn(MOD, "%s", cerr.msg);
  fl_debug(MOD, "quarantine.%s: %llu rows, log offset %llu", ss->ps->name, (unsigned long long)rows,
           (unsigned long long)next);
done:
  if (rc && qt->tbl) { /* reload next time: the table (and its offset) is the truth */
    fl_appender_free(app);
    app = NULL;
    fl_table_free(qt->tbl);
    qt->tbl = NULL;
    fl_err_prefix(err, "quarantine.%s: ", ss->ps->name);
  }
  fl_appender_free(app);
  if (rd) fl_log_reader_close(rd);
  fl_batch_free(batch);
  return rc;
}

fl_code srv_quarantine_flush(fl_server *srv, fl_err *err) {
  fl_code first = FL_OK;
  pthread_mutex_lock(&srv->qmu);
  for (uint32_t i = 0; i < srv->nstreams; i++) {
    fl_err e = {0};
    fl_code rc = flush_stream(srv, i, &e);
    if (rc) {
      fl_warn(MOD, "%s", e.msg);
      if (!first) {
        first = rc;
        if (err) *err = e;
      }
    }
  }
  pthread_mutex_unlock(&srv->qmu);
  return first;
}

static void *flusher_main(void *arg) {
  fl_server *srv = arg;
  fl_thread_name("floe-qflush");
  int64_t interval_ms = srv->proj->commit_interval_ms;
  pthread_mutex_lock(&srv->qmu);
  while (!srv->qstop) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += interval_ms / 1000;
    ts.tv_nsec += (interval_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    pthread_cond_timedwait(&srv->qcond, &srv->qmu, &ts);
    if (srv->qstop) break;
    pthread_mutex_unlock(&srv->qmu);
    srv_quarantine_flush(srv, NULL);
    pthread_mutex_lock(&srv->qmu);
  }
  pthread_mutex_unlock(&srv->qmu);
  return NULL;
}

fl_code srv_quarantine_start(fl_server *srv, fl_err *err) {
  fl_code rc;
  srv->qtables = fl_calloc(srv->nstreams ? srv->nstreams : 1, sizeof *srv->qtables);
  if (!srv->proj->stream_disabled) return FL_OK; /* the stream jobs copy the quarantine */
  /* load each table now: a broken warehouse fails the start, not a later flush */
  for (uint32_t i = 0; i < srv->nstreams; i++)
    if ((rc = qtable_open(srv, i, err))) return rc;
  if (pthread_create(&srv->qtid, NULL, flusher_main, srv)) FL_ASSERT(0, "pthread_create");
  srv->qstarted = true;
  return FL_OK;
}

void srv_quarantine_stop(fl_server *srv) {
  if (srv->qstarted) {
    pthread_mutex_lock(&srv->qmu);
    srv->qstop = true;
    pthread_cond_signal(&srv->qcond);
    pthread_mutex_unlock(&srv->qmu);
    pthread_join(srv->qtid, NULL);
    srv->qstarted = false;
    fl_err err = {0};
    srv_quarantine_flush(srv, &err); /* the last records answered before stop */
  }
  if (srv->qtables)
    for (uint32_t i = 0; i < srv->nstreams; i++)
      if (srv->qtables[i].tbl) fl_table_free(srv->qtables[i].tbl);
  if (srv->qtables)
    for (uint32_t i = 0; i < srv->nstreams; i++) fl_log_consumer_close(srv->qtables[i].qc);
  fl_free(srv->qtables);
  srv->qtables = NULL; /* the warehouse is the composition root's */
}
