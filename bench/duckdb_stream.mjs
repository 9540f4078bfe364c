// duckdb_stream.mjs: DuckDB's side of the stream job's benchmark (bench/stream.sh):
// the same NDJSON events, read, deduplicated by event_id (first in file order wins, as
// the stream job's first arrival) and written as zstd Parquet partitioned like
// bronze.orders, in one timed statement:
//   COPY (SELECT *, CAST(event_time AS DATE) AS day FROM read_json(FILE, columns = {...},
//         ignore_errors = true) QUALIFY row_number() OVER (PARTITION BY event_id
//         ORDER BY file_row) = 1) TO DIR (FORMAT parquet, PARTITION_BY (day, tenant_id),
//         COMPRESSION zstd)
// on --threads N (SET threads). No durability of its own: DuckDB's COPY does not fsync.
//   node bench/duckdb_stream.mjs --input FILE --out DIR --threads N
// Prints one JSON line: {"threads":N,"seconds":S,"events":E,"rows":R,"events_per_s":...}
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { readFileSync } from 'node:fs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'tests/interop/package.json'))
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href)
const args = {}
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1]
const q = s => `'${s.replace(/'/g, "''")}'`
const inst = await DuckDBInstance.create(':memory:', { threads: String(args.threads || 1) })
const con = await inst.connect()
const events = readFileSync(args.input, 'utf8').split('\n').filter(l => l.trim()).length
const cols = `{event_id: 'VARCHAR', tenant_id: 'VARCHAR', order_id: 'BIGINT', user_id: 'BIGINT', product_id: 'INTEGER',
  event_type: 'VARCHAR', amount: 'DECIMAL(12,2)', currency: 'VARCHAR', event_time: 'TIMESTAMP', attributes: 'JSON'}`
const t0 = performance.now()
await con.run(`COPY (SELECT * EXCLUDE (rn), CAST(event_time AS DATE) AS day FROM (
    SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY file_row) AS rn FROM (
      SELECT *, row_number() OVER () AS file_row FROM read_json(${q(args.input)}, format = 'newline_delimited',
        columns = ${cols}, ignore_errors = true)) WHERE event_id IS NOT NULL) WHERE rn = 1)
  TO ${q(args.out)} (FORMAT parquet, PARTITION_BY (day, tenant_id), COMPRESSION zstd, OVERWRITE_OR_IGNORE true)`)
const s = (performance.now() - t0) / 1000
const rows = Number((await con.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${q(args.out + '/**/*.parquet')})`)).getRowObjectsJS()[0].n)
console.log(JSON.stringify({ threads: Number(args.threads || 1), seconds: +s.toFixed(3), events, rows, events_per_s: Math.round(events / s) }))
