/* Tests of the Iceberg metadata JSON model: what floe writes for a new table, that it
 * reads its own output back identically, and that it reads other engines' metadata. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "table/table_int.h"

static char *tmp_dir(void) {
  const char *base = getenv("FLOE_TEST_TMP");
  if (!base) base = "/tmp";
  mkdir(base, 0755);
  char *dir = fl_sprintf("%s/table-meta-XXXXXX", base);
  cr_assert(mkdtemp(dir));
  return dir;
}

static fl_field orders_fields[] = {
    {0, "event_id", {FL_T_STRING, 0, 0}, true},      {0, "tenant_id", {FL_T_STRING, 0, 0}, true},
    {0, "order_id", {FL_T_BIGINT, 0, 0}, true},      {0, "amount", {FL_T_DECIMAL, 12, 2}, false},
    {0, "event_time", {FL_T_TIMESTAMP, 0, 0}, true}, {0, "attributes", {FL_T_JSON, 0, 0}, false},
};

Test(metadata, new_table_metadata_has_every_v2_field) {
  char *dir = tmp_dir();
  fl_err err = {0};
  fl_warehouse *wh;
  cr_assert_eq(fl_warehouse_open(dir, &wh, &err), FL_OK, "%s", err.msg);
  int32_t key = 1;
  fl_schema schema = {0, 6, orders_fields, 1, &key};
  fl_partition_def parts[] = {{"event_time", "day"}, {"tenant_id", "identity"}};
  fl_sort_def sort[] = {{"order_id", NULL, false, false}};
  fl_kv props[] = {{"floe.stream", "orders"}};
  fl_table_create_opts opts = {parts, 2, sort, 1, props, 1};
  fl_table *tbl;
  cr_assert_eq(fl_table_create(wh, "bronze", "orders", &schema, &opts, &tbl, &err), FL_OK, "%s", err.msg);

  json_error_t jerr;
  json_t *root = json_loads(fl_table_metadata_json(tbl), 0, &jerr);
  cr_assert(root);
  cr_assert_eq(json_integer_value(json_object_get(root, "format-version")), 2);
  cr_assert_eq(strlen(json_string_value(json_object_get(root, "table-uuid"))), 36);
  char *loc = fl_sprintf("file://%s/warehouse/bronze/orders", dir);
  char real[4096];
  cr_assert(realpath(dir, real));
  fl_free(loc);
  loc = fl_sprintf("file://%s/warehouse/bronze/orders", real);
  cr_assert_str_eq(json_string_value(json_object_get(root, "location")), loc);
  cr_assert_eq(json_integer_value(json_object_get(root, "last-sequence-number")), 0);
  cr_assert_eq(json_integer_value(json_object_get(root, "last-column-id")), 6);
  cr_assert_eq(json_integer_value(json_object_get(root, "last-partition-id")), 1001);
  cr_assert_eq(json_integer_value(json_object_get(root, "default-sort-order-id")), 1);
  json_t *spec = json_array_get(json_object_get(root, "partition-specs"), 0);
  json_t *pf0 = json_array_get(json_object_get(spec, "fields"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(pf0, "name")), "event_time_day");
  cr_assert_eq(json_integer_value(json_object_get(pf0, "field-id")), 1000);
  cr_assert_eq(json_integer_value(json_object_get(pf0, "source-id")), 5);
  json_t *s0 = json_array_get(json_object_get(root, "schemas"), 0);
  cr_assert_eq(json_integer_value(json_array_get(json_object_get(s0, "identifier-field-ids"), 0)), 1);
  json_t *amount = json_array_get(json_object_get(s0, "fields"), 3);
  cr_assert_str_eq(json_string_value(json_object_get(amount, "type")), "decimal(12, 2)");
  json_decref(root);

  /* the typed view */
  const fl_schema *s = fl_table_schema(tbl);
  cr_assert_eq(s->nfields, 6);
  cr_assert_eq(s->fields[5].type.kind, FL_T_JSON);
  cr_assert_eq(s->fields[3].type.precision, 12);
  cr_assert_eq(s->fields[3].type.scale, 2);
  uint32_t n;
  const fl_partition_field *pf = fl_table_spec_fields(tbl, &n);
  cr_assert_eq(n, 2);
  cr_assert_eq(pf[0].result_type.kind, FL_T_DATE);
  cr_assert_eq(pf[1].result_type.kind, FL_T_STRING);
  cr_assert_str_eq(fl_table_property(tbl, "floe.stream"), "orders");
  cr_assert_null(fl_table_current_snapshot(tbl));
  const fl_sort_def *so = fl_table_sort_order(tbl, &n);
  cr_assert_eq(n, 1);
  cr_assert_str_eq(so[0].column, "order_id");

  /* round trip: parse what was written, dump, parse again: same document */
  fl_tmeta *m1, *m2;
  const char *text = fl_table_metadata_json(tbl);
  cr_assert_eq(fl_tmeta_parse(text, strlen(text), "m1", &m1, &err), FL_OK, "%s", err.msg);
  char *again = json_dumps(m1->root, JSON_COMPACT);
  cr_assert_eq(fl_tmeta_parse(again, strlen(again), "m2", &m2, &err), FL_OK, "%s", err.msg);
  cr_assert(json_equal(m1->root, m2->root));
  cr_assert_eq(m2->schema->nfields, 6);
  cr_assert_str_eq(m2->schema->fields[4].name, "event_time");
  free(again);
  fl_tmeta_free(m1);
  fl_tmeta_free(m2);

  /* catalog + load + hint */
  fl_table *t2;
  cr_assert_eq(fl_table_load(wh, "bronze", "orders", &t2, &err), FL_OK, "%s", err.msg);
  cr_assert_str_eq(fl_table_uuid(t2), fl_table_uuid(tbl));
  cr_assert_eq(fl_table_create(wh, "bronze", "orders", &schema, NULL, &tbl, &err), FL_EEXIST);
  fl_catalog_entry *entries;
  cr_assert_eq(fl_warehouse_list(wh, NULL, &entries, &n, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(n, 1);
  cr_assert_str_eq(entries[0].ns, "bronze");
  fl_catalog_entries_free(entries, n);
  fl_buf b = FL_BUF_INIT;
  fl_table_describe(t2, &b);
  fl_buf_cstr(&b);
  cr_assert(strstr((char *)b.data, "day(event_time) as event_time_day"), "%s", (char *)b.data);
  fl_buf_free(&b);
  fl_table_free(t2);
  fl_table_free(tbl);
  fl_warehouse_close(wh);
  fl_free(loc);
  fl_free(dir);
}

Test(metadata, reads_java_style_metadata) {
  const char *text =
      "{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\","
      "\"location\":\"file:///tmp/x\",\"last-sequence-number\":34,\"last-updated-ms\":1602638573590,"
      "\"last-column-id\":3,\"current-schema-id\":1,\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,"
      "\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":true,\"type\":\"long\"}]},{\"type\":\"struct\","
      "\"schema-id\":1,\"identifier-field-ids\":[1,2],\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":true,"
      "\"type\":\"long\"},{\"id\":2,\"name\":\"y\",\"required\":true,\"type\":\"long\",\"doc\":\"comment\"},"
      "{\"id\":3,\"name\":\"z\",\"required\":true,\"type\":\"long\"}]}],\"default-spec-id\":0,"
      "\"partition-specs\":[{\"spec-id\":0,\"fields\":[{\"name\":\"x\",\"transform\":\"identity\","
      "\"source-id\":1,\"field-id\":1000}]}],\"last-partition-id\":1000,\"default-sort-order-id\":3,"
      "\"sort-orders\":[{\"order-id\":3,\"fields\":[{\"transform\":\"identity\",\"source-id\":2,"
      "\"direction\":\"asc\",\"null-order\":\"nulls-first\"},{\"transform\":\"bucket[4]\",\"source-id\":3,"
      "\"direction\":\"desc\",\"null-order\":\"nulls-last\"}]}],\"properties\":{\"read.split.target.size\":"
      "\"134217728\"},\"current-snapshot-id\":3055729675574597004,\"snapshots\":[{\"snapshot-id\":"
      "3051729675574597004,\"timestamp-ms\":1515100955770,\"sequence-number\":0,\"summary\":{\"operation\":"
      "\"append\"},\"manifest-list\":\"s3://a/b/1.avro\"},{\"snapshot-id\":3055729675574597004,"
      "\"parent-snapshot-id\":3051729675574597004,\"timestamp-ms\":1555100955770,\"sequence-number\":1,"
      "\"summary\":{\"operation\":\"append\",\"added-records\":\"4\"},\"manifest-list\":\"s3://a/b/2.avro\","
      "\"schema-id\":1}],\"snapshot-log\":[{\"snapshot-id\":3051729675574597004,\"timestamp-ms\":"
      "1515100955770},{\"snapshot-id\":3055729675574597004,\"timestamp-ms\":1555100955770}],"
      "\"metadata-log\":[],\"refs\":{\"main\":{\"snapshot-id\":3055729675574597004,\"type\":\"branch\"}}}";
  fl_tmeta *m;
  fl_err err = {0};
  cr_assert_eq(fl_tmeta_parse(text, strlen(text), "java.json", &m, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(m->schema->schema_id, 1);
  cr_assert_eq(m->schema->nfields, 3);
  cr_assert_eq(m->schema->nidentifier, 2);
  cr_assert_eq(m->current_snapshot_id, 3055729675574597004LL);
  cr_assert_eq(m->nsnapshots, 2);
  cr_assert_eq(m->snapshots[1].parent_id, 3051729675574597004LL);
  cr_assert_str_eq(m->snapshots[1].operation, "append");
  cr_assert_eq(m->snapshots[1].nsummary, 1);
  cr_assert_eq(m->snapshots[0].parent_id, -1);
  cr_assert_eq(m->order->nfields, 2);
  cr_assert(m->order->defs[1].descending && m->order->defs[1].nulls_last);
  cr_assert_eq(m->spec->fields[0].result_type.kind, FL_T_BIGINT);
  cr_assert_eq(m->nsnaplog, 2);
  fl_tmeta_free(m);
}

Test(metadata, refuses_future_format_and_broken_documents) {
  fl_tmeta *m;
  fl_err err = {0};
  const char *v4 = "{\"format-version\":4,\"location\":\"x\",\"last-column-id\":1}";
  cr_assert_eq(fl_tmeta_parse(v4, strlen(v4), "v4.json", &m, &err), FL_EUNSUPPORTED);
  cr_assert(strstr(err.msg, "v4.json"), "%s", err.msg);
  cr_assert_eq(fl_tmeta_parse("{", 1, "bad.json", &m, &err), FL_EPARSE);
  const char *nosnap =
      "{\"format-version\":2,\"location\":\"x\",\"last-column-id\":1,\"current-schema-id\":0,"
      "\"schemas\":[{\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"a\",\"required\":false,"
      "\"type\":\"int\"}]}],\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}],"
      "\"current-snapshot-id\":7,\"snapshots\":[]}";
  cr_assert_eq(fl_tmeta_parse(nosnap, strlen(nosnap), "n.json", &m, &err), FL_ECORRUPT);
  cr_assert(strstr(err.msg, "current-snapshot-id"), "%s", err.msg);
}
