/* Tests of the table commit metrics: every commit attempt counted per table and
 * result (ok; conflict, a lost compare-and-swap that is retried), successful ones
 * timed, on both commit paths (one table, several tables at once). Criterion runs
 * each test in its own process, so the registry starts empty. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/metrics.h"
#include "table/table.h"

static fl_field fields[] = {{1, "id", {FL_T_BIGINT, 0, 0}, true}};
static const fl_schema schema = {0, 1, fields, 0, NULL};

static fl_warehouse *open_wh(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/commit-metrics-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  fl_warehouse *wh;
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_free(dir);
  return wh;
}

static fl_batch *ids(int64_t from, uint32_t n) {
  fl_batch *b = fl_batch_new(fields, 1, n);
  for (uint32_t i = 0; i < n; i++) fl_vec_append_i64(&b->cols[0], from + i);
  fl_batch_set_rows(b, n);
  return b;
}

static fl_appender *writer(fl_table *tbl, int64_t from, uint32_t n) {
  fl_appender *app;
  fl_err err = {0};
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  fl_batch *b = ids(from, n);
  cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
  fl_batch_free(b);
  return app;
}

static char *render(void) {
  fl_buf out = FL_BUF_INIT;
  fl_metrics_render(&out);
  fl_buf_cstr(&out);
  return (char *)out.data;
}

Test(commit_metrics, commits_and_conflicts_are_counted_per_table_and_timed) {
  fl_warehouse *wh = open_wh();
  fl_err err = {0};
  fl_table *t1, *t2;
  fl_table_create_opts opts = {0};
  cr_assert_eq(fl_table_create(wh, "bronze", "orders", &schema, &opts, &t1, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_load(wh, "bronze", "orders", &t2, &err), FL_OK, "%s", err.msg);
  fl_appender *a1 = writer(t1, 0, 10), *a2 = writer(t2, 10, 10);
  cr_assert_eq(fl_appender_commit(a1, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(a2, NULL, 0, NULL, &err), FL_OK, "%s", err.msg); /* on a stale base */
  fl_appender_free(a1);
  fl_appender_free(a2);
  char *text = render();
  cr_assert_not_null(strstr(text, "floe_iceberg_commits_total{table=\"bronze.orders\",result=\"ok\"} 2\n"),
                     "%s", text);
  cr_assert_not_null(
      strstr(text, "floe_iceberg_commits_total{table=\"bronze.orders\",result=\"conflict\"} 1\n"));
  cr_assert_not_null(strstr(text, "floe_iceberg_commit_duration_seconds_count{table=\"bronze.orders\"} 2\n"));
  cr_assert_not_null(
      strstr(text, "floe_iceberg_commit_duration_seconds_bucket{table=\"bronze.orders\",le=\"+Inf\"} 2\n"));
  const char *ts = strstr(text, "floe_iceberg_last_commit_timestamp_seconds{table=\"bronze.orders\"} ");
  cr_assert_not_null(ts);
  double when = strtod(strchr(ts, '}') + 2, NULL);
  cr_assert_gt(when, 1.7e9);
  fl_free(text);
  fl_table_free(t1);
  fl_table_free(t2);
  fl_warehouse_close(wh);
}

Test(commit_metrics, a_multi_table_commit_counts_each_table) {
  fl_warehouse *wh = open_wh();
  fl_err err = {0};
  fl_table *t[2];
  fl_table_create_opts opts = {0};
  cr_assert_eq(fl_table_create(wh, "bronze", "a", &schema, &opts, &t[0], &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_create(wh, "silver", "b", &schema, &opts, &t[1], &err), FL_OK, "%s", err.msg);
  for (int round = 0; round < 3; round++) {
    fl_appender *apps[2] = {writer(t[0], round * 10, 10), writer(t[1], round * 10, 5)};
    cr_assert_eq(fl_appender_commit_many(apps, 2, NULL, 0, &err), FL_OK, "%s", err.msg);
    fl_appender_free(apps[0]);
    fl_appender_free(apps[1]);
  }
  char *text = render();
  cr_assert_not_null(strstr(text, "floe_iceberg_commits_total{table=\"bronze.a\",result=\"ok\"} 3\n"), "%s",
                     text);
  cr_assert_not_null(strstr(text, "floe_iceberg_commits_total{table=\"silver.b\",result=\"ok\"} 3\n"));
  cr_assert_null(strstr(text, "result=\"conflict\""));
  cr_assert_eq(fl_metrics_total("floe_iceberg_commit_duration_seconds"), 6);
  fl_free(text);
  fl_table_free(t[0]);
  fl_table_free(t[1]);
  fl_warehouse_close(wh);
}

Test(commit_metrics, a_checkpoint_transaction_counts_each_table_it_commits_not_the_ones_it_skips) {
  fl_warehouse *wh = open_wh();
  fl_err err = {0};
  fl_table *t[2];
  fl_table_create_opts opts = {0};
  cr_assert_eq(fl_table_create(wh, "bronze", "a", &schema, &opts, &t[0], &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_table_create(wh, "silver", "b", &schema, &opts, &t[1], &err), FL_OK, "%s", err.msg);
  /* checkpoint 7 commits both tables; run again (recovery), it skips both */
  for (int run = 0; run < 2; run++) {
    fl_txn *txn;
    cr_assert_eq(fl_txn_begin(wh, 7, &txn, &err), FL_OK, "%s", err.msg);
    for (int i = 0; i < 2; i++) {
      fl_appender *app;
      cr_assert_eq(fl_txn_append(txn, t[i], &app, &err), FL_OK, "%s", err.msg);
      fl_batch *b = ids(i * 100, 4);
      cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
      fl_batch_free(b);
    }
    fl_txn_result res;
    cr_assert_eq(fl_txn_commit(txn, &res, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(res.tables_committed, run == 0 ? 2u : 0u);
    cr_assert_eq(res.tables_skipped, run == 0 ? 0u : 2u);
    fl_txn_free(txn);
  }
  char *text = render();
  cr_assert_not_null(strstr(text, "floe_iceberg_commits_total{table=\"bronze.a\",result=\"ok\"} 1\n"), "%s",
                     text);
  cr_assert_not_null(strstr(text, "floe_iceberg_commits_total{table=\"silver.b\",result=\"ok\"} 1\n"), "%s",
                     text);
  cr_assert_eq(fl_metrics_total("floe_iceberg_commit_duration_seconds"), 2);
  fl_free(text);
  fl_table_free(t[0]);
  fl_table_free(t[1]);
  fl_warehouse_close(wh);
}
