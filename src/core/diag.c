/* diag: one line per diagnostic on stderr, with a UTC timestamp, the level and the
 * module. The level is read once from FLOE_LOG. Lines are written with one fputs
 * so concurrent threads do not interleave within a line. */
#include "core/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"

static int level = -1;

static fl_diag_level level_from_env(void) {
  const char *s = getenv("FLOE_LOG");
  if (!s) return FL_INFO;
  if (!strcmp(s, "debug")) return FL_DEBUG;
  if (!strcmp(s, "warn")) return FL_WARN;
  if (!strcmp(s, "error")) return FL_ERROR;
  return FL_INFO;
}

fl_diag_level fl_diag_get_level(void) {
  if (level < 0) level = (int)level_from_env();
  return (fl_diag_level)level;
}

void fl_diag_set_level(fl_diag_level lvl) { level = (int)lvl; }

void fl_diag(fl_diag_level lvl, const char *module, const char *fmt, ...) {
  if ((int)lvl < (int)fl_diag_get_level()) return;
  static const char *names[] = {"debug", "info ", "warn ", "error"};
  char line[2048];
  char ts[FL_TS_TEXT_MAX];
  int64_t now = fl_now_micros();
  fl_ts_format(now - now % 1000, ts);
  int n = snprintf(line, sizeof line, "%s %s %s: ", ts, names[lvl], module);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < sizeof line) n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof line - 1) n = (int)sizeof line - 2;
  line[n] = '\n';
  line[n + 1] = '\0';
  fputs(line, stderr);
}
