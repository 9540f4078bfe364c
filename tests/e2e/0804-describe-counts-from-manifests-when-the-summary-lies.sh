#!/usr/bin/env bash
# `floe describe` counts the current snapshot's rows, deleted rows, files and bytes
# from its manifests: a table whose snapshot summary lies (another writer's bug) or
# says nothing (summaries are optional) shows the manifests' counts, and the summary's
# figures on a second line; a table whose summary agrees shows no such line. `floe
# tables` counts a table without summary totals from its manifests too.
. "$(dirname "$0")/lib.sh"

printf '{"a":%d}\n' 1 2 3 4 5 | floe load db.t - --schema "a BIGINT" >/dev/null
floe delete db.t --where "a = 2" >/dev/null
D=$(floe describe db.t)
CUR=$(grep '^current' <<<"$D")
BYTES=$(cat "$FLOE_DATA"/warehouse/db/t/data/*.parquet | wc -c)
assert_eq "current    4 rows (5 in data files, 1 deleted), 1 data files, 1 delete files, $BYTES bytes" "$CUR" \
  "describe of an honest table"
assert_eq 0 "$(grep -c 'snapshot summary says' <<<"$D" || true)" "no summary line when it agrees"

# the same metadata, its summary made to lie, then emptied; registered next to it
META=$(cd "$FLOE_DATA/warehouse/db/t/metadata" && ls 0000*.metadata.json | sort | tail -1)
M="$FLOE_DATA/warehouse/db/t/metadata/$META"
sed -e 's/"total-records":"5"/"total-records":"999"/g' -e 's/"total-files-size":"[0-9]*"/"total-files-size":"7"/g' \
  "$M" >"$FLOE_DATA/warehouse/db/t/metadata/99990-lies.metadata.json"
grep -q '"total-records":"999"' "$FLOE_DATA/warehouse/db/t/metadata/99990-lies.metadata.json" || fail "summary not edited"
floe register db.lies "$FLOE_DATA/warehouse/db/t/metadata/99990-lies.metadata.json" >/dev/null
D=$(floe describe db.lies)
assert_eq "current    4 rows (5 in data files, 1 deleted), 1 data files, 1 delete files, $BYTES bytes
           (from the manifests; the snapshot summary says 999 rows, 1 deleted, 1 data files, 1 delete files, 7 bytes)" \
  "$(grep -A1 '^current' <<<"$D")" "describe of a table whose summary lies"

node -e '
const fs = require("fs"); const m = JSON.parse(fs.readFileSync(process.argv[1], "utf8"))
for (const s of m.snapshots) s.summary = { operation: s.summary.operation }
fs.writeFileSync(process.argv[2], JSON.stringify(m).replace(/"(-?\d{16,})"/g, "$1"))' \
  "$(sed -E 's/("snapshot-id"|"parent-snapshot-id"|"current-snapshot-id"): ?(-?[0-9]+)/\1:"\2"/g' "$M" >"$T/m.json"; echo "$T/m.json")" \
  "$FLOE_DATA/warehouse/db/t/metadata/99991-none.metadata.json"
floe register db.none "$FLOE_DATA/warehouse/db/t/metadata/99991-none.metadata.json" >/dev/null
assert_eq "current    4 rows (5 in data files, 1 deleted), 1 data files, 1 delete files, $BYTES bytes
           (from the manifests; the snapshot summary says ? rows, ? deleted, ? data files, ? delete files, ? bytes)" \
  "$(grep -A1 '^current' <<<"$(floe describe db.none)")" "describe of a table without summaries"
assert_eq "db.none  snapshots=2  rows=4  files=1  bytes=$BYTES" "$("$FLOE" tables | grep '^db.none ')" \
  "floe tables of a table without summaries"
