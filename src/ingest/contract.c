/* ingest/contract: a stream's CHECK constraints (see contract.h), a thin user of sql's
 * expression evaluator (sql/expr_eval.c): each CHECK is one predicate of one
 * fl_sql_eval; this file adds the contract's rule (a row fails on FALSE, not on
 * unknown: PostgreSQL's), the reject reasons ("CHECK (expr) failed: col = value") and
 * the in-place compaction of the batch and the result's rows, keeping order.
 *
 * Memory: the contract owns the evaluator, the CHECK texts (an arena) and per-row
 * scratch sized to the largest batch seen. One thread at a time. */
#include "ingest/contract.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/time.h"
#include "core/value.h"

typedef struct check {
  const char *text;  /* "CHECK (amount >= 0)" */
  const char *field; /* first column named, or NULL */
} check;

struct fl_contract {
  const fl_schema *schema;
  fl_arena arena;
  fl_sql_eval *ev; /* predicate k = checks[k] */
  check *checks;
  uint32_t nchecks;
  uint32_t rows_cap;   /* fail and runs hold this many rows */
  uint16_t *fail;      /* per row: 1 + index of the first failing check, or 0 */
  uint32_t (*runs)[2]; /* compaction: runs of passing rows {from, count} */
};

static fl_code add_check(fl_contract *c, const fl_sql_expr *e, fl_err *err) {
  fl_buf text = FL_BUF_INIT;
  fl_buf_puts(&text, "CHECK (");
  fl_sql_expr_format(e, 0, &text);
  fl_buf_puts(&text, ")");
  fl_buf_cstr(&text);
  check *k = &c->checks[c->nchecks];
  memset(k, 0, sizeof *k);
  k->text = fl_arena_strdup(&c->arena, (const char *)text.data);
  fl_buf_free(&text);
  uint32_t index;
  fl_code rc = fl_sql_eval_add(c->ev, e, k->text, &index, err);
  if (rc) return rc;
  FL_ASSERT(index == c->nchecks);
  const int32_t *cols;
  if (fl_sql_eval_columns(c->ev, index, &cols)) k->field = c->schema->fields[cols[0]].name;
  c->nchecks++;
  return FL_OK;
}

fl_code fl_contract_new(const fl_schema *schema, const fl_sql_expr *const *checks, uint32_t nchecks,
                        fl_contract **out, fl_err *err) {
  *out = NULL;
  if (nchecks > FL_SQL_EVAL_PREDS_MAX)
    return fl_err_set(err, FL_ELIMIT, "%u CHECK constraints, more than %u", nchecks, FL_SQL_EVAL_PREDS_MAX);
  fl_contract *c = fl_calloc(1, sizeof *c);
  c->schema = schema;
  fl_arena_init(&c->arena, 4096);
  c->ev = fl_sql_eval_new(schema);
  c->checks = fl_calloc(nchecks ? nchecks : 1, sizeof *c->checks);
  fl_code rc = FL_OK;
  for (uint32_t i = 0; i < nchecks && !rc; i++)
    if (checks[i]) rc = add_check(c, checks[i], err);
  if (rc) goto fail;
  *out = c;
  return FL_OK;
fail:
  fl_contract_free(c);
  *out = NULL;
  return rc;
}

fl_code fl_contract_new_sql(const fl_schema *schema, const char *const *check_sql, uint32_t nchecks,
                            fl_contract **out, fl_err *err) {
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  const fl_sql_expr **exprs = fl_calloc(nchecks ? nchecks : 1, sizeof *exprs);
  fl_code rc = FL_OK;
  *out = NULL;
  for (uint32_t i = 0; i < nchecks && !rc; i++) {
    fl_sql_expr *e;
    rc = fl_sql_parse_expr(check_sql[i], strlen(check_sql[i]), &arena, &e, err);
    if (!rc) rc = fl_sql_expr_bind(e, schema, err);
    if (rc) fl_err_prefix(err, "CHECK (%s): ", check_sql[i]);
    exprs[i] = e;
  }
  if (!rc) rc = fl_contract_new(schema, exprs, nchecks, out, err);
  fl_free(exprs);
  fl_arena_destroy(&arena);
  return rc;
}

void fl_contract_free(fl_contract *c) {
  if (!c) return;
  fl_sql_eval_free(c->ev);
  fl_free(c->checks);
  fl_free(c->fail);
  fl_free(c->runs);
  fl_arena_destroy(&c->arena);
  fl_free(c);
}

uint32_t fl_contract_count(const fl_contract *c) { return c->nchecks; }

static void reserve_rows(fl_contract *c, uint32_t n) {
  if (n <= c->rows_cap) return;
  uint32_t cap = c->rows_cap ? c->rows_cap : 1024;
  while (cap < n) cap *= 2;
  c->fail = fl_realloc(c->fail, cap * sizeof *c->fail);
  c->runs = fl_realloc(c->runs, cap * sizeof *c->runs);
  c->rows_cap = cap;
}

/* ---- rejects and compaction --------------------------------------------------------- */

/* "amount = 12.34", "event_type = 'foo'", "user_id = NULL" */
static void format_cell(const fl_batch *batch, int32_t col, uint32_t row, fl_buf *out) {
  const fl_field *f = &batch->fields[col];
  fl_buf_printf(out, "%s = ", f->name);
  fl_value v;
  fl_batch_get(batch, (uint32_t)col, row, &v);
  if (v.is_null) {
    fl_buf_puts(out, "NULL");
    return;
  }
  char tmp[64];
  switch (v.type.kind) {
    case FL_T_STRING:
    case FL_T_JSON: {
      uint32_t n = v.u.str.len > 40 ? 40 : v.u.str.len;
      while (n < v.u.str.len && n > 0 && ((uint8_t)v.u.str.ptr[n] & 0xc0) == 0x80) n--; /* whole characters */
      fl_buf_put_u8(out, '\'');
      for (uint32_t i = 0; i < n; i++) {
        char ch = v.u.str.ptr[i];
        if (ch == '\'') fl_buf_put_u8(out, '\'');
        fl_buf_put_u8(out, (uint8_t)ch);
      }
      fl_buf_put_u8(out, '\'');
      if (n < v.u.str.len) fl_buf_puts(out, "...");
      return;
    }
    case FL_T_DECIMAL:
      fl_dec128_format(fl_value_dec(&v), v.type.scale, tmp);
      fl_buf_puts(out, tmp);
      return;
    case FL_T_TIMESTAMP:
      fl_ts_format(v.u.i64, tmp);
      fl_buf_printf(out, "'%s'", tmp);
      return;
    case FL_T_DATE:
      fl_date_format(v.u.i32, tmp);
      fl_buf_printf(out, "'%s'", tmp);
      return;
    default: fl_value_to_json(&v, out); return;
  }
}

/* Keeps the runs of passing rows (runs[k] = {from, count}, rising, after the first
 * failing row `first`) in place; rows before `first` stay where they are. */
static void compact_vec(fl_vec *v, const uint32_t (*runs)[2], uint32_t nruns, uint32_t first) {
  unsigned w = fl_type_bytes(v->type);
  bool str = fl_type_is_bytes(v->type.kind);
  uint32_t j = first;
  uint32_t o = str ? v->offsets[first] : 0;
  for (uint32_t r = 0; r < nruns; r++) {
    uint32_t a = runs[r][0], len = runs[r][1];
    for (uint32_t k = 0; k < len; k++) fl_vec_set_valid(v, j + k, fl_vec_is_valid(v, a + k));
    if (str) {
      uint32_t from = v->offsets[a], bytes = v->offsets[a + len] - from, delta = from - o;
      memmove(v->bytes + o, v->bytes + from, bytes);
      for (uint32_t k = 0; k < len; k++) v->offsets[j + k + 1] = v->offsets[a + k + 1] - delta;
      o += bytes;
    } else {
      memmove((uint8_t *)v->data.raw + (size_t)j * w, (uint8_t *)v->data.raw + (size_t)a * w,
              (size_t)len * w);
    }
    j += len;
  }
  if (str) v->bytes_len = o;
  v->len = j;
}

fl_code fl_contract_check(fl_contract *c, fl_json_parser *p, fl_json_result *res, const char *body,
                          fl_err *err) {
  fl_batch *batch = res->batch;
  uint32_t n = batch->nrows;
  (void)body;
  if (fl_json_parser_schema(p)->nfields != c->schema->nfields || batch->ncols != c->schema->nfields)
    return fl_err_set(err, FL_EINVAL, "contract: the result's schema is not the contract's");
  if (!n || !c->nchecks) return FL_OK;
  reserve_rows(c, n);
  memset(c->fail, 0, n * sizeof *c->fail);
  uint32_t nfail = 0;
  for (uint32_t k = 0; k < c->nchecks; k++) {
    const uint8_t *r = fl_sql_eval_run(c->ev, k, batch);
    for (uint32_t i = 0; i < n; i++) {
      if (r[i] == FL_SQL_FALSE && !c->fail[i]) {
        c->fail[i] = (uint16_t)(k + 1);
        nfail++;
      }
    }
  }
  if (!nfail) return FL_OK;
  fl_buf why = FL_BUF_INIT;
  for (uint32_t i = 0; i < n; i++) {
    if (!c->fail[i]) continue;
    const check *chk = &c->checks[c->fail[i] - 1];
    const int32_t *cols;
    uint32_t ncols = fl_sql_eval_columns(c->ev, c->fail[i] - 1u, &cols);
    fl_buf_clear(&why);
    fl_buf_printf(&why, "%s failed", chk->text);
    for (uint32_t j = 0; j < ncols; j++) {
      fl_buf_puts(&why, j ? ", " : ": ");
      format_cell(batch, cols[j], i, &why);
    }
    fl_buf_cstr(&why);
    const fl_json_row *row = &res->rows[i];
    fl_json_result_add_reject(p, res, row->line, row->raw_off, row->raw_len, chk->field,
                              (const char *)why.data);
  }
  fl_buf_free(&why);
  uint32_t first = 0, nruns = 0;
  while (!c->fail[first]) first++;
  for (uint32_t i = first; i < n;) {
    while (i < n && c->fail[i]) i++;
    uint32_t a = i;
    while (i < n && !c->fail[i]) i++;
    if (i > a) {
      c->runs[nruns][0] = a;
      c->runs[nruns++][1] = i - a;
    }
  }
  for (uint32_t col = 0; col < batch->ncols; col++) compact_vec(&batch->cols[col], c->runs, nruns, first);
  uint32_t j = first;
  for (uint32_t i = first; i < n; i++)
    if (!c->fail[i]) res->rows[j++] = res->rows[i];
  res->nrows = j;
  fl_batch_set_rows(batch, j);
  fl_json_result_sort_rejects(p, res);
  return FL_OK;
}
