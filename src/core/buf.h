/* buf: a growable byte buffer, the unit of encoding (Thrift, Avro, JSON text, pages).
 * Owns its bytes (fl_malloc). Little-endian and varint helpers for the wire formats. */
#ifndef FL_CORE_BUF_H
#define FL_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct fl_buf {
  uint8_t *data;
  size_t len;
  size_t cap;
} fl_buf;

#define FL_BUF_INIT \
  { NULL, 0, 0 }

void fl_buf_reserve(fl_buf *buf, size_t extra); /* ensures cap >= len + extra */
void fl_buf_free(fl_buf *buf);
static inline void fl_buf_clear(fl_buf *buf) { buf->len = 0; }
/* Transfers ownership of the bytes to the caller (fl_free them); buf becomes empty. */
uint8_t *fl_buf_take(fl_buf *buf, size_t *len);

static inline void fl_buf_append(fl_buf *buf, const void *p, size_t n) {
  if (buf->cap - buf->len < n) fl_buf_reserve(buf, n);
  if (n) memcpy(buf->data + buf->len, p, n);
  buf->len += n;
}
static inline void fl_buf_put_u8(fl_buf *buf, uint8_t v) {
  if (buf->cap == buf->len) fl_buf_reserve(buf, 1);
  buf->data[buf->len++] = v;
}
void fl_buf_puts(fl_buf *buf, const char *s);
void fl_buf_printf(fl_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fl_buf_put_le16(fl_buf *buf, uint16_t v);
void fl_buf_put_le32(fl_buf *buf, uint32_t v);
void fl_buf_put_le64(fl_buf *buf, uint64_t v);
void fl_buf_put_be32(fl_buf *buf, uint32_t v);
void fl_buf_put_uvarint(fl_buf *buf, uint64_t v); /* ULEB128 */
void fl_buf_put_zigzag(fl_buf *buf, int64_t v);   /* zigzag then ULEB128 */
/* NUL-terminates without counting the NUL in len (for using data as a C string). */
void fl_buf_cstr(fl_buf *buf);

static inline uint16_t fl_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t fl_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t fl_le64(const uint8_t *p) {
  return (uint64_t)fl_le32(p) | (uint64_t)fl_le32(p + 4) << 32;
}
static inline uint32_t fl_be32(const uint8_t *p) {
  return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* A bounds-checked reader over bytes that came from outside (files, network).
 * Every get_* returns false and sets cur->bad once the input is exhausted or
 * malformed; callers check cur->bad (or the return) and report where (cur->pos). */
typedef struct fl_cursor {
  const uint8_t *data;
  size_t len;
  size_t pos;
  bool bad;
} fl_cursor;

static inline fl_cursor fl_cursor_make(const void *p, size_t n) {
  fl_cursor c = {(const uint8_t *)p, n, 0, false};
  return c;
}
static inline size_t fl_cursor_left(const fl_cursor *cur) { return cur->bad ? 0 : cur->len - cur->pos; }
bool fl_cursor_get_u8(fl_cursor *cur, uint8_t *v);
bool fl_cursor_get_le32(fl_cursor *cur, uint32_t *v);
bool fl_cursor_get_le64(fl_cursor *cur, uint64_t *v);
bool fl_cursor_get_uvarint(fl_cursor *cur, uint64_t *v); /* max 10 bytes */
bool fl_cursor_get_zigzag(fl_cursor *cur, int64_t *v);
/* Points *p at the next n bytes without copying. */
bool fl_cursor_get_bytes(fl_cursor *cur, size_t n, const uint8_t **p);
bool fl_cursor_skip(fl_cursor *cur, size_t n);

#endif
