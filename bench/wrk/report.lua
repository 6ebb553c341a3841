-- Shared by the bench scripts: one machine-readable line at the end of a wrk run.
-- Latencies are wrk's (microseconds); "non2xx" counts answers with a status >= 400 as well
-- as wrk's own non-2xx/3xx count.
function bench_done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
