/* txn_row_delta: the row delta action (MERGE: position deletes + new rows), and its
 * validation on retry, as iceberg-rust's validate.rs / Java's RowDelta
 * validateDataFilesExist: every data file the deletes name must still be live in the
 * version the commit lands on. A file compacted away meanwhile would take the delete
 * with it (its rows live on in the rewritten file): the commit fails with
 * FL_EVALIDATION and the caller recomputes its deletes against the new files.
 *
 * Cost: one read of the current snapshot's data manifests, only on a retry whose base
 * moved (txn.c checks that), never on the first attempt. */
#include <string.h>

#include "core/hash.h"
#include "table/txn_int.h"

fl_code fl_txn_row_delta(fl_txn *txn, fl_table *tbl, fl_appender **app, fl_err *err) {
  txn_table *t;
  fl_code rc = fl_txn_table_get(txn, tbl, &t, err);
  if (rc) return rc;
  t->row_delta = true;
  *app = t->app;
  return FL_OK;
}

static bool own_file(const fl_appender *app, const char *path) {
  for (uint32_t i = 0; i < app->ndata_files; i++)
    if (!strcmp(app->files[i].file_path, path)) return true;
  return false;
}

fl_code fl_txn_row_delta_validate(const txn_table *t, fl_err *err) {
  const fl_appender *app = t->app;
  if (!app->ndels) return FL_OK;
  const fl_snapshot *cur = fl_table_current_snapshot(t->tbl);
  fl_arena arena;
  fl_arena_init(&arena, 65536);
  fl_live_file *live = NULL;
  uint32_t nlive = 0;
  fl_code rc = FL_OK;
  if (cur && (rc = fl_tbl_live_files(t->tbl, cur, FL_CONTENT_DATA, &arena, &live, &nlive, err))) goto done;
  /* open addressing set of live paths */
  uint32_t cap = 16;
  while (cap < nlive * 2 + 2) cap *= 2;
  const char **set = fl_arena_calloc(&arena, cap, sizeof *set);
  for (uint32_t i = 0; i < nlive; i++) {
    const char *p = live[i].file.file_path;
    uint32_t s = (uint32_t)(fl_hash64(p, strlen(p)) & (cap - 1));
    while (set[s]) s = (s + 1) & (cap - 1);
    set[s] = p;
  }
  /* app->dels is sorted by interned path after finish: one check per distinct file */
  for (uint64_t i = 0; i < app->ndels; i++) {
    const char *p = app->dels[i].path;
    if (i && p == app->dels[i - 1].path) continue;
    if (own_file(app, p)) continue;
    uint32_t s = (uint32_t)(fl_hash64(p, strlen(p)) & (cap - 1));
    bool found = false;
    while (set[s] && !found) {
      found = !strcmp(set[s], p);
      s = (s + 1) & (cap - 1);
    }
    if (!found) {
      rc = fl_err_set(err, FL_EVALIDATION,
                      "table %s.%s: validation failed: row delta deletes from %s, which is no longer live "
                      "(rewritten since snapshot %lld); recompute the deletes",
                      t->tbl->ns, t->tbl->name, p, (long long)t->base_snapshot_id);
      goto done;
    }
  }
done:
  fl_arena_destroy(&arena);
  return rc;
}
