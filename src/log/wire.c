/* wire: encoding and decoding record batches (layout: log_wire.h), versions 1 and 2.
 *
 * Encode (fl_log_batch_encode, on the appending thread): the records go into one v2
 * payload (24-byte record headers: value_len, contract_version, key_hash,
 * event_time_ms); with compression on (the stream's codec, level > 0) the payload is
 * compressed (codec.c), and stored compressed only when that is smaller. The
 * uncompressed payload and the compressor's output are built in per-thread scratch
 * buffers (a pthread key frees them when the thread exits), so a batch
 * costs exactly one allocation (the queued append: header + stored payload), never one
 * per record. The payload CRC is computed here, over the stored bytes.
 *
 * Decode (fl_log_batch_body_decode, readers and the segment scan): CRC over the
 * stored bytes and header, then a compressed payload is decompressed into the
 * caller's scratch (grown, never shrunk: once per batch, at most raw_len <=
 * FL_LOG_BATCH_PAYLOAD_MAX), and the records must exactly fill the raw payload; the
 * walk that checks them also fills a reader's entries (views into the raw payload).
 * Every length is bounded before it is trusted: the segment fuzz target feeds
 * arbitrary bytes (with CRCs fixed), including compressed payloads.
 *
 *   stored payload --CRC--> ok --flags: none--> raw = stored
 *                               --flags: zstd, lz4--> decompress into scratch
 *                                                     (codec.c) == raw_len?
 *                                                          --> raw = scratch
 *   raw --framing (per version), one pass--> records (and the reader's views) */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/mem.h"
#include "log/codec.h"
#include "log/log_int.h"

/* A payload smaller than this is stored as is: zstd's frame overhead eats most of the
 * gain and its per-call setup dominates the CPU of a small post (measured: one ~250-byte
 * event compresses to 183 bytes with zstd -1, 1.37x; four events 974 -> 293, 3.3x; under
 * wrk -c64 single posts zstd was 21% of floe serve's CPU samples, half its user time). */
enum { COMPRESS_MIN_BYTES = 512 };
/* Scratch buffers over this size are freed after the batch that grew them, so one
 * large request does not pin twice its size per appending thread for ever (a batch of
 * 1,000 events is ~250 KiB). */
#define ENC_KEEP_BYTES (4u << 20)

typedef struct enc_tls {
  unsigned char *raw, *z;
  size_t raw_cap, z_cap;
} enc_tls;

static pthread_key_t enc_key;
static pthread_once_t enc_once = PTHREAD_ONCE_INIT;

static void enc_tls_free(void *p) {
  enc_tls *t = p;
  if (!t) return;
  fl_free(t->raw);
  fl_free(t->z);
  fl_free(t);
}

static void enc_key_init(void) { FL_ASSERT(pthread_key_create(&enc_key, enc_tls_free) == 0); }

static enc_tls *enc_get(void) {
  pthread_once(&enc_once, enc_key_init);
  enc_tls *t = pthread_getspecific(enc_key);
  if (!t) {
    t = fl_calloc(1, sizeof *t);
    FL_ASSERT(pthread_setspecific(enc_key, t) == 0);
  }
  return t;
}

static void grow(unsigned char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return;
  size_t c = *cap ? *cap : 4096;
  while (c < need) c *= 2;
  fl_free(*buf);
  *buf = fl_malloc(c);
  *cap = c;
}

/* Frees this thread's scratch buffers if a large batch grew them past ENC_KEEP_BYTES. */
static void enc_trim(enc_tls *t) {
  if (!t) return;
  if (t->raw_cap > ENC_KEEP_BYTES) {
    fl_free(t->raw);
    t->raw = NULL;
    t->raw_cap = 0;
  }
  if (t->z_cap > ENC_KEEP_BYTES) {
    fl_free(t->z);
    t->z = NULL;
    t->z_cap = 0;
  }
}

static unsigned char *put_record(unsigned char *p, const fl_log_record *r) {
  fl_log_put32(p + FL_LOG_ROFF_VALUE_LEN, r->value_len);
  fl_log_put32(p + FL_LOG_ROFF_CONTRACT, r->contract_version);
  fl_log_put64(p + FL_LOG_ROFF_KEY_HASH, r->key_hash);
  fl_log_put64(p + FL_LOG_ROFF_EVENT_TIME,
               (uint64_t)(r->has_event_time ? r->event_time_ms : FL_LOG_EVENT_TIME_NONE));
  if (r->value_len) memcpy(p + FL_LOG_RECORD_HEADER_BYTES_V2, r->value, r->value_len);
  return p + FL_LOG_RECORD_HEADER_BYTES_V2 + r->value_len;
}

log_append *fl_log_batch_encode(const fl_log_record *recs, uint32_t n, uint64_t raw_payload, int codec,
                                int level, int64_t now_ms) {
  FL_ASSERT(n >= 1 && raw_payload <= FL_LOG_BATCH_PAYLOAD_MAX);
  const unsigned char *stored = NULL;
  size_t stored_len = (size_t)raw_payload;
  uint16_t flags = FL_LOG_COMPRESSION_NONE;
  enc_tls *t = NULL; /* this thread's compression state, when compressing */
  if (codec != FL_LOG_COMPRESSION_NONE && level > 0 && raw_payload >= COMPRESS_MIN_BYTES) {
    t = enc_get();
    grow(&t->raw, &t->raw_cap, (size_t)raw_payload);
    unsigned char *p = t->raw;
    for (uint32_t i = 0; i < n; i++) p = put_record(p, &recs[i]);
    FL_ASSERT((size_t)(p - t->raw) == raw_payload);
    /* stored only if smaller: the output capacity is the raw size minus one */
    grow(&t->z, &t->z_cap, (size_t)raw_payload);
    size_t z = fl_log_codec_compress((uint16_t)codec, level, t->raw, (size_t)raw_payload, t->z,
                                     (size_t)raw_payload - 1);
    if (z) {
      stored = t->z;
      stored_len = z;
      flags = (uint16_t)codec;
    } else {
      stored = t->raw;
    }
  }
  size_t len = FL_LOG_BATCH_HEADER_BYTES + stored_len;
  log_append *a = fl_malloc_try(sizeof *a + len);
  if (!a) {
    enc_trim(t);
    return NULL;
  }
  *a = (log_append){.n = n, .len = len};
  a->bytes = (unsigned char *)(a + 1);
  unsigned char *h = a->bytes, *p = h + FL_LOG_BATCH_HEADER_BYTES;
  memset(h, 0, FL_LOG_BATCH_HEADER_BYTES);
  fl_log_put32(h + FL_LOG_OFF_MAGIC, FL_LOG_BATCH_MAGIC);
  fl_log_put32(h + FL_LOG_OFF_COUNT, n);
  fl_log_put32(h + FL_LOG_OFF_PAYLOAD_LEN, (uint32_t)stored_len);
  fl_log_put64(h + FL_LOG_OFF_TIME, (uint64_t)now_ms);
  fl_log_put16(h + FL_LOG_OFF_VERSION, FL_LOG_BATCH_VERSION);
  fl_log_put16(h + FL_LOG_OFF_FLAGS, flags);
  fl_log_put32(h + FL_LOG_OFF_RAW_LEN, (uint32_t)raw_payload);
  if (stored)
    memcpy(p, stored, stored_len);
  else
    for (uint32_t i = 0; i < n; i++) p = put_record(p, &recs[i]);
  a->payload_crc = fl_crc32c(0, h + FL_LOG_BATCH_HEADER_BYTES, stored_len);
  a->raw_len = FL_LOG_BATCH_HEADER_BYTES + (size_t)raw_payload;
  enc_trim(t);
  return a;
}

const char *fl_log_batch_header_check(const unsigned char *hdr, uint64_t expected_base) {
  if (fl_log_get32(hdr + FL_LOG_OFF_MAGIC) != FL_LOG_BATCH_MAGIC) return "bad magic";
  uint16_t version = fl_log_get16(hdr + FL_LOG_OFF_VERSION);
  uint16_t flags = fl_log_get16(hdr + FL_LOG_OFF_FLAGS);
  uint32_t count = fl_log_get32(hdr + FL_LOG_OFF_COUNT);
  uint32_t len = fl_log_get32(hdr + FL_LOG_OFF_PAYLOAD_LEN);
  uint32_t raw = len, rec_hdr = FL_LOG_RECORD_HEADER_BYTES;
  if (version == FL_LOG_BATCH_VERSION_1) {
    if (flags != 0 || fl_log_get32(hdr + FL_LOG_OFF_RESERVED) != 0) return "unknown flags";
  } else if (version == FL_LOG_BATCH_VERSION) {
    rec_hdr = FL_LOG_RECORD_HEADER_BYTES_V2;
    raw = fl_log_get32(hdr + FL_LOG_OFF_RAW_LEN);
    if (flags & ~FL_LOG_FLAG_COMPRESSION_MASK) return "unknown flags";
    uint16_t comp = flags & FL_LOG_FLAG_COMPRESSION_MASK;
    if (comp == FL_LOG_COMPRESSION_NONE) {
      if (raw != len) return "uncompressed payload length differs from its raw length";
    } else if (comp != FL_LOG_COMPRESSION_ZSTD && comp != FL_LOG_COMPRESSION_LZ4) {
      return "unknown compression";
    }
  } else {
    return "unknown version";
  }
  if (count == 0) return "empty batch";
  if (len > FL_LOG_BATCH_PAYLOAD_MAX || raw > FL_LOG_BATCH_PAYLOAD_MAX)
    return "payload length over the limit";
  if ((uint64_t)count * rec_hdr > raw) return "record count exceeds payload";
  if (fl_log_get64(hdr + FL_LOG_OFF_BASE) != expected_base) return "base offset out of sequence";
  if (expected_base > UINT64_MAX - count) return "offset overflow";
  return NULL;
}

void fl_log_scratch_free(log_scratch *s) {
  fl_free(s->buf);
  fl_free(s->ents);
  *s = (log_scratch){0};
}

/* The records of a raw payload of version v2 (or 1): each must fit and together they
 * must exactly fill raw_len bytes; out (may be NULL) gets their views as they are
 * checked, so a reader's entries cost no second walk over the payload. Inlined
 * twice, once per version, so the loop holds no version test. */
static inline __attribute__((always_inline)) const char *records_walk(const unsigned char *raw,
                                                                      uint32_t raw_len, uint32_t count,
                                                                      bool v2, uint64_t base,
                                                                      int64_t append_ms, fl_log_entry *out) {
  uint32_t rec_hdr = v2 ? FL_LOG_RECORD_HEADER_BYTES_V2 : FL_LOG_RECORD_HEADER_BYTES;
  uint64_t pos = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (raw_len - pos < rec_hdr) return "record header past the payload";
    const unsigned char *r = raw + pos;
    uint32_t vlen = fl_log_get32(r + FL_LOG_ROFF_VALUE_LEN);
    pos += rec_hdr;
    if (vlen > raw_len - pos) return "record value past the payload";
    pos += vlen;
    if (!out) continue;
    fl_log_entry *e = &out[i];
    e->value = r + rec_hdr;
    e->value_len = vlen;
    e->offset = base + i;
    e->append_time_ms = append_ms;
    if (v2) {
      int64_t et = (int64_t)fl_log_get64(r + FL_LOG_ROFF_EVENT_TIME);
      e->contract_version = fl_log_get32(r + FL_LOG_ROFF_CONTRACT);
      e->key_hash = fl_log_get64(r + FL_LOG_ROFF_KEY_HASH);
      e->has_event_time = et != FL_LOG_EVENT_TIME_NONE;
      e->event_time_ms = e->has_event_time ? et : 0;
    } else {
      e->contract_version = 0;
      e->key_hash = 0;
      e->event_time_ms = 0;
      e->has_event_time = false;
    }
  }
  if (pos != raw_len) return "records do not fill the payload";
  return NULL;
}

/* s->ents with room for count entries. Grown only once the batch's CRC and
 * decompression have checked, so a damaged count never sizes an allocation. */
static fl_log_entry *entries_for(log_scratch *s, uint32_t count) {
  if (count > s->ents_cap) {
    uint32_t c = s->ents_cap ? s->ents_cap : 64;
    while (c < count) c *= 2;
    fl_free(s->ents);
    s->ents = fl_malloc((size_t)c * sizeof *s->ents);
    s->ents_cap = c;
  }
  return s->ents;
}

const char *fl_log_batch_body_decode(const unsigned char *hdr, const unsigned char *payload, log_scratch *s,
                                     uint64_t base, bool entries) {
  uint16_t version = fl_log_get16(hdr + FL_LOG_OFF_VERSION);
  uint32_t count = fl_log_get32(hdr + FL_LOG_OFF_COUNT);
  uint32_t len = fl_log_get32(hdr + FL_LOG_OFF_PAYLOAD_LEN);
  uint32_t crc = fl_crc32c(fl_crc32c(0, payload, len), hdr + FL_LOG_OFF_BASE,
                           FL_LOG_BATCH_HEADER_BYTES - FL_LOG_OFF_BASE);
  if (crc != fl_log_get32(hdr + FL_LOG_OFF_CRC)) return "CRC mismatch";
  int64_t append_ms = (int64_t)fl_log_get64(hdr + FL_LOG_OFF_TIME);
  if (version == FL_LOG_BATCH_VERSION_1)
    return records_walk(payload, len, count, false, base, append_ms, entries ? entries_for(s, count) : NULL);
  const unsigned char *raw = payload;
  uint32_t raw_len = fl_log_get32(hdr + FL_LOG_OFF_RAW_LEN);
  uint16_t codec = fl_log_get16(hdr + FL_LOG_OFF_FLAGS) & FL_LOG_FLAG_COMPRESSION_MASK;
  if (codec != FL_LOG_COMPRESSION_NONE) {
    if (raw_len > s->cap) {
      size_t c = s->cap ? s->cap : 64 * 1024;
      while (c < raw_len) c *= 2;
      fl_free(s->buf);
      s->buf = fl_malloc(c);
      s->cap = c;
    }
    const char *why = fl_log_codec_decompress(codec, payload, len, s->buf, raw_len);
    if (why) return why;
    raw = s->buf;
  }
  return records_walk(raw, raw_len, count, true, base, append_ms, entries ? entries_for(s, count) : NULL);
}

const char *fl_log_batch_body_check(const unsigned char *hdr, const unsigned char *payload) {
  log_scratch s = {0};
  const char *why = fl_log_batch_body_decode(hdr, payload, &s, 0, false);
  fl_log_scratch_free(&s);
  return why;
}

void fl_log_stream_compression_set(fl_log_stream *ls, int level) {
  if (level < 0) level = 0;
  if (level > FL_LOG_COMPRESSION_LEVEL_MAX) level = FL_LOG_COMPRESSION_LEVEL_MAX;
  __atomic_store_n(&ls->compression_level, level, __ATOMIC_RELAXED);
}

int fl_log_stream_compression(const fl_log_stream *ls) {
  return __atomic_load_n(&ls->compression_level, __ATOMIC_RELAXED);
}

fl_code fl_log_partition_sizes(fl_log_stream *ls, uint32_t partition, uint64_t *stored, uint64_t *raw,
                               uint64_t batches[FL_LOG_CODECS], fl_err *err) {
  *stored = *raw = 0;
  if (partition >= ls->npartitions)
    return fl_err_set(err, FL_EINVAL, "stream %s: partition %u out of range (0..%u)", ls->name, partition,
                      ls->npartitions - 1);
  log_partition *part = &ls->parts[partition];
  pthread_mutex_lock(&part->mu);
  uint32_t n = part->nsegs;
  uint64_t *bases = fl_malloc((n ? n : 1) * sizeof *bases), *limits = fl_malloc((n ? n : 1) * sizeof *limits);
  for (uint32_t i = 0; i < n; i++) {
    bases[i] = part->segs[i].base;
    limits[i] = part->segs[i].bytes;
  }
  pthread_mutex_unlock(&part->mu);
  fl_code rc = FL_OK;
  for (uint32_t i = 0; i < n && !rc; i++) {
    char *path = fl_log_segment_path(part, bases[i]);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno != ENOENT) rc = fl_err_errno(err, errno, "%s: open segment", path);
      fl_free(path); /* ENOENT: removed by retention meanwhile */
      continue;
    }
    uint64_t pos = 0;
    while (pos + FL_LOG_BATCH_HEADER_BYTES <= limits[i]) {
      unsigned char h[FL_LOG_BATCH_HEADER_BYTES];
      ssize_t got = pread(fd, h, sizeof h, (off_t)pos);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        rc = fl_err_errno(err, errno, "%s: read at byte %" PRIu64, path, pos);
        break;
      }
      if (got != (ssize_t)sizeof h || fl_log_get32(h + FL_LOG_OFF_MAGIC) != FL_LOG_BATCH_MAGIC) {
        rc = fl_err_set(err, FL_ECORRUPT, "stream %s partition %u: %s: no batch header at byte %" PRIu64,
                        ls->name, partition, path, pos);
        break;
      }
      uint32_t len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN);
      bool v2 = fl_log_get16(h + FL_LOG_OFF_VERSION) != FL_LOG_BATCH_VERSION_1;
      *stored += FL_LOG_BATCH_HEADER_BYTES + (uint64_t)len;
      *raw += FL_LOG_BATCH_HEADER_BYTES + (uint64_t)(v2 ? fl_log_get32(h + FL_LOG_OFF_RAW_LEN) : len);
      uint16_t codec = v2 ? fl_log_get16(h + FL_LOG_OFF_FLAGS) & FL_LOG_FLAG_COMPRESSION_MASK : 0;
      if (batches && codec < FL_LOG_CODECS) batches[codec]++;
      pos += FL_LOG_BATCH_HEADER_BYTES + (uint64_t)len;
    }
    close(fd);
    fl_free(path);
  }
  fl_free(bases);
  fl_free(limits);
  return rc;
}
