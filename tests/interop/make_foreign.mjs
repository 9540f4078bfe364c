// make_foreign.mjs: writes the corpus tables of tests/interop/foreign/ that no public
// repository had: Iceberg tables whose Parquet files hyparquet-writer wrote (no field
// ids, columns in another order than the schema, partition columns in some files and
// not in others, an old column name), with manifests and manifest lists written by
// icebird's avroWrite and metadata JSON written here. None of it is floe's code.
//
//   node tests/interop/make_foreign.mjs OUT_DIR
//
// Tables (each OUT_DIR/<name>/{metadata,data}, "location" a path of a machine that is
// not this one, so a reader must map it, as floe register does):
//   hyparquet_no_field_ids    v2; schema id long, name string, region string,
//                             amount double; identity partition on region;
//                             schema.name-mapping.default (amount also named "amt");
//                             snapshot 1: eu file [amount, name, id] (no region column);
//                             snapshot 2: + us file [name, region, id, amount] +
//                             eu file [id, amt, name]; snapshot 3: a position delete
//                             file (hyparquet-writer, with the reserved field ids)
//                             removing two rows of the first file.
//   hyparquet_no_mapping      v1 metadata (schema, partition-spec) and gzip
//                             (*.gz.metadata.json); the eu file without a mapping:
//                             floe must refuse it, naming the file.
//   hyparquet_orc_data_file   v2; a manifest entry whose file_format is ORC: refused.
//   hyparquet_deletes_without_field_ids  the position delete file has no field ids:
//                             read by the spec's column names (file_path, pos).
//   hyparquet_eq_deletes_without_field_ids  an equality delete file (on name, in
//                             partition eu) without field ids: read by the name mapping.
//   hyparquet_unknown_partition_spec     the manifest list names spec 7: refused.
//   hyparquet_partition_column_metrics_all_null  manifest metrics say the partition
//                             column (not in the file) is all null: not pruned on.
// Rerunning it rewrites the tables (new sync markers, same rows).
import { mkdirSync, writeFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { ByteWriter, parquetWriteBuffer } from 'hyparquet-writer'
import { avroWrite } from 'icebird'

const out = process.argv[2]
if (!out) throw new Error('usage: node make_foreign.mjs OUT_DIR')

const SCHEMA = {
  type: 'struct', 'schema-id': 0, fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'region', required: false, type: 'string' },
    { id: 4, name: 'amount', required: false, type: 'double' },
  ],
}
const SPEC_FIELDS = [{ name: 'region', transform: 'identity', 'source-id': 3, 'field-id': 1000 }]
const NAME_MAPPING = [
  { 'field-id': 1, names: ['id'] }, { 'field-id': 2, names: ['name'] },
  { 'field-id': 3, names: ['region'] }, { 'field-id': 4, names: ['amount', 'amt'] },
]

const el = (name, kind, ids) => {
  const e = { name, repetition_type: name === 'id' ? 'REQUIRED' : 'OPTIONAL' }
  if (kind === 'long') e.type = 'INT64'
  else if (kind === 'double') e.type = 'DOUBLE'
  else { e.type = 'BYTE_ARRAY'; e.converted_type = 'UTF8' }
  if (ids) e.field_id = ids
  return e
}

// cols: [[fileColumnName, icebergType, values]]
function parquet(path, cols) {
  const schema = [{ name: 'schema', num_children: cols.length }, ...cols.map(([n, t]) => el(n, t))]
  const buf = parquetWriteBuffer({ schema, columnData: cols.map(([name, , data]) => ({ name, data })) })
  writeFileSync(path, new Uint8Array(buf))
  return statSync(path).size
}

function avro(path, schema, records) {
  const writer = new ByteWriter()
  writer.finish = () => {}
  avroWrite({ writer, schema, records })
  writeFileSync(path, new Uint8Array(writer.getBuffer()))
  return BigInt(statSync(path).size)
}

const opt = (type, id, name) => ({ name, type: ['null', type], default: null, 'field-id': id })
const req = (type, id, name) => ({ name, type, 'field-id': id })
// map<int,long> as Iceberg writes it, an array of key/value records (without Java's
// logicalType "map" on the array: icebird's avroWrite cannot pick that union branch)
function metricsMap(id, name, keyId) {
  return { name, 'field-id': id, default: null, type: ['null', { type: 'array', items: {
    type: 'record', name: `k${keyId}_v${keyId + 1}`, fields: [req('int', keyId, 'key'), req('long', keyId + 1, 'value')] } }] }
}
const ENTRY_SCHEMA = {
  type: 'record', name: 'manifest_entry', fields: [
    req('int', 0, 'status'), opt('long', 1, 'snapshot_id'), opt('long', 3, 'sequence_number'),
    opt('long', 4, 'file_sequence_number'),
    {
      name: 'data_file', 'field-id': 2, type: {
        type: 'record', name: 'r2', fields: [
          req('int', 134, 'content'), req('string', 100, 'file_path'), req('string', 101, 'file_format'),
          { name: 'partition', 'field-id': 102, type: { type: 'record', name: 'r102', fields: [opt('string', 1000, 'region')] } },
          req('long', 103, 'record_count'), req('long', 104, 'file_size_in_bytes'),
          metricsMap(109, 'value_counts', 119), metricsMap(110, 'null_value_counts', 121),
          { name: 'equality_ids', 'field-id': 135, default: null, type: ['null', { type: 'array', items: 'int', 'element-id': 136 }] },
        ],
      },
    },
  ],
}
const LIST_SCHEMA = {
  type: 'record', name: 'manifest_file', fields: [
    req('string', 500, 'manifest_path'), req('long', 501, 'manifest_length'), req('int', 502, 'partition_spec_id'),
    req('int', 517, 'content'), req('long', 515, 'sequence_number'), req('long', 516, 'min_sequence_number'),
    req('long', 503, 'added_snapshot_id'), req('int', 504, 'added_files_count'), req('int', 505, 'existing_files_count'),
    req('int', 506, 'deleted_files_count'), req('long', 512, 'added_rows_count'), req('long', 513, 'existing_rows_count'),
    req('long', 514, 'deleted_rows_count'),
  ],
}

function table(name, { v1, mapping, gzip, withDeletes, eqDeletes, files, deleteIds = true, listSpecId = 0, lyingMetrics }) {
  const dir = join(out, name)
  const loc = `/home/someone-else/warehouse/sales/${name}` // the writer's path, not ours
  mkdirSync(join(dir, 'data/region=eu'), { recursive: true })
  mkdirSync(join(dir, 'data/region=us'), { recursive: true })
  mkdirSync(join(dir, 'metadata'), { recursive: true })
  const written = files.map(f => {
    const size = parquet(join(dir, f.rel), f.cols)
    return { ...f, size, uri: `file:${loc}/${f.rel}`, rows: f.cols[0][2].length }
  })
  const snapshots = []
  const manifests = [] // [{entryPath, listRecord}]
  let seq = 0
  const steps = [[written[0]], written.slice(1)]
  if (withDeletes) steps.push('deletes')
  if (eqDeletes) steps.push('eqdeletes')
  let parent = null
  for (const step of steps.filter(s => typeof s === 'string' || s.length)) {
    seq++
    const sid = BigInt(1000 + seq) * 1000003n
    let mrel, content, count, rows
    if (step === 'deletes') {
      const target = written[0]
      const drel = 'data/region=eu/delete-00001.parquet'
      const schema = [{ name: 'schema', num_children: 2 },
        { name: 'file_path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED', field_id: deleteIds ? 2147483546 : undefined },
        { name: 'pos', type: 'INT64', repetition_type: 'REQUIRED', field_id: deleteIds ? 2147483545 : undefined }]
      const buf = parquetWriteBuffer({ schema, columnData: [{ name: 'file_path', data: [target.uri, target.uri] }, { name: 'pos', data: [0n, 2n] }] })
      writeFileSync(join(dir, drel), new Uint8Array(buf))
      const size = statSync(join(dir, drel)).size
      mrel = `metadata/deletes-${seq}-m0.avro`
      avro(join(dir, mrel), ENTRY_SCHEMA, [{ status: 1, snapshot_id: sid, sequence_number: null, file_sequence_number: null,
        data_file: { content: 1, file_path: `file:${loc}/${drel}`, file_format: 'PARQUET', partition: { region: 'eu' }, record_count: 2n, file_size_in_bytes: BigInt(size), value_counts: null, null_value_counts: null } }])
      content = 1; count = 1; rows = 2n
    } else if (step === 'eqdeletes') {
      // an equality delete file on name (field 2) without field ids, in partition eu:
      // 'bo' is deleted there; 'gus' (region us) is not
      const drel = 'data/region=eu/eq-delete-00001.parquet'
      const size = parquet(join(dir, drel), [['name', 'string', ['bo', 'gus']]])
      mrel = `metadata/eqdeletes-${seq}-m0.avro`
      avro(join(dir, mrel), ENTRY_SCHEMA, [{ status: 1, snapshot_id: sid, sequence_number: null, file_sequence_number: null,
        data_file: { content: 2, file_path: `file:${loc}/${drel}`, file_format: 'PARQUET', partition: { region: 'eu' }, record_count: 2n, file_size_in_bytes: BigInt(size), value_counts: null, null_value_counts: null, equality_ids: [2] } }])
      content = 1; count = 1; rows = 2n
    } else {
      mrel = `metadata/data-${seq}-m0.avro`
      avro(join(dir, mrel), ENTRY_SCHEMA, step.map(f => ({ status: 1, snapshot_id: sid, sequence_number: null, file_sequence_number: null,
        data_file: { content: 0, file_path: f.uri, file_format: f.format ?? 'PARQUET', partition: { region: f.region }, record_count: BigInt(f.rows), file_size_in_bytes: BigInt(f.size),
          // lyingMetrics: the partition column (id 3), absent from the file, said to be all null
          value_counts: lyingMetrics ? [{ key: 3, value: BigInt(f.rows) }] : null,
          null_value_counts: lyingMetrics ? [{ key: 3, value: BigInt(f.rows) }] : null } })))
      content = 0; count = step.length; rows = BigInt(step.reduce((a, f) => a + f.rows, 0))
    }
    const mlen = BigInt(statSync(join(dir, mrel)).size)
    manifests.push({ manifest_path: `file:${loc}/${mrel}`, manifest_length: mlen, partition_spec_id: listSpecId, content,
      sequence_number: BigInt(seq), min_sequence_number: BigInt(seq), added_snapshot_id: sid, added_files_count: count,
      existing_files_count: 0, deleted_files_count: 0, added_rows_count: rows, existing_rows_count: 0n, deleted_rows_count: 0n })
    const lrel = `metadata/snap-${sid}-1-list.avro`
    avro(join(dir, lrel), LIST_SCHEMA, manifests)
    const snap = { 'snapshot-id': sid, 'timestamp-ms': 1767225600000 + seq * 1000, 'manifest-list': `file:${loc}/${lrel}`,
      summary: { operation: typeof step === 'string' ? 'delete' : 'append' }, 'schema-id': 0 }
    if (!v1) snap['sequence-number'] = seq
    if (parent) snap['parent-snapshot-id'] = parent
    parent = sid
    snapshots.push(snap)
  }
  const meta = v1 ? {
    'format-version': 1, 'table-uuid': '6b1f5a9e-7f0c-4a43-9d0e-2f5b1f2a9c11', location: loc,
    'last-updated-ms': 1767225600000 + seq * 1000, 'last-column-id': 4, schema: SCHEMA, 'partition-spec': SPEC_FIELDS,
    properties: {}, 'current-snapshot-id': parent, snapshots,
  } : {
    'format-version': 2, 'table-uuid': '0f6f3c3e-94a1-4b55-8c0e-7d4c8b0e2a10', location: loc,
    'last-sequence-number': seq, 'last-updated-ms': 1767225600000 + seq * 1000, 'last-column-id': 4,
    'current-schema-id': 0, schemas: [SCHEMA], 'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: SPEC_FIELDS }], 'last-partition-id': 1000,
    'default-sort-order-id': 0, 'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: mapping ? { 'schema.name-mapping.default': JSON.stringify(NAME_MAPPING) } : {},
    'current-snapshot-id': parent, refs: { main: { 'snapshot-id': parent, type: 'branch' } }, snapshots,
    'snapshot-log': snapshots.map(s => ({ 'timestamp-ms': s['timestamp-ms'], 'snapshot-id': s['snapshot-id'] })),
  }
  // snapshot ids are written as JSON numbers (they are above 2^53: no Number holds them)
  const text = JSON.stringify(meta, (k, v) => (typeof v === 'bigint' ? `@@${v}@@` : v), 2).replace(/"@@(-?\d+)@@"/g, '$1')
  const mname = gzip ? '00001-gzip.gz.metadata.json' : 'v1.metadata.json'
  writeFileSync(join(dir, 'metadata', mname), gzip ? gzipSync(text) : text)
  return mname
}

const EU1 = { rel: 'data/region=eu/00000-eu-a.parquet', region: 'eu', cols: [
  ['amount', 'double', [10.5, null, -3.25, 1e20]],
  ['name', 'string', ['ana', 'bo', null, 'dee']],
  ['id', 'long', [1n, 2n, 3n, 4n]],
] }
const US1 = { rel: 'data/region=us/00001-us-a.parquet', region: 'us', cols: [
  ['name', 'string', ['eve', 'fay', 'gus']],
  ['region', 'string', ['us', 'us', 'us']],
  ['id', 'long', [5n, 6n, 7n]],
  ['amount', 'double', [0, 99.99, -0.5]],
] }
const EU2 = { rel: 'data/region=eu/00002-eu-b.parquet', region: 'eu', cols: [
  ['id', 'long', [8n, 9n]],
  ['amt', 'double', [7, 8]],
  ['name', 'string', ['hal', 'ida']],
] }
console.log(table('hyparquet_no_field_ids', { mapping: true, withDeletes: true, files: [EU1, US1, EU2] }))
console.log(table('hyparquet_no_mapping', { v1: true, gzip: true, files: [EU1] }))
// a manifest that says its data file is ORC: floe must refuse it by name, not try
// to read it as Parquet (the bytes are Parquet here; only the manifest's word counts)
// the delete file without field ids (its columns found by the spec's names)
console.log(table('hyparquet_deletes_without_field_ids', { mapping: true, withDeletes: true, deleteIds: false, files: [EU1, US1] }))
// an equality delete file without field ids (its column found by the name mapping)
console.log(table('hyparquet_eq_deletes_without_field_ids', { mapping: true, eqDeletes: true, files: [EU1, US1] }))
// a manifest list naming partition spec 7, which the metadata does not have: refused
console.log(table('hyparquet_unknown_partition_spec', { mapping: true, listSpecId: 7, files: [EU1] }))
// metrics that call the partition column (absent from the file) all null: the
// partition value decides, a --where on it must not prune the file
console.log(table('hyparquet_partition_column_metrics_all_null', { mapping: true, lyingMetrics: true, files: [EU1] }))
console.log(table('hyparquet_orc_data_file', { mapping: true, files: [{ ...EU1, rel: 'data/region=eu/00000-eu-a.orc', format: 'ORC' }] }))
