/* types: floe's column types (DESIGN §3) and schemas, shared by the batch, Parquet,
 * Iceberg and SQL layers.
 *
 *   floe SQL    fl_type_kind     Iceberg         batch storage (fl_vec)
 *   BOOLEAN     FL_T_BOOLEAN     boolean         u8 (0/1)
 *   INT         FL_T_INT         int             i32
 *   BIGINT      FL_T_BIGINT      long            i64
 *   REAL        FL_T_FLOAT       float           f32
 *   DOUBLE      FL_T_DOUBLE      double          f64
 *   DECIMAL(p,s) FL_T_DECIMAL    decimal(p,s)    i64 unscaled (p <= 18)
 *   DATE        FL_T_DATE        date            i32 days since epoch
 *   TIMESTAMP   FL_T_TIMESTAMP   timestamp       i64 micros since epoch, UTC
 *   STRING      FL_T_STRING      string          offsets (u32, n+1) + bytes
 *   JSON        FL_T_JSON        string          as STRING (the text is kept)
 *   TIMESTAMP_NS FL_T_TIMESTAMP_NS timestamp_ns  i64 nanos since epoch, UTC (v3 tables,
 *                                                read only: floe commits no v3 table)
 *
 * DECIMAL precision is limited to 18 digits for now (FL_DECIMAL_PRECISION_MAX):
 * enough for money; wider decimals need 128-bit storage, a later change.
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
  FL_T_TIMESTAMP_NS, /* Iceberg v3 timestamp_ns / timestamptz_ns: i64 nanos, UTC */
} fl_type_kind;

enum { FL_DECIMAL_PRECISION_MAX = 18 };

typedef struct fl_type {
  fl_type_kind kind;
  uint8_t precision; /* DECIMAL only */
  uint8_t scale;     /* DECIMAL only */
} fl_type;

typedef struct fl_field {
  int32_t id; /* Iceberg field id, > 0 */
  const char *name;
  fl_type type;
  bool required; /* NOT NULL */
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
static inline bool fl_type_is_string(fl_type_kind k) { return k == FL_T_STRING || k == FL_T_JSON; }
static inline bool fl_type_equal(fl_type a, fl_type b) {
  return a.kind == b.kind && a.precision == b.precision && a.scale == b.scale;
}
/* Iceberg's allowed promotions: int->long, float->double, decimal(p,s)->decimal(p',s) p'>=p. */
bool fl_type_can_widen(fl_type from, fl_type to);

const fl_field *fl_schema_field_by_id(const fl_schema *schema, int32_t id);
const fl_field *fl_schema_field_by_name(const fl_schema *schema, const char *name);
int fl_schema_index_of_id(const fl_schema *schema, int32_t id); /* -1 if absent */
int32_t fl_schema_max_id(const fl_schema *schema);

#endif
