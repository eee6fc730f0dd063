"""`/fortunes` on Litestar with Jinja2 (`TemplateConfig` with
`JinjaTemplateEngine`, autoescaped `.html`), no database, for
`bench/fortunes.sh`; uvicorn with uvloop and httptools."""

from pathlib import Path

import msgspec
from litestar import Litestar, get
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from fortunes_data import ADDED, FORTUNES


class Fortune(msgspec.Struct):
    id: int
    message: str


@get("/fortunes", sync_to_thread=False)
def fortunes() -> Template:
    rows = [Fortune(*f) for f in FORTUNES]
    rows.append(Fortune(*ADDED))
    rows.sort(key=lambda f: f.message)
    return Template(template_name="fortunes.html", context={"fortunes": rows})


app = Litestar(
    [fortunes],
    openapi_config=None,
    template_config=TemplateConfig(directory=Path(__file__).parent / "templates", engine=JinjaTemplateEngine),
)
