// sql_vs_duckdb.mjs: the same SQL run by `floe sql` over floe's tables and by DuckDB over
// the same rows (loaded from the same NDJSON files with the same column types) must
// give the same rows: in order where the query has an ORDER BY, as multisets otherwise.
// Values compare as text: floe's CSV (decimals exact, timestamps 'YYYY-MM-DD HH:MM:SS',
// NULL an empty unquoted field) against DuckDB's JSON values (intervals as DuckDB's text).
//
// Two ways to call it:
//   node tests/interop/sql_vs_duckdb.mjs --floe BIN --data DIR --spec FILE.json
//     FILE.json: {"tables": [{"name": "orders", "file": "o.ndjson", "columns": {"id": "BIGINT", ...}}],
//                 "queries": ["SELECT ...", ...]}; the caller has loaded the tables into DIR.
//     Prints "ok SQL (N rows)" or "FAIL SQL" with both sides per query.
//   node tests/interop/sql_vs_duckdb.mjs --floe BIN --work DIR --corpus tests/sql [FILE.slt ...]
//     the sqllogictest-style corpus (format: tests/sql/README.md): for each .slt file the
//     tables its `table` records name are generated (deterministic, below), loaded into
//     DIR/<file>/data with `floe load` and into a fresh DuckDB; its `query` records run
//     in one `floe sql` shell process (statements on stdin, a marker query between
//     them to split the CSV), then each in DuckDB; `error` records run one `floe sql`
//     each and must fail with the given text. Prints FILE:LINE of every failure with
//     both sides, the known failures (counted, never passed), and the summary line
//       corpus: Q queries compared, A agree, D differ, K known failures; E errors checked, F wrong
//     Exit 1 on any difference, wrong error, or known failure that now agrees.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'

const args = { files: [] }
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]
  if (a.startsWith('--')) args[a.slice(2)] = process.argv[++i]
  else args.files.push(a)
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

// A double as one text whatever its spelling ("1e+20", "1.0e20", "-0", "inf"): JS's shortest
// form (-0 is 0). floe's text counts as a double only if it ends in no 0 after
// a '.', so a DECIMAL "2.50" where DuckDB has the DOUBLE 2.5 still differs.
// A FLOAT column compares as float32 values (Math.fround): DuckDB's 0.1 and floe's 0.1.
function doubleText(v, single = false, digits = 0) {
  if (v === null) return null
  if (typeof v === 'string') {
    const t = v.toLowerCase()
    if (/\.\d*0$/.test(t)) return v
    v = t === 'inf' || t === 'infinity' ? Infinity : t === '-inf' || t === '-infinity' ? -Infinity : t === 'nan' ? NaN : Number(t)
    if (Number.isNaN(v) && t !== 'nan') return t
  }
  if (single) v = Math.fround(v)
  if (digits && Number.isFinite(v)) v = Number(v.toPrecision(digits))
  return String(v) // -0 as 0: DuckDB's sort and GROUP BY fold them, and they are equal
}

// DuckDB's rows as text: JSON values, except intervals (an object in JSON) as DuckDB prints
// them; the positions of DOUBLE/FLOAT columns are in rows.doubles (compared by doubleText)
async function duckRows(conn, q) {
  const r = await conn.runAndReadAll(q)
  const types = r.columnTypes().map(t => String(t))
  const raw = r.getRows()
  const json = r.getRowObjectsJson().map(o => Object.values(o).map(text))
  json.forEach((row, i) => types.forEach((t, j) => {
    if (raw[i][j] === null) return
    if (t === 'INTERVAL') row[j] = String(raw[i][j])
    else if (t === 'DOUBLE' || t === 'FLOAT') row[j] = doubleText(raw[i][j], t === 'FLOAT')
  }))
  json.doubles = types.flatMap((t, j) => (t === 'DOUBLE' ? [j] : []))
  json.floats = types.flatMap((t, j) => (t === 'FLOAT' ? [j] : []))
  return json
}
// digits: a record's DOUBLE columns compare at that many significant digits (sums whose
// order of additions is each engine's own: DuckDB's window segment trees, floe's file order)
const floeDoubles = (rows, d, digits = 0) =>
  d.doubles.length || d.floats.length
    ? rows.map(r => r.map((v, j) => (d.doubles.includes(j) ? doubleText(v, false, digits) : d.floats.includes(j) ? doubleText(v, true) : v)))
    : rows
const duckDoubles = (rows, digits) =>
  digits ? Object.assign(rows.map(r => r.map((v, j) => (rows.doubles.includes(j) ? doubleText(v, false, digits) : v))), { doubles: rows.doubles, floats: rows.floats }) : rows

// ORDER BY outside parentheses and string literals: the query's rows are ordered
function topLevelOrderBy(q) {
  let s = q.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""').replace(/--[^\n]*/g, '')
  for (let prev = ''; prev !== s;) { prev = s; s = s.replace(/\([^()]*\)/g, ' _ ') }
  return /\border\s+by\b/i.test(s)
}

function same(floeRows, dRows, ordered) {
  const a = floeRows.map(r => JSON.stringify(r)), b = dRows.map(r => JSON.stringify(r))
  if (!ordered) { a.sort(); b.sort() }
  return { ok: JSON.stringify(a) === JSON.stringify(b), a, b }
}

if (args.spec) {
  const spec = JSON.parse(readFileSync(args.spec, 'utf8'))
  const inst = await DuckDBInstance.create(':memory:')
  const duck = await inst.connect()
  for (const t of spec.tables) {
    const cols = Object.entries(t.columns).map(([k, v]) => `'${k}': '${v}'`).join(', ')
    await duck.run(`CREATE TABLE ${t.name} AS SELECT * FROM read_json('${t.file}', format = 'newline_delimited', columns = {${cols}})`)
  }
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
    const d = await duckRows(duck, q)
    const { ok, a, b } = same(floeDoubles(floeRows, d), d, topLevelOrderBy(q))
    if (!ok) {
      console.log(`FAIL ${q}\n  floe:   ${a.join(' ')}\n  DuckDB: ${b.join(' ')}`)
      failed++
    } else {
      console.log(`ok   ${q} (${a.length} rows)`)
    }
  }
  process.exit(failed ? 1 : 0)
}

// ---- the corpus ----

// mulberry32: a small deterministic generator, so every run (and both engines) sees the same rows
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const pad = (n, w = 2) => String(n).padStart(w, '0')
const money = (r, hi) => { const c = Math.floor(r() * hi * 100); return `${Math.floor(c / 100)}.${pad(c % 100)}` }
const ts = us => { // micros since the epoch -> 'YYYY-MM-DD HH:MM:SS[.ffffff]'
  const d = new Date(Number(us / 1000n))
  const frac = Number(((us % 1000000n) + 1000000n) % 1000000n)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac ? '.' + pad(frac, 6) : ''}`
}
const day = n => new Date(Date.UTC(2024, 0, 1) + n * 86400000).toISOString().slice(0, 10)
const pick = (r, xs) => xs[Math.floor(r() * xs.length)]
const maybe = (r, p, v) => (r() < p ? null : v)

// Generators: name -> (rows, seed) -> array of objects. A table record's columns must be
// exactly the keys the generator writes (the runner checks).
const GENERATORS = {
  // the orders stream of DESIGN §3 (floe gen orders' shape): several events per order,
  // NULL user/product/amount/currency/attributes, product ids 1..45 (products has 1..40)
  orders: (n, r) => {
    const types = ['order_created', 'order_paid', 'order_shipped', 'order_cancelled']
    const base = 1795132800000000n // 2026-11-20 00:00:00
    return Array.from({ length: n }, (_, i) => ({
      event_id: `e${pad(i + 1, 6)}`,
      tenant_id: pick(r, ['t01', 't02', 't03', 't04', 't05']),
      order_id: 1 + Math.floor(r() * Math.max(1, n / 3)),
      user_id: maybe(r, 0.1, 1 + Math.floor(r() * 60)),
      product_id: maybe(r, 0.05, 1 + Math.floor(r() * 45)),
      event_type: pick(r, types),
      amount: maybe(r, 0.08, money(r, 1000)),
      currency: maybe(r, 0.1, pick(r, ['USD', 'EUR', 'GBP'])),
      event_time: ts(base + BigInt(Math.floor(r() * 3 * 86400)) * 1000000n + BigInt(Math.floor(r() * 1000)) * 1000n),
      attributes: maybe(r, 0.3, { src: pick(r, ['web', 'app']), n: Math.floor(r() * 5) }),
    }))
  },
  // products: ids 1..n, ids 7 and 13 twice (duplicate join keys), NULL categories
  products: (n, r) => {
    const rows = Array.from({ length: n }, (_, i) => ({
      product_id: i + 1, name: `prod-${pad(i + 1, 3)}`,
      category: maybe(r, 0.1, pick(r, ['books', 'games', 'tools', 'food'])), price: money(r, 200),
    }))
    for (const id of [7, 13]) if (id <= n) rows.push({ product_id: id, name: `dup-${id}`, category: 'dups', price: money(r, 200) })
    return rows
  },
  // a table of every scalar type with NULLs in each column and small domains (duplicates)
  t: (n, r) => Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    k: maybe(r, 0.12, Math.floor(r() * 8) - 2),
    g: maybe(r, 0.1, pick(r, ['a', 'b', 'B', 'c', ''])),
    x: maybe(r, 0.1, pick(r, ['0.00', '-1.50', '2.25', '100.00', '-0.01', '33.33', money(r, 500)])),
    y: maybe(r, 0.1, pick(r, [0.5, -1.25, 3, 0, 1e10, -2.5e-3, 7.125])),
    d: maybe(r, 0.1, day(Math.floor(r() * 400) - 30)),
    ts: maybe(r, 0.1, ts(1704067200000000n + BigInt(Math.floor(r() * 400 * 86400)) * 1000000n + BigInt(pick(r, [0, 0, 500000, 123456])))),
    flag: maybe(r, 0.15, r() < 0.5),
    s: maybe(r, 0.05, pick(r, ['hello world', 'Hello', 'a,b,c', 'x_y%z', '  pad  ', 'quote"d', "it's", 'ünïcödé', 'line', 'abc-def-ghi', 'ABC', '1-2', 'foo bar baz'])),
  })),
  // join partner of t: keys with duplicates and NULLs on both sides
  u: (n, r) => Array.from({ length: n }, (_, i) => ({
    k: maybe(r, 0.1, Math.floor(r() * 10) - 3),
    v: `v${i + 1}`,
    w: maybe(r, 0.1, money(r, 50).replace(/\.(\d\d)$/, '.$1' + Math.floor(r() * 10))),
  })),
  // FLOAT (REAL) beside DOUBLE: values a float holds exactly and ones it rounds
  floats: (n, r) => Array.from({ length: n }, (_, i) => {
    const v = maybe(r, 0.1, pick(r, [0.1, 0.5, -2.25, 1 / 3, 3.4e38, 1e-7, 100, 0, 16777217, 2.5]))
    return { id: i + 1, f: v, dd: v, k: Math.floor(r() * 5) }
  }),
  // long strings sharing long prefixes (statistics of strings this long are truncated),
  // with unicode and bytes near 0xff, for pruning by bounds and LIKE prefixes
  texts: (n, r) => Array.from({ length: n }, (_, i) => {
    const head = pick(r, ['a'.repeat(70), 'a'.repeat(69) + 'b', 'ü'.repeat(40), 'z'.repeat(80), '\u{10FFFF}'.repeat(20), 'm'])
    return { id: i + 1, s: maybe(r, 0.05, head + pick(r, ['', 'x', 'y', '0', 'ÿ']) + (i % 7)) }
  }),
  // extreme values: decimals at 18 and 38 digits, integers at their type's edges
  big: (n, r) => {
    const fixed = [
      { i: '9223372036854775807', j: 2147483647, a: '999999999999999999', b: '9999999999999999.99', c: '9999999999999999999999999999.9999999999' },
      { i: '-9223372036854775808', j: -2147483648, a: '-999999999999999999', b: '-9999999999999999.99', c: '-9999999999999999999999999999.9999999999' },
      { i: '4611686018427387904', j: 1073741824, a: '500000000000000000', b: '5000000000000000.00', c: '5000000000000000000000000000.0000000001' },
      { i: '1', j: 1, a: '1', b: '0.01', c: '0.0000000001' },
      { i: null, j: null, a: null, b: null, c: null },
    ]
    for (let k = fixed.length; k < n; k++) {
      const d = Math.floor(r() * 1e9)
      fixed.push({ i: String(d * 1000 + k), j: d % 100000, a: String(d), b: `${d}.${pad(k % 100)}`, c: `${d}${d}.${pad(k, 10)}` })
    }
    return fixed.slice(0, n).map(o => ({ ...o, i: o.i === null ? null : BigInt(o.i) }))
  },
  // no rows: the columns are the record's own
  empty: () => [],
}

// floe's --schema types to DuckDB's
function duckType(t) {
  const u = t.toUpperCase().replace(/\s+NOT\s+NULL$/, '').trim()
  if (/^(STRING|TEXT|VARCHAR)/.test(u)) return 'VARCHAR'
  if (/^(INT|INTEGER|INT4)$/.test(u)) return 'INTEGER'
  if (/^(BIGINT|INT8)$/.test(u)) return 'BIGINT'
  if (/^(DOUBLE|FLOAT8|DOUBLE PRECISION)$/.test(u)) return 'DOUBLE'
  if (/^(FLOAT|REAL|FLOAT4)$/.test(u)) return 'FLOAT'
  if (/^(BOOL|BOOLEAN)$/.test(u)) return 'BOOLEAN'
  return u // DECIMAL(p,s), DATE, TIMESTAMP, JSON
}

function parseSlt(file) {
  const lines = readFileSync(file, 'utf8').split('\n')
  const recs = []
  let i = 0
  const bad = msg => { throw new Error(`${file}:${i + 1}: ${msg}`) }
  while (i < lines.length) {
    const line = lines[i]
    if (line.trim() === '' || line.startsWith('#')) { i++; continue }
    const at = i + 1
    const body = []
    const head = line.trim().split(/\s+/)
    i++
    while (i < lines.length && lines[i].trim() !== '') body.push(lines[i++])
    if (head[0] === 'table') {
      if (head.length < 3 || !GENERATORS[head[2]] || body.length !== 1) bad('expected "table NAME GENERATOR [ROWS [SEED [OPTION=VALUE ...]]]" and one line of columns')
      const opts = { files: 1, partition: null, batch: null }
      for (const o of head.slice(5)) {
        const m = o.match(/^(files|partition|batch)=(.+)$/)
        if (!m) bad(`unknown table option '${o}' (files=N, partition=SPEC, batch=N)`)
        opts[m[1]] = m[1] === 'partition' ? m[2] : Number(m[2])
      }
      recs.push({ kind: 'table', at, name: head[1], gen: head[2], rows: Number(head[3] || 0), seed: Number(head[4] || 1), schema: body[0].trim(), ...opts })
    } else if (head[0] === 'query') {
      let mode = 'auto', known = null, overflow = false, refused = false, digits = 0
      for (let k = 1; k < head.length; k++) {
        if (head[k] === 'rowsort' || head[k] === 'ordered') mode = head[k]
        else if (head[k] === 'overflow') overflow = true
        else if (head[k] === 'refused') refused = true
        else if (/^digits=\d+$/.test(head[k])) digits = Number(head[k].slice(7))
        else if (head[k].startsWith('known_failure')) { known = head.slice(k).join(' ').replace(/^known_failure:?\s*/, '') || 'known failure'; break }
        else bad(`unknown query option '${head[k]}'`)
      }
      if (!body.length) bad('a query record without SQL')
      recs.push({ kind: 'query', at, mode, known, overflow, refused, digits, sql: body.join('\n').replace(/;\s*$/, '') })
    } else if (head[0] === 'alter') {
      const m = body.length === 1 && body[0].trim().match(/^(add-column|rename-column|widen-column)\s+(\S+)\s+(.+)$/)
      if (head.length !== 2 || !m) bad('expected "alter TABLE" and one line: add-column NAME TYPE | rename-column OLD NEW | widen-column NAME TYPE')
      recs.push({ kind: 'alter', at, name: head[1], op: m[1], col: m[2], arg: m[3].trim() })
    } else if (head[0] === 'floe') {
      if (head.length !== 1 || body.length !== 1) bad('expected "floe" and one line: the command and its arguments (no quotes)')
      recs.push({ kind: 'floe', at, argv: body[0].trim().split(/\s+/) })
    } else if (head[0] === 'delete') {
      if (head.length !== 2 || body.length !== 1) bad('expected "delete TABLE" and one line: the condition')
      recs.push({ kind: 'delete', at, name: head[1], where: body[0].trim() })
    } else if (head[0] === 'memory') {
      if (head.length !== 2 || !/^\d+$/.test(head[1]) || body.length) bad('expected "memory BYTES" alone')
      recs.push({ kind: 'memory', at, bytes: head[1] })
    } else if (head[0] === 'error') {
      const sep = body.indexOf('----')
      if (sep < 1 || sep !== body.length - 2) bad('expected "error", the SQL, "----" and one line of floe\'s message')
      recs.push({ kind: 'error', at, sql: body.slice(0, sep).join('\n').replace(/;\s*$/, ''), expect: body[sep + 1] })
    } else bad(`unknown record '${head[0]}'`)
  }
  return recs
}

// Runs the queries in one floe sql shell: "Q;\nSELECT 1 AS "__slt_mark_N";\n" each, and splits
// the CSV at the markers. A query with stderr output in the batch is run again on its own
// (its exact error); returns [{rows} | {error}] per query.
function floeBatch(env, queries, opts) {
  const mark = k => `__slt_mark_${k}`
  const input = queries.map((q, k) => `${q};\nSELECT 1 AS "${mark(k)}";\n`).join('')
  const p = spawnSync(args.floe, ['sql', '--format', 'csv', ...opts], { input, env, encoding: 'utf8', maxBuffer: 1 << 30 })
  const rows = parseCsv(p.stdout || '')
  const out = []
  let cur = []
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j]
    if (r.length === 1 && r[0] === mark(out.length) && rows[j + 1] && rows[j + 1][0] === '1') {
      out.push(cur)
      cur = []
      j++
    } else cur.push(r)
  }
  const res = queries.map((q, k) => (k < out.length && out[k].length ? { rows: out[k].slice(1) } : null))
  if (p.status !== 0 || p.stderr) { // some query failed: ask floe about each unanswered one alone
    return queries.map((q, k) => (res[k] && !p.stderr ? res[k] : floeOne(env, q, opts)))
  }
  return res.map((r, k) => r || { error: `no output for the query (batch cut at query ${out.length})` })
}

function floeOne(env, q, opts = []) {
  const p = spawnSync(args.floe, ['sql', '--format', 'csv', ...opts, q], { env, encoding: 'utf8', maxBuffer: 1 << 30 })
  if (p.status !== 0) return { error: String(p.stderr || p.error || `exit ${p.status}`).trim() }
  return { rows: parseCsv(p.stdout).slice(1) }
}

// Where two results part: the first differing row of an ordered result, or the rows
// only one side has (with their counts) of a multiset.
function difference(a, b, ordered) {
  if (ordered) {
    let i = 0
    while (i < a.length && i < b.length && a[i] === b[i]) i++
    return `  first difference at row ${i + 1} of ${a.length} (floe) and ${b.length} (DuckDB):\n    floe:   ${a[i] ?? '(none)'}\n    DuckDB: ${b[i] ?? '(none)'}`
  }
  const n = new Map()
  for (const r of a) n.set(r, (n.get(r) || 0) + 1)
  for (const r of b) n.set(r, (n.get(r) || 0) - 1)
  const more = sign => [...n].filter(([, c]) => c * sign > 0).map(([r, c]) => `${r} x${c * sign}`)
  return `  rows floe has more of: ${more(1).slice(0, 10).join(' ') || '(none)'}\n  rows DuckDB has more of: ${more(-1).slice(0, 10).join(' ') || '(none)'}`
}

const show = rows => (rows.length > 25 ? rows.slice(0, 25).join('\n      ') + `\n      ... ${rows.length - 25} more` : rows.join('\n      ')) || '(no rows)'

async function runFile(file, stats) {
  const name = basename(file, '.slt')
  const recs = parseSlt(file)
  const dir = join(args.work, name)
  const data = join(dir, 'data')
  mkdirSync(data, { recursive: true })
  const env = { ...process.env, FLOE_DATA: data }
  const inst = await DuckDBInstance.create(':memory:')
  const duck = await inst.connect()
  for (const t of recs.filter(x => x.kind === 'table')) {
    const rows = GENERATORS[t.gen](t.rows, rng(t.seed))
    const cols = t.schema.split(/,(?![^(]*\))/).map(c => c.trim().match(/^(\S+)\s+(.+)$/)).map(m => [m[1], m[2]])
    const names = cols.map(c => c[0])
    if (rows.length && JSON.stringify(Object.keys(rows[0])) !== JSON.stringify(names))
      throw new Error(`${file}:${t.at}: generator ${t.gen} writes columns ${Object.keys(rows[0]).join(', ')}, not ${names.join(', ')}`)
    const nd = join(dir, `${t.name}.ndjson`)
    const line = o => JSON.stringify(o, (k, v) => (typeof v === 'bigint' ? `__bigint:${v}` : v)).replace(/"__bigint:(-?\d+)"/g, '$1')
    writeFileSync(nd, rows.map(line).join('\n') + (rows.length ? '\n' : ''))
    // files=N: N loads (N commits, N files at least) of consecutive slices of the rows
    const per = Math.ceil(rows.length / t.files) || 0
    for (let f = 0; f < t.files; f++) {
      const part = t.files === 1 ? nd : join(dir, `${t.name}.${f}.ndjson`)
      if (t.files > 1) writeFileSync(part, rows.slice(f * per, (f + 1) * per).map(line).join('\n') + '\n')
      const extra = [...(t.partition ? ['--partition', t.partition] : []), ...(t.batch ? ['--batch-rows', String(t.batch)] : [])]
      execFileSync(args.floe, ['load', `db.${t.name}`, part, '--schema', t.schema, ...extra], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    }
    const dcols = cols.map(([c, ty]) => `'${c}': '${duckType(ty)}'`).join(', ')
    if (rows.length) await duck.run(`CREATE TABLE ${t.name} AS SELECT * FROM read_json('${nd}', format = 'newline_delimited', columns = {${dcols}})`)
    else await duck.run(`CREATE TABLE ${t.name} (${cols.map(([c, ty]) => `"${c}" ${duckType(ty)}`).join(', ')})`)
  }
  // in file order: delete TABLE + a condition (floe delete: position deletes; DuckDB's
  // DELETE), alter TABLE + a change (floe alter: metadata only; DuckDB's ALTER TABLE)
  // and floe + a command that must keep the rows (compact, expire): floe alone
  for (const x of recs.filter(r => r.kind === 'delete' || r.kind === 'alter' || r.kind === 'floe')) {
    if (x.kind === 'floe') {
      execFileSync(args.floe, x.argv, { env, stdio: ['ignore', 'ignore', 'pipe'] })
      continue
    }
    if (x.kind === 'delete') {
      execFileSync(args.floe, ['delete', `db.${x.name}`, '--where', x.where], { env, stdio: ['ignore', 'ignore', 'pipe'] })
      await duck.run(`DELETE FROM ${x.name} WHERE ${x.where}`)
      continue
    }
    execFileSync(args.floe, ['alter', `db.${x.name}`, x.op, x.col, x.arg], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    await duck.run(
      x.op === 'add-column' ? `ALTER TABLE ${x.name} ADD COLUMN ${x.col} ${duckType(x.arg)}`
        : x.op === 'rename-column' ? `ALTER TABLE ${x.name} RENAME COLUMN ${x.col} TO ${x.arg}`
          : `ALTER TABLE ${x.name} ALTER COLUMN ${x.col} TYPE ${duckType(x.arg)}`)
  }
  const queries = recs.filter(x => x.kind === 'query')
  const mem = recs.find(x => x.kind === 'memory')
  const opts = mem ? ['--memory', mem.bytes] : [] // memory BYTES: floe sql --memory for the whole file
  const got = floeBatch(env, queries.map(q => q.sql), opts)
  for (let k = 0; k < queries.length; k++) {
    const q = queries[k], where = `${file}:${q.at}`
    const f = got[k]
    let d
    try { d = { rows: await duckRows(duck, q.sql) } } catch (e) { d = { error: e.message } }
    const ordered = q.mode === 'ordered' || (q.mode === 'auto' && topLevelOrderBy(q.sql))
    let ok = false, a = [], b = []
    if (f.rows) a = f.rows.map(r => JSON.stringify(r))
    if (d.rows) b = d.rows.map(r => JSON.stringify(r))
    if (q.refused) ok = !!(f.error && d.error) // both engines must refuse it (a bad cast, say)
    else if (f.rows && d.rows) ({ ok, a, b } = same(floeDoubles(f.rows, d.rows, q.digits), duckDoubles(d.rows, q.digits), ordered))
    // overflow: floe may refuse with an overflow (out of range) error where DuckDB answers or
    // refuses, never give other rows
    else if (q.overflow && f.error && /overflow|out of range/i.test(f.error)) ok = true
    let detail = `    ${q.sql.replace(/\n/g, '\n    ')}\n  floe:   ${f.error ? 'ERROR ' + f.error : show(a)}\n  DuckDB: ${d.error ? 'ERROR ' + d.error : show(b)}`
    if (!ok && f.rows && d.rows) detail += '\n' + difference(a, b, ordered)
    if (q.known) {
      stats.known.push(where)
      if (ok) { stats.wrong++; console.log(`FAIL ${where}: a known failure (${q.known}) now agrees: remove its marker\n${detail}`) }
      else console.log(`KNOWN ${where}: ${q.known}\n${detail}`)
      continue
    }
    stats.compared++
    if (ok) stats.agree++
    else { stats.differ++; console.log(`FAIL ${where}${ordered ? ' (ordered)' : ''}\n${detail}`) }
  }
  for (const e of recs.filter(x => x.kind === 'error')) {
    const f = floeOne(env, e.sql, opts)
    stats.errors++
    if (f.error && f.error.includes(e.expect)) continue
    stats.wrong++
    console.log(`FAIL ${file}:${e.at}: floe should refuse with '${e.expect}'\n    ${e.sql}\n  floe: ${f.error ? 'ERROR ' + f.error : show(f.rows.map(r => JSON.stringify(r)))}`)
  }
  duck.closeSync?.()
  inst.closeSync?.()
}

let files = args.files.slice()
if (args.corpus) {
  const c = args.corpus
  if (statSync(c).isDirectory()) files.push(...readdirSync(c).filter(f => f.endsWith('.slt')).sort().map(f => join(c, f)))
  else files.push(c)
}
if (!files.length || !args.floe || !args.work) {
  console.error('usage: sql_vs_duckdb.mjs --floe BIN --work DIR --corpus DIR|FILE.slt [FILE.slt ...]')
  process.exit(2)
}
const stats = { compared: 0, agree: 0, differ: 0, known: [], errors: 0, wrong: 0 }
for (const f of files) await runFile(f, stats)
if (stats.known.length) console.log(`known failures (${stats.known.length}): ${stats.known.join(' ')}`)
console.log(`corpus: ${stats.compared} queries compared, ${stats.agree} agree, ${stats.differ} differ, ${stats.known.length} known failures; ${stats.errors} errors checked, ${stats.wrong} wrong`)
process.exit(stats.differ || stats.wrong ? 1 : 0)
