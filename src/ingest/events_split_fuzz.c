/* events_split_fuzz: libFuzzer over the events route's piece splitter (events_split.c:
 * srv_piece_end for NDJSON bodies, srv_array_scan for JSON arrays), run as
 * server_events.c runs it.
 *
 * Input: the first byte picks the piece size (1 to 64 bytes, so small inputs are cut
 * many times; the route uses FL_INGEST_CHUNK_BYTES), the rest is the body. libFuzzer's
 * buffer is exactly the input, so ASan sees any read past the body.
 *
 * Checks invariants against a reference scan written apart from the splitter (a
 * per-byte string/escape/depth state machine over the whole body), not golden output:
 * - NDJSON: the pieces tile the body (each starts where the last ended, the last ends
 *   at the end); a piece other than the last ends just after the first newline at or
 *   past its start + chunk; the last has no newline from there but its final byte.
 * - array: the pieces tile the text after '[' (each starts just after the ',' that
 *   ended the one before); each cut is exactly the reference's prediction: the first
 *   top-level ',' at or past the piece start + chunk, else the array's closing ']',
 *   else "not balanced" (SIZE_MAX: a top-level '}', an unterminated string or no ']');
 *   so no cut is inside a string or a nested value; each piece's element count is the
 *   reference's (top-level commas, plus the last element when it is not blank), and
 *   over a balanced array the counts add up to the whole array's.
 * Seed corpus: tests/fuzz/corpus/events_split/. Run:
 *   build-fuzz/fuzz/events_split_fuzz -max_total_time=60 tests/fuzz/corpus/events_split */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/events_split.h"

#define CHECK(cond, ...)                                 \
  do {                                                   \
    if (!(cond)) {                                       \
      fprintf(stderr, "events_split_fuzz: %s: ", #cond); \
      fprintf(stderr, __VA_ARGS__);                      \
      fprintf(stderr, "\n");                             \
      abort();                                           \
    }                                                    \
  } while (0)

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static void check_ndjson(const char *b, size_t len, size_t chunk) {
  size_t off = 0, pieces = 0;
  while (off < len) {
    size_t end = srv_piece_end(b, off, len, chunk);
    CHECK(end > off && end <= len, "piece at %zu ends at %zu of %zu", off, end, len);
    if (end < len) {
      CHECK(end - 1 >= off + chunk && b[end - 1] == '\n', "piece %zu-%zu, chunk %zu", off, end, chunk);
      CHECK(!memchr(b + off + chunk, '\n', end - 1 - (off + chunk)), "a newline before the cut at %zu", end);
    } else if (len - off > chunk) {
      CHECK(!memchr(b + off + chunk, '\n', len - 1 - (off + chunk)), "the last piece from %zu holds a cut",
            off);
    }
    pieces++;
    CHECK(pieces <= len / (chunk + 1) + 1, "%zu pieces of a body of %zu, chunk %zu", pieces, len, chunk);
    off = end;
  }
  CHECK(off == len, "the pieces end at %zu of %zu", off, len);
}

/* The reference: top[i] = byte i is outside every string and nested value (before it is
 * read); returns the offset of the first top-level ']' or '}' (the array's end, or where
 * it is not balanced), or len. */
static size_t reference_scan(const char *b, size_t from, size_t len, uint8_t *top) {
  bool in_str = false, esc = false;
  size_t depth = 0;
  for (size_t i = from; i < len; i++) {
    char c = b[i];
    top[i] = !in_str && depth == 0;
    if (in_str) {
      if (esc)
        esc = false;
      else if (c == '\\')
        esc = true;
      else if (c == '"')
        in_str = false;
    } else if (c == '"') {
      in_str = true;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;
      depth--;
    }
  }
  return len;
}

/* The top-level commas of [from, to); *last_seen = the text after the last one holds a
 * non-blank byte. */
static uint32_t reference_commas(const char *b, size_t from, size_t to, const uint8_t *top, bool *last_seen) {
  uint32_t n = 0;
  bool seen = false;
  for (size_t i = from; i < to; i++) {
    if (top[i] && b[i] == ',') {
      n++;
      seen = false;
    } else if (!blank(b[i])) {
      seen = true;
    }
  }
  *last_seen = seen;
  return n;
}

/* Elements of a piece [from, stop): each ',' ends one (also the ',' at stop, which
 * ends the piece); at the array's ']' the last counts when it is not blank. */
static uint32_t reference_count(const char *b, size_t from, size_t stop, const uint8_t *top) {
  bool seen;
  uint32_t commas = reference_commas(b, from, stop, top, &seen);
  return b[stop] == ',' ? commas + 1 : commas + seen;
}

static void check_array(const char *b, size_t i0, size_t len, size_t chunk) {
  uint8_t *top = calloc(len ? len : 1, 1);
  size_t from = i0 + 1;
  size_t ref_end = reference_scan(b, from, len, top);
  bool balanced = ref_end < len && b[ref_end] == ']';
  uint64_t total = 0;
  size_t pieces = 0;
  for (;;) {
    uint32_t n = 0;
    size_t stop = srv_array_scan(b, from, len, chunk, &n);
    size_t want = SIZE_MAX;
    for (size_t i = from + chunk; i < ref_end; i++)
      if (top[i] && b[i] == ',') {
        want = i;
        break;
      }
    if (want == SIZE_MAX && balanced) want = ref_end;
    CHECK(stop == want, "scan from %zu (chunk %zu) stopped at %zd, the reference at %zd", from, chunk,
          (ssize_t)stop, (ssize_t)want);
    pieces++;
    if (stop == SIZE_MAX) break; /* the rest is one piece; the parser judges it */
    CHECK(top[stop], "the cut at %zu is inside a string or a nested value", stop);
    if (b[stop] == ']') {
      CHECK(n == reference_count(b, from, stop, top), "the last piece %zu-%zu: %u elements", from, stop, n);
      total += n;
      break;
    }
    CHECK(b[stop] == ',' && stop - from >= chunk, "piece %zu-%zu cut at '%c'", from, stop, b[stop]);
    CHECK(n == reference_count(b, from, stop, top), "piece %zu-%zu: %u elements", from, stop, n);
    total += n;
    from = stop + 1; /* the next piece starts just after the ',' (the pieces tile the text) */
    CHECK(from <= len && pieces <= len, "piece %zu starts at %zu of %zu", pieces, from, len);
  }
  if (balanced)
    CHECK(total == reference_count(b, i0 + 1, ref_end, top), "%llu elements in pieces of an array of %u",
          (unsigned long long)total, reference_count(b, i0 + 1, ref_end, top));
  free(top);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = 1 + data[0] % 64;
  const char *b = (const char *)data + 1;
  size_t len = size - 1;
  size_t i0 = 0;
  while (i0 < len && blank(b[i0])) i0++;
  if (i0 < len && b[i0] == '[')
    check_array(b, i0, len, chunk);
  else
    check_ndjson(b, len, chunk);
  return 0;
}
