/* time: floe's time values. TIMESTAMP is microseconds since 1970-01-01T00:00:00Z
 * (Iceberg `timestamp`, UTC); DATE is days since 1970-01-01. Negative values use
 * floor semantics everywhere (1969-12-31T23:00 is day -1, hour -1).
 *
 * Parsing accepts RFC 3339 / ISO 8601: "2026-11-25T15:04:39Z",
 * "2026-11-25 15:04:39.123456+01:00", "2026-11-25T15:04:39" (taken as UTC),
 * and a date alone for timestamps ("2026-11-25" = midnight). Fractions beyond
 * microseconds are truncated. Formatting writes "2026-11-25T15:04:39.123456Z"
 * (fraction only when non-zero, trimmed to 3 or 6 digits). */
#ifndef FL_CORE_TIME_H
#define FL_CORE_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { FL_TS_TEXT_MAX = 40 };

bool fl_ts_parse(const char *s, size_t n, int64_t *micros);
size_t fl_ts_format(int64_t micros, char *out); /* out >= FL_TS_TEXT_MAX */
/* The same for nanoseconds: the fraction in 3, 6 or 9 digits, the fewest exact. */
size_t fl_ts_ns_format(int64_t nanos, char *out); /* out >= FL_TS_TEXT_MAX */
bool fl_date_parse(const char *s, size_t n, int32_t *days);
size_t fl_date_format(int32_t days, char *out); /* "2026-11-25" */

int64_t fl_days_from_civil(int64_t y, unsigned m, unsigned d);
void fl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
static inline int64_t fl_floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* TIME: microseconds since midnight, 0 <= t < 86400000000. Text "HH:MM:SS" with
 * ".fff" or ".ffffff" when there is a fraction (as timestamps); parse takes 0-6
 * fraction digits. */
enum { FL_TIME_TEXT_MAX = 16 };
size_t fl_time_format(int64_t micros, char *out); /* out >= FL_TIME_TEXT_MAX */
bool fl_time_parse(const char *s, size_t n, int64_t *micros);
int64_t fl_now_micros(void); /* wall clock */
int64_t fl_now_ms(void);
int64_t fl_mono_ns(void); /* monotonic, for durations */

#endif
