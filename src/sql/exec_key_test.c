/* exec_key_test: exec_batch_append over a slice, as the window, sort and hash join
 * buffer their input: a slice of a string column starts at offsets[0] > 0 in its owner's
 * bytes (the scan's and the sort's slices), and the appended rows keep their own text. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/batch.h"
#include "sql/exec_int.h"

static const fl_field fields[] = {{1, "id", {FL_T_BIGINT, 0, 0}, false},
                                  {2, "s", {FL_T_STRING, 0, 0}, false}};

static void row(fl_batch *b, int64_t id, const char *s) {
  fl_vec_append_i64(&b->cols[0], id);
  if (s)
    fl_vec_append_str(&b->cols[1], s, (uint32_t)strlen(s));
  else
    fl_vec_append_null(&b->cols[1]);
  b->nrows++;
}

static void text_at(const fl_vec *v, uint32_t i, char *out) {
  uint32_t a = v->offsets[i], e = v->offsets[i + 1];
  memcpy(out, v->bytes + a, e - a);
  out[e - a] = '\0';
}

Test(exec_key, batch_append_of_a_slice_copies_only_its_rows_bytes) {
  fl_batch *all = fl_batch_new(fields, 2, 256);
  char s[32];
  for (int64_t i = 0; i < 192; i++) {
    snprintf(s, sizeof s, "row%03lld", (long long)i);
    row(all, i, i % 7 == 3 ? NULL : s);
  }
  /* rows [64, 192) as the scan slices: vectors pointing into all's */
  fl_vec vecs[2];
  for (int c = 0; c < 2; c++) {
    vecs[c] = all->cols[c];
    vecs[c].len = vecs[c].cap = 128;
    vecs[c].validity = all->cols[c].validity + 1;
  }
  vecs[0].data.raw = (char *)all->cols[0].data.raw + 64 * sizeof(int64_t);
  vecs[1].offsets = all->cols[1].offsets + 64;
  fl_batch view = {fields, 2, 128, 128, vecs};
  cr_assert_neq(vecs[1].offsets[0], 0);

  fl_batch *buf = fl_batch_new(fields, 2, 16);
  row(buf, -1, "first");
  exec_batch_append(buf, &view);
  exec_batch_append(buf, &view);
  cr_assert_eq(buf->nrows, 257);
  char got[64];
  text_at(&buf->cols[1], 0, got);
  cr_assert_str_eq(got, "first");
  for (uint32_t k = 0; k < 256; k++) {
    int64_t id = 64 + k % 128;
    cr_assert_eq(buf->cols[0].data.i64[1 + k], id);
    cr_assert_eq(fl_vec_is_valid(&buf->cols[1], 1 + k), id % 7 != 3, "row %u", k);
    if (id % 7 == 3) continue;
    text_at(&buf->cols[1], 1 + k, got);
    snprintf(s, sizeof s, "row%03lld", (long long)id);
    cr_assert_str_eq(got, s, "row %u", k);
  }
  fl_batch_free(buf);
  fl_batch_free(all);
}
