/* project: a floe project folder, as `floe serve` loads it (DESIGN §4, issue 8).
 *
 *   DIR/floe.yaml         settings (every key optional):
 *     data_dir: ./floe-data          relative paths are taken from the working directory
 *     listen: 127.0.0.1:8080         host:port ([::1]:8080 for IPv6)
 *     threads: 2                     event loops (one per core)
 *     commit_interval: 1s            quarantine flush interval (ms, s, m, h, d units)
 *     access_log: false              one info line per HTTP request on stderr (docs/metrics.md)
 *     summary_interval: 1m           one summary line on stderr this often while serving (0 = none)
 *     tokens:                        none = no auth; else every API call needs a bearer token
 *       - token: s3cret
 *         scopes: [ingest:orders, query, admin]
 *     limits:
 *       max_body_bytes: 16MiB        request body, compressed and decompressed (B, KiB/KB, MiB/MB, GiB/GB)
 *       request_timeout: 10s         slow-loris bound: headers and body must arrive within it
 *       max_pending_bytes: 256MiB    bytes queued for the log before new posts get 503
 *       max_inflight_bytes: 256MiB   request bytes buffered at once, all connections (503 past it)
 *       max_connections: 1024        open connections (accept waits at the cap)
 *       max_streams: 16              requests handled at once per HTTP/2 connection
 *       max_decoded_bytes: (max_body_bytes)  a body after Content-Encoding is undone
 *       max_rejects: 100000          rejected records one request may store (cut after)
 *       max_quarantine_bytes: 32MiB  quarantine JSON one request may store (cut after)
 *       max_raw_bytes: 4096          raw text kept per rejected record (raw_truncated marks a cut)
 *     http:
 *       allowed_origins: []          web origins whose requests are served (none: any Origin is refused)
 *       allowed_hosts: []            Host names served besides loopback ones ("*" = any)
 *       workers: 2                   threads running long requests (queries)
 *     query:                         POST /v1/query (serve/query_api.c)
 *       timeout: 30s                 a query running longer is stopped (error 504)
 *       memory: 1GiB                 hash tables and sorts of one query, then they spill
 *       max_result_bytes: 256MiB     an answer larger than this is refused (413): add a LIMIT
 *     log:
 *       partitions: 4                partitions of each new stream
 *       segment_bytes: 64MiB
 *       retention: 7d                age; retention_bytes: size per partition (0 = unbounded)
 *       skip_damaged: false          the quarantine copy reads on past damaged log ranges
 *                                    (reported and counted) instead of stopping at them
 *   DIR/streams/NAME.sql     one CREATE STREAM each (the data contracts), in name order
 *
 * An unknown key in floe.yaml is an error (a typo must not silently mean a default).
 * Memory: everything hangs off the project's arena; fl_project_free releases it all. */
#ifndef FL_INGEST_PROJECT_H
#define FL_INGEST_PROJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/types.h"
#include "sql/sql.h"

typedef struct fl_project_token {
  const char *token;
  const char **scopes; /* "ingest:orders", "query", "admin" */
  uint32_t nscopes;
} fl_project_token;

typedef struct fl_project_stream {
  const char *name;
  const char *path;         /* the .sql file it came from */
  const fl_sql_stream *def; /* the parsed CREATE STREAM; def->schema is the contract's
                               schema (ids 1..n, required = NOT NULL) and
                               def->primary_key_index the key the log partitions by */
  uint32_t partitions;      /* WITH (partitions = N), else floe.yaml log.partitions */
  int64_t retention_ms;     /* WITH (retention = '...'), else floe.yaml log.retention */
  const char *sql;          /* the stream's CREATE STREAM text, as in its file */
  size_t sql_len;
  uint32_t contract_version; /* set by fl_project_contract_versions; 0 = not known */
} fl_project_stream;

typedef struct fl_project {
  fl_arena arena;
  const char *dir;
  const char *data_dir;          /* NULL if floe.yaml does not say */
  const char *listen;            /* default "127.0.0.1:8080" */
  uint32_t threads;              /* default 2 */
  int64_t commit_interval_ms;    /* default 1000 */
  bool stream_disabled;          /* stream.enabled: false: no stream job (events API and log only) */
  uint32_t stream_compact_every; /* stream.compact_every: checkpoints between small-file compactions; 0 = the
                                    job's 30 */
  uint32_t
      stream_expire_every; /* stream.expire_every: checkpoints between snapshot expiries; 0 = the job's 60 */
  bool access_log;         /* default false */
  int64_t summary_interval_ms; /* default 60000; -1 = none (floe.yaml 0) */
  fl_project_token *tokens;
  uint32_t ntokens;
  uint64_t max_body_bytes;       /* default 16 MiB */
  int64_t request_timeout_ms;    /* default 10 s */
  uint64_t max_pending_bytes;    /* default 256 MiB */
  uint64_t max_inflight_bytes;   /* default FL_HTTP_INFLIGHT_BYTES */
  uint32_t max_connections;      /* default FL_HTTP_CONNECTIONS_MAX */
  uint32_t max_streams;          /* default FL_HTTP_STREAMS_MAX */
  uint64_t max_decoded_bytes;    /* 0 (default) = max_body_bytes */
  uint32_t max_rejects;          /* default FL_INGEST_REJECTS_MAX */
  uint64_t max_quarantine_bytes; /* default FL_INGEST_QUARANTINE_BYTES */
  uint32_t max_raw_bytes;        /* default FL_INGEST_RAW_BYTES */
  const char **allowed_origins;  /* http.allowed_origins */
  uint32_t nallowed_origins;
  const char **allowed_hosts; /* http.allowed_hosts */
  uint32_t nallowed_hosts;
  uint32_t workers;                /* http.workers; 0 = 2 */
  int64_t query_timeout_ms;        /* query.timeout, default 30 s */
  uint64_t query_memory_bytes;     /* query.memory, default fl_project_query_memory_default() */
  uint64_t query_max_result_bytes; /* query.max_result_bytes, default 256 MiB */
  uint32_t query_threads;          /* query.threads, 1 to 256; 0 (default) = the online cores */
  uint32_t log_partitions;         /* default 4 */
  uint64_t log_segment_bytes;      /* default 64 MiB */
  int64_t log_retention_ms;        /* default 7 days */
  uint64_t log_retention_bytes;    /* default 0 = unbounded */
  bool log_skip_damaged;           /* default false: a reader of the log stops at damage */
  fl_project_stream *streams;
  uint32_t nstreams;
  uint32_t cap_streams; /* allocated entries of streams */
} fl_project;

/* Loads DIR/floe.yaml (missing = defaults) and DIR/streams/NAME.sql. Errors name the file
 * and line: "examples/orders/floe.yaml: line 3: commit_interval: expected a duration
 * such as 1s or 500ms, found \"fast\"". */
fl_code fl_project_load(const char *dir, fl_project **out, fl_err *err);
/* Defaults only, no streams (tests and tools build on it). */
fl_project *fl_project_new(void);
/* query.memory when floe.yaml does not set it: a quarter of physical memory, >= 256 MiB. */
uint64_t fl_project_query_memory_default(void);
/* Parses floe.yaml text into proj (what fl_project_load does with the file). */
fl_code fl_project_parse_yaml(fl_project *proj, const char *path, const char *text, size_t len, fl_err *err);
/* Adds the streams of one .sql text (one CREATE STREAM); FL_EEXIST on a duplicate name. */
fl_code fl_project_add_stream_sql(fl_project *proj, const char *path, const char *text, size_t len,
                                  fl_err *err);
void fl_project_free(fl_project *proj);

/* Contract versions (contract_versions.c). Each stream's contract (its CREATE STREAM
 * text) is versioned in the data directory: DATA/contracts/<stream>/<N>.sql holds
 * version N's text, N from 1. For every stream of proj this finds the highest stored
 * version; when there is none, or its text differs from the stream's text now, it
 * stores the text as the next version (written to a temporary file, fsynced, renamed,
 * directory fsynced). ps->contract_version gets the version the stream runs under;
 * the server stamps it on every accepted record (log record field contract_version)
 * so a replay can apply the contract each record was accepted under. */
fl_code fl_project_contract_versions(fl_project *proj, const char *data_dir, fl_err *err);
/* Version `version` of a stream's contract, read from DATA/contracts/<stream>/<N>.sql and
 * parsed into arena (the stream job parses each record under the version that accepted
 * it). */
fl_code fl_project_contract_load(const char *data_dir, const char *stream, uint32_t version, fl_arena *arena,
                                 const fl_sql_stream **out, fl_err *err);

const fl_project_stream *fl_project_stream_find(const fl_project *proj, const char *name, size_t len);

/* Auth: tokens configured? and does this token carry `scope` (or admin)?
 * Returns 0 allowed, 401 unknown token (or none given), 403 known but lacking the scope.
 * With no tokens configured everything is allowed. */
int fl_project_auth(const fl_project *proj, const char *token, size_t token_len, const char *scope);

/* "1s", "500ms", "10 s", "2m", "1h", "7d"; a bare number is seconds. */
fl_code fl_project_duration_parse(const char *text, int64_t *ms, fl_err *err);
/* "16MiB", "16MB" (= MiB), "512KiB", "1GiB", "1048576"; a bare number is bytes. */
fl_code fl_project_size_parse(const char *text, uint64_t *bytes, fl_err *err);

#endif
