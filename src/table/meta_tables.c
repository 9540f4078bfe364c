/* meta_tables: Iceberg's metadata tables as batches (`t$snapshots`, `t$files`,
 * `t$history`), with the columns Trino and Spark give them, so queries over a table's
 * history read like queries over data (sql/exec_scan.c wraps them in an operator).
 *
 *   snapshots  committed_at TIMESTAMP, snapshot_id BIGINT, parent_id BIGINT (NULL: none),
 *              operation STRING, manifest_list STRING, summary JSON (an object of the
 *              summary's string pairs; Trino shows a map)
 *   history    made_current_at TIMESTAMP, snapshot_id BIGINT, parent_id BIGINT,
 *              is_current_ancestor BOOLEAN: one row per snapshot-log entry (a table
 *              without a log, written elsewhere: one per snapshot, by commit time)
 *   files      content INT (0 data, 1 position deletes, 2 equality deletes), file_path,
 *              file_format STRING, spec_id INT, partition JSON (an object: partition
 *              field name -> value), record_count BIGINT, file_size_in_bytes BIGINT:
 *              the live files of the snapshot (current unless one is given)
 *
 * Memory: the batch is fl_malloc'd for the caller (fl_batch_free); its fields are
 * static. Reading the files table reads the snapshot's manifest list and manifests. */
#include <string.h>

#include "table/table_int.h"

#define T(k) \
  { k, 0, 0 }
static const fl_field snapshots_fields[] = {
    {1, "committed_at", T(FL_T_TIMESTAMP), true}, {2, "snapshot_id", T(FL_T_BIGINT), true},
    {3, "parent_id", T(FL_T_BIGINT), false},      {4, "operation", T(FL_T_STRING), false},
    {5, "manifest_list", T(FL_T_STRING), false},  {6, "summary", T(FL_T_JSON), false},
};
static const fl_field history_fields[] = {
    {1, "made_current_at", T(FL_T_TIMESTAMP), true},
    {2, "snapshot_id", T(FL_T_BIGINT), true},
    {3, "parent_id", T(FL_T_BIGINT), false},
    {4, "is_current_ancestor", T(FL_T_BOOLEAN), true},
};
static const fl_field files_fields[] = {
    {1, "content", T(FL_T_INT), true},
    {2, "file_path", T(FL_T_STRING), true},
    {3, "file_format", T(FL_T_STRING), true},
    {4, "spec_id", T(FL_T_INT), true},
    {5, "partition", T(FL_T_JSON), false},
    {6, "record_count", T(FL_T_BIGINT), true},
    {7, "file_size_in_bytes", T(FL_T_BIGINT), true},
};
#undef T

bool fl_table_meta_kind_parse(const char *suffix, fl_table_meta_kind *out) {
  if (!strcmp(suffix, "snapshots"))
    *out = FL_META_SNAPSHOTS;
  else if (!strcmp(suffix, "history"))
    *out = FL_META_HISTORY;
  else if (!strcmp(suffix, "files"))
    *out = FL_META_FILES;
  else
    return false;
  return true;
}

const fl_field *fl_table_meta_fields(fl_table_meta_kind kind, uint32_t *n) {
  switch (kind) {
    case FL_META_SNAPSHOTS: *n = 6; return snapshots_fields;
    case FL_META_HISTORY: *n = 4; return history_fields;
    case FL_META_FILES: *n = 7; return files_fields;
  }
  *n = 0;
  return NULL;
}

static void append_str(fl_vec *vec, const char *s) {
  if (s)
    fl_vec_append_str(vec, s, (uint32_t)strlen(s));
  else
    fl_vec_append_null(vec);
}

static void append_parent(fl_vec *vec, int64_t parent_id) {
  if (parent_id > 0)
    fl_vec_append_i64(vec, parent_id);
  else
    fl_vec_append_null(vec);
}

static void put_json_str(fl_buf *out, const char *s) {
  fl_value v = {.type = {FL_T_STRING, 0, 0}, .u.str = {s, (uint32_t)strlen(s)}};
  fl_value_to_json(&v, out);
}

static void snapshots(const fl_table *tbl, fl_batch *b) {
  uint32_t n;
  const fl_snapshot *snaps = fl_table_snapshots(tbl, &n);
  fl_buf sum = FL_BUF_INIT;
  for (uint32_t i = 0; i < n; i++) {
    const fl_snapshot *s = &snaps[i];
    fl_vec_append_i64(&b->cols[0], s->timestamp_ms * 1000);
    fl_vec_append_i64(&b->cols[1], s->snapshot_id);
    append_parent(&b->cols[2], s->parent_id);
    append_str(&b->cols[3], s->operation);
    append_str(&b->cols[4], s->manifest_list);
    sum.len = 0;
    fl_buf_append(&sum, "{", 1);
    if (s->operation) { /* Iceberg keeps operation inside the summary */
      put_json_str(&sum, "operation");
      fl_buf_append(&sum, ":", 1);
      put_json_str(&sum, s->operation);
    }
    for (uint32_t k = 0; k < s->nsummary; k++) {
      if (k || s->operation) fl_buf_append(&sum, ",", 1);
      put_json_str(&sum, s->summary[k].key);
      fl_buf_append(&sum, ":", 1);
      put_json_str(&sum, s->summary[k].value ? s->summary[k].value : "");
    }
    fl_buf_append(&sum, "}", 1);
    fl_vec_append_str(&b->cols[5], (const char *)sum.data, (uint32_t)sum.len);
  }
  fl_buf_free(&sum);
  fl_batch_set_rows(b, n);
}

static bool is_current_ancestor(const fl_table *tbl, int64_t id) {
  const fl_snapshot *s = fl_table_current_snapshot(tbl);
  uint32_t n;
  fl_table_snapshots(tbl, &n);
  for (uint32_t hops = 0; s && hops <= n; hops++) {
    if (s->snapshot_id == id) return true;
    s = s->parent_id > 0 ? fl_table_snapshot_by_id(tbl, s->parent_id) : NULL;
  }
  return false;
}

static void history_row(const fl_table *tbl, fl_batch *b, int64_t ts_ms, int64_t id) {
  const fl_snapshot *s = fl_table_snapshot_by_id(tbl, id);
  fl_vec_append_i64(&b->cols[0], ts_ms * 1000);
  fl_vec_append_i64(&b->cols[1], id);
  append_parent(&b->cols[2], s ? s->parent_id : -1);
  fl_vec_append_bool(&b->cols[3], is_current_ancestor(tbl, id));
}

static void history(const fl_table *tbl, fl_batch *b) {
  const fl_tmeta *m = tbl->meta;
  uint32_t rows = 0;
  if (m->nsnaplog) {
    for (uint32_t i = 0; i < m->nsnaplog; i++, rows++)
      history_row(tbl, b, m->snaplog[i].ts_ms, m->snaplog[i].snapshot_id);
  } else {
    uint32_t n;
    const fl_snapshot *snaps = fl_table_snapshots(tbl, &n); /* commit order */
    for (uint32_t i = 0; i < n; i++, rows++) history_row(tbl, b, snaps[i].timestamp_ms, snaps[i].snapshot_id);
  }
  fl_batch_set_rows(b, rows);
}

static fl_code files(const fl_table *tbl, const fl_snapshot *snap, fl_batch *b, fl_err *err) {
  fl_arena arena;
  fl_arena_init(&arena, 65536);
  fl_buf part = FL_BUF_INIT;
  uint32_t rows = 0;
  fl_code rc = FL_OK;
  const fl_file_content kinds[] = {FL_CONTENT_DATA, FL_CONTENT_POSITION_DELETES, FL_CONTENT_EQUALITY_DELETES};
  for (uint32_t k = 0; snap && k < 3 && !rc; k++) {
    fl_live_file *lf;
    uint32_t n;
    if ((rc = fl_tbl_live_files(tbl, snap, kinds[k], &arena, &lf, &n, err))) break;
    for (uint32_t i = 0; i < n; i++, rows++) {
      const fl_data_file *f = &lf[i].file;
      fl_vec_append_i32(&b->cols[0], (int32_t)f->content);
      append_str(&b->cols[1], f->file_path);
      append_str(&b->cols[2], f->file_format ? f->file_format : "PARQUET");
      fl_vec_append_i32(&b->cols[3], lf[i].spec_id);
      const fl_tspec *spec = fl_tmeta_spec_by_id(tbl->meta, lf[i].spec_id);
      if (!spec || !spec->nfields || f->npartition != spec->nfields) {
        fl_vec_append_null(&b->cols[4]);
      } else {
        part.len = 0;
        fl_buf_append(&part, "{", 1);
        for (uint32_t p = 0; p < spec->nfields; p++) {
          if (p) fl_buf_append(&part, ",", 1);
          put_json_str(&part, spec->fields[p].name);
          fl_buf_append(&part, ":", 1);
          fl_value_to_json(&f->partition[p], &part);
        }
        fl_buf_append(&part, "}", 1);
        fl_vec_append_str(&b->cols[4], (const char *)part.data, (uint32_t)part.len);
      }
      fl_vec_append_i64(&b->cols[5], f->record_count);
      fl_vec_append_i64(&b->cols[6], f->file_size_in_bytes);
    }
  }
  fl_buf_free(&part);
  fl_arena_destroy(&arena);
  if (rc) return fl_err_prefix(err, "%s.%s$files: ", tbl->ns, tbl->name);
  fl_batch_set_rows(b, rows);
  return FL_OK;
}

fl_code fl_table_meta_batch(const fl_table *tbl, fl_table_meta_kind kind, const fl_snapshot *snap,
                            fl_batch **out, fl_err *err) {
  uint32_t nf;
  const fl_field *fields = fl_table_meta_fields(kind, &nf);
  FL_ASSERT(fields, "metadata table kind %d", (int)kind);
  fl_batch *b = fl_batch_new(fields, nf, 64);
  fl_code rc = FL_OK;
  switch (kind) {
    case FL_META_SNAPSHOTS: snapshots(tbl, b); break;
    case FL_META_HISTORY: history(tbl, b); break;
    case FL_META_FILES: rc = files(tbl, snap ? snap : fl_table_current_snapshot(tbl), b, err); break;
  }
  if (rc) {
    fl_batch_free(b);
    *out = NULL;
    return rc;
  }
  *out = b;
  return FL_OK;
}
