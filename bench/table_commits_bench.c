/* table_commits_bench: metadata cost of a table that commits forever (src/table/expire.c).
 *
 * A streaming job commits each table about once a second; without expiry inside the
 * commit the metadata grew by a snapshot per commit and a table hit the 256 MiB
 * metadata limit in about 4 days. This benchmark makes N small commits to one table,
 * each a checkpoint transaction (fl_txn: one row, floe.checkpoint-id and a log offset
 * in the summary), with the table's default properties, and at 1K, 10K, 100K commits
 * (or --at a,b,c) reports:
 *   meta_json_bytes   size of the current metadata JSON
 *   meta_dir_bytes    bytes of every file under metadata/ (lists, manifests, metadata
 *                     files; a vN.metadata.json hard link shares its bytes) and the
 *                     count of names
 *   data_files        files under data/
 *   load_ms           fl_table_load (catalog read + metadata parse), mean of 20
 *   commit_ms         mean wall time per commit since the previous report
 *   snapshots         snapshots in the metadata
 * One JSON line per report on stdout. Run: build/bench/table_commits_bench --commits 100000
 *
 * Ownership: the warehouse and table handles live for the run; the one cleanup label
 * of main frees them. */
#define _GNU_SOURCE
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/batch.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/time.h"
#include "table/table.h"

static fl_field FIELDS[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "ts", {FL_T_TIMESTAMP, 0, 0}, true},
    {3, "v", {FL_T_STRING, 0, 0}, false},
};
static const fl_schema SCHEMA = {0, 3, FIELDS, 0, NULL};

static uint64_t walk_bytes, walk_files;
static int walk(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  if (flag == FTW_F) { /* vN.metadata.json are hard links: each inode counted once */
    walk_bytes += (uint64_t)st->st_size / (st->st_nlink ? (uint64_t)st->st_nlink : 1);
    walk_files++;
  }
  return 0;
}

static void dir_usage(const char *dir, uint64_t *bytes, uint64_t *files) {
  walk_bytes = walk_files = 0;
  nftw(dir, walk, 16, FTW_PHYS);
  *bytes = walk_bytes;
  *files = walk_files;
}

static fl_code commit_one(fl_warehouse *wh, fl_table *tbl, int64_t k, fl_batch *b, fl_err *err) {
  fl_batch_reset(b);
  fl_vec_append_i64(&b->cols[0], k);
  fl_vec_append_i64(&b->cols[1], fl_now_ms() * 1000);
  fl_vec_append_str(&b->cols[2], "row", 3);
  fl_batch_set_rows(b, 1);
  fl_txn *txn;
  fl_appender *app;
  fl_code rc = fl_txn_begin(wh, k, &txn, err);
  if (rc) return rc;
  char off[24];
  snprintf(off, sizeof off, "%" PRId64, k * 7);
  fl_kv kv[1] = {{"floe.log-offset.0", off}};
  if (!(rc = fl_txn_append(txn, tbl, &app, err)) && !(rc = fl_appender_write(app, b, err)) &&
      !(rc = fl_txn_set_summary(txn, tbl, kv, 1, err)))
    rc = fl_txn_commit(txn, NULL, err);
  fl_txn_free(txn);
  return rc;
}

int main(int argc, char **argv) {
  int64_t commits = 100000;
  const char *data = NULL, *at = "1000,10000,100000";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--commits") && i + 1 < argc)
      commits = strtoll(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--data") && i + 1 < argc)
      data = argv[++i];
    else if (!strcmp(argv[i], "--at") && i + 1 < argc)
      at = argv[++i];
    else {
      fprintf(stderr, "usage: table_commits_bench [--commits N] [--data DIR] [--at 1000,10000,...]\n");
      return 2;
    }
  }
  char tmp[] = "/tmp/floe-commits-XXXXXX";
  if (!data) {
    if (!mkdtemp(tmp)) return 1;
    data = tmp;
  }
  fl_err err = {0};
  fl_warehouse *wh = NULL;
  fl_table *tbl = NULL;
  fl_batch *b = fl_batch_new(FIELDS, 3, 1);
  int status = 1;
  if (fl_warehouse_open(data, &wh, &err)) goto done;
  if (fl_table_create(wh, "bronze", "commits", &SCHEMA, NULL, &tbl, &err)) goto done;
  char *meta_dir = fl_sprintf("%s/metadata", fl_table_dir(tbl));
  char *data_dir = fl_sprintf("%s/data", fl_table_dir(tbl));
  int64_t last_k = 0, t_last = fl_mono_ns();
  const char *p = at;
  for (int64_t k = 1; k <= commits; k++) {
    if (commit_one(wh, tbl, k, b, &err)) goto done;
    int64_t next = strtoll(p, NULL, 10);
    if (k != next && k != commits) continue;
    int64_t t_now = fl_mono_ns();
    double commit_ms = (double)(t_now - t_last) / 1e6 / (double)(k - last_k);
    double load_ms = 0;
    for (int r = 0; r < 20; r++) {
      fl_table *t2;
      int64_t t0 = fl_mono_ns();
      if (fl_table_load(wh, "bronze", "commits", &t2, &err)) goto done;
      load_ms += (double)(fl_mono_ns() - t0) / 1e6;
      fl_table_free(t2);
    }
    uint64_t mbytes, mfiles, dbytes, dfiles;
    dir_usage(meta_dir, &mbytes, &mfiles);
    dir_usage(data_dir, &dbytes, &dfiles);
    uint32_t nsnap;
    fl_table_snapshots(tbl, &nsnap);
    printf("{\"commits\":%" PRId64 ",\"meta_json_bytes\":%zu,\"meta_dir_bytes\":%" PRIu64
           ",\"meta_files\":%" PRIu64 ",\"data_files\":%" PRIu64
           ",\"snapshots\":%u,\"load_ms\":%.3f,\"commit_ms\":%.3f}\n",
           k, strlen(fl_table_metadata_json(tbl)), mbytes, mfiles, dfiles, nsnap, load_ms / 20, commit_ms);
    fflush(stdout);
    last_k = k;
    t_last = fl_mono_ns(); /* the report's own time is not a commit's */
    const char *comma = strchr(p, ',');
    if (comma) p = comma + 1;
  }
  status = 0;
  fl_free(meta_dir);
  fl_free(data_dir);
done:
  if (status) fprintf(stderr, "table_commits_bench: %s\n", err.msg);
  fl_batch_free(b);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  return status;
}
