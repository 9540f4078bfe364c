// make_duckdb_table.mjs: an Iceberg table whose Parquet files DuckDB wrote (COPY ...
// (FORMAT parquet, FIELD_IDS ...)), with its manifest, manifest list (icebird's
// avroWrite) and metadata JSON written here, registered in a floe data directory's
// SQL catalog (the JdbcCatalog/PyIceberg tables, with the sqlite3 shell). None of the
// table's bytes are floe's: floe cat must read them as DuckDB does.
//
//   node tests/interop/make_duckdb_table.mjs DATA_DIR NS.TABLE SPEC
//   node tests/interop/make_duckdb_table.mjs --corpus DIR SPEC
//
// SPEC names a table below (TABLES): each has an Iceberg schema and one SELECT per
// data file (one snapshot each). Prints the metadata file's path. --corpus writes the
// table as tests/interop/foreign/ keeps them (DIR/duckdb_SPEC/{data,metadata} with the
// location of another machine, and floe-test.json naming the metadata file and the
// spec's --where conditions that floe and DuckDB spell alike), for `floe register` to
// map; not registered here.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ByteWriter } from 'hyparquet-writer'
import { avroWrite } from 'icebird'
import { duckAll, sqlStr } from './lib.mjs'

export const TABLES = {
  // STRUCT, LIST, MAP (and a list of structs with a list inside) with nulls at every
  // level: a null struct and a struct of nulls, a null list and an empty one, null
  // elements, an empty map; read by floe as JSON text
  nested: {
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 's', required: false, type: { type: 'struct', fields: [
        { id: 3, name: 'a', required: false, type: 'int' }, { id: 4, name: 'b', required: false, type: 'string' }] } },
      { id: 5, name: 'l', required: false, type: { type: 'list', 'element-id': 6, 'element-required': false, element: 'long' } },
      { id: 7, name: 'm', required: false, type: { type: 'map', 'key-id': 8, key: 'string', 'value-id': 9, 'value-required': false, value: 'double' } },
      { id: 10, name: 'ls', required: false, type: { type: 'list', 'element-id': 11, 'element-required': false, element: {
        type: 'struct', fields: [{ id: 12, name: 'x', required: false, type: 'decimal(10, 2)' },
          { id: 13, name: 'ys', required: false, type: { type: 'list', 'element-id': 14, 'element-required': false, element: 'string' } }] } } },
    ],
    fieldIds: '{id: 1, s: {__duckdb_field_id: 2, a: 3, b: 4}, l: {__duckdb_field_id: 5, element: 6}, ' +
      'm: {__duckdb_field_id: 7, key: 8, value: 9}, ls: {__duckdb_field_id: 10, element: {__duckdb_field_id: 11, x: 12, ys: {__duckdb_field_id: 13, element: 14}}}}',
    files: [
      `SELECT * FROM (VALUES
        (1::BIGINT, {'a': 1, 'b': 'x'}, [1, 2, 3]::BIGINT[], MAP {'k': 1.5, 'z': -2.0}, [{'x': 1.25, 'ys': ['p', NULL]}]),
        (2, NULL, NULL, NULL, NULL),
        (3, {'a': NULL, 'b': NULL}, []::BIGINT[], MAP {}::MAP(VARCHAR, DOUBLE), []),
        (4, {'a': -7, 'b': 'say "hi"\n'}, [NULL, 4, NULL]::BIGINT[], MAP {'n': NULL}, [NULL, {'x': NULL, 'ys': []}, {'x': -0.5, 'ys': NULL}]),
        (5, {'a': 2147483647, 'b': ''}, [9223372036854775807]::BIGINT[], MAP {'k': 0.1}, [{'x': 99999999.99, 'ys': ['a', 'b', 'c']}])
      ) t(id, s, l, m, ls)`,
      `SELECT (10 + i)::BIGINT AS id,
        CASE WHEN i % 4 = 0 THEN NULL ELSE {'a': i::INT, 'b': 'v' || i} END AS s,
        CASE WHEN i % 5 = 0 THEN NULL ELSE range(i % 7)::BIGINT[] END AS l,
        CASE WHEN i % 3 = 0 THEN NULL ELSE MAP {'i': i::DOUBLE} END AS m,
        CASE WHEN i % 6 = 0 THEN NULL ELSE [{'x': (i / 4)::DECIMAL(10,2), 'ys': CASE WHEN i % 2 = 0 THEN ['e'] ELSE [] END}] END AS ls
        FROM range(3000) r(i)`,
    ],
    wheres: ['s IS NULL', 'l IS NOT NULL AND id < 6'],
  },
  // fixed[4]: no data file (DuckDB has no fixed type); the test appends with floe load,
  // so the FIXED_LEN_BYTE_ARRAY(4) file is floe's, read back by DuckDB as a BLOB
  fixed: {
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'f', required: false, type: 'fixed[4]' },
    ],
    files: [],
    wheres: [["f = '\\x00000000'", "f = '\\x00\\x00\\x00\\x00'::BLOB"], ["f > '\\x7fffffff'", "f > '\\x7F\\xFF\\xFF\\xFF'::BLOB"], 'f IS NULL'],
  },
  // TIME (INT64 TIME(MICROS)), UUID (16-byte FIXED_LEN_BYTE_ARRAY, UUID logical type),
  // BLOB (unannotated BYTE_ARRAY) as Iceberg time, uuid, binary
  types: {
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 't', required: false, type: 'time' },
      { id: 3, name: 'u', required: false, type: 'uuid' },
      { id: 4, name: 'b', required: false, type: 'binary' },
    ],
    files: [
      `SELECT * FROM (VALUES
        (1::BIGINT, TIME '00:00:00', UUID '00000000-0000-0000-0000-000000000000', ''::BLOB),
        (2, TIME '23:59:59.999999', UUID 'ffffffff-ffff-ffff-ffff-ffffffffffff', '\\x00\\xFF\\x7F'::BLOB),
        (3, TIME '12:30:00.5', UUID '123e4567-e89b-12d3-a456-426614174000', 'abc'::BLOB),
        (4, NULL, NULL, NULL),
        (5, TIME '08:00:00.000001', UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x80'::BLOB)) t(id, t, u, b)`,
      `SELECT (10 + i)::BIGINT AS id, (TIME '01:02:03' + INTERVAL (i) SECOND) AS t,
        CASE WHEN i % 2 = 0 THEN UUID '123e4567-e89b-12d3-a456-426614174000' END AS u,
        CASE i % 3 WHEN 0 THEN 'x'::BLOB WHEN 1 THEN '\\x01\\x02'::BLOB END AS b
        FROM range(2000) r(i)`,
    ],
    wheres: [
      "t > '12:00:00'", "t = '23:59:59.999999'", "t BETWEEN '00:00:00' AND '01:02:04'", 't IS NULL',
      "u = '123e4567-e89b-12d3-a456-426614174000'", "u > '80000000-0000-0000-0000-000000000000'",
      "u IN ('00000000-0000-0000-0000-000000000000', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')",
      // [floe's condition, DuckDB's]: floe reads '\x' + hex digits, DuckDB '\xHH' a byte
      ["b = '\\x617863'", "b = '\\x61\\x78\\x63'::BLOB"], ["b = '\\x616263'", "b = 'abc'::BLOB"],
      ["b >= '\\x80'", "b >= '\\x80'::BLOB"], 'b IS NULL',
    ],
  },
  // DECIMAL(38,9) and DECIMAL(22,2) as FIXED_LEN_BYTE_ARRAY, DECIMAL(12,2) as INT64,
  // DECIMAL(4,1) as INT32 (DuckDB's choices), values at the edges of each
  decimals: {
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'w', required: false, type: 'decimal(38, 9)' },
      { id: 3, name: 'v', required: false, type: 'decimal(22, 2)' },
      { id: 4, name: 'm', required: false, type: 'decimal(12, 2)' },
      { id: 5, name: 's', required: false, type: 'decimal(4, 1)' },
    ],
    files: [
      `SELECT * FROM (VALUES
        (1::BIGINT, '99999999999999999999999999999.999999999'::DECIMAL(38,9), '-12345678901234567890.12'::DECIMAL(22,2), '9999999999.99'::DECIMAL(12,2), '999.9'::DECIMAL(4,1)),
        (2, '-99999999999999999999999999999.999999999', NULL, '-9999999999.99', '-999.9'),
        (3, '0.000000001', '99999999999999999999.99', NULL, '0.1'),
        (4, NULL, '-0.01', '0', NULL)) t(id, w, v, m, s)`,
      `SELECT * FROM (VALUES
        (5::BIGINT, '18446744073709551616.5'::DECIMAL(38,9), '-99999999999999999999.99'::DECIMAL(22,2), '0.01'::DECIMAL(12,2), '-0.1'::DECIMAL(4,1)),
        (6, '-9223372036854775809', '1', '-0.01', '12.3'),
        (7, '-0.000000001', '0', '1234567890.12', '0')) t(id, w, v, m, s)`,
      // 3000 rows of three values (DuckDB 1.5 still writes its FIXED_LEN_BYTE_ARRAYs PLAIN)
      `SELECT (100 + i)::BIGINT AS id,
        (CASE i % 3 WHEN 0 THEN '-1.5' WHEN 1 THEN '12345678901234567890.123456789' END)::DECIMAL(38,9) AS w,
        (CASE i % 3 WHEN 0 THEN '99999999999999999999.99' WHEN 1 THEN '-7' END)::DECIMAL(22,2) AS v,
        (i % 5)::DECIMAL(12,2) AS m, NULL::DECIMAL(4,1) AS s
        FROM range(3000) r(i)`,
    ],
    wheres: [
      "w > '18446744073709551616.4'", 'w > 18446744073709551616.4', 'w < -9223372036854775808',
      "w = '12345678901234567890.123456789'", 'w BETWEEN -2 AND 0', 'w IS NULL', 'v < 0',
      "v >= '99999999999999999999.99'", 'm > 1234567890', 's <= -0.1', 'w < 0 AND v > 0',
    ],
  },
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
const ENTRY_SCHEMA = {
  type: 'record', name: 'manifest_entry', fields: [
    req('int', 0, 'status'), opt('long', 1, 'snapshot_id'), opt('long', 3, 'sequence_number'),
    opt('long', 4, 'file_sequence_number'),
    {
      name: 'data_file', 'field-id': 2, type: {
        type: 'record', name: 'r2', fields: [
          req('int', 134, 'content'), req('string', 100, 'file_path'), req('string', 101, 'file_format'),
          { name: 'partition', 'field-id': 102, type: { type: 'record', name: 'r102', fields: [] } },
          req('long', 103, 'record_count'), req('long', 104, 'file_size_in_bytes'),
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

export async function makeTable(dataDir, qualified, spec, corpus = false) {
  const t = TABLES[spec]
  if (!t) throw new Error(`no table spec ${spec}`)
  const [ns, name] = qualified.split('.')
  const dir = corpus ? resolve(dataDir, `duckdb_${spec}`) : resolve(dataDir, 'foreign', ns, name)
  // the paths written into metadata and manifests: ours, or another machine's
  const loc = corpus ? `/home/someone-else/warehouse/duckdb_${spec}` : dir
  const uri = p => `file://${loc}${p.slice(dir.length)}`
  mkdirSync(join(dir, 'data'), { recursive: true })
  mkdirSync(join(dir, 'metadata'), { recursive: true })
  const ids = t.fieldIds || '{' + t.fields.map(f => `${f.name}: ${f.id}`).join(', ') + '}'
  const manifests = []
  const snapshots = []
  let parent = null
  let seq = 0
  for (const sql of t.files) {
    seq++
    const rel = `data/0000${seq}-duckdb.parquet`
    const path = join(dir, rel)
    await duckAll(`COPY (${sql}) TO ${sqlStr(path)} (FORMAT parquet, FIELD_IDS ${ids})`)
    const rows = BigInt((await duckAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${sqlStr(path)})`))[0].n)
    const sid = BigInt(2000 + seq) * 1000003n
    const mrel = `metadata/data-${seq}-m0.avro`
    avro(join(dir, mrel), ENTRY_SCHEMA, [{ status: 1, snapshot_id: sid, sequence_number: null, file_sequence_number: null,
      data_file: { content: 0, file_path: uri(path), file_format: 'PARQUET', partition: {}, record_count: rows,
        file_size_in_bytes: BigInt(statSync(path).size) } }])
    manifests.push({ manifest_path: uri(join(dir, mrel)), manifest_length: BigInt(statSync(join(dir, mrel)).size),
      partition_spec_id: 0, content: 0, sequence_number: BigInt(seq), min_sequence_number: BigInt(seq),
      added_snapshot_id: sid, added_files_count: 1, existing_files_count: 0, deleted_files_count: 0,
      added_rows_count: rows, existing_rows_count: 0n, deleted_rows_count: 0n })
    const lrel = `metadata/snap-${sid}-1-list.avro`
    avro(join(dir, lrel), LIST_SCHEMA, manifests)
    const snap = { 'snapshot-id': sid, 'sequence-number': seq, 'timestamp-ms': 1767225600000 + seq * 1000,
      'manifest-list': uri(join(dir, lrel)), summary: { operation: 'append' }, 'schema-id': 0 }
    if (parent) snap['parent-snapshot-id'] = parent
    parent = sid
    snapshots.push(snap)
  }
  const meta = {
    'format-version': 2, 'table-uuid': '4d3c2b1a-0f9e-4d8c-a7b6-c5d4e3f2a1b0', location: `file://${loc}`,
    'last-sequence-number': seq, 'last-updated-ms': 1767225600000 + seq * 1000,
    'last-column-id': Math.max(...t.fields.map(f => f.id)), 'current-schema-id': 0,
    schemas: [{ type: 'struct', 'schema-id': 0, fields: t.fields }], 'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: [] }], 'last-partition-id': 999,
    'default-sort-order-id': 0, 'sort-orders': [{ 'order-id': 0, fields: [] }], properties: {},
    'current-snapshot-id': parent ?? -1, refs: parent ? { main: { 'snapshot-id': parent, type: 'branch' } } : {}, snapshots,
    'snapshot-log': snapshots.map(s => ({ 'timestamp-ms': s['timestamp-ms'], 'snapshot-id': s['snapshot-id'] })),
  }
  // snapshot ids as JSON numbers (above 2^53: no Number holds them)
  const text = JSON.stringify(meta, (k, v) => (typeof v === 'bigint' ? `@@${v}@@` : v), 2).replace(/"@@(-?\d+)@@"/g, '$1')
  const mpath = join(dir, 'metadata', `v${seq + 1}.metadata.json`)
  writeFileSync(mpath, text)
  writeFileSync(join(dir, 'metadata', 'version-hint.text'), String(seq + 1))
  if (corpus) {
    const where = (t.wheres || []).filter(w => !Array.isArray(w)) // those both engines read alike
    writeFileSync(join(dir, 'floe-test.json'), JSON.stringify({ metadata: `metadata/v${seq + 1}.metadata.json`, where }) + '\n')
    return mpath
  }
  const db = join(dataDir, 'catalog.db')
  const q = s => `'${s.replace(/'/g, "''")}'`
  execFileSync('sqlite3', [db, `CREATE TABLE IF NOT EXISTS iceberg_tables (catalog_name VARCHAR(255) NOT NULL,
    table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000),
    previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5),
    PRIMARY KEY (catalog_name, table_namespace, table_name));
    CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL,
    namespace VARCHAR(255) NOT NULL, property_key VARCHAR(255), property_value VARCHAR(1000),
    PRIMARY KEY (catalog_name, namespace, property_key));
    INSERT OR IGNORE INTO iceberg_namespace_properties VALUES ('floe', ${q(ns)}, 'exists', 'true');
    INSERT INTO iceberg_tables VALUES ('floe', ${q(ns)}, ${q(name)}, ${q('file://' + mpath)}, NULL, 'TABLE');`])
  return mpath
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = process.argv.slice(2)
  if (a[0] === '--corpus' && a.length === 3) console.log(await makeTable(a[1], 'corpus.t', a[2], true))
  else if (a.length === 3) console.log(await makeTable(a[0], a[1], a[2]))
  else throw new Error('usage: node make_duckdb_table.mjs DATA_DIR NS.TABLE SPEC | --corpus DIR SPEC')
  process.exit(0)
}
