/* cmd_log: `floe log STREAM [--partition P] [--from OFFSET] [--limit N] [--format ndjson|text]`
 *          `floe log STREAM --stat [--format text|ndjson]`
 *          `floe log STREAM --append FILE|- [--partition P] [--partitions N]`   (admin/tests)
 *
 * Prints what the event log (src/log) holds, so anyone can check it: the records of
 * one partition (--partition) or of all, in partition then offset order, as NDJSON
 *   {"partition":0,"offset":41,"time":"2026-11-25T15:04:39.123Z","value":{...}}
 * (time: when the batch was appended), with, between time and value, the record's
 * log metadata where it has some (records `floe serve` accepted; never version-1 ones):
 *   "event_time":"2026-11-25T10:00:01.000Z"   its WATERMARK column's value
 *   "key_hash":"9f86d081884c7d65"            the partitioner's hash of its key (hex)
 *   "contract_version":2                     the stream contract that accepted it
 * where value is the record's bytes as JSON if they parse as JSON (written as stored,
 * line breaks between tokens turned into spaces), else as a JSON string (invalid
 * UTF-8 as U+FFFD). --format text prints "P<TAB>OFFSET<TAB>TIME<TAB>VALUE" lines.
 * --stat prints per partition its durable start and end offsets, records, bytes (as
 * stored, batches compressed), raw_bytes (the same batches uncompressed), segments
 * and its batches per codec (text "zstd=3,lz4=1"; ndjson
 * "batches":{"none":0,"zstd":3,"lz4":1}: streams choose theirs, log_compression),
 * then per named consumer of the stream (log.h: the quarantine copy is the
 * consumer "quarantine" of "<stream>.quarantine") and partition its committed offset
 * and lag (end - committed):
 *   text:    a second table "consumer partition committed lag" after the total line
 *   ndjson:  {"consumer":"quarantine","partition":0,"committed":7,"lag":3}
 * The consumer files are read as they are on disk when the command runs. The log
 * is DIR/log (DIR = --data); it is opened read-only, so this runs
 * beside a live `floe serve` and sees what is durable.
 *
 * --verify checks every batch (CRC, framing, offset sequence) of every segment of the
 * stream (or of --partition) and the contiguity of its segment files, read-only beside
 * a live server, and prints each damaged range as
 *   damaged: stream S partition P file F bytes A..B offsets X..Y: REASON
 * (--format ndjson: one JSON object per range); exit 1 if any. Reading (the default)
 * stops at damage with an error naming it; --skip-damaged goes on past each damaged
 * range to the next valid batch, naming each skipped range on stderr.
 *
 * --append (for tests and operators) appends each non-empty line of FILE as one
 * record, 1,000 per batch, creating the stream with --partitions N (default 1); it
 * needs the log to itself (FL_ECONFLICT while serve runs).
 *
 * Memory: one output buffer, reused per record; jansson checks each value. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "log/log.h"

int fl_cli_cmd_log(fl_cli *cli, int argc, char **argv);

enum { APPEND_BATCH = 1000 };

typedef struct log_opts {
  const char *stream;
  bool has_partition;
  uint64_t partition;
  uint64_t from;
  bool has_limit;
  uint64_t limit;
  const char *format;
  bool stat;
  bool verify, skip_damaged;
  const char *append;
  uint64_t partitions;
} log_opts;

static int parse_args(int argc, char **argv, log_opts *o) {
  const char *v;
  fl_err err = {0};
  o->partitions = 1;
  for (int i = 1; i < argc; i++) {
    int m;
    if ((m = fl_cli_opt(argc, argv, &i, "--data", &v))) {
      if (m < 0) return FL_CLI_USAGE;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--partitions", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--partitions", v, &o->partitions, &err))
        return fl_cli_usage("log", "%s", err.msg);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--partition", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--partition", v, &o->partition, &err)) return fl_cli_usage("log", "%s", err.msg);
      o->has_partition = true;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--from", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--from", v, &o->from, &err)) return fl_cli_usage("log", "%s", err.msg);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--limit", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--limit", v, &o->limit, &err)) return fl_cli_usage("log", "%s", err.msg);
      o->has_limit = true;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--format", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (strcmp(v, "ndjson") && strcmp(v, "text"))
        return fl_cli_usage("log", "--format: expected ndjson or text, found \"%s\"", v);
      o->format = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--append", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      o->append = v;
    } else if (fl_cli_flag(argv, i, "--stat")) {
      o->stat = true;
    } else if (fl_cli_flag(argv, i, "--verify")) {
      o->verify = true;
    } else if (fl_cli_flag(argv, i, "--skip-damaged")) {
      o->skip_damaged = true;
    } else if (fl_cli_is_option(argv[i])) {
      return fl_cli_usage("log", "unknown option %s", argv[i]);
    } else if (!o->stream) {
      o->stream = argv[i];
    } else {
      return fl_cli_usage("log", "unexpected argument '%s'", argv[i]);
    }
  }
  if (!o->stream) return fl_cli_usage("log", "which stream? give STREAM");
  if ((o->stat != 0) + (o->append != NULL) + (o->verify != 0) > 1)
    return fl_cli_usage("log", "give one of --stat, --verify and --append");
  if (o->partitions == 0 || o->partitions > 100000)
    return fl_cli_usage("log", "--partitions: expected 1 to 100000");
  return FL_CLI_OK;
}

/* ---------------------------------------------------------------- output */

/* Appends bytes as a JSON string: escapes, invalid UTF-8 bytes as U+FFFD. */
static void put_json_string(fl_buf *out, const unsigned char *s, size_t n) {
  fl_buf_put_u8(out, '"');
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c == '"' || c == '\\') {
      fl_buf_put_u8(out, '\\');
      fl_buf_put_u8(out, c);
      i++;
    } else if (c < 0x20) {
      const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
      if (esc)
        fl_buf_puts(out, esc);
      else
        fl_buf_printf(out, "\\u%04x", c);
      i++;
    } else if (c < 0x80) {
      fl_buf_put_u8(out, c);
      i++;
    } else {
      size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
      bool ok = len && c < 0xF5 && i + len <= n;
      uint32_t cp = ok ? (uint32_t)(c & (0x7F >> len)) : 0;
      for (size_t k = 1; ok && k < len; k++) {
        if ((s[i + k] & 0xC0) != 0x80) ok = false;
        cp = (cp << 6) | (s[i + k] & 0x3F);
      }
      if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
                 (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
        ok = false;
      if (ok) {
        fl_buf_append(out, s + i, len);
        i += len;
      } else {
        fl_buf_puts(out, "\\ufffd");
        i++;
      }
    }
  }
  fl_buf_put_u8(out, '"');
}

/* The value as JSON if it is JSON (line breaks between tokens become spaces: a JSON
 * text holds no raw control character inside a string), else as a JSON string. */
static void put_value(fl_buf *out, const void *value, size_t n) {
  json_error_t jerr;
  json_t *j = n ? json_loadb(value, n, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr) : NULL;
  if (!j) {
    put_json_string(out, value, n);
    return;
  }
  json_decref(j);
  const unsigned char *s = value;
  size_t b = 0, e = n;
  while (b < e && (s[b] == ' ' || s[b] == '\n' || s[b] == '\r' || s[b] == '\t')) b++;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\n' || s[e - 1] == '\r' || s[e - 1] == '\t')) e--;
  for (size_t i = b; i < e; i++)
    fl_buf_put_u8(out, s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i]);
}

static void put_text_value(fl_buf *out, const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n')
      fl_buf_puts(out, "\\n");
    else if (s[i] == '\t')
      fl_buf_puts(out, "\\t");
    else if (s[i] == '\\')
      fl_buf_puts(out, "\\\\");
    else
      fl_buf_put_u8(out, s[i]);
  }
}

static void print_skipped(void *ctx, const fl_log_damage *d) {
  (void)ctx;
  fprintf(stderr,
          "floe log: skipped damaged range: stream %s partition %u file %s bytes %" PRIu64 "..%" PRIu64
          " offsets %" PRIu64 "..%" PRIu64 ": %s\n",
          d->stream, d->partition, d->file, d->pos, d->end_pos, d->offset, d->end_offset, d->why);
}

typedef struct verify_out {
  bool ndjson;
  fl_buf *out;
} verify_out;

static void print_damage(void *ctx, const fl_log_damage *d) {
  verify_out *v = ctx;
  if (!v->ndjson) {
    printf("damaged: stream %s partition %u file %s bytes %" PRIu64 "..%" PRIu64 " offsets %" PRIu64
           "..%" PRIu64 ": %s\n",
           d->stream, d->partition, d->file, d->pos, d->end_pos, d->offset, d->end_offset, d->why);
    return;
  }
  fl_buf_clear(v->out);
  fl_buf_puts(v->out, "{\"stream\":");
  put_json_string(v->out, (const unsigned char *)d->stream, strlen(d->stream));
  fl_buf_printf(v->out, ",\"partition\":%u,\"file\":", d->partition);
  put_json_string(v->out, (const unsigned char *)d->file, strlen(d->file));
  fl_buf_printf(v->out,
                ",\"pos\":%" PRIu64 ",\"end_pos\":%" PRIu64 ",\"offset\":%" PRIu64 ",\"end_offset\":%" PRIu64
                ",\"reason\":",
                d->pos, d->end_pos, d->offset, d->end_offset);
  put_json_string(v->out, (const unsigned char *)d->why, strlen(d->why));
  fl_buf_puts(v->out, "}\n");
  fwrite(v->out->data, 1, v->out->len, stdout);
}

/* --verify: every partition (or --partition); *damaged counts the ranges printed. */
static fl_code verify_stream(fl_log_stream *ls, const log_opts *o, fl_buf *out, uint64_t *damaged,
                             fl_err *err) {
  verify_out v = {.ndjson = o->format && !strcmp(o->format, "ndjson"), .out = out};
  uint32_t np = fl_log_stream_npartitions(ls);
  *damaged = 0;
  for (uint32_t p = 0; p < np; p++) {
    if (o->has_partition && p != o->partition) continue;
    uint64_t n;
    fl_code rc = fl_log_verify(ls, p, print_damage, &v, &n, err);
    if (rc) return rc;
    *damaged += n;
  }
  return FL_OK;
}

static fl_code print_partition(fl_log_stream *ls, uint32_t p, const log_opts *o, uint64_t *printed,
                               fl_buf *out, fl_err *err) {
  fl_log_reader *rd;
  fl_code rc = fl_log_reader_open(ls, p, o->from, &rd, err);
  if (rc) return rc;
  if (o->skip_damaged) fl_log_reader_skip_damaged(rd, print_skipped, NULL);
  bool text = o->format && !strcmp(o->format, "text");
  for (;;) {
    if (o->has_limit && *printed >= o->limit) break;
    fl_log_entry e;
    bool eof;
    if ((rc = fl_log_reader_next(rd, &e, &eof, err))) {
      fl_err_prefix(err, "stream %s partition %u: ", fl_log_stream_name(ls), p);
      break;
    }
    if (eof) break;
    char ts[FL_TS_TEXT_MAX];
    fl_ts_format(e.append_time_ms * 1000, ts);
    fl_buf_clear(out);
    if (text) {
      fl_buf_printf(out, "%u\t%" PRIu64 "\t%s\t", p, e.offset, ts);
      put_text_value(out, e.value, e.value_len);
    } else {
      fl_buf_printf(out, "{\"partition\":%u,\"offset\":%" PRIu64 ",\"time\":\"%s\",", p, e.offset, ts);
      if (e.has_event_time) {
        fl_ts_format(e.event_time_ms * 1000, ts);
        fl_buf_printf(out, "\"event_time\":\"%s\",", ts);
      }
      if (e.key_hash) fl_buf_printf(out, "\"key_hash\":\"%016" PRIx64 "\",", e.key_hash);
      if (e.contract_version) fl_buf_printf(out, "\"contract_version\":%" PRIu32 ",", e.contract_version);
      fl_buf_puts(out, "\"value\":");
      put_value(out, e.value, e.value_len);
      fl_buf_put_u8(out, '}');
    }
    fl_buf_put_u8(out, '\n');
    if (fwrite(out->data, 1, out->len, stdout) != out->len) {
      rc = fl_err_errno(err, errno, "writing the output");
      break;
    }
    (*printed)++;
  }
  fl_log_reader_close(rd);
  return rc;
}

/* Each consumer's committed offset and lag per partition (after the partition table). */
static fl_code print_consumers(fl_log_stream *ls, const log_opts *o, fl_err *err) {
  bool ndjson = o->format && !strcmp(o->format, "ndjson");
  uint32_t np = fl_log_stream_npartitions(ls);
  char **names;
  uint32_t n;
  fl_code rc = fl_log_consumer_list(ls, &names, &n, err);
  if (rc) return rc;
  uint64_t *off = fl_malloc(np * sizeof *off);
  if (n && !ndjson) printf("\n%-24s %9s %20s %20s\n", "consumer", "partition", "committed", "lag");
  for (uint32_t i = 0; i < n && !rc; i++) {
    if ((rc = fl_log_consumer_load(ls, names[i], off, err))) break;
    for (uint32_t p = 0; p < np; p++) {
      if (o->has_partition && p != o->partition) continue;
      uint64_t start, end;
      fl_log_partition_offsets(ls, p, &start, &end);
      uint64_t lag = end > off[p] ? end - off[p] : 0;
      if (ndjson)
        printf("{\"consumer\":\"%s\",\"partition\":%u,\"committed\":%" PRIu64 ",\"lag\":%" PRIu64 "}\n",
               names[i], p, off[p], lag);
      else
        printf("%-24s %9u %20" PRIu64 " %20" PRIu64 "\n", names[i], p, off[p], lag);
    }
  }
  fl_free(off);
  fl_log_names_free(names, n);
  return rc;
}

/* The batches of each codec that has some, "zstd=4,lz4=2" ("-" for none at all). */
static const char *batches_text(char *buf, size_t cap, const uint64_t batches[FL_LOG_CODECS]) {
  size_t used = 0;
  buf[0] = 0;
  for (int c = 0; c < FL_LOG_CODECS; c++)
    if (batches[c] && used < cap)
      used += (size_t)snprintf(buf + used, cap - used, "%s%s=%" PRIu64, used ? "," : "",
                               fl_log_codec_name((fl_log_codec)c), batches[c]);
  return used ? buf : "-";
}

static fl_code print_stat(fl_log_stream *ls, const log_opts *o, fl_err *err) {
  bool ndjson = o->format && !strcmp(o->format, "ndjson");
  uint32_t np = fl_log_stream_npartitions(ls);
  if (!ndjson)
    printf("%-9s %20s %20s %20s %16s %16s %8s  %s\n", "partition", "start", "end", "records", "bytes",
           "raw_bytes", "segments", "batches");
  uint64_t tot_records = 0, tot_bytes = 0, tot_raw = 0, tot_batches[FL_LOG_CODECS] = {0};
  char text[96];
  for (uint32_t p = 0; p < np; p++) {
    if (o->has_partition && p != o->partition) continue;
    fl_log_partition_stat st;
    fl_log_partition_stat_get(ls, p, &st);
    uint64_t stored, raw, batches[FL_LOG_CODECS] = {0};
    fl_code rc = fl_log_partition_sizes(ls, p, &stored, &raw, batches, err);
    if (rc) return rc;
    uint64_t records = st.end_offset - st.start_offset;
    tot_records += records;
    tot_bytes += st.bytes;
    tot_raw += raw;
    for (int c = 0; c < FL_LOG_CODECS; c++) tot_batches[c] += batches[c];
    if (ndjson)
      printf("{\"partition\":%u,\"start\":%" PRIu64 ",\"end\":%" PRIu64 ",\"records\":%" PRIu64
             ",\"bytes\":%" PRIu64 ",\"raw_bytes\":%" PRIu64 ",\"segments\":%u,\"batches\":{\"none\":%" PRIu64
             ",\"zstd\":%" PRIu64 ",\"lz4\":%" PRIu64 "}}\n",
             p, st.start_offset, st.end_offset, records, st.bytes, raw, st.segments,
             batches[FL_LOG_CODEC_NONE], batches[FL_LOG_CODEC_ZSTD], batches[FL_LOG_CODEC_LZ4]);
    else
      printf("%-9u %20" PRIu64 " %20" PRIu64 " %20" PRIu64 " %16" PRIu64 " %16" PRIu64 " %8u  %s\n", p,
             st.start_offset, st.end_offset, records, st.bytes, raw, st.segments,
             batches_text(text, sizeof text, batches));
  }
  if (!ndjson)
    printf("%-9s %20s %20s %20" PRIu64 " %16" PRIu64 " %16" PRIu64 " %8s  %s\n", "total", "", "", tot_records,
           tot_bytes, tot_raw, "", batches_text(text, sizeof text, tot_batches));
  return FL_OK;
}

/* ---------------------------------------------------------------- append */

static fl_code append_file(fl_log_stream *ls, const log_opts *o, fl_err *err) {
  fl_code rc = FL_OK;
  FILE *f = strcmp(o->append, "-") ? fopen(o->append, "rb") : stdin;
  if (!f) return fl_err_errno(err, errno, "%s", o->append);
  uint32_t p = o->has_partition ? (uint32_t)o->partition : 0;
  fl_log_record *recs = fl_calloc(APPEND_BATCH, sizeof *recs);
  char **lines = fl_calloc(APPEND_BATCH, sizeof *lines);
  uint32_t n = 0;
  uint64_t total = 0, first = UINT64_MAX, base;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  for (;;) {
    len = getline(&line, &cap, f);
    bool flush = len < 0 ? n > 0 : n == APPEND_BATCH;
    if (flush) {
      if ((rc = fl_log_append_sync(ls, p, recs, n, &base, err))) goto done;
      if (first == UINT64_MAX) first = base;
      total += n;
      for (uint32_t i = 0; i < n; i++) fl_free(lines[i]);
      n = 0;
    }
    if (len < 0) break;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    if (len == 0) continue;
    if ((size_t)len > FL_JSON_LINE_MAX) {
      rc = fl_err_set(err, FL_ELIMIT, "%s: a line of %zd bytes is over the limit of %u", o->append, len,
                      FL_JSON_LINE_MAX);
      goto done;
    }
    lines[n] = fl_strndup(line, (size_t)len);
    recs[n] = (fl_log_record){lines[n], (uint32_t)len};
    n++;
  }
  if (ferror(f)) {
    rc = fl_err_errno(err, errno, "%s: read", o->append);
    goto done;
  }
  if (total)
    printf("appended %" PRIu64 " records to %s partition %u at offsets %" PRIu64 "..%" PRIu64 "\n", total,
           fl_log_stream_name(ls), p, first, first + total - 1);
  else
    printf("appended 0 records to %s partition %u\n", fl_log_stream_name(ls), p);
done:
  for (uint32_t i = 0; i < n; i++) fl_free(lines[i]);
  free(line);
  fl_free(lines);
  fl_free(recs);
  if (f != stdin) fclose(f);
  return rc;
}

/* ---------------------------------------------------------------- command */

int fl_cli_cmd_log(fl_cli *cli, int argc, char **argv) {
  log_opts o = {0};
  int st = parse_args(argc, argv, &o);
  if (st) return st;
  fl_err err = {0};
  fl_code rc = FL_OK;
  fl_log *log = NULL;
  fl_log_stream *ls = NULL;
  fl_buf out = FL_BUF_INIT;
  char *dir = fl_sprintf("%s/log", cli->data_dir);
  fl_log_opts lopts = {.read_only = !o.append, .retention_check_ms = -1};
  if ((rc = fl_log_open(dir, &lopts, &log, &err))) goto done;
  if ((rc = fl_log_stream_open(log, o.stream, o.append ? (uint32_t)o.partitions : 0, &ls, &err))) {
    if (rc == FL_EINVAL && o.append) /* an existing stream: use its partition count */
      rc = fl_log_stream_open(log, o.stream, 0, &ls, &err);
    if (rc) goto done;
  }
  uint32_t np = fl_log_stream_npartitions(ls);
  if (o.has_partition && o.partition >= np) {
    rc = fl_err_set(&err, FL_EINVAL, "stream %s has partitions 0..%u, not %" PRIu64, o.stream, np - 1,
                    o.partition);
    goto done;
  }
  if (o.append) {
    rc = append_file(ls, &o, &err);
  } else if (o.stat) {
    if (!(rc = print_stat(ls, &o, &err))) rc = print_consumers(ls, &o, &err);
  } else if (o.verify) {
    uint64_t damaged;
    if (!(rc = verify_stream(ls, &o, &out, &damaged, &err)) && damaged) {
      rc = fl_err_set(&err, FL_ECORRUPT, "stream %s: %" PRIu64 " damaged range%s (see docs/operations.md)",
                      o.stream, damaged, damaged == 1 ? "" : "s");
    } else if (!rc && !(o.format && !strcmp(o.format, "ndjson"))) {
      printf("stream %s: every batch checks, no damage\n", o.stream);
    }
  } else {
    uint64_t printed = 0;
    for (uint32_t p = 0; p < np && !rc; p++) {
      if (o.has_partition && p != o.partition) continue;
      rc = print_partition(ls, p, &o, &printed, &out, &err);
    }
  }
done:
  fl_buf_free(&out);
  fl_log_close(log);
  fl_free(dir);
  return rc ? fl_cli_fail(&err) : FL_CLI_OK;
}
