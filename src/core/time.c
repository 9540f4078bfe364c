/* time: RFC 3339 timestamps <-> microseconds since the epoch, dates <-> days.
 * Civil-date arithmetic is Howard Hinnant's days_from_civil / civil_from_days:
 * exact for every proleptic Gregorian date, no tables, no libc time zone state. */
#include "core/time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t fl_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void fl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

static bool digits(const char *s, size_t n, size_t at, size_t count, unsigned *out) {
  if (at + count > n) return false;
  unsigned v = 0;
  for (size_t i = 0; i < count; i++) {
    char c = s[at + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (unsigned)(c - '0');
  }
  *out = v;
  return true;
}

static bool valid_ymd(unsigned y, unsigned m, unsigned d) {
  static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  unsigned max = mdays[m - 1];
  if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) max = 29;
  return d <= max;
}

bool fl_date_parse(const char *s, size_t n, int32_t *days) {
  unsigned y, m, d;
  if (n != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!digits(s, n, 0, 4, &y) || !digits(s, n, 5, 2, &m) || !digits(s, n, 8, 2, &d)) return false;
  if (!valid_ymd(y, m, d)) return false;
  *days = (int32_t)fl_days_from_civil(y, m, d);
  return true;
}

bool fl_ts_parse(const char *s, size_t n, int64_t *micros) {
  unsigned y, mo, d, h = 0, mi = 0, sec = 0;
  if (n < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!digits(s, n, 0, 4, &y) || !digits(s, n, 5, 2, &mo) || !digits(s, n, 8, 2, &d)) return false;
  if (!valid_ymd(y, mo, d)) return false;
  size_t i = 10;
  int64_t frac = 0;
  int64_t offset_s = 0;
  if (i < n) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
    i++;
    if (!digits(s, n, i, 2, &h) || i + 2 >= n || s[i + 2] != ':' || !digits(s, n, i + 3, 2, &mi))
      return false;
    i += 5;
    if (i < n && s[i] == ':') {
      if (!digits(s, n, i + 1, 2, &sec)) return false;
      i += 3;
      if (i < n && s[i] == '.') {
        i++;
        size_t start = i;
        int64_t scale = 100000;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
          if (scale > 0) frac += (s[i] - '0') * scale;
          scale /= 10;
          i++;
        }
        if (i == start) return false;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return false;
    if (i < n) {
      if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        i++;
      } else if (s[i] == '+' || s[i] == '-') {
        unsigned oh, om;
        int sign = s[i] == '-' ? -1 : 1;
        if (!digits(s, n, i + 1, 2, &oh)) return false;
        size_t j = i + 3;
        if (j < n && s[j] == ':') j++;
        if (!digits(s, n, j, 2, &om) || j + 2 != n || oh > 23 || om > 59) return false;
        offset_s = sign * (int64_t)(oh * 3600 + om * 60);
        i = n;
      } else {
        return false;
      }
    }
  }
  if (i != n) return false;
  int64_t days = fl_days_from_civil(y, mo, d);
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  *micros = secs * 1000000 + frac;
  return true;
}

size_t fl_date_format(int32_t days, char *out) {
  int64_t y;
  unsigned m, d;
  fl_civil_from_days(days, &y, &m, &d);
  return (size_t)snprintf(out, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

size_t fl_ts_format(int64_t micros, char *out) {
  int64_t days = fl_floor_div(micros, 86400000000LL);
  int64_t rem = micros - days * 86400000000LL;
  int64_t y;
  unsigned m, d;
  fl_civil_from_days(days, &y, &m, &d);
  unsigned secs = (unsigned)(rem / 1000000);
  unsigned frac = (unsigned)(rem % 1000000);
  int n = snprintf(out, FL_TS_TEXT_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, m, d, secs / 3600,
                   secs / 60 % 60, secs % 60);
  if (frac % 1000 == 0 && frac)
    n += snprintf(out + n, FL_TS_TEXT_MAX - (size_t)n, ".%03u", frac / 1000);
  else if (frac)
    n += snprintf(out + n, FL_TS_TEXT_MAX - (size_t)n, ".%06u", frac);
  out[n++] = 'Z';
  out[n] = '\0';
  return (size_t)n;
}

size_t fl_time_format(int64_t micros, char *out) {
  micros %= 86400000000LL; /* readers check the range; stay within the buffer anyway */
  if (micros < 0) micros += 86400000000LL;
  unsigned secs = (unsigned)(micros / 1000000), frac = (unsigned)(micros % 1000000);
  int n = snprintf(out, FL_TIME_TEXT_MAX, "%02u:%02u:%02u", secs / 3600, secs / 60 % 60, secs % 60);
  if (frac % 1000 == 0 && frac)
    n += snprintf(out + n, FL_TIME_TEXT_MAX - (size_t)n, ".%03u", frac / 1000);
  else if (frac)
    n += snprintf(out + n, FL_TIME_TEXT_MAX - (size_t)n, ".%06u", frac);
  return (size_t)n;
}

bool fl_time_parse(const char *s, size_t n, int64_t *micros) {
  if (n < 8 || s[2] != ':' || s[5] != ':') return false;
  unsigned v[3];
  for (int k = 0; k < 3; k++) {
    char a = s[3 * k], b = s[3 * k + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9') return false;
    v[k] = (unsigned)(a - '0') * 10 + (unsigned)(b - '0');
  }
  if (v[0] > 23 || v[1] > 59 || v[2] > 59) return false;
  int64_t frac = 0;
  size_t i = 8;
  if (i < n) {
    if (s[i++] != '.' || i == n || n - i > 6) return false;
    unsigned digits = 0;
    for (; i < n; i++, digits++) {
      if (s[i] < '0' || s[i] > '9') return false;
      frac = frac * 10 + (s[i] - '0');
    }
    for (; digits < 6; digits++) frac *= 10;
  }
  *micros = ((int64_t)v[0] * 3600 + v[1] * 60 + v[2]) * 1000000 + frac;
  return true;
}

size_t fl_ts_ns_format(int64_t nanos, char *out) {
  int64_t secs = fl_floor_div(nanos, 1000000000LL);
  unsigned frac = (unsigned)(nanos - secs * 1000000000LL);
  if (frac % 1000 == 0) return fl_ts_format(fl_floor_div(nanos, 1000), out);
  size_t n = fl_ts_format(secs * 1000000, out) - 1; /* without its Z */
  n += (size_t)snprintf(out + n, FL_TS_TEXT_MAX - n, ".%09uZ", frac);
  return n;
}

int64_t fl_now_micros(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t fl_now_ms(void) { return fl_now_micros() / 1000; }

int64_t fl_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
