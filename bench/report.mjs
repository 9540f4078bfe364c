// report.mjs: prints bench/run.sh's table from the two JSON lines (floe, DuckDB).
//   node bench/report.mjs floe.json duckdb.json
import { readFileSync } from 'node:fs'

const [floe, duck] = process.argv.slice(2).map(f => JSON.parse(readFileSync(f, 'utf8').trim().split('\n').pop()))
const fmtInt = n => Math.floor(n).toLocaleString('en-US')
// Ratios are truncated, never rounded up (RESULTS.md quotes them).
const ratio = (a, b) => (Math.floor((a / b) * 1000) / 1000).toFixed(3)
const rows = [
  ['', 'floe', 'DuckDB ' + duck.version, 'floe / DuckDB'],
  ['rows', fmtInt(floe.rows), fmtInt(duck.rows), ''],
  ['write rows/s', fmtInt(floe.write_rows_per_s), fmtInt(duck.write_rows_per_s), ratio(floe.write_rows_per_s, duck.write_rows_per_s)],
  ['write seconds', floe.write_s.toFixed(3), duck.write_s.toFixed(3), ''],
  ['data bytes on disk', fmtInt(floe.data_bytes), fmtInt(duck.data_bytes), ratio(floe.data_bytes, duck.data_bytes)],
  ['data files', String(floe.data_files), String(duck.data_files), ''],
  ['DuckDB keeping partition columns: write rows/s', '', fmtInt(duck.wpc_write_rows_per_s), ratio(floe.write_rows_per_s, duck.wpc_write_rows_per_s)],
  ['DuckDB keeping partition columns: data bytes', '', fmtInt(duck.wpc_data_bytes), ratio(floe.data_bytes, duck.wpc_data_bytes)],
  ['metadata bytes (Iceberg)', fmtInt(floe.metadata_bytes), '-', ''],
  ['full read rows/s (every column)', fmtInt(floe.scan_rows_per_s), fmtInt(duck.full_read_rows_per_s), ratio(floe.scan_rows_per_s, duck.full_read_rows_per_s)],
  ['count+sum(amount) rows/s', '-', fmtInt(duck.agg_read_rows_per_s), ''],
  ['DuckDB full read of floe\'s files, s', '', duck.floe_files_full_read_s.toFixed(3), ''],
  ['DuckDB count+sum of floe\'s files, s', '', duck.floe_files_agg_read_s.toFixed(3), ''],
]
const w = rows[0].map((_, c) => Math.max(...rows.map(r => r[c].length)))
for (const r of rows) console.log(r.map((v, c) => (c === 0 ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  '))
const okWrite = floe.write_rows_per_s >= duck.write_rows_per_s
const okBytes = floe.data_bytes <= duck.data_bytes
console.log(`goal: write at least as fast as DuckDB: ${okWrite ? 'met' : 'NOT met'}; files no larger: ${okBytes ? 'met' : 'NOT met'}`)
const sumF = (BigInt(floe.amount_sum) / 100n).toString() + '.' + String(BigInt(floe.amount_sum) % 100n).padStart(2, '0')
if (sumF !== duck.amount_sum) console.log(`WARNING: sum(amount) differs: floe scan ${sumF}, DuckDB ${duck.amount_sum}`)
