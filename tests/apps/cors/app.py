"""CORS with listed origins, an origin pattern and credentials, a Python
middleware inside it, and gzip outside it (tests/python/test_middleware.py
and the browser test in tests/python/test_cors_browser.py)."""

from prebake import App, CORSMiddleware, GZipMiddleware, Request, Response
from prebake.middleware import Middleware

app = App(
    middleware=[
        Middleware(
            CORSMiddleware,
            allow_origins=["https://example.org"],
            allow_origin_regex=r"http://127\.0\.0\.1:\d+",
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["X-Custom"],
            allow_credentials=True,
            expose_headers=["X-Total"],
            max_age=300,
        )
    ]
)


@app.middleware("http")
async def stamp(request: Request, call_next) -> Response:
    response = await call_next(request)
    response.headers["X-Stamp"] = request.method
    return response


app.add_middleware(GZipMiddleware, minimum_size=100)


@app.get("/items")
def items(request: Request) -> dict[str, object]:
    return {"items": [1, 2, 3], "cookie": request.cookies.get("session")}


@app.put("/items")
def put_items(n: int = 0) -> dict[str, int]:
    return {"n": n}


@app.get("/large")
def large() -> str:
    return "x" * 1000


@app.get("/vary")
def vary() -> Response:
    return Response("hi", headers={"Vary": "Cookie"})


@app.get("/total")
def total() -> Response:
    return Response("3", headers={"X-Total": "3", "X-Hidden": "1"})
