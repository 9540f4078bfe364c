/* exec_spill.c: the executor's spill files (layout in sql/exec_int.h).
 *
 * A spill file is created with mkstemp in ctx->spill_dir ($TMPDIR or /tmp when NULL)
 * and unlinked at once: the open descriptor is the only name it has, so a crash or a
 * cancelled query leaves nothing behind. Written and read through stdio's buffer;
 * the file is the operator's own and read back by the same process only, so the
 * layout is host byte order and carries no checksum (a short read is FL_EIO). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql/exec_int.h"

fl_code exec_spill_open(fl_exec_ctx *ctx, exec_spill *sp, fl_err *err) {
  memset(sp, 0, sizeof *sp);
  const char *dir = ctx->spill_dir;
  if (!dir) dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  char *path = fl_sprintf("%s/floe-spill-XXXXXX", dir);
  int fd = mkstemp(path);
  if (fd < 0) {
    fl_code rc = fl_err_errno(err, errno, "spill file in %s", dir);
    fl_free(path);
    return rc;
  }
  unlink(path);
  fl_free(path);
  sp->f = fdopen(fd, "w+b");
  if (!sp->f) {
    fl_code rc = fl_err_errno(err, errno, "spill file in %s", dir);
    close(fd);
    return rc;
  }
  return FL_OK;
}

static fl_code put(exec_spill *sp, const void *p, size_t n, fl_err *err) {
  if (n && fwrite(p, 1, n, sp->f) != n) return fl_err_errno(err, errno, "writing a spill file");
  sp->bytes += n;
  return FL_OK;
}

static fl_code get(exec_spill *sp, void *p, size_t n, fl_err *err) {
  if (n && fread(p, 1, n, sp->f) != n)
    return fl_err_set(err, FL_EIO, "spill file: short read after %llu batches",
                      (unsigned long long)sp->batches);
  return FL_OK;
}

fl_code exec_spill_write(exec_spill *sp, const fl_batch *b, fl_err *err) {
  uint32_t hdr[2] = {b->nrows, b->ncols};
  fl_code rc = put(sp, hdr, sizeof hdr, err);
  size_t words = ((size_t)b->nrows + 63) / 64;
  for (uint32_t c = 0; c < b->ncols && rc == FL_OK; c++) {
    const fl_vec *v = &b->cols[c];
    FL_ASSERT(v->len == b->nrows);
    rc = put(sp, v->validity, words * 8, err);
    if (rc) break;
    if (fl_type_is_bytes(v->type.kind)) {
      rc = put(sp, v->offsets, ((size_t)b->nrows + 1) * 4, err);
      if (rc == FL_OK) rc = put(sp, v->bytes, v->offsets[b->nrows], err);
    } else {
      rc = put(sp, v->data.raw, (size_t)b->nrows * fl_type_bytes(v->type), err);
    }
  }
  if (rc == FL_OK) sp->batches++;
  return rc;
}

fl_code exec_spill_rewind(exec_spill *sp, fl_err *err) {
  if (fflush(sp->f) != 0 || fseek(sp->f, 0, SEEK_SET) != 0)
    return fl_err_errno(err, errno, "rewinding a spill file");
  sp->batches = 0;
  return FL_OK;
}

fl_code exec_spill_read(exec_spill *sp, fl_batch *b, bool *got, fl_err *err) {
  fl_batch_reset(b);
  uint32_t hdr[2];
  size_t n = fread(hdr, 1, sizeof hdr, sp->f);
  if (n == 0 && feof(sp->f)) {
    *got = false;
    return FL_OK;
  }
  if (n != sizeof hdr) return fl_err_set(err, FL_EIO, "spill file: short batch header");
  FL_ASSERT(hdr[1] == b->ncols, "spill batch of %u columns read into %u", hdr[1], b->ncols);
  uint32_t rows = hdr[0];
  size_t words = ((size_t)rows + 63) / 64;
  fl_code rc = FL_OK;
  for (uint32_t c = 0; c < b->ncols && rc == FL_OK; c++) {
    fl_vec *v = &b->cols[c];
    fl_vec_reserve(v, rows);
    rc = get(sp, v->validity, words * 8, err);
    if (rc) break;
    if (fl_type_is_bytes(v->type.kind)) {
      rc = get(sp, v->offsets, ((size_t)rows + 1) * 4, err);
      if (rc) break;
      v->bytes_len = 0;
      fl_vec_reserve_bytes(v, v->offsets[rows]);
      rc = get(sp, v->bytes, v->offsets[rows], err);
      v->bytes_len = v->offsets[rows];
    } else {
      rc = get(sp, v->data.raw, (size_t)rows * fl_type_bytes(v->type), err);
    }
    v->len = rows;
  }
  if (rc) return rc;
  b->nrows = rows;
  sp->batches++;
  *got = true;
  return FL_OK;
}

void exec_spill_close(exec_spill *sp) {
  if (sp->f) fclose(sp->f);
  memset(sp, 0, sizeof *sp);
}

/* ---- a source over a spill file ---- */

typedef struct spill_src {
  fl_op op;
  exec_spill sp;
  fl_batch *b;
} spill_src;

static fl_code spill_src_next(fl_op *op, const fl_batch **out, fl_err *err) {
  spill_src *s = (spill_src *)op;
  *out = NULL;
  if (!s->sp.f) return FL_OK;
  bool got;
  fl_code rc = exec_spill_read(&s->sp, s->b, &got, err);
  if (rc) return rc;
  while (got && !s->b->nrows) {
    rc = exec_spill_read(&s->sp, s->b, &got, err);
    if (rc) return rc;
  }
  *out = got ? s->b : NULL;
  return FL_OK;
}

static void spill_src_free(fl_op *op) {
  spill_src *s = (spill_src *)op;
  exec_spill_close(&s->sp);
  fl_batch_free(s->b);
  s->b = NULL;
}

static const fl_op_vtable spill_src_vt = {"SPILL_READ", spill_src_next, NULL, spill_src_free};

fl_code exec_spill_source(fl_exec_ctx *ctx, const fl_field *fields, uint32_t ncols, exec_spill *sp,
                          fl_op **out, fl_err *err) {
  spill_src *s = (spill_src *)fl_op_alloc(ctx, sizeof *s, &spill_src_vt, fields, ncols, NULL, 0);
  s->sp = *sp;
  memset(sp, 0, sizeof *sp);
  s->b = fl_batch_new(fields, ncols, FL_EXEC_BATCH_ROWS);
  *out = &s->op;
  if (s->sp.f) {
    fl_code rc = exec_spill_rewind(&s->sp, err);
    if (rc) {
      fl_op_free(&s->op);
      *out = NULL;
      return rc;
    }
  }
  return FL_OK;
}
