// iceberg_write.mjs: a small Iceberg table writer that shares no code with floe, for
// fixtures floe must read as other engines write them (Iceberg spec, format v2 and
// v3): Parquet data and delete files by hyparquet-writer (field ids in the footer),
// Avro container files for manifests and manifest lists written here from the spec's
// schemas (field ids, the spec's metadata keys), table metadata JSON, Puffin files
// with deletion-vector-v1 blobs (Roaring portable format, CRC-32). Not a general
// writer: what the fixtures need, each choice as the spec or Java writes it.
import { createHash, randomUUID } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parquetWriteBuffer } from 'hyparquet-writer'

// ------------------------------------------------------------------ Avro binary

export class AvroBuf {
  constructor() { this.parts = []; this.len = 0 }
  raw(u8) { this.parts.push(u8); this.len += u8.length }
  long(v) {
    let n = BigInt(v)
    n = (n << 1n) ^ (n >> 63n) // zigzag
    n = BigInt.asUintN(64, n)
    const out = []
    do {
      let b = Number(n & 0x7fn)
      n >>= 7n
      if (n) b |= 0x80
      out.push(b)
    } while (n)
    this.raw(Uint8Array.from(out))
  }
  int(v) { this.long(v) }
  bool(v) { this.raw(Uint8Array.of(v ? 1 : 0)) }
  bytes(u8) { this.long(u8.length); this.raw(u8) }
  string(s) { this.bytes(new TextEncoder().encode(s)) }
  union(i) { this.long(i) }
  toU8() {
    const out = new Uint8Array(this.len)
    let o = 0
    for (const p of this.parts) { out.set(p, o); o += p.length }
    return out
  }
}

// An Avro object container file, codec null, one block: header (magic, metadata map,
// sync marker), then count, byte size, the records, the sync marker.
export function avroFile(schemaJson, meta, encodeRecords) {
  const sync = createHash('md5').update(randomUUID()).digest()
  const h = new AvroBuf()
  h.raw(Uint8Array.from([0x4f, 0x62, 0x6a, 0x01]))
  const kv = { 'avro.schema': JSON.stringify(schemaJson), 'avro.codec': 'null', ...meta }
  h.long(Object.keys(kv).length)
  for (const [k, v] of Object.entries(kv)) { h.string(k); h.bytes(new TextEncoder().encode(v)) }
  h.long(0)
  h.raw(sync)
  const body = new AvroBuf()
  const n = encodeRecords(body)
  const b = body.toU8()
  h.long(n)
  h.long(b.length)
  h.raw(b)
  h.raw(sync)
  return h.toU8()
}

// ------------------------------------------------------------------ manifests

const opt = (name, type, id) => ({ name, type: ['null', type], default: null, 'field-id': id })

// partitionFields: [{name, fieldId, avroType}] of the spec; version 2 or 3.
function manifestEntrySchema(partitionFields, version) {
  const df = [
    { name: 'content', type: 'int', 'field-id': 134 },
    { name: 'file_path', type: 'string', 'field-id': 100 },
    { name: 'file_format', type: 'string', 'field-id': 101 },
    {
      name: 'partition', 'field-id': 102,
      type: { type: 'record', name: 'r102', fields: partitionFields.map(p => opt(p.name, p.avroType, p.fieldId)) },
    },
    { name: 'record_count', type: 'long', 'field-id': 103 },
    { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
    opt('equality_ids', { type: 'array', items: 'int', 'element-id': 136 }, 135),
    opt('sort_order_id', 'int', 140),
  ]
  if (version >= 3) {
    df.push(opt('first_row_id', 'long', 142))
    df.push(opt('referenced_data_file', 'string', 143))
    df.push(opt('content_offset', 'long', 144))
    df.push(opt('content_size_in_bytes', 'long', 145))
  } else {
    df.push(opt('referenced_data_file', 'string', 143))
  }
  return {
    type: 'record', name: 'manifest_entry', fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      opt('snapshot_id', 'long', 1),
      opt('sequence_number', 'long', 3),
      opt('file_sequence_number', 'long', 4),
      { name: 'data_file', type: { type: 'record', name: 'r2', fields: df }, 'field-id': 2 },
    ],
  }
}

function putOpt(b, v, put) {
  if (v === null || v === undefined) { b.union(0); return }
  b.union(1)
  put(v)
}

// Writes a manifest. entries: [{status, snapshotId, seq, fileSeq, file: {content, path,
// format, partition: [values], recordCount, sizeBytes, equalityIds, referencedDataFile,
// contentOffset, contentSize, firstRowId}}]. Returns its length in bytes.
export function writeManifest(path, { table, spec, content, version, entries }) {
  const pf = spec.fields.map(f => ({ name: f.name, fieldId: f['field-id'], avroType: f.avroType }))
  const schema = manifestEntrySchema(pf, version)
  const meta = {
    schema: JSON.stringify(table.schema),
    'partition-spec': JSON.stringify(spec.fields.map(({ avroType, ...f }) => f)),
    'partition-spec-id': String(spec['spec-id']),
    'format-version': String(version),
    content: content ? 'deletes' : 'data',
  }
  const bytes = avroFile(schema, meta, b => {
    for (const e of entries) {
      const f = e.file
      b.int(e.status)
      putOpt(b, e.snapshotId, v => b.long(v))
      putOpt(b, e.seq, v => b.long(v))
      putOpt(b, e.fileSeq, v => b.long(v))
      b.int(f.content)
      b.string(f.path)
      b.string(f.format || 'PARQUET')
      spec.fields.forEach((sf, i) => putOpt(b, f.partition[i], v => sf.avroType === 'string' ? b.string(v) : b.long(v)))
      b.long(f.recordCount)
      b.long(f.sizeBytes)
      putOpt(b, f.equalityIds, ids => { b.long(ids.length); for (const id of ids) b.int(id); b.long(0) })
      putOpt(b, null, () => {})
      if (version >= 3) putOpt(b, f.firstRowId, v => b.long(v))
      putOpt(b, f.referencedDataFile, v => b.string(v))
      if (version >= 3) {
        putOpt(b, f.contentOffset, v => b.long(v))
        putOpt(b, f.contentSize, v => b.long(v))
      }
    }
    return entries.length
  })
  writeFileSync(path, bytes)
  return bytes.length
}

// Writes a manifest list. manifests: [{path, length, specId, content, seq, minSeq,
// addedSnapshotId, added, existing, deleted, addedRows, existingRows, deletedRows, firstRowId}].
export function writeManifestList(path, { snapshotId, parentId, seq, version, manifests }) {
  const fields = [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
  ]
  if (version >= 3) fields.push(opt('first_row_id', 'long', 520))
  const meta = {
    'snapshot-id': String(snapshotId),
    'parent-snapshot-id': parentId ? String(parentId) : 'null',
    'sequence-number': String(seq),
    'format-version': String(version),
  }
  const bytes = avroFile({ type: 'record', name: 'manifest_file', fields }, meta, b => {
    for (const m of manifests) {
      b.string(m.path); b.long(m.length); b.int(m.specId); b.int(m.content)
      b.long(m.seq); b.long(m.minSeq); b.long(m.addedSnapshotId)
      b.int(m.added); b.int(m.existing); b.int(m.deleted)
      b.long(m.addedRows); b.long(m.existingRows); b.long(m.deletedRows)
      if (version >= 3) putOpt(b, m.firstRowId, v => b.long(v))
    }
    return manifests.length
  })
  writeFileSync(path, bytes)
}

// ------------------------------------------------------------------ Parquet

// columns: [{id, name, type ('long'|'int'|'string'|'timestamp'|'timestamp_ns'), required, data}]
export function writeParquet(path, columns, kv = []) {
  const schema = [{ name: 'table', num_children: columns.length }]
  for (const c of columns) {
    const el = { name: c.name, field_id: c.id, repetition_type: c.required ? 'REQUIRED' : 'OPTIONAL' }
    if (c.type === 'long') el.type = 'INT64'
    else if (c.type === 'int') el.type = 'INT32'
    else if (c.type === 'string') Object.assign(el, { type: 'BYTE_ARRAY', converted_type: 'UTF8' })
    else if (c.type === 'timestamp')
      Object.assign(el, { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } })
    else if (c.type === 'timestamp_ns')
      Object.assign(el, { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } })
    else throw new Error(`writeParquet: type ${c.type}`)
    schema.push(el)
  }
  const columnData = columns.map(c => ({
    name: c.name,
    data: c.type === 'long' || c.type.startsWith('timestamp') ? c.data.map(v => v === null ? null : BigInt(v)) : c.data,
  }))
  // an empty kv list is written as an empty list of element type BYTE: kept, floe must
  // read it (format/parquet_compat_test.c)
  const buf = parquetWriteBuffer({ columnData, schema, kvMetadata: kv })
  writeFileSync(path, new Uint8Array(buf))
  return statSync(path).size
}

// ------------------------------------------------------------------ deletion vectors

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()
export function crc32(u8) {
  let c = 0xffffffff
  for (const b of u8) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

// A 32-bit Roaring bitmap (portable format) of sorted distinct values < 2^32, with
// containers chosen as CRoaring would: runs when shorter, else array (<= 4096) or bitmap.
function roaring32(values) {
  const byKey = new Map()
  for (const v of values) {
    const k = Math.floor(v / 65536)
    if (!byKey.has(k)) byKey.set(k, [])
    byKey.get(k).push(v % 65536)
  }
  const keys = [...byKey.keys()].sort((a, b) => a - b)
  const conts = keys.map(k => {
    const vs = byKey.get(k)
    const runs = []
    for (const v of vs) {
      const last = runs[runs.length - 1]
      if (last && last[1] + 1 === v) last[1] = v
      else runs.push([v, v])
    }
    const runBytes = 2 + 4 * runs.length
    const plainBytes = vs.length <= 4096 ? 2 * vs.length : 8192
    if (runBytes < plainBytes) return { key: k, card: vs.length, kind: 'run', runs }
    return { key: k, card: vs.length, kind: vs.length <= 4096 ? 'array' : 'bitmap', vs }
  })
  const hasRun = conts.some(c => c.kind === 'run')
  const b = new Bytes()
  if (hasRun) {
    b.u32((12347 | ((conts.length - 1) << 16)) >>> 0)
    const flags = new Uint8Array(Math.ceil(conts.length / 8))
    conts.forEach((c, i) => { if (c.kind === 'run') flags[i >> 3] |= 1 << (i & 7) })
    b.raw(flags)
  } else {
    b.u32(12346)
    b.u32(conts.length)
  }
  for (const c of conts) { b.u16(c.key); b.u16(c.card - 1) }
  const bodies = conts.map(c => {
    const x = new Bytes()
    if (c.kind === 'run') { x.u16(c.runs.length); for (const [s, e] of c.runs) { x.u16(s); x.u16(e - s) } }
    else if (c.kind === 'array') for (const v of c.vs) x.u16(v)
    else {
      const words = new Uint8Array(8192)
      for (const v of c.vs) words[v >> 3] |= 1 << (v & 7)
      x.raw(words)
    }
    return x.toU8()
  })
  if (!hasRun || conts.length >= 4) {
    let off = b.len + 4 * conts.length
    for (const body of bodies) { b.u32(off); off += body.length }
  }
  for (const body of bodies) b.raw(body)
  return b.toU8()
}

class Bytes {
  constructor() { this.parts = []; this.len = 0 }
  raw(u8) { this.parts.push(u8); this.len += u8.length }
  u16(v) { const a = new Uint8Array(2); new DataView(a.buffer).setUint16(0, v, true); this.raw(a) }
  u32(v) { const a = new Uint8Array(4); new DataView(a.buffer).setUint32(0, v, true); this.raw(a) }
  u32be(v) { const a = new Uint8Array(4); new DataView(a.buffer).setUint32(0, v, false); this.raw(a) }
  u64(v) { const a = new Uint8Array(8); new DataView(a.buffer).setBigUint64(0, BigInt(v), true); this.raw(a) }
  toU8() {
    const out = new Uint8Array(this.len)
    let o = 0
    for (const p of this.parts) { out.set(p, o); o += p.length }
    return out
  }
}

// A deletion-vector-v1 blob of sorted distinct positions (numbers).
export function dvBlob(positions) {
  const byHigh = new Map()
  for (const p of positions) {
    const hi = Math.floor(p / 2 ** 32)
    if (!byHigh.has(hi)) byHigh.set(hi, [])
    byHigh.get(hi).push(p % 2 ** 32)
  }
  const vec = new Bytes()
  vec.u64(byHigh.size)
  for (const hi of [...byHigh.keys()].sort((a, b) => a - b)) { vec.u32(hi); vec.raw(roaring32(byHigh.get(hi))) }
  const v = vec.toU8()
  const body = new Uint8Array(4 + v.length)
  body.set([0xd1, 0xd3, 0x39, 0x64])
  body.set(v, 4)
  const out = new Bytes()
  out.u32be(body.length)
  out.raw(body)
  out.u32be(crc32(body))
  return out.toU8()
}

// A Puffin file of deletion vectors: blobs [{referencedDataFile, positions, snapshotId,
// seq}]. Returns [{offset, length}] per blob. Footer uncompressed (flags 0).
export function writePuffin(path, blobs) {
  const out = new Bytes()
  out.raw(new TextEncoder().encode('PFA1'))
  const metas = []
  const ranges = []
  for (const bl of blobs) {
    const blob = dvBlob(bl.positions)
    ranges.push({ offset: out.len, length: blob.length })
    metas.push({
      type: 'deletion-vector-v1', fields: [2147483645], 'snapshot-id': bl.snapshotId, 'sequence-number': bl.seq,
      offset: out.len, length: blob.length,
      properties: { 'referenced-data-file': bl.referencedDataFile, cardinality: String(bl.positions.length) },
    })
    out.raw(blob)
  }
  const payload = new TextEncoder().encode(JSON.stringify({ blobs: metas, properties: { 'created-by': 'floe tests/interop/ideletes' } }))
  out.raw(new TextEncoder().encode('PFA1'))
  out.raw(payload)
  out.u32(payload.length)
  out.u32(0)
  out.raw(new TextEncoder().encode('PFA1'))
  writeFileSync(path, out.toU8())
  return ranges
}

// ------------------------------------------------------------------ tables

export function ensureDirs(tdir) {
  mkdirSync(join(tdir, 'data'), { recursive: true })
  mkdirSync(join(tdir, 'metadata'), { recursive: true })
}

// ------------------------------------------------------------------ a table's commits

const uri = p => pathToFileURL(p).href

let idSeq = 1000n
// below 2^53, so that any JSON reader keeps them exact
export const nextSnapshotId = () => (idSeq += 7919n, Number(4000000000000000n + idSeq))

export class Table {
  constructor(dataDir, ns, name, { version, schemas, specs, defaultSpecId = 0, properties = {} }) {
    this.dataDir = dataDir; this.ns = ns; this.name = name; this.version = version
    this.dir = join(dataDir, 'warehouse', ns, name)
    ensureDirs(this.dir)
    this.schemas = schemas; this.schemaId = schemas[schemas.length - 1]['schema-id']
    this.specs = specs; this.defaultSpecId = defaultSpecId; this.properties = properties
    this.snapshots = []; this.manifests = []; this.seq = 0; this.nfile = 0; this.metaVersion = 0
    this.nextRowId = 0; this.log = []
  }
  get schema() { return this.schemas.find(s => s['schema-id'] === this.schemaId) }
  spec(id) { return this.specs.find(s => s['spec-id'] === id) }
  path(kind, ext = 'parquet') { return join(this.dir, 'data', `${String(++this.nfile).padStart(5, '0')}-${kind}.${ext}`) }

  // Data file: columns as writeParquet wants them; the table's field ids.
  data(columns, { specId = this.defaultSpecId, partition = [] } = {}) {
    const p = this.path('data')
    const size = writeParquet(p, columns)
    return { content: 0, path: uri(p), recordCount: columns[0].data.length, sizeBytes: size, specId, partition }
  }
  eqDelete(columns, equalityIds, { specId = this.defaultSpecId, partition = [] } = {}) {
    const p = this.path('eq-deletes')
    const size = writeParquet(p, columns, [{ key: 'delete-type', value: 'equality' },
      { key: 'delete-field-ids', value: equalityIds.join(',') }])
    return { content: 2, path: uri(p), recordCount: columns[0].data.length, sizeBytes: size, specId, partition, equalityIds }
  }
  posDelete(rows, { specId = this.defaultSpecId, partition = [] } = {}) {
    const p = this.path('pos-deletes')
    const size = writeParquet(p, [
      { id: 2147483546, name: 'file_path', type: 'string', required: true, data: rows.map(r => r[0]) },
      { id: 2147483545, name: 'pos', type: 'long', required: true, data: rows.map(r => r[1]) },
    ], [{ key: 'delete-type', value: 'position' }])
    return { content: 1, path: uri(p), recordCount: rows.length, sizeBytes: size, specId, partition }
  }
  // Deletion vectors of one commit in one Puffin file: dvs [{dataFile, positions}].
  dvs(dvs, snapshotId) {
    const p = this.path('dvs', 'puffin')
    const ranges = writePuffin(p, dvs.map(d => ({ referencedDataFile: d.dataFile.path, positions: d.positions,
      snapshotId, seq: this.seq + 1 })))
    const size = statSync(p).size
    return dvs.map((d, i) => ({ content: 1, format: 'PUFFIN', path: uri(p), recordCount: d.positions.length,
      sizeBytes: size, specId: d.dataFile.specId, partition: d.dataFile.partition,
      referencedDataFile: d.dataFile.path, contentOffset: ranges[i].offset, contentSize: ranges[i].length }))
  }

  // One snapshot: files added (data and deletes) and files removed (by path + offset).
  commit(snapshotId, { add = [], remove = [], operation = 'append', schemaId } = {}) {
    if (schemaId !== undefined) this.schemaId = schemaId
    const seq = ++this.seq
    const parent = this.snapshots.length ? this.snapshots[this.snapshots.length - 1]['snapshot-id'] : null
    const key = f => `${f.path}#${f.contentOffset ?? ''}`
    const gone = new Set(remove.map(key))
    const kept = []
    for (const m of this.manifests) {
      if (!m.entries.some(e => gone.has(key(e.file)))) { kept.push(m); continue }
      const entries = m.entries.map(e => ({ ...e, status: gone.has(key(e.file)) ? 2 : 0,
        snapshotId: gone.has(key(e.file)) ? snapshotId : e.snapshotId }))
      kept.push(this.writeManifest(entries, m.specId, m.content, snapshotId, seq, true))
    }
    const groups = new Map()
    for (const f of add) {
      const g = `${f.specId}/${f.content ? 1 : 0}`
      if (!groups.has(g)) groups.set(g, [])
      groups.get(g).push({ status: 1, snapshotId, seq, fileSeq: seq, file: f })
    }
    const added = [...groups.entries()].map(([g, entries]) => {
      const [specId, content] = g.split('/').map(Number)
      return this.writeManifest(entries, specId, content, snapshotId, seq, false)
    })
    this.manifests = [...added, ...kept.map(m => m)].map(m => ({ ...m, entries: m.entries.filter(e => e.status !== 2) }))
    const listed = [...added, ...kept]
    const addedRows = add.filter(f => f.content === 0).reduce((n, f) => n + f.recordCount, 0)
    const list = join(this.dir, 'metadata', `snap-${snapshotId}-1-${this.name}.avro`)
    writeManifestList(list, {
      snapshotId, parentId: parent, seq, version: this.version,
      manifests: listed.map(m => ({ ...m.row, firstRowId: m.content === 0 && this.version >= 3 ? this.nextRowId : null })),
    })
    const snap = {
      'snapshot-id': snapshotId, 'sequence-number': seq, 'timestamp-ms': 1764000000000 + seq * 1000,
      'manifest-list': uri(list), 'schema-id': this.schemaId,
      summary: { operation, 'added-records': String(addedRows) },
    }
    if (parent) snap['parent-snapshot-id'] = parent
    if (this.version >= 3) { snap['first-row-id'] = this.nextRowId; snap['added-rows'] = addedRows; this.nextRowId += addedRows }
    this.snapshots.push(snap)
    this.writeMetadata()
  }

  writeManifest(entries, specId, content, snapshotId, seq, rewritten) {
    const p = join(this.dir, 'metadata', `m-${snapshotId}-${specId}-${content}-${rewritten ? 'r' : 'a'}.avro`)
    const spec = this.spec(specId)
    // ADDED entries of this snapshot inherit; carried ones say their numbers
    const out = entries.map(e => e.status === 1 && e.snapshotId === snapshotId
      ? { ...e, snapshotId: null, seq: null, fileSeq: null, dataSeq: seq }
      : { ...e, seq: e.dataSeq, fileSeq: e.dataSeq })
    const length = writeManifest(p, { table: this, spec, content, version: this.version, entries: out })
    const live = out.filter(e => e.status !== 2)
    const count = s => out.filter(e => e.status === s).length
    const rows = s => out.filter(e => e.status === s).reduce((n, e) => n + e.file.recordCount, 0)
    return {
      specId, content,
      entries: out.map(e => ({ ...e, snapshotId: e.snapshotId ?? snapshotId })),
      row: {
        path: uri(p), length, specId, content, seq, minSeq: Math.min(...live.map(e => e.dataSeq), seq),
        addedSnapshotId: snapshotId, added: count(1), existing: count(0), deleted: count(2),
        addedRows: rows(1), existingRows: rows(0), deletedRows: rows(2),
      },
    }
  }

  writeMetadata() {
    const cur = this.snapshots[this.snapshots.length - 1]
    const lastColumnId = Math.max(...this.schemas.flatMap(s => s.fields.map(f => f.id)))
    const m = {
      'format-version': this.version, 'table-uuid': '6d1f3c1a-4b8e-4f5e-9a61-2f7c1b0e' + String(this.name.length).padStart(4, '0'),
      location: uri(this.dir), 'last-sequence-number': this.seq, 'last-updated-ms': cur['timestamp-ms'],
      'last-column-id': lastColumnId, 'current-schema-id': this.schemaId, schemas: this.schemas,
      'default-spec-id': this.defaultSpecId,
      'partition-specs': this.specs.map(s => ({ 'spec-id': s['spec-id'], fields: s.fields.map(({ avroType, ...f }) => f) })),
      'last-partition-id': Math.max(999, ...this.specs.flatMap(s => s.fields.map(f => f['field-id']))),
      'default-sort-order-id': 0, 'sort-orders': [{ 'order-id': 0, fields: [] }],
      properties: this.properties, 'current-snapshot-id': cur['snapshot-id'],
      refs: { main: { 'snapshot-id': cur['snapshot-id'], type: 'branch' } },
      snapshots: this.snapshots,
      'snapshot-log': this.snapshots.map(s => ({ 'timestamp-ms': s['timestamp-ms'], 'snapshot-id': s['snapshot-id'] })),
      'metadata-log': this.log.slice(),
    }
    if (this.version >= 3) m['next-row-id'] = this.nextRowId
    const n = ++this.metaVersion
    const p = join(this.dir, 'metadata', `v${n}.metadata.json`)
    writeFileSync(p, JSON.stringify(m, null, 2))
    writeFileSync(join(this.dir, 'metadata', 'version-hint.text'), String(n))
    this.log.push({ 'timestamp-ms': cur['timestamp-ms'], 'metadata-file': uri(p) })
    this.location = uri(p)
  }

  // Registers the table in the data directory's SQL catalog (floe's, PyIceberg's SqlCatalog).
  register() {
    const t = this
    const db = join(t.dataDir, 'catalog.db')
    const q = s => `'${String(s).replace(/'/g, "''")}'`
    const sql = [
      'CREATE TABLE IF NOT EXISTS iceberg_tables (catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL, ' +
        'table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), ' +
        'iceberg_type VARCHAR(5), PRIMARY KEY (catalog_name, table_namespace, table_name));',
      'CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL, ' +
        'property_key VARCHAR(255), property_value VARCHAR(1000), PRIMARY KEY (catalog_name, namespace, property_key));',
      `INSERT OR IGNORE INTO iceberg_namespace_properties VALUES ('floe', ${q(t.ns)}, 'exists', 'true');`,
      `INSERT OR REPLACE INTO iceberg_tables VALUES ('floe', ${q(t.ns)}, ${q(t.name)}, ${q(t.location)}, NULL, 'TABLE');`,
    ].join('\n')
    execFileSync('sqlite3', [db], { input: sql })
    console.log(`${t.ns}.${t.name}: ${t.snapshots.length} snapshots, ${t.location}`)
  }
}
