/* error_text.c: what makes a query error teach (sql.h): the caret under the offending
 * column (fl_sql_error_caret) and the closest name to a misspelt one (fl_sql_closest,
 * used by the binder for columns, tables and functions, and by the parser for clause
 * keywords read as aliases).
 *
 * Every positioned error in src/sql starts "line L, column C: " with C counted in code
 * points (lexer.c); the caret line repeats the query's line L and puts '^' under code
 * point C, copying tabs so a terminal lines them up the same way.
 *
 * Ownership: writes into the caller's fl_buf; nothing kept. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/sql.h"

/* Lines longer than this are shown as a window of it around the caret. */
#define CARET_LINE_MAX 160

void fl_sql_error_caret(const char *text, size_t len, const char *msg, fl_buf *out) {
  unsigned line = 0, col = 0;
  if (!msg || sscanf(msg, "line %u, column %u:", &line, &col) != 2 || line == 0 || col == 0) return;
  size_t at = 0;
  for (unsigned l = 1; l < line; l++) {
    const char *nl = memchr(text + at, '\n', len - at);
    if (!nl) return;
    at = (size_t)(nl - text) + 1;
  }
  size_t end = at;
  while (end < len && text[end] != '\n' && text[end] != '\r') end++;
  /* the byte offset of code point col (1-based) */
  size_t caret = at;
  for (unsigned c = 1; c < col && caret < end; c++) {
    caret++;
    while (caret < end && ((unsigned char)text[caret] & 0xC0) == 0x80) caret++;
  }
  size_t from = at;
  if (end - at > CARET_LINE_MAX && caret - at > CARET_LINE_MAX / 2) {
    from = caret - CARET_LINE_MAX / 2;
    while (from < caret && ((unsigned char)text[from] & 0xC0) == 0x80) from++;
  }
  size_t to = end - from > CARET_LINE_MAX ? from + CARET_LINE_MAX : end;
  while (to > caret && to < end && ((unsigned char)text[to] & 0xC0) == 0x80) to--;
  if (from > at) fl_buf_puts(out, "...");
  fl_buf_append(out, text + from, to - from);
  if (to < end) fl_buf_puts(out, "...");
  fl_buf_put_u8(out, '\n');
  if (from > at) fl_buf_puts(out, "   ");
  for (size_t i = from; i < caret; i++) {
    unsigned char ch = (unsigned char)text[i];
    if ((ch & 0xC0) == 0x80) continue;
    fl_buf_put_u8(out, ch == '\t' ? '\t' : ' ');
  }
  fl_buf_puts(out, "^\n");
}

/* Edit distance (optimal string alignment: insert, delete, substitute, swap two
 * neighbours, each 1, so "form" is 1 from "from"), case-insensitive, of two short names
 * (names are at most FL_NAME_MAX bytes; longer inputs are not close to anything). */
#define NAME_CMP_MAX 64

static unsigned distance(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  if (na > NAME_CMP_MAX || nb > NAME_CMP_MAX) return 1000;
  static _Thread_local unsigned d[NAME_CMP_MAX + 1][NAME_CMP_MAX + 1];
  for (size_t i = 0; i <= na; i++) d[i][0] = (unsigned)i;
  for (size_t j = 0; j <= nb; j++) d[0][j] = (unsigned)j;
  for (size_t i = 1; i <= na; i++) {
    int ca = tolower((unsigned char)a[i - 1]);
    for (size_t j = 1; j <= nb; j++) {
      int cb = tolower((unsigned char)b[j - 1]);
      unsigned best = d[i - 1][j - 1] + (ca != cb);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  }
  return d[na][nb];
}

const char *fl_sql_closest(const char *name, const char *const *candidates, uint32_t n) {
  size_t len = strlen(name);
  unsigned limit = len / 3 > 1 ? (unsigned)(len / 3) : 1;
  const char *best = NULL;
  unsigned best_d = limit + 1;
  for (uint32_t i = 0; i < n; i++) {
    if (!candidates[i]) continue;
    unsigned d = distance(name, candidates[i]);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best;
}
