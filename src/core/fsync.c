/* fsync: fl_fsync / fl_fdatasync and the crash hook of the kill-at-every-fsync
 * harness (tests/e2e/0051). The environment is read once; the count is per process
 * and atomic (the log and the table writers may sync from several threads). */
#include "core/fsync.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static int64_t crash_at = -1; /* -1 = not read yet, 0 = off */
static int64_t calls;

static void crash_hook(void) {
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
