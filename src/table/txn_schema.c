/* txn_schema: the schema change action of a transaction (add / rename / widen a
 * column, evolve.c's rules), applied to the metadata copy before the table's snapshot,
 * so the snapshot records the new schema id. Checked once when added (a refused change
 * fails there, FL_ESCHEMA) and re-applied on every attempt's base: a concurrent change
 * of the same column then fails the commit with FL_ESCHEMA. */
#include "table/txn_int.h"

fl_code fl_txn_update_schema(fl_txn *txn, fl_table *tbl, const fl_schema_change *changes, uint32_t n,
                             fl_err *err) {
  json_t *probe = json_deep_copy(tbl->meta->root);
  fl_code rc = fl_tbl_apply_schema(tbl, probe, changes, n, NULL, err);
  json_decref(probe);
  if (rc) return rc;
  txn_table *t;
  if ((rc = fl_txn_table_get(txn, tbl, &t, err))) return rc;
  fl_schema_change *copy = fl_arena_calloc(&txn->arena, t->nchanges + n, sizeof *copy);
  for (uint32_t i = 0; i < t->nchanges; i++) copy[i] = t->changes[i];
  for (uint32_t i = 0; i < n; i++) {
    fl_schema_change c = changes[i];
    c.column = c.column ? fl_arena_strdup(&txn->arena, c.column) : NULL;
    c.new_name = c.new_name ? fl_arena_strdup(&txn->arena, c.new_name) : NULL;
    copy[t->nchanges + i] = c;
  }
  t->changes = copy;
  t->nchanges += n;
  return FL_OK;
}

fl_code fl_txn_schema_apply(txn_table *t, json_t *root, fl_err *err) {
  return fl_tbl_apply_schema(t->tbl, root, t->changes, t->nchanges, NULL, err);
}
