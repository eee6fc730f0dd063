-- GET until REQUESTS answers (default 20000), then stop this wrk thread.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "stop_after.lua")
