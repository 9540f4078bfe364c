/* parquet: floe's own Parquet writer and reader (DESIGN §2, REFERENCE/iceberg_parquet.md §5).
 *
 * Writer: batches in, one file out. Columns are encoded per row group into v1 data
 * pages (~1 MiB or 10,000 rows), RLE_DICTIONARY with a PLAIN dictionary page, falling back to PLAIN
 * when the dictionary passes dict_bytes_max; definition levels RLE/bit-packed for
 * optional columns; ZSTD (default) or SNAPPY or none. Every schema element carries the
 * Iceberg field id, logical and converted types; the footer has min/max/null-count
 * statistics, column orders, and the key/value pairs given (e.g. iceberg.schema).
 * A row group is flushed when its buffered encoded bytes pass row_group_bytes. The page
 * index (ColumnIndex + OffsetIndex) follows the row groups.
 *
 * Reader: opens a file, parses the footer (bounds-checked: a corrupt or truncated
 * file gives FL_ECORRUPT with the file name and what is wrong, never a crash), and
 * decodes row groups into batches of the caller's schema, matching columns by field
 * id (a field id missing from the file reads as nulls; a narrower physical type is
 * widened: int -> long, float -> double, decimal precision up). Row groups can be
 * skipped by their statistics before any page is read, and pages by the page index
 * (fl_parquet_reader_pages, fl_parquet_rg_cursor_select).
 *
 * Files floe did not write: pages v1 and v2; PLAIN, dictionary, RLE booleans,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT; codecs NONE,
 * SNAPPY, ZSTD, GZIP; TIMESTAMP millis/nanos scaled to micros. A file without any
 * field id gets ids by column position (1, 2, ...), as Java Iceberg's fallback ids.
 * Nested columns, FIXED_LEN_BYTE_ARRAY and INT96 are left out of the reader's
 * schema or refused (FL_EUNSUPPORTED).
 *
 * Threads: a writer or reader is used by one thread at a time.
 *
 * Ownership: the writer/reader own their buffers; batches passed in are borrowed;
 * batches filled by the reader belong to the caller. Stats returned by close/footer
 * point into memory owned by the writer/reader until it is freed. */
#ifndef FL_FORMAT_PARQUET_H
#define FL_FORMAT_PARQUET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/err.h"
#include "core/types.h"
#include "core/value.h"

typedef enum fl_codec { FL_CODEC_NONE = 0, FL_CODEC_SNAPPY = 1, FL_CODEC_ZSTD = 6 } fl_codec;

typedef struct fl_kv {
  const char *key;
  const char *value;
} fl_kv;

typedef struct fl_parquet_opts {
  fl_codec codec;           /* default FL_CODEC_ZSTD */
  int zstd_level;           /* default 3 */
  uint64_t row_group_bytes; /* default FL_PARQUET_ROW_GROUP_BYTES */
  uint32_t page_bytes;      /* default FL_PARQUET_PAGE_BYTES */
  uint32_t page_rows;       /* rows per page at most, default FL_PARQUET_PAGE_ROWS (0: 65,536) */
  uint32_t dict_bytes_max;  /* default FL_PARQUET_DICT_BYTES_MAX; 0 = never dictionary */
  const fl_kv *kv;          /* extra footer key/value metadata (copied) */
  uint32_t nkv;
  bool defer_sync;      /* close starts the disk write (sync_file_range) and leaves the fdatasync to
                           the caller (the table appender syncs a commit's files together:
                           fl_fdatasync_paths) */
  uint8_t *unique_hint; /* optional, one byte per column, shared by the files one task writes
                           one after another (never by two writers at once): the writer sets a
                           column's byte when its dictionary trial finds it near-unique and
                           clears it when it keeps a dictionary; a chunk of a marked column
                           goes PLAIN at its first TRIAL_HINT_SAMPLE values if none repeats */
} fl_parquet_opts;

void fl_parquet_opts_default(fl_parquet_opts *opts);

/* Per-column facts of one file or row group, as Iceberg's manifest wants them. */
typedef struct fl_column_stats {
  int32_t field_id;
  uint64_t compressed_bytes; /* column chunk bytes on disk, page headers included */
  uint64_t value_count;      /* values including nulls */
  uint64_t null_count;
  bool has_bounds; /* false when every value is null */
  fl_value min;    /* typed as the column; strings point into the owner */
  fl_value max;
} fl_column_stats;

typedef struct fl_parquet_file_info {
  uint64_t file_bytes; /* exact size of the file */
  uint64_t num_rows;
  uint32_t ncols;
  fl_column_stats *cols; /* ncols entries, schema order */
  uint32_t nrow_groups;
  uint64_t *row_group_offsets; /* Iceberg split_offsets */
} fl_parquet_file_info;

typedef struct fl_parquet_writer fl_parquet_writer;

/* Creates path (O_EXCL). The schema is borrowed until close. */
fl_code fl_parquet_writer_open(const char *path, const fl_schema *schema, const fl_parquet_opts *opts,
                               fl_parquet_writer **out, fl_err *err);
/* Appends the batch's rows; columns in schema order, types equal to the schema. */
fl_code fl_parquet_writer_write(fl_parquet_writer *pw, const fl_batch *batch, fl_err *err);
/* Writes the batch rows rows[from .. from + n) in that order (each < batch->nrows), or
 * rows from .. from + n when rows is NULL: a partition's rows straight from the batch,
 * not gathered into another first. */
fl_code fl_parquet_writer_write_rows(fl_parquet_writer *pw, const fl_batch *batch, const uint32_t *rows,
                                     uint32_t from, uint32_t n, fl_err *err);
/* Encoded bytes so far (flushed + buffered): callers roll files by size. */
uint64_t fl_parquet_writer_bytes(const fl_parquet_writer *pw);
uint64_t fl_parquet_writer_rows(const fl_parquet_writer *pw);
/* Bytes written and compressed so far: the flushed row groups and the current one's
 * finished pages (its open pages and dictionaries not counted): a lower bound of the
 * file's size, where fl_parquet_writer_bytes counts the open pages uncompressed. */
uint64_t fl_parquet_writer_bytes_compressed(const fl_parquet_writer *pw);
/* Flushes, writes the footer, fdatasyncs and closes the file. info stays valid until
 * fl_parquet_writer_free. */
fl_code fl_parquet_writer_close(fl_parquet_writer *pw, const fl_parquet_file_info **info, fl_err *err);
/* Frees the writer; if not closed, closes and unlinks the partial file. */
void fl_parquet_writer_free(fl_parquet_writer *pw);

typedef struct fl_parquet_reader fl_parquet_reader;

fl_code fl_parquet_reader_open(const char *path, fl_parquet_reader **out, fl_err *err);
/* Same, over bytes in memory (borrowed; used by the fuzz targets). name is for messages. */
fl_code fl_parquet_reader_open_mem(const uint8_t *data, uint64_t len, const char *name,
                                   fl_parquet_reader **out, fl_err *err);
void fl_parquet_reader_free(fl_parquet_reader *pr);

/* The file's schema as fl_fields (field ids from the file; names as written). */
const fl_schema *fl_parquet_reader_schema(const fl_parquet_reader *pr);
uint64_t fl_parquet_reader_num_rows(const fl_parquet_reader *pr);
uint32_t fl_parquet_reader_row_groups(const fl_parquet_reader *pr);
uint64_t fl_parquet_reader_row_group_rows(const fl_parquet_reader *pr, uint32_t rg);
/* Statistics of one column (by field id) in one row group; false if the column is
 * absent or has no statistics. */
bool fl_parquet_reader_row_group_stats(const fl_parquet_reader *pr, uint32_t rg, int32_t field_id,
                                       fl_column_stats *out);
/* Facts of one column chunk as stored (for tests, `floe describe` and debugging):
 * the codec and encodings are Parquet's on-disk codes (format/parquet_wire.h). */
typedef struct fl_parquet_chunk_info {
  int32_t codec;
  uint32_t nencodings;
  int32_t encodings[8]; /* the first 8 listed */
  uint64_t data_page_offset;
  uint64_t dictionary_page_offset; /* 0 when there is no dictionary page */
  uint64_t total_compressed_bytes;
  uint64_t num_values;
} fl_parquet_chunk_info;
/* false if rg is out of range or the field id is not a column of the file. */
bool fl_parquet_reader_chunk_info(const fl_parquet_reader *pr, uint32_t rg, int32_t field_id,
                                  fl_parquet_chunk_info *out);
/* One data page of a column chunk, from the file's page index (Parquet PageIndex.md):
 * the OffsetIndex gives where it is and its rows, the ColumnIndex (if written) its
 * bounds. Bounds are the column's type, as fl_parquet_reader_row_group_stats gives
 * them; strings point into the file bytes. */
typedef struct fl_parquet_page {
  uint64_t offset;    /* file offset of its page header */
  uint32_t bytes;     /* header + compressed body */
  uint64_t first_row; /* in the row group */
  uint64_t rows;
  bool has_index;  /* the chunk has a ColumnIndex: null_page and the bounds below are known */
  bool null_page;  /* every value null */
  bool has_bounds; /* min and max hold (false for a null page, or bounds not in the type order) */
  bool has_null_count;
  uint64_t null_count;
  fl_value min, max;
} fl_parquet_page;
/* The pages of one column (by field id) of row group rg: *n = 0 when the chunk has no
 * OffsetIndex (or the column is absent). A page index that is malformed or does not
 * fit the chunk is FL_ECORRUPT. Parsed on first use; the array lives with the reader. */
fl_code fl_parquet_reader_pages(fl_parquet_reader *pr, uint32_t rg, int32_t field_id,
                                const fl_parquet_page **pages, uint32_t *n, fl_err *err);
/* True if the file carries no Parquet field ids: its columns then have ids 1, 2, ...
 * by position (Java's fallback ids), which a table must not trust (table/scan.c maps
 * them by the table's name mapping instead, or refuses the file). */
bool fl_parquet_reader_ids_by_position(const fl_parquet_reader *pr);
/* For such a file only: gives each top-level column the id of the name that equals
 * its name (names[i] -> ids[i]); a column no name matches gets no id (reads as absent,
 * so null). Ids must be unique (the caller's mapping guarantees it). */
void fl_parquet_reader_map_names(fl_parquet_reader *pr, const char *const *names, const int32_t *ids,
                                 uint32_t n);
/* Footer key/value metadata; NULL if absent. */
const char *fl_parquet_reader_kv(const fl_parquet_reader *pr, const char *key);

/* Decodes row group rg into batches of `schema` (the caller's, matched by field id),
 * calling emit once per batch of at most FL_BATCH_ROWS rows; the batch is reused
 * between calls. `first_row` passed to emit is the row's ordinal in the file (for
 * position deletes). A non-zero return from emit stops the read and is returned. */
typedef int (*fl_parquet_emit_fn)(void *ctx, const fl_batch *batch, uint64_t first_row);
fl_code fl_parquet_reader_read_row_group(fl_parquet_reader *pr, uint32_t rg, const fl_schema *schema,
                                         fl_parquet_emit_fn emit, void *ctx, fl_err *err);

/* The same, pulled a batch at a time (table/scan.c's iterator): open decodes nothing
 * yet; each next sets *out to the next batch of at most FL_BATCH_ROWS rows and
 * *first_row to its first row's ordinal in the file, or *out = NULL at the end. The
 * batch belongs to the cursor and is reused by the next call. schema and pr are
 * borrowed and must outlive the cursor. */
typedef struct fl_parquet_rg_cursor fl_parquet_rg_cursor;
fl_code fl_parquet_rg_cursor_open(fl_parquet_reader *pr, uint32_t rg, const fl_schema *schema,
                                  fl_parquet_rg_cursor **out, fl_err *err);
fl_code fl_parquet_rg_cursor_next(fl_parquet_rg_cursor *cur, const fl_batch **out, uint64_t *first_row,
                                  fl_err *err);
void fl_parquet_rg_cursor_free(fl_parquet_rg_cursor *cur);
/* Restricts the cursor, before its first next, to the rows [ranges[2i], ranges[2i+1])
 * of the row group (n ranges, ascending, disjoint, non-empty): batches then hold rows of
 * one range each (first_row says where), and a column's pages holding no selected row
 * are jumped over by the chunk's offset index, never decompressed (a column without
 * one decodes and drops the rows between). A schema with a nested column ignores the
 * selection (every row is read). FL_ECORRUPT if a page index is malformed. */
fl_code fl_parquet_rg_cursor_select(fl_parquet_rg_cursor *cur, const uint64_t *ranges, uint32_t n,
                                    fl_err *err);
/* Asks, before the first next, for STRING and JSON columns in dictionary form (core/
 * batch.h): the batches' vectors of those columns hold codes into the column chunk's
 * dictionary (borrowed from the cursor, valid until it moves to another row group or is
 * freed) wherever every page of the batch's rows is dictionary-encoded; a batch that
 * reaches a page of another encoding (a writer's fallback to PLAIN) is flat. */
void fl_parquet_rg_cursor_keep_dicts(fl_parquet_rg_cursor *cur);
/* Data pages the cursor decoded and jumped over so far, all columns together. */
void fl_parquet_rg_cursor_pages(const fl_parquet_rg_cursor *cur, uint64_t *read, uint64_t *skipped);

#endif
