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
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Table as BaseTable, nextSnapshotId } from './iceberg_write.mjs'

const dataDir = resolve(process.argv[2] || '')
if (!process.argv[2]) { console.error('usage: node make_tables.mjs DATA_DIR'); process.exit(2) }
class Table extends BaseTable { constructor(...a) { super(dataDir, ...a) } }
mkdirSync(join(dataDir, 'warehouse'), { recursive: true })

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
  t.register()
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
  t.register()
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
  t.register()
}
