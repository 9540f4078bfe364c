#!/usr/bin/env bash
# The value half of sql's evaluator, seen through `--where`: conditions built from CASE,
# CAST and ::, ||, //, NULLIF/greatest/least/coalesce, IN lists of columns, LIKE with
# ESCAPE, exact decimals past 18 digits, date/timestamp arithmetic with months, and the
# string, math and date functions select exactly the rows DuckDB's WHERE selects over
# the same Parquet files (NULLs in every column: only TRUE rows). DuckDB is the
# independent reader of tests/interop (npm @duckdb/node-api).
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
floe load t.v "$T/rows.ndjson" --batch-rows 64 \
  --schema 'id BIGINT NOT NULL, qty INT, name STRING, amount DECIMAL(12,2), d DATE, ts TIMESTAMP, ok BOOLEAN, r DOUBLE, big BIGINT' >/dev/null

cat >"$T/conds.txt" <<'CONDS'
CASE WHEN qty > 3 THEN 'big' ELSE 'small' END = 'big'
CASE qty WHEN 1 THEN true WHEN 2 THEN ok END
CASE WHEN name IS NULL THEN amount ELSE 0 END > 0
CAST(amount AS INT) = 12
amount::STRING LIKE '1%.5%'
CAST(qty AS STRING) || name = '1n1'
name || '-' || qty LIKE 'n%-3'
qty // 2 = 1
qty / 2 > 1.5
id % 7 IN (qty, 3)
qty IN (id % 5, NULL)
qty NOT IN (id % 3, 6)
nullif(qty, 3) IS NULL
greatest(qty, 4) = 4
least(amount, 50) < 20
coalesce(name, 'none') = 'none'
round(amount, 0) = 14
round(r) = 2
floor(amount) = 12
ceil(r) = 3
date_trunc('day', ts) = TIMESTAMP '2026-01-03 00:00:00'
extract(hour FROM ts) BETWEEN 3 AND 5
date_part('dow', d) = 0
ts + INTERVAL '1 month' > TIMESTAMP '2026-02-10 00:00:00'
d + INTERVAL '1 month' < TIMESTAMP '2026-02-10 00:00:00'
ts - INTERVAL '1 day 2 hours' < TIMESTAMP '2026-01-02 00:00:00'
d - DATE '2026-01-01' > 20
upper(name) LIKE 'N1%' AND substring(name, 2, 1) = '1'
trim(name, 'n') = '13' OR trim(name, 'N') = '12'
replace(name, 'n', 'x') = 'x17'
split_part(name, '1', 2) = '7'
strpos(name, '2') = 2
starts_with(lower(name), 'n2')
regexp_matches(name, '^[nN][0-9]{2}$')
length(concat(name, qty)) = 4
name LIKE 'n!_%' ESCAPE '!' OR name LIKE 'N1_' ESCAPE '!'
sqrt(qty) > 2
power(qty, 2) >= 16
amount * amount * amount > 1000000
CAST(amount AS DECIMAL(30,2)) * big > 100000000000
-CAST(amount AS DECIMAL(30,2)) < -250
CAST(big AS DECIMAL(38,2)) + amount > 20000000100
CONDS

# DuckDB: the same WHERE over the table's Parquet files
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
  got=$(floe cat t.v --where "$cond" --columns id | jq -r .id | sort -n | paste -sd, -)
  printf '%s\t%s\n' "$cond" "$got"
done <"$T/conds.txt" >"$T/floe.txt"
diff "$T/duck.txt" "$T/floe.txt" >&2 || true
assert_eq "$(cat "$T/duck.txt")" "$(cat "$T/floe.txt")" "floe cat --where selects the rows DuckDB selects"
# every condition selects some rows and not all (the comparison is not vacuous)
while IFS=$'\t' read -r cond ids; do
  n=$(printf '%s' "$ids" | tr ',' '\n' | grep -c . || true)
  [[ $n -gt 0 && $n -lt 300 ]] || fail "condition selects $n rows: $cond"
done <"$T/duck.txt"

