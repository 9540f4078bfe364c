/* Damage in the event log is never silent and never spreads (verify.c): each case is a
 * data directory corrupted before a reopen, then checked through the public API: what
 * recovery keeps (offsets, bytes), what it copies aside, what readers return with and
 * without skipping, what fl_log_verify reports, and where appends continue. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/mem.h"
#include "log/log.h"
#include "log/log_int.h"
#include "log/log_wire.h"

static char *tmpdir(void) {
  fl_diag_set_level(FL_ERROR); /* damage is reported at warn: expected here */
  const char *root = getenv("FLOE_TEST_TMP");
  if (!root || !*root) root = "/tmp";
  mkdir(root, 0755);
  char *t = fl_sprintf("%s/damagetest.XXXXXX", root);
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
  fl_code rc = fl_log_open(dir, &opts, &log, &err);
  cr_assert_eq(rc, FL_OK, "%s", err.msg);
  return log;
}

static fl_log_stream *open_stream(fl_log *log, const char *name, uint32_t np) {
  fl_log_stream *ls;
  fl_err err;
  fl_code rc = fl_log_stream_open(log, name, np, &ls, &err);
  cr_assert_eq(rc, FL_OK, "%s", err.msg);
  fl_log_stream_compression_set(ls, 0); /* byte-exact batch positions; compressed damage: wire_test.c */
  return ls;
}

static size_t rec_text(uint64_t i, char *buf) {
  int n = sprintf(buf, "rec-%" PRIu64, i);
  for (uint64_t k = 0; k < i % 7; k++) buf[n++] = 'x';
  return (size_t)n;
}

static void append_range(fl_log_stream *ls, uint32_t p, uint64_t first, uint32_t n) {
  char bufs[64][48];
  fl_log_record recs[64] = {0};
  cr_assert_leq(n, 64);
  for (uint32_t i = 0; i < n; i++) {
    recs[i].value = bufs[i];
    recs[i].value_len = (uint32_t)rec_text(first + i, bufs[i]);
  }
  uint64_t base = UINT64_MAX;
  fl_err err;
  fl_code rc = fl_log_append_sync(ls, p, recs, n, &base, &err);
  cr_assert_eq(rc, FL_OK, "%s", err.msg);
  cr_assert_eq(base, first);
}

typedef struct ranges {
  fl_log_damage d[8];
  char files[8][512];
  int n;
} ranges;

static void collect(void *ctx, const fl_log_damage *d) {
  ranges *r = ctx;
  cr_assert_lt(r->n, 8);
  r->d[r->n] = *d;
  snprintf(r->files[r->n], sizeof r->files[0], "%s", d->file);
  r->d[r->n].file = r->files[r->n];
  r->n++;
}

/* Reads partition p from `from`: every record must be record i at offset i for i in
 * [from, end) outside [lost_from, lost_to). With skip, the reader goes past the damage
 * (ranges in *skipped); without, it must stop at lost_from with FL_ECORRUPT whose
 * message contains `needle`. */
static void expect_read(fl_log_stream *ls, uint32_t p, uint64_t from, uint64_t end, uint64_t lost_from,
                        uint64_t lost_to, bool skip, ranges *skipped, const char *needle) {
  fl_log_reader *rd;
  fl_err err;
  cr_assert_eq(fl_log_reader_open(ls, p, from, &rd, &err), FL_OK);
  if (skip) fl_log_reader_skip_damaged(rd, collect, skipped);
  uint64_t want = from;
  for (;;) {
    if (want >= lost_from && want < lost_to) {
      if (!skip) break;
      want = lost_to;
    }
    fl_log_entry e;
    bool eof;
    fl_code rc = fl_log_reader_next(rd, &e, &eof, &err);
    cr_assert_eq(rc, FL_OK, "%s", err.msg);
    if (eof) break;
    char buf[48];
    size_t n = rec_text(want, buf);
    cr_assert_eq(e.offset, want, "got offset %" PRIu64 ", want %" PRIu64, e.offset, want);
    cr_assert_eq(e.value_len, n);
    cr_assert_eq(memcmp(e.value, buf, n), 0);
    want++;
  }
  if (!skip && want == lost_from && lost_from < lost_to) {
    fl_log_entry e;
    bool eof;
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_ECORRUPT);
    cr_assert(strstr(err.msg, needle), "error \"%s\" lacks \"%s\"", err.msg, needle);
    cr_assert(strstr(err.msg, "stream s partition 0"), "%s", err.msg);
    /* it stays there: no record after the damage is returned silently */
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_ECORRUPT);
  } else {
    cr_assert_eq(want, end, "read up to %" PRIu64 ", expected %" PRIu64, want, end);
  }
  fl_log_reader_close(rd);
}

static char *seg_path(const char *dir, uint64_t base) {
  return fl_sprintf("%s/s/0/%020" PRIu64 ".log", dir, base);
}

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = fl_malloc((size_t)n + 1);
  cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return b;
}

static void write_file(const char *path, const unsigned char *b, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "%s", path);
  cr_assert_eq(fwrite(b, 1, len, f), len);
  fclose(f);
}

static void flip(const char *path, uint64_t at) {
  int fd = open(path, O_RDWR);
  cr_assert_geq(fd, 0);
  unsigned char c;
  cr_assert_eq(pread(fd, &c, 1, (off_t)at), 1);
  c ^= 0x40;
  cr_assert_eq(pwrite(fd, &c, 1, (off_t)at), 1);
  close(fd);
}

/* One segment of NB batches of 1..4 records; batch b holds offsets [off[b], off[b+1])
 * at bytes [pos[b], pos[b+1]). */
enum { NB = 5 };
static unsigned char *make_segment(const char *dir, size_t *len, uint64_t *pos, uint64_t *off) {
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 1);
  pos[0] = off[0] = 0;
  for (int b = 0; b < NB; b++) {
    uint32_t n = (uint32_t)(b % 4 + 1);
    append_range(ls, 0, off[b], n);
    char bufs[4][48];
    fl_log_record recs[4] = {0};
    for (uint32_t i = 0; i < n; i++)
      recs[i] = (fl_log_record){bufs[i], (uint32_t)rec_text(off[b] + i, bufs[i])};
    pos[b + 1] = pos[b] + fl_log_batch_raw_bytes(recs, n);
    off[b + 1] = off[b] + n;
  }
  fl_log_close(log);
  char *path = seg_path(dir, 0);
  unsigned char *bytes = read_file(path, len);
  cr_assert_eq(*len, pos[NB]);
  fl_free(path);
  return bytes;
}

Test(damage, a_flipped_byte_keeps_every_later_batch_and_cuts_only_a_torn_last_batch) {
  char *root = tmpdir();
  char *src = fl_sprintf("%s/src", root);
  uint64_t pos[NB + 1], off[NB + 1];
  size_t len;
  unsigned char *bytes = make_segment(src, &len, pos, off);
  for (size_t at = 0; at < len; at++) {
    int b = 0;
    while (pos[b + 1] <= at) b++;
    char *dir = fl_sprintf("%s/flip%zu", root, at);
    char *cmd = fl_sprintf("cp -r '%s' '%s'", src, dir);
    cr_assert_eq(system(cmd), 0);
    fl_free(cmd);
    char *path = seg_path(dir, 0);
    flip(path, at);
    bytes[at] ^= 0x40;
    fl_log *log = open_log(dir, 0);
    fl_log_stream *ls = open_stream(log, "s", 1);
    fl_log_partition_stat st;
    fl_log_partition_stat_get(ls, 0, &st);
    char *aside = fl_sprintf("%s.damaged-%" PRIu64, path, pos[b]);
    size_t alen;
    unsigned char *kept = read_file(aside, &alen); /* the damaged bytes, copied aside */
    uint64_t aend = b == NB - 1 ? len : pos[b + 1];
    cr_assert_eq(alen, aend - pos[b], "flip at %zu", at);
    cr_assert_eq(memcmp(kept, bytes + pos[b], alen), 0);
    fl_free(kept);
    cr_assert_eq(fl_log_stream_damaged_ranges(ls), b == NB - 1 ? 0 : 1, "flip at %zu", at);
    ranges vr = {.n = 0}, sk = {.n = 0};
    uint64_t nd;
    fl_err err;
    cr_assert_eq(fl_log_verify(ls, 0, collect, &vr, &nd, &err), FL_OK);
    if (b == NB - 1) { /* a torn tail: cut, the offsets are reused */
      cr_assert_eq(st.end_offset, off[NB - 1]);
      cr_assert_eq(st.bytes, pos[NB - 1]);
      cr_assert_eq(nd, 0);
      expect_read(ls, 0, 0, off[NB - 1], 0, 0, false, NULL, NULL);
      append_range(ls, 0, off[NB - 1], 2);
      expect_read(ls, 0, 0, off[NB - 1] + 2, 0, 0, false, NULL, NULL);
    } else { /* damage in the middle: every later batch kept, offsets [off[b], off[b+1]) lost */
      cr_assert_eq(st.end_offset, off[NB], "flip at %zu", at);
      cr_assert_eq(st.bytes, len);
      cr_assert_eq(nd, 1);
      cr_assert_eq(vr.d[0].pos, pos[b]);
      cr_assert_eq(vr.d[0].end_pos, pos[b + 1]);
      cr_assert_eq(vr.d[0].offset, off[b]);
      cr_assert_eq(vr.d[0].end_offset, off[b + 1]);
      cr_assert_str_eq(vr.d[0].stream, "s");
      cr_assert_str_eq(vr.d[0].file, path);
      char needle[64];
      snprintf(needle, sizeof needle, "at byte %" PRIu64 " (offset %" PRIu64 ")", pos[b], off[b]);
      expect_read(ls, 0, 0, off[NB], off[b], off[b + 1], false, NULL, needle);
      expect_read(ls, 0, 0, off[NB], off[b], off[b + 1], true, &sk, NULL);
      cr_assert_eq(sk.n, 1);
      cr_assert_eq(sk.d[0].pos, pos[b]);
      cr_assert_eq(sk.d[0].end_pos, pos[b + 1]);
      cr_assert_eq(sk.d[0].offset, off[b]);
      cr_assert_eq(sk.d[0].end_offset, off[b + 1]);
      expect_read(ls, 0, off[b + 1], off[NB], 0, 0, false, NULL, NULL); /* past it: no error */
      append_range(ls, 0, off[NB], 2); /* new appends continue after the last valid batch */
      expect_read(ls, 0, off[b + 1], off[NB] + 2, 0, 0, false, NULL, NULL);
    }
    fl_log_close(log);
    if (b != NB - 1) { /* the next open finds the same range again, keeps the same copy */
      log = open_log(dir, 0);
      ls = open_stream(log, "s", 1);
      cr_assert_eq(fl_log_stream_damaged_ranges(ls), 1);
      fl_log_partition_stat_get(ls, 0, &st);
      cr_assert_eq(st.end_offset, off[NB] + 2);
      fl_log_close(log);
    }
    bytes[at] ^= 0x40;
    fl_free(aside);
    fl_free(path);
    rm_rf(dir);
    fl_free(dir);
  }
  fl_free(bytes);
  rm_rf(root);
  fl_free(src);
  fl_free(root);
}

/* Many small segments: 30 batches of 3 records, 200-byte segments (one or two batches each). */
static void make_segments(const char *dir) {
  fl_log *log = open_log(dir, 200);
  fl_log_stream *ls = open_stream(log, "s", 1);
  for (uint64_t b = 0; b < 30; b++) append_range(ls, 0, b * 3, 3);
  fl_log_close(log);
}

/* The segment bases of partition 0, ascending. */
static int list_bases(const char *dir, uint64_t *bases, int max) {
  char *cmd = fl_sprintf("ls '%s/s/0' | grep -E '^[0-9]{20}\\.log$'", dir);
  FILE *f = popen(cmd, "r");
  int n = 0;
  char line[64];
  while (n < max && fgets(line, sizeof line, f)) bases[n++] = strtoull(line, NULL, 10);
  pclose(f);
  fl_free(cmd);
  return n;
}

Test(damage, a_missing_middle_segment_is_reported_and_readers_stop_or_skip_there) {
  char *dir = tmpdir();
  make_segments(dir);
  uint64_t bases[64];
  int n = list_bases(dir, bases, 64);
  cr_assert_gt(n, 5);
  char *gone = seg_path(dir, bases[2]);
  cr_assert_eq(unlink(gone), 0);
  fl_log *log = open_log(dir, 200);
  fl_log_stream *ls = open_stream(log, "s", 1);
  cr_assert_eq(fl_log_stream_damaged_ranges(ls), 1);
  ranges vr = {.n = 0}, sk = {.n = 0};
  uint64_t nd;
  fl_err err;
  cr_assert_eq(fl_log_verify(ls, 0, collect, &vr, &nd, &err), FL_OK);
  cr_assert_eq(nd, 1);
  cr_assert_eq(vr.d[0].offset, bases[2]);
  cr_assert_eq(vr.d[0].end_offset, bases[3]);
  char *next = seg_path(dir, bases[3]);
  cr_assert_str_eq(vr.d[0].file, next);
  char needle[96];
  snprintf(needle, sizeof needle, "offsets %" PRIu64 "..%" PRIu64 " are missing", bases[2], bases[3]);
  expect_read(ls, 0, 0, 90, bases[2], bases[3], false, NULL, needle);
  expect_read(ls, 0, 0, 90, bases[2], bases[3], true, &sk, NULL);
  cr_assert_eq(sk.n, 1);
  cr_assert_eq(sk.d[0].offset, bases[2]);
  cr_assert_eq(sk.d[0].end_offset, bases[3]);
  append_range(ls, 0, 90, 3); /* acknowledged after the gap: a skipping reader reaches them */
  expect_read(ls, 0, bases[3], 93, 0, 0, false, NULL, NULL);
  expect_read(ls, 0, 0, 93, bases[2], bases[3], true, &sk, NULL);
  fl_log_close(log);
  fl_free(next);
  fl_free(gone);
  rm_rf(dir);
  fl_free(dir);
}

Test(damage, a_stray_segment_file_inside_another_ones_offsets_fails_the_open_naming_both) {
  char *dir = tmpdir();
  make_segments(dir);
  uint64_t bases[64];
  list_bases(dir, bases, 64);
  char *first = seg_path(dir, 0), *stray = seg_path(dir, 1);
  size_t len;
  unsigned char *b = read_file(first, &len);
  write_file(stray, b, len);
  fl_free(b);
  fl_log *log = open_log(dir, 200);
  fl_log_stream *ls;
  fl_err err;
  cr_assert_eq(fl_log_stream_open(log, "s", 0, &ls, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, first) && strstr(err.msg, stray), "%s", err.msg);
  cr_assert(strstr(err.msg, "stream s partition 0"), "%s", err.msg);
  fl_log_close(log);
  { /* nothing was changed: the stray file and the real one are both intact */
    struct stat st;
    cr_assert_eq(stat(stray, &st), 0);
    cr_assert_eq((size_t)st.st_size, len);
    cr_assert_eq(stat(first, &st), 0);
    cr_assert_eq((size_t)st.st_size, len);
  }
  fl_free(first);
  fl_free(stray);
  rm_rf(dir);
  fl_free(dir);
}

Test(damage, a_misnamed_segment_file_is_reported_and_left_alone) {
  char *dir = tmpdir();
  make_segments(dir);
  char *odd = fl_sprintf("%s/s/0/123.log", dir);
  write_file(odd, (const unsigned char *)"junk", 4);
  fl_log *log = open_log(dir, 200);
  fl_log_stream *ls = open_stream(log, "s", 1);
  cr_assert_eq(fl_log_stream_damaged_ranges(ls), 1);
  expect_read(ls, 0, 0, 90, 0, 0, false, NULL, NULL);
  fl_log_close(log);
  struct stat st;
  cr_assert_eq(stat(odd, &st), 0);
  cr_assert_eq(st.st_size, 4);
  fl_free(odd);
  rm_rf(dir);
  fl_free(dir);
}

Test(damage, damage_in_a_sealed_segment_is_found_at_open_or_by_readers_and_verify_and_skipped_on_request) {
  char *dir = tmpdir();
  make_segments(dir);
  uint64_t bases[64];
  int n = list_bases(dir, bases, 64);
  cr_assert_gt(n, 5);
  /* segment 1: flip its first batch's magic (a header: found at open) */
  char *s1 = seg_path(dir, bases[1]), *s3 = seg_path(dir, bases[3]);
  flip(s1, 1);
  /* segment 3: flip a payload byte of its first batch (found by the CRC: readers, verify) */
  flip(s3, FL_LOG_BATCH_HEADER_BYTES + 5);
  fl_log *log = open_log(dir, 200);
  fl_log_stream *ls = open_stream(log, "s", 1);
  cr_assert_eq(fl_log_stream_damaged_ranges(ls),
               1); /* segment 1's bad header (payloads are not read at open) */
  ranges vr = {.n = 0};
  uint64_t nd;
  fl_err err;
  cr_assert_eq(fl_log_verify(ls, 0, collect, &vr, &nd, &err), FL_OK);
  cr_assert_geq(nd, 2);
  bool seen1 = false, seen3 = false;
  for (int i = 0; i < vr.n; i++) {
    if (!strcmp(vr.d[i].file, s1) && vr.d[i].pos == 0) seen1 = true;
    if (!strcmp(vr.d[i].file, s3) && vr.d[i].pos == 0 && vr.d[i].offset == bases[3] &&
        vr.d[i].end_offset > bases[3])
      seen3 = true;
  }
  cr_assert(seen1 && seen3, "verify found %d ranges", vr.n);
  char needle[64];
  snprintf(needle, sizeof needle, "at byte 0 (offset %" PRIu64 ")", bases[1]);
  expect_read(ls, 0, 0, 90, bases[1], bases[1] + 3, false, NULL, needle);
  /* with skip: everything but the two damaged ranges */
  fl_log_reader *rd;
  ranges sk = {.n = 0};
  cr_assert_eq(fl_log_reader_open(ls, 0, 0, &rd, &err), FL_OK);
  fl_log_reader_skip_damaged(rd, collect, &sk);
  uint64_t got = 0, last = 0;
  for (;;) {
    fl_log_entry e;
    bool eof;
    cr_assert_eq(fl_log_reader_next(rd, &e, &eof, &err), FL_OK, "%s", err.msg);
    if (eof) break;
    cr_assert(e.offset >= last);
    cr_assert(!(e.offset >= bases[1] && e.offset < bases[1] + 3) &&
              !(e.offset >= bases[3] && e.offset < bases[3] + 3));
    last = e.offset;
    got++;
  }
  fl_log_reader_close(rd);
  cr_assert_eq(last, 89);
  cr_assert_eq(sk.n, 2); /* one batch of 3 records each */
  cr_assert_eq(sk.d[0].offset, bases[1]);
  cr_assert_eq(sk.d[0].end_offset, bases[1] + 3);
  cr_assert_eq(sk.d[1].offset, bases[3]);
  cr_assert_eq(sk.d[1].end_offset, bases[3] + 3);
  cr_assert_eq(got, 84);
  append_range(ls, 0, 90, 3);
  fl_log_close(log);
  fl_free(s1);
  fl_free(s3);
  rm_rf(dir);
  fl_free(dir);
}

static char *slurp(const char *path) {
  size_t len;
  unsigned char *b = read_file(path, &len);
  b[len] = 0;
  return (char *)b;
}

Test(damage, the_partition_count_is_kept_in_stream_json_and_a_changed_directory_set_is_an_error) {
  char *dir = tmpdir();
  fl_log *log = open_log(dir, 0);
  fl_log_stream *ls = open_stream(log, "s", 3);
  append_range(ls, 2, 0, 2);
  fl_log_close(log);
  char *meta = fl_sprintf("%s/s/stream.json", dir);
  char *text = slurp(meta);
  cr_assert_str_eq(text, "{\"format\":1,\"partitions\":3}\n");
  fl_free(text);
  fl_err err;
  { /* a removed partition directory: an error naming both counts, never a re-hash */
    char *cmd = fl_sprintf("mv '%s/s/2' '%s/p2'", dir, dir);
    cr_assert_eq(system(cmd), 0);
    fl_free(cmd);
    log = open_log(dir, 0);
    cr_assert_eq(fl_log_stream_open(log, "s", 0, &ls, &err), FL_ECORRUPT);
    cr_assert(strstr(err.msg, "says 3 partitions but 2 partition directories"), "%s", err.msg);
    cr_assert_eq(fl_log_stream_open(log, "s", 3, &ls, &err), FL_ECORRUPT);
    fl_log_close(log);
    cmd = fl_sprintf("mv '%s/p2' '%s/s/2'", dir, dir);
    cr_assert_eq(system(cmd), 0);
    fl_free(cmd);
  }
  { /* an added one */
    char *p3 = fl_sprintf("%s/s/3", dir);
    cr_assert_eq(mkdir(p3, 0755), 0);
    log = open_log(dir, 0);
    cr_assert_eq(fl_log_stream_open(log, "s", 0, &ls, &err), FL_ECORRUPT);
    cr_assert(strstr(err.msg, "says 3 partitions but 4 partition directories"), "%s", err.msg);
    fl_log_close(log);
    cr_assert_eq(rmdir(p3), 0);
    fl_free(p3);
  }
  /* asking for another count is refused */
  log = open_log(dir, 0);
  cr_assert_eq(fl_log_stream_open(log, "s", 4, &ls, &err), FL_EINVAL);
  fl_log_close(log);
  /* a stream from before stream.json gets one from what is on disk */
  cr_assert_eq(unlink(meta), 0);
  log = open_log(dir, 0);
  ls = open_stream(log, "s", 0);
  cr_assert_eq(fl_log_stream_npartitions(ls), 3);
  fl_log_close(log);
  text = slurp(meta);
  cr_assert_str_eq(text, "{\"format\":1,\"partitions\":3}\n");
  fl_free(text);
  fl_free(meta);
  rm_rf(dir);
  fl_free(dir);
}

/* Batches over 64 KiB: the header walk of sealed segments reads each header with its
 * own pread (verify.c WALK_SPARSE_BYTES); a damaged header there is found at open too. */
Test(damage, a_damaged_header_among_big_batches_of_a_sealed_segment_is_found_at_open) {
  char *dir = tmpdir();
  enum { N = 40, VLEN = 2000, BATCHES = 12 };
  static char big[N][VLEN];
  fl_log_record recs[N] = {0};
  for (int i = 0; i < N; i++) {
    memset(big[i], 'a' + i % 26, VLEN);
    recs[i] = (fl_log_record){big[i], VLEN};
  }
  fl_log *log = open_log(dir, 300 << 10);
  fl_log_stream *ls = open_stream(log, "s", 1);
  fl_err err;
  for (int b = 0; b < BATCHES; b++) cr_assert_eq(fl_log_append_sync(ls, 0, recs, N, NULL, &err), FL_OK);
  fl_log_close(log);
  uint64_t bases[16];
  int n = list_bases(dir, bases, 16);
  cr_assert_geq(n, 2);
  uint64_t batch = fl_log_batch_raw_bytes(recs, N);
  cr_assert_gt(batch, 64 << 10);
  char *s0 = seg_path(dir, 0);
  flip(s0, 2 * batch + 2); /* the third batch's magic */
  log = open_log(dir, 300 << 10);
  ls = open_stream(log, "s", 1);
  cr_assert_eq(fl_log_stream_damaged_ranges(ls), 1);
  ranges vr = {.n = 0};
  uint64_t nd;
  cr_assert_eq(fl_log_verify(ls, 0, collect, &vr, &nd, &err), FL_OK);
  cr_assert_eq(nd, 1);
  cr_assert_eq(vr.d[0].pos, 2 * batch);
  cr_assert_eq(vr.d[0].end_pos, 3 * batch);
  cr_assert_eq(vr.d[0].offset, 2 * N);
  cr_assert_eq(vr.d[0].end_offset, 3 * N);
  fl_log_partition_stat st;
  fl_log_partition_stat_get(ls, 0, &st);
  cr_assert_eq(st.end_offset, BATCHES * N);
  fl_log_close(log);
  fl_free(s0);
  rm_rf(dir);
  fl_free(dir);
}
