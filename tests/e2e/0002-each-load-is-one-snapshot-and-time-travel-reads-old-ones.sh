#!/usr/bin/env bash
# Each `floe load` is one commit: three loads make three snapshots. cat --snapshot of the
# first shows only the first load's rows; --as-of a time between commits shows the
# table as it was then (RFC 3339 and epoch milliseconds); the current table has all.
. "$(dirname "$0")/lib.sh"

schema='id BIGINT NOT NULL, name STRING'
gen() { for i in $(seq "$1" "$2"); do echo "{\"id\":$i,\"name\":\"n$i\"}"; done; }
gen 1 10 >"$T/a.ndjson"
gen 11 25 >"$T/b.ndjson"
gen 26 26 >"$T/c.ndjson"

floe load bronze.t "$T/a.ndjson" --schema "$schema" >/dev/null
sleep 0.02
between_ms=$(date +%s%3N)
between_rfc=$(date -u -d "@$(( between_ms / 1000 )).$(printf %03d $(( between_ms % 1000 )))" +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 0.02
floe load bronze.t "$T/b.ndjson" >/dev/null
# from stdin, the schema given again must match
floe load bronze.t - --schema "$schema" <"$T/c.ndjson" >/dev/null

assert_eq 3 "$(snapshot_count bronze.t)" "three loads make three snapshots"
assert_eq 26 "$(floe cat bronze.t | wc -l)" "the current snapshot has every row"

# snapshot ids in commit order, from describe ("  *ID  seq N  ..." lines)
first_id=$(floe describe bronze.t | awk '$2 == "seq" && $3 == 1 {sub(/^\*/, "", $1); print $1}')
[[ "$first_id" =~ ^[0-9]+$ ]] || fail "no first snapshot id in describe"
assert_eq "$(gen 1 10 | sort)" "$(floe cat bronze.t --snapshot "$first_id" | sort)" "cat --snapshot FIRST shows only the first load"

assert_eq "$(gen 1 10 | sort)" "$(floe cat bronze.t --as-of "$between_ms" | sort)" "cat --as-of MS between loads"
assert_eq "$(gen 1 10 | sort)" "$(floe cat bronze.t --as-of "$between_rfc" | sort)" "cat --as-of RFC3339 between loads"
assert_eq 26 "$(floe cat bronze.t --as-of "$(date -u +%Y-%m-%dT%H:%M:%SZ -d '+1 min')" | wc -l)" "cat --as-of a later time sees every row"
expect_fail 1 "table bronze.t: no snapshot at or before 946684800000 ms" cat bronze.t --as-of 2000-01-01T00:00:00Z
expect_fail 1 "table bronze.t: no snapshot 12345" cat bronze.t --snapshot 12345
