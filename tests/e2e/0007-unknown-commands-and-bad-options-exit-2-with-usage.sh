#!/usr/bin/env bash
# The command line itself: help and version succeed; an unknown command, an unknown
# option, a missing argument each exit 2 with the message and the usage on stderr;
# a request that fails (a table that does not exist) exits 1.
. "$(dirname "$0")/lib.sh"

out=$(floe version)
[[ "$out" =~ ^floe\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "floe version: $out"
help=$(floe help)
for cmd in tables load cat describe help version; do
  grep -q "^  $cmd " <<<"$help" || fail "floe help does not list $cmd: $help"
done
assert_contains "$(floe help load)" "usage: floe load TABLE FILE|- " "floe help load"

run_floe frobnicate
assert_eq 2 "$RC" "unknown command exit status"
assert_eq "floe: unknown command 'frobnicate'" "$(head -1 <<<"$ERR")" "unknown command message"
assert_contains "$ERR" "usage: floe [--data DIR] COMMAND [ARGS]" "unknown command prints the usage"
assert_eq "" "$OUT" "nothing on stdout"

run_floe
assert_eq 2 "$RC" "no command exit status"

run_floe cat bronze.x --bogus
assert_eq 2 "$RC" "unknown option exit status"
assert_eq "floe: unknown option --bogus" "$(head -1 <<<"$ERR")" "unknown option message"
assert_contains "$ERR" "usage: floe cat TABLE" "unknown option prints the command's usage"

run_floe load bronze.x
assert_eq 2 "$RC" "missing FILE exit status"
run_floe load bronze.x f.ndjson --batch-rows 0
assert_eq 2 "$RC" "--batch-rows 0 exit status"
run_floe cat bronze.x --limit
assert_eq 2 "$RC" "option without a value exit status"
assert_eq "floe: option --limit needs a value" "$(head -1 <<<"$ERR")" "option without a value message"

expect_fail 1 "data dir $FLOE_DATA does not exist" cat bronze.x
mkdir -p "$FLOE_DATA"
expect_fail 1 "table bronze.x does not exist in data dir $(cd "$FLOE_DATA" && pwd -P)" cat bronze.x
expect_fail 1 "table bronze.x does not exist in data dir $(cd "$FLOE_DATA" && pwd -P)" describe bronze.x

# --data, and FLOE_DATA, choose the data directory
echo '{"id":1}' >"$T/one.ndjson"
floe --data "$T/other" load ns.t "$T/one.ndjson" --schema 'id INT' >/dev/null
assert_eq "" "$(floe tables)" "FLOE_DATA's warehouse is still empty"
assert_eq '{"id":1}' "$(floe cat ns.t --data "$T/other")" "--data after the command"
assert_eq '{"id":1}' "$(FLOE_DATA="$T/other" "$FLOE" cat ns.t)" "FLOE_DATA"
