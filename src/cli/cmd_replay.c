/* cmd_replay: `floe replay STREAM [--project DIR] [--from-offset N] [--into NS.TABLE]`
 *
 * Kappa replay: runs the stream job over what the event log holds now, into a new
 * table (default bronze.<stream>_replay) while the live bronze.<stream> keeps serving:
 * the log is opened read-only, so a running `floe serve` is not disturbed. The replay
 * commits its own checkpoints into its table (an interrupted replay continues from its
 * last one) and prints what it did. Same log, same definitions, same rows: every column
 * of the replayed table equals the live one's (tests/e2e/1003). Swapping the replay in
 * for the live table is not built yet. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "ingest/project.h"
#include "log/log.h"
#include "stream/stream.h"

int fl_cli_cmd_replay(fl_cli *cli, int argc, char **argv) {
  const char *project_dir = ".", *stream = NULL, *into = NULL, *v;
  uint64_t from = 0;
  fl_err err = {0};
  for (int i = 1; i < argc; i++) {
    int m;
    if ((m = fl_cli_opt(argc, argv, &i, "--project", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      project_dir = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--into", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      into = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--from-offset", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--from-offset", v, &from, &err)) return fl_cli_usage("replay", "%s", err.msg);
    } else if (fl_cli_is_option(argv[i])) {
      return fl_cli_usage("replay", "unknown option %s", argv[i]);
    } else if (!stream) {
      stream = argv[i];
    } else {
      return fl_cli_usage("replay", "unexpected argument '%s'", argv[i]);
    }
  }
  if (!stream) return fl_cli_usage("replay", "which stream? floe replay STREAM");
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
  ns = into ? fl_strdup(into) : fl_sprintf("bronze.%s_replay", stream);
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
  fl_log_opts lopts = {.read_only = true, .retention_check_ms = -1};
  fl_log_stream *ls;
  if (fl_project_contract_versions(proj, data, &err) || fl_log_open(log_dir, &lopts, &log, &err) ||
      fl_log_stream_open(log, stream, 0, &ls, &err)) {
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
done:
  if (log) fl_log_close(log);
  fl_free(log_dir);
  fl_free(ns);
  fl_arena_destroy(&src.arena);
  fl_project_free(proj);
  return status;
}
