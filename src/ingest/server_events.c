/* server_events: POST /v1/streams/{stream}/events, from body to durable ack.
 *
 *   body --(Content-Encoding gzip/deflate: zlib; zstd; identity)--> decoded (<= max_body_bytes)
 *        --fl_json_parse (the loop's parser for the stream)--> accepted rows + rejects
 *        --fl_contract_check--> more rejects
 *   accepted row i -> partition hash(primary key text) % npartitions; one log append per
 *                     partition (the records are the raw JSON objects, in body order)
 *   reject j       -> one JSON record {raw, reason, field, line, received_at, request_id}
 *                     appended to "<stream>.quarantine"
 *   the answer (200, or 400 if every record was rejected) is built now and sent when
 *   the last append's done callback has fired: never before the records are fsynced.
 *   A failed append (disk full, log broken, queue full) turns the answer into
 *   507/503 with Retry-After: nothing is acknowledged that was not stored. Records of
 *   other partitions of the same request may have been stored: a client retrying
 *   sends them again, which the stream job's dedupe (by primary key) absorbs.
 *
 * Cross-thread hand-off: the log thread runs events_log_done, which decrements the
 * pending's counter; the one that reaches zero posts the pending to its loop through
 * h2o_multithread (an eventfd wakes the loop), and srv_events_on_done answers on the
 * loop thread. While waiting, the request lives in h2o; a slot allocated from its pool
 * points back at the pending, and the pool's dispose callback clears `req` if h2o
 * frees the request first (client gone, HTTP/2 stream reset).
 *
 * Memory: scratch arrays and buffers are the loop's, grown to the largest request and
 * reused (no allocation per record). The pending answer comes from the loop's free list
 * when it fits SRV_PENDING_BODY_CAP bytes (every answer without listed errors does), else
 * one fl_malloc for that request. Request ids and answers are formatted by hand (no
 * printf on the path of an accepted post). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "core/diag.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/time.h"
#include "ingest/server_int.h"

#define MOD "server"

/* The answer lists at most this many rejected lines (the rest are counted, and all of
 * them are in the quarantine table): bounds the answer to a huge bad batch. */
#define ERRORS_LISTED_MAX 1000
/* One log append carries at most this many payload bytes (the log's limit is 64 MiB). */
#define APPEND_BYTES_MAX (32u << 20)

void srv_loop_scratch_free(srv_loop *loop) {
  while (loop->free_pendings) {
    srv_pending *p = loop->free_pendings;
    loop->free_pendings = p->next_free;
    fl_free(p);
  }
  loop->nfree_pendings = 0;
  fl_buf_free(&loop->inflated);
  fl_buf_free(&loop->qjson);
  fl_buf_free(&loop->key);
  fl_buf_free(&loop->resp);
  fl_free(loop->row_part);
  fl_free(loop->part_count);
  fl_free(loop->qoff);
  fl_free(loop->recs);
}

/* Appends v in decimal. */
static void put_u64(fl_buf *out, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  fl_buf_append(out, tmp + sizeof tmp - n, n);
}

static srv_pending *pending_new(srv_loop *loop, size_t body_len) {
  srv_pending *p;
  size_t cap = body_len <= SRV_PENDING_BODY_CAP ? SRV_PENDING_BODY_CAP : body_len;
  if (cap == SRV_PENDING_BODY_CAP && loop->free_pendings) {
    p = loop->free_pendings;
    loop->free_pendings = p->next_free;
    loop->nfree_pendings--;
  } else {
    p = fl_malloc(sizeof *p + cap);
  }
  memset(p, 0, sizeof *p);
  p->body_cap = cap;
  return p;
}

static void pending_free(srv_loop *loop, srv_pending *p) {
  if (p->body_cap == SRV_PENDING_BODY_CAP && loop->nfree_pendings < SRV_PENDING_FREE_MAX) {
    p->next_free = loop->free_pendings;
    loop->free_pendings = p;
    loop->nfree_pendings++;
  } else {
    fl_free(p);
  }
}

static void *grow(void *p, uint32_t *cap, uint32_t need, size_t elem) {
  if (need <= *cap) return p;
  uint32_t c = *cap ? *cap : 256;
  while (c < need) c *= 2;
  *cap = c;
  return fl_realloc(p, (size_t)c * elem);
}

/* ---------------------------------------------------------------- body decoding */

enum { ENC_IDENTITY, ENC_ZLIB, ENC_ZSTD, ENC_UNKNOWN };

static int content_encoding(h2o_req_t *req) {
  ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_ENCODING, -1);
  if (i < 0) return ENC_IDENTITY;
  h2o_iovec_t v = req->headers.entries[i].value;
  while (v.len && (v.base[v.len - 1] == ' ' || v.base[v.len - 1] == '\t')) v.len--;
  while (v.len && (*v.base == ' ' || *v.base == '\t')) v.base++, v.len--;
#define IS(s) (v.len == sizeof(s) - 1 && !strncasecmp(v.base, s, v.len))
  if (v.len == 0 || IS("identity")) return ENC_IDENTITY;
  if (IS("gzip") || IS("x-gzip") || IS("deflate")) return ENC_ZLIB;
  if (IS("zstd")) return ENC_ZSTD;
#undef IS
  return ENC_UNKNOWN;
}

/* 0 ok, 413 over max, 400 corrupt. */
static int inflate_zlib(const void *in, size_t n, uint64_t max, fl_buf *out) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return 400; /* 32: gzip or zlib header */
  int status = 0;
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)n;
  for (;;) {
    if (out->cap - out->len < 65536) fl_buf_reserve(out, out->len < 65536 ? 65536 : out->len);
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)(out->cap - out->len);
    int zr = inflate(&zs, Z_NO_FLUSH);
    out->len = out->cap - zs.avail_out;
    if (out->len > max) {
      status = 413;
      break;
    }
    if (zr == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      if (inflateReset(&zs) != Z_OK) { /* concatenated gzip members */
        status = 400;
        break;
      }
      continue;
    }
    if (zr != Z_OK && zr != Z_BUF_ERROR) {
      status = 400;
      break;
    }
    if (zr == Z_BUF_ERROR && zs.avail_in == 0) { /* truncated input */
      status = 400;
      break;
    }
  }
  inflateEnd(&zs);
  return status;
}

static int inflate_zstd(ZSTD_DCtx *dctx, const void *in, size_t n, uint64_t max, fl_buf *out) {
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  ZSTD_inBuffer ib = {in, n, 0};
  size_t last = 1;
  while (ib.pos < ib.size || last != 0) {
    if (out->cap - out->len < 65536) fl_buf_reserve(out, out->len < 65536 ? 65536 : out->len);
    ZSTD_outBuffer ob = {out->data + out->len, out->cap - out->len, 0};
    size_t before = ib.pos;
    last = ZSTD_decompressStream(dctx, &ob, &ib);
    if (ZSTD_isError(last)) return 400;
    out->len += ob.pos;
    if (out->len > max) return 413;
    if (ob.pos == 0 && ib.pos == before && ib.pos == ib.size) return last ? 400 : 0; /* truncated */
  }
  return 0;
}

/* ---------------------------------------------------------------- the answer */

static void answer_pending(srv_pending *p) {
  srv_loop *loop = p->loop;
  FL_ASSERT(loop->inflight > 0);
  loop->inflight--;
  h2o_req_t *req = p->req;
  if (p->hook) *p->hook = NULL; /* the pool slot no longer points here */
  if (req) {
    fl_code rc = (fl_code)atomic_load(&p->rc);
    if (rc == FL_OK) {
      srv_send_json(req, p->status, p->body, p->body_len);
    } else if (rc == FL_ENOSPC) {
      h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("5"));
      srv_send_error(req, 507, 50701,
                     "the event log's disk is full; nothing of this request was acknowledged, retry later");
    } else {
      h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
      srv_send_error(req, 503, rc == FL_ELIMIT ? 50301 : 50302,
                     "the event log %s; nothing of this request was acknowledged, retry later",
                     rc == FL_ELIMIT ? "is behind (too much queued)" : "could not store the records");
    }
  }
  pending_free(loop, p);
}

void srv_events_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages) {
  while (!h2o_linklist_is_empty(messages)) {
    h2o_multithread_message_t *msg = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
    h2o_linklist_unlink(&msg->link);
    answer_pending((srv_pending *)msg);
  }
}

static void release(srv_pending *p, bool on_loop) {
  if (atomic_fetch_sub(&p->outstanding, 1) != 1) return;
  if (on_loop)
    answer_pending(p);
  else
    h2o_multithread_send_message(&p->loop->done_receiver, &p->msg);
}

/* Runs on the log thread. */
static void events_log_done(void *ctx, fl_code rc, uint32_t partition, uint64_t base_offset, uint32_t n) {
  srv_pending *p = ctx;
  if (rc) {
    int expected = FL_OK;
    atomic_compare_exchange_strong(&p->rc, &expected, (int)rc);
  }
  release(p, false);
}

static void on_req_dispose(void *slot) {
  srv_pending *p = *(srv_pending **)slot;
  if (p) {
    p->req = NULL;
    p->hook = NULL;
  }
}

static fl_code append(srv_pending *p, fl_log_stream *ls, uint32_t partition, const fl_log_record *recs,
                      uint32_t n) {
  fl_err err = {0};
  atomic_fetch_add(&p->outstanding, 1);
  fl_code rc = fl_log_append(ls, partition, recs, n, events_log_done, p, &err);
  if (rc) {
    int expected = FL_OK;
    atomic_compare_exchange_strong(&p->rc, &expected, (int)rc);
    if (rc != FL_ELIMIT) fl_warn(MOD, "append to %s/%u: %s", fl_log_stream_name(ls), partition, err.msg);
    atomic_fetch_sub(&p->outstanding, 1); /* its callback never runs */
  }
  return rc;
}

/* Appends recs in chunks of at most APPEND_BYTES_MAX; stops at the first failure. */
static fl_code append_chunked(srv_pending *p, fl_log_stream *ls, uint32_t partition,
                              const fl_log_record *recs, uint32_t n) {
  uint32_t from = 0;
  uint64_t bytes = 0;
  for (uint32_t i = 0; i <= n; i++) {
    if (i == n || (i > from && bytes + recs[i].value_len + 16 > APPEND_BYTES_MAX)) {
      if (i > from) {
        fl_code rc = append(p, ls, partition, recs + from, i - from);
        if (rc) return rc;
      }
      from = i;
      bytes = 0;
    }
    if (i < n) bytes += recs[i].value_len + 16;
  }
  return FL_OK;
}

/* ---------------------------------------------------------------- partitioning */

static uint32_t row_partition(srv_loop *loop, const fl_sql_stream *def, const fl_batch *batch, uint32_t row,
                              const char *raw, uint32_t raw_len, uint32_t nparts) {
  if (nparts == 1) return 0;
  if (def->npk == 0) return (uint32_t)(fl_hash64(raw, raw_len) % nparts);
  fl_buf *key = &loop->key;
  fl_buf_clear(key);
  for (uint32_t k = 0; k < def->npk; k++) {
    fl_value v;
    fl_batch_get(batch, def->primary_key_index[k], row, &v);
    if (k) fl_buf_put_u8(key, 0x1f); /* unit separator between key columns */
    if (v.is_null) continue;
    if (fl_type_is_string(v.type.kind))
      fl_buf_append(key, v.u.str.ptr, v.u.str.len);
    else
      fl_value_to_json(&v, key);
  }
  return (uint32_t)(fl_hash64(key->data, key->len) % nparts);
}

/* ---------------------------------------------------------------- the route */

int srv_events_post(srv_loop *loop, h2o_req_t *req, uint32_t si) {
  fl_server *srv = loop->srv;
  const fl_project *proj = srv->proj;
  srv_stream *ss = &srv->streams[si];
  const fl_sql_stream *def = ss->ps->def;

  if (req->entity.len > proj->max_body_bytes)
    return srv_send_error(req, 413, 41301, "the body is %zu bytes, over the limit of %llu", req->entity.len,
                          (unsigned long long)proj->max_body_bytes);
  const char *body = req->entity.base ? req->entity.base : "";
  size_t len = req->entity.len;
  int enc = content_encoding(req);
  if (enc == ENC_UNKNOWN)
    return srv_send_error(req, 415, 41501, "Content-Encoding is not one of gzip, deflate, zstd, identity");
  if (enc != ENC_IDENTITY) {
    fl_buf_clear(&loop->inflated);
    int st = enc == ENC_ZLIB ? inflate_zlib(body, len, proj->max_body_bytes, &loop->inflated)
                             : inflate_zstd(loop->zstd, body, len, proj->max_body_bytes, &loop->inflated);
    if (st == 413)
      return srv_send_error(req, 413, 41302, "the decompressed body is over the limit of %llu bytes",
                            (unsigned long long)proj->max_body_bytes);
    if (st)
      return srv_send_error(req, 400, 40002, "the body is not valid %s data",
                            enc == ENC_ZLIB ? "gzip/deflate" : "zstd");
    body = loop->inflated.len ? (const char *)loop->inflated.data : "";
    len = loop->inflated.len;
  }

  /* back-pressure: the log is behind; refuse before parsing */
  fl_log_stats st;
  fl_log_stats_get(srv->log, &st);
  if (st.queued_bytes > proj->max_pending_bytes) {
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
    return srv_send_error(req, 503, 50301, "the event log is behind (%llu bytes queued); retry later",
                          (unsigned long long)st.queued_bytes);
  }

  fl_json_parser *parser = loop->parsers[si];
  fl_json_result res;
  fl_err err = {0};
  if (fl_json_parse(parser, body, len, &res, &err)) return srv_send_error(req, 413, 41303, "%s", err.msg);
  if (loop->contracts[si] && fl_contract_check(loop->contracts[si], parser, &res, body, &err))
    return srv_send_error(req, 500, 50001, "contract check: %s", err.msg);

  /* request id "<server start, hex>-<loop>-<seq>" (in the pool: h2o keeps the pointer) */
  fl_buf *resp = &loop->resp;
  fl_buf_clear(resp);
  fl_buf_append(resp, loop->rid_prefix, loop->rid_prefix_len);
  put_u64(resp, ++loop->seq);
  h2o_iovec_t rid = h2o_strdup(&req->pool, (const char *)resp->data, resp->len);
  const char *request_id = rid.base;
  h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, rid.base,
                        rid.len);

  /* the answer, built now, sent when durable */
  fl_buf_clear(resp);
  fl_buf_puts(resp, "{\"accepted\":");
  put_u64(resp, res.nrows);
  fl_buf_puts(resp, ",\"rejected\":");
  put_u64(resp, res.nrejects);
  if (res.unknown_fields) { /* fields not in the schema, ignored (only when there are some) */
    fl_buf_puts(resp, ",\"unknown_fields\":");
    put_u64(resp, res.unknown_fields);
  }
  fl_buf_puts(resp, ",\"errors\":[");
  uint32_t listed = res.nrejects < ERRORS_LISTED_MAX ? res.nrejects : ERRORS_LISTED_MAX;
  for (uint32_t j = 0; j < listed; j++) {
    const fl_json_reject *rj = &res.rejects[j];
    fl_buf_puts(resp, j ? ",{\"line\":" : "{\"line\":");
    put_u64(resp, rj->line);
    fl_buf_puts(resp, ",\"field\":");
    if (rj->field)
      srv_json_str(resp, rj->field, strlen(rj->field));
    else
      fl_buf_puts(resp, "null");
    fl_buf_puts(resp, ",\"reason\":");
    srv_json_str(resp, rj->reason, strlen(rj->reason));
    fl_buf_put_u8(resp, '}');
  }
  fl_buf_puts(resp, "]");
  if (listed < res.nrejects) {
    fl_buf_puts(resp, ",\"errors_not_listed\":");
    put_u64(resp, res.nrejects - listed);
  }
  fl_buf_puts(resp, ",\"request_id\":");
  srv_json_str(resp, request_id, rid.len);
  fl_buf_puts(resp, "}\n");
  int status = (res.nrejects > 0 && res.nrows == 0) ? 400 : 200;
  if (res.nrows == 0 && res.nrejects == 0) {
    srv_send_json(req, status, (const char *)resp->data, resp->len);
    return 0;
  }

  srv_pending *p = pending_new(loop, resp->len);
  p->loop = loop;
  p->req = req;
  p->status = status;
  p->body_len = resp->len;
  memcpy(p->body, resp->data, resp->len);
  atomic_init(&p->outstanding, 1); /* held while queuing, so no callback answers early */
  atomic_init(&p->rc, FL_OK);
  srv_pending **slot = h2o_mem_alloc_shared(&req->pool, sizeof *slot, on_req_dispose);
  *slot = p;
  p->hook = slot;
  loop->inflight++;

  /* quarantine records: one JSON object per reject */
  if (res.nrejects) {
    char received_at[FL_TS_TEXT_MAX];
    fl_ts_format(fl_now_micros(), received_at);
    fl_buf *q = &loop->qjson;
    fl_buf_clear(q);
    loop->qoff = grow(loop->qoff, &loop->cap_q, res.nrejects + 1, sizeof *loop->qoff);
    for (uint32_t j = 0; j < res.nrejects; j++) {
      const fl_json_reject *rj = &res.rejects[j];
      loop->qoff[j] = (uint32_t)q->len;
      fl_buf_puts(q, "{\"raw\":");
      srv_json_str(q, body + rj->raw_off, rj->raw_len);
      fl_buf_puts(q, ",\"reason\":");
      srv_json_str(q, rj->reason, strlen(rj->reason));
      fl_buf_puts(q, ",\"field\":");
      if (rj->field)
        srv_json_str(q, rj->field, strlen(rj->field));
      else
        fl_buf_puts(q, "null");
      fl_buf_printf(q, ",\"line\":%u,\"received_at\":\"%s\",\"request_id\":\"%s\"}", rj->line, received_at,
                    request_id);
    }
    loop->qoff[res.nrejects] = (uint32_t)q->len;
    loop->recs = grow(loop->recs, &loop->cap_recs, res.nrejects, sizeof *loop->recs);
    for (uint32_t j = 0; j < res.nrejects; j++) {
      loop->recs[j].value = q->data + loop->qoff[j];
      loop->recs[j].value_len = loop->qoff[j + 1] - loop->qoff[j];
    }
    append_chunked(p, ss->qls, 0, loop->recs, res.nrejects);
  }

  /* accepted records, grouped by partition, body order kept within a partition */
  if (res.nrows && atomic_load(&p->rc) == FL_OK) {
    uint32_t nparts = fl_log_stream_npartitions(ss->ls);
    loop->row_part = grow(loop->row_part, &loop->cap_rows, res.nrows, sizeof *loop->row_part);
    loop->part_count = grow(loop->part_count, &loop->cap_parts, nparts + 1, sizeof *loop->part_count);
    memset(loop->part_count, 0, (nparts + 1) * sizeof *loop->part_count);
    for (uint32_t i = 0; i < res.nrows; i++) {
      const fl_json_row *r = &res.rows[i];
      uint32_t part = row_partition(loop, def, res.batch, i, body + r->raw_off, r->raw_len, nparts);
      loop->row_part[i] = part;
      loop->part_count[part + 1]++;
    }
    for (uint32_t k = 0; k < nparts; k++) loop->part_count[k + 1] += loop->part_count[k];
    loop->recs = grow(loop->recs, &loop->cap_recs, res.nrows, sizeof *loop->recs);
    /* counting sort into recs: part_count[k] is partition k's next slot */
    for (uint32_t i = 0; i < res.nrows; i++) {
      const fl_json_row *r = &res.rows[i];
      uint32_t slot_i = loop->part_count[loop->row_part[i]]++;
      loop->recs[slot_i].value = body + r->raw_off;
      loop->recs[slot_i].value_len = r->raw_len;
    }
    /* after the sort part_count[k] is partition k's end; its start is part_count[k-1] */
    uint32_t start = 0;
    for (uint32_t k = 0; k < nparts; k++) {
      uint32_t end = loop->part_count[k];
      if (end > start && append_chunked(p, ss->ls, k, loop->recs + start, end - start)) break;
      start = end;
    }
  }
  release(p, true);
  return 0;
}
