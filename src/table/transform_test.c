/* Tests of Iceberg partition transforms against the spec's test values (Appendix B). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/time.h"
#include "table/table_int.h"

static fl_value v_int(int32_t x) { return (fl_value){.type = {FL_T_INT, 0, 0}, .u.i32 = x}; }
static fl_value v_long(int64_t x) { return (fl_value){.type = {FL_T_BIGINT, 0, 0}, .u.i64 = x}; }
static fl_value v_date(int32_t x) { return (fl_value){.type = {FL_T_DATE, 0, 0}, .u.i32 = x}; }
static fl_value v_ts(int64_t x) { return (fl_value){.type = {FL_T_TIMESTAMP, 0, 0}, .u.i64 = x}; }
static fl_value v_dec(int64_t x, uint8_t p, uint8_t s) {
  return (fl_value){.type = {FL_T_DECIMAL, p, s}, .u.i64 = x};
}
static fl_value v_str(const char *s) {
  return (fl_value){.type = {FL_T_STRING, 0, 0}, .u.str = {s, (uint32_t)strlen(s)}};
}

static fl_transform tr(const char *text) {
  fl_transform t;
  fl_err err = {0};
  cr_assert_eq(fl_transform_parse(text, &t, &err), FL_OK, "%s", err.msg);
  return t;
}

Test(transform, bucket_hash_matches_spec_test_values) {
  fl_value v = v_int(34);
  cr_assert_eq(fl_transform_bucket_hash(&v), 2017239379);
  v = v_long(34);
  cr_assert_eq(fl_transform_bucket_hash(&v), 2017239379);
  v = v_str("iceberg");
  cr_assert_eq(fl_transform_bucket_hash(&v), 1210000089);
  int32_t days = (int32_t)fl_days_from_civil(2017, 11, 16);
  v = v_date(days);
  cr_assert_eq(fl_transform_bucket_hash(&v), -653330422);
  v = v_ts((int64_t)days * 86400000000LL + (22 * 3600 + 31 * 60 + 8) * 1000000LL);
  cr_assert_eq(fl_transform_bucket_hash(&v), -2047944441);
  v = v_dec(1420, 4, 2);
  cr_assert_eq(fl_transform_bucket_hash(&v), -500754589);
}

Test(transform, bucket_16_of_34_is_3) {
  fl_value in = v_long(34), out;
  fl_transform_apply(tr("bucket[16]"), &in, &out);
  cr_assert_eq(out.type.kind, FL_T_INT);
  cr_assert_eq(out.u.i32, 3);
}

Test(transform, truncate_uses_floor_and_code_points) {
  fl_value in = v_int(-1), out;
  fl_transform_apply(tr("truncate[10]"), &in, &out);
  cr_assert_eq(out.u.i32, -10);
  in = v_int(1);
  fl_transform_apply(tr("truncate[10]"), &in, &out);
  cr_assert_eq(out.u.i32, 0);
  in = v_long(-11);
  fl_transform_apply(tr("truncate[10]"), &in, &out);
  cr_assert_eq(out.u.i64, -20);
  in = v_dec(1065, 4, 2);
  fl_transform_apply(tr("truncate[50]"), &in, &out);
  cr_assert_eq(out.u.i64, 1050);
  in = v_str("iceberg");
  fl_transform_apply(tr("truncate[3]"), &in, &out);
  cr_assert_eq(out.u.str.len, 3);
  cr_assert(!memcmp(out.u.str.ptr, "ice", 3));
  in = v_str("\xc3\xa9t\xc3\xa9"); /* "été": 3 code points, 5 bytes */
  fl_transform_apply(tr("truncate[2]"), &in, &out);
  cr_assert_eq(out.u.str.len, 3);
}

Test(transform, times_floor_before_epoch) {
  fl_value in = v_ts(-3600000000LL), out; /* 1969-12-31T23:00 */
  fl_transform_apply(tr("day"), &in, &out);
  cr_assert_eq(out.type.kind, FL_T_DATE);
  cr_assert_eq(out.u.i32, -1);
  fl_transform_apply(tr("hour"), &in, &out);
  cr_assert_eq(out.u.i32, -1);
  fl_transform_apply(tr("month"), &in, &out);
  cr_assert_eq(out.u.i32, -1);
  fl_transform_apply(tr("year"), &in, &out);
  cr_assert_eq(out.u.i32, -1);
  int32_t days = (int32_t)fl_days_from_civil(2017, 11, 16);
  in = v_date(days);
  fl_transform_apply(tr("month"), &in, &out);
  cr_assert_eq(out.u.i32, 47 * 12 + 10);
  fl_transform_apply(tr("year"), &in, &out);
  cr_assert_eq(out.u.i32, 47);
  fl_transform_apply(tr("day"), &in, &out);
  cr_assert_eq(out.u.i32, days);
}

Test(transform, null_in_null_out) {
  fl_value in = v_ts(0), out;
  in.is_null = true;
  fl_transform_apply(tr("day"), &in, &out);
  cr_assert(out.is_null);
  fl_transform_apply(tr("bucket[4]"), &in, &out);
  cr_assert(out.is_null);
}

Test(transform, refuses_transforms_that_do_not_apply) {
  fl_type res;
  fl_err err = {0};
  cr_assert_eq(fl_transform_result_type(tr("day"), (fl_type){FL_T_STRING, 0, 0}, &res, &err), FL_ETYPE);
  cr_assert(strstr(err.msg, "day") && strstr(err.msg, "STRING"), "%s", err.msg);
  cr_assert_eq(fl_transform_result_type(tr("hour"), (fl_type){FL_T_DATE, 0, 0}, &res, NULL), FL_ETYPE);
  cr_assert_eq(fl_transform_result_type(tr("bucket[8]"), (fl_type){FL_T_DOUBLE, 0, 0}, &res, NULL), FL_ETYPE);
  cr_assert_eq(fl_transform_parse("bucket[0]", &(fl_transform){0}, NULL), FL_EINVAL);
  cr_assert_eq(fl_transform_parse("days", &(fl_transform){0}, NULL), FL_EINVAL);
}

Test(transform, value_text_for_paths) {
  fl_buf b = FL_BUF_INIT;
  int32_t days = (int32_t)fl_days_from_civil(2026, 11, 25);
  fl_value in = v_ts((int64_t)days * 86400000000LL + 15 * 3600000000LL), out;
  fl_transform_apply(tr("hour"), &in, &out);
  fl_transform_value_text(tr("hour"), &out, &b);
  fl_buf_cstr(&b);
  cr_assert_str_eq((char *)b.data, "2026-11-25-15");
  fl_buf_clear(&b);
  fl_transform_apply(tr("day"), &in, &out);
  fl_transform_value_text(tr("day"), &out, &b);
  fl_buf_cstr(&b);
  cr_assert_str_eq((char *)b.data, "2026-11-25");
  fl_buf_clear(&b);
  fl_transform_apply(tr("month"), &in, &out);
  fl_transform_value_text(tr("month"), &out, &b);
  fl_buf_cstr(&b);
  cr_assert_str_eq((char *)b.data, "2026-11");
  fl_buf_free(&b);
}

Test(transform, partitioned_by_text_parses) {
  fl_arena arena;
  fl_arena_init(&arena, 1024);
  fl_partition_def *defs;
  uint32_t n;
  fl_err err = {0};
  cr_assert_eq(fl_partition_defs_parse("day(event_time), tenant_id, bucket(16, user_id), truncate(4,name)",
                                       &arena, &defs, &n, &err),
               FL_OK, "%s", err.msg);
  cr_assert_eq(n, 4);
  cr_assert_str_eq(defs[0].column, "event_time");
  cr_assert_str_eq(defs[0].transform, "day");
  cr_assert_str_eq(defs[1].column, "tenant_id");
  cr_assert_str_eq(defs[1].transform, "identity");
  cr_assert_str_eq(defs[2].column, "user_id");
  cr_assert_str_eq(defs[2].transform, "bucket[16]");
  cr_assert_str_eq(defs[3].transform, "truncate[4]");
  cr_assert_eq(fl_partition_defs_parse("day(a", &arena, &defs, &n, NULL), FL_EPARSE);
  cr_assert_eq(fl_partition_defs_parse("weeks(a)", &arena, &defs, &n, NULL), FL_EPARSE);
  cr_assert_eq(fl_partition_defs_parse("", &arena, &defs, &n, NULL), FL_OK);
  cr_assert_eq(n, 0);
  fl_arena_destroy(&arena);
}
