// duckdb_write.mjs: DuckDB's side of the storage benchmark (bench/run.sh, RESULTS.md).
//
//   node bench/duckdb_write.mjs --from FLOE_TABLE_DATA_DIR --out DIR
//
// 1. Untimed: loads the rows floe wrote (every *.parquet under --from) into an
//    in-memory DuckDB table, ORDER BY event_id, which restores the generation order
//    (event_id = "e-" + 12-digit row number): DuckDB sees the very rows floe wrote, in
//    the order floe received them.
// 2. SET threads = 1, then times
//      COPY (SELECT *, CAST(event_time AS DATE) AS day FROM orders) TO DIR
//        (FORMAT parquet, PARTITION_BY (day, tenant_id), COMPRESSION zstd)
//    (the day column is computed inside the timed statement, as floe computes its
//    day(event_time) transform inside its timed write) and sums the bytes written;
//    then the same COPY with WRITE_PARTITION_COLUMNS true (files keep tenant_id and
//    day, as Iceberg files keep every column): the like-for-like size.
// 3. Times reading it back: count(*), sum(amount) (two columns); min() of every
//    column (every column decoded, nothing kept: the closest match of floe's scan);
//    and a full materialising read (CREATE TEMP TABLE AS SELECT *). The same reads
//    over floe's files are timed too, for reference.
// Prints one JSON line. Run it on one core (taskset -c 0), as floe's bench is.
import { readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'tests/interop/package.json'))
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href)

const args = {}
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1]
if (!args.from || !args.out) {
  console.error('usage: node bench/duckdb_write.mjs --from FLOE_TABLE_DATA_DIR --out DIR')
  process.exit(2)
}

function parquetBytes(dir) {
  let bytes = 0
  let files = 0
  const walk = d => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.parquet')) { bytes += statSync(p).size; files++ }
    }
  }
  walk(dir)
  return { bytes, files }
}

const q = s => `'${s.replace(/'/g, "''")}'`
const inst = await DuckDBInstance.create(':memory:', { threads: '1' })
const con = await inst.connect()
const run = sql => con.run(sql)
const all = async sql => (await con.runAndReadAll(sql)).getRowObjectsJS()
async function timed(sql) {
  const t0 = performance.now()
  const r = await all(sql)
  return { s: (performance.now() - t0) / 1000, rows: r }
}

await run('SET threads = 1')
await run('SET preserve_insertion_order = true')
const floeGlob = join(args.from, '**', '*.parquet')
await run(`CREATE TABLE orders AS SELECT * FROM read_parquet(${q(floeGlob)}) ORDER BY event_id`)
const [{ n }] = await all('SELECT count(*)::BIGINT n FROM orders')
const rows = Number(n)

const copy = await timed(`COPY (SELECT *, CAST(event_time AS DATE) AS day FROM orders) TO ${q(args.out)}
  (FORMAT parquet, PARTITION_BY (day, tenant_id), COMPRESSION zstd)`)
const { bytes, files } = parquetBytes(args.out)

// Like for like with Iceberg, whose files hold every column: the same COPY keeping
// the partition columns in the files (DuckDB drops them by default).
const outWpc = args.out.replace(/\/?$/, '-wpc')
const copyWpc = await timed(`COPY (SELECT *, CAST(event_time AS DATE) AS day FROM orders) TO ${q(outWpc)}
  (FORMAT parquet, PARTITION_BY (day, tenant_id), COMPRESSION zstd, WRITE_PARTITION_COLUMNS true)`)
const wpc = parquetBytes(outWpc)

const duckGlob = join(args.out, '**', '*.parquet')
const agg = await timed(`SELECT count(*)::BIGINT n, sum(amount)::VARCHAR s FROM read_parquet(${q(duckGlob)}, hive_partitioning = true)`)
const full = await timed(`CREATE TEMP TABLE back AS SELECT * FROM read_parquet(${q(duckGlob)}, hive_partitioning = true)`)
// Every column decoded, nothing stored: min() of each (closest to floe's scan).
const MINS = 'min(event_id), min(tenant_id), min(order_id), min(user_id), min(product_id), min(event_type), ' +
  'min(amount), min(currency), min(event_time), min(attributes)'
const mins = await timed(`SELECT ${MINS} FROM read_parquet(${q(duckGlob)}, hive_partitioning = true)`)
await run('DROP TABLE back')
const aggFloe = await timed(`SELECT count(*)::BIGINT n, sum(amount)::VARCHAR s FROM read_parquet(${q(floeGlob)})`)
const minsFloe = await timed(`SELECT ${MINS} FROM read_parquet(${q(floeGlob)})`)
const fullFloe = await timed(`CREATE TEMP TABLE back AS SELECT * FROM read_parquet(${q(floeGlob)})`)
await run('DROP TABLE back')
const [ver] = await all('SELECT version() v')

if (Number(agg.rows[0].n) !== rows) {
  console.error(`duckdb_write: read back ${agg.rows[0].n} rows, wrote ${rows}`)
  process.exit(1)
}
console.log(JSON.stringify({
  engine: 'duckdb',
  version: ver.v,
  rows,
  write_s: +copy.s.toFixed(3),
  write_rows_per_s: Math.floor(rows / copy.s),
  data_bytes: bytes,
  data_files: files,
  wpc_write_s: +copyWpc.s.toFixed(3),
  wpc_write_rows_per_s: Math.floor(rows / copyWpc.s),
  wpc_data_bytes: wpc.bytes,
  agg_read_s: +agg.s.toFixed(3),
  agg_read_rows_per_s: Math.floor(rows / agg.s),
  full_read_s: +full.s.toFixed(3),
  decode_all_s: +mins.s.toFixed(3),
  decode_all_rows_per_s: Math.floor(rows / mins.s),
  floe_files_decode_all_s: +minsFloe.s.toFixed(3),
  full_read_rows_per_s: Math.floor(rows / full.s),
  amount_sum: agg.rows[0].s,
  floe_files_agg_read_s: +aggFloe.s.toFixed(3),
  floe_files_full_read_s: +fullFloe.s.toFixed(3),
  floe_files_amount_sum: aggFloe.rows[0].s,
}))
