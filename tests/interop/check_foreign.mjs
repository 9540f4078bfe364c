// check_foreign.mjs: a table another engine wrote, read by floe (`floe cat`) and by a
// reader floe did not write, compared value by value, for every snapshot, with and
// without --where (tests/interop/foreign/README.md).
//
//   node check_foreign.mjs --floe FLOE --data DIR --table NS.NAME --dir TABLE_DIR
//        [--metadata metadata/vN.metadata.json] [--where "COND"]...
//
// TABLE_DIR is the table's folder (metadata/, data/) as copied from the corpus; the
// table is registered in DIR's catalog beforehand (`floe register`). The metadata file
// is TABLE_DIR/floe-test.json's "metadata" unless --metadata says. floe-test.json:
//   { "metadata": "metadata/v4.metadata.json",      which version to register and read
//     "where": ["event_type = 'view'"],             extra conditions (besides the generated ones)
//     "refused": {"SNAPSHOT_ID or *": "regex"} }    snapshots floe must refuse, and the message
//
// The independent reader:
//   metadata JSON (gzip too) read here; v1 ("schema", "partition-spec", inline
//   "manifests") and v2 shapes -> manifest list and manifests read with icebird's Avro
//   reader (avroRead, not floe's) -> live entries (status != DELETED) with their data
//   sequence numbers (inherited from the manifest list; 0 in v1) -> each data file read
//   by DuckDB's read_parquet: a column is found by Parquet field id, or, in a file with
//   no field ids, by the table's schema.name-mapping.default; a column the file lacks
//   that an identity partition field holds takes the manifest's partition value; else
//   null. Position deletes (file_path, pos) apply to a data file of the same path whose
//   data sequence number is <= the delete's. Equality deletes (by field id, NULL equals
//   NULL) apply to a data file whose data sequence number is < the delete's, in the same
//   spec and partition, or everywhere from an unpartitioned spec.
//   URIs in the metadata that start with its "location" are read under TABLE_DIR; other
//   relative ones are relative to TABLE_DIR (floe does the same: table/locate.c).
//
// Conditions: for every snapshot, the rows without a condition, then for each column of
// the current schema `col = v` and `col >= v` (v: a value present in that snapshot) and
// `col IS NULL`, then floe-test.json's and --where's: each run through `floe cat --where`
// and through DuckDB's WHERE over the independent rows. Exit 1 on any difference.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { avroMetadata, avroRead } from 'icebird'
import { Report, diffMultiset, duckAll, duckType, normRows, parseType, quoteBigInts, sqlStr } from './lib.mjs'

const args = process.argv.slice(2)
const opt = { where: [] }
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  if (a === '--where') opt.where.push(args[++i])
  else if (a.startsWith('--')) opt[a.slice(2)] = args[++i]
  else throw new Error(`unexpected argument ${a}`)
}
for (const k of ['floe', 'data', 'table', 'dir']) if (!opt[k]) throw new Error(`--${k} is required`)
const tdir = resolve(opt.dir)
const conf = existsSync(join(tdir, 'floe-test.json')) ? JSON.parse(readFileSync(join(tdir, 'floe-test.json'), 'utf8')) : {}
const metaPath = resolve(tdir, opt.metadata || conf.metadata)
const report = new Report(`foreign table ${opt.table} (${metaPath})`)

// ------------------------------------------------------------------ metadata, independently

// snapshot ids exceed 2^53: read them as text
function readMeta(path) {
  let buf = readFileSync(path)
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf)
  const text = buf.toString('utf8').replace(/("(?:snapshot-id|parent-snapshot-id|current-snapshot-id)"\s*:\s*)(-?\d+)/g, '$1"$2"')
  return JSON.parse(text)
}
const meta = readMeta(metaPath)
const location = meta.location.replace(/^file:(\/\/)?/, '').replace(/\/+$/, '')
function localPath(uri) {
  const p = String(uri).replace(/^file:(\/\/)?/, '')
  if (p === location || p.startsWith(location + '/')) return tdir + p.slice(location.length)
  if (/^[a-z0-9]+:\/\//i.test(p)) return p // object store elsewhere: left as is (floe refuses)
  if (!p.startsWith('/')) return join(tdir, p)
  return p
}
const schemas = meta.schemas ?? [meta.schema]
const curId = meta['current-schema-id'] ?? meta.schema?.['schema-id'] ?? schemas[schemas.length - 1]['schema-id'] ?? 0
const schema = schemas.find(s => (s['schema-id'] ?? 0) === curId)
const fields = schema.fields.map(f => ({ id: f.id, name: f.name, type: f.type }))
const specs = new Map()
for (const s of meta['partition-specs'] ?? [{ 'spec-id': 0, fields: meta['partition-spec'] ?? [] }]) specs.set(s['spec-id'], s.fields)
let nameMap = null
const nm = meta.properties?.['schema.name-mapping.default']
if (nm) {
  nameMap = new Map()
  for (const e of JSON.parse(nm)) if (e['field-id'] !== undefined) for (const n of e.names ?? []) nameMap.set(n, e['field-id'])
}

async function avroFile(path) {
  const b = readFileSync(path)
  const reader = { view: new DataView(b.buffer, b.byteOffset, b.byteLength), offset: 0 }
  const { metadata, syncMarker } = await avroMetadata(reader)
  return { metadata, records: await avroRead({ reader, metadata, syncMarker }) }
}

async function snapshotFiles(snap) {
  let manifests
  if (snap['manifest-list']) {
    manifests = (await avroFile(localPath(snap['manifest-list']))).records
  } else {
    manifests = []
    for (const m of snap.manifests ?? []) {
      const { metadata } = await avroFile(localPath(m))
      manifests.push({ manifest_path: m, partition_spec_id: Number(metadata['partition-spec-id'] ?? 0), content: 0, sequence_number: 0n })
    }
  }
  const data = [], posDeletes = [], eqDeletes = []
  for (const m of manifests) {
    const { records } = await avroFile(localPath(m.manifest_path))
    for (const e of records) {
      if (e.status === 2) continue
      const df = e.data_file
      const seq = BigInt(e.sequence_number ?? m.sequence_number ?? 0n)
      const f = { path: df.file_path, spec: Number(m.partition_spec_id ?? 0), partition: df.partition ?? {}, seq, records: df.record_count,
        eqIds: (df.equality_ids ?? []).map(Number) }
      const content = Number(df.content ?? 0)
      if (content === 0) data.push(f)
      else if (content === 1) posDeletes.push(f)
      else eqDeletes.push(f)
    }
  }
  return { data, posDeletes, eqDeletes }
}

// ------------------------------------------------------------------ rows, by DuckDB

const q = n => `"${String(n).replace(/"/g, '""')}"`

function literal(v, type) {
  const k = parseType(type).kind
  const t = duckType(type)
  if (v === null || v === undefined) return `NULL::${t}`
  if (v instanceof Date) {
    if (k === 'date') return `DATE ${sqlStr(v.toISOString().slice(0, 10))}`
    return `make_timestamp(${BigInt(v.getTime()) * 1000n})::${t}`
  }
  if (k === 'date' && (typeof v === 'number' || typeof v === 'bigint')) return `(DATE '1970-01-01' + INTERVAL (${v}) DAY)::DATE`
  if ((k === 'timestamp' || k === 'timestamptz') && (typeof v === 'number' || typeof v === 'bigint')) return `make_timestamp(${v})::${t}`
  if (typeof v === 'string') return `${sqlStr(v)}::${t}`
  return `CAST(${String(v)} AS ${t})`
}

async function fileColumns(path) {
  const rows = await duckAll(`SELECT name, num_children, field_id FROM parquet_schema(${sqlStr(path)})`)
  const top = []
  let i = 1
  const skip = n => { for (let k = 0; k < n; k++) { const c = Number(rows[i].num_children ?? 0); i++; skip(c) } }
  while (i < rows.length) {
    const r = rows[i++]
    top.push({ name: r.name, id: r.field_id === null || r.field_id === undefined ? null : Number(r.field_id) })
    skip(Number(r.num_children ?? 0))
  }
  return top
}

// One SELECT per data file; null if floe must refuse the file (no ids, no mapping).
async function fileSelect(f, deletes) {
  const path = localPath(f.path)
  const cols = await fileColumns(path)
  const hasIds = cols.some(c => c.id !== null)
  if (!hasIds && !nameMap) return null
  const specFields = specs.get(f.spec) ?? []
  // files with ids are read by id (DuckDB's schema= parameter: names in the file do not
  // matter, even two that differ only in case); others by the name mapping
  const present = []
  const exprs = fields.map((fd, i) => {
    const col = hasIds ? cols.find(c => c.id === fd.id) : cols.find(c => nameMap.get(c.name) === fd.id)
    if (col) {
      present.push({ fd, i, col })
      return hasIds ? `f${i} AS ${alias(i)}` : `CAST(${q(col.name)} AS ${duckType(fd.type)}) AS ${alias(i)}`
    }
    const pf = specFields.find(p => p['source-id'] === fd.id && p.transform === 'identity')
    if (pf) return `${literal(f.partition[pf.name], fd.type)} AS ${alias(i)}`
    return `NULL::${duckType(fd.type)} AS ${alias(i)}`
  })
  const gone = deletes.get(f.path)
  const del = gone && gone.length ? ` WHERE file_row_number NOT IN (${gone.join(',')})` : ''
  const byId = hasIds && present.length
    ? `, schema = map{${present.map(({ fd, i }) => `${fd.id}: {name: 'f${i}', type: ${sqlStr(duckType(fd.type))}, default_value: NULL}`).join(', ')}}`
    : ''
  let sel = `SELECT ${exprs.join(', ')} FROM read_parquet(${sqlStr(path)}, file_row_number = true, hive_partitioning = false${byId})${del}`
  // equality deletes: a row goes when every key column equals (NULL equals NULL) a row of
  // a delete file that applies to this file; key columns found in the delete file by id
  for (const e of eqDeletesOf(f)) {
    const dpath = localPath(e.path)
    const dcols = await fileColumns(dpath)
    const on = e.eqIds.map(id => {
      const i = fields.findIndex(fd => fd.id === id)
      if (i < 0) throw new Error(`equality delete ${e.path}: field id ${id} is not in the current schema`)
      // by field id; in a file without ids, by the table's name mapping
      const dc = dcols.some(c => c.id !== null) ? dcols.find(c => c.id === id)
        : nameMap ? dcols.find(c => nameMap.get(c.name) === id) : undefined
      const dv = dc ? `CAST(d.${q(dc.name)} AS ${duckType(fields[i].type)})` : `NULL::${duckType(fields[i].type)}`
      return `t.${alias(i)} IS NOT DISTINCT FROM ${dv}`
    })
    sel = `SELECT * FROM (${sel}) t WHERE NOT EXISTS (SELECT 1 FROM read_parquet(${sqlStr(dpath)}) d WHERE ${on.join(' AND ')})`
  }
  return sel
}

// The equality delete files that apply to data file f (set by expectedSql per snapshot):
// data sequence number < the delete's, and the same spec and partition, or a delete
// written under an unpartitioned spec (applies everywhere).
let eqDeletesOf = () => []
const partKey = p => JSON.stringify(p, (k, v) => (typeof v === 'bigint' ? String(v) : v))

async function expectedSql(files) {
  const deletes = new Map()
  for (const d of files.posDeletes) {
    const rows = await duckAll(`SELECT file_path, CAST(pos AS VARCHAR) AS pos FROM read_parquet(${sqlStr(localPath(d.path))})`)
    for (const r of rows) {
      const target = files.data.find(f => f.path === r.file_path)
      if (!target || target.seq > d.seq) continue
      if (!deletes.has(r.file_path)) deletes.set(r.file_path, [])
      deletes.get(r.file_path).push(r.pos)
    }
  }
  eqDeletesOf = f => files.eqDeletes.filter(e => f.seq < e.seq &&
    ((specs.get(e.spec) ?? []).length === 0 || (e.spec === f.spec && partKey(e.partition) === partKey(f.partition))))
  const parts = []
  for (const f of files.data) {
    const s = await fileSelect(f, deletes)
    if (s === null) return null
    parts.push(s)
  }
  if (!parts.length) return `SELECT ${fields.map((fd, i) => `NULL::${duckType(fd.type)} AS ${alias(i)}`).join(', ')} WHERE false`
  return parts.join('\nUNION ALL\n')
}

// The expected view's columns are c0, c1, ... (DuckDB's names are case-insensitive;
// Iceberg's are not); rows are renamed to the schema's names in JS.
function alias(i) { return `c${i}` }
function canon(fd, i) {
  const k = parseType(fd.type).kind
  const c = alias(i)
  if (k === 'long' || k === 'int' || k === 'decimal') return `CAST(${c} AS VARCHAR) AS ${c}`
  if (k === 'timestamp' || k === 'timestamptz') return `CAST(epoch_us(${c}) AS VARCHAR) AS ${c}`
  if (k === 'date') return `CAST(${c} AS VARCHAR) AS ${c}`
  if (k === 'time') return `CAST(EXTRACT(microseconds FROM ${c}) + 60000000::BIGINT * (EXTRACT(minute FROM ${c}) + 60 * EXTRACT(hour FROM ${c})) AS VARCHAR) AS ${c}`
  if (k === 'uuid') return `CAST(${c} AS VARCHAR) AS ${c}`
  if (k === 'binary' || k === 'fixed') return `lower(hex(${c})) AS ${c}`
  return c
}
const byName = rows => rows.map(r => Object.fromEntries(fields.map((fd, i) => [fd.name, r[alias(i)]])))
// A condition in the schema's names, for DuckDB over the view: "quoted" names and bare
// identifiers outside string literals become c0, c1, ...
function toView(cond) {
  return cond.split(/('(?:[^']|'')*')/).map((part, k) => {
    if (k % 2) return part
    let out = part
    fields.forEach((fd, i) => { out = out.split(q(fd.name)).join(alias(i)) })
    fields.forEach((fd, i) => {
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(fd.name)) out = out.replace(new RegExp(`(?<![A-Za-z0-9_"])${fd.name}(?![A-Za-z0-9_"])`, 'g'), alias(i))
    })
    return out
  }).join('')
}

// ------------------------------------------------------------------ floe

function floeCat(extra) {
  const r = spawnSync(opt.floe, ['--data', opt.data, 'cat', opt.table, ...extra], { encoding: 'utf8', maxBuffer: 1 << 30 })
  if (r.status !== 0) return { error: (r.stderr || '').trim() || `exit ${r.status}` }
  const rows = r.stdout.split('\n').filter(l => l.trim()).map(l => JSON.parse(quoteBigInts(l)))
  return { rows }
}

function whereLiteral(v, type) {
  const k = parseType(type).kind
  if (k === 'timestamp' || k === 'timestamptz') {
    // v: epoch microseconds as text -> RFC 3339 with the microseconds
    const us = BigInt(v)
    const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n)
    const frac = String(((us % 1000000n) + 1000000n) % 1000000n).padStart(6, '0')
    const iso = new Date(Number(ms)).toISOString().slice(0, 19) + '.' + frac
    return sqlStr(k === 'timestamptz' ? iso + '+00:00' : iso)
  }
  if (k === 'time') { // v: micros since midnight as text -> HH:MM:SS.ffffff
    const us = BigInt(v), s = us / 1000000n
    const two = x => String(x).padStart(2, '0')
    return sqlStr(`${two(s / 3600n)}:${two((s / 60n) % 60n)}:${two(s % 60n)}.${String(us % 1000000n).padStart(6, '0')}`)
  }
  if (k === 'string' || k === 'date' || k === 'uuid') return sqlStr(v)
  return String(v)
}

// ------------------------------------------------------------------ the checks

const names = fields.map(f => f.name)
const refused = conf.refused ?? {}
let snapshots = (meta.snapshots ?? []).filter(s => s['manifest-list'] || s.manifests)
for (const snap of snapshots) {
  const id = String(snap['snapshot-id'])
  const what = `snapshot ${id}`
  const files = await snapshotFiles(snap)
  const must = refused[id] ?? refused['*'] ?? null
  const sql = must ? null : await expectedSql(files)
  if (must || sql === null) {
    const want = must ?? 'no Parquet field ids'
    const got = floeCat(['--snapshot', id])
    report.check(`${what}: floe refuses it (/${want}/)`,
      got.error ? (new RegExp(want).test(got.error) ? [] : [`refused with: ${got.error}`]) : [`read ${got.rows.length} rows instead of refusing`])
    continue
  }
  await duckAll(`CREATE OR REPLACE TEMP VIEW expected AS ${sql}`)
  const all = byName(await duckAll(`SELECT ${fields.map(canon).join(', ')} FROM expected`))
  const conds = [null]
  for (const fd of fields) {
    const k = parseType(fd.type).kind
    if (k === 'nested' || k === 'boolean') continue
    if (k === 'binary' || k === 'fixed') { // literals differ (floe '\x0aff', DuckDB '\x0A\xFF'::BLOB)
      conds.push(`${q(fd.name)} IS NULL`)
      continue
    }
    const vals = all.map(r => r[fd.name]).filter(v => v !== null && v !== undefined)
    conds.push(`${q(fd.name)} IS NULL`)
    if (!vals.length) continue
    const sorted = [...vals].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0))
    if (k === 'float' || k === 'double') {
      conds.push(`${q(fd.name)} >= ${sorted[sorted.length >> 1]}`)
      continue
    }
    conds.push(`${q(fd.name)} = ${whereLiteral(vals[0], fd.type)}`)
    const mid = k === 'int' || k === 'long' ? [...vals].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))[vals.length >> 1] : sorted[sorted.length >> 1]
    conds.push(`${q(fd.name)} >= ${whereLiteral(mid, fd.type)}`)
  }
  conds.push(...(conf.where ?? []), ...opt.where)
  for (const cond of conds) {
    const exp = byName(await duckAll(`SELECT ${fields.map(canon).join(', ')} FROM expected${cond ? ` WHERE ${toView(cond)}` : ''}`))
    const got = floeCat(['--snapshot', id, ...(cond ? ['--where', cond] : [])])
    const label = `${what}${cond ? ` --where "${cond}"` : ''} (${exp.length} rows)`
    if (got.error) {
      report.check(label, [`floe cat failed: ${got.error}`])
      continue
    }
    report.check(label, diffMultiset('floe cat', normRows(got.rows, fields), 'DuckDB', normRows(exp, fields), names))
  }
}
if (!snapshots.length) report.check('the table has snapshots', ['none'])
report.finish()
