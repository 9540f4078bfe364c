/* h2o_null_bench: a do-nothing h2o server, the reference beside `floe serve` for the
 * issue 8 figure "single-event webhook posts/s >= 0.5x a do-nothing h2o server".
 *
 * What: every request's body is read whole by h2o (as for floe: the handler runs once
 * the body is in req->entity), its bytes are touched (summed, so the read is not
 * optimised into nothing), and the answer is 200 with a small JSON body of the shape
 * floe sends ({"accepted":N,"rejected":0}). Nothing is parsed, logged or fsynced.
 *
 * Why this shape: to be a fair peer it is set up exactly as src/ingest/server.c sets up
 * floe: one h2o evloop thread per --threads (default 2, floe's default), each with its
 * own SO_REUSEPORT listening socket bound to the same address (the kernel spreads the
 * connections), the same h2o globalconf (max_request_entity_size 16 MiB, request and
 * handshake timeouts 10 s, server name), one handler on "/". The only difference left
 * is the work the handler does.
 *
 * Entry: `h2o_null_bench [--listen HOST:PORT] [--threads N]` (default 127.0.0.1:8081,
 * 2; port 0 picks a free one). Prints "listening on HOST:PORT" on stderr once every
 * loop runs, then serves until SIGINT or SIGTERM and prints the requests served.
 *
 * Ownership: everything lives for the process; the loops are not torn down at exit
 * (h2o 2.2 cannot dispose a context with open connections; the process exits). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <h2o.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { LOOPS_MAX = 64 };

typedef struct null_loop {
  pthread_t tid;
  int fd;
  h2o_evloop_t *evloop;
  h2o_context_t ctx;
  h2o_accept_ctx_t accept_ctx;
  h2o_socket_t *listener;
} null_loop;

static h2o_globalconf_t globalconf;
static null_loop loops[LOOPS_MAX];
static atomic_bool stopping;
static atomic_ullong served, body_sum;
static pthread_barrier_t ready;

static int on_req(h2o_handler_t *self, h2o_req_t *req) {
  (void)self;
  /* touch the body: h2o has read it into req->entity */
  unsigned long long sum = 0;
  const unsigned char *p = (const unsigned char *)req->entity.base;
  for (size_t i = 0; i < req->entity.len; i += 64) sum += p[i];
  atomic_fetch_add_explicit(&body_sum, sum, memory_order_relaxed);
  atomic_fetch_add_explicit(&served, 1, memory_order_relaxed);
  /* an answer of floe's shape and about its size */
  static const char body[] = "{\"accepted\":1,\"rejected\":0,\"errors\":[],\"request_id\":\"0-0\"}\n";
  req->res.status = 200;
  req->res.reason = "OK";
  req->res.content_length = sizeof body - 1;
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
  h2o_send_inline(req, body, sizeof body - 1);
  return 0;
}

static void on_accept(h2o_socket_t *listener, const char *errstr) {
  null_loop *loop = listener->data;
  if (errstr) return;
  h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
  if (sock) h2o_accept(&loop->accept_ctx, sock);
}

static void *loop_main(void *arg) {
  null_loop *loop = arg;
  loop->evloop = h2o_evloop_create();
  h2o_context_init(&loop->ctx, loop->evloop, &globalconf);
  loop->accept_ctx.ctx = &loop->ctx;
  loop->accept_ctx.hosts = globalconf.hosts;
  loop->listener = h2o_evloop_socket_create(loop->evloop, loop->fd, H2O_SOCKET_FLAG_DONT_READ);
  loop->listener->data = loop;
  h2o_socket_read_start(loop->listener, on_accept);
  pthread_barrier_wait(&ready);
  while (!atomic_load(&stopping)) h2o_evloop_run(loop->evloop, 100);
  return NULL;
}

/* As server.c's open_listener: SO_REUSEADDR + SO_REUSEPORT, bind, listen(SOMAXCONN).
 * Port "0": the first socket picks a port and *port_out tells the others to follow. */
static int open_listener(const char *host, const char *port, unsigned *port_out) {
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  int gai = getaddrinfo(host, port, &hints, &ai);
  if (gai) {
    fprintf(stderr, "h2o_null_bench: %s:%s: %s\n", host, port, gai_strerror(gai));
    return -1;
  }
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), on = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) || bind(fd, ai->ai_addr, ai->ai_addrlen) ||
      listen(fd, SOMAXCONN)) {
    perror("h2o_null_bench: listen");
    if (fd >= 0) close(fd);
    fd = -1;
  } else {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
  }
  freeaddrinfo(ai);
  return fd;
}

int main(int argc, char **argv) {
  const char *listen_addr = "127.0.0.1:8081";
  int nloops = 2;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--listen") && i + 1 < argc)
      listen_addr = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      nloops = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: h2o_null_bench [--listen HOST:PORT] [--threads N]\n");
      return 2;
    }
  }
  if (nloops < 1 || nloops > LOOPS_MAX) {
    fprintf(stderr, "h2o_null_bench: --threads: 1 to %d\n", LOOPS_MAX);
    return 2;
  }
  const char *colon = strrchr(listen_addr, ':');
  if (!colon) {
    fprintf(stderr, "h2o_null_bench: --listen: expected HOST:PORT\n");
    return 2;
  }
  char host[256];
  snprintf(host, sizeof host, "%.*s", (int)(colon - listen_addr), listen_addr);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* floe's configure_h2o with its defaults (limits.max_body_bytes 16 MiB, 10 s) */
  h2o_config_init(&globalconf);
  globalconf.max_request_entity_size = 16u << 20;
  globalconf.http1.req_timeout = 10000;
  globalconf.http2.idle_timeout = 10000;
  globalconf.handshake_timeout = 10000;
  globalconf.server_name = h2o_iovec_init(H2O_STRLIT("h2o-null"));
  h2o_hostconf_t *hostconf =
      h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t *path = h2o_config_register_path(hostconf, "/", 0);
  h2o_handler_t *handler = h2o_create_handler(path, sizeof *handler);
  handler->on_req = on_req;

  char port[16];
  snprintf(port, sizeof port, "%s", colon + 1);
  for (int i = 0; i < nloops; i++) {
    unsigned bound = 0;
    if ((loops[i].fd = open_listener(host, port, &bound)) < 0) return 1;
    snprintf(port, sizeof port, "%u", bound); /* the others bind the port the first got */
  }
  pthread_barrier_init(&ready, NULL, (unsigned)nloops + 1);
  for (int i = 0; i < nloops; i++)
    if (pthread_create(&loops[i].tid, NULL, loop_main, &loops[i])) {
      fprintf(stderr, "h2o_null_bench: pthread_create failed\n");
      return 1;
    }
  pthread_barrier_wait(&ready);
  fprintf(stderr, "h2o_null_bench: listening on %s:%s (%d event loops)\n", host, port, nloops);
  int sig = 0;
  sigwait(&set, &sig);
  atomic_store(&stopping, true);
  for (int i = 0; i < nloops; i++) pthread_join(loops[i].tid, NULL);
  fprintf(stderr, "h2o_null_bench: %llu requests served\n", (unsigned long long)atomic_load(&served));
  return 0;
}
