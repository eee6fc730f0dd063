-- bench/wrk/pipeline.lua's batches (DEPTH requests per write, POST
-- /validate's body with POST) until REQUESTS answers (default 20000),
-- then stop this wrk thread: callgrind.sh's pipelined mode.
--
--   REQUESTS=N wrk -s bench/profile/pipe.lua URL -- DEPTH [POST]
local limit = tonumber(os.getenv("REQUESTS") or "20000")
local n = 0
init = function(args)
  local depth = tonumber(args[1]) or 16
  if args[2] == "POST" then
    wrk.method = "POST"
    wrk.body = '{"name":"Ada","age":42}'
    wrk.headers["Content-Type"] = "application/json"
  end
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format()
  end
  batch = table.concat(r)
end

request = function()
  return batch
end

function response(status, headers, body)
  n = n + 1
  if n >= limit then
    wrk.thread:stop()
  end
end
