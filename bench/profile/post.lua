-- POST /validate's valid body until REQUESTS answers (default 20000).
wrk.method = "POST"
wrk.body = '{"name":"Ada","age":42}'
wrk.headers["Content-Type"] = "application/json"
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "stop_after.lua")
