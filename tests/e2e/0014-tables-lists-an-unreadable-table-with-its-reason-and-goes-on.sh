#!/usr/bin/env bash
# floe tables lists a table it cannot read (its metadata file deleted, or corrupt)
# with the reason, lists every other table after it, and exits 1.
. "$(dirname "$0")/lib.sh"

printf '{"id":1}\n{"id":2}\n' >"$T/in.ndjson"
for t in a b c; do floe load bronze.$t "$T/in.ndjson" --schema 'id BIGINT' >/dev/null; done
meta_of() { sqlite3 "$FLOE_DATA/catalog.db" "SELECT metadata_location FROM iceberg_tables WHERE table_name = '$1'" | sed 's|^file://||'; }
rm "$(meta_of a)"
printf '{"format-version":' >"$(meta_of b)"

run_floe tables
assert_eq 1 "$RC" "exit status with unreadable tables"
lines=$(sed 's/ error=.*/ error=/' <<<"$OUT")
assert_eq "bronze.a  error=
bronze.b  error=
bronze.c  snapshots=1  rows=2  files=1  bytes=$(sed -n 's/.*bytes=//p' <<<"$OUT")" "$lines" "every table listed, in order"
assert_contains "$(grep '^bronze.a ' <<<"$OUT")" "No such file or directory" "reason of the missing metadata file"
assert_contains "$(grep '^bronze.b ' <<<"$OUT")" "error=\"table bronze.b: " "reason of the corrupt metadata file"
# the reason is a JSON string, so a script can read it
jq -e . >/dev/null <<<"$(sed -n 's/^bronze.a  error=//p' <<<"$OUT")" || fail "the reason is not a JSON string"
assert_eq 2 "$(grep -c '^floe: table bronze.[ab]: ' <<<"$ERR")" "both failures on stderr"

# reading it names the missing file (it is in the catalog: not "does not exist")
run_floe cat bronze.a
assert_eq 1 "$RC" "cat of an unreadable table"
assert_contains "$ERR" "No such file or directory" "cat names the missing metadata file"
[[ "$ERR" != *"does not exist in data dir"* ]] || fail "an unreadable table reported as missing: $ERR"
# drop removes what cannot be read; --purge cannot (the metadata names the files)
run_floe drop bronze.a --purge
assert_eq 1 "$RC" "drop --purge of an unreadable table"
assert_contains "$ERR" "--purge needs the table's metadata; drop bronze.a without --purge" "drop --purge message"
run_floe drop bronze.a
assert_eq "0|dropped bronze.a" "$RC|$OUT" "drop of an unreadable table"
assert_contains "$ERR" "floe: warning: dropping bronze.a, which cannot be read: " "drop warns"
floe drop bronze.b >/dev/null 2>&1
run_floe tables
assert_eq 0 "$RC" "tables after dropping the unreadable ones"
assert_eq bronze.c "$(awk '{print $1}' <<<"$OUT")" "only the readable table is left"
