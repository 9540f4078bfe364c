/* mem: every allocation in floe goes through here.
 *
 * fl_malloc/fl_calloc/fl_realloc/fl_free count live bytes (for metrics) and can be
 * made to fail after N allocations (fl_mem_fail_after) to test out-of-memory paths.
 * They abort on real exhaustion only when fail injection is off: floe treats OOM as
 * fatal for the process (like PostgreSQL's ereport(FATAL)), except where a caller
 * uses the _try variants.
 *
 * fl_arena: a bump allocator with a named lifetime (process, table, query, batch).
 * Allocations are freed together by fl_arena_reset (keeps the first block for reuse)
 * or fl_arena_destroy. Hot paths allocate from arenas, never per record. */
#ifndef FL_CORE_MEM_H
#define FL_CORE_MEM_H

#include <stddef.h>
#include <stdint.h>

void *fl_malloc(size_t size);
void *fl_calloc(size_t n, size_t size);
void *fl_realloc(void *ptr, size_t size);
void fl_free(void *ptr);
char *fl_strdup(const char *s);
char *fl_strndup(const char *s, size_t n);
/* printf into a new fl_malloc'd string */
char *fl_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The _try variants return NULL instead of aborting. */
void *fl_malloc_try(size_t size);
void *fl_realloc_try(void *ptr, size_t size);

/* memcpy of a short value (a string of a batch: ids, codes, names): 4..16 bytes as two
 * overlapping fixed-size moves, never touching a byte outside [src, src + n) or
 * [dst, dst + n); the libc call costs more than such a copy. */
static inline void fl_memcpy_short(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    __builtin_memcpy(&a, s, 8);
    __builtin_memcpy(&b, s + n - 8, 8);
    __builtin_memcpy(d, &a, 8);
    __builtin_memcpy(d + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    __builtin_memcpy(&a, s, 4);
    __builtin_memcpy(&b, s + n - 4, 4);
    __builtin_memcpy(d, &a, 4);
    __builtin_memcpy(d + n - 4, &b, 4);
  } else {
    __builtin_memcpy(d, s, n);
  }
}

int64_t fl_mem_bytes_live(void);
/* After n more successful allocations, _try calls fail and plain ones abort. -1 = off. */
void fl_mem_fail_after(int64_t n);

typedef struct fl_arena_block fl_arena_block;
typedef struct fl_arena {
  fl_arena_block *head; /* current block; older blocks chained behind it */
  size_t block_bytes;   /* size of the next block to allocate */
  size_t bytes_used;    /* sum over blocks, for diagnostics */
} fl_arena;

void fl_arena_init(fl_arena *arena, size_t block_bytes);
void *fl_arena_alloc(fl_arena *arena, size_t size); /* 16-byte aligned */
void *fl_arena_calloc(fl_arena *arena, size_t n, size_t size);
char *fl_arena_strdup(fl_arena *arena, const char *s);
char *fl_arena_strndup(fl_arena *arena, const char *s, size_t n);
void *fl_arena_memdup(fl_arena *arena, const void *p, size_t n);
char *fl_arena_sprintf(fl_arena *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fl_arena_reset(fl_arena *arena); /* frees all but one block, keeps it for reuse */
void fl_arena_destroy(fl_arena *arena);

#endif
