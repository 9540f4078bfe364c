/* buf: growable byte buffers (geometric growth) and the bounds-checked cursor that
 * every parser of outside bytes reads through. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/mem.h"

void fl_buf_reserve(fl_buf *buf, size_t extra) {
  size_t need = buf->len + extra;
  if (need <= buf->cap) return;
  size_t cap = buf->cap ? buf->cap : 256;
  while (cap < need) cap *= 2;
  buf->data = fl_realloc(buf->data, cap);
  buf->cap = cap;
}

void fl_buf_free(fl_buf *buf) {
  fl_free(buf->data);
  buf->data = NULL;
  buf->len = buf->cap = 0;
}

uint8_t *fl_buf_take(fl_buf *buf, size_t *len) {
  uint8_t *p = buf->data;
  if (len) *len = buf->len;
  buf->data = NULL;
  buf->len = buf->cap = 0;
  return p;
}

void fl_buf_puts(fl_buf *buf, const char *s) { fl_buf_append(buf, s, strlen(s)); }

void fl_buf_printf(fl_buf *buf, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[256];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) {
    va_end(ap2);
    return;
  }
  if ((size_t)n < sizeof tmp) {
    fl_buf_append(buf, tmp, (size_t)n);
  } else {
    fl_buf_reserve(buf, (size_t)n + 1);
    vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap2);
    buf->len += (size_t)n;
  }
  va_end(ap2);
}

void fl_buf_put_le16(fl_buf *buf, uint16_t v) {
  uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  fl_buf_append(buf, b, 2);
}

void fl_buf_put_le32(fl_buf *buf, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  fl_buf_append(buf, b, 4);
}

void fl_buf_put_le64(fl_buf *buf, uint64_t v) {
  fl_buf_put_le32(buf, (uint32_t)v);
  fl_buf_put_le32(buf, (uint32_t)(v >> 32));
}

void fl_buf_put_be32(fl_buf *buf, uint32_t v) {
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  fl_buf_append(buf, b, 4);
}

void fl_buf_put_uvarint(fl_buf *buf, uint64_t v) {
  uint8_t b[10];
  size_t n = 0;
  while (v >= 0x80) {
    b[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b[n++] = (uint8_t)v;
  fl_buf_append(buf, b, n);
}

void fl_buf_put_zigzag(fl_buf *buf, int64_t v) {
  fl_buf_put_uvarint(buf, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void fl_buf_cstr(fl_buf *buf) {
  fl_buf_reserve(buf, 1);
  buf->data[buf->len] = '\0';
}

static bool fail(fl_cursor *cur) {
  cur->bad = true;
  return false;
}

bool fl_cursor_get_u8(fl_cursor *cur, uint8_t *v) {
  if (cur->bad || cur->len - cur->pos < 1) return fail(cur);
  *v = cur->data[cur->pos++];
  return true;
}

bool fl_cursor_get_le32(fl_cursor *cur, uint32_t *v) {
  if (cur->bad || cur->len - cur->pos < 4) return fail(cur);
  *v = fl_le32(cur->data + cur->pos);
  cur->pos += 4;
  return true;
}

bool fl_cursor_get_le64(fl_cursor *cur, uint64_t *v) {
  if (cur->bad || cur->len - cur->pos < 8) return fail(cur);
  *v = fl_le64(cur->data + cur->pos);
  cur->pos += 8;
  return true;
}

bool fl_cursor_get_uvarint(fl_cursor *cur, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    uint8_t b;
    if (!fl_cursor_get_u8(cur, &b)) return false;
    if (shift == 63 && b > 1) return fail(cur);
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return true;
    }
  }
  return fail(cur);
}

bool fl_cursor_get_zigzag(fl_cursor *cur, int64_t *v) {
  uint64_t u;
  if (!fl_cursor_get_uvarint(cur, &u)) return false;
  *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
  return true;
}

bool fl_cursor_get_bytes(fl_cursor *cur, size_t n, const uint8_t **p) {
  if (cur->bad || cur->len - cur->pos < n) return fail(cur);
  *p = cur->data + cur->pos;
  cur->pos += n;
  return true;
}

bool fl_cursor_skip(fl_cursor *cur, size_t n) {
  if (cur->bad || cur->len - cur->pos < n) return fail(cur);
  cur->pos += n;
  return true;
}
