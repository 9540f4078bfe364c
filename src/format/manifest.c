/* manifest: Iceberg v2 manifests and manifest lists as Avro container files
 * (manifest.h; spec "Manifests", "Manifest Lists"; REFERENCE/iceberg_parquet.md §2).
 *
 * Writing: the Avro schema is the spec's v2 schema, written as Java writes it
 * (record names manifest_entry, r2, r102, k117_v118, ..., manifest_file, r508;
 * "field-id" on every field, "element-id" on arrays, int-keyed maps as arrays of
 * key/value records with logicalType map, optional fields as ["null", T] with
 * default null), plus the file metadata keys Iceberg readers expect. Records are
 * encoded straight into the Avro writer's block buffer; the file is built in
 * memory, then created with O_EXCL and fdatasync'ed (the table layer picks unique
 * names, so a name is never reused or replaced).
 *
 * manifest_entry record (one per data or delete file):
 *
 *   id   field                          Avro type                 floe field
 *   0    status                         int                       status
 *   1    snapshot_id                    [null,long]               -1 = null (inherit)
 *   3    sequence_number                [null,long]               -1 = null (inherit)
 *   4    file_sequence_number           [null,long]               -1 = null (inherit)
 *   2    data_file                      record r2:
 *   134    content                      int                       file.content
 *   100    file_path / 101 file_format  string
 *   102    partition                    record r102, one [null,T] per spec field,
 *                                       field-id = partition field id (1000+)
 *   103    record_count / 104 file_size_in_bytes   long
 *   108    column_sizes       k117_v118 [null,array<{int,long}>]   cols[].column_size
 *   109    value_counts       k119_v120                            cols[].value_count
 *   110    null_value_counts  k121_v122                            cols[].null_value_count
 *   137    nan_value_counts   k138_v139 (written null: floe keeps no NaN counts)
 *   125    lower_bounds       k126_v127 [null,array<{int,bytes}>]  cols[].lower
 *   128    upper_bounds       k129_v130                            cols[].upper
 *   131    key_metadata       [null,bytes] (null)
 *   132    split_offsets      [null,array<long> element-id 133]
 *   135    equality_ids       [null,array<int> element-id 136]
 *   140    sort_order_id      [null,int]
 *   143    referenced_data_file [null,string]
 *   144    content_offset / 145 content_size_in_bytes [null,long]   v3 deletion vectors:
 *          read only (floe writes v2 manifests; it never commits to a v3 table)
 *
 * Partition value Avro types by result type: boolean, int, long, float, double,
 * string; DATE {"type":"int","logicalType":"date"}; TIMESTAMP long with
 * timestamp-micros; DECIMAL bytes with logicalType decimal (never fixed: icebird
 * cannot read named fixed types).
 *
 * Reading: fields are found by field id, then by name, once per file from the
 * writer schema; partition value types come from the Avro types of r102's fields.
 * Absent or null optional fields read as -1 / NULL / 0 elements. The Avro value
 * tree lives in the reader (reset per record); everything returned is copied into
 * the caller's arena.
 *
 * Entry points: fl_manifest_write, fl_manifest_read(_mem), fl_manifest_list_write,
 * fl_manifest_list_read. */
#include "format/manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "format/avro.h"

/* ================================ schemas ================================ */

/* An Avro name from any text, as Java's AvroSchemaUtil.makeCompatibleName:
 * [A-Za-z_][A-Za-z0-9_]*, other characters become _xHH ("my col" -> "my_x20col"),
 * a leading digit gets a "_" prefix. */
static void avro_name(fl_buf *b, const char *s) {
  fl_buf_put_u8(b, '"');
  for (size_t i = 0; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (alpha || (digit && i > 0))
      fl_buf_put_u8(b, c);
    else if (digit)
      fl_buf_printf(b, "_%c", c);
    else
      fl_buf_printf(b, "_x%02X", c);
  }
  if (!s[0]) fl_buf_puts(b, "_");
  fl_buf_put_u8(b, '"');
}

static void partition_avro_type(fl_buf *b, fl_type t) {
  switch (t.kind) {
    case FL_T_BOOLEAN: fl_buf_puts(b, "\"boolean\""); return;
    case FL_T_INT: fl_buf_puts(b, "\"int\""); return;
    case FL_T_BIGINT: fl_buf_puts(b, "\"long\""); return;
    case FL_T_FLOAT: fl_buf_puts(b, "\"float\""); return;
    case FL_T_DOUBLE: fl_buf_puts(b, "\"double\""); return;
    case FL_T_DATE: fl_buf_puts(b, "{\"type\":\"int\",\"logicalType\":\"date\"}"); return;
    case FL_T_TIMESTAMP:
      fl_buf_puts(b, "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\",\"adjust-to-utc\":false}");
      return;
    case FL_T_TIMESTAMP_NS:
      fl_buf_puts(b, "{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\",\"adjust-to-utc\":false}");
      return;
    case FL_T_DECIMAL:
      fl_buf_printf(b, "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":%u,\"scale\":%u}",
                    t.precision, t.scale);
      return;
    case FL_T_STRING:
    case FL_T_JSON: fl_buf_puts(b, "\"string\""); return;
    case FL_T_TIME: fl_buf_puts(b, "{\"type\":\"long\",\"logicalType\":\"time-micros\"}"); return;
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: fl_buf_puts(b, "\"bytes\""); return;
  }
  FL_ASSERT(false, "manifest: partition type kind %d", t.kind);
}

static void map_field(fl_buf *b, const char *name, int id, int kid, int vid, const char *vtype) {
  fl_buf_printf(b,
                ",{\"name\":\"%s\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\","
                "\"name\":\"k%d_v%d\",\"fields\":[{\"name\":\"key\",\"type\":\"int\",\"field-id\":%d},"
                "{\"name\":\"value\",\"type\":\"%s\",\"field-id\":%d}]},\"logicalType\":\"map\"}],"
                "\"default\":null,\"field-id\":%d}",
                name, kid, vid, kid, vtype, vid, id);
}

static void entry_schema(fl_buf *b, const fl_partition_field *pf, uint32_t npf) {
  fl_buf_puts(
      b,
      "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
      "{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
      "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":1},"
      "{\"name\":\"sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":3},"
      "{\"name\":\"file_sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":4},"
      "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
      "{\"name\":\"content\",\"type\":\"int\",\"field-id\":134},"
      "{\"name\":\"file_path\",\"type\":\"string\",\"field-id\":100},"
      "{\"name\":\"file_format\",\"type\":\"string\",\"field-id\":101},"
      "{\"name\":\"partition\",\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":[");
  for (uint32_t i = 0; i < npf; i++) {
    fl_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
    avro_name(b, pf[i].name);
    fl_buf_puts(b, ",\"type\":[\"null\",");
    partition_avro_type(b, pf[i].result_type);
    fl_buf_printf(b, "],\"default\":null,\"field-id\":%d}", pf[i].field_id);
  }
  fl_buf_puts(b,
              "]},\"field-id\":102},"
              "{\"name\":\"record_count\",\"type\":\"long\",\"field-id\":103},"
              "{\"name\":\"file_size_in_bytes\",\"type\":\"long\",\"field-id\":104}");
  map_field(b, "column_sizes", 108, 117, 118, "long");
  map_field(b, "value_counts", 109, 119, 120, "long");
  map_field(b, "null_value_counts", 110, 121, 122, "long");
  map_field(b, "nan_value_counts", 137, 138, 139, "long");
  map_field(b, "lower_bounds", 125, 126, 127, "bytes");
  map_field(b, "upper_bounds", 128, 129, 130, "bytes");
  fl_buf_puts(b,
              ",{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":131},"
              "{\"name\":\"split_offsets\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"long\","
              "\"element-id\":133}],\"default\":null,\"field-id\":132},"
              "{\"name\":\"equality_ids\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"int\","
              "\"element-id\":136}],\"default\":null,\"field-id\":135},"
              "{\"name\":\"sort_order_id\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":140},"
              "{\"name\":\"referenced_data_file\",\"type\":[\"null\",\"string\"],\"default\":null,"
              "\"field-id\":143}"
              "]},\"field-id\":2}]}");
}

static const char LIST_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
    "{\"name\":\"manifest_path\",\"type\":\"string\",\"field-id\":500},"
    "{\"name\":\"manifest_length\",\"type\":\"long\",\"field-id\":501},"
    "{\"name\":\"partition_spec_id\",\"type\":\"int\",\"field-id\":502},"
    "{\"name\":\"content\",\"type\":\"int\",\"field-id\":517},"
    "{\"name\":\"sequence_number\",\"type\":\"long\",\"field-id\":515},"
    "{\"name\":\"min_sequence_number\",\"type\":\"long\",\"field-id\":516},"
    "{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"field-id\":503},"
    "{\"name\":\"added_files_count\",\"type\":\"int\",\"field-id\":504},"
    "{\"name\":\"existing_files_count\",\"type\":\"int\",\"field-id\":505},"
    "{\"name\":\"deleted_files_count\",\"type\":\"int\",\"field-id\":506},"
    "{\"name\":\"added_rows_count\",\"type\":\"long\",\"field-id\":512},"
    "{\"name\":\"existing_rows_count\",\"type\":\"long\",\"field-id\":513},"
    "{\"name\":\"deleted_rows_count\",\"type\":\"long\",\"field-id\":514},"
    "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\","
    "\"name\":\"r508\",\"fields\":["
    "{\"name\":\"contains_null\",\"type\":\"boolean\",\"field-id\":509},"
    "{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],\"default\":null,\"field-id\":518},"
    "{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":510},"
    "{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":511}]},"
    "\"element-id\":508}],\"default\":null,\"field-id\":507},"
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":519}]}";

/* ================================ writing ================================ */

static void put_opt_long(fl_buf *b, int64_t v) {
  if (v < 0) {
    fl_avro_put_union(b, 0);
  } else {
    fl_avro_put_union(b, 1);
    fl_avro_put_long(b, v);
  }
}

static void put_opt_bytes(fl_buf *b, const uint8_t *p, uint32_t n) {
  if (!p) {
    fl_avro_put_union(b, 0);
  } else {
    fl_avro_put_union(b, 1);
    fl_avro_put_bytes(b, p, n);
  }
}

typedef enum col_metric { M_SIZE, M_VALUES, M_NULLS } col_metric;

static int64_t metric(const fl_file_column *c, col_metric m) {
  return m == M_SIZE ? c->column_size : m == M_VALUES ? c->value_count : c->null_value_count;
}

/* An int->long metrics map: null when no column has the metric. */
static void put_count_map(fl_buf *b, const fl_file_column *cols, uint32_t n, col_metric m) {
  uint64_t k = 0;
  for (uint32_t i = 0; i < n; i++) k += metric(&cols[i], m) >= 0;
  if (!k) {
    fl_avro_put_union(b, 0);
    return;
  }
  fl_avro_put_union(b, 1);
  fl_avro_put_block(b, k);
  for (uint32_t i = 0; i < n; i++) {
    if (metric(&cols[i], m) < 0) continue;
    fl_avro_put_int(b, cols[i].field_id);
    fl_avro_put_long(b, metric(&cols[i], m));
  }
  fl_avro_put_end(b);
}

static void put_bound_map(fl_buf *b, const fl_file_column *cols, uint32_t n, bool upper) {
  uint64_t k = 0;
  for (uint32_t i = 0; i < n; i++) k += (upper ? cols[i].upper : cols[i].lower) != NULL;
  if (!k) {
    fl_avro_put_union(b, 0);
    return;
  }
  fl_avro_put_union(b, 1);
  fl_avro_put_block(b, k);
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *p = upper ? cols[i].upper : cols[i].lower;
    if (!p) continue;
    fl_avro_put_int(b, cols[i].field_id);
    fl_avro_put_bytes(b, p, upper ? cols[i].upper_len : cols[i].lower_len);
  }
  fl_avro_put_end(b);
}

static void put_partition_value(fl_buf *b, const fl_value *v, fl_buf *tmp) {
  if (v->is_null) {
    fl_avro_put_union(b, 0);
    return;
  }
  fl_avro_put_union(b, 1);
  switch (v->type.kind) {
    case FL_T_BOOLEAN: fl_avro_put_bool(b, v->u.b); return;
    case FL_T_INT:
    case FL_T_DATE: fl_avro_put_int(b, v->u.i32); return;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIME:
    case FL_T_TIMESTAMP_NS: fl_avro_put_long(b, v->u.i64); return;
    case FL_T_FLOAT: fl_avro_put_float(b, v->u.f32); return;
    case FL_T_DOUBLE: fl_avro_put_double(b, v->u.f64); return;
    case FL_T_DECIMAL: /* Avro decimal bytes = big-endian two's complement, as Iceberg's */
      fl_buf_clear(tmp);
      fl_value_to_iceberg_bytes(v, tmp);
      fl_avro_put_bytes(b, tmp->data, tmp->len);
      return;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: fl_avro_put_bytes(b, v->u.str.ptr, v->u.str.len); return;
  }
  FL_ASSERT(false, "manifest: value kind %d", v->type.kind);
}

static void put_entry(fl_buf *b, const fl_manifest_entry *e, fl_buf *tmp) {
  const fl_data_file *f = &e->file;
  fl_avro_put_int(b, (int32_t)e->status);
  put_opt_long(b, e->snapshot_id);
  put_opt_long(b, e->sequence_number);
  put_opt_long(b, e->file_sequence_number);
  fl_avro_put_int(b, (int32_t)f->content);
  fl_avro_put_string(b, f->file_path);
  fl_avro_put_string(b, f->file_format ? f->file_format : "PARQUET");
  for (uint32_t i = 0; i < f->npartition; i++) put_partition_value(b, &f->partition[i], tmp);
  fl_avro_put_long(b, f->record_count);
  fl_avro_put_long(b, f->file_size_in_bytes);
  put_count_map(b, f->cols, f->ncols, M_SIZE);
  put_count_map(b, f->cols, f->ncols, M_VALUES);
  put_count_map(b, f->cols, f->ncols, M_NULLS);
  fl_avro_put_union(b, 0); /* nan_value_counts */
  put_bound_map(b, f->cols, f->ncols, false);
  put_bound_map(b, f->cols, f->ncols, true);
  fl_avro_put_union(b, 0); /* key_metadata */
  if (f->nsplit_offsets) {
    fl_avro_put_union(b, 1);
    fl_avro_put_block(b, f->nsplit_offsets);
    for (uint32_t i = 0; i < f->nsplit_offsets; i++) fl_avro_put_long(b, f->split_offsets[i]);
    fl_avro_put_end(b);
  } else {
    fl_avro_put_union(b, 0);
  }
  if (f->nequality_ids) {
    fl_avro_put_union(b, 1);
    fl_avro_put_block(b, f->nequality_ids);
    for (uint32_t i = 0; i < f->nequality_ids; i++) fl_avro_put_int(b, f->equality_ids[i]);
    fl_avro_put_end(b);
  } else {
    fl_avro_put_union(b, 0);
  }
  if (f->sort_order_id >= 0) {
    fl_avro_put_union(b, 1);
    fl_avro_put_int(b, f->sort_order_id);
  } else {
    fl_avro_put_union(b, 0);
  }
  if (f->referenced_data_file) {
    fl_avro_put_union(b, 1);
    fl_avro_put_string(b, f->referenced_data_file);
  } else {
    fl_avro_put_union(b, 0);
  }
}

static bool same_kind(fl_type_kind a, fl_type_kind b) {
  return a == b || (fl_type_is_string(a) && fl_type_is_string(b));
}

static fl_code check_entries(const char *path, const fl_manifest_meta *meta, const fl_manifest_entry *entries,
                             uint32_t n, fl_err *err) {
  /* Iceberg stores uuid and fixed[L] partition values as Avro fixed; floe's manifests use
   * no named Avro types (icebird cannot read them), so it refuses to write such a
   * partition rather than write bytes other readers would take for binary. */
  for (uint32_t i = 0; i < meta->nspec_fields; i++) {
    fl_type_kind k = meta->spec_fields[i].result_type.kind;
    if (k == FL_T_UUID || k == FL_T_FIXED)
      return fl_err_set(err, FL_EUNSUPPORTED,
                        "%s: partition field %s is a %s: floe does not write uuid or fixed partition values "
                        "(Iceberg keeps them as Avro fixed) yet",
                        path, meta->spec_fields[i].name, k == FL_T_UUID ? "uuid" : "fixed");
  }
  for (uint32_t i = 0; i < n; i++) {
    const fl_manifest_entry *e = &entries[i];
    const fl_data_file *f = &e->file;
    if (e->status != FL_ENTRY_EXISTING && e->status != FL_ENTRY_ADDED && e->status != FL_ENTRY_DELETED)
      return fl_err_set(err, FL_EINVAL, "%s: entry %u: bad status %d", path, i, (int)e->status);
    if (e->status != FL_ENTRY_ADDED && (e->sequence_number < 0 || e->file_sequence_number < 0))
      return fl_err_set(err, FL_EINVAL,
                        "%s: entry %u (%s): an EXISTING or DELETED entry must carry its sequence numbers "
                        "(inherited values are copied when an entry is rewritten)",
                        path, i, f->file_path ? f->file_path : "?");
    if (!f->file_path) return fl_err_set(err, FL_EINVAL, "%s: entry %u has no file_path", path, i);
    bool is_delete = f->content == FL_CONTENT_POSITION_DELETES || f->content == FL_CONTENT_EQUALITY_DELETES;
    if (f->content != FL_CONTENT_DATA && !is_delete)
      return fl_err_set(err, FL_EINVAL, "%s: entry %u (%s): bad content %d", path, i, f->file_path,
                        (int)f->content);
    if (is_delete != (meta->content != FL_CONTENT_DATA))
      return fl_err_set(err, FL_EINVAL, "%s: entry %u (%s): content %d does not belong in a %s manifest",
                        path, i, f->file_path, (int)f->content,
                        meta->content == FL_CONTENT_DATA ? "data" : "delete");
    if (f->npartition != meta->nspec_fields)
      return fl_err_set(err, FL_EINVAL, "%s: entry %u (%s): %u partition values for a spec of %u fields",
                        path, i, f->file_path, f->npartition, meta->nspec_fields);
    for (uint32_t k = 0; k < f->npartition; k++) {
      const fl_value *v = &f->partition[k];
      if (!v->is_null && !same_kind(v->type.kind, meta->spec_fields[k].result_type.kind))
        return fl_err_set(err, FL_ETYPE, "%s: entry %u (%s): partition value %s is %s, the spec says %s",
                          path, i, f->file_path, meta->spec_fields[k].name, fl_type_sql_name(v->type.kind),
                          fl_type_sql_name(meta->spec_fields[k].result_type.kind));
    }
  }
  return FL_OK;
}

/* "schema-id" of the table schema JSON, for the metadata key of the same name. */
static bool schema_id_of(const char *schema_json, char *out, size_t out_size) {
  json_t *j = json_loads(schema_json, 0, NULL);
  json_t *id = json_object_get(j, "schema-id");
  bool ok = json_is_integer(id);
  if (ok) snprintf(out, out_size, "%lld", (long long)json_integer_value(id));
  json_decref(j);
  return ok;
}

/* Partition summaries (Java's PartitionSummary): over every entry, any status. */
static void summarize(const fl_manifest_meta *meta, const fl_manifest_entry *entries, uint32_t n,
                      fl_arena *arena, fl_manifest_file *out) {
  uint32_t np = meta->nspec_fields;
  out->npartitions = np;
  out->partitions = fl_arena_calloc(arena, np ? np : 1, sizeof *out->partitions);
  fl_buf tmp = FL_BUF_INIT;
  for (uint32_t k = 0; k < np; k++) {
    const fl_value *lo = NULL, *hi = NULL;
    fl_field_summary *s = &out->partitions[k];
    for (uint32_t i = 0; i < n; i++) {
      const fl_value *v = &entries[i].file.partition[k];
      if (v->is_null) {
        s->contains_null = true;
        continue;
      }
      if (!lo || fl_value_cmp(v, lo) < 0) lo = v;
      if (!hi || fl_value_cmp(v, hi) > 0) hi = v;
    }
    if (lo) {
      fl_buf_clear(&tmp);
      fl_value_to_iceberg_bytes(lo, &tmp);
      s->lower_len = (uint32_t)tmp.len;
      s->lower = fl_arena_memdup(arena, tmp.data ? tmp.data : (const uint8_t *)"", tmp.len);
      fl_buf_clear(&tmp);
      fl_value_to_iceberg_bytes(hi, &tmp);
      s->upper_len = (uint32_t)tmp.len;
      s->upper = fl_arena_memdup(arena, tmp.data ? tmp.data : (const uint8_t *)"", tmp.len);
    }
  }
  fl_buf_free(&tmp);
}

fl_code fl_manifest_write(const char *path, const fl_manifest_meta *meta, const fl_manifest_entry *entries,
                          uint32_t n, fl_arena *arena, fl_manifest_file *out, fl_err *err) {
  fl_code rc = check_entries(path, meta, entries, n, err);
  if (rc) return rc;
  fl_buf schema = FL_BUF_INIT, tmp = FL_BUF_INIT;
  entry_schema(&schema, meta->spec_fields, meta->nspec_fields);
  fl_buf_cstr(&schema);

  char spec_id[16], schema_id[24];
  snprintf(spec_id, sizeof spec_id, "%d", meta->spec_id);
  fl_avro_kv kv[6];
  uint32_t nkv = 0;
  kv[nkv++] = (fl_avro_kv){"schema", meta->schema_json ? meta->schema_json : "{}"};
  if (meta->schema_json && schema_id_of(meta->schema_json, schema_id, sizeof schema_id))
    kv[nkv++] = (fl_avro_kv){"schema-id", schema_id};
  kv[nkv++] = (fl_avro_kv){"partition-spec", meta->partition_spec_json ? meta->partition_spec_json : "[]"};
  kv[nkv++] = (fl_avro_kv){"partition-spec-id", spec_id};
  kv[nkv++] = (fl_avro_kv){"format-version", "2"};
  kv[nkv++] = (fl_avro_kv){"content", meta->content == FL_CONTENT_DATA ? "data" : "deletes"};

  fl_avro_writer w;
  fl_avro_writer_init(&w, (const char *)schema.data, kv, nkv, FL_AVRO_CODEC_DEFLATE);
  memset(out, 0, sizeof *out);
  int64_t min_seq = -1;
  for (uint32_t i = 0; i < n; i++) {
    const fl_manifest_entry *e = &entries[i];
    put_entry(fl_avro_writer_buf(&w), e, &tmp);
    fl_avro_writer_record_end(&w);
    switch (e->status) {
      case FL_ENTRY_ADDED:
        out->added_files_count++;
        out->added_rows_count += e->file.record_count;
        break;
      case FL_ENTRY_EXISTING:
        out->existing_files_count++;
        out->existing_rows_count += e->file.record_count;
        break;
      case FL_ENTRY_DELETED:
        out->deleted_files_count++;
        out->deleted_rows_count += e->file.record_count;
        break;
    }
    if (e->status != FL_ENTRY_DELETED && e->sequence_number >= 0 &&
        (min_seq < 0 || e->sequence_number < min_seq))
      min_seq = e->sequence_number;
  }
  fl_avro_writer_finish(&w);
  rc = fl_avro_file_save(path, w.file.data, w.file.len, err);
  if (rc) goto done;

  out->manifest_path = fl_arena_strdup(arena, path);
  out->manifest_length = (int64_t)w.file.len;
  out->partition_spec_id = meta->spec_id;
  out->content = meta->content == FL_CONTENT_DATA ? 0 : 1;
  out->sequence_number = -1;
  out->min_sequence_number = min_seq;
  out->added_snapshot_id = -1;
  summarize(meta, entries, n, arena, out);
done:
  fl_avro_writer_free(&w);
  fl_buf_free(&schema);
  fl_buf_free(&tmp);
  return rc;
}

fl_code fl_manifest_list_write(const char *path, int64_t snapshot_id, int64_t parent_snapshot_id,
                               int64_t sequence_number, const fl_manifest_file *files, uint32_t n,
                               fl_err *err) {
  char snap[24], parent[24], seq[24];
  snprintf(snap, sizeof snap, "%lld", (long long)snapshot_id);
  if (parent_snapshot_id < 0)
    snprintf(parent, sizeof parent, "null");
  else
    snprintf(parent, sizeof parent, "%lld", (long long)parent_snapshot_id);
  snprintf(seq, sizeof seq, "%lld", (long long)sequence_number);
  fl_avro_kv kv[] = {{"snapshot-id", snap},
                     {"parent-snapshot-id", parent},
                     {"sequence-number", seq},
                     {"format-version", "2"}};
  for (uint32_t i = 0; i < n; i++)
    if (!files[i].manifest_path)
      return fl_err_set(err, FL_EINVAL, "%s: manifest list row %u has no manifest_path", path, i);

  fl_avro_writer w;
  fl_avro_writer_init(&w, LIST_SCHEMA, kv, sizeof kv / sizeof kv[0], FL_AVRO_CODEC_DEFLATE);
  for (uint32_t i = 0; i < n; i++) {
    const fl_manifest_file *m = &files[i];
    fl_buf *b = fl_avro_writer_buf(&w);
    fl_avro_put_string(b, m->manifest_path);
    fl_avro_put_long(b, m->manifest_length);
    fl_avro_put_int(b, m->partition_spec_id);
    fl_avro_put_int(b, m->content);
    fl_avro_put_long(b, m->sequence_number);
    fl_avro_put_long(b, m->min_sequence_number);
    fl_avro_put_long(b, m->added_snapshot_id);
    fl_avro_put_int(b, m->added_files_count);
    fl_avro_put_int(b, m->existing_files_count);
    fl_avro_put_int(b, m->deleted_files_count);
    fl_avro_put_long(b, m->added_rows_count);
    fl_avro_put_long(b, m->existing_rows_count);
    fl_avro_put_long(b, m->deleted_rows_count);
    fl_avro_put_union(b, 1); /* partitions: an array, empty when unpartitioned (as Java) */
    fl_avro_put_block(b, m->npartitions);
    for (uint32_t k = 0; k < m->npartitions; k++) {
      const fl_field_summary *s = &m->partitions[k];
      fl_avro_put_bool(b, s->contains_null);
      fl_avro_put_union(b, 1);
      fl_avro_put_bool(b, s->contains_nan);
      put_opt_bytes(b, s->lower, s->lower_len);
      put_opt_bytes(b, s->upper, s->upper_len);
    }
    fl_avro_put_end(b);
    fl_avro_put_union(b, 0); /* key_metadata */
    fl_avro_writer_record_end(&w);
  }
  fl_avro_writer_finish(&w);
  fl_code rc = fl_avro_file_save(path, w.file.data, w.file.len, err);
  fl_avro_writer_free(&w);
  return rc;
}

/* ================================ reading ================================ */

/* Field positions of the writer's schema, resolved once per file. */
typedef struct entry_layout {
  int status, snapshot_id, seq, file_seq, data_file;
  int content, file_path, file_format, partition, record_count, file_size;
  int column_sizes, value_counts, null_counts, lower, upper, split_offsets, equality_ids, sort_order_id,
      referenced;
  int content_offset, content_size; /* v3 deletion vectors */
  const fl_avro_schema *df;         /* r2 */
  const fl_avro_schema *part;       /* r102 */
  fl_type *ptypes;                  /* one per r102 field */
} entry_layout;

typedef struct mread {
  const char *name;
  fl_arena *arena;
  fl_err *err;
  fl_code rc;
  const char *row_kind; /* "entry", "row"; NULL before the first record */
  uint32_t row;
} mread;

static fl_code bad(mread *m, const char *what, const char *field) {
  if (m->rc) return m->rc;
  if (m->row_kind)
    m->rc = fl_err_set(m->err, FL_ECORRUPT, "%s: %s %u: %s%s%s", m->name, m->row_kind, m->row, what,
                       *field ? " " : "", field);
  else
    m->rc = fl_err_set(m->err, FL_ECORRUPT, "%s: %s%s%s", m->name, what, *field ? " " : "", field);
  return m->rc;
}

static const fl_avro_schema *field_type(const fl_avro_schema *rec, int ix) {
  return ix < 0 ? NULL : fl_avro_schema_nonnull(rec->fields[ix].type);
}

/* Avro type of a partition field -> floe type, or false if floe cannot hold it. */
static bool avro_to_fl_type(const fl_avro_schema *s, fl_type *t) {
  memset(t, 0, sizeof *t);
  const char *lt = s->logical ? s->logical : "";
  switch (s->type) {
    case FL_AVRO_BOOLEAN: t->kind = FL_T_BOOLEAN; return true;
    case FL_AVRO_INT:
      if (strcmp(lt, "time-millis") == 0) return false;
      t->kind = strcmp(lt, "date") == 0 ? FL_T_DATE : FL_T_INT;
      return true;
    case FL_AVRO_LONG:
      if (strcmp(lt, "time-micros") == 0) {
        t->kind = FL_T_TIME;
        return true;
      }
      if (strcmp(lt, "timestamp-nanos") == 0 || strcmp(lt, "local-timestamp-nanos") == 0) {
        t->kind = FL_T_TIMESTAMP_NS;
        return true;
      }
      if (strcmp(lt, "timestamp-millis") == 0) return false;
      t->kind = (strcmp(lt, "timestamp-micros") == 0 || strcmp(lt, "local-timestamp-micros") == 0)
                    ? FL_T_TIMESTAMP
                    : FL_T_BIGINT;
      return true;
    case FL_AVRO_FLOAT: t->kind = FL_T_FLOAT; return true;
    case FL_AVRO_DOUBLE: t->kind = FL_T_DOUBLE; return true;
    case FL_AVRO_STRING: t->kind = FL_T_STRING; return true;
    case FL_AVRO_BYTES:
    case FL_AVRO_FIXED:
      if (s->type == FL_AVRO_BYTES && !*lt) {
        t->kind = FL_T_BINARY;
        return true;
      }
      if (strcmp(lt, "decimal") != 0 || s->precision < 1 || s->precision > FL_DECIMAL_PRECISION_MAX ||
          s->scale < 0 || s->scale > s->precision)
        return false;
      t->kind = FL_T_DECIMAL;
      t->precision = (uint8_t)s->precision;
      t->scale = (uint8_t)s->scale;
      return true;
    default: return false;
  }
}

static const char *AVRO_TYPE_NAMES[] = {"null",   "boolean", "int",  "long",  "float", "double", "bytes",
                                        "string", "record",  "enum", "array", "map",   "union",  "fixed"};

static fl_code entry_layout_make(mread *m, const fl_avro_schema *root, entry_layout *lay) {
  if (root->type != FL_AVRO_RECORD) return bad(m, "not a manifest: the Avro schema is not a record", "");
  lay->status = fl_avro_schema_field(root, 0, "status");
  lay->snapshot_id = fl_avro_schema_field(root, 1, "snapshot_id");
  lay->seq = fl_avro_schema_field(root, 3, "sequence_number");
  lay->file_seq = fl_avro_schema_field(root, 4, "file_sequence_number");
  lay->data_file = fl_avro_schema_field(root, 2, "data_file");
  if (lay->status < 0 || lay->data_file < 0) return bad(m, "not a manifest: no field", "status or data_file");
  const fl_avro_schema *df = field_type(root, lay->data_file);
  if (df->type != FL_AVRO_RECORD) return bad(m, "not a manifest: not a record:", "data_file");
  lay->df = df;
  lay->content = fl_avro_schema_field(df, 134, "content");
  lay->file_path = fl_avro_schema_field(df, 100, "file_path");
  lay->file_format = fl_avro_schema_field(df, 101, "file_format");
  lay->partition = fl_avro_schema_field(df, 102, "partition");
  lay->record_count = fl_avro_schema_field(df, 103, "record_count");
  lay->file_size = fl_avro_schema_field(df, 104, "file_size_in_bytes");
  lay->column_sizes = fl_avro_schema_field(df, 108, "column_sizes");
  lay->value_counts = fl_avro_schema_field(df, 109, "value_counts");
  lay->null_counts = fl_avro_schema_field(df, 110, "null_value_counts");
  lay->lower = fl_avro_schema_field(df, 125, "lower_bounds");
  lay->upper = fl_avro_schema_field(df, 128, "upper_bounds");
  lay->split_offsets = fl_avro_schema_field(df, 132, "split_offsets");
  lay->equality_ids = fl_avro_schema_field(df, 135, "equality_ids");
  lay->sort_order_id = fl_avro_schema_field(df, 140, "sort_order_id");
  lay->referenced = fl_avro_schema_field(df, 143, "referenced_data_file");
  lay->content_offset = fl_avro_schema_field(df, 144, "content_offset");
  lay->content_size = fl_avro_schema_field(df, 145, "content_size_in_bytes");
  if (lay->file_path < 0 || lay->record_count < 0 || lay->file_size < 0)
    return bad(m, "not a manifest: data_file lacks", "file_path, record_count or file_size_in_bytes");
  lay->part = lay->partition >= 0 ? field_type(df, lay->partition) : NULL;
  if (lay->part && lay->part->type != FL_AVRO_RECORD) return bad(m, "not a record:", "data_file.partition");
  uint32_t np = lay->part ? lay->part->n : 0;
  lay->ptypes = fl_arena_calloc(m->arena, np ? np : 1, sizeof *lay->ptypes);
  for (uint32_t i = 0; i < np; i++) {
    const fl_avro_schema *pt = fl_avro_schema_nonnull(lay->part->fields[i].type);
    if (!avro_to_fl_type(pt, &lay->ptypes[i])) {
      m->rc = fl_err_set(m->err, FL_EUNSUPPORTED,
                         "%s: partition field %s has Avro type %s%s%s, which floe cannot hold", m->name,
                         lay->part->fields[i].name, AVRO_TYPE_NAMES[pt->type], pt->logical ? "/" : "",
                         pt->logical ? pt->logical : "");
      return m->rc;
    }
  }
  return FL_OK;
}

/* Getters: an absent or null field gives dflt; a field of the wrong type is corrupt. */
static int64_t get_long(mread *m, const fl_avro_value *rec, int ix, int64_t dflt, const char *name) {
  const fl_avro_value *v = fl_avro_value_at(rec, ix);
  if (fl_avro_is_null(v)) return dflt;
  if (v->schema->type != FL_AVRO_INT && v->schema->type != FL_AVRO_LONG) bad(m, "not an int or long:", name);
  return v->u.l;
}

static const char *get_string(mread *m, const fl_avro_value *rec, int ix, const char *name) {
  const fl_avro_value *v = fl_avro_value_at(rec, ix);
  if (fl_avro_is_null(v)) return NULL;
  if (v->schema->type != FL_AVRO_STRING && v->schema->type != FL_AVRO_BYTES) {
    bad(m, "not a string:", name);
    return NULL;
  }
  return fl_arena_strndup(m->arena, (const char *)v->u.bytes.ptr, v->u.bytes.len);
}

static fl_file_column *col_for(fl_file_column *cols, uint32_t *ncols, uint32_t hint, int32_t id) {
  if (hint < *ncols && cols[hint].field_id == id) return &cols[hint];
  for (uint32_t i = 0; i < *ncols; i++)
    if (cols[i].field_id == id) return &cols[i];
  fl_file_column *c = &cols[(*ncols)++];
  c->field_id = id;
  c->column_size = c->value_count = c->null_value_count = -1;
  c->lower = c->upper = NULL;
  c->lower_len = c->upper_len = 0;
  return c;
}

typedef enum map_kind { K_SIZE, K_VALUES, K_NULLS, K_LOWER, K_UPPER } map_kind;

/* An Iceberg int-keyed map: array of {key, value} records. */
static void merge_map(mread *m, const fl_avro_value *v, map_kind kind, fl_file_column *cols, uint32_t *ncols,
                      const char *name) {
  if (fl_avro_is_null(v)) return;
  if (v->schema->type != FL_AVRO_ARRAY) {
    bad(m, "not an array of key/value records:", name);
    return;
  }
  for (uint32_t i = 0; i < v->n; i++) {
    const fl_avro_value *kvr = &v->u.list.items[i];
    if (kvr->schema->type != FL_AVRO_RECORD || kvr->n < 2) {
      bad(m, "not an array of key/value records:", name);
      return;
    }
    const fl_avro_value *k = &kvr->u.list.items[0], *val = &kvr->u.list.items[1];
    if (k->schema->type != FL_AVRO_INT) {
      bad(m, "key is not an int:", name);
      return;
    }
    bool want_bytes = kind == K_LOWER || kind == K_UPPER;
    bool is_bytes = val->schema->type == FL_AVRO_BYTES || val->schema->type == FL_AVRO_FIXED;
    bool is_long = val->schema->type == FL_AVRO_LONG || val->schema->type == FL_AVRO_INT;
    if (fl_avro_is_null(val)) continue;
    if (want_bytes ? !is_bytes : !is_long) {
      bad(m, "value of the wrong type:", name);
      return;
    }
    fl_file_column *c = col_for(cols, ncols, i, (int32_t)k->u.l);
    switch (kind) {
      case K_SIZE: c->column_size = val->u.l; break;
      case K_VALUES: c->value_count = val->u.l; break;
      case K_NULLS: c->null_value_count = val->u.l; break;
      case K_LOWER:
      case K_UPPER: {
        const uint8_t *p = fl_arena_memdup(
            m->arena, val->u.bytes.len ? val->u.bytes.ptr : (const uint8_t *)"", val->u.bytes.len);
        if (kind == K_LOWER) {
          c->lower = p;
          c->lower_len = val->u.bytes.len;
        } else {
          c->upper = p;
          c->upper_len = val->u.bytes.len;
        }
        break;
      }
    }
  }
}

static uint32_t array_len(const fl_avro_value *v) {
  return (!fl_avro_is_null(v) && (v->schema->type == FL_AVRO_ARRAY)) ? v->n : 0;
}

static void read_partition(mread *m, const entry_layout *lay, const fl_avro_value *pv, fl_data_file *f) {
  uint32_t np = lay->part ? lay->part->n : 0;
  f->npartition = np;
  f->partition = fl_arena_calloc(m->arena, np ? np : 1, sizeof *f->partition);
  for (uint32_t i = 0; i < np; i++) {
    fl_value *out = &f->partition[i];
    const fl_avro_value *v = fl_avro_value_at(pv, (int)i);
    out->type = lay->ptypes[i];
    if (fl_avro_is_null(v)) {
      out->is_null = true;
      continue;
    }
    switch (out->type.kind) {
      case FL_T_BOOLEAN: out->u.b = v->u.b; break;
      case FL_T_INT:
      case FL_T_DATE: out->u.i32 = (int32_t)v->u.l; break;
      case FL_T_BIGINT:
      case FL_T_TIMESTAMP:
      case FL_T_TIME:
      case FL_T_TIMESTAMP_NS: out->u.i64 = v->u.l; break;
      case FL_T_FLOAT: out->u.f32 = v->u.f; break;
      case FL_T_DOUBLE: out->u.f64 = v->u.d; break;
      case FL_T_DECIMAL: {
        fl_value dec;
        if (!fl_value_from_iceberg_bytes(out->type, v->u.bytes.ptr, v->u.bytes.len, &dec)) {
          bad(m, "decimal partition value does not fit its type:", lay->part->fields[i].name);
          return;
        }
        fl_value_set_dec(out, fl_value_dec(&dec));
        break;
      }
      case FL_T_STRING:
      case FL_T_JSON:
      case FL_T_UUID:
      case FL_T_BINARY:
      case FL_T_FIXED:
        out->u.str.ptr = fl_arena_strndup(m->arena, (const char *)v->u.bytes.ptr, v->u.bytes.len);
        out->u.str.len = v->u.bytes.len;
        break;
    }
  }
}

static void read_entry(mread *m, const entry_layout *lay, const fl_avro_value *rec, fl_manifest_entry *e) {
  memset(e, 0, sizeof *e);
  int64_t status = get_long(m, rec, lay->status, -1, "status");
  if (!m->rc && (status < 0 || status > 2)) bad(m, "bad manifest entry", "status");
  e->status = (fl_entry_status)status;
  e->snapshot_id = get_long(m, rec, lay->snapshot_id, -1, "snapshot_id");
  e->sequence_number = get_long(m, rec, lay->seq, -1, "sequence_number");
  e->file_sequence_number = get_long(m, rec, lay->file_seq, -1, "file_sequence_number");
  const fl_avro_value *df = fl_avro_value_at(rec, lay->data_file);
  fl_data_file *f = &e->file;
  int64_t content = get_long(m, df, lay->content, 0, "content");
  if (!m->rc && (content < 0 || content > 2)) bad(m, "bad data_file", "content");
  f->content = (fl_file_content)content;
  f->file_path = get_string(m, df, lay->file_path, "file_path");
  f->file_format = get_string(m, df, lay->file_format, "file_format");
  if (!m->rc && !f->file_path) bad(m, "null data_file", "file_path");
  if (lay->part)
    read_partition(m, lay, fl_avro_value_at(df, lay->partition), f);
  else
    f->partition = fl_arena_calloc(m->arena, 1, sizeof *f->partition);
  f->record_count = get_long(m, df, lay->record_count, -1, "record_count");
  f->file_size_in_bytes = get_long(m, df, lay->file_size, -1, "file_size_in_bytes");
  f->sort_order_id = (int32_t)get_long(m, df, lay->sort_order_id, -1, "sort_order_id");
  f->referenced_data_file = get_string(m, df, lay->referenced, "referenced_data_file");
  f->content_offset = get_long(m, df, lay->content_offset, -1, "content_offset");
  f->content_size_in_bytes = get_long(m, df, lay->content_size, -1, "content_size_in_bytes");
  if (m->rc) return;

  const fl_avro_value *maps[5] = {
      fl_avro_value_at(df, lay->column_sizes), fl_avro_value_at(df, lay->value_counts),
      fl_avro_value_at(df, lay->null_counts),  fl_avro_value_at(df, lay->lower),
      fl_avro_value_at(df, lay->upper),
  };
  static const char *map_names[5] = {"column_sizes", "value_counts", "null_value_counts", "lower_bounds",
                                     "upper_bounds"};
  uint64_t cap = 0;
  for (int k = 0; k < 5; k++) cap += array_len(maps[k]);
  f->cols = fl_arena_calloc(m->arena, cap ? cap : 1, sizeof *f->cols);
  for (int k = 0; k < 5; k++) merge_map(m, maps[k], (map_kind)k, f->cols, &f->ncols, map_names[k]);

  const fl_avro_value *so = fl_avro_value_at(df, lay->split_offsets);
  f->nsplit_offsets = array_len(so);
  f->split_offsets =
      fl_arena_calloc(m->arena, f->nsplit_offsets ? f->nsplit_offsets : 1, sizeof *f->split_offsets);
  for (uint32_t i = 0; i < f->nsplit_offsets; i++) {
    if (so->u.list.items[i].schema->type != FL_AVRO_LONG && so->u.list.items[i].schema->type != FL_AVRO_INT)
      bad(m, "not an array of long:", "split_offsets");
    f->split_offsets[i] = so->u.list.items[i].u.l;
  }
  const fl_avro_value *eq = fl_avro_value_at(df, lay->equality_ids);
  f->nequality_ids = array_len(eq);
  f->equality_ids =
      fl_arena_calloc(m->arena, f->nequality_ids ? f->nequality_ids : 1, sizeof *f->equality_ids);
  for (uint32_t i = 0; i < f->nequality_ids; i++) {
    const fl_avro_value *x = &eq->u.list.items[i];
    if ((x->schema->type != FL_AVRO_LONG && x->schema->type != FL_AVRO_INT) || x->u.l < INT32_MIN ||
        x->u.l > INT32_MAX)
      bad(m, "not an array of int:", "equality_ids");
    f->equality_ids[i] = (int32_t)x->u.l;
  }
  if (f->nsplit_offsets == 0) f->split_offsets = NULL;
  if (f->nequality_ids == 0) f->equality_ids = NULL;
  if (f->ncols == 0) f->cols = NULL;
}

fl_code fl_manifest_read_mem(const uint8_t *data, size_t len, const char *name, fl_arena *arena,
                             fl_manifest_entry **entries, uint32_t *n, fl_err *err) {
  *entries = NULL;
  *n = 0;
  fl_avro_reader rd;
  fl_code rc = fl_avro_reader_open(&rd, data, len, name, err);
  if (rc) return rc;
  mread m = {name, arena, err, FL_OK, NULL, 0};
  entry_layout lay;
  memset(&lay, 0, sizeof lay);
  fl_manifest_entry *tmp = NULL;
  uint32_t cnt = 0, cap = 0;
  rc = entry_layout_make(&m, rd.schema, &lay);
  if (rc) goto done;
  for (;;) {
    const fl_avro_value *rec;
    rc = fl_avro_reader_next(&rd, &rec, err);
    if (rc || !rec) break;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 64;
      tmp = fl_realloc(tmp, cap * sizeof *tmp);
    }
    m.row_kind = "entry";
    m.row = cnt;
    read_entry(&m, &lay, rec, &tmp[cnt]);
    if (m.rc) {
      rc = m.rc;
      break;
    }
    cnt++;
  }
  if (rc) goto done;
  *entries = fl_arena_memdup(arena, tmp ? (const void *)tmp : (const void *)"", cnt * sizeof *tmp);
  *n = cnt;
done:
  fl_free(tmp);
  fl_avro_reader_close(&rd);
  return rc;
}

fl_code fl_manifest_read(const char *path, fl_arena *arena, fl_manifest_entry **entries, uint32_t *n,
                         fl_err *err) {
  uint8_t *data;
  size_t len;
  *entries = NULL;
  *n = 0;
  fl_code rc = fl_avro_file_load(path, &data, &len, err);
  if (rc) return rc;
  rc = fl_manifest_read_mem(data, len, path, arena, entries, n, err);
  fl_free(data);
  return rc;
}

/* ---- manifest list ---- */

static void read_summaries(mread *m, const fl_avro_value *pv, fl_manifest_file *f) {
  if (fl_avro_is_null(pv)) return;
  if (pv->schema->type != FL_AVRO_ARRAY) {
    bad(m, "not an array:", "partitions");
    return;
  }
  f->npartitions = pv->n;
  f->partitions = fl_arena_calloc(m->arena, pv->n ? pv->n : 1, sizeof *f->partitions);
  for (uint32_t i = 0; i < pv->n; i++) {
    const fl_avro_value *r = &pv->u.list.items[i];
    fl_field_summary *s = &f->partitions[i];
    if (r->schema->type != FL_AVRO_RECORD) {
      bad(m, "not a record:", "partitions element");
      return;
    }
    const fl_avro_schema *rs = r->schema;
    const fl_avro_value *cn = fl_avro_value_at(r, fl_avro_schema_field(rs, 509, "contains_null"));
    const fl_avro_value *cnan = fl_avro_value_at(r, fl_avro_schema_field(rs, 518, "contains_nan"));
    const fl_avro_value *lo = fl_avro_value_at(r, fl_avro_schema_field(rs, 510, "lower_bound"));
    const fl_avro_value *hi = fl_avro_value_at(r, fl_avro_schema_field(rs, 511, "upper_bound"));
    if (!fl_avro_is_null(cn) && cn->schema->type == FL_AVRO_BOOLEAN) s->contains_null = cn->u.b;
    if (!fl_avro_is_null(cnan) && cnan->schema->type == FL_AVRO_BOOLEAN) s->contains_nan = cnan->u.b;
    if (!fl_avro_is_null(lo)) {
      if (lo->schema->type != FL_AVRO_BYTES) {
        bad(m, "not bytes:", "lower_bound");
        return;
      }
      s->lower =
          fl_arena_memdup(m->arena, lo->u.bytes.len ? lo->u.bytes.ptr : (const uint8_t *)"", lo->u.bytes.len);
      s->lower_len = lo->u.bytes.len;
    }
    if (!fl_avro_is_null(hi)) {
      if (hi->schema->type != FL_AVRO_BYTES) {
        bad(m, "not bytes:", "upper_bound");
        return;
      }
      s->upper =
          fl_arena_memdup(m->arena, hi->u.bytes.len ? hi->u.bytes.ptr : (const uint8_t *)"", hi->u.bytes.len);
      s->upper_len = hi->u.bytes.len;
    }
  }
}

fl_code fl_manifest_list_read_mem(const uint8_t *data, size_t len, const char *name, fl_arena *arena,
                                  fl_manifest_file **files, uint32_t *n, fl_err *err) {
  *files = NULL;
  *n = 0;
  fl_avro_reader rd;
  fl_code rc = fl_avro_reader_open(&rd, data, len, name, err);
  if (rc) return rc;
  mread m = {name, arena, err, FL_OK, NULL, 0};
  const fl_avro_schema *s = rd.schema;
  fl_manifest_file *tmp = NULL;
  uint32_t cnt = 0, cap = 0;
  int ix[15];
  static const struct {
    int id;
    const char *name, *old_name;
  } F[15] = {
      {500, "manifest_path", NULL},
      {501, "manifest_length", NULL},
      {502, "partition_spec_id", NULL},
      {517, "content", NULL},
      {515, "sequence_number", NULL},
      {516, "min_sequence_number", NULL},
      {503, "added_snapshot_id", NULL},
      {504, "added_files_count", "added_data_files_count"},
      {505, "existing_files_count", "existing_data_files_count"},
      {506, "deleted_files_count", "deleted_data_files_count"},
      {512, "added_rows_count", NULL},
      {513, "existing_rows_count", NULL},
      {514, "deleted_rows_count", NULL},
      {507, "partitions", NULL},
      {519, "key_metadata", NULL},
  };
  if (s->type != FL_AVRO_RECORD) {
    rc = bad(&m, "not a manifest list: the Avro schema is not a record", "");
    goto done;
  }
  for (int k = 0; k < 15; k++) {
    ix[k] = fl_avro_schema_field(s, F[k].id, F[k].name);
    if (ix[k] < 0 && F[k].old_name) ix[k] = fl_avro_schema_field(s, -1, F[k].old_name);
  }
  if (ix[0] < 0) {
    rc = bad(&m, "not a manifest list: no field", "manifest_path");
    goto done;
  }
  for (;;) {
    const fl_avro_value *rec;
    rc = fl_avro_reader_next(&rd, &rec, err);
    if (rc || !rec) break;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 16;
      tmp = fl_realloc(tmp, cap * sizeof *tmp);
    }
    fl_manifest_file *f = &tmp[cnt];
    memset(f, 0, sizeof *f);
    m.row_kind = "row";
    m.row = cnt;
    f->manifest_path = get_string(&m, rec, ix[0], "manifest_path");
    if (!m.rc && !f->manifest_path) bad(&m, "null", "manifest_path");
    f->manifest_length = get_long(&m, rec, ix[1], -1, "manifest_length");
    f->partition_spec_id = (int32_t)get_long(&m, rec, ix[2], 0, "partition_spec_id");
    f->content = (int32_t)get_long(&m, rec, ix[3], 0, "content");
    f->sequence_number = get_long(&m, rec, ix[4], 0, "sequence_number"); /* v1: 0 */
    f->min_sequence_number = get_long(&m, rec, ix[5], 0, "min_sequence_number");
    f->added_snapshot_id = get_long(&m, rec, ix[6], -1, "added_snapshot_id");
    f->added_files_count = (int32_t)get_long(&m, rec, ix[7], -1, "added_files_count");
    f->existing_files_count = (int32_t)get_long(&m, rec, ix[8], -1, "existing_files_count");
    f->deleted_files_count = (int32_t)get_long(&m, rec, ix[9], -1, "deleted_files_count");
    f->added_rows_count = get_long(&m, rec, ix[10], -1, "added_rows_count");
    f->existing_rows_count = get_long(&m, rec, ix[11], -1, "existing_rows_count");
    f->deleted_rows_count = get_long(&m, rec, ix[12], -1, "deleted_rows_count");
    if (!m.rc) read_summaries(&m, fl_avro_value_at(rec, ix[13]), f);
    if (m.rc) {
      rc = m.rc;
      break;
    }
    cnt++;
  }
  if (rc) goto done;
  *files = fl_arena_memdup(arena, tmp ? (const void *)tmp : (const void *)"", cnt * sizeof *tmp);
  *n = cnt;
done:
  fl_free(tmp);
  fl_avro_reader_close(&rd);
  return rc;
}

fl_code fl_manifest_list_read(const char *path, fl_arena *arena, fl_manifest_file **files, uint32_t *n,
                              fl_err *err) {
  uint8_t *data;
  size_t len;
  *files = NULL;
  *n = 0;
  fl_code rc = fl_avro_file_load(path, &data, &len, err);
  if (rc) return rc;
  rc = fl_manifest_list_read_mem(data, len, path, arena, files, n, err);
  fl_free(data);
  return rc;
}
