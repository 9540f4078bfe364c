/* http_client: the blocking HTTP/1.1 client of `floe ingest` and `floe gen` (the API
 * and the retry rules are in http_client.h).
 *
 * A request on the wire (one sendmsg, header and body as two iovecs, MSG_NOSIGNAL):
 *
 *   POST PREFIX/path HTTP/1.1\r\n
 *   Host: HOST[:PORT]\r\n
 *   Content-Type: application/x-ndjson\r\n
 *   Content-Length: N\r\n
 *   [Authorization: Bearer TOKEN\r\n]
 *   \r\n
 *   BODY (N bytes)
 *
 * The answer: status line, headers (Content-Length, Transfer-Encoding: chunked,
 * Connection: close, Retry-After are read; the others skipped), then the body by
 * Content-Length, chunked (hex size line, data, CRLF ... 0 chunk, trailers) or up to
 * EOF. 1xx answers are skipped. Every read has a 120 s time-out (SO_RCVTIMEO), long
 * enough for an acknowledgement that waits for the server's fsync.
 *
 * Ownership: the client owns the socket, the request header buffer and the input
 * buffer `in` (the answer's body points into it until the next request). Limits: the
 * header block of an answer <= 64 KiB, a body <= 256 MiB (a floe answer is small). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cli/http_client.h"
#include "core/buf.h"
#include "core/mem.h"

enum {
  HEADER_BYTES_MAX = 64 * 1024, /* an answer's status line and headers */
  IO_TIMEOUT_S = 120,           /* a read or write that makes no progress for this long fails */
  READ_CHUNK = 64 * 1024,
};
#define BODY_BYTES_MAX ((size_t)256 << 20)
#define BACKOFF_FIRST_S 0.1
#define BACKOFF_MAX_S 10.0

struct fl_http_client {
  char *url;      /* as given, for messages */
  char *host;     /* without brackets */
  char *port;     /* "80" by default */
  char *host_hdr; /* the Host header value */
  char *prefix;   /* "" or "/base" without a trailing slash */
  char *token;    /* NULL: no Authorization */
  int fd;         /* -1: not connected */
  fl_buf req;     /* the request header */
  fl_buf in;      /* bytes read; the answer body is moved to its front */
};

/* ---------------------------------------------------------------- URL */

fl_code fl_http_client_open(const char *url, const char *token, fl_http_client **out, fl_err *err) {
  *out = NULL;
  const char *p;
  if (!strncasecmp(url, "https://", 8))
    return fl_err_set(err, FL_EUNSUPPORTED, "%s: https is not supported (floe serve speaks http)", url);
  if (strncasecmp(url, "http://", 7))
    return fl_err_set(err, FL_EINVAL, "%s: expected a URL http://HOST[:PORT][/PREFIX]", url);
  p = url + 7;
  const char *host_end, *host = p;
  if (*p == '[') {
    host = p + 1;
    host_end = strchr(p, ']');
    if (!host_end) return fl_err_set(err, FL_EINVAL, "%s: unclosed '[' in the host", url);
    p = host_end + 1;
  } else {
    host_end = p + strcspn(p, ":/");
    p = host_end;
  }
  if (host_end == host) return fl_err_set(err, FL_EINVAL, "%s: no host in the URL", url);
  const char *port = "80";
  size_t port_len = 2;
  if (*p == ':') {
    port = ++p;
    port_len = strcspn(p, "/");
    if (port_len == 0 || port_len > 5 || strspn(port, "0123456789") != port_len)
      return fl_err_set(err, FL_EINVAL, "%s: the port must be a number", url);
    p += port_len;
  } else if (*p && *p != '/') {
    return fl_err_set(err, FL_EINVAL, "%s: unexpected '%c' after the host", url, *p);
  }
  fl_http_client *c = fl_calloc(1, sizeof *c);
  c->fd = -1;
  c->url = fl_strdup(url);
  c->host = fl_strndup(host, (size_t)(host_end - host));
  c->port = fl_strndup(port, port_len);
  c->host_hdr = fl_strndup(url + 7, (size_t)(p - (url + 7)));
  size_t plen = strlen(p);
  while (plen > 0 && p[plen - 1] == '/') plen--;
  c->prefix = fl_strndup(p, plen);
  c->token = token && *token ? fl_strdup(token) : NULL;
  *out = c;
  return FL_OK;
}

static void conn_close(fl_http_client *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

void fl_http_client_free(fl_http_client *c) {
  if (!c) return;
  conn_close(c);
  fl_free(c->url);
  fl_free(c->host);
  fl_free(c->port);
  fl_free(c->host_hdr);
  fl_free(c->prefix);
  fl_free(c->token);
  fl_buf_free(&c->req);
  fl_buf_free(&c->in);
  fl_free(c);
}

/* ---------------------------------------------------------------- connection */

static fl_code conn_open(fl_http_client *c, fl_err *err) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  int gai = getaddrinfo(c->host, c->port, &hints, &res);
  if (gai) return fl_err_set(err, FL_EIO, "%s: cannot resolve %s: %s", c->url, c->host, gai_strerror(gai));
  int last_errno = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      c->fd = fd;
      break;
    }
    last_errno = errno;
    close(fd);
  }
  freeaddrinfo(res);
  if (c->fd < 0) return fl_err_set(err, FL_EIO, "%s: cannot connect: %s", c->url, strerror(last_errno));
  return FL_OK;
}

static fl_code send_all(fl_http_client *c, const void *body, size_t len, fl_err *err) {
  struct iovec iov[2] = {{c->req.data, c->req.len}, {(void *)body, len}};
  int iovcnt = len ? 2 : 1;
  struct iovec *v = iov;
  while (iovcnt > 0) {
    struct msghdr msg = {.msg_iov = v, .msg_iovlen = (size_t)iovcnt};
    ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fl_err_set(err, FL_EIO, "%s: sending the request: %s", c->url,
                        errno == EAGAIN ? "timed out" : strerror(errno));
    }
    size_t left = (size_t)n;
    while (iovcnt > 0 && left >= v->iov_len) {
      left -= v->iov_len;
      v++;
      iovcnt--;
    }
    if (iovcnt > 0) {
      v->iov_base = (char *)v->iov_base + left;
      v->iov_len -= left;
    }
  }
  return FL_OK;
}

/* Reads more bytes into c->in; *eof at the end of the stream. */
static fl_code read_more(fl_http_client *c, bool *eof, fl_err *err) {
  fl_buf_reserve(&c->in, READ_CHUNK + 1);
  for (;;) {
    ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return fl_err_set(err, FL_EIO, "%s: reading the answer: %s", c->url,
                        errno == EAGAIN ? "timed out" : strerror(errno));
    *eof = n == 0;
    c->in.len += (size_t)n;
    return FL_OK;
  }
}

/* Ensures c->in holds at least `need` bytes. */
static fl_code need_bytes(fl_http_client *c, size_t need, fl_err *err) {
  while (c->in.len < need) {
    bool eof;
    fl_code rc = read_more(c, &eof, err);
    if (rc) return rc;
    if (eof)
      return fl_err_set(err, FL_EIO, "%s: the server closed the connection before a complete answer", c->url);
  }
  return FL_OK;
}

/* ---------------------------------------------------------------- the answer */

/* Finds "\r\n\r\n" (or "\n\n") in c->in from `from`; returns the offset after it or 0. */
static size_t header_end(const fl_buf *in, size_t from) {
  for (size_t i = from; i + 1 < in->len; i++) {
    if (in->data[i] == '\n' && in->data[i + 1] == '\n') return i + 2;
    if (in->data[i] == '\n' && in->data[i + 1] == '\r' && i + 2 < in->len && in->data[i + 2] == '\n')
      return i + 3;
  }
  return 0;
}

typedef struct resp_head {
  int status;
  int64_t content_length; /* -1 absent */
  bool chunked, close;
  int64_t retry_after_s;
} resp_head;

static bool header_is(const char *line, size_t len, const char *name, const char **value) {
  size_t n = strlen(name);
  if (len <= n || strncasecmp(line, name, n) || line[n] != ':') return false;
  const char *v = line + n + 1;
  while (*v == ' ' || *v == '\t') v++;
  *value = v;
  return true;
}

/* Parses the header block c->in[0, end) (NUL-terminated in place). */
static fl_code parse_head(fl_http_client *c, size_t end, resp_head *h, fl_err *err) {
  char *s = (char *)c->in.data;
  char saved = s[end - 1];
  s[end - 1] = '\0';
  *h = (resp_head){.content_length = -1, .retry_after_s = -1};
  int minor = 0;
  if (sscanf(s, "HTTP/1.%d %d", &minor, &h->status) != 2 || h->status < 100 || h->status > 999) {
    s[end - 1] = saved;
    return fl_err_set(err, FL_EIO, "%s: not an HTTP/1.x answer: \"%.40s\"", c->url, s);
  }
  if (minor == 0) h->close = true;
  char *line = strchr(s, '\n');
  while (line && *++line) {
    char *eol = strchr(line, '\n');
    size_t len = eol ? (size_t)(eol - line) : strlen(line);
    if (len && line[len - 1] == '\r') len--;
    const char *v;
    if (header_is(line, len, "Content-Length", &v)) {
      h->content_length = strtoll(v, NULL, 10);
    } else if (header_is(line, len, "Transfer-Encoding", &v)) {
      h->chunked = !strncasecmp(v, "chunked", 7);
    } else if (header_is(line, len, "Connection", &v)) {
      if (!strncasecmp(v, "close", 5)) h->close = true;
    } else if (header_is(line, len, "Retry-After", &v)) {
      if (*v >= '0' && *v <= '9') h->retry_after_s = strtoll(v, NULL, 10);
    }
    line = eol;
  }
  s[end - 1] = saved;
  return FL_OK;
}

/* Reads a chunked body starting at c->in[pos]; moves the decoded bytes to the front
 * of c->in and sets *len. */
static fl_code read_chunked(fl_http_client *c, size_t pos, size_t *len, fl_err *err) {
  size_t out = 0; /* decoded bytes are compacted to c->in[0, out) as they come */
  fl_code rc;
  for (;;) {
    size_t eol;
    for (;;) {
      uint8_t *nl = memchr(c->in.data + pos, '\n', c->in.len - pos);
      if (nl) {
        eol = (size_t)(nl - c->in.data);
        break;
      }
      if (c->in.len - pos > 1024) return fl_err_set(err, FL_EIO, "%s: a chunk size line is too long", c->url);
      if ((rc = need_bytes(c, c->in.len + 1, err))) return rc;
    }
    char *end;
    unsigned long long size = strtoull((char *)c->in.data + pos, &end, 16);
    if (end == (char *)c->in.data + pos || out + size > BODY_BYTES_MAX)
      return fl_err_set(err, FL_EIO, "%s: a bad chunk size in the answer", c->url);
    pos = eol + 1;
    if (size == 0) { /* trailers up to an empty line */
      for (;;) {
        uint8_t *nl;
        while (!(nl = memchr(c->in.data + pos, '\n', c->in.len - pos)))
          if ((rc = need_bytes(c, c->in.len + 1, err))) return rc;
        size_t l = (size_t)(nl - (c->in.data + pos));
        pos += l + 1;
        if (l == 0 || (l == 1 && c->in.data[pos - 2] == '\r')) break;
      }
      *len = out;
      return FL_OK;
    }
    if ((rc = need_bytes(c, pos + size + 2, err))) return rc; /* data + CRLF (LF: one byte less, see below) */
    memmove(c->in.data + out, c->in.data + pos, size);
    out += size;
    pos += size;
    if (c->in.data[pos] == '\r') pos++;
    if (c->in.data[pos] != '\n')
      return fl_err_set(err, FL_EIO, "%s: a chunk is not followed by CRLF", c->url);
    pos++;
    /* compact: the consumed bytes [out, pos) are dropped */
    memmove(c->in.data + out, c->in.data + pos, c->in.len - pos);
    c->in.len -= pos - out;
    pos = out;
  }
}

static fl_code read_answer(fl_http_client *c, fl_http_resp *resp, bool *close_after, fl_err *err) {
  fl_code rc;
  resp_head h;
  size_t end;
  fl_buf_clear(&c->in);
  for (;;) { /* skip 1xx answers */
    size_t scanned = 0;
    while (!(end = header_end(&c->in, scanned))) {
      if (c->in.len > HEADER_BYTES_MAX)
        return fl_err_set(err, FL_EIO, "%s: the answer's headers exceed %d bytes", c->url, HEADER_BYTES_MAX);
      scanned = c->in.len > 2 ? c->in.len - 2 : 0;
      bool eof;
      if ((rc = read_more(c, &eof, err))) return rc;
      if (eof)
        return fl_err_set(err, FL_EIO, "%s: the server closed the connection %s", c->url,
                          c->in.len ? "in the middle of an answer" : "without answering");
    }
    if ((rc = parse_head(c, end, &h, err))) return rc;
    if (h.status >= 200) break;
    memmove(c->in.data, c->in.data + end, c->in.len - end);
    c->in.len -= end;
  }
  size_t body_len = 0;
  if (h.chunked) {
    if ((rc = read_chunked(c, end, &body_len, err))) return rc;
  } else if (h.content_length >= 0 || h.status == 204 || h.status == 304) {
    size_t cl = h.content_length > 0 ? (size_t)h.content_length : 0;
    if (cl > BODY_BYTES_MAX) return fl_err_set(err, FL_EIO, "%s: an answer body of %zu bytes", c->url, cl);
    if ((rc = need_bytes(c, end + cl, err))) return rc;
    memmove(c->in.data, c->in.data + end, cl);
    body_len = cl;
  } else { /* up to EOF */
    bool eof = false;
    while (!eof) {
      if (c->in.len - end > BODY_BYTES_MAX)
        return fl_err_set(err, FL_EIO, "%s: the answer body is too large", c->url);
      if ((rc = read_more(c, &eof, err))) return rc;
    }
    body_len = c->in.len - end;
    memmove(c->in.data, c->in.data + end, body_len);
    h.close = true;
  }
  c->in.len = body_len;
  fl_buf_cstr(&c->in);
  resp->status = h.status;
  resp->retry_after_s = h.retry_after_s;
  resp->body = (const char *)c->in.data;
  resp->body_len = body_len;
  *close_after = h.close;
  return FL_OK;
}

/* ---------------------------------------------------------------- requests */

static fl_code post_once(fl_http_client *c, const char *path, const void *body, size_t len,
                         fl_http_resp *resp, fl_err *err) {
  fl_code rc;
  fl_buf_clear(&c->in);
  fl_buf_clear(&c->req);
  fl_buf_printf(
      &c->req,
      "POST %s%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-ndjson\r\nContent-Length: %zu\r\n",
      c->prefix, path, c->host_hdr, len);
  if (c->token) fl_buf_printf(&c->req, "Authorization: Bearer %s\r\n", c->token);
  fl_buf_puts(&c->req, "\r\n");
  bool close_after = false;
  if ((rc = send_all(c, body, len, err))) goto done;
  rc = read_answer(c, resp, &close_after, err);
done:
  if (rc || close_after) conn_close(c);
  return rc;
}

fl_code fl_http_client_post(fl_http_client *c, const char *path, const void *body, size_t len,
                            fl_http_resp *resp, fl_err *err) {
  *resp = (fl_http_resp){.retry_after_s = -1, .body = ""};
  bool reused = c->fd >= 0;
  fl_code rc = FL_OK;
  if (!reused && (rc = conn_open(c, err))) return rc;
  rc = post_once(c, path, body, len, resp, err);
  /* A kept-alive connection the server closed while idle fails before any answer
   * byte: one immediate retry on a fresh connection (no delay, not counted). */
  if (rc && reused && c->in.len == 0) {
    if ((rc = conn_open(c, err))) return rc;
    rc = post_once(c, path, body, len, resp, err);
  }
  return rc;
}

static void sleep_s(double s) {
  struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) && errno == EINTR) {
  }
}

fl_code fl_http_client_post_retry(fl_http_client *c, const char *path, const void *body, size_t len,
                                  uint32_t retries, fl_http_retry_fn note, void *ctx, fl_http_resp *resp,
                                  fl_err *err) {
  for (uint32_t attempt = 0;; attempt++) {
    fl_code rc = fl_http_client_post(c, path, body, len, resp, err);
    bool again = rc == FL_EIO || (rc == FL_OK && (resp->status == 503 || resp->status == 507));
    if (rc && rc != FL_EIO) return rc;
    if (!again || attempt >= retries) return rc;
    double delay = BACKOFF_FIRST_S;
    for (uint32_t i = 0; i < attempt && delay < BACKOFF_MAX_S; i++) delay *= 2;
    if (delay > BACKOFF_MAX_S) delay = BACKOFF_MAX_S;
    if (rc == FL_OK && resp->retry_after_s >= 0)
      delay = (double)(resp->retry_after_s < 3600 ? resp->retry_after_s : 3600);
    if (note) {
      char why[FL_ERR_MSG_MAX + 16];
      if (rc)
        snprintf(why, sizeof why, "%s", err->msg);
      else
        snprintf(why, sizeof why, "HTTP %d", resp->status);
      note(ctx, attempt + 1, retries, delay, why);
    }
    sleep_s(delay);
  }
}
