#!/usr/bin/env bash
# floe's Parquet files carry the page index (ColumnIndex + OffsetIndex, PageIndex.md)
# with pages of 10,000 rows, and a selective filter reads only the pages it leaves.
# 100,000 rows in one file: hyparquet (an independent reader) finds an offset index on
# every column chunk with first rows 0, 10000, .. 90000 and page locations that tile
# the chunk, and a column index whose id bounds are exactly each page's ids, whose s
# pages of rows 20000..39999 are null pages of 10,000 nulls each. Point and range
# queries give DuckDB's rows over the same file; EXPLAIN ANALYZE shows the pages read
# and jumped over (id = 54321: 10,000 rows decoded, not 100,000). A table whose
# write.parquet.page-row-limit is 25000 gets pages of 25,000 rows.
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || fail "node is needed (bash scripts/deps.sh --test)"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/@duckdb/node-api" ]] || fail "DuckDB for node is missing (bash scripts/deps.sh --test)"

awk 'BEGIN {
  for (i = 0; i < 100000; i++) {
    s = (i >= 20000 && i < 40000) ? "null" : "\"s" i "\""
    printf "{\"id\":%d,\"g\":%d,\"s\":%s,\"amt\":%d.%02d}\n", i, i % 7, s, i % 1000, i % 100
  }
}' >"$T/rows.ndjson"
floe load shop.ev "$T/rows.ndjson" --schema 'id BIGINT NOT NULL, g INT, s STRING, amt DECIMAL(12,2)' >/dev/null
file=$(find "$FLOE_DATA" -name '*.parquet' | sort)
assert_eq 1 "$(printf '%s\n' "$file" | wc -l)" "one data file"

cat >"$T/index.mjs" <<'JS'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
const hp = await import(pathToFileURL(process.env.FLOE_ROOT + '/tests/interop/node_modules/hyparquet/src/index.js').href)
const buf = readFileSync(process.env.FILE)
const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
const meta = hp.parquetMetadata(ab)
const out = []
for (const rg of meta.row_groups) {
  for (const cc of rg.columns) {
    const name = cc.meta_data.path_in_schema.join('.')
    const at = Number(cc.offset_index_offset), len = cc.offset_index_length
    const oi = hp.readOffsetIndex({ view: new DataView(ab, at, len), offset: 0 })
    const locs = oi.page_locations
    const start = Number(cc.meta_data.dictionary_page_offset ?? cc.meta_data.data_page_offset)
    let tiled = Number(locs[0].offset) === Number(cc.meta_data.data_page_offset)
    for (let i = 0; i + 1 < locs.length; i++)
      tiled &&= Number(locs[i].offset) + locs[i].compressed_page_size === Number(locs[i + 1].offset)
    const last = locs[locs.length - 1]
    tiled &&= Number(last.offset) + last.compressed_page_size === start + Number(cc.meta_data.total_compressed_size)
    out.push(`${name} first_rows=${locs.map(l => String(l.first_row_index)).join(',')} tiled=${tiled}`)
    if (cc.column_index_offset === undefined) { out.push(`${name} no column index`); continue }
    const el = meta.schema.find(e => e.name === name)
    const ci = hp.readColumnIndex({ view: new DataView(ab, Number(cc.column_index_offset), cc.column_index_length), offset: 0 }, el)
    const b = ci.min_values.map((m, i) => ci.null_pages[i] ? 'null' : `${m}..${ci.max_values[i]}`)
    out.push(`${name} pages=${b.join(' ')} nulls=${ci.null_counts.map(String).join(',')}`)
  }
}
console.log(out.join('\n'))
JS
FILE="$file" FLOE_ROOT="$FLOE_ROOT" node "$T/index.mjs" >"$T/index.txt" || fail "hyparquet failed"
first_rows=$(seq 0 10000 90000 | paste -sd, -)
ten() { printf "$1"'%.0s' $(seq 10) | sed 's/ $//'; }
id_pages=$(for p in $(seq 0 9); do printf '%d..%d ' $((p * 10000)) $((p * 10000 + 9999)); done | sed 's/ $//')
s_pages="s0..s9999 s10000..s19999 null null $(for p in $(seq 4 9); do printf 's%d..s%d ' $((p * 10000)) $((p * 10000 + 9999)); done | sed 's/ $//')"
assert_eq "id first_rows=$first_rows tiled=true
id pages=$id_pages nulls=0,0,0,0,0,0,0,0,0,0
g first_rows=$first_rows tiled=true
g pages=$(ten '0..6 ') nulls=0,0,0,0,0,0,0,0,0,0
s first_rows=$first_rows tiled=true
s pages=$s_pages nulls=0,0,10000,10000,0,0,0,0,0,0
amt first_rows=$first_rows tiled=true
amt pages=$(ten '0..999.99 ') nulls=0,0,0,0,0,0,0,0,0,0" "$(cat "$T/index.txt")" \
  "hyparquet reads the page index floe wrote"

queries=(
  "SELECT id, g, s, CAST(amt AS VARCHAR) AS amt FROM ev WHERE id = 54321"
  "SELECT id, g, s, CAST(amt AS VARCHAR) AS amt FROM ev WHERE id BETWEEN 39995 AND 40004 OR id = 99999 ORDER BY id"
  "SELECT id, g, s, CAST(amt AS VARCHAR) AS amt FROM ev WHERE s = 's77777' OR s = 's5' ORDER BY id"
  "SELECT count(*) AS n, sum(amt) AS a FROM ev WHERE id >= 79990 AND g = 3"
  "SELECT id FROM ev WHERE s IS NULL AND id < 20005 ORDER BY id LIMIT 3"
)
cat >"$T/duck.mjs" <<'JS'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
const { duckAll } = await import(pathToFileURL(process.env.FLOE_ROOT + '/tests/interop/lib.mjs').href)
for (const q of readFileSync(process.env.QUERIES, 'utf8').split('\n').filter(Boolean)) {
  const rows = await duckAll(q.replace('FROM ev', `FROM read_parquet('${process.env.FILE}')`))
  console.log(rows.map(r => Object.values(r).map(v => v === null ? '' : String(v)).join(',')).join(';'))
}
JS
printf '%s\n' "${queries[@]}" >"$T/queries.txt"
FILE="$file" QUERIES="$T/queries.txt" FLOE_ROOT="$FLOE_ROOT" node "$T/duck.mjs" >"$T/duck.txt" || fail "DuckDB failed"
for q in "${queries[@]}"; do
  floe sql --format csv "$q" | tail -n +2 | tr -d '\r' | paste -sd';' -
done >"$T/floe.txt"
assert_eq "$(cat "$T/duck.txt")" "$(cat "$T/floe.txt")" "floe sql gives DuckDB's rows"
assert_eq "54321,1,s54321,321.21" "$(head -1 "$T/floe.txt")" "the point query's row"

# the probe decodes id's page 5 (rows 50000..59999; pages 0..4 jumped over), the row
# read page 5 of id, g, s and amt (20 pages jumped over): 5 of the 40 pages decoded
plan=$(floe sql --threads 1 "EXPLAIN ANALYZE SELECT id, g, s, amt FROM ev WHERE id = 54321")
assert_contains "$plan" "rows_read=10000 " "one page of rows decoded"
assert_contains "$plan" "pages=5 read, 25 skipped by the page index (in 1 row groups)" "pages jumped over"
plan=$(floe sql --threads 1 "EXPLAIN ANALYZE SELECT count(*) AS n FROM ev WHERE id >= 0")
assert_contains "$plan" "rows_read=100000 " "a filter every page may match reads every row"
[[ $plan != *"skipped by the page index"* ]] || fail "no page selection when every page may match: $plan"

# Iceberg's write.parquet.page-row-limit sets the rows of a page
floe load shop.big "$T/rows.ndjson" --schema 'id BIGINT NOT NULL, g INT, s STRING, amt DECIMAL(12,2)' \
  --batch-rows 100000 >/dev/null
floe alter shop.big set-property write.parquet.page-row-limit 25000 >/dev/null
floe load shop.big "$T/rows.ndjson" >/dev/null
file=$(ls -t $(find "$FLOE_DATA" -path '*big*' -name '*.parquet') | head -1)
FILE="$file" FLOE_ROOT="$FLOE_ROOT" node "$T/index.mjs" >"$T/index25.txt" || fail "hyparquet failed"
assert_eq "id first_rows=0,25000,50000,75000 tiled=true" "$(head -1 "$T/index25.txt")" "pages of 25,000 rows"
