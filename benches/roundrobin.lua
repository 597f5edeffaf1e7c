-- wrk script: GET recommendations for each demand id listed in a file, in turn.
--   wrk ... -s benches/roundrobin.lua <base> -- <ids file> <start>
-- start 0: every thread from the first id; 1: each wrk thread from its own share of the
-- list (thread k of n starts k/n of the way in), so two threads cover it twice as fast.
local ids = {}
local i = 0
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  if args[2] == "1" then
    -- wrk starts threads in order; 2 threads split the list in halves.
    i = math.floor((tid or 0) * #ids / 2)
  end
end

function request()
  i = i + 1
  local id = ids[(i % #ids) + 1]
  return wrk.format("GET", "/api/v1/demands/" .. id .. "/recommendations?limit=10")
end
