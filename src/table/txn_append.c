/* txn_append: the append action of a transaction (iceberg-rust's fast append): new
 * data files only. Nothing to validate on retry: rows added to a table conflict with
 * no concurrent change (a compaction keeps what it did not read). The appender is the
 * table's single appender in the transaction (shared with a row delta). */
#include "table/txn_int.h"

fl_code fl_txn_append(fl_txn *txn, fl_table *tbl, fl_appender **app, fl_err *err) {
  txn_table *t;
  fl_code rc = fl_txn_table_get(txn, tbl, &t, err);
  if (rc) return rc;
  *app = t->app;
  return FL_OK;
}
