/* ndjson_load: NDJSON lines -> batches through json's parser (ndjson_load.h has the
 * rules), for `floe load`.
 *
 * Why chunks: the parser reads a body of many records at once and writes them
 * straight into its batch; a load hands it chunks of up to batch_rows lines (or
 * CHUNK_BYTES), copied out of the read buffer with their newlines, so line numbers
 * map back as first_line + parser line - 1. A chunk with any reject fails the load
 * with the first one (a load is all or nothing); otherwise the parser's batch is
 * emitted as is.
 *
 * Ownership: the reader owns the parser, the read buffer (grown to the longest line,
 * at most FL_JSON_LINE_MAX + 2 bytes) and the chunk buffer, all reused.
 *
 * Entry points: fl_cli_ndjson_reader_new/_set_defaults/_set_unknown_fields/_free,
 * fl_cli_ndjson_read. */
#include "cli/ndjson_load.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "ingest/contract.h"

/* A chunk is parsed once it holds batch_rows lines or this many bytes: the parser
 * buffers scale with the chunk, and 16 MiB is the events API's default body limit. */
#define CHUNK_BYTES (16u << 20)

struct fl_ndjson_reader {
  char *source;
  uint32_t batch_rows;
  fl_json_parser *parser;
  fl_buf chunk;         /* lines with their '\n' */
  uint32_t chunk_lines; /* lines in chunk (blank ones too) */
  uint64_t first_line;  /* file line of the chunk's first line */
  uint64_t unknown_fields;
  fl_contract *contract; /* borrowed, NULL if no CHECK */
};

fl_ndjson_reader *fl_cli_ndjson_reader_new(const fl_schema *schema, const char *source, uint32_t batch_rows) {
  FL_ASSERT(schema && schema->nfields > 0 && batch_rows > 0);
  fl_ndjson_reader *rd = fl_calloc(1, sizeof *rd);
  rd->source = fl_strdup(source);
  rd->batch_rows = batch_rows;
  rd->parser = fl_json_parser_new(schema);
  fl_json_parser_set_ndjson_only(rd->parser, true); /* a file is lines; a chunk may start with '[' */
  rd->chunk = (fl_buf)FL_BUF_INIT;
  rd->first_line = 1;
  return rd;
}

void fl_cli_ndjson_reader_free(fl_ndjson_reader *rd) {
  if (!rd) return;
  fl_json_parser_free(rd->parser);
  fl_buf_free(&rd->chunk);
  fl_free(rd->source);
  fl_free(rd);
}

void fl_cli_ndjson_reader_set_defaults(fl_ndjson_reader *rd, const fl_value *defaults) {
  fl_json_parser_set_defaults(rd->parser, defaults);
}

void fl_cli_ndjson_reader_set_unknown_fields(fl_ndjson_reader *rd, fl_json_unknown policy) {
  fl_json_parser_set_unknown_fields(rd->parser, policy);
}

uint64_t fl_cli_ndjson_reader_unknown_fields(const fl_ndjson_reader *rd) { return rd->unknown_fields; }

void fl_cli_ndjson_reader_set_contract(fl_ndjson_reader *rd, fl_contract *contract) {
  rd->contract = contract;
}

/* Parses the chunk; emits its rows or fails with its first reject. */
static fl_code flush(fl_ndjson_reader *rd, fl_ndjson_emit_fn emit, void *ctx, uint64_t *rows, fl_err *err) {
  if (!rd->chunk.len) return FL_OK;
  fl_json_result res;
  fl_code rc = fl_json_parse(rd->parser, (const char *)rd->chunk.data, rd->chunk.len, &res, err);
  if (rc) return fl_err_prefix(err, "%s:%llu: ", rd->source, (unsigned long long)rd->first_line);
  if (rd->contract &&
      (rc = fl_contract_check(rd->contract, rd->parser, &res, (const char *)rd->chunk.data, err)))
    return rc;
  if (res.nrejects) { /* in line order: the first line that fails */
    const fl_json_reject *rj = &res.rejects[0];
    return fl_err_set(err, rj->field ? FL_ETYPE : FL_EPARSE, "%s:%llu: %s", rd->source,
                      (unsigned long long)(rd->first_line + rj->line - 1), rj->reason);
  }
  FL_ASSERT(res.nrows <= rd->batch_rows, "%s: %u rows in a chunk of at most %u lines", rd->source, res.nrows,
            rd->batch_rows);
  rd->unknown_fields += res.unknown_fields;
  if (res.nrows) {
    *rows += res.nrows;
    rc = emit(ctx, res.batch, err);
  }
  rd->first_line += rd->chunk_lines;
  rd->chunk_lines = 0;
  fl_buf_clear(&rd->chunk);
  return rc;
}

/* Read buffer: starts at 64 KiB, grows to hold the longest line (+1 for the cut). */
enum { READ_CHUNK = 64 << 10, READ_BUF_MAX = FL_JSON_LINE_MAX + 2 };

fl_code fl_cli_ndjson_read(fl_ndjson_reader *rd, FILE *in, fl_ndjson_emit_fn emit, void *ctx, uint64_t *rows,
                           fl_err *err) {
  fl_code rc = FL_OK;
  size_t cap = READ_CHUNK, len = 0, start = 0;
  char *buf = fl_malloc(cap);
  uint64_t lineno = 0;
  bool eof = false;
  *rows = 0;
  for (;;) {
    char *nl = start < len ? memchr(buf + start, '\n', len - start) : NULL;
    if (!nl && !eof) {
      /* need more bytes: keep the partial line at the front, grow if it fills the buffer */
      memmove(buf, buf + start, len - start);
      len -= start;
      start = 0;
      if (len > FL_JSON_LINE_MAX) {
        rc = fl_err_set(err, FL_ELIMIT, "%s:%llu: line longer than %u bytes", rd->source,
                        (unsigned long long)lineno + 1, (unsigned)FL_JSON_LINE_MAX);
        goto done;
      }
      if (len == cap) {
        cap = cap * 2 > READ_BUF_MAX ? READ_BUF_MAX : cap * 2;
        buf = fl_realloc(buf, cap);
      }
      size_t got = fread(buf + len, 1, cap - len, in);
      if (got == 0) {
        if (ferror(in)) {
          rc = fl_err_errno(err, errno, "%s: read", rd->source);
          goto done;
        }
        eof = true;
      }
      len += got;
      continue;
    }
    if (!nl && start == len) break; /* eof and nothing left */
    size_t line_len = nl ? (size_t)(nl - (buf + start)) : len - start;
    lineno++;
    if (line_len > FL_JSON_LINE_MAX) {
      rc = fl_err_set(err, FL_ELIMIT, "%s:%llu: line longer than %u bytes", rd->source,
                      (unsigned long long)lineno, (unsigned)FL_JSON_LINE_MAX);
      goto done;
    }
    fl_buf_append(&rd->chunk, buf + start, line_len);
    fl_buf_put_u8(&rd->chunk, '\n');
    rd->chunk_lines++;
    start += line_len + (nl ? 1 : 0);
    if (rd->chunk_lines == rd->batch_rows || rd->chunk.len >= CHUNK_BYTES) {
      rc = flush(rd, emit, ctx, rows, err);
      if (rc) goto done;
    }
  }
  rc = flush(rd, emit, ctx, rows, err);
done:
  fl_free(buf);
  return rc;
}
