/* Tests of record batch version 2 (log_wire.h): v1 and v2 batches mixed in one
 * segment, zstd-compressed, LZ4-compressed and stored payloads (codecs mixed batch by
 * batch in one partition; truncated and corrupted LZ4 blocks with valid CRCs found by
 * verify), the v2 record fields (contract
 * version, key hash, event time) round-tripping through fl_log_reader_next and
 * fl_log_reader_next_batch, readers opened mid-batch, and damaged compressed payloads
 * (a valid CRC over bytes that do not decompress) reported as FL_ECORRUPT naming
 * stream, partition and offset, and cut away by recovery when in the tail; every
 * flipped byte of a segment of compressed batches costs exactly its batch and the
 * later ones, and what stays reads back exactly. */
#include <criterion/criterion.h>
#include <inttypes.h>
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

static fl_log_stream *open_stream(fl_log *log, const char *name, uint32_t np) {
  fl_log_stream *ls;
  fl_err err;
  cr_assert_eq(fl_log_stream_open(log, name, np, &ls, &err), FL_OK, "%s", err.msg);
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

/* A stream directory with one partition whose first segment holds v1 batches. */
static void make_v1_stream(const char *dir, uint32_t nbatches, uint32_t per) {
  char *sdir = fl_sprintf("%s/s", dir), *pdir = fl_sprintf("%s/s/0", dir);
  char *path = fl_sprintf("%s/%020d.log", pdir, 0);
  mkdir(sdir, 0755);
  mkdir(pdir, 0755);
  size_t len;
  unsigned char *b = v1_segment(nbatches, per, &len);
  write_file(path, b, len);
  fl_free(b);
  fl_free(path);
  fl_free(pdir);
  fl_free(sdir);
}

Test(wire, v1_and_v2_batches_mixed_in_one_segment_read_back_with_their_fields) {
  char *dir = tmpdir();
  make_v1_stream(dir, 3, 5); /* offsets 0..14, version 1 */
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 0);
  uint64_t end;
  fl_log_partition_offsets(ls, 0, NULL, &end);
  cr_assert_eq(end, 15); /* recovery kept every v1 batch */
  fl_log_stream_compression_set(ls, 0);
  append_range(ls, 15, 10); /* v2, stored */
  fl_log_stream_compression_set(ls, 3);
  append_range(ls, 25, 200); /* v2, zstd */
  append_range(ls, 225, 1);  /* v2, too small to compress */
  fl_log_close(log);

  /* one segment file holds all four kinds */
  char *path = fl_sprintf("%s/s/0/%020d.log", dir, 0);
  size_t n;
  unsigned char *bytes = read_file(path, &n);
  uint32_t versions[8] = {0}, flags[8] = {0}, nb = 0;
  for (size_t pos = 0; pos < n && nb < 8; nb++) {
    versions[nb] = fl_log_get16(bytes + pos + FL_LOG_OFF_VERSION);
    flags[nb] = fl_log_get16(bytes + pos + FL_LOG_OFF_FLAGS);
    pos += FL_LOG_BATCH_HEADER_BYTES + fl_log_get32(bytes + pos + FL_LOG_OFF_PAYLOAD_LEN);
  }
  cr_assert_eq(nb, 6);
  for (int i = 0; i < 3; i++) cr_assert_eq(versions[i], 1);
  cr_assert_eq(versions[3], 2);
  cr_assert_eq(flags[3], FL_LOG_COMPRESSION_NONE);
  cr_assert_eq(versions[4], 2);
  cr_assert_eq(flags[4], FL_LOG_COMPRESSION_ZSTD);
  cr_assert_eq(flags[5], FL_LOG_COMPRESSION_NONE);
  fl_free(bytes);
  fl_free(path);

  /* reopen (recovery scans every batch of the segment), read record by record */
  log = open_log(dir, 0);
  ls = open_stream(log, "s", 0);
  fl_log_partition_offsets(ls, 0, NULL, &end);
  cr_assert_eq(end, 226);
  fl_log_reader *rd;
  fl_err err;
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  fl_log_entry e;
  bool eof;
  for (uint64_t k = 0; k < 226; k++) {
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
  uint64_t want_base[] = {0, 5, 10, 15, 25, 225}, want_count[] = {5, 5, 5, 10, 200, 1};
  for (int b = 0; b < 6; b++) {
    cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK, "%s", err.msg);
    cr_assert_not(eof);
    cr_assert_eq(v.base_offset, want_base[b]);
    cr_assert_eq(v.count, want_count[b]);
    cr_assert_eq(v.version, b < 3 ? 1 : 2);
    cr_assert_eq(v.compressed, b == 4);
    if (b < 3) cr_assert_eq(v.append_time_ms, 1600000000000);
    if (b == 4)
      cr_assert_lt(v.stored_bytes * 3, v.raw_bytes, "stored %u raw %u", v.stored_bytes, v.raw_bytes);
    if (b != 4) cr_assert_eq(v.stored_bytes, v.raw_bytes);
    for (uint32_t i = 0; i < v.count; i++) check_entry(&v.records[i], v.base_offset + i, b < 3);
  }
  cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK);
  cr_assert(eof);
  /* tailing: a later append shows up as the next batch */
  append_range(ls, 226, 40);
  cr_assert_eq(fl_log_reader_next_batch(rd, &v, &eof, &err), FL_OK);
  cr_assert_not(eof);
  cr_assert_eq(v.base_offset, 226);
  cr_assert_eq(v.count, 40);
  for (uint32_t i = 0; i < v.count; i++) check_entry(&v.records[i], 226 + i, false);
  fl_log_reader_close(rd);
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
    damage(bytes, 0, len / 2, fix);
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
    cr_assert(strstr(err.msg, fix ? "decompress" : "CRC mismatch"), "%s", err.msg);
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
  damage(bytes, pos, fl_log_get32(bytes + pos + FL_LOG_OFF_PAYLOAD_LEN) / 2, true);
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
  uint64_t raw = FL_LOG_BATCH_HEADER_BYTES;
  for (uint64_t k = 0; k < 50; k++) {
    char buf[160];
    raw += FL_LOG_RECORD_HEADER_BYTES_V2 + (uint64_t)rec_text(k, buf, sizeof buf);
  }
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
  uint32_t len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN), r = 0;
  for (int i = 0; i < 2; i++) r += FL_LOG_RECORD_HEADER_BYTES_V2 + fl_log_get32(p + r);
  fl_log_put32(p + r, fl_log_get32(p + r) + 1);
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
  cr_assert_eq(fl_log_stream_codec(ls), FL_LOG_CODEC_DEFAULT);
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

static void count_damage(void *ctx, const fl_log_damage *d) {
  cr_assert(strstr(d->why, "decompress"), "%s", d->why);
  (*(uint32_t *)ctx)++;
}

/* Rewrites the CRC of the batch at pos over its (possibly changed) header and payload. */
static void fix_crc(unsigned char *bytes, size_t pos) {
  unsigned char *h = bytes + pos;
  uint32_t len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN);
  fl_log_put32(h + FL_LOG_OFF_CRC,
               fl_crc32c(fl_crc32c(0, h + FL_LOG_BATCH_HEADER_BYTES, len), h + FL_LOG_OFF_BASE,
                         FL_LOG_BATCH_HEADER_BYTES - FL_LOG_OFF_BASE));
}

/* Three LZ4 batches of 100 records in one segment; batch 1 damaged by `how` with its
 * CRC made valid again: 0 its block cut short by 7 bytes (the rest of the file moved
 * up), 1 a raw_len one byte longer than the block makes, 2 the block's first token
 * asking for more literals than the block holds. Verify names exactly batch 1, readers
 * stop there (ECORRUPT, "decompress"), batches 0 and 2 read back. */
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
      bytes[pos + FL_LOG_BATCH_HEADER_BYTES] = 0xF0;     /* 15+ literals ... */
      bytes[pos + FL_LOG_BATCH_HEADER_BYTES + 1] = 0xFF; /* ... plus 255 + the next byte's: past the block */
      bytes[pos + FL_LOG_BATCH_HEADER_BYTES + 2] = 0xFF;
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
    cr_assert(strstr(err.msg, "(offset 100)") && strstr(err.msg, "decompress"), "how %d: %s", how, err.msg);
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
