/* Unit tests of the expression evaluator (expr_eval.c): three-valued results per row,
 * WHERE selection (only TRUE rows), exact decimals, IN, LIKE, OR, IS NULL, predicates
 * over every batch row, and compile errors that name the label and position. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/batch.h"
#include "core/mem.h"
#include "sql/sql.h"

static fl_field fields[] = {
    {1, "name", {FL_T_STRING, 0, 0}, false},
    {2, "amount", {FL_T_DECIMAL, 12, 2}, false},
    {3, "qty", {FL_T_INT, 0, 0}, false},
};
static fl_schema schema = {0, 3, fields, 0, NULL};

/* rows: ("ab", 1.10, 1), ("abc", 0.10, NULL), (NULL, NULL, 3), ("x", 2.00, 4) */
static fl_batch *make_batch(void) {
  fl_batch *b = fl_batch_new(fields, 3, 16);
  const char *names[] = {"ab", "abc", NULL, "x"};
  const int64_t amounts[] = {110, 10, -1, 200};
  const int32_t qtys[] = {1, -1, 3, 4};
  for (int i = 0; i < 4; i++) {
    if (names[i])
      fl_vec_append_str(&b->cols[0], names[i], (uint32_t)strlen(names[i]));
    else
      fl_vec_append_null(&b->cols[0]);
    if (amounts[i] >= 0)
      fl_vec_append_i64(&b->cols[1], amounts[i]);
    else
      fl_vec_append_null(&b->cols[1]);
    if (qtys[i] >= 0)
      fl_vec_append_i32(&b->cols[2], qtys[i]);
    else
      fl_vec_append_null(&b->cols[2]);
  }
  fl_batch_set_rows(b, 4);
  return b;
}

/* Runs one predicate; returns its results as digits "1020" (0 false, 1 true, 2 unknown). */
static void results(const char *sql, char *out) {
  fl_arena arena;
  fl_arena_init(&arena, 1024);
  fl_err err = {0};
  fl_sql_expr *e;
  cr_assert_eq(fl_sql_parse_expr(sql, strlen(sql), &arena, &e, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_sql_expr_bind(e, &schema, &err), FL_OK, "%s", err.msg);
  fl_sql_eval *ev = fl_sql_eval_new(&schema);
  cr_assert_eq(fl_sql_eval_add(ev, e, sql, NULL, &err), FL_OK, "%s", err.msg);
  fl_arena_destroy(&arena); /* the evaluator keeps what it needs */
  fl_batch *b = make_batch();
  const uint8_t *r = fl_sql_eval_run(ev, 0, b);
  for (uint32_t i = 0; i < b->nrows; i++) out[i] = (char)('0' + r[i]);
  out[b->nrows] = 0;
  fl_batch_free(b);
  fl_sql_eval_free(ev);
}

static void check(const char *sql, const char *want) {
  char got[16];
  results(sql, got);
  cr_assert_str_eq(got, want, "%s", sql);
}

Test(expr_eval, comparisons_are_three_valued) {
  check("qty = 1", "1200");
  check("qty <> 1", "0211");
  check("name = 'abc'", "0120");
  check("name IS NULL", "0010");
  check("qty IS NOT NULL", "1011");
}

Test(expr_eval, decimals_compare_exactly) {
  check("amount = 1.1", "1020");
  check("amount > 0.1", "1021");
  check("amount >= 0.10", "1121");
  check("amount = 0.100000001", "0020");
}

Test(expr_eval, or_and_in_like_follow_sql) {
  check("qty = 1 OR name = 'x'", "1221");   /* NULL OR FALSE is NULL */
  check("qty = 3 OR name = 'abc'", "0110"); /* NULL OR TRUE is TRUE */
  check("qty IN (1, 4)", "1201");
  check("qty NOT IN (1, NULL)", "0222");
  check("name LIKE 'ab%'", "1120");
  check("name NOT LIKE '_b'", "0121");
  check("amount * qty > 2", "0221"); /* 1.10*1, NULL, NULL, 8.00 */
}

Test(expr_eval, select_keeps_rows_where_every_predicate_is_true) {
  fl_arena arena;
  fl_arena_init(&arena, 1024);
  fl_err err = {0};
  fl_sql_eval *ev = fl_sql_eval_new(&schema);
  const char *preds[] = {"amount IS NOT NULL", "coalesce(qty, 0) <> 4 OR name = 'x'", "name <> 'ab'"};
  for (int i = 0; i < 3; i++) {
    fl_sql_expr *e;
    cr_assert_eq(fl_sql_parse_expr(preds[i], strlen(preds[i]), &arena, &e, &err), FL_OK);
    cr_assert_eq(fl_sql_expr_bind(e, &schema, &err), FL_OK);
    uint32_t k;
    cr_assert_eq(fl_sql_eval_add(ev, e, preds[i], &k, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(k, (uint32_t)i);
  }
  fl_batch *b = make_batch();
  uint32_t sel[4];
  uint32_t m = fl_sql_eval_select(ev, b, sel);
  cr_assert_eq(m, 2); /* "ab" fails the third, the NULL row the first */
  cr_assert_eq(sel[0], 1);
  cr_assert_eq(sel[1], 3);
  const int32_t *cols;
  cr_assert_eq(fl_sql_eval_columns(ev, 1, &cols), 2);
  cr_assert_eq(cols[0], 2);
  cr_assert_eq(cols[1], 0);
  fl_batch_free(b);
  fl_sql_eval_free(ev);
  fl_arena_destroy(&arena);
}

Test(expr_eval, unsupported_expressions_fail_with_the_label_and_position) {
  fl_arena arena;
  fl_arena_init(&arena, 1024);
  fl_err err = {0};
  fl_sql_expr *e;
  const char *sql = "CASE WHEN qty > 0 THEN INTERVAL '1 hour' END IS NULL";
  cr_assert_eq(fl_sql_parse_expr(sql, strlen(sql), &arena, &e, &err), FL_OK);
  cr_assert_eq(fl_sql_expr_bind(e, &schema, &err), FL_OK, "%s", err.msg);
  fl_sql_eval *ev = fl_sql_eval_new(&schema);
  cr_assert_eq(fl_sql_eval_add(ev, e, "--where", NULL, &err), FL_EUNSUPPORTED);
  cr_assert_str_eq(err.msg, "--where: line 1, column 1: CASE of INTERVAL values is not supported");
  cr_assert_eq(fl_sql_eval_count(ev), 0);
  fl_sql_eval_free(ev);
  fl_arena_destroy(&arena);
}

/* 200 rows (words of 64 with NULLs, expanded 8 flags at a time, and a tail of 8): name
 * is NULL where r % 7 == 3, else "k" + r % 5 (2 bytes) or "key-long-" + r (>= 10);
 * amount NULL where r % 3 == 0 or r in [64, 128) (a word of NULLs), else r. Each
 * predicate's kept rows are counted against the same rule in C. */
Test(expr_eval, column_nulls_and_string_constants_hold_over_whole_words) {
  enum { N = 200 };
  fl_arena arena;
  fl_arena_init(&arena, 1024);
  fl_err err = {0};
  fl_batch *b = fl_batch_new(fields, 3, N);
  for (int r = 0; r < N; r++) {
    char s[32];
    int len = r % 2 ? snprintf(s, sizeof s, "k%d", r % 5) : snprintf(s, sizeof s, "key-long-%d", r);
    if (r % 7 == 3)
      fl_vec_append_null(&b->cols[0]);
    else
      fl_vec_append_str(&b->cols[0], s, (uint32_t)len);
    if (r % 3 == 0 || (r >= 64 && r < 128))
      fl_vec_append_null(&b->cols[1]);
    else
      fl_vec_append_i64(&b->cols[1], r * 100);
    fl_vec_append_i32(&b->cols[2], r);
  }
  fl_batch_set_rows(b, N);
  const char *preds[] = {"amount IS NULL", "amount > 150", "name = 'k2'", "name <> 'k2'",
                         "name = 'key-long-40'"};
  for (int p = 0; p < 5; p++) {
    uint32_t want = 0;
    for (int r = 0; r < N; r++) {
      bool an = r % 3 == 0 || (r >= 64 && r < 128), nn = r % 7 == 3;
      bool k2 = r % 2 && r % 5 == 2;
      bool ok = p == 0   ? an
                : p == 1 ? !an && r > 150
                : p == 2 ? !nn && k2
                : p == 3 ? !nn && !k2
                         : !nn && r == 40;
      want += ok;
    }
    fl_sql_eval *ev = fl_sql_eval_new(&schema);
    fl_sql_expr *e;
    cr_assert_eq(fl_sql_parse_expr(preds[p], strlen(preds[p]), &arena, &e, &err), FL_OK);
    cr_assert_eq(fl_sql_expr_bind(e, &schema, &err), FL_OK);
    cr_assert_eq(fl_sql_eval_add(ev, e, preds[p], NULL, &err), FL_OK, "%s", err.msg);
    uint32_t sel[N];
    cr_assert_eq(fl_sql_eval_select(ev, b, sel), want, "%s", preds[p]);
    fl_sql_eval_free(ev);
  }
  fl_batch_free(b);
  fl_arena_destroy(&arena);
}

/* LIKE '%p%' and NOT LIKE against strstr over texts of 1..40 bytes (x- or y- and digits,
 * some a rotation of 1234567890; every 7th NULL), patterns of 1..9 bytes (one that is in
 * no text), matched at every position of the text including its last bytes, row by row. */
Test(expr_eval, like_contains_finds_what_strstr_finds_at_every_position) {
  enum { N = 400 };
  static const char *pats[] = {"1",    "12",    "123",    "1234",     "91",      "-9",        "99",
                               "x-12", "12345", "y-1234", "x-123456", "2345678", "x-1234567", "0x"};
  fl_arena arena;
  fl_arena_init(&arena, 1024);
  fl_err err = {0};
  fl_batch *b = fl_batch_new(fields, 3, N);
  char texts[N][48];
  for (int r = 0; r < N; r++) {
    /* "x-" or "y-" then r's digits repeated to a length of 1..40 bytes */
    int len = 1 + r % 40, k = 0;
    char digits[16];
    int dn = r % 2 ? snprintf(digits, sizeof digits, "%d", r * 7919)
                   : snprintf(digits, sizeof digits, "%.10s", &"12345678901234567890"[r / 2 % 10]);
    for (; k < len && k < 2; k++) texts[r][k] = k ? '-' : (r % 3 ? 'x' : 'y');
    for (int j = 0; k < len; k++, j++) texts[r][k] = digits[j % dn];
    texts[r][len] = 0;
    if (r % 7 == 3)
      fl_vec_append_null(&b->cols[0]);
    else
      fl_vec_append_str(&b->cols[0], texts[r], (uint32_t)len);
    fl_vec_append_null(&b->cols[1]);
    fl_vec_append_i32(&b->cols[2], r);
  }
  fl_batch_set_rows(b, N);
  for (size_t p = 0; p < sizeof pats / sizeof *pats; p++) {
    char sql[64];
    snprintf(sql, sizeof sql, "name LIKE '%%%s%%'", pats[p]);
    for (int negated = 0; negated < 2; negated++) {
      if (negated) snprintf(sql, sizeof sql, "name NOT LIKE '%%%s%%'", pats[p]);
      /* the texts lie end to end in the batch: a match may run across two of them (the
       * batch-wide search must not count it), rows are NULL every 7th */
      uint32_t want[N], nwant = 0;
      for (int r = 0; r < N; r++)
        if (r % 7 != 3 && (strstr(texts[r], pats[p]) != NULL) != negated) want[nwant++] = (uint32_t)r;
      fl_sql_eval *ev = fl_sql_eval_new(&schema);
      fl_sql_expr *e;
      cr_assert_eq(fl_sql_parse_expr(sql, strlen(sql), &arena, &e, &err), FL_OK);
      cr_assert_eq(fl_sql_expr_bind(e, &schema, &err), FL_OK);
      cr_assert_eq(fl_sql_eval_add(ev, e, sql, NULL, &err), FL_OK, "%s", err.msg);
      uint32_t sel[N];
      cr_assert_eq(fl_sql_eval_select(ev, b, sel), nwant, "%s", sql);
      for (uint32_t i = 0; i < nwant; i++) cr_assert_eq(sel[i], want[i], "%s: selected row %u", sql, i);
      cr_assert(nwant > 0 || (!strcmp(pats[p], "0x") && !negated), "%s matches some text", sql);
      fl_sql_eval_free(ev);
    }
  }
  fl_batch_free(b);
  fl_arena_destroy(&arena);
}

/* ---- dictionary-form columns (core/batch.h): the same results as the flat column ---- */

static const char *const dict_words[] = {"order_paid", "order_created", "Order_Paid", "",
                                         "ünï",        "order%x",       "b",          "a_c"};
#define NDICT_WORDS 8u

/* rows rows over dict_words (row r: word (r * 5) % 8, NULL every 7th row and rows 64..127
 * but one, so whole validity words are mixed and full), amount r, qty r % 10; flat, or
 * with name in dictionary form over `dict` (the words in order, one per entry). */
static fl_batch *make_dict_batch(uint32_t rows, fl_vec *dict, bool dict_form) {
  fl_batch *b = fl_batch_new(fields, 3, rows);
  if (dict_form) {
    fl_vec_init(dict, fields[0].type, NDICT_WORDS);
    for (uint32_t i = 0; i < NDICT_WORDS; i++)
      fl_vec_append_str(dict, dict_words[i], (uint32_t)strlen(dict_words[i]));
    fl_vec_set_dict(&b->cols[0], dict, rows);
  }
  for (uint32_t r = 0; r < rows; r++) {
    bool null = r % 7 == 3 || (r >= 64 && r < 128 && r != 100);
    uint32_t w = (r * 5) % NDICT_WORDS;
    fl_vec *v = &b->cols[0];
    if (dict_form) {
      v->codes[r] = null ? 0 : w;
      fl_vec_set_valid(v, r, !null);
      v->len++;
    } else if (null) {
      fl_vec_append_null(v);
    } else {
      fl_vec_append_str(v, dict_words[w], (uint32_t)strlen(dict_words[w]));
    }
    fl_vec_append_i64(&b->cols[1], r);
    fl_vec_append_i32(&b->cols[2], (int32_t)(r % 10));
  }
  fl_batch_set_rows(b, rows);
  return b;
}

static void check_dict_same(const char *sql, uint32_t rows) {
  fl_arena arena;
  fl_arena_init(&arena, 1024);
  fl_err err = {0};
  fl_sql_expr *e;
  cr_assert_eq(fl_sql_parse_expr(sql, strlen(sql), &arena, &e, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_sql_expr_bind(e, &schema, &err), FL_OK, "%s", err.msg);
  fl_sql_eval *flat_ev = fl_sql_eval_new(&schema), *dict_ev = fl_sql_eval_new(&schema);
  cr_assert_eq(fl_sql_eval_add(flat_ev, e, sql, NULL, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_sql_eval_add(dict_ev, e, sql, NULL, &err), FL_OK, "%s", err.msg);
  fl_arena_destroy(&arena);
  fl_vec dict;
  fl_batch *flat = make_dict_batch(rows, NULL, false), *dform = make_dict_batch(rows, &dict, true);
  uint32_t n;
  const char *a, *b;
  for (uint32_t r = 0; r < rows; r++) { /* the two batches hold the same strings */
    cr_assert_eq(fl_vec_is_valid(&flat->cols[0], r), fl_vec_is_valid(&dform->cols[0], r));
    if (!fl_vec_is_valid(&flat->cols[0], r)) continue;
    a = fl_vec_str(&flat->cols[0], r, &n);
    uint32_t m;
    b = fl_vec_str_any(&dform->cols[0], r, &m);
    cr_assert(n == m && !memcmp(a, b, n), "row %u", r);
  }
  const uint8_t *want = fl_sql_eval_run(flat_ev, 0, flat);
  uint8_t *w = fl_malloc(rows);
  memcpy(w, want, rows);
  /* dictionary form, then flat, then dictionary again through one evaluator */
  for (int pass = 0; pass < 3; pass++) {
    const uint8_t *got = fl_sql_eval_run(dict_ev, 0, pass == 1 ? flat : dform);
    for (uint32_t r = 0; r < rows; r++)
      cr_assert_eq(got[r], w[r], "%s: pass %d row %u: %u, flat %u", sql, pass, r, got[r], w[r]);
  }
  fl_free(w);
  fl_batch_free(flat);
  fl_batch_free(dform);
  fl_vec_free(&dict);
  fl_sql_eval_free(flat_ev);
  fl_sql_eval_free(dict_ev);
}

Test(expr_eval, dictionary_columns_give_the_results_of_flat_ones) {
  static const char *const preds[] = {
      "name = 'order_paid'",
      "name <> 'order_paid'",
      "'order_paid' = name",
      "name < 'order_paid'",
      "name <= 'b'",
      "name > 'Order_Paid'",
      "name >= ''",
      "name IN ('b', 'a_c', 'zz')",
      "name NOT IN ('b', 'a_c')",
      "name IN ('b', NULL)",
      "name NOT IN ('b', NULL)",
      "name LIKE 'order%'",
      "name LIKE '%paid'",
      "name LIKE '%der%'",
      "name LIKE 'a_c'",
      "name LIKE 'order\\%x' ESCAPE '\\'",
      "name NOT LIKE 'order%'",
      "name ILIKE 'ORDER_paid'",
      "name ILIKE 'ÜN%'",
      "name IS NULL",
      "name IS NOT NULL",
      "NOT (name = 'b')",
      "lower(name) = 'order_paid'",
      "upper(name) LIKE 'ORDER%'",
      "length(name) > 3",
      "name || 'x' = 'bx'",
      "name = 'order_paid' AND amount > 50",
      "name = 'order_paid' OR qty = 3",
      "(name = 'b' OR name IS NULL) AND qty < 5",
      "name = 'b' OR name LIKE 'order%'",
      "name LIKE name",
      "coalesce(name, 'b') = 'b'",
      "CASE WHEN name = 'b' THEN qty > 2 ELSE name IS NULL END",
      "CAST(name AS VARCHAR) = 'b'",
  };
  for (uint32_t i = 0; i < sizeof preds / sizeof *preds; i++) {
    check_dict_same(preds[i], 300); /* more rows than entries: once per entry */
    check_dict_same(preds[i], 5);   /* fewer: per row, through the codes */
  }
}

/* fl_sql_eval_select over conjuncts added one by one (exec_add_where) keeps the rows the
 * AND of them keeps, whether the later ones run over the whole batch (the first kept
 * more than half the rows) or over the kept rows gathered, dictionary columns included. */
static uint32_t select_rows(const char *const *sqls, uint32_t n, const fl_batch *b, uint32_t *sel) {
  fl_arena arena;
  fl_arena_init(&arena, 1024);
  fl_err err = {0};
  fl_sql_eval *ev = fl_sql_eval_new(&schema);
  for (uint32_t i = 0; i < n; i++) {
    fl_sql_expr *e;
    cr_assert_eq(fl_sql_parse_expr(sqls[i], strlen(sqls[i]), &arena, &e, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(fl_sql_expr_bind(e, &schema, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(fl_sql_eval_add(ev, e, sqls[i], NULL, &err), FL_OK, "%s", err.msg);
  }
  fl_arena_destroy(&arena);
  uint32_t m = fl_sql_eval_select(ev, b, sel);
  m += 0 * fl_sql_eval_select(ev, b, sel); /* twice through one evaluator: the same rows */
  fl_sql_eval_free(ev);
  return m;
}

Test(expr_eval, select_over_conjuncts_keeps_the_rows_of_their_and) {
  static const char *const pairs[][3] = {
      {"name = 'b'", "amount > 100", "name = 'b' AND amount > 100"},
      {"amount > 100", "name = 'b'", "amount > 100 AND name = 'b'"},
      {"qty < 3", "name LIKE 'order%'", "qty < 3 AND name LIKE 'order%'"},
      {"name IS NOT NULL", "qty > 1", "name IS NOT NULL AND qty > 1"},
      {"qty = 1", "name IS NULL OR amount < 50", "qty = 1 AND (name IS NULL OR amount < 50)"},
      {"name = 'zz'", "qty = 1", "name = 'zz' AND qty = 1"},
  };
  for (int form = 0; form < 2; form++) {
    fl_vec dict;
    fl_batch *b = make_dict_batch(300, &dict, form == 1);
    for (uint32_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
      uint32_t a[300], w[300];
      uint32_t na = select_rows(pairs[i], 2, b, a), nw = select_rows(&pairs[i][2], 1, b, w);
      cr_assert_eq(na, nw, "%s: %u rows, the AND %u", pairs[i][2], na, nw);
      for (uint32_t j = 0; j < na; j++) cr_assert_eq(a[j], w[j], "%s: row %u", pairs[i][2], j);
    }
    fl_batch_free(b);
    if (form == 1) fl_vec_free(&dict);
  }
}
