"""CORS open to every origin, brotli/zstd/gzip compression and trusted
hosts (tests/python/test_middleware.py)."""

from prebake import App, CompressionMiddleware, CORSMiddleware, Response, StreamingResponse, TrustedHostMiddleware

app = App()

app.add_middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_methods=["*"],
    allow_headers=["*"],
    expose_headers=["X-Total"],
)
app.add_middleware(CompressionMiddleware, minimum_size=500, exclude_paths=["/raw"])
app.add_middleware(
    TrustedHostMiddleware,
    allowed_hosts=["127.0.0.1", "localhost", "www.example.com", "*.example.org"],
)

WORDS = ["alpha", "beta", "gamma", "delta"]


@app.get("/json")
def json(n: int = 200) -> list[dict[str, object]]:
    return [{"id": i, "word": WORDS[i % 4], "ok": i % 3 == 0} for i in range(n)]


@app.get("/small")
def small() -> str:
    return "tiny"


@app.get("/raw")
def raw() -> str:
    return "r" * 2000


@app.get("/png")
def png() -> Response:
    return Response(b"\x89PNG" + b"\x00" * 2000, media_type="image/png")


@app.get("/encoded")
def encoded() -> Response:
    return Response("e" * 2000, headers={"Content-Encoding": "identity"})


@app.get("/events")
def events() -> Response:
    return Response("data: x\n\n" * 200, media_type="text/event-stream")


@app.get("/stream")
async def stream(n: int = 50) -> StreamingResponse:
    async def chunks():  # type: ignore[no-untyped-def]
        for i in range(n):
            yield f"line {i} of a streamed body\n"

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/event-stream")
def event_stream() -> StreamingResponse:
    return StreamingResponse(iter(["data: x\n\n"] * 100), media_type="text/event-stream")
