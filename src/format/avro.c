/* avro: Avro object container files, written and read by floe itself (avro.h).
 *
 * Why our own: Avro C's writer drops field ids, logical types and user metadata
 * (REFERENCE/iceberg_parquet.md §7); reading needs to be bounds-checked for fuzzing
 * anyway, and a manifest needs only a small subset of Avro.
 *
 * File layout (Avro spec, "Object Container Files"):
 *
 *   offset   bytes      content
 *   0        4          magic "Obj" 0x01
 *   4        varies     metadata: map<bytes> in blocks: zigzag count (negative:
 *                       then a zigzag byte size), count x (string key, bytes value),
 *                       ..., a 0 count. Keys: avro.schema (JSON, required),
 *                       avro.codec ("null" default, "deflate", "snappy", "zstandard"),
 *                       then the application's keys (Iceberg: schema, partition-spec...)
 *   ...      16         sync marker (random per file)
 *   blocks, each:
 *            varies     zigzag record count (> 0)
 *            varies     zigzag payload byte size
 *            size       payload: the records, binary-encoded, then compressed by the
 *                       codec (deflate: raw RFC 1951; snappy: raw + 4-byte BE CRC-32
 *                       of the uncompressed bytes; zstandard: a zstd frame)
 *            16         the sync marker again
 *
 * Binary encoding: int/long zigzag varint; float/double 4/8-byte LE; boolean 1 byte;
 * bytes/string zigzag length + bytes; union zigzag branch index + value; record
 * fields in order; enum zigzag index; fixed raw; array/map blocks of (zigzag count,
 * negative = count then byte size) items, ended by a 0 count.
 *
 * Reader bounds (core/limits.h): block payload <= FL_AVRO_BLOCK_MAX compressed and
 * uncompressed, strings <= FL_AVRO_STRING_MAX, schema and value nesting <=
 * FL_AVRO_DEPTH_MAX; item counts <= remaining bytes / fewest bytes per item (or
 * ZERO_SIZE_ITEMS_MAX for items that encode to nothing, like null); the value
 * nodes one block decodes to <= NODES_PER_BYTE x its bytes + ZERO_SIZE_ITEMS_MAX,
 * so no small input describes a huge tree. Each failure is FL_ECORRUPT with the
 * file name, what and the byte position.
 *
 * Ownership: see avro.h. Entry points: fl_avro_writer_*, fl_avro_file_save/load,
 * fl_avro_reader_open/next/close, fl_avro_put_*. */
#include "format/avro.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <snappy-c.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/fsync.h"
#include "core/limits.h"

/* Items that encode to zero bytes (null, empty record) cannot be bounded by the
 * input size; no real file has more than a handful in one array. */
enum { ZERO_SIZE_ITEMS_MAX = 1 << 16 };
/* Value nodes a block may decode to, per byte of (decompressed) block: manifests
 * need under 1 (an entry of ~25 fields takes ~60 bytes, a map item 3 nodes in >= 2
 * bytes); 4 leaves room and bounds a record's tree to 128 bytes of memory per byte. */
enum { NODES_PER_BYTE = 4 };

static const uint8_t MAGIC[4] = {'O', 'b', 'j', 1};

/* ================================ encoders ================================ */

void fl_avro_put_float(fl_buf *b, float v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  fl_buf_put_le32(b, u);
}

void fl_avro_put_double(fl_buf *b, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  fl_buf_put_le64(b, u);
}

void fl_avro_put_bytes(fl_buf *b, const void *p, size_t n) {
  fl_buf_put_zigzag(b, (int64_t)n);
  fl_buf_append(b, p, n);
}

void fl_avro_put_string(fl_buf *b, const char *s) { fl_avro_put_bytes(b, s, strlen(s)); }

/* ================================= writer ================================= */

static void random_sync(uint8_t sync[16]) {
  if (getrandom(sync, 16, GRND_NONBLOCK) == 16) return;
  /* No entropy yet (early boot): uniqueness per file is all the marker needs. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t a = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
  uint64_t b = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)sync;
  memcpy(sync, &a, 8);
  memcpy(sync + 8, &b, 8);
}

void fl_avro_writer_init(fl_avro_writer *w, const char *schema_json, const fl_avro_kv *meta, uint32_t nmeta,
                         fl_avro_codec codec) {
  FL_ASSERT(codec == FL_AVRO_CODEC_NULL || codec == FL_AVRO_CODEC_DEFLATE, "avro: codec %d not writable",
            codec);
  memset(w, 0, sizeof *w);
  w->codec = codec;
  random_sync(w->sync);
  fl_buf_append(&w->file, MAGIC, 4);
  fl_avro_put_block(&w->file, 2 + (uint64_t)nmeta);
  fl_avro_put_string(&w->file, "avro.schema");
  fl_avro_put_string(&w->file, schema_json);
  fl_avro_put_string(&w->file, "avro.codec");
  fl_avro_put_string(&w->file, codec == FL_AVRO_CODEC_DEFLATE ? "deflate" : "null");
  for (uint32_t i = 0; i < nmeta; i++) {
    fl_avro_put_string(&w->file, meta[i].key);
    fl_avro_put_string(&w->file, meta[i].value);
  }
  fl_avro_put_end(&w->file);
  fl_buf_append(&w->file, w->sync, 16);
}

static void writer_flush(fl_avro_writer *w) {
  if (w->block_count == 0) return;
  const uint8_t *payload = w->block.data;
  size_t size = w->block.len;
  if (w->codec == FL_AVRO_CODEC_DEFLATE) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int rc = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    FL_ASSERT(rc == Z_OK, "avro: deflateInit2 %d", rc);
    size_t bound = deflateBound(&zs, (uLong)w->block.len);
    fl_buf_clear(&w->scratch);
    fl_buf_reserve(&w->scratch, bound);
    zs.next_in = w->block.data;
    zs.avail_in = (uInt)w->block.len;
    zs.next_out = w->scratch.data;
    zs.avail_out = (uInt)bound;
    rc = deflate(&zs, Z_FINISH);
    FL_ASSERT(rc == Z_STREAM_END, "avro: deflate %d", rc);
    w->scratch.len = zs.total_out;
    deflateEnd(&zs);
    payload = w->scratch.data;
    size = w->scratch.len;
  }
  fl_avro_put_long(&w->file, (int64_t)w->block_count);
  fl_avro_put_long(&w->file, (int64_t)size);
  fl_buf_append(&w->file, payload, size);
  fl_buf_append(&w->file, w->sync, 16);
  fl_buf_clear(&w->block);
  w->block_count = 0;
}

void fl_avro_writer_record_end(fl_avro_writer *w) {
  w->block_count++;
  w->records++;
  if (w->block.len >= FL_AVRO_BLOCK_BYTES) writer_flush(w);
}

void fl_avro_writer_finish(fl_avro_writer *w) { writer_flush(w); }

void fl_avro_writer_free(fl_avro_writer *w) {
  fl_buf_free(&w->file);
  fl_buf_free(&w->block);
  fl_buf_free(&w->scratch);
}

fl_code fl_avro_file_save(const char *path, const void *data, size_t len, fl_err *err) {
  fl_code rc = FL_OK;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fl_err_errno(err, errno, "%s: create", path);
  const uint8_t *p = data;
  size_t left = len;
  while (left) {
    ssize_t got = write(fd, p, left);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      rc = fl_err_errno(err, errno, "%s: write", path);
      goto fail;
    }
    p += got;
    left -= (size_t)got;
  }
  if (fl_fdatasync(fd) != 0) {
    rc = fl_err_errno(err, errno, "%s: fdatasync", path);
    goto fail;
  }
  if (close(fd) != 0) {
    fd = -1;
    rc = fl_err_errno(err, errno, "%s: close", path);
    goto fail;
  }
  return FL_OK;
fail:
  if (fd >= 0) close(fd);
  unlink(path);
  return rc;
}

fl_code fl_avro_file_load(const char *path, uint8_t **data, size_t *len, fl_err *err) {
  fl_code rc = FL_OK;
  uint8_t *buf = NULL;
  *data = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fl_err_errno(err, errno, "%s: open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    rc = fl_err_errno(err, errno, "%s: stat", path);
    goto done;
  }
  size_t size = (size_t)st.st_size;
  buf = fl_malloc(size ? size : 1);
  size_t have = 0;
  while (have < size) {
    ssize_t got = read(fd, buf + have, size - have);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      rc = fl_err_errno(err, errno, "%s: read", path);
      goto done;
    }
    if (got == 0) break; /* shrank under us: read what is there */
    have += (size_t)got;
  }
  *data = buf;
  *len = have;
  buf = NULL;
done:
  fl_free(buf);
  close(fd);
  return rc;
}

/* ============================== schema parsing ============================== */

typedef struct named {
  const char *name;
  fl_avro_schema *schema;
} named;

typedef struct sparse {
  fl_arena *arena;
  named *names;
  uint32_t nnames, cap;
  char why[256];
} sparse;

static fl_avro_schema *sfail(sparse *sp, const char *fmt, const char *arg) {
  snprintf(sp->why, sizeof sp->why, fmt, arg);
  return NULL;
}

static const struct {
  const char *name;
  fl_avro_type type;
  uint32_t min_bytes;
} PRIMS[] = {
    {"null", FL_AVRO_NULL, 0},   {"boolean", FL_AVRO_BOOLEAN, 1}, {"int", FL_AVRO_INT, 1},
    {"long", FL_AVRO_LONG, 1},   {"float", FL_AVRO_FLOAT, 4},     {"double", FL_AVRO_DOUBLE, 8},
    {"bytes", FL_AVRO_BYTES, 1}, {"string", FL_AVRO_STRING, 1},
};

static fl_avro_schema *new_schema(sparse *sp, fl_avro_type type) {
  fl_avro_schema *s = fl_arena_calloc(sp->arena, 1, sizeof *s);
  s->type = type;
  s->element_id = -1;
  return s;
}

static int prim_index(const char *name) {
  for (unsigned i = 0; i < sizeof PRIMS / sizeof PRIMS[0]; i++)
    if (strcmp(PRIMS[i].name, name) == 0) return (int)i;
  return -1;
}

static const char *full_name(sparse *sp, const char *name, const char *ns) {
  if (strchr(name, '.') || !ns || !*ns) return fl_arena_strdup(sp->arena, name);
  return fl_arena_sprintf(sp->arena, "%s.%s", ns, name);
}

static fl_avro_schema *lookup_name(sparse *sp, const char *name, const char *ns) {
  for (uint32_t pass = 0; pass < 3; pass++) {
    for (uint32_t i = 0; i < sp->nnames; i++) {
      const char *have = sp->names[i].name;
      if (pass == 0 && strcmp(have, name) == 0) return sp->names[i].schema;
      if (pass == 1 && ns && *ns) {
        size_t nl = strlen(ns);
        if (strncmp(have, ns, nl) == 0 && have[nl] == '.' && strcmp(have + nl + 1, name) == 0)
          return sp->names[i].schema;
      }
      if (pass == 2) { /* lenient: match the short name */
        const char *dot = strrchr(have, '.');
        const char *nd = strrchr(name, '.');
        if (strcmp(dot ? dot + 1 : have, nd ? nd + 1 : name) == 0) return sp->names[i].schema;
      }
    }
  }
  return NULL;
}

static bool register_name(sparse *sp, const char *name, fl_avro_schema *s) {
  for (uint32_t i = 0; i < sp->nnames; i++)
    if (strcmp(sp->names[i].name, name) == 0) return false;
  if (sp->nnames == sp->cap) {
    uint32_t cap = sp->cap ? sp->cap * 2 : 16;
    named *grown = fl_arena_alloc(sp->arena, cap * sizeof *grown);
    if (sp->nnames) memcpy(grown, sp->names, sp->nnames * sizeof *grown);
    sp->names = grown;
    sp->cap = cap;
  }
  sp->names[sp->nnames].name = name;
  sp->names[sp->nnames].schema = s;
  sp->nnames++;
  return true;
}

static uint32_t sat_add(uint32_t a, uint32_t b) { return a > UINT32_MAX - b ? UINT32_MAX : a + b; }

static int32_t json_int_or(json_t *obj, const char *key, int32_t dflt) {
  json_t *v = json_object_get(obj, key);
  if (!json_is_integer(v)) return dflt;
  json_int_t i = json_integer_value(v);
  return (i < INT32_MIN || i > INT32_MAX) ? dflt : (int32_t)i;
}

static fl_avro_schema *parse_schema(sparse *sp, json_t *j, const char *ns, int depth);

static fl_avro_schema *parse_record(sparse *sp, json_t *j, const char *ns, int depth) {
  json_t *jname = json_object_get(j, "name");
  if (!json_is_string(jname)) return sfail(sp, "%s without a name", "record");
  json_t *jns = json_object_get(j, "namespace");
  const char *name =
      full_name(sp, json_string_value(jname), json_is_string(jns) ? json_string_value(jns) : ns);
  fl_avro_schema *s = new_schema(sp, FL_AVRO_RECORD);
  s->name = name;
  if (!register_name(sp, name, s)) return sfail(sp, "type %s defined twice", name);
  const char *dot = strrchr(name, '.');
  const char *inner_ns = dot ? fl_arena_strndup(sp->arena, name, (size_t)(dot - name)) : ns;
  json_t *jfields = json_object_get(j, "fields");
  if (!json_is_array(jfields)) return sfail(sp, "record %s without fields", name);
  s->n = (uint32_t)json_array_size(jfields);
  s->fields = fl_arena_calloc(sp->arena, s->n ? s->n : 1, sizeof *s->fields);
  for (uint32_t i = 0; i < s->n; i++) {
    json_t *jf = json_array_get(jfields, i);
    json_t *fname = json_object_get(jf, "name");
    if (!json_is_object(jf) || !json_is_string(fname))
      return sfail(sp, "record %s has a field without a name", name);
    s->fields[i].name = fl_arena_strdup(sp->arena, json_string_value(fname));
    s->fields[i].field_id = json_int_or(jf, "field-id", -1);
    json_t *jt = json_object_get(jf, "type");
    if (!jt) return sfail(sp, "field %s without a type", s->fields[i].name);
    const fl_avro_schema *ft = parse_schema(sp, jt, inner_ns, depth + 1);
    if (!ft) return NULL;
    s->fields[i].type = ft;
    s->min_bytes = sat_add(s->min_bytes, ft->min_bytes);
  }
  return s;
}

static fl_avro_schema *parse_object(sparse *sp, json_t *j, const char *ns, int depth) {
  json_t *jt = json_object_get(j, "type");
  if (!jt) return sfail(sp, "%s", "schema object without \"type\"");
  if (!json_is_string(jt)) return parse_schema(sp, jt, ns, depth + 1); /* {"type": {...}} */
  const char *type = json_string_value(jt);
  fl_avro_schema *s = NULL;
  int pi = prim_index(type);
  if (pi >= 0) {
    s = new_schema(sp, PRIMS[pi].type);
    s->min_bytes = PRIMS[pi].min_bytes;
  } else if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0) {
    s = parse_record(sp, j, ns, depth);
    if (!s) return NULL;
  } else if (strcmp(type, "enum") == 0 || strcmp(type, "fixed") == 0) {
    bool is_enum = type[0] == 'e';
    json_t *jname = json_object_get(j, "name");
    if (!json_is_string(jname)) return sfail(sp, "%s without a name", type);
    json_t *jns = json_object_get(j, "namespace");
    s = new_schema(sp, is_enum ? FL_AVRO_ENUM : FL_AVRO_FIXED);
    s->name = full_name(sp, json_string_value(jname), json_is_string(jns) ? json_string_value(jns) : ns);
    if (!register_name(sp, s->name, s)) return sfail(sp, "type %s defined twice", s->name);
    if (is_enum) {
      json_t *syms = json_object_get(j, "symbols");
      if (!json_is_array(syms) || json_array_size(syms) == 0)
        return sfail(sp, "enum %s without symbols", s->name);
      s->n = (uint32_t)json_array_size(syms);
      s->symbols = fl_arena_calloc(sp->arena, s->n, sizeof *s->symbols);
      for (uint32_t i = 0; i < s->n; i++) {
        json_t *sym = json_array_get(syms, i);
        if (!json_is_string(sym)) return sfail(sp, "enum %s has a symbol that is not a string", s->name);
        s->symbols[i] = fl_arena_strdup(sp->arena, json_string_value(sym));
      }
      s->min_bytes = 1;
    } else {
      json_t *size = json_object_get(j, "size");
      if (!json_is_integer(size) || json_integer_value(size) < 0 ||
          json_integer_value(size) > FL_AVRO_STRING_MAX)
        return sfail(sp, "fixed %s without a valid size", s->name);
      s->n = (uint32_t)json_integer_value(size);
      s->min_bytes = s->n;
    }
  } else if (strcmp(type, "array") == 0 || strcmp(type, "map") == 0) {
    bool is_array = type[0] == 'a';
    json_t *ji = json_object_get(j, is_array ? "items" : "values");
    if (!ji) return sfail(sp, "%s without items/values", type);
    s = new_schema(sp, is_array ? FL_AVRO_ARRAY : FL_AVRO_MAP);
    s->items = parse_schema(sp, ji, ns, depth + 1);
    if (!s->items) return NULL;
    s->element_id = json_int_or(j, "element-id", -1);
    s->min_bytes = 1;
  } else {
    fl_avro_schema *ref = lookup_name(sp, type, ns);
    if (!ref) return sfail(sp, "unknown type \"%.200s\"", type);
    return ref; /* a reference carries no attributes of its own */
  }
  json_t *lt = json_object_get(j, "logicalType");
  if (json_is_string(lt)) {
    s->logical = fl_arena_strdup(sp->arena, json_string_value(lt));
    s->precision = json_int_or(j, "precision", 0);
    s->scale = json_int_or(j, "scale", 0);
  }
  return s;
}

static fl_avro_schema *parse_schema(sparse *sp, json_t *j, const char *ns, int depth) {
  if (depth > FL_AVRO_DEPTH_MAX) return sfail(sp, "%s", "schema nests too deep");
  if (json_is_string(j)) {
    const char *name = json_string_value(j);
    int pi = prim_index(name);
    if (pi >= 0) {
      fl_avro_schema *s = new_schema(sp, PRIMS[pi].type);
      s->min_bytes = PRIMS[pi].min_bytes;
      return s;
    }
    fl_avro_schema *ref = lookup_name(sp, name, ns);
    if (!ref) return sfail(sp, "unknown type \"%.200s\"", name);
    return ref;
  }
  if (json_is_array(j)) {
    fl_avro_schema *s = new_schema(sp, FL_AVRO_UNION);
    s->n = (uint32_t)json_array_size(j);
    if (s->n == 0) return sfail(sp, "%s", "empty union");
    s->branches = fl_arena_calloc(sp->arena, s->n, sizeof *s->branches);
    for (uint32_t i = 0; i < s->n; i++) {
      const fl_avro_schema *b = parse_schema(sp, json_array_get(j, i), ns, depth + 1);
      if (!b) return NULL;
      if (b->type == FL_AVRO_UNION) return sfail(sp, "%s", "union directly inside a union");
      s->branches[i] = b;
    }
    s->min_bytes = 1;
    return s;
  }
  if (json_is_object(j)) return parse_object(sp, j, ns, depth);
  return sfail(sp, "%s", "schema is neither a name, an object nor a union");
}

int fl_avro_schema_field(const fl_avro_schema *s, int32_t id, const char *name) {
  if (!s || s->type != FL_AVRO_RECORD) return -1;
  if (id >= 0)
    for (uint32_t i = 0; i < s->n; i++)
      if (s->fields[i].field_id == id) return (int)i;
  if (name)
    for (uint32_t i = 0; i < s->n; i++)
      if (strcmp(s->fields[i].name, name) == 0) return (int)i;
  return -1;
}

const fl_avro_schema *fl_avro_schema_nonnull(const fl_avro_schema *s) {
  if (!s || s->type != FL_AVRO_UNION) return s;
  const fl_avro_schema *found = NULL;
  for (uint32_t i = 0; i < s->n; i++) {
    if (s->branches[i]->type == FL_AVRO_NULL) continue;
    if (found) return s; /* more than one non-null branch */
    found = s->branches[i];
  }
  return found ? found : s;
}

const fl_avro_value *fl_avro_value_get(const fl_avro_value *v, const char *name) {
  if (!v || v->schema->type != FL_AVRO_RECORD) return NULL;
  return fl_avro_value_at(v, fl_avro_schema_field(v->schema, -1, name));
}

/* ================================= decoding ================================= */

typedef struct dec {
  fl_cursor *cur;
  fl_arena *arena;
  uint64_t *nodes_left; /* value nodes this block may still allocate; NULL = unbounded */
  const char *why;
} dec;

/* Every fl_avro_value allocated is charged to the block's budget, so a small input
 * cannot describe a huge tree (records of many zero-byte fields, nested arrays of
 * nulls). */
static bool charge(dec *d, uint64_t n) {
  if (!d->nodes_left) return true;
  if (n > *d->nodes_left) return false;
  *d->nodes_left -= n;
  return true;
}

static bool dfail(dec *d, const char *why) {
  if (!d->why) d->why = why;
  return false;
}

static bool get_long(dec *d, int64_t *v) {
  if (!fl_cursor_get_zigzag(d->cur, v)) return dfail(d, "truncated or overlong varint");
  return true;
}

/* Reads a block count of an array or map; negative counts carry a byte size. */
static bool get_count(dec *d, uint32_t min_bytes, uint64_t have, uint64_t *count) {
  int64_t c;
  if (!get_long(d, &c)) return false;
  if (c < 0) {
    if (c == INT64_MIN) return dfail(d, "bad block count");
    c = -c;
    int64_t size;
    if (!get_long(d, &size)) return false;
    if (size < 0 || (uint64_t)size > fl_cursor_left(d->cur)) return dfail(d, "block byte size past the end");
  }
  uint64_t bound = min_bytes ? fl_cursor_left(d->cur) / min_bytes : ZERO_SIZE_ITEMS_MAX;
  if ((uint64_t)c > bound || have + (uint64_t)c > (min_bytes ? UINT32_MAX : ZERO_SIZE_ITEMS_MAX))
    return dfail(d, "item count exceeds the remaining bytes");
  *count = (uint64_t)c;
  return true;
}

static bool decode(dec *d, const fl_avro_schema *s, fl_avro_value *out, int depth);

/* Arrays and maps: blocks of items until a 0 count. */
static bool decode_list(dec *d, const fl_avro_schema *s, fl_avro_value *out, int depth) {
  bool is_map = s->type == FL_AVRO_MAP;
  uint32_t min_item = s->items->min_bytes + (is_map ? 1 : 0);
  fl_avro_value *items = NULL, *keys = NULL;
  uint64_t n = 0, cap = 0;
  for (;;) {
    uint64_t c;
    if (!get_count(d, min_item, n, &c)) return false;
    if (c == 0) break;
    if (!charge(d, is_map ? 2 * c : c)) return dfail(d, "value tree larger than its block allows");
    if (n + c > cap) { /* geometric growth: many one-item blocks stay linear */
      cap = n + c > 2 * cap ? n + c : 2 * cap;
      fl_avro_value *grown = fl_arena_alloc(d->arena, cap * sizeof *grown);
      if (n) memcpy(grown, items, n * sizeof *grown);
      items = grown;
      if (is_map) {
        fl_avro_value *kgrown = fl_arena_alloc(d->arena, cap * sizeof *kgrown);
        if (n) memcpy(kgrown, keys, n * sizeof *kgrown);
        keys = kgrown;
      }
    }
    for (uint64_t i = n; i < n + c; i++) {
      if (is_map) {
        static const fl_avro_schema string_schema = {
            .type = FL_AVRO_STRING, .element_id = -1, .min_bytes = 1};
        if (!decode(d, &string_schema, &keys[i], depth + 1)) return false;
      }
      if (!decode(d, s->items, &items[i], depth + 1)) return false;
    }
    n += c;
  }
  out->n = (uint32_t)n;
  out->u.list.items = items;
  out->u.list.keys = keys;
  return true;
}

static bool decode(dec *d, const fl_avro_schema *s, fl_avro_value *out, int depth) {
  if (depth > FL_AVRO_DEPTH_MAX) return dfail(d, "values nest too deep");
  out->schema = s;
  out->n = 0;
  int64_t l;
  const uint8_t *p;
  switch (s->type) {
    case FL_AVRO_NULL: return true;
    case FL_AVRO_BOOLEAN: {
      uint8_t b;
      if (!fl_cursor_get_u8(d->cur, &b)) return dfail(d, "truncated boolean");
      if (b > 1) return dfail(d, "boolean is neither 0 nor 1");
      out->u.b = b;
      return true;
    }
    case FL_AVRO_INT:
      if (!get_long(d, &l)) return false;
      if (l < INT32_MIN || l > INT32_MAX) return dfail(d, "int out of range");
      out->u.l = l;
      return true;
    case FL_AVRO_LONG:
      if (!get_long(d, &l)) return false;
      out->u.l = l;
      return true;
    case FL_AVRO_FLOAT: {
      uint32_t u;
      if (!fl_cursor_get_le32(d->cur, &u)) return dfail(d, "truncated float");
      memcpy(&out->u.f, &u, 4);
      return true;
    }
    case FL_AVRO_DOUBLE: {
      uint64_t u;
      if (!fl_cursor_get_le64(d->cur, &u)) return dfail(d, "truncated double");
      memcpy(&out->u.d, &u, 8);
      return true;
    }
    case FL_AVRO_BYTES:
    case FL_AVRO_STRING:
      if (!get_long(d, &l)) return false;
      if (l < 0 || l > FL_AVRO_STRING_MAX) return dfail(d, "bad string or bytes length");
      if (!fl_cursor_get_bytes(d->cur, (size_t)l, &p)) return dfail(d, "string or bytes past the end");
      out->u.bytes.ptr = p;
      out->u.bytes.len = (uint32_t)l;
      return true;
    case FL_AVRO_FIXED:
      if (!fl_cursor_get_bytes(d->cur, s->n, &p)) return dfail(d, "fixed past the end");
      out->u.bytes.ptr = p;
      out->u.bytes.len = s->n;
      return true;
    case FL_AVRO_ENUM:
      if (!get_long(d, &l)) return false;
      if (l < 0 || (uint64_t)l >= s->n) return dfail(d, "enum index out of range");
      out->u.symbol = (uint32_t)l;
      return true;
    case FL_AVRO_UNION:
      if (!get_long(d, &l)) return false;
      if (l < 0 || (uint64_t)l >= s->n) return dfail(d, "union branch out of range");
      return decode(d, s->branches[l], out, depth + 1);
    case FL_AVRO_RECORD:
      if (!charge(d, s->n)) return dfail(d, "value tree larger than its block allows");
      out->n = s->n;
      out->u.list.keys = NULL;
      out->u.list.items = fl_arena_alloc(d->arena, (s->n ? s->n : 1) * sizeof(fl_avro_value));
      for (uint32_t i = 0; i < s->n; i++)
        if (!decode(d, s->fields[i].type, &out->u.list.items[i], depth + 1)) return false;
      return true;
    case FL_AVRO_ARRAY:
    case FL_AVRO_MAP: return decode_list(d, s, out, depth);
  }
  return dfail(d, "unknown schema type");
}

/* ================================= reader ================================= */

static fl_code rd_corrupt(fl_avro_reader *rd, fl_err *err, const char *what, size_t pos) {
  return fl_err_set(err, FL_ECORRUPT, "%s: avro %s at byte %zu", rd->name, what, pos);
}

static fl_code read_header(fl_avro_reader *rd, fl_err *err) {
  fl_cursor *cur = &rd->cur;
  const uint8_t *magic;
  if (!fl_cursor_get_bytes(cur, 4, &magic) || memcmp(magic, MAGIC, 4) != 0)
    return rd_corrupt(rd, err, "magic \"Obj\\1\" missing", 0);
  dec d = {cur, &rd->arena, NULL, NULL};
  uint32_t cap = 0;
  for (;;) {
    uint64_t c;
    size_t at = cur->pos;
    if (!get_count(&d, 2, rd->nmeta, &c)) return rd_corrupt(rd, err, "metadata count", at);
    if (c == 0) break;
    if (rd->nmeta + c > cap) {
      cap = (uint32_t)(rd->nmeta + c > 2 * (uint64_t)cap ? rd->nmeta + c : 2 * (uint64_t)cap);
      fl_avro_kv *grown = fl_arena_alloc(&rd->arena, cap * sizeof *grown);
      if (rd->nmeta) memcpy(grown, rd->meta, rd->nmeta * sizeof *grown);
      rd->meta = grown;
    }
    for (uint64_t i = 0; i < c; i++) {
      static const fl_avro_schema bytes_schema = {.type = FL_AVRO_BYTES, .element_id = -1, .min_bytes = 1};
      fl_avro_value k, v;
      at = cur->pos;
      if (!decode(&d, &bytes_schema, &k, 0) || !decode(&d, &bytes_schema, &v, 0))
        return rd_corrupt(rd, err, "metadata entry", at);
      rd->meta[rd->nmeta].key = fl_arena_strndup(&rd->arena, (const char *)k.u.bytes.ptr, k.u.bytes.len);
      rd->meta[rd->nmeta].value = fl_arena_strndup(&rd->arena, (const char *)v.u.bytes.ptr, v.u.bytes.len);
      rd->nmeta++;
    }
  }
  const uint8_t *sync;
  if (!fl_cursor_get_bytes(cur, 16, &sync))
    return rd_corrupt(rd, err, "header truncated before the sync marker", cur->pos);
  memcpy(rd->sync, sync, 16);

  const char *codec = fl_avro_reader_meta(rd, "avro.codec");
  if (!codec || strcmp(codec, "null") == 0)
    rd->codec = FL_AVRO_CODEC_NULL;
  else if (strcmp(codec, "deflate") == 0)
    rd->codec = FL_AVRO_CODEC_DEFLATE;
  else if (strcmp(codec, "snappy") == 0)
    rd->codec = FL_AVRO_CODEC_SNAPPY;
  else if (strcmp(codec, "zstandard") == 0)
    rd->codec = FL_AVRO_CODEC_ZSTD;
  else
    return fl_err_set(err, FL_EUNSUPPORTED, "%s: avro codec \"%.100s\" not supported", rd->name, codec);

  rd->schema_json = fl_avro_reader_meta(rd, "avro.schema");
  if (!rd->schema_json) return fl_err_set(err, FL_ECORRUPT, "%s: avro header has no avro.schema", rd->name);
  json_error_t jerr;
  json_t *j = json_loadb(rd->schema_json, strlen(rd->schema_json), JSON_DECODE_ANY, &jerr);
  if (!j)
    return fl_err_set(err, FL_ECORRUPT, "%s: avro.schema is not JSON: %s (line %d column %d)", rd->name,
                      jerr.text, jerr.line, jerr.column);
  sparse sp;
  memset(&sp, 0, sizeof sp);
  sp.arena = &rd->arena;
  rd->schema = parse_schema(&sp, j, NULL, 0);
  json_decref(j);
  if (!rd->schema) return fl_err_set(err, FL_ECORRUPT, "%s: avro.schema: %s", rd->name, sp.why);
  return FL_OK;
}

fl_code fl_avro_reader_open(fl_avro_reader *rd, const uint8_t *data, size_t len, const char *name,
                            fl_err *err) {
  memset(rd, 0, sizeof *rd);
  fl_arena_init(&rd->arena, 16 << 10);
  fl_arena_init(&rd->values, 16 << 10);
  rd->name = fl_arena_strdup(&rd->arena, name ? name : "(avro)");
  rd->data = data;
  rd->len = len;
  rd->cur = fl_cursor_make(data, len);
  rd->blk = fl_cursor_make(data, 0);
  fl_code rc = read_header(rd, err);
  if (rc) fl_avro_reader_close(rd);
  return rc;
}

const char *fl_avro_reader_meta(const fl_avro_reader *rd, const char *key) {
  for (uint32_t i = 0; i < rd->nmeta; i++)
    if (strcmp(rd->meta[i].key, key) == 0) return rd->meta[i].value;
  return NULL;
}

void fl_avro_reader_close(fl_avro_reader *rd) {
  fl_arena_destroy(&rd->arena);
  fl_arena_destroy(&rd->values);
  fl_buf_free(&rd->inflated);
  memset(rd, 0, sizeof *rd);
}

/* Grows rd->inflated for one more chunk of decompressed output, within the limit. */
static bool inflate_room(fl_avro_reader *rd, size_t want) {
  if (rd->inflated.len >= FL_AVRO_BLOCK_MAX) return false;
  size_t room = FL_AVRO_BLOCK_MAX - rd->inflated.len;
  fl_buf_reserve(&rd->inflated, want < room ? want : room);
  return true;
}

static fl_code decompress(fl_avro_reader *rd, const uint8_t *p, size_t n, size_t at, fl_err *err) {
  fl_buf *out = &rd->inflated;
  fl_buf_clear(out);
  if (rd->codec == FL_AVRO_CODEC_DEFLATE) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -15) != Z_OK)
      return fl_err_set(err, FL_ENOMEM, "%s: inflateInit2 failed", rd->name);
    zs.next_in = (Bytef *)p;
    zs.avail_in = (uInt)n;
    int zrc = Z_OK;
    while (zrc != Z_STREAM_END) {
      size_t want = n * 4 > (64u << 10) ? n * 4 : (64u << 10);
      if (!inflate_room(rd, want)) {
        inflateEnd(&zs);
        return rd_corrupt(rd, err, "deflate block inflates past FL_AVRO_BLOCK_MAX", at);
      }
      size_t room = out->cap - out->len;
      if (room > UINT_MAX) room = UINT_MAX;
      zs.next_out = out->data + out->len;
      zs.avail_out = (uInt)room;
      zrc = inflate(&zs, Z_NO_FLUSH);
      out->len += room - zs.avail_out;
      if (zrc == Z_BUF_ERROR && zs.avail_in == 0) zrc = Z_DATA_ERROR; /* input ended early */
      if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
        inflateEnd(&zs);
        return rd_corrupt(rd, err, "deflate block does not inflate", at);
      }
    }
    inflateEnd(&zs);
    return FL_OK;
  }
  if (rd->codec == FL_AVRO_CODEC_ZSTD) {
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx) return fl_err_set(err, FL_ENOMEM, "%s: ZSTD_createDCtx failed", rd->name);
    ZSTD_inBuffer in = {p, n, 0};
    size_t zrc = 1;
    while (in.pos < in.size || zrc != 0) {
      if (!inflate_room(rd, n * 4 > (64u << 10) ? n * 4 : (64u << 10))) {
        ZSTD_freeDCtx(dctx);
        return rd_corrupt(rd, err, "zstandard block inflates past FL_AVRO_BLOCK_MAX", at);
      }
      ZSTD_outBuffer zout = {out->data + out->len, out->cap - out->len, 0};
      size_t in_before = in.pos;
      zrc = ZSTD_decompressStream(dctx, &zout, &in);
      out->len += zout.pos;
      if (ZSTD_isError(zrc) || (zout.pos == 0 && in.pos == in_before && zout.size > 0)) {
        ZSTD_freeDCtx(dctx);
        return rd_corrupt(rd, err, "zstandard block does not decompress", at);
      }
    }
    ZSTD_freeDCtx(dctx);
    return FL_OK;
  }
  FL_ASSERT(rd->codec == FL_AVRO_CODEC_SNAPPY);
  size_t ulen;
  /* Validate before allocating: the length header alone could claim 256 MiB. */
  if (n < 4 || snappy_uncompressed_length((const char *)p, n - 4, &ulen) != SNAPPY_OK ||
      ulen > FL_AVRO_BLOCK_MAX || snappy_validate_compressed_buffer((const char *)p, n - 4) != SNAPPY_OK)
    return rd_corrupt(rd, err, "snappy block is not valid snappy", at);
  fl_buf_reserve(out, ulen ? ulen : 1);
  if (snappy_uncompress((const char *)p, n - 4, (char *)out->data, &ulen) != SNAPPY_OK)
    return rd_corrupt(rd, err, "snappy block does not decompress", at);
  out->len = ulen;
  uint32_t crc = (uint32_t)crc32(0L, out->data, (uInt)ulen);
  if (crc != fl_be32(p + n - 4)) return rd_corrupt(rd, err, "snappy block CRC mismatch", at);
  return FL_OK;
}

/* Loads the next non-empty block; false in *more at the end of the file. */
static fl_code next_block(fl_avro_reader *rd, bool *more, fl_err *err) {
  fl_cursor *cur = &rd->cur;
  dec d = {cur, NULL, NULL, NULL};
  while (rd->blk_left == 0) {
    if (fl_cursor_left(cur) == 0) {
      *more = false;
      return FL_OK;
    }
    size_t at = cur->pos;
    int64_t count, size;
    if (!get_long(&d, &count) || !get_long(&d, &size))
      return rd_corrupt(rd, err, "block header truncated", at);
    if (count < 0) return rd_corrupt(rd, err, "negative block record count", at);
    if (size < 0 || (uint64_t)size > FL_AVRO_BLOCK_MAX)
      return rd_corrupt(rd, err, "block size exceeds FL_AVRO_BLOCK_MAX", at);
    const uint8_t *payload, *sync;
    size_t payload_at = cur->pos;
    if (!fl_cursor_get_bytes(cur, (size_t)size, &payload))
      return rd_corrupt(rd, err, "block past the end of the file", at);
    if (!fl_cursor_get_bytes(cur, 16, &sync) || memcmp(sync, rd->sync, 16) != 0)
      return rd_corrupt(rd, err, "sync marker mismatch after block", cur->pos);
    if (rd->codec == FL_AVRO_CODEC_NULL) {
      rd->blk = fl_cursor_make(payload, (size_t)size);
    } else {
      fl_code rc = decompress(rd, payload, (size_t)size, at, err);
      if (rc) return rc;
      rd->blk = fl_cursor_make(rd->inflated.data, rd->inflated.len);
    }
    uint32_t min_bytes = rd->schema->min_bytes;
    uint64_t bound = min_bytes ? rd->blk.len / min_bytes : ZERO_SIZE_ITEMS_MAX;
    if ((uint64_t)count > bound) return rd_corrupt(rd, err, "block record count exceeds its bytes", at);
    if (count == 0 && rd->blk.len != 0) return rd_corrupt(rd, err, "empty block with payload", at);
    rd->blk_pos = payload_at;
    rd->blk_left = (uint64_t)count;
    rd->blk_nodes_left = NODES_PER_BYTE * (uint64_t)rd->blk.len + ZERO_SIZE_ITEMS_MAX;
  }
  *more = true;
  return FL_OK;
}

fl_code fl_avro_reader_next(fl_avro_reader *rd, const fl_avro_value **out, fl_err *err) {
  *out = NULL;
  bool more;
  fl_code rc = next_block(rd, &more, err);
  if (rc || !more) return rc;
  fl_arena_reset(&rd->values);
  fl_avro_value *v = fl_arena_alloc(&rd->values, sizeof *v);
  if (!charge(&(dec){NULL, NULL, &rd->blk_nodes_left, NULL}, 1))
    return fl_err_set(err, FL_ECORRUPT,
                      "%s: avro block at byte %zu decodes to more values than its bytes allow", rd->name,
                      rd->blk_pos);
  dec d = {&rd->blk, &rd->values, &rd->blk_nodes_left, NULL};
  size_t at = rd->blk.pos;
  if (!decode(&d, rd->schema, v, 0))
    return fl_err_set(
        err, FL_ECORRUPT, "%s: avro record %llu: %s (byte %zu of the block at byte %zu, record at %zu)",
        rd->name, (unsigned long long)rd->records, d.why ? d.why : "bad value", rd->blk.pos, rd->blk_pos, at);
  rd->records++;
  if (--rd->blk_left == 0 && fl_cursor_left(&rd->blk) != 0)
    return fl_err_set(err, FL_ECORRUPT, "%s: avro block at byte %zu has %zu bytes after its last record",
                      rd->name, rd->blk_pos, fl_cursor_left(&rd->blk));
  *out = v;
  return FL_OK;
}
