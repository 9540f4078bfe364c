// check_table.mjs: proves one floe table reads identically through engines floe did
// not write. Exit 0 = every check passed; otherwise each failure is printed with a
// diff (first rows that differ, with the reader and column) and the exit code is 1.
//
//   node check_table.mjs --floe BIN --data DIR --table ns.t [options]
//     --json a,b            string columns holding JSON text (compared as exact text)
//     --codec ZSTD          codec of the table: every column chunk uses it or UNCOMPRESSED
//                           (floe's writer drops the codec from a chunk it shrinks by
//                           under 10%, e.g. every chunk of a 9-row file; DuckDB parquet_metadata)
//     --delta a,b           columns with DELTA_BINARY_PACKED chunks (some chunk of each)
//     --dict a,b            columns whose chunks must be dictionary-encoded
//     --plain a,b           columns with a PLAIN-only chunk (no dictionary page)
//     --min-row-groups N    some data file must have at least N row groups
//     --rows N              expected row count of the table (deletes applied)
//     --min-files N         the current snapshot must have at least N data files
//     --deleted N           expected number of rows hidden by position deletes
//     --partition-dirs a,b  data file paths must contain a=.../b=... directories
//     --no-icebird          skip icebird (e.g. a table icebird cannot read, said why)
//     --no-orphans          fail if a Parquet file under data/ is not in the snapshot
//     --manifests-max N     the snapshot has at most N manifests (they were merged) and
//                           some EXISTING entries (icebird requires their explicit
//                           sequence numbers, so reading them proves those)
//     --history             also every older metadata/vN.metadata.json with a snapshot:
//                           icebird reading it == floe cat --snapshot ID (time travel)
//
// What is checked (tests/interop/README.md has the list with the reasons):
//   metadata   version-hint.text -> vN.metadata.json; current snapshot > 0 == refs.main;
//              absolute URIs; sequence numbers
//   manifests  (read by icebird's Avro reader) every live file exists, its
//              file_size_in_bytes is exact, its record_count equals DuckDB's count;
//              value/null counts and lower/upper bounds equal the data's; partition
//              directories == partition tuple == transform of every row
//   per file   parquet_schema: every leaf has the Iceberg field_id and the physical,
//              converted and logical types of its Iceberg type; parquet_metadata:
//              codec, min/max statistics equal to DuckDB's min()/max() of the data,
//              null counts, encodings; footer keys; DuckDB rows == hyparquet rows
//   table      floe cat == DuckDB (field-id projection to the current schema, position
//              deletes applied) == icebird (icebergRead, deletes applied by icebird)
//   history    (--history) older snapshots: icebird == floe cat --snapshot
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import {
  Report, currentSchema, diffMultiset, diffOrdered, duckAll, duckSelectList, duckType, floeCat,
  approxDecimals, hyparquetRead, icebirdManifestEntries, icebirdRead, listParquet, normRows, normValue, parseType,
  readCurrentMetadata, sqlStr, tableDir, uriToPath,
} from './lib.mjs'

function parseArgs(argv) {
  const a = { json: [], dict: [], plain: [], delta: [], partitionDirs: [] }
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i]
    const v = () => argv[++i]
    const list = () => v().split(',').filter(Boolean)
    if (k === '--floe') a.floe = v()
    else if (k === '--data') a.data = v()
    else if (k === '--table') a.table = v()
    else if (k === '--json') a.json = list()
    else if (k === '--codec') a.codec = v()
    else if (k === '--dict') a.dict = list()
    else if (k === '--plain') a.plain = list()
    else if (k === '--delta') a.delta = list()
    else if (k === '--min-row-groups') a.minRowGroups = Number(v())
    else if (k === '--rows') a.rows = Number(v())
    else if (k === '--min-files') a.minFiles = Number(v())
    else if (k === '--deleted') a.deleted = Number(v())
    else if (k === '--partition-dirs') a.partitionDirs = list()
    else if (k === '--no-icebird') a.noIcebird = true
    else if (k === '--history') a.history = true
    else if (k === '--no-orphans') a.noOrphans = true
    else if (k === '--manifests-max') a.manifestsMax = Number(v())
    else throw new Error(`unknown argument ${k}`)
  }
  for (const k of ['floe', 'data', 'table']) if (!a[k]) throw new Error(`--${k} is required`)
  return a
}

// Expected Parquet annotations of an Iceberg primitive type (REFERENCE §5 table).
function expectedParquet(type) {
  const t = parseType(type)
  switch (t.kind) {
    case 'boolean': return { type: 'BOOLEAN' }
    case 'int': return { type: 'INT32' }
    case 'long': return { type: 'INT64' }
    case 'float': return { type: 'FLOAT' }
    case 'double': return { type: 'DOUBLE' }
    case 'string': return { type: 'BYTE_ARRAY', converted: /^(UTF8|JSON)$/, logical: /String|Json/i }
    case 'date': return { type: 'INT32', converted: 'DATE', logical: /Date/i }
    case 'timestamp': return { type: 'INT64', converted: 'TIMESTAMP_MICROS', logical: /Timestamp.*isAdjustedToUTC=0.*MICROS=MicroSeconds/is }
    case 'timestamptz': return { type: 'INT64', converted: 'TIMESTAMP_MICROS', logical: /Timestamp.*isAdjustedToUTC=1.*MICROS=MicroSeconds/is }
    case 'decimal':
      return {
        type: t.precision <= 9 ? 'INT32' : t.precision <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY',
        converted: 'DECIMAL', scale: t.scale, precision: t.precision, logical: /Decimal/i,
      }
    default: return { type: '?' }
  }
}

// Columns some file annotates as converted_type JSON: icebird's hyparquet 1.19 parses
// those, so its values arrive parsed rather than as text.
const jsonConverted = new Set()

async function checkFileSchema(rep, file, short, fileFields) {
  const elems = await duckAll(`SELECT * FROM parquet_schema(${sqlStr(file)})`)
  const leaves = elems.filter(e => e.type !== null)
  for (const e of leaves) if (e.converted_type === 'JSON') jsonConverted.add(e.name)
  const byId = new Map(leaves.map(e => [e.field_id === null ? null : Number(e.field_id), e]))
  const problems = []
  for (const leaf of leaves) {
    if (leaf.field_id === null) problems.push(`column ${leaf.name}: no field_id`)
  }
  if (leaves.length !== fileFields.length) {
    problems.push(`${leaves.length} columns in the file, ${fileFields.length} in its Iceberg schema`)
  }
  for (const f of fileFields) {
    const e = byId.get(f.id)
    if (!e) { problems.push(`field id ${f.id} (${f.name}) not found among the file's field_ids`); continue }
    const want = expectedParquet(f.type)
    const got = `${e.type}/${e.converted_type}/${e.logical_type}`
    if (e.type !== want.type) problems.push(`${f.name}: physical type ${e.type}, expected ${want.type}`)
    const convOk = want.converted instanceof RegExp ? want.converted.test(String(e.converted_type)) : e.converted_type === want.converted
    if (want.converted && !convOk) {
      problems.push(`${f.name}: converted_type ${e.converted_type}, expected ${want.converted} (hyparquet 1.19 in icebird needs it)`)
    }
    if (want.logical && !(e.logical_type && want.logical.test(String(e.logical_type)))) {
      problems.push(`${f.name}: logical_type ${e.logical_type}, expected ${want.logical} (${got})`)
    }
    if (want.scale !== undefined && (Number(e.scale) !== want.scale || Number(e.precision) !== want.precision)) {
      problems.push(`${f.name}: decimal(${e.precision},${e.scale}), expected decimal(${want.precision},${want.scale})`)
    }
    const repWant = f.required ? 'REQUIRED' : 'OPTIONAL'
    if (e.repetition_type !== repWant) problems.push(`${f.name}: repetition ${e.repetition_type}, expected ${repWant}`)
  }
  rep.check(`${short}: parquet_schema has field ids and Iceberg types`, problems)
}

async function checkFileMetadata(rep, file, short, fileFields, args, stats) {
  const md = await duckAll(`SELECT * FROM parquet_metadata(${sqlStr(file)})`)
  const problems = []
  const rowGroups = new Set(md.map(r => String(r.row_group_id)))
  stats.maxRowGroups = Math.max(stats.maxRowGroups, rowGroups.size)
  if (args.codec) {
    const bad = md.filter(r => r.compression !== args.codec && r.compression !== 'UNCOMPRESSED')
    if (bad.length) problems.push(`${bad.length} column chunks not ${args.codec}: ${[...new Set(bad.map(r => r.compression))].join(',')}`)
  }
  rep.check(`${short}: codec ${args.codec || '(any)'} (or UNCOMPRESSED) on every chunk`, problems)

  // Statistics: per column over the whole file, min of the row-group mins must equal
  // DuckDB's min() of the decoded data (and max likewise); null counts add up.
  const statProblems = []
  for (const f of fileFields) {
    const chunks = md.filter(r => r.path_in_schema === f.name)
    if (!chunks.length) { statProblems.push(`${f.name}: no column chunks`); continue }
    const q = `"${f.name.replace(/"/g, '""')}"`
    const k = parseType(f.type).kind
    if (k === 'boolean') continue
    const [agg] = await duckAll(`SELECT CAST(min(${q}) AS VARCHAR) mn, CAST(max(${q}) AS VARCHAR) mx,
        count(*) - count(${q}) AS n_null FROM read_parquet(${sqlStr(file)}, hive_partitioning = false)`)
    const nullSum = chunks.reduce((s, r) => s + (r.stats_null_count === null ? NaN : Number(r.stats_null_count)), 0)
    if (nullSum !== Number(agg.n_null)) statProblems.push(`${f.name}: stats null_count sum ${nullSum}, data has ${agg.n_null} nulls`)
    for (const r of chunks) {
      if (r.stats_min_value === null && Number(r.stats_null_count) < Number(r.num_values)) {
        statProblems.push(`${f.name} row group ${r.row_group_id}: no min_value although it has non-null values`)
      }
    }
    if (agg.mn === null) continue
    // Compare as DuckDB renders both; strings are compared bytewise by both sides.
    const mins = chunks.map(r => r.stats_min_value).filter(v => v !== null)
    const maxs = chunks.map(r => r.stats_max_value).filter(v => v !== null)
    const num = ['int', 'long', 'float', 'double', 'decimal'].includes(k)
    const cmp = (a, b) => num ? Number(a) - Number(b) : (Buffer.compare(Buffer.from(a), Buffer.from(b)))
    const fileMin = mins.reduce((a, b) => (cmp(a, b) <= 0 ? a : b))
    const fileMax = maxs.reduce((a, b) => (cmp(a, b) >= 0 ? a : b))
    const same = (a, b) => num ? Number(a) === Number(b) : a === b
    if (!same(fileMin, agg.mn)) statProblems.push(`${f.name}: stats min ${JSON.stringify(fileMin)}, data min ${JSON.stringify(agg.mn)}`)
    if (!same(fileMax, agg.mx)) statProblems.push(`${f.name}: stats max ${JSON.stringify(fileMax)}, data max ${JSON.stringify(agg.mx)}`)
  }
  rep.check(`${short}: min/max/null_count statistics match the data`, statProblems)

  const encProblems = []
  for (const col of args.dict) {
    for (const r of md.filter(x => x.path_in_schema === col)) {
      if (!/DICTIONARY/.test(r.encodings)) encProblems.push(`${col} row group ${r.row_group_id}: encodings ${r.encodings}, expected a dictionary`)
      if (r.dictionary_page_offset === null) encProblems.push(`${col} row group ${r.row_group_id}: no dictionary_page_offset`)
    }
  }
  for (const col of args.plain) {
    const chunks = md.filter(x => x.path_in_schema === col)
    // PLAIN only: no dictionary page at all (a dictionary chunk lists PLAIN too, for
    // its dictionary page, so the encodings list alone proves nothing)
    const plainOnly = r => !/DICTIONARY/.test(r.encodings) && r.dictionary_page_offset === null
    if (chunks.length && !chunks.some(plainOnly)) {
      encProblems.push(`${col}: encodings ${chunks.map(r => r.encodings).join(' | ')}, expected PLAIN data pages without a dictionary`)
    }
    stats.plainSeen ||= chunks.some(plainOnly)
  }
  for (const col of args.delta) {
    const chunks = md.filter(x => x.path_in_schema === col)
    if (chunks.some(r => /DELTA_BINARY_PACKED/.test(r.encodings))) stats.deltaSeen.add(col)
  }
  rep.check(`${short}: encodings (dictionary: ${args.dict.join(',') || '-'}; plain: ${args.plain.join(',') || '-'})`, encProblems)
}

// Partition values, three ways: the key=value directories of the file's path, the
// manifest's partition tuple (icebird's Avro reader), and the transform applied to
// every row of the file (DuckDB's read): all must agree. Supports identity and day.
function checkPartitionDirs(rep, short, tuple, spec, fileFields, rows) {
  if (!spec.fields.length) return
  const problems = []
  const dirs = new Map(short.split('/').slice(1, -1).map(seg => {
    const i = seg.indexOf('=')
    return [seg.slice(0, i), decodeURIComponent(seg.slice(i + 1))]
  }))
  for (const pf of spec.fields) {
    const dir = dirs.get(pf.name)
    if (dir === undefined) { problems.push(`no ${pf.name}= directory`); continue }
    const src = fileFields.find(f => f.id === pf['source-id'])
    if (!src) continue
    const kind = parseType(src.type).kind
    const rowValue = r => {
      const v = r[src.name]
      if (v === null) return 'null'
      if (pf.transform === 'identity') return v
      if (pf.transform === 'day') {
        if (kind === 'date') return v
        const days = Number((BigInt(v) - ((BigInt(v) % 86400000000n) + 86400000000n) % 86400000000n) / 86400000000n)
        return new Date(days * 86400000).toISOString().slice(0, 10)
      }
      return undefined
    }
    const seen = new Set(rows.map(rowValue))
    if (seen.has(undefined)) continue
    if (seen.size !== 1 || !seen.has(dir)) problems.push(`${pf.name}=${dir} but rows give ${[...seen].slice(0, 3).join(', ')}`)
    if (!tuple || !(pf.name in tuple)) { problems.push(`manifest partition tuple has no ${pf.name}`); continue }
    let tv = tuple[pf.name]
    if (tv === null || tv === undefined) tv = 'null'   // icebird reads Avro null as undefined
    else if (tv instanceof Date) tv = tv.toISOString().slice(0, 10)
    else if (pf.transform === 'day' && typeof tv === 'number') tv = new Date(tv * 86400000).toISOString().slice(0, 10)
    else if (kind === 'decimal' && typeof tv === 'number') {
      // icebird's Avro reader decodes decimals to JS numbers: compared at 15 digits
      // (the bounds, decoded from bytes by decodeBound, are compared exactly)
      tv = tv.toPrecision(15)
      if (dir !== 'null') dirs.set(pf.name, Number(dir).toPrecision(15))
    } else tv = String(tv)
    if (tv !== (dirs.get(pf.name) ?? dir)) problems.push(`${pf.name}=${dir} but the manifest says ${tv}`)
  }
  rep.check(`${short}: partition directories == manifest tuple == rows`, problems)
}

// Decodes an Iceberg single-value serialization (spec Appendix D) into a value
// normValue understands.
function decodeBound(bytes, type) {
  const b = Buffer.from(bytes)
  const t = parseType(type)
  switch (t.kind) {
    case 'boolean': return b[0] !== 0
    case 'int': return b.readInt32LE(0)
    case 'date': return b.readInt32LE(0)   // days
    case 'long': case 'timestamp': case 'timestamptz': return b.readBigInt64LE(0)
    case 'float': return b.readFloatLE(0)
    case 'double': return b.readDoubleLE(0)
    case 'decimal': {
      let v = 0n
      for (const x of b) v = (v << 8n) | BigInt(x)
      if (b.length && b[0] & 0x80) v -= 1n << BigInt(8 * b.length)
      const neg = v < 0n
      const digits = (neg ? -v : v).toString().padStart(t.scale + 1, '0')
      return (neg ? '-' : '') + (t.scale ? digits.slice(0, -t.scale) + '.' + digits.slice(-t.scale) : digits)
    }
    case 'string': return b.toString('utf8')
    default: return undefined
  }
}

// The manifest's column metrics (value, null counts, lower/upper bounds by field id),
// which engines use to prune files, against the data as DuckDB decodes it. String
// bounds may be truncated (Iceberg truncate(16)): the lower bound must be a prefix
// of the minimum and the upper bound >= the maximum.
async function checkManifestMetrics(rep, short, df, file, fileFields, jsonCols) {
  const problems = []
  const kv = list => new Map((list || []).map(e => [Number(e.key), e.value]))
  const values = kv(df.value_counts)
  const nulls = kv(df.null_value_counts)
  const lower = kv(df.lower_bounds)
  const upper = kv(df.upper_bounds)
  const sel = fileFields.map((f, i) => {
    const q = `"${f.name.replace(/"/g, '""')}"`
    const k = parseType(f.type).kind
    const conv = x => (k === 'timestamp' || k === 'timestamptz') ? `CAST(epoch_us(${x}) AS VARCHAR)`
      : ['long', 'int', 'decimal', 'date'].includes(k) ? `CAST(${x} AS VARCHAR)` : x
    return `${conv(`min(${q})`)} AS mn${i}, ${conv(`max(${q})`)} AS mx${i}, count(${q})::BIGINT AS nn${i}`
  }).join(', ')
  const [agg] = await duckAll(`SELECT count(*)::BIGINT AS n, ${sel} FROM read_parquet(${sqlStr(file)}, hive_partitioning = false)`)
  fileFields.forEach((f, i) => {
    const type = parseType(f.type)
    const rows = BigInt(agg.n)
    const nonNull = BigInt(agg[`nn${i}`])
    if (values.has(f.id) && BigInt(values.get(f.id)) !== rows) problems.push(`${f.name}: value_counts ${values.get(f.id)}, file has ${rows} values`)
    if (!values.has(f.id)) problems.push(`${f.name}: no value_counts`)
    if (nulls.has(f.id) && BigInt(nulls.get(f.id)) !== rows - nonNull) problems.push(`${f.name}: null_value_counts ${nulls.get(f.id)}, file has ${rows - nonNull} nulls`)
    if (!nulls.has(f.id)) problems.push(`${f.name}: no null_value_counts`)
    if (nonNull === 0n) {
      if (lower.has(f.id) || upper.has(f.id)) problems.push(`${f.name}: bounds on an all-null column`)
      return
    }
    if (!lower.has(f.id) || !upper.has(f.id)) { problems.push(`${f.name}: no lower/upper bound`); return }
    const opts = { json: false }
    const lo = normValue(decodeBound(lower.get(f.id), f.type), type, opts)
    const hi = normValue(decodeBound(upper.get(f.id), f.type), type, opts)
    const mn = normValue(agg[`mn${i}`], type, opts)
    const mx = normValue(agg[`mx${i}`], type, opts)
    if (type.kind === 'string') {
      const bl = Buffer.from(lo), bh = Buffer.from(hi), bmn = Buffer.from(mn), bmx = Buffer.from(mx)
      if (!(bmn.subarray(0, bl.length).equals(bl))) problems.push(`${f.name}: lower bound ${JSON.stringify(lo)} is not a prefix of the minimum ${JSON.stringify(mn)}`)
      if (Buffer.compare(bh, bmx) < 0) problems.push(`${f.name}: upper bound ${JSON.stringify(hi)} < maximum ${JSON.stringify(mx)}`)
    } else if (type.kind === 'float' || type.kind === 'double') {
      if (Number(lo) !== Number(mn) || Number(hi) !== Number(mx)) problems.push(`${f.name}: bounds [${lo}, ${hi}], data [${mn}, ${mx}]`)
    } else if (lo !== mn || hi !== mx) {
      problems.push(`${f.name}: bounds [${lo}, ${hi}], data [${mn}, ${mx}]`)
    }
  })
  void jsonCols
  rep.check(`${short}: manifest value/null counts and lower/upper bounds match the data`, problems)
}

// Footer facts other engines rely on: the iceberg.schema key (Java writes it; icebird
// maps renamed columns through it), one column order per leaf (min/max are undefined
// without), created_by in parquet-mr's "name version x.y.z (build h)" shape.
async function checkFooter(rep, file, short, hasKv) {
  const problems = []
  if (!hasKv) problems.push('no iceberg.schema key/value metadata')
  const [fm] = await duckAll(`SELECT created_by, num_rows::BIGINT n, column_orders FROM parquet_file_metadata(${sqlStr(file)})`)
  const leaves = await duckAll(`SELECT count(*)::BIGINT n FROM parquet_schema(${sqlStr(file)}) WHERE type IS NOT NULL`)
  const orders = fm.column_orders ? (fm.column_orders.items ?? fm.column_orders) : []
  if (!orders || orders.length !== Number(leaves[0].n)) problems.push(`column_orders: ${orders ? orders.length : 0} for ${leaves[0].n} columns`)
  if (!/^\S+ version \d+\.\d+\.\d+( \(build [^)]+\))?$/.test(fm.created_by || '')) problems.push(`created_by ${JSON.stringify(fm.created_by)} is not "name version x.y.z [(build h)]"`)
  rep.check(`${short}: footer has iceberg.schema, column orders, created_by`, problems)
}

// The SQL catalog (PyIceberg SqlCatalog / Java JdbcCatalog tables) in DIR/catalog.db,
// read with the sqlite3 shell: iceberg_tables.metadata_location of the table must be a
// file:// URI of a metadata file with the same content as vN.metadata.json.
function checkCatalog(dataDir, ident, hintMetaPath) {
  const [ns, name] = ident.split('.')
  const db = join(dataDir, 'catalog.db')
  if (!existsSync(db)) return [`${db}: missing`]
  let out
  try {
    out = execFileSync('sqlite3', ['-readonly', db,
      `SELECT metadata_location FROM iceberg_tables WHERE table_namespace = '${ns}' AND table_name = '${name}'`],
    { encoding: 'utf8' }).trim()
  } catch (err) {
    return [`sqlite3 ${db}: ${String(err.message).split('\n')[0]}`]
  }
  if (!out) return [`no iceberg_tables row for ${ident}`]
  if (!out.startsWith('file://')) return [`metadata_location ${out} is not a file:// URI`]
  const p = uriToPath(out)
  if (!existsSync(p)) return [`metadata_location ${out}: no such file`]
  const a = JSON.stringify(JSON.parse(readFileSync(p, 'utf8')))
  const b = JSON.stringify(JSON.parse(readFileSync(hintMetaPath, 'utf8')))
  return a === b ? [] : [`${p} and ${hintMetaPath} differ: readers by path and by catalog see different tables`]
}

// The Iceberg schema a data file was written with: its iceberg.schema footer key
// (what Java writes and icebird needs for renames), else the current schema.
async function fileSchema(file, fallback) {
  const kv = await duckAll(`SELECT decode(key) k, decode(value) v FROM parquet_kv_metadata(${sqlStr(file)})`)
  const e = kv.find(r => r.k === 'iceberg.schema')
  if (!e) return { fields: fallback, hasKv: false }
  return { fields: JSON.parse(e.v).fields, hasKv: true }
}

async function main() {
  const args = parseArgs(process.argv)
  const rep = new Report(`interop ${args.table}`)
  const tdir = tableDir(args.data, args.table)

  let meta
  try {
    meta = readCurrentMetadata(tdir)
  } catch (e) {
    rep.check('metadata readable by path (version-hint.text)', [e.message])
    return rep.finish()
  }
  const m = meta.json
  rep.check('metadata: format-version 2', m['format-version'] === 2 ? [] : [`format-version ${m['format-version']}`])
  rep.check('metadata: current-snapshot-id > 0 and in snapshots', (m['current-snapshot-id'] > 0 &&
    (m.snapshots || []).some(s => s['snapshot-id'] === m['current-snapshot-id'])) ? [] : [`current-snapshot-id ${m['current-snapshot-id']}`])
  const metaProblems = []
  if (!/^file:\/\//.test(m.location || '')) metaProblems.push(`location ${m.location} is not a file:// URI`)
  if (m.refs?.main?.['snapshot-id'] !== m['current-snapshot-id']) metaProblems.push(`refs.main ${JSON.stringify(m.refs?.main)} != current-snapshot-id`)
  for (const sn of m.snapshots || []) {
    if (!/^file:\/\//.test(sn['manifest-list'] || '')) metaProblems.push(`snapshot ${sn['snapshot-id']}: manifest-list ${sn['manifest-list']} is not a file:// URI`)
    if (!(sn['sequence-number'] > 0 && sn['sequence-number'] <= m['last-sequence-number'])) metaProblems.push(`snapshot ${sn['snapshot-id']}: sequence-number ${sn['sequence-number']}`)
  }
  rep.check('metadata: absolute URIs, refs.main, sequence numbers', metaProblems)
  rep.check('catalog (SQL catalog tables, as PyIceberg/JDBC read them) points at the metadata of version-hint.text',
    checkCatalog(args.data, args.table, meta.path))
  const fields = currentSchema(m).fields.map(f => ({ id: f.id, name: f.name, type: f.type, required: f.required }))
  const cols = fields.map(f => f.name)

  // floe cat: the rows as floe says they are.
  let cat
  try {
    cat = normRows(floeCat(args.floe, args.data, args.table, [], args.json), fields, { jsonCols: args.json })
  } catch (e) {
    rep.check('floe cat runs', [e.message.split('\n').slice(0, 5).join('\n  ')])
    return rep.finish()
  }
  if (args.rows !== undefined) rep.check(`floe cat: ${args.rows} rows`, cat.length === args.rows ? [] : [`floe cat printed ${cat.length} rows`])

  // Manifests, read by icebird's Avro reader.
  let entries
  try {
    entries = (await icebirdManifestEntries(m)).filter(e => e.status !== 2)
  } catch (e) {
    rep.check('manifests readable by icebird', [e.message])
    return rep.finish()
  }
  if (args.manifestsMax !== undefined) {
    const nman = new Set(entries.map(e => e.manifest)).size
    const existing = entries.filter(e => e.status === 0).length
    const mp = []
    if (nman > args.manifestsMax) mp.push(`${nman} manifests`)
    if (!existing) mp.push('no EXISTING entries: nothing was merged')
    rep.check(`manifests merged: <= ${args.manifestsMax} manifests (${nman}), ${existing} EXISTING entries`, mp)
  }
  const dataEntries = entries.filter(e => !e.data_file.content)
  const deleteEntries = entries.filter(e => e.data_file.content === 1)
  if (args.minFiles) rep.check(`at least ${args.minFiles} data files`, dataEntries.length >= args.minFiles ? [] : [`${dataEntries.length} data files`])
  const other = entries.filter(e => e.data_file.content && e.data_file.content !== 1)
  rep.check('manifests: only data and position-delete files', other.length ? [`${other.length} entries of content ${other[0].data_file.content}`] : [])

  const manifestProblems = []
  for (const e of entries) {
    const df = e.data_file
    if (!/^file:\/\//.test(df.file_path)) { manifestProblems.push(`${df.file_path}: not an absolute file:// URI`); continue }
    const p = uriToPath(df.file_path)
    if (!existsSync(p)) { manifestProblems.push(`${df.file_path}: no such file`); continue }
    const size = statSync(p).size
    if (BigInt(size) !== BigInt(df.file_size_in_bytes)) manifestProblems.push(`${p}: file_size_in_bytes ${df.file_size_in_bytes}, file has ${size}`)
    const [c] = await duckAll(`SELECT count(*)::BIGINT n FROM read_parquet(${sqlStr(p)}, hive_partitioning = false)`)
    if (BigInt(c.n) !== BigInt(df.record_count)) manifestProblems.push(`${p}: record_count ${df.record_count}, DuckDB counts ${c.n}`)
    for (const pd of args.partitionDirs) {
      if (!df.content && !p.includes(`/${pd}=`)) manifestProblems.push(`${p}: no ${pd}=... directory`)
    }
  }
  const onDisk = listParquet(join(tdir, 'data'))
  const listed = new Set(entries.map(e => uriToPath(e.data_file.file_path)))
  const orphans = onDisk.filter(p => !listed.has(p))
  if (args.noOrphans) rep.check('no Parquet file under data/ outside the snapshot', orphans.map(o => `orphan ${o}`).slice(0, 5))
  else if (orphans.length) console.log(`note: ${orphans.length} parquet files under data/ not in the current snapshot (e.g. ${orphans[0]})`)
  rep.check(`manifests: ${dataEntries.length} data + ${deleteEntries.length} delete files exist, sizes and record counts exact`, manifestProblems)

  // Position deletes, read by DuckDB.
  const deleted = new Map()   // data file URI -> Set of positions
  let deletedTotal = 0
  for (const e of deleteEntries) {
    const p = uriToPath(e.data_file.file_path)
    const rows = await duckAll(`SELECT file_path, pos::BIGINT pos FROM read_parquet(${sqlStr(p)}, hive_partitioning = false)`)
    for (const r of rows) {
      if (!deleted.has(r.file_path)) deleted.set(r.file_path, new Set())
      const s = deleted.get(r.file_path)
      if (!s.has(BigInt(r.pos))) { s.add(BigInt(r.pos)); deletedTotal++ }
    }
  }
  const liveUris = new Set(dataEntries.map(e => e.data_file.file_path))
  const danglingDeletes = [...deleted.keys()].filter(u => !liveUris.has(u))
  rep.check('position deletes name live data files', danglingDeletes.length ? [`${danglingDeletes.length} targets not live, e.g. ${danglingDeletes[0]}`] : [])
  if (args.deleted !== undefined) rep.check(`position deletes: ${args.deleted} rows`, deletedTotal === args.deleted ? [] : [`${deletedTotal} rows deleted`])

  // Per data file: schema, metadata, DuckDB vs hyparquet.
  const stats = { maxRowGroups: 0, plainSeen: false, deltaSeen: new Set() }
  const spec = (m['partition-specs'] || []).find(s => s['spec-id'] === m['default-spec-id']) || { fields: [] }
  const duckTable = []
  const idSchema = 'map{' + fields.map(f => `${f.id}: {name: ${sqlStr(f.name)}, type: ${sqlStr(duckType(f.type))}, default_value: NULL}`).join(', ') + '}'
  for (const e of dataEntries) {
    const uri = e.data_file.file_path
    const p = uriToPath(uri)
    const short = p.slice(tdir.length + 1)
    const fs = await fileSchema(p, fields)
    await checkFooter(rep, p, short, fs.hasKv)
    const fileFields = fs.fields.map(f => ({ id: f.id, name: f.name, type: f.type, required: f.required }))
    await checkFileSchema(rep, p, short, fileFields)
    await checkFileMetadata(rep, p, short, fileFields, args, stats)

    const ff = fileFields.map(f => f.name)
    const viaDuck = normRows(await duckAll(`SELECT ${duckSelectList(fileFields)} FROM read_parquet(${sqlStr(p)}, hive_partitioning = false)`), fileFields, { jsonCols: args.json })
    let viaHy
    try {
      // hyparquet decodes decimals to JS numbers: those wider than 15 digits compare at 15
      const hyRows = (await hyparquetRead(p)).rows
      viaHy = normRows(hyRows, fileFields, { jsonCols: args.json, decDigits: 15 })
      const viaDuckD = approxDecimals(viaDuck, fileFields, 15)
      rep.check(`${short}: hyparquet == DuckDB (${viaDuck.length} rows, in order; decimals over 15 digits at 15)`, diffOrdered('DuckDB', viaDuckD, 'hyparquet', viaHy, ff))
    } catch (err) {
      rep.check(`${short}: hyparquet reads the file`, [err.message])
    }

    checkPartitionDirs(rep, short, e.data_file.partition, spec, fileFields, viaDuck)
    await checkManifestMetrics(rep, short, e.data_file, p, fileFields, args.json)

    // By field id, in the current schema, for the table comparison.
    const rows = await duckAll(`SELECT ${duckSelectList(fields)}, file_row_number::BIGINT AS "__pos"
        FROM read_parquet(${sqlStr(p)}, schema=${idSchema}, file_row_number=true, hive_partitioning = false)`)
    const del = deleted.get(uri)
    const live = del ? rows.filter(r => !del.has(BigInt(r.__pos))) : rows
    if (del && live.length !== rows.length - del.size) {
      rep.check(`${short}: every deleted position exists`, [`${del.size} positions deleted, ${rows.length - live.length} rows matched`])
    }
    for (const r of normRows(live, fields, { jsonCols: args.json })) duckTable.push(r)
  }
  if (args.minRowGroups) {
    rep.check(`some data file has >= ${args.minRowGroups} row groups`, stats.maxRowGroups >= args.minRowGroups ? [] : [`at most ${stats.maxRowGroups} row groups per file`])
  }
  if (args.plain.length) rep.check(`PLAIN data pages seen for ${args.plain.join(',')}`, stats.plainSeen ? [] : ['no chunk had PLAIN data pages'])
  if (args.delta.length) {
    const missing = args.delta.filter(c => !stats.deltaSeen.has(c))
    rep.check(`DELTA_BINARY_PACKED chunks seen for ${args.delta.join(',')}`, missing.map(c => `${c}: no chunk lists DELTA_BINARY_PACKED`))
  }

  rep.check(`table: floe cat == DuckDB by field id, deletes applied (${cat.length} rows)`, diffMultiset('floe cat', cat, 'DuckDB', duckTable, cols))

  if (!args.noIcebird) {
    try {
      const parsed = args.json.length > 0 && args.json.every(c => jsonConverted.has(c))
      const ice = normRows(await icebirdRead(tdir), fields, { jsonCols: args.json, tsMs: true, jsonMode: parsed ? 'parsed' : 'text', decDigits: 15 })
      const catMs = normRows(floeCat(args.floe, args.data, args.table, [], args.json), fields, { jsonCols: args.json, tsMs: true, jsonMode: parsed ? 'canon' : 'text', decDigits: 15 })
      rep.check(`table: floe cat == icebird, deletes applied (timestamps at ms: icebird has Date)`, diffMultiset('floe cat', catMs, 'icebird', ice, cols))
    } catch (err) {
      rep.check('table: icebird reads the table', [String(err.stack || err).split('\n').slice(0, 4).join('\n  ')])
    }
  }
  if (args.history) await checkHistory(rep, args, tdir)
  rep.finish()
}

// Time travel: icebird opens an older vN.metadata.json (metadataFileName), floe reads
// that metadata's current snapshot with --snapshot; both must give the same rows.
async function checkHistory(rep, args, tdir) {
  const dir = join(tdir, 'metadata')
  const versions = readdirSync(dir).map(n => /^v(\d+)\.metadata\.json$/.exec(n)).filter(Boolean)
    .map(mm => Number(mm[1])).sort((a, b) => a - b)
  const current = readCurrentMetadata(tdir).version
  // Long histories: every k-th version and the last three, at most ~15 reads.
  const older = versions.filter(v => v !== current)
  const k = Math.max(1, Math.ceil(older.length / 12))
  const pick = new Set(older.filter((v, i) => i % k === 0 || i >= older.length - 3))
  let checked = 0
  for (const v of older) {
    if (!pick.has(v)) continue
    const meta = JSON.parse(readFileSync(join(dir, `v${v}.metadata.json`), 'utf8'))
    const sid = meta['current-snapshot-id']
    if (!(sid > 0)) continue
    const raw = JSON.parse(readFileSync(join(dir, `v${v}.metadata.json`), 'utf8').replace(/"current-snapshot-id"\s*:\s*(\d+)/, '"current-snapshot-id":"$1"'))
    const exactId = String(raw['current-snapshot-id'])
    const fields = currentSchema(meta).fields.map(f => ({ id: f.id, name: f.name, type: f.type }))
    const cols = fields.map(f => f.name)
    const parsed = args.json.length > 0 && args.json.every(c => jsonConverted.has(c))
    try {
      const ice = normRows(await icebirdRead(tdir, `v${v}.metadata.json`), fields, { jsonCols: args.json, tsMs: true, jsonMode: parsed ? 'parsed' : 'text', decDigits: 15 })
      const cat = normRows(floeCat(args.floe, args.data, args.table, ['--snapshot', exactId], args.json), fields, { jsonCols: args.json, tsMs: true, jsonMode: parsed ? 'canon' : 'text', decDigits: 15 })
      rep.check(`history v${v} (snapshot ${exactId}): floe cat --snapshot == icebird (${cat.length} rows)`, diffMultiset('floe cat', cat, 'icebird', ice, cols))
    } catch (err) {
      rep.check(`history v${v} (snapshot ${exactId}): both read it`, [String(err.message || err).split('\n')[0]])
    }
    checked++
  }
  rep.check(`history: at least one older snapshot checked`, checked ? [] : ['no older vN.metadata.json with a snapshot'])
}

main().catch(e => { console.error(e); process.exit(2) })
