/* thrift: the Thrift compact protocol, only what Parquet's footer and page headers
 * need (REFERENCE/iceberg_parquet.md §5). Private to format/.
 *
 * Encoder: appends to an fl_buf. Structs are opened (top level, list element) or
 * opened as a field, and closed with STOP; field ids must ascend inside a struct.
 *
 * Decoder: reads untrusted bytes through an fl_cursor. Every read checks bounds,
 * list counts are bounded by the bytes left (an element takes at least one byte),
 * and nesting is bounded by FL_THRIFT_DEPTH_MAX. Any failure sets dec->cur.bad; the
 * caller reports the position (dec->cur.pos) with the file name. */
#ifndef FL_FORMAT_THRIFT_H
#define FL_FORMAT_THRIFT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/limits.h"

enum {
  FL_TT_STOP = 0,
  FL_TT_TRUE = 1,
  FL_TT_FALSE = 2,
  FL_TT_I8 = 3,
  FL_TT_I16 = 4,
  FL_TT_I32 = 5,
  FL_TT_I64 = 6,
  FL_TT_DOUBLE = 7,
  FL_TT_BINARY = 8,
  FL_TT_LIST = 9,
  FL_TT_SET = 10,
  FL_TT_MAP = 11,
  FL_TT_STRUCT = 12,
};

typedef struct fl_thrift_enc {
  fl_buf *buf;
  int depth; /* -1 outside any struct */
  int16_t last_id[FL_THRIFT_DEPTH_MAX];
} fl_thrift_enc;

void fl_thrift_enc_init(fl_thrift_enc *enc, fl_buf *buf);
void fl_thrift_struct_open(fl_thrift_enc *enc);              /* top level or list element */
void fl_thrift_struct_field(fl_thrift_enc *enc, int16_t id); /* struct-valued field */
void fl_thrift_struct_close(fl_thrift_enc *enc);             /* STOP */
/* A struct-valued field whose struct is already encoded (its fields and STOP, as a
 * top-level struct_open .. struct_close into another buffer gives). */
void fl_thrift_struct_field_raw(fl_thrift_enc *enc, int16_t id, const void *p, size_t n);
void fl_thrift_put_i32(fl_thrift_enc *enc, int16_t id, int32_t v);
void fl_thrift_put_i16(fl_thrift_enc *enc, int16_t id, int16_t v);
void fl_thrift_put_i64(fl_thrift_enc *enc, int16_t id, int64_t v);
void fl_thrift_put_bool(fl_thrift_enc *enc, int16_t id, bool v);
void fl_thrift_put_binary(fl_thrift_enc *enc, int16_t id, const void *p, uint32_t n);
void fl_thrift_put_string(fl_thrift_enc *enc, int16_t id, const char *s);
/* A list-valued field; then write n elements with the fl_thrift_elem_* calls
 * (or fl_thrift_struct_open/close per struct element). */
void fl_thrift_list_field(fl_thrift_enc *enc, int16_t id, uint8_t elem_type, uint32_t n);
void fl_thrift_elem_i32(fl_thrift_enc *enc, int32_t v);
void fl_thrift_elem_i64(fl_thrift_enc *enc, int64_t v);
void fl_thrift_elem_binary(fl_thrift_enc *enc, const void *p, uint32_t n);

typedef struct fl_thrift_dec {
  fl_cursor cur;
  int depth;
  int16_t last_id[FL_THRIFT_DEPTH_MAX];
} fl_thrift_dec;

void fl_thrift_dec_init(fl_thrift_dec *dec, const uint8_t *p, size_t n);
/* Enters a struct (top level, list element, or after a STRUCT field header). */
bool fl_thrift_dec_struct_open(fl_thrift_dec *dec);
/* Next field of the current struct: true with its type and id; false at STOP (the
 * struct is left) or on error (dec->cur.bad). Bool fields carry their value in the
 * type: FL_TT_TRUE / FL_TT_FALSE. */
bool fl_thrift_dec_field(fl_thrift_dec *dec, uint8_t *type, int16_t *id);
bool fl_thrift_dec_i32(fl_thrift_dec *dec, int32_t *v);
bool fl_thrift_dec_i64(fl_thrift_dec *dec, int64_t *v);
bool fl_thrift_dec_binary(fl_thrift_dec *dec, const uint8_t **p, uint32_t *n);
/* List or set header; n is at most the bytes left. */
bool fl_thrift_dec_list(fl_thrift_dec *dec, uint8_t *elem_type, uint32_t *n);
/* Skips a value of the given type; in_list: bools are one byte (in fields they are
 * carried by the header). */
bool fl_thrift_dec_skip(fl_thrift_dec *dec, uint8_t type, bool in_list);
static inline bool fl_thrift_is_bool(uint8_t type) { return type == FL_TT_TRUE || type == FL_TT_FALSE; }

#endif
