/* khash.h: the part of klib's khash (MIT, Attractive Chaos) that h2o's
 * <h2o/http2_internal.h> needs and Debian's libh2o-evloop-dev does not ship. Only
 * src/http/guard.c includes that header (to see HTTP/2 streams: their state, start
 * time and buffered body). The table layout below is klib's, which h2o 2.2 bundles:
 * n_buckets, size, n_occupied, upper_bound, 2 flag bits per bucket, keys, values.
 * Read-only use: lookup and iteration, never insert. */
#ifndef FL_HTTP_COMPAT_KHASH_H
#define FL_HTTP_COMPAT_KHASH_H

#include <stdint.h>

typedef uint32_t khint32_t;
typedef uint64_t khint64_t;
typedef khint32_t khint_t;
typedef khint_t khiter_t;

#define __ac_isempty(flag, i) ((flag[(i) >> 4] >> (((i)&0xfU) << 1)) & 2)
#define __ac_isdel(flag, i) ((flag[(i) >> 4] >> (((i)&0xfU) << 1)) & 1)
#define __ac_iseither(flag, i) ((flag[(i) >> 4] >> (((i)&0xfU) << 1)) & 3)
#define kh_int64_hash_func(key) (khint32_t)((key) >> 33 ^ (key) ^ (key) << 11)

#define KHASH_MAP_INIT_INT64(name, khval_t)                                                \
  typedef struct kh_##name##_s {                                                           \
    khint_t n_buckets, size, n_occupied, upper_bound;                                      \
    khint32_t *flags;                                                                      \
    khint64_t *keys;                                                                       \
    khval_t *vals;                                                                         \
  } kh_##name##_t;                                                                         \
  static inline khint_t kh_get_##name(const kh_##name##_t *h, khint64_t key) {             \
    if (!h->n_buckets) return 0;                                                           \
    khint_t k, i, last, mask, step = 0;                                                    \
    mask = h->n_buckets - 1;                                                               \
    k = kh_int64_hash_func(key);                                                           \
    i = k & mask;                                                                          \
    last = i;                                                                              \
    while (!__ac_isempty(h->flags, i) && (__ac_isdel(h->flags, i) || h->keys[i] != key)) { \
      i = (i + (++step)) & mask;                                                           \
      if (i == last) return h->n_buckets;                                                  \
    }                                                                                      \
    return __ac_iseither(h->flags, i) ? h->n_buckets : i;                                  \
  }

#define khash_t(name) kh_##name##_t
#define kh_get(name, h, k) kh_get_##name(h, k)
#define kh_end(h) ((h)->n_buckets)
#define kh_exist(h, x) (!__ac_iseither((h)->flags, (x)))
#define kh_val(h, x) ((h)->vals[x])

#endif
