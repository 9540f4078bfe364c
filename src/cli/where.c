/* where: the --where "COL OP LITERAL" predicates of `floe cat` and `floe delete`,
 * parsed against a table's schema into fl_pred (table.h).
 *
 * Grammar: column op literal. The column is a bare name (folded to lower case, sql.h's
 * rule) or "Quoted" (kept as written, "" for "); op is one of = == < <= > >=; the
 * literal is 'text' (SQL quoting, '' for '), a number, true, false or null. The
 * literal is converted here to the column's exact type, so the table layer always
 * receives a literal of the column's type: numbers for INT/BIGINT/REAL/DOUBLE/DECIMAL
 * (DECIMAL exactly, from the text), true/false for BOOLEAN, 'text' for STRING, JSON,
 * DATE and TIMESTAMP (timestamps also as bare integer microseconds). null gives a
 * null literal (which matches nothing).
 *
 * Memory: the column name and literal text live in the caller's arena; the predicate
 * points into it and into the schema (pred->column is the schema's field name).
 *
 * Entry points: fl_cli_where_parse; also fl_cli_type_format (cli.h), which lives here
 * rather than in main.c because library code (ndjson_load.c) calls it and main.c is
 * not part of libfloe: the fuzz targets link without it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/time.h"

void fl_cli_type_format(fl_type type, char *out, size_t out_size) {
  if (type.kind == FL_T_DECIMAL)
    snprintf(out, out_size, "DECIMAL(%u,%u)", type.precision, type.scale);
  else
    snprintf(out, out_size, "%s", fl_type_sql_name(type.kind));
}

/* The literal of a predicate as written: quoted ('...', unescaped) or bare. */
typedef struct literal {
  bool quoted;
  const char *text;
  size_t len;
} literal;

static bool all_digits(const char *s, size_t n) {
  size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
  if (i == n) return false;
  for (; i < n; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  return true;
}

/* Converts the literal to the column's type. */
static fl_code literal_value(const char *where, const fl_field *f, const literal *lit, fl_arena *arena,
                             fl_value *out, fl_err *err) {
  char type[32];
  fl_cli_type_format(f->type, type, sizeof type);
  memset(out, 0, sizeof *out);
  out->type = f->type;
  if (!lit->quoted && lit->len == 4 && !strncasecmp(lit->text, "null", 4)) {
    out->is_null = true;
    return FL_OK;
  }
  char *text = fl_arena_strndup(arena, lit->text, lit->len); /* NUL-terminated for strto* */
  char *end = NULL;
  bool ok = false;
  errno = 0;
  switch (f->type.kind) {
    case FL_T_BOOLEAN:
      if (!lit->quoted && (!strcasecmp(text, "true") || !strcasecmp(text, "false"))) {
        out->u.b = !strcasecmp(text, "true");
        ok = true;
      }
      break;
    case FL_T_INT:
    case FL_T_BIGINT: {
      if (lit->quoted || !all_digits(text, lit->len)) break;
      long long v = strtoll(text, &end, 10);
      if (errno || (f->type.kind == FL_T_INT && (v < INT32_MIN || v > INT32_MAX))) break;
      if (f->type.kind == FL_T_INT)
        out->u.i32 = (int32_t)v;
      else
        out->u.i64 = v;
      ok = true;
      break;
    }
    case FL_T_FLOAT:
    case FL_T_DOUBLE: {
      if (lit->quoted || !lit->len) break;
      double v = strtod(text, &end);
      if (*end) break;
      if (f->type.kind == FL_T_FLOAT)
        out->u.f32 = (float)v;
      else
        out->u.f64 = v;
      ok = true;
      break;
    }
    case FL_T_DECIMAL:
      ok = fl_decimal_parse(text, lit->len, f->type.precision, f->type.scale, &out->u.i64);
      break;
    case FL_T_DATE: ok = lit->quoted && fl_date_parse(text, lit->len, &out->u.i32); break;
    case FL_T_TIMESTAMP:
      if (!lit->quoted && all_digits(text, lit->len)) {
        out->u.i64 = strtoll(text, &end, 10);
        ok = errno == 0;
      } else {
        ok = lit->quoted && fl_ts_parse(text, lit->len, &out->u.i64);
      }
      break;
    case FL_T_STRING:
    case FL_T_JSON:
      if (lit->quoted) {
        out->u.str.ptr = text;
        out->u.str.len = (uint32_t)lit->len;
        ok = true;
      }
      break;
  }
  if (!ok)
    return fl_err_set(err, FL_ETYPE, "--where \"%s\": %s%.*s%s is not a %s (column %s)", where,
                      lit->quoted ? "'" : "", (int)lit->len, lit->text, lit->quoted ? "'" : "", type,
                      f->name);
  return FL_OK;
}

/* Parses "col op literal" against the table's schema into pred. */
fl_code fl_cli_where_parse(const char *where, const fl_schema *schema, fl_arena *arena, fl_pred *pred,
                           fl_err *err) {
  const char *p = where;
  while (isspace((unsigned char)*p)) p++;
  /* column: "Quoted" keeps its case, a bare name folds to lower case (sql.h's rule) */
  char *col;
  if (*p == '"') {
    fl_buf name = FL_BUF_INIT;
    for (p++;; p++) {
      if (!*p) {
        fl_buf_free(&name);
        return fl_err_set(err, FL_EPARSE, "--where \"%s\": unterminated quoted column name", where);
      }
      if (*p == '"') {
        if (p[1] != '"') break;
        p++;
      }
      fl_buf_put_u8(&name, (uint8_t)*p);
    }
    p++;
    col = fl_arena_strndup(arena, (const char *)name.data, name.len);
    fl_buf_free(&name);
  } else {
    const char *s = p;
    while (isalnum((unsigned char)*p) || *p == '_') p++;
    if (p == s) return fl_err_set(err, FL_EPARSE, "--where \"%s\": expected a column name first", where);
    col = fl_arena_strndup(arena, s, (size_t)(p - s));
    for (char *c = col; *c; c++) *c = (char)tolower((unsigned char)*c);
  }
  while (isspace((unsigned char)*p)) p++;
  static const struct {
    const char *text;
    fl_pred_op op;
  } ops[] = {
      {"<=", FL_PRED_LE}, {">=", FL_PRED_GE}, {"==", FL_PRED_EQ},
      {"=", FL_PRED_EQ},  {"<", FL_PRED_LT},  {">", FL_PRED_GT},
  };
  size_t k = 0;
  for (; k < sizeof ops / sizeof ops[0]; k++)
    if (!strncmp(p, ops[k].text, strlen(ops[k].text))) break;
  if (k == sizeof ops / sizeof ops[0])
    return fl_err_set(err, FL_EPARSE, "--where \"%s\": expected an operator (= < <= > >=) after %s", where,
                      col);
  p += strlen(ops[k].text);
  while (isspace((unsigned char)*p)) p++;

  literal lit = {0};
  fl_buf unq = FL_BUF_INIT;
  if (*p == '\'') {
    lit.quoted = true;
    for (p++;; p++) {
      if (!*p) {
        fl_buf_free(&unq);
        return fl_err_set(err, FL_EPARSE, "--where \"%s\": unterminated string literal", where);
      }
      if (*p == '\'') {
        if (p[1] != '\'') break;
        p++;
      }
      fl_buf_put_u8(&unq, (uint8_t)*p);
    }
    p++;
    lit.text = unq.len ? fl_arena_strndup(arena, (const char *)unq.data, unq.len) : "";
    lit.len = unq.len;
    fl_buf_free(&unq);
  } else {
    const char *s = p;
    while (*p && !isspace((unsigned char)*p)) p++;
    lit.text = s;
    lit.len = (size_t)(p - s);
  }
  while (isspace((unsigned char)*p)) p++;
  if (*p || (!lit.len && !lit.quoted))
    return fl_err_set(err, FL_EPARSE, "--where \"%s\": expected one literal after the operator", where);

  const fl_field *f = fl_schema_field_by_name(schema, col);
  if (!f) return fl_err_set(err, FL_ENOENT, "--where \"%s\": no column %s", where, col);
  pred->column = f->name;
  pred->op = ops[k].op;
  return literal_value(where, f, &lit, arena, &pred->value, err);
}
