/* http_client: a small blocking HTTP/1.1 client for `floe ingest` and `floe gen`.
 *
 * One client = one keep-alive TCP connection to one http:// URL, opened on the first
 * request and reopened after the server closes it or a request fails. Requests are
 * POSTs with Content-Length; answers are read by Content-Length, chunked transfer
 * coding, or (Connection: close) to the end of the stream. No TLS, no pipelining, no
 * redirects: the clients are floe's own tools talking to `floe serve`.
 *
 *   fl_http_client *c;
 *   fl_http_client_open("http://127.0.0.1:8080", token, &c, &err);
 *   fl_http_resp resp;
 *   fl_http_client_post_retry(c, "/v1/streams/orders/events", body, len, 5, note, ctx, &resp, &err);
 *   ... resp.status, resp.body (valid until the next request on c) ...
 *   fl_http_client_free(c);
 *
 * Retries (fl_http_client_post_retry): a connection error (refused, reset, closed
 * before a complete answer, time-out) and the statuses 503 and 507 are retried, up to
 * `retries` times, waiting Retry-After seconds when the server sent it, else
 * 0.1 s * 2^attempt (at most 10 s). A request whose connection broke after it was sent
 * has an unknown outcome: the server may have stored it, so a retry can store its
 * records twice (the stream job dedupes by primary key). Not thread-safe: one client
 * per thread. */
#ifndef FL_CLI_HTTP_CLIENT_H
#define FL_CLI_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct fl_http_client fl_http_client;

typedef struct fl_http_resp {
  int status;            /* 200, 400, 503, ... */
  int64_t retry_after_s; /* the Retry-After header in seconds, -1 if absent */
  const char *body;      /* NUL-terminated; owned by the client until its next request */
  size_t body_len;
} fl_http_resp;

/* Called before each retry: attempt is 1-based, why says what failed
 * ("connection refused", "HTTP 503"). */
typedef void (*fl_http_retry_fn)(void *ctx, uint32_t attempt, uint32_t retries, double delay_s,
                                 const char *why);

/* url = "http://HOST[:PORT][/PREFIX]" (port default 80; HOST may be [v6]); token may be
 * NULL (no Authorization header). Nothing is connected yet. FL_EINVAL for a bad URL,
 * FL_EUNSUPPORTED for https. */
fl_code fl_http_client_open(const char *url, const char *token, fl_http_client **out, fl_err *err);
void fl_http_client_free(fl_http_client *c);

/* One POST of body to PREFIX+path (Content-Type application/x-ndjson). Any answer the
 * server completes is FL_OK with its status in resp. FL_EIO when the connection could
 * not be made or broke (the message names the URL and the cause; the outcome of the
 * request is then unknown). */
fl_code fl_http_client_post(fl_http_client *c, const char *path, const void *body, size_t len,
                            fl_http_resp *resp, fl_err *err);

/* As fl_http_client_post, retrying connection errors, 503 and 507 (see the top). After
 * the last retry a connection error is returned as FL_EIO, a 503/507 as FL_OK with
 * that status. note may be NULL. */
fl_code fl_http_client_post_retry(fl_http_client *c, const char *path, const void *body, size_t len,
                                  uint32_t retries, fl_http_retry_fn note, void *ctx, fl_http_resp *resp,
                                  fl_err *err);

#endif
