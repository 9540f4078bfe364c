/* codec: the compression codecs of a log batch's payload (log_wire.h flags bits 0-1),
 * private to src/log. wire.c lays the batch out; this file only turns bytes into
 * fewer bytes and back, so a change of layout and a change of codec do not meet.
 *
 *   codec (FL_LOG_COMPRESSION_*)  stored payload                   level
 *   ----------------------------  -------------------------------  ---------------------
 *   NONE  0                       the raw bytes                    -
 *   ZSTD  1                       one zstd frame with its content  zstd's level (1..19)
 *                                 size (a checksum only in frames
 *                                 of v2 batches)
 *   LZ4   2                       one LZ4 block (no frame: the     LZ4's acceleration
 *                                 raw length is the header's       (1 = LZ4_compress_default;
 *                                 raw_len, the batch CRC covers    higher: faster, bigger)
 *                                 the block)
 *
 * Each codec's contexts are per thread (a pthread key frees them at thread exit):
 * a ZSTD_CCtx and a ZSTD_DCtx, an LZ4 state; none is allocated per batch. */
#ifndef FL_LOG_CODEC_H
#define FL_LOG_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Compresses src[0..n) into dst (room for cap bytes) with codec (not NONE) at level
 * (>= 1): the compressed size, or 0 when the result would not fit in cap (the caller
 * passes cap < n, so 0 means "not smaller": store the raw bytes). */
size_t fl_log_codec_compress(uint16_t codec, int level, const void *src, size_t n, void *dst, size_t cap);

/* Decompresses the n stored bytes of a payload of codec (not NONE) into dst, which
 * has room for exactly raw_len bytes; it must make exactly raw_len bytes. NULL ok,
 * else a static reason ("compressed payload ..."). Any bytes are safe to pass: the
 * segment fuzz target feeds arbitrary payloads with correct CRCs. */
const char *fl_log_codec_decompress(uint16_t codec, const void *src, size_t n, void *dst, size_t raw_len);

#endif
