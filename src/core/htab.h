/* htab: the one hash table of byte-string keys, for the executor's aggregates and joins
 * and the stream job's dedupe.
 *
 * Keys are byte strings (callers encode typed keys; sql/exec_key.c does it for rows).
 * Each distinct key gets a dense entry id 0, 1, 2, ... in insertion order, so a caller
 * keeps its per-key state in plain arrays indexed by entry id (aggregate states, the
 * head of a join's chain of build rows), or in the entry's payload: payload_bytes
 * zeroed bytes stored beside the key, 8-byte aligned, whose address never moves.
 *
 * Layout: open addressing with linear probing over a power-of-two slot array; a slot is
 * a u64 (high 32 bits of the key's xxh3 hash | entry id + 1), 0 = empty, so a probe
 * compares hash tags in the slot array and touches a key only on a tag match. The
 * table doubles when it is half full (linear probing stays short below 1/2). An entry
 * is 32 bytes: the full hash (for regrowth), the key length, and the key itself when it
 * has at most FL_HTAB_INLINE bytes (a BIGINT row key is 9), else its address: so a
 * lookup of a short key costs the slot and the entry, two cache lines. Longer keys and
 * payloads live in 256 KiB blocks (an arena of the table's own: no per-key malloc).
 *
 * Vectorised use: hash a batch of keys with fl_htab_hash_many, then insert or look
 * them up with fl_htab_upsert_many / fl_htab_find_many (one pass, prefetching the
 * slot of a key a few rows ahead).
 *
 * Memory: fl_htab_bytes() is what the table holds now (slots, entry arrays, blocks):
 * the executor charges it against a query's budget. */
#ifndef FL_CORE_HTAB_H
#define FL_CORE_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_HTAB_NONE UINT32_MAX

typedef struct fl_htab_block fl_htab_block;

enum { FL_HTAB_INLINE = 16 };

typedef struct fl_htab_entry {
  uint64_t hash;
  uint32_t len;
  uint32_t pad_;
  union {
    uint8_t inl[FL_HTAB_INLINE]; /* len <= FL_HTAB_INLINE */
    uint8_t *ptr;                /* longer keys, in a block */
  } key;
} fl_htab_entry;

typedef struct fl_htab {
  uint64_t *slots;
  uint32_t mask; /* slots - 1 */
  uint32_t count;
  uint32_t ecap;
  uint32_t payload_bytes;
  uint64_t seed;
  fl_htab_entry *ents; /* [count] */
  uint8_t **payloads;  /* [count] when payload_bytes > 0 */
  fl_htab_block *blocks;
  size_t block_used, block_cap;
  size_t bytes;
} fl_htab;

/* seed: 0 normally; a spilled partition re-hashes with another seed. */
void fl_htab_init(fl_htab *ht, uint32_t payload_bytes, uint64_t seed);
void fl_htab_free(fl_htab *ht);
/* Forgets every key, keeps the slot array. */
void fl_htab_clear(fl_htab *ht);

uint64_t fl_htab_hash(const fl_htab *ht, const void *key, uint32_t len);
void fl_htab_hash_many(const fl_htab *ht, const uint8_t *const *keys, const uint32_t *lens, uint32_t n,
                       uint64_t *hashes);
/* The entry of key, inserting it if absent (*inserted says which). */
uint32_t fl_htab_upsert(fl_htab *ht, uint64_t hash, const void *key, uint32_t len, bool *inserted);
/* The entry of key or FL_HTAB_NONE. */
uint32_t fl_htab_find(const fl_htab *ht, uint64_t hash, const void *key, uint32_t len);
/* n keys at once: ids[i] = entry of keys[i]; returns how many were new. A NULL keys[i]
 * is skipped (ids[i] = FL_HTAB_NONE). */
uint32_t fl_htab_upsert_many(fl_htab *ht, const uint8_t *const *keys, const uint32_t *lens,
                             const uint64_t *hashes, uint32_t n, uint32_t *ids);
void fl_htab_find_many(const fl_htab *ht, const uint8_t *const *keys, const uint32_t *lens,
                       const uint64_t *hashes, uint32_t n, uint32_t *ids);

static inline uint32_t fl_htab_count(const fl_htab *ht) { return ht->count; }
/* An entry's key: valid until the next insert (a short key lives in the entry array). */
static inline const uint8_t *fl_htab_key(const fl_htab *ht, uint32_t id, uint32_t *len) {
  const fl_htab_entry *e = &ht->ents[id];
  *len = e->len;
  return e->len <= FL_HTAB_INLINE ? e->key.inl : e->key.ptr;
}
static inline uint64_t fl_htab_entry_hash(const fl_htab *ht, uint32_t id) { return ht->ents[id].hash; }
void *fl_htab_payload(const fl_htab *ht, uint32_t id);
static inline size_t fl_htab_bytes(const fl_htab *ht) { return ht->bytes; }

#endif
