"""The io suite on BlackSheep (Granian): `async def` handlers, JSON through
orjson, the body read as JSON and checked by a Pydantic model, the JWT
checked per request from the header, the pool opened at start-up, and
`/fortunes` rendered by its Jinja2 `view()` (autoescaped
`templates/fortunes.html`). The
database code is `io_common.py`, shared by every peer.
"""

import os
from pathlib import Path
from typing import Annotated

# BlackSheep's renderer appends this extension to view names (read once, at
# import); the shared template is `templates/fortunes.html`.
os.environ.setdefault("APP_JINJA_EXTENSION", ".html")

import orjson  # noqa: E402
from blacksheep import Application, FromJSON, Request, Response, get, json, post  # noqa: E402
from blacksheep.contents import Content  # noqa: E402
from blacksheep.server.rendering.jinja2 import JinjaRenderer  # noqa: E402
from blacksheep.server.responses import view  # noqa: E402
from blacksheep.settings.html import html_settings  # noqa: E402
from blacksheep.settings.json import json_settings  # noqa: E402
from jinja2 import FileSystemLoader  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field  # noqa: E402

import io_common as db  # noqa: E402


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


json_settings.use(loads=orjson.loads, dumps=_dumps)
html_settings.use(JinjaRenderer(FileSystemLoader(Path(__file__).parent / "templates")))

app = Application(show_error_details=False)


async def _open(application: Application) -> None:
    await db.open_resources()


async def _close(application: Application) -> None:
    await db.close_resources()


app.on_start += _open
app.on_stop += _close


class Movie(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=200)]
    year: Annotated[int, Field(ge=1888, le=2100)]
    genres: list[str] = []


def unauthorized() -> Response:
    r = json({"detail": "Invalid token"}, status=401)
    r.add_header(b"WWW-Authenticate", b"Bearer")
    return r


@get("/db")
async def single():
    return json(await db.single())


@get("/queries")
async def queries(request: Request):
    values = request.query.get("queries")
    return json(await db.queries(values[-1] if values else None))


@get("/updates")
async def updates(request: Request):
    values = request.query.get("queries")
    return json(await db.updates(values[-1] if values else None))


@get("/fortunes")
async def fortunes():
    return view("fortunes", fortunes=await db.fortunes())


@post("/movies")
async def create_movie(request: Request, movie: FromJSON[Movie]):
    owner = db.user_of(request.get_first_header(b"Authorization").decode() if request.has_header(b"Authorization") else None)
    if owner is None:
        return unauthorized()
    m = movie.value
    return json(await db.create_movie(owner, m.title, m.year, m.genres), status=201)


@get("/users/me")
async def me(request: Request):
    header = request.get_first_header(b"Authorization")
    user_id = db.user_of(header.decode() if header else None)
    if user_id is None:
        return unauthorized()
    user = await db.me(user_id)
    return json(user) if user is not None else json({"detail": "No such user"}, status=404)


@get("/proxy")
async def proxy():
    status, body = await db.proxy()
    return Response(status, None, Content(b"application/json", body))
