/* mem: counted allocation with failure injection, and arenas.
 *
 * Every fl_malloc'd block carries a 16-byte header holding its size, so fl_free can
 * keep fl_mem_bytes_live() exact without asking the allocator. The counter is atomic:
 * the log thread and the event loops allocate concurrently.
 *
 * Arena blocks are chained newest-first; an allocation larger than the block size
 * gets a block of its own. reset() frees every block but the oldest (usually the
 * one of the arena's normal size), so steady-state reuse allocates nothing. */
#include "core/mem.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

enum { HDR = 16 };

static _Atomic int64_t bytes_live;
static _Atomic int64_t fail_countdown = -1;

static bool should_fail(void) {
  int64_t n = atomic_load(&fail_countdown);
  if (n < 0) return false;
  if (n == 0) return true;
  atomic_fetch_sub(&fail_countdown, 1);
  return false;
}

void fl_mem_fail_after(int64_t n) { atomic_store(&fail_countdown, n); }
int64_t fl_mem_bytes_live(void) { return atomic_load(&bytes_live); }

void *fl_malloc_try(size_t size) {
  if (should_fail()) return NULL;
  uint8_t *p = malloc(size + HDR);
  if (!p) return NULL;
  memcpy(p, &size, sizeof size);
  atomic_fetch_add(&bytes_live, (int64_t)size);
  return p + HDR;
}

void *fl_realloc_try(void *ptr, size_t size) {
  if (!ptr) return fl_malloc_try(size);
  if (should_fail()) return NULL;
  uint8_t *base = (uint8_t *)ptr - HDR;
  size_t old;
  memcpy(&old, base, sizeof old);
  uint8_t *p = realloc(base, size + HDR);
  if (!p) return NULL;
  memcpy(p, &size, sizeof size);
  atomic_fetch_add(&bytes_live, (int64_t)size - (int64_t)old);
  return p + HDR;
}

static _Noreturn void oom(size_t size) {
  fprintf(stderr, "floe: out of memory allocating %zu bytes\n", size);
  abort();
}

void *fl_malloc(size_t size) {
  void *p = fl_malloc_try(size);
  if (!p) oom(size);
  return p;
}

void *fl_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) oom(SIZE_MAX);
  void *p = fl_malloc(n * size);
  memset(p, 0, n * size);
  return p;
}

void *fl_realloc(void *ptr, size_t size) {
  void *p = fl_realloc_try(ptr, size);
  if (!p) oom(size);
  return p;
}

void fl_free(void *ptr) {
  if (!ptr) return;
  uint8_t *base = (uint8_t *)ptr - HDR;
  size_t size;
  memcpy(&size, base, sizeof size);
  atomic_fetch_sub(&bytes_live, (int64_t)size);
  free(base);
}

char *fl_strndup(const char *s, size_t n) {
  char *p = fl_malloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *fl_strdup(const char *s) { return fl_strndup(s, strlen(s)); }

char *fl_sprintf(const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  FL_ASSERT(n >= 0);
  char *p = fl_malloc((size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return p;
}

struct fl_arena_block {
  fl_arena_block *next;
  size_t size;
  size_t used;
  _Alignas(16) uint8_t data[];
};

void fl_arena_init(fl_arena *arena, size_t block_bytes) {
  arena->head = NULL;
  arena->block_bytes = block_bytes ? block_bytes : 64 * 1024;
  arena->bytes_used = 0;
}

void *fl_arena_alloc(fl_arena *arena, size_t size) {
  size_t need = (size + 15) & ~(size_t)15;
  fl_arena_block *blk = arena->head;
  if (!blk || blk->size - blk->used < need) {
    size_t bsize = need > arena->block_bytes ? need : arena->block_bytes;
    blk = fl_malloc(sizeof *blk + bsize);
    blk->size = bsize;
    blk->used = 0;
    if (arena->head && need > arena->block_bytes) {
      /* an oversize block goes behind the current one, which keeps its free space */
      blk->next = arena->head->next;
      arena->head->next = blk;
    } else {
      blk->next = arena->head;
      arena->head = blk;
    }
  }
  void *p = blk->data + blk->used;
  blk->used += need;
  arena->bytes_used += need;
  return p;
}

void *fl_arena_calloc(fl_arena *arena, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) oom(SIZE_MAX);
  void *p = fl_arena_alloc(arena, n * size);
  memset(p, 0, n * size);
  return p;
}

void *fl_arena_memdup(fl_arena *arena, const void *src, size_t n) {
  void *p = fl_arena_alloc(arena, n ? n : 1);
  if (n) memcpy(p, src, n);
  return p;
}

char *fl_arena_strndup(fl_arena *arena, const char *s, size_t n) {
  char *p = fl_arena_alloc(arena, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *fl_arena_strdup(fl_arena *arena, const char *s) { return fl_arena_strndup(arena, s, strlen(s)); }

char *fl_arena_sprintf(fl_arena *arena, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  FL_ASSERT(n >= 0);
  char *p = fl_arena_alloc(arena, (size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return p;
}

void fl_arena_reset(fl_arena *arena) {
  fl_arena_block *blk = arena->head, *keep = NULL;
  while (blk) {
    fl_arena_block *next = blk->next;
    if (!next)
      keep = blk; /* the oldest block */
    else
      fl_free(blk);
    blk = next;
  }
  if (keep) {
    keep->used = 0;
    keep->next = NULL;
  }
  arena->head = keep;
  arena->bytes_used = 0;
}

void fl_arena_destroy(fl_arena *arena) {
  fl_arena_block *blk = arena->head;
  while (blk) {
    fl_arena_block *next = blk->next;
    fl_free(blk);
    blk = next;
  }
  arena->head = NULL;
  arena->bytes_used = 0;
}
