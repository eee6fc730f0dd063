"""TechEmpower's test types on psycopg 3, with `def` handlers.

The same endpoints and rules as `examples/tfb` (see its docstring), written
the way a synchronous codebase would: `def` handlers and a
`psycopg_pool.ConnectionPool` opened in the lifespan. The database
handlers say `sync_to_thread=True` (the compiler cannot see that `db()`
returns a pool, whose calls it knows block), so they run on the thread pool
(`cargo xtask routes` says so), and `/json`, `/plaintext` and
`/cached-queries` stay inline. Start the server with `--threads` at least
the pool size (`TFB_POOL_SIZE`, 16 by default), so no thread waits for a
connection.

Each round trip to the database costs a pool thread a wake-up and two GIL
hand-offs, so the pool is set up to make none that the queries do not
need: connections in autocommit mode (no `BEGIN` before the first
statement, no `COMMIT` when the connection goes back) and a check of the
handed-out connection that looks at its socket instead of sending an empty
query. `/db` makes one round trip.

The database is the one the libpq variables or `DATABASE_URL` name. A
database that went away answers 503 (and a log line) until it is back.
"""

from __future__ import annotations

import logging
import os
import random
import select
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import psycopg
import psycopg_pool

from prebake import App, Request
from prebake.responses import JSONResponse

log = logging.getLogger("tfb")

POOL_SIZE = int(os.environ.get("TFB_POOL_SIZE", "16"))
ROWS = 10_000


class World(msgspec.Struct):
    id: int
    randomNumber: int


class Fortune(msgspec.Struct):
    id: int
    message: str


class FortunesPage(msgspec.Struct):
    """What `templates/fortunes.html` renders."""

    fortunes: list[Fortune]


class Resources:
    """What the lifespan opens."""

    pool: psycopg_pool.ConnectionPool[Any] | None = None
    cache: list[World] = []


res = Resources()


def db() -> psycopg_pool.ConnectionPool[Any]:
    assert res.pool is not None, "the lifespan opens the pool"
    return res.pool


def still_open(conn: psycopg.Connection[Any]) -> None:
    """The pool's check of a connection it is about to hand out.

    A server that closed a connection while it sat idle in the pool (a
    restart, `pg_terminate_backend`) left its last message and the end of
    the stream to be read, so a readable idle connection is refused and the
    pool opens another. psycopg_pool's own `check_connection` sends an empty
    query instead: a round trip on every request, as long as the query
    itself. A connection lost without a word shows at its next statement.
    The refused connection is closed first: the pool replaces a closed
    connection, but would take an open one back and hand it out again.
    """
    if conn.closed:
        raise psycopg.OperationalError("the connection is closed")
    poll = select.poll()
    poll.register(conn.fileno(), select.POLLIN)
    if conn.broken or poll.poll(0):
        conn.close()
        raise psycopg.OperationalError("the server closed the connection")


@asynccontextmanager
async def lifespan(app: App) -> AsyncIterator[None]:
    pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(
        os.environ.get("DATABASE_URL", ""),
        min_size=POOL_SIZE,
        max_size=POOL_SIZE,
        open=False,
        # Every statement commits by itself: without it psycopg opens a
        # transaction before a handler's first statement and the pool
        # commits it when the connection comes back, two more round trips
        # per request (each a GIL hand-off and a wake-up of a pool thread).
        kwargs={"autocommit": True},
        # A connection that broke while idle is replaced, not handed out.
        check=still_open,
        timeout=5.0,
    )
    pool.open(wait=True)
    with pool.connection() as conn:
        rows = conn.execute("SELECT id, randomnumber FROM world ORDER BY id").fetchall()
    res.cache = [World(r[0], r[1]) for r in rows]
    res.pool = pool
    try:
        yield
    finally:
        pool.close()


def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database went away: 503 and a log line; the pool reconnects."""
    log.error("database unavailable on %s: %s: %s", request.url.path, type(exc).__name__, exc)
    return JSONResponse(
        {"status_code": 503, "detail": "Service Unavailable"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


app = App(
    title="TechEmpower on psycopg",
    lifespan=lifespan,
    exception_handlers={
        psycopg.OperationalError: database_unavailable,
        psycopg_pool.PoolTimeout: database_unavailable,
    },
)


def clamp(raw: str | None) -> int:
    """TechEmpower's rule: 1..500, and 1 for anything that is not an integer."""
    try:
        n = int(raw) if raw is not None else 1
    except ValueError:
        return 1
    return min(max(n, 1), 500)


SELECT = "SELECT id, randomnumber FROM world WHERE id = %s"
UPDATE = "UPDATE world SET randomnumber = %s WHERE id = %s"


@app.get("/json")
def json_hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/plaintext")
def plaintext() -> str:
    return "Hello, World!"


@app.get("/db", sync_to_thread=True)
def single_query() -> World:
    with db().connection() as conn:
        row = conn.execute(SELECT, (random.randint(1, ROWS),), prepare=True).fetchone()
    assert row is not None
    return World(row[0], row[1])


@app.get("/queries", sync_to_thread=True)
def multiple_queries(queries: str | None = None) -> list[World]:
    ids = random.sample(range(1, ROWS + 1), clamp(queries))
    worlds = []
    with db().connection() as conn:
        cur = conn.cursor()
        for i in ids:
            row = cur.execute(SELECT, (i,), prepare=True).fetchone()
            assert row is not None
            worlds.append(World(row[0], row[1]))
    return worlds


@app.get("/updates", sync_to_thread=True)
def updates(queries: str | None = None) -> list[World]:
    # Distinct ids in id order: concurrent requests lock rows in one order.
    ids = sorted(random.sample(range(1, ROWS + 1), clamp(queries)))
    worlds = []
    with db().connection() as conn:
        cur = conn.cursor()
        for i in ids:
            row = cur.execute(SELECT, (i,), prepare=True).fetchone()
            assert row is not None
            worlds.append(World(row[0], random.randint(1, ROWS)))
        # One pipelined batch: psycopg sends every UPDATE before reading.
        cur.executemany(UPDATE, [(w.randomNumber, w.id) for w in worlds])
    return worlds


@app.get("/fortunes", template="fortunes.html", sync_to_thread=True)
def fortunes() -> FortunesPage:
    """TechEmpower's fortunes: every row, one added at request time, sorted
    by message; the compiled template escapes them."""
    with db().connection() as conn:
        rows = conn.execute("SELECT id, message FROM fortune", prepare=True).fetchall()
    page = [Fortune(r[0], r[1]) for r in rows]
    page.append(Fortune(0, "Additional fortune added at request time."))
    page.sort(key=lambda f: f.message)
    return FortunesPage(page)


@app.get("/cached-queries")
def cached_queries(count: str | None = None) -> list[World]:
    cache = res.cache
    return [cache[i - 1] for i in random.sample(range(1, ROWS + 1), clamp(count))]
