/* htab.c: open addressing over xxh3 hashes of byte keys (core/htab.h has the design).
 *
 * Invariants: count <= (mask + 1) / 2 after every insert; a slot holds
 * (hash >> 32) << 32 | (id + 1), so a slot is 0 only when empty; ids are dense and
 * ents (and payloads) have count valid elements. Nothing is ever deleted
 * (fl_htab_clear forgets everything at once), so probing needs no tombstones. */
#include "core/htab.h"

#include <string.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/mem.h"

/* A block of keys and payloads: 256 KiB amortises malloc to nothing per key and wastes
 * little for small tables (a dedupe window of a few keys). */
enum { BLOCK_BYTES = 256u << 10, INITIAL_SLOTS = 64 };

struct fl_htab_block {
  fl_htab_block *next;
  size_t size;
  uint8_t data[];
};

void fl_htab_init(fl_htab *ht, uint32_t payload_bytes, uint64_t seed) {
  memset(ht, 0, sizeof *ht);
  ht->payload_bytes = payload_bytes;
  ht->seed = seed;
  ht->slots = fl_calloc(INITIAL_SLOTS, sizeof *ht->slots);
  ht->mask = INITIAL_SLOTS - 1;
  ht->bytes = INITIAL_SLOTS * sizeof *ht->slots;
}

static void free_blocks(fl_htab *ht) {
  for (fl_htab_block *b = ht->blocks, *next; b; b = next) {
    next = b->next;
    fl_free(b);
  }
  ht->blocks = NULL;
  ht->block_used = ht->block_cap = 0;
}

void fl_htab_free(fl_htab *ht) {
  free_blocks(ht);
  fl_free(ht->slots);
  fl_free(ht->ents);
  fl_free(ht->payloads);
  memset(ht, 0, sizeof *ht);
}

void fl_htab_clear(fl_htab *ht) {
  free_blocks(ht);
  memset(ht->slots, 0, ((size_t)ht->mask + 1) * sizeof *ht->slots);
  ht->count = 0;
  ht->bytes = ((size_t)ht->mask + 1) * sizeof *ht->slots +
              (size_t)ht->ecap * (sizeof *ht->ents + (ht->payloads ? sizeof *ht->payloads : 0));
}

uint64_t fl_htab_hash(const fl_htab *ht, const void *key, uint32_t len) {
  return ht->seed ? fl_hash64_seed(key, len, ht->seed) : fl_hash64(key, len);
}

void fl_htab_hash_many(const fl_htab *ht, const uint8_t *const *keys, const uint32_t *lens, uint32_t n,
                       uint64_t *hashes) {
  for (uint32_t i = 0; i < n; i++) hashes[i] = keys[i] ? fl_htab_hash(ht, keys[i], lens[i]) : 0;
}

static inline size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

void *fl_htab_payload(const fl_htab *ht, uint32_t id) {
  FL_ASSERT(id < ht->count && ht->payload_bytes, "entry %u of %u", id, ht->count);
  return ht->payloads[id];
}

/* Room for a long key and/or a payload in the blocks: key bytes, then the payload at the
 * next multiple of 8 (zeroed). */
static uint8_t *store(fl_htab *ht, const void *key, uint32_t len) {
  size_t need = align8(len) + align8(ht->payload_bytes);
  if (need == 0) need = 8;
  if (ht->block_used + need > ht->block_cap) {
    size_t size = need > BLOCK_BYTES ? need : BLOCK_BYTES;
    fl_htab_block *b = fl_malloc(sizeof *b + size);
    b->size = size;
    b->next = ht->blocks;
    ht->blocks = b;
    ht->block_used = 0;
    ht->block_cap = size;
    ht->bytes += sizeof *b + size;
  }
  uint8_t *p = ht->blocks->data + ht->block_used;
  ht->block_used += need;
  if (len) memcpy(p, key, len);
  if (ht->payload_bytes) memset(p + align8(len), 0, ht->payload_bytes);
  return p;
}

static void grow_slots(fl_htab *ht) {
  size_t nslots = ((size_t)ht->mask + 1) * 2;
  FL_ASSERT(nslots <= ((size_t)1 << 32), "hash table of %u keys", ht->count);
  uint64_t *slots = fl_calloc(nslots, sizeof *slots);
  uint32_t mask = (uint32_t)(nslots - 1);
  for (uint32_t id = 0; id < ht->count; id++) {
    uint64_t h = ht->ents[id].hash;
    uint32_t s = (uint32_t)h & mask;
    while (slots[s]) s = (s + 1) & mask;
    slots[s] = (h & 0xffffffff00000000ull) | (uint64_t)(id + 1);
  }
  ht->bytes += (nslots / 2) * sizeof *slots;
  fl_free(ht->slots);
  ht->slots = slots;
  ht->mask = mask;
}

static void grow_entries(fl_htab *ht) {
  uint32_t ncap = ht->ecap ? ht->ecap * 2 : 64;
  FL_ASSERT(ncap > ht->ecap, "hash table entries overflow at %u", ht->ecap);
  ht->ents = fl_realloc(ht->ents, (size_t)ncap * sizeof *ht->ents);
  ht->bytes += (size_t)(ncap - ht->ecap) * sizeof *ht->ents;
  if (ht->payload_bytes) {
    ht->payloads = fl_realloc(ht->payloads, (size_t)ncap * sizeof *ht->payloads);
    ht->bytes += (size_t)(ncap - ht->ecap) * sizeof *ht->payloads;
  }
  ht->ecap = ncap;
}

static inline bool key_eq(const fl_htab *ht, uint32_t id, const void *key, uint32_t len) {
  const fl_htab_entry *e = &ht->ents[id];
  if (e->len != len) return false;
  if (len > FL_HTAB_INLINE) return memcmp(e->key.ptr, key, len) == 0;
  /* short keys: compare in words where the length allows (no library call) */
  const uint8_t *a = e->key.inl, *b = key;
  if (len >= 8) {
    uint64_t x, y, x2, y2;
    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    memcpy(&x2, a + len - 8, 8);
    memcpy(&y2, b + len - 8, 8);
    return x == y && x2 == y2;
  }
  for (uint32_t i = 0; i < len; i++)
    if (a[i] != b[i]) return false;
  return true;
}

uint32_t fl_htab_find(const fl_htab *ht, uint64_t hash, const void *key, uint32_t len) {
  uint64_t tag = hash & 0xffffffff00000000ull;
  for (uint32_t s = (uint32_t)hash & ht->mask;; s = (s + 1) & ht->mask) {
    uint64_t v = ht->slots[s];
    if (!v) return FL_HTAB_NONE;
    if ((v & 0xffffffff00000000ull) == tag) {
      uint32_t id = (uint32_t)v - 1;
      if (key_eq(ht, id, key, len)) return id;
    }
  }
}

uint32_t fl_htab_upsert(fl_htab *ht, uint64_t hash, const void *key, uint32_t len, bool *inserted) {
  uint64_t tag = hash & 0xffffffff00000000ull;
  uint32_t s = (uint32_t)hash & ht->mask;
  for (;; s = (s + 1) & ht->mask) {
    uint64_t v = ht->slots[s];
    if (!v) break;
    if ((v & 0xffffffff00000000ull) == tag) {
      uint32_t id = (uint32_t)v - 1;
      if (key_eq(ht, id, key, len)) {
        *inserted = false;
        return id;
      }
    }
  }
  FL_ASSERT(ht->count < UINT32_MAX - 1, "hash table full");
  if (ht->count == ht->ecap) grow_entries(ht);
  uint32_t id = ht->count++;
  fl_htab_entry *e = &ht->ents[id];
  e->hash = hash;
  e->len = len;
  e->pad_ = 0;
  uint8_t *p = NULL;
  if (len > FL_HTAB_INLINE || ht->payload_bytes) p = store(ht, key, len > FL_HTAB_INLINE ? len : 0);
  if (len > FL_HTAB_INLINE) {
    e->key.ptr = p;
  } else {
    memset(e->key.inl, 0, FL_HTAB_INLINE);
    if (len) memcpy(e->key.inl, key, len);
  }
  if (ht->payload_bytes) ht->payloads[id] = len > FL_HTAB_INLINE ? p + align8(len) : p;
  ht->slots[s] = tag | (uint64_t)(id + 1);
  if ((size_t)ht->count * 2 > (size_t)ht->mask + 1) grow_slots(ht);
  *inserted = true;
  return id;
}

/* Rows ahead whose slot is prefetched: enough to cover a cache miss (~100 ns) with the
 * work of a few probes. */
enum { PREFETCH_AHEAD = 8 };

uint32_t fl_htab_upsert_many(fl_htab *ht, const uint8_t *const *keys, const uint32_t *lens,
                             const uint64_t *hashes, uint32_t n, uint32_t *ids) {
  uint32_t added = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (i + PREFETCH_AHEAD < n)
      __builtin_prefetch(&ht->slots[(uint32_t)hashes[i + PREFETCH_AHEAD] & ht->mask]);
    if (!keys[i]) {
      ids[i] = FL_HTAB_NONE;
      continue;
    }
    bool ins;
    ids[i] = fl_htab_upsert(ht, hashes[i], keys[i], lens[i], &ins);
    added += ins;
  }
  return added;
}

void fl_htab_find_many(const fl_htab *ht, const uint8_t *const *keys, const uint32_t *lens,
                       const uint64_t *hashes, uint32_t n, uint32_t *ids) {
  for (uint32_t i = 0; i < n; i++) {
    if (i + PREFETCH_AHEAD < n)
      __builtin_prefetch(&ht->slots[(uint32_t)hashes[i + PREFETCH_AHEAD] & ht->mask]);
    ids[i] = keys[i] ? fl_htab_find(ht, hashes[i], keys[i], lens[i]) : FL_HTAB_NONE;
  }
}
