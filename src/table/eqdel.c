/* eqdel: Iceberg equality deletes applied by a scan (spec "Scan Planning", "Equality
 * Delete Files"), as Flink's upsert sink and other streaming writers produce them.
 *
 * An equality delete file (content 2) lists rows by the values of the columns named by
 * its equality_ids: a data row whose values in those columns equal one delete row's
 * (NULL equals NULL, as the spec says) is deleted, provided the delete applies to the
 * row's file:
 *   data file's data sequence number  <  the delete's (strictly: an upsert's new row
 *                                        is written in the same commit as its delete)
 *   and the delete's spec is unpartitioned, or it has the same spec id and the same
 *   partition values as the data file.
 *
 * Data flow:
 *   plan   fl_eqdel_add_file per live equality delete file of the snapshot: its
 *          equality columns are read by field id (types of the table schema that has
 *          the field, the current one first: the delete file may hold any subset of
 *          the columns, and narrower types widen as in data files) and every row's key
 *          goes into the key set of its equality-id set ("group"): one open-addressing
 *          table per group (linear probing, load <= 1/2); a slot holds the hash's high
 *          32 bits and the entry index, so a probe reads an entry (hash, delete file
 *          index, the key inline up to 16 bytes, else in `keys`) only when they agree.
 *   bind   fl_eqdel_bind: the read schema = the scan's projection + the equality
 *          columns it lacks (appended, so the projection's column indexes stay).
 *   run    fl_eqdel_begin_file per data file: which delete files apply (sequence
 *          number, partition); fl_eqdel_mark per batch: first every row's key is encoded
 *          into one reused buffer and hashed, then the rows are probed, each home slot
 *          prefetched 16 rows ahead and its entry 8 rows ahead (a large key set lives in
 *          memory, not cache: overlapping the misses made 2M rows against 1M keys 3x
 *          faster); a hit deletes when its delete file applies. Building the set
 *          (add_rows) goes a batch at a time the same way.
 *
 * Key bytes, per equality column in the group's (sorted) id order: 0 for NULL, or 1 and
 * then the value: fixed-width values as stored in the vector (floats with one NaN, so
 * NaN equals NaN as in Java's Float.equals), strings as u32 length + bytes. Delete and
 * data rows are read with the same types, so equal values encode equally.
 *
 * Memory: the key bytes, entries and slots are owned by the fl_eqdel and grow
 * geometrically while planning; a scan allocates nothing per row. At most
 * FL_EQ_DELETE_KEYS_MAX keys per scan (FL_ELIMIT beyond). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "table/table_int.h"

enum { KEY_INLINE_MAX = 16 }; /* keys up to this size live in their entry: one cache miss less */

typedef struct eq_entry {
  uint64_t hash;
  uint64_t off; /* into keys, when len > KEY_INLINE_MAX */
  uint32_t len;
  uint32_t dfile;
  uint8_t inl[KEY_INLINE_MAX];
} eq_entry;

typedef struct eq_group {
  int32_t *ids; /* sorted equality field ids */
  uint32_t nids;
  fl_field *fields; /* how they are read */
  int *read_cols;   /* per id: column in the scan's read schema */
  eq_entry *entries;
  uint32_t nentries, capentries;
  uint64_t *slots; /* high 32 bits of the hash << 32 | entry index + 1; 0 empty */
  uint32_t capslots;
} eq_group;

/* One batch's keys (bkeys, row r at boff[r]..boff[r+1]) and hashes. */
typedef struct eq_keys {
  fl_buf bkeys;
  uint32_t boff[FL_BATCH_ROWS + 1];
  uint64_t bhash[FL_BATCH_ROWS];
} eq_keys;

/* What one reader of the key sets changes: which delete files apply to its current
 * data file, and its batch's keys. The sets themselves are read-only once bound, so
 * each scan iterator (thread) probes them through its own cursor. */
struct fl_eqdel_cursor {
  const fl_eqdel *ed;
  bool *applies; /* per delete file */
  bool *active;  /* per group: some delete file of it applies */
  eq_keys k;
};

typedef struct eq_file {
  const char *path;
  uint32_t group;
  int32_t spec_id;
  bool unpartitioned;
  const fl_value *partition;
  uint32_t npartition;
  int64_t seq;
} eq_file;

struct fl_eqdel {
  const fl_table *tbl;
  fl_arena *arena;
  eq_group *groups;
  uint32_t ngroups;
  eq_file *files;
  uint32_t nfiles, capfiles;
  uint8_t *keys;
  uint64_t keys_len, keys_cap;
  uint64_t nkeys;
  eq_keys k;            /* the delete rows being added */
  fl_eqdel_cursor *cur; /* the one fl_eqdel_begin_file / fl_eqdel_mark use */
  /* while reading one delete file */
  eq_group *g_cur;
  uint32_t f_cur;
  fl_err *err;
  fl_name_mapping names; /* schema.name-mapping.default, parsed at the first file without ids */
  bool names_read;
};

fl_eqdel *fl_eqdel_new(const fl_table *tbl, fl_arena *arena) {
  fl_eqdel *ed = fl_calloc(1, sizeof *ed);
  ed->tbl = tbl;
  ed->arena = arena;
  ed->k.bkeys = (fl_buf)FL_BUF_INIT;
  return ed;
}

void fl_eqdel_free(fl_eqdel *ed) {
  if (!ed) return;
  for (uint32_t g = 0; g < ed->ngroups; g++) {
    fl_free(ed->groups[g].entries);
    fl_free(ed->groups[g].slots);
  }
  fl_free(ed->groups);
  fl_free(ed->files);
  fl_free(ed->keys);
  fl_eqdel_cursor_free(ed->cur);
  fl_buf_free(&ed->k.bkeys);
  fl_free(ed);
}

uint32_t fl_eqdel_nfiles(const fl_eqdel *ed) { return ed ? ed->nfiles : 0; }

static int id_cmp(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* The field with this id in the current schema, else in the newest older schema that
 * has it (a column dropped since the delete was written still holds in old files). */
static const fl_field *field_by_id(const fl_table *tbl, int32_t id) {
  const fl_field *f = fl_schema_field_by_id(fl_table_schema(tbl), id);
  for (uint32_t i = tbl->meta->nschemas; !f && i > 0; i--)
    f = fl_schema_field_by_id(&tbl->meta->schemas[i - 1], id);
  return f;
}

static fl_code find_group(fl_eqdel *ed, const fl_live_file *lf, uint32_t *out, fl_err *err) {
  const fl_data_file *df = &lf->file;
  if (!df->nequality_ids)
    return fl_err_set(err, FL_ECORRUPT, "equality delete file %s has no equality_ids", df->file_path);
  if (df->nequality_ids > FL_COLUMNS_MAX)
    return fl_err_set(err, FL_ECORRUPT, "equality delete file %s: %u equality_ids (at most %d columns)",
                      df->file_path, df->nequality_ids, FL_COLUMNS_MAX);
  int32_t *ids = fl_arena_memdup(ed->arena, df->equality_ids, df->nequality_ids * sizeof(int32_t));
  qsort(ids, df->nequality_ids, sizeof(int32_t), id_cmp);
  for (uint32_t i = 1; i < df->nequality_ids; i++)
    if (ids[i] == ids[i - 1])
      return fl_err_set(err, FL_ECORRUPT, "equality delete file %s: equality id %d twice", df->file_path,
                        ids[i]);
  for (uint32_t g = 0; g < ed->ngroups; g++)
    if (ed->groups[g].nids == df->nequality_ids &&
        !memcmp(ed->groups[g].ids, ids, df->nequality_ids * sizeof(int32_t))) {
      *out = g;
      return FL_OK;
    }
  eq_group g = {0};
  g.ids = ids;
  g.nids = df->nequality_ids;
  g.fields = fl_arena_calloc(ed->arena, g.nids, sizeof(fl_field));
  g.read_cols = fl_arena_calloc(ed->arena, g.nids, sizeof(int));
  for (uint32_t i = 0; i < g.nids; i++) {
    const fl_field *f = field_by_id(ed->tbl, ids[i]);
    if (!f) /* a nested field's id (floe reads top-level columns), or none at all */
      return fl_err_set(err, FL_EUNSUPPORTED,
                        "equality delete file %s: equality id %d is not a top-level column of any schema "
                        "(nested equality keys are not supported)",
                        df->file_path, ids[i]);
    g.fields[i] = *f;
    g.fields[i].name = fl_arena_strdup(ed->arena, f->name);
    g.fields[i].required = false;
  }
  g.capslots = 1024;
  g.slots = fl_calloc(g.capslots, sizeof(uint64_t));
  ed->groups = fl_realloc(ed->groups, (ed->ngroups + 1) * sizeof(eq_group));
  ed->groups[ed->ngroups] = g;
  *out = ed->ngroups++;
  return FL_OK;
}

/* Bytes one fixed-width value takes in its vector: 16 for a 128-bit decimal (precision
 * > 18), so a wide key is compared on all its bytes. */
static unsigned value_bytes(const fl_vec *v) { return fl_type_bytes(v->type); }

/* Appends the key of row r of the given columns to k. */
static void encode_key(fl_buf *k, const fl_batch *batch, const int *cols, uint32_t ncols, uint32_t r) {
  for (uint32_t i = 0; i < ncols; i++) {
    const fl_vec *v = &batch->cols[cols[i]];
    if (!fl_vec_is_valid(v, r)) {
      fl_buf_append(k, "\0", 1);
      continue;
    }
    fl_buf_append(k, "\1", 1);
    if (v->offsets) { /* strings, and any type stored as offsets + bytes */
      uint32_t n;
      const char *p = fl_vec_str(v, r, &n);
      fl_buf_append(k, &n, sizeof n);
      fl_buf_append(k, p, n);
      continue;
    }
    switch (v->type.kind) {
      case FL_T_FLOAT: {
        float f = isnan(v->data.f32[r]) ? NAN : v->data.f32[r];
        fl_buf_append(k, &f, sizeof f);
        break;
      }
      case FL_T_DOUBLE: {
        double d = isnan(v->data.f64[r]) ? NAN : v->data.f64[r];
        fl_buf_append(k, &d, sizeof d);
        break;
      }
      default: {
        unsigned w = value_bytes(v);
        FL_ASSERT(w > 0, "column kind %d", (int)v->type.kind);
        fl_buf_append(k, (const uint8_t *)v->data.raw + (size_t)r * w, w);
        break;
      }
    }
  }
}

static inline uint64_t slot_of(uint64_t hash, uint32_t e) { return (hash & 0xFFFFFFFF00000000ull) | (e + 1); }

static inline const uint8_t *entry_key(const fl_eqdel *ed, const eq_entry *e) {
  return e->len <= KEY_INLINE_MAX ? e->inl : ed->keys + e->off;
}

/* The entry of slot value sv if its hash is h and its key [key, key + len), else NULL. */
static inline const eq_entry *slot_match(const fl_eqdel *ed, const eq_group *g, uint64_t sv, uint64_t h,
                                         const uint8_t *key, uint32_t len) {
  if ((sv ^ h) >> 32) return NULL; /* the tag differs: no need to look at the entry */
  const eq_entry *e = &g->entries[(uint32_t)sv - 1];
  if (e->hash != h || e->len != len || memcmp(entry_key(ed, e), key, len)) return NULL;
  return e;
}

/* Encodes and hashes every row of batch not already deleted (deleted may be NULL). */
static void batch_keys(eq_keys *k, const fl_batch *batch, const int *cols, uint32_t ncols,
                       const bool *deleted) {
  fl_buf_clear(&k->bkeys);
  for (uint32_t r = 0; r < batch->nrows; r++) {
    k->boff[r] = (uint32_t)k->bkeys.len;
    if (deleted && deleted[r]) {
      k->bhash[r] = 0;
      continue;
    }
    encode_key(&k->bkeys, batch, cols, ncols, r);
    k->bhash[r] = fl_hash64(k->bkeys.data + k->boff[r], k->bkeys.len - k->boff[r]);
  }
  k->boff[batch->nrows] = (uint32_t)k->bkeys.len;
}

/* Rows ahead of the probe whose home slot is prefetched: the slots and entries of a
 * large key set do not fit in cache, so each probe is a miss; overlapping them is what
 * keeps the probe fast (2M rows against 1M keys: see the interop README). */
enum { PREFETCH_AHEAD = 16 };

static void grow_slots(eq_group *g) {
  uint32_t cap = g->capslots * 2;
  uint64_t *slots = fl_calloc(cap, sizeof(uint64_t));
  for (uint32_t e = 0; e < g->nentries; e++) {
    uint32_t i = (uint32_t)g->entries[e].hash & (cap - 1);
    while (slots[i]) i = (i + 1) & (cap - 1);
    slots[i] = slot_of(g->entries[e].hash, e);
  }
  fl_free(g->slots);
  g->slots = slots;
  g->capslots = cap;
}

static int add_rows(void *ctx, const fl_batch *batch, uint64_t first_row) {
  fl_eqdel *ed = ctx;
  eq_group *g = ed->g_cur;
  int idx[FL_COLUMNS_MAX];
  (void)first_row;
  for (uint32_t i = 0; i < g->nids; i++) idx[i] = (int)i;
  FL_ASSERT(batch->nrows <= FL_BATCH_ROWS, "a batch of %u rows", batch->nrows);
  batch_keys(&ed->k, batch, idx, g->nids, NULL);
  for (uint32_t r = 0; r < batch->nrows; r++) {
    if (r + PREFETCH_AHEAD < batch->nrows)
      __builtin_prefetch(&g->slots[(uint32_t)ed->k.bhash[r + PREFETCH_AHEAD] & (g->capslots - 1)]);
    if (ed->nkeys >= FL_EQ_DELETE_KEYS_MAX) {
      fl_err_set(ed->err, FL_ELIMIT, "equality deletes: more than %u keys in one scan (at %s)",
                 (unsigned)FL_EQ_DELETE_KEYS_MAX, ed->files[ed->f_cur].path);
      return FL_ELIMIT;
    }
    const uint8_t *key = ed->k.bkeys.data + ed->k.boff[r];
    uint32_t len = ed->k.boff[r + 1] - ed->k.boff[r];
    uint64_t h = ed->k.bhash[r];
    /* the same key twice in one delete file: keep one entry */
    uint32_t i = (uint32_t)h & (g->capslots - 1);
    bool dup = false;
    for (; g->slots[i] && !dup; i = (i + 1) & (g->capslots - 1)) {
      const eq_entry *e = slot_match(ed, g, g->slots[i], h, key, len);
      dup = e && e->dfile == ed->f_cur;
    }
    if (dup) continue;
    eq_entry en = {h, 0, len, ed->f_cur, {0}};
    if (len <= KEY_INLINE_MAX) {
      memcpy(en.inl, key, len);
    } else {
      if (ed->keys_len + len > ed->keys_cap) {
        ed->keys_cap = ed->keys_cap ? ed->keys_cap * 2 : 65536;
        while (ed->keys_cap < ed->keys_len + len) ed->keys_cap *= 2;
        ed->keys = fl_realloc(ed->keys, ed->keys_cap);
      }
      memcpy(ed->keys + ed->keys_len, key, len);
      en.off = ed->keys_len;
      ed->keys_len += len;
    }
    if (g->nentries == g->capentries) {
      g->capentries = g->capentries ? g->capentries * 2 : 1024;
      g->entries = fl_realloc(g->entries, g->capentries * sizeof(eq_entry));
    }
    g->entries[g->nentries] = en;
    g->slots[i] = slot_of(h, g->nentries++);
    ed->nkeys++;
    if (g->nentries * 2 > g->capslots) grow_slots(g);
  }
  return 0;
}

fl_code fl_eqdel_add_file(fl_eqdel *ed, const fl_live_file *lf, fl_err *err) {
  const fl_data_file *df = &lf->file;
  if (df->file_format && strcmp(df->file_format, "PARQUET") && strcmp(df->file_format, "parquet"))
    return fl_err_set(err, FL_EUNSUPPORTED, "equality delete file %s: file format %s (floe reads Parquet)",
                      df->file_path, df->file_format);
  uint32_t gi = 0;
  fl_code rc = find_group(ed, lf, &gi, err);
  if (rc) return rc;
  if (ed->nfiles == ed->capfiles) {
    ed->capfiles = ed->capfiles ? ed->capfiles * 2 : 16;
    ed->files = fl_realloc(ed->files, ed->capfiles * sizeof(eq_file));
  }
  const fl_tspec *spec = fl_tmeta_spec_by_id(ed->tbl->meta, lf->spec_id);
  if (!spec)
    return fl_err_set(err, FL_ECORRUPT, "equality delete file %s: no partition spec %d", df->file_path,
                      lf->spec_id);
  ed->files[ed->nfiles] = (eq_file){
      df->file_path, gi, lf->spec_id, spec->nfields == 0, df->partition, df->npartition, lf->data_seq};
  ed->f_cur = ed->nfiles++;
  eq_group *g = &ed->groups[gi];
  ed->g_cur = g;
  ed->err = err;
  fl_schema schema = {0, g->nids, g->fields, 0, NULL};
  fl_parquet_reader *pr;
  if ((rc = fl_tbl_check_path(ed->tbl, df->file_path, err))) return rc;
  if ((rc = fl_parquet_reader_open(fl_tbl_path(ed->tbl, df->file_path, ed->arena), &pr, err))) return rc;
  if (fl_parquet_reader_ids_by_position(pr)) {
    /* a delete file without field ids: its columns by the table's name mapping, as a
     * data file's (scan.c), never by position */
    if (!ed->names_read && !(rc = fl_tbl_name_mapping(ed->tbl, ed->arena, &ed->names, err)))
      ed->names_read = true;
    if (!rc && !ed->names.present)
      rc = fl_err_set(err, FL_EUNSUPPORTED,
                      "table %s.%s: equality delete file %s has no Parquet field ids and the table no "
                      "schema.name-mapping.default: its columns cannot be matched to the schema",
                      ed->tbl->ns, ed->tbl->name, df->file_path);
    if (rc) {
      fl_parquet_reader_free(pr);
      return rc;
    }
    fl_parquet_reader_map_names(pr, ed->names.names, ed->names.ids, ed->names.n);
  }
  for (uint32_t rg = 0; rg < fl_parquet_reader_row_groups(pr) && !rc; rg++)
    rc = fl_parquet_reader_read_row_group(pr, rg, &schema, add_rows, ed, err);
  fl_parquet_reader_free(pr);
  return rc;
}

void fl_eqdel_bind(fl_eqdel *ed, const fl_schema *proj, fl_schema *read) {
  uint32_t extra = 0;
  for (uint32_t g = 0; g < ed->ngroups; g++)
    for (uint32_t i = 0; i < ed->groups[g].nids; i++) extra++;
  read->schema_id = proj->schema_id;
  read->fields = fl_arena_calloc(ed->arena, proj->nfields + extra + 1, sizeof(fl_field));
  memcpy(read->fields, proj->fields, proj->nfields * sizeof(fl_field));
  read->nfields = proj->nfields;
  for (uint32_t g = 0; g < ed->ngroups; g++) {
    eq_group *grp = &ed->groups[g];
    for (uint32_t i = 0; i < grp->nids; i++) {
      int c = fl_schema_index_of_id(read, grp->ids[i]);
      if (c < 0) {
        read->fields[read->nfields] = grp->fields[i];
        c = (int)read->nfields++;
      }
      grp->read_cols[i] = c;
    }
  }
  ed->cur = fl_eqdel_cursor_new(ed);
}

fl_eqdel_cursor *fl_eqdel_cursor_new(const fl_eqdel *ed) {
  fl_eqdel_cursor *c = fl_calloc(1, sizeof *c);
  c->ed = ed;
  c->applies = fl_calloc(ed->nfiles ? ed->nfiles : 1, sizeof(bool));
  c->active = fl_calloc(ed->ngroups ? ed->ngroups : 1, sizeof(bool));
  c->k.bkeys = (fl_buf)FL_BUF_INIT;
  return c;
}

void fl_eqdel_cursor_free(fl_eqdel_cursor *c) {
  if (!c) return;
  fl_free(c->applies);
  fl_free(c->active);
  fl_buf_free(&c->k.bkeys);
  fl_free(c);
}

static bool same_partition(const fl_value *a, const fl_value *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (a[i].is_null != b[i].is_null) return false;
    if (!a[i].is_null && fl_value_cmp(&a[i], &b[i]) != 0) return false;
  }
  return true;
}

bool fl_eqdel_cursor_begin_file(fl_eqdel_cursor *c, int32_t spec_id, const fl_value *partition,
                                uint32_t npartition, int64_t data_seq) {
  const fl_eqdel *ed = c->ed;
  bool any = false;
  for (uint32_t g = 0; g < ed->ngroups; g++) c->active[g] = false;
  for (uint32_t d = 0; d < ed->nfiles; d++) {
    const eq_file *f = &ed->files[d];
    bool a =
        f->seq > data_seq && (f->unpartitioned || (f->spec_id == spec_id && f->npartition == npartition &&
                                                   same_partition(f->partition, partition, npartition)));
    c->applies[d] = a;
    if (a) c->active[f->group] = any = true;
  }
  return any;
}

bool fl_eqdel_begin_file(fl_eqdel *ed, int32_t spec_id, const fl_value *partition, uint32_t npartition,
                         int64_t data_seq) {
  return fl_eqdel_cursor_begin_file(ed->cur, spec_id, partition, npartition, data_seq);
}

uint32_t fl_eqdel_mark(fl_eqdel *ed, const fl_batch *batch, bool *deleted) {
  return fl_eqdel_cursor_mark(ed->cur, batch, deleted);
}

uint32_t fl_eqdel_cursor_mark(fl_eqdel_cursor *c, const fl_batch *batch, bool *deleted) {
  const fl_eqdel *ed = c->ed;
  eq_keys *k = &c->k;
  uint32_t n = 0;
  FL_ASSERT(batch->nrows <= FL_BATCH_ROWS, "a batch of %u rows", batch->nrows);
  for (uint32_t g = 0; g < ed->ngroups; g++) {
    const eq_group *grp = &ed->groups[g];
    if (!c->active[g]) continue;
    batch_keys(k, batch, grp->read_cols, grp->nids, deleted);
    uint32_t mask = grp->capslots - 1;
    for (uint32_t r = 0; r < batch->nrows; r++) {
      if (r + PREFETCH_AHEAD < batch->nrows)
        __builtin_prefetch(&grp->slots[(uint32_t)k->bhash[r + PREFETCH_AHEAD] & mask]);
      if (r + PREFETCH_AHEAD / 2 < batch->nrows) { /* its home slot is in cache by now: fetch the entry too */
        uint64_t h = k->bhash[r + PREFETCH_AHEAD / 2], sv = grp->slots[(uint32_t)h & mask];
        if (sv && !((sv ^ h) >> 32)) __builtin_prefetch(&grp->entries[(uint32_t)sv - 1]);
      }
      if (deleted[r]) continue;
      const uint8_t *key = k->bkeys.data + k->boff[r];
      uint32_t len = k->boff[r + 1] - k->boff[r];
      uint64_t h = k->bhash[r];
      for (uint32_t i = (uint32_t)h & mask; grp->slots[i]; i = (i + 1) & mask) {
        const eq_entry *e = slot_match(ed, grp, grp->slots[i], h, key, len);
        if (e && c->applies[e->dfile]) {
          deleted[r] = true;
          n++;
          break;
        }
      }
    }
  }
  return n;
}
