/* delete: position deletes (REFERENCE/iceberg_parquet.md §3), written by an appender.
 *
 * fl_appender_delete collects (data file URI, position) pairs; paths are interned so
 * a million deletes against a few files cost a few strings. At commit, before the
 * manifests are written (fl_tbl_deletes_finish):
 *   1. sort by (file_path, pos), drop duplicates;
 *   2. find each data file's partition: among this appender's own new files, else
 *      among the live data files of the table's current snapshot (FL_ENOENT if none:
 *      a delete must name a file the table has);
 *   3. one delete file per partition (a position delete applies only within its
 *      partition), under that partition's data directory:
 *
 *      Parquet position delete file    field id      type
 *      file_path                       2147483546    string, required
 *      pos                             2147483545    long, required
 *      footer kv: delete-type=position, iceberg.schema = the two-column schema
 *
 *   4. recorded as content 1 files (referenced_data_file set when one data file is
 *      covered), later written to the delete manifest by append.c.
 * The deletes apply to data files with data sequence number <= the commit's (scan.c).
 * Limitation: a retried commit does not re-check that the deleted files are still
 * live (nothing in floe removes data files concurrently yet). */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "table/append_int.h"

static const fl_field delete_fields[2] = {
    {FL_POS_DELETE_FILE_PATH_ID, "file_path", {FL_T_STRING, 0, 0}, true},
    {FL_POS_DELETE_POS_ID, "pos", {FL_T_BIGINT, 0, 0}, true},
};
static const fl_schema delete_schema = {0, 2, (fl_field *)delete_fields, 0, NULL};
static const char delete_schema_json[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":2147483546,\"name\":\"file_path\",\"required\":"
    "true,"
    "\"type\":\"string\"},{\"id\":2147483545,\"name\":\"pos\",\"required\":true,\"type\":\"long\"}]}";

static const char *intern(fl_appender *app, const char *path) {
  if (app->intern_n * 2 >= app->intern_cap) {
    uint32_t cap = app->intern_cap ? app->intern_cap * 2 : 64;
    const char **tab = fl_calloc(cap, sizeof(char *));
    for (uint32_t i = 0; i < app->intern_cap; i++) {
      if (!app->intern[i]) continue;
      uint64_t h = fl_hash64(app->intern[i], strlen(app->intern[i]));
      uint32_t s = (uint32_t)(h & (cap - 1));
      while (tab[s]) s = (s + 1) & (cap - 1);
      tab[s] = app->intern[i];
    }
    fl_free(app->intern);
    app->intern = tab;
    app->intern_cap = cap;
  }
  size_t len = strlen(path);
  uint64_t h = fl_hash64(path, len);
  uint32_t s = (uint32_t)(h & (app->intern_cap - 1));
  while (app->intern[s]) {
    if (!strcmp(app->intern[s], path)) return app->intern[s];
    s = (s + 1) & (app->intern_cap - 1);
  }
  app->intern[s] = fl_arena_strndup(&app->arena, path, len);
  app->intern_n++;
  return app->intern[s];
}

fl_code fl_appender_delete(fl_appender *app, const char *file_path, uint64_t pos, fl_err *err) {
  FL_ASSERT(!app->finished, "delete after commit on %s.%s", app->tbl->ns, app->tbl->name);
  if (strncmp(file_path, "file:", 5) && file_path[0] != '/')
    return fl_err_set(err, FL_EINVAL, "position delete: '%s' is not a file URI", file_path);
  if (app->ndels == app->capdels) {
    app->capdels = app->capdels ? app->capdels * 2 : 1024;
    app->dels = fl_realloc(app->dels, app->capdels * sizeof(del_rec));
  }
  app->dels[app->ndels++] = (del_rec){intern(app, file_path), pos};
  return FL_OK;
}

uint64_t fl_appender_deletes(const fl_appender *app) { return app->ndels; }

static int del_cmp(const void *a, const void *b) {
  const del_rec *x = a, *y = b;
  if (x->path != y->path) {
    int c = strcmp(x->path, y->path);
    if (c) return c;
  }
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int live_cmp(const void *a, const void *b) {
  return strcmp(((const fl_live_file *)a)->file.file_path, ((const fl_live_file *)b)->file.file_path);
}

static bool same_partition(const fl_value *a, const fl_value *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (a[i].is_null != b[i].is_null) return false;
    if (!a[i].is_null && (a[i].type.kind != b[i].type.kind || fl_value_cmp(&a[i], &b[i]))) return false;
  }
  return true;
}

typedef struct del_group {
  const fl_value *partition;
  uint64_t first;          /* index into dels of its first record, groups are runs of paths */
  const char *single_path; /* the one data file covered, or NULL */
  bool many;
} del_group;

static fl_code write_group(fl_appender *app, const del_group *g, const uint8_t *member, uint32_t gi,
                           fl_err *err) {
  fl_buf dir = FL_BUF_INIT;
  for (uint32_t i = 0; i < app->nspec; i++) {
    fl_buf text = FL_BUF_INIT;
    fl_transform_value_text(app->transforms[i], &g->partition[i], &text);
    if (i) fl_buf_put_u8(&dir, '/');
    fl_buf_puts(&dir, app->spec[i].name);
    fl_buf_put_u8(&dir, '=');
    for (size_t k = 0; k < text.len; k++) {
      unsigned char c = text.data[k];
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-')
        fl_buf_put_u8(&dir, c);
      else
        fl_buf_printf(&dir, "%%%02X", c);
    }
    fl_buf_free(&text);
  }
  fl_buf_cstr(&dir);
  fl_kv kv[2] = {{"delete-type", "position"}, {"iceberg.schema", delete_schema_json}};
  fl_parquet_writer *pw = NULL;
  char *uri = NULL;
  fl_batch *batch = NULL;
  fl_code rc = fl_tbl_open_file(app, dir.data ? (const char *)dir.data : "", 90000 + gi, &delete_schema,
                                "-deletes", kv, 2, &pw, &uri, err);
  fl_buf_free(&dir);
  if (rc) return rc;
  batch = fl_batch_new(delete_fields, 2, FL_BATCH_ROWS);
  for (uint64_t i = 0; i < app->ndels && !rc; i++) {
    if (member[i] != 1) continue;
    fl_vec_append_str(&batch->cols[0], app->dels[i].path, (uint32_t)strlen(app->dels[i].path));
    fl_vec_append_i64(&batch->cols[1], (int64_t)app->dels[i].pos);
    if (batch->cols[0].len == FL_BATCH_ROWS) {
      fl_batch_set_rows(batch, FL_BATCH_ROWS);
      rc = fl_parquet_writer_write(pw, batch, err);
      fl_batch_reset(batch);
    }
  }
  if (!rc && batch->cols[0].len) {
    fl_batch_set_rows(batch, batch->cols[0].len);
    rc = fl_parquet_writer_write(pw, batch, err);
  }
  fl_data_file *f = NULL;
  if (!rc)
    rc = fl_tbl_record_file(app, pw, uri, FL_CONTENT_POSITION_DELETES, g->partition, app->nspec, &f, err);
  if (!rc && !g->many) f->referenced_data_file = g->single_path;
  fl_parquet_writer_free(pw);
  fl_batch_free(batch);
  return rc;
}

fl_code fl_tbl_deletes_finish(fl_appender *app, fl_err *err) {
  if (!app->ndels) return FL_OK;
  fl_code rc = FL_OK;
  qsort(app->dels, app->ndels, sizeof(del_rec), del_cmp);
  uint64_t k = 0;
  for (uint64_t i = 0; i < app->ndels; i++)
    if (!k || app->dels[i].path != app->dels[k - 1].path || app->dels[i].pos != app->dels[k - 1].pos)
      app->dels[k++] = app->dels[i];
  app->ndels = k;

  fl_live_file *live = NULL;
  uint32_t nlive = 0;
  bool live_loaded = false;
  del_group *groups = fl_calloc(app->ndels, sizeof(del_group));
  uint32_t ngroups = 0;
  uint32_t *group_of = fl_calloc(app->ndels, sizeof(uint32_t));
  for (uint64_t i = 0; i < app->ndels; i++) {
    if (i && app->dels[i].path == app->dels[i - 1].path) {
      group_of[i] = group_of[i - 1];
      continue;
    }
    const char *path = app->dels[i].path;
    const fl_value *part = NULL;
    for (uint32_t f = 0; f < app->ndata_files && !part; f++)
      if (!strcmp(app->files[f].file_path, path)) part = app->files[f].partition;
    if (!part) {
      if (!live_loaded) {
        const fl_snapshot *cur = fl_table_current_snapshot(app->tbl);
        if (cur && (rc = fl_tbl_live_files(app->tbl, cur, FL_CONTENT_DATA, &app->arena, &live, &nlive, err)))
          goto done;
        if (nlive) qsort(live, nlive, sizeof *live, live_cmp);
        live_loaded = true;
      }
      fl_live_file key = {.file.file_path = path};
      fl_live_file *hit = nlive ? bsearch(&key, live, nlive, sizeof *live, live_cmp) : NULL;
      if (!hit) {
        rc = fl_err_set(err, FL_ENOENT, "position delete of %s: not a live data file of %s.%s", path,
                        app->tbl->ns, app->tbl->name);
        goto done;
      }
      if (hit->spec_id != app->spec_id) {
        rc = fl_err_set(err, FL_EUNSUPPORTED,
                        "position delete of %s: file of partition spec %d, table spec is %d", path,
                        hit->spec_id, app->spec_id);
        goto done;
      }
      part = hit->file.partition;
    }
    uint32_t g = 0;
    while (g < ngroups && !same_partition(groups[g].partition, part, app->nspec)) g++;
    if (g == ngroups)
      groups[ngroups++] = (del_group){part, i, path, false};
    else
      groups[g].many = true;
    group_of[i] = g;
  }
  uint8_t *member = fl_malloc(app->ndels);
  for (uint32_t g = 0; g < ngroups && !rc; g++) {
    for (uint64_t i = 0; i < app->ndels; i++) member[i] = group_of[i] == g;
    rc = write_group(app, &groups[g], member, g, err);
  }
  fl_free(member);
done:
  fl_free(groups);
  fl_free(group_of);
  return rc;
}

void fl_tbl_deletes_free(fl_appender *app) {
  fl_free(app->dels);
  fl_free(app->intern);
}
