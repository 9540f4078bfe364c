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


static const fl_cli_cmd commands[] = {
    {"tables", fl_cli_cmd_tables, "", "list the tables with their snapshot, row, file and byte counts"},
    {"load", fl_cli_cmd_load,
     "TABLE FILE|- [--schema COLUMNS] [--partition SPEC] [--batch-rows N] [--codec zstd|snappy|none] "
     "[--target-file-bytes N] [--unknown-fields ignore|reject]",
     "append the rows of an NDJSON file to a table in one commit (creating it from --schema)"},
    {"cat", fl_cli_cmd_cat,
     "TABLE [--snapshot ID] [--as-of TIME] [--where \"CONDITION\"]... [--columns A,B] [--limit N] "
     "[--stats]",
     "print a table's rows as NDJSON"},
    {"describe", fl_cli_cmd_describe, "TABLE",
     "show a table's schema, partitioning, properties and snapshots"},
    {"alter", fl_cli_cmd_alter, "TABLE add-column NAME TYPE | rename-column OLD NEW | widen-column NAME TYPE | set-property KEY VALUE | "
     "unset-property KEY",
     "change a table's schema or properties (one metadata-only commit; data files are kept)"},
    {"delete", fl_cli_cmd_delete, "TABLE --where \"CONDITION\"...",
     "delete the matching rows with position deletes (one commit)"},
    {"compact", fl_cli_cmd_compact, "TABLE",
     "rewrite the live rows into fewer files, deletes applied (one replace snapshot)"},
    {"expire", fl_cli_cmd_expire, "TABLE [--older-than AGE] [--retain-last N] [--orphans]",
     "drop old snapshots and the files only they reached; --orphans: unreferenced files too"},
    {"log", fl_cli_cmd_log,
     "STREAM [--partition P] [--from OFFSET] [--limit N] [--format ndjson|text] | STREAM --stat | "
     "STREAM --append FILE|- [--partition P] [--partitions N]",
     "print the event log's records (or --stat: each partition's offsets and bytes)"},
    {"serve", fl_cli_cmd_serve, "[--project DIR] [--data DIR] [--listen HOST:PORT] [--threads N]",
     "run the events API of a project (floe.yaml, streams/) until SIGINT or SIGTERM"},
    {"ingest", fl_cli_cmd_ingest, "STREAM FILE|- [--url URL] [--token T] [--batch N] [--retries N]",
     "post NDJSON lines to floe serve in batches and print the accepted and rejected counts (retries: a "
     "resent batch may be stored twice)"},
    {"gen", fl_cli_cmd_gen,
     "orders [--count N] [--rate N] [--duplicates F] [--late F] [--bad F] [--seed S] [--tenants T] "
     "[--out FILE|- | --url URL [--token T] [--batch N] [--connections C] [--retries N]]",
     "generate orders events (deterministic; duplicates, late and bad ones) to a file or a server"},
    {"help", cmd_help, "[COMMAND]", "show the commands, or one command's usage"},
    {"version", cmd_version, "", "print floe's version"},
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
          "\n'floe help COMMAND' shows a command's arguments.\n");
}

static int cmd_help(fl_cli *cli, int argc, char **argv) {
  (void)cli;
  if (argc > 2) return fl_cli_usage("help", "too many arguments");
  if (argc == 2) {
    const fl_cli_cmd *cmd = fl_cli_cmd_find(argv[1]);
    if (!cmd) return fl_cli_usage("help", "unknown command '%s'", argv[1]);
    printf("usage: floe %s%s%s\n%s\n", cmd->name, *cmd->usage ? " " : "", cmd->usage, cmd->help);
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
  /* a command's --data overrides the global one; the command files see it too */
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
