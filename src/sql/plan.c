/* plan.c: the logical plan as text (plan.h: fl_plan_format), for EXPLAIN before a query
 * runs and for the binder's tests: one node a line, children indented two spaces,
 *   PROJECT tenant, total
 *     AGGREGATE BY tenant: sum(amount) AS total
 *       SCAN orders (tenant, amount) WHERE amount > 0
 * Names are the columns' output names; expressions print as SQL (fl_sql_expr_format).
 * The binder (bind_select.c) builds and finalizes plans; query.c lowers them.
 *
 * Ownership: reads the plan; writes into the caller's fl_buf. */
#include <inttypes.h>
#include <string.h>

#include "sql/plan.h"

static const char *agg_name(fl_agg_kind k) {
  switch (k) {
    case FL_AGG_COUNT_STAR: return "count(*)";
    case FL_AGG_COUNT: return "count";
    case FL_AGG_COUNT_DISTINCT: return "count(DISTINCT)";
    case FL_AGG_SUM: return "sum";
    case FL_AGG_AVG: return "avg";
    case FL_AGG_MIN: return "min";
    case FL_AGG_MAX: return "max";
    case FL_AGG_APPROX_COUNT_DISTINCT: return "approx_count_distinct";
  }
  return "?";
}

static const char *col_name(const fl_plan *child, uint32_t pos) {
  return pos < child->nout ? child->out_fields[pos].name : "?";
}

static void sort_keys(const fl_plan *child, const fl_sort_key *keys, uint32_t n, fl_buf *out) {
  for (uint32_t i = 0; i < n; i++) {
    if (i) fl_buf_puts(out, ", ");
    fl_buf_puts(out, col_name(child, keys[i].col));
    if (keys[i].desc) fl_buf_puts(out, " DESC");
    if (keys[i].nulls_first) fl_buf_puts(out, " NULLS FIRST");
  }
}

static void format(const fl_plan *p, unsigned depth, fl_buf *out) {
  for (unsigned i = 0; i < depth; i++) fl_buf_puts(out, "  ");
  const fl_plan *c = p->nchildren ? p->children[0] : NULL;
  switch (p->kind) {
    case FL_PLAN_SCAN:
      fl_buf_puts(out, "SCAN ");
      if (p->from->ns) fl_buf_printf(out, "%s.", p->from->ns);
      fl_buf_puts(out, p->from->name);
      if (p->from->as_of == FL_SQL_AS_OF_SNAPSHOT)
        fl_buf_printf(out, " AS OF SNAPSHOT %" PRId64, p->from->snapshot_id);
      if (p->from->as_of == FL_SQL_AS_OF_TIME) fl_buf_printf(out, " AS OF '%s'", p->from->as_of_text);
      fl_buf_puts(out, " (");
      for (uint32_t i = 0; i < p->ncolumns; i++) fl_buf_printf(out, "%s%s", i ? ", " : "", p->columns[i]);
      fl_buf_put_u8(out, ')');
      if (p->filter) {
        fl_buf_puts(out, " WHERE ");
        fl_sql_expr_format(p->filter, 0, out);
      }
      break;
    case FL_PLAN_ONE_ROW: fl_buf_puts(out, "ONE_ROW"); break;
    case FL_PLAN_PROJECT:
      fl_buf_puts(out, "PROJECT ");
      for (uint32_t i = 0; i < p->nexprs; i++) {
        if (i) fl_buf_puts(out, ", ");
        fl_sql_expr_format(p->exprs[i], 0, out);
        if (p->exprs[i]->kind != FL_SQL_E_COLUMN || strcmp(p->exprs[i]->name, p->names[i]) != 0)
          fl_buf_printf(out, " AS %s", p->names[i]);
      }
      break;
    case FL_PLAN_FILTER:
      fl_buf_puts(out, "FILTER ");
      fl_sql_expr_format(p->pred, 0, out);
      break;
    case FL_PLAN_AGGREGATE:
      fl_buf_puts(out, "AGGREGATE");
      if (p->nkeys) fl_buf_puts(out, " BY ");
      for (uint32_t i = 0; i < p->nkeys; i++)
        fl_buf_printf(out, "%s%s", i ? ", " : "", col_name(c, p->pos_keys[i]));
      fl_buf_puts(out, ":");
      for (uint32_t i = 0; i < p->naggs; i++) {
        const fl_agg_spec *a = &p->agg_specs[i];
        fl_buf_printf(out, "%s %s", i ? "," : "", agg_name(a->kind));
        if (a->arg >= 0) fl_buf_printf(out, "(%s)", col_name(c, (uint32_t)a->arg));
        if (a->filter >= 0) fl_buf_printf(out, " FILTER %s", col_name(c, (uint32_t)a->filter));
        fl_buf_printf(out, " AS %s", a->name);
      }
      break;
    case FL_PLAN_DISTINCT: fl_buf_puts(out, "DISTINCT"); break;
    case FL_PLAN_JOIN: {
      static const char *const kinds[] = {"", "INNER", "LEFT", "SEMI", "ANTI", "ANTI_NULL_AWARE"};
      fl_buf_printf(out, "JOIN %s", kinds[p->join]);
      if (!p->njkeys) fl_buf_puts(out, " (every pair)");
      for (uint32_t i = 0; i < p->njkeys; i++)
        fl_buf_printf(out, "%s%s = %s", i ? " AND " : " ON ", col_name(p->children[0], p->pos_lkeys[i]),
                      col_name(p->children[1], p->pos_rkeys[i]));
      break;
    }
    case FL_PLAN_SORT:
      fl_buf_puts(out, "SORT ");
      sort_keys(c, p->pos_order, p->norder, out);
      if (p->limit != UINT64_MAX) fl_buf_printf(out, " TOP %" PRIu64, p->limit);
      break;
    case FL_PLAN_LIMIT:
      fl_buf_puts(out, "LIMIT");
      if (p->limit != UINT64_MAX) fl_buf_printf(out, " %" PRIu64, p->limit);
      if (p->offset) fl_buf_printf(out, " OFFSET %" PRIu64, p->offset);
      break;
    case FL_PLAN_WINDOW: {
      static const char *const kinds[] = {"",         "row_number", "rank", "dense_rank", "lag", "lead",
                                          "count(*)", "count",      "sum",  "avg",        "min", "max"};
      fl_buf_puts(out, "WINDOW");
      if (p->nkeys) fl_buf_puts(out, " PARTITION BY ");
      for (uint32_t i = 0; i < p->nkeys; i++)
        fl_buf_printf(out, "%s%s", i ? ", " : "", col_name(c, p->pos_keys[i]));
      if (p->norder) {
        fl_buf_puts(out, " ORDER BY ");
        sort_keys(c, p->pos_order, p->norder, out);
      }
      fl_buf_puts(out, ":");
      for (uint32_t i = 0; i < p->nwins; i++) {
        const fl_win_spec *w = &p->win_specs[i];
        fl_buf_printf(out, "%s %s", i ? "," : "", kinds[w->kind]);
        if (w->arg >= 0) fl_buf_printf(out, "(%s)", col_name(c, (uint32_t)w->arg));
        fl_buf_printf(out, " AS %s", w->name);
      }
      break;
    }
    case FL_PLAN_UNION_ALL: fl_buf_puts(out, "UNION ALL"); break;
    case FL_PLAN_SINGLE_ROW: fl_buf_puts(out, "SINGLE_ROW"); break;
  }
  fl_buf_put_u8(out, '\n');
  for (uint32_t i = 0; i < p->nchildren; i++) format(p->children[i], depth + 1, out);
}

void fl_plan_format(const fl_plan *plan, fl_buf *out) { format(plan, 0, out); }
