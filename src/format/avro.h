/* avro: floe's own Avro object container files (Avro 1.11 spec, "Object Container
 * Files" and "Binary Encoding"), written for Iceberg manifests (format/manifest.h).
 *
 * Avro C's file writer drops field ids, logical types and user metadata, which
 * Iceberg needs (REFERENCE/iceberg_parquet.md §2, §7), so floe writes the container
 * itself: the caller provides the writer schema as literal JSON (kept verbatim in
 * avro.schema) and encodes records with the fl_avro_put_* encoders into the
 * writer's block buffer; the writer frames blocks (count, byte size, payload, sync)
 * and compresses them (null or deflate).
 *
 * The reader is generic: it parses the writer schema JSON (jansson) into a schema
 * tree and decodes each record into a value tree, so readers of other engines' files
 * find fields by name or field id and skip what they do not know. Every read goes
 * through fl_cursor with the bounds of core/limits.h: a corrupt or truncated file
 * gives FL_ECORRUPT naming the file and the byte position, never a crash.
 * Codecs read: null, deflate, zstandard, snappy.
 *
 * Ownership: the writer owns its buffers until fl_avro_writer_free. The reader
 * borrows the input bytes (they must outlive it) and owns the schema tree and the
 * metadata strings (valid until fl_avro_reader_close); a value returned by
 * fl_avro_reader_next is valid until the next call to it or to close. */
#ifndef FL_FORMAT_AVRO_H
#define FL_FORMAT_AVRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"

typedef enum fl_avro_codec {
  FL_AVRO_CODEC_NULL = 0,
  FL_AVRO_CODEC_DEFLATE, /* raw RFC 1951 deflate (zlib windowBits -15) */
  FL_AVRO_CODEC_SNAPPY,  /* read only: raw snappy + 4-byte big-endian CRC-32 */
  FL_AVRO_CODEC_ZSTD,    /* read only: "zstandard", one zstd frame per block */
} fl_avro_codec;

/* One file metadata pair; values are strings (Iceberg's are all text). */
typedef struct fl_avro_kv {
  const char *key;
  const char *value;
} fl_avro_kv;

/* ---- Binary encoders (append to an fl_buf) ---- */

static inline void fl_avro_put_long(fl_buf *b, int64_t v) { fl_buf_put_zigzag(b, v); }
static inline void fl_avro_put_int(fl_buf *b, int32_t v) { fl_buf_put_zigzag(b, v); }
static inline void fl_avro_put_bool(fl_buf *b, bool v) { fl_buf_put_u8(b, v ? 1 : 0); }
/* Union branch index (0 is "null" in every optional Iceberg field). */
static inline void fl_avro_put_union(fl_buf *b, uint32_t branch) { fl_buf_put_zigzag(b, branch); }
void fl_avro_put_float(fl_buf *b, float v);
void fl_avro_put_double(fl_buf *b, double v);
void fl_avro_put_bytes(fl_buf *b, const void *p, size_t n);
void fl_avro_put_string(fl_buf *b, const char *s);
/* Arrays and maps: one block of n items (skip when n == 0), the items (map items
 * are key string then value), then fl_avro_put_end. */
static inline void fl_avro_put_block(fl_buf *b, uint64_t n) {
  if (n) fl_buf_put_zigzag(b, (int64_t)n);
}
static inline void fl_avro_put_end(fl_buf *b) { fl_buf_put_u8(b, 0); }

/* ---- Container writer ----
 *
 *   fl_avro_writer w;
 *   fl_avro_writer_init(&w, schema_json, meta, nmeta, FL_AVRO_CODEC_DEFLATE);
 *   for each record: { encode into fl_avro_writer_buf(&w); fl_avro_writer_record_end(&w); }
 *   fl_avro_writer_finish(&w);             w.file holds the whole file
 *   fl_avro_file_save(path, w.file.data, w.file.len, &err);
 *   fl_avro_writer_free(&w);
 *
 * Header: "Obj" 0x01, metadata map<bytes> (avro.schema, avro.codec always, then
 * meta), a random 16-byte sync marker. */
typedef struct fl_avro_writer {
  fl_buf file;          /* header and finished blocks */
  fl_buf block;         /* encoded records of the open block */
  fl_buf scratch;       /* compressed block */
  uint64_t block_count; /* records in the open block */
  uint64_t records;     /* records in the file */
  fl_avro_codec codec;
  uint8_t sync[16];
} fl_avro_writer;

/* Records are framed into a block once it passes this many bytes: 64 KiB keeps a
 * manifest of a few entries in one block and deflate's window full. */
enum { FL_AVRO_BLOCK_BYTES = 64 << 10 };

/* codec must be NULL or DEFLATE (asserted). schema_json and meta are copied. */
void fl_avro_writer_init(fl_avro_writer *w, const char *schema_json, const fl_avro_kv *meta, uint32_t nmeta,
                         fl_avro_codec codec);
static inline fl_buf *fl_avro_writer_buf(fl_avro_writer *w) { return &w->block; }
void fl_avro_writer_record_end(fl_avro_writer *w);
void fl_avro_writer_finish(fl_avro_writer *w);
void fl_avro_writer_free(fl_avro_writer *w);

/* Creates path (O_EXCL: never replaces a file), writes len bytes, fdatasyncs and
 * closes; removes the partial file on failure. */
fl_code fl_avro_file_save(const char *path, const void *data, size_t len, fl_err *err);
/* Reads a whole file into fl_malloc'd memory (*data, fl_free it). */
fl_code fl_avro_file_load(const char *path, uint8_t **data, size_t *len, fl_err *err);

/* ---- Schema tree (parsed from the writer schema JSON) ---- */

typedef enum fl_avro_type {
  FL_AVRO_NULL = 0,
  FL_AVRO_BOOLEAN,
  FL_AVRO_INT,
  FL_AVRO_LONG,
  FL_AVRO_FLOAT,
  FL_AVRO_DOUBLE,
  FL_AVRO_BYTES,
  FL_AVRO_STRING,
  FL_AVRO_RECORD,
  FL_AVRO_ENUM,
  FL_AVRO_ARRAY,
  FL_AVRO_MAP,
  FL_AVRO_UNION,
  FL_AVRO_FIXED,
} fl_avro_type;

typedef struct fl_avro_schema fl_avro_schema;

typedef struct fl_avro_field {
  const char *name;
  int32_t field_id; /* Iceberg "field-id"; -1 if absent */
  const fl_avro_schema *type;
} fl_avro_field;

struct fl_avro_schema {
  fl_avro_type type;
  const char *name;                /* record, enum, fixed: full name; else NULL */
  const char *logical;             /* "logicalType" or NULL */
  int32_t precision, scale;        /* logicalType decimal; else 0 */
  int32_t element_id;              /* array "element-id"; -1 if absent */
  uint32_t n;                      /* record fields, union branches, enum symbols, fixed size */
  fl_avro_field *fields;           /* record */
  const fl_avro_schema **branches; /* union */
  const char **symbols;            /* enum */
  const fl_avro_schema *items;     /* array items, map values */
  uint32_t min_bytes;              /* fewest bytes one value encodes to (bounds counts) */
};

/* Index of a record's field: by Iceberg field id when id >= 0 and present, else by
 * name; -1 when absent or s is not a record. */
int fl_avro_schema_field(const fl_avro_schema *s, int32_t id, const char *name);
/* The non-null branch of ["null", T] (or T itself when s is not such a union). */
const fl_avro_schema *fl_avro_schema_nonnull(const fl_avro_schema *s);

/* ---- Value tree ---- */

typedef struct fl_avro_value fl_avro_value;
struct fl_avro_value {
  const fl_avro_schema *schema; /* never a union: the branch that was encoded */
  uint32_t n;                   /* record fields, array items, map entries */
  union {
    bool b;
    int64_t l; /* int and long */
    float f;
    double d;
    uint32_t symbol; /* enum */
    struct {
      const uint8_t *ptr;
      uint32_t len;
    } bytes; /* bytes, string, fixed */
    struct {
      fl_avro_value *items;      /* record fields in schema order, array items, map values */
      const fl_avro_value *keys; /* map keys (strings); NULL otherwise */
    } list;
  } u;
};

static inline bool fl_avro_is_null(const fl_avro_value *v) { return !v || v->schema->type == FL_AVRO_NULL; }
/* Field i of a record value (NULL when i < 0 or v is not a record). */
static inline const fl_avro_value *fl_avro_value_at(const fl_avro_value *v, int i) {
  if (!v || v->schema->type != FL_AVRO_RECORD || i < 0 || (uint32_t)i >= v->n) return NULL;
  return &v->u.list.items[i];
}
/* Field of a record value by name (NULL when absent). */
const fl_avro_value *fl_avro_value_get(const fl_avro_value *v, const char *name);

/* ---- Container reader ----
 *
 *   fl_avro_reader rd;
 *   if (fl_avro_reader_open(&rd, data, len, path, &err)) return err.code;
 *   const fl_avro_value *rec;
 *   while (!(rc = fl_avro_reader_next(&rd, &rec, &err)) && rec) { ... }
 *   fl_avro_reader_close(&rd); */
typedef struct fl_avro_reader {
  const char *name; /* for messages (copied) */
  const uint8_t *data;
  size_t len;
  fl_cursor cur;   /* over the file */
  fl_arena arena;  /* schema tree, metadata, name */
  fl_arena values; /* value tree of the last record, reset per record */
  const fl_avro_schema *schema;
  const char *schema_json;
  fl_avro_codec codec;
  uint8_t sync[16];
  fl_avro_kv *meta;
  uint32_t nmeta;
  fl_buf inflated;         /* decompressed block */
  fl_cursor blk;           /* over the current block's records */
  size_t blk_pos;          /* file offset of the block's payload */
  uint64_t blk_left;       /* records left in the current block */
  uint64_t blk_nodes_left; /* value nodes the block may still decode to */
  uint64_t records;        /* records returned so far */
} fl_avro_reader;

/* Parses the header and the schema. On error nothing needs closing. */
fl_code fl_avro_reader_open(fl_avro_reader *rd, const uint8_t *data, size_t len, const char *name,
                            fl_err *err);
/* Metadata value for key (NUL-terminated), or NULL. */
const char *fl_avro_reader_meta(const fl_avro_reader *rd, const char *key);
/* Next record into *out; *out = NULL at the end of the file. */
fl_code fl_avro_reader_next(fl_avro_reader *rd, const fl_avro_value **out, fl_err *err);
void fl_avro_reader_close(fl_avro_reader *rd);

#endif
