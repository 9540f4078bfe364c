/* err_test: the failure helpers never turn a failure into FL_OK, whether or not the
 * caller passed an fl_err (issue 11: fl_err_prefix(NULL, ...) returned FL_OK). */
#include <criterion/criterion.h>
#include <errno.h>

#include "core/err.h"

/* A callee in floe's idiom: fails deep down, adds context on the way out. */
static fl_code inner(fl_err *err) { return fl_err_set(err, FL_ENOENT, "x.json: no such file"); }
static fl_code outer(fl_err *err) {
  fl_code rc = inner(err);
  if (rc) return fl_err_prefix(err, "table %s: ", "bronze.orders");
  return FL_OK;
}
static fl_code outer_errno(fl_err *err) {
  fl_code rc = fl_err_errno(err, ENOSPC, "write %s", "f.parquet");
  if (rc) return fl_err_prefix(err, "append: ");
  return FL_OK;
}

Test(err, prefix_without_err_keeps_the_callees_code) {
  cr_assert_eq(outer(NULL), FL_ENOENT);
  cr_assert_eq(outer_errno(NULL), FL_ENOSPC);
  fl_err err = {0};
  cr_assert_eq(outer(&err), FL_ENOENT);
  cr_assert_eq(err.code, FL_ENOENT);
  cr_assert_str_eq(err.msg, "table bronze.orders: x.json: no such file");
}

Test(err, prefix_never_returns_ok) {
  fl_err err = {0}; /* a message without a code is still a failure */
  cr_assert_neq(fl_err_prefix(&err, "ctx: "), FL_OK);
  cr_assert_neq(err.code, FL_OK);
  cr_assert_str_eq(err.msg, "ctx: ");
  cr_assert_neq(fl_err_prefix(NULL, "ctx: "), FL_OK);
}

Test(err, set_and_errno_without_err_return_their_codes) {
  cr_assert_eq(fl_err_set(NULL, FL_ECORRUPT, "bad"), FL_ECORRUPT);
  cr_assert_eq(fl_err_errno(NULL, EEXIST, "mkdir"), FL_EEXIST);
  cr_assert_eq(fl_err_errno(NULL, EACCES, "open"), FL_EIO);
  fl_err err;
  cr_assert_eq(fl_err_errno(&err, ENOENT, "open %s", "a"), FL_ENOENT);
  cr_assert_str_eq(err.msg, "open a: No such file or directory");
}
