#!/usr/bin/env bash
# `floe sql` without a query reads statements (ending in ';', over several lines) and
# the commands \d (tables) and \d TABLE (columns): each statement's rows print as it
# ends, an error is reported with its caret and the next statements still run (the exit
# status is then 1), a last statement without ';' runs at the end of input.
. "$(dirname "$0")/lib.sh"

printf '{"id":1,"tenant":"acme"}\n{"id":2,"tenant":"beta"}\n' > "$T/o.ndjson"
"$FLOE" load shop.orders "$T/o.ndjson" --schema "id BIGINT NOT NULL, tenant STRING" >/dev/null

rc=0
out=$(printf '%s\n' '\d' '\d orders' "SELECT id," "  tenant FROM orders" "ORDER BY id DESC;" \
        "SELECT nope FROM orders;" "SELECT count(*) AS n FROM shop.orders" | "$FLOE" sql --format csv 2>"$T/err") || rc=$?
assert_eq 1 "$rc" "exit status after a failed statement"
assert_eq 'shop.orders
id                       BIGINT NOT NULL
tenant                   STRING
id,tenant
2,beta
1,acme
n
2' "$(tr -d '\r' <<<"$out")" "tables, columns, then each statement's rows"
assert_eq "floe: line 1, column 8: unknown column 'nope'
SELECT nope FROM orders;
       ^" "$(cat "$T/err")" "the error with its caret, and the shell went on"

out=$(printf '%s\n' 'SELECT 1 AS one;' '\q' 'SELECT 2 AS two;' | "$FLOE" sql --format csv | tr -d '\r')
assert_eq 'one
1' "$out" "\\q stops reading"
