/* job: the stream job's thread and its checkpoint protocol (stream.h has the data flow
 * and the definitions of watermark, late and duplicate).
 *
 * The thread alternates READ and CHECKPOINT:
 *   READ: wait on the consumer (woken by the log thread when a durable end moves, or
 *         at most until the checkpoint is due), then per partition take whole durable
 *         batches: per record, in log order: late (below its partition's watermark
 *         before it), the watermark moves, then dedupe (first arrival wins); the rows kept
 *         are parsed under their contract version and appended to the open
 *         checkpoint's bronze (or late side) batch.
 *         Then the quarantine log's new records go to quarantine.<stream>'s appender
 *         in the same transaction (quarantine.c).
 *   CHECKPOINT (commit interval passed, or asked): evict expired keys, write the
 *         dedupe state file <id>.state, add every sink's actions, commit ONE
 *         transaction whose bronze (and late side table) snapshot summary holds
 *         floe.checkpoint-id = id,
 *         floe.log-offset.<p> (the next offset per partition) and floe.stream-state
 *         (the state file's name); then commit the consumer's offsets (the log's
 *         retain floor) and delete older state files.
 *
 * States of one checkpoint id (the thread's own; nothing else writes bronze):
 *
 *   IDLE ──first row kept──► OPEN (txn begun, rows go to its appenders)
 *   OPEN ──due──► STATE (state file fsynced) ──fl_txn_commit──┬─ OK ──► IDLE (id + 1)
 *   IDLE ──due, no row kept──► IDLE (no empty commit)         └─ else ─► RESET
 *   RESET: free the txn (its files go, unless the outcome is unknown), reload
 *          bronze and read its checkpoint: if it carries our id the commit happened
 *          (IDLE, id + 1); else restore bronze's state file and seek the consumer
 *          back to bronze's offsets, then READ again: the same records give the same
 *          rows (the state and the log decide everything).
 *
 * Crash points: before the catalog swap, bronze is at the previous checkpoint; the
 * restart restores that checkpoint's state file and offsets and re-reads. After the
 * swap, bronze names the new state file, fsynced before the swap. The consumer's
 * offsets may lag bronze's (a crash between the swap and the consumer commit):
 * bronze's win at start, so the log keeps a little more, never less. State files
 * that bronze does not name are deleted at start and after each commit.
 *
 * A checkpoint in which every record read was a duplicate keeps no row: nothing is
 * committed (never an empty snapshot) and the offsets stay; a restart re-reads those
 * records under the same state and drops them again. One with quarantine rows only
 * commits quarantine.<stream> alone (id + 1; bronze keeps its snapshot, offsets and
 * state chain, continued by a delta file of no key); at start the id is the larger of
 * bronze's and the quarantine's. Bronze and the late side table each join a
 * checkpoint only with a row for them (no empty snapshot), and each that joins carries
 * the checkpoint's keys (offsets, state chain): one with late rows only commits the
 * side table alone, and restore reads the later checkpoint of the two (the side
 * table's only if its floe.bronze-checkpoint-id is bronze's current id).
 *
 * Table health, after a commit, in the commit cadence (the job is the only writer of
 * its tables): every compact_every checkpoints bin-pack compaction of the small files
 * of bronze, the late side table and quarantine.<stream> (under 3/4 of the target, in
 * size tiers; validated against concurrent appends by the table layer; the replace
 * snapshot carries the checkpoint keys forward), every expire_every checkpoints
 * snapshot expiry of the three within each table's history.expire policy. Files are
 * rolled at write.target-file-size-bytes by the appenders themselves (table layer),
 * inside the checkpoint's transaction.
 *
 * Memory: a run of records whose log headers carry key hash and event time (all that
 * floe serve writes) is judged from the headers and only its kept records are parsed,
 * straight into the checkpoint's bronze (or side) batch (fl_json_parse_into); bare
 * records are parsed into one reused batch per contract version and gathered. The
 * batch goes to the appender every FL_STREAM_WRITE_ROWS rows; nothing is allocated per
 * record. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/diag.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/time.h"
#include "json/json.h"
#include "stream/stream.h"
#include "stream/stream_int.h"

#define MOD "stream"
#define WRITE_ROWS 65536u
/* Full batches that may wait for the writer thread: the job thread parses and
 * deduplicates the next one while the writer encodes Parquet (two cores). */
#define WRITE_QUEUE 2
#define CHECKPOINT_KEY "floe.checkpoint-id"
#define STATE_KEY "floe.stream-state"
/* In the late side table's summary: bronze's checkpoint id when the side table
 * committed; restore takes a later checkpoint of the side table only if it follows the
 * bronze that is there (not one dropped and made again since). */
#define BRONZE_KEY "floe.bronze-checkpoint-id"

typedef struct version_parser {
  uint32_t version;
  const fl_sql_stream *def;
  fl_json_parser *parser;
  int32_t *map[2];   /* per side (bronze, late): its column c <- parsed column map[c]; -1: NULL (a meta
                        column, or a column this version does not have); built at first use */
  uint32_t *into[2]; /* per side: parsed column k -> the side's column into[k] (the inverse of map),
                        or NULL when a column of the version has none there (no direct parse) */
} version_parser;

typedef struct side {
  fl_table *tbl;
  fl_field *fields; /* the table's columns, in its order (the batches' layout) */
  uint32_t nfields;
  int8_t *meta;   /* per column: its META_NAMES index, or -1 for a stream column */
  fl_batch *rows; /* rows of the open checkpoint being gathered (the job thread's) */
  fl_appender *app;
  fl_batch *free[WRITE_QUEUE + 1]; /* written batches, reused (under wmu) */
  uint32_t nfree;
} side;

/* A full batch handed to the writer thread. */
typedef struct wtask {
  side *s;
  fl_batch *b;
} wtask;

struct fl_stream_job {
  fl_stream_job_opts o;
  fl_stream_sink *sinks;
  const char *name;
  uint32_t nparts, ncols; /* ncols: the stream's own columns */
  fl_warehouse *wh;
  side bronze, late;     /* late.tbl NULL unless late_policy = 'side' */
  fl_table *late_before; /* else quarantine.<table>_late if it exists (a policy changed
                            from 'side'): its checkpoint may be the last (restore) */
  fl_stream_q *q;        /* quarantine.<stream> (quarantine.c); NULL without opts.qls */
  fl_field *fields;      /* bronze schema: stream columns + meta */
  uint32_t nfields;
  fl_log_consumer *cons;   /* live jobs */
  fl_log_reader **readers; /* replays (fl_stream_replay): one per partition, from restored offsets */
  uint64_t replay_to;      /* replays: records up to the ends seen at start */
  uint64_t *ends;
  const char *ns, *tname; /* the table written: bronze.<stream>, or a replay's */
  char *state_dir;
  /* per partition */
  fl_dedupe *sets;
  fl_dedupe_pending *pend; /* keys inserted since the last committed checkpoint (the delta) */
  int64_t *max_et;         /* max event time read (ms), INT64_MIN none */
  int64_t *last_read;      /* mono ms of the last record read */
  uint64_t *next;          /* next offset to read = offset after the last record read */
  /* the open checkpoint */
  int64_t ckpt_id; /* the last committed */
  int64_t full_id; /* the checkpoint whose full state file starts bronze's chain; 0 none */
  fl_txn *txn;
  bool kept; /* a row was kept since the last commit */
  int64_t opened_ms;
  version_parser *vps;
  uint32_t nvps;
  fl_buf ndjson;
  fl_buf ndjson_late; /* the direct path's records for the late side table */
  fl_buf keybuf;
  uint32_t *sel, *side_rows; /* rows of one run kept for bronze / the side table */
  uint64_t *offs, *side_offs;
  uint8_t *late_flags;
  uint32_t sel_cap;
  /* thread */
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool stop, want_ckpt, ckpt_done, started;
  fl_code ckpt_rc;
  fl_err ckpt_err;
  fl_stream_stats stats; /* under mu */
  /* the writer thread: encodes full batches into the open checkpoint's appenders while
   * the job thread reads on; the job waits for it to be idle before a commit */
  pthread_t wthread;
  bool wstarted, wstop, wbusy;
  pthread_mutex_t wmu;
  pthread_cond_t wcond;
  wtask wq[WRITE_QUEUE];
  uint32_t wqn;
  fl_code wrc; /* the writer's first failure since the txn opened */
  fl_err werr;
  int64_t oldest_ingest_ms; /* append time of the open checkpoint's oldest row (freshness) */
  int64_t commit_ms[8];     /* the last checkpoints' durations (ms), a ring: the lead time */
  uint32_t ncommits;
  int64_t interval_ms; /* the commit interval */
  /* metrics (docs/metrics.md) */
  fl_metric *m_records, *m_rows, *m_dups, *m_late, *m_perr, *m_ckpts, *m_ckpt_id, *m_wm, *m_keys, *m_bytes,
      *m_ckpt_seconds, *m_fresh, *m_compactions, *m_compacted_files;
};

static void metrics_register(fl_stream_job *job) {
  const char *n = job->name;
  job->m_records = FL_METRIC_WITH(
      fl_metrics_counter("floe_stream_records_total", "Log records the stream job read.", "stream"), n);
  job->m_rows = FL_METRIC_WITH(
      fl_metrics_counter("floe_stream_rows_total",
                         "Rows the stream job appended to bronze (and the late side table).", "stream"),
      n);
  job->m_dups = FL_METRIC_WITH(
      fl_metrics_counter("floe_stream_duplicates_total",
                         "Records dropped as duplicates of their key (first arrival wins).", "stream"),
      n);
  job->m_late = FL_METRIC_WITH(
      fl_metrics_counter("floe_stream_late_total",
                         "Late events: below their partition's watermark when read.", "stream"),
      n);
  job->m_perr =
      FL_METRIC_WITH(fl_metrics_counter("floe_stream_parse_errors_total",
                                        "Log records no contract version could parse (skipped).", "stream"),
                     n);
  job->m_ckpts = FL_METRIC_WITH(
      fl_metrics_counter("floe_stream_checkpoints_total", "Checkpoints the stream job committed.", "stream"),
      n);
  job->m_ckpt_id = FL_METRIC_WITH(
      fl_metrics_gauge("floe_stream_checkpoint_id", "The last committed checkpoint id.", "stream"), n);
  job->m_wm = FL_METRIC_WITH(
      fl_metrics_gauge("floe_stream_watermark_seconds",
                       "The stream watermark (Unix seconds): the minimum over non-idle partitions.",
                       "stream"),
      n);
  job->m_keys = FL_METRIC_WITH(fl_metrics_gauge("floe_stream_state_keys", "Live dedupe keys.", "stream"), n);
  job->m_bytes = FL_METRIC_WITH(
      fl_metrics_gauge("floe_stream_state_bytes", "Bytes the dedupe tables hold.", "stream"), n);
  job->m_ckpt_seconds = FL_METRIC_WITH(
      fl_metrics_histogram("floe_stream_checkpoint_duration_seconds",
                           "Time to commit one checkpoint (state file, transaction).", "stream", NULL, 0),
      n);
  job->m_compactions = FL_METRIC_WITH(
      fl_metrics_counter("floe_stream_compactions_total",
                         "Small-file compactions the stream job committed on its tables.", "stream"),
      n);
  job->m_compacted_files =
      FL_METRIC_WITH(fl_metrics_counter("floe_stream_compacted_files_total",
                                        "Small data files those compactions folded.", "stream"),
                     n);
  job->m_fresh = FL_METRIC_WITH(fl_metrics_histogram("floe_stream_freshness_seconds",
                                                     "Per checkpoint: from the log append (the ack) of its "
                                                     "oldest row to the commit that made it visible.",
                                                     "stream", NULL, 0),
                                n);
}

static const char *const META_NAMES[FL_STREAM_META_COLUMNS] = {"_partition", "_offset", "_ingest_time",
                                                               "_late"};
static const fl_type_kind META_KINDS[FL_STREAM_META_COLUMNS] = {FL_T_INT, FL_T_BIGINT, FL_T_TIMESTAMP,
                                                                FL_T_BOOLEAN};

/* Bronze follows the contract: the stream's columns that the table lacks (a column
 * added to the stream's definition: a new contract version) are added to it, at the
 * end, nullable (an Iceberg schema change; older rows read NULL, as every engine reads
 * an added column). A column the definition dropped stays in the table, NULL in the
 * rows of the versions without it (records of older versions still in the log fill it).
 * A column whose type changed, or a table without the meta columns, is refused: that
 * needs a new table (`floe replay --into` then `--swap`). The side then writes batches
 * in the table's own column order, whatever the definition's order (s->fields, meta). */
static fl_code follow_contract(fl_stream_job *job, const char *ns, const char *name, side *s, fl_err *err) {
  const fl_schema *ts = fl_table_schema(s->tbl);
  fl_code rc = FL_OK;
  uint32_t added = 0;
  for (uint32_t c = 0; c < job->nfields && !rc; c++) {
    const fl_field *want = &job->fields[c];
    const fl_field *have = NULL;
    for (uint32_t k = 0; k < ts->nfields && !have; k++)
      if (!strcmp(ts->fields[k].name, want->name)) have = &ts->fields[k];
    if (have && !fl_type_equal(have->type, want->type)) {
      char a[64], b[64];
      fl_sql_type_format(have->type, a, sizeof a);
      fl_sql_type_format(want->type, b, sizeof b);
      return fl_err_set(err, FL_ESCHEMA,
                        "%s.%s: column %s is %s, the stream %s now says %s (bronze follows added and "
                        "dropped columns, not type changes: replay into a new table with `floe replay "
                        "%s --into NS.TABLE`, or drop the table)",
                        ns, name, want->name, a, job->name, b, job->name);
    }
    if (have) continue;
    if (c >= job->ncols)
      return fl_err_set(err, FL_ESCHEMA, "%s.%s: no column %s: not a table the stream job wrote", ns, name,
                        want->name);
    if ((rc = fl_table_add_column(s->tbl, want->name, want->type, err)))
      return fl_err_prefix(err, "%s.%s: adding column %s of the stream's definition: ", ns, name, want->name);
    ts = fl_table_schema(s->tbl);
    added++;
  }
  if (added)
    fl_info(MOD, "stream %s: %s.%s follows the stream's definition: %u column%s added", job->name, ns, name,
            added, added == 1 ? "" : "s");
  s->nfields = ts->nfields;
  s->fields = fl_calloc(ts->nfields, sizeof *s->fields);
  s->meta = fl_malloc(ts->nfields);
  for (uint32_t k = 0; k < ts->nfields; k++) {
    s->fields[k] = ts->fields[k];
    s->fields[k].name = fl_strdup(ts->fields[k].name);
    s->fields[k].nested = NULL; /* the table's memory goes at a reload; the definition's stays */
    for (uint32_t c = 0; c < job->nfields; c++)
      if (!strcmp(job->fields[c].name, ts->fields[k].name)) s->fields[k].nested = job->fields[c].nested;
    s->meta[k] = -1;
    for (int8_t m = 0; m < FL_STREAM_META_COLUMNS; m++)
      if (!strcmp(ts->fields[k].name, META_NAMES[m])) s->meta[k] = m;
  }
  return FL_OK;
}

/* ---------------------------------------------------------------- tables */

static fl_code table_open(fl_stream_job *job, const char *ns, const char *name, side *s, fl_err *err) {
  fl_code rc = fl_table_load(job->wh, ns, name, &s->tbl, err);
  if (rc == FL_ENOENT) {
    fl_schema schema = {0, job->nfields, job->fields, 0, NULL};
    fl_arena arena;
    fl_arena_init(&arena, 1024);
    /* a streaming table's history: one snapshot a second, kept an hour (time travel
     * within it; Iceberg's default of 5 days would hold 432,000 snapshots) */
    static const fl_kv props[] = {{"history.expire.max-snapshot-age-ms", "3600000"}};
    fl_table_create_opts topts = {.props = props, .nprops = 1};
    const char *pb = job->o.def->partitioned_by;
    if (pb && (rc = fl_partition_defs_parse(pb, &arena, (fl_partition_def **)&topts.partition,
                                            &topts.npartition, err))) {
      fl_arena_destroy(&arena);
      return fl_err_prefix(err, "%s.%s: partitioned_by: ", ns, name);
    }
    rc = fl_table_create(job->wh, ns, name, &schema, &topts, &s->tbl, err);
    fl_arena_destroy(&arena);
    if (rc == FL_EEXIST) rc = fl_table_load(job->wh, ns, name, &s->tbl, err);
  }
  if (rc) return fl_err_prefix(err, "%s.%s: ", ns, name);
  fl_table_repair_version_hint(s->tbl); /* a kill after a commit may have left it behind */
  if ((rc = follow_contract(job, ns, name, s, err))) return rc;
  s->rows = fl_batch_new(s->fields, s->nfields, 1024);
  return FL_OK;
}

/* The state file of checkpoint id: "<id>.state" (full) or "<id>.delta". */
static char *state_path(const fl_stream_job *job, int64_t id, bool full) {
  return fl_sprintf("%s/%020" PRId64 ".%s", job->state_dir, id, full ? "state" : "delta");
}

/* Deletes the state files outside the chain [first, last] that bronze names. */
static void state_gc(fl_stream_job *job, int64_t first, int64_t last) {
  DIR *d = opendir(job->state_dir);
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *dot = strrchr(de->d_name, '.');
    if (!dot || (strcmp(dot, ".state") && strcmp(dot, ".delta"))) continue;
    char *end;
    long long id = strtoll(de->d_name, &end, 10);
    if (end != dot || (id >= first && id <= last)) continue;
    char *p = fl_sprintf("%s/%s", job->state_dir, de->d_name);
    unlink(p);
    fl_free(p);
  }
  closedir(d);
}

static int mkdir_p(const char *path) {
  char *p = fl_strdup(path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        fl_free(p);
        return -1;
      }
      *s = '/';
    }
  int r = mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
  fl_free(p);
  return r;
}

/* A replay's readers, at next[]. */
static fl_code restore_readers(fl_stream_job *job, fl_err *err) {
  for (uint32_t p = 0; p < job->nparts; p++) {
    fl_log_reader_close(job->readers[p]);
    job->readers[p] = NULL;
    fl_code rc = fl_log_reader_open(job->o.ls, p, job->next[p], &job->readers[p], err);
    if (rc) return rc;
  }
  return FL_OK;
}

/* Restores the last committed checkpoint: id, offsets, dedupe state. */
static fl_code restore(fl_stream_job *job, fl_err *err) {
  fl_table *t = job->bronze.tbl;
  const char *id = fl_table_checkpoint(t, CHECKPOINT_KEY);
  /* a checkpoint whose kept rows were all late committed the side table alone, with
   * the checkpoint's keys: the later of the two holds the last checkpoint, if it
   * followed this bronze (a side table of an older floe, without the keys, never
   * committed past bronze) */
  fl_table *lt = job->late.tbl ? job->late.tbl : job->late_before;
  const char *lid = lt ? fl_table_checkpoint(lt, CHECKPOINT_KEY) : NULL;
  const char *base = lt ? fl_table_checkpoint(lt, BRONZE_KEY) : NULL;
  int64_t bid = id ? strtoll(id, NULL, 10) : 0;
  if (lid && base && strtoll(lid, NULL, 10) > bid && strtoll(base, NULL, 10) == bid) {
    t = lt;
    id = lid;
  }
  job->ckpt_id = id ? strtoll(id, NULL, 10) : 0;
  for (uint32_t p = 0; p < job->nparts; p++) {
    char key[48];
    snprintf(key, sizeof key, "floe.log-offset.%u", p);
    const char *v = fl_table_checkpoint(t, key);
    job->next[p] = v ? strtoull(v, NULL, 10) : 0;
    job->max_et[p] = INT64_MIN;
    fl_dedupe_free(&job->sets[p]);
    fl_dedupe_init(&job->sets[p]);
  }
  /* floe.stream-state = "F-L": the full state of checkpoint F, then the deltas F+1..L */
  const char *st = fl_table_checkpoint(t, STATE_KEY);
  job->full_id = 0;
  for (uint32_t p = 0; p < job->nparts; p++) job->pend[p].n = 0;
  if (st) {
    long long first = 0, last = 0;
    if (sscanf(st, "%lld-%lld", &first, &last) != 2 || first <= 0 || last < first)
      return fl_err_set(err, FL_ECORRUPT, "stream %s: checkpoint %" PRId64 ": %s = \"%s\" is not F-L",
                        job->name, job->ckpt_id, STATE_KEY, st);
    for (long long k = first; k <= last; k++) {
      char *path = state_path(job, k, k == first);
      fl_code rc = fl_dedupe_state_read(path, job->sets, job->max_et, job->nparts, k != first, err);
      fl_free(path);
      if (rc)
        return fl_err_prefix(
            err, "stream %s: checkpoint %" PRId64 " needs a state file that cannot be read: ", job->name,
            job->ckpt_id);
    }
    for (uint32_t p = 0; p < job->nparts; p++) /* what the job evicted after the full one */
      fl_dedupe_evict(&job->sets[p], job->max_et[p] == INT64_MIN
                                         ? INT64_MIN
                                         : job->max_et[p] - job->o.def->watermark_delay_us / 1000);
    job->full_id = first;
  }
  if (job->q) {
    fl_code rc = fl_stream_q_restore(job->q, err);
    if (rc) return rc;
    /* a checkpoint with only quarantine rows moved the id past bronze's: the next
     * checkpoint starts a new state chain (bronze's ends before that id) */
    int64_t qid = fl_stream_q_checkpoint_id(job->q);
    if (qid > job->ckpt_id) {
      job->ckpt_id = qid;
      job->full_id = 0;
    }
  }
  if (job->cons)
    for (uint32_t p = 0; p < job->nparts; p++) fl_log_consumer_seek(job->cons, p, job->next[p]);
  return job->readers ? restore_readers(job, err) : FL_OK;
}

/* ---------------------------------------------------------------- reading */

static fl_code parser_for(fl_stream_job *job, uint32_t version, version_parser **out, fl_err *err) {
  for (uint32_t i = 0; i < job->nvps; i++)
    if (job->vps[i].version == version) {
      *out = &job->vps[i];
      return FL_OK;
    }
  const fl_sql_stream *def = job->o.def;
  if (job->o.contract && version) {
    fl_code rc = job->o.contract(job->o.contract_ctx, version, &def, err);
    if (rc) return fl_err_prefix(err, "stream %s: contract version %u: ", job->name, version);
  }
  job->vps = fl_realloc(job->vps, (job->nvps + 1) * sizeof *job->vps);
  version_parser *vp = &job->vps[job->nvps++];
  vp->version = version;
  vp->def = def;
  vp->parser = fl_json_parser_new(&def->schema);
  if (def->defaults) fl_json_parser_set_defaults(vp->parser, def->defaults);
  fl_json_parser_set_ndjson_only(vp->parser, true);
  vp->map[0] = vp->map[1] = NULL;
  vp->into[0] = vp->into[1] = NULL;
  *out = vp;
  return FL_OK;
}

static void grow_sel(fl_stream_job *job, uint32_t n) {
  if (n <= job->sel_cap) return;
  job->sel_cap = n * 2;
  job->sel = fl_realloc(job->sel, job->sel_cap * sizeof *job->sel);
  job->side_rows = fl_realloc(job->side_rows, job->sel_cap * sizeof *job->side_rows);
  job->offs = fl_realloc(job->offs, job->sel_cap * sizeof *job->offs);
  job->side_offs = fl_realloc(job->side_offs, job->sel_cap * sizeof *job->side_offs);
  job->late_flags = fl_realloc(job->late_flags, job->sel_cap);
}

/* A key fingerprint for records without the log's key hash (version 1 records): the
 * same bytes the server hashes (ingest/server_events.c row_key_hash: the key columns'
 * text joined by 0x1f), so v1 and v2 records of one key are one key. */
static uint64_t key_of_row(const version_parser *vp, const fl_batch *b, uint32_t row, fl_buf *k) {
  const fl_sql_stream *def = vp->def;
  fl_buf_clear(k);
  for (uint32_t i = 0; i < def->npk; i++) {
    fl_value v;
    fl_batch_get(b, def->primary_key_index[i], row, &v);
    if (i) fl_buf_put_u8(k, 0x1f);
    if (v.is_null) continue;
    if (fl_type_is_string(v.type.kind))
      fl_buf_append(k, v.u.str.ptr, v.u.str.len);
    else
      fl_value_to_json(&v, k);
  }
  return fl_hash64(k->data, k->len);
}

/* A table joins the checkpoint's transaction with its first row: bronze with its first
 * row kept for it, the late side table with its first late row, so no checkpoint gives
 * either an empty snapshot. Each that joins carries the checkpoint's keys (offsets,
 * state chain); restore reads the later of the two (a checkpoint of late rows only
 * commits the side table alone). */
static fl_code open_txn(fl_stream_job *job, bool bronze_rows, bool late_rows, fl_err *err) {
  if (!job->bronze.app && !job->late.app) job->opened_ms = fl_mono_ns() / 1000000;
  /* the quarantine's rows may have begun the transaction */
  fl_code rc = job->txn ? FL_OK : fl_txn_begin(job->wh, job->ckpt_id + 1, &job->txn, err);
  if (!rc && bronze_rows && !job->bronze.app)
    rc = fl_txn_append(job->txn, job->bronze.tbl, &job->bronze.app, err);
  if (!rc && late_rows && !job->late.app) rc = fl_txn_append(job->txn, job->late.tbl, &job->late.app, err);
  return rc;
}

/* Sinks' rows, then the appender: a full batch's write (writer thread, or the job
 * thread for the last rows of a checkpoint, when the writer is idle). */
static fl_code write_batch(fl_stream_job *job, side *s, const fl_batch *b, fl_err *err) {
  fl_code rc = FL_OK;
  for (uint32_t k = 0; !rc && s == &job->bronze && k < job->o.nsinks; k++)
    if (job->sinks[k].on_rows) rc = job->sinks[k].on_rows(job->sinks[k].ctx, b, err);
  if (!rc) rc = fl_appender_write(s->app, b, err);
  return rc;
}

/* The job's threads run FL_STREAM_NICE below the event loops and the log thread: on a
 * machine the ingest keeps busy, acknowledgements come first and the job takes what CPU
 * is left (it catches up from the log when the load drops; its lag is a metric). */
static void *writer_thread(void *arg) {
  fl_stream_job *job = arg;
  fl_thread_lower(FL_STREAM_NICE); /* before the name: a named thread has its final priority */
  fl_thread_name("floe-w-%s", job->name);
  pthread_mutex_lock(&job->wmu);
  for (;;) {
    while (!job->wqn && !job->wstop) pthread_cond_wait(&job->wcond, &job->wmu);
    if (!job->wqn) break;
    wtask t = job->wq[0];
    memmove(job->wq, job->wq + 1, --job->wqn * sizeof *job->wq);
    job->wbusy = true;
    bool skip = job->wrc != FL_OK; /* after a failure the checkpoint is redone: drop the rest */
    pthread_mutex_unlock(&job->wmu);
    fl_err e;
    fl_code rc = skip ? FL_OK : write_batch(job, t.s, t.b, &e);
    fl_batch_reset(t.b);
    pthread_mutex_lock(&job->wmu);
    if (rc && !job->wrc) {
      job->wrc = rc;
      job->werr = e;
    }
    FL_ASSERT(t.s->nfree < WRITE_QUEUE + 1, "stream %s: more batches than the writer's queue", job->name);
    t.s->free[t.s->nfree++] = t.b;
    job->wbusy = false;
    pthread_cond_broadcast(&job->wcond);
  }
  pthread_mutex_unlock(&job->wmu);
  return NULL;
}

/* Waits until the writer has written every batch handed to it; its first failure. */
static fl_code writer_idle(fl_stream_job *job, fl_err *err) {
  if (!job->wstarted) return FL_OK;
  pthread_mutex_lock(&job->wmu);
  while (job->wqn || job->wbusy) pthread_cond_wait(&job->wcond, &job->wmu);
  fl_code rc = job->wrc;
  if (rc) *err = job->werr;
  pthread_mutex_unlock(&job->wmu);
  return rc;
}

/* Hands the side's gathered rows to the writer once WRITE_ROWS gathered; with all,
 * waits for the writer and writes the rest itself (a checkpoint's last rows). */
static fl_code flush_rows(fl_stream_job *job, side *s, bool all, fl_err *err) {
  if (!s->rows || !s->rows->nrows || (!all && s->rows->nrows < WRITE_ROWS)) return FL_OK;
  fl_code rc;
  if (all || !job->wstarted) {
    if ((rc = writer_idle(job, err))) return rc;
    rc = write_batch(job, s, s->rows, err);
    fl_batch_reset(s->rows);
    return rc;
  }
  pthread_mutex_lock(&job->wmu);
  while (job->wqn == WRITE_QUEUE && !job->wrc) pthread_cond_wait(&job->wcond, &job->wmu);
  if ((rc = job->wrc)) {
    *err = job->werr;
    pthread_mutex_unlock(&job->wmu);
    return rc;
  }
  job->wq[job->wqn++] = (wtask){s, s->rows};
  s->rows = s->nfree ? s->free[--s->nfree] : NULL;
  pthread_cond_broadcast(&job->wcond);
  pthread_mutex_unlock(&job->wmu);
  if (!s->rows) s->rows = fl_batch_new(s->fields, s->nfields, 1024);
  return FL_OK;
}

/* The side's column map of version vp (built at first use): map[c] = the parsed
 * column of the side's column c, by name and of the same type, or -1 (a meta column,
 * or one this version does not have); and its inverse into[k] when every column of the
 * version has one (a direct parse into the side's batch), else into stays NULL. */
static const int32_t *side_map(fl_stream_job *job, side *s, version_parser *vp) {
  int k0 = s == &job->bronze ? 0 : 1;
  if (vp->map[k0]) return vp->map[k0];
  const fl_sql_stream *def = vp->def;
  int32_t *map = vp->map[k0] = fl_malloc(s->nfields * sizeof *map);
  uint32_t nk = def->schema.nfields, found = 0;
  uint32_t *into = fl_malloc((nk ? nk : 1) * sizeof *into);
  for (uint32_t c = 0; c < s->nfields; c++) {
    map[c] = -1;
    for (uint32_t k = 0; k < nk && s->meta[c] < 0; k++)
      if (!strcmp(def->schema.fields[k].name, s->fields[c].name) &&
          fl_type_equal(def->schema.fields[k].type, s->fields[c].type)) {
        map[c] = (int32_t)k;
        into[k] = c;
        found++;
      }
  }
  if (found == nk)
    vp->into[k0] = into;
  else
    fl_free(into);
  return map;
}

/* Appends parsed rows sel[0..n) of res (under vp) to s with their meta columns. */
static void add_rows(fl_stream_job *job, side *s, version_parser *vp, const fl_batch *parsed,
                     const uint32_t *rows, const uint64_t *offsets, const uint8_t *late, uint32_t n,
                     uint32_t partition, int64_t ingest_ms) {
  fl_batch *b = s->rows;
  const int32_t *map = side_map(job, s, vp);
  for (uint32_t c = 0; c < s->nfields; c++) {
    fl_vec *dv = &b->cols[c];
    switch (s->meta[c]) {
      case 0:
        for (uint32_t i = 0; i < n; i++) fl_vec_append_i32(dv, (int32_t)partition);
        continue;
      case 1:
        for (uint32_t i = 0; i < n; i++) fl_vec_append_i64(dv, (int64_t)offsets[i]);
        continue;
      case 2:
        for (uint32_t i = 0; i < n; i++) fl_vec_append_i64(dv, ingest_ms * 1000);
        continue;
      case 3: /* late NULL: every row late (the side table) */
        for (uint32_t i = 0; i < n; i++) fl_vec_append_bool(dv, late ? late[i] : true);
        continue;
      default: break;
    }
    if (map[c] < 0) {
      for (uint32_t i = 0; i < n; i++) fl_vec_append_null(dv);
      continue;
    }
    /* one-column views: fl_batch_gather copies whole columns at a time */
    fl_batch dview = {&s->fields[c], 1, 0, b->capacity, dv};
    fl_batch sview = {&parsed->fields[map[c]], 1, parsed->nrows, parsed->capacity,
                      (fl_vec *)&parsed->cols[map[c]]};
    fl_batch_gather(&dview, &sview, rows, n);
  }
  fl_batch_set_rows(b, b->nrows + n);
}

/* One record as one NDJSON line: a value posted inside a JSON array may span lines,
 * and a raw newline can only be whitespace between tokens (JSON strings escape it). */
static void put_line(fl_buf *nd, const fl_log_entry *e) {
  size_t at = nd->len;
  fl_buf_append(nd, e->value, e->value_len);
  for (char *q = (char *)nd->data + at, *qe = (char *)nd->data + nd->len;
       (q = memchr(q, '\n', (size_t)(qe - q)));)
    *q = ' ';
  fl_buf_put_u8(nd, '\n');
}

/* The direct path: the lines of nd (n records kept for s, their offsets and late
 * flags) parsed straight into s's batch (vp->into), then the meta columns and the
 * columns this version lacks filled for the rows that parsed. *rows: rows added. */
static fl_code parse_into_side(fl_stream_job *job, side *s, version_parser *vp, const fl_buf *nd,
                               const uint64_t *offsets, const uint8_t *late, uint32_t n, uint32_t partition,
                               int64_t ingest_ms, uint32_t *rows, uint64_t *perr, fl_err *err) {
  fl_batch *b = s->rows;
  const int32_t *map = side_map(job, s, vp);
  uint32_t row0 = b->nrows;
  fl_json_result res;
  fl_code rc = fl_json_parse_into(vp->parser, (const char *)nd->data, nd->len, b,
                                  vp->into[s == &job->bronze ? 0 : 1], &res, err);
  if (rc) return fl_err_prefix(err, "stream %s partition %u: ", job->name, partition);
  uint32_t m = res.nrows;
  for (uint32_t l = 1, r = 0; m < n && l <= n; l++) { /* line l: the record of offsets[l - 1] */
    if (r < m && res.rows[r].line == l) {
      r++;
      continue;
    }
    fl_warn(MOD,
            "stream %s partition %u offset %" PRIu64 ": the record does not parse under contract version %u",
            job->name, partition, offsets[l - 1], vp->version);
  }
  *perr += n - m;
  uint32_t end = row0 + m;
  bool all = m == n; /* else row i is line res.rows[i].line */
  for (uint32_t c = 0; c < s->nfields; c++) {
    if (map[c] >= 0) continue; /* the parser's */
    fl_vec *dv = &b->cols[c];
    FL_ASSERT(dv->len == row0, "stream %s: column %s has %u values, the batch %u rows", job->name,
              s->fields[c].name, dv->len, row0);
    fl_vec_reserve(dv, end);
    switch (s->meta[c]) {
      case 0:
        for (uint32_t r = row0; r < end; r++) dv->data.i32[r] = (int32_t)partition;
        break;
      case 1:
        for (uint32_t i = 0; i < m; i++)
          dv->data.i64[row0 + i] = (int64_t)offsets[all ? i : res.rows[i].line - 1];
        break;
      case 2:
        for (uint32_t r = row0; r < end; r++) dv->data.i64[r] = ingest_ms * 1000;
        break;
      case 3: /* late NULL: every row late (the side table) */
        for (uint32_t i = 0; i < m; i++) dv->data.b[row0 + i] = !late || late[all ? i : res.rows[i].line - 1];
        break;
      default: /* a column this version does not have: NULL */
        for (uint32_t r = row0; r < end; r++) {
          if (dv->offsets)
            dv->offsets[r + 1] = (uint32_t)dv->bytes_len;
          else
            memset((uint8_t *)dv->data.raw + (size_t)r * fl_type_bytes(dv->type), 0, fl_type_bytes(dv->type));
          fl_vec_set_valid(dv, r, false);
        }
        dv->len = end;
        continue;
    }
    for (uint32_t r = row0; r < end; r++) fl_vec_set_valid(dv, r, true);
    dv->len = end;
  }
  fl_batch_set_rows(b, end);
  *rows = m;
  return FL_OK;
}

/* A run [i, j) of version vp whose headers decide everything (each carries its key
 * hash, if the stream dedupes, and its event time, if the stream has a watermark):
 * late and dedupe from the headers, in log order, then only the records kept are
 * parsed, straight into their side's batch: duplicates are never parsed, and no row
 * is copied. A kept record that then does not parse is skipped (a parse error, as on
 * the other path) but has moved the watermark and holds its key. */
static fl_code take_run_direct(fl_stream_job *job, uint32_t p, const fl_log_batch_view *bv, uint32_t i,
                               uint32_t j, version_parser *vp, uint64_t *dups, uint64_t *late_n,
                               uint64_t *kept_n, uint64_t *perr, fl_err *err) {
  const fl_sql_stream *cur = job->o.def;
  int64_t delay_ms = cur->watermark_delay_us / 1000;
  bool dedupe = cur->npk > 0;
  int64_t ttl_us = cur->dedupe_ttl_us > 0 ? cur->dedupe_ttl_us : 3600ll * 1000000;
  grow_sel(job, j - i);
  uint32_t nkeep = 0, nside = 0;
  uint8_t *lf = job->late_flags;
  uint64_t *offs = job->offs, *side_offs = job->side_offs;
  fl_dedupe *set = &job->sets[p];
  int64_t max_et = job->max_et[p];
  fl_buf_clear(&job->ndjson);
  fl_buf_clear(&job->ndjson_late);
  for (uint32_t k = i; k < j; k++) {
    const fl_log_entry *e = &bv->records[k];
    int64_t et = e->has_event_time ? e->event_time_ms : INT64_MIN;
    bool late = et != INT64_MIN && max_et != INT64_MIN && et < max_et - delay_ms;
    if (et != INT64_MIN && et > max_et) max_et = et;
    if (dedupe) {
      uint32_t exp = fl_dedupe_expiry(et == INT64_MIN ? e->append_time_ms : et, ttl_us);
      if (!fl_dedupe_insert(set, e->key_hash, exp)) {
        (*dups)++;
        continue;
      }
      fl_dedupe_pending_add(&job->pend[p], e->key_hash, exp);
    }
    if (late) (*late_n)++;
    if (late && job->late.tbl) {
      side_offs[nside++] = e->offset;
      put_line(&job->ndjson_late, e);
    } else {
      offs[nkeep] = e->offset;
      lf[nkeep++] = late;
      put_line(&job->ndjson, e);
    }
  }
  job->max_et[p] = max_et;
  uint32_t nb = 0, nl = 0;
  fl_code rc = FL_OK;
  if (nkeep)
    rc = parse_into_side(job, &job->bronze, vp, &job->ndjson, offs, lf, nkeep, p, bv->append_time_ms, &nb,
                         perr, err);
  if (!rc && nside)
    rc = parse_into_side(job, &job->late, vp, &job->ndjson_late, side_offs, NULL, nside, p,
                         bv->append_time_ms, &nl, perr, err);
  if (!rc && (nb || nl)) {
    rc = open_txn(job, nb > 0, nl > 0, err);
    job->kept = true;
  }
  *kept_n += nb + nl;
  return rc;
}

/* One durable batch of partition p. */
static fl_code take_batch(fl_stream_job *job, uint32_t p, const fl_log_batch_view *bv, fl_err *err) {
  const fl_sql_stream *cur = job->o.def;
  int64_t delay_ms = cur->watermark_delay_us / 1000;
  bool dedupe = cur->npk > 0;
  int64_t ttl_us =
      cur->dedupe_ttl_us > 0 ? cur->dedupe_ttl_us : 3600ll * 1000000; /* DESIGN default: 1 hour */
  uint32_t i = 0;
  uint64_t dups = 0, late_n = 0, kept_n = 0, perr = 0;
  while (i < bv->count) {
    /* a run of records under one contract version */
    uint32_t v = bv->records[i].contract_version, j = i;
    /* headers decide (direct path) when they carry what late and dedupe read */
    bool hdr = true, need_key = dedupe, need_et = cur->watermark_index >= 0;
    while (j < bv->count && bv->records[j].contract_version == v) {
      const fl_log_entry *e = &bv->records[j++];
      hdr &= (!need_key || e->key_hash) && (!need_et || e->has_event_time);
    }
    version_parser *vp = NULL;
    fl_code rc = parser_for(job, v, &vp, err);
    if (rc) return rc;
    if (hdr) {
      side_map(job, &job->bronze, vp);
      if (job->late.tbl) side_map(job, &job->late, vp);
      hdr = vp->into[0] && (!job->late.tbl || vp->into[1]);
    }
    if (hdr) {
      if ((rc = take_run_direct(job, p, bv, i, j, vp, &dups, &late_n, &kept_n, &perr, err)) ||
          (rc = flush_rows(job, &job->bronze, false, err)) || (rc = flush_rows(job, &job->late, false, err)))
        return rc;
      i = j;
      continue;
    }
    fl_buf_clear(&job->ndjson);
    for (uint32_t k = i; k < j; k++) put_line(&job->ndjson, &bv->records[k]);
    fl_json_result res;
    if ((rc = fl_json_parse(vp->parser, (const char *)job->ndjson.data, job->ndjson.len, &res, err)))
      return fl_err_prefix(err, "stream %s partition %u: ", job->name, p);
    grow_sel(job, j - i);
    uint32_t *keep = job->sel, nkeep = 0, nlate_side = 0;
    uint8_t *lf = job->late_flags;
    uint64_t *offs = job->offs, *side_offs = job->side_offs;
    uint32_t *side_rows = job->side_rows;
    /* res.rows[r].line is the 1-based line = record index in the run + 1 */
    uint32_t r = 0;
    int32_t wcol = cur->watermark_index;
    for (uint32_t k = i; k < j; k++) {
      const fl_log_entry *e = &bv->records[k];
      bool parsed = r < res.nrows && res.rows[r].line == k - i + 1;
      if (!parsed) {
        perr++;
        fl_warn(MOD,
                "stream %s partition %u offset %" PRIu64
                ": the record does not parse under contract version %u",
                job->name, p, e->offset, v);
        continue;
      }
      uint32_t row = r++;
      int64_t et = INT64_MIN;
      if (e->has_event_time) {
        et = e->event_time_ms;
      } else if (wcol >= 0 && fl_vec_is_valid(&res.batch->cols[wcol], row)) {
        et = res.batch->cols[wcol].data.i64[row] / 1000;
      }
      /* the watermark before this record decides lateness; every record read moves
       * it, duplicates too (it follows the log, not what bronze keeps) */
      bool late = et != INT64_MIN && job->max_et[p] != INT64_MIN && et < job->max_et[p] - delay_ms;
      if (et != INT64_MIN && et > job->max_et[p]) job->max_et[p] = et;
      if (dedupe) {
        uint64_t key = e->key_hash ? e->key_hash : key_of_row(vp, res.batch, row, &job->keybuf);
        int64_t kt = et == INT64_MIN ? e->append_time_ms : et;
        uint32_t exp = fl_dedupe_expiry(kt, ttl_us);
        if (!fl_dedupe_insert(&job->sets[p], key, exp)) {
          dups++;
          continue;
        }
        fl_dedupe_pending_add(&job->pend[p], key, exp);
      }
      if (late) late_n++;
      if (late && job->late.tbl) {
        side_rows[nlate_side] = row;
        side_offs[nlate_side++] = e->offset;
      } else {
        keep[nkeep] = row;
        offs[nkeep] = e->offset;
        lf[nkeep++] = late;
      }
    }
    if (nkeep || nlate_side) {
      if ((rc = open_txn(job, nkeep > 0, nlate_side > 0, err))) return rc;
      job->kept = true;
    }
    if (nkeep) add_rows(job, &job->bronze, vp, res.batch, keep, offs, lf, nkeep, p, bv->append_time_ms);
    if (nlate_side)
      add_rows(job, &job->late, vp, res.batch, side_rows, side_offs, NULL, nlate_side, p, bv->append_time_ms);
    kept_n += nkeep + nlate_side;
    if ((rc = flush_rows(job, &job->bronze, false, err)) || (rc = flush_rows(job, &job->late, false, err)))
      return rc;
    i = j;
  }
  job->next[p] = bv->base_offset + bv->count;
  job->last_read[p] = fl_mono_ns() / 1000000;
  if (kept_n && (job->oldest_ingest_ms == 0 || bv->append_time_ms < job->oldest_ingest_ms))
    job->oldest_ingest_ms = bv->append_time_ms;
  fl_metric_add(job->m_records, bv->count);
  fl_metric_add(job->m_rows, kept_n);
  fl_metric_add(job->m_dups, dups);
  fl_metric_add(job->m_late, late_n);
  fl_metric_add(job->m_perr, perr);
  pthread_mutex_lock(&job->mu);
  job->stats.records_read += bv->count;
  job->stats.duplicates += dups;
  job->stats.late += late_n;
  job->stats.rows_written += kept_n;
  job->stats.parse_errors += perr;
  pthread_mutex_unlock(&job->mu);
  return FL_OK;
}

/* The quarantine log's new records into the open checkpoint (quarantine.c); the
 * transaction begins with them if no bronze row did. */
static fl_code read_quarantine(fl_stream_job *job, fl_err *err) {
  if (!job->q || !fl_stream_q_pending(job->q)) return FL_OK;
  fl_code rc = job->txn ? FL_OK : fl_txn_begin(job->wh, job->ckpt_id + 1, &job->txn, err);
  if (!rc) rc = fl_stream_q_read(job->q, job->txn, err);
  return rc;
}

/* When the next checkpoint is due (mono ms). The commit interval is a freshness
 * bound: the open checkpoint's oldest row (acknowledged at oldest_ingest_ms, wall
 * clock) must be visible in bronze within the interval of its ack, so the commit
 * starts that much earlier than oldest + interval by the longest of the last 8
 * commits (the lead time), capped at half the interval. Without a kept row (nothing,
 * or quarantine rows only) the fixed schedule holds: `fixed`, one interval after the
 * last checkpoint. Under a steady load checkpoints come about every interval minus
 * the lead time. Never sooner than half an interval after the last checkpoint: a job
 * catching up on old records (whose acks are long past) commits every half interval,
 * not after every read. Replays (interval_ms 0) keep the fixed schedule. */
static int64_t checkpoint_due(const fl_stream_job *job, int64_t fixed) {
  int64_t interval = job->interval_ms;
  if (!interval || !job->oldest_ingest_ms) return fixed;
  int64_t lead = 0;
  for (uint32_t i = 0; i < 8 && i < job->ncommits; i++)
    if (job->commit_ms[i] > lead) lead = job->commit_ms[i];
  if (lead > interval / 2) lead = interval / 2;
  int64_t due = fl_mono_ns() / 1000000 + (job->oldest_ingest_ms + interval - lead - fl_now_ms());
  if (due < fixed - interval / 2) due = fixed - interval / 2;
  return due < fixed ? due : fixed;
}

/* Reads whatever is durable now in every partition, or until the checkpoint is due (due_ms, or
 * sooner by checkpoint_due): passes over the
 * partitions taking at most 16 batches of each, so a backlog is taken evenly and in
 * checkpoints of about one interval's work. */
static fl_code read_available(fl_stream_job *job, int64_t due_ms, fl_err *err) {
  for (bool more = true; more;) {
    more = false;
    for (uint32_t p = 0; p < job->nparts; p++) {
      for (uint32_t nb = 0; nb < 16; nb++) {
        fl_log_batch_view bv;
        bool eof;
        fl_code rc = job->cons ? fl_log_consumer_next_batch(job->cons, p, &bv, &eof, err)
                               : fl_log_reader_next_batch(job->readers[p], &bv, &eof, err);
        if (rc) return rc;
        if (!eof && job->ends && bv.base_offset >= job->ends[p])
          eof = true; /* a replay stops at the ends it saw */
        if (eof) break;
        if (job->ends && bv.base_offset + bv.count > job->ends[p])
          bv.count = (uint32_t)(job->ends[p] - bv.base_offset);
        if ((rc = take_batch(job, p, &bv, err))) return rc;
        if (nb == 15) more = true;
      }
    }
    if (more && fl_mono_ns() / 1000000 >= checkpoint_due(job, due_ms)) break;
  }
  return read_quarantine(job, err);
}

/* ---------------------------------------------------------------- checkpoints */

static int64_t stream_watermark(const fl_stream_job *job) {
  int64_t now = fl_mono_ns() / 1000000, idle = job->o.idle_timeout_ms > 0 ? job->o.idle_timeout_ms : 60000;
  int64_t delay = job->o.def->watermark_delay_us / 1000, w = INT64_MAX;
  bool any = false;
  for (uint32_t p = 0; p < job->nparts; p++) {
    if (job->max_et[p] == INT64_MIN || now - job->last_read[p] > idle) continue;
    any = true;
    if (job->max_et[p] - delay < w) w = job->max_et[p] - delay;
  }
  return any ? w : INT64_MIN;
}

static void free_txn(fl_stream_job *job) {
  fl_err ignored;
  (void)writer_idle(job, &ignored); /* the appenders go with the txn */
  pthread_mutex_lock(&job->wmu);
  job->wrc = FL_OK;
  pthread_mutex_unlock(&job->wmu);
  fl_txn_free(job->txn);
  job->txn = NULL;
  job->bronze.app = job->late.app = NULL;
  if (job->q) fl_stream_q_drop(job->q);
  if (job->bronze.rows) fl_batch_reset(job->bronze.rows);
  if (job->late.rows) fl_batch_reset(job->late.rows);
  job->kept = false;
  job->oldest_ingest_ms = 0;
}

/* After a failed commit: what did bronze get? Restores and re-reads if not ours. */
static fl_code reset(fl_stream_job *job, int64_t id, fl_err *err) {
  free_txn(job);
  fl_code rc = fl_table_refresh(job->bronze.tbl, err);
  if (!rc && job->late.tbl) rc = fl_table_refresh(job->late.tbl, err);
  if (!rc && job->q) rc = fl_stream_q_restore(job->q, err); /* the table's offset, either way */
  if (rc) return rc;
  const char *v = fl_table_checkpoint(job->bronze.tbl, CHECKPOINT_KEY);
  const char *lv = job->late.tbl ? fl_table_checkpoint(job->late.tbl, CHECKPOINT_KEY) : NULL;
  if ((v && strtoll(v, NULL, 10) >= id) || (lv && strtoll(lv, NULL, 10) >= id) ||
      (job->q && fl_stream_q_checkpoint_id(job->q) >= id)) {
    job->ckpt_id = id;
    return FL_OK; /* it did commit: state and offsets are those we hold */
  }
  return restore(job, err);
}

static fl_code checkpoint(fl_stream_job *job, fl_err *err) {
  for (uint32_t p = 0; p < job->nparts; p++) {
    int64_t w =
        job->max_et[p] == INT64_MIN ? INT64_MIN : job->max_et[p] - job->o.def->watermark_delay_us / 1000;
    fl_dedupe_evict(&job->sets[p], w);
  }
  uint64_t keys = 0, bytes = 0;
  for (uint32_t p = 0; p < job->nparts; p++) {
    keys += job->sets[p].n;
    bytes += fl_dedupe_bytes(&job->sets[p]);
  }
  int64_t wm = stream_watermark(job);
  fl_metric_set(job->m_keys, (double)keys);
  fl_metric_set(job->m_bytes, (double)bytes);
  if (wm != INT64_MIN) fl_metric_set(job->m_wm, (double)wm / 1000.0);
  pthread_mutex_lock(&job->mu);
  job->stats.state_keys = keys;
  job->stats.state_bytes = bytes;
  job->stats.watermark_ms = wm;
  pthread_mutex_unlock(&job->mu);
  bool qrows = job->q && fl_stream_q_rows(job->q);
  if (!job->kept && !qrows) return FL_OK; /* never an empty commit */
  /* kept: bronze and / or the late side table (those with rows) are in the transaction;
   * else it holds only the quarantine's rows, and bronze keeps its checkpoint (no empty
   * snapshot) */
  bool kept = job->kept;
  int64_t t0 = fl_mono_ns(), id = job->ckpt_id + 1, oldest = job->oldest_ingest_ms;
  fl_code rc = flush_rows(job, &job->bronze, true, err);
  if (!rc) rc = flush_rows(job, &job->late, true, err);
  for (uint32_t s = 0; !rc && kept && s < job->o.nsinks; s++)
    if (job->sinks[s].on_checkpoint) rc = job->sinks[s].on_checkpoint(job->sinks[s].ctx, job->txn, id, err);
  if (!rc && job->q) rc = fl_stream_q_prepare(job->q, job->txn, err);
  /* a full state every FL_STREAM_FULL_STATE_EVERY checkpoints, deltas between; a
   * checkpoint of quarantine rows only writes a delta that continues the chain (no
   * new key: no row was kept), or nothing before the chain's first full state */
  uint32_t full_every = job->o.full_state_every ? job->o.full_state_every : FL_STREAM_FULL_STATE_EVERY;
  bool full = kept && (!job->full_id || id - job->full_id >= full_every);
  int64_t first = full ? id : job->full_id;
  char *path = state_path(job, id, full);
  if (!rc && (kept || first))
    rc = full ? fl_dedupe_state_write(path, job->sets, job->max_et, job->nparts, err)
              : fl_dedupe_delta_write(path, job->pend, job->max_et, job->nparts, err);
  fl_free(path);
  if (!rc && kept) {
    fl_kv *kv = fl_malloc((job->nparts + 2) * sizeof *kv);
    char **vals = fl_malloc((job->nparts * 2 + 1) * sizeof *vals);
    for (uint32_t p = 0; p < job->nparts; p++) {
      vals[2 * p] = fl_sprintf("floe.log-offset.%u", p);
      vals[2 * p + 1] = fl_sprintf("%" PRIu64, job->next[p]);
      kv[p] = (fl_kv){vals[2 * p], vals[2 * p + 1]};
    }
    vals[2 * job->nparts] = fl_sprintf("%" PRId64 "-%" PRId64, first, id);
    kv[job->nparts] = (fl_kv){STATE_KEY, vals[2 * job->nparts]};
    const char *bronze_id = fl_table_checkpoint(job->bronze.tbl, CHECKPOINT_KEY);
    kv[job->nparts + 1] = (fl_kv){BRONZE_KEY, bronze_id ? bronze_id : "0"};
    FL_ASSERT(job->bronze.app || job->late.app, "stream %s: checkpoint %" PRId64 " kept rows for no table",
              job->name, id);
    if (job->bronze.app) rc = fl_txn_set_summary(job->txn, job->bronze.tbl, kv, job->nparts + 1, err);
    if (!rc && job->late.app) rc = fl_txn_set_summary(job->txn, job->late.tbl, kv, job->nparts + 2, err);
    for (uint32_t i = 0; i < job->nparts * 2 + 1; i++) fl_free(vals[i]);
    fl_free(vals);
    fl_free(kv);
  }
  if (!rc) rc = fl_txn_commit(job->txn, NULL, err);
  if (!rc && job->q) fl_stream_q_committed(job->q);
  for (uint32_t s = 0; kept && s < job->o.nsinks; s++)
    if (job->sinks[s].on_committed) job->sinks[s].on_committed(job->sinks[s].ctx, id, rc);
  if (rc) {
    fl_warn(MOD, "stream %s: checkpoint %" PRId64 ": %s", job->name, id, err->msg);
    fl_err e2;
    fl_code r2 = reset(job, id, &e2);
    if (r2) {
      *err = e2;
      return r2;
    }
    if (job->ckpt_id != id) return rc;
  } else {
    free_txn(job);
    job->ckpt_id = id;
  }
  job->full_id = first; /* committed: the chain bronze names */
  for (uint32_t p = 0; p < job->nparts; p++) job->pend[p].n = 0;
  fl_err cerr;
  uint32_t cevery = job->o.compact_every ? job->o.compact_every : FL_STREAM_COMPACT_EVERY;
  if (id % cevery == 0) { /* bin-pack the small files of the last checkpoints */
    fl_compact_opts co = {.min_files = job->o.compact_min_files};
    fl_compact_result cr;
    fl_table *tbls[3] = {job->bronze.tbl, job->late.tbl, job->q ? fl_stream_q_table(job->q) : NULL};
    for (int k = 0; k < 3; k++) {
      if (!tbls[k]) continue;
      fl_code crc = fl_table_compact_small(tbls[k], &co, &cr, &cerr);
      if (crc) {
        fl_warn(MOD, "stream %s: compacting small files after checkpoint %" PRId64 ": %s", job->name, id,
                cerr.msg);
        fl_err rerr;
        if (fl_table_refresh(tbls[k], &rerr)) fl_warn(MOD, "stream %s: %s", job->name, rerr.msg);
      } else if (cr.snapshot_id) {
        fl_metric_add(job->m_compactions, 1);
        fl_metric_add(job->m_compacted_files, cr.data_files_rewritten);
      }
    }
  }
  uint32_t every = job->o.expire_every ? job->o.expire_every : FL_STREAM_EXPIRE_EVERY;
  if (id % every == 0) { /* within the commit cadence: the job is bronze's only writer */
    fl_expire_result xr;
    fl_expire_opts xo = {.older_than_ms = job->o.expire_age_ms ? fl_now_ms() - job->o.expire_age_ms : 0};
    fl_table *tbls[3] = {job->bronze.tbl, job->late.tbl, job->q ? fl_stream_q_table(job->q) : NULL};
    for (int k = 0; k < 3; k++)
      if (tbls[k] && fl_table_expire_snapshots(tbls[k], &xo, &xr, &cerr))
        fl_warn(MOD, "stream %s: expiring snapshots after checkpoint %" PRId64 ": %s", job->name, id,
                cerr.msg);
  }
  /* bronze's offsets moved only with bronze (a quarantine-only checkpoint left them) */
  if (kept && job->cons && fl_log_consumer_commit(job->cons, NULL, job->next, job->nparts, &cerr))
    fl_warn(MOD, "stream %s: consumer commit after checkpoint %" PRId64 ": %s", job->name, id, cerr.msg);
  state_gc(job, first, id);
  int64_t t1 = fl_mono_ns();
  job->commit_ms[job->ncommits++ % 8] = (t1 - t0 + 999999) / 1000000;
  fl_metric_add(job->m_ckpts, 1);
  fl_metric_set(job->m_ckpt_id, (double)id);
  fl_metric_observe(job->m_ckpt_seconds, (double)(t1 - t0) / 1e9);
  if (oldest) fl_metric_observe(job->m_fresh, (double)(fl_now_ms() - oldest) / 1000.0);
  pthread_mutex_lock(&job->mu);
  job->stats.checkpoint_id = id;
  job->stats.checkpoints++;
  job->stats.last_checkpoint_ms = (fl_mono_ns() - t0) / 1000000;
  pthread_mutex_unlock(&job->mu);
  return FL_OK;
}

/* ---------------------------------------------------------------- the thread */

static void *job_thread(void *arg) {
  fl_stream_job *job = arg;
  fl_thread_lower(FL_STREAM_NICE); /* before the name: a named thread has its final priority */
  fl_thread_name("floe-job-%s", job->name);
  int64_t interval = job->o.commit_interval_ms > 0 ? job->o.commit_interval_ms : 1000;
  if (interval < 100) interval = 100;
  job->interval_ms = interval;
  int64_t fixed = fl_mono_ns() / 1000000 + interval;
  for (;;) {
    pthread_mutex_lock(&job->mu);
    bool stop = job->stop, want = job->want_ckpt;
    pthread_mutex_unlock(&job->mu);
    int64_t due = checkpoint_due(job, fixed);
    int64_t now = fl_mono_ns() / 1000000;
    if (!stop && !want && now < due) {
      int64_t wait = due - now;
      if (wait > 50) wait = 50; /* checks stop and checkpoint requests this often */
      fl_log_wait_result w = fl_log_consumer_wait(job->cons, NULL, 0, wait, NULL);
      if (w == FL_LOG_WAIT_CLOSED) break;
    }
    fl_err err = {0};
    fl_code rc = read_available(job, (want || stop) ? INT64_MAX : due, &err);
    now = fl_mono_ns() / 1000000;
    if (!rc && (stop || want || now >= checkpoint_due(job, fixed))) {
      rc = checkpoint(job, &err);
      fixed = now + interval;
    }
    if (rc) fl_error(MOD, "stream %s: %s", job->name, err.msg);
    if (want) {
      pthread_mutex_lock(&job->mu);
      job->want_ckpt = false;
      job->ckpt_done = true;
      job->ckpt_rc = rc;
      job->ckpt_err = err;
      pthread_cond_broadcast(&job->cond);
      pthread_mutex_unlock(&job->mu);
    }
    if (stop) break;
    if (rc) {
      /* back off, then read again from the last checkpoint */
      fl_err e2;
      struct timespec ts = {0, 200 * 1000000};
      nanosleep(&ts, NULL);
      free_txn(job);
      if (restore(job, &e2)) fl_error(MOD, "stream %s: %s", job->name, e2.msg);
    }
  }
  return NULL;
}

/* ---------------------------------------------------------------- public */

static void job_free(fl_stream_job *job) {
  if (!job) return;
  free_txn(job);
  if (job->wstarted) {
    pthread_mutex_lock(&job->wmu);
    job->wstop = true;
    pthread_cond_broadcast(&job->wcond);
    pthread_mutex_unlock(&job->wmu);
    pthread_join(job->wthread, NULL);
  }
  side *sides[2] = {&job->bronze, &job->late};
  for (int k = 0; k < 2; k++)
    for (uint32_t i = 0; i < sides[k]->nfree; i++) fl_batch_free(sides[k]->free[i]);
  if (job->cons) fl_log_consumer_close(job->cons);
  fl_stream_q_free(job->q);
  for (uint32_t p = 0; job->readers && p < job->nparts; p++) fl_log_reader_close(job->readers[p]);
  fl_free(job->readers);
  fl_free(job->ends);
  if (job->bronze.tbl) fl_table_free(job->bronze.tbl);
  if (job->late.tbl) fl_table_free(job->late.tbl);
  if (job->late_before) fl_table_free(job->late_before);
  fl_batch_free(job->bronze.rows);
  fl_batch_free(job->late.rows);
  for (int k = 0; k < 2; k++) {
    for (uint32_t i = 0; i < sides[k]->nfields; i++) fl_free((char *)sides[k]->fields[i].name);
    fl_free(sides[k]->fields);
    fl_free(sides[k]->meta);
  }
  if (job->wh) fl_warehouse_close(job->wh);
  for (uint32_t p = 0; p < job->nparts && job->sets; p++) fl_dedupe_free(&job->sets[p]);
  for (uint32_t p = 0; p < job->nparts && job->pend; p++) fl_dedupe_pending_free(&job->pend[p]);
  fl_free(job->pend);
  fl_free(job->sets);
  fl_free(job->max_et);
  fl_free(job->last_read);
  fl_free(job->next);
  for (uint32_t i = 0; i < job->nvps; i++) {
    fl_json_parser_free(job->vps[i].parser);
    fl_free(job->vps[i].map[0]);
    fl_free(job->vps[i].map[1]);
    fl_free(job->vps[i].into[0]);
    fl_free(job->vps[i].into[1]);
  }
  fl_free(job->vps);
  fl_buf_free(&job->ndjson);
  fl_buf_free(&job->ndjson_late);
  fl_buf_free(&job->keybuf);
  fl_free(job->sel);
  fl_free(job->side_rows);
  fl_free(job->offs);
  fl_free(job->side_offs);
  fl_free(job->late_flags);
  fl_free(job->fields);
  fl_free(job->sinks);
  fl_free(job->state_dir);
  pthread_mutex_destroy(&job->mu);
  pthread_cond_destroy(&job->cond);
  pthread_mutex_destroy(&job->wmu);
  pthread_cond_destroy(&job->wcond);
  fl_free(job);
}

/* What a live job and a replay share: the schema, the state, the tables (ns.tname). */
static fl_code job_open(const fl_stream_job_opts *opts, const char *ns, const char *tname,
                        fl_stream_job **out, fl_err *err) {
  *out = NULL;
  const fl_sql_stream *def = opts->def;
  fl_stream_job *job = fl_calloc(1, sizeof *job);
  job->o = *opts;
  pthread_mutex_init(&job->mu, NULL);
  pthread_cond_init(&job->cond, NULL);
  pthread_mutex_init(&job->wmu, NULL);
  pthread_cond_init(&job->wcond, NULL);
  if (opts->nsinks) {
    job->sinks = fl_malloc(opts->nsinks * sizeof *job->sinks);
    memcpy(job->sinks, opts->sinks, opts->nsinks * sizeof *job->sinks);
  }
  job->name = def->name;
  job->ns = ns;
  job->tname = tname;
  job->nparts = fl_log_stream_npartitions(opts->ls);
  job->ncols = def->schema.nfields;
  job->nfields = job->ncols + FL_STREAM_META_COLUMNS;
  job->fields = fl_calloc(job->nfields, sizeof *job->fields);
  for (uint32_t c = 0; c < job->ncols; c++) {
    job->fields[c] = def->schema.fields[c];
    job->fields[c].required = false; /* bronze keeps what the contract accepted; no constraint of its own */
  }
  for (uint32_t m = 0; m < FL_STREAM_META_COLUMNS; m++)
    job->fields[job->ncols + m] =
        (fl_field){(int32_t)(job->ncols + m + 1), META_NAMES[m], {META_KINDS[m], 0, 0}, true, NULL};
  job->sets = fl_calloc(job->nparts, sizeof *job->sets);
  for (uint32_t p = 0; p < job->nparts; p++) fl_dedupe_init(&job->sets[p]);
  job->pend = fl_calloc(job->nparts, sizeof *job->pend);
  job->max_et = fl_malloc(job->nparts * sizeof *job->max_et);
  job->last_read = fl_calloc(job->nparts, sizeof *job->last_read);
  job->next = fl_calloc(job->nparts, sizeof *job->next);
  /* the live job's state: DATA/stream/<stream>; a replay's: DATA/stream/<ns>.<table> */
  job->state_dir = strcmp(ns, "bronze") || strcmp(tname, job->name)
                       ? fl_sprintf("%s/stream/%s.%s", opts->data_dir, ns, tname)
                       : fl_sprintf("%s/stream/%s", opts->data_dir, job->name);
  fl_code rc;
  if (mkdir_p(job->state_dir) != 0) {
    rc = fl_err_errno(err, errno, "%s: mkdir", job->state_dir);
    goto fail;
  }
  if ((rc = fl_warehouse_open(opts->data_dir, &job->wh, err))) goto fail;
  if ((rc = table_open(job, ns, tname, &job->bronze, err))) goto fail;
  char *lname = fl_sprintf("%s_late", tname);
  if (def->late_policy == FL_SQL_LATE_SIDE) {
    rc = table_open(job, "quarantine", lname, &job->late, err);
  } else if ((rc = fl_table_load(job->wh, "quarantine", lname, &job->late_before, err)) == FL_ENOENT) {
    rc = FL_OK;
  } else if (rc) {
    fl_err_prefix(err, "stream %s: quarantine.%s (its last checkpoint may be the stream's): ", job->name,
                  lname);
  }
  fl_free(lname);
  if (rc) goto fail;
  job->stats.watermark_ms = INT64_MIN;
  metrics_register(job);
  if (pthread_create(&job->wthread, NULL, writer_thread, job) == 0)
    job->wstarted = true; /* else: writes inline */
  *out = job;
  return FL_OK;
fail:
  job_free(job);
  return rc;
}

fl_code fl_stream_job_start(const fl_stream_job_opts *opts, fl_stream_job **out, fl_err *err) {
  fl_stream_job *job;
  fl_code rc = fl_stream_swap_recover(opts->data_dir, opts->def->name, err); /* swap.c */
  if (rc) return rc;
  rc = job_open(opts, "bronze", opts->def->name, &job, err);
  if (rc) return rc;
  if ((rc = fl_log_consumer_open(opts->ls, "stream", NULL, &job->cons, err))) goto fail;
  if (opts->qls && (rc = fl_stream_q_open(job->wh, job->name, opts->qls, opts->q_skip_damaged, &job->q, err)))
    goto fail;
  if ((rc = restore(job, err))) goto fail;
  state_gc(job, job->full_id, job->ckpt_id);
  job->stats.checkpoint_id = job->ckpt_id;
  fl_metric_set(job->m_ckpt_id, (double)job->ckpt_id);
  if (pthread_create(&job->thread, NULL, job_thread, job) != 0) {
    rc = fl_err_set(err, FL_ENOMEM, "stream %s: cannot start the job's thread", job->name);
    goto fail;
  }
  job->started = true;
  fl_info(MOD, "stream %s: job started at checkpoint %" PRId64 " (bronze.%s, %u partitions)", job->name,
          job->ckpt_id, job->name, job->nparts);
  *out = job;
  return FL_OK;
fail:
  job_free(job);
  return rc;
}

fl_code fl_stream_replay(const fl_stream_job_opts *opts, const char *ns, const char *table,
                         uint64_t from_offset, fl_stream_stats *out, fl_err *err) {
  fl_stream_job *job;
  fl_code rc = job_open(opts, ns, table, &job, err);
  if (rc) return rc;
  job->readers = fl_calloc(job->nparts, sizeof *job->readers);
  job->ends = fl_calloc(job->nparts, sizeof *job->ends);
  /* the ends now: a replay takes what the log holds when it starts */
  for (uint32_t p = 0; p < job->nparts && !rc; p++) {
    uint64_t start;
    if (fl_log_partition_offsets(opts->ls, p, &start, &job->ends[p]))
      rc = fl_err_set(err, FL_EINVAL, "stream %s: no partition %u", job->name, p);
  }
  if (!rc) rc = restore(job, err);
  if (!rc && job->ckpt_id == 0 && from_offset) {
    for (uint32_t p = 0; p < job->nparts; p++) job->next[p] = from_offset;
    rc = restore_readers(job, err);
  }
  if (!rc) state_gc(job, job->full_id, job->ckpt_id);
  int64_t interval = opts->commit_interval_ms > 0 ? opts->commit_interval_ms : 1000;
  while (!rc) {
    bool done = true;
    for (uint32_t p = 0; p < job->nparts; p++) done &= job->next[p] >= job->ends[p];
    if (done) break;
    uint64_t before = 0, after = 0;
    for (uint32_t p = 0; p < job->nparts; p++) before += job->next[p];
    rc = read_available(job, fl_mono_ns() / 1000000 + interval, err);
    for (uint32_t p = 0; p < job->nparts; p++) after += job->next[p];
    if (!rc) rc = checkpoint(job, err);
    if (!rc && after == before) break; /* nothing more to read (records removed by retention) */
  }
  if (!rc) rc = checkpoint(job, err);
  if (out) fl_stream_job_stats(job, out);
  job_free(job);
  return rc;
}

fl_code fl_stream_job_checkpoint_now(fl_stream_job *job, fl_err *err) {
  pthread_mutex_lock(&job->mu);
  job->want_ckpt = true;
  job->ckpt_done = false;
  pthread_mutex_unlock(&job->mu);
  if (job->cons) fl_log_consumer_poke(job->cons); /* now, not at the next 50 ms tick */
  pthread_mutex_lock(&job->mu);
  while (!job->ckpt_done) pthread_cond_wait(&job->cond, &job->mu);
  fl_code rc = job->ckpt_rc;
  if (rc) *err = job->ckpt_err;
  pthread_mutex_unlock(&job->mu);
  return rc;
}

void fl_stream_job_stop(fl_stream_job *job) {
  if (!job) return;
  if (job->started) {
    pthread_mutex_lock(&job->mu);
    job->stop = true;
    pthread_mutex_unlock(&job->mu);
    if (job->cons) fl_log_consumer_poke(job->cons);
    pthread_join(job->thread, NULL);
  }
  job_free(job);
}

void fl_stream_job_stats(fl_stream_job *job, fl_stream_stats *out) {
  pthread_mutex_lock(&job->mu);
  *out = job->stats;
  pthread_mutex_unlock(&job->mu);
}
