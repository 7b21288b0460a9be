-- 90 % GET /transaction (cached list), 10 % writes that invalidate it: a POST, then, on a later
-- write of the same thread, a DELETE /transaction/id of the row that POST created, so the table
-- (and the list) stays at the seeded size while every write still invalidates the cache.
dofile("tests/load/report.lua")
local json = { ["Content-Type"] = "application/json" }
local list = wrk.format("GET", "/transaction")
local create = wrk.format("POST", "/transaction", json, '{"amount":7.25,"description":"mixed"}')
local n, created = 0, {}

function request()
  n = n + 1
  if n % 10 ~= 0 then
    return list
  end
  local id = table.remove(created)
  if id then
    return wrk.format("DELETE", "/transaction/id", json, string.format('{"id":%s}', id))
  end
  return create
end

function response(status, headers, body)
  local id = status == 200 and body:find("added transaction", 1, true) and body:match('"id":(%d+)')
  if id then
    table.insert(created, id)
  end
end
