#!/usr/bin/env bash
# Walks every command of `floe help`: `floe help CMD` and `floe CMD --help` print the
# same text on stdout and exit 0, naming every option the command's usage line names
# (each with its default when it takes a value); an unknown option, a missing
# argument or a malformed value exits 2 with "floe: ..." and the usage line on stderr;
# a request that fails (missing table, stream, file, server) exits 1 with one
# "floe: ..." line and no usage.
. "$(dirname "$0")/lib.sh"

commands=$(floe help | awk '/^commands:/{on=1; next} /^$/{on=0} on {print $1}')
assert_eq "tables load cat sql describe alter delete drop register compact expire log serve replay ingest gen help version" \
  "$(tr '\n' ' ' <<<"$commands" | sed 's/ $//')" "the commands floe help lists"

for c in $commands; do
  help=$(floe help "$c")
  assert_eq "$help" "$(floe "$c" --help)" "floe $c --help = floe help $c"
  assert_eq "$help" "$(floe "$c" -h)" "floe $c -h = floe help $c"
  usage=$(head -1 <<<"$help")
  [[ "$usage" == "usage: floe $c"* ]] || fail "floe help $c: first line is not the usage: $usage"
  assert_contains "$help" "exit status: 0 ok, 1 the request failed, 2 the command line is wrong" "floe help $c: exit statuses"
  # every --option of the usage line is explained in the option list, with a default
  # when it takes a value
  for opt in $(grep -o -- '--[a-z-]*' <<<"$usage" | sort -u); do
    line=$(grep -E -- "^  $opt( |$)" <<<"$help" | head -1) || true
    [[ -n "$line" ]] || fail "floe help $c does not explain $opt"
    if grep -qE -- "$opt [A-Z]" <<<"$usage"; then
      grep -A2 -E -- "^  $opt( |$)" <<<"$help" | grep -qE 'default|required' ||
        fail "floe help $c: $opt has no default: $line"
    fi
  done
  # an unknown option is a usage error
  run_floe "$c" --no-such-option
  assert_eq 2 "$RC" "floe $c --no-such-option: exit status"
  [[ "$(head -1 <<<"$ERR")" == "floe: "* ]] || fail "floe $c --no-such-option: message: $ERR"
  if [[ $c != help ]]; then assert_contains "$ERR" "$usage" "floe $c --no-such-option: usage on stderr"; fi
  [[ -z "$OUT" ]] || fail "floe $c --no-such-option wrote to stdout: $OUT"
done
expect_fail_any() { # STATUS ARGS...: exit STATUS, stderr starts with "floe: ", no usage unless 2
  local status=$1
  shift
  run_floe "$@"
  assert_eq "$status" "$RC" "exit status of floe $*"
  [[ "$ERR" == "floe: "* ]] || fail "floe $*: stderr is not 'floe: ...': $ERR"
  if [[ $status == 1 && "$ERR" == *"usage: floe"* ]]; then fail "floe $*: a failure printed the usage: $ERR"; fi
  if [[ $status == 2 && "$ERR" != *"usage: floe"* ]]; then fail "floe $*: a usage error without usage: $ERR"; fi
}

# usage errors: missing arguments and malformed values
expect_fail_any 2 load
expect_fail_any 2 load nodot -
expect_fail_any 2 load bronze.t - --schema 'id NOTATYPE'
expect_fail_any 2 load bronze.t - --partition 'nope(id)'
expect_fail_any 2 load bronze.t - --batch-rows 0
expect_fail_any 2 load bronze.t - --codec lz5
expect_fail_any 2 cat
expect_fail_any 2 replay
expect_fail_any 2 replay orders --from-offset x
expect_fail_any 1 replay nosuchstream --project "$T"
expect_fail_any 2 cat nodot
expect_fail_any 2 cat bronze.t --limit x
expect_fail_any 2 cat bronze.t --snapshot x
expect_fail_any 2 cat bronze.t --as-of yesterday
expect_fail_any 2 cat bronze.t --snapshot 1 --as-of 1
expect_fail_any 2 sql "SELECT 1" --format xml
expect_fail_any 2 sql "SELECT 1" "SELECT 2"
expect_fail_any 2 sql "SELECT 1" --timeout soon
expect_fail_any 2 describe
expect_fail_any 2 describe bronze.t extra
expect_fail_any 2 alter bronze.t
expect_fail_any 2 alter nodot add-column x INT
expect_fail_any 2 alter bronze.t bogus
expect_fail_any 2 alter bronze.t widen-column id NOTATYPE
expect_fail_any 2 alter bronze.t set-property write.target-file-size-bytes abc
expect_fail_any 2 delete bronze.t
expect_fail_any 2 delete nodot --where 'id = 1'
expect_fail_any 2 drop
expect_fail_any 2 register
expect_fail_any 2 register bronze.t
expect_fail_any 2 register nodot x.metadata.json
expect_fail_any 2 register bronze.t x.metadata.json extra
expect_fail_any 2 compact
expect_fail_any 2 compact nodot
expect_fail_any 2 expire bronze.t --older-than soon
expect_fail_any 2 expire bronze.t --retain-last x
expect_fail_any 2 log
expect_fail_any 2 log s --from x
expect_fail_any 2 log s --format xml
expect_fail_any 2 serve --threads 0
expect_fail_any 2 serve extra
expect_fail_any 2 ingest
expect_fail_any 2 ingest s f --batch 0
expect_fail_any 2 ingest s f --url https://example.com
expect_fail_any 2 gen
expect_fail_any 2 gen nothing
expect_fail_any 2 gen orders --count x
expect_fail_any 2 help nocommand
expect_fail_any 2 help a b
expect_fail_any 2 version extra
expect_fail_any 2 nocommand
expect_fail_any 2 --no-such-global

# failures: the data dir does not exist yet
for args in tables "cat bronze.t" "describe bronze.t" "alter bronze.t add-column x INT" \
  "delete bronze.t --where id=1" "drop bronze.t" "compact bronze.t" "expire bronze.t"; do
  expect_fail_any 1 $args
done
[[ ! -e "$FLOE_DATA" ]] || fail "a failing command created the data dir"
# failures: missing table, file, stream, project, server
printf '{"id":1}\n' | "$FLOE" load bronze.t - --schema 'id BIGINT' >/dev/null
for args in "cat bronze.x" "describe bronze.x" "alter bronze.x add-column x INT" "delete bronze.x --where id=1" \
  "drop bronze.x" "compact bronze.x" "expire bronze.x" "load bronze.x $T/in.ndjson" "load bronze.t $T/none.ndjson" \
  "cat bronze.t --snapshot 1" "alter bronze.t rename-column nope x" "log nostream" "serve --project $T/noproject" \
  "ingest s $T/none.ndjson"; do
  expect_fail_any 1 $args
done
expect_fail_any 1 sql "SELECT * FROM bronze.x"
expect_fail_any 1 sql "SELECT nope FROM bronze.t"
expect_fail_any 1 gen orders --count 3 --url http://127.0.0.1:1 --retries 0
echo '{"id":1}' >"$T/in.ndjson"
expect_fail_any 1 ingest s "$T/in.ndjson" --url http://127.0.0.1:1 --retries 0
