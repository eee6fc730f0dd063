"""`UploadFile`: a file of a `multipart/form-data` body, as Starlette has it.

The server parses the body in Rust and builds one `UploadFile` per file
part a handler asks for: its content goes into a `SpooledTemporaryFile`
that stays in memory up to 1 MiB and moves to a temporary file on disk past
that (Starlette's threshold), rewound to the start.

The methods are `async` as in Starlette so ported code keeps its `await`s;
they run the file operation directly (a spooled file in memory, or a local
temporary file, does not block for long), so `def` handlers can also use
`upload.file` synchronously.
"""

from __future__ import annotations

from collections.abc import Iterable
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from prebake._request import Headers

__all__ = ["UploadFile"]

#: Starlette's `spool_max_size`: past this an upload lives on disk.
SPOOL_MAX_SIZE = 1024 * 1024


class UploadFile:
    """An uploaded file: `filename`, `content_type`, `headers`, `size`, and
    the content in `file` (a `SpooledTemporaryFile`)."""

    __slots__ = ("file", "filename", "headers", "size")

    file: IO[bytes]
    filename: str | None
    headers: Headers
    size: int | None

    def __init__(
        self,
        file: IO[bytes],
        *,
        size: int | None = None,
        filename: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.file = file
        self.size = size
        self.filename = filename
        self.headers = headers if headers is not None else Headers()

    @property
    def content_type(self) -> str | None:
        """The part's `Content-Type` header, if it had one."""
        return self.headers.get("content-type")

    async def write(self, data: bytes) -> None:
        """Write `data` at the current position (and count it in `size`)."""
        if self.size is not None:
            self.size += len(data)
        self.file.write(data)

    async def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes (all that is left by default)."""
        return self.file.read(size)

    async def seek(self, offset: int) -> None:
        """Move to byte `offset`."""
        self.file.seek(offset)

    async def close(self) -> None:
        """Close the file (a spooled file on disk is deleted)."""
        self.file.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(filename={self.filename!r}, size={self.size!r}, "
            f"headers={self.headers!r})"
        )


def _from_part(filename: str, headers: Iterable[tuple[str, str]], data: bytes) -> UploadFile:
    """The `UploadFile` of one file part (called by the server)."""
    spooled: Any = SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE)
    spooled.write(data)
    spooled.seek(0)
    return UploadFile(spooled, size=len(data), filename=filename, headers=Headers(headers))
