/* contract_versions: the version number of each stream's contract, kept in the data
 * directory (project.h: fl_project_contract_versions). floe has no schema registry;
 * this is the smallest thing that lets a replay apply the contract a record was
 * accepted under: every log record carries the version (log_wire.h, record v2), and
 * every version's text stays on disk.
 *
 *   DATA/contracts/<stream>/<N>.sql    version N's CREATE STREAM text, N = 1, 2, ...
 *
 * At `floe serve` start, per stream:
 *
 *   list <N>.sql --none--> store text as 1.sql ------------------> version 1
 *                --max M--> read M.sql --same text--> version M
 *                                      --differs---> store text as (M+1).sql -> M+1
 *
 * Storing: write DIR/.<N>.sql.tmp, fsync it, rename to <N>.sql, fsync DIR. A crash
 * before the rename leaves a stray temporary file (ignored, overwritten next time);
 * after it the version exists, and it is the one the next start compares with. Other
 * names in the directory are ignored. A version file is never rewritten or removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsync.h"
#include "core/limits.h"
#include "core/mem.h"
#include "ingest/project.h"

static fl_code mkdir_p(const char *path, fl_err *err) {
  if (mkdir(path, 0755) == 0 || errno == EEXIST) return FL_OK;
  return fl_err_errno(err, errno, "%s: mkdir", path);
}

static fl_code sync_dir(const char *dir, fl_err *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fl_err_errno(err, errno, "%s: open", dir);
  int rc = fl_fsync(fd);
  int e = errno;
  close(fd);
  return rc ? fl_err_errno(err, e, "%s: fsync", dir) : FL_OK;
}

/* The highest N of the <N>.sql files in dir (0 if none). */
static fl_code max_version(const char *dir, uint32_t *out, fl_err *err) {
  *out = 0;
  DIR *d = opendir(dir);
  if (!d) return fl_err_errno(err, errno, "%s: open directory", dir);
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *n = de->d_name;
    size_t l = strlen(n);
    if (l < 5 || l > 14 || strcmp(n + l - 4, ".sql") || n[0] < '1' || n[0] > '9') continue;
    uint64_t v = 0;
    bool digits = true;
    for (size_t i = 0; i < l - 4 && digits; i++) {
      if (n[i] < '0' || n[i] > '9') digits = false;
      v = v * 10 + (uint64_t)(n[i] - '0');
    }
    if (digits && v <= UINT32_MAX - 1 && v > *out) *out = (uint32_t)v;
  }
  closedir(d);
  return FL_OK;
}

/* 1 if the file's bytes equal text, 0 if not, <0 on error (err set). */
static int same_text(const char *path, const char *text, size_t len, fl_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -fl_err_errno(err, errno, "%s: open", path);
  struct stat st;
  if (fstat(fd, &st)) {
    int e = errno;
    close(fd);
    return -fl_err_errno(err, e, "%s: stat", path);
  }
  if ((uint64_t)st.st_size != len) {
    close(fd);
    return 0;
  }
  char *buf = fl_malloc(len + 1);
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, buf + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  int same = got == len && (len == 0 || memcmp(buf, text, len) == 0);
  fl_free(buf);
  close(fd);
  return same;
}

static fl_code store_version(const char *dir, uint32_t v, const char *text, size_t len, fl_err *err) {
  char *tmp = fl_sprintf("%s/.%" PRIu32 ".sql.tmp", dir, v), *path = fl_sprintf("%s/%" PRIu32 ".sql", dir, v);
  fl_code rc = FL_OK;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    rc = fl_err_errno(err, errno, "%s: create", tmp);
    goto done;
  }
  size_t put = 0;
  while (put < len) {
    ssize_t w = write(fd, text + put, len - put);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      rc = fl_err_errno(err, errno, "%s: write", tmp);
      break;
    }
    put += (size_t)w;
  }
  if (!rc && fl_fsync(fd)) rc = fl_err_errno(err, errno, "%s: fsync", tmp);
  close(fd);
  if (!rc && rename(tmp, path)) rc = fl_err_errno(err, errno, "%s: rename to %s", tmp, path);
  if (rc) unlink(tmp);
  if (!rc) rc = sync_dir(dir, err);
done:
  fl_free(tmp);
  fl_free(path);
  return rc;
}

fl_code fl_project_contract_versions(fl_project *proj, const char *data_dir, fl_err *err) {
  char *root = fl_sprintf("%s/contracts", data_dir);
  fl_code rc = mkdir_p(data_dir, err);
  if (!rc) rc = mkdir_p(root, err);
  for (uint32_t i = 0; !rc && i < proj->nstreams; i++) {
    fl_project_stream *ps = &proj->streams[i];
    char *dir = fl_sprintf("%s/%s", root, ps->name);
    uint32_t max = 0;
    if ((rc = mkdir_p(dir, err)) || (rc = max_version(dir, &max, err))) goto next;
    if (max) {
      char *path = fl_sprintf("%s/%" PRIu32 ".sql", dir, max);
      int same = same_text(path, ps->sql, ps->sql_len, err);
      fl_free(path);
      if (same < 0) {
        rc = (fl_code)-same;
        goto next;
      }
      if (same) {
        ps->contract_version = max;
        goto next;
      }
    }
    if ((rc = store_version(dir, max + 1, ps->sql, ps->sql_len, err))) goto next;
    if (max == 0) rc = sync_dir(root, err); /* the stream's directory entry */
    ps->contract_version = max + 1;
  next:
    if (rc) fl_err_prefix(err, "stream %s: contract versions: ", ps->name);
    fl_free(dir);
  }
  fl_free(root);
  return rc;
}

fl_code fl_project_contract_load(const char *data_dir, const char *stream, uint32_t version, fl_arena *arena,
                                 const fl_sql_stream **out, fl_err *err) {
  *out = NULL;
  char *path = fl_sprintf("%s/contracts/%s/%" PRIu32 ".sql", data_dir, stream, version);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fl_code rc =
        fl_err_errno(err, errno, "%s: contract version %" PRIu32 " of stream %s", path, version, stream);
    fl_free(path);
    return rc;
  }
  fl_buf b = {0};
  char chunk[4096];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) fl_buf_append(&b, chunk, got);
  fclose(f);
  fl_sql_stream *def;
  char *text = fl_arena_strndup(arena, (const char *)b.data, b.len);
  fl_code rc = fl_sql_parse_create_stream(text, b.len, arena, &def, err);
  fl_buf_free(&b);
  if (rc)
    fl_err_prefix(err, "%s: ", path);
  else
    *out = def;
  fl_free(path);
  return rc;
}
