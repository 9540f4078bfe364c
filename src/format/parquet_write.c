/* parquet_write: floe's Parquet writer (API in parquet.h, on-disk codes in
 * parquet_wire.h, REFERENCE/iceberg_parquet.md §5).
 *
 * Data flow: fl_parquet_writer_write() encodes each batch column at a time into the
 * column's current page (definition levels + values). A full page (~page_bytes, or
 * page_rows values) is compressed and appended, with its Thrift header, to the
 * column's chunk buffer in memory, leaving its page index entry (pgent: location,
 * first row, null count, bounds). When the buffered bytes of all columns pass
 * row_group_bytes, the row group is flushed: for each column its dictionary page (if
 * used), then its data pages, are written to the file; the RowGroup's Thrift bytes
 * are kept for the footer. close() writes the page index (every ColumnIndex, then
 * every OffsetIndex), the footer (FileMetaData, length, PAR1), fdatasyncs and closes.
 *
 * Encoding per column chunk (as parquet-mr, plus a sample and a compressed check):
 *   TRIAL  values go through the dictionary; a near-unique sample of the first
 *          values goes PLAIN at once; at the first page flush the dictionary is kept
 *          (DICT) if dictionary + indices are smaller than PLAIN (fixed-width values
 *          with wide indices: smaller after compression), otherwise the page is
 *          rewritten PLAIN and the chunk stays PLAIN (details at dict_is_hopeless);
 *   DICT   data pages are RLE_DICTIONARY (bit width byte + RLE/bit-packed indices);
 *          when the dictionary would pass dict_bytes_max the page is flushed and the
 *          rest of the chunk is PLAIN (the chunk then lists both encodings);
 *   PLAIN  BOOLEAN and FIXED_LEN_BYTE_ARRAY (DECIMAL wider than 18 digits) always;
 *          everything when dict_bytes_max is 0. An INT32/INT64 page of this mode
 *          is DELTA_BINARY_PACKED when that is smaller (page_values_enc).
 * Codec per column chunk: the file's, unless it shrinks the chunk's first page (and
 * dictionary) by under CODEC_MIN_SAVING_PCT: then UNCOMPRESSED (decide_codec).
 * The dictionary page (PLAIN values) is written first in the chunk at flush time.
 *
 *   chunk on disk:  [PageHeader DICTIONARY_PAGE][dict values]  (if any DICT page)
 *                   [PageHeader DATA_PAGE][body] ...
 *   v1 body:        [u32 LE len][def levels, hybrid bw 1]  (optional columns)
 *                   [values: PLAIN | DELTA_BINARY_PACKED | u8 bit width + hybrid indices]
 *
 * Ownership: the writer owns every buffer; they are sized once and reused across
 * pages and row groups (no allocation per value). zstd contexts are process-wide,
 * cached between compressions of any writer (cctx_take). Batches are borrowed during
 * write(); the schema until close(). Statistics in the file info point into
 * buffers owned by the writer until fl_parquet_writer_free().
 *
 * Entry points: fl_parquet_opts_default, fl_parquet_writer_open/write/bytes/rows/
 * close/free. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <snappy-c.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
/* for ZSTD_getCParams (exported by libzstd.so; its struct unchanged since zstd 1.0) */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "core/fsync.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/mem.h"
#include "format/parquet.h"
#include "format/parquet_int.h"
#include "format/parquet_wire.h"
#include "format/thrift.h"

#ifndef FLOE_VERSION
#define FLOE_VERSION "0.1.0"
#endif

/* Values per page at most: bounds the level and index arrays (64 Ki values keep
 * them in L2) and keeps pages of tiny dictionary indices a reasonable size. */
enum { PAGE_VALUES_MAX = 1 << 16 };
/* Output buffer for the small writes (page headers of dictionaries, the footer):
 * 64 KiB comes from the heap (no mmap and page faults per file); bigger writes
 * (column chunks) go to the kernel directly, without a copy. */
enum { OUT_BUF_BYTES = 64 << 10 };

typedef enum enc_mode { MODE_TRIAL, MODE_DICT, MODE_PLAIN } enc_mode;

/* Bounds of a run of values in the column's logical order. */
typedef struct minmax {
  bool has;
  int64_t imin, imax;       /* BOOLEAN, INT32, INT64 */
  double dmin, dmax;        /* FLOAT, DOUBLE (NaN excluded) */
  fl_i128_store wmin, wmax; /* FIXED_LEN_BYTE_ARRAY (wide DECIMAL) */
  fl_buf smin, smax;        /* BYTE_ARRAY, uuid, fixed */
} minmax;

/* One data page of the chunk being built: its OffsetIndex PageLocation (offset in the
 * chunk's buffer until the chunk is written) and ColumnIndex entry. */
typedef struct pgent {
  uint64_t offset, first_row, null_count;
  uint32_t bytes;                /* header + compressed body */
  uint32_t min_at, min_n, max_n; /* bounds in pbounds: min at min_at, max after it */
  bool null_page;
} pgent;

typedef struct colw {
  const fl_field *field;
  char *name; /* the Parquet column name: field name, Avro-sanitized */
  uint8_t phys;
  uint8_t width;       /* PLAIN bytes of a fixed-width value; 0 BYTE_ARRAY/BOOLEAN/FLBA */
  uint32_t flba_width; /* FIXED_LEN_BYTE_ARRAY: bytes per value */
  bool optional;
  enc_mode mode;
  uint8_t *unique_hint; /* opts.unique_hint[c], or NULL */

  /* the page being built */
  uint32_t page_values; /* including nulls */
  uint32_t page_nulls;
  uint8_t *levels; /* definition levels (optional columns), page_cap of them */
  fl_buf plain;    /* PLAIN values (BOOLEAN: one byte each, packed at flush) */
  uint32_t *idx;   /* dictionary indices, page_cap of them */
  uint32_t nidx;
  uint32_t page_cap;         /* grows to PAGE_VALUES_MAX: wide tables stay small */
  uint64_t page_plain_bytes; /* size of the page's values if PLAIN (TRIAL decision) */

  /* the chunk's dictionary */
  fl_buf dict;       /* PLAIN values = the dictionary page body */
  uint64_t *ent_key; /* fixed: value bits; BYTE_ARRAY: offset of the length in dict */
  uint64_t *ent_hash;
  uint32_t *ent_page; /* BYTE_ARRAY: the last page_no whose bounds saw the entry */
  uint32_t page_no;   /* numbers the pages of the writer (from 1): an entry is compared
                         with the page's bounds once, at its first value in the page */
  uint32_t ndict, ent_cap;
  uint32_t *slots; /* entry + 1 (0 empty); open addressing, linear probing,
                      load <= 1/2; 4 bytes a slot keep the table in cache */
  uint32_t slot_mask;
  bool slots_dirty; /* emptied (dict_reset) but not yet zeroed: done before its next use,
                       so a chunk abandoned or the file's last one costs no clearing */

  /* the chunk */
  fl_buf chunk;          /* data pages: headers + compressed bodies */
  uint64_t chunk_uncomp; /* the same, uncompressed sizes */
  uint32_t dict_pages, plain_pages, delta_pages;
  fl_codec codec; /* the chunk's codec: opts.codec, or NONE (CODEC_MIN_SAVING_PCT) */
  bool codec_set; /* decided (at the chunk's first page) */
  uint64_t chunk_values, chunk_nulls, nan_count;
  minmax pg, ck; /* bounds of the open page, and of the chunk's flushed pages */
  /* the chunk's page index (PageIndex.md), one entry per data page */
  pgent *pages;
  uint32_t npages, pages_cap;
  fl_buf pbounds; /* the pages' min then max statistics bytes, one after another */

  /* whole file */
  fl_buf fmin_s, fmax_s;
} colw;

typedef struct rgrec {
  uint64_t uncomp, rows, off, comp;
} rgrec;

/* A written column chunk: its ColumnMetaData in rg_meta, its indexes in ci and oi
 * (ci_len 0: no ColumnIndex). */
typedef struct ccrec {
  size_t cm_at, cm_len, ci_at, oi_at;
  uint32_t ci_len, oi_len;
} ccrec;

struct fl_parquet_writer {
  char *path;
  int fd;
  bool closed;
  const fl_schema *schema;
  fl_parquet_opts opts;
  char **kv_strs; /* copies of opts.kv: key, value, key, value ... */
  colw *cols;
  uint32_t ncols;
  uint64_t rg_rows, total_rows;

  uint8_t *out; /* OUT_BUF_BYTES */
  size_t out_len;
  uint64_t file_off; /* bytes written so far (through out) */

  fl_buf body, comp, hdr, cc;
  fl_buf body_alt, comp_alt; /* the other encoding of a TRIAL page (decide_compressed) */
  fl_buf delta, delta_alt;   /* DELTA_BINARY_PACKED values of the page (and of its TRIAL rival) */
  fl_buf scratch;            /* the dictionary compressed, for the codec decision */
  void *dense;               /* gathered non-null values of a range, 8 bytes each */
  uint32_t dense_cap;

  /* what the footer's RowGroups say, kept until close (the page index offsets in each
     ColumnChunk are known only once every row group is written) */
  fl_buf rg_meta; /* the ColumnMetaData structs, encoded, one after another */
  fl_buf ci, oi;  /* every chunk's ColumnIndex / OffsetIndex, written before the footer */
  rgrec *rgs;
  ccrec *ccs;
  uint32_t nrg, rg_cap, ncc, cc_cap;
  uint64_t *rg_offsets;
  fl_buf sb;          /* a page's statistics bytes */
  uint32_t page_rows; /* rows a page holds at most: opts.page_rows, <= PAGE_VALUES_MAX */
  fl_column_stats *stats;
  fl_parquet_file_info info;
};

void fl_parquet_opts_default(fl_parquet_opts *opts) {
  memset(opts, 0, sizeof *opts);
  opts->codec = FL_CODEC_ZSTD;
  opts->zstd_level = 3;
  opts->row_group_bytes = FL_PARQUET_ROW_GROUP_BYTES;
  opts->page_bytes = FL_PARQUET_PAGE_BYTES;
  opts->page_rows = FL_PARQUET_PAGE_ROWS;
  opts->dict_bytes_max = FL_PARQUET_DICT_BYTES_MAX;
}

/* ---- output ---- */

static fl_code write_all(fl_parquet_writer *pw, const uint8_t *p, size_t n, fl_err *err) {
  while (n) {
    ssize_t w = write(pw->fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fl_err_errno(err, errno, "%s: write", pw->path);
    }
    p += w;
    n -= (size_t)w;
  }
  return FL_OK;
}

static fl_code out_flush(fl_parquet_writer *pw, fl_err *err) {
  fl_code rc = write_all(pw, pw->out, pw->out_len, err);
  pw->out_len = 0;
  return rc;
}

static fl_code out_write(fl_parquet_writer *pw, const void *p, size_t n, fl_err *err) {
  fl_code rc;
  if (!n) return FL_OK; /* p may be NULL (an empty file's page index) */
  pw->file_off += n;
  if (n >= OUT_BUF_BYTES / 2) {
    if (pw->out_len && (rc = out_flush(pw, err))) return rc;
    return write_all(pw, p, n, err);
  }
  if (pw->out_len + n > OUT_BUF_BYTES && (rc = out_flush(pw, err))) return rc;
  memcpy(pw->out + pw->out_len, p, n);
  pw->out_len += n;
  return FL_OK;
}

/* ---- RLE / bit-packed hybrid encoder ---- */

static void emit_rle(fl_buf *out, uint32_t value, uint32_t count, unsigned bw) {
  fl_buf_put_uvarint(out, (uint64_t)count << 1);
  for (unsigned b = 0; b < (bw + 7) / 8; b++) fl_buf_put_u8(out, (uint8_t)(value >> (8 * b)));
}

/* count values, padded with zeros to whole groups of 8 (only the last run of a
 * stream may be padded: the reader knows the value count). */
#define DEFINE_EMIT_PACKED(NAME, T)                                        \
  static void NAME(fl_buf *out, const T *v, uint32_t count, unsigned bw) { \
    if (!count) return;                                                    \
    uint32_t groups = (count + 7) / 8;                                     \
    fl_buf_put_uvarint(out, (uint64_t)groups << 1 | 1);                    \
    fl_buf_reserve(out, (size_t)groups *bw + 8);                           \
    uint8_t *o = out->data + out->len;                                     \
    uint64_t acc = 0;                                                      \
    unsigned nb = 0;                                                       \
    for (uint32_t i = 0; i < groups * 8; i++) {                            \
      uint64_t x = i < count ? (uint64_t)v[i] : 0;                         \
      acc |= x << nb;                                                      \
      nb += bw;                                                            \
      while (nb >= 8) {                                                    \
        *o++ = (uint8_t)acc;                                               \
        acc >>= 8;                                                         \
        nb -= 8;                                                           \
      }                                                                    \
    }                                                                      \
    out->len += (size_t)groups * bw;                                       \
  }

/* Runs of 8 or more equal values become RLE runs; the rest is bit-packed in groups
 * of 8 (a bit-packed run before an RLE run is filled to a whole group first). */
#define DEFINE_HYBRID(NAME, EMIT_PACKED, T)                            \
  static void NAME(fl_buf *out, const T *v, uint32_t n, unsigned bw) { \
    uint32_t i = 0, pend = 0;                                          \
    while (i < n) {                                                    \
      T x = v[i];                                                      \
      uint32_t j = i + 1;                                              \
      while (j < n && v[j] == x) j++;                                  \
      if (j - i >= 8) {                                                \
        uint32_t odd = (i - pend) % 8;                                 \
        if (odd) i += 8 - odd;                                         \
        if (j - i >= 8) {                                              \
          EMIT_PACKED(out, v + pend, i - pend, bw);                    \
          emit_rle(out, (uint32_t)x, j - i, bw);                       \
          pend = j;                                                    \
        }                                                              \
      }                                                                \
      i = j;                                                           \
    }                                                                  \
    EMIT_PACKED(out, v + pend, n - pend, bw);                          \
  }

DEFINE_EMIT_PACKED(emit_packed8_any, uint8_t)
DEFINE_EMIT_PACKED(emit_packed32, uint32_t)

/* Eight bytes of 0 or 1 (v[0] lowest) as the bits of one byte: the multiplier moves
 * byte k's bit to bit 56 + k, and no two of its partial products share a bit. */
static inline uint8_t pack8_bits(const uint8_t *v) {
  uint64_t x;
  memcpy(&x, v, 8);
  return (uint8_t)((x * 0x0102040810204080ULL) >> 56);
}

/* emit_packed8_any, a byte per 8 definition levels (bit width 1) at a time. */
static void emit_packed8(fl_buf *out, const uint8_t *v, uint32_t count, unsigned bw) {
  if (bw != 1) {
    emit_packed8_any(out, v, count, bw);
    return;
  }
  if (!count) return;
  uint32_t groups = (count + 7) / 8;
  fl_buf_put_uvarint(out, (uint64_t)groups << 1 | 1);
  fl_buf_reserve(out, groups);
  uint8_t *o = out->data + out->len;
  uint32_t full = count / 8;
  for (uint32_t g = 0; g < full; g++) o[g] = pack8_bits(v + 8 * (size_t)g);
  if (count % 8) {
    uint8_t tail[8] = {0};
    memcpy(tail, v + 8 * (size_t)full, count % 8);
    o[full] = pack8_bits(tail);
  }
  out->len += groups;
}

/* End of the run of v[i]'s value from i (v of 0/1 levels): 8 at a time while whole
 * words match. */
static inline uint32_t run_end_u8(const uint8_t *v, uint32_t i, uint32_t n) {
  uint8_t x = v[i];
  uint64_t word = x * 0x0101010101010101ULL;
  uint32_t j = i + 1;
  while (j + 8 <= n) {
    uint64_t y;
    memcpy(&y, v + j, 8);
    if (y != word) break;
    j += 8;
  }
  while (j < n && v[j] == x) j++;
  return j;
}

/* DEFINE_HYBRID for definition levels, with run_end_u8 (the same runs, the same bytes). */
static void hybrid_u8(fl_buf *out, const uint8_t *v, uint32_t n, unsigned bw) {
  uint32_t i = 0, pend = 0;
  while (i < n) {
    uint32_t j = run_end_u8(v, i, n);
    if (j - i >= 8) {
      uint32_t odd = (i - pend) % 8;
      if (odd) i += 8 - odd;
      if (j - i >= 8) {
        emit_packed8(out, v + pend, i - pend, bw);
        emit_rle(out, v[i], j - i, bw);
        pend = j;
      }
    }
    i = j;
  }
  emit_packed8(out, v + pend, n - pend, bw);
}

DEFINE_HYBRID(hybrid_u32, emit_packed32, uint32_t)

/* ---- dictionary ---- */

static inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static void dict_reset(colw *col) {
  col->ndict = 0;
  fl_buf_clear(&col->dict);
  col->slots_dirty = col->slots != NULL;
}

static void dict_ready(colw *col) {
  if (!col->slots_dirty) return;
  memset(col->slots, 0, ((size_t)col->slot_mask + 1) * sizeof *col->slots);
  col->slots_dirty = false;
}

/* The dictionary's hash of a string: up to 16 bytes (ids, tenants, codes, event
 * types) from two overlapping loads, mixed inline; longer ones by fl_hash64. Only
 * this table sees it. */
static inline uint64_t str_hash(const char *p, uint32_t n) {
  uint64_t a, b;
  if (n >= 8) {
    if (n > 16) return fl_hash64(p, n);
    memcpy(&a, p, 8);
    memcpy(&b, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t x, y;
    memcpy(&x, p, 4);
    memcpy(&y, p + n - 4, 4);
    a = x;
    b = y;
  } else {
    const uint8_t *u = (const uint8_t *)p;
    a = n ? (uint64_t)u[0] | (uint64_t)u[n / 2] << 8 | (uint64_t)u[n - 1] << 16 : 0;
    b = 0;
  }
  return mix64(a ^ mix64(b ^ ((uint64_t)n << 56)));
}

/* n bytes at a equal those at b; inline up to 16 bytes, as str_hash. */
static inline bool bytes_eq(const uint8_t *a, const char *b, uint32_t n) {
  if (n > 16) return memcmp(a, b, n) == 0;
  if (n >= 8) {
    uint64_t x0, x1, y0, y1;
    memcpy(&x0, a, 8);
    memcpy(&y0, b, 8);
    memcpy(&x1, a + n - 8, 8);
    memcpy(&y1, b + n - 8, 8);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n >= 4) {
    uint32_t x0, x1, y0, y1;
    memcpy(&x0, a, 4);
    memcpy(&y0, b, 4);
    memcpy(&x1, a + n - 4, 4);
    memcpy(&y1, b + n - 4, 4);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  for (uint32_t i = 0; i < n; i++)
    if (a[i] != (uint8_t)b[i]) return false;
  return true;
}

/* The hash table starts small (a few KiB per column: most columns of a file either
 * have few distinct values or are abandoned after the sample) and on its first
 * growth jumps to the size the TRIAL sample fills (DICT_ENTRIES_SAMPLE entries at load
 * 1/2 or less), then doubles: a near-unique column's sample is not rehashed at every
 * doubling (at 256 slots and 1,418-row partition files that was 7% of the orders
 * write). It is kept across row groups, so a later chunk starts at the size the
 * first one reached. */
enum {
  DICT_SLOTS_MIN = 512, /* TRIAL_HINT_SAMPLE (128) entries fit without a growth */
  DICT_ENTRIES_MIN = 256,
  DICT_ENTRIES_SAMPLE = 2048, /* > TRIAL_SAMPLE (1024, below): the sample fits */
};

static void dict_alloc(colw *col) {
  FL_ASSERT(!col->slots);
  col->slot_mask = DICT_SLOTS_MIN - 1;
  col->slots = fl_calloc(DICT_SLOTS_MIN, sizeof *col->slots);
  col->ent_cap = DICT_ENTRIES_MIN;
  col->ent_key = fl_malloc(col->ent_cap * sizeof *col->ent_key);
  col->ent_hash = fl_malloc(col->ent_cap * sizeof *col->ent_hash);
  if (col->phys == FL_PQ_BYTE_ARRAY) col->ent_page = fl_malloc(col->ent_cap * sizeof *col->ent_page);
}

static inline bool dict_full(const colw *col) {
  return col->ndict == col->ent_cap || (uint64_t)(col->ndict + 1) * 2 > (uint64_t)col->slot_mask + 1;
}

static void dict_grow(colw *col) {
  if (col->ndict == col->ent_cap) {
    col->ent_cap = col->ent_cap < DICT_ENTRIES_SAMPLE ? DICT_ENTRIES_SAMPLE : col->ent_cap * 2;
    col->ent_key = fl_realloc(col->ent_key, col->ent_cap * sizeof *col->ent_key);
    col->ent_hash = fl_realloc(col->ent_hash, col->ent_cap * sizeof *col->ent_hash);
    if (col->ent_page) col->ent_page = fl_realloc(col->ent_page, col->ent_cap * sizeof *col->ent_page);
  }
  if ((uint64_t)(col->ndict + 1) * 2 > (uint64_t)col->slot_mask + 1) {
    uint32_t nslots = (col->slot_mask + 1) * 2;
    if (nslots < 2 * DICT_ENTRIES_SAMPLE) nslots = 2 * DICT_ENTRIES_SAMPLE;
    fl_free(col->slots);
    col->slots = fl_calloc(nslots, sizeof *col->slots);
    col->slot_mask = nslots - 1;
    for (uint32_t e = 0; e < col->ndict; e++) {
      uint32_t s = (uint32_t)col->ent_hash[e] & col->slot_mask;
      while (col->slots[s]) s = (s + 1) & col->slot_mask;
      col->slots[s] = e + 1;
    }
  }
}

/* Index of the fixed-width value with bits key; UINT32_MAX if adding it would pass
 * dict_bytes_max. */
static inline uint32_t dict_find_fixed(colw *col, uint64_t key, uint32_t dict_max) {
  uint64_t h = mix64(key);
  uint32_t s = (uint32_t)h & col->slot_mask;
  for (;;) {
    uint32_t e = col->slots[s];
    if (!e) break;
    if (col->ent_key[e - 1] == key) return e - 1;
    s = (s + 1) & col->slot_mask;
  }
  if (col->dict.len + col->width > dict_max) return UINT32_MAX;
  fl_buf_append(&col->dict, &key, col->width);
  uint32_t e = col->ndict++;
  col->ent_key[e] = key;
  col->ent_hash[e] = h;
  col->slots[s] = e + 1;
  if (dict_full(col)) dict_grow(col);
  return e;
}

static inline uint32_t dict_find_str(colw *col, const char *p, uint32_t n, uint32_t dict_max) {
  uint64_t h = str_hash(p, n);
  uint32_t s = (uint32_t)h & col->slot_mask;
  for (;;) {
    uint32_t e = col->slots[s];
    if (!e) break;
    if (col->ent_hash[e - 1] == h) {
      const uint8_t *q = col->dict.data + col->ent_key[e - 1];
      if (fl_le32(q) == n && bytes_eq(q + 4, p, n)) return e - 1;
    }
    s = (s + 1) & col->slot_mask;
  }
  if (col->dict.len + 4 + n > dict_max) return UINT32_MAX;
  uint32_t e = col->ndict++;
  col->ent_key[e] = col->dict.len;
  col->ent_hash[e] = h;
  col->ent_page[e] = 0;
  if (col->dict.cap - col->dict.len < 4 + (size_t)n) fl_buf_reserve(&col->dict, 4 + (size_t)n);
  uint8_t *o = col->dict.data + col->dict.len;
  memcpy(o, &n, 4);
  memcpy(o + 4, p, n);
  col->dict.len += 4 + (size_t)n;
  col->slots[s] = e + 1;
  if (dict_full(col)) dict_grow(col);
  return e;
}

static unsigned dict_bit_width(const colw *col) { return fl_pq_bit_width(col->ndict ? col->ndict - 1 : 0); }

/* The TRIAL decision (the chunk's first page), in three steps, each measured on the
 * orders benchmark (bench/RESULTS.md):
 *  1. early, on a sample: ids, event times and random amounts are near-unique, and
 *     hashing every value of their first page just to learn that cost a third of
 *     the write. After TRIAL_SAMPLE values with under 1/64 repeats (> 98.4% distinct:
 *     the sample's repeats estimate the distinct count D ~ n^2 / (2 * repeats), here
 *     > ~33,000) or after TRIAL_EARLY_VALUES with under 1/20 repeats, go PLAIN;
 *  2. at the first page flush, dictionary + bit-packed indices against PLAIN, both
 *     uncompressed: the dictionary loses -> PLAIN (the dictionary must then pay
 *     for itself before compression too);
 *  3. fixed-width values only: when it wins uncompressed with indices of
 *     DICT_CHECK_BW bits or more and the chunk is compressed, compress both
 *     (dictionary page + index page against the PLAIN page) and keep the smaller:
 *     bit-packed indices are incompressible while the codec squeezes PLAIN values
 *     with zero high bytes, so e.g. 20,000 random INT values in a 70,000-row file
 *     are ~6% smaller PLAIN (the same values as BIGINT still favour the
 *     dictionary). Narrow indices (few distinct values) always win, so they skip
 *     the second compression. Strings keep step 2's answer: the orders strings are
 *     either few-valued or unique, and tests/interop/0003 relies on a string
 *     dictionary that overflows mid-chunk. */
enum { TRIAL_SAMPLE = 1024, TRIAL_EARLY_VALUES = 4096, DICT_CHECK_BW = 8, DICT_PAGE_HEADER_EST = 16 };
/* Step 0, with fl_parquet_opts.unique_hint: a column the task's last file found
 * near-unique (step 1) goes PLAIN after TRIAL_HINT_SAMPLE values without a repeat
 * (D > ~8,000 likely): files of a partitioned table are small (1,418 rows in the
 * orders benchmark), so step 1's sample was most of each file's ids and times,
 * hashed once per file. A repeat in the short sample falls back to steps 1-3. */
enum { TRIAL_HINT_SAMPLE = 128 };

static bool dict_hinted_unique(const colw *col) { return col->unique_hint && *col->unique_hint; }

static bool dict_is_hopeless(const colw *col) {
  if (dict_hinted_unique(col) && col->nidx >= TRIAL_HINT_SAMPLE && col->nidx < TRIAL_SAMPLE &&
      col->ndict == col->nidx)
    return true;
  if (col->nidx < TRIAL_SAMPLE) return false;
  uint64_t repeats = col->nidx - col->ndict;
  if (col->nidx < TRIAL_EARLY_VALUES) return repeats * 64 < col->nidx;
  return repeats * 20 < col->nidx;
}

static bool dict_is_losing(const colw *col) {
  uint64_t cost = col->dict.len + 1 + (uint64_t)col->nidx * dict_bit_width(col) / 8;
  return cost >= col->page_plain_bytes;
}

/* The page's dictionary indices as PLAIN values in col->plain (the dictionary kept). */
static void dict_to_plain(colw *col) {
  fl_buf_clear(&col->plain);
  if (col->phys == FL_PQ_BYTE_ARRAY) {
    fl_buf_reserve(&col->plain, col->page_plain_bytes);
    for (uint32_t j = 0; j < col->nidx; j++) {
      const uint8_t *q = col->dict.data + col->ent_key[col->idx[j]];
      fl_buf_append(&col->plain, q, 4 + (size_t)fl_le32(q));
    }
    return;
  }
  fl_buf_reserve(&col->plain, (size_t)col->nidx * col->width);
  uint8_t *o = col->plain.data;
  if (col->width == 4) {
    for (uint32_t j = 0; j < col->nidx; j++) {
      uint32_t v = (uint32_t)col->ent_key[col->idx[j]];
      memcpy(o + 4 * (size_t)j, &v, 4);
    }
  } else {
    for (uint32_t j = 0; j < col->nidx; j++) memcpy(o + 8 * (size_t)j, &col->ent_key[col->idx[j]], 8);
  }
  col->plain.len = (size_t)col->nidx * col->width;
}

/* Rewrites the page's dictionary indices as PLAIN values and leaves the chunk PLAIN. */
static void dict_abandon(colw *col) {
  FL_ASSERT(col->mode == MODE_TRIAL && col->dict_pages == 0);
  dict_to_plain(col);
  col->nidx = 0;
  col->mode = MODE_PLAIN;
  dict_reset(col);
}

/* ---- DELTA_BINARY_PACKED encoder (parquet-format Encodings.md) ----
 *
 *   header:  uvarint block size (128), uvarint miniblocks per block (4),
 *            uvarint value count, zigzag varint first value
 *   block:   zigzag varint min delta, 4 bit width bytes, then each miniblock that
 *            holds values: 32 values (delta - min delta) bit-packed LSB first in
 *            4 * bit width bytes (the last one padded with zeros; the widths of
 *            miniblocks without values are 0 and have no bytes).
 * Deltas wrap in the value's width (INT32 deltas in 32 bits, so no width passes 32;
 * INT64 in 64), as the spec requires. */
enum { DELTA_BLOCK = 128, DELTA_MINIS = 4, DELTA_MINI = 32 };

static inline uint64_t zigzag64(int64_t x) { return ((uint64_t)x << 1) ^ (uint64_t)(x >> 63); }

/* 32 values of bw bits (each below 2^bw) into 4 * bw bytes at o. */
static void pack32(uint8_t *o, const uint64_t *v, unsigned bw) {
  if (!bw) return;
  uint64_t acc = 0;
  unsigned nb = 0;
  for (unsigned i = 0; i < DELTA_MINI; i++) {
    uint64_t x = v[i];
    acc |= x << nb;
    nb += bw;
    if (nb >= 64) {
      memcpy(o, &acc, 8);
      o += 8;
      nb -= 64;
      acc = nb ? x >> (bw - nb) : 0;
    }
  }
  memcpy(o, &acc, nb / 8); /* 32 * bw bits leave 0 or 32 */
}

/* One block of m (1..128) deltas d (wrapped, sign-extended from the value's width;
 * mask: the width's bits). */
static void delta_block(fl_buf *out, const int64_t *d, uint32_t m, uint64_t mask) {
  int64_t min = d[0];
  for (uint32_t i = 1; i < m; i++) min = d[i] < min ? d[i] : min;
  fl_buf_put_uvarint(out, zigzag64(min));
  uint64_t u[DELTA_BLOCK];
  uint8_t bw[DELTA_MINIS] = {0};
  for (uint32_t i = 0; i < DELTA_BLOCK; i++) u[i] = i < m ? ((uint64_t)d[i] - (uint64_t)min) & mask : 0;
  uint32_t minis = (m + DELTA_MINI - 1) / DELTA_MINI;
  size_t bytes = 0;
  for (uint32_t k = 0; k < minis; k++) {
    uint64_t any = 0;
    for (uint32_t i = 0; i < DELTA_MINI; i++) any |= u[k * DELTA_MINI + i];
    bw[k] = (uint8_t)(any ? 64 - __builtin_clzll(any) : 0);
    bytes += (size_t)bw[k] * DELTA_MINI / 8;
  }
  fl_buf_append(out, bw, DELTA_MINIS);
  fl_buf_reserve(out, bytes + 8);
  for (uint32_t k = 0; k < minis; k++) {
    pack32(out->data + out->len, u + k * DELTA_MINI, bw[k]);
    out->len += (size_t)bw[k] * DELTA_MINI / 8;
  }
}

/* Value i of PLAIN little-endian INT32 (width 4) or INT64 (width 8) values at v. */
static inline int64_t delta_value(const uint8_t *v, uint32_t i, unsigned width) {
  if (width == 4) {
    int32_t x;
    memcpy(&x, v + (size_t)i * 4, 4);
    return x;
  }
  int64_t x;
  memcpy(&x, v + (size_t)i * 8, 8);
  return x;
}

/* n INT32 (width 4) or INT64 (width 8) values, PLAIN little-endian at v, as
 * DELTA_BINARY_PACKED into out (cleared first). */
static void delta_encode(fl_buf *out, const uint8_t *v, uint32_t n, unsigned width) {
  fl_buf_clear(out);
  fl_buf_put_uvarint(out, DELTA_BLOCK);
  fl_buf_put_uvarint(out, DELTA_MINIS);
  fl_buf_put_uvarint(out, n);
  int64_t d[DELTA_BLOCK];
  /* INT32 deltas wrap in 32 bits (no width past 32), INT64 deltas in 64 */
  uint64_t mask = width == 4 ? UINT32_MAX : UINT64_MAX;
  fl_buf_put_uvarint(out, zigzag64(n ? delta_value(v, 0, width) : 0));
  for (uint32_t i = 1; i < n;) {
    uint32_t m = n - i < DELTA_BLOCK ? n - i : DELTA_BLOCK;
    for (uint32_t j = 0; j < m; j++) {
      uint64_t a = (uint64_t)delta_value(v, i + j, width), b = (uint64_t)delta_value(v, i + j - 1, width);
      d[j] = width == 4 ? (int64_t)(int32_t)(uint32_t)(a - b) : (int64_t)(a - b);
    }
    delta_block(out, d, m, mask);
    i += m;
  }
}

/* ---- pages ---- */

/* zstd contexts are shared by every writer of the process: a context allocates (and
 * faults in) its ~1 MiB of tables on first use, which per file was a visible share
 * of writing many small partition files. A compression takes a cached context (or
 * makes one) and puts it back after; lock-free, any thread. Cached contexts live
 * until the process ends. */
enum { CCTX_CACHE = 4 };
static _Atomic(ZSTD_CCtx *) cctx_cache[CCTX_CACHE];

static ZSTD_CCtx *cctx_take(void) {
  for (int i = 0; i < CCTX_CACHE; i++) {
    ZSTD_CCtx *zc = atomic_exchange(&cctx_cache[i], NULL);
    if (zc) return zc;
  }
  ZSTD_CCtx *zc = ZSTD_createCCtx();
  FL_ASSERT(zc, "zstd: out of memory");
  return zc;
}

static void cctx_put(ZSTD_CCtx *zc) {
  for (int i = 0; i < CCTX_CACHE; i++) {
    ZSTD_CCtx *none = NULL;
    if (atomic_compare_exchange_strong(&cctx_cache[i], &none, zc)) return;
  }
  ZSTD_freeCCtx(zc);
}

/* PLAIN pages of 4- and 8-byte values are compressed with zstd's minMatch at least
 * ZSTD_NUM_MIN_MATCH. For inputs up to 256 KiB level 3 picks 4, and 4-byte matches
 * found in ints' zero high bytes cost more than the literals they replace: a page of
 * 65,536 random INT32 values below 20,000 (256 KiB) compresses 4-6% smaller with 5,
 * as level 3 itself does above 256 KiB (the orders benchmark's product_id at 10M
 * rows: 23.6 -> 22.7 MB). Other pages (strings, indices, levels) keep the level's parameters. */
enum { ZSTD_NUM_MIN_MATCH = 5 };

/* Compresses n bytes at p with codec into comp; returns the compressed
 * bytes (p itself when the codec is NONE). numeric: a PLAIN page of fixed-width values. */
static const uint8_t *compress(fl_parquet_writer *pw, fl_codec codec, fl_buf *comp, const uint8_t *p,
                               size_t n, bool numeric, size_t *clen) {
  fl_buf_clear(comp);
  switch (codec) {
    case FL_CODEC_ZSTD: {
      size_t cap = ZSTD_compressBound(n);
      fl_buf_reserve(comp, cap);
      ZSTD_CCtx *zc = cctx_take();
      size_t r;
      if (numeric && ZSTD_getCParams(pw->opts.zstd_level, n, 0).minMatch < ZSTD_NUM_MIN_MATCH) {
        ZSTD_CCtx_reset(zc, ZSTD_reset_session_and_parameters);
        ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, pw->opts.zstd_level);
        ZSTD_CCtx_setParameter(zc, ZSTD_c_minMatch, ZSTD_NUM_MIN_MATCH);
        r = ZSTD_compress2(zc, comp->data, cap, p, n);
      } else {
        r = ZSTD_compressCCtx(zc, comp->data, cap, p, n, pw->opts.zstd_level);
      }
      cctx_put(zc);
      FL_ASSERT(!ZSTD_isError(r), "zstd: %s", ZSTD_getErrorName(r));
      *clen = r;
      return comp->data;
    }
    case FL_CODEC_SNAPPY: {
      size_t cap = snappy_max_compressed_length(n);
      fl_buf_reserve(comp, cap);
      snappy_status st = snappy_compress((const char *)p, n, (char *)comp->data, &cap);
      FL_ASSERT(st == SNAPPY_OK, "snappy_compress: %d", (int)st);
      *clen = cap;
      return comp->data;
    }
    case FL_CODEC_NONE: break;
  }
  *clen = n;
  return p;
}

static uint64_t page_bytes_est(const colw *col) {
  switch (col->mode) {
    case MODE_TRIAL: return col->page_plain_bytes;
    case MODE_DICT: return (uint64_t)col->nidx * dict_bit_width(col) / 8;
    case MODE_PLAIN: break;
  }
  return col->phys == FL_PQ_BOOLEAN ? col->plain.len / 8 : col->plain.len;
}

/* The non-dictionary values of the page: DELTA_BINARY_PACKED (built in delta) for
 * INT32/INT64 when smaller than PLAIN, else PLAIN (col->plain). *is_delta says which. */
static const fl_buf *page_values_enc(colw *col, fl_buf *delta, bool *is_delta) {
  *is_delta = false;
  if (col->phys != FL_PQ_INT32 && col->phys != FL_PQ_INT64) return &col->plain;
  delta_encode(delta, col->plain.data, (uint32_t)(col->plain.len / col->width), col->width);
  if (delta->len >= col->plain.len) return &col->plain;
  *is_delta = true;
  return delta;
}

/* The page's v1 body, uncompressed: levels (optional columns) then the values,
 * dictionary indices or vals (NULL: col->plain), built in body; a required
 * non-dictionary page is vals itself (no copy). */
static const uint8_t *page_body(colw *col, bool dict, const fl_buf *vals, fl_buf *body, size_t *len) {
  if (!vals) vals = &col->plain;
  if (!dict && !col->optional && col->phys != FL_PQ_BOOLEAN) {
    *len = vals->len;
    return vals->data;
  }
  fl_buf_clear(body);
  if (col->optional) {
    fl_buf_put_le32(body, 0);
    if (col->page_nulls == 0)
      emit_rle(body, 1, col->page_values, 1);
    else
      hybrid_u8(body, col->levels, col->page_values, 1);
    uint32_t n = (uint32_t)body->len - 4;
    memcpy(body->data, &n, 4);
  }
  if (dict) {
    unsigned bw = dict_bit_width(col);
    fl_buf_put_u8(body, (uint8_t)bw);
    hybrid_u32(body, col->idx, col->nidx, bw);
  } else if (col->phys == FL_PQ_BOOLEAN) {
    size_t nv = col->plain.len;
    size_t at = body->len;
    fl_buf_reserve(body, (nv + 7) / 8);
    memset(body->data + at, 0, (nv + 7) / 8);
    for (size_t i = 0; i < nv; i++) body->data[at + i / 8] |= (uint8_t)(col->plain.data[i] << (i % 8));
    body->len += (nv + 7) / 8;
  } else {
    fl_buf_append(body, vals->data, vals->len);
  }
  *len = body->len;
  return body->data;
}

/* Step 3 of the TRIAL decision (above dict_is_hopeless): compresses the page both
 * ways and keeps the smaller; *raw and *cp are the winner's body and compressed bytes. */
static void decide_compressed(fl_parquet_writer *pw, colw *col, const uint8_t **raw, size_t *raw_len,
                              const uint8_t **cp, size_t *clen, bool *is_delta) {
  size_t dict_raw_len, dict_clen, dpage_clen, plain_raw_len, plain_clen;
  fl_codec codec = pw->opts.codec;
  const uint8_t *dict_raw = page_body(col, true, NULL, &pw->body, &dict_raw_len);
  const uint8_t *dict_cp = compress(pw, codec, &pw->comp, dict_raw, dict_raw_len, false, &dict_clen);
  compress(pw, codec, &pw->comp_alt, col->dict.data, col->dict.len, col->width > 0, &dpage_clen);
  dict_to_plain(col);
  bool delta;
  const fl_buf *vals = page_values_enc(col, &pw->delta_alt, &delta);
  const uint8_t *plain_raw = page_body(col, false, vals, &pw->body_alt, &plain_raw_len);
  const uint8_t *plain_cp =
      compress(pw, codec, &pw->comp_alt, plain_raw, plain_raw_len, col->width > 0 && !delta, &plain_clen);
  if (plain_clen < dict_clen + dpage_clen + DICT_PAGE_HEADER_EST) {
    *is_delta = delta;
    col->nidx = 0;
    col->mode = MODE_PLAIN;
    dict_reset(col);
    *raw = plain_raw;
    *raw_len = plain_raw_len;
    *cp = plain_cp;
    *clen = plain_clen;
  } else {
    fl_buf_clear(&col->plain);
    col->mode = MODE_DICT;
    *raw = dict_raw;
    *raw_len = dict_raw_len;
    *cp = dict_cp;
    *clen = dict_clen;
  }
}

static void stat_bytes(const colw *col, const minmax *m, bool max, fl_buf *out);
static void mm_fold(const colw *col, minmax *dst, const minmax *src);

/* Bounds in the page index are cut to this many bytes (parquet-mr's 64): a string
 * min to its prefix, a max to its prefix with the last byte that can be raised raised. */
enum { PAGE_BOUND_MAX = 64 };

static void put_bound(colw *col, const fl_buf *b, bool max, uint32_t *n) {
  size_t len = b->len;
  if (col->phys == FL_PQ_BYTE_ARRAY && len > PAGE_BOUND_MAX) {
    if (!max) {
      len = PAGE_BOUND_MAX;
    } else {
      size_t k = PAGE_BOUND_MAX;
      while (k > 0 && b->data[k - 1] == 0xFF) k--;
      if (k > 0) { /* prefix[0..k) with byte k-1 raised: above every value starting with the prefix */
        fl_buf_append(&col->pbounds, b->data, k);
        col->pbounds.data[col->pbounds.len - 1]++;
        *n = (uint32_t)k;
        return;
      }
    }
  }
  fl_buf_append(&col->pbounds, b->data, len);
  *n = (uint32_t)len;
}

/* The page index entry of the page being flushed (bytes: header + compressed body),
 * and its bounds folded into the chunk's. */
static void page_record(fl_parquet_writer *pw, colw *col, size_t bytes) {
  if (col->npages == col->pages_cap) {
    col->pages_cap = col->pages_cap ? col->pages_cap * 2 : 16;
    col->pages = fl_realloc(col->pages, col->pages_cap * sizeof *col->pages);
  }
  pgent *e = &col->pages[col->npages++];
  memset(e, 0, sizeof *e);
  e->offset = col->chunk.len;
  e->bytes = (uint32_t)bytes;
  e->first_row = col->chunk_values;
  e->null_count = col->page_nulls;
  e->null_page = col->page_nulls == col->page_values;
  e->min_at = (uint32_t)col->pbounds.len;
  if (col->pg.has) {
    stat_bytes(col, &col->pg, false, &pw->sb);
    put_bound(col, &pw->sb, false, &e->min_n);
    stat_bytes(col, &col->pg, true, &pw->sb);
    put_bound(col, &pw->sb, true, &e->max_n);
  }
  mm_fold(col, &col->ck, &col->pg);
  col->pg.has = false;
  col->page_no++;
}

/* A chunk whose first page (with the dictionary so far, for a dictionary chunk)
 * the codec shrinks by less than this many percent is written UNCOMPRESSED (the
 * codec is per ColumnMetaData): decompressing costs a reader ~15 instructions a byte
 * and compressing the writer more, for nothing. Measured on the orders benchmark
 * (ZSTD 3): DELTA_BINARY_PACKED ids and timestamps shrink by 0-3%, dictionary
 * indices of event_type/tenant_id grow; strings and PLAIN doubles shrink by 30% or more. */
enum { CODEC_MIN_SAVING_PCT = 10 };

/* At the chunk's first page: keeps the file's codec for the chunk, or NONE by
 * CODEC_MIN_SAVING_PCT (then *cp is the raw body). */
static void decide_codec(fl_parquet_writer *pw, colw *col, bool dict, const uint8_t *raw, size_t raw_len,
                         const uint8_t **cp, size_t *clen) {
  col->codec_set = true;
  col->codec = pw->opts.codec;
  if (col->codec == FL_CODEC_NONE) return;
  uint64_t r = raw_len, c = *clen;
  if (dict) {
    size_t dclen;
    compress(pw, col->codec, &pw->scratch, col->dict.data, col->dict.len, col->width > 0, &dclen);
    r += col->dict.len;
    c += dclen;
  }
  if (c * 100 > r * (100 - CODEC_MIN_SAVING_PCT)) {
    col->codec = FL_CODEC_NONE;
    *cp = raw;
    *clen = raw_len;
  }
}

static void flush_page(fl_parquet_writer *pw, colw *col) {
  if (!col->page_values) return;
  const uint8_t *raw = NULL, *cp = NULL;
  size_t raw_len = 0, clen = 0;
  bool delta = false;
  fl_codec codec = col->codec_set ? col->codec : pw->opts.codec;
  if (col->mode == MODE_TRIAL && col->nidx) {
    if (dict_is_losing(col))
      dict_abandon(col);
    else if (codec == FL_CODEC_NONE || !col->width || dict_bit_width(col) < DICT_CHECK_BW)
      col->mode = MODE_DICT;
    else
      decide_compressed(pw, col, &raw, &raw_len, &cp, &clen, &delta);
  }
  bool dict = col->mode == MODE_DICT;
  if (dict && col->unique_hint) *col->unique_hint = 0;
  if (!cp) {
    const fl_buf *vals = dict ? NULL : page_values_enc(col, &pw->delta, &delta);
    raw = page_body(col, dict, vals, &pw->body, &raw_len);
    cp = compress(pw, codec, &pw->comp, raw, raw_len, !dict && !delta && col->width > 0, &clen);
  }
  if (!col->codec_set) decide_codec(pw, col, dict, raw, raw_len, &cp, &clen);
  FL_ASSERT(raw_len <= FL_PARQUET_PAGE_MAX, "page of %zu bytes", raw_len);

  fl_buf *hdr = &pw->hdr;
  fl_buf_clear(hdr);
  fl_thrift_enc enc;
  fl_thrift_enc_init(&enc, hdr);
  fl_thrift_struct_open(&enc);                           /* PageHeader */
  fl_thrift_put_i32(&enc, 1, FL_PQ_PAGE_DATA);           /* type */
  fl_thrift_put_i32(&enc, 2, (int32_t)raw_len);          /* uncompressed_page_size */
  fl_thrift_put_i32(&enc, 3, (int32_t)clen);             /* compressed_page_size */
  fl_thrift_struct_field(&enc, 5);                       /* data_page_header */
  fl_thrift_put_i32(&enc, 1, (int32_t)col->page_values); /* num_values */
  fl_thrift_put_i32(&enc, 2,
                    dict    ? FL_PQ_ENC_RLE_DICTIONARY
                    : delta ? FL_PQ_ENC_DELTA_BINARY_PACKED
                            : FL_PQ_ENC_PLAIN);
  fl_thrift_put_i32(&enc, 3, FL_PQ_ENC_RLE); /* definition_level_encoding */
  fl_thrift_put_i32(&enc, 4, FL_PQ_ENC_RLE); /* repetition_level_encoding */
  fl_thrift_struct_close(&enc);
  fl_thrift_struct_close(&enc);

  page_record(pw, col, hdr->len + clen);
  fl_buf_append(&col->chunk, hdr->data, hdr->len);
  fl_buf_append(&col->chunk, cp, clen);
  col->chunk_uncomp += hdr->len + raw_len;
  col->chunk_values += col->page_values;
  col->chunk_nulls += col->page_nulls;
  if (dict)
    col->dict_pages++;
  else if (delta)
    col->delta_pages++;
  else
    col->plain_pages++;

  col->page_values = col->page_nulls = col->nidx = 0;
  col->page_plain_bytes = 0;
  fl_buf_clear(&col->plain);
}

/* The dictionary would pass dict_bytes_max: the rest of the chunk is PLAIN. */
static void dict_overflow(fl_parquet_writer *pw, colw *col) {
  if (col->mode == MODE_TRIAL) {
    dict_abandon(col);
  } else {
    flush_page(pw, col);
    col->mode = MODE_PLAIN;
  }
}

/* ---- statistics ---- */

static void mm_ints(minmax *m, int64_t lo, int64_t hi) {
  if (!m->has) {
    m->imin = lo;
    m->imax = hi;
    m->has = true;
    return;
  }
  if (lo < m->imin) m->imin = lo;
  if (hi > m->imax) m->imax = hi;
}

static void mm_doubles(minmax *m, double lo, double hi) {
  if (!m->has) {
    m->dmin = lo;
    m->dmax = hi;
    m->has = true;
    return;
  }
  if (lo < m->dmin) m->dmin = lo;
  if (hi > m->dmax) m->dmax = hi;
}

static void stats_ints(colw *col, int64_t lo, int64_t hi) { mm_ints(&col->pg, lo, hi); }
static void stats_doubles(colw *col, double lo, double hi) { mm_doubles(&col->pg, lo, hi); }

/* Unsigned bytewise order, a prefix first; 8 bytes at a time (byte-swapped words
 * order as their bytes do) and inline: the bounds of a page of strings take two of
 * these per value, and a memcmp call each was 5% of the orders write. */
static inline int bytes_cmp(const void *a, size_t an, const void *b, size_t bn) {
  const uint8_t *x = a, *y = b;
  size_t n = an < bn ? an : bn, i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t u, v;
    memcpy(&u, x + i, 8);
    memcpy(&v, y + i, 8);
    if (u != v) return __builtin_bswap64(u) < __builtin_bswap64(v) ? -1 : 1;
  }
  for (; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return an < bn ? -1 : an > bn;
}

static void mm_strings(minmax *m, const void *lo, size_t lo_n, const void *hi, size_t hi_n) {
  if (!m->has || bytes_cmp(lo, lo_n, m->smin.data, m->smin.len) < 0) {
    fl_buf_clear(&m->smin);
    fl_buf_append(&m->smin, lo, lo_n);
  }
  if (!m->has || bytes_cmp(hi, hi_n, m->smax.data, m->smax.len) > 0) {
    fl_buf_clear(&m->smax);
    fl_buf_append(&m->smax, hi, hi_n);
  }
  m->has = true;
}

static void mm_decimals(minmax *m, fl_i128 lo, fl_i128 hi) {
  if (!m->has || lo < m->wmin) m->wmin = lo;
  if (!m->has || hi > m->wmax) m->wmax = hi;
  m->has = true;
}

static void stats_strings(colw *col, const char *lo, uint32_t lo_n, const char *hi, uint32_t hi_n) {
  mm_strings(&col->pg, lo, lo_n, hi, hi_n);
}

/* Folds the bounds of a flushed page (src) into the chunk's (dst). */
static void mm_fold(const colw *col, minmax *dst, const minmax *src) {
  if (!src->has) return;
  switch (col->phys) {
    case FL_PQ_BOOLEAN:
    case FL_PQ_INT32:
    case FL_PQ_INT64: mm_ints(dst, src->imin, src->imax); break;
    case FL_PQ_FLOAT:
    case FL_PQ_DOUBLE: mm_doubles(dst, src->dmin, src->dmax); break;
    case FL_PQ_FIXED_LEN_BYTE_ARRAY:
      if (col->field->type.kind == FL_T_DECIMAL)
        mm_decimals(dst, src->wmin, src->wmax);
      else /* uuid, fixed: bytes */
        mm_strings(dst, src->smin.data, src->smin.len, src->smax.data, src->smax.len);
      break;
    default: mm_strings(dst, src->smin.data, src->smin.len, src->smax.data, src->smax.len); break;
  }
}

#define MINMAX_LOOP(T, arr, k, lo, hi)      \
  do {                                      \
    const T *a_ = (const T *)(arr);         \
    lo = hi = a_[0];                        \
    for (uint32_t j_ = 1; j_ < (k); j_++) { \
      T x_ = a_[j_];                        \
      lo = x_ < lo ? x_ : lo;               \
      hi = x_ > hi ? x_ : hi;               \
    }                                       \
  } while (0)

static void stats_dense(colw *col, const void *dense, uint32_t k) {
  if (!k) return;
  switch (col->phys) {
    case FL_PQ_BOOLEAN: {
      uint8_t lo, hi;
      MINMAX_LOOP(uint8_t, dense, k, lo, hi);
      stats_ints(col, lo, hi);
      break;
    }
    case FL_PQ_INT32: {
      int32_t lo, hi;
      MINMAX_LOOP(int32_t, dense, k, lo, hi);
      stats_ints(col, lo, hi);
      break;
    }
    case FL_PQ_INT64: {
      int64_t lo, hi;
      MINMAX_LOOP(int64_t, dense, k, lo, hi);
      stats_ints(col, lo, hi);
      break;
    }
    case FL_PQ_FLOAT:
    case FL_PQ_DOUBLE: {
      /* NaN is counted apart and excluded from the bounds (REFERENCE §5 stats). */
      double lo = INFINITY, hi = -INFINITY;
      bool any = false;
      for (uint32_t j = 0; j < k; j++) {
        double x = col->phys == FL_PQ_FLOAT ? ((const float *)dense)[j] : ((const double *)dense)[j];
        if (isnan(x)) {
          col->nan_count++;
          continue;
        }
        any = true;
        if (x < lo || (x == 0 && lo == 0 && signbit(x))) lo = x;
        if (x > hi || (x == 0 && hi == 0 && !signbit(x))) hi = x;
      }
      if (any) stats_doubles(col, lo, hi);
      break;
    }
    default: FL_ASSERT(0, "stats_dense on physical type %d", col->phys);
  }
}

/* ---- encoding a range of rows ---- */

static void *dense_reserve(fl_parquet_writer *pw, uint32_t n) {
  if (n > pw->dense_cap) {
    fl_free(pw->dense);
    pw->dense_cap = n;
    pw->dense = fl_malloc((size_t)n * 8);
  }
  return pw->dense;
}

/* Number of rows from lv[] that hold the first j non-null values (j < non-nulls). */
static uint32_t rows_for_values(const colw *col, const uint8_t *lv, uint32_t j) {
  if (!col->optional) return j;
  uint32_t seen = 0, r = 0;
  while (seen < j || !lv[r]) seen += lv[r++];
  return r;
}

/* The batch row of the write's value i: sel[i] when the write selects rows
 * (fl_parquet_writer_write_rows), else i. */
static inline uint32_t row_at(const uint32_t *sel, uint32_t i) { return sel ? sel[i] : i; }

/* Non-null values of the range, in order, into dense (lv: the range's levels). */
#define GATHER(DT, ST, src)                                           \
  do {                                                                \
    DT *d_ = (DT *)dense;                                             \
    const ST *s_ = (const ST *)(src);                                 \
    if (sel) {                                                        \
      const uint32_t *x_ = sel + from;                                \
      uint32_t j_ = 0;                                                \
      for (uint32_t i_ = 0; i_ < n; i_++) {                           \
        d_[j_] = (DT)s_[x_[i_]];                                      \
        j_ += lv ? lv[i_] : 1;                                        \
      }                                                               \
    } else if (!col->optional) {                                      \
      for (uint32_t i_ = 0; i_ < n; i_++) d_[i_] = (DT)s_[from + i_]; \
    } else {                                                          \
      uint32_t j_ = 0;                                                \
      for (uint32_t i_ = 0; i_ < n; i_++) {                           \
        d_[j_] = (DT)s_[from + i_];                                   \
        j_ += lv[i_];                                                 \
      }                                                               \
    }                                                                 \
  } while (0)

/* Encodes the write's values [from, from + n) (batch rows row_at(sel, i)) into the
 * column's page; returns the values consumed (fewer than n only when the dictionary
 * overflowed and the encoding of the chunk changed: the caller continues from there). */
static uint32_t encode_fixed(fl_parquet_writer *pw, colw *col, const fl_vec *vec, const uint32_t *sel,
                             uint32_t from, uint32_t n) {
  uint8_t *lv = col->levels ? col->levels + col->page_values : NULL;
  uint32_t k = n;
  if (col->optional) {
    k = 0;
    for (uint32_t i = 0; i < n; i++) {
      uint8_t v = fl_vec_is_valid(vec, row_at(sel, from + i));
      lv[i] = v;
      k += v;
    }
  }
  void *dense = dense_reserve(pw, n);
  switch (col->phys) {
    case FL_PQ_BOOLEAN: GATHER(uint8_t, uint8_t, vec->data.b); break;
    case FL_PQ_INT32:
      if (col->field->type.kind == FL_T_DECIMAL)
        GATHER(int32_t, int64_t, vec->data.i64);
      else
        GATHER(int32_t, int32_t, vec->data.i32);
      break;
    case FL_PQ_INT64: GATHER(int64_t, int64_t, vec->data.i64); break;
    case FL_PQ_FLOAT: GATHER(float, float, vec->data.f32); break;
    case FL_PQ_DOUBLE: GATHER(double, double, vec->data.f64); break;
    default: FL_ASSERT(0);
  }
  uint32_t used = n, kk = k;
  if (col->phys == FL_PQ_BOOLEAN) {
    fl_buf_append(&col->plain, dense, k);
  } else if (col->mode == MODE_PLAIN) {
    fl_buf_append(&col->plain, dense, (size_t)k * col->width);
  } else {
    uint32_t dict_max = pw->opts.dict_bytes_max, j;
    uint32_t *idx = col->idx + col->nidx;
    if (col->width == 4) {
      const uint32_t *d = dense;
      for (j = 0; j < k; j++)
        if ((idx[j] = dict_find_fixed(col, d[j], dict_max)) == UINT32_MAX) break;
    } else {
      const uint64_t *d = dense;
      for (j = 0; j < k; j++)
        if ((idx[j] = dict_find_fixed(col, d[j], dict_max)) == UINT32_MAX) break;
    }
    if (j < k) {
      kk = j;
      used = rows_for_values(col, lv, j);
    }
    col->nidx += kk;
    col->page_plain_bytes += (uint64_t)kk * col->width;
  }
  stats_dense(col, dense, kk);
  col->page_values += used;
  col->page_nulls += used - kk;
  if (used < n) dict_overflow(pw, col);
  return used;
}

static uint32_t encode_strings(fl_parquet_writer *pw, colw *col, const fl_vec *vec, const uint32_t *sel,
                               uint32_t from, uint32_t n) {
  uint8_t *lv = col->levels ? col->levels + col->page_values : NULL;
  const uint32_t *off = vec->offsets;
  const char *bytes = vec->bytes;
  const char *lo = NULL, *hi = NULL;
  uint32_t lo_n = 0, hi_n = 0, k = 0, used = n;
  bool dict = col->mode != MODE_PLAIN, bounds = false;
  uint32_t dict_max = pw->opts.dict_bytes_max;
  if (!dict) {
    size_t total = 4 * (size_t)n;
    if (!sel)
      total += off[from + n] - off[from];
    else
      for (uint32_t i = 0; i < n; i++) total += off[sel[from + i] + 1] - off[sel[from + i]];
    fl_buf_reserve(&col->plain, total);
  }
  for (uint32_t i = 0; i < n; i++) {
    uint32_t r = row_at(sel, from + i);
    if (col->optional) {
      uint8_t v = fl_vec_is_valid(vec, r);
      lv[i] = v;
      if (!v) continue;
    }
    const char *p = bytes + off[r];
    uint32_t len = off[r + 1] - off[r];
    if (dict) {
      uint32_t e = dict_find_str(col, p, len, dict_max);
      if (e == UINT32_MAX) {
        used = i;
        break;
      }
      col->idx[col->nidx++] = e;
      col->page_plain_bytes += 4 + (uint64_t)len;
      k++;
      if (col->ent_page[e] == col->page_no) continue; /* the page's bounds have seen these bytes */
      col->ent_page[e] = col->page_no;
    } else {
      uint8_t *o = col->plain.data + col->plain.len;
      memcpy(o, &len, 4);
      memcpy(o + 4, p, len);
      col->plain.len += 4 + (size_t)len;
      k++;
    }
    if (!bounds) {
      lo = hi = p;
      lo_n = hi_n = len;
      bounds = true;
    } else {
      if (bytes_cmp(p, len, lo, lo_n) < 0) lo = p, lo_n = len;
      if (bytes_cmp(p, len, hi, hi_n) > 0) hi = p, hi_n = len;
    }
  }
  if (bounds) stats_strings(col, lo, lo_n, hi, hi_n);
  col->page_values += used;
  col->page_nulls += used - k;
  if (used < n) dict_overflow(pw, col);
  return used;
}

/* A wide DECIMAL column: PLAIN FIXED_LEN_BYTE_ARRAY values, big-endian two's
 * complement in flba_width bytes (what Spark, Trino and DuckDB write). */
static uint32_t encode_flba(colw *col, const fl_vec *vec, const uint32_t *sel, uint32_t from, uint32_t n) {
  uint8_t *lv = col->levels ? col->levels + col->page_values : NULL;
  unsigned w = col->flba_width;
  fl_buf_reserve(&col->plain, (size_t)n * w);
  uint32_t k = 0;
  fl_i128 lo = 0, hi = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t r = row_at(sel, from + i);
    if (col->optional) {
      uint8_t v = fl_vec_is_valid(vec, r);
      lv[i] = v;
      if (!v) continue;
    }
    if (col->field->type.kind != FL_T_DECIMAL) { /* uuid, fixed[L]: the bytes as they are */
      uint32_t len;
      const char *p = fl_vec_str(vec, r, &len);
      FL_ASSERT(len == w, "column %s: a value of %u bytes in a FIXED_LEN_BYTE_ARRAY of %u", col->field->name,
                len, w);
      memcpy(col->plain.data + col->plain.len, p, w);
      col->plain.len += w;
      stats_strings(col, p, len, p, len);
      k++;
      continue;
    }
    fl_i128 x = fl_vec_dec(vec, r);
    fl_dec128_to_be(x, w, col->plain.data + col->plain.len);
    col->plain.len += w;
    if (!k++)
      lo = hi = x;
    else {
      lo = x < lo ? x : lo;
      hi = x > hi ? x : hi;
    }
  }
  if (k && col->field->type.kind == FL_T_DECIMAL) mm_decimals(&col->pg, lo, hi);
  col->page_values += n;
  col->page_nulls += n - k;
  return n;
}

static void page_reserve(colw *col, uint32_t n) {
  if (n <= col->page_cap) return;
  uint32_t cap = col->page_cap ? col->page_cap : 4096;
  while (cap < n) cap *= 2;
  if (cap > PAGE_VALUES_MAX) cap = PAGE_VALUES_MAX;
  if (col->optional) col->levels = fl_realloc(col->levels, cap);
  if (col->phys != FL_PQ_BOOLEAN) col->idx = fl_realloc(col->idx, (size_t)cap * sizeof *col->idx);
  col->page_cap = cap;
}

/* Encodes the write's values [from, from + n) of the column (batch rows row_at(sel, i);
 * vec_rows: the batch's). */
static void encode_column(fl_parquet_writer *pw, colw *col, const fl_vec *vec, uint32_t vec_rows,
                          const uint32_t *sel, uint32_t from, uint32_t n) {
  uint32_t r = from, end = from + n;
  while (r < end) {
    uint32_t m = end - r;
    if (m > pw->page_rows - col->page_values) m = pw->page_rows - col->page_values;
    if (col->mode == MODE_TRIAL && col->nidx < TRIAL_EARLY_VALUES) {
      /* the sample is judged when it is taken (dict_is_hopeless), not after a whole
         batch went through the dictionary */
      uint32_t stop = col->nidx < TRIAL_HINT_SAMPLE && dict_hinted_unique(col) ? TRIAL_HINT_SAMPLE
                      : col->nidx < TRIAL_SAMPLE                               ? TRIAL_SAMPLE
                                                                               : TRIAL_EARLY_VALUES;
      if (m > stop - col->nidx) m = stop - col->nidx;
    }
    page_reserve(col, col->page_values + m);
    if (col->mode != MODE_PLAIN) dict_ready(col);
    if (col->phys == FL_PQ_BYTE_ARRAY) {
      /* big strings: stop the range once it holds a page, so no page grows past
       * page_bytes + one value (and never near FL_PARQUET_PAGE_MAX) */
      const uint32_t *off = vec->offsets;
      if (!sel && off[r + m] - off[r] > pw->opts.page_bytes) {
        uint32_t mm = 1;
        while (mm < m && off[r + mm] - off[r] < pw->opts.page_bytes) mm++;
        m = mm;
      } else if (sel && off[vec_rows] - off[0] > pw->opts.page_bytes) {
        uint64_t bytes = 0;
        uint32_t mm = 0;
        while (mm < m && bytes < pw->opts.page_bytes) {
          bytes += off[sel[r + mm] + 1] - off[sel[r + mm]];
          mm++;
        }
        m = mm;
      }
      r += encode_strings(pw, col, vec, sel, r, m);
    } else if (col->phys == FL_PQ_FIXED_LEN_BYTE_ARRAY) {
      r += encode_flba(col, vec, sel, r, m);
    } else {
      r += encode_fixed(pw, col, vec, sel, r, m);
    }
    if (col->mode == MODE_TRIAL && dict_is_hopeless(col)) {
      dict_abandon(col);
      if (col->unique_hint) *col->unique_hint = 1;
    }
    if (col->page_values >= pw->page_rows || page_bytes_est(col) >= pw->opts.page_bytes) flush_page(pw, col);
  }
}

/* ---- row groups and footer ---- */

static uint64_t buffered_bytes(const fl_parquet_writer *pw) {
  uint64_t sum = 0;
  for (uint32_t c = 0; c < pw->ncols; c++) {
    const colw *col = &pw->cols[c];
    sum += col->chunk.len + page_bytes_est(col) +
           (col->mode != MODE_PLAIN || col->dict_pages ? col->dict.len : 0);
  }
  return sum;
}

/* Statistics min/max as PLAIN bytes (BYTE_ARRAY without its length). */
static void stat_bytes(const colw *col, const minmax *m, bool max, fl_buf *out) {
  fl_buf_clear(out);
  int64_t i = max ? m->imax : m->imin;
  switch (col->phys) {
    case FL_PQ_BOOLEAN: fl_buf_put_u8(out, (uint8_t)i); break;
    case FL_PQ_INT32: fl_buf_put_le32(out, (uint32_t)(int32_t)i); break;
    case FL_PQ_INT64: fl_buf_put_le64(out, (uint64_t)i); break;
    case FL_PQ_FLOAT:
    case FL_PQ_DOUBLE: {
      double d = max ? m->dmax : m->dmin;
      if (d == 0) d = max ? 0.0 : -0.0; /* REFERENCE §5: zero min as -0.0, max as +0.0 */
      if (col->phys == FL_PQ_FLOAT) {
        float f = (float)d;
        fl_buf_append(out, &f, 4);
      } else {
        fl_buf_append(out, &d, 8);
      }
      break;
    }
    case FL_PQ_BYTE_ARRAY: {
      const fl_buf *s = max ? &m->smax : &m->smin;
      fl_buf_append(out, s->data, s->len);
      break;
    }
    case FL_PQ_FIXED_LEN_BYTE_ARRAY: {
      if (col->field->type.kind != FL_T_DECIMAL) { /* uuid, fixed: the bytes */
        const fl_buf *s = max ? &m->smax : &m->smin;
        fl_buf_append(out, s->data, s->len);
        break;
      }
      uint8_t be[16];
      fl_dec128_to_be(max ? m->wmax : m->wmin, col->flba_width, be);
      fl_buf_append(out, be, col->flba_width);
      break;
    }
    default: FL_ASSERT(0);
  }
}

static void chunk_value(const colw *col, bool max, const fl_buf *sbuf, fl_value *v) {
  memset(v, 0, sizeof *v);
  v->type = col->field->type;
  const minmax *m = &col->ck;
  int64_t i = max ? m->imax : m->imin;
  double d = max ? m->dmax : m->dmin;
  switch (col->field->type.kind) {
    case FL_T_BOOLEAN: v->u.b = i != 0; break;
    case FL_T_INT:
    case FL_T_DATE: v->u.i32 = (int32_t)i; break;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: v->u.i64 = i; break;
    case FL_T_DECIMAL:
      if (col->phys == FL_PQ_FIXED_LEN_BYTE_ARRAY)
        fl_value_set_dec(v, max ? m->wmax : m->wmin);
      else
        v->u.i64 = i;
      break;
    case FL_T_FLOAT: v->u.f32 = (float)d; break;
    case FL_T_DOUBLE: v->u.f64 = d; break;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED:
      v->u.str.ptr = (const char *)sbuf->data;
      v->u.str.len = (uint32_t)sbuf->len;
      break;
  }
}

/* Folds the chunk's statistics into the file's. */
static void file_stats_add(colw *col, fl_column_stats *st, uint64_t chunk_bytes) {
  st->compressed_bytes += chunk_bytes;
  st->value_count += col->chunk_values;
  st->null_count += col->chunk_nulls;
  if (!col->ck.has) return;
  fl_value lo, hi;
  chunk_value(col, false, &col->ck.smin, &lo);
  chunk_value(col, true, &col->ck.smax, &hi);
  bool str = fl_type_is_bytes(col->field->type.kind);
  if (!st->has_bounds || fl_value_cmp(&lo, &st->min) < 0) {
    if (str) {
      fl_buf_clear(&col->fmin_s);
      fl_buf_append(&col->fmin_s, col->ck.smin.data, col->ck.smin.len);
      chunk_value(col, false, &col->fmin_s, &lo);
    }
    st->min = lo;
  }
  if (!st->has_bounds || fl_value_cmp(&hi, &st->max) > 0) {
    if (str) {
      fl_buf_clear(&col->fmax_s);
      fl_buf_append(&col->fmax_s, col->ck.smax.data, col->ck.smax.len);
      chunk_value(col, true, &col->fmax_s, &hi);
    }
    st->max = hi;
  }
  st->has_bounds = true;
}

static void chunk_reset(fl_parquet_writer *pw, colw *col) {
  fl_buf_clear(&col->chunk);
  col->chunk_uncomp = 0;
  col->dict_pages = col->plain_pages = col->delta_pages = 0;
  col->codec_set = false;
  col->chunk_values = col->chunk_nulls = col->nan_count = 0;
  col->ck.has = col->pg.has = false;
  col->npages = 0;
  fl_buf_clear(&col->pbounds);
  col->mode =
      (col->phys == FL_PQ_BOOLEAN || col->phys == FL_PQ_FIXED_LEN_BYTE_ARRAY || pw->opts.dict_bytes_max == 0)
          ? MODE_PLAIN
          : MODE_TRIAL;
  if (col->mode == MODE_TRIAL && !col->slots)
    dict_alloc(col);
  else
    dict_reset(col);
}

static void put_dict_page_header(fl_buf *hdr, size_t ulen, size_t clen, uint32_t n) {
  fl_thrift_enc enc;
  fl_buf_clear(hdr);
  fl_thrift_enc_init(&enc, hdr);
  fl_thrift_struct_open(&enc);                       /* PageHeader */
  fl_thrift_put_i32(&enc, 1, FL_PQ_PAGE_DICTIONARY); /* type */
  fl_thrift_put_i32(&enc, 2, (int32_t)ulen);
  fl_thrift_put_i32(&enc, 3, (int32_t)clen);
  fl_thrift_struct_field(&enc, 7);             /* dictionary_page_header */
  fl_thrift_put_i32(&enc, 1, (int32_t)n);      /* num_values */
  fl_thrift_put_i32(&enc, 2, FL_PQ_ENC_PLAIN); /* encoding */
  fl_thrift_put_bool(&enc, 3, false);          /* is_sorted */
  fl_thrift_struct_close(&enc);
  fl_thrift_struct_close(&enc);
}

/* The chunk's OffsetIndex into pw->oi and ColumnIndex into pw->ci (PageIndex.md);
 * data_off: the file offset of its first data page. No ColumnIndex for a float
 * column with NaN (its pages' bounds leave NaN out, as parquet-mr does). */
static void put_page_index(fl_parquet_writer *pw, colw *col, uint64_t data_off, ccrec *cr) {
  fl_thrift_enc enc;
  cr->oi_at = pw->oi.len;
  fl_thrift_enc_init(&enc, &pw->oi);
  fl_thrift_struct_open(&enc);                              /* OffsetIndex */
  fl_thrift_list_field(&enc, 1, FL_TT_STRUCT, col->npages); /* page_locations */
  for (uint32_t i = 0; i < col->npages; i++) {
    const pgent *e = &col->pages[i];
    fl_thrift_struct_open(&enc);                                 /* PageLocation */
    fl_thrift_put_i64(&enc, 1, (int64_t)(data_off + e->offset)); /* offset */
    fl_thrift_put_i32(&enc, 2, (int32_t)e->bytes);               /* compressed_page_size */
    fl_thrift_put_i64(&enc, 3, (int64_t)e->first_row);           /* first_row_index */
    fl_thrift_struct_close(&enc);
  }
  fl_thrift_struct_close(&enc);
  cr->oi_len = (uint32_t)(pw->oi.len - cr->oi_at);

  cr->ci_at = pw->ci.len;
  cr->ci_len = 0;
  if ((col->phys == FL_PQ_FLOAT || col->phys == FL_PQ_DOUBLE) && col->nan_count) return;
  fl_thrift_enc_init(&enc, &pw->ci);
  fl_thrift_struct_open(&enc);                            /* ColumnIndex */
  fl_thrift_list_field(&enc, 1, FL_TT_TRUE, col->npages); /* null_pages: list<bool> */
  for (uint32_t i = 0; i < col->npages; i++) fl_buf_put_u8(&pw->ci, col->pages[i].null_page ? 1 : 2);
  const uint8_t *pb = col->pbounds.data ? col->pbounds.data : (const uint8_t *)""; /* all null pages */
  fl_thrift_list_field(&enc, 2, FL_TT_BINARY, col->npages);                        /* min_values */
  for (uint32_t i = 0; i < col->npages; i++)
    fl_thrift_elem_binary(&enc, pb + col->pages[i].min_at, col->pages[i].min_n);
  fl_thrift_list_field(&enc, 3, FL_TT_BINARY, col->npages); /* max_values */
  for (uint32_t i = 0; i < col->npages; i++)
    fl_thrift_elem_binary(&enc, pb + col->pages[i].min_at + col->pages[i].min_n, col->pages[i].max_n);
  fl_thrift_put_i32(&enc, 4, 0);                         /* boundary_order: UNORDERED */
  fl_thrift_list_field(&enc, 5, FL_TT_I64, col->npages); /* null_counts */
  for (uint32_t i = 0; i < col->npages; i++) fl_thrift_elem_i64(&enc, (int64_t)col->pages[i].null_count);
  fl_thrift_struct_close(&enc);
  cr->ci_len = (uint32_t)(pw->ci.len - cr->ci_at);
}

/* Writes one column chunk and records its ColumnMetaData and page index (pw->ccs). */
static fl_code write_chunk(fl_parquet_writer *pw, colw *col, uint32_t c, uint64_t *uncomp_sum,
                           uint64_t *comp_sum, fl_err *err) {
  fl_code rc;
  uint64_t start = pw->file_off, uncomp = col->chunk_uncomp, comp = col->chunk.len;
  bool has_dict = col->dict_pages > 0;
  if (has_dict) {
    size_t clen;
    const uint8_t *cp =
        compress(pw, col->codec, &pw->comp, col->dict.data, col->dict.len, col->width > 0, &clen);
    put_dict_page_header(&pw->hdr, col->dict.len, clen, col->ndict);
    if ((rc = out_write(pw, pw->hdr.data, pw->hdr.len, err))) return rc;
    if ((rc = out_write(pw, cp, clen, err))) return rc;
    uncomp += pw->hdr.len + col->dict.len;
    comp += pw->hdr.len + clen;
  }
  uint64_t data_off = pw->file_off;
  if ((rc = out_write(pw, col->chunk.data, col->chunk.len, err))) return rc;
  FL_ASSERT(pw->file_off - start == comp);

  if (pw->ncc == pw->cc_cap) {
    pw->cc_cap = pw->cc_cap ? pw->cc_cap * 2 : 64;
    pw->ccs = fl_realloc(pw->ccs, pw->cc_cap * sizeof *pw->ccs);
  }
  ccrec *cr = &pw->ccs[pw->ncc++];
  cr->cm_at = pw->rg_meta.len;
  fl_thrift_enc enc;
  fl_thrift_enc_init(&enc, &pw->rg_meta);
  fl_thrift_struct_open(&enc);           /* ColumnMetaData */
  fl_thrift_put_i32(&enc, 1, col->phys); /* type */
  int32_t encs[4];
  uint32_t nenc = 0;
  if (has_dict || col->plain_pages) encs[nenc++] = FL_PQ_ENC_PLAIN;
  if (col->optional) encs[nenc++] = FL_PQ_ENC_RLE;
  if (has_dict) encs[nenc++] = FL_PQ_ENC_RLE_DICTIONARY;
  if (col->delta_pages) encs[nenc++] = FL_PQ_ENC_DELTA_BINARY_PACKED;
  if (!nenc) encs[nenc++] = FL_PQ_ENC_PLAIN;
  fl_thrift_list_field(&enc, 2, FL_TT_I32, nenc); /* encodings */
  for (uint32_t e = 0; e < nenc; e++) fl_thrift_elem_i32(&enc, encs[e]);
  fl_thrift_list_field(&enc, 3, FL_TT_BINARY, 1); /* path_in_schema */
  fl_thrift_elem_binary(&enc, col->name, (uint32_t)strlen(col->name));
  fl_thrift_put_i32(&enc, 4, (int32_t)(col->codec_set ? col->codec : pw->opts.codec)); /* fl_codec = wire's */
  fl_thrift_put_i64(&enc, 5, (int64_t)col->chunk_values);
  fl_thrift_put_i64(&enc, 6, (int64_t)uncomp);               /* total_uncompressed_size */
  fl_thrift_put_i64(&enc, 7, (int64_t)comp);                 /* total_compressed_size */
  fl_thrift_put_i64(&enc, 9, (int64_t)data_off);             /* data_page_offset */
  if (has_dict) fl_thrift_put_i64(&enc, 11, (int64_t)start); /* dictionary_page_offset */
  fl_thrift_struct_field(&enc, 12);                          /* statistics */
  fl_thrift_put_i64(&enc, 3, (int64_t)col->chunk_nulls);     /* null_count */
  if (col->ck.has) {
    stat_bytes(col, &col->ck, true, &pw->hdr);
    fl_thrift_put_binary(&enc, 5, pw->hdr.data, (uint32_t)pw->hdr.len); /* max_value */
    stat_bytes(col, &col->ck, false, &pw->hdr);
    fl_thrift_put_binary(&enc, 6, pw->hdr.data, (uint32_t)pw->hdr.len); /* min_value */
  }
  if (col->phys == FL_PQ_FLOAT || col->phys == FL_PQ_DOUBLE)
    fl_thrift_put_i64(&enc, 9, (int64_t)col->nan_count); /* nan_count */
  fl_thrift_struct_close(&enc);
  fl_thrift_struct_close(&enc);
  cr->cm_len = pw->rg_meta.len - cr->cm_at;
  put_page_index(pw, col, data_off, cr);

  file_stats_add(col, &pw->stats[c], comp);
  *uncomp_sum += uncomp;
  *comp_sum += comp;
  return FL_OK;
}

static fl_code flush_row_group(fl_parquet_writer *pw, fl_err *err) {
  fl_code rc;
  if (!pw->rg_rows) return FL_OK;
  for (uint32_t c = 0; c < pw->ncols; c++) flush_page(pw, &pw->cols[c]);
  uint64_t rg_off = pw->file_off, uncomp = 0, comp = 0;
  for (uint32_t c = 0; c < pw->ncols; c++) {
    if ((rc = write_chunk(pw, &pw->cols[c], c, &uncomp, &comp, err))) return rc;
    chunk_reset(pw, &pw->cols[c]);
  }
  if (pw->nrg == pw->rg_cap) {
    pw->rg_cap = pw->rg_cap ? pw->rg_cap * 2 : 16;
    pw->rg_offsets = fl_realloc(pw->rg_offsets, pw->rg_cap * sizeof *pw->rg_offsets);
    pw->rgs = fl_realloc(pw->rgs, pw->rg_cap * sizeof *pw->rgs);
  }
  pw->rgs[pw->nrg] = (rgrec){uncomp, pw->rg_rows, rg_off, comp};
  pw->rg_offsets[pw->nrg++] = rg_off;
  pw->rg_rows = 0;
  return FL_OK;
}

static void put_schema_element(fl_thrift_enc *enc, const fl_field *f, const char *name) {
  fl_type t = f->type;
  fl_thrift_struct_open(enc);                         /* SchemaElement */
  fl_thrift_put_i32(enc, 1, fl_pq_phys_of(t));        /* type */
  if (fl_pq_phys_of(t) == FL_PQ_FIXED_LEN_BYTE_ARRAY) /* type_length */
    fl_thrift_put_i32(enc, 2,
                      (int32_t)(t.kind == FL_T_UUID    ? 16
                                : t.kind == FL_T_FIXED ? t.length
                                                       : fl_dec128_fixed_width(t.precision)));
  fl_thrift_put_i32(enc, 3, f->required ? FL_PQ_REQUIRED : FL_PQ_OPTIONAL);
  fl_thrift_put_string(enc, 4, name); /* name */
  int32_t ct = -1;
  switch (t.kind) {
    case FL_T_STRING:
    case FL_T_JSON: ct = FL_PQ_CT_UTF8; break;
    case FL_T_DATE: ct = FL_PQ_CT_DATE; break;
    case FL_T_TIMESTAMP: ct = FL_PQ_CT_TIMESTAMP_MICROS; break;
    case FL_T_DECIMAL: ct = FL_PQ_CT_DECIMAL; break;
    case FL_T_TIME: ct = FL_PQ_CT_TIME_MICROS; break;
    default: break;
  }
  if (ct >= 0) fl_thrift_put_i32(enc, 6, ct); /* converted_type */
  if (t.kind == FL_T_DECIMAL) {
    fl_thrift_put_i32(enc, 7, t.scale);
    fl_thrift_put_i32(enc, 8, t.precision);
  }
  fl_thrift_put_i32(enc, 9, f->id); /* field_id */
  if (ct >= 0) {
    fl_thrift_struct_field(enc, 10); /* logicalType (union) */
    switch (t.kind) {
      case FL_T_STRING:
      case FL_T_JSON:
        fl_thrift_struct_field(enc, FL_PQ_LT_STRING);
        fl_thrift_struct_close(enc);
        break;
      case FL_T_DATE:
        fl_thrift_struct_field(enc, FL_PQ_LT_DATE);
        fl_thrift_struct_close(enc);
        break;
      case FL_T_TIMESTAMP:
        /* Iceberg `timestamp` (not timestamptz): isAdjustedToUTC = false */
        fl_thrift_struct_field(enc, FL_PQ_LT_TIMESTAMP);
        fl_thrift_put_bool(enc, 1, false);
        fl_thrift_struct_field(enc, 2); /* unit */
        fl_thrift_struct_field(enc, FL_PQ_UNIT_MICROS);
        fl_thrift_struct_close(enc);
        fl_thrift_struct_close(enc);
        fl_thrift_struct_close(enc);
        break;
      case FL_T_DECIMAL:
        fl_thrift_struct_field(enc, FL_PQ_LT_DECIMAL);
        fl_thrift_put_i32(enc, 1, t.scale);
        fl_thrift_put_i32(enc, 2, t.precision);
        fl_thrift_struct_close(enc);
        break;
      case FL_T_TIME:
        /* Iceberg `time`: isAdjustedToUTC = false, micros */
        fl_thrift_struct_field(enc, FL_PQ_LT_TIME);
        fl_thrift_put_bool(enc, 1, false);
        fl_thrift_struct_field(enc, 2); /* unit */
        fl_thrift_struct_field(enc, FL_PQ_UNIT_MICROS);
        fl_thrift_struct_close(enc);
        fl_thrift_struct_close(enc);
        fl_thrift_struct_close(enc);
        break;
      default: FL_ASSERT(0);
    }
    fl_thrift_struct_close(enc);
  } else if (t.kind == FL_T_UUID) { /* logicalType UUID, no converted type */
    fl_thrift_struct_field(enc, 10);
    fl_thrift_struct_field(enc, FL_PQ_LT_UUID);
    fl_thrift_struct_close(enc);
    fl_thrift_struct_close(enc);
  }
  fl_thrift_struct_close(enc);
}

/* The RowGroup structs; ci_base, oi_base: file offsets of pw->ci and pw->oi. */
static void put_row_groups(fl_parquet_writer *pw, fl_thrift_enc *enc, uint64_t ci_base, uint64_t oi_base) {
  for (uint32_t g = 0; g < pw->nrg; g++) {
    const rgrec *r = &pw->rgs[g];
    fl_thrift_struct_open(enc);                            /* RowGroup */
    fl_thrift_list_field(enc, 1, FL_TT_STRUCT, pw->ncols); /* columns */
    for (uint32_t c = 0; c < pw->ncols; c++) {
      const ccrec *cr = &pw->ccs[(size_t)g * pw->ncols + c];
      fl_thrift_struct_open(enc);   /* ColumnChunk */
      fl_thrift_put_i64(enc, 2, 0); /* file_offset (deprecated; REFERENCE: 0) */
      fl_thrift_struct_field_raw(enc, 3, pw->rg_meta.data + cr->cm_at, cr->cm_len); /* meta_data */
      fl_thrift_put_i64(enc, 4, (int64_t)(oi_base + cr->oi_at));                    /* offset_index_offset */
      fl_thrift_put_i32(enc, 5, (int32_t)cr->oi_len);                               /* offset_index_length */
      if (cr->ci_len) {
        fl_thrift_put_i64(enc, 6, (int64_t)(ci_base + cr->ci_at)); /* column_index_offset */
        fl_thrift_put_i32(enc, 7, (int32_t)cr->ci_len);            /* column_index_length */
      }
      fl_thrift_struct_close(enc);
    }
    fl_thrift_put_i64(enc, 2, (int64_t)r->uncomp);             /* total_byte_size */
    fl_thrift_put_i64(enc, 3, (int64_t)r->rows);               /* num_rows */
    fl_thrift_put_i64(enc, 5, (int64_t)r->off);                /* file_offset */
    fl_thrift_put_i64(enc, 6, (int64_t)r->comp);               /* total_compressed_size */
    if (g <= INT16_MAX) fl_thrift_put_i16(enc, 7, (int16_t)g); /* ordinal */
    fl_thrift_struct_close(enc);
  }
}

static void put_footer(fl_parquet_writer *pw, fl_buf *meta, uint64_t ci_base, uint64_t oi_base) {
  fl_thrift_enc enc;
  fl_thrift_enc_init(&enc, meta);
  fl_thrift_struct_open(&enc);                                /* FileMetaData */
  fl_thrift_put_i32(&enc, 1, 2);                              /* version */
  fl_thrift_list_field(&enc, 2, FL_TT_STRUCT, pw->ncols + 1); /* schema */
  fl_thrift_struct_open(&enc);                                /* root, as Java names it */
  fl_thrift_put_string(&enc, 4, "table");
  fl_thrift_put_i32(&enc, 5, (int32_t)pw->ncols); /* num_children */
  fl_thrift_struct_close(&enc);
  for (uint32_t c = 0; c < pw->ncols; c++) put_schema_element(&enc, pw->cols[c].field, pw->cols[c].name);
  fl_thrift_put_i64(&enc, 3, (int64_t)pw->total_rows);  /* num_rows */
  fl_thrift_list_field(&enc, 4, FL_TT_STRUCT, pw->nrg); /* row_groups */
  put_row_groups(pw, &enc, ci_base, oi_base);
  if (pw->opts.nkv) {
    fl_thrift_list_field(&enc, 5, FL_TT_STRUCT, pw->opts.nkv); /* key_value_metadata */
    for (uint32_t i = 0; i < pw->opts.nkv; i++) {
      fl_thrift_struct_open(&enc);
      fl_thrift_put_string(&enc, 1, pw->kv_strs[2 * i]);
      fl_thrift_put_string(&enc, 2, pw->kv_strs[2 * i + 1]);
      fl_thrift_struct_close(&enc);
    }
  }
  fl_thrift_put_string(&enc, 6, "floe version " FLOE_VERSION); /* created_by */
  fl_thrift_list_field(&enc, 7, FL_TT_STRUCT, pw->ncols);      /* column_orders */
  for (uint32_t c = 0; c < pw->ncols; c++) {
    fl_thrift_struct_open(&enc);     /* ColumnOrder union */
    fl_thrift_struct_field(&enc, 1); /* TYPE_ORDER {} */
    fl_thrift_struct_close(&enc);
    fl_thrift_struct_close(&enc);
  }
  fl_thrift_struct_close(&enc);
}

/* ---- API ---- */

/* Java Iceberg names Parquet columns with AvroSchemaUtil.makeCompatibleName, and
 * readers that map by name (icebird) sanitize the same way: a character other than
 * a letter, digit or '_' becomes "_x" + its code in upper-case hex, a leading digit
 * "_" + digit. Bytes of multi-byte UTF-8 characters are kept (taken as letters). */
static char *sanitize_name(const char *name) {
  fl_buf out = FL_BUF_INIT;
  for (size_t i = 0; name[i]; i++) {
    unsigned char ch = (unsigned char)name[i];
    bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch >= 0x80 || ch == '_';
    bool digit = ch >= '0' && ch <= '9';
    if (letter || (digit && i > 0))
      fl_buf_put_u8(&out, ch);
    else if (digit)
      fl_buf_printf(&out, "_%c", ch);
    else
      fl_buf_printf(&out, "_x%X", ch);
  }
  fl_buf_cstr(&out);
  size_t n;
  return (char *)fl_buf_take(&out, &n);
}

fl_code fl_parquet_writer_open(const char *path, const fl_schema *schema, const fl_parquet_opts *opts,
                               fl_parquet_writer **out, fl_err *err) {
  *out = NULL;
  if (!schema->nfields || schema->nfields > FL_COLUMNS_MAX)
    return fl_err_set(err, FL_EINVAL, "%s: a Parquet file needs 1 to %d columns, not %u", path,
                      FL_COLUMNS_MAX, schema->nfields);
  for (uint32_t c = 0; c < schema->nfields; c++) {
    const fl_field *f = &schema->fields[c];
    if (f->id <= 0) return fl_err_set(err, FL_EINVAL, "%s: field %s has no field id", path, f->name);
    if (f->nested)
      return fl_err_set(
          err, FL_EUNSUPPORTED,
          "%s: column %s is a struct, list or map (of a table written elsewhere): floe reads it but "
          "does not write it yet",
          path, f->name);
    if (f->type.kind == FL_T_TIMESTAMP_NS) /* only v3 tables have them, and floe writes none */
      return fl_err_set(err, FL_EUNSUPPORTED, "%s: field %s: timestamp_ns is read only in floe", path,
                        f->name);
    if (f->type.kind < FL_T_BOOLEAN || f->type.kind > FL_T_FIXED)
      return fl_err_set(err, FL_EINVAL, "%s: field %s has unknown type %d", path, f->name, f->type.kind);
    if (f->type.kind == FL_T_DECIMAL &&
        (f->type.precision < 1 || f->type.precision > FL_DECIMAL_PRECISION_MAX ||
         f->type.scale > f->type.precision))
      return fl_err_set(err, FL_EINVAL, "%s: field %s: decimal(%u,%u) is not supported", path, f->name,
                        f->type.precision, f->type.scale);
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fl_err_errno(err, errno, "%s: create", path);

  fl_parquet_writer *pw = fl_calloc(1, sizeof *pw);
  pw->path = fl_strdup(path);
  pw->fd = fd;
  pw->schema = schema;
  if (opts)
    pw->opts = *opts;
  else
    fl_parquet_opts_default(&pw->opts);
  if (!pw->opts.page_bytes) pw->opts.page_bytes = FL_PARQUET_PAGE_BYTES;
  pw->page_rows =
      pw->opts.page_rows && pw->opts.page_rows < PAGE_VALUES_MAX ? pw->opts.page_rows : PAGE_VALUES_MAX;
  if (!pw->opts.row_group_bytes) pw->opts.row_group_bytes = FL_PARQUET_ROW_GROUP_BYTES;
  if (pw->opts.codec != FL_CODEC_ZSTD && pw->opts.codec != FL_CODEC_SNAPPY) pw->opts.codec = FL_CODEC_NONE;
  if (pw->opts.nkv) {
    pw->kv_strs = fl_malloc(2 * pw->opts.nkv * sizeof *pw->kv_strs);
    for (uint32_t i = 0; i < pw->opts.nkv; i++) {
      pw->kv_strs[2 * i] = fl_strdup(pw->opts.kv[i].key);
      pw->kv_strs[2 * i + 1] = fl_strdup(pw->opts.kv[i].value ? pw->opts.kv[i].value : "");
    }
  }
  pw->opts.kv = NULL;
  pw->out = fl_malloc(OUT_BUF_BYTES);
  pw->ncols = schema->nfields;
  pw->cols = fl_calloc(pw->ncols, sizeof *pw->cols);
  pw->stats = fl_calloc(pw->ncols, sizeof *pw->stats);
  for (uint32_t c = 0; c < pw->ncols; c++) {
    colw *col = &pw->cols[c];
    col->field = &schema->fields[c];
    col->name = sanitize_name(col->field->name);
    col->phys = fl_pq_phys_of(col->field->type);
    col->width = col->phys == FL_PQ_INT32 || col->phys == FL_PQ_FLOAT    ? 4
                 : col->phys == FL_PQ_INT64 || col->phys == FL_PQ_DOUBLE ? 8
                                                                         : 0;
    if (col->phys == FL_PQ_FIXED_LEN_BYTE_ARRAY)
      col->flba_width = col->field->type.kind == FL_T_UUID ? 16
                        : col->field->type.kind == FL_T_FIXED
                            ? col->field->type.length
                            : fl_dec128_fixed_width(col->field->type.precision);
    col->optional = !col->field->required;
    col->page_no = 1;
    col->unique_hint = pw->opts.unique_hint ? &pw->opts.unique_hint[c] : NULL;
    chunk_reset(pw, col);
    pw->stats[c].field_id = col->field->id;
  }
  fl_code rc = out_write(pw, FL_PQ_MAGIC, FL_PQ_MAGIC_LEN, err);
  if (rc) {
    fl_parquet_writer_free(pw);
    return rc;
  }
  *out = pw;
  return FL_OK;
}

fl_code fl_parquet_writer_write(fl_parquet_writer *pw, const fl_batch *batch, fl_err *err) {
  return fl_parquet_writer_write_rows(pw, batch, NULL, 0, batch->nrows, err);
}

fl_code fl_parquet_writer_write_rows(fl_parquet_writer *pw, const fl_batch *batch, const uint32_t *rows,
                                     uint32_t from, uint32_t n, fl_err *err) {
  FL_ASSERT(!pw->closed, "%s: write after close", pw->path);
  FL_ASSERT(rows || from + n <= batch->nrows, "%s: rows %u..%u of a batch of %u", pw->path, from, from + n,
            batch->nrows);
  if (batch->ncols != pw->ncols)
    return fl_err_set(err, FL_EINVAL, "%s: batch has %u columns, the file %u", pw->path, batch->ncols,
                      pw->ncols);
  for (uint32_t c = 0; c < pw->ncols; c++) {
    const colw *col = &pw->cols[c];
    const fl_vec *vec = &batch->cols[c];
    if (vec->type.kind != col->field->type.kind)
      return fl_err_set(err, FL_EINVAL, "%s: column %s: batch type %s, file type %s", pw->path,
                        col->field->name, fl_type_sql_name(vec->type.kind),
                        fl_type_sql_name(col->field->type.kind));
    FL_ASSERT(vec->len >= batch->nrows);
    if (!col->optional && batch->nrows && fl_vec_null_count(vec))
      return fl_err_set(err, FL_EINVAL, "%s: column %s is required but the batch has %u nulls", pw->path,
                        col->field->name, fl_vec_null_count(vec));
  }
  if (!batch->nrows || !n) return FL_OK;
  for (uint32_t c = 0; c < pw->ncols; c++)
    encode_column(pw, &pw->cols[c], &batch->cols[c], batch->nrows, rows, from, n);
  pw->rg_rows += n;
  pw->total_rows += n;
  if (buffered_bytes(pw) >= pw->opts.row_group_bytes) return flush_row_group(pw, err);
  return FL_OK;
}

uint64_t fl_parquet_writer_bytes(const fl_parquet_writer *pw) { return pw->file_off + buffered_bytes(pw); }

uint64_t fl_parquet_writer_rows(const fl_parquet_writer *pw) { return pw->total_rows; }

uint64_t fl_parquet_writer_bytes_compressed(const fl_parquet_writer *pw) {
  uint64_t sum = pw->file_off;
  for (uint32_t c = 0; c < pw->ncols; c++) sum += pw->cols[c].chunk.len;
  return sum;
}

fl_code fl_parquet_writer_close(fl_parquet_writer *pw, const fl_parquet_file_info **info, fl_err *err) {
  FL_ASSERT(!pw->closed, "%s: closed twice", pw->path);
  fl_code rc;
  fl_buf meta = FL_BUF_INIT;
  if ((rc = flush_row_group(pw, err))) goto fail;
  /* the page index: every ColumnIndex, then every OffsetIndex (as parquet-mr) */
  uint64_t ci_base = pw->file_off;
  if ((rc = out_write(pw, pw->ci.data, pw->ci.len, err))) goto fail;
  uint64_t oi_base = pw->file_off;
  if ((rc = out_write(pw, pw->oi.data, pw->oi.len, err))) goto fail;
  put_footer(pw, &meta, ci_base, oi_base);
  uint8_t tail[FL_PQ_TAIL_LEN];
  uint32_t mlen = (uint32_t)meta.len;
  memcpy(tail, &mlen, 4);
  memcpy(tail + 4, FL_PQ_MAGIC, 4);
  if ((rc = out_write(pw, meta.data, meta.len, err))) goto fail;
  if ((rc = out_write(pw, tail, sizeof tail, err))) goto fail;
  if ((rc = out_flush(pw, err))) goto fail;
  if (pw->opts.defer_sync) {
    (void)sync_file_range(pw->fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a head start; the caller syncs */
  } else if (fl_fdatasync(pw->fd) != 0) {
    rc = fl_err_errno(err, errno, "%s: fdatasync", pw->path);
    goto fail;
  }
  int fd = pw->fd;
  pw->fd = -1;
  if (close(fd) != 0) {
    rc = fl_err_errno(err, errno, "%s: close", pw->path);
    goto fail;
  }
  pw->closed = true;
  pw->info.file_bytes = pw->file_off;
  pw->info.num_rows = pw->total_rows;
  pw->info.ncols = pw->ncols;
  pw->info.cols = pw->stats;
  pw->info.nrow_groups = pw->nrg;
  pw->info.row_group_offsets = pw->rg_offsets;
  if (info) *info = &pw->info;
  fl_buf_free(&meta);
  return FL_OK;
fail:
  fl_buf_free(&meta);
  return rc;
}

void fl_parquet_writer_free(fl_parquet_writer *pw) {
  if (!pw) return;
  if (!pw->closed) {
    if (pw->fd >= 0) close(pw->fd);
    unlink(pw->path);
  }
  for (uint32_t c = 0; c < pw->ncols; c++) {
    colw *col = &pw->cols[c];
    fl_free(col->name);
    fl_free(col->levels);
    fl_free(col->idx);
    fl_free(col->ent_key);
    fl_free(col->ent_hash);
    fl_free(col->ent_page);
    fl_free(col->slots);
    fl_buf_free(&col->plain);
    fl_buf_free(&col->dict);
    fl_buf_free(&col->chunk);
    fl_buf_free(&col->pg.smin);
    fl_buf_free(&col->pg.smax);
    fl_buf_free(&col->ck.smin);
    fl_buf_free(&col->ck.smax);
    fl_buf_free(&col->pbounds);
    fl_free(col->pages);
    fl_buf_free(&col->fmin_s);
    fl_buf_free(&col->fmax_s);
  }
  for (uint32_t i = 0; i < 2 * pw->opts.nkv; i++) fl_free(pw->kv_strs[i]);
  fl_free(pw->kv_strs);
  fl_free(pw->cols);
  fl_free(pw->stats);
  fl_free(pw->rg_offsets);
  fl_free(pw->out);
  fl_free(pw->dense);
  fl_buf_free(&pw->body);
  fl_buf_free(&pw->comp);
  fl_buf_free(&pw->body_alt);
  fl_buf_free(&pw->comp_alt);
  fl_buf_free(&pw->delta);
  fl_buf_free(&pw->delta_alt);
  fl_buf_free(&pw->scratch);
  fl_buf_free(&pw->hdr);
  fl_buf_free(&pw->cc);
  fl_buf_free(&pw->rg_meta);
  fl_buf_free(&pw->ci);
  fl_buf_free(&pw->oi);
  fl_buf_free(&pw->sb);
  fl_free(pw->rgs);
  fl_free(pw->ccs);
  fl_free(pw->path);
  fl_free(pw);
}
