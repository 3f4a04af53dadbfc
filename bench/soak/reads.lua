-- The read side of bench/soak.sh, a wrk script:
--
--   wrk ... -s bench/soak/reads.lua URL -- READS.TSV
--
-- Cycles through the read targets (READS.TSV: Accept, Accept-Encoding or -, target), each thread
-- from another place; counts the statuses; done() prints what bench/soak/report.py reads.
local threads = {}
local reqs = {}
local next_req = 0
counts = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local accept, enc, target = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    local h = { ["Accept"] = accept }
    if enc ~= "-" then h["Accept-Encoding"] = enc end
    reqs[#reqs + 1] = wrk.format("GET", target, h)
  end
  next_req = (id * 7) % #reqs
end

function request()
  next_req = next_req % #reqs + 1
  return reqs[next_req]
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("counts")) do total[code] = (total[code] or 0) + n end
  end
  for code, n in pairs(total) do io.write(string.format("status %d %d\n", code, n)) end
  local e = summary.errors
  io.write(string.format("requests %d\nduration_us %d\n", summary.requests, summary.duration))
  io.write(string.format("errors connect %d read %d write %d timeout %d\n", e.connect, e.read, e.write, e.timeout))
  io.write(string.format("latency p50 %d p99 %d max %d\n", latency:percentile(50), latency:percentile(99), latency.max))
end
