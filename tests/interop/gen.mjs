// gen.mjs: deterministic NDJSON inputs for the interop tests (same args, same bytes).
//
//   node gen.mjs orders N [TENANTS] [DAYS]   the orders stream of DESIGN §3
//   node gen.mjs strings N                   a dictionary column (5 values), a plain
//                                            one (unique ~160-byte strings) and one
//                                            of ~170-byte strings each twice (tag:
//                                            its dictionary passes 1 MiB past ~6,200
//                                            distinct values, i.e. 12,400 rows)
//
// Schemas to load them with are printed by `node gen.mjs schema orders|strings`.
const SCHEMAS = {
  orders: 'event_id STRING NOT NULL, tenant_id STRING NOT NULL, order_id BIGINT NOT NULL, user_id BIGINT, ' +
    'product_id INT, event_type STRING NOT NULL, amount DECIMAL(12,2), currency STRING, ' +
    'event_time TIMESTAMP NOT NULL, attributes JSON',
  strings: 'id BIGINT NOT NULL, category STRING, note STRING, tag STRING, score DOUBLE',
}

function rng(seed) {
  let a = seed >>> 0
  return () => {   // mulberry32
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const EVENT_TYPES = ['order_created', 'order_paid', 'order_shipped', 'order_cancelled']
const CURRENCIES = ['EUR', 'USD', 'GBP']
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet',
  'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango']

function orders(n, tenants, days) {
  const r = rng(42)
  const base = Date.UTC(2026, 10, 18) * 1000   // 2026-11-18T00:00:00Z in micros
  const span = days * 86400 * 1e6
  const out = []
  for (let i = 0; i < n; i++) {
    const t = Math.floor(r() * tenants)
    const us = base + Math.floor(r() * span)
    const rec = {
      event_id: `e-${String(i).padStart(12, '0')}`,
      tenant_id: `t-${String(t).padStart(2, '0')}`,
      order_id: 1000000 + Math.floor(i / 3),
      user_id: r() < 0.1 ? null : 1 + Math.floor(r() * 50000),
      product_id: r() < 0.05 ? null : Math.floor(r() * 2000),
      event_type: EVENT_TYPES[Math.floor(r() * 4)],
      amount: r() < 0.05 ? null : (Math.floor(r() * 10000000) / 100).toFixed(2),
      currency: r() < 0.02 ? null : CURRENCIES[Math.floor(r() * 3)],
      event_time: new Date(Math.floor(us / 1000)).toISOString().replace('Z', String(us % 1000).padStart(3, '0') + 'Z'),
    }
    if (r() < 0.7) rec.attributes = { channel: WORDS[Math.floor(r() * 5)], items: 1 + Math.floor(r() * 5), gift: r() < 0.1 }
    else rec.attributes = null
    out.push(JSON.stringify(rec))
  }
  return out
}

function strings(n) {
  const r = rng(7)
  const out = []
  for (let i = 0; i < n; i++) {
    let note = `note ${i}:`
    while (note.length < 160) note += ' ' + WORDS[Math.floor(r() * WORDS.length)] + Math.floor(r() * 1e6)
    out.push(JSON.stringify({
      id: i,
      category: r() < 0.03 ? null : WORDS[Math.floor(r() * 5)],
      note: r() < 0.01 ? null : note,
      tag: `tag ${Math.floor(i / 2)} `.padEnd(170, String.fromCharCode(97 + (Math.floor(i / 2) % 26))),
      score: r() < 0.02 ? null : Math.round(r() * 1e6) / 1e3,
    }))
  }
  return out
}

const [kind, nArg, a3, a4] = process.argv.slice(2)
if (kind === 'schema') {
  process.stdout.write(SCHEMAS[nArg] + '\n')
} else if (kind === 'orders') {
  process.stdout.write(orders(Number(nArg), Number(a3 || 5), Number(a4 || 3)).join('\n') + '\n')
} else if (kind === 'strings') {
  process.stdout.write(strings(Number(nArg)).join('\n') + '\n')
} else {
  console.error('usage: node gen.mjs orders N [TENANTS] [DAYS] | strings N | schema orders|strings')
  process.exit(2)
}
