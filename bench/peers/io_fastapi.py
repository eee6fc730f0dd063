"""The io suite on FastAPI (uvicorn, uvloop, httptools): `async def`
handlers, declared return types (Pydantic's fast serialisation), the body
as a Pydantic model, the JWT checked in a dependency as FastAPI's security
docs show, the pool opened in the lifespan, and `/fortunes` rendered by
`Jinja2Templates` (autoescaped `templates/fortunes.html`). The database code is
`io_common.py`, shared by every peer.
"""

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

import io_common as db


@asynccontextmanager
async def lifespan(app):
    await db.open_resources()
    yield
    await db.close_resources()


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


class World(BaseModel):
    id: int
    randomNumber: int


class Movie(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=200)]
    year: Annotated[int, Field(ge=1888, le=2100)]
    genres: list[str] = []


class SavedMovie(BaseModel):
    id: int
    owner: int
    title: str
    year: int
    genres: list[str]


class User(BaseModel):
    id: int
    name: str
    email: str


bearer = HTTPBearer()


def current_user(creds: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> int:
    user = db.user_of(f"Bearer {creds.credentials}")
    if user is None:
        raise HTTPException(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
    return user


@app.get("/db")
async def single() -> World:
    return await db.single()


@app.get("/queries")
async def queries(queries: str | None = None) -> list[World]:
    return await db.queries(queries)


@app.get("/updates")
async def updates(queries: str | None = None) -> list[World]:
    return await db.updates(queries)


@app.get("/fortunes", response_class=HTMLResponse)
async def fortunes(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": await db.fortunes()})


@app.post("/movies", status_code=201)
async def create_movie(movie: Movie, owner: Annotated[int, Depends(current_user)]) -> SavedMovie:
    return await db.create_movie(owner, movie.title, movie.year, movie.genres)


@app.get("/users/me")
async def me(user_id: Annotated[int, Depends(current_user)]) -> User:
    user = await db.me(user_id)
    if user is None:
        raise HTTPException(404, "No such user")
    return user


@app.get("/proxy")
async def proxy() -> Response:
    status, body = await db.proxy()
    return Response(body, status_code=status, media_type="application/json")
