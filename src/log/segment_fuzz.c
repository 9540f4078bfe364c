/* segment_fuzz: arbitrary bytes as a partition's segment file(s), then read-only
 * open + readers, then writer open (recovery) + readers + an append. It must never
 * crash, and after recovery the invariants must hold: every offset in [start, end)
 * reads back (a reader skipping damage reads every offset outside the damaged ranges,
 * which fl_log_verify reports), and an append gets offset `end`.
 *
 * Input: byte 0 bit 0 set = two segments: the input after byte 3 is split at
 * (byte 1 * 256 + byte 2) % len, the second segment named by byte 3 (a base offset
 * 0..255); else the whole input after byte 0 is one segment named 0. Byte 0 bit 1
 * set = fix the CRCs: each batch whose magic and length fit gets a correct CRC, so
 * the fuzzer reaches the framing and offset checks behind it (and, for a v2 batch
 * flagged zstd or lz4, the decompressor and the record framing behind it; for a v3
 * batch the head block's varints and lengths, then the values' decompressor). Every
 * read is done three times, record by record, batch by batch
 * (fl_log_reader_next_batch) and heads only (fl_log_reader_heads_only): the first two
 * must agree, and where they read without error the third reads as many records. The
 * compressed batch appended at the end uses LZ4 when byte 0 bit 2 is set, else zstd.
 * Seeds: any segment file the unit tests write (the s/0/ segment files under
 * FLOE_TEST_TMP), among them v1, v2 and zstd-compressed v2 batches; v3-* (v1, v2, v3
 * stored and zstd batches in one segment, with and without CRCs to fix, and split in
 * two segments); and LZ4 batches made with liblz4 (byte 0 = 2 or 6: CRCs fixed): valid
 * ones, mixed with zstd and stored ones, and ones whose block is cut short, whose
 * raw_len is one byte too long, whose first token asks for literals past the block, a
 * torn last one, and two segments. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/diag.h"
#include "core/mem.h"
#include "log/log.h"
#include "log/log_wire.h"

static char *root, *pdir;

/* Rewrites the CRC of each batch whose magic and payload length fit in the buffer. */
static void fix_crcs(uint8_t *d, size_t n) {
  size_t pos = 0;
  while (n - pos >= FL_LOG_BATCH_HEADER_BYTES) {
    uint8_t *h = d + pos;
    uint32_t len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN);
    if (fl_log_get32(h + FL_LOG_OFF_MAGIC) != FL_LOG_BATCH_MAGIC || len > n - pos - FL_LOG_BATCH_HEADER_BYTES)
      break;
    uint32_t crc = fl_crc32c(fl_crc32c(0, h + FL_LOG_BATCH_HEADER_BYTES, len), h + FL_LOG_OFF_BASE,
                             FL_LOG_BATCH_HEADER_BYTES - FL_LOG_OFF_BASE);
    fl_log_put32(h + FL_LOG_OFF_CRC, crc);
    pos += FL_LOG_BATCH_HEADER_BYTES + len;
  }
}

static void write_file(const char *path, const uint8_t *data, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) abort();
  if (n && write(fd, data, n) != (ssize_t)n) abort();
  close(fd);
}

static void clear_dir(void) {
  char *cmd = fl_sprintf("rm -f '%s'/*", pdir); /* segments and the copies of damaged bytes */
  if (system(cmd) != 0) abort();
  fl_free(cmd);
}

static void count_skipped(void *ctx, const fl_log_damage *d) {
  if (d->end_offset < d->offset) __builtin_trap();
  *(uint64_t *)ctx += d->end_offset - d->offset;
}

/* Reads the whole partition; returns records read or -1 on a read error. With
 * *skipped non-NULL, the reader skips damage and adds the offsets it skipped. */
static int64_t read_all_mode(fl_log_stream *ls, uint64_t from, uint64_t *skipped, bool heads) {
  fl_log_reader *rd;
  fl_err err;
  if (fl_log_reader_open(ls, 0, from, &rd, &err)) return -1;
  if (skipped) fl_log_reader_skip_damaged(rd, count_skipped, skipped);
  if (heads) fl_log_reader_heads_only(rd);
  int64_t n = 0;
  uint64_t last = 0;
  for (;;) {
    fl_log_entry e;
    bool eof;
    if (fl_log_reader_next(rd, &e, &eof, &err)) {
      n = -1;
      break;
    }
    if (eof) break;
    if (n > 0 && (skipped ? e.offset <= last : e.offset != last + 1)) __builtin_trap();
    if (e.value_len && e.value) {
      volatile uint8_t sink = ((const uint8_t *)e.value)[e.value_len - 1];
      (void)sink;
    }
    if (!heads && e.value_len && !e.value) __builtin_trap();
    last = e.offset;
    n++;
  }
  fl_log_reader_close(rd);
  return n;
}

static int64_t read_all_skip(fl_log_stream *ls, uint64_t from, uint64_t *skipped) {
  return read_all_mode(ls, from, skipped, false);
}

static int64_t read_all(fl_log_stream *ls, uint64_t from) { return read_all_mode(ls, from, NULL, false); }

/* read_all, a batch at a time: the same count (or -1), dense offsets. */
static int64_t read_all_batches(fl_log_stream *ls, uint64_t from) {
  fl_log_reader *rd;
  fl_err err;
  if (fl_log_reader_open(ls, 0, from, &rd, &err)) return -1;
  int64_t n = 0;
  uint64_t last = 0;
  for (;;) {
    fl_log_batch_view v;
    bool eof;
    if (fl_log_reader_next_batch(rd, &v, &eof, &err)) {
      n = -1;
      break;
    }
    if (eof) break;
    if (v.count == 0) __builtin_trap();
    for (uint32_t i = 0; i < v.count; i++) {
      const fl_log_entry *e = &v.records[i];
      if ((n > 0 || i > 0) && e->offset != last + 1) __builtin_trap();
      if (e->offset != v.base_offset + i) __builtin_trap();
      if (e->value_len) {
        volatile uint8_t sink = ((const uint8_t *)e->value)[e->value_len - 1];
        (void)sink;
      }
      last = e->offset;
    }
    n += v.count;
  }
  fl_log_reader_close(rd);
  return n;
}

static void read_both(fl_log_stream *ls, uint64_t from) {
  int64_t n = read_all(ls, from);
  if (n != read_all_batches(ls, from)) __builtin_trap();
  /* heads only checks a subset of what a full read checks */
  int64_t h = read_all_mode(ls, from, NULL, true);
  if (n >= 0 && h != n) __builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fl_diag_set_level(FL_ERROR);
  root = fl_strdup("/tmp/segment_fuzz.XXXXXX");
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
  clear_dir();
  uint8_t *data = fl_malloc(size);
  memcpy(data, input, size);
  bool two = (data[0] & 1) && size >= 4;
  if (data[0] & 2) fix_crcs(data + (two ? 4 : 1), size - (two ? 4 : 1));
  bool one_seg = !two;
  char *p0 = fl_sprintf("%s/%020d.log", pdir, 0);
  if (two) {
    const uint8_t *d = data + 4;
    size_t n = size - 4, cut = n ? ((size_t)data[1] * 256 + data[2]) % n : 0;
    write_file(p0, d, cut);
    char *p1 = fl_sprintf("%s/%020d.log", pdir, data[3]);
    write_file(p1, d + cut, n - cut);
    if (data[3] == 0) one_seg = true; /* the same name: one segment after all */
    fl_free(p1);
  } else {
    write_file(p0, data + 1, size - 1);
  }
  fl_free(p0);

  fl_err err;
  fl_log *log;
  fl_log_stream *ls;
  fl_log_opts ro = {.read_only = true};
  if (fl_log_open(root, &ro, &log, &err) == FL_OK) {
    if (fl_log_stream_open(log, "s", 0, &ls, &err) == FL_OK) {
      read_both(ls, 0);
      read_both(ls, data[0] >> 1);
    }
    fl_log_close(log);
  }

  fl_log_opts rw = {.retention_check_ms = -1, .segment_bytes = 1 << 20};
  if (fl_log_open(root, &rw, &log, &err) != FL_OK) abort();
  if (fl_log_stream_open(log, "s", 1, &ls, &err) == FL_OK) {
    uint64_t start, end;
    fl_log_partition_offsets(ls, 0, &start, &end);
    uint64_t skipped = 0, damaged = 0;
    int64_t n = read_all_skip(ls, 0, &skipped); /* damage kept in the middle is skipped, never an error */
    if (one_seg && (n < 0 || (uint64_t)n + skipped != end - start)) __builtin_trap();
    if (fl_log_verify(ls, 0, NULL, NULL, &damaged, &err) != FL_OK) __builtin_trap();
    if (one_seg && skipped > 0 && damaged == 0) __builtin_trap();
    if (one_seg && damaged == 0 && read_all(ls, 0) != n)
      __builtin_trap(); /* recovery left an unreadable record */
    if (one_seg && damaged == 0 && read_all_batches(ls, 0) != n) __builtin_trap();
    if (damaged == 0)
      read_both(ls, start + (data[0] >> 1));
    else
      read_all(ls, start + (data[0] >> 1));
    fl_log_record rec = {"fuzz", 4};
    uint64_t base;
    fl_code rc = fl_log_append_sync(ls, 0, &rec, 1, &base, &err);
    if (one_seg && (rc != FL_OK || base != end)) __builtin_trap();
    if (one_seg && read_all(ls, end) != 1) __builtin_trap();
    /* a batch with compressed values (v3) after whatever was there */
    fl_log_stream_codec_set(ls, data[0] & 4 ? FL_LOG_CODEC_LZ4 : FL_LOG_CODEC_ZSTD);
    static const char v[] = "{\"order_id\":\"o-1\",\"status\":\"placed\",\"region\":\"eu-west\"}";
    fl_log_record recs[8] = {0};
    for (int i = 0; i < 8; i++)
      recs[i] = (fl_log_record){v, sizeof v - 1, .contract_version = 1, .key_hash = (uint64_t)i};
    rc = fl_log_append_sync(ls, 0, recs, 8, &base, &err);
    if (one_seg && (rc != FL_OK || base != end + 1)) __builtin_trap();
    if (one_seg && read_all_batches(ls, end) != 9) __builtin_trap();
  }
  fl_log_close(log);
  fl_free(data);
  return 0;
}
