#!/usr/bin/env bash
# Who fills quarantine.orders: with `stream: enabled: false` the quarantine copy alone (stream/qcopy.c) does (no
# stream job), its snapshots carry the offset but no checkpoint id; turned on, the
# stream job takes over inside its checkpoints from the offset the flusher reached
# (nothing twice, nothing skipped) and the flusher does not run; turned off again, the
# flusher continues from the job's offset. floe_quarantine_rows_total counts either.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

bad() { # N PREFIX: N rejected records (no event_time) in one batch
  for i in $(seq 1 "$1"); do
    printf '{"event_id":"%s-%s","tenant_id":"t","order_id":%s,"event_type":"order_paid"}\n' "$2" "$i" "$i"
  done >"$T/bad.ndjson"
  post orders "$T/bad.ndjson"
  assert_eq 400 "$STATUS" "$2: every record rejected"
}
wait_rows() {
  for _ in $(seq 1 100); do
    [[ "$("$FLOE" cat quarantine.orders 2>/dev/null | wc -l)" == "$1" ]] && break
    sleep 0.1
  done
  assert_eq "$1" "$("$FLOE" cat quarantine.orders | wc -l)" "quarantine.orders rows"
}
current_meta() {
  local mdir="$FLOE_DATA/warehouse/quarantine/orders/metadata"
  cat "$mdir/v$(cat "$mdir/version-hint.text").metadata.json"
}

off='commit_interval: 100ms
stream:
  enabled: false'
make_project "$T/proj" "$off"
start_serve "$T/proj"
bad 3 off1
wait_rows 3
stop_serve
assert_eq 0 "$(current_meta | grep -c '"floe.checkpoint-id"' || true)" "the flusher wrote it: no checkpoint id"
assert_contains "$(current_meta)" '"floe.log-offset.0":"3"' "the flusher's offset"

printf 'commit_interval: 100ms\n' >"$T/proj/floe.yaml"
start_serve "$T/proj"
bad 4 on
wait_rows 7
# the job updates its metrics right after the catalog commit a reader already sees
for _ in $(seq 1 50); do
  http GET /metrics
  [[ $BODY == *'floe_quarantine_rows_total{stream="orders"} 4'* &&
    $BODY == *'floe_quarantine_lag_records{stream="orders"} 0'* ]] && break
  sleep 0.1
done
assert_contains "$BODY" 'floe_quarantine_rows_total{stream="orders"} 4' "the job counts what it copied"
assert_contains "$BODY" 'floe_quarantine_lag_records{stream="orders"} 0' "nothing left to copy"
stop_serve
assert_contains "$(current_meta)" '"floe.log-offset.0":"7"' "the job's offset"
grep -q '"floe.checkpoint-id"' <(current_meta) || fail "the job's snapshots carry its checkpoint id"
assert_eq 0 "$(snapshot_count bronze.orders)" "only quarantine rows: no bronze snapshot"

printf '%s\n' "$off" >"$T/proj/floe.yaml"
start_serve "$T/proj"
bad 2 off2
wait_rows 9
stop_serve
q=$("$FLOE" cat quarantine.orders)
for id in off1-1 off1-3 on-1 on-4 off2-1 off2-2; do
  assert_eq 1 "$(grep -c "$id" <<<"$q")" "$id once"
done
