/* txn_int: the checkpoint transaction's state, shared by txn.c (states, commit loop)
 * and its action files (txn_append.c, txn_row_delta.c, txn_schema.c, txn_props.c).
 * Private to the table module. */
#ifndef FL_TABLE_TXN_INT_H
#define FL_TABLE_TXN_INT_H

#include "table/append_int.h"

/* Transaction states; the diagram and the moves are at the top of txn.c. */
typedef enum txn_state {
  TXN_OPEN = 1,  /* actions being added; files written, nothing referenced */
  TXN_PREPARED,  /* files closed, manifests durable; between attempts */
  TXN_STAGED,    /* this attempt's manifest lists and metadata files durable */
  TXN_COMMITTED, /* terminal: every pointer swapped (or every table skipped) */
  TXN_UNKNOWN,   /* terminal: the catalog may have swapped; nothing is ever deleted */
  TXN_FAILED,    /* terminal: nothing swapped; free deletes what was written */
} txn_state;

/* One table's part of the transaction. */
typedef struct txn_table {
  fl_table *tbl;             /* borrowed; moves to the new version on commit */
  fl_appender *app;          /* owned: new data files and position deletes */
  bool row_delta;            /* deletes allowed; validated on retry */
  int64_t base_snapshot_id;  /* current snapshot when the first action began; -1 none */
  fl_schema_change *changes; /* schema change action (txn arena) */
  uint32_t nchanges;
  fl_kv *props; /* properties action (txn arena); value NULL = remove */
  uint32_t nprops;
  fl_kv *summary; /* caller's summary pairs (txn arena), e.g. floe.log-offset.0 */
  uint32_t nsummary;
  char *new_location; /* this attempt's metadata file (fl_malloc'd) */
  bool skipped;       /* already carries the checkpoint */
} txn_table;

struct fl_txn {
  fl_warehouse *wh;
  int64_t checkpoint_id;
  txn_state state;
  txn_table *tables;
  uint32_t ntables, captables;
  fl_arena arena;
};

/* txn.c: the table's part, created on its first action (the appender begins then). */
fl_code fl_txn_table_get(fl_txn *txn, fl_table *tbl, txn_table **out, fl_err *err);
/* txn_row_delta.c: the data files t's deletes name (not written by t itself) are all
 * live in t->tbl's loaded version; FL_EVALIDATION otherwise. */
fl_code fl_txn_row_delta_validate(const txn_table *t, fl_err *err);
/* txn_schema.c / txn_props.c: apply the action to a metadata copy. */
fl_code fl_txn_schema_apply(txn_table *t, json_t *root, fl_err *err);
void fl_txn_props_apply(txn_table *t, json_t *root);

#endif
