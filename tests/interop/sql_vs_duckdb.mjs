// sql_vs_duckdb.mjs: the same SQL run by `floe sql` over floe's tables and by DuckDB over
// the same rows (loaded from the same NDJSON files with the same column types) must
// give the same rows: in order where the query has an ORDER BY, as multisets otherwise.
// Values compare as text: floe's CSV (decimals exact, timestamps 'YYYY-MM-DD HH:MM:SS',
// NULL an empty unquoted field) against DuckDB's JSON values.
//
//   node tests/interop/sql_vs_duckdb.mjs --floe BIN --data DIR --spec FILE.json
// FILE.json: {"tables": [{"name": "orders", "file": "o.ndjson", "columns": {"id": "BIGINT", ...}}],
//             "queries": ["SELECT ...", ...]}
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { DuckDBInstance } from '@duckdb/node-api'

const args = {}
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1]
const spec = JSON.parse(readFileSync(args.spec, 'utf8'))

const inst = await DuckDBInstance.create(':memory:')
const duck = await inst.connect()
for (const t of spec.tables) {
  const cols = Object.entries(t.columns).map(([k, v]) => `'${k}': '${v}'`).join(', ')
  await duck.run(`CREATE TABLE ${t.name} AS SELECT * FROM read_json('${t.file}', format = 'newline_delimited', columns = {${cols}})`)
}

// RFC 4180 with floe's NULL rule: an unquoted empty field is NULL
function parseCsv(text) {
  const rows = []
  let row = [], field = '', quoted = false, inq = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (inq) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++ }
      else if (ch === '"') inq = false
      else field += ch
      continue
    }
    if (ch === '"') { inq = true; quoted = true }
    else if (ch === ',') { row.push(quoted || field !== '' ? field : null); field = ''; quoted = false }
    else if (ch === '\r') {}
    else if (ch === '\n') { row.push(quoted || field !== '' ? field : null); rows.push(row); row = []; field = ''; quoted = false }
    else field += ch
  }
  return rows
}

const text = v => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : String(v))
let failed = 0
for (const q of spec.queries) {
  let floeRows
  try {
    const out = execFileSync(args.floe, ['sql', '--data', args.data, '--format', 'csv', q], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    floeRows = parseCsv(out).slice(1)
  } catch (e) {
    console.log(`FAIL ${q}\n  floe: ${String(e.stderr || e.message).trim()}`)
    failed++
    continue
  }
  const r = await duck.runAndReadAll(q)
  const duckRows = r.getRowObjectsJson().map(o => Object.values(o).map(text))
  const ordered = /\border\s+by\b/i.test(q.replace(/over\s*\([^)]*\)/gi, ''))
  const key = rows => rows.map(r => JSON.stringify(r))
  const a = key(floeRows), b = key(duckRows)
  if (!ordered) { a.sort(); b.sort() }
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    console.log(`FAIL ${q}\n  floe:   ${a.join(' ')}\n  DuckDB: ${b.join(' ')}`)
    failed++
  } else {
    console.log(`ok   ${q} (${a.length} rows)`)
  }
}
process.exit(failed ? 1 : 0)
