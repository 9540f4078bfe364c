// quarantine_ids.mjs DATA_DIR STREAM OUT: reads quarantine.<STREAM> with icebird (not
// floe) at the version a reader opening the table by path sees, takes the event_id out
// of each row's raw text (the rejected record as posted), writes them (one per line,
// sorted) to OUT, and fails (exit 1) naming any raw record held twice.
import { writeFileSync } from 'node:fs'
import { icebirdRead, readCurrentMetadata, tableDir } from './lib.mjs'

const [dataDir, stream, out] = process.argv.slice(2)
const tdir = tableDir(dataDir, `quarantine.${stream}`)
let rows = []
try {
  const meta = readCurrentMetadata(tdir)
  rows = await icebirdRead(tdir, meta.path.split('/').pop())
} catch (e) {
  if (!/version-hint.text: missing/.test(e.message)) throw e // no commit yet: no rows
}
const ids = []
for (const r of rows) {
  const m = /"event_id":"([^"]*)"/.exec(r.raw ?? '')
  if (!m) { console.log(`FAIL a row without an event_id in raw: ${JSON.stringify(r.raw)}`); process.exit(1) }
  if (r.reason === null || r.reason === undefined) { console.log(`FAIL ${m[1]}: no reason`); process.exit(1) }
  ids.push(m[1])
}
ids.sort()
const dups = ids.filter((v, i) => i > 0 && ids[i - 1] === v)
writeFileSync(out, ids.join('\n') + (ids.length ? '\n' : ''))
if (dups.length) {
  console.log(`FAIL ${dups.length} rejected records twice in quarantine.${stream}, e.g. ${dups.slice(0, 5).join(' ')}`)
  process.exit(1)
}
console.log(`ok ${ids.length} rows`)
