-- POST /transaction: every request creates one row.
dofile("tests/load/report.lua")
wrk.method = "POST"
wrk.path = "/transaction"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"amount":12.5,"description":"load test"}'
