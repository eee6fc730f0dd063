"""`/fortunes` on Litestar with Jinja2 (`TemplateConfig` with
`JinjaTemplateEngine`, autoescaped `.html`), no database, for `cargo xtask
bench --suite fortunes`; Granian with uvloop. Synchronous handlers that
stay on the event loop (`sync_to_thread=False`), msgspec Structs for the
rows. `/fortunes/{copies}` is the same page with the rows `copies` times."""

from pathlib import Path

import msgspec
from litestar import Litestar, get
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from fortunes_data import rows


class Fortune(msgspec.Struct):
    id: int
    message: str


@get("/fortunes", sync_to_thread=False)
def fortunes() -> Template:
    return Template(template_name="fortunes.html", context={"fortunes": rows(Fortune)})


@get("/fortunes/{copies:int}", sync_to_thread=False)
def fortunes_copies(copies: int) -> Template:
    return Template(template_name="fortunes.html", context={"fortunes": rows(Fortune) * copies})


app = Litestar(
    [fortunes, fortunes_copies],
    openapi_config=None,
    template_config=TemplateConfig(directory=Path(__file__).parent / "templates", engine=JinjaTemplateEngine),
)
