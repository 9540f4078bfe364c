#!/usr/bin/env bash
# While a post's answer waits for the log's fsync, floe serve keeps the HTTP/1 socket in
# epoll with reading parked (src/http/defer.c). Clients that do not wait quietly for the
# answer still get exactly HTTP/1.1: 5 posts pipelined in one write are answered in
# order, 200 each, and the connection takes another post; 20 clients that post and
# close at once leave the server answering; half-closed clients get their answer. Every
# post answered 200 is in the log exactly once, and the server stops cleanly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
command -v python3 >/dev/null || fail "python3 is needed"

make_project "$T/proj" 'stream:
  enabled: false'
start_serve "$T/proj"
port=${URL##*:}
python3 "$(dirname "$0")/pipelined_posts.py" "$port" >"$T/ids.txt" || fail "pipelined_posts.py: $(cat "$T/ids.txt")"
sed -n '/^ids:$/,$p' "$T/ids.txt" | tail -n +2 >"$T/ok.txt"
assert_eq 23 "$(wc -l <"$T/ok.txt")" "posts answered 200 (3 x 5 pipelined, 3 after, 5 half-closed)"

http GET /healthz
assert_eq 200 "$STATUS" "healthz after the abandoned posts"
printf '{"event_id":"last","tenant_id":"t","order_id":1,"event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}\n' >"$T/last.ndjson"
post orders "$T/last.ndjson"
assert_eq 200 "$STATUS" "a post after them"
stop_serve

log=$(floe log orders)
while read -r id; do
  assert_eq 1 "$(grep -c "\"event_id\":\"$id\"" <<<"$log")" "event $id is in the log once"
done <"$T/ok.txt"
assert_eq 1 "$(grep -c '"event_id":"last"' <<<"$log")" "the last event is in the log once"
# the abandoned posts: stored at most once each (they may or may not have been read whole)
for c in $(seq 0 19); do
  n=$(grep -c "\"event_id\":\"gone-$c\"" <<<"$log" || true)
  [[ $n -le 1 ]] || fail "gone-$c is in the log $n times"
done
