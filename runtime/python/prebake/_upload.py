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

from collections.abc import Iterable, Iterator
from tempfile import SpooledTemporaryFile
from typing import IO, Any
from urllib.parse import parse_qsl

from prebake._request import Headers

__all__ = ["FormData", "UploadFile"]

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


class FormData:
    """A form's fields in body order, as Starlette's `FormData`: text
    values and `UploadFile`s; `form[name]` and `get` give a name's last
    value, `getlist` every value."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str | UploadFile]] = ()) -> None:
        self._items = list(items)

    def get(self, name: str, default: Any = None) -> Any:
        """The last value of field `name`, or `default`."""
        for key, value in reversed(self._items):
            if key == name:
                return value
        return default

    def getlist(self, name: str) -> list[str | UploadFile]:
        """Every value of field `name`, in order."""
        return [value for key, value in self._items if key == name]

    def multi_items(self) -> list[tuple[str, str | UploadFile]]:
        """Every `(name, value)` pair, in order."""
        return list(self._items)

    def keys(self) -> list[str]:
        """The distinct names, in first-seen order."""
        return list(dict.fromkeys(key for key, _ in self._items))

    def items(self) -> list[tuple[str, str | UploadFile]]:
        """Each distinct name with its last value."""
        return [(key, self[key]) for key in self.keys()]

    def __getitem__(self, name: str) -> str | UploadFile:
        for key, value in reversed(self._items):
            if key == name:
                return value
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    async def close(self) -> None:
        """Close every uploaded file."""
        for _, value in self._items:
            if isinstance(value, UploadFile):
                await value.close()

    def __repr__(self) -> str:
        return f"FormData({self._items!r})"


def parse_form(
    content_type: str | None,
    body: bytes,
    *,
    max_files: int | float = 1000,
    max_fields: int | float = 1000,
    max_part_size: int = 1024 * 1024,
) -> FormData:
    """`Request.form()`: an urlencoded or multipart body as `FormData`
    (`ValueError` for another content type). Past Starlette's limits, or for
    a multipart body that does not parse, raises `HTTPException(400)` with
    Starlette's message, as Starlette's `request.form()` does. Handlers that
    declare `Form()`/`File()` parameters get them parsed in Rust instead."""
    from prebake._exceptions import HTTPException

    essence = (content_type or "").split(";")[0].strip().lower()
    if essence in ("", "application/x-www-form-urlencoded"):
        text = body.decode("latin-1")
        pairs = parse_qsl(text, keep_blank_values=True)
        if len(pairs) > max_fields:
            raise HTTPException(400, f"Too many fields. Maximum number of fields is {max_fields}.")
        return FormData(pairs)
    if essence != "multipart/form-data":
        raise ValueError(f"not a form body: {content_type}")
    from email.parser import BytesParser
    from email.policy import HTTP

    if "boundary=" not in (content_type or "").lower():
        raise HTTPException(400, "Missing boundary in multipart.")
    head = b"Content-Type: " + (content_type or "").encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise HTTPException(400, "The multipart body does not parse.")
    items: list[tuple[str, str | UploadFile]] = []
    files = fields = 0
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise HTTPException(400, 'The Content-Disposition header field "name" must be provided.')
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields += 1
            if fields > max_fields:
                raise HTTPException(400, f"Too many fields. Maximum number of fields is {max_fields}.")
            if len(data) > max_part_size:
                raise HTTPException(400, f"Part exceeded maximum size of {int(max_part_size / 1024)}KB.")
            try:
                items.append((name, data.decode("utf-8")))
            except UnicodeDecodeError:
                items.append((name, data.decode("latin-1")))
        else:
            files += 1
            if files > max_files:
                raise HTTPException(400, f"Too many files. Maximum number of files is {max_files}.")
            headers = [(key.lower(), str(value)) for key, value in part.items()]
            items.append((name, _from_part(filename, headers, data)))
    return FormData(items)
