/* swap: `floe replay STREAM --swap`: makes a completed replay (bronze.<replay>) the live
 * bronze.<stream>, keeping the table it replaces as bronze.<stream>_before_swap, in one
 * catalog transaction (fl_catalog_rename_many: every name moves, or none). With
 * late_policy 'side' the late side tables move in the same transaction
 * (quarantine.<replay>_late -> quarantine.<stream>_late, the old one ->
 * quarantine.<stream>_late_before_swap). quarantine.<stream> (the rejects) is not
 * replayed and stays.
 *
 * The metadata and data files do not move: bronze.<stream> now lives in the replay's
 * directory (warehouse/bronze/<replay>), the kept table in warehouse/bronze/<stream>.
 * Catalog readers follow the names; readers that open a table by path must take its
 * location from the catalog (`floe describe`).
 *
 * The stream job's state follows its table: the replay's checkpoint (offsets, dedupe
 * state chain, DATA/stream/bronze.<replay>/) becomes the live job's (DATA/stream/<stream>/),
 * the live one's goes to DATA/stream/bronze.<stream>_before_swap/. Nothing else moves:
 * at its next start the job restores bronze's checkpoint and seeks its log consumer to
 * bronze's offsets (the replay read the log to its end, so nothing is read twice or
 * skipped). The swap needs the job stopped: cmd_replay takes the log's lock (a running
 * `floe serve` holds it, and the swap is refused) and keeps it until the swap is done,
 * so a serve cannot start in the middle.
 *
 * States (a crash anywhere leaves one of them; fl_stream_swap_recover, run at every job
 * start and before a swap, finishes or forgets a swap):
 *
 *   READY ──intent file DATA/stream/<stream>.swap (replay name) fsynced──► INTENT
 *   INTENT ──fl_catalog_rename_many──┬─ OK ──► RENAMED
 *                                    └─ fail ──► READY (intent removed)
 *   RENAMED ──state dirs moved (each rename skipped once done), dir fsynced──► MOVED
 *   MOVED ──intent removed──► READY
 *   recover: no intent: READY. Intent and the catalog renamed (the kept name exists,
 *            the replay's does not): RENAMED, finish the moves. Else: the catalog
 *            did not swap: remove the intent (INTENT -> READY). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "core/diag.h"
#include "core/fsync.h"
#include "core/limits.h"
#include "core/mem.h"
#include "stream/stream.h"

#define MOD "stream"

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static void fsync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  (void)fl_fsync(fd);
  close(fd);
}

/* Removes a state directory (files only: state and delta files). */
static void remove_state_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    char *p = fl_sprintf("%s/%s", dir, de->d_name);
    unlink(p);
    fl_free(p);
  }
  closedir(d);
  rmdir(dir);
}

/* RENAMED -> MOVED: each move once (skipped when done). */
static fl_code move_state_dirs(const char *data_dir, const char *stream, const char *replay, fl_err *err) {
  char *base = fl_sprintf("%s/stream", data_dir);
  char *live = fl_sprintf("%s/%s", base, stream);
  char *kept = fl_sprintf("%s/bronze.%s_before_swap", base, stream);
  char *rep = fl_sprintf("%s/bronze.%s", base, replay);
  fl_code rc = FL_OK;
  if (exists(live) && !exists(kept) && rename(live, kept) != 0)
    rc = fl_err_errno(err, errno, "%s -> %s: rename", live, kept);
  if (!rc && !exists(live) && exists(rep) && rename(rep, live) != 0)
    rc = fl_err_errno(err, errno, "%s -> %s: rename", rep, live);
  if (!rc) fsync_dir(base);
  fl_free(base);
  fl_free(live);
  fl_free(kept);
  fl_free(rep);
  return rc;
}

static char *intent_path(const char *data_dir, const char *stream) {
  return fl_sprintf("%s/stream/%s.swap", data_dir, stream);
}

/* The location of ns.name, NULL if there is no such table. */
static fl_code locate(fl_catalog *cat, const char *ns, const char *name, char **loc, fl_err *err) {
  fl_code rc = fl_catalog_load(cat, ns, name, loc, err);
  if (rc == FL_ENOENT) {
    *loc = NULL;
    return FL_OK;
  }
  return rc;
}

fl_code fl_stream_swap_recover(const char *data_dir, const char *stream, fl_err *err) {
  char *ipath = intent_path(data_dir, stream);
  FILE *f = fopen(ipath, "r");
  if (!f) {
    fl_free(ipath);
    return FL_OK; /* READY */
  }
  char replay[FL_NAME_MAX + 2] = {0};
  bool ok = fgets(replay, sizeof replay, f) != NULL;
  fclose(f);
  replay[strcspn(replay, "\n")] = 0;
  fl_warehouse *wh = NULL;
  fl_code rc = ok && *replay
                   ? FL_OK
                   : fl_err_set(err, FL_ECORRUPT, "%s: no replay table named (a swap's intent file)", ipath);
  if (!rc) rc = fl_warehouse_open(data_dir, &wh, err);
  char *kept_name = fl_sprintf("%s_before_swap", stream), *kept = NULL, *rep = NULL;
  if (!rc) rc = locate(fl_warehouse_catalog(wh), "bronze", kept_name, &kept, err);
  if (!rc) rc = locate(fl_warehouse_catalog(wh), "bronze", replay, &rep, err);
  bool renamed = !rc && kept && !rep;
  if (renamed) {
    fl_info(MOD, "stream %s: finishing the swap of bronze.%s (interrupted after its catalog commit)", stream,
            replay);
    rc = move_state_dirs(data_dir, stream, replay, err);
  } else if (!rc) {
    fl_info(MOD, "stream %s: the swap of bronze.%s did not commit: nothing swapped", stream, replay);
  }
  if (!rc) {
    unlink(ipath);
    char *base = fl_sprintf("%s/stream", data_dir);
    fsync_dir(base);
    fl_free(base);
  }
  if (wh) fl_warehouse_close(wh);
  fl_free(kept_name);
  fl_free(kept);
  fl_free(rep);
  fl_free(ipath);
  return rc;
}

fl_code fl_stream_swap_check(const char *data_dir, const fl_sql_stream *def, fl_err *err) {
  fl_warehouse *wh;
  fl_code rc = fl_warehouse_open(data_dir, &wh, err);
  if (rc) return rc;
  const char *stream = def->name;
  fl_catalog *cat = fl_warehouse_catalog(wh);
  char *kept_name = fl_sprintf("%s_before_swap", stream);
  char *late_kept_name = fl_sprintf("%s_late_before_swap", stream);
  char *live = NULL, *kept = NULL, *late_kept = NULL;
  if (!(rc = locate(cat, "bronze", stream, &live, err)) &&
      !(rc = locate(cat, "bronze", kept_name, &kept, err)))
    rc = locate(cat, "quarantine", late_kept_name, &late_kept, err);
  if (!rc && !live)
    rc = fl_err_set(err, FL_ENOENT, "stream %s: no live bronze.%s to replace (floe serve creates it)", stream,
                    stream);
  if (!rc && (kept || late_kept))
    rc = fl_err_set(err, FL_EEXIST,
                    "stream %s: %s.%s exists (the table a previous swap kept): read it, then drop it "
                    "(floe drop %s.%s) before swapping again",
                    stream, kept ? "bronze" : "quarantine", kept ? kept_name : late_kept_name,
                    kept ? "bronze" : "quarantine", kept ? kept_name : late_kept_name);
  fl_free(kept_name);
  fl_free(late_kept_name);
  fl_free(live);
  fl_free(kept);
  fl_free(late_kept);
  fl_warehouse_close(wh);
  return rc;
}

fl_code fl_stream_swap(const char *data_dir, const fl_sql_stream *def, const char *replay, fl_err *err) {
  const char *stream = def->name;
  bool side = def->late_policy == FL_SQL_LATE_SIDE;
  fl_warehouse *wh = NULL;
  fl_code rc = fl_stream_swap_recover(data_dir, stream, err);
  if (!rc) rc = fl_warehouse_open(data_dir, &wh, err);
  if (rc) return rc;
  fl_catalog *cat = fl_warehouse_catalog(wh);
  char *kept_name = fl_sprintf("%s_before_swap", stream);
  char *late_name = fl_sprintf("%s_late", stream);
  char *late_kept_name = fl_sprintf("%s_late_before_swap", stream);
  char *late_rep_name = fl_sprintf("%s_late", replay);
  char *live = NULL, *rep = NULL, *kept = NULL, *late = NULL, *late_rep = NULL, *late_kept = NULL;
  char *ipath = intent_path(data_dir, stream);
  if ((rc = locate(cat, "bronze", stream, &live, err)) || (rc = locate(cat, "bronze", replay, &rep, err)) ||
      (rc = locate(cat, "bronze", kept_name, &kept, err)))
    goto done;
  if (side && ((rc = locate(cat, "quarantine", late_name, &late, err)) ||
               (rc = locate(cat, "quarantine", late_rep_name, &late_rep, err)) ||
               (rc = locate(cat, "quarantine", late_kept_name, &late_kept, err))))
    goto done;
  if (!live) {
    rc = fl_err_set(err, FL_ENOENT, "stream %s: no live bronze.%s to replace (floe serve creates it)", stream,
                    stream);
    goto done;
  }
  if (!rep) {
    rc = fl_err_set(err, FL_ENOENT, "stream %s: no table bronze.%s to swap in (floe replay %s makes it)",
                    stream, replay, stream);
    goto done;
  }
  if (kept || late_kept) {
    rc = fl_err_set(err, FL_EEXIST,
                    "stream %s: %s.%s exists (the table a previous swap kept): read it, then drop it "
                    "(floe drop %s.%s) before swapping again",
                    stream, kept ? "bronze" : "quarantine", kept ? kept_name : late_kept_name,
                    kept ? "bronze" : "quarantine", kept ? kept_name : late_kept_name);
    goto done;
  }
  /* READY -> INTENT; a kept state dir without its table (dropped) goes first */
  char *kept_dir = fl_sprintf("%s/stream/bronze.%s", data_dir, kept_name);
  remove_state_dir(kept_dir);
  fl_free(kept_dir);
  char *base = fl_sprintf("%s/stream", data_dir);
  mkdir(base, 0755);
  int fd = open(ipath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  bool written = fd >= 0 && dprintf(fd, "%s\n", replay) > 0 && fl_fsync(fd) == 0;
  if (fd >= 0) close(fd);
  if (!written) {
    rc = fl_err_errno(err, errno, "%s: write", ipath);
    fl_free(base);
    goto done;
  }
  fsync_dir(base);
  fl_free(base);
  /* INTENT -> RENAMED: one catalog transaction */
  fl_catalog_rename rn[4];
  uint32_t n = 0;
  rn[n++] = (fl_catalog_rename){"bronze", stream, "bronze", kept_name, live};
  rn[n++] = (fl_catalog_rename){"bronze", replay, "bronze", stream, rep};
  if (side && late)
    rn[n++] = (fl_catalog_rename){"quarantine", late_name, "quarantine", late_kept_name, late};
  if (side && late_rep)
    rn[n++] = (fl_catalog_rename){"quarantine", late_rep_name, "quarantine", late_name, late_rep};
  if ((rc = fl_catalog_rename_many(cat, rn, n, err))) {
    if (rc != FL_EUNKNOWN) unlink(ipath); /* INTENT -> READY; unknown: recovery looks */
    fl_err_prefix(err, "stream %s: swap: ", stream);
    goto done;
  }
  /* RENAMED -> MOVED -> READY */
  if ((rc = move_state_dirs(data_dir, stream, replay, err))) goto done;
  unlink(ipath);
  char *sdir = fl_sprintf("%s/stream", data_dir);
  fsync_dir(sdir);
  fl_free(sdir);
  fl_info(MOD, "stream %s: bronze.%s is now bronze.%s; the previous table is bronze.%s", stream, replay,
          stream, kept_name);
done:
  fl_warehouse_close(wh);
  fl_free(kept_name);
  fl_free(late_name);
  fl_free(late_kept_name);
  fl_free(late_rep_name);
  fl_free(live);
  fl_free(rep);
  fl_free(kept);
  fl_free(late);
  fl_free(late_rep);
  fl_free(late_kept);
  fl_free(ipath);
  return rc;
}
