#!/usr/bin/env bash
# `floe ingest` and `floe gen` refuse a wrong command line with exit status 2, a
# message naming what is wrong and the command's usage; nothing is posted or written.
. "$(dirname "$0")/lib.sh"

usage_error() { # usage_error MESSAGE ARGS...
  local msg=$1
  shift
  run_floe "$@"
  assert_eq 2 "$RC" "exit status of floe $*"
  assert_eq "floe: $msg" "$(head -1 <<<"$ERR")" "message of floe $*"
  assert_contains "$ERR" "usage: floe $1 " "usage line of floe $*"
  assert_eq "" "$OUT" "stdout of floe $*"
}

echo '{}' >"$T/f.ndjson"
usage_error "which stream? give STREAM FILE|-" ingest
usage_error "which file? give STREAM FILE|- (- reads stdin)" ingest orders
usage_error "unexpected argument 'more'" ingest orders "$T/f.ndjson" more
usage_error "unknown option --bogus" ingest orders "$T/f.ndjson" --bogus
usage_error "--batch: expected 1 to 1000000 lines, found 0" ingest orders "$T/f.ndjson" --batch 0
usage_error '--batch: expected a non-negative integer, found "ten"' ingest orders "$T/f.ndjson" --batch ten
usage_error '--retries: expected a non-negative integer, found "-1"' ingest orders "$T/f.ndjson" --retries=-1
run_floe ingest orders "$T/f.ndjson" --url
assert_eq "2 floe: option --url needs a value" "$RC $ERR" "a missing option value"
usage_error "--url ftp://x: expected a URL http://HOST[:PORT][/PREFIX]" ingest orders "$T/f.ndjson" --url ftp://x
usage_error "--url https://x: https is not supported (floe serve speaks http)" ingest orders "$T/f.ndjson" --url https://x
usage_error "--url http://h:port: the port must be a number" ingest orders "$T/f.ndjson" --url http://h:port
usage_error "bad stream name 'a/b' (letters, digits, _ . - only)" ingest a/b "$T/f.ndjson"

usage_error "what to generate? give orders" gen
usage_error "unknown generator 'users' (known: orders)" gen users
usage_error '--bad: expected a fraction from 0 to 1, found "2"' gen orders --bad 2
usage_error '--duplicates: expected a fraction from 0 to 1, found "x"' gen orders --duplicates x
usage_error "--duplicates + --late + --bad exceed 1 (1.5)" gen orders --duplicates 0.5 --late 0.5 --bad 0.5
usage_error "give --out or --url, not both" gen orders --out "$T/g.ndjson" --url http://127.0.0.1:1
usage_error "--token, --batch, --connections and --retries need --url" gen orders --batch 10
usage_error "--connections: expected 1 to 64, found 0" gen orders --url http://127.0.0.1:1 --connections 0
usage_error "--tenants: expected 1 to 100000, found 0" gen orders --tenants 0
usage_error '--count: expected a non-negative integer, found "1e6"' gen orders --count 1e6
usage_error "--url ftp://x: expected a URL http://HOST[:PORT][/PREFIX]" gen orders --url ftp://x
usage_error "unknown option --bogus" gen orders --bogus
[[ ! -e "$T/g.ndjson" ]] || fail "a refused gen wrote its --out file"

# --rate takes N or N/s; --count 0 writes nothing
run_floe gen orders --count 0 --rate 100/s --out "$T/zero.ndjson"
assert_eq 0 "$RC" "gen --count 0 --rate 100/s (stderr: $ERR)"
assert_eq '{"sent":0,"unique":0,"duplicates":0,"late":0,"bad":0}' "$OUT" "summary of --count 0"
assert_eq 0 "$(wc -c <"$T/zero.ndjson")" "--count 0 writes nothing"
