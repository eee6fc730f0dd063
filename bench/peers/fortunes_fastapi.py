"""`/fortunes` on FastAPI with Jinja2 (`fastapi.templating.Jinja2Templates`,
autoescaped `.html`, as FastAPI's docs show), no database, for
`bench/fortunes.sh`; uvicorn with uvloop and httptools."""

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from fortunes_data import ADDED, FORTUNES

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@dataclass
class Fortune:
    id: int
    message: str


@app.get("/fortunes", response_class=HTMLResponse)
async def fortunes(request: Request) -> HTMLResponse:
    rows = [Fortune(*f) for f in FORTUNES]
    rows.append(Fortune(*ADDED))
    rows.sort(key=lambda f: f.message)
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows})
