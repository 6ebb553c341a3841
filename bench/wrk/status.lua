-- The 23A23 status query (POST JSON) with the body in BENCH_BODY, the same for every server:
-- the sandbox checks the token in it and journals the call; the mock servers ignore it.
--   BENCH_BODY='{"transid":"…","token":"…","msisdn":"…"}' wrk -t2 -c32 -d10s -s bench/wrk/status.lua URL
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require("report")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_BODY") or "{}"

done = bench_done
