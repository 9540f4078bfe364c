/* evolve: schema evolution and property changes, metadata-only commits.
 *
 * Iceberg rules (spec "Schema Evolution"), as floe applies them:
 *   add column     new optional field, id = last-column-id + 1 (ids are never reused)
 *   rename column  same id, new name: data files keep theirs, readers match by id
 *   widen column   int -> bigint, float -> double, decimal(p,s) -> decimal(p',s) p' >= p
 * Anything else is refused with FL_ESCHEMA and nothing is committed. The new schema
 * gets schema-id max + 1 unless an earlier schema is identical (then it is reused,
 * as Java does); current-schema-id and last-column-id move. Data files are never
 * rewritten: scans project the current schema by field id (scan.c).
 *
 * The change is applied inside the commit driver's apply callback, so a conflict
 * retries it on the latest schema (a concurrent add of the same name then fails
 * cleanly with FL_ESCHEMA). */
#include <stdio.h>
#include <string.h>

#include "table/table_int.h"

typedef struct evolve_ctx {
  const fl_schema_change *changes;
  uint32_t n;
  bool changed; /* set by the apply: false = every change was a no-op */
} evolve_ctx;

static bool schema_same(const fl_schema *a, const fl_schema *b) {
  if (a->nfields != b->nfields || a->nidentifier != b->nidentifier) return false;
  for (uint32_t i = 0; i < a->nfields; i++) {
    const fl_field *x = &a->fields[i], *y = &b->fields[i];
    if (x->id != y->id || strcmp(x->name, y->name) || !fl_type_equal(x->type, y->type) ||
        x->required != y->required)
      return false;
  }
  for (uint32_t i = 0; i < a->nidentifier; i++)
    if (a->identifier_ids[i] != b->identifier_ids[i]) return false;
  return true;
}

/* Builds the evolved schema from base into arena. */
static fl_code evolve_schema(const fl_table *tbl, const fl_schema *base, int32_t *last_column_id,
                             const fl_schema_change *changes, uint32_t n, fl_arena *arena, fl_schema *out,
                             fl_err *err) {
  uint32_t nadd = 0;
  for (uint32_t i = 0; i < n; i++) nadd += changes[i].kind == FL_SCHEMA_ADD_COLUMN;
  if (base->nfields + nadd > FL_COLUMNS_MAX)
    return fl_err_set(err, FL_ELIMIT, "table %s.%s: more than %d columns", tbl->ns, tbl->name,
                      FL_COLUMNS_MAX);
  *out = *base;
  out->fields = fl_arena_calloc(arena, base->nfields + nadd + 1, sizeof(fl_field));
  memcpy(out->fields, base->fields, base->nfields * sizeof(fl_field));
  for (uint32_t i = 0; i < n; i++) {
    const fl_schema_change *ch = &changes[i];
    if (!ch->column || !ch->column[0] || strlen(ch->column) > FL_NAME_MAX)
      return fl_err_set(err, FL_EINVAL, "table %s.%s: bad column name", tbl->ns, tbl->name);
    fl_field *f = (fl_field *)fl_schema_field_by_name(out, ch->column);
    char from[32], to[32];
    switch (ch->kind) {
      case FL_SCHEMA_ADD_COLUMN:
        if (f)
          return fl_err_set(err, FL_ESCHEMA, "cannot add column %s to %s.%s: a column of that name exists",
                            ch->column, tbl->ns, tbl->name);
        if (ch->type.kind == FL_T_DECIMAL &&
            (ch->type.precision == 0 || ch->type.precision > FL_DECIMAL_PRECISION_MAX ||
             ch->type.scale > ch->type.precision))
          return fl_err_set(err, FL_EUNSUPPORTED, "cannot add column %s: DECIMAL(%u,%u) (precision 1..%d)",
                            ch->column, ch->type.precision, ch->type.scale, FL_DECIMAL_PRECISION_MAX);
        out->fields[out->nfields++] =
            (fl_field){++*last_column_id, fl_arena_strdup(arena, ch->column), ch->type, false};
        break;
      case FL_SCHEMA_RENAME_COLUMN:
        if (!f)
          return fl_err_set(err, FL_ENOENT, "cannot rename column %s of %s.%s: no such column", ch->column,
                            tbl->ns, tbl->name);
        if (!ch->new_name || !ch->new_name[0] || strlen(ch->new_name) > FL_NAME_MAX)
          return fl_err_set(err, FL_EINVAL, "cannot rename column %s: bad new name", ch->column);
        if (strcmp(ch->new_name, ch->column) && fl_schema_field_by_name(out, ch->new_name))
          return fl_err_set(err, FL_ESCHEMA,
                            "cannot rename column %s to %s in %s.%s: a column of that name exists",
                            ch->column, ch->new_name, tbl->ns, tbl->name);
        f->name = fl_arena_strdup(arena, ch->new_name);
        break;
      case FL_SCHEMA_WIDEN_COLUMN:
        if (!f)
          return fl_err_set(err, FL_ENOENT, "cannot change column %s of %s.%s: no such column", ch->column,
                            tbl->ns, tbl->name);
        if (fl_type_equal(f->type, ch->type)) break;
        fl_type_text(f->type, from, sizeof from);
        fl_type_text(ch->type, to, sizeof to);
        if (!fl_type_can_widen(f->type, ch->type) ||
            (ch->type.kind == FL_T_DECIMAL && ch->type.precision > FL_DECIMAL_PRECISION_MAX))
          return fl_err_set(
              err, FL_ESCHEMA,
              "cannot change column %s from %s to %s: Iceberg allows only INT to BIGINT, REAL to DOUBLE "
              "and DECIMAL(p,s) to DECIMAL(p',s) with p' >= p (up to %d); add a new column instead",
              ch->column, from, to, FL_DECIMAL_PRECISION_MAX);
        f->type = ch->type;
        break;
      default: return fl_err_set(err, FL_EINVAL, "unknown schema change %d", (int)ch->kind);
    }
  }
  return FL_OK;
}

static fl_code apply_evolve(void *vctx, fl_table *tbl, json_t *root, fl_err *err) {
  evolve_ctx *ctx = vctx;
  const fl_tmeta *m = tbl->meta;
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  int32_t last_col = m->last_column_id;
  fl_schema s;
  fl_code rc = evolve_schema(tbl, m->schema, &last_col, ctx->changes, ctx->n, &arena, &s, err);
  if (rc) goto done;
  ctx->changed = !schema_same(&s, m->schema);
  if (!ctx->changed) goto done;
  int32_t id = -1, max_id = 0;
  for (uint32_t i = 0; i < m->nschemas; i++) {
    if (m->schemas[i].schema_id > max_id) max_id = m->schemas[i].schema_id;
    fl_schema cand = s;
    cand.schema_id = m->schemas[i].schema_id;
    if (id < 0 && schema_same(&cand, &m->schemas[i])) id = m->schemas[i].schema_id;
  }
  if (id < 0) {
    id = max_id + 1;
    s.schema_id = id;
    fl_tbl_json_log_append(root, "schemas", fl_tmeta_schema_json(&s));
  }
  fl_tbl_json_set_i64(root, "current-schema-id", id);
  fl_tbl_json_set_i64(root, "last-column-id", last_col);
done:
  fl_arena_destroy(&arena);
  return rc;
}

fl_code fl_tbl_apply_schema(fl_table *tbl, json_t *root, const fl_schema_change *changes, uint32_t n,
                            bool *changed, fl_err *err) {
  evolve_ctx ctx = {changes, n, false};
  fl_code rc = apply_evolve(&ctx, tbl, root, err);
  if (changed) *changed = ctx.changed;
  return rc;
}

fl_code fl_table_evolve(fl_table *tbl, const fl_schema_change *changes, uint32_t n, fl_err *err) {
  /* Dry run on the loaded version: refuse early, and skip the commit for no-ops. */
  evolve_ctx ctx = {changes, n, false};
  json_t *probe = json_deep_copy(tbl->meta->root);
  fl_code rc = apply_evolve(&ctx, tbl, probe, err);
  json_decref(probe);
  if (rc || !ctx.changed) return rc;
  return fl_tbl_commit(tbl, apply_evolve, &ctx, err);
}

fl_code fl_table_add_column(fl_table *tbl, const char *column, fl_type type, fl_err *err) {
  fl_schema_change ch = {FL_SCHEMA_ADD_COLUMN, column, NULL, type};
  return fl_table_evolve(tbl, &ch, 1, err);
}

fl_code fl_table_rename_column(fl_table *tbl, const char *column, const char *new_name, fl_err *err) {
  fl_schema_change ch = {FL_SCHEMA_RENAME_COLUMN, column, new_name, {0, 0, 0}};
  return fl_table_evolve(tbl, &ch, 1, err);
}

fl_code fl_table_widen_column(fl_table *tbl, const char *column, fl_type type, fl_err *err) {
  fl_schema_change ch = {FL_SCHEMA_WIDEN_COLUMN, column, NULL, type};
  return fl_table_evolve(tbl, &ch, 1, err);
}

typedef struct props_ctx {
  const fl_kv *props;
  uint32_t n;
} props_ctx;

static fl_code apply_props(void *vctx, fl_table *tbl, json_t *root, fl_err *err) {
  props_ctx *ctx = vctx;
  json_t *props = json_object_get(root, "properties");
  if (!json_is_object(props)) {
    props = json_object();
    json_object_set_new(root, "properties", props);
  }
  for (uint32_t i = 0; i < ctx->n; i++) {
    if (ctx->props[i].value)
      json_object_set_new(props, ctx->props[i].key, json_string(ctx->props[i].value));
    else
      json_object_del(props, ctx->props[i].key);
  }
  return FL_OK;
}

void fl_tbl_apply_props(json_t *root, const fl_kv *props, uint32_t n) {
  props_ctx ctx = {props, n};
  apply_props(&ctx, NULL, root, NULL);
}

fl_code fl_table_set_properties(fl_table *tbl, const fl_kv *props, uint32_t n, fl_err *err) {
  for (uint32_t i = 0; i < n; i++)
    if (!props[i].key || !props[i].key[0])
      return fl_err_set(err, FL_EINVAL, "table %s.%s: empty property key", tbl->ns, tbl->name);
  props_ctx ctx = {props, n};
  return fl_tbl_commit(tbl, apply_props, &ctx, err);
}
