/* ndjson_load: an NDJSON file -> columnar batches of a given schema, for `floe load`.
 *
 * The lines go through the same parser as `POST /v1/streams/S/events` (json/json.h:
 * floe's schema-directed parser), so one set of type rules holds on both paths: a
 * file `floe load` accepts is a body the events API accepts, value for value, and a
 * line one refuses the other refuses with the same reason. The rules, in short
 * (json.h has them all): strings holding an integer go into INT/BIGINT, numbers or
 * strings into DECIMAL exactly (exponents included, never rounded), integers into
 * TIMESTAMP (microseconds) and DATE (days), JSON columns keep the value's exact text
 * (integers of any size), a field given twice: the last wins, invalid UTF-8 is
 * refused, fields not in the schema are counted and ignored (or refused, see
 * fl_cli_ndjson_reader_set_unknown_fields), absent fields take their DEFAULT.
 *
 * A load is all or nothing, so the first bad line fails it, naming the source, the
 * line and the parser's reason:
 *   orders.ndjson:17: field amount: expected DECIMAL(12,2), found "abc"
 *
 * Memory: the reader owns the parser (its batch is what emit receives) and a chunk
 * buffer of at most batch_rows lines; the schema (and defaults) must outlive it. */
#ifndef FL_CLI_NDJSON_LOAD_H
#define FL_CLI_NDJSON_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/batch.h"
#include "core/err.h"
#include "core/types.h"
#include "json/json.h"

typedef struct fl_ndjson_reader fl_ndjson_reader;

/* source names the input in messages ("orders.ndjson", "stdin"); copied. Batches hold
 * at most batch_rows rows. */
fl_ndjson_reader *fl_cli_ndjson_reader_new(const fl_schema *schema, const char *source, uint32_t batch_rows);
void fl_cli_ndjson_reader_free(fl_ndjson_reader *rd);
/* DEFAULT values of absent fields (fl_json_parser_set_defaults). */
void fl_cli_ndjson_reader_set_defaults(fl_ndjson_reader *rd, const fl_value *defaults);
/* Fields not in the schema: counted and ignored (default) or a failing line. */
void fl_cli_ndjson_reader_set_unknown_fields(fl_ndjson_reader *rd, fl_json_unknown policy);
/* The table's CHECK constraints (ingest/contract.h: the events API's checker); a row
 * failing one fails the load with the contract's reason. NULL: none. Borrowed. */
struct fl_contract;
void fl_cli_ndjson_reader_set_contract(fl_ndjson_reader *rd, struct fl_contract *contract);
/* Fields not in the schema seen so far (in loaded rows). */
uint64_t fl_cli_ndjson_reader_unknown_fields(const fl_ndjson_reader *rd);

/* Called with each batch of at most batch_rows rows (never an empty one). A non-zero
 * return stops the read and is returned. */
typedef fl_code (*fl_ndjson_emit_fn)(void *ctx, const fl_batch *batch, fl_err *err);

/* Reads every line of in (lines of at most FL_JSON_LINE_MAX bytes), emitting
 * batches; *rows counts the rows read. The first bad line fails with FL_EPARSE (JSON
 * syntax) or FL_ETYPE (a value), FL_ELIMIT for a line over the limit. */
fl_code fl_cli_ndjson_read(fl_ndjson_reader *rd, FILE *in, fl_ndjson_emit_fn emit, void *ctx, uint64_t *rows,
                           fl_err *err);

#endif
