// check_duckdb_table.mjs: a table make_duckdb_table.mjs wrote (DuckDB's Parquet files)
// read by floe cat identically to DuckDB's read_parquet over the same files, every
// value as exact text (decimals included), and each --where of the spec selecting the
// same rows as DuckDB's WHERE. Exits 1 with a diff on any difference.
//
//   node tests/interop/check_duckdb_table.mjs --floe BIN --data DIR --table NS.T --spec NAME
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Report, diffMultiset, duckAll, duckSelectList, floeCat, normRows, sqlStr } from './lib.mjs'
import { TABLES } from './make_duckdb_table.mjs'

const args = {}
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1]
const t = TABLES[args.spec]
const [ns, name] = args.table.split('.')
const dir = join(args.data, 'foreign', ns, name, 'data')
const files = readdirSync(dir).filter(f => f.endsWith('.parquet')).map(f => join(dir, f))
const fields = t.fields
const cols = fields.map(f => f.name)
const rep = new Report(`duckdb-written ${args.table}`)
const from = `read_parquet([${files.map(sqlStr).join(', ')}], union_by_name = true)`
const duck = async where => normRows(await duckAll(`SELECT ${duckSelectList(fields)} FROM ${from}${where ? ` WHERE ${where}` : ''}`), fields)
const nested = fields.filter(f => typeof f.type !== 'string').map(f => f.name) // printed as JSON values
const cat = where => normRows(floeCat(args.floe, args.data, args.table, where ? ['--where', where] : [], nested), fields)

const all = await duck()
rep.check(`floe cat == DuckDB (${all.length} rows, ${files.length} files)`, diffMultiset('floe cat', cat(), 'DuckDB', all, cols))
for (const w of t.wheres || []) { // a condition, or [floe's, DuckDB's] where their literals differ
  const [fw, dw] = Array.isArray(w) ? w : [w, w]
  const d = await duck(dw)
  rep.check(`--where "${fw}": ${d.length} rows as DuckDB's WHERE ${dw}`, diffMultiset('floe cat', cat(fw), 'DuckDB', d, cols))
}
rep.finish()
process.exit(process.exitCode)
