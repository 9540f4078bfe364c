/* server: `floe serve`'s HTTP side on h2o's event loop (libh2o-evloop 2.2): start and
 * stop, one listening socket and one event loop thread per core, routing, auth, the
 * small routes (/healthz, /v1/streams) and the JSON error answers.
 *
 * Why this shape: h2o was measured fastest here (DESIGN §5). Each loop thread owns a
 * SO_REUSEPORT socket bound to the same address, so the kernel spreads connections
 * and no lock is shared between loops. A request is handled whole on its loop
 * (h2o buffers the body, up to max_request_entity_size = limits.max_body_bytes, and
 * answers 413 itself past it); the events route (server_events.c) queues the records
 * on the event log and answers later, when the log thread reports them durable.
 *
 * Slow clients: h2o's http1 req_timeout and http2 idle_timeout are limits.request_timeout
 * (default 10 s), so a client that trickles its headers or body is cut off.
 *
 * Start: open the log and every stream's two log streams, bind the sockets (port 0:
 * the first socket picks the port, the others reuse it), start the loops (each
 * builds its h2o context, parsers and contracts, then meets the others at a barrier),
 * then start the quarantine flusher. Stop: set `stopping`; each loop closes its
 * listener and keeps running until its requests in flight are answered (bounded by
 * the request timeout); then the flusher's last flush, then the log closes.
 *
 * Errors are JSON {"error_code": N, "message": "..."} where N is the HTTP status
 * times 100 plus a number per cause (40401 unknown stream, ...), as Confluent's APIs do. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "ingest/server_int.h"
#include "sql/sql.h"

#define MOD "server"

typedef struct srv_handler {
  h2o_handler_t super;
  fl_server *srv;
} srv_handler;

/* h2o 2.2 frees neither a context's message queue (h2o_multithread_destroy_queue in
 * its evloop build) nor its per-thread buffer caches at thread exit: LeakSanitizer
 * would fail every sanitizer run of `floe serve` on memory that is h2o's and bounded.
 * This hook (read by LSan only; inert otherwise) ignores exactly those two allocators,
 * not every stack that passes through h2o (our handlers run under h2o's frames). */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) { return "print_suppressions=0"; }
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:h2o_multithread_create_queue\nleak:h2o_mem_alloc_recycle\n";
}

/* ---------------------------------------------------------------- JSON answers */

void srv_json_str(fl_buf *out, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  fl_buf_put_u8(out, '"');
  while (p < end) {
    unsigned c = *p;
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      const unsigned char *q = p;
      while (q < end && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\') q++;
      fl_buf_append(out, p, (size_t)(q - p));
      p = q;
      continue;
    }
    if (c < 0x80) {
      char esc[8];
      switch (c) {
        case '"': fl_buf_append(out, "\\\"", 2); break;
        case '\\': fl_buf_append(out, "\\\\", 2); break;
        case '\n': fl_buf_append(out, "\\n", 2); break;
        case '\r': fl_buf_append(out, "\\r", 2); break;
        case '\t': fl_buf_append(out, "\\t", 2); break;
        default:
          memcpy(esc, "\\u00", 4);
          esc[4] = hex[c >> 4];
          esc[5] = hex[c & 15];
          fl_buf_append(out, esc, 6);
      }
      p++;
      continue;
    }
    /* a multi-byte UTF-8 sequence: copy it if well formed, else U+FFFD for one byte */
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF)
      len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
      len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
      len = 4, cp = c & 0x07;
    bool ok = len > 0 && (size_t)(end - p) >= len;
    for (size_t i = 1; ok && i < len; i++) {
      if ((p[i] & 0xC0) != 0x80)
        ok = false;
      else
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
               (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
      ok = false;
    if (ok) {
      fl_buf_append(out, p, len);
      p += len;
    } else {
      fl_buf_append(out, "\xEF\xBF\xBD", 3);
      p++;
    }
  }
  fl_buf_put_u8(out, '"');
}

static const char *status_reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return "Error";
  }
}

void srv_send_json(h2o_req_t *req, int status, const char *body, size_t len) {
  req->res.status = status;
  req->res.reason = status_reason(status);
  req->res.content_length = len;
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
  h2o_send_inline(req, body, len);
}

int srv_send_error(h2o_req_t *req, int status, int error_code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fl_buf out = FL_BUF_INIT;
  fl_buf_printf(&out, "{\"error_code\":%d,\"message\":", error_code);
  srv_json_str(&out, msg, strlen(msg));
  fl_buf_puts(&out, "}\n");
  if (status == 401)
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, H2O_STRLIT("Bearer"));
  srv_send_json(req, status, (const char *)out.data, out.len); /* h2o copies the body */
  fl_buf_free(&out);
  return 0;
}

static int send_405(h2o_req_t *req, const char *allow) {
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow, strlen(allow));
  return srv_send_error(req, 405, 40501, "method %.*s is not allowed here; use %s", (int)req->method.len,
                        req->method.base, allow);
}

/* ---------------------------------------------------------------- routes */

static bool method_is(const h2o_req_t *req, const char *m) {
  size_t n = strlen(m);
  return req->method.len == n && !memcmp(req->method.base, m, n);
}

/* 0 if the request may use scope; else the error was sent and the status is returned. */
static int check_auth(fl_server *srv, h2o_req_t *req, const char *scope) {
  if (srv->proj->ntokens == 0) return 0;
  const char *tok = NULL;
  size_t toklen = 0;
  ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
  if (i >= 0) {
    h2o_iovec_t v = req->headers.entries[i].value;
    if (v.len > 7 && !strncasecmp(v.base, "Bearer ", 7)) {
      tok = v.base + 7;
      toklen = v.len - 7;
      while (toklen && *tok == ' ') tok++, toklen--;
    }
  }
  int status = fl_project_auth(srv->proj, tok, toklen, scope);
  if (status == 401) {
    if (!tok)
      srv_send_error(req, 401, 40101, "a bearer token is required (Authorization: Bearer <token>)");
    else
      srv_send_error(req, 401, 40102, "the bearer token is not valid");
  } else if (status == 403) {
    srv_send_error(req, 403, 40301, "the token lacks the scope %s", scope);
  }
  return status;
}

static int route_streams(fl_server *srv, h2o_req_t *req) {
  if (!method_is(req, "GET") && !method_is(req, "HEAD")) return send_405(req, "GET");
  if (check_auth(srv, req, "query")) return 0;
  srv_send_json(req, 200, (const char *)srv->streams_json.data, srv->streams_json.len);
  return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req) {
  fl_server *srv = ((srv_handler *)self)->srv;
  srv_loop *loop = H2O_STRUCT_FROM_MEMBER(srv_loop, ctx, req->conn->ctx);
  const char *path = req->path_normalized.base;
  size_t n = req->path_normalized.len;
  static const char pfx[] = "/v1/streams/", sfx[] = "/events";
  const size_t npfx = sizeof pfx - 1, nsfx = sizeof sfx - 1;
  if (n == 8 && !memcmp(path, "/healthz", 8)) {
    if (!method_is(req, "GET") && !method_is(req, "HEAD")) return send_405(req, "GET");
    srv_send_json(req, 200, H2O_STRLIT("{\"status\":\"ok\"}\n"));
    return 0;
  }
  if ((n == 11 && !memcmp(path, "/v1/streams", 11)) || (n == 12 && !memcmp(path, "/v1/streams/", 12)))
    return route_streams(srv, req);
  if (n > npfx + nsfx && !memcmp(path, pfx, npfx) && !memcmp(path + n - nsfx, sfx, nsfx)) {
    const char *name = path + npfx;
    size_t name_len = n - npfx - nsfx;
    if (!memchr(name, '/', name_len)) {
      if (!method_is(req, "POST")) return send_405(req, "POST");
      if (name_len > FL_NAME_MAX) return srv_send_error(req, 404, 40401, "stream name too long");
      char scope[FL_NAME_MAX + 16];
      snprintf(scope, sizeof scope, "ingest:%.*s", (int)name_len, name);
      if (check_auth(srv, req, scope)) return 0;
      for (uint32_t i = 0; i < srv->nstreams; i++) {
        const char *sn = srv->streams[i].ps->name;
        if (strlen(sn) == name_len && !memcmp(sn, name, name_len)) return srv_events_post(loop, req, i);
      }
      return srv_send_error(req, 404, 40401, "stream '%.*s' does not exist", (int)name_len, name);
    }
  }
  return srv_send_error(req, 404, 40400, "no route for %.*s", (int)(n > 200 ? 200 : n), path);
}

/* ---------------------------------------------------------------- /v1/streams */

static void build_streams_json(fl_server *srv) {
  fl_buf *out = &srv->streams_json;
  fl_buf_puts(out, "{\"streams\":[");
  for (uint32_t i = 0; i < srv->nstreams; i++) {
    const fl_project_stream *ps = srv->streams[i].ps;
    const fl_sql_stream *def = ps->def;
    if (i) fl_buf_put_u8(out, ',');
    fl_buf_puts(out, "{\"name\":");
    srv_json_str(out, ps->name, strlen(ps->name));
    fl_buf_printf(out, ",\"partitions\":%u,\"columns\":[", fl_log_stream_npartitions(srv->streams[i].ls));
    for (uint32_t c = 0; c < def->ncols; c++) {
      const fl_sql_column *col = &def->cols[c];
      char type[32];
      fl_sql_type_format(col->type, type, sizeof type);
      if (c) fl_buf_put_u8(out, ',');
      fl_buf_puts(out, "{\"name\":");
      srv_json_str(out, col->name, strlen(col->name));
      fl_buf_printf(out, ",\"type\":\"%s\",\"nullable\":%s", type, col->not_null ? "false" : "true");
      if (col->check_sql) {
        fl_buf_puts(out, ",\"check\":");
        srv_json_str(out, col->check_sql, strlen(col->check_sql));
      }
      fl_buf_put_u8(out, '}');
    }
    fl_buf_puts(out, "],\"primary_key\":[");
    for (uint32_t k = 0; k < def->npk; k++) {
      if (k) fl_buf_put_u8(out, ',');
      srv_json_str(out, def->primary_key[k], strlen(def->primary_key[k]));
    }
    fl_buf_puts(out, "]");
    if (def->watermark_column) {
      fl_buf_puts(out, ",\"watermark\":{\"column\":");
      srv_json_str(out, def->watermark_column, strlen(def->watermark_column));
      fl_buf_printf(out, ",\"delay_ms\":%lld}", (long long)(def->watermark_delay_us / 1000));
    }
    fl_buf_puts(out, "}");
  }
  fl_buf_puts(out, "]}\n");
}

/* ---------------------------------------------------------------- listeners */

static fl_code split_listen(const char *listen, char **host, uint16_t *port, fl_err *err) {
  const char *colon = strrchr(listen, ':');
  if (!colon || colon == listen)
    return fl_err_set(err, FL_EINVAL, "listen address \"%s\": expected host:port", listen);
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (!colon[1] || *end || p < 0 || p > 65535)
    return fl_err_set(err, FL_EINVAL, "listen address \"%s\": bad port", listen);
  const char *h = listen;
  size_t hl = (size_t)(colon - listen);
  if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') h++, hl -= 2; /* [::1]:8080 */
  *host = fl_strndup(h, hl);
  *port = (uint16_t)p;
  return FL_OK;
}

/* reuseport: the loops' sockets share the port. The first bind is a probe without
 * SO_REUSEPORT (closed right after), so a port another process holds is an error
 * ("Address already in use") rather than silently shared with it. */
static fl_code open_listener(fl_server *srv, bool reuseport, int *fd_out, fl_err *err) {
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  char port[8];
  snprintf(port, sizeof port, "%u", srv->port);
  int gai = getaddrinfo(srv->host, port, &hints, &ai);
  if (gai) return fl_err_set(err, FL_EINVAL, "listen %s:%s: %s", srv->host, port, gai_strerror(gai));
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int on = 1;
  fl_code rc = FL_OK;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
      (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on)) ||
      bind(fd, ai->ai_addr, ai->ai_addrlen) || (reuseport && listen(fd, SOMAXCONN))) {
    rc = fl_err_errno(err, errno, "listen %s:%s", srv->host, port);
    if (fd >= 0) close(fd);
    goto done;
  }
  if (srv->port == 0) { /* the first socket picked a port: the others bind to it */
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
  }
  *fd_out = fd;
done:
  freeaddrinfo(ai);
  return rc;
}

/* ---------------------------------------------------------------- loop threads */

static void on_accept(h2o_socket_t *listener, const char *errstr) {
  srv_loop *loop = listener->data;
  if (errstr) return;
  h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
  if (sock) h2o_accept(&loop->accept_ctx, sock);
}

static fl_code loop_setup(srv_loop *loop, fl_err *err) {
  fl_server *srv = loop->srv;
  loop->evloop = h2o_evloop_create();
  h2o_context_init(&loop->ctx, loop->evloop, &srv->globalconf);
  h2o_multithread_register_receiver(loop->ctx.queue, &loop->done_receiver, srv_events_on_done);
  int np = snprintf(loop->rid_prefix, sizeof loop->rid_prefix, "%llx-%u-", (unsigned long long)srv->started_us,
                    loop->index);
  FL_ASSERT(np > 0 && (size_t)np < sizeof loop->rid_prefix);
  loop->rid_prefix_len = (uint32_t)np;
  loop->accept_ctx.ctx = &loop->ctx;
  loop->accept_ctx.hosts = srv->globalconf.hosts;
  loop->parsers = fl_calloc(srv->nstreams ? srv->nstreams : 1, sizeof *loop->parsers);
  loop->contracts = fl_calloc(srv->nstreams ? srv->nstreams : 1, sizeof *loop->contracts);
  loop->zstd = ZSTD_createDCtx();
  for (uint32_t i = 0; i < srv->nstreams; i++) {
    const fl_sql_stream *def = srv->streams[i].ps->def;
    loop->parsers[i] = fl_json_parser_new(&def->schema);
    fl_json_parser_set_defaults(loop->parsers[i], def->defaults);
    fl_json_parser_set_unknown_fields(loop->parsers[i], def->unknown_fields_reject ? FL_JSON_UNKNOWN_REJECT
                                                                                  : FL_JSON_UNKNOWN_IGNORE);
    if (def->nchecks) {
      const fl_sql_expr **checks = fl_calloc(def->nchecks, sizeof *checks);
      for (uint32_t c = 0; c < def->nchecks; c++) checks[c] = def->checks[c].expr;
      fl_code rc = fl_contract_new(&def->schema, checks, def->nchecks, &loop->contracts[i], err);
      fl_free(checks);
      if (rc) return fl_err_prefix(err, "stream %s (%s): ", def->name, srv->streams[i].ps->path);
    }
  }
  loop->listener = h2o_evloop_socket_create(loop->evloop, loop->fd, H2O_SOCKET_FLAG_DONT_READ);
  loop->fd = -1; /* the socket owns it now */
  loop->listener->data = loop;
  h2o_socket_read_start(loop->listener, on_accept);
  return FL_OK;
}

/* No connection open: the context can be disposed (h2o asserts that its timeouts are empty). */
static bool loop_idle(srv_loop *loop) {
  return h2o_linklist_is_empty(&loop->ctx.http1._conns) && h2o_linklist_is_empty(&loop->ctx.http2._conns);
}

/* Unlinks the housekeeping timers h2o leaves in an idle context (its dispose asserts
 * every timeout list is empty); with no connection left none of them has work to do. */
static void unlink_timeouts(h2o_timeout_t *timeout) {
  while (!h2o_linklist_is_empty(&timeout->_entries))
    h2o_timeout_unlink(H2O_STRUCT_FROM_MEMBER(h2o_timeout_entry_t, _link, timeout->_entries.next));
}

static void *loop_main(void *arg) {
  srv_loop *loop = arg;
  fl_server *srv = loop->srv;
  fl_err err = {0};
  fl_code rc = loop_setup(loop, &err);
  if (rc) {
    fl_error(MOD, "event loop %u: %s", loop->index, err.msg);
    atomic_store(&srv->start_rc, rc);
  }
  pthread_barrier_wait(&srv->ready);
  if (atomic_load(&srv->start_rc)) return NULL;
  while (!atomic_load(&srv->stopping)) h2o_evloop_run(loop->evloop, 100);
  /* stop accepting; answer what is in flight (the log still completes it); let idle
   * keep-alive connections that close meanwhile go */
  h2o_socket_read_stop(loop->listener);
  h2o_socket_close(loop->listener);
  loop->listener = NULL;
  int64_t now = fl_mono_ns(), inflight_deadline = now + srv->proj->request_timeout_ms * 1000000,
          conns_deadline = now + 1000000000;
  while (fl_mono_ns() < inflight_deadline &&
         (loop->inflight > 0 || (!loop_idle(loop) && fl_mono_ns() < conns_deadline)))
    h2o_evloop_run(loop->evloop, 20);
  if (loop->inflight)
    fl_warn(MOD, "event loop %u: %u requests still waiting for the log at stop", loop->index, loop->inflight);
  return NULL;
}

static void loop_free(fl_server *srv, srv_loop *loop) {
  if (loop->fd >= 0) close(loop->fd);
  if (loop->parsers)
    for (uint32_t i = 0; i < srv->nstreams; i++) {
      if (loop->parsers[i]) fl_json_parser_free(loop->parsers[i]);
      if (loop->contracts[i]) fl_contract_free(loop->contracts[i]);
    }
  fl_free(loop->parsers);
  fl_free(loop->contracts);
  if (loop->zstd) ZSTD_freeDCtx(loop->zstd);
  srv_loop_scratch_free(loop);
  if (loop->evloop) {
    if (loop->inflight == 0 && loop_idle(loop)) {
      h2o_context_t *ctx = &loop->ctx;
      h2o_multithread_unregister_receiver(ctx->queue, &loop->done_receiver);
      h2o_timeout_t *timeouts[] = {&ctx->zero_timeout,
                                   &ctx->one_sec_timeout,
                                   &ctx->hundred_ms_timeout,
                                   &ctx->handshake_timeout,
                                   &ctx->http1.req_timeout,
                                   &ctx->http2.idle_timeout,
                                   &ctx->http2.graceful_shutdown_timeout,
                                   &ctx->proxy.io_timeout};
      for (size_t t = 0; t < sizeof timeouts / sizeof timeouts[0]; t++) unlink_timeouts(timeouts[t]);
      h2o_context_dispose(ctx);
      h2o_evloop_run(loop->evloop, 0); /* frees the sockets whose close was deferred */
      h2o_evloop_destroy(loop->evloop);
      loop->evloop = NULL;
    }
    /* else: connections (or requests the log still references) remain, which h2o cannot
     * dispose of; the caller keeps the loop reachable (the process is exiting) */
  }
}

/* ---------------------------------------------------------------- start / stop */

static fl_code open_streams(fl_server *srv, fl_err *err) {
  const fl_project *proj = srv->proj;
  srv->nstreams = proj->nstreams;
  srv->streams = fl_calloc(proj->nstreams ? proj->nstreams : 1, sizeof *srv->streams);
  for (uint32_t i = 0; i < proj->nstreams; i++) {
    srv_stream *ss = &srv->streams[i];
    const fl_project_stream *ps = &proj->streams[i];
    ss->ps = ps;
    ss->scope = fl_sprintf("ingest:%s", ps->name);
    /* an existing stream keeps its partition count (records are placed by it) */
    fl_code rc = fl_log_stream_open(srv->log, ps->name, 0, &ss->ls, err);
    if (rc == FL_ENOENT) rc = fl_log_stream_open(srv->log, ps->name, ps->partitions, &ss->ls, err);
    if (rc) return fl_err_prefix(err, "stream %s: ", ps->name);
    if (fl_log_stream_npartitions(ss->ls) != ps->partitions)
      fl_warn(MOD, "stream %s: the log has %u partitions, the project asks for %u; keeping %u", ps->name,
              fl_log_stream_npartitions(ss->ls), ps->partitions, fl_log_stream_npartitions(ss->ls));
    fl_log_stream_retention_set(ss->ls, ps->retention_ms, proj->log_retention_bytes);
    char qname[FL_NAME_MAX + 16];
    snprintf(qname, sizeof qname, "%s.quarantine", ps->name);
    if ((rc = fl_log_stream_open(srv->log, qname, 1, &ss->qls, err)))
      return fl_err_prefix(err, "stream %s: ", qname);
    fl_log_stream_retention_set(ss->qls, ps->retention_ms, proj->log_retention_bytes);
  }
  return FL_OK;
}

static void configure_h2o(fl_server *srv) {
  h2o_globalconf_t *gc = &srv->globalconf;
  const fl_project *proj = srv->proj;
  h2o_config_init(gc);
  gc->max_request_entity_size = proj->max_body_bytes;
  gc->http1.req_timeout = (uint64_t)proj->request_timeout_ms;
  gc->http2.idle_timeout = (uint64_t)proj->request_timeout_ms;
  gc->handshake_timeout = (uint64_t)proj->request_timeout_ms;
  gc->server_name = h2o_iovec_init(H2O_STRLIT("floe"));
  h2o_hostconf_t *host = h2o_config_register_host(gc, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
  srv_handler *handler = (srv_handler *)h2o_create_handler(path, sizeof *handler);
  handler->super.on_req = on_req;
  handler->srv = srv;
}

fl_code fl_server_start(const fl_project *proj, const fl_server_opts *opts, fl_server **out, fl_err *err) {
  fl_server *srv = fl_calloc(1, sizeof *srv);
  fl_code rc = FL_OK;
  srv->proj = proj;
  srv->started_us = fl_now_micros();
  srv->data_dir = fl_strdup(opts->data_dir);
  srv->log_dir = fl_sprintf("%s/log", opts->data_dir);
  atomic_init(&srv->stopping, false);
  atomic_init(&srv->start_rc, FL_OK);
  pthread_mutex_init(&srv->qmu, NULL);
  pthread_cond_init(&srv->qcond, NULL);
  signal(SIGPIPE, SIG_IGN); /* a client closing mid-answer must not kill the server */
  if ((rc = split_listen(opts->listen ? opts->listen : proj->listen, &srv->host, &srv->port, err))) goto fail;

  /* The server refuses new posts (503) once max_pending_bytes wait for the disk, before
   * parsing; the log's own limit sits above it (room for the requests already past that
   * check), so a request's appends are not cut in half by it in normal overload. */
  fl_log_opts lopts = {.segment_bytes = proj->log_segment_bytes,
                       .queue_bytes_max = proj->max_pending_bytes * 2 + proj->max_body_bytes * 4};
  if ((rc = fl_log_open(srv->log_dir, &lopts, &srv->log, err))) goto fail;
  if ((rc = open_streams(srv, err))) goto fail;
  build_streams_json(srv);
  if ((rc = srv_quarantine_start(srv, err))) goto fail;
  configure_h2o(srv);

  srv->nloops = opts->threads ? opts->threads : proj->threads;
  srv->loops = fl_calloc(srv->nloops, sizeof *srv->loops);
  for (uint32_t i = 0; i < srv->nloops; i++) srv->loops[i].fd = -1;
  int probe;
  if ((rc = open_listener(srv, false, &probe, err))) goto fail; /* picks the port if 0 */
  close(probe);
  for (uint32_t i = 0; i < srv->nloops; i++) {
    srv->loops[i].srv = srv;
    srv->loops[i].index = i;
    if ((rc = open_listener(srv, true, &srv->loops[i].fd, err))) goto fail;
  }
  pthread_barrier_init(&srv->ready, NULL, srv->nloops + 1);
  for (uint32_t i = 0; i < srv->nloops; i++) {
    if (pthread_create(&srv->loops[i].tid, NULL, loop_main, &srv->loops[i])) FL_ASSERT(0, "pthread_create");
    srv->loops[i].started = true;
  }
  pthread_barrier_wait(&srv->ready);
  if ((rc = atomic_load(&srv->start_rc))) {
    fl_err_set(err, rc, "the event loops did not start (see the messages above)");
    goto fail;
  }
  fl_info(MOD, "listening on %s:%u (%u event loops, %u streams, data %s)", srv->host, srv->port, srv->nloops,
          srv->nstreams, srv->data_dir);
  *out = srv;
  return FL_OK;
fail:
  fl_server_stop(srv);
  return rc;
}

uint16_t fl_server_port(const fl_server *srv) { return srv->port; }

fl_log *fl_server_log(fl_server *srv) { return srv->log; }

fl_code fl_server_flush_quarantine(fl_server *srv, fl_err *err) { return srv_quarantine_flush(srv, err); }

static fl_server *parked_servers; /* stopped servers h2o could not tear down */

void fl_server_stop(fl_server *srv) {
  if (!srv) return;
  atomic_store(&srv->stopping, true);
  for (uint32_t i = 0; i < srv->nloops; i++)
    if (srv->loops[i].started) pthread_join(srv->loops[i].tid, NULL);
  srv_quarantine_stop(srv); /* its last flush sees every quarantine record answered */
  for (uint32_t i = 0; i < srv->nloops; i++) loop_free(srv, &srv->loops[i]);
  if (srv->loops && srv->loops[0].started) pthread_barrier_destroy(&srv->ready);
  bool inflight = false, parked = false;
  for (uint32_t i = 0; i < srv->nloops; i++) {
    inflight |= srv->loops[i].inflight > 0;
    parked |= srv->loops[i].evloop != NULL;
  }
  if (srv->log && !inflight) fl_log_close(srv->log); /* else its callbacks still need the loops */
  if (parked) {
    /* a loop kept connections h2o cannot dispose of: keep the loops, the h2o config
     * and srv reachable (for LeakSanitizer); the process is exiting anyway */
    fl_warn(MOD, "stopped with connections still open");
    srv->parked_next = parked_servers;
    parked_servers = srv;
    return;
  }
  for (uint32_t i = 0; i < srv->nstreams; i++) fl_free(srv->streams[i].scope);
  fl_free(srv->streams);
  fl_free(srv->loops);
  if (srv->globalconf.hosts) h2o_config_dispose(&srv->globalconf);
  fl_buf_free(&srv->streams_json);
  pthread_mutex_destroy(&srv->qmu);
  pthread_cond_destroy(&srv->qcond);
  fl_free(srv->host);
  fl_free(srv->data_dir);
  fl_free(srv->log_dir);
  fl_free(srv);
}
