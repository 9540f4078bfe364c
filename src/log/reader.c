/* reader: reading a partition of the event log from any offset (log.h).
 *
 * A reader holds its own fd on one segment at a time and a read window (rbuf). To
 * find an offset it binary-searches the partition's segments by base offset, then
 * starts at the segment's nearest sparse-index entry (or byte 0 for an old segment
 * not indexed since open) and walks batch headers, skipping whole batches below the
 * wanted offset without reading or checking their payload. Each batch it returns
 * records from is checked (CRC, framing) first.
 *
 * Durability: before each batch the reader takes the segment's durable size under
 * part->mu; bytes past it (written but not yet fsynced, or a torn tail) are never
 * read. When it reaches the durable end of a sealed segment it moves to the next
 * one; at the end of the active one it reports eof (a later call may find more).
 * A segment deleted by retention under a reader is skipped (its records are gone).
 *
 * Batches: the reader works a batch at a time. Each batch it returns records from is
 * checked and, if compressed, decompressed once into the reader's scratch; the walk
 * that checks its record framing fills the scratch's entry array (grown, reused) with
 * views of its records. fl_log_reader_next_batch
 * hands out the rest of that array as one view; fl_log_reader_next one entry of it.
 * Records below the reader's offset (opened mid-batch) are skipped in the array.
 *
 * Ownership: the reader owns its fd, read window, scratch and entry array; returned
 * values point into them, valid until the next call. Entry points:
 * fl_log_reader_open/next/next_batch/close. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "log/log_int.h"

struct fl_log_reader {
  fl_log_stream *ls;
  log_partition *part;
  uint64_t next; /* next offset to return */
  int fd;        /* current segment, -1 if none */
  char *path;
  uint64_t seg_base;
  uint64_t pos;    /* file position of the next batch */
  uint64_t expect; /* base offset of the batch at pos */
  rbuf rb;
  log_scratch scratch; /* the current batch: decompressed payload, records (ents) */
  fl_log_entry *ents;  /* = scratch.ents once a batch is loaded */
  uint32_t nents;
  uint32_t ei;              /* next entry to return */
  fl_log_batch_view view;   /* the current batch's fields (records, count unset) */
  fl_log_damage_fn skip_fn; /* fl_log_reader_skip_damaged: skip damage, report it here */
  void *skip_ctx;
  bool skip;
  bool heads_only; /* fl_log_reader_heads_only */
};

void fl_log_reader_heads_only(fl_log_reader *rd) { rd->heads_only = true; }

void fl_log_reader_skip_damaged(fl_log_reader *rd, fl_log_damage_fn fn, void *ctx) {
  rd->skip = true;
  rd->skip_fn = fn;
  rd->skip_ctx = ctx;
}

/* Damage met at byte pos (offset rd->expect) of the current segment: FL_ECORRUPT, or
 * with skip on, reports the range up to the next valid batch (or the segment's end
 * when sealed) and moves there. */
static fl_code reader_damage(fl_log_reader *rd, uint64_t pos, uint64_t limit, bool sealed, uint64_t seg_end,
                             const char *why, fl_err *err) {
  const char *stream = rd->ls->name;
  uint32_t partition = rd->part->id;
  if (!rd->skip)
    return fl_err_set(err, FL_ECORRUPT,
                      "stream %s partition %u: %s: damaged batch at byte %" PRIu64 " (offset %" PRIu64
                      "): %s",
                      stream, partition, rd->path, pos, rd->expect, why);
  uint64_t q, b;
  int found = fl_log_resync(&rd->rb, pos + 1, limit, rd->expect, &q, &b);
  if (found < 0) return fl_err_errno(err, errno, "%s: read at byte %" PRIu64, rd->path, pos);
  if (!found && !sealed)
    return fl_err_set(err, FL_ECORRUPT,
                      "stream %s partition %u: %s: damaged batch at byte %" PRIu64 " (offset %" PRIu64
                      "): %s, and no valid batch after it yet",
                      stream, partition, rd->path, pos, rd->expect, why);
  if (!found) {
    q = limit;
    b = seg_end > rd->expect ? seg_end : rd->expect;
  }
  fl_log_damage d = {.stream = stream,
                     .partition = partition,
                     .file = rd->path,
                     .pos = pos,
                     .end_pos = q,
                     .offset = rd->expect,
                     .end_offset = b,
                     .why = why};
  if (rd->skip_fn) rd->skip_fn(rd->skip_ctx, &d);
  rd->pos = q;
  rd->expect = b;
  if (rd->next < b) rd->next = b;
  return FL_OK;
}

/* A reader wants offset rd->next, which no segment holds (segments [.., end) then
 * [next_base, ..)): FL_ECORRUPT naming the gap, or with skip on, report and jump. */
static fl_code reader_gap(fl_log_reader *rd, uint64_t end, uint64_t next_base, fl_err *err) {
  char *path = fl_log_segment_path(rd->part, next_base);
  fl_code rc = FL_OK;
  if (!rd->skip) {
    rc = fl_err_set(err, FL_ECORRUPT,
                    "stream %s partition %u: offsets %" PRIu64 "..%" PRIu64
                    " are missing: the segment before %s "
                    "ends at %" PRIu64,
                    rd->ls->name, rd->part->id, end, next_base, path, end);
  } else {
    fl_log_damage d = {.stream = rd->ls->name,
                       .partition = rd->part->id,
                       .file = path,
                       .offset = end,
                       .end_offset = next_base,
                       .why = "offsets missing between segment files"};
    if (rd->skip_fn) rd->skip_fn(rd->skip_ctx, &d);
    if (rd->next < next_base) rd->next = next_base;
  }
  fl_free(path);
  return rc;
}

fl_code fl_log_reader_open(fl_log_stream *ls, uint32_t partition, uint64_t from_offset, fl_log_reader **out,
                           fl_err *err) {
  *out = NULL;
  if (partition >= ls->npartitions)
    return fl_err_set(err, FL_EINVAL, "stream %s: partition %u out of range (0..%u)", ls->name, partition,
                      ls->npartitions - 1);
  fl_log_reader *rd = fl_calloc(1, sizeof *rd);
  rd->ls = ls;
  rd->part = &ls->parts[partition];
  rd->next = from_offset;
  rd->fd = -1;
  rbuf_init(&rd->rb, -1);
  *out = rd;
  return FL_OK;
}

static void reader_drop_segment(fl_log_reader *rd) {
  if (rd->fd >= 0) close(rd->fd);
  rd->fd = -1;
  rbuf_free(&rd->rb);
  fl_free(rd->path);
  rd->path = NULL;
  rd->nents = rd->ei = 0;
}

void fl_log_reader_close(fl_log_reader *rd) {
  if (!rd) return;
  reader_drop_segment(rd);
  fl_log_scratch_free(&rd->scratch);
  fl_free(rd);
}

/* Last segment with base <= offset; part->mu held; nsegs > 0. */
static uint32_t segment_find(const log_partition *part, uint64_t offset) {
  uint32_t lo = 0, hi = part->nsegs;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (part->segs[mid].base <= offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo ? lo - 1 : 0;
}

/* Opens the segment holding rd->next; *eof if there is no durable record there yet. */
static fl_code reader_locate(fl_log_reader *rd, bool *eof, fl_err *err) {
  log_partition *part = rd->part;
  for (int attempt = 0;; attempt++) {
    uint64_t base, pos = 0, expect;
    pthread_mutex_lock(&part->mu);
    if (part->nsegs == 0 || rd->next >= part->segs[part->nsegs - 1].end_offset) {
      if (part->nsegs && rd->next < part->segs[0].base) rd->next = part->segs[0].base;
      pthread_mutex_unlock(&part->mu);
      *eof = true;
      return FL_OK;
    }
    if (rd->next < part->segs[0].base) rd->next = part->segs[0].base;
    uint32_t si = segment_find(part, rd->next);
    const segment *seg = &part->segs[si];
    if (rd->next >= seg->end_offset && si + 1 < part->nsegs) { /* in a gap between segment files */
      uint64_t end = seg->end_offset, next_base = part->segs[si + 1].base;
      pthread_mutex_unlock(&part->mu);
      fl_code rc = reader_gap(rd, end, next_base, err);
      if (rc) return rc;
      continue;
    }
    base = expect = seg->base;
    if (seg->indexed && seg->nidx) { /* nearest index entry at or before rd->next */
      uint32_t lo = 0, hi = seg->nidx;
      while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (seg->idx[mid].offset <= rd->next)
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo) {
        pos = seg->idx[lo - 1].pos;
        expect = seg->idx[lo - 1].offset;
      }
    }
    pthread_mutex_unlock(&part->mu);
    char *path = fl_log_segment_path(part, base);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if (e == ENOENT && attempt < 100) { /* deleted by retention meanwhile: look again */
        fl_free(path);
        continue;
      }
      fl_code rc = fl_err_errno(err, e, "%s: open segment", path);
      fl_free(path);
      return rc;
    }
    rd->fd = fd;
    rd->path = path;
    rd->seg_base = base;
    rd->pos = pos;
    rd->expect = expect;
    rbuf_init(&rd->rb, fd);
    return FL_OK;
  }
}

/* Loads the next durable batch holding records at or after rd->next into rd->ents
 * (rd->ei = its first wanted record); *eof when there is none now. */
static fl_code reader_load_batch(fl_log_reader *rd, bool *eof, fl_err *err) {
  log_partition *part = rd->part;
  for (;;) {
    if (rd->fd < 0) {
      fl_code rc = reader_locate(rd, eof, err);
      if (rc || *eof) return rc;
    }
    uint64_t limit = 0, seg_end = 0, next_base = 0;
    bool found = false, sealed = false;
    pthread_mutex_lock(&part->mu);
    if (part->nsegs) {
      uint32_t i = segment_find(part, rd->seg_base);
      if (part->segs[i].base == rd->seg_base) {
        found = true;
        limit = part->segs[i].bytes;
        seg_end = part->segs[i].end_offset;
        sealed = i + 1 < part->nsegs;
        if (sealed) next_base = part->segs[i + 1].base;
      }
    }
    pthread_mutex_unlock(&part->mu);
    if (!found) { /* removed by retention */
      reader_drop_segment(rd);
      continue;
    }
    if (rd->pos >= limit) {
      if (!sealed) {
        *eof = true;
        return FL_OK;
      }
      if (rd->expect != seg_end)
        return fl_err_set(err, FL_ECORRUPT,
                          "stream %s partition %u: %s: ends at offset %" PRIu64 ", expected %" PRIu64,
                          rd->ls->name, part->id, rd->path, rd->expect, seg_end);
      if (rd->next < seg_end) rd->next = seg_end;
      reader_drop_segment(rd);
      if (next_base > seg_end && rd->next < next_base) {
        fl_code rc = reader_gap(rd, seg_end, next_base, err);
        if (rc) return rc;
      }
      continue;
    }
    const unsigned char *hdr, *payload;
    int got = rbuf_get(&rd->rb, rd->pos, FL_LOG_BATCH_HEADER_BYTES, limit, &hdr);
    if (got < 0) return fl_err_errno(err, errno, "%s: read at byte %" PRIu64, rd->path, rd->pos);
    const char *why =
        got ? fl_log_batch_header_check(hdr, rd->expect) : "batch header cut short by the segment end";
    if (why) {
      fl_code rc = reader_damage(rd, rd->pos, limit, sealed, seg_end, why, err);
      if (rc) return rc;
      continue;
    }
    unsigned char h[FL_LOG_BATCH_HEADER_BYTES];
    memcpy(h, hdr, sizeof h);
    uint32_t count = fl_log_get32(h + FL_LOG_OFF_COUNT), len = fl_log_get32(h + FL_LOG_OFF_PAYLOAD_LEN);
    uint64_t batch_pos = rd->pos;
    rd->pos += FL_LOG_BATCH_HEADER_BYTES + (uint64_t)len;
    uint64_t boff = rd->expect;
    rd->expect += count;
    if (rd->expect <= rd->next) continue; /* wholly below the wanted offset: skip unread */
    got = rbuf_get(&rd->rb, batch_pos + FL_LOG_BATCH_HEADER_BYTES, len, limit, &payload);
    if (got < 0) return fl_err_errno(err, errno, "%s: read at byte %" PRIu64, rd->path, batch_pos);
    rd->nents = rd->ei = 0; /* the decode overwrites the entries */
    if (!got || (why = fl_log_batch_body_decode(h, payload, &rd->scratch, boff, true, !rd->heads_only))) {
      rd->pos = batch_pos;
      rd->expect = boff;
      fl_code rc = reader_damage(rd, batch_pos, limit, sealed, seg_end,
                                 why ? why : "cut short by the segment end", err);
      if (rc) return rc;
      continue;
    }
    rd->ents = rd->scratch.ents;
    rd->nents = count;
    rd->ei = rd->next > boff ? (uint32_t)(rd->next - boff) : 0;
    uint16_t version = fl_log_get16(h + FL_LOG_OFF_VERSION);
    fl_log_codec codec =
        version == FL_LOG_BATCH_VERSION_1
            ? FL_LOG_CODEC_NONE
            : (fl_log_codec)(fl_log_get16(h + FL_LOG_OFF_FLAGS) & FL_LOG_FLAG_COMPRESSION_MASK);
    rd->view = (fl_log_batch_view){
        .append_time_ms = (int64_t)fl_log_get64(h + FL_LOG_OFF_TIME),
        .version = version,
        .compressed = codec != FL_LOG_CODEC_NONE,
        .codec = codec,
        .stored_bytes = FL_LOG_BATCH_HEADER_BYTES + len,
        .raw_bytes = FL_LOG_BATCH_HEADER_BYTES +
                     (version == FL_LOG_BATCH_VERSION_1 ? len : fl_log_get32(h + FL_LOG_OFF_RAW_LEN))};
    return FL_OK;
  }
}

fl_code fl_log_reader_next_batch(fl_log_reader *rd, fl_log_batch_view *out, bool *eof, fl_err *err) {
  *eof = false;
  while (rd->ei < rd->nents && rd->ents[rd->ei].offset < rd->next) rd->ei++;
  if (rd->ei >= rd->nents) {
    fl_code rc = reader_load_batch(rd, eof, err);
    if (rc || *eof) return rc;
  }
  FL_ASSERT(rd->ei < rd->nents, "reader at %" PRIu64, rd->next);
  *out = rd->view;
  out->base_offset = rd->ents[rd->ei].offset;
  out->count = rd->nents - rd->ei;
  out->records = rd->ents + rd->ei;
  rd->ei = rd->nents;
  rd->next = rd->ents[rd->nents - 1].offset + 1;
  return FL_OK;
}

fl_code fl_log_reader_next(fl_log_reader *rd, fl_log_entry *out, bool *eof, fl_err *err) {
  *eof = false;
  while (rd->ei < rd->nents && rd->ents[rd->ei].offset < rd->next) rd->ei++;
  if (rd->ei >= rd->nents) {
    fl_code rc = reader_load_batch(rd, eof, err);
    if (rc || *eof) return rc;
  }
  *out = rd->ents[rd->ei++];
  rd->next = out->offset + 1;
  return FL_OK;
}
