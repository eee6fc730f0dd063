"""asyncpg's round trips on prebake's event loop, with no HTTP around them:
`GET /rtt?n=N` runs N `pool.fetch` calls of TechEmpower's fortunes query,
eight at a time, on the loop the server drives. `rtt.py` runs the same
calls on stock asyncio and on uvloop; `run.sh` counts the instructions of
each under callgrind (see bench/README.md)."""

import asyncio

import asyncpg

from prebake import App

app = App(title="loop-rtt")
pools: list[asyncpg.Pool] = []


@app.get("/rtt")
async def rtt(n: int = 0) -> int:
    """N fetches, eight at a time; the pool is made on the first call."""
    if not pools:
        pools.append(await asyncpg.create_pool(min_size=8, max_size=8))
    pool = pools[0]

    async def worker(count: int) -> int:
        rows = 0
        for _ in range(count):
            rows += len(await pool.fetch("SELECT id, message FROM fortune"))
        return rows

    return sum(await asyncio.gather(*(worker(n // 8) for _ in range(8))))
