#!/usr/bin/env bash
# `floe cat --where` lowers the whole condition into the scan's predicate IR: OR, IN,
# NOT IN, <>, NOT, IS NULL and LIKE 'prefix%' prune partitions and files too (--stats
# counts them), and the rows returned are exactly those the condition keeps.
. "$(dirname "$0")/lib.sh"

schema='id BIGINT NOT NULL, tenant_id STRING, note STRING'
: >"$T/rows.ndjson"
i=0
for t in acme globex initech null; do # ids: acme 11-13, globex 21-23, initech 31-33, null 41-43
  i=$((i + 1))
  for k in 1 2 3; do
    tv=$([[ $t == null ]] && echo null || echo "\"$t\"")
    printf '{"id":%d,"tenant_id":%s,"note":"%s-%d"}\n' "$((i * 10 + k))" "$tv" "$t" "$k" >>"$T/rows.ndjson"
  done
done
floe load bronze.t "$T/rows.ndjson" --schema "$schema" --partition "tenant_id" >/dev/null

# check WHERE FILES_PLANNED ROWS: --stats and the row count
check() {
  run_floe cat bronze.t --where "$1" --stats
  [[ $RC -eq 0 ]] || fail "cat --where $1: $ERR"
  assert_contains "$ERR" "files=4 " "$1: files"
  assert_contains "$ERR" "files_planned=$2 " "$1: files planned"
  local n=0
  [[ -n "$OUT" ]] && n=$(wc -l <<<"$OUT")
  assert_eq "$3" "$n" "$1: rows"
}
check "tenant_id = 'acme' OR tenant_id = 'initech'" 2 6
check "tenant_id IN ('globex', 'nobody')" 1 3
check "tenant_id NOT IN ('globex', 'acme')" 1 3
check "tenant_id <> 'acme'" 2 6
check "NOT (tenant_id = 'acme' OR tenant_id = 'globex')" 1 3
check "tenant_id IS NULL" 1 3
check "tenant_id LIKE 'gl%'" 1 3
check "tenant_id LIKE 'i%' OR id = 41" 2 4
check "id = 12 OR id > 40" 2 4
check "note LIKE 'acme%' AND tenant_id = 'acme'" 1 3
# what the IR cannot say prunes nothing, and still filters exactly
check "lower(tenant_id) = 'acme'" 4 3
check "tenant_id ILIKE 'ACME'" 4 3
