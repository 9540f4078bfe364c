/* parquet_int: what parquet_write.c and parquet_read.c share. Private to format/. */
#ifndef FL_FORMAT_PARQUET_INT_H
#define FL_FORMAT_PARQUET_INT_H

#include <stdint.h>

#include "core/types.h"
#include "format/parquet_wire.h"

/* Page buffers, dictionary indices and batch values are copied with memcpy as
 * PLAIN (little-endian) bytes. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "parquet: little-endian host assumed");

/* The physical type floe writes for a column type (REFERENCE §5 type table). */
static inline uint8_t fl_pq_phys_of(fl_type type) {
  switch (type.kind) {
    case FL_T_BOOLEAN: return FL_PQ_BOOLEAN;
    case FL_T_INT:
    case FL_T_DATE: return FL_PQ_INT32;
    case FL_T_BIGINT:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_NS: return FL_PQ_INT64;
    case FL_T_DECIMAL:
      /* wider than 18 digits: big-endian two's complement in the fewest bytes */
      return type.precision <= 9    ? FL_PQ_INT32
             : type.precision <= 18 ? FL_PQ_INT64
                                    : FL_PQ_FIXED_LEN_BYTE_ARRAY;
    case FL_T_FLOAT: return FL_PQ_FLOAT;
    case FL_T_DOUBLE: return FL_PQ_DOUBLE;
    case FL_T_STRING:
    case FL_T_JSON:
    case FL_T_BINARY: return FL_PQ_BYTE_ARRAY;
    case FL_T_TIME: return FL_PQ_INT64;
    case FL_T_UUID:
    case FL_T_FIXED: return FL_PQ_FIXED_LEN_BYTE_ARRAY;
  }
  return FL_PQ_BYTE_ARRAY;
}

/* Bits needed for values 0..max_value (at least 1: some readers mishandle width 0). */
static inline unsigned fl_pq_bit_width(uint32_t max_value) {
  return max_value ? 32u - (unsigned)__builtin_clz(max_value) : 1u;
}

#endif
