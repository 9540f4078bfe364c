#!/usr/bin/env bash
# The DuckDB recipe of docs/operations.md, run as written (the SQL below must appear in
# the doc verbatim) with DuckDB's node package from tests/interop: on a table with
# rows deleted, compacted (old files still on disk), then deleted from again, it
# returns exactly the rows `floe cat` prints, and the naive glob does not.
. "$(dirname "$0")/lib.sh"
DUCK="$FLOE_ROOT/tests/interop/node_modules/@duckdb/node-api"
[[ -d $DUCK ]] || fail "DuckDB's node package is missing: bash scripts/deps.sh --test"

mkdir -p "$FLOE_DATA"
cd "$FLOE_DATA/.."   # the recipe names floe-data/...: give it that name
ln -s "$FLOE_DATA" floe-data
export FLOE_DATA=floe-data
seq 1 10 | sed 's/.*/{"id":&,"name":"n&"}/' | "$FLOE" load bronze.orders - --schema 'id BIGINT, name STRING' >/dev/null
seq 11 20 | sed 's/.*/{"id":&,"name":"n&"}/' | "$FLOE" load bronze.orders - >/dev/null
floe delete bronze.orders --where 'id < 4' >/dev/null
floe compact bronze.orders >/dev/null
floe delete bronze.orders --where 'id = 15' >/dev/null
floe delete bronze.orders --where "name = 'n20'" >/dev/null

sql_recipe() { # the recipe's SQL with $files expanded, as the shell would
cat <<SQL
SELECT * EXCLUDE (filename, file_row_number)
FROM read_parquet([$files], filename = true, file_row_number = true) AS d
WHERE NOT EXISTS (
  SELECT 1 FROM read_parquet('floe-data/warehouse/bronze/orders/data/**/*-deletes.parquet') AS x
  WHERE x.file_path = 'file://' || d.filename AND x.pos = d.file_row_number)
SQL
}
files='$files'
while IFS= read -r line; do
  grep -qF -- "$line" "$FLOE_ROOT/docs/operations.md" || fail "docs/operations.md lacks the recipe line: $line"
done < <(sql_recipe)
grep -qF -- "files=\$(floe describe bronze.orders --files | sed \"s|^file://||; s|.*|'&'|\" | paste -sd, -)" \
  "$FLOE_ROOT/docs/operations.md" || fail "docs/operations.md lacks the files= line"

files=$(floe describe bronze.orders --files | sed "s|^file://||; s|.*|'&'|" | paste -sd, -)
duck() { # SQL -> one "id name" line per row, sorted
  cat >"$T/q.mjs" <<JS
import { DuckDBInstance } from '$DUCK/lib/index.js'
const con = await (await DuckDBInstance.create(':memory:')).connect()
const r = await con.runAndReadAll(process.argv[2])
for (const row of r.getRowObjectsJS()) console.log(String(row.id) + ' ' + String(row.name))
JS
  node "$T/q.mjs" "$1" | LC_ALL=C sort
}
want=$(floe cat bronze.orders | jq -r '"\(.id) \(.name)"' | LC_ALL=C sort)
assert_eq 15 "$(wc -l <<<"$want")" "floe cat's live rows"
assert_eq "$want" "$(duck "$(sql_recipe)")" "the recipe's rows = floe cat's rows"
naive=$(duck "SELECT count(*) AS id, '' AS name FROM read_parquet('floe-data/warehouse/bronze/orders/data/**/*.parquet', union_by_name = true)")
[[ "$naive" != "15 " ]] || fail "the naive glob counts 15 rows too: the test proves nothing"
