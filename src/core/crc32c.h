/* crc32c: CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the
 * checksum of iSCSI, ext4, Kafka record batches and floe's event log.
 *
 *   uint32_t crc = fl_crc32c(0, buf, n);          one buffer
 *   crc = fl_crc32c(crc, more, m);                continued over more bytes
 *
 * fl_crc32c(0, "123456789", 9) == 0xE3069283 (the standard check value). The pre-
 * and post-inversion are inside, so chaining calls equals one call over the
 * concatenation. Uses the SSE4.2 crc32 instruction when the CPU has it (checked once
 * at run time), else a slicing-by-8 table. */
#ifndef FL_CORE_CRC32C_H
#define FL_CORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t fl_crc32c(uint32_t crc, const void *p, size_t n);
/* The portable table version, for tests comparing the two. */
uint32_t fl_crc32c_sw(uint32_t crc, const void *p, size_t n);

#endif
