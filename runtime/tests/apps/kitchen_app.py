"""Everything else the runtime must get right, one route per behaviour.

Served by `runtime/examples/kitchen.rs` (through `prebake::app!`) in the
runtime's tests:
async handlers that suspend, exceptions, `HTTPException`, every return kind,
query/header/cookie conversion, `Request`, and bodies.
"""

import asyncio
import enum
from typing import Annotated, Any, Literal

import msgspec

from prebake import App, Cookie, Header, HTTPException, Query, Request, Response

import kitchen_shapes

from .kitchen_shapes import Shape

# Both import styles of SPEC §1 give the same module.
assert kitchen_shapes.Shape is Shape

app = App(title="Kitchen", max_body_size=256)


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


class Order(msgspec.Struct, forbid_unknown_fields=True):
    items: list[Item]
    note: str | None = None


@app.get("/sleep")
async def sleep(ms: int = 50) -> dict[str, int]:
    await asyncio.sleep(ms / 1000)
    return {"slept": ms}


@app.get("/fast-async")
async def fast_async() -> str:
    return "fast"


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("boom")


@app.get("/async-boom")
async def async_boom() -> str:
    await asyncio.sleep(0)
    raise ValueError("late boom")


@app.get("/teapot")
def teapot() -> str:
    raise HTTPException(418, {"why": "short and stout"}, headers={"x-teapot": "yes"})


@app.get("/forbidden")
async def forbidden() -> str:
    raise HTTPException(403)


@app.get("/wrong-type")
def wrong_type() -> dict[str, int]:
    # Not a literal, so the compiler cannot see the mismatch (PB030 would).
    value: Any = "not an int"
    return {"a": value}


@app.get("/bytes")
def raw_bytes() -> bytes:
    return b"\x00\x01"


@app.get("/things/{thing_id}")
def get_thing(thing_id: int) -> dict[str, int]:
    return {"id": thing_id}


@app.delete("/things/{thing_id}")
def delete_thing(thing_id: int) -> None:
    return None


@app.get("/custom")
def custom() -> Response:
    return Response("<b>hi</b>", status_code=202, headers={"x-custom": "1"}, media_type="text/html")


@app.get("/search")
def search(
    q: str,
    n: Annotated[int, Query(ge=1, le=10)] = 3,
    flag: bool = False,
    ratio: float | None = None,
    ids: Annotated[list[int], Query()] = [],
    x_id: Annotated[int, Header(alias="x-id")] = 0,
    session: Annotated[str | None, Cookie()] = None,
    code: Annotated[str, Query(pattern="^[a-z]+$")] = "abc",
) -> dict[str, Any]:
    return {
        "q": q,
        "n": n,
        "flag": flag,
        "ratio": ratio,
        "ids": ids,
        "x_id": x_id,
        "session": session,
        "code": code,
    }


@app.post("/orders", status_code=201)
def create_order(order: Order) -> Order:
    return order


@app.post("/echo")
def echo(request: Request) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "body": request.body.decode(),
        "ct": request.headers.get("content-type"),
    }


@app.get("/files/{rest:path}")
def files(rest: str) -> str:
    return rest


@app.get("/echo/{name}")
def echo_name(name: str) -> str:
    return name


@app.get("/unicode")
def unicode() -> dict[str, str]:
    return {"text": 'héllo "quoted"\n\t\x01 😀 \\'}


@app.get("/floats")
def floats() -> list[float]:
    return [0.1, 1e16, 1e-7, float("nan"), 3, -0.0, 1e22]


@app.get("/big")
def big(n: int) -> int:
    return n


@app.get("/maybe")
def maybe(n: int | None = None) -> int | None:
    return n


_background: list[str] = []


@app.get("/spawn")
async def spawn_background() -> str:
    # Scheduled from the fast path, run later by the event loop.
    async def work() -> None:
        await asyncio.sleep(0.01)
        _background.append("done")

    asyncio.get_running_loop().create_task(work())
    return "spawned"


@app.get("/background")
def background() -> list[str]:
    return _background


@app.get("/thread")
async def in_thread() -> str:
    # A worker thread needs the GIL while the server waits, and wakes the
    # loop through its self-pipe (call_soon_threadsafe).
    import time

    await asyncio.to_thread(time.sleep, 0.02)
    return "threaded"


class Size(enum.Enum):
    S = "s"
    L = "l"


@app.get("/pick")
def pick(
    color: Literal["red", "green"],
    size: Size = Size.S,
    sizes: Annotated[list[Size], Query()] = [],
    tag: Annotated[str | None, Header(alias="x-tag")] = None,
    seen: Annotated[int | None, Cookie()] = None,
) -> dict[str, Any]:
    return {
        "color": color,
        "size": size.value,
        "sizes": [s.value for s in sizes],
        "tag": tag,
        "seen": seen,
    }


@app.get("/shape")
def shape() -> Shape:
    return Shape(kind="circle", size=2)


# Faults and slow handlers, for the production tests
# (runtime/tests/production.rs).


@app.get("/exit")
def exit_handler() -> str:
    raise SystemExit(3)


@app.get("/interrupt")
def interrupt() -> str:
    raise KeyboardInterrupt


@app.get("/async-exit")
async def async_exit() -> str:
    await asyncio.sleep(0)
    raise SystemExit(4)


@app.get("/spin")
def spin(ms: int = 100) -> str:
    """Busy for `ms` milliseconds in pure Python (interruptible)."""
    import time

    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        pass
    return "spun"


@app.get("/block")
def block(ms: int = 100) -> str:
    """Blocks the server thread for `ms` milliseconds in one C call."""
    import time

    time.sleep(ms / 1000)
    return "blocked"




@app.post("/doc")
def doc(doc: dict[str, Any]) -> int:
    return len(doc)
