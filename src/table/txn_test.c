/* Tests of the checkpoint transaction (txn.c): three tables commit together or not at
 * all, a checkpoint is applied once however often it is re-run (also after compaction
 * replaced the snapshot that carried it), a lost catalog answer deletes nothing, a row
 * delta whose file was compacted away fails validation instead of losing its delete,
 * and, across processes, a writer, a compactor and a reader never disagree. Real files,
 * real SQLite catalog. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/time.h"
#include "table/table.h"

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "ver", {FL_T_BIGINT, 0, 0}, true},
};
static const fl_schema schema = {0, 2, fields, 0, NULL};
static char dir[512];

static void make_dir(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  snprintf(dir, sizeof dir, "%s/txn-XXXXXX", base);
  cr_assert(mkdtemp(dir));
}

static void remove_dir(void) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  (void)!system(cmd);
}

TestSuite(txn, .init = make_dir, .fini = remove_dir);

static const char *const NS[3] = {"bronze", "bronze", "silver"};
static const char *const NAME[3] = {"a", "b", "c"};

static fl_warehouse *open_wh(void) {
  fl_warehouse *wh;
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  return wh;
}

static void create3(fl_warehouse *wh, fl_table *t[3]) {
  fl_err err = {0};
  for (int i = 0; i < 3; i++)
    cr_assert_eq(fl_table_create(wh, NS[i], NAME[i], &schema, NULL, &t[i], &err), FL_OK, "%s", err.msg);
}

static void load3(fl_warehouse *wh, fl_table *t[3]) {
  fl_err err = {0};
  for (int i = 0; i < 3; i++)
    cr_assert_eq(fl_table_load(wh, NS[i], NAME[i], &t[i], &err), FL_OK, "%s", err.msg);
}

static void free3(fl_table *t[3]) {
  for (int i = 0; i < 3; i++) fl_table_free(t[i]);
}

static void write_row(fl_appender *app, int64_t id, int64_t ver, fl_row_location *loc) {
  fl_batch *b = fl_batch_new(fields, 2, 1);
  fl_vec_append_i64(&b->cols[0], id);
  fl_vec_append_i64(&b->cols[1], ver);
  fl_batch_set_rows(b, 1);
  fl_err err = {0};
  cr_assert_eq(fl_appender_write_located(app, b, loc, &err), FL_OK, "%s", err.msg);
  fl_batch_free(b);
}

/* The rows of a table: id -> (count, ver, file, pos). */
typedef struct row_state {
  uint32_t n; /* rows seen */
  uint32_t count[4096];
  int64_t ver[4096];
  char file[4096][256];
  uint64_t pos[4096];
} row_state;

static int collect(void *ctx, const fl_batch *batch, const char *path, const uint64_t *pos) {
  row_state *rs = ctx;
  for (uint32_t i = 0; i < batch->nrows; i++) {
    int64_t id = batch->cols[0].data.i64[i];
    if (id < 0 || id >= 4096) return FL_ECORRUPT;
    rs->count[id]++;
    rs->ver[id] = batch->cols[1].data.i64[i];
    snprintf(rs->file[id], sizeof rs->file[id], "%s", path);
    rs->pos[id] = pos[i];
    rs->n++;
  }
  return 0;
}

static fl_code scan_rows(fl_table *tbl, row_state *rs, fl_err *err) {
  memset(rs, 0, sizeof *rs);
  fl_scan *sc;
  fl_code rc = fl_scan_plan(tbl, NULL, &sc, err);
  if (rc) return rc;
  rc = fl_scan_run(sc, collect, rs, err);
  fl_scan_free(sc);
  return rc;
}

static int64_t checkpoint_of(const fl_table *tbl) {
  const char *v = fl_table_checkpoint(tbl, "floe.checkpoint-id");
  return v ? strtoll(v, NULL, 10) : 0;
}

/* Checkpoint k: a and b get row id=k; c upserts key k % KEYS (delete its old row,
 * insert (key, ver=k)). Returns the outcome of the commit. */
#define KEYS 10
static fl_code run_checkpoint(fl_warehouse *wh, fl_table *t[3], int64_t k, fl_txn_result *res, fl_err *err) {
  static row_state rs;
  fl_code rc = scan_rows(t[2], &rs, err);
  if (rc) return rc;
  fl_txn *txn;
  if ((rc = fl_txn_begin(wh, k, &txn, err))) return rc;
  fl_appender *app;
  for (int i = 0; i < 2; i++) {
    if ((rc = fl_txn_append(txn, t[i], &app, err))) goto done;
    write_row(app, k, k, NULL);
    char off[24];
    snprintf(off, sizeof off, "%lld", (long long)k * 10);
    fl_kv kv[1] = {{"floe.log-offset.0", off}};
    if ((rc = fl_txn_set_summary(txn, t[i], kv, 1, err))) goto done;
  }
  if ((rc = fl_txn_row_delta(txn, t[2], &app, err))) goto done;
  int64_t key = k % KEYS;
  if (rs.count[key] && (rc = fl_appender_delete(app, rs.file[key], rs.pos[key], err))) goto done;
  write_row(app, key, k, NULL);
  rc = fl_txn_commit(txn, res, err);
done:
  fl_txn_free(txn);
  return rc;
}

/* What every table must hold at checkpoint k. */
static void check_at(fl_table *t[3], int64_t k) {
  static row_state rs;
  fl_err err = {0};
  for (int i = 0; i < 2; i++) {
    cr_assert_eq(scan_rows(t[i], &rs, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(rs.n, (uint32_t)k, "%s.%s at checkpoint %lld: %u rows", NS[i], NAME[i], (long long)k, rs.n);
    for (int64_t id = 1; id <= k; id++)
      cr_assert_eq(rs.count[id], 1, "%s: id %lld x%u", NAME[i], (long long)id, rs.count[id]);
  }
  cr_assert_eq(scan_rows(t[2], &rs, &err), FL_OK, "%s", err.msg);
  uint32_t want = k < KEYS ? (uint32_t)k : KEYS;
  cr_assert_eq(rs.n, want, "silver.c at checkpoint %lld: %u rows, want %u", (long long)k, rs.n, want);
  for (int64_t key = 0; key < KEYS; key++) {
    int64_t last = k - ((k - key) % KEYS + KEYS) % KEYS; /* latest j <= k with j % KEYS == key */
    if (last < 1) continue;
    cr_assert_eq(rs.count[key], 1, "c: key %lld x%u", (long long)key, rs.count[key]);
    cr_assert_eq(rs.ver[key], last, "c: key %lld ver %lld, want %lld", (long long)key, (long long)rs.ver[key],
                 (long long)last);
  }
}

Test(txn, three_tables_commit_together_and_a_rerun_checkpoint_is_skipped) {
  fl_warehouse *wh = open_wh();
  fl_table *t[3];
  create3(wh, t);
  fl_err err = {0};
  fl_txn_result res;
  for (int64_t k = 1; k <= 12; k++) {
    cr_assert_eq(run_checkpoint(wh, t, k, &res, &err), FL_OK, "checkpoint %lld: %s", (long long)k, err.msg);
    cr_assert_eq(res.tables_committed, 3);
  }
  check_at(t, 12);
  for (int i = 0; i < 3; i++) cr_assert_eq(checkpoint_of(t[i]), 12);
  cr_assert_str_eq(fl_table_checkpoint(t[0], "floe.log-offset.0"), "120");
  /* the catalog's pointers are those of the last commit */
  fl_catalog_ident ids[3] = {{NS[0], NAME[0]}, {NS[1], NAME[1]}, {NS[2], NAME[2]}};
  char *locs[3];
  cr_assert_eq(fl_catalog_load_many(fl_warehouse_catalog(wh), ids, 3, locs, &err), FL_OK, "%s", err.msg);
  for (int i = 0; i < 3; i++) {
    cr_assert_str_eq(locs[i], fl_table_metadata_location(t[i]));
    fl_free(locs[i]);
  }
  /* re-running checkpoint 12 (or an older one) commits nothing */
  uint32_t nsnap;
  fl_table_snapshots(t[0], &nsnap);
  cr_assert_eq(run_checkpoint(wh, t, 12, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.tables_skipped, 3);
  cr_assert_eq(res.tables_committed, 0);
  cr_assert_eq(run_checkpoint(wh, t, 7, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.tables_skipped, 3);
  uint32_t nsnap2;
  fl_table_snapshots(t[0], &nsnap2);
  cr_assert_eq(nsnap2, nsnap);
  check_at(t, 12);
  /* after a compaction of c replaced the snapshot that carried checkpoint 12 */
  fl_compact_result cres;
  cr_assert_eq(fl_table_compact(t[2], &cres, &err), FL_OK, "%s", err.msg);
  cr_assert_gt(cres.snapshot_id, 0);
  cr_assert_str_eq(fl_table_current_snapshot(t[2])->operation, "replace");
  cr_assert_eq(run_checkpoint(wh, t, 12, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.tables_skipped, 3, "skipped %u", res.tables_skipped);
  check_at(t, 12);
  free3(t);
  fl_warehouse_close(wh);
}

static uint32_t count_files(const char *path) {
  DIR *d = opendir(path);
  if (!d) return 0;
  uint32_t n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char *child = fl_sprintf("%s/%s", path, e->d_name);
    struct stat st;
    if (!stat(child, &st) && S_ISDIR(st.st_mode))
      n += count_files(child);
    else
      n++;
    fl_free(child);
  }
  closedir(d);
  return n;
}

Test(txn, a_lost_answer_deletes_no_file_and_the_rerun_is_skipped) {
  fl_warehouse *wh = open_wh();
  fl_table *t[3];
  create3(wh, t);
  fl_err err = {0};
  fl_txn_result res;
  cr_assert_eq(run_checkpoint(wh, t, 1, &res, &err), FL_OK, "%s", err.msg);
  char *tdir = fl_sprintf("%s/warehouse/silver/c", dir);
  uint32_t files_before = count_files(tdir);
  fl_catalog_test_lose_answer(fl_warehouse_catalog(wh), 1); /* swap, then lose the answer */
  cr_assert_eq(run_checkpoint(wh, t, 2, &res, &err), FL_EUNKNOWN, "%s", err.msg);
  cr_assert(strstr(err.msg, "unknown"), "%s", err.msg);
  /* nothing was deleted: every file the catalog now points to exists and reads */
  uint32_t files_after = count_files(tdir);
  cr_assert_gt(files_after, files_before);
  fl_table *r[3];
  load3(wh, r);
  check_at(r, 2); /* the swap did happen */
  /* the caller reloads and re-runs checkpoint 2: every table is skipped */
  cr_assert_eq(run_checkpoint(wh, r, 2, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.tables_skipped, 3);
  check_at(r, 2);
  cr_assert_eq(count_files(tdir), files_after, "the skipped run leaves no file behind");
  cr_assert_eq(run_checkpoint(wh, r, 3, &res, &err), FL_OK, "%s", err.msg);
  check_at(r, 3);
  fl_free(tdir);
  free3(r);
  free3(t);
  fl_warehouse_close(wh);
}

Test(txn, a_row_delta_on_a_compacted_file_fails_validation_and_loses_no_delete) {
  fl_warehouse *wh = open_wh();
  fl_table *t[3];
  create3(wh, t);
  fl_err err = {0};
  fl_txn_result res;
  for (int64_t k = 1; k <= 3; k++) cr_assert_eq(run_checkpoint(wh, t, k, &res, &err), FL_OK, "%s", err.msg);
  /* checkpoint 4's deletes are computed on the current files ... */
  static row_state rs;
  cr_assert_eq(scan_rows(t[2], &rs, &err), FL_OK);
  fl_txn *txn;
  cr_assert_eq(fl_txn_begin(wh, 4, &txn, &err), FL_OK);
  fl_appender *app;
  cr_assert_eq(fl_txn_row_delta(txn, t[2], &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_delete(app, rs.file[1], rs.pos[1], &err), FL_OK, "%s", err.msg);
  write_row(app, 1, 4, NULL);
  /* ... then another writer compacts c: those files are gone from the table */
  fl_table *other;
  cr_assert_eq(fl_table_load(wh, "silver", "c", &other, &err), FL_OK);
  cr_assert_eq(fl_table_compact(other, NULL, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_txn_commit(txn, &res, &err), FL_EVALIDATION, "%s", err.msg);
  cr_assert(strstr(err.msg, "no longer live"), "%s", err.msg);
  fl_txn_free(txn);
  cr_assert_eq(fl_table_refresh(t[2], &err), FL_OK);
  cr_assert_eq(checkpoint_of(t[2]), 3);
  /* redone on the new files, the checkpoint commits with its delete */
  cr_assert_eq(fl_table_refresh(t[0], &err), FL_OK);
  cr_assert_eq(fl_table_refresh(t[1], &err), FL_OK);
  cr_assert_eq(run_checkpoint(wh, t, 4, &res, &err), FL_OK, "%s", err.msg);
  check_at(t, 4);
  fl_table_free(other);
  free3(t);
  fl_warehouse_close(wh);
}

Test(txn, schema_and_property_changes_commit_with_the_snapshot) {
  fl_warehouse *wh = open_wh();
  fl_table *t[3];
  create3(wh, t);
  fl_err err = {0};
  fl_txn *txn;
  cr_assert_eq(fl_txn_begin(wh, 1, &txn, &err), FL_OK);
  fl_schema_change ch = {FL_SCHEMA_ADD_COLUMN, "note", NULL, {FL_T_STRING, 0, 0}};
  cr_assert_eq(fl_txn_update_schema(txn, t[0], &ch, 1, &err), FL_OK, "%s", err.msg);
  fl_schema_change bad = {FL_SCHEMA_WIDEN_COLUMN, "id", NULL, {FL_T_INT, 0, 0}};
  cr_assert_eq(fl_txn_update_schema(txn, t[0], &bad, 1, &err), FL_ESCHEMA, "a refused change fails at once");
  fl_kv props[1] = {{"write.parquet.compression-codec", "snappy"}};
  cr_assert_eq(fl_txn_set_properties(txn, t[1], props, 1, &err), FL_OK, "%s", err.msg);
  fl_txn_result res;
  cr_assert_eq(fl_txn_commit(txn, &res, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(res.tables_committed, 2);
  fl_txn_free(txn);
  cr_assert_eq(fl_table_schema(t[0])->nfields, 3);
  cr_assert_eq(fl_table_current_snapshot(t[0])->schema_id, fl_table_schema(t[0])->schema_id);
  cr_assert_str_eq(fl_table_property(t[1], "write.parquet.compression-codec"), "snappy");
  cr_assert_eq(checkpoint_of(t[0]), 1);
  cr_assert_eq(checkpoint_of(t[1]), 1);
  cr_assert_null(fl_table_current_snapshot(t[2]), "c took no part");
  free3(t);
  fl_warehouse_close(wh);
}

/* ---------------------------------------------------------------- three processes */

#define CHECKPOINTS 80

static int writer_main(void) {
  fl_warehouse *wh = open_wh();
  fl_table *t[3];
  load3(wh, t);
  uint32_t validations = 0;
  for (int64_t k = 1; k <= CHECKPOINTS; k++) {
    for (;;) {
      fl_err err = {0};
      fl_txn_result res;
      fl_code rc = run_checkpoint(wh, t, k, &res, &err);
      if (rc == FL_OK) break;
      if (rc != FL_EVALIDATION) {
        fprintf(stderr, "writer: checkpoint %lld: %s\n", (long long)k, err.msg);
        return 1;
      }
      validations++; /* a compaction won: recompute the deletes on the new files */
      for (int i = 0; i < 3; i++)
        if (fl_table_refresh(t[i], &err)) return 1;
    }
  }
  fprintf(stderr, "writer: %d checkpoints, %u validation failures\n", CHECKPOINTS, validations);
  free3(t);
  fl_warehouse_close(wh);
  return 0;
}

static int compactor_main(const char *done_path) {
  fl_warehouse *wh = open_wh();
  fl_table *c;
  fl_err err = {0};
  if (fl_table_load(wh, "silver", "c", &c, &err)) return 1;
  uint32_t ok = 0, refused = 0;
  while (access(done_path, F_OK) != 0) {
    if (fl_table_refresh(c, &err)) return 1;
    fl_compact_result res;
    fl_code rc = fl_table_compact(c, &res, &err);
    if (rc == FL_OK && res.snapshot_id)
      ok++;
    else if (rc == FL_EVALIDATION)
      refused++;
    else if (rc) {
      fprintf(stderr, "compactor: %s\n", err.msg);
      return 1;
    }
    usleep(5000);
  }
  fprintf(stderr, "compactor: %u compactions, %u refused\n", ok, refused);
  fl_table_free(c);
  fl_warehouse_close(wh);
  return ok > 0 ? 0 : 2;
}

static int reader_main(const char *done_path) {
  fl_warehouse *wh = open_wh();
  fl_catalog_ident ids[3] = {{NS[0], NAME[0]}, {NS[1], NAME[1]}, {NS[2], NAME[2]}};
  uint32_t reads = 0;
  int64_t last = 0;
  for (bool done = false; !done;) {
    done = access(done_path, F_OK) == 0; /* one more read after the writer finished */
    char *locs[3];
    fl_err err = {0};
    if (fl_catalog_load_many(fl_warehouse_catalog(wh), ids, 3, locs, &err)) return 1;
    fl_table *t[3];
    for (int i = 0; i < 3; i++)
      if (fl_table_load_at(wh, NS[i], NAME[i], locs[i], &t[i], &err)) {
        fprintf(stderr, "reader: %s\n", err.msg);
        return 1;
      }
    int64_t k = checkpoint_of(t[0]);
    for (int i = 1; i < 3; i++)
      if (checkpoint_of(t[i]) != k) {
        fprintf(stderr, "reader: %s.%s at checkpoint %lld, bronze.a at %lld\n", NS[i], NAME[i],
                (long long)checkpoint_of(t[i]), (long long)k);
        return 3;
      }
    if (k < last) return 4;
    last = k;
    check_at(t, k); /* exact rows of every table at that checkpoint */
    for (int i = 0; i < 3; i++) {
      fl_table_free(t[i]);
      fl_free(locs[i]);
    }
    reads++;
  }
  fprintf(stderr, "reader: %u consistent reads\n", reads);
  fl_warehouse_close(wh);
  return 0;
}

static pid_t spawn(int which, const char *done_path) {
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0)
    _exit(which == 0 ? writer_main() : which == 1 ? compactor_main(done_path) : reader_main(done_path));
  return pid;
}

Test(txn, a_writer_a_compactor_and_a_reader_always_agree, .timeout = 300) {
  fl_warehouse *wh = open_wh();
  fl_table *t[3];
  create3(wh, t);
  free3(t);
  fl_warehouse_close(wh);
  char *done = fl_sprintf("%s/writer-done", dir);
  pid_t w = spawn(0, done), c = spawn(1, done), r = spawn(2, done);
  int st;
  cr_assert_eq(waitpid(w, &st, 0), w);
  int wst = st;
  FILE *f = fopen(done, "w");
  fclose(f);
  cr_assert_eq(waitpid(c, &st, 0), c);
  int cst = st;
  cr_assert_eq(waitpid(r, &st, 0), r);
  cr_assert(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "writer status %d", wst);
  cr_assert(WIFEXITED(cst) && WEXITSTATUS(cst) == 0, "compactor status %d (2: no compaction succeeded)", cst);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "reader status %d", st);
  wh = open_wh();
  load3(wh, t);
  for (int i = 0; i < 3; i++) cr_assert_eq(checkpoint_of(t[i]), CHECKPOINTS);
  check_at(t, CHECKPOINTS);
  free3(t);
  fl_warehouse_close(wh);
  fl_free(done);
}
