/* Unit tests of the project loader (project.c): floe.yaml keys, units, errors, auth,
 * and streams/NAME.sql through fl_sql_parse_create_stream. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/limits.h"
#include "ingest/project.h"
#include "ingest/server.h"

static char *tmpdir(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base || !*base) base = "/tmp";
  mkdir(base, 0755);
  char *path = fl_sprintf("%s/project_test.XXXXXX", base);
  cr_assert(mkdtemp(path));
  return path;
}

static void write_file(const char *dir, const char *name, const char *text) {
  char *path = fl_sprintf("%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  cr_assert(f, "%s", path);
  fputs(text, f);
  fclose(f);
  fl_free(path);
}

static const char orders_sql[] =
    "CREATE STREAM orders (\n"
    "  event_id STRING NOT NULL,\n"
    "  tenant_id STRING NOT NULL,\n"
    "  amount DECIMAL(12,2),\n"
    "  event_type STRING NOT NULL CHECK (event_type IN ('a', 'b')),\n"
    "  event_time TIMESTAMP NOT NULL,\n"
    "  WATERMARK FOR event_time AS event_time - INTERVAL '5 seconds',\n"
    "  PRIMARY KEY (event_id) NOT ENFORCED\n"
    ") WITH (partitions = 8);\n";

static fl_project *parse(const char *yaml, fl_err *err) {
  fl_project *proj = fl_project_new();
  if (fl_project_parse_yaml(proj, "floe.yaml", yaml, strlen(yaml), err)) {
    fl_project_free(proj);
    return NULL;
  }
  return proj;
}

Test(project, defaults_apply_when_floe_yaml_is_empty) {
  fl_err err = {0};
  fl_project *proj = parse("", &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_null(proj->data_dir);
  cr_assert_str_eq(proj->listen, "127.0.0.1:8080");
  cr_assert_eq(proj->threads, 2);
  cr_assert_eq(proj->commit_interval_ms, 1000);
  cr_assert_eq(proj->max_body_bytes, 16u << 20);
  cr_assert_eq(proj->request_timeout_ms, 10000);
  cr_assert_eq(proj->log_partitions, 4);
  cr_assert_eq(proj->ntokens, 0);
  cr_assert_eq(fl_project_auth(proj, NULL, 0, "ingest:orders"), 0);
  fl_project_free(proj);
}

Test(project, every_key_of_floe_yaml_is_read) {
  fl_err err = {0};
  fl_project *proj = parse(
      "data_dir: /var/floe\n"
      "listen: 0.0.0.0:9090\n"
      "threads: 4\n"
      "commit_interval: 250ms\n"
      "tokens:\n"
      "  - token: abc\n"
      "    scopes: [ingest:orders, query]\n"
      "  - token: root\n"
      "    scopes: admin\n"
      "limits:\n"
      "  max_body_bytes: 1MiB\n"
      "  request_timeout: 3s\n"
      "  max_pending_bytes: 64MB\n"
      "log:\n"
      "  partitions: 16\n"
      "  segment_bytes: 8MiB\n"
      "  retention: 2d\n"
      "  retention_bytes: 1GiB\n",
      &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_str_eq(proj->data_dir, "/var/floe");
  cr_assert_str_eq(proj->listen, "0.0.0.0:9090");
  cr_assert_eq(proj->threads, 4);
  cr_assert_eq(proj->commit_interval_ms, 250);
  cr_assert_eq(proj->ntokens, 2);
  cr_assert_str_eq(proj->tokens[0].token, "abc");
  cr_assert_eq(proj->tokens[0].nscopes, 2);
  cr_assert_str_eq(proj->tokens[0].scopes[1], "query");
  cr_assert_str_eq(proj->tokens[1].scopes[0], "admin");
  cr_assert_eq(proj->max_body_bytes, 1u << 20);
  cr_assert_eq(proj->request_timeout_ms, 3000);
  cr_assert_eq(proj->max_pending_bytes, 64u << 20);
  cr_assert_eq(proj->log_partitions, 16);
  cr_assert_eq(proj->log_segment_bytes, 8u << 20);
  cr_assert_eq(proj->log_retention_ms, 2LL * 86400 * 1000);
  cr_assert_eq(proj->log_retention_bytes, 1ull << 30);
  fl_project_free(proj);
}

Test(project, unknown_key_is_an_error_with_file_and_line) {
  fl_err err = {0};
  cr_assert_null(parse("listen: 127.0.0.1:1\ncommit_intervall: 1s\n", &err));
  cr_assert_eq(err.code, FL_EINVAL);
  cr_assert_str_eq(err.msg, "floe.yaml: line 2: commit_intervall: unknown key");
  cr_assert_null(parse("limits:\n  max_body: 1\n", &err));
  cr_assert_str_eq(err.msg, "floe.yaml: line 2: max_body: unknown key in limits");
}

Test(project, bad_values_name_key_and_expected_shape) {
  fl_err err = {0};
  cr_assert_null(parse("commit_interval: fast\n", &err));
  cr_assert_str_eq(
      err.msg, "floe.yaml: line 1: commit_interval: expected a duration such as 1s or 500ms, found \"fast\"");
  cr_assert_null(parse("threads: 0\n", &err));
  cr_assert_str_eq(err.msg, "floe.yaml: line 1: threads: expected an integer from 1 to 256, found \"0\"");
  cr_assert_null(parse("limits:\n  max_body_bytes: 12 parsecs\n", &err));
  cr_assert_str_eq(
      err.msg,
      "floe.yaml: line 2: max_body_bytes: expected a size such as 16MiB or 1048576, found \"12 parsecs\"");
  cr_assert_null(parse("tokens:\n  - scopes: [admin]\n", &err));
  cr_assert_str_eq(err.msg, "floe.yaml: line 2: tokens: each entry needs a token");
  cr_assert_null(parse("tokens:\n  - token: x\n    scopes: [root]\n", &err));
  cr_assert_str_eq(err.msg, "floe.yaml: line 3: scopes: a scope is ingest:<stream>, query or admin");
  cr_assert_null(parse("listen: [a, b]\n", &err));
  cr_assert_str_eq(err.msg, "floe.yaml: line 1: listen: expected a single value");
  cr_assert_null(parse("a: b: c\n", &err));
  cr_assert_eq(err.code, FL_EPARSE);
  cr_assert(strstr(err.msg, "floe.yaml: line 1: "), "%s", err.msg);
}

Test(project, durations_and_sizes_take_their_units) {
  int64_t ms;
  uint64_t bytes;
  fl_err err = {0};
  cr_assert_eq(fl_project_duration_parse("1s", &ms, &err), FL_OK);
  cr_assert_eq(ms, 1000);
  cr_assert_eq(fl_project_duration_parse("500ms", &ms, &err), FL_OK);
  cr_assert_eq(ms, 500);
  cr_assert_eq(fl_project_duration_parse("10 s", &ms, &err), FL_OK);
  cr_assert_eq(ms, 10000);
  cr_assert_eq(fl_project_duration_parse("1.5m", &ms, &err), FL_OK);
  cr_assert_eq(ms, 90000);
  cr_assert_eq(fl_project_duration_parse("7", &ms, &err), FL_OK);
  cr_assert_eq(ms, 7000);
  cr_assert_eq(fl_project_duration_parse("1 fortnight", &ms, &err), FL_EINVAL);
  cr_assert_eq(fl_project_duration_parse("-1s", &ms, &err), FL_EINVAL);
  cr_assert_eq(fl_project_size_parse("16MiB", &bytes, &err), FL_OK);
  cr_assert_eq(bytes, 16u << 20);
  cr_assert_eq(fl_project_size_parse("512 KB", &bytes, &err), FL_OK);
  cr_assert_eq(bytes, 512u << 10);
  cr_assert_eq(fl_project_size_parse("1048576", &bytes, &err), FL_OK);
  cr_assert_eq(bytes, 1048576);
  cr_assert_eq(fl_project_size_parse("99999999999999999999", &bytes, &err), FL_EINVAL);
  cr_assert_eq(fl_project_size_parse("20000000TiB", &bytes, &err), FL_EINVAL);
}

Test(project, auth_gives_401_403_or_access_by_scope) {
  fl_err err = {0};
  fl_project *proj = parse(
      "tokens:\n"
      "  - {token: ing, scopes: [ingest:orders]}\n"
      "  - {token: adm, scopes: [admin]}\n",
      &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_eq(fl_project_auth(proj, NULL, 0, "ingest:orders"), 401);
  cr_assert_eq(fl_project_auth(proj, "nope", 4, "ingest:orders"), 401);
  cr_assert_eq(fl_project_auth(proj, "in", 2, "ingest:orders"), 401); /* a prefix is not the token */
  cr_assert_eq(fl_project_auth(proj, "ingx", 4, "ingest:orders"), 401);
  cr_assert_eq(fl_project_auth(proj, "ing", 3, "ingest:orders"), 0);
  cr_assert_eq(fl_project_auth(proj, "ing", 3, "ingest:clicks"), 403);
  cr_assert_eq(fl_project_auth(proj, "ing", 3, "query"), 403);
  cr_assert_eq(fl_project_auth(proj, "adm", 3, "ingest:clicks"), 0);
  cr_assert_eq(fl_project_auth(proj, "adm", 3, "query"), 0);
  fl_project_free(proj);
}

Test(project, load_reads_floe_yaml_and_every_stream_file) {
  char *dir = tmpdir();
  char *streams = fl_sprintf("%s/streams", dir);
  mkdir(streams, 0755);
  write_file(dir, "floe.yaml", "commit_interval: 2s\nlog:\n  partitions: 2\n");
  write_file(streams, "orders.sql", orders_sql);
  write_file(streams, "clicks.sql", "-- clicks\nCREATE STREAM clicks (url STRING, at TIMESTAMP)");
  write_file(streams, "notes.txt", "not a stream");
  fl_project *proj;
  fl_err err = {0};
  cr_assert_eq(fl_project_load(dir, &proj, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(proj->commit_interval_ms, 2000);
  cr_assert_eq(proj->nstreams, 2);
  cr_assert_str_eq(proj->streams[0].name, "clicks"); /* file name order */
  cr_assert_eq(proj->streams[0].partitions, 2);      /* floe.yaml's default */
  const fl_project_stream *ps = fl_project_stream_find(proj, "orders", 6);
  cr_assert(ps);
  cr_assert_eq(ps->partitions, 8); /* WITH (partitions = 8) wins */
  cr_assert_eq(ps->def->schema.nfields, 5);
  cr_assert_eq(ps->def->npk, 1);
  cr_assert_eq(ps->def->nchecks, 1);
  cr_assert(strstr(ps->path, "streams/orders.sql"));
  cr_assert_null(fl_project_stream_find(proj, "order", 5));
  fl_project_free(proj);
  fl_free(streams);
  fl_free(dir);
}

Test(project, a_bad_stream_file_is_named_in_the_error) {
  char *dir = tmpdir();
  char *streams = fl_sprintf("%s/streams", dir);
  mkdir(streams, 0755);
  write_file(streams, "bad.sql", "CREATE STREAM bad (x BOGUSTYPE)");
  fl_project *proj;
  fl_err err = {0};
  cr_assert_neq(fl_project_load(dir, &proj, &err), FL_OK);
  cr_assert(strstr(err.msg, "streams/bad.sql: line 1, column "), "%s", err.msg);
  write_file(streams, "bad.sql", orders_sql);
  write_file(streams, "dup.sql", orders_sql);
  cr_assert_eq(fl_project_load(dir, &proj, &err), FL_EEXIST);
  cr_assert(strstr(err.msg, "stream orders is defined twice"), "%s", err.msg);
  fl_free(streams);
  fl_free(dir);
}

Test(project, a_missing_project_dir_is_an_error_and_a_bare_one_is_empty) {
  fl_project *proj;
  fl_err err = {0};
  cr_assert_eq(fl_project_load("/nonexistent/floe-project", &proj, &err), FL_ENOENT);
  cr_assert(strstr(err.msg, "project /nonexistent/floe-project"), "%s", err.msg);
  char *dir = tmpdir();
  cr_assert_eq(fl_project_load(dir, &proj, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(proj->nstreams, 0);
  fl_project_free(proj);
  fl_free(dir);
}

Test(project, access_log_and_summary_interval_are_read_with_their_defaults) {
  fl_err err = {0};
  fl_project *proj = parse("", &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_eq(proj->access_log, false);
  cr_assert_eq(proj->summary_interval_ms, 60000);
  fl_project_free(proj);
  proj = parse("access_log: true\nsummary_interval: 5s\n", &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_eq(proj->access_log, true);
  cr_assert_eq(proj->summary_interval_ms, 5000);
  fl_project_free(proj);
  proj = parse("access_log: off\nsummary_interval: 0\n", &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_eq(proj->access_log, false);
  cr_assert_eq(proj->summary_interval_ms, -1, "0 turns the summary off");
  fl_project_free(proj);
  cr_assert_null(parse("access_log: maybe\n", &err));
  cr_assert_str_eq(err.msg, "floe.yaml: line 1: access_log: expected true or false");
}

Test(project, hostile_input_limits_and_http_settings_are_read_and_become_the_http_options) {
  fl_err err = {0};
  fl_project *proj = parse(
      "limits:\n"
      "  max_inflight_bytes: 64MiB\n"
      "  max_connections: 50\n"
      "  max_streams: 4\n"
      "  max_decoded_bytes: 8MiB\n"
      "  max_rejects: 10\n"
      "  max_quarantine_bytes: 1MiB\n"
      "  max_raw_bytes: 100\n"
      "http:\n"
      "  allowed_origins: [https://a.example, https://b.example]\n"
      "  allowed_hosts: ingest.example\n"
      "  workers: 3\n",
      &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_eq(proj->max_inflight_bytes, 64u << 20);
  cr_assert_eq(proj->max_connections, 50);
  cr_assert_eq(proj->max_streams, 4);
  cr_assert_eq(proj->max_decoded_bytes, 8u << 20);
  cr_assert_eq(proj->max_rejects, 10);
  cr_assert_eq(proj->max_quarantine_bytes, 1u << 20);
  cr_assert_eq(proj->max_raw_bytes, 100);
  cr_assert_eq(proj->nallowed_origins, 2);
  cr_assert_str_eq(proj->allowed_origins[1], "https://b.example");
  cr_assert_eq(proj->nallowed_hosts, 1);
  cr_assert_str_eq(proj->allowed_hosts[0], "ingest.example");
  fl_http_opts o;
  fl_project_http_opts(proj, &o);
  cr_assert_eq(o.max_inflight_bytes, 64u << 20);
  cr_assert_eq(o.max_connections, 50);
  cr_assert_eq(o.max_streams, 4);
  cr_assert_eq(o.workers, 3);
  cr_assert_eq(o.nallowed_origins, 2);
  cr_assert_str_eq(o.allowed_hosts[0], "ingest.example");
  fl_project_free(proj);

  proj = fl_project_new(); /* defaults from core/limits.h */
  cr_assert_eq(proj->max_rejects, FL_INGEST_REJECTS_MAX);
  cr_assert_eq(proj->max_raw_bytes, FL_INGEST_RAW_BYTES);
  cr_assert_eq(proj->max_inflight_bytes, FL_HTTP_INFLIGHT_BYTES);
  cr_assert_eq(proj->max_decoded_bytes, 0, "0: the decoded limit is max_body_bytes");
  fl_project_free(proj);

  cr_assert_null(parse("limits:\n  max_streams: 0\n", &err));
  cr_assert(strstr(err.msg, "max_streams"), "%s", err.msg);
  cr_assert_null(parse("http:\n  allowed_origin: [x]\n", &err), "a typo is an error");
  cr_assert(strstr(err.msg, "allowed_origin"), "%s", err.msg);
}

Test(project, query_threads_is_read_and_defaults_to_the_cores) {
  fl_err err = {0};
  fl_project *proj = parse("", &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_eq(proj->query_threads, 0); /* 0: POST /v1/query uses every online core */
  fl_project_free(proj);
  proj = parse("query:\n  threads: 3\n", &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_eq(proj->query_threads, 3);
  fl_project_free(proj);
  cr_assert_null(parse("query:\n  threads: 0\n", &err));
  cr_assert_str_eq(err.msg, "floe.yaml: line 2: threads: expected an integer from 1 to 256, found \"0\"");
}

Test(project, query_memory_defaults_to_a_quarter_of_physical_memory) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  cr_assert(pages > 0 && page > 0);
  uint64_t phys = (uint64_t)pages * (uint64_t)page;
  fl_err err = {0};
  fl_project *proj = parse("", &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_eq(proj->query_memory_bytes, fl_project_query_memory_default());
  /* a quarter, rounded down to the byte, unless that is under the 256 MiB floor */
  cr_assert_eq(proj->query_memory_bytes, phys / 4 > (256u << 20) ? phys / 4 : (uint64_t)256 << 20);
  fl_project_free(proj);
  proj = parse("query:\n  memory: 64MiB\n", &err);
  cr_assert(proj, "%s", err.msg);
  cr_assert_eq(proj->query_memory_bytes, (uint64_t)64 << 20, "an explicit value wins");
  fl_project_free(proj);
}
