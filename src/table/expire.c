/* expire: bounded metadata for tables that commit every second, for weeks.
 *
 * Without it, every commit adds a snapshot (~0.6 KB of metadata JSON), a snapshot-log
 * entry and a metadata file: at 1 commit/s a table reached the 256 MiB metadata limit
 * in about 4 days, and every commit rewrote all of it. Three rules keep the cost of a
 * commit flat:
 *
 *   1. Snapshots expire inside each commit (fl_tbl_expire_in_commit, run by
 *      fl_tbl_prepare on the metadata copy): a snapshot older than
 *      history.expire.max-snapshot-age-ms (5 days), or beyond the newest
 *      history.expire.max-snapshots (floe's, 100), is dropped with its snapshot-log
 *      entry; the current snapshot, the newest history.expire.min-snapshots-to-keep
 *      (1) of its lineage and every ref's snapshot are kept. Off with
 *      floe.commit.expire-snapshots=false (then only `floe expire` expires).
 *   2. After the swap (fl_tbl_cleanup_after_commit, from fl_tbl_committed), the files
 *      only the dropped snapshots reached are deleted: their manifest lists, the
 *      manifests no longer in the oldest kept snapshot's list, and the data and delete
 *      files of those manifests not live in that snapshot. This is exact when the kept
 *      snapshots form one lineage (floe's tables: one branch, main) since a manifest or
 *      file, once dropped from a lineage, never comes back; otherwise only the manifest
 *      lists are deleted and `floe expire --orphans` finds the rest.
 *   3. Metadata files dropped from the metadata-log (write.metadata.previous-versions-max,
 *      100) are deleted after the commit when write.metadata.delete-after-commit.enabled
 *      (floe's default: true; Java's is false, for writers that commit rarely), with
 *      their vN.metadata.json hint links.
 *
 * Cost per commit: O(snapshots kept) JSON edits; file reads only when snapshots were
 * dropped (one manifest list per dropped snapshot plus the oldest kept one), and the
 * oldest kept snapshot's manifests only when a manifest left the lineage (after a
 * compaction or a manifest merge).
 *
 * Files are deleted only after the catalog swap succeeded (never on an unknown
 * outcome): a crash between the swap and the clean-up leaves orphans, never a
 * reference to a missing file. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/hash.h"
#include "core/time.h"
#include "table/table_int.h"

/* Iceberg's history.expire.max-snapshot-age-ms default. */
#define EXPIRE_AGE_MS_DEFAULT (5LL * 24 * 3600 * 1000)
/* floe's cap on kept snapshots: ~0.8 KB of metadata JSON each, so at most ~80 KB
 * written per commit and ~8 MB for the 100 previous metadata files; 100 s of time
 * travel at 1 commit/s (raise it per table for more), and the age rule alone for
 * tables loaded a few times a day. 1000 made every commit write 0.8 MB and cost
 * ~30 ms of CPU here (bench/table_commits_bench.c). */
#define EXPIRE_MAX_SNAPSHOTS_DEFAULT 100

int64_t fl_tbl_prop_i64(const fl_table *tbl, const char *key, int64_t dflt) {
  const char *v = fl_table_property(tbl, key);
  if (!v || !*v) return dflt;
  char *end;
  long long x = strtoll(v, &end, 10);
  return *end ? dflt : (int64_t)x;
}

bool fl_tbl_prop_bool(const fl_table *tbl, const char *key, bool dflt) {
  const char *v = fl_table_property(tbl, key);
  if (!v) return dflt;
  if (!strcmp(v, "true")) return true;
  if (!strcmp(v, "false")) return false;
  return dflt;
}

/* ---------------------------------------------------------------- small sets */

typedef struct pset {
  const char **slots;
  uint32_t cap;
} pset;

static void pset_init(pset *s, uint32_t n) {
  s->cap = 16;
  while (s->cap < n * 2 + 2) s->cap *= 2;
  s->slots = fl_calloc(s->cap, sizeof(char *));
}

static bool pset_has(const pset *s, const char *p) {
  uint32_t i = (uint32_t)(fl_hash64(p, strlen(p)) & (s->cap - 1));
  for (; s->slots[i]; i = (i + 1) & (s->cap - 1))
    if (!strcmp(s->slots[i], p)) return true;
  return false;
}

/* Adds p (borrowed: must outlive the set); the set must have room (sized at init). */
static bool pset_add(pset *s, const char *p) {
  uint32_t i = (uint32_t)(fl_hash64(p, strlen(p)) & (s->cap - 1));
  for (; s->slots[i]; i = (i + 1) & (s->cap - 1))
    if (!strcmp(s->slots[i], p)) return false;
  s->slots[i] = p;
  return true;
}

/* ---------------------------------------------------------------- dropping snapshots */

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The entries of array key whose "snapshot-id" is not in the sorted drop set. */
static void json_array_drop_ids(json_t *root, const char *key, const int64_t *drop, uint32_t ndrop) {
  json_t *arr = json_object_get(root, key);
  if (!arr) return;
  json_t *kept = json_array();
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *e = json_array_get(arr, i);
    int64_t id = fl_tbl_json_i64(e, "snapshot-id", 0);
    if (!bsearch(&id, drop, ndrop, sizeof *drop, cmp_i64)) json_array_append(kept, e);
  }
  json_object_set_new(root, key, kept);
}

void fl_tbl_json_drop_snapshots(json_t *root, int64_t *drop, uint32_t ndrop) {
  if (ndrop == 0) return;
  qsort(drop, ndrop, sizeof *drop, cmp_i64);
  json_array_drop_ids(root, "snapshots", drop, ndrop);
  json_array_drop_ids(root, "snapshot-log", drop, ndrop);
}

/* ---------------------------------------------------------------- 1. in the commit */

void fl_tbl_expire_in_commit(const fl_table *tbl, json_t *root) {
  if (!fl_tbl_prop_bool(tbl, "floe.commit.expire-snapshots", true)) return;
  json_t *snaps = json_object_get(root, "snapshots");
  size_t n = json_array_size(snaps);
  if (n <= 1) return;
  int64_t age = fl_tbl_prop_i64(tbl, "history.expire.max-snapshot-age-ms", EXPIRE_AGE_MS_DEFAULT);
  int64_t max_keep = fl_tbl_prop_i64(tbl, "history.expire.max-snapshots", EXPIRE_MAX_SNAPSHOTS_DEFAULT);
  int64_t min_keep = fl_tbl_prop_i64(tbl, "history.expire.min-snapshots-to-keep", 1);
  if (min_keep < 1) min_keep = 1;
  if (max_keep < min_keep) max_keep = min_keep;
  int64_t cutoff = fl_now_ms() - age;
  /* fast path: nothing old, not too many (snapshots are in commit order) */
  if ((int64_t)n <= max_keep && fl_tbl_json_i64(json_array_get(snaps, 0), "timestamp-ms", 0) >= cutoff)
    return;

  int64_t *ids = fl_calloc(n, sizeof *ids), *parents = fl_calloc(n, sizeof *parents);
  uint8_t *keep = fl_calloc(n, 1); /* 0 drop, 1 keep by age/cap, 2 must keep */
  uint32_t cap = 16;
  while (cap < n * 2) cap *= 2;
  uint32_t *slots = fl_calloc(cap, sizeof *slots);
  for (size_t i = 0; i < n; i++) {
    const json_t *js = json_array_get(snaps, i);
    ids[i] = fl_tbl_json_i64(js, "snapshot-id", 0);
    parents[i] = fl_tbl_json_i64(js, "parent-snapshot-id", -1);
    keep[i] = fl_tbl_json_i64(js, "timestamp-ms", 0) >= cutoff;
    uint32_t s = fl_tmeta_snap_slot(ids[i], cap);
    while (slots[s]) s = (s + 1) & (cap - 1);
    slots[s] = (uint32_t)i + 1;
  }
#define FIND(id, out)                                                                       \
  do {                                                                                      \
    (out) = -1;                                                                             \
    for (uint32_t s_ = fl_tmeta_snap_slot((id), cap); slots[s_]; s_ = (s_ + 1) & (cap - 1)) \
      if (ids[slots[s_] - 1] == (id)) {                                                     \
        (out) = (int64_t)slots[s_] - 1;                                                     \
        break;                                                                              \
      }                                                                                     \
  } while (0)
  /* the newest min_keep of the current lineage, and every ref's snapshot */
  int64_t idx;
  FIND(fl_tbl_json_i64(root, "current-snapshot-id", -1), idx);
  for (int64_t k = 0; idx >= 0 && k < min_keep; k++) {
    keep[idx] = 2;
    int64_t p = parents[idx];
    FIND(p, idx);
  }
  const char *ref_name;
  json_t *ref;
  json_object_foreach(json_object_get(root, "refs"), ref_name, ref) {
    FIND(fl_tbl_json_i64(ref, "snapshot-id", -1), idx);
    if (idx >= 0) keep[idx] = 2;
  }
#undef FIND
  /* the cap: drop the oldest kept-by-age ones until max_keep remain */
  int64_t kept = 0;
  for (size_t i = 0; i < n; i++) kept += keep[i] != 0;
  for (size_t i = 0; i < n && kept > max_keep; i++)
    if (keep[i] == 1) {
      keep[i] = 0;
      kept--;
    }
  if (kept < (int64_t)n) {
    uint32_t ndrop = 0;
    for (size_t i = 0; i < n; i++)
      if (!keep[i]) parents[ndrop++] = ids[i]; /* parents[] is free by now: reused for the drop set */
    fl_tbl_json_drop_snapshots(root, parents, ndrop);
  }
  fl_free(ids);
  fl_free(parents);
  fl_free(keep);
  fl_free(slots);
}

/* ---------------------------------------------------------------- 2, 3. after the swap */

static void unlink_uri(const char *uri) { unlink(fl_tbl_uri_path(uri)); }

/* NNNNN of ".../NNNNN-<uuid>.metadata.json"; -1 if not that shape. */
static int32_t metadata_version(const char *location) {
  const char *base = strrchr(location, '/');
  base = base ? base + 1 : location;
  if (*base < '0' || *base > '9') return -1;
  long v = strtol(base, NULL, 10);
  return v > INT32_MAX ? -1 : (int32_t)v;
}

static void cleanup_metadata_files(const fl_table *tbl, const fl_tmeta *old, const char *old_location,
                                   const fl_tmeta *cur) {
  if (!fl_tbl_prop_bool(tbl, "write.metadata.delete-after-commit.enabled", true)) return;
  pset keep;
  pset_init(&keep, cur->nmetalog + 1);
  pset_add(&keep, fl_tbl_uri_path(tbl->metadata_location));
  for (uint32_t i = 0; i < cur->nmetalog; i++)
    if (cur->metalog[i].file) pset_add(&keep, fl_tbl_uri_path(cur->metalog[i].file));
  for (uint32_t i = 0; i <= old->nmetalog; i++) {
    const char *f = i < old->nmetalog ? old->metalog[i].file : old_location;
    if (!f || pset_has(&keep, fl_tbl_uri_path(f))) continue;
    unlink_uri(f);
    int32_t v = metadata_version(f);
    if (v >= 0) {
      char *hint = fl_sprintf("%s/metadata/v%d.metadata.json", tbl->dir, v);
      unlink(hint);
      fl_free(hint);
    }
  }
  fl_free(keep.slots);
}

static void cleanup_snapshots(const fl_table *tbl, const fl_tmeta *old, const fl_tmeta *cur) {
  uint32_t nexp = 0;
  for (uint32_t i = 0; i < old->nsnapshots; i++)
    nexp += !fl_table_snapshot_by_id(tbl, old->snapshots[i].snapshot_id);
  if (!nexp) return;
  /* the oldest snapshot of the current lineage; exact only if it is the whole table */
  const fl_snapshot *oldest = fl_table_current_snapshot(tbl);
  uint32_t lineage = oldest ? 1 : 0;
  while (oldest && oldest->parent_id > 0) {
    const fl_snapshot *p = fl_table_snapshot_by_id(tbl, oldest->parent_id);
    if (!p) break;
    oldest = p;
    lineage++;
  }
  bool exact = oldest && lineage == cur->nsnapshots;
  fl_arena arena;
  fl_arena_init(&arena, 65536);
  fl_manifest_file *kmfs = NULL;
  uint32_t nk = 0;
  if (exact && fl_manifest_list_read(fl_tbl_uri_path(oldest->manifest_list), &arena, &kmfs, &nk, NULL))
    exact = false;
  if (!exact) {
    fl_debug("table", "%s.%s: expired snapshots' files left to `floe expire --orphans` (several lineages)",
             tbl->ns, tbl->name);
    fl_arena_destroy(&arena);
    return;
  }
  pset kept_manifests;
  pset_init(&kept_manifests, nk);
  for (uint32_t m = 0; m < nk; m++) pset_add(&kept_manifests, kmfs[m].manifest_path);
  /* gone = manifests of the expired lists no longer in the lineage */
  const char **gone = NULL;
  uint32_t ngone = 0, capgone = 0;
  pset seen;
  pset_init(&seen, 64);
  for (uint32_t i = 0; i < old->nsnapshots; i++) {
    const fl_snapshot *s = &old->snapshots[i];
    if (fl_table_snapshot_by_id(tbl, s->snapshot_id)) continue;
    fl_manifest_file *mfs;
    uint32_t nmf;
    if (!fl_manifest_list_read(fl_tbl_uri_path(s->manifest_list), &arena, &mfs, &nmf, NULL))
      for (uint32_t m = 0; m < nmf; m++) {
        const char *p = mfs[m].manifest_path;
        if (pset_has(&kept_manifests, p)) continue;
        if (ngone == capgone) {
          capgone = capgone ? capgone * 2 : 16;
          gone = fl_realloc(gone, capgone * sizeof *gone);
          fl_free(seen.slots);
          pset_init(&seen, capgone);
          for (uint32_t g = 0; g < ngone; g++) pset_add(&seen, gone[g]);
        }
        if (pset_add(&seen, p)) gone[ngone++] = p;
      }
    unlink_uri(s->manifest_list); /* only its snapshot referenced it */
  }
  if (ngone) {
    /* live files of the oldest kept snapshot: a gone manifest's file not among them
     * left the lineage (compacted away, or its delete file folded) */
    fl_manifest_entry **kes = fl_calloc(nk ? nk : 1, sizeof *kes);
    uint32_t *nke = fl_calloc(nk ? nk : 1, sizeof *nke);
    uint32_t total = 0;
    for (uint32_t m = 0; m < nk; m++)
      if (!fl_manifest_read(fl_tbl_uri_path(kmfs[m].manifest_path), &arena, &kes[m], &nke[m], NULL))
        total += nke[m];
      else
        exact = false;
    pset live;
    pset_init(&live, total);
    for (uint32_t m = 0; m < nk; m++)
      for (uint32_t e = 0; e < nke[m]; e++)
        if (kes[m][e].status != FL_ENTRY_DELETED) pset_add(&live, kes[m][e].file.file_path);
    for (uint32_t g = 0; exact && g < ngone; g++) {
      fl_manifest_entry *es;
      uint32_t ne;
      if (fl_manifest_read(fl_tbl_uri_path(gone[g]), &arena, &es, &ne, NULL)) continue;
      for (uint32_t e = 0; e < ne; e++)
        if (!pset_has(&live, es[e].file.file_path)) unlink_uri(es[e].file.file_path);
      unlink_uri(gone[g]);
    }
    fl_free(live.slots);
    fl_free(kes);
    fl_free(nke);
  }
  fl_free(gone);
  fl_free(seen.slots);
  fl_free(kept_manifests.slots);
  fl_arena_destroy(&arena);
}

void fl_tbl_cleanup_after_commit(const fl_table *tbl, const fl_tmeta *old, const char *old_location,
                                 const fl_tmeta *cur) {
  if (!old) return;
  cleanup_metadata_files(tbl, old, old_location, cur);
  if (!tbl->expire_cleanup_off) cleanup_snapshots(tbl, old, cur);
}
