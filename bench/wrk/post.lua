-- bench/wrk/post.lua: wrk script for bench/ingest.sh. POSTs the same pre-generated body
-- (the file named by $FLOE_BENCH_BODY: NDJSON, 1,000 orders events or one) on every
-- request over wrk's keep-alive connections, and at the end prints one line that
-- bench/ingest.sh reads:
--   WRK requests=N duration_us=D bytes=B p50_us=X p90_us=Y p99_us=Z max_us=M
--       connect_errors=.. read_errors=.. write_errors=.. status_errors=.. timeouts=..
-- status_errors counts answers with status > 399 (wrk's own count), so only 2xx are
-- counted as acknowledged by the script that reads this line.
local path = os.getenv("FLOE_BENCH_BODY")
if not path then error("set FLOE_BENCH_BODY to the body file") end
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/x-ndjson"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
