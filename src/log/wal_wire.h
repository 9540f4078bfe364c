/* wal_wire: the event log's write-ahead files on disk (wal.c). Never change casually:
 * a log must replay the write-ahead files a previous binary left. Changing the
 * layout? Bump FL_LOG_WAL_VERSION, keep replaying version 1, update wal.c, its fuzz
 * seeds and src/log/README.md.
 *
 * Files: DIR/.wal-0 and DIR/.wal-1 (DIR = the log directory; a stream name never
 * starts with '.'). Version 2 (since the preallocated files): each file is written
 * full of zeros once (FL_LOG_WAL_PREALLOC_BYTES at creation, grown by the sync thread
 * while it recycles the file) and never truncated; a file header (64 bytes) at byte 0
 * names the file's current turn (generation) and a random salt, and the frames of
 * that turn follow it from byte 64, OVERWRITING the frames of older turns (so an
 * fdatasync of a frame never changes the file's size: no inode write on a disk
 * without a journal). Recycling a file (wal.c) rewrites its header with the
 * generation of its next turn and a new salt, which invalidates every older frame
 * still in it. Version 1 files (frames from byte 0, no header, truncated to 0 bytes
 * when recycled) are still replayed. A frame holds the bytes one group commit wrote
 * to one partition's active segment, and where it wrote them.
 *
 * File header (version 2; all integers little-endian):
 *
 *   off  size  field            meaning
 *   ---  ----  ---------------  ----------------------------------------------------
 *    0    4    magic            0x48574C46 (bytes "FLWH")
 *    4    2    version          2
 *    6    2    reserved         0
 *    8    8    generation       the turn whose frames the file holds (or will hold)
 *   16    8    salt             random, new at every recycle: seeds every frame CRC
 *   24   36    reserved         0
 *   60    4    crc              CRC-32C of bytes [0, 60)
 *
 * Frame (version 1 from byte 0 of a version-1 file; version 2 from byte 64):
 *
 *   off  size  field            meaning
 *   ---  ----  ---------------  ----------------------------------------------------
 *    0    4    magic            0x46574C46 (bytes "FLWF")
 *    4    2    version          1 or 2, as the file
 *    6    2    name_len         bytes of the stream name, 1..200
 *    8    8    generation       the file's period: +1 at every switch of file; every
 *                               frame of one turn has the same one (v2: the header's)
 *   16    8    segment_base     the segment file's base offset (its name)
 *   24    8    segment_pos      byte position in that segment of the data
 *   32    4    partition        the partition number
 *   36    4    data_len         bytes of data, 1..FL_LOG_WAL_FRAME_MAX
 *   40    4    crc              v1: CRC-32C of header bytes [0, 40), the name, the
 *                               data; v2: the same CRC started from CRC-32C of the
 *                               header's 8 salt bytes (a frame of an older turn, or
 *                               bytes inside an older frame's data, never checks)
 *   44    4    reserved         0
 *   48    n    name             the stream name (no terminator)
 *   48+n  d    data             exactly the bytes written at segment_pos (whole batches)
 *
 * A frame is valid when magic, version, lengths, reserved and crc check and its
 * generation equals the file's (v2: the header's; v1: the first frame's); the first
 * invalid frame ends the file (a torn tail: its group never became durable, so it was
 * never acknowledged; or the older turns' leftovers). A v2 file whose header does not
 * check holds no frame to replay (it was being recycled, so its frames were synced). */
#ifndef FL_LOG_WAL_WIRE_H
#define FL_LOG_WAL_WIRE_H

#define FL_LOG_WAL_MAGIC 0x46574C46u
#define FL_LOG_WAL_VERSION 2
#define FL_LOG_WAL_VERSION_V1 1
#define FL_LOG_WAL_FILE_MAGIC 0x48574C46u
#define FL_LOG_WAL_FILE_HEADER_BYTES 64
#define FL_LOG_WAL_FOFF_MAGIC 0
#define FL_LOG_WAL_FOFF_VERSION 4
#define FL_LOG_WAL_FOFF_RESERVED 6
#define FL_LOG_WAL_FOFF_GEN 8
#define FL_LOG_WAL_FOFF_SALT 16
#define FL_LOG_WAL_FOFF_CRC 60
#define FL_LOG_WAL_HEADER_BYTES 48
#define FL_LOG_WAL_OFF_MAGIC 0
#define FL_LOG_WAL_OFF_VERSION 4
#define FL_LOG_WAL_OFF_NAME_LEN 6
#define FL_LOG_WAL_OFF_GEN 8
#define FL_LOG_WAL_OFF_SEG_BASE 16
#define FL_LOG_WAL_OFF_SEG_POS 24
#define FL_LOG_WAL_OFF_PARTITION 32
#define FL_LOG_WAL_OFF_DATA_LEN 36
#define FL_LOG_WAL_OFF_CRC 40
#define FL_LOG_WAL_OFF_RESERVED 44
#define FL_LOG_WAL_NAME_MAX 200
#define FL_LOG_WAL_FILES 2

#endif
