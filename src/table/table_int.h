/* table_int: the table module's private model, shared by its .c files only.
 *
 * fl_tmeta is one parsed version of a table's metadata JSON. It keeps the jansson
 * document (root) as the source of truth: a commit deep-copies root, edits the copy
 * (add a snapshot, a schema, properties) and dumps it, so keys floe does not know
 * (written by another engine) survive floe's commits. The typed view (schemas,
 * specs, snapshots, ...) lives in the tmeta's arena, built once at parse time.
 *
 * Commit driver (table.c): fl_tbl_commit(tbl, apply, ctx) loops
 *   copy root -> apply(ctx, tbl, copy) -> write NNNNN-<uuid>.metadata.json (O_EXCL, fsync)
 *   -> catalog CAS -> on FL_ECONFLICT refresh tbl and loop (backoff), else done.
 * apply must be re-runnable: it is called once per attempt on the latest base. */
#ifndef FL_TABLE_TABLE_INT_H
#define FL_TABLE_TABLE_INT_H

#include <jansson.h>

#include "core/limits.h"
#include "core/mem.h"
#include "table/table.h"

/* Reserved field ids of position delete files (spec: metadata columns). */
#define FL_POS_DELETE_FILE_PATH_ID 2147483546
#define FL_POS_DELETE_POS_ID 2147483545

/* Default target data file size: Iceberg's write.target-file-size-bytes default. */
#define FL_TARGET_FILE_BYTES_DEFAULT (512ull << 20)

typedef struct fl_tspec {
  int32_t spec_id;
  uint32_t nfields;
  fl_partition_field *fields;
  fl_transform *transforms;
  const char *fields_json; /* the spec's "fields" array as JSON text */
} fl_tspec;

typedef struct fl_tsort {
  int32_t order_id;
  uint32_t nfields;
  int32_t *source_ids;
  fl_sort_def *defs; /* column names resolved in the current schema */
} fl_tsort;

typedef struct fl_tlog {
  int64_t ts_ms;
  int64_t snapshot_id; /* snapshot-log */
  const char *file;    /* metadata-log */
} fl_tlog;

typedef struct fl_tmeta {
  fl_arena arena;
  _Atomic int extra_refs; /* fl_tmeta_ref's (cache.c shares one parse); freed at -1 */
  json_t *root;
  const char *text; /* the JSON as read or written */
  int32_t format_version;
  const char *uuid;
  const char *location;
  int64_t last_seq;
  int64_t last_updated_ms;
  int32_t last_column_id;
  fl_schema *schemas;
  uint32_t nschemas;
  const fl_schema *schema;   /* current */
  const char **schema_jsons; /* per schemas[i] */
  const char *schema_json;   /* current */
  fl_tspec *specs;
  uint32_t nspecs;
  const fl_tspec *spec; /* default */
  int32_t last_partition_id;
  fl_tsort *orders;
  uint32_t norders;
  const fl_tsort *order; /* default */
  fl_kv *props;
  uint32_t nprops;
  int64_t current_snapshot_id; /* -1 none */
  fl_snapshot *snapshots;
  uint32_t nsnapshots;
  fl_tlog *snaplog;
  uint32_t nsnaplog;
  fl_tlog *metalog;
  uint32_t nmetalog;
  uint32_t *snap_slots;    /* open addressing by snapshot id: index + 1, 0 empty (O(1) lookup) */
  uint32_t snap_slots_cap; /* power of two, >= 2 * nsnapshots */
} fl_tmeta;

struct fl_warehouse {
  char *dir;  /* data dir, absolute */
  char *root; /* dir/warehouse */
  fl_catalog *cat;
};

struct fl_table {
  fl_warehouse *wh;
  char ns[FL_NAME_MAX + 1];
  char name[FL_NAME_MAX + 1];
  char *dir;               /* absolute table directory */
  char *metadata_location; /* URI of the loaded version */
  int32_t version;         /* NNNNN of the loaded metadata file */
  fl_tmeta *meta;
  char *staged_location; /* the last metadata file fl_tbl_prepare wrote, and its text: */
  char *staged_text;     /* a commit moves the handle without reading it back */
  size_t staged_len;
  json_t *staged_root;     /* the document staged_text was dumped from */
  bool expire_cleanup_off; /* fl_table_expire_snapshots deletes files itself (full walk) */
  char *real_dir;          /* locate.c: where the table is, when not at its metadata's location */
};

/* metadata.c */
fl_code fl_tmeta_parse(const char *text, size_t len, const char *name, fl_tmeta **out, fl_err *err);
fl_code fl_tmeta_read(const char *path, fl_tmeta **out, fl_err *err);
/* As fl_tmeta_parse, for a document already in memory (root is stolen; text is its
 * dump): a commit moves its handle without parsing what it just wrote. */
fl_code fl_tmeta_from_root(json_t *root, const char *text, size_t len, const char *name, fl_tmeta **out,
                           fl_err *err);
/* Releases one reference (the parse's, or one fl_tmeta_ref added); frees at the last. */
void fl_tmeta_free(fl_tmeta *meta);
void fl_tmeta_ref(fl_tmeta *meta);
/* Inflates a gzip metadata file's bytes (*data, fl_malloc'd, replaced by the inflated
 * text, NUL-terminated; freed on error), at most FL_METADATA_JSON_MAX bytes. */
fl_code fl_tmeta_gunzip(const char *path, char **data, size_t *len, fl_err *err);
/* {"type":"struct","schema-id":..,"identifier-field-ids":[..],"fields":[..]} */
json_t *fl_tmeta_schema_json(const fl_schema *schema);
/* Builds a fresh v2 metadata document for a new table. */
fl_code fl_tmeta_new_root(const char *uuid, const char *location, const fl_schema *schema,
                          const fl_table_create_opts *opts, json_t **out, fl_err *err);
const fl_tspec *fl_tmeta_spec_by_id(const fl_tmeta *meta, int32_t spec_id);
static inline uint32_t fl_tmeta_snap_slot(int64_t snapshot_id, uint32_t cap) {
  uint64_t h = (uint64_t)snapshot_id * 0x9E3779B97F4A7C15ull; /* ids are random; mix anyway */
  return (uint32_t)(h >> 32) & (cap - 1);
}
/* Type text as users write it: "DECIMAL(12,2)", "BIGINT". */
void fl_type_text(fl_type type, char *out, size_t out_size);

/* table.c: files and ids */
void fl_tbl_uuid(char out[37]);
int64_t fl_tbl_snapshot_id_new(void);
uint64_t fl_tbl_random(void);
fl_code fl_tbl_mkdirs(const char *path, fl_err *err);
/* Writes a new file (O_EXCL), fsyncs it and its directory. */
fl_code fl_tbl_write_new(const char *path, const void *data, size_t len, fl_err *err);
fl_code fl_tbl_fsync_dir(const char *dir, fl_err *err);
/* "file:///x" -> "/x" (a plain path is returned as is). */
const char *fl_tbl_uri_path(const char *uri);
/* Reads a whole file into a fl_malloc'd buffer (NUL-terminated). */
fl_code fl_tbl_read_all(const char *path, size_t max, char **data, size_t *len, fl_err *err);

/* locate.c: tables written elsewhere. fl_tbl_path maps a URI of the table's metadata
 * or manifests onto the local file (paths under the metadata's location move to where
 * the table really is; relative paths resolve against the table's directory); the
 * result is uri's own text or a copy in arena. fl_tbl_locate records, at load, the
 * directory that holds the metadata file's folder when it is not the location. */
const char *fl_tbl_path(const fl_table *tbl, const char *uri, fl_arena *arena);
void fl_tbl_locate(fl_table *tbl, const char *metadata_path);
/* A snapshot's manifests: its manifest list, or a v1 snapshot's inline "manifests"
 * (data manifests of the table's one spec, sequence number 0). */
fl_code fl_tbl_snapshot_manifests(const fl_table *tbl, const fl_snapshot *snap, fl_arena *arena,
                                  fl_manifest_file **mfs, uint32_t *n, fl_err *err);
/* FL_EUNSUPPORTED for a table floe must not write (format v1: floe writes v2 only). */
fl_code fl_tbl_check_writable(const fl_table *tbl, fl_err *err);
/* FL_EUNSUPPORTED "object storage is not supported yet: URI" for s3://, gs://, ... */
fl_code fl_tbl_check_uri(const char *uri, fl_err *err);
/* The same for a URI of tbl's metadata or manifests: an object-store URI under the
 * metadata's location is fine when the table is read from a local copy (fl_tbl_path
 * maps it there). */
fl_code fl_tbl_check_path(const fl_table *tbl, const char *uri, fl_err *err);
/* The table property schema.name-mapping.default, top level: names[i] -> ids[i]. */
typedef struct fl_name_mapping {
  bool present;
  uint32_t n;
  const char **names;
  int32_t *ids;
} fl_name_mapping;
fl_code fl_tbl_name_mapping(const fl_table *tbl, fl_arena *arena, fl_name_mapping *out, fl_err *err);

/* table.c: commits */
typedef fl_code (*fl_tbl_apply_fn)(void *ctx, fl_table *tbl, json_t *root, fl_err *err);
/* Applies and writes a new metadata file on tbl's loaded version: *new_location (URI,
 * fl_malloc'd). Does not swap the pointer. */
fl_code fl_tbl_prepare(fl_table *tbl, fl_tbl_apply_fn apply, void *ctx, char **new_location, fl_err *err);
/* After a successful swap: moves tbl to new_location, updates the version hint, then
 * cleans up what the commit made unreachable (commit.c: metadata files dropped from the
 * metadata-log, files of snapshots the commit expired). */
fl_code fl_tbl_committed(fl_table *tbl, const char *new_location, fl_err *err);
/* prepare + CAS + retry loop. */
fl_code fl_tbl_commit(fl_table *tbl, fl_tbl_apply_fn apply, void *ctx, fl_err *err);
void fl_tbl_backoff(uint32_t attempt);
/* Metrics of one commit attempt of tbl: result "ok" (also observes the time since
 * start_ns, a fl_mono_ns taken before the attempt's metadata was written), "conflict"
 * (a lost compare-and-swap, retried) or "failed". */
void fl_tbl_commit_metric(const fl_table *tbl, const char *result, int64_t start_ns);

/* expire.c: snapshot expiry inside every commit (history.expire.* properties) and the
 * clean-up after it. expire_in_commit edits the metadata copy; cleanup runs after a
 * successful swap with the version before (old) and after (new). */
void fl_tbl_expire_in_commit(const fl_table *tbl, json_t *root);
/* Removes from a metadata JSON's "snapshots" and "snapshot-log" every entry whose
 * snapshot id is one of drop[0..ndrop) (sorted in place). The one way both expiries
 * (in the commit, and `floe expire`) take snapshots out of the metadata. */
void fl_tbl_json_drop_snapshots(json_t *root, int64_t *drop, uint32_t ndrop);
void fl_tbl_cleanup_after_commit(const fl_table *tbl, const fl_tmeta *old, const char *old_location,
                                 const fl_tmeta *cur);
/* A property as a number (the default when unset or not a number). */
int64_t fl_tbl_prop_i64(const fl_table *tbl, const char *key, int64_t dflt);
bool fl_tbl_prop_bool(const fl_table *tbl, const char *key, bool dflt);

/* JSON edit helpers used by apply functions. */
void fl_tbl_json_set_i64(json_t *obj, const char *key, int64_t v);
int64_t fl_tbl_json_i64(const json_t *obj, const char *key, int64_t dflt);
/* Appends entry (reference stolen) to the array root[key], creating it. */
void fl_tbl_json_log_append(json_t *root, const char *key, json_t *entry);

/* evolve.c: the schema and property edits, applied to a metadata copy (used by
 * fl_table_evolve / fl_table_set_properties and by the transaction). */
fl_code fl_tbl_apply_schema(fl_table *tbl, json_t *root, const fl_schema_change *changes, uint32_t n,
                            bool *changed, fl_err *err);
void fl_tbl_apply_props(json_t *root, const fl_kv *props, uint32_t n);

/* scan.c: reading a snapshot's live files (also used by deletes to find partitions). */
typedef struct fl_live_file {
  fl_data_file file; /* in the arena */
  int32_t spec_id;
  int64_t data_seq;
} fl_live_file;
fl_code fl_tbl_live_files(const fl_table *tbl, const fl_snapshot *snap, fl_file_content content,
                          fl_arena *arena, fl_live_file **files, uint32_t *n, fl_err *err);

/* cache.c: parsed metadata files shared by the process (see its design comment).
 * fl_tcache_meta gives a reference the caller releases with fl_tmeta_free; manifest
 * lists and manifests stay pinned in pins until fl_tcache_pins_release. */
typedef struct fl_tcache_pins {
  struct centry **entries;
  uint32_t n, cap;
} fl_tcache_pins;
fl_code fl_tcache_meta(const char *path, fl_tmeta **out, fl_err *err);
fl_code fl_tcache_manifest_list(const char *path, fl_tcache_pins *pins, const fl_manifest_file **files,
                                uint32_t *n, fl_err *err);
fl_code fl_tcache_manifest(const char *path, fl_tcache_pins *pins, const fl_manifest_entry **entries,
                           uint32_t *n, fl_err *err);
void fl_tcache_pins_release(fl_tcache_pins *pins);
/* A position delete file's rows, as its loader (scan.c) reads them into the entry's
 * arena (*items an fl_posdel array, paths interned there). */
typedef struct fl_posdel {
  const char *path; /* the data file's URI */
  uint64_t pos;
} fl_posdel;
typedef fl_code (*fl_tcache_posdel_loader)(const char *path, fl_arena *arena, void **items, uint32_t *n,
                                           fl_err *err);
fl_code fl_tcache_posdel(const char *path, fl_tcache_pins *pins, fl_tcache_posdel_loader load,
                         const fl_posdel **dels, uint32_t *n, fl_err *err);

/* pred.c: the predicate IR bound to a table (negation pushed to the leaves, values
 * cast to column types, in arena), asked whether a manifest, file or row group may hold
 * a matching row. */
typedef struct fl_bpred fl_bpred;
fl_code fl_tpred_bind(const fl_table *tbl, const fl_tpred *pred, fl_arena *arena, fl_bpred **out,
                      fl_err *err);
bool fl_bpred_is_false(const fl_bpred *b);
bool fl_bpred_partition_may_match(const fl_bpred *b, const fl_tspec *spec, const fl_value *part,
                                  uint32_t npart);
bool fl_bpred_summary_may_match(const fl_bpred *b, const fl_tspec *spec, const fl_manifest_file *mf);
bool fl_bpred_bounds_may_match(const fl_bpred *b, const fl_schema *schema, const fl_tspec *spec,
                               const fl_data_file *file);
bool fl_bpred_row_group_may_match(const fl_bpred *b, const fl_parquet_reader *pr, uint32_t rg);
/* The rows of row group rg that may match by the file's page index, as sorted disjoint
 * ranges [r[2i], r[2i+1]) in the arena (every row where a column has no page index);
 * FL_ECORRUPT from a malformed page index. */
fl_code fl_bpred_page_rows(const fl_bpred *b, fl_parquet_reader *pr, uint32_t rg, fl_arena *arena,
                           uint64_t **ranges, uint32_t *n, fl_err *err);

/* eqdel.c: equality deletes applied by a scan (see the file's design comment). The
 * arena (the scan's) holds what outlives planning; fl_eqdel_free frees the rest. */
typedef struct fl_eqdel fl_eqdel;
fl_eqdel *fl_eqdel_new(const fl_table *tbl, fl_arena *arena);
void fl_eqdel_free(fl_eqdel *ed);
/* Reads one live equality delete file's keys. */
fl_code fl_eqdel_add_file(fl_eqdel *ed, const fl_live_file *lf, fl_err *err);
uint32_t fl_eqdel_nfiles(const fl_eqdel *ed);
/* After the last add: read = proj + the equality columns proj lacks (at the end). */
void fl_eqdel_bind(fl_eqdel *ed, const fl_schema *proj, fl_schema *read);
/* Per data file: true if some delete file applies to it. */
bool fl_eqdel_begin_file(fl_eqdel *ed, int32_t spec_id, const fl_value *partition, uint32_t npartition,
                         int64_t data_seq);
/* Sets deleted[r] for the rows of batch (read schema) an applying delete matches;
 * returns how many it set. */
uint32_t fl_eqdel_mark(fl_eqdel *ed, const fl_batch *batch, bool *deleted);
/* The same through a cursor of one's own (after fl_eqdel_bind), so that several scan
 * iterators (threads) probe one set of keys at once. */
typedef struct fl_eqdel_cursor fl_eqdel_cursor;
fl_eqdel_cursor *fl_eqdel_cursor_new(const fl_eqdel *ed);
void fl_eqdel_cursor_free(fl_eqdel_cursor *c);
bool fl_eqdel_cursor_begin_file(fl_eqdel_cursor *c, int32_t spec_id, const fl_value *partition,
                                uint32_t npartition, int64_t data_seq);
uint32_t fl_eqdel_cursor_mark(fl_eqdel_cursor *c, const fl_batch *batch, bool *deleted);

/* append.c: column stats -> manifest columns; bounds into arena. */
void fl_tbl_stats_to_columns(const fl_parquet_file_info *info, fl_arena *arena, fl_file_column **cols,
                             uint32_t *ncols);

#endif
