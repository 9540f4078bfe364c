/* arrow_ipc.c: the Arrow IPC stream format, written (format/arrow_ipc.h).
 *
 * A stream is a sequence of encapsulated messages, then an end marker:
 *
 *   offset  size  what
 *   0       4     0xFFFFFFFF continuation marker
 *   4       4     int32 LE: metadata size m (the flatbuffer + padding, m % 8 == 0)
 *   8       m     flatbuffer Message { version V5, header Schema | RecordBatch, bodyLength }
 *   8+m     body  the record batch's buffers, each at an 8-aligned offset, zero padded
 *   ...           end of stream: 0xFFFFFFFF 0x00000000
 *
 * Record batch body, per column in schema order (FieldNode {length, null_count} each):
 *   validity bitmap (LSB first: floe's fl_vec layout exactly), then
 *   fixed width: the values (DECIMAL widened to 16-byte two's complement LE);
 *   Bool: bit-packed values; Utf8/Binary: int32 offsets (n + 1), then the bytes.
 *
 * Flatbuffers are written front to back by a small builder (fb_*): a table is its
 * vtable, then the table (soffset to the vtable, then fields, 8-byte ones first and
 * 8-aligned), and the objects it points to come after it (uoffsets are unsigned, so a
 * child always lies at a higher address than the field pointing at it). Field ids are
 * those of Arrow's Schema.fbs and Message.fbs (format version V5).
 *
 * Ownership: appends to the caller's fl_buf; nothing kept between calls. */
#include "format/arrow_ipc.h"

#include <string.h>

#include "core/decimal.h"
#include "core/err.h"

/* Schema.fbs Type union */
enum {
  T_INT = 2,
  T_FLOAT = 3,
  T_BINARY = 4,
  T_UTF8 = 5,
  T_BOOL = 6,
  T_DECIMAL = 7,
  T_DATE = 8,
  T_TIME = 9,
  T_TIMESTAMP = 10
};
/* Message.fbs MessageHeader union; MetadataVersion */
enum { H_SCHEMA = 1, H_RECORD_BATCH = 3, V5 = 4 };

/* ---- a front-to-back flatbuffer builder ---- */

typedef struct fb {
  fl_buf *b;
  size_t base; /* offset of the flatbuffer in b (8-aligned) */
} fb;

static size_t fb_pos(const fb *f) { return f->b->len - f->base; }

static void fb_pad(fb *f, size_t align) {
  while (fb_pos(f) % align) fl_buf_put_u8(f->b, 0);
}

static void put_le(fl_buf *b, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) fl_buf_put_u8(b, (uint8_t)(v >> (8 * i)));
}

static void patch_u32(fb *f, size_t at, uint32_t v) {
  uint8_t *p = f->b->data + f->base + at;
  for (unsigned i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* A table field: id, size (1, 2, 4, 8; 4 for an offset to patch), value. */
typedef struct fb_field {
  uint16_t id;
  uint8_t size;
  uint64_t value;
  size_t at; /* out: where it was written (for offsets) */
} fb_field;

#define FB_FIELDS_MAX 8

/* Writes vtable + table; fields[].at is set. Returns the table's position. */
static size_t fb_table(fb *f, fb_field *fields, unsigned n) {
  FL_ASSERT(n <= FB_FIELDS_MAX);
  uint16_t nslots = 0;
  for (unsigned i = 0; i < n; i++)
    if (fields[i].id + 1u > nslots) nslots = (uint16_t)(fields[i].id + 1);
  /* layout inside the table: soffset, then fields by size descending */
  uint16_t off[FB_FIELDS_MAX] = {0};
  uint16_t pos = 4;
  bool has8 = false;
  for (unsigned sz = 8; sz >= 1; sz /= 2)
    for (unsigned i = 0; i < n; i++)
      if (fields[i].size == sz) {
        if (sz == 8) has8 = true;
        while (pos % sz) pos++;
        off[i] = pos;
        pos = (uint16_t)(pos + sz);
      }
  uint16_t tsize = pos;
  while (tsize % 4) tsize++;
  fb_pad(f, 2);
  size_t vt = fb_pos(f);
  put_le(f->b, (uint64_t)(4 + 2 * nslots), 2);
  put_le(f->b, tsize, 2);
  for (uint16_t s = 0; s < nslots; s++) {
    uint16_t o = 0;
    for (unsigned i = 0; i < n; i++)
      if (fields[i].id == s) o = off[i];
    put_le(f->b, o, 2);
  }
  /* table start: 8-aligned when it holds 8-byte fields (their offsets are aligned
   * relative to it), else 4-aligned */
  fb_pad(f, has8 ? 8 : 4);
  size_t t = fb_pos(f);
  put_le(f->b, (uint64_t)(uint32_t)(int32_t)(t - vt), 4);
  for (uint16_t at = 4; at < tsize;) {
    unsigned i = 0;
    while (i < n && off[i] != at) i++;
    if (i == n) {
      fl_buf_put_u8(f->b, 0);
      at++;
      continue;
    }
    fields[i].at = t + at;
    put_le(f->b, fields[i].value, fields[i].size);
    at = (uint16_t)(at + fields[i].size);
  }
  return t;
}

/* Points the offset field at field_at to target (a later position). */
static void fb_point(fb *f, size_t field_at, size_t target) {
  FL_ASSERT(target > field_at);
  patch_u32(f, field_at, (uint32_t)(target - field_at));
}

/* Points the offset field at field_at to the current position (after aligning): for
 * strings and vectors, which start where they are pointed at (tables start after their
 * vtable: fb_point to fb_table's result). */
static void fb_link(fb *f, size_t field_at, size_t align) {
  fb_pad(f, align);
  fb_point(f, field_at, fb_pos(f));
}

static void fb_string(fb *f, size_t field_at, const char *s) {
  fb_link(f, field_at, 4);
  size_t n = strlen(s);
  put_le(f->b, n, 4);
  fl_buf_append(f->b, s, n);
  fl_buf_put_u8(f->b, 0);
}

/* ---- messages ---- */

static size_t message_begin(fl_buf *out, fb *f) {
  /* 8-align the stream position, then marker + size placeholder */
  put_le(out, 0xFFFFFFFFu, 4);
  size_t size_at = out->len;
  put_le(out, 0, 4);
  f->b = out;
  f->base = out->len;
  put_le(out, 0, 4); /* root uoffset, patched */
  return size_at;
}

static void message_end(fl_buf *out, fb *f, size_t size_at) {
  fb_pad(f, 8);
  uint32_t m = (uint32_t)fb_pos(f);
  for (unsigned i = 0; i < 4; i++) out->data[size_at + i] = (uint8_t)(m >> (8 * i));
}

/* Message { version, header_type, header, bodyLength }: returns header's field pos. */
static size_t message_table(fb *f, uint8_t header_type, int64_t body_len) {
  fb_field m[4] = {{0, 2, V5, 0}, {1, 1, header_type, 0}, {2, 4, 0, 0}, {3, 8, (uint64_t)body_len, 0}};
  size_t t = fb_table(f, m, 4);
  patch_u32(f, 0, (uint32_t)t);
  return m[2].at;
}

/* The Type union's table for a floe type; *tt = its union tag. */
static size_t type_body(fb *f, fl_type type, uint8_t *tt) {
  switch (type.kind) {
    case FL_T_BOOLEAN: *tt = T_BOOL; return fb_table(f, NULL, 0);
    case FL_T_INT:
    case FL_T_BIGINT: {
      *tt = T_INT;
      fb_field x[2] = {{0, 4, type.kind == FL_T_INT ? 32 : 64, 0}, {1, 1, 1, 0}};
      return fb_table(f, x, 2);
    }
    case FL_T_FLOAT:
    case FL_T_DOUBLE: {
      *tt = T_FLOAT;
      fb_field x[1] = {{0, 2, type.kind == FL_T_FLOAT ? 1 : 2, 0}};
      return fb_table(f, x, 1);
    }
    case FL_T_DECIMAL: {
      *tt = T_DECIMAL;
      fb_field x[3] = {{0, 4, type.precision, 0}, {1, 4, type.scale, 0}, {2, 4, 128, 0}};
      return fb_table(f, x, 3);
    }
    case FL_T_DATE: {
      *tt = T_DATE;
      fb_field x[1] = {{0, 2, 0 /* DAY */, 0}};
      return fb_table(f, x, 1);
    }
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS: {
      *tt = T_TIMESTAMP;
      fb_field x[1] = {{0, 2, type.kind == FL_T_TIMESTAMP ? 2 /* MICRO */ : 3 /* NANO */, 0}};
      return fb_table(f, x, 1);
    }
    case FL_T_TIME: {
      *tt = T_TIME;
      fb_field x[2] = {{0, 2, 2 /* MICRO */, 0}, {1, 4, 64, 0}};
      return fb_table(f, x, 2);
    }
    case FL_T_STRING:
    case FL_T_JSON: *tt = T_UTF8; return fb_table(f, NULL, 0);
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: *tt = T_BINARY; return fb_table(f, NULL, 0);
  }
  FL_ASSERT(false, "type %d", type.kind);
  return 0;
}

static void type_table(fb *f, size_t field_at, fl_type type, uint8_t *tt) {
  fb_point(f, field_at, type_body(f, type, tt));
}

void fl_arrow_ipc_schema(const fl_field *fields, uint32_t nfields, fl_buf *out) {
  fb f;
  size_t size_at = message_begin(out, &f);
  size_t header_at = message_table(&f, H_SCHEMA, 0);
  /* Schema { endianness (0, Little = default), fields (1) } */
  fb_field s[1] = {{1, 4, 0, 0}};
  fb_point(&f, header_at, fb_table(&f, s, 1));
  /* the vector of field offsets, then each Field table */
  fb_link(&f, s[0].at, 4);
  put_le(out, nfields, 4);
  size_t vec_at = fb_pos(&f);
  for (uint32_t i = 0; i < nfields; i++) put_le(out, 0, 4);
  for (uint32_t i = 0; i < nfields; i++) {
    /* Field { name (0), nullable (1), type_type (2), type (3), children (5) } */
    fb_field x[5] = {{0, 4, 0, 0}, {1, 1, 1, 0}, {2, 1, 0, 0}, {3, 4, 0, 0}, {5, 4, 0, 0}};
    uint8_t tt = 0;
    fb_point(&f, vec_at + 4 * i, fb_table(&f, x, 5));
    fb_string(&f, x[0].at, fields[i].name);
    type_table(&f, x[3].at, fields[i].type, &tt);
    f.b->data[f.base + x[2].at] = tt;
    fb_link(&f, x[4].at, 4); /* children: an empty vector (some readers want one) */
    put_le(out, 0, 4);
  }
  message_end(out, &f, size_at);
}

/* One buffer of the body: its (offset, length) and the bytes, padded to 8. */
typedef struct body {
  fl_buf bytes;
  fl_buf descs; /* Buffer structs: offset i64, length i64 */
  fl_buf nodes; /* FieldNode structs: length i64, null_count i64 */
  uint32_t nbuffers, nnodes;
} body;

static void body_buffer(body *bd, const void *p, size_t n) {
  put_le(&bd->descs, bd->bytes.len, 8);
  put_le(&bd->descs, n, 8);
  bd->nbuffers++;
  if (n) fl_buf_append(&bd->bytes, p, n);
  while (bd->bytes.len % 8) fl_buf_put_u8(&bd->bytes, 0);
}

static void column(body *bd, const fl_vec *v, uint32_t rows) {
  uint32_t nulls = fl_vec_null_count(v);
  put_le(&bd->nodes, rows, 8);
  put_le(&bd->nodes, nulls, 8);
  bd->nnodes++;
  size_t bitmap = (rows + 7) / 8;
  /* validity: floe's bitmap is LSB-first in 64-bit words, so its bytes are Arrow's
   * (little-endian); bits past rows are ignored by readers but zeroed here */
  if (nulls) {
    size_t at = bd->bytes.len;
    body_buffer(bd, v->validity, bitmap);
    if (rows % 8) bd->bytes.data[at + bitmap - 1] &= (uint8_t)((1u << (rows % 8)) - 1);
  } else {
    body_buffer(bd, NULL, 0);
  }
  switch (v->type.kind) {
    case FL_T_BOOLEAN: {
      size_t at = bd->bytes.len;
      fl_buf_reserve(&bd->bytes, bitmap + 8);
      memset(bd->bytes.data + at, 0, bitmap);
      for (uint32_t i = 0; i < rows; i++)
        if (v->data.b[i]) bd->bytes.data[at + i / 8] |= (uint8_t)(1u << (i % 8));
      bd->bytes.len += bitmap;
      put_le(&bd->descs, at, 8);
      put_le(&bd->descs, bitmap, 8);
      bd->nbuffers++;
      while (bd->bytes.len % 8) fl_buf_put_u8(&bd->bytes, 0);
      return;
    }
    case FL_T_DECIMAL: {
      size_t at = bd->bytes.len;
      for (uint32_t i = 0; i < rows; i++) {
        fl_i128 x = fl_vec_dec(v, i);
        put_le(&bd->bytes, (uint64_t)x, 8);
        put_le(&bd->bytes, (uint64_t)(x >> 64), 8);
      }
      put_le(&bd->descs, at, 8);
      put_le(&bd->descs, (uint64_t)rows * 16, 8);
      bd->nbuffers++;
      return;
    }
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED:
      body_buffer(bd, v->offsets, ((size_t)rows + 1) * 4); /* offsets[0] = 0 (batch.h) */
      body_buffer(bd, v->bytes, v->offsets[rows]);
      return;
    default: body_buffer(bd, v->data.raw, (size_t)rows * fl_type_bytes(v->type)); return;
  }
}

void fl_arrow_ipc_batch(const fl_batch *batch, fl_buf *out) {
  body bd = {0};
  for (uint32_t c = 0; c < batch->ncols; c++) column(&bd, &batch->cols[c], batch->nrows);
  fb f;
  size_t size_at = message_begin(out, &f);
  size_t header_at = message_table(&f, H_RECORD_BATCH, (int64_t)bd.bytes.len);
  /* RecordBatch { length (0), nodes (1), buffers (2) } */
  fb_field r[3] = {{0, 8, batch->nrows, 0}, {1, 4, 0, 0}, {2, 4, 0, 0}};
  fb_point(&f, header_at, fb_table(&f, r, 3));
  /* vectors of 16-byte structs: the length (u32) sits just before 8-aligned elements */
  fb_pad(&f, 8);
  put_le(out, 0, 4);
  fb_link(&f, r[1].at, 4);
  put_le(out, bd.nnodes, 4);
  fl_buf_append(out, bd.nodes.data, bd.nodes.len);
  fb_pad(&f, 8);
  put_le(out, 0, 4);
  fb_link(&f, r[2].at, 4);
  put_le(out, bd.nbuffers, 4);
  fl_buf_append(out, bd.descs.data, bd.descs.len);
  message_end(out, &f, size_at);
  fl_buf_append(out, bd.bytes.data, bd.bytes.len);
  fl_buf_free(&bd.bytes);
  fl_buf_free(&bd.descs);
  fl_buf_free(&bd.nodes);
}

void fl_arrow_ipc_eos(fl_buf *out) {
  put_le(out, 0xFFFFFFFFu, 4);
  put_le(out, 0, 4);
}
