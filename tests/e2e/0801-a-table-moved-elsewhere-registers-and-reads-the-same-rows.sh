#!/usr/bin/env bash
# A table's directory copied to another place (so every URI in its metadata and
# manifests names the old place) is registered in another data dir with `floe register`
# by a relative path, a file:// URI and its directory, and reads the same rows, every
# snapshot, --where on a partition column; new rows appended there land in the new
# place, and the old place can be deleted. Writes to the moved table are refused (its
# manifests name the old place), naming both places; nothing is written.
. "$(dirname "$0")/lib.sh"

cat >"$T/a.ndjson" <<'J'
{"id":1,"region":"eu","amount":10.5}
{"id":2,"region":"us","amount":-1}
{"id":3,"region":"eu","amount":null}
J
floe load sales.orders "$T/a.ndjson" --schema "id BIGINT NOT NULL, region STRING, amount DOUBLE" \
  --partition "region" >/dev/null
echo '{"id":4,"region":"us","amount":7}' | floe load sales.orders - >/dev/null
EXPECTED=$(floe cat sales.orders | sort)
FIRST=$("$FLOE" describe sales.orders | awk '$2 == "seq" && $3 == 1 {print $1}')
OLD1=$(floe cat sales.orders --snapshot "$FIRST" | sort)
assert_eq 3 "$(wc -l <<<"$OLD1")" "rows of the first snapshot"

mkdir -p "$T/moved"
cp -r "$FLOE_DATA/warehouse/sales/orders" "$T/moved/orders"
META=$(cd "$T/moved/orders/metadata" && ls 0000*.metadata.json | sort | tail -1)
rm -rf "$FLOE_DATA"  # the original place is gone: nothing may be read from there

OTHER="$T/other"
(cd "$T" && "$FLOE" --data "$OTHER" register copy.by_path "moved/orders/metadata/$META") >"$T/reg.out"
assert_contains "$(cat "$T/reg.out")" "registered copy.by_path: file://$T/moved/orders/metadata/$META (2 snapshots)" \
  "register by a relative path"
floe --data "$OTHER" register copy.by_uri "file://$T/moved/orders/metadata/$META" >/dev/null
floe --data "$OTHER" register copy.by_dir "$T/moved/orders" >/dev/null

for t in copy.by_path copy.by_uri copy.by_dir; do
  assert_eq "$EXPECTED" "$(floe --data "$OTHER" cat $t | sort)" "rows of $t"
  assert_eq "$OLD1" "$(floe --data "$OTHER" cat $t --snapshot "$FIRST" | sort)" "first snapshot of $t"
  assert_eq '{"id":2,"region":"us","amount":-1}
{"id":4,"region":"us","amount":7}' "$(floe --data "$OTHER" cat $t --where "region = 'us'" | sort)" \
    "--where on the partition column of $t"
done

# describe --files names the files where they are now
assert_eq "$(cd "$T/moved/orders/data" && find . -name '*.parquet' | sed "s|^\.|file://$T/moved/orders/data|" | sort)" \
  "$(floe --data "$OTHER" describe copy.by_path --files | sort)" "describe --files of the moved table"

# a write to the moved table is refused: nothing is written
run_floe --data "$OTHER" load copy.by_path - <<<'{"id":5,"region":"eu","amount":1}'
assert_eq 1 "$RC" "exit status of a load into the moved table"
assert_contains "$ERR" "floe: table copy.by_path was written at file://$FLOE_DATA/warehouse/sales/orders and is read from $T/moved/orders: floe reads a moved table, and writes only tables at their own location" \
  "message of a load into the moved table"
assert_eq 0 "$(find "$T/moved/orders" -newer "$T/reg.out" -type f | wc -l)" "files written by the refused load"
assert_eq 4 "$(floe --data "$OTHER" cat copy.by_path | wc -l)" "rows after the refused load"
