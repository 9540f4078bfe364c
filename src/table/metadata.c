/* metadata: Iceberg v2 table metadata JSON <-> fl_tmeta (REFERENCE/iceberg_parquet.md §1).
 *
 * The document (written by floe for a new table; kept verbatim otherwise):
 *   key                     floe writes                        read as
 *   format-version          2                                  1 to 3 accepted, >3 refused; v3
 *                                                              read only (see check_v3)
 *   table-uuid, location    uuid v4, "file:///abs/dir"          strings
 *   last-sequence-number    0, then +1 per snapshot             int64
 *   last-updated-ms         ms at write                         int64
 *   last-column-id          max field id ever                   int32
 *   schemas                 [{"type":"struct","schema-id",      primitive fields only
 *                             "identifier-field-ids","fields"}]
 *   current-schema-id       id                                  must name a schema
 *   partition-specs         [{"spec-id","fields":[{"source-id", result types derived from the
 *                             "field-id","name","transform"}]}] source column
 *   default-spec-id, last-partition-id (999 when unpartitioned)
 *   sort-orders, default-sort-order-id (order 0 = unsorted)
 *   properties              {string: string}
 *   current-snapshot-id     id or absent                        -1/null = none
 *   snapshots               [{snapshot-id, parent-snapshot-id, sequence-number,
 *                             timestamp-ms, manifest-list, summary{operation,..}, schema-id}]
 *   snapshot-log, metadata-log, refs{"main":{"snapshot-id","type":"branch"}}
 *
 * A JSON column is Iceberg "string" plus the field key "floe-type":"json", which other
 * readers ignore. Ownership: everything parsed lives in the tmeta's arena; root is a
 * jansson reference released by fl_tmeta_free. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/time.h"
#include "table/table_int.h"

void fl_type_text(fl_type type, char *out, size_t out_size) {
  if (type.kind == FL_T_DECIMAL)
    snprintf(out, out_size, "DECIMAL(%u,%u)", type.precision, type.scale);
  else if (type.kind == FL_T_FIXED)
    snprintf(out, out_size, "FIXED(%u)", type.length);
  else
    snprintf(out, out_size, "%s", fl_type_sql_name(type.kind));
}

/* ---- writing */

json_t *fl_tmeta_schema_json(const fl_schema *schema) {
  json_t *obj = json_object();
  json_object_set_new(obj, "type", json_string("struct"));
  json_object_set_new(obj, "schema-id", json_integer(schema->schema_id));
  json_t *ids = json_array();
  for (uint32_t i = 0; i < schema->nidentifier; i++)
    json_array_append_new(ids, json_integer(schema->identifier_ids[i]));
  json_object_set_new(obj, "identifier-field-ids", ids);
  json_t *fields = json_array();
  for (uint32_t i = 0; i < schema->nfields; i++) {
    const fl_field *f = &schema->fields[i];
    char ty[48];
    fl_type_iceberg_name(f->type, ty, sizeof ty);
    json_t *jf = json_object();
    json_object_set_new(jf, "id", json_integer(f->id));
    json_object_set_new(jf, "name", json_string(f->name));
    json_object_set_new(jf, "required", json_boolean(f->required));
    if (f->nested) { /* a struct/list/map of a table written elsewhere: as it was */
      json_t *jt = json_loads(f->nested->iceberg_json, 0, NULL);
      FL_ASSERT(jt, "column %s: nested type text", f->name);
      json_object_set_new(jf, "type", jt);
    } else {
      json_object_set_new(jf, "type", json_string(ty));
      if (f->type.kind == FL_T_JSON) json_object_set_new(jf, "floe-type", json_string("json"));
    }
    json_array_append_new(fields, jf);
  }
  json_object_set_new(obj, "fields", fields);
  return obj;
}

static const char *partition_suffix(fl_transform_kind kind) {
  switch (kind) {
    case FL_TR_IDENTITY: return "";
    case FL_TR_BUCKET: return "_bucket";
    case FL_TR_TRUNCATE: return "_trunc";
    case FL_TR_YEAR: return "_year";
    case FL_TR_MONTH: return "_month";
    case FL_TR_DAY: return "_day";
    case FL_TR_HOUR: return "_hour";
    case FL_TR_VOID: return "_null";
  }
  return "";
}

static void json_log_append(json_t *root, const char *key, json_t *entry) {
  json_t *arr = json_object_get(root, key);
  if (!json_is_array(arr)) {
    arr = json_array();
    json_object_set_new(root, key, arr);
  }
  json_array_append_new(arr, entry);
}

fl_code fl_tmeta_new_root(const char *uuid, const char *location, const fl_schema *schema,
                          const fl_table_create_opts *opts, json_t **out, fl_err *err) {
  json_t *root = json_object();
  json_t *spec_fields = NULL, *orders = NULL, *sf = NULL; /* freed at fail until attached */
  fl_code rc = FL_OK;
  json_object_set_new(root, "format-version", json_integer(2));
  json_object_set_new(root, "table-uuid", json_string(uuid));
  json_object_set_new(root, "location", json_string(location));
  json_object_set_new(root, "last-sequence-number", json_integer(0));
  json_object_set_new(root, "last-updated-ms", json_integer(fl_now_ms()));
  json_object_set_new(root, "last-column-id", json_integer(fl_schema_max_id(schema)));
  json_t *schemas = json_array();
  json_array_append_new(schemas, fl_tmeta_schema_json(schema));
  json_object_set_new(root, "schemas", schemas);
  json_object_set_new(root, "current-schema-id", json_integer(schema->schema_id));

  spec_fields = json_array();
  int32_t last_pid = 999;
  for (uint32_t i = 0; opts && i < opts->npartition; i++) {
    const fl_partition_def *def = &opts->partition[i];
    const fl_field *src = fl_schema_field_by_name(schema, def->column);
    if (!src) {
      rc = fl_err_set(err, FL_EINVAL, "partition by %s(%s): no column %s", def->transform, def->column,
                      def->column);
      goto fail;
    }
    fl_transform tr;
    fl_type res;
    if ((rc = fl_transform_parse(def->transform, &tr, err))) goto fail;
    if ((rc = fl_transform_result_type(tr, src->type, &res, err))) {
      fl_err_prefix(err, "partition field %s: ", def->column);
      goto fail;
    }
    char trs[32], name[FL_NAME_MAX + 16];
    fl_transform_format(tr, trs, sizeof trs);
    snprintf(name, sizeof name, "%s%s", src->name, partition_suffix(tr.kind));
    for (size_t j = 0; j < json_array_size(spec_fields); j++) {
      if (!strcmp(json_string_value(json_object_get(json_array_get(spec_fields, j), "name")), name)) {
        rc = fl_err_set(err, FL_EINVAL, "partition field %s given twice", name);
        goto fail;
      }
    }
    json_t *pf = json_object();
    json_object_set_new(pf, "source-id", json_integer(src->id));
    json_object_set_new(pf, "field-id", json_integer(++last_pid));
    json_object_set_new(pf, "name", json_string(name));
    json_object_set_new(pf, "transform", json_string(trs));
    json_array_append_new(spec_fields, pf);
  }
  json_t *spec = json_object();
  json_object_set_new(spec, "spec-id", json_integer(0));
  json_object_set_new(spec, "fields", spec_fields);
  spec_fields = NULL;
  json_t *specs = json_array();
  json_array_append_new(specs, spec);
  json_object_set_new(root, "partition-specs", specs);
  json_object_set_new(root, "default-spec-id", json_integer(0));
  json_object_set_new(root, "last-partition-id", json_integer(last_pid));

  orders = json_array();
  json_t *unsorted = json_object();
  json_object_set_new(unsorted, "order-id", json_integer(0));
  json_object_set_new(unsorted, "fields", json_array());
  json_array_append_new(orders, unsorted);
  int32_t default_order = 0;
  if (opts && opts->nsort) {
    sf = json_array();
    for (uint32_t i = 0; i < opts->nsort; i++) {
      const fl_sort_def *def = &opts->sort[i];
      const fl_field *src = fl_schema_field_by_name(schema, def->column);
      if (!src) {
        rc = fl_err_set(err, FL_EINVAL, "sort order: no column %s", def->column);
        goto fail;
      }
      fl_transform tr;
      fl_type res;
      if ((rc = fl_transform_parse(def->transform ? def->transform : "identity", &tr, err))) goto fail;
      if ((rc = fl_transform_result_type(tr, src->type, &res, err))) goto fail;
      char trs[32];
      fl_transform_format(tr, trs, sizeof trs);
      json_t *f = json_object();
      json_object_set_new(f, "transform", json_string(trs));
      json_object_set_new(f, "source-id", json_integer(src->id));
      json_object_set_new(f, "direction", json_string(def->descending ? "desc" : "asc"));
      json_object_set_new(f, "null-order", json_string(def->nulls_last ? "nulls-last" : "nulls-first"));
      json_array_append_new(sf, f);
    }
    json_t *order = json_object();
    json_object_set_new(order, "order-id", json_integer(1));
    json_object_set_new(order, "fields", sf);
    sf = NULL;
    json_array_append_new(orders, order);
    default_order = 1;
  }
  json_object_set_new(root, "sort-orders", orders);
  orders = NULL;
  json_object_set_new(root, "default-sort-order-id", json_integer(default_order));

  json_t *props = json_object();
  json_object_set_new(props, "write.format.default", json_string("parquet"));
  json_object_set_new(props, "write.parquet.compression-codec", json_string("zstd"));
  for (uint32_t i = 0; opts && i < opts->nprops; i++)
    json_object_set_new(props, opts->props[i].key, json_string(opts->props[i].value));
  json_object_set_new(root, "properties", props);
  json_object_set_new(root, "current-snapshot-id", json_integer(-1));
  json_object_set_new(root, "refs", json_object());
  json_object_set_new(root, "snapshots", json_array());
  json_object_set_new(root, "snapshot-log", json_array());
  json_object_set_new(root, "metadata-log", json_array());
  *out = root;
  return FL_OK;
fail:
  json_decref(sf);
  json_decref(orders);
  json_decref(spec_fields);
  json_decref(root);
  return rc;
}

/* ---- reading */

typedef struct parse_ctx {
  const char *name; /* file name for messages */
  fl_err *err;
  fl_arena *arena;
} parse_ctx;

static fl_code bad(parse_ctx *pc, const char *what) {
  return fl_err_set(pc->err, FL_ECORRUPT, "%s: table metadata: %s", pc->name, what);
}

static bool get_i64(const json_t *obj, const char *key, int64_t *out) {
  const json_t *v = json_object_get(obj, key);
  if (!json_is_integer(v)) return false;
  *out = json_integer_value(v);
  return true;
}

static const char *get_str(parse_ctx *pc, const json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? fl_arena_strdup(pc->arena, s) : NULL;
}

/* An Iceberg struct/list/map type (JSON object) into an fl_nested tree; refuses by
 * name what floe cannot read inside it. */
static fl_code parse_nested(parse_ctx *pc, const char *col, const json_t *jt, int depth, fl_nested *n) {
  if (depth > FL_NESTED_DEPTH_MAX)
    return fl_err_set(pc->err, FL_EUNSUPPORTED, "%s: column %s nests deeper than %d levels", pc->name, col,
                      FL_NESTED_DEPTH_MAX);
  const char *ty = json_string_value(jt);
  if (ty) {
    n->kind = FL_NESTED_PRIM;
    if (!fl_type_from_iceberg(ty, &n->prim))
      return fl_err_set(pc->err, FL_EUNSUPPORTED, "%s: column %s holds a field of type %s (not supported)",
                        pc->name, col, ty);
    return FL_OK;
  }
  const char *kind = json_string_value(json_object_get(jt, "type"));
  if (!json_is_object(jt) || !kind) return bad(pc, "nested type without \"type\"");
  int64_t id;
  if (!strcmp(kind, "struct")) {
    const json_t *fields = json_object_get(jt, "fields");
    size_t nf = json_array_size(fields);
    if (!json_is_array(fields) || nf > FL_COLUMNS_MAX) return bad(pc, "struct without fields");
    n->kind = FL_NESTED_STRUCT;
    n->nchild = (uint32_t)nf;
    fl_nested *ch = fl_arena_calloc(pc->arena, nf ? nf : 1, sizeof *ch);
    n->child = ch;
    for (size_t i = 0; i < nf; i++) {
      const json_t *jf = json_array_get(fields, i);
      ch[i].name = get_str(pc, jf, "name");
      if (!get_i64(jf, "id", &id) || id <= 0 || id > INT32_MAX || !ch[i].name)
        return bad(pc, "struct field without id or name");
      ch[i].id = (int32_t)id;
      ch[i].required = json_is_true(json_object_get(jf, "required"));
      fl_code rc = parse_nested(pc, col, json_object_get(jf, "type"), depth + 1, &ch[i]);
      if (rc) return rc;
    }
    return FL_OK;
  }
  bool is_list = !strcmp(kind, "list");
  if (!is_list && strcmp(kind, "map"))
    return fl_err_set(pc->err, FL_EUNSUPPORTED, "%s: column %s has a nested type %s (not supported)",
                      pc->name, col, kind);
  static const char *const list_keys[][3] = {{"element-id", "element", "element-required"}};
  static const char *const map_keys[][3] = {{"key-id", "key", NULL}, {"value-id", "value", "value-required"}};
  const char *const(*keys)[3] = is_list ? list_keys : map_keys;
  n->kind = is_list ? FL_NESTED_LIST : FL_NESTED_MAP;
  n->nchild = is_list ? 1 : 2;
  fl_nested *ch = fl_arena_calloc(pc->arena, n->nchild, sizeof *ch);
  n->child = ch;
  for (uint32_t i = 0; i < n->nchild; i++) {
    if (!get_i64(jt, keys[i][0], &id) || id <= 0 || id > INT32_MAX)
      return bad(pc, "list or map without its ids");
    ch[i].id = (int32_t)id;
    ch[i].name = keys[i][1];
    ch[i].required = keys[i][2] ? json_is_true(json_object_get(jt, keys[i][2])) : true;
    fl_code rc = parse_nested(pc, col, json_object_get(jt, keys[i][1]), depth + 1, &ch[i]);
    if (rc) return rc;
  }
  return FL_OK;
}

static fl_code parse_schema(parse_ctx *pc, const json_t *js, fl_schema *schema) {
  int64_t id;
  if (!get_i64(js, "schema-id", &id)) id = 0;
  schema->schema_id = (int32_t)id;
  const json_t *fields = json_object_get(js, "fields");
  if (!json_is_array(fields)) return bad(pc, "schema without fields");
  size_t n = json_array_size(fields);
  if (n > FL_COLUMNS_MAX) return bad(pc, "schema has too many fields");
  schema->nfields = (uint32_t)n;
  schema->fields = fl_arena_calloc(pc->arena, n ? n : 1, sizeof(fl_field));
  for (size_t i = 0; i < n; i++) {
    const json_t *jf = json_array_get(fields, i);
    fl_field *f = &schema->fields[i];
    int64_t fid;
    f->name = get_str(pc, jf, "name");
    if (!get_i64(jf, "id", &fid) || fid <= 0 || fid > INT32_MAX || !f->name)
      return bad(pc, "schema field without id or name");
    f->id = (int32_t)fid;
    f->required = json_is_true(json_object_get(jf, "required"));
    const json_t *jt = json_object_get(jf, "type");
    const char *ty = json_string_value(jt);
    if (!ty && json_is_object(jt)) { /* struct, list, map: read as JSON text */
      fl_nested *root = fl_arena_calloc(pc->arena, 1, sizeof *root);
      root->id = f->id;
      root->name = f->name;
      root->required = f->required;
      fl_code rc = parse_nested(pc, f->name, jt, 1, root);
      if (rc) return rc;
      char *text = json_dumps(jt, JSON_COMPACT | JSON_PRESERVE_ORDER);
      if (!text) return bad(pc, "nested type");
      root->iceberg_json = fl_arena_strdup(pc->arena, text);
      free(text);
      f->type = (fl_type){FL_T_JSON, 0, 0};
      f->nested = root;
      continue;
    }
    if (!ty) return bad(pc, "schema field without a type");
    if (!fl_type_from_iceberg(ty, &f->type))
      return fl_err_set(pc->err, FL_EUNSUPPORTED, "%s: column %s has type %s (not supported)", pc->name,
                        f->name, ty);
    const json_t *dflt = json_object_get(jf, "initial-default");
    if (dflt && !json_is_null(dflt))
      return fl_err_set(pc->err, FL_EUNSUPPORTED,
                        "%s: column %s has an initial-default (v3 default values are not supported)",
                        pc->name, f->name);
    const char *ft = json_string_value(json_object_get(jf, "floe-type"));
    if (ft && !strcmp(ft, "json") && f->type.kind == FL_T_STRING) f->type.kind = FL_T_JSON;
  }
  const json_t *ids = json_object_get(js, "identifier-field-ids");
  size_t ni = json_is_array(ids) ? json_array_size(ids) : 0;
  schema->nidentifier = (uint32_t)ni;
  schema->identifier_ids = fl_arena_calloc(pc->arena, ni ? ni : 1, sizeof(int32_t));
  for (size_t i = 0; i < ni; i++)
    schema->identifier_ids[i] = (int32_t)json_integer_value(json_array_get(ids, i));
  return FL_OK;
}

/* The source field's type: from the current schema, else any schema that had it. */
static const fl_field *find_field_any(const fl_tmeta *m, int32_t id) {
  const fl_field *f = fl_schema_field_by_id(m->schema, id);
  for (uint32_t i = 0; !f && i < m->nschemas; i++) f = fl_schema_field_by_id(&m->schemas[i], id);
  return f;
}

static fl_code parse_spec(parse_ctx *pc, fl_tmeta *m, const json_t *js, fl_tspec *spec) {
  int64_t id;
  if (!get_i64(js, "spec-id", &id)) return bad(pc, "partition spec without spec-id");
  spec->spec_id = (int32_t)id;
  const json_t *fields = json_object_get(js, "fields");
  size_t n = json_is_array(fields) ? json_array_size(fields) : 0;
  spec->nfields = (uint32_t)n;
  spec->fields = fl_arena_calloc(pc->arena, n ? n : 1, sizeof(fl_partition_field));
  spec->transforms = fl_arena_calloc(pc->arena, n ? n : 1, sizeof(fl_transform));
  char *txt = fields ? json_dumps(fields, JSON_COMPACT) : NULL;
  spec->fields_json = fl_arena_strdup(pc->arena, txt ? txt : "[]");
  free(txt);
  for (size_t i = 0; i < n; i++) {
    const json_t *jf = json_array_get(fields, i);
    fl_partition_field *pf = &spec->fields[i];
    int64_t sid, fid;
    pf->name = get_str(pc, jf, "name");
    pf->transform = get_str(pc, jf, "transform");
    const json_t *sids = json_object_get(jf, "source-ids");
    if (json_is_array(sids) && json_array_size(sids) > 1)
      return fl_err_set(pc->err, FL_EUNSUPPORTED,
                        "%s: partition field %s has a multi-argument transform (source-ids; not supported)",
                        pc->name, pf->name ? pf->name : "?");
    bool has_sid = get_i64(jf, "source-id", &sid);
    if (!has_sid && json_is_array(sids) && json_array_size(sids) == 1 &&
        json_is_integer(json_array_get(sids, 0))) {
      sid = json_integer_value(json_array_get(sids, 0));
      has_sid = true;
    }
    if (!has_sid || !pf->name || !pf->transform) return bad(pc, "bad partition field");
    if (!get_i64(jf, "field-id", &fid)) fid = 1000 + (int64_t)i;
    pf->source_id = (int32_t)sid;
    pf->field_id = (int32_t)fid;
    fl_code rc = fl_transform_parse(pf->transform, &spec->transforms[i], pc->err);
    if (rc) return fl_err_prefix(pc->err, "%s: ", pc->name);
    const fl_field *src = find_field_any(m, pf->source_id);
    if (!src) return bad(pc, "partition field source column not in any schema");
    if ((rc = fl_transform_result_type(spec->transforms[i], src->type, &pf->result_type, pc->err)))
      return fl_err_prefix(pc->err, "%s: ", pc->name);
  }
  return FL_OK;
}

static fl_code parse_order(parse_ctx *pc, fl_tmeta *m, const json_t *js, fl_tsort *order) {
  int64_t id;
  if (!get_i64(js, "order-id", &id)) return bad(pc, "sort order without order-id");
  order->order_id = (int32_t)id;
  const json_t *fields = json_object_get(js, "fields");
  size_t n = json_is_array(fields) ? json_array_size(fields) : 0;
  order->nfields = (uint32_t)n;
  order->source_ids = fl_arena_calloc(pc->arena, n ? n : 1, sizeof(int32_t));
  order->defs = fl_arena_calloc(pc->arena, n ? n : 1, sizeof(fl_sort_def));
  for (size_t i = 0; i < n; i++) {
    const json_t *jf = json_array_get(fields, i);
    int64_t sid;
    if (!get_i64(jf, "source-id", &sid)) return bad(pc, "sort field without source-id");
    order->source_ids[i] = (int32_t)sid;
    const fl_field *f = find_field_any(m, (int32_t)sid);
    order->defs[i].column = f ? f->name : "?";
    order->defs[i].transform = get_str(pc, jf, "transform");
    const char *dir = json_string_value(json_object_get(jf, "direction"));
    const char *no = json_string_value(json_object_get(jf, "null-order"));
    order->defs[i].descending = dir && !strcmp(dir, "desc");
    order->defs[i].nulls_last = no && !strcmp(no, "nulls-last");
  }
  return FL_OK;
}

static fl_code parse_snapshot(parse_ctx *pc, const json_t *js, fl_snapshot *snap) {
  if (!get_i64(js, "snapshot-id", &snap->snapshot_id)) return bad(pc, "snapshot without snapshot-id");
  if (!get_i64(js, "parent-snapshot-id", &snap->parent_id)) snap->parent_id = -1;
  if (!get_i64(js, "sequence-number", &snap->sequence_number)) snap->sequence_number = 0;
  if (!get_i64(js, "timestamp-ms", &snap->timestamp_ms)) return bad(pc, "snapshot without timestamp-ms");
  int64_t sid;
  snap->schema_id = get_i64(js, "schema-id", &sid) ? (int32_t)sid : -1;
  snap->manifest_list = get_str(pc, js, "manifest-list");
  const json_t *inline_list = json_object_get(js, "manifests");
  if (!snap->manifest_list && json_is_array(inline_list)) {
    /* v1 (before manifest lists): the snapshot names its manifests; read by scans
       (locate.c fl_tbl_snapshot_manifests), never written: floe writes v2 */
    size_t n = json_array_size(inline_list);
    if (n > FL_INLINE_MANIFESTS_MAX) return bad(pc, "snapshot lists too many manifests");
    snap->manifests = fl_arena_calloc(pc->arena, n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
      const char *s = json_string_value(json_array_get(inline_list, i));
      if (!s) return bad(pc, "snapshot manifests: not a string");
      snap->manifests[snap->nmanifests++] = fl_arena_strdup(pc->arena, s);
    }
  } else if (!snap->manifest_list)
    return bad(pc, "snapshot without manifest-list");
  const json_t *summary = json_object_get(js, "summary");
  size_t n = json_is_object(summary) ? json_object_size(summary) : 0;
  snap->operation = "append";
  fl_kv *kv = fl_arena_calloc(pc->arena, n ? n : 1, sizeof(fl_kv));
  uint32_t k = 0;
  const char *key;
  json_t *val;
  if (n) {
    json_object_foreach((json_t *)summary, key, val) {
      const char *s = json_string_value(val);
      if (!s) continue;
      if (!strcmp(key, "operation")) {
        snap->operation = fl_arena_strdup(pc->arena, s);
        continue;
      }
      kv[k].key = fl_arena_strdup(pc->arena, key);
      kv[k].value = fl_arena_strdup(pc->arena, s);
      k++;
    }
  }
  snap->summary = kv;
  snap->nsummary = k;
  return FL_OK;
}

/* Format v3: what floe reads (deletion vectors, in scan.c; timestamp_ns; row lineage
 * fields, ignored: they only matter to writers) and what it refuses by name. Types
 * (variant, geometry, geography, unknown), default values and multi-argument
 * transforms are refused where the schema and specs are parsed. */
static fl_code check_v3(parse_ctx *pc, const json_t *root) {
  const json_t *keys = json_object_get(root, "encryption-keys");
  if (json_is_array(keys) && json_array_size(keys))
    return fl_err_set(pc->err, FL_EUNSUPPORTED, "%s: encrypted table (encryption-keys; not supported)",
                      pc->name);
  const json_t *snaps = json_object_get(root, "snapshots");
  for (size_t i = 0; json_is_array(snaps) && i < json_array_size(snaps); i++)
    if (json_object_get(json_array_get(snaps, i), "key-id"))
      return fl_err_set(pc->err, FL_EUNSUPPORTED,
                        "%s: encrypted manifest list (snapshot key-id; not supported)", pc->name);
  return FL_OK;
}

static fl_code parse_root(parse_ctx *pc, fl_tmeta *m) {
  const json_t *root = m->root;
  int64_t v;
  fl_code rc;
  if (!json_is_object(root)) return bad(pc, "not a JSON object");
  if (!get_i64(root, "format-version", &v)) return bad(pc, "no format-version");
  if (v > 3 || v < 1)
    return fl_err_set(pc->err, FL_EUNSUPPORTED, "%s: Iceberg format-version %" PRId64 " (floe reads 1 to 3)",
                      pc->name, v);
  if (v == 3 && (rc = check_v3(pc, root))) return rc;
  m->format_version = (int32_t)v;
  m->uuid = get_str(pc, root, "table-uuid");
  m->location = get_str(pc, root, "location");
  if (!m->location) return bad(pc, "no location");
  if (!m->uuid) m->uuid = "";
  if (!get_i64(root, "last-sequence-number", &m->last_seq)) m->last_seq = 0;
  if (!get_i64(root, "last-updated-ms", &m->last_updated_ms)) m->last_updated_ms = 0;
  if (!get_i64(root, "last-column-id", &v)) return bad(pc, "no last-column-id");
  m->last_column_id = (int32_t)v;

  /* v1: "schema" (the current one) where v2 has "schemas" + "current-schema-id"; a v1
     writer may write both, and then "current-schema-id" may still be absent */
  const json_t *schemas = json_object_get(root, "schemas");
  const json_t *v1_schema = json_object_get(root, "schema");
  json_t *v1_schemas = NULL;
  if (!json_is_array(schemas) && json_is_object(v1_schema)) {
    v1_schemas = json_array();
    json_array_append(v1_schemas, (json_t *)v1_schema);
    schemas = v1_schemas;
  }
  if (!json_is_array(schemas) || !json_array_size(schemas)) return bad(pc, "no schemas");
  m->nschemas = (uint32_t)json_array_size(schemas);
  m->schemas = fl_arena_calloc(&m->arena, m->nschemas, sizeof(fl_schema));
  m->schema_jsons = fl_arena_calloc(&m->arena, m->nschemas, sizeof(char *));
  int64_t cur_schema = 0;
  if (!get_i64(root, "current-schema-id", &cur_schema)) {
    const json_t *last = json_is_object(v1_schema) ? v1_schema : json_array_get(schemas, m->nschemas - 1);
    if (!get_i64(last, "schema-id", &cur_schema)) cur_schema = 0;
  }
  for (uint32_t i = 0; i < m->nschemas; i++) {
    const json_t *js = json_array_get(schemas, i);
    if ((rc = parse_schema(pc, js, &m->schemas[i]))) {
      json_decref(v1_schemas);
      return rc;
    }
    char *txt = json_dumps(js, JSON_COMPACT);
    m->schema_jsons[i] = fl_arena_strdup(&m->arena, txt ? txt : "{}");
    free(txt);
    if (m->schemas[i].schema_id == cur_schema) {
      m->schema = &m->schemas[i];
      m->schema_json = m->schema_jsons[i];
    }
  }
  json_decref(v1_schemas);
  if (!m->schema) return bad(pc, "current-schema-id names no schema");

  /* v1: "partition-spec" (the fields of spec 0) where v2 has "partition-specs" */
  const json_t *specs = json_object_get(root, "partition-specs");
  json_t *v1_specs = NULL;
  const json_t *v1_spec = json_object_get(root, "partition-spec");
  if (!json_is_array(specs) && json_is_array(v1_spec)) {
    v1_specs = json_pack("[{s:i, s:O}]", "spec-id", 0, "fields", v1_spec);
    specs = v1_specs;
  }
  m->nspecs = json_is_array(specs) ? (uint32_t)json_array_size(specs) : 0;
  if (!m->nspecs) {
    json_decref(v1_specs);
    return bad(pc, "no partition-specs");
  }
  m->specs = fl_arena_calloc(&m->arena, m->nspecs, sizeof(fl_tspec));
  int64_t def_spec = 0;
  get_i64(root, "default-spec-id", &def_spec);
  for (uint32_t i = 0; i < m->nspecs; i++) {
    if ((rc = parse_spec(pc, m, json_array_get(specs, i), &m->specs[i]))) {
      json_decref(v1_specs);
      return rc;
    }
    if (m->specs[i].spec_id == def_spec) m->spec = &m->specs[i];
  }
  json_decref(v1_specs);
  if (!m->spec) return bad(pc, "default-spec-id names no spec");
  if (!get_i64(root, "last-partition-id", &v)) v = 999;
  m->last_partition_id = (int32_t)v;

  const json_t *orders = json_object_get(root, "sort-orders");
  m->norders = json_is_array(orders) ? (uint32_t)json_array_size(orders) : 0;
  m->orders = fl_arena_calloc(&m->arena, m->norders ? m->norders : 1, sizeof(fl_tsort));
  int64_t def_order = 0;
  get_i64(root, "default-sort-order-id", &def_order);
  for (uint32_t i = 0; i < m->norders; i++) {
    if ((rc = parse_order(pc, m, json_array_get(orders, i), &m->orders[i]))) return rc;
    if (m->orders[i].order_id == def_order) m->order = &m->orders[i];
  }

  const json_t *props = json_object_get(root, "properties");
  size_t np = json_is_object(props) ? json_object_size(props) : 0;
  m->props = fl_arena_calloc(&m->arena, np ? np : 1, sizeof(fl_kv));
  if (np) {
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)props, key, val) {
      if (!json_is_string(val)) continue;
      m->props[m->nprops].key = fl_arena_strdup(&m->arena, key);
      m->props[m->nprops].value = fl_arena_strdup(&m->arena, json_string_value(val));
      m->nprops++;
    }
  }

  if (!get_i64(root, "current-snapshot-id", &m->current_snapshot_id) || m->current_snapshot_id <= 0)
    m->current_snapshot_id = -1;
  const json_t *snaps = json_object_get(root, "snapshots");
  m->nsnapshots = json_is_array(snaps) ? (uint32_t)json_array_size(snaps) : 0;
  m->snapshots = fl_arena_calloc(&m->arena, m->nsnapshots ? m->nsnapshots : 1, sizeof(fl_snapshot));
  bool found = m->current_snapshot_id < 0;
  for (uint32_t i = 0; i < m->nsnapshots; i++) {
    if ((rc = parse_snapshot(pc, json_array_get(snaps, i), &m->snapshots[i]))) return rc;
    found |= m->snapshots[i].snapshot_id == m->current_snapshot_id;
  }
  if (!found) return bad(pc, "current-snapshot-id names no snapshot");
  m->snap_slots_cap = 16;
  while (m->snap_slots_cap < m->nsnapshots * 2) m->snap_slots_cap *= 2;
  m->snap_slots = fl_arena_calloc(&m->arena, m->snap_slots_cap, sizeof(uint32_t));
  for (uint32_t i = 0; i < m->nsnapshots; i++) {
    uint32_t s = fl_tmeta_snap_slot(m->snapshots[i].snapshot_id, m->snap_slots_cap);
    while (m->snap_slots[s]) {
      if (m->snapshots[m->snap_slots[s] - 1].snapshot_id == m->snapshots[i].snapshot_id)
        return bad(pc, "two snapshots with one snapshot-id");
      s = (s + 1) & (m->snap_slots_cap - 1);
    }
    m->snap_slots[s] = i + 1;
  }

  const json_t *slog = json_object_get(root, "snapshot-log");
  m->nsnaplog = json_is_array(slog) ? (uint32_t)json_array_size(slog) : 0;
  m->snaplog = fl_arena_calloc(&m->arena, m->nsnaplog ? m->nsnaplog : 1, sizeof(fl_tlog));
  for (uint32_t i = 0; i < m->nsnaplog; i++) {
    const json_t *e = json_array_get(slog, i);
    if (!get_i64(e, "timestamp-ms", &m->snaplog[i].ts_ms) ||
        !get_i64(e, "snapshot-id", &m->snaplog[i].snapshot_id))
      return bad(pc, "bad snapshot-log entry");
  }
  const json_t *mlog = json_object_get(root, "metadata-log");
  m->nmetalog = json_is_array(mlog) ? (uint32_t)json_array_size(mlog) : 0;
  m->metalog = fl_arena_calloc(&m->arena, m->nmetalog ? m->nmetalog : 1, sizeof(fl_tlog));
  for (uint32_t i = 0; i < m->nmetalog; i++) {
    const json_t *e = json_array_get(mlog, i);
    get_i64(e, "timestamp-ms", &m->metalog[i].ts_ms);
    m->metalog[i].file = get_str(pc, e, "metadata-file");
  }
  return FL_OK;
}

fl_code fl_tmeta_parse(const char *text, size_t len, const char *name, fl_tmeta **out, fl_err *err) {
  if (len > FL_METADATA_JSON_MAX)
    return fl_err_set(err, FL_ELIMIT, "%s: table metadata of %zu bytes exceeds %u", name, len,
                      FL_METADATA_JSON_MAX);
  fl_tmeta *m = fl_calloc(1, sizeof *m);
  fl_arena_init(&m->arena, 16384);
  json_error_t jerr;
  m->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  fl_code rc;
  if (!m->root) {
    rc = fl_err_set(err, FL_EPARSE, "%s: table metadata line %d: %s", name, jerr.line, jerr.text);
    goto fail;
  }
  m->text = fl_arena_strndup(&m->arena, text, len);
  parse_ctx pc = {name, err, &m->arena};
  if ((rc = parse_root(&pc, m))) goto fail;
  *out = m;
  return FL_OK;
fail:
  fl_tmeta_free(m);
  return rc;
}

fl_code fl_tmeta_from_root(json_t *root, const char *text, size_t len, const char *name, fl_tmeta **out,
                           fl_err *err) {
  fl_tmeta *m = fl_calloc(1, sizeof *m);
  fl_arena_init(&m->arena, 16384);
  m->root = root;
  m->text = fl_arena_strndup(&m->arena, text, len);
  parse_ctx pc = {name, err, &m->arena};
  fl_code rc = parse_root(&pc, m);
  if (rc) {
    fl_tmeta_free(m);
    return rc;
  }
  *out = m;
  return FL_OK;
}

/* A gzip metadata file (Java's write.metadata.compression-codec=gzip names it
 * *.gz.metadata.json; found by its magic bytes, whatever the name) is inflated, at most
 * FL_METADATA_JSON_MAX bytes. */
fl_code fl_tmeta_gunzip(const char *path, char **data, size_t *len, fl_err *err) {
  size_t cap = 1u << 16, n = 0;
  char *out = fl_malloc(cap + 1);
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    fl_free(out);
    return fl_err_set(err, FL_ENOMEM, "%s: zlib inflateInit2 failed", path);
  }
  zs.next_in = (Bytef *)*data;
  zs.avail_in = (uInt)*len;
  fl_code rc = FL_OK;
  for (;;) {
    if (n == cap) {
      if (cap >= FL_METADATA_JSON_MAX) {
        rc = fl_err_set(err, FL_ELIMIT, "%s: gzip table metadata inflates past %u bytes", path,
                        FL_METADATA_JSON_MAX);
        break;
      }
      cap *= 2;
      out = fl_realloc(out, cap + 1);
    }
    zs.next_out = (Bytef *)out + n;
    zs.avail_out = (uInt)(cap - n);
    int zr = inflate(&zs, Z_NO_FLUSH);
    n = cap - zs.avail_out;
    if (zr == Z_STREAM_END) break;
    if (zr != Z_OK && !(zr == Z_BUF_ERROR && zs.avail_out == 0)) {
      rc = fl_err_set(err, FL_ECORRUPT, "%s: gzip table metadata: %s", path, zs.msg ? zs.msg : "truncated");
      break;
    }
  }
  inflateEnd(&zs);
  fl_free(*data);
  if (rc) {
    fl_free(out);
    *data = NULL;
    return rc;
  }
  out[n] = 0;
  *data = out;
  *len = n;
  return FL_OK;
}

fl_code fl_tmeta_read(const char *path, fl_tmeta **out, fl_err *err) {
  char *data;
  size_t len;
  fl_code rc = fl_tbl_read_all(path, FL_METADATA_JSON_MAX, &data, &len, err);
  if (rc) return rc;
  bool gzip = len >= 2 && (uint8_t)data[0] == 0x1f && (uint8_t)data[1] == 0x8b;
  if (gzip && (rc = fl_tmeta_gunzip(path, &data, &len, err))) return rc;
  rc = fl_tmeta_parse(data, len, path, out, err);
  fl_free(data);
  return rc;
}

void fl_tmeta_ref(fl_tmeta *meta) { atomic_fetch_add(&meta->extra_refs, 1); }

void fl_tmeta_free(fl_tmeta *meta) {
  if (!meta) return;
  if (atomic_fetch_sub(&meta->extra_refs, 1) > 0) return; /* someone else holds it */
  if (meta->root) json_decref(meta->root);
  fl_arena_destroy(&meta->arena);
  fl_free(meta);
}

const fl_tspec *fl_tmeta_spec_by_id(const fl_tmeta *meta, int32_t spec_id) {
  for (uint32_t i = 0; i < meta->nspecs; i++)
    if (meta->specs[i].spec_id == spec_id) return &meta->specs[i];
  return NULL;
}

void fl_tbl_json_set_i64(json_t *obj, const char *key, int64_t v) {
  json_object_set_new(obj, key, json_integer(v));
}

int64_t fl_tbl_json_i64(const json_t *obj, const char *key, int64_t dflt) {
  int64_t v;
  return get_i64(obj, key, &v) ? v : dflt;
}

void fl_tbl_json_log_append(json_t *root, const char *key, json_t *entry) {
  json_log_append(root, key, entry);
}
