"""The test app of the thread pool (`tests/threads.rs`): the same blocking
handler on the pool (`sync_to_thread=True`) and on the interpreter thread
(`sync_to_thread=False`), a fast route, a busy loop on the pool for
`--handler-timeout`, and no-op handlers both ways to measure the hand-off.

Every route says `sync_to_thread=` explicitly: what runs where does not
depend on the compiler's own decision.
"""

import threading
import time

from prebake import App

app = App(title="threads")


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
