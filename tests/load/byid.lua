-- GET /transaction/id with a JSON body {"id": n}, n drawn uniformly from the ids given as
-- arguments: `-- first last`.
dofile("tests/load/report.lua")
local first, last
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  first, last = tonumber(args[1]), tonumber(args[2])
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  return wrk.format("GET", "/transaction/id", headers,
    string.format('{"id":%d}', math.random(first, last)))
end
