"""The application model end to end: dependencies (plain, nested, cached,
`yield` with teardown, classes, security), routers across three modules,
lifespan state, exception handlers, background tasks and the `Response`
parameter.

The same source runs under FastAPI (tests put a `prebake` shim that
re-exports FastAPI's names first on the path), so both servers can be asked
the same requests: models are dataclasses, which both accept.
"""

import os
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, AsyncIterator

from prebake import App, BackgroundTasks, Depends, Header, HTTPException, Request, Response
from prebake.responses import JSONResponse

import deps
from deps import EVENTS, Counter, Paginator, counted, record
from routers import api


@asynccontextmanager
async def lifespan(app: App) -> AsyncIterator[dict[str, str]]:
    # The process-level tests read these lines from the server's log.
    print(f"lifespan start {os.getpid()}", file=sys.stderr, flush=True)
    if os.environ.get("DEPENDS_FAIL_LIFESPAN"):
        raise RuntimeError("the database is unreachable")
    EVENTS.append("lifespan start")
    yield {"greeting": "hello from the lifespan"}
    EVENTS.append("lifespan stop")
    print(f"lifespan stop {os.getpid()}", file=sys.stderr, flush=True)


class TeapotError(Exception):
    """An app-specific error with its own handler."""

    def __init__(self, what: str) -> None:
        self.what = what


def teapot(request: Request, exc: TeapotError) -> JSONResponse:
    return JSONResponse({"teapot": exc.what, "path": request.url.path}, status_code=418)


app = App(title="depends", lifespan=lifespan, exception_handlers={TeapotError: teapot})
app.include_router(api, prefix="/api")


@dataclass
class Item:
    name: str
    owner: str


@app.get("/events")
def events() -> list[str]:
    """What happened so far (and forget it)."""
    out = list(EVENTS)
    EVENTS.clear()
    return out


@app.get("/greeting")
def greeting(request: Request) -> dict[str, str]:
    return {"greeting": request.state.greeting}


@app.get("/me")
def me(user: Annotated[str, Depends(deps.current_user)]) -> dict[str, str]:
    return {"user": user}


@app.get("/cached")
def cached(
    a: Annotated[int, Depends(counted)],
    b: Annotated[int, Depends(counted)],
    c: Annotated[int, Depends(counted, use_cache=False)],
) -> list[int]:
    return [a, b, c]


@app.get("/page")
def page(p: Annotated[Paginator, Depends()]) -> dict[str, int]:
    return {"limit": p.limit, "offset": p.offset}


@app.get("/db")
def db(conn: Annotated[str, Depends(deps.get_db)]) -> dict[str, str]:
    record("handler")
    return {"conn": conn}


@app.get("/db/fail")
def db_fail(conn: Annotated[str, Depends(deps.get_db)]) -> dict[str, str]:
    record("handler raises")
    raise ValueError("boom")


@app.get("/db/teapot")
def db_teapot(conn: Annotated[str, Depends(deps.get_db)]) -> dict[str, str]:
    raise KeyError("converted by the dependency")


@app.get("/db/denied")
def db_denied(
    conn: Annotated[str, Depends(deps.get_db)],
    user: Annotated[str, Depends(deps.current_user)],
) -> dict[str, str]:
    return {"conn": conn, "user": user}


@app.get("/dep/boom")
def dep_boom(value: Annotated[int, Depends(deps.broken)]) -> dict[str, int]:
    return {"value": value}


@app.get("/db/async")
async def db_async(conn: Annotated[str, Depends(deps.get_async_db)]) -> dict[str, str]:
    record("async handler")
    return {"conn": conn}


@app.get("/counter")
def counter(n: Annotated[Counter, Depends(Counter)]) -> dict[str, int]:
    return {"n": n.value}


@app.post("/items", status_code=201)
def create_item(
    item: Item,
    background: BackgroundTasks,
    response: Response,
    user: Annotated[str, Depends(deps.current_user)],
) -> Item:
    background.add_task(record, f"created {item.name}")
    response.headers["x-created-by"] = user
    response.set_cookie("last", item.name)
    return Item(name=item.name, owner=user)


@app.get("/accepted")
def accepted(response: Response) -> dict[str, str]:
    response.status_code = 202
    return {"status": "queued"}


@app.get("/teapot/{what}")
def raise_teapot(what: str) -> dict[str, str]:
    raise TeapotError(what)


@app.get("/token", dependencies=[Depends(deps.verify_key)])
def token(creds: Annotated[str, Depends(deps.bearer_token)]) -> dict[str, str]:
    return {"token": creds}


@app.get("/header-dep")
def header_dep(
    tag: Annotated[str, Depends(deps.tag_of)],
    x_tag: Annotated[str, Header()],
) -> dict[str, str]:
    return {"tag": tag, "x_tag": x_tag}
