/* router: from h2o's request to a route's handler, and the JSON answers.
 *
 * Order of the checks, each answering with its own JSON error:
 *   1. framing (HTTP/1): two different Content-Length headers, or Content-Length with
 *      Transfer-Encoding, is 400 and the connection closes (RFC 9112 §6.3: such a
 *      message may be smuggled past a proxy that reads it the other way). h2o 2.2 takes
 *      the first Content-Length (or chunked) and keeps every header in req->headers,
 *      which is where they are counted.
 *   2. Host and Origin (a browser page must not reach a loopback server): a request
 *      carrying Origin is refused unless it is in allowed_origins; when the listener is
 *      loopback, Host must name a loopback address (or be in allowed_hosts), which
 *      defeats DNS rebinding.
 *   3. the memory budget: a request with a body while too many request bytes are
 *      buffered is 503 with Retry-After.
 *   4. the route (404), its method (405 with Allow), its Content-Type (415: a JSON body
 *      needs application/json or NDJSON; text/plain is what a page can send without a
 *      CORS preflight), its scope (401/403 against the bearer tokens).
 *   5. the handler on this loop, or a job for the worker pool (defer.c).
 *
 * Patterns are split into segments once (http_route_compile); matching compares
 * segments in place: no allocation, no copy. The per-request slot (http_slot) is
 * allocated in the request's pool only when the request has a body, is deferred or an
 * observer is set: its dispose callback is how the service learns the request is gone. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/diag.h"
#include "core/mem.h"
#include "core/time.h"
#include "http/http_int.h"

#define MOD "http"

/* ---------------------------------------------------------------- JSON answers */

void fl_http_json_str(fl_buf *out, const char *s, size_t n) {
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
    case 421: return "Misdirected Request";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return "Error";
  }
}

void fl_http_send_json(h2o_req_t *req, int status, const char *body, size_t len) {
  req->res.status = status;
  req->res.reason = status_reason(status);
  req->res.content_length = len;
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
  h2o_send_inline(req, body, len);
}

void fl_http_send_typed(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len) {
  req->res.status = status;
  req->res.reason = status_reason(status);
  req->res.content_length = len;
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                 strlen(content_type));
  h2o_send_inline(req, body, len);
}

int fl_http_send_error(h2o_req_t *req, int status, int error_code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fl_buf out = FL_BUF_INIT;
  fl_buf_printf(&out, "{\"error_code\":%d,\"message\":", error_code);
  fl_http_json_str(&out, msg, strlen(msg));
  fl_buf_puts(&out, "}\n");
  if (status == 401)
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, H2O_STRLIT("Bearer"));
  fl_http_send_json(req, status, (const char *)out.data, out.len); /* h2o copies the body */
  fl_buf_free(&out);
  return 0;
}

static int send_retry_later(h2o_req_t *req, int error_code, const char *msg) {
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
  return fl_http_send_error(req, 503, error_code, "%s", msg);
}

/* ---------------------------------------------------------------- routes */

fl_code http_route_compile(http_route *hr, const fl_http_route *route, fl_err *err) {
  memset(hr, 0, sizeof *hr);
  hr->r = *route;
  hr->scope_capture = -1;
  const char *p = route->pattern;
  const char *names[FL_HTTP_SEGMENTS_MAX];
  size_t name_lens[FL_HTTP_SEGMENTS_MAX];
  uint32_t ncap = 0;
  if (p[0] != '/')
    return fl_err_set(err, FL_EINVAL, "route %s: pattern \"%s\" must start with /", route->name, p);
  while (*p == '/') {
    p++;
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == 0 && !e) break; /* a trailing slash */
    if (hr->nseg == FL_HTTP_SEGMENTS_MAX || n == 0)
      return fl_err_set(err, FL_EINVAL, "route %s: pattern \"%s\": empty or too many segments", route->name,
                        route->pattern);
    if (p[0] == '{' && p[n - 1] == '}') {
      if (ncap == FL_HTTP_CAPTURES_MAX)
        return fl_err_set(err, FL_EINVAL, "route %s: more than %d captures", route->name,
                          FL_HTTP_CAPTURES_MAX);
      names[ncap] = p + 1;
      name_lens[ncap] = n - 2;
      ncap++;
      hr->seg[hr->nseg++] = h2o_iovec_init(NULL, 0);
    } else {
      hr->seg[hr->nseg++] = h2o_iovec_init(p, n);
    }
    p += n;
  }
  const char *open = route->scope ? strchr(route->scope, '{') : NULL;
  if (open) {
    const char *close = strchr(open, '}');
    if (!close) return fl_err_set(err, FL_EINVAL, "route %s: scope \"%s\": no }", route->name, route->scope);
    for (uint32_t i = 0; i < ncap; i++)
      if (name_lens[i] == (size_t)(close - open - 1) && !memcmp(names[i], open + 1, name_lens[i]))
        hr->scope_capture = (int32_t)i;
    if (hr->scope_capture < 0)
      return fl_err_set(err, FL_EINVAL, "route %s: scope \"%s\" names no capture of \"%s\"", route->name,
                        route->scope, route->pattern);
    hr->scope_pre = h2o_iovec_init(route->scope, (size_t)(open - route->scope));
    hr->scope_post = h2o_iovec_init(close + 1, strlen(close + 1));
  }
  return FL_OK;
}

/* Matches path against hr's segments; captures go to m. */
static bool route_match(const http_route *hr, const char *path, size_t n, fl_http_match *m) {
  if (n > 1 && path[n - 1] == '/') n--; /* "/v1/streams/" is "/v1/streams" */
  m->n = 0;
  size_t i = 0;
  for (uint32_t s = 0; s < hr->nseg; s++) {
    if (i >= n || path[i] != '/') return false;
    i++;
    const char *seg = path + i;
    const char *e = memchr(seg, '/', n - i);
    size_t len = e ? (size_t)(e - seg) : n - i;
    if (hr->seg[s].base) {
      if (len != hr->seg[s].len || memcmp(seg, hr->seg[s].base, len)) return false;
    } else {
      if (len == 0) return false;
      m->values[m->n++] = h2o_iovec_init(seg, len);
    }
    i += len;
  }
  return i == n || (hr->nseg == 0 && n == 1);
}

static bool method_is(const h2o_req_t *req, const char *m) {
  size_t n = strlen(m);
  return req->method.len == n && !memcmp(req->method.base, m, n);
}

static bool route_method_ok(const http_route *hr, const h2o_req_t *req) {
  return method_is(req, hr->r.method) || (!strcmp(hr->r.method, "GET") && method_is(req, "HEAD"));
}

/* ---------------------------------------------------------------- checks */

static bool iov_eq_ci(h2o_iovec_t v, const char *s, size_t n) {
  return v.len == n && !strncasecmp(v.base, s, n);
}

static h2o_iovec_t iov_trim(h2o_iovec_t v) {
  while (v.len && (v.base[v.len - 1] == ' ' || v.base[v.len - 1] == '\t')) v.len--;
  while (v.len && (*v.base == ' ' || *v.base == '\t')) v.base++, v.len--;
  return v;
}

/* RFC 9112 §6.3: Content-Length with Transfer-Encoding, or Content-Lengths that differ.
 * h2o 2.2 drops both headers from req->headers (it uses the first Content-Length, or
 * chunked), so the header block is read where h2o parsed it: the connection's socket
 * input, which holds the request until it is answered (h2o's header pointers point
 * into it). The socket is found among the loop's tracked connections (sock->data is
 * h2o's connection). */
static const char *framing_error(fl_http_loop *loop, const h2o_req_t *req) {
  h2o_socket_t *sock = NULL;
  uint32_t seen = 0;
  for (uint32_t i = 0; i < loop->http->opts.max_connections && seen < loop->nconns; i++) {
    if (!loop->conns[i].sock) continue;
    seen++;
    if (loop->conns[i].sock->data == (void *)req->conn) {
      sock = loop->conns[i].sock;
      break;
    }
  }
  if (!sock || !sock->input) return NULL;
  const char *buf = sock->input->bytes, *end = buf + sock->input->size, *p = req->input.method.base;
  if (!p || p < buf || p >= end) p = buf; /* h2o parsed a copy: the request starts the buffer */
  if ((size_t)(end - p) <= req->input.method.len || memcmp(p, req->input.method.base, req->input.method.len))
    return NULL; /* not this request's bytes */
  const char *cl = NULL;
  size_t cl_len = 0;
  bool te = false;
  p = memchr(p, '\n', (size_t)(end - p)); /* past the request line */
  while (p && ++p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) break;
    size_t n = (size_t)(eol - p);
    if (n && p[n - 1] == '\r') n--;
    if (n == 0) break; /* the blank line: end of the header block */
    if (n > 15 && !strncasecmp(p, "content-length:", 15)) {
      h2o_iovec_t v = iov_trim(h2o_iovec_init(p + 15, n - 15));
      if (cl && (cl_len != v.len || memcmp(cl, v.base, v.len))) return "two different Content-Length headers";
      cl = v.base;
      cl_len = v.len;
    } else if (n > 18 && !strncasecmp(p, "transfer-encoding:", 18)) {
      te = true;
    }
    p = eol;
  }
  if (cl && te) return "Content-Length together with Transfer-Encoding";
  return NULL;
}

/* host[:port] without the port; [v6]:port without brackets and port. */
static h2o_iovec_t host_name(h2o_iovec_t v) {
  v = iov_trim(v);
  if (v.len && v.base[0] == '[') {
    const char *e = memchr(v.base, ']', v.len);
    return e ? h2o_iovec_init(v.base + 1, (size_t)(e - v.base - 1)) : v;
  }
  const char *c = memchr(v.base, ':', v.len);
  return c ? h2o_iovec_init(v.base, (size_t)(c - v.base)) : v;
}

static bool host_allowed(const fl_http *http, h2o_iovec_t authority) {
  h2o_iovec_t name = host_name(authority);
  for (uint32_t i = 0; i < http->opts.nallowed_hosts; i++) {
    const char *a = http->opts.allowed_hosts[i];
    if (!strcmp(a, "*") || iov_eq_ci(name, a, strlen(a))) return true;
  }
  if (!http->loopback) return http->opts.nallowed_hosts == 0;
  if (iov_eq_ci(name, H2O_STRLIT("localhost")) || iov_eq_ci(name, H2O_STRLIT("::1"))) return true;
  return name.len >= 4 && !memcmp(name.base, "127.", 4); /* 127.0.0.0/8 by name */
}

static bool origin_allowed(const fl_http *http, h2o_iovec_t origin) {
  origin = iov_trim(origin);
  for (uint32_t i = 0; i < http->opts.nallowed_origins; i++) {
    const char *a = http->opts.allowed_origins[i];
    if (!strcmp(a, "*") || iov_eq_ci(origin, a, strlen(a))) return true;
  }
  return false;
}

/* application/json, application/x-ndjson, application/ndjson, application/jsonl,
 * application/x-jsonlines, any +json type; parameters (charset) allowed. */
static bool content_type_json(const h2o_req_t *req) {
  ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
  if (i < 0) return false;
  h2o_iovec_t v = req->headers.entries[i].value;
  const char *semi = memchr(v.base, ';', v.len);
  if (semi) v.len = (size_t)(semi - v.base);
  v = iov_trim(v);
  static const char *const types[] = {"application/json",  "application/x-ndjson",    "application/ndjson",
                                      "application/jsonl", "application/x-jsonlines", "application/json-seq"};
  for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
    if (iov_eq_ci(v, types[t], strlen(types[t]))) return true;
  return v.len > 5 && !strncasecmp(v.base + v.len - 5, "+json", 5) &&
         !strncasecmp(v.base, "application/", 12);
}

/* Constant-time for equal lengths: a token must not be guessable byte by byte. */
static bool token_equal(const char *a, const char *b, size_t blen) {
  size_t alen = strlen(a);
  unsigned diff = alen != blen;
  for (size_t i = 0; i < blen; i++)
    diff |= (unsigned)(unsigned char)a[i < alen ? i : 0] ^ (unsigned char)b[i];
  return diff == 0;
}

static bool scope_has(const char *have, const http_route *hr, const fl_http_match *m) {
  if (!strcmp(have, "admin")) return true;
  if (hr->scope_capture < 0) return !strcmp(have, hr->r.scope);
  h2o_iovec_t cap = m->values[hr->scope_capture];
  size_t n = strlen(have);
  return n == hr->scope_pre.len + cap.len + hr->scope_post.len &&
         !memcmp(have, hr->scope_pre.base, hr->scope_pre.len) &&
         !memcmp(have + hr->scope_pre.len, cap.base, cap.len) &&
         !memcmp(have + hr->scope_pre.len + cap.len, hr->scope_post.base, hr->scope_post.len);
}

/* 0 if allowed; else the error was sent and the status is returned. */
static int check_auth(fl_http *http, h2o_req_t *req, const http_route *hr, const fl_http_match *m) {
  if (http->opts.ntokens == 0 || !hr->r.scope) return 0;
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
  if (!tok || !toklen) {
    fl_http_send_error(req, 401, 40101, "a bearer token is required (Authorization: Bearer <token>)");
    return 401;
  }
  for (uint32_t t = 0; t < http->opts.ntokens; t++) {
    const fl_http_token *ht = &http->opts.tokens[t];
    if (!token_equal(ht->token, tok, toklen)) continue;
    for (uint32_t s = 0; s < ht->nscopes; s++)
      if (scope_has(ht->scopes[s], hr, m)) return 0;
    if (hr->scope_capture >= 0)
      fl_http_send_error(req, 403, 40301, "the token lacks the scope %.*s%.*s%.*s", (int)hr->scope_pre.len,
                         hr->scope_pre.base, (int)m->values[hr->scope_capture].len,
                         m->values[hr->scope_capture].base, (int)hr->scope_post.len, hr->scope_post.base);
    else
      fl_http_send_error(req, 403, 40301, "the token lacks the scope %s", hr->r.scope);
    return 403;
  }
  fl_http_send_error(req, 401, 40102, "the bearer token is not valid");
  return 401;
}

/* ---------------------------------------------------------------- per-request slot */

static void slot_dispose(void *p) {
  http_slot *slot = p;
  fl_http_loop *loop = slot->loop;
  fl_http *http = loop->http;
  if (slot->defer) { /* the client went first: the late answer is dropped */
    slot->defer->req = NULL;
    slot->defer->hook = NULL;
  }
  if (slot->body_bytes) atomic_fetch_sub(&http->dispatched_bytes, slot->body_bytes);
  if (http->observer)
    http->observer(http->observer_ctx, slot->route, slot->req->res.status, fl_mono_ns() - slot->start_ns);
  if (loop->cur_req == slot->req) loop->cur_req = NULL, loop->cur_slot = NULL;
}

http_slot *http_slot_get(fl_http_loop *loop, h2o_req_t *req) {
  if (loop->cur_req == req && loop->cur_slot) return loop->cur_slot;
  http_slot *slot = h2o_mem_alloc_shared(&req->pool, sizeof *slot, slot_dispose);
  *slot = (http_slot){.loop = loop, .req = req, .route = "none", .start_ns = fl_mono_ns()};
  loop->cur_req = req;
  loop->cur_slot = slot;
  return slot;
}

/* ---------------------------------------------------------------- dispatch */

static int send_405(h2o_req_t *req, const char *allow) {
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow, strlen(allow));
  return fl_http_send_error(req, 405, 40501, "method %.*s is not allowed here; use %s", (int)req->method.len,
                            req->method.base, allow);
}

static int dispatch(fl_http *http, fl_http_loop *loop, h2o_req_t *req, http_slot **slotp) {
  if (req->version < 0x200) {
    const char *bad = framing_error(loop, req);
    if (bad) {
      req->http1_is_persistent = 0;
      atomic_fetch_add_explicit(&http->framing_refusals, 1, memory_order_relaxed);
      return fl_http_send_error(req, 400, 40003, "%s (RFC 9112 §6.3); the connection is closed", bad);
    }
  }
  ssize_t oi = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
  if (oi >= 0 && !origin_allowed(http, req->headers.entries[oi].value))
    return fl_http_send_error(
        req, 403, 40310, "requests from the web origin %.*s are refused (floe.yaml http.allowed_origins)",
        (int)(req->headers.entries[oi].value.len > 200 ? 200 : req->headers.entries[oi].value.len),
        req->headers.entries[oi].value.base);
  if (!host_allowed(http, req->input.authority))
    return fl_http_send_error(
        req, 421, 42101, "the Host %.*s is not this server's name (floe.yaml http.allowed_hosts)",
        (int)(req->input.authority.len > 200 ? 200 : req->input.authority.len), req->input.authority.base);
  if (req->entity.len) {
    http_slot *slot = *slotp = http_slot_get(loop, req);
    if (http_inflight_bytes(http) + req->entity.len > http->opts.max_inflight_bytes) {
      atomic_fetch_add_explicit(&http->budget_refusals, 1, memory_order_relaxed);
      return send_retry_later(req, 50303, "the server holds too many request bytes in flight; retry later");
    }
    slot->body_bytes = req->entity.len;
    atomic_fetch_add(&http->dispatched_bytes, req->entity.len);
  }

  const char *path = req->path_normalized.base;
  size_t n = req->path_normalized.len;
  fl_http_match m;
  const http_route *hr = NULL;
  char allow[64] = "";
  for (uint32_t i = 0; i < http->nroutes; i++) {
    if (!route_match(&http->routes[i], path, n, &m)) continue;
    if (route_method_ok(&http->routes[i], req)) {
      hr = &http->routes[i];
      break;
    }
    size_t al = strlen(allow);
    snprintf(allow + al, sizeof allow - al, "%s%s", al ? ", " : "", http->routes[i].r.method);
  }
  if (!hr) {
    if (allow[0]) return send_405(req, allow);
    return fl_http_send_error(req, 404, 40400, "no route for %.*s", (int)(n > 200 ? 200 : n), path);
  }
  if (*slotp) (*slotp)->route = hr->r.name;
  if ((hr->r.flags & FL_HTTP_ROUTE_JSON_BODY) && !content_type_json(req))
    return fl_http_send_error(req, 415, 41502,
                              "Content-Type must be application/json or application/x-ndjson (NDJSON)");
  if (check_auth(http, req, hr, &m)) return 0;
  if (hr->r.work) return http_job_submit(loop, req, hr, &m);
  return hr->r.handler(hr->r.ctx, loop, req, &m);
}

int http_on_req(fl_http *http, fl_http_loop *loop, h2o_req_t *req) {
  http_slot *slot = NULL;
  if (http->observer) slot = http_slot_get(loop, req);
  int rc = dispatch(http, loop, req, &slot); /* refused before routing: the observer sees "none" */
  loop->cur_req = NULL;
  loop->cur_slot = NULL;
  return rc;
}
