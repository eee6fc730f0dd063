"""The io suite on Litestar (Granian): `async def` handlers, msgspec
Structs for the body and the returns (Litestar's native path), the JWT
checked in a dependency, the pool opened in the lifespan, and `/fortunes`
rendered by its `JinjaTemplateEngine` (autoescaped
`templates/fortunes.html`). The database
code is `io_common.py`, shared by every peer.
"""

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Template
from litestar.template.config import TemplateConfig

import io_common as db


class World(msgspec.Struct):
    id: int
    randomNumber: int


class Movie(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    year: Annotated[int, msgspec.Meta(ge=1888, le=2100)]
    genres: list[str] = []


async def current_user(request: Request) -> int:
    user = db.user_of(request.headers.get("authorization"))
    if user is None:
        raise NotAuthorizedException("Invalid token", headers={"WWW-Authenticate": "Bearer"})
    return user


@asynccontextmanager
async def lifespan(app):
    await db.open_resources()
    yield
    await db.close_resources()


@get("/db")
async def single() -> dict:
    return await db.single()


@get("/queries")
async def queries(queries: str | None = None) -> list[dict]:
    return await db.queries(queries)


@get("/updates")
async def updates(queries: str | None = None) -> list[dict]:
    return await db.updates(queries)


@get("/fortunes")
async def fortunes() -> Template:
    return Template(template_name="fortunes.html", context={"fortunes": await db.fortunes()})


@post("/movies", status_code=201, dependencies={"owner": Provide(current_user)})
async def create_movie(data: Movie, owner: int) -> dict:
    return await db.create_movie(owner, data.title, data.year, data.genres)


@get("/users/me", dependencies={"user_id": Provide(current_user)})
async def me(user_id: int) -> dict:
    user = await db.me(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="No such user")
    return user


@get("/proxy")
async def proxy() -> Response:
    status, body = await db.proxy()
    return Response(body, status_code=status, media_type="application/json")


app = Litestar(
    [single, queries, updates, fortunes, create_movie, me, proxy],
    lifespan=[lifespan],
    openapi_config=None,
    template_config=TemplateConfig(directory=Path(__file__).parent / "templates", engine=JinjaTemplateEngine),
    debug=False,
)
