/* arrow_ipc: floe batches as the Arrow IPC stream format (the media type
 * application/vnd.apache.arrow.stream), for query results (POST /v1/query, floe sql).
 *
 *   fl_arrow_ipc_schema(fields, n, &out);   once
 *   fl_arrow_ipc_batch(batch, &out);        per batch (rows > 0)
 *   fl_arrow_ipc_eos(&out);                 end of stream
 * Types: BOOLEAN Bool, INT Int32, BIGINT Int64, REAL Float32, DOUBLE Float64,
 * DECIMAL(p,s) Decimal128(p,s), DATE Date32 (days), TIMESTAMP Timestamp(us) and
 * TIMESTAMP_NS Timestamp(ns) without a time zone (UTC values), TIME Time64(us),
 * STRING and JSON Utf8, UUID/BINARY/FIXED Binary. Every field nullable. */
#ifndef FL_FORMAT_ARROW_IPC_H
#define FL_FORMAT_ARROW_IPC_H

#include <stdint.h>

#include "core/batch.h"
#include "core/buf.h"
#include "core/types.h"

void fl_arrow_ipc_schema(const fl_field *fields, uint32_t nfields, fl_buf *out);
void fl_arrow_ipc_batch(const fl_batch *batch, fl_buf *out);
void fl_arrow_ipc_eos(fl_buf *out);

#endif
