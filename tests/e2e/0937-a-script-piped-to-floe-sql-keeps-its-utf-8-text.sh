#!/usr/bin/env bash
# Statements piped to `floe sql` (the shell without a terminal) reach the parser byte
# for byte: UTF-8 literals keep every character (libedit in the C locale dropped the
# bytes of 'ü', 'ß' and 'ï', so length('ünï') was 1), as the same query given as an
# argument or with `floe sql -`.
. "$(dirname "$0")/lib.sh"

printf '{"id":1,"s":"ünïcödé"}\n' > "$T/t.ndjson"
"$FLOE" load db.t "$T/t.ndjson" --schema "id BIGINT NOT NULL, s STRING" >/dev/null
q="SELECT length('ünï') AS n, upper('straße') AS u, s, s = 'ünïcödé' AS same FROM t"
want='n,u,s,same
3,STRAẞE,ünïcödé,true'
assert_eq "$want" "$("$FLOE" sql --format csv "$q" | tr -d '\r')" "the query as an argument"
assert_eq "$want" "$(printf '%s\n' "$q" | "$FLOE" sql --format csv - | tr -d '\r')" "the query from floe sql -"
assert_eq "$want" "$(printf '%s;\n' "$q" | "$FLOE" sql --format csv | tr -d '\r')" "the query piped to the shell"
