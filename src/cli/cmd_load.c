/* cmd_load: `floe load TABLE FILE|- [--format ndjson|csv|parquet] [--schema COLS]
 *            [--partition SPEC] [--batch-rows N] [--codec zstd|snappy|none]
 *            [--target-file-bytes N] [--unknown-fields ignore|reject]`
 *
 * The input is NDJSON (ndjson_load.c), CSV with a header or Parquet (csv_load.c):
 * --format, else the file name's extension (.csv, .parquet; anything else and stdin:
 * NDJSON). A Parquet file loaded into a table that does not exist, without --schema,
 * creates it with the file's columns. Fields the table lacks: NDJSON ignores them
 * (counted), CSV headers and Parquet columns refuse them, unless --unknown-fields says
 * otherwise. CHECKs of --schema run on every format (CSV/Parquet: the sql evaluator
 * over each batch, naming the data row); DEFAULTs fill absent NDJSON fields only.
 *
 * Appends every row of the file (or stdin) to TABLE in ONE commit, so one load
 * is one snapshot and a failed load commits nothing (its data files are deleted; a
 * killed one leaves orphans only). If the table does not exist it is created from
 * --schema (a column list parsed by fl_sql_parse_columns) and --partition
 * (fl_partition_defs_parse); when it exists, --schema and --partition must match it.
 * --codec and --target-file-bytes set the table properties the appender reads
 * (write.parquet.compression-codec, write.target-file-size-bytes): at creation, or
 * by a metadata-only commit when they differ from an existing table's.
 *
 * Flow: parse options (--schema, --partition) -> open input -> open warehouse and load
 * the table if it exists -> ndjson reader emits batches -> (first batch: create the
 * table, fl_appender_begin) -> fl_appender_write -> fl_appender_commit ->
 * "loaded N rows into ns.name (snapshot ID, K files)".
 * Two loads racing to create the same table are fine: the loser of the create
 * (FL_EEXIST) loads the winner's table and checks its schema.
 *
 * A failed load leaves nothing behind: the command line is checked and the input
 * opened before anything is made; a new table (and a missing data dir) is made only
 * once the first batch has been read (load_begin); a table this load created is
 * dropped (with its files) when the load fails after creating it, unless its catalog
 * pointer has moved since (another load committed to it: then it is that load's
 * table), and so are the namespace directory and, when the data dir did not exist
 * before this load, the data dir it made (if still without tables). SIGINT/SIGTERM
 * after that stop the load the same way (on_signal). A load killed (SIGKILL) between
 * creating the table and its first commit leaves the empty table: `floe drop`
 * removes it.
 *
 * Memory: the schema parsed from --schema lives in one arena for the whole command;
 * the reader's batch is reused for every batch_rows rows. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/csv_load.h"
#include "cli/ndjson_load.h"
#include "core/limits.h"
#include "ingest/contract.h"
#include "sql/sql.h"

/* A batch over a million rows buys nothing and costs memory per column. */
enum { BATCH_ROWS_MAX = 1 << 20 };

typedef struct load_opts {
  const char *table;
  const char *file;
  const char *schema; /* NULL = not given */
  const char *partition;
  uint64_t batch_rows;
  const char *codec; /* Iceberg property value, NULL = not given */
  const char *target_file_bytes;
  bool unknown_reject; /* --unknown-fields reject */
  bool unknown_given;
  const char *format; /* "ndjson", "csv", "parquet" */
} load_opts;

static int parse_args(int argc, char **argv, load_opts *o) {
  const char *v;
  fl_err err = {0};
  o->batch_rows = FL_BATCH_ROWS;
  for (int i = 1; i < argc; i++) {
    int m;
    if ((m = fl_cli_opt(argc, argv, &i, "--data", &v))) {
      if (m < 0) return FL_CLI_USAGE;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--schema", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      o->schema = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--partition", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      o->partition = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--batch-rows", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (fl_cli_parse_u64("--batch-rows", v, &o->batch_rows, &err))
        return fl_cli_usage("load", "%s", err.msg);
      if (o->batch_rows < 1 || o->batch_rows > BATCH_ROWS_MAX)
        return fl_cli_usage("load", "--batch-rows: %" PRIu64 " is not between 1 and %d", o->batch_rows,
                            BATCH_ROWS_MAX);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--codec", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (!strcmp(v, "zstd") || !strcmp(v, "snappy"))
        o->codec = v;
      else if (!strcmp(v, "none") || !strcmp(v, "uncompressed"))
        o->codec = "uncompressed";
      else
        return fl_cli_usage("load", "--codec: expected zstd, snappy or none, found \"%s\"", v);
    } else if ((m = fl_cli_opt(argc, argv, &i, "--unknown-fields", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (strcmp(v, "ignore") && strcmp(v, "reject"))
        return fl_cli_usage("load", "--unknown-fields: expected ignore or reject, found \"%s\"", v);
      o->unknown_reject = !strcmp(v, "reject");
      o->unknown_given = true;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--format", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      if (strcmp(v, "ndjson") && strcmp(v, "csv") && strcmp(v, "parquet"))
        return fl_cli_usage("load", "--format: expected ndjson, csv or parquet, found \"%s\"", v);
      o->format = v;
    } else if ((m = fl_cli_opt(argc, argv, &i, "--target-file-bytes", &v))) {
      if (m < 0) return FL_CLI_USAGE;
      uint64_t n;
      if (fl_cli_parse_u64("--target-file-bytes", v, &n, &err)) return fl_cli_usage("load", "%s", err.msg);
      if (n == 0) return fl_cli_usage("load", "--target-file-bytes: must be at least 1");
      o->target_file_bytes = v;
    } else if (fl_cli_is_option(argv[i])) {
      return fl_cli_usage("load", "unknown option %s", argv[i]);
    } else if (!o->table) {
      o->table = argv[i];
    } else if (!o->file) {
      o->file = argv[i];
    } else {
      return fl_cli_usage("load", "unexpected argument '%s'", argv[i]);
    }
  }
  if (!o->table || !o->file)
    return fl_cli_usage("load", "give a TABLE (namespace.name) and a FILE (or - for stdin)");
  if (!o->format) {
    size_t n = strlen(o->file);
    if (n > 4 && !strcasecmp(o->file + n - 4, ".csv"))
      o->format = "csv";
    else if (n > 8 && !strcasecmp(o->file + n - 8, ".parquet"))
      o->format = "parquet";
    else
      o->format = "ndjson";
  }
  if (!strcmp(o->format, "parquet") && !strcmp(o->file, "-"))
    return fl_cli_usage("load", "a Parquet file is read by position: give its path, not -");
  return FL_CLI_OK;
}

/* --schema text -> schema, field ids 1..n in column order (what fl_table_create would
 * assign: the reader's batches carry them before the table exists), the columns'
 * CHECK texts, and their DEFAULTs as constants (*defaults NULL if none: Iceberg v2
 * tables keep no defaults, so they apply to the load that gives --schema). */
static fl_code schema_parse(const char *text, fl_arena *arena, fl_schema *schema, fl_value **defaults,
                            const char ***checks, uint32_t *nchecks, fl_err *err) {
  fl_sql_column *cols;
  uint32_t n;
  fl_code rc = fl_sql_parse_columns(text, strlen(text), arena, &cols, &n, err);
  if (rc) return fl_err_prefix(err, "--schema: ");
  memset(schema, 0, sizeof *schema);
  schema->nfields = n;
  schema->fields = fl_arena_calloc(arena, n, sizeof *schema->fields);
  for (uint32_t i = 0; i < n; i++) {
    schema->fields[i] = (fl_field){
        .id = (int32_t)i + 1, .name = cols[i].name, .type = cols[i].type, .required = cols[i].not_null};
  }
  *checks = fl_arena_calloc(arena, n, sizeof **checks);
  *nchecks = 0;
  for (uint32_t i = 0; i < n; i++)
    if (cols[i].check_sql) (*checks)[(*nchecks)++] = cols[i].check_sql;
  *defaults = NULL;
  for (uint32_t i = 0; i < n; i++) {
    if (!cols[i].default_expr) continue;
    if (!*defaults) {
      *defaults = fl_arena_calloc(arena, n, sizeof **defaults);
      for (uint32_t k = 0; k < n; k++) (*defaults)[k].is_null = true;
    }
    rc = fl_sql_default_value(cols[i].default_expr, &schema->fields[i], &(*defaults)[i], err);
    if (rc) return fl_err_prefix(err, "--schema: ");
  }
  return FL_OK;
}

/* The CHECK texts compiled by sql's evaluator against schema (CSV and Parquet loads). */
static fl_code checks_compile(const fl_schema *schema, const char **texts, uint32_t n, fl_arena *arena,
                              fl_sql_eval **out, fl_err *err) {
  fl_sql_eval *ev = fl_sql_eval_new(schema);
  fl_code rc = FL_OK;
  for (uint32_t i = 0; i < n && !rc; i++) {
    fl_sql_expr *e;
    rc = fl_sql_parse_expr(texts[i], strlen(texts[i]), arena, &e, err);
    if (!rc) rc = fl_sql_expr_bind(e, schema, err);
    if (!rc) rc = fl_sql_eval_add(ev, e, texts[i], NULL, err);
  }
  if (rc) {
    fl_sql_eval_free(ev);
    return fl_err_prefix(err, "--schema: CHECK: ");
  }
  *out = ev;
  return FL_OK;
}

static void field_text(const fl_field *f, char *out, size_t out_size) {
  char type[32];
  fl_cli_type_format(f->type, type, sizeof type);
  snprintf(out, out_size, "%s %s%s", f->name, type, f->required ? " NOT NULL" : "");
}

/* An existing table must have exactly the columns --schema gives. */
static fl_code schema_check(const fl_table *tbl, const fl_schema *want, fl_err *err) {
  const fl_schema *have = fl_table_schema(tbl);
  if (have->nfields != want->nfields)
    return fl_err_set(err, FL_ESCHEMA, "table %s.%s exists with %u columns; --schema gives %u",
                      fl_table_ns(tbl), fl_table_name(tbl), have->nfields, want->nfields);
  for (uint32_t i = 0; i < have->nfields; i++) {
    const fl_field *a = &have->fields[i], *b = &want->fields[i];
    if (strcmp(a->name, b->name) || !fl_type_equal(a->type, b->type) || a->required != b->required) {
      char ta[FL_NAME_MAX + 48], tb[FL_NAME_MAX + 48];
      field_text(a, ta, sizeof ta);
      field_text(b, tb, sizeof tb);
      return fl_err_set(err, FL_ESCHEMA, "table %s.%s exists with column %u '%s'; --schema gives '%s'",
                        fl_table_ns(tbl), fl_table_name(tbl), i + 1, ta, tb);
    }
  }
  return FL_OK;
}

/* An existing table must have exactly the partitioning --partition gives. */
static fl_code partition_check(const fl_table *tbl, const fl_partition_def *defs, uint32_t n, fl_err *err) {
  uint32_t nspec;
  const fl_partition_field *spec = fl_table_spec_fields(tbl, &nspec);
  const fl_schema *schema = fl_table_schema(tbl);
  bool same = nspec == n;
  for (uint32_t i = 0; same && i < n; i++) {
    const fl_field *src = fl_schema_field_by_id(schema, spec[i].source_id);
    same = src && !strcmp(src->name, defs[i].column) && !strcmp(spec[i].transform, defs[i].transform);
  }
  if (same) return FL_OK;
  fl_buf have = FL_BUF_INIT;
  for (uint32_t i = 0; i < nspec; i++) {
    const fl_field *src = fl_schema_field_by_id(schema, spec[i].source_id);
    fl_buf_printf(&have, "%s%s(%s)", i ? ", " : "", spec[i].transform, src ? src->name : "?");
  }
  fl_buf want = FL_BUF_INIT;
  for (uint32_t i = 0; i < n; i++)
    fl_buf_printf(&want, "%s%s(%s)", i ? ", " : "", defs[i].transform, defs[i].column);
  fl_buf_cstr(&have);
  fl_buf_cstr(&want);
  fl_code rc = fl_err_set(
      err, FL_ESCHEMA, "table %s.%s exists with partitioning '%s'; --partition gives '%s'", fl_table_ns(tbl),
      fl_table_name(tbl), have.len ? (char *)have.data : "none", want.len ? (char *)want.data : "none");
  fl_buf_free(&have);
  fl_buf_free(&want);
  return rc;
}

/* Sets the properties the options name where the table differs. */
static fl_code props_apply(fl_table *tbl, const fl_kv *props, uint32_t nprops, fl_err *err) {
  fl_kv change[2];
  uint32_t n = 0;
  for (uint32_t i = 0; i < nprops; i++) {
    const char *cur = fl_table_property(tbl, props[i].key);
    if (!cur || strcmp(cur, props[i].value)) change[n++] = props[i];
  }
  return n ? fl_table_set_properties(tbl, change, n, err) : FL_OK;
}

/* Undoes the creation of a table whose load failed: drops it with its files if its
 * pointer is still the one fl_table_create set (nobody committed to it since). The
 * check and the drop are two catalog statements; a commit landing between them (a
 * second load that lost the creation race, within microseconds) would be dropped too.
 * Failures here are reported as warnings: the load's own error is the one to show. */
static void created_table_undo(fl_warehouse *wh, const char *ns, const char *name,
                               const char *created_location) {
  fl_err err = {0};
  char *loc = NULL;
  if (fl_catalog_load(fl_warehouse_catalog(wh), ns, name, &loc, &err)) {
    fprintf(stderr, "floe: warning: could not check table %s.%s to drop it: %s\n", ns, name, err.msg);
    return;
  }
  bool same = !strcmp(loc, created_location);
  fl_free(loc);
  if (!same) return;
  if (fl_table_drop(wh, ns, name, true, &err)) {
    fprintf(stderr, "floe: warning: table %s.%s was created by this load and not dropped: %s\n", ns, name,
            err.msg);
    return;
  }
  char *ns_dir = fl_sprintf("%s/%s", fl_warehouse_root(wh), ns);
  rmdir(ns_dir); /* only if empty: the namespace's last table was this one */
  fl_free(ns_dir);
}

/* A failed load that found no data dir removes the one it made (catalog.db,
 * warehouse/), if still without tables: rmdir only removes empty directories, and the
 * catalog file only goes when it lists no table. Closes wh. */
static void made_dir_undo(fl_warehouse *wh) {
  fl_catalog_entry *entries = NULL;
  uint32_t n = 1;
  fl_err err = {0};
  bool empty = !fl_warehouse_list(wh, NULL, &entries, &n, &err) && n == 0;
  fl_catalog_entries_free(entries, n);
  char *dir = fl_strdup(fl_warehouse_dir(wh)), *root = fl_strdup(fl_warehouse_root(wh));
  fl_warehouse_close(wh);
  if (empty) {
    static const char *const files[] = {"catalog.db", "catalog.db-wal", "catalog.db-shm",
                                        "catalog.db-journal"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
      char *path = fl_sprintf("%s/%s", dir, files[i]);
      unlink(path);
      fl_free(path);
    }
    rmdir(root);
    rmdir(dir);
  }
  fl_free(dir);
  fl_free(root);
}

/* Checks an existing table against the options (schema, partitioning) and applies the
 * properties they name; frees *tbl on failure. */
static fl_code table_check(fl_table **tbl, const fl_schema *schema, const fl_partition_def *defs,
                           uint32_t ndefs, bool has_partition, const fl_kv *props, uint32_t nprops,
                           fl_err *err) {
  fl_code rc = schema ? schema_check(*tbl, schema, err) : FL_OK;
  if (!rc && has_partition) rc = partition_check(*tbl, defs, ndefs, err);
  if (!rc) rc = props_apply(*tbl, props, nprops, err);
  if (rc) {
    fl_table_free(*tbl);
    *tbl = NULL;
  }
  return rc;
}

/* What a load writes into. tbl is loaded before reading when the table exists; a new
 * one is created by load_begin at the first batch (or at the end of an empty input),
 * so an input whose first batch is bad, or a load interrupted before it, creates
 * nothing. */
typedef struct load_ctx {
  const fl_cli *cli;
  fl_warehouse *wh; /* NULL until load_begin when the data dir did not exist */
  const char *ns, *name;
  const fl_schema *schema; /* --schema (ids 1..n), NULL if not given */
  const fl_partition_def *defs;
  uint32_t ndefs;
  bool has_partition;
  const fl_kv *props;
  uint32_t nprops;
  fl_table *tbl;
  fl_appender *app;
  char *created_location; /* set once this load created the table */
  fl_sql_eval *checks;    /* CSV/Parquet: the CHECKs of --schema, NULL if none */
  const char *const *check_texts;
  const char *source;
  uint64_t rows_before; /* data rows emitted before this batch */
} load_ctx;

/* The interrupt flag, and whether this load has made something to undo (a table, a data
 * dir): SIGINT/SIGTERM before that ends the process at once, after it stops the load
 * (the next batch, or the read it interrupts) so that the table is dropped again; a
 * second signal ends the process at once. */
static volatile sig_atomic_t interrupted, must_undo;

static void on_signal(int sig) {
  if (!must_undo || interrupted) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  interrupted = sig;
}

static fl_code load_begin(load_ctx *lc, fl_err *err) {
  if (lc->app) return FL_OK;
  if (!lc->wh) {
    must_undo = 1; /* the data dir this makes is removed again if the load fails */
    fl_code rc = fl_cli_warehouse_open(lc->cli, &lc->wh, err);
    if (rc) return rc;
  }
  if (!lc->tbl) {
    fl_table_create_opts copts = {.partition = (fl_partition_def *)lc->defs,
                                  .npartition = lc->ndefs,
                                  .props = lc->props,
                                  .nprops = lc->nprops};
    must_undo = 1; /* from before the creation: a signal during it must not leave it */
    fl_code rc = fl_table_create(lc->wh, lc->ns, lc->name, lc->schema, &copts, &lc->tbl, err);
    if (rc == FL_OK) {
      lc->created_location = fl_strdup(fl_table_metadata_location(lc->tbl));
    } else {
      if (rc != FL_EEXIST) return rc;
      must_undo = 0; /* lost a creation race: the winner's table, checked like an existing one */
      rc = fl_table_load(lc->wh, lc->ns, lc->name, &lc->tbl, err);
      if (!rc)
        rc = table_check(&lc->tbl, lc->schema, lc->defs, lc->ndefs, lc->has_partition, lc->props, lc->nprops,
                         err);
      if (rc) return rc;
    }
    /* the reader's batches carry the ids of --schema: the table must have them */
    const fl_schema *have = fl_table_schema(lc->tbl);
    for (uint32_t i = 0; i < have->nfields; i++)
      if (have->fields[i].id != lc->schema->fields[i].id)
        return fl_err_set(err, FL_ECONFLICT,
                          "table %s.%s was created meanwhile with other field ids; run the load again",
                          lc->ns, lc->name);
  }
  return fl_appender_begin(lc->tbl, &lc->app, err);
}

/* The CHECKs of --schema over a CSV or Parquet batch: a row where one is FALSE fails
 * the load (NULL passes, as SQL's CHECK). */
static fl_code check_batch(load_ctx *lc, const fl_batch *batch, fl_err *err) {
  for (uint32_t k = 0; k < fl_sql_eval_count(lc->checks); k++) {
    const uint8_t *r = fl_sql_eval_run(lc->checks, k, batch);
    for (uint32_t i = 0; i < batch->nrows; i++)
      if (r[i] == FL_SQL_FALSE)
        return fl_err_set(err, FL_ETYPE, "%s: data row %llu: CHECK (%s) failed", lc->source,
                          (unsigned long long)(lc->rows_before + i + 1), lc->check_texts[k]);
  }
  return FL_OK;
}

static fl_code emit_batch(void *ctx, const fl_batch *batch, fl_err *err) {
  load_ctx *lc = ctx;
  if (lc->checks) {
    fl_code rc = check_batch(lc, batch, err);
    if (rc) return rc;
  }
  lc->rows_before += batch->nrows;
  fl_code rc = load_begin(lc, err);
  if (!rc && interrupted)
    rc = fl_err_set(err, FL_EINVAL, "interrupted (%s): nothing loaded",
                    interrupted == SIGINT ? "SIGINT" : "SIGTERM");
  return rc ? rc : fl_appender_write(lc->app, batch, err);
}

int fl_cli_cmd_load(fl_cli *cli, int argc, char **argv) {
  load_opts o = {0};
  int status = parse_args(argc, argv, &o);
  if (status) return status;

  fl_err err = {0};
  fl_arena arena;
  fl_arena_init(&arena, 16 << 10);
  fl_ndjson_reader *rd = NULL;
  fl_contract *contract = NULL;
  FILE *in = NULL;
  char ns[FL_NAME_MAX + 1], name[FL_NAME_MAX + 1];
  fl_kv props[2];
  uint32_t nprops = 0;
  if (o.codec) props[nprops++] = (fl_kv){"write.parquet.compression-codec", o.codec};
  if (o.target_file_bytes) props[nprops++] = (fl_kv){"write.target-file-size-bytes", o.target_file_bytes};

  bool dir_existed = true;
  bool is_stdin = !strcmp(o.file, "-");
  /* the command line first: its errors exit 2, before anything is opened */
  fl_schema schema;
  fl_partition_def *defs = NULL;
  uint32_t ndefs = 0;
  fl_value *defaults = NULL;
  const char **checks = NULL;
  uint32_t nchecks = 0;
  fl_code rc = fl_table_ident_parse(o.table, ns, name, &err);
  if (!rc && o.schema) rc = schema_parse(o.schema, &arena, &schema, &defaults, &checks, &nchecks, &err);
  if (!rc && o.partition && fl_partition_defs_parse(o.partition, &arena, &defs, &ndefs, &err))
    rc = fl_err_prefix(&err, "--partition: ");
  if (rc) {
    fl_arena_destroy(&arena);
    return fl_cli_usage("load", "%s", err.msg);
  }
  bool is_csv = !strcmp(o.format, "csv"), is_parquet = !strcmp(o.format, "parquet");
  fl_schema file_schema; /* a Parquet file's own columns: the table's, if this load creates it */
  bool has_file_schema = false;
  load_ctx lc = {.cli = cli,
                 .ns = ns,
                 .name = name,
                 .schema = o.schema ? &schema : NULL,
                 .defs = defs,
                 .ndefs = ndefs,
                 .has_partition = o.partition != NULL,
                 .props = props,
                 .nprops = nprops};
  /* no SA_RESTART: a read blocked on a quiet stdin returns (EINTR) and the load stops */
  struct sigaction sa = {.sa_handler = on_signal, .sa_flags = 0}, old_int, old_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  in = is_stdin ? stdin : fopen(o.file, "rb");
  if (!in) {
    rc = fl_err_errno(&err, errno, "cannot open %s", o.file);
    goto done;
  }
  if (is_parquet && !lc.schema) {
    if ((rc = fl_cli_parquet_schema(o.file, &arena, &file_schema, &err))) goto done;
    has_file_schema = true;
  }
  struct stat st;
  dir_existed = stat(cli->data_dir, &st) == 0;
  if (!dir_existed) {
    /* nothing to load into yet: the data dir is made with the table, by load_begin */
    if (has_file_schema) lc.schema = &file_schema;
    if (!lc.schema)
      rc = fl_err_set(&err, FL_ENOENT,
                      "table %s.%s does not exist: data dir %s does not exist; give --schema to "
                      "create it",
                      ns, name, cli->data_dir);
    goto read;
  }
  rc = fl_cli_warehouse_open(cli, &lc.wh, &err);
  if (rc) goto done;
  rc = fl_table_load(lc.wh, ns, name, &lc.tbl, &err);
  if (rc == FL_ENOENT && (lc.schema || has_file_schema)) {
    if (!lc.schema) lc.schema = &file_schema;
    rc = FL_OK; /* created by load_begin */
  } else if (rc == FL_ENOENT) {
    char *loc = NULL;
    if (fl_catalog_load(fl_warehouse_catalog(lc.wh), ns, name, &loc, NULL) == FL_ENOENT)
      rc =
          fl_err_set(&err, FL_ENOENT, "table %s.%s does not exist in data dir %s; give --schema to create it",
                     ns, name, fl_warehouse_dir(lc.wh));
    fl_free(loc);
  } else if (rc == FL_OK) {
    rc = table_check(&lc.tbl, lc.schema, defs, ndefs, lc.has_partition, props, nprops, &err);
  }
read:
  if (rc) goto done;
  const fl_schema *read_schema = lc.tbl ? fl_table_schema(lc.tbl) : lc.schema;
  lc.source = is_stdin ? "stdin" : o.file;
  uint64_t rows;
  if (is_csv || is_parquet) {
    if (nchecks && (rc = checks_compile(read_schema, checks, nchecks, &arena, &lc.checks, &err))) goto done;
    lc.check_texts = checks;
    bool ignore = o.unknown_given && !o.unknown_reject;
    if (is_csv)
      rc = fl_cli_csv_read(read_schema, lc.source, in, (uint32_t)o.batch_rows, ignore, emit_batch, &lc, &rows,
                           &err);
    else
      rc = fl_cli_parquet_read(read_schema, o.file, ignore, emit_batch, &lc, &rows, &err);
  } else {
    if (nchecks) { /* CHECKs of --schema: the events API's contract checker */
      rc = fl_contract_new_sql(read_schema, checks, nchecks, &contract, &err);
      if (rc) {
        fl_err_prefix(&err, "--schema: ");
        goto done;
      }
    }
    rd = fl_cli_ndjson_reader_new(read_schema, lc.source, (uint32_t)o.batch_rows);
    fl_cli_ndjson_reader_set_defaults(rd, defaults); /* same columns in the same order: schema_check */
    fl_cli_ndjson_reader_set_unknown_fields(
        rd, o.unknown_reject ? FL_JSON_UNKNOWN_REJECT : FL_JSON_UNKNOWN_IGNORE);
    fl_cli_ndjson_reader_set_contract(rd, contract);
    rc = fl_cli_ndjson_read(rd, in, emit_batch, &lc, &rows, &err);
  }
  if (!rc && !interrupted) rc = load_begin(&lc, &err); /* an empty input still creates the table */
  if (interrupted) /* whatever the read saw (EINTR, a short line): the load stops here */
    rc = fl_err_set(&err, FL_EINVAL, "interrupted (%s): nothing loaded",
                    interrupted == SIGINT ? "SIGINT" : "SIGTERM");
  if (rc) goto done;
  int64_t snapshot_id;
  rc = fl_appender_commit(lc.app, NULL, 0, &snapshot_id, &err);
  if (rc) {
    fl_err_prefix(&err, "table %s.%s: commit: ", ns, name);
    goto done;
  }
  const fl_snapshot *snap = fl_table_snapshot_by_id(lc.tbl, snapshot_id);
  const char *files = snap ? fl_snapshot_summary_get(snap, "added-data-files") : NULL;
  uint64_t unknown = rd ? fl_cli_ndjson_reader_unknown_fields(rd) : 0;
  if (unknown) /* fields not in the schema, ignored: said only when there were some */
    printf("loaded %" PRIu64 " rows into %s.%s (snapshot %" PRId64 ", %s files; %" PRIu64
           " unknown fields ignored)\n",
           rows, ns, name, snapshot_id, files ? files : "0", unknown);
  else
    printf("loaded %" PRIu64 " rows into %s.%s (snapshot %" PRId64 ", %s files)\n", rows, ns, name,
           snapshot_id, files ? files : "0");
done:
  fl_cli_ndjson_reader_free(rd);
  fl_contract_free(contract);
  fl_sql_eval_free(lc.checks);
  fl_appender_free(lc.app); /* an uncommitted appender deletes its files */
  if (in && in != stdin) fclose(in);
  if (lc.tbl) fl_table_free(lc.tbl);
  if (rc && lc.created_location) created_table_undo(lc.wh, ns, name, lc.created_location);
  fl_free(lc.created_location);
  if (lc.wh && rc && !dir_existed)
    made_dir_undo(lc.wh);
  else if (lc.wh)
    fl_warehouse_close(lc.wh);
  fl_arena_destroy(&arena);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  must_undo = 0;
  return rc ? fl_cli_fail(&err) : FL_CLI_OK;
}
