/* query_api.c: POST /v1/query (serve.h), SQL in and rows out, on the HTTP worker pool.
 *
 *   loop thread: route match, scope "query", body copied ─► worker thread: work()
 *     body ─► SQL text (raw, or {"sql": ...}) ─► Accept ─► fl_sql_writer format
 *     warehouse from the pool ─► fl_sql_query_prepare ─► next()... ─► job->answer
 *   loop thread: the answer sent with its media type (http/defer.c)
 *
 * Answers (error_code = status * 100 + cause):
 *   200  the rows (JSON array of objects; NDJSON; CSV with a header; Arrow IPC stream)
 *   400  40001 the query does not parse or bind (message "line L, column C: ...", then
 *        the query line and a caret); 40002 not supported yet; 40003 too large or deep;
 *        40004 no query in the body; 40005 the query failed on the data (a CAST that does
 *        not convert, sqrt of a negative number, a sum past DECIMAL(38,s): DuckDB's
 *        conversion and range errors)
 *   404  40401 unknown table (with the closest name)
 *   406  40601 Accept names no format floe writes
 *   413  41301 the answer would pass query.max_result_bytes (add a LIMIT)
 *   504  50401 the query ran past query.timeout (stopped: its operators check the
 *        deadline between batches)
 *   507  50701 the query needed more memory than query.memory and could not spill
 *   500  50001 anything else (I/O errors reading the table, named)
 * The answer is built whole in memory (bounded by max_result_bytes) before it is sent.
 *
 * Warehouses: a warehouse handle is for one thread at a time (table.h), so each running
 * query takes a read-only one from a pool (opened on first need, at most one per worker
 * thread) and gives it back; the pool closes them with the API.
 *
 * Ownership: the API owns the pool and its copy of the data directory; each job's
 * query, writer and buffers live only inside work(). */
#include <jansson.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/mem.h"
#include "serve/serve.h"
#include "sql/sql.h"
#include "table/table.h"

/* Warehouses kept for reuse: more than the worker threads never run at once. */
#define WH_POOL_MAX 64

struct fl_query_api {
  fl_query_api_opts opts;
  char *data_dir;
  pthread_mutex_t mu;
  fl_warehouse *pool[WH_POOL_MAX];
  uint32_t npool;
};

static fl_warehouse *wh_take(fl_query_api *api, fl_err *err) {
  pthread_mutex_lock(&api->mu);
  fl_warehouse *wh = api->npool ? api->pool[--api->npool] : NULL;
  pthread_mutex_unlock(&api->mu);
  if (wh) return wh;
  if (fl_warehouse_open_readonly(api->data_dir, &wh, err)) return NULL;
  return wh;
}

static void wh_give(fl_query_api *api, fl_warehouse *wh) {
  pthread_mutex_lock(&api->mu);
  if (api->npool < WH_POOL_MAX) {
    api->pool[api->npool++] = wh;
    wh = NULL;
  }
  pthread_mutex_unlock(&api->mu);
  if (wh) fl_warehouse_close(wh);
}

/* The answer's format from Accept: the first listed type floe writes; none or any
 * (star) gives JSON. False when every listed type is one floe does not write. */
static bool pick_format(const char *accept, fl_sql_format *fmt) {
  *fmt = FL_SQL_FORMAT_JSON;
  if (!accept || !*accept) return true;
  static const struct {
    const char *type;
    fl_sql_format fmt;
  } types[] = {
      {"application/json", FL_SQL_FORMAT_JSON},
      {"application/x-ndjson", FL_SQL_FORMAT_NDJSON},
      {"application/ndjson", FL_SQL_FORMAT_NDJSON},
      {"application/jsonl", FL_SQL_FORMAT_NDJSON},
      {"text/csv", FL_SQL_FORMAT_CSV},
      {"application/vnd.apache.arrow.stream", FL_SQL_FORMAT_ARROW},
      {"*/*", FL_SQL_FORMAT_JSON},
      {"application/*", FL_SQL_FORMAT_JSON},
      {"text/plain", FL_SQL_FORMAT_TABLE},
  };
  const char *p = accept;
  while (*p) {
    while (*p == ' ' || *p == ',') p++;
    const char *end = p;
    while (*end && *end != ',' && *end != ';') end++;
    size_t n = (size_t)(end - p);
    while (n && p[n - 1] == ' ') n--;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
      if (strlen(types[i].type) == n && strncasecmp(p, types[i].type, n) == 0) {
        *fmt = types[i].fmt;
        return true;
      }
    while (*end && *end != ',') end++;
    p = end;
  }
  return false;
}

static void answer_error(fl_http_job *job, int status, int code, const char *msg, const char *text,
                         size_t len) {
  fl_buf m = {0};
  fl_buf_puts(&m, msg);
  if (text) {
    fl_buf caret = {0};
    fl_sql_error_caret(text, len, msg, &caret);
    if (caret.len) {
      fl_buf_put_u8(&m, '\n');
      fl_buf_append(&m, caret.data, caret.len - 1); /* without the last newline */
    }
    fl_buf_free(&caret);
  }
  fl_buf_clear(&job->answer);
  fl_buf_printf(&job->answer, "{\"error_code\":%d,\"message\":", code);
  fl_http_json_str(&job->answer, (const char *)m.data, m.len);
  fl_buf_puts(&job->answer, "}\n");
  job->answer_type = NULL;
  job->status = status;
  fl_buf_free(&m);
}

static void answer_code(fl_http_job *job, const fl_err *err, bool running, const char *text, size_t len,
                        const fl_query_api *api) {
  char msg[FL_ERR_MSG_MAX + 128];
  switch (err->code) {
    case FL_EPARSE: answer_error(job, 400, 40001, err->msg, text, len); return;
    case FL_EUNSUPPORTED: answer_error(job, 400, 40002, err->msg, text, len); return;
    case FL_ENOENT: answer_error(job, 404, 40401, err->msg, text, len); return;
    case FL_ETYPE:
    case FL_EINVAL:
      /* the evaluator's faults on the data: a failed CAST, sqrt(-1), a bad pattern */
      if (running) {
        answer_error(job, 400, 40005, err->msg, NULL, 0);
        return;
      }
      break;
    case FL_ETIMEOUT:
      snprintf(msg, sizeof msg,
               "the query ran past its time limit of %lld ms (query.timeout in floe.yaml): %s",
               (long long)api->opts.timeout_ms, err->msg);
      answer_error(job, 504, 50401, msg, NULL, 0);
      return;
    case FL_ELIMIT:
      if (!running) {
        answer_error(job, 400, 40003, err->msg, text, len);
        return;
      }
      if (!strstr(err->msg, "budget")) { /* a sum past DECIMAL(38, s): the data's limit, not memory's */
        answer_error(job, 400, 40005, err->msg, NULL, 0);
        return;
      }
      snprintf(msg, sizeof msg,
               "the query needed more memory than its budget of %llu bytes (query.memory): %s",
               (unsigned long long)api->opts.memory_bytes, err->msg);
      answer_error(job, 507, 50701, msg, NULL, 0);
      return;
    default: break;
  }
  answer_error(job, 500, 50001, err->msg[0] ? err->msg : fl_code_message(err->code), NULL, 0);
}

/* The SQL of the body: raw text, or JSON {"sql": "..."}; *owned to free. */
static const char *body_sql(fl_http_job *job, size_t *len, char **owned, fl_err *err) {
  const char *b = job->body;
  size_t n = job->body_len, i = 0;
  *owned = NULL;
  while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++;
  bool json = strncasecmp(job->content_type, "application/json", 16) == 0 || (i < n && b[i] == '{');
  if (!json) {
    *len = n;
    if (i == n)
      fl_err_set(err, FL_EINVAL, "the body holds no query: post the SQL text, or {\"sql\": \"...\"}");
    return i == n ? NULL : b;
  }
  json_error_t jerr;
  json_t *root = json_loadb(b, n, 0, &jerr);
  json_t *sql = root ? json_object_get(root, "sql") : NULL;
  if (!root || !json_is_string(sql)) {
    fl_err_set(
        err, FL_EINVAL, "%s%s",
        root ? "the JSON body has no string \"sql\"" : "the body is not JSON: ", root ? "" : jerr.text);
    json_decref(root);
    return NULL;
  }
  *len = json_string_length(sql);
  *owned = fl_malloc(*len + 1);
  memcpy(*owned, json_string_value(sql), *len);
  (*owned)[*len] = 0;
  json_decref(root);
  return *owned;
}

static void query_work(void *ctx, fl_http_job *job) {
  fl_query_api *api = ctx;
  fl_err err = {0};
  fl_sql_format fmt;
  if (!pick_format(job->accept, &fmt)) {
    answer_error(job, 406, 40601,
                 "Accept names no format floe writes: application/json, application/x-ndjson, text/csv or "
                 "application/vnd.apache.arrow.stream",
                 NULL, 0);
    return;
  }
  size_t len = 0;
  char *owned = NULL;
  const char *text = body_sql(job, &len, &owned, &err);
  if (!text) {
    answer_error(job, 400, 40004, err.msg, NULL, 0);
    return;
  }
  fl_warehouse *wh = wh_take(api, &err);
  if (!wh) {
    answer_code(job, &err, false, NULL, 0, api);
    fl_free(owned);
    return;
  }
  fl_sql_query_opts qo = {.timeout_ms = api->opts.timeout_ms,
                          .mem_budget = (size_t)api->opts.memory_bytes,
                          .threads = api->opts.threads};
  fl_sql_query *q = NULL;
  fl_sql_writer *w = NULL;
  if (fl_sql_query_prepare(wh, text, len, &qo, &q, &err)) {
    answer_code(job, &err, false, text, len, api);
    goto done;
  }
  uint32_t ncols;
  const fl_field *fields = fl_sql_query_fields(q, &ncols);
  w = fl_sql_writer_new(fmt, fields, ncols);
  fl_buf_clear(&job->answer);
  fl_sql_writer_begin(w, &job->answer);
  for (;;) {
    const fl_batch *b = NULL;
    if (fl_sql_query_next(q, &b, &err)) {
      answer_code(job, &err, true, text, len, api);
      goto done;
    }
    if (!b) break;
    fl_sql_writer_batch(w, b, &job->answer);
    if (job->answer.len > api->opts.max_result_bytes) {
      char msg[256];
      snprintf(
          msg, sizeof msg,
          "the answer passed %llu bytes (query.max_result_bytes in floe.yaml) after %llu rows: add a LIMIT "
          "or aggregate",
          (unsigned long long)api->opts.max_result_bytes, (unsigned long long)fl_sql_writer_rows(w));
      answer_error(job, 413, 41301, msg, NULL, 0);
      goto done;
    }
  }
  fl_sql_writer_end(w, &job->answer);
  job->status = 200;
  job->answer_type = fmt == FL_SQL_FORMAT_JSON ? NULL : fl_sql_format_mime(fmt);
done:
  fl_sql_writer_free(w);
  fl_sql_query_free(q);
  wh_give(api, wh);
  fl_free(owned);
}

fl_code fl_query_api_new(fl_http *http, const fl_query_api_opts *opts, fl_query_api **out, fl_err *err) {
  fl_query_api *api = fl_calloc(1, sizeof *api);
  api->opts = *opts;
  if (!api->opts.max_result_bytes) api->opts.max_result_bytes = (uint64_t)256 << 20;
  if (!api->opts.threads) { /* query.threads unset: every online core */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    api->opts.threads = cores < 1 ? 1u : cores > 256 ? 256u : (uint32_t)cores;
  }
  api->data_dir = fl_sprintf("%s", opts->data_dir);
  api->opts.data_dir = api->data_dir;
  pthread_mutex_init(&api->mu, NULL);
  fl_http_route route = {.name = "query",
                         .method = "POST",
                         .pattern = "/v1/query",
                         .scope = "query",
                         .work = query_work,
                         .ctx = api};
  fl_code rc = fl_http_route_add(http, &route, err);
  if (rc) {
    fl_query_api_free(api);
    return rc;
  }
  *out = api;
  return FL_OK;
}

void fl_query_api_free(fl_query_api *api) {
  if (!api) return;
  for (uint32_t i = 0; i < api->npool; i++) fl_warehouse_close(api->pool[i]);
  pthread_mutex_destroy(&api->mu);
  fl_free(api->data_dir);
  fl_free(api);
}
