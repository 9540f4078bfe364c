#!/usr/bin/env bash
# 0012-delta-packed-int-columns-read-identically: INT/BIGINT/DATE/TIMESTAMP/DECIMAL
# columns of every shape floe's writer meets (sequential ids, timestamps a few seconds
# apart, random amounts, values jumping between INT64/INT32 min and max so deltas wrap,
# nulls) are written DELTA_BINARY_PACKED where smaller than PLAIN, their chunks
# UNCOMPRESSED where zstd saves under 10%: DuckDB's parquet_metadata lists
# DELTA_BINARY_PACKED, and floe cat, DuckDB, hyparquet and icebird read the same values.
. "$(dirname "$0")/lib.sh"

N=30000
node -e '
let s = 12345n
const rnd = () => { s = (s * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n); return s >> 33n }
const I64 = [-(1n << 63n), (1n << 63n) - 1n], I32 = [-2147483648, 2147483647]
const lines = []
for (let r = 0; r < Number(process.argv[1]); r++) {
  const wild = r % 1000 < 40 /* a stretch of extremes in every 1000 rows: deltas wrap */
  const row = {
    id: 1000000 + r,
    ts: String(1764000000000000n + BigInt(r) * 1000003n + (rnd() % 1000n)),
    amount: r % 9 === 4 ? null : (Number(rnd() % 10000000n) / 100).toFixed(2),
    user_id: r % 7 === 3 ? null : String(wild ? I64[r % 2] : rnd() % 5000000n),
    qty: wild ? I32[(r >> 1) % 2] : Number(rnd() % 1000000n),
    day: 20000 + Math.floor(r / 500),
  }
  row.ts = Number(row.ts)
  row.day = new Date(row.day * 86400000).toISOString().slice(0, 10)
  lines.push(JSON.stringify(row).replace(/"user_id":"(-?\d+)"/, "\"user_id\":$1"))
}
process.stdout.write(lines.join("\n") + "\n")
' "$N" > "$T/ints.ndjson"
SCHEMA="id BIGINT NOT NULL, ts TIMESTAMP NOT NULL, amount DECIMAL(12,2), user_id BIGINT, qty INT, day DATE"
"$FLOE" --data "$T" load it.ints "$T/ints.ndjson" --schema "$SCHEMA"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.ints --codec ZSTD --rows "$N" \
  --delta id,ts,amount,user_id,qty

# without a codec the same pages
"$FLOE" --data "$T" load it.ints_none "$T/ints.ndjson" --schema "$SCHEMA" --codec none
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.ints_none --codec UNCOMPRESSED --rows "$N" \
  --delta id,ts,amount,user_id,qty
