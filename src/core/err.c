/* err: the error list (err_codes.def) expanded into names, messages and classes,
 * and the message formatting helpers. See err.h for the conventions.
 *
 * Why a per-thread "last code": err may be NULL (the caller wants no message), and the
 * idiom `if (rc) return fl_err_prefix(err, "table %s: ", t);` returns the code kept in
 * *err. With err NULL there is no *err, so fl_err_set and fl_err_errno also note the
 * code they return in last_code, and fl_err_prefix(NULL, ...) returns that: a failed
 * call never reports FL_OK because its caller passed no err. */
#include "core/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RETRY = 1, FATAL = 0 };

static _Thread_local fl_code last_code = FL_EIO;

/* The code a failure helper returns: never FL_OK (a failure set with code 0 is a bug
 * of its caller; FL_EIO keeps it a failure). */
static fl_code failure(fl_code code) {
  if (code == FL_OK) code = FL_EIO;
  last_code = code;
  return code;
}

static const struct {
  const char *name;
  const char *message;
  int cls;
} codes[] = {
#define X(name, cls, msg) {#name, msg, cls},
#include "core/err_codes.def"
#undef X
};

const char *fl_code_name(fl_code code) {
  return (unsigned)code < FL_CODE_COUNT ? codes[code].name : "FL_UNKNOWN";
}

const char *fl_code_message(fl_code code) {
  return (unsigned)code < FL_CODE_COUNT ? codes[code].message : "unknown error";
}

bool fl_code_is_retriable(fl_code code) { return (unsigned)code < FL_CODE_COUNT && codes[code].cls == RETRY; }

fl_code fl_err_set(fl_err *err, fl_code code, const char *fmt, ...) {
  if (code != FL_OK) last_code = code;
  if (!err) return code;
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return code;
}

fl_code fl_err_errno(fl_err *err, int errnum, const char *fmt, ...) {
  fl_code code = errnum == ENOSPC || errnum == EDQUOT ? FL_ENOSPC
                 : errnum == ENOENT                   ? FL_ENOENT
                 : errnum == EEXIST                   ? FL_EEXIST
                 : errnum == ENOMEM                   ? FL_ENOMEM
                                                      : FL_EIO;
  last_code = code;
  if (!err) return code;
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n < sizeof err->msg)
    snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
  return code;
}

fl_code fl_err_prefix(fl_err *err, const char *fmt, ...) {
  if (!err) return failure(last_code);
  char prefix[FL_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  size_t plen = strlen(prefix), olen = strnlen(err->msg, sizeof err->msg - 1);
  if (plen > sizeof err->msg - 1) plen = sizeof err->msg - 1;
  if (plen + olen > sizeof err->msg - 1) olen = sizeof err->msg - 1 - plen;
  memmove(err->msg + plen, err->msg, olen);
  memcpy(err->msg, prefix, plen);
  err->msg[plen + olen] = '\0';
  return err->code = failure(err->code == FL_OK ? last_code : err->code);
}

void fl_err_clear(fl_err *err) {
  if (!err) return;
  err->code = FL_OK;
  err->msg[0] = '\0';
}

_Noreturn void fl_assert_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
  fprintf(stderr, "floe: assertion failed at %s:%d: %s", file, line, cond);
  if (fmt && *fmt) {
    fputs(": ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
  }
  fputc('\n', stderr);
  abort();
}
