/* parquet_wire: Parquet's codes as stored on disk (parquet.thrift), kept apart from
 * floe's in-memory enums (fl_type_kind, fl_codec). These numbers are the file format:
 * never renumber them. Thrift field ids of the structs floe reads and writes are
 * listed in REFERENCE/iceberg_parquet.md §5 and used as literals next to a comment
 * naming the field in parquet_write.c / parquet_read.c.
 *
 * File layout:
 *
 *   offset          bytes  content
 *   0               4      "PAR1"
 *   4               ...    column chunks: [dictionary page] data pages, each page =
 *                          Thrift PageHeader + body (compressed)
 *   len-8-F         F      FileMetaData (Thrift compact)
 *   len-8           4      F, little-endian u32
 *   len-4           4      "PAR1"
 *
 *   v1 data page body (compressed as a whole):
 *     [def levels: u32 LE byte length + RLE/bit-packed hybrid, optional columns only]
 *     [values: PLAIN, or 1 byte bit width + hybrid dictionary indices]
 */
#ifndef FL_FORMAT_PARQUET_WIRE_H
#define FL_FORMAT_PARQUET_WIRE_H

#define FL_PQ_MAGIC "PAR1"
enum { FL_PQ_MAGIC_LEN = 4, FL_PQ_TAIL_LEN = 8 /* footer length + magic */ };

/* Type (physical) */
enum {
  FL_PQ_BOOLEAN = 0,
  FL_PQ_INT32 = 1,
  FL_PQ_INT64 = 2,
  FL_PQ_INT96 = 3,
  FL_PQ_FLOAT = 4,
  FL_PQ_DOUBLE = 5,
  FL_PQ_BYTE_ARRAY = 6,
  FL_PQ_FIXED_LEN_BYTE_ARRAY = 7,
};

/* FieldRepetitionType */
enum { FL_PQ_REQUIRED = 0, FL_PQ_OPTIONAL = 1, FL_PQ_REPEATED = 2 };

/* ConvertedType (legacy annotations, still read by hyparquet for DATE/DECIMAL) */
enum {
  FL_PQ_CT_UTF8 = 0,
  FL_PQ_CT_MAP = 1,
  FL_PQ_CT_MAP_KEY_VALUE = 2,
  FL_PQ_CT_LIST = 3,
  FL_PQ_CT_ENUM = 4,
  FL_PQ_CT_DECIMAL = 5,
  FL_PQ_CT_DATE = 6,
  FL_PQ_CT_TIME_MILLIS = 7,
  FL_PQ_CT_TIME_MICROS = 8,
  FL_PQ_CT_TIMESTAMP_MILLIS = 9,
  FL_PQ_CT_TIMESTAMP_MICROS = 10,
  FL_PQ_CT_UINT_8 = 11,
  FL_PQ_CT_UINT_16 = 12,
  FL_PQ_CT_UINT_32 = 13,
  FL_PQ_CT_UINT_64 = 14,
  FL_PQ_CT_INT_8 = 15,
  FL_PQ_CT_INT_16 = 16,
  FL_PQ_CT_INT_32 = 17,
  FL_PQ_CT_INT_64 = 18,
  FL_PQ_CT_JSON = 19,
  FL_PQ_CT_BSON = 20,
  FL_PQ_CT_INTERVAL = 21,
};

/* LogicalType union member ids */
enum {
  FL_PQ_LT_STRING = 1,
  FL_PQ_LT_MAP = 2,
  FL_PQ_LT_LIST = 3,
  FL_PQ_LT_ENUM = 4,
  FL_PQ_LT_DECIMAL = 5, /* {1 scale, 2 precision} */
  FL_PQ_LT_DATE = 6,
  FL_PQ_LT_TIME = 7,      /* {1 isAdjustedToUTC, 2 unit} */
  FL_PQ_LT_TIMESTAMP = 8, /* {1 isAdjustedToUTC, 2 unit} */
  FL_PQ_LT_INTEGER = 10,  /* {1 bitWidth i8, 2 isSigned} */
  FL_PQ_LT_UNKNOWN = 11,
  FL_PQ_LT_JSON = 12,
  FL_PQ_LT_BSON = 13,
  FL_PQ_LT_UUID = 14,
};
/* TimeUnit union member ids */
enum { FL_PQ_UNIT_MILLIS = 1, FL_PQ_UNIT_MICROS = 2, FL_PQ_UNIT_NANOS = 3 };

/* Encoding */
enum {
  FL_PQ_ENC_PLAIN = 0,
  FL_PQ_ENC_PLAIN_DICTIONARY = 2,
  FL_PQ_ENC_RLE = 3,
  FL_PQ_ENC_BIT_PACKED = 4,
  FL_PQ_ENC_DELTA_BINARY_PACKED = 5,
  FL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
  FL_PQ_ENC_DELTA_BYTE_ARRAY = 7,
  FL_PQ_ENC_RLE_DICTIONARY = 8,
  FL_PQ_ENC_BYTE_STREAM_SPLIT = 9,
};

/* CompressionCodec */
enum {
  FL_PQ_CODEC_UNCOMPRESSED = 0,
  FL_PQ_CODEC_SNAPPY = 1,
  FL_PQ_CODEC_GZIP = 2,
  FL_PQ_CODEC_LZO = 3,
  FL_PQ_CODEC_BROTLI = 4,
  FL_PQ_CODEC_LZ4 = 5,
  FL_PQ_CODEC_ZSTD = 6,
  FL_PQ_CODEC_LZ4_RAW = 7,
};

/* PageType */
enum {
  FL_PQ_PAGE_DATA = 0,
  FL_PQ_PAGE_INDEX = 1,
  FL_PQ_PAGE_DICTIONARY = 2,
  FL_PQ_PAGE_DATA_V2 = 3,
};

#endif
