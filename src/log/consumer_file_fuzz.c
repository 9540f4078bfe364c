/* consumer_file_fuzz: arbitrary bytes as a consumer file (consumer.c's layout). The
 * decoder must never crash or read out of bounds, must refuse anything that is not
 * exactly a valid file, and what it accepts must encode back to the same bytes.
 *
 * Input: byte 0 bit 0 set = fix the CRC (the last 4 bytes become the CRC-32C of the
 * rest), so the fuzzer reaches the length and count checks behind it; the file is
 * the input after byte 0. Seeds: tests/fuzz/corpus/consumer_file (files of 0, 1 and
 * 3 partitions with the flag set, and damaged ones). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc32c.h"
#include "core/mem.h"
#include "log/log_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t len = size - 1;
  uint8_t *buf = fl_malloc(len ? len : 1);
  if (len) memcpy(buf, data + 1, len);
  if ((data[0] & 1) && len >= 4) fl_log_put32(buf + len - 4, fl_crc32c(0, buf, len - 4));
  uint64_t *off = NULL;
  uint32_t n = 0;
  fl_err err;
  if (fl_log_consumer_file_decode(buf, len, "fuzz", &off, &n, &err) == FL_OK) {
    size_t elen;
    unsigned char *enc = fl_log_consumer_file_encode(off, n, &elen);
    if (elen != len || memcmp(enc, buf, len) != 0) abort(); /* accepted bytes are exactly a file */
    fl_free(enc);
  } else if (off || n) {
    abort();
  }
  fl_free(off);
  fl_free(buf);
  return 0;
}
