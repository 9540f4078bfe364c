// crash_check.mjs: the icebird half of the kill-at-every-fsync harness
// (tests/e2e/0051-*.sh). A long-running process (one Node start for hundreds of
// checks): each stdin line names a directory where `crash_driver DATA state DIR` wrote,
// per table, {table_dir, metadata, rows} = what floe reads at the catalog's pointer.
// For each table icebird reads (1) that metadata file and must return exactly floe's
// rows (id, ver multiset), and (2) the table by path (version-hint.text, which may
// lag the catalog by one commit after a kill) and must read without error.
// Answers one line per request: "ok <tables>" or "FAIL <what>".
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { icebirdRead } from './lib.mjs'

const key = r => `${String(r.id)}:${String(r.ver)}`

async function check(dir) {
  const files = readdirSync(dir).filter(f => f.endsWith('.json')).sort()
  if (!files.length) return `FAIL ${dir}: no table state`
  for (const f of files) {
    const want = JSON.parse(readFileSync(join(dir, f), 'utf8'))
    const floe = want.rows.map(([id, ver]) => `${id}:${ver}`).sort()
    let ice
    try {
      ice = (await icebirdRead(want.table_dir, want.metadata)).map(key).sort()
    } catch (e) {
      return `FAIL ${f}: icebird cannot read ${want.metadata}: ${e.message}`
    }
    if (ice.length !== floe.length || ice.some((v, i) => v !== floe[i]))
      return `FAIL ${f}: icebird read ${ice.length} rows, floe ${floe.length}; first icebird ${ice.slice(0, 3)}, floe ${floe.slice(0, 3)}`
    try {
      await icebirdRead(want.table_dir)
    } catch (e) {
      return `FAIL ${f}: icebird cannot read the table by its version hint: ${e.message}`
    }
  }
  return `ok ${files.length}`
}

const rl = createInterface({ input: process.stdin })
for await (const line of rl) {
  if (!line.trim()) continue
  let answer
  try {
    answer = await check(line.trim())
  } catch (e) {
    answer = `FAIL ${line}: ${e.message}`
  }
  process.stdout.write(answer + '\n')
}
