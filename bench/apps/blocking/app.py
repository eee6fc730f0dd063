"""The blocking-handler rows of the benchmark (`bench/blocking.sh`), on
prebake: `/json` as in `examples/hello`, and `/blocking`, a plain `def` that
sleeps `ms` milliseconds (1 by default), on the thread pool. The peers serve
the same `/blocking` (`bench/peers/fastapi_app.py`, `litestar_app.py`).

`sync_to_thread=True` is written out, as Litestar needs it; the compiler
would send this handler to the pool on its own (it calls `time.sleep`).
"""

import time

from prebake import App

app = App(title="blocking bench")


@app.get("/json")
def json_hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/blocking", sync_to_thread=True)
def blocking(ms: float = 1.0) -> dict[str, float]:
    time.sleep(ms / 1000)
    return {"slept_ms": ms}
