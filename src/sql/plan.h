/* plan: the logical plan of a query (module-internal header of sql/): what the binder
 * (bind_select.c) makes of a parsed SELECT, what EXPLAIN prints before execution, and
 * what the planner lowers to operators (exec.h), one node to one operator.
 *
 *   fl_sql_statement ──fl_sql_plan_build──► fl_plan tree ──fl_sql_plan_lower──► fl_op tree
 *   (parse_select.c)     (bind_select.c:        (plan.c:        (query.c)
 *                         scopes, types)         finalize)
 *
 * Columns: while binding, every column any node produces gets a global id (a "cid":
 * table columns, computed expressions, aggregates, window results, union outputs), and
 * expressions refer to cids (fl_sql_expr.field), typed against the table of all cids.
 * fl_plan_finalize then works top-down: each node outputs only what the nodes above
 * need (projection pushdown down to the scans' column lists), and every cid in an
 * expression or key becomes a position in the child's output (out_cids). After it,
 * expressions are bound against the child's output schema exactly as exec.h wants.
 *
 * Ownership: everything in the query's arena; read-only after finalize (the operators
 * keep their own state: plans are reusable, as PostgreSQL's). */
#ifndef FL_SQL_PLAN_H
#define FL_SQL_PLAN_H

#include "sql/exec.h"
#include "sql/sql.h"

/* How the binder finds tables. table() fills *schema (the table's current columns, in
 * the arena or owned by the catalog for the query's life) and *handle (passed on to the
 * scan), or returns FL_ENOENT (the binder then names the table and the closest of
 * names()). `from` carries the alias and the time travel clause (AS OF ...). */
typedef struct fl_sql_catalog {
  void *ud;
  fl_code (*table)(void *ud, const fl_sql_from *from, const fl_schema **schema, void **handle, fl_err *err);
  /* The tables of namespace ns (NULL: the default one) for suggestions; may be NULL. */
  uint32_t (*names)(void *ud, const char *ns, fl_arena *arena, const char ***names);
} fl_sql_catalog;

typedef enum fl_plan_kind {
  FL_PLAN_SCAN = 1,  /* table columns (projected), pushed-down filter */
  FL_PLAN_ONE_ROW,   /* no FROM: one row of no columns */
  FL_PLAN_PROJECT,   /* exprs -> columns */
  FL_PLAN_FILTER,    /* pred */
  FL_PLAN_AGGREGATE, /* keys, aggs */
  FL_PLAN_DISTINCT,
  FL_PLAN_JOIN,   /* join_kind, lkeys = rkeys */
  FL_PLAN_SORT,   /* sort keys, limit */
  FL_PLAN_LIMIT,  /* limit, offset */
  FL_PLAN_WINDOW, /* partition, order, window specs */
  FL_PLAN_UNION_ALL,
  FL_PLAN_SINGLE_ROW, /* a scalar subquery's rows: at most one (an error past it);
                         limit = line << 32 | column of the subquery */
} fl_plan_kind;

typedef struct fl_plan_agg {
  fl_agg_kind kind;
  uint32_t arg;   /* cid (unused for count(*)) */
  int64_t filter; /* cid of the FILTER's BOOLEAN column, -1 none */
  uint32_t out;   /* cid of the result */
} fl_plan_agg;

typedef struct fl_plan_win {
  fl_win_kind kind;
  int64_t arg;    /* cid or -1 */
  int64_t offset; /* LAG/LEAD */
  int64_t dflt;   /* cid or -1 */
  uint32_t out;   /* cid */
} fl_plan_win;

typedef struct fl_plan_sort_key {
  uint32_t cid;
  bool desc;
  bool nulls_first;
} fl_plan_sort_key;

typedef struct fl_plan fl_plan;
struct fl_plan {
  fl_plan_kind kind;
  fl_plan **children;
  uint32_t nchildren;
  /* the cids this node can give (before finalize: all of them, in order) */
  uint32_t *cids;
  uint32_t ncids;
  /* after finalize: what it gives, in order, and their fields (names, types) */
  uint32_t *out_cids;
  uint32_t nout;
  fl_field *out_fields;

  /* SCAN */
  const fl_sql_from *from; /* table name, alias, AS OF */
  const fl_schema *table_schema;
  void *table;          /* the catalog's handle */
  uint32_t first_cid;   /* cids first_cid .. first_cid + nfields - 1 */
  const char **columns; /* after finalize: the projection, by name */
  uint32_t ncolumns;
  fl_sql_expr *filter; /* pushed-down conjuncts (AND), or NULL */
  bool nullable;       /* on the right of a LEFT JOIN: WHERE may not push down here */
  /* PROJECT: exprs[i] computes out cid proj_cids[i]; exact: do not prune */
  fl_sql_expr **exprs;
  uint32_t *proj_cids;
  const char **names; /* output names of exprs */
  uint32_t nexprs;
  bool exact;
  bool passthru; /* made by the binder to add columns under a join or window (may grow) */
  /* FILTER */
  fl_sql_expr *pred;
  /* AGGREGATE (keys: cids of the child), WINDOW (part: cids) */
  uint32_t *keys;
  uint32_t nkeys;
  fl_plan_agg *aggs;
  uint32_t naggs;
  /* JOIN */
  fl_join_kind join;
  uint32_t *lkeys, *rkeys;
  uint32_t njkeys;
  /* SORT, WINDOW's ORDER BY */
  fl_plan_sort_key *order;
  uint32_t norder;
  /* SORT (UINT64_MAX: all), LIMIT */
  uint64_t limit, offset;
  /* WINDOW */
  fl_plan_win *wins;
  uint32_t nwins;
  /* set by finalize: positions in the child's output (AGGREGATE keys/args, JOIN keys,
   * SORT keys, WINDOW part/order/args), in the arena */
  uint32_t *pos_keys, *pos_lkeys, *pos_rkeys;
  fl_agg_spec *agg_specs;
  fl_win_spec *win_specs;
  fl_sort_key *pos_order;
};

/* The logical plan of a statement (EXPLAIN's flag is the caller's). Errors: FL_EPARSE
 * "line L, column C: ..." (unknown or ambiguous names with the closest one, types,
 * misplaced aggregates), FL_EUNSUPPORTED for what the engine does not run yet (named),
 * FL_ENOENT for an unknown table, FL_ELIMIT past the limits. */
fl_code fl_sql_plan_build(const fl_sql_statement *st, const fl_sql_catalog *cat, fl_arena *arena,
                          fl_plan **out, fl_err *err);
/* The tree as indented lines: "PROJECT tenant, sum(amount) AS total" ... (tests, EXPLAIN). */
void fl_plan_format(const fl_plan *plan, fl_buf *out);

#endif
