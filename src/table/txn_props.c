/* txn_props: the properties action of a transaction: set (value) or remove (NULL)
 * table properties in the same commit as the table's snapshot. Nothing to validate:
 * the last writer of a key wins, as in Iceberg's UpdateProperties. */
#include <string.h>

#include "table/txn_int.h"

fl_code fl_txn_set_properties(fl_txn *txn, fl_table *tbl, const fl_kv *props, uint32_t n, fl_err *err) {
  for (uint32_t i = 0; i < n; i++)
    if (!props[i].key || !props[i].key[0])
      return fl_err_set(err, FL_EINVAL, "table %s.%s: empty property key", tbl->ns, tbl->name);
  txn_table *t;
  fl_code rc = fl_txn_table_get(txn, tbl, &t, err);
  if (rc) return rc;
  fl_kv *copy = fl_arena_calloc(&txn->arena, t->nprops + n, sizeof *copy);
  for (uint32_t i = 0; i < t->nprops; i++) copy[i] = t->props[i];
  for (uint32_t i = 0; i < n; i++) {
    copy[t->nprops + i].key = fl_arena_strdup(&txn->arena, props[i].key);
    copy[t->nprops + i].value = props[i].value ? fl_arena_strdup(&txn->arena, props[i].value) : NULL;
  }
  t->props = copy;
  t->nprops += n;
  return FL_OK;
}

void fl_txn_props_apply(txn_table *t, json_t *root) { fl_tbl_apply_props(root, t->props, t->nprops); }
