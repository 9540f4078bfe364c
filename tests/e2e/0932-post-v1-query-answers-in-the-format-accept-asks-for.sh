#!/usr/bin/env bash
# POST /v1/query on `floe serve`: the SQL body (text or {"sql": ...}) answers JSON rows by
# default, NDJSON, CSV or an Arrow IPC stream by Accept (apache-arrow reads it back when
# installed), EXPLAIN as rows; errors are {"error_code", "message"} with the caret: a
# syntax error (400 40001), an unknown table (404 40401), a failed CAST (400 40005), an
# Accept floe does not write
# (406), a query past query.timeout (504 50401), an answer past query.max_result_bytes
# (413 41301); with tokens configured the route needs the query scope.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

cat > "$T/o.ndjson" <<'ROWS'
{"id":1,"tenant":"acme","amount":"10.50"}
{"id":2,"tenant":"beta","amount":"3.25"}
{"id":3,"tenant":"acme","amount":null}
ROWS
"$FLOE" load shop.sales "$T/o.ndjson" --schema "id BIGINT NOT NULL, tenant STRING, amount DECIMAL(12,2)" >/dev/null
# a bigger table for the time and size limits
seq 1 300000 | awk '{printf "{\"k\":%d,\"v\":\"row %d\"}\n", $1 % 1000, $1}' > "$T/big.ndjson"
"$FLOE" load shop.big "$T/big.ndjson" --schema "k BIGINT, v STRING" >/dev/null

make_project "$T/p" "query:
  timeout: 1s
  max_result_bytes: 64KiB"
start_serve "$T/p"

Q='SELECT tenant, sum(amount) AS total, count(*) AS n FROM sales GROUP BY tenant ORDER BY tenant'
http POST /v1/query --data-binary "$Q"
assert_eq 200 "$STATUS" "status of a query"
assert_eq '[{"tenant":"acme","total":10.50,"n":2},{"tenant":"beta","total":3.25,"n":1}]' "$BODY" "JSON rows by default"
assert_contains "$HEADERS" "content-type: application/json" "JSON media type"

http POST /v1/query -H 'Content-Type: application/json' --data-binary "{\"sql\": \"$Q\"}" -H 'Accept: application/x-ndjson'
assert_eq 200 "$STATUS" "a JSON body"
assert_eq '{"tenant":"acme","total":10.50,"n":2}
{"tenant":"beta","total":3.25,"n":1}' "$BODY" "NDJSON by Accept"
assert_contains "$HEADERS" "content-type: application/x-ndjson" "NDJSON media type"

http POST /v1/query --data-binary "$Q" -H 'Accept: text/csv, application/json;q=0.5'
assert_eq 'tenant,total,n
acme,10.50,2
beta,3.25,1' "$(tr -d '\r' <<<"$BODY")" "CSV by Accept (the first type floe writes)"
assert_contains "$HEADERS" "content-type: text/csv" "CSV media type"

curl -s -o "$T/out.arrows" -H 'Accept: application/vnd.apache.arrow.stream' --data-binary "$Q" "$URL/v1/query"
[[ $(head -c 4 "$T/out.arrows" | od -An -tx1 | tr -d ' ') == ffffffff ]] || fail "an Arrow stream"
if [[ -d "$FLOE_ROOT/tests/interop/node_modules/apache-arrow" ]]; then
  assert_eq 'tenant:Utf8 total:Decimal(38,2) n:Int64
["acme","10.50","2"]
["beta","3.25","1"]' "$(cd "$FLOE_ROOT/tests/interop" && node read_arrow.mjs "$T/out.arrows")" "apache-arrow reads the answer"
fi

http POST /v1/query --data-binary "EXPLAIN SELECT id FROM sales WHERE amount > 5"
assert_eq 200 "$STATUS" "EXPLAIN"
assert_contains "$BODY" '{"plan":"  TABLE_SCAN shop.sales filter=amount > 5 prune=amount > 5.00' "EXPLAIN gives the plan as rows"

http POST /v1/query --data-binary "SELECT amount FROM sales WHERE"
assert_eq 400 "$STATUS" "syntax error status"
assert_eq '{"error_code":40001,"message":"line 1, column 31: expected an expression, found end of input\nSELECT amount FROM sales WHERE\n                              ^"}' "$BODY" "syntax error with its caret"

http POST /v1/query --data-binary "SELECT * FROM sals"
assert_eq 404 "$STATUS" "unknown table status"
assert_contains "$BODY" '"error_code":40401,"message":"line 1, column 15: unknown table '"'"'sals'"'"' (did you mean '"'"'sales'"'"'?)' "unknown table"

http POST /v1/query --data-binary "SELECT CAST(tenant AS INT) AS x FROM sales"
assert_eq 400 "$STATUS" "a query that fails on the data"
assert_eq '{"error_code":40005,"message":"CAST(tenant AS INT): line 1, column 8: cannot convert string '"'"'acme'"'"' to INT"}' "$BODY" "the conversion error"

http POST /v1/query --data-binary "$Q" -H 'Accept: application/xml'
assert_eq 406 "$STATUS" "an Accept floe does not write"

http POST /v1/query --data-binary "SELECT * FROM big"
assert_eq 413 "$STATUS" "an answer past max_result_bytes"
assert_contains "$BODY" '"error_code":41301' "413 code"

http POST /v1/query --data-binary "SELECT count(*) FROM big a, big b WHERE a.v < b.v"
assert_eq 504 "$STATUS" "a query past the time limit: $BODY"
assert_contains "$BODY" '"error_code":50401,"message":"the query ran past its time limit of 1000 ms (query.timeout in floe.yaml)' "504 message"

http GET /healthz
assert_eq 200 "$STATUS" "the server still answers after the stopped query"
stop_serve

# with tokens: the query scope is needed
make_project "$T/p2" "tokens:
  - token: reader
    scopes: [query]
  - token: writer
    scopes: [ingest:orders]"
start_serve "$T/p2"
http POST /v1/query --data-binary "SELECT count(*) AS n FROM sales" -H 'Authorization: Bearer writer'
assert_eq 403 "$STATUS" "an ingest token cannot query"
http POST /v1/query --data-binary "SELECT count(*) AS n FROM sales" -H 'Authorization: Bearer reader'
assert_eq 200 "$STATUS" "a query token can"
assert_eq '[{"n":3}]' "$BODY" "the count"
stop_serve
