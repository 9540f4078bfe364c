/* stream_test: CREATE STREAM: the example project's orders.sql to its exact structure,
 * every item and option, the schema it yields, and each error's exact message. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/time.h"
#include "sql/sql.h"

static fl_arena arena;

static void setup(void) { fl_arena_init(&arena, 4096); }
static void teardown(void) { fl_arena_destroy(&arena); }

TestSuite(sql_stream, .init = setup, .fini = teardown);

/* The repository root: $FLOE_ROOT, else three levels above this file. */
static char *example_path(const char *rel) {
  const char *root = getenv("FLOE_ROOT");
  if (root) return fl_arena_sprintf(&arena, "%s/%s", root, rel);
  const char *file = __FILE__;
  const char *tail = strstr(file, "src/sql/stream_test.c");
  cr_assert_not_null(tail, "cannot find the repository from %s", file);
  return fl_arena_sprintf(&arena, "%.*s%s", (int)(tail - file), file, rel);
}

static char *read_text(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "open %s", path);
  char *buf = fl_arena_alloc(&arena, 1 << 16);
  *len = fread(buf, 1, (1 << 16) - 1, f);
  buf[*len] = 0;
  fclose(f);
  return buf;
}

static fl_sql_stream *parse_ok(const char *text) {
  fl_sql_stream *st = NULL;
  fl_err err = {0};
  fl_code rc = fl_sql_parse_create_stream(text, strlen(text), &arena, &st, &err);
  cr_assert_eq(rc, FL_OK, "parse: %s\n%s", err.msg, text);
  cr_assert_not_null(st);
  return st;
}

static void parse_fails(const char *text, const char *msg) {
  fl_sql_stream *st = (fl_sql_stream *)1;
  fl_err err = {0};
  fl_code rc = fl_sql_parse_create_stream(text, strlen(text), &arena, &st, &err);
  cr_assert_eq(rc, FL_EPARSE, "passed or wrong code (%d): %s\n%s", rc, err.msg, text);
  cr_assert_null(st);
  cr_assert_str_eq(err.msg, msg, "for:\n%s\ngot: %s", text, err.msg);
}

static char *format(const fl_sql_expr *e) {
  fl_buf b = FL_BUF_INIT;
  fl_sql_expr_format(e, 0, &b);
  char *s = fl_arena_strndup(&arena, (const char *)b.data, b.len);
  fl_buf_free(&b);
  return s;
}

Test(sql_stream, example_orders_parses_to_its_exact_structure) {
  size_t len = 0;
  char *text = read_text(example_path("examples/orders/streams/orders.sql"), &len);
  fl_sql_stream *st = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_sql_parse_create_stream(text, len, &arena, &st, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(st->name, "orders");
  cr_assert(!st->if_not_exists);
  cr_assert_eq(st->line, 2);
  cr_assert_eq(st->col, 1);

  static const struct {
    const char *name;
    fl_type_kind kind;
    uint8_t p, s;
    bool not_null;
  } want[] = {
      {"event_id", FL_T_STRING, 0, 0, true},      {"tenant_id", FL_T_STRING, 0, 0, true},
      {"order_id", FL_T_BIGINT, 0, 0, true},      {"user_id", FL_T_BIGINT, 0, 0, false},
      {"product_id", FL_T_INT, 0, 0, false},      {"event_type", FL_T_STRING, 0, 0, true},
      {"amount", FL_T_DECIMAL, 12, 2, false},     {"currency", FL_T_STRING, 0, 0, false},
      {"event_time", FL_T_TIMESTAMP, 0, 0, true}, {"attributes", FL_T_JSON, 0, 0, false},
  };
  cr_assert_eq(st->ncols, 10);
  for (uint32_t i = 0; i < 10; i++) {
    cr_assert_str_eq(st->cols[i].name, want[i].name);
    cr_assert_eq(st->cols[i].type.kind, want[i].kind, "column %s", want[i].name);
    cr_assert_eq(st->cols[i].type.precision, want[i].p);
    cr_assert_eq(st->cols[i].type.scale, want[i].s);
    cr_assert_eq(st->cols[i].not_null, want[i].not_null, "column %s", want[i].name);
    cr_assert_eq(st->cols[i].line, i < 6 ? i + 3 : i + 4); /* event_type takes two lines */
    cr_assert_eq(st->cols[i].col, 3);
    cr_assert_eq(st->cols[i].check != NULL, i == 5);
    cr_assert_eq(st->schema.fields[i].id, (int32_t)i + 1);
    cr_assert_str_eq(st->schema.fields[i].name, want[i].name);
    cr_assert_eq(st->schema.fields[i].required, want[i].not_null);
  }
  cr_assert_eq(st->schema.nfields, 10);

  cr_assert_eq(st->nchecks, 1);
  const fl_sql_check *chk = &st->checks[0];
  cr_assert_eq(chk->column, 5);
  cr_assert_null(chk->name);
  cr_assert_str_eq(chk->sql,
                   "event_type IN\n             ('order_created', 'order_paid', 'order_shipped', "
                   "'order_cancelled')");
  const fl_sql_expr *in = chk->expr;
  cr_assert_eq(in->kind, FL_SQL_E_IN);
  cr_assert(!in->negated);
  cr_assert_eq(in->nargs, 5);
  cr_assert_eq(in->args[0]->kind, FL_SQL_E_COLUMN);
  cr_assert_str_eq(in->args[0]->name, "event_type");
  cr_assert_eq(in->args[0]->field, 5);
  const char *types[] = {"order_created", "order_paid", "order_shipped", "order_cancelled"};
  for (int i = 0; i < 4; i++) {
    cr_assert_eq(in->args[i + 1]->lit, FL_SQL_LIT_STRING);
    cr_assert_str_eq(in->args[i + 1]->text, types[i]);
  }
  cr_assert_eq(in->rtype, FL_SQL_RT_VALUE);
  cr_assert_eq(in->type.kind, FL_T_BOOLEAN);
  cr_assert_eq(in->line, 8);
  cr_assert_eq(in->col, 48);
  cr_assert_str_eq(format(in),
                   "event_type IN ('order_created', 'order_paid', 'order_shipped', 'order_cancelled')");

  cr_assert_str_eq(st->watermark_column, "event_time");
  cr_assert_eq(st->watermark_index, 8);
  cr_assert_eq(st->watermark_delay_us, 5000000);

  cr_assert_eq(st->npk, 1);
  cr_assert_str_eq(st->primary_key[0], "event_id");
  cr_assert_eq(st->primary_key_index[0], 0);
  cr_assert_eq(st->schema.nidentifier, 1);
  cr_assert_eq(st->schema.identifier_ids[0], 1);

  cr_assert_eq(st->noptions, 3);
  cr_assert_str_eq(st->options[0].key, "dedupe_ttl");
  cr_assert_str_eq(st->options[0].value, "1 hour");
  cr_assert_eq(st->options[0].line, 16);
  cr_assert_eq(st->options[0].col, 9);
  cr_assert_str_eq(st->options[1].key, "late_policy");
  cr_assert_str_eq(st->options[1].value, "keep");
  cr_assert_str_eq(st->options[2].key, "partitioned_by");
  cr_assert_str_eq(st->options[2].value, "day(event_time), tenant_id");
  cr_assert_eq(st->dedupe_ttl_us, 3600LL * 1000000);
  cr_assert_eq(st->late_policy, FL_SQL_LATE_KEEP);
  cr_assert_str_eq(st->partitioned_by, "day(event_time), tenant_id");
  cr_assert_eq(st->npartition, 2);
  cr_assert_str_eq(st->partition[0].transform, "day");
  cr_assert_str_eq(st->partition[0].column, "event_time");
  cr_assert_str_eq(st->partition[1].transform, "identity");
  cr_assert_str_eq(st->partition[1].column, "tenant_id");
  cr_assert_eq(st->partitions, 0);
  cr_assert_eq(st->retention_us, 0);
}

Test(sql_stream, smallest_stream_with_if_not_exists_and_semicolon) {
  fl_sql_stream *st = parse_ok("create stream if not exists \"Clicks\" (url string);");
  cr_assert_str_eq(st->name, "Clicks");
  cr_assert(st->if_not_exists);
  cr_assert_eq(st->ncols, 1);
  cr_assert_null(st->watermark_column);
  cr_assert_eq(st->watermark_index, -1);
  cr_assert_eq(st->npk, 0);
  cr_assert_eq(st->nchecks, 0);
  cr_assert_eq(st->noptions, 0);
  cr_assert_eq(st->schema.nidentifier, 0);
  parse_ok("CREATE STREAM s (a INT) -- trailing comment\n");
  parse_ok("/* leading */ CREATE STREAM s (a INT) WITH (partitions = 2) ; -- done");
}

Test(sql_stream, items_in_any_order_with_every_option) {
  fl_sql_stream *st = parse_ok(
      "CREATE STREAM clicks (\n"
      "  PRIMARY KEY (user_id, ts) NOT ENFORCED,\n"
      "  CONSTRAINT positive CHECK (n > 0),\n"
      "  WATERMARK FOR ts AS ts,\n"
      "  user_id BIGINT,\n"
      "  n INT DEFAULT 1 CHECK (n < 100) CHECK (n <> 13),\n"
      "  ts TIMESTAMP,\n"
      "  watermark STRING,\n"
      "  CHECK (watermark IS NULL OR length(watermark) < 10)\n"
      ") WITH ('Dedupe_TTL' = '10 minutes', late_policy = 'side', partitions = 4,\n"
      "        retention = '7 days', partitioned_by = 'hour(ts), bucket(8, user_id)')");
  cr_assert_eq(st->ncols, 4);
  cr_assert_eq(st->npk, 2);
  cr_assert_eq(st->primary_key_index[0], 0);
  cr_assert_eq(st->primary_key_index[1], 2);
  cr_assert(st->cols[0].not_null, "key columns become NOT NULL");
  cr_assert(st->cols[2].not_null);
  cr_assert(st->schema.fields[0].required);
  cr_assert_eq(st->schema.identifier_ids[0], 1);
  cr_assert_eq(st->schema.identifier_ids[1], 3);
  cr_assert_eq(st->watermark_index, 2);
  cr_assert_eq(st->watermark_delay_us, 0);
  cr_assert_str_eq(format(st->cols[1].default_expr), "1");
  cr_assert_eq(st->nchecks, 3);
  cr_assert_eq(st->checks[0].column, 1);
  cr_assert_str_eq(st->checks[0].sql, "(n < 100) AND (n <> 13)");
  cr_assert_str_eq(format(st->checks[0].expr), "n < 100 AND n <> 13");
  cr_assert_eq(st->checks[1].column, -1);
  cr_assert_str_eq(st->checks[1].name, "positive");
  cr_assert_eq(st->checks[1].line, 3);
  cr_assert_eq(st->checks[1].col, 3);
  cr_assert_str_eq(st->checks[1].sql, "n > 0");
  cr_assert_eq(st->checks[2].column, -1);
  cr_assert_null(st->checks[2].name);
  cr_assert_str_eq(format(st->checks[2].expr), "watermark IS NULL OR length(watermark) < 10");
  cr_assert_eq(st->checks[2].expr->type.kind, FL_T_BOOLEAN);
  cr_assert_str_eq(st->options[0].key, "dedupe_ttl");
  cr_assert_eq(st->dedupe_ttl_us, 600LL * 1000000);
  cr_assert_eq(st->late_policy, FL_SQL_LATE_SIDE);
  cr_assert_eq(st->partitions, 4);
  cr_assert_eq(st->retention_us, 7LL * 86400 * 1000000);
  cr_assert_eq(st->npartition, 2);
  cr_assert_str_eq(st->partition[1].transform, "bucket");
  cr_assert_eq(st->partition[1].param, 8);
}

Test(sql_stream, errors_say_where_and_what_was_expected) {
  parse_fails("", "line 1, column 1: expected CREATE STREAM, found end of input");
  parse_fails("CREATE TABLE t (a INT)", "line 1, column 8: expected STREAM after CREATE, found 'TABLE'");
  parse_fails("CREATE STREAM IF EXISTS s (a INT)",
              "line 1, column 18: expected NOT EXISTS after IF, found 'EXISTS'");
  parse_fails(
      "CREATE STREAM select (a INT)",
      "line 1, column 15: expected a stream name, found 'select' (a reserved word: write it in double quotes "
      "to use it as a name)");
  parse_fails("CREATE STREAM s a INT",
              "line 1, column 17: expected '(' and the columns of stream s, found 'a'");
  parse_fails("CREATE STREAM s ()", "line 1, column 18: expected a column name, found ')'");
  parse_fails("CREATE STREAM s (a INT b INT)",
              "line 1, column 24: expected ',' or ')' in CREATE STREAM s (...), found 'b'");
  parse_fails("CREATE STREAM s (a INT, A STRING)",
              "line 1, column 25: duplicate column name 'a' (first defined at line 1, column 18)");
  parse_fails("CREATE STREAM s (CHECK (TRUE))",
              "line 1, column 1: stream s has no columns (at least one is needed)");
  parse_fails("CREATE STREAM s (a INT) extra",
              "line 1, column 25: expected end of input after CREATE STREAM s (one statement per file), "
              "found 'extra'");
  parse_fails(
      "CREATE STREAM s (a INT);;",
      "line 1, column 25: expected end of input after CREATE STREAM s (one statement per file), found ';'");
  parse_fails("CREATE STREAM s (a INT CHECK (a > 'x'))", "line 1, column 33: cannot compare INT with STRING");
  parse_fails("CREATE STREAM s (a INT CHECK (a + 1))",
              "line 1, column 33: CHECK must be a BOOLEAN expression, found INT");
  parse_fails("CREATE STREAM s (a INT CHECK (b > 0))", "line 1, column 31: unknown column 'b'");
  parse_fails("CREATE STREAM s (a INT CHECK (a >))", "line 1, column 34: expected an expression, found ')'");
  parse_fails("CREATE STREAM s (a INT CHECK (a > 0 a))",
              "line 1, column 37: expected an operator or ')' to close CHECK (...), found 'a'");
  parse_fails("CREATE STREAM s (a INT DEFAULT nope)", "line 1, column 32: unknown column 'nope'");
  parse_fails("CREATE STREAM s (a INT DEFAULT 'one')",
              "line 1, column 32: DEFAULT for column 'a' is STRING, not a value for INT");
  parse_fails("CREATE STREAM s (t TIMESTAMP DEFAULT INTERVAL '1 s')",
              "line 1, column 38: DEFAULT for column 't' is INTERVAL, not a value for TIMESTAMP");
  parse_ok(
      "CREATE STREAM s (a DECIMAL(4,2) DEFAULT 1.5, b INT DEFAULT NULL, t TIMESTAMP DEFAULT TIMESTAMP "
      "'2026-01-02 00:00:00')");
  parse_fails("CREATE STREAM s (s STRING DEFAULT 'x' || 'y')",
              "line 1, column 39: DEFAULT 'x' || 'y' for column s: only a constant is supported");
  parse_fails(
      "CREATE STREAM s (t TIMESTAMP DEFAULT now())",
      "line 1, column 38: DEFAULT now() for column t: a replay of the event log would give other values; "
      "send the time in the event");
  parse_fails("CREATE STREAM s (a DECIMAL(4,2) DEFAULT 1.555)",
              "line 1, column 41: DEFAULT 1.555 does not fit column a (DECIMAL(4,2))");
  parse_fails("CREATE STREAM s (a INT DEFAULT 1 DEFAULT 2)",
              "line 1, column 34: more than one DEFAULT for column 'a'");
  parse_fails(
      "CREATE STREAM s (a INT, CONSTRAINT c PRIMARY KEY (a))",
      "line 1, column 38: expected CHECK after CONSTRAINT c (named constraints are CHECKs), found 'PRIMARY'");
  parse_fails("CREATE STREAM s (a INT, CONSTRAINT c CHECK (a > 0), CONSTRAINT c CHECK (a < 9))",
              "line 1, column 53: duplicate constraint name 'c' (first at line 1, column 25)");
}

Test(sql_stream, watermark_errors) {
  parse_fails(
      "CREATE STREAM s (t TIMESTAMP, WATERMARK FOR t AS t - INTERVAL '5 seconds', WATERMARK FOR t AS t)",
      "line 1, column 76: more than one WATERMARK (the first is at line 1, column 31)");
  parse_fails("CREATE STREAM s (t TIMESTAMP, WATERMARK FOR u AS u)",
              "line 1, column 45: WATERMARK FOR unknown column 'u'");
  parse_fails("CREATE STREAM s (t DATE, WATERMARK FOR t AS t)",
              "line 1, column 40: WATERMARK column 't' is DATE, not TIMESTAMP");
  parse_fails(
      "CREATE STREAM s (t TIMESTAMP, WATERMARK FOR t t)",
      "line 1, column 47: expected AS after WATERMARK FOR t (AS t - INTERVAL '5 seconds'), found 't'");
  parse_fails(
      "CREATE STREAM s (t TIMESTAMP, WATERMARK FOR t AS t + INTERVAL '5 seconds')",
      "line 1, column 52: the watermark must be t or t - INTERVAL '...' (the largest delay an event may "
      "arrive with)");
  parse_fails(
      "CREATE STREAM s (t TIMESTAMP, u TIMESTAMP, WATERMARK FOR t AS u - INTERVAL '1 s')",
      "line 1, column 65: the watermark must be t or t - INTERVAL '...' (the largest delay an event may "
      "arrive with)");
  parse_fails("CREATE STREAM s (t TIMESTAMP, WATERMARK FOR t AS t - INTERVAL '-5 seconds')",
              "line 1, column 54: the watermark delay must not be negative");
  parse_fails("CREATE STREAM s (t TIMESTAMP, WATERMARK FOR t AS t - INTERVAL '5 sec0nds')",
              "line 1, column 63: invalid interval '5 sec0nds': unknown unit 'nds' (expected microseconds, "
              "milliseconds, seconds, minutes, hours, days or weeks)");
}

Test(sql_stream, primary_key_errors) {
  parse_fails("CREATE STREAM s (a INT, PRIMARY KEY (a))",
              "line 1, column 40: expected NOT ENFORCED after PRIMARY KEY (...) (floe does not reject "
              "duplicate keys: "
              "it deduplicates on them), found ')'");
  parse_fails("CREATE STREAM s (a INT, PRIMARY (a) NOT ENFORCED)",
              "line 1, column 33: expected KEY after PRIMARY, found '('");
  parse_fails("CREATE STREAM s (a INT, PRIMARY KEY (b) NOT ENFORCED)",
              "line 1, column 38: PRIMARY KEY column 'b' is not a column of the stream");
  parse_fails("CREATE STREAM s (a INT, PRIMARY KEY (a, a) NOT ENFORCED)",
              "line 1, column 41: column 'a' appears twice in the PRIMARY KEY");
  parse_fails(
      "CREATE STREAM s (a DOUBLE, PRIMARY KEY (a) NOT ENFORCED)",
      "line 1, column 41: PRIMARY KEY column 'a' is DOUBLE: a key column must not be REAL, DOUBLE or JSON");
  parse_fails("CREATE STREAM s (a INT, PRIMARY KEY (a) NOT ENFORCED, PRIMARY KEY (a) NOT ENFORCED)",
              "line 1, column 55: more than one PRIMARY KEY (the first is at line 1, column 25)");
  parse_fails("CREATE STREAM s (a INT, PRIMARY KEY () NOT ENFORCED)",
              "line 1, column 38: expected a key column name, found ')'");
}

Test(sql_stream, log_compression_level_option) {
  cr_assert_eq(parse_ok("CREATE STREAM s (a INT)")->log_compression_level, -1);
  cr_assert_eq(parse_ok("CREATE STREAM s (a INT) WITH (log_compression_level = 0)")->log_compression_level,
               0);
  cr_assert_eq(parse_ok("CREATE STREAM s (a INT) WITH (log_compression_level = '7')")->log_compression_level,
               7);
  cr_assert_eq(parse_ok("CREATE STREAM s (a INT) WITH (log_compression_level = 19)")->log_compression_level,
               19);
  parse_fails("CREATE STREAM s (a INT) WITH (log_compression_level = 20)",
              "line 1, column 55: log_compression_level must be an integer from 0 (off) to 19, found 20");
  parse_fails("CREATE STREAM s (a INT) WITH (log_compression_level = 'fast')",
              "line 1, column 55: log_compression_level must be an integer from 0 (off) to 19, found fast");
}

Test(sql_stream, log_compression_option_names_the_codec) {
  cr_assert_null(parse_ok("CREATE STREAM s (a INT)")->log_compression);
  cr_assert_str_eq(parse_ok("CREATE STREAM s (a INT) WITH (log_compression = 'lz4')")->log_compression,
                   "lz4");
  cr_assert_str_eq(parse_ok("CREATE STREAM s (a INT) WITH (log_compression = 'zstd')")->log_compression,
                   "zstd");
  const fl_sql_stream *st =
      parse_ok("CREATE STREAM s (a INT) WITH (log_compression = 'lz4', log_compression_level = 8)");
  cr_assert_str_eq(st->log_compression, "lz4");
  cr_assert_eq(st->log_compression_level, 8);
  st = parse_ok("CREATE STREAM s (a INT) WITH (log_compression = 'none', log_compression_level = 0)");
  cr_assert_str_eq(st->log_compression, "none");
  cr_assert_eq(st->log_compression_level, 0);
  parse_fails("CREATE STREAM s (a INT) WITH (log_compression = 'snappy')",
              "line 1, column 49: log_compression must be 'lz4', 'zstd' or 'none', found 'snappy'");
  parse_fails(
      "CREATE STREAM s (a INT) WITH (log_compression_level = 3, log_compression = 'none')",
      "line 1, column 31: log_compression_level = 3 contradicts log_compression = 'none' (level 0 or no "
      "level)");
}

Test(sql_stream, option_errors) {
  parse_fails("CREATE STREAM s (a INT) WITH (colour = 'red')",
              "line 1, column 31: unknown stream option 'colour' (expected dedupe_ttl, late_policy, "
              "log_compression, log_compression_level, partitioned_by, partitions, retention or "
              "unknown_fields)");
  parse_fails("CREATE STREAM s (a INT) WITH (partitions = 2, partitions = 3)",
              "line 1, column 47: option 'partitions' given twice (first at line 1, column 31)");
  parse_fails("CREATE STREAM s (a INT) WITH (partitions 2)",
              "line 1, column 42: expected '=' after option partitions, found '2'");
  parse_fails("CREATE STREAM s (a INT) WITH (partitions = x)",
              "line 1, column 44: expected a value for option partitions (a string or a number), found 'x'");
  parse_fails("CREATE STREAM s (a INT) WITH (partitions = 0)",
              "line 1, column 44: partitions must be an integer from 1 to 1024, found 0");
  parse_fails("CREATE STREAM s (a INT) WITH (partitions = '2000')",
              "line 1, column 44: partitions must be an integer from 1 to 1024, found 2000");
  parse_fails("CREATE STREAM s (a INT) WITH (late_policy = 'drop')",
              "line 1, column 45: late_policy must be 'keep' or 'side', found 'drop'");
  parse_fails(
      "CREATE STREAM s (a INT) WITH (dedupe_ttl = '1 hour')",
      "line 1, column 31: dedupe_ttl needs a PRIMARY KEY (...) NOT ENFORCED: the key to deduplicate on");
  parse_fails(
      "CREATE STREAM s (a INT) WITH (retention = '7 dayz')",
      "line 1, column 43: retention: invalid interval '7 dayz': unknown unit 'dayz' (expected microseconds, "
      "milliseconds, seconds, minutes, hours, days or weeks)");
  parse_fails("CREATE STREAM s (a INT) WITH (retention = 7)",
              "line 1, column 43: retention must be an interval string such as '1 hour', found 7");
  parse_fails("CREATE STREAM s (a INT) WITH (retention = '0 s')",
              "line 1, column 43: retention must be positive, found '0 s'");
  parse_fails("CREATE STREAM s (a INT, t TIMESTAMP) WITH (partitioned_by = 'day(t), b')",
              "line 1, column 70: partitioned_by: unknown column 'b'");
  parse_fails("CREATE STREAM s (a INT) WITH (partitioned_by = 'day(a)')",
              "line 1, column 49: partitioned_by: day(a) needs a DATE or TIMESTAMP column, 'a' is INT");
  parse_fails("CREATE STREAM s (a INT) WITH (partitioned_by = 'month(a')",
              "line 1, column 56: partitioned_by: expected ')' to close month(...), found end of input");
  parse_fails(
      "CREATE STREAM s (a INT) WITH (\n  partitioned_by = 'a,\n    frob(a)')",
      "line 3, column 5: partitioned_by: unknown partition transform 'frob' (expected identity, year, month, "
      "day, hour, bucket[N] or truncate[W])");
  parse_fails("CREATE STREAM s (a INT) WITH (partitioned_by = 3)",
              "line 1, column 48: partitioned_by must be a string such as 'day(event_time)', found 3");
  parse_fails("CREATE STREAM s (a INT) WITH partitions = 3",
              "line 1, column 30: expected '(' after WITH, found 'partitions'");
  parse_fails("CREATE STREAM s (a INT) WITH (partitions = 3",
              "line 1, column 45: expected ',' or ')' after option partitions, found end of input");
}

Test(sql_stream, invalid_bytes_and_limits_fail_cleanly) {
  fl_sql_stream *st = (fl_sql_stream *)1;
  fl_err err = {0};
  const char bad[] = "CREATE STREAM s (a INT)\0";
  cr_assert_eq(fl_sql_parse_create_stream(bad, sizeof bad - 1, &arena, &st, &err), FL_EPARSE);
  cr_assert_null(st);
}

/* Issue 11: WITH (unknown_fields = 'ignore' | 'reject') and DEFAULTs as constants of
 * their column's exact type, for the JSON parser's absent fields. */
Test(sql_stream, unknown_fields_option_and_default_constants) {
  fl_sql_stream *st = parse_ok("CREATE STREAM s (a INT) WITH (unknown_fields = 'reject')");
  cr_assert(st->unknown_fields_reject);
  cr_assert_null(st->defaults, "no DEFAULT, no defaults");
  st = parse_ok("CREATE STREAM s (a INT) WITH (unknown_fields = 'ignore')");
  cr_assert(!st->unknown_fields_reject);
  parse_fails("CREATE STREAM s (a INT) WITH (unknown_fields = 'drop')",
              "line 1, column 48: unknown_fields must be 'ignore' or 'reject', found 'drop'");

  st = parse_ok(
      "CREATE STREAM s (id BIGINT NOT NULL, c STRING NOT NULL DEFAULT 'EUR', m DECIMAL(12,2) DEFAULT 1.5, "
      "n INT DEFAULT -3, d DATE DEFAULT DATE '2026-01-02', ok BOOLEAN DEFAULT TRUE, x DOUBLE DEFAULT 2, "
      "z STRING DEFAULT NULL)");
  cr_assert_not_null(st->defaults);
  cr_assert(st->defaults[0].is_null, "no DEFAULT on id");
  cr_assert_eq(st->defaults[1].u.str.len, 3);
  cr_assert(!memcmp(st->defaults[1].u.str.ptr, "EUR", 3));
  cr_assert_eq(st->defaults[2].type.kind, FL_T_DECIMAL);
  cr_assert_eq(st->defaults[2].u.i64, 150);
  cr_assert_eq(st->defaults[3].u.i32, -3);
  int32_t day;
  cr_assert(fl_date_parse("2026-01-02", 10, &day));
  cr_assert_eq(st->defaults[4].u.i32, day);
  cr_assert(st->defaults[5].u.b);
  cr_assert_eq(st->defaults[6].u.f64, 2.0);
  cr_assert(st->defaults[7].is_null, "DEFAULT NULL is no default");
  parse_fails("CREATE STREAM s (n INT DEFAULT 3000000000)",
              "line 1, column 32: DEFAULT 3000000000 does not fit column n (INT)");
}
