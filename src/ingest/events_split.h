/* events_split: how the events route cuts a large body into pieces (server_events.c),
 * in a header of its own so the fuzz target (events_split_fuzz.c) reaches the same
 * code the route runs. Not for other modules. The route passes chunk =
 * FL_INGEST_CHUNK_BYTES; the fuzz target passes small ones to reach every cut.
 *
 *   NDJSON: for (off = 0; off < len; off = end) end = srv_piece_end(body, off, len, chunk);
 *           a piece is parsed in place, NDJSON only (a piece may begin with any line).
 *   array:  from = just after '['; stop = srv_array_scan(body, from, len, chunk, &n);
 *           the piece is "[" body[from, stop) "]" with n elements, the next begins at
 *           stop + 1; the last (body[stop] == ']' or stop == SIZE_MAX) is "[" body[from,
 *           len), which keeps the ']' and what follows it for the parser to judge. */
#ifndef FL_INGEST_EVENTS_SPLIT_H
#define FL_INGEST_EVENTS_SPLIT_H

#include <stddef.h>
#include <stdint.h>

/* The end of the NDJSON piece starting at off: just after the first newline at or past
 * off + chunk, or len (the end of the body). Always > off when off < len. */
size_t srv_piece_end(const char *body, size_t off, size_t len, size_t chunk);

/* A JSON array's top-level elements from `from` (just after '[' or a ','): returns the
 * offset of the ',' that ends a piece of >= chunk bytes, or of the array's ']', with *n
 * the elements before it (a ',' counts the element it ends, even an empty one; the ']'
 * counts the last one if it holds a non-blank byte); SIZE_MAX when the text is not a
 * balanced array (the rest is then one piece, and the parser says what is wrong).
 * Strings are skipped with their escapes, so brackets and commas inside them do not
 * count; '{' '[' and '}' ']' are not told apart (the parser checks that). */
size_t srv_array_scan(const char *body, size_t from, size_t len, size_t chunk, uint32_t *n);

#endif
