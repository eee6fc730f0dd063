-- bench/wrk/pipeline.lua's batches (DEPTH requests per write, POST
-- /validate's body with POST) until REQUESTS answers (default 20000),
-- then stop this wrk thread: callgrind.sh's pipelined mode.
--
--   REQUESTS=N wrk -s bench/profile/pipe.lua URL -- DEPTH [POST]
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "../wrk/pipeline.lua")
dofile(here .. "stop_after.lua")
