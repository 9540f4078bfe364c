/* cache: the process's parsed metadata files, shared by every table handle, scan and
 * thread, so a query does not re-read and re-parse the metadata JSON, manifest list and
 * manifests of a snapshot that has not changed.
 *
 * Why it is safe: Iceberg never rewrites these files. A commit writes new ones under
 * new names (metadata NNNNN-<uuid>.metadata.json, snap-<id>-<n>-<uuid>.avro,
 * <uuid>-mN.avro) and swaps the catalog pointer; so a parsed file, keyed by its path, is
 * immutable, and the snapshot a query sees is (metadata at the pointer it read) plus
 * the manifests that metadata names. As a guard against a file replaced under the same
 * name (a foreign writer's vN.metadata.json, a table dropped and re-created by hand),
 * an entry also keeps the file's inode, size and mtime, compared (one stat) at each
 * lookup: a changed file is parsed again.
 *
 * Entries: kind (metadata, manifest list, manifest), path, the parsed object in its
 * own arena, its bytes, a reference count (the cache holds one; every user that pins
 * it one more) and a last-use tick. Lookup and insertion run under one mutex; parsing
 * runs outside it (two threads missing the same file both parse, the second insertion
 * keeps the first entry). When the entries' bytes exceed the budget
 * (FL_TABLE_CACHE_BYTES, fl_table_cache_set_budget), the least recently used entries
 * nobody pins are dropped; a pinned entry outlives its eviction until unpinned.
 *
 *   fl_tcache_meta(path)          -> fl_tmeta (ref'd: release with fl_tmeta_free)
 *   fl_tcache_manifest_list(path) -> manifest files, pinned in a fl_tcache_pins
 *   fl_tcache_manifest(path)      -> entries, pinned likewise
 *   fl_tcache_posdel(path)        -> a position delete file's (data file, pos) pairs
 *                                    (read by scan.c's loader), pinned likewise
 *   fl_tcache_pins_release(pins)  when the scan that read them is freed
 * Budget 0 disables the cache (every call reads and parses, as before it existed). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "table/table_int.h"

enum { KIND_META = 1, KIND_LIST, KIND_MANIFEST, KIND_POSDEL };
enum { NBUCKETS = 1024 }; /* chains stay short for the few thousand files a process reads */

typedef struct centry {
  int kind;
  char *path;
  uint64_t hash;
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  atomic_uint refs;
  bool cached; /* still reachable from the table (not evicted) */
  uint64_t tick;
  size_t bytes;
  fl_tmeta *meta; /* KIND_META: holds one reference of the tmeta */
  fl_arena arena; /* KIND_LIST, KIND_MANIFEST */
  void *items;
  uint32_t n;
  struct centry *next;
} centry;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static centry *buckets[NBUCKETS];
static size_t bytes_total;
static size_t budget = FL_TABLE_CACHE_BYTES;
static uint64_t ticks;
static fl_table_cache_stats stats;

static void entry_free(centry *e) {
  if (e->kind == KIND_META)
    fl_tmeta_free(e->meta);
  else
    fl_arena_destroy(&e->arena);
  fl_free(e->path);
  fl_free(e);
}

static void unref(centry *e) {
  if (atomic_fetch_sub(&e->refs, 1) == 1) entry_free(e);
}

/* Drops least recently used unpinned entries until the bytes fit (under mu). */
static void evict(void) {
  while (bytes_total > budget) {
    centry **victim = NULL;
    for (uint32_t b = 0; b < NBUCKETS; b++)
      for (centry **p = &buckets[b]; *p; p = &(*p)->next)
        if (atomic_load(&(*p)->refs) == 1 && (!victim || (*p)->tick < (*victim)->tick)) victim = p;
    if (!victim) return; /* everything pinned */
    centry *e = *victim;
    *victim = e->next;
    bytes_total -= e->bytes;
    e->cached = false;
    stats.evictions++;
    unref(e);
  }
}

/* The entry for path if its file is unchanged, ref'd; NULL otherwise (a changed file's
 * entry is dropped). */
static centry *lookup(int kind, const char *path, uint64_t h, const struct stat *st) {
  centry *found = NULL;
  pthread_mutex_lock(&mu);
  for (centry **p = &buckets[h % NBUCKETS]; *p; p = &(*p)->next) {
    centry *e = *p;
    if (e->hash != h || e->kind != kind || strcmp(e->path, path)) continue;
    if (e->ino == st->st_ino && e->dev == st->st_dev && e->size == st->st_size &&
        e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec) {
      atomic_fetch_add(&e->refs, 1);
      e->tick = ++ticks;
      found = e;
      stats.hits++;
    } else { /* replaced under the same name */
      *p = e->next;
      bytes_total -= e->bytes;
      e->cached = false;
      unref(e);
    }
    break;
  }
  if (!found) stats.misses++;
  pthread_mutex_unlock(&mu);
  return found;
}

/* Inserts e (refs = 2: the cache's and the caller's), or returns the entry another
 * thread inserted meanwhile (ref'd) and frees e. */
static centry *insert(centry *e) {
  pthread_mutex_lock(&mu);
  for (centry *o = buckets[e->hash % NBUCKETS]; o; o = o->next)
    if (o->hash == e->hash && o->kind == e->kind && !strcmp(o->path, e->path) && o->ino == e->ino &&
        o->size == e->size) {
      atomic_fetch_add(&o->refs, 1);
      pthread_mutex_unlock(&mu);
      entry_free(e);
      return o;
    }
  atomic_store(&e->refs, 2);
  e->cached = true;
  e->tick = ++ticks;
  e->next = buckets[e->hash % NBUCKETS];
  buckets[e->hash % NBUCKETS] = e;
  bytes_total += e->bytes;
  evict();
  pthread_mutex_unlock(&mu);
  return e;
}

static centry *entry_new(int kind, const char *path, uint64_t h, const struct stat *st) {
  centry *e = fl_calloc(1, sizeof *e);
  e->kind = kind;
  e->path = fl_strdup(path);
  e->hash = h;
  e->dev = st->st_dev;
  e->ino = st->st_ino;
  e->size = st->st_size;
  e->mtime = st->st_mtim;
  return e;
}

static bool enabled(void) {
  pthread_mutex_lock(&mu);
  bool on = budget > 0;
  pthread_mutex_unlock(&mu);
  return on;
}

fl_code fl_tcache_meta(const char *path, fl_tmeta **out, fl_err *err) {
  struct stat st;
  if (!enabled() || stat(path, &st)) return fl_tmeta_read(path, out, err);
  uint64_t h = fl_hash64(path, strlen(path));
  centry *e = lookup(KIND_META, path, h, &st);
  if (!e) {
    fl_tmeta *meta;
    fl_code rc = fl_tmeta_read(path, &meta, err);
    if (rc) return rc;
    e = entry_new(KIND_META, path, h, &st);
    e->meta = meta;
    e->bytes = meta->arena.bytes_used + (size_t)st.st_size * 3; /* the jansson tree: ~3x the text */
    e = insert(e);
  }
  fl_tmeta_ref(e->meta);
  unref(e); /* the caller holds the tmeta, not the entry */
  *out = e->meta;
  return FL_OK;
}

typedef fl_code (*loader_fn)(const char *path, fl_arena *arena, void **items, uint32_t *n, fl_err *err);

static fl_code load_list(const char *path, fl_arena *arena, void **items, uint32_t *n, fl_err *err) {
  return fl_manifest_list_read(path, arena, (fl_manifest_file **)items, n, err);
}

static fl_code load_manifest(const char *path, fl_arena *arena, void **items, uint32_t *n, fl_err *err) {
  return fl_manifest_read(path, arena, (fl_manifest_entry **)items, n, err);
}

static fl_code pinned(int kind, const char *path, fl_tcache_pins *pins, loader_fn load, void **items,
                      uint32_t *n, fl_err *err) {
  struct stat st;
  bool on = enabled();
  if (on && stat(path, &st)) on = false; /* let the reader report the error */
  uint64_t h = fl_hash64(path, strlen(path));
  centry *e = on ? lookup(kind, path, h, &st) : NULL;
  if (!e) {
    e = on ? entry_new(kind, path, h, &st) : entry_new(kind, path, h, &(struct stat){0});
    fl_arena_init(&e->arena, 16384);
    fl_code rc = load(path, &e->arena, &e->items, &e->n, err);
    if (rc) {
      entry_free(e);
      return rc;
    }
    e->bytes = e->arena.bytes_used + sizeof *e;
    if (on)
      e = insert(e);
    else
      atomic_store(&e->refs, 1); /* the pin's only */
  }
  if (pins->n == pins->cap) {
    pins->cap = pins->cap ? pins->cap * 2 : 16;
    pins->entries = fl_realloc(pins->entries, pins->cap * sizeof *pins->entries);
  }
  pins->entries[pins->n++] = e;
  *items = e->items;
  *n = e->n;
  return FL_OK;
}

fl_code fl_tcache_manifest_list(const char *path, fl_tcache_pins *pins, const fl_manifest_file **files,
                                uint32_t *n, fl_err *err) {
  void *items;
  fl_code rc = pinned(KIND_LIST, path, pins, load_list, &items, n, err);
  if (!rc) *files = items;
  return rc;
}

fl_code fl_tcache_manifest(const char *path, fl_tcache_pins *pins, const fl_manifest_entry **entries,
                           uint32_t *n, fl_err *err) {
  void *items;
  fl_code rc = pinned(KIND_MANIFEST, path, pins, load_manifest, &items, n, err);
  if (!rc) *entries = items;
  return rc;
}

fl_code fl_tcache_posdel(const char *path, fl_tcache_pins *pins, fl_tcache_posdel_loader load,
                         const fl_posdel **dels, uint32_t *n, fl_err *err) {
  void *items;
  fl_code rc = pinned(KIND_POSDEL, path, pins, load, &items, n, err);
  if (!rc) *dels = items;
  return rc;
}

void fl_tcache_pins_release(fl_tcache_pins *pins) {
  for (uint32_t i = 0; i < pins->n; i++) unref(pins->entries[i]);
  fl_free(pins->entries);
  memset(pins, 0, sizeof *pins);
}

void fl_table_cache_set_budget(size_t bytes) {
  pthread_mutex_lock(&mu);
  budget = bytes;
  evict();
  pthread_mutex_unlock(&mu);
}

void fl_table_cache_get_stats(fl_table_cache_stats *out) {
  pthread_mutex_lock(&mu);
  *out = stats;
  out->bytes = bytes_total;
  out->entries = 0;
  for (uint32_t b = 0; b < NBUCKETS; b++)
    for (centry *e = buckets[b]; e; e = e->next) out->entries++;
  pthread_mutex_unlock(&mu);
}
