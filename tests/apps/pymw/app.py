"""Python middleware: a BaseHTTPMiddleware subclass with arguments, a
function that answers on its own, one that replaces the response, one
that raises; and the HTTPS redirect outermost
(tests/python/test_middleware.py)."""

from prebake import App, BaseHTTPMiddleware, HTTPSRedirectMiddleware, JSONResponse, Request, Response

app = App()


class Header(BaseHTTPMiddleware):
    def __init__(self, app, name: str, value: str) -> None:
        super().__init__(app)
        self.name = name
        self.value = value

    async def dispatch(self, request: Request, call_next) -> Response:
        response = await call_next(request)
        response.headers[self.name] = self.value
        response.headers["X-Order"] = response.headers.get("X-Order", "") + self.value
        return response


app.add_middleware(Header, name="X-Inner", value="1")
app.add_middleware(Header, name="X-Outer", value="2")


@app.middleware("http")
async def gate(request: Request, call_next) -> Response:
    if request.path == "/blocked":
        return JSONResponse({"blocked": True}, status_code=403)
    if request.path == "/boom":
        raise RuntimeError("middleware failed")
    if request.path == "/replace":
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])
        return Response(body.upper(), status_code=201, media_type="text/plain")
    request.state.seen = True
    return await call_next(request)


app.add_middleware(HTTPSRedirectMiddleware)


@app.get("/hello")
def hello() -> str:
    return "hello"


@app.get("/replace")
def replace() -> str:
    return "quiet"


@app.get("/blocked")
def blocked() -> str:
    return "never"


@app.get("/boom")
def boom() -> str:
    return "never"


@app.get("/missing-param")
def missing(n: int) -> int:
    return n


@app.get("/slow")
async def slow() -> str:
    import asyncio

    await asyncio.sleep(0.01)
    return "slow"
