#!/usr/bin/env bash
# `floe load` reads CSV with a header: columns by header name (any order, case aside),
# values typed by the table's schema (quoted fields with commas, "" quotes and
# newlines; empty = NULL; CRLF), and a bad record fails the whole load naming the file,
# its line and the column, committing nothing.
. "$(dirname "$0")/lib.sh"
cd "$T"

schema='id BIGINT NOT NULL, name STRING, price DECIMAL(10,2), day DATE, ts TIMESTAMP, ok BOOLEAN, score DOUBLE'
printf '%s\r\n' 'ID,price,name,day,ts,ok,score' \
  '1,9.99,Widget,2026-11-25,2026-11-25T10:00:00Z,true,0.5' \
  '2,19.5,"Gadget, large",2026-11-26,2026-11-26 11:30:00,f,-1e3' \
  '3,,"say ""hi""",,,,' >good.csv
printf '4,0.01,"two\nlines",2026-01-01,2026-01-01T00:00:00.000001Z,1,2\n' >>good.csv
floe load shop.items good.csv --schema "$schema" >/dev/null
assert_eq 1 "$(snapshot_count shop.items)" "one load, one snapshot"
assert_eq '{"id":1,"name":"Widget","price":9.99,"day":"2026-11-25","ts":"2026-11-25T10:00:00Z","ok":true,"score":0.5}
{"id":2,"name":"Gadget, large","price":19.50,"day":"2026-11-26","ts":"2026-11-26T11:30:00Z","ok":false,"score":-1000}
{"id":3,"name":"say \"hi\"","price":null,"day":null,"ts":null,"ok":null,"score":null}
{"id":4,"name":"two\nlines","price":0.01,"day":"2026-01-01","ts":"2026-01-01T00:00:00.000001Z","ok":true,"score":2}' \
  "$("$FLOE" cat shop.items)" "every value as typed"

# a header without some columns: they read NULL; --format csv for any file name
printf 'name,id\nsolo,5\n' >part.txt
floe load shop.items part.txt --format csv >/dev/null
assert_eq '{"id":5,"name":"solo","price":null,"day":null,"ts":null,"ok":null,"score":null}' \
  "$("$FLOE" cat shop.items --where 'id = 5')" "absent columns are NULL"

# bad_load CSV MESSAGE: the load fails with MESSAGE, nothing is committed
bad_load() {
  printf '%b' "$1" >bad.csv
  expect_fail 1 "$2" load shop.items bad.csv
  assert_eq 2 "$(snapshot_count shop.items)" "nothing committed after: $2"
}
bad_load 'id,price\n1,1.00\n2,2.00\n3,abc\n' 'bad.csv:4: column price: expected DECIMAL(10,2), found "abc"'
bad_load 'id,price\n1,1.001\n' 'bad.csv:2: column price: expected DECIMAL(10,2), found "1.001"'
bad_load 'id,day\n1,2026-13-01\n' 'bad.csv:2: column day: expected DATE, found "2026-13-01"'
bad_load 'id,ok\n1,maybe\n' 'bad.csv:2: column ok: expected BOOLEAN, found "maybe"'
bad_load 'id,name\n1,"a\nb"\n7x,c\n' 'bad.csv:4: column id: expected BIGINT, found "7x"'
bad_load 'id,name\n1,a\n,b\n' 'bad.csv:3: column id: empty, and the column is NOT NULL'
bad_load 'id,name\n1,a,extra\n' 'bad.csv:2: 3 fields, the header has 2'
bad_load 'id,name\n1,"open\n' 'bad.csv:2: a quoted field is not closed'
bad_load 'name,price\nx,1\n' 'bad.csv:1: column id is NOT NULL and the header does not name it'
bad_load 'id,colour\n1,red\n' "bad.csv:1: header field 2 'colour' is no column of the table (--unknown-fields ignore skips it)"
bad_load '' 'bad.csv: empty file: a CSV file starts with a header naming the columns'

# --unknown-fields ignore skips a header field the table lacks
printf 'id,colour\n6,red\n' >extra.csv
floe load shop.items extra.csv --unknown-fields ignore >/dev/null
assert_eq '{"id":6,"name":null,"price":null,"day":null,"ts":null,"ok":null,"score":null}' \
  "$("$FLOE" cat shop.items --where 'id = 6')" "unknown header field skipped"

# CHECK constraints of --schema hold for CSV too
printf 'id,qty\n1,3\n2,-1\n' >neg.csv
expect_fail 1 'neg.csv: data row 2: CHECK (qty >= 0) failed' load shop.stock neg.csv --schema 'id BIGINT, qty INT CHECK (qty >= 0)'
assert_eq "" "$("$FLOE" tables | grep stock || true)" "no table created by a failed load"
