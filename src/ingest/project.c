/* project: loads a project folder (floe.yaml + streams/NAME.sql) into an fl_project.
 *
 * floe.yaml is read with libyaml's document API (the file is small; a tree is simpler
 * than events) and checked key by key against the table in project.h: an unknown key
 * or a value of the wrong shape is an error naming the file, line and key. Streams are
 * parsed by sql's fl_sql_parse_create_stream into the project's arena; each becomes an
 * fl_schema (field ids 1..n in column order, required = NOT NULL) plus the schema
 * indexes of its primary key, which the server hashes to pick a log partition.
 *
 * Ownership: one arena per project holds every string, array and AST; nothing else
 * is allocated. Entry points: fl_project_load, fl_project_new, fl_project_parse_yaml,
 * fl_project_add_stream_sql, fl_project_free, fl_project_auth. */
#include "ingest/project.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "core/limits.h"

/* floe.yaml over 1 MiB is not a settings file. */
#define PROJECT_YAML_MAX (1u << 20)
/* Streams per project, tokens per file, scopes per token: far above real projects. */
#define PROJECT_STREAMS_MAX 1024
#define PROJECT_TOKENS_MAX 4096
#define PROJECT_SCOPES_MAX 256

/* query.memory's default: a quarter of the machine's physical memory, at least 256 MiB.
 * A sort or hash table under it stays in memory as DuckDB's would (its default is 80%);
 * the server runs at most two queries at once (two workers), and ingest and the job keep
 * the rest (measured: the query bench's ROW_NUMBER dedupe over 10M rows holds ~0.94 GB
 * unspilled and spilled under the old 1 GiB default, 3.4 s of sort against 2.5). */
uint64_t fl_project_query_memory_default(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  uint64_t quarter = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page / 4 : 0;
  uint64_t least = (uint64_t)256 << 20;
  return quarter > least ? quarter : least;
}

fl_project *fl_project_new(void) {
  fl_project *proj = fl_calloc(1, sizeof *proj);
  fl_arena_init(&proj->arena, 16384);
  proj->dir = ".";
  proj->listen = "127.0.0.1:8080";
  proj->threads = 2;
  proj->commit_interval_ms = 1000;
  proj->summary_interval_ms = 60000;
  proj->max_body_bytes = 16u << 20;
  proj->request_timeout_ms = 10000;
  proj->query_timeout_ms = 30000;
  proj->query_memory_bytes = fl_project_query_memory_default();
  proj->query_max_result_bytes = (uint64_t)256 << 20;
  proj->max_pending_bytes = 256u << 20;
  proj->max_inflight_bytes = FL_HTTP_INFLIGHT_BYTES;
  proj->max_connections = FL_HTTP_CONNECTIONS_MAX;
  proj->max_streams = FL_HTTP_STREAMS_MAX;
  proj->max_rejects = FL_INGEST_REJECTS_MAX;
  proj->max_quarantine_bytes = FL_INGEST_QUARANTINE_BYTES;
  proj->max_raw_bytes = FL_INGEST_RAW_BYTES;
  proj->log_partitions = 4;
  proj->log_segment_bytes = 64u << 20;
  proj->log_retention_ms = 7LL * 24 * 3600 * 1000;
  proj->log_retention_bytes = 0;
  return proj;
}

void fl_project_free(fl_project *proj) {
  if (!proj) return;
  fl_arena_destroy(&proj->arena);
  fl_free(proj);
}

/* ---------------------------------------------------------------- units */

static const char *skip_blank(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

fl_code fl_project_duration_parse(const char *text, int64_t *ms, fl_err *err) {
  const char *s = skip_blank(text);
  char *end;
  errno = 0;
  if (!isdigit((unsigned char)*s)) goto bad;
  double v = strtod(s, &end);
  if (errno || end == s) goto bad;
  const char *u = skip_blank(end);
  double mult;
  if (!*u || !strcmp(u, "s") || !strcmp(u, "sec") || !strcmp(u, "second") || !strcmp(u, "seconds"))
    mult = 1000;
  else if (!strcmp(u, "ms"))
    mult = 1;
  else if (!strcmp(u, "m") || !strcmp(u, "min") || !strcmp(u, "minute") || !strcmp(u, "minutes"))
    mult = 60e3;
  else if (!strcmp(u, "h") || !strcmp(u, "hour") || !strcmp(u, "hours"))
    mult = 3600e3;
  else if (!strcmp(u, "d") || !strcmp(u, "day") || !strcmp(u, "days"))
    mult = 86400e3;
  else
    goto bad;
  double r = v * mult;
  if (r > 9.0e15) goto bad;
  *ms = (int64_t)r;
  return FL_OK;
bad:
  return fl_err_set(err, FL_EINVAL, "expected a duration such as 1s or 500ms, found \"%s\"", text);
}

fl_code fl_project_size_parse(const char *text, uint64_t *bytes, fl_err *err) {
  const char *s = skip_blank(text);
  char *end;
  errno = 0;
  if (!isdigit((unsigned char)*s)) goto bad;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno) goto bad;
  const char *u = skip_blank(end);
  unsigned shift;
  if (!*u || !strcmp(u, "B"))
    shift = 0;
  else if (!strcmp(u, "KiB") || !strcmp(u, "KB") || !strcmp(u, "K") || !strcmp(u, "k"))
    shift = 10;
  else if (!strcmp(u, "MiB") || !strcmp(u, "MB") || !strcmp(u, "M"))
    shift = 20;
  else if (!strcmp(u, "GiB") || !strcmp(u, "GB") || !strcmp(u, "G"))
    shift = 30;
  else if (!strcmp(u, "TiB") || !strcmp(u, "TB") || !strcmp(u, "T"))
    shift = 40;
  else
    goto bad;
  if (shift && v > (UINT64_MAX >> shift)) goto bad;
  *bytes = (uint64_t)v << shift;
  return FL_OK;
bad:
  return fl_err_set(err, FL_EINVAL, "expected a size such as 16MiB or 1048576, found \"%s\"", text);
}

/* ---------------------------------------------------------------- floe.yaml */

typedef struct yaml_ctx {
  fl_project *proj;
  const char *path;
  yaml_document_t *doc;
  fl_err *err;
  fl_project_token *token; /* the tokens entry being read */
} yaml_ctx;

static unsigned node_line(const yaml_node_t *node) { return (unsigned)node->start_mark.line + 1; }

static fl_code fail_at(yaml_ctx *y, const yaml_node_t *node, const char *key, const char *what) {
  return fl_err_set(y->err, FL_EINVAL, "%s: line %u: %s: %s", y->path, node_line(node), key, what);
}

/* The scalar text of node, in the arena; NULL (and the error set) if not a scalar. */
static const char *scalar(yaml_ctx *y, const yaml_node_t *node, const char *key) {
  if (node->type != YAML_SCALAR_NODE) {
    fail_at(y, node, key, "expected a single value");
    return NULL;
  }
  return fl_arena_strndup(&y->proj->arena, (const char *)node->data.scalar.value, node->data.scalar.length);
}

static fl_code get_duration(yaml_ctx *y, const yaml_node_t *node, const char *key, int64_t *ms) {
  const char *s = scalar(y, node, key);
  if (!s) return FL_EINVAL;
  fl_err e = {0};
  if (fl_project_duration_parse(s, ms, &e) || *ms <= 0)
    return fail_at(y, node, key, e.msg[0] ? e.msg : "must be > 0");
  return FL_OK;
}

static fl_code get_size(yaml_ctx *y, const yaml_node_t *node, const char *key, uint64_t *bytes) {
  const char *s = scalar(y, node, key);
  if (!s) return FL_EINVAL;
  fl_err e = {0};
  if (fl_project_size_parse(s, bytes, &e)) return fail_at(y, node, key, e.msg);
  return FL_OK;
}

static fl_code get_size_min(yaml_ctx *y, const yaml_node_t *node, const char *key, uint64_t min,
                            uint64_t *bytes) {
  fl_code rc = get_size(y, node, key, bytes);
  if (rc == FL_OK && *bytes < min) {
    char msg[64];
    snprintf(msg, sizeof msg, "must be at least %llu bytes", (unsigned long long)min);
    return fail_at(y, node, key, msg);
  }
  return rc;
}

static fl_code get_u32(yaml_ctx *y, const yaml_node_t *node, const char *key, uint32_t lo, uint32_t hi,
                       uint32_t *out) {
  const char *s = scalar(y, node, key);
  if (!s) return FL_EINVAL;
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (!isdigit((unsigned char)*s) || *end || errno || v < lo || v > hi) {
    char msg[128];
    snprintf(msg, sizeof msg, "expected an integer from %u to %u, found \"%s\"", lo, hi, s);
    return fail_at(y, node, key, msg);
  }
  *out = (uint32_t)v;
  return FL_OK;
}

static fl_code get_bool(yaml_ctx *y, const yaml_node_t *node, const char *key, bool *out) {
  const char *s = scalar(y, node, key);
  if (!s) return FL_EINVAL;
  if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) return *out = true, FL_OK;
  if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) return *out = false, FL_OK;
  return fail_at(y, node, key, "expected true or false");
}

typedef fl_code (*mapping_fn)(yaml_ctx *y, const char *key, yaml_node_t *value);

static fl_code each_pair(yaml_ctx *y, yaml_node_t *map, const char *what, mapping_fn fn) {
  if (map->type != YAML_MAPPING_NODE) return fail_at(y, map, what, "expected a mapping (key: value lines)");
  for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
    yaml_node_t *k = yaml_document_get_node(y->doc, pair->key);
    yaml_node_t *v = yaml_document_get_node(y->doc, pair->value);
    const char *key = scalar(y, k, what);
    if (!key) return FL_EINVAL;
    fl_code rc = fn(y, key, v);
    if (rc) return rc;
  }
  return FL_OK;
}

static fl_code unknown_key(yaml_ctx *y, yaml_node_t *v, const char *section, const char *key) {
  char msg[160];
  snprintf(msg, sizeof msg, "unknown key%s%s", section ? " in " : "", section ? section : "");
  return fail_at(y, v, key, msg);
}

static fl_code limits_pair(yaml_ctx *y, const char *key, yaml_node_t *v) {
  fl_project *p = y->proj;
  if (!strcmp(key, "max_body_bytes")) {
    fl_code rc = get_size(y, v, key, &p->max_body_bytes);
    if (!rc && p->max_body_bytes == 0) return fail_at(y, v, key, "must be > 0");
    return rc;
  }
  if (!strcmp(key, "request_timeout")) return get_duration(y, v, key, &p->request_timeout_ms);
  if (!strcmp(key, "max_pending_bytes")) return get_size(y, v, key, &p->max_pending_bytes);
  if (!strcmp(key, "max_inflight_bytes")) return get_size_min(y, v, key, 1u << 20, &p->max_inflight_bytes);
  if (!strcmp(key, "max_decoded_bytes")) return get_size_min(y, v, key, 1, &p->max_decoded_bytes);
  if (!strcmp(key, "max_quarantine_bytes"))
    return get_size_min(y, v, key, 1u << 16, &p->max_quarantine_bytes);
  if (!strcmp(key, "max_connections")) return get_u32(y, v, key, 1, 1u << 20, &p->max_connections);
  if (!strcmp(key, "max_streams")) return get_u32(y, v, key, 1, 100, &p->max_streams);
  if (!strcmp(key, "max_rejects")) return get_u32(y, v, key, 1, 100000000, &p->max_rejects);
  if (!strcmp(key, "max_raw_bytes")) return get_u32(y, v, key, 16, FL_JSON_LINE_MAX, &p->max_raw_bytes);
  return unknown_key(y, v, "limits", key);
}

/* http: allowed_origins / allowed_hosts, each a list of strings (or one string). */
static fl_code string_list(yaml_ctx *y, yaml_node_t *v, const char *key, const char ***out, uint32_t *n) {
  if (v->type == YAML_SCALAR_NODE) {
    *out = fl_arena_alloc(&y->proj->arena, sizeof **out);
    if (!((*out)[0] = scalar(y, v, key))) return FL_EINVAL;
    *n = 1;
    return FL_OK;
  }
  if (v->type != YAML_SEQUENCE_NODE) return fail_at(y, v, key, "expected a list of strings");
  size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
  if (cnt > PROJECT_SCOPES_MAX) return fail_at(y, v, key, "too many entries");
  *out = fl_arena_calloc(&y->proj->arena, cnt ? cnt : 1, sizeof **out);
  *n = 0;
  for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
    const char *s = scalar(y, yaml_document_get_node(y->doc, *it), key);
    if (!s) return FL_EINVAL;
    (*out)[(*n)++] = s;
  }
  return FL_OK;
}

static fl_code http_pair(yaml_ctx *y, const char *key, yaml_node_t *v) {
  fl_project *p = y->proj;
  if (!strcmp(key, "allowed_origins"))
    return string_list(y, v, key, &p->allowed_origins, &p->nallowed_origins);
  if (!strcmp(key, "allowed_hosts")) return string_list(y, v, key, &p->allowed_hosts, &p->nallowed_hosts);
  if (!strcmp(key, "workers")) return get_u32(y, v, key, 1, 256, &p->workers);
  return unknown_key(y, v, "http", key);
}

static fl_code log_pair(yaml_ctx *y, const char *key, yaml_node_t *v) {
  fl_project *p = y->proj;
  if (!strcmp(key, "partitions")) return get_u32(y, v, key, 1, 1024, &p->log_partitions);
  if (!strcmp(key, "segment_bytes")) return get_size(y, v, key, &p->log_segment_bytes);
  if (!strcmp(key, "retention")) return get_duration(y, v, key, &p->log_retention_ms);
  if (!strcmp(key, "retention_bytes")) return get_size(y, v, key, &p->log_retention_bytes);
  if (!strcmp(key, "skip_damaged")) return get_bool(y, v, key, &p->log_skip_damaged);
  return unknown_key(y, v, "log", key);
}

static fl_code token_pair(yaml_ctx *y, const char *key, yaml_node_t *v) {
  fl_project_token *t = y->token;
  if (!strcmp(key, "token")) {
    t->token = scalar(y, v, key);
    if (!t->token) return FL_EINVAL;
    if (!t->token[0]) return fail_at(y, v, key, "must not be empty");
    return FL_OK;
  }
  if (!strcmp(key, "scopes")) {
    if (v->type == YAML_SCALAR_NODE) { /* scopes: admin */
      t->scopes = fl_arena_alloc(&y->proj->arena, sizeof *t->scopes);
      t->scopes[0] = scalar(y, v, key);
      t->nscopes = 1;
      return FL_OK;
    }
    if (v->type != YAML_SEQUENCE_NODE)
      return fail_at(y, v, key, "expected a list such as [ingest:orders, query]");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n > PROJECT_SCOPES_MAX) return fail_at(y, v, key, "too many scopes");
    t->scopes = fl_arena_calloc(&y->proj->arena, n ? n : 1, sizeof *t->scopes);
    t->nscopes = 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
      const char *s = scalar(y, yaml_document_get_node(y->doc, *it), key);
      if (!s) return FL_EINVAL;
      if (strcmp(s, "admin") && strcmp(s, "query") && strncmp(s, "ingest:", 7))
        return fail_at(y, v, key, "a scope is ingest:<stream>, query or admin");
      t->scopes[t->nscopes++] = s;
    }
    return FL_OK;
  }
  return unknown_key(y, v, "a token", key);
}

static fl_code tokens_value(yaml_ctx *y, yaml_node_t *v) {
  fl_project *p = y->proj;
  if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0) return FL_OK; /* tokens: (empty) */
  if (v->type != YAML_SEQUENCE_NODE) return fail_at(y, v, "tokens", "expected a list of {token, scopes}");
  size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
  if (n > PROJECT_TOKENS_MAX) return fail_at(y, v, "tokens", "too many tokens");
  p->tokens = fl_arena_calloc(&p->arena, n ? n : 1, sizeof *p->tokens);
  p->ntokens = 0;
  for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
    yaml_node_t *tn = yaml_document_get_node(y->doc, *it);
    y->token = &p->tokens[p->ntokens];
    fl_code rc = each_pair(y, tn, "tokens", token_pair);
    y->token = NULL;
    if (rc) return rc;
    if (!p->tokens[p->ntokens].token) return fail_at(y, tn, "tokens", "each entry needs a token");
    p->ntokens++;
  }
  return FL_OK;
}

/* stream: the stream jobs' table upkeep (src/stream/stream.h) */
static fl_code stream_pair(yaml_ctx *y, const char *key, yaml_node_t *v) {
  fl_project *p = y->proj;
  if (!strcmp(key, "compact_every")) return get_u32(y, v, key, 1, 1u << 20, &p->stream_compact_every);
  if (!strcmp(key, "expire_every")) return get_u32(y, v, key, 1, 1u << 20, &p->stream_expire_every);
  if (!strcmp(key, "enabled")) {
    bool on = true;
    fl_code rc = get_bool(y, v, key, &on);
    p->stream_disabled = !on;
    return rc;
  }
  return unknown_key(y, v, "stream", key);
}

static fl_code query_pair(yaml_ctx *y, const char *key, yaml_node_t *v) {
  fl_project *p = y->proj;
  if (!strcmp(key, "timeout")) return get_duration(y, v, key, &p->query_timeout_ms);
  if (!strcmp(key, "memory")) return get_size_min(y, v, key, 1u << 20, &p->query_memory_bytes);
  if (!strcmp(key, "threads")) return get_u32(y, v, key, 1, 256, &p->query_threads);
  if (!strcmp(key, "max_result_bytes")) return get_size_min(y, v, key, 1u << 10, &p->query_max_result_bytes);
  return unknown_key(y, v, "query", key);
}

static fl_code top_pair(yaml_ctx *y, const char *key, yaml_node_t *v) {
  fl_project *p = y->proj;
  if (!strcmp(key, "data_dir")) return (p->data_dir = scalar(y, v, key)) ? FL_OK : FL_EINVAL;
  if (!strcmp(key, "listen")) return (p->listen = scalar(y, v, key)) ? FL_OK : FL_EINVAL;
  if (!strcmp(key, "threads")) return get_u32(y, v, key, 1, 256, &p->threads);
  if (!strcmp(key, "commit_interval")) return get_duration(y, v, key, &p->commit_interval_ms);
  if (!strcmp(key, "access_log")) return get_bool(y, v, key, &p->access_log);
  if (!strcmp(key, "summary_interval")) { /* 0 turns the summary off */
    const char *s = scalar(y, v, key);
    if (!s) return FL_EINVAL;
    if (!strcmp(s, "0")) return p->summary_interval_ms = -1, FL_OK;
    return get_duration(y, v, key, &p->summary_interval_ms);
  }
  if (!strcmp(key, "tokens")) return tokens_value(y, v);
  if (!strcmp(key, "limits")) return each_pair(y, v, key, limits_pair);
  if (!strcmp(key, "log")) return each_pair(y, v, key, log_pair);
  if (!strcmp(key, "http")) return each_pair(y, v, key, http_pair);
  if (!strcmp(key, "stream")) return each_pair(y, v, key, stream_pair);
  if (!strcmp(key, "query")) return each_pair(y, v, key, query_pair);
  return unknown_key(y, v, NULL, key);
}

fl_code fl_project_parse_yaml(fl_project *proj, const char *path, const char *text, size_t len, fl_err *err) {
  yaml_parser_t parser;
  yaml_document_t doc;
  bool have_doc = false;
  fl_code rc = FL_OK;
  if (!yaml_parser_initialize(&parser)) return fl_err_set(err, FL_ENOMEM, "%s: yaml parser", path);
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, &doc)) {
    rc = fl_err_set(err, FL_EPARSE, "%s: line %u: %s", path, (unsigned)parser.problem_mark.line + 1,
                    parser.problem ? parser.problem : "not valid YAML");
    goto done;
  }
  have_doc = true;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root) goto done; /* empty file: defaults */
  if (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0) goto done;
  yaml_ctx y = {proj, path, &doc, err, NULL};
  rc = each_pair(&y, root, "floe.yaml", top_pair);
done:
  if (have_doc) yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  return rc;
}

/* ---------------------------------------------------------------- files */

static fl_code read_file(const char *path, size_t max, char **text, size_t *len, fl_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return fl_err_errno(err, errno, "%s", path);
  fl_code rc = FL_OK;
  char *buf = fl_malloc(max + 1);
  size_t n = fread(buf, 1, max + 1, f);
  if (ferror(f))
    rc = fl_err_errno(err, errno, "%s", path);
  else if (n > max)
    rc = fl_err_set(err, FL_ELIMIT, "%s: larger than %zu bytes", path, max);
  fclose(f);
  if (rc) {
    fl_free(buf);
    return rc;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return FL_OK;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static fl_code load_streams(fl_project *proj, fl_err *err) {
  char *sdir = fl_arena_sprintf(&proj->arena, "%s/streams", proj->dir);
  DIR *d = opendir(sdir);
  if (!d) {
    if (errno == ENOENT) return FL_OK;
    return fl_err_errno(err, errno, "%s", sdir);
  }
  char **names = fl_arena_calloc(&proj->arena, PROJECT_STREAMS_MAX, sizeof *names);
  uint32_t n = 0;
  fl_code rc = FL_OK;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t l = strlen(de->d_name);
    if (l < 5 || strcmp(de->d_name + l - 4, ".sql") || de->d_name[0] == '.') continue;
    if (n == PROJECT_STREAMS_MAX) {
      rc = fl_err_set(err, FL_ELIMIT, "%s: more than %d stream files", sdir, PROJECT_STREAMS_MAX);
      break;
    }
    names[n++] = fl_arena_strdup(&proj->arena, de->d_name);
  }
  closedir(d);
  if (rc) return rc;
  qsort(names, n, sizeof *names, cmp_names);
  for (uint32_t i = 0; i < n; i++) {
    char *path = fl_arena_sprintf(&proj->arena, "%s/%s", sdir, names[i]);
    char *text;
    size_t len;
    if ((rc = read_file(path, FL_SQL_TEXT_MAX, &text, &len, err))) return rc;
    rc = fl_project_add_stream_sql(proj, path, text, len, err);
    fl_free(text);
    if (rc) return rc;
  }
  return FL_OK;
}

fl_code fl_project_load(const char *dir, fl_project **out, fl_err *err) {
  struct stat st;
  if (stat(dir, &st)) return fl_err_errno(err, errno, "project %s", dir);
  if (!S_ISDIR(st.st_mode)) return fl_err_set(err, FL_EINVAL, "project %s: not a directory", dir);
  fl_project *proj = fl_project_new();
  proj->dir = fl_arena_strdup(&proj->arena, dir);
  fl_code rc = FL_OK;
  char *ypath = fl_arena_sprintf(&proj->arena, "%s/floe.yaml", dir);
  char *text = NULL;
  size_t len;
  if (access(ypath, F_OK) == 0) {
    if ((rc = read_file(ypath, PROJECT_YAML_MAX, &text, &len, err))) goto fail;
    rc = fl_project_parse_yaml(proj, ypath, text, len, err);
    fl_free(text);
    if (rc) goto fail;
  }
  if ((rc = load_streams(proj, err))) goto fail;
  *out = proj;
  return FL_OK;
fail:
  fl_project_free(proj);
  return rc;
}

/* ---------------------------------------------------------------- streams */

fl_code fl_project_add_stream_sql(fl_project *proj, const char *path, const char *text, size_t len,
                                  fl_err *err) {
  fl_sql_stream *def;
  fl_code rc = fl_sql_parse_create_stream(text, len, &proj->arena, &def, err);
  if (rc) return fl_err_prefix(err, "%s: ", path);
  if (fl_project_stream_find(proj, def->name, strlen(def->name)))
    return fl_err_set(err, FL_EEXIST, "%s: stream %s is defined twice", path, def->name);
  if (proj->nstreams == PROJECT_STREAMS_MAX)
    return fl_err_set(err, FL_ELIMIT, "%s: more than %d streams", path, PROJECT_STREAMS_MAX);
  if (proj->nstreams == proj->cap_streams) {
    uint32_t cap = proj->cap_streams ? proj->cap_streams * 2 : 8;
    fl_project_stream *grown = fl_arena_calloc(&proj->arena, cap, sizeof *grown);
    if (proj->nstreams) memcpy(grown, proj->streams, proj->nstreams * sizeof *grown);
    proj->streams = grown;
    proj->cap_streams = cap;
  }
  fl_project_stream *ps = &proj->streams[proj->nstreams++];
  ps->name = def->name;
  ps->path = fl_arena_strdup(&proj->arena, path);
  ps->def = def;
  ps->partitions = def->partitions ? def->partitions : proj->log_partitions;
  ps->retention_ms = def->retention_us ? def->retention_us / 1000 : proj->log_retention_ms;
  char *sql = fl_arena_alloc(&proj->arena, len + 1);
  if (len) memcpy(sql, text, len);
  sql[len] = 0;
  ps->sql = sql;
  ps->sql_len = len;
  return FL_OK;
}

const fl_project_stream *fl_project_stream_find(const fl_project *proj, const char *name, size_t len) {
  for (uint32_t i = 0; i < proj->nstreams; i++) {
    const char *s = proj->streams[i].name;
    if (strlen(s) == len && !memcmp(s, name, len)) return &proj->streams[i];
  }
  return NULL;
}

/* ---------------------------------------------------------------- auth */

/* Compares without an early exit, so the time taken does not tell how much of a
 * guessed token was right. */
static bool token_equal(const char *known, const char *given, size_t given_len) {
  size_t klen = strlen(known);
  unsigned char diff = (unsigned char)(klen != given_len);
  for (size_t i = 0; i < given_len; i++) diff |= (unsigned char)(known[i < klen ? i : 0] ^ given[i]);
  return diff == 0;
}

int fl_project_auth(const fl_project *proj, const char *token, size_t token_len, const char *scope) {
  if (proj->ntokens == 0) return 0;
  if (!token || !token_len) return 401;
  for (uint32_t i = 0; i < proj->ntokens; i++) {
    const fl_project_token *t = &proj->tokens[i];
    if (!token_equal(t->token, token, token_len)) continue;
    for (uint32_t j = 0; j < t->nscopes; j++)
      if (!strcmp(t->scopes[j], "admin") || (scope && !strcmp(t->scopes[j], scope))) return 0;
    return 403;
  }
  return 401;
}
