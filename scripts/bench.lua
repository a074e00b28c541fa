-- wrk's script for `npm run bench` (scripts/bench.ts), run with one thread per connection
-- (-t N -c N). Each thread times its own connection: the first BENCH_WARMUP_SECONDS of every
-- connection are dropped, and only what follows goes into the latencies, the count and the rate.
-- The request's method and body come from the environment, its headers from -H. The result is
-- one JSON line after wrk's own summary (which still includes the warm-up).
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
end
local warmup_us = tonumber(os.getenv("BENCH_WARMUP_SECONDS") or "1") * 1000000

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

-- Per thread, that is per connection. Globals, so that done() can read them (thread:get).
hist = {}    -- latency bucket (µs) -> responses, after this connection's warm-up
counted = 0  -- responses after the warm-up
failed = 0   -- of which status > 399
slots = {}   -- 10 ms slot of the monotonic clock -> responses: for the rate over a common window
cutoff = 0   -- monotonic µs when this connection's warm-up ends
local request_bytes, sent
local SLOT_US = 10000

function init(args)
  request_bytes = wrk.format()
  cutoff = now_us() + warmup_us
  -- wrk sets its threads up one after another: once every one has said so, the benchmark knows
  -- when the last warm-up ends (and reads the server's CPU time then).
  io.write("READY\n")
  io.flush()
end

function request()
  sent = now_us()
  return request_bytes
end

function response(status, headers, body)
  local t = now_us()
  if t < cutoff then
    return
  end
  local slot = math.floor(t / SLOT_US)
  slots[slot] = (slots[slot] or 0) + 1
  counted = counted + 1
  if status > 399 then
    failed = failed + 1
  end
  -- Exact to 1 µs below 1 ms, to 10 µs below 100 ms, to 1 ms above.
  local us = math.floor(t - sent)
  local bucket = us < 1000 and us or (us < 100000 and us - us % 10 or us - us % 1000)
  hist[bucket] = (hist[bucket] or 0) + 1
end

function done(summary, latency, requests)
  -- The rate: responses in the whole 10 ms slots from when every connection is past its warm-up
  -- until the run stopped (now, give or take the threads' joining), over that time.
  local stop_slot = math.floor(now_us() / SLOT_US) - 1
  local merged, n, errors, from_slot, in_window = {}, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    for bucket, k in pairs(thread:get("hist")) do
      merged[bucket] = (merged[bucket] or 0) + k
    end
    n = n + thread:get("counted")
    errors = errors + thread:get("failed")
    from_slot = math.max(from_slot, math.floor(thread:get("cutoff") / SLOT_US) + 1)
  end
  local last_slot = from_slot
  for _, thread in ipairs(threads) do
    for slot, k in pairs(thread:get("slots")) do
      if slot >= from_slot and slot <= stop_slot then
        in_window = in_window + k
        last_slot = math.max(last_slot, slot)
      end
    end
  end
  -- Up to the last slot with a response: wrk stops its threads a little before done() runs.
  local rate = last_slot > from_slot and in_window / ((last_slot - from_slot + 1) * SLOT_US / 1000000) or 0
  local buckets = {}
  for bucket in pairs(merged) do
    table.insert(buckets, bucket)
  end
  table.sort(buckets)
  local function percentile(p)
    local wanted, seen = math.max(1, math.ceil(n * p / 100)), 0
    for _, bucket in ipairs(buckets) do
      seen = seen + merged[bucket]
      if seen >= wanted then
        return bucket
      end
    end
    return 0
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests":%d,"rate":%.3f,"status":%d,"socket":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"allRequests":%d}\n',
    n, rate, errors, e.connect + e.read + e.write + e.timeout, percentile(50), percentile(99),
    buckets[#buckets] or 0, summary.requests))
end
