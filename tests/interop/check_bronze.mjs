// check_bronze.mjs DATA_DIR STREAM FILE...: the expected bronze.<STREAM>, computed from
// the posted NDJSON files (in post order) without floe's code, against what icebird
// reads from the table (not floe's reader). Usage: tests/e2e/1001-*.sh.
//
// Expected, by the definitions of src/stream/stream.h (docs/architecture.md):
//   - each event_id once, with the values of its FIRST arrival (dedupe, first wins);
//   - a key's log partition is floe's (the partitioner's hash is not recomputed here:
//     the first row of each event_id in bronze says which), every event of that
//     partition in post order gets offsets 0, 1, 2, ... (one client posting in order);
//   - late: event_time below (max event_time read before it in its partition - 5 s),
//     over every record read, duplicates included.
// Prints "ok N rows" or the first differences, exit 1.
import { readFileSync } from 'node:fs'
import { icebirdRead, readCurrentMetadata, tableDir } from './lib.mjs'

const [dataDir, stream, ...files] = process.argv.slice(2)
const DELAY_US = 5_000_000n
const tdir = tableDir(dataDir, `bronze.${stream}`)
const meta = readCurrentMetadata(tdir)
const got = await icebirdRead(tdir, meta.path.split('/').pop())
const toMicros = v => (typeof v === 'bigint' ? v : v instanceof Date ? BigInt(v.getTime()) * 1000n : BigInt(v))

const byId = new Map()
for (const r of got) {
  if (byId.has(r.event_id)) { console.log(`FAIL ${r.event_id} twice in bronze`); process.exit(1) }
  byId.set(r.event_id, r)
}
const isoMicros = s => {
  const m = /^(.*?)(?:\.(\d{1,6}))?Z$/.exec(s)
  return BigInt(Date.parse(m[1] + 'Z')) * 1000n + BigInt((m[2] || '').padEnd(6, '0') || '0')
}
const parts = new Map() // partition -> {next offset, max event time}
const first = new Map()
let errors = 0
const bad = msg => { if (errors++ < 10) console.log('FAIL ' + msg) }
for (const f of files) {
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    if (!line.trim()) continue
    const ev = JSON.parse(line)
    const row = byId.get(ev.event_id)
    if (!row) { bad(`${ev.event_id}: posted, not in bronze`); continue }
    const p = Number(row._partition)
    if (!parts.has(p)) parts.set(p, { off: 0n, max: null })
    const st = parts.get(p)
    const et = isoMicros(ev.event_time)
    const late = st.max !== null && et < st.max - DELAY_US
    if (st.max === null || et > st.max) st.max = et
    const off = st.off++
    if (first.has(ev.event_id)) continue // a duplicate: dropped, but it moved the watermark
    first.set(ev.event_id, true)
    if (BigInt(row._offset) !== off) bad(`${ev.event_id}: _offset ${row._offset}, expected ${off}`)
    if (Boolean(row._late) !== late) bad(`${ev.event_id}: _late ${row._late}, expected ${late}`)
    if (String(row.order_id) !== String(ev.order_id)) bad(`${ev.event_id}: order_id ${row.order_id}, first arrival has ${ev.order_id}`)
    if ((row.user_id === null || row.user_id === undefined ? null : String(row.user_id)) !== (ev.user_id === null || ev.user_id === undefined ? null : String(ev.user_id)))
      bad(`${ev.event_id}: user_id ${row.user_id}, first arrival has ${ev.user_id}`)
    if (toMicros(row.event_time) / 1000n !== et / 1000n) bad(`${ev.event_id}: event_time ${row.event_time}, posted ${ev.event_time}`)
  }
}
if (first.size !== got.length) bad(`bronze holds ${got.length} rows, the posts ${first.size} distinct events`)
if (errors) process.exit(1)
const nlate = got.filter(r => r._late).length
console.log(`ok ${got.length} rows, ${nlate} late, ${parts.size} partitions`)
