"""Dependencies of the `depends` test app, in their own module."""

import itertools
from typing import Annotated, AsyncIterator, Iterator

from prebake import Depends, Header, HTTPException, Query
from prebake.security import HTTPAuthorizationCredentials, HTTPBearer

#: What the dependencies and handlers did, in order (read by `/events`).
EVENTS: list[str] = []


def record(what: str) -> None:
    EVENTS.append(what)


def get_db() -> Iterator[str]:
    record("db open")
    try:
        yield "conn-1"
    except KeyError:
        record("db saw KeyError")
        raise HTTPException(418, "converted by get_db")
    except Exception as e:
        record(f"db saw {type(e).__name__}")
        raise
    finally:
        record("db close")


async def get_async_db() -> AsyncIterator[str]:
    record("async db open")
    yield "async-conn"
    record("async db close")


def token_header(x_token: Annotated[str | None, Header()] = None) -> str:
    if x_token is None:
        raise HTTPException(401, "missing token")
    return x_token


def current_user(token: Annotated[str, Depends(token_header)]) -> str:
    if not token.startswith("user-"):
        raise HTTPException(403, "not a user token")
    return token.removeprefix("user-")


_calls = itertools.count(1)


def counted() -> int:
    return next(_calls)


class Paginator:
    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> None:
        self.limit = limit
        self.offset = offset


_made = itertools.count(1)


class Counter:
    def __init__(self) -> None:
        self.value = next(_made)


bearer = HTTPBearer()


def bearer_token(creds: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> str:
    return creds.credentials


def verify_key(x_key: Annotated[str | None, Header()] = None) -> None:
    if x_key != "secret":
        raise HTTPException(403, "bad key")


def broken() -> int:
    raise ValueError("a dependency failed: secret-internal-detail")


def tag_of(x_tag: Annotated[str, Header()]) -> str:
    return x_tag.upper()
