/* cmd_ingest: `floe ingest STREAM FILE|- [--url URL] [--token T] [--batch N] [--retries N]`
 *
 * Posts the lines of an NDJSON file to a running `floe serve` (POST
 * /v1/streams/STREAM/events), N lines per request (default 1,000; blank lines count
 * as lines and are sent as they are, so the server's line numbers map to the file's:
 * file line = the batch's first line + server line - 1), over one keep-alive HTTP/1.1
 * connection (http_client.h). URL: --url, else $FLOE_URL, else http://127.0.0.1:8080;
 * token: --token, else $FLOE_TOKEN.
 *
 * Retries: a batch is resent after a connection error or a 503/507 answer, up to
 * --retries times (default 5), after Retry-After seconds or an exponential back-off.
 * A batch whose connection broke after it was sent may have been stored: resending it
 * can store its lines twice (at least once, never lost; the stream job dedupes by the
 * primary key). A batch that still fails, or gets another error answer (401, 404,
 * 413 over the body size, ...), fails for good: nothing after it is sent and the exit
 * status is 1.
 *
 * A request cut by the server's per-request bounds (413, error_code 41304: more than
 * limits.max_rejects rejected records or limits.max_quarantine_bytes of them) stored
 * exactly its lines before `cut_at_line`: their counts and rejects are taken as for a
 * 200, a note goes to stderr, and the rest of the batch is sent again from that line
 * (the line numbers printed stay file line numbers), as often as the server cuts it.
 * Nothing is stored twice and nothing is lost that way, and it is not a failure. A cut
 * at the first line sent (nothing stored: one rejected record alone is over
 * max_quarantine_bytes) cannot make progress and fails the batch for good.
 *
 * Output: each rejected line on stderr as `floe: line 17: <reason>` (file line
 * numbers), then on stdout `accepted 998, rejected 2 (lines 17, 403)` (at most 20 line
 * numbers listed). Rejected lines do not change the exit status (they are in
 * quarantine.STREAM), nor do cuts resent to the end; a failed batch does.
 *
 * Memory: one body buffer (reused per batch), getline's line buffer, the client's
 * answer buffer; jansson parses each answer. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/http_client.h"
#include "core/buf.h"
#include "core/mem.h"

enum { LINES_LISTED_MAX = 20, BATCH_LINES_MAX = 1000000 };

typedef struct ingest_opts {
  const char *stream;
  const char *file;
  const char *url;
  const char *token;
  uint64_t batch;
  uint64_t retries;
} ingest_opts;

typedef struct ingest_state {
  const ingest_opts *o;
  fl_http_client *client;
  char path[300];
  uint64_t accepted, rejected;
  uint64_t listed[LINES_LISTED_MAX];
  uint32_t nlisted;
  uint64_t first, last; /* the batch being posted (file lines), for messages */
} ingest_state;

static bool stream_name_ok(const char *s) {
  if (!*s || strlen(s) > 255) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
          *s == '.' || *s == '-'))
      return false;
  return true;
}

static int parse_args(int argc, char **argv, ingest_opts *o) {
  const char *v;
  fl_err err = {0};
  o->batch = 1000;
  o->retries = 5;
  o->url = getenv("FLOE_URL");
  o->token = getenv("FLOE_TOKEN");
  if (!o->url || !*o->url) o->url = "http://127.0.0.1:8080";
  for (int i = 1; i < argc; i++) {
    int m;
    if ((m = fl_cli_opt(argc, argv, &i, "--data", &v))) {
      if (m < 0) return FL_CLI_USAGE;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--url", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      o->url = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--token", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      o->token = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--batch", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--batch", v, &o->batch, &err)) return fl_cli_usage("ingest", "%s", err.msg);
      if (o->batch == 0 || o->batch > BATCH_LINES_MAX)
        return fl_cli_usage("ingest", "--batch: expected 1 to %d lines, found %s", BATCH_LINES_MAX, v);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--retries", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--retries", v, &o->retries, &err)) return fl_cli_usage("ingest", "%s", err.msg);
      if (o->retries > 1000) return fl_cli_usage("ingest", "--retries: expected 0 to 1000, found %s", v);
    } else if (fl_cli_is_option(argv[i])) {
      return fl_cli_usage("ingest", "unknown option %s", argv[i]);
    } else if (!o->stream) {
      o->stream = argv[i];
    } else if (!o->file) {
      o->file = argv[i];
    } else {
      return fl_cli_usage("ingest", "unexpected argument '%s'", argv[i]);
    }
  }
  if (!o->stream) return fl_cli_usage("ingest", "which stream? give STREAM FILE|-");
  if (!o->file) return fl_cli_usage("ingest", "which file? give STREAM FILE|- (- reads stdin)");
  if (!stream_name_ok(o->stream))
    return fl_cli_usage("ingest", "bad stream name '%s' (letters, digits, _ . - only)", o->stream);
  return FL_CLI_OK;
}

static void on_retry(void *ctx, uint32_t attempt, uint32_t retries, double delay_s, const char *why) {
  ingest_state *st = ctx;
  fprintf(stderr, "floe: lines %" PRIu64 "-%" PRIu64 ": %s; retry %u of %u in %.1f s\n", st->first, st->last,
          why, attempt, retries, delay_s);
}

/* The server's answer to the lines first..last: adds its counts, prints its rejects.
 * *cut = the server line (1-based, in what was sent) from which the request was cut
 * (413 41304: the lines before it are stored), else 0. FL_EIO for an error answer (the
 * batch failed for good). */
static fl_code take_answer(ingest_state *st, const fl_http_resp *resp, uint64_t *cut, fl_err *err) {
  json_error_t jerr;
  json_t *root = json_loadb(resp->body, resp->body_len, 0, &jerr);
  json_t *acc = root ? json_object_get(root, "accepted") : NULL;
  json_t *rej = root ? json_object_get(root, "rejected") : NULL;
  json_t *cut_at = root ? json_object_get(root, "cut_at_line") : NULL;
  fl_code rc = FL_OK;
  *cut = 0;
  bool is_cut = resp->status == 413 && json_integer_value(json_object_get(root, "error_code")) == 41304 &&
                json_is_integer(cut_at);
  if (is_cut) {
    json_int_t c = json_integer_value(cut_at);
    if (c < 1 || (uint64_t)c > st->last - st->first + 1) { /* not a line of what was sent */
      rc = fl_err_set(err, FL_EIO, "HTTP 413: cut_at_line %lld is not one of the %" PRIu64 " lines sent",
                      (long long)c, st->last - st->first + 1);
      goto done;
    }
    *cut = (uint64_t)c;
  }
  if ((resp->status != 200 && resp->status != 400 && !is_cut) || !json_is_integer(acc) ||
      !json_is_integer(rej)) {
    const char *msg = root ? json_string_value(json_object_get(root, "message")) : NULL;
    size_t n = resp->body_len;
    while (n > 0 && (resp->body[n - 1] == '\n' || resp->body[n - 1] == '\r')) n--;
    if (msg)
      rc = fl_err_set(err, FL_EIO, "HTTP %d: %s", resp->status, msg);
    else
      rc = fl_err_set(err, FL_EIO, "HTTP %d: %.*s", resp->status, (int)(n < 200 ? n : 200), resp->body);
    goto done;
  }
  st->accepted += (uint64_t)json_integer_value(acc);
  st->rejected += (uint64_t)json_integer_value(rej);
  json_t *errors = json_object_get(root, "errors");
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    json_int_t line = json_integer_value(json_object_get(e, "line"));
    const char *reason = json_string_value(json_object_get(e, "reason"));
    uint64_t file_line = st->first + (uint64_t)(line > 0 ? line : 1) - 1;
    fprintf(stderr, "floe: line %" PRIu64 ": %s\n", file_line, reason ? reason : "rejected");
    if (st->nlisted < LINES_LISTED_MAX) st->listed[st->nlisted] = file_line;
    st->nlisted++;
  }
  json_int_t unlisted = json_integer_value(json_object_get(root, "errors_not_listed"));
  if (unlisted > 0)
    fprintf(stderr,
            "floe: lines %" PRIu64 "-%" PRIu64
            ": %lld more rejected lines not listed by the server (see quarantine.%s)\n",
            st->first, st->last, (long long)unlisted, st->o->stream);
done:
  json_decref(root);
  return rc;
}

/* The byte offset of line `line` (1-based) of an NDJSON body whose lines all end in
 * '\n' (fl_cli_cmd_ingest adds a missing last one). */
static size_t line_offset(const uint8_t *body, size_t len, uint64_t line) {
  size_t off = 0;
  for (uint64_t l = 1; l < line; l++) {
    const uint8_t *nl = memchr(body + off, '\n', len - off);
    FL_ASSERT(nl, "line %" PRIu64 " of a body of %zu bytes", line, len);
    off = (size_t)(nl - body) + 1;
  }
  return off;
}

/* Posts the lines st->first..st->last, resending the rest after each cut (see the top);
 * st->first moves past what was stored. */
static fl_code post_batch(ingest_state *st, const fl_buf *body, fl_err *err) {
  size_t off = 0;
  fl_code rc;
  for (;;) {
    fl_http_resp resp;
    uint64_t cut = 0;
    rc = fl_http_client_post_retry(st->client, st->path, body->data + off, body->len - off,
                                   (uint32_t)st->o->retries, on_retry, st, &resp, err);
    if (!rc) rc = take_answer(st, &resp, &cut, err);
    if (rc || !cut) break;
    if (cut == 1) { /* nothing stored: resending the same lines would be cut the same way */
      rc = fl_err_set(
          err, FL_EIO,
          "HTTP 413: the server cut the request at line %" PRIu64
          ", its first, and stored nothing (one rejected record over limits.max_quarantine_bytes?)",
          st->first);
      break;
    }
    uint64_t stored_last = st->first + cut - 2;
    fprintf(stderr,
            "floe: lines %" PRIu64 "-%" PRIu64 ": the server stored lines %" PRIu64 "-%" PRIu64
            " and cut the request (limits.max_rejects or max_quarantine_bytes); resending lines %" PRIu64
            "-%" PRIu64 "\n",
            st->first, st->last, st->first, stored_last, stored_last + 1, st->last);
    off += line_offset(body->data + off, body->len - off, cut);
    st->first = stored_last + 1;
  }
  if (rc) fl_err_prefix(err, "lines %" PRIu64 "-%" PRIu64 " failed: ", st->first, st->last);
  return rc;
}

static void print_summary(const ingest_state *st) {
  printf("accepted %" PRIu64 ", rejected %" PRIu64, st->accepted, st->rejected);
  if (st->nlisted) {
    printf(" (line%s ", st->nlisted > 1 ? "s" : "");
    uint32_t n = st->nlisted < LINES_LISTED_MAX ? st->nlisted : LINES_LISTED_MAX;
    for (uint32_t i = 0; i < n; i++) printf("%s%" PRIu64, i ? ", " : "", st->listed[i]);
    if (st->nlisted > n) printf(", and %u more", st->nlisted - n);
    printf(")");
  }
  printf("\n");
}

int fl_cli_cmd_ingest(fl_cli *cli, int argc, char **argv) {
  (void)cli;
  ingest_opts o = {0};
  int status = parse_args(argc, argv, &o);
  if (status) return status;

  fl_err err = {0};
  ingest_state st = {.o = &o};
  snprintf(st.path, sizeof st.path, "/v1/streams/%s/events", o.stream);
  fl_buf body = FL_BUF_INIT;
  char *line = NULL;
  size_t line_cap = 0;
  bool is_stdin = !strcmp(o.file, "-");
  FILE *in = NULL;
  /* the URL first: a malformed one is a command-line error (exit 2) */
  if (fl_http_client_open(o.url, o.token, &st.client, &err)) {
    status = fl_cli_usage("ingest", "--url %s", err.msg);
    goto done;
  }
  in = is_stdin ? stdin : fopen(o.file, "rb");
  if (!in) {
    fl_err_errno(&err, errno, "%s", o.file);
    status = fl_cli_fail(&err);
    goto done;
  }
  uint64_t lineno = 0, nlines = 0;
  bool failed = false;
  for (;;) {
    ssize_t n = getline(&line, &line_cap, in);
    if (n < 0) break;
    lineno++;
    if (nlines == 0) st.first = lineno;
    fl_buf_append(&body, line, (size_t)n);
    if (line[n - 1] != '\n') fl_buf_put_u8(&body, '\n');
    if (++nlines == o.batch) {
      st.last = lineno;
      if (post_batch(&st, &body, &err)) {
        failed = true;
        break;
      }
      fl_buf_clear(&body);
      nlines = 0;
    }
  }
  if (!failed && ferror(in)) {
    fl_err_errno(&err, errno, "%s: reading line %" PRIu64, o.file, lineno + 1);
    failed = true;
  }
  if (!failed && nlines > 0) {
    st.last = lineno;
    failed = post_batch(&st, &body, &err) != FL_OK;
  }
  print_summary(&st);
  fflush(stdout);
  if (failed) {
    fprintf(stderr, "floe: %s\n", err.msg);
    if (st.first)
      fprintf(stderr, "floe: lines %" PRIu64 " to the end of %s were not (all) stored\n", st.first, o.file);
    status = FL_CLI_ERROR;
  }
done:
  if (in && !is_stdin) fclose(in);
  free(line); /* getline's buffer (libc malloc) */
  fl_buf_free(&body);
  fl_http_client_free(st.client);
  return status;
}
