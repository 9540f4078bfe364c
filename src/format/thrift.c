/* thrift: Thrift compact protocol encoder and bounds-checked decoder for Parquet
 * metadata (FileMetaData, PageHeader). See thrift.h for the contract.
 *
 * Wire format (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md):
 *
 *   field header   1 byte (delta << 4) | type      if 1 <= id - prev_id <= 15
 *                  1 byte type, zigzag varint id   otherwise
 *   bool field     the type nibble is the value: 1 true, 2 false; no payload
 *   i16/i32/i64    zigzag, then ULEB128 varint
 *   binary         varint length, bytes
 *   list/set       1 byte (n << 4) | elem type     if n <= 14
 *                  1 byte 0xF0 | elem type, varint n otherwise
 *   map            varint n, then (if n > 0) 1 byte (key type << 4) | value type
 *   struct         fields, then STOP (0x00); prev_id restarts at 0 in each struct
 *
 * Ownership: the encoder appends to a caller-owned fl_buf; the decoder borrows the
 * input bytes; binaries it returns point into them. */
#include "format/thrift.h"

#include "core/err.h"

void fl_thrift_enc_init(fl_thrift_enc *enc, fl_buf *buf) {
  enc->buf = buf;
  enc->depth = -1;
}

static void put_varint(fl_buf *buf, uint64_t v) {
  uint8_t tmp[10];
  int n = 0;
  while (v >= 0x80) {
    tmp[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  tmp[n++] = (uint8_t)v;
  fl_buf_append(buf, tmp, (size_t)n);
}

static void put_zigzag(fl_buf *buf, int64_t v) { put_varint(buf, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

static void field_header(fl_thrift_enc *enc, int16_t id, uint8_t type) {
  FL_ASSERT(enc->depth >= 0, "thrift field %d outside a struct", id);
  int16_t last = enc->last_id[enc->depth];
  FL_ASSERT(id > last, "thrift field ids must ascend: %d after %d", id, last);
  if (id - last <= 15) {
    fl_buf_put_u8(enc->buf, (uint8_t)((id - last) << 4 | type));
  } else {
    fl_buf_put_u8(enc->buf, type);
    put_zigzag(enc->buf, id);
  }
  enc->last_id[enc->depth] = id;
}

void fl_thrift_struct_open(fl_thrift_enc *enc) {
  FL_ASSERT(enc->depth + 1 < FL_THRIFT_DEPTH_MAX);
  enc->last_id[++enc->depth] = 0;
}

void fl_thrift_struct_field(fl_thrift_enc *enc, int16_t id) {
  field_header(enc, id, FL_TT_STRUCT);
  fl_thrift_struct_open(enc);
}

void fl_thrift_struct_field_raw(fl_thrift_enc *enc, int16_t id, const void *p, size_t n) {
  FL_ASSERT(n >= 1 && ((const uint8_t *)p)[n - 1] == FL_TT_STOP, "thrift field %d: not an encoded struct",
            id);
  field_header(enc, id, FL_TT_STRUCT);
  fl_buf_append(enc->buf, p, n);
}

void fl_thrift_struct_close(fl_thrift_enc *enc) {
  FL_ASSERT(enc->depth >= 0);
  fl_buf_put_u8(enc->buf, FL_TT_STOP);
  enc->depth--;
}

void fl_thrift_put_i32(fl_thrift_enc *enc, int16_t id, int32_t v) {
  field_header(enc, id, FL_TT_I32);
  put_zigzag(enc->buf, v);
}

void fl_thrift_put_i16(fl_thrift_enc *enc, int16_t id, int16_t v) {
  field_header(enc, id, FL_TT_I16);
  put_zigzag(enc->buf, v);
}

void fl_thrift_put_i64(fl_thrift_enc *enc, int16_t id, int64_t v) {
  field_header(enc, id, FL_TT_I64);
  put_zigzag(enc->buf, v);
}

void fl_thrift_put_bool(fl_thrift_enc *enc, int16_t id, bool v) {
  field_header(enc, id, v ? FL_TT_TRUE : FL_TT_FALSE);
}

void fl_thrift_put_binary(fl_thrift_enc *enc, int16_t id, const void *p, uint32_t n) {
  field_header(enc, id, FL_TT_BINARY);
  put_varint(enc->buf, n);
  fl_buf_append(enc->buf, p, n);
}

void fl_thrift_put_string(fl_thrift_enc *enc, int16_t id, const char *s) {
  fl_thrift_put_binary(enc, id, s, (uint32_t)strlen(s));
}

void fl_thrift_list_field(fl_thrift_enc *enc, int16_t id, uint8_t elem_type, uint32_t n) {
  field_header(enc, id, FL_TT_LIST);
  if (n <= 14) {
    fl_buf_put_u8(enc->buf, (uint8_t)(n << 4 | elem_type));
  } else {
    fl_buf_put_u8(enc->buf, (uint8_t)(0xF0 | elem_type));
    put_varint(enc->buf, n);
  }
}

void fl_thrift_elem_i64(fl_thrift_enc *enc, int64_t v) { put_zigzag(enc->buf, v); }

void fl_thrift_elem_i32(fl_thrift_enc *enc, int32_t v) { put_zigzag(enc->buf, v); }

void fl_thrift_elem_binary(fl_thrift_enc *enc, const void *p, uint32_t n) {
  put_varint(enc->buf, n);
  fl_buf_append(enc->buf, p, n);
}

/* ---- decoder ---- */

void fl_thrift_dec_init(fl_thrift_dec *dec, const uint8_t *p, size_t n) {
  dec->cur = fl_cursor_make(p, n);
  dec->depth = -1;
}

static bool fail(fl_thrift_dec *dec) {
  dec->cur.bad = true;
  return false;
}

/* Local varint reader: the decoder is the hot path of page headers, and keeping it
 * here makes its bounds obvious. At most 10 bytes. */
static bool get_varint(fl_thrift_dec *dec, uint64_t *v) {
  fl_cursor *cur = &dec->cur;
  uint64_t x = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (cur->bad || cur->pos >= cur->len) return fail(dec);
    uint8_t b = cur->data[cur->pos++];
    if (shift == 63 && b > 1) return fail(dec);
    x |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return true;
    }
  }
  return fail(dec);
}

static bool get_zigzag(fl_thrift_dec *dec, int64_t *v) {
  uint64_t u;
  if (!get_varint(dec, &u)) return false;
  *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
  return true;
}

static bool get_byte(fl_thrift_dec *dec, uint8_t *b) {
  fl_cursor *cur = &dec->cur;
  if (cur->bad || cur->pos >= cur->len) return fail(dec);
  *b = cur->data[cur->pos++];
  return true;
}

bool fl_thrift_dec_struct_open(fl_thrift_dec *dec) {
  if (dec->cur.bad || dec->depth + 1 >= FL_THRIFT_DEPTH_MAX) return fail(dec);
  dec->last_id[++dec->depth] = 0;
  return true;
}

bool fl_thrift_dec_field(fl_thrift_dec *dec, uint8_t *type, int16_t *id) {
  uint8_t b;
  if (dec->depth < 0 || !get_byte(dec, &b)) return fail(dec);
  if (b == FL_TT_STOP) {
    dec->depth--;
    return false;
  }
  *type = b & 0x0F;
  if (*type > FL_TT_STRUCT) return fail(dec);
  uint8_t delta = b >> 4;
  if (delta) {
    int32_t nid = dec->last_id[dec->depth] + delta;
    if (nid > INT16_MAX) return fail(dec);
    *id = (int16_t)nid;
  } else {
    int64_t v;
    if (!get_zigzag(dec, &v) || v < INT16_MIN || v > INT16_MAX) return fail(dec);
    *id = (int16_t)v;
  }
  dec->last_id[dec->depth] = *id;
  return true;
}

bool fl_thrift_dec_i32(fl_thrift_dec *dec, int32_t *v) {
  int64_t x;
  if (!get_zigzag(dec, &x) || x < INT32_MIN || x > INT32_MAX) return fail(dec);
  *v = (int32_t)x;
  return true;
}

bool fl_thrift_dec_i64(fl_thrift_dec *dec, int64_t *v) { return get_zigzag(dec, v); }

bool fl_thrift_dec_binary(fl_thrift_dec *dec, const uint8_t **p, uint32_t *n) {
  uint64_t len;
  if (!get_varint(dec, &len)) return false;
  if (len > dec->cur.len - dec->cur.pos) return fail(dec);
  *p = dec->cur.data + dec->cur.pos;
  *n = (uint32_t)len;
  dec->cur.pos += len;
  return true;
}

bool fl_thrift_dec_list(fl_thrift_dec *dec, uint8_t *elem_type, uint32_t *n) {
  uint8_t b;
  if (!get_byte(dec, &b)) return false;
  *elem_type = b & 0x0F;
  if (*elem_type > FL_TT_STRUCT || *elem_type == FL_TT_STOP) return fail(dec);
  uint64_t count = b >> 4;
  if (count == 15 && !get_varint(dec, &count)) return false;
  /* every element takes at least one byte */
  if (count > dec->cur.len - dec->cur.pos) return fail(dec);
  *n = (uint32_t)count;
  return true;
}

static bool skip_n(fl_thrift_dec *dec, size_t n) {
  if (dec->cur.bad || n > dec->cur.len - dec->cur.pos) return fail(dec);
  dec->cur.pos += n;
  return true;
}

bool fl_thrift_dec_skip(fl_thrift_dec *dec, uint8_t type, bool in_list) {
  uint64_t u;
  int64_t i;
  const uint8_t *p;
  uint32_t n;
  uint8_t et, b;
  switch (type) {
    case FL_TT_TRUE:
    case FL_TT_FALSE: return in_list ? skip_n(dec, 1) : !dec->cur.bad;
    case FL_TT_I8: return skip_n(dec, 1);
    case FL_TT_I16:
    case FL_TT_I32:
    case FL_TT_I64: return get_zigzag(dec, &i);
    case FL_TT_DOUBLE: return skip_n(dec, 8);
    case FL_TT_BINARY: return fl_thrift_dec_binary(dec, &p, &n);
    case FL_TT_LIST:
    case FL_TT_SET:
      if (!fl_thrift_dec_list(dec, &et, &n)) return false;
      if (dec->depth + 1 >= FL_THRIFT_DEPTH_MAX) return fail(dec);
      dec->depth++; /* nesting guard only: lists do not use last_id */
      dec->last_id[dec->depth] = 0;
      for (uint32_t k = 0; k < n; k++)
        if (!fl_thrift_dec_skip(dec, et, true)) return false;
      dec->depth--;
      return true;
    case FL_TT_MAP:
      if (!get_varint(dec, &u)) return false;
      if (u == 0) return true;
      if (u > (dec->cur.len - dec->cur.pos) / 2 || !get_byte(dec, &b)) return fail(dec);
      if ((b >> 4) == FL_TT_STOP || (b >> 4) > FL_TT_STRUCT || (b & 15) == FL_TT_STOP ||
          (b & 15) > FL_TT_STRUCT)
        return fail(dec);
      if (dec->depth + 1 >= FL_THRIFT_DEPTH_MAX) return fail(dec);
      dec->depth++;
      dec->last_id[dec->depth] = 0;
      for (uint64_t k = 0; k < u; k++)
        if (!fl_thrift_dec_skip(dec, b >> 4, true) || !fl_thrift_dec_skip(dec, b & 15, true)) return false;
      dec->depth--;
      return true;
    case FL_TT_STRUCT: {
      if (!fl_thrift_dec_struct_open(dec)) return false;
      uint8_t ft;
      int16_t id;
      while (fl_thrift_dec_field(dec, &ft, &id))
        if (!fl_thrift_dec_skip(dec, ft, false)) return false;
      return !dec->cur.bad;
    }
    default: return fail(dec);
  }
}
