/* Tests of replay --swap's protocol (swap.c): a swap interrupted after its intent but
 * before the catalog renamed is forgotten (nothing moves); one interrupted after the
 * catalog renamed is finished by the recovery (the job state directories follow their
 * tables), also after one of the two moves; a second recovery is a no-op. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "core/diag.h"
#include "core/mem.h"
#include "stream/stream.h"

typedef struct env {
  char *dir;
  char live_loc[1024], rep_loc[1024];
} env;

static void put_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  fclose(f);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  char buf[64] = {0};
  cr_assert_not_null(fgets(buf, sizeof buf, f));
  fclose(f);
  return fl_strdup(buf);
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* bronze.s and bronze.s_replay, each with a state directory holding one file that
 * names its table; the swap's intent file. */
static void env_open(env *e) {
  fl_diag_set_level(FL_ERROR);
  const char *root = getenv("FLOE_TEST_TMP");
  if (!root || !*root) root = "/tmp";
  mkdir(root, 0755);
  e->dir = fl_sprintf("%s/swaptest.XXXXXX", root);
  cr_assert_not_null(mkdtemp(e->dir));
  fl_warehouse *wh;
  fl_err err;
  cr_assert_eq(fl_warehouse_open(e->dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_field f[1] = {{0, "x", {FL_T_BIGINT, 0, 0}, false, NULL}};
  fl_schema schema = {0, 1, f, 0, NULL};
  fl_table *t;
  cr_assert_eq(fl_table_create(wh, "bronze", "s", &schema, NULL, &t, &err), FL_OK, "%s", err.msg);
  snprintf(e->live_loc, sizeof e->live_loc, "%s", fl_table_metadata_location(t));
  fl_table_free(t);
  cr_assert_eq(fl_table_create(wh, "bronze", "s_replay", &schema, NULL, &t, &err), FL_OK, "%s", err.msg);
  snprintf(e->rep_loc, sizeof e->rep_loc, "%s", fl_table_metadata_location(t));
  fl_table_free(t);
  fl_warehouse_close(wh);
  char *p = fl_sprintf("%s/stream", e->dir);
  mkdir(p, 0755);
  fl_free(p);
  p = fl_sprintf("%s/stream/s", e->dir);
  mkdir(p, 0755);
  fl_free(p);
  p = fl_sprintf("%s/stream/s/00000000000000000007.state", e->dir);
  put_file(p, "live\n");
  fl_free(p);
  p = fl_sprintf("%s/stream/bronze.s_replay", e->dir);
  mkdir(p, 0755);
  fl_free(p);
  p = fl_sprintf("%s/stream/bronze.s_replay/00000000000000000003.state", e->dir);
  put_file(p, "replay\n");
  fl_free(p);
  p = fl_sprintf("%s/stream/s.swap", e->dir);
  put_file(p, "s_replay\n");
  fl_free(p);
}

static void env_close(env *e) {
  char *cmd = fl_sprintf("rm -rf '%s'", e->dir);
  cr_assert_eq(system(cmd), 0);
  fl_free(cmd);
  fl_free(e->dir);
}

static void rename_in_catalog(env *e) {
  fl_warehouse *wh;
  fl_err err;
  cr_assert_eq(fl_warehouse_open(e->dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_catalog_rename rn[2] = {{"bronze", "s", "bronze", "s_before_swap", e->live_loc},
                             {"bronze", "s_replay", "bronze", "s", e->rep_loc}};
  cr_assert_eq(fl_catalog_rename_many(fl_warehouse_catalog(wh), rn, 2, &err), FL_OK, "%s", err.msg);
  fl_warehouse_close(wh);
}

/* The state file's text in DATA/stream/<sub>/<name>, NULL if absent. */
static char *state(env *e, const char *sub, const char *name) {
  char *p = fl_sprintf("%s/stream/%s/%s", e->dir, sub, name);
  char *t = read_file(p);
  fl_free(p);
  return t;
}

static void expect_state(env *e, const char *sub, const char *name, const char *want) {
  char *t = state(e, sub, name);
  cr_assert_not_null(t, "stream/%s/%s missing", sub, name);
  cr_assert_str_eq(t, want);
  fl_free(t);
}

static void recover(env *e) {
  fl_err err;
  cr_assert_eq(fl_stream_swap_recover(e->dir, "s", &err), FL_OK, "%s", err.msg);
  char *p = fl_sprintf("%s/stream/s.swap", e->dir);
  cr_assert(!exists(p), "the intent file is gone after recovery");
  fl_free(p);
}

Test(swap, an_intent_without_the_catalog_rename_is_forgotten_and_nothing_moves) {
  env e;
  env_open(&e);
  recover(&e);
  expect_state(&e, "s", "00000000000000000007.state", "live\n");
  expect_state(&e, "bronze.s_replay", "00000000000000000003.state", "replay\n");
  char *p = fl_sprintf("%s/stream/bronze.s_before_swap", e.dir);
  cr_assert(!exists(p));
  fl_free(p);
  env_close(&e);
}

Test(swap, a_swap_interrupted_after_the_catalog_rename_is_finished_by_the_recovery) {
  env e;
  env_open(&e);
  rename_in_catalog(&e);
  recover(&e);
  expect_state(&e, "s", "00000000000000000003.state", "replay\n");
  expect_state(&e, "bronze.s_before_swap", "00000000000000000007.state", "live\n");
  char *p = fl_sprintf("%s/stream/bronze.s_replay", e.dir);
  cr_assert(!exists(p));
  fl_free(p);
  recover(&e); /* nothing left to do: nothing moves back */
  expect_state(&e, "s", "00000000000000000003.state", "replay\n");
  expect_state(&e, "bronze.s_before_swap", "00000000000000000007.state", "live\n");
  env_close(&e);
}

Test(swap, a_swap_interrupted_between_the_two_moves_is_finished_by_the_recovery) {
  env e;
  env_open(&e);
  rename_in_catalog(&e);
  char *from = fl_sprintf("%s/stream/s", e.dir), *to = fl_sprintf("%s/stream/bronze.s_before_swap", e.dir);
  cr_assert_eq(rename(from, to), 0);
  fl_free(from);
  fl_free(to);
  recover(&e);
  expect_state(&e, "s", "00000000000000000003.state", "replay\n");
  expect_state(&e, "bronze.s_before_swap", "00000000000000000007.state", "live\n");
  env_close(&e);
}

/* The location of ns.name in the catalog ("" if none). */
static void where(env *e, const char *ns, const char *name, char *out, size_t cap) {
  fl_warehouse *wh;
  fl_err err;
  cr_assert_eq(fl_warehouse_open(e->dir, &wh, &err), FL_OK, "%s", err.msg);
  char *loc = NULL;
  fl_code rc = fl_catalog_load(fl_warehouse_catalog(wh), ns, name, &loc, &err);
  snprintf(out, cap, "%s", rc == FL_OK ? loc : "");
  fl_free(loc);
  fl_warehouse_close(wh);
}

static void create(env *e, const char *ns, const char *name, char *loc, size_t cap) {
  fl_warehouse *wh;
  fl_err err;
  cr_assert_eq(fl_warehouse_open(e->dir, &wh, &err), FL_OK, "%s", err.msg);
  fl_field f[1] = {{0, "x", {FL_T_BIGINT, 0, 0}, false, NULL}};
  fl_schema schema = {0, 1, f, 0, NULL};
  fl_table *t;
  cr_assert_eq(fl_table_create(wh, ns, name, &schema, NULL, &t, &err), FL_OK, "%s", err.msg);
  snprintf(loc, cap, "%s", fl_table_metadata_location(t));
  fl_table_free(t);
  fl_warehouse_close(wh);
}

Test(swap, a_swap_renames_bronze_and_the_late_side_tables_at_once_and_refuses_a_second_one) {
  env e;
  env_open(&e);
  char *p = fl_sprintf("%s/stream/s.swap", e.dir);
  unlink(p); /* no interrupted swap here */
  fl_free(p);
  char late[1024], late_rep[1024], got[1024];
  create(&e, "quarantine", "s_late", late, sizeof late);
  create(&e, "quarantine", "s_replay_late", late_rep, sizeof late_rep);
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  const char *ddl = "CREATE STREAM s (x BIGINT) WITH (late_policy = 'side')";
  fl_sql_stream *def;
  fl_err err;
  cr_assert_eq(fl_sql_parse_create_stream(ddl, strlen(ddl), &arena, &def, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_stream_swap_check(e.dir, def, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_stream_swap(e.dir, def, "s_replay", &err), FL_OK, "%s", err.msg);
  where(&e, "bronze", "s", got, sizeof got);
  cr_assert_str_eq(got, e.rep_loc);
  where(&e, "bronze", "s_before_swap", got, sizeof got);
  cr_assert_str_eq(got, e.live_loc);
  where(&e, "bronze", "s_replay", got, sizeof got);
  cr_assert_str_eq(got, "");
  where(&e, "quarantine", "s_late", got, sizeof got);
  cr_assert_str_eq(got, late_rep);
  where(&e, "quarantine", "s_late_before_swap", got, sizeof got);
  cr_assert_str_eq(got, late);
  expect_state(&e, "s", "00000000000000000003.state", "replay\n");
  expect_state(&e, "bronze.s_before_swap", "00000000000000000007.state", "live\n");
  p = fl_sprintf("%s/stream/s.swap", e.dir);
  cr_assert(!exists(p), "no intent left");
  fl_free(p);

  /* another replay to swap in: refused while the kept table exists, nothing moves */
  char rep2[1024];
  create(&e, "bronze", "s_replay_2", rep2, sizeof rep2);
  cr_assert_eq(fl_stream_swap_check(e.dir, def, &err), FL_EEXIST);
  cr_assert(strstr(err.msg, "bronze.s_before_swap exists"), "%s", err.msg);
  cr_assert_eq(fl_stream_swap(e.dir, def, "s_replay_2", &err), FL_EEXIST);
  where(&e, "bronze", "s", got, sizeof got);
  cr_assert_str_eq(got, e.rep_loc);
  where(&e, "bronze", "s_replay_2", got, sizeof got);
  cr_assert_str_eq(got, rep2);
  fl_arena_destroy(&arena);
  env_close(&e);
}
