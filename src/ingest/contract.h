/* ingest/contract: a stream's CHECK constraints, compiled against its schema by sql's
 * expression evaluator (fl_sql_eval) and evaluated a batch at a time over the parser's columns.
 *
 *   fl_contract *c;
 *   if (fl_contract_new(schema, checks, nchecks, &c, &err)) ...;   (at stream load)
 *   fl_json_parse(parser, body, len, &res, &err);
 *   fl_contract_check(c, parser, &res, body, &err);              (per body)
 *   fl_contract_free(c);
 *
 * Supported in a CHECK: column references, literals (numbers, strings, true/false,
 * NULL, TIMESTAMP '...', DATE '...'), = <> != < <= > >=, [NOT] IN (list),
 * [NOT] BETWEEN, IS [NOT] NULL, AND, OR, NOT, + - * / on numbers, LIKE. Anything else
 * is refused at fl_contract_new with FL_EUNSUPPORTED naming the CHECK.
 *
 * Semantics are SQL's three-valued logic: a row passes a CHECK when it evaluates to
 * TRUE or NULL (unknown), as in PostgreSQL. A failing row leaves the batch (the batch
 * and res->rows are compacted in place, in order) and becomes a reject with reason
 * "CHECK (event_type IN ('a', 'b')) failed: event_type = 'foo'" and field = the first
 * column the CHECK names.
 *
 * Memory: the contract owns its steps, literals and scratch (sized to the largest
 * batch seen): one thread at a time per contract. The expressions may be freed
 * after fl_contract_new (it copies what it needs); the schema must outlive the
 * contract (reject fields point at its names). */
#ifndef FL_INGEST_CONTRACT_H
#define FL_INGEST_CONTRACT_H

#include <stdint.h>

#include "core/err.h"
#include "core/types.h"
#include "json/json.h"
#include "sql/sql.h"

typedef struct fl_contract fl_contract;

/* checks[i] may be NULL (skipped); they must be bound to schema (fl_sql_expr_bind,
 * as fl_sql_parse_create_stream does). An empty contract accepts everything. */
fl_code fl_contract_new(const fl_schema *schema, const fl_sql_expr *const *checks, uint32_t nchecks,
                        fl_contract **out, fl_err *err);
/* The same from CHECK texts ("amount >= 0"), parsed with fl_sql_parse_expr. */
fl_code fl_contract_new_sql(const fl_schema *schema, const char *const *check_sql, uint32_t nchecks,
                            fl_contract **out, fl_err *err);
void fl_contract_free(fl_contract *c);
uint32_t fl_contract_count(const fl_contract *c); /* compiled CHECKs */

/* Evaluates every CHECK over res->batch; failing rows become rejects of p (in line
 * order with the parser's) and leave the batch. body is the parsed body (for spans).
 * Fails only on impossible input (res not from p). */
fl_code fl_contract_check(fl_contract *c, fl_json_parser *p, fl_json_result *res, const char *body,
                          fl_err *err);

#endif
