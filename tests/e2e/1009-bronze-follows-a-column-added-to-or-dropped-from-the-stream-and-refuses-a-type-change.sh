#!/usr/bin/env bash
# Bronze follows the stream's contract. A column added to CREATE STREAM (contract
# version 2) is added to bronze.orders at the end, after the meta columns: the rows of
# version 1 read NULL in it, the new rows their values. A column dropped in version 3
# stays in bronze, NULL in the new rows, its old values kept. DuckDB (an independent
# reader, via the table's Parquet files and Iceberg field ids read by icebird) sees the
# write.target-file-size-bytes = 128 KiB (an hour is ~5.3 MB a partition here: ~40
# targets). Read with icebird (not floe):
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
[[ -d "$FLOE_ROOT/tests/interop/node_modules/icebird" ]] || fail "icebird is missing: bash scripts/deps.sh --test"

make_project "$T/proj" 'commit_interval: 200ms'
ev() { # ID [EXTRA JSON]
  printf '{"event_id":"%s","tenant_id":"t","order_id":1,"user_id":7,"event_type":"order_paid","amount":"1.50","event_time":"2026-11-25T10:00:00Z"%s}\n' "$1" "${2:-}"
}
wait_rows() { # N: until bronze.orders holds N rows
  for _ in $(seq 1 100); do
    [[ "$("$FLOE" cat bronze.orders 2>/dev/null | wc -l)" == "$1" ]] && return 0
    sleep 0.1
  done
  fail "bronze.orders: $("$FLOE" cat bronze.orders 2>/dev/null | wc -l) rows, expected $1"
}
q() { "$FLOE" sql --format csv "$1" | tr -d "\r" | tail -n +2; }

start_serve "$T/proj"
{ ev a1; ev a2; } >"$T/a.ndjson"
post orders "$T/a.ndjson"
assert_eq 200 "$STATUS" "$BODY"
wait_rows 2
stop_serve

# version 2: a new column
sed -i 's/^  attributes JSON,/  attributes JSON,\n  coupon     STRING,/' "$T/proj/streams/orders.sql"
grep -q '^  coupon     STRING,' "$T/proj/streams/orders.sql" || fail "the test could not add the column"
start_serve "$T/proj"
{ ev b1 ',"coupon":"SAVE10"'; ev b2; } >"$T/b.ndjson"
post orders "$T/b.ndjson"
assert_eq 200 "$STATUS" "$BODY"
wait_rows 4
stop_serve
assert_contains "$(cat "$T/serve.err")" "bronze.orders follows the stream's definition: 1 column added" "the start says so"
cols=$("$FLOE" describe bronze.orders | awk '/^schema/ {f = 1; next} /^partition/ {f = 0} f {print $2}' | tail -n 6 | tr '\n' ' ')
assert_eq "attributes _partition _offset _ingest_time _late coupon " "$cols" "coupon is bronze's last column"
assert_eq 'a1,
a2,
b1,SAVE10
b2,' "$(q "SELECT event_id, coupon FROM bronze.orders ORDER BY event_id")" "coupon by row (floe)"

# version 3: user_id dropped from the stream
sed -i '/^  user_id    BIGINT,/d' "$T/proj/streams/orders.sql"
start_serve "$T/proj"
ev c1 ',"coupon":"X"' | sed 's/"user_id":7,//' >"$T/c.ndjson"
post orders "$T/c.ndjson"
assert_eq 200 "$STATUS" "$BODY"
wait_rows 5
stop_serve
assert_eq 'a1,7,
a2,7,
b1,7,SAVE10
b2,7,
c1,,X' "$(q "SELECT event_id, user_id, coupon FROM bronze.orders ORDER BY event_id")" "user_id kept, NULL in the new row"

# an independent reader: icebird over the table's metadata and Parquet files
cat >"$T/read.mjs" <<JS
import { icebirdRead } from '$FLOE_ROOT/tests/interop/lib.mjs'
const rows = await icebirdRead(process.argv[2])
rows.sort((a, b) => (a.event_id < b.event_id ? -1 : 1))
for (const r of rows) console.log(\`\${r.event_id},\${r.user_id ?? ''},\${r.coupon ?? ''}\`)
JS
tbl=$("$FLOE" describe bronze.orders | sed -n 's|^location *file://||p')
[[ -d $tbl ]] || fail "bronze.orders' location: '$tbl'"
out=$(node "$T/read.mjs" "$tbl" 2>&1) || fail "icebird: $out"
assert_eq 'a1,7,
a2,7,
b1,7,SAVE10
b2,7,
c1,,X' "$out" "icebird reads the same"

# a changed type is refused at start, naming the column, both types and the way out
sed -i 's/^  coupon     STRING,/  coupon     BIGINT,/' "$T/proj/streams/orders.sql"
"$FLOE" serve --project "$T/proj" --data "$FLOE_DATA" --listen 127.0.0.1:0 >"$T/bad.out" 2>"$T/bad.err" &
pid=$!
for _ in $(seq 1 100); do
  grep -q "column coupon is" "$T/bad.err" && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
assert_contains "$(cat "$T/bad.err")" "bronze.orders: column coupon is STRING, the stream orders now says BIGINT" "the refusal names the column and both types"
assert_contains "$(cat "$T/bad.err")" "floe replay orders --into" "and the way out"
