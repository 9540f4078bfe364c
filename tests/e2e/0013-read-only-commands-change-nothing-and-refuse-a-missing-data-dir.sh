#!/usr/bin/env bash
# tables, cat and describe only read: the data dir's files (bytes, names, modes) and
# directories are the same before and after, also for a foreign catalog of
# JdbcCatalog's V0 schema (no iceberg_type column), which they must not upgrade, and
# while a writer holds the catalog open (WAL files present). A missing data dir is
# refused and not created; a missing table names the data dir looked in.
. "$(dirname "$0")/lib.sh"

tree_sum() { # every file's bytes and mode, every directory's name and mode
  (cd "$1" && find . -printf '%y %m %p\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
readers() {
  floe tables >/dev/null
  floe cat bronze.t >/dev/null
  floe cat bronze.t --where 'id > 1' --columns id --stats >/dev/null 2>&1
  floe describe bronze.t >/dev/null
  run_floe cat bronze.missing
  assert_eq 1 "$RC" "missing table exit status"
  assert_eq "floe: table bronze.missing does not exist in data dir $(cd "$FLOE_DATA" && pwd -P)" "$ERR" "missing table message"
}

# a missing data dir: refused, exit 1, and not created
for cmd in tables "cat bronze.t" "describe bronze.t"; do
  run_floe $cmd
  assert_eq 1 "$RC" "floe $cmd on a missing data dir: exit status"
  assert_eq "floe: data dir $FLOE_DATA does not exist" "$ERR" "floe $cmd on a missing data dir: message"
  [[ ! -e "$FLOE_DATA" ]] || fail "floe $cmd created the data dir"
done
# an empty data dir: no tables, nothing created in it
mkdir "$FLOE_DATA"
assert_eq "" "$(floe tables)" "tables of an empty data dir"
assert_eq "" "$(ls -A "$FLOE_DATA")" "an empty data dir stays empty"

printf '{"id":1,"j":{"a":[1]}}\n{"id":2,"j":null}\n' >"$T/in.ndjson"
floe load bronze.t "$T/in.ndjson" --schema 'id BIGINT NOT NULL, j JSON' --partition 'bucket(4, id)' >/dev/null
floe delete bronze.t --where 'id = 2' >/dev/null
before=$(tree_sum "$FLOE_DATA")
readers
assert_eq "$before" "$(tree_sum "$FLOE_DATA")" "floe's own data dir after tables/cat/describe"

# a foreign catalog without iceberg_type (JdbcCatalog V0), rollback journal
sqlite3 "$FLOE_DATA/catalog.db" "PRAGMA journal_mode=DELETE;
  CREATE TABLE v0 AS SELECT catalog_name, table_namespace, table_name, metadata_location,
    previous_metadata_location FROM iceberg_tables;
  DROP TABLE iceberg_tables; ALTER TABLE v0 RENAME TO iceberg_tables;" >/dev/null
before=$(tree_sum "$FLOE_DATA")
readers
assert_eq "$before" "$(tree_sum "$FLOE_DATA")" "a V0 catalog's data dir after tables/cat/describe"
assert_eq 0 "$(sqlite3 "$FLOE_DATA/catalog.db" "SELECT count(*) FROM pragma_table_info('iceberg_tables') WHERE name = 'iceberg_type'")" \
  "iceberg_type not added"
assert_contains "$(floe tables)" "bronze.t  snapshots=2  rows=1" "a V0 catalog is listed"

# WAL mode with a writer holding the catalog open: its -wal/-shm are used, not replaced
sqlite3 "$FLOE_DATA/catalog.db" "PRAGMA journal_mode=WAL;" >/dev/null
python3 - "$FLOE_DATA/catalog.db" "$T/holding" "$T/release" <<'PY' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute("BEGIN"); c.execute("SELECT count(*) FROM iceberg_tables").fetchall()
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]): time.sleep(0.01)
c.close()
PY
holder=$!
for _ in $(seq 500); do [[ -e "$T/holding" ]] && break; sleep 0.01; done
[[ -e "$T/holding" ]] || fail "the sqlite holder did not start"
before=$(tree_sum "$FLOE_DATA")
readers
assert_eq "$before" "$(tree_sum "$FLOE_DATA")" "a WAL catalog held open: data dir after tables/cat/describe"
touch "$T/release"
wait "$holder"
# and with no connection open (no -wal/-shm files): none are left behind
[[ ! -e "$FLOE_DATA/catalog.db-wal" ]] || fail "the holder left a -wal file"
before=$(tree_sum "$FLOE_DATA")
readers
assert_eq "$before" "$(tree_sum "$FLOE_DATA")" "a closed WAL catalog: data dir after tables/cat/describe"
