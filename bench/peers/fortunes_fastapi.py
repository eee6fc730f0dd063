"""`/fortunes` on FastAPI with Jinja2 (`fastapi.templating.Jinja2Templates`,
autoescaped `.html`, as FastAPI's docs show), no database, for `cargo xtask
bench --suite fortunes`; uvicorn with uvloop and httptools.
`/fortunes/{copies}` is the same page with the rows `copies` times."""

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from fortunes_data import rows

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@dataclass
class Fortune:
    id: int
    message: str


@app.get("/fortunes", response_class=HTMLResponse)
async def fortunes(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows(Fortune)})


@app.get("/fortunes/{copies}", response_class=HTMLResponse)
async def fortunes_copies(request: Request, copies: int) -> HTMLResponse:
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows(Fortune) * copies})
