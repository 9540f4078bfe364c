// Reads an Arrow IPC stream (floe sql --format arrow, POST /v1/query with Accept:
// application/vnd.apache.arrow.stream) with apache-arrow, a reader floe did not write,
// and prints the schema as "name:Type ..." then one JSON array per row: integers of 64
// bits and decimals as strings (decimals scaled: "11.50"), null as null.
//   node read_arrow.mjs FILE
import { readFileSync } from 'fs';
import { tableFromIPC } from 'apache-arrow';

const table = tableFromIPC(readFileSync(process.argv[2]));
const fields = table.schema.fields;
const typeName = (t) => (t.typeId === 7 ? `Decimal(${t.precision},${t.scale})` : String(t));
console.log(fields.map((f) => `${f.name}:${typeName(f.type)}`).join(' '));

function decimalText(v, scale) {
  // v: Uint32Array words of a 128-bit two's complement little-endian integer
  const words = v instanceof Uint32Array ? v : new Uint32Array(v.buffer, v.byteOffset, 4);
  let x = 0n;
  for (let i = 3; i >= 0; i--) x = (x << 32n) | BigInt(words[i]);
  if (x >= 1n << 127n) x -= 1n << 128n;
  const neg = x < 0n;
  let digits = (neg ? -x : x).toString().padStart(scale + 1, '0');
  if (scale > 0) digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return (neg ? '-' : '') + digits;
}

for (let r = 0; r < table.numRows; r++) {
  const row = fields.map((f, c) => {
    const v = table.getChildAt(c).get(r);
    if (v === null || v === undefined) return null;
    if (f.type.typeId === 7) return decimalText(v, f.type.scale);
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
  console.log(JSON.stringify(row));
}
