/* stream_meta_fuzz: arbitrary bytes as a stream's stream.json, then a read-only and a
 * writer open of the stream (one partition directory on disk). It must never crash;
 * a file that opens must name exactly the one partition on disk (anything else is
 * FL_ECORRUPT), and the writer open must leave stream.json as it found it. Seeds:
 * tests/fuzz/corpus/stream_meta. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/mem.h"
#include "log/log.h"

static char *root, *meta;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fl_diag_set_level(FL_ERROR);
  root = fl_strdup("/tmp/stream_meta_fuzz.XXXXXX");
  if (!mkdtemp(root)) abort();
  char *s = fl_sprintf("%s/s", root), *p = fl_sprintf("%s/s/0", root);
  mkdir(s, 0755);
  mkdir(p, 0755);
  meta = fl_sprintf("%s/stream.json", s);
  fl_free(s);
  fl_free(p);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = open(meta, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) abort();
  if (size && write(fd, data, size) != (ssize_t)size) abort();
  close(fd);
  fl_err err;
  fl_log *log;
  fl_log_stream *ls;
  for (int ro = 1; ro >= 0; ro--) {
    fl_log_opts o = {.read_only = ro, .retention_check_ms = -1};
    if (fl_log_open(root, &o, &log, &err) != FL_OK) abort();
    fl_code rc = fl_log_stream_open(log, "s", 0, &ls, &err);
    if (rc == FL_OK && fl_log_stream_npartitions(ls) != 1) __builtin_trap();
    if (rc != FL_OK && rc != FL_ECORRUPT) __builtin_trap();
    fl_log_close(log);
  }
  struct stat st;
  if (stat(meta, &st) != 0 || (size_t)st.st_size != size) __builtin_trap(); /* never rewritten */
  return 0;
}
