/* types: names of floe's types in SQL and Iceberg, and the schema lookups. */
#include "core/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"

const char *fl_type_sql_name(fl_type_kind kind) {
  switch (kind) {
    case FL_T_BOOLEAN: return "BOOLEAN";
    case FL_T_INT: return "INT";
    case FL_T_BIGINT: return "BIGINT";
    case FL_T_FLOAT: return "REAL";
    case FL_T_DOUBLE: return "DOUBLE";
    case FL_T_DECIMAL: return "DECIMAL";
    case FL_T_DATE: return "DATE";
    case FL_T_TIMESTAMP: return "TIMESTAMP";
    case FL_T_STRING: return "STRING";
    case FL_T_JSON: return "JSON";
    case FL_T_TIME: return "TIME";
    case FL_T_UUID: return "UUID";
    case FL_T_BINARY: return "BINARY";
    case FL_T_FIXED: return "FIXED";
    case FL_T_TIMESTAMP_NS: return "TIMESTAMP_NS";
  }
  return "?";
}

void fl_type_iceberg_name(fl_type type, char *out, size_t out_size) {
  const char *s = "?";
  switch (type.kind) {
    case FL_T_BOOLEAN: s = "boolean"; break;
    case FL_T_INT: s = "int"; break;
    case FL_T_BIGINT: s = "long"; break;
    case FL_T_FLOAT: s = "float"; break;
    case FL_T_DOUBLE: s = "double"; break;
    case FL_T_DECIMAL: snprintf(out, out_size, "decimal(%u, %u)", type.precision, type.scale); return;
    case FL_T_DATE: s = "date"; break;
    case FL_T_TIMESTAMP: s = "timestamp"; break;
    case FL_T_TIMESTAMP_NS: s = "timestamp_ns"; break;
    case FL_T_STRING:
    case FL_T_JSON: s = "string"; break;
    case FL_T_TIME: s = "time"; break;
    case FL_T_UUID: s = "uuid"; break;
    case FL_T_BINARY: s = "binary"; break;
    case FL_T_FIXED: snprintf(out, out_size, "fixed[%u]", type.length); return;
  }
  snprintf(out, out_size, "%s", s);
}

bool fl_type_from_iceberg(const char *s, fl_type *type) {
  static const struct {
    const char *name;
    fl_type_kind kind;
  } prims[] = {
      {"boolean", FL_T_BOOLEAN},
      {"int", FL_T_INT},
      {"long", FL_T_BIGINT},
      {"float", FL_T_FLOAT},
      {"double", FL_T_DOUBLE},
      {"date", FL_T_DATE},
      {"timestamp", FL_T_TIMESTAMP},
      {"timestamptz", FL_T_TIMESTAMP},
      {"string", FL_T_STRING},
      {"time", FL_T_TIME},
      {"uuid", FL_T_UUID},
      {"binary", FL_T_BINARY},
      {"timestamp_ns", FL_T_TIMESTAMP_NS},
      {"timestamptz_ns", FL_T_TIMESTAMP_NS},
  };
  for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
    if (!strcmp(s, prims[i].name)) {
      *type = (fl_type){prims[i].kind, 0, 0};
      return true;
    }
  }
  unsigned p, sc;
  if (!strncmp(s, "fixed[", 6)) { /* fixed[L] */
    char *end;
    unsigned long len = strtoul(s + 6, &end, 10);
    if (end == s + 6 || strcmp(end, "]") != 0 || len == 0 || len > FL_FIXED_LENGTH_MAX) return false;
    *type = (fl_type){FL_T_FIXED, 0, 0, (uint32_t)len};
    return true;
  }
  if (sscanf(s, "decimal(%u ,%u)", &p, &sc) == 2 || sscanf(s, "decimal(%u, %u)", &p, &sc) == 2) {
    if (p == 0 || p > FL_DECIMAL_PRECISION_MAX || sc > p) return false;
    *type = (fl_type){FL_T_DECIMAL, (uint8_t)p, (uint8_t)sc};
    return true;
  }
  return false;
}

unsigned fl_type_width(fl_type_kind kind) {
  switch (kind) {
    case FL_T_BOOLEAN: return 1;
    case FL_T_INT:
    case FL_T_DATE:
    case FL_T_FLOAT: return 4;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_DECIMAL:
    case FL_T_DOUBLE: return 8;
    case FL_T_TIME: return 8;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: return 0;
  }
  return 0;
}

unsigned fl_type_bytes(fl_type type) {
  if (type.kind == FL_T_DECIMAL && type.precision > 18) return 16;
  return fl_type_width(type.kind);
}

bool fl_type_can_widen(fl_type from, fl_type to) {
  if (fl_type_equal(from, to)) return true;
  if (from.kind == FL_T_INT && to.kind == FL_T_BIGINT) return true;
  if (from.kind == FL_T_FLOAT && to.kind == FL_T_DOUBLE) return true;
  if (from.kind == FL_T_DECIMAL && to.kind == FL_T_DECIMAL)
    return to.scale == from.scale && to.precision >= from.precision;
  return false;
}

const fl_field *fl_schema_field_by_id(const fl_schema *schema, int32_t id) {
  int i = fl_schema_index_of_id(schema, id);
  return i < 0 ? NULL : &schema->fields[i];
}

const fl_field *fl_schema_field_by_name(const fl_schema *schema, const char *name) {
  for (uint32_t i = 0; i < schema->nfields; i++)
    if (!strcmp(schema->fields[i].name, name)) return &schema->fields[i];
  return NULL;
}

int fl_schema_index_of_id(const fl_schema *schema, int32_t id) {
  for (uint32_t i = 0; i < schema->nfields; i++)
    if (schema->fields[i].id == id) return (int)i;
  return -1;
}

static int32_t nested_max_id(const fl_nested *n) {
  int32_t max = n->id;
  for (uint32_t i = 0; i < n->nchild; i++) {
    int32_t m = nested_max_id(&n->child[i]);
    if (m > max) max = m;
  }
  return max;
}

int32_t fl_schema_max_id(const fl_schema *schema) {
  int32_t max = 0;
  for (uint32_t i = 0; i < schema->nfields; i++) {
    if (schema->fields[i].id > max) max = schema->fields[i].id;
    if (schema->fields[i].nested) {
      int32_t m = nested_max_id(schema->fields[i].nested);
      if (m > max) max = m;
    }
  }
  return max;
}
