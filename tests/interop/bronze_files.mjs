// bronze_files.mjs DATA_DIR STREAM: what a reader opening bronze.<STREAM> by path sees of
// its health, read from the metadata JSON and through icebird's manifest reader (not
// floe): one line "snapshots N metadata_files M" (snapshots in the current metadata,
// vN.metadata.json-style files in metadata/), then per live data file one line
// "file PARTITION BYTES RECORDS" (partition as k=v,k=v; bytes as the manifest says,
// checked against the file on disk).
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { icebirdManifestEntries, readCurrentMetadata, tableDir, uriToPath } from './lib.mjs'

const [dataDir, stream] = process.argv.slice(2)
const tdir = tableDir(dataDir, `bronze.${stream}`)
const meta = readCurrentMetadata(tdir)
const metaFiles = readdirSync(join(tdir, 'metadata')).filter(f => f.endsWith('.metadata.json') && !/^v\d+\./.test(f))
console.log(`snapshots ${meta.json.snapshots.length} metadata_files ${metaFiles.length}`)
const entries = (await icebirdManifestEntries(meta.json)).filter(e => e.status !== 2 && (e.data_file.content ?? 0) === 0)
let bad = 0
for (const e of entries) {
  const f = e.data_file
  const bytes = Number(f.file_size_in_bytes)
  const onDisk = statSync(uriToPath(f.file_path)).size
  if (onDisk !== bytes) { console.log(`FAIL ${f.file_path}: ${onDisk} bytes on disk, ${bytes} in the manifest`); bad++ }
  const part = Object.entries(f.partition ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '-'
  console.log(`file ${part} ${bytes} ${Number(f.record_count)}`)
}
process.exit(bad ? 1 : 0)
