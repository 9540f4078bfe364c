/* thread: names and priorities of floe's own threads (thread.h). */
#define _GNU_SOURCE
#include "core/thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

void fl_thread_name(const char *fmt, ...) {
  char name[16]; /* Linux's TASK_COMM_LEN, the final NUL included */
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(name, sizeof name, fmt, ap); /* cut to 15 bytes */
  va_end(ap);
  (void)pthread_setname_np(pthread_self(), name);
}

void fl_thread_lower(int nice_delta) {
  pid_t tid = (pid_t)syscall(SYS_gettid);
  errno = 0;
  int cur = getpriority(PRIO_PROCESS, (id_t)tid);
  if (errno == 0) (void)setpriority(PRIO_PROCESS, (id_t)tid, cur + nice_delta);
}
