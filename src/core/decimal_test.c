/* Unit tests of core/decimal: 128-bit DECIMAL(p <= 38) parse, format, add, compare,
 * rescale and byte forms at the edges (±(10^38 - 1), scale changes), and the batch and
 * value storage of wide decimals. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/batch.h"
#include "core/decimal.h"
#include "core/value.h"

#define MAX38 "99999999999999999999999999999999999999"

static fl_i128 max38(void) { return fl_dec128_pow10(38) - 1; }

static const char *fmt(fl_i128 v, unsigned scale) {
  static char buf[FL_DECIMAL_TEXT_MAX];
  fl_dec128_format(v, scale, buf);
  return buf;
}

static fl_i128 parse_ok(const char *s, unsigned p, unsigned scale) {
  fl_i128 v = 0;
  cr_assert(fl_dec128_parse(s, strlen(s), p, scale, &v), "'%s' as DECIMAL(%u,%u)", s, p, scale);
  return v;
}

static void parse_bad(const char *s, unsigned p, unsigned scale) {
  fl_i128 v = 12345;
  cr_assert_not(fl_dec128_parse(s, strlen(s), p, scale, &v), "'%s' as DECIMAL(%u,%u) parsed", s, p, scale);
  cr_assert(v == 12345, "'%s' wrote the output on failure", s);
}

Test(decimal128, parse_and_format_at_the_edges) {
  cr_assert(parse_ok(MAX38, 38, 0) == max38());
  cr_assert(parse_ok("-" MAX38, 38, 0) == -max38());
  cr_assert_str_eq(fmt(max38(), 0), MAX38);
  cr_assert_str_eq(fmt(-max38(), 0), "-" MAX38);
  cr_assert_str_eq(fmt(-max38(), 9), "-99999999999999999999999999999.999999999");
  cr_assert_str_eq(fmt(max38(), 38), "0." MAX38);
  cr_assert_str_eq(fmt(-1, 38), "-0.00000000000000000000000000000000000001");
  cr_assert_str_eq(fmt(0, 9), "0.000000000");
  parse_bad("1" MAX38, 38, 0); /* 10^38: 39 digits */
  parse_bad("-1" MAX38, 38, 0);
  parse_bad(MAX38, 37, 0);      /* 38 digits into 37 */
  parse_bad(MAX38 ".0", 38, 1); /* with the scale it needs 39 digits */
  cr_assert(parse_ok("12345678901234567890.123456789", 38, 9) ==
            (fl_i128)1234567890123456789LL * 10000000000LL + (fl_i128)123456789);
  cr_assert_str_eq(fmt(parse_ok("12345678901234567890.123456789", 38, 9), 9),
                   "12345678901234567890.123456789");
  cr_assert_str_eq(fmt(parse_ok("0.5", 38, 9), 9), "0.500000000");
  cr_assert_str_eq(fmt(parse_ok("-.5", 38, 2), 2), "-0.50");
  cr_assert_str_eq(fmt(parse_ok("000000000000000000000000000000000000000000007", 38, 0), 0), "7");
  cr_assert_str_eq(fmt(parse_ok("1.50000000000000000000000000000000000000000000", 38, 1), 1), "1.5");
  parse_bad("1.55", 38, 1); /* a digit beyond the scale would be lost */
  /* exponent forms, exactly */
  cr_assert_str_eq(fmt(parse_ok("1e37", 38, 0), 0), "10000000000000000000000000000000000000");
  parse_bad("1e38", 38, 0);
  cr_assert_str_eq(fmt(parse_ok("1.2345E-3", 38, 9), 9), "0.001234500");
  cr_assert_str_eq(fmt(parse_ok("-9.9999999999999999999999999999999999999e37", 38, 0), 0), "-" MAX38);
  parse_bad("-9.99999999999999999999999999999999999999e37", 38, 0); /* 39 digits */
  parse_bad("1e-39", 38, 38);
  cr_assert(parse_ok("0e999", 38, 0) == 0);
  parse_bad("", 38, 0);
  parse_bad("-", 38, 0);
  parse_bad(".", 38, 0);
  parse_bad("1.2.3", 38, 2);
  parse_bad("12a", 38, 0);
  parse_bad("1e", 38, 0);
  parse_bad(" 1", 38, 0);
}

Test(decimal128, add_and_sub_check_the_precision) {
  fl_i128 r = 0;
  cr_assert(fl_dec128_add(max38() - 1, 1, 38, &r));
  cr_assert(r == max38());
  cr_assert_not(fl_dec128_add(max38(), 1, 38, &r));
  cr_assert_not(fl_dec128_add(-max38(), -1, 38, &r));
  cr_assert(fl_dec128_add(max38(), -max38(), 38, &r) && r == 0);
  cr_assert_not(fl_dec128_add(max38(), max38(), 38, &r));
  cr_assert_not(fl_dec128_add(99999, 1, 5, &r)); /* DECIMAL(5,s) ends at 99999 */
  cr_assert(fl_dec128_add(99998, 1, 5, &r) && r == 99999);
  cr_assert(fl_dec128_sub(-max38() + 1, 1, 38, &r) && r == -max38());
  cr_assert_not(fl_dec128_sub(-max38(), 1, 38, &r));
  cr_assert_not(fl_dec128_sub(0, fl_dec128_pow10(38), 38, &r)); /* an operand out of range */
}

Test(decimal128, mul_checks_the_precision_and_128_bits) {
  fl_i128 r = 0, ten19 = fl_dec128_pow10(19);
  cr_assert(fl_dec128_mul(ten19, fl_dec128_pow10(18), 38, &r) && r == fl_dec128_pow10(37));
  cr_assert_not(fl_dec128_mul(ten19, ten19, 38, &r));     /* 10^38: 39 digits */
  cr_assert_not(fl_dec128_mul(max38(), max38(), 38, &r)); /* beyond 128 bits */
  cr_assert(fl_dec128_mul(-max38(), 1, 38, &r) && r == -max38());
  cr_assert(fl_dec128_mul(-3, 7, 2, &r) && r == -21);
  cr_assert_not(fl_dec128_mul(-15, 7, 2, &r)); /* -105 needs 3 digits */
}

Test(decimal128, compare_and_rescale_across_scales) {
  /* 1.5 (s=1) vs 1.50 (s=2) vs 1.49 (s=2) */
  cr_assert_eq(fl_dec128_cmp_scaled(15, 1, 150, 2), 0);
  cr_assert_eq(fl_dec128_cmp_scaled(15, 1, 149, 2), 1);
  cr_assert_eq(fl_dec128_cmp_scaled(-15, 1, -149, 2), -1);
  cr_assert_eq(fl_dec128_cmp_scaled(-1, 38, 0, 0), -1);
  /* the largest integer against the largest fraction: no overflow at the extremes */
  cr_assert_eq(fl_dec128_cmp_scaled(max38(), 0, max38(), 38), 1);
  cr_assert_eq(fl_dec128_cmp_scaled(-max38(), 0, max38(), 38), -1);
  cr_assert_eq(fl_dec128_cmp_scaled(max38(), 38, max38(), 37), -1);
  fl_i128 r = 0;
  cr_assert(fl_dec128_rescale(12345, 2, 9, 38, &r) && r == (fl_i128)12345 * 10000000);
  cr_assert(fl_dec128_rescale(1234500, 4, 2, 38, &r) && r == 12345);
  cr_assert_not(fl_dec128_rescale(1234501, 4, 2, 38, &r)); /* a digit would be dropped */
  cr_assert_not(fl_dec128_rescale(max38(), 0, 1, 38, &r));
  cr_assert(fl_dec128_rescale(max38() / 10, 0, 1, 38, &r) && r == max38() - 9);
  cr_assert_not(fl_dec128_rescale(100, 0, 1, 3, &r)); /* 100.0 needs 4 digits */
  cr_assert(fl_dec128_rescale(0, 0, 38, 38, &r) && r == 0);
}

Test(decimal128, byte_forms_are_minimal_big_endian_twos_complement) {
  uint8_t b[16];
  cr_assert_eq(fl_dec128_to_be_min(0, b), 1);
  cr_assert_eq(b[0], 0);
  cr_assert_eq(fl_dec128_to_be_min(-1, b), 1);
  cr_assert_eq(b[0], 0xff);
  cr_assert_eq(fl_dec128_to_be_min(128, b), 2);
  cr_assert(b[0] == 0x00 && b[1] == 0x80);
  cr_assert_eq(fl_dec128_to_be_min(-129, b), 2);
  cr_assert(b[0] == 0xff && b[1] == 0x7f);
  /* 10^38 - 1 = 0x4B3B4CA85A86C47A098A223FFFFFFFFF: 16 bytes */
  static const uint8_t max_be[16] = {0x4b, 0x3b, 0x4c, 0xa8, 0x5a, 0x86, 0xc4, 0x7a,
                                     0x09, 0x8a, 0x22, 0x3f, 0xff, 0xff, 0xff, 0xff};
  cr_assert_eq(fl_dec128_to_be_min(max38(), b), 16);
  cr_assert_arr_eq(b, max_be, 16);
  fl_i128 v = 0;
  cr_assert(fl_dec128_from_be(max_be, 16, &v) && v == max38());
  fl_dec128_to_be(-max38(), 16, b);
  cr_assert(fl_dec128_from_be(b, 16, &v) && v == -max38());
  /* FIXED_LEN_BYTE_ARRAY widths: sign-extended */
  fl_dec128_to_be(-2, 9, b);
  for (int i = 0; i < 8; i++) cr_assert_eq(b[i], 0xff);
  cr_assert_eq(b[8], 0xfe);
  cr_assert(fl_dec128_from_be(b, 9, &v) && v == -2);
  /* longer than 16 bytes: only sign extension may lead */
  uint8_t long_be[18] = {0xff, 0xff, 0xff};
  memset(long_be, 0xff, sizeof long_be);
  cr_assert(fl_dec128_from_be(long_be, 18, &v) && v == -1);
  long_be[0] = 0x7f;
  cr_assert_not(fl_dec128_from_be(long_be, 18, &v));
  cr_assert_not(fl_dec128_from_be(long_be, 0, &v));
  /* the widths Spark/Arrow use: p 9 -> 4, 18 -> 8, 19..21 -> 9, 22 -> 10, 38 -> 16 */
  cr_assert_eq(fl_dec128_fixed_width(9), 4);
  cr_assert_eq(fl_dec128_fixed_width(18), 8);
  cr_assert_eq(fl_dec128_fixed_width(19), 9);
  cr_assert_eq(fl_dec128_fixed_width(20), 9);
  cr_assert_eq(fl_dec128_fixed_width(21), 9);
  cr_assert_eq(fl_dec128_fixed_width(22), 10);
  cr_assert_eq(fl_dec128_fixed_width(38), 16);
}

Test(decimal128, values_and_batches_store_either_width) {
  fl_field fields[2] = {{1, "wide", {FL_T_DECIMAL, 38, 9}, false},
                        {2, "narrow", {FL_T_DECIMAL, 12, 2}, false}};
  fl_batch *b = fl_batch_new(fields, 2, 4);
  cr_assert_eq(fl_type_bytes(fields[0].type), 16);
  cr_assert_eq(fl_type_bytes(fields[1].type), 8);
  fl_value row[2] = {{.type = fields[0].type}, {.type = fields[1].type}};
  fl_value_set_dec(&row[0], -max38());
  fl_value_set_dec(&row[1], 12345);
  fl_batch_append_values(b, row);
  row[0].is_null = true;
  row[1].is_null = true;
  fl_batch_append_values(b, row);
  cr_assert(fl_vec_dec(&b->cols[0], 0) == -max38());
  cr_assert(fl_vec_dec(&b->cols[0], 1) == 0, "a null slot is zero");
  cr_assert(fl_vec_dec(&b->cols[1], 0) == 12345);
  fl_buf out = FL_BUF_INIT;
  fl_batch_row_to_json(b, 0, &out);
  fl_batch_row_to_json(b, 1, &out);
  fl_buf_cstr(&out);
  cr_assert_str_eq((const char *)out.data,
                   "{\"wide\":-99999999999999999999999999999.999999999,\"narrow\":123.45}"
                   "{\"wide\":null,\"narrow\":null}");
  /* gather keeps 16-byte values */
  fl_batch *g = fl_batch_new(fields, 2, 4);
  uint32_t rows[2] = {1, 0};
  fl_batch_gather(g, b, rows, 2);
  cr_assert(fl_vec_dec(&g->cols[0], 1) == -max38());
  cr_assert_not(fl_vec_is_valid(&g->cols[0], 0));
  /* compare and cast across widths and scales: 123.45 (12,2) == 123.450000000 (38,9) */
  fl_value a = {.type = {FL_T_DECIMAL, 12, 2}}, w = {.type = {FL_T_DECIMAL, 38, 9}}, c;
  fl_value_set_dec(&a, 12345);
  fl_value_set_dec(&w, (fl_i128)123450000000LL);
  cr_assert_eq(fl_value_cmp(&a, &w), 0);
  cr_assert(fl_value_cast(&a, w.type, &c));
  cr_assert(fl_value_dec(&c) == (fl_i128)123450000000LL);
  /* Iceberg bound bytes of a wide value round-trip */
  fl_value m = {.type = {FL_T_DECIMAL, 38, 0}};
  fl_value_set_dec(&m, max38());
  fl_buf ib = FL_BUF_INIT;
  fl_value_to_iceberg_bytes(&m, &ib);
  cr_assert_eq(ib.len, 16);
  fl_value back;
  cr_assert(fl_value_from_iceberg_bytes(m.type, ib.data, ib.len, &back));
  cr_assert(fl_value_dec(&back) == max38());
  cr_assert_not(fl_value_from_iceberg_bytes((fl_type){FL_T_DECIMAL, 18, 0}, ib.data, ib.len, &back),
                "a 16-byte value into a 64-bit decimal is refused");
  fl_buf_free(&ib);
  fl_buf_free(&out);
  fl_batch_free(g);
  fl_batch_free(b);
}
