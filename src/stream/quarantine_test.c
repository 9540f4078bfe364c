/* Tests of the quarantine as a table of the stream job's checkpoint (quarantine.c and
 * its calls in job.c): a checkpoint with only quarantine rows commits them (and leaves
 * bronze without an empty snapshot), a checkpoint with both commits bronze and the
 * quarantine under one checkpoint id, a restart copies nothing twice and goes on from
 * the committed offset, and the dedupe state chain survives quarantine-only
 * checkpoints between bronze's. Tables are read back with fl_scan. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/hash.h"
#include "core/mem.h"
#include "stream/stream.h"

static const char *DDL =
    "CREATE STREAM ev (id STRING NOT NULL, n BIGINT, t TIMESTAMP NOT NULL,"
    " WATERMARK FOR t AS t - INTERVAL '5 seconds', PRIMARY KEY (id) NOT ENFORCED)"
    " WITH (dedupe_ttl = '1 hour')";

typedef struct env {
  char *dir, *data;
  fl_arena arena;
  fl_sql_stream *def;
  fl_log *log;
  fl_log_stream *ls, *qls;
} env;

static void env_open_ddl(env *e, const char *ddl);
static void env_open(env *e) { env_open_ddl(e, DDL); }

static void env_open_ddl(env *e, const char *ddl) {
  fl_diag_set_level(FL_ERROR);
  const char *root = getenv("FLOE_TEST_TMP");
  if (!root || !*root) root = "/tmp";
  mkdir(root, 0755);
  e->dir = fl_sprintf("%s/qsinktest.XXXXXX", root);
  cr_assert_not_null(mkdtemp(e->dir));
  e->data = fl_sprintf("%s/data", e->dir);
  fl_arena_init(&e->arena, 4096);
  fl_err err;
  cr_assert_eq(fl_sql_parse_create_stream(ddl, strlen(ddl), &e->arena, &e->def, &err), FL_OK, "%s", err.msg);
  char *logdir = fl_sprintf("%s/log", e->dir);
  fl_log_opts lo = {.retention_check_ms = -1};
  cr_assert_eq(fl_log_open(logdir, &lo, &e->log, &err), FL_OK, "%s", err.msg);
  fl_free(logdir);
  cr_assert_eq(fl_log_stream_open(e->log, "ev", 2, &e->ls, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_log_stream_open(e->log, "ev.quarantine", 1, &e->qls, &err), FL_OK, "%s", err.msg);
}

static void env_close(env *e) {
  fl_log_close(e->log);
  char *cmd = fl_sprintf("rm -rf '%s'", e->dir);
  cr_assert_eq(system(cmd), 0);
  fl_free(cmd);
  fl_free(e->dir);
  fl_free(e->data);
  fl_arena_destroy(&e->arena);
}

static void put(env *e, const char *id, int64_t t_s) {
  char v[200];
  int len = snprintf(v, sizeof v, "{\"id\":\"%s\",\"n\":1,\"t\":%" PRId64 "}", id, t_s * 1000000);
  fl_log_record r = {v, (uint32_t)len, 1, fl_hash64(id, strlen(id)), t_s * 1000, true};
  fl_err err;
  cr_assert_eq(fl_log_append_sync(e->ls, fl_hash64(id, strlen(id)) % 2, &r, 1, NULL, &err), FL_OK, "%s",
               err.msg);
}

/* A rejected record as the events API writes it into "<stream>.quarantine". */
static void reject(env *e, const char *raw, int line) {
  char v[300];
  int len = snprintf(v, sizeof v,
                     "{\"raw\":\"%s\",\"reason\":\"not JSON\",\"field\":null,\"line\":%d,"
                     "\"received_at\":\"2026-12-07T10:00:00Z\",\"request_id\":\"r-%d\"}",
                     raw, line, line);
  fl_log_record r = {v, (uint32_t)len, 0, 0, 0, false};
  fl_err err;
  cr_assert_eq(fl_log_append_sync(e->qls, 0, &r, 1, NULL, &err), FL_OK, "%s", err.msg);
}

static fl_stream_job *start(env *e) {
  fl_stream_job_opts o = {
      .def = e->def, .ls = e->ls, .data_dir = e->data, .commit_interval_ms = 60000, .qls = e->qls};
  fl_stream_job *job;
  fl_err err;
  cr_assert_eq(fl_stream_job_start(&o, &job, &err), FL_OK, "%s", err.msg);
  return job;
}

static void checkpoint(fl_stream_job *job) {
  fl_err err;
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
}

typedef struct table_view {
  uint32_t rows, snapshots;
  char first[64][32]; /* column 0 of each row (raw, or bronze's id) */
  char checkpoint[24], offset0[24];
} table_view;

static int collect(void *ctx, const fl_batch *b, const char *path, const uint64_t *pos) {
  (void)path, (void)pos;
  table_view *v = ctx;
  for (uint32_t r = 0; r < b->nrows; r++) {
    cr_assert_lt(v->rows, 64);
    uint32_t len;
    const char *s = fl_vec_str(&b->cols[0], r, &len);
    snprintf(v->first[v->rows++], 32, "%.*s", (int)len, s);
  }
  return 0;
}

/* The rows, snapshot count and checkpoint keys of ns.name as a new reader sees them. */
static void view(const env *e, const char *ns, const char *name, table_view *v) {
  memset(v, 0, sizeof *v);
  fl_warehouse *wh;
  fl_table *t;
  fl_scan *sc;
  fl_err err;
  cr_assert_eq(fl_warehouse_open(e->data, &wh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_load(wh, ns, name, &t, &err), FL_OK, "%s", err.msg);
  fl_table_snapshots(t, &v->snapshots);
  if (v->snapshots) {
    cr_assert_eq(fl_scan_plan(t, NULL, &sc, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(fl_scan_run(sc, collect, v, &err), FL_OK, "%s", err.msg);
    fl_scan_free(sc);
  }
  const char *c = fl_table_checkpoint(t, "floe.checkpoint-id"),
             *o = fl_table_checkpoint(t, "floe.log-offset.0");
  snprintf(v->checkpoint, sizeof v->checkpoint, "%s", c ? c : "-");
  snprintf(v->offset0, sizeof v->offset0, "%s", o ? o : "-");
  fl_table_free(t);
  fl_warehouse_close(wh);
}

static uint32_t count(const table_view *v, const char *first) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < v->rows; i++) n += !strcmp(v->first[i], first);
  return n;
}

Test(quarantine, a_checkpoint_with_only_quarantine_rows_commits_them_and_leaves_bronze_alone) {
  env e;
  env_open(&e);
  reject(&e, "bad-1", 1);
  reject(&e, "bad-2", 2);
  fl_stream_job *job = start(&e);
  checkpoint(job);
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 1, "the quarantine rows made checkpoint 1");
  checkpoint(job); /* nothing new: nothing committed */
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 1);
  fl_stream_job_stop(job);

  table_view q, b;
  view(&e, "quarantine", "ev", &q);
  cr_assert_eq(q.rows, 2);
  cr_assert_eq(count(&q, "bad-1"), 1);
  cr_assert_eq(count(&q, "bad-2"), 1);
  cr_assert_eq(q.snapshots, 1);
  cr_assert_str_eq(q.checkpoint, "1");
  cr_assert_str_eq(q.offset0, "2", "the quarantine log offset after its last row");
  view(&e, "bronze", "ev", &b);
  cr_assert_eq(b.snapshots, 0, "no empty bronze snapshot");
  uint64_t floor;
  fl_err err;
  cr_assert_eq(fl_log_consumer_load(e.qls, "quarantine", &floor, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(floor, 2, "the consumer committed what the table holds");
  env_close(&e);
}

Test(quarantine, bronze_and_quarantine_rows_commit_under_one_checkpoint_and_a_restart_copies_nothing_twice) {
  env e;
  env_open(&e);
  const int64_t T = 1800000000;
  put(&e, "a", T);
  reject(&e, "bad-1", 1);
  fl_stream_job *job = start(&e);
  checkpoint(job);
  /* quarantine only (checkpoint 2), then bronze only (3), then both (4) */
  reject(&e, "bad-2", 2);
  checkpoint(job);
  put(&e, "b", T + 1);
  checkpoint(job);
  put(&e, "c", T + 2);
  put(&e, "a", T + 3); /* a duplicate: the state chain went through checkpoint 2 */
  reject(&e, "bad-3", 3);
  checkpoint(job);
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 4);
  cr_assert_eq(st.duplicates, 1);
  fl_stream_job_stop(job);

  table_view q, b;
  view(&e, "quarantine", "ev", &q);
  view(&e, "bronze", "ev", &b);
  cr_assert_eq(q.rows, 3);
  cr_assert_eq(q.snapshots, 3, "checkpoints 1, 2 and 4");
  cr_assert_str_eq(q.checkpoint, "4");
  cr_assert_str_eq(q.offset0, "3");
  cr_assert_eq(b.rows, 3);
  cr_assert_eq(b.snapshots, 3, "checkpoints 1, 3 and 4");
  cr_assert_str_eq(b.checkpoint, "4");

  /* a restart after a quarantine-only checkpoint: the id goes on from the quarantine's,
   * nothing is copied twice, the dedupe state is bronze's (a is still a duplicate) */
  reject(&e, "bad-4", 4);
  job = start(&e);
  checkpoint(job);
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 5);
  fl_stream_job_stop(job);
  put(&e, "a", T + 4);
  put(&e, "d", T + 5);
  job = start(&e);
  checkpoint(job);
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 6);
  cr_assert_eq(st.duplicates, 1, "a restored from bronze's state chain");
  fl_stream_job_stop(job);
  view(&e, "quarantine", "ev", &q);
  view(&e, "bronze", "ev", &b);
  cr_assert_eq(q.rows, 4);
  for (int i = 1; i <= 4; i++) {
    char raw[16];
    snprintf(raw, sizeof raw, "bad-%d", i);
    cr_assert_eq(count(&q, raw), 1, "%s once", raw);
  }
  cr_assert_str_eq(q.checkpoint, "5");
  cr_assert_eq(b.rows, 4);
  cr_assert_eq(count(&b, "a"), 1);
  cr_assert_eq(count(&b, "d"), 1);
  cr_assert_str_eq(b.checkpoint, "6");
  env_close(&e);
}

/* The number of data files a scan of ns.name plans (every live file: no filter). */
static uint32_t files(const env *e, const char *ns, const char *name) {
  fl_warehouse *wh;
  fl_table *t;
  fl_scan *sc;
  fl_err err;
  cr_assert_eq(fl_warehouse_open(e->data, &wh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_load(wh, ns, name, &t, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_scan_plan(t, NULL, &sc, &err), FL_OK, "%s", err.msg);
  uint32_t n = (uint32_t)fl_scan_get_stats(sc)->files_planned;
  fl_scan_free(sc);
  fl_table_free(t);
  fl_warehouse_close(wh);
  return n;
}

/* A key of partition p (the job's log partition of a key is its hash mod 2 here). */
static void key_in(uint32_t p, const char *prefix, int c, char *out, size_t cap) {
  for (int k = 0;; k++) {
    snprintf(out, cap, "%s%d_%d", prefix, c, k);
    if (fl_hash64(out, strlen(out)) % 2 == p) return;
  }
}

/* Issue 14: the job keeps every table it commits healthy, not bronze alone: after 12
 * small checkpoints, each giving bronze, quarantine.ev_late and quarantine.ev one file,
 * the compaction every 2 checkpoints (at least 4 small files) and the expiry every 2
 * (older than 1 ms: all but the current snapshot) leave each of the three tables one
 * file and one snapshot, with every row once and the checkpoint keys kept; a restart
 * then copies nothing twice. Without the quarantine in the cadence, quarantine.ev
 * would hold 12 files and 12 snapshots. */
Test(quarantine, the_job_compacts_and_expires_the_quarantine_and_late_tables_in_its_cadence) {
  env e;
  env_open_ddl(&e,
               "CREATE STREAM ev (id STRING NOT NULL, n BIGINT, t TIMESTAMP NOT NULL,"
               " WATERMARK FOR t AS t - INTERVAL '5 seconds', PRIMARY KEY (id) NOT ENFORCED)"
               " WITH (dedupe_ttl = '1 hour', late_policy = 'side')");
  const int64_t T = 1800000000;
  fl_stream_job_opts o = {.def = e.def,
                          .ls = e.ls,
                          .data_dir = e.data,
                          .commit_interval_ms = 60000,
                          .qls = e.qls,
                          .compact_every = 2,
                          .compact_min_files = 4,
                          .expire_every = 2,
                          .expire_age_ms = 1};
  fl_stream_job *job;
  fl_err err;
  cr_assert_eq(fl_stream_job_start(&o, &job, &err), FL_OK, "%s", err.msg);
  char on[32], late[32], raw[16];
  for (int c = 1; c <= 12; c++) {
    key_in(0, "on", c, on, sizeof on);
    key_in(0, "late", c, late, sizeof late);
    put(&e, on, T + 100 * c); /* partition 0's watermark: T + 100c - 5 s */
    put(&e, late, T);         /* below it: late, to the side table */
    snprintf(raw, sizeof raw, "bad-%d", c);
    reject(&e, raw, c);
    checkpoint(job);
  }
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 12);
  cr_assert_eq(st.late, 12);
  fl_stream_job_stop(job);

  /* 2: 2 files, left; 4: 4 -> 1; 6: 3, left; 8: 5 -> 1; 10: 3; 12: 5 -> 1 */
  cr_assert_eq(files(&e, "quarantine", "ev"), 1);
  cr_assert_eq(files(&e, "bronze", "ev"), 1);
  cr_assert_eq(files(&e, "quarantine", "ev_late"), 1);
  table_view q, b, l;
  view(&e, "quarantine", "ev", &q);
  view(&e, "bronze", "ev", &b);
  view(&e, "quarantine", "ev_late", &l);
  cr_assert_eq(q.snapshots, 1, "quarantine.ev: %u snapshots", q.snapshots);
  cr_assert_eq(b.snapshots, 1, "bronze.ev: %u snapshots", b.snapshots);
  cr_assert_eq(l.snapshots, 1, "quarantine.ev_late: %u snapshots", l.snapshots);
  cr_assert_eq(q.rows, 12);
  for (int c = 1; c <= 12; c++) {
    snprintf(raw, sizeof raw, "bad-%d", c);
    cr_assert_eq(count(&q, raw), 1, "%s once", raw);
  }
  cr_assert_eq(b.rows, 12);
  cr_assert_eq(l.rows, 12);
  cr_assert_str_eq(q.checkpoint, "12", "the replace snapshot carries the checkpoint");
  cr_assert_str_eq(q.offset0, "12", "and the quarantine log offset");
  cr_assert_str_eq(b.checkpoint, "12");

  /* a restart resumes from the kept keys: nothing is copied twice */
  reject(&e, "bad-13", 13);
  put(&e, "last", T + 2000);
  cr_assert_eq(fl_stream_job_start(&o, &job, &err), FL_OK, "%s", err.msg);
  checkpoint(job);
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 13);
  cr_assert_eq(st.records_read, 1);
  fl_stream_job_stop(job);
  view(&e, "quarantine", "ev", &q);
  view(&e, "bronze", "ev", &b);
  cr_assert_eq(q.rows, 13);
  cr_assert_eq(count(&q, "bad-13"), 1);
  cr_assert_eq(count(&q, "bad-1"), 1);
  cr_assert_eq(b.rows, 13);
  cr_assert_str_eq(q.offset0, "13");
  env_close(&e);
}

/* ---------------------------------------------------------------- the copy alone (qcopy.c) */

static fl_stream_qcopy *qcopy_start(env *e) {
  const char *names[1] = {"ev"};
  fl_log_stream *qls[1] = {e->qls};
  fl_stream_qcopy_opts o = {.data_dir = e->data, .streams = names, .qls = qls, .n = 1, .interval_ms = 60000};
  fl_stream_qcopy *c;
  fl_err err;
  cr_assert_eq(fl_stream_qcopy_start(&o, &c, &err), FL_OK, "%s", err.msg);
  return c;
}

static void qcopy_flush(fl_stream_qcopy *c) {
  fl_err err;
  cr_assert_eq(fl_stream_qcopy_flush(c, &err), FL_OK, "%s", err.msg);
}

static uint64_t consumer_floor(env *e) {
  uint64_t floor = UINT64_MAX;
  fl_err err;
  cr_assert_eq(fl_log_consumer_load(e->qls, "quarantine", &floor, &err), FL_OK, "%s", err.msg);
  return floor;
}

Test(quarantine,
     the_copy_alone_copies_each_reject_once_across_restarts_in_snapshots_without_a_checkpoint_id) {
  env e;
  env_open(&e);
  reject(&e, "bad-1", 1);
  reject(&e, "bad-2", 2);
  fl_stream_qcopy *c = qcopy_start(&e);
  cr_assert_eq(consumer_floor(&e), 0, "set to the table's offset at start: nothing copied yet");
  qcopy_flush(c);
  qcopy_flush(c); /* nothing new: no snapshot */
  table_view q;
  view(&e, "quarantine", "ev", &q);
  cr_assert_eq(q.rows, 2);
  cr_assert_eq(count(&q, "bad-1"), 1);
  cr_assert_eq(count(&q, "bad-2"), 1);
  cr_assert_eq(q.snapshots, 1, "one snapshot for the copy, none for the empty one");
  cr_assert_str_eq(q.offset0, "2");
  cr_assert_str_eq(q.checkpoint, "-", "no job's checkpoint id");
  cr_assert_eq(consumer_floor(&e), 2, "the consumer committed what the table holds");
  fl_stream_qcopy_stop(c);

  /* a restart resumes at offset 2; its stop copies what came meanwhile */
  c = qcopy_start(&e);
  qcopy_flush(c);
  view(&e, "quarantine", "ev", &q);
  cr_assert_eq(q.rows, 2, "nothing copied twice");
  reject(&e, "bad-3", 3);
  fl_stream_qcopy_stop(c);
  view(&e, "quarantine", "ev", &q);
  cr_assert_eq(q.rows, 3);
  cr_assert_eq(count(&q, "bad-3"), 1, "the last copy at stop");
  cr_assert_str_eq(q.offset0, "3");
  cr_assert_eq(q.snapshots, 2);
  env_close(&e);
}

Test(quarantine, a_lost_consumer_file_is_set_back_to_the_tables_offset_when_the_copy_starts) {
  env e;
  env_open(&e);
  reject(&e, "bad-1", 1);
  reject(&e, "bad-2", 2);
  fl_stream_qcopy *c = qcopy_start(&e);
  fl_stream_qcopy_stop(c);
  cr_assert_eq(consumer_floor(&e), 2);
  /* the server stopped, its consumer file lost, the server started again */
  fl_log_close(e.log);
  char *path = fl_sprintf("%s/log/ev.quarantine/.consumers/quarantine", e.dir);
  cr_assert_eq(unlink(path), 0, "%s", path);
  fl_free(path);
  char *logdir = fl_sprintf("%s/log", e.dir);
  fl_log_opts lo = {.retention_check_ms = -1};
  fl_err err;
  cr_assert_eq(fl_log_open(logdir, &lo, &e.log, &err), FL_OK, "%s", err.msg);
  fl_free(logdir);
  cr_assert_eq(fl_log_stream_open(e.log, "ev", 2, &e.ls, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_log_stream_open(e.log, "ev.quarantine", 1, &e.qls, &err), FL_OK, "%s", err.msg);
  c = qcopy_start(&e);
  cr_assert_eq(consumer_floor(&e), 2, "from the table, not from 0: retention keeps its floor");
  qcopy_flush(c);
  fl_stream_qcopy_stop(c);
  table_view q;
  view(&e, "quarantine", "ev", &q);
  cr_assert_eq(q.rows, 2, "nothing copied twice");
  env_close(&e);
}

Test(quarantine, the_job_and_the_copy_alone_hand_over_at_the_tables_offset) {
  env e;
  env_open(&e);
  reject(&e, "bad-1", 1);
  fl_stream_qcopy *c = qcopy_start(&e);
  fl_stream_qcopy_stop(c); /* bad-1 by the copy alone */
  reject(&e, "bad-2", 2);
  fl_stream_job *job = start(&e);
  checkpoint(job); /* bad-2 by the job, in checkpoint 1 */
  fl_stream_job_stop(job);
  table_view q;
  view(&e, "quarantine", "ev", &q);
  cr_assert_str_eq(q.checkpoint, "1");
  reject(&e, "bad-3", 3);
  c = qcopy_start(&e);
  fl_stream_qcopy_stop(c); /* bad-3 by the copy alone again */
  view(&e, "quarantine", "ev", &q);
  cr_assert_eq(q.rows, 3);
  for (int i = 1; i <= 3; i++) {
    char raw[16];
    snprintf(raw, sizeof raw, "bad-%d", i);
    cr_assert_eq(count(&q, raw), 1, "%s once", raw);
  }
  cr_assert_str_eq(q.offset0, "3");
  env_close(&e);
}
