#!/usr/bin/env bash
# `floe load` of a Parquet file another engine wrote (DuckDB: no Parquet field ids,
# several row groups, INT/BIGINT/DECIMAL/DATE/TIMESTAMP/BOOLEAN/DOUBLE/VARCHAR, NULLs)
# creates a table with the file's columns, and floe cat then gives the values DuckDB
# reads from the same file, row for row.
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || fail "node is needed (bash scripts/deps.sh --test)"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/@duckdb/node-api" ]] || fail "DuckDB for node is missing (bash scripts/deps.sh --test)"
cd "$T"

cat >duck.mjs <<'JS'
import { pathToFileURL } from 'node:url'
const { duckAll } = await import(pathToFileURL(process.env.FLOE_ROOT + '/tests/interop/lib.mjs').href)
const [mode, file] = process.argv.slice(2)
if (mode === 'write') {
  await duckAll(`COPY (SELECT i::INTEGER AS product_id, 'p' || i AS name, (i * 1.25)::DECIMAL(10,2) AS price,
      DATE '2026-01-01' + i::INTEGER AS day, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i) SECOND AS ts,
      i % 2 = 0 AS even, i * 0.5 AS score, CASE WHEN i % 7 = 0 THEN NULL ELSE i::BIGINT * 1000000007 END AS maybe
      FROM range(10000) t(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 3000)`)
} else { // every row as floe cat prints it (one JSON object per line, sorted by product_id)
  const rows = await duckAll(`SELECT product_id, name, price::VARCHAR AS price, strftime(day, '%Y-%m-%d') AS day,
      strftime(ts, '%Y-%m-%dT%H:%M:%SZ') AS ts, even, score::VARCHAR AS score, maybe::VARCHAR AS maybe
      FROM '${file}' ORDER BY product_id`)
  for (const r of rows) {
    const q = s => s === null ? 'null' : JSON.stringify(s)
    console.log(`{"product_id":${r.product_id},"name":${q(r.name)},"price":${r.price},"day":${q(r.day)},` +
      `"ts":${q(r.ts)},"even":${r.even},"score":${r.score},"maybe":${r.maybe === null ? 'null' : r.maybe}}`)
  }
}
JS
FLOE_ROOT="$FLOE_ROOT" node duck.mjs write "$T/duck.parquet" || fail "DuckDB could not write"
out=$(floe load shop.duck duck.parquet)
[[ "$out" =~ ^loaded\ 10000\ rows\ into\ shop\.duck ]] || fail "load output: $out"
assert_eq "    1  product_id               INT             
    2  name                     STRING          
    3  price                    DECIMAL(10,2)   
    4  day                      DATE            
    5  ts                       TIMESTAMP       
    6  even                     BOOLEAN         
    7  score                    DECIMAL(21,1)   
    8  maybe                    BIGINT          " \
  "$("$FLOE" describe shop.duck | sed -n '/^schema/,/^partition/p' | sed '1d;$d')" "the file's columns"
FLOE_ROOT="$FLOE_ROOT" node duck.mjs read "$T/duck.parquet" >duck.txt || fail "DuckDB could not read"
"$FLOE" cat shop.duck >floe.txt
assert_eq 10000 "$(wc -l <floe.txt)" "every row"
# floe cat prints in file order, which is DuckDB's product_id order here
diff -q duck.txt floe.txt >/dev/null || { diff duck.txt floe.txt | head -20 >&2; fail "floe cat differs from DuckDB"; }
