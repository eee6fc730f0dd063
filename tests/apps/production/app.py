"""Handlers for the production end-to-end tests (tests/e2e_production.rs).

Built by the compiler like any app, then started as a process and sent bad
input, slow requests, faults and signals: the generated code and the
runtime together must answer each in the SPEC §2 shape and keep serving.
"""

import asyncio
import time
from typing import Any, cast

import msgspec

from prebake import App

app = App(title="Production", max_body_size=1024)


class Item(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    price: float


@app.get("/ok/{n}")
def ok(n: int) -> dict[str, int]:
    return {"n": n}


@app.get("/echo/{word}")
def echo(word: str) -> str:
    return word


@app.get("/q")
def query(text: str) -> str:
    return text


@app.post("/items", status_code=201)
def create_item(item: Item) -> Item:
    return item


@app.post("/doc")
def doc(doc: dict[str, Any]) -> int:
    return len(doc)


@app.get("/block")
def block(ms: int = 100) -> str:
    time.sleep(ms / 1000)
    return "blocked"


@app.get("/spin")
def spin(ms: int = 100) -> str:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        pass
    return "spun"


@app.get("/sleep")
async def sleep(ms: int = 100) -> str:
    await asyncio.sleep(ms / 1000)
    return "slept"


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("kaboom")


@app.get("/exit")
def exit_handler() -> str:
    raise SystemExit(2)


@app.get("/wrong")
def wrong() -> int:
    return cast(int, "not an int")
