-- wrk script for `cargo xtask bench`: POST /validate with a valid body.
wrk.method = "POST"
wrk.body = '{"name":"Ada","age":42}'
wrk.headers["Content-Type"] = "application/json"
