/* parquet_read: floe's Parquet reader (API in parquet.h, on-disk codes in
 * parquet_wire.h, REFERENCE/iceberg_parquet.md §5).
 *
 * open: the file is mapped (or borrowed from memory), the magic and footer length
 * checked, and FileMetaData parsed with every length, count and offset checked
 * against the file (a column chunk's pages must lie in the data region between the
 * leading magic and the footer). The schema tree is walked to number the leaves;
 * top-level primitive leaves with a type floe knows become the reader's fl_schema.
 *
 * read_row_group: each field of the caller's schema is matched to a leaf by field
 * id; a column reader then walks that chunk's pages (dictionary page, v1/v2 data
 * pages, codecs NONE/SNAPPY/ZSTD/GZIP) and decodes definition levels
 * (RLE/bit-packed hybrid) and values (PLAIN, PLAIN_/RLE_DICTIONARY, RLE booleans,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT)
 * straight into the batch, FL_BATCH_ROWS rows at a time,
 * widening where Iceberg allows (int -> long, float -> double, decimal up).
 *
 * Corruption: every bad length or value gives FL_ECORRUPT with a message naming
 * the file, the row group / column chunk, and the offset; never a crash. Work is
 * bounded by the bytes present (list counts, dictionary sizes) and core/limits.h.
 *
 * Ownership: the reader owns the mapping (or borrows the caller's bytes), its
 * metadata (one arena) and its decode buffers. Statistics values and names point
 * into them until fl_parquet_reader_free(). The batch passed to emit belongs to
 * the reader and is reused between calls.
 *
 * Entry points: fl_parquet_reader_open/open_mem/free/schema/num_rows/row_groups/
 * row_group_rows/row_group_stats/chunk_info/kv/read_row_group. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "format/parquet.h"
#include "format/parquet_int.h"
#include "format/parquet_wire.h"
#include "format/thrift.h"

/* String bytes of one batch column: 256 MiB is 64 KiB per value at FL_BATCH_ROWS;
 * more means a dictionary entry repeated by a corrupt or hostile file. */
#define BATCH_STRING_BYTES_MAX (256u << 20)
/* Dictionary entries: writers cap dictionaries at ~1 MiB (parquet-mr, floe), so 16 Mi
 * entries is far above any real one and bounds what a small compressed page of
 * zeros can make the reader allocate (12 bytes per string entry). */
#define DICT_ENTRIES_MAX (1u << 24)
/* Fewest footer bytes a column chunk can take (see parse_row_group). */
#define CHUNK_BYTES_MIN 16
/* Schema elements: leaves are bounded by FL_COLUMNS_MAX, groups add a few each. */
#define SCHEMA_ELEMENTS_MAX (4u * FL_COLUMNS_MAX + 1)

typedef struct selem {
  const uint8_t *name;
  uint32_t name_len;
  int32_t phys; /* -1 if absent (groups) */
  int32_t type_length;
  int32_t rep; /* -1 if absent */
  int32_t num_children;
  int32_t converted; /* -1 if absent */
  int32_t scale, precision;
  int32_t field_id;
  bool has_id;
  int32_t lt;      /* LogicalType member, 0 if absent */
  int32_t lt_unit; /* TIME/TIMESTAMP unit */
  int32_t lt_scale, lt_precision;
  int32_t lt_bits;
  bool lt_signed;
} selem;

typedef struct leaf {
  selem el;
  const char *name;
  bool top;    /* a top-level, non-repeated primitive */
  bool usable; /* top and of a type floe knows */
  bool optional;
  bool type_order; /* min/max ordered as the type (ColumnOrder TYPE_ORDER) */
  fl_type type;
  int64_t ts_mul, ts_div; /* timestamp unit -> micros */
  int32_t ts_unit;        /* FL_PQ_UNIT_* of a TIMESTAMP leaf, for TIMESTAMP_NS reads */
} leaf;

typedef struct chunk {
  int32_t phys, codec;
  int64_t num_values, total_compressed, data_off, dict_off;
  uint32_t nenc;
  int32_t enc[8]; /* the first 8 encodings listed */
  bool has_meta, external;
  uint64_t start, end; /* the pages' bytes in the file */
  bool has_stats, has_null_count;
  int64_t null_count;
  const uint8_t *min, *max, *lmin, *lmax; /* min_value/max_value, legacy min/max */
  uint32_t min_len, max_len, lmin_len, lmax_len;
  int64_t oi_off, ci_off; /* the page index (PageIndex.md); 0: absent */
  int32_t oi_len, ci_len;
  bool pages_read; /* pages/npages parsed (fl_parquet_reader_pages) */
  fl_parquet_page *pages;
  uint32_t npages;
} chunk;

typedef struct rowgroup {
  int64_t num_rows;
  uint64_t first_row;
  uint32_t ncols;
  chunk *chunks;
} rowgroup;

struct fl_parquet_reader {
  char *name;
  const uint8_t *data;
  uint64_t len;
  void *map;
  size_t map_len;
  fl_arena arena;
  selem *elems;
  uint32_t nelems;
  leaf *leaves;
  uint32_t nleaves;
  fl_schema schema;
  uint32_t *field_leaf; /* schema field -> leaf */
  rowgroup *rgs;
  uint32_t nrg;
  uint64_t nchunks; /* column chunks parsed, bounded by the footer's size */
  uint64_t num_rows;
  uint32_t nkv;
  const char **kv_key, **kv_val;
  int8_t *orders; /* per leaf: 1 TYPE_ORDER, 0 other, from column_orders */
  uint32_t norders;
  uint64_t data_end;    /* where the footer starts */
  bool ids_by_position; /* the file had no field ids: build_schema gave them by position */
};

#define CORRUPT(err, pr, ...) fl_err_set(err, FL_ECORRUPT, __VA_ARGS__)

/* ---- footer ---- */

static bool dec_want(fl_thrift_dec *dec, uint8_t type, uint8_t want) {
  if (type == want) return true;
  fl_thrift_dec_skip(dec, type, false);
  return false;
}

static bool parse_time_unit(fl_thrift_dec *dec, int32_t *unit) {
  uint8_t t;
  int16_t id;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    if (t == FL_TT_STRUCT) *unit = id;
    if (!fl_thrift_dec_skip(dec, t, false)) return false;
  }
  return !dec->cur.bad;
}

static bool parse_logical(fl_thrift_dec *dec, selem *e) {
  uint8_t t, t2;
  int16_t id, id2;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    if (t != FL_TT_STRUCT) {
      if (!fl_thrift_dec_skip(dec, t, false)) return false;
      continue;
    }
    e->lt = id;
    if (!fl_thrift_dec_struct_open(dec)) return false;
    while (fl_thrift_dec_field(dec, &t2, &id2)) {
      int32_t v;
      if (id == FL_PQ_LT_DECIMAL && (id2 == 1 || id2 == 2) && t2 == FL_TT_I32) {
        if (!fl_thrift_dec_i32(dec, &v)) return false;
        if (id2 == 1)
          e->lt_scale = v;
        else
          e->lt_precision = v;
      } else if ((id == FL_PQ_LT_TIMESTAMP || id == FL_PQ_LT_TIME) && id2 == 2 && t2 == FL_TT_STRUCT) {
        if (!parse_time_unit(dec, &e->lt_unit)) return false;
      } else if (id == FL_PQ_LT_INTEGER && id2 == 1 && t2 == FL_TT_I8) {
        uint8_t b;
        if (!fl_cursor_get_u8(&dec->cur, &b)) return false;
        e->lt_bits = (int8_t)b;
      } else if (id == FL_PQ_LT_INTEGER && id2 == 2 && fl_thrift_is_bool(t2)) {
        e->lt_signed = t2 == FL_TT_TRUE;
      } else if (!fl_thrift_dec_skip(dec, t2, false)) {
        return false;
      }
    }
    if (dec->cur.bad) return false;
  }
  return !dec->cur.bad;
}

static bool parse_schema_element(fl_thrift_dec *dec, selem *e) {
  uint8_t t;
  int16_t id;
  memset(e, 0, sizeof *e);
  e->phys = e->rep = e->converted = -1;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    int32_t *dst = NULL;
    switch (id) {
      case 1: dst = &e->phys; break;
      case 2: dst = &e->type_length; break;
      case 3: dst = &e->rep; break;
      case 5: dst = &e->num_children; break;
      case 6: dst = &e->converted; break;
      case 7: dst = &e->scale; break;
      case 8: dst = &e->precision; break;
      case 9:
        dst = &e->field_id;
        e->has_id = t == FL_TT_I32;
        break;
      case 4:
        if (dec_want(dec, t, FL_TT_BINARY) && !fl_thrift_dec_binary(dec, &e->name, &e->name_len))
          return false;
        continue;
      case 10:
        if (dec_want(dec, t, FL_TT_STRUCT) && !parse_logical(dec, e)) return false;
        continue;
      default: break;
    }
    if (dst && t == FL_TT_I32) {
      if (!fl_thrift_dec_i32(dec, dst)) return false;
    } else if (!fl_thrift_dec_skip(dec, t, false)) {
      return false;
    }
  }
  return !dec->cur.bad;
}

static bool parse_stats(fl_thrift_dec *dec, chunk *ch) {
  uint8_t t;
  int16_t id;
  ch->has_stats = true;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    const uint8_t **p = NULL;
    uint32_t *n = NULL;
    switch (id) {
      case 1: p = &ch->lmax, n = &ch->lmax_len; break;
      case 2: p = &ch->lmin, n = &ch->lmin_len; break;
      case 5: p = &ch->max, n = &ch->max_len; break;
      case 6: p = &ch->min, n = &ch->min_len; break;
      case 3:
        if (t == FL_TT_I64) {
          if (!fl_thrift_dec_i64(dec, &ch->null_count)) return false;
          ch->has_null_count = true;
          continue;
        }
        break;
      default: break;
    }
    if (p && t == FL_TT_BINARY) {
      if (!fl_thrift_dec_binary(dec, p, n)) return false;
    } else if (!fl_thrift_dec_skip(dec, t, false)) {
      return false;
    }
  }
  return !dec->cur.bad;
}

static bool parse_encodings(fl_thrift_dec *dec, chunk *ch) {
  uint8_t et;
  uint32_t n;
  if (!fl_thrift_dec_list(dec, &et, &n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    int32_t v;
    if (et != FL_TT_I32) {
      if (!fl_thrift_dec_skip(dec, et, true)) return false;
      continue;
    }
    if (!fl_thrift_dec_i32(dec, &v)) return false;
    if (ch->nenc < 8) ch->enc[ch->nenc] = v;
    ch->nenc++;
  }
  return true;
}

static bool parse_column_meta(fl_thrift_dec *dec, chunk *ch) {
  uint8_t t;
  int16_t id;
  ch->has_meta = true;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    bool ok = true;
    if (id == 1 && t == FL_TT_I32)
      ok = fl_thrift_dec_i32(dec, &ch->phys);
    else if (id == 4 && t == FL_TT_I32)
      ok = fl_thrift_dec_i32(dec, &ch->codec);
    else if (id == 2 && t == FL_TT_LIST)
      ok = parse_encodings(dec, ch);
    else if (id == 5 && t == FL_TT_I64)
      ok = fl_thrift_dec_i64(dec, &ch->num_values);
    else if (id == 7 && t == FL_TT_I64)
      ok = fl_thrift_dec_i64(dec, &ch->total_compressed);
    else if (id == 9 && t == FL_TT_I64)
      ok = fl_thrift_dec_i64(dec, &ch->data_off);
    else if (id == 11 && t == FL_TT_I64)
      ok = fl_thrift_dec_i64(dec, &ch->dict_off);
    else if (id == 12 && t == FL_TT_STRUCT)
      ok = parse_stats(dec, ch);
    else
      ok = fl_thrift_dec_skip(dec, t, false);
    if (!ok) return false;
  }
  return !dec->cur.bad;
}

static bool parse_column_chunk(fl_thrift_dec *dec, chunk *ch) {
  uint8_t t;
  int16_t id;
  memset(ch, 0, sizeof *ch);
  ch->phys = -1;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    bool ok;
    if (id == 1 && t == FL_TT_BINARY) {
      ch->external = true;
      ok = fl_thrift_dec_skip(dec, t, false);
    } else if (id == 3 && t == FL_TT_STRUCT) {
      ok = parse_column_meta(dec, ch);
    } else if ((id == 4 || id == 6) && t == FL_TT_I64) {
      ok = fl_thrift_dec_i64(dec, id == 4 ? &ch->oi_off : &ch->ci_off);
    } else if ((id == 5 || id == 7) && t == FL_TT_I32) {
      ok = fl_thrift_dec_i32(dec, id == 5 ? &ch->oi_len : &ch->ci_len);
    } else {
      ok = fl_thrift_dec_skip(dec, t, false);
    }
    if (!ok) return false;
  }
  return !dec->cur.bad;
}

static bool parse_row_group(fl_parquet_reader *pr, fl_thrift_dec *dec, rowgroup *rg) {
  uint8_t t, et;
  int16_t id;
  uint32_t n;
  memset(rg, 0, sizeof *rg);
  rg->num_rows = -1;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    if (id == 1 && t == FL_TT_LIST && !rg->chunks) {
      if (!fl_thrift_dec_list(dec, &et, &n)) return false;
      if (et != FL_TT_STRUCT || n > FL_COLUMNS_MAX) return (dec->cur.bad = true, false);
      /* memory follows the bytes: a real ColumnChunk (offset, metadata with type,
       * encodings, path, codec, counts, sizes, page offset) takes over 16 bytes */
      pr->nchunks += n;
      if (pr->nchunks > dec->cur.len / CHUNK_BYTES_MIN + 1) return (dec->cur.bad = true, false);
      rg->ncols = n;
      rg->chunks = fl_arena_calloc(&pr->arena, n ? n : 1, sizeof *rg->chunks);
      for (uint32_t c = 0; c < n; c++)
        if (!parse_column_chunk(dec, &rg->chunks[c])) return false;
    } else if (id == 3 && t == FL_TT_I64) {
      if (!fl_thrift_dec_i64(dec, &rg->num_rows)) return false;
    } else if (!fl_thrift_dec_skip(dec, t, false)) {
      return false;
    }
  }
  return !dec->cur.bad;
}

static bool parse_kv(fl_parquet_reader *pr, fl_thrift_dec *dec, uint32_t i) {
  uint8_t t;
  int16_t id;
  const uint8_t *p;
  uint32_t n;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    if ((id == 1 || id == 2) && t == FL_TT_BINARY) {
      if (!fl_thrift_dec_binary(dec, &p, &n)) return false;
      char *s = fl_arena_strndup(&pr->arena, (const char *)p, n);
      if (id == 1)
        pr->kv_key[i] = s;
      else
        pr->kv_val[i] = s;
    } else if (!fl_thrift_dec_skip(dec, t, false)) {
      return false;
    }
  }
  return !dec->cur.bad;
}

static bool parse_column_orders(fl_parquet_reader *pr, fl_thrift_dec *dec) {
  uint8_t et, t;
  int16_t id;
  uint32_t n;
  if (!fl_thrift_dec_list(dec, &et, &n)) return false;
  if (et != FL_TT_STRUCT) {
    for (uint32_t i = 0; i < n; i++)
      if (!fl_thrift_dec_skip(dec, et, true)) return false;
    return true;
  }
  pr->orders = fl_arena_calloc(&pr->arena, n ? n : 1, 1);
  pr->norders = n;
  for (uint32_t i = 0; i < n; i++) {
    if (!fl_thrift_dec_struct_open(dec)) return false;
    while (fl_thrift_dec_field(dec, &t, &id)) {
      if (id == 1 && t == FL_TT_STRUCT) pr->orders[i] = 1;
      if (!fl_thrift_dec_skip(dec, t, false)) return false;
    }
    if (dec->cur.bad) return false;
  }
  return true;
}

static bool parse_file_meta(fl_parquet_reader *pr, fl_thrift_dec *dec) {
  uint8_t t, et;
  int16_t id;
  uint32_t n;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    if (id == 2 && t == FL_TT_LIST && !pr->elems) {
      if (!fl_thrift_dec_list(dec, &et, &n)) return false;
      if (et != FL_TT_STRUCT || n == 0 || n > SCHEMA_ELEMENTS_MAX) return (dec->cur.bad = true, false);
      pr->elems = fl_arena_calloc(&pr->arena, n, sizeof *pr->elems);
      pr->nelems = n;
      for (uint32_t i = 0; i < n; i++)
        if (!parse_schema_element(dec, &pr->elems[i])) return false;
    } else if (id == 4 && t == FL_TT_LIST && !pr->rgs) {
      if (!fl_thrift_dec_list(dec, &et, &n)) return false;
      if (et != FL_TT_STRUCT) return (dec->cur.bad = true, false);
      pr->rgs = fl_arena_calloc(&pr->arena, n ? n : 1, sizeof *pr->rgs);
      pr->nrg = n;
      for (uint32_t i = 0; i < n; i++)
        if (!parse_row_group(pr, dec, &pr->rgs[i])) return false;
    } else if (id == 5 && t == FL_TT_LIST && !pr->kv_key) {
      if (!fl_thrift_dec_list(dec, &et, &n)) return false;
      /* an empty list may name any element type (hyparquet-writer writes BYTE) */
      if (et != FL_TT_STRUCT && n) return (dec->cur.bad = true, false);
      pr->kv_key = fl_arena_calloc(&pr->arena, n ? n : 1, sizeof *pr->kv_key);
      pr->kv_val = fl_arena_calloc(&pr->arena, n ? n : 1, sizeof *pr->kv_val);
      pr->nkv = n;
      for (uint32_t i = 0; i < n; i++)
        if (!parse_kv(pr, dec, i)) return false;
    } else if (id == 7 && t == FL_TT_LIST && !pr->orders) {
      if (!parse_column_orders(pr, dec)) return false;
    } else if (!fl_thrift_dec_skip(dec, t, false)) {
      return false;
    }
  }
  return !dec->cur.bad;
}

/* Maps a leaf to a floe type; false if floe cannot read it. */
static bool leaf_type(leaf *lf) {
  const selem *e = &lf->el;
  int32_t ct = e->converted, lt = e->lt;
  bool is_dec = lt == FL_PQ_LT_DECIMAL || ct == FL_PQ_CT_DECIMAL;
  int32_t prec = lt == FL_PQ_LT_DECIMAL ? e->lt_precision : e->precision;
  int32_t scale = lt == FL_PQ_LT_DECIMAL ? e->lt_scale : e->scale;
  lf->ts_mul = lf->ts_div = 1;
  memset(&lf->type, 0, sizeof lf->type);
  switch (e->phys) {
    case FL_PQ_BOOLEAN: lf->type.kind = FL_T_BOOLEAN; return true;
    case FL_PQ_INT32:
      if (is_dec) break;
      if (lt == FL_PQ_LT_DATE || ct == FL_PQ_CT_DATE)
        lf->type.kind = FL_T_DATE;
      else if (lt == FL_PQ_LT_TIME || ct == FL_PQ_CT_TIME_MILLIS) {
        if (lt == FL_PQ_LT_TIME && e->lt_unit != FL_PQ_UNIT_MILLIS) return false;
        lf->type.kind = FL_T_TIME; /* milliseconds since midnight */
        lf->ts_mul = 1000;
      } else if (ct == FL_PQ_CT_UINT_32)
        return false;
      else if (lt == FL_PQ_LT_INTEGER && !e->lt_signed && e->lt_bits == 32)
        return false;
      else
        lf->type.kind = FL_T_INT;
      return true;
    case FL_PQ_INT64:
      if (is_dec) break;
      if (lt == FL_PQ_LT_TIMESTAMP || ct == FL_PQ_CT_TIMESTAMP_MICROS || ct == FL_PQ_CT_TIMESTAMP_MILLIS) {
        int32_t unit = lt == FL_PQ_LT_TIMESTAMP          ? e->lt_unit
                       : ct == FL_PQ_CT_TIMESTAMP_MILLIS ? FL_PQ_UNIT_MILLIS
                                                         : FL_PQ_UNIT_MICROS;
        if (unit == FL_PQ_UNIT_MILLIS)
          lf->ts_mul = 1000;
        else if (unit == FL_PQ_UNIT_NANOS)
          lf->ts_div = 1000;
        else if (unit != FL_PQ_UNIT_MICROS)
          return false;
        lf->ts_unit = unit;
        lf->type.kind = FL_T_TIMESTAMP;
      } else if (lt == FL_PQ_LT_TIME || ct == FL_PQ_CT_TIME_MICROS) {
        int32_t unit = lt == FL_PQ_LT_TIME ? e->lt_unit : FL_PQ_UNIT_MICROS;
        if (unit == FL_PQ_UNIT_NANOS)
          lf->ts_div = 1000;
        else if (unit != FL_PQ_UNIT_MICROS)
          return false;
        lf->type.kind = FL_T_TIME;
      } else if (ct == FL_PQ_CT_UINT_64 || (lt == FL_PQ_LT_INTEGER && !e->lt_signed && e->lt_bits == 64)) {
        return false;
      } else {
        lf->type.kind = FL_T_BIGINT;
      }
      return true;
    case FL_PQ_FLOAT: lf->type.kind = FL_T_FLOAT; return true;
    case FL_PQ_DOUBLE: lf->type.kind = FL_T_DOUBLE; return true;
    case FL_PQ_BYTE_ARRAY:
      if (is_dec) break; /* big-endian two's complement, any length (foreign writers) */
      if (lt == FL_PQ_LT_BSON || ct == FL_PQ_CT_BSON) return false;
      lf->type.kind = (lt == FL_PQ_LT_JSON || ct == FL_PQ_CT_JSON) ? FL_T_JSON : FL_T_STRING;
      return true;
    case FL_PQ_FIXED_LEN_BYTE_ARRAY:
      if (e->type_length < 1 || (uint32_t)e->type_length > FL_FIXED_LENGTH_MAX) return false;
      if (!is_dec) { /* uuid (16 bytes with the UUID logical type), else fixed[L] */
        if (ct >= 0 || (lt && lt != FL_PQ_LT_UUID) || (lt == FL_PQ_LT_UUID && e->type_length != 16))
          return false;
        lf->type.kind = lt == FL_PQ_LT_UUID ? FL_T_UUID : FL_T_FIXED;
        if (lf->type.kind == FL_T_FIXED) lf->type.length = (uint32_t)e->type_length;
        return true;
      }
      /* decimal: big-endian two's complement in type_length bytes */
      if (e->type_length > 16) return false;
      break;
    default: return false;
  }
  /* decimal stored as INT32 / INT64 / FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY */
  if (prec < 1 || prec > FL_DECIMAL_PRECISION_MAX || scale < 0 || scale > prec) return false;
  if (e->phys == FL_PQ_INT32 && prec > 9) return false;
  if (e->phys == FL_PQ_INT64 && prec > 18) return false;
  lf->type.kind = FL_T_DECIMAL;
  lf->type.precision = (uint8_t)prec;
  lf->type.scale = (uint8_t)scale;
  return true;
}

/* Walks the schema tree from element *i: groups recurse, primitives become leaves. */
static bool walk_schema(fl_parquet_reader *pr, uint32_t *i, int depth, bool top) {
  if (*i >= pr->nelems || depth > FL_THRIFT_DEPTH_MAX) return false;
  const selem *e = &pr->elems[(*i)++];
  if (e->num_children < 0) return false;
  if (e->num_children > 0) {
    if ((uint32_t)e->num_children > pr->nelems - *i) return false;
    for (int32_t c = 0; c < e->num_children; c++)
      if (!walk_schema(pr, i, depth + 1, false)) return false;
    return true;
  }
  if (pr->nleaves >= FL_COLUMNS_MAX) return false;
  leaf *lf = &pr->leaves[pr->nleaves++];
  memset(lf, 0, sizeof *lf);
  lf->el = *e;
  lf->name = fl_arena_strndup(&pr->arena, e->name ? (const char *)e->name : "", e->name_len);
  lf->top = top && e->rep != FL_PQ_REPEATED && e->phys >= 0;
  lf->optional = e->rep != FL_PQ_REQUIRED;
  lf->usable = lf->top && leaf_type(lf);
  return true;
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

static fl_code build_schema(fl_parquet_reader *pr, fl_err *err) {
  if (!pr->elems) return CORRUPT(err, pr, "%s: footer has no schema", pr->name);
  pr->leaves = fl_arena_calloc(&pr->arena, pr->nelems, sizeof *pr->leaves);
  uint32_t i = 1;
  const selem *root = &pr->elems[0];
  if (root->num_children < 0 || (uint32_t)root->num_children > pr->nelems - 1)
    return CORRUPT(err, pr, "%s: schema root has %d children, the schema %u elements", pr->name,
                   root->num_children, pr->nelems);
  for (int32_t c = 0; c < root->num_children; c++)
    if (!walk_schema(pr, &i, 1, true))
      return CORRUPT(err, pr, "%s: schema element %u: malformed schema tree (children, depth or count)",
                     pr->name, i);
  if (i != pr->nelems)
    return CORRUPT(err, pr, "%s: schema has %u elements, the tree under the root %u", pr->name, pr->nelems,
                   i);
  /* A file with no field ids at all (written outside Iceberg) gets ids by column
   * position, 1, 2, ..., as Java Iceberg's fallback ids do. */
  bool any_id = false;
  for (uint32_t l = 0; l < pr->nleaves; l++) any_id |= pr->leaves[l].el.has_id;
  pr->ids_by_position = !any_id;
  if (!any_id)
    for (uint32_t l = 0; l < pr->nleaves; l++) {
      pr->leaves[l].el.has_id = true;
      pr->leaves[l].el.field_id = (int32_t)l + 1;
    }
  /* field ids must be unique: they are how columns are found */
  int32_t *ids = fl_malloc((pr->nleaves ? pr->nleaves : 1) * sizeof *ids);
  uint32_t nids = 0;
  for (uint32_t l = 0; l < pr->nleaves; l++)
    if (pr->leaves[l].el.has_id) ids[nids++] = pr->leaves[l].el.field_id;
  qsort(ids, nids, sizeof *ids, cmp_i32);
  for (uint32_t k = 1; k < nids; k++)
    if (ids[k] == ids[k - 1]) {
      int32_t dup = ids[k];
      fl_free(ids);
      return CORRUPT(err, pr, "%s: field id %d appears on two columns", pr->name, dup);
    }
  fl_free(ids);
  uint32_t nf = 0;
  for (uint32_t l = 0; l < pr->nleaves; l++) nf += pr->leaves[l].usable;
  pr->schema.fields = fl_arena_calloc(&pr->arena, nf ? nf : 1, sizeof *pr->schema.fields);
  pr->field_leaf = fl_arena_calloc(&pr->arena, nf ? nf : 1, sizeof *pr->field_leaf);
  for (uint32_t l = 0; l < pr->nleaves; l++) {
    leaf *lf = &pr->leaves[l];
    lf->type_order = !pr->orders || l >= pr->norders || pr->orders[l];
    if (!lf->usable) continue;
    fl_field *f = &pr->schema.fields[pr->schema.nfields];
    f->id = lf->el.has_id ? lf->el.field_id : 0;
    f->name = lf->name;
    f->type = lf->type;
    f->required = !lf->optional;
    pr->field_leaf[pr->schema.nfields++] = l;
  }
  return FL_OK;
}

static fl_code check_row_groups(fl_parquet_reader *pr, uint64_t data_end, fl_err *err) {
  uint64_t rows = 0;
  for (uint32_t r = 0; r < pr->nrg; r++) {
    rowgroup *rg = &pr->rgs[r];
    if (rg->num_rows < 0 || (uint64_t)rg->num_rows > (uint64_t)INT64_MAX - rows)
      return CORRUPT(err, pr, "%s: row group %u: bad row count %lld", pr->name, r, (long long)rg->num_rows);
    if (rg->ncols != pr->nleaves)
      return CORRUPT(err, pr, "%s: row group %u has %u column chunks, the schema %u columns", pr->name, r,
                     rg->ncols, pr->nleaves);
    rg->first_row = rows;
    rows += (uint64_t)rg->num_rows;
    for (uint32_t c = 0; c < rg->ncols; c++) {
      chunk *ch = &rg->chunks[c];
      if (!ch->has_meta)
        return CORRUPT(err, pr, "%s: column chunk %u of row group %u has no metadata", pr->name, c, r);
      if (ch->phys != pr->leaves[c].el.phys)
        return CORRUPT(err, pr, "%s: column chunk %u of row group %u: type %d, the schema says %d", pr->name,
                       c, r, ch->phys, pr->leaves[c].el.phys);
      int64_t start = ch->data_off;
      if (ch->dict_off > 0 && ch->dict_off < ch->data_off) start = ch->dict_off;
      if (ch->num_values < 0 || ch->total_compressed < 0 || start < FL_PQ_MAGIC_LEN ||
          (uint64_t)start > data_end || (uint64_t)ch->total_compressed > data_end - (uint64_t)start)
        return CORRUPT(err, pr,
                       "%s: column chunk %u of row group %u: pages at offset %lld (%lld bytes) lie outside "
                       "the data region [4, %llu)",
                       pr->name, c, r, (long long)start, (long long)ch->total_compressed,
                       (unsigned long long)data_end);
      ch->start = (uint64_t)start;
      ch->end = (uint64_t)start + (uint64_t)ch->total_compressed;
    }
  }
  pr->num_rows = rows;
  pr->data_end = data_end;
  return FL_OK;
}

static fl_code open_bytes(fl_parquet_reader *pr, fl_err *err) {
  const uint8_t *d = pr->data;
  uint64_t len = pr->len;
  if (len < 2 * FL_PQ_MAGIC_LEN + 4)
    return CORRUPT(err, pr, "%s: %llu bytes is too short for a Parquet file", pr->name,
                   (unsigned long long)len);
  if (memcmp(d, FL_PQ_MAGIC, 4) != 0) return CORRUPT(err, pr, "%s: no PAR1 magic at the start", pr->name);
  if (memcmp(d + len - 4, FL_PQ_MAGIC, 4) != 0)
    return CORRUPT(err, pr, "%s: no PAR1 magic at the end (truncated file?)", pr->name);
  uint32_t mlen = fl_le32(d + len - 8);
  if (mlen > len - 12 || mlen > FL_PARQUET_FOOTER_MAX)
    return CORRUPT(err, pr, "%s: footer length %u exceeds the file size %llu", pr->name, mlen,
                   (unsigned long long)len);
  uint64_t meta_off = len - 8 - mlen;
  fl_thrift_dec dec;
  fl_thrift_dec_init(&dec, d + meta_off, mlen);
  if (!parse_file_meta(pr, &dec))
    return CORRUPT(err, pr, "%s: footer is malformed at offset %llu", pr->name,
                   (unsigned long long)(meta_off + dec.cur.pos));
  fl_code rc = build_schema(pr, err);
  if (rc) return rc;
  return check_row_groups(pr, meta_off, err);
}

static fl_parquet_reader *reader_new(const char *name) {
  fl_parquet_reader *pr = fl_calloc(1, sizeof *pr);
  pr->name = fl_strdup(name ? name : "(memory)");
  fl_arena_init(&pr->arena, 64 << 10);
  return pr;
}

fl_code fl_parquet_reader_open_mem(const uint8_t *data, uint64_t len, const char *name,
                                   fl_parquet_reader **out, fl_err *err) {
  *out = NULL;
  fl_parquet_reader *pr = reader_new(name);
  pr->data = data;
  pr->len = len;
  fl_code rc = open_bytes(pr, err);
  if (rc) {
    fl_parquet_reader_free(pr);
    return rc;
  }
  *out = pr;
  return FL_OK;
}

fl_code fl_parquet_reader_open(const char *path, fl_parquet_reader **out, fl_err *err) {
  *out = NULL;
  fl_code rc;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fl_err_errno(err, errno, "%s: open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    rc = fl_err_errno(err, errno, "%s: stat", path);
    close(fd);
    return rc;
  }
  fl_parquet_reader *pr = reader_new(path);
  if (st.st_size > 0) {
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      rc = fl_err_errno(err, errno, "%s: mmap", path);
      close(fd);
      fl_parquet_reader_free(pr);
      return rc;
    }
    pr->map = map;
    pr->map_len = (size_t)st.st_size;
    pr->data = map;
    pr->len = (uint64_t)st.st_size;
  } else {
    pr->data = (const uint8_t *)"";
  }
  close(fd);
  if ((rc = open_bytes(pr, err))) {
    fl_parquet_reader_free(pr);
    return rc;
  }
  *out = pr;
  return FL_OK;
}

void fl_parquet_reader_free(fl_parquet_reader *pr) {
  if (!pr) return;
  if (pr->map) munmap(pr->map, pr->map_len);
  fl_arena_destroy(&pr->arena);
  fl_free(pr->name);
  fl_free(pr);
}

const fl_schema *fl_parquet_reader_schema(const fl_parquet_reader *pr) { return &pr->schema; }
uint64_t fl_parquet_reader_num_rows(const fl_parquet_reader *pr) { return pr->num_rows; }
uint32_t fl_parquet_reader_row_groups(const fl_parquet_reader *pr) { return pr->nrg; }

uint64_t fl_parquet_reader_row_group_rows(const fl_parquet_reader *pr, uint32_t rg) {
  return rg < pr->nrg ? (uint64_t)pr->rgs[rg].num_rows : 0;
}

const char *fl_parquet_reader_kv(const fl_parquet_reader *pr, const char *key) {
  for (uint32_t i = 0; i < pr->nkv; i++)
    if (pr->kv_key[i] && strcmp(pr->kv_key[i], key) == 0) return pr->kv_val[i] ? pr->kv_val[i] : "";
  return NULL;
}

static int leaf_of_field(const fl_parquet_reader *pr, int32_t field_id) {
  for (uint32_t l = 0; l < pr->nleaves; l++)
    if (pr->leaves[l].el.has_id && pr->leaves[l].el.field_id == field_id) return (int)l;
  return -1;
}

bool fl_parquet_reader_chunk_info(const fl_parquet_reader *pr, uint32_t rg, int32_t field_id,
                                  fl_parquet_chunk_info *out) {
  memset(out, 0, sizeof *out);
  int l = leaf_of_field(pr, field_id);
  if (rg >= pr->nrg || l < 0) return false;
  const chunk *ch = &pr->rgs[rg].chunks[l];
  out->codec = ch->codec;
  out->nencodings = ch->nenc;
  memcpy(out->encodings, ch->enc, sizeof out->encodings);
  out->data_page_offset = (uint64_t)ch->data_off;
  out->dictionary_page_offset = ch->dict_off > 0 && ch->dict_off < ch->data_off ? (uint64_t)ch->dict_off : 0;
  out->total_compressed_bytes = (uint64_t)ch->total_compressed;
  out->num_values = (uint64_t)ch->num_values;
  return true;
}

/* A statistics value as the leaf's type; false if it does not decode. */
static bool stat_value(const leaf *lf, const uint8_t *p, uint32_t n, fl_value *v) {
  memset(v, 0, sizeof *v);
  v->type = lf->type;
  switch (lf->el.phys) {
    case FL_PQ_BOOLEAN:
      if (n != 1) return false;
      v->u.b = p[0] != 0;
      return true;
    case FL_PQ_INT32:
      if (n != 4) return false;
      if (lf->type.kind == FL_T_TIME)
        v->u.i64 = (int64_t)(int32_t)fl_le32(p) * lf->ts_mul;
      else if (lf->type.kind == FL_T_DECIMAL)
        v->u.i64 = (int32_t)fl_le32(p);
      else
        v->u.i32 = (int32_t)fl_le32(p);
      return true;
    case FL_PQ_INT64:
      if (n != 8) return false;
      v->u.i64 = (int64_t)fl_le64(p);
      if (lf->ts_mul != 1) {
        if (__builtin_mul_overflow(v->u.i64, lf->ts_mul, &v->u.i64)) return false;
      } else if (lf->ts_div != 1) {
        v->u.i64 = fl_floor_div(v->u.i64, lf->ts_div);
      }
      return true;
    case FL_PQ_FLOAT:
      if (n != 4) return false;
      memcpy(&v->u.f32, p, 4);
      return !isnan(v->u.f32);
    case FL_PQ_DOUBLE:
      if (n != 8) return false;
      memcpy(&v->u.f64, p, 8);
      return !isnan(v->u.f64);
    case FL_PQ_BYTE_ARRAY:
    case FL_PQ_FIXED_LEN_BYTE_ARRAY:
      if (lf->type.kind == FL_T_DECIMAL) {
        fl_i128 x;
        if (!fl_dec128_from_be(p, n, &x) || !fl_dec128_fits(x, lf->type.precision)) return false;
        fl_value_set_dec(v, x);
        return true;
      }
      if (lf->el.phys == FL_PQ_FIXED_LEN_BYTE_ARRAY && n != (uint32_t)lf->el.type_length) return false;
      v->u.str.ptr = (const char *)p;
      v->u.str.len = n;
      return true;
    default: return false;
  }
}

bool fl_parquet_reader_row_group_stats(const fl_parquet_reader *pr, uint32_t rg, int32_t field_id,
                                       fl_column_stats *out) {
  memset(out, 0, sizeof *out);
  int l = leaf_of_field(pr, field_id);
  if (rg >= pr->nrg || l < 0 || !pr->leaves[l].usable) return false;
  const leaf *lf = &pr->leaves[l];
  const chunk *ch = &pr->rgs[rg].chunks[l];
  if (!ch->has_stats) return false;
  out->field_id = field_id;
  out->compressed_bytes = (uint64_t)ch->total_compressed;
  out->value_count = (uint64_t)ch->num_values;
  out->null_count = ch->has_null_count && ch->null_count >= 0 ? (uint64_t)ch->null_count : 0;
  const uint8_t *mn = ch->min, *mx = ch->max;
  uint32_t mn_len = ch->min_len, mx_len = ch->max_len;
  /* The deprecated min/max were compared as signed bytes: usable for numbers only. */
  if ((!mn || !mx) && lf->el.phys != FL_PQ_BYTE_ARRAY && lf->el.phys != FL_PQ_FIXED_LEN_BYTE_ARRAY) {
    mn = ch->lmin, mx = ch->lmax;
    mn_len = ch->lmin_len, mx_len = ch->lmax_len;
  }
  if (mn && mx && lf->type_order && stat_value(lf, mn, mn_len, &out->min) &&
      stat_value(lf, mx, mx_len, &out->max) && fl_value_cmp(&out->min, &out->max) <= 0)
    out->has_bounds = true;
  else
    memset(&out->min, 0, sizeof out->min), memset(&out->max, 0, sizeof out->max);
  return true;
}

/* ---- the page index (PageIndex.md): OffsetIndex and ColumnIndex of a chunk ---- */

static bool parse_page_location(fl_thrift_dec *dec, fl_parquet_page *pg) {
  uint8_t t;
  int16_t id;
  int64_t off = -1, first = -1;
  int32_t bytes = -1;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    bool ok;
    if (id == 1 && t == FL_TT_I64)
      ok = fl_thrift_dec_i64(dec, &off);
    else if (id == 2 && t == FL_TT_I32)
      ok = fl_thrift_dec_i32(dec, &bytes);
    else if (id == 3 && t == FL_TT_I64)
      ok = fl_thrift_dec_i64(dec, &first);
    else
      ok = fl_thrift_dec_skip(dec, t, false);
    if (!ok) return false;
  }
  if (dec->cur.bad || off < 0 || bytes < 0 || first < 0) return (dec->cur.bad = true, false);
  pg->offset = (uint64_t)off;
  pg->bytes = (uint32_t)bytes;
  pg->first_row = (uint64_t)first;
  return true;
}

/* OffsetIndex: the pages' locations and first rows. */
static bool parse_offset_index(fl_parquet_reader *pr, fl_thrift_dec *dec, chunk *ch) {
  uint8_t t, et;
  int16_t id;
  uint32_t n;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    if (id == 1 && t == FL_TT_LIST && !ch->pages) {
      if (!fl_thrift_dec_list(dec, &et, &n)) return false;
      if (et != FL_TT_STRUCT) return (dec->cur.bad = true, false);
      ch->pages = fl_arena_calloc(&pr->arena, n ? n : 1, sizeof *ch->pages);
      ch->npages = n;
      for (uint32_t i = 0; i < n; i++)
        if (!parse_page_location(dec, &ch->pages[i])) return false;
    } else if (!fl_thrift_dec_skip(dec, t, false)) {
      return false;
    }
  }
  return !dec->cur.bad;
}

/* ColumnIndex: per page null_pages, min_values, max_values, null_counts (lists of
 * npages entries each; a list of another length is corrupt). */
static bool parse_column_index(fl_parquet_reader *pr, fl_thrift_dec *dec, const leaf *lf, chunk *ch) {
  uint8_t t, et;
  int16_t id;
  uint32_t n;
  bool seen[6] = {0};
  uint8_t *ok_bounds = fl_arena_calloc(&pr->arena, ch->npages ? ch->npages : 1, 1); /* bit 0 min, 1 max */
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    if ((id == 1 || id == 2 || id == 3 || id == 5) && t == FL_TT_LIST && !seen[id]) {
      seen[id] = true;
      if (!fl_thrift_dec_list(dec, &et, &n)) return false;
      if (n != ch->npages) return (dec->cur.bad = true, false);
      for (uint32_t i = 0; i < n; i++) {
        fl_parquet_page *pg = &ch->pages[i];
        if (id == 1) { /* null_pages: bools, one byte each in a list */
          uint8_t b;
          if (!fl_thrift_is_bool(et) || !fl_cursor_get_u8(&dec->cur, &b)) return (dec->cur.bad = true, false);
          pg->null_page = b == FL_TT_TRUE;
        } else if (id == 5) { /* null_counts */
          int64_t v;
          if (et != FL_TT_I64 || !fl_cursor_get_zigzag(&dec->cur, &v)) return (dec->cur.bad = true, false);
          pg->has_null_count = v >= 0;
          pg->null_count = v >= 0 ? (uint64_t)v : 0;
        } else { /* min_values, max_values */
          const uint8_t *p;
          uint32_t len;
          if (et != FL_TT_BINARY || !fl_thrift_dec_binary(dec, &p, &len)) return (dec->cur.bad = true, false);
          fl_value *v = id == 2 ? &pg->min : &pg->max;
          bool ok = lf->type_order && stat_value(lf, p, len, v);
          /* a BYTE_ARRAY decimal's bound may be truncated: not a value */
          if (lf->type.kind == FL_T_DECIMAL && lf->el.phys == FL_PQ_BYTE_ARRAY) ok = false;
          if (ok) ok_bounds[i] |= id == 2 ? 1 : 2;
        }
      }
    } else if (!fl_thrift_dec_skip(dec, t, false)) {
      return false;
    }
  }
  if (dec->cur.bad || !seen[1] || !seen[2] || !seen[3]) return (dec->cur.bad = true, false);
  for (uint32_t i = 0; i < ch->npages; i++) {
    fl_parquet_page *pg = &ch->pages[i];
    pg->has_index = true;
    pg->has_bounds = ok_bounds[i] == 3;
    if (pg->null_page || (pg->has_bounds && fl_value_cmp(&pg->min, &pg->max) > 0)) pg->has_bounds = false;
  }
  return true;
}

/* The index region [off, off + len) must lie in the data region before the footer. */
static bool index_range_ok(const fl_parquet_reader *pr, int64_t off, int32_t len) {
  return off >= FL_PQ_MAGIC_LEN && len > 0 && (uint64_t)off <= pr->data_end &&
         (uint64_t)len <= pr->data_end - (uint64_t)off;
}

static fl_code load_pages(fl_parquet_reader *pr, uint32_t rg, uint32_t l, fl_err *err) {
  chunk *ch = &pr->rgs[rg].chunks[l];
  if (ch->pages_read) return FL_OK;
  ch->pages_read = true;
  if (!ch->oi_off && !ch->oi_len) return FL_OK;
  uint64_t rows = (uint64_t)pr->rgs[rg].num_rows;
  fl_thrift_dec dec;
  if (!index_range_ok(pr, ch->oi_off, ch->oi_len)) {
    ch->pages = NULL, ch->npages = 0;
    return CORRUPT(err, pr,
                   "%s: column chunk %u of row group %u: offset index at %lld (%d bytes) lies outside "
                   "the data region [4, %llu)",
                   pr->name, l, rg, (long long)ch->oi_off, ch->oi_len, (unsigned long long)pr->data_end);
  }
  fl_thrift_dec_init(&dec, pr->data + ch->oi_off, (size_t)ch->oi_len);
  bool ok = parse_offset_index(pr, &dec, ch) && ch->pages && (ch->npages > 0) == (rows > 0);
  const char *what = "is malformed";
  for (uint32_t i = 0; ok && i < ch->npages; i++) { /* pages in the chunk, rows ascending from 0 */
    const fl_parquet_page *pg = &ch->pages[i];
    uint64_t next_row = i + 1 < ch->npages ? ch->pages[i + 1].first_row : rows;
    uint64_t prev_end = i ? ch->pages[i - 1].offset + ch->pages[i - 1].bytes : ch->start;
    if ((i == 0 && pg->first_row != 0) || next_row <= pg->first_row || next_row > rows)
      ok = false, what = "has first rows that do not ascend from 0 within the row group";
    else if (pg->offset < prev_end || pg->offset >= ch->end || pg->bytes > ch->end - pg->offset)
      ok = false, what = "has a page outside the column chunk or overlapping the one before";
    else
      ch->pages[i].rows = next_row - pg->first_row;
  }
  if (!ok) {
    uint64_t at = (uint64_t)ch->oi_off + dec.cur.pos;
    ch->pages = NULL, ch->npages = 0;
    return CORRUPT(err, pr, "%s: column chunk %u of row group %u: offset index at %lld %s (at offset %llu)",
                   pr->name, l, rg, (long long)ch->oi_off, what, (unsigned long long)at);
  }
  if (!ch->ci_off && !ch->ci_len) return FL_OK;
  if (!index_range_ok(pr, ch->ci_off, ch->ci_len) ||
      (fl_thrift_dec_init(&dec, pr->data + ch->ci_off, (size_t)ch->ci_len),
       !parse_column_index(pr, &dec, &pr->leaves[l], ch))) {
    ch->pages = NULL, ch->npages = 0;
    return CORRUPT(err, pr,
                   "%s: column chunk %u of row group %u: column index at %lld (%d bytes) is malformed "
                   "or lies outside the data region",
                   pr->name, l, rg, (long long)ch->ci_off, ch->ci_len);
  }
  return FL_OK;
}

fl_code fl_parquet_reader_pages(fl_parquet_reader *pr, uint32_t rg, int32_t field_id,
                                const fl_parquet_page **pages, uint32_t *n, fl_err *err) {
  *pages = NULL;
  *n = 0;
  int l = leaf_of_field(pr, field_id);
  if (rg >= pr->nrg || l < 0 || !pr->leaves[l].usable) return FL_OK;
  fl_code rc = load_pages(pr, rg, (uint32_t)l, err);
  if (rc) return rc;
  const chunk *ch = &pr->rgs[rg].chunks[l];
  *pages = ch->pages;
  *n = ch->npages;
  return FL_OK;
}

/* ---- decoding ---- */

/* RLE / bit-packed hybrid decoder over untrusted bytes. */
typedef struct hyb {
  const uint8_t *p, *end;
  unsigned bw;
  uint32_t rle_left, rle_val;
  uint32_t bp_left;
  const uint8_t *bp;
  size_t bp_bytes;
  uint64_t bp_bit;
} hyb;

static void hyb_init(hyb *h, const uint8_t *p, size_t n, unsigned bw) {
  memset(h, 0, sizeof *h);
  h->p = p;
  h->end = p + n;
  h->bw = bw;
}

static bool hyb_next_run(hyb *h) {
  uint64_t hdr = 0;
  for (int shift = 0;; shift += 7) {
    if (h->p >= h->end || shift > 63) return false;
    uint8_t b = *h->p++;
    hdr |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) break;
  }
  if (hdr & 1) {
    uint64_t groups = hdr >> 1;
    size_t avail = (size_t)(h->end - h->p);
    uint64_t bytes = groups * h->bw;
    if (groups > UINT32_MAX / 8) return false;
    uint64_t values = groups * 8;
    if (bytes > avail) { /* a truncated last run: take the whole values present */
      bytes = avail;
      values = h->bw ? bytes * 8 / h->bw : values;
      if (values > groups * 8) values = groups * 8;
    }
    h->bp = h->p;
    h->bp_bytes = (size_t)bytes;
    h->bp_bit = 0;
    h->bp_left = (uint32_t)values;
    h->p += bytes;
  } else {
    unsigned nb = (h->bw + 7) / 8;
    if ((size_t)(h->end - h->p) < nb || (hdr >> 1) > UINT32_MAX) return false;
    uint32_t v = 0;
    for (unsigned b = 0; b < nb; b++) v |= (uint32_t)h->p[b] << (8 * b);
    if (h->bw < 32 && (v >> h->bw)) return false;
    h->p += nb;
    h->rle_left = (uint32_t)(hdr >> 1);
    h->rle_val = v;
  }
  return true;
}

static inline uint32_t unpack_at(const uint8_t *base, size_t nbytes, uint64_t bit, unsigned bw) {
  size_t byte = (size_t)(bit >> 3);
  uint64_t w;
  if (byte + 8 <= nbytes) {
    memcpy(&w, base + byte, 8);
  } else {
    w = 0;
    for (size_t i = 0; byte + i < nbytes; i++) w |= (uint64_t)base[byte + i] << (8 * i);
  }
  w >>= bit & 7;
  return bw >= 32 ? (uint32_t)w : (uint32_t)(w & ((1u << bw) - 1));
}

/* The 8 values of a byte of bit-packed 1-bit values (definition levels of a flat
 * optional column), LSB first: built once, 8 KiB. */
static uint32_t bits8[256][8];
static pthread_once_t bits8_once = PTHREAD_ONCE_INIT;
static void bits8_build(void) {
  for (unsigned b = 0; b < 256; b++)
    for (unsigned s = 0; s < 8; s++) bits8[b][s] = (b >> s) & 1;
}

/* Reads n values; false if the runs end first. */
static bool hyb_get(hyb *h, uint32_t *out, uint32_t n) {
  while (n) {
    if (h->rle_left) {
      uint32_t m = n < h->rle_left ? n : h->rle_left;
      for (uint32_t i = 0; i < m; i++) out[i] = h->rle_val;
      h->rle_left -= m, out += m, n -= m;
    } else if (h->bp_left) {
      uint32_t m = n < h->bp_left ? n : h->bp_left, i = 0;
      const uint8_t *base = h->bp;
      size_t nbytes = h->bp_bytes;
      uint64_t bit = h->bp_bit;
      unsigned bw = h->bw;
      uint64_t mask = bw >= 32 ? 0xFFFFFFFFu : (1u << bw) - 1;
      if (bw == 1) { /* definition levels of a flat optional column: 8 a byte */
        for (; i < m && (bit & 7) && (bit >> 3) < nbytes; i++, bit++)
          out[i] = (base[bit >> 3] >> (bit & 7)) & 1;
        pthread_once(&bits8_once, bits8_build);
        for (; i + 8 <= m && (bit >> 3) < nbytes; i += 8, bit += 8)
          memcpy(out + i, bits8[base[bit >> 3]], 32);
      }
      if (bw > 1 && bw <= 8) { /* dictionary indexes, levels of nested leaves: a group of 8
                                  values is bw whole bytes, unpacked from one load */
        for (; i < m && bit % (8u * bw); i++, bit += bw) out[i] = unpack_at(base, nbytes, bit, bw);
        for (; i + 8 <= m && (bit >> 3) + 8 <= nbytes; i += 8, bit += 8u * bw) {
          uint64_t w;
          memcpy(&w, base + (bit >> 3), 8);
          for (unsigned j = 0; j < 8; j++) out[i + j] = (uint32_t)((w >> (j * bw)) & mask);
        }
      }
      /* while an 8-byte load stays inside the run (bit % 8 + bw <= 39 bits): no bounds
       * test per value; the run's last values through unpack_at */
      for (; i < m && (bit >> 3) + 8 <= nbytes; i++, bit += bw) {
        uint64_t w;
        memcpy(&w, base + (bit >> 3), 8);
        out[i] = (uint32_t)((w >> (bit & 7)) & mask);
      }
      for (; i < m; i++, bit += bw) out[i] = unpack_at(base, nbytes, bit, bw);
      h->bp_bit = bit;
      h->bp_left -= m, out += m, n -= m;
    } else if (!hyb_next_run(h)) {
      return false;
    }
  }
  return true;
}

/* DELTA_BINARY_PACKED decoder (INT32 / INT64): header <block size> <miniblocks per
 * block> <total count> <first value zigzag>; blocks of <min delta zigzag> <one bit
 * width byte per miniblock> <miniblocks of bit-packed delta - min delta>.
 * Arithmetic wraps, as the spec requires. Values are decoded 32 at a time (a
 * miniblock holds a multiple of 32): unpacked by a loop specialised for the bit
 * width (unpack32), then prefix-summed into buf, from which delta_get copies. */
enum { DELTA_GROUP = 32 };
typedef struct delta {
  const uint8_t *p, *end;
  uint64_t nmini, per_mini;
  uint64_t left; /* values not yet decoded into buf */
  int64_t buf[DELTA_GROUP];
  uint32_t buf_i, buf_n; /* buf[buf_i, buf_n) not yet returned */
  int64_t last;
  bool first;
  int64_t min_delta;
  const uint8_t *widths;
  uint64_t mini; /* next miniblock of the block */
  unsigned bw;
  uint64_t mini_left; /* values left in the current miniblock */
  const uint8_t *mp;
  size_t mp_bytes;
  uint64_t mp_bit;
} delta;

static bool get_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p >= end) return false;
    uint8_t b = *(*p)++;
    x |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false;
}

static bool delta_init(delta *d, const uint8_t *p, size_t n) {
  uint64_t block_size, first;
  memset(d, 0, sizeof *d);
  d->p = p;
  d->end = p + n;
  if (!get_uvarint(&d->p, d->end, &block_size) || !get_uvarint(&d->p, d->end, &d->nmini) ||
      !get_uvarint(&d->p, d->end, &d->left) || !get_uvarint(&d->p, d->end, &first))
    return false;
  if (!d->nmini || !block_size || block_size % 128 || block_size > (1u << 20) || block_size % d->nmini ||
      (block_size / d->nmini) % 32)
    return false;
  d->per_mini = block_size / d->nmini;
  d->last = (int64_t)(first >> 1) ^ -(int64_t)(first & 1);
  d->first = true;
  d->mini = d->nmini; /* no block read yet */
  return true;
}

static bool delta_next_mini(delta *d) {
  if (d->mini >= d->nmini) {
    uint64_t z;
    if (!get_uvarint(&d->p, d->end, &z)) return false;
    d->min_delta = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    if ((uint64_t)(d->end - d->p) < d->nmini) return false;
    d->widths = d->p;
    d->p += d->nmini;
    d->mini = 0;
  }
  d->bw = d->widths[d->mini++];
  if (d->bw > 64) return false;
  uint64_t bytes = d->per_mini * d->bw / 8;
  size_t avail = (size_t)(d->end - d->p);
  if (bytes > avail) bytes = avail; /* the last miniblock may be cut short */
  d->mp = d->p;
  d->mp_bytes = (size_t)bytes;
  d->mp_bit = 0;
  d->p += bytes;
  d->mini_left = d->per_mini;
  return true;
}

/* 32 values of BW bits, LSB first, from in (4 * BW bytes, readable 9 bytes past). */
static inline __attribute__((always_inline)) void unpack32_bw(const uint8_t *in, uint64_t *out, unsigned bw) {
#pragma GCC unroll 32
  for (unsigned i = 0; i < DELTA_GROUP; i++) {
    unsigned bit = i * bw, sh = bit & 7;
    const uint8_t *q = in + (bit >> 3);
    uint64_t w;
    memcpy(&w, q, 8);
    w >>= sh;
    if (bw > 56 && sh + bw > 64) w |= (uint64_t)q[8] << (64 - sh);
    out[i] = bw == 64 ? w : w & ((UINT64_C(1) << bw) - 1);
  }
}

/* One case per bit width: each an unrolled loop of constant shifts and masks. */
static void unpack32(const uint8_t *in, uint64_t *out, unsigned bw) {
  // clang-format off
  switch (bw) {
    case 0: memset(out, 0, DELTA_GROUP * sizeof *out); break;
    case 1: unpack32_bw(in, out, 1); break;
    case 2: unpack32_bw(in, out, 2); break;
    case 3: unpack32_bw(in, out, 3); break;
    case 4: unpack32_bw(in, out, 4); break;
    case 5: unpack32_bw(in, out, 5); break;
    case 6: unpack32_bw(in, out, 6); break;
    case 7: unpack32_bw(in, out, 7); break;
    case 8: unpack32_bw(in, out, 8); break;
    case 9: unpack32_bw(in, out, 9); break;
    case 10: unpack32_bw(in, out, 10); break;
    case 11: unpack32_bw(in, out, 11); break;
    case 12: unpack32_bw(in, out, 12); break;
    case 13: unpack32_bw(in, out, 13); break;
    case 14: unpack32_bw(in, out, 14); break;
    case 15: unpack32_bw(in, out, 15); break;
    case 16: unpack32_bw(in, out, 16); break;
    case 17: unpack32_bw(in, out, 17); break;
    case 18: unpack32_bw(in, out, 18); break;
    case 19: unpack32_bw(in, out, 19); break;
    case 20: unpack32_bw(in, out, 20); break;
    case 21: unpack32_bw(in, out, 21); break;
    case 22: unpack32_bw(in, out, 22); break;
    case 23: unpack32_bw(in, out, 23); break;
    case 24: unpack32_bw(in, out, 24); break;
    case 25: unpack32_bw(in, out, 25); break;
    case 26: unpack32_bw(in, out, 26); break;
    case 27: unpack32_bw(in, out, 27); break;
    case 28: unpack32_bw(in, out, 28); break;
    case 29: unpack32_bw(in, out, 29); break;
    case 30: unpack32_bw(in, out, 30); break;
    case 31: unpack32_bw(in, out, 31); break;
    case 32: unpack32_bw(in, out, 32); break;
    case 33: unpack32_bw(in, out, 33); break;
    case 34: unpack32_bw(in, out, 34); break;
    case 35: unpack32_bw(in, out, 35); break;
    case 36: unpack32_bw(in, out, 36); break;
    case 37: unpack32_bw(in, out, 37); break;
    case 38: unpack32_bw(in, out, 38); break;
    case 39: unpack32_bw(in, out, 39); break;
    case 40: unpack32_bw(in, out, 40); break;
    case 41: unpack32_bw(in, out, 41); break;
    case 42: unpack32_bw(in, out, 42); break;
    case 43: unpack32_bw(in, out, 43); break;
    case 44: unpack32_bw(in, out, 44); break;
    case 45: unpack32_bw(in, out, 45); break;
    case 46: unpack32_bw(in, out, 46); break;
    case 47: unpack32_bw(in, out, 47); break;
    case 48: unpack32_bw(in, out, 48); break;
    case 49: unpack32_bw(in, out, 49); break;
    case 50: unpack32_bw(in, out, 50); break;
    case 51: unpack32_bw(in, out, 51); break;
    case 52: unpack32_bw(in, out, 52); break;
    case 53: unpack32_bw(in, out, 53); break;
    case 54: unpack32_bw(in, out, 54); break;
    case 55: unpack32_bw(in, out, 55); break;
    case 56: unpack32_bw(in, out, 56); break;
    case 57: unpack32_bw(in, out, 57); break;
    case 58: unpack32_bw(in, out, 58); break;
    case 59: unpack32_bw(in, out, 59); break;
    case 60: unpack32_bw(in, out, 60); break;
    case 61: unpack32_bw(in, out, 61); break;
    case 62: unpack32_bw(in, out, 62); break;
    case 63: unpack32_bw(in, out, 63); break;
    case 64: unpack32_bw(in, out, 64); break;
    default: FL_ASSERT(0, "bit width %u", bw);
  }
  // clang-format on
}

/* Decodes the next values (the first value, or 32 of the miniblock) into buf. */
static bool delta_refill(delta *d) {
  if (!d->left) return false;
  if (d->first) {
    d->first = false;
    d->left--;
    d->buf[0] = d->last;
    d->buf_i = 0, d->buf_n = 1;
    return true;
  }
  while (!d->mini_left)
    if (!delta_next_mini(d)) return false;
  unsigned bw = d->bw;
  /* at may pass mp_bytes (and the stream's end) in a miniblock cut short */
  size_t at = (size_t)(d->mp_bit >> 3), need = (size_t)bw * DELTA_GROUP / 8;
  size_t have = d->mp_bytes > at ? d->mp_bytes - at : 0;
  uint64_t u[DELTA_GROUP];
  if (have >= need && (size_t)(d->end - d->mp) >= at + need + 9) {
    unpack32(d->mp + at, u, bw); /* its 8-byte loads stay inside the stream */
  } else {                       /* the stream's end (the last miniblock may be cut short): zero padded */
    uint8_t tmp[DELTA_GROUP * 8 + 16] = {0};
    if (have) memcpy(tmp, d->mp + at, have < need ? have : need);
    unpack32(tmp, u, bw);
  }
  d->mp_bit += (uint64_t)bw * DELTA_GROUP;
  d->mini_left -= DELTA_GROUP;
  uint32_t n = d->left < DELTA_GROUP ? (uint32_t)d->left : DELTA_GROUP;
  d->left -= n;
  uint64_t last = (uint64_t)d->last, md = (uint64_t)d->min_delta;
  if (n == DELTA_GROUP) { /* constant trip count: unrolled */
#pragma GCC unroll 32
    for (uint32_t i = 0; i < DELTA_GROUP; i++) {
      last += md + u[i];
      d->buf[i] = (int64_t)last;
    }
  } else {
    for (uint32_t i = 0; i < n; i++) {
      last += md + u[i];
      d->buf[i] = (int64_t)last;
    }
  }
  d->last = (int64_t)last;
  d->buf_i = 0, d->buf_n = n;
  return true;
}

/* The next n values into out; false if the stream ends first. */
static bool delta_get(delta *d, int64_t *out, uint32_t n) {
  while (n) {
    if (d->buf_i == d->buf_n && !delta_refill(d)) return false;
    uint32_t m = d->buf_n - d->buf_i < n ? d->buf_n - d->buf_i : n;
    memcpy(out, d->buf + d->buf_i, m * sizeof *out);
    d->buf_i += m, out += m, n -= m;
  }
  return true;
}

/* Finds the end of a DELTA_BINARY_PACKED stream without decoding it (the bytes of
 * DELTA_LENGTH_BYTE_ARRAY follow its lengths). Work is bounded by the bytes: each
 * block costs at least 1 + miniblocks bytes. */
static bool delta_skip_all(const delta *start, const uint8_t **end_out) {
  delta d = *start;
  uint64_t left = d.left ? d.left - 1 : 0; /* the first value is in the header */
  while (left) {
    uint64_t z;
    if (!get_uvarint(&d.p, d.end, &z) || (uint64_t)(d.end - d.p) < d.nmini) return false;
    const uint8_t *widths = d.p;
    d.p += d.nmini;
    for (uint64_t m = 0; m < d.nmini && left; m++) {
      if (widths[m] > 64) return false;
      uint64_t bytes = d.per_mini * widths[m] / 8;
      if (bytes > (uint64_t)(d.end - d.p)) bytes = (uint64_t)(d.end - d.p);
      d.p += bytes;
      left = left > d.per_mini ? left - d.per_mini : 0;
    }
  }
  *end_out = d.p;
  return true;
}

/* ---- pages ---- */

typedef struct pghdr {
  int32_t type, uncomp, comp;
  int32_t num_values, encoding; /* data page v1/v2 or dictionary page */
  int32_t num_nulls, num_rows, def_len, rep_len;
  bool is_compressed;
} pghdr;

static bool parse_sub_header(fl_thrift_dec *dec, pghdr *ph, int kind) {
  uint8_t t;
  int16_t id;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    int32_t *dst = NULL;
    if (id == 1)
      dst = &ph->num_values;
    else if (kind == 2 && id == 2)
      dst = &ph->encoding; /* DictionaryPageHeader */
    else if (kind == 1 && id == 2)
      dst = &ph->encoding; /* DataPageHeader */
    else if (kind == 3) {  /* DataPageHeaderV2 */
      if (id == 2)
        dst = &ph->num_nulls;
      else if (id == 3)
        dst = &ph->num_rows;
      else if (id == 4)
        dst = &ph->encoding;
      else if (id == 5)
        dst = &ph->def_len;
      else if (id == 6)
        dst = &ph->rep_len;
      else if (id == 7 && fl_thrift_is_bool(t)) {
        ph->is_compressed = t == FL_TT_TRUE;
        continue;
      }
    }
    if (dst && t == FL_TT_I32) {
      if (!fl_thrift_dec_i32(dec, dst)) return false;
    } else if (!fl_thrift_dec_skip(dec, t, false)) {
      return false;
    }
  }
  return !dec->cur.bad;
}

static bool parse_page_header(fl_thrift_dec *dec, pghdr *ph) {
  uint8_t t;
  int16_t id;
  memset(ph, 0, sizeof *ph);
  ph->type = ph->uncomp = ph->comp = -1;
  ph->is_compressed = true;
  int sub = 0;
  if (!fl_thrift_dec_struct_open(dec)) return false;
  while (fl_thrift_dec_field(dec, &t, &id)) {
    bool ok;
    if (id == 1 && t == FL_TT_I32)
      ok = fl_thrift_dec_i32(dec, &ph->type);
    else if (id == 2 && t == FL_TT_I32)
      ok = fl_thrift_dec_i32(dec, &ph->uncomp);
    else if (id == 3 && t == FL_TT_I32)
      ok = fl_thrift_dec_i32(dec, &ph->comp);
    else if ((id == 5 || id == 7 || id == 8) && t == FL_TT_STRUCT && !sub) {
      sub = id == 5 ? 1 : id == 7 ? 2 : 3;
      ok = parse_sub_header(dec, ph, sub);
    } else {
      ok = fl_thrift_dec_skip(dec, t, false);
    }
    if (!ok) return false;
  }
  return !dec->cur.bad;
}

enum { ENC_PLAIN, ENC_DICT, ENC_RLE_BOOL, ENC_DELTA, ENC_DELTA_LENGTH, ENC_DELTA_BYTES, ENC_SPLIT };

typedef struct colr {
  fl_parquet_reader *pr;
  const leaf *lf;
  const chunk *ch;
  uint32_t rg, c;
  fl_type dst;
  int64_t ts_mul, ts_div; /* file unit -> the unit of dst (micros, or nanos for TIMESTAMP_NS) */
  fl_vec *vec;
  uint64_t pos;  /* file offset of the next page header */
  uint64_t seen; /* values of data pages consumed */
  /* dictionary */
  bool has_dict;
  uint32_t ndict;
  fl_buf dict_buf;         /* decompressed dictionary page */
  fl_buf dict_vals;        /* fixed-width values (BOOLEAN: one byte each) */
  const uint8_t **dict_sp; /* BYTE_ARRAY entries */
  uint32_t *dict_sl;
  bool keep_dict; /* the caller takes this STRING/JSON column in dictionary form */
  bool dictv_ok;  /* dictv holds this chunk's dictionary */
  fl_vec dictv;   /* the dictionary as a flat vector (for the dictionary form) */
  /* current page */
  uint32_t page_left;
  bool levels;
  hyb def;
  unsigned def_bw, rep_bw; /* nested leaves: level bit widths (0: flat, def width 1) */
  hyb rep;
  int enc;
  const uint8_t *vp, *vend;
  uint64_t vbit;
  hyb idx;
  delta dl;                  /* DELTA_BINARY_PACKED values, or DELTA_LENGTH_BYTE_ARRAY lengths */
  uint64_t split_n, split_i; /* BYTE_STREAM_SPLIT: values per stream, next value */
  delta dl2;                 /* DELTA_BYTE_ARRAY: suffix lengths (dl: prefix lengths) */
  fl_buf prev, vals;         /* DELTA_BYTE_ARRAY: the previous value, this call's values */
  fl_buf page_buf;
  /* a cursor with a row selection: the chunk's pages (offset index), the next one */
  const fl_parquet_page *pages;
  uint32_t npages, pidx;
  uint64_t pages_read, pages_skipped; /* data pages decoded / jumped over */
} colr;

typedef struct scratch {
  uint32_t lv[FL_BATCH_ROWS];
  uint32_t ix[FL_BATCH_ROWS];
  int64_t dense[FL_BATCH_ROWS]; /* physical values, packed by their width */
  const uint8_t *sp[FL_BATCH_ROWS];
  uint32_t sl[FL_BATCH_ROWS];
} scratch;

#define CCORRUPT(col, err, fmt, ...)                                                                   \
  fl_err_set(err, FL_ECORRUPT, "%s: column chunk %u of row group %u: " fmt, (col)->pr->name, (col)->c, \
             (col)->rg, ##__VA_ARGS__)

/* One zstd decompression context per thread, shared by every file that thread reads
 * (before, each file made its own: a served point query over 20 files spent 2.2% of the
 * server's samples in ZSTD_createDCtx). A pthread key frees it when the thread exits. */
static pthread_key_t dctx_key;
static pthread_once_t dctx_once = PTHREAD_ONCE_INIT;

static void dctx_free(void *p) { ZSTD_freeDCtx(p); }
static void dctx_key_init(void) { FL_ASSERT(pthread_key_create(&dctx_key, dctx_free) == 0); }

static ZSTD_DCtx *thread_dctx(void) {
  pthread_once(&dctx_once, dctx_key_init);
  ZSTD_DCtx *zd = pthread_getspecific(dctx_key);
  if (!zd && (zd = ZSTD_createDCtx()) && pthread_setspecific(dctx_key, zd) != 0) {
    ZSTD_freeDCtx(zd);
    zd = NULL;
  }
  return zd;
}

static fl_code decompress(colr *col, const uint8_t *src, size_t slen, size_t ulen, fl_buf *dst,
                          const uint8_t **out, uint64_t at, fl_err *err) {
  fl_parquet_reader *pr = col->pr;
  int32_t codec = col->ch->codec;
  if (codec == FL_PQ_CODEC_UNCOMPRESSED) {
    if (slen != ulen)
      return CCORRUPT(col, err, "page at offset %llu: %zu bytes stored, %zu declared uncompressed",
                      (unsigned long long)at, slen, ulen);
    *out = src;
    return FL_OK;
  }
  fl_buf_clear(dst);
  fl_buf_reserve(dst, ulen + 1);
  *out = dst->data;
  switch (codec) {
    case FL_PQ_CODEC_SNAPPY: {
      size_t n;
      if (snappy_uncompressed_length((const char *)src, slen, &n) != SNAPPY_OK || n != ulen ||
          snappy_uncompress((const char *)src, slen, (char *)dst->data, &n) != SNAPPY_OK || n != ulen)
        return CCORRUPT(col, err, "page at offset %llu: snappy data does not decompress to %zu bytes",
                        (unsigned long long)at, ulen);
      return FL_OK;
    }
    case FL_PQ_CODEC_ZSTD: {
      unsigned long long fcs = ZSTD_getFrameContentSize(src, slen);
      if (fcs == ZSTD_CONTENTSIZE_ERROR || (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != ulen))
        return CCORRUPT(col, err, "page at offset %llu: zstd frame does not hold %zu bytes",
                        (unsigned long long)at, ulen);
      ZSTD_DCtx *zd = thread_dctx();
      if (!zd) return fl_err_set(err, FL_ENOMEM, "%s: zstd: no decompression context", pr->name);
      size_t r = ZSTD_decompressDCtx(zd, dst->data, ulen, src, slen);
      if (ZSTD_isError(r) || r != ulen)
        return CCORRUPT(col, err, "page at offset %llu: zstd: %s", (unsigned long long)at,
                        ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short output");
      return FL_OK;
    }
    case FL_PQ_CODEC_GZIP: {
      z_stream zs;
      memset(&zs, 0, sizeof zs);
      if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return fl_err_set(err, FL_ENOMEM, "%s: zlib inflateInit2 failed", pr->name);
      zs.next_in = (Bytef *)src;
      zs.avail_in = (uInt)slen;
      zs.next_out = dst->data;
      zs.avail_out = (uInt)ulen;
      int zr = inflate(&zs, Z_FINISH);
      size_t got = zs.total_out;
      inflateEnd(&zs);
      if (zr != Z_STREAM_END || got != ulen || slen > UINT32_MAX)
        return CCORRUPT(col, err, "page at offset %llu: gzip data does not inflate to %zu bytes",
                        (unsigned long long)at, ulen);
      return FL_OK;
    }
    default:
      return fl_err_set(err, FL_EUNSUPPORTED, "%s: column chunk %u of row group %u: compression codec %d",
                        pr->name, col->c, col->rg, codec);
  }
}

static fl_code load_dict(colr *col, const pghdr *ph, const uint8_t *src, uint64_t at, fl_err *err) {
  fl_code rc;
  if (col->has_dict)
    return CCORRUPT(col, err, "a second dictionary page at offset %llu", (unsigned long long)at);
  if (ph->num_values < 0 || (uint32_t)ph->num_values > DICT_ENTRIES_MAX)
    return CCORRUPT(col, err, "dictionary page at offset %llu: %d values", (unsigned long long)at,
                    ph->num_values);
  if (ph->encoding != FL_PQ_ENC_PLAIN && ph->encoding != FL_PQ_ENC_PLAIN_DICTIONARY)
    return fl_err_set(err, FL_EUNSUPPORTED, "%s: column chunk %u of row group %u: dictionary encoding %d",
                      col->pr->name, col->c, col->rg, ph->encoding);
  const uint8_t *p;
  if ((rc = decompress(col, src, (size_t)ph->comp, (size_t)ph->uncomp, &col->dict_buf, &p, at, err)))
    return rc;
  size_t ulen = (size_t)ph->uncomp;
  uint32_t n = (uint32_t)ph->num_values;
  int32_t phys = col->lf->el.phys;
  fl_buf_clear(&col->dict_vals);
  if (phys == FL_PQ_BYTE_ARRAY) {
    if (n > ulen / 4)
      return CCORRUPT(col, err, "dictionary page at offset %llu: %u strings in %zu bytes",
                      (unsigned long long)at, n, ulen);
    col->dict_sp = fl_realloc(col->dict_sp, (n ? n : 1) * sizeof *col->dict_sp);
    col->dict_sl = fl_realloc(col->dict_sl, (n ? n : 1) * sizeof *col->dict_sl);
    size_t pos = 0;
    for (uint32_t i = 0; i < n; i++) {
      if (ulen - pos < 4)
        return CCORRUPT(col, err, "dictionary page at offset %llu: string %u overruns the page",
                        (unsigned long long)at, i);
      uint32_t len = fl_le32(p + pos);
      pos += 4;
      if (len > ulen - pos)
        return CCORRUPT(col, err, "dictionary page at offset %llu: string %u overruns the page",
                        (unsigned long long)at, i);
      col->dict_sp[i] = p + pos;
      col->dict_sl[i] = len;
      pos += len;
    }
  } else if (phys == FL_PQ_FIXED_LEN_BYTE_ARRAY) {
    size_t w = (size_t)col->lf->el.type_length;
    if ((uint64_t)n * w > ulen)
      return CCORRUPT(col, err, "dictionary page at offset %llu: %u values in %zu bytes",
                      (unsigned long long)at, n, ulen);
    col->dict_sp = fl_realloc(col->dict_sp, (n ? n : 1) * sizeof *col->dict_sp);
    col->dict_sl = fl_realloc(col->dict_sl, (n ? n : 1) * sizeof *col->dict_sl);
    for (uint32_t i = 0; i < n; i++) {
      col->dict_sp[i] = p + (size_t)i * w;
      col->dict_sl[i] = (uint32_t)w;
    }
  } else if (phys == FL_PQ_BOOLEAN) {
    if (n > ulen * 8)
      return CCORRUPT(col, err, "dictionary page at offset %llu: %u values in %zu bytes",
                      (unsigned long long)at, n, ulen);
    fl_buf_reserve(&col->dict_vals, n);
    for (uint32_t i = 0; i < n; i++) col->dict_vals.data[i] = (p[i / 8] >> (i % 8)) & 1;
    col->dict_vals.len = n;
  } else {
    unsigned w = phys == FL_PQ_INT32 || phys == FL_PQ_FLOAT ? 4 : 8;
    if ((uint64_t)n * w > ulen)
      return CCORRUPT(col, err, "dictionary page at offset %llu: %u values in %zu bytes",
                      (unsigned long long)at, n, ulen);
    fl_buf_append(&col->dict_vals, p, (size_t)n * w);
  }
  col->has_dict = true;
  col->ndict = n;
  return FL_OK;
}

static fl_code setup_values(colr *col, int32_t enc, const uint8_t *p, size_t n, uint64_t at, fl_err *err) {
  int32_t phys = col->lf->el.phys;
  switch (enc) {
    case FL_PQ_ENC_PLAIN:
      col->enc = ENC_PLAIN;
      col->vp = p;
      col->vend = p + n;
      col->vbit = 0;
      return FL_OK;
    case FL_PQ_ENC_PLAIN_DICTIONARY:
    case FL_PQ_ENC_RLE_DICTIONARY:
      if (!col->has_dict)
        return CCORRUPT(col, err, "page at offset %llu is dictionary-encoded but there is no dictionary page",
                        (unsigned long long)at);
      col->enc = ENC_DICT;
      if (n && p[0] > 32)
        return CCORRUPT(col, err, "page at offset %llu: dictionary index bit width %u",
                        (unsigned long long)at, p[0]);
      hyb_init(&col->idx, n ? p + 1 : p, n ? n - 1 : 0, n ? p[0] : 0);
      return FL_OK;
    case FL_PQ_ENC_RLE:
      if (phys != FL_PQ_BOOLEAN) break;
      if (n < 4)
        return CCORRUPT(col, err, "page at offset %llu: RLE booleans without their length",
                        (unsigned long long)at);
      col->enc = ENC_RLE_BOOL;
      /* some writers (hyparquet-writer 0.6) put the value count there: the runs are
       * read within the page either way */
      hyb_init(&col->idx, p + 4, fl_le32(p) < n - 4 ? fl_le32(p) : n - 4, 1);
      return FL_OK;
    case FL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: {
      const uint8_t *data;
      if (phys != FL_PQ_BYTE_ARRAY) break;
      if (!delta_init(&col->dl, p, n) || !delta_skip_all(&col->dl, &data))
        return CCORRUPT(col, err, "page at offset %llu: malformed DELTA_LENGTH_BYTE_ARRAY lengths",
                        (unsigned long long)at);
      col->enc = ENC_DELTA_LENGTH;
      col->vp = data;
      col->vend = p + n;
      return FL_OK;
    }
    case FL_PQ_ENC_DELTA_BYTE_ARRAY: {
      const uint8_t *mid, *data;
      if (phys != FL_PQ_BYTE_ARRAY && phys != FL_PQ_FIXED_LEN_BYTE_ARRAY) break;
      if (!delta_init(&col->dl, p, n) || !delta_skip_all(&col->dl, &mid) ||
          !delta_init(&col->dl2, mid, (size_t)(p + n - mid)) || !delta_skip_all(&col->dl2, &data) ||
          col->dl.left != col->dl2.left)
        return CCORRUPT(col, err, "page at offset %llu: malformed DELTA_BYTE_ARRAY lengths",
                        (unsigned long long)at);
      col->enc = ENC_DELTA_BYTES;
      col->vp = data;
      col->vend = p + n;
      fl_buf_clear(&col->prev);
      return FL_OK;
    }
    case FL_PQ_ENC_BYTE_STREAM_SPLIT: {
      unsigned w = phys == FL_PQ_INT32 || phys == FL_PQ_FLOAT    ? 4
                   : phys == FL_PQ_INT64 || phys == FL_PQ_DOUBLE ? 8
                                                                 : 0;
      if (!w) break;
      if (n % w)
        return CCORRUPT(col, err, "page at offset %llu: BYTE_STREAM_SPLIT of %zu bytes",
                        (unsigned long long)at, n);
      col->enc = ENC_SPLIT;
      col->vp = p;
      col->vend = p + n;
      col->split_n = n / w;
      col->split_i = 0;
      return FL_OK;
    }
    case FL_PQ_ENC_DELTA_BINARY_PACKED:
      if (phys != FL_PQ_INT32 && phys != FL_PQ_INT64) break;
      if (!delta_init(&col->dl, p, n))
        return CCORRUPT(col, err, "page at offset %llu: malformed DELTA_BINARY_PACKED header",
                        (unsigned long long)at);
      col->enc = ENC_DELTA;
      return FL_OK;
    default: break;
  }
  return fl_err_set(err, FL_EUNSUPPORTED,
                    "%s: column chunk %u of row group %u: page at offset %llu: encoding %d of physical type "
                    "%d is not supported",
                    col->pr->name, col->c, col->rg, (unsigned long long)at, enc, phys);
}

/* Advances to the next data page with values, loading a dictionary page on the way;
 * dict_only: stops before the first data page (its header unread). */
static fl_code next_page(colr *col, bool dict_only, fl_err *err) {
  fl_code rc;
  const chunk *ch = col->ch;
  const uint8_t *d = col->pr->data;
  for (;;) {
    if (col->pos >= ch->end)
      return CCORRUPT(col, err, "pages end after %llu of %lld values", (unsigned long long)col->seen,
                      (long long)ch->num_values);
    uint64_t at = col->pos;
    fl_thrift_dec dec;
    pghdr ph;
    fl_thrift_dec_init(&dec, d + at, (size_t)(ch->end - at));
    if (!parse_page_header(&dec, &ph))
      return CCORRUPT(col, err,
                      "page header at offset %llu is malformed or overruns the column chunk at offset %llu",
                      (unsigned long long)at, (unsigned long long)(at + dec.cur.pos));
    uint64_t body = at + dec.cur.pos;
    if (ph.comp < 0 || ph.uncomp < 0 || (uint64_t)ph.uncomp > FL_PARQUET_PAGE_MAX ||
        (uint64_t)ph.comp > ch->end - body)
      return CCORRUPT(col, err,
                      "page header at offset %llu: a page of %d bytes (%d uncompressed) overruns the column "
                      "chunk (%llu bytes left)",
                      (unsigned long long)at, ph.comp, ph.uncomp, (unsigned long long)(ch->end - body));
    col->pos = body + (uint64_t)ph.comp;
    const uint8_t *src = d + body;
    if (ph.type == FL_PQ_PAGE_DICTIONARY) {
      if ((rc = load_dict(col, &ph, src, at, err))) return rc;
      continue;
    }
    if (ph.type != FL_PQ_PAGE_DATA && ph.type != FL_PQ_PAGE_DATA_V2) continue; /* index pages */
    if (dict_only) {
      col->pos = at;
      return FL_OK;
    }
    if (ph.num_values < 0)
      return CCORRUPT(col, err, "page at offset %llu: %d values", (unsigned long long)at, ph.num_values);
    if (ph.num_values == 0) continue;
    /* a flat column has one value per row: more than the chunk's rows is corrupt,
     * and this bounds the work of every page by the row group */
    if ((uint64_t)ph.num_values > (uint64_t)ch->num_values - col->seen)
      return CCORRUPT(
          col, err, "page at offset %llu has %d values, the column chunk %lld of which %llu are read",
          (unsigned long long)at, ph.num_values, (long long)ch->num_values, (unsigned long long)col->seen);
    if (col->npages) { /* reading by the offset index: it must agree with the pages */
      const fl_parquet_page *pg = col->pidx < col->npages ? &col->pages[col->pidx] : NULL;
      if (!pg || pg->offset != at || pg->rows != (uint64_t)ph.num_values || pg->first_row != col->seen)
        return CCORRUPT(col, err, "page at offset %llu (%d values) is not page %u of the offset index",
                        (unsigned long long)at, ph.num_values, col->pidx);
    }
    col->pidx++;
    col->pages_read++;
    const uint8_t *p;
    size_t n;
    if (ph.type == FL_PQ_PAGE_DATA) {
      if ((rc = decompress(col, src, (size_t)ph.comp, (size_t)ph.uncomp, &col->page_buf, &p, at, err)))
        return rc;
      n = (size_t)ph.uncomp;
      if (col->rep_bw) { /* a nested leaf: repetition levels first */
        if (n < 4 || fl_le32(p) > n - 4)
          return CCORRUPT(col, err, "page at offset %llu: repetition levels overrun the page",
                          (unsigned long long)at);
        uint32_t ln = fl_le32(p);
        hyb_init(&col->rep, p + 4, ln, col->rep_bw);
        p += 4 + ln;
        n -= 4 + (size_t)ln;
      }
      if (col->levels) {
        if (n < 4 || fl_le32(p) > n - 4)
          return CCORRUPT(col, err, "page at offset %llu: definition levels overrun the page",
                          (unsigned long long)at);
        uint32_t ln = fl_le32(p);
        hyb_init(&col->def, p + 4, ln, col->def_bw ? col->def_bw : 1);
        p += 4 + ln;
        n -= 4 + (size_t)ln;
      }
    } else {
      if (ph.rep_len < 0 || ph.def_len < 0 || (int64_t)ph.rep_len + ph.def_len > ph.comp ||
          (int64_t)ph.rep_len + ph.def_len > ph.uncomp)
        return CCORRUPT(col, err, "page at offset %llu: level lengths %d + %d overrun the page",
                        (unsigned long long)at, ph.rep_len, ph.def_len);
      size_t lv = (size_t)ph.rep_len + (size_t)ph.def_len;
      if (col->rep_bw) hyb_init(&col->rep, src, (size_t)ph.rep_len, col->rep_bw);
      if (col->levels)
        hyb_init(&col->def, src + ph.rep_len, (size_t)ph.def_len, col->def_bw ? col->def_bw : 1);
      n = (size_t)ph.uncomp - lv;
      if (ph.is_compressed && col->ch->codec != FL_PQ_CODEC_UNCOMPRESSED) {
        if ((rc = decompress(col, src + lv, (size_t)ph.comp - lv, n, &col->page_buf, &p, at, err))) return rc;
      } else {
        if ((size_t)ph.comp - lv != n)
          return CCORRUPT(col, err, "page at offset %llu: %d bytes stored, %d declared",
                          (unsigned long long)at, ph.comp, ph.uncomp);
        p = src + lv;
      }
    }
    if ((rc = setup_values(col, ph.encoding, p, n, at, err))) return rc;
    col->page_left = (uint32_t)ph.num_values;
    return FL_OK;
  }
}

/* Every index the page can hold is inside the dictionary: hyb_next_run refuses RLE
 * values of more than bw bits and bit-packed ones are bw bits, so with 2^bw <= ndict no
 * index needs checking (a dictionary of 4 entries and 2-bit indexes, the usual case). */
static inline bool dict_indexes_fit(const colr *col) {
  return col->idx.bw < 32 && ((uint64_t)1 << col->idx.bw) <= col->ndict;
}

/* Decodes k non-null values into S (dense, physical width) or S->sp/sl. */
static fl_code decode_values(colr *col, scratch *S, uint32_t k, fl_err *err) {
  int32_t phys = col->lf->el.phys;
  uint8_t *d8 = (uint8_t *)S->dense;
  switch (col->enc) {
    case ENC_PLAIN:
      if (phys == FL_PQ_BOOLEAN) {
        if (col->vbit + k > (uint64_t)(col->vend - col->vp) * 8) break;
        for (uint32_t i = 0; i < k; i++, col->vbit++)
          d8[i] = (col->vp[col->vbit >> 3] >> (col->vbit & 7)) & 1;
        return FL_OK;
      }
      if (phys == FL_PQ_BYTE_ARRAY) {
        const uint8_t *p = col->vp, *end = col->vend;
        for (uint32_t i = 0; i < k; i++) {
          if (end - p < 4) goto short_page;
          uint32_t len = fl_le32(p);
          p += 4;
          if (len > (size_t)(end - p)) goto short_page;
          S->sp[i] = p;
          S->sl[i] = len;
          p += len;
        }
        col->vp = p;
        return FL_OK;
      } else if (phys == FL_PQ_FIXED_LEN_BYTE_ARRAY) {
        size_t w = (size_t)col->lf->el.type_length;
        if ((uint64_t)k * w > (uint64_t)(col->vend - col->vp)) break;
        for (uint32_t i = 0; i < k; i++) {
          S->sp[i] = col->vp + (size_t)i * w;
          S->sl[i] = (uint32_t)w;
        }
        col->vp += (size_t)k * w;
        return FL_OK;
      } else {
        unsigned w = phys == FL_PQ_INT32 || phys == FL_PQ_FLOAT ? 4 : 8;
        if ((uint64_t)k * w > (uint64_t)(col->vend - col->vp)) break;
        memcpy(S->dense, col->vp, (size_t)k * w);
        col->vp += (size_t)k * w;
        return FL_OK;
      }
    case ENC_DICT: {
      if (!hyb_get(&col->idx, S->ix, k)) break;
      uint32_t nd = col->ndict;
      if (!dict_indexes_fit(col))
        for (uint32_t i = 0; i < k; i++)
          if (S->ix[i] >= nd)
            return CCORRUPT(col, err, "dictionary index %u out of %u entries", S->ix[i], nd);
      const uint8_t *dv = col->dict_vals.data;
      switch (phys) {
        case FL_PQ_BYTE_ARRAY:
        case FL_PQ_FIXED_LEN_BYTE_ARRAY:
          for (uint32_t i = 0; i < k; i++)
            S->sp[i] = col->dict_sp[S->ix[i]], S->sl[i] = col->dict_sl[S->ix[i]];
          break;
        case FL_PQ_BOOLEAN:
          for (uint32_t i = 0; i < k; i++) d8[i] = dv[S->ix[i]];
          break;
        case FL_PQ_INT32:
        case FL_PQ_FLOAT:
          for (uint32_t i = 0; i < k; i++) memcpy(d8 + 4 * (size_t)i, dv + 4 * (size_t)S->ix[i], 4);
          break;
        default:
          for (uint32_t i = 0; i < k; i++) memcpy(d8 + 8 * (size_t)i, dv + 8 * (size_t)S->ix[i], 8);
          break;
      }
      return FL_OK;
    }
    case ENC_RLE_BOOL:
      if (!hyb_get(&col->idx, S->ix, k)) break;
      for (uint32_t i = 0; i < k; i++) d8[i] = S->ix[i] != 0;
      return FL_OK;
    case ENC_DELTA_LENGTH: {
      int64_t len;
      for (uint32_t i = 0; i < k; i++) {
        if (!delta_get(&col->dl, &len, 1) || len < 0 || (uint64_t)len > (uint64_t)(col->vend - col->vp))
          goto short_page;
        S->sp[i] = col->vp;
        S->sl[i] = (uint32_t)len;
        col->vp += len;
      }
      return FL_OK;
    }
    case ENC_DELTA_BYTES: {
      /* value = the previous value's first prefix bytes + this suffix */
      fl_buf *vals = &col->vals, *prev = &col->prev;
      fl_buf_clear(vals);
      for (uint32_t i = 0; i < k; i++) {
        int64_t pl, sl;
        if (!delta_get(&col->dl, &pl, 1) || !delta_get(&col->dl2, &sl, 1) || pl < 0 || sl < 0 ||
            (uint64_t)pl > prev->len || (uint64_t)sl > (uint64_t)(col->vend - col->vp))
          goto short_page;
        prev->len = (size_t)pl;
        fl_buf_append(prev, col->vp, (size_t)sl);
        col->vp += sl;
        if (vals->len + prev->len > BATCH_STRING_BYTES_MAX)
          return fl_err_set(err, FL_ELIMIT,
                            "%s: column chunk %u of row group %u: more than %u bytes of strings in one batch",
                            col->pr->name, col->c, col->rg, BATCH_STRING_BYTES_MAX);
        S->ix[i] = (uint32_t)vals->len;
        S->sl[i] = (uint32_t)prev->len;
        fl_buf_append(vals, prev->data, prev->len);
      }
      for (uint32_t i = 0; i < k; i++) S->sp[i] = vals->data + S->ix[i];
      return FL_OK;
    }
    case ENC_SPLIT: {
      unsigned w = phys == FL_PQ_INT32 || phys == FL_PQ_FLOAT ? 4 : 8;
      if (k > col->split_n - col->split_i) break;
      for (uint32_t i = 0; i < k; i++, col->split_i++)
        for (unsigned b = 0; b < w; b++) d8[(size_t)i * w + b] = col->vp[b * col->split_n + col->split_i];
      return FL_OK;
    }
    case ENC_DELTA: {
      if (phys == FL_PQ_INT64) {
        if (!delta_get(&col->dl, (int64_t *)(void *)S->dense, k)) goto short_page;
        return FL_OK;
      }
      int64_t tmp[256];
      for (uint32_t i = 0; i < k;) {
        uint32_t m = k - i < 256 ? k - i : 256;
        if (!delta_get(&col->dl, tmp, m)) goto short_page;
        if (phys == FL_PQ_INT32)
          for (uint32_t j = 0; j < m; j++) ((int32_t *)S->dense)[i + j] = (int32_t)(uint32_t)(uint64_t)tmp[j];
        else
          memcpy(S->dense + i, tmp, m * sizeof *tmp);
        i += m;
      }
      return FL_OK;
    }
  }
short_page:
  return CCORRUPT(col, err, "values end early in the page before offset %llu", (unsigned long long)col->pos);
}

/* Rows row0 + i with lv[i] (a flat column's definition levels, 0 or 1) marked valid, a
 * validity word at a time where the rows cover one (the bits start cleared). */
static void valid_from_levels(fl_vec *vec, uint32_t row0, const uint32_t *lv, uint32_t m) {
  uint32_t i = 0;
  for (; i < m && ((row0 + i) & 63); i++)
    if (lv[i]) fl_vec_set_valid(vec, row0 + i, true);
  for (; i + 64 <= m; i += 64) {
    uint64_t w = 0;
    for (unsigned j = 0; j < 64; j++) w |= (uint64_t)lv[i + j] << j;
    vec->validity[(row0 + i) >> 6] = w;
  }
  for (; i < m; i++)
    if (lv[i]) fl_vec_set_valid(vec, row0 + i, true);
}

#define SCATTER(DT, ST, CONV)               \
  do {                                      \
    DT *o_ = (DT *)vec->data.raw + row0;    \
    const ST *s_ = (const ST *)S->dense;    \
    uint32_t j_ = 0;                        \
    if (!lv) { /* no NULL in these rows */  \
      for (uint32_t i_ = 0; i_ < m; i_++) { \
        ST x = s_[i_];                      \
        o_[i_] = (DT)(CONV);                \
      }                                     \
      fl_vec_set_valid_range(vec, row0, m); \
      break;                                \
    }                                       \
    for (uint32_t i_ = 0; i_ < m; i_++) {   \
      if (lv[i_]) {                         \
        ST x = s_[j_++];                    \
        o_[i_] = (DT)(CONV);                \
      } else {                              \
        o_[i_] = 0;                         \
      }                                     \
    }                                       \
    valid_from_levels(vec, row0, lv, m);    \
  } while (0)

/* A DECIMAL from big-endian bytes (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY) or into a
 * 128-bit vector: each value is checked against the file's declared precision (a
 * value outside it is corrupt, not silently wrapped). */
static fl_code scatter_decimal(colr *col, scratch *S, uint32_t row0, uint32_t m, fl_err *err) {
  fl_vec *vec = col->vec;
  const uint32_t *lv = col->levels ? S->lv : NULL;
  int32_t phys = col->lf->el.phys;
  unsigned prec = col->lf->type.precision;
  uint32_t j = 0;
  for (uint32_t i = 0; i < m; i++) {
    if (lv && !lv[i]) {
      fl_vec_set_dec(vec, row0 + i, 0);
      continue;
    }
    fl_i128 x;
    if (phys == FL_PQ_INT32)
      x = ((const int32_t *)S->dense)[j];
    else if (phys == FL_PQ_INT64)
      x = S->dense[j];
    else if (S->sl[j] ==
             0) /* an empty BYTE_ARRAY decimal is 0 (hyparquet-writer's zero; DuckDB reads it so) */
      x = 0;
    else if (!fl_dec128_from_be(S->sp[j], S->sl[j], &x))
      return CCORRUPT(col, err, "a decimal of %u bytes", S->sl[j]);
    j++;
    if (!fl_dec128_fits(x, prec))
      return CCORRUPT(col, err, "a decimal value beyond its declared precision %u", prec);
    fl_vec_set_dec(vec, row0 + i, x);
    fl_vec_set_valid(vec, row0 + i, true);
  }
  return FL_OK;
}

/* Writes m rows (k of them non-null) decoded in S into the vector at row0,
 * converting the physical value to the caller's type. */
static fl_code scatter(colr *col, scratch *S, uint32_t row0, uint32_t m, uint32_t k, fl_err *err) {
  fl_vec *vec = col->vec;
  const uint32_t *lv = col->levels && k < m ? S->lv : NULL; /* NULL: every row has a value */
  int32_t phys = col->lf->el.phys;
  int64_t mul = col->ts_mul, div = col->ts_div;
  if (col->dst.kind == FL_T_DECIMAL &&
      (fl_decimal_is_wide(col->dst) || phys == FL_PQ_BYTE_ARRAY || phys == FL_PQ_FIXED_LEN_BYTE_ARRAY))
    return scatter_decimal(col, S, row0, m, err);
  switch (col->dst.kind) {
    case FL_T_BOOLEAN: SCATTER(uint8_t, uint8_t, x); break;
    case FL_T_INT:
    case FL_T_DATE: SCATTER(int32_t, int32_t, x); break;
    case FL_T_BIGINT:
    case FL_T_DECIMAL:
    case FL_T_TIMESTAMP:
    case FL_T_TIME:
    case FL_T_TIMESTAMP_NS:
      if (phys == FL_PQ_INT32 && mul != 1)
        SCATTER(int64_t, int32_t, (int64_t)x * mul);
      else if (phys == FL_PQ_INT32)
        SCATTER(int64_t, int32_t, x);
      else if (mul != 1)
        SCATTER(int64_t, int64_t, (int64_t)((uint64_t)x * (uint64_t)mul));
      else if (div != 1)
        SCATTER(int64_t, int64_t, fl_floor_div(x, div));
      else
        SCATTER(int64_t, int64_t, x);
      break;
    case FL_T_FLOAT: SCATTER(float, float, x); break;
    case FL_T_DOUBLE:
      if (phys == FL_PQ_FLOAT)
        SCATTER(double, float, x);
      else
        SCATTER(double, double, x);
      break;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_UUID:
    case FL_T_BINARY:
    case FL_T_FIXED: {
      uint64_t total = 0;
      for (uint32_t j = 0; j < k; j++) total += S->sl[j];
      if (vec->bytes_len + total > BATCH_STRING_BYTES_MAX)
        return fl_err_set(err, FL_ELIMIT,
                          "%s: column chunk %u of row group %u: more than %u bytes of strings in one batch",
                          col->pr->name, col->c, col->rg, BATCH_STRING_BYTES_MAX);
      fl_vec_reserve_bytes(vec, (size_t)total);
      uint32_t j = 0, off = vec->offsets[row0];
      if (!lv) { /* no NULL in these rows: validity a word at a time */
        for (uint32_t i = 0; i < m; i++) {
          fl_memcpy_short(vec->bytes + off, S->sp[i], S->sl[i]);
          off += S->sl[i];
          vec->offsets[row0 + i + 1] = off;
        }
        fl_vec_set_valid_range(vec, row0, m);
        vec->bytes_len = off;
        break;
      }
      for (uint32_t i = 0; i < m; i++) {
        if (lv[i]) {
          fl_memcpy_short(vec->bytes + off, S->sp[j], S->sl[j]);
          off += S->sl[j++];
        }
        vec->offsets[row0 + i + 1] = off;
      }
      valid_from_levels(vec, row0, lv, m);
      vec->bytes_len = off;
      break;
    }
  }
  return FL_OK;
}

/* The chunk's dictionary as a flat STRING vector, built once (the dictionary form's
 * `dict`: it lives as long as the column reader, so as the cursor's batches). */
static void build_dictv(colr *col) {
  if (col->dictv_ok) return;
  fl_vec *d = &col->dictv;
  if (!d->validity) fl_vec_init(d, col->dst, col->ndict ? col->ndict : 1);
  fl_vec_reset(d);
  size_t total = 0;
  for (uint32_t i = 0; i < col->ndict; i++) total += col->dict_sl[i];
  fl_vec_reserve(d, col->ndict);
  fl_vec_reserve_bytes(d, total);
  uint32_t off = 0;
  for (uint32_t i = 0; i < col->ndict; i++) {
    memcpy(d->bytes + off, col->dict_sp[i], col->dict_sl[i]);
    off += col->dict_sl[i];
    d->offsets[i + 1] = off;
  }
  fl_vec_set_valid_range(d, 0, col->ndict);
  d->bytes_len = off;
  d->len = col->ndict;
  col->dictv_ok = true;
}

/* Decodes the dictionary indexes of m rows (k of them non-null, S->lv their levels)
 * into the vector's codes at row0. */
static fl_code read_codes(colr *col, scratch *S, uint32_t row0, uint32_t m, uint32_t k, fl_err *err) {
  fl_vec *vec = col->vec;
  uint32_t *codes = vec->codes + row0, *ix = k == m ? codes : S->ix, nd = col->ndict;
  if (!hyb_get(&col->idx, ix, k))
    return CCORRUPT(col, err, "values end early in the page before offset %llu",
                    (unsigned long long)col->pos);
  if (!dict_indexes_fit(col)) {
    uint32_t bad = 0;
    for (uint32_t i = 0; i < k; i++) bad |= ix[i] >= nd;
    if (bad)
      for (uint32_t i = 0; i < k; i++)
        if (ix[i] >= nd) return CCORRUPT(col, err, "dictionary index %u out of %u entries", ix[i], nd);
  }
  if (k == m) {
    fl_vec_set_valid_range(vec, row0, m);
    return FL_OK;
  }
  for (uint32_t i = 0, j = 0; i < m; i++) {
    uint32_t v = S->lv[i];
    codes[i] = v ? ix[j] : 0;
    j += v;
  }
  valid_from_levels(vec, row0, S->lv, m);
  return FL_OK;
}

static fl_code read_column(colr *col, scratch *S, uint32_t n, fl_err *err) {
  fl_code rc;
  uint32_t got = 0;
  if (col->keep_dict) fl_vec_set_dict(col->vec, &col->dictv, n);
  while (got < n) {
    if (!col->page_left && (rc = next_page(col, false, err))) return rc;
    uint32_t m = n - got < col->page_left ? n - got : col->page_left;
    uint32_t k = m;
    if (col->levels) {
      if (!hyb_get(&col->def, S->lv, m))
        return CCORRUPT(col, err, "definition levels end early in the page before offset %llu",
                        (unsigned long long)col->pos);
      k = 0;
      uint32_t any = 0;
      for (uint32_t i = 0; i < m; i++) any |= S->lv[i], k += S->lv[i];
      if (any > 1)
        for (uint32_t i = 0; i < m; i++)
          if (S->lv[i] > 1) return CCORRUPT(col, err, "definition level %u of a flat column", S->lv[i]);
    }
    if (col->vec->dict && col->enc == ENC_DICT) {
      build_dictv(col);
      if ((rc = read_codes(col, S, got, m, k, err))) return rc;
    } else {
      if (col->vec->dict) { /* a page that is not dictionary-encoded: this batch is flat */
        col->vec->len = got;
        fl_vec_materialize(col->vec);
      }
      if ((rc = decode_values(col, S, k, err))) return rc;
      if ((rc = scatter(col, S, got, m, k, err))) return rc;
    }
    got += m;
    col->page_left -= m;
    col->seen += m;
  }
  col->vec->len = n;
  return FL_OK;
}

/* Moves a column to row `target` of the row group (> col->seen): pages wholly before it
 * are jumped over by the offset index (never decompressed; the dictionary page is
 * loaded first), rows before it in its page are decoded and dropped. */
static fl_code skip_to(colr *col, scratch *S, uint64_t target, fl_err *err) {
  fl_code rc;
  while (col->seen < target) {
    if (!col->page_left && col->npages) {
      uint32_t i = col->pidx;
      while (i + 1 < col->npages && col->pages[i + 1].first_row <= target) i++;
      if (i < col->npages && i > col->pidx) {
        if (!col->pidx && !col->has_dict && (rc = next_page(col, true, err))) return rc;
        col->pages_skipped += i - col->pidx;
        col->pidx = i;
        col->pos = col->pages[i].offset;
        col->seen = col->pages[i].first_row;
        continue;
      }
    }
    uint64_t left = target - col->seen;
    uint32_t m = left < FL_BATCH_ROWS ? (uint32_t)left : FL_BATCH_ROWS;
    if (col->page_left && m > col->page_left) m = col->page_left;
    if ((rc = read_column(col, S, m, err))) return rc;
    fl_vec_reset(col->vec);
  }
  return FL_OK;
}

static void fill_nulls(fl_vec *vec, uint32_t n) {
  if (fl_type_is_bytes(vec->type.kind)) {
    for (uint32_t i = 0; i <= n; i++) vec->offsets[i] = 0;
    vec->bytes_len = 0;
  } else {
    memset(vec->data.raw, 0, (size_t)n * fl_type_bytes(vec->type));
  }
  vec->len = n;
}

/* ---- nested columns (struct, list, map) read as JSON text ----
 *
 * A field with `nested` (an Iceberg struct/list/map of a table written elsewhere) is
 * found as the top-level Parquet group with its field id. Its tree is matched to the
 * Iceberg type by field ids (struct fields; list element-id; map key-id, value-id;
 * 3-level lists and maps as the Parquet spec writes them, 2-level lists whose repeated
 * node is the element), each node getting the definition level at which it is
 * present (def) and, for lists and maps, the repetition level (rep) and definition
 * level (rdef) of their repeated group. Every leaf under the field is decoded whole for
 * the row group (levels + each value's JSON text), then rows are assembled (Dremel):
 *   node null:   def of its first leaf < node.def (optional node) -> null; each leaf under
 *                the node has exactly one entry for it, which is skipped
 *   list empty:  def < rdef -> [], one entry skipped likewise
 *   list items:  an element, then more while the first leaf's next rep == the list's rep
 *   struct:      {"name": child, ...} in the Iceberg order; a field not in the file: null
 *   map:         {"key": value, ...} (a key's JSON text, quoted when it is not a string)
 * A null struct (null) differs from a struct of nulls ({"a":null}); a null list (null)
 * from an empty one ([]). Every level read is checked against the entries decoded: a
 * corrupt file is an error, never a crash. */

enum { NN_PRIM, NN_STRUCT, NN_LIST, NN_MAP, NN_MISSING };

static bool types_compatible(fl_type file, fl_type want);

typedef struct nleaf {
  colr col;
  fl_type want; /* the Iceberg type of the field (the file's may be narrower) */
  uint16_t max_def, max_rep;
  uint32_t n, cap;     /* level entries decoded */
  uint16_t *def, *rep; /* n each */
  uint32_t *voff;      /* value text offsets, nvals + 1 */
  uint32_t nvals;
  fl_buf text; /* JSON text of the non-null values */
  uint32_t pos, vi;
} nleaf;

typedef struct nnode {
  uint8_t kind;
  bool optional;
  const char *name;
  uint16_t def, rdef, rep;
  int32_t leaf;           /* NN_PRIM: its leaf */
  int32_t first, nleaves; /* the leaves under the node (contiguous) */
  uint32_t nchild;
  struct nnode *child;
} nnode;

typedef struct ncol {
  nnode root;
  nleaf *leaves;
  uint32_t nleaves, cap;
  bool bad;
  fl_buf row;
} ncol;

/* Element index just after the subtree at i (bounded: walk_schema checked the tree). */
static uint32_t elem_end(const fl_parquet_reader *pr, uint32_t i) {
  uint32_t n = (uint32_t)(pr->elems[i].num_children > 0 ? pr->elems[i].num_children : 0);
  i++;
  for (uint32_t c = 0; c < n && i < pr->nelems; c++) i = elem_end(pr, i);
  return i;
}

/* Leaf number of the primitive element at index e (leaves are numbered in order). */
static int leaf_of_elem(const fl_parquet_reader *pr, uint32_t e) {
  int nl = 0;
  for (uint32_t i = 1; i < e; i++) nl += pr->elems[i].num_children <= 0;
  return nl;
}

/* The child of group element g whose field id is id; -1 if none. */
static int child_with_id(const fl_parquet_reader *pr, uint32_t g, int32_t id) {
  uint32_t n = (uint32_t)pr->elems[g].num_children, i = g + 1;
  for (uint32_t c = 0; c < n; c++) {
    if (pr->elems[i].has_id && pr->elems[i].field_id == id) return (int)i;
    i = elem_end(pr, i);
  }
  return -1;
}

static fl_code nested_unsupported(const fl_parquet_reader *pr, const char *col, const char *what,
                                  fl_err *err) {
  return fl_err_set(err, FL_EUNSUPPORTED, "%s: column %s: %s (not supported)", pr->name, col, what);
}

static fl_code build_nnode(fl_parquet_reader *pr, ncol *nc, const char *col, uint32_t e, const fl_nested *ice,
                           uint16_t pdef, uint16_t prep, nnode *out, int depth, fl_err *err);

/* The repeated group under list or map group g (node out, whose def and rep are the
 * group's own): the items' repetition level is out->rep + 1, a non-empty one's
 * definition level out->def + 1. */
static fl_code build_repeated(fl_parquet_reader *pr, ncol *nc, const char *col, uint32_t g,
                              const fl_nested *ice, nnode *out, int depth, fl_err *err) {
  if (pr->elems[g].num_children != 1)
    return nested_unsupported(pr, col, "a list or map group without one repeated child", err);
  uint32_t r = g + 1;
  const selem *re = &pr->elems[r];
  if (re->rep != FL_PQ_REPEATED)
    return nested_unsupported(pr, col, "a list or map without a repeated group", err);
  uint16_t base = out->rep, rrep = (uint16_t)(base + 1);
  out->rdef = (uint16_t)(out->def + 1);
  fl_code rc;
  if (ice->kind == FL_NESTED_LIST) {
    out->nchild = 1;
    out->child = fl_arena_calloc(&pr->arena, 1, sizeof *out->child);
    bool two_level = re->num_children <= 0 || (re->has_id && re->field_id == ice->child[0].id);
    if (two_level) /* the repeated node is the element (legacy 2-level lists) */
      rc = build_nnode(pr, nc, col, r, &ice->child[0], out->def, base, &out->child[0], depth + 1, err);
    else if (re->num_children != 1)
      return nested_unsupported(pr, col, "a list whose repeated group has several fields", err);
    else
      rc = build_nnode(pr, nc, col, r + 1, &ice->child[0], out->rdef, rrep, &out->child[0], depth + 1, err);
    if (rc) return rc;
  } else {
    if (re->num_children != 2)
      return nested_unsupported(pr, col, "a map whose key_value group is not key, value", err);
    out->nchild = 2;
    out->child = fl_arena_calloc(&pr->arena, 2, sizeof *out->child);
    for (int k = 0; k < 2; k++) {
      int c = child_with_id(pr, r, ice->child[k].id);
      if (c < 0) c = (int)(k == 0 ? r + 1 : elem_end(pr, r + 1)); /* no ids: key, value by position */
      rc = build_nnode(pr, nc, col, (uint32_t)c, &ice->child[k], out->rdef, rrep, &out->child[k], depth + 1,
                       err);
      if (rc) return rc;
      if (out->child[k].kind == NN_MISSING)
        return nested_unsupported(pr, col, "a map without its key or value", err);
    }
  }
  out->rep = rrep;
  return FL_OK;
}

static fl_code build_nnode(fl_parquet_reader *pr, ncol *nc, const char *col, uint32_t e, const fl_nested *ice,
                           uint16_t pdef, uint16_t prep, nnode *out, int depth, fl_err *err) {
  if (depth > FL_NESTED_DEPTH_MAX || e >= pr->nelems)
    return nested_unsupported(pr, col, "nesting too deep", err);
  const selem *el = &pr->elems[e];
  out->name = ice->name;
  out->optional = el->rep == FL_PQ_OPTIONAL;
  out->def = (uint16_t)(pdef + (el->rep != FL_PQ_REQUIRED));
  out->rep = (uint16_t)(prep + (el->rep == FL_PQ_REPEATED));
  out->first = (int32_t)nc->nleaves;
  switch (ice->kind) {
    case FL_NESTED_PRIM: {
      if (el->num_children > 0)
        return nested_unsupported(pr, col, "a group where the schema has a primitive", err);
      if (nc->nleaves == nc->cap) {
        nc->cap = nc->cap ? nc->cap * 2 : 8;
        nc->leaves = fl_realloc(nc->leaves, nc->cap * sizeof *nc->leaves);
      }
      nleaf *L = &nc->leaves[nc->nleaves];
      memset(L, 0, sizeof *L);
      int l = leaf_of_elem(pr, e);
      leaf *lf = &pr->leaves[l];
      if (!lf->usable && !leaf_type(lf))
        return nested_unsupported(pr, col, "a field of a Parquet type floe does not read", err);
      if (!types_compatible(lf->type, ice->prim)) {
        char a[48], b[48];
        fl_type_iceberg_name(lf->type, a, sizeof a);
        fl_type_iceberg_name(ice->prim, b, sizeof b);
        return fl_err_set(err, FL_ETYPE,
                          "%s: column %s: field %s (id %d) is %s in the file, the schema asks for %s",
                          pr->name, col, ice->name, ice->id, a, b);
      }
      L->want = ice->prim;
      L->col.lf = lf;
      L->col.ts_mul = lf->ts_mul;
      L->col.ts_div = lf->ts_div;
      if (ice->prim.kind == FL_T_TIMESTAMP_NS) { /* exact nanoseconds, as a flat column's */
        L->col.ts_div = 1;
        L->col.ts_mul = lf->ts_unit == FL_PQ_UNIT_NANOS    ? 1
                        : lf->ts_unit == FL_PQ_UNIT_MICROS ? 1000
                                                           : 1000000;
      }
      L->col.c = (uint32_t)l;
      L->max_def = out->def;
      L->max_rep = out->rep;
      out->kind = NN_PRIM;
      out->leaf = (int32_t)nc->nleaves++;
      out->nleaves = 1;
      return FL_OK;
    }
    case FL_NESTED_STRUCT: {
      if (el->num_children <= 0)
        return nested_unsupported(pr, col, "a primitive where the schema has a struct", err);
      out->kind = NN_STRUCT;
      out->nchild = ice->nchild;
      out->child = fl_arena_calloc(&pr->arena, ice->nchild ? ice->nchild : 1, sizeof *out->child);
      for (uint32_t i = 0; i < ice->nchild; i++) {
        int c = child_with_id(pr, e, ice->child[i].id);
        if (c < 0) { /* not in this file (added later): null */
          out->child[i].kind = NN_MISSING;
          out->child[i].name = ice->child[i].name;
          continue;
        }
        fl_code rc = build_nnode(pr, nc, col, (uint32_t)c, &ice->child[i], out->def, out->rep, &out->child[i],
                                 depth + 1, err);
        if (rc) return rc;
      }
      out->nleaves = (int32_t)nc->nleaves - out->first;
      if (!out->nleaves)
        return nested_unsupported(pr, col, "a struct none of whose fields is in the file", err);
      return FL_OK;
    }
    case FL_NESTED_LIST:
    case FL_NESTED_MAP: {
      if (el->num_children <= 0)
        return nested_unsupported(pr, col, "a primitive where the schema has a list or map", err);
      out->kind = ice->kind == FL_NESTED_LIST ? NN_LIST : NN_MAP;
      fl_code rc = build_repeated(pr, nc, col, e, ice, out, depth, err);
      if (rc) return rc;
      out->nleaves = (int32_t)nc->nleaves - out->first;
      return FL_OK;
    }
  }
  return nested_unsupported(pr, col, "this nested type", err);
}

/* ---- decoding a leaf whole, then assembling rows ---- */

/* Value j of the decoded page values in S as the leaf's type. */
static void nested_value(const colr *col, const scratch *S, uint32_t j, fl_value *v) {
  const leaf *lf = col->lf;
  memset(v, 0, sizeof *v);
  v->type = lf->type;
  switch (lf->el.phys) {
    case FL_PQ_BOOLEAN: v->u.b = ((const uint8_t *)S->dense)[j] != 0; return;
    case FL_PQ_INT32: {
      int32_t x = ((const int32_t *)S->dense)[j];
      if (lf->type.kind == FL_T_DECIMAL)
        fl_value_set_dec(v, x);
      else if (lf->type.kind == FL_T_TIME)
        v->u.i64 = (int64_t)x * lf->ts_mul;
      else
        v->u.i32 = x;
      return;
    }
    case FL_PQ_INT64: {
      int64_t x = S->dense[j];
      if (lf->type.kind == FL_T_DECIMAL)
        fl_value_set_dec(v, x);
      else if (col->ts_mul != 1)
        v->u.i64 = (int64_t)((uint64_t)x * (uint64_t)col->ts_mul);
      else
        v->u.i64 = col->ts_div != 1 ? fl_floor_div(x, col->ts_div) : x;
      return;
    }
    case FL_PQ_FLOAT: v->u.f32 = ((const float *)S->dense)[j]; return;
    case FL_PQ_DOUBLE: v->u.f64 = ((const double *)S->dense)[j]; return;
    default:
      if (lf->type.kind == FL_T_DECIMAL) {
        fl_i128 x = 0;
        if ((S->sl[j] && !fl_dec128_from_be(S->sp[j], S->sl[j], &x)) ||
            !fl_dec128_fits(x, lf->type.precision))
          v->is_null = true; /* checked by the caller */
        else
          fl_value_set_dec(v, x);
        return;
      }
      v->u.str.ptr = (const char *)S->sp[j];
      v->u.str.len = S->sl[j];
      if (v->type.kind == FL_T_JSON) v->type.kind = FL_T_STRING; /* a JSON leaf as its text, quoted */
      return;
  }
}

static fl_code nleaf_decode(fl_parquet_reader *pr, uint32_t rg, nleaf *L, scratch *S, fl_err *err) {
  colr *col = &L->col;
  col->pr = pr;
  col->rg = rg;
  col->ch = &pr->rgs[rg].chunks[col->c];
  col->dst = col->lf->type;
  col->pos = col->ch->start;
  col->levels = L->max_def > 0;
  col->def_bw = fl_pq_bit_width(L->max_def);
  col->rep_bw = L->max_rep ? fl_pq_bit_width(L->max_rep) : 0;
  if (col->ch->external)
    return fl_err_set(err, FL_EUNSUPPORTED, "%s: column chunk %u of row group %u is in another file",
                      pr->name, col->c, rg);
  if (col->ch->num_values < 0 || (uint64_t)col->ch->num_values > FL_NESTED_ENTRIES_MAX)
    return fl_err_set(err, FL_ELIMIT, "%s: column chunk %u of row group %u: %lld level entries (at most %u)",
                      pr->name, col->c, rg, (long long)col->ch->num_values, FL_NESTED_ENTRIES_MAX);
  uint64_t total = (uint64_t)col->ch->num_values;
  L->voff = fl_realloc(L->voff, sizeof *L->voff);
  L->voff[0] = 0;
  fl_code rc;
  while (col->seen < total) {
    if (!col->page_left && (rc = next_page(col, false, err))) return rc;
    uint32_t m = col->page_left < FL_BATCH_ROWS ? col->page_left : FL_BATCH_ROWS;
    if (L->n + m > L->cap) {
      L->cap = (L->n + m) * 2;
      L->def = fl_realloc(L->def, L->cap * sizeof *L->def);
      L->rep = fl_realloc(L->rep, L->cap * sizeof *L->rep);
      L->voff = fl_realloc(L->voff, ((size_t)L->cap + 1) * sizeof *L->voff);
    }
    if (col->rep_bw) {
      if (!hyb_get(&col->rep, S->ix, m))
        return CCORRUPT(col, err, "repetition levels end early in the page before offset %llu",
                        (unsigned long long)col->pos);
      for (uint32_t i = 0; i < m; i++) {
        if (S->ix[i] > L->max_rep)
          return CCORRUPT(col, err, "repetition level %u above %u", S->ix[i], L->max_rep);
        L->rep[L->n + i] = (uint16_t)S->ix[i];
      }
    } else {
      memset(L->rep + L->n, 0, m * sizeof *L->rep);
    }
    uint32_t k = m;
    if (col->levels) {
      if (!hyb_get(&col->def, S->lv, m))
        return CCORRUPT(col, err, "definition levels end early in the page before offset %llu",
                        (unsigned long long)col->pos);
      k = 0;
      for (uint32_t i = 0; i < m; i++) {
        if (S->lv[i] > L->max_def)
          return CCORRUPT(col, err, "definition level %u above %u", S->lv[i], L->max_def);
        L->def[L->n + i] = (uint16_t)S->lv[i];
        k += S->lv[i] == L->max_def;
      }
    } else {
      memset(L->def + L->n, 0, m * sizeof *L->def);
    }
    if ((rc = decode_values(col, S, k, err))) return rc;
    for (uint32_t j = 0; j < k; j++) {
      fl_value v;
      nested_value(col, S, j, &v);
      if (v.is_null) return CCORRUPT(col, err, "a decimal outside its precision or length");
      if (v.type.kind == FL_T_TIMESTAMP && L->want.kind == FL_T_TIMESTAMP_NS)
        v.type = L->want;                    /* scaled above */
      if (!fl_type_equal(v.type, L->want)) { /* to the schema's type: binary, uuid, widened numbers */
        fl_value w;
        if (fl_type_is_bytes(v.type.kind) && fl_type_is_bytes(L->want.kind))
          v.type = L->want;
        else if (fl_value_cast(&v, L->want, &w))
          v = w;
        else
          return CCORRUPT(col, err, "a value that does not fit the schema's type");
      }
      fl_value_to_json(&v, &L->text);
      if (L->text.len > BATCH_STRING_BYTES_MAX)
        return fl_err_set(err, FL_ELIMIT, "%s: column chunk %u of row group %u: more than %u bytes of values",
                          pr->name, col->c, rg, BATCH_STRING_BYTES_MAX);
      L->voff[++L->nvals] = (uint32_t)L->text.len;
    }
    L->n += m;
    col->page_left -= m;
    col->seen += m;
  }
  return FL_OK;
}

static int nn_def(ncol *nc, const nnode *nd) {
  const nleaf *L = &nc->leaves[nd->first];
  if (L->pos >= L->n) {
    nc->bad = true;
    return -1;
  }
  return L->def[L->pos];
}

/* A null or empty node: one entry of each leaf under it, all below its level. */
static void nn_skip(ncol *nc, const nnode *nd, uint16_t below) {
  for (int32_t i = nd->first; i < nd->first + nd->nleaves; i++) {
    nleaf *L = &nc->leaves[i];
    if (L->pos >= L->n || L->def[L->pos] >= below) {
      nc->bad = true;
      return;
    }
    L->pos++;
  }
}

static void json_key(fl_buf *out, const char *name) {
  fl_value k = {.type = {FL_T_STRING, 0, 0}};
  k.u.str.ptr = name;
  k.u.str.len = (uint32_t)strlen(name);
  fl_value_to_json(&k, out);
}

static void nn_emit(ncol *nc, const nnode *nd, fl_buf *out) {
  if (nc->bad) return;
  if (nd->kind == NN_MISSING) {
    fl_buf_puts(out, "null");
    return;
  }
  if (nd->kind == NN_PRIM) {
    nleaf *L = &nc->leaves[nd->leaf];
    if (L->pos >= L->n) {
      nc->bad = true;
      return;
    }
    if (L->def[L->pos++] == L->max_def) {
      if (L->vi >= L->nvals) {
        nc->bad = true;
        return;
      }
      fl_buf_append(out, L->text.data + L->voff[L->vi], L->voff[L->vi + 1] - L->voff[L->vi]);
      L->vi++;
    } else {
      fl_buf_puts(out, "null");
    }
    return;
  }
  int d = nn_def(nc, nd);
  if (d < 0) return;
  if (d < nd->def) {
    fl_buf_puts(out, "null");
    nn_skip(nc, nd, nd->def);
    return;
  }
  if (nd->kind == NN_STRUCT) {
    fl_buf_put_u8(out, '{');
    for (uint32_t i = 0; i < nd->nchild && !nc->bad; i++) {
      if (i) fl_buf_put_u8(out, ',');
      json_key(out, nd->child[i].name);
      fl_buf_put_u8(out, ':');
      nn_emit(nc, &nd->child[i], out);
    }
    fl_buf_put_u8(out, '}');
    return;
  }
  bool map = nd->kind == NN_MAP;
  if (d < nd->rdef) { /* empty */
    fl_buf_puts(out, map ? "{}" : "[]");
    nn_skip(nc, nd, nd->rdef);
    return;
  }
  fl_buf_put_u8(out, map ? '{' : '[');
  nleaf *first = &nc->leaves[nd->first];
  for (bool more = true, next = false; more && !nc->bad; next = true) {
    uint32_t before = first->pos;
    if (next) fl_buf_put_u8(out, ',');
    if (map) {
      size_t at = out->len;
      nn_emit(nc, &nd->child[0], out);
      if (out->len > at && out->data[at] != '"') { /* a key that is no string: its text, quoted */
        size_t n = out->len - at;
        char *t = fl_malloc(n + 1);
        memcpy(t, out->data + at, n);
        t[n] = 0;
        out->len = at;
        json_key(out, t);
        fl_free(t);
      }
      fl_buf_put_u8(out, ':');
      nn_emit(nc, &nd->child[1], out);
    } else {
      nn_emit(nc, &nd->child[0], out);
    }
    if (first->pos == before) nc->bad = true; /* no progress: inconsistent levels */
    more = first->pos < first->n && first->rep[first->pos] == nd->rep;
  }
  fl_buf_put_u8(out, map ? '}' : ']');
}

/* Rows [.., + n) of the nested column into vec (JSON text; a null top value is NULL). */
static fl_code ncol_fill(ncol *nc, const char *fname, fl_vec *vec, uint32_t n, const char *file,
                         fl_err *err) {
  for (uint32_t r = 0; r < n; r++) {
    const nleaf *L = &nc->leaves[nc->root.first];
    if (L->pos >= L->n || L->rep[L->pos] != 0) nc->bad = true;
    int d = nc->bad ? -1 : nn_def(nc, &nc->root);
    if (!nc->bad && d < nc->root.def) {
      nn_skip(nc, &nc->root, nc->root.def);
      fl_vec_append_null(vec);
    } else {
      fl_buf_clear(&nc->row);
      nn_emit(nc, &nc->root, &nc->row);
      fl_vec_append_str(vec, (const char *)nc->row.data, (uint32_t)nc->row.len);
    }
    if (nc->bad)
      return fl_err_set(err, FL_ECORRUPT,
                        "%s: column %s: the repetition and definition levels of its leaves disagree", file,
                        fname);
  }
  return FL_OK;
}

static void ncol_free(ncol *nc) {
  if (!nc) return;
  for (uint32_t i = 0; i < nc->nleaves; i++) {
    nleaf *L = &nc->leaves[i];
    fl_buf_free(&L->col.dict_buf);
    fl_buf_free(&L->col.dict_vals);
    fl_buf_free(&L->col.page_buf);
    fl_buf_free(&L->col.prev);
    fl_buf_free(&L->col.vals);
    fl_free(L->col.dict_sp);
    fl_free(L->col.dict_sl);
    fl_free(L->def);
    fl_free(L->rep);
    fl_free(L->voff);
    fl_buf_free(&L->text);
  }
  fl_free(nc->leaves);
  fl_buf_free(&nc->row);
  fl_free(nc);
}

/* The nested field fld for row group rg: NULL in *out if the file has no such group. */
static fl_code ncol_open(fl_parquet_reader *pr, uint32_t rg, const fl_field *fld, scratch *S, ncol **out,
                         fl_err *err) {
  *out = NULL;
  int g = child_with_id(pr, 0, fld->id);
  if (g < 0) return FL_OK;
  ncol *nc = fl_calloc(1, sizeof *nc);
  fl_code rc = build_nnode(pr, nc, fld->name, (uint32_t)g, fld->nested, 0, 0, &nc->root, 1, err);
  for (uint32_t i = 0; !rc && i < nc->nleaves; i++) rc = nleaf_decode(pr, rg, &nc->leaves[i], S, err);
  if (!rc && pr->rgs[rg].num_rows > 0 && nc->leaves[0].n == 0)
    rc = fl_err_set(err, FL_ECORRUPT, "%s: column %s has no entries", pr->name, fld->name);
  if (rc) {
    ncol_free(nc);
    return rc;
  }
  *out = nc;
  return FL_OK;
}

static bool types_compatible(fl_type file, fl_type want) {
  if (fl_type_is_string(file.kind) && fl_type_is_string(want.kind)) return true;
  /* binary from any BYTE_ARRAY (an unannotated one reads as STRING); uuid from a
   * 16-byte fixed written without the UUID logical type */
  if (want.kind == FL_T_BINARY && (fl_type_is_string(file.kind) || file.kind == FL_T_BINARY)) return true;
  if (want.kind == FL_T_UUID && file.kind == FL_T_FIXED && file.length == 16) return true;
  if (file.kind == FL_T_TIMESTAMP && want.kind == FL_T_TIMESTAMP_NS) return true; /* exact: scaled up */
  return fl_type_can_widen(file, want);
}

/* A row group being decoded (the pull form of read_row_group: the scan's iterator
 * asks for one batch at a time). */
struct fl_parquet_rg_cursor {
  fl_parquet_reader *pr;
  const fl_schema *schema;
  const rowgroup *g;
  colr *cols;
  ncol **ncols;
  scratch *S;
  fl_batch *batch;
  uint64_t done_rows;
  uint64_t *sel; /* row ranges [sel[2i], sel[2i+1]) to read (fl_parquet_rg_cursor_select) */
  uint32_t nsel, sel_i;
  bool selected;
};

/* The batch of a freed cursor, kept per thread for the next cursor over the same column
 * types: a scan opens one cursor per row group, and a new batch of FL_BATCH_ROWS rows
 * per cursor was zeroed memory it mostly did not use (decode_all: 41M instructions of
 * memset in 1M rows; filter_count 8.4M). Checked by types, not by the schema's address,
 * which a later query may reuse for other columns. A pthread key frees it at exit. */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_free(void *p) { fl_batch_free(p); }
static void spare_key_init(void) { FL_ASSERT(pthread_key_create(&spare_key, spare_free) == 0); }

static fl_batch *batch_take(const fl_field *fields, uint32_t nf) {
  pthread_once(&spare_once, spare_key_init);
  fl_batch *b = pthread_getspecific(spare_key);
  if (b && b->ncols == nf && b->capacity == FL_BATCH_ROWS) {
    bool same = true;
    for (uint32_t f = 0; f < nf && same; f++) same = fl_type_equal(b->cols[f].type, fields[f].type);
    if (same) {
      FL_ASSERT(pthread_setspecific(spare_key, NULL) == 0);
      fl_batch_reset(b);
      b->fields = fields;
      return b;
    }
  }
  return fl_batch_new(fields, nf, FL_BATCH_ROWS);
}

/* Keeps b as this thread's spare (the one kept before is freed). */
static void batch_release(fl_batch *b) {
  if (!b) return;
  pthread_once(&spare_once, spare_key_init);
  fl_batch *old = pthread_getspecific(spare_key);
  if (pthread_setspecific(spare_key, b) != 0) {
    fl_batch_free(b);
    return;
  }
  fl_batch_free(old);
}

void fl_parquet_rg_cursor_free(fl_parquet_rg_cursor *cur) {
  if (!cur) return;
  uint32_t nf = cur->schema->nfields;
  for (uint32_t f = 0; f < nf; f++) {
    ncol_free(cur->ncols[f]);
    fl_buf_free(&cur->cols[f].dict_buf);
    fl_buf_free(&cur->cols[f].dict_vals);
    fl_buf_free(&cur->cols[f].page_buf);
    fl_buf_free(&cur->cols[f].prev);
    fl_buf_free(&cur->cols[f].vals);
    fl_free(cur->cols[f].dict_sp);
    fl_free(cur->cols[f].dict_sl);
    fl_vec_free(&cur->cols[f].dictv);
  }
  fl_free(cur->cols);
  fl_free(cur->ncols);
  fl_free(cur->sel);
  fl_free(cur->S);
  batch_release(cur->batch);
  fl_free(cur);
}

fl_code fl_parquet_rg_cursor_open(fl_parquet_reader *pr, uint32_t rg, const fl_schema *schema,
                                  fl_parquet_rg_cursor **out, fl_err *err) {
  *out = NULL;
  if (rg >= pr->nrg) return fl_err_set(err, FL_EINVAL, "%s: row group %u of %u", pr->name, rg, pr->nrg);
  fl_code rc = FL_OK;
  const rowgroup *g = &pr->rgs[rg];
  uint32_t nf = schema->nfields;
  fl_parquet_rg_cursor *cur = fl_calloc(1, sizeof *cur);
  cur->pr = pr;
  cur->schema = schema;
  cur->g = g;
  cur->cols = fl_calloc(nf ? nf : 1, sizeof *cur->cols);
  cur->ncols = fl_calloc(nf ? nf : 1, sizeof *cur->ncols); /* nested fields */
  cur->S = fl_malloc(sizeof *cur->S);
  cur->batch = batch_take(schema->fields, nf);
  colr *cols = cur->cols;
  ncol **ncols = cur->ncols;
  scratch *S = cur->S;
  fl_batch *batch = cur->batch;
  for (uint32_t f = 0; f < nf; f++) {
    const fl_field *fld = &schema->fields[f];
    colr *col = &cols[f];
    col->pr = pr;
    col->rg = rg;
    col->dst = fld->type;
    col->vec = &batch->cols[f];
    if (fld->nested) { /* a struct, list or map: JSON text (absent from the file: nulls) */
      if ((rc = ncol_open(pr, rg, fld, S, &ncols[f], err))) goto fail;
      continue;
    }
    int l = leaf_of_field(pr, fld->id);
    if (l < 0) continue; /* absent from the file: nulls */
    const leaf *lf = &pr->leaves[l];
    if (!lf->usable) {
      rc = fl_err_set(err, FL_EUNSUPPORTED,
                      "%s: field %s (id %d) is a nested or unsupported column in the file", pr->name,
                      fld->name, fld->id);
      goto fail;
    }
    if (!types_compatible(lf->type, fld->type)) {
      char a[48], b[48];
      fl_type_iceberg_name(lf->type, a, sizeof a);
      fl_type_iceberg_name(fld->type, b, sizeof b);
      rc = fl_err_set(err, FL_ETYPE, "%s: field %s (id %d) is %s in the file, the schema asks for %s",
                      pr->name, fld->name, fld->id, a, b);
      goto fail;
    }
    const chunk *ch = &g->chunks[l];
    col->ts_mul = lf->ts_mul;
    col->ts_div = lf->ts_div;
    if (fld->type.kind == FL_T_TIMESTAMP_NS) {
      col->ts_div = 1;
      col->ts_mul = lf->ts_unit == FL_PQ_UNIT_NANOS ? 1 : lf->ts_unit == FL_PQ_UNIT_MICROS ? 1000 : 1000000;
    }
    col->lf = lf;
    col->ch = ch;
    col->c = (uint32_t)l;
    col->levels = lf->optional;
    col->pos = ch->start;
    if (ch->external) {
      rc = fl_err_set(err, FL_EUNSUPPORTED, "%s: column chunk %d of row group %u is in another file",
                      pr->name, l, rg);
      goto fail;
    }
    if (ch->num_values != g->num_rows) {
      rc = CCORRUPT(col, err, "%lld values in a row group of %lld rows", (long long)ch->num_values,
                    (long long)g->num_rows);
      goto fail;
    }
  }
  *out = cur;
  return FL_OK;
fail:
  fl_parquet_rg_cursor_free(cur);
  return rc;
}

fl_code fl_parquet_rg_cursor_next(fl_parquet_rg_cursor *cur, const fl_batch **out, uint64_t *first_row,
                                  fl_err *err) {
  *out = NULL;
  const rowgroup *g = cur->g;
  if (cur->done_rows >= (uint64_t)g->num_rows) return FL_OK;
  const fl_schema *schema = cur->schema;
  uint32_t nf = schema->nfields;
  uint64_t end = (uint64_t)g->num_rows;
  fl_code rc;
  if (cur->selected) {
    while (cur->sel_i < cur->nsel && cur->done_rows >= cur->sel[2 * cur->sel_i + 1]) cur->sel_i++;
    if (cur->sel_i == cur->nsel) {
      cur->done_rows = end;
      return FL_OK;
    }
    if (cur->done_rows < cur->sel[2 * cur->sel_i]) cur->done_rows = cur->sel[2 * cur->sel_i];
    end = cur->sel[2 * cur->sel_i + 1];
    for (uint32_t f = 0; f < nf; f++)
      if (cur->cols[f].lf && cur->cols[f].seen < cur->done_rows &&
          (rc = skip_to(&cur->cols[f], cur->S, cur->done_rows, err)))
        return rc;
  }
  uint64_t left = end - cur->done_rows;
  uint32_t n = left < FL_BATCH_ROWS ? (uint32_t)left : FL_BATCH_ROWS;
  fl_batch_reset(cur->batch);
  for (uint32_t f = 0; f < nf; f++) {
    if (cur->ncols[f]) {
      if ((rc = ncol_fill(cur->ncols[f], schema->fields[f].name, cur->cols[f].vec, n, cur->pr->name, err)))
        return rc;
    } else if (!cur->cols[f].lf)
      fill_nulls(cur->cols[f].vec, n);
    else if ((rc = read_column(&cur->cols[f], cur->S, n, err)))
      return rc;
  }
  fl_batch_set_rows(cur->batch, n);
  *first_row = g->first_row + cur->done_rows;
  cur->done_rows += n;
  *out = cur->batch;
  return FL_OK;
}

fl_code fl_parquet_rg_cursor_select(fl_parquet_rg_cursor *cur, const uint64_t *ranges, uint32_t n,
                                    fl_err *err) {
  FL_ASSERT(!cur->done_rows && !cur->selected, "%s: a selection after the first batch", cur->pr->name);
  uint64_t rows = (uint64_t)cur->g->num_rows;
  for (uint32_t i = 0; i < n; i++)
    FL_ASSERT(ranges[2 * i] < ranges[2 * i + 1] && ranges[2 * i + 1] <= rows &&
                  (!i || ranges[2 * i - 1] < ranges[2 * i]),
              "%s: row range %u [%llu, %llu) of a row group of %llu rows", cur->pr->name, i,
              (unsigned long long)ranges[2 * i], (unsigned long long)ranges[2 * i + 1],
              (unsigned long long)rows);
  uint32_t nf = cur->schema->nfields;
  for (uint32_t f = 0; f < nf; f++)
    if (cur->ncols[f]) return FL_OK; /* a nested column decodes its row group whole: no selection */
  for (uint32_t f = 0; f < nf; f++) {
    colr *col = &cur->cols[f];
    if (!col->lf) continue;
    fl_code rc = load_pages(cur->pr, col->rg, col->c, err);
    if (rc) return rc;
    col->pages = col->ch->pages;
    col->npages = col->ch->npages;
  }
  cur->sel = fl_malloc((n ? n : 1) * 2 * sizeof *cur->sel);
  memcpy(cur->sel, ranges, (size_t)n * 2 * sizeof *cur->sel);
  cur->nsel = n;
  cur->selected = true;
  return FL_OK;
}

void fl_parquet_rg_cursor_keep_dicts(fl_parquet_rg_cursor *cur) {
  FL_ASSERT(!cur->done_rows, "%s: dictionary form asked after the first batch", cur->pr->name);
  for (uint32_t f = 0; f < cur->schema->nfields; f++) {
    colr *col = &cur->cols[f];
    fl_type_kind k = col->dst.kind;
    col->keep_dict = col->lf && !cur->ncols[f] && col->lf->el.phys == FL_PQ_BYTE_ARRAY &&
                     (k == FL_T_STRING || k == FL_T_JSON);
  }
}

void fl_parquet_rg_cursor_pages(const fl_parquet_rg_cursor *cur, uint64_t *read, uint64_t *skipped) {
  *read = *skipped = 0;
  for (uint32_t f = 0; f < cur->schema->nfields; f++) {
    *read += cur->cols[f].pages_read;
    *skipped += cur->cols[f].pages_skipped;
  }
}

fl_code fl_parquet_reader_read_row_group(fl_parquet_reader *pr, uint32_t rg, const fl_schema *schema,
                                         fl_parquet_emit_fn emit, void *ctx, fl_err *err) {
  fl_parquet_rg_cursor *cur;
  fl_code rc = fl_parquet_rg_cursor_open(pr, rg, schema, &cur, err);
  if (rc) return rc;
  for (;;) {
    const fl_batch *batch;
    uint64_t first_row;
    if ((rc = fl_parquet_rg_cursor_next(cur, &batch, &first_row, err)) || !batch) break;
    int r = emit(ctx, batch, first_row);
    if (r) {
      rc = (fl_code)r;
      break;
    }
  }
  fl_parquet_rg_cursor_free(cur);
  return rc;
}

/* ---- name mapping (Iceberg spec "Column Projection"): ids for files written without */

bool fl_parquet_reader_ids_by_position(const fl_parquet_reader *pr) { return pr->ids_by_position; }

void fl_parquet_reader_map_names(fl_parquet_reader *pr, const char *const *names, const int32_t *ids,
                                 uint32_t n) {
  FL_ASSERT(pr->ids_by_position, "%s: name mapping over a file with field ids", pr->name);
  for (uint32_t l = 0; l < pr->nleaves; l++) {
    leaf *lf = &pr->leaves[l];
    lf->el.has_id = false;
    lf->el.field_id = 0;
    if (!lf->top) continue;
    for (uint32_t i = 0; i < n; i++)
      if (!strcmp(names[i], lf->name)) {
        lf->el.has_id = true;
        lf->el.field_id = ids[i];
        break;
      }
  }
  for (uint32_t f = 0; f < pr->schema.nfields; f++) {
    const leaf *lf = &pr->leaves[pr->field_leaf[f]];
    pr->schema.fields[f].id = lf->el.has_id ? lf->el.field_id : 0;
  }
}
