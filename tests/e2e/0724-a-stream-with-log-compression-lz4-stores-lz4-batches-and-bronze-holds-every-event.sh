#!/usr/bin/env bash
# A stream created WITH (log_compression = 'lz4') stores its event log batches as LZ4
# blocks (log_wire.h flags 2): 3 posts of 1,000 `floe gen orders` events to a real
# `floe serve` give 12 batches (4 partitions each), all LZ4, at least 3x smaller than
# raw (`floe log --stat`), every one checked by `floe log --verify`; `floe log`, and an
# independent reader of the segment bytes (tests/e2e/logv2.py), read back exactly the
# lines sent, and bronze.orders holds the same rows (all but
# _ingest_time) as a second server given the same posts with log_compression = 'zstd'
# writes. Then the stream
# switches to zstd (a new contract version): its new batches are zstd, mixed with the
# LZ4 ones in the same partitions, and the job reads on through both into bronze.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

"$FLOE" gen orders --count 3000 --bad 0 --duplicates 0 --seed 11 --out "$T/all.ndjson" >/dev/null
split -l 1000 -d "$T/all.ndjson" "$T/post."
"$FLOE" gen orders --count 400 --bad 0 --duplicates 0 --seed 12 --out "$T/more.ndjson" >/dev/null

with_codec() { # DIR CODEC: the example project, its stream's WITH options plus log_compression (none: as is)
  make_project "$1" 'commit_interval: 200ms'
  [[ "$2" == default ]] ||
    sed -i "s/) WITH (dedupe_ttl = '1 hour'/) WITH (log_compression = '$2', dedupe_ttl = '1 hour'/" \
      "$1/streams/orders.sql"
}
wait_rows() { # N: until bronze.orders holds N rows
  for _ in $(seq 1 150); do
    [[ "$("$FLOE" cat bronze.orders 2>/dev/null | wc -l)" == "$1" ]] && return 0
    sleep 0.1
  done
  fail "bronze.orders: $("$FLOE" cat bronze.orders 2>/dev/null | wc -l) rows, expected $1"
}
post_all() { # posts each 1,000-event body in turn
  for f in "$T"/post.0?; do
    post orders "$f"
    assert_eq 200 "$STATUS" "post $f: $BODY"
    assert_contains "$BODY" '"accepted":1000' "post $f"
  done
}
bronze_rows() { # bronze.orders sorted, without _ingest_time (when the job read it)
  "$FLOE" cat bronze.orders | sed 's/,"_ingest_time":"[^"]*"//' | sort
}
stat_sum() { # FIELD: its sum over the partitions of `floe log orders --stat --format ndjson`
  floe log orders --stat --format ndjson | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | awk '{s += $1} END {print s + 0}'
}

# the same posts with zstd: the reference bronze
with_codec "$T/ref" zstd
export FLOE_DATA="$T/ref-data"
start_serve "$T/ref"
post_all
wait_rows 3000
stop_serve
bronze_rows >"$T/bronze.ref"
assert_eq 12 "$(stat_sum zstd)" "log_compression = 'zstd': 12 zstd batches"

with_codec "$T/proj" lz4
grep -q "log_compression = 'lz4'" "$T/proj/streams/orders.sql" || fail "the stream did not get the option"
export FLOE_DATA="$T/data"
start_serve "$T/proj"
post_all
wait_rows 3000
stop_serve

assert_eq 12 "$(stat_sum lz4)" "every batch is LZ4 (3 posts x 4 partitions)"
assert_eq 0 "$(stat_sum zstd)" "no zstd batch"
assert_eq 0 "$(stat_sum none)" "no stored batch"
bytes=$(stat_sum bytes)
raw=$(stat_sum raw_bytes)
assert_eq "$(cat "$FLOE_DATA"/log/orders/*/*.log | wc -c)" "$bytes" "--stat bytes = the segment files"
(( raw > 3 * bytes )) || fail "LZ4 stored $bytes bytes of $raw raw: not 3x smaller"
assert_contains "$(floe log orders --stat)" "lz4=12" "--stat text names the codec"
floe log orders --verify >"$T/verify.out" || fail "verify: $(cat "$T/verify.out")"
# the log holds exactly the lines sent
floe log orders --format ndjson | python3 -c '
import json, sys
print("\n".join(sorted(json.dumps(json.loads(l)["value"], separators=(",", ":")) for l in sys.stdin)))' >"$T/logged"
python3 -c '
import json, sys
print("\n".join(sorted(json.dumps(json.loads(l), separators=(",", ":")) for l in open(sys.argv[1]))))' \
  "$T/all.ndjson" >"$T/sent"
cmp -s "$T/sent" "$T/logged" || fail "the log does not hold exactly the lines sent"
# and so do the segment bytes, read without floe (tests/e2e/logv2.py: its own CRC-32C, liblz4)
python3 "$FLOE_ROOT/tests/e2e/logv2.py" "$FLOE_DATA" orders | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
assert all(r["codec"] == "lz4" for r in recs), "a batch that is not LZ4"
print("\n".join(sorted(json.dumps(json.loads(r["value"]), separators=(",", ":")) for r in recs)))' >"$T/raw" ||
  fail "logv2.py"
cmp -s "$T/sent" "$T/raw" || fail "the segment bytes do not hold exactly the lines sent"
# bronze: the same rows as with zstd
bronze_rows >"$T/bronze.lz4"
assert_eq 3000 "$(wc -l <"$T/bronze.lz4")" "bronze rows"
cmp -s "$T/bronze.ref" "$T/bronze.lz4" || fail "bronze differs from the zstd run: $(diff "$T/bronze.ref" "$T/bronze.lz4" | head -4)"
echo "lz4: $bytes bytes stored of $raw raw"

# switch the stream to zstd: new batches zstd, the LZ4 ones still read
sed -i "s/log_compression = 'lz4'/log_compression = 'zstd'/" "$T/proj/streams/orders.sql"
start_serve "$T/proj"
post orders "$T/more.ndjson"
assert_eq 200 "$STATUS" "post after the switch: $BODY"
wait_rows 3400
stop_serve
[[ -f "$FLOE_DATA/contracts/orders/2.sql" ]] || fail "the changed stream text is not contract version 2"
assert_eq 12 "$(stat_sum lz4)" "the LZ4 batches stay"
assert_eq 4 "$(stat_sum zstd)" "the new post is 4 zstd batches"
floe log orders --verify >"$T/verify.out" || fail "verify of the mixed log: $(cat "$T/verify.out")"
assert_eq 3400 "$(floe log orders --format text | wc -l)" "every record of both codecs reads"
