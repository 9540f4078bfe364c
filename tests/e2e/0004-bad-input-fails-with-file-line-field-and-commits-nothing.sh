#!/usr/bin/env bash
# Bad input fails the whole load with exit 1 and a message naming the file, the line
# and the field; nothing is committed (the snapshot count does not move).
. "$(dirname "$0")/lib.sh"

schema='id BIGINT NOT NULL, amount DECIMAL(12,2), ts TIMESTAMP, ok BOOLEAN'
cd "$T"
printf '{"id":1,"amount":"1.00"}\n' >good.ndjson
floe load bronze.orders good.ndjson --schema "$schema" >/dev/null
assert_eq 1 "$(snapshot_count bronze.orders)" "first load"

# bad_load FILE_CONTENT MESSAGE: the load fails with MESSAGE and commits nothing
bad_load() {
  printf '%b' "$1" >bad.ndjson
  expect_fail 1 "$2" load bronze.orders bad.ndjson
  assert_eq 1 "$(snapshot_count bronze.orders)" "nothing committed after: $2"
}

good='{"id":1,"amount":"2.50"}\n'
bad_load "$good$good{\"id\":3,\"amount\":\"abc\"}\n" \
  'bad.ndjson:3: field amount: expected DECIMAL(12,2), found "abc"'
bad_load "$good{\"id\":2,\"amount\":1.234}\n" \
  'bad.ndjson:2: field amount: expected DECIMAL(12,2), found 1.234'
bad_load "$good{\"id\":\"7x\"}\n" \
  'bad.ndjson:2: field id: expected BIGINT, found "7x"'
bad_load "$good{\"id\":8,\"ts\":\"yesterday\"}\n" \
  'bad.ndjson:2: field ts: expected TIMESTAMP, found "yesterday"'
bad_load "$good{\"id\":9,\"ok\":1}\n" \
  'bad.ndjson:2: field ok: expected BOOLEAN, found 1'
bad_load "$good{\"amount\":\"1.00\"}\n" \
  'bad.ndjson:2: field id: missing (NOT NULL)'
bad_load "$good$good$good{\"id\":null}\n" \
  'bad.ndjson:4: field id: null in a NOT NULL column'
bad_load "$good{\"id\":10,\"amount\":\n" \
  "bad.ndjson:2: invalid JSON: expected a value, found end of line"
bad_load "$good[1,2]\n" \
  "bad.ndjson:2: invalid JSON: expected '{' (each NDJSON line is one object), found '[1,2]'"
bad_load "$good{\"id\":1} x\n" \
  "bad.ndjson:2: invalid JSON: text after the object (NDJSON has one object per line), found 'x'"
# the reasons are the events API parser's (json/): floe load and POST share one
# parser and one set of type rules (e2e 0402 runs one corpus through both)

# a line over FL_JSON_LINE_MAX (1 MiB)
{ printf '{"id":1,"pad":"'; head -c 1100000 /dev/zero | tr '\0' x; printf '"}\n'; } >big.ndjson
expect_fail 1 'big.ndjson:1: line longer than 1048576 bytes' load bronze.orders big.ndjson
assert_eq 1 "$(snapshot_count bronze.orders)" "nothing committed after a long line"

# a table that does not exist, without --schema
expect_fail 1 "table bronze.nope does not exist in data dir $(cd "$FLOE_DATA" && pwd -P); give --schema to create it" load bronze.nope good.ndjson
assert_eq "" "$("$FLOE" tables | grep nope || true)" "no table created"

# bad --schema text: the SQL parser's position and expectation
run_floe load bronze.nope2 good.ndjson --schema 'id BIGINT NOT NULL, amount MONEY'
assert_eq 2 "$RC" "exit status of a bad --schema (a command-line error)"
[[ "$(head -1 <<<"$ERR")" =~ ^floe:\ --schema:\ line\ 1,\ column\ 28:\ .*MONEY ]] || fail "bad --schema message: $ERR"
assert_eq "" "$("$FLOE" tables | grep nope2 || true)" "no table created from a bad schema"

# --schema that differs from the existing table
run_floe load bronze.orders good.ndjson --schema 'id BIGINT NOT NULL, amount DOUBLE, ts TIMESTAMP, ok BOOLEAN'
assert_eq 1 "$RC" "exit status of a mismatched --schema"
assert_eq "floe: table bronze.orders exists with column 2 'amount DECIMAL(12,2)'; --schema gives 'amount DOUBLE'" \
  "$ERR" "mismatched --schema message"

# expect_usage MESSAGE ARGS...: exit 2, "floe: MESSAGE" then the usage line
expect_usage() {
  local msg=$1
  shift
  run_floe "$@"
  assert_eq 2 "$RC" "exit status of floe $*"
  assert_eq "floe: $msg" "$(head -1 <<<"$ERR")" "stderr of floe $*"
  assert_contains "$ERR" "usage: floe load TABLE" "usage of floe $*"
}
# CHECK constraints of --schema are enforced by the events API's contract checker
# (sql's evaluator): the first failing row fails the load, naming its line
printf '%b' "$good{\"id\":2,\"ok\":false}\n{\"id\":3,\"ok\":null}\n" >bad.ndjson
expect_fail 1 'bad.ndjson:2: CHECK (ok) failed: ok = false' \
  load bronze.orders bad.ndjson --schema 'id BIGINT NOT NULL, amount DECIMAL(12,2), ts TIMESTAMP, ok BOOLEAN CHECK (ok)'
assert_eq 1 "$(snapshot_count bronze.orders)" "nothing committed after a failed CHECK"
# bad --partition text, and partitions that do not fit the schema
expect_usage "--partition: partitioned_by 'day(ts': bad arguments of day(...)" \
  load bronze.nope4 good.ndjson --schema "$schema" --partition 'day(ts'
expect_fail 1 'create table bronze.nope4: partition by day(nope): no column nope' \
  load bronze.nope4 good.ndjson --schema "$schema" --partition 'day(nope)'
assert_eq "" "$("$FLOE" tables | grep nope || true)" "no table created by the failed creations"
# --partition that differs from the existing table's
expect_fail 1 "table bronze.orders exists with partitioning 'none'; --partition gives 'day(ts)'" \
  load bronze.orders good.ndjson --partition 'day(ts)'

# a missing file
expect_fail 1 'cannot open missing.ndjson: No such file or directory' load bronze.orders missing.ndjson
assert_eq 1 "$(snapshot_count bronze.orders)" "nothing committed after all the failures"
assert_eq '{"id":1,"amount":1.00,"ts":null,"ok":null}' "$(floe cat bronze.orders)" "only the first load's row"

# a NULL passes a CHECK (SQL: unknown is not a failure)
printf '%b' "$good{\"id\":3,\"ok\":null}\n" >ok.ndjson
assert_contains "$(floe load bronze.orders ok.ndjson --schema "id BIGINT NOT NULL, amount DECIMAL(12,2) CHECK (amount > 0), ts TIMESTAMP, ok BOOLEAN CHECK (ok)")" \
  "loaded 2 rows" "a NULL passes a CHECK (SQL: unknown is not a failure)"
