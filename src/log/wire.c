/* wire: encoding and decoding record batches (layout: log_wire.h), versions 1, 2, 3.
 *
 * Encode (fl_log_batch_encode, on the appending thread): the records go into one v3
 * payload: their heads (value length, contract version, event time, key hash) as an
 * uncompressed block of varints and raw key hashes, then their values concatenated;
 * with compression on (the stream's codec, level > 0, values >= 512 bytes) only the
 * values are compressed (codec.c: zstd or LZ4), and stored compressed only when that
 * is smaller. Why split: the
 * 8-byte key hashes are incompressible, and interleaved with the JSON they slowed
 * zstd -1 down by a quarter (callgrind, bench/log_compress_bench: 4,956 -> 3,753
 * instructions per event to encode, 2,210 -> 1,658 to decode) while the block costs
 * ~12 bytes a record. The values are built in per-thread scratch buffers (a pthread
 * key frees them when the thread exits; the codecs keep their own contexts), so a batch
 * costs exactly one allocation (the queued append: header + stored payload), never one
 * per record. The payload CRC is computed here, over the stored bytes.
 *
 * No zstd frame checksum in v3 (v2 frames carry one, still checked when read): the
 * batch CRC-32C covers every stored byte, written right after compression on the same
 * thread, and the decoder checks the frame's content size, the decompressed size, and
 * that the value lengths exactly fill the values (as Kafka, which checksums the stored
 * batch and not the decompressed records). What the checksum would add is a check of
 * zstd itself (a compressor or decompressor bug, memory corrupted between the two),
 * at XXH64 over every value byte twice: measured +239 instructions per event to encode
 * (+6%) and +239 to decode (+14%). A byte flipped inside the compressed values with
 * the CRC made valid again is caught only when it breaks the frame or the sizes
 * (wire_test).
 *
 * Decode (fl_log_batch_body_decode, readers and the segment scan): CRC over the
 * stored bytes and header, then per version: v1/v2 a compressed payload is
 * decompressed into the caller's scratch (grown, never shrunk: once per batch, at most
 * raw_len <= FL_LOG_BATCH_PAYLOAD_MAX) and the records must exactly fill it; v3 the
 * head block is walked (each varint and the key hash within the block, the heads
 * exactly filling it, the value lengths exactly filling the values), then the values
 * decompressed into the scratch, exactly raw_len - 4 - head_len bytes (or, for a
 * heads-only reader, not at all). The walk that checks the records also fills a
 * reader's entries (views into the values). Every length is bounded before it is
 * trusted: the segment and write-ahead fuzz targets feed arbitrary bytes (with CRCs
 * fixed), including compressed payloads of v2 and v3.
 *
 *   stored payload --CRC--> ok --v1/v2, none--> raw = stored
 *                               --v1/v2, zstd/lz4--> decompress into scratch
 *                                                    (codec.c) == raw_len?
 *                                                   --> raw = scratch
 *                               --v3--> head_len within the payload
 *                                       heads walk (entries) --> values: stored, or
 *                                       decompressed (codec.c) into scratch,
 *                                       exactly values_len?
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

/* The v3 head block of n records (log_wire.h): one contract version for the batch
 * when all records share it, else one per record. */
typedef struct head_plan {
  uint32_t len; /* bytes of the block, head_len (its own 4 bytes not counted) */
  bool per_record_contract;
} head_plan;

/* Whether a record's event time is stored: INT64_MIN is "none" in v2 and reads back
 * as none from v3 too. */
static bool record_has_time(const fl_log_record *r) {
  return r->has_event_time && r->event_time_ms != FL_LOG_EVENT_TIME_NONE;
}

static uint64_t time_delta(int64_t t, int64_t prev) { return fl_log_zigzag((uint64_t)t - (uint64_t)prev); }

static uint64_t len_and_flag(const fl_log_record *r) {
  return (uint64_t)r->value_len << 1 | (record_has_time(r) ? 1 : 0);
}

static head_plan head_plan_of(const fl_log_record *recs, uint32_t n) {
  head_plan hp = {.per_record_contract = false};
  for (uint32_t i = 1; i < n; i++)
    if (recs[i].contract_version != recs[0].contract_version) {
      hp.per_record_contract = true;
      break;
    }
  uint64_t len = 1 + (hp.per_record_contract ? 0 : fl_log_varint_len(recs[0].contract_version));
  int64_t prev = 0;
  for (uint32_t i = 0; i < n; i++) {
    const fl_log_record *r = &recs[i];
    len += fl_log_varint_len(len_and_flag(r)) + 8;
    if (hp.per_record_contract) len += fl_log_varint_len(r->contract_version);
    if (record_has_time(r)) {
      len += fl_log_varint_len(time_delta(r->event_time_ms, prev));
      prev = r->event_time_ms;
    }
  }
  FL_ASSERT(len <= FL_LOG_BATCH_PAYLOAD_MAX);
  hp.len = (uint32_t)len;
  return hp;
}

/* Writes head_len and the head block at p; returns the byte after it. */
static unsigned char *head_put(unsigned char *p, const fl_log_record *recs, uint32_t n, head_plan hp) {
  unsigned char *start = p + 4;
  fl_log_put32(p, hp.len);
  p = start;
  *p++ = hp.per_record_contract ? FL_LOG_V3_HEAD_PER_RECORD_CONTRACT : 0;
  if (!hp.per_record_contract) p = fl_log_put_varint(p, recs[0].contract_version);
  int64_t prev = 0;
  for (uint32_t i = 0; i < n; i++) {
    const fl_log_record *r = &recs[i];
    p = fl_log_put_varint(p, len_and_flag(r));
    if (hp.per_record_contract) p = fl_log_put_varint(p, r->contract_version);
    if (record_has_time(r)) {
      p = fl_log_put_varint(p, time_delta(r->event_time_ms, prev));
      prev = r->event_time_ms;
    }
    fl_log_put64(p, r->key_hash);
    p += 8;
  }
  FL_ASSERT((size_t)(p - start) == hp.len);
  return p;
}

static unsigned char *values_put(unsigned char *p, const fl_log_record *recs, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (recs[i].value_len) memcpy(p, recs[i].value, recs[i].value_len);
    p += recs[i].value_len;
  }
  return p;
}

uint64_t fl_log_batch_payload_max(const fl_log_record *recs, uint32_t n, uint64_t *values) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; i++) v += recs[i].value_len;
  *values = v;
  return FL_LOG_V3_HEAD_FIXED_BYTES + FL_LOG_V3_HEAD_BATCH_MAX + (uint64_t)n * FL_LOG_V3_RECORD_HEAD_MAX + v;
}

uint64_t fl_log_batch_raw_bytes(const fl_log_record *recs, uint32_t n) {
  uint64_t values;
  fl_log_batch_payload_max(recs, n, &values);
  return FL_LOG_BATCH_HEADER_BYTES + 4 + (uint64_t)head_plan_of(recs, n).len + values;
}

log_append *fl_log_batch_encode(const fl_log_record *recs, uint32_t n, uint64_t values_len, int codec,
                                int level, int64_t now_ms) {
  FL_ASSERT(n >= 1 && values_len <= FL_LOG_BATCH_PAYLOAD_MAX);
  head_plan hp = head_plan_of(recs, n);
  uint64_t raw_payload = 4 + (uint64_t)hp.len + values_len;
  FL_ASSERT(raw_payload <= FL_LOG_BATCH_PAYLOAD_MAX);
  const unsigned char *z = NULL; /* the compressed values, when smaller */
  size_t values_stored = (size_t)values_len;
  uint16_t flags = FL_LOG_COMPRESSION_NONE;
  enc_tls *t = NULL; /* this thread's compression state, when compressing */
  if (codec != FL_LOG_COMPRESSION_NONE && level > 0 && values_len >= COMPRESS_MIN_BYTES) {
    t = enc_get();
    grow(&t->raw, &t->raw_cap, (size_t)values_len);
    FL_ASSERT((size_t)(values_put(t->raw, recs, n) - t->raw) == values_len);
    /* stored only if smaller: the output capacity is the values' size minus one */
    grow(&t->z, &t->z_cap, (size_t)values_len);
    size_t zl = fl_log_codec_compress((uint16_t)codec, level, t->raw, (size_t)values_len, t->z,
                                      (size_t)values_len - 1);
    if (zl) {
      z = t->z;
      values_stored = zl;
      flags = (uint16_t)codec;
    }
  }
  size_t stored_len = 4 + hp.len + values_stored;
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
  p = head_put(p, recs, n, hp);
  if (z)
    memcpy(p, z, values_stored);
  else
    values_put(p, recs, n);
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
  uint32_t raw = len;
  uint64_t least = (uint64_t)count * FL_LOG_RECORD_HEADER_BYTES; /* bytes the records need at least */
  if (version == FL_LOG_BATCH_VERSION_1) {
    if (flags != 0 || fl_log_get32(hdr + FL_LOG_OFF_RESERVED) != 0) return "unknown flags";
  } else if (version == FL_LOG_BATCH_VERSION_2 || version == FL_LOG_BATCH_VERSION) {
    raw = fl_log_get32(hdr + FL_LOG_OFF_RAW_LEN);
    if (flags & ~FL_LOG_FLAG_COMPRESSION_MASK) return "unknown flags";
    uint16_t comp = flags & FL_LOG_FLAG_COMPRESSION_MASK;
    if (comp == FL_LOG_COMPRESSION_NONE) {
      if (raw != len) return "uncompressed payload length differs from its raw length";
    } else if (comp != FL_LOG_COMPRESSION_ZSTD && comp != FL_LOG_COMPRESSION_LZ4) {
      return "unknown compression";
    }
    least = version == FL_LOG_BATCH_VERSION_2 ? (uint64_t)count * FL_LOG_RECORD_HEADER_BYTES_V2 : 0;
    /* v3: the record heads are stored uncompressed, so the stored length bounds them */
    if (version == FL_LOG_BATCH_VERSION &&
        FL_LOG_V3_HEAD_FIXED_BYTES + (uint64_t)count * FL_LOG_V3_RECORD_HEAD_MIN > len)
      return "record count exceeds payload";
  } else {
    return "unknown version";
  }
  if (count == 0) return "empty batch";
  if (len > FL_LOG_BATCH_PAYLOAD_MAX || raw > FL_LOG_BATCH_PAYLOAD_MAX)
    return "payload length over the limit";
  if (least > raw) return "record count exceeds payload";
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

/* The record heads of a v3 batch (head: its head block, after head_len): each must
 * fit the block, together they must exactly fill it, and their value lengths exactly
 * fill values_len bytes. out (may be NULL) gets the entries, their values views into
 * `values` (which may still be empty: only pointers are taken; NULL: values NULL). */
static const char *heads_walk(const unsigned char *head, uint32_t head_len, const unsigned char *values,
                              uint64_t values_len, uint32_t count, uint64_t base, int64_t append_ms,
                              fl_log_entry *out) {
  const unsigned char *p = head, *end = head + head_len;
  if (p == end) return "record heads past the head block";
  unsigned char flags = *p++;
  if (flags & ~FL_LOG_V3_HEAD_PER_RECORD_CONTRACT) return "unknown record head flags";
  bool per_record = flags & FL_LOG_V3_HEAD_PER_RECORD_CONTRACT;
  uint64_t cv = 0, pos = 0, t = 0;
  if (!per_record && (!fl_log_get_varint(&p, end, &cv) || cv > UINT32_MAX)) return "bad contract version";
  for (uint32_t i = 0; i < count; i++) {
    uint64_t lf, dt;
    if (!fl_log_get_varint(&p, end, &lf)) return "record head past the head block";
    if (per_record && (!fl_log_get_varint(&p, end, &cv) || cv > UINT32_MAX)) return "bad contract version";
    bool has_time = lf & 1;
    if (has_time) {
      if (!fl_log_get_varint(&p, end, &dt)) return "record head past the head block";
      t += fl_log_unzigzag(dt);
    }
    if (end - p < 8) return "record head past the head block";
    uint64_t key_hash = fl_log_get64(p), vlen = lf >> 1;
    p += 8;
    if (vlen > values_len - pos) return "record value past the payload";
    if (out) {
      fl_log_entry *e = &out[i];
      e->value = values ? values + pos : NULL;
      e->value_len = (uint32_t)vlen;
      e->offset = base + i;
      e->append_time_ms = append_ms;
      e->contract_version = (uint32_t)cv;
      e->key_hash = key_hash;
      e->has_event_time = has_time;
      e->event_time_ms = has_time ? (int64_t)t : 0;
    }
    pos += vlen;
  }
  if (p != end) return "record heads do not fill the head block";
  if (pos != values_len) return "records do not fill the payload";
  return NULL;
}

/* s->ents with room for count entries. Grown only once the batch's header and CRC
 * have checked (count <= payload bytes / 4), so a damaged count never sizes an
 * allocation. */
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

/* s->buf with room for want bytes (<= FL_LOG_BATCH_PAYLOAD_MAX). */
static unsigned char *scratch_for(log_scratch *s, uint64_t want) {
  FL_ASSERT(want <= FL_LOG_BATCH_PAYLOAD_MAX);
  if (want > s->cap) {
    size_t c = s->cap ? s->cap : 64 * 1024;
    while (c < want) c *= 2;
    fl_free(s->buf);
    s->buf = fl_malloc(c);
    s->cap = c;
  }
  return s->buf;
}

/* A v3 payload (header checked, CRC checked): the head block walked (entries filled
 * when out), the values decompressed into s->buf when compressed and values_wanted
 * (else the entries' values are NULL and the frame unchecked). */
static const char *v3_decode(const unsigned char *payload, uint32_t len, uint32_t raw_len, uint32_t count,
                             uint16_t codec, bool values_wanted, log_scratch *s, uint64_t base,
                             int64_t append_ms, fl_log_entry *out) {
  uint32_t head_len = fl_log_get32(payload); /* len >= 5: fl_log_batch_header_check */
  if (head_len > len - 4 || 4 + (uint64_t)head_len > raw_len) return "head block past the payload";
  uint64_t values_len = (uint64_t)raw_len - 4 - head_len;
  const unsigned char *stored = payload + 4 + head_len;
  size_t stored_len = (size_t)len - 4 - head_len;
  bool compressed = codec != FL_LOG_COMPRESSION_NONE;
  unsigned char *values = !compressed     ? (unsigned char *)stored
                          : values_wanted ? scratch_for(s, values_len)
                                          : NULL;
  const char *why = heads_walk(payload + 4, head_len, values, values_len, count, base, append_ms, out);
  if (why || !values_wanted || !compressed) return why;
  return fl_log_codec_decompress(codec, stored, stored_len, values, (size_t)values_len);
}

const char *fl_log_batch_body_decode(const unsigned char *hdr, const unsigned char *payload, log_scratch *s,
                                     uint64_t base, bool entries, bool values) {
  uint16_t version = fl_log_get16(hdr + FL_LOG_OFF_VERSION);
  uint32_t count = fl_log_get32(hdr + FL_LOG_OFF_COUNT);
  uint32_t len = fl_log_get32(hdr + FL_LOG_OFF_PAYLOAD_LEN);
  uint32_t crc = fl_crc32c(fl_crc32c(0, payload, len), hdr + FL_LOG_OFF_BASE,
                           FL_LOG_BATCH_HEADER_BYTES - FL_LOG_OFF_BASE);
  if (crc != fl_log_get32(hdr + FL_LOG_OFF_CRC)) return "CRC mismatch";
  int64_t append_ms = (int64_t)fl_log_get64(hdr + FL_LOG_OFF_TIME);
  fl_log_entry *out = entries ? entries_for(s, count) : NULL;
  if (version == FL_LOG_BATCH_VERSION_1)
    return records_walk(payload, len, count, false, base, append_ms, out);
  uint32_t raw_len = fl_log_get32(hdr + FL_LOG_OFF_RAW_LEN);
  uint16_t codec = fl_log_get16(hdr + FL_LOG_OFF_FLAGS) & FL_LOG_FLAG_COMPRESSION_MASK;
  if (version == FL_LOG_BATCH_VERSION)
    return v3_decode(payload, len, raw_len, count, codec, values, s, base, append_ms, out);
  const unsigned char *raw = payload;
  if (codec != FL_LOG_COMPRESSION_NONE) {
    const char *why = fl_log_codec_decompress(codec, payload, len, scratch_for(s, raw_len), raw_len);
    if (why) return why;
    raw = s->buf;
  }
  return records_walk(raw, raw_len, count, true, base, append_ms, out);
}

const char *fl_log_batch_body_check(const unsigned char *hdr, const unsigned char *payload) {
  log_scratch s = {0};
  const char *why = fl_log_batch_body_decode(hdr, payload, &s, 0, false, true);
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
