"""`StaticFiles`, as `fastapi.staticfiles` / `starlette.staticfiles` name it.

`app.mount("/static", StaticFiles(directory="static"), name="static")` is
read by the compiler; the compiled server serves the directory itself, in
Rust, without calling Python (content types, `ETag` and `Last-Modified`
with `304`s, byte ranges, precompressed `.br`/`.gz` siblings, `HEAD`).
A relative `directory` is relative to the app's folder (the folder of the
entry module), not to the working directory; docs/static-files.md says
where the binary looks for it.

Under plain CPython this class only records its arguments.
"""

from __future__ import annotations

import os

__all__ = ["StaticFiles"]

PathLike = str | os.PathLike[str]


class StaticFiles:
    """A directory of files to serve under a mount path.

    `html=True` serves `index.html` for a directory (redirecting
    `/dir` to `/dir/`) and `404.html` for a path with no file.
    `check_dir=False` lets the server start while the directory is missing
    (requests then answer 404). `follow_symlink=True` serves symlinks that
    lead outside the directory; by default they are refused.
    """

    __slots__ = ("directory", "packages", "html", "check_dir", "follow_symlink")

    def __init__(
        self,
        *,
        directory: PathLike | None = None,
        packages: list[str | tuple[str, str]] | None = None,
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
    ) -> None:
        if directory is None and not packages:
            raise ValueError("StaticFiles needs a directory")
        self.directory = directory
        self.packages = packages
        self.html = html
        self.check_dir = check_dir
        self.follow_symlink = follow_symlink

    def __repr__(self) -> str:
        return f"StaticFiles(directory={self.directory!r}, html={self.html!r})"
