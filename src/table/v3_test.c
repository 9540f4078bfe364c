/* Tests of Iceberg format v3 metadata: a v3 document with row lineage reads (the
 * lineage fields are ignored), v3 features floe does not implement are refused with
 * their names, and a v3 table takes no commits (floe writes neither row lineage nor
 * deletion vectors). Deletion vectors themselves: puffin_test (blobs) and
 * tests/interop/0020 (a table written outside floe). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "table/table_int.h"

/* A v3 document whose one field is `field` (JSON) and partition field `pfield`. */
static char *doc(const char *field, const char *pfield, const char *extra) {
  return fl_sprintf(
      "{\"format-version\":3,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\","
      "\"location\":\"file:///tmp/x\",\"last-sequence-number\":1,\"last-updated-ms\":1,"
      "\"last-column-id\":2,\"next-row-id\":100,\"current-schema-id\":0,\"schemas\":[{\"type\":\"struct\","
      "\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},%s]}],"
      "\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":[%s]}],"
      "\"last-partition-id\":1000,\"default-sort-order-id\":0,\"sort-orders\":[{\"order-id\":0,\"fields\":[]}"
      "],"
      "\"current-snapshot-id\":7,\"snapshots\":[{\"snapshot-id\":7,\"sequence-number\":1,"
      "\"timestamp-ms\":1,\"manifest-list\":\"file:///tmp/x/snap.avro\",\"first-row-id\":0,"
      "\"added-rows\":100,\"summary\":{\"operation\":\"append\"}}]%s}",
      field, pfield, extra);
}

static void refused(const char *field, const char *pfield, const char *extra, const char *name) {
  char *text = doc(field, pfield, extra);
  fl_tmeta *m = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_tmeta_parse(text, strlen(text), "v3.json", &m, &err), FL_EUNSUPPORTED, "%s", name);
  cr_assert(strstr(err.msg, name), "want %s in: %s", name, err.msg);
  cr_assert(strstr(err.msg, "v3.json"), "%s", err.msg);
  fl_free(text);
}

Test(v3, a_v3_document_with_row_lineage_reads) {
  char *text = doc("{\"id\":2,\"name\":\"v\",\"required\":false,\"type\":\"string\"}",
                   "{\"source-ids\":[2],\"field-id\":1000,\"name\":\"v\",\"transform\":\"identity\"}", "");
  fl_tmeta *m = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_tmeta_parse(text, strlen(text), "v3.json", &m, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(m->format_version, 3);
  cr_assert_eq(m->schema->nfields, 2);
  cr_assert_eq(m->spec->nfields, 1);
  cr_assert_eq(m->spec->fields[0].source_id, 2); /* from a one-element source-ids */
  cr_assert_eq(m->nsnapshots, 1);
  fl_tmeta_free(m);
  fl_free(text);
}

Test(v3, features_floe_does_not_implement_are_refused_by_name) {
  refused("{\"id\":2,\"name\":\"v\",\"required\":false,\"type\":\"variant\"}", "", "", "variant");
  refused("{\"id\":2,\"name\":\"g\",\"required\":false,\"type\":\"geometry(srid:4326)\"}", "", "",
          "geometry");
  refused("{\"id\":2,\"name\":\"g\",\"required\":false,\"type\":\"geography\"}", "", "", "geography");
  refused("{\"id\":2,\"name\":\"u\",\"required\":false,\"type\":\"unknown\"}", "", "", "unknown");
  refused("{\"id\":2,\"name\":\"d\",\"required\":false,\"type\":\"int\",\"initial-default\":5}", "", "",
          "initial-default");
  refused("{\"id\":2,\"name\":\"b\",\"required\":false,\"type\":\"long\"}",
          "{\"source-ids\":[1,2],\"field-id\":1000,\"name\":\"ab\",\"transform\":\"bucket[4]\"}", "",
          "multi-argument transform");
  refused("{\"id\":2,\"name\":\"b\",\"required\":false,\"type\":\"long\"}", "",
          ",\"encryption-keys\":[{\"key-id\":\"k\",\"encrypted-key-metadata\":\"AA==\"}]", "encrypted");
}

Test(v3, a_null_initial_default_and_a_write_default_are_fine) {
  char *text =
      doc("{\"id\":2,\"name\":\"d\",\"required\":false,\"type\":\"int\",\"initial-default\":null,"
          "\"write-default\":3}",
          "", "");
  fl_tmeta *m = NULL;
  fl_err err = {0};
  cr_assert_eq(fl_tmeta_parse(text, strlen(text), "v3.json", &m, &err), FL_OK, "%s", err.msg);
  fl_tmeta_free(m);
  fl_free(text);
}

Test(v3, timestamp_ns_columns_read_with_their_nanoseconds_and_day_and_hour_transforms) {
  fl_type t;
  cr_assert(fl_type_from_iceberg("timestamp_ns", &t));
  cr_assert_eq(t.kind, FL_T_TIMESTAMP_NS);
  cr_assert(fl_type_from_iceberg("timestamptz_ns", &t));
  cr_assert_eq(t.kind, FL_T_TIMESTAMP_NS);
  char out[FL_TS_TEXT_MAX];
  fl_ts_ns_format(1, out);
  cr_assert_str_eq(out, "1970-01-01T00:00:00.000000001Z");
  fl_ts_ns_format(-1, out);
  cr_assert_str_eq(out, "1969-12-31T23:59:59.999999999Z");
  fl_ts_ns_format(1500000000, out);
  cr_assert_str_eq(out, "1970-01-01T00:00:01.500Z");
  fl_ts_ns_format(1764000000123456789LL, out);
  cr_assert_str_eq(out, "2025-11-24T16:00:00.123456789Z");
  fl_value v = {{FL_T_TIMESTAMP_NS, 0, 0}, false, {.i64 = -1}}, r;
  fl_transform day = {FL_TR_DAY, 0}, hour = {FL_TR_HOUR, 0}, bucket = {FL_TR_BUCKET, 16};
  fl_transform_apply(day, &v, &r);
  cr_assert_eq(r.type.kind, FL_T_DATE);
  cr_assert_eq(r.u.i32, -1);
  v.u.i64 = 3600LL * 1000000000 * 25 + 7;
  fl_transform_apply(hour, &v, &r);
  cr_assert_eq(r.u.i32, 25);
  fl_transform_apply(day, &v, &r);
  cr_assert_eq(r.u.i32, 1);
  fl_type res;
  fl_err err = {0};
  cr_assert_eq(fl_transform_result_type(bucket, v.type, &res, &err), FL_ETYPE);
  /* a v3 table partitioned by day of a timestamp_ns column */
  char *text = doc("{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz_ns\"}",
                   "{\"source-id\":2,\"field-id\":1000,\"name\":\"ts_day\",\"transform\":\"day\"}", "");
  fl_tmeta *m = NULL;
  cr_assert_eq(fl_tmeta_parse(text, strlen(text), "v3.json", &m, &err), FL_OK, "%s", err.msg);
  cr_assert_eq(m->schema->fields[1].type.kind, FL_T_TIMESTAMP_NS);
  cr_assert_eq(m->spec->fields[0].result_type.kind, FL_T_DATE);
  fl_tmeta_free(m);
  fl_free(text);
  /* and a JSON value of one keeps every digit */
  fl_buf b = FL_BUF_INIT;
  v.u.i64 = 1764000000123456789LL;
  fl_value_to_json(&v, &b);
  fl_buf_cstr(&b);
  cr_assert_str_eq((char *)b.data, "\"2025-11-24T16:00:00.123456789Z\"");
  fl_buf_free(&b);
}
