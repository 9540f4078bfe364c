/* txn: the checkpoint transaction: per-table actions committed through ONE catalog
 * transaction (every pointer swaps, or none), idempotent per checkpoint id.
 *
 * One file per table action, as iceberg-rust's transaction/ folder:
 *   txn_append.c     new data files (fast append: nothing to validate)
 *   txn_row_delta.c  position deletes + new rows (MERGE); validated on retry
 *   txn_schema.c     schema change (add / rename / widen), applied before the snapshot
 *   txn_props.c      table properties
 * This file holds the object, the states and the commit loop.
 *
 * States (as SQLite's pager.c: the state, the function that makes each move):
 *
 *   OPEN ──fl_txn_commit: finish every appender──────────────────────► PREPARED
 *     │      (data, delete files and manifests closed, fsynced; unreferenced)
 *     └─ any error ──────────────────────────────────────────────────► FAILED
 *   PREPARED ──attempt (commit_attempt): per table: skip if its latest
 *     │      floe.checkpoint-id >= ours; validate a row delta whose base moved;
 *     │      apply (schema, properties, snapshot) and write the metadata file ──► STAGED
 *     ├─ every table skipped ────────────────────────────────────────► COMMITTED
 *     └─ validation failed / error writing ───────────────────────────► FAILED
 *   STAGED ──fl_catalog_commit_many──────────────────────── FL_OK ──► COMMITTED
 *     ├─ FL_ECONFLICT: delete this attempt's metadata files, reload
 *     │      every table, back off (attempts < FL_COMMIT_RETRIES_MAX) ──► PREPARED
 *     ├─ FL_EUNKNOWN: keep every file ────────────────────────────────► UNKNOWN
 *     └─ other error (before COMMIT): delete this attempt's metadata ─► FAILED
 *   fl_txn_free: FAILED or OPEN: every file written is deleted;
 *                UNKNOWN: nothing is deleted; COMMITTED: the skipped tables' files.
 *
 * Invariants:
 *   (1) No file a catalog pointer may reference is ever deleted: in STAGED the only
 *       deletions are after FL_ECONFLICT (or an error before COMMIT), when no pointer
 *       moved; in UNKNOWN nothing is deleted by anyone.
 *   (2) A table's snapshot of this transaction carries floe.checkpoint-id; later
 *       snapshots carry it forward (fl_tbl_add_snapshot), so a table that committed
 *       it is recognised (and skipped) even after compaction or expiry.
 *   (3) A row delta commits only if every data file it deletes from is live in the
 *       version it commits on (no delete is lost to a concurrent compaction).
 *   (4) All swaps of one attempt are one SQL transaction: a reader of the pointers in
 *       one read (fl_catalog_load_many) sees every table at this checkpoint or none.
 *
 * Ownership: the transaction owns its appenders, an arena for the actions' copies,
 * and each attempt's metadata location strings; table handles are borrowed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/time.h"
#include "table/txn_int.h"

#define CHECKPOINT_KEY "floe.checkpoint-id"

fl_code fl_txn_begin(fl_warehouse *wh, int64_t checkpoint_id, fl_txn **out, fl_err *err) {
  FL_ASSERT(wh && out);
  if (checkpoint_id <= 0)
    return fl_err_set(err, FL_EINVAL, "transaction: checkpoint id %" PRId64 " (must be > 0)", checkpoint_id);
  fl_txn *txn = fl_calloc(1, sizeof *txn);
  txn->wh = wh;
  txn->checkpoint_id = checkpoint_id;
  txn->state = TXN_OPEN;
  fl_arena_init(&txn->arena, 4096);
  *out = txn;
  return FL_OK;
}

fl_code fl_txn_table_get(fl_txn *txn, fl_table *tbl, txn_table **out, fl_err *err) {
  FL_ASSERT(txn->state == TXN_OPEN, "transaction %" PRId64 ": action after commit", txn->checkpoint_id);
  FL_ASSERT(tbl->wh == txn->wh, "table %s.%s: another warehouse", tbl->ns, tbl->name);
  for (uint32_t i = 0; i < txn->ntables; i++) {
    if (txn->tables[i].tbl == tbl) {
      *out = &txn->tables[i];
      return FL_OK;
    }
    FL_ASSERT(strcmp(txn->tables[i].tbl->dir, tbl->dir), "two handles on %s.%s in one transaction", tbl->ns,
              tbl->name);
  }
  if (txn->ntables == txn->captables) {
    txn->captables = txn->captables ? txn->captables * 2 : 4;
    txn->tables = fl_realloc(txn->tables, txn->captables * sizeof *txn->tables);
  }
  txn_table *t = &txn->tables[txn->ntables];
  memset(t, 0, sizeof *t);
  t->tbl = tbl;
  const fl_snapshot *cur = fl_table_current_snapshot(tbl);
  t->base_snapshot_id = cur ? cur->snapshot_id : -1;
  fl_code rc = fl_appender_begin(tbl, &t->app, err);
  if (rc) return fl_err_prefix(err, "transaction %" PRId64 ": ", txn->checkpoint_id);
  txn->ntables++;
  *out = t;
  return FL_OK;
}

static fl_kv *copy_kvs(fl_arena *arena, const fl_kv *kv, uint32_t n) {
  fl_kv *out = fl_arena_calloc(arena, n ? n : 1, sizeof *out);
  for (uint32_t i = 0; i < n; i++) {
    out[i].key = fl_arena_strdup(arena, kv[i].key);
    out[i].value = kv[i].value ? fl_arena_strdup(arena, kv[i].value) : NULL;
  }
  return out;
}

fl_code fl_txn_set_summary(fl_txn *txn, fl_table *tbl, const fl_kv *kv, uint32_t n, fl_err *err) {
  for (uint32_t i = 0; i < n; i++) {
    if (!kv[i].key || !kv[i].key[0] || !kv[i].value)
      return fl_err_set(err, FL_EINVAL, "transaction: table %s.%s: summary pair %u without key or value",
                        tbl->ns, tbl->name, i);
    if (!strcmp(kv[i].key, CHECKPOINT_KEY) || !strcmp(kv[i].key, "operation"))
      return fl_err_set(err, FL_EINVAL, "transaction: table %s.%s: summary key %s is the transaction's",
                        tbl->ns, tbl->name, kv[i].key);
  }
  txn_table *t;
  fl_code rc = fl_txn_table_get(txn, tbl, &t, err);
  if (rc) return rc;
  t->summary = copy_kvs(&txn->arena, kv, n);
  t->nsummary = n;
  return FL_OK;
}

/* ---------------------------------------------------------------- commit */

/* The table's latest checkpoint id (carried forward by every later snapshot). */
static bool already_committed(const fl_txn *txn, const fl_table *tbl) {
  const char *v = fl_table_checkpoint(tbl, CHECKPOINT_KEY);
  if (!v) return false;
  char *end;
  long long id = strtoll(v, &end, 10);
  return *end == 0 && id >= txn->checkpoint_id;
}

/* The commit driver's apply for one table: schema, properties, then the snapshot. */
static fl_code apply_table(void *ctx, fl_table *tbl, json_t *root, fl_err *err) {
  txn_table *t = ctx;
  fl_code rc;
  if (t->nchanges && (rc = fl_txn_schema_apply(t, root, err))) return rc;
  if (t->nprops) fl_txn_props_apply(t, root);
  return fl_tbl_apply_append(t->app, tbl, root, err);
}

static void drop_staged(fl_txn *txn, bool unlink_files) {
  for (uint32_t i = 0; i < txn->ntables; i++) {
    txn_table *t = &txn->tables[i];
    if (t->new_location && unlink_files) unlink(fl_tbl_uri_path(t->new_location));
    fl_free(t->new_location);
    t->new_location = NULL;
  }
}

/* PREPARED -> STAGED (or COMMITTED when every table is skipped, or FAILED). Fills
 * changes with the tables to swap. */
static fl_code commit_attempt(fl_txn *txn, fl_catalog_change *changes, uint32_t *nchanges, fl_err *err) {
  FL_ASSERT(txn->state == TXN_PREPARED);
  *nchanges = 0;
  for (uint32_t i = 0; i < txn->ntables; i++) {
    txn_table *t = &txn->tables[i];
    t->skipped = already_committed(txn, t->tbl);
    if (t->skipped) continue;
    const fl_snapshot *cur = fl_table_current_snapshot(t->tbl);
    int64_t cur_id = cur ? cur->snapshot_id : -1;
    fl_code rc;
    if (t->row_delta && cur_id != t->base_snapshot_id && (rc = fl_txn_row_delta_validate(t, err))) return rc;
    if ((rc = fl_tbl_prepare(t->tbl, apply_table, t, &t->new_location, err)))
      return fl_err_prefix(err, "transaction %" PRId64 ": ", txn->checkpoint_id);
    changes[(*nchanges)++] =
        (fl_catalog_change){t->tbl->ns, t->tbl->name, t->tbl->metadata_location, t->new_location};
  }
  txn->state = *nchanges ? TXN_STAGED : TXN_COMMITTED;
  return FL_OK;
}

static fl_code finish_all(fl_txn *txn, fl_err *err) {
  char id[24];
  snprintf(id, sizeof id, "%" PRId64, txn->checkpoint_id);
  for (uint32_t i = 0; i < txn->ntables; i++) {
    txn_table *t = &txn->tables[i];
    fl_kv *kv = fl_arena_calloc(&txn->arena, t->nsummary + 1, sizeof *kv);
    kv[0] = (fl_kv){CHECKPOINT_KEY, id};
    for (uint32_t k = 0; k < t->nsummary; k++) kv[k + 1] = t->summary[k];
    fl_tbl_appender_set_summary(t->app, kv, t->nsummary + 1);
    fl_code rc = fl_tbl_appender_finish(t->app, err);
    if (rc)
      return fl_err_prefix(err, "transaction %" PRId64 ": table %s.%s: ", txn->checkpoint_id, t->tbl->ns,
                           t->tbl->name);
  }
  return FL_OK;
}

fl_code fl_txn_commit(fl_txn *txn, fl_txn_result *res, fl_err *err) {
  FL_ASSERT(txn->state == TXN_OPEN, "transaction %" PRId64 ": commit twice", txn->checkpoint_id);
  fl_txn_result local = {0};
  if (!res) res = &local;
  memset(res, 0, sizeof *res);
  fl_code rc = finish_all(txn, err);
  if (rc) {
    txn->state = TXN_FAILED;
    return rc;
  }
  txn->state = TXN_PREPARED;
  fl_catalog_change *changes = fl_calloc(txn->ntables ? txn->ntables : 1, sizeof *changes);
  fl_catalog *cat = fl_warehouse_catalog(txn->wh);
  for (uint32_t attempt = 0;; attempt++) {
    uint32_t n = 0;
    if ((rc = commit_attempt(txn, changes, &n, err))) {
      drop_staged(txn, true);
      txn->state = TXN_FAILED;
      break;
    }
    if (txn->state == TXN_COMMITTED) break; /* every table skipped */
    res->attempts++;
    int64_t start_ns = fl_mono_ns();
    rc = fl_catalog_commit_many(cat, changes, n, err);
    for (uint32_t i = 0; i < txn->ntables; i++)
      if (!txn->tables[i].skipped)
        fl_tbl_commit_metric(txn->tables[i].tbl,
                             rc == FL_OK          ? "ok"
                             : rc == FL_ECONFLICT ? "conflict"
                             : rc == FL_EUNKNOWN  ? "unknown"
                                                  : "failed",
                             start_ns);
    if (rc == FL_OK) {
      txn->state = TXN_COMMITTED;
      for (uint32_t i = 0; i < txn->ntables; i++) {
        txn_table *t = &txn->tables[i];
        if (t->skipped) continue;
        t->app->committed = true;
        fl_err rerr = {0};
        if (fl_tbl_committed(t->tbl, t->new_location, &rerr))
          fl_warn("table", "%s.%s: committed, but reloading failed: %s", t->tbl->ns, t->tbl->name, rerr.msg);
      }
      drop_staged(txn, false);
      break;
    }
    if (rc == FL_EUNKNOWN) {
      txn->state = TXN_UNKNOWN;
      for (uint32_t i = 0; i < txn->ntables; i++) txn->tables[i].app->keep_files = true;
      drop_staged(txn, false);
      fl_err_prefix(err, "transaction %" PRId64 ": reload the tables and look for the checkpoint: ",
                    txn->checkpoint_id);
      break;
    }
    drop_staged(txn, true); /* nothing swapped: this attempt's metadata is unreferenced */
    if (rc != FL_ECONFLICT) {
      txn->state = TXN_FAILED;
      break;
    }
    if (attempt + 1 >= FL_COMMIT_RETRIES_MAX) {
      txn->state = TXN_FAILED;
      rc = fl_err_set(err, FL_ECONFLICT, "transaction %" PRId64 ": conflict persisted after %d attempts",
                      txn->checkpoint_id, FL_COMMIT_RETRIES_MAX);
      break;
    }
    rc = FL_OK;
    for (uint32_t i = 0; i < txn->ntables && !rc; i++) rc = fl_table_refresh(txn->tables[i].tbl, err);
    if (rc) {
      txn->state = TXN_FAILED;
      break;
    }
    txn->state = TXN_PREPARED;
    fl_tbl_backoff(attempt);
  }
  fl_free(changes);
  if (txn->state == TXN_COMMITTED)
    for (uint32_t i = 0; i < txn->ntables; i++) {
      if (txn->tables[i].skipped)
        res->tables_skipped++;
      else
        res->tables_committed++;
    }
  return rc;
}

void fl_txn_free(fl_txn *txn) {
  if (!txn) return;
  for (uint32_t i = 0; i < txn->ntables; i++) {
    txn_table *t = &txn->tables[i];
    if (txn->state == TXN_UNKNOWN) t->app->keep_files = true;
    fl_appender_free(t->app); /* deletes its files unless committed or kept */
    fl_free(t->new_location);
  }
  fl_free(txn->tables);
  fl_arena_destroy(&txn->arena);
  fl_free(txn);
}
