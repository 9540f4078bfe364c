/* ndjson_load: NDJSON text -> columnar batches of a given schema, for `floe load`.
 *
 * One JSON object per line; fields are matched to columns by name, a missing field
 * or a JSON null is a null, unknown fields are ignored, empty lines are skipped.
 * Conversion is strict (a string is never taken as a number):
 *
 *   column type      JSON accepted
 *   BOOLEAN          true, false
 *   INT, BIGINT      integers in range
 *   REAL, DOUBLE     numbers
 *   DECIMAL(p,s)     numbers and strings ("12.34"), both exactly: a JSON number
 *                    is converted from its literal text in the line, never through
 *                    a double (jansson validates the line and gives the structure;
 *                    a small scanner over the validated text finds each top-level
 *                    member's literal)
 *   DATE             "YYYY-MM-DD"
 *   TIMESTAMP        RFC 3339 strings (fl_ts_parse), integers (microseconds)
 *   STRING           strings
 *   JSON             any value, stored as its compact JSON text: the literal text
 *                    with the blanks outside strings removed (numbers keep their
 *                    spelling, keys their order); nesting <= FL_JSON_DEPTH_MAX
 *
 * Errors name the source, the line and the field:
 *   orders.ndjson:17: field amount: expected DECIMAL(12,2), found "abc"
 *
 * Memory: the reader owns one batch of batch_rows rows over the schema's fields (the
 * schema must outlive the reader); rows are appended whole or not at all. jansson
 * allocates per line (DESIGN: jansson for JSON outside the hot path). */
#ifndef FL_CLI_NDJSON_LOAD_H
#define FL_CLI_NDJSON_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/batch.h"
#include "core/err.h"
#include "core/types.h"

typedef struct fl_ndjson_reader fl_ndjson_reader;

/* source names the input in messages ("orders.ndjson", "stdin"); copied. */
fl_ndjson_reader *fl_cli_ndjson_reader_new(const fl_schema *schema, const char *source, uint32_t batch_rows);
void fl_cli_ndjson_reader_free(fl_ndjson_reader *rd);

/* Parses one line (no newline; a trailing '\r' is ignored) and appends its row to the
 * batch. Blank lines append nothing. The batch must not be full. */
fl_code fl_cli_ndjson_reader_line(fl_ndjson_reader *rd, const char *line, size_t len, uint64_t lineno,
                                  fl_err *err);
/* The batch being filled; callers write it out when full and fl_batch_reset it. */
fl_batch *fl_cli_ndjson_reader_batch(fl_ndjson_reader *rd);

/* Called with each full batch and with the last, partial one (never with an empty
 * batch). A non-zero return stops the read and is returned. */
typedef fl_code (*fl_ndjson_emit_fn)(void *ctx, const fl_batch *batch, fl_err *err);

/* Reads every line of in (lines of at most FL_JSON_LINE_MAX bytes), emitting
 * batches; *rows counts the rows read. */
fl_code fl_cli_ndjson_read(fl_ndjson_reader *rd, FILE *in, fl_ndjson_emit_fn emit, void *ctx, uint64_t *rows,
                           fl_err *err);

#endif
