/* floe: the command line. One file per command in src/cli/ (cmd_<name>.c, entry point
 * fl_cli_cmd_<name>); this one holds the dispatch table, the global options and the
 * helpers the command files share (cli.h).
 *
 *   floe [--data DIR] COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 the request failed ("floe: <message>" on stderr), 2 the
 * command line is wrong (message and usage on stderr). Global options come before
 * the command; --data is also accepted among a command's own options.
 *
 * Adding a command? Write cmd_<name>.c with fl_cli_cmd_<name>, declare it in cli.h,
 * add a row to `commands` below (usage + one-line help) and a test in tests/e2e/. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/limits.h"
#include "core/mem.h"

static int cmd_help(fl_cli *cli, int argc, char **argv);
static int cmd_version(fl_cli *cli, int argc, char **argv);

/* Each row: name, entry point, usage, one-line help, then `floe help NAME`'s option
 * list (every option with its default) and whether the command only reads (it then
 * opens the data dir read-only: fl_cli_warehouse_open). */
static const fl_cli_cmd commands[] = {
    {"tables", fl_cli_cmd_tables, "", "list the tables with their snapshot, row, file and byte counts",
     "  none besides --data. A table that cannot be read is listed with the reason\n"
     "  (\"error=...\") and the listing goes on; the exit status is then 1.\n",
     true},
    {"load", fl_cli_cmd_load,
     "TABLE FILE|- [--format ndjson|csv|parquet] [--schema COLUMNS] [--partition SPEC] [--batch-rows N] "
     "[--codec zstd|snappy|none] [--target-file-bytes N] [--unknown-fields ignore|reject]",
     "append the rows of an NDJSON, CSV or Parquet file to a table in one commit (creating it from --schema)",
     "  --format F              ndjson, csv (a header names the columns) or parquet (default: by the\n"
     "                          file's extension, .csv or .parquet; else, and for stdin, ndjson)\n"
     "  --schema COLUMNS        create TABLE if missing, else check it has these columns:\n"
     "                          \"id BIGINT NOT NULL, name STRING\" (default: the table must exist;\n"
     "                          a Parquet file creates a missing table with its own columns)\n"
     "  --partition SPEC        Iceberg transforms for a new table: \"day(ts), tenant_id\" (default: none)\n"
     "  --batch-rows N          rows per batch given to the writer (default 4096, at most 1048576)\n"
     "  --codec C               zstd, snappy or none; sets write.parquet.compression-codec\n"
     "                          (default: the table's, zstd for a new table)\n"
     "  --target-file-bytes N   sets write.target-file-size-bytes (default: the table's, 536870912)\n"
     "  --unknown-fields M      ignore (count them) or reject the lines whose fields are not\n"
     "                          columns of the table (default: ignore for NDJSON; reject for a\n"
     "                          CSV header field or Parquet column the table lacks)\n"
     "  A failed load commits nothing, and a table it created is dropped again.\n",
     false},
    {"cat", fl_cli_cmd_cat,
     "TABLE [--snapshot ID] [--as-of TIME] [--where \"CONDITION\"]... [--columns A,B] [--limit N] "
     "[--stats]",
     "print a table's rows as NDJSON",
     "  --snapshot ID      read that snapshot (default: the current one)\n"
     "  --as-of TIME       the snapshot current at TIME, RFC 3339 or epoch milliseconds\n"
     "  --where \"COND\"     keep the rows where the SQL condition COND is true: a = 1 AND b IN ('x', 'y'),\n"
     "                     s LIKE 'a%', c IS NULL, ... ; repeat to AND (default: all rows)\n"
     "  --columns A,B      print only these columns, in this order (default: all)\n"
     "  --limit N          print at most N rows (default: no limit)\n"
     "  --stats            print the scan's statistics on stderr (default: off)\n",
     true},
    {"sql", fl_cli_cmd_sql,
     "[\"QUERY\" | -] [--format table|json|ndjson|csv|arrow] [--timeout MS] [--memory BYTES] [--threads N]",
     "run a SQL query (SELECT, WITH, EXPLAIN [ANALYZE]) over the tables and print its rows",
     "  --format F       table (a box, the default), json (an array of objects), ndjson, csv (RFC 4180\n"
     "                   with a header) or arrow (the Arrow IPC stream format)\n"
     "  --timeout MS     stop the query after MS milliseconds (default: no limit)\n"
     "  --memory BYTES   memory for hash tables and sorts before they spill (default: no limit)\n"
     "  --threads N      worker threads reading a table's files and row groups, 1 to 256 (default:\n"
     "                   the online cores)\n"
     "  - reads the query from stdin. A table without a namespace is looked up in every one.\n"
     "  Without a query: a shell (line editing, history in ~/.floe_history): statements end with ';',\n"
     "  \\d lists the tables, \\d TABLE shows its columns, \\q quits.\n",
     true},
    {"describe", fl_cli_cmd_describe, "TABLE [--files]",
     "show a table's schema, partitioning, properties and snapshots",
     "  --files   print only the URIs of the current snapshot's data files, one per line\n"
     "            (what another engine must read; default: the description)\n",
     true},
    {"alter", fl_cli_cmd_alter,
     "TABLE add-column NAME TYPE | rename-column OLD NEW | widen-column NAME TYPE | set-property KEY VALUE | "
     "unset-property KEY",
     "change a table's schema or properties (one metadata-only commit; data files are kept)",
     "  add-column NAME TYPE      add an optional column (older rows read it as null)\n"
     "  rename-column OLD NEW     rename a column (its field id, so its data, is kept)\n"
     "  widen-column NAME TYPE    INT->BIGINT, REAL->DOUBLE, DECIMAL(p,s)->DECIMAL(p',s) with p'>=p\n"
     "  set-property KEY VALUE    set a table property; a property floe reads is checked\n"
     "                            (docs/operations.md lists them with their values)\n"
     "  unset-property KEY        remove a table property (floe uses its default again)\n",
     false},
    {"delete", fl_cli_cmd_delete, "TABLE --where \"CONDITION\"...",
     "delete the matching rows with position deletes (one commit)",
     "  --where \"COND\"   the rows to delete: an SQL condition (required; repeat to AND)\n", false},
    {"drop", fl_cli_cmd_drop, "TABLE [--purge]",
     "remove a table from the catalog (--purge: delete its files too)",
     "  --purge   also delete the table's directory: its data and metadata files\n"
     "            (default: keep them; other engines that read the files by path still can)\n",
     false},
    {"register", fl_cli_cmd_register, "TABLE METADATA_LOCATION",
     "add a table another engine wrote to the catalog, pointing at its metadata file",
     "  METADATA_LOCATION   a vN.metadata.json or NNNNN-uuid.metadata.json (gzip too): a path, a\n"
     "                      file:// URI, or the table's directory (its version hint is followed).\n"
     "                      The files stay where they are; paths inside the metadata that name\n"
     "                      the writer's directory are read from where the table is now.\n"
     "                      Object storage (s3://, gs://, ...) is not supported yet.\n",
     false},
    {"compact", fl_cli_cmd_compact, "TABLE",
     "rewrite the live rows into fewer files, deletes applied (one replace snapshot)", "", false},
    {"expire", fl_cli_cmd_expire, "TABLE [--older-than AGE] [--retain-last N] [--orphans]",
     "drop old snapshots and the files only they reached; --orphans: unreferenced files too",
     "  --older-than AGE   expire snapshots older than AGE: 90s, 30m, 12h, 7d or 0 (default: the\n"
     "                     table's history.expire.max-snapshot-age-ms, else 5 days)\n"
     "  --retain-last N    always keep the newest N snapshots (default: the table's\n"
     "                     history.expire.min-snapshots-to-keep, else 1)\n"
     "  --orphans          also delete files no metadata references, older than AGE (default: off;\n"
     "                     only safe with no writer running when AGE is 0)\n",
     false},
    {"log", fl_cli_cmd_log,
     "STREAM [--partition P] [--from OFFSET] [--limit N] [--format ndjson|text] [--skip-damaged] | "
     "STREAM --stat | STREAM --verify | STREAM --append FILE|- [--partition P] [--partitions N]",
     "print the event log's records (or --stat: each partition's offsets and bytes, each consumer's lag)",
     "  --partition P      only partition P (default: every partition, in order)\n"
     "  --from OFFSET      start at OFFSET (default 0: the oldest record kept)\n"
     "  --limit N          print at most N records (default: no limit)\n"
     "  --verify           check every batch of every segment; print each damaged range (stream,\n"
     "                     partition, file, bytes, offsets); exit 1 if any\n"
     "  --skip-damaged     read on past damaged ranges, naming each on stderr (default: stop, exit 1)\n"
     "  --format F         ndjson (with each record's event_time, key_hash and contract_version\n"
     "                     when it has them) or text (default ndjson)\n"
     "  --stat             print each partition's offsets, records, bytes (stored), raw_bytes\n"
     "                     (uncompressed) and segments instead, then each named consumer's\n"
     "                     committed offset and lag per partition\n"
     "  --append FILE|-    append each non-empty line as one record (needs the log to itself)\n"
     "  --partitions N     partitions of a stream --append creates (default 1)\n"
     "  The log is DATA/log; it is opened read-only except by --append.\n",
     false},
    {"serve", fl_cli_cmd_serve, "[--project DIR] [--data DIR] [--listen HOST:PORT] [--threads N]",
     "run the events API of a project (floe.yaml, streams/) until SIGINT or SIGTERM",
     "  --project DIR        the project folder: floe.yaml and streams/*.sql (default .)\n"
     "  --data DIR           the data dir (default: --data/$FLOE_DATA, else floe.yaml's data_dir,\n"
     "                       else ./floe-data)\n"
     "  --listen HOST:PORT   address to listen on (default: $FLOE_LISTEN, else floe.yaml's listen,\n"
     "                       else 127.0.0.1:8080; port 0 = any free port)\n"
     "  --threads N          event loops, 1 to 256 (default: floe.yaml's threads, else 2)\n",
     false},
    {"replay", fl_cli_cmd_replay, "STREAM [--project DIR] [--from-offset N] [--into NS.TABLE] [--swap]",
     "rebuild a stream's bronze rows from its event log into a new table while the live one keeps serving",
     "  --project DIR      the project folder: floe.yaml and streams/*.sql (default .)\n"
     "  --from-offset N    start at offset N in every partition (default 0: the oldest kept); an\n"
     "                     interrupted replay continues from its table's last checkpoint instead\n"
     "  --into NS.TABLE    the table to write (default bronze.STREAM_replay, or _replay_2, ... when a\n"
     "                     swap made that directory the live table's); the log is read-only (no --swap)\n"
     "  --swap             then make the replay bronze.STREAM in one catalog transaction, keeping the\n"
     "                     old table as bronze.STREAM_before_swap; refused while floe serve runs on\n"
     "                     the data dir (and a serve cannot start until the swap is done)\n",
     false},
    {"ingest", fl_cli_cmd_ingest, "STREAM FILE|- [--url URL] [--token T] [--batch N] [--retries N]",
     "post NDJSON lines to floe serve in batches and print the accepted and rejected counts (retries: a "
     "resent batch may be stored twice)",
     "  --url URL       the server (default: $FLOE_URL, else http://127.0.0.1:8080)\n"
     "  --token T       bearer token (default: $FLOE_TOKEN, else none)\n"
     "  --batch N       lines per request (default 1000)\n"
     "  --retries N     resends of a batch after a connection error or 503/507 (default 5); a\n"
     "                  request the server cuts (413, cut_at_line) is resent from the cut, always\n",
     false},
    {"gen", fl_cli_cmd_gen,
     "orders [--count N] [--rate N] [--duplicates F] [--late F] [--bad F] [--seed S] [--tenants T] "
     "[--out FILE|- | --url URL [--token T] [--batch N] [--connections C] [--retries N]]",
     "generate orders events (deterministic; duplicates, late and bad ones) to a file or a server",
     "  --count N         lines to generate (default 1000)\n"
     "  --rate N          lines per second, N or N/s (default 0: as fast as possible)\n"
     "  --duplicates F    fraction of lines re-sending an earlier event (default 0.05)\n"
     "  --late F          fraction of late events (default 0.01)\n"
     "  --bad F           fraction of contract-violating lines (default 0.005)\n"
     "  --seed S          random seed (default 1)\n"
     "  --tenants T       distinct tenant_id values (default 20)\n"
     "  --out FILE|-      write the lines there (default: stdout, when --url is not given)\n"
     "  --url URL         post to a server instead (default: none)\n"
     "  --token T         bearer token when posting (default: $FLOE_TOKEN, else none)\n"
     "  --batch N         lines per request (default 1000)\n"
     "  --connections C   parallel connections (default 2)\n"
     "  --retries N       resends of a failed batch (default 5); a cut one is resent from the cut\n",
     false},
    {"help", cmd_help, "[COMMAND]", "show the commands, or one command's usage and options", "", true},
    {"version", cmd_version, "", "print floe's version", "", true},
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

const fl_cli_cmd *fl_cli_cmd_find(const char *name) {
  for (unsigned i = 0; i < NCOMMANDS; i++)
    if (!strcmp(commands[i].name, name)) return &commands[i];
  return NULL;
}

static void print_commands(FILE *out) {
  fprintf(out, "usage: floe [--data DIR] COMMAND [ARGS]\n\ncommands:\n");
  for (unsigned i = 0; i < NCOMMANDS; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
  fprintf(out,
          "\nglobal options:\n  --data DIR  the data directory (default $FLOE_DATA, else ./floe-data)\n"
          "\n'floe help COMMAND' or 'floe COMMAND --help' shows a command's arguments and options.\n"
          "exit status: 0 ok, 1 the request failed, 2 the command line is wrong\n");
}

static void print_command(const fl_cli_cmd *cmd, FILE *out) {
  fprintf(out, "usage: floe %s%s%s\n%s\n", cmd->name, *cmd->usage ? " " : "", cmd->usage, cmd->help);
  if (*cmd->options) fprintf(out, "\noptions:\n%s", cmd->options);
  fprintf(out,
          "\nglobal options (before or after the command):\n"
          "  --data DIR   the data directory (default: $FLOE_DATA, else ./floe-data)\n"
          "  --help       show this text\n"
          "\nexit status: 0 ok, 1 the request failed, 2 the command line is wrong\n");
}

static int cmd_help(fl_cli *cli, int argc, char **argv) {
  (void)cli;
  if (argc > 2) return fl_cli_usage("help", "too many arguments");
  if (argc == 2) {
    const fl_cli_cmd *cmd = fl_cli_cmd_find(argv[1]);
    if (!cmd) return fl_cli_usage("help", "unknown command '%s'", argv[1]);
    print_command(cmd, stdout);
    return FL_CLI_OK;
  }
  print_commands(stdout);
  return FL_CLI_OK;
}

static int cmd_version(fl_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argv;
  if (argc > 1) return fl_cli_usage("version", "too many arguments");
  printf("floe %s\n", FLOE_VERSION);
  return FL_CLI_OK;
}

/* ---------------------------------------------------------------- shared helpers */

bool fl_cli_is_option(const char *arg) { return arg[0] == '-' && arg[1] == '-' && arg[2] != '\0'; }

int fl_cli_opt(int argc, char **argv, int *i, const char *name, const char **value) {
  const char *arg = argv[*i];
  size_t n = strlen(name);
  if (strncmp(arg, name, n)) return 0;
  if (arg[n] == '=') {
    *value = arg + n + 1;
    return 1;
  }
  if (arg[n] != '\0') return 0;
  if (*i + 1 >= argc) {
    fprintf(stderr, "floe: option %s needs a value\n", name);
    return -1;
  }
  *value = argv[++*i];
  return 1;
}

bool fl_cli_flag(char **argv, int i, const char *name) { return !strcmp(argv[i], name); }

int fl_cli_usage(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("floe: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  const fl_cli_cmd *c = fl_cli_cmd_find(cmd);
  if (c) fprintf(stderr, "usage: floe %s%s%s\n", c->name, *c->usage ? " " : "", c->usage);
  return FL_CLI_USAGE;
}

int fl_cli_table_arg(const char *cmd, const char *qualified) {
  char ns[FL_NAME_MAX + 1], name[FL_NAME_MAX + 1];
  fl_err err = {0};
  if (fl_table_ident_parse(qualified, ns, name, &err)) return fl_cli_usage(cmd, "%s", err.msg);
  return FL_CLI_OK;
}

int fl_cli_fail(const fl_err *err) {
  fprintf(stderr, "floe: %s\n", err->msg[0] ? err->msg : fl_code_message(err->code));
  return FL_CLI_ERROR;
}

fl_code fl_cli_parse_u64(const char *opt, const char *text, uint64_t *out, fl_err *err) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (!*text || *end || text[0] == '-' || errno)
    return fl_err_set(err, FL_EINVAL, "%s: expected a non-negative integer, found \"%s\"", opt, text);
  *out = v;
  return FL_OK;
}

/* fl_cli_type_format is in where.c: library code (ndjson_load.c) uses it, and main.c
 * is not part of libfloe (the fuzz targets link without it). */

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv) {
  fl_cli cli = {.data_dir = getenv("FLOE_DATA")};
  if (!cli.data_dir || !*cli.data_dir) cli.data_dir = "./floe-data";
  int i = 1;
  while (i < argc && fl_cli_is_option(argv[i])) {
    const char *v;
    int m = fl_cli_opt(argc, argv, &i, "--data", &v);
    if (m < 0) return FL_CLI_USAGE;
    if (m > 0) {
      cli.data_dir = v;
      i++;
      continue;
    }
    if (!strcmp(argv[i], "--version")) return cmd_version(&cli, 1, argv);
    if (!strcmp(argv[i], "--help")) return cmd_help(&cli, 1, argv);
    fprintf(stderr, "floe: unknown global option %s\n", argv[i]);
    print_commands(stderr);
    return FL_CLI_USAGE;
  }
  if (i >= argc) {
    print_commands(stderr);
    return FL_CLI_USAGE;
  }
  const fl_cli_cmd *cmd = fl_cli_cmd_find(argv[i]);
  if (!cmd) {
    fprintf(stderr, "floe: unknown command '%s'\n", argv[i]);
    print_commands(stderr);
    return FL_CLI_USAGE;
  }
  /* --help anywhere among the options shows the command's help; a command's --data
   * overrides the global one (the command files see it too) */
  for (int j = i + 1; j < argc; j++) {
    if (!strcmp(argv[j], "--")) break;
    if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
      print_command(cmd, stdout);
      return FL_CLI_OK;
    }
  }
  cli.readonly = cmd->readonly;
  for (int j = i + 1; j < argc; j++) {
    if (!strcmp(argv[j], "--")) break;
    const char *v;
    int m = fl_cli_opt(argc, argv, &j, "--data", &v);
    if (m < 0) return FL_CLI_USAGE;
    if (m > 0) cli.data_dir = v;
  }
  int status = cmd->run(&cli, argc - i, argv + i);
  if (fflush(stdout) != 0 && status == FL_CLI_OK) {
    fprintf(stderr, "floe: writing the output: %s\n", strerror(errno));
    status = FL_CLI_ERROR;
  }
  return status;
}
