/* cmd_serve: `floe serve [--project DIR] [--data DIR] [--listen HOST:PORT] [--threads N]`
 *
 * The composition root of the daemon: it loads the project (DIR/floe.yaml and
 * DIR/streams/NAME.sql; default DIR is "."), opens the event log and the warehouse once,
 * loads the reference tables DIR/ref/NAME.sql + data file that are not there yet
 * (ref_tables.c),
 * builds the HTTP service (src/http/) and wires the modules onto it: ingest registers
 * its routes (src/ingest/server.h); obs (src/obs/) adds GET /metrics, the request
 * metrics, the access log and the periodic summary; the stream job and the query engine
 * will register theirs here. It runs until SIGINT or SIGTERM, then stops in the reverse
 * order: HTTP first (requests in flight are answered once durable), then the stream
 * jobs (each one's last checkpoint takes its bronze rows and its quarantine; with
 * stream.enabled: false, the quarantine copy's last copy), then ingest, then the
 * warehouse and the log.
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
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/diag.h"
#include "core/limits.h"
#include "http/http.h"
#include "ingest/project.h"
#include "ingest/server.h"
#include "log/log.h"
#include "obs/obs.h"
#include "serve/serve.h"
#include "stream/stream.h"
#include "table/table.h"

int fl_cli_cmd_serve(fl_cli *cli, int argc, char **argv);

/* stream.enabled: false: no job; the quarantine logs are still copied into
 * quarantine.<stream> (stream/qcopy.c), every commit_interval. */
static fl_code start_qcopy(fl_project *proj, fl_log *log, const char *data, fl_stream_qcopy **out,
                           fl_err *err) {
  const char **names = fl_calloc(proj->nstreams + 1, sizeof *names);
  fl_log_stream **qls = fl_calloc(proj->nstreams + 1, sizeof *qls);
  fl_code rc = FL_OK;
  for (uint32_t i = 0; !rc && i < proj->nstreams; i++) {
    char qname[FL_NAME_MAX + 16];
    snprintf(qname, sizeof qname, "%s.quarantine", proj->streams[i].name);
    names[i] = proj->streams[i].name;
    rc = fl_log_stream_open(log, qname, 1, &qls[i], err); /* ingest opened (or created) it */
  }
  fl_stream_qcopy_opts o = {.data_dir = data,
                            .streams = names,
                            .qls = qls,
                            .n = proj->nstreams,
                            .interval_ms = proj->commit_interval_ms,
                            .skip_damaged = proj->log_skip_damaged,
                            .thread = true};
  if (!rc) rc = fl_stream_qcopy_start(&o, out, err);
  fl_free(names);
  fl_free(qls);
  return rc;
}

/* Starts one stream job per stream (bronze.<stream>), after ingest opened the logs. */
static fl_code start_jobs(fl_project *proj, fl_log *log, const char *data, fl_stream_job **jobs,
                          fl_cli_contract_src *srcs, fl_stream_qcopy **qcopy, fl_err *err) {
  if (proj->stream_disabled) {
    fl_info("serve", "stream jobs off (floe.yaml stream.enabled: false): events go to the log only");
    return start_qcopy(proj, log, data, qcopy, err);
  }
  for (uint32_t i = 0; i < proj->nstreams; i++) {
    const fl_project_stream *ps = &proj->streams[i];
    fl_log_stream *ls;
    /* ingest opened (or created) it, with the count the log already has */
    fl_code rc = fl_log_stream_open(log, ps->name, 0, &ls, err);
    if (rc) return rc;
    /* its rejects: the job copies them into quarantine.<stream> */
    char qname[FL_NAME_MAX + 16];
    snprintf(qname, sizeof qname, "%s.quarantine", ps->name);
    fl_log_stream *qls;
    if ((rc = fl_log_stream_open(log, qname, 1, &qls, err))) return rc;
    srcs[i] = (fl_cli_contract_src){data, ps, {0}};
    fl_arena_init(&srcs[i].arena, 4096);
    fl_stream_job_opts o = {.def = ps->def,
                            .ls = ls,
                            .data_dir = data,
                            .commit_interval_ms = proj->commit_interval_ms,
                            .contract = fl_cli_contract_lookup,
                            .contract_ctx = &srcs[i],
                            .compact_every = proj->stream_compact_every,
                            .expire_every = proj->stream_expire_every,
                            .qls = qls,
                            .q_skip_damaged = proj->log_skip_damaged};
    if ((rc = fl_stream_job_start(&o, &jobs[i], err))) return rc;
  }
  return FL_OK;
}

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
            "floe: warning: project %s defines no stream (no %s/streams/*.sql): every event post will answer "
            "404\n",
            project_dir, project_dir);
  if (!listen && getenv("FLOE_LISTEN") && *getenv("FLOE_LISTEN")) listen = getenv("FLOE_LISTEN");
  /* the global --data / FLOE_DATA count as given when they differ from the default */
  if (!data && strcmp(cli->data_dir, "./floe-data")) data = cli->data_dir;
  if (!data) data = proj->data_dir ? proj->data_dir : "./floe-data";

  /* Request bodies grow h2o's buffers by doubling, up to 16 MiB each; with glibc's dynamic
   * mmap threshold the freed steps stay in the heap and RSS stays at twice what is live
   * (and is not given back after a burst). A fixed threshold maps every buffer of 1 MiB
   * or more on its own, so freeing it returns it to the system. */
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);

  int status = FL_CLI_OK;
  fl_log *log = NULL;
  fl_warehouse *wh = NULL;
  fl_http *http = NULL;
  fl_ingest *ing = NULL;
  fl_obs *obs = NULL;
  fl_stream_job **jobs = fl_calloc(proj->nstreams + 1, sizeof *jobs);
  fl_cli_contract_src *srcs = fl_calloc(proj->nstreams + 1, sizeof *srcs);
  fl_query_api *qapi = NULL;
  fl_stream_qcopy *qcopy = NULL;
  fl_log_opts lopts;
  fl_project_log_opts(proj, &lopts);
  char *log_dir = fl_sprintf("%s/log", data);
  fl_http_opts hopts;
  fl_project_http_opts(proj, &hopts);
  if (listen) hopts.listen = listen;
  if (nthreads) hopts.threads = (uint32_t)nthreads;
  if (fl_log_open(log_dir, &lopts, &log, &err) || fl_warehouse_open(data, &wh, &err) ||
      fl_cli_ref_tables_load(project_dir, wh, &err) || fl_project_contract_versions(proj, data, &err) ||
      fl_http_new(&hopts, &http, &err) || fl_ingest_new(proj, log, http, &ing, &err) ||
      start_jobs(proj, log, data, jobs, srcs, &qcopy, &err) ||
      fl_query_api_new(http,
                       &(fl_query_api_opts){data, proj->query_timeout_ms, proj->query_memory_bytes,
                                            proj->query_max_result_bytes, proj->query_threads},
                       &qapi, &err) ||
      fl_obs_new(&(fl_obs_opts){proj->access_log, proj->summary_interval_ms}, http, &obs, &err) ||
      fl_http_start(http, &err)) {
    status = fl_cli_fail(&err);
    goto done;
  }
  if (proj->nstreams == 0)
    fl_warn("serve", "the project %s defines no stream (streams/NAME.sql)", project_dir);
  fl_info("serve", "serving %u streams, data %s", proj->nstreams, data);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "floe: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
done:
  fl_http_stop(http);
  /* after HTTP: every acknowledged event is in the log; each job's final checkpoint
   * takes it into bronze */
  for (uint32_t i = 0; i < proj->nstreams; i++) {
    fl_stream_job_stop(jobs[i]);
    fl_arena_destroy(&srcs[i].arena);
  }
  fl_free(jobs);
  fl_free(srcs);
  fl_stream_qcopy_stop(qcopy); /* its last copy sees every quarantine record answered */
  fl_obs_free(obs);
  fl_ingest_free(ing);
  fl_http_free(http);
  fl_query_api_free(qapi); /* after the workers are joined */
  if (wh) fl_warehouse_close(wh);
  if (log) fl_log_close(log);
  fl_free(log_dir);
  fl_project_free(proj);
  return status;
}
