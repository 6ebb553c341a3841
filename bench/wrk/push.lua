-- OneLink result pushes to the gateway's push receiver, each with a distinct busiSeq:
-- BENCH_TAG (distinct per run) - wrk thread - counter. regStatus "1" (registered) on one of
-- the sandbox's generated cards. Usage:
--   BENCH_TAG=r1 wrk -t2 -c32 -d10s -s bench/wrk/push.lua http://127.0.0.1:PORT/onelink/push
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require("report")

local tag = os.getenv("BENCH_TAG") or "bench"
local threads = 0
local counter = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"status":"0","message":"ok","result":[{"regStatus":"1","regMsg":"ok","busiSeq":"%s-%d-%d","msisdn":"1440%09d"}]}',
    tag, tid, counter, 1000 + counter % 100000)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end

done = bench_done
