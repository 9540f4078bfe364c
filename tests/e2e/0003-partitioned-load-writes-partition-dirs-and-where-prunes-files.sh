#!/usr/bin/env bash
# A table partitioned by (day(event_time), tenant_id): one load of rows over 2 days and
# 3 tenants writes one data file per partition, each under its partition directory;
# cat --where "tenant_id = 'acme'" returns exactly acme's rows and --stats shows the
# other tenants' files pruned by partition values without being read.
. "$(dirname "$0")/lib.sh"

schema='event_id STRING NOT NULL, tenant_id STRING NOT NULL, amount DECIMAL(12,2), event_time TIMESTAMP NOT NULL'
: >"$T/events.ndjson"
n=0
for day in 24 25; do
  for tenant in acme globex initech; do
    for k in 1 2 3 4; do
      n=$((n + 1))
      printf '{"event_id":"e%d","tenant_id":"%s","amount":"%d.%02d","event_time":"2026-11-%sT%02d:00:00Z"}\n' \
        "$n" "$tenant" "$n" "$k" "$day" "$((k * 5))" >>"$T/events.ndjson"
    done
  done
done

out=$(floe load bronze.events "$T/events.ndjson" --schema "$schema" --partition "day(event_time), tenant_id")
[[ "$out" =~ ^loaded\ 24\ rows\ into\ bronze\.events\ \(snapshot\ [0-9]+,\ 6\ files\)$ ]] || fail "load output: $out"

# one Parquet file in each of the 6 partition directories
data="$FLOE_DATA/warehouse/bronze/events/data"
dirs=$(cd "$data" && find . -name '*.parquet' -printf '%h\n' | sort | uniq -c | awk '{print $1, $2}')
assert_eq "1 ./event_time_day=2026-11-24/tenant_id=acme
1 ./event_time_day=2026-11-24/tenant_id=globex
1 ./event_time_day=2026-11-24/tenant_id=initech
1 ./event_time_day=2026-11-25/tenant_id=acme
1 ./event_time_day=2026-11-25/tenant_id=globex
1 ./event_time_day=2026-11-25/tenant_id=initech" "$dirs" "data files land in their partition directories"

# describe shows the partitioning
desc=$(floe describe bronze.events)
assert_contains "$desc" "event_time_day" "describe shows the day partition field"
assert_contains "$desc" "tenant_id" "describe shows the tenant partition field"

# --where on the partition column: exactly acme's rows, 4 of 6 files pruned
run_floe cat bronze.events --where "tenant_id = 'acme'" --stats
[[ $RC -eq 0 ]] || fail "cat --where: $ERR"
expected=$(grep '"tenant_id":"acme"' "$T/events.ndjson" | sed 's/"amount":"\([0-9.]*\)"/"amount":\1/' | LC_ALL=C sort)
assert_eq "$expected" "$(LC_ALL=C sort <<<"$OUT")" "cat --where tenant_id = 'acme' returns acme's rows"
assert_contains "$ERR" "files=6 " "--stats counts the table's files"
assert_contains "$ERR" "files_pruned_partition=4 " "--stats shows 4 files pruned by partition"
assert_contains "$ERR" "files_planned=2 " "--stats shows 2 files planned"
assert_contains "$ERR" "rows_emitted=8 " "--stats shows 8 rows emitted"

# two predicates, one on the day: one file left
run_floe cat bronze.events --where "tenant_id = 'acme'" --where "event_time >= '2026-11-25'" --stats
[[ $RC -eq 0 ]] || fail "cat --where x2: $ERR"
assert_eq 4 "$(wc -l <<<"$OUT")" "acme rows on 2026-11-25"
assert_contains "$ERR" "files_planned=1 " "two predicates leave one file"

# a range on a non-partition column filters rows exactly
assert_eq 3 "$(floe cat bronze.events --where "amount > 21.5" | wc -l)" "amount > 21.5 (22.02 23.03 24.04)"
