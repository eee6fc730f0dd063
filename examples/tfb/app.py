"""TechEmpower's test types and jero's workloads, on asyncpg.

TechEmpower (https://github.com/TechEmpower/FrameworkBenchmarks, the wiki's
"Test types" page) asks for:

- `/json`: `{"message":"Hello, World!"}`, serialised per request;
- `/plaintext`: `Hello, World!` as `text/plain`;
- `/db`: one random `World` row as `{"id":..,"randomNumber":..}`;
- `/queries?queries=N`: N rows, each fetched by its own `SELECT`; N is
  clamped to 1..500, and a missing or non-integer value means 1;
- `/updates?queries=N`: as `/queries`, then every row gets a new random
  number in 1..10000, written back (one batch of `UPDATE`s is allowed);
- `/cached-queries?count=N`: N rows from an in-process cache filled at
  start-up (the lifespan), with the same clamping.

jero's workloads add a JWT-authenticated write (`POST /movies`, HS256 token
verified in a dependency, msgspec body, 201), an outbound HTTP call
(`GET /proxy`, relayed through aiohttp to `TFB_UPSTREAM`) and an
authenticated one-row read (`GET /users/me`).

The database is the one the libpq variables (`PGHOST`, `PGPORT`, `PGUSER`,
`PGPASSWORD`, `PGDATABASE`) or `DATABASE_URL` name; `cargo xtask postgres`
starts one with the tables loaded. The pool (`TFB_POOL_SIZE` connections,
16 by default) is opened in the lifespan, so the server answers only once it
is open. A database that went away answers 503 (and a log line) until it
is back; the pool reconnects by itself.

`examples/tfb-psycopg` is the same app on psycopg 3 with `def` handlers on
the thread pool.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
import jwt
import msgspec

from prebake import App, Depends, HTTPException, Request, Response
from prebake.responses import JSONResponse
from prebake.security import HTTPAuthorizationCredentials, HTTPBearer

log = logging.getLogger("tfb")

POOL_SIZE = int(os.environ.get("TFB_POOL_SIZE", "16"))
UPSTREAM = os.environ.get("TFB_UPSTREAM", "http://127.0.0.1:8081/")
#: The HS256 key tokens are signed with (the bench and tests sign theirs).
JWT_SECRET = os.environ.get("TFB_JWT_SECRET", "prebake-tfb-secret-change-me-in-production")

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


# PostgreSQL's text cannot hold NUL: refused with the other bad input (400),
# not left for the database to fail on.
NO_NUL = "^[^\\x00]*$"


class Movie(msgspec.Struct, forbid_unknown_fields=True):
    """A movie as the client posts it."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NO_NUL)]
    year: Annotated[int, msgspec.Meta(ge=1888, le=2100)]
    genres: list[Annotated[str, msgspec.Meta(pattern=NO_NUL)]] = []


class SavedMovie(msgspec.Struct):
    id: int
    owner: int
    title: str
    year: int
    genres: list[str]


class User(msgspec.Struct):
    id: int
    name: str
    email: str


class Resources:
    """What the lifespan opens: the pool, the cache, the HTTP client."""

    pool: Any = None
    session: aiohttp.ClientSession | None = None
    cache: list[World] = []


res = Resources()


@asynccontextmanager
async def lifespan(app: App) -> AsyncIterator[None]:
    dsn = os.environ.get("DATABASE_URL")
    res.pool = await asyncpg.create_pool(dsn, min_size=POOL_SIZE, max_size=POOL_SIZE)
    async with res.pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, randomnumber FROM world ORDER BY id")
    # Index i holds the row of id i + 1.
    res.cache = [World(r[0], r[1]) for r in rows]
    res.session = aiohttp.ClientSession()
    try:
        yield
    finally:
        await res.session.close()
        await res.pool.close()


def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database went away: 503 and a log line, and the next request
    tries again (the pool reconnects)."""
    log.error("database unavailable on %s: %s: %s", request.url.path, type(exc).__name__, exc)
    return JSONResponse(
        {"status_code": 503, "detail": "Service Unavailable"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


app = App(
    title="TechEmpower on asyncpg",
    lifespan=lifespan,
    exception_handlers={
        OSError: database_unavailable,
        asyncpg.PostgresConnectionError: database_unavailable,
        asyncpg.InterfaceError: database_unavailable,
        asyncpg.CannotConnectNowError: database_unavailable,
        asyncpg.AdminShutdownError: database_unavailable,
    },
)


def clamp(raw: str | None) -> int:
    """TechEmpower's rule: 1..500, and 1 for anything that is not an integer."""
    try:
        n = int(raw) if raw is not None else 1
    except ValueError:
        return 1
    return min(max(n, 1), 500)


SELECT = "SELECT id, randomnumber FROM world WHERE id = $1"
UPDATE = "UPDATE world SET randomnumber = $2 WHERE id = $1"


@app.get("/json")
def json_hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/plaintext")
def plaintext() -> str:
    return "Hello, World!"


@app.get("/db")
async def single_query() -> World:
    row = await res.pool.fetchrow(SELECT, random.randint(1, ROWS))
    return World(row[0], row[1])


@app.get("/queries")
async def multiple_queries(queries: str | None = None) -> list[World]:
    ids = random.sample(range(1, ROWS + 1), clamp(queries))
    async with res.pool.acquire() as conn:
        statement = await conn.prepare(SELECT)
        worlds = []
        for i in ids:
            row = await statement.fetchrow(i)
            worlds.append(World(row[0], row[1]))
    return worlds


@app.get("/updates")
async def updates(queries: str | None = None) -> list[World]:
    # Distinct ids, updated in id order, so concurrent requests never wait
    # on each other's row locks in opposite orders.
    ids = sorted(random.sample(range(1, ROWS + 1), clamp(queries)))
    async with res.pool.acquire() as conn:
        statement = await conn.prepare(SELECT)
        worlds = []
        for i in ids:
            row = await statement.fetchrow(i)
            worlds.append(World(row[0], random.randint(1, ROWS)))
        await conn.executemany(UPDATE, [(w.id, w.randomNumber) for w in worlds])
    return worlds


@app.get("/fortunes", template="fortunes.html")
async def fortunes() -> FortunesPage:
    """TechEmpower's fortunes: every row, one added at request time, sorted
    by message; the compiled template escapes them."""
    rows = await res.pool.fetch("SELECT id, message FROM fortune")
    page = [Fortune(r[0], r[1]) for r in rows]
    page.append(Fortune(0, "Additional fortune added at request time."))
    page.sort(key=lambda f: f.message)
    return FortunesPage(page)


@app.get("/cached-queries")
def cached_queries(count: str | None = None) -> list[World]:
    cache = res.cache
    return [cache[i - 1] for i in random.sample(range(1, ROWS + 1), clamp(count))]


bearer = HTTPBearer()


def current_user(creds: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> int:
    """The user id of a valid HS256 bearer token (`sub`), else 401."""
    try:
        claims = jwt.decode(creds.credentials, JWT_SECRET, algorithms=["HS256"])
        return int(claims["sub"])
    except (jwt.InvalidTokenError, KeyError, ValueError):
        raise HTTPException(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"}) from None


@app.post("/movies", status_code=201)
async def create_movie(movie: Movie, owner: Annotated[int, Depends(current_user)]) -> SavedMovie:
    movie_id = await res.pool.fetchval(
        "INSERT INTO movie (owner, title, year, genres) VALUES ($1, $2, $3, $4) RETURNING id",
        owner,
        movie.title,
        movie.year,
        movie.genres,
    )
    return SavedMovie(movie_id, owner, movie.title, movie.year, movie.genres)


@app.get("/users/me")
async def me(user_id: Annotated[int, Depends(current_user)]) -> User:
    row = await res.pool.fetchrow("SELECT id, name, email FROM users WHERE id = $1", user_id)
    if row is None:
        raise HTTPException(404, "No such user")
    return User(row[0], row[1], row[2])


@app.get("/proxy")
async def proxy() -> Response:
    """The upstream's answer, relayed: its status, body and content type."""
    assert res.session is not None
    try:
        async with res.session.get(UPSTREAM) as upstream:
            body = await upstream.read()
            return Response(body, status_code=upstream.status, media_type=upstream.content_type)
    except aiohttp.ClientError as e:
        log.error("upstream %s: %s", UPSTREAM, e)
        raise HTTPException(502, "Bad Gateway") from None
