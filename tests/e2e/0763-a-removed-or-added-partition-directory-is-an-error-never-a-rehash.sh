#!/usr/bin/env bash
# The partition count of a stream lives in DIR/log/<stream>/stream.json, written when
# the stream is created: a removed or added partition directory makes the start fail
# with an error naming both counts (before, keys were silently re-hashed over the
# directories left); a stream from before stream.json gets one from what is on disk,
# and its keys keep their partitions.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
start_serve "$T/proj"
post orders "$FLOE_ROOT/examples/orders/data/orders.ndjson"
assert_eq 1000 "$(json_field accepted)" "first post"
stop_serve
meta="$FLOE_DATA/log/orders/stream.json"
assert_eq '{"format":1,"partitions":4}' "$(cat "$meta")" "stream.json keeps the count"
where() { "$FLOE" --data "$FLOE_DATA" log orders --format text | awk -F'\t' '{ match($4, /"event_id":"[^"]*"/); print substr($4, RSTART, RLENGTH) "\t" $1 }' | sort -u; }
placed=$(where)

refuses() { # WHAT: floe serve must exit 1 naming both counts
  set +e
  "$FLOE" serve --project "$T/proj" --data "$FLOE_DATA" --listen 127.0.0.1:0 >/dev/null 2>"$T/refused.err" &
  local pid=$! rc
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && { kill "$pid"; fail "$1: floe serve started"; }
  wait "$pid"
  rc=$?
  set -e
  assert_eq 1 "$rc" "$1: floe serve exits 1"
}

mv "$FLOE_DATA/log/orders/3" "$T/p3"
refuses "a removed partition directory"
assert_contains "$(cat "$T/refused.err")" "stream orders: $FLOE_DATA/log/orders/stream.json says 4 partitions but 3 partition directories are on disk" "the error names both"
expect_fail 1 "stream orders: $FLOE_DATA/log/orders/stream.json says 4 partitions but 3 partition directories are on disk (a partition directory was removed or added: put it back)" log orders --stat
mv "$T/p3" "$FLOE_DATA/log/orders/3"

mkdir "$FLOE_DATA/log/orders/4"
refuses "an added partition directory"
assert_contains "$(cat "$T/refused.err")" "says 4 partitions but 5 partition directories are on disk" "the error names both"
rmdir "$FLOE_DATA/log/orders/4"

# a stream from before stream.json: the next start writes it from the directories
rm "$meta"
start_serve "$T/proj"
post orders "$FLOE_ROOT/examples/orders/data/orders.ndjson"
assert_eq 1000 "$(json_field accepted)" "a post to the old stream"
stop_serve
assert_eq '{"format":1,"partitions":4}' "$(cat "$meta")" "stream.json written from what is on disk"
assert_eq "$placed" "$(where)" "every key stays in its partition"
