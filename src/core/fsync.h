/* fsync: the one wrapper every durable write of the table files goes through
 * (Parquet data and delete files, Avro manifests and lists, metadata JSON, their
 * directories), so a crash harness can stop the process at each sync point.
 *
 * FLOE_CRASH_AT_FSYNC=N (tests only): the Nth call in the process (1-based) kills the
 * process with SIGKILL before syncing, as a power cut or an OOM kill would stop it at
 * that point. Unset or 0: no effect beyond one relaxed atomic increment.
 *
 * FLOE_FSYNC_DELAY_US=N (tests only): every call sleeps N microseconds before syncing,
 * as a slower disk would (tests/e2e/0701 shows one fsync per group commit with it). */
#ifndef FL_CORE_FSYNC_H
#define FL_CORE_FSYNC_H

int fl_fsync(int fd);     /* fsync(2), after the crash hook */
int fl_fdatasync(int fd); /* fdatasync(2), after the crash hook */

/* fdatasyncs the n files at paths, from up to `threads` threads at once (each file its
 * own fdatasync through fl_fdatasync): a commit of many files waits for about one
 * device flush per thread instead of one per file in a row (measured for the log: 5
 * files from 5 threads p50 461 us, one after the other 1,177 us). Returns 0, or -1 with
 * errno of the first failure and *failed (may be NULL) = its index. */
int fl_fdatasync_paths(const char *const *paths, unsigned n, unsigned threads, unsigned *failed);

/* Test hook: crash at the nth call from now (0 = off), whatever the environment said;
 * for a forked child of a test that has already synced (the count restarts). */
void fl_fsync_test_crash_at(long long n);

#endif
