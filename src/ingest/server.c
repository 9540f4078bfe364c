/* server: the events API's routes on the HTTP service, its per-loop state, and the
 * ingest side of `floe serve`'s composition (streams and their quarantine logs opened
 * on the borrowed log).
 *
 * Routes (registered by fl_ingest_new, answered on the loop that read the request):
 *   POST /v1/streams/{stream}/events   scope ingest:{stream}, JSON or NDJSON body (server_events.c)
 *   GET  /v1/streams                   scope query; the answer is built once at start
 *
 * Per-loop state (srv_loop: parsers, contracts, zstd context, scratch buffers, the free
 * list of pending answers) is created by the loop-start hook on the loop thread and
 * freed by the stop hook: a parser or contract is used by one thread at a time. */
#include <stdio.h>
#include <string.h>

#include "core/diag.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "ingest/server_int.h"
#include "sql/sql.h"

#define MOD "server"

/* ---------------------------------------------------------------- /v1/streams */

static void build_streams_json(fl_ingest *ing) {
  fl_buf *out = &ing->streams_json;
  fl_buf_puts(out, "{\"streams\":[");
  for (uint32_t i = 0; i < ing->nstreams; i++) {
    const fl_project_stream *ps = ing->streams[i].ps;
    const fl_sql_stream *def = ps->def;
    if (i) fl_buf_put_u8(out, ',');
    fl_buf_puts(out, "{\"name\":");
    fl_http_json_str(out, ps->name, strlen(ps->name));
    fl_buf_printf(out, ",\"partitions\":%u,\"columns\":[", fl_log_stream_npartitions(ing->streams[i].ls));
    for (uint32_t c = 0; c < def->ncols; c++) {
      const fl_sql_column *col = &def->cols[c];
      char type[32];
      fl_sql_type_format(col->type, type, sizeof type);
      if (c) fl_buf_put_u8(out, ',');
      fl_buf_puts(out, "{\"name\":");
      fl_http_json_str(out, col->name, strlen(col->name));
      fl_buf_printf(out, ",\"type\":\"%s\",\"nullable\":%s", type, col->not_null ? "false" : "true");
      if (col->check_sql) {
        fl_buf_puts(out, ",\"check\":");
        fl_http_json_str(out, col->check_sql, strlen(col->check_sql));
      }
      fl_buf_put_u8(out, '}');
    }
    fl_buf_puts(out, "],\"primary_key\":[");
    for (uint32_t k = 0; k < def->npk; k++) {
      if (k) fl_buf_put_u8(out, ',');
      fl_http_json_str(out, def->primary_key[k], strlen(def->primary_key[k]));
    }
    fl_buf_puts(out, "]");
    if (def->watermark_column) {
      fl_buf_puts(out, ",\"watermark\":{\"column\":");
      fl_http_json_str(out, def->watermark_column, strlen(def->watermark_column));
      fl_buf_printf(out, ",\"delay_ms\":%lld}", (long long)(def->watermark_delay_us / 1000));
    }
    fl_buf_puts(out, "}");
  }
  fl_buf_puts(out, "]}\n");
}

static int route_streams(void *ctx, fl_http_loop *hloop, h2o_req_t *req, const fl_http_match *m) {
  fl_ingest *ing = ctx;
  fl_http_send_json(req, 200, (const char *)ing->streams_json.data, ing->streams_json.len);
  return 0;
}

/* ---------------------------------------------------------------- per-loop state */

static fl_code loop_start(void *ctx, fl_http_loop *hloop, fl_err *err) {
  fl_ingest *ing = ctx;
  uint32_t index = fl_http_loop_index(hloop);
  FL_ASSERT(index < ing->nloops);
  srv_loop *loop = &ing->loops[index];
  loop->ing = ing;
  loop->hloop = hloop;
  loop->index = index;
  int np = snprintf(loop->rid_prefix, sizeof loop->rid_prefix, "%llx-%u-",
                    (unsigned long long)ing->started_us, index);
  FL_ASSERT(np > 0 && (size_t)np < sizeof loop->rid_prefix);
  loop->rid_prefix_len = (uint32_t)np;
  loop->parsers = fl_calloc(ing->nstreams ? ing->nstreams : 1, sizeof *loop->parsers);
  loop->contracts = fl_calloc(ing->nstreams ? ing->nstreams : 1, sizeof *loop->contracts);
  loop->zstd = ZSTD_createDCtx();
  for (uint32_t i = 0; i < ing->nstreams; i++) {
    const fl_sql_stream *def = ing->streams[i].ps->def;
    loop->parsers[i] = fl_json_parser_new(&def->schema);
    fl_json_parser_set_defaults(loop->parsers[i], def->defaults);
    fl_json_parser_set_unknown_fields(
        loop->parsers[i], def->unknown_fields_reject ? FL_JSON_UNKNOWN_REJECT : FL_JSON_UNKNOWN_IGNORE);
    if (def->nchecks) {
      const fl_sql_expr **checks = fl_calloc(def->nchecks, sizeof *checks);
      for (uint32_t c = 0; c < def->nchecks; c++) checks[c] = def->checks[c].expr;
      fl_code rc = fl_contract_new(&def->schema, checks, def->nchecks, &loop->contracts[i], err);
      fl_free(checks);
      if (rc) return fl_err_prefix(err, "stream %s (%s): ", def->name, ing->streams[i].ps->path);
    }
  }
  return FL_OK;
}

static void loop_stop(void *ctx, fl_http_loop *hloop) {
  fl_ingest *ing = ctx;
  srv_loop *loop = &ing->loops[fl_http_loop_index(hloop)];
  if (loop->parsers)
    for (uint32_t i = 0; i < ing->nstreams; i++) {
      if (loop->parsers[i]) fl_json_parser_free(loop->parsers[i]);
      if (loop->contracts[i]) fl_contract_free(loop->contracts[i]);
    }
  fl_free(loop->parsers);
  fl_free(loop->contracts);
  loop->parsers = NULL;
  loop->contracts = NULL;
  if (loop->zstd) ZSTD_freeDCtx(loop->zstd);
  loop->zstd = NULL;
  srv_loop_scratch_free(loop);
}

/* ---------------------------------------------------------------- new / free */

static fl_code open_streams(fl_ingest *ing, fl_err *err) {
  const fl_project *proj = ing->proj;
  fl_metric_family *accepted =
      fl_metrics_counter("floe_ingest_events_accepted_total",
                         "Records accepted by the events API (durable in the log).", "stream");
  fl_metric_family *rejected =
      fl_metrics_counter("floe_ingest_events_rejected_total",
                         "Records rejected by the contract (durable in <stream>.quarantine).", "stream");
  fl_metric_family *accepted_bytes = fl_metrics_counter("floe_ingest_accepted_bytes_total",
                                                        "Raw JSON bytes of the accepted records.", "stream");
  fl_metric_family *rejected_bytes =
      fl_metrics_counter("floe_ingest_rejected_bytes_total", "Raw bytes of the rejected records.", "stream");
  fl_metric_family *unknown = fl_metrics_counter(
      "floe_ingest_unknown_fields_total",
      "Fields not in the stream's schema, in the records of acknowledged requests (ignored).", "stream");
  ing->nstreams = proj->nstreams;
  ing->streams = fl_calloc(proj->nstreams ? proj->nstreams : 1, sizeof *ing->streams);
  for (uint32_t i = 0; i < proj->nstreams; i++) {
    srv_stream *ss = &ing->streams[i];
    const fl_project_stream *ps = &proj->streams[i];
    ss->ps = ps;
    ss->m_accepted = FL_METRIC_WITH(accepted, ps->name);
    ss->m_rejected = FL_METRIC_WITH(rejected, ps->name);
    ss->m_accepted_bytes = FL_METRIC_WITH(accepted_bytes, ps->name);
    ss->m_rejected_bytes = FL_METRIC_WITH(rejected_bytes, ps->name);
    ss->m_unknown_fields = FL_METRIC_WITH(unknown, ps->name);
    /* an existing stream keeps its partition count (records are placed by it) */
    fl_code rc = fl_log_stream_open(ing->log, ps->name, 0, &ss->ls, err);
    if (rc == FL_ENOENT) rc = fl_log_stream_open(ing->log, ps->name, ps->partitions, &ss->ls, err);
    if (rc) return fl_err_prefix(err, "stream %s: ", ps->name);
    if (fl_log_stream_npartitions(ss->ls) != ps->partitions)
      fl_warn(MOD, "stream %s: the log has %u partitions, the project asks for %u; keeping %u", ps->name,
              fl_log_stream_npartitions(ss->ls), ps->partitions, fl_log_stream_npartitions(ss->ls));
    fl_log_stream_retention_set(ss->ls, ps->retention_ms, proj->log_retention_bytes);
    if (ps->def->log_compression_level >= 0)
      fl_log_stream_compression_set(ss->ls, ps->def->log_compression_level);
    fl_log_codec codec = FL_LOG_CODEC_DEFAULT;
    bool known = !ps->def->log_compression || fl_log_codec_from_name(ps->def->log_compression, &codec);
    FL_ASSERT(known, "stream %s: log_compression '%s' (parse_stream.c checks it)", ps->name,
              ps->def->log_compression);
    fl_log_stream_codec_set(ss->ls, codec);
    char qname[FL_NAME_MAX + 16];
    snprintf(qname, sizeof qname, "%s.quarantine", ps->name);
    if ((rc = fl_log_stream_open(ing->log, qname, 1, &ss->qls, err)))
      return fl_err_prefix(err, "stream %s: ", qname);
    fl_log_stream_retention_set(ss->qls, ps->retention_ms, proj->log_retention_bytes);
  }
  return FL_OK;
}

fl_code fl_ingest_new(const fl_project *proj, fl_log *log, fl_http *http, fl_ingest **out, fl_err *err) {
  fl_ingest *ing = fl_calloc(1, sizeof *ing);
  fl_code rc;
  ing->proj = proj;
  ing->log = log;
  ing->http = http;
  ing->started_us = fl_now_micros();
  ing->nloops = fl_http_nloops(http);
  ing->loops = fl_calloc(ing->nloops, sizeof *ing->loops);
  if ((rc = open_streams(ing, err))) goto fail;
  build_streams_json(ing);
  fl_http_route events = {.name = "events",
                          .method = "POST",
                          .pattern = "/v1/streams/{stream}/events",
                          .scope = "ingest:{stream}",
                          .flags = FL_HTTP_ROUTE_JSON_BODY,
                          .handler = srv_events_post,
                          .ctx = ing};
  if ((rc = fl_http_route_add(http, &events, err))) goto fail;
  if ((rc = fl_http_get(http, "streams", "/v1/streams", "query", route_streams, ing, err))) goto fail;
  fl_http_on_loop(http, loop_start, loop_stop, ing);
  *out = ing;
  return FL_OK;
fail:
  fl_ingest_free(ing);
  return rc;
}

void fl_ingest_free(fl_ingest *ing) {
  if (!ing) return;
  fl_free(ing->streams);
  fl_free(ing->loops);
  fl_buf_free(&ing->streams_json);
  fl_free(ing);
}

/* ---------------------------------------------------------------- options */

void fl_project_http_opts(const fl_project *proj, fl_http_opts *opts) {
  fl_project *p = (fl_project *)proj; /* the arena holds the token array */
  memset(opts, 0, sizeof *opts);
  opts->listen = proj->listen;
  opts->threads = proj->threads;
  opts->max_body_bytes = proj->max_body_bytes;
  opts->request_timeout_ms = proj->request_timeout_ms;
  opts->max_inflight_bytes = proj->max_inflight_bytes;
  opts->max_connections = proj->max_connections;
  opts->max_streams = proj->max_streams;
  opts->workers = proj->workers;
  if (proj->ntokens) {
    fl_http_token *toks = fl_arena_calloc(&p->arena, proj->ntokens, sizeof *toks);
    for (uint32_t i = 0; i < proj->ntokens; i++)
      toks[i] = (fl_http_token){proj->tokens[i].token, (const char *const *)proj->tokens[i].scopes,
                                proj->tokens[i].nscopes};
    opts->tokens = toks;
    opts->ntokens = proj->ntokens;
  }
  opts->allowed_origins = (const char *const *)proj->allowed_origins;
  opts->nallowed_origins = proj->nallowed_origins;
  opts->allowed_hosts = (const char *const *)proj->allowed_hosts;
  opts->nallowed_hosts = proj->nallowed_hosts;
}

void fl_project_log_opts(const fl_project *proj, fl_log_opts *opts) {
  memset(opts, 0, sizeof *opts);
  /* The events route refuses new posts (503) once max_pending_bytes wait for the disk,
   * before parsing; the log's own limit sits above it (room for the requests already
   * past that check), so a request's appends are not cut in half by it in normal overload. */
  opts->segment_bytes = proj->log_segment_bytes;
  opts->queue_bytes_max = proj->max_pending_bytes * 2 + proj->max_body_bytes * 4;
}
