/* fsync: fl_fsync / fl_fdatasync and the crash hook of the kill-at-every-fsync
 * harness (tests/e2e/0051). The environment is read once; the count is per process
 * and atomic (the log and the table writers may sync from several threads).
 * FLOE_FSYNC_DELAY_US (tests only) slows every call down, as a slower disk. */
#include "core/fsync.h"
#include "core/thread.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int64_t crash_at = -1; /* -1 = not read yet, 0 = off */
static int64_t calls;
static int64_t delay_us = -1; /* -1 = not read yet */

static void delay_hook(void) {
  int64_t us = __atomic_load_n(&delay_us, __ATOMIC_RELAXED);
  if (us < 0) {
    const char *s = getenv("FLOE_FSYNC_DELAY_US");
    us = s ? strtoll(s, NULL, 10) : 0;
    if (us < 0 || us > 10000000) us = 0; /* a test hook: at most 10 s, else off */
    __atomic_store_n(&delay_us, us, __ATOMIC_RELAXED);
  }
  if (!us) return;
  struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void fl_fsync_test_crash_at(long long n) {
  __atomic_store_n(&calls, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&crash_at, n > 0 ? (int64_t)n : 0, __ATOMIC_RELAXED);
}

static void crash_hook(void) {
  delay_hook();
  int64_t at = __atomic_load_n(&crash_at, __ATOMIC_RELAXED);
  if (at < 0) {
    const char *s = getenv("FLOE_CRASH_AT_FSYNC");
    at = s ? strtoll(s, NULL, 10) : 0;
    if (at < 0) at = 0;
    __atomic_store_n(&crash_at, at, __ATOMIC_RELAXED);
  }
  if (!at) return;
  if (__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) == at) kill(getpid(), SIGKILL);
}

int fl_fsync(int fd) {
  crash_hook();
  return fsync(fd);
}

int fl_fdatasync(int fd) {
  crash_hook();
  return fdatasync(fd);
}

/* ---- several files at once ---- */

typedef struct sync_job {
  const char *const *paths;
  unsigned n;
  unsigned next;   /* atomic: the next path to take */
  unsigned failed; /* atomic: the first failure's index + 1, 0 none */
  int err;
} sync_job;

static void *sync_worker(void *arg) {
  sync_job *j = arg;
  for (;;) {
    unsigned i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
    if (i >= j->n || __atomic_load_n(&j->failed, __ATOMIC_RELAXED)) break;
    int fd = open(j->paths[i], O_RDONLY | O_CLOEXEC);
    int rc = fd < 0 ? -1 : fl_fdatasync(fd);
    int e = errno;
    if (fd >= 0) close(fd);
    unsigned none = 0;
    if (rc != 0 &&
        __atomic_compare_exchange_n(&j->failed, &none, i + 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
      j->err = e;
  }
  return NULL;
}

static void *sync_thread(void *arg) {
  fl_thread_name("floe-fsync");
  return sync_worker(arg);
}

int fl_fdatasync_paths(const char *const *paths, unsigned n, unsigned threads, unsigned *failed) {
  sync_job j = {paths, n, 0, 0, 0};
  if (threads > n) threads = n;
  if (threads > 16) threads = 16;
  pthread_t th[16];
  unsigned started = 0;
  for (unsigned t = 1; t < threads; t++) /* the caller is one of them */
    if (pthread_create(&th[started], NULL, sync_thread, &j) == 0) started++;
  sync_worker(&j);
  for (unsigned t = 0; t < started; t++) pthread_join(th[t], NULL);
  if (!j.failed) return 0;
  if (failed) *failed = j.failed - 1;
  errno = j.err;
  return -1;
}
