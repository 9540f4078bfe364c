#!/usr/bin/env bash
# `floe sql --threads 1` and `--threads 2` print the same bytes (CSV) for every query
# over a table of 3 files (the first of one row group, the others of 6: loaded with
# --batch-rows 500 after write.parquet.row-group-size-bytes = 1 is set): group-bys with NULL keys merged from partial
# aggregates, count(DISTINCT), approx_count_distinct, avg, decimal sums, a filtered
# count, a join with duplicate keys, ORDER BY ... LIMIT, DISTINCT, a window. EXPLAIN
# ANALYZE with 2 threads shows GATHER threads=2, the 13 morsels and the table's 9,000
# rows read once; a failing cast in one row gives the 1-thread error with 2 threads;
# after a position delete, every morsel hides its deleted rows.
. "$(dirname "$0")/lib.sh"

cd "$T"
python3 - <<'PY'
import json
for f in range(3):
    with open('e%d.ndjson' % f, 'w') as out:
        for i in range(3000):
            id = f * 3000 + i
            out.write(json.dumps({
                "id": id,
                "g": None if id % 5 == 0 else id % 7,
                "s": None if id % 11 == 0 else "s%d" % (id % 50),
                "amt": None if id % 13 == 0 else "%d.%02d" % (id * 37 % 100000 // 100, id * 37 % 100),
                "k": id % 40,
                "txt": "oops" if (f == 2 and i == 1700) else str(id % 9)}) + "\n")
with open('d.ndjson', 'w') as out:
    for i in range(120):
        out.write(json.dumps({"k": i % 30, "w": i}) + "\n")
PY
"$FLOE" load shop.ev e0.ndjson --batch-rows 500 \
  --schema "id BIGINT NOT NULL, g INT, s STRING, amt DECIMAL(12,2), k BIGINT, txt STRING" >/dev/null
"$FLOE" alter shop.ev set-property write.parquet.row-group-size-bytes 1 >/dev/null
"$FLOE" load shop.ev e1.ndjson --batch-rows 500 >/dev/null
"$FLOE" load shop.ev e2.ndjson --batch-rows 500 >/dev/null
"$FLOE" load shop.dim d.ndjson --schema "k BIGINT, w INT" >/dev/null
assert_eq 3 "$("$FLOE" describe shop.ev --files | wc -l)" "three data files"

queries=(
  "SELECT g, count(*) AS n, count(amt) AS na, sum(amt) AS sa, sum(id) AS si, min(s) AS mn, max(id) AS mx FROM ev GROUP BY g ORDER BY g NULLS FIRST"
  "SELECT count(DISTINCT s) AS d, approx_count_distinct(s) AS a, avg(amt) AS av, avg(id) AS ai FROM ev"
  "SELECT sum(amt) AS s, count(*) AS n FROM ev WHERE id % 3 = 0"
  "SELECT count(*) AS n FROM ev WHERE amt > 500"
  "SELECT e.g, count(*) AS n, sum(d.w) AS sw FROM ev e JOIN dim d ON e.k = d.k GROUP BY e.g ORDER BY 1 NULLS LAST"
  "SELECT id, amt FROM ev WHERE amt IS NOT NULL ORDER BY amt DESC, id LIMIT 7"
  "SELECT DISTINCT s FROM ev ORDER BY s NULLS FIRST"
  "SELECT s, count(*) FILTER (WHERE g = 2) AS f, max(amt) AS m FROM ev GROUP BY s ORDER BY s NULLS FIRST"
  "SELECT id, sum(amt) OVER (PARTITION BY k ORDER BY id) AS run FROM ev WHERE k = 3 ORDER BY id"
  "SELECT k, min(txt) AS t FROM ev WHERE id < 8000 GROUP BY k ORDER BY k"
  "SELECT k, avg(amt) AS a, avg(g) AS ag, count(s) AS c FROM ev GROUP BY k ORDER BY k"
  "SELECT g, count(DISTINCT s) AS d, approx_count_distinct(s) AS a, max(s) AS m FROM ev GROUP BY g ORDER BY g NULLS FIRST"
)
i=0
for q in "${queries[@]}"; do
  "$FLOE" sql --threads 1 --format csv "$q" >"one$i.csv"
  "$FLOE" sql --threads 2 --format csv "$q" >"two$i.csv"
  cmp -s "one$i.csv" "two$i.csv" || { diff "one$i.csv" "two$i.csv" | head >&2; fail "query $i differs with 2 threads: $q"; }
  [[ $(wc -l <"one$i.csv") -ge 2 ]] || fail "query $i gave no rows: $q"
  i=$((i + 1))
done
assert_eq "$(printf 'n\r\n9000\r\n')" "$("$FLOE" sql --threads 2 --format csv "SELECT count(*) AS n FROM ev")" "every row once"
assert_eq "$(printf 'd,a,av,ai\r\n50,')" "$(head -c 14 one1.csv)" "50 distinct strings"

plan=$("$FLOE" sql --threads 2 "EXPLAIN ANALYZE SELECT g, count(*) FROM ev WHERE id >= 1000 GROUP BY g")
assert_contains "$plan" "GATHER threads=2" "the plan shows the threads"
assert_contains "$plan" "morsels=13" "a morsel per row group (1 + 6 + 6)"
assert_contains "$plan" "rows_read=9000" "every row read once"
assert_contains "$plan" "[rows=8000 " "the scan copies' rows summed"

run_floe sql --threads 1 "SELECT sum(CAST(txt AS INT)) FROM ev"
assert_eq 1 "$RC" "the cast of 'oops' fails"
err1=$ERR
assert_contains "$err1" "oops" "the error names the value"
for run in 1 2 3; do
  run_floe sql --threads 2 "SELECT sum(CAST(txt AS INT)) FROM ev"
  assert_eq 1 "$RC" "the cast of 'oops' fails with 2 threads"
  assert_eq "$err1" "$ERR" "the 1-thread error, once, with 2 threads"
done
expect_usage_fail "--threads 0: expected 1 to 256" sql --threads 0 "SELECT 1"

# position deletes hold in every row-group morsel (id 7700, the 'oops', goes too)
"$FLOE" delete shop.ev --where "id % 7 = 0" >/dev/null
q="SELECT count(*) AS n, sum(id) AS s, count(DISTINCT txt) AS d FROM ev"
assert_eq "$(printf 'n,s,d\r\n7714,34711715,9\r\n')" "$("$FLOE" sql --threads 2 --format csv "$q")" "the rows left after the delete"
q="SELECT id, s FROM ev WHERE id BETWEEN 3495 AND 3510 ORDER BY id"
assert_eq "$("$FLOE" sql --threads 1 --format csv "$q")" "$("$FLOE" sql --threads 2 --format csv "$q")" "deleted rows stay deleted with 2 threads"
