/* Unit tests of contract versions (contract_versions.c): version 1 at the first start,
 * the same version for the same text, a new version (and the old text kept) for a
 * changed one, per stream; stray names in the directory are ignored. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mem.h"
#include "ingest/project.h"

static char *tmpdir(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base || !*base) base = "/tmp";
  mkdir(base, 0755);
  char *path = fl_sprintf("%s/cversions_test.XXXXXX", base);
  cr_assert(mkdtemp(path));
  return path;
}

static void rm_rf(const char *path) {
  char *cmd = fl_sprintf("rm -rf '%s'", path);
  cr_assert_eq(system(cmd), 0);
  fl_free(cmd);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = fl_calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static const char a1[] = "CREATE STREAM a (x INT CHECK (x > 0));\n";
static const char a2[] = "CREATE STREAM a (x INT CHECK (x > 1));\n";
static const char b1[] = "CREATE STREAM b (s STRING);\n";

/* Loads a project of streams a (text ta) and b (b1), runs the versioning in data. */
static void versions(const char *data, const char *ta, uint32_t *va, uint32_t *vb) {
  fl_project *proj = fl_project_new();
  fl_err err;
  cr_assert_eq(fl_project_add_stream_sql(proj, "a.sql", ta, strlen(ta), &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_project_add_stream_sql(proj, "b.sql", b1, strlen(b1), &err), FL_OK, "%s", err.msg);
  cr_assert_eq(proj->streams[0].contract_version, 0);
  cr_assert_eq(fl_project_contract_versions(proj, data, &err), FL_OK, "%s", err.msg);
  *va = proj->streams[0].contract_version;
  *vb = proj->streams[1].contract_version;
  fl_project_free(proj);
}

static void assert_file(const char *data, const char *rel, const char *want) {
  char *path = fl_sprintf("%s/contracts/%s", data, rel);
  char *got = slurp(path);
  cr_assert_not_null(got, "%s missing", path);
  cr_assert_str_eq(got, want, "%s", path);
  fl_free(got);
  fl_free(path);
}

Test(contract_versions, first_same_changed_and_changed_back) {
  char *dir = tmpdir();
  char *data = fl_sprintf("%s/data", dir); /* does not exist yet */
  uint32_t va, vb;
  versions(data, a1, &va, &vb);
  cr_assert_eq(va, 1);
  cr_assert_eq(vb, 1);
  assert_file(data, "a/1.sql", a1);
  assert_file(data, "b/1.sql", b1);
  versions(data, a1, &va, &vb); /* unchanged */
  cr_assert_eq(va, 1);
  cr_assert_eq(vb, 1);
  char *p2 = fl_sprintf("%s/contracts/a/2.sql", data);
  struct stat st;
  cr_assert_neq(stat(p2, &st), 0, "no version 2 for the same text");
  versions(data, a2, &va, &vb); /* a changed, b not */
  cr_assert_eq(va, 2);
  cr_assert_eq(vb, 1);
  assert_file(data, "a/1.sql", a1);
  assert_file(data, "a/2.sql", a2);
  versions(data, a1, &va, &vb); /* back to the first text: a new version, never a reuse */
  cr_assert_eq(va, 3);
  assert_file(data, "a/3.sql", a1);
  fl_free(p2);
  fl_free(data);
  rm_rf(dir);
  fl_free(dir);
}

Test(contract_versions, stray_names_and_a_leftover_temporary_file_are_ignored) {
  char *dir = tmpdir();
  char *data = fl_sprintf("%s/data", dir);
  uint32_t va, vb;
  versions(data, a1, &va, &vb);
  const char *stray[] = {"a/.2.sql.tmp", "a/notes.txt", "a/07.sql", "a/x9.sql", "a/99999999999.sql"};
  for (size_t i = 0; i < sizeof stray / sizeof *stray; i++) {
    char *p = fl_sprintf("%s/contracts/%s", data, stray[i]);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs("junk", f);
    fclose(f);
    fl_free(p);
  }
  versions(data, a1, &va, &vb);
  cr_assert_eq(va, 1);
  versions(data, a2, &va, &vb);
  cr_assert_eq(va, 2);
  assert_file(data, "a/2.sql", a2);
  fl_free(data);
  rm_rf(dir);
  fl_free(dir);
}
