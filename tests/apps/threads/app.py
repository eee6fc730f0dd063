"""The test app of the thread pool (`tests/threads.rs`): the same blocking
handler on the pool (`sync_to_thread=True`) and on the interpreter thread
(`sync_to_thread=False`), a fast route, a busy loop on the pool for
`--handler-timeout`, no-op handlers both ways to measure the hand-off, and
a `yield` dependency whose teardown runs on the pool after the response.

Every route says `sync_to_thread=` explicitly: what runs where does not
depend on the compiler's own decision.
"""

import threading
import time
from typing import Annotated, Iterator

from prebake import App, Depends

app = App(title="threads", server_header=None)


@app.get("/fast")
def fast() -> str:
    return "fast"


@app.get("/pool/sleep", sync_to_thread=True)
def pool_sleep(secs: float = 1.0) -> dict[str, float]:
    time.sleep(secs)
    return {"slept": secs}


@app.get("/inline/sleep", sync_to_thread=False)
def inline_sleep(secs: float = 1.0) -> dict[str, float]:
    time.sleep(secs)
    return {"slept": secs}


@app.get("/pool/spin", sync_to_thread=True)
def pool_spin(secs: float = 10.0) -> str:
    end = time.monotonic() + secs
    while time.monotonic() < end:
        pass
    return "spun"


@app.get("/pool/noop", sync_to_thread=True)
def pool_noop() -> dict[str, bool]:
    return {"ok": True}


@app.get("/inline/noop", sync_to_thread=False)
def inline_noop() -> dict[str, bool]:
    return {"ok": True}


@app.get("/pool/thread", sync_to_thread=True)
def pool_thread() -> int:
    return threading.get_ident()


@app.get("/inline/thread", sync_to_thread=False)
def inline_thread() -> int:
    return threading.get_ident()


@app.get("/pool/fail", sync_to_thread=True)
def pool_fail() -> str:
    raise ValueError("out of the pool")


_closed_on: list[int] = []


def session() -> Iterator[str]:
    yield "session"
    # The teardown of a pool route's dependency may block as the handler
    # may: it runs on the pool too.
    _closed_on.append(threading.get_ident())


@app.get("/pool/dep", sync_to_thread=True)
def pool_dep(s: Annotated[str, Depends(session)]) -> str:
    return s


@app.get("/closed-on", sync_to_thread=False)
def closed_on() -> list[int]:
    return _closed_on
