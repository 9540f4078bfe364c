/* cmd_maintain: table maintenance commands (DESIGN §4), thin wrappers over table/'s
 * maintenance API:
 *
 *   floe compact TABLE     rewrite the live rows into fewer files, position deletes
 *                          applied; one "replace" snapshot (fl_table_compact)
 *   floe expire TABLE [--older-than AGE] [--retain-last N] [--orphans]
 *                          drop snapshots older than AGE (default: the table's
 *                          history.expire.max-snapshot-age-ms, 5 days), keeping the newest
 *                          N (default 1), then delete the files only they reached
 *                          (fl_table_expire_snapshots); --orphans also deletes files no
 *                          metadata references that are older than AGE (leftovers of
 *                          killed writers; fl_table_remove_orphans)
 *
 * AGE is a number with a unit: 90s, 30m, 12h, 7d, or 0 for "everything but the kept
 * snapshots" (and, for --orphans, every unreferenced file: only safe with no writer
 * running). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/time.h"

static int parse_table_arg(const char *cmd, int argc, char **argv, int *i, const char **table) {
  if (fl_cli_is_option(argv[*i])) return fl_cli_usage(cmd, "unknown option %s", argv[*i]);
  if (*table) return fl_cli_usage(cmd, "unexpected argument '%s'", argv[*i]);
  *table = argv[*i];
  return FL_CLI_OK;
}

int fl_cli_cmd_compact(fl_cli *cli, int argc, char **argv) {
  const char *table = NULL;
  for (int i = 1; i < argc; i++) {
    const char *v;
    int m = fl_cli_opt(argc, argv, &i, "--data", &v);
    if (m < 0) return FL_CLI_USAGE;
    if (m > 0) continue;
    int st = parse_table_arg("compact", argc, argv, &i, &table);
    if (st) return st;
  }
  if (!table) return fl_cli_usage("compact", "which table? give TABLE as namespace.name");
  if (fl_cli_table_arg("compact", table)) return FL_CLI_USAGE;
  fl_err err = {0};
  fl_warehouse *wh;
  fl_table *tbl;
  if (fl_cli_table_open(cli, table, &wh, &tbl, &err)) return fl_cli_fail(&err);
  fl_compact_result res = {0};
  int status = FL_CLI_OK;
  if (fl_table_compact(tbl, &res, &err)) {
    status = fl_cli_fail(&err);
  } else if (res.snapshot_id == 0) {
    printf("%s: nothing to compact\n", table);
  } else {
    printf("compacted %s: %u data files and %u delete files -> %u data files, %llu rows (snapshot %lld)\n",
           table, res.data_files_rewritten, res.delete_files_removed, res.data_files_written,
           (unsigned long long)res.records, (long long)res.snapshot_id);
  }
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  return status;
}

/* "90s", "30m", "12h", "7d", "0" -> milliseconds; -1 if malformed. */
static int64_t parse_age_ms(const char *s) {
  char *end;
  long long n = strtoll(s, &end, 10);
  if (end == s || n < 0) return -1;
  if (*end == '\0') return n == 0 ? 0 : -1;
  if (end[1] != '\0') return -1;
  switch (*end) {
    case 's': return n * 1000;
    case 'm': return n * 60 * 1000;
    case 'h': return n * 3600 * 1000;
    case 'd': return n * 86400 * 1000;
  }
  return -1;
}

int fl_cli_cmd_expire(fl_cli *cli, int argc, char **argv) {
  const char *table = NULL, *older = NULL, *retain = NULL;
  bool orphans = false;
  for (int i = 1; i < argc; i++) {
    const char *v;
    int m = fl_cli_opt(argc, argv, &i, "--data", &v);
    if (m < 0) return FL_CLI_USAGE;
    if (m > 0) continue;
    if ((m = fl_cli_opt(argc, argv, &i, "--older-than", &older)) != 0) {
      if (m < 0) return FL_CLI_USAGE;
      continue;
    }
    if ((m = fl_cli_opt(argc, argv, &i, "--retain-last", &retain)) != 0) {
      if (m < 0) return FL_CLI_USAGE;
      continue;
    }
    if (fl_cli_flag(argv, i, "--orphans")) {
      orphans = true;
      continue;
    }
    int st = parse_table_arg("expire", argc, argv, &i, &table);
    if (st) return st;
  }
  if (!table) return fl_cli_usage("expire", "which table? give TABLE as namespace.name");
  if (fl_cli_table_arg("expire", table)) return FL_CLI_USAGE;
  fl_expire_opts opts = {0};
  int64_t age_ms = -1;
  if (older) {
    age_ms = parse_age_ms(older);
    if (age_ms < 0)
      return fl_cli_usage(
          "expire", "--older-than: expected an age such as 90s, 30m, 12h, 7d or 0, found \"%s\"", older);
    /* 0 = everything but the kept snapshots: a cutoff just ahead of now */
    opts.older_than_ms = fl_now_ms() - age_ms + (age_ms == 0 ? 1 : 0);
  }
  fl_err err = {0};
  if (retain) {
    uint64_t n;
    if (fl_cli_parse_u64("--retain-last", retain, &n, &err)) return fl_cli_usage("expire", "%s", err.msg);
    if (n == 0 || n > UINT32_MAX) return fl_cli_usage("expire", "--retain-last: expected at least 1");
    opts.retain_last = (uint32_t)n;
  }
  fl_warehouse *wh;
  fl_table *tbl;
  if (fl_cli_table_open(cli, table, &wh, &tbl, &err)) return fl_cli_fail(&err);
  int status = FL_CLI_OK;
  fl_expire_result res = {0};
  if (fl_table_expire_snapshots(tbl, &opts, &res, &err)) {
    status = fl_cli_fail(&err);
    goto done;
  }
  printf("expired %u snapshots of %s, deleted %u files (%llu bytes)\n", res.snapshots_expired, table,
         res.files_deleted, (unsigned long long)res.bytes_deleted);
  if (orphans) {
    fl_expire_result ores = {0};
    int64_t cutoff = age_ms < 0 ? 0 : fl_now_ms() - age_ms + (age_ms == 0 ? 1 : 0);
    if (fl_table_remove_orphans(tbl, cutoff, &ores, &err)) {
      status = fl_cli_fail(&err);
      goto done;
    }
    printf("removed %u orphan files of %s (%llu bytes)\n", ores.files_deleted, table,
           (unsigned long long)ores.bytes_deleted);
  }
done:
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  return status;
}
