/* cmd_replay: `floe replay STREAM [--project DIR] [--from-offset N] [--into NS.TABLE] [--swap]`
 *
 * Kappa replay: runs the stream job over what the event log holds now, into a new
 * table (default bronze.<stream>_replay) while the live bronze.<stream> keeps serving:
 * the log is opened read-only, so a running `floe serve` is not disturbed. The replay
 * commits its own checkpoints into its table (an interrupted replay continues from its
 * last one) and prints what it did. Same log, same definitions, same rows: every column
 * of the replayed table equals the live one's (tests/e2e/1003).
 *
 * --swap: then makes the replay the live bronze.<stream> (stream/swap.c: one catalog
 * transaction; the replaced table stays as bronze.<stream>_before_swap). The stream
 * job must not run during it: the log is opened for writing, so its lock refuses the
 * swap while `floe serve` holds the data dir, and keeps a serve from starting until the
 * swap is done; the next serve's job continues from the swapped table's checkpoint.
 *
 * The default replay table is bronze.<stream>_replay, or, when a swap made that
 * directory the live table's (a table keeps its directory under a new name),
 * bronze.<stream>_replay_2, _3, ...: a new replay never writes into another table's
 * directory. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "ingest/project.h"
#include "log/log.h"
#include "stream/stream.h"
#include "table/table.h"

/* The table another one whose directory is ns.name's (a table keeps its directory
 * when a swap renames it), or NULL: the name is free to be created, or exists. */
static const fl_catalog_entry *dir_owner(const fl_catalog_entry *ents, uint32_t n, const char *ns,
                                         const char *name) {
  char *dir = fl_sprintf("/warehouse/%s/%s/metadata/", ns, name);
  const fl_catalog_entry *other = NULL;
  for (uint32_t i = 0; i < n; i++) {
    if (!strcmp(ents[i].ns, ns) && !strcmp(ents[i].name, name)) {
      other = NULL;
      break;
    }
    if (!other && ents[i].metadata_location && strstr(ents[i].metadata_location, dir)) other = &ents[i];
  }
  fl_free(dir);
  return other;
}

/* The replay's table: `into` (NS.TABLE), refused if another table lives in its
 * directory; by default bronze.<stream>_replay, or _replay_2, _3, ... when a swap made
 * that directory another table's. */
static fl_code replay_target(const char *data, const char *stream, const char *into, char **out,
                             fl_err *err) {
  *out = NULL;
  fl_warehouse *wh;
  fl_code rc = fl_warehouse_open_readonly(data, &wh, err);
  if (rc == FL_ENOENT) {
    *out = into ? fl_strdup(into) : fl_sprintf("bronze.%s_replay", stream);
    return FL_OK;
  }
  if (rc) return rc;
  fl_catalog_entry *ents = NULL;
  uint32_t n = 0;
  rc = fl_warehouse_list(wh, NULL, &ents, &n, err);
  if (!rc && into) {
    char *ns = fl_strdup(into), *dot = strchr(ns, '.');
    const fl_catalog_entry *o = NULL;
    if (dot) {
      *dot = 0;
      o = dir_owner(ents, n, ns, dot + 1);
    }
    if (o)
      rc = fl_err_set(err, FL_EEXIST, "--into %s: its directory holds the files of %s.%s (renamed by a swap)",
                      into, o->ns, o->name);
    else
      *out = fl_strdup(into);
    fl_free(ns);
  }
  for (uint32_t k = 1; !rc && !into && k < 100 && !*out; k++) {
    char *name = k == 1 ? fl_sprintf("%s_replay", stream) : fl_sprintf("%s_replay_%u", stream, k);
    if (!dir_owner(ents, n, "bronze", name)) *out = fl_sprintf("bronze.%s", name);
    fl_free(name);
  }
  if (!rc && !*out)
    rc = fl_err_set(err, FL_EEXIST, "stream %s: no free replay table name; use --into", stream);
  fl_catalog_entries_free(ents, n);
  fl_warehouse_close(wh);
  return rc;
}

int fl_cli_cmd_replay(fl_cli *cli, int argc, char **argv) {
  const char *project_dir = ".", *stream = NULL, *into = NULL, *v;
  uint64_t from = 0;
  bool swap = false;
  fl_err err = {0};
  for (int i = 1; i < argc; i++) {
    int m;
    if ((m = fl_cli_opt(argc, argv, &i, "--project", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      project_dir = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--data", &v))) {
      if (m < 0) return FL_CLI_USAGE; /* main.c took it into cli->data_dir */
    } else if ((m = fl_cli_opt(argc, argv, &i, "--into", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      into = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--from-offset", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--from-offset", v, &from, &err)) return fl_cli_usage("replay", "%s", err.msg);
    } else if (fl_cli_flag(argv, i, "--swap")) {
      swap = true;
    } else if (fl_cli_is_option(argv[i])) {
      return fl_cli_usage("replay", "unknown option %s", argv[i]);
    } else if (!stream) {
      stream = argv[i];
    } else {
      return fl_cli_usage("replay", "unexpected argument '%s'", argv[i]);
    }
  }
  if (!stream) return fl_cli_usage("replay", "which stream? floe replay STREAM");
  if (swap && into)
    return fl_cli_usage("replay", "--swap swaps in the default replay table: leave out --into");
  fl_project *proj;
  if (fl_project_load(project_dir, &proj, &err)) return fl_cli_fail(&err);
  int status = FL_CLI_OK;
  fl_log *log = NULL;
  char *log_dir = NULL, *ns = NULL;
  fl_cli_contract_src src = {0};
  fl_arena_init(&src.arena, 4096);
  const fl_project_stream *ps = fl_project_stream_find(proj, stream, strlen(stream));
  if (!ps) {
    fl_err_set(&err, FL_ENOENT, "project %s has no stream %s (streams/%s.sql)", project_dir, stream, stream);
    status = fl_cli_fail(&err);
    goto done;
  }
  /* the data directory as `floe serve` picks it */
  const char *data = strcmp(cli->data_dir, "./floe-data") ? cli->data_dir
                     : proj->data_dir                     ? proj->data_dir
                                                          : "./floe-data";
  if (replay_target(data, stream, into, &ns, &err)) {
    status = fl_cli_fail(&err);
    goto done;
  }
  char *dot = strchr(ns, '.');
  if (!dot || dot == ns || !dot[1]) {
    status = fl_cli_usage("replay", "--into: expected NAMESPACE.TABLE, found '%s'", ns);
    goto done;
  }
  *dot = 0;
  if (!strcmp(ns, "bronze") && !strcmp(dot + 1, stream)) {
    status = fl_cli_usage("replay", "--into: bronze.%s is the live table; replay into another one", stream);
    goto done;
  }
  log_dir = fl_sprintf("%s/log", data);
  /* --swap: the log's lock (a writer's open) keeps `floe serve` out until the swap is done */
  fl_log_opts lopts = {.read_only = !swap, .retention_check_ms = -1};
  fl_log_stream *ls;
  if (fl_project_contract_versions(proj, data, &err)) {
    status = fl_cli_fail(&err);
    goto done;
  }
  fl_code lrc = fl_log_open(log_dir, &lopts, &log, &err);
  if (lrc == FL_ECONFLICT && swap)
    fl_err_set(&err, FL_ECONFLICT,
               "replay --swap: %s is in use by a running floe serve: stop it first (the swap replaces the "
               "table its stream job writes); `floe replay %s` without --swap runs beside it",
               data, stream);
  if (lrc || fl_log_stream_open(log, stream, 0, &ls, &err) ||
      (swap && (fl_stream_swap_recover(data, stream, &err) || fl_stream_swap_check(data, ps->def, &err)))) {
    status = fl_cli_fail(&err);
    goto done;
  }
  src.data_dir = data;
  src.ps = ps;
  fl_stream_job_opts o = {.def = ps->def,
                          .ls = ls,
                          .data_dir = data,
                          .commit_interval_ms = proj->commit_interval_ms,
                          .contract = fl_cli_contract_lookup,
                          .contract_ctx = &src};
  fl_stream_stats st;
  if (fl_stream_replay(&o, ns, dot + 1, from, &st, &err)) {
    status = fl_cli_fail(&err);
    goto done;
  }
  printf("replayed %" PRIu64 " log records of %s into %s.%s: %" PRIu64 " rows, %" PRIu64
         " duplicates, %" PRIu64 " late, checkpoint %" PRId64 "\n",
         st.records_read, stream, ns, dot + 1, st.rows_written, st.duplicates, st.late, st.checkpoint_id);
  if (swap) {
    if (fl_stream_swap(data, ps->def, dot + 1, &err)) {
      status = fl_cli_fail(&err);
      goto done;
    }
    printf("swapped: bronze.%s is the replay now; the previous table is bronze.%s_before_swap\n", stream,
           stream);
  }
done:
  if (log) fl_log_close(log);
  fl_free(log_dir);
  fl_free(ns);
  fl_arena_destroy(&src.arena);
  fl_project_free(proj);
  return status;
}
