-- POST /movies for `cargo xtask bench --suite io`: a movie as JSON; the
-- bearer token comes on wrk's command line (-H "Authorization: ...").
wrk.method = "POST"
wrk.body = '{"title":"Alien","year":1979,"genres":["sf","horror"]}'
wrk.headers["Content-Type"] = "application/json"
