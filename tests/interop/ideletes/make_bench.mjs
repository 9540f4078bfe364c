// make_bench.mjs: one table to time equality deletes (not a test; see the interop README):
//   node make_bench.mjs DATA_DIR ROWS KEYS
// it.big: snapshot 1 = one data file of ROWS rows (id long, name string); snapshot 2 = an
// equality delete file of KEYS ids spread evenly over them (Flink-style, on id).
import { resolve } from 'node:path'
import { Table, nextSnapshotId } from './iceberg_write.mjs'

const [dir, rowsArg, keysArg] = process.argv.slice(2)
if (!keysArg) { console.error('usage: node make_bench.mjs DATA_DIR ROWS KEYS'); process.exit(2) }
const rows = Number(rowsArg), keys = Number(keysArg)
const t = new Table(resolve(dir), 'it', 'big', { version: 2, specs: [{ 'spec-id': 0, fields: [] }],
  schemas: [{ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'name', type: 'string', required: false }] }] })
const ids = Array.from({ length: rows }, (_, i) => i)
t.commit(nextSnapshotId(), { add: [t.data([{ id: 1, name: 'id', type: 'long', required: true, data: ids },
  { id: 2, name: 'name', type: 'string', data: ids.map(i => `name-${i}`) }])] })
const step = Math.max(1, Math.floor(rows / keys))
const del = Array.from({ length: keys }, (_, i) => i * step)
t.commit(nextSnapshotId(), { add: [t.eqDelete([{ id: 1, name: 'id', type: 'long', required: true, data: del }], [1])],
  operation: 'delete' })
t.register()
console.log(JSON.stringify({ snapshots: t.snapshots.map(s => s['snapshot-id']), rows, keys }))
