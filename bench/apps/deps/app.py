"""The `/deps` benchmark: three dependencies (one `yield`, one reading a header, one nested) returning a small model, beside `/nodeps`, the same answer without them (`bench/deps.sh`)."""

from collections.abc import Iterator
from typing import Annotated

import msgspec

from prebake import App, Depends, Header

app = App()


class Greeting(msgspec.Struct):
    user: str
    db: str


def get_db() -> Iterator[str]:
    yield "db"


def token(x_token: Annotated[str, Header()] = "anon") -> str:
    return x_token


def current_user(t: Annotated[str, Depends(token)]) -> str:
    return t.upper()


@app.get("/deps")
def deps(db: Annotated[str, Depends(get_db)], user: Annotated[str, Depends(current_user)]) -> Greeting:
    return Greeting(user=user, db=db)


@app.get("/nodeps")
def nodeps(x_token: Annotated[str, Header()] = "anon") -> Greeting:
    return Greeting(user=x_token.upper(), db="db")
