/* append: fl_appender, one pending write on a table: new data files, position
 * deletes (delete.c), and the commit that publishes them as one snapshot.
 *
 * Data flow:
 *   fl_appender_write(batch)
 *     -> per row: partition tuple = the spec's transforms of the source columns,
 *        serialised into a key (tag byte + Iceberg bytes per field), looked up in an
 *        open-addressing map of partition writers (no allocation for known tuples)
 *     -> per partition: its rows (their indexes) written straight from the batch to its open
 *        Parquet file (kv iceberg.schema = the table schema JSON); a file is closed
 *        and a new one opened once it passes write.target-file-size-bytes, a write
 *        cut where the estimate puts it (part_write: file_bytes_est, rows_before_roll)
 *   fl_appender_commit
 *     -> finish (once): close files, write position delete files, write one data
 *        manifest and one delete manifest (entries ADDED, sequence numbers null =
 *        inherited from the manifest list)
 *     -> per attempt (fl_tbl_commit's apply): seq = base last-sequence-number + 1,
 *        manifest list = the new manifests (seq = this seq) + the base snapshot's
 *        manifests carried forward unchanged, snapshot + summary, refs.main,
 *        snapshot-log. A retry after a conflict rewrites only the manifest list and
 *        the metadata file.
 *
 * Names (REFERENCE/iceberg_parquet.md §1 layout):
 *   data/<field>=<value>/.../<part:05>-<task>-<uuid>-<file:05>.parquet
 *   metadata/<commit-uuid>-m<N>.avro, metadata/snap-<id>-<attempt>-<commit-uuid>.avro
 * Values in data paths are URL-escaped (anything but [A-Za-z0-9._-] becomes %XX).
 *
 * Ownership: the appender owns an arena for every path, partition value, bound and
 * manifest row it creates; the table handle is borrowed and moves to the new
 * version on commit. Files written are remembered so abort can delete them. */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/fsync.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/time.h"
#include "table/append_int.h"

/* ---------------------------------------------------------------- helpers */

static void track_file(fl_appender *app, const char *path) {
  if (app->nwritten == app->capwritten) {
    app->capwritten = app->capwritten ? app->capwritten * 2 : 16;
    app->written = fl_realloc(app->written, app->capwritten * sizeof(char *));
  }
  app->written[app->nwritten++] = fl_arena_strdup(&app->arena, path);
}

static void url_escape(fl_buf *out, const char *p, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
        c == '-') {
      fl_buf_put_u8(out, c);
    } else {
      fl_buf_put_u8(out, '%');
      fl_buf_put_u8(out, (uint8_t)hex[c >> 4]);
      fl_buf_put_u8(out, (uint8_t)hex[c & 15]);
    }
  }
}

/* Truncated string bounds (Iceberg metrics mode truncate(16)): lower = the first 16
 * code points; upper = that prefix with its last (ASCII) code point incremented, or
 * no upper bound. */
#define BOUND_CODE_POINTS 16

static void put_bound(fl_arena *arena, const fl_value *v, bool upper, const uint8_t **out,
                      uint32_t *out_len) {
  fl_buf b = FL_BUF_INIT;
  fl_value_to_iceberg_bytes(v, &b);
  *out = NULL;
  *out_len = 0;
  if (fl_type_is_string(v->type.kind)) {
    uint32_t i = 0, cps = 0;
    while (i < b.len && cps < BOUND_CODE_POINTS) {
      i++;
      while (i < b.len && (b.data[i] & 0xC0) == 0x80) i++;
      cps++;
    }
    if (i < b.len) { /* truncated */
      b.len = i;
      if (upper) {
        if (b.data[i - 1] >= 0x7E || b.data[i - 1] & 0x80) {
          fl_buf_free(&b);
          return;
        }
        b.data[i - 1]++;
      }
    }
  }
  *out = fl_arena_memdup(arena, b.data ? b.data : (const uint8_t *)"", b.len);
  *out_len = (uint32_t)b.len;
  fl_buf_free(&b);
}

void fl_tbl_stats_to_columns(const fl_parquet_file_info *info, fl_arena *arena, fl_file_column **cols,
                             uint32_t *ncols) {
  fl_file_column *out = fl_arena_calloc(arena, info->ncols ? info->ncols : 1, sizeof *out);
  for (uint32_t i = 0; i < info->ncols; i++) {
    const fl_column_stats *st = &info->cols[i];
    fl_file_column *c = &out[i];
    c->field_id = st->field_id;
    c->column_size = (int64_t)st->compressed_bytes;
    c->value_count = (int64_t)st->value_count;
    c->null_value_count = (int64_t)st->null_count;
    if (st->has_bounds) {
      put_bound(arena, &st->min, false, &c->lower, &c->lower_len);
      put_bound(arena, &st->max, true, &c->upper, &c->upper_len);
    }
  }
  *cols = out;
  *ncols = info->ncols;
}

fl_code fl_tbl_record_file(fl_appender *app, fl_parquet_writer *pw, const char *uri, fl_file_content content,
                           const fl_value *partition, uint32_t npartition, fl_data_file **out, fl_err *err) {
  const fl_parquet_file_info *info;
  fl_code rc = fl_parquet_writer_close(pw, &info, err);
  if (rc) return rc;
  if (app->nunsynced == app->capunsynced) {
    app->capunsynced = app->capunsynced ? app->capunsynced * 2 : 16;
    app->unsynced = fl_realloc(app->unsynced, app->capunsynced * sizeof *app->unsynced);
  }
  app->unsynced[app->nunsynced++] = fl_arena_strdup(&app->arena, fl_tbl_uri_path(uri));
  if (app->nfiles == app->capfiles) {
    app->capfiles = app->capfiles ? app->capfiles * 2 : 16;
    app->files = fl_realloc(app->files, app->capfiles * sizeof(fl_data_file));
  }
  fl_data_file *f = &app->files[app->nfiles++];
  memset(f, 0, sizeof *f);
  f->content = content;
  f->file_path = uri;
  f->file_format = "PARQUET";
  f->partition = (fl_value *)partition;
  f->npartition = npartition;
  f->record_count = (int64_t)info->num_rows;
  f->file_size_in_bytes = (int64_t)info->file_bytes;
  fl_tbl_stats_to_columns(info, &app->arena, &f->cols, &f->ncols);
  f->nsplit_offsets = info->nrow_groups;
  f->split_offsets = fl_arena_calloc(&app->arena, info->nrow_groups ? info->nrow_groups : 1, sizeof(int64_t));
  for (uint32_t i = 0; i < info->nrow_groups; i++) f->split_offsets[i] = (int64_t)info->row_group_offsets[i];
  f->sort_order_id = content == FL_CONTENT_DATA ? app->sort_order_id : -1;
  f->referenced_data_file = NULL;
  if (out) *out = f;
  return FL_OK;
}

/* A new file's directory entry must be durable, and those of the partition directories
 * above it (a crash after the commit must not lose a data file the manifests name):
 * data/, data/a=1, data/a=1/b=2. Each such directory is noted once here and fsynced
 * once at finish (sync_dirs), before the manifests that name the files are written:
 * a commit of 140 files in 30 partitions makes ~60 directory fsyncs, not 3 per file.
 * The file's bytes are synced by the Parquet writer at close. */
static fl_code note_dirs(fl_appender *app, const char *rel_dir, fl_err *err) {
  char path[PATH_MAX];
  int n = snprintf(path, sizeof path, "data");
  for (const char *p = rel_dir;;) {
    bool known = false;
    for (uint32_t i = 0; i < app->nsync_dirs && !known; i++) known = !strcmp(app->sync_dirs[i], path);
    if (!known) {
      if (app->nsync_dirs == app->capsync_dirs) {
        app->capsync_dirs = app->capsync_dirs ? app->capsync_dirs * 2 : 16;
        app->sync_dirs = fl_realloc(app->sync_dirs, app->capsync_dirs * sizeof *app->sync_dirs);
      }
      app->sync_dirs[app->nsync_dirs++] = fl_arena_strdup(&app->arena, path);
    }
    if (!*p) break;
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    if ((size_t)n + 1 + len >= sizeof path) return fl_err_set(err, FL_ELIMIT, "%s: path too long", path);
    path[n++] = '/';
    memcpy(path + n, p, len);
    n += (int)len;
    path[n] = 0;
    p += len + (slash ? 1 : 0);
  }
  return FL_OK;
}

/* The commit's files, synced together (a few threads) before the directories that hold
 * them and the manifests that name them. */
static fl_code sync_files(fl_appender *app, fl_err *err) {
  if (!app->nunsynced) return FL_OK;
  unsigned failed = 0;
  if (fl_fdatasync_paths(app->unsynced, app->nunsynced, FL_TABLE_SYNC_THREADS, &failed) != 0)
    return fl_err_errno(err, errno, "%s: fdatasync", app->unsynced[failed]);
  app->nunsynced = 0;
  return FL_OK;
}

static fl_code sync_dirs(fl_appender *app, fl_err *err) {
  fl_code rc = FL_OK;
  for (uint32_t i = 0; !rc && i < app->nsync_dirs; i++) {
    char *path = fl_sprintf("%s/%s", app->tbl->dir, app->sync_dirs[i]);
    rc = fl_tbl_fsync_dir(path, err);
    fl_free(path);
  }
  if (!rc) app->nsync_dirs = 0;
  return rc;
}

/* Opens a new Parquet file under data/<rel_dir>/, named for the appender. */
fl_code fl_tbl_open_file(fl_appender *app, const char *rel_dir, uint32_t part_no, const fl_schema *schema,
                         const char *suffix, const fl_kv *kv, uint32_t nkv, fl_parquet_writer **pw,
                         char **uri, fl_err *err) {
  char *dir =
      rel_dir[0] ? fl_sprintf("%s/data/%s", app->tbl->dir, rel_dir) : fl_sprintf("%s/data", app->tbl->dir);
  fl_code rc = fl_tbl_mkdirs(dir, err);
  if (rc) {
    fl_free(dir);
    return rc;
  }
  char *path = fl_sprintf("%s/%05u-%u-%s-%05u%s.parquet", dir, part_no, app->task_id, app->op_uuid,
                          ++app->file_seq, suffix);
  fl_free(dir);
  fl_parquet_opts opts = app->popts;
  opts.kv = kv;
  opts.nkv = nkv;
  if (schema != &app->schema) opts.unique_hint = NULL; /* one byte per column of the table's schema */
  rc = fl_parquet_writer_open(path, schema, &opts, pw, err);
  if (!rc) {
    track_file(app, path);
    *uri = fl_arena_sprintf(&app->arena, "file://%s", path);
    rc = note_dirs(app, rel_dir, err);
  }
  fl_free(path);
  return rc;
}

/* ---------------------------------------------------------------- begin */

/* How a spec field's bytes in a row's partition key are made (part_for_row). The
 * common transforms read the source column straight from the batch (a key byte,
 * then the Iceberg single-value bytes of the result, as key_put_value writes them);
 * any other goes through fl_batch_get and fl_transform_apply. */
#define ROUTE_US_PER_HOUR INT64_C(3600000000)
#define ROUTE_US_PER_DAY INT64_C(86400000000)
typedef enum route_kind {
  ROUTE_VALUE, /* fl_value: any transform */
  ROUTE_BYTES, /* identity of a string: its bytes */
  ROUTE_I32,   /* identity of an int or date: 4 bytes LE */
  ROUTE_I64,   /* identity of a bigint or timestamp: 8 bytes LE */
  ROUTE_DAY,   /* day(timestamp): the date, 4 bytes LE */
  ROUTE_HOUR,  /* hour(timestamp): hours since 1970, 4 bytes LE */
} route_kind;

static route_kind route_of(fl_transform tr, fl_type_kind k) {
  if (tr.kind == FL_TR_IDENTITY) {
    if (k == FL_T_STRING || k == FL_T_JSON) return ROUTE_BYTES;
    if (k == FL_T_INT || k == FL_T_DATE) return ROUTE_I32;
    if (k == FL_T_BIGINT || k == FL_T_TIMESTAMP) return ROUTE_I64;
  }
  if (tr.kind == FL_TR_DAY && k == FL_T_TIMESTAMP) return ROUTE_DAY;
  if (tr.kind == FL_TR_HOUR && k == FL_T_TIMESTAMP) return ROUTE_HOUR;
  return ROUTE_VALUE;
}

static fl_codec codec_of(const char *name) {
  if (!name || !strcasecmp(name, "zstd")) return FL_CODEC_ZSTD;
  if (!strcasecmp(name, "snappy")) return FL_CODEC_SNAPPY;
  if (!strcasecmp(name, "uncompressed") || !strcasecmp(name, "none")) return FL_CODEC_NONE;
  return FL_CODEC_ZSTD;
}

fl_code fl_appender_begin(fl_table *tbl, fl_appender **out, fl_err *err) {
  fl_code writable = fl_tbl_check_writable(tbl, err);
  if (writable) return writable;
  if (tbl->meta->format_version > 2) /* refused again at commit (fl_tbl_prepare): say it before writing */
    return fl_err_set(err, FL_EUNSUPPORTED,
                      "table %s.%s: Iceberg format-version %d is read-only in floe (no commits to v3 tables)",
                      tbl->ns, tbl->name, (int)tbl->meta->format_version);
  fl_appender *app = fl_calloc(1, sizeof *app);
  app->tbl = tbl;
  fl_arena_init(&app->arena, 65536);
  const fl_tmeta *m = tbl->meta;
  /* Copy what the writes depend on: the handle may move to a newer version later. */
  const fl_schema *s = m->schema;
  app->schema.schema_id = s->schema_id;
  app->schema.nfields = s->nfields;
  app->schema.fields = fl_arena_memdup(&app->arena, s->fields, s->nfields * sizeof(fl_field));
  for (uint32_t i = 0; i < s->nfields; i++)
    app->schema.fields[i].name = fl_arena_strdup(&app->arena, s->fields[i].name);
  app->schema_json = fl_arena_strdup(&app->arena, m->schema_json);
  app->spec_id = m->spec->spec_id;
  app->spec_json = fl_arena_strdup(&app->arena, m->spec->fields_json);
  app->nspec = m->spec->nfields;
  app->spec = fl_arena_memdup(&app->arena, m->spec->fields,
                              (app->nspec ? app->nspec : 1) * sizeof(fl_partition_field));
  app->transforms =
      fl_arena_memdup(&app->arena, m->spec->transforms, (app->nspec ? app->nspec : 1) * sizeof(fl_transform));
  app->src_cols = fl_arena_calloc(&app->arena, app->nspec ? app->nspec : 1, sizeof(int));
  app->route = fl_arena_calloc(&app->arena, app->nspec ? app->nspec : 1, sizeof *app->route);
  for (uint32_t i = 0; i < app->nspec; i++) {
    app->spec[i].name = fl_arena_strdup(&app->arena, app->spec[i].name);
    app->spec[i].transform = fl_arena_strdup(&app->arena, app->spec[i].transform);
    app->src_cols[i] = fl_schema_index_of_id(&app->schema, app->spec[i].source_id);
    if (app->src_cols[i] < 0) {
      fl_code rc = fl_err_set(err, FL_EUNSUPPORTED, "table %s.%s: partition field %s has no source column",
                              tbl->ns, tbl->name, app->spec[i].name);
      fl_appender_free(app);
      return rc;
    }
    app->route[i] = (uint8_t)route_of(app->transforms[i], app->schema.fields[app->src_cols[i]].type.kind);
  }
  const fl_tsort *order = m->order;
  app->sort_order_id = order && order->nfields ? order->order_id : 0;
  app->nsort = order ? order->nfields : 0;
  app->sort_cols = fl_arena_calloc(&app->arena, app->nsort ? app->nsort : 1, sizeof(int));
  app->sort_tr = fl_arena_calloc(&app->arena, app->nsort ? app->nsort : 1, sizeof(fl_transform));
  app->sort_desc = fl_arena_calloc(&app->arena, app->nsort ? app->nsort : 1, sizeof(bool));
  app->sort_nulls_last = fl_arena_calloc(&app->arena, app->nsort ? app->nsort : 1, sizeof(bool));
  for (uint32_t i = 0; i < app->nsort; i++) {
    app->sort_cols[i] = fl_schema_index_of_id(&app->schema, order->source_ids[i]);
    const char *trs = order->defs[i].transform ? order->defs[i].transform : "identity";
    fl_type res;
    if (app->sort_cols[i] < 0 || fl_transform_parse(trs, &app->sort_tr[i], NULL) ||
        fl_transform_result_type(app->sort_tr[i], app->schema.fields[app->sort_cols[i]].type, &res, NULL)) {
      app->nsort = i; /* a sort order floe cannot apply: write unsorted from here (allowed by the spec) */
      break;
    }
    app->sort_desc[i] = order->defs[i].descending;
    app->sort_nulls_last[i] = order->defs[i].nulls_last;
  }
  const char *tgt = fl_table_property(tbl, "write.target-file-size-bytes");
  app->target_bytes = tgt ? strtoull(tgt, NULL, 10) : FL_TARGET_FILE_BYTES_DEFAULT;
  if (!app->target_bytes) app->target_bytes = FL_TARGET_FILE_BYTES_DEFAULT;
  const fl_snapshot *cur = fl_table_current_snapshot(tbl);
  if (cur && fl_tbl_summary_total(cur, "total-records") > 0 &&
      fl_tbl_summary_total(cur, "total-files-size") > 0) {
    app->bpr_rows = (uint64_t)fl_tbl_summary_total(cur, "total-records");
    app->bpr_bytes = (uint64_t)fl_tbl_summary_total(cur, "total-files-size");
  }
  fl_parquet_opts_default(&app->popts);
  app->popts.codec = codec_of(fl_table_property(tbl, "write.parquet.compression-codec"));
  app->popts.defer_sync = true; /* synced together at finish (sync_files) */
  /* Iceberg's Parquet write properties; unset or 0 keeps the writer's default. */
  const char *v;
  if ((v = fl_table_property(tbl, "write.parquet.row-group-size-bytes")) && strtoull(v, NULL, 10))
    app->popts.row_group_bytes = strtoull(v, NULL, 10);
  if ((v = fl_table_property(tbl, "write.parquet.page-size-bytes")) && strtoul(v, NULL, 10))
    app->popts.page_bytes = (uint32_t)strtoul(v, NULL, 10);
  if ((v = fl_table_property(tbl, "write.parquet.page-row-limit")) && strtoul(v, NULL, 10))
    app->popts.page_rows = (uint32_t)strtoul(v, NULL, 10);
  if ((v = fl_table_property(tbl, "write.parquet.dict-size-bytes")))
    app->popts.dict_bytes_max = (uint32_t)strtoul(v, NULL, 10);
  if ((v = fl_table_property(tbl, "write.parquet.compression-level"))) app->popts.zstd_level = atoi(v);
  /* the files of this appender share what their dictionary trials learn (parquet.h) */
  app->popts.unique_hint = fl_arena_calloc(&app->arena, app->schema.nfields ? app->schema.nfields : 1, 1);
  app->kv[0] = (fl_kv){"iceberg.schema", app->schema_json};
  fl_tbl_uuid(app->op_uuid);
  fl_tbl_uuid(app->commit_uuid);
  app->task_id = (uint32_t)(fl_tbl_random() % 100000);
  app->map_cap = 64;
  app->map = fl_calloc(app->map_cap, sizeof(uint32_t)); /* 0 = empty, else part index + 1 */
  *out = app;
  return FL_OK;
}

/* ---------------------------------------------------------------- partitions */

static part_writer *part_new(fl_appender *app, const fl_value *vals, const uint8_t *key, size_t keylen,
                             uint64_t hash) {
  part_writer *pw = fl_arena_calloc(&app->arena, 1, sizeof *pw);
  pw->values = fl_arena_calloc(&app->arena, app->nspec ? app->nspec : 1, sizeof(fl_value));
  fl_buf dir = FL_BUF_INIT;
  for (uint32_t i = 0; i < app->nspec; i++) {
    fl_value v = vals[i];
    if (!v.is_null && fl_type_is_bytes(v.type.kind))
      v.u.str.ptr = fl_arena_strndup(&app->arena, v.u.str.ptr, v.u.str.len);
    pw->values[i] = v;
    fl_buf text = FL_BUF_INIT;
    fl_transform_value_text(app->transforms[i], &v, &text);
    if (i) fl_buf_put_u8(&dir, '/');
    url_escape(&dir, app->spec[i].name, strlen(app->spec[i].name));
    fl_buf_put_u8(&dir, '=');
    url_escape(&dir, (const char *)text.data, text.len);
    fl_buf_free(&text);
  }
  fl_buf_cstr(&dir);
  pw->rel_dir = fl_arena_strdup(&app->arena, dir.data ? (const char *)dir.data : "");
  fl_buf_free(&dir);
  pw->key = fl_arena_memdup(&app->arena, key, keylen ? keylen : 1);
  pw->keylen = keylen;
  pw->hash = hash;
  pw->part_no = app->nparts;
  if (app->nparts == app->capparts) {
    app->capparts = app->capparts ? app->capparts * 2 : 8;
    app->parts = fl_realloc(app->parts, app->capparts * sizeof(part_writer *));
  }
  app->parts[app->nparts++] = pw;
  /* grow the map at 50% load */
  if (app->nparts * 2 > app->map_cap) {
    fl_free(app->map);
    app->map_cap *= 2;
    app->map = fl_calloc(app->map_cap, sizeof(uint32_t));
    for (uint32_t p = 0; p < app->nparts; p++) {
      size_t slot = app->parts[p]->hash & (app->map_cap - 1);
      while (app->map[slot]) slot = (slot + 1) & (app->map_cap - 1);
      app->map[slot] = p + 1;
    }
  } else {
    size_t slot = hash & (app->map_cap - 1);
    while (app->map[slot]) slot = (slot + 1) & (app->map_cap - 1);
    app->map[slot] = app->nparts;
  }
  return pw;
}

/* Appends one spec field's part of a row's key: 0 for null, else 1, the length (4
 * bytes LE) and the Iceberg single-value bytes of the transformed value. */
static void key_put_value(fl_buf *key, const fl_value *v) {
  if (v->is_null) {
    fl_buf_put_u8(key, 0);
    return;
  }
  fl_buf_put_u8(key, 1);
  size_t at = key->len;
  fl_buf_put_le32(key, 0);
  fl_value_to_iceberg_bytes(v, key);
  uint32_t n = (uint32_t)(key->len - at - 4);
  memcpy(key->data + at, &n, 4);
}

static void key_put_raw(fl_buf *key, const void *p, uint32_t n) {
  fl_buf_reserve(key, 5 + (size_t)n);
  uint8_t *o = key->data + key->len;
  o[0] = 1;
  memcpy(o + 1, &n, 4);
  memcpy(o + 5, p, n);
  key->len += 5 + (size_t)n;
}

/* The row's partition values, transformed (for a new partition's writer). */
static void row_values(const fl_appender *app, const fl_batch *batch, uint32_t row, fl_value *vals) {
  for (uint32_t i = 0; i < app->nspec; i++) {
    fl_value in;
    fl_batch_get(batch, (uint32_t)app->src_cols[i], row, &in);
    fl_transform_apply(app->transforms[i], &in, &vals[i]);
  }
}

/* The row's key: what key_put_value makes of row_values, read straight from the
 * batch for the routes that allow it. */
static void row_key(const fl_appender *app, const fl_batch *batch, uint32_t row, fl_buf *key) {
  fl_buf_clear(key);
  for (uint32_t i = 0; i < app->nspec; i++) {
    const fl_vec *vec = &batch->cols[app->src_cols[i]];
    route_kind rk = (route_kind)app->route[i];
    if (rk != ROUTE_VALUE && !fl_vec_is_valid(vec, row)) {
      fl_buf_put_u8(key, 0);
      continue;
    }
    switch (rk) {
      case ROUTE_BYTES:
        key_put_raw(key, vec->bytes + vec->offsets[row], vec->offsets[row + 1] - vec->offsets[row]);
        break;
      case ROUTE_I32: key_put_raw(key, &vec->data.i32[row], 4); break;
      case ROUTE_I64: key_put_raw(key, &vec->data.i64[row], 8); break;
      case ROUTE_DAY:
      case ROUTE_HOUR: {
        int32_t t =
            (int32_t)fl_floor_div(vec->data.i64[row], rk == ROUTE_DAY ? ROUTE_US_PER_DAY : ROUTE_US_PER_HOUR);
        key_put_raw(key, &t, 4);
        break;
      }
      case ROUTE_VALUE: {
        fl_value in, out;
        fl_batch_get(batch, (uint32_t)app->src_cols[i], row, &in);
        fl_transform_apply(app->transforms[i], &in, &out);
        key_put_value(key, &out);
        break;
      }
    }
  }
}

static part_writer *part_for_row(fl_appender *app, const fl_batch *batch, uint32_t row) {
  fl_buf *key = &app->keybuf;
  row_key(app, batch, row, key);
  uint64_t h = fl_hash64(key->data ? key->data : (const uint8_t *)"", key->len);
  size_t slot = h & (app->map_cap - 1);
  while (app->map[slot]) {
    part_writer *pw = app->parts[app->map[slot] - 1];
    if (pw->hash == h && pw->keylen == key->len && !memcmp(pw->key, key->data, key->len)) return pw;
    slot = (slot + 1) & (app->map_cap - 1);
  }
  fl_value vals[app->nspec ? app->nspec : 1];
  row_values(app, batch, row, vals);
  /* once per partition: the routes made the bytes key_put_value makes of its values */
  fl_buf check = FL_BUF_INIT;
  for (uint32_t i = 0; i < app->nspec; i++) key_put_value(&check, &vals[i]);
  FL_ASSERT(check.len == key->len && !memcmp(check.data, key->data, key->len),
            "table %s.%s: a partition key of %zu bytes, %zu by its values", app->tbl->ns, app->tbl->name,
            key->len, check.len);
  fl_buf_free(&check);
  return part_new(app, vals, key->data ? key->data : (const uint8_t *)"", key->len, h);
}

static fl_code part_close_file(fl_appender *app, part_writer *pw, fl_err *err) {
  if (!pw->pw) return FL_OK;
  uint64_t rows = fl_parquet_writer_rows(pw->pw);
  fl_code rc = fl_tbl_record_file(app, pw->pw, pw->uri, FL_CONTENT_DATA, pw->values, app->nspec, NULL, err);
  if (!rc && rows) {
    app->bpr_rows = rows;
    app->bpr_bytes = fl_parquet_writer_bytes(pw->pw);
  }
  fl_parquet_writer_free(pw->pw);
  pw->pw = NULL;
  return rc;
}

/* The open file's size once closed, estimated. fl_parquet_writer_bytes counts the
 * open pages (up to FL_PARQUET_PAGE_BYTES a column) and dictionaries uncompressed, so
 * a file rolled by it alone ends far below a target of a few MiB; with a known
 * bytes-per-row the estimate is rows x that, never below what is compressed already
 * (rows larger than the table's so far show there, a page at a time). */
static uint64_t file_bytes_est(const fl_appender *app, const part_writer *pw) {
  if (!app->bpr_rows) return fl_parquet_writer_bytes(pw->pw);
  double est = (double)fl_parquet_writer_rows(pw->pw) * (double)app->bpr_bytes / (double)app->bpr_rows;
  uint64_t done = fl_parquet_writer_bytes_compressed(pw->pw);
  return est > (double)done ? (uint64_t)est : done;
}

/* Rows pw's open file takes before it reaches the target: by the bytes per row when
 * known, else by the writer's bytes per row so far; a first file without either takes
 * FL_BATCH_ROWS to learn its rate. Never 0. */
static uint64_t rows_before_roll(const fl_appender *app, const part_writer *pw) {
  uint64_t est = file_bytes_est(app, pw);
  if (est >= app->target_bytes) return 1;
  uint64_t bytes = app->bpr_bytes, rows = app->bpr_rows;
  if (!rows) {
    rows = fl_parquet_writer_rows(pw->pw);
    bytes = fl_parquet_writer_bytes(pw->pw);
    if (!rows || !bytes) return FL_BATCH_ROWS;
  }
  double room = (double)(app->target_bytes - est) * (double)rows / (double)(bytes ? bytes : 1);
  return room >= (double)UINT32_MAX ? UINT32_MAX : (uint64_t)room + 1;
}

/* Bytes of the rows sel[at .. at+n) (rows at .. at+n when sel is NULL) as values
 * (fixed widths, string bytes and a 4-byte length each, a byte per row for validity):
 * Parquet's encoding of them is not larger, short of its page headers. */
static uint64_t raw_bytes(const fl_batch *batch, const uint32_t *sel, uint32_t at, uint32_t n) {
  uint64_t sum = 0;
  for (uint32_t c = 0; c < batch->ncols; c++) {
    const fl_vec *v = &batch->cols[c];
    unsigned w = fl_type_bytes(v->type);
    if (w) {
      sum += (uint64_t)w * n;
    } else if (fl_type_is_bytes(v->type.kind) && v->offsets) {
      if (!sel)
        sum += v->offsets[at + n] - v->offsets[at];
      else
        for (uint32_t i = at; i < at + n; i++) sum += v->offsets[sel[i] + 1] - v->offsets[sel[i]];
      sum += 4ull * n;
    } else {
      return UINT64_MAX; /* nested: unknown */
    }
    sum += n;
  }
  return sum;
}

/* Writes the batch rows sel[0 .. nrows) (rows 0 .. nrows when sel is NULL), all of
 * this partition, straight from the batch, and fills their locations. A file that
 * reaches write.target-file-size-bytes is closed and the rest go to a new one: the
 * write is cut where the estimate puts the target, so a file passes it by at most
 * the rows of its last cut (a new file's first FL_BATCH_ROWS when nothing is known yet). */
static fl_code part_write(fl_appender *app, part_writer *pw, const fl_batch *batch, const uint32_t *sel,
                          uint32_t nrows, fl_row_location *locs, fl_err *err) {
  fl_code rc;
  for (uint32_t at = 0; at < nrows;) {
    if (!pw->pw && (rc = fl_tbl_open_file(app, pw->rel_dir, pw->part_no, &app->schema, "", app->kv, 1,
                                          &pw->pw, &pw->uri, err)))
      return rc;
    uint32_t n = nrows - at;
    /* the common case (rows far below the target) is written as it is */
    uint64_t est = file_bytes_est(app, pw);
    uint64_t add = app->bpr_rows ? (uint64_t)((double)n * (double)app->bpr_bytes / (double)app->bpr_rows)
                                 : raw_bytes(batch, sel, at, n);
    uint64_t room =
        add < app->target_bytes && est < app->target_bytes - add ? UINT64_MAX : rows_before_roll(app, pw);
    if (room < n) n = (uint32_t)room; /* a cut */
    FL_ASSERT(n > 0 && at + n <= nrows, "%s.%s: a write of %u rows at %u", app->tbl->ns, app->tbl->name, n,
              at);
    if (locs) {
      uint64_t base = fl_parquet_writer_rows(pw->pw);
      for (uint32_t i = 0; i < n; i++) {
        uint32_t r = sel ? sel[at + i] : at + i;
        locs[r].file_path = pw->uri;
        locs[r].pos = base + i;
      }
    }
    if ((rc = fl_parquet_writer_write_rows(pw->pw, batch, sel, at, n, err))) return rc;
    app->rows += n;
    at += n;
    if (file_bytes_est(app, pw) >= app->target_bytes && (rc = part_close_file(app, pw, err))) return rc;
  }
  return FL_OK;
}

static fl_code check_batch(fl_appender *app, const fl_batch *batch, fl_err *err) {
  const fl_schema *s = &app->schema;
  if (batch->ncols != s->nfields)
    return fl_err_set(err, FL_ETYPE, "table %s.%s: batch has %u columns, table has %u", app->tbl->ns,
                      app->tbl->name, batch->ncols, s->nfields);
  for (uint32_t c = 0; c < s->nfields; c++) {
    if (!fl_type_equal(batch->cols[c].type, s->fields[c].type)) {
      char a[32], b[32];
      fl_type_text(batch->cols[c].type, a, sizeof a);
      fl_type_text(s->fields[c].type, b, sizeof b);
      return fl_err_set(err, FL_ETYPE, "table %s.%s: column %s is %s in the batch, %s in the table",
                        app->tbl->ns, app->tbl->name, s->fields[c].name, a, b);
    }
    if (s->fields[c].required && fl_vec_null_count(&batch->cols[c]))
      return fl_err_set(err, FL_EINVAL, "table %s.%s: column %s is NOT NULL but the batch has nulls",
                        app->tbl->ns, app->tbl->name, s->fields[c].name);
  }
  return FL_OK;
}

/* Row order of the table's sort order (within one batch and partition): clustering
 * that makes row-group statistics selective. Nulls first unless nulls-last. */
static int sort_cmp(const void *a, const void *b, void *vapp) {
  const fl_appender *app = vapp;
  uint32_t ra = *(const uint32_t *)a, rb = *(const uint32_t *)b;
  for (uint32_t k = 0; k < app->nsort; k++) {
    fl_value va, vb, ta, tb;
    fl_batch_get(app->sort_batch, (uint32_t)app->sort_cols[k], ra, &va);
    fl_batch_get(app->sort_batch, (uint32_t)app->sort_cols[k], rb, &vb);
    fl_transform_apply(app->sort_tr[k], &va, &ta);
    fl_transform_apply(app->sort_tr[k], &vb, &tb);
    int c;
    if (ta.is_null || tb.is_null) {
      c = ta.is_null == tb.is_null ? 0 : ta.is_null ? -1 : 1;
      if (app->sort_nulls_last[k]) c = -c;
    } else {
      c = fl_value_cmp(&ta, &tb);
      if (app->sort_desc[k]) c = -c;
    }
    if (c) return c;
  }
  return ra < rb ? -1 : ra > rb; /* stable */
}

static void add_row(fl_appender *app, part_writer *pw, uint32_t r) {
  if (!pw->nrows) {
    if (app->touched_n == app->touched_cap) {
      app->touched_cap = app->touched_cap ? app->touched_cap * 2 : 16;
      app->touched = fl_realloc(app->touched, app->touched_cap * sizeof(part_writer *));
    }
    app->touched[app->touched_n++] = pw;
  }
  if (pw->nrows == pw->caprows) {
    pw->caprows = pw->caprows ? pw->caprows * 2 : 256;
    pw->rows = fl_realloc(pw->rows, pw->caprows * sizeof(uint32_t));
  }
  pw->rows[pw->nrows++] = r;
}

fl_code fl_appender_write_located(fl_appender *app, const fl_batch *batch, fl_row_location *locs,
                                  fl_err *err) {
  FL_ASSERT(!app->finished, "write after commit on %s.%s", app->tbl->ns, app->tbl->name);
  fl_code rc = check_batch(app, batch, err);
  if (rc || !batch->nrows) return rc;
  if (!app->nspec) {
    part_writer *pw = app->nparts ? app->parts[0] : part_new(app, NULL, (const uint8_t *)"", 0, 0);
    if (!app->nsort) return part_write(app, pw, batch, NULL, batch->nrows, locs, err);
  }
  /* route: rows[] per partition */
  app->touched_n = 0;
  for (uint32_t r = 0; r < batch->nrows; r++)
    add_row(app, app->nspec ? part_for_row(app, batch, r) : app->parts[0], r);
  for (uint32_t t = 0; t < app->touched_n && !rc; t++) {
    part_writer *pw = app->touched[t];
    if (app->nsort) {
      app->sort_batch = batch;
      qsort_r(pw->rows, pw->nrows, sizeof(uint32_t), sort_cmp, app);
    }
    bool in_order = pw->nrows == batch->nrows && !app->nsort;
    rc = part_write(app, pw, batch, in_order ? NULL : pw->rows, pw->nrows, locs, err);
  }
  for (uint32_t t = 0; t < app->touched_n; t++) app->touched[t]->nrows = 0;
  return rc;
}

fl_code fl_appender_write(fl_appender *app, const fl_batch *batch, fl_err *err) {
  return fl_appender_write_located(app, batch, NULL, err);
}

uint64_t fl_appender_rows(const fl_appender *app) { return app->rows; }
int64_t fl_appender_snapshot_id(const fl_appender *app) { return app->committed ? app->snapshot_id : 0; }

/* ---------------------------------------------------------------- commit */

static fl_code write_manifest(fl_appender *app, fl_file_content content, fl_err *err) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < app->nfiles; i++)
    n += (app->files[i].content == FL_CONTENT_DATA) == (content == FL_CONTENT_DATA);
  if (!n) return FL_OK;
  fl_manifest_entry *entries = fl_arena_calloc(&app->arena, n, sizeof *entries);
  uint32_t k = 0;
  for (uint32_t i = 0; i < app->nfiles; i++) {
    if ((app->files[i].content == FL_CONTENT_DATA) != (content == FL_CONTENT_DATA)) continue;
    entries[k].status = FL_ENTRY_ADDED;
    entries[k].snapshot_id = app->snapshot_id;
    entries[k].sequence_number = -1; /* inherited from the manifest list */
    entries[k].file_sequence_number = -1;
    entries[k].file = app->files[i];
    k++;
  }
  fl_manifest_meta meta = {app->schema_json, app->spec_json, app->spec_id, app->spec, app->nspec, content};
  char *path = fl_sprintf("%s/metadata/%s-m%u.avro", app->tbl->dir, app->commit_uuid, app->nmanifests);
  fl_manifest_file *mf = &app->manifests[app->nmanifests];
  fl_code rc = fl_manifest_write(path, &meta, entries, n, &app->arena, mf, err);
  if (!rc) {
    track_file(app, path);
    mf->manifest_path = fl_arena_sprintf(&app->arena, "file://%s", path); /* absolute URI, as v2 requires */
    app->nmanifests++;
  }
  fl_free(path);
  return rc;
}

/* Closes files and writes manifests: once per appender, before the first attempt. */
fl_code fl_tbl_appender_finish(fl_appender *app, fl_err *err) {
  if (app->finished) return FL_OK;
  fl_code rc;
  app->snapshot_id = fl_tbl_snapshot_id_new();
  for (uint32_t p = 0; p < app->nparts; p++)
    if ((rc = part_close_file(app, app->parts[p], err))) return rc;
  app->ndata_files = app->nfiles;
  if ((rc = fl_tbl_deletes_finish(app, err))) return rc;
  if ((rc = sync_files(app, err)) || (rc = sync_dirs(app, err))) return rc;
  if ((rc = write_manifest(app, FL_CONTENT_DATA, err))) return rc;
  if ((rc = write_manifest(app, FL_CONTENT_POSITION_DELETES, err))) return rc;
  app->finished = true;
  return FL_OK;
}

void fl_tbl_summary_set(json_t *sum, const char *key, int64_t v) {
  char num[24];
  snprintf(num, sizeof num, "%" PRId64, v);
  json_object_set_new(sum, key, json_string(num));
}

int64_t fl_tbl_summary_total(const fl_snapshot *base, const char *key) {
  const char *s = base ? fl_snapshot_summary_get(base, key) : NULL;
  return s ? strtoll(s, NULL, 10) : 0;
}

static json_t *build_summary(fl_appender *app, const fl_snapshot *base) {
  int64_t data_files = 0, del_files = 0, records = 0, bytes = 0, pos_deletes = 0;
  /* distinct partitions touched */
  uint32_t changed = 0;
  for (uint32_t i = 0; i < app->nfiles; i++) {
    const fl_data_file *f = &app->files[i];
    bytes += f->file_size_in_bytes;
    if (f->content == FL_CONTENT_DATA) {
      data_files++;
      records += f->record_count;
    } else {
      del_files++;
      pos_deletes += f->record_count;
    }
    bool seen = false;
    for (uint32_t j = 0; j < i && !seen; j++) {
      const fl_data_file *g = &app->files[j];
      bool same = g->npartition == f->npartition;
      for (uint32_t k = 0; same && k < f->npartition; k++)
        same = (f->partition[k].is_null && g->partition[k].is_null) ||
               (!f->partition[k].is_null && !g->partition[k].is_null &&
                fl_value_cmp(&f->partition[k], &g->partition[k]) == 0);
      seen = same;
    }
    changed += !seen;
  }
  json_t *sum = json_object();
  const char *op = data_files && del_files ? "overwrite" : del_files ? "delete" : "append";
  json_object_set_new(sum, "operation", json_string(op));
  if (data_files) {
    fl_tbl_summary_set(sum, "added-data-files", data_files);
    fl_tbl_summary_set(sum, "added-records", records);
  }
  if (del_files) {
    fl_tbl_summary_set(sum, "added-delete-files", del_files);
    fl_tbl_summary_set(sum, "added-position-delete-files", del_files);
    fl_tbl_summary_set(sum, "added-position-deletes", pos_deletes);
  }
  fl_tbl_summary_set(sum, "added-files-size", bytes);
  fl_tbl_summary_set(sum, "changed-partition-count", changed);
  fl_tbl_summary_set(sum, "total-records", fl_tbl_summary_total(base, "total-records") + records);
  fl_tbl_summary_set(sum, "total-files-size", fl_tbl_summary_total(base, "total-files-size") + bytes);
  fl_tbl_summary_set(sum, "total-data-files", fl_tbl_summary_total(base, "total-data-files") + data_files);
  fl_tbl_summary_set(sum, "total-delete-files", fl_tbl_summary_total(base, "total-delete-files") + del_files);
  fl_tbl_summary_set(sum, "total-position-deletes",
                     fl_tbl_summary_total(base, "total-position-deletes") + pos_deletes);
  fl_tbl_summary_set(sum, "total-equality-deletes", fl_tbl_summary_total(base, "total-equality-deletes"));
  json_object_set_new(sum, "engine-name", json_string("floe"));
  json_object_set_new(sum, "engine-version", json_string(FLOE_VERSION));
  for (uint32_t i = 0; i < app->nsummary; i++)
    json_object_set_new(sum, app->summary[i].key, json_string(app->summary[i].value));
  return sum;
}

void fl_tbl_add_snapshot(fl_table *tbl, json_t *root, int64_t snapshot_id, const fl_snapshot *parent,
                         int64_t seq, const char *manifest_list_uri, json_t *summary) {
  const fl_tmeta *base = tbl->meta;
  int64_t ts = fl_now_ms();
  if (ts <= base->last_updated_ms) ts = base->last_updated_ms + 1; /* snapshot-log stays ordered */
  /* Checkpoint state is carried forward: every floe.* key of the parent's summary
   * that this commit does not set itself (floe.checkpoint-id, floe.log-offset.N) is
   * copied, so the current snapshot always holds the latest checkpoint, whatever
   * replaced the snapshot that wrote it (compaction, expiry). See fl_table_checkpoint. */
  for (uint32_t i = 0; parent && i < parent->nsummary; i++)
    if (!strncmp(parent->summary[i].key, "floe.", 5) && !json_object_get(summary, parent->summary[i].key))
      json_object_set_new(summary, parent->summary[i].key, json_string(parent->summary[i].value));
  json_t *snap = json_object();
  fl_tbl_json_set_i64(snap, "snapshot-id", snapshot_id);
  if (parent) fl_tbl_json_set_i64(snap, "parent-snapshot-id", parent->snapshot_id);
  fl_tbl_json_set_i64(snap, "sequence-number", seq);
  fl_tbl_json_set_i64(snap, "timestamp-ms", ts);
  json_object_set_new(snap, "manifest-list", json_string(manifest_list_uri));
  json_object_set_new(snap, "summary", summary);
  fl_tbl_json_set_i64(snap, "schema-id", fl_tbl_json_i64(root, "current-schema-id", base->schema->schema_id));
  fl_tbl_json_log_append(root, "snapshots", snap);
  fl_tbl_json_set_i64(root, "current-snapshot-id", snapshot_id);
  fl_tbl_json_set_i64(root, "last-sequence-number", seq);
  json_t *main_ref = json_object();
  fl_tbl_json_set_i64(main_ref, "snapshot-id", snapshot_id);
  json_object_set_new(main_ref, "type", json_string("branch"));
  json_t *refs = json_object_get(root, "refs");
  if (!json_is_object(refs)) {
    refs = json_object();
    json_object_set_new(root, "refs", refs);
  }
  json_object_set_new(refs, "main", main_ref);
  json_t *log = json_object();
  fl_tbl_json_set_i64(log, "timestamp-ms", ts);
  fl_tbl_json_set_i64(log, "snapshot-id", snapshot_id);
  fl_tbl_json_log_append(root, "snapshot-log", log);
}

/* Manifest merging (Iceberg commit.manifest-merge.enabled): a streaming writer adds a
 * manifest per commit, so without merging every commit rewrites an ever longer
 * manifest list and every scan opens thousands of manifests. When the list holds at
 * least commit.manifest.min-count-to-merge (default 100) manifests of one content
 * and spec, the carried-forward ones are rewritten into one manifest: live entries
 * become EXISTING with their snapshot id and sequence numbers made explicit (data
 * sequence numbers never change, so deletes keep applying as before); DELETED
 * entries are dropped. Runs per attempt, on the latest base. */
static fl_code merge_manifests(fl_appender *app, const fl_table *tbl, int64_t seq, fl_manifest_file *list,
                               uint32_t *n, fl_arena *scratch, fl_err *err) {
  const char *en = fl_table_property(tbl, "commit.manifest-merge.enabled");
  if (en && !strcmp(en, "false")) return FL_OK;
  const char *mc = fl_table_property(tbl, "commit.manifest.min-count-to-merge");
  uint32_t min_count = mc && atoi(mc) > 1 ? (uint32_t)atoi(mc) : 100;
  for (int32_t content = 0; content <= 1; content++) {
    uint32_t count = 0, old_count = 0;
    for (uint32_t i = 0; i < *n; i++) {
      if (list[i].content != content || list[i].partition_spec_id != app->spec_id) continue;
      count++;
      old_count += i >= app->nmanifests;
    }
    if (count < min_count || old_count < 2) continue;
    /* gather the live entries of the carried-forward manifests */
    uint32_t cap = 1024, ne = 0;
    fl_manifest_entry *all = fl_arena_calloc(scratch, cap, sizeof *all);
    for (uint32_t i = app->nmanifests; i < *n; i++) {
      const fl_manifest_file *mf = &list[i];
      if (mf->content != content || mf->partition_spec_id != app->spec_id) continue;
      fl_manifest_entry *es;
      uint32_t k;
      fl_code rc = fl_manifest_read(fl_tbl_uri_path(mf->manifest_path), scratch, &es, &k, err);
      if (rc) return rc;
      for (uint32_t e = 0; e < k; e++) {
        if (es[e].status == FL_ENTRY_DELETED) continue;
        if (ne == cap) {
          fl_manifest_entry *g = fl_arena_calloc(scratch, cap * 2, sizeof *g);
          memcpy(g, all, cap * sizeof *g);
          all = g;
          cap *= 2;
        }
        fl_manifest_entry x = es[e];
        x.status = FL_ENTRY_EXISTING;
        if (x.snapshot_id < 0) x.snapshot_id = mf->added_snapshot_id;
        if (x.sequence_number < 0) x.sequence_number = mf->sequence_number;
        if (x.file_sequence_number < 0) x.file_sequence_number = mf->sequence_number;
        all[ne++] = x;
      }
    }
    char uuid[37];
    fl_tbl_uuid(uuid);
    char *path = fl_sprintf("%s/metadata/%s-m0.avro", tbl->dir, uuid);
    fl_manifest_meta meta = {app->schema_json, app->spec_json,
                             app->spec_id,     app->spec,
                             app->nspec,       content ? FL_CONTENT_POSITION_DELETES : FL_CONTENT_DATA};
    fl_manifest_file merged;
    fl_code rc = fl_manifest_write(path, &meta, all, ne, scratch, &merged, err);
    if (!rc) track_file(app, path);
    merged.manifest_path = fl_arena_sprintf(scratch, "file://%s", path);
    fl_free(path);
    if (rc) return rc;
    merged.sequence_number = seq;
    if (merged.min_sequence_number < 0) merged.min_sequence_number = seq;
    merged.added_snapshot_id = app->snapshot_id;
    /* new manifests first, then the merged one, then the other specs/contents */
    uint32_t k = app->nmanifests;
    fl_manifest_file *keep = fl_arena_calloc(scratch, *n, sizeof *keep);
    uint32_t nk = 0;
    for (uint32_t i = app->nmanifests; i < *n; i++)
      if (list[i].content != content || list[i].partition_spec_id != app->spec_id) keep[nk++] = list[i];
    list[k++] = merged;
    for (uint32_t i = 0; i < nk; i++) list[k++] = keep[i];
    *n = k;
  }
  return FL_OK;
}

fl_code fl_tbl_apply_append(void *ctx, fl_table *tbl, json_t *root, fl_err *err) {
  fl_appender *app = ctx;
  const fl_tmeta *base = tbl->meta;
  if (base->spec->spec_id != app->spec_id)
    return fl_err_set(err, FL_ECONFLICT, "table %s.%s: partition spec changed from %d to %d during the write",
                      tbl->ns, tbl->name, app->spec_id, base->spec->spec_id);
  const fl_snapshot *parent = fl_table_current_snapshot(tbl);
  int64_t seq = base->last_seq + 1;
  fl_arena scratch;
  fl_arena_init(&scratch, 16384);
  fl_manifest_file *old = NULL;
  uint32_t nold = 0;
  fl_code rc = FL_OK;
  if (parent &&
      (rc = fl_manifest_list_read(fl_tbl_uri_path(parent->manifest_list), &scratch, &old, &nold, err)))
    goto done;
  uint32_t n = app->nmanifests + nold;
  fl_manifest_file *list = fl_arena_calloc(&scratch, n ? n : 1, sizeof *list);
  for (uint32_t i = 0; i < app->nmanifests; i++) {
    list[i] = app->manifests[i];
    list[i].sequence_number = seq;
    list[i].min_sequence_number = seq;
    list[i].added_snapshot_id = app->snapshot_id;
  }
  for (uint32_t i = 0; i < nold; i++) list[app->nmanifests + i] = old[i];
  if ((rc = merge_manifests(app, tbl, seq, list, &n, &scratch, err))) goto done;
  char *path = fl_sprintf("%s/metadata/snap-%" PRId64 "-%u-%s.avro", tbl->dir, app->snapshot_id,
                          app->attempt++, app->commit_uuid);
  rc = fl_manifest_list_write(path, app->snapshot_id, parent ? parent->snapshot_id : -1, seq, list, n, err);
  if (!rc) track_file(app, path);
  char *uri = fl_sprintf("file://%s", path);
  fl_free(path);
  if (rc) {
    fl_free(uri);
    goto done;
  }
  fl_tbl_add_snapshot(tbl, root, app->snapshot_id, parent, seq, uri, build_summary(app, parent));
  fl_free(uri);
done:
  fl_arena_destroy(&scratch);
  return rc;
}

void fl_tbl_appender_set_summary(fl_appender *app, const fl_kv *summary, uint32_t n) {
  app->summary = fl_arena_calloc(&app->arena, n ? n : 1, sizeof(fl_kv));
  for (uint32_t i = 0; i < n; i++) {
    app->summary[i].key = fl_arena_strdup(&app->arena, summary[i].key);
    app->summary[i].value = fl_arena_strdup(&app->arena, summary[i].value);
  }
  app->nsummary = n;
}

fl_code fl_appender_commit(fl_appender *app, const fl_kv *summary, uint32_t nsummary, int64_t *snapshot_id,
                           fl_err *err) {
  FL_ASSERT(!app->committed, "commit twice on %s.%s", app->tbl->ns, app->tbl->name);
  fl_tbl_appender_set_summary(app, summary, nsummary);
  fl_code rc = fl_tbl_appender_finish(app, err);
  if (rc) return fl_err_prefix(err, "table %s.%s: ", app->tbl->ns, app->tbl->name);
  rc = fl_tbl_commit(app->tbl, fl_tbl_apply_append, app, err);
  if (rc == FL_EUNKNOWN) app->keep_files = true; /* the table may reference them now */
  if (rc) return rc;
  app->committed = true;
  if (snapshot_id) *snapshot_id = app->snapshot_id;
  return FL_OK;
}

fl_code fl_appender_commit_many(fl_appender **apps, uint32_t n, const fl_kv *summary, uint32_t nsummary,
                                fl_err *err) {
  fl_code rc = FL_OK;
  if (!n) return FL_OK;
  fl_catalog *cat = apps[0]->tbl->wh->cat;
  for (uint32_t i = 0; i < n; i++) {
    FL_ASSERT(!apps[i]->committed);
    for (uint32_t j = 0; j < i; j++)
      FL_ASSERT(apps[i]->tbl != apps[j]->tbl && strcmp(apps[i]->tbl->dir, apps[j]->tbl->dir),
                "two appenders on %s.%s in one commit", apps[i]->tbl->ns, apps[i]->tbl->name);
    fl_tbl_appender_set_summary(apps[i], summary, nsummary);
    if ((rc = fl_tbl_appender_finish(apps[i], err)))
      return fl_err_prefix(err, "table %s.%s: ", apps[i]->tbl->ns, apps[i]->tbl->name);
  }
  fl_catalog_change *changes = fl_calloc(n, sizeof *changes);
  char **locs = fl_calloc(n, sizeof(char *));
  for (uint32_t attempt = 0;; attempt++) {
    int64_t start_ns = fl_mono_ns();
    for (uint32_t i = 0; i < n && !rc; i++) {
      rc = fl_tbl_prepare(apps[i]->tbl, fl_tbl_apply_append, apps[i], &locs[i], err);
      changes[i] =
          (fl_catalog_change){apps[i]->tbl->ns, apps[i]->tbl->name, apps[i]->tbl->metadata_location, locs[i]};
    }
    if (!rc) {
      rc = fl_catalog_commit_many(cat, changes, n, err);
      for (uint32_t i = 0; i < n; i++)
        fl_tbl_commit_metric(apps[i]->tbl, !rc ? "ok" : rc == FL_ECONFLICT ? "conflict" : "failed", start_ns);
    }
    if (!rc) {
      for (uint32_t i = 0; i < n; i++) {
        apps[i]->committed = true;
        fl_err rerr = {0};
        if (fl_tbl_committed(apps[i]->tbl, locs[i], &rerr))
          fl_warn("table", "%s.%s: committed, but reloading failed: %s", apps[i]->tbl->ns, apps[i]->tbl->name,
                  rerr.msg);
      }
      break;
    }
    for (uint32_t i = 0; i < n; i++) {
      if (rc == FL_EUNKNOWN) apps[i]->keep_files = true;
      if (locs[i] && rc == FL_ECONFLICT) unlink(fl_tbl_uri_path(locs[i]));
      fl_free(locs[i]);
      locs[i] = NULL;
    }
    if (rc != FL_ECONFLICT) break;
    if (attempt + 1 >= FL_COMMIT_RETRIES_MAX) {
      rc = fl_err_set(err, FL_ECONFLICT, "commit of %u tables: conflict persisted after %d retries", n,
                      FL_COMMIT_RETRIES_MAX);
      break;
    }
    rc = FL_OK;
    for (uint32_t i = 0; i < n && !rc; i++) rc = fl_table_refresh(apps[i]->tbl, err);
    if (rc) break;
    fl_tbl_backoff(attempt);
  }
  for (uint32_t i = 0; i < n; i++) fl_free(locs[i]);
  fl_free(locs);
  fl_free(changes);
  return rc;
}

/* ---------------------------------------------------------------- abort / free */

void fl_appender_abort(fl_appender *app) { fl_appender_free(app); }

void fl_appender_free(fl_appender *app) {
  if (!app) return;
  for (uint32_t p = 0; p < app->nparts; p++) {
    part_writer *pw = app->parts[p];
    if (pw->pw) fl_parquet_writer_free(pw->pw); /* unlinks the partial file */
    fl_free(pw->rows);
  }
  if (!app->committed && !app->keep_files)
    for (uint32_t i = 0; i < app->nwritten; i++) unlink(app->written[i]);
  fl_tbl_deletes_free(app);
  fl_free(app->parts);
  fl_free(app->touched);
  fl_free(app->map);
  fl_free(app->files);
  fl_free(app->written);
  fl_free(app->sync_dirs);
  fl_free(app->unsynced);
  fl_buf_free(&app->keybuf);
  fl_arena_destroy(&app->arena);
  fl_free(app);
}
