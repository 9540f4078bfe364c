/* manifest: Iceberg v2 manifests and manifest lists, as Avro container files written
 * by floe's own Avro encoder (format/avro.h), since Avro C's writer drops the field
 * ids and file metadata keys Iceberg needs (REFERENCE/iceberg_parquet.md §2, §7).
 *
 * A manifest lists data files (content 0) or delete files (content 1 position,
 * 2 equality) of one partition spec, with their partition values and column metrics.
 * A manifest list lists a snapshot's manifests with partition summaries.
 * Both are written with every field and field-id of the spec's v2 schemas and the
 * metadata keys schema, partition-spec, partition-spec-id, format-version, content.
 * Codec: deflate (readable by icebird, Java, pyiceberg, DuckDB).
 *
 * Readers accept manifests written by other engines (Java, pyiceberg): fields are
 * found by name, unknown fields skipped, codecs null and deflate (zstd/snappy too).
 * Ownership: read results live in the arena passed in. */
#ifndef FL_FORMAT_MANIFEST_H
#define FL_FORMAT_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/types.h"
#include "core/value.h"

/* One field of a partition spec. result_type is the transform's result type
 * (identity: the source type; day: DATE; hour/bucket: INT; truncate: source). */
typedef struct fl_partition_field {
  int32_t source_id;
  int32_t field_id;      /* 1000, 1001, ... */
  const char *name;      /* "event_time_day" */
  const char *transform; /* "identity", "day", "hour", "bucket[16]", "truncate[4]" */
  fl_type result_type;
} fl_partition_field;

typedef enum fl_file_content {
  FL_CONTENT_DATA = 0,
  FL_CONTENT_POSITION_DELETES = 1,
  FL_CONTENT_EQUALITY_DELETES = 2,
} fl_file_content;

/* Iceberg metrics of one column in one file; bounds in Iceberg's single-value
 * serialization (fl_value_to_iceberg_bytes). */
typedef struct fl_file_column {
  int32_t field_id;
  int64_t column_size;      /* -1 = absent */
  int64_t value_count;      /* -1 = absent */
  int64_t null_value_count; /* -1 = absent */
  const uint8_t *lower;     /* NULL = absent */
  uint32_t lower_len;
  const uint8_t *upper;
  uint32_t upper_len;
} fl_file_column;

typedef struct fl_data_file {
  fl_file_content content;
  const char *file_path;   /* absolute URI, "file:///..." */
  const char *file_format; /* "PARQUET" */
  fl_value *partition;     /* one per spec field, typed by result_type */
  uint32_t npartition;
  int64_t record_count;
  int64_t file_size_in_bytes;
  fl_file_column *cols;
  uint32_t ncols;
  int64_t *split_offsets;
  uint32_t nsplit_offsets;
  int32_t *equality_ids; /* content 2 only */
  uint32_t nequality_ids;
  int32_t sort_order_id;            /* -1 = absent */
  const char *referenced_data_file; /* position deletes against one file; NULL = absent */
  /* v3 deletion vector (file_format PUFFIN): the blob's byte range in the file; -1 = absent.
   * Read only: the writer ignores them (floe refuses commits to v3 tables). */
  int64_t content_offset;
  int64_t content_size_in_bytes;
} fl_data_file;

typedef enum fl_entry_status {
  FL_ENTRY_EXISTING = 0,
  FL_ENTRY_ADDED = 1,
  FL_ENTRY_DELETED = 2
} fl_entry_status;

typedef struct fl_manifest_entry {
  fl_entry_status status;
  int64_t snapshot_id;          /* -1 = null (inherit from the manifest list) */
  int64_t sequence_number;      /* -1 = null (inherit) */
  int64_t file_sequence_number; /* -1 = null (inherit) */
  fl_data_file file;
} fl_manifest_entry;

/* What the writer needs to know about the table. JSON strings are written verbatim
 * into the file metadata (schema = the table schema JSON, partition_spec = the JSON
 * array of the spec's fields). */
typedef struct fl_manifest_meta {
  const char *schema_json;
  const char *partition_spec_json;
  int32_t spec_id;
  const fl_partition_field *spec_fields;
  uint32_t nspec_fields;
  fl_file_content content; /* 0 data manifest, 1 delete manifest (any delete content) */
} fl_manifest_meta;

/* Partition summary of one partition field across a manifest's files. */
typedef struct fl_field_summary {
  bool contains_null;
  bool contains_nan;    /* written as false: floe never partitions by float */
  const uint8_t *lower; /* Iceberg single-value bytes; NULL = absent */
  uint32_t lower_len;
  const uint8_t *upper;
  uint32_t upper_len;
} fl_field_summary;

/* One row of a manifest list. */
typedef struct fl_manifest_file {
  const char *manifest_path;
  int64_t manifest_length;
  int32_t partition_spec_id;
  int32_t content; /* 0 data, 1 deletes */
  int64_t sequence_number;
  int64_t min_sequence_number;
  int64_t added_snapshot_id;
  int32_t added_files_count, existing_files_count, deleted_files_count;
  int64_t added_rows_count, existing_rows_count, deleted_rows_count;
  fl_field_summary *partitions;
  uint32_t npartitions;
} fl_manifest_file;

/* Writes a manifest of n entries at path; fills *out (path copied into arena) with
 * length, counts and partition summaries, ready for the manifest list; the caller
 * sets sequence numbers and added_snapshot_id. fsyncs the file.
 * out->sequence_number and added_snapshot_id are left -1; out->min_sequence_number
 * is the lowest explicit data sequence number of the live (not DELETED) entries, or
 * -1 when all inherit (the caller then takes min(it, the snapshot's sequence number)).
 * EXISTING and DELETED entries must carry explicit sequence numbers (FL_EINVAL). */
fl_code fl_manifest_write(const char *path, const fl_manifest_meta *meta, const fl_manifest_entry *entries,
                          uint32_t n, fl_arena *arena, fl_manifest_file *out, fl_err *err);
/* Reads a manifest. Partition value types come from the Avro types of the file's
 * r102 fields (int -> INT, int/date -> DATE, long -> BIGINT, long/timestamp-micros ->
 * TIMESTAMP, string -> STRING, bytes|fixed/decimal(p<=18) -> DECIMAL, ...); types
 * floe cannot hold (uuid, fixed, binary, time, wide decimals) give FL_EUNSUPPORTED.
 * Absent or null optional fields read as -1 / NULL / 0 elements. */
fl_code fl_manifest_read(const char *path, fl_arena *arena, fl_manifest_entry **entries, uint32_t *n,
                         fl_err *err);

fl_code fl_manifest_list_write(const char *path, int64_t snapshot_id,
                               int64_t parent_snapshot_id /* -1 none */, int64_t sequence_number,
                               const fl_manifest_file *files, uint32_t n, fl_err *err);
/* Absent (v1) fields read as: content 0, sequence numbers 0, counts -1; null
 * partitions as npartitions 0. */
fl_code fl_manifest_list_read(const char *path, fl_arena *arena, fl_manifest_file **files, uint32_t *n,
                              fl_err *err);

/* Same readers over bytes in memory (fuzz targets); name is for messages. */
fl_code fl_manifest_read_mem(const uint8_t *data, size_t len, const char *name, fl_arena *arena,
                             fl_manifest_entry **entries, uint32_t *n, fl_err *err);
fl_code fl_manifest_list_read_mem(const uint8_t *data, size_t len, const char *name, fl_arena *arena,
                                  fl_manifest_file **files, uint32_t *n, fl_err *err);

#endif
