/* Unit tests of the HTTP service over real sockets on a free port: a long request on the
 * worker pool while /healthz keeps answering on the loop, the router (captures, 404,
 * 405 with Allow, scopes with a capture, Content-Type), framing refused by RFC 9112,
 * Host and Origin checks, and the per-request observer. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/time.h"
#include "http/http.h"

static int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert(fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect: %s", strerror(errno));
  return fd;
}

/* Sends raw and reads until the server closes (Connection: close) or 5 s pass. */
static int raw_request(uint16_t port, const char *raw, char *resp, size_t cap) {
  int fd = connect_to(port);
  cr_assert_eq(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
  size_t len = 0;
  int64_t deadline = fl_mono_ns() + 5000000000LL;
  while (len + 1 < cap && fl_mono_ns() < deadline) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    ssize_t r = read(fd, resp + len, cap - 1 - len);
    if (r <= 0) break;
    len += (size_t)r;
  }
  resp[len] = '\0';
  close(fd);
  int status = 0;
  sscanf(resp, "HTTP/1.1 %d", &status);
  return status;
}

static int get(uint16_t port, const char *path, const char *extra, char *resp, size_t cap) {
  char raw[1024];
  snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n", path, extra);
  return raw_request(port, raw, resp, cap);
}

static int post(uint16_t port, const char *path, const char *extra, const char *body, char *resp,
                size_t cap) {
  char raw[2048];
  snprintf(raw, sizeof raw,
           "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
           path, extra, strlen(body), body);
  return raw_request(port, raw, resp, cap);
}

/* ---- routes of the tests */

static void slow_work(void *ctx, fl_http_job *job) {
  usleep(1500 * 1000); /* a long query */
  job->status = 200;
  fl_buf_printf(&job->answer, "{\"slow\":\"%.*s\",\"body\":\"%s\"}\n", (int)job->match.values[0].len,
                job->match.values[0].base, job->body);
}

static int echo(void *ctx, fl_http_loop *loop, h2o_req_t *req, const fl_http_match *m) {
  char out[256];
  int n = snprintf(out, sizeof out, "{\"stream\":\"%.*s\",\"n\":%u}\n", (int)m->values[0].len,
                   m->values[0].base, m->n);
  fl_http_send_json(req, 200, out, (size_t)n);
  return 0;
}

typedef struct seen {
  pthread_mutex_t mu;
  char routes[16][32];
  int statuses[16];
  int n;
} seen;

static void observe(void *ctx, const char *route, int status, int64_t duration_ns) {
  seen *s = ctx;
  pthread_mutex_lock(&s->mu);
  if (s->n < 16) {
    snprintf(s->routes[s->n], sizeof s->routes[0], "%s", route);
    s->statuses[s->n] = status;
    s->n++;
  }
  pthread_mutex_unlock(&s->mu);
}

static fl_http *start(const fl_http_opts *extra, seen *s) {
  fl_http_opts opts = extra ? *extra : (fl_http_opts){0};
  opts.listen = "127.0.0.1:0";
  opts.threads = 1; /* one loop: /healthz must answer on the very loop that took the slow request */
  fl_http *http;
  fl_err err = {0};
  cr_assert_eq(fl_http_new(&opts, &http, &err), FL_OK, "%s", err.msg);
  fl_http_route slow = {.name = "slow", .method = "POST", .pattern = "/slow/{id}", .work = slow_work};
  cr_assert_eq(fl_http_route_add(http, &slow, &err), FL_OK, "%s", err.msg);
  fl_http_route ev = {.name = "events",
                      .method = "POST",
                      .pattern = "/v1/streams/{stream}/events",
                      .scope = "ingest:{stream}",
                      .flags = FL_HTTP_ROUTE_JSON_BODY,
                      .handler = echo};
  cr_assert_eq(fl_http_route_add(http, &ev, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_http_get(http, "streams", "/v1/streams/{stream}", "query", echo, NULL, &err), FL_OK);
  if (s) {
    pthread_mutex_init(&s->mu, NULL);
    fl_http_set_observer(http, observe, s);
  }
  cr_assert_eq(fl_http_start(http, &err), FL_OK, "%s", err.msg);
  return http;
}

typedef struct slow_call {
  uint16_t port;
  int status;
  char resp[4096];
} slow_call;

static void *call_slow(void *arg) {
  slow_call *c = arg;
  c->status = post(c->port, "/slow/q1", "", "select 1", c->resp, sizeof c->resp);
  return NULL;
}

Test(http, a_long_request_runs_on_a_worker_while_healthz_answers_on_the_same_loop) {
  fl_http *http = start(NULL, NULL);
  slow_call c = {.port = fl_http_port(http)};
  pthread_t tid;
  int64_t t0 = fl_mono_ns();
  pthread_create(&tid, NULL, call_slow, &c);
  usleep(200 * 1000); /* the slow request is in the worker now */
  char resp[4096];
  for (int i = 0; i < 5; i++) {
    int64_t s = fl_mono_ns();
    cr_assert_eq(get(fl_http_port(http), "/healthz", "", resp, sizeof resp), 200, "%s", resp);
    cr_assert_lt(fl_mono_ns() - s, 300000000LL, "/healthz took %lld ms",
                 (long long)(fl_mono_ns() - s) / 1000000);
    cr_assert(strstr(resp, "{\"status\":\"ok\"}"), "%s", resp);
  }
  cr_assert_lt(fl_mono_ns() - t0, 1400000000LL, "the health checks ran while the slow request was in flight");
  pthread_join(tid, NULL);
  cr_assert_eq(c.status, 200, "%s", c.resp);
  cr_assert(strstr(c.resp, "{\"slow\":\"q1\",\"body\":\"select 1\"}"), "%s", c.resp);
  cr_assert_geq(fl_mono_ns() - t0, 1500000000LL);
  fl_http_free(http);
}

Test(http, routes_capture_segments_and_answer_404_and_405_with_allow) {
  fl_http *http = start(NULL, NULL);
  uint16_t port = fl_http_port(http);
  char resp[4096];
  cr_assert_eq(get(port, "/v1/streams/orders", "", resp, sizeof resp), 200, "%s", resp);
  cr_assert(strstr(resp, "{\"stream\":\"orders\",\"n\":1}"), "%s", resp);
  cr_assert_eq(get(port, "/v1/streams/orders/", "", resp, sizeof resp), 200, "a trailing slash matches: %s",
               resp);
  cr_assert_eq(get(port, "/v1/nothing", "", resp, sizeof resp), 404);
  cr_assert(strstr(resp, "\"error_code\":40400"), "%s", resp);
  cr_assert_eq(get(port, "/v1/streams/orders/events", "", resp, sizeof resp), 405);
  cr_assert(strstr(resp, "allow: POST") || strstr(resp, "Allow: POST"), "%s", resp);
  cr_assert_eq(post(port, "/healthz", "", "", resp, sizeof resp), 405);
  cr_assert_eq(get(port, "/slow/", "", resp, sizeof resp), 404, "an empty capture does not match: %s", resp);
  fl_http_free(http);
}

Test(http, a_json_route_refuses_other_content_types_with_415) {
  fl_http *http = start(NULL, NULL);
  uint16_t port = fl_http_port(http);
  char resp[4096];
  const char *path = "/v1/streams/orders/events";
  cr_assert_eq(post(port, path, "Content-Type: text/plain\r\n", "{}", resp, sizeof resp), 415, "%s", resp);
  cr_assert(strstr(resp, "\"error_code\":41502"), "%s", resp);
  cr_assert_eq(post(port, path, "", "{}", resp, sizeof resp), 415, "no Content-Type: %s", resp);
  cr_assert_eq(
      post(port, path, "Content-Type: application/x-www-form-urlencoded\r\n", "{}", resp, sizeof resp), 415);
  cr_assert_eq(post(port, path, "Content-Type: application/x-ndjson\r\n", "{}", resp, sizeof resp), 200, "%s",
               resp);
  cr_assert_eq(post(port, path, "Content-Type: application/json; charset=utf-8\r\n", "{}", resp, sizeof resp),
               200);
  cr_assert_eq(post(port, path, "Content-Type: Application/NDJSON\r\n", "{}", resp, sizeof resp), 200);
  fl_http_free(http);
}

Test(http, scopes_take_the_captured_stream_and_admin_allows_all) {
  static const char *const s_orders[] = {"ingest:orders"}, *const s_admin[] = {"admin"};
  static const fl_http_token toks[] = {{"t-orders", s_orders, 1}, {"t-admin", s_admin, 1}};
  fl_http_opts o = {.tokens = toks, .ntokens = 2};
  fl_http *http = start(&o, NULL);
  uint16_t port = fl_http_port(http);
  char resp[4096];
  const char *ct = "Content-Type: application/json\r\n";
  cr_assert_eq(post(port, "/v1/streams/orders/events", ct, "{}", resp, sizeof resp), 401);
  cr_assert(strstr(resp, "\"error_code\":40101"), "%s", resp);
  cr_assert_eq(
      post(port, "/v1/streams/orders/events",
           "Content-Type: application/json\r\nAuthorization: Bearer nope\r\n", "{}", resp, sizeof resp),
      401);
  cr_assert(strstr(resp, "\"error_code\":40102"), "%s", resp);
  const char *to = "Content-Type: application/json\r\nAuthorization: Bearer t-orders\r\n";
  cr_assert_eq(post(port, "/v1/streams/orders/events", to, "{}", resp, sizeof resp), 200, "%s", resp);
  cr_assert_eq(post(port, "/v1/streams/orderz/events", to, "{}", resp, sizeof resp), 403);
  cr_assert(strstr(resp, "the token lacks the scope ingest:orderz"), "%s", resp);
  cr_assert_eq(post(port, "/v1/streams/order/events", to, "{}", resp, sizeof resp), 403,
               "a prefix is not the scope");
  cr_assert_eq(get(port, "/v1/streams/x", "Authorization: Bearer t-orders\r\n", resp, sizeof resp), 403);
  cr_assert_eq(get(port, "/v1/streams/x", "Authorization: Bearer t-admin\r\n", resp, sizeof resp), 200);
  cr_assert_eq(get(port, "/healthz", "", resp, sizeof resp), 200, "/healthz needs no token");
  fl_http_free(http);
}

Test(http, two_content_lengths_or_content_length_with_chunked_are_400_and_close) {
  fl_http *http = start(NULL, NULL);
  uint16_t port = fl_http_port(http);
  char resp[4096];
  /* keep-alive requested: the server must close anyway (raw_request reads until close) */
  int64_t t0 = fl_mono_ns();
  cr_assert_eq(raw_request(port,
                           "POST /v1/streams/orders/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 12\r\n\r\n"
                           "{}{\"a\":12345}",
                           resp, sizeof resp),
               400, "%s", resp);
  cr_assert(strstr(resp, "\"error_code\":40003"), "%s", resp);
  cr_assert(strstr(resp, "two different Content-Length headers"), "%s", resp);
  cr_assert_lt(fl_mono_ns() - t0, 2000000000LL, "the connection was closed, not kept alive");
  cr_assert_eq(
      raw_request(port,
                  "POST /v1/streams/orders/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: application/json\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "2\r\n{}\r\n0\r\n\r\n",
                  resp, sizeof resp),
      400, "%s", resp);
  cr_assert(strstr(resp, "Content-Length together with Transfer-Encoding"), "%s", resp);
  /* the same Content-Length twice is one length (RFC 9110 §8.6 allows the repeat) */
  cr_assert_eq(
      raw_request(port,
                  "POST /v1/streams/orders/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
                  resp, sizeof resp),
      200, "%s", resp);
  fl_http_stats st;
  fl_http_stats_get(http, &st);
  cr_assert_eq(st.framing_refusals, 2);
  cr_assert_eq(st.budget_refusals, 0);
  fl_http_free(http);
}

Test(http, a_foreign_origin_or_host_is_refused_unless_configured) {
  fl_http *http = start(NULL, NULL);
  uint16_t port = fl_http_port(http);
  char resp[4096];
  const char *path = "/v1/streams/orders/events";
  cr_assert_eq(post(port, path, "Content-Type: application/json\r\nOrigin: https://evil.example\r\n", "{}",
                    resp, sizeof resp),
               403, "%s", resp);
  cr_assert(strstr(resp, "\"error_code\":40310"), "%s", resp);
  cr_assert_eq(
      raw_request(port, "GET /healthz HTTP/1.1\r\nHost: rebind.example:8080\r\nConnection: close\r\n\r\n",
                  resp, sizeof resp),
      421, "DNS rebinding: %s", resp);
  cr_assert_eq(raw_request(port, "GET /healthz HTTP/1.1\r\nHost: localhost:1\r\nConnection: close\r\n\r\n",
                           resp, sizeof resp),
               200, "%s", resp);
  cr_assert_eq(raw_request(port, "GET /healthz HTTP/1.1\r\nHost: [::1]:1\r\nConnection: close\r\n\r\n", resp,
                           sizeof resp),
               200, "%s", resp);
  fl_http_free(http);

  static const char *const origins[] = {"https://app.example"}, *const hosts[] = {"ingest.example"};
  fl_http_opts o = {
      .allowed_origins = origins, .nallowed_origins = 1, .allowed_hosts = hosts, .nallowed_hosts = 1};
  http = start(&o, NULL);
  port = fl_http_port(http);
  cr_assert_eq(post(port, path, "Content-Type: application/json\r\nOrigin: https://app.example\r\n", "{}",
                    resp, sizeof resp),
               200, "%s", resp);
  cr_assert_eq(post(port, path, "Content-Type: application/json\r\nOrigin: https://evil.example\r\n", "{}",
                    resp, sizeof resp),
               403);
  cr_assert_eq(raw_request(port, "GET /healthz HTTP/1.1\r\nHost: ingest.example\r\nConnection: close\r\n\r\n",
                           resp, sizeof resp),
               200, "%s", resp);
  fl_http_free(http);
}

Test(http, the_observer_sees_each_request_with_its_route_and_status) {
  seen s = {0};
  fl_http *http = start(NULL, &s);
  uint16_t port = fl_http_port(http);
  char resp[4096];
  cr_assert_eq(get(port, "/healthz", "", resp, sizeof resp), 200);
  cr_assert_eq(get(port, "/nope", "", resp, sizeof resp), 404);
  cr_assert_eq(
      post(port, "/v1/streams/o/events", "Content-Type: application/json\r\n", "{}", resp, sizeof resp), 200);
  fl_http_free(http);
  cr_assert_eq(s.n, 3);
  cr_assert_str_eq(s.routes[0], "healthz");
  cr_assert_eq(s.statuses[0], 200);
  cr_assert_str_eq(s.routes[1], "none");
  cr_assert_eq(s.statuses[1], 404);
  cr_assert_str_eq(s.routes[2], "events");
  cr_assert_eq(s.statuses[2], 200);
}
