/* utf8: counting code points of UTF-8 text, 8 bytes at a time.
 *
 * A code point is every byte that is not a continuation byte (10xxxxxx), as DuckDB's
 * length() counts: a byte with bit 7 set and bit 6 clear is a continuation. For a
 * 64-bit word w, (w & ~(w << 1)) & 0x80..80 has bit 7 of each byte set exactly for
 * its continuation bytes (bit 6 of a byte moves to bit 7 under w << 1; the carry from
 * the byte below lands on bit 0, never on bit 7). The 8 flags are summed by a multiply
 * (no popcount instruction in the baseline x86-64 floe is built for). */
#ifndef FL_CORE_UTF8_H
#define FL_CORE_UTF8_H

#include <stdint.h>
#include <string.h>

static inline uint64_t fl_utf8_count(const char *p, uint64_t n) {
  uint64_t cont = 0, j = 0;
  for (; j + 8 <= n; j += 8) {
    uint64_t w;
    memcpy(&w, p + j, 8);
    uint64_t t = (w & ~(w << 1) & 0x8080808080808080ull) >> 7; /* 1 in each continuation byte */
    cont += (t * 0x0101010101010101ull) >> 56;                 /* their sum, in the top byte */
  }
  for (; j < n; j++) cont += ((uint8_t)p[j] & 0xc0) == 0x80;
  return n - cont;
}

#endif
