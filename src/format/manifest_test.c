/* Unit tests of Iceberg manifests and manifest lists: exact round trips, the Avro
 * schema and metadata keys other engines need, null (inherited) sequence numbers
 * for ADDED entries, partition summaries, manifests written by "other engines"
 * (different field order, no field ids, extra fields), and truncated/corrupted
 * files in a loop (errors, never a crash). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "format/avro.h"
#include "format/manifest.h"

static char g_dir[512];

static void make_dir(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (base) mkdir(base, 0755);
  snprintf(g_dir, sizeof g_dir, "%s/manifest-XXXXXX", base ? base : "/tmp");
  cr_assert(mkdtemp(g_dir));
}

static void remove_dir(void) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(manifest, .init = make_dir, .fini = remove_dir);

static const char *path_in(fl_arena *a, const char *name) {
  return fl_arena_sprintf(a, "%s/%s", g_dir, name);
}

static const fl_type T_DATE = {FL_T_DATE, 0, 0};
static const fl_type T_STRING = {FL_T_STRING, 0, 0};

static fl_value v_date(int32_t d) { return (fl_value){.type = T_DATE, .u.i32 = d}; }
static fl_value v_str(const char *s) {
  return (fl_value){.type = T_STRING, .u.str = {s, (uint32_t)strlen(s)}};
}
static fl_value v_null(fl_type t) { return (fl_value){.type = t, .is_null = true}; }

static const fl_partition_field SPEC[] = {
    {9, 1000, "event_time_day", "day", {FL_T_DATE, 0, 0}},
    {2, 1001, "tenant_id", "identity", {FL_T_STRING, 0, 0}},
};
static const char SCHEMA_JSON[] =
    "{\"type\":\"struct\",\"schema-id\":3,\"fields\":[{\"id\":2,\"name\":\"tenant_id\",\"required\":true,"
    "\"type\":\"string\"},{\"id\":9,\"name\":\"event_time\",\"required\":true,\"type\":\"timestamp\"}]}";
static const char SPEC_JSON[] =
    "[{\"source-id\":9,\"field-id\":1000,\"name\":\"event_time_day\",\"transform\":"
    "\"day\"},{\"source-id\":2,\"field-id\":1001,\"name\":\"tenant_id\",\"transform\":"
    "\"identity\"}]";

static fl_manifest_meta data_meta(void) {
  return (fl_manifest_meta){SCHEMA_JSON, SPEC_JSON, 7, SPEC, 2, FL_CONTENT_DATA};
}

/* Three data files: two ADDED (inherit), one EXISTING with explicit numbers; the
 * third has a null tenant. */
typedef struct fixture {
  fl_value parts[3][2];
  fl_file_column cols[2];
  int64_t splits[2];
  fl_manifest_entry e[3];
} fixture;

static void fixture_init(fixture *fx) {
  memset(fx, 0, sizeof *fx);
  fx->parts[0][0] = v_date(20000);
  fx->parts[0][1] = v_str("acme");
  fx->parts[1][0] = v_date(19999);
  fx->parts[1][1] = v_str("zeta");
  fx->parts[2][0] = v_date(20005);
  fx->parts[2][1] = v_null(T_STRING);
  static const uint8_t lo[] = {'a', 'c'}, hi[] = {'z'};
  fx->cols[0] = (fl_file_column){2, 100, 10, 0, lo, 2, hi, 1};
  fx->cols[1] = (fl_file_column){9, 200, 10, 3, NULL, 0, NULL, 0};
  fx->splits[0] = 4;
  fx->splits[1] = 1000;
  for (int i = 0; i < 3; i++) {
    fl_manifest_entry *e = &fx->e[i];
    e->status = FL_ENTRY_ADDED;
    e->snapshot_id = e->sequence_number = e->file_sequence_number = -1;
    e->file.content = FL_CONTENT_DATA;
    e->file.file_format = "PARQUET";
    e->file.partition = fx->parts[i];
    e->file.npartition = 2;
    e->file.record_count = 10 * (i + 1);
    e->file.file_size_in_bytes = 1234 + i;
    e->file.sort_order_id = -1;
  }
  fx->e[0].file.file_path = "file:///w/t/data/a.parquet";
  fx->e[0].file.cols = fx->cols;
  fx->e[0].file.ncols = 2;
  fx->e[0].file.split_offsets = fx->splits;
  fx->e[0].file.nsplit_offsets = 2;
  fx->e[0].file.sort_order_id = 1;
  fx->e[1].file.file_path = "file:///w/t/data/b.parquet";
  fx->e[2].file.file_path = "file:///w/t/data/c.parquet";
  fx->e[2].status = FL_ENTRY_EXISTING;
  fx->e[2].snapshot_id = 55;
  fx->e[2].sequence_number = 4;
  fx->e[2].file_sequence_number = 5;
}

static int64_t file_size(const char *path) {
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  return st.st_size;
}

Test(manifest, data_manifest_round_trips_exactly) {
  fl_arena a;
  fl_arena_init(&a, 4096);
  fixture fx;
  fixture_init(&fx);
  fl_manifest_meta meta = data_meta();
  fl_manifest_file mf;
  fl_err err;
  const char *path = path_in(&a, "m0.avro");
  cr_assert_eq(fl_manifest_write(path, &meta, fx.e, 3, &a, &mf, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(mf.manifest_path, path);
  cr_assert_eq(mf.manifest_length, file_size(path));
  cr_assert_eq(mf.partition_spec_id, 7);
  cr_assert_eq(mf.content, 0);
  cr_assert_eq(mf.added_files_count, 2);
  cr_assert_eq(mf.existing_files_count, 1);
  cr_assert_eq(mf.deleted_files_count, 0);
  cr_assert_eq(mf.added_rows_count, 30);
  cr_assert_eq(mf.existing_rows_count, 30);
  cr_assert_eq(mf.deleted_rows_count, 0);
  cr_assert_eq(mf.min_sequence_number, 4);
  cr_assert_eq(mf.sequence_number, -1);
  cr_assert_eq(mf.added_snapshot_id, -1);
  /* summaries: day 19999..20005 (4-byte LE), tenant "acme".."zeta" with a null */
  cr_assert_eq(mf.npartitions, 2);
  cr_assert_not(mf.partitions[0].contains_null);
  cr_assert_eq(mf.partitions[0].lower_len, 4);
  cr_assert(memcmp(mf.partitions[0].lower, (const uint8_t[]){0x1f, 0x4e, 0, 0}, 4) == 0);
  cr_assert(memcmp(mf.partitions[0].upper, (const uint8_t[]){0x25, 0x4e, 0, 0}, 4) == 0);
  cr_assert(mf.partitions[1].contains_null);
  cr_assert_not(mf.partitions[1].contains_nan);
  cr_assert_eq(mf.partitions[1].lower_len, 4);
  cr_assert(memcmp(mf.partitions[1].lower, "acme", 4) == 0);
  cr_assert(memcmp(mf.partitions[1].upper, "zeta", 4) == 0);

  fl_manifest_entry *got;
  uint32_t n;
  cr_assert_eq(fl_manifest_read(path, &a, &got, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 3);
  cr_assert_eq(got[0].status, FL_ENTRY_ADDED);
  cr_assert_eq(got[0].snapshot_id, -1);
  cr_assert_eq(got[0].sequence_number, -1);
  cr_assert_eq(got[0].file_sequence_number, -1);
  cr_assert_eq(got[2].status, FL_ENTRY_EXISTING);
  cr_assert_eq(got[2].snapshot_id, 55);
  cr_assert_eq(got[2].sequence_number, 4);
  cr_assert_eq(got[2].file_sequence_number, 5);
  const fl_data_file *f = &got[0].file;
  cr_assert_eq(f->content, FL_CONTENT_DATA);
  cr_assert_str_eq(f->file_path, "file:///w/t/data/a.parquet");
  cr_assert_str_eq(f->file_format, "PARQUET");
  cr_assert_eq(f->record_count, 10);
  cr_assert_eq(f->file_size_in_bytes, 1234);
  cr_assert_eq(f->npartition, 2);
  cr_assert_eq(f->partition[0].type.kind, FL_T_DATE);
  cr_assert_eq(f->partition[0].u.i32, 20000);
  cr_assert_eq(f->partition[1].type.kind, FL_T_STRING);
  cr_assert_eq(f->partition[1].u.str.len, 4);
  cr_assert(memcmp(f->partition[1].u.str.ptr, "acme", 4) == 0);
  cr_assert_eq(f->ncols, 2);
  cr_assert_eq(f->cols[0].field_id, 2);
  cr_assert_eq(f->cols[0].column_size, 100);
  cr_assert_eq(f->cols[0].value_count, 10);
  cr_assert_eq(f->cols[0].null_value_count, 0);
  cr_assert_eq(f->cols[0].lower_len, 2);
  cr_assert(memcmp(f->cols[0].lower, "ac", 2) == 0);
  cr_assert_eq(f->cols[0].upper_len, 1);
  cr_assert_eq(f->cols[0].upper[0], 'z');
  cr_assert_eq(f->cols[1].field_id, 9);
  cr_assert_eq(f->cols[1].null_value_count, 3);
  cr_assert_null(f->cols[1].lower);
  cr_assert_null(f->cols[1].upper);
  cr_assert_eq(f->nsplit_offsets, 2);
  cr_assert_eq(f->split_offsets[1], 1000);
  cr_assert_eq(f->sort_order_id, 1);
  cr_assert_eq(f->nequality_ids, 0);
  cr_assert_null(f->referenced_data_file);
  /* absent optional fields */
  cr_assert_eq(got[1].file.ncols, 0);
  cr_assert_null(got[1].file.cols);
  cr_assert_eq(got[1].file.nsplit_offsets, 0);
  cr_assert_eq(got[1].file.sort_order_id, -1);
  cr_assert(got[2].file.partition[1].is_null);
  cr_assert_eq(got[2].file.partition[1].type.kind, FL_T_STRING);
  fl_arena_destroy(&a);
}

static void open_raw(const char *path, uint8_t **data, fl_avro_reader *rd) {
  size_t len;
  fl_err err;
  cr_assert_eq(fl_avro_file_load(path, data, &len, &err), FL_OK);
  cr_assert_eq(fl_avro_reader_open(rd, *data, len, path, &err), FL_OK, "%s", err.msg);
}

Test(manifest, added_entries_write_null_sequence_numbers_and_iceberg_schema) {
  fl_arena a;
  fl_arena_init(&a, 4096);
  fixture fx;
  fixture_init(&fx);
  fl_manifest_meta meta = data_meta();
  fl_manifest_file mf;
  fl_err err;
  const char *path = path_in(&a, "m1.avro");
  cr_assert_eq(fl_manifest_write(path, &meta, fx.e, 3, &a, &mf, &err), FL_OK, "%s", err.msg);
  uint8_t *data;
  fl_avro_reader rd;
  open_raw(path, &data, &rd);
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "avro.codec"), "deflate");
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "schema"), SCHEMA_JSON);
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "schema-id"), "3");
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "partition-spec"), SPEC_JSON);
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "partition-spec-id"), "7");
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "format-version"), "2");
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "content"), "data");
  const fl_avro_schema *s = rd.schema;
  cr_assert_str_eq(s->name, "manifest_entry");
  int df = fl_avro_schema_field(s, 2, NULL);
  cr_assert_eq(df, 4);
  const fl_avro_schema *r2 = s->fields[df].type;
  cr_assert_str_eq(r2->name, "r2");
  const fl_avro_schema *r102 = r2->fields[fl_avro_schema_field(r2, 102, NULL)].type;
  cr_assert_str_eq(r102->name, "r102");
  cr_assert_eq(r102->n, 2);
  cr_assert_eq(r102->fields[0].field_id, 1000);
  cr_assert_str_eq(r102->fields[0].name, "event_time_day");
  cr_assert_str_eq(fl_avro_schema_nonnull(r102->fields[0].type)->logical, "date");
  cr_assert_eq(r102->fields[1].field_id, 1001);
  const fl_avro_schema *cs = fl_avro_schema_nonnull(r2->fields[fl_avro_schema_field(r2, 108, NULL)].type);
  cr_assert_eq(cs->type, FL_AVRO_ARRAY);
  cr_assert_str_eq(cs->logical, "map");
  cr_assert_str_eq(cs->items->name, "k117_v118");
  cr_assert_eq(cs->items->fields[0].field_id, 117);
  cr_assert_eq(cs->items->fields[1].field_id, 118);
  const fl_avro_schema *so = fl_avro_schema_nonnull(r2->fields[fl_avro_schema_field(r2, 132, NULL)].type);
  cr_assert_eq(so->element_id, 133);
  cr_assert(strstr(rd.schema_json, "\"k129_v130\""));
  cr_assert(strstr(rd.schema_json, "\"field-id\":143"));

  const fl_avro_value *v;
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(fl_avro_reader_next(&rd, &v, &err), FL_OK);
    cr_assert_not_null(v);
    bool added = i < 2;
    cr_assert_eq(fl_avro_is_null(fl_avro_value_get(v, "snapshot_id")), added);
    cr_assert_eq(fl_avro_is_null(fl_avro_value_get(v, "sequence_number")), added);
    cr_assert_eq(fl_avro_is_null(fl_avro_value_get(v, "file_sequence_number")), added);
    const fl_avro_value *d = fl_avro_value_get(v, "data_file");
    cr_assert(fl_avro_is_null(fl_avro_value_get(d, "nan_value_counts")));
    cr_assert(fl_avro_is_null(fl_avro_value_get(d, "key_metadata")));
    cr_assert(fl_avro_is_null(fl_avro_value_get(d, "equality_ids")));
    cr_assert_eq(fl_avro_is_null(fl_avro_value_get(d, "column_sizes")), i != 0);
    cr_assert_eq(fl_avro_is_null(fl_avro_value_get(d, "lower_bounds")), i != 0);
  }
  cr_assert_eq(fl_avro_reader_next(&rd, &v, &err), FL_OK);
  cr_assert_null(v);
  fl_avro_reader_close(&rd);
  fl_free(data);
  fl_arena_destroy(&a);
}

Test(manifest, existing_entry_without_sequence_numbers_is_refused) {
  fl_arena a;
  fl_arena_init(&a, 4096);
  fixture fx;
  fixture_init(&fx);
  fx.e[2].file_sequence_number = -1;
  fl_manifest_meta meta = data_meta();
  fl_manifest_file mf;
  fl_err err;
  const char *path = path_in(&a, "bad.avro");
  cr_assert_eq(fl_manifest_write(path, &meta, fx.e, 3, &a, &mf, &err), FL_EINVAL);
  cr_assert(strstr(err.msg, "c.parquet"), "%s", err.msg);
  cr_assert_neq(access(path, F_OK), 0);
  /* a partition value of the wrong type */
  fixture_init(&fx);
  fx.parts[1][0] = v_str("2024-01-01");
  cr_assert_eq(fl_manifest_write(path, &meta, fx.e, 3, &a, &mf, &err), FL_ETYPE);
  cr_assert(strstr(err.msg, "event_time_day"), "%s", err.msg);
  /* wrong number of partition values */
  fixture_init(&fx);
  fx.e[0].file.npartition = 1;
  cr_assert_eq(fl_manifest_write(path, &meta, fx.e, 3, &a, &mf, &err), FL_EINVAL);
  /* data file in a delete manifest */
  fixture_init(&fx);
  meta.content = FL_CONTENT_POSITION_DELETES;
  cr_assert_eq(fl_manifest_write(path, &meta, fx.e, 3, &a, &mf, &err), FL_EINVAL);
  cr_assert_neq(access(path, F_OK), 0);
  fl_arena_destroy(&a);
}

Test(manifest, an_existing_path_is_never_replaced) {
  fl_arena a;
  fl_arena_init(&a, 4096);
  fixture fx;
  fixture_init(&fx);
  fl_manifest_meta meta = data_meta();
  fl_manifest_file mf;
  fl_err err;
  const char *path = path_in(&a, "once.avro");
  cr_assert_eq(fl_manifest_write(path, &meta, fx.e, 3, &a, &mf, &err), FL_OK);
  int64_t size = file_size(path);
  cr_assert_eq(fl_manifest_write(path, &meta, fx.e, 1, &a, &mf, &err), FL_EEXIST);
  cr_assert(strstr(err.msg, "once.avro"), "%s", err.msg);
  cr_assert_eq(file_size(path), size);
  fl_arena_destroy(&a);
}

Test(manifest, delete_manifest_keeps_equality_ids_and_referenced_file) {
  fl_arena a;
  fl_arena_init(&a, 4096);
  fl_manifest_entry e[2];
  memset(e, 0, sizeof e);
  int32_t eq[] = {1, 4};
  for (int i = 0; i < 2; i++) {
    e[i].status = FL_ENTRY_ADDED;
    e[i].snapshot_id = 99; /* explicit is allowed, as Java writes it */
    e[i].sequence_number = e[i].file_sequence_number = -1;
    e[i].file.file_format = "PARQUET";
    e[i].file.record_count = 3;
    e[i].file.file_size_in_bytes = 500;
    e[i].file.sort_order_id = -1;
  }
  e[0].file.content = FL_CONTENT_POSITION_DELETES;
  e[0].file.file_path = "file:///w/t/data/d-pos.parquet";
  e[0].file.referenced_data_file = "file:///w/t/data/a.parquet";
  e[1].file.content = FL_CONTENT_EQUALITY_DELETES;
  e[1].file.file_path = "file:///w/t/data/d-eq.parquet";
  e[1].file.equality_ids = eq;
  e[1].file.nequality_ids = 2;
  fl_manifest_meta meta = {SCHEMA_JSON, "[]", 0, NULL, 0, FL_CONTENT_POSITION_DELETES};
  fl_manifest_file mf;
  fl_err err;
  const char *path = path_in(&a, "del.avro");
  cr_assert_eq(fl_manifest_write(path, &meta, e, 2, &a, &mf, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(mf.content, 1);
  cr_assert_eq(mf.npartitions, 0);
  cr_assert_eq(mf.min_sequence_number, -1);
  uint8_t *data;
  fl_avro_reader rd;
  open_raw(path, &data, &rd);
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "content"), "deletes");
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "partition-spec"), "[]");
  cr_assert(strstr(rd.schema_json, "{\"type\":\"record\",\"name\":\"r102\",\"fields\":[]}"), "%s",
            rd.schema_json);
  fl_avro_reader_close(&rd);
  fl_free(data);

  fl_manifest_entry *got;
  uint32_t n;
  cr_assert_eq(fl_manifest_read(path, &a, &got, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 2);
  cr_assert_eq(got[0].snapshot_id, 99);
  cr_assert_eq(got[0].file.content, FL_CONTENT_POSITION_DELETES);
  cr_assert_str_eq(got[0].file.referenced_data_file, "file:///w/t/data/a.parquet");
  cr_assert_eq(got[0].file.npartition, 0);
  cr_assert_eq(got[1].file.content, FL_CONTENT_EQUALITY_DELETES);
  cr_assert_eq(got[1].file.nequality_ids, 2);
  cr_assert_eq(got[1].file.equality_ids[0], 1);
  cr_assert_eq(got[1].file.equality_ids[1], 4);
  cr_assert_null(got[1].file.referenced_data_file);
  fl_arena_destroy(&a);
}

Test(manifest, every_partition_type_round_trips) {
  fl_arena a;
  fl_arena_init(&a, 4096);
  static const fl_partition_field spec[] = {
      {1, 1000, "b", "identity", {FL_T_BOOLEAN, 0, 0}},
      {2, 1001, "i", "bucket[16]", {FL_T_INT, 0, 0}},
      {3, 1002, "l", "identity", {FL_T_BIGINT, 0, 0}},
      {4, 1003, "ts", "identity", {FL_T_TIMESTAMP, 0, 0}},
      {5, 1004, "amount", "identity", {FL_T_DECIMAL, 12, 2}},
      {6, 1005, "d", "identity", {FL_T_DOUBLE, 0, 0}},
      {7, 1006, "weird name!", "identity", {FL_T_FLOAT, 0, 0}},
      {8, 1007, "9lives", "identity", {FL_T_JSON, 0, 0}},
  };
  fl_value parts[2][8] = {
      {{.type = {.kind = FL_T_BOOLEAN}, .u.b = true},
       {.type = {.kind = FL_T_INT}, .u.i32 = -7},
       {.type = {.kind = FL_T_BIGINT}, .u.i64 = INT64_MIN},
       {.type = {.kind = FL_T_TIMESTAMP}, .u.i64 = 1510871468123456LL},
       {.type = {.kind = FL_T_DECIMAL, .precision = 12, .scale = 2}, .u.i64 = -1234},
       {.type = {.kind = FL_T_DOUBLE}, .u.f64 = 2.5},
       {.type = {.kind = FL_T_FLOAT}, .u.f32 = -0.5f},
       {.type = {.kind = FL_T_JSON}, .u.str = {"{}", 2}}},
      {{.type = {.kind = FL_T_BOOLEAN}, .u.b = false},
       {.type = {.kind = FL_T_INT}, .u.i32 = 3},
       {.type = {.kind = FL_T_BIGINT}, .is_null = true},
       {.type = {.kind = FL_T_TIMESTAMP}, .u.i64 = -1},
       {.type = {.kind = FL_T_DECIMAL, .precision = 12, .scale = 2}, .u.i64 = 99999999},
       {.type = {.kind = FL_T_DOUBLE}, .u.f64 = -1e300},
       {.type = {.kind = FL_T_FLOAT}, .u.f32 = 8.0f},
       {.type = {.kind = FL_T_JSON}, .u.str = {"[1]", 3}}},
  };
  fl_manifest_entry e[2];
  memset(e, 0, sizeof e);
  for (int i = 0; i < 2; i++) {
    e[i].status = FL_ENTRY_ADDED;
    e[i].snapshot_id = e[i].sequence_number = e[i].file_sequence_number = -1;
    e[i].file.file_path = i ? "file:///x/2.parquet" : "file:///x/1.parquet";
    e[i].file.file_format = "PARQUET";
    e[i].file.partition = parts[i];
    e[i].file.npartition = 8;
    e[i].file.record_count = 1;
    e[i].file.file_size_in_bytes = 10;
    e[i].file.sort_order_id = -1;
  }
  fl_manifest_meta meta = {SCHEMA_JSON, "[]", 1, spec, 8, FL_CONTENT_DATA};
  fl_manifest_file mf;
  fl_err err;
  const char *path = path_in(&a, "types.avro");
  cr_assert_eq(fl_manifest_write(path, &meta, e, 2, &a, &mf, &err), FL_OK, "%s", err.msg);
  /* summaries: bigint has a null and one value; decimal bounds are minimal BE */
  cr_assert(mf.partitions[2].contains_null);
  cr_assert_eq(mf.partitions[2].lower_len, 8);
  cr_assert_eq(mf.partitions[4].lower_len, 2);
  cr_assert(memcmp(mf.partitions[4].lower, (const uint8_t[]){0xfb, 0x2e}, 2) == 0); /* -1234 */
  cr_assert_eq(mf.partitions[4].upper_len, 4);
  cr_assert(memcmp(mf.partitions[4].upper, (const uint8_t[]){0x05, 0xf5, 0xe0, 0xff}, 4) == 0);
  cr_assert_eq(mf.partitions[0].lower[0], 0);
  cr_assert_eq(mf.partitions[0].upper[0], 1);

  fl_manifest_entry *got;
  uint32_t n;
  cr_assert_eq(fl_manifest_read(path, &a, &got, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 2);
  for (int i = 0; i < 2; i++) {
    const fl_value *p = got[i].file.partition;
    cr_assert_eq(got[i].file.npartition, 8);
    for (int k = 0; k < 8; k++) {
      fl_type_kind want = spec[k].result_type.kind == FL_T_JSON ? FL_T_STRING : spec[k].result_type.kind;
      cr_assert_eq(p[k].type.kind, want, "field %d", k);
      cr_assert_eq(p[k].is_null, parts[i][k].is_null);
      if (!p[k].is_null && want != FL_T_STRING) {
        fl_value w = parts[i][k];
        w.type = p[k].type;
        cr_assert_eq(fl_value_cmp(&p[k], &w), 0, "entry %d field %d", i, k);
      }
    }
    cr_assert_eq(p[4].type.precision, 12);
    cr_assert_eq(p[4].type.scale, 2);
  }
  cr_assert_eq(got[0].file.partition[7].u.str.len, 2);
  cr_assert(memcmp(got[1].file.partition[7].u.str.ptr, "[1]", 3) == 0);
  /* Avro names are sanitized as Java does */
  uint8_t *data;
  fl_avro_reader rd;
  open_raw(path, &data, &rd);
  cr_assert(strstr(rd.schema_json, "\"name\":\"weird_x20name_x21\""), "%s", rd.schema_json);
  cr_assert(strstr(rd.schema_json, "\"name\":\"_9lives\""), "%s", rd.schema_json);
  cr_assert(strstr(rd.schema_json, "\"logicalType\":\"decimal\",\"precision\":12,\"scale\":2"));
  cr_assert(strstr(rd.schema_json, "\"logicalType\":\"timestamp-micros\""));
  fl_avro_reader_close(&rd);
  fl_free(data);
  fl_arena_destroy(&a);
}

Test(manifest, thousands_of_entries_span_blocks) {
  fl_arena a;
  fl_arena_init(&a, 1 << 16);
  enum { N = 5000 };
  fl_manifest_entry *e = fl_calloc(N, sizeof *e);
  fl_value *parts = fl_calloc(N * 2, sizeof *parts);
  for (uint32_t i = 0; i < N; i++) {
    parts[2 * i] = v_date((int32_t)(19000 + i % 400));
    parts[2 * i + 1] = v_str(i % 7 ? "t1" : "t0");
    e[i].status = FL_ENTRY_ADDED;
    e[i].snapshot_id = e[i].sequence_number = e[i].file_sequence_number = -1;
    e[i].file.file_path = fl_arena_sprintf(&a, "file:///w/t/data/%05u.parquet", i);
    e[i].file.file_format = "PARQUET";
    e[i].file.partition = &parts[2 * i];
    e[i].file.npartition = 2;
    e[i].file.record_count = i;
    e[i].file.file_size_in_bytes = 1000 + i;
    e[i].file.sort_order_id = -1;
  }
  fl_manifest_meta meta = data_meta();
  fl_manifest_file mf;
  fl_err err;
  const char *path = path_in(&a, "big.avro");
  cr_assert_eq(fl_manifest_write(path, &meta, e, N, &a, &mf, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(mf.added_files_count, N);
  cr_assert_eq(mf.added_rows_count, (int64_t)N * (N - 1) / 2);
  fl_manifest_entry *got;
  uint32_t n;
  cr_assert_eq(fl_manifest_read(path, &a, &got, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, N);
  for (uint32_t i = 0; i < N; i += 997) {
    cr_assert_str_eq(got[i].file.file_path, e[i].file.file_path);
    cr_assert_eq(got[i].file.record_count, i);
    cr_assert_eq(got[i].file.partition[0].u.i32, (int32_t)(19000 + i % 400));
  }
  cr_assert_eq(got[N - 1].file.file_size_in_bytes, 1000 + N - 1);
  fl_free(e);
  fl_free(parts);
  fl_arena_destroy(&a);
}

Test(manifest, manifest_list_round_trips_with_summaries) {
  fl_arena a;
  fl_arena_init(&a, 4096);
  fixture fx;
  fixture_init(&fx);
  fl_manifest_meta meta = data_meta();
  fl_manifest_file mf[2];
  fl_err err;
  cr_assert_eq(fl_manifest_write(path_in(&a, "l0.avro"), &meta, fx.e, 3, &a, &mf[0], &err), FL_OK);
  mf[0].sequence_number = 6;
  mf[0].min_sequence_number = 4;
  mf[0].added_snapshot_id = 1234567890123456789LL;
  memset(&mf[1], 0, sizeof mf[1]);
  mf[1].manifest_path = "file:///w/t/metadata/old-m0.avro";
  mf[1].manifest_length = 4321;
  mf[1].partition_spec_id = 0;
  mf[1].content = 1;
  mf[1].sequence_number = 2;
  mf[1].min_sequence_number = 1;
  mf[1].added_snapshot_id = 77;
  mf[1].deleted_files_count = 3;
  mf[1].deleted_rows_count = 30;
  const char *path = path_in(&a, "snap-1.avro");
  cr_assert_eq(fl_manifest_list_write(path, 1234567890123456789LL, -1, 6, mf, 2, &err), FL_OK, "%s", err.msg);

  uint8_t *data;
  fl_avro_reader rd;
  open_raw(path, &data, &rd);
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "snapshot-id"), "1234567890123456789");
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "parent-snapshot-id"), "null");
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "sequence-number"), "6");
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "format-version"), "2");
  cr_assert_str_eq(rd.schema->name, "manifest_file");
  const fl_avro_schema *parts =
      fl_avro_schema_nonnull(rd.schema->fields[fl_avro_schema_field(rd.schema, 507, NULL)].type);
  cr_assert_eq(parts->element_id, 508);
  cr_assert_str_eq(parts->items->name, "r508");
  fl_avro_reader_close(&rd);
  fl_free(data);

  fl_manifest_file *got;
  uint32_t n;
  cr_assert_eq(fl_manifest_list_read(path, &a, &got, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 2);
  cr_assert_str_eq(got[0].manifest_path, mf[0].manifest_path);
  cr_assert_eq(got[0].manifest_length, mf[0].manifest_length);
  cr_assert_eq(got[0].partition_spec_id, 7);
  cr_assert_eq(got[0].content, 0);
  cr_assert_eq(got[0].sequence_number, 6);
  cr_assert_eq(got[0].min_sequence_number, 4);
  cr_assert_eq(got[0].added_snapshot_id, 1234567890123456789LL);
  cr_assert_eq(got[0].added_files_count, 2);
  cr_assert_eq(got[0].existing_files_count, 1);
  cr_assert_eq(got[0].deleted_files_count, 0);
  cr_assert_eq(got[0].added_rows_count, 30);
  cr_assert_eq(got[0].existing_rows_count, 30);
  cr_assert_eq(got[0].npartitions, 2);
  cr_assert(got[0].partitions[1].contains_null);
  cr_assert_eq(got[0].partitions[1].upper_len, 4);
  cr_assert(memcmp(got[0].partitions[1].upper, "zeta", 4) == 0);
  cr_assert(memcmp(got[0].partitions[0].lower, mf[0].partitions[0].lower, 4) == 0);
  cr_assert_str_eq(got[1].manifest_path, "file:///w/t/metadata/old-m0.avro");
  cr_assert_eq(got[1].content, 1);
  cr_assert_eq(got[1].deleted_files_count, 3);
  cr_assert_eq(got[1].deleted_rows_count, 30);
  cr_assert_eq(got[1].npartitions, 0);
  /* with a parent */
  cr_assert_eq(fl_manifest_list_write(path_in(&a, "snap-2.avro"), 2, 1, 7, mf, 1, &err), FL_OK);
  open_raw(path_in(&a, "snap-2.avro"), &data, &rd);
  cr_assert_str_eq(fl_avro_reader_meta(&rd, "parent-snapshot-id"), "1");
  fl_avro_reader_close(&rd);
  fl_free(data);
  fl_arena_destroy(&a);
}

/* A manifest as another engine might write it: fields in another order, no field
 * ids (names only), a v1 leftover (block_size_in_bytes), an unknown field, int-keyed
 * maps, timestamp partition, null codec. */
Test(manifest, foreign_manifest_is_read_by_name) {
  const char *schema =
      "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
      "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
      "{\"name\":\"file_path\",\"type\":\"string\"},"
      "{\"name\":\"file_format\",\"type\":\"string\"},"
      "{\"name\":\"partition\",\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":["
      "{\"name\":\"ts_hour\",\"type\":[\"null\",\"int\"],\"field-id\":1000},"
      "{\"name\":\"ts\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}]}]}},"
      "{\"name\":\"record_count\",\"type\":\"long\"},"
      "{\"name\":\"file_size_in_bytes\",\"type\":\"long\"},"
      "{\"name\":\"block_size_in_bytes\",\"type\":\"long\"},"
      "{\"name\":\"null_value_counts\",\"type\":[\"null\",{\"type\":\"array\",\"logicalType\":\"map\","
      "\"items\":"
      "{\"type\":\"record\",\"name\":\"k121_v122\",\"fields\":[{\"name\":\"key\",\"type\":\"int\"},"
      "{\"name\":\"value\",\"type\":\"long\"}]}}]},"
      "{\"name\":\"future\",\"type\":{\"type\":\"map\",\"values\":\"string\"}}"
      "]}},"
      "{\"name\":\"status\",\"type\":\"int\"},"
      "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"]}]}";
  fl_avro_writer w;
  fl_avro_writer_init(&w, schema, NULL, 0, FL_AVRO_CODEC_NULL);
  fl_buf *b = fl_avro_writer_buf(&w);
  fl_avro_put_string(b, "s3://bucket/t/data/x.parquet");
  fl_avro_put_string(b, "parquet");
  fl_avro_put_union(b, 1);
  fl_avro_put_int(b, 420000);
  fl_avro_put_union(b, 1);
  fl_avro_put_long(b, 1512000000000000LL);
  fl_avro_put_long(b, 42);
  fl_avro_put_long(b, 4242);
  fl_avro_put_long(b, 67108864);
  fl_avro_put_union(b, 1);
  fl_avro_put_block(b, 1);
  fl_avro_put_int(b, 3);
  fl_avro_put_long(b, 7);
  fl_avro_put_end(b);
  fl_avro_put_block(b, 1);
  fl_avro_put_string(b, "k");
  fl_avro_put_string(b, "v");
  fl_avro_put_end(b);
  fl_avro_put_int(b, 1);
  fl_avro_put_union(b, 1);
  fl_avro_put_long(b, 31);
  fl_avro_writer_record_end(&w);
  fl_avro_writer_finish(&w);
  fl_arena a;
  fl_arena_init(&a, 4096);
  fl_manifest_entry *got;
  uint32_t n;
  fl_err err;
  cr_assert_eq(fl_manifest_read_mem(w.file.data, w.file.len, "foreign.avro", &a, &got, &n, &err), FL_OK, "%s",
               err.msg);
  cr_assert_eq(n, 1);
  cr_assert_eq(got[0].status, FL_ENTRY_ADDED);
  cr_assert_eq(got[0].snapshot_id, 31);
  cr_assert_eq(got[0].sequence_number, -1);
  cr_assert_eq(got[0].file.content, FL_CONTENT_DATA);
  cr_assert_str_eq(got[0].file.file_path, "s3://bucket/t/data/x.parquet");
  cr_assert_str_eq(got[0].file.file_format, "parquet");
  cr_assert_eq(got[0].file.record_count, 42);
  cr_assert_eq(got[0].file.file_size_in_bytes, 4242);
  cr_assert_eq(got[0].file.npartition, 2);
  cr_assert_eq(got[0].file.partition[0].type.kind, FL_T_INT);
  cr_assert_eq(got[0].file.partition[0].u.i32, 420000);
  cr_assert_eq(got[0].file.partition[1].type.kind, FL_T_TIMESTAMP);
  cr_assert_eq(got[0].file.partition[1].u.i64, 1512000000000000LL);
  cr_assert_eq(got[0].file.ncols, 1);
  cr_assert_eq(got[0].file.cols[0].field_id, 3);
  cr_assert_eq(got[0].file.cols[0].null_value_count, 7);
  cr_assert_eq(got[0].file.cols[0].column_size, -1);
  cr_assert_eq(got[0].file.sort_order_id, -1);
  fl_avro_writer_free(&w);
  fl_arena_destroy(&a);
}

Test(manifest, uuid_partition_is_unsupported_not_misread) {
  const char *schema =
      "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":[{\"name\":\"status\",\"type\":\"int\"},"
      "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
      "{\"name\":\"file_path\",\"type\":\"string\"},{\"name\":\"record_count\",\"type\":\"long\"},"
      "{\"name\":\"file_size_in_bytes\",\"type\":\"long\"},"
      "{\"name\":\"partition\",\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":["
      "{\"name\":\"u\",\"type\":[\"null\",{\"type\":\"fixed\",\"name\":\"uuid_fixed\",\"size\":16,"
      "\"logicalType\":\"uuid\"}],\"field-id\":1000}]}}]}}]}";
  fl_avro_writer w;
  fl_avro_writer_init(&w, schema, NULL, 0, FL_AVRO_CODEC_NULL);
  fl_avro_writer_finish(&w);
  fl_arena a;
  fl_arena_init(&a, 4096);
  fl_manifest_entry *got;
  uint32_t n;
  fl_err err;
  cr_assert_eq(fl_manifest_read_mem(w.file.data, w.file.len, "u.avro", &a, &got, &n, &err), FL_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "u.avro") && strstr(err.msg, "uuid"), "%s", err.msg);
  fl_avro_writer_free(&w);
  fl_arena_destroy(&a);
}

Test(manifest, truncated_and_corrupted_manifests_fail_cleanly) {
  fl_arena a;
  fl_arena_init(&a, 4096);
  fixture fx;
  fixture_init(&fx);
  fl_manifest_meta meta = data_meta();
  fl_manifest_file mf;
  fl_err err;
  const char *mpath = path_in(&a, "c.avro"), *lpath = path_in(&a, "snap.avro");
  cr_assert_eq(fl_manifest_write(mpath, &meta, fx.e, 3, &a, &mf, &err), FL_OK);
  mf.sequence_number = 1;
  cr_assert_eq(fl_manifest_list_write(lpath, 1, -1, 1, &mf, 1, &err), FL_OK);
  for (int which = 0; which < 2; which++) {
    uint8_t *data;
    size_t len;
    cr_assert_eq(fl_avro_file_load(which ? lpath : mpath, &data, &len, &err), FL_OK);
    uint32_t full = which ? 1 : 3;
    fl_arena scratch;
    fl_arena_init(&scratch, 4096);
    for (size_t cut = 0; cut < len; cut++) {
      uint32_t n = 0;
      fl_code rc;
      if (which) {
        fl_manifest_file *files;
        rc = fl_manifest_list_read_mem(data, cut, "cut.avro", &scratch, &files, &n, &err);
      } else {
        fl_manifest_entry *entries;
        rc = fl_manifest_read_mem(data, cut, "cut.avro", &scratch, &entries, &n, &err);
      }
      cr_assert(rc != FL_OK || n < full, "prefix %zu read whole", cut);
      if (rc) {
        cr_assert_eq(rc, FL_ECORRUPT, "prefix %zu: %s", cut, err.msg);
        cr_assert(strstr(err.msg, "cut.avro"), "%s", err.msg);
      }
      fl_arena_reset(&scratch);
    }
    uint8_t *copy = fl_malloc(len);
    for (size_t pos = 0; pos < len; pos++) {
      for (int bit = 0; bit < 8; bit += 2) {
        memcpy(copy, data, len);
        copy[pos] ^= (uint8_t)(1u << bit);
        uint32_t n;
        if (which) {
          fl_manifest_file *files;
          (void)fl_manifest_list_read_mem(copy, len, "flip.avro", &scratch, &files, &n, &err);
        } else {
          fl_manifest_entry *entries;
          (void)fl_manifest_read_mem(copy, len, "flip.avro", &scratch, &entries, &n, &err);
        }
        fl_arena_reset(&scratch);
      }
    }
    fl_free(copy);
    fl_free(data);
    fl_arena_destroy(&scratch);
  }
  fl_arena_destroy(&a);
}

Test(manifest, bad_values_name_the_file_and_entry) {
  const char *schema =
      "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":[{\"name\":\"status\",\"type\":\"int\"},"
      "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
      "{\"name\":\"file_path\",\"type\":\"string\"},{\"name\":\"record_count\",\"type\":\"long\"},"
      "{\"name\":\"file_size_in_bytes\",\"type\":\"long\"}]}}]}";
  fl_avro_writer w;
  fl_avro_writer_init(&w, schema, NULL, 0, FL_AVRO_CODEC_DEFLATE);
  for (int i = 0; i < 2; i++) {
    fl_buf *b = fl_avro_writer_buf(&w);
    fl_avro_put_int(b, i ? 7 : 1);
    fl_avro_put_string(b, "file:///a.parquet");
    fl_avro_put_long(b, 1);
    fl_avro_put_long(b, 2);
    fl_avro_writer_record_end(&w);
  }
  fl_avro_writer_finish(&w);
  fl_arena a;
  fl_arena_init(&a, 4096);
  fl_manifest_entry *got;
  uint32_t n;
  fl_err err;
  cr_assert_eq(fl_manifest_read_mem(w.file.data, w.file.len, "m.avro", &a, &got, &n, &err), FL_ECORRUPT);
  cr_assert_str_eq(err.msg, "m.avro: entry 1: bad manifest entry status");
  cr_assert_null(got);
  cr_assert_eq(n, 0);
  /* a manifest list is not a manifest */
  fl_avro_writer_free(&w);
  fl_avro_writer_init(&w, "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":[]}", NULL, 0,
                      FL_AVRO_CODEC_NULL);
  fl_avro_writer_finish(&w);
  cr_assert_eq(fl_manifest_read_mem(w.file.data, w.file.len, "l.avro", &a, &got, &n, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, "l.avro: not a manifest"), "%s", err.msg);
  fl_avro_writer_free(&w);
  fl_arena_destroy(&a);
}

Test(manifest, write_and_read_leave_no_memory_behind) {
  fixture fx;
  fixture_init(&fx);
  fl_manifest_meta meta = data_meta();
  char path[600], lpath[600];
  snprintf(path, sizeof path, "%s/leak.avro", g_dir);
  snprintf(lpath, sizeof lpath, "%s/leak-list.avro", g_dir);
  int64_t before = fl_mem_bytes_live();
  fl_arena a;
  fl_arena_init(&a, 4096);
  fl_manifest_file mf;
  fl_err err;
  cr_assert_eq(fl_manifest_write(path, &meta, fx.e, 3, &a, &mf, &err), FL_OK);
  cr_assert_eq(fl_manifest_list_write(lpath, 1, -1, 1, &mf, 1, &err), FL_OK);
  fl_manifest_entry *got;
  fl_manifest_file *files;
  uint32_t n;
  cr_assert_eq(fl_manifest_read(path, &a, &got, &n, &err), FL_OK);
  cr_assert_eq(fl_manifest_list_read(lpath, &a, &files, &n, &err), FL_OK);
  cr_assert_eq(fl_manifest_read(lpath, &a, &got, &n, &err), FL_ECORRUPT); /* error paths free too */
  fl_arena_destroy(&a);
  cr_assert_eq(fl_mem_bytes_live(), before);
}

/* A uuid or fixed partition is refused by name: Iceberg stores those values as Avro
 * fixed, which floe does not write, and bytes would read back as binary elsewhere. */
Test(manifest, uuid_and_fixed_partitions_are_refused_on_write) {
  fl_arena a;
  fl_arena_init(&a, 4096);
  for (int k = 0; k < 2; k++) {
    fl_partition_field pf = {
        .source_id = 1, .field_id = 1000, .name = k ? "f_id" : "u_id", .transform = "identity"};
    pf.result_type.kind = k ? FL_T_FIXED : FL_T_UUID;
    pf.result_type.length = k ? 3 : 16;
    fl_manifest_meta meta = {SCHEMA_JSON, "[]", 7, &pf, 1, FL_CONTENT_DATA};
    fl_manifest_file mf;
    fl_err err;
    const char *mpath = path_in(&a, "u.avro");
    cr_assert_eq(fl_manifest_write(mpath, &meta, NULL, 0, &a, &mf, &err), FL_EUNSUPPORTED);
    cr_assert(strstr(err.msg, k ? "partition field f_id is a fixed" : "partition field u_id is a uuid"), "%s",
              err.msg);
    cr_assert_neq(access(mpath, F_OK), 0, "nothing written");
  }
  fl_arena_destroy(&a);
}
