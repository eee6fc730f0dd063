"""`/deps` on Litestar with its own dependency injection (`Provide`), for `bench/deps.sh`; a msgspec Struct, uvicorn with uvloop and httptools."""

from collections.abc import AsyncIterator
from typing import Annotated
import msgspec
from litestar import Litestar, get
from litestar.di import Provide
from litestar.params import Parameter

class Greeting(msgspec.Struct):
    user: str
    db: str

async def get_db() -> AsyncIterator[str]:
    yield "db"

async def token(x_token: Annotated[str, Parameter(header="x-token")] = "anon") -> str:
    return x_token

async def current_user(t: str) -> str:
    return t.upper()

@get("/deps", dependencies={"db": Provide(get_db), "t": Provide(token), "user": Provide(current_user)})
async def deps(db: str, user: str) -> Greeting:
    return Greeting(user=user, db=db)

app = Litestar([deps], openapi_config=None)
