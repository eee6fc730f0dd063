-- GET until REQUESTS answers (default 20000), then stop this wrk thread.
local limit = tonumber(os.getenv("REQUESTS") or "20000")
local n = 0
function response(status, headers, body)
  n = n + 1
  if n >= limit then
    wrk.thread:stop()
  end
end
