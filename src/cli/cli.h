/* cli: what the command files of floe's command line share (src/cli/README.md).
 *
 * Each command is one file (cmd_load.c, cmd_cat.c, ...) with one entry point
 *   int fl_cli_cmd_<name>(fl_cli *cli, int argc, char **argv);
 * called by main.c with argv[0] = the command name. It returns the process exit
 * status: FL_CLI_OK, FL_CLI_ERROR (the request failed: "floe: <message>" was printed
 * on stderr) or FL_CLI_USAGE (the command line is wrong: the message and the
 * command's usage line were printed). Commands print their results on stdout and
 * nothing else there; diagnostics go to stderr.
 *
 * Option parsing: options may come in any order among the positional arguments,
 * as "--name value" or "--name=value"; "--" ends the options. Every command also
 * accepts the global option --data DIR (it overrides FLOE_DATA and the default
 * ./floe-data). */
#ifndef FL_CLI_CLI_H
#define FL_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "sql/sql.h"
#include "table/table.h"

enum { FL_CLI_OK = 0, FL_CLI_ERROR = 1, FL_CLI_USAGE = 2 };

/* Process-wide settings, filled by main.c before a command runs. */
typedef struct fl_cli {
  const char *data_dir; /* --data, else $FLOE_DATA, else "./floe-data" */
  bool readonly;        /* the command only reads: open the data dir read-only */
} fl_cli;

typedef int (*fl_cli_cmd_fn)(fl_cli *cli, int argc, char **argv);

/* A command of the dispatch table (main.c). */
typedef struct fl_cli_cmd {
  const char *name;
  fl_cli_cmd_fn run;
  const char *usage;   /* arguments after the name: "TABLE FILE|- [--schema COLS] ..." */
  const char *help;    /* one line */
  const char *options; /* `floe help NAME`: every option with its default, "" if none */
  bool readonly;       /* only reads the data dir (tables, cat, describe) */
} fl_cli_cmd;

int fl_cli_cmd_tables(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_load(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_cat(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_sql(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_describe(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_alter(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_delete(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_drop(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_register(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_compact(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_expire(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_log(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_serve(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_ingest(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_gen(fl_cli *cli, int argc, char **argv);
int fl_cli_cmd_replay(fl_cli *cli, int argc, char **argv);

/* What a stream job asks for (stream_contracts.c): the contract version a record was
 * accepted under, the current one from the project, older ones from
 * DATA/contracts/<stream>/<N>.sql (parsed into arena). One per job, used by the job's
 * thread only; the arena is the caller's to destroy. */
typedef struct fl_cli_contract_src {
  const char *data_dir;
  const struct fl_project_stream *ps;
  fl_arena arena;
} fl_cli_contract_src;
fl_code fl_cli_contract_lookup(void *ctx, uint32_t version, const fl_sql_stream **def, fl_err *err);

/* ref_tables.c: loads PROJECT/ref/NAME.sql + NAME.csv|.ndjson|.parquet into ref.NAME
 * for each table that does not exist yet (`floe serve` at start-up). */
fl_code fl_cli_ref_tables_load(const char *project_dir, fl_warehouse *wh, fl_err *err);

/* The dispatch table and its lookup (main.c). */
const fl_cli_cmd *fl_cli_cmd_find(const char *name);

/* Matches argv[*i] against option `name` ("--schema"). Returns 1 and sets *value (and
 * advances *i past a separate value) if it matches, 0 if argv[*i] is another
 * argument, -1 if it matches but the value is missing (the usage error is printed). */
int fl_cli_opt(int argc, char **argv, int *i, const char *name, const char **value);
/* As fl_cli_opt for a flag without a value ("--stats"): 1 if argv[*i] is it. */
bool fl_cli_flag(char **argv, int i, const char *name);
/* True if argv[i] looks like an option ("--x"; a lone "-" is a positional). */
bool fl_cli_is_option(const char *arg);

/* Prints "floe: <message>" and "usage: floe <cmd> <usage>" on stderr; returns FL_CLI_USAGE. */
int fl_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* FL_CLI_OK if qualified is a table name (namespace.name), else prints the usage
 * error of cmd and returns FL_CLI_USAGE: a malformed name is a command-line error. */
int fl_cli_table_arg(const char *cmd, const char *qualified);
/* Prints "floe: <err->msg>" on stderr; returns FL_CLI_ERROR. */
int fl_cli_fail(const fl_err *err);

/* Parses a non-negative decimal integer option value ("--limit 10"); FL_EINVAL with
 * "--limit: expected a non-negative integer, found \"x\"". */
fl_code fl_cli_parse_u64(const char *opt, const char *text, uint64_t *out, fl_err *err);

/* Opens the warehouse under cli->data_dir: read-only if cli->readonly (nothing on disk
 * changes; a missing data dir is FL_ENOENT "data dir X does not exist"), else creating
 * the data dir and catalog as needed. */
fl_code fl_cli_warehouse_open(const fl_cli *cli, fl_warehouse **wh, fl_err *err);
/* Opens the warehouse and loads the existing table "ns.name"; on error nothing is left
 * open. The data dir must exist (even for writing commands: a missing table cannot be
 * in a missing dir, and a typo in --data should not create one). A missing table gives
 * FL_ENOENT "table ns.name does not exist in data dir /abs/dir". */
fl_code fl_cli_table_open(const fl_cli *cli, const char *qualified, fl_warehouse **wh, fl_table **tbl,
                          fl_err *err);

/* The --where conditions of cat and delete (where.c): each text one SQL condition
 * (sql's grammar: = <> < <= > >=, [NOT] IN, [NOT] BETWEEN, IS [NOT] NULL, [NOT] LIKE,
 * AND, OR, NOT, arithmetic), the texts ANDed, rows kept where TRUE.
 *   fl_cli_where_new(texts, n, table schema, &w, &err)   parse, check, bind
 *   fl_cli_where_preds / _columns                         pruning terms, columns read
 *   fl_scan_plan(... preds, projection incl. the columns ...)
 *   fl_cli_where_attach(w, scan, &err)                    compile, set the scan filter
 *   fl_cli_where_free(w)                                  after the scan
 * Errors (FL_EPARSE / FL_ENOENT / FL_ETYPE / FL_EUNSUPPORTED) quote the text and
 * suggest the fix: `--where "name = bob": no column bob (a string takes single quotes:
 * 'bob')`. texts must outlive w. */
typedef struct fl_cli_where fl_cli_where;
fl_code fl_cli_where_new(const char *const *texts, uint32_t n, const fl_schema *schema, fl_cli_where **out,
                         fl_err *err);
const fl_pred *fl_cli_where_preds(const fl_cli_where *w, uint32_t *n);
/* The conditions as table/'s predicate IR (NULL if nothing prunes): fl_scan_opts.where. */
const fl_tpred *fl_cli_where_pred(const fl_cli_where *w);
const char *const *fl_cli_where_columns(const fl_cli_where *w, uint32_t *n);
fl_code fl_cli_where_attach(fl_cli_where *w, fl_scan *scan, fl_err *err);
void fl_cli_where_free(fl_cli_where *w);

/* Writes a type as floe SQL ("DECIMAL(12,2)", "BIGINT"); out >= 32 bytes. */
void fl_cli_type_format(fl_type type, char *out, size_t out_size);

#endif
