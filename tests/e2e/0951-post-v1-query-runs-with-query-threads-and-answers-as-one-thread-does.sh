#!/usr/bin/env bash
# POST /v1/query runs a query with floe.yaml's query.threads: with `threads: 2` over a
# table of 3 files, EXPLAIN ANALYZE shows GATHER threads=2, and the answers of a
# group-by, a join and an ORDER BY ... LIMIT are the bytes `floe sql --threads 1`
# writes (CSV); with `threads: 1` no GATHER is planned.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

for f in 0 1 2; do
  seq $((f * 4000)) $((f * 4000 + 3999)) |
    awk '{printf "{\"id\":%d,\"g\":%s,\"amt\":\"%d.%02d\"}\n", $1, ($1 % 5 ? $1 % 7 : "null"), $1 % 1000, $1 % 100}' >"$T/e$f.ndjson"
done
"$FLOE" load shop.ev "$T/e0.ndjson" --schema "id BIGINT NOT NULL, g INT, amt DECIMAL(12,2)" >/dev/null
"$FLOE" load shop.ev "$T/e1.ndjson" >/dev/null
"$FLOE" load shop.ev "$T/e2.ndjson" >/dev/null
assert_eq 3 "$("$FLOE" describe shop.ev --files | wc -l)" "three data files"

make_project "$T/p" "query:
  threads: 2"
start_serve "$T/p"

http POST /v1/query --data-binary "EXPLAIN ANALYZE SELECT g, count(*) FROM ev GROUP BY g"
assert_eq 200 "$STATUS" "EXPLAIN ANALYZE"
assert_contains "$BODY" "GATHER threads=2" "query.threads reaches the query"
assert_contains "$BODY" "rows_read=12000" "every row read once"

queries=(
  "SELECT g, count(*) AS n, sum(amt) AS s, avg(amt) AS a FROM ev GROUP BY g ORDER BY g NULLS FIRST"
  "SELECT a.g, count(*) AS n FROM ev a JOIN ev b ON a.id = b.id + 4000 GROUP BY 1 ORDER BY 1 NULLS FIRST"
  "SELECT id, amt FROM ev ORDER BY amt DESC, id LIMIT 5"
)
for q in "${queries[@]}"; do
  http POST /v1/query --data-binary "$q" -H 'Accept: text/csv'
  assert_eq 200 "$STATUS" "status of $q"
  assert_eq "$("$FLOE" sql --threads 1 --format csv "$q")" "$BODY" "the 1-thread bytes: $q"
done
stop_serve

make_project "$T/p1" "query:
  threads: 1"
start_serve "$T/p1"
http POST /v1/query --data-binary "EXPLAIN SELECT g, count(*) FROM ev GROUP BY g"
assert_eq 200 "$STATUS" "EXPLAIN with one thread"
[[ "$BODY" != *GATHER* ]] || fail "no GATHER with query.threads 1: $BODY"
