// make_tables.mjs: writes the foreign-written tables of tests/interop/0020 into a floe
// data directory and registers them in its SQL catalog, as another engine would
// leave them (iceberg_write.mjs, no floe code):
//
//   node make_tables.mjs DATA_DIR
//
//   it.upsert  v2, unpartitioned, as Flink's upsert sink commits: each checkpoint adds
//              the new rows and an equality delete file of their keys (id); a key
//              written twice in one checkpoint gets a position delete of its first
//              row; then an equality delete on another column (name) whose file holds
//              whole rows, with NULL keys; then a schema change (qty renamed amount,
//              note added) and an equality delete on amount written under the old name.
//   it.region  v2, specs 0 (unpartitioned) and 1 (identity region): an equality delete
//              in partition a leaves partition b's equal keys alone; one written under
//              the unpartitioned spec deletes in every partition.
//   it.dv3     v3 (row lineage), timestamptz_ns column with nanosecond digits, deletion
//              vectors in Puffin files (run and bitmap containers); a later DV of the
//              same data file replaces the first (its manifest entry DELETED).
// Sequence numbers: ADDED entries inherit the manifest list's; rewritten manifests carry
// them explicitly (EXISTING / DELETED), as the spec requires.
import { execFileSync } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ensureDirs, writeManifest, writeManifestList, writeParquet, writePuffin } from './iceberg_write.mjs'

const dataDir = resolve(process.argv[2] || '')
if (!process.argv[2]) { console.error('usage: node make_tables.mjs DATA_DIR'); process.exit(2) }
mkdirSync(join(dataDir, 'warehouse'), { recursive: true })
const uri = p => pathToFileURL(p).href

let idSeq = 1000n
// below 2^53, so that any JSON reader keeps them exact
const nextSnapshotId = () => (idSeq += 7919n, Number(4000000000000000n + idSeq))

class Table {
  constructor(ns, name, { version, schemas, specs, defaultSpecId = 0, properties = {} }) {
    this.ns = ns; this.name = name; this.version = version
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
    const size = require_size(p)
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
}

import { statSync } from 'node:fs'
function require_size(p) { return statSync(p).size }

const field = (id, name, type, required = false) => ({ id, name, type, required })

// ---------------------------------------------------------------- it.upsert
{
  const s0 = { type: 'struct', 'schema-id': 0, 'identifier-field-ids': [1], fields: [
    field(1, 'id', 'long', true), field(2, 'name', 'string'), field(3, 'qty', 'int'), field(4, 'ts', 'timestamp')] }
  const s1 = { type: 'struct', 'schema-id': 1, 'identifier-field-ids': [1], fields: [
    field(1, 'id', 'long', true), field(2, 'name', 'string'), field(3, 'amount', 'int'), field(4, 'ts', 'timestamp'),
    field(5, 'note', 'string')] }
  const t = new Table('it', 'upsert', { version: 2, schemas: [s0], specs: [{ 'spec-id': 0, fields: [] }],
    properties: { 'write.upsert.enabled': 'true' } })
  const base = 1764000000000000
  const rows = (ids, nameOf) => [
    { id: 1, name: 'id', type: 'long', required: true, data: ids },
    { id: 2, name: 'name', type: 'string', data: ids.map(nameOf) },
    { id: 3, name: 'qty', type: 'int', data: ids.map(i => i * 10) },
    { id: 4, name: 'ts', type: 'timestamp', data: ids.map(i => base + i * 1001) },
  ]
  const ids = n => Array.from({ length: n }, (_, i) => i)
  const d1 = t.data(rows(ids(200), i => i % 10 === 9 ? null : `n${i}`))
  t.commit(nextSnapshotId(), { add: [d1] })
  // checkpoint 2: id 10 twice (the first superseded in the same checkpoint), 11..29 once
  const up = [10, ...Array.from({ length: 20 }, (_, i) => 10 + i)]
  const d2 = t.data(rows(up, i => `u${i}`).map((c, k) => k === 1 ? { ...c, data: c.data.map((v, j) => j === 0 ? 'u10-first' : v) } : c))
  const e2 = t.eqDelete([{ id: 1, name: 'id', type: 'long', required: true, data: [...up.slice(1), 300] }], [1])
  const p2 = t.posDelete([[d2.path, 0]])
  t.commit(nextSnapshotId(), { add: [d2, e2, p2], operation: 'overwrite' })
  // an equality delete on name, whole rows in the file, NULL among the keys; rows of the
  // same commit with those names stay
  const e3 = t.eqDelete(rows([5, 9], i => i === 5 ? 'n5' : null), [2])
  const d3 = t.data(rows([400, 401], i => i === 400 ? null : 'n5'))
  t.commit(nextSnapshotId(), { add: [d3, e3], operation: 'overwrite' })
  // schema 1: qty -> amount, note added; a delete on amount in a file that says qty
  t.schemas.push(s1)
  const d4 = t.data([
    { id: 1, name: 'id', type: 'long', required: true, data: [500, 501] },
    { id: 2, name: 'name', type: 'string', data: ['x', 'y'] },
    { id: 3, name: 'amount', type: 'int', data: [70, 8] },
    { id: 4, name: 'ts', type: 'timestamp', data: [base, null] },
    { id: 5, name: 'note', type: 'string', data: ['new', null] },
  ])
  const e4 = t.eqDelete([{ id: 3, name: 'qty', type: 'int', data: [70, 1990, null] }], [3])
  t.commit(nextSnapshotId(), { add: [d4, e4], operation: 'overwrite', schemaId: 1 })
  register(t)
}

// ---------------------------------------------------------------- it.region
{
  const s0 = { type: 'struct', 'schema-id': 0, fields: [field(1, 'id', 'long', true), field(2, 'region', 'string', true),
    field(3, 'v', 'string')] }
  const specs = [{ 'spec-id': 0, fields: [] },
    { 'spec-id': 1, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'region', transform: 'identity', avroType: 'string' }] }]
  const t = new Table('it', 'region', { version: 2, schemas: [s0], specs, defaultSpecId: 1 })
  const part = (region, ids, tag) => t.data([
    { id: 1, name: 'id', type: 'long', required: true, data: ids },
    { id: 2, name: 'region', type: 'string', required: true, data: ids.map(() => region) },
    { id: 3, name: 'v', type: 'string', data: ids.map(i => `${tag}${i}`) },
  ], { specId: 1, partition: [region] })
  const ids = Array.from({ length: 50 }, (_, i) => i)
  t.commit(nextSnapshotId(), { add: [part('a', ids, 'a'), part('b', ids, 'b')] })
  const key = vals => [{ id: 1, name: 'id', type: 'long', required: true, data: vals }]
  t.commit(nextSnapshotId(), { add: [t.eqDelete(key([1, 2, 3]), [1], { specId: 1, partition: ['a'] })], operation: 'delete' })
  t.commit(nextSnapshotId(), { add: [t.eqDelete(key([7]), [1], { specId: 0, partition: [] }), part('a', [7], 'new')],
    operation: 'overwrite' })
  register(t)
}

// ---------------------------------------------------------------- it.dv3
{
  const s0 = { type: 'struct', 'schema-id': 0, fields: [field(1, 'id', 'long', true), field(2, 'ts_ns', 'timestamptz_ns'),
    field(3, 's', 'string')] }
  const t = new Table('it', 'dv3', { version: 3, schemas: [s0], specs: [{ 'spec-id': 0, fields: [] }] })
  const baseNs = 1764000000123456789n
  const rows = ids => t.data([
    { id: 1, name: 'id', type: 'long', required: true, data: ids },
    { id: 2, name: 'ts_ns', type: 'timestamp_ns', data: ids.map(i => i % 7 === 6 ? null : baseNs + BigInt(i) * 1000000007n) },
    { id: 3, name: 's', type: 'string', data: ids.map(i => `s${i}`) },
  ])
  const d1 = rows(Array.from({ length: 100 }, (_, i) => i))
  const d2 = rows(Array.from({ length: 10000 }, (_, i) => 100 + i))
  t.commit(nextSnapshotId(), { add: [d1, d2] })
  const s2 = nextSnapshotId()
  const run = Array.from({ length: 50 }, (_, i) => 10 + i)
  const evens = Array.from({ length: 5000 }, (_, i) => 2 * i)
  const [dv1, dv2] = t.dvs([{ dataFile: d1, positions: run }, { dataFile: d2, positions: evens }], s2)
  t.commit(s2, { add: [dv1, dv2], operation: 'delete' })
  const s3 = nextSnapshotId()
  const [dv1b] = t.dvs([{ dataFile: d1, positions: [1, 3, 5, ...run, 97] }], s3)
  const d3 = rows([20000, 20001, 20002])
  t.commit(s3, { add: [dv1b, d3], remove: [dv1], operation: 'overwrite' })
  register(t)
}

function register(t) {
  const db = join(dataDir, 'catalog.db')
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
