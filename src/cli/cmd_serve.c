/* cmd_serve: `floe serve [--project DIR] [--data DIR] [--listen HOST:PORT] [--threads N]`
 *
 * Loads the project (DIR/floe.yaml and DIR/streams/NAME.sql; default DIR is "."),
 * starts the server (src/ingest/server.h) and runs until SIGINT or SIGTERM, then stops
 * cleanly: requests in flight are answered once durable, the quarantine is flushed,
 * the log is closed.
 *
 * Settings, strongest first: the command line (--data, --listen, --threads), then
 * FLOE_DATA or the global --data for the data directory and FLOE_LISTEN for the
 * address, then floe.yaml, then the defaults (./floe-data, 127.0.0.1:8080, 2 loops).
 * A project without streams is served (health checks work) with a warning: every
 * POST to /v1/streams/... would answer 404. Relative paths are taken from the
 * working directory, so `floe cat` run from the same place finds the same data.
 *
 * Signals: SIGINT and SIGTERM are blocked before any thread starts (every thread
 * inherits the mask) and taken synchronously here with sigwait. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ingest/project.h"
#include "ingest/server.h"

int fl_cli_cmd_serve(fl_cli *cli, int argc, char **argv);

int fl_cli_cmd_serve(fl_cli *cli, int argc, char **argv) {
  const char *project_dir = ".", *data = NULL, *listen = NULL, *threads = NULL, *v;
  for (int i = 1; i < argc; i++) {
    int m;
    if ((m = fl_cli_opt(argc, argv, &i, "--project", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      project_dir = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--data", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      data = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--listen", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      listen = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--threads", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      threads = v;
    } else if (fl_cli_is_option(argv[i])) {
      return fl_cli_usage("serve", "unknown option %s", argv[i]);
    } else {
      return fl_cli_usage("serve", "unexpected argument '%s'", argv[i]);
    }
  }
  fl_err err = {0};
  uint64_t nthreads = 0;
  if (threads && (fl_cli_parse_u64("--threads", threads, &nthreads, &err) || nthreads == 0 || nthreads > 256))
    return fl_cli_usage("serve", "--threads: expected 1 to 256, found \"%s\"", threads);
  fl_project *proj;
  if (fl_project_load(project_dir, &proj, &err)) return fl_cli_fail(&err);
  if (proj->nstreams == 0)
    fprintf(stderr,
            "floe: warning: project %s defines no stream (no %s/streams/*.sql): every event post will answer 404\n",
            project_dir, project_dir);
  if (!listen && getenv("FLOE_LISTEN") && *getenv("FLOE_LISTEN")) listen = getenv("FLOE_LISTEN");
  /* the global --data / FLOE_DATA count as given when they differ from the default */
  if (!data && strcmp(cli->data_dir, "./floe-data")) data = cli->data_dir;
  if (!data) data = proj->data_dir ? proj->data_dir : "./floe-data";

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);

  fl_server_opts opts = {.data_dir = data, .listen = listen, .threads = (uint32_t)nthreads};
  fl_server *srv;
  if (fl_server_start(proj, &opts, &srv, &err)) {
    fl_project_free(proj);
    return fl_cli_fail(&err);
  }
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "floe: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
  fl_server_stop(srv);
  fl_project_free(proj);
  return FL_CLI_OK;
}
