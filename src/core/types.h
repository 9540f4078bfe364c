/* types: floe's column types (DESIGN §3) and schemas, shared by the batch, Parquet,
 * Iceberg and SQL layers.
 *
 *   floe SQL    fl_type_kind     Iceberg         batch storage (fl_vec)
 *   BOOLEAN     FL_T_BOOLEAN     boolean         u8 (0/1)
 *   INT         FL_T_INT         int             i32
 *   BIGINT      FL_T_BIGINT      long            i64
 *   REAL        FL_T_FLOAT       float           f32
 *   DOUBLE      FL_T_DOUBLE      double          f64
 *   DECIMAL(p,s) FL_T_DECIMAL    decimal(p,s)    i64 unscaled (p <= 18),
 *                                                i128 unscaled (19 <= p <= 38)
 *   DATE        FL_T_DATE        date            i32 days since epoch
 *   TIMESTAMP   FL_T_TIMESTAMP   timestamp       i64 micros since epoch, UTC
 *   STRING      FL_T_STRING      string          offsets (u32, n+1) + bytes
 *   JSON        FL_T_JSON        string          as STRING (the text is kept)
 *   TIME        FL_T_TIME        time            i64 micros since midnight
 *   UUID        FL_T_UUID        uuid            as STRING: 16 bytes, big-endian
 *   BINARY      FL_T_BINARY      binary          as STRING: the bytes
 *   FIXED(L)    FL_T_FIXED       fixed[L]        as STRING: L bytes (length = L)
 *   TIMESTAMP_NS FL_T_TIMESTAMP_NS timestamp_ns  i64 nanos since epoch, UTC (v3 tables,
 *                                                read only: floe commits no v3 table)
 *
 * TIME, UUID, BINARY and FIXED come from tables written elsewhere (DESIGN §3's
 * dialect has none of them): floe reads them, prints them as JSON strings
 * ("12:30:00.000001", canonical 8-4-4-4-12 UUIDs, "\x0aff" hex bytes as PostgreSQL's
 * bytea), compares them, and writes them back in Parquet (compact, delete).
 *
 * DECIMAL precision goes up to 38 digits (FL_DECIMAL_PRECISION_MAX, Iceberg's and
 * Parquet's limit): precision <= 18 is stored as int64, wider as a 128-bit integer
 * (core/decimal.h reads either).
 * A field's id is its Iceberg field id: stable across renames. */
#ifndef FL_CORE_TYPES_H
#define FL_CORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum fl_type_kind {
  FL_T_BOOLEAN = 1,
  FL_T_INT,
  FL_T_BIGINT,
  FL_T_FLOAT,
  FL_T_DOUBLE,
  FL_T_DECIMAL,
  FL_T_DATE,
  FL_T_TIMESTAMP,
  FL_T_STRING,
  FL_T_JSON,
  FL_T_TIME,
  FL_T_UUID,
  FL_T_BINARY,
  FL_T_FIXED,
  FL_T_TIMESTAMP_NS, /* Iceberg v3 timestamp_ns / timestamptz_ns: i64 nanos, UTC */
} fl_type_kind;

enum { FL_DECIMAL_PRECISION_MAX = 38 };

typedef struct fl_type {
  fl_type_kind kind;
  uint8_t precision; /* DECIMAL only */
  uint8_t scale;     /* DECIMAL only */
  uint32_t length;   /* FIXED only: bytes per value */
} fl_type;

/* An Iceberg struct, list or map column of a table written elsewhere: floe reads it as
 * a JSON column (the value's JSON text, assembled from the Parquet leaves by field id)
 * and never writes it. The tree mirrors the Iceberg type: a struct's children are its
 * fields, a list's one child its element, a map's two children key and value; `id` is
 * the Iceberg field id (element-id, key-id, value-id for those), `prim` a leaf's type. */
typedef enum fl_nested_kind {
  FL_NESTED_PRIM,
  FL_NESTED_STRUCT,
  FL_NESTED_LIST,
  FL_NESTED_MAP
} fl_nested_kind;
typedef struct fl_nested {
  fl_nested_kind kind;
  int32_t id;
  const char *name; /* struct field name ("element", "key", "value" otherwise) */
  bool required;
  fl_type prim;
  uint32_t nchild;
  const struct fl_nested *child;
  const char *iceberg_json; /* the root only: the type's JSON text, written back as it was */
} fl_nested;

typedef struct fl_field {
  int32_t id; /* Iceberg field id, > 0 */
  const char *name;
  fl_type type;
  bool required;           /* NOT NULL */
  const fl_nested *nested; /* NULL, or (type JSON) the Iceberg struct/list/map it holds */
} fl_field;

/* A schema is an array of top-level fields. Nested types are not needed yet.
 * Memory: whoever builds the schema owns fields and names (usually an arena). */
typedef struct fl_schema {
  int32_t schema_id;
  uint32_t nfields;
  fl_field *fields;
  uint32_t nidentifier; /* Iceberg identifier-field-ids (the key) */
  int32_t *identifier_ids;
} fl_schema;

const char *fl_type_sql_name(fl_type_kind kind); /* "BIGINT" */
/* Writes "decimal(12,2)", "long", "timestamp", ... : the Iceberg JSON type string. */
void fl_type_iceberg_name(fl_type type, char *out, size_t out_size);
/* Parses an Iceberg type string; false if unknown. */
bool fl_type_from_iceberg(const char *s, fl_type *type);
/* Storage width in bytes of a fixed-width value, 0 for STRING/JSON. */
unsigned fl_type_width(fl_type_kind kind);
/* Storage width of one value of this type in a vector: as fl_type_width, except
 * 16 for a DECIMAL wider than 18 digits. */
unsigned fl_type_bytes(fl_type type);
static inline bool fl_type_is_string(fl_type_kind k) { return k == FL_T_STRING || k == FL_T_JSON; }
/* Stored as offsets + bytes in a vector (strings and the byte types). */
static inline bool fl_type_is_bytes(fl_type_kind k) {
  return k == FL_T_STRING || k == FL_T_JSON || k == FL_T_UUID || k == FL_T_BINARY || k == FL_T_FIXED;
}
static inline bool fl_type_equal(fl_type a, fl_type b) {
  return a.kind == b.kind && a.precision == b.precision && a.scale == b.scale && a.length == b.length;
}
/* Iceberg's allowed promotions: int->long, float->double, decimal(p,s)->decimal(p',s) p'>=p. */
bool fl_type_can_widen(fl_type from, fl_type to);

const fl_field *fl_schema_field_by_id(const fl_schema *schema, int32_t id);
const fl_field *fl_schema_field_by_name(const fl_schema *schema, const char *name);
int fl_schema_index_of_id(const fl_schema *schema, int32_t id); /* -1 if absent */
int32_t fl_schema_max_id(const fl_schema *schema);              /* nested field ids included */

#endif
