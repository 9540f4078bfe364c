#!/usr/bin/env bash
# `--where` of cat and delete takes one SQL condition per flag (sql's expression
# grammar, evaluated a batch at a time by sql's evaluator): <>, IN, NOT IN, IS [NOT]
# NULL, LIKE, OR, BETWEEN, arithmetic; rows are kept where the condition is TRUE (NULL
# is not). The rows printed are exactly those an independent filter (jq) selects from
# the loaded file. `col op literal` terms still prune files (a partitioned table reads
# 1 of 3 files). Errors quote the text and suggest the fix: a bare word against a
# string column (quote it), two conditions in one flag (repeat the flag).
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed"

schema='id BIGINT NOT NULL, tenant STRING, name STRING, qty INT, amount DECIMAL(12,2)'
# 30 rows; every 5th name is null, every 4th qty is null; tenants a, b, c
for i in $(seq 1 30); do
  t=$(printf 'abc' | cut -c$(( (i - 1) % 3 + 1 )))
  name="\"n$i\""; (( i % 5 == 0 )) && name=null
  qty=$((i % 7)); (( i % 4 == 0 )) && qty=null
  printf '{"id":%d,"tenant":"%s","name":%s,"qty":%s,"amount":%d.%02d}\n' "$i" "$t" "$name" "$qty" "$i" "$((i * 3 % 100))"
done >"$T/rows.ndjson"
floe load bronze.w "$T/rows.ndjson" --schema "$schema" --partition tenant >/dev/null

# ids selected by floe, sorted numerically
ids() { floe cat bronze.w --columns id "$@" | jq -r .id | sort -n | paste -sd, -; }
# ids selected by jq from the file
want() { jq -r "select($1) | .id" "$T/rows.ndjson" | sort -n | paste -sd, -; }

assert_eq "$(want '.qty != null and .qty != 3')" "$(ids --where 'qty <> 3')" "<> drops NULLs too"
assert_eq "$(want '.qty == 1 or .qty == 5')" "$(ids --where 'qty IN (1, 5)')" "IN"
assert_eq "$(want '.qty != null and .qty != 1 and .qty != 5')" "$(ids --where 'qty NOT IN (1, 5)')" "NOT IN"
assert_eq "5,10,15,20,25,30" "$(ids --where 'name IS NULL')" "IS NULL"
assert_eq "$(want '.name != null')" "$(ids --where 'name IS NOT NULL')" "IS NOT NULL"
assert_eq "1,11,12,13,14,16,17,18,19" "$(ids --where "name LIKE 'n1%'")" "LIKE"
assert_eq "$(want '.id < 3 or .tenant == "c"')" "$(ids --where "id < 3 OR tenant = 'c'")" "OR"
assert_eq "$(want '.qty == null or .qty == 0')" "$(ids --where 'qty IS NULL OR qty = 0')" "OR with IS NULL"
assert_eq "7,8,9" "$(ids --where 'amount BETWEEN 7.21 AND 9.27')" "BETWEEN on exact decimals"
assert_eq "$(want '.qty != null and .qty * 2 > 10')" "$(ids --where 'qty * 2 > 10')" "arithmetic"
assert_eq "$(want '.tenant == "b" and .qty != null and .qty >= 4')" \
  "$(ids --where "tenant = 'b'" --where 'qty >= 4')" "two flags are ANDed"
assert_eq "$(want '.tenant != "a"')" "$(ids --where "NOT tenant = 'a'")" "NOT"

# pruning: the partition column's equality reads 1 of 3 files; OR prunes nothing
run_floe cat bronze.w --where "tenant = 'b'" --where "name LIKE 'n%'" --stats
assert_contains "$ERR" "files=3 files_pruned_partition=2 " "tenant = 'b' prunes 2 of 3 files"
assert_eq 8 "$(wc -l <<<"$OUT")" "tenant b, name not null: 8 rows"
run_floe cat bronze.w --where "tenant = 'b' OR qty = 1" --stats
assert_contains "$ERR" "files_pruned_partition=0 " "an OR does not prune"
assert_contains "$ERR" "rows_filtered=$((30 - $(wc -l <<<"$OUT"))) " "the filter drops the other rows"

# delete with the new operators hides exactly those rows
assert_eq "deleted 6 rows from bronze.w" \
  "$(floe delete bronze.w --where "qty IN (2, 6) AND tenant <> 'a'" | sed 's/ (snapshot [0-9]*)$//')" \
  "delete with IN and <>"
assert_eq "$(want '(.qty == 2 or .qty == 6) and .tenant != "a" | not')" "$(ids)" "the 6 rows (2 6 9 23 27 30) are gone, no other"

# errors suggest the fix
expect_usage_fail "--where \"tenant = b\": no column b (a string takes single quotes: 'b')" cat bronze.w --where 'tenant = b'
expect_usage_fail "--where \"tenant = \"b\"\": no column b (a string takes single quotes: 'b')" cat bronze.w --where 'tenant = "b"'
expect_usage_fail "--where \"qty = 1 tenant = 'a'\": line 1, column 9: expected an operator or end of input, found 'tenant' (one condition per --where: repeat the flag, or join them with AND)" \
  cat bronze.w --where "qty = 1 tenant = 'a'"
expect_usage_fail "--where \"qty = 1, id = 2\": line 1, column 8: expected an operator or end of input, found ',' (one condition per --where: repeat the flag, or join them with AND)" \
  delete bronze.w --where "qty = 1, id = 2"
expect_usage_fail "--where \"qty = 'x'\": 'x' is not a INT (column qty)" cat bronze.w --where "qty = 'x'"
expect_usage_fail "--where \"name IN ('n1', 2)\": name is a STRING column: quote the value ('2')" cat bronze.w --where "name IN ('n1', 2)"
assert_eq "$(want '.qty == 3')" "$(ids --where "qty = '3'")" "a quoted number against an INT column is read as one"
