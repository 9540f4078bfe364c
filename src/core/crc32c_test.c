/* Tests of crc32c: the standard check value, chaining, hardware = table. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/crc32c.h"

Test(crc32c, check_value_of_123456789_is_e3069283) {
  cr_assert_eq(fl_crc32c(0, "123456789", 9), 0xE3069283u);
  cr_assert_eq(fl_crc32c_sw(0, "123456789", 9), 0xE3069283u);
}

Test(crc32c, empty_input_is_zero) { cr_assert_eq(fl_crc32c(0, "", 0), 0u); }

Test(crc32c, thirty_two_zero_bytes_match_rfc3720) {
  unsigned char z[32] = {0}, ff[32];
  memset(ff, 0xff, sizeof ff);
  cr_assert_eq(fl_crc32c(0, z, 32), 0x8A9136AAu);
  cr_assert_eq(fl_crc32c(0, ff, 32), 0x62A8AB43u);
}

Test(crc32c, chained_calls_equal_one_call_and_hardware_equals_table) {
  unsigned char buf[1000];
  for (unsigned i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 131 + 7);
  for (size_t start = 0; start < 9; start++)
    for (size_t n = 0; n + start <= sizeof buf; n += 37) {
      uint32_t one = fl_crc32c(0, buf + start, n);
      cr_assert_eq(one, fl_crc32c_sw(0, buf + start, n), "start %zu n %zu", start, n);
      size_t half = n / 3;
      cr_assert_eq(fl_crc32c(fl_crc32c(0, buf + start, half), buf + start + half, n - half), one);
    }
}
