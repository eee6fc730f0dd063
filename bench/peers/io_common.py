"""What the io suite's Python peers share with each other and with
`examples/tfb`: the same asyncpg pool (`TFB_POOL_SIZE` connections, 16 by
default), the same queries (one prepared `SELECT` per row, the `UPDATE`s of
`/updates` as one `executemany`), the same clamping, the same fortunes rows, the same JWT check
(HS256 with `TFB_JWT_SECRET`, PyJWT) and the same aiohttp client for
`/proxy`. Each framework's file only routes and serialises, as its docs
recommend.
"""

import os
import random
from dataclasses import dataclass

import aiohttp
import asyncpg
import jwt

POOL_SIZE = int(os.environ.get("TFB_POOL_SIZE", "16"))
UPSTREAM = os.environ.get("TFB_UPSTREAM", "http://127.0.0.1:8081/")
JWT_SECRET = os.environ.get("TFB_JWT_SECRET", "prebake-tfb-secret")
ROWS = 10_000
SELECT = "SELECT id, randomnumber FROM world WHERE id = $1"
UPDATE = "UPDATE world SET randomnumber = $2 WHERE id = $1"


class Resources:
    pool = None
    session = None


res = Resources()


async def open_resources() -> None:
    res.pool = await asyncpg.create_pool(os.environ.get("DATABASE_URL"), min_size=POOL_SIZE, max_size=POOL_SIZE)
    res.session = aiohttp.ClientSession()


async def close_resources() -> None:
    await res.session.close()
    await res.pool.close()


def clamp(raw):
    try:
        n = int(raw) if raw is not None else 1
    except ValueError:
        return 1
    return min(max(n, 1), 500)


async def single():
    row = await res.pool.fetchrow(SELECT, random.randint(1, ROWS))
    return {"id": row[0], "randomNumber": row[1]}


async def queries(raw):
    ids = random.sample(range(1, ROWS + 1), clamp(raw))
    async with res.pool.acquire() as conn:
        statement = await conn.prepare(SELECT)
        return [{"id": r[0], "randomNumber": r[1]} for r in [await statement.fetchrow(i) for i in ids]]


async def updates(raw):
    ids = sorted(random.sample(range(1, ROWS + 1), clamp(raw)))
    async with res.pool.acquire() as conn:
        statement = await conn.prepare(SELECT)
        worlds = []
        for i in ids:
            row = await statement.fetchrow(i)
            worlds.append({"id": row[0], "randomNumber": random.randint(1, ROWS)})
        await conn.executemany(UPDATE, [(w["id"], w["randomNumber"]) for w in worlds])
    return worlds


@dataclass
class Fortune:
    id: int
    message: str


async def fortunes():
    """TechEmpower's fortunes: every row, one added at request time, sorted
    by message (each framework renders them with Jinja2)."""
    rows = await res.pool.fetch("SELECT id, message FROM fortune")
    page = [Fortune(r[0], r[1]) for r in rows]
    page.append(Fortune(0, "Additional fortune added at request time."))
    page.sort(key=lambda f: f.message)
    return page


def user_of(authorization):
    """The token's subject, or None when the header or token is not valid."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    try:
        return int(jwt.decode(authorization[7:], JWT_SECRET, algorithms=["HS256"])["sub"])
    except (jwt.InvalidTokenError, KeyError, ValueError):
        return None


async def create_movie(owner, title, year, genres):
    movie_id = await res.pool.fetchval(
        "INSERT INTO movie (owner, title, year, genres) VALUES ($1, $2, $3, $4) RETURNING id",
        owner, title, year, genres,
    )
    return {"id": movie_id, "owner": owner, "title": title, "year": year, "genres": genres}


async def me(user_id):
    row = await res.pool.fetchrow("SELECT id, name, email FROM users WHERE id = $1", user_id)
    return None if row is None else {"id": row[0], "name": row[1], "email": row[2]}


async def proxy():
    async with res.session.get(UPSTREAM) as upstream:
        return upstream.status, await upstream.read()
