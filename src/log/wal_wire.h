/* wal_wire: the event log's write-ahead files on disk (wal.c). Never change casually:
 * a log must replay the write-ahead files a previous binary left. Changing the
 * layout? Bump FL_LOG_WAL_VERSION, keep replaying version 1, update wal.c, its fuzz
 * seeds and src/log/README.md.
 *
 * Files: DIR/.wal-0 and DIR/.wal-1 (DIR = the log directory; a stream name never
 * starts with '.'). Each is a plain concatenation of frames (no file header) from
 * byte 0; a recycled file is truncated to 0 bytes. A frame holds the bytes one group
 * commit wrote to one partition's active segment, and where it wrote them.
 *
 * Frame (all integers little-endian):
 *
 *   off  size  field            meaning
 *   ---  ----  ---------------  ----------------------------------------------------
 *    0    4    magic            0x46574C46 (bytes "FLWF")
 *    4    2    version          1
 *    6    2    name_len         bytes of the stream name, 1..200
 *    8    8    generation       the file's period: +1 at every switch of file; every
 *                               frame of one file has the same one
 *   16    8    segment_base     the segment file's base offset (its name)
 *   24    8    segment_pos      byte position in that segment of the data
 *   32    4    partition        the partition number
 *   36    4    data_len         bytes of data, 1..FL_LOG_WAL_FRAME_MAX
 *   40    4    crc              CRC-32C of: header bytes [0, 40), the name, the data
 *   44    4    reserved         0
 *   48    n    name             the stream name (no terminator)
 *   48+n  d    data             exactly the bytes written at segment_pos (whole batches)
 *
 * A frame is valid when magic, version, lengths, reserved and crc check and its
 * generation equals the file's first frame's; the first invalid frame ends the file
 * (a torn tail: its group never became durable, so it was never acknowledged). */
#ifndef FL_LOG_WAL_WIRE_H
#define FL_LOG_WAL_WIRE_H

#define FL_LOG_WAL_MAGIC 0x46574C46u
#define FL_LOG_WAL_VERSION 1
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
