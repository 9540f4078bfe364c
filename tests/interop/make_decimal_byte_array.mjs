// make_decimal_byte_array.mjs: writes tests/fuzz/corpus/parquet/hyparquet_decimal_byte_array.parquet,
// a DECIMAL(30,2) column stored as BYTE_ARRAY (minimal big-endian two's complement; zero
// as no bytes) by hyparquet-writer, which floe must read as DuckDB does
// (src/format/parquet_types_test.c). hyparquet-writer takes decimals as JS numbers, so
// the values are those the doubles give: 1e22 is 9999999999999999832227.84 at scale 2.
//   node tests/interop/make_decimal_byte_array.mjs OUT.parquet
import { writeFileSync } from 'node:fs'
import { parquetWriteBuffer } from 'hyparquet-writer'

const vals = [1e22, -(2 ** 70), 0, null, -0.01, 12345.67]
const schema = [{ name: 'root', num_children: 2 },
  { name: 'id', type: 'INT64', repetition_type: 'REQUIRED', field_id: 1 },
  { name: 'd', type: 'BYTE_ARRAY', converted_type: 'DECIMAL', scale: 2, precision: 30, repetition_type: 'OPTIONAL', field_id: 2 }]
const buf = parquetWriteBuffer({ schema, columnData: [
  { name: 'id', data: vals.map((_, i) => BigInt(i + 1)) },
  { name: 'd', data: vals }] })
writeFileSync(process.argv[2], new Uint8Array(buf))
