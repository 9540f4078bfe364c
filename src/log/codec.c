/* codec: zstd and LZ4 for the payloads of log batches (table: codec.h).
 *
 * Why two: the log is a short-lived buffer before bronze, read once or twice, so the
 * CPU of the appending thread (the server's event loop) and of the stream job's
 * reader can matter more than the bytes. On a 1,000-event body of `floe gen orders`
 * lines, zstd -1 compresses 9.3x and LZ4 5.2x, but LZ4 compresses ~1.6x and
 * decompresses ~3x faster (lz4 -b1 / zstd -b1; floe's figures: src/log/README.md).
 *
 * zstd: one frame with its content size (checked against raw_len before anything is
 * written) and its checksum (XXH64 of the output: what the decompressor made of
 * CRC-valid bytes). LZ4: a bare block; LZ4_decompress_safe never reads past the n
 * stored bytes nor writes past raw_len, fails on a block that does not end exactly
 * at n, and the result must be exactly raw_len bytes. A block has no checksum of its
 * own: decoding is deterministic, so bytes whose batch CRC holds decode to what the
 * writer compressed.
 *
 * Per-thread state (one allocation per thread and codec, freed at thread exit): the
 * ZSTD_CCtx with the level it was set to, a ZSTD_DCtx, an LZ4 state
 * (LZ4_compress_fast_extState resets it per call: ~16 KiB of memset, against a batch
 * of ~60-250 KiB). */
#include <lz4.h>
#include <pthread.h>
#include <string.h>
#include <zstd.h>

#include "core/err.h"
#include "core/mem.h"
#include "log/codec.h"
#include "log/log.h"
#include "log/log_int.h"
#include "log/log_wire.h"

/* The public codec names (log.h) are the codes stored on disk. */
_Static_assert((int)FL_LOG_CODEC_NONE == (int)FL_LOG_COMPRESSION_NONE &&
                   (int)FL_LOG_CODEC_ZSTD == (int)FL_LOG_COMPRESSION_ZSTD &&
                   (int)FL_LOG_CODEC_LZ4 == (int)FL_LOG_COMPRESSION_LZ4,
               "log.h codecs are log_wire.h's codes");
_Static_assert(FL_LOG_BATCH_PAYLOAD_MAX <= LZ4_MAX_INPUT_SIZE, "a payload fits one LZ4 block");

typedef struct codec_tls {
  ZSTD_CCtx *cctx;
  int zlevel; /* the level cctx is set to (0: none yet) */
  ZSTD_DCtx *dctx;
  void *lz4; /* LZ4_sizeofState() bytes */
} codec_tls;

static pthread_key_t codec_key;
static pthread_once_t codec_once = PTHREAD_ONCE_INIT;

static void codec_tls_free(void *p) {
  codec_tls *t = p;
  if (!t) return;
  ZSTD_freeCCtx(t->cctx);
  ZSTD_freeDCtx(t->dctx);
  fl_free(t->lz4);
  fl_free(t);
}

static void codec_key_init(void) { FL_ASSERT(pthread_key_create(&codec_key, codec_tls_free) == 0); }

static codec_tls *codec_get(void) {
  pthread_once(&codec_once, codec_key_init);
  codec_tls *t = pthread_getspecific(codec_key);
  if (!t) {
    t = fl_calloc(1, sizeof *t);
    FL_ASSERT(pthread_setspecific(codec_key, t) == 0);
  }
  return t;
}

static size_t zstd_compress(codec_tls *t, int level, const void *src, size_t n, void *dst, size_t cap) {
  if (!t->cctx) {
    t->cctx = ZSTD_createCCtx();
    FL_ASSERT(t->cctx);
    t->zlevel = 0;
  }
  if (t->zlevel != level) {
    ZSTD_CCtx_setParameter(t->cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(t->cctx, ZSTD_c_contentSizeFlag, 1);
    /* no frame checksum: the batch CRC covers the stored bytes, and the decoder checks
     * the sizes (wire.c's head comment says why; v2 frames written before carry one,
     * and zstd still checks it when present) */
    ZSTD_CCtx_setParameter(t->cctx, ZSTD_c_checksumFlag, 0);
    t->zlevel = level;
  }
  size_t z = ZSTD_compress2(t->cctx, dst, cap, src, n);
  if (!ZSTD_isError(z)) return z;
  ZSTD_CCtx_reset(t->cctx, ZSTD_reset_session_only);
  return 0;
}

static size_t lz4_compress(codec_tls *t, int acceleration, const void *src, size_t n, void *dst, size_t cap) {
  if (!t->lz4) t->lz4 = fl_malloc((size_t)LZ4_sizeofState());
  if (cap > (size_t)LZ4_MAX_INPUT_SIZE) cap = (size_t)LZ4_MAX_INPUT_SIZE;
  int z = LZ4_compress_fast_extState(t->lz4, src, dst, (int)n, (int)cap, acceleration);
  return z > 0 ? (size_t)z : 0;
}

size_t fl_log_codec_compress(uint16_t codec, int level, const void *src, size_t n, void *dst, size_t cap) {
  FL_ASSERT(level >= 1 && n <= FL_LOG_BATCH_PAYLOAD_MAX, "codec %u level %d, %zu bytes", codec, level, n);
  codec_tls *t = codec_get();
  if (codec == FL_LOG_COMPRESSION_ZSTD) return zstd_compress(t, level, src, n, dst, cap);
  FL_ASSERT(codec == FL_LOG_COMPRESSION_LZ4, "codec %u", codec);
  return lz4_compress(t, level, src, n, dst, cap);
}

static const char *zstd_decompress(codec_tls *t, const void *src, size_t n, void *dst, size_t raw_len) {
  unsigned long long csize = ZSTD_getFrameContentSize(src, n);
  if (csize == ZSTD_CONTENTSIZE_ERROR || csize != raw_len) return "compressed payload: bad zstd frame";
  if (ZSTD_findFrameCompressedSize(src, n) != n) return "compressed payload: bad zstd frame";
  if (!t->dctx) {
    t->dctx = ZSTD_createDCtx();
    FL_ASSERT(t->dctx);
  }
  size_t got = ZSTD_decompressDCtx(t->dctx, dst, raw_len, src, n);
  if (ZSTD_isError(got) || got != raw_len) return "compressed payload does not decompress";
  return NULL;
}

static const char *lz4_decompress(const void *src, size_t n, void *dst, size_t raw_len) {
  if (n > (size_t)LZ4_MAX_INPUT_SIZE || raw_len > (size_t)LZ4_MAX_INPUT_SIZE)
    return "compressed payload: lz4 block over the limit";
  int got = LZ4_decompress_safe(src, dst, (int)n, (int)raw_len);
  if (got < 0 || (size_t)got != raw_len) return "compressed payload does not decompress (lz4)";
  return NULL;
}

const char *fl_log_codec_decompress(uint16_t codec, const void *src, size_t n, void *dst, size_t raw_len) {
  if (codec == FL_LOG_COMPRESSION_ZSTD) return zstd_decompress(codec_get(), src, n, dst, raw_len);
  FL_ASSERT(codec == FL_LOG_COMPRESSION_LZ4, "codec %u", codec);
  return lz4_decompress(src, n, dst, raw_len);
}

void fl_log_stream_codec_set(fl_log_stream *ls, fl_log_codec codec) {
  FL_ASSERT(codec == FL_LOG_CODEC_NONE || codec == FL_LOG_CODEC_ZSTD || codec == FL_LOG_CODEC_LZ4, "codec %d",
            (int)codec);
  __atomic_store_n(&ls->codec, (int)codec, __ATOMIC_RELAXED);
}

fl_log_codec fl_log_stream_codec(const fl_log_stream *ls) {
  return (fl_log_codec)__atomic_load_n(&ls->codec, __ATOMIC_RELAXED);
}

static const char *const codec_names[] = {
    [FL_LOG_CODEC_NONE] = "none", [FL_LOG_CODEC_ZSTD] = "zstd", [FL_LOG_CODEC_LZ4] = "lz4"};

const char *fl_log_codec_name(fl_log_codec codec) {
  return (unsigned)codec < sizeof codec_names / sizeof *codec_names ? codec_names[codec] : "?";
}

bool fl_log_codec_from_name(const char *name, fl_log_codec *out) {
  for (unsigned i = 0; i < sizeof codec_names / sizeof *codec_names; i++)
    if (!strcmp(name, codec_names[i])) {
      *out = (fl_log_codec)i;
      return true;
    }
  return false;
}
