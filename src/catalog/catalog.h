/* catalog: names -> metadata pointers, the one mutable thing in an Iceberg warehouse.
 *
 * The embedded catalog is SQLite with exactly the tables of PyIceberg's SqlCatalog and
 * Iceberg's JdbcCatalog (iceberg_tables, iceberg_namespace_properties), so other engines
 * can open floe's warehouse. A commit is a compare-and-swap of metadata_location:
 *   UPDATE iceberg_tables SET metadata_location=new, previous_metadata_location=old
 *    WHERE catalog_name=? AND table_namespace=? AND table_name=? AND metadata_location=old
 * One row changed = committed; zero = FL_ECONFLICT (someone else committed: reload,
 * re-apply, retry). fl_catalog_commit_many applies several CASes in one SQL
 * transaction: every pointer swaps, or none (DESIGN §1).
 *
 * Concurrency: several processes may open the same catalog file; SQLite's locking
 * (WAL mode, busy timeout) serialises writers. */
#ifndef FL_CATALOG_CATALOG_H
#define FL_CATALOG_CATALOG_H

#include <stdint.h>

#include "core/err.h"

typedef struct fl_catalog fl_catalog;

/* Opens (creating if needed) the SQLite catalog at db_path; catalog_name is the
 * catalog_name column value (floe uses "floe"). */
fl_code fl_catalog_open_sqlite(const char *db_path, const char *catalog_name, fl_catalog **out, fl_err *err);
/* Opens an existing catalog file for reading only: nothing on disk changes (no file,
 * no schema upgrade, no -wal/-shm left behind; catalog.c says how). FL_ENOENT if the
 * file does not exist; FL_ECORRUPT if it has no iceberg_tables. Writes through the
 * handle fail. */
fl_code fl_catalog_open_sqlite_readonly(const char *db_path, const char *catalog_name, fl_catalog **out,
                                        fl_err *err);
void fl_catalog_close(fl_catalog *cat);

fl_code fl_catalog_create_namespace(fl_catalog *cat, const char *ns, fl_err *err); /* ok if exists */
/* Registers a new table; FL_EEXIST if the name is taken. */
fl_code fl_catalog_create_table(fl_catalog *cat, const char *ns, const char *name,
                                const char *metadata_location, fl_err *err);
/* Current metadata location (fl_malloc'd, caller frees); FL_ENOENT if no such table. */
fl_code fl_catalog_load(fl_catalog *cat, const char *ns, const char *name, char **metadata_location,
                        fl_err *err);
fl_code fl_catalog_commit(fl_catalog *cat, const char *ns, const char *name, const char *expected_location,
                          const char *new_location, fl_err *err);

typedef struct fl_catalog_change {
  const char *ns;
  const char *name;
  const char *expected_location;
  const char *new_location;
} fl_catalog_change;
/* All or nothing; FL_ECONFLICT names the first table whose pointer had moved (nothing
 * swapped). FL_EUNKNOWN: the transaction may or may not have committed (its COMMIT
 * failed after the write, or the answer was lost): the caller must delete nothing the
 * new locations reference, reload and look. Any other error: nothing swapped. */
fl_code fl_catalog_commit_many(fl_catalog *cat, const fl_catalog_change *changes, uint32_t n, fl_err *err);

typedef struct fl_catalog_ident {
  const char *ns;
  const char *name;
} fl_catalog_ident;
/* The current locations of n tables read in one read transaction: a consistent cut
 * (all of one commit_many or none of it). locations[i] fl_malloc'd, caller frees;
 * on error every locations[i] is NULL. */
fl_code fl_catalog_load_many(fl_catalog *cat, const fl_catalog_ident *tables, uint32_t n, char **locations,
                             fl_err *err);

typedef struct fl_catalog_rename {
  const char *ns, *name;         /* the table */
  const char *new_ns, *new_name; /* its new name (the namespace is created if needed) */
  const char *expected_location; /* its metadata location now (compare-and-swap) */
} fl_catalog_rename;
/* Renames n tables in one SQL transaction, in order (so one rename may take the name
 * another gave up): all or nothing. FL_ENOENT when a table is gone, FL_ECONFLICT when
 * its pointer moved, FL_EEXIST when a new name is taken.
 * The metadata files do not move: a renamed table keeps its location (DESIGN: a
 * table's directory is where it was created). */
fl_code fl_catalog_rename_many(fl_catalog *cat, const fl_catalog_rename *renames, uint32_t n, fl_err *err);

/* Test hook: the nth commit from now (1 = the next) swaps the pointers, then reports
 * FL_EUNKNOWN as if the answer had been lost. 0 turns it off. */
void fl_catalog_test_lose_answer(fl_catalog *cat, uint32_t nth);
fl_code fl_catalog_drop_table(fl_catalog *cat, const char *ns, const char *name, fl_err *err);

typedef struct fl_catalog_entry {
  char *ns;
  char *name;
  char *metadata_location;
} fl_catalog_entry;
/* Every table (ns == NULL) or those of one namespace, sorted by (ns, name). Free with
 * fl_catalog_entries_free. */
fl_code fl_catalog_list(fl_catalog *cat, const char *ns, fl_catalog_entry **entries, uint32_t *n,
                        fl_err *err);
void fl_catalog_entries_free(fl_catalog_entry *entries, uint32_t n);

#endif
