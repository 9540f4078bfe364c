/* csv_load: CSV and Parquet files -> columnar batches of a table's schema, for
 * `floe load` (its NDJSON sibling is ndjson_load.h; the batches go to the same emit).
 *
 * CSV (RFC 4180): the first record is a header naming the columns; the others are
 * rows. Fields are separated by ',' and may be quoted with '"' ("" is a quote inside;
 * a quoted field may hold commas and newlines); a record ends at LF or CRLF. Header
 * names match schema columns exactly, else ignoring case; a schema column the header
 * lacks reads NULL (refused if NOT NULL); a header name that is no column is refused
 * ("--unknown-fields ignore" skips it). Values take the column's type:
 *   empty and unquoted      NULL (as DuckDB reads it); "" is an empty STRING
 *   INT, BIGINT             decimal integers in range
 *   DECIMAL(p,s)            exact ("12.5" into (10,2)), never rounded
 *   FLOAT, DOUBLE           strtod's numbers
 *   BOOLEAN                 true/false, t/f, 1/0, yes/no (any case)
 *   DATE, TIMESTAMP         ISO 8601 (core/time.h)
 *   STRING                  as is (valid UTF-8); JSON: a valid JSON text
 * The first bad record fails the load, naming the file, its line and the column:
 *   products.csv:17: column price: expected DECIMAL(10,2), found "abc"
 *
 * Parquet: the file's columns are matched to the schema's by name (exactly, else
 * ignoring case), read with format/parquet_read.c and widened where Iceberg allows
 * (int -> bigint, float -> double, decimal precision up); a type that does not fit is
 * refused naming the column and both types. fl_cli_parquet_schema gives a file's own
 * columns, for a load that creates its table from the file.
 *
 * Memory: each read owns its buffers and batch (reused per batch_rows rows); the
 * schema must outlive the call. */
#ifndef FL_CLI_CSV_LOAD_H
#define FL_CLI_CSV_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/ndjson_load.h"
#include "core/batch.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/types.h"

/* Reads a CSV file with a header into batches of schema (at most batch_rows rows),
 * emitting each; *rows counts the rows. source names the input in messages. */
fl_code fl_cli_csv_read(const fl_schema *schema, const char *source, FILE *in, uint32_t batch_rows,
                        bool unknown_ignore, fl_ndjson_emit_fn emit, void *ctx, uint64_t *rows, fl_err *err);

/* Reads every row of a Parquet file into batches of schema; as above. */
fl_code fl_cli_parquet_read(const fl_schema *schema, const char *path, bool unknown_ignore,
                            fl_ndjson_emit_fn emit, void *ctx, uint64_t *rows, fl_err *err);

/* The columns of a Parquet file (names and types as floe reads them, ids 1..n, NOT
 * NULL where the file says required), in arena; FL_EUNSUPPORTED for a column floe
 * cannot hold. */
fl_code fl_cli_parquet_schema(const char *path, fl_arena *arena, fl_schema *out, fl_err *err);

#endif
