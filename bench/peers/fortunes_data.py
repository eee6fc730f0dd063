"""The TechEmpower fortunes table (what its database holds) and the page's
rows, shared by the `/fortunes` peers of `cargo xtask bench --suite
fortunes` (`fortunes_fastapi.py`, `fortunes_litestar.py`,
`fortunes_blacksheep.py`), so the frameworks differ only in what they add."""

FORTUNES = [
    (1, "fortune: No such file or directory"),
    (2, "A computer scientist is someone who fixes things that aren't broken."),
    (3, "After enough decimal places, nobody gives a damn."),
    (4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    (5, "A computer program does what you tell it to do, not what you want it to do."),
    (6, "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen"),
    (7, "Any program that runs right is obsolete."),
    (8, "A list is only as strong as its weakest link. \u2014 Donald Knuth"),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    (12, "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af"),
]
ADDED = (0, "Additional fortune added at request time.")


def rows(make):
    """The 12 rows and the one added at request time as `make(id, message)`
    objects, sorted by message: what `bench/apps/fortunes` builds per request."""
    page = [make(*f) for f in FORTUNES]
    page.append(make(*ADDED))
    page.sort(key=lambda f: f.message)
    return page
