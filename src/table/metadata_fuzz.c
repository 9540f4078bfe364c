/* metadata_fuzz: libFuzzer target over the table metadata JSON reader (fl_tmeta_parse),
 * the one table file read from outside that is not Parquet or Avro.
 * Invariant: any input gives FL_OK with a consistent model (a current schema, a
 * default spec whose fields have result types, the current snapshot present) or an
 * error with a message; never a crash or a leak. A parsed model is written back
 * (json_dumps) and must parse again. Seeds: metadata files written by the table tests
 * (the metadata directories of tables under $FLOE_TEST_TMP), and other writers' (v1
 * with "schema" / "partition-spec" / inline manifests, gzip *.gz.metadata.json: an
 * input with gzip's magic bytes is inflated first, as fl_tmeta_read does). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table/table_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fl_tmeta *m = NULL;
  fl_err err;
  err.msg[0] = 0;
  char *text = NULL;
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    text = fl_malloc(size);
    memcpy(text, data, size);
    if (fl_tmeta_gunzip("fuzz.gz.metadata.json", &text, &size, &err) != FL_OK) {
      FL_ASSERT(err.msg[0] != '\0');
      return 0;
    }
    data = (const uint8_t *)text;
  }
  fl_code prc = fl_tmeta_parse((const char *)data, size, "fuzz.json", &m, &err);
  fl_free(text);
  if (prc != FL_OK) {
    FL_ASSERT(err.msg[0] != '\0');
    return 0;
  }
  FL_ASSERT(m->schema && m->spec);
  for (uint32_t i = 0; i < m->spec->nfields; i++) FL_ASSERT(m->spec->fields[i].result_type.kind != 0);
  if (m->current_snapshot_id > 0) {
    bool found = false;
    for (uint32_t i = 0; i < m->nsnapshots; i++)
      found |= m->snapshots[i].snapshot_id == m->current_snapshot_id;
    FL_ASSERT(found);
  }
  char *again = json_dumps(m->root, JSON_COMPACT);
  if (again) {
    fl_tmeta *m2 = NULL;
    FL_ASSERT(fl_tmeta_parse(again, strlen(again), "again.json", &m2, &err) == FL_OK, "%s", err.msg);
    FL_ASSERT(m2->schema->nfields == m->schema->nfields);
    fl_tmeta_free(m2);
    free(again);
  }
  fl_tmeta_free(m);
  return 0;
}
