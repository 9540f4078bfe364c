/* err: one error type for floe.
 *
 * Functions that can fail for reasons a user can act on return an fl_code and fill
 * an fl_err with a message that names what and where ("orders.parquet: footer length
 * 9999 exceeds file size 120"). Impossible states are assertions (FL_ASSERT), not errors.
 *
 *   fl_code rc = fl_parquet_reader_open(path, &rd, &err);
 *   if (rc) { fprintf(stderr, "floe: %s\n", err.msg); ... }
 *
 * fl_err_set() returns its code so a failing path is one line:
 *   return fl_err_set(err, FL_ECORRUPT, "%s: bad magic", path);
 * err may be NULL (the message is dropped). fl_err_prefix() adds outer context
 * ("table bronze.orders: ") to a message set deeper down. */
#ifndef FL_CORE_ERR_H
#define FL_CORE_ERR_H

#include <stdbool.h>
#include <stddef.h>

typedef enum fl_code {
#define X(name, cls, msg) name,
#include "core/err_codes.def"
#undef X
  FL_CODE_COUNT
} fl_code;

enum { FL_ERR_MSG_MAX = 1024 };

typedef struct fl_err {
  fl_code code;
  char msg[FL_ERR_MSG_MAX];
} fl_err;

const char *fl_code_name(fl_code code);    /* "FL_ECORRUPT" */
const char *fl_code_message(fl_code code); /* "corrupt data" */
bool fl_code_is_retriable(fl_code code);

fl_code fl_err_set(fl_err *err, fl_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sets the message from errno: "<what>: <strerror>"; maps ENOSPC/ENOENT/EEXIST. */
fl_code fl_err_errno(fl_err *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepends context to an existing message, keeps the code. Returns the code, never
 * FL_OK: with err NULL, the code of this thread's last fl_err_set / fl_err_errno (so
 * `if (rc) return fl_err_prefix(err, ...)` fails with the callee's code even when the
 * caller passed no err); a message whose code is FL_OK gets that last code too. */
fl_code fl_err_prefix(fl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fl_err_clear(fl_err *err);

/* Assertions stay on in release builds: they are cheap and catch corruption early. */
#define FL_ASSERT(cond, ...)                                                                     \
  do {                                                                                           \
    if (__builtin_expect(!(cond), 0)) fl_assert_fail(__FILE__, __LINE__, #cond, "" __VA_ARGS__); \
  } while (0)
_Noreturn void fl_assert_fail(const char *file, int line, const char *cond, const char *fmt, ...);

#endif
