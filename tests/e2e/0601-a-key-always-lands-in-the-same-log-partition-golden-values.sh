#!/usr/bin/env bash
# The partitioner (primary key -> log partition) is an on-disk contract: the stream job
# makes every keyed decision per partition, so a key that moved partition after an
# upgrade would break dedupe and replay. These partitions were recorded once (floe 0.1,
# xxh3-64 of the key text % partitions; key columns joined by 0x1f, strings as their
# bytes, other types as their JSON text; no key: the raw record) and must never change.
# They are golden values, not recomputed with the implementation's formula.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

make_project "$T/proj" 'commit_interval: 200ms'
cat >"$T/proj/streams/pairs.sql" <<'SQL'
CREATE STREAM pairs (
  tenant STRING NOT NULL,
  n      BIGINT NOT NULL,
  d      DECIMAL(10,2),
  PRIMARY KEY (n, tenant) NOT ENFORCED
) WITH (partitions = 8);
SQL
cat >"$T/proj/streams/nokey.sql" <<'SQL'
CREATE STREAM nokey (s STRING) WITH (partitions = 3);
SQL
start_serve "$T/proj"

for i in $(seq -w 0 15); do
  printf '{"event_id":"k%s","tenant_id":"t","order_id":1,"event_type":"order_paid","event_time":"2026-11-25T10:00:00Z"}\n' "$i"
done >"$T/orders.ndjson"
post orders "$T/orders.ndjson"
assert_eq 200 "$STATUS" "orders post: $BODY"
for n in 1 -2 300 9223372036854775807; do
  printf '{"tenant":"acme","n":%s}\n{"tenant":"é x","n":%s}\n' "$n" "$n"
done >"$T/pairs.ndjson"
post pairs "$T/pairs.ndjson"
assert_eq 200 "$STATUS" "pairs post: $BODY"
printf '{"s":"a"}\n{"s":"b"}\n{"s": "a"}\n{}\n' >"$T/nokey.ndjson"
post nokey "$T/nokey.ndjson"
assert_eq 200 "$STATUS" "nokey post: $BODY"
stop_serve

placed() { LC_ALL=C "$FLOE" log "$1" --format text | cut -f1,4 | sed 's/,"tenant_id".*//' | LC_ALL=C sort; }

assert_eq '0	{"event_id":"k04"
0	{"event_id":"k05"
0	{"event_id":"k07"
0	{"event_id":"k08"
0	{"event_id":"k13"
1	{"event_id":"k00"
1	{"event_id":"k02"
1	{"event_id":"k03"
1	{"event_id":"k09"
1	{"event_id":"k12"
2	{"event_id":"k01"
2	{"event_id":"k06"
2	{"event_id":"k14"
3	{"event_id":"k10"
3	{"event_id":"k11"
3	{"event_id":"k15"' "$(placed orders)" "orders: event_id -> partition of 4"

assert_eq '0	{"tenant":"acme","n":9223372036854775807}
3	{"tenant":"acme","n":300}
3	{"tenant":"é x","n":300}
4	{"tenant":"acme","n":1}
4	{"tenant":"é x","n":9223372036854775807}
5	{"tenant":"é x","n":1}
6	{"tenant":"acme","n":-2}
7	{"tenant":"é x","n":-2}' "$(placed pairs)" "pairs: (n, tenant) -> partition of 8"

assert_eq '0	{"s":"b"}
1	{"s": "a"}
1	{"s":"a"}
1	{}' "$(placed nokey)" "no key: raw record -> partition of 3"
