/* hash: xxHash (libxxhash) for floe's own hash tables and checksums, and Murmur3
 * x86_32 with seed 0, which Iceberg's bucket[N] transform requires (spec Appendix B). */
#ifndef FL_CORE_HASH_H
#define FL_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t fl_hash64(const void *p, size_t n); /* XXH3_64bits */
uint64_t fl_hash64_seed(const void *p, size_t n, uint64_t seed);
uint32_t fl_murmur3_32(const void *p, size_t n, uint32_t seed);

#endif
