"""A test app that exercises what the examples do not: faults, async
handlers that sleep, the raw request, every parameter source, catch-all
paths, and a handler whose return value does not match its annotation."""

import asyncio
import enum
import gc
import threading
import time
from typing import Annotated, Literal

import msgspec

from prebake import App, Cookie, Header, HTTPException, Query, Request, Response

from .shapes import Color, Point

app = App(title="kitchen")

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
    raise ValueError("kaboom")


@app.get("/wrong-type")
def wrong_type() -> int:
    value: object = "not an int"
    return value  # type: ignore[return-value]


@app.get("/teapot")
def teapot() -> str:
    raise HTTPException(418, "short and stout", headers={"x-brew": "earl grey"})


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
