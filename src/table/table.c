/* table: the warehouse, table handles, and the commit driver every write goes through.
 *
 * Commit (REFERENCE/iceberg_parquet.md §4), for appends, deletes, schema and
 * property changes alike:
 *   1. copy the loaded metadata document, apply the change to the copy (the apply
 *      callback: it may write files such as a manifest list; it runs once per attempt)
 *   2. write metadata/<NNNNN>-<uuid>.metadata.json with N = loaded version + 1,
 *      O_EXCL + fsync + fsync(dir)
 *   3. compare-and-swap the catalog pointer from the loaded location to the new one
 *   4. FL_ECONFLICT: delete the unreferenced new metadata file, reload the latest
 *      version, sleep a little (random, growing), go to 1; at most FL_COMMIT_RETRIES_MAX
 *   5. success: the handle moves to the new version; then, under an flock on
 *      metadata/version-hint.lock, if the catalog's version M is above the hint,
 *      write metadata/v<M>.metadata.json and version-hint.text (temp + rename), so
 *      path-based readers (icebird, DuckDB) see the table and the hint never goes back.
 *
 * A process killed anywhere before 3 leaves only orphan files; after 3 the commit is
 * complete (the hint is advisory and refreshed by the next commit, or by the table's
 * writer at its start: fl_table_repair_version_hint).
 *
 * Ownership: fl_warehouse owns the catalog; fl_table owns one fl_tmeta (replaced
 * whole on refresh) and its strings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/fsync.h"
#include "core/metrics.h"
#include "core/time.h"
#include "table/table_int.h"

/* ---------------------------------------------------------------- ids and files */

uint64_t fl_tbl_random(void) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
    /* getrandom on Linux >= 3.17 does not fail for 8 bytes; fall back to time */
    v = (uint64_t)fl_mono_ns() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
  }
  return v;
}

void fl_tbl_uuid(char out[37]) {
  uint8_t b[16];
  uint64_t a = fl_tbl_random(), c = fl_tbl_random();
  memcpy(b, &a, 8);
  memcpy(b + 8, &c, 8);
  b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
  b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
           b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int64_t fl_tbl_snapshot_id_new(void) {
  int64_t id;
  do id = (int64_t)(fl_tbl_random() & (uint64_t)INT64_MAX);
  while (id == 0);
  return id;
}

fl_code fl_tbl_mkdirs(const char *path, fl_err *err) {
  char tmp[PATH_MAX];
  if (strlen(path) >= sizeof tmp) return fl_err_set(err, FL_ELIMIT, "%s: path too long", path);
  strcpy(tmp, path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(tmp, 0755) && errno != EEXIST) return fl_err_errno(err, errno, "mkdir %s", tmp);
    *p = '/';
  }
  if (mkdir(tmp, 0755) && errno != EEXIST) return fl_err_errno(err, errno, "mkdir %s", tmp);
  return FL_OK;
}

fl_code fl_tbl_fsync_dir(const char *dir, fl_err *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return fl_err_errno(err, errno, "open directory %s", dir);
  int rc = fl_fsync(fd);
  int e = errno;
  close(fd);
  return rc ? fl_err_errno(err, e, "fsync directory %s", dir) : FL_OK;
}

static fl_code write_fd_all(int fd, const char *path, const void *data, size_t len, fl_err *err) {
  const char *p = data;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fl_err_errno(err, errno, "write %s", path);
    }
    p += w;
    len -= (size_t)w;
  }
  if (fl_fsync(fd)) return fl_err_errno(err, errno, "fsync %s", path);
  return FL_OK;
}

static void dir_of(const char *path, char *out, size_t out_size) {
  snprintf(out, out_size, "%s", path);
  char *slash = strrchr(out, '/');
  if (slash && slash != out) *slash = 0;
}

fl_code fl_tbl_write_new(const char *path, const void *data, size_t len, fl_err *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fl_err_errno(err, errno, "create %s", path);
  fl_code rc = write_fd_all(fd, path, data, len, err);
  if (close(fd) && !rc) rc = fl_err_errno(err, errno, "close %s", path);
  if (rc) {
    unlink(path);
    return rc;
  }
  char dir[PATH_MAX];
  dir_of(path, dir, sizeof dir);
  return fl_tbl_fsync_dir(dir, err);
}

/* Replaces path atomically: temp file, fsync, rename, fsync(dir). */
static fl_code write_atomic(const char *path, const void *data, size_t len, fl_err *err) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp-%016" PRIx64, path, fl_tbl_random()) >= (int)sizeof tmp)
    return fl_err_set(err, FL_ELIMIT, "%s: path too long", path);
  fl_code rc = fl_tbl_write_new(tmp, data, len, err);
  if (rc) return rc;
  if (rename(tmp, path)) {
    rc = fl_err_errno(err, errno, "rename %s", tmp);
    unlink(tmp);
    return rc;
  }
  char dir[PATH_MAX];
  dir_of(path, dir, sizeof dir);
  return fl_tbl_fsync_dir(dir, err);
}

/* path becomes a hard link to the (immutable) file target: temp link, rename, fsync(dir).
 * The vN.metadata.json copy costs no byte of metadata rewritten. */
static fl_code link_atomic(const char *target, const char *path, fl_err *err) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp-%016" PRIx64, path, fl_tbl_random()) >= (int)sizeof tmp)
    return fl_err_set(err, FL_ELIMIT, "%s: path too long", path);
  if (link(target, tmp)) return fl_err_errno(err, errno, "link %s", tmp);
  if (rename(tmp, path)) {
    fl_code rc = fl_err_errno(err, errno, "rename %s", tmp);
    unlink(tmp);
    return rc;
  }
  char dir[PATH_MAX];
  dir_of(path, dir, sizeof dir);
  return fl_tbl_fsync_dir(dir, err);
}

const char *fl_tbl_uri_path(const char *uri) {
  if (!strncmp(uri, "file://", 7)) return uri + 7;
  if (!strncmp(uri, "file:/", 6)) return uri + 5;
  return uri;
}

fl_code fl_tbl_read_all(const char *path, size_t max, char **data, size_t *len, fl_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fl_err_errno(err, errno, "open %s", path);
  struct stat st;
  fl_code rc = FL_OK;
  char *buf = NULL;
  if (fstat(fd, &st)) {
    rc = fl_err_errno(err, errno, "stat %s", path);
    goto done;
  }
  if ((uint64_t)st.st_size > max) {
    rc = fl_err_set(err, FL_ELIMIT, "%s: %lld bytes exceeds %zu", path, (long long)st.st_size, max);
    goto done;
  }
  size_t n = (size_t)st.st_size, got = 0;
  buf = fl_malloc(n + 1);
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      rc = r < 0 ? fl_err_errno(err, errno, "read %s", path)
                 : fl_err_set(err, FL_ECORRUPT, "%s: short read", path);
      goto done;
    }
    got += (size_t)r;
  }
  buf[n] = 0;
  *data = buf;
  *len = n;
  buf = NULL;
done:
  fl_free(buf);
  close(fd);
  return rc;
}

void fl_tbl_backoff(uint32_t attempt) {
  uint32_t cap_us = 1000u * (attempt < 20 ? attempt + 1 : 20);
  uint32_t us = 500 + (uint32_t)(fl_tbl_random() % cap_us);
  struct timespec ts = {0, (long)us * 1000};
  nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- warehouse */

fl_code fl_warehouse_open(const char *data_dir, fl_warehouse **out, fl_err *err) {
  fl_code rc = fl_tbl_mkdirs(data_dir, err);
  if (rc) return rc;
  char abs[PATH_MAX];
  if (!realpath(data_dir, abs)) return fl_err_errno(err, errno, "realpath %s", data_dir);
  fl_warehouse *wh = fl_calloc(1, sizeof *wh);
  wh->dir = fl_strdup(abs);
  wh->root = fl_sprintf("%s/warehouse", abs);
  char *db = fl_sprintf("%s/catalog.db", abs);
  if ((rc = fl_tbl_mkdirs(wh->root, err))) goto fail;
  if ((rc = fl_catalog_open_sqlite(db, "floe", &wh->cat, err))) goto fail;
  fl_free(db);
  *out = wh;
  return FL_OK;
fail:
  fl_free(db);
  fl_warehouse_close(wh);
  return rc;
}

/* Read-only: no mkdir, no catalog created or upgraded (fl_catalog_open_sqlite_readonly);
 * a data dir without catalog.db reads as a warehouse without tables, through an
 * in-memory catalog. */
fl_code fl_warehouse_open_readonly(const char *data_dir, fl_warehouse **out, fl_err *err) {
  *out = NULL;
  struct stat st;
  if (stat(data_dir, &st) != 0) {
    if (errno == ENOENT) return fl_err_set(err, FL_ENOENT, "data dir %s does not exist", data_dir);
    return fl_err_errno(err, errno, "data dir %s", data_dir);
  }
  if (!S_ISDIR(st.st_mode)) return fl_err_set(err, FL_EINVAL, "data dir %s is not a directory", data_dir);
  char abs[PATH_MAX];
  if (!realpath(data_dir, abs)) return fl_err_errno(err, errno, "realpath %s", data_dir);
  fl_warehouse *wh = fl_calloc(1, sizeof *wh);
  wh->dir = fl_strdup(abs);
  wh->root = fl_sprintf("%s/warehouse", abs);
  char *db = fl_sprintf("%s/catalog.db", abs);
  fl_code rc = fl_catalog_open_sqlite_readonly(db, "floe", &wh->cat, err);
  if (rc == FL_ENOENT) rc = fl_catalog_open_sqlite(":memory:", "floe", &wh->cat, err);
  fl_free(db);
  if (rc) {
    fl_warehouse_close(wh);
    return rc;
  }
  *out = wh;
  return FL_OK;
}

void fl_warehouse_close(fl_warehouse *wh) {
  if (!wh) return;
  if (wh->cat) fl_catalog_close(wh->cat);
  fl_free(wh->dir);
  fl_free(wh->root);
  fl_free(wh);
}

fl_catalog *fl_warehouse_catalog(fl_warehouse *wh) { return wh->cat; }
const char *fl_warehouse_root(const fl_warehouse *wh) { return wh->root; }
const char *fl_warehouse_dir(const fl_warehouse *wh) { return wh->dir; }

fl_code fl_warehouse_list(fl_warehouse *wh, const char *ns, fl_catalog_entry **entries, uint32_t *n,
                          fl_err *err) {
  return fl_catalog_list(wh->cat, ns, entries, n, err);
}

static bool valid_ident(const char *s) {
  size_t n = strlen(s);
  if (!n || n > FL_NAME_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  }
  return true;
}

fl_code fl_table_ident_parse(const char *qualified, char ns[], char name[], fl_err *err) {
  const char *dot = strchr(qualified, '.');
  if (!dot || dot == qualified || !dot[1] || (size_t)(dot - qualified) > FL_NAME_MAX ||
      strlen(dot + 1) > FL_NAME_MAX)
    return fl_err_set(err, FL_EINVAL, "'%s': expected <namespace>.<table>", qualified);
  memcpy(ns, qualified, (size_t)(dot - qualified));
  ns[dot - qualified] = 0;
  strcpy(name, dot + 1);
  if (!valid_ident(ns) || !valid_ident(name))
    return fl_err_set(err, FL_EINVAL, "'%s': names are letters, digits, _ and - (at most %d)", qualified,
                      FL_NAME_MAX);
  return FL_OK;
}

/* ---------------------------------------------------------------- load */

/* NNNNN of "NNNNN-<uuid>.metadata.json" or N of "vN.metadata.json"; -1 if neither. */
static int32_t version_of(const char *location) {
  const char *base = strrchr(location, '/');
  base = base ? base + 1 : location;
  if (*base == 'v') base++;
  if (*base < '0' || *base > '9') return -1;
  long v = strtol(base, NULL, 10);
  return v > INT32_MAX ? -1 : (int32_t)v;
}

static void drop_staged(fl_table *tbl) {
  fl_free(tbl->staged_location);
  free(tbl->staged_text); /* json_dumps' malloc */
  tbl->staged_location = tbl->staged_text = NULL;
  tbl->staged_len = 0;
  if (tbl->staged_root) json_decref(tbl->staged_root);
  tbl->staged_root = NULL;
}

static fl_code table_set_version(fl_table *tbl, const char *location, fl_err *err) {
  fl_tmeta *meta;
  fl_code rc;
  if (tbl->staged_location && !strcmp(tbl->staged_location, location)) { /* written by us: no read back */
    rc = fl_tmeta_from_root(tbl->staged_root, tbl->staged_text, tbl->staged_len, fl_tbl_uri_path(location),
                            &meta, err);
    tbl->staged_root = NULL; /* stolen, even on failure */
  } else
    rc = fl_tcache_meta(fl_tbl_uri_path(location), &meta, err);
  drop_staged(tbl);
  if (rc) return fl_err_prefix(err, "table %s.%s: ", tbl->ns, tbl->name);
  fl_tmeta_free(tbl->meta);
  tbl->meta = meta;
  fl_free(tbl->metadata_location);
  tbl->metadata_location = fl_strdup(location);
  int32_t v = version_of(location);
  tbl->version = v >= 0 ? v : (int32_t)meta->nmetalog;
  if (!tbl->dir) tbl->dir = fl_strdup(fl_tbl_uri_path(meta->location));
  fl_tbl_locate(tbl, fl_tbl_uri_path(location));
  if (tbl->real_dir && strcmp(tbl->dir, tbl->real_dir)) {
    fl_free(tbl->dir);
    tbl->dir = fl_strdup(tbl->real_dir);
  }
  return FL_OK;
}

fl_code fl_table_load_at(fl_warehouse *wh, const char *ns, const char *name, const char *metadata_location,
                         fl_table **out, fl_err *err) {
  fl_table *tbl = fl_calloc(1, sizeof *tbl);
  tbl->wh = wh;
  snprintf(tbl->ns, sizeof tbl->ns, "%s", ns);
  snprintf(tbl->name, sizeof tbl->name, "%s", name);
  fl_code rc = table_set_version(tbl, metadata_location, err);
  if (rc) {
    fl_table_free(tbl);
    return rc;
  }
  *out = tbl;
  return FL_OK;
}

fl_code fl_table_load(fl_warehouse *wh, const char *ns, const char *name, fl_table **out, fl_err *err) {
  char *loc = NULL;
  fl_code rc = fl_catalog_load(wh->cat, ns, name, &loc, err);
  if (rc) return rc;
  fl_table *tbl = fl_calloc(1, sizeof *tbl);
  tbl->wh = wh;
  snprintf(tbl->ns, sizeof tbl->ns, "%s", ns);
  snprintf(tbl->name, sizeof tbl->name, "%s", name);
  rc = table_set_version(tbl, loc, err);
  fl_free(loc);
  if (rc) {
    fl_table_free(tbl);
    return rc;
  }
  *out = tbl;
  return FL_OK;
}

fl_code fl_table_refresh(fl_table *tbl, fl_err *err) {
  char *loc = NULL;
  fl_code rc = fl_catalog_load(tbl->wh->cat, tbl->ns, tbl->name, &loc, err);
  if (rc) return rc;
  if (strcmp(loc, tbl->metadata_location)) rc = table_set_version(tbl, loc, err);
  fl_free(loc);
  return rc;
}

void fl_table_free(fl_table *tbl) {
  if (!tbl) return;
  drop_staged(tbl);
  fl_tmeta_free(tbl->meta);
  fl_free(tbl->metadata_location);
  fl_free(tbl->dir);
  fl_free(tbl->real_dir);
  fl_free(tbl);
}

/* ---------------------------------------------------------------- version hint */

static void update_version_hint(fl_table *tbl) {
  fl_err err = {0};
  char path[PATH_MAX], hint_path[PATH_MAX];
  char *loc = NULL, *text = NULL;
  size_t len;
  snprintf(path, sizeof path, "%s/metadata/version-hint.lock", tbl->dir);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || flock(fd, LOCK_EX)) {
    fl_warn("table", "%s.%s: version hint lock: %s", tbl->ns, tbl->name, strerror(errno));
    goto done;
  }
  /* The catalog is the truth: hint its version, whoever committed it. */
  if (fl_catalog_load(tbl->wh->cat, tbl->ns, tbl->name, &loc, &err)) goto fail;
  int32_t v = version_of(loc);
  if (v < 0) goto done;
  snprintf(hint_path, sizeof hint_path, "%s/metadata/version-hint.text", tbl->dir);
  if (!fl_tbl_read_all(hint_path, 64, &text, &len, NULL)) {
    long old = strtol(text, NULL, 10);
    fl_free(text);
    text = NULL;
    if (old >= v) goto done;
  }
  snprintf(path, sizeof path, "%s/metadata/v%d.metadata.json", tbl->dir, v);
  if (link_atomic(fl_tbl_uri_path(loc), path, &err)) goto fail;
  char num[16];
  int nl = snprintf(num, sizeof num, "%d", v);
  if (write_atomic(hint_path, num, (size_t)nl, &err)) goto fail;
  goto done;
fail:
  fl_warn("table", "%s.%s: version hint not updated: %s", tbl->ns, tbl->name, err.msg);
done:
  fl_free(text);
  fl_free(loc);
  if (fd >= 0) close(fd); /* releases the flock */
}

void fl_table_repair_version_hint(fl_table *tbl) {
  if (!fl_tbl_check_writable(tbl, &(fl_err){0})) update_version_hint(tbl);
}

/* ---------------------------------------------------------------- commit driver */

fl_code fl_tbl_prepare(fl_table *tbl, fl_tbl_apply_fn apply, void *ctx, char **new_location, fl_err *err) {
  fl_code writable = fl_tbl_check_writable(tbl, err);
  if (writable) return writable;
  const fl_tmeta *base = tbl->meta;
  /* v3 writers must keep row lineage (next-row-id, first-row-id) and write deletion
     vectors, not position delete files: floe does neither, so it reads v3 only */
  if (base->format_version > 2)
    return fl_err_set(err, FL_EUNSUPPORTED,
                      "table %s.%s: Iceberg format-version %d is read-only in floe (no commits to v3 "
                      "tables: row lineage and deletion vectors are not written)",
                      tbl->ns, tbl->name, (int)base->format_version);
  json_t *root = json_deep_copy(base->root);
  char *text = NULL;
  fl_code rc = apply(ctx, tbl, root, err);
  if (rc) goto done;
  fl_tbl_expire_in_commit(tbl, root);
  int64_t now = fl_now_ms();
  if (now <= base->last_updated_ms) now = base->last_updated_ms + 1; /* monotonic per table */
  fl_tbl_json_set_i64(root, "last-updated-ms", now);
  json_t *entry = json_object();
  fl_tbl_json_set_i64(entry, "timestamp-ms", base->last_updated_ms);
  json_object_set_new(entry, "metadata-file", json_string(tbl->metadata_location));
  fl_tbl_json_log_append(root, "metadata-log", entry);
  const char *maxs = fl_table_property(tbl, "write.metadata.previous-versions-max");
  size_t keep = maxs ? (size_t)strtoul(maxs, NULL, 10) : 100;
  json_t *mlog = json_object_get(root, "metadata-log");
  while (json_array_size(mlog) > keep && json_array_size(mlog) > 0) json_array_remove(mlog, 0);
  text = json_dumps(root, JSON_COMPACT);
  FL_ASSERT(text, "json_dumps of table metadata");
  char uuid[37], path[PATH_MAX];
  fl_tbl_uuid(uuid);
  snprintf(path, sizeof path, "%s/metadata/%05d-%s.metadata.json", tbl->dir, tbl->version + 1, uuid);
  size_t len = strlen(text);
  if ((rc = fl_tbl_write_new(path, text, len, err))) goto done;
  *new_location = fl_sprintf("file://%s", path);
  drop_staged(tbl);
  tbl->staged_location = fl_strdup(*new_location);
  tbl->staged_text = text;
  tbl->staged_len = len;
  tbl->staged_root = root;
  text = NULL;
  root = NULL;
done:
  free(text);
  if (root) json_decref(root);
  return rc;
}

fl_code fl_tbl_committed(fl_table *tbl, const char *new_location, fl_err *err) {
  fl_tmeta *old = tbl->meta;
  char *old_location = tbl->metadata_location;
  tbl->meta = NULL; /* kept for the clean-up */
  tbl->metadata_location = NULL;
  fl_code rc = table_set_version(tbl, new_location, err);
  if (rc) {
    tbl->meta = old;
    tbl->metadata_location = old_location;
    return rc;
  }
  update_version_hint(tbl);
  fl_tbl_cleanup_after_commit(tbl, old, old_location, tbl->meta);
  fl_tmeta_free(old);
  fl_free(old_location);
  return FL_OK;
}

static fl_metric_family *m_commits, *m_commit_seconds, *m_last_commit;

static void commit_metrics_register(void) {
  m_commits = fl_metrics_counter("floe_iceberg_commits_total",
                                 "Iceberg commit attempts by table and result (ok, conflict: a lost "
                                 "compare-and-swap that is retried, failed).",
                                 "table,result");
  m_commit_seconds = fl_metrics_histogram("floe_iceberg_commit_duration_seconds",
                                          "Time of a successful commit: new metadata written and the "
                                          "catalog pointer swapped.",
                                          "table", NULL, 0);
  m_last_commit =
      fl_metrics_gauge("floe_iceberg_last_commit_timestamp_seconds",
                       "When the table's last commit landed, seconds since the Unix epoch.", "table");
}

void fl_tbl_commit_metric(const fl_table *tbl, const char *result, int64_t start_ns) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, commit_metrics_register);
  char qname[2 * FL_NAME_MAX + 2];
  snprintf(qname, sizeof qname, "%s.%s", tbl->ns, tbl->name);
  fl_metric_add(FL_METRIC_WITH(m_commits, qname, result), 1);
  if (strcmp(result, "ok") != 0) return;
  fl_metric_observe(FL_METRIC_WITH(m_commit_seconds, qname), (double)(fl_mono_ns() - start_ns) / 1e9);
  fl_metric_set(FL_METRIC_WITH(m_last_commit, qname), (double)fl_now_ms() / 1e3);
}

fl_code fl_tbl_commit(fl_table *tbl, fl_tbl_apply_fn apply, void *ctx, fl_err *err) {
  for (uint32_t attempt = 0;; attempt++) {
    char *loc = NULL;
    int64_t start_ns = fl_mono_ns();
    fl_code rc = fl_tbl_prepare(tbl, apply, ctx, &loc, err);
    if (rc) return rc;
    rc = fl_catalog_commit(tbl->wh->cat, tbl->ns, tbl->name, tbl->metadata_location, loc, err);
    fl_tbl_commit_metric(tbl, rc == FL_OK ? "ok" : rc == FL_ECONFLICT ? "conflict" : "failed", start_ns);
    if (rc == FL_OK) {
      /* Committed: whatever happens next must not make the caller think otherwise
       * (an abort would delete committed files). A failed reload leaves the handle
       * on the old version; the next refresh catches up. */
      fl_err rerr = {0};
      if (fl_tbl_committed(tbl, loc, &rerr))
        fl_warn("table", "%s.%s: committed %s, but reloading it failed: %s", tbl->ns, tbl->name, loc,
                rerr.msg);
      fl_free(loc);
      return FL_OK;
    }
    if (rc != FL_ECONFLICT) {
      fl_free(loc); /* outcome may be unknown: keep the file */
      return rc;
    }
    unlink(fl_tbl_uri_path(loc)); /* never referenced: the swap did not happen */
    fl_free(loc);
    if (attempt + 1 >= FL_COMMIT_RETRIES_MAX)
      return fl_err_set(err, FL_ECONFLICT, "table %s.%s: commit conflict persisted after %d retries", tbl->ns,
                        tbl->name, FL_COMMIT_RETRIES_MAX);
    fl_debug("table", "%s.%s: commit conflict, retry %u", tbl->ns, tbl->name, attempt + 1);
    if ((rc = fl_table_refresh(tbl, err))) return rc;
    fl_tbl_backoff(attempt);
  }
}

/* ---------------------------------------------------------------- create / drop */

static fl_code copy_schema(const fl_schema *in, fl_arena *arena, fl_schema *out, fl_err *err) {
  bool all_zero = true;
  for (uint32_t i = 0; i < in->nfields; i++) all_zero &= in->fields[i].id == 0;
  if (!in->nfields) return fl_err_set(err, FL_EINVAL, "a table needs at least one column");
  if (in->nfields > FL_COLUMNS_MAX)
    return fl_err_set(err, FL_ELIMIT, "%u columns exceed %d", in->nfields, FL_COLUMNS_MAX);
  out->schema_id = 0;
  out->nfields = in->nfields;
  out->fields = fl_arena_calloc(arena, in->nfields, sizeof(fl_field));
  for (uint32_t i = 0; i < in->nfields; i++) {
    fl_field *f = &out->fields[i];
    *f = in->fields[i];
    f->name = fl_arena_strdup(arena, in->fields[i].name);
    if (all_zero) f->id = (int32_t)i + 1;
    if (f->id <= 0) return fl_err_set(err, FL_EINVAL, "column %s: field id %d (must be > 0)", f->name, f->id);
    for (uint32_t j = 0; j < i; j++) {
      if (out->fields[j].id == f->id)
        return fl_err_set(err, FL_EINVAL, "columns %s and %s share field id %d", out->fields[j].name, f->name,
                          f->id);
      if (!strcmp(out->fields[j].name, f->name))
        return fl_err_set(err, FL_EINVAL, "column %s given twice", f->name);
    }
    if (f->type.kind == FL_T_DECIMAL &&
        (f->type.precision == 0 || f->type.precision > FL_DECIMAL_PRECISION_MAX))
      return fl_err_set(err, FL_EUNSUPPORTED, "column %s: DECIMAL precision %u (1..%d supported)", f->name,
                        f->type.precision, FL_DECIMAL_PRECISION_MAX);
  }
  out->nidentifier = in->nidentifier;
  out->identifier_ids = fl_arena_calloc(arena, in->nidentifier ? in->nidentifier : 1, sizeof(int32_t));
  for (uint32_t i = 0; i < in->nidentifier; i++) {
    int32_t id = in->identifier_ids[i];
    const fl_field *f = fl_schema_field_by_id(out, id);
    if (!f) return fl_err_set(err, FL_EINVAL, "identifier field id %d is not a column", id);
    if (!f->required) return fl_err_set(err, FL_EINVAL, "identifier column %s must be NOT NULL", f->name);
    out->identifier_ids[i] = id;
  }
  return FL_OK;
}

fl_code fl_table_create(fl_warehouse *wh, const char *ns, const char *name, const fl_schema *schema,
                        const fl_table_create_opts *opts, fl_table **out, fl_err *err) {
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  json_t *root = NULL;
  char *text = NULL, *dir = NULL, *loc = NULL, *mpath = NULL;
  fl_code rc;
  if (!valid_ident(ns) || !valid_ident(name)) {
    rc = fl_err_set(err, FL_EINVAL, "table name '%s.%s': names are letters, digits, _ and - (at most %d)", ns,
                    name, FL_NAME_MAX);
    goto done;
  }
  fl_schema s;
  if ((rc = copy_schema(schema, &arena, &s, err))) goto prefixed;
  dir = fl_sprintf("%s/%s/%s", wh->root, ns, name);
  char uuid[37];
  fl_tbl_uuid(uuid);
  loc = fl_sprintf("file://%s", dir);
  if ((rc = fl_tmeta_new_root(uuid, loc, &s, opts, &root, err))) goto prefixed;
  char *sub = fl_sprintf("%s/metadata", dir);
  rc = fl_tbl_mkdirs(sub, err);
  fl_free(sub);
  if (rc) goto done;
  sub = fl_sprintf("%s/data", dir);
  rc = fl_tbl_mkdirs(sub, err);
  fl_free(sub);
  if (rc) goto done;
  text = json_dumps(root, JSON_COMPACT);
  char muuid[37];
  fl_tbl_uuid(muuid);
  mpath = fl_sprintf("%s/metadata/00000-%s.metadata.json", dir, muuid);
  if ((rc = fl_tbl_write_new(mpath, text, strlen(text), err))) goto done;
  char *muri = fl_sprintf("file://%s", mpath);
  rc = fl_catalog_create_namespace(wh->cat, ns, err);
  if (!rc) rc = fl_catalog_create_table(wh->cat, ns, name, muri, err);
  fl_free(muri);
  if (rc) {
    unlink(mpath);
    goto done;
  }
  fl_table *tbl = NULL;
  if ((rc = fl_table_load(wh, ns, name, &tbl, err))) goto done;
  update_version_hint(tbl);
  *out = tbl;
  goto done;
prefixed:
  fl_err_prefix(err, "create table %s.%s: ", ns, name);
done:
  free(text);
  if (root) json_decref(root);
  fl_free(dir);
  fl_free(loc);
  fl_free(mpath);
  fl_arena_destroy(&arena);
  return rc;
}

static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    unlink(path);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *child = fl_sprintf("%s/%s", path, e->d_name);
    remove_tree(child);
    fl_free(child);
  }
  closedir(d);
  rmdir(path);
}

fl_code fl_table_drop(fl_warehouse *wh, const char *ns, const char *name, bool purge, fl_err *err) {
  fl_table *tbl = NULL;
  char *dir = NULL;
  if (purge && !fl_table_load(wh, ns, name, &tbl, NULL)) dir = fl_strdup(tbl->dir);
  fl_table_free(tbl);
  fl_code rc = fl_catalog_drop_table(wh->cat, ns, name, err);
  if (!rc && dir) remove_tree(dir);
  fl_free(dir);
  return rc;
}

/* ---------------------------------------------------------------- accessors */

const char *fl_table_ns(const fl_table *tbl) { return tbl->ns; }
const char *fl_table_name(const fl_table *tbl) { return tbl->name; }
const char *fl_table_uuid(const fl_table *tbl) { return tbl->meta->uuid; }
const char *fl_table_location(const fl_table *tbl) { return tbl->meta->location; }
const char *fl_table_dir(const fl_table *tbl) { return tbl->dir; }
const char *fl_table_metadata_location(const fl_table *tbl) { return tbl->metadata_location; }
fl_warehouse *fl_table_warehouse(const fl_table *tbl) { return tbl->wh; }
int64_t fl_table_last_sequence_number(const fl_table *tbl) { return tbl->meta->last_seq; }
int64_t fl_table_last_updated_ms(const fl_table *tbl) { return tbl->meta->last_updated_ms; }
const fl_schema *fl_table_schema(const fl_table *tbl) { return tbl->meta->schema; }
const char *fl_table_schema_json(const fl_table *tbl) { return tbl->meta->schema_json; }
const char *fl_table_metadata_json(const fl_table *tbl) { return tbl->meta->text; }
int32_t fl_table_spec_id(const fl_table *tbl) { return tbl->meta->spec->spec_id; }

const fl_schema *fl_table_schema_by_id(const fl_table *tbl, int32_t schema_id) {
  for (uint32_t i = 0; i < tbl->meta->nschemas; i++)
    if (tbl->meta->schemas[i].schema_id == schema_id) return &tbl->meta->schemas[i];
  return NULL;
}

const fl_partition_field *fl_table_spec_fields(const fl_table *tbl, uint32_t *n) {
  *n = tbl->meta->spec->nfields;
  return tbl->meta->spec->fields;
}

const fl_sort_def *fl_table_sort_order(const fl_table *tbl, uint32_t *n) {
  const fl_tsort *o = tbl->meta->order;
  *n = o ? o->nfields : 0;
  return o ? o->defs : NULL;
}

const fl_kv *fl_table_properties(const fl_table *tbl, uint32_t *n) {
  *n = tbl->meta->nprops;
  return tbl->meta->props;
}

const char *fl_table_property(const fl_table *tbl, const char *key) {
  for (uint32_t i = 0; i < tbl->meta->nprops; i++)
    if (!strcmp(tbl->meta->props[i].key, key)) return tbl->meta->props[i].value;
  return NULL;
}

const fl_snapshot *fl_table_snapshots(const fl_table *tbl, uint32_t *n) {
  *n = tbl->meta->nsnapshots;
  return tbl->meta->snapshots;
}

const fl_snapshot *fl_table_snapshot_by_id(const fl_table *tbl, int64_t snapshot_id) {
  const fl_tmeta *m = tbl->meta;
  uint32_t s = fl_tmeta_snap_slot(snapshot_id, m->snap_slots_cap);
  while (m->snap_slots[s]) {
    const fl_snapshot *snap = &m->snapshots[m->snap_slots[s] - 1];
    if (snap->snapshot_id == snapshot_id) return snap;
    s = (s + 1) & (m->snap_slots_cap - 1);
  }
  return NULL;
}

const fl_snapshot *fl_table_current_snapshot(const fl_table *tbl) {
  return tbl->meta->current_snapshot_id < 0 ? NULL
                                            : fl_table_snapshot_by_id(tbl, tbl->meta->current_snapshot_id);
}

const fl_snapshot *fl_table_snapshot_as_of(const fl_table *tbl, int64_t ts_ms) {
  const fl_tmeta *m = tbl->meta;
  int64_t id = -1;
  for (uint32_t i = 0; i < m->nsnaplog; i++)
    if (m->snaplog[i].ts_ms <= ts_ms) id = m->snaplog[i].snapshot_id;
  if (!m->nsnaplog) { /* no log (another writer): fall back to snapshot times */
    int64_t best = INT64_MIN;
    for (uint32_t i = 0; i < m->nsnapshots; i++)
      if (m->snapshots[i].timestamp_ms <= ts_ms && m->snapshots[i].timestamp_ms >= best) {
        best = m->snapshots[i].timestamp_ms;
        id = m->snapshots[i].snapshot_id;
      }
  }
  return id < 0 ? NULL : fl_table_snapshot_by_id(tbl, id);
}

const char *fl_snapshot_summary_get(const fl_snapshot *snap, const char *key) {
  if (!strcmp(key, "operation")) return snap->operation;
  for (uint32_t i = 0; i < snap->nsummary; i++)
    if (!strcmp(snap->summary[i].key, key)) return snap->summary[i].value;
  return NULL;
}

const fl_snapshot *fl_table_snapshot_with_summary(const fl_table *tbl, const char *key, const char *value) {
  const fl_snapshot *s = fl_table_current_snapshot(tbl);
  for (uint32_t hops = 0; s && hops <= tbl->meta->nsnapshots; hops++) {
    const char *v = fl_snapshot_summary_get(s, key);
    if (v && !strcmp(v, value)) return s;
    s = s->parent_id > 0 ? fl_table_snapshot_by_id(tbl, s->parent_id) : NULL;
  }
  return NULL;
}

const char *fl_table_checkpoint(const fl_table *tbl, const char *key) {
  /* The current snapshot carries every floe.* key forward (fl_tbl_add_snapshot); the
   * walk only matters for tables written before that rule, whose compaction or
   * expiry snapshots lack the keys: the newest ancestor still in the metadata wins. */
  const fl_snapshot *s = fl_table_current_snapshot(tbl);
  for (uint32_t hops = 0; s && hops <= tbl->meta->nsnapshots; hops++) {
    const char *v = fl_snapshot_summary_get(s, key);
    if (v) return v;
    s = s->parent_id > 0 ? fl_table_snapshot_by_id(tbl, s->parent_id) : NULL;
  }
  return NULL;
}

/* ---------------------------------------------------------------- describe */

void fl_table_describe(const fl_table *tbl, fl_buf *out) {
  const fl_tmeta *m = tbl->meta;
  fl_buf_printf(out, "table      %s.%s\n", tbl->ns, tbl->name);
  fl_buf_printf(out, "uuid       %s\n", m->uuid);
  fl_buf_printf(out, "location   %s\n", m->location);
  fl_buf_printf(out, "metadata   %s\n", tbl->metadata_location);
  fl_buf_printf(out, "format     v%d, last sequence number %" PRId64 "\n", m->format_version, m->last_seq);
  fl_buf_printf(out, "schema     (id %d)\n", m->schema->schema_id);
  for (uint32_t i = 0; i < m->schema->nfields; i++) {
    const fl_field *f = &m->schema->fields[i];
    char ty[32];
    fl_type_text(f->type, ty, sizeof ty);
    if (f->nested) /* read as JSON text */
      snprintf(ty, sizeof ty, "%s (JSON)",
               f->nested->kind == FL_NESTED_STRUCT ? "STRUCT"
               : f->nested->kind == FL_NESTED_LIST ? "LIST"
                                                   : "MAP");
    bool key = false;
    for (uint32_t k = 0; k < m->schema->nidentifier; k++) key |= m->schema->identifier_ids[k] == f->id;
    fl_buf_printf(out, "  %3d  %-24s %-16s%s%s\n", f->id, f->name, ty, f->required ? " NOT NULL" : "",
                  key ? " KEY" : "");
  }
  fl_buf_printf(out, "partition  ");
  if (!m->spec->nfields) fl_buf_puts(out, "(unpartitioned)");
  for (uint32_t i = 0; i < m->spec->nfields; i++) {
    const fl_partition_field *pf = &m->spec->fields[i];
    const fl_field *src = fl_schema_field_by_id(m->schema, pf->source_id);
    fl_buf_printf(out, "%s%s(%s) as %s", i ? ", " : "", pf->transform, src ? src->name : "?", pf->name);
  }
  fl_buf_puts(out, "\nsort       ");
  if (!m->order || !m->order->nfields) fl_buf_puts(out, "(unsorted)");
  for (uint32_t i = 0; m->order && i < m->order->nfields; i++) {
    const fl_sort_def *d = &m->order->defs[i];
    fl_buf_printf(out, "%s%s %s %s", i ? ", " : "", d->column, d->descending ? "DESC" : "ASC",
                  d->nulls_last ? "NULLS LAST" : "NULLS FIRST");
  }
  fl_buf_puts(out, "\nproperties\n");
  for (uint32_t i = 0; i < m->nprops; i++)
    fl_buf_printf(out, "  %s = %s\n", m->props[i].key, m->props[i].value);
  fl_buf_printf(out, "snapshots  %u\n", m->nsnapshots);
  for (uint32_t i = 0; i < m->nsnapshots; i++) {
    const fl_snapshot *s = &m->snapshots[i];
    char ts[FL_TS_TEXT_MAX];
    fl_ts_format(s->timestamp_ms * 1000, ts);
    const char *ar = fl_snapshot_summary_get(s, "added-records");
    const char *tr = fl_snapshot_summary_get(s, "total-records");
    const char *af = fl_snapshot_summary_get(s, "added-data-files");
    const char *ad = fl_snapshot_summary_get(s, "added-position-deletes");
    fl_buf_printf(out, "  %s%" PRId64 "  seq %" PRId64 "  %s  %-9s parent %" PRId64 "  +%s rows +%s files",
                  s->snapshot_id == m->current_snapshot_id ? "*" : " ", s->snapshot_id, s->sequence_number,
                  ts, s->operation, s->parent_id, ar ? ar : "0", af ? af : "0");
    if (ad) fl_buf_printf(out, " +%s deletes", ad);
    fl_buf_printf(out, "  total %s rows\n", tr ? tr : "?");
  }
  const fl_snapshot *cur = fl_table_current_snapshot(tbl);
  const char *files = cur ? fl_snapshot_summary_get(cur, "total-data-files") : NULL;
  const char *dfiles = cur ? fl_snapshot_summary_get(cur, "total-delete-files") : NULL;
  const char *bytes = cur ? fl_snapshot_summary_get(cur, "total-files-size") : NULL;
  const char *rows = cur ? fl_snapshot_summary_get(cur, "total-records") : NULL;
  const char *pdel = cur ? fl_snapshot_summary_get(cur, "total-position-deletes") : NULL;
  long long nrows = rows ? atoll(rows) : 0, ndel = pdel ? atoll(pdel) : 0;
  long long nfiles = files ? atoll(files) : 0, ndfiles = dfiles ? atoll(dfiles) : 0;
  long long nbytes = bytes ? atoll(bytes) : 0;
  /* the manifests are the truth: summaries are optional, and writers fill them
     differently (or wrongly); the summary is shown only when it disagrees */
  fl_table_totals t;
  fl_err terr = {0};
  const char *note = NULL;
  if (cur && fl_table_manifest_totals(tbl, cur, &t, &terr) == FL_OK) {
    bool agree = rows && files && bytes && nrows == t.records && ndel == t.position_deletes &&
                 nfiles == t.data_files && ndfiles == t.delete_files && nbytes == t.bytes;
    if (!agree) note = "from the manifests";
    nrows = t.records;
    ndel = t.position_deletes;
    nfiles = t.data_files;
    ndfiles = t.delete_files;
    nbytes = t.bytes;
  } else if (cur) {
    note = "from the snapshot summary";
  }
  fl_buf_printf(out, "current    %lld rows", nrows - ndel);
  if (ndel) fl_buf_printf(out, " (%lld in data files, %lld deleted)", nrows, ndel);
  fl_buf_printf(out, ", %lld data files, %lld delete files, %lld bytes\n", nfiles, ndfiles, nbytes);
  if (note && !terr.code)
    fl_buf_printf(out,
                  "           (%s; the snapshot summary says %s rows, %s deleted, %s data files, "
                  "%s delete files, %s bytes)\n",
                  note, rows ? rows : "?", pdel ? pdel : "?", files ? files : "?", dfiles ? dfiles : "?",
                  bytes ? bytes : "?");
  else if (note)
    fl_buf_printf(out, "           (%s: the manifests cannot be read: %s)\n", note, terr.msg);
}
