/* events_split: the piece splitter of the events route (events_split.h). Pure functions
 * of the body's bytes: no allocation, no state. server_events.c calls them with
 * FL_INGEST_CHUNK_BYTES; events_split_fuzz.c checks them against a reference scan
 * (the pieces cover the body exactly, no cut inside a string, element counts add up). */
#include "ingest/events_split.h"

#include <stdbool.h>
#include <string.h>

size_t srv_piece_end(const char *body, size_t off, size_t len, size_t chunk) {
  if (len - off <= chunk) return len;
  const char *nl = memchr(body + off + chunk, '\n', len - off - chunk);
  return nl ? (size_t)(nl - body) + 1 : len;
}

size_t srv_array_scan(const char *b, size_t from, size_t len, size_t chunk, uint32_t *n) {
  int depth = 0;
  bool in_elem = false;
  *n = 0;
  for (size_t i = from; i < len; i++) {
    char c = b[i];
    switch (c) {
      case '"':
        for (i++; i < len && b[i] != '"'; i++)
          if (b[i] == '\\') i++;
        in_elem = true;
        break;
      case '{':
      case '[':
        depth++;
        in_elem = true;
        break;
      case '}':
      case ']':
        if (depth > 0) {
          depth--;
          break;
        }
        if (c == '}') return SIZE_MAX;
        *n += in_elem;
        return i;
      case ',':
        if (depth == 0) {
          (*n)++;
          in_elem = false;
          if (i - from >= chunk) return i;
        }
        break;
      case ' ':
      case '\t':
      case '\r':
      case '\n': break;
      default: in_elem = true;
    }
  }
  return SIZE_MAX;
}
