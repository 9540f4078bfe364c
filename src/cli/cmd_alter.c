/* cmd_alter: `floe alter TABLE add-column NAME TYPE`
 *            `floe alter TABLE rename-column OLD NEW`
 *            `floe alter TABLE widen-column NAME TYPE`
 *            `floe alter TABLE set-property KEY VALUE` | `unset-property KEY`
 *
 * Schema evolution from the command line: one change, one metadata-only commit
 * (fl_table_add_column / fl_table_rename_column / fl_table_widen_column). Data files
 * are not rewritten: scans read old files through the new schema by field id (an
 * added column reads as null in older rows, a renamed one keeps its data, a widened
 * one widens). The table layer decides what is allowed (Iceberg's rules: added
 * columns are optional; INT -> BIGINT, REAL -> DOUBLE, DECIMAL(p,s) -> DECIMAL(p',s)
 * with p' >= p); a refused change exits 1 with its message and commits nothing.
 *
 * Names follow sql.h's rule: a bare name is folded to lower case, a "Quoted" one
 * ("" for ") keeps its case. TYPE is floe SQL (fl_sql_parse_type): BIGINT,
 * DECIMAL(14,2), ...; the words after NAME are joined, so `double precision` may be
 * given unquoted.
 *
 * Output, one line on stdout:
 *   altered bronze.orders: added column coupon STRING (field id 11, schema 1)
 *   altered bronze.orders: renamed column qty to quantity (field id 4, schema 2)
 *   altered bronze.orders: widened column quantity from INT to BIGINT (field id 4, schema 3)
 *
 * set-property / unset-property change table properties (fl_table_set_properties, one
 * metadata-only commit), e.g. write.parquet.row-group-size-bytes or
 * write.target-file-size-bytes for later writes. A property floe reads must have a
 * value floe understands (known_props; else exit 2), any other key is stored as given
 * (it may be another engine's), with a warning if it looks like a misspelt one of floe's:
 *   altered bronze.orders: set property write.parquet.row-group-size-bytes = 65536
 *
 * Memory: names and the type text live in one arena for the command. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/limits.h"
#include "sql/sql.h"

typedef enum alter_action {
  ALTER_ADD = 1,
  ALTER_RENAME,
  ALTER_WIDEN,
  ALTER_SET_PROP,
  ALTER_UNSET_PROP
} alter_action;

static const struct {
  const char *word;
  alter_action action;
  const char *args; /* for messages */
} actions[] = {
    {"add-column", ALTER_ADD, "NAME TYPE"},      {"rename-column", ALTER_RENAME, "OLD NEW"},
    {"widen-column", ALTER_WIDEN, "NAME TYPE"},  {"set-property", ALTER_SET_PROP, "KEY VALUE"},
    {"unset-property", ALTER_UNSET_PROP, "KEY"},
};
enum { NACTIONS = sizeof actions / sizeof actions[0], ALTER_ARGS_MAX = 16 };

/* A column name as given on the command line -> the name it denotes (sql.h's rule). */
static fl_code name_parse(const char *text, fl_arena *arena, const char **out, fl_err *err) {
  size_t n = strlen(text);
  if (n >= 2 && text[0] == '"' && text[n - 1] == '"') {
    fl_buf name = FL_BUF_INIT;
    for (size_t i = 1; i + 1 < n; i++) {
      if (text[i] == '"') {
        if (i + 2 >= n || text[i + 1] != '"') {
          fl_buf_free(&name);
          return fl_err_set(err, FL_EPARSE, "column name %s: a \" inside quotes must be doubled", text);
        }
        i++;
      }
      fl_buf_put_u8(&name, (uint8_t)text[i]);
    }
    size_t len = name.len;
    *out = len ? fl_arena_strndup(arena, (const char *)name.data, len) : "";
    fl_buf_free(&name);
    if (!len) return fl_err_set(err, FL_EPARSE, "column name %s: empty", text);
  } else {
    if (!n || !(isalpha((unsigned char)text[0]) || text[0] == '_'))
      return fl_err_set(err, FL_EPARSE,
                        "column name \"%s\": expected a letter or _ first (quote it as '\"%s\"')", text,
                        text);
    for (size_t i = 0; i < n; i++)
      if (!isalnum((unsigned char)text[i]) && text[i] != '_')
        return fl_err_set(err, FL_EPARSE,
                          "column name \"%s\": only letters, digits and _ unless quoted (as '\"%s\"')", text,
                          text);
    char *s = fl_arena_strndup(arena, text, n);
    for (char *c = s; *c; c++) *c = (char)tolower((unsigned char)*c);
    *out = s;
  }
  if (strlen(*out) > FL_NAME_MAX)
    return fl_err_set(err, FL_ELIMIT, "column name %s: longer than %d bytes", text, FL_NAME_MAX);
  return FL_OK;
}

/* The words args[0..n) joined by blanks, parsed as a type. */
static fl_code type_parse(char **args, int n, fl_arena *arena, fl_type *type, fl_err *err) {
  fl_buf text = FL_BUF_INIT;
  for (int i = 0; i < n; i++) {
    if (i) fl_buf_put_u8(&text, ' ');
    fl_buf_append(&text, args[i], strlen(args[i]));
  }
  fl_code rc = fl_sql_parse_type((const char *)text.data, text.len, arena, type, err);
  if (rc) {
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    rc = fl_err_set(err, rc, "type \"%.*s\": %s", (int)text.len, (const char *)text.data, msg);
  }
  fl_buf_free(&text);
  return rc;
}

/* The table properties floe reads (grep fl_table_property in table/) and the values
 * it understands. A property floe reads is refused with any other value, because the
 * reader would ignore it silently (an unknown codec wrote zstd, "abc" kept the
 * default size). Adding a property reader? Add its row here and in
 * docs/operations.md. */
typedef enum prop_kind { P_INT, P_BOOL, P_CODEC, P_FORMAT } prop_kind;
static const struct {
  const char *key;
  prop_kind kind;
  long long min, max; /* P_INT */
} known_props[] = {
    {"write.target-file-size-bytes", P_INT, 1, INT64_MAX},
    {"write.parquet.compression-codec", P_CODEC, 0, 0},
    {"write.parquet.compression-level", P_INT, 1, 22}, /* zstd's levels */
    {"write.parquet.row-group-size-bytes", P_INT, 1, INT64_MAX},
    {"write.parquet.page-size-bytes", P_INT, 1, INT32_MAX},
    {"write.parquet.page-row-limit", P_INT, 1, INT32_MAX},
    {"write.parquet.dict-size-bytes", P_INT, 0, INT32_MAX}, /* 0: no dictionaries */
    {"write.format.default", P_FORMAT, 0, 0},
    {"write.metadata.previous-versions-max", P_INT, 0, INT32_MAX},
    {"commit.manifest-merge.enabled", P_BOOL, 0, 0},
    {"commit.manifest.min-count-to-merge", P_INT, 2, INT32_MAX},
    {"history.expire.max-snapshot-age-ms", P_INT, 0, INT64_MAX},
    {"history.expire.min-snapshots-to-keep", P_INT, 1, INT32_MAX},
    {"history.expire.max-snapshots", P_INT, 1, INT32_MAX},
    {"floe.commit.expire-snapshots", P_BOOL, 0, 0},
    {"write.metadata.delete-after-commit.enabled", P_BOOL, 0, 0},
};

/* 0 if floe can use value for key (or does not read key), else prints the usage error. */
static int property_check(const char *key, const char *value) {
  for (size_t i = 0; i < sizeof known_props / sizeof known_props[0]; i++) {
    if (strcmp(known_props[i].key, key)) continue;
    switch (known_props[i].kind) {
      case P_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (!*value || *end || errno || !(isdigit((unsigned char)value[0]) || value[0] == '-') ||
            v < known_props[i].min || v > known_props[i].max)
          return fl_cli_usage("alter", "property %s: expected an integer from %lld to %lld, found \"%s\"",
                              key, known_props[i].min, known_props[i].max, value);
        return FL_CLI_OK;
      }
      case P_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "false")) return FL_CLI_OK;
        return fl_cli_usage("alter", "property %s: expected true or false, found \"%s\"", key, value);
      case P_CODEC:
        if (!strcasecmp(value, "zstd") || !strcasecmp(value, "snappy") ||
            !strcasecmp(value, "uncompressed") || !strcasecmp(value, "none"))
          return FL_CLI_OK;
        return fl_cli_usage("alter", "property %s: floe writes zstd, snappy or uncompressed, found \"%s\"",
                            key, value);
      case P_FORMAT:
        if (!strcasecmp(value, "parquet")) return FL_CLI_OK;
        return fl_cli_usage("alter", "property %s: floe writes parquet only, found \"%s\"", key, value);
    }
  }
  /* a property of another engine is kept as given; a likely typo of one of floe's is
   * worth a word, since nothing would read it */
  static const char *const floe_prefixes[] = {"write.parquet.",  "write.target-",   "write.metadata.",
                                              "commit.manifest", "history.expire.", "floe."};
  for (size_t i = 0; i < sizeof floe_prefixes / sizeof floe_prefixes[0]; i++)
    if (!strncmp(key, floe_prefixes[i], strlen(floe_prefixes[i]))) {
      fprintf(stderr, "floe: warning: floe does not read property %s (see 'floe help alter')\n", key);
      break;
    }
  return FL_CLI_OK;
}

/* set-property / unset-property: one metadata-only commit. */
static int alter_property(fl_cli *cli, const char *table, alter_action action, const char *key,
                          const char *value) {
  fl_err err = {0};
  fl_warehouse *wh;
  fl_table *tbl;
  if (!*key) return fl_cli_usage("alter", "property key is empty");
  if (action == ALTER_SET_PROP) {
    int st = property_check(key, value);
    if (st) return st;
  }
  if (fl_cli_table_open(cli, table, &wh, &tbl, &err)) return fl_cli_fail(&err);
  fl_kv kv = {key, action == ALTER_SET_PROP ? value : NULL};
  int status = FL_CLI_OK;
  if (fl_table_set_properties(tbl, &kv, 1, &err)) {
    status = fl_cli_fail(&err);
  } else if (action == ALTER_SET_PROP) {
    printf("altered %s.%s: set property %s = %s\n", fl_table_ns(tbl), fl_table_name(tbl), key, value);
  } else {
    printf("altered %s.%s: unset property %s\n", fl_table_ns(tbl), fl_table_name(tbl), key);
  }
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  return status;
}

static const fl_field *field_by_name(const fl_table *tbl, const char *name) {
  return fl_schema_field_by_name(fl_table_schema(tbl), name);
}

int fl_cli_cmd_alter(fl_cli *cli, int argc, char **argv) {
  char *pos[ALTER_ARGS_MAX];
  int npos = 0;
  bool no_more_opts = false;
  for (int i = 1; i < argc; i++) {
    if (!no_more_opts) {
      const char *v;
      int m = fl_cli_opt(argc, argv, &i, "--data", &v);
      if (m < 0) return FL_CLI_USAGE;
      if (m > 0) continue;
      if (!strcmp(argv[i], "--")) {
        no_more_opts = true;
        continue;
      }
      if (fl_cli_is_option(argv[i])) return fl_cli_usage("alter", "unknown option %s", argv[i]);
    }
    if (npos == ALTER_ARGS_MAX) return fl_cli_usage("alter", "unexpected argument '%s'", argv[i]);
    pos[npos++] = argv[i];
  }
  if (npos < 1) return fl_cli_usage("alter", "which table? give TABLE as namespace.name");
  if (npos < 2)
    return fl_cli_usage("alter",
                        "what change? give add-column, rename-column, widen-column, set-property or "
                        "unset-property");
  const char *table = pos[0];
  if (fl_cli_table_arg("alter", table)) return FL_CLI_USAGE;
  unsigned a = 0;
  while (a < NACTIONS && strcmp(pos[1], actions[a].word)) a++;
  if (a == NACTIONS)
    return fl_cli_usage("alter",
                        "unknown change '%s': expected add-column, rename-column, widen-column, set-property "
                        "or unset-property",
                        pos[1]);
  alter_action action = actions[a].action;
  if (action == ALTER_UNSET_PROP || action == ALTER_SET_PROP) {
    int want = action == ALTER_SET_PROP ? 4 : 3;
    if (npos < want) return fl_cli_usage("alter", "%s needs %s", actions[a].word, actions[a].args);
    if (npos > want) return fl_cli_usage("alter", "unexpected argument '%s'", pos[want]);
    return alter_property(cli, table, action, pos[2], action == ALTER_SET_PROP ? pos[3] : NULL);
  }
  if (npos < 4) return fl_cli_usage("alter", "%s needs %s", actions[a].word, actions[a].args);
  if (action == ALTER_RENAME && npos > 4) return fl_cli_usage("alter", "unexpected argument '%s'", pos[4]);

  fl_err err = {0};
  fl_arena arena;
  fl_arena_init(&arena, 1 << 10);
  fl_warehouse *wh = NULL;
  fl_table *tbl = NULL;
  int status = FL_CLI_OK;
  fl_code rc = FL_OK;
  const char *column = NULL, *new_name = NULL;
  fl_type type = {0};
  char old_type[32] = "", new_type[32] = "";

  /* the command line first: a bad name or type is a usage error */
  if (name_parse(pos[2], &arena, &column, &err) ||
      (action == ALTER_RENAME ? name_parse(pos[3], &arena, &new_name, &err)
                              : type_parse(pos + 3, npos - 3, &arena, &type, &err))) {
    status = fl_cli_usage("alter", "%s", err.msg);
    goto done;
  }
  rc = fl_cli_table_open(cli, table, &wh, &tbl, &err);
  if (rc) goto done;
  if (action == ALTER_WIDEN) {
    const fl_field *f = field_by_name(tbl, column);
    if (f) fl_cli_type_format(f->type, old_type, sizeof old_type);
  }
  switch (action) {
    case ALTER_ADD: rc = fl_table_add_column(tbl, column, type, &err); break;
    case ALTER_RENAME: rc = fl_table_rename_column(tbl, column, new_name, &err); break;
    case ALTER_WIDEN: rc = fl_table_widen_column(tbl, column, type, &err); break;
    default: FL_ASSERT(0, "alter action %d", action);
  }
  if (rc) goto done;

  /* the handle moved to the new version */
  const fl_field *f = field_by_name(tbl, action == ALTER_RENAME ? new_name : column);
  FL_ASSERT(f, "table %s: column %s missing after the change", table, column);
  int32_t schema_id = fl_table_schema(tbl)->schema_id;
  fl_cli_type_format(f->type, new_type, sizeof new_type);
  printf("altered %s.%s: ", fl_table_ns(tbl), fl_table_name(tbl));
  switch (action) {
    case ALTER_ADD: printf("added column %s %s", f->name, new_type); break;
    case ALTER_RENAME: printf("renamed column %s to %s", column, f->name); break;
    case ALTER_WIDEN: printf("widened column %s from %s to %s", f->name, old_type, new_type); break;
    default: break;
  }
  printf(" (field id %d, schema %d)\n", f->id, schema_id);
done:
  if (rc) status = fl_cli_fail(&err);
  if (tbl) fl_table_free(tbl);
  if (wh) fl_warehouse_close(wh);
  fl_arena_destroy(&arena);
  return status;
}
