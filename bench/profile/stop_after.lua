-- Stops this wrk thread once REQUESTS answers (default 20000) have come
-- back: the profiled server then handles a known number of requests.
-- Loaded by get.lua, post.lua and pipe.lua.
local limit = tonumber(os.getenv("REQUESTS") or "20000")
local n = 0
function response(status, headers, body)
  n = n + 1
  if n >= limit then
    wrk.thread:stop()
  end
end
