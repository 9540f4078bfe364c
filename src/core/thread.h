/* thread: what each of floe's own threads tells the operating system about itself.
 *
 * A name, seen by `top -H`, `ps -L`, perf and /proc/PID/task/TID/comm: an operator of
 * `floe serve` sees which part takes the CPU (floe-http0 and floe-log on the path of
 * every acknowledgement, floe-job-<stream> behind them). Linux keeps 15 bytes of it.
 *
 * A priority: threads off the acknowledgement path (the stream job, the HTTP worker
 * pool of long requests) run `nice_delta` below the event loops and the log thread, so
 * on a busy machine the acknowledgements come first and the rest takes what CPU is left.
 * Threads they start inherit it. */
#ifndef FL_CORE_THREAD_H
#define FL_CORE_THREAD_H

/* Names the calling thread: printf-style, cut to the 15 bytes Linux keeps. */
void fl_thread_name(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Lowers the calling thread's priority by nice_delta (setpriority on its thread id);
 * best effort: a failure leaves the priority as it was. */
void fl_thread_lower(int nice_delta);

#endif
