/* wal_fuzz: arbitrary bytes as the log's write-ahead file(s), then a writer open
 * (which replays them into the segments of stream "s"), readers and an append. It
 * must never crash, and after the open the invariants must hold: both write-ahead
 * files start with a valid version-2 file header (a fresh turn: nothing left to
 * replay) and keep at least their preallocated size, every offset in [start, end)
 * reads back (or the reader reports damage, FL_ECORRUPT: crafted frames with valid
 * CRCs may overlap and write a damaged batch), and an append gets offset `end`.
 *
 * Input: byte 0 bit 0 set = two files: the input after byte 2 is split at
 * (byte 1 * 256 + byte 2) % len into .wal-0 and .wal-1; else the input after byte 0
 * is .wal-0. Byte 0 bit 1 set = fix the CRCs: a file that starts with a version-2
 * file header gets its header CRC fixed and its frames (from byte 64) salted CRCs;
 * else each frame from byte 0 (version 1) whose magic and lengths fit gets a correct
 * CRC, so the fuzzer reaches the generation check and the replay behind it. Seeds:
 * tests/fuzz/corpus/wal (version 1: frames for s/0 at byte 0, in one file and across
 * two generations; v2-*: the same frames after a file header; v3-batches: frames of
 * v3 batches, one stored, one with zstd-compressed values). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/diag.h"
#include "core/limits.h"
#include "core/mem.h"
#include "log/log.h"
#include "log/log_wire.h"
#include "log/wal_wire.h"

static char *root, *pdir;

static void fix_crcs(uint8_t *d, size_t n) {
  size_t pos = 0;
  uint32_t crc0 = 0;
  if (n >= FL_LOG_WAL_FILE_HEADER_BYTES && fl_log_get32(d) == FL_LOG_WAL_FILE_MAGIC) {
    fl_log_put32(d + FL_LOG_WAL_FOFF_CRC, fl_crc32c(0, d, FL_LOG_WAL_FOFF_CRC));
    crc0 = fl_crc32c(0, d + FL_LOG_WAL_FOFF_SALT, 8);
    pos = FL_LOG_WAL_FILE_HEADER_BYTES;
  }
  while (n - pos >= FL_LOG_WAL_HEADER_BYTES) {
    uint8_t *h = d + pos;
    uint64_t len = FL_LOG_WAL_HEADER_BYTES + (uint64_t)fl_log_get16(h + FL_LOG_WAL_OFF_NAME_LEN) +
                   fl_log_get32(h + FL_LOG_WAL_OFF_DATA_LEN);
    if (fl_log_get32(h + FL_LOG_WAL_OFF_MAGIC) != FL_LOG_WAL_MAGIC || len > n - pos) break;
    uint32_t crc = fl_crc32c(crc0, h, FL_LOG_WAL_OFF_CRC);
    crc = fl_crc32c(crc, h + FL_LOG_WAL_HEADER_BYTES, (size_t)len - FL_LOG_WAL_HEADER_BYTES);
    fl_log_put32(h + FL_LOG_WAL_OFF_CRC, crc);
    pos += (size_t)len;
  }
}

static void write_file(const char *path, const uint8_t *data, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) abort();
  if (n && write(fd, data, n) != (ssize_t)n) abort();
  close(fd);
}

static int64_t read_all(fl_log_stream *ls) {
  fl_log_reader *rd;
  fl_err err;
  if (fl_log_reader_open(ls, 0, 0, &rd, &err)) return -1;
  int64_t n = 0;
  for (;;) {
    fl_log_entry e;
    bool eof;
    fl_code rc = fl_log_reader_next(rd, &e, &eof, &err);
    if (rc) {
      n = rc == FL_ECORRUPT ? -2 : -1;
      break;
    }
    if (eof) break;
    n++;
  }
  fl_log_reader_close(rd);
  return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fl_diag_set_level(FL_ERROR);
  root = fl_strdup("/tmp/wal_fuzz.XXXXXX");
  if (!mkdtemp(root)) abort();
  char *s = fl_sprintf("%s/s", root);
  pdir = fl_sprintf("%s/s/0", root);
  mkdir(s, 0755);
  mkdir(pdir, 0755);
  fl_free(s);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size) {
  if (size < 1) return 0;
  char *cmd = fl_sprintf("rm -f '%s'/*.log", pdir);
  if (system(cmd) != 0) abort();
  fl_free(cmd);
  char *seg = fl_sprintf("%s/%020d.log", pdir, 0);
  write_file(seg, NULL, 0);
  fl_free(seg);
  uint8_t *data = fl_malloc(size);
  memcpy(data, input, size);
  bool two = (data[0] & 1) && size >= 3;
  const uint8_t *d = data + (two ? 3 : 1);
  size_t n = size - (two ? 3 : 1), cut = two && n ? ((size_t)data[1] * 256 + data[2]) % n : n;
  if (data[0] & 2) {
    fix_crcs(data + (two ? 3 : 1), cut);
    fix_crcs(data + (two ? 3 : 1) + cut, n - cut);
  }
  char *w0 = fl_sprintf("%s/.wal-0", root), *w1 = fl_sprintf("%s/.wal-1", root);
  write_file(w0, d, cut);
  write_file(w1, d + cut, n - cut);

  fl_err err;
  fl_log *log;
  fl_log_opts rw = {.retention_check_ms = -1, .segment_bytes = 1 << 20};
  if (fl_log_open(root, &rw, &log, &err) == FL_OK) {
    /* replayed: each file a fresh turn, preallocated */
    const char *ws[2] = {w0, w1};
    for (int i = 0; i < 2; i++) {
      uint8_t h[FL_LOG_WAL_FILE_HEADER_BYTES];
      struct stat st;
      int fd = open(ws[i], O_RDONLY);
      if (fd < 0 || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h || fstat(fd, &st) ||
          (uint64_t)st.st_size < FL_LOG_WAL_FILE_HEADER_BYTES + FL_LOG_WAL_PREALLOC_BYTES ||
          fl_log_get32(h) != FL_LOG_WAL_FILE_MAGIC ||
          fl_log_get32(h + FL_LOG_WAL_FOFF_CRC) != fl_crc32c(0, h, FL_LOG_WAL_FOFF_CRC))
        __builtin_trap();
      close(fd);
    }
    fl_log_stream *ls;
    if (fl_log_stream_open(log, "s", 1, &ls, &err) == FL_OK) {
      uint64_t start, end;
      fl_log_partition_offsets(ls, 0, &start, &end);
      /* frames with valid CRCs may still carry damaged batches (overlapping
       * positions): replay writes them, and readers report the damage (FL_ECORRUPT) */
      int64_t got = read_all(ls);
      if (got != -2 && got != (int64_t)(end - start)) __builtin_trap();
      fl_log_record rec = {"fuzz", 4};
      uint64_t base;
      if (fl_log_append_sync(ls, 0, &rec, 1, &base, &err) != FL_OK || base != end) __builtin_trap();
    }
    fl_log_close(log);
  }
  fl_free(w0);
  fl_free(w1);
  fl_free(data);
  return 0;
}
