/* Tests of record batch versions 2 and 3 (log_wire.h): v1, v2 (written by hand, as
 * the writer before v3 did) and v3 batches mixed in one segment, zstd-compressed,
 * LZ4-compressed and stored payloads (codecs mixed batch by batch in one partition;
 * truncated and corrupted LZ4 blocks with valid CRCs found by verify), the record fields (contract version,
 * key hash, event time) round-tripping through fl_log_reader_next and fl_log_reader_next_batch, the v3 head
 * block (one contract version or one per record, extreme event times), readers opened
 * mid-batch, and damaged compressed payloads (a valid CRC over bytes that do not
 * decompress, or whose value lengths do not fill them) reported as FL_ECORRUPT naming
 * stream, partition and offset, and cut away by recovery when in the tail; every
 * flipped byte of a segment of compressed batches costs exactly its batch and the
 * later ones, and what stays reads back exactly.
 *
 * v3 frames carry no zstd checksum (README "Batch versions"): a flipped byte inside
 * the compressed values under a CRC made valid again is caught only when it breaks
 * the frame, its size or the value lengths; the tests flip bytes that must be caught
 * (the frame's magic, a value length) and check that v2's checksummed frames still
 * fail on a flipped byte in their middle. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "core/crc32c.h"
#include "core/diag.h"
#include "core/mem.h"
#include "log/log.h"
#include "log/log_int.h"
#include "log/log_wire.h"

static char *tmpdir(void) {
  fl_diag_set_level(FL_ERROR);
  const char *root = getenv("FLOE_TEST_TMP");
  if (!root || !*root) root = "/tmp";
  mkdir(root, 0755);
  char *t = fl_sprintf("%s/wiretest.XXXXXX", root);
  cr_assert_not_null(mkdtemp(t));
  return t;
}

static void rm_rf(const char *path) {
  char *cmd = fl_sprintf("rm -rf '%s'", path);
  cr_assert_eq(system(cmd), 0);
  fl_free(cmd);
}

static fl_log *open_log(const char *dir, uint64_t segment_bytes) {
  fl_log *log;
  fl_err err;
  fl_log_opts opts = {.segment_bytes = segment_bytes, .retention_check_ms = -1, .index_interval_bytes = 64};
  cr_assert_eq(fl_log_open(dir, &opts, &log, &err), FL_OK, "%s", err.msg);
  return log;
}

/* A stream of the log, its codec zstd: the tests of damaged frames below flip bytes of
 * zstd frames (a fresh stream's own codec, FL_LOG_CODEC_DEFAULT, is LZ4: the codec tests
 * at the end set theirs). */
static fl_log_stream *open_stream(fl_log *log, const char *name, uint32_t np) {
  fl_log_stream *ls;
  fl_err err;
  cr_assert_eq(fl_log_stream_open(log, name, np, &ls, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_log_stream_codec(ls), FL_LOG_CODEC_DEFAULT);
  fl_log_stream_codec_set(ls, FL_LOG_CODEC_ZSTD);
  return ls;
}

/* Record i: an orders-like JSON line (compressible), and its v2 fields. */
static int rec_text(uint64_t i, char *buf, size_t cap) {
  return snprintf(buf, cap,
                  "{\"order_id\":\"o-%06" PRIu64 "\",\"customer\":\"c-%03" PRIu64 "\",\"amount\":%" PRIu64
                  ".25,\"status\":\"placed\",\"region\":\"eu-west\"}",
                  i, i % 97, i * 7 % 1000);
}
static uint64_t rec_hash(uint64_t i) { return 0x9E3779B97F4A7C15ull * (i + 1); }
static int64_t rec_time(uint64_t i) { return 1700000000000 + (int64_t)i * 10; }

/* Appends records [from, from + n) with their v2 fields (odd ones without an event time). */
static void append_range(fl_log_stream *ls, uint64_t from, uint32_t n) {
  fl_log_record *recs = fl_calloc(n, sizeof *recs);
  char(*texts)[160] = fl_malloc((size_t)n * 160);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t k = from + i;
    int len = rec_text(k, texts[i], 160);
    recs[i] = (fl_log_record){.value = texts[i],
                              .value_len = (uint32_t)len,
                              .contract_version = (uint32_t)(k % 3 + 1),
                              .key_hash = rec_hash(k),
                              .event_time_ms = rec_time(k),
                              .has_event_time = k % 2 == 0};
  }
  uint64_t base;
  fl_err err;
  cr_assert_eq(fl_log_append_sync(ls, 0, recs, n, &base, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(base, from);
  fl_free(texts);
  fl_free(recs);
}

/* Checks entry e is record k as append_range wrote it (v1: value only). */
static void check_entry(const fl_log_entry *e, uint64_t k, bool v1) {
  char buf[160];
  int len = rec_text(k, buf, sizeof buf);
  cr_assert_eq(e->offset, k);
  cr_assert_eq(e->value_len, (uint32_t)len, "offset %" PRIu64, k);
  cr_assert_eq(memcmp(e->value, buf, (size_t)len), 0, "offset %" PRIu64, k);
  if (v1) {
    cr_assert_eq(e->contract_version, 0);
    cr_assert_eq(e->key_hash, 0);
    cr_assert_not(e->has_event_time);
  } else {
    cr_assert_eq(e->contract_version, (uint32_t)(k % 3 + 1), "offset %" PRIu64, k);
    cr_assert_eq(e->key_hash, rec_hash(k), "offset %" PRIu64, k);
    cr_assert_eq(e->has_event_time, k % 2 == 0, "offset %" PRIu64, k);
    if (k % 2 == 0) cr_assert_eq(e->event_time_ms, rec_time(k));
  }
}

/* Writes version-1 batches by hand (the layout before v2, as main's floe wrote it):
 * batch b holds records [b*per, (b+1)*per). Returns the bytes. */
static unsigned char *v1_segment(uint32_t nbatches, uint32_t per, size_t *out_len) {
  size_t cap = 1 << 20, len = 0;
  unsigned char *buf = fl_malloc(cap);
  for (uint32_t b = 0; b < nbatches; b++) {
    unsigned char *h = buf + len, *p = h + FL_LOG_BATCH_HEADER_BYTES;
    uint32_t payload = 0;
    for (uint32_t i = 0; i < per; i++) {
      char txt[160];
      int n = rec_text((uint64_t)b * per + i, txt, sizeof txt);
      fl_log_put32(p + payload, (uint32_t)n);
      memcpy(p + payload + 4, txt, (size_t)n);
      payload += 4 + (uint32_t)n;
    }
    memset(h, 0, FL_LOG_BATCH_HEADER_BYTES);
    fl_log_put32(h + FL_LOG_OFF_MAGIC, FL_LOG_BATCH_MAGIC);
    fl_log_put64(h + FL_LOG_OFF_BASE, (uint64_t)b * per);
    fl_log_put32(h + FL_LOG_OFF_COUNT, per);
    fl_log_put32(h + FL_LOG_OFF_PAYLOAD_LEN, payload);
    fl_log_put64(h + FL_LOG_OFF_TIME, 1600000000000);
    fl_log_put16(h + FL_LOG_OFF_VERSION, 1);
    fl_log_put32(h + FL_LOG_OFF_CRC, fl_crc32c(fl_crc32c(0, p, payload), h + FL_LOG_OFF_BASE,
                                               FL_LOG_BATCH_HEADER_BYTES - FL_LOG_OFF_BASE));
    len += FL_LOG_BATCH_HEADER_BYTES + payload;
  }
  *out_len = len;
  return buf;
}

static void write_file(const char *path, const unsigned char *b, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(b, 1, n, f), n);
  fclose(f);
}

static unsigned char *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = fl_malloc((size_t)sz + 1);
  cr_assert_eq(fread(b, 1, (size_t)sz, f), (size_t)sz);
  fclose(f);
  *n = (size_t)sz;
  return b;
}

/* Appends to buf (at *len) a version-2 batch of records [from, from + n) with their
 * fields as append_range writes them, as the writer before v3 did: 24-byte record
 * heads before each value, the whole payload one zstd frame with content size and
 * checksum when zstd. */
static void v2_batch(unsigned char *buf, size_t *len, uint64_t from, uint32_t n, bool zstd) {
  unsigned char *raw = fl_malloc((size_t)n * 200), *h = buf + *len, *p = h + FL_LOG_BATCH_HEADER_BYTES;
  uint32_t rl = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t k = from + i;
    char txt[160];
    int tl = rec_text(k, txt, sizeof txt);
    fl_log_put32(raw + rl + FL_LOG_ROFF_VALUE_LEN, (uint32_t)tl);
    fl_log_put32(raw + rl + FL_LOG_ROFF_CONTRACT, (uint32_t)(k % 3 + 1));
    fl_log_put64(raw + rl + FL_LOG_ROFF_KEY_HASH, rec_hash(k));
    fl_log_put64(raw + rl + FL_LOG_ROFF_EVENT_TIME,
                 (uint64_t)(k % 2 == 0 ? rec_time(k) : FL_LOG_EVENT_TIME_NONE));
    memcpy(raw + rl + FL_LOG_RECORD_HEADER_BYTES_V2, txt, (size_t)tl);
    rl += FL_LOG_RECORD_HEADER_BYTES_V2 + (uint32_t)tl;
  }
  uint32_t pl = rl;
  if (zstd) {
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    size_t z = ZSTD_compress2(c, p, ZSTD_compressBound(rl), raw, rl);
    cr_assert_not(ZSTD_isError(z));
    ZSTD_freeCCtx(c);
    pl = (uint32_t)z;
  } else {
    memcpy(p, raw, rl);
  }
  memset(h, 0, FL_LOG_BATCH_HEADER_BYTES);
  fl_log_put32(h + FL_LOG_OFF_MAGIC, FL_LOG_BATCH_MAGIC);
  fl_log_put64(h + FL_LOG_OFF_BASE, from);
  fl_log_put32(h + FL_LOG_OFF_COUNT, n);
  fl_log_put32(h + FL_LOG_OFF_PAYLOAD_LEN, pl);
  fl_log_put64(h + FL_LOG_OFF_TIME, 1650000000000);
  fl_log_put16(h + FL_LOG_OFF_VERSION, FL_LOG_BATCH_VERSION_2);
  fl_log_put16(h + FL_LOG_OFF_FLAGS, zstd ? FL_LOG_COMPRESSION_ZSTD : FL_LOG_COMPRESSION_NONE);
  fl_log_put32(h + FL_LOG_OFF_RAW_LEN, rl);
  fl_log_put32(h + FL_LOG_OFF_CRC, fl_crc32c(fl_crc32c(0, p, pl), h + FL_LOG_OFF_BASE,
                                             FL_LOG_BATCH_HEADER_BYTES - FL_LOG_OFF_BASE));
  *len += FL_LOG_BATCH_HEADER_BYTES + pl;
  fl_free(raw);
}

/* A stream directory with one partition whose first segment holds 3 v1 batches of 5
 * records (offsets 0..14) and, with v2, a stored v2 batch (15..24) and a zstd v2
 * batch (25..124). */
static void make_old_stream(const char *dir, bool v2) {
  char *sdir = fl_sprintf("%s/s", dir), *pdir = fl_sprintf("%s/s/0", dir);
  char *path = fl_sprintf("%s/%020d.log", pdir, 0);
  mkdir(sdir, 0755);
  mkdir(pdir, 0755);
  size_t len;
  unsigned char *b = v1_segment(3, 5, &len);
  if (v2) {
    v2_batch(b, &len, 15, 10, false);
    v2_batch(b, &len, 25, 100, true);
  }
  write_file(path, b, len);
  fl_free(b);
  fl_free(path);
  fl_free(pdir);
  fl_free(sdir);
}

Test(wire, v1_v2_and_v3_batches_mixed_in_one_segment_read_back_with_their_fields) {
  char *dir = tmpdir();
  make_old_stream(dir, true); /* offsets 0..14 version 1, 15..124 version 2 */
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 0);
  uint64_t end;
  fl_log_partition_offsets(ls, 0, NULL, &end);
  cr_assert_eq(end, 125); /* recovery kept every v1 and v2 batch */
  fl_log_stream_compression_set(ls, 0);
  append_range(ls, 125, 10); /* v3, stored */
  fl_log_stream_compression_set(ls, 3);
  append_range(ls, 135, 200); /* v3, zstd */
  append_range(ls, 335, 1);   /* v3, too small to compress */
  fl_log_close(log);

  /* one segment file holds all of them */
  enum { NB = 8 };
  char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  size_t n;
  unsigned char *bytes = read_file(path, &n);
  uint32_t versions[NB + 1] = {0}, flags[NB + 1] = {0}, nb = 0;
  for (size_t pos = 0; pos < n && nb <= NB; nb++) {
    versions[nb] = fl_log_get16(bytes + pos + FL_LOG_OFF_VERSION);
    flags[nb] = fl_log_get16(bytes + pos + FL_LOG_OFF_FLAGS);
    pos += FL_LOG_BATCH_HEADER_BYTES + fl_log_get32(bytes + pos + FL_LOG_OFF_PAYLOAD_LEN);
  }
  cr_assert_eq(nb, NB);
  uint32_t want_version[NB] = {1, 1, 1, 2, 2, 3, 3, 3};
  bool want_zstd[NB] = {false, false, false, false, true, false, true, false};
  for (int b = 0; b < NB; b++) {
    cr_assert_eq(versions[b], want_version[b], "batch %d", b);
    cr_assert_eq(flags[b], want_zstd[b] ? FL_LOG_COMPRESSION_ZSTD : FL_LOG_COMPRESSION_NONE, "batch %d", b);
  }
  fl_free(bytes);
  fl_free(path);

  /* reopen (recovery scans every batch of the segment), read record by record */
  log = open_log(dir, 0);
  ls = open_stream(log, "s", 0);
  fl_log_partition_offsets(ls, 0, NULL, &end);
  cr_assert_eq(end, 336);
  fl_log_reader *rd;
  fl_err err;
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  fl_log_entry e;
  bool eof;
  for (uint64_t k = 0; k < 336; k++) {
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert_not(eof);
    check_entry(&e, k, k < 15);
  }
  cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK);
  cr_assert(eof);
  fl_log_reader_close(rd);

  /* and batch by batch */
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  fl_log_batch_view v;
  uint64_t want_base[NB] = {0, 5, 10, 15, 25, 125, 135, 335}, want_count[NB] = {5, 5, 5, 10, 100, 10, 200, 1};
  for (int b = 0; b < NB; b++) {
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert_not(eof);
    cr_assert_eq(v.base_offset, want_base[b]);
    cr_assert_eq(v.count, want_count[b]);
    cr_assert_eq(v.version, want_version[b]);
    cr_assert_eq(v.compressed, want_zstd[b]);
    if (b < 3) cr_assert_eq(v.append_time_ms, 1600000000000);
    if (b >= 3 && b < 5) cr_assert_eq(v.append_time_ms, 1650000000000);
    if (want_zstd[b])
      cr_assert_lt(v.stored_bytes * 3, v.raw_bytes, "stored %u raw %u", v.stored_bytes, v.raw_bytes);
    else
      cr_assert_eq(v.stored_bytes, v.raw_bytes);
    for (uint32_t i = 0; i < v.count; i++) check_entry(&v.records[i], v.base_offset + i, b < 3);
  }
  cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK);
  cr_assert(eof);
  /* tailing: a later append shows up as the next batch */
  append_range(ls, 336, 40);
  cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK);
  cr_assert_not(eof);
  cr_assert_eq(v.base_offset, 336);
  cr_assert_eq(v.count, 40);
  cr_assert_eq(v.version, 3);
  for (uint32_t i = 0; i < v.count; i++) check_entry(&v.records[i], 336 + i, false);
  fl_log_reader_close(rd);
  /* heads only: the v3 zstd batch's values stay compressed (NULL), every other field
   * and every other batch's values as before */
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  fl_log_reader_heads_only(rd);
  for (int b = 0; b < NB + 1; b++) {
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert_not(eof);
    for (uint32_t i = 0; i < v.count; i++) {
      const fl_log_entry *r = &v.records[i];
      if (b != 6 && b != NB) {
        check_entry(r, v.base_offset + i, b < 3);
        continue;
      }
      fl_log_entry e2 = *r;
      cr_assert_null(r->value, "batch %d", b);
      char buf[160];
      e2.value = buf;
      cr_assert_eq(r->value_len, (uint32_t)rec_text(v.base_offset + i, buf, sizeof buf));
      check_entry(&e2, v.base_offset + i, false);
    }
  }
  fl_log_reader_close(rd);
  /* fl_log_verify checks every version */
  uint64_t damaged = 1;
  cr_assert_eq(fl_log_verify(ls, 0, NULL, NULL, &damaged, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(damaged, 0);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(wire, a_reader_opened_mid_batch_gets_the_rest_of_it_and_mixes_record_and_batch_reads) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  append_range(ls, 0, 100);
  append_range(ls, 100, 100);
  fl_log_reader *rd;
  fl_err err;
  cr_assert_eq(fl_log_reader_open(ls, 0, 37, &rd, &err), FL_OK);
  fl_log_batch_view v;
  bool eof;
  cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(v.base_offset, 37);
  cr_assert_eq(v.count, 63);
  for (uint32_t i = 0; i < v.count; i++) check_entry(&v.records[i], 37 + i, false);
  /* one record, then the rest of that batch as a view */
  fl_log_entry e;
  cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK);
  check_entry(&e, 100, false);
  cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK);
  cr_assert_eq(v.base_offset, 101);
  cr_assert_eq(v.count, 99);
  check_entry(&v.records[98], 199, false);
  cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK);
  cr_assert(eof);
  fl_log_reader_close(rd);
  /* counters: what fl_log_append encoded vs what it queued */
  fl_log_stats st;
  fl_log_stats_get(log, &st);
  cr_assert_gt(st.raw_bytes, 3 * st.stored_bytes, "raw %" PRIu64 " stored %" PRIu64, st.raw_bytes,
               st.stored_bytes);
  cr_assert_eq(st.bytes, st.stored_bytes); /* every queued byte is durable now */
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* Offset of batch b's header in a segment. */
static size_t batch_pos(const unsigned char *bytes, size_t n, int b) {
  size_t pos = 0;
  for (int i = 0; i < b; i++) {
    cr_assert_leq(pos + FL_LOG_BATCH_HEADER_BYTES, n);
    pos += FL_LOG_BATCH_HEADER_BYTES + fl_log_get32(bytes + pos + FL_LOG_OFF_PAYLOAD_LEN);
  }
  return pos;
}

/* The payload byte where the values of the v3 batch at pos start (its zstd frame when
 * compressed). */
static uint32_t v3_values_at(const unsigned char *bytes, size_t pos) {
  const unsigned char *h = bytes + pos;
  cr_assert_eq(fl_log_get16(h + FL_LOG_OFF_VERSION), 3);
  return 4 + fl_log_get32(h + FL_LOG_BATCH_HEADER_BYTES);
}

/* Flips payload byte `at` of the batch at pos and, if fix_crc, makes the CRC valid again. */
static void damage(unsigned char *bytes, size_t pos, uint32_t at, bool fix_crc) {
  unsigned char *h = bytes + pos, *p = h + FL_LOG_BATCH_HEADER_BYTES;
  uint32_t len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN);
  cr_assert_lt(at, len);
  p[at] ^= 0x5A;
  if (fix_crc)
    fl_log_put32(h + FL_LOG_OFF_CRC, fl_crc32c(fl_crc32c(0, p, len), h + FL_LOG_OFF_BASE,
                                               FL_LOG_BATCH_HEADER_BYTES - FL_LOG_OFF_BASE));
}

Test(wire, a_damaged_compressed_payload_in_a_sealed_segment_is_ecorrupt_naming_stream_partition_offset) {
  for (int fix = 0; fix < 2; fix++) {
    char *dir = tmpdir();
    fl_log *log = open_log(dir, 1); /* each batch rolls a segment */
    fl_log_stream *ls = open_stream(log, "orders", 2);
    for (int b = 0; b < 3; b++) append_range(ls, (uint64_t)b * 100, 100);
    fl_log_close(log);
    /* damage the middle of the compressed payload of the first segment's batch */
    char *path = fl_sprintf("%s/orders/0/%020d.log", dir, 0);
    size_t n;
    unsigned char *bytes = read_file(path, &n);
    cr_assert_eq(fl_log_get16(bytes + FL_LOG_OFF_FLAGS), FL_LOG_COMPRESSION_ZSTD);
    uint32_t len = fl_log_get32(bytes + FL_LOG_OFF_PAYLOAD_LEN);
    /* no CRC fix: any byte; a CRC made valid again: the frame's magic (v3 frames have no
     * checksum, so a flipped byte inside the values is caught only if it breaks them) */
    damage(bytes, 0, fix ? v3_values_at(bytes, 0) : len / 2, fix);
    write_file(path, bytes, n);
    fl_free(bytes);
    fl_free(path);

    log = open_log(dir, 1);
    ls = open_stream(log, "orders", 0);
    uint64_t end;
    fl_log_partition_offsets(ls, 0, NULL, &end);
    cr_assert_eq(end, 300, "end %" PRIu64, end); /* the damage is not in the tail: nothing truncated */
    fl_log_reader *rd;
    fl_err err;
    fl_log_entry e;
    fl_log_batch_view v;
    bool eof;
    cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_ECORRUPT);
    cr_assert(strstr(err.msg, "stream orders partition 0"), "%s", err.msg);
    cr_assert(strstr(err.msg, "(offset 0)"), "%s", err.msg);
    cr_assert(strstr(err.msg, fix ? "bad zstd frame" : "CRC mismatch"), "%s", err.msg);
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_ECORRUPT); /* stays there */
    fl_log_reader_close(rd);
    /* the next segment reads fine */
    cr_assert_eq(fl_log_reader_open(ls, 0, 100, &rd, &err), FL_OK);
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(v.base_offset, 100);
    cr_assert_eq(v.count, 100);
    for (uint32_t i = 0; i < v.count; i++) check_entry(&v.records[i], 100 + i, false);
    fl_log_reader_close(rd);
    fl_log_close(log);
    rm_rf(dir);
    fl_free(dir);
  }
}

Test(wire, recovery_cuts_a_tail_batch_whose_compressed_payload_does_not_decompress) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  append_range(ls, 0, 100);
  append_range(ls, 100, 100);
  fl_log_close(log);
  char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  size_t n;
  unsigned char *bytes = read_file(path, &n);
  size_t pos = batch_pos(bytes, n, 1);
  cr_assert_eq(fl_log_get16(bytes + pos + FL_LOG_OFF_FLAGS), FL_LOG_COMPRESSION_ZSTD);
  damage(bytes, pos, v3_values_at(bytes, pos), true); /* the frame's magic, CRC made valid */
  write_file(path, bytes, n);
  fl_free(bytes);
  log = open_log(dir, 0);
  ls = open_stream(log, "s", 0);
  uint64_t end;
  fl_log_partition_offsets(ls, 0, NULL, &end);
  cr_assert_eq(end, 100, "end %" PRIu64, end);
  struct stat sb;
  cr_assert_eq(stat(path, &sb), 0);
  cr_assert_eq((size_t)sb.st_size, pos);
  append_range(ls, 100, 5); /* takes the freed offsets */
  fl_log_reader *rd;
  fl_err err;
  fl_log_entry e;
  bool eof;
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  for (uint64_t k = 0; k < 105; k++) {
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
    check_entry(&e, k, false);
  }
  fl_log_reader_close(rd);
  fl_log_close(log);
  fl_free(path);
  rm_rf(dir);
  fl_free(dir);
}

Test(wire, compression_level_is_per_stream_and_clamped) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *a = open_stream(log, "a", 1), *b = open_stream(log, "b", 1);
  cr_assert_eq(fl_log_stream_compression(a), FL_LOG_COMPRESSION_LEVEL_DEFAULT);
  fl_log_stream_compression_set(b, 0);
  fl_log_stream_compression_set(a, 99);
  cr_assert_eq(fl_log_stream_compression(a), FL_LOG_COMPRESSION_LEVEL_MAX);
  fl_log_stream_compression_set(a, -5);
  cr_assert_eq(fl_log_stream_compression(a), 0);
  fl_log_stream_compression_set(a, 1);
  append_range(a, 0, 50);
  append_range(b, 0, 50);
  fl_log_partition_stat sa, sb;
  fl_log_partition_stat_get(a, 0, &sa);
  fl_log_partition_stat_get(b, 0, &sb);
  char texts[50][160];
  fl_log_record recs[50] = {0};
  for (uint64_t k = 0; k < 50; k++) {
    int len = rec_text(k, texts[k], sizeof texts[k]);
    recs[k] = (fl_log_record){.value = texts[k],
                              .value_len = (uint32_t)len,
                              .contract_version = (uint32_t)(k % 3 + 1),
                              .key_hash = rec_hash(k),
                              .event_time_ms = rec_time(k),
                              .has_event_time = k % 2 == 0};
  }
  uint64_t raw = fl_log_batch_raw_bytes(recs, 50);
  cr_assert_eq(sb.bytes, raw);
  cr_assert_lt(sa.bytes * 3, raw, "compressed %" PRIu64 " raw %" PRIu64, sa.bytes, raw);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

Test(wire, every_flipped_byte_of_a_compressed_segment_costs_only_its_batch_and_a_torn_last_one_is_cut) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  uint64_t ends[3];
  for (int b = 0; b < 3; b++) {
    append_range(ls, (uint64_t)b * 12, 12);
    ends[b] = (uint64_t)(b + 1) * 12;
  }
  fl_log_close(log);
  char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  size_t n;
  unsigned char *orig = read_file(path, &n);
  size_t starts[4];
  for (int b = 0; b <= 3; b++) starts[b] = batch_pos(orig, n, b);
  cr_assert_eq(starts[3], n);
  for (int b = 0; b < 3; b++)
    cr_assert_eq(fl_log_get16(orig + starts[b] + FL_LOG_OFF_FLAGS), FL_LOG_COMPRESSION_ZSTD);
  unsigned char *bytes = fl_malloc(n);
  for (size_t at = 0; at < n; at++) {
    memcpy(bytes, orig, n);
    bytes[at] ^= 0x01;
    write_file(path, bytes, n);
    int b = 0;
    while (at >= starts[b + 1]) b++;
    /* batch b is damaged: the later ones stay (damage.c: kept aside, skipped by readers
     * told to); a damaged last batch is a torn tail and is cut */
    uint64_t want_end = b == 2 ? ends[1] : ends[2];
    log = open_log(dir, 0);
    ls = open_stream(log, "s", 0);
    uint64_t end;
    fl_log_partition_offsets(ls, 0, NULL, &end);
    cr_assert_eq(end, want_end, "byte %zu (batch %d): end %" PRIu64, at, b, end);
    fl_log_reader *rd;
    fl_err err;
    fl_log_batch_view v;
    bool eof;
    uint64_t k = 0;
    cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
    fl_log_reader_skip_damaged(rd, NULL, NULL);
    uint64_t got = 0;
    for (;;) {
      cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "byte %zu: %s", at, err.msg);
      if (eof) break;
      for (uint32_t i = 0; i < v.count; i++) {
        if (b < 2 && k == (uint64_t)b * 12) k += 12; /* the damaged batch's records */
        check_entry(&v.records[i], k++, false);
        got++;
      }
    }
    cr_assert_eq(got, 24, "byte %zu: %" PRIu64 " records", at, got); /* 36 less the lost batch */
    fl_log_reader_close(rd);
    fl_log_close(log);
  }
  fl_free(bytes);
  fl_free(orig);
  fl_free(path);
  rm_rf(dir);
  fl_free(dir);
}

Test(wire, a_large_compressed_batch_does_not_pin_its_scratch_buffers) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  append_range(ls, 0, 100); /* the thread's compression state exists from here on */
  int64_t before = fl_mem_bytes_live();
  append_range(ls, 100, 60000); /* ~9 MiB raw: scratch buffers grow past ENC_KEEP_BYTES */
  /* the log thread frees an append just after its callback: once a later append is
   * acknowledged, the large one is freed (its stored bytes, ~0.7 MiB, would count) */
  append_range(ls, 60100, 1);
  int64_t after = fl_mem_bytes_live();
  cr_assert_lt(after - before, 1 << 20, "%" PRId64 " bytes still held after a large batch", after - before);
  fl_log_reader *rd;
  fl_err err;
  fl_log_batch_view v;
  bool eof;
  cr_assert_eq(fl_log_reader_open(ls, 0, 100, &rd, &err), FL_OK);
  cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
  cr_assert(v.compressed);
  cr_assert_eq(v.count, 60000);
  check_entry(&v.records[59999], 60099, false);
  cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
  check_entry(&v.records[0], 60100, false);
  fl_log_reader_close(rd);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* A small batch (one ~250-byte event: zstd gains 1.37x and its setup was half the
 * server's user CPU on single-event posts) is stored raw; from 512 bytes of payload
 * a compressible batch is compressed. */
Test(wire, a_batch_under_512_payload_bytes_is_stored_raw_and_a_bigger_one_compressed) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  char v[3][260];
  fl_log_record recs[3];
  for (int i = 0; i < 3; i++) {
    int len = snprintf(
        v[i], sizeof v[i],
        "{\"order_id\":\"o-%06d\",\"customer\":\"c-000042\",\"status\":\"placed\",\"items\":[{\"sku\":"
        "\"sku-1\",\"qty\":1},{\"sku\":\"sku-2\",\"qty\":2}],\"amount\":12.5,\"currency\":\"EUR\","
        "\"ts\":\"2026-12-07T06:00:00Z\",\"note\":\"%0*d\"}",
        i, 60, 0);
    recs[i] = (fl_log_record){v[i], (uint32_t)len};
  }
  fl_err err;
  fl_log_stats a, b, c;
  fl_log_stats_get(log, &a);
  cr_assert_eq(fl_log_append_sync(ls, 0, recs, 1, NULL, &err), FL_OK, "%s", err.msg);
  fl_log_stats_get(log, &b);
  uint64_t raw1 = b.raw_bytes - a.raw_bytes, stored1 = b.stored_bytes - a.stored_bytes;
  cr_assert_lt(raw1, FL_LOG_BATCH_HEADER_BYTES + 512);
  cr_assert_eq(stored1, raw1, "one event: stored as is");
  cr_assert_eq(fl_log_append_sync(ls, 0, recs, 3, NULL, &err), FL_OK, "%s", err.msg);
  fl_log_stats_get(log, &c);
  uint64_t raw3 = c.raw_bytes - b.raw_bytes, stored3 = c.stored_bytes - b.stored_bytes;
  cr_assert_gt(raw3, FL_LOG_BATCH_HEADER_BYTES + 512);
  cr_assert_lt(stored3 * 2, raw3, "three events: compressed (raw %" PRIu64 " stored %" PRIu64 ")", raw3,
               stored3);
  /* both read back */
  fl_log_reader *rd;
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  for (int i = 0; i < 4; i++) {
    fl_log_entry e;
    bool eof;
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert(!eof);
    const fl_log_record *want = &recs[i == 0 ? 0 : i - 1];
    cr_assert_eq(e.value_len, want->value_len);
    cr_assert_eq(memcmp(e.value, want->value, want->value_len), 0, "record %d", i);
  }
  fl_log_reader_close(rd);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* The varint (value_len << 1 | has_event_time) of the third record head of a v3
 * payload whose records each carry their contract version (append_range's). */
static unsigned char *third_value_len(unsigned char *p) {
  const unsigned char *q = p + 4, *end = q + fl_log_get32(p);
  cr_assert_eq(*q++, FL_LOG_V3_HEAD_PER_RECORD_CONTRACT);
  for (int i = 0; i < 2; i++) {
    uint64_t lf, v;
    cr_assert(fl_log_get_varint(&q, end, &lf));
    cr_assert(fl_log_get_varint(&q, end, &v));
    if (lf & 1) cr_assert(fl_log_get_varint(&q, end, &v));
    q += 8;
  }
  return p + (q - p);
}

/* Adds delta to the value length of the varint at p, rewritten in the same bytes. */
static void value_len_add(unsigned char *p, int64_t delta) {
  const unsigned char *q = p;
  uint64_t lf;
  cr_assert(fl_log_get_varint(&q, q + 10, &lf));
  size_t n = (size_t)(q - p);
  lf = (uint64_t)((int64_t)lf + 2 * delta);
  for (size_t i = 0; i < n; i++, lf >>= 7) p[i] = (unsigned char)((lf & 0x7F) | (i + 1 < n ? 0x80 : 0));
  cr_assert_eq(lf, 0, "the new length needs more bytes");
}

static void note_damage(void *ctx, const fl_log_damage *d) {
  uint64_t *r = ctx;
  r[0]++;
  r[1] = d->offset;
  r[2] = d->end_offset;
}

/* The reader fills a batch's entries in the walk that checks its framing: a batch
 * whose framing fails after its first records must hand out none of them, nor the
 * previous batch's entries again. */
Test(wire, a_batch_whose_framing_fails_after_its_first_records_hands_out_none_of_them) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  for (uint64_t b = 0; b < 3; b++) append_range(ls, b * 3, 3); /* 3 raw v2 batches (< 512 bytes) */
  fl_log_close(log);
  char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  size_t n;
  unsigned char *bytes = read_file(path, &n);
  size_t pos = batch_pos(bytes, n, 1);
  unsigned char *h = bytes + pos, *p = h + FL_LOG_BATCH_HEADER_BYTES;
  cr_assert_eq(fl_log_get16(h + FL_LOG_OFF_FLAGS), FL_LOG_COMPRESSION_NONE);
  /* the third record's value one byte longer than the payload holds, the CRC made valid */
  uint32_t len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN);
  value_len_add(third_value_len(p), 1);
  fl_log_put32(h + FL_LOG_OFF_CRC, fl_crc32c(fl_crc32c(0, p, len), h + FL_LOG_OFF_BASE,
                                             FL_LOG_BATCH_HEADER_BYTES - FL_LOG_OFF_BASE));
  write_file(path, bytes, n);
  fl_free(bytes);
  fl_free(path);

  log = open_log(dir, 0); /* a damaged range with a valid batch after it: kept in place */
  ls = open_stream(log, "s", 0);
  fl_log_reader *rd;
  fl_err err;
  fl_log_batch_view v;
  fl_log_entry e;
  bool eof;
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(v.count, 3);
  for (uint32_t i = 0; i < 3; i++) check_entry(&v.records[i], i, false);
  for (int again = 0; again < 2; again++) { /* stays before the damage, by batch or by record */
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_ECORRUPT);
    cr_assert(strstr(err.msg, "(offset 3): record value past the payload"), "%s", err.msg);
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_ECORRUPT);
  }
  fl_log_reader_close(rd);

  uint64_t seen[3] = {0};
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  fl_log_reader_skip_damaged(rd, note_damage, seen);
  uint64_t want[] = {0, 1, 2, 6, 7, 8};
  for (int i = 0; i < 6; i++) {
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert(!eof);
    check_entry(&e, want[i], false);
  }
  cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK);
  cr_assert(eof);
  cr_assert_eq(seen[0], 1);
  cr_assert_eq(seen[1], 3);
  cr_assert_eq(seen[2], 6);
  fl_log_reader_close(rd);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* The v3 head block (log_wire.h): one contract version for a batch whose records share
 * it, one per record otherwise; event times as zigzag deltas read back exactly at the
 * extremes, mixed with records that have none; empty values; key hashes raw. */
Test(wire, v3_heads_hold_one_contract_version_or_one_per_record_and_extreme_fields_round_trip) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  enum { N = 7 };
  static const int64_t times[N] = {INT64_MAX, INT64_MIN + 1, -5, 0, 1765000000000, 0, 1765000000001};
  static const bool has[N] = {true, true, true, true, true, false, true};
  static const char *vals[N] = {"{}", "", "{\"a\":1}", "x", "", "[1]", "\"s\""};
  fl_log_record recs[N];
  for (int i = 0; i < N; i++)
    recs[i] = (fl_log_record){.value = vals[i],
                              .value_len = (uint32_t)strlen(vals[i]),
                              .contract_version = 7,
                              .key_hash = i == 0 ? UINT64_MAX : rec_hash((uint64_t)i),
                              .event_time_ms = times[i],
                              .has_event_time = has[i]};
  fl_err err;
  cr_assert_eq(fl_log_append_sync(ls, 0, recs, N, NULL, &err), FL_OK, "%s", err.msg);
  recs[3].contract_version = UINT32_MAX; /* the second batch: one contract version per record */
  recs[4].contract_version = 0;
  cr_assert_eq(fl_log_append_sync(ls, 0, recs, N, NULL, &err), FL_OK, "%s", err.msg);
  fl_log_close(log);

  char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  size_t n;
  unsigned char *bytes = read_file(path, &n);
  size_t pos1 = batch_pos(bytes, n, 1);
  cr_assert_eq(batch_pos(bytes, n, 2), n);
  const unsigned char *p0 = bytes + FL_LOG_BATCH_HEADER_BYTES, *p1 = bytes + pos1 + FL_LOG_BATCH_HEADER_BYTES;
  cr_assert_eq(p0[4], 0); /* head flags: one contract version ... */
  cr_assert_eq(p0[5], 7); /* ... the varint 7 */
  cr_assert_eq(p1[4], FL_LOG_V3_HEAD_PER_RECORD_CONTRACT);
  cr_assert_eq(fl_log_get32(bytes + pos1 + FL_LOG_OFF_PAYLOAD_LEN),
               fl_log_batch_raw_bytes(recs, N) - FL_LOG_BATCH_HEADER_BYTES); /* stored as is */
  fl_free(bytes);
  fl_free(path);

  log = open_log(dir, 0);
  ls = open_stream(log, "s", 0);
  fl_log_reader *rd;
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  for (int b = 0; b < 2; b++)
    for (int i = 0; i < N; i++) {
      fl_log_entry e;
      bool eof;
      cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
      cr_assert_not(eof);
      cr_assert_eq(e.offset, (uint64_t)(b * N + i));
      cr_assert_eq(e.value_len, strlen(vals[i]));
      cr_assert_eq(memcmp(e.value, vals[i], e.value_len), 0);
      cr_assert_eq(e.key_hash, i == 0 ? UINT64_MAX : rec_hash((uint64_t)i));
      cr_assert_eq(e.has_event_time, has[i], "record %d", i);
      cr_assert_eq(e.event_time_ms, has[i] ? times[i] : 0, "record %d: %" PRId64, i, e.event_time_ms);
      uint32_t cv = b == 0 ? 7 : i == 3 ? UINT32_MAX : i == 4 ? 0 : 7;
      cr_assert_eq(e.contract_version, cv, "batch %d record %d", b, i);
    }
  fl_log_reader_close(rd);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* Rewrites the CRC of the batch at pos over its (changed) payload. */
static void fix_crc(unsigned char *bytes, size_t pos) {
  unsigned char *h = bytes + pos, *p = h + FL_LOG_BATCH_HEADER_BYTES;
  uint32_t len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN);
  fl_log_put32(h + FL_LOG_OFF_CRC, fl_crc32c(fl_crc32c(0, p, len), h + FL_LOG_OFF_BASE,
                                             FL_LOG_BATCH_HEADER_BYTES - FL_LOG_OFF_BASE));
}

/* Damage that a valid CRC does not hide (bytes changed, the CRC made valid again):
 * v3 value lengths that do not fill the decompressed values, a head length past the
 * payload, unknown head flags, a raw length under the head block's, and (v2) a flipped byte in the middle of
 * a checksummed frame. Each is FL_ECORRUPT for a reader at that batch, and the batches after it read. */
Test(wire, damage_under_a_valid_crc_is_found_by_the_v3_framing_and_the_v2_frame_checksum) {
  static const char *why[] = {"records do not fill the payload", "head block past the payload",
                              "unknown record head flags", "compressed payload does not decompress",
                              "head block past the payload"};
  for (int c = 0; c < 5; c++) {
    char *dir = tmpdir();
    make_old_stream(dir, true); /* the zstd v2 batch: offsets 25..124, the segment's 5th batch */
    fl_log *log = open_log(dir, 0);
    fl_log_stream *ls = open_stream(log, "s", 0);
    append_range(ls, 125, 100); /* v3, zstd: the 6th batch */
    append_range(ls, 225, 100);
    fl_log_close(log);
    char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
    size_t n;
    unsigned char *bytes = read_file(path, &n);
    size_t pos = batch_pos(bytes, n, c == 3 ? 4 : 5);
    uint64_t at = c == 3 ? 25 : 125;
    unsigned char *p = bytes + pos + FL_LOG_BATCH_HEADER_BYTES;
    cr_assert_eq(fl_log_get16(bytes + pos + FL_LOG_OFF_FLAGS), FL_LOG_COMPRESSION_ZSTD);
    if (c == 0) {
      value_len_add(third_value_len(p), -1); /* the lengths no longer fill the values */
    } else if (c == 1) {
      fl_log_put32(p, fl_log_get32(bytes + pos + FL_LOG_OFF_PAYLOAD_LEN) - 3);
    } else if (c == 2) {
      p[4] |= 0x80;
    } else if (c == 4) {
      fl_log_put32(bytes + pos + FL_LOG_OFF_RAW_LEN, 2); /* under the head block's own length */
    } else {
      p[fl_log_get32(bytes + pos + FL_LOG_OFF_PAYLOAD_LEN) / 2] ^= 0x01;
    }
    fix_crc(bytes, pos);
    write_file(path, bytes, n);
    fl_free(bytes);

    log = open_log(dir, 0);
    ls = open_stream(log, "s", 0);
    fl_log_reader *rd;
    fl_err err;
    fl_log_batch_view v;
    bool eof;
    cr_assert_eq(fl_log_reader_open(ls, 0, at, &rd, &err), FL_OK);
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_ECORRUPT, "case %d", c);
    char needle[64];
    snprintf(needle, sizeof needle, "(offset %" PRIu64 "): %s", at, why[c]);
    cr_assert(strstr(err.msg, needle), "case %d: %s", c, err.msg);
    fl_log_reader_close(rd);
    cr_assert_eq(fl_log_reader_open(ls, 0, 225, &rd, &err), FL_OK);
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(v.count, 100);
    for (uint32_t i = 0; i < v.count; i++) check_entry(&v.records[i], 225 + i, false);
    fl_log_reader_close(rd);
    uint64_t damaged = 0;
    cr_assert_eq(fl_log_verify(ls, 0, NULL, NULL, &damaged, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(damaged, 1, "case %d", c);
    fl_log_close(log);
    fl_free(path);
    rm_rf(dir);
    fl_free(dir);
  }
}

/* The flags of each batch of a segment file (at most cap), their count returned. */
static uint32_t segment_flags(const char *path, uint16_t *flags, uint32_t cap) {
  size_t n;
  unsigned char *bytes = read_file(path, &n);
  uint32_t nb = 0;
  for (size_t pos = 0; pos < n && nb < cap; nb++) {
    flags[nb] = fl_log_get16(bytes + pos + FL_LOG_OFF_FLAGS);
    pos += FL_LOG_BATCH_HEADER_BYTES + fl_log_get32(bytes + pos + FL_LOG_OFF_PAYLOAD_LEN);
  }
  fl_free(bytes);
  return nb;
}

Test(wire, lz4_zstd_and_stored_batches_mixed_in_one_partition_read_back_with_their_codec) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  /* batch: codec, level -> what is stored */
  struct {
    fl_log_codec codec;
    int level;
    uint16_t want;
  } steps[] = {
      {FL_LOG_CODEC_LZ4, 1, FL_LOG_COMPRESSION_LZ4},   {FL_LOG_CODEC_ZSTD, 1, FL_LOG_COMPRESSION_ZSTD},
      {FL_LOG_CODEC_NONE, 1, FL_LOG_COMPRESSION_NONE}, {FL_LOG_CODEC_LZ4, 8, FL_LOG_COMPRESSION_LZ4},
      {FL_LOG_CODEC_LZ4, 0, FL_LOG_COMPRESSION_NONE},  {FL_LOG_CODEC_LZ4, 1, FL_LOG_COMPRESSION_LZ4},
  };
  enum { STEPS = sizeof steps / sizeof *steps, PER = 150 };
  for (int b = 0; b < STEPS; b++) {
    fl_log_stream_codec_set(ls, steps[b].codec);
    fl_log_stream_compression_set(ls, steps[b].level);
    cr_assert_eq(fl_log_stream_codec(ls), steps[b].codec);
    append_range(ls, (uint64_t)b * PER, PER);
  }
  fl_log_stream_codec_set(ls, FL_LOG_CODEC_LZ4);
  fl_log_stream_compression_set(ls, 1);
  append_range(ls, STEPS * PER, 1); /* under 512 bytes: stored as is */
  fl_log_close(log);

  char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  uint16_t flags[16];
  cr_assert_eq(segment_flags(path, flags, 16), STEPS + 1);
  for (int b = 0; b < STEPS; b++) cr_assert_eq(flags[b], steps[b].want, "batch %d flags %u", b, flags[b]);
  cr_assert_eq(flags[STEPS], FL_LOG_COMPRESSION_NONE);
  fl_free(path);

  /* reopen: recovery decodes every batch; then record by record and batch by batch */
  log = open_log(dir, 0);
  ls = open_stream(log, "s", 0);
  uint64_t end, damaged = 1;
  fl_err err;
  fl_log_partition_offsets(ls, 0, NULL, &end);
  cr_assert_eq(end, STEPS * PER + 1);
  cr_assert_eq(fl_log_verify(ls, 0, NULL, NULL, &damaged, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(damaged, 0);
  fl_log_reader *rd;
  fl_log_entry e;
  bool eof;
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  for (uint64_t k = 0; k < end; k++) {
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert_not(eof);
    check_entry(&e, k, false);
  }
  fl_log_reader_close(rd);
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  uint32_t lz4_fast = 0, lz4_default = 0, zstd = 0;
  for (int b = 0; b <= STEPS; b++) {
    fl_log_batch_view v;
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert_not(eof);
    cr_assert_eq(v.base_offset, (uint64_t)b * PER);
    cr_assert_eq((int)v.codec, b < STEPS ? steps[b].want : FL_LOG_COMPRESSION_NONE, "batch %d", b);
    cr_assert_eq(v.compressed, v.codec != FL_LOG_CODEC_NONE);
    for (uint32_t i = 0; i < v.count; i++) check_entry(&v.records[i], v.base_offset + i, false);
    if (v.codec == FL_LOG_CODEC_NONE) cr_assert_eq(v.stored_bytes, v.raw_bytes);
    if (b == 0) lz4_default = v.stored_bytes;
    if (b == 1) zstd = v.stored_bytes;
    if (b == 3) lz4_fast = v.stored_bytes;
  }
  /* zstd -1 < LZ4 (acceleration 1) <= LZ4 at acceleration 8 < raw / 2 */
  cr_assert_lt(zstd, lz4_default, "zstd %u lz4 %u", zstd, lz4_default);
  cr_assert_leq(lz4_default, lz4_fast, "lz4 %u, at acceleration 8 %u", lz4_default, lz4_fast);
  uint64_t stored, raw;
  uint64_t batches[FL_LOG_CODECS] = {0};
  cr_assert_eq(fl_log_partition_sizes(ls, 0, &stored, &raw, batches, &err), FL_OK);
  cr_assert_eq(batches[FL_LOG_CODEC_NONE], 3); /* level 0, codec none, one record */
  cr_assert_eq(batches[FL_LOG_CODEC_ZSTD], 1);
  cr_assert_eq(batches[FL_LOG_CODEC_LZ4], 3);
  cr_assert_lt(lz4_fast * 2, raw / STEPS, "lz4 %u of a raw %" PRIu64, lz4_fast, raw / STEPS);
  fl_log_reader_close(rd);
  fl_log_close(log);
  rm_rf(dir);
  fl_free(dir);
}

/* v3 finds a raw_len that does not match the heads before decompressing: "records do
 * not fill the payload"; damage inside the block: "does not decompress" */
static bool lz4_damage_named(const char *why) {
  return strstr(why, "decompress") || strstr(why, "do not fill");
}

static void count_damage(void *ctx, const fl_log_damage *d) {
  cr_assert(lz4_damage_named(d->why), "%s", d->why);
  (*(uint32_t *)ctx)++;
}

/* Three LZ4 batches of 100 records in one segment; batch 1 damaged by `how` with its
 * CRC made valid again: 0 its block cut short by 7 bytes (the rest of the file moved
 * up), 1 a raw_len one byte longer than the heads and the block make, 2 the block's first token
 * asking for more literals than the block holds. Verify names exactly batch 1, readers
 * stop there (ECORRUPT, "decompress" or, for 1, "do not fill"), batches 0 and 2 read back. */
Test(wire, a_truncated_or_corrupted_lz4_payload_with_a_valid_crc_is_found_by_verify) {
  for (int how = 0; how < 3; how++) {
    char *dir = tmpdir();
    fl_log *log = open_log(dir, 0);
    fl_log_stream *ls = open_stream(log, "s", 1);
    fl_log_stream_codec_set(ls, FL_LOG_CODEC_LZ4);
    for (int b = 0; b < 3; b++) append_range(ls, (uint64_t)b * 100, 100);
    fl_log_close(log);
    char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
    size_t n;
    unsigned char *bytes = read_file(path, &n);
    size_t pos = batch_pos(bytes, n, 1), next = batch_pos(bytes, n, 2);
    cr_assert_eq(fl_log_get16(bytes + pos + FL_LOG_OFF_FLAGS), FL_LOG_COMPRESSION_LZ4);
    uint32_t len = fl_log_get32(bytes + pos + FL_LOG_OFF_PAYLOAD_LEN);
    if (how == 0) {
      fl_log_put32(bytes + pos + FL_LOG_OFF_PAYLOAD_LEN, len - 7);
      memmove(bytes + next - 7, bytes + next, n - next);
      n -= 7;
    } else if (how == 1) {
      fl_log_put32(bytes + pos + FL_LOG_OFF_RAW_LEN, fl_log_get32(bytes + pos + FL_LOG_OFF_RAW_LEN) + 1);
    } else {
      /* v3: the LZ4 block of the values starts after head_len (4 bytes) and the heads */
      unsigned char *blk =
          bytes + pos + FL_LOG_BATCH_HEADER_BYTES + 4 + fl_log_get32(bytes + pos + FL_LOG_BATCH_HEADER_BYTES);
      blk[0] = 0xF0; /* 15+ literals ... */
      blk[1] = 0xFF; /* ... plus 255 + the next byte's: past the block */
      blk[2] = 0xFF;
    }
    fix_crc(bytes, pos);
    write_file(path, bytes, n);
    fl_free(bytes);

    log = open_log(dir, 0);
    ls = open_stream(log, "s", 0);
    uint64_t end, damaged = 0;
    uint32_t ranges = 0;
    fl_err err;
    fl_log_partition_offsets(ls, 0, NULL, &end);
    cr_assert_eq(end, 300, "how %d: end %" PRIu64, how, end); /* not the tail: kept */
    cr_assert_eq(fl_log_verify(ls, 0, count_damage, &ranges, &damaged, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(damaged, 1, "how %d", how);
    cr_assert_eq(ranges, 1);
    fl_log_reader *rd;
    fl_log_batch_view v;
    bool eof;
    cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(v.codec, FL_LOG_CODEC_LZ4);
    for (uint32_t i = 0; i < v.count; i++) check_entry(&v.records[i], i, false);
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_ECORRUPT);
    cr_assert(strstr(err.msg, "(offset 100)") && lz4_damage_named(err.msg), "how %d: %s", how, err.msg);
    fl_log_reader_close(rd);
    cr_assert_eq(fl_log_reader_open(ls, 0, 200, &rd, &err), FL_OK);
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(v.base_offset, 200);
    for (uint32_t i = 0; i < v.count; i++) check_entry(&v.records[i], 200 + i, false);
    fl_log_reader_close(rd);
    fl_log_close(log);
    fl_free(path);
    rm_rf(dir);
    fl_free(dir);
  }
}

Test(wire, codec_names_round_trip) {
  fl_log_codec c;
  for (int i = FL_LOG_CODEC_NONE; i <= FL_LOG_CODEC_LZ4; i++) {
    cr_assert(fl_log_codec_from_name(fl_log_codec_name((fl_log_codec)i), &c));
    cr_assert_eq((int)c, i);
  }
  cr_assert_str_eq(fl_log_codec_name(FL_LOG_CODEC_LZ4), "lz4");
  cr_assert_not(fl_log_codec_from_name("snappy", &c));
  cr_assert_str_eq(fl_log_codec_name((fl_log_codec)7), "?");
}
