-- GET the URL's path (health, list).
dofile("tests/load/report.lua")
