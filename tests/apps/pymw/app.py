"""Python middleware: a BaseHTTPMiddleware subclass with arguments, a
function that answers on its own, one that replaces the response, one
that raises, one that reads the request body before the route; and the
HTTPS redirect outermost
(tests/python/test_middleware.py)."""

import json
from typing import Annotated

import msgspec

from prebake import (
    App,
    BaseHTTPMiddleware,
    Form,
    HTTPSRedirectMiddleware,
    FileResponse,
    JSONResponse,
    Request,
    Response,
    StreamingResponse,
    UploadFile,
)

app = App(max_upload_size=3 * 1024 * 1024)


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
    if request.path == "/raise":
        # The route's exception comes out of call_next, through the
        # middleware inside (Starlette's test_exception_can_be_caught).
        try:
            return await call_next(request)
        except ValueError as exc:
            return Response(f"caught {exc}", status_code=400, media_type="text/plain")
    if request.path in ("/replace", "/stream-read"):
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])
        return Response(body.upper(), status_code=201, media_type="text/plain")
    request.state.seen = True
    return await call_next(request)


@app.middleware("http")
async def peek(request: Request, call_next) -> Response:
    """Reads the body before the route does (Starlette lets a middleware
    read it and the route still gets it)."""
    if request.path == "/state":
        # Shared with the middleware inside (`gate`) and the route, as
        # Starlette's request.state.
        request.state.outer = "peek"
        response = await call_next(request)
        response.headers["X-State"] = f"{request.state.seen}/{request.state.inner}"
        return response
    if not request.path.startswith("/body/"):
        return await call_next(request)
    seen: dict[str, object] = {"length": len(request.body)}
    streamed = b"".join([chunk async for chunk in request.stream()])
    seen["streamed"] = streamed == request.body
    if request.path == "/body/json" and request.body and request.headers.get("content-type") == "application/json":
        seen["json"] = request.json()
    elif request.path == "/body/form":
        seen["form"] = [[k, v if isinstance(v, str) else v.filename] for k, v in request.form().multi_items()]
    response = await call_next(request)
    response.headers["X-Seen"] = json.dumps(seen, sort_keys=True)
    return response


app.add_middleware(HTTPSRedirectMiddleware)


class Item(msgspec.Struct):
    name: str
    price: float


@app.post("/body/json")
def body_json(item: Item) -> Item:
    return item


@app.post("/body/form")
def body_form(name: Annotated[str, Form()], tags: Annotated[list[str], Form()] = []) -> dict[str, object]:
    return {"name": name, "tags": tags}


@app.post("/body/raw")
def body_raw(request: Request) -> int:
    return len(request.body)


@app.post("/body/none")
def body_none() -> str:
    return "ok"


@app.post("/body/upload")
async def body_upload(file: UploadFile) -> int:
    return len(await file.read())


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


@app.get("/state")
def state(request: Request) -> dict[str, object]:
    request.state.inner = "route"
    return {"seen": request.state.seen, "outer": request.state.outer}


@app.get("/raise")
def raises(kind: str = "value") -> str:
    if kind == "value":
        raise ValueError("TEST")
    raise KeyError("not caught")


@app.get("/stream")
def stream() -> StreamingResponse:
    return StreamingResponse((f"part{i};" for i in range(3)), media_type="text/plain")


@app.get("/file")
def file() -> FileResponse:
    return FileResponse("app.py")


@app.get("/stream-read")
def stream_read() -> StreamingResponse:
    return StreamingResponse(iter([b"a", "b", b"c"]))


class StrictLogin(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    tags: list[str] = []


@app.post("/body/strict-form")
def strict_form(data: Annotated[StrictLogin, Form()]) -> StrictLogin:
    """A form model that forbids fields it does not declare (FastAPI's
    `extra="forbid"`)."""
    return data
