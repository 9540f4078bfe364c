/* limits: every bound floe enforces, with the reason for its number.
 * Parsers of untrusted input check these; tests exercise each edge. */
#ifndef FL_CORE_LIMITS_H
#define FL_CORE_LIMITS_H

/* Rows in one columnar batch: 4096 keeps a batch of the orders schema (~10 columns)
 * within L2 for the executor, and amortises per-batch overhead to noise. */
#define FL_BATCH_ROWS 4096

/* Columns in a table: far above any real stream; bounds Parquet footer parsing. */
#define FL_COLUMNS_MAX 4096

/* Parquet: a footer over 64 MiB means a corrupt length (ours are KiBs). */
#define FL_PARQUET_FOOTER_MAX (64u << 20)
/* Parquet: a page over 1 GiB uncompressed is corrupt (we write ~1 MiB pages). */
#define FL_PARQUET_PAGE_MAX (1u << 30)
/* Parquet: Thrift nesting deeper than 32 is corrupt (FileMetaData needs 6). */
#define FL_THRIFT_DEPTH_MAX 32
/* Parquet writer defaults: Java's (parquet-mr) sizes, which engines are tuned for. */
#define FL_PARQUET_PAGE_BYTES (1u << 20)
#define FL_PARQUET_ROW_GROUP_BYTES (128u << 20)
/* Rows per data page at most (Iceberg's write.parquet.page-row-limit; parquet-mr's is
 * 20,000): pages small enough that the page index lets a selective filter skip most of
 * a column chunk. Measured on the query bench's 10M-row orders table (callgrind
 * instructions; format/README.md): the point filter 176.0M at 20,000, 103.6M at
 * 10,000, 67.3M at 5,000; a two-column scan of every row +0.4%, +0.8%, +3.2% over
 * pages of 64 Ki values; the files' bytes -0.1%, 0.0%, +0.3%. */
#define FL_PARQUET_PAGE_ROWS 10000u
/* Dictionary encoding falls back to PLAIN past 1 MiB of distinct values (parquet-mr). */
#define FL_PARQUET_DICT_BYTES_MAX (1u << 20)

/* Nesting of an Iceberg struct/list/map type (a table written elsewhere): 16 levels is
 * far beyond real schemas (Spark's deepest are ~5) and bounds the recursion of the
 * metadata parser and of the Parquet level assembly. */
#define FL_NESTED_DEPTH_MAX 16
/* Level entries (values and nulls) of one nested column chunk that the reader decodes
 * at once: 64 Mi entries (~0.5 GiB of levels and offsets) is above any row group a
 * writer makes (128 MiB) and bounds what a page of RLE runs can make it allocate. */
#define FL_NESTED_ENTRIES_MAX (64u << 20)

/* Iceberg fixed[L]: 64 KiB a value. Real uses are hashes and ids (16-64 bytes); the
 * bound keeps a batch of them (FL_BATCH_ROWS values) within 256 MiB. */
#define FL_FIXED_LENGTH_MAX (64u << 10)

/* Avro: a block over 256 MiB, or strings over 64 MiB, are corrupt for manifests. */
#define FL_AVRO_BLOCK_MAX (256u << 20)
#define FL_AVRO_STRING_MAX (64u << 20)
/* Avro schema nesting (manifest schemas nest 4 deep). */
#define FL_AVRO_DEPTH_MAX 32

/* Parsed metadata files (metadata JSON, manifest lists, manifests) a process keeps
 * (table/cache.c): a table of 10M rows in 1,000 files has ~2 MiB of parsed manifests, so
 * 128 MiB holds the working set of dozens of such tables; past it the least recently
 * used are dropped. */
#define FL_TABLE_CACHE_BYTES (128u << 20)

/* Iceberg: a metadata JSON over 256 MiB is corrupt (thousands of snapshots is ~MBs). */
#define FL_METADATA_JSON_MAX (256u << 20)
/* Commit retries on compare-and-swap conflict; with 2 racing writers each retry
 * succeeds with high probability, 1000 bounds pathological contention. */
#define FL_COMMIT_RETRIES_MAX 1000

/* Identifiers (namespace, table, column names): as PostgreSQL's NAMEDATALEN. */
#define FL_NAME_MAX 63
/* SQL text of one statement given on the command line or in a file. */
#define FL_SQL_TEXT_MAX (1u << 20)
/* One NDJSON line (one record): 1 MiB, far above an event, bounds a bad line. */
#define FL_JSON_LINE_MAX (1u << 20)
/* JSON nesting depth kept as text in JSON columns. */
#define FL_JSON_DEPTH_MAX 64

/* Named consumers of one log stream: each holds a retain floor, a file and a lag
 * series per partition; a few jobs read a stream, 64 bounds a runaway creator. */
#define FL_LOG_CONSUMERS_MAX 64

/* HTTP (src/http/): routes and their path segments, far above what floe registers. */
#define FL_HTTP_ROUTES_MAX 64
#define FL_HTTP_SEGMENTS_MAX 8
/* Modules keeping per-loop state (ingest, queries, metrics, dashboard, ...). */
#define FL_HTTP_LOOP_HOOKS_MAX 8
/* Open connections, all loops (limits.max_connections): each costs a socket buffer and
 * h2o state; 1024 is far above the clients of one ingest node and below the default
 * fd limit, so accept stops at the cap instead of failing with EMFILE. */
#define FL_HTTP_CONNECTIONS_MAX 1024
/* Requests handled at once on one HTTP/2 connection (limits.max_streams): h2o accepts 100
 * streams per connection; 16 keeps one client from holding 100 bodies. */
#define FL_HTTP_STREAMS_MAX 16
/* Request bytes buffered at once, all connections (limits.max_inflight_bytes): past it
 * new requests get 503 and reading pauses, so 100 clients sending 16 MiB bodies hold
 * 256 MiB, not 1.6 GB. */
#define FL_HTTP_INFLIGHT_BYTES (256ull << 20)
/* Kernel receive buffer of a connection: a read takes at most this much (the kernel
 * doubles it), so 100 connections overshoot the budget by ~50 MB, not by their 6 MiB
 * autotuned windows (600 MB); loopback and LAN throughput need no more. */
#define FL_HTTP_SOCKET_RCVBUF (256 << 10)
/* accept() failing with EMFILE/ENFILE: the listener sleeps this long instead of spinning. */
#define FL_HTTP_ACCEPT_BACKOFF_MS 100
/* Each loop checks the memory budget this often: loopback clients fill ~40 MB in 10 ms
 * past the budget before reading pauses (50 ms let 100 clients overshoot by 200 MB). */
#define FL_HTTP_SWEEP_MS 10
/* Long requests queued for the worker pool; past it 503 (a queue is not a buffer). */
#define FL_HTTP_JOBS_MAX 256

/* Ingest, per request (limits.*): what one request may cost, so a small compressed body
 * of bad lines cannot turn into gigabytes of rejects and quarantine. */
/* Rejected records one request may store (limits.max_rejects); the request is cut at the
 * next one, and the answer says from which line to resend. */
#define FL_INGEST_REJECTS_MAX 100000
/* Quarantine JSON one request may append (limits.max_quarantine_bytes), below the log's
 * 64 MiB batch limit. */
#define FL_INGEST_QUARANTINE_BYTES (32u << 20)
/* Raw text of one rejected record kept in the quarantine (limits.max_raw_bytes): a prefix
 * of 4 KiB names the record; escaped it is at most 24 KiB. raw_truncated flags the cut. */
#define FL_INGEST_RAW_BYTES 4096
/* NDJSON bodies are parsed in pieces of about this size (cut after a newline), so the
 * parser's rejects and the quarantine records of one piece bound the memory of a request. */
#define FL_INGEST_CHUNK_BYTES (512u << 10)

/* Metrics registry (core/metrics.h). 256 families is several times what floe
 * registers (about 40); a family holds at most 2048 series: labels are streams,
 * tables, partitions, routes and statuses, each bounded far below that, so the bound
 * only catches a label fed from user input by mistake (Prometheus's own advice is to
 * keep a family under a few thousand series). Histograms: Prometheus's default
 * layout has 11 buckets, ours 15; 32 leaves room. Collectors: one per subsystem. */
#define FL_METRIC_FAMILIES_MAX 256
#define FL_METRIC_SERIES_MAX 2048
#define FL_METRIC_BUCKETS_MAX 32
#define FL_METRIC_LABELS_MAX 4
#define FL_METRIC_COLLECTORS_MAX 16

/* Event log write-ahead file (src/log/wal.c): the log thread moves to the other of
 * its two files once the active one holds 64 MiB or is 1 s old. The bound is what a
 * restart replays (64 MiB: a fraction of a second of reads) and how long segment
 * bytes may stay in the page cache unsynced; 1 s keeps the background segment syncs
 * small and steady, as a database checkpoint does. */
#define FL_LOG_WAL_SWITCH_BYTES (64ull << 20)
#define FL_LOG_WAL_SWITCH_MS 1000
/* A write-ahead frame's data is one partition's batches of one group: at most the
 * log's queue (256 MiB default); a frame claiming more than 1 GiB is corrupt. */
#define FL_LOG_WAL_FRAME_MAX (1u << 30)
/* Each write-ahead file is written full of zeros to 1 MiB when created (a few ms; a
 * test or an idle log pays no more) and grown by the sync thread, while it recycles
 * the file, to twice what its last turn used (at most the switch size + 1 MiB), so a
 * busy log overwrites preallocated space and never pays an fdatasync that also writes
 * the inode (measured: 4 KiB overwrite + fdatasync p50 164-204 us, append 316-361 us). */
#define FL_LOG_WAL_PREALLOC_BYTES (1ull << 20)
/* A group commit that wrote to one partition only and at least this many bytes syncs
 * that segment itself (its bytes written once) instead of a frame (written twice):
 * below it, the frame's overwrite-fsync is the cheaper durable write. */
#define FL_LOG_WAL_DIRECT_BYTES (256u << 10)
/* How much lower the stream job's threads run than the event loops and the log thread
 * (nice increment, src/stream/job.c): measured with `make bench`, a job at the same
 * priority took half of a 2-core machine from the ingest under full load (batches of
 * 1,000: 2.09M -> 1.39M acked events/s). */
#define FL_STREAM_NICE 10
/* How much lower the HTTP worker pool (POST /v1/query and other long requests,
 * src/http/defer.c) runs than the event loops and the log thread: at the same priority,
 * 4 clients looping a group-by over 1M rows took batches of 1,000 from 1.11M to 0.67M
 * acked events/s and single posts from 48.7K to 25.2K/s (bench/query.sh, issue 15).
 * 19, the lowest, below the stream job: three alternating pairs of 5 s runs (batches of
 * 1,000 alone, then beside 4 clients looping group_tenant over 10M rows) kept 0.64, 0.60,
 * 0.59 of the rate at 10 and 0.69, 0.63, 0.84 at 19. SCHED_IDLE kept 0.72, 0.63, 0.71:
 * no better, so the queries keep a share. What is left is not the CPU's share: the
 * queries still finished 10-13 runs in 5 s beside the ingest (they run on the CPU the
 * ingest leaves idle between its syncs, and share caches and memory with it). */
#define FL_HTTP_WORKER_NICE 19
/* Threads fdatasyncing one commit's new files together (table/append.c sync_files): a
 * commit of a streaming checkpoint writes a file per partition touched, tens of them. */
#define FL_TABLE_SYNC_THREADS 4
/* The log thread starts the disk write of a segment's pages (sync_file_range) each
 * time this many new bytes have gathered, so the sync thread's fdatasync at a
 * write-ahead switch finds little left to write (log.c start_writeback). */
#define FL_LOG_WRITEBACK_BYTES (256u << 10)

/* Manifests a v1 snapshot may list inline in the metadata JSON ("manifests"). The
 * metadata file is at most FL_METADATA_JSON_MAX bytes and each entry a path of tens
 * of bytes, so this only bounds the allocation a hostile file can ask for. */
#define FL_INLINE_MANIFESTS_MAX 65536

/* Equality delete keys one scan holds in memory (table/eqdel.c): every key of every
 * live equality delete file of the snapshot is in a hash set while the scan runs, about
 * 60 bytes each at worst (a 40-byte entry holding keys up to 16 bytes, two 8-byte slots;
 * longer keys add their bytes), so 2^25 keys stay near 2 GiB. A table with more should
 * be compacted (floe compact applies and drops them). */
#define FL_EQ_DELETE_KEYS_MAX (1u << 25)

/* One deletion vector blob (format/puffin.c): a Roaring bitmap of a data file's deleted
 * positions costs at most 8 KiB per 65536 rows (bitmap containers), so 256 MiB covers a
 * file of 2^31 rows, more than any writer puts in one data file. */
#define FL_DV_BLOB_MAX (256u << 20)

#endif
