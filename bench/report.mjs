// report.mjs: prints bench/run.sh's table from the two JSON lines (floe, DuckDB).
//   node bench/report.mjs floe.json duckdb.json
//   node bench/report.mjs --summary floe-1.json duck-1.json floe-2.json duck-2.json ...
import { readFileSync } from 'node:fs'

const load = f => JSON.parse(readFileSync(f, 'utf8').trim().split('\n').pop())
if (process.argv[2] === '--summary') {
  const files = process.argv.slice(3)
  const w = []
  const b = []
  for (let i = 0; i + 1 < files.length; i += 2) {
    const f = load(files[i])
    const d = load(files[i + 1])
    w.push(f.write_rows_per_s / d.write_rows_per_s)
    b.push(f.data_bytes / d.data_bytes)
  }
  const t = x => (Math.floor(x * 1000) / 1000).toFixed(3)
  const med = xs => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor((s.length - 1) / 2)] }
  console.log(`summary of ${w.length} runs: write rows/s floe/DuckDB ${w.map(t).join(', ')} ` +
    `(min ${t(Math.min(...w))}, lower median ${t(med(w))}); bytes floe/DuckDB ${b.map(t).join(', ')}`)
  process.exit(0)
}
const [floe, duck] = process.argv.slice(2).map(load)
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
  ['read rows/s, every column decoded (DuckDB: min of each)', fmtInt(floe.scan_rows_per_s), fmtInt(duck.decode_all_rows_per_s), ratio(floe.scan_rows_per_s, duck.decode_all_rows_per_s)],
  ['DuckDB materialising read (CREATE TABLE AS) rows/s', '', fmtInt(duck.full_read_rows_per_s), ''],
  ['count+sum(amount) rows/s', '-', fmtInt(duck.agg_read_rows_per_s), ''],
  ['DuckDB min of each column over floe\'s files, s', '', duck.floe_files_decode_all_s.toFixed(3), `(own files ${duck.decode_all_s.toFixed(3)})`],
  ['DuckDB materialising read of floe\'s files, s', '', duck.floe_files_full_read_s.toFixed(3), `(own files ${duck.full_read_s.toFixed(3)})`],
  ['DuckDB count+sum(amount) of floe\'s files, s', '', duck.floe_files_agg_read_s.toFixed(3), `(own files ${duck.agg_read_s.toFixed(3)})`],
]
const w = rows[0].map((_, c) => Math.max(...rows.map(r => r[c].length)))
for (const r of rows) console.log(r.map((v, c) => (c === 0 ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  '))
const okWrite = floe.write_rows_per_s >= duck.write_rows_per_s
const okBytes = floe.data_bytes <= duck.data_bytes
console.log(`goal: write at least as fast as DuckDB: ${okWrite ? 'met' : 'NOT met'}; files no larger: ${okBytes ? 'met' : 'NOT met'}`)
const sumF = (BigInt(floe.amount_sum) / 100n).toString() + '.' + String(BigInt(floe.amount_sum) % 100n).padStart(2, '0')
if (sumF !== duck.amount_sum) console.log(`WARNING: sum(amount) differs: floe scan ${sumF}, DuckDB ${duck.amount_sum}`)
