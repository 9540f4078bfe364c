/* manifest_fuzz: libFuzzer target over the manifest and manifest-list readers (and
 * so the whole Avro container reader: header, schema JSON, codecs, blocks, values).
 * Then the generic Avro decoder runs over whatever schema the input declares.
 * Invariant: any input gives FL_OK or an error with a message, never a crash, a
 * leak or unbounded memory. Seeds: tests/fuzz/corpus/manifest/ (manifests and
 * manifest lists written by floe, deflate and uncompressed). */
#include <stddef.h>
#include <stdint.h>

#include "core/mem.h"
#include "format/avro.h"
#include "format/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fl_arena arena;
  fl_arena_init(&arena, 16 << 10);
  fl_err err;
  fl_manifest_entry *entries;
  fl_manifest_file *files;
  uint32_t n;
  if (fl_manifest_read_mem(data, size, "fuzz.avro", &arena, &entries, &n, &err) == FL_OK) {
    for (uint32_t i = 0; i < n; i++) FL_ASSERT(entries[i].file.file_path != NULL);
  } else {
    FL_ASSERT(err.msg[0] != '\0');
  }
  fl_arena_reset(&arena);
  if (fl_manifest_list_read_mem(data, size, "fuzz.avro", &arena, &files, &n, &err) == FL_OK) {
    for (uint32_t i = 0; i < n; i++) FL_ASSERT(files[i].manifest_path != NULL);
  }
  fl_arena_destroy(&arena);
  /* The generic decoder over whatever schema the input declares. */
  fl_avro_reader rd;
  if (fl_avro_reader_open(&rd, data, size, "fuzz.avro", &err) == FL_OK) {
    const fl_avro_value *v;
    while (fl_avro_reader_next(&rd, &v, &err) == FL_OK && v) FL_ASSERT(v->schema != NULL);
    fl_avro_reader_close(&rd);
  }
  return 0;
}
