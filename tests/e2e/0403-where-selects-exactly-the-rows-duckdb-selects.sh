#!/usr/bin/env bash
# `--where` (sql's evaluator, a batch at a time) selects exactly the rows DuckDB selects
# with the same WHERE over the same Parquet files: comparisons of every type, NULLs in
# every column (three-valued logic: only TRUE rows), <> / IN / NOT IN with a NULL /
# IS [NOT] NULL / LIKE / ILIKE / BETWEEN / OR / NOT, exact decimals, arithmetic and
# functions. DuckDB is the independent reader of tests/interop (npm @duckdb/node-api).
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || fail "node is needed (bash scripts/deps.sh --test)"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/@duckdb/node-api" ]] || fail "DuckDB for node is missing (bash scripts/deps.sh --test)"

# 300 rows; each column NULL on its own period
awk 'BEGIN {
  for (i = 1; i <= 300; i++) {
    qty = (i % 6 == 0) ? "null" : i % 7
    name = (i % 9 == 0) ? "null" : "\"" ((i % 4 == 0) ? "N" : "n") i "\""
    amount = (i % 11 == 0) ? "null" : sprintf("%d.%02d", i, (i * 37) % 100)
    ok = (i % 5 == 0) ? "null" : ((i % 3 == 0) ? "true" : "false")
    r = (i % 13 == 0) ? "null" : i / 8
    printf "{\"id\":%d,\"qty\":%s,\"name\":%s,\"amount\":%s,\"d\":%d,\"ts\":%.0f,\"ok\":%s,\"r\":%s,\"big\":%.0f}\n",
      i, qty, name, amount, 20454 + i % 30, 1767225600000000 + i * 3600000000, ok, r, i * 100000000
  }
}' >"$T/rows.ndjson"
floe load t.w "$T/rows.ndjson" --batch-rows 64 \
  --schema 'id BIGINT NOT NULL, qty INT, name STRING, amount DECIMAL(12,2), d DATE, ts TIMESTAMP, ok BOOLEAN, r DOUBLE, big BIGINT' >/dev/null

cat >"$T/conds.txt" <<'CONDS'
qty <> 3
qty IN (1, 5)
qty NOT IN (1, 5)
qty NOT IN (1, NULL)
qty IN (1, NULL)
name IS NULL
name IS NOT NULL
name LIKE 'n1%'
name NOT LIKE '%5'
name ILIKE 'n2_'
amount > 50.5
amount = 12.44
amount BETWEEN 10 AND 20.25
amount NOT BETWEEN 10 AND 290
qty = 3 OR name IS NULL
qty = 3 OR amount > 250
NOT (qty > 2)
qty * 2 + 1 > 9
amount * qty > 1000.5
amount + 0.005 > 100
abs(amount - 100) < 5.5
lower(name) = 'n8'
length(name) = 2
coalesce(qty, 0) = 0
ts >= '2026-01-05 12:00:00'
d < DATE '2026-01-10'
d = '2026-01-07' AND ok
ok
NOT ok
r > 30.5 OR r IS NULL
big > 20000000000
(qty = 1 OR qty = 2) AND amount < 100
id % 50 = 0
CONDS

# DuckDB: the same WHERE over the table's Parquet files (no deletes here)
files=$(find "$FLOE_DATA" -name '*.parquet' | sort | sed "s/.*/'&'/" | paste -sd, -)
cat >"$T/duck.mjs" <<'JS'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
const { duckAll } = await import(pathToFileURL(process.env.FLOE_ROOT + '/tests/interop/lib.mjs').href)
const files = process.env.FILES
for (const cond of readFileSync(process.env.CONDS, 'utf8').split('\n').filter(Boolean)) {
  const rows = await duckAll(`SELECT id FROM read_parquet([${files}]) WHERE ${cond} ORDER BY id`)
  console.log(`${cond}\t${rows.map(r => String(r.id)).join(',')}`)
}
JS
FILES="$files" CONDS="$T/conds.txt" FLOE_ROOT="$FLOE_ROOT" node "$T/duck.mjs" >"$T/duck.txt" || fail "DuckDB failed"

while IFS= read -r cond; do
  got=$(floe cat t.w --where "$cond" --columns id | jq -r .id | sort -n | paste -sd, -)
  printf '%s\t%s\n' "$cond" "$got"
done <"$T/conds.txt" >"$T/floe.txt"
assert_eq "$(cat "$T/duck.txt")" "$(cat "$T/floe.txt")" "floe cat --where selects the rows DuckDB selects"
# every condition selects something and leaves something out (no vacuous case), but
# NOT IN with a NULL, which is never TRUE (SQL)
while IFS=$'\t' read -r cond ids; do
  n=$(tr ',' '\n' <<<"$ids" | grep -c . || true)
  if [[ "$cond" == "qty NOT IN (1, NULL)" ]]; then
    assert_eq 0 "$n" "NOT IN with a NULL selects nothing"
    continue
  fi
  (( n > 0 && n < 300 )) || fail "condition '$cond' selects $n of 300 rows: not a useful case"
done <"$T/floe.txt"
