// late_ids.mjs DATA_DIR STREAM OUT: reads the late side table quarantine.<STREAM>_late
// (late_policy = 'side') with icebird (not floe) at the version a reader opening the
// table by path sees, writes its event_ids (one per line, sorted) to OUT, and fails
// (exit 1) naming any event_id held twice or a row whose _late is not true.
import { writeFileSync } from 'node:fs'
import { icebirdRead, readCurrentMetadata, tableDir } from './lib.mjs'

const [dataDir, stream, out] = process.argv.slice(2)
const tdir = tableDir(dataDir, `quarantine.${stream}_late`)
let rows = []
try {
  const meta = readCurrentMetadata(tdir)
  rows = await icebirdRead(tdir, meta.path.split('/').pop())
} catch (e) {
  if (!/version-hint.text: missing/.test(e.message)) throw e // no commit yet: no rows
}
const notLate = rows.filter(r => r._late !== true)
if (notLate.length) {
  console.log(`FAIL ${notLate.length} rows of quarantine.${stream}_late with _late not true, e.g. ${notLate[0].event_id}`)
  process.exit(1)
}
const ids = rows.map(r => r.event_id).sort()
const dups = ids.filter((v, i) => i > 0 && ids[i - 1] === v)
writeFileSync(out, ids.join('\n') + (ids.length ? '\n' : ''))
if (dups.length) {
  console.log(`FAIL ${dups.length} event_ids twice in quarantine.${stream}_late, e.g. ${dups.slice(0, 5).join(' ')}`)
  process.exit(1)
}
console.log(`ok ${ids.length} rows`)
