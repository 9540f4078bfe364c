/* table: Apache Iceberg v2 tables over floe's Parquet files, Avro manifests and the
 * SQLite catalog (DESIGN §2, REFERENCE/iceberg_parquet.md §1-4, §6).
 *
 * A warehouse is a data directory:
 *   DIR/catalog.db                          the catalog (catalog_name "floe")
 *   DIR/warehouse/<ns>/<table>/metadata/    NNNNN-<uuid>.metadata.json, snap-*.avro,
 *                                           <uuid>-mN.avro, version-hint.text, vN.metadata.json
 *   DIR/warehouse/<ns>/<table>/data/        <part>=<value>/.../NNNNN-n-<uuid>-NNNNN.parquet
 *
 * The catalog pointer is the only mutable thing. Every commit writes new files under
 * unique names (O_EXCL), fsyncs them and their directory, then compare-and-swaps the
 * pointer; on FL_ECONFLICT it reloads the latest metadata, re-applies the change on it
 * (new sequence number and snapshot; data files and manifests are reused) and retries
 * up to FL_COMMIT_RETRIES_MAX times: a commit is never lost, and a process killed at
 * any point leaves the table readable at its last commit (orphan files allowed).
 * version-hint.text and vN.metadata.json (for readers that open a table by path, such
 * as icebird and DuckDB) are written after a successful swap, atomically, and never
 * move backwards.
 *
 * Handles and lifetimes (not thread-safe: a warehouse and the handles made from it are
 * used by one thread at a time; other threads open their own warehouse):
 *   fl_warehouse  opened once per process; owns the catalog connection.
 *   fl_table      one loaded version of a table's metadata. Everything returned by
 *                 fl_table_* accessors (schemas, snapshots, strings) is owned by the
 *                 handle and valid until fl_table_free or until the handle moves to a
 *                 newer version (fl_table_refresh, or a commit made through it:
 *                 fl_appender_commit, fl_table_evolve, fl_table_set_properties).
 *   fl_appender   one pending write (data files and/or position deletes) on a table;
 *                 borrows the fl_table, which must outlive it.
 *   fl_scan       a planned read of one snapshot; borrows the fl_table.
 *   fl_txn        a checkpoint transaction over several tables (one catalog commit);
 *                 borrows their fl_table handles, owns one appender per table.
 *
 * Typical use:
 *   fl_warehouse *wh; fl_table *tbl; fl_appender *app;
 *   fl_warehouse_open("./floe-data", &wh, &err);
 *   fl_table_create(wh, "bronze", "orders", &schema, &opts, &tbl, &err);
 *   fl_appender_begin(tbl, &app, &err);
 *   fl_appender_write(app, batch, &err);            (any number of times)
 *   fl_appender_commit(app, summary_kv, n, &err);   (then fl_appender_free(app))
 *   fl_scan_plan(tbl, &scan_opts, &scan, &err); fl_scan_run(scan, emit, ctx, &err); */
#ifndef FL_TABLE_TABLE_H
#define FL_TABLE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "core/batch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/types.h"
#include "core/value.h"
#include "format/manifest.h"
#include "format/parquet.h"

/* ---------------------------------------------------------------- warehouse */

typedef struct fl_warehouse fl_warehouse;

/* Opens (creating directories and the catalog as needed) the warehouse under data_dir. */
fl_code fl_warehouse_open(const char *data_dir, fl_warehouse **out, fl_err *err);
/* Opens an existing data dir for reading and changes nothing on disk (no directory,
 * no catalog file, no catalog schema upgrade): FL_ENOENT "data dir X does not exist".
 * A dir without catalog.db has no tables. Commits through it fail. */
fl_code fl_warehouse_open_readonly(const char *data_dir, fl_warehouse **out, fl_err *err);
void fl_warehouse_close(fl_warehouse *wh);
fl_catalog *fl_warehouse_catalog(fl_warehouse *wh);
/* Absolute path of the data dir. */
const char *fl_warehouse_dir(const fl_warehouse *wh);
/* Absolute path of DIR/warehouse (no trailing slash). */
const char *fl_warehouse_root(const fl_warehouse *wh);
/* Every table (ns == NULL) or those of one namespace, sorted by (ns, name); free the
 * entries with fl_catalog_entries_free. */
fl_code fl_warehouse_list(fl_warehouse *wh, const char *ns, fl_catalog_entry **entries, uint32_t *n,
                          fl_err *err);
/* Splits "bronze.orders" into namespace and name (each <= FL_NAME_MAX); FL_EINVAL if
 * there is no dot or a part is empty or too long. */
fl_code fl_table_ident_parse(const char *qualified, char ns[/* FL_NAME_MAX + 1 */],
                             char name[/* FL_NAME_MAX + 1 */], fl_err *err);

/* ---------------------------------------------------------------- transforms */

typedef enum fl_transform_kind {
  FL_TR_IDENTITY = 1,
  FL_TR_BUCKET,   /* param = N */
  FL_TR_TRUNCATE, /* param = W */
  FL_TR_YEAR,
  FL_TR_MONTH,
  FL_TR_DAY,
  FL_TR_HOUR,
  FL_TR_VOID,
} fl_transform_kind;

typedef struct fl_transform {
  fl_transform_kind kind;
  int32_t param;
} fl_transform;

/* Parses "identity", "bucket[16]", "truncate[4]", "year", "month", "day", "hour", "void". */
fl_code fl_transform_parse(const char *text, fl_transform *out, fl_err *err);
/* Writes the Iceberg spelling ("bucket[16]"); out >= 32 bytes. */
void fl_transform_format(fl_transform tr, char *out, size_t out_size);
/* The result type for a source type; FL_ETYPE if the transform does not apply to it
 * (e.g. day on a string, hour on a date). identity/truncate keep the source type,
 * day gives DATE, year/month/hour/bucket give INT. */
fl_code fl_transform_result_type(fl_transform tr, fl_type source, fl_type *out, fl_err *err);
/* Applies the transform to one value (null -> null). out's strings point into in's. */
void fl_transform_apply(fl_transform tr, const fl_value *in, fl_value *out);
/* Iceberg bucket hash (spec Appendix B) of a non-null value: Murmur3 x86_32, seed 0. */
int32_t fl_transform_bucket_hash(const fl_value *v);
/* Human-readable partition value as used in data paths and describe output
 * ("2026-11-25" for day, "2026-11-25-15" for hour, "2026-11" month, "2026" year,
 * "null" for null), not URL-escaped. */
void fl_transform_value_text(fl_transform tr, const fl_value *v, fl_buf *out);

/* ---------------------------------------------------------------- create / load */

/* One partition field: the source column and the transform applied to it. */
typedef struct fl_partition_def {
  const char *column;
  const char *transform; /* "identity", "day", "hour", "month", "year", "bucket[16]", "truncate[4]" */
} fl_partition_def;

/* Parses a partitioned_by text such as "day(event_time), tenant_id, bucket(16, user_id),
 * truncate(4, name)" (Spark/Trino style; a bare column is identity) into defs whose
 * strings live in arena. */
fl_code fl_partition_defs_parse(const char *text, fl_arena *arena, fl_partition_def **defs, uint32_t *n,
                                fl_err *err);

typedef struct fl_sort_def {
  const char *column;
  const char *transform; /* NULL = identity */
  bool descending;
  bool nulls_last; /* default (false): nulls-first */
} fl_sort_def;

typedef struct fl_table_create_opts {
  const fl_partition_def *partition; /* NULL/0 = unpartitioned */
  uint32_t npartition;
  const fl_sort_def *sort; /* NULL/0 = unsorted (order 0) */
  uint32_t nsort;
  const fl_kv *props; /* table properties, copied */
  uint32_t nprops;
} fl_table_create_opts;

typedef struct fl_table fl_table;

/* Creates a table (and its namespace if needed) and returns it loaded. Field ids:
 * if every field of schema has id 0 they are assigned 1..n in order; otherwise they
 * must all be > 0 and distinct (kept as given). identifier_ids, if any, must name
 * required fields. opts may be NULL. FL_EEXIST if the table exists. The schema is
 * copied. The table has no snapshot until its first commit. */
fl_code fl_table_create(fl_warehouse *wh, const char *ns, const char *name, const fl_schema *schema,
                        const fl_table_create_opts *opts, fl_table **out, fl_err *err);
/* Loads the current metadata of ns.name; FL_ENOENT if no such table. */
fl_code fl_table_load(fl_warehouse *wh, const char *ns, const char *name, fl_table **out, fl_err *err);
/* Loads the version at metadata_location (a URI the catalog pointed to, e.g. from
 * fl_catalog_load_many: several tables read at one instant). */
fl_code fl_table_load_at(fl_warehouse *wh, const char *ns, const char *name, const char *metadata_location,
                         fl_table **out, fl_err *err);
/* Registers a table written elsewhere (Iceberg catalogs' register_table): ns.name then
 * points at metadata_location, a metadata file (path relative to the working directory,
 * absolute, or file:// URI; gzip too) or a table directory (its version hint is
 * followed). The file is read first; URIs inside it that name the writer's location
 * are read from where the table really is (locate.c). FL_EUNSUPPORTED for object
 * storage (s3://, ...), FL_EEXIST if the name is taken. */
fl_code fl_table_register(fl_warehouse *wh, const char *ns, const char *name, const char *metadata_location,
                          fl_table **out, fl_err *err);
/* The local file a URI of tbl's metadata or manifests names (table/locate.c: a moved
 * or copied table's URIs read under its directory): uri itself or a copy in arena. */
const char *fl_table_local_path(const fl_table *tbl, const char *uri, fl_arena *arena);
/* Moves the handle to the catalog's current metadata (no-op if unchanged). */
fl_code fl_table_refresh(fl_table *tbl, fl_err *err);
/* Brings metadata/version-hint.text (what path-based readers follow) up to the
 * catalog's version if it is behind: a writer killed between its catalog commit and the
 * hint leaves it one version back until the table's next commit. A table's writer
 * calls it at start (the stream job for its tables); a failure is a warning. */
void fl_table_repair_version_hint(fl_table *tbl);
void fl_table_free(fl_table *tbl);
/* Removes the table from the catalog; purge also deletes its directory tree. */
fl_code fl_table_drop(fl_warehouse *wh, const char *ns, const char *name, bool purge, fl_err *err);

const char *fl_table_ns(const fl_table *tbl);
const char *fl_table_name(const fl_table *tbl);
const char *fl_table_uuid(const fl_table *tbl);
const char *fl_table_location(const fl_table *tbl);          /* "file:///abs/dir" */
const char *fl_table_dir(const fl_table *tbl);               /* "/abs/dir" */
const char *fl_table_metadata_location(const fl_table *tbl); /* current metadata file URI */
fl_warehouse *fl_table_warehouse(const fl_table *tbl);
int64_t fl_table_last_sequence_number(const fl_table *tbl);
int64_t fl_table_last_updated_ms(const fl_table *tbl);

/* The current schema; and any schema by id (NULL if absent). */
const fl_schema *fl_table_schema(const fl_table *tbl);
const fl_schema *fl_table_schema_by_id(const fl_table *tbl, int32_t schema_id);
/* Iceberg JSON text of a schema ({"type":"struct","schema-id":..,"fields":[..]}). */
const char *fl_table_schema_json(const fl_table *tbl);
/* The default partition spec: its id and fields (source_id, field_id 1000.., name,
 * transform text, result_type). n = 0 when unpartitioned. */
int32_t fl_table_spec_id(const fl_table *tbl);
const fl_partition_field *fl_table_spec_fields(const fl_table *tbl, uint32_t *n);

/* The default sort order (n = 0 when unsorted). column is the source column name in
 * the current schema. */
const fl_sort_def *fl_table_sort_order(const fl_table *tbl, uint32_t *n);

/* Table properties, in the order stored. */
const fl_kv *fl_table_properties(const fl_table *tbl, uint32_t *n);
const char *fl_table_property(const fl_table *tbl, const char *key); /* NULL if unset */

typedef struct fl_snapshot {
  int64_t snapshot_id; /* > 0 */
  int64_t parent_id;   /* -1 = none */
  int64_t sequence_number;
  int64_t timestamp_ms;
  int32_t schema_id;
  const char *operation;     /* "append", "delete", "overwrite", "replace" */
  const char *manifest_list; /* URI; NULL in a v1 snapshot that lists its manifests inline */
  const fl_kv *summary;      /* every summary key except "operation" */
  uint32_t nsummary;
  const char **manifests; /* v1 inline "manifests" (URIs), when manifest_list is NULL */
  uint32_t nmanifests;
} fl_snapshot;

/* Snapshots in commit order (oldest first). */
const fl_snapshot *fl_table_snapshots(const fl_table *tbl, uint32_t *n);
const fl_snapshot *fl_table_current_snapshot(const fl_table *tbl); /* NULL: empty table */
const fl_snapshot *fl_table_snapshot_by_id(const fl_table *tbl, int64_t snapshot_id);
/* What a snapshot's manifests say it holds (live entries): the counts `floe describe`
 * shows, whatever the snapshot summary says (writers fill summaries differently, or
 * not at all). Reads the manifest list and every manifest. */
typedef struct fl_table_totals {
  int64_t records, position_deletes, equality_deletes, bytes; /* bytes: data + delete files */
  uint32_t data_files, delete_files;
} fl_table_totals;
fl_code fl_table_manifest_totals(const fl_table *tbl, const fl_snapshot *snap, fl_table_totals *out,
                                 fl_err *err);
/* The snapshot that was current at ts_ms (by the snapshot-log): the last log entry
 * with timestamp <= ts_ms; NULL if the table had no snapshot then. */
const fl_snapshot *fl_table_snapshot_as_of(const fl_table *tbl, int64_t ts_ms);
const char *fl_snapshot_summary_get(const fl_snapshot *snap, const char *key); /* NULL if absent */
/* The newest snapshot of the current lineage (current, its parent, ...) whose summary
 * has key = value, e.g. ("floe.checkpoint-id", "42") to skip re-committing a
 * checkpoint after recovery; NULL if none. */
const fl_snapshot *fl_table_snapshot_with_summary(const fl_table *tbl, const char *key, const char *value);
/* The latest committed value of a checkpoint key (floe.checkpoint-id,
 * floe.log-offset.N, any floe.* summary key): every snapshot floe writes carries the
 * parent's floe.* keys forward unless it sets them itself, so compaction and expiry
 * never lose them; NULL if no snapshot ever set key. Owned by the handle. */
const char *fl_table_checkpoint(const fl_table *tbl, const char *key);

/* Writes a human-readable description: name, location, schema (ids, names, types,
 * required), partitioning, sort order, properties, snapshots (id, parent, seq, time,
 * operation, added/total records and files), current files and bytes. */
void fl_table_describe(const fl_table *tbl, fl_buf *out);
/* The current metadata JSON text, as stored. */
const char *fl_table_metadata_json(const fl_table *tbl);

/* ---------------------------------------------------------------- writes */

typedef struct fl_appender fl_appender;

/* Begins a write on tbl's current version. Data files are rolled at the property
 * write.target-file-size-bytes (default 512 MiB), within a write too: a write is cut
 * where the estimated size (rows x the last closed file's bytes per row, else the
 * table summary's) reaches it; Parquet codec from
 * write.parquet.compression-codec (zstd default, snappy, uncompressed). */
fl_code fl_appender_begin(fl_table *tbl, fl_appender **out, fl_err *err);
/* Writes rows. The batch's columns are the table's current schema, in order, with
 * equal types. Rows are routed to one open Parquet file per partition. */
fl_code fl_appender_write(fl_appender *app, const fl_batch *batch, fl_err *err);

/* Where a written row landed: the data file URI (as it will appear in manifests and
 * in position deletes; the string lives as long as the appender) and its 0-based
 * position in that file. */
typedef struct fl_row_location {
  const char *file_path;
  uint64_t pos;
} fl_row_location;
/* As fl_appender_write, also filling locs[i] for each row i of batch (batch->nrows
 * entries). The key -> (file, position) index behind MERGE is built from these. */
fl_code fl_appender_write_located(fl_appender *app, const fl_batch *batch, fl_row_location *locs,
                                  fl_err *err);
/* Adds a position delete of row pos of data file file_path (a URI as in manifests,
 * "file:///..."; a committed file, or one written by this appender). The deletes of one
 * commit go to one Parquet delete file sorted by (file_path, pos). Duplicates are
 * dropped. */
fl_code fl_appender_delete(fl_appender *app, const char *file_path, uint64_t pos, fl_err *err);
/* Rows and files written so far (data rows, delete positions). */
uint64_t fl_appender_rows(const fl_appender *app);
uint64_t fl_appender_deletes(const fl_appender *app);

/* Commits: closes the files, writes the manifests, manifest list and metadata, and
 * swaps the catalog pointer, retrying on conflict as described at the top. Operation:
 * "append" (data only), "delete" (deletes only), "overwrite" (both); an appender with
 * neither commits an empty "append" snapshot (useful to record a checkpoint). The
 * extra summary pairs (e.g. floe.checkpoint-id) are added to the snapshot summary.
 * On success the table handle moves to the new version and *snapshot_id (if not
 * NULL) is set. On failure the outcome is known not committed for FL_ECONFLICT
 * (retries exhausted) and for errors before the swap; call fl_appender_abort or
 * fl_appender_free. In every case the appender must then be freed. */
fl_code fl_appender_commit(fl_appender *app, const fl_kv *summary, uint32_t nsummary, int64_t *snapshot_id,
                           fl_err *err);
/* Commits several appenders (each on a different table of the same warehouse) in one
 * catalog transaction: every table's pointer swaps, or none (DESIGN §1). Retries
 * the whole group on conflict. summary applies to every table's snapshot. */
fl_code fl_appender_commit_many(fl_appender **apps, uint32_t n, const fl_kv *summary, uint32_t nsummary,
                                fl_err *err);
int64_t fl_appender_snapshot_id(const fl_appender *app); /* after commit; 0 before */
/* Deletes every file this appender wrote (if not committed) and frees it. */
void fl_appender_abort(fl_appender *app);
/* Frees; an uncommitted appender is aborted (its files deleted). NULL is fine. */
void fl_appender_free(fl_appender *app);

/* ---------------------------------------------------------------- schema evolution */

typedef enum fl_schema_change_kind {
  FL_SCHEMA_ADD_COLUMN = 1, /* column, type: new optional column, id = last-column-id + 1 */
  FL_SCHEMA_RENAME_COLUMN,  /* column -> new_name (same field id, data kept) */
  FL_SCHEMA_WIDEN_COLUMN,   /* column -> type: int->bigint, float->double, decimal(p,s)->(p'>=p,s) */
} fl_schema_change_kind;

typedef struct fl_schema_change {
  fl_schema_change_kind kind;
  const char *column;
  const char *new_name;
  fl_type type;
} fl_schema_change;

/* Applies the changes in order as one metadata-only commit: a new schema (new
 * schema id; an identical earlier schema is reused), current-schema-id updated; data
 * files keep their schema and are read through the new one. Refused changes give
 * FL_ESCHEMA with a message such as "cannot change column amount from DECIMAL(12,2)
 * to INT: ..." and commit nothing. Retries on conflict; the handle moves to the new
 * version. */
fl_code fl_table_evolve(fl_table *tbl, const fl_schema_change *changes, uint32_t n, fl_err *err);
fl_code fl_table_add_column(fl_table *tbl, const char *column, fl_type type, fl_err *err);
fl_code fl_table_rename_column(fl_table *tbl, const char *column, const char *new_name, fl_err *err);
fl_code fl_table_widen_column(fl_table *tbl, const char *column, fl_type type, fl_err *err);
/* Sets (value != NULL) or removes (value == NULL) properties; metadata-only commit. */
fl_code fl_table_set_properties(fl_table *tbl, const fl_kv *props, uint32_t n, fl_err *err);

/* ---------------------------------------------------------------- checkpoint transaction */

/* One transaction over several tables of a warehouse (DESIGN §1): per table, actions
 * (append; row delta = position deletes + new rows, for MERGE; schema change;
 * properties) and its own snapshot summary, all committed through ONE catalog
 * transaction: every table's pointer swaps, or none. Every table gets one snapshot
 * whose summary holds floe.checkpoint-id = the transaction's id plus the table's own
 * pairs (log offsets); a table whose latest checkpoint id (fl_table_checkpoint) is
 * already >= that id is skipped, so re-running a checkpoint after a crash or an
 * unknown outcome commits each table once. States and moves: txn.c.
 *
 *   fl_txn_begin(wh, 42, &txn, &err);
 *   fl_txn_append(txn, bronze, &app, &err);      fl_appender_write(app, batch, &err);
 *   fl_txn_row_delta(txn, silver, &app2, &err);  fl_appender_delete(app2, file, pos, &err); ...
 *   fl_txn_set_summary(txn, bronze, offsets, n, &err);
 *   rc = fl_txn_commit(txn, &res, &err);   fl_txn_free(txn);
 *
 * Outcomes of fl_txn_commit (three, not two):
 *   FL_OK          committed (tables moved to the new version), or skipped
 *   FL_EVALIDATION retry pointless: a row delta names a data file that is no longer
 *                  live (compacted meanwhile). Nothing committed; redo the work.
 *   FL_ECONFLICT   conflicts persisted after FL_COMMIT_RETRIES_MAX attempts, and any
 *                  other error before the swap: nothing committed; free cleans up.
 *   FL_EUNKNOWN    the catalog may have swapped (answer lost): free deletes NOTHING;
 *                  reload the tables and run the same checkpoint id again (each table
 *                  that did commit is then skipped).
 * The table handles are borrowed (one transaction per handle at a time) and must
 * outlive the transaction; the appenders are owned by it. */
typedef struct fl_txn fl_txn;

typedef struct fl_txn_result {
  uint32_t tables_committed;
  uint32_t tables_skipped; /* already at this checkpoint */
  uint32_t attempts;       /* catalog commits tried */
} fl_txn_result;

/* checkpoint_id > 0, increasing from one checkpoint to the next. */
fl_code fl_txn_begin(fl_warehouse *wh, int64_t checkpoint_id, fl_txn **out, fl_err *err);
/* The appender for new rows of tbl in this transaction (owned by txn). */
fl_code fl_txn_append(fl_txn *txn, fl_table *tbl, fl_appender **app, fl_err *err);
/* As fl_txn_append, and the appender may also delete positions: on a retry the data
 * files it deletes from are checked to be still live (FL_EVALIDATION if not). */
fl_code fl_txn_row_delta(fl_txn *txn, fl_table *tbl, fl_appender **app, fl_err *err);
/* Schema changes applied (before the snapshot) in the same commit; refused changes
 * fail here with FL_ESCHEMA. The strings are copied. */
fl_code fl_txn_update_schema(fl_txn *txn, fl_table *tbl, const fl_schema_change *changes, uint32_t n,
                             fl_err *err);
/* Properties set (value) or removed (value NULL) in the same commit. Copied. */
fl_code fl_txn_set_properties(fl_txn *txn, fl_table *tbl, const fl_kv *props, uint32_t n, fl_err *err);
/* Summary pairs of tbl's snapshot (e.g. floe.log-offset.0); copied. Keys starting with
 * "floe." are carried forward by later snapshots. */
fl_code fl_txn_set_summary(fl_txn *txn, fl_table *tbl, const fl_kv *kv, uint32_t n, fl_err *err);
/* Commits, retrying on conflict (reload, skip check, validation, re-apply). res may be
 * NULL. Call once; then fl_txn_free. */
fl_code fl_txn_commit(fl_txn *txn, fl_txn_result *res, fl_err *err);
/* Frees; the files of an uncommitted transaction are deleted unless its outcome is
 * unknown. NULL is fine. */
void fl_txn_free(fl_txn *txn);

/* ---------------------------------------------------------------- maintenance */

typedef struct fl_expire_opts {
  int64_t older_than_ms; /* expire snapshots older than this; 0 = now minus the property
                            history.expire.max-snapshot-age-ms (default 5 days) */
  uint32_t retain_last;  /* keep at least the newest N of the current lineage; 0 = the
                            property history.expire.min-snapshots-to-keep (default 1) */
} fl_expire_opts;

typedef struct fl_expire_result {
  uint32_t snapshots_expired;
  uint32_t files_deleted; /* manifest lists, manifests, data and delete files */
  uint64_t bytes_deleted;
} fl_expire_result;

/* Removes old snapshots from the metadata (one commit; the current snapshot is always
 * kept), then deletes the files only they reached. opts may be NULL. res may be NULL. */
fl_code fl_table_expire_snapshots(fl_table *tbl, const fl_expire_opts *opts, fl_expire_result *res,
                                  fl_err *err);

typedef struct fl_compact_result {
  uint32_t data_files_rewritten;
  uint32_t delete_files_removed;
  uint32_t data_files_written;
  uint64_t records;    /* rows written (deleted rows dropped) */
  int64_t snapshot_id; /* 0 if there was nothing to do */
} fl_compact_result;

/* Rewrites every live data file of the current snapshot, position deletes applied,
 * into files of write.target-file-size-bytes per partition, and commits a "replace"
 * snapshot that removes the old data and delete files (they stay on disk for older
 * snapshots until expired). Nothing to do (at most one data file per partition and no
 * deletes) commits nothing. Concurrent appends (and deletes on other files) are kept; a
 * concurrent compaction, or a delete file landing on one of the rewritten files, makes it fail
 * with FL_EVALIDATION (nothing committed; run it again on the new version). A lost
 * catalog answer is FL_EUNKNOWN (nothing deleted). res may be NULL. */
fl_code fl_table_compact(fl_table *tbl, fl_compact_result *res, fl_err *err);

/* Bin-pack compaction of small files (what a streaming table needs after many small
 * commits): in each partition (of the current spec) holding at least min_files data
 * files under small_bytes, those files are rewritten into files of
 * write.target-file-size-bytes; every other file stays. Size tiers: a partition's
 * largest small file is left out while it is larger than the others together (then
 * the next largest), so a file is rewritten only with at least its own size of new
 * rows and a row at most log2(small_bytes / its first file) times. One "replace" snapshot: the
 * manifests that held the inputs are rewritten with their other files as EXISTING, so a
 * reader sees the same rows. Appends committed meanwhile are kept; validation as
 * fl_table_compact. A table with delete files is left alone (fl_table_compact applies
 * them). opts may be NULL. */
typedef struct fl_compact_opts {
  uint64_t small_bytes; /* 0 = 3/4 of write.target-file-size-bytes (Iceberg's min-file-size-bytes ratio) */
  uint32_t min_files;   /* 0 = 4 */
} fl_compact_opts;
fl_code fl_table_compact_small(fl_table *tbl, const fl_compact_opts *opts, fl_compact_result *res,
                               fl_err *err);

/* Deletes files under the table's data/ and metadata/ directories that no snapshot,
 * metadata file of the metadata-log, or version hint references and that were last
 * modified before older_than_ms (0 = now minus 3 days: files of writers still in
 * flight are unreferenced until they commit, so the cutoff must exceed any write).
 * Leftovers of crashed or aborted writers are such files. res may be NULL. */
fl_code fl_table_remove_orphans(fl_table *tbl, int64_t older_than_ms, fl_expire_result *res, fl_err *err);

/* ---------------------------------------------------------------- metadata tables */

/* Iceberg's metadata tables, columns as Trino and Spark name them (meta_tables.c):
 *   snapshots  committed_at, snapshot_id, parent_id, operation, manifest_list, summary (JSON)
 *   history    made_current_at, snapshot_id, parent_id, is_current_ancestor
 *   files      content, file_path, file_format, spec_id, partition (JSON), record_count,
 *              file_size_in_bytes (the live files of snap, or of the current snapshot) */
typedef enum fl_table_meta_kind { FL_META_SNAPSHOTS = 1, FL_META_HISTORY, FL_META_FILES } fl_table_meta_kind;
/* "snapshots", "history", "files" (the part after '$' in "orders$files"). */
bool fl_table_meta_kind_parse(const char *suffix, fl_table_meta_kind *out);
const fl_field *fl_table_meta_fields(fl_table_meta_kind kind, uint32_t *n);
/* Every row in one batch (the caller frees it with fl_batch_free). */
fl_code fl_table_meta_batch(const fl_table *tbl, fl_table_meta_kind kind, const fl_snapshot *snap,
                            fl_batch **out, fl_err *err);

/* ---------------------------------------------------------------- metadata cache */

/* Parsed metadata JSON, manifest lists and manifests are shared by every handle, scan
 * and thread of the process (table/cache.c): Iceberg never rewrites them, so a query
 * plans a snapshot it has seen before without reading them again. At most `bytes` are
 * kept (default FL_TABLE_CACHE_BYTES; least recently used dropped first); 0 turns the
 * cache off. */
void fl_table_cache_set_budget(size_t bytes);
typedef struct fl_table_cache_stats {
  uint64_t hits, misses, evictions;
  size_t bytes;
  uint32_t entries;
} fl_table_cache_stats;
void fl_table_cache_get_stats(fl_table_cache_stats *out);

/* ---------------------------------------------------------------- scans */

typedef enum fl_pred_op {
  FL_PRED_EQ = 1,
  FL_PRED_LT,
  FL_PRED_LE,
  FL_PRED_GT,
  FL_PRED_GE,
  FL_PRED_NE
} fl_pred_op;

/* column op literal; a scan's predicates are ANDed and used for pruning only (files by
 * partition values and column bounds, row groups by statistics): rows are filtered by
 * the caller's filter (fl_scan_set_filter), which must select a subset of what the
 * predicates allow. The literal is cast to the column type where Iceberg allows
 * (int -> bigint, ...); a null literal matches nothing. */
typedef struct fl_pred {
  const char *column;
  fl_pred_op op;
  fl_value value;
} fl_pred;

/* The predicate IR (table/pred.c) a query's WHERE lowers into (sql/exec_scan.c), for
 * pruning only, as fl_pred: files by partition values and column bounds, manifests by
 * partition summaries, row groups by statistics. A node says which rows MAY match; what
 * the IR cannot express the lowering leaves out (TRUE), so pruning never drops a row the
 * full filter keeps. Semantics are SQL WHERE's: a comparison with NULL is not TRUE, so
 * NOT (a < 5) is a >= 5 and a NULL a matches neither. Values are cast to the column's
 * type where Iceberg allows (int -> bigint, ...), else planning fails with FL_ETYPE.
 * Nodes and values are borrowed for fl_scan_plan's duration only. */
typedef enum fl_tpred_kind {
  FL_TP_TRUE = 1,    /* every row may match */
  FL_TP_FALSE,       /* no row matches */
  FL_TP_AND,         /* args */
  FL_TP_OR,          /* args */
  FL_TP_NOT,         /* args[0] */
  FL_TP_CMP,         /* column op values[0] (EQ, NE, LT, LE, GT, GE) */
  FL_TP_IN,          /* column IN (values) */
  FL_TP_IS_NULL,     /* column IS NULL */
  FL_TP_STARTS_WITH, /* column LIKE 'values[0]%' (a STRING prefix) */
} fl_tpred_kind;

typedef struct fl_tpred {
  fl_tpred_kind kind;
  fl_pred_op op;      /* CMP */
  const char *column; /* leaves: a current-schema column name */
  const fl_value *values;
  uint32_t nvalues;
  const struct fl_tpred *const *args; /* AND, OR, NOT */
  uint32_t nargs;
} fl_tpred;

/* Writes the predicate as SQL-like text for EXPLAIN: "(id >= 10 AND name LIKE 'a%')". */
void fl_tpred_format(const fl_tpred *pred, fl_buf *out);

typedef struct fl_scan_opts {
  int64_t snapshot_id; /* > 0: this snapshot */
  int64_t as_of_ms;    /* > 0 (and no snapshot_id): snapshot current at that time */
  const fl_pred *preds;
  uint32_t npreds;
  const char *const *columns; /* projection by current-schema name; NULL = every column */
  uint32_t ncolumns;
  int64_t after_snapshot_id;     /* > 0: incremental scan: only the data files added by the
                                    append/overwrite snapshots after this one, up to the chosen
                                    snapshot (which must descend from it); deletes still apply */
  const fl_tpred *where;         /* pruning predicate (ANDed with preds); NULL = none */
  const char *const *only_files; /* non-NULL: plan only these data files (paths as the manifests
                                    give them; compaction of chosen files) */
  uint32_t nonly_files;
} fl_scan_opts;

typedef struct fl_scan_stats {
  uint32_t manifests_total;        /* data + delete manifests in the manifest list */
  uint32_t manifests_pruned;       /* skipped by partition summaries */
  uint32_t files_total;            /* live data files in the scanned manifests */
  uint32_t files_pruned_partition; /* by partition values */
  uint32_t files_pruned_bounds;    /* by column lower/upper bounds */
  uint32_t files_planned;          /* left to read */
  uint32_t delete_files;           /* delete files read (position, deletion vector, equality) */
  uint64_t row_groups_total;       /* in planned files (known after run) */
  uint64_t row_groups_pruned;      /* skipped by row-group statistics */
  uint64_t rows_read;              /* decoded */
  uint64_t rows_deleted;           /* hidden by position and equality deletes */
  uint64_t rows_filtered;          /* dropped by the filter (fl_scan_set_filter) */
  uint64_t rows_emitted;
  uint64_t bytes_planned;      /* file_size_in_bytes of planned files */
  uint64_t row_groups_skipped; /* the filter kept none of their rows, read in its columns only
                                  (fl_scan_set_filter_columns); their rows count as read and
                                  filtered */
  uint64_t pages_read;         /* data pages decoded (those of row groups read with a page selection) */
  uint64_t pages_skipped;      /* data pages the page index let the reader jump over */
  uint64_t row_groups_paged;   /* row groups read with a page selection (part of their rows) */
} fl_scan_stats;

/* A planned data file. */
typedef struct fl_scan_file {
  const char *path; /* URI */
  int64_t record_count;
  int64_t file_size_in_bytes;
  int64_t data_sequence_number;
  const fl_value *partition; /* npartition values, spec of the file */
  uint32_t npartition;
  uint32_t ndeletes; /* positions deleted from this file (before run: upper bound) */
} fl_scan_file;

typedef struct fl_scan fl_scan;

/* Plans a scan: picks the snapshot (current unless opts say otherwise; FL_ENOENT if
 * the id or time has none), reads the manifest list and manifests, prunes, and
 * collects position deletes. opts may be NULL. An empty table plans zero files. */
fl_code fl_scan_plan(fl_table *tbl, const fl_scan_opts *opts, fl_scan **out, fl_err *err);
const fl_scan_stats *fl_scan_get_stats(const fl_scan *scan);
const fl_scan_file *fl_scan_files(const fl_scan *scan, uint32_t *n);
const fl_snapshot *fl_scan_snapshot(const fl_scan *scan); /* NULL for an empty table */
/* The schema of emitted batches: the table's current schema, projected. */
const fl_schema *fl_scan_schema(const fl_scan *scan);

/* Called per batch of surviving rows. file_path is the data file the rows come from,
 * positions[i] the 0-based position of row i in it. The batch is reused after the
 * call returns. A non-zero return r stops the run, and fl_scan_run returns (fl_code)r
 * (the callback may fill the fl_err it shares through ctx). */
typedef int (*fl_scan_emit_fn)(void *ctx, const fl_batch *batch, const char *file_path,
                               const uint64_t *positions);
/* A row filter over the batches the scan reads (columns = fl_scan_schema): writes the
 * indexes of the rows to keep, rising, to sel (batch->nrows entries) and returns their
 * count. table/ sits below sql/, so the caller brings the evaluator (sql's fl_sql_eval:
 * cli/where.c); the scan only applies the selection. */
typedef uint32_t (*fl_scan_filter_fn)(void *ctx, const fl_batch *batch, uint32_t *sel);
/* Sets the filter used by fl_scan_run (NULL: every live row). Its columns must be in
 * the projection. */
void fl_scan_set_filter(fl_scan *scan, fl_scan_filter_fn filter, void *ctx);
/* The projection's columns the filter reads (indexes in fl_scan_schema), for late
 * materialisation: when they are fewer than the projection's, a row group is first
 * decoded in those columns alone and skipped whole when the filter keeps none of its
 * rows; only the others are decoded in every column (scan.c, "the filter's probe").
 * Without it every column is decoded before the filter runs. Call before the
 * iterators open. */
void fl_scan_set_filter_columns(fl_scan *scan, const uint32_t *cols, uint32_t n);
/* The filter (the scan's and every iterator's) reads STRING and JSON columns in
 * dictionary form as well as flat (core/batch.h): row groups are then decoded with
 * dictionary-encoded string pages kept as codes, the filter runs on those, and only the
 * rows it keeps are gathered flat for the caller. Call before the iterators open. */
void fl_scan_set_filter_dicts(fl_scan *scan);
/* Reads every planned file (row groups pruned by statistics), applies position
 * deletes, projects the current schema by field id (added columns read as null,
 * renames keep data, widened types widen), applies the filter if set, emits. */
fl_code fl_scan_run(fl_scan *scan, fl_scan_emit_fn emit, void *ctx, fl_err *err);

/* Scans as tasks (iceberg-rust's FileScanTask): a task is a range of row groups of one
 * planned file. The plan makes one task per file (every row group); a caller may split
 * them (rg_first/rg_count) and hand them to iterators. */
typedef struct fl_scan_task {
  uint32_t file;     /* index in fl_scan_files */
  uint32_t rg_first; /* row groups [rg_first, rg_first + rg_count) of that file */
  uint32_t rg_count; /* UINT32_MAX: to the file's last row group */
} fl_scan_task;
const fl_scan_task *fl_scan_tasks(const fl_scan *scan, uint32_t *n);
/* The number of row groups of planned file `file` (its Parquet footer read once), for a
 * caller splitting tasks into row-group morsels (sql's parallel scan). */
fl_code fl_scan_file_row_groups(fl_scan *scan, uint32_t file, uint32_t *n, fl_err *err);
/* The upper (upper) or lower bound of field field_id in planned file `file`'s column
 * metrics (its manifest entry), for a caller ordering files (sql's parallel top-N reads
 * the files holding the largest values first); false when the file has none or the
 * field is a string or binary (bounds may be truncated). */
bool fl_scan_file_bound(const fl_scan *scan, uint32_t file, int32_t field_id, bool upper, fl_value *out);

/* A pull iterator over tasks (the executor's scan operator; fl_scan_run is a loop over
 * one): fl_scan_next sets *out to the next batch of at most FL_BATCH_ROWS surviving rows
 * (row groups pruned by statistics, position and equality deletes applied, the current
 * schema projected, the filter applied), or NULL at the end. The batch belongs to the
 * iterator and is valid until the next call; fl_scan_iter_file and
 * fl_scan_iter_positions say where its rows come from. tasks NULL: every task of the
 * scan (borrowed otherwise; they must outlive the iterator). Statistics accumulate in
 * the scan's fl_scan_stats (added atomically at each fl_scan_next).
 * Threads: several iterators over one planned scan may run at once, one per thread,
 * each over its own tasks (morsels): each has its own reader, batches, delete cursor
 * and equality delete probe; the plan, deletes and key sets are only read. The filter
 * is the scan's (fl_scan_set_filter, before the iterators open) unless
 * fl_scan_iter_set_filter gives one its own: a filter whose ctx is not safe to share
 * (sql's fl_sql_eval is not) needs one per iterator. */
typedef struct fl_scan_iter fl_scan_iter;
fl_code fl_scan_iter_open(fl_scan *scan, const fl_scan_task *tasks, uint32_t ntasks, fl_scan_iter **out,
                          fl_err *err);
fl_code fl_scan_next(fl_scan_iter *it, const fl_batch **out, fl_err *err);
void fl_scan_iter_set_filter(fl_scan_iter *it, fl_scan_filter_fn filter, void *ctx);
/* A bound the caller tightens while it pulls (a top-N's worst kept row): from the next
 * row group on, one whose statistics show no row of field field_id with `value op lit`
 * (or only NULLs) is skipped, counted as pruned. The caller must not need rows outside
 * it (NULLs included). lit is a number, date or time (copied). */
void fl_scan_iter_set_bound(fl_scan_iter *it, int32_t field_id, fl_pred_op op, const fl_value *lit);
const char *fl_scan_iter_file(const fl_scan_iter *it);          /* URI of the last batch's file */
const uint64_t *fl_scan_iter_positions(const fl_scan_iter *it); /* row i's position in it */
void fl_scan_iter_free(fl_scan_iter *it);
void fl_scan_free(fl_scan *scan);

#endif
