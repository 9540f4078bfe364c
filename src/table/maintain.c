/* maintain: snapshot expiry and compaction, the table's housekeeping.
 *
 * Expire (fl_table_expire_snapshots): one metadata commit drops the snapshots older
 * than the cutoff (keeping the current one and the newest retain_last of its lineage)
 * and their snapshot-log entries; then, once committed, the files only they reached
 * are deleted:
 *   kept     = manifests of kept snapshots' lists, and the non-DELETED files in them
 *   deleted  = expired snapshots' manifest lists; their manifests not kept; the files
 *              of those manifests not kept
 * Deleting only after the commit keeps the table readable if the process dies: the
 * worst case is orphan files.
 *
 * Compact (fl_table_compact): scans the current snapshot (position and equality
 * deletes applied; the delete files are dropped with the files they applied to) into a new
 * appender (partition routing and target file size as for appends), then commits a
 * "replace" snapshot whose manifest list is
 *   [new data manifest (ADDED)] [manifest(s) of the old files as DELETED]
 *   + every manifest of the latest base that was not in the compacted snapshot
 *     (appends that landed meanwhile are kept)
 * and refuses (FL_EVALIDATION: a retry cannot help) if, meanwhile, a manifest it
 * compacted disappeared (another compaction) or a delete file landed on one of its
 * inputs (that delete would be lost).
 * DELETED entries carry their sequence numbers explicitly (spec).
 *
 * Remove orphans (fl_table_remove_orphans): every file under data/ and metadata/
 * that nothing references (snapshots' lists, manifests and files; the current and
 * logged metadata files; version-hint.text, its lock and vN copies) and that is older
 * than the cutoff is deleted. */
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/hash.h"
#include "core/time.h"
#include "table/append_int.h"

/* ---------------------------------------------------------------- string set */

typedef struct strset {
  const char **slots;
  uint32_t cap, n;
  fl_arena *arena;
} strset;

static void set_init(strset *s, fl_arena *arena) {
  s->cap = 256;
  s->n = 0;
  s->slots = fl_calloc(s->cap, sizeof(char *));
  s->arena = arena;
}

static void set_free(strset *s) { fl_free(s->slots); }

static bool set_has(const strset *s, const char *str) {
  uint32_t i = (uint32_t)(fl_hash64(str, strlen(str)) & (s->cap - 1));
  while (s->slots[i]) {
    if (!strcmp(s->slots[i], str)) return true;
    i = (i + 1) & (s->cap - 1);
  }
  return false;
}

/* Returns true if added (was absent). */
static bool set_add(strset *s, const char *str) {
  if (set_has(s, str)) return false;
  if ((s->n + 1) * 2 > s->cap) {
    strset g = {fl_calloc(s->cap * 2, sizeof(char *)), s->cap * 2, 0, s->arena};
    for (uint32_t i = 0; i < s->cap; i++)
      if (s->slots[i]) {
        uint32_t j = (uint32_t)(fl_hash64(s->slots[i], strlen(s->slots[i])) & (g.cap - 1));
        while (g.slots[j]) j = (j + 1) & (g.cap - 1);
        g.slots[j] = s->slots[i];
        g.n++;
      }
    fl_free(s->slots);
    *s = g;
  }
  uint32_t i = (uint32_t)(fl_hash64(str, strlen(str)) & (s->cap - 1));
  while (s->slots[i]) i = (i + 1) & (s->cap - 1);
  s->slots[i] = fl_arena_strdup(s->arena, str);
  s->n++;
  return true;
}

/* ---------------------------------------------------------------- expire */

typedef struct expire_ctx {
  int64_t cutoff_ms;
  uint32_t retain;
  fl_arena arena; /* expired manifest lists, per attempt */
  const char **lists;
  uint32_t nlists;
} expire_ctx;

/* Marks which snapshots of the loaded version survive. */
static uint32_t choose_kept(const fl_table *tbl, const expire_ctx *ctx, bool *keep) {
  uint32_t n;
  const fl_snapshot *snaps = fl_table_snapshots(tbl, &n);
  uint32_t expired = 0;
  for (uint32_t i = 0; i < n; i++) keep[i] = snaps[i].timestamp_ms >= ctx->cutoff_ms;
  const fl_snapshot *s = fl_table_current_snapshot(tbl);
  for (uint32_t k = 0; s && k < ctx->retain; k++) {
    keep[s - snaps] = true;
    s = s->parent_id > 0 ? fl_table_snapshot_by_id(tbl, s->parent_id) : NULL;
  }
  for (uint32_t i = 0; i < n; i++) expired += !keep[i];
  return expired;
}

static fl_code apply_expire(void *vctx, fl_table *tbl, json_t *root, fl_err *err) {
  expire_ctx *ctx = vctx;
  uint32_t n;
  const fl_snapshot *snaps = fl_table_snapshots(tbl, &n);
  bool *keep = fl_calloc(n ? n : 1, sizeof(bool));
  choose_kept(tbl, ctx, keep);
  fl_arena_reset(&ctx->arena);
  ctx->lists = fl_arena_calloc(&ctx->arena, n ? n : 1, sizeof(char *));
  ctx->nlists = 0;
  int64_t *drop = fl_calloc(n ? n : 1, sizeof *drop);
  uint32_t ndrop = 0;
  for (uint32_t j = 0; j < n; j++)
    if (!keep[j]) {
      drop[ndrop++] = snaps[j].snapshot_id;
      ctx->lists[ctx->nlists++] = fl_arena_strdup(&ctx->arena, snaps[j].manifest_list);
    }
  fl_tbl_json_drop_snapshots(root, drop, ndrop);
  fl_free(drop);
  fl_free(keep);
  (void)err;
  return FL_OK;
}

static void delete_file(const char *uri, fl_expire_result *res) {
  const char *path = fl_tbl_uri_path(uri);
  struct stat st;
  if (stat(path, &st)) return;
  if (unlink(path) == 0) {
    res->files_deleted++;
    res->bytes_deleted += (uint64_t)st.st_size;
  }
}

fl_code fl_table_expire_snapshots(fl_table *tbl, const fl_expire_opts *opts, fl_expire_result *res,
                                  fl_err *err) {
  fl_expire_result local = {0};
  if (!res) res = &local;
  memset(res, 0, sizeof *res);
  fl_code writable = fl_tbl_check_writable(tbl, err);
  if (writable) return writable;
  expire_ctx ctx = {0};
  ctx.cutoff_ms = opts && opts->older_than_ms ? opts->older_than_ms : 0;
  if (!ctx.cutoff_ms) {
    const char *age = fl_table_property(tbl, "history.expire.max-snapshot-age-ms");
    ctx.cutoff_ms = fl_now_ms() - (age ? strtoll(age, NULL, 10) : 5LL * 24 * 3600 * 1000);
  }
  ctx.retain = opts && opts->retain_last ? opts->retain_last : 0;
  if (!ctx.retain) {
    const char *keep = fl_table_property(tbl, "history.expire.min-snapshots-to-keep");
    ctx.retain = keep && atoi(keep) > 0 ? (uint32_t)atoi(keep) : 1;
  }
  uint32_t n;
  fl_table_snapshots(tbl, &n);
  bool *keep = fl_calloc(n ? n : 1, sizeof(bool));
  uint32_t expired = choose_kept(tbl, &ctx, keep);
  fl_free(keep);
  if (!expired) return FL_OK;
  fl_arena_init(&ctx.arena, 4096);
  tbl->expire_cleanup_off = true; /* the walk below deletes what the dropped snapshots reached */
  fl_code rc = fl_tbl_commit(tbl, apply_expire, &ctx, err);
  tbl->expire_cleanup_off = false;
  if (rc) goto done;
  res->snapshots_expired = ctx.nlists;

  /* committed: collect what the kept snapshots reach, delete the rest */
  fl_arena scratch;
  fl_arena_init(&scratch, 65536);
  strset kept_manifests, kept_files, gone;
  set_init(&kept_manifests, &scratch);
  set_init(&kept_files, &scratch);
  set_init(&gone, &scratch);
  const fl_snapshot *snaps = fl_table_snapshots(tbl, &n);
  for (uint32_t i = 0; i < n && !rc; i++) {
    fl_manifest_file *mfs;
    uint32_t nmf;
    if ((rc = fl_manifest_list_read(fl_tbl_uri_path(snaps[i].manifest_list), &scratch, &mfs, &nmf, err)))
      break;
    for (uint32_t m = 0; m < nmf && !rc; m++) {
      if (!set_add(&kept_manifests, mfs[m].manifest_path)) continue;
      fl_manifest_entry *es;
      uint32_t ne;
      if ((rc = fl_manifest_read(fl_tbl_uri_path(mfs[m].manifest_path), &scratch, &es, &ne, err))) break;
      for (uint32_t e = 0; e < ne; e++)
        if (es[e].status != FL_ENTRY_DELETED) set_add(&kept_files, es[e].file.file_path);
    }
  }
  for (uint32_t l = 0; l < ctx.nlists && !rc; l++) {
    fl_manifest_file *mfs;
    uint32_t nmf;
    if (fl_manifest_list_read(fl_tbl_uri_path(ctx.lists[l]), &scratch, &mfs, &nmf, NULL))
      continue; /* gone already */
    for (uint32_t m = 0; m < nmf; m++) {
      if (set_has(&kept_manifests, mfs[m].manifest_path) || !set_add(&gone, mfs[m].manifest_path)) continue;
      fl_manifest_entry *es;
      uint32_t ne;
      if (fl_manifest_read(fl_tbl_uri_path(mfs[m].manifest_path), &scratch, &es, &ne, NULL)) continue;
      for (uint32_t e = 0; e < ne; e++)
        if (!set_has(&kept_files, es[e].file.file_path) && set_add(&gone, es[e].file.file_path))
          delete_file(es[e].file.file_path, res);
      delete_file(mfs[m].manifest_path, res);
    }
    delete_file(ctx.lists[l], res);
  }
  if (rc) {
    /* the commit stands; only the clean-up is incomplete (orphans) */
    fl_warn("table", "%s.%s: snapshots expired, files not deleted: %s", tbl->ns, tbl->name, err->msg);
    rc = FL_OK;
  }
  set_free(&kept_manifests);
  set_free(&kept_files);
  set_free(&gone);
  fl_arena_destroy(&scratch);
done:
  fl_arena_destroy(&ctx.arena);
  return rc;
}

/* ---------------------------------------------------------------- compact */

typedef struct compact_ctx {
  fl_appender *app;
  fl_arena arena;
  strset base_manifests; /* manifest paths of the compacted snapshot */
  strset inputs;         /* data file paths rewritten */
  fl_live_file *data, *dels;
  uint32_t ndata, ndels;
  fl_manifest_file *removed; /* manifests this snapshot adds besides the appender's: DELETED entries
                                (data, deletes), then (partial compaction) rewrites of the base
                                manifests that held inputs, with their other files as EXISTING */
  int64_t *removed_min_seq;  /* per removed[]: the data sequence number floor of a rewrite; -1: ours */
  uint32_t nremoved, capremoved;
  fl_err *err;
} compact_ctx;

static int feed(void *vctx, const fl_batch *batch, const char *file_path, const uint64_t *positions) {
  compact_ctx *ctx = vctx;
  return fl_appender_write(ctx->app, batch, ctx->err);
}

static fl_code write_removed(compact_ctx *ctx, const fl_live_file *files, uint32_t n, fl_file_content content,
                             fl_err *err) {
  if (!n) return FL_OK;
  fl_appender *app = ctx->app;
  fl_manifest_entry *entries = fl_arena_calloc(&ctx->arena, n, sizeof *entries);
  for (uint32_t i = 0; i < n; i++) {
    if (files[i].spec_id != app->spec_id)
      return fl_err_set(err, FL_EUNSUPPORTED,
                        "compaction of %s.%s: file %s has partition spec %d, table spec is %d", app->tbl->ns,
                        app->tbl->name, files[i].file.file_path, files[i].spec_id, app->spec_id);
    entries[i].status = FL_ENTRY_DELETED;
    entries[i].snapshot_id = app->snapshot_id;
    entries[i].sequence_number = files[i].data_seq;
    entries[i].file_sequence_number = files[i].data_seq;
    entries[i].file = files[i].file;
  }
  fl_manifest_meta meta = {app->schema_json, app->spec_json, app->spec_id, app->spec, app->nspec, content};
  char *path = fl_sprintf("%s/metadata/%s-m%u.avro", app->tbl->dir, app->commit_uuid, 8 + ctx->nremoved);
  FL_ASSERT(ctx->nremoved < ctx->capremoved);
  fl_manifest_file *mf = &ctx->removed[ctx->nremoved];
  ctx->removed_min_seq[ctx->nremoved] = -1;
  fl_code rc = fl_manifest_write(path, &meta, entries, n, &app->arena, mf, err);
  if (!rc) {
    mf->manifest_path = fl_arena_sprintf(&app->arena, "file://%s", path);
    ctx->nremoved++;
    /* abort must remove it too: the appender tracks every file it created */
    if (app->nwritten == app->capwritten) {
      app->capwritten = app->capwritten ? app->capwritten * 2 : 16;
      app->written = fl_realloc(app->written, app->capwritten * sizeof(char *));
    }
    app->written[app->nwritten++] = fl_arena_strdup(&app->arena, path);
  }
  fl_free(path);
  return rc;
}

static json_t *compact_summary(const compact_ctx *ctx, const fl_snapshot *base) {
  const fl_appender *app = ctx->app;
  int64_t add_files = 0, add_rows = 0, add_bytes = 0, del_files = 0, del_rows = 0, del_bytes = 0;
  int64_t rm_dfiles = 0, rm_pos = 0, rm_dbytes = 0;
  for (uint32_t i = 0; i < app->nfiles; i++) {
    add_files++;
    add_rows += app->files[i].record_count;
    add_bytes += app->files[i].file_size_in_bytes;
  }
  for (uint32_t i = 0; i < ctx->ndata; i++) {
    del_files++;
    del_rows += ctx->data[i].file.record_count;
    del_bytes += ctx->data[i].file.file_size_in_bytes;
  }
  for (uint32_t i = 0; i < ctx->ndels; i++) {
    rm_dfiles++;
    rm_pos += ctx->dels[i].file.record_count;
    rm_dbytes += ctx->dels[i].file.file_size_in_bytes;
  }
  json_t *sum = json_object();
  json_object_set_new(sum, "operation", json_string("replace"));
  fl_tbl_summary_set(sum, "added-data-files", add_files);
  fl_tbl_summary_set(sum, "added-records", add_rows);
  fl_tbl_summary_set(sum, "added-files-size", add_bytes);
  fl_tbl_summary_set(sum, "deleted-data-files", del_files);
  fl_tbl_summary_set(sum, "deleted-records", del_rows);
  fl_tbl_summary_set(sum, "removed-files-size", del_bytes + rm_dbytes);
  if (rm_dfiles) {
    fl_tbl_summary_set(sum, "removed-delete-files", rm_dfiles);
    fl_tbl_summary_set(sum, "removed-position-delete-files", rm_dfiles);
    fl_tbl_summary_set(sum, "removed-position-deletes", rm_pos);
  }
  fl_tbl_summary_set(sum, "total-records", fl_tbl_summary_total(base, "total-records") + add_rows - del_rows);
  fl_tbl_summary_set(sum, "total-files-size",
                     fl_tbl_summary_total(base, "total-files-size") + add_bytes - del_bytes - rm_dbytes);
  fl_tbl_summary_set(sum, "total-data-files",
                     fl_tbl_summary_total(base, "total-data-files") + add_files - del_files);
  fl_tbl_summary_set(sum, "total-delete-files", fl_tbl_summary_total(base, "total-delete-files") - rm_dfiles);
  fl_tbl_summary_set(sum, "total-position-deletes",
                     fl_tbl_summary_total(base, "total-position-deletes") - rm_pos);
  fl_tbl_summary_set(sum, "total-equality-deletes", fl_tbl_summary_total(base, "total-equality-deletes"));
  json_object_set_new(sum, "engine-name", json_string("floe"));
  json_object_set_new(sum, "engine-version", json_string(FLOE_VERSION));
  return sum;
}

static fl_code apply_replace(void *vctx, fl_table *tbl, json_t *root, fl_err *err) {
  compact_ctx *ctx = vctx;
  fl_appender *app = ctx->app;
  const fl_snapshot *parent = fl_table_current_snapshot(tbl);
  int64_t seq = tbl->meta->last_seq + 1;
  fl_arena scratch;
  fl_arena_init(&scratch, 16384);
  fl_manifest_file *base = NULL;
  uint32_t nbase = 0;
  fl_code rc = FL_OK;
  if (!parent) {
    rc = fl_err_set(err, FL_ECONFLICT, "compaction of %s.%s: the table has no snapshot any more", tbl->ns,
                    tbl->name);
    goto done;
  }
  if ((rc = fl_manifest_list_read(fl_tbl_uri_path(parent->manifest_list), &scratch, &base, &nbase, err)))
    goto done;
  /* Validation against what was committed since the compacted snapshot (as Iceberg's
   * RewriteFiles: validateNoNewDeletesForDataFiles): a delete file that landed on an
   * input would be lost with it, and an input rewritten by someone else would come
   * back twice. A retry cannot help either: FL_EVALIDATION. A new delete file that
   * names one data file (referenced_data_file) outside the inputs is harmless; one
   * that covers several files is assumed to touch an input. */
  uint32_t still = 0;
  for (uint32_t i = 0; i < nbase; i++) {
    if (set_has(&ctx->base_manifests, base[i].manifest_path)) {
      still++;
      continue;
    }
    if (base[i].content == 0) continue;
    fl_manifest_entry *es;
    uint32_t ne;
    if ((rc = fl_manifest_read(fl_tbl_uri_path(base[i].manifest_path), &scratch, &es, &ne, err))) goto done;
    for (uint32_t e = 0; e < ne; e++) {
      if (es[e].status == FL_ENTRY_DELETED) continue;
      const char *ref = es[e].file.referenced_data_file;
      if (ref && !set_has(&ctx->inputs, ref)) continue;
      rc = fl_err_set(
          err, FL_EVALIDATION,
          "compaction of %s.%s: validation failed: delete file %s landed on %s since the compacted "
          "snapshot; run it again",
          tbl->ns, tbl->name, es[e].file.file_path, ref ? ref : "several data files");
      goto done;
    }
  }
  if (still != ctx->base_manifests.n) {
    rc = fl_err_set(err, FL_EVALIDATION,
                    "compaction of %s.%s: validation failed: files were rewritten meanwhile; run it again",
                    tbl->ns, tbl->name);
    goto done;
  }
  uint32_t n = app->nmanifests + ctx->nremoved + nbase - still;
  fl_manifest_file *list = fl_arena_calloc(&scratch, n ? n : 1, sizeof *list);
  uint32_t k = 0;
  for (uint32_t i = 0; i < app->nmanifests; i++) list[k++] = app->manifests[i];
  for (uint32_t i = 0; i < ctx->nremoved; i++) list[k++] = ctx->removed[i];
  for (uint32_t i = 0; i < k; i++) {
    list[i].sequence_number = seq;
    list[i].min_sequence_number = seq;
    list[i].added_snapshot_id = app->snapshot_id;
    if (i >= app->nmanifests && ctx->removed_min_seq[i - app->nmanifests] >= 0)
      list[i].min_sequence_number =
          ctx->removed_min_seq[i - app->nmanifests]; /* a rewrite keeps older files */
  }
  for (uint32_t i = 0; i < nbase; i++)
    if (!set_has(&ctx->base_manifests, base[i].manifest_path)) list[k++] = base[i];
  char *path = fl_sprintf("%s/metadata/snap-%" PRId64 "-%u-%s.avro", tbl->dir, app->snapshot_id,
                          app->attempt++, app->commit_uuid);
  rc = fl_manifest_list_write(path, app->snapshot_id, parent->snapshot_id, seq, list, k, err);
  if (!rc) {
    char *uri = fl_sprintf("file://%s", path);
    fl_tbl_add_snapshot(tbl, root, app->snapshot_id, parent, seq, uri, compact_summary(ctx, parent));
    fl_free(uri);
  }
  fl_free(path);
done:
  fl_arena_destroy(&scratch);
  return rc;
}

fl_code fl_table_compact(fl_table *tbl, fl_compact_result *res, fl_err *err) {
  fl_compact_result local = {0};
  if (!res) res = &local;
  memset(res, 0, sizeof *res);
  fl_code writable = fl_tbl_check_writable(tbl, err);
  if (writable) return writable;
  const fl_snapshot *cur = fl_table_current_snapshot(tbl);
  if (!cur) return FL_OK;
  compact_ctx ctx = {0};
  ctx.err = err;
  fl_arena_init(&ctx.arena, 65536);
  set_init(&ctx.base_manifests, &ctx.arena);
  set_init(&ctx.inputs, &ctx.arena);
  ctx.capremoved = 2;
  ctx.removed = fl_arena_calloc(&ctx.arena, ctx.capremoved, sizeof *ctx.removed);
  ctx.removed_min_seq = fl_arena_calloc(&ctx.arena, ctx.capremoved, sizeof *ctx.removed_min_seq);
  fl_scan *scan = NULL;
  fl_code rc;
  int64_t cur_id = cur->snapshot_id;
  if ((rc = fl_tbl_live_files(tbl, cur, FL_CONTENT_DATA, &ctx.arena, &ctx.data, &ctx.ndata, err))) goto done;
  if ((rc = fl_tbl_live_files(tbl, cur, FL_CONTENT_POSITION_DELETES, &ctx.arena, &ctx.dels, &ctx.ndels, err)))
    goto done;
  {
    /* equality deletes too: the scan below applies them, and the rewrite drops them */
    fl_live_file *eq;
    uint32_t neq;
    if ((rc = fl_tbl_live_files(tbl, cur, FL_CONTENT_EQUALITY_DELETES, &ctx.arena, &eq, &neq, err)))
      goto done;
    if (neq) {
      fl_live_file *all = fl_arena_calloc(&ctx.arena, ctx.ndels + neq, sizeof *all);
      if (ctx.ndels) memcpy(all, ctx.dels, ctx.ndels * sizeof *all);
      memcpy(all + ctx.ndels, eq, neq * sizeof *all);
      ctx.dels = all;
      ctx.ndels += neq;
    }
  }
  /* anything to do? more than one file in a partition, or deletes */
  bool work = ctx.ndels > 0;
  for (uint32_t i = 0; i < ctx.ndata && !work; i++)
    for (uint32_t j = 0; j < i && !work; j++) {
      const fl_data_file *a = &ctx.data[i].file, *b = &ctx.data[j].file;
      bool same = a->npartition == b->npartition && ctx.data[i].spec_id == ctx.data[j].spec_id;
      for (uint32_t p = 0; same && p < a->npartition; p++)
        same = a->partition[p].is_null == b->partition[p].is_null &&
               (a->partition[p].is_null || fl_value_cmp(&a->partition[p], &b->partition[p]) == 0);
      work = same;
    }
  if (!work) goto done;
  {
    fl_manifest_file *mfs;
    uint32_t nmf;
    if ((rc = fl_manifest_list_read(fl_tbl_uri_path(cur->manifest_list), &ctx.arena, &mfs, &nmf, err)))
      goto done;
    for (uint32_t i = 0; i < nmf; i++) set_add(&ctx.base_manifests, mfs[i].manifest_path);
    for (uint32_t i = 0; i < ctx.ndata; i++) set_add(&ctx.inputs, ctx.data[i].file.file_path);
  }
  if ((rc = fl_appender_begin(tbl, &ctx.app, err))) goto done;
  fl_scan_opts opts = {.snapshot_id = cur_id};
  if ((rc = fl_scan_plan(tbl, &opts, &scan, err))) goto done;
  if ((rc = fl_scan_run(scan, feed, &ctx, err))) goto done;
  if ((rc = fl_tbl_appender_finish(ctx.app, err))) goto done;
  if ((rc = write_removed(&ctx, ctx.data, ctx.ndata, FL_CONTENT_DATA, err))) goto done;
  if ((rc = write_removed(&ctx, ctx.dels, ctx.ndels, FL_CONTENT_POSITION_DELETES, err))) goto done;
  if ((rc = fl_tbl_commit(tbl, apply_replace, &ctx, err))) {
    if (rc == FL_EUNKNOWN) ctx.app->keep_files = true; /* the table may reference them */
    goto done;
  }
  ctx.app->committed = true;
  res->data_files_rewritten = ctx.ndata;
  res->delete_files_removed = ctx.ndels;
  res->data_files_written = ctx.app->nfiles;
  res->records = ctx.app->rows;
  res->snapshot_id = ctx.app->snapshot_id;
done:
  fl_scan_free(scan);
  fl_appender_free(ctx.app); /* uncommitted: deletes what it wrote */
  set_free(&ctx.base_manifests);
  set_free(&ctx.inputs);
  fl_arena_destroy(&ctx.arena);
  return rc;
}

/* ---------------------------------------------------------------- small files */

static bool same_partition(const fl_data_file *a, const fl_data_file *b) {
  if (a->npartition != b->npartition) return false;
  for (uint32_t p = 0; p < a->npartition; p++)
    if (a->partition[p].is_null != b->partition[p].is_null ||
        (!a->partition[p].is_null && fl_value_cmp(&a->partition[p], &b->partition[p]) != 0))
      return false;
  return true;
}

typedef struct candidate {
  uint32_t manifest;
  fl_live_file lf;
  uint32_t group; /* index of its partition's first candidate */
} candidate;

/* Holds back (held[i]) each partition's largest small file while it is larger than the
 * partition's other small files together, then the next largest, and so on. Merging
 * such a file would mostly copy it: held back, a file is rewritten only together with
 * at least its own size of new data, so each rewrite at least doubles it and a row is
 * rewritten at most log2(small_bytes / its first file's bytes) times before it rests
 * in a file of the target size (size-tiered, as an LSM tree's levels); without it, a
 * partition's remainder of under small_bytes would be copied at every compaction. */
static void hold_dominant(const candidate *cands, uint32_t ncands, bool *held) {
  for (uint32_t g = 0; g < ncands; g++) {
    if (cands[g].group != g) continue;
    uint64_t total = 0;
    for (uint32_t i = g; i < ncands; i++)
      if (cands[i].group == g) total += (uint64_t)cands[i].lf.file.file_size_in_bytes;
    for (;;) {
      uint32_t big = UINT32_MAX;
      for (uint32_t i = g; i < ncands; i++)
        if (cands[i].group == g && !held[i] &&
            (big == UINT32_MAX ||
             cands[i].lf.file.file_size_in_bytes > cands[big].lf.file.file_size_in_bytes))
          big = i;
      if (big == UINT32_MAX) break;
      uint64_t size = (uint64_t)cands[big].lf.file.file_size_in_bytes;
      if (size <= total - size) break;
      held[big] = true;
      total -= size;
    }
  }
}

fl_code fl_table_compact_small(fl_table *tbl, const fl_compact_opts *opts, fl_compact_result *res,
                               fl_err *err) {
  fl_compact_result local = {0};
  if (!res) res = &local;
  memset(res, 0, sizeof *res);
  fl_code rc = fl_tbl_check_writable(tbl, err);
  if (rc) return rc;
  const fl_snapshot *cur = fl_table_current_snapshot(tbl);
  if (!cur) return FL_OK;
  uint32_t min_files = opts && opts->min_files ? opts->min_files : 4;
  compact_ctx ctx = {0};
  ctx.err = err;
  fl_arena_init(&ctx.arena, 65536);
  set_init(&ctx.base_manifests, &ctx.arena);
  set_init(&ctx.inputs, &ctx.arena);
  fl_scan *scan = NULL;
  candidate *cands = NULL;
  uint32_t ncands = 0, capc = 0;
  fl_manifest_file *mfs;
  uint32_t nmf;
  fl_manifest_entry **mentries = NULL;
  uint32_t *mne = NULL;
  if ((rc = fl_appender_begin(tbl, &ctx.app, err))) goto done;
  uint64_t small = opts && opts->small_bytes ? opts->small_bytes : ctx.app->target_bytes / 4 * 3;
  if ((rc = fl_tbl_snapshot_manifests(tbl, cur, &ctx.arena, &mfs, &nmf, err))) goto done;
  mentries = fl_arena_calloc(&ctx.arena, nmf ? nmf : 1, sizeof *mentries);
  mne = fl_arena_calloc(&ctx.arena, nmf ? nmf : 1, sizeof *mne);
  for (uint32_t m = 0; m < nmf; m++) {
    if ((rc = fl_tbl_check_path(tbl, mfs[m].manifest_path, err))) goto done;
    if ((rc = fl_manifest_read(fl_tbl_path(tbl, mfs[m].manifest_path, &ctx.arena), &ctx.arena, &mentries[m],
                               &mne[m], err)))
      goto done;
    for (uint32_t e = 0; e < mne[m]; e++) {
      const fl_manifest_entry *en = &mentries[m][e];
      if (en->status == FL_ENTRY_DELETED) continue;
      if (mfs[m].content != 0) goto done; /* deletes: a full compaction (floe compact) applies them */
      if (mfs[m].partition_spec_id != ctx.app->spec_id || (uint64_t)en->file.file_size_in_bytes >= small)
        continue;
      if (ncands == capc) {
        capc = capc ? capc * 2 : 64;
        cands = fl_realloc(cands, capc * sizeof *cands);
      }
      candidate *c = &cands[ncands++];
      c->manifest = m;
      c->lf.file = en->file;
      c->lf.spec_id = mfs[m].partition_spec_id;
      c->lf.data_seq = en->sequence_number >= 0 ? en->sequence_number : mfs[m].sequence_number;
      c->group = ncands - 1;
      for (uint32_t k = 0; k + 1 < ncands; k++)
        if (cands[k].group == k && same_partition(&cands[k].lf.file, &c->lf.file)) {
          c->group = k;
          break;
        }
    }
  }
  /* chosen: the small files of partitions that have at least min_files of them, less
   * each partition's largest while it outweighs the rest together (tiered) */
  bool *held = fl_arena_calloc(&ctx.arena, ncands ? ncands : 1, sizeof *held);
  hold_dominant(cands, ncands, held);
  uint32_t *gcount = fl_arena_calloc(&ctx.arena, ncands ? ncands : 1, sizeof *gcount);
  for (uint32_t i = 0; i < ncands; i++) gcount[cands[i].group] += !held[i];
  ctx.data = fl_arena_calloc(&ctx.arena, ncands ? ncands : 1, sizeof *ctx.data);
  const char **paths = fl_arena_calloc(&ctx.arena, ncands ? ncands : 1, sizeof *paths);
  bool *rewrite = fl_arena_calloc(&ctx.arena, nmf ? nmf : 1, sizeof *rewrite);
  for (uint32_t i = 0; i < ncands; i++) {
    if (held[i] || gcount[cands[i].group] < min_files) continue;
    paths[ctx.ndata] = cands[i].lf.file.file_path;
    ctx.data[ctx.ndata++] = cands[i].lf;
    set_add(&ctx.inputs, cands[i].lf.file.file_path);
    rewrite[cands[i].manifest] = true;
  }
  if (!ctx.ndata) goto done;
  uint32_t nrewrite = 0;
  for (uint32_t m = 0; m < nmf; m++)
    if (rewrite[m]) {
      set_add(&ctx.base_manifests, mfs[m].manifest_path);
      nrewrite++;
    }
  ctx.capremoved = 1 + nrewrite;
  ctx.removed = fl_arena_calloc(&ctx.arena, ctx.capremoved, sizeof *ctx.removed);
  ctx.removed_min_seq = fl_arena_calloc(&ctx.arena, ctx.capremoved, sizeof *ctx.removed_min_seq);
  fl_scan_opts so = {.snapshot_id = cur->snapshot_id, .only_files = paths, .nonly_files = ctx.ndata};
  if ((rc = fl_scan_plan(tbl, &so, &scan, err))) goto done;
  if ((rc = fl_scan_run(scan, feed, &ctx, err))) goto done;
  if ((rc = fl_tbl_appender_finish(ctx.app, err))) goto done;
  if ((rc = write_removed(&ctx, ctx.data, ctx.ndata, FL_CONTENT_DATA, err))) goto done;
  /* the rewritten manifests keep their other files, as EXISTING entries */
  fl_appender *app = ctx.app;
  fl_manifest_meta meta = {app->schema_json, app->spec_json, app->spec_id,
                           app->spec,        app->nspec,     FL_CONTENT_DATA};
  for (uint32_t m = 0; m < nmf; m++) {
    if (!rewrite[m]) continue;
    fl_manifest_entry *keep = fl_arena_calloc(&ctx.arena, mne[m] ? mne[m] : 1, sizeof *keep);
    uint32_t nk = 0;
    int64_t min_seq = INT64_MAX;
    for (uint32_t e = 0; e < mne[m]; e++) {
      const fl_manifest_entry *en = &mentries[m][e];
      if (en->status == FL_ENTRY_DELETED || set_has(&ctx.inputs, en->file.file_path)) continue;
      keep[nk] = *en;
      keep[nk].status = FL_ENTRY_EXISTING;
      if (keep[nk].snapshot_id < 0) keep[nk].snapshot_id = mfs[m].added_snapshot_id;
      if (keep[nk].sequence_number < 0) keep[nk].sequence_number = mfs[m].sequence_number;
      if (keep[nk].file_sequence_number < 0) keep[nk].file_sequence_number = mfs[m].sequence_number;
      if (keep[nk].sequence_number < min_seq) min_seq = keep[nk].sequence_number;
      nk++;
    }
    if (!nk) continue;
    char *path = fl_sprintf("%s/metadata/%s-m%u.avro", app->tbl->dir, app->commit_uuid, 100 + ctx.nremoved);
    rc = fl_manifest_write(path, &meta, keep, nk, &app->arena, &ctx.removed[ctx.nremoved], err);
    if (!rc) {
      ctx.removed[ctx.nremoved].manifest_path = fl_arena_sprintf(&app->arena, "file://%s", path);
      ctx.removed_min_seq[ctx.nremoved++] = min_seq;
      if (app->nwritten == app->capwritten) {
        app->capwritten = app->capwritten ? app->capwritten * 2 : 16;
        app->written = fl_realloc(app->written, app->capwritten * sizeof(char *));
      }
      app->written[app->nwritten++] = fl_arena_strdup(&app->arena, path);
    }
    fl_free(path);
    if (rc) goto done;
  }
  if ((rc = fl_tbl_commit(tbl, apply_replace, &ctx, err))) {
    if (rc == FL_EUNKNOWN) ctx.app->keep_files = true;
    goto done;
  }
  ctx.app->committed = true;
  res->data_files_rewritten = ctx.ndata;
  res->data_files_written = ctx.app->nfiles;
  res->records = ctx.app->rows;
  res->snapshot_id = ctx.app->snapshot_id;
done:
  fl_scan_free(scan);
  fl_appender_free(ctx.app);
  fl_free(cands);
  set_free(&ctx.base_manifests);
  set_free(&ctx.inputs);
  fl_arena_destroy(&ctx.arena);
  return rc;
}

/* ---------------------------------------------------------------- orphans */

typedef struct orphan_walk {
  const strset *referenced;
  int64_t cutoff_ms;
  fl_expire_result *res;
} orphan_walk;

static void walk_orphans(const char *dir, orphan_walk *w) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *path = fl_sprintf("%s/%s", dir, e->d_name);
    struct stat st;
    if (!lstat(path, &st)) {
      int64_t mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
      if (S_ISDIR(st.st_mode)) {
        walk_orphans(path, w);
        if (mtime_ms < w->cutoff_ms) rmdir(path); /* only when empty; a new one may be in use */
      } else {
        bool hint =
            !strcmp(e->d_name, "version-hint.text") || !strcmp(e->d_name, "version-hint.lock") ||
            (e->d_name[0] == 'v' && strstr(e->d_name, ".metadata.json") && !strstr(e->d_name, ".tmp-"));
        if (!hint && !set_has(w->referenced, path) && mtime_ms < w->cutoff_ms && unlink(path) == 0) {
          w->res->files_deleted++;
          w->res->bytes_deleted += (uint64_t)st.st_size;
        }
      }
    }
    fl_free(path);
  }
  closedir(d);
}

fl_code fl_table_remove_orphans(fl_table *tbl, int64_t older_than_ms, fl_expire_result *res, fl_err *err) {
  fl_expire_result local = {0};
  if (!res) res = &local;
  memset(res, 0, sizeof *res);
  fl_code writable = fl_tbl_check_writable(tbl, err);
  if (writable) return writable;
  fl_code rc = fl_table_refresh(tbl, err); /* the latest version references the most */
  if (rc) return rc;
  fl_arena arena;
  fl_arena_init(&arena, 65536);
  strset refs;
  set_init(&refs, &arena);
  /* references are compared as filesystem paths, whatever the URI spelling */
  set_add(&refs, fl_tbl_uri_path(tbl->metadata_location));
  for (uint32_t i = 0; i < tbl->meta->nmetalog; i++)
    if (tbl->meta->metalog[i].file) set_add(&refs, fl_tbl_uri_path(tbl->meta->metalog[i].file));
  uint32_t n;
  const fl_snapshot *snaps = fl_table_snapshots(tbl, &n);
  strset seen_manifests;
  set_init(&seen_manifests, &arena);
  for (uint32_t i = 0; i < n && !rc; i++) {
    set_add(&refs, fl_tbl_uri_path(snaps[i].manifest_list));
    fl_manifest_file *mfs;
    uint32_t nmf;
    if ((rc = fl_manifest_list_read(fl_tbl_uri_path(snaps[i].manifest_list), &arena, &mfs, &nmf, err))) break;
    for (uint32_t m = 0; m < nmf && !rc; m++) {
      set_add(&refs, fl_tbl_uri_path(mfs[m].manifest_path));
      if (!set_add(&seen_manifests, mfs[m].manifest_path)) continue;
      fl_manifest_entry *es;
      uint32_t ne;
      if ((rc = fl_manifest_read(fl_tbl_uri_path(mfs[m].manifest_path), &arena, &es, &ne, err))) break;
      for (uint32_t e = 0; e < ne; e++) set_add(&refs, fl_tbl_uri_path(es[e].file.file_path));
    }
  }
  if (!rc) {
    orphan_walk w = {&refs, older_than_ms ? older_than_ms : fl_now_ms() - 3LL * 24 * 3600 * 1000, res};
    char *dir = fl_sprintf("%s/data", tbl->dir);
    walk_orphans(dir, &w);
    fl_free(dir);
    dir = fl_sprintf("%s/metadata", tbl->dir);
    walk_orphans(dir, &w);
    fl_free(dir);
  }
  set_free(&seen_manifests);
  set_free(&refs);
  fl_arena_destroy(&arena);
  return rc;
}
