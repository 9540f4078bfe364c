/* Unit tests of the server (server.c, server_events.c) driven over real sockets on a
 * free port: acks only what is durable (a failing disk answers 507 and stores nothing),
 * records land in the partition of their key, rejects land in "<stream>.quarantine",
 * and clients that hang up while their batch is being committed do not disturb the
 * server. (The copy of the quarantine log into its table: stream/quarantine_test.c.) */
#define _GNU_SOURCE 1 /* memmem */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/limits.h"
#include "ingest/events_split.h"
#include "ingest/server.h"
#include "ingest/server_int.h"
#include "table/table.h"

static const char orders_sql[] =
    "CREATE STREAM orders (\n"
    "  event_id STRING NOT NULL,\n"
    "  amount DECIMAL(12,2),\n"
    "  event_type STRING NOT NULL CHECK (event_type IN ('a', 'b')),\n"
    "  PRIMARY KEY (event_id) NOT ENFORCED\n"
    ") WITH (partitions = 4)";

/* What cmd_serve composes: the log, the HTTP service, ingest on it. */
typedef struct fixture {
  char *data;
  fl_project *proj;
  fl_log *log;
  fl_http *http;
  fl_ingest *ing;
} fixture;

static void start(fixture *fx) {
  fl_err err = {0};
  fl_log_opts lopts;
  fl_project_log_opts(fx->proj, &lopts);
  char *log_dir = fl_sprintf("%s/log", fx->data);
  cr_assert_eq(fl_log_open(log_dir, &lopts, &fx->log, &err), FL_OK, "%s", err.msg);
  fl_free(log_dir);
  fl_http_opts hopts;
  fl_project_http_opts(fx->proj, &hopts);
  hopts.listen = "127.0.0.1:0";
  cr_assert_eq(fl_http_new(&hopts, &fx->http, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_ingest_new(fx->proj, fx->log, fx->http, &fx->ing, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_http_start(fx->http, &err), FL_OK, "%s", err.msg);
}

static void stop(fixture *fx) {
  fl_http_stop(fx->http);
  fl_ingest_free(fx->ing);
  fl_http_free(fx->http);
  fl_log_close(fx->log);
}

static void setup(fixture *fx) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base || !*base) base = "/tmp";
  mkdir(base, 0755);
  fx->data = fl_sprintf("%s/server_test.XXXXXX", base);
  cr_assert(mkdtemp(fx->data));
  fx->proj = fl_project_new();
  fl_err err = {0};
  const char *yaml = "commit_interval: 1h\nstream:\n  enabled: false\n";
  cr_assert_eq(fl_project_parse_yaml(fx->proj, "floe.yaml", yaml, strlen(yaml), &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_project_add_stream_sql(fx->proj, "orders.sql", orders_sql, strlen(orders_sql), &err), FL_OK,
               "%s", err.msg);
  start(fx);
}

static void teardown(fixture *fx) {
  stop(fx);
  fl_project_free(fx->proj);
  fl_free(fx->data);
}

static int connect_to(fl_http *srv) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert(fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(fl_http_port(srv))};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect: %s", strerror(errno));
  return fd;
}

static void send_post_as(int fd, const char *path, const char *type, const char *body) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                   path, type, strlen(body));
  cr_assert_eq(write(fd, head, (size_t)n), n);
  cr_assert_eq(write(fd, body, strlen(body)), (ssize_t)strlen(body));
}

/* A body that is a JSON array goes as application/json: an NDJSON type is read as lines. */
static void send_post(int fd, const char *path, const char *body) {
  size_t i = !strncmp(body, "\xEF\xBB\xBF", 3) ? 3 : 0;
  while (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t') i++;
  send_post_as(fd, path, body[i] == '[' ? "application/json" : "application/x-ndjson", body);
}

/* One request on its own connection; returns the status, the whole response in resp. */
static int post(fl_http *srv, const char *path, const char *body, char *resp, size_t cap) {
  int fd = connect_to(srv);
  send_post(fd, path, body);
  size_t len = 0;
  ssize_t r;
  while (len + 1 < cap && (r = read(fd, resp + len, cap - 1 - len)) > 0) len += (size_t)r;
  resp[len] = '\0';
  close(fd);
  int status = 0;
  cr_assert_eq(sscanf(resp, "HTTP/1.1 %d", &status), 1, "%s", resp);
  return status;
}

static uint64_t log_end(fl_log *log, const char *stream, uint32_t partition) {
  fl_log_stream *ls;
  fl_err err = {0};
  cr_assert_eq(fl_log_stream_open(log, stream, 0, &ls, &err), FL_OK, "%s", err.msg);
  uint64_t start, end;
  cr_assert_eq(fl_log_partition_offsets(ls, partition, &start, &end), FL_OK);
  return end;
}

static uint64_t log_total(fl_log *srv, const char *stream, uint32_t nparts) {
  uint64_t total = 0;
  for (uint32_t p = 0; p < nparts; p++) total += log_end(srv, stream, p);
  return total;
}

Test(server, a_good_batch_is_acknowledged_and_each_record_is_in_its_key_partition) {
  fixture fx;
  setup(&fx);
  char resp[8192];
  const char *body =
      "{\"event_id\":\"k1\",\"event_type\":\"a\"}\n{\"event_id\":\"k2\",\"event_type\":\"b\",\"amount\":1.5}"
      "\n";
  cr_assert_eq(post(fx.http, "/v1/streams/orders/events", body, resp, sizeof resp), 200, "%s", resp);
  cr_assert(strstr(resp, "{\"accepted\":2,\"rejected\":0,\"errors\":[],\"request_id\":\""), "%s", resp);
  cr_assert_eq(log_total(fx.log, "orders", 4), 2);
  uint32_t p1 = (uint32_t)(fl_hash64("k1", 2) % 4), p2 = (uint32_t)(fl_hash64("k2", 2) % 4);
  cr_assert_geq(log_end(fx.log, "orders", p1), 1);
  cr_assert_geq(log_end(fx.log, "orders", p2), 1);
  fl_log_stream *ls;
  fl_log_reader *rd;
  fl_err err = {0};
  cr_assert_eq(fl_log_stream_open(fx.log, "orders", 0, &ls, &err), FL_OK);
  cr_assert_eq(fl_log_reader_open(ls, p2, 0, &rd, &err), FL_OK);
  fl_log_entry e;
  bool eof = true;
  char want[] = "{\"event_id\":\"k2\",\"event_type\":\"b\",\"amount\":1.5}";
  bool found = false;
  while (fl_log_reader_next(rd, &e, &eof, &err) == FL_OK && !eof)
    found |= e.value_len == strlen(want) && !memcmp(e.value, want, e.value_len);
  cr_assert(found, "the raw object text is the log record");
  fl_log_reader_close(rd);
  teardown(&fx);
}

Test(server, a_full_disk_answers_507_and_acknowledges_nothing) {
  fixture fx;
  setup(&fx);
  char resp[8192];
  const char *body = "{\"event_id\":\"k1\",\"event_type\":\"a\"}\n";
  fl_log_test_fail_writes(fx.log, ENOSPC, 1);
  cr_assert_eq(post(fx.http, "/v1/streams/orders/events", body, resp, sizeof resp), 507, "%s", resp);
  cr_assert(strstr(resp, "Retry-After: 5") || strstr(resp, "retry-after: 5"), "%s", resp);
  cr_assert(strstr(resp, "\"error_code\":50701"), "%s", resp);
  cr_assert_eq(log_total(fx.log, "orders", 4), 0, "nothing of the failed request is stored");
  cr_assert_eq(post(fx.http, "/v1/streams/orders/events", body, resp, sizeof resp), 200, "%s", resp);
  cr_assert_eq(log_total(fx.log, "orders", 4), 1, "space returned: the next post is stored");
  teardown(&fx);
}

Test(server, clients_hanging_up_while_their_batch_commits_do_not_disturb_the_server) {
  fixture fx;
  setup(&fx);
  const char *body =
      "{\"event_id\":\"k1\",\"event_type\":\"a\"}\n{\"event_id\":\"k2\",\"event_type\":\"zz\"}\n";
  for (int i = 0; i < 200; i++) {
    int fd = connect_to(fx.http);
    send_post(fd, "/v1/streams/orders/events", body);
    close(fd); /* gone before the answer */
  }
  char resp[8192];
  cr_assert_eq(post(fx.http, "/healthz", "", resp, sizeof resp), 405); /* POST /healthz: still serving */
  cr_assert_eq(post(fx.http, "/v1/streams/orders/events", body, resp, sizeof resp), 200, "%s", resp);
  teardown(&fx);
}

static void expect_json_str(const char *in, size_t n, const char *want) {
  fl_buf out = FL_BUF_INIT;
  fl_http_json_str(&out, in, n);
  fl_buf_cstr(&out);
  cr_assert_str_eq((const char *)out.data, want);
  fl_buf_free(&out);
}

Test(server, json_strings_escape_controls_and_replace_invalid_utf8) {
  expect_json_str("a\"b\\c\n\t\x01", 8, "\"a\\\"b\\\\c\\n\\t\\u0001\"");
  expect_json_str("\xc3\xbc\xe2\x9c\x93\xf0\x9f\x98\x80", 9,
                  "\"\xc3\xbc\xe2\x9c\x93\xf0\x9f\x98\x80\""); /* kept */
  expect_json_str(
      "a\xff"
      "b",
      3,
      "\"a\xef\xbf\xbd"
      "b\"");                                                                     /* stray byte */
  expect_json_str("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");                 /* overlong */
  expect_json_str("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
  expect_json_str("\xe2\x9c", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");                 /* truncated */
  expect_json_str("", 0, "\"\"");
}

/* Records of the stream (every partition) holding needle. */
static uint64_t log_count_matching(fl_log *log, const char *stream, uint32_t nparts, const char *needle) {
  uint64_t n = 0;
  for (uint32_t p = 0; p < nparts; p++) {
    fl_log_stream *ls;
    fl_log_reader *rd;
    fl_err err = {0};
    cr_assert_eq(fl_log_stream_open(log, stream, 0, &ls, &err), FL_OK, "%s", err.msg);
    cr_assert_eq(fl_log_reader_open(ls, p, 0, &rd, &err), FL_OK, "%s", err.msg);
    fl_log_entry e;
    bool eof = false;
    while (fl_log_reader_next(rd, &e, &eof, &err) == FL_OK && !eof)
      n += memmem(e.value, e.value_len, needle, strlen(needle)) != NULL;
    fl_log_reader_close(rd);
  }
  return n;
}

/* A body of n_good good lines (padded to grow past one parsing piece), then bad lines. */
static char *big_body(uint32_t n_good, const char *tail) {
  fl_buf b = FL_BUF_INIT;
  for (uint32_t i = 0; i < n_good; i++)
    fl_buf_printf(&b, "{\"event_id\":\"g%u\",\"event_type\":\"a\",\"amount\":1.00,\"pad\":\"%0200u\"}\n", i,
                  i);
  fl_buf_puts(&b, tail);
  fl_buf_cstr(&b);
  return (char *)fl_buf_take(&b, NULL);
}

static int post_big(fl_http *http, const char *body, char *resp, size_t cap) {
  int fd = connect_to(http);
  send_post(fd, "/v1/streams/orders/events", body);
  size_t len = 0;
  ssize_t r;
  while (len + 1 < cap && (r = read(fd, resp + len, cap - 1 - len)) > 0) len += (size_t)r;
  resp[len] = '\0';
  close(fd);
  int status = 0;
  sscanf(resp, "HTTP/1.1 %d", &status);
  return status;
}

Test(server, line_numbers_count_across_parsing_pieces) {
  fixture fx;
  setup(&fx);
  /* 3000 lines of ~250 bytes = ~750 KB: more than one 512 KiB piece */
  char *body = big_body(3000, "not json\n{\"event_id\":\"g-last\",\"event_type\":\"zz\"}\n");
  cr_assert_gt(strlen(body), 600000);
  static char resp[65536];
  cr_assert_eq(post_big(fx.http, body, resp, sizeof resp), 200, "%s", resp);
  cr_assert(strstr(resp,
                   "{\"accepted\":3000,\"rejected\":2,\"unknown_fields\":3000,\"errors\":[{\"line\":3001,"
                   "\"field\":null,"),
            "%s", resp);
  cr_assert(strstr(resp, "{\"line\":3002,\"field\":\"event_type\""), "%s", resp);
  cr_assert_eq(log_total(fx.log, "orders", 4), 3000);
  fl_free(body);
  teardown(&fx);
}

Test(server, an_ndjson_piece_beginning_with_a_bracket_line_is_still_parsed_as_lines) {
  fixture fx;
  setup(&fx);
  /* lines of exactly 200 bytes: the first piece ends after the first newline at or past
   * FL_INGEST_CHUNK_BYTES, so line `first` begins the second piece; it holds a JSON array
   * (a reject in NDJSON). Parsed as an array body, the piece swallowed the lines after it. */
  const uint32_t line_bytes = 200, nlines = 3000;
  const uint32_t first = (FL_INGEST_CHUNK_BYTES + line_bytes) / line_bytes + 1;
  fl_buf b = FL_BUF_INIT;
  for (uint32_t i = 1; i <= nlines; i++) {
    size_t before = b.len;
    if (i == first)
      fl_buf_printf(&b, "[{\"event_id\":\"arr\",\"event_type\":\"a\",\"pad\":\"%0153u\"}]\n", i);
    else
      fl_buf_printf(&b, "{\"event_id\":\"k%05u\",\"event_type\":\"a\",\"pad\":\"%0152u\"}\n", i, i);
    cr_assert_eq(b.len - before, line_bytes, "line %u is %zu bytes", i, b.len - before);
  }
  cr_assert_eq(srv_piece_end((const char *)b.data, 0, b.len, FL_INGEST_CHUNK_BYTES),
               (size_t)(first - 1) * line_bytes, "line %u begins the second piece", first);
  fl_buf_cstr(&b);
  char *body = (char *)fl_buf_take(&b, NULL);
  static char resp[65536];
  cr_assert_eq(post_big(fx.http, body, resp, sizeof resp), 200, "%s", resp);
  char want[64];
  snprintf(want, sizeof want, "{\"accepted\":%u,\"rejected\":1,", nlines - 1);
  cr_assert(strstr(resp, want), "%s", resp);
  snprintf(want, sizeof want, "\"errors\":[{\"line\":%u,", first);
  cr_assert(strstr(resp, want), "%s", resp);
  cr_assert_eq(log_total(fx.log, "orders", 4), nlines - 1);
  cr_assert_eq(log_count_matching(fx.log, "orders", 4, "\"k03000\""), 1, "the last line, stored");
  fl_free(body);
  teardown(&fx);
}

Test(server, a_json_array_after_a_byte_order_mark_is_still_an_array) {
  fixture fx;
  setup(&fx);
  /* the parser skips a UTF-8 BOM before it looks for '['; the route picks the pieces'
   * kind the same way (else the array would be parsed as NDJSON lines and rejected) */
  const char *body =
      "\xEF\xBB\xBF "
      "[{\"event_id\":\"m1\",\"event_type\":\"a\"},\n{\"event_id\":\"m2\",\"event_type\":\"zz\"},"
      "{\"event_id\":\"m3\",\"event_type\":\"b\"}]\n";
  char resp[8192];
  cr_assert_eq(post(fx.http, "/v1/streams/orders/events", body, resp, sizeof resp), 200, "%s", resp);
  cr_assert(strstr(resp, "{\"accepted\":2,\"rejected\":1,\"errors\":[{\"line\":2,\"field\":\"event_type\""),
            "%s", resp);
  cr_assert_eq(log_total(fx.log, "orders", 4), 2);
  teardown(&fx);
}

Test(server, a_request_over_max_rejects_is_cut_and_stores_exactly_the_lines_before_the_cut) {
  fixture fx = {0};
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base || !*base) base = "/tmp";
  fx.data = fl_sprintf("%s/server_test.XXXXXX", base);
  cr_assert(mkdtemp(fx.data));
  fx.proj = fl_project_new();
  fl_err err = {0};
  const char *yaml = "commit_interval: 1h\nstream:\n  enabled: false\nlimits:\n  max_rejects: 3\n";
  cr_assert_eq(fl_project_parse_yaml(fx.proj, "floe.yaml", yaml, strlen(yaml), &err), FL_OK, "%s", err.msg);
  cr_assert_eq(fl_project_add_stream_sql(fx.proj, "orders.sql", orders_sql, strlen(orders_sql), &err), FL_OK);
  start(&fx);
  /* lines 1-2 good, 3 bad, 4 good, 5 6 bad (3 rejects: the limit), 7 good, 8 bad (the 4th: cut) */
  const char *body =
      "{\"event_id\":\"k1\",\"event_type\":\"a\"}\n{\"event_id\":\"k2\",\"event_type\":\"a\"}\nbad\n"
      "{\"event_id\":\"k4\",\"event_type\":\"b\"}\nbad\nbad\n{\"event_id\":\"k7\",\"event_type\":\"a\"}"
      "\nbad\n"
      "{\"event_id\":\"k9\",\"event_type\":\"a\"}\n";
  char resp[8192];
  cr_assert_eq(post(fx.http, "/v1/streams/orders/events", body, resp, sizeof resp), 413, "%s", resp);
  cr_assert(strstr(resp, "\"error_code\":41304"), "%s", resp);
  cr_assert(strstr(resp, "\"accepted\":4,\"rejected\":3,"), "%s", resp);
  cr_assert(strstr(resp, "\"cut_at_line\":8,"), "%s", resp);
  cr_assert_eq(log_total(fx.log, "orders", 4), 4, "k1 k2 k4 k7: the lines before the cut");
  cr_assert_eq(log_count_matching(fx.log, "orders", 4, "\"k9\""), 0, "nothing after the cut");
  cr_assert_eq(log_end(fx.log, "orders.quarantine", 0), 3, "exactly the 3 counted rejects");
  teardown(&fx);
}

Test(server, a_large_json_array_is_parsed_in_pieces_with_element_numbers_and_strings_kept_whole) {
  fixture fx;
  setup(&fx);
  /* 3000 elements of ~250 bytes (more than one piece); strings hold ',' ']' '[' '}' and
   * escaped quotes, which must not cut an element; element 2999 fails its CHECK */
  fl_buf b = FL_BUF_INIT;
  fl_buf_puts(&b, " [\n");
  for (uint32_t i = 1; i <= 3000; i++)
    fl_buf_printf(&b, "%s{\"event_id\":\"g%u, ]}[\\\"\",\"event_type\":\"%s\",\"pad\":\"%0200u\"}",
                  i > 1 ? ",\n" : "", i, i == 2999 ? "zz" : "a", i);
  fl_buf_puts(&b, "\n]\n");
  fl_buf_cstr(&b);
  char *body = (char *)fl_buf_take(&b, NULL);
  cr_assert_gt(strlen(body), 700000);
  static char resp[65536];
  cr_assert_eq(post_big(fx.http, body, resp, sizeof resp), 200, "%s", resp);
  cr_assert(strstr(resp,
                   "{\"accepted\":2999,\"rejected\":1,\"unknown_fields\":3000,\"errors\":[{\"line\":2999,"
                   "\"field\":\"event_type\""),
            "%s", resp);
  cr_assert_eq(log_total(fx.log, "orders", 4), 2999);
  cr_assert_eq(log_count_matching(fx.log, "orders", 4, "\"event_id\":\"g3000, ]}[\\\"\""), 1,
               "the last element, whole");
  fl_free(body);
  teardown(&fx);
}

/* A resend from a cut line (floe ingest) or a batch boundary may begin with a line that
 * starts with '[': sent as NDJSON it is one bad line, not an array swallowing the rest. */
Test(server, an_ndjson_body_whose_first_line_starts_with_a_bracket_is_read_as_lines) {
  fixture fx;
  setup(&fx);
  const char *body =
      "[1]\n{\"event_id\":\"b1\",\"event_type\":\"a\"}\n{\"event_id\":\"b2\",\"event_type\":\"b\"}\n";
  int fd = connect_to(fx.http);
  send_post_as(fd, "/v1/streams/orders/events", "application/x-ndjson", body);
  static char resp[8192];
  size_t len = 0;
  ssize_t r;
  while (len + 1 < sizeof resp && (r = read(fd, resp + len, sizeof resp - 1 - len)) > 0) len += (size_t)r;
  resp[len] = '\0';
  close(fd);
  cr_assert(strstr(resp, "HTTP/1.1 200"), "%s", resp);
  cr_assert(strstr(resp, "{\"accepted\":2,\"rejected\":1,\"errors\":[{\"line\":1,\"field\":null,"), "%s",
            resp);
  cr_assert_eq(log_total(fx.log, "orders", 4), 2);
  teardown(&fx);
}
