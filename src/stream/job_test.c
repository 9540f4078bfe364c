/* Tests of the stream job (job.c, dedupe.c): records appended to the log reach
 * bronze.<stream> once, duplicates by key dropped (first arrival wins, also across a
 * restart: the dedupe state is restored from the checkpoint's state file), late events
 * flagged by their own partition's watermark (or sent to quarantine.<stream>_late),
 * one snapshot per checkpoint carrying the offsets, never an empty one; and the dedupe
 * table's state file round trip. Rows are read back with fl_scan. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/diag.h"
#include "core/hash.h"
#include "core/mem.h"
#include "stream/stream.h"
#include "stream/stream_int.h"

static char *tmpdir(void) {
  fl_diag_set_level(FL_ERROR);
  const char *root = getenv("FLOE_TEST_TMP");
  if (!root || !*root) root = "/tmp";
  mkdir(root, 0755);
  char *t = fl_sprintf("%s/streamtest.XXXXXX", root);
  cr_assert_not_null(mkdtemp(t));
  return t;
}

static void rm_rf(const char *path) {
  char *cmd = fl_sprintf("rm -rf '%s'", path);
  cr_assert_eq(system(cmd), 0);
  fl_free(cmd);
}

static const char *DDL =
    "CREATE STREAM ev (id STRING NOT NULL, n BIGINT, t TIMESTAMP NOT NULL,"
    " WATERMARK FOR t AS t - INTERVAL '5 seconds', PRIMARY KEY (id) NOT ENFORCED)"
    " WITH (dedupe_ttl = '1 hour', late_policy = '%s')";

typedef struct env {
  char *dir, *logdir, *data;
  fl_arena arena;
  fl_sql_stream *def;
  fl_log *log;
  fl_log_stream *ls;
} env;

static void env_open(env *e, const char *policy) {
  e->dir = tmpdir();
  e->logdir = fl_sprintf("%s/log", e->dir);
  e->data = fl_sprintf("%s/data", e->dir);
  fl_arena_init(&e->arena, 4096);
  char *ddl = fl_sprintf(DDL, policy);
  fl_err err;
  cr_assert_eq(fl_sql_parse_create_stream(ddl, strlen(ddl), &e->arena, &e->def, &err), FL_OK, "%s", err.msg);
  fl_free(ddl);
  fl_log_opts lo = {.retention_check_ms = -1};
  cr_assert_eq(fl_log_open(e->logdir, &lo, &e->log, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_log_stream_open(e->log, "ev", 2, &e->ls, &err), FL_OK, "%s", err.msg);
}

static void env_close(env *e) {
  fl_log_close(e->log);
  rm_rf(e->dir);
  fl_free(e->dir);
  fl_free(e->logdir);
  fl_free(e->data);
  fl_arena_destroy(&e->arena);
}

/* Appends event (id, n, t seconds) to partition p, keyed as the server keys it. */
static void put(env *e, uint32_t p, const char *id, int n, int64_t t_s) {
  char v[200];
  int len = snprintf(v, sizeof v, "{\"id\":\"%s\",\"n\":%d,\"t\":%" PRId64 "}", id, n, t_s * 1000000);
  fl_log_record r = {v, (uint32_t)len, 1, fl_hash64(id, strlen(id)), t_s * 1000, true};
  fl_err err;
  cr_assert_eq(fl_log_append_sync(e->ls, p, &r, 1, NULL, &err), FL_OK, "%s", err.msg);
}

/* Appends values v[0..n) to partition p as one log batch: each keyed and timed in its
 * header as the server writes it (ids[i], t_s[i]), or bare (ids[i] NULL: no key hash,
 * no event time, as version-1 records), which the job must parse to judge. */
static void put_raw(env *e, uint32_t p, uint32_t n, const char *const *v, const char *const *ids,
                    const int64_t *t_s) {
  fl_log_record r[8];
  cr_assert_leq(n, 8);
  for (uint32_t i = 0; i < n; i++)
    r[i] = (fl_log_record){v[i],
                           (uint32_t)strlen(v[i]),
                           1,
                           ids[i] ? fl_hash64(ids[i], strlen(ids[i])) : 0,
                           ids[i] ? t_s[i] * 1000 : 0,
                           ids[i] != NULL};
  fl_err err;
  cr_assert_eq(fl_log_append_sync(e->ls, p, r, n, NULL, &err), FL_OK, "%s", err.msg);
}

static fl_stream_job *start(env *e, fl_err *err) {
  fl_stream_job_opts o = {.def = e->def, .ls = e->ls, .data_dir = e->data, .commit_interval_ms = 60000};
  fl_stream_job *job;
  cr_assert_eq(fl_stream_job_start(&o, &job, err), FL_OK, "%s", err->msg);
  return job;
}

typedef struct seen {
  char ids[64][16];
  int n[64];
  bool late[64];
  int32_t part[64];
  int64_t off[64];
  int count;
} seen;

static int collect(void *ctx, const fl_batch *b, const char *path, const uint64_t *pos) {
  (void)path, (void)pos;
  seen *s = ctx;
  for (uint32_t r = 0; r < b->nrows; r++) {
    cr_assert_lt(s->count, 64);
    uint32_t len;
    const char *id = fl_vec_str(&b->cols[0], r, &len);
    snprintf(s->ids[s->count], 16, "%.*s", (int)len, id);
    s->n[s->count] = (int)b->cols[1].data.i64[r];
    s->part[s->count] = b->cols[3].data.i32[r];
    s->off[s->count] = b->cols[4].data.i64[r];
    s->late[s->count] = b->cols[6].data.b[r];
    s->count++;
  }
  return 0;
}

/* Every row of ns.name, and the number of snapshots. */
static seen *read_table(const char *data, const char *ns, const char *name, uint32_t *nsnap) {
  fl_warehouse *wh;
  fl_table *t;
  fl_scan *sc;
  fl_err err;
  cr_assert_eq(fl_warehouse_open(data, &wh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_load(wh, ns, name, &t, &err), FL_OK, "%s", err.msg);
  seen *s = fl_calloc(1, sizeof *s);
  cr_assert_eq(fl_scan_plan(t, NULL, &sc, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_scan_run(sc, collect, s, &err), FL_OK, "%s", err.msg);
  fl_scan_free(sc);
  if (nsnap) fl_table_snapshots(t, nsnap);
  fl_table_free(t);
  fl_warehouse_close(wh);
  return s;
}

static int find(const seen *s, const char *id) {
  int at = -1;
  for (int i = 0; i < s->count; i++)
    if (!strcmp(s->ids[i], id)) {
      cr_assert_eq(at, -1, "%s twice in bronze", id);
      at = i;
    }
  return at;
}

Test(job, duplicates_dropped_late_flagged_once_each_and_the_state_survives_a_restart) {
  env e;
  env_open(&e, "keep");
  fl_err err;
  const int64_t T = 1800000000; /* 2027-01-15 */
  put(&e, 0, "a", 1, T);
  put(&e, 0, "b", 2, T + 10);
  put(&e, 0, "a", 3, T + 11);  /* duplicate of a: dropped, first arrival (n=1) wins */
  put(&e, 0, "c", 4, T + 2);   /* the duplicate moved partition 0's watermark to T+6: late */
  put(&e, 1, "d", 5, T - 100); /* partition 1 has its own watermark: the first event is never late */
  put(&e, 0, "e", 6, T + 6);   /* not below T+6: on time */
  fl_stream_job *job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 1);
  cr_assert_eq(st.records_read, 6);
  cr_assert_eq(st.duplicates, 1);
  cr_assert_eq(st.late, 1);
  cr_assert_eq(st.rows_written, 5);
  cr_assert_eq(st.state_keys, 5);
  /* nothing new: a checkpoint commits nothing (never an empty snapshot) */
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 1);
  fl_stream_job_stop(job);

  uint32_t nsnap;
  seen *s = read_table(e.data, "bronze", "ev", &nsnap);
  cr_assert_eq(s->count, 5);
  cr_assert_eq(nsnap, 1);
  int a = find(s, "a"), c = find(s, "c"), d = find(s, "d"), ee = find(s, "e");
  cr_assert(a >= 0 && c >= 0 && d >= 0 && ee >= 0 && find(s, "b") >= 0);
  cr_assert_eq(s->n[a], 1, "first arrival wins");
  cr_assert(s->late[c] && !s->late[d] && !s->late[ee] && !s->late[a]);
  cr_assert_eq(s->part[d], 1);
  cr_assert_eq(s->off[d], 0);
  cr_assert_eq(s->off[c], 3);
  fl_free(s);

  /* after a restart: a duplicate of b (seen before the restart) is still dropped; the
   * watermark is restored too (an event below it is late) */
  put(&e, 0, "b", 7, T + 20);
  put(&e, 0, "f", 8, T + 1); /* partition 0's max event time was T+11: watermark T+6 */
  put(&e, 0, "g", 9, T + 30);
  job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 2);
  cr_assert_eq(st.records_read, 3, "the job resumed at the checkpoint's offsets");
  cr_assert_eq(st.duplicates, 1);
  cr_assert_eq(st.late, 1);
  fl_stream_job_stop(job);
  s = read_table(e.data, "bronze", "ev", &nsnap);
  cr_assert_eq(s->count, 7);
  cr_assert_eq(nsnap, 2);
  cr_assert_eq(s->n[find(s, "b")], 2);
  cr_assert(s->late[find(s, "f")]);
  cr_assert(!s->late[find(s, "g")]);
  fl_free(s);
  /* the log consumer "stream" committed the offsets after the commit */
  uint64_t offs[2];
  cr_assert_eq(fl_log_consumer_load(e.ls, "stream", offs, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(offs[0], 8);
  cr_assert_eq(offs[1], 1);
  env_close(&e);
}

Test(job, late_policy_side_sends_late_events_to_the_late_table_in_the_same_checkpoint) {
  env e;
  env_open(&e, "side");
  fl_err err;
  const int64_t T = 1800000000;
  put(&e, 0, "a", 1, T + 100);
  put(&e, 0, "b", 2, T); /* late */
  put(&e, 0, "c", 3, T + 101);
  fl_stream_job *job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_job_stop(job);
  uint32_t nb, nl;
  seen *b = read_table(e.data, "bronze", "ev", &nb);
  seen *l = read_table(e.data, "quarantine", "ev_late", &nl);
  cr_assert_eq(b->count, 2);
  cr_assert_eq(l->count, 1);
  cr_assert_str_eq(l->ids[0], "b");
  cr_assert(l->late[0]);
  cr_assert_eq(find(b, "b"), -1);
  cr_assert_eq(nb, 1);
  cr_assert_eq(nl, 1);
  fl_free(b);
  fl_free(l);
  env_close(&e);
}

/* Issue 14: one commit per checkpoint per table, never an empty one. With
 * late_policy = 'side', checkpoints without a late event leave quarantine.ev_late
 * alone (no snapshot of no file); the one with a late event commits it, under the
 * checkpoint id of that checkpoint; a restart resumes from bronze's checkpoint, not
 * confused by the side table's older one. */
Test(job, late_side_table_gets_a_snapshot_only_in_checkpoints_with_late_events) {
  env e;
  env_open(&e, "side");
  fl_err err;
  const int64_t T = 1800000000;
  fl_stream_job *job = start(&e, &err);
  char id[16];
  for (int c = 0; c < 4; c++) { /* in order: nothing late */
    snprintf(id, sizeof id, "k%d", c);
    put(&e, 0, id, c, T + c);
    cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  }
  fl_stream_job_stop(job);
  uint32_t nb, nl;
  seen *b = read_table(e.data, "bronze", "ev", &nb);
  seen *l = read_table(e.data, "quarantine", "ev_late", &nl);
  cr_assert_eq(b->count, 4);
  cr_assert_eq(nb, 4, "one snapshot per checkpoint");
  cr_assert_eq(l->count, 0);
  cr_assert_eq(nl, 0, "no late event: the side table has no snapshot, %u seen", nl);
  fl_free(b);
  fl_free(l);
  /* restart: bronze's checkpoint 4 is resumed; then one late event beside a kept one */
  put(&e, 0, "late", 9, T - 100);
  put(&e, 0, "k4", 4, T + 4);
  job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  put(&e, 0, "k5", 5, T + 5);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 6);
  cr_assert_eq(st.records_read, 3, "nothing read twice");
  cr_assert_eq(st.late, 1);
  fl_stream_job_stop(job);
  b = read_table(e.data, "bronze", "ev", &nb);
  l = read_table(e.data, "quarantine", "ev_late", &nl);
  cr_assert_eq(b->count, 6);
  cr_assert_eq(nb, 6);
  cr_assert_eq(l->count, 1);
  cr_assert_str_eq(l->ids[0], "late");
  cr_assert_eq(nl, 1, "only checkpoint 5 had a late event, %u snapshots", nl);
  fl_free(b);
  fl_free(l);
  fl_warehouse *wh;
  fl_table *t;
  cr_assert_eq(fl_warehouse_open(e.data, &wh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_load(wh, "quarantine", "ev_late", &t, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(fl_table_checkpoint(t, "floe.checkpoint-id"), "5");
  fl_table_free(t);
  fl_warehouse_close(wh);
  /* a third start: the side table's checkpoint (5) is behind bronze's (6): nothing re-read */
  job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.records_read, 0);
  cr_assert_eq(st.checkpoint_id, 6);
  fl_stream_job_stop(job);
  env_close(&e);
}

/* A checkpoint whose kept rows are all late commits the side table alone (bronze gets
 * no snapshot of no file) with the checkpoint's offsets and state chain; a restart
 * resumes after it: the late record is not read again, and its key is still known. */
Test(job, a_checkpoint_of_late_rows_only_commits_the_side_table_alone_and_a_restart_resumes_after_it) {
  env e;
  env_open(&e, "side");
  fl_err err;
  const int64_t T = 1800000000;
  put(&e, 0, "a", 1, T + 100);
  fl_stream_job *job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  put(&e, 0, "b", 2, T); /* late: partition 0's watermark is T + 95 */
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 2);
  cr_assert_eq(st.late, 1);
  fl_stream_job_stop(job);
  uint32_t nb, nl;
  seen *b = read_table(e.data, "bronze", "ev", &nb);
  seen *l = read_table(e.data, "quarantine", "ev_late", &nl);
  cr_assert_eq(nb, 1, "checkpoint 2 had no row for bronze: no snapshot, %u seen", nb);
  cr_assert_eq(nl, 1);
  cr_assert_eq(b->count, 1);
  cr_assert_eq(l->count, 1);
  fl_free(b);
  fl_free(l);
  fl_warehouse *wh;
  fl_table *t;
  cr_assert_eq(fl_warehouse_open(e.data, &wh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_load(wh, "quarantine", "ev_late", &t, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(fl_table_checkpoint(t, "floe.checkpoint-id"), "2");
  cr_assert_str_eq(fl_table_checkpoint(t, "floe.log-offset.0"), "2");
  cr_assert_str_eq(fl_table_checkpoint(t, "floe.log-offset.1"), "0");
  cr_assert_str_eq(fl_table_checkpoint(t, "floe.stream-state"), "1-2");
  cr_assert_str_eq(fl_table_checkpoint(t, "floe.bronze-checkpoint-id"), "1", "the bronze it follows");
  fl_table_free(t);
  fl_warehouse_close(wh);
  /* restart: b again (a duplicate, known from checkpoint 2's delta) and a new key */
  put(&e, 0, "b", 3, T + 1);
  put(&e, 1, "c", 4, T + 101);
  job = start(&e, &err);
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 2, "the side table's checkpoint is the last");
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 3);
  cr_assert_eq(st.records_read, 2, "the late record of checkpoint 2 is not read again");
  cr_assert_eq(st.duplicates, 1);
  fl_stream_job_stop(job);
  b = read_table(e.data, "bronze", "ev", &nb);
  l = read_table(e.data, "quarantine", "ev_late", &nl);
  cr_assert_eq(b->count, 2);
  cr_assert_geq(find(b, "a"), 0);
  cr_assert_geq(find(b, "c"), 0);
  cr_assert_eq(nb, 2);
  cr_assert_eq(l->count, 1);
  cr_assert_eq(find(l, "b"), 0);
  cr_assert_eq(nl, 1);
  fl_free(b);
  fl_free(l);
  uint64_t offs[2];
  cr_assert_eq(fl_log_consumer_load(e.ls, "stream", offs, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(offs[0], 3);
  cr_assert_eq(offs[1], 1);
  env_close(&e);
}

/* The same after late_policy changed from 'side' to 'keep': the side table is no longer
 * written, but its checkpoint (the last) is where the job resumes: nothing is read
 * twice, so the late event is not copied into bronze as well. */
Test(job, after_late_policy_changes_from_side_to_keep_the_side_tables_last_checkpoint_still_counts) {
  env e;
  env_open(&e, "side");
  fl_err err;
  const int64_t T = 1800000000;
  put(&e, 0, "a", 1, T + 100);
  fl_stream_job *job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  put(&e, 0, "b", 2, T); /* late: the side table alone, checkpoint 2 */
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_job_stop(job);
  char *ddl = fl_sprintf(DDL, "keep");
  fl_sql_stream *keep;
  cr_assert_eq(fl_sql_parse_create_stream(ddl, strlen(ddl), &e.arena, &keep, &err), FL_OK, "%s", err.msg);
  fl_free(ddl);
  put(&e, 0, "c", 3, T + 1); /* late, kept in bronze now */
  fl_stream_job_opts o = {.def = keep, .ls = e.ls, .data_dir = e.data, .commit_interval_ms = 60000};
  cr_assert_eq(fl_stream_job_start(&o, &job, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 3);
  cr_assert_eq(st.records_read, 1, "b was committed by checkpoint 2: not read again");
  fl_stream_job_stop(job);
  seen *b = read_table(e.data, "bronze", "ev", NULL);
  cr_assert_eq(b->count, 2);
  cr_assert_eq(find(b, "b"), -1, "b is in the side table only");
  cr_assert(b->late[find(b, "c")]);
  fl_free(b);
  env_close(&e);
}

/* The side table's later checkpoint counts only if it followed the bronze that is
 * there: bronze dropped (to be rebuilt from the log) is read again from offset 0. */
Test(job, a_bronze_made_again_is_rebuilt_from_the_log_despite_the_side_tables_later_checkpoint) {
  env e;
  env_open(&e, "side");
  fl_err err;
  const int64_t T = 1800000000;
  put(&e, 0, "a", 1, T + 100);
  fl_stream_job *job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  put(&e, 0, "b", 2, T); /* late: the side table alone, checkpoint 2 */
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_job_stop(job);
  fl_warehouse *wh;
  cr_assert_eq(fl_warehouse_open(e.data, &wh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_drop(wh, "bronze", "ev", true, &err), FL_OK, "%s", err.msg);
  fl_warehouse_close(wh);
  char *ddl = fl_sprintf(DDL, "keep");
  fl_sql_stream *keep;
  cr_assert_eq(fl_sql_parse_create_stream(ddl, strlen(ddl), &e.arena, &keep, &err), FL_OK, "%s", err.msg);
  fl_free(ddl);
  fl_stream_job_opts o = {.def = keep, .ls = e.ls, .data_dir = e.data, .commit_interval_ms = 60000};
  cr_assert_eq(fl_stream_job_start(&o, &job, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.records_read, 2, "the new bronze reads the log from its start");
  fl_stream_job_stop(job);
  seen *b = read_table(e.data, "bronze", "ev", NULL);
  cr_assert_eq(b->count, 2);
  cr_assert(!b->late[find(b, "a")]);
  cr_assert(b->late[find(b, "b")]);
  fl_free(b);
  env_close(&e);
}

Test(job, dedupe_table_evicts_by_watermark_and_round_trips_through_its_state_file) {
  fl_dedupe d[2];
  fl_dedupe_init(&d[0]);
  fl_dedupe_init(&d[1]);
  const int64_t T = 1800000000000; /* ms */
  const int64_t ttl = 3600ll * 1000000;
  for (uint64_t k = 1; k <= 10000; k++)
    cr_assert(fl_dedupe_insert(&d[0], k, fl_dedupe_expiry(T + (int64_t)k * 1000, ttl)));
  cr_assert(!fl_dedupe_insert(&d[0], 77, fl_dedupe_expiry(T, ttl)));
  cr_assert(fl_dedupe_insert(&d[1], 77, fl_dedupe_expiry(T, ttl)), "partitions are separate");
  cr_assert_eq(d[0].n, 10000);
  cr_assert_leq(fl_dedupe_bytes(&d[0]) / d[0].n, 32, "at most 32 bytes per live key");
  /* watermark at T + 1 hour + 5000 s: keys 1..4999 expired (expiry < watermark) */
  fl_dedupe_evict(&d[0], T + 3600000 + 5000 * 1000);
  cr_assert_eq(d[0].n, 10000 - 4999);
  cr_assert(fl_dedupe_insert(&d[0], 1, 0), "an evicted key is new again");
  cr_assert(!fl_dedupe_insert(&d[0], 5000, 0));
  char *dir = tmpdir();
  char *path = fl_sprintf("%s/x.state", dir);
  int64_t met[2] = {T, INT64_MIN};
  fl_err err;
  cr_assert_eq(fl_dedupe_state_write(path, d, met, 2, &err), FL_OK, "%s", err.msg);
  fl_dedupe r[2];
  fl_dedupe_init(&r[0]);
  fl_dedupe_init(&r[1]);
  int64_t rmet[2];
  cr_assert_eq(fl_dedupe_state_read(path, r, rmet, 2, false, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(r[0].n, d[0].n);
  cr_assert_eq(r[1].n, 1);
  cr_assert_eq(rmet[0], T);
  cr_assert_eq(rmet[1], INT64_MIN);
  cr_assert(!fl_dedupe_insert(&r[0], 9999, 0));
  cr_assert(!fl_dedupe_insert(&r[1], 77, 0));
  /* a flipped byte is refused, naming the file */
  FILE *f = fopen(path, "r+b");
  fseek(f, 20, SEEK_SET);
  fputc(0x5a, f);
  fclose(f);
  cr_assert_eq(fl_dedupe_state_read(path, r, rmet, 2, false, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, "x.state"), "%s", err.msg);
  for (int i = 0; i < 2; i++) fl_dedupe_free(&d[i]), fl_dedupe_free(&r[i]);
  rm_rf(dir);
  fl_free(dir);
  fl_free(path);
}

Test(job, old_snapshots_expire_within_the_commit_cadence_and_lose_no_row_or_checkpoint) {
  env e;
  env_open(&e, "keep");
  fl_err err;
  const int64_t T = 1800000000;
  fl_stream_job_opts o = {.def = e.def,
                          .ls = e.ls,
                          .data_dir = e.data,
                          .commit_interval_ms = 60000,
                          .expire_every = 2,
                          .expire_age_ms = 1};
  fl_stream_job *job;
  cr_assert_eq(fl_stream_job_start(&o, &job, &err), FL_OK, "%s", err.msg);
  char id[16];
  for (int c = 0; c < 5; c++) {
    snprintf(id, sizeof id, "k%d", c);
    put(&e, (uint32_t)c % 2, id, c, T + c);
    cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  }
  fl_stream_job_stop(job);
  uint32_t nsnap;
  seen *s = read_table(e.data, "bronze", "ev", &nsnap);
  cr_assert_eq(s->count, 5);
  cr_assert_eq(nsnap, 2, "checkpoint 4 expired 1-3 (all but the newest), checkpoint 5 added one");
  fl_free(s);
  /* the checkpoint (offsets, state) is still read after the expiry */
  put(&e, 0, "k0", 9, T + 9); /* a duplicate of checkpoint 1's key */
  put(&e, 1, "k9", 9, T + 9);
  job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.checkpoint_id, 6);
  cr_assert_eq(st.records_read, 2);
  cr_assert_eq(st.duplicates, 1);
  fl_stream_job_stop(job);
  s = read_table(e.data, "bronze", "ev", NULL);
  cr_assert_eq(s->count, 6);
  fl_free(s);
  env_close(&e);
}

Test(job, small_files_of_many_checkpoints_are_folded_in_the_commit_cadence) {
  env e;
  env_open(&e, "keep");
  fl_err err;
  const int64_t T = 1800000000;
  fl_stream_job_opts o = {.def = e.def,
                          .ls = e.ls,
                          .data_dir = e.data,
                          .commit_interval_ms = 60000,
                          .compact_every = 2,
                          .compact_min_files = 4};
  fl_stream_job *job;
  cr_assert_eq(fl_stream_job_start(&o, &job, &err), FL_OK, "%s", err.msg);
  char id[16];
  for (int c = 0; c < 6; c++) { /* one file per checkpoint (the table is unpartitioned) */
    snprintf(id, sizeof id, "k%d", c);
    put(&e, 0, id, c, T + c);
    cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  }
  fl_stream_job_stop(job);
  /* checkpoint 2: 2 files, left; 4: 4 files -> 1; 6: 3 files (< 4), left */
  fl_warehouse *wh;
  fl_table *t;
  fl_scan *sc;
  cr_assert_eq(fl_warehouse_open(e.data, &wh, &err), FL_OK);
  cr_assert_eq(fl_table_load(wh, "bronze", "ev", &t, &err), FL_OK);
  cr_assert_eq(fl_scan_plan(t, NULL, &sc, &err), FL_OK);
  cr_assert_eq(fl_scan_get_stats(sc)->files_planned, 3);
  fl_scan_free(sc);
  cr_assert_str_eq(fl_table_checkpoint(t, "floe.checkpoint-id"), "6",
                   "the replace snapshots carry the checkpoint");
  fl_table_free(t);
  fl_warehouse_close(wh);
  seen *s = read_table(e.data, "bronze", "ev", NULL);
  cr_assert_eq(s->count, 6);
  for (int c = 0; c < 6; c++) {
    snprintf(id, sizeof id, "k%d", c);
    cr_assert_geq(find(s, id), 0);
  }
  fl_free(s);
  env_close(&e);
}

static int count_unique(void *ctx, const fl_batch *b, const char *path, const uint64_t *pos) {
  (void)path, (void)pos;
  uint8_t *hit = ctx; /* per event number: times seen (ids "r<n>") */
  for (uint32_t r = 0; r < b->nrows; r++) {
    uint32_t len;
    const char *id = fl_vec_str(&b->cols[0], r, &len);
    char num[16] = {0}; /* the value is not NUL-terminated: the batch's bytes go on */
    memcpy(num, id + 1, len > 1 && len - 1 < sizeof num ? len - 1 : 0);
    int n = atoi(num);
    cr_assert(len > 1 && n >= 0 && n < 20000, "%.*s", (int)len, id);
    hit[n]++;
  }
  return 0;
}

/* A checkpoint whose rows pass bronze's write.target-file-size-bytes writes several
 * files (the appender's roll, src/table/append.c), all in the checkpoint's one
 * snapshot under its id: exactly once is unchanged. */
Test(job, a_checkpoint_larger_than_the_target_file_size_rolls_files_in_its_one_commit) {
  env e;
  env_open(&e, "keep");
  fl_err err;
  fl_stream_job *job = start(&e, &err); /* creates bronze.ev */
  fl_stream_job_stop(job);
  fl_warehouse *wh;
  fl_table *t;
  cr_assert_eq(fl_warehouse_open(e.data, &wh, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_load(wh, "bronze", "ev", &t, &err), FL_OK, "%s", err.msg);
  fl_kv kv = {"write.target-file-size-bytes", "8192"};
  cr_assert_eq(fl_table_set_properties(t, &kv, 1, &err), FL_OK, "%s", err.msg);
  fl_table_free(t);
  enum { N = 20000 };
  fl_log_record *recs = fl_calloc(N, sizeof *recs);
  char *text = fl_malloc((size_t)N * 96);
  for (uint32_t i = 0; i < N; i++) {
    char *v = text + (size_t)i * 96, id[16];
    int idlen = snprintf(id, sizeof id, "r%u", i);
    int len = snprintf(v, 96, "{\"id\":\"%s\",\"n\":%u,\"t\":%" PRId64 "}", id, i * 7919u,
                       (int64_t)(1800000000LL + i / 100) * 1000000);
    recs[i] = (fl_log_record){v, (uint32_t)len, 1, fl_hash64(id, (size_t)idlen), 0, false};
  }
  cr_assert_eq(fl_log_append_sync(e.ls, 0, recs, N, NULL, &err), FL_OK, "%s", err.msg);
  job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_job_stop(job);
  fl_free(recs);
  fl_free(text);

  cr_assert_eq(fl_table_load(wh, "bronze", "ev", &t, &err), FL_OK, "%s", err.msg);
  uint32_t nsnap;
  fl_table_snapshots(t, &nsnap);
  cr_assert_eq(nsnap, 1, "one checkpoint, one snapshot");
  const char *added = fl_snapshot_summary_get(fl_table_current_snapshot(t), "added-data-files");
  cr_assert_geq(atoi(added), 4, "%s files for ~%d KiB of rows", added, N * 20 / 1024);
  cr_assert_str_eq(fl_table_checkpoint(t, "floe.checkpoint-id"), "1");
  fl_scan *sc;
  uint8_t *hit = fl_calloc(N, 1);
  cr_assert_eq(fl_scan_plan(t, NULL, &sc, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_scan_get_stats(sc)->files_planned, (uint64_t)atoi(added));
  cr_assert_eq(fl_scan_run(sc, count_unique, hit, &err), FL_OK, "%s", err.msg);
  for (uint32_t i = 0; i < N; i++) cr_assert_eq(hit[i], 1, "r%u read %u times", i, hit[i]);
  fl_scan_free(sc);
  fl_free(hit);
  fl_table_free(t);
  fl_warehouse_close(wh);
  env_close(&e);
}

/* The stream watermark is the minimum over partitions that are not idle: a partition
 * that stopped receiving (idle_timeout) does not hold it back. */
Test(job, an_idle_partition_does_not_hold_back_the_stream_watermark) {
  env e;
  env_open(&e, "keep");
  fl_err err;
  const int64_t T = 1800000000;
  fl_stream_job_opts o = {
      .def = e.def, .ls = e.ls, .data_dir = e.data, .commit_interval_ms = 60000, .idle_timeout_ms = 300};
  fl_stream_job *job;
  cr_assert_eq(fl_stream_job_start(&o, &job, &err), FL_OK, "%s", err.msg);
  put(&e, 0, "a", 1, T + 100);
  put(&e, 1, "b", 2, T); /* partition 1 is behind */
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.watermark_ms, (T - 5) * 1000, "both active: the slower partition's");
  /* partition 1 goes quiet; partition 0 moves on */
  struct timespec ts = {0, 400 * 1000000};
  nanosleep(&ts, NULL);
  put(&e, 0, "c", 3, T + 200);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.watermark_ms, (T + 195) * 1000, "partition 1 is idle: partition 0's");
  /* partition 1 speaks again: it counts again */
  put(&e, 1, "d", 4, T + 10);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.watermark_ms, (T + 5) * 1000);
  fl_stream_job_stop(job);
  env_close(&e);
}

static int count_state_files(const char *data, const char *suffix) {
  char *cmd = fl_sprintf("ls %s/stream/ev/ | grep -c '%s$'", data, suffix);
  FILE *f = popen(cmd, "r");
  int n = -1;
  cr_assert_eq(fscanf(f, "%d", &n), 1);
  pclose(f);
  fl_free(cmd);
  return n;
}

/* The dedupe state is written incrementally: a full file every full_state_every
 * checkpoints, deltas (the keys each checkpoint inserted) between; a restart from a
 * full + deltas chain still drops duplicates of every key, and older files go. */
Test(job, the_dedupe_state_is_a_full_file_then_deltas_and_restores_from_the_chain) {
  env e;
  env_open(&e, "keep");
  fl_err err;
  const int64_t T = 1800000000;
  fl_stream_job_opts o = {
      .def = e.def, .ls = e.ls, .data_dir = e.data, .commit_interval_ms = 60000, .full_state_every = 3};
  fl_stream_job *job;
  cr_assert_eq(fl_stream_job_start(&o, &job, &err), FL_OK, "%s", err.msg);
  char id[16];
  for (int c = 0; c < 3; c++) { /* checkpoint 1 full, 2 and 3 deltas */
    for (int k = 0; k < 4; k++) {
      snprintf(id, sizeof id, "c%dk%d", c, k);
      put(&e, (uint32_t)k % 2, id, c, T + c);
    }
    cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  }
  fl_stream_job_stop(job);
  cr_assert_eq(count_state_files(e.data, ".state"), 1);
  cr_assert_eq(count_state_files(e.data, ".delta"), 2);
  /* restart: duplicates of keys from each of the three checkpoints are dropped */
  put(&e, 0, "c0k0", 9, T + 9);
  put(&e, 1, "c1k1", 9, T + 9);
  put(&e, 0, "c2k2", 9, T + 9);
  put(&e, 1, "new", 9, T + 9);
  cr_assert_eq(fl_stream_job_start(&o, &job, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg); /* 4: 4 - 1 >= 3: full */
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.duplicates, 3);
  cr_assert_eq(st.rows_written, 1);
  cr_assert_eq(st.state_keys, 13);
  fl_stream_job_stop(job);
  cr_assert_eq(count_state_files(e.data, ".state"), 1, "the new full file only");
  cr_assert_eq(count_state_files(e.data, ".delta"), 0);
  seen *s = read_table(e.data, "bronze", "ev", NULL);
  cr_assert_eq(s->count, 13);
  fl_free(s);
  env_close(&e);
}

/* State stays flat at a constant rate: keys older than the partition's watermark minus
 * dedupe_ttl (1 hour here) are evicted at each checkpoint, so over 4 hours of event
 * time the live keys stay near one hour's worth. */
Test(job, dedupe_state_stays_flat_as_event_time_moves_past_the_ttl) {
  env e;
  env_open(&e, "keep");
  fl_err err;
  const int64_t T = 1800000000;
  fl_stream_job *job = start(&e, &err);
  char id[24];
  uint64_t most = 0;
  for (int m = 0; m < 240; m += 10) { /* a checkpoint every 10 minutes of event time, 20 keys each */
    for (int k = 0; k < 20; k++) {
      snprintf(id, sizeof id, "m%dk%d", m, k);
      put(&e, (uint32_t)k % 2, id, k, T + m * 60 + k);
    }
    cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
    fl_stream_stats st;
    fl_stream_job_stats(job, &st);
    if (st.state_keys > most) most = st.state_keys;
  }
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  /* keys of the last hour plus one step: 7 checkpoints x 20 */
  cr_assert_leq(most, 7 * 20, "%" PRIu64 " live keys at most", most);
  cr_assert_geq(st.state_keys, 6 * 20);
  cr_assert_eq(st.rows_written, 24 * 20);
  fl_stream_job_stop(job);
  env_close(&e);
}

/* Records whose headers carry key hash and event time are judged before parsing and
 * parsed straight into bronze's batch; bare ones are parsed first, then judged. Both
 * kinds, mixed in one partition, give the same rows: one key is one key whichever
 * carries it, the watermark follows both, and a kept record that does not parse is
 * skipped as a parse error without shifting the rows (and offsets) after it. */
Test(job, keyed_and_bare_records_are_judged_alike_and_a_record_that_does_not_parse_is_skipped) {
  env e;
  env_open(&e, "keep");
  fl_err err;
  const int64_t T = 1800000000;
  char v[8][200];
  const char *vp[8];
  for (int i = 0; i < 8; i++) vp[i] = v[i];
#define EV(i, id, n, t) \
  snprintf(v[i], sizeof v[i], "{\"id\":\"%s\",\"n\":%d,\"t\":%" PRId64 "}", id, n, (int64_t)(t)*1000000)
  EV(0, "a", 1, T);      /* offset 0, keyed */
  EV(1, "b", 2, T + 10); /* 1, bare */
  EV(2, "a", 3, T + 11); /* 2, bare duplicate of keyed a: dropped */
  EV(3, "b", 4, T + 12); /* 3, keyed duplicate of bare b: dropped */
  snprintf(v[4], sizeof v[4], "{\"id\":\"x\",\"n\":\"many\",\"t\":1}"); /* 4, keyed: n is no BIGINT */
  EV(5, "c", 5, T + 2);                                                 /* 5, keyed, late (watermark T+8) */
  EV(6, "f", 7, T + 14); /* 6, keyed, after the bad record in its batch */
  EV(7, "d", 6, T + 3);  /* 7, bare, late */
#undef EV
  const char *ids[8] = {"a", NULL, NULL, "b", "x", "c", "f", NULL};
  const int64_t ts[8] = {T, 0, 0, T + 12, T + 13, T + 2, T + 14, 0};
  put_raw(&e, 0, 1, vp, ids, ts);             /* 0: keyed */
  put_raw(&e, 0, 2, vp + 1, ids + 1, ts + 1); /* 1-2: bare */
  put_raw(&e, 0, 4, vp + 3, ids + 3, ts + 3); /* 3-6: keyed, one of them bad */
  put_raw(&e, 0, 1, vp + 7, ids + 7, ts + 7); /* 7: bare */
  /* 8-9: keyed, an empty record (no line to parse: a parse error too) before g */
  const char *v2[2] = {"", "{\"id\":\"g\",\"n\":8,\"t\":1800000020000000}"}, *ids2[2] = {"y", "g"};
  const int64_t ts2[2] = {T + 15, T + 20};
  put_raw(&e, 0, 2, v2, ids2, ts2);
  fl_stream_job *job = start(&e, &err);
  cr_assert_eq(fl_stream_job_checkpoint_now(job, &err), FL_OK, "%s", err.msg);
  fl_stream_stats st;
  fl_stream_job_stats(job, &st);
  cr_assert_eq(st.records_read, 10);
  cr_assert_eq(st.duplicates, 2);
  cr_assert_eq(st.parse_errors, 2);
  cr_assert_eq(st.late, 2);
  cr_assert_eq(st.rows_written, 6);
  fl_stream_job_stop(job);
  seen *s = read_table(e.data, "bronze", "ev", NULL);
  cr_assert_eq(s->count, 6);
  const char *want[] = {"a", "b", "c", "d", "f", "g"};
  const int ns[] = {1, 2, 5, 6, 7, 8}, offs[] = {0, 1, 5, 7, 6, 9};
  const bool late[] = {false, false, true, true, false, false};
  for (int i = 0; i < 6; i++) {
    int at = find(s, want[i]);
    cr_assert(at >= 0, "%s in bronze", want[i]);
    cr_assert_eq(s->n[at], ns[i], "%s: n", want[i]);
    cr_assert_eq(s->off[at], offs[i], "%s: _offset", want[i]);
    cr_assert_eq(s->late[at], late[i], "%s: _late", want[i]);
    cr_assert_eq(s->part[at], 0);
  }
  cr_assert_eq(find(s, "x"), -1);
  fl_free(s);
  env_close(&e);
}
