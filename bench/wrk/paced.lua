-- bench/wrk/paced.lua: post.lua plus pacing, for the latency figure at a given rate
-- (wrk has no -R and wrk2 is not in Debian). Each connection waits
-- $FLOE_BENCH_DELAY_MS milliseconds (wrk's delay() hook, whole milliseconds) after each
-- answer before its next request, so the rate is about
--   connections x 1000 / (delay_ms + latency_ms)
-- bench/ingest.sh picks the connection count for the target rate, measures the rate
-- reached in a short calibration run, corrects the count once, then measures.
-- Latency is wrk's: from a request's send to its answer (closed loop: a late answer
-- delays that connection's next request; no coordinated-omission correction).
dofile(os.getenv("FLOE_WRK_DIR") .. "/post.lua")
local delay_ms = tonumber(os.getenv("FLOE_BENCH_DELAY_MS") or "10")

function delay()
  return delay_ms
end
