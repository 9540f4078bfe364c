/* log_wire: the event log's bytes on disk. Never change casually: every segment file
 * ever written must stay readable. Changing the layout? Bump FL_LOG_BATCH_VERSION,
 * keep reading version 1, update segment.c (encode/check), the reader, the fuzz
 * target's seeds and src/log/README.md.
 *
 * Files: DIR/<stream>/<partition>/<base offset, 20 decimal digits>.log
 * A segment file is a plain concatenation of record batches (no file header): the
 * first batch's base offset equals the offset in the file name, each next batch's
 * base offset equals the previous one's base + record count (offsets are dense).
 *
 * Record batch (all integers little-endian). Versions 1, 2 and 3 share the 40-byte
 * header; a segment (and a partition) may hold all three, batch by batch:
 *
 *   off  size  field            meaning
 *   ---  ----  ---------------  ----------------------------------------------------
 *    0    4    magic            0x31424C46 (bytes "FLB1")
 *    4    4    crc              CRC-32C of: the payload as stored, then header bytes [8, 40)
 *    8    8    base_offset      offset of the first record of the batch
 *   16    4    record_count     >= 1
 *   20    4    payload_len      bytes of payload stored after the header (compressed if
 *                               compressed), <= FL_LOG_BATCH_PAYLOAD_MAX
 *   24    8    append_time_ms   when the batch was appended (ms since 1970, UTC)
 *   32    2    version          1, 2 or 3
 *   34    2    flags            v1: 0. v2: bits 0-1 compression of the payload:
 *                               0 none, 1 zstd (one zstd frame with its content
 *                               size and checksum), 2 lz4 (one LZ4 block of
 *                               raw_len bytes); 3 unknown; other bits 0. v3: bits
 *                               0-1 compression of the values section only: 0 none,
 *                               1 zstd (one frame with its content size, no
 *                               checksum), 2 lz4 (one LZ4 block); 3 unknown
 *   36    4    raw_len          v1: 0 (reserved). v2, v3: bytes of the payload once
 *                               decompressed (= payload_len when not compressed),
 *                               <= PAYLOAD_MAX
 *   40    -    payload          v1, v2: record_count records, exactly filling raw_len
 *                               bytes once decompressed. v3: below
 *
 * Record, version 1 (inside the payload):
 *
 *   off  size  field            meaning
 *   ---  ----  ---------------  ----------------------------------------------------
 *    0    4    value_len        bytes of the value
 *    4    n    value            the record's bytes (the server stores the raw JSON text)
 *
 * Record, version 2 (inside the uncompressed payload):
 *
 *   off  size  field            meaning
 *   ---  ----  ---------------  ----------------------------------------------------
 *    0    4    value_len        bytes of the value
 *    4    4    contract_version version of the stream contract that accepted the
 *                               record (0: none known)
 *    8    8    key_hash         the partitioner's 64-bit hash of the record's key
 *                               (fl_hash64 of the primary key text; 0: none)
 *   16    8    event_time_ms    event time, ms since 1970 UTC; INT64_MIN = none
 *   24    n    value            the record's bytes
 * Version 1 records read as contract_version 0, key_hash 0, no event time.
 *
 * Payload, version 3: the record headers as one uncompressed block, then the values
 * concatenated, of which only the values are compressed (the 8-byte key hashes are
 * incompressible and, interleaved with the JSON, slowed zstd down by a quarter):
 *
 *   off  size  field            meaning
 *   ---  ----  ---------------  ----------------------------------------------------
 *    0    4    head_len         bytes of the head block, <= payload_len - 4
 *    4    1    head_flags       bit 0: a contract version per record (else one for
 *                               the batch); other bits 0
 *    5    v    contract_version varint, when head_flags bit 0 is clear
 *    .    -    record_count record heads, each:
 *                 v  value_len << 1 | has_event_time  varint (value_len <= 2^32 - 1)
 *                 v  contract_version  varint (<= 2^32 - 1), when head_flags bit 0 is set
 *                 v  event_time delta  varint, when has_event_time: zigzag of
 *                                      (event_time_ms - the event time of the previous
 *                                      record that has one; 0 for the first) in 64-bit
 *                                      two's complement
 *                 8  key_hash          raw
 *   4+head_len -  values           the records' values concatenated (raw_len - 4 -
 *                                   head_len bytes), stored as is or as one zstd frame
 * The heads must exactly fill head_len and the value lengths exactly the values.
 * Varints: LEB128, 7 bits a byte, low first, at most 10 bytes.
 *
 * Why the CRC covers the payload first: the appending thread encodes and compresses
 * the payload and computes its CRC (in parallel with other appenders); the single log
 * thread then only extends it over the 32 header bytes once it has assigned the base
 * offset. Every byte after the crc field is covered (compressed bytes as written). A
 * batch is valid when magic, version, crc, flags, counts and lengths all check, a
 * compressed payload decompresses to exactly raw_len bytes, the records exactly fill
 * them, and base_offset is the expected next offset; the first invalid batch ends the
 * segment (recovery truncates it and all after it). */
#ifndef FL_LOG_LOG_WIRE_H
#define FL_LOG_LOG_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FL_LOG_BATCH_MAGIC 0x31424C46u
#define FL_LOG_BATCH_VERSION 3u /* written; versions 1 and 2 are still read */
#define FL_LOG_BATCH_VERSION_1 1u
#define FL_LOG_BATCH_VERSION_2 2u
#define FL_LOG_BATCH_HEADER_BYTES 40u
/* 64 MiB bounds one append (a 1,000-event batch is ~250 KiB; a request body is capped
 * far lower by the server) and what a reader must hold in memory for one batch. */
#define FL_LOG_BATCH_PAYLOAD_MAX (64u << 20)
#define FL_LOG_RECORD_HEADER_BYTES 4u     /* version 1 */
#define FL_LOG_RECORD_HEADER_BYTES_V2 24u /* version 2 */
/* version 3: the head block's fixed part (head_len, head_flags) and its largest
 * batch-wide contract version; a record head's least and most bytes */
#define FL_LOG_V3_HEAD_FIXED_BYTES 5u
#define FL_LOG_V3_HEAD_BATCH_MAX 5u
#define FL_LOG_V3_RECORD_HEAD_MIN 9u  /* value_len 1, key hash 8 */
#define FL_LOG_V3_RECORD_HEAD_MAX 28u /* value_len 5, contract 5, event time 10, key hash 8 */
#define FL_LOG_V3_HEAD_PER_RECORD_CONTRACT 0x1u
#define FL_LOG_EVENT_TIME_NONE INT64_MIN

/* v2 flags */
#define FL_LOG_FLAG_COMPRESSION_MASK 0x3u
enum { FL_LOG_COMPRESSION_NONE = 0, FL_LOG_COMPRESSION_ZSTD = 1, FL_LOG_COMPRESSION_LZ4 = 2 }; /* codec.h */

enum {
  FL_LOG_OFF_MAGIC = 0,
  FL_LOG_OFF_CRC = 4,
  FL_LOG_OFF_BASE = 8,
  FL_LOG_OFF_COUNT = 16,
  FL_LOG_OFF_PAYLOAD_LEN = 20,
  FL_LOG_OFF_TIME = 24,
  FL_LOG_OFF_VERSION = 32,
  FL_LOG_OFF_FLAGS = 34,
  FL_LOG_OFF_RESERVED = 36, /* v1 */
  FL_LOG_OFF_RAW_LEN = 36,  /* v2 */
};
enum { /* v2 record */
       FL_LOG_ROFF_VALUE_LEN = 0,
       FL_LOG_ROFF_CONTRACT = 4,
       FL_LOG_ROFF_KEY_HASH = 8,
       FL_LOG_ROFF_EVENT_TIME = 16,
};

/* Bytes of v as a varint (1..10). */
static inline uint32_t fl_log_varint_len(uint64_t v) {
  return 1 + (uint32_t)(63 - __builtin_clzll(v | 1)) / 7;
}
static inline unsigned char *fl_log_put_varint(unsigned char *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *p++ = (unsigned char)v;
  return p;
}
/* Reads a varint at *p, within end: false if cut short or longer than 10 bytes. */
static inline bool fl_log_get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
  const unsigned char *q = *p;
  uint64_t x = 0;
  for (unsigned shift = 0; shift < 70 && q < end; shift += 7) {
    unsigned char b = *q++;
    x |= (uint64_t)(b & 0x7F) << shift;
    if (b < 0x80) {
      *p = q;
      *v = x;
      return true;
    }
  }
  return false;
}
static inline uint64_t fl_log_zigzag(uint64_t d) { return (d << 1) ^ (uint64_t)((int64_t)d >> 63); }
static inline uint64_t fl_log_unzigzag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

/* Segment file names: 20 digits hold any uint64 and sort as numbers. */
#define FL_LOG_SEGMENT_SUFFIX ".log"
enum { FL_LOG_SEGMENT_NAME_DIGITS = 20 };

static inline void fl_log_put16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}
static inline void fl_log_put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline void fl_log_put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint16_t fl_log_get16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t fl_log_get32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4); /* little-endian hosts only (x86-64, arm64): asserted in segment.c */
  return v;
}
static inline uint64_t fl_log_get64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

#endif
