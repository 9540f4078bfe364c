#!/usr/bin/env bash
# floe has no object storage yet: `floe register` of an s3:// (or gs://, abfs://)
# metadata location exits 1 with "object storage is not supported yet: URI" and
# registers nothing; a local metadata file whose manifest list or data files are on
# object storage outside the table's location registers, and reading it fails with the
# same message naming that URI (never "No such file or directory", never rows read from
# a wrong place). A table written on S3 and copied here (URIs under its s3:// location)
# reads from the copy.
. "$(dirname "$0")/lib.sh"

mkdir -p "$FLOE_DATA"
expect_fail 1 "object storage is not supported yet: s3://bucket/db/t/metadata/00001-a.metadata.json" \
  register db.t s3://bucket/db/t/metadata/00001-a.metadata.json
expect_fail 1 "object storage is not supported yet: gs://bucket/t/metadata/v3.metadata.json" \
  register db.t gs://bucket/t/metadata/v3.metadata.json
assert_eq "" "$("$FLOE" tables)" "tables after refused registrations"

# a table written on S3 whose metadata file was copied here
mkdir -p "$T/t/metadata"
cat >"$T/t/metadata/v1.metadata.json" <<'J'
{"format-version":2,"table-uuid":"7c1a1f64-7a4d-4bd5-a0a7-8c3f8d1b2e01","location":"s3://bucket/db/t",
 "last-sequence-number":1,"last-updated-ms":1767225600000,"last-column-id":1,"current-schema-id":0,
 "schemas":[{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"id","required":true,"type":"long"}]}],
 "default-spec-id":0,"partition-specs":[{"spec-id":0,"fields":[]}],"last-partition-id":999,
 "default-sort-order-id":0,"sort-orders":[{"order-id":0,"fields":[]}],"properties":{},
 "current-snapshot-id":42,"snapshots":[{"snapshot-id":42,"sequence-number":1,"timestamp-ms":1767225600000,
 "manifest-list":"s3://other-bucket/db/t/metadata/snap-42-1-x.avro","summary":{"operation":"append"},"schema-id":0}]}
J
floe register db.t "$T/t/metadata/v1.metadata.json" >/dev/null
expect_fail 1 "scan of db.t: object storage is not supported yet: s3://other-bucket/db/t/metadata/snap-42-1-x.avro" cat db.t

# Athena's table of the interop corpus: location s3://hyperparam-iceberg/athena/example
cp -r "$FLOE_ROOT/tests/interop/foreign/icebird_athena_example" "$T/athena"
floe register db.athena "$T/athena/metadata/00001-aaf0d033-d06b-43c7-be60-67f83abd4aca.metadata.json" >/dev/null
assert_eq 2 "$(floe cat db.athena | wc -l)" "rows of the S3 table copied here"
