"""`/fortunes` on BlackSheep with Jinja2 (its `JinjaRenderer` and `view()`,
autoescaped), no database, for `cargo xtask bench --suite fortunes`;
Granian with uvloop. `/fortunes/{copies}` is the same page with the rows
`copies` times."""

import os
from dataclasses import dataclass
from pathlib import Path

# BlackSheep's renderer appends this extension to view names (read once, at
# import); the shared template is `templates/fortunes.html`.
os.environ.setdefault("APP_JINJA_EXTENSION", ".html")

from blacksheep import Application, get  # noqa: E402
from blacksheep.server.rendering.jinja2 import JinjaRenderer  # noqa: E402
from blacksheep.server.responses import view  # noqa: E402
from blacksheep.settings.html import html_settings  # noqa: E402
from jinja2 import FileSystemLoader  # noqa: E402

from fortunes_data import rows  # noqa: E402

html_settings.use(JinjaRenderer(FileSystemLoader(Path(__file__).parent / "templates")))
app = Application(show_error_details=False)


@dataclass
class Fortune:
    id: int
    message: str


@get("/fortunes")
async def fortunes():
    return view("fortunes", fortunes=rows(Fortune))


@get("/fortunes/{copies}")
async def fortunes_copies(copies: int):
    return view("fortunes", fortunes=rows(Fortune) * copies)
