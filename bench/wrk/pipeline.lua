-- wrk script for `cargo xtask bench --pipeline N`: HTTP/1.1 pipelining as
-- TechEmpower measures plaintext, N requests sent in one write, the next
-- write once all N answers are in.
--
--   wrk -s bench/wrk/pipeline.lua URL -- N [POST]
--
-- With POST, each request is POST /validate's valid body (the same as
-- post_validate.lua).
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
