#!/usr/bin/env bash
# One JSON parser for every path (issue 11): a corpus of edge lines (strings holding
# numbers, dates and timestamps as integers, exponents into DECIMAL, duplicate keys,
# unknown fields, integers above int64 inside JSON columns and as BIGINTs, invalid
# UTF-8 in a value and in an unknown field, DEFAULTs) goes through `floe load` (one
# load per line: a load is all or nothing) and through POST /v1/streams/edge/events
# (the whole corpus as one body). Both paths accept and reject exactly the same lines
# with the same reasons; the loaded values follow the documented rules; unknown fields
# are counted on both paths; with unknown_fields = 'reject' (stream option) and
# --unknown-fields reject (load) they are refused on both, with the same reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"

cols="id BIGINT NOT NULL, n INT, big BIGINT, d DATE, ts TIMESTAMP, amount DECIMAL(12,2), s STRING, j JSON, ok BOOLEAN, r REAL, currency STRING NOT NULL DEFAULT 'EUR'"
mkdir -p "$T/proj/streams"
printf 'CREATE STREAM edge (%s);\n' "$cols" >"$T/proj/streams/edge.sql"
printf "CREATE STREAM edge_strict (%s) WITH (unknown_fields = 'reject');\n" "$cols" >"$T/proj/streams/edge_strict.sql"
printf 'commit_interval: 200ms\n' >"$T/proj/floe.yaml"

{
  printf '%s\n' '{"id":1,"n":"42","currency":"USD"}'                # 1 a string holding an integer: INT 42
  printf '%s\n' '{"id":2,"n":"4.2"}'                                # 2 a string holding a fraction into INT
  printf '%s\n' '{"id":3,"amount":"12.50"}'                         # 3 a string into DECIMAL, exact
  printf '%s\n' '{"id":4,"big":"9223372036854775808"}'              # 4 above int64 in a string
  printf '%s\n' '{"id":5,"d":20000,"ts":1700000000123456}'          # 5 DATE days, TIMESTAMP micros
  printf '%s\n' '{"id":6,"d":"20000"}'                              # 6 a string holding days into DATE
  printf '%s\n' '{"id":7,"amount":1.25e2}'                          # 7 an exponent into DECIMAL: 125.00
  printf '%s\n' '{"id":8,"amount":1e-3}'                            # 8 an exponent beyond the scale
  printf '%s\n' '{"id":9,"amount":-12E+1}'                          # 9 a capital E and a sign: -120.00
  printf '%s\n' '{"id":10,"s":"first","s":"last"}'                  # 10 a duplicate key: the last wins
  printf '%s\n' '{"id":11,"amout":5,"extra":{"x":[1,2]}}'           # 11 two unknown fields
  printf '%s\n' '{"id":12,"j":{"x":123456789012345678901234567890, "y" : [ 1 ]}}'  # 12 a big integer in JSON
  printf '%s\n' '{"id":9223372036854775808}'                        # 13 above int64 as a BIGINT
  printf '{"id":14,"s":"caf\xc3"}\n'                                # 14 invalid UTF-8 in a value
  printf '{"id":15,"zz":"\xc3\x28"}\n'                              # 15 invalid UTF-8 in an unknown field
  printf '%s\n' '{"id":16}'                                         # 16 NOT NULL currency from its DEFAULT
  printf '%s\n' '{"id":17,"currency":null}'                         # 17 an explicit null: no DEFAULT
  printf '%s\n' '{"id":18,"n":1.0}'                                 # 18 1.0 into INT
  printf '%s\n' '{"id":19,"ok":"true"}'                             # 19 a string into BOOLEAN
  printf '%s\n' '{"id":20,"r":3.4028235e38}'                        # 20 FLT_MAX's shortest spelling
  printf '%s\n' '{"id":21,"n":2147483648}'                          # 21 above int32 into INT
  printf '%s\n' '{"id":22,"s":"\ud83d\ude00 \u00e9"}'               # 22 surrogate pair and escapes
  printf '%s\n' '{"s":"no id"}'                                     # 23 a NOT NULL field missing
  printf '%s\n' '{"id":24,"ts":"2026-11-25 10:00:00+01:00"}'        # 24 RFC 3339 with an offset
} >"$T/corpus.ndjson"
nlines=$(wc -l <"$T/corpus.ndjson")

# floe load, one line at a time: verdict = exit status, reason = the message
floe load edge.load /dev/null --schema "$cols" >/dev/null
: >"$T/load.verdicts"
for i in $(seq 1 "$nlines"); do
  sed -n "${i}p" "$T/corpus.ndjson" >"$T/line.ndjson"
  run_floe load edge.load "$T/line.ndjson" --schema "$cols"
  if [[ $RC -eq 0 ]]; then
    echo "$i accept" >>"$T/load.verdicts"
  else
    [[ $RC -eq 1 ]] || fail "line $i: floe load exited $RC: $ERR"
    reason=${ERR#floe: "$T"/line.ndjson:1: }
    echo "$i reject $reason" >>"$T/load.verdicts"
  fi
done

# POST the whole corpus
start_serve "$T/proj"
post edge "$T/corpus.ndjson"
assert_eq 200 "$STATUS" "the corpus is a mixed batch: $BODY"
: >"$T/serve.verdicts"
for i in $(seq 1 "$nlines"); do
  reason=$(jq -r --argjson l "$i" '.errors[] | select(.line == $l) | .reason' <<<"$BODY")
  if [[ -z "$reason" ]]; then echo "$i accept"; else echo "$i reject $reason"; fi
done >>"$T/serve.verdicts"
[[ "$(jq .errors_not_listed <<<"$BODY")" == null ]] || fail "some rejects are not listed: $BODY"

assert_eq "$(cat "$T/serve.verdicts")" "$(cat "$T/load.verdicts")" "floe load and POST give the same verdicts and reasons"
assert_eq "2 4 6 8 13 14 15 17 18 19 21 23" "$(awk '$2 == "reject" {printf "%s%s", s, $1; s=" "}' "$T/load.verdicts")" \
  "the rejected lines"
assert_eq "$((nlines - 12))" "$(jq .accepted <<<"$BODY")" "accepted by serve"
assert_eq 2 "$(jq .unknown_fields <<<"$BODY")" "serve counts the unknown fields of accepted records"

# the values loaded follow the rules
row() { floe cat edge.load --where "id = $1" --columns "$2"; }
assert_eq '{"n":42,"currency":"USD"}' "$(row 1 n,currency)" "\"42\" into INT"
assert_eq '{"amount":12.50}' "$(row 3 amount)" "\"12.50\" into DECIMAL"
assert_eq '{"d":"2024-10-04","ts":"2023-11-14T22:13:20.123456Z"}' "$(row 5 d,ts)" "days and micros"
assert_eq '{"amount":125.00}' "$(row 7 amount)" "1.25e2 into DECIMAL(12,2)"
assert_eq '{"amount":-120.00}' "$(row 9 amount)" "-12E+1 into DECIMAL(12,2)"
assert_eq '{"s":"last"}' "$(row 10 s)" "the last duplicate wins"
assert_eq '{"j":{"x":123456789012345678901234567890,"y":[1]}}' "$(row 12 j)" "a big integer kept in JSON, blanks dropped"
assert_eq '{"currency":"EUR"}' "$(row 16 currency)" "the DEFAULT fills an absent NOT NULL field"
assert_eq '{"r":3.40282347e+38}' "$(row 20 r)" "FLT_MAX"
assert_eq '{"s":"😀 é"}' "$(row 22 s)" "escapes decoded"
assert_eq '{"ts":"2026-11-25T09:00:00Z"}' "$(row 24 ts)" "an offset taken to UTC"
sed -n 11p "$T/corpus.ndjson" >"$T/line.ndjson"
assert_contains "$(floe load edge.load "$T/line.ndjson" --schema "$cols")" "; 2 unknown fields ignored)" \
  "floe load counts unknown fields"

# unknown_fields = 'reject' / --unknown-fields reject: the same reason on both paths
post edge_strict "$T/line.ndjson"
assert_eq 400 "$STATUS" "a record with an unknown field is refused by the strict stream"
want="field amout: not in the schema (unknown_fields = 'reject')"
assert_eq "$want" "$(jq -r '.errors[0].reason' <<<"$BODY")" "serve's reason"
expect_fail 1 "$T/line.ndjson:1: $want" load edge.load "$T/line.ndjson" --schema "$cols" --unknown-fields reject
stop_serve
