#!/usr/bin/env bash
# floe log: records appended to the event log (the admin --append) print back as
# NDJSON with partition, offset, time and value (JSON kept as JSON, anything else a
# string), from any offset, with a limit, per partition or all, as text; --stat
# prints each partition's start and end offsets, records and bytes; wrong arguments
# exit 2, an unknown stream exits 1.
. "$(dirname "$0")/lib.sh"

printf '{"id":1,"amount":12.50}\nplain "text"\n[1, 2]\n\n{"id":4}\n' >"$T/a.ndjson"
assert_eq "appended 4 records to orders partition 0 at offsets 0..3" "$(floe log orders --append "$T/a.ndjson" --partitions 2)" "first append"
assert_eq "appended 4 records to orders partition 1 at offsets 0..3" "$(floe log orders --append "$T/a.ndjson" --partition 1)" "append to partition 1"
assert_eq "appended 4 records to orders partition 0 at offsets 4..7" "$(floe log orders --append - <"$T/a.ndjson")" "append from stdin"

strip_time() { sed -E 's/"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"/"time":T/'; }
out=$(floe log orders --partition 0 | strip_time)
assert_eq '{"partition":0,"offset":0,"time":T,"value":{"id":1,"amount":12.50}}
{"partition":0,"offset":1,"time":T,"value":"plain \"text\""}
{"partition":0,"offset":2,"time":T,"value":[1, 2]}
{"partition":0,"offset":3,"time":T,"value":{"id":4}}
{"partition":0,"offset":4,"time":T,"value":{"id":1,"amount":12.50}}
{"partition":0,"offset":5,"time":T,"value":"plain \"text\""}
{"partition":0,"offset":6,"time":T,"value":[1, 2]}
{"partition":0,"offset":7,"time":T,"value":{"id":4}}' "$out" "partition 0 as ndjson"

assert_eq 12 "$(floe log orders | wc -l)" "all partitions"
out=$(floe log orders --from 3 --limit 3 | strip_time)
assert_eq '{"partition":0,"offset":3,"time":T,"value":{"id":4}}
{"partition":0,"offset":4,"time":T,"value":{"id":1,"amount":12.50}}
{"partition":0,"offset":5,"time":T,"value":"plain \"text\""}' "$out" "--from and --limit"
out=$(floe log orders --partition 1 --from 2 --format text | cut -f1,2,4)
assert_eq $'1\t2\t[1, 2]\n1\t3\t{"id":4}' "$out" "text format"
floe log orders --format ndjson | while read -r line; do node -e 'JSON.parse(process.argv[1])' "$line" 2>/dev/null || python3 -c 'import json,sys; json.loads(sys.argv[1])' "$line" || fail "not JSON: $line"; done

out=$(floe log orders --stat --format ndjson)
# bytes: the segment files; raw_bytes: the batches uncompressed (v3: 40-byte header,
# 6 bytes of head block, 9 of record head + the value per record). These batches hold
# under 512 bytes of values, which the log stores as is (zstd would gain little on
# them): bytes == raw_bytes
b0=$(stat -c %s "$FLOE_DATA/log/orders/0/00000000000000000000.log")
b1=$(stat -c %s "$FLOE_DATA/log/orders/1/00000000000000000000.log")
(( b0 == 262 && b1 == 131 )) || fail "small batches not stored as is: $b0 $b1 bytes"
assert_eq "{\"partition\":0,\"start\":0,\"end\":8,\"records\":8,\"bytes\":$b0,\"raw_bytes\":262,\"segments\":1,\"batches\":{\"none\":2,\"zstd\":0,\"lz4\":0}}
{\"partition\":1,\"start\":0,\"end\":4,\"records\":4,\"bytes\":$b1,\"raw_bytes\":131,\"segments\":1,\"batches\":{\"none\":1,\"zstd\":0,\"lz4\":0}}" "$out" "--stat ndjson"
out=$(floe log orders --stat)
assert_contains "$out" "partition" "--stat text header"
[[ $(awk '$1 == "total" {print $2}' <<<"$out") == 12 ]] || fail "--stat total: $out"
[[ $(awk '$1 == "total" {print $NF}' <<<"$out") == none=3 ]] || fail "--stat batches per codec: $out"

expect_fail 1 "stream nope not found in $FLOE_DATA/log" log nope
expect_fail 1 "stream orders has partitions 0..1, not 7" log orders --partition 7
run_floe log orders --format xml
assert_eq 2 "$RC" "bad --format exit status"
run_floe log
assert_eq 2 "$RC" "missing STREAM exit status"
assert_contains "$ERR" "usage: floe log STREAM" "usage printed"
