/* Unit tests of core/htab: dense ids in insertion order across regrowth, lookups of
 * present and absent keys, keys that differ only in length, payloads that keep their
 * address and contents, the batch calls, and a seed changing the hash. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/htab.h"

Test(htab, dense_ids_survive_growth_and_find_tells_absent_keys) {
  fl_htab ht;
  fl_htab_init(&ht, 8, 0);
  char key[32];
  void *first_payload = NULL;
  for (uint32_t i = 0; i < 100000; i++) {
    int n = snprintf(key, sizeof key, "key-%u", i);
    bool ins;
    uint32_t id = fl_htab_upsert(&ht, fl_htab_hash(&ht, key, (uint32_t)n), key, (uint32_t)n, &ins);
    cr_assert(ins);
    cr_assert_eq(id, i);
    memcpy(fl_htab_payload(&ht, id), &i, 4);
    if (i == 0) first_payload = fl_htab_payload(&ht, 0);
  }
  cr_assert_eq(fl_htab_count(&ht), 100000);
  cr_assert_eq(fl_htab_payload(&ht, 0), first_payload, "payloads do not move");
  for (uint32_t i = 0; i < 100000; i += 7) {
    int n = snprintf(key, sizeof key, "key-%u", i);
    uint32_t id = fl_htab_find(&ht, fl_htab_hash(&ht, key, (uint32_t)n), key, (uint32_t)n);
    cr_assert_eq(id, i);
    uint32_t got;
    memcpy(&got, fl_htab_payload(&ht, id), 4);
    cr_assert_eq(got, i);
    uint32_t len;
    const uint8_t *k = fl_htab_key(&ht, id, &len);
    cr_assert(len == (uint32_t)n && memcmp(k, key, len) == 0);
    bool ins;
    cr_assert_eq(fl_htab_upsert(&ht, fl_htab_hash(&ht, key, (uint32_t)n), key, (uint32_t)n, &ins), i);
    cr_assert(!ins);
  }
  cr_assert_eq(fl_htab_find(&ht, fl_htab_hash(&ht, "key-100000", 10), "key-100000", 10), FL_HTAB_NONE);
  /* a prefix of a present key is another key */
  cr_assert_eq(fl_htab_find(&ht, fl_htab_hash(&ht, "key-1", 4), "key-1", 4), FL_HTAB_NONE);
  cr_assert_gt(fl_htab_bytes(&ht), 100000 * 24);
  fl_htab_clear(&ht);
  cr_assert_eq(fl_htab_count(&ht), 0);
  cr_assert_eq(fl_htab_find(&ht, fl_htab_hash(&ht, "key-1", 5), "key-1", 5), FL_HTAB_NONE);
  fl_htab_free(&ht);
}

Test(htab, batch_calls_match_single_calls_and_skip_null_keys) {
  fl_htab ht;
  fl_htab_init(&ht, 0, 0);
  const uint8_t *keys[6] = {(const uint8_t *)"a", (const uint8_t *)"b", NULL,
                            (const uint8_t *)"a", (const uint8_t *)"",  (const uint8_t *)"b"};
  uint32_t lens[6] = {1, 1, 0, 1, 0, 1};
  uint64_t h[6];
  uint32_t ids[6];
  fl_htab_hash_many(&ht, keys, lens, 6, h);
  cr_assert_eq(fl_htab_upsert_many(&ht, keys, lens, h, 6, ids), 3);
  uint32_t want[6] = {0, 1, FL_HTAB_NONE, 0, 2, 1};
  for (int i = 0; i < 6; i++) cr_assert_eq(ids[i], want[i], "row %d", i);
  uint32_t found[6];
  fl_htab_find_many(&ht, keys, lens, h, 6, found);
  for (int i = 0; i < 6; i++) cr_assert_eq(found[i], want[i]);
  fl_htab seeded;
  fl_htab_init(&seeded, 0, 1);
  cr_assert_neq(fl_htab_hash(&seeded, "a", 1), fl_htab_hash(&ht, "a", 1));
  fl_htab_free(&seeded);
  fl_htab_free(&ht);
}
