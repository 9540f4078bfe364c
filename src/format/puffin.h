/* puffin: Iceberg v3 deletion vectors, the `deletion-vector-v1` blobs of Puffin files
 * (Puffin spec; Iceberg spec "Deletion Vectors"). Read only.
 *
 * A manifest entry of a v3 position delete with file_format PUFFIN names the blob's
 * byte range (content_offset, content_size_in_bytes) and its data file
 * (referenced_data_file); the blob is read straight from that range, as the spec
 * allows, without the Puffin footer. Blob layout:
 *
 *   bytes      what
 *   4          length of magic + vector, big-endian u32
 *   4          magic D1 D3 39 64
 *   n          the vector: a 64-bit Roaring bitmap, "portable" serialization:
 *                8   count of 32-bit bitmaps, little-endian u64
 *                per bitmap: 4 key (the positions' high 32 bits, LE, ascending),
 *                then a 32-bit Roaring bitmap (RoaringFormatSpec: cookie 12346 or
 *                12347 + run flags, per container key and cardinality - 1, offsets,
 *                then array / bitmap / run containers)
 *   4          CRC-32 (zlib's) of magic + vector, big-endian
 *
 * Every count, offset and length is checked against the bytes present; keys and
 * values must be strictly ascending; a position at or past max_pos (the data file's
 * record count) is corruption. Errors are FL_ECORRUPT naming the file and offset. */
#ifndef FL_FORMAT_PUFFIN_H
#define FL_FORMAT_PUFFIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Called once per deleted position, ascending; a non-zero return stops the walk and
 * is returned as the fl_code. */
typedef int (*fl_dv_fn)(void *ctx, uint64_t pos);

/* Decodes one deletion-vector-v1 blob in memory (the fuzz target's entry). */
fl_code fl_dv_parse(const uint8_t *blob, size_t len, const char *name, uint64_t max_pos, fl_dv_fn fn,
                    void *ctx, fl_err *err);
/* Reads the blob at [offset, offset + size) of the Puffin file at path (whose first
 * and last four bytes must be the Puffin magic PFA1) and decodes it. */
fl_code fl_dv_read(const char *path, int64_t offset, int64_t size, uint64_t max_pos, fl_dv_fn fn, void *ctx,
                   fl_err *err);

#endif
