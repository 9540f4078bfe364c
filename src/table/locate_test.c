/* Tests of reading tables written elsewhere (locate.c, metadata.c): v1 metadata (the
 * old "schema" / "partition-spec" keys, no current-schema-id, inline manifests), gzip
 * metadata files, the name mapping property, object-store URIs. The rows of such
 * tables are compared with an independent reader by tests/interop/0010 and 0011. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "table/table_int.h"

static const char v1_doc[] =
    "{\"format-version\":1,\"table-uuid\":\"8f3adae2-03ef-4e06-9f33-663ab7adcc41\","
    "\"location\":\"/elsewhere/t\",\"last-updated-ms\":1,\"last-column-id\":3,"
    "\"schema\":{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":2,\"name\":\"category\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"amount\",\"required\":false,\"type\":\"long\"}]},"
    "\"partition-spec\":[{\"name\":\"category\",\"transform\":\"identity\",\"source-id\":2,\"field-id\":1000}"
    "],"
    "\"properties\":{},\"current-snapshot-id\":2456114553637229296,"
    "\"snapshots\":[{\"snapshot-id\":2456114553637229296,\"timestamp-ms\":1,"
    "\"summary\":{\"operation\":\"append\"},"
    "\"manifests\":[\"/elsewhere/t/metadata/a-m0.avro\",\"/elsewhere/t/metadata/b-m0.avro\"]}]}";

static void check_v1(const fl_tmeta *m) {
  cr_assert_eq(m->format_version, 1);
  cr_assert_eq(m->nschemas, 1);
  cr_assert_eq(m->schema->nfields, 3);
  cr_assert_str_eq(m->schema->fields[1].name, "category");
  cr_assert_eq(m->schema->fields[2].type.kind, FL_T_BIGINT);
  cr_assert_eq(m->nspecs, 1);
  cr_assert_eq(m->spec->spec_id, 0);
  cr_assert_eq(m->spec->nfields, 1);
  cr_assert_eq(m->spec->fields[0].source_id, 2);
  cr_assert_eq(m->spec->fields[0].field_id, 1000);
  cr_assert_eq(m->nsnapshots, 1);
  const fl_snapshot *s = &m->snapshots[0];
  cr_assert_eq(s->snapshot_id, 2456114553637229296LL);
  cr_assert_null(s->manifest_list);
  cr_assert_eq(s->nmanifests, 2);
  cr_assert_str_eq(s->manifests[1], "/elsewhere/t/metadata/b-m0.avro");
  cr_assert_eq(s->sequence_number, 0);
}

Test(locate, reads_v1_metadata_with_inline_manifests) {
  fl_tmeta *m = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_tmeta_parse(v1_doc, strlen(v1_doc), "v1.json", &m, &err), FL_OK, "%s", err.msg);
  check_v1(m);
  fl_tmeta_free(m);
}

Test(locate, v1_schemas_without_current_schema_id_take_the_schema_key) {
  /* Spark's v1 files carry "schema" and "schemas"; the current one is "schema" */
  const char *doc =
      "{\"format-version\":1,\"location\":\"/x\",\"last-column-id\":2,"
      "\"schema\":{\"type\":\"struct\",\"schema-id\":1,\"fields\":[{\"id\":2,\"name\":\"b\",\"required\":"
      "false,"
      "\"type\":\"long\"}]},"
      "\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"a\",\"required\":"
      "false,"
      "\"type\":\"int\"}]},{\"type\":\"struct\",\"schema-id\":1,\"fields\":[{\"id\":2,\"name\":\"b\","
      "\"required\":false,\"type\":\"long\"}]}],"
      "\"partition-spec\":[],\"snapshots\":[]}";
  fl_tmeta *m = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_tmeta_parse(doc, strlen(doc), "v1b.json", &m, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(m->nschemas, 2);
  cr_assert_eq(m->schema->schema_id, 1);
  cr_assert_str_eq(m->schema->fields[0].name, "b");
  cr_assert_eq(m->spec->nfields, 0);
  fl_tmeta_free(m);
}

Test(locate, a_snapshot_without_manifests_is_corrupt) {
  const char *doc =
      "{\"format-version\":1,\"location\":\"/x\",\"last-column-id\":1,"
      "\"schema\":{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"a\",\"required\":false,"
      "\"type\":\"int\"}]},\"partition-spec\":[],\"current-snapshot-id\":5,"
      "\"snapshots\":[{\"snapshot-id\":5,\"timestamp-ms\":1,\"manifests\":[7]}]}";
  fl_tmeta *m = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_tmeta_parse(doc, strlen(doc), "bad.json", &m, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, "bad.json: table metadata: snapshot manifests: not a string"), "%s", err.msg);
}

static char *tmp_path(const char *name) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/locate-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  char *path = fl_sprintf("%s/%s", dir, name);
  fl_free(dir);
  return path;
}

Test(locate, reads_gzip_metadata_files_and_bounds_what_they_inflate_to) {
  char *path = tmp_path("00001-x.gz.metadata.json");
  gzFile gz = gzopen(path, "wb");
  cr_assert(gz);
  cr_assert_eq(gzwrite(gz, v1_doc, (unsigned)strlen(v1_doc)), (int)strlen(v1_doc));
  cr_assert_eq(gzclose(gz), Z_OK);
  fl_tmeta *m = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_tmeta_read(path, &m, &err), FL_OK, "%s", err.msg);
  check_v1(m);
  fl_tmeta_free(m);

  /* a small file of zeros that inflates past the metadata limit is refused */
  char *bomb = tmp_path("bomb.gz.metadata.json");
  gz = gzopen(bomb, "wb9");
  static char zeros[1 << 16];
  for (uint32_t i = 0; i <= FL_METADATA_JSON_MAX / sizeof zeros; i++)
    cr_assert_eq(gzwrite(gz, zeros, sizeof zeros), (int)sizeof zeros);
  gzclose(gz);
  cr_assert_eq(fl_tmeta_read(bomb, &m, &err), FL_ELIMIT);
  cr_assert(strstr(err.msg, "gzip table metadata inflates past"), "%s", err.msg);

  /* a truncated gzip file is corrupt, not half-parsed */
  char *cut = tmp_path("cut.gz.metadata.json");
  FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf, in);
  fwrite(buf, 1, n / 2, out);
  fclose(in);
  fclose(out);
  cr_assert_eq(fl_tmeta_read(cut, &m, &err), FL_ECORRUPT, "%s", err.msg);
  fl_free(path);
  fl_free(bomb);
  fl_free(cut);
}

Test(locate, object_store_uris_are_refused_by_name) {
  fl_err err = {0};
  cr_assert_eq(fl_tbl_check_uri("s3://b/t/metadata/v1.metadata.json", &err), FL_EUNSUPPORTED);
  cr_assert_str_eq(err.msg, "object storage is not supported yet: s3://b/t/metadata/v1.metadata.json");
  cr_assert_eq(fl_tbl_check_uri("abfss://c@a.dfs.core.windows.net/t", &err), FL_EUNSUPPORTED);
  cr_assert_eq(fl_tbl_check_uri("file:///tmp/t/data/a.parquet", &err), FL_OK);
  cr_assert_eq(fl_tbl_check_uri("file:/tmp/t/data/a.parquet", &err), FL_OK);
  cr_assert_eq(fl_tbl_check_uri("data/a.parquet", &err), FL_OK);
}

/* A table whose metadata says it lives at /home/ci/wh/db/t, read from /data/t. */
Test(locate, uris_under_the_writers_location_map_to_where_the_table_is) {
  const char *doc =
      "{\"format-version\":2,\"location\":\"file:/home/ci/wh/db/t\",\"last-column-id\":1,"
      "\"current-schema-id\":0,\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
      "{\"id\":1,\"name\":\"a\",\"required\":false,\"type\":\"int\"}]}],"
      "\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}],"
      "\"properties\":{\"schema.name-mapping.default\":"
      "\"[{\\\"field-id\\\":1,\\\"names\\\":[\\\"a\\\",\\\"old_a\\\"]},{\\\"names\\\":[\\\"x\\\"]}]\"}}";
  fl_table tbl = {0};
  snprintf(tbl.ns, sizeof tbl.ns, "db");
  snprintf(tbl.name, sizeof tbl.name, "t");
  fl_err err = {0};
  cr_assert_eq(fl_tmeta_parse(doc, strlen(doc), "m.json", &tbl.meta, &err), FL_OK, "%s", err.msg);
  fl_tbl_locate(&tbl, "/data/t/metadata/00003-x.metadata.json");
  cr_assert_str_eq(tbl.real_dir, "/data/t");
  tbl.dir = tbl.real_dir;
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  cr_assert_str_eq(fl_tbl_path(&tbl, "file:/home/ci/wh/db/t/data/a.parquet", &arena),
                   "/data/t/data/a.parquet");
  cr_assert_str_eq(fl_tbl_path(&tbl, "file:///home/ci/wh/db/t/metadata/snap-1.avro", &arena),
                   "/data/t/metadata/snap-1.avro");
  cr_assert_str_eq(fl_tbl_path(&tbl, "/home/ci/wh/db/t/data/b.parquet", &arena), "/data/t/data/b.parquet");
  /* a sibling whose name starts like the table's is not under it */
  cr_assert_str_eq(fl_tbl_path(&tbl, "/home/ci/wh/db/t2/data/c.parquet", &arena),
                   "/home/ci/wh/db/t2/data/c.parquet");
  cr_assert_str_eq(fl_tbl_path(&tbl, "data/d.parquet", &arena), "/data/t/data/d.parquet");
  cr_assert_eq(fl_tbl_check_writable(&tbl, &err), FL_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "was written at file:/home/ci/wh/db/t and is read from /data/t"), "%s", err.msg);

  fl_name_mapping nm;
  cr_assert_eq(fl_tbl_name_mapping(&tbl, &arena, &nm, &err), FL_OK, "%s", err.msg);
  cr_assert(nm.present);
  cr_assert_eq(nm.n, 2);
  cr_assert_str_eq(nm.names[1], "old_a");
  cr_assert_eq(nm.ids[1], 1);

  /* the table where it was written: no mapping of paths */
  fl_tbl_locate(&tbl, "/home/ci/wh/db/t/metadata/00003-x.metadata.json");
  cr_assert_null(tbl.real_dir);
  tbl.dir = "/home/ci/wh/db/t";
  cr_assert_str_eq(fl_tbl_path(&tbl, "file:/home/ci/wh/db/t/data/a.parquet", &arena),
                   "/home/ci/wh/db/t/data/a.parquet");
  fl_arena_destroy(&arena);
  fl_tmeta_free(tbl.meta);
}

/* A table written on S3, its files copied here: URIs under its s3:// location are read
 * from the copy; other object-store URIs are still refused. */
Test(locate, a_copy_of_an_object_store_table_reads_from_the_copy) {
  const char *doc =
      "{\"format-version\":2,\"location\":\"s3a://bucket/java/bunnies\",\"last-column-id\":1,"
      "\"current-schema-id\":0,\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
      "{\"id\":1,\"name\":\"a\",\"required\":false,\"type\":\"int\"}]}],"
      "\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}]}";
  fl_table tbl = {0};
  fl_err err = {0};
  cr_assert_eq(fl_tmeta_parse(doc, strlen(doc), "m.json", &tbl.meta, &err), FL_OK, "%s", err.msg);
  fl_tbl_locate(&tbl, "/copy/bunnies/metadata/v5.metadata.json");
  cr_assert_str_eq(tbl.real_dir, "/copy/bunnies");
  fl_arena arena;
  fl_arena_init(&arena, 4096);
  cr_assert_eq(fl_tbl_check_path(&tbl, "s3a://bucket/java/bunnies/data/x.parquet", &err), FL_OK);
  cr_assert_str_eq(fl_tbl_path(&tbl, "s3a://bucket/java/bunnies/data/x.parquet", &arena),
                   "/copy/bunnies/data/x.parquet");
  cr_assert_eq(fl_tbl_check_path(&tbl, "s3a://bucket/java/other/data/x.parquet", &err), FL_EUNSUPPORTED);
  cr_assert_str_eq(err.msg, "object storage is not supported yet: s3a://bucket/java/other/data/x.parquet");
  fl_free(tbl.real_dir);
  fl_arena_destroy(&arena);
  fl_tmeta_free(tbl.meta);
}

Test(locate, a_bad_name_mapping_is_refused_naming_the_table) {
  static const char *bad[] = {
      "{\"a\":1}",
      "[{\"field-id\":1,\"names\":[\"a\"]},{\"field-id\":2,\"names\":[\"a\"]}]",
      "[{\"field-id\":-3,\"names\":[\"a\"]}]",
      "not json",
  };
  static const char *want[] = {"is not a JSON list", "maps the name a twice", "entry 0 has a bad field-id",
                               "is not a JSON list"};
  for (uint32_t i = 0; i < 4; i++) {
    json_t *root = json_pack("{s:i,s:s,s:i,s:i,s:[{s:i,s:[{s:i,s:s,s:b,s:s}]}],s:i,s:[{s:i,s:[]}],s:{s:s}}",
                             "format-version", 2, "location", "/t", "last-column-id", 1, "current-schema-id",
                             0, "schemas", "schema-id", 0, "fields", "id", 1, "name", "a", "required", 0,
                             "type", "int", "default-spec-id", 0, "partition-specs", "spec-id", 0, "fields",
                             "properties", "schema.name-mapping.default", bad[i]);
    cr_assert(root);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    fl_table tbl = {0};
    snprintf(tbl.ns, sizeof tbl.ns, "db");
    snprintf(tbl.name, sizeof tbl.name, "t");
    fl_err err = {0};
    cr_assert_eq(fl_tmeta_parse(text, strlen(text), "m.json", &tbl.meta, &err), FL_OK, "%s", err.msg);
    free(text);
    fl_arena arena;
    fl_arena_init(&arena, 4096);
    fl_name_mapping nm;
    cr_assert_neq(fl_tbl_name_mapping(&tbl, &arena, &nm, &err), FL_OK, "mapping %u", i);
    cr_assert(strstr(err.msg, "table db.t: property schema.name-mapping.default"), "%s", err.msg);
    cr_assert(strstr(err.msg, want[i]), "%u: %s", i, err.msg);
    fl_arena_destroy(&arena);
    fl_tmeta_free(tbl.meta);
  }
}
