"""Static files and file, redirect and streaming responses (tests/files.rs,
tests/python/test_files.py).

`static/` is served plainly, `site/` in `html` mode; the large file and the
symlinks the tests need are made by the tests themselves at run time, in
`static/`'s `gen/` folder (ignored by git).
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from prebake import App, Response
from prebake.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
)
from prebake.staticfiles import StaticFiles

app = App(title="files")

HERE = Path(__file__).parent

app.mount("/static", StaticFiles(directory="static"), name="static")
app.mount("/site", StaticFiles(directory=HERE / "site", html=True), name="site")
app.mount("/maybe", StaticFiles(directory="not-there", check_dir=False))


@app.get("/static/route")
def a_route_beside_the_mount() -> str:
    return "a route wins over the mount"


@app.get("/file")
def a_file() -> Response:
    return FileResponse("static/hello.txt")


@app.get("/download")
async def download() -> Response:
    await asyncio.sleep(0)  # Suspends: the answer comes from a Task.
    return FileResponse(
        HERE / "static" / "data.json", filename="naïve data.json", headers={"x-kind": "download"}
    )


@app.get("/inline")
def inline() -> Response:
    return FileResponse(
        "static/css/site.css", filename="site.css", content_disposition_type="inline", media_type="text/x-custom"
    )


@app.get("/big")
def big() -> Response:
    return FileResponse("static/gen/big.bin")


@app.get("/missing-file")
def missing_file() -> Response:
    return FileResponse("static/nope.txt")


@app.get("/redirect")
def redirect(to: str = "/static/hello.txt", code: int = 307) -> RedirectResponse:
    return RedirectResponse(to, status_code=code)


def numbers(n: int) -> Iterator[str]:
    for i in range(n):
        yield f"{i}\n"


@app.get("/stream")
def stream(n: int = 5) -> StreamingResponse:
    return StreamingResponse(numbers(n), media_type="text/plain")


async def slow_numbers(n: int) -> AsyncIterator[bytes]:
    for i in range(n):
        await asyncio.sleep(0.01)
        yield f"{i}\n".encode()


@app.get("/astream")
async def astream(n: int = 5) -> StreamingResponse:
    await asyncio.sleep(0)
    return StreamingResponse(slow_numbers(n), media_type="application/x-ndjson", headers={"x-stream": "yes"})


def broken() -> Iterator[bytes]:
    yield b"first\n"
    raise RuntimeError("the source broke")


@app.get("/broken-stream")
def broken_stream() -> StreamingResponse:
    return StreamingResponse(broken())


@app.get("/html")
def html() -> HTMLResponse:
    return HTMLResponse("<p>hi</p>")


@app.get("/text")
def text() -> PlainTextResponse:
    return PlainTextResponse("plain", status_code=201)
