/* scan: planning and reading one snapshot of a table (Iceberg "Scan Planning").
 *
 * Plan (fl_scan_plan):
 *   snapshot  current, or opts.snapshot_id, or the snapshot-log entry current at opts.as_of_ms
 *   manifest list -> data manifests, pruned by their partition summaries
 *                 -> entries (DELETED skipped, sequence numbers inherited from the list)
 *                 -> pruned by partition values, then by column lower/upper bounds
 *   delete manifests -> every position delete file is read (file_path, pos, its data
 *                 sequence number); a delete applies to a planned data file when the
 *                 paths are equal and data seq <= delete seq. Sorted per file.
 *                 Every equality delete file goes into eqdel.c's key sets; it applies
 *                 to a data file with data seq < delete seq in its partition (or to
 *                 all, from an unpartitioned spec). The equality columns the projection
 *                 lacks are read too (appended) and cut off before emit.
 * Pruning rules, for a predicate `col op lit` (ANDed):
 *   bounds [lo, hi]:  =  lit < lo or lit > hi;  <  lo >= lit;  <=  lo > lit;
 *                     >  hi <= lit;  >=  hi < lit;  all-null column: always
 *   partition field on col with transform T: identity uses op on the value; monotonic
 *   T (day, hour, month, year, truncate) compares T(lit) with < widened to <= and >
 *   to >=; bucket prunes only `=` (bucket(lit) != value); null partition values
 *   never match.
 * Run (fl_scan_run): per planned file, per row group not pruned by its statistics,
 * decode into batches of the projected CURRENT schema (the reader matches by field
 * id: added columns read null, renames keep data, narrower types widen), drop the
 * deleted positions and the rows the caller's filter drops (fl_scan_set_filter: a
 * selection vector computed a batch at a time, by sql's evaluator in practice; the
 * predicates above only prune), emit.
 *
 * Ownership: the scan's arena holds the plan (files, deletes, casted literals); the
 * projected schema and scratch batch live until fl_scan_free. The table is borrowed. */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format/puffin.h"
#include "table/table_int.h"

typedef struct scan_pred {
  int32_t field_id;
  int proj_col; /* column in the projected schema, -1 if not projected */
  fl_pred_op op;
  fl_value lit; /* cast to the current column type */
} scan_pred;

typedef struct planned {
  fl_scan_file pub;
  uint64_t *dels; /* sorted deleted positions */
  uint32_t ndels;
  int32_t spec_id;
  const fl_file_column *cols; /* the manifest's column metrics (pinned), for fl_scan_file_bound */
  uint32_t ncols;
} planned;

typedef struct del_pos {
  const char *path;
  uint64_t pos;
  int64_t seq;
} del_pos;

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct fl_scan {
  fl_table *tbl;
  fl_arena arena;
  const fl_snapshot *snap;
  fl_schema proj;
  scan_pred *preds;
  uint32_t npreds;
  bool empty;        /* a null literal: nothing matches */
  fl_bpred *where;   /* opts->where bound (pred.c), NULL if none */
  const char **only; /* opts->only_files, sorted (arena); NULL: every file */
  uint32_t nonly;
  int64_t after_seq;  /* incremental: skip manifests at or below this sequence number */
  int64_t *new_snaps; /* incremental: append/overwrite snapshots in (after, target] */
  uint32_t nnew_snaps;
  bool incremental;
  planned *files;
  uint32_t nfiles, capfiles;
  fl_scan_file *pub_files;
  fl_scan_stats stats;
  fl_scan_task *tasks; /* one per planned file */
  fl_scan_filter_fn filter;
  void *filter_ctx;
  fl_eqdel *eq;          /* equality deletes of the snapshot, NULL if none */
  fl_schema read;        /* proj + the equality columns it lacks (eqdel.c) */
  fl_name_mapping names; /* schema.name-mapping.default, parsed at the first file without ids */
  bool names_read;
  pthread_mutex_t names_mu; /* iterators of several threads may want it at once */
  fl_tcache_pins pins;      /* the cached manifest list and manifests the plan points into */
  fl_schema probe;          /* proj with only the filter's columns readable (probe.fields NULL: no probe) */
  bool filter_dicts;        /* the filter reads STRING/JSON columns in dictionary form */
};

/* The run state of one pull over tasks (fl_scan_iter_open .. fl_scan_next .. free). */
struct fl_scan_iter {
  fl_scan *scan;
  fl_arena arena;           /* the current task's local path */
  fl_eqdel_cursor *eqc;     /* its own probe of the equality deletes, NULL if none */
  fl_scan_filter_fn filter; /* the scan's, or its own (fl_scan_iter_set_filter) */
  void *filter_ctx;
  fl_scan_stats st; /* counted here, added to the scan's at each fl_scan_next */
  const fl_scan_task *tasks;
  uint32_t ntasks;
  uint32_t task;             /* the task being read (ntasks: done) */
  uint32_t rg;               /* the row group being read, or to open next */
  uint32_t rg_end;           /* of the current task, clamped to the file's */
  fl_parquet_reader *pr;     /* the current task's file, NULL between files */
  fl_parquet_rg_cursor *rgc; /* the current row group, NULL between row groups */
  fl_batch *scratch;         /* kept rows, when some are dropped */
  fl_batch view;             /* the decoded batch without the equality delete columns */
  uint64_t positions[FL_BATCH_ROWS];
  uint32_t sel[FL_BATCH_ROWS];
  uint32_t fsel[FL_BATCH_ROWS]; /* the filter's selection */
  const planned *cur;
  uint32_t del_cursor;
  bool eq_on; /* some equality delete applies to the current file */
  bool eq_deleted[FL_BATCH_ROWS];
  /* the file being read: projected columns it lacks that an identity partition field
     of its spec holds (Iceberg: such a column reads the manifest's partition value) */
  uint32_t nfill;
  uint32_t *fill_col;
  fl_value *fill_val;
  uint32_t probe_hits, probe_skips; /* row groups the probe found rows in / skipped */
  uint64_t *psel; /* the current row group's rows the page index leaves (it->arena), nsel ranges */
  uint32_t nsel;
  bool paged;    /* read with that selection */
  bool bound_on; /* fl_scan_iter_set_bound */
  int32_t bound_field;
  int bound_col; /* its column in the projection, -1 if not projected */
  fl_pred_op bound_op;
  fl_value bound_lit;
};

/* ---------------------------------------------------------------- live files */

fl_code fl_tbl_live_files(const fl_table *tbl, const fl_snapshot *snap, fl_file_content content,
                          fl_arena *arena, fl_live_file **files, uint32_t *n, fl_err *err) {
  fl_manifest_file *mfs;
  uint32_t nmf;
  fl_code rc = fl_tbl_snapshot_manifests(tbl, snap, arena, &mfs, &nmf, err);
  if (rc) return rc;
  uint32_t cap = 16, count = 0;
  fl_live_file *out = fl_arena_calloc(arena, cap, sizeof *out);
  for (uint32_t m = 0; m < nmf; m++) {
    bool want_deletes = content != FL_CONTENT_DATA;
    if ((mfs[m].content != 0) != want_deletes) continue;
    fl_manifest_entry *entries;
    uint32_t ne;
    if ((rc = fl_tbl_check_path(tbl, mfs[m].manifest_path, err))) return rc;
    if ((rc = fl_manifest_read(fl_tbl_path(tbl, mfs[m].manifest_path, arena), arena, &entries, &ne, err)))
      return rc;
    for (uint32_t e = 0; e < ne; e++) {
      if (entries[e].status == FL_ENTRY_DELETED) continue;
      if (want_deletes ? entries[e].file.content != content : entries[e].file.content != FL_CONTENT_DATA)
        continue;
      if (count == cap) {
        fl_live_file *grown = fl_arena_calloc(arena, cap * 2, sizeof *out);
        memcpy(grown, out, cap * sizeof *out);
        out = grown;
        cap *= 2;
      }
      out[count].file = entries[e].file;
      out[count].spec_id = mfs[m].partition_spec_id;
      out[count].data_seq =
          entries[e].sequence_number >= 0 ? entries[e].sequence_number : mfs[m].sequence_number;
      count++;
    }
  }
  *files = out;
  *n = count;
  return FL_OK;
}

/* ---------------------------------------------------------------- pruning */

/* Compares a and b after bringing them to one type; false if they cannot be compared. */
static bool cmp_values(const fl_value *a, const fl_value *b, int *out) {
  fl_value x = *a, y = *b;
  if (x.type.kind != y.type.kind || (x.type.kind == FL_T_DECIMAL && x.type.scale != y.type.scale)) {
    if (fl_type_is_string(x.type.kind) && fl_type_is_string(y.type.kind)) {
      x.type = y.type;
    } else if (!fl_value_cast(a, b->type, &x)) {
      if (!fl_value_cast(b, a->type, &y)) return false;
      x = *a;
    }
  }
  *out = fl_value_cmp(&x, &y);
  return true;
}

/* True if no value in [lo, hi] (either may be NULL = unknown) can satisfy `v op lit`. */
static bool range_excludes(const fl_value *lo, const fl_value *hi, fl_pred_op op, const fl_value *lit) {
  int c;
  switch (op) {
    case FL_PRED_EQ:
      return (lo && cmp_values(lit, lo, &c) && c < 0) || (hi && cmp_values(lit, hi, &c) && c > 0);
    case FL_PRED_LT: return lo && cmp_values(lo, lit, &c) && c >= 0;
    case FL_PRED_LE: return lo && cmp_values(lo, lit, &c) && c > 0;
    case FL_PRED_GT: return hi && cmp_values(hi, lit, &c) && c <= 0;
    case FL_PRED_GE: return hi && cmp_values(hi, lit, &c) && c < 0;
    case FL_PRED_NE: return false; /* fl_pred has no <>; the IR (pred.c) prunes it */
  }
  return false;
}

/* The predicate as seen through a partition transform: false if it says nothing. */
static bool pred_through(fl_transform tr, const scan_pred *p, fl_pred_op *op, fl_value *lit) {
  switch (tr.kind) {
    case FL_TR_IDENTITY:
      *op = p->op;
      *lit = p->lit;
      return true;
    case FL_TR_BUCKET:
      if (p->op != FL_PRED_EQ) return false;
      break;
    case FL_TR_VOID: return false;
    default: break;
  }
  fl_type res;
  if (fl_transform_result_type(tr, p->lit.type, &res, NULL)) return false;
  fl_transform_apply(tr, &p->lit, lit);
  *op = p->op == FL_PRED_LT ? FL_PRED_LE : p->op == FL_PRED_GT ? FL_PRED_GE : p->op;
  return true;
}

static bool partition_excludes(const fl_scan *scan, const fl_tspec *spec, const fl_value *part,
                               uint32_t npart) {
  if (!spec || npart != spec->nfields) return false;
  for (uint32_t i = 0; i < scan->npreds; i++) {
    const scan_pred *p = &scan->preds[i];
    for (uint32_t f = 0; f < spec->nfields; f++) {
      if (spec->fields[f].source_id != p->field_id) continue;
      fl_pred_op op;
      fl_value lit;
      if (!pred_through(spec->transforms[f], p, &op, &lit)) continue;
      if (part[f].is_null) return true;
      if (range_excludes(&part[f], &part[f], op, &lit)) return true;
    }
  }
  return false;
}

static bool summary_excludes(const fl_scan *scan, const fl_tspec *spec, const fl_manifest_file *mf) {
  if (!spec || mf->npartitions != spec->nfields) return false;
  for (uint32_t i = 0; i < scan->npreds; i++) {
    const scan_pred *p = &scan->preds[i];
    for (uint32_t f = 0; f < spec->nfields; f++) {
      if (spec->fields[f].source_id != p->field_id) continue;
      fl_pred_op op;
      fl_value lit;
      if (!pred_through(spec->transforms[f], p, &op, &lit)) continue;
      const fl_field_summary *s = &mf->partitions[f];
      if (!s->lower && !s->upper) {
        if (s->contains_null || (mf->added_files_count + mf->existing_files_count) == 0) return true;
        continue;
      }
      fl_value lo, hi;
      bool has_lo =
          s->lower && fl_value_from_iceberg_bytes(spec->fields[f].result_type, s->lower, s->lower_len, &lo);
      bool has_hi =
          s->upper && fl_value_from_iceberg_bytes(spec->fields[f].result_type, s->upper, s->upper_len, &hi);
      if (range_excludes(has_lo ? &lo : NULL, has_hi ? &hi : NULL, op, &lit)) return true;
    }
  }
  return false;
}

/* True if spec has an identity field on field_id: the column's value is the partition
 * value (partition_excludes decides), whatever a file's column metrics say (a file
 * without the column may carry none, or null counts of a column it does not hold). */
static bool identity_source(const fl_tspec *spec, int32_t field_id) {
  for (uint32_t f = 0; spec && f < spec->nfields; f++)
    if (spec->fields[f].source_id == field_id && spec->transforms[f].kind == FL_TR_IDENTITY) return true;
  return false;
}

static bool bounds_exclude(const fl_scan *scan, const fl_tspec *spec, const fl_data_file *file) {
  const fl_schema *schema = fl_table_schema(scan->tbl);
  for (uint32_t i = 0; i < scan->npreds; i++) {
    const scan_pred *p = &scan->preds[i];
    if (identity_source(spec, p->field_id)) continue;
    const fl_field *field = fl_schema_field_by_id(schema, p->field_id);
    for (uint32_t c = 0; c < file->ncols; c++) {
      const fl_file_column *col = &file->cols[c];
      if (col->field_id != p->field_id) continue;
      if (col->value_count > 0 && col->null_value_count == col->value_count) return true;
      fl_value lo, hi;
      bool has_lo = col->lower && fl_value_from_iceberg_bytes(field->type, col->lower, col->lower_len, &lo);
      bool has_hi = col->upper && fl_value_from_iceberg_bytes(field->type, col->upper, col->upper_len, &hi);
      if (range_excludes(has_lo ? &lo : NULL, has_hi ? &hi : NULL, p->op, &p->lit)) return true;
    }
  }
  return false;
}

/* ---------------------------------------------------------------- plan */

static fl_code resolve(fl_scan *scan, const fl_scan_opts *opts, fl_err *err) {
  const fl_schema *cur = fl_table_schema(scan->tbl);
  const fl_table *tbl = scan->tbl;
  if (opts && opts->columns) {
    scan->proj.fields = fl_arena_calloc(&scan->arena, opts->ncolumns ? opts->ncolumns : 1, sizeof(fl_field));
    for (uint32_t i = 0; i < opts->ncolumns; i++) {
      const fl_field *f = fl_schema_field_by_name(cur, opts->columns[i]);
      if (!f)
        return fl_err_set(err, FL_ENOENT, "table %s.%s: no column %s", tbl->ns, tbl->name, opts->columns[i]);
      scan->proj.fields[i] = *f;
    }
    scan->proj.nfields = opts->ncolumns;
  } else {
    scan->proj.fields = fl_arena_memdup(&scan->arena, cur->fields, cur->nfields * sizeof(fl_field));
    scan->proj.nfields = cur->nfields;
  }
  for (uint32_t i = 0; i < scan->proj.nfields; i++)
    scan->proj.fields[i].name = fl_arena_strdup(&scan->arena, scan->proj.fields[i].name);
  scan->proj.schema_id = cur->schema_id;
  uint32_t np = opts ? opts->npreds : 0;
  scan->preds = fl_arena_calloc(&scan->arena, np ? np : 1, sizeof(scan_pred));
  for (uint32_t i = 0; i < np; i++) {
    const fl_pred *in = &opts->preds[i];
    const fl_field *f = fl_schema_field_by_name(cur, in->column);
    if (!f) return fl_err_set(err, FL_ENOENT, "table %s.%s: no column %s", tbl->ns, tbl->name, in->column);
    scan_pred *p = &scan->preds[i];
    p->field_id = f->id;
    p->op = in->op;
    p->proj_col = fl_schema_index_of_id(&scan->proj, f->id);
    if (in->value.is_null) {
      scan->empty = true;
      continue;
    }
    fl_value lit = in->value;
    if (fl_type_is_string(lit.type.kind) && fl_type_is_string(f->type.kind)) lit.type = f->type;
    if (!fl_value_cast(&lit, f->type, &p->lit)) {
      char a[32], b[32];
      fl_type_text(in->value.type, a, sizeof a);
      fl_type_text(f->type, b, sizeof b);
      return fl_err_set(err, FL_ETYPE, "table %s.%s: cannot compare column %s (%s) with a %s", tbl->ns,
                        tbl->name, f->name, b, a);
    }
    if (fl_type_is_string(p->lit.type.kind))
      p->lit.u.str.ptr = fl_arena_strndup(&scan->arena, p->lit.u.str.ptr, p->lit.u.str.len);
  }
  scan->npreds = np;
  if (opts && opts->only_files) {
    scan->only =
        fl_arena_alloc(&scan->arena, (opts->nonly_files ? opts->nonly_files : 1) * sizeof *scan->only);
    for (uint32_t i = 0; i < opts->nonly_files; i++) scan->only[i] = opts->only_files[i];
    scan->nonly = opts->nonly_files;
    qsort(scan->only, scan->nonly, sizeof *scan->only, cmp_cstr);
  }
  if (opts && opts->where) {
    fl_code rc = fl_tpred_bind(tbl, opts->where, &scan->arena, &scan->where, err);
    if (rc) return rc;
    if (fl_bpred_is_false(scan->where)) scan->empty = true;
  }
  return FL_OK;
}

static int del_cmp(const void *a, const void *b) {
  const del_pos *x = a, *y = b;
  int c = strcmp(x->path, y->path);
  if (c) return c;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

typedef struct del_reader {
  del_pos *dels;
  uint64_t n, cap;
  fl_arena *arena;
  int64_t seq;
  const char *dv_path; /* the data file of the deletion vector being read */
  const fl_table *tbl;
  fl_tcache_pins *pins; /* the cached delete files the plan points into */
} del_reader;

static int collect_dv(void *ctx, uint64_t pos) {
  del_reader *dr = ctx;
  if (dr->n == dr->cap) {
    dr->cap = dr->cap ? dr->cap * 2 : 1024;
    dr->dels = fl_realloc(dr->dels, dr->cap * sizeof(del_pos));
  }
  dr->dels[dr->n++] = (del_pos){dr->dv_path, pos, dr->seq};
  return 0;
}

/* A v3 deletion vector: a Puffin blob of one data file's deleted positions. */
static fl_code read_dv(const fl_live_file *lf, del_reader *dr, fl_err *err) {
  const fl_data_file *f = &lf->file;
  if (!f->referenced_data_file || f->content_offset < 0 || f->content_size_in_bytes < 0)
    return fl_err_set(err, FL_ECORRUPT,
                      "deletion vector %s: manifest entry without referenced_data_file, content_offset or "
                      "content_size_in_bytes",
                      f->file_path);
  fl_code rc = fl_tbl_check_path(dr->tbl, f->file_path, err);
  if (rc) return rc;
  dr->seq = lf->data_seq;
  dr->dv_path = f->referenced_data_file;
  return fl_dv_read(fl_tbl_path(dr->tbl, f->file_path, dr->arena), f->content_offset,
                    f->content_size_in_bytes, UINT64_MAX, collect_dv, dr, err);
}

/* What a position delete file holds, for cache.c: (data file, pos) pairs, the paths
 * interned in the entry's arena. */
typedef struct posdel_load {
  fl_arena *arena;
  fl_posdel *items;
  uint32_t n, cap;
  const char *path;
  fl_err *err;
} posdel_load;

static int collect_posdel(void *ctx, const fl_batch *batch, uint64_t first_row) {
  posdel_load *pl = ctx;
  (void)first_row;
  if (batch->nrows > UINT32_MAX - pl->n)
    return (int)fl_err_set(pl->err, FL_ELIMIT, "position delete file %s: over %u rows", pl->path, UINT32_MAX);
  for (uint32_t r = 0; r < batch->nrows; r++) {
    uint32_t n;
    const char *p = fl_vec_str(&batch->cols[0], r, &n);
    const char *prev = pl->n ? pl->items[pl->n - 1].path : NULL;
    const char *path =
        prev && strlen(prev) == n && !memcmp(prev, p, n) ? prev : fl_arena_strndup(pl->arena, p, n);
    if (pl->n == pl->cap) {
      pl->cap = pl->cap ? pl->cap * 2 : 1024;
      pl->items = fl_realloc(pl->items, (size_t)pl->cap * sizeof *pl->items);
    }
    pl->items[pl->n++] = (fl_posdel){path, (uint64_t)batch->cols[1].data.i64[r]};
  }
  return 0;
}

static fl_code load_posdel(const char *path, fl_arena *arena, void **items, uint32_t *n, fl_err *err) {
  static const fl_field fields[2] = {
      {FL_POS_DELETE_FILE_PATH_ID, "file_path", {FL_T_STRING, 0, 0}, true},
      {FL_POS_DELETE_POS_ID, "pos", {FL_T_BIGINT, 0, 0}, true},
  };
  static const fl_schema schema = {0, 2, (fl_field *)fields, 0, NULL};
  fl_parquet_reader *pr;
  fl_code rc = fl_parquet_reader_open(path, &pr, err);
  if (rc) return rc;
  if (fl_parquet_reader_ids_by_position(pr)) {
    /* the spec names the two columns: a writer that left out the ids is still read
       by those names, never by position */
    static const char *const names[2] = {"file_path", "pos"};
    static const int32_t ids[2] = {FL_POS_DELETE_FILE_PATH_ID, FL_POS_DELETE_POS_ID};
    fl_parquet_reader_map_names(pr, names, ids, 2);
  }
  const fl_schema *fs = fl_parquet_reader_schema(pr);
  for (uint32_t i = 0; i < 2; i++)
    if (!fl_schema_field_by_id(fs, fields[i].id)) {
      fl_parquet_reader_free(pr);
      return fl_err_set(err, FL_ECORRUPT, "position delete file %s has no column %s (field id %d)", path,
                        fields[i].name, fields[i].id);
    }
  posdel_load pl = {.arena = arena, .path = path, .err = err};
  for (uint32_t rg = 0; rg < fl_parquet_reader_row_groups(pr) && !rc; rg++)
    rc = fl_parquet_reader_read_row_group(pr, rg, &schema, collect_posdel, &pl, err);
  fl_parquet_reader_free(pr);
  if (!rc) {
    *items = fl_arena_memdup(arena, pl.items, (size_t)(pl.n ? pl.n : 1) * sizeof *pl.items);
    *n = pl.n;
  }
  fl_free(pl.items);
  return rc;
}

static fl_code read_delete_file(const fl_live_file *lf, del_reader *dr, fl_err *err) {
  if (lf->file.file_format && !strcasecmp(lf->file.file_format, "PUFFIN")) return read_dv(lf, dr, err);
  if (lf->file.file_format && strcasecmp(lf->file.file_format, "PARQUET"))
    return fl_err_set(err, FL_EUNSUPPORTED, "position delete file %s: file format %s (floe reads Parquet)",
                      lf->file.file_path, lf->file.file_format);
  fl_code rc = fl_tbl_check_path(dr->tbl, lf->file.file_path, err);
  if (rc) return rc;
  const fl_posdel *pd; /* parsed once per process (cache.c) */
  uint32_t n;
  rc = fl_tcache_posdel(fl_tbl_path(dr->tbl, lf->file.file_path, dr->arena), dr->pins, load_posdel, &pd, &n,
                        err);
  if (rc) return rc;
  if (dr->n + n > dr->cap) {
    while (dr->n + n > dr->cap) dr->cap = dr->cap ? dr->cap * 2 : 1024;
    dr->dels = fl_realloc(dr->dels, dr->cap * sizeof(del_pos));
  }
  for (uint32_t i = 0; i < n; i++) dr->dels[dr->n++] = (del_pos){pd[i].path, pd[i].pos, lf->data_seq};
  return FL_OK;
}

static void add_planned(fl_scan *scan, const fl_live_file *lf) {
  if (scan->nfiles == scan->capfiles) {
    scan->capfiles = scan->capfiles ? scan->capfiles * 2 : 64;
    scan->files = fl_realloc(scan->files, scan->capfiles * sizeof(planned));
  }
  planned *p = &scan->files[scan->nfiles++];
  memset(p, 0, sizeof *p);
  p->pub.path = lf->file.file_path;
  p->pub.record_count = lf->file.record_count;
  p->pub.file_size_in_bytes = lf->file.file_size_in_bytes;
  p->pub.data_sequence_number = lf->data_seq;
  p->pub.partition = lf->file.partition;
  p->pub.npartition = lf->file.npartition;
  p->spec_id = lf->spec_id;
  p->cols = lf->file.cols;
  p->ncols = lf->file.ncols;
}

static fl_code plan(fl_scan *scan, fl_err *err) {
  const fl_table *tbl = scan->tbl;
  fl_arena *arena = &scan->arena;
  const fl_manifest_file *mfs;
  uint32_t nmf;
  fl_code rc;
  if (scan->snap->manifest_list) { /* parsed once per process (cache.c) */
    if ((rc = fl_tbl_check_path(tbl, scan->snap->manifest_list, err))) return rc;
    rc = fl_tcache_manifest_list(fl_tbl_path(tbl, scan->snap->manifest_list, arena), &scan->pins, &mfs, &nmf,
                                 err);
  } else {
    fl_manifest_file *inl;
    rc = fl_tbl_snapshot_manifests(tbl, scan->snap, arena, &inl, &nmf, err);
    mfs = inl;
  }
  if (rc) return rc;
  scan->stats.manifests_total = nmf;
  del_reader dr = {NULL, 0, 0, arena, 0, NULL, tbl, &scan->pins};
  for (uint32_t m = 0; m < nmf && !rc; m++) {
    const fl_manifest_file *mf = &mfs[m];
    const fl_tspec *spec = fl_tmeta_spec_by_id(tbl->meta, mf->partition_spec_id);
    if (!spec) {
      /* without its spec, partition values cannot be read or pruned on: refuse */
      rc = fl_err_set(err, FL_ECORRUPT,
                      "table %s.%s: manifest %s names partition spec %d, which the metadata does not have",
                      tbl->ns, tbl->name, mf->manifest_path, mf->partition_spec_id);
      break;
    }
    if (mf->content == 0 && scan->incremental && mf->sequence_number <= scan->after_seq) continue;
    if (mf->content == 0 && (scan->empty || summary_excludes(scan, spec, mf) ||
                             (scan->where && !fl_bpred_summary_may_match(scan->where, spec, mf)))) {
      scan->stats.manifests_pruned++;
      scan->stats.files_total += (uint32_t)(mf->added_files_count + mf->existing_files_count);
      scan->stats.files_pruned_partition += (uint32_t)(mf->added_files_count + mf->existing_files_count);
      continue;
    }
    const fl_manifest_entry *entries;
    uint32_t ne;
    if ((rc = fl_tbl_check_path(tbl, mf->manifest_path, err))) break;
    if ((rc =
             fl_tcache_manifest(fl_tbl_path(tbl, mf->manifest_path, arena), &scan->pins, &entries, &ne, err)))
      break;
    for (uint32_t e = 0; e < ne && !rc; e++) {
      const fl_manifest_entry *en = &entries[e];
      if (en->status == FL_ENTRY_DELETED) continue;
      fl_live_file lf = {en->file, mf->partition_spec_id,
                         en->sequence_number >= 0 ? en->sequence_number : mf->sequence_number};
      if (en->file.content == FL_CONTENT_POSITION_DELETES) {
        scan->stats.delete_files++;
        rc = read_delete_file(&lf, &dr, err);
        continue;
      }
      if (scan->incremental && en->file.content == FL_CONTENT_DATA) {
        int64_t sid = en->snapshot_id >= 0 ? en->snapshot_id : mf->added_snapshot_id;
        bool in = false;
        for (uint32_t k = 0; k < scan->nnew_snaps && !in; k++) in = scan->new_snaps[k] == sid;
        if (!in) continue; /* added before the range, or by a replace */
      }
      if (en->file.content == FL_CONTENT_EQUALITY_DELETES) {
        scan->stats.delete_files++;
        if (!scan->eq) scan->eq = fl_eqdel_new(tbl, arena);
        rc = fl_eqdel_add_file(scan->eq, &lf, err);
        continue;
      }
      if ((rc = fl_tbl_check_path(tbl, en->file.file_path, err))) break;
      if (en->file.npartition != spec->nfields) {
        rc = fl_err_set(
            err, FL_ECORRUPT, "table %s.%s: data file %s has %u partition values, its spec %d has %u fields",
            tbl->ns, tbl->name, en->file.file_path, en->file.npartition, spec->spec_id, spec->nfields);
        break;
      }
      if (en->file.file_format && strcasecmp(en->file.file_format, "PARQUET")) {
        rc = fl_err_set(err, FL_EUNSUPPORTED,
                        "table %s.%s: data file %s is %s (floe reads Parquet data files)", tbl->ns, tbl->name,
                        en->file.file_path, en->file.file_format);
        break;
      }
      scan->stats.files_total++;
      if (scan->only && !bsearch(&en->file.file_path, scan->only, scan->nonly, sizeof *scan->only, cmp_cstr))
        continue; /* not chosen (neither planned nor counted as pruned) */
      if (scan->empty || partition_excludes(scan, spec, en->file.partition, en->file.npartition) ||
          (scan->where &&
           !fl_bpred_partition_may_match(scan->where, spec, en->file.partition, en->file.npartition))) {
        scan->stats.files_pruned_partition++;
        continue;
      }
      if (bounds_exclude(scan, spec, &en->file) ||
          (scan->where && !fl_bpred_bounds_may_match(scan->where, fl_table_schema(tbl), spec, &en->file))) {
        scan->stats.files_pruned_bounds++;
        continue;
      }
      add_planned(scan, &lf);
      scan->stats.bytes_planned += (uint64_t)en->file.file_size_in_bytes;
    }
  }
  if (!rc && dr.n) {
    qsort(dr.dels, dr.n, sizeof(del_pos), del_cmp);
    for (uint32_t f = 0; f < scan->nfiles; f++) {
      planned *p = &scan->files[f];
      /* lower bound of the path in dels */
      uint64_t lo = 0, hi = dr.n;
      while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (strcmp(dr.dels[mid].path, p->pub.path) < 0)
          lo = mid + 1;
        else
          hi = mid;
      }
      uint64_t end = lo;
      while (end < dr.n && !strcmp(dr.dels[end].path, p->pub.path)) end++;
      if (end == lo) continue;
      p->dels = fl_arena_alloc(arena, (end - lo) * sizeof(uint64_t));
      for (uint64_t i = lo; i < end; i++) {
        if (dr.dels[i].seq < p->pub.data_sequence_number) continue; /* older delete */
        if (p->ndels && p->dels[p->ndels - 1] == dr.dels[i].pos) continue;
        p->dels[p->ndels++] = dr.dels[i].pos;
      }
      p->pub.ndeletes = p->ndels;
    }
  }
  fl_free(dr.dels);
  if (!rc && scan->eq) fl_eqdel_bind(scan->eq, &scan->proj, &scan->read);
  scan->stats.files_planned = scan->nfiles;
  return rc;
}

fl_code fl_scan_plan(fl_table *tbl, const fl_scan_opts *opts, fl_scan **out, fl_err *err) {
  fl_scan *scan = fl_calloc(1, sizeof *scan);
  scan->tbl = tbl;
  pthread_mutex_init(&scan->names_mu, NULL);
  fl_arena_init(&scan->arena, 65536);
  fl_code rc = resolve(scan, opts, err);
  if (rc) goto fail;
  if (opts && opts->snapshot_id > 0) {
    scan->snap = fl_table_snapshot_by_id(tbl, opts->snapshot_id);
    if (!scan->snap) {
      rc = fl_err_set(err, FL_ENOENT, "table %s.%s: no snapshot %" PRId64, tbl->ns, tbl->name,
                      opts->snapshot_id);
      goto fail;
    }
  } else if (opts && opts->as_of_ms > 0) {
    scan->snap = fl_table_snapshot_as_of(tbl, opts->as_of_ms);
    if (!scan->snap) {
      rc = fl_err_set(err, FL_ENOENT, "table %s.%s: no snapshot at or before %" PRId64 " ms", tbl->ns,
                      tbl->name, opts->as_of_ms);
      goto fail;
    }
  } else {
    scan->snap = fl_table_current_snapshot(tbl);
  }
  if (opts && opts->after_snapshot_id > 0 && scan->snap) {
    const fl_snapshot *after = fl_table_snapshot_by_id(tbl, opts->after_snapshot_id);
    if (!after) {
      rc = fl_err_set(err, FL_ENOENT, "table %s.%s: no snapshot %" PRId64, tbl->ns, tbl->name,
                      opts->after_snapshot_id);
      goto fail;
    }
    uint32_t nsnap;
    fl_table_snapshots(tbl, &nsnap);
    scan->new_snaps = fl_arena_calloc(&scan->arena, nsnap ? nsnap : 1, sizeof(int64_t));
    scan->incremental = true;
    scan->after_seq = after->sequence_number;
    const fl_snapshot *s = scan->snap;
    for (uint32_t hops = 0; s && s != after && hops <= nsnap; hops++) {
      if (!strcmp(s->operation, "append") || !strcmp(s->operation, "overwrite"))
        scan->new_snaps[scan->nnew_snaps++] = s->snapshot_id;
      else if (!strcmp(s->operation, "replace")) {
        /* rows appended in the range may now live in the compacted files: refuse
           rather than silently miss them */
        rc = fl_err_set(err, FL_EUNSUPPORTED,
                        "table %s.%s: incremental scan after snapshot %" PRId64
                        " spans compaction snapshot %" PRId64 "; read the whole table instead",
                        tbl->ns, tbl->name, opts->after_snapshot_id, s->snapshot_id);
        goto fail;
      }
      s = s->parent_id > 0 ? fl_table_snapshot_by_id(tbl, s->parent_id) : NULL;
    }
    if (s != after) {
      rc = fl_err_set(err, FL_EINVAL,
                      "table %s.%s: snapshot %" PRId64 " is not an ancestor of snapshot %" PRId64, tbl->ns,
                      tbl->name, opts->after_snapshot_id, scan->snap->snapshot_id);
      goto fail;
    }
  }
  if (scan->snap && (rc = plan(scan, err))) {
    fl_err_prefix(err, "scan of %s.%s: ", tbl->ns, tbl->name);
    goto fail;
  }
  scan->pub_files = fl_arena_calloc(&scan->arena, scan->nfiles ? scan->nfiles : 1, sizeof(fl_scan_file));
  scan->tasks = fl_arena_calloc(&scan->arena, scan->nfiles ? scan->nfiles : 1, sizeof(fl_scan_task));
  for (uint32_t i = 0; i < scan->nfiles; i++) {
    scan->pub_files[i] = scan->files[i].pub;
    scan->tasks[i] = (fl_scan_task){i, 0, UINT32_MAX};
  }
  *out = scan;
  return FL_OK;
fail:
  fl_scan_free(scan);
  return rc;
}

const fl_scan_stats *fl_scan_get_stats(const fl_scan *scan) { return &scan->stats; }
const fl_snapshot *fl_scan_snapshot(const fl_scan *scan) { return scan->snap; }
const fl_schema *fl_scan_schema(const fl_scan *scan) { return &scan->proj; }

const fl_scan_file *fl_scan_files(const fl_scan *scan, uint32_t *n) {
  *n = scan->nfiles;
  return scan->pub_files;
}

/* ---------------------------------------------------------------- run */

const fl_scan_task *fl_scan_tasks(const fl_scan *scan, uint32_t *n) {
  *n = scan->nfiles;
  return scan->tasks;
}

/* Fits one data file to the projected schema before it is read: a file without field
 * ids gets them from the table's name mapping (or is refused: matching by position
 * would put values in the wrong columns); projected columns the file lacks that an
 * identity partition field of the file's spec holds read the manifest's value. */
static fl_code fit_file(fl_scan_iter *it, const planned *p, fl_parquet_reader *pr, fl_err *err) {
  fl_scan *scan = it->scan;
  const fl_table *tbl = scan->tbl;
  it->nfill = 0;
  if (fl_parquet_reader_ids_by_position(pr)) {
    pthread_mutex_lock(&scan->names_mu);
    fl_code rc = scan->names_read ? FL_OK : fl_tbl_name_mapping(tbl, &scan->arena, &scan->names, err);
    if (!rc) scan->names_read = true;
    pthread_mutex_unlock(&scan->names_mu);
    if (rc) return rc;
    const fl_schema *fs = fl_parquet_reader_schema(pr);
    if (!scan->names.present)
      return fl_err_set(err, FL_EUNSUPPORTED,
                        "table %s.%s: data file %s has no Parquet field ids and the table no "
                        "schema.name-mapping.default: column %s cannot be matched to the schema",
                        tbl->ns, tbl->name, p->pub.path, fs->nfields ? fs->fields[0].name : "(none)");
    fl_parquet_reader_map_names(pr, scan->names.names, scan->names.ids, scan->names.n);
  }
  const fl_tspec *spec = fl_tmeta_spec_by_id(tbl->meta, p->spec_id);
  if (!spec || p->pub.npartition != spec->nfields) return FL_OK;
  const fl_schema *fs = fl_parquet_reader_schema(pr);
  const fl_schema *rs = scan->eq ? &scan->read : &scan->proj; /* equality delete keys too */
  if (!it->fill_col) {
    uint32_t n = rs->nfields ? rs->nfields : 1;
    it->fill_col = fl_calloc(n, sizeof *it->fill_col);
    it->fill_val = fl_calloc(n, sizeof *it->fill_val);
  }
  for (uint32_t c = 0; c < rs->nfields; c++) {
    const fl_field *f = &rs->fields[c];
    if (fl_schema_field_by_id(fs, f->id)) continue;
    for (uint32_t k = 0; k < spec->nfields; k++) {
      if (spec->fields[k].source_id != f->id || spec->transforms[k].kind != FL_TR_IDENTITY) continue;
      fl_value v = p->pub.partition[k];
      if (!v.is_null && !fl_value_cast(&p->pub.partition[k], f->type, &v))
        return fl_err_set(err, FL_ETYPE,
                          "table %s.%s: data file %s: partition value of %s does not fit its type", tbl->ns,
                          tbl->name, p->pub.path, f->name);
      if (v.is_null) v.type = f->type;
      it->fill_col[it->nfill] = c;
      it->fill_val[it->nfill++] = v;
      break;
    }
  }
  return FL_OK;
}

/* The batch is the Parquet cursor's, reused per call and read by no one before the scan
 * returns it: the columns fit_file chose are overwritten in place with their constant. */
static void fill_constants(fl_scan_iter *it, const fl_batch *batch) {
  fl_batch *b = (fl_batch *)batch;
  for (uint32_t i = 0; i < it->nfill; i++) {
    fl_vec *vec = &b->cols[it->fill_col[i]];
    fl_vec_reset(vec);
    for (uint32_t r = 0; r < b->nrows; r++) fl_vec_append_value(vec, &it->fill_val[i]);
  }
}

static bool row_group_excluded(const fl_scan *scan, fl_parquet_reader *pr, uint32_t rg) {
  for (uint32_t i = 0; i < scan->npreds; i++) {
    const scan_pred *p = &scan->preds[i];
    fl_column_stats st;
    if (!fl_parquet_reader_row_group_stats(pr, rg, p->field_id, &st)) continue;
    if (st.value_count > 0 && st.null_count == st.value_count) return true;
    if (!st.has_bounds) continue;
    if (range_excludes(&st.min, &st.max, p->op, &p->lit)) return true;
  }
  return scan->where && !fl_bpred_row_group_may_match(scan->where, pr, rg);
}

void fl_scan_set_filter(fl_scan *scan, fl_scan_filter_fn filter, void *ctx) {
  scan->filter = filter;
  scan->filter_ctx = ctx;
}

fl_code fl_scan_iter_open(fl_scan *scan, const fl_scan_task *tasks, uint32_t ntasks, fl_scan_iter **out,
                          fl_err *err) {
  (void)err;
  fl_scan_iter *it = fl_calloc(1, sizeof *it);
  it->scan = scan;
  fl_arena_init(&it->arena, 4096);
  it->filter = scan->filter;
  it->filter_ctx = scan->filter_ctx;
  if (scan->eq) it->eqc = fl_eqdel_cursor_new(scan->eq);
  it->tasks = tasks ? tasks : scan->tasks;
  it->ntasks = tasks ? ntasks : scan->nfiles;
  for (uint32_t t = 0; t < it->ntasks; t++)
    FL_ASSERT(it->tasks[t].file < scan->nfiles, "scan of %s.%s: task %u names file %u of %u", scan->tbl->ns,
              scan->tbl->name, t, it->tasks[t].file, scan->nfiles);
  *out = it;
  return FL_OK;
}

void fl_scan_iter_free(fl_scan_iter *it) {
  if (!it) return;
  fl_parquet_rg_cursor_free(it->rgc);
  fl_parquet_reader_free(it->pr);
  fl_eqdel_cursor_free(it->eqc);
  fl_arena_destroy(&it->arena);
  if (it->scratch) fl_batch_free(it->scratch);
  fl_free(it->fill_col);
  fl_free(it->fill_val);
  fl_free(it);
}

/* ---------------------------------------------------------------- the filter's probe
 * Late materialisation for a selective filter (a point query reads the few files their
 * bounds leave, but each of them whole). With the filter's columns known
 * (fl_scan_set_filter_columns), a row group is first decoded through scan->probe: the
 * projection with every other column given a field id no file has, so those read as
 * absent (NULL, no page touched) and the filter sees the batch layout it was bound to.
 *
 *   row group ──► probe: filter columns only ──► the filter keeps no row ──► skipped
 *                                            └─► it keeps some ─────────► read whole
 *
 * A skipped row group's rows count as read and filtered (what the full read would have
 * counted), and row_groups_skipped counts it. Files with deletes, equality delete
 * keys or columns filled from partition values are read whole (their counts and
 * constants are the full read's concern). An iterator stops probing once its probes
 * keep finding rows (hits > skips + 1): for a filter that keeps rows in most row groups
 * the probe would only decode its columns twice. */
void fl_scan_set_filter_columns(fl_scan *scan, const uint32_t *cols, uint32_t n) {
  const fl_schema *proj = &scan->proj;
  if (scan->eq || n >= proj->nfields) return;
  fl_field *f = fl_arena_calloc(&scan->arena, proj->nfields, sizeof *f);
  for (uint32_t c = 0; c < proj->nfields; c++) {
    f[c] = proj->fields[c];
    bool used = false;
    for (uint32_t k = 0; k < n; k++) used |= cols[k] == c;
    if (used) continue;
    f[c].id = INT32_MIN; /* in no file: read as NULL */
    f[c].required = false;
    f[c].nested = NULL;
  }
  scan->probe = *proj;
  scan->probe.fields = f;
}

static bool probe_wanted(const fl_scan_iter *it) {
  return it->scan->probe.fields && it->filter && !it->nfill && !it->eq_on && it->cur->ndels == 0 &&
         it->probe_hits <= it->probe_skips + 1;
}

static void count_pages(fl_scan_iter *it, const fl_parquet_rg_cursor *c) {
  uint64_t read, skipped;
  fl_parquet_rg_cursor_pages(c, &read, &skipped);
  it->st.pages_read += read;
  it->st.pages_skipped += skipped;
}

/* The rows of the current row group its page index leaves to the filter (it->psel,
 * it->paged when that is not every row); *none: not one. */
static fl_code page_select(fl_scan_iter *it, bool *none, fl_err *err) {
  fl_scan *scan = it->scan;
  it->paged = false;
  *none = false;
  if (!scan->where) return FL_OK;
  fl_code rc = fl_bpred_page_rows(scan->where, it->pr, it->rg, &it->arena, &it->psel, &it->nsel, err);
  if (rc) return rc;
  uint64_t rows = fl_parquet_reader_row_group_rows(it->pr, it->rg);
  *none = rows > 0 && it->nsel == 0;
  it->paged = !*none && !(it->nsel == 1 && it->psel[0] == 0 && it->psel[1] == rows);
  it->st.row_groups_paged += it->paged;
  return FL_OK;
}

void fl_scan_set_filter_dicts(fl_scan *scan) { scan->filter_dicts = true; }

/* Dictionary form for the filter: only where a filter runs, and never with equality
 * deletes (their probe reads key columns flat). The rows kept are gathered flat
 * (kept_batch), so the caller never sees a dictionary. */
static void want_dicts(const fl_scan_iter *it, fl_parquet_rg_cursor *c) {
  if (it->scan->filter_dicts && it->filter && !it->scan->eq) fl_parquet_rg_cursor_keep_dicts(c);
}

static bool has_dict(const fl_batch *batch) {
  for (uint32_t c = 0; c < batch->ncols; c++)
    if (batch->cols[c].dict) return true;
  return false;
}

/* Decodes the current row group in the filter's columns; *any: the filter kept a row. */
static fl_code probe_row_group(fl_scan_iter *it, bool *any, fl_err *err) {
  fl_parquet_rg_cursor *pc;
  *any = false;
  fl_code rc = fl_parquet_rg_cursor_open(it->pr, it->rg, &it->scan->probe, &pc, err);
  if (rc) return rc;
  want_dicts(it, pc);
  if (it->paged && (rc = fl_parquet_rg_cursor_select(pc, it->psel, it->nsel, err))) {
    fl_parquet_rg_cursor_free(pc);
    return rc;
  }
  uint64_t rows = 0;
  for (;;) {
    const fl_batch *b;
    uint64_t first_row;
    if ((rc = fl_parquet_rg_cursor_next(pc, &b, &first_row, err)) || !b) break;
    rows += b->nrows;
    if (it->filter(it->filter_ctx, b, it->fsel)) {
      *any = true;
      break;
    }
  }
  count_pages(it, pc);
  fl_parquet_rg_cursor_free(pc);
  if (rc) return rc;
  if (*any) {
    it->probe_hits++;
  } else {
    it->probe_skips++;
    it->st.row_groups_skipped++;
    it->st.rows_read += rows;
    it->st.rows_filtered += rows;
  }
  return FL_OK;
}

void fl_scan_iter_set_bound(fl_scan_iter *it, int32_t field_id, fl_pred_op op, const fl_value *lit) {
  FL_ASSERT(!fl_type_is_bytes(lit->type.kind), "a bound on a %s", fl_type_sql_name(lit->type.kind));
  it->bound_on = true;
  it->bound_field = field_id;
  it->bound_col = fl_schema_index_of_id(&it->scan->proj, field_id);
  it->bound_op = op;
  it->bound_lit = *lit;
}

/* The current row group holds no row inside the caller's bound (its statistics say so). */
static bool bound_excludes(fl_scan_iter *it) {
  if (!it->bound_on) return false;
  fl_column_stats st;
  if (!fl_parquet_reader_row_group_stats(it->pr, it->rg, it->bound_field, &st)) return false;
  if (st.value_count > 0 && st.null_count == st.value_count) return true;
  return st.has_bounds && range_excludes(&st.min, &st.max, it->bound_op, &it->bound_lit);
}

void fl_scan_iter_set_filter(fl_scan_iter *it, fl_scan_filter_fn filter, void *ctx) {
  it->filter = filter;
  it->filter_ctx = ctx;
}

/* Adds what the iterator counted to the scan's stats (atomically: iterators of several
 * threads share them) and starts counting again. */
static void flush_stats(fl_scan_iter *it) {
  fl_scan_stats *d = &it->scan->stats, *s = &it->st;
  if (s->row_groups_total) __atomic_fetch_add(&d->row_groups_total, s->row_groups_total, __ATOMIC_RELAXED);
  if (s->row_groups_pruned) __atomic_fetch_add(&d->row_groups_pruned, s->row_groups_pruned, __ATOMIC_RELAXED);
  if (s->rows_read) __atomic_fetch_add(&d->rows_read, s->rows_read, __ATOMIC_RELAXED);
  if (s->rows_deleted) __atomic_fetch_add(&d->rows_deleted, s->rows_deleted, __ATOMIC_RELAXED);
  if (s->rows_filtered) __atomic_fetch_add(&d->rows_filtered, s->rows_filtered, __ATOMIC_RELAXED);
  if (s->rows_emitted) __atomic_fetch_add(&d->rows_emitted, s->rows_emitted, __ATOMIC_RELAXED);
  if (s->row_groups_skipped)
    __atomic_fetch_add(&d->row_groups_skipped, s->row_groups_skipped, __ATOMIC_RELAXED);
  if (s->pages_read) __atomic_fetch_add(&d->pages_read, s->pages_read, __ATOMIC_RELAXED);
  if (s->pages_skipped) __atomic_fetch_add(&d->pages_skipped, s->pages_skipped, __ATOMIC_RELAXED);
  if (s->row_groups_paged) __atomic_fetch_add(&d->row_groups_paged, s->row_groups_paged, __ATOMIC_RELAXED);
  memset(s, 0, sizeof *s);
}

const char *fl_scan_iter_file(const fl_scan_iter *it) { return it->cur ? it->cur->pub.path : NULL; }
const uint64_t *fl_scan_iter_positions(const fl_scan_iter *it) { return it->positions; }

/* Opens the current task's file; false (and it->task moves on) when every row of it is
 * deleted. */
static fl_code open_task(fl_scan_iter *it, bool *opened, fl_err *err) {
  fl_scan *scan = it->scan;
  const fl_scan_task *t = &it->tasks[it->task];
  planned *p = &scan->files[t->file];
  *opened = false;
  if (p->ndels >= (uint64_t)p->pub.record_count && p->pub.record_count > 0) {
    it->st.rows_deleted += (uint64_t)p->pub.record_count;
    return FL_OK; /* every row deleted */
  }
  fl_arena_reset(&it->arena);
  fl_code rc = fl_parquet_reader_open(fl_tbl_path(scan->tbl, p->pub.path, &it->arena), &it->pr, err);
  if (rc) return rc;
  if ((rc = fit_file(it, p, it->pr, err))) {
    fl_parquet_reader_free(it->pr);
    it->pr = NULL;
    return rc;
  }
  it->cur = p;
  it->del_cursor = 0;
  it->eq_on = it->eqc && fl_eqdel_cursor_begin_file(it->eqc, p->spec_id, p->pub.partition, p->pub.npartition,
                                                    p->pub.data_sequence_number);
  uint32_t nrg = fl_parquet_reader_row_groups(it->pr);
  it->rg = t->rg_first < nrg ? t->rg_first : nrg;
  uint64_t end = t->rg_count == UINT32_MAX ? nrg : (uint64_t)t->rg_first + t->rg_count;
  it->rg_end = end < nrg ? (uint32_t)end : nrg;
  it->st.row_groups_total += it->rg_end - it->rg;
  *opened = true;
  return FL_OK;
}

/* BOUND_KEEP(T, M): keeps in it->fsel the rows whose column value (array M of type T)
 * is inside the bound; the candidates are fsel[0, *n) when selected, else every row. */
#define BOUND_KEEP(T, M)                                                            \
  do {                                                                              \
    const T *x_ = v->data.M, lit_ = it->bound_lit.u.M;                              \
    bool ge_ = it->bound_op == FL_PRED_GE;                                          \
    for (uint32_t i_ = 0; i_ < cand; i_++) {                                        \
      uint32_t r_ = selected ? it->fsel[i_] : i_;                                   \
      bool in_ = fl_vec_is_valid(v, r_) && (ge_ ? x_[r_] >= lit_ : x_[r_] <= lit_); \
      it->fsel[m] = r_;                                                             \
      m += in_;                                                                     \
    }                                                                               \
  } while (0)

/* The caller's bound (fl_scan_iter_set_bound: sql's top-N, its worst kept row) applied to
 * rows, not only to row groups: a row outside it (or NULL) could not enter the caller's
 * heap, so it is dropped here before it is gathered and compared (counted as filtered).
 * Integer-stored columns only (INT, DATE, BIGINT, TIMESTAMP, TIME, DECIMAL up to 18
 * digits); false when the bound does not apply, fsel and *n untouched. */
static bool bound_rows(fl_scan_iter *it, const fl_batch *batch, bool selected, uint32_t *n) {
  if (it->bound_col < 0 || (uint32_t)it->bound_col >= batch->ncols) return false;
  if (it->bound_op != FL_PRED_GE && it->bound_op != FL_PRED_LE) return false;
  const fl_vec *v = &batch->cols[it->bound_col];
  fl_type t = v->type, lt = it->bound_lit.type;
  if (lt.kind != t.kind || it->bound_lit.is_null || (t.kind == FL_T_DECIMAL && lt.scale != t.scale))
    return false;
  uint32_t cand = selected ? *n : batch->nrows, m = 0;
  switch (t.kind) {
    case FL_T_INT:
    case FL_T_DATE: BOUND_KEEP(int32_t, i32); break;
    case FL_T_DECIMAL:
      if (fl_decimal_is_wide(t)) return false;
      BOUND_KEEP(int64_t, i64);
      break;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS:
    case FL_T_TIME: BOUND_KEEP(int64_t, i64); break;
    default: return false;
  }
  *n = m;
  return true;
}
#undef BOUND_KEEP

/* The n rows of it->sel: the batch itself when that is all of them, else gathered into
 * the scratch batch; NULL when none. */
static const fl_batch *kept_batch(fl_scan_iter *it, const fl_batch *batch, uint32_t n) {
  if (!n) return NULL;
  it->st.rows_emitted += n;
  if (n == batch->nrows && !has_dict(batch)) return batch; /* it->sel is every row otherwise */
  fl_scan *scan = it->scan;
  if (!it->scratch) it->scratch = fl_batch_new(scan->proj.fields, scan->proj.nfields, FL_BATCH_ROWS);
  fl_batch_reset(it->scratch);
  fl_batch_gather(it->scratch, batch, it->sel, n);
  return it->scratch;
}

/* Drops the deleted rows and those the filter drops from one decoded batch; *out is the
 * batch itself (every row kept), the scratch batch with the kept rows, or NULL (none). */
static const fl_batch *keep_rows(fl_scan_iter *it, const fl_batch *batch, uint64_t first_row) {
  fl_scan *scan = it->scan;
  const planned *p = it->cur;
  uint32_t n = 0, nkeep = batch->nrows, k = 0;
  FL_ASSERT(batch->nrows <= FL_BATCH_ROWS, "a batch of %u rows", batch->nrows);
  it->st.rows_read += batch->nrows;
  if (it->nfill) fill_constants(it, batch);
  const fl_batch *full = batch;            /* with the columns read for equality deletes */
  if (batch->ncols > scan->proj.nfields) { /* the projection only: what the filter and caller see */
    it->view = *batch;
    it->view.ncols = scan->proj.nfields;
    batch = &it->view;
  }
  bool selected = it->filter != NULL; /* it->fsel[0, nkeep) are the rows kept so far */
  if (it->filter) {
    nkeep = it->filter(it->filter_ctx, batch, it->fsel);
    FL_ASSERT(nkeep <= batch->nrows);
  }
  if (it->bound_on && bound_rows(it, batch, selected, &nkeep)) selected = true;
  if (it->eq_on) {
    memset(it->eq_deleted, 0, batch->nrows * sizeof(bool));
    fl_eqdel_cursor_mark(it->eqc, full, it->eq_deleted);
  } else if (it->del_cursor >= p->ndels) { /* no delete left in this file: the filter's rows */
    if (!selected) nkeep = batch->nrows;
    for (uint32_t i = 0; i < nkeep; i++) {
      uint32_t r = selected ? it->fsel[i] : i;
      it->sel[i] = r;
      it->positions[i] = first_row + r;
    }
    it->st.rows_filtered += batch->nrows - nkeep;
    return kept_batch(it, batch, nkeep);
  }
  for (uint32_t r = 0; r < batch->nrows; r++) {
    uint64_t pos = first_row + r;
    bool kept = !selected || (k < nkeep && it->fsel[k] == r);
    if (selected && kept) k++;
    while (it->del_cursor < p->ndels && p->dels[it->del_cursor] < pos) it->del_cursor++;
    if ((it->del_cursor < p->ndels && p->dels[it->del_cursor] == pos) || (it->eq_on && it->eq_deleted[r])) {
      it->st.rows_deleted++;
      continue;
    }
    if (!kept) {
      it->st.rows_filtered++;
      continue;
    }
    it->sel[n] = r;
    it->positions[n] = pos;
    n++;
  }
  return kept_batch(it, batch, n);
}

fl_code fl_scan_next(fl_scan_iter *it, const fl_batch **out, fl_err *err) {
  fl_scan *scan = it->scan;
  fl_code rc = FL_OK;
  *out = NULL;
  while (it->task < it->ntasks) {
    if (!it->pr) {
      bool opened;
      if ((rc = open_task(it, &opened, err))) return rc;
      if (!opened) {
        it->task++;
        continue;
      }
    }
    if (!it->rgc) {
      if (it->rg >= it->rg_end) {
        fl_parquet_reader_free(it->pr);
        it->pr = NULL;
        it->task++;
        continue;
      }
      bool none = false;
      if (row_group_excluded(scan, it->pr, it->rg) || bound_excludes(it) ||
          ((rc = page_select(it, &none, err)) == FL_OK && none)) {
        it->st.row_groups_pruned++;
        it->rg++;
        continue;
      }
      if (rc) return rc;
      if (probe_wanted(it)) {
        bool any;
        if ((rc = probe_row_group(it, &any, err))) return rc;
        if (!any) {
          it->rg++;
          continue;
        }
      }
      const fl_schema *rs = scan->eq ? &scan->read : &scan->proj;
      if ((rc = fl_parquet_rg_cursor_open(it->pr, it->rg, rs, &it->rgc, err))) return rc;
      want_dicts(it, it->rgc);
      if (it->paged && (rc = fl_parquet_rg_cursor_select(it->rgc, it->psel, it->nsel, err))) return rc;
    }
    const fl_batch *batch;
    uint64_t first_row;
    if ((rc = fl_parquet_rg_cursor_next(it->rgc, &batch, &first_row, err))) return rc;
    if (!batch) {
      count_pages(it, it->rgc);
      fl_parquet_rg_cursor_free(it->rgc);
      it->rgc = NULL;
      it->rg++;
      continue;
    }
    const fl_batch *kept = keep_rows(it, batch, first_row);
    if (kept) {
      *out = kept;
      flush_stats(it);
      return FL_OK;
    }
  }
  flush_stats(it);
  return FL_OK;
}

fl_code fl_scan_run(fl_scan *scan, fl_scan_emit_fn emit, void *ctx, fl_err *err) {
  fl_scan_iter *it;
  fl_code rc = fl_scan_iter_open(scan, NULL, 0, &it, err);
  if (rc) return rc;
  for (;;) {
    const fl_batch *batch;
    if ((rc = fl_scan_next(it, &batch, err)) || !batch) break;
    int r = emit(ctx, batch, fl_scan_iter_file(it), it->positions);
    if (r) {
      rc = (fl_code)r;
      break;
    }
  }
  fl_scan_iter_free(it);
  return rc;
}

void fl_scan_free(fl_scan *scan) {
  if (!scan) return;
  fl_eqdel_free(scan->eq);
  fl_tcache_pins_release(&scan->pins);
  pthread_mutex_destroy(&scan->names_mu);
  fl_free(scan->files);
  fl_arena_destroy(&scan->arena);
  fl_free(scan);
}

bool fl_scan_file_bound(const fl_scan *scan, uint32_t file, int32_t field_id, bool upper, fl_value *out) {
  FL_ASSERT(file < scan->nfiles, "scan of %s.%s: file %u of %u", scan->tbl->ns, scan->tbl->name, file,
            scan->nfiles);
  const planned *p = &scan->files[file];
  const fl_field *field = fl_schema_field_by_id(fl_table_schema(scan->tbl), field_id);
  if (!field || fl_type_is_bytes(field->type.kind)) return false; /* string bounds may be truncated */
  for (uint32_t c = 0; c < p->ncols; c++) {
    const fl_file_column *col = &p->cols[c];
    if (col->field_id != field_id) continue;
    const uint8_t *b = upper ? col->upper : col->lower;
    return b && fl_value_from_iceberg_bytes(field->type, b, upper ? col->upper_len : col->lower_len, out);
  }
  return false;
}

fl_code fl_scan_file_row_groups(fl_scan *scan, uint32_t file, uint32_t *n, fl_err *err) {
  FL_ASSERT(file < scan->nfiles, "scan of %s.%s: file %u of %u", scan->tbl->ns, scan->tbl->name, file,
            scan->nfiles);
  *n = 0;
  fl_arena arena;
  fl_arena_init(&arena, 1024);
  fl_parquet_reader *pr;
  fl_code rc = fl_parquet_reader_open(fl_tbl_path(scan->tbl, scan->files[file].pub.path, &arena), &pr, err);
  fl_arena_destroy(&arena);
  if (rc) return rc;
  *n = fl_parquet_reader_row_groups(pr);
  fl_parquet_reader_free(pr);
  return FL_OK;
}
