/* ref_tables: a project's reference tables (PROJECT/ref/NAME.sql + NAME.csv, .ndjson or
 * .parquet), loaded into ref.NAME by `floe serve` at start-up when the table does not
 * exist yet (an existing table is left alone: it may have been changed since, by CDC
 * or by hand; `floe drop ref.NAME` and a restart reload it).
 *
 * NAME.sql holds the table's column list (fl_sql_parse_columns: "product_id INT NOT
 * NULL, name STRING, ...", SQL comments allowed); the data file's rows are read by the
 * loaders of `floe load` (csv_load.c, ndjson_load.c) and committed in one snapshot. A
 * file that fails to load fails the start-up with its reason (file, line, column), and
 * the half-made table is dropped.
 *
 * Memory: one arena per table for the schema; the readers free their own. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/csv_load.h"
#include "cli/ndjson_load.h"
#include "core/diag.h"
#include "core/limits.h"
#include "sql/sql.h"

/* Column lists are small: 64 KiB is far above any reference table's. */
#define REF_SQL_BYTES_MAX (64u << 10)

typedef struct ref_load {
  fl_appender *app;
} ref_load;

static fl_code emit(void *ctx, const fl_batch *batch, fl_err *err) {
  return fl_appender_write(((ref_load *)ctx)->app, batch, err);
}

static fl_code read_text(const char *path, fl_arena *arena, char **out, size_t *len, fl_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return fl_err_errno(err, errno, "cannot open %s", path);
  char *buf = fl_arena_alloc(arena, REF_SQL_BYTES_MAX + 1);
  size_t n = fread(buf, 1, REF_SQL_BYTES_MAX + 1, f);
  bool bad = ferror(f);
  fclose(f);
  if (bad) return fl_err_errno(err, EIO, "cannot read %s", path);
  if (n > REF_SQL_BYTES_MAX) return fl_err_set(err, FL_ELIMIT, "%s: over %u bytes", path, REF_SQL_BYTES_MAX);
  buf[n] = 0;
  *out = buf;
  *len = n;
  return FL_OK;
}

/* Loads one reference table; *loaded = false when it exists already. */
static fl_code load_one(const char *dir, const char *name, fl_warehouse *wh, bool *loaded, uint64_t *rows,
                        fl_err *err) {
  *loaded = false;
  fl_table *tbl = NULL;
  fl_code rc = fl_table_load(wh, "ref", name, &tbl, err);
  if (rc == FL_OK) {
    fl_table_free(tbl);
    return FL_OK;
  }
  if (rc != FL_ENOENT) return rc;
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  char *sql_path = fl_arena_sprintf(&arena, "%s/%s.sql", dir, name), *data = NULL, *text = NULL;
  size_t len = 0;
  const char *format = NULL;
  static const char *const exts[] = {"csv", "ndjson", "parquet"};
  for (int i = 0; i < 3 && !data; i++) {
    char *p = fl_arena_sprintf(&arena, "%s/%s.%s", dir, name, exts[i]);
    struct stat st;
    if (!stat(p, &st)) data = p, format = exts[i];
  }
  fl_sql_column *cols;
  uint32_t ncols;
  fl_schema schema = {0};
  FILE *in = NULL;
  ref_load rl = {0};
  bool created = false;
  if (!data) {
    rc = fl_err_set(err, FL_ENOENT, "%s: no %s/%s.csv, .ndjson or .parquet holds its rows", sql_path, dir,
                    name);
    goto done;
  }
  if ((rc = read_text(sql_path, &arena, &text, &len, err))) goto done;
  if ((rc = fl_sql_parse_columns(text, len, &arena, &cols, &ncols, err))) {
    fl_err_prefix(err, "%s: ", sql_path);
    goto done;
  }
  schema.nfields = ncols;
  schema.fields = fl_arena_calloc(&arena, ncols, sizeof *schema.fields);
  for (uint32_t i = 0; i < ncols; i++)
    schema.fields[i] = (fl_field){
        .id = (int32_t)i + 1, .name = cols[i].name, .type = cols[i].type, .required = cols[i].not_null};
  if ((rc = fl_table_create(wh, "ref", name, &schema, NULL, &tbl, err))) goto done;
  created = true;
  if ((rc = fl_appender_begin(tbl, &rl.app, err))) goto done;
  const fl_schema *ts = fl_table_schema(tbl);
  if (!strcmp(format, "parquet")) {
    rc = fl_cli_parquet_read(ts, data, false, emit, &rl, rows, err);
  } else if (!(in = fopen(data, "rb"))) {
    rc = fl_err_errno(err, errno, "cannot open %s", data);
  } else if (!strcmp(format, "csv")) {
    rc = fl_cli_csv_read(ts, data, in, FL_BATCH_ROWS, false, emit, &rl, rows, err);
  } else {
    fl_ndjson_reader *rd = fl_cli_ndjson_reader_new(ts, data, FL_BATCH_ROWS);
    rc = fl_cli_ndjson_read(rd, in, emit, &rl, rows, err);
    fl_cli_ndjson_reader_free(rd);
  }
  if (!rc) rc = fl_appender_commit(rl.app, NULL, 0, NULL, err);
  if (!rc) *loaded = true;
done:
  if (in) fclose(in);
  fl_appender_free(rl.app);
  if (tbl) fl_table_free(tbl);
  if (rc && created) {
    fl_err drop_err = {0};
    if (fl_table_drop(wh, "ref", name, true, &drop_err))
      fl_warn("serve", "ref.%s: could not drop the half-loaded table: %s", name, drop_err.msg);
  }
  fl_arena_destroy(&arena);
  if (rc) return fl_err_prefix(err, "reference table ref.%s: ", name);
  return FL_OK;
}

fl_code fl_cli_ref_tables_load(const char *project_dir, fl_warehouse *wh, fl_err *err) {
  char *dir = fl_sprintf("%s/ref", project_dir);
  DIR *d = opendir(dir);
  if (!d) {
    fl_free(dir);
    return FL_OK; /* no reference tables */
  }
  /* sorted names: a deterministic order of loads (and of the first error) */
  char **names = NULL;
  uint32_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (len < 5 || strcmp(de->d_name + len - 4, ".sql") || len - 4 > FL_NAME_MAX) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      names = fl_realloc(names, cap * sizeof *names);
    }
    names[n++] = fl_strndup(de->d_name, len - 4);
  }
  closedir(d);
  for (uint32_t i = 1; i < n; i++)
    for (uint32_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char *t = names[j];
      names[j] = names[j - 1];
      names[j - 1] = t;
    }
  fl_code rc = FL_OK;
  for (uint32_t i = 0; i < n && !rc; i++) {
    bool loaded;
    uint64_t rows = 0;
    rc = load_one(dir, names[i], wh, &loaded, &rows, err);
    if (!rc && loaded) fl_info("serve", "loaded %llu rows into ref.%s", (unsigned long long)rows, names[i]);
  }
  for (uint32_t i = 0; i < n; i++) fl_free(names[i]);
  fl_free(names);
  fl_free(dir);
  return rc;
}
