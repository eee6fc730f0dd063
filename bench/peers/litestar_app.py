"""The hello app on Litestar, written for speed as Litestar's docs recommend.

- `async def` handlers (sync handlers need `sync_to_thread`);
- msgspec Structs for the body (Litestar decodes and validates them with
  msgspec, its native and fastest path) and msgspec encoding of returns;
- no OpenAPI schema and no debug mode;
- served by Granian, one worker, no access log;
- `/blocking` (`cargo xtask bench` does not run it; see `bench/blocking.sh`):
  a plain `def` that sleeps, run in Litestar's thread pool
  (`sync_to_thread=True`).
"""

import time
from typing import Annotated

import msgspec
from litestar import Litestar, MediaType, get, post


class User(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    age: Annotated[int, msgspec.Meta(ge=0, le=150)]
    email: str | None = None


@get("/plaintext", media_type=MediaType.TEXT)
async def plaintext() -> str:
    return "Hello, World!"


@get("/json")
async def json_hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@get("/user/{user_id:int}")
async def get_user(user_id: int) -> dict[str, int]:
    return {"id": user_id}


@post("/validate", status_code=201)
async def validate(data: User) -> User:
    return data


@get("/blocking", sync_to_thread=True)
def blocking(ms: float = 1.0) -> dict[str, float]:
    time.sleep(ms / 1000)
    return {"slept_ms": ms}


app = Litestar(
    route_handlers=[plaintext, json_hello, get_user, validate, blocking],
    openapi_config=None,
    debug=False,
)
