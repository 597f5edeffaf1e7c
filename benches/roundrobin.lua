-- wrk script: GET recommendations for each demand id listed in a file, in turn.
--   wrk ... -s benches/roundrobin.lua <base> -- <ids file> <start: 0 = from the first id,
--   1 = each thread from a random place>
local ids = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  if args[2] == "1" then
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
    i = math.random(#ids)
  end
end

function request()
  i = i + 1
  local id = ids[(i % #ids) + 1]
  return wrk.format("GET", "/api/v1/demands/" .. id .. "/recommendations?limit=10")
end
