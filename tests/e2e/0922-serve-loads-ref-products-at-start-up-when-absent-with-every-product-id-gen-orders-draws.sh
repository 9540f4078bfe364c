#!/usr/bin/env bash
# `floe serve` loads the project's reference tables (ref/NAME.sql + NAME.csv) when they
# are absent: the orders example gets its 5,000-row ref.products, holding every
# product_id `floe gen orders` draws; a table that exists is left alone (a restart
# after a change keeps the change, after a drop reloads it), and a bad file stops the
# start-up naming the file, line and column, leaving no table behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

proj=$T/proj
make_project "$proj"
cp -r "$FLOE_ROOT/examples/orders/ref" "$proj/ref"
start_serve "$proj"
stop_serve
assert_contains "$(cat "$T/serve.err")" "loaded 5000 rows into ref.products" "start-up says so"
assert_eq 1 "$(snapshot_count ref.products)" "one snapshot"
assert_eq 5000 "$("$FLOE" cat ref.products | wc -l)" "5,000 rows"
assert_eq '{"product_id":0,"name":"Classic Blender 0000","category":"books","price":0.99}
{"product_id":4999,"name":"Essential Yoga Mat 4999","category":"fashion","price":164.80}' \
  "$("$FLOE" cat ref.products --where 'product_id IN (0, 4999)')" "first and last rows"
assert_eq "    1  product_id               INT              NOT NULL
    2  name                     STRING           NOT NULL
    3  category                 STRING           NOT NULL
    4  price                    DECIMAL(10,2)    NOT NULL" \
  "$("$FLOE" describe ref.products | sed -n '/^schema/,/^partition/p' | sed '1d;$d')" "the schema of ref/products.sql"

# every product id of generated orders is a product
"$FLOE" gen orders --count 20000 --seed 7 --out "$T/orders.ndjson" >/dev/null
gen_ids=$(grep -o '"product_id":[0-9]*' "$T/orders.ndjson" | cut -d: -f2 | sort -u)
[[ $(wc -l <<<"$gen_ids") -ge 400 ]] || fail "gen draws many product ids: $(wc -l <<<"$gen_ids")"
ref_ids=$("$FLOE" cat ref.products --columns product_id | grep -o '[0-9]*' | sort -u)
assert_eq "" "$(comm -23 <(echo "$gen_ids") <(echo "$ref_ids"))" "no generated product id is missing from ref.products"

# an existing table is left alone: a change survives a restart
"$FLOE" delete ref.products --where 'product_id >= 4000' >/dev/null
start_serve "$proj"
stop_serve
assert_eq 4000 "$("$FLOE" cat ref.products | wc -l)" "not reloaded over a changed table"
assert_eq 2 "$(snapshot_count ref.products)" "no new snapshot"
# ... and a dropped one comes back
"$FLOE" drop ref.products --purge >/dev/null
start_serve "$proj"
stop_serve
assert_eq 5000 "$("$FLOE" cat ref.products | wc -l)" "reloaded after a drop"

# a bad reference file stops the start-up and leaves no table
"$FLOE" drop ref.products --purge >/dev/null
sed -i '3s/,80.18$/,eighty/' "$proj/ref/products.csv"
set +e
"$FLOE" serve --project "$proj" --data "$FLOE_DATA" --listen 127.0.0.1:0 >"$T/bad.out" 2>"$T/bad.err"
rc=$?
set -e
assert_eq 1 "$rc" "serve fails"
assert_contains "$(cat "$T/bad.err")" "floe: reference table ref.products: $proj/ref/products.csv:3: column price: expected DECIMAL(10,2), found \"eighty\"" "names file, line and column"
assert_eq "" "$("$FLOE" tables | grep ref.products || true)" "no half-loaded table"
