#!/usr/bin/env bash
# `floe sql` errors teach: a syntax error shows the query line with a caret under the
# place, an unknown column or table names the closest one, a type error names both
# types; each exits 1 with nothing on stdout.
. "$(dirname "$0")/lib.sh"

printf '{"id":1,"tenant":"acme","amount":"10.50"}\n' > "$T/o.ndjson"
"$FLOE" load shop.orders "$T/o.ndjson" --schema "id BIGINT NOT NULL, tenant STRING, amount DECIMAL(12,2)" >/dev/null

# run_fail QUERY: stderr of a query that must fail with status 1 and print no rows
run_fail() {
  local out rc=0
  out=$("$FLOE" sql "$1" 2>"$T/err") || rc=$?
  [[ $rc -eq 1 ]] || fail "'$1' exited $rc (expected 1)"
  [[ -z "$out" ]] || fail "'$1' printed rows: $out"
  cat "$T/err"
}

assert_eq "floe: line 1, column 8: unknown column 'amout' (did you mean 'amount'?)
SELECT amout FROM orders
       ^" "$(run_fail "SELECT amout FROM orders")" "unknown column with its closest match"

assert_eq "floe: line 2, column 3: unexpected 'FORM' (did you mean FROM?)
  FORM orders
  ^" "$(run_fail "SELECT amount
  FORM orders")" "a misspelt keyword, on the second line"

assert_eq "floe: line 1, column 30: expected an expression, found end of input
SELECT id FROM orders WHERE (
                             ^" "$(run_fail "SELECT id FROM orders WHERE (")" "syntax error at the end"

assert_eq "floe: line 1, column 15: unknown table 'ordrs' (did you mean 'orders'?)
SELECT * FROM ordrs
              ^" "$(run_fail "SELECT * FROM ordrs")" "unknown table with its closest match"

assert_eq "floe: line 1, column 36: cannot compare STRING with INT
SELECT id FROM orders WHERE tenant > 1
                                   ^" "$(run_fail "SELECT id FROM orders WHERE tenant > 1")" "type error names both types"

assert_eq "floe: line 1, column 12: column 'tenant' must appear in the GROUP BY clause or be used in an aggregate function
SELECT id, tenant FROM orders GROUP BY id
           ^" "$(run_fail "SELECT id, tenant FROM orders GROUP BY id")" "GROUP BY rule"
