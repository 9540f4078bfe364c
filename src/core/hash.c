/* hash: xxHash for floe's own use; Murmur3 x86_32 exactly as Iceberg's bucket
 * transform defines it (Guava's murmur3_32 with seed 0, little-endian blocks). */
#include "core/hash.h"

#include <string.h>
#include <xxhash.h>

uint64_t fl_hash64(const void *p, size_t n) { return XXH3_64bits(p, n); }
uint64_t fl_hash64_seed(const void *p, size_t n, uint64_t seed) { return XXH3_64bits_withSeed(p, n, seed); }

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t fl_murmur3_32(const void *data, size_t n, uint32_t seed) {
  const uint8_t *p = data;
  const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  uint32_t h = seed;
  size_t nblocks = n / 4;
  for (size_t i = 0; i < nblocks; i++) {
    uint32_t k;
    memcpy(&k, p + i * 4, 4); /* x86_64: little-endian, as the spec requires */
    k *= c1;
    k = rotl32(k, 15);
    k *= c2;
    h ^= k;
    h = rotl32(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const uint8_t *tail = p + nblocks * 4;
  uint32_t k = 0;
  switch (n & 3) {
    case 3: k ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)tail[1] << 8;  /* fall through */
    case 1:
      k ^= tail[0];
      k *= c1;
      k = rotl32(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= (uint32_t)n;
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}
