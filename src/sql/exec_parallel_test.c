/* Tests of parallel execution (exec_parallel.c, query.c's lower_parallel): the same
 * queries over tables of several files and row groups give exactly the same rows with
 * 1, 2 and 4 threads (ORDER BY where the order matters, else the rows sorted as text),
 * with exact values computed here in C for the aggregates that merge partial results;
 * an error raised in one morsel is reported once with the 1-thread run's message; the
 * memory budget holds for the whole query; EXPLAIN ANALYZE shows the threads and the
 * rows of every operator summed over them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "core/buf.h"
#include "sql/exec_test_util.h"
#include "sql/sql.h"
#include "table/table.h"

/* t: 3 files (commits) x 4 row groups x 1,500 rows = 18,000 rows:
 *   id BIGINT 0..17999; g INT id % 7, NULL when id % 5 == 0; s STRING "s<id % 50>",
 *   NULL when id % 11 == 0; amt DECIMAL(12,2) (id % 1000) + 0.25 cents-wise
 *   (id * 37 % 100000 cents), NULL when id % 13 == 0; k BIGINT id % 40; txt STRING
 *   "<id % 9>", but "oops" at id 13,001 (file 2, row group 2) in table t_bad only.
 * u: 2 files of 60 rows: k BIGINT i % 30 (each key twice per file: 4 rows a key),
 *   w INT i. */
enum { NF = 3, NRG = 4, RG = 1500, N = NF * NRG * RG, BAD_ID = 13001 };

static fl_field tfields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true, NULL}, {2, "g", {FL_T_INT, 0, 0}, false, NULL},
    {3, "s", {FL_T_STRING, 0, 0}, false, NULL}, {4, "amt", {FL_T_DECIMAL, 12, 2}, false, NULL},
    {5, "k", {FL_T_BIGINT, 0, 0}, false, NULL}, {6, "txt", {FL_T_STRING, 0, 0}, false, NULL},
};
static fl_field ufields[] = {
    {1, "k", {FL_T_BIGINT, 0, 0}, false, NULL},
    {2, "w", {FL_T_INT, 0, 0}, false, NULL},
};

static int64_t cents(int64_t id) { return id * 37 % 100000; }

static void make_t(fl_warehouse *wh, const char *name, bool bad) {
  fl_err err = {0};
  fl_schema schema = {.fields = tfields, .nfields = 6};
  fl_kv props[] = {{"write.parquet.row-group-size-bytes", "1"}}; /* a row group per write */
  fl_table_create_opts o = {.props = props, .nprops = 1};
  fl_table *tbl;
  cr_assert_eq(fl_table_create(wh, "bronze", name, &schema, &o, &tbl, &err), FL_OK, "%s", err.msg);
  fl_batch *b = fl_batch_new(tfields, 6, RG);
  for (int f = 0; f < NF; f++) {
    fl_appender *app;
    cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
    for (int r = 0; r < NRG; r++) {
      fl_batch_reset(b);
      for (int i = 0; i < RG; i++) {
        int64_t id = ((int64_t)f * NRG + r) * RG + i;
        char s[32];
        fl_vec_append_i64(&b->cols[0], id);
        if (id % 5 == 0)
          fl_vec_append_null(&b->cols[1]);
        else
          fl_vec_append_i32(&b->cols[1], (int32_t)(id % 7));
        if (id % 11 == 0) {
          fl_vec_append_null(&b->cols[2]);
        } else {
          int n = snprintf(s, sizeof s, "s%lld", (long long)(id % 50));
          fl_vec_append_str(&b->cols[2], s, (uint32_t)n);
        }
        if (id % 13 == 0)
          fl_vec_append_null(&b->cols[3]);
        else
          fl_vec_append_i64(&b->cols[3], cents(id));
        fl_vec_append_i64(&b->cols[4], id % 40);
        int n = bad && id == BAD_ID ? snprintf(s, sizeof s, "oops")
                                    : snprintf(s, sizeof s, "%lld", (long long)(id % 9));
        fl_vec_append_str(&b->cols[5], s, (uint32_t)n);
      }
      fl_batch_set_rows(b, RG);
      cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
    }
    cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
    fl_appender_free(app);
  }
  fl_batch_free(b);
  fl_table_free(tbl);
}

static void make_u(fl_warehouse *wh) {
  fl_err err = {0};
  fl_schema schema = {.fields = ufields, .nfields = 2};
  fl_table *tbl;
  cr_assert_eq(fl_table_create(wh, "bronze", "u", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  fl_batch *b = fl_batch_new(ufields, 2, 60);
  for (int f = 0; f < 2; f++) {
    fl_batch_reset(b);
    for (int i = 0; i < 60; i++) {
      fl_vec_append_i64(&b->cols[0], i % 30);
      fl_vec_append_i32(&b->cols[1], f * 60 + i);
    }
    fl_batch_set_rows(b, 60);
    fl_appender *app;
    cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
    fl_appender_free(app);
  }
  fl_batch_free(b);
  fl_table_free(tbl);
}

/* wide: one file of one row group of 5,000 rows (scan batches of 4,096, sliced in two
 * for the operators): id BIGINT 0..4999, s STRING "v<id>" */
static void make_wide(fl_warehouse *w) {
  fl_err err = {0};
  fl_schema schema = {.fields = tfields, .nfields = 1};
  fl_field f[2] = {tfields[0], {2, "s", {FL_T_STRING, 0, 0}, false, NULL}};
  schema.fields = f;
  schema.nfields = 2;
  fl_table *tbl;
  cr_assert_eq(fl_table_create(w, "bronze", "wide", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  fl_batch *b = fl_batch_new(f, 2, 5000);
  for (int i = 0; i < 5000; i++) {
    char s[32];
    int n = snprintf(s, sizeof s, "v%d", i);
    fl_vec_append_i64(&b->cols[0], i);
    fl_vec_append_str(&b->cols[1], s, (uint32_t)n);
  }
  fl_batch_set_rows(b, 5000);
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
  fl_batch_free(b);
  fl_table_free(tbl);
}

static fl_warehouse *wh;

static void setup(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/exec-parallel-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_free(dir);
  make_t(wh, "t", false);
  make_t(wh, "t_bad", true);
  make_u(wh);
  make_wide(wh);
}

static void teardown(void) { fl_warehouse_close(wh); }

static int line_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Runs sql with `threads` (and budget) and returns its rows as CSV (a string to free);
 * sorted: the lines after the header sorted (for queries without ORDER BY). On error:
 * NULL and *err. */
static char *run_q(const char *sql, uint32_t threads, size_t budget, bool sorted, fl_err *err) {
  fl_sql_query_opts o = {.threads = threads, .mem_budget = budget};
  fl_sql_query *q;
  memset(err, 0, sizeof *err);
  if (fl_sql_query_prepare(wh, sql, strlen(sql), &o, &q, err)) return NULL;
  uint32_t ncols;
  const fl_field *fields = fl_sql_query_fields(q, &ncols);
  fl_sql_writer *w = fl_sql_writer_new(FL_SQL_FORMAT_CSV, fields, ncols);
  fl_buf out = {0};
  fl_sql_writer_begin(w, &out);
  for (;;) {
    const fl_batch *b;
    if (fl_sql_query_next(q, &b, err)) {
      fl_sql_writer_free(w);
      fl_sql_query_free(q);
      fl_buf_free(&out);
      return NULL;
    }
    if (!b) break;
    fl_sql_writer_batch(w, b, &out);
  }
  fl_sql_writer_end(w, &out);
  fl_sql_writer_free(w);
  fl_sql_query_free(q);
  fl_buf_cstr(&out);
  char *text = fl_sprintf("%s", (const char *)out.data);
  fl_buf_free(&out);
  if (!sorted) return text;
  /* sort the data lines (CRLF-terminated, no embedded newlines in these results) */
  char *body = strstr(text, "\r\n");
  if (!body) return text;
  body += 2;
  uint32_t n = 0, cap = 64;
  char **lines = fl_calloc(cap, sizeof *lines);
  for (char *p = body; *p;) {
    char *e = strstr(p, "\r\n");
    cr_assert(e);
    *e = 0;
    if (n == cap) lines = fl_realloc(lines, (cap *= 2) * sizeof *lines);
    lines[n++] = p;
    p = e + 2;
  }
  qsort(lines, n, sizeof *lines, line_cmp);
  fl_buf s = {0};
  fl_buf_append(&s, text, (size_t)(body - text));
  for (uint32_t i = 0; i < n; i++) {
    fl_buf_append(&s, lines[i], strlen(lines[i]));
    fl_buf_append(&s, "\r\n", 2);
  }
  fl_buf_cstr(&s);
  char *r = fl_sprintf("%s", (const char *)s.data);
  fl_buf_free(&s);
  fl_free(lines);
  fl_free(text);
  return r;
}

/* The query's result with 1 thread, checked equal with 2 and 4 threads; returned. */
static char *same_all(const char *sql, bool sorted, size_t budget) {
  fl_err err;
  char *one = run_q(sql, 1, budget, sorted, &err);
  cr_assert(one, "%s: %s", sql, err.msg);
  for (uint32_t t = 2; t <= 4; t += 2) {
    char *par = run_q(sql, t, budget, sorted, &err);
    cr_assert(par, "%s (%u threads): %s", sql, t, err.msg);
    cr_assert_str_eq(par, one, "%s: %u threads differ:\n%s\n--- 1 thread:\n%s", sql, t, par, one);
    fl_free(par);
  }
  return one;
}

TestSuite(exec_parallel, .init = setup, .fini = teardown);

Test(exec_parallel, group_by_with_null_keys_merges_exact_counts_sums_min_max) {
  char *r = same_all(
      "SELECT g, count(*) AS n, count(amt) AS na, sum(amt) AS sa, sum(id) AS si, min(s) AS mn, "
      "max(id) AS mx FROM t GROUP BY g ORDER BY g NULLS FIRST",
      false, 0);
  /* the NULL group (id % 5 == 0) and group 3, computed here */
  int64_t n0 = 0, na0 = 0, sa0 = 0, si0 = 0, mx0 = 0, n3 = 0, na3 = 0, sa3 = 0, si3 = 0, mx3 = 0;
  for (int64_t id = 0; id < N; id++) {
    bool has = id % 13 != 0;
    if (id % 5 == 0) {
      n0++, si0 += id, mx0 = id;
      if (has) na0++, sa0 += cents(id);
    } else if (id % 7 == 3) {
      n3++, si3 += id, mx3 = id;
      if (has) na3++, sa3 += cents(id);
    }
  }
  char *want0 = fl_sprintf(",%lld,%lld,%lld.%02lld,%lld,s0,%lld\r\n", (long long)n0, (long long)na0,
                           (long long)(sa0 / 100), (long long)(sa0 % 100), (long long)si0, (long long)mx0);
  char *want3 = fl_sprintf("\r\n3,%lld,%lld,%lld.%02lld,%lld,s1,%lld\r\n", (long long)n3, (long long)na3,
                           (long long)(sa3 / 100), (long long)(sa3 % 100), (long long)si3, (long long)mx3);
  cr_assert(strncmp(r, "g,n,na,sa,si,mn,mx\r\n", 20) == 0, "%s", r);
  cr_assert(strncmp(r + 20, want0, strlen(want0)) == 0, "NULL group: want %s in\n%s", want0, r);
  cr_assert(strstr(r, want3), "group 3: want %s in\n%s", want3, r);
  fl_free(want0);
  fl_free(want3);
  fl_free(r);
}

Test(exec_parallel, count_distinct_approx_and_avg_are_the_one_thread_values) {
  char *r = same_all(
      "SELECT count(DISTINCT s) AS d, approx_count_distinct(s) AS a, avg(amt) AS av, "
      "avg(id) AS ai, count(*) FILTER (WHERE g = 2) AS f FROM t",
      false, 0);
  int64_t f = 0;
  for (int64_t id = 0; id < N; id++) f += id % 5 != 0 && id % 7 == 2;
  char *want = fl_sprintf("d,a,av,ai,f\r\n50,");
  cr_assert(strncmp(r, want, strlen(want)) == 0, "%s", r);
  char *tail = fl_sprintf(",8999.5,%lld\r\n", (long long)f);
  cr_assert(strstr(r, tail), "want %s in %s", tail, r);
  fl_free(tail);
  fl_free(want);
  fl_free(r);
}

Test(exec_parallel, avg_of_decimals_and_integers_merges_from_sums_and_counts) {
  const char *sql =
      "SELECT g, avg(amt) AS a, avg(id) AS ai, count(*) AS n FROM t GROUP BY g ORDER BY g NULLS FIRST";
  char *r = same_all(sql, false, 0);
  /* the NULL group: ids 0, 5, .., 17995: avg(id) 8997.5 */
  cr_assert(strncmp(r, "g,a,ai,n\r\n,", 11) == 0, "%s", r);
  cr_assert(strstr(r, ",8997.5,3600\r\n"), "%s", r);
  fl_free(r);
  /* split: partial aggregates under the gather, the finish above the merge */
  fl_err err;
  char *sql2 = fl_sprintf("EXPLAIN %s", sql);
  char *ex = run_q(sql2, 2, 0, false, &err);
  cr_assert(ex, "%s", err.msg);
  const char *fin = strstr(ex, "AGGREGATE_FINISH"), *gather = strstr(ex, "GATHER threads=2");
  cr_assert(fin && gather && fin < gather, "%s", ex);
  cr_assert(
      strstr(gather, "HASH_AGGREGATE keys=[g] aggs=[sum(amt), count(amt), sum(id), count(id), count(*)]"),
      "%s", ex);
  fl_free(ex);
  fl_free(sql2);
}

Test(exec_parallel, count_distinct_by_group_merges_from_each_copys_distinct_rows) {
  const char *sql =
      "SELECT g, count(DISTINCT s) AS d, approx_count_distinct(s) AS a, min(s) AS lo, max(s) AS hi FROM t "
      "WHERE id > 100 GROUP BY g ORDER BY g NULLS FIRST";
  char *r = same_all(sql, false, 0);
  /* the NULL group: ids 105, 110, ...: s = id % 50 in {0, 5, .., 45}: 10 strings */
  cr_assert(strncmp(r, "g,d,a,lo,hi\r\n,10,10,s0,s5\r\n", 27) == 0, "%s", r); /* s5 > s45 */
  fl_free(r);
  fl_err err;
  char *ex_sql = fl_sprintf("EXPLAIN %s", sql);
  char *ex = run_q(ex_sql, 2, 0, false, &err);
  cr_assert(ex, "%s", err.msg);
  const char *g = strstr(ex, "GATHER threads=2");
  cr_assert(g && strstr(g, "DISTINCT"), "each copy drops its duplicates: %s", ex);
  fl_free(ex);
  fl_free(ex_sql);
}

Test(exec_parallel, filtered_decimal_sum_is_exact) {
  char *r =
      same_all("SELECT sum(amt) AS s, count(*) AS n FROM t WHERE id % 3 = 0 AND amt IS NOT NULL", false, 0);
  int64_t s = 0, n = 0;
  for (int64_t id = 0; id < N; id += 3)
    if (id % 13 != 0) s += cents(id), n++;
  char *want =
      fl_sprintf("s,n\r\n%lld.%02lld,%lld\r\n", (long long)(s / 100), (long long)(s % 100), (long long)n);
  cr_assert_str_eq(r, want);
  fl_free(want);
  fl_free(r);
}

Test(exec_parallel, join_with_duplicate_keys_counts_every_pair) {
  char *r =
      same_all("SELECT t.g, count(*) AS n, sum(u.w) AS sw FROM t JOIN u ON t.k = u.k GROUP BY t.g ORDER BY 1",
               false, 0);
  /* every t row with k < 30 meets 4 u rows (w = k, k + 30, k + 60, k + 90) */
  int64_t n2 = 0, sw2 = 0;
  for (int64_t id = 0; id < N; id++)
    if (id % 5 != 0 && id % 7 == 2 && id % 40 < 30) n2 += 4, sw2 += 4 * (id % 40) + 180;
  char *want = fl_sprintf("\r\n2,%lld,%lld\r\n", (long long)n2, (long long)sw2);
  cr_assert(strstr(r, want), "want %s in\n%s", want, r);
  fl_free(want);
  fl_free(r);
  r = same_all("SELECT t.id, u.w FROM t JOIN u ON t.k = u.k WHERE t.id < 100", true, 0);
  fl_free(r);
  /* two joins in one pipeline: two shared builds; each t row with k < 30 meets 4 x 4 */
  const char *two = "SELECT count(*) AS n, sum(v.w) AS sw FROM t JOIN u ON t.k = u.k JOIN u v ON t.k = v.k";
  r = same_all(two, false, 0);
  int64_t n = 0;
  for (int64_t id = 0; id < N; id++) n += id % 40 < 30 ? 16 : 0;
  char *want_n = fl_sprintf("n,sw\r\n%lld,", (long long)n);
  cr_assert(strncmp(r, want_n, strlen(want_n)) == 0, "%s", r);
  fl_free(want_n);
  fl_free(r);
  fl_err err;
  char *ex_sql = fl_sprintf("EXPLAIN %s", two);
  r = run_q(ex_sql, 2, 0, false, &err);
  cr_assert(r, "%s", err.msg);
  cr_assert(strstr(r, "JOIN_SWITCH shared builds=2"), "%s", r);
  fl_free(r);
  fl_free(ex_sql);
}

Test(exec_parallel, a_join_in_the_pipeline_probes_one_build_and_falls_back_to_one_thread_when_it_spills) {
  const char *sql =
      "SELECT a.g, count(*) AS n, sum(b.amt) AS s, min(b.id) AS lo FROM t a JOIN t b ON a.id = b.id + 1 "
      "WHERE b.id < 9000 GROUP BY a.g ORDER BY 1 NULLS FIRST";
  char *free_run = same_all(sql, false, 0);
  char *tight = same_all(sql, false, 700u << 10);
  cr_assert_str_eq(tight, free_run);
  /* ids 1..9000 of a meet b = id - 1: 9,000 rows; the NULL group (a.id % 5 == 0) has 1,800 */
  cr_assert(strncmp(free_run, "g,n,s,lo\r\n,1800,", 16) == 0, "%s", free_run);
  fl_free(tight);
  fl_free(free_run);
  fl_err err;
  char *ex_sql = fl_sprintf("EXPLAIN ANALYZE %s", sql);
  char *ex = run_q(ex_sql, 4, 0, false, &err);
  cr_assert(ex, "%s", err.msg);
  const char *sw = strstr(ex, "JOIN_SWITCH shared builds=1 (probed in parallel)");
  cr_assert(sw, "%s", ex);
  const char *g = strstr(sw, "GATHER threads=4"), *probe = strstr(sw, "HASH_JOIN_PROBE INNER");
  cr_assert(g && probe && g < probe, "partial aggregates over the probes: %s", ex);
  cr_assert(strstr(g, "HASH_AGGREGATE keys=[g] aggs=[count(*), sum(amt), min(id)]"), "%s", ex);
  cr_assert(strstr(probe, "[rows=9000 "), "the probes' rows summed: %s", ex);
  fl_free(ex);
  ex = run_q(ex_sql, 4, 700u << 10, false, &err);
  cr_assert(ex, "%s", err.msg);
  cr_assert(strstr(ex, "JOIN_SWITCH shared builds=1 (a build spilled: one thread)"), "%s", ex);
  fl_free(ex);
  fl_free(ex_sql);
}

Test(exec_parallel, order_by_limit_and_distinct) {
  char *r = same_all("SELECT id, amt FROM t WHERE amt IS NOT NULL ORDER BY amt DESC, id LIMIT 5", false, 0);
  /* the largest cents(id) = id * 37 % 100000 over 0..17999 */
  cr_assert(strncmp(r, "id,amt\r\n", 8) == 0, "%s", r);
  int64_t best = -1, best_id = -1;
  for (int64_t id = 0; id < N; id++)
    if (id % 13 != 0 && cents(id) > best) best = cents(id), best_id = id;
  char *first = fl_sprintf("id,amt\r\n%lld,%lld.%02lld\r\n", (long long)best_id, (long long)(best / 100),
                           (long long)(best % 100));
  cr_assert(strncmp(r, first, strlen(first)) == 0, "want %s first in\n%s", first, r);
  fl_free(first);
  fl_free(r);
  r = same_all("SELECT DISTINCT s FROM t ORDER BY s", false, 0);
  cr_assert(strncmp(r, "s\r\ns0\r\ns1\r\ns10\r\n", 16) == 0, "%s", r);
  cr_assert(strstr(r, "s9\r\n\r\n"), "NULL last: %s", r);
  fl_free(r);
  /* LIMIT without ORDER BY: any 3 rows of the filter's */
  for (uint32_t t = 1; t <= 4; t *= 2) {
    fl_err err;
    r = run_q("SELECT g, k FROM t WHERE g = 1 AND k = 7 LIMIT 3", t, 0, false, &err);
    cr_assert(r, "%s", err.msg);
    cr_assert_str_eq(r, "g,k\r\n1,7\r\n1,7\r\n1,7\r\n");
    fl_free(r);
  }
}

Test(exec_parallel, an_error_in_one_morsel_stops_the_query_once_with_the_one_thread_message) {
  fl_err e1, e4;
  char *r = run_q("SELECT sum(CAST(txt AS INT)) FROM t_bad", 1, 0, false, &e1);
  cr_assert_null(r);
  cr_assert_neq(e1.code, FL_OK);
  cr_assert(strstr(e1.msg, "oops"), "%s", e1.msg);
  for (int rep = 0; rep < 5; rep++) {
    r = run_q("SELECT sum(CAST(txt AS INT)) FROM t_bad", 4, 0, false, &e4);
    cr_assert_null(r);
    cr_assert_eq(e4.code, e1.code);
    cr_assert_str_eq(e4.msg, e1.msg);
    /* reported once: the message names the value once */
    cr_assert_eq(strstr(strstr(e4.msg, "oops") + 4, "oops"), NULL, "%s", e4.msg);
  }
  /* and a query whose pipeline gathers below the aggregate (avg) */
  r = run_q("SELECT avg(CAST(txt AS INT)) FROM t_bad WHERE id > 5", 2, 0, false, &e4);
  cr_assert_null(r);
  cr_assert_str_eq(e4.msg, e1.msg);
}

Test(exec_parallel, the_memory_budget_is_the_whole_querys_and_spills_give_the_same_rows) {
  const char *sql = "SELECT id % 9000 AS b, count(*) AS n, sum(amt) AS s FROM t GROUP BY 1 ORDER BY 1";
  char *free_run = same_all(sql, false, 0);
  char *tight = same_all(sql, false, 64u << 10);
  cr_assert_str_eq(tight, free_run);
  fl_free(tight);
  fl_free(free_run);
  /* spilled rows show in EXPLAIN ANALYZE with a budget far below the table */
  fl_err err;
  char *ex = run_q("EXPLAIN ANALYZE SELECT id % 9000 AS b, count(*) AS n FROM t GROUP BY 1", 4, 64u << 10,
                   false, &err);
  cr_assert(ex, "%s", err.msg);
  cr_assert(strstr(ex, "spilled="), "%s", ex);
  fl_free(ex);
}

Test(exec_parallel, explain_analyze_shows_threads_and_rows_summed_over_them) {
  fl_err err;
  char *ex =
      run_q("EXPLAIN ANALYZE SELECT g, count(*) FROM t WHERE id >= 1000 GROUP BY g", 4, 0, false, &err);
  cr_assert(ex, "%s", err.msg);
  cr_assert(strstr(ex, "GATHER threads=4"), "%s", ex);
  cr_assert(strstr(ex, "morsels=12"), "%s", ex);
  /* every copy's scan rows added: the filter keeps 17,000 rows of 18,000 */
  cr_assert(strstr(ex, "rows_read=18000"), "%s", ex);
  cr_assert(strstr(ex, "[rows=17000 "), "%s", ex);
  fl_free(ex);
  /* one thread: no gather */
  ex = run_q("EXPLAIN ANALYZE SELECT g, count(*) FROM t WHERE id >= 1000 GROUP BY g", 1, 0, false, &err);
  cr_assert(ex, "%s", err.msg);
  cr_assert_null(strstr(ex, "GATHER"), "%s", ex);
  fl_free(ex);
}

/* The parallel plan's scans read a row group in the filter's columns first, as the
 * 1-thread scan does (fl_scan_set_filter_columns): id + 0 is not lowered, so no bound
 * prunes, and the 11 row groups below id 16,500 are skipped after decoding k and id
 * alone; only the last (16,500..17,999) is read whole. */
Test(exec_parallel, the_scan_parts_skip_row_groups_after_the_filters_columns) {
  const char *sql = "SELECT * FROM t WHERE k = 7 AND id + 0 >= 16500 ORDER BY id";
  char *r = same_all(sql, false, 0);
  fl_buf want = FL_BUF_INIT;
  uint32_t n = 0;
  fl_buf_printf(&want, "id,g,s,amt,k,txt\r\n");
  for (int64_t id = 16500; id < N; id++) {
    if (id % 40 != 7) continue;
    n++;
    if (n == 1) fl_buf_printf(&want, "%lld,", (long long)id);
  }
  fl_buf_cstr(&want);
  cr_assert(strncmp(r, (char *)want.data, want.len) == 0, "want %s first in\n%s", (char *)want.data, r);
  uint32_t lines = 0;
  for (const char *p = r; (p = strstr(p, "\r\n")); p += 2) lines++;
  cr_assert_eq(lines, n + 1, "%s", r);
  fl_buf_free(&want);
  fl_free(r);
  for (uint32_t t = 2; t <= 4; t += 2) {
    fl_err err;
    char *ex = run_q("EXPLAIN ANALYZE SELECT * FROM t WHERE k = 7 AND id + 0 >= 16500", t, 0, false, &err);
    cr_assert(ex, "%s", err.msg);
    cr_assert(strstr(ex, "GATHER threads="), "%s", ex);
    char *expect = fl_sprintf(
        "morsels=12 row_groups=12/12 rows_read=18000 deleted=0 filtered=%u (row groups "
        "read in the filter's columns only and skipped: 11)",
        N - n);
    cr_assert(strstr(ex, expect), "want %s in\n%s", expect, ex);
    fl_free(expect);
    fl_free(ex);
  }
}

/* A top-N over the parallel plan's scans bounds them as the 1-thread scan is bounded
 * (exec_part_set_topn_bound): the copies share the tightest bound any full heap gave,
 * and a morsel opened after the first n (every copy or another one has filled its heap
 * with a row group's 1,500 rows by then) skips the row groups below it. The newest file
 * (ids 12,000..17,999, its 4 row groups) is read first; the 8 row groups of the two
 * older files hold no id past 11,999 and are skipped with 2 and 4 threads alike (of the
 * newest file's, 1 to 4 are read, as the copies' heaps fill in one order or another;
 * without the bound all 12 were). */
Test(exec_parallel, a_top_n_bounds_every_copys_scan) {
  char *r = same_all("SELECT id FROM t ORDER BY id DESC LIMIT 3", false, 0);
  cr_assert_str_eq(r, "id\r\n17999\r\n17998\r\n17997\r\n");
  fl_free(r);
  for (uint32_t t = 2; t <= 4; t += 2)
    for (int rep = 0; rep < 5; rep++) {
      fl_err err;
      char *ex = run_q("EXPLAIN ANALYZE SELECT id FROM t ORDER BY id DESC LIMIT 3", t, 0, false, &err);
      cr_assert(ex, "%s", err.msg);
      cr_assert(strstr(ex, "GATHER threads="), "%s", ex);
      const char *rg = strstr(ex, "morsels=12 row_groups=");
      unsigned read = 0, rows = 0;
      cr_assert(rg && sscanf(rg, "morsels=12 row_groups=%u/12 rows_read=%u ", &read, &rows) == 2, "%s", ex);
      cr_assert(read >= 1 && read <= 4 && rows == read * 1500u, "%u threads:\n%s", t, ex);
      fl_free(ex);
    }
}

/* The morsels of a top-N's scans are ordered by their files' bounds of the first key
 * (fl_scan_source_order_for_topn): ORDER BY id ASC reads the oldest file (ids 0..5,999,
 * the smallest lower bound) first although the plan lists the newest first. With 2
 * threads the first one or two row groups (ids 0..2,999) fill the heaps and every later
 * morsel is skipped: at most 2 of 12 row groups read (in plan order the newest file's
 * first row group or two, then each older file's first, were read: 3 or more). */
Test(exec_parallel, a_top_n_reads_the_files_whose_bounds_hold_the_answer_first) {
  char *r = same_all("SELECT id, k FROM t ORDER BY id LIMIT 3", false, 0);
  cr_assert_str_eq(r, "id,k\r\n0,0\r\n1,1\r\n2,2\r\n");
  fl_free(r);
  for (int rep = 0; rep < 5; rep++) {
    fl_err err;
    char *ex = run_q("EXPLAIN ANALYZE SELECT id, k FROM t ORDER BY id LIMIT 3", 2, 0, false, &err);
    cr_assert(ex, "%s", err.msg);
    cr_assert(strstr(ex, "GATHER threads=2"), "%s", ex);
    /* 1 when the second copy opens its first morsel after the first copy's heap is full */
    const char *rg = strstr(ex, "morsels=12 row_groups=");
    unsigned read = 0, rows = 0;
    cr_assert(rg && sscanf(rg, "morsels=12 row_groups=%u/12 rows_read=%u ", &read, &rows) == 2, "%s", ex);
    cr_assert(read >= 1 && read <= 2 && rows == read * 1500u, "%s", ex);
    fl_free(ex);
  }
}

/* A sort (and a join's build) append the scan's batches: a slice starting at row 2,048
 * of a 4,096-row batch once took every string before it into its first row. */
Test(exec_parallel, sort_and_join_build_over_sliced_scan_batches_keep_each_string) {
  for (uint32_t threads = 1; threads <= 2; threads++) {
    fl_err err;
    char *r = run_q("SELECT id, s FROM wide ORDER BY id DESC", threads, 0, false, &err);
    cr_assert(r, "%s", err.msg);
    fl_buf want = {0};
    fl_buf_printf(&want, "id,s\r\n");
    for (int i = 4999; i >= 0; i--) fl_buf_printf(&want, "%d,v%d\r\n", i, i);
    fl_buf_cstr(&want);
    cr_assert_str_eq(r, (char *)want.data);
    fl_free(r);
    fl_buf_free(&want);
    r = run_q(
        "SELECT a.id, b.s FROM wide a JOIN wide b ON a.id = b.id WHERE a.id IN (2047, 2048, 4095, 4096) "
        "ORDER BY 1",
        threads, 0, false, &err);
    cr_assert(r, "%s", err.msg);
    cr_assert_str_eq(r, "id,s\r\n2047,v2047\r\n2048,v2048\r\n4095,v4095\r\n4096,v4096\r\n");
    fl_free(r);
  }
}

/* ---- the operators themselves: GATHER over copies built in worker contexts ---- */

static const fl_field vfields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, false, NULL},
    {2, "s", {FL_T_STRING, 0, 0}, false, NULL},
};

typedef struct vfill {
  uint32_t copy;
  int64_t bad; /* the id whose s is "x" (not a number), or -1 */
} vfill;

/* copy c holds ids c*5000 .. c*5000+4999; s is the id as text */
static void fill_row(fl_batch *b, uint32_t row, void *arg) {
  const vfill *f = arg;
  int64_t id = (int64_t)f->copy * 5000 + row;
  char s[32];
  int n = id == f->bad ? snprintf(s, sizeof s, "x") : snprintf(s, sizeof s, "%lld", (long long)id);
  fl_vec_append_i64(&b->cols[0], id);
  fl_vec_append_str(&b->cols[1], s, (uint32_t)n);
}

static fl_sql_expr *bound(fl_arena *arena, const char *sql, fl_op *op) {
  fl_sql_expr *e;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_expr(sql, strlen(sql), arena, &e, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_sql_expr_bind(e, fl_exec_schema(op), &err), FL_OK, "%s", err.msg);
  return e;
}

Test(exec_gather, partial_aggregates_in_workers_charge_one_budget_spill_and_give_every_byte_back) {
  tctx t;
  tctx_init(&t);
  t.ctx.mem_budget = 48u << 10; /* far below 4 x 3,000 groups */
  enum { NCOPY = 4 };
  fl_op *copies[NCOPY];
  fl_exec_ctx *w[NCOPY];
  vfill fills[NCOPY];
  fl_err err = {0};
  for (uint32_t c = 0; c < NCOPY; c++) {
    w[c] = fl_exec_ctx_worker(&t.ctx);
    cr_assert_eq(w[c]->parent, &t.ctx);
    cr_assert_eq(w[c]->mem_budget, t.ctx.mem_budget);
    fills[c] = (vfill){c, -1};
    fl_op *src = tsource(&t, vfields, 2, 5000, 1000, fill_row, &fills[c]);
    fl_sql_expr *key = bound(&t.arena, "id % 3000", src);
    const char *names[] = {"k"};
    fl_op *p = fl_op_project(w[c], src, (const fl_sql_expr *const *)&key, names, 1, &err);
    cr_assert(p, "%s", err.msg);
    uint32_t keys[] = {0};
    fl_agg_spec spec = {FL_AGG_COUNT_STAR, -1, -1, "n"};
    copies[c] = fl_op_hash_aggregate(w[c], p, keys, 1, &spec, 1, &err);
    cr_assert(copies[c], "%s", err.msg);
  }
  fl_op *g = fl_op_gather(&t.ctx, copies, w, NCOPY, &err);
  cr_assert(g, "%s", err.msg);
  /* each key k < 3000 has ids k, k+3000, ... below 20,000: 7 of them when k < 2000, else 6 */
  uint32_t got[3000] = {0};
  uint64_t rows = 0;
  for (;;) {
    const fl_batch *b;
    cr_assert_eq(fl_op_next(g, &b, &err), FL_OK, "%s", err.msg);
    if (!b) break;
    rows += b->nrows;
    for (uint32_t r = 0; r < b->nrows; r++) got[ti64(b, 0, r)] += (uint32_t)ti64(b, 1, r);
  }
  for (uint32_t k = 0; k < 3000; k++) cr_assert_eq(got[k], k < 2000 ? 7u : 6u, "key %u: %u", k, got[k]);
  cr_assert(rows >= 3000 && rows <= NCOPY * 3000, "%llu partial rows", (unsigned long long)rows);
  fl_buf ex = {0};
  fl_op_explain(g, true, &ex);
  fl_buf_cstr(&ex);
  cr_assert(strstr((char *)ex.data, "GATHER threads=4 [rows="), "%s", (char *)ex.data);
  cr_assert(strstr((char *)ex.data, "spilled="), "the budget is the query's: %s", (char *)ex.data);
  cr_assert(strstr((char *)ex.data, "VALUES 5000 rows [rows=20000 "), "rows summed over copies: %s",
            (char *)ex.data);
  fl_buf_free(&ex);
  cr_assert(t.ctx.mem_peak > 0);
  fl_op_free(g);
  tctx_done(&t); /* asserts mem_used is back to 0 */
}

Test(exec_gather, an_error_in_one_copy_stops_the_gather_and_is_returned_once) {
  for (int rep = 0; rep < 20; rep++) {
    tctx t;
    tctx_init(&t);
    enum { NCOPY = 3 };
    fl_op *copies[NCOPY];
    fl_exec_ctx *w[NCOPY];
    vfill fills[NCOPY];
    fl_err err = {0};
    for (uint32_t c = 0; c < NCOPY; c++) {
      w[c] = fl_exec_ctx_worker(&t.ctx);
      fills[c] = (vfill){c, c == 1 ? 5000 + 4321 : -1};
      fl_op *src = tsource(&t, vfields, 2, 5000, 500, fill_row, &fills[c]);
      fl_sql_expr *e = bound(&t.arena, "CAST(s AS INT) + 1", src);
      const char *names[] = {"v"};
      copies[c] = fl_op_project(w[c], src, (const fl_sql_expr *const *)&e, names, 1, &err);
      cr_assert(copies[c], "%s", err.msg);
    }
    fl_op *g = fl_op_gather(&t.ctx, copies, w, NCOPY, &err);
    cr_assert(g, "%s", err.msg);
    fl_code rc;
    const fl_batch *b;
    uint64_t rows = 0;
    while (!(rc = fl_op_next(g, &b, &err)) && b) rows += b->nrows;
    cr_assert_neq(rc, FL_OK, "no error after %llu rows", (unsigned long long)rows);
    cr_assert(strstr(err.msg, "'x'") || strstr(err.msg, "\"x\""), "%s", err.msg);
    cr_assert(rows < NCOPY * 5000);
    /* once: later calls end without another error */
    fl_err again = {0};
    cr_assert_eq(fl_op_next(g, &b, &again), FL_OK, "%s", again.msg);
    cr_assert_null(b);
    fl_op_free(g);
    tctx_done(&t);
  }
}
