// check_foreign.mjs: `floe cat` of a table written outside floe, against a reader that
// shares nothing with floe: manifest lists and manifests read by icebird's Avro
// decoder, data and delete files by DuckDB (read_parquet, columns by field id), deletion
// vectors decoded here (Roaring portable format), and the spec's rules applied here:
//   position delete (Parquet or a deletion vector): same data file, data seq <= delete seq
//   equality delete: data seq < delete seq, and the delete's spec unpartitioned or the
//   same spec and partition values; NULL equals NULL; columns by field id.
// Every snapshot of the table, compared value by value as multisets (exit 1 on a diff):
//
//   node check_foreign.mjs --floe FLOE --data DIR --table ns.t [--rows N] [--where SQL --keep JSFN]
//                          [--dir TABLE_DIR --metadata metadata/vN.metadata.json]
//
// --rows: the current snapshot's expected row count (a check of this checker).
// --dir/--metadata: a table copied from elsewhere and registered (`floe register`): URIs
// under its metadata's location are read under TABLE_DIR.
// --where/--keep: also `floe cat --where SQL` on the current snapshot against the rows
// the JS predicate keeps (e.g. --where "region = 'b' AND id < 10" --keep "r => r.region === 'b' && r.id < 10").
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  Report, diffMultiset, duckAll, floeCat, installFileFetch, quoteBigInts, readCurrentMetadata, sqlStr, tableDir,
  uriToPath,
} from '../lib.mjs'

const args = {}
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1]

// --dir DIR --metadata FILE: a table copied from elsewhere (its URIs start with the
// metadata's location, which is read under DIR), as `floe register` reads it.
let location = null
function localPath(uri) {
  if (args.dir && location && String(uri).startsWith(location)) return join(args.dir, String(uri).slice(location.length))
  return uriToPath(uri)
}

async function avro(url) {
  const { avroMetadata, avroRead } = await import('icebird')
  const b = readFileSync(localPath(url))
  const reader = { view: new DataView(b.buffer, b.byteOffset, b.byteLength), offset: 0 }
  const { metadata, syncMarker } = await avroMetadata(reader)
  return avroRead({ reader, metadata, syncMarker })
}

const DUCK_TYPES = { long: 'BIGINT', int: 'INTEGER', string: 'VARCHAR', timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ', timestamp_ns: 'BIGINT', timestamptz_ns: 'BIGINT', boolean: 'BOOLEAN', date: 'DATE',
  double: 'DOUBLE', float: 'FLOAT' }

// Reads the given fields of a Parquet file by field id, with each row's position. Values
// come back as canonical text: integers exact, timestamps as epoch micros (nanos for the
// _ns types, read as their raw INT64 and so never rounded), strings as they are.
async function readById(path, fields) {
  const isNs = f => f.type === 'timestamp_ns' || f.type === 'timestamptz_ns'
  const duckFields = fields.filter(f => !isNs(f))
  const map = 'map{' + duckFields.map(f => `${f.id}: {name: ${sqlStr('c' + f.id)}, type: ${sqlStr(DUCK_TYPES[f.type])}, default_value: NULL}`).join(', ') + '}'
  const sel = duckFields.map(f => {
    const c = `"c${f.id}"`
    if (f.type === 'timestamp' || f.type === 'timestamptz') return `CAST(epoch_us(${c}) AS VARCHAR) AS ${c}`
    if (f.type === 'string') return c
    return `CAST(${c} AS VARCHAR) AS ${c}`
  })
  const src = duckFields.length ? `read_parquet(${sqlStr(path)}, schema=${map}, file_row_number=true)`
    : `read_parquet(${sqlStr(path)}, file_row_number=true)`
  const rows = await duckAll(`SELECT ${['file_row_number AS pos', ...sel].join(', ')} FROM ${src} ORDER BY pos`)
  // DuckDB turns TIMESTAMP(NANOS, UTC) into microsecond TIMESTAMPTZ: nanosecond columns
  // are read by hyparquet instead, raw INT64 by field id
  let ns = null
  if (fields.some(isNs)) {
    const { parquetReadObjects, asyncBufferFromFile, parquetMetadataAsync } = await import('hyparquet')
    const { compressors } = await import('hyparquet-compressors')
    const file = await asyncBufferFromFile(path)
    const metadata = await parquetMetadataAsync(file)
    const nameOf = new Map(metadata.schema.filter(e => e.field_id !== undefined).map(e => [Number(e.field_id), e.name]))
    ns = await parquetReadObjects({ file, metadata, compressors,
      parsers: { timestampFromNanoseconds: v => BigInt(v), stringFromBytes: b => b && new TextDecoder().decode(b) } })
    ns.nameOf = nameOf
  }
  return rows.map((r, i) => ({ pos: Number(r.pos), vals: fields.map(f => {
    if (!isNs(f)) return r['c' + f.id] ?? null
    const name = ns.nameOf.get(f.id)
    const v = name === undefined ? null : ns[i][name]
    return v === null || v === undefined ? null : String(v)
  }) }))
}

// The 64-bit Roaring bitmap of a deletion-vector-v1 blob -> sorted positions.
function decodeDv(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const len = dv.getUint32(0, false)
  if (dv.getUint32(4, false) !== 0xd1d33964) throw new Error('bad DV magic')
  let o = 8
  const end = 4 + len
  const nmaps = Number(dv.getBigUint64(o, true)); o += 8
  const out = []
  for (let m = 0; m < nmaps; m++) {
    const hi = dv.getUint32(o, true); o += 4
    const start = o
    const cookie = dv.getUint32(o, true); o += 4
    let n, runFlags = null
    if ((cookie & 0xffff) === 12347) {
      n = (cookie >>> 16) + 1
      runFlags = buf.subarray(o, o + Math.ceil(n / 8)); o += Math.ceil(n / 8)
    } else { n = dv.getUint32(o, true); o += 4 }
    const hdr = []
    for (let i = 0; i < n; i++) { hdr.push([dv.getUint16(o, true), dv.getUint16(o + 2, true) + 1]); o += 4 }
    if (!runFlags || n >= 4) o += 4 * n
    for (let i = 0; i < n; i++) {
      const base = hi * 2 ** 32 + hdr[i][0] * 65536
      if (runFlags && (runFlags[i >> 3] >> (i & 7)) & 1) {
        const nr = dv.getUint16(o, true); o += 2
        for (let r = 0; r < nr; r++) {
          const s = dv.getUint16(o, true), l = dv.getUint16(o + 2, true); o += 4
          for (let v = s; v <= s + l; v++) out.push(base + v)
        }
      } else if (hdr[i][1] <= 4096) {
        for (let k = 0; k < hdr[i][1]; k++) { out.push(base + dv.getUint16(o, true)); o += 2 }
      } else {
        for (let w = 0; w < 8192; w++) {
          const byte = buf[o + w]
          for (let b = 0; b < 8; b++) if ((byte >> b) & 1) out.push(base + w * 8 + b)
        }
        o += 8192
      }
    }
    void start
  }
  if (o !== end) throw new Error(`DV: ${end - o} bytes left`)
  return out
}

async function expectedRows(meta, snap) {
  const schema = meta.schemas.find(s => s['schema-id'] === meta['current-schema-id'])
  const specs = new Map(meta['partition-specs'].map(s => [s['spec-id'], s]))
  const list = await avro(snap['manifest-list'])
  const files = []
  for (const mf of list) {
    for (const e of await avro(mf.manifest_path)) {
      if (e.status === 2) continue
      const seq = e.sequence_number ?? mf.sequence_number
      files.push({ ...e.data_file, content: Number(e.data_file.content ?? 0), seq: Number(seq ?? 0),
        specId: mf.partition_spec_id ?? 0,
        partition: Object.values(e.data_file.partition ?? {}) })
    }
  }
  const data = files.filter(f => f.content === 0)
  const posDel = new Map() // data path -> [{pos, seq}]
  const eqDel = []
  for (const f of files.filter(f => f.content !== 0)) {
    if (f.content === 1 && f.file_format.toUpperCase() === 'PUFFIN') {
      const bytes = readFileSync(localPath(f.file_path)).subarray(Number(f.content_offset),
        Number(f.content_offset) + Number(f.content_size_in_bytes))
      for (const p of decodeDv(bytes)) {
        if (!posDel.has(f.referenced_data_file)) posDel.set(f.referenced_data_file, [])
        posDel.get(f.referenced_data_file).push({ pos: p, seq: f.seq })
      }
    } else if (f.content === 1) {
      const rows = await duckAll(`SELECT file_path, pos FROM read_parquet(${sqlStr(localPath(f.file_path))})`)
      for (const r of rows) {
        if (!posDel.has(r.file_path)) posDel.set(r.file_path, [])
        posDel.get(r.file_path).push({ pos: Number(r.pos), seq: f.seq })
      }
    } else {
      const ids = [...f.equality_ids].sort((a, b) => a - b)
      const fields = ids.map(id => meta.schemas.flatMap(s => s.fields).find(x => x.id === id))
      const keys = new Set((await readById(localPath(f.file_path), fields)).map(r => JSON.stringify(r.vals)))
      eqDel.push({ ...f, ids, keys, unpartitioned: specs.get(f.specId).fields.length === 0 })
    }
  }
  const out = []
  for (const d of data) {
    const rows = await readById(localPath(d.file_path), schema.fields)
    const dels = new Set((posDel.get(d.file_path) || []).filter(x => d.seq <= x.seq).map(x => x.pos))
    const eqs = eqDel.filter(e => d.seq < e.seq && (e.unpartitioned ||
      (e.specId === d.specId && JSON.stringify(e.partition) === JSON.stringify(d.partition))))
    for (const r of rows) {
      if (dels.has(r.pos)) continue
      if (eqs.some(e => e.keys.has(JSON.stringify(e.ids.map(id => r.vals[schema.fields.findIndex(x => x.id === id)]))))) continue
      const o = {}
      schema.fields.forEach((f, i) => { o[f.name] = r.vals[i] })
      out.push(o)
    }
  }
  return { rows: out, fields: schema.fields }
}

// floe cat's JSON -> the same canonical text.
function nsText(iso) {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(iso)
  const secs = BigInt(Date.parse(m[1] + 'Z')) / 1000n
  return (secs * 1000000000n + BigInt((m[2] || '').padEnd(9, '0'))).toString()
}
// Floats and doubles as the shortest text of their value ("4.0" and "4" alike).
function canonNum(rows, fields) {
  const fl = fields.filter(f => f.type === 'float' || f.type === 'double')
  if (!fl.length) return rows
  return rows.map(r => {
    const o = { ...r }
    for (const f of fl) if (o[f.name] !== null) o[f.name] = String(f.type === 'float' ? Math.fround(Number(o[f.name])) : Number(o[f.name]))
    return o
  })
}

function canonFloe(rows, fields) {
  return rows.map(r => {
    const o = {}
    for (const f of fields) {
      const v = r[f.name]
      if (v === null || v === undefined) o[f.name] = null
      else if (f.type === 'timestamp_ns' || f.type === 'timestamptz_ns') o[f.name] = nsText(v)
      else if (f.type === 'timestamp' || f.type === 'timestamptz') o[f.name] = (BigInt(nsText(v)) / 1000n).toString()
      else o[f.name] = String(v)
    }
    return o
  })
}

async function main() {
  installFileFetch()
  const rep = new Report(`foreign ${args.table}`)
  const tdir = tableDir(args.data, args.table)
  // snapshot ids over 2^53 (floe's) kept exact as text
  const mpath = args.metadata ? join(args.dir, args.metadata) : readCurrentMetadata(tdir).path
  const meta = JSON.parse(quoteBigInts(readFileSync(mpath, 'utf8')))
  location = meta.location.replace(/\/+$/, '')
  for (const snap of meta.snapshots) {
    const want = await expectedRows(meta, snap)
    const cols = want.fields.map(f => f.name)
    const got = canonFloe(floeCat(args.floe, args.data, args.table, ['--snapshot', String(snap['snapshot-id'])]), want.fields)
    rep.check(`snapshot ${snap['snapshot-id']} (seq ${snap['sequence-number']}): floe cat == DuckDB minus deletes (${want.rows.length} rows)`,
      diffMultiset('floe', canonNum(got, want.fields), 'independent', canonNum(want.rows, want.fields), cols))
    if (snap['snapshot-id'] === meta['current-snapshot-id']) {
      if (args.rows !== undefined)
        rep.check(`current snapshot has ${args.rows} rows`, want.rows.length === Number(args.rows) ? [] : [`${want.rows.length}`])
      if (args.where) {
        const keep = eval(args.keep) // eslint-disable-line no-eval
        const typed = want.rows.map(r => Object.fromEntries(Object.entries(r).map(([k, v]) =>
          [k, v !== null && /^-?\d+$/.test(v) && want.fields.find(f => f.name === k).type !== 'string' ? Number(v) : v])))
        const sel = want.rows.filter((r, i) => keep(typed[i]))
        const gotW = canonFloe(floeCat(args.floe, args.data, args.table, ['--where', args.where]), want.fields)
        rep.check(`--where ${args.where}: ${sel.length} rows`,
          diffMultiset('floe', canonNum(gotW, want.fields), 'independent', canonNum(sel, want.fields), cols))
      }
    }
  }
  rep.finish()
}

main().catch(e => { console.error(e); process.exit(1) })
