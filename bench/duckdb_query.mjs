// duckdb_query.mjs: DuckDB's side of the query bench (bench/query.sh, issue 15).
//
//   node bench/duckdb_query.mjs --from FLOE_TABLE_DATA_DIR --products CSV --queries FILE
//        --threads N [--runs 3] [--results DIR] [--tmp DIR]
//
// 1. Untimed: loads the rows floe wrote (every *.parquet under --from) into a native
//    DuckDB table bench.orders (ORDER BY event_id: the generation order, as
//    bench/duckdb_write.mjs does) and the products CSV into ref.products with the
//    columns of examples/orders/ref/products.sql, so the queries' text is the very text
//    floe runs.
// 2. SET threads = N, then each query of --queries (lines "name<TAB>sql", '#' lines
//    skipped) --runs times over the native table, then --runs times with bench.orders
//    a view over read_parquet of floe's files (DuckDB reading floe's files: the same
//    rows, floe's Parquet); between the two, over DuckDB's own Parquet of the same rows
//    (COPY bench.orders TO one zstd file, untimed, under --tmp, default the queries
//    file's directory): "own_files". Each figure is the median of its runs, in ms, measured
//    in-process around runAndReadAll (the rows are read into JS values, as floe writes
//    its rows out).
// 3. With --results DIR: the first run's rows of each query (native table) are
//    written to DIR/NAME.json as JSON arrays of arrays (strings), for query.sh's check
//    of floe's row counts.
// Prints one JSON line: {"engine":"duckdb","threads":N,"rows":R,"native":{name:ms},
// "own_files":{name:ms},"files":{name:ms},"version":...}. Run it pinned to one core for N = 1.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'tests/interop/package.json'))
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href)

const args = { runs: '3' }
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1]
if (!args.from || !args.products || !args.queries || !args.threads) {
  console.error('usage: node bench/duckdb_query.mjs --from DIR --products CSV --queries FILE --threads N [--runs 3] [--results DIR]')
  process.exit(2)
}
const runs = Number(args.runs)
const queries = readFileSync(args.queries, 'utf8').split('\n')
  .filter(l => l.trim() && !l.startsWith('#'))
  .map(l => { const t = l.indexOf('\t'); return { name: l.slice(0, t), sql: l.slice(t + 1) } })

const q = s => `'${s.replace(/'/g, "''")}'`
const inst = await DuckDBInstance.create(':memory:', { threads: String(args.threads) })
const con = await inst.connect()
const run = sql => con.run(sql)
const all = async sql => (await con.runAndReadAll(sql)).getRowsJS()

const glob = join(args.from, '**', '*.parquet')
const tmpdir = mkdtempSync(join(args.tmp || dirname(args.queries), 'duck-'))
await run('CREATE SCHEMA bench')
await run('CREATE SCHEMA ref')
await run(`CREATE TABLE bench.orders AS SELECT * FROM read_parquet(${q(glob)}) ORDER BY event_id`)
await run(`CREATE TABLE ref.products (product_id INT NOT NULL, name VARCHAR NOT NULL, category VARCHAR NOT NULL,
  price DECIMAL(10,2) NOT NULL)`)
await run(`INSERT INTO ref.products SELECT * FROM read_csv(${q(args.products)}, header = true,
  columns = {'product_id': 'INT', 'name': 'VARCHAR', 'category': 'VARCHAR', 'price': 'DECIMAL(10,2)'})`)
const [[n]] = await all('SELECT count(*)::BIGINT FROM bench.orders')
await run(`SET threads = ${Number(args.threads)}`)

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
async function timeAll(save) {
  const out = {}
  for (const { name, sql } of queries) {
    const ms = []
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const rows = await all(sql)
      ms.push(performance.now() - t0)
      if (save && i === 0) {
        const text = rows.map(r => r.map(v => (v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v))))
        writeFileSync(join(args.results, `${name}.json`), JSON.stringify(text))
      }
    }
    out[name] = +median(ms).toFixed(2)
  }
  return out
}
const native = await timeAll(!!args.results)
// DuckDB's own Parquet of the same rows (one zstd file, its default row groups), the
// yardstick of "DuckDB reads floe's files as fast as its own"; written untimed
const own = join(tmpdir, 'orders.parquet')
await run(`COPY bench.orders TO ${q(own)} (FORMAT parquet, COMPRESSION zstd)`)
await run('DROP TABLE bench.orders')
await run(`CREATE VIEW bench.orders AS SELECT * FROM read_parquet(${q(own)})`)
const ownFiles = await timeAll(false)
await run('DROP VIEW bench.orders')
rmSync(tmpdir, { recursive: true, force: true })
await run(`CREATE VIEW bench.orders AS SELECT * FROM read_parquet(${q(glob)})`)
const files = await timeAll(false)
const [[ver]] = await all('SELECT version()')
console.log(JSON.stringify({ engine: 'duckdb', version: ver, threads: Number(args.threads), rows: Number(n), runs, native, own_files: ownFiles, files }))
