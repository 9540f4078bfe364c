/* json: floe's own schema-directed JSON parser, one for every path that turns JSON into
 * rows: event bodies (ingest), NDJSON files (floe load) and, next, the stream job's
 * replay of the log. It sits low (beside format/, below catalog): it needs only core/.
 *
 * A body is NDJSON (one object per line; blank lines and \r\n are fine) or one JSON
 * array of objects (the first non-space byte is '['). Each object becomes one row of
 * a columnar batch whose columns are the stream's schema, in schema order. Fields are
 * matched by name; unknown fields are counted (res.unknown_fields) and ignored, or
 * rejected if asked (fl_json_parser_set_unknown_fields); a field given twice: the last
 * wins (as JavaScript's JSON.parse, Jackson and Go do). Absent fields take the column's
 * DEFAULT if one is set (fl_json_parser_set_defaults), else NULL.
 *
 *   fl_json_parser *p = fl_json_parser_new(schema);
 *   fl_json_result res;
 *   if (fl_json_parse(p, body, len, &res, &err)) ...;      (only body-level errors)
 *   res.batch->nrows == res.nrows: accepted rows; res.rows[i] is row i's span and line;
 *   res.rejects[j]: the records that failed, with line, span, field and reason.
 *   fl_contract_check(contract, p, &res, body, &err);     (ingest/contract.h, optional)
 *   fl_json_parser_free(p);
 *
 * Records that fail (JSON syntax, wrong type, out of range, inexact decimal, missing
 * NOT NULL field, invalid UTF-8, line over FL_JSON_LINE_MAX, nesting over
 * FL_JSON_DEPTH_MAX) are rejects, never errors: the batch holds exactly the accepted
 * rows. In NDJSON a syntax error skips to the next newline; in a JSON array it ends
 * the body (one reject spanning the rest, its reason says so).
 *
 * Lines are 1-based: the NDJSON line number, or the element index in an array.
 * Spans (raw_off, raw_len) are byte offsets into the body: the exact object text for
 * accepted rows (the event log stores it), the line (or element) for rejects.
 *
 * Types: STRING (any JSON string, escapes decoded), JSON (any value, kept as its text
 * with the blanks outside strings removed: numbers keep their spelling, keys their
 * order, integers of any size; a JSON string stays quoted), BIGINT/INT (an integer literal or a string
 * holding one, range checked; 1.0 is a reject), DOUBLE/REAL (any number within the
 * type's range), DECIMAL(p,s) (a number or a string, exact: non-zero digits beyond
 * the scale, or more than p-s integer digits, are a reject, never rounded), TIMESTAMP (an
 * RFC 3339 string, or an integer = microseconds since the epoch), DATE ("YYYY-MM-DD",
 * or an integer = days since the epoch), BOOLEAN (true/false). null or a missing field
 * is NULL (an absent one: its DEFAULT if set), a reject when the column is NOT NULL.
 * A UTF-8 byte order mark is skipped.
 *
 * Memory: the parser owns the batch, rows, rejects and reason texts; they stay valid
 * until the next fl_json_parse on the same parser or fl_json_parser_free. The
 * schema must outlive the parser. A parser is used by one thread at a time. Nothing
 * is allocated per record: buffers grow to the largest body seen and are reused. */
#ifndef FL_JSON_JSON_H
#define FL_JSON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/err.h"
#include "core/types.h"

typedef struct fl_json_parser fl_json_parser;

typedef struct fl_json_row {
  uint32_t raw_off; /* the object's first byte ('{') in the body */
  uint32_t raw_len; /* through its closing '}' */
  uint32_t line;    /* 1-based NDJSON line or array element */
} fl_json_row;

typedef struct fl_json_reject {
  uint32_t line;    /* 1-based NDJSON line or array element */
  uint32_t raw_off; /* the line (without its newline) or the element */
  uint32_t raw_len;
  const char *field;  /* column name (the schema's), or NULL for a syntax error */
  const char *reason; /* "field amount: expected DECIMAL(12,2), found \"abc\"" */
} fl_json_reject;

typedef struct fl_json_result {
  fl_batch *batch;   /* accepted rows, columns = schema fields */
  fl_json_row *rows; /* nrows entries, rows[i] describes batch row i */
  uint32_t nrows;
  fl_json_reject *rejects; /* in line order */
  uint32_t nrejects;
  uint32_t nrecords;       /* records seen = nrows + nrejects (before contract) */
  uint32_t unknown_fields; /* fields not in the schema, summed over the rows the parser accepted
                              (a CHECK may still reject some of those rows) */
} fl_json_result;

/* Bodies larger than this are refused with FL_ELIMIT (offsets are 32-bit). */
#define FL_JSON_BODY_MAX ((size_t)UINT32_MAX)

fl_json_parser *fl_json_parser_new(const fl_schema *schema);
void fl_json_parser_free(fl_json_parser *p);
const fl_schema *fl_json_parser_schema(const fl_json_parser *p);

/* Values for absent fields (SQL's DEFAULT): defaults[i] for column i, is_null = none
 * (an absent field is NULL, a reject if NOT NULL). Each value is of its column's exact
 * type (sql's fl_sql_default_value makes them); copied. An explicit null stays NULL.
 * NULL clears them. */
void fl_json_parser_set_defaults(fl_json_parser *p, const fl_value *defaults);

/* Fields not in the schema: ignored and counted in unknown_fields (the default, JSON
 * Schema's open content model), or each record holding one is a reject "field amout:
 * not in the schema (unknown_fields = 'reject')" (a closed model,
 * additionalProperties: false). */
typedef enum fl_json_unknown { FL_JSON_UNKNOWN_IGNORE = 0, FL_JSON_UNKNOWN_REJECT } fl_json_unknown;
void fl_json_parser_set_unknown_fields(fl_json_parser *p, fl_json_unknown policy);

/* Bodies are NDJSON only: a first byte '[' starts a line like any other (a reject:
 * each line is one object), not a JSON array body. For files read in chunks of lines
 * (floe load), where a chunk may begin with any line. */
void fl_json_parser_set_ndjson_only(fl_json_parser *p, bool ndjson_only);

/* Parses one body. Fails only for the body as a whole (FL_ELIMIT over
 * FL_JSON_BODY_MAX); bad records are rejects in out. An empty body (or one of
 * blanks, or "[]") gives zero records. */
fl_code fl_json_parse(fl_json_parser *p, const char *body, size_t len, fl_json_result *out, fl_err *err);

/* As fl_json_parse, but the accepted rows are appended to dst (from its dst->nrows on)
 * instead of the parser's own batch: schema column k goes into dst's column dst_cols[k]
 * (of the same type). Only those columns are written (each gets out->nrows values);
 * the caller fills dst's other columns and sets dst->nrows (fl_batch_set_rows). out->batch
 * is dst; out->rows[i] describes dst row dst->nrows (before the call) + i. For callers
 * that would copy the parsed rows into a batch of their own (the stream job: bronze). */
fl_code fl_json_parse_into(fl_json_parser *p, const char *body, size_t len, fl_batch *dst,
                           const uint32_t *dst_cols, fl_json_result *out, fl_err *err);

/* Appends a reject to a result of this parser (the contract checker's; reason is
 * copied into the parser's arena, field must outlive the result). Call
 * fl_json_result_sort_rejects after a series of adds to restore line order. */
void fl_json_result_add_reject(fl_json_parser *p, fl_json_result *res, uint32_t line, uint32_t raw_off,
                               uint32_t raw_len, const char *field, const char *reason);
void fl_json_result_sort_rejects(fl_json_parser *p, fl_json_result *res);

#endif
