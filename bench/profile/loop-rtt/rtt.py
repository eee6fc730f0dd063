"""The fetches of `app.py` on stock asyncio or uvloop, in a plain process:
`python rtt.py asyncio|uvloop N`. `run.sh` runs it with N and with 0 under
callgrind; the difference over N is the instructions per fetch."""

import asyncio
import sys

import asyncpg


async def main(n: int) -> None:
    pool = await asyncpg.create_pool(min_size=8, max_size=8)

    async def worker(count: int) -> int:
        rows = 0
        for _ in range(count):
            rows += len(await pool.fetch("SELECT id, message FROM fortune"))
        return rows

    await asyncio.gather(*(worker(8) for _ in range(8)))  # warm: statements prepared
    await asyncio.gather(*(worker(n // 8) for _ in range(8)))
    await pool.close()


if __name__ == "__main__":
    if sys.argv[1] == "uvloop":
        import uvloop

        uvloop.install()
    asyncio.run(main(int(sys.argv[2])))
