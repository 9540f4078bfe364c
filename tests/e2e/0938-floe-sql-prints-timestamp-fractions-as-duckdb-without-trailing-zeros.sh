#!/usr/bin/env bash
# `floe sql` writes a TIMESTAMP's fraction of a second as DuckDB does, without trailing
# zeros ('10:00:00.5', '10:00:00.123', '10:00:00.000001'; it wrote '.500' and '.120'
# for whole milliseconds), in the CSV and table formats, and as CAST(ts AS VARCHAR).
. "$(dirname "$0")/lib.sh"

printf '%s\n' '{"id":1,"ts":"2024-01-01 10:00:00.5"}' '{"id":2,"ts":"2024-01-01 10:00:00.12"}' \
  '{"id":3,"ts":"2024-01-01 10:00:00.000001"}' '{"id":4,"ts":"2024-01-01 10:00:00"}' \
  '{"id":5,"ts":"2024-01-01 10:00:00.123"}' > "$T/t.ndjson"
"$FLOE" load db.t "$T/t.ndjson" --schema "id BIGINT NOT NULL, ts TIMESTAMP" >/dev/null
assert_eq 'id,ts,s
1,2024-01-01 10:00:00.5,2024-01-01 10:00:00.5
2,2024-01-01 10:00:00.12,2024-01-01 10:00:00.12
3,2024-01-01 10:00:00.000001,2024-01-01 10:00:00.000001
4,2024-01-01 10:00:00,2024-01-01 10:00:00
5,2024-01-01 10:00:00.123,2024-01-01 10:00:00.123' \
  "$("$FLOE" sql --format csv "SELECT id, ts, CAST(ts AS VARCHAR) AS s FROM t ORDER BY id" | tr -d '\r')" "CSV"
assert_contains "$("$FLOE" sql "SELECT ts FROM t WHERE id = 1")" "2024-01-01 10:00:00.5 " "the table box"
