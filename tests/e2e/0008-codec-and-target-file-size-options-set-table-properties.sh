#!/usr/bin/env bash
# --codec and --target-file-bytes become the table properties the writer reads:
# a small target rolls one load into several files (still one snapshot) and every
# row reads back; on an existing table a different --codec is a metadata-only change
# (no snapshot), and the next load writes with it. --batch-rows does not change rows.
. "$(dirname "$0")/lib.sh"

schema='id BIGINT NOT NULL, name STRING, score DOUBLE'
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"id\":%d,\"name\":\"name-%d-%d\",\"score\":%d.5}\n", i, i, i * 7919 % 1000, i }' \
  >"$T/rows.ndjson"

out=$(floe load bronze.files "$T/rows.ndjson" --schema "$schema" --codec snappy --target-file-bytes 8000 --batch-rows 250)
[[ "$out" =~ ^loaded\ 3000\ rows\ into\ bronze\.files\ \(snapshot\ [0-9]+,\ ([0-9]+)\ files\)$ ]] || fail "load output: $out"
nfiles=${BASH_REMATCH[1]}
(( nfiles > 1 )) || fail "a target of 8000 bytes should roll 3000 rows into several files, got $nfiles"
assert_eq "$nfiles" "$(find "$FLOE_DATA/warehouse/bronze/files/data" -name '*.parquet' | wc -l)" "files on disk"
assert_eq 1 "$(snapshot_count bronze.files)" "several files, one snapshot"
desc=$(floe describe bronze.files)
assert_contains "$desc" "write.parquet.compression-codec = snappy" "codec property"
assert_contains "$desc" "write.target-file-size-bytes = 8000" "target file size property"
assert_eq "$(LC_ALL=C sort "$T/rows.ndjson")" "$(floe cat bronze.files | LC_ALL=C sort)" "every row reads back"

# a different codec on the existing table: a property change, then the load
head -10 "$T/rows.ndjson" | sed 's/"id":\([0-9]*\)/"id":1\1000/' >"$T/more.ndjson"
floe load bronze.files "$T/more.ndjson" --codec none >/dev/null
assert_contains "$(floe describe bronze.files)" "write.parquet.compression-codec = uncompressed" "codec none"
assert_eq 2 "$(snapshot_count bronze.files)" "the property change adds no snapshot"
assert_eq 3010 "$(floe cat bronze.files | wc -l)" "rows after the second load"
