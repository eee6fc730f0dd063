"""`/fortunes` without a database, for `cargo xtask bench --suite fortunes`:
the TechEmpower fortunes page (12 rows plus one added per request, sorted by
message, escaped) rendered by a `template=` route, against FastAPI,
Litestar and BlackSheep rendering the same template with Jinja2
(`bench/peers/fortunes_*.py`)."""

import msgspec

from prebake import App

app = App(openapi_url=None)


class Fortune(msgspec.Struct):
    id: int
    message: str


class Fortunes(msgspec.Struct):
    fortunes: list[Fortune]


FORTUNES = [
    Fortune(1, "fortune: No such file or directory"),
    Fortune(2, "A computer scientist is someone who fixes things that aren't broken."),
    Fortune(3, "After enough decimal places, nobody gives a damn."),
    Fortune(4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    Fortune(5, "A computer program does what you tell it to do, not what you want it to do."),
    Fortune(6, "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen"),
    Fortune(7, "Any program that runs right is obsolete."),
    Fortune(8, "A list is only as strong as its weakest link. \u2014 Donald Knuth"),
    Fortune(9, "Feature: A bug with seniority."),
    Fortune(10, "Computers make very fast, very accurate mistakes."),
    Fortune(11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    Fortune(12, "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af"),
]


@app.get("/fortunes", template="fortunes.html")
def fortunes() -> Fortunes:
    rows = [*FORTUNES, Fortune(0, "Additional fortune added at request time.")]
    rows.sort(key=lambda f: f.message)
    return Fortunes(rows)


@app.get("/fortunes/{copies}", template="fortunes.html")
def fortunes_copies(copies: int) -> Fortunes:
    """The same page with the 13 rows `copies` times: the render cost per
    row is the difference between two sizes (the fortunes suite's CPU per
    request, bench/profile/render.sh's instructions)."""
    rows = [*FORTUNES, Fortune(0, "Additional fortune added at request time.")]
    rows.sort(key=lambda f: f.message)
    return Fortunes(rows * copies)
