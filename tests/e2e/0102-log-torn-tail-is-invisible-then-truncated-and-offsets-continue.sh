#!/usr/bin/env bash
# A crash mid-write leaves a torn batch at the end of a segment: `floe log` (read-only,
# safe beside a live server) shows only the complete batches, and the next writer
# truncates the torn bytes and continues at the next offset.
. "$(dirname "$0")/lib.sh"

seq 1 10 | sed 's/.*/{"n":&}/' >"$T/a.ndjson"
floe log s --append "$T/a.ndjson" >/dev/null
first=$(stat -c %s "$FLOE_DATA/log/s/0/00000000000000000000.log") # one batch (stored as is: 71 bytes of values, under 512)
seq 11 15 | sed 's/.*/{"n":&}/' >"$T/b.ndjson"
floe log s --append "$T/b.ndjson" >/dev/null
seg="$FLOE_DATA/log/s/0/00000000000000000000.log"
size=$(stat -c %s "$seg")
truncate -s $((size - 7)) "$seg"   # the second batch is now torn

assert_eq "{\"partition\":0,\"start\":0,\"end\":10,\"records\":10,\"bytes\":$first,\"raw_bytes\":207,\"segments\":1,\"batches\":{\"none\":1,\"zstd\":0,\"lz4\":0}}" \
  "$(floe log s --stat --format ndjson)" "read-only view stops before the torn batch"
assert_eq $((size - 7)) "$(stat -c %s "$seg")" "a read-only open truncates nothing"
assert_eq "appended 5 records to s partition 0 at offsets 10..14" "$(floe log s --append "$T/b.ndjson")" "offsets continue"
assert_eq "$size" "$(stat -c %s "$seg")" "torn bytes replaced by the new batch"
assert_eq "$(seq 1 15 | sed 's/.*/{"n":&}/')" "$(floe log s | sed -E 's/.*"value":(.*)}$/\1/')" "every record once"
