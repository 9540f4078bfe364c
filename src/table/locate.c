/* locate: reading tables written elsewhere (Iceberg spec "Column Projection" and
 * "Name Mapping Serialization"; catalogs' register_table).
 *
 * Paths. Iceberg metadata holds absolute URIs of the machine and directory that wrote
 * the table (file:/..., or paths relative to that writer's working directory, as
 * DuckDB's test tables have). A table registered from a metadata file found elsewhere
 * (`floe register`, a copied warehouse) keeps those URIs: fl_tbl_path maps every URI
 * that starts with the metadata's `location` onto the directory that really holds
 * the table (the parent of the metadata file's folder), and a relative URI outside
 * `location` onto that directory too; that holds for a table written on object
 * storage and copied here (location s3://bucket/t: s3://bucket/t/data/x.parquet is read
 * under the local directory). Any other object-store URI (s3://, gs://, abfs://, ...)
 * is refused by name, never opened as a local path.
 *
 *   metadata "location": /home/ci/wh/db/t     table really at: /data/foreign/t
 *   file:/home/ci/wh/db/t/data/a.parquet  ->  /data/foreign/t/data/a.parquet
 *   data/00000-a.parquet (relative)        ->  /data/foreign/t/data/00000-a.parquet
 *
 * Names. A Parquet file written without field ids (Hive/Spark migrations, plain
 * writers such as hyparquet-writer) cannot be matched to the schema by id; Java's
 * fallback of ids by position puts values in the wrong columns as soon as the file's
 * column order differs from the schema's. The table property
 * `schema.name-mapping.default` (a JSON list of {"field-id", "names": [...], "fields"})
 * says which file column names carry which field id: fl_tbl_name_mapping parses its
 * top level. Without one, such a file is refused (scan.c).
 *
 * Ownership: everything returned lives in the caller's arena. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format/avro.h"
#include "table/table_int.h"

#define NAME_MAPPING_PROP "schema.name-mapping.default"

static bool is_object_store(const char *uri) {
  const char *colon = strstr(uri, "://");
  return colon && strncmp(uri, "file://", 7) != 0;
}

fl_code fl_tbl_check_uri(const char *uri, fl_err *err) {
  if (is_object_store(uri))
    return fl_err_set(err, FL_EUNSUPPORTED, "object storage is not supported yet: %s", uri);
  return FL_OK;
}

/* "file:/x", "file:///x" -> "/x"; trailing slashes dropped (for prefix matching). */
static size_t trimmed(const char *uri, const char **out) {
  const char *p = fl_tbl_uri_path(uri);
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/') n--;
  *out = p;
  return n;
}

/* True if path (file: scheme stripped) is the table's location or under it. */
static bool under_location(const fl_table *tbl, const char *path, size_t *nloc_out) {
  const char *loc;
  size_t nloc = trimmed(tbl->meta->location, &loc);
  *nloc_out = nloc;
  return !strncmp(path, loc, nloc) && (path[nloc] == '/' || !path[nloc]);
}

fl_code fl_tbl_check_path(const fl_table *tbl, const char *uri, fl_err *err) {
  size_t nloc;
  if (is_object_store(uri) && tbl->real_dir && under_location(tbl, fl_tbl_uri_path(uri), &nloc)) return FL_OK;
  return fl_tbl_check_uri(uri, err);
}

const char *fl_tbl_path(const fl_table *tbl, const char *uri, fl_arena *arena) {
  const char *path = fl_tbl_uri_path(uri);
  size_t nloc;
  if (under_location(tbl, path, &nloc))
    return tbl->real_dir ? fl_arena_sprintf(arena, "%s%s", tbl->real_dir, path + nloc) : path;
  if (is_object_store(uri)) return path; /* refused by fl_tbl_check_path before any open */
  if (path[0] != '/') return fl_arena_sprintf(arena, "%s/%s", tbl->real_dir ? tbl->real_dir : tbl->dir, path);
  return path;
}

const char *fl_table_local_path(const fl_table *tbl, const char *uri, fl_arena *arena) {
  return fl_tbl_path(tbl, uri, arena);
}

void fl_tbl_locate(fl_table *tbl, const char *metadata_path) {
  fl_free(tbl->real_dir);
  tbl->real_dir = NULL;
  const char *slash = strrchr(metadata_path, '/');
  if (!slash) return;
  size_t n = (size_t)(slash - metadata_path);
  /* the folder that holds metadata/ */
  if (n < 9 || strncmp(metadata_path + n - 9, "/metadata", 9)) return;
  n -= 9;
  const char *loc;
  size_t nloc = trimmed(tbl->meta->location, &loc);
  if (nloc == n && !strncmp(loc, metadata_path, n)) return; /* where it was written */
  tbl->real_dir = fl_malloc(n + 1);
  memcpy(tbl->real_dir, metadata_path, n);
  tbl->real_dir[n] = 0;
}

fl_code fl_tbl_name_mapping(const fl_table *tbl, fl_arena *arena, fl_name_mapping *out, fl_err *err) {
  memset(out, 0, sizeof *out);
  const char *text = fl_table_property(tbl, NAME_MAPPING_PROP);
  if (!text) return FL_OK;
  json_error_t jerr;
  json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
  fl_code rc = FL_OK;
  if (!json_is_array(root)) {
    rc = fl_err_set(err, FL_ECORRUPT, "table %s.%s: property %s is not a JSON list%s%s", tbl->ns, tbl->name,
                    NAME_MAPPING_PROP, root ? "" : ": ", root ? "" : jerr.text);
    goto done;
  }
  uint32_t cap = 0;
  size_t i;
  json_t *e;
  json_array_foreach(root, i, e) cap += (uint32_t)json_array_size(json_object_get(e, "names"));
  if (cap > FL_COLUMNS_MAX * 8u) {
    rc = fl_err_set(err, FL_ELIMIT, "table %s.%s: property %s has %u names", tbl->ns, tbl->name,
                    NAME_MAPPING_PROP, cap);
    goto done;
  }
  out->names = fl_arena_calloc(arena, cap ? cap : 1, sizeof(char *));
  out->ids = fl_arena_calloc(arena, cap ? cap : 1, sizeof(int32_t));
  json_array_foreach(root, i, e) {
    json_t *id = json_object_get(e, "field-id");
    if (!id) continue; /* a name with no id: columns of that name read as absent */
    if (!json_is_integer(id) || json_integer_value(id) <= 0 || json_integer_value(id) > INT32_MAX) {
      rc = fl_err_set(err, FL_ECORRUPT, "table %s.%s: property %s: entry %zu has a bad field-id", tbl->ns,
                      tbl->name, NAME_MAPPING_PROP, i);
      goto done;
    }
    size_t k;
    json_t *nm;
    json_array_foreach(json_object_get(e, "names"), k, nm) {
      if (!json_is_string(nm)) continue;
      for (uint32_t j = 0; j < out->n; j++)
        if (!strcmp(out->names[j], json_string_value(nm))) {
          rc = fl_err_set(err, FL_ECORRUPT, "table %s.%s: property %s maps the name %s twice", tbl->ns,
                          tbl->name, NAME_MAPPING_PROP, out->names[j]);
          goto done;
        }
      out->names[out->n] = fl_arena_strdup(arena, json_string_value(nm));
      out->ids[out->n++] = (int32_t)json_integer_value(id);
    }
  }
  out->present = true;
done:
  json_decref(root);
  return rc;
}

/* A directory names its table: metadata/version-hint.text says which version (a number
 * N for vN.metadata.json, or a file name, as writers differ). */
static char *hinted_metadata(const char *dir, fl_err *err) {
  char *hint_path = fl_sprintf("%s/metadata/version-hint.text", dir);
  char *text = NULL;
  size_t len;
  fl_code rc = fl_tbl_read_all(hint_path, 4096, &text, &len, err);
  fl_free(hint_path);
  if (rc) return NULL;
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ')) text[--len] = 0;
  char *out = NULL;
  bool digits = len > 0 && strspn(text, "0123456789") == len;
  if (digits) {
    out = fl_sprintf("%s/metadata/v%s.metadata.json", dir, text);
    struct stat st;
    if (stat(out, &st)) { /* Hadoop tables with gzip metadata: vN.gz.metadata.json */
      char *gz = fl_sprintf("%s/metadata/v%s.gz.metadata.json", dir, text);
      if (!stat(gz, &st)) {
        fl_free(out);
        out = gz;
      } else
        fl_free(gz);
    }
  } else if (len && !strchr(text, '/'))
    out = fl_sprintf("%s/metadata/%s", dir, text);
  else
    fl_err_set(err, FL_ECORRUPT, "%s/metadata/version-hint.text: not a version", dir);
  fl_free(text);
  return out;
}

fl_code fl_table_register(fl_warehouse *wh, const char *ns, const char *name, const char *metadata_location,
                          fl_table **out, fl_err *err) {
  fl_code rc = fl_tbl_check_uri(metadata_location, err);
  if (rc) return rc;
  char *abs = realpath(fl_tbl_uri_path(metadata_location), NULL);
  if (!abs) return fl_err_errno(err, errno, "metadata file %s", metadata_location);
  struct stat st;
  if (!stat(abs, &st) && S_ISDIR(st.st_mode)) {
    char *hinted = hinted_metadata(abs, err);
    free(abs);
    if (!hinted)
      return fl_err_prefix(err, "%s: a directory without a readable version hint: ", metadata_location);
    abs = realpath(hinted, NULL);
    if (!abs) rc = fl_err_errno(err, errno, "metadata file %s", hinted);
    fl_free(hinted);
    if (rc) return rc;
  }
  fl_tmeta *meta = NULL;
  char *uri = fl_sprintf("file://%s", abs);
  free(abs);
  /* read it first: a file floe cannot read is refused before the catalog changes */
  if ((rc = fl_tmeta_read(fl_tbl_uri_path(uri), &meta, err))) goto done;
  fl_tmeta_free(meta);
  if ((rc = fl_catalog_create_namespace(wh->cat, ns, err))) goto done;
  if ((rc = fl_catalog_create_table(wh->cat, ns, name, uri, err))) goto done;
  if ((rc = fl_table_load(wh, ns, name, out, err))) fl_catalog_drop_table(wh->cat, ns, name, NULL);
done:
  fl_free(uri);
  return rc;
}

/* The partition-spec-id key of a manifest's Avro header. */
static fl_code header_spec_id(const char *path, int32_t *spec_id, fl_err *err) {
  uint8_t *data;
  size_t len;
  fl_code rc = fl_avro_file_load(path, &data, &len, err);
  if (rc) return rc;
  fl_avro_reader rd;
  if ((rc = fl_avro_reader_open(&rd, data, len, path, err))) {
    fl_free(data);
    return rc;
  }
  const char *v = fl_avro_reader_meta(&rd, "partition-spec-id");
  char *end = NULL;
  long id = v ? strtol(v, &end, 10) : -1;
  if (!v || !*v || *end || id < 0 || id > INT32_MAX)
    rc = fl_err_set(err, FL_EUNSUPPORTED,
                    "%s: a v1 manifest of a table with several partition specs, without a partition-spec-id "
                    "in its header: which spec it uses cannot be told",
                    path);
  else
    *spec_id = (int32_t)id;
  fl_avro_reader_close(&rd);
  fl_free(data);
  return rc;
}

fl_code fl_tbl_snapshot_manifests(const fl_table *tbl, const fl_snapshot *snap, fl_arena *arena,
                                  fl_manifest_file **mfs, uint32_t *n, fl_err *err) {
  if (snap->manifest_list) {
    fl_code rc = fl_tbl_check_path(tbl, snap->manifest_list, err);
    if (rc) return rc;
    return fl_manifest_list_read(fl_tbl_path(tbl, snap->manifest_list, arena), arena, mfs, n, err);
  }
  /* v1 inline manifests: data manifests, sequence number 0 (v1 has none), added by
     this snapshot as far as anyone can tell; the spec is the table's only one, else the
     one the manifest's Avro header names (partition-spec-id, as Java writes it) */
  fl_manifest_file *out = fl_arena_calloc(arena, snap->nmanifests ? snap->nmanifests : 1, sizeof *out);
  for (uint32_t i = 0; i < snap->nmanifests; i++) {
    fl_code rc = fl_tbl_check_path(tbl, snap->manifests[i], err);
    if (rc) return rc;
    out[i].manifest_path = snap->manifests[i];
    out[i].manifest_length = -1;
    out[i].partition_spec_id = tbl->meta->specs[0].spec_id;
    if (tbl->meta->nspecs > 1 &&
        (rc = header_spec_id(fl_tbl_path(tbl, snap->manifests[i], arena), &out[i].partition_spec_id, err)))
      return rc;
    out[i].added_snapshot_id = snap->snapshot_id;
    out[i].added_files_count = out[i].existing_files_count = out[i].deleted_files_count = -1;
    out[i].added_rows_count = out[i].existing_rows_count = out[i].deleted_rows_count = -1;
  }
  *mfs = out;
  *n = snap->nmanifests;
  return FL_OK;
}

fl_code fl_tbl_check_writable(const fl_table *tbl, fl_err *err) {
  if (tbl->meta->format_version < 2)
    return fl_err_set(err, FL_EUNSUPPORTED,
                      "table %s.%s is an Iceberg format v1 table: floe reads it, and writes only v2 tables",
                      tbl->ns, tbl->name);
  if (tbl->real_dir)
    return fl_err_set(err, FL_EUNSUPPORTED,
                      "table %s.%s was written at %s and is read from %s: floe reads a moved table, "
                      "and writes only tables at their own location",
                      tbl->ns, tbl->name, tbl->meta->location, tbl->real_dir);
  return FL_OK;
}

fl_code fl_table_manifest_totals(const fl_table *tbl, const fl_snapshot *snap, fl_table_totals *out,
                                 fl_err *err) {
  memset(out, 0, sizeof *out);
  fl_arena arena;
  fl_arena_init(&arena, 65536);
  fl_live_file *files;
  uint32_t n;
  fl_code rc = fl_tbl_live_files(tbl, snap, FL_CONTENT_DATA, &arena, &files, &n, err);
  for (uint32_t i = 0; !rc && i < n; i++) {
    out->data_files++;
    out->records += files[i].file.record_count;
    out->bytes += files[i].file.file_size_in_bytes;
  }
  static const fl_file_content dels[2] = {FL_CONTENT_POSITION_DELETES, FL_CONTENT_EQUALITY_DELETES};
  for (uint32_t d = 0; d < 2 && !rc; d++) {
    rc = fl_tbl_live_files(tbl, snap, dels[d], &arena, &files, &n, err);
    for (uint32_t i = 0; !rc && i < n; i++) {
      out->delete_files++;
      if (d == 0)
        out->position_deletes += files[i].file.record_count;
      else
        out->equality_deletes += files[i].file.record_count;
      out->bytes += files[i].file.file_size_in_bytes;
    }
  }
  fl_arena_destroy(&arena);
  return rc;
}
