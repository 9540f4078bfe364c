/* append_int: the appender's state, shared by append.c (data files, commit) and
 * delete.c (position delete files). Private to the table module. */
#ifndef FL_TABLE_APPEND_INT_H
#define FL_TABLE_APPEND_INT_H

#include "table/table_int.h"

/* One partition's open data file and the rows routed to it from the current batch. */
typedef struct part_writer {
  fl_value *values; /* partition tuple (strings in the appender arena) */
  uint8_t *key;     /* serialised tuple, map key */
  size_t keylen;
  uint64_t hash;
  const char *rel_dir; /* "event_time_day=2026-11-25/tenant_id=acme" or "" */
  uint32_t part_no;
  fl_parquet_writer *pw; /* NULL until the partition gets rows; again after a roll */
  char *uri;             /* the open file's URI */
  uint32_t *rows;        /* row indexes of the current batch */
  uint32_t nrows, caprows;
} part_writer;

typedef struct del_rec {
  const char *path; /* interned data file URI */
  uint64_t pos;
} del_rec;

struct fl_appender {
  fl_table *tbl;
  fl_arena arena;
  fl_schema schema; /* copy of the schema at begin */
  const char *schema_json;
  int32_t spec_id;
  const char *spec_json;
  fl_partition_field *spec;
  fl_transform *transforms;
  int *src_cols;  /* per spec field: source column index in schema */
  uint8_t *route; /* per spec field: how part_for_row makes its key bytes (route_kind) */
  uint32_t nspec;
  uint32_t nsort; /* the default sort order, applied per batch and partition */
  int *sort_cols;
  fl_transform *sort_tr;
  bool *sort_desc;
  bool *sort_nulls_last;
  int32_t sort_order_id;
  const fl_batch *sort_batch;
  uint64_t target_bytes;
  fl_parquet_opts popts;
  fl_kv kv[1]; /* iceberg.schema */
  char op_uuid[37];
  char commit_uuid[37];
  uint32_t task_id;
  uint32_t file_seq;

  part_writer **parts;
  uint32_t nparts, capparts;
  uint32_t *map; /* open addressing: parts index + 1, 0 empty */
  size_t map_cap;
  part_writer **touched; /* partitions with rows in the current batch */
  uint32_t touched_n, touched_cap;
  fl_buf keybuf;
  /* Parquet bytes per row, as bytes over rows: the last closed data file's, else the
   * table's (its summary's total-files-size over total-records); 0 rows: unknown */
  uint64_t bpr_bytes, bpr_rows;
  uint64_t rows;

  fl_data_file *files; /* closed data files, then delete files */
  uint32_t nfiles, capfiles;
  uint32_t ndata_files;
  const char **unsynced; /* closed files (paths) whose fdatasync waits for finish (popts.defer_sync) */
  uint32_t nunsynced, capunsynced;
  char **sync_dirs; /* directories (under the table dir) holding new files: each fsynced once, at finish */
  uint32_t nsync_dirs, capsync_dirs;
  char **written; /* every file created, for abort */
  uint32_t nwritten, capwritten;

  del_rec *dels;
  uint64_t ndels, capdels;
  const char **intern; /* open addressing set of paths */
  uint32_t intern_n, intern_cap;

  fl_kv *summary;
  uint32_t nsummary;
  fl_manifest_file manifests[2];
  uint32_t nmanifests;
  int64_t snapshot_id;
  uint32_t attempt;
  bool finished;
  bool committed;
  bool keep_files; /* commit state unknown: the table may reference them, never delete */
};

/* Closes pw and records the file (content, partition) in app->files. */
fl_code fl_tbl_record_file(fl_appender *app, fl_parquet_writer *pw, const char *uri, fl_file_content content,
                           const fl_value *partition, uint32_t npartition, fl_data_file **out, fl_err *err);
fl_code fl_tbl_open_file(fl_appender *app, const char *rel_dir, uint32_t part_no, const fl_schema *schema,
                         const char *suffix, const fl_kv *kv, uint32_t nkv, fl_parquet_writer **pw,
                         char **uri, fl_err *err);
/* Closes files, writes delete files and manifests; once per appender. */
fl_code fl_tbl_appender_finish(fl_appender *app, fl_err *err);
/* Adds snapshot snapshot_id (parent, seq, manifest list, summary stolen) to root and
 * makes it current: snapshots, current-snapshot-id, refs.main, snapshot-log,
 * last-sequence-number. */
void fl_tbl_add_snapshot(fl_table *tbl, json_t *root, int64_t snapshot_id, const fl_snapshot *parent,
                         int64_t seq, const char *manifest_list_uri, json_t *summary);
void fl_tbl_summary_set(json_t *sum, const char *key, int64_t v);
/* A total-* value of the base snapshot's summary (0 if absent). */
int64_t fl_tbl_summary_total(const fl_snapshot *base, const char *key);
/* The commit driver's apply of an appender (ctx = app): manifest list + snapshot on
 * the latest base. Re-runnable per attempt. */
fl_code fl_tbl_apply_append(void *ctx, fl_table *tbl, json_t *root, fl_err *err);
/* Copies the extra summary pairs into the appender (before finish). */
void fl_tbl_appender_set_summary(fl_appender *app, const fl_kv *summary, uint32_t n);
/* delete.c: writes the position delete files of app->dels (after the data files are closed). */
fl_code fl_tbl_deletes_finish(fl_appender *app, fl_err *err);
void fl_tbl_deletes_free(fl_appender *app);

#endif
