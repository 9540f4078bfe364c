/* server_events: POST /v1/streams/{stream}/events, from body to durable ack.
 *
 *   body --(Content-Encoding gzip/deflate: zlib; zstd; identity)--> decoded (<= max_decoded_bytes)
 *        --cut into pieces of ~FL_INGEST_CHUNK_BYTES (events_split.c): NDJSON after a
 *          newline (parsed in place, as lines even where a piece begins with '['); a
 *          larger JSON array after a top-level ',' (its elements copied into "[...]":
 *          the parser's rejects of one piece bound its memory)--> per piece:
 *        --fl_json_parse (the loop's parser for the stream)--> accepted rows + rejects
 *        --fl_contract_check--> more rejects
 *   accepted row i -> partition hash(primary key text) % npartitions; one log append per
 *                     partition (the records are the raw JSON objects, in body order,
 *                     each with that hash, its WATERMARK column as event time and the
 *                     stream's contract version: log batch v3, its values compressed by the log
 *                     on this thread)
 *   reject j       -> one JSON record {raw, [raw_truncated,] reason, field, line,
 *                     received_at, request_id} appended to "<stream>.quarantine";
 *                     raw keeps at most max_raw_bytes of the record (cut on a UTF-8
 *                     boundary, raw_truncated: true says so)
 *   the answer (200; 400 if every record was rejected) is sent when the last append's
 *   done callback has fired: never before the records are fsynced. A failed append
 *   (disk full, log broken, queue full) turns it into 507/503 with Retry-After.
 *
 * What one request may cost is bounded (limits.*): decoded bytes, rejected records
 * (max_rejects) and quarantine bytes (max_quarantine_bytes). The request is cut at the
 * first rejected record over either bound: every line before it is stored (accepted and
 * quarantined, as counted in the answer), nothing from it on; the answer is 413 with
 * cut_at_line, so a client resends from there and nothing is duplicated. Before this,
 * a 16 KB gzip body of 8.3M bad lines took 3.6 GB and was answered 503 although 6.9M
 * quarantine rows were stored.
 *
 * Cross-thread hand-off: the log thread runs events_log_done, which decrements the
 * pending's counter; the one that reaches zero posts the pending to its loop
 * (fl_http_defer_post: h2o's multithread queue, an eventfd wakes the loop), and
 * answer_pending answers on the loop thread; a request whose client has gone has
 * defer.req == NULL and its answer is dropped.
 *
 * Memory: pieces bound the parser's rejects and the quarantine JSON held at once;
 * scratch arrays and buffers are the loop's, grown to the largest piece, reused (no
 * allocation per record) and given back past SRV_SCRATCH_KEEP_BYTES. The pending comes
 * from the loop's free list; an answer over SRV_PENDING_BODY_CAP bytes (listed errors)
 * takes one fl_malloc. Request ids and answers are formatted by hand (no printf on the
 * path of an accepted post). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "core/diag.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "ingest/events_split.h"
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
  fl_buf_free(&loop->errors);
  fl_buf_free(&loop->piece);
  fl_free(loop->row_part);
  fl_free(loop->row_hash);
  fl_free(loop->part_count);
  fl_free(loop->qoff);
  fl_free(loop->recs);
  loop->row_part = loop->part_count = loop->qoff = NULL;
  loop->row_hash = NULL;
  loop->recs = NULL;
  loop->cap_rows = loop->cap_parts = loop->cap_q = loop->cap_recs = loop->cap_hash = 0;
}

/* After a large request its buffers go back to the allocator: a 16 MiB body must not
 * pin 16 MiB per loop for ever. */
static void scratch_trim(srv_loop *loop) {
  fl_buf *bufs[] = {&loop->inflated, &loop->qjson, &loop->resp, &loop->errors, &loop->piece};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
    if (bufs[i]->cap > SRV_SCRATCH_KEEP_BYTES) fl_buf_free(bufs[i]);
  if ((size_t)loop->cap_recs * sizeof *loop->recs > SRV_SCRATCH_KEEP_BYTES) {
    fl_free(loop->recs);
    fl_free(loop->row_part);
    fl_free(loop->row_hash);
    fl_free(loop->qoff);
    loop->recs = NULL;
    loop->row_part = loop->qoff = NULL;
    loop->row_hash = NULL;
    loop->cap_recs = loop->cap_rows = loop->cap_q = loop->cap_hash = 0;
  }
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

static srv_pending *pending_new(srv_loop *loop) {
  srv_pending *p = loop->free_pendings;
  if (p) {
    loop->free_pendings = p->next_free;
    loop->nfree_pendings--;
  } else {
    p = fl_malloc(sizeof *p);
  }
  memset(p, 0, offsetof(srv_pending, small));
  p->loop = loop;
  return p;
}

static void pending_free(srv_loop *loop, srv_pending *p) {
  if (p->body && p->body != p->small) fl_free(p->body);
  p->body = NULL;
  if (loop->nfree_pendings < SRV_PENDING_FREE_MAX) {
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

/* An NDJSON media type (application/x-ndjson, application/ndjson, application/jsonl,
 * application/x-jsonlines): the body is read as lines only, so a line that begins with
 * '[' is one bad line, not a JSON array swallowing the lines after it. application/json
 * (and +json types) may be one JSON array of objects or NDJSON. The router has already
 * refused every other type (415). */
static bool content_type_ndjson(h2o_req_t *req) {
  ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
  if (i < 0) return false;
  h2o_iovec_t v = req->headers.entries[i].value;
  const char *semi = memchr(v.base, ';', v.len);
  if (semi) v.len = (size_t)(semi - v.base);
  while (v.len && (v.base[v.len - 1] == ' ' || v.base[v.len - 1] == '\t')) v.len--;
  while (v.len && (*v.base == ' ' || *v.base == '\t')) v.base++, v.len--;
#define IS(s) (v.len == sizeof(s) - 1 && !strncasecmp(v.base, s, v.len))
  return IS("application/x-ndjson") || IS("application/ndjson") || IS("application/jsonl") ||
         IS("application/x-jsonlines");
#undef IS
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

static void answer_pending(fl_http_defer *d) {
  srv_pending *p = (srv_pending *)d;
  srv_loop *loop = p->loop;
  h2o_req_t *req = d->req;
  if (atomic_load(&p->rc) == FL_OK) { /* durable, whether or not the client still waits */
    fl_metric_add(p->ss->m_accepted, p->accepted);
    fl_metric_add(p->ss->m_rejected, p->rejected);
    fl_metric_add(p->ss->m_accepted_bytes, p->accepted_bytes);
    fl_metric_add(p->ss->m_rejected_bytes, p->rejected_bytes);
    fl_metric_add(p->ss->m_unknown_fields, p->unknown_fields);
  }
  if (req) {
    fl_code rc = (fl_code)atomic_load(&p->rc);
    if (rc == FL_OK) {
      fl_http_send_json(req, p->status, p->body, p->body_len);
    } else if (rc == FL_ENOSPC) {
      h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("5"));
      fl_http_send_error(
          req, 507, 50701,
          "the event log's disk is full; nothing of this request was acknowledged, retry later");
    } else {
      h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
      fl_http_send_error(req, 503, rc == FL_ELIMIT ? 50301 : 50302,
                         "the event log %s; nothing of this request was acknowledged, retry later",
                         rc == FL_ELIMIT ? "is behind (too much queued)" : "could not store the records");
    }
  }
  fl_http_defer_end(d);
  pending_free(loop, p);
}

static void release(srv_pending *p, bool on_loop) {
  if (atomic_fetch_sub(&p->outstanding, 1) != 1) return;
  if (on_loop)
    answer_pending(&p->defer);
  else
    fl_http_defer_post(&p->defer);
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

/* Adds one append to the piece's set (encoded now; queued by submit_appends). */
static fl_code append(srv_pending *p, fl_log_many *m, fl_log_stream *ls, uint32_t partition,
                      const fl_log_record *recs, uint32_t n) {
  fl_log_many_add(m, ls, partition, recs, n, events_log_done, p);
  return m->rc;
}

/* Queues a piece's appends (quarantine and every partition) atomically: the log
 * thread takes them into one group commit, so a post waits for one fdatasync. */
static void submit_appends(srv_pending *p, fl_log_many *m) {
  if (!m->count && !m->rc) return;
  uint32_t count = m->count, queued;
  fl_err err = {0};
  atomic_fetch_add(&p->outstanding, count);
  fl_code rc = fl_log_many_submit(m, &queued, &err);
  if (rc) {
    int expected = FL_OK;
    atomic_compare_exchange_strong(&p->rc, &expected, (int)rc);
    if (rc != FL_ELIMIT) fl_warn(MOD, "append: %s", err.msg);
    atomic_fetch_sub(&p->outstanding, count); /* their callbacks never run */
  }
}

/* Appends recs in chunks of at most APPEND_BYTES_MAX; stops at the first failure. */
static fl_code append_chunked(srv_pending *p, fl_log_many *m, fl_log_stream *ls, uint32_t partition,
                              const fl_log_record *recs, uint32_t n) {
  uint32_t from = 0;
  uint64_t bytes = 0;
  for (uint32_t i = 0; i <= n; i++) {
    if (i == n || (i > from && bytes + recs[i].value_len + 16 > APPEND_BYTES_MAX)) {
      if (i > from) {
        fl_code rc = append(p, m, ls, partition, recs + from, i - from);
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

/* The row's key hash: fl_hash64 of its primary key text (key columns joined by 0x1f),
 * or of the raw JSON without a key. The partition is hash % npartitions; the hash is
 * also stored in the log record (key_hash) so a consumer routes by key unparsed. */
static uint64_t row_key_hash(srv_loop *loop, const fl_sql_stream *def, const fl_batch *batch, uint32_t row,
                             const char *raw, uint32_t raw_len) {
  if (def->npk == 0) return fl_hash64(raw, raw_len);
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
  return fl_hash64(key->data, key->len);
}

/* The row's event time (ms) from the stream's WATERMARK column; false if none or NULL. */
static bool row_event_time(const fl_sql_stream *def, const fl_batch *batch, uint32_t row, int64_t *ms) {
  if (def->watermark_index < 0) return false;
  fl_value v;
  fl_batch_get(batch, (uint32_t)def->watermark_index, row, &v);
  if (v.is_null) return false;
  int64_t us = v.u.i64;
  *ms = us / 1000 - (us % 1000 < 0); /* floor */
  return true;
}

/* ---------------------------------------------------------------- the route */

static uint32_t count_lines(const char *p, size_t n) {
  uint32_t lines = 0;
  const char *end = p + n;
  while ((p = memchr(p, '\n', (size_t)(end - p)))) lines++, p++;
  return lines;
}

/* The request's state across its pieces. */
typedef struct events_req {
  srv_loop *loop;
  srv_stream *ss;
  h2o_req_t *req;
  srv_pending *p; /* created by the first append */
  h2o_iovec_t rid;
  char received_at[FL_TS_TEXT_MAX];
  uint64_t accepted, rejected, qbytes, listed;
  uint64_t unknown_fields;                 /* fields not in the schema, in the pieces parsed */
  uint64_t accepted_bytes, rejected_bytes; /* raw record bytes, for the metrics */
  uint64_t cut_line;                       /* 0, or the first line not stored */
  const char *cut_why;
} events_req;

static srv_pending *pending_of(events_req *er) {
  if (!er->p) {
    er->p = pending_new(er->loop);
    atomic_init(&er->p->outstanding, 1); /* held while queuing, so no callback answers early */
    atomic_init(&er->p->rc, FL_OK);
    fl_http_defer_begin(er->loop->hloop, er->req, &er->p->defer, answer_pending);
  }
  return er->p;
}

/* One quarantine record; raw keeps at most raw_max bytes, cut on a UTF-8 boundary. */
static void quarantine_record(fl_buf *q, const char *raw, uint32_t raw_len, uint32_t raw_max,
                              const fl_json_reject *rj, uint64_t line, const events_req *er) {
  uint32_t keep = raw_len;
  bool cut = keep > raw_max;
  if (cut) {
    keep = raw_max;
    while (keep > 0 && ((unsigned char)raw[keep] & 0xC0) == 0x80) keep--;
  }
  fl_buf_puts(q, "{\"raw\":");
  fl_http_json_str(q, raw, keep);
  if (cut) fl_buf_puts(q, ",\"raw_truncated\":true");
  fl_buf_puts(q, ",\"reason\":");
  fl_http_json_str(q, rj->reason, strlen(rj->reason));
  fl_buf_puts(q, ",\"field\":");
  if (rj->field)
    fl_http_json_str(q, rj->field, strlen(rj->field));
  else
    fl_buf_puts(q, "null");
  fl_buf_puts(q, ",\"line\":");
  put_u64(q, line);
  fl_buf_puts(q, ",\"received_at\":\"");
  fl_buf_puts(q, er->received_at);
  fl_buf_puts(q, "\",\"request_id\":");
  fl_http_json_str(q, er->rid.base, er->rid.len);
  fl_buf_put_u8(q, '}');
}

/* Stores one parsed piece: its rejects (up to the request's bounds) into the quarantine,
 * its accepted rows before the cut into their partitions. line_base: lines before it. */
static void store_piece(events_req *er, const char *body, const fl_json_result *res, uint64_t line_base) {
  fl_log_many many = {0};
  srv_loop *loop = er->loop;
  const fl_project *proj = loop->ing->proj;
  const fl_sql_stream *def = er->ss->ps->def;
  uint32_t nrej = 0;
  uint64_t cut_local = 0; /* the piece's first line not stored, 0 = none */
  if (res->nrejects) {
    if (!er->received_at[0]) fl_ts_format(fl_now_micros(), er->received_at);
    fl_buf *q = &loop->qjson;
    fl_buf_clear(q);
    loop->qoff = grow(loop->qoff, &loop->cap_q, res->nrejects + 1, sizeof *loop->qoff);
    for (uint32_t j = 0; j < res->nrejects; j++) {
      const fl_json_reject *rj = &res->rejects[j];
      size_t before = q->len;
      if (er->rejected + nrej >= proj->max_rejects) {
        cut_local = rj->line;
        er->cut_why = "rejected records";
        break;
      }
      quarantine_record(q, body + rj->raw_off, rj->raw_len, proj->max_raw_bytes, rj, line_base + rj->line,
                        er);
      if (er->qbytes + q->len > proj->max_quarantine_bytes) {
        q->len = before;
        cut_local = rj->line;
        er->cut_why = "quarantine bytes";
        break;
      }
      loop->qoff[j] = (uint32_t)before;
      er->rejected_bytes += rj->raw_len;
      nrej++;
    }
    loop->qoff[nrej] = (uint32_t)q->len;
    er->qbytes += q->len;
    /* the answer lists the first ERRORS_LISTED_MAX of the request */
    fl_buf *e = &loop->errors;
    for (uint32_t j = 0; j < nrej && er->listed < ERRORS_LISTED_MAX; j++, er->listed++) {
      const fl_json_reject *rj = &res->rejects[j];
      fl_buf_puts(e, er->listed ? ",{\"line\":" : "{\"line\":");
      put_u64(e, line_base + rj->line);
      fl_buf_puts(e, ",\"field\":");
      if (rj->field)
        fl_http_json_str(e, rj->field, strlen(rj->field));
      else
        fl_buf_puts(e, "null");
      fl_buf_puts(e, ",\"reason\":");
      fl_http_json_str(e, rj->reason, strlen(rj->reason));
      fl_buf_put_u8(e, '}');
    }
    if (nrej) {
      loop->recs = grow(loop->recs, &loop->cap_recs, nrej, sizeof *loop->recs);
      for (uint32_t j = 0; j < nrej; j++) {
        /* the contract version that rejected it; no key, no event time */
        loop->recs[j] = (fl_log_record){.value = q->data + loop->qoff[j],
                                        .value_len = loop->qoff[j + 1] - loop->qoff[j],
                                        .contract_version = er->ss->ps->contract_version};
      }
      append_chunked(pending_of(er), &many, er->ss->qls, 0, loop->recs, nrej);
    }
    er->rejected += nrej;
  }
  uint32_t nrows = res->nrows;
  if (cut_local) {
    er->cut_line = line_base + cut_local;
    while (nrows > 0 && res->rows[nrows - 1].line >= cut_local) nrows--;
  }
  er->accepted += nrows;
  er->unknown_fields += res->unknown_fields;
  /* accepted records, grouped by partition, body order kept within a partition */
  if (nrows && (!er->p || atomic_load(&er->p->rc) == FL_OK)) {
    fl_log_stream *ls = er->ss->ls;
    uint32_t nparts = fl_log_stream_npartitions(ls);
    loop->row_part = grow(loop->row_part, &loop->cap_rows, nrows, sizeof *loop->row_part);
    loop->row_hash = grow(loop->row_hash, &loop->cap_hash, nrows, sizeof *loop->row_hash);
    loop->part_count = grow(loop->part_count, &loop->cap_parts, nparts + 1, sizeof *loop->part_count);
    memset(loop->part_count, 0, (nparts + 1) * sizeof *loop->part_count);
    for (uint32_t i = 0; i < nrows; i++) {
      const fl_json_row *r = &res->rows[i];
      uint64_t h = row_key_hash(loop, def, res->batch, i, body + r->raw_off, r->raw_len);
      uint32_t part = nparts == 1 ? 0 : (uint32_t)(h % nparts);
      loop->row_hash[i] = h;
      loop->row_part[i] = part;
      er->accepted_bytes += r->raw_len;
      loop->part_count[part + 1]++;
    }
    for (uint32_t k = 0; k < nparts; k++) loop->part_count[k + 1] += loop->part_count[k];
    loop->recs = grow(loop->recs, &loop->cap_recs, nrows, sizeof *loop->recs);
    /* counting sort into recs: part_count[k] is partition k's next slot */
    for (uint32_t i = 0; i < nrows; i++) {
      const fl_json_row *r = &res->rows[i];
      uint32_t slot_i = loop->part_count[loop->row_part[i]]++;
      fl_log_record *rec = &loop->recs[slot_i];
      *rec = (fl_log_record){.value = body + r->raw_off,
                             .value_len = r->raw_len,
                             .contract_version = er->ss->ps->contract_version,
                             .key_hash = loop->row_hash[i]};
      rec->has_event_time = row_event_time(def, res->batch, i, &rec->event_time_ms);
    }
    /* after the sort part_count[k] is partition k's end; its start is part_count[k-1] */
    uint32_t start = 0;
    srv_pending *p = pending_of(er);
    for (uint32_t k = 0; k < nparts; k++) {
      uint32_t end = loop->part_count[k];
      if (end > start && append_chunked(p, &many, ls, k, loop->recs + start, end - start)) break;
      start = end;
    }
  }
  if (many.count || many.rc) submit_appends(pending_of(er), &many);
}

static int stream_index(const fl_ingest *ing, h2o_iovec_t name) {
  for (uint32_t i = 0; i < ing->nstreams; i++) {
    const char *sn = ing->streams[i].ps->name;
    if (strlen(sn) == name.len && !memcmp(sn, name.base, name.len)) return (int)i;
  }
  return -1;
}

int srv_events_post(void *ctx, fl_http_loop *hloop, h2o_req_t *req, const fl_http_match *m) {
  fl_ingest *ing = ctx;
  srv_loop *loop = &ing->loops[fl_http_loop_index(hloop)];
  const fl_project *proj = ing->proj;
  h2o_iovec_t name = m->values[0];
  if (name.len > FL_NAME_MAX) return fl_http_send_error(req, 404, 40401, "stream name too long");
  int si = stream_index(ing, name);
  if (si < 0)
    return fl_http_send_error(req, 404, 40401, "stream '%.*s' does not exist", (int)name.len, name.base);

  if (req->entity.len > proj->max_body_bytes)
    return fl_http_send_error(req, 413, 41301, "the body is %zu bytes, over the limit of %llu",
                              req->entity.len, (unsigned long long)proj->max_body_bytes);
  const char *body = req->entity.base ? req->entity.base : "";
  size_t len = req->entity.len;
  int enc = content_encoding(req);
  if (enc == ENC_UNKNOWN)
    return fl_http_send_error(req, 415, 41501,
                              "Content-Encoding is not one of gzip, deflate, zstd, identity");
  if (enc != ENC_IDENTITY) {
    uint64_t max_decoded = proj->max_decoded_bytes ? proj->max_decoded_bytes : proj->max_body_bytes;
    fl_buf_clear(&loop->inflated);
    int st = enc == ENC_ZLIB ? inflate_zlib(body, len, max_decoded, &loop->inflated)
                             : inflate_zstd(loop->zstd, body, len, max_decoded, &loop->inflated);
    if (st) scratch_trim(loop);
    if (st == 413)
      return fl_http_send_error(req, 413, 41302, "the decompressed body is over the limit of %llu bytes",
                                (unsigned long long)max_decoded);
    if (st)
      return fl_http_send_error(req, 400, 40002, "the body is not valid %s data",
                                enc == ENC_ZLIB ? "gzip/deflate" : "zstd");
    body = loop->inflated.len ? (const char *)loop->inflated.data : "";
    len = loop->inflated.len;
  }

  /* back-pressure: the log is behind; refuse before parsing */
  fl_log_stats st;
  fl_log_stats_get(ing->log, &st);
  if (st.queued_bytes > proj->max_pending_bytes) {
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
    return fl_http_send_error(req, 503, 50301, "the event log is behind (%llu bytes queued); retry later",
                              (unsigned long long)st.queued_bytes);
  }

  /* request id "<server start, hex>-<loop>-<seq>" (in the pool: h2o keeps the pointer) */
  events_req er = {.loop = loop, .ss = &ing->streams[si], .req = req};
  fl_buf *resp = &loop->resp;
  fl_buf_clear(resp);
  fl_buf_append(resp, loop->rid_prefix, loop->rid_prefix_len);
  put_u64(resp, ++loop->seq);
  er.rid = h2o_strdup(&req->pool, (const char *)resp->data, resp->len);
  h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, er.rid.base,
                        er.rid.len);

  fl_json_parser *parser = loop->parsers[si];
  fl_contract *contract = loop->contracts[si];
  fl_buf_clear(&loop->errors);
  size_t i0 =
      len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3) ? 3 : 0; /* a UTF-8 BOM, skipped as the parser does */
  while (i0 < len && (body[i0] == ' ' || body[i0] == '\t' || body[i0] == '\r' || body[i0] == '\n')) i0++;
  bool array = i0 < len && body[i0] == '[' && !content_type_ndjson(req);
  /* an NDJSON piece after the first may begin with a line starting '[': still a line */
  fl_json_parser_set_ndjson_only(parser, !array);
  uint64_t line_base = 0;
  for (size_t off = 0; off < len && !er.cut_line;) {
    /* a piece: NDJSON lines in place; array elements copied into "[...]" (loop->piece) */
    const char *text = body + off;
    size_t end, tlen, nelems = 0;
    if (!array) {
      end = srv_piece_end(body, off, len, FL_INGEST_CHUNK_BYTES);
      tlen = end - off;
    } else if (len - off <= FL_INGEST_CHUNK_BYTES && off == 0) {
      end = tlen = len; /* a small array: parsed in place, as sent */
    } else {
      size_t from = off ? off : i0 + 1; /* after '[' or after the ',' that ended the last piece */
      uint32_t n = 0;
      size_t stop = srv_array_scan(body, from, len, FL_INGEST_CHUNK_BYTES, &n);
      bool last = stop == SIZE_MAX || body[stop] == ']';
      fl_buf *pb = &loop->piece;
      fl_buf_clear(pb);
      fl_buf_put_u8(pb, '[');
      fl_buf_append(pb, body + from,
                    (last ? len : stop) - from); /* the last keeps its ']' and what follows */
      if (!last) fl_buf_put_u8(pb, ']');
      text = (const char *)pb->data;
      tlen = pb->len;
      end = last ? len : stop + 1;
      nelems = n;
    }
    fl_json_result res;
    fl_err err = {0};
    if (fl_json_parse(parser, text, tlen, &res, &err) ||
        (contract && fl_contract_check(contract, parser, &res, text, &err))) {
      if (er.p) break; /* pieces before were stored: answer what was */
      scratch_trim(loop);
      return fl_http_send_error(req, 413, 41303, "%s", err.msg);
    }
    store_piece(&er, text, &res, line_base);
    if (er.p && atomic_load(&er.p->rc) != FL_OK) break;
    if (end < len) line_base += array ? nelems : count_lines(text, tlen);
    off = end;
  }

  /* the answer, built now, sent when durable */
  fl_buf_clear(resp);
  if (er.cut_line) {
    fl_buf_puts(resp, "{\"error_code\":41304,\"message\":\"the request was cut at line ");
    put_u64(resp, er.cut_line);
    fl_buf_puts(resp, " (over the limit of ");
    put_u64(resp, strcmp(er.cut_why, "rejected records") ? proj->max_quarantine_bytes : proj->max_rejects);
    fl_buf_puts(resp, " ");
    fl_buf_puts(resp, er.cut_why);
    fl_buf_puts(resp, " per request); the lines before it are stored as counted, resend from it\",");
  } else {
    fl_buf_put_u8(resp, '{');
  }
  fl_buf_puts(resp, "\"accepted\":");
  put_u64(resp, er.accepted);
  fl_buf_puts(resp, ",\"rejected\":");
  put_u64(resp, er.rejected);
  if (er.unknown_fields) { /* fields not in the schema, ignored (only when there are some) */
    fl_buf_puts(resp, ",\"unknown_fields\":");
    put_u64(resp, er.unknown_fields);
  }
  fl_buf_puts(resp, ",\"errors\":[");
  fl_buf_append(resp, loop->errors.data, loop->errors.len);
  fl_buf_puts(resp, "]");
  if (er.listed < er.rejected) {
    fl_buf_puts(resp, ",\"errors_not_listed\":");
    put_u64(resp, er.rejected - er.listed);
  }
  if (er.cut_line) {
    fl_buf_puts(resp, ",\"cut_at_line\":");
    put_u64(resp, er.cut_line);
  }
  fl_buf_puts(resp, ",\"request_id\":");
  fl_http_json_str(resp, er.rid.base, er.rid.len);
  fl_buf_puts(resp, "}\n");
  int status = er.cut_line ? 413 : (er.rejected > 0 && er.accepted == 0) ? 400 : 200;
  if (!er.p) { /* nothing to store */
    fl_http_send_json(req, status, (const char *)resp->data, resp->len);
    scratch_trim(loop);
    return 0;
  }
  srv_pending *p = er.p;
  p->status = status;
  p->ss = er.ss;
  p->accepted = er.accepted;
  p->rejected = er.rejected;
  p->accepted_bytes = er.accepted_bytes;
  p->rejected_bytes = er.rejected_bytes;
  p->unknown_fields = er.unknown_fields;
  p->body_len = resp->len;
  p->body = resp->len <= SRV_PENDING_BODY_CAP ? p->small : fl_malloc(resp->len);
  memcpy(p->body, resp->data, resp->len);
  scratch_trim(loop);
  release(p, true);
  return 0;
}
