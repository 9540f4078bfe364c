/* Tests of the table scan operator (exec_scan.c): batches of at most FL_EXEC_BATCH_ROWS
 * carrying every live row exactly once, the pushed filter applied and lowered into
 * table/'s IR so that files are pruned (EXPLAIN says how many), projection, and the
 * lowering's polarity rules (what may and may not be dropped under NOT and OR). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sql/exec.h"
#include "sql/sql.h"
#include "table/table.h"

static fl_field fields[] = {
    {1, "id", {FL_T_BIGINT, 0, 0}, true},
    {2, "name", {FL_T_STRING, 0, 0}, false},
    {3, "qty", {FL_T_INT, 0, 0}, false},
};
static const fl_schema schema = {.fields = fields, .nfields = 3};

enum { FILE_ROWS = 5000, NFILES = 3 };

/* Three files (one commit each) of ids [k*5000, (k+1)*5000); name "n<id>"; qty id % 7,
 * NULL when id % 10 == 0. */
static fl_table *make_table(fl_warehouse **whp) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/exec-scan-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  fl_err err = {0};
  cr_assert_eq(fl_warehouse_open(dir, whp, &err), FL_OK, "%s", err.msg);
  fl_free(dir);
  fl_table *tbl;
  cr_assert_eq(fl_table_create(*whp, "bronze", "s", &schema, NULL, &tbl, &err), FL_OK, "%s", err.msg);
  fl_batch *b = fl_batch_new(fields, 3, FILE_ROWS);
  for (int k = 0; k < NFILES; k++) {
    fl_batch_reset(b);
    for (int i = 0; i < FILE_ROWS; i++) {
      int64_t id = (int64_t)k * FILE_ROWS + i;
      char name[32];
      int n = snprintf(name, sizeof name, "n%lld", (long long)id);
      fl_vec_append_i64(&b->cols[0], id);
      fl_vec_append_str(&b->cols[1], name, (uint32_t)n);
      if (id % 10 == 0)
        fl_vec_append_null(&b->cols[2]);
      else
        fl_vec_append_i32(&b->cols[2], (int32_t)(id % 7));
    }
    fl_batch_set_rows(b, FILE_ROWS);
    fl_appender *app;
    cr_assert_eq(fl_appender_begin(tbl, &app, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(fl_appender_write(app, b, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(fl_appender_commit(app, NULL, 0, NULL, &err), FL_OK, "%s", err.msg);
    fl_appender_free(app);
  }
  fl_batch_free(b);
  return tbl;
}

static fl_sql_expr *parse(fl_arena *arena, const char *sql, const fl_schema *s) {
  fl_sql_expr *e;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_expr(sql, strlen(sql), arena, &e, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_sql_expr_bind(e, s, &err), FL_OK, "%s", err.msg);
  return e;
}

/* Pulls every batch: checks the size bound and returns the ids seen (count per id). */
static uint64_t drain(fl_op *op, uint8_t *hit, uint32_t id_col) {
  fl_err err = {0};
  uint64_t rows = 0;
  for (;;) {
    const fl_batch *b;
    cr_assert_eq(fl_op_next(op, &b, &err), FL_OK, "%s", err.msg);
    if (!b) break;
    cr_assert(b->nrows > 0 && b->nrows <= FL_EXEC_BATCH_ROWS, "a batch of %u rows", b->nrows);
    for (uint32_t r = 0; r < b->nrows; r++) {
      int64_t id = b->cols[id_col].data.i64[r];
      cr_assert(id >= 0 && id < FILE_ROWS * NFILES);
      hit[id]++;
      if (b->ncols == 3) { /* every column of the row is its own */
        uint32_t n;
        const char *p = fl_vec_str(&b->cols[1], r, &n);
        char want[32];
        int wn = snprintf(want, sizeof want, "n%lld", (long long)id);
        cr_assert(n == (uint32_t)wn && !memcmp(p, want, n), "id %lld: name %.*s", (long long)id, (int)n, p);
        cr_assert_eq(fl_vec_is_valid(&b->cols[2], r), id % 10 != 0, "id %lld", (long long)id);
        if (id % 10) cr_assert_eq(b->cols[2].data.i32[r], id % 7, "id %lld", (long long)id);
      }
    }
    rows += b->nrows;
  }
  return rows;
}

Test(exec_scan, every_row_once_in_batches_of_at_most_2048) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_exec_ctx ctx = {.arena = &arena};
  fl_err err = {0};
  fl_op *op = fl_op_table_scan(&ctx, tbl, NULL, NULL, &err);
  cr_assert(op, "%s", err.msg);
  cr_assert_eq(op->ncols, 3);
  cr_assert_str_eq(op->fields[1].name, "name");
  uint8_t *hit = calloc(FILE_ROWS * NFILES, 1);
  cr_assert_eq(drain(op, hit, 0), FILE_ROWS * NFILES);
  for (int i = 0; i < FILE_ROWS * NFILES; i++) cr_assert_eq(hit[i], 1, "id %d", i);
  /* 5000 rows a file read as 4096 + 904, the 4096 sliced in two: 3 batches a file */
  cr_assert_eq(op->stats.batches_out, 3 * NFILES, "%llu batches", (unsigned long long)op->stats.batches_out);
  fl_buf out = FL_BUF_INIT;
  fl_op_explain(op, false, &out);
  fl_buf_cstr(&out);
  cr_assert_str_eq((char *)out.data,
                   "TABLE_SCAN bronze.s files=3/3 (pruned: 0 by partition, 0 by bounds; manifests 3/3)\n");
  fl_buf_free(&out);
  free(hit);
  fl_op_free(op);
  fl_arena_destroy(&arena);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(exec_scan, the_filter_keeps_its_rows_and_prunes_files_by_bounds) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_exec_ctx ctx = {.arena = &arena};
  fl_err err = {0};
  const char *cols[] = {"qty", "id"};
  fl_scan_opts opts = {.columns = cols, .ncolumns = 2};
  fl_schema proj = {.fields = (fl_field[]){fields[2], fields[0]}, .nfields = 2};
  fl_sql_expr *e = parse(&arena, "id >= 12000 AND NOT (qty IS NULL) AND qty IN (1, 2)", &proj);
  fl_op *op = fl_op_table_scan(&ctx, tbl, &opts, e, &err);
  cr_assert(op, "%s", err.msg);
  cr_assert_eq(op->ncols, 2);
  uint8_t *hit = calloc(FILE_ROWS * NFILES, 1);
  uint64_t rows = drain(op, hit, 1);
  uint64_t want = 0;
  for (int id = 0; id < FILE_ROWS * NFILES; id++) {
    bool keep = id >= 12000 && id % 10 != 0 && (id % 7 == 1 || id % 7 == 2);
    want += keep;
    cr_assert_eq(hit[id], keep, "id %d", id);
  }
  cr_assert_eq(rows, want);
  fl_buf out = FL_BUF_INIT;
  fl_op_explain(op, true, &out);
  fl_buf_cstr(&out);
  cr_assert(strstr((char *)out.data, " files=1/3 (pruned: 0 by partition, 2 by bounds; manifests 3/3)"), "%s",
            (char *)out.data);
  cr_assert(strstr((char *)out.data, "prune=(id >= 12000 AND NOT qty IS NULL AND qty IN (1, 2))"), "%s",
            (char *)out.data);
  cr_assert(strstr((char *)out.data, "rows_read=5000 deleted=0"), "%s", (char *)out.data);
  fl_buf_free(&out);
  free(hit);
  fl_op_free(op);
  fl_arena_destroy(&arena);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* What lowering gives, as text ("" when nothing prunes). */
static void lowered(const char *sql, const char *want) {
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_sql_expr *e = parse(&arena, sql, &schema);
  const fl_tpred *p = fl_sql_lower_pred(e, &schema, &arena);
  fl_buf out = FL_BUF_INIT;
  if (p) fl_tpred_format(p, &out);
  fl_buf_cstr(&out);
  cr_assert_str_eq((char *)out.data, want, "%s", sql);
  fl_buf_free(&out);
  fl_arena_destroy(&arena);
}

Test(exec_scan, lowering_keeps_only_what_the_filter_implies) {
  lowered("id = 5", "id = 5");
  lowered("5 < id", "id > 5");
  lowered("qty = 3", "qty = 3");                        /* BIGINT literal, INT column: exact */
  lowered("qty < 3.5", "");                             /* not exact in INT: unknown */
  lowered("id > 1 AND qty + 1 > 2", "id > 1");          /* AND drops the unknown part */
  lowered("id > 1 OR qty + 1 > 2", "");                 /* OR cannot */
  lowered("NOT (id > 1 OR qty + 1 > 2)", "NOT id > 1"); /* NOT OR = AND of NOTs */
  lowered("NOT (id > 1 AND qty + 1 > 2)", "");          /* NOT AND = OR of NOTs */
  lowered("id BETWEEN 3 AND 9", "(id >= 3 AND id <= 9)");
  lowered("id NOT BETWEEN 3 AND 9", "NOT (id >= 3 AND id <= 9)");
  lowered("name LIKE 'n12%'", "name LIKE 'n12%'");
  lowered("name LIKE 'n1%2'", "name LIKE 'n1%'"); /* a match starts with n1 */
  lowered("name NOT LIKE 'n1%2'", "");            /* a non-match may too */
  lowered("name NOT LIKE 'n1%'", "NOT name LIKE 'n1%'");
  lowered("name LIKE 'abc'", "name = 'abc'");
  lowered("name ILIKE 'abc%'", "");
  lowered("qty IS NOT NULL", "NOT qty IS NULL");
  lowered("id = NULL", "FALSE");
  lowered("id NOT IN (1, 2)", "NOT id IN (1, 2)");
}

static fl_batch *collect(fl_op *op) {
  fl_err err = {0};
  fl_batch *all;
  cr_assert_eq(fl_op_collect(op, &all, &err), FL_OK, "%s", err.msg);
  return all;
}

static const char *cell_str(const fl_batch *b, uint32_t col, uint32_t row, char *buf, size_t size) {
  uint32_t n;
  const char *p = fl_vec_str(&b->cols[col], row, &n);
  snprintf(buf, size, "%.*s", (int)n, p);
  return buf;
}

Test(exec_scan, metadata_tables_snapshots_history_and_files) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_exec_ctx ctx = {.arena = &arena};
  fl_err err = {0};
  uint32_t nsnap;
  const fl_snapshot *snaps = fl_table_snapshots(tbl, &nsnap);
  cr_assert_eq(nsnap, 3);
  char buf[512];

  fl_table_meta_kind kind;
  cr_assert(fl_table_meta_kind_parse("snapshots", &kind));
  fl_op *op = fl_op_table_meta(&ctx, tbl, kind, 0, &err);
  cr_assert(op, "%s", err.msg);
  cr_assert_str_eq(op->fields[0].name, "committed_at");
  cr_assert_str_eq(op->fields[2].name, "parent_id");
  fl_batch *b = collect(op);
  cr_assert_eq(b->nrows, 3);
  for (uint32_t i = 0; i < 3; i++) {
    cr_assert_eq(b->cols[0].data.i64[i], snaps[i].timestamp_ms * 1000);
    cr_assert_eq(b->cols[1].data.i64[i], snaps[i].snapshot_id);
    cr_assert_eq(fl_vec_is_valid(&b->cols[2], i), i > 0);
    if (i) cr_assert_eq(b->cols[2].data.i64[i], snaps[i - 1].snapshot_id);
    cr_assert_str_eq(cell_str(b, 3, i, buf, sizeof buf), "append");
    cell_str(b, 5, i, buf, sizeof buf);
    cr_assert(!strncmp(buf, "{\"operation\":\"append\",", 22), "%s", buf);
    cr_assert(strstr(buf, "\"added-records\":\"5000\""), "%s", buf);
  }
  fl_batch_free(b);
  fl_op_free(op);

  cr_assert(fl_table_meta_kind_parse("history", &kind));
  op = fl_op_table_meta(&ctx, tbl, kind, 0, &err);
  cr_assert(op, "%s", err.msg);
  b = collect(op);
  cr_assert_eq(b->nrows, 3);
  cr_assert_str_eq(op->fields[3].name, "is_current_ancestor");
  for (uint32_t i = 0; i < 3; i++) {
    cr_assert_eq(b->cols[1].data.i64[i], snaps[i].snapshot_id);
    cr_assert(b->cols[3].data.b[i]);
  }
  fl_batch_free(b);
  fl_op_free(op);

  cr_assert(fl_table_meta_kind_parse("files", &kind));
  op = fl_op_table_meta(&ctx, tbl, kind, 0, &err);
  cr_assert(op, "%s", err.msg);
  b = collect(op);
  cr_assert_eq(b->nrows, 3);
  for (uint32_t i = 0; i < 3; i++) {
    cr_assert_eq(b->cols[0].data.i32[i], 0);
    cr_assert(strstr(cell_str(b, 1, i, buf, sizeof buf), ".parquet"), "%s", buf);
    cr_assert_str_eq(cell_str(b, 2, i, buf, sizeof buf), "PARQUET");
    cr_assert(!fl_vec_is_valid(&b->cols[4], i), "unpartitioned");
    cr_assert_eq(b->cols[5].data.i64[i], FILE_ROWS);
    cr_assert_gt(b->cols[6].data.i64[i], 1000);
  }
  fl_batch_free(b);
  fl_op_free(op);
  /* time travel: the first snapshot had one file */
  op = fl_op_table_meta(&ctx, tbl, kind, snaps[0].snapshot_id, &err);
  cr_assert(op, "%s", err.msg);
  b = collect(op);
  cr_assert_eq(b->nrows, 1);
  fl_batch_free(b);
  fl_buf out = FL_BUF_INIT;
  fl_op_explain(op, false, &out);
  fl_buf_cstr(&out);
  cr_assert_str_eq((char *)out.data, "METADATA_SCAN bronze.s$files 1 rows\n");
  fl_buf_free(&out);
  fl_op_free(op);
  cr_assert_null(fl_op_table_meta(&ctx, tbl, kind, 12345, &err));
  cr_assert(strstr(err.msg, "no snapshot 12345"), "%s", err.msg);
  cr_assert(!fl_table_meta_kind_parse("partitions", &kind));
  fl_arena_destroy(&arena);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* The scan's batches past the first FL_EXEC_BATCH_ROWS rows of a file are slices whose
 * string offsets do not start at 0; the operators that buffer their input (the join's
 * build side, sort, window: exec_batch_append) must copy only the slice's bytes. Before
 * the fix the first row of every such slice came out as every string before it in the
 * file plus its own (a join to ref.products gave product 2048 a category of 12,805
 * bytes). Sorted by id descending, every name must still be its own. */
Test(exec_scan, buffering_operators_keep_the_strings_of_sliced_batches) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_exec_ctx ctx = {.arena = &arena};
  fl_err err = {0};
  fl_op *scan = fl_op_table_scan(&ctx, tbl, NULL, NULL, &err);
  cr_assert(scan, "%s", err.msg);
  fl_sort_key key = {.col = 0, .desc = true};
  fl_op *op = fl_op_sort(&ctx, scan, &key, 1, UINT64_MAX, &err);
  cr_assert(op, "%s", err.msg);
  uint8_t *hit = calloc(FILE_ROWS * NFILES, 1);
  cr_assert_eq(drain(op, hit, 0), FILE_ROWS * NFILES); /* drain checks each row's name */
  for (int i = 0; i < FILE_ROWS * NFILES; i++) cr_assert_eq(hit[i], 1, "id %d", i);
  free(hit);
  fl_op_free(op);
  fl_arena_destroy(&arena);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* Late materialisation: the filter reads id and qty of the three columns, and no bound
 * can prune (id + 0 is not lowered, every file holds qty 3): each row group is first
 * decoded in id and qty alone; files 0 and 1 have no row past 10000 and are skipped
 * without decoding name, file 2 is read whole and every kept row has its own name. */
Test(exec_scan, a_row_group_the_filter_keeps_nothing_of_is_skipped_after_its_filter_columns) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_exec_ctx ctx = {.arena = &arena};
  fl_err err = {0};
  fl_sql_expr *e = parse(&arena, "id + 0 >= 10000 AND qty = 3", &schema);
  fl_op *op = fl_op_table_scan(&ctx, tbl, NULL, e, &err);
  cr_assert(op, "%s", err.msg);
  uint8_t *hit = calloc(FILE_ROWS * NFILES, 1);
  uint64_t rows = drain(op, hit, 0); /* checks name and qty of every row */
  uint64_t want = 0;
  for (int id = 0; id < FILE_ROWS * NFILES; id++) {
    bool keep = id >= 10000 && id % 10 != 0 && id % 7 == 3;
    want += keep;
    cr_assert_eq(hit[id], keep, "id %d", id);
  }
  cr_assert_eq(rows, want);
  fl_buf out = FL_BUF_INIT;
  fl_op_explain(op, true, &out);
  fl_buf_cstr(&out);
  char expect[200];
  snprintf(expect, sizeof expect,
           "files=3/3 (pruned: 0 by partition, 0 by bounds; manifests 3/3) row_groups=3/3 rows_read=15000 "
           "deleted=0 filtered=%llu (row groups read in the filter's columns only and skipped: 2)",
           (unsigned long long)(15000 - want));
  cr_assert(strstr((char *)out.data, expect), "%s", (char *)out.data);
  fl_buf_free(&out);
  free(hit);
  fl_op_free(op);
  fl_arena_destroy(&arena);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

/* A top-N directly over the scan bounds it: ORDER BY id DESC LIMIT 10 reads the newest
 * file (ids 10000..14999) first, has its heap full of 14990..14999 after it, and files
 * 1 and 0 (ids below 10000) are skipped by their statistics; with NULLS FIRST (a NULL
 * would enter the heap) every file is read. */
static void topn_over_scan(bool nulls_first, const char *want_row_groups) {
  fl_warehouse *wh;
  fl_table *tbl = make_table(&wh);
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  fl_exec_ctx ctx = {.arena = &arena};
  fl_err err = {0};
  fl_op *scan = fl_op_table_scan(&ctx, tbl, NULL, NULL, &err);
  cr_assert(scan, "%s", err.msg);
  fl_sort_key key = {.col = 0, .desc = true, .nulls_first = nulls_first};
  fl_op *op = fl_op_sort(&ctx, scan, &key, 1, 10, &err);
  cr_assert(op, "%s", err.msg);
  uint8_t *hit = calloc(FILE_ROWS * NFILES, 1);
  cr_assert_eq(drain(op, hit, 0), 10); /* drain checks each row's name and qty */
  for (int i = 0; i < FILE_ROWS * NFILES; i++) cr_assert_eq(hit[i], i >= FILE_ROWS * NFILES - 10, "id %d", i);
  fl_buf out = FL_BUF_INIT;
  fl_op_explain(op, true, &out);
  fl_buf_cstr(&out);
  cr_assert(strstr((char *)out.data, want_row_groups), "%s", (char *)out.data);
  fl_buf_free(&out);
  free(hit);
  fl_op_free(op);
  fl_arena_destroy(&arena);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
}

Test(exec_scan, a_full_top_n_heap_skips_the_row_groups_its_statistics_exclude) {
  topn_over_scan(false, "row_groups=1/3 rows_read=5000 ");
  topn_over_scan(true, "row_groups=3/3 rows_read=15000 ");
}
