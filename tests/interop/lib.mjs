// lib.mjs: shared pieces of floe's interop checks (tests/interop/README.md).
//
// floe writes Iceberg tables; these helpers read them back through engines floe did
// not write (DuckDB, hyparquet, icebird) and through `floe cat`, normalise every
// value to one canonical text per Iceberg type, and compare. Nothing here trusts
// floe's own reader: the only floe output used is `floe cat` (the thing under test).
//
// Canonical values (so that readers that disagree only on representation agree):
//   boolean "true"/"false" · int/long decimal digits (BigInt, no precision loss)
//   float: Math.fround, then shortest text ("-0" kept) · double: shortest text
//   decimal(p,s): exact text with s fraction digits ("-12.30")
//   date "YYYY-MM-DD" · timestamp: epoch microseconds as digits (or milliseconds
//   when a reader only has Date precision: icebird's bundled hyparquet 1.19)
//   string as is; JSON columns (stored as Iceberg string) as exact text, or parsed
//   and re-serialised on both sides against a reader that parses JSON itself.
//   null and undefined (icebird's missing column) -> null.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// ------------------------------------------------------------------ fetch shim

// icebird (and hyparquet's asyncBufferFromUrl) read through fetch(); Node's fetch has
// no file:// support. This shim answers file:// GET/HEAD, with Range, from disk.
// Paths are resolved as uriToPath does (raw first, as Java reads Iceberg paths).
let shimInstalled = false
export function installFileFetch() {
  if (shimInstalled) return
  shimInstalled = true
  const realFetch = globalThis.fetch
  globalThis.fetch = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : (input.url ?? String(input))
    if (!url.startsWith('file://')) return realFetch(input, init)
    const path = uriToPath(url)
    if (!existsSync(path)) return new Response(`no such file ${path}`, { status: 404 })
    const method = (init.method || 'GET').toUpperCase()
    const size = statSync(path).size
    if (method === 'HEAD') {
      return new Response(null, { status: 200, headers: { 'Content-Length': String(size) } })
    }
    const buf = await readFile(path)
    const range = new Headers(init.headers || {}).get('Range')
    if (range) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range)
      if (!m) return new Response('bad range', { status: 416 })
      const start = Number(m[1])
      const end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1)
      return new Response(buf.subarray(start, end), { status: 206 })
    }
    return new Response(buf, { status: 200, headers: { 'Content-Length': String(size) } })
  }
}

// ------------------------------------------------------------------ table files

export function tableDir(dataDir, ident) {
  const [ns, name] = ident.split('.')
  return join(dataDir, 'warehouse', ns, name)
}

// The current metadata as readers that open a table by path find it:
// metadata/version-hint.text -> metadata/v<N>.metadata.json.
export function readCurrentMetadata(tdir) {
  const hintPath = join(tdir, 'metadata', 'version-hint.text')
  if (!existsSync(hintPath)) throw new Error(`${hintPath}: missing (icebird and DuckDB open tables through it)`)
  const n = readFileSync(hintPath, 'utf8').trim()
  if (!/^\d+$/.test(n)) throw new Error(`${hintPath}: content ${JSON.stringify(n)} is not a version number`)
  const mpath = join(tdir, 'metadata', `v${n}.metadata.json`)
  if (!existsSync(mpath)) throw new Error(`${mpath}: missing (named by version-hint.text)`)
  return { path: mpath, version: Number(n), json: JSON.parse(readFileSync(mpath, 'utf8')) }
}

export function currentSchema(meta) {
  const s = meta.schemas.find(x => x['schema-id'] === meta['current-schema-id'])
  if (!s) throw new Error(`current-schema-id ${meta['current-schema-id']} not in schemas`)
  return s
}

// Every *.parquet under dir, recursively, sorted.
export function listParquet(dir) {
  const out = []
  if (!existsSync(dir)) return out
  const walk = d => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.parquet')) out.push(p)
    }
  }
  walk(dir)
  return out.sort()
}

// Iceberg file_path strings are not percent-decoded by Java (Hadoop Path quotes '%'):
// a partition directory t=a%20b on disk is file:///.../t=a%20b in the manifest. Try
// that reading first, then the URI-decoded one.
export function uriToPath(uri) {
  if (!uri.startsWith('file://')) throw new Error(`${uri}: not a file:// URI`)
  const raw = uri.slice('file://'.length)
  if (existsSync(raw)) return raw
  try {
    const p = fileURLToPath(uri)
    if (existsSync(p)) return p
  } catch { /* fall through */ }
  return raw
}

// ------------------------------------------------------------------ floe cat

// Quotes integer literals of 16+ digits outside strings, so JSON.parse keeps
// BIGINT values above 2^53 exactly (as text; normalisation makes them BigInt).
export function quoteBigInts(line) {
  let out = ''
  let i = 0
  const n = line.length
  while (i < n) {
    const ch = line[i]
    if (ch === '"') {
      let j = i + 1
      while (j < n && line[j] !== '"') j += line[j] === '\\' ? 2 : 1
      out += line.slice(i, j + 1)
      i = j + 1
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      let j = i + 1
      while (j < n && /[0-9.eE+-]/.test(line[j])) j++
      const tok = line.slice(i, j)
      // integers over 2^53, and decimals of 18+ digits (floe prints doubles with at most 17)
      const digits = tok.replace(/[^0-9]/g, '').length
      out += /^-?\d{16,}$/.test(tok) || (/^-?\d+\.\d+$/.test(tok) && digits >= 18) ? `"${tok}"` : tok
      i = j
    } else {
      out += ch
      i++
    }
  }
  return out
}

// floe cat prints a JSON column as the JSON value it holds; the readers under test
// return the stored text. jsonAsText turns the value of each of jsonCols (by the raw
// text of the line, so 1.50 stays 1.50) back into a string of that text; JSON null
// stays null.
export function jsonAsText(line, jsonCols) {
  if (!jsonCols || jsonCols.length === 0) return line
  const cols = new Set(jsonCols)
  let i = 1, out = '{'
  const n = line.length
  const skipString = j => { j++; while (j < n && line[j] !== '"') j += line[j] === '\\' ? 2 : 1; return j + 1 }
  while (i < n && line[i] !== '}') {
    if (line[i] === ',') { out += ','; i++ }
    const keyEnd = skipString(i)
    const key = JSON.parse(line.slice(i, keyEnd))
    out += line.slice(i, keyEnd + 1) // the key and its ':'
    let j = keyEnd + 1, depth = 0
    while (j < n) {
      const ch = line[j]
      if (ch === '"') { j = skipString(j); continue }
      if (ch === '{' || ch === '[') depth++
      else if (ch === '}' || ch === ']') { if (depth === 0) break; depth-- }
      else if (ch === ',' && depth === 0) break
      j++
    }
    const raw = line.slice(keyEnd + 1, j)
    out += cols.has(key) && raw !== 'null' ? JSON.stringify(raw) : raw
    i = j
  }
  return out + '}'
}

export function floeCat(floe, dataDir, ident, extra = [], jsonCols = []) {
  const text = execFileSync(floe, ['--data', dataDir, 'cat', ident, ...extra], { encoding: 'utf8', maxBuffer: 1 << 30 })
  const rows = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    rows.push(JSON.parse(quoteBigInts(jsonAsText(line, jsonCols))))
  }
  return rows
}

// ------------------------------------------------------------------ normalisation

const pad = (n, w = 2) => String(n).padStart(w, '0')

function dateFromDays(days) {
  const d = new Date(Number(days) * 86400000)
  const y = d.getUTCFullYear()
  const ys = y < 0 ? '-' + pad(-y, 4) : pad(y, 4)
  return `${ys}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

// ISO 8601 / RFC 3339 text -> epoch microseconds (BigInt), exactly.
export function isoToMicros(s) {
  const m = /^(-?\d{4,})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?\s*(Z|[+-]\d\d:?\d\d)?$/.exec(s)
  if (!m) throw new Error(`not a timestamp: ${JSON.stringify(s)}`)
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', tz] = m
  const dt = new Date(0)
  dt.setUTCFullYear(Number(y), Number(mo) - 1, Number(d))
  dt.setUTCHours(Number(h), Number(mi), Number(sec), 0)
  let micros = BigInt(dt.getTime()) * 1000n + BigInt((frac + '000000').slice(0, 6))
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1n : 1n
    const hh = BigInt(tz.slice(1, 3))
    const mm = BigInt(tz.slice(-2))
    micros -= sign * (hh * 3600n + mm * 60n) * 1000000n
  }
  return micros
}

function numText(x) {
  return Object.is(x, -0) ? '-0' : String(x)
}

// Exact decimal text with `scale` fraction digits, from a string, number or bigint.
function decimalText(v, scale) {
  if (typeof v === 'number') return v.toFixed(scale)
  let s = String(v).trim()
  let neg = false
  if (s.startsWith('-')) { neg = true; s = s.slice(1) } else if (s.startsWith('+')) s = s.slice(1)
  if (/e/i.test(s)) return (neg ? -1 : 1) * Number(s) === 0 ? (0).toFixed(scale) : ((neg ? -1 : 1) * Number(s)).toFixed(scale)
  let [ip, fp = ''] = s.split('.')
  ip = ip.replace(/^0+(?=\d)/, '') || '0'
  if (fp.length > scale) {
    if (/[^0]/.test(fp.slice(scale))) return `<inexact ${v}>`
    fp = fp.slice(0, scale)
  }
  fp = fp.padEnd(scale, '0')
  const body = scale > 0 ? `${ip}.${fp}` : ip
  const zero = /^[0.]*$/.test(body)
  return (neg && !zero ? '-' : '') + body
}

// Parses an Iceberg type string.
export function parseType(t) {
  if (typeof t !== 'string') return { kind: 'nested' }
  const m = /^decimal\((\d+),\s*(\d+)\)$/.exec(t)
  if (m) return { kind: 'decimal', precision: Number(m[1]), scale: Number(m[2]) }
  const f = /^fixed\[(\d+)\]$/.exec(t)
  if (f) return { kind: 'fixed', length: Number(f[1]) }
  return { kind: t }
}

// opts.tsMs: compare timestamps at millisecond precision (readers returning Date).
// opts.json: this string column holds JSON text.
const hexOf = b => Array.from(b, x => x.toString(16).padStart(2, '0')).join('')

export function normValue(v, type, opts = {}) {
  if (v === null || v === undefined) return null
  switch (type.kind) {
    case 'time': { // micros since midnight, from "HH:MM:SS[.f]" text or a number
      const t = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(String(v))
      if (!t) return /^\d+$/.test(String(v)) ? BigInt(v).toString() : `<bad time ${v}>`
      return ((BigInt(t[1]) * 3600n + BigInt(t[2]) * 60n + BigInt(t[3])) * 1000000n + BigInt((t[4] || '').padEnd(6, '0'))).toString()
    }
    case 'uuid': return v instanceof Uint8Array ? hexOf(v).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-') : String(v).toLowerCase()
    case 'binary':
    case 'fixed': // lowercase hex: floe prints "\x0aff", DuckDB's hex() gives "0AFF"
      if (v instanceof Uint8Array) return hexOf(v)
      return String(v).replace(/^\\x/, '').toLowerCase()
    case 'boolean':
      if (typeof v === 'boolean') return String(v)
      if (v === 1 || v === 0) return String(v === 1)
      return `<bad boolean ${v}>`
    case 'int':
    case 'long':
      try { return BigInt(typeof v === 'number' && !Number.isInteger(v) ? NaN : v).toString() } catch { return `<bad int ${v}>` }
    case 'float': return numText(Math.fround(Number(v)))
    case 'double': return numText(Number(v))
    case 'decimal':
      // readers that decode decimals to JS numbers (hyparquet, icebird) are compared at
      // opts.decDigits significant digits when the precision is beyond a double's 15
      if (opts.decDigits && type.precision > 15) {
        const x = typeof v === 'number' ? v : Number(decimalText(v, type.scale))
        return `~${x.toPrecision(opts.decDigits)}`
      }
      return decimalText(v, type.scale)
    case 'date':
      if (v instanceof Date) return v.toISOString().slice(0, 10)
      if (typeof v === 'number' || typeof v === 'bigint') return dateFromDays(v)
      return String(v).slice(0, 10)
    case 'timestamp':
    case 'timestamptz': {
      let us
      if (v instanceof Date) us = BigInt(v.getTime()) * 1000n
      else if (typeof v === 'bigint') us = v
      else if (typeof v === 'number' || /^-?\d+$/.test(String(v))) us = BigInt(v)
      else us = isoToMicros(String(v))
      // tsMs truncates toward zero as hyparquet 1.19 does (micros / 1000n), so a
      // pre-1970 value with a sub-millisecond fraction compares equal.
      return opts.tsMs ? (us / 1000n).toString() + 'ms' : us.toString()
    }
    case 'string':
      if (opts.json) {
        // JSON columns compare as exact text (floe stores compact text; readers
        // return those bytes), except against a reader that parsed the text
        // (hyparquet 1.19 does for converted_type JSON): then both sides are
        // canonicalised, jsonMode 'parsed' for that reader and 'canon' for the other.
        if (opts.jsonMode === 'parsed' || typeof v !== 'string') return JSON.stringify(v)
        if (opts.jsonMode === 'canon') {
          try { return JSON.stringify(JSON.parse(v)) } catch { return v }
        }
        return v
      }
      if (typeof v !== 'string') return `<not a string ${JSON.stringify(v)}>`
      return v
    case 'nested': // struct/list/map: JSON text, canonicalised (floe cat's, DuckDB's to_json)
      try { return JSON.stringify(JSON.parse(typeof v === 'string' ? v : JSON.stringify(v))) } catch { return `<bad json ${v}>` }
    default:
      return JSON.stringify(v)
  }
}

// fields: [{id, name, type}] of the current schema; rows: objects keyed by name.
// Normalised rows with their decimals wider than 15 digits taken to `digits`
// significant digits (as normValue's opts.decDigits): to compare exact rows with a
// reader that decodes decimals to JS numbers.
export function approxDecimals(rows, fields, digits) {
  const wide = fields.filter(f => { const t = parseType(f.type); return t.kind === 'decimal' && t.precision > 15 })
  if (!wide.length) return rows
  return rows.map(r => {
    const o = { ...r }
    for (const f of wide) if (o[f.name] !== null) o[f.name] = `~${Number(o[f.name]).toPrecision(digits)}`
    return o
  })
}

export function normRows(rows, fields, opts = {}) {
  const types = fields.map(f => parseType(f.type))
  const json = new Set(opts.jsonCols || [])
  return rows.map(r => {
    const o = {}
    fields.forEach((f, i) => {
      o[f.name] = normValue(r[f.name], types[i], { tsMs: opts.tsMs, json: json.has(f.name), jsonMode: opts.jsonMode, decDigits: opts.decDigits })
    })
    return o
  })
}

// ------------------------------------------------------------------ comparison

const MAX_SHOWN = 8

// Compares two row lists in order (same file read by two readers). Returns an array
// of human-readable differences (empty = identical).
export function diffOrdered(aName, a, bName, b, cols) {
  const diffs = []
  if (a.length !== b.length) diffs.push(`row count: ${aName} ${a.length}, ${bName} ${b.length}`)
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n && diffs.length < MAX_SHOWN; i++) {
    for (const c of cols) {
      if (a[i][c] !== b[i][c]) {
        diffs.push(`row ${i} column ${c}: ${aName} ${JSON.stringify(a[i][c])} != ${bName} ${JSON.stringify(b[i][c])}`)
        if (diffs.length >= MAX_SHOWN) break
      }
    }
  }
  return diffs
}

// Compares two row lists as multisets (whole tables: readers may order files
// differently). Rows are keyed by their canonical JSON over cols.
export function diffMultiset(aName, a, bName, b, cols) {
  const key = r => JSON.stringify(cols.map(c => r[c]))
  const count = new Map()
  for (const r of a) { const k = key(r); count.set(k, (count.get(k) || 0) + 1) }
  for (const r of b) { const k = key(r); count.set(k, (count.get(k) || 0) - 1) }
  const diffs = []
  if (a.length !== b.length) diffs.push(`row count: ${aName} ${a.length}, ${bName} ${b.length}`)
  const onlyA = []
  const onlyB = []
  for (const [k, c] of count) {
    if (c > 0) onlyA.push(`${c}x ${k}`)
    else if (c < 0) onlyB.push(`${-c}x ${k}`)
  }
  if (onlyA.length) diffs.push(`${onlyA.length} distinct rows only in ${aName} (columns ${cols.join(',')}):\n    ` + onlyA.slice(0, MAX_SHOWN).join('\n    '))
  if (onlyB.length) diffs.push(`${onlyB.length} distinct rows only in ${bName}:\n    ` + onlyB.slice(0, MAX_SHOWN).join('\n    '))
  return diffs
}

// ------------------------------------------------------------------ DuckDB

let duckInstance = null
export async function duck() {
  if (!duckInstance) {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    const inst = await DuckDBInstance.create(':memory:', { threads: '1' })
    duckInstance = await inst.connect()
  }
  return duckInstance
}

export async function duckAll(sql) {
  const c = await duck()
  const r = await c.runAndReadAll(sql)
  return r.getRowObjectsJS()
}

export const sqlStr = s => `'${String(s).replace(/'/g, "''")}'`

export function duckType(t) {
  const p = parseType(t)
  switch (p.kind) {
    case 'boolean': return 'BOOLEAN'
    case 'int': return 'INTEGER'
    case 'long': return 'BIGINT'
    case 'float': return 'FLOAT'
    case 'double': return 'DOUBLE'
    case 'decimal': return `DECIMAL(${p.precision},${p.scale})`
    case 'date': return 'DATE'
    case 'timestamp': return 'TIMESTAMP'
    case 'timestamptz': return 'TIMESTAMPTZ'
    case 'string': return 'VARCHAR'
    case 'time': return 'TIME'
    case 'uuid': return 'UUID'
    case 'binary':
    case 'fixed': return 'BLOB'
    default: throw new Error(`no DuckDB type for ${JSON.stringify(t)}`)
  }
}

// A select-list that makes DuckDB hand every value over in canonical-friendly form:
// exact text for long/decimal, epoch micros for timestamps, ISO text for dates.
export function duckSelectList(fields, quoteName = n => `"${n.replace(/"/g, '""')}"`) {
  return fields.map(f => {
    const q = quoteName(f.name)
    const k = parseType(f.type).kind
    if (k === 'long' || k === 'int' || k === 'decimal') return `CAST(${q} AS VARCHAR) AS ${q}`
    if (k === 'timestamp' || k === 'timestamptz') return `CAST(epoch_us(${q}) AS VARCHAR) AS ${q}`
    if (k === 'date') return `CAST(${q} AS VARCHAR) AS ${q}`
    if (k === 'time') return `CAST(EXTRACT(microseconds FROM ${q}) + 60000000::BIGINT * (EXTRACT(minute FROM ${q}) + 60 * EXTRACT(hour FROM ${q})) AS VARCHAR) AS ${q}`
    if (k === 'uuid') return `CAST(${q} AS VARCHAR) AS ${q}`
    if (k === 'binary' || k === 'fixed') return `lower(hex(${q})) AS ${q}`
    if (k === 'nested') return `to_json(${q})::VARCHAR AS ${q}`
    return q
  }).join(', ')
}

// ------------------------------------------------------------------ hyparquet

export async function hyparquetRead(path) {
  const { parquetReadObjects, asyncBufferFromFile, parquetMetadataAsync } = await import('hyparquet')
  const { compressors } = await import('hyparquet-compressors')
  const file = await asyncBufferFromFile(path)
  const metadata = await parquetMetadataAsync(file)
  const parsers = {
    timestampFromMicroseconds: us => BigInt(us),
    timestampFromMilliseconds: ms => BigInt(ms) * 1000n,
    timestampFromNanoseconds: ns => BigInt(ns) / 1000n,
    dateFromDays: d => dateFromDays(d),
    stringFromBytes: b => b && new TextDecoder().decode(b),
    jsonFromBytes: b => b && new TextDecoder().decode(b),
  }
  const rows = await parquetReadObjects({ file, metadata, compressors, parsers })
  return { rows, metadata }
}

// ------------------------------------------------------------------ icebird

export async function icebirdRead(tdir, metadataFileName) {
  installFileFetch()
  const { icebergRead } = await import('icebird')
  return icebergRead({ tableUrl: pathToFileURL(tdir).href, metadataFileName })
}

export async function icebirdManifestEntries(meta) {
  installFileFetch()
  const { icebergManifests } = await import('icebird')
  const manifests = await icebergManifests(meta)
  const entries = []
  for (const m of manifests) for (const e of m.entries) entries.push({ manifest: m.url, ...e })
  return entries
}

// ------------------------------------------------------------------ reporting

export class Report {
  constructor(title) { this.title = title; this.failures = []; this.passes = 0 }
  check(what, diffs) {
    if (typeof diffs === 'boolean') diffs = diffs ? [] : ['failed']
    if (typeof diffs === 'string') diffs = [diffs]
    if (diffs.length) {
      this.failures.push(what)
      console.log(`FAIL ${what}`)
      for (const d of diffs) console.log(`  ${d}`)
    } else {
      this.passes++
      if (process.env.INTEROP_VERBOSE) console.log(`ok   ${what}`)
    }
  }
  finish() {
    console.log(`${this.title}: ${this.passes} checks passed, ${this.failures.length} failed`)
    process.exitCode = this.failures.length ? 1 : 0
  }
}
