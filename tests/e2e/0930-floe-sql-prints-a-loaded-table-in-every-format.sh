#!/usr/bin/env bash
# `floe sql` over tables loaded with `floe load`: a GROUP BY with a join gives the exact
# rows in each --format (table box, json, ndjson, csv with quoting and NULL as an empty
# field, arrow read back by apache-arrow when it is installed), and a query read from
# stdin gives the same rows.
. "$(dirname "$0")/lib.sh"

cat > "$T/orders.ndjson" <<'ROWS'
{"id":1,"tenant":"acme","amount":"10.50","pid":1}
{"id":2,"tenant":"beta, inc","amount":"3.25","pid":2}
{"id":3,"tenant":"acme","amount":null,"pid":3}
{"id":4,"tenant":"acme","amount":"1.00","pid":1}
ROWS
cat > "$T/products.ndjson" <<'ROWS'
{"id":1,"name":"pen"}
{"id":2,"name":"ink \"blue\""}
ROWS
"$FLOE" load shop.orders "$T/orders.ndjson" --schema "id BIGINT NOT NULL, tenant STRING, amount DECIMAL(12,2), pid INT" >/dev/null
"$FLOE" load shop.products "$T/products.ndjson" --schema "id INT NOT NULL, name STRING" >/dev/null

Q="SELECT o.tenant, p.name, sum(o.amount) AS total, count(*) AS n
   FROM orders o LEFT JOIN shop.products p ON o.pid = p.id
   GROUP BY ALL ORDER BY tenant, name NULLS FIRST"

table=$("$FLOE" sql "$Q")
assert_eq '┌───────────┬────────────┬───────────────┬────────┐
│  tenant   │    name    │     total     │   n    │
│  string   │   string   │ decimal(38,2) │ bigint │
├───────────┼────────────┼───────────────┼────────┤
│ acme      │ NULL       │ NULL          │      1 │
│ acme      │ pen        │         11.50 │      2 │
│ beta, inc │ ink "blue" │          3.25 │      1 │
└───────────┴────────────┴───────────────┴────────┘
3 rows' "$table" "table format"

assert_eq '[{"tenant":"acme","name":null,"total":null,"n":1},{"tenant":"acme","name":"pen","total":11.50,"n":2},{"tenant":"beta, inc","name":"ink \"blue\"","total":3.25,"n":1}]' \
  "$("$FLOE" sql "$Q" --format json)" "json format"

assert_eq '{"tenant":"acme","name":null,"total":null,"n":1}
{"tenant":"acme","name":"pen","total":11.50,"n":2}
{"tenant":"beta, inc","name":"ink \"blue\"","total":3.25,"n":1}' "$("$FLOE" sql "$Q" --format ndjson)" "ndjson format"

csv=$("$FLOE" sql "$Q" --format csv | tr -d '\r')
assert_eq 'tenant,name,total,n
acme,,,1
acme,pen,11.50,2
"beta, inc","ink ""blue""",3.25,1' "$csv" "csv format (RFC 4180 quoting, NULL empty)"
[[ $("$FLOE" sql "$Q" --format csv | head -1 | od -An -tx1 | tr -d ' \n') == *0d0a ]] || fail "csv lines end in CRLF"

assert_eq "$("$FLOE" sql "$Q" --format ndjson)" "$(printf '%s' "$Q" | "$FLOE" sql - --format ndjson)" "the query from stdin"

"$FLOE" sql "$Q" --format arrow > "$T/out.arrows"
[[ $(head -c 4 "$T/out.arrows" | od -An -tx1 | tr -d ' ') == ffffffff ]] || fail "arrow stream starts with a continuation marker"
reader="$FLOE_ROOT/tests/interop/read_arrow.mjs"
if [[ -d "$FLOE_ROOT/tests/interop/node_modules/apache-arrow" ]]; then
  got=$(cd "$FLOE_ROOT/tests/interop" && node read_arrow.mjs "$T/out.arrows")
  assert_eq 'tenant:Utf8 name:Utf8 total:Decimal(38,2) n:Int64
["acme",null,null,"1"]
["acme","pen","11.50","2"]
["beta, inc","ink \"blue\"","3.25","1"]' "$got" "apache-arrow reads the arrow stream"
else
  echo "note: apache-arrow not installed (make deps): arrow values not checked by a reader"
fi
