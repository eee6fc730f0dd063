"""Static files and file, redirect and streaming responses (tests/files.rs,
tests/python/test_files.py).

`static/` is served plainly, `site/` in `html` mode; the large file and the
symlinks the tests need are made by the tests themselves at run time, in
`static/`'s `gen/` folder (ignored by git).
"""

from pathlib import Path

from prebake import App
from prebake.staticfiles import StaticFiles

app = App(title="files")

HERE = Path(__file__).parent

app.mount("/static", StaticFiles(directory="static"), name="static")
app.mount("/site", StaticFiles(directory=HERE / "site", html=True), name="site")
app.mount("/maybe", StaticFiles(directory="not-there", check_dir=False))


@app.get("/static/route")
def a_route_beside_the_mount() -> str:
    return "a route wins over the mount"
