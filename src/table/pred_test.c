/* Tests of the scan's predicate IR (pred.c): exactly which files a predicate prunes by
 * partition values (identity and day transforms, nulls, OR, NOT, IN, LIKE prefix) and by
 * column bounds, which row groups it prunes by statistics, and that the rows a scan then
 * returns are never fewer than those matching. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/limits.h"
#include "table/table.h"

static fl_warehouse *open_wh(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/pred-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  fl_err err = {0};
  fl_warehouse *wh;
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_free(dir);
  return wh;
}

static void commit(fl_table *tbl, fl_batch *b) {
  fl_err err = {0};
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);
}

/* ---- partition and bounds pruning */

static fl_field pfields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "tenant", {FL_T_STRING, 0, 0}, false},
    {3, "ts", {FL_T_TIMESTAMP, 0, 0}, true},
};
static const fl_schema pschema = {.fields = pfields, .nfields = 3};

#define DAY_US (86400LL * 1000000)
#define D0 (20000 * DAY_US) /* 2024-10-04 */

/* 7 files, one per (tenant, day): tenants a, b, c on days D0 and D0+1, and NULL on D0.
 * File f (in that order) holds ids [f*100, f*100 + 100). */
static fl_table *partitioned(fl_warehouse *wh) {
  fl_partition_def parts[] = {{"tenant", "identity"}, {"ts", "day"}};
  fl_table_create_opts opts = {.partition = parts, .npartition = 2};
  fl_table *tbl;
  fl_err err = {0};
  cr_assert_eq(fl_table_create(wh, "bronze", "p", &pschema, &opts, &tbl, &err), FL_OK, "%s", err.msg);
  const char *tenants[] = {"a", "a", "b", "b", "c", "c", NULL};
  const int days[] = {0, 1, 0, 1, 0, 1, 0};
  fl_batch *b = fl_batch_new(pfields, 3, 100);
  for (int f = 0; f < 7; f++) {
    fl_batch_reset(b);
    for (int i = 0; i < 100; i++) {
      fl_vec_append_i64(&b->cols[0], f * 100 + i);
      if (tenants[f])
        fl_vec_append_str(&b->cols[1], tenants[f], 1);
      else
        fl_vec_append_null(&b->cols[1]);
      fl_vec_append_i64(&b->cols[2], D0 + days[f] * DAY_US + i * 1000000LL);
    }
    fl_batch_set_rows(b, 100);
    commit(tbl, b);
  }
  fl_batch_free(b);
  return tbl;
}

static fl_value str(const char *s) {
  return (fl_value){.type = {FL_T_STRING, 0, 0}, .u.str = {s, (uint32_t)strlen(s)}};
}
static fl_value i64(int64_t v) { return (fl_value){.type = {FL_T_BIGINT, 0, 0}, .u.i64 = v}; }
static fl_value ts(int64_t v) { return (fl_value){.type = {FL_T_TIMESTAMP, 0, 0}, .u.i64 = v}; }

static fl_tpred leaf(fl_tpred_kind kind, const char *col, fl_pred_op op, const fl_value *vals, uint32_t n) {
  return (fl_tpred){.kind = kind, .column = col, .op = op, .values = vals, .nvalues = n};
}

static fl_tpred node(fl_tpred_kind kind, const fl_tpred **args, uint32_t n) {
  return (fl_tpred){.kind = kind, .args = args, .nargs = n};
}

/* Plans with where; checks files planned, pruned by partition and by bounds, and that a
 * run returns `rows` rows (the IR prunes, it does not filter). */
static void expect(fl_table *tbl, const fl_tpred *where, uint32_t planned, uint32_t by_partition,
                   uint32_t by_bounds, const char *what) {
  fl_scan_opts opts = {.where = where};
  fl_scan *scan;
  fl_err err = {0};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &scan, &err), FL_OK, "%s: %s", what, err.msg);
  const fl_scan_stats *st = fl_scan_get_stats(scan);
  cr_assert_eq(st->files_total, 7, "%s", what);
  cr_assert_eq(st->files_planned, planned, "%s: planned %u", what, st->files_planned);
  cr_assert_eq(st->files_pruned_partition, by_partition, "%s: by partition %u", what,
               st->files_pruned_partition);
  cr_assert_eq(st->files_pruned_bounds, by_bounds, "%s: by bounds %u", what, st->files_pruned_bounds);
  fl_scan_free(scan);
}

Test(pred, files_pruned_by_partition_values_and_bounds) {
  fl_warehouse *wh = open_wh();
  fl_table *tbl = partitioned(wh);
  fl_value a = str("a"), b = str("b"), c = str("c");
  fl_value ab[] = {str("a"), str("b")};

  fl_tpred t_eq_a = leaf(FL_TP_CMP, "tenant", FL_PRED_EQ, &a, 1);
  expect(tbl, &t_eq_a, 2, 5, 0, "tenant = 'a'");
  fl_tpred t_in = leaf(FL_TP_IN, "tenant", 0, ab, 2);
  expect(tbl, &t_in, 4, 3, 0, "tenant IN ('a', 'b')");
  const fl_tpred *not_args[] = {&t_eq_a};
  fl_tpred not_a = node(FL_TP_NOT, not_args, 1); /* tenant <> 'a': not the NULL tenant either */
  expect(tbl, &not_a, 4, 3, 0, "NOT tenant = 'a'");
  fl_tpred is_null = leaf(FL_TP_IS_NULL, "tenant", 0, NULL, 0);
  expect(tbl, &is_null, 1, 6, 0, "tenant IS NULL");
  const fl_tpred *nn_args[] = {&is_null};
  fl_tpred not_null = node(FL_TP_NOT, nn_args, 1);
  expect(tbl, &not_null, 6, 1, 0, "tenant IS NOT NULL");
  fl_tpred starts_b = leaf(FL_TP_STARTS_WITH, "tenant", 0, &b, 1);
  expect(tbl, &starts_b, 2, 5, 0, "tenant LIKE 'b%'");
  fl_tpred t_gt_b = leaf(FL_TP_CMP, "tenant", FL_PRED_GT, &b, 1);
  expect(tbl, &t_gt_b, 2, 5, 0, "tenant > 'b'");
  fl_tpred t_ne_c = leaf(FL_TP_CMP, "tenant", FL_PRED_NE, &c, 1);
  expect(tbl, &t_ne_c, 4, 3, 0, "tenant <> 'c'");

  /* day(ts): ts <= the last microsecond of day 0 is day <= day 0 */
  fl_value d0_end = ts(D0 + DAY_US - 1);
  fl_tpred le_d0 = leaf(FL_TP_CMP, "ts", FL_PRED_LE, &d0_end, 1);
  expect(tbl, &le_d0, 4, 3, 0, "ts <= day 0's end");
  /* ts < day 1's start: through the transform < widens to <= (day <= day 1 keeps day 1's
     files), and the bounds of ts (day 1 + 0..99 s) drop them */
  fl_value d1 = ts(D0 + DAY_US);
  fl_tpred before_d1 = leaf(FL_TP_CMP, "ts", FL_PRED_LT, &d1, 1);
  expect(tbl, &before_d1, 4, 0, 3, "ts < day 1");
  const fl_tpred *or_args[] = {&t_eq_a, &le_d0};
  fl_tpred or = node(FL_TP_OR, or_args, 2); /* a's 2 files, and day 0 of b, c, NULL */
  expect(tbl, & or, 5, 2, 0, "tenant = 'a' OR ts <= day 0's end");
  const fl_tpred *and_args[] = {&t_eq_a, &le_d0};
  fl_tpred and = node(FL_TP_AND, and_args, 2);
  expect(tbl, &and, 1, 6, 0, "tenant = 'a' AND ts <= day 0's end");
  const fl_tpred *or2_args[] = {&t_eq_a, &before_d1};
  fl_tpred or2 = node(FL_TP_OR, or2_args, 2); /* b and c of day 1 by bounds */
  expect(tbl, &or2, 5, 0, 2, "tenant = 'a' OR ts < day 1");

  /* bounds: id of file f in [f*100, f*100+99] */
  fl_value v250 = i64(250), v420 = i64(420);
  fl_tpred id_eq = leaf(FL_TP_CMP, "id", FL_PRED_EQ, &v250, 1);
  expect(tbl, &id_eq, 1, 0, 6, "id = 250");
  fl_value ids[] = {i64(5), i64(650), i64(9999)};
  fl_tpred id_in = leaf(FL_TP_IN, "id", 0, ids, 3);
  expect(tbl, &id_in, 2, 0, 5, "id IN (5, 650, 9999)");
  const fl_tpred *nin_args[] = {&id_in};
  fl_tpred id_not_in = node(FL_TP_NOT, nin_args, 1);
  expect(tbl, &id_not_in, 7, 0, 0, "id NOT IN (...)");
  fl_tpred id_ge = leaf(FL_TP_CMP, "id", FL_PRED_GE, &v420, 1);
  const fl_tpred *mix_args[] = {&id_ge, &t_eq_a};
  fl_tpred mix = node(FL_TP_AND, mix_args, 2); /* tenant a is files 0, 1: ids < 200 */
  expect(tbl, &mix, 0, 5, 2, "id >= 420 AND tenant = 'a'");
  const fl_tpred *mix_or_args[] = {&id_ge, &t_eq_a};
  fl_tpred mix_or = node(FL_TP_OR, mix_or_args, 2); /* files 0, 1 (a) and 4, 5, 6 (ids >= 420) */
  expect(tbl, &mix_or, 5, 0, 2, "id >= 420 OR tenant = 'a'");
  fl_value null = {.type = {FL_T_BIGINT, 0, 0}, .is_null = true};
  fl_tpred id_null = leaf(FL_TP_CMP, "id", FL_PRED_EQ, &null, 1);
  expect(tbl, &id_null, 0, 7, 0, "id = NULL");

  fl_value bad = str("x");
  fl_tpred wrong = leaf(FL_TP_CMP, "id", FL_PRED_EQ, &bad, 1);
  fl_scan_opts opts = {.where = &wrong};
  fl_scan *scan;
  fl_err err = {0};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &scan, &err), FL_ETYPE);
  cr_assert(strstr(err.msg, "cannot compare column id (long) with a string"), "%s", err.msg);
  fl_tpred nocol = leaf(FL_TP_CMP, "nope", FL_PRED_EQ, &v250, 1);
  opts.where = &nocol;
  cr_assert_eq(fl_scan_plan(tbl, &opts, &scan, &err), FL_ENOENT);
  cr_assert(strstr(err.msg, "no column nope"), "%s", err.msg);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* ---- row groups */

static fl_field rfields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "key", {FL_T_STRING, 0, 0}, false},
};
static const fl_schema rschema = {.fields = rfields, .nfields = 2};

static uint64_t count_rows(void *ctx, const fl_batch *b) {
  (void)ctx;
  return b->nrows;
}

static int add_rows(void *ctx, const fl_batch *b, const char *file, const uint64_t *pos) {
  (void)file;
  (void)pos;
  *(uint64_t *)ctx += count_rows(NULL, b);
  return 0;
}

static void expect_rg(fl_table *tbl, const fl_tpred *where, uint64_t pruned, uint64_t rows,
                      const char *what) {
  fl_scan_opts opts = {.where = where};
  fl_scan *scan;
  fl_err err = {0};
  cr_assert_eq(fl_scan_plan(tbl, &opts, &scan, &err), FL_OK, "%s: %s", what, err.msg);
  uint64_t n = 0;
  cr_assert_eq(fl_scan_run(scan, add_rows, &n, &err), FL_OK, "%s: %s", what, err.msg);
  const fl_scan_stats *st = fl_scan_get_stats(scan);
  cr_assert_eq(st->row_groups_total, 4, "%s", what);
  cr_assert_eq(st->row_groups_pruned, pruned, "%s: pruned %llu", what,
               (unsigned long long)st->row_groups_pruned);
  cr_assert_eq(n, rows, "%s: %llu rows", what, (unsigned long long)n);
  fl_scan_free(scan);
}

Test(pred, row_groups_pruned_by_statistics) {
  fl_warehouse *wh = open_wh();
  fl_kv props[] = {{"write.parquet.row-group-size-bytes", "1"}};
  fl_table_create_opts copts = {.props = props, .nprops = 1};
  fl_table *tbl;
  fl_err err = {0};
  cr_assert_eq(fl_table_create(wh, "bronze", "r", &rschema, &copts, &tbl, &err), FL_OK, "%s", err.msg);
  /* one file, 4 row groups of 1000: ids g*1000.., keys "k%05d" */
  fl_appender *app;
  cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
  fl_batch *b = fl_batch_new(rfields, 2, 1000);
  for (int g = 0; g < 4; g++) {
    fl_batch_reset(b);
    for (int i = 0; i < 1000; i++) {
      char k[16];
      snprintf(k, sizeof k, "k%05d", g * 1000 + i);
      fl_vec_append_i64(&b->cols[0], g * 1000 + i);
      fl_vec_append_str(&b->cols[1], k, 6);
    }
    fl_batch_set_rows(b, 1000);
    cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
  }
  fl_batch_free(b);
  cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
  fl_appender_free(app);

  fl_value ids[] = {i64(5), i64(3500)};
  fl_tpred in = leaf(FL_TP_IN, "id", 0, ids, 2);
  expect_rg(tbl, &in, 2, 2000, "id IN (5, 3500)");
  fl_value v1000 = i64(1000), v3000 = i64(3000);
  fl_tpred lt1000 = leaf(FL_TP_CMP, "id", FL_PRED_LT, &v1000, 1);
  const fl_tpred *not_args[] = {&lt1000};
  fl_tpred ge1000 = node(FL_TP_NOT, not_args, 1);
  fl_tpred lt3000 = leaf(FL_TP_CMP, "id", FL_PRED_LT, &v3000, 1);
  const fl_tpred *and_args[] = {&ge1000, &lt3000};
  fl_tpred mid = node(FL_TP_AND, and_args, 2);
  expect_rg(tbl, &mid, 2, 2000, "NOT id < 1000 AND id < 3000");
  fl_value k02 = str("k02");
  fl_tpred starts = leaf(FL_TP_STARTS_WITH, "key", 0, &k02, 1);
  expect_rg(tbl, &starts, 3, 1000, "key LIKE 'k02%'");
  const fl_tpred *ns_args[] = {&starts};
  fl_tpred not_starts = node(FL_TP_NOT, ns_args, 1); /* no row group is all 'k02...' of length 3 */
  expect_rg(tbl, &not_starts, 0, 4000, "key NOT LIKE 'k02%'");
  fl_tpred t = {.kind = FL_TP_TRUE};
  expect_rg(tbl, &t, 0, 4000, "TRUE");
  const fl_tpred *f_args[] = {&t};
  fl_tpred f = node(FL_TP_NOT, f_args, 1);
  fl_scan_opts opts = {.where = &f};
  fl_scan *scan;
  cr_assert_eq(fl_scan_plan(tbl, &opts, &scan, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_scan_get_stats(scan)->files_planned, 0, "NOT TRUE plans nothing");
  fl_scan_free(scan);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}
