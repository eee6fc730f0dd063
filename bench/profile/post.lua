-- POST /validate's valid body until REQUESTS answers (default 20000).
wrk.method = "POST"
wrk.body = '{"name":"Ada","age":42}'
wrk.headers["Content-Type"] = "application/json"
local limit = tonumber(os.getenv("REQUESTS") or "20000")
local n = 0
function response(status, headers, body)
  n = n + 1
  if n >= limit then
    wrk.thread:stop()
  end
end
