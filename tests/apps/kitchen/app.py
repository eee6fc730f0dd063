"""The test app of everything the examples do not exercise, one route per
behaviour: async handlers that suspend (or not), exceptions and
`HTTPException`, every return kind, every parameter source and its lax
conversion, the raw `Request`, bodies and the app's body limit, routing
precedence and catch-all paths, threads, and handlers that spin, block or
exit for the production tests.

Served in-process by the runtime's behaviour tests (`runtime/tests/kitchen.rs`,
`runtime/tests/fuzz_decoders.rs`) and, built by `cargo xtask build`, as a
process by `tests/production.rs`.
"""

import asyncio
import enum
import gc
import threading
import time
from typing import Annotated, Any, Literal, TypedDict

import msgspec

from prebake import App, Cookie, Header, HTTPException, Query, Request, Response

import shapes

from .shapes import Color, Point, Shape

# Both import styles give the same module.
assert shapes.Shape is Shape

app = App(title="kitchen", max_body_size=256, server_header="kitchen/1.0")

# A thread the app starts at import: it must keep running while the server
# waits for requests and while it serves them (the server thread holds the
# GIL while it works).
_ticks = [0]


def _tick() -> None:
    while True:
        time.sleep(0.001)
        _ticks[0] += 1


threading.Thread(target=_tick, daemon=True).start()


@app.get("/ticks")
def ticks() -> int:
    return _ticks[0]


@app.get("/gc")
def gc_state() -> dict[str, int]:
    return {"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}


def _count_slowly(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
        time.sleep(0.0001)
    return total


@app.get("/to-thread")
async def to_thread(n: int = 100) -> dict[str, int]:
    # Python code on a worker thread while the server thread serves others.
    return {"total": await asyncio.to_thread(_count_slowly, n)}


@app.get("/boom")
def boom() -> dict[str, str]:
    raise RuntimeError("kaboom")


@app.get("/async-boom")
async def async_boom() -> str:
    await asyncio.sleep(0)
    raise ValueError("late boom")


@app.get("/wrong-type")
def wrong_type() -> int:
    value: object = "not an int"
    return value  # type: ignore[return-value]


@app.get("/wrong-type/nested")
def wrong_nested_type() -> dict[str, int]:
    # Not a literal, so the compiler cannot see the mismatch (PB030 would).
    value: Any = "not an int"
    return {"a": value}


@app.get("/teapot")
def teapot() -> str:
    raise HTTPException(418, "short and stout", headers={"x-brew": "earl grey"})


@app.get("/teapot/object")
def teapot_object() -> str:
    raise HTTPException(418, {"why": "short and stout"}, headers={"x-teapot": "yes"})


@app.get("/forbidden")
async def forbidden() -> str:
    raise HTTPException(403)


@app.get("/teapot/framed")
def framed_teapot() -> str:
    # Headers that would contradict the JSON body the runtime writes.
    raise HTTPException(
        418,
        "framed",
        headers={
            "Content-Type": "application/problem+json",
            "content-length": "999",
            "x-brew": "oolong",
        },
    )


@app.get("/maybe-response")
def maybe_response(raw: bool = False) -> dict[str, int]:
    # A built Response goes out as built, whatever the annotation.
    if raw:
        return Response({"raw": [1, 2]}, status_code=203, headers={"x-raw": "1"})  # type: ignore[return-value]
    return {"raw": 0}


@app.get("/buffers/raw")
def raw_buffer(kind: str = "bytearray") -> bytes:
    # `msgspec.convert` takes a bytearray or memoryview for `bytes`.
    data = b"raw"
    return memoryview(data) if kind == "memoryview" else bytearray(data)  # type: ignore[return-value]


@app.get("/buffers/json")
def json_buffers() -> list[bytes]:
    return [memoryview(b"ab"), bytearray(b"c")]  # type: ignore[list-item]


@app.get("/sleep")
async def sleep(ms: int = 50) -> dict[str, int]:
    await asyncio.sleep(ms / 1000)
    return {"slept": ms}


@app.get("/fast-async")
async def fast_async() -> str:
    return "no suspension"


@app.get("/task")
async def task_identity(suspend: bool = True) -> dict[str, bool]:
    # asyncio's contract before the first suspension: a current Task, and
    # the same one after it; `asyncio.timeout()` works from the first line.
    first = asyncio.current_task()
    async with asyncio.timeout(5):
        if suspend:
            await asyncio.sleep(0)
    return {
        "task": isinstance(first, asyncio.Task),
        "same": asyncio.current_task() is first,
        "running": first is not None and not first.done(),
    }


@app.get("/task/timeout")
async def task_timeout(ms: int = 20) -> str:
    # A timeout entered on the fast path fires at the later await.
    try:
        async with asyncio.timeout(ms / 1000):
            await asyncio.sleep(5)
    except TimeoutError:
        return "timed out"
    return "not timed out"


@app.get("/raw")
def raw(request: Request) -> dict[str, str]:
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "agent": request.headers.get("user-agent") or "",
        "body": request.body.decode(),
    }


@app.post("/echo-bytes")
def echo_bytes(request: Request) -> bytes:
    return request.body


@app.post("/echo-bytes/json")
def echo_bytes_json(request: Request) -> dict[str, object]:
    # The body is exactly bytes, which msgspec encodes (base64), as is the URL's text.
    return {"raw": request.body, "url": str(request.url), "path": request.url.path}


@app.get("/search")
def search(
    q: str,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ratio: Annotated[float, Query(gt=0.0)] = 1.0,
    flag: bool = False,
    tags: Annotated[list[str], Query()] = [],
    ids: Annotated[list[int], Query()] = [],
    color: Color | None = None,
    mode: Literal["fast", "slow"] = "fast",
    name: Annotated[str, Query(min_length=2, max_length=5, pattern="^[a-z]+$")] = "abc",
) -> dict[str, object]:
    return {
        "q": q,
        "limit": limit,
        "ratio": ratio,
        "flag": flag,
        "tags": tags,
        "ids": ids,
        "color": color,
        "mode": mode,
        "name": name,
    }


@app.get("/headers")
def headers(
    x_token: Annotated[str, Header()],
    x_count: Annotated[int | None, Header(alias="X-Count")] = None,
    session: Annotated[str | None, Cookie()] = None,
) -> dict[str, object]:
    return {"token": x_token, "count": x_count, "session": session}


@app.get("/files/{rest:path}")
def files(rest: str) -> str:
    return rest


@app.get("/users/me")
def me() -> str:
    return "me"


@app.get("/users/{user_id}")
def user(user_id: int) -> dict[str, int]:
    return {"id": user_id}


@app.get("/orders/{order_id:int}/lines/{line:str}")
def order_line(order_id: int, line: str) -> dict[str, int | str]:
    # Litestar's typed placeholders restate the annotations.
    return {"order": order_id, "line": line}


@app.get("/words/{word}")
def word(word: str) -> str:
    return word


@app.post("/points", status_code=201)
def create_point(point: Point) -> Point:
    return point


@app.post("/points/many")
def many_points(points: list[Point]) -> int:
    return len(points)


@app.post("/points/maybe")
def maybe_point(point: Point | None = None) -> dict[str, Point | None]:
    return {"point": point}


@app.post("/points/tally")
def tally(points: list[int] = []) -> list[int]:  # noqa: B006
    # Mutates its defaults: each request must get fresh ones.
    points.append(len(points))
    return points


@app.post("/points/named")
def named(names: dict[str, int] = {}) -> dict[str, int]:  # noqa: B006
    names["seen"] = len(names)
    return names


@app.delete("/points/{point_id}")
def delete_point(point_id: int) -> None:
    return None


@app.get("/custom/server")
def custom_server() -> Response:
    # A handler's own `Server` header wins over App(server_header=...).
    return Response("mine", headers={"server": "handler/2"}, media_type="text/plain")


@app.get("/custom")
def custom() -> Response:
    return Response("custom body", status_code=202, headers={"x-custom": "yes"}, media_type="text/csv")


@app.route("/multi", methods=["GET", "PUT"])
def multi(request: Request) -> str:
    return request.method


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Mode(str, enum.Enum):
    FAST = "fast"


class Ratio(float, enum.Enum):
    HALF = 0.5


class Perm(enum.IntFlag):
    R = 4
    W = 2
    X = enum.auto()  # 8: the next power of two


class Hue(enum.Flag):
    RED = enum.auto()
    GREEN = enum.auto()


# Enum members where a plain `int`, `str` or `float` is declared: msgspec
# accepts int and str mixins (`msgspec.convert(Level.HIGH, int) == 2`) and
# encodes them as their values; it refuses float mixins for `float` and
# `bool` for `int`.


@app.get("/enums/int")
def enum_as_int() -> list[int]:
    return [Level.HIGH, 3]


@app.get("/enums/literal")
def enum_as_literal() -> list[Literal[2, "fast"]]:
    return [Level.HIGH, Mode.FAST]


class PointPatch(msgspec.Struct, forbid_unknown_fields=True):
    # A partial update: a field the client leaves out stays UNSET and is
    # left out of the answer, as msgspec does.
    x: int | msgspec.UnsetType = msgspec.UNSET
    label: str | None | msgspec.UnsetType = msgspec.UNSET


@app.patch("/points/{point_id}")
def patch_point(point_id: int, patch: PointPatch) -> PointPatch:
    return patch


@app.get("/flags")
def flags(p: Perm = Perm.R) -> dict[str, Perm]:
    # msgspec takes any int for an IntFlag.
    return {"p": p, "rw": Perm.R | Perm.W}


@app.get("/flags/hue")
def hue(hue: Hue = Hue.RED) -> Hue:
    # ...and combinations of a Flag's members, no other value.
    return hue


@app.get("/enums/float")
def enum_as_float() -> float:
    return Level.LOW


class Count(int):
    """An int subclass: `msgspec.convert` takes it as its int."""


class OnlyA(TypedDict):
    a: int


@app.get("/numbers/int-as-float")
def int_as_float() -> dict[str, float | dict[float, int]]:
    # `msgspec.convert(3, float)` is `3.0`; so is an int key of dict[float, _].
    return {"x": 3, "keys": {2: 1}}


@app.get("/numbers/int-subclass")
def int_subclass() -> tuple[int, float]:
    return (Count(7), Count(7))


@app.get("/numbers/typed-dict")
def typed_dict_extra() -> OnlyA:
    # `msgspec.convert` drops the keys a TypedDict does not declare.
    return {"a": 1, "b": 2}  # type: ignore[typeddict-unknown-key]


@app.get("/enums/keys")
def enum_keys() -> dict[str, Annotated[int, msgspec.Meta(ge=1)]]:
    return {Mode.FAST: Level.HIGH}


@app.get("/enums/bounded")
def enum_bounded() -> Annotated[int, msgspec.Meta(le=1)]:
    return Level.HIGH


@app.get("/enums/float-mixin")
def enum_float_mixin() -> float:
    return Ratio.HALF


@app.get("/enums/bool")
def bool_as_int() -> int:
    value: object = True
    return value  # type: ignore[return-value]


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


class Order(msgspec.Struct, forbid_unknown_fields=True):
    items: list[Item]
    note: str | None = None


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


@app.get("/bytes")
def raw_bytes() -> bytes:
    return b"\x00\x01"


@app.get("/things/{thing_id}")
def get_thing(thing_id: int) -> dict[str, int]:
    return {"id": thing_id}


@app.delete("/things/{thing_id}")
def delete_thing(thing_id: int) -> None:
    return None


@app.get("/custom/html")
def custom_html() -> Response:
    return Response("<b>hi</b>", status_code=202, headers={"x-custom": "1"}, media_type="text/html")


@app.get("/lookup")
def lookup(
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


# Faults and slow handlers, for the production tests (tests/production.rs).


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
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        pass
    return "spun"


@app.get("/spin-long")
def spin_long() -> str:
    """Busy for ten seconds: a route with no parameters (called without a
    decoder) that the handler timeout must interrupt all the same."""
    end = time.monotonic() + 10
    while time.monotonic() < end:
        pass
    return "spun"


@app.get("/block", sync_to_thread=False)
def block(ms: int = 100) -> str:
    """Blocks the server thread for `ms` milliseconds in one C call."""
    time.sleep(ms / 1000)
    return "blocked"


@app.post("/doc")
def doc(doc: dict[str, Any]) -> int:
    return len(doc)


@app.get("/items")
async def list_items(
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    tags: Annotated[list[str], Query()] = [],
    q: str | None = None,
    x_token: Annotated[str | None, Header(alias="x-token")] = None,
) -> list[Point]:
    # Validated parameters, then an HTTPException from an async handler
    # that never suspends.
    raise HTTPException(404, "no items")
