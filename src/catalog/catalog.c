/* catalog.c: the embedded SQLite catalog (catalog.h), PyIceberg SqlCatalog /
 * Iceberg JdbcCatalog compatible (REFERENCE/iceberg_parquet.md §4).
 *
 * What: maps (catalog_name, namespace, table) to the location of the table's current
 * metadata JSON. A commit swaps that pointer with a compare-and-swap UPDATE; a
 * multi-table commit runs every CAS inside one BEGIN IMMEDIATE transaction and rolls
 * back unless each UPDATE changed exactly one row.
 *
 * Why SQLite in this shape: other engines (Spark/Trino via JDBC, PyIceberg, DuckDB)
 * open the same file with their own SQL catalogs, so the tables, column names and the
 * 'exists'='true' namespace property are exactly theirs.
 *
 * On disk (one SQLite database, WAL mode; "+" = part of the primary key):
 *
 *   iceberg_tables
 *   | column                      | type          | floe writes                        |
 *   |-----------------------------|---------------|------------------------------------|
 *   | catalog_name +              | VARCHAR(255)  | the name given to open ("floe")    |
 *   | table_namespace +           | VARCHAR(255)  | "bronze", levels joined by '.'     |
 *   | table_name +                | VARCHAR(255)  | "orders"                           |
 *   | metadata_location           | VARCHAR(1000) | current metadata JSON path         |
 *   | previous_metadata_location  | VARCHAR(1000) | the one it replaced (NULL at create)|
 *   | iceberg_type                | VARCHAR(5)    | 'TABLE' (NULL in V0 rows = TABLE)  |
 *
 *   iceberg_namespace_properties
 *   | column          | type          | floe writes                   |
 *   |-----------------|---------------|-------------------------------|
 *   | catalog_name +  | VARCHAR(255)  | as above                      |
 *   | namespace +     | VARCHAR(255)  | "bronze"                      |
 *   | property_key +  | VARCHAR(255)  | 'exists' (create namespace)   |
 *   | property_value  | VARCHAR(1000) | 'true'                        |
 *
 * Concurrency: several processes may open one file. WAL lets readers run beside the one
 * writer; a busy timeout (FL_CATALOG_BUSY_MS) makes writers queue; BEGIN IMMEDIATE takes
 * the write lock up front so a transaction never fails half-way on an upgrade, and is
 * retried while SQLite answers BUSY without waiting (WAL recovery) until the same
 * deadline. synchronous=FULL: an acknowledged commit survives power loss.
 *
 * Ownership: fl_catalog owns its sqlite3 connection and prepared statements. One handle
 * is used by one thread at a time (open one per thread). fl_catalog_load returns an
 * fl_malloc'd string; fl_catalog_list an fl_malloc'd array freed by
 * fl_catalog_entries_free. Nothing else escapes.
 *
 * Read-only open (fl_catalog_open_sqlite_readonly, for `floe tables`, `cat`, `describe`):
 * changes nothing on disk, not even a foreign catalog's schema. It never creates the
 * file, never runs ensure_schema (a V0 file without iceberg_type is read as is: the
 * read statements drop the iceberg_type test, every V0 row being a TABLE), never sets
 * the journal mode. A WAL file opened read-only makes SQLite create and leave behind
 * -wal and -shm files unless they exist already (a writer has the file open, or
 * crashed): then it opens normally read-only; otherwise no connection has the file
 * open, its content is all in the main file, and it is opened immutable=1 (no lock,
 * no -wal/-shm). A rollback-journal file opens read-only as is (it creates nothing).
 * The price of immutable=1: a writer starting during that read could checkpoint under
 * it; reads take milliseconds and a writer checkpoints on close or after 1000 pages.
 * Write statements are not prepared: a write through a read-only handle fails.
 *
 * Entry points: fl_catalog_open_sqlite, _open_sqlite_readonly, _close, _create_namespace,
 * _create_table, _load, _load_many (one read transaction), _commit (= _commit_many of one
 * change), _commit_many, _drop_table, _list. */
#include "catalog/catalog.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/buf.h"
#include "core/diag.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"

/* Writers wait this long for the lock: commits hold it for microseconds, so 10 s means
 * something is wedged (another process stopped inside a transaction). */
#define FL_CATALOG_BUSY_MS 10000
/* metadata_location is VARCHAR(1000) in the JDBC catalog; PostgreSQL enforces it. */
#define FL_CATALOG_LOCATION_MAX 1000
/* table_namespace is VARCHAR(255). */
#define FL_CATALOG_NAMESPACE_MAX 255

enum stmt_id { ST_CREATE_NS, ST_CREATE_TABLE, ST_LOAD, ST_CAS, ST_DROP, ST_LIST_ALL, ST_LIST_NS, ST_COUNT };

static const char *const stmt_sql[ST_COUNT] = {
    [ST_CREATE_NS] =
        "INSERT OR IGNORE INTO iceberg_namespace_properties "
        "(catalog_name, namespace, property_key, property_value) VALUES (?1, ?2, 'exists', 'true')",
    [ST_CREATE_TABLE] =
        "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
        "metadata_location, previous_metadata_location, iceberg_type) "
        "VALUES (?1, ?2, ?3, ?4, NULL, 'TABLE')",
    [ST_LOAD] =
        "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ?1 AND "
        "table_namespace = ?2 AND table_name = ?3 AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)",
    [ST_CAS] =
        "UPDATE iceberg_tables SET metadata_location = ?4, previous_metadata_location = ?5 "
        "WHERE catalog_name = ?1 AND table_namespace = ?2 AND table_name = ?3 AND "
        "metadata_location = ?5 AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)",
    [ST_DROP] =
        "DELETE FROM iceberg_tables WHERE catalog_name = ?1 AND table_namespace = ?2 AND "
        "table_name = ?3 AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)",
    [ST_LIST_ALL] =
        "SELECT table_namespace, table_name, metadata_location FROM iceberg_tables "
        "WHERE catalog_name = ?1 AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL) "
        "ORDER BY table_namespace, table_name",
    [ST_LIST_NS] =
        "SELECT table_namespace, table_name, metadata_location FROM iceberg_tables "
        "WHERE catalog_name = ?1 AND table_namespace = ?2 AND "
        "(iceberg_type = 'TABLE' OR iceberg_type IS NULL) ORDER BY table_namespace, table_name",
};

struct fl_catalog {
  sqlite3 *db;
  char *path;
  char *name; /* catalog_name column value */
  sqlite3_stmt *stmt[ST_COUNT];
  uint32_t lose_answer_at; /* test hook: the Nth next commit swaps, then reports FL_EUNKNOWN */
};

/* Maps a SQLite result code to floe's: a full disk and a corrupt file are the user's to
 * fix; everything else (locked, I/O) may pass. */
static fl_code db_error(fl_catalog *cat, int rc, fl_err *err, const char *what) {
  fl_code code = FL_EIO;
  switch (rc & 0xff) {
    case SQLITE_FULL: code = FL_ENOSPC; break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: code = FL_ECORRUPT; break;
    case SQLITE_NOMEM: code = FL_ENOMEM; break;
    case SQLITE_CANTOPEN: code = FL_EIO; break;
    default: break;
  }
  return fl_err_set(err, code, "catalog %s: %s: %s", cat->path, what,
                    cat->db ? sqlite3_errmsg(cat->db) : sqlite3_errstr(rc));
}

static fl_code check_name(const char *what, const char *s, size_t max, fl_err *err) {
  if (!s || !*s) return fl_err_set(err, FL_EINVAL, "catalog: %s is empty", what);
  size_t n = strlen(s);
  if (n > max)
    return fl_err_set(err, FL_EINVAL, "catalog: %s '%.40s...' is %zu bytes, longer than %zu", what, s, n,
                      max);
  return FL_OK;
}

/* A namespace is levels joined by '.': each level non-empty and at most FL_NAME_MAX. */
static fl_code check_ns(const char *ns, fl_err *err) {
  fl_code rc = check_name("namespace", ns, FL_CATALOG_NAMESPACE_MAX, err);
  if (rc) return rc;
  const char *p = ns;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n == 0) return fl_err_set(err, FL_EINVAL, "catalog: namespace '%s' has an empty level", ns);
    if (n > FL_NAME_MAX)
      return fl_err_set(err, FL_EINVAL, "catalog: namespace '%s' has a level longer than %d bytes", ns,
                        FL_NAME_MAX);
    if (!dot) return FL_OK;
    p = dot + 1;
  }
}

static fl_code check_table(const char *ns, const char *name, fl_err *err) {
  fl_code rc = check_ns(ns, err);
  if (rc) return rc;
  return check_name("table name", name, FL_NAME_MAX, err);
}

static fl_code check_location(const char *what, const char *loc, fl_err *err) {
  return check_name(what, loc, FL_CATALOG_LOCATION_MAX, err);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

/* Runs a statement without results. SQLITE_BUSY that comes back before the busy
 * timeout had a chance to wait (WAL recovery, a racing journal-mode change) is retried
 * until the deadline; a BUSY after the full wait is returned. */
static int exec_retry(sqlite3 *db, const char *sql) {
  int64_t deadline_ns = fl_mono_ns() + (int64_t)FL_CATALOG_BUSY_MS * 1000000;
  int backoff_ms = 1;
  for (;;) {
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) return rc;
    if (fl_mono_ns() >= deadline_ns) return rc;
    sleep_ms(backoff_ms);
    if (backoff_ms < 64) backoff_ms *= 2;
  }
}

static fl_code begin(fl_catalog *cat, fl_err *err) {
  int rc = exec_retry(cat->db, "BEGIN IMMEDIATE");
  if (rc != SQLITE_OK) return db_error(cat, rc, err, "begin transaction");
  return FL_OK;
}

/* A COMMIT that fails after the WAL frames were written (an I/O error in the sync)
 * may or may not survive recovery: the outcome is unknown (FL_EUNKNOWN) unless SQLite
 * says BUSY (still inside the transaction: rolled back here, known not committed). */
static fl_code commit_tx(fl_catalog *cat, fl_err *err) {
  int rc = exec_retry(cat->db, "COMMIT");
  if (rc != SQLITE_OK) {
    fl_code code = db_error(cat, rc, err, "commit transaction");
    bool busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    if (!sqlite3_get_autocommit(cat->db)) sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    if (!busy) {
      fl_err_set(err, FL_EUNKNOWN, "catalog %s: commit state unknown: %s", cat->name, sqlite3_errstr(rc));
      code = FL_EUNKNOWN;
    }
    return code;
  }
  return FL_OK;
}

static void rollback(fl_catalog *cat) {
  if (!sqlite3_get_autocommit(cat->db)) sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Binds ?1 = catalog name and the given texts to ?2.. of a cached statement. */
static sqlite3_stmt *stmt_bind(fl_catalog *cat, enum stmt_id id, const char *a, const char *b, const char *c,
                               const char *d) {
  sqlite3_stmt *st = cat->stmt[id];
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sqlite3_bind_text(st, 1, cat->name, -1, SQLITE_STATIC);
  const char *args[4] = {a, b, c, d};
  for (int i = 0; i < 4; i++)
    if (args[i]) sqlite3_bind_text(st, i + 2, args[i], -1, SQLITE_STATIC);
  return st;
}

/* Brings an existing file up to the V1 schema (iceberg_type column), as JdbcCatalog
 * does; V0 rows keep iceberg_type NULL, which every statement reads as TABLE. */
static fl_code ensure_schema(fl_catalog *cat, fl_err *err) {
  static const char *const ddl =
      "CREATE TABLE IF NOT EXISTS iceberg_tables ("
      "catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL, "
      "table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), "
      "previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5), "
      "PRIMARY KEY (catalog_name, table_namespace, table_name));"
      "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
      "catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL, "
      "property_key VARCHAR(255), property_value VARCHAR(1000), "
      "PRIMARY KEY (catalog_name, namespace, property_key));";
  fl_code code = begin(cat, err);
  if (code) return code;
  int rc = sqlite3_exec(cat->db, ddl, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    code = db_error(cat, rc, err, "create catalog tables");
    goto fail;
  }
  bool has_type = false;
  sqlite3_stmt *st = NULL;
  rc = sqlite3_prepare_v2(cat->db, "PRAGMA table_info(iceberg_tables)", -1, &st, NULL);
  if (rc != SQLITE_OK) {
    code = db_error(cat, rc, err, "read iceberg_tables columns");
    goto fail;
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *col = (const char *)sqlite3_column_text(st, 1);
    if (col && strcmp(col, "iceberg_type") == 0) has_type = true;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    code = db_error(cat, rc, err, "read iceberg_tables columns");
    goto fail;
  }
  if (!has_type) {
    rc = sqlite3_exec(cat->db, "ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)", NULL, NULL,
                      NULL);
    if (rc != SQLITE_OK) {
      code = db_error(cat, rc, err, "add column iceberg_tables.iceberg_type");
      goto fail;
    }
  }
  return commit_tx(cat, err);
fail:
  rollback(cat);
  return code;
}

fl_code fl_catalog_open_sqlite(const char *db_path, const char *catalog_name, fl_catalog **out, fl_err *err) {
  FL_ASSERT(db_path && out);
  *out = NULL;
  fl_code code = check_name("catalog name", catalog_name, 255, err);
  if (code) return code;
  fl_catalog *cat = fl_calloc(1, sizeof *cat);
  cat->path = fl_strdup(db_path);
  cat->name = fl_strdup(catalog_name);
  int rc = sqlite3_open_v2(db_path, &cat->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) {
    code = db_error(cat, rc, err, "open");
    goto fail;
  }
  sqlite3_extended_result_codes(cat->db, 1);
  sqlite3_busy_timeout(cat->db, FL_CATALOG_BUSY_MS);

  /* journal_mode answers with the mode in force; a filesystem without shared memory
   * (some network mounts) keeps the rollback journal, which is correct, only slower. */
  sqlite3_stmt *st = NULL;
  rc = sqlite3_prepare_v2(cat->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    int64_t deadline_ns = fl_mono_ns() + (int64_t)FL_CATALOG_BUSY_MS * 1000000;
    while (((rc = sqlite3_step(st)) & 0xff) == SQLITE_BUSY && fl_mono_ns() < deadline_ns) {
      sqlite3_reset(st);
      sleep_ms(2);
    }
    if (rc == SQLITE_ROW) {
      const char *mode = (const char *)sqlite3_column_text(st, 0);
      if (mode && strcmp(mode, "wal") != 0 && strcmp(db_path, ":memory:") != 0)
        fl_warn("catalog", "%s: journal mode is %s, not wal: readers will wait for writers", db_path, mode);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    code = db_error(cat, rc, err, "set journal_mode=WAL");
    goto fail;
  }
  rc = exec_retry(cat->db, "PRAGMA synchronous=FULL");
  if (rc != SQLITE_OK) {
    code = db_error(cat, rc, err, "set synchronous=FULL");
    goto fail;
  }
  code = ensure_schema(cat, err);
  if (code) goto fail;
  for (int i = 0; i < ST_COUNT; i++) {
    rc = sqlite3_prepare_v3(cat->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &cat->stmt[i], NULL);
    if (rc != SQLITE_OK) {
      code = db_error(cat, rc, err, "prepare statement");
      goto fail;
    }
  }
  *out = cat;
  return FL_OK;
fail:
  fl_catalog_close(cat);
  return code;
}

/* Prepares a read statement for a read-only handle: without iceberg_type, "TABLE OR
 * NULL" is every row (a V0 catalog has only tables). */
static int prepare_read(fl_catalog *cat, enum stmt_id id, bool has_type) {
  static const char *const type_test = "(iceberg_type = 'TABLE' OR iceberg_type IS NULL)";
  const char *sql = stmt_sql[id];
  char *rewritten = NULL;
  if (!has_type) {
    const char *at = strstr(sql, type_test);
    FL_ASSERT(at, "read statement %d tests iceberg_type", (int)id);
    rewritten = fl_sprintf("%.*s1%s", (int)(at - sql), sql, at + strlen(type_test));
    sql = rewritten;
  }
  int rc = sqlite3_prepare_v3(cat->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &cat->stmt[id], NULL);
  fl_free(rewritten);
  return rc;
}

static bool file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* True if the file's header says WAL (bytes 18 and 19 of an SQLite header are 2). */
static bool is_wal_file(const char *path) {
  unsigned char hdr[20];
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  bool wal = fread(hdr, 1, sizeof hdr, f) == sizeof hdr && hdr[18] == 2 && hdr[19] == 2;
  fclose(f);
  return wal;
}

fl_code fl_catalog_open_sqlite_readonly(const char *db_path, const char *catalog_name, fl_catalog **out,
                                        fl_err *err) {
  FL_ASSERT(db_path && out);
  *out = NULL;
  fl_code code = check_name("catalog name", catalog_name, 255, err);
  if (code) return code;
  struct stat st;
  if (stat(db_path, &st) != 0) return fl_err_errno(err, errno, "catalog %s", db_path);
  fl_catalog *cat = fl_calloc(1, sizeof *cat);
  cat->path = fl_strdup(db_path);
  cat->name = fl_strdup(catalog_name);
  char *wal = fl_sprintf("%s-wal", db_path), *shm = fl_sprintf("%s-shm", db_path);
  bool immutable = is_wal_file(db_path) && !(file_exists(wal) && file_exists(shm));
  fl_free(wal);
  fl_free(shm);
  /* a URI: the path's %, ? and # are escaped */
  fl_buf uri = FL_BUF_INIT;
  fl_buf_puts(&uri, "file:");
  for (const char *p = db_path; *p; p++) {
    if (*p == '%' || *p == '?' || *p == '#')
      fl_buf_printf(&uri, "%%%02X", (unsigned char)*p);
    else
      fl_buf_put_u8(&uri, (uint8_t)*p);
  }
  fl_buf_puts(&uri, immutable ? "?mode=ro&immutable=1" : "?mode=ro");
  fl_buf_cstr(&uri);
  int rc = sqlite3_open_v2((const char *)uri.data, &cat->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
  fl_buf_free(&uri);
  if (rc != SQLITE_OK) {
    code = db_error(cat, rc, err, "open read-only");
    goto fail;
  }
  sqlite3_extended_result_codes(cat->db, 1);
  sqlite3_busy_timeout(cat->db, FL_CATALOG_BUSY_MS);
  bool has_table = false, has_type = false;
  sqlite3_stmt *info = NULL;
  rc = sqlite3_prepare_v2(cat->db, "PRAGMA table_info(iceberg_tables)", -1, &info, NULL);
  if (rc != SQLITE_OK) {
    code = db_error(cat, rc, err, "read iceberg_tables columns");
    goto fail;
  }
  while ((rc = sqlite3_step(info)) == SQLITE_ROW) {
    const char *col = (const char *)sqlite3_column_text(info, 1);
    has_table = true;
    if (col && strcmp(col, "iceberg_type") == 0) has_type = true;
  }
  sqlite3_finalize(info);
  if (rc != SQLITE_DONE) {
    code = db_error(cat, rc, err, "read iceberg_tables columns");
    goto fail;
  }
  if (!has_table) {
    code = fl_err_set(err, FL_ECORRUPT, "catalog %s: no iceberg_tables table: not an Iceberg SQL catalog",
                      db_path);
    goto fail;
  }
  const enum stmt_id reads[] = {ST_LOAD, ST_LIST_ALL, ST_LIST_NS};
  for (unsigned i = 0; i < sizeof reads / sizeof reads[0]; i++) {
    rc = prepare_read(cat, reads[i], has_type);
    if (rc != SQLITE_OK) {
      code = db_error(cat, rc, err, "prepare statement");
      goto fail;
    }
  }
  *out = cat;
  return FL_OK;
fail:
  fl_catalog_close(cat);
  return code;
}

void fl_catalog_close(fl_catalog *cat) {
  if (!cat) return;
  for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(cat->stmt[i]);
  if (cat->db) sqlite3_close(cat->db);
  fl_free(cat->path);
  fl_free(cat->name);
  fl_free(cat);
}

fl_code fl_catalog_create_namespace(fl_catalog *cat, const char *ns, fl_err *err) {
  fl_code code = check_ns(ns, err);
  if (code) return code;
  sqlite3_stmt *st = stmt_bind(cat, ST_CREATE_NS, ns, NULL, NULL, NULL);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return db_error(cat, rc, err, "create namespace");
  return FL_OK;
}

/* The namespace need not have been created: like JDBC/PyIceberg listings, a namespace
 * exists as soon as a table row names it. */
fl_code fl_catalog_create_table(fl_catalog *cat, const char *ns, const char *name,
                                const char *metadata_location, fl_err *err) {
  fl_code code = check_table(ns, name, err);
  if (!code) code = check_location("metadata location", metadata_location, err);
  if (code) return code;
  sqlite3_stmt *st = stmt_bind(cat, ST_CREATE_TABLE, ns, name, metadata_location, NULL);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
    return fl_err_set(err, FL_EEXIST, "catalog %s: table %s.%s already exists", cat->name, ns, name);
  if (rc != SQLITE_DONE) return db_error(cat, rc, err, "create table");
  return FL_OK;
}

/* Reads the current location into *loc (fl_malloc'd, NULL if the row has none).
 * FL_ENOENT if there is no such table. */
static fl_code load_row(fl_catalog *cat, const char *ns, const char *name, char **loc, fl_err *err) {
  *loc = NULL;
  sqlite3_stmt *st = stmt_bind(cat, ST_LOAD, ns, name, NULL, NULL);
  int rc = sqlite3_step(st);
  fl_code code = FL_OK;
  if (rc == SQLITE_ROW) {
    const char *s = (const char *)sqlite3_column_text(st, 0);
    if (s) *loc = fl_strdup(s);
  } else if (rc == SQLITE_DONE) {
    code = fl_err_set(err, FL_ENOENT, "catalog %s: no table %s.%s", cat->name, ns, name);
  } else {
    code = db_error(cat, rc, err, "load table");
  }
  sqlite3_reset(st);
  return code;
}

fl_code fl_catalog_load(fl_catalog *cat, const char *ns, const char *name, char **metadata_location,
                        fl_err *err) {
  FL_ASSERT(metadata_location);
  *metadata_location = NULL;
  fl_code code = check_table(ns, name, err);
  if (code) return code;
  code = load_row(cat, ns, name, metadata_location, err);
  if (code) return code;
  if (!*metadata_location)
    return fl_err_set(err, FL_ECORRUPT, "catalog %s: table %s.%s has no metadata location", cat->name, ns,
                      name);
  return FL_OK;
}

fl_code fl_catalog_commit(fl_catalog *cat, const char *ns, const char *name, const char *expected_location,
                          const char *new_location, fl_err *err) {
  fl_catalog_change change = {ns, name, expected_location, new_location};
  return fl_catalog_commit_many(cat, &change, 1, err);
}

/* After a CAS changed no row: explains why (table gone, or pointer moved). */
static fl_code explain_miss(fl_catalog *cat, const fl_catalog_change *ch, fl_err *err) {
  char *cur = NULL;
  fl_code code = load_row(cat, ch->ns, ch->name, &cur, err);
  if (code) return code;
  code = fl_err_set(err, FL_ECONFLICT,
                    "catalog %s: table %s.%s: commit conflict: expected metadata location %s, "
                    "current is %s",
                    cat->name, ch->ns, ch->name, ch->expected_location, cur ? cur : "(none)");
  fl_free(cur);
  return code;
}

fl_code fl_catalog_commit_many(fl_catalog *cat, const fl_catalog_change *changes, uint32_t n, fl_err *err) {
  FL_ASSERT(cat && (changes || n == 0));
  fl_code code = FL_OK;
  for (uint32_t i = 0; i < n && !code; i++) {
    code = check_table(changes[i].ns, changes[i].name, err);
    if (!code) code = check_location("expected metadata location", changes[i].expected_location, err);
    if (!code) code = check_location("new metadata location", changes[i].new_location, err);
  }
  if (code || n == 0) return code;
  code = begin(cat, err);
  if (code) return code;
  for (uint32_t i = 0; i < n; i++) {
    const fl_catalog_change *ch = &changes[i];
    sqlite3_stmt *st = stmt_bind(cat, ST_CAS, ch->ns, ch->name, ch->new_location, ch->expected_location);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      code = db_error(cat, rc, err, "commit");
      fl_err_prefix(err, "table %s.%s: ", ch->ns, ch->name);
      goto fail;
    }
    int changed = sqlite3_changes(cat->db);
    FL_ASSERT(changed <= 1, "catalog %s: %s.%s: CAS changed %d rows", cat->path, ch->ns, ch->name, changed);
    if (changed == 0) {
      code = explain_miss(cat, ch, err);
      goto fail;
    }
  }
  code = commit_tx(cat, err);
  if (!code && cat->lose_answer_at && --cat->lose_answer_at == 0)
    return fl_err_set(err, FL_EUNKNOWN, "catalog %s: commit state unknown: answer lost (test hook)",
                      cat->name);
  return code;
fail:
  rollback(cat);
  return code;
}

fl_code fl_catalog_rename_many(fl_catalog *cat, const fl_catalog_rename *renames, uint32_t n, fl_err *err) {
  FL_ASSERT(cat && (renames || n == 0));
  fl_code code = FL_OK;
  for (uint32_t i = 0; i < n && !code; i++) {
    code = check_table(renames[i].ns, renames[i].name, err);
    if (!code) code = check_table(renames[i].new_ns, renames[i].new_name, err);
    if (!code) code = check_location("expected metadata location", renames[i].expected_location, err);
  }
  if (code || n == 0) return code;
  sqlite3_stmt *up = NULL;
  int rc = sqlite3_prepare_v2(cat->db,
                              "UPDATE iceberg_tables SET table_namespace = ?4, table_name = ?5 "
                              "WHERE catalog_name = ?1 AND table_namespace = ?2 AND table_name = ?3 AND "
                              "metadata_location = ?6 AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)",
                              -1, &up, NULL);
  if (rc != SQLITE_OK) return db_error(cat, rc, err, "prepare rename");
  if ((code = begin(cat, err))) goto done;
  for (uint32_t i = 0; i < n; i++) {
    const fl_catalog_rename *r = &renames[i];
    char *cur = NULL;
    code = load_row(cat, r->new_ns, r->new_name, &cur, err);
    if (code && code != FL_ENOENT) goto fail;
    if (!code) {
      fl_free(cur);
      code = fl_err_set(err, FL_EEXIST, "catalog %s: renaming %s.%s to %s.%s: that name is taken", cat->name,
                        r->ns, r->name, r->new_ns, r->new_name);
      goto fail;
    }
    sqlite3_stmt *ns = stmt_bind(cat, ST_CREATE_NS, r->new_ns, NULL, NULL, NULL);
    rc = sqlite3_step(ns);
    sqlite3_reset(ns);
    if (rc != SQLITE_DONE) {
      code = db_error(cat, rc, err, "create namespace");
      goto fail;
    }
    sqlite3_reset(up);
    sqlite3_bind_text(up, 1, cat->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(up, 2, r->ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(up, 3, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(up, 4, r->new_ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(up, 5, r->new_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(up, 6, r->expected_location, -1, SQLITE_STATIC);
    rc = sqlite3_step(up);
    if (rc != SQLITE_DONE) {
      code = db_error(cat, rc, err, "rename");
      fl_err_prefix(err, "table %s.%s: ", r->ns, r->name);
      goto fail;
    }
    if (sqlite3_changes(cat->db) != 1) {
      fl_catalog_change ch = {r->ns, r->name, r->expected_location, NULL};
      code = explain_miss(cat, &ch, err); /* FL_ENOENT (gone) or FL_ECONFLICT (moved) */
      if (code == FL_OK)
        code = fl_err_set(err, FL_ECONFLICT, "catalog %s: renaming %s.%s", cat->name, r->ns, r->name);
      goto fail;
    }
  }
  code = commit_tx(cat, err);
  goto done;
fail:
  rollback(cat);
done:
  sqlite3_finalize(up);
  return code;
}

void fl_catalog_test_lose_answer(fl_catalog *cat, uint32_t nth) { cat->lose_answer_at = nth; }

fl_code fl_catalog_load_many(fl_catalog *cat, const fl_catalog_ident *tables, uint32_t n, char **locations,
                             fl_err *err) {
  FL_ASSERT(cat && locations && (tables || n == 0));
  for (uint32_t i = 0; i < n; i++) locations[i] = NULL;
  fl_code code = FL_OK;
  for (uint32_t i = 0; i < n && !code; i++) code = check_table(tables[i].ns, tables[i].name, err);
  if (code || n == 0) return code;
  /* a deferred read transaction: in WAL mode every SELECT in it sees one snapshot of
   * the database, so the n pointers are those of one instant (one commit_many, never
   * half of one). */
  int rc = exec_retry(cat->db, "BEGIN DEFERRED");
  if (rc != SQLITE_OK) return db_error(cat, rc, err, "begin read transaction");
  for (uint32_t i = 0; i < n && !code; i++) {
    code = load_row(cat, tables[i].ns, tables[i].name, &locations[i], err);
    if (!code && !locations[i])
      code = fl_err_set(err, FL_ECORRUPT, "catalog %s: table %s.%s has no metadata location", cat->name,
                        tables[i].ns, tables[i].name);
  }
  rollback(cat); /* nothing was written: ends the read transaction */
  if (code)
    for (uint32_t i = 0; i < n; i++) {
      fl_free(locations[i]);
      locations[i] = NULL;
    }
  return code;
}

fl_code fl_catalog_drop_table(fl_catalog *cat, const char *ns, const char *name, fl_err *err) {
  fl_code code = check_table(ns, name, err);
  if (code) return code;
  sqlite3_stmt *st = stmt_bind(cat, ST_DROP, ns, name, NULL, NULL);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return db_error(cat, rc, err, "drop table");
  if (sqlite3_changes(cat->db) == 0)
    return fl_err_set(err, FL_ENOENT, "catalog %s: no table %s.%s", cat->name, ns, name);
  return FL_OK;
}

fl_code fl_catalog_list(fl_catalog *cat, const char *ns, fl_catalog_entry **entries, uint32_t *n,
                        fl_err *err) {
  FL_ASSERT(entries && n);
  *entries = NULL;
  *n = 0;
  fl_code code = ns ? check_ns(ns, err) : FL_OK;
  if (code) return code;
  sqlite3_stmt *st = ns ? stmt_bind(cat, ST_LIST_NS, ns, NULL, NULL, NULL)
                        : stmt_bind(cat, ST_LIST_ALL, NULL, NULL, NULL, NULL);
  fl_catalog_entry *out = NULL;
  uint32_t count = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (count == cap) {
      cap = cap ? cap * 2 : 16;
      out = fl_realloc(out, cap * sizeof *out);
    }
    const char *loc = (const char *)sqlite3_column_text(st, 2);
    out[count].ns = fl_strdup((const char *)sqlite3_column_text(st, 0));
    out[count].name = fl_strdup((const char *)sqlite3_column_text(st, 1));
    out[count].metadata_location = loc ? fl_strdup(loc) : NULL;
    count++;
  }
  if (rc != SQLITE_DONE) {
    code = db_error(cat, rc, err, "list tables");
    sqlite3_reset(st);
    fl_catalog_entries_free(out, count);
    return code;
  }
  sqlite3_reset(st);
  *entries = out;
  *n = count;
  return FL_OK;
}

void fl_catalog_entries_free(fl_catalog_entry *entries, uint32_t n) {
  if (!entries) return;
  for (uint32_t i = 0; i < n; i++) {
    fl_free(entries[i].ns);
    fl_free(entries[i].name);
    fl_free(entries[i].metadata_location);
  }
  fl_free(entries);
}
