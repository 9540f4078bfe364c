/* pred: the scan's predicate IR (table.h fl_tpred), bound to a table and asked, for a
 * manifest, a data file or a row group, whether any of its rows MAY match.
 *
 * Bind (fl_tpred_bind): columns resolve to field ids of the current schema, values are
 * cast to the column's type, and NOT is pushed down to the leaves (negation normal
 * form), which is exact under SQL WHERE semantics because a NULL operand makes every
 * comparison not TRUE:
 *   NOT (a op v)  ->  a op' v  (= <>, < >=, <= >)      NOT (a IS NULL) -> a IS NOT NULL
 *   NOT (a IN L)  ->  a NOT IN L                        NOT (a LIKE p%) -> a NOT LIKE p%
 *   NOT AND/OR    ->  OR/AND of the negations (De Morgan)
 * A comparison with a NULL value, and NOT IN a list holding NULL, become FALSE; NULLs
 * in an IN list are dropped (they never make it TRUE).
 *
 * Ask (fl_bpred_*_may_match): AND needs every argument, OR one; a leaf sees its
 * column as a range: [lower, upper] (either unknown), "every value null", "no null".
 *   a = v          v < lo or v > hi excludes        a <> v   lo = hi = v excludes
 *   a < v          lo >= v                          a <= v   lo > v
 *   a > v          hi <= v                          a >= v   hi < v
 *   a IN L         no element of L inside [lo, hi]  a NOT IN L  lo = hi, in L
 *   a IS NULL      no null                          a LIKE p%   hi < p, or lo[:|p|] > p
 *   (every leaf but IS NULL is excluded when every value is null)
 * String bounds may be truncated (lower cut, upper cut and bumped): the rules above
 * stay safe with them. Where a column's range comes from:
 *   data file      its lower/upper bounds and null/value counts (skipped for a column
 *                  an identity partition field holds: the partition value decides),
 *                  and, leaf by leaf, its partition values (so an OR across a
 *                  partition column and another column prunes too)
 *   partition      per field of the file's spec on the leaf's column, the leaf as seen
 *                  through the transform: identity keeps it; day/hour/month/year/
 *                  truncate are monotonic (< becomes <=, > becomes >=, <> says nothing);
 *                  bucket keeps = and IN only; void says nothing; the range is the
 *                  value itself (or every value null)
 *   manifest       the partition summaries (lower, upper, contains_null) the same way
 *   row group      the Parquet statistics of the column chunk
 *
 * Memory: the bound tree and its cast values live in the caller's arena (the scan's). */
#include <string.h>

#include "table/table_int.h"

typedef enum bkind {
  B_TRUE = 1,
  B_FALSE,
  B_AND,
  B_OR,
  B_CMP,
  B_IN,
  B_NOT_IN,
  B_IS_NULL,
  B_NOT_NULL,
  B_STARTS,
  B_NOT_STARTS,
} bkind;

struct fl_bpred {
  bkind kind;
  fl_pred_op op;
  int32_t field_id;
  fl_value *vals;
  uint32_t nvals;
  fl_bpred **args;
  uint32_t nargs;
};

/* What is known of one column over a set of rows. */
typedef struct range {
  const fl_value *lo, *hi; /* NULL: unknown */
  bool all_null;           /* every value is null (and there is at least one) */
  bool no_null;            /* known to hold no null */
} range;

/* ---------------------------------------------------------------- format */

static const char *op_text(fl_pred_op op) {
  switch (op) {
    case FL_PRED_EQ: return "=";
    case FL_PRED_NE: return "<>";
    case FL_PRED_LT: return "<";
    case FL_PRED_LE: return "<=";
    case FL_PRED_GT: return ">";
    case FL_PRED_GE: return ">=";
  }
  return "?";
}

static void value_text(const fl_value *v, fl_buf *out) {
  if (v->is_null) {
    fl_buf_printf(out, "NULL");
    return;
  }
  if (fl_type_is_string(v->type.kind)) { /* SQL quoting */
    fl_buf_append(out, "'", 1);
    for (uint32_t i = 0; i < v->u.str.len; i++) {
      if (v->u.str.ptr[i] == '\'') fl_buf_append(out, "'", 1);
      fl_buf_append(out, &v->u.str.ptr[i], 1);
    }
    fl_buf_append(out, "'", 1);
    return;
  }
  fl_value_to_json(v, out);
}

void fl_tpred_format(const fl_tpred *p, fl_buf *out) {
  switch (p->kind) {
    case FL_TP_TRUE: fl_buf_printf(out, "TRUE"); return;
    case FL_TP_FALSE: fl_buf_printf(out, "FALSE"); return;
    case FL_TP_AND:
    case FL_TP_OR:
      fl_buf_append(out, "(", 1);
      for (uint32_t i = 0; i < p->nargs; i++) {
        if (i) fl_buf_printf(out, p->kind == FL_TP_AND ? " AND " : " OR ");
        fl_tpred_format(p->args[i], out);
      }
      fl_buf_append(out, ")", 1);
      return;
    case FL_TP_NOT:
      fl_buf_printf(out, "NOT ");
      fl_tpred_format(p->args[0], out);
      return;
    case FL_TP_CMP:
      fl_buf_printf(out, "%s %s ", p->column, op_text(p->op));
      value_text(&p->values[0], out);
      return;
    case FL_TP_IN:
      fl_buf_printf(out, "%s IN (", p->column);
      for (uint32_t i = 0; i < p->nvalues; i++) {
        if (i) fl_buf_printf(out, ", ");
        value_text(&p->values[i], out);
      }
      fl_buf_append(out, ")", 1);
      return;
    case FL_TP_IS_NULL: fl_buf_printf(out, "%s IS NULL", p->column); return;
    case FL_TP_STARTS_WITH:
      fl_buf_printf(out, "%s LIKE '%.*s%%'", p->column, (int)p->values[0].u.str.len, p->values[0].u.str.ptr);
      return;
  }
}

/* ---------------------------------------------------------------- bind */

static fl_bpred *node(fl_arena *arena, bkind kind) {
  fl_bpred *b = fl_arena_calloc(arena, 1, sizeof *b);
  b->kind = kind;
  return b;
}

static fl_pred_op negate_op(fl_pred_op op) {
  switch (op) {
    case FL_PRED_EQ: return FL_PRED_NE;
    case FL_PRED_NE: return FL_PRED_EQ;
    case FL_PRED_LT: return FL_PRED_GE;
    case FL_PRED_LE: return FL_PRED_GT;
    case FL_PRED_GT: return FL_PRED_LE;
    case FL_PRED_GE: return FL_PRED_LT;
  }
  return op;
}

/* v cast to the field's type, strings copied into arena. */
static fl_code cast_value(const fl_table *tbl, const fl_field *f, const fl_value *v, fl_arena *arena,
                          fl_value *out, fl_err *err) {
  fl_value lit = *v;
  if (fl_type_is_string(lit.type.kind) && fl_type_is_string(f->type.kind)) lit.type = f->type;
  if (!fl_value_cast(&lit, f->type, out)) {
    char a[48], b[48];
    fl_type_iceberg_name(v->type, a, sizeof a);
    fl_type_iceberg_name(f->type, b, sizeof b);
    return fl_err_set(err, FL_ETYPE, "table %s.%s: cannot compare column %s (%s) with a %s", tbl->ns,
                      tbl->name, f->name, b, a);
  }
  if (fl_type_is_string(out->type.kind))
    out->u.str.ptr = fl_arena_strndup(arena, out->u.str.ptr, out->u.str.len);
  return FL_OK;
}

static fl_code bind(const fl_table *tbl, const fl_tpred *p, bool neg, fl_arena *arena, fl_bpred **out,
                    fl_err *err) {
  fl_code rc;
  switch (p->kind) {
    case FL_TP_TRUE:
    case FL_TP_FALSE: *out = node(arena, (p->kind == FL_TP_TRUE) != neg ? B_TRUE : B_FALSE); return FL_OK;
    case FL_TP_NOT:
      if (p->nargs != 1)
        return fl_err_set(err, FL_EINVAL, "table %s.%s: NOT of %u predicates", tbl->ns, tbl->name, p->nargs);
      return bind(tbl, p->args[0], !neg, arena, out, err);
    case FL_TP_AND:
    case FL_TP_OR: {
      fl_bpred *b = node(arena, (p->kind == FL_TP_AND) != neg ? B_AND : B_OR);
      b->args = fl_arena_calloc(arena, p->nargs ? p->nargs : 1, sizeof *b->args);
      for (uint32_t i = 0; i < p->nargs; i++) {
        if ((rc = bind(tbl, p->args[i], neg, arena, &b->args[b->nargs], err))) return rc;
        b->nargs++;
      }
      *out = b;
      return FL_OK;
    }
    default: break;
  }
  const fl_field *f = p->column ? fl_schema_field_by_name(fl_table_schema(tbl), p->column) : NULL;
  if (!f)
    return fl_err_set(err, FL_ENOENT, "table %s.%s: no column %s", tbl->ns, tbl->name,
                      p->column ? p->column : "(none)");
  fl_bpred *b;
  switch (p->kind) {
    case FL_TP_IS_NULL: b = node(arena, neg ? B_NOT_NULL : B_IS_NULL); break;
    case FL_TP_CMP:
      if (p->nvalues != 1)
        return fl_err_set(err, FL_EINVAL, "table %s.%s: a comparison of %s with %u values", tbl->ns,
                          tbl->name, f->name, p->nvalues);
      if (p->values[0].is_null) {
        *out = node(arena, B_FALSE);
        return FL_OK;
      }
      b = node(arena, B_CMP);
      b->op = neg ? negate_op(p->op) : p->op;
      break;
    case FL_TP_IN: b = node(arena, neg ? B_NOT_IN : B_IN); break;
    case FL_TP_STARTS_WITH:
      if (p->nvalues != 1 || p->values[0].is_null || !fl_type_is_string(p->values[0].type.kind) ||
          !fl_type_is_string(f->type.kind))
        return fl_err_set(err, FL_ETYPE,
                          "table %s.%s: LIKE prefix on column %s needs a string column and prefix", tbl->ns,
                          tbl->name, f->name);
      b = node(arena, neg ? B_NOT_STARTS : B_STARTS);
      break;
    default:
      return fl_err_set(err, FL_EINVAL, "table %s.%s: predicate kind %d", tbl->ns, tbl->name, (int)p->kind);
  }
  b->field_id = f->id;
  b->vals = fl_arena_calloc(arena, p->nvalues ? p->nvalues : 1, sizeof *b->vals);
  for (uint32_t i = 0; i < p->nvalues && p->kind != FL_TP_IS_NULL; i++) {
    if (p->values[i].is_null) {
      if (b->kind == B_NOT_IN) { /* x NOT IN (.., NULL) is never TRUE */
        *out = node(arena, B_FALSE);
        return FL_OK;
      }
      continue;
    }
    if (b->kind == B_STARTS || b->kind == B_NOT_STARTS) {
      b->vals[b->nvals] = p->values[i];
      b->vals[b->nvals].type = f->type;
      b->vals[b->nvals].u.str.ptr = fl_arena_strndup(arena, p->values[i].u.str.ptr, p->values[i].u.str.len);
    } else if ((rc = cast_value(tbl, f, &p->values[i], arena, &b->vals[b->nvals], err)))
      return rc;
    b->nvals++;
  }
  if (b->kind == B_IN && !b->nvals) b->kind = B_FALSE;
  *out = b;
  return FL_OK;
}

fl_code fl_tpred_bind(const fl_table *tbl, const fl_tpred *pred, fl_arena *arena, fl_bpred **out,
                      fl_err *err) {
  return bind(tbl, pred, false, arena, out, err);
}

bool fl_bpred_is_false(const fl_bpred *b) { return b->kind == B_FALSE; }

/* ---------------------------------------------------------------- ranges */

/* a <=> b after bringing them to one type; false if they cannot be compared. */
static bool cmp(const fl_value *a, const fl_value *b, int *out) {
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

/* True if no value in [lo, hi] can satisfy `v op lit`. */
static bool op_excludes(const range *r, fl_pred_op op, const fl_value *lit) {
  int c;
  const fl_value *lo = r->lo, *hi = r->hi;
  switch (op) {
    case FL_PRED_EQ: return (lo && cmp(lit, lo, &c) && c < 0) || (hi && cmp(lit, hi, &c) && c > 0);
    case FL_PRED_NE: return lo && hi && cmp(lo, hi, &c) && c == 0 && cmp(lo, lit, &c) && c == 0;
    case FL_PRED_LT: return lo && cmp(lo, lit, &c) && c >= 0;
    case FL_PRED_LE: return lo && cmp(lo, lit, &c) && c > 0;
    case FL_PRED_GT: return hi && cmp(hi, lit, &c) && c <= 0;
    case FL_PRED_GE: return hi && cmp(hi, lit, &c) && c < 0;
  }
  return false;
}

/* Bytewise comparison of s's first min(len, |p|) bytes with prefix p. */
static int prefix_cmp(const fl_value *s, const fl_value *p) {
  uint32_t n = s->u.str.len < p->u.str.len ? s->u.str.len : p->u.str.len;
  int c = memcmp(s->u.str.ptr, p->u.str.ptr, n);
  if (c) return c;
  return s->u.str.len < p->u.str.len ? -1 : 0;
}

static bool leaf_may_match(bkind kind, fl_pred_op op, const fl_value *vals, uint32_t nvals, const range *r) {
  if (kind == B_IS_NULL) return !r->no_null;
  if (r->all_null) return false;
  switch (kind) {
    case B_NOT_NULL: return true;
    case B_CMP: return !op_excludes(r, op, &vals[0]);
    case B_IN:
      for (uint32_t i = 0; i < nvals; i++)
        if (!op_excludes(r, FL_PRED_EQ, &vals[i])) return true;
      return false;
    case B_NOT_IN: {
      int c;
      if (!r->lo || !r->hi || !cmp(r->lo, r->hi, &c) || c) return true;
      for (uint32_t i = 0; i < nvals; i++)
        if (cmp(r->lo, &vals[i], &c) && c == 0) return false;
      return true;
    }
    case B_STARTS: {
      const fl_value *p = &vals[0];
      if (r->hi && fl_type_is_string(r->hi->type.kind) && prefix_cmp(r->hi, p) < 0) return false;
      if (r->lo && fl_type_is_string(r->lo->type.kind) && prefix_cmp(r->lo, p) > 0) return false;
      return true;
    }
    case B_NOT_STARTS: {
      const fl_value *p = &vals[0]; /* every value starts with p: lo and hi do, and have no byte past p */
      return !(r->lo && r->hi && r->lo->u.str.len >= p->u.str.len && prefix_cmp(r->lo, p) == 0 &&
               r->hi->u.str.len == p->u.str.len && prefix_cmp(r->hi, p) == 0 &&
               fl_type_is_string(r->lo->type.kind));
    }
    default: return true;
  }
}

/* A source of column ranges: fills *r for field_id (false: nothing known). For a
 * partition source, leaf() is asked instead (transforms change the leaf). */
typedef struct source {
  bool (*leaf)(const struct source *src, const fl_bpred *b);
  const void *a, *b, *c;
  uint32_t n;
} source;

static bool may_match(const fl_bpred *b, const source *src) {
  switch (b->kind) {
    case B_TRUE: return true;
    case B_FALSE: return false;
    case B_AND:
      for (uint32_t i = 0; i < b->nargs; i++)
        if (!may_match(b->args[i], src)) return false;
      return true;
    case B_OR:
      for (uint32_t i = 0; i < b->nargs; i++)
        if (may_match(b->args[i], src)) return true;
      return b->nargs == 0;
    default: return src->leaf(src, b);
  }
}

/* ---------------------------------------------------------------- partitions */

/* The leaf as seen through transform tr: false if it says nothing there. vals (nvals
 * entries) receives the transformed values. */
static bool through(fl_transform tr, const fl_bpred *b, bkind *kind, fl_pred_op *op, fl_value *vals) {
  *kind = b->kind;
  *op = b->op;
  if (b->kind == B_IS_NULL || b->kind == B_NOT_NULL) return tr.kind != FL_TR_VOID;
  switch (tr.kind) {
    case FL_TR_IDENTITY: memcpy(vals, b->vals, b->nvals * sizeof *vals); return true;
    case FL_TR_VOID: return false;
    case FL_TR_BUCKET:
      if (!(b->kind == B_IN || (b->kind == B_CMP && b->op == FL_PRED_EQ))) return false;
      break;
    default:
      if (b->kind == B_NOT_IN || b->kind == B_NOT_STARTS || (b->kind == B_CMP && b->op == FL_PRED_NE))
        return false;
      if (b->kind == B_STARTS) {
        if (tr.kind != FL_TR_TRUNCATE) return false;
        /* truncate[W](x) for x starting with p: starts with p[:W] */
        vals[0] = b->vals[0];
        if (vals[0].u.str.len > (uint32_t)tr.param) vals[0].u.str.len = (uint32_t)tr.param;
        return true;
      }
      if (b->op == FL_PRED_LT) *op = FL_PRED_LE;
      if (b->op == FL_PRED_GT) *op = FL_PRED_GE;
      break;
  }
  for (uint32_t i = 0; i < b->nvals; i++) {
    fl_type res;
    if (fl_transform_result_type(tr, b->vals[i].type, &res, NULL)) return false;
    fl_transform_apply(tr, &b->vals[i], &vals[i]);
  }
  return true;
}

/* A partition tuple: src->a = spec, src->b = values, n = count. */
static bool partition_leaf(const source *src, const fl_bpred *b) {
  const fl_tspec *spec = src->a;
  const fl_value *part = src->b;
  if (!spec || src->n != spec->nfields) return true;
  fl_value vals[64];
  if (b->nvals > 64) return true; /* a long IN list: not worth transforming */
  for (uint32_t f = 0; f < spec->nfields; f++) {
    if (spec->fields[f].source_id != b->field_id) continue;
    bkind kind;
    fl_pred_op op;
    if (!through(spec->transforms[f], b, &kind, &op, vals)) continue;
    range r = {NULL, NULL, part[f].is_null, !part[f].is_null};
    if (!part[f].is_null) r.lo = r.hi = &part[f];
    if (!leaf_may_match(kind, op, vals, b->nvals, &r)) return false;
  }
  return true;
}

bool fl_bpred_partition_may_match(const fl_bpred *b, const fl_tspec *spec, const fl_value *part,
                                  uint32_t npart) {
  source src = {partition_leaf, spec, part, NULL, npart};
  return may_match(b, &src);
}

/* Manifest summaries: src->a = spec, src->b = the manifest file. */
static bool summary_leaf(const source *src, const fl_bpred *b) {
  const fl_tspec *spec = src->a;
  const fl_manifest_file *mf = src->b;
  if (!spec || mf->npartitions != spec->nfields) return true;
  fl_value vals[64];
  if (b->nvals > 64) return true;
  for (uint32_t f = 0; f < spec->nfields; f++) {
    if (spec->fields[f].source_id != b->field_id) continue;
    bkind kind;
    fl_pred_op op;
    if (!through(spec->transforms[f], b, &kind, &op, vals)) continue;
    const fl_field_summary *s = &mf->partitions[f];
    fl_value lo, hi;
    range r = {NULL, NULL, false, !s->contains_null};
    if (s->lower && fl_value_from_iceberg_bytes(spec->fields[f].result_type, s->lower, s->lower_len, &lo))
      r.lo = &lo;
    if (s->upper && fl_value_from_iceberg_bytes(spec->fields[f].result_type, s->upper, s->upper_len, &hi))
      r.hi = &hi;
    r.all_null = !s->lower && !s->upper && s->contains_null;
    if (!leaf_may_match(kind, op, vals, b->nvals, &r)) return false;
  }
  return true;
}

bool fl_bpred_summary_may_match(const fl_bpred *b, const fl_tspec *spec, const fl_manifest_file *mf) {
  source src = {summary_leaf, spec, mf, NULL, 0};
  return may_match(b, &src);
}

/* ---------------------------------------------------------------- files, row groups */

/* A data file's column metrics: src->a = schema, src->b = file, src->c = spec. */
static bool bounds_leaf(const source *src, const fl_bpred *b) {
  const fl_schema *schema = src->a;
  const fl_data_file *file = src->b;
  const fl_tspec *spec = src->c;
  for (uint32_t f = 0; spec && f < spec->nfields; f++) /* the partition value decides */
    if (spec->fields[f].source_id == b->field_id && spec->transforms[f].kind == FL_TR_IDENTITY) return true;
  const fl_field *field = fl_schema_field_by_id(schema, b->field_id);
  if (!field) return true;
  for (uint32_t c = 0; c < file->ncols; c++) {
    const fl_file_column *col = &file->cols[c];
    if (col->field_id != b->field_id) continue;
    fl_value lo, hi;
    range r = {NULL, NULL, col->value_count > 0 && col->null_value_count == col->value_count,
               col->null_value_count == 0};
    if (col->lower && fl_value_from_iceberg_bytes(field->type, col->lower, col->lower_len, &lo)) r.lo = &lo;
    if (col->upper && fl_value_from_iceberg_bytes(field->type, col->upper, col->upper_len, &hi)) r.hi = &hi;
    return leaf_may_match(b->kind, b->op, b->vals, b->nvals, &r);
  }
  return true;
}

/* Both what the partition tuple and the column bounds say, leaf by leaf: (a = 1 OR
 * t < 5) over a file of partition a = 2 with t in [7, 9] holds no match, which neither
 * source shows alone. */
static bool file_leaf(const source *src, const fl_bpred *b) {
  const fl_data_file *file = src->b;
  source part = {partition_leaf, src->c, file->partition, NULL, file->npartition};
  return partition_leaf(&part, b) && bounds_leaf(src, b);
}

bool fl_bpred_bounds_may_match(const fl_bpred *b, const fl_schema *schema, const fl_tspec *spec,
                               const fl_data_file *file) {
  source src = {file_leaf, schema, file, spec, 0};
  return may_match(b, &src);
}

/* Parquet statistics: src->a = reader, n = row group. */
static bool row_group_leaf(const source *src, const fl_bpred *b) {
  fl_column_stats st;
  if (!fl_parquet_reader_row_group_stats(src->a, src->n, b->field_id, &st)) return true;
  /* no_null stays false: a chunk without a null count reads as 0 nulls */
  range r = {NULL, NULL, st.value_count > 0 && st.null_count == st.value_count, false};
  if (st.has_bounds) {
    r.lo = &st.min;
    r.hi = &st.max;
  }
  return leaf_may_match(b->kind, b->op, b->vals, b->nvals, &r);
}

bool fl_bpred_row_group_may_match(const fl_bpred *b, const fl_parquet_reader *pr, uint32_t rg) {
  source src = {row_group_leaf, pr, NULL, NULL, rg};
  return may_match(b, &src);
}

/* ---------------------------------------------------------------- pages
 * Rows of a row group that may match, from the page index: a leaf keeps the rows of
 * the pages of its column whose bounds may match (every row when the column has no
 * page index), AND intersects, OR unites. Row sets are sorted disjoint [from, to)
 * pairs in the arena. */

typedef struct rowset {
  uint64_t *r;
  uint32_t n;
} rowset;

static rowset rs_all(fl_arena *arena, uint64_t rows) {
  rowset s = {fl_arena_alloc(arena, 2 * sizeof(uint64_t)), rows ? 1 : 0};
  s.r[0] = 0;
  s.r[1] = rows;
  return s;
}

static void rs_add(rowset *s, uint64_t from, uint64_t to) { /* s->r has room; ranges come ascending */
  if (from >= to) return;
  if (s->n && s->r[2 * s->n - 1] >= from) {
    if (to > s->r[2 * s->n - 1]) s->r[2 * s->n - 1] = to;
    return;
  }
  s->r[2 * s->n] = from;
  s->r[2 * s->n + 1] = to;
  s->n++;
}

static rowset rs_and(fl_arena *arena, rowset a, rowset b) {
  rowset s = {fl_arena_alloc(arena, 2 * (a.n + b.n + 1) * sizeof(uint64_t)), 0};
  uint32_t i = 0, j = 0;
  while (i < a.n && j < b.n) {
    uint64_t lo = a.r[2 * i] > b.r[2 * j] ? a.r[2 * i] : b.r[2 * j];
    uint64_t hi = a.r[2 * i + 1] < b.r[2 * j + 1] ? a.r[2 * i + 1] : b.r[2 * j + 1];
    rs_add(&s, lo, hi);
    if (a.r[2 * i + 1] < b.r[2 * j + 1])
      i++;
    else
      j++;
  }
  return s;
}

static rowset rs_or(fl_arena *arena, rowset a, rowset b) {
  rowset s = {fl_arena_alloc(arena, 2 * (a.n + b.n + 1) * sizeof(uint64_t)), 0};
  uint32_t i = 0, j = 0;
  while (i < a.n || j < b.n) {
    bool take_a = j == b.n || (i < a.n && a.r[2 * i] <= b.r[2 * j]);
    const uint64_t *x = take_a ? &a.r[2 * i++] : &b.r[2 * j++];
    rs_add(&s, x[0], x[1]);
  }
  return s;
}

typedef struct page_ctx {
  fl_parquet_reader *pr;
  uint32_t rg;
  uint64_t rows;
  fl_arena *arena;
  fl_err *err;
  fl_code rc;
} page_ctx;

static rowset page_rows(page_ctx *pc, const fl_bpred *b) {
  switch (b->kind) {
    case B_TRUE: return rs_all(pc->arena, pc->rows);
    case B_FALSE: return (rowset){NULL, 0};
    case B_AND:
    case B_OR: {
      rowset s = b->kind == B_AND ? rs_all(pc->arena, pc->rows) : (rowset){NULL, 0};
      for (uint32_t i = 0; i < b->nargs && !pc->rc; i++) {
        rowset x = page_rows(pc, b->args[i]);
        s = b->kind == B_AND ? rs_and(pc->arena, s, x) : rs_or(pc->arena, s, x);
      }
      return s;
    }
    default: break;
  }
  const fl_parquet_page *pages;
  uint32_t n;
  if ((pc->rc = fl_parquet_reader_pages(pc->pr, pc->rg, b->field_id, &pages, &n, pc->err)) || !n)
    return rs_all(pc->arena, pc->rows);
  rowset s = {fl_arena_alloc(pc->arena, 2 * n * sizeof(uint64_t)), 0};
  for (uint32_t i = 0; i < n; i++) {
    const fl_parquet_page *pg = &pages[i];
    bool may = true;
    if (pg->has_index) {
      range r = {pg->has_bounds ? &pg->min : NULL, pg->has_bounds ? &pg->max : NULL, pg->null_page,
                 pg->has_null_count && pg->null_count == 0};
      may = leaf_may_match(b->kind, b->op, b->vals, b->nvals, &r);
    }
    if (may) rs_add(&s, pg->first_row, pg->first_row + pg->rows);
  }
  return s;
}

fl_code fl_bpred_page_rows(const fl_bpred *b, fl_parquet_reader *pr, uint32_t rg, fl_arena *arena,
                           uint64_t **ranges, uint32_t *n, fl_err *err) {
  page_ctx pc = {pr, rg, fl_parquet_reader_row_group_rows(pr, rg), arena, err, FL_OK};
  rowset s = page_rows(&pc, b);
  *ranges = s.r;
  *n = s.n;
  return pc.rc;
}
