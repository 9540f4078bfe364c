// check_deletes.mjs: the position delete files of a floe table, as other engines
// need them (Iceberg spec "Position Delete Files"). Exit 0 = all good, 1 = failures
// printed with details.
//
//   node check_deletes.mjs --data DIR --table ns.t
//
// For every live delete file of the current snapshot (manifests read by icebird):
//   - columns file_path (field id 2147483546, string, required) and pos (2147483545,
//     long, required), in that order, per DuckDB's parquet_schema;
//   - rows sorted by (file_path, pos), no duplicates, every pos < the target data
//     file's record_count, every file_path a live data file of the snapshot;
//   - DuckDB and hyparquet read the same rows; record_count and size exact (the
//     generic manifest checks of check_table.mjs cover those too);
//   - the manifest holding it has content = 1 (deletes) in the manifest list;
//   - Java/Spark/Trino apply a position delete file only to data files of the SAME
//     partition (spec "Scan Planning") with a data sequence number <= its own, and only
//     to referenced_data_file when that is set: every target must satisfy all three.
import {
  Report, duckAll, hyparquetRead, icebirdManifestEntries, installFileFetch, readCurrentMetadata, sqlStr,
  tableDir, uriToPath,
} from './lib.mjs'

const FILE_PATH_ID = 2147483546
const POS_ID = 2147483545

async function main() {
  const args = {}
  for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1]
  const rep = new Report(`deletes ${args.table}`)
  const tdir = tableDir(args.data, args.table)
  const m = readCurrentMetadata(tdir).json
  const entries = (await icebirdManifestEntries(m)).filter(e => e.status !== 2)
  const data = new Map(entries.filter(e => !e.data_file.content).map(e => [e.data_file.file_path, e]))
  const deletes = entries.filter(e => e.data_file.content === 1)
  rep.check('the snapshot has position delete files', deletes.length ? [] : ['none'])

  // Manifest list: the manifests holding delete files say content = 1.
  installFileFetch()
  const { avroMetadata, avroRead } = await import('icebird')
  const snap = m.snapshots.find(s => s['snapshot-id'] === m['current-snapshot-id'])
  const buf = await (await fetch(snap['manifest-list'])).arrayBuffer()
  const reader = { view: new DataView(buf), offset: 0 }
  const { metadata, syncMarker } = await avroMetadata(reader)
  const list = await avroRead({ reader, metadata, syncMarker })
  const contentOf = new Map(list.map(r => [r.manifest_path, r.content]))
  const wrongManifest = deletes.filter(e => contentOf.get(e.manifest) !== 1)
  rep.check('manifests of delete files have content = 1 in the manifest list',
    wrongManifest.map(e => `${e.manifest}: content ${contentOf.get(e.manifest)}`))

  for (const e of deletes) {
    const p = uriToPath(e.data_file.file_path)
    const short = p.slice(tdir.length + 1)
    const schema = (await duckAll(`SELECT name, type, repetition_type, converted_type, field_id FROM parquet_schema(${sqlStr(p)})`))
      .filter(r => r.type !== null)
    const problems = []
    const want = [['file_path', 'BYTE_ARRAY', FILE_PATH_ID], ['pos', 'INT64', POS_ID]]
    if (schema.length !== 2) problems.push(`${schema.length} columns: ${schema.map(r => r.name).join(',')}`)
    want.forEach(([name, type, id], i) => {
      const c = schema[i]
      if (!c) return
      if (c.name !== name || c.type !== type || Number(c.field_id) !== id || c.repetition_type !== 'REQUIRED') {
        problems.push(`column ${i}: ${c.name} ${c.type} ${c.repetition_type} field_id ${c.field_id}, expected ${name} ${type} REQUIRED field_id ${id}`)
      }
    })
    rep.check(`${short}: schema file_path, pos with the reserved field ids`, problems)

    const rows = await duckAll(`SELECT file_path, pos::BIGINT pos FROM read_parquet(${sqlStr(p)}, hive_partitioning = false)`)
    const order = []
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]
      const target = data.get(r.file_path)
      if (!target) { order.push(`row ${i}: ${r.file_path} is not a live data file`); continue }
      if (BigInt(r.pos) < 0n || BigInt(r.pos) >= BigInt(target.data_file.record_count)) order.push(`row ${i}: pos ${r.pos} outside 0..${target.data_file.record_count - 1n}`)
      if (i > 0) {
        const q = rows[i - 1]
        const c = Buffer.compare(Buffer.from(q.file_path), Buffer.from(r.file_path))
        if (c > 0 || (c === 0 && BigInt(q.pos) >= BigInt(r.pos))) order.push(`row ${i}: (${r.file_path}, ${r.pos}) not after (${q.file_path}, ${q.pos})`)
      }
      if (order.length > 5) break
    }
    rep.check(`${short}: ${rows.length} rows sorted by (file_path, pos), unique, in range`, order)

    const scope = []
    const key = t => JSON.stringify(t, (k, v) => (v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? String(v) : v === undefined ? null : v))
    const ref = e.data_file.referenced_data_file
    for (const path of new Set(rows.map(r => r.file_path))) {
      const target = data.get(path)
      if (!target) continue
      if (key(target.data_file.partition) !== key(e.data_file.partition)) {
        scope.push(`targets ${path} of partition ${key(target.data_file.partition)} but is in partition ${key(e.data_file.partition)}`)
      }
      if (BigInt(target.sequence_number) > BigInt(e.sequence_number)) {
        scope.push(`targets ${path} of sequence number ${target.sequence_number} > its own ${e.sequence_number}`)
      }
      if (ref && ref !== path) scope.push(`referenced_data_file ${ref} but holds rows of ${path}`)
    }
    rep.check(`${short}: applies under Java's rules (same partition, seq <=, referenced file)`, scope)

    try {
      const hy = (await hyparquetRead(p)).rows
      const diffs = []
      if (hy.length !== rows.length) diffs.push(`hyparquet ${hy.length} rows, DuckDB ${rows.length}`)
      for (let i = 0; i < Math.min(hy.length, rows.length) && diffs.length < 5; i++) {
        if (hy[i].file_path !== rows[i].file_path || BigInt(hy[i].pos) !== BigInt(rows[i].pos)) {
          diffs.push(`row ${i}: hyparquet (${hy[i].file_path}, ${hy[i].pos}) != DuckDB (${rows[i].file_path}, ${rows[i].pos})`)
        }
      }
      rep.check(`${short}: hyparquet == DuckDB`, diffs)
    } catch (err) {
      rep.check(`${short}: hyparquet reads it`, [err.message])
    }
  }
  rep.finish()
}

main().catch(e => { console.error(e); process.exit(2) })
